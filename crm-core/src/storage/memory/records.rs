//! Records, ids, auto-numbers, the change log and stage history in memory.

use super::MemoryStore;
use crate::error::{Error, Result, StorageError};
use crate::history::{HistoryEntry, StageEntry};
use crate::query::{Aggregate, Query, fold, order};
use crate::record::Record;
use crate::storage::{AutoNumberState, RecordChange, RecordStore, purge_refused, sum_overflow};
use crate::value::{RecordId, Value};
use rust_decimal::Decimal;
use std::collections::HashMap;

/// What the earlier changes of a set leave behind, for checking the later ones.
#[derive(Default)]
pub(super) struct Seen {
    versions: HashMap<RecordId, u64>,
    numbers: HashMap<(String, String), RecordId>,
}

impl MemoryStore {
    pub(super) fn check_record(&self, c: &RecordChange, seen: &mut Seen) -> Result<()> {
        match c {
            RecordChange::Insert(r) => {
                if self.records.contains_key(&r.id) || seen.versions.contains_key(&r.id) {
                    return Err(StorageError::Duplicate(format!("record id {} exists", r.id)).into());
                }
                seen.versions.insert(r.id, r.version);
                self.check_auto_number(r, &mut seen.numbers)
            }
            RecordChange::Update { record, expected_version } => {
                let current = seen.versions.get(&record.id).copied().or_else(|| self.records.get(&record.id).map(|r| r.version));
                match current {
                    None => return Err(Error::not_found(format!("record {}", record.id))),
                    Some(v) if v != *expected_version => {
                        return Err(Error::Conflict(format!(
                            "record {} was changed by someone else (version {v}, expected {expected_version})",
                            record.id
                        )));
                    }
                    Some(_) => {
                        seen.versions.insert(record.id, record.version);
                    }
                }
                self.check_auto_number(record, &mut seen.numbers)
            }
            RecordChange::Purge { id, expected_version } => {
                // Only a record still in the recycle bin at the version the purge saw.
                let current = self.records.get(id).map(|r| (r.deleted, r.version));
                if current == Some((true, *expected_version)) { Ok(()) } else { Err(purge_refused(*id, *expected_version, current)) }
            }
            RecordChange::History(_)
            | RecordChange::Stage(_)
            | RecordChange::MoveHistory { .. }
            | RecordChange::PutMergeJournal(_)
            | RecordChange::DropMergeJournal(_) => Ok(()),
        }
    }

    pub(super) fn apply_record(&mut self, c: &RecordChange) {
        match c {
            RecordChange::Insert(r) | RecordChange::Update { record: r, .. } => self.put(r.clone()),
            RecordChange::Purge { id, .. } => {
                self.unindex(*id);
                self.records.remove(id);
                self.history.retain(|h| h.record != *id);
                self.stages.retain(|s| s.record != *id);
                self.purge_related(*id); // links and comments go with the record
                self.merges.remove(id);
            }
            RecordChange::MoveHistory { ids, to } => {
                let ids: std::collections::HashSet<i64> = ids.iter().copied().collect();
                for h in self.history.iter_mut().filter(|h| ids.contains(&h.id)) {
                    h.record = *to;
                }
            }
            RecordChange::PutMergeJournal(j) => {
                self.merges.insert(j.merged, j.clone());
            }
            RecordChange::DropMergeJournal(id) => {
                self.merges.remove(id);
            }
            RecordChange::History(h) => self.push_history(h.clone()),
            RecordChange::Stage(s) => self.stages.push(s.clone()),
        }
    }

    /// Appends a change-log entry, giving it the next id.
    pub(super) fn push_history(&mut self, mut h: HistoryEntry) {
        self.history_seq = self.history_seq.saturating_add(1);
        h.id = self.history_seq;
        self.history.push(h);
    }

    fn selected<'a>(&'a self, q: &'a Query) -> impl Iterator<Item = &'a Record> + 'a {
        self.records.values().filter(move |r| {
            r.module == q.module
                && r.deleted == q.deleted
                && q.scope.as_ref().is_none_or(|s| s.admits(r.get(&s.field)))
                && q.condition.as_ref().is_none_or(|c| {
                    let id = Value::Int(r.id.0);
                    c.matches(&|f: &str| if f == crate::query::ID_FIELD { &id } else { r.get(f) })
                })
        })
    }

    fn auto_number_of(&self, r: &Record) -> Option<String> {
        let field = self.schema.as_ref()?.modules.get(&r.module)?.auto_number.as_ref()?;
        r.get(&field.field).to_text()
    }

    /// The record as handed out: its values in the current layout of its module (records kept before a
    /// schema change are laid out again as they leave).
    fn out(&self, r: &Record) -> Record {
        let mut r = r.clone();
        self.lay_out(&mut r);
        r
    }

    /// Keeps the record's values in the current layout of its module.
    fn lay_out(&self, r: &mut Record) {
        if let Some(layout) = self.layouts.get(&r.module)
            && !r.values.layout().is_some_and(|l| crate::row::RowLayout::same(l, layout))
        {
            r.values = std::mem::take(&mut r.values).into_layout(layout);
        }
    }

    /// Stores a record, keeping the lookup indexes in step.
    fn put(&mut self, mut r: Record) {
        self.lay_out(&mut r);
        self.unindex(r.id);
        self.labels.entry((r.module.clone(), fold(r.label.trim()))).or_default().insert(r.id);
        if let Some(no) = self.auto_number_of(&r) {
            self.numbers.insert((r.module.clone(), no), r.id);
        }
        self.records.insert(r.id, r);
    }

    /// Removes a record from the lookup indexes (not from the records).
    fn unindex(&mut self, id: RecordId) {
        let Some(old) = self.records.get(&id) else { return };
        let key = (old.module.clone(), fold(old.label.trim()));
        let number = self.auto_number_of(old).map(|no| (old.module.clone(), no));
        if let Some(set) = self.labels.get_mut(&key) {
            set.remove(&id);
        }
        if let Some(k) = number
            && self.numbers.get(&k) == Some(&id)
        {
            self.numbers.remove(&k);
        }
    }

    fn check_auto_number(&self, r: &Record, seen: &mut HashMap<(String, String), RecordId>) -> Result<()> {
        let Some(field) = self.schema.as_ref().and_then(|s| s.modules.get(&r.module)).and_then(|m| m.auto_number.as_ref()) else {
            return Ok(());
        };
        let Some(no) = r.get(&field.field).to_text() else { return Ok(()) };
        let key = (r.module.clone(), no.clone());
        let clash = self.numbers.get(&key).is_some_and(|id| *id != r.id);
        if clash || seen.get(&key).is_some_and(|id| *id != r.id) {
            return Err(StorageError::Duplicate(format!("{} {} '{no}' is taken", r.module, field.field)).into());
        }
        seen.insert(key, r.id);
        Ok(())
    }
}

impl MemoryStore {
    /// The records a query selects, in its order and page (ties in id order, reversed when the first sort
    /// key is descending).
    fn ordered_page<'a>(&'a self, q: &'a Query) -> impl Iterator<Item = &'a Record> + 'a {
        let mut v: Vec<&Record> = self.selected(q).collect();
        v.sort_by(|a, b| {
            for s in &q.sort {
                let o = order(a.get(&s.field), b.get(&s.field));
                let o = if s.descending { o.reverse() } else { o };
                if o.is_ne() {
                    return o;
                }
            }
            let o = a.id.cmp(&b.id);
            if q.sort.first().is_some_and(|s| s.descending) { o.reverse() } else { o }
        });
        let skip = usize::try_from(q.offset).unwrap_or(usize::MAX);
        let take = q.limit.map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
        v.into_iter().skip(skip).take(take)
    }
}

impl RecordStore for MemoryStore {
    fn allocate_ids(&mut self, n: u64) -> Result<i64> {
        let first = self.next_id.max(1);
        let n = i64::try_from(n).map_err(|_| Error::invalid("too many ids"))?;
        if n < 1 {
            return Err(Error::invalid("allocate at least one id"));
        }
        self.next_id = first.checked_add(n).ok_or_else(|| StorageError::Backend("id space exhausted".into()))?;
        Ok(first)
    }

    fn next_auto_number(&mut self, module: &str, default_prefix: &str) -> Result<String> {
        Ok(self.auto_numbers.entry(module.to_string()).or_insert_with(|| AutoNumberState::start(default_prefix)).take())
    }

    fn auto_number_state(&self, module: &str) -> Result<Option<AutoNumberState>> {
        Ok(self.auto_numbers.get(module).cloned())
    }

    fn set_auto_number(&mut self, module: &str, state: &AutoNumberState) -> Result<()> {
        self.auto_numbers.insert(module.to_string(), state.clone());
        Ok(())
    }

    fn get(&self, id: RecordId) -> Result<Option<Record>> {
        Ok(self.records.get(&id).map(|r| self.out(r)))
    }

    fn query(&self, q: &Query) -> Result<Vec<Record>> {
        Ok(self.ordered_page(q).map(|r| self.out(r)).collect())
    }

    fn query_each(&self, q: &Query, f: &mut dyn FnMut(Record) -> Result<bool>) -> Result<()> {
        for r in self.ordered_page(q) {
            if !f(self.out(r))? {
                break;
            }
        }
        Ok(())
    }

    fn count(&self, q: &Query) -> Result<u64> {
        Ok(self.selected(q).count() as u64)
    }

    fn aggregate(&self, q: &Query, group_by: Option<&str>, sums: &[&str]) -> Result<Vec<Aggregate>> {
        let mut groups: Vec<Aggregate> = Vec::new();
        for r in self.selected(q) {
            let key = group_by.map_or(Value::Null, |g| r.get(g).clone());
            let i = match groups.iter().position(|a| order(&a.key, &key).is_eq()) {
                Some(i) => i,
                None => {
                    groups.push(Aggregate { key, count: 0, sums: vec![Decimal::ZERO; sums.len()] });
                    groups.len() - 1
                }
            };
            let g = &mut groups[i];
            g.count += 1;
            for (s, f) in g.sums.iter_mut().zip(sums) {
                *s = s.checked_add(r.get(f).as_decimal().unwrap_or_default()).ok_or_else(|| sum_overflow(f))?;
            }
        }
        groups.sort_by(|a, b| order(&a.key, &b.key));
        Ok(groups)
    }

    fn find_by_label(&self, module: &str, label: &str) -> Result<Vec<RecordId>> {
        let want = fold(label.trim());
        let ids = self.labels.get(&(module.to_string(), want)).into_iter().flatten();
        Ok(ids.filter(|id| self.records.get(id).is_some_and(|r| !r.deleted)).copied().collect())
    }

    fn auto_number_taken(&self, module: &crate::schema::Module, number: &str) -> Result<bool> {
        Ok(module.auto_number.is_some() && self.numbers.contains_key(&(module.name.clone(), number.to_string())))
    }

    fn history(&self, id: RecordId) -> Result<Vec<HistoryEntry>> {
        Ok(self.history.iter().filter(|h| h.record == id).cloned().collect())
    }

    fn stage_history(&self, id: RecordId) -> Result<Vec<StageEntry>> {
        Ok(self.stages.iter().filter(|s| s.record == id).cloned().collect())
    }

    fn merge_journal(&self, id: RecordId) -> Result<Option<crate::dedupe::MergeJournal>> {
        Ok(self.merges.get(&id).cloned())
    }
}
