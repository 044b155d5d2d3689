//! The in-memory adapter: everything in ordinary collections, nothing on disk.
//!
//! Useful for tests, previews and short-lived hosts. Commits are atomic: every change is checked before
//! any is applied.

use super::{AutoNumberState, Change, ChangeSet, Store};
use crate::error::{Error, Result, StorageError};
use crate::history::{HistoryEntry, StageEntry};
use crate::query::{Aggregate, Query, fold, order};
use crate::record::Record;
use crate::related::{Comment, Relation};
use crate::schema::Schema;
use crate::schema::edit::SchemaChangeEntry;
use crate::user::{Group, User};
use crate::value::{RecordId, Value};
use crate::view::Filter;
use crate::workflow::mail::Mail;
use crate::workflow::{QueuedTask, Workflow};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};

/// A store that lives in memory.
#[derive(Debug, Default)]
pub struct MemoryStore {
    schema: Option<Schema>,
    next_id: i64,
    auto_numbers: HashMap<String, AutoNumberState>,
    records: BTreeMap<RecordId, Record>,
    /// (module, folded label) → records, for lookups by name.
    labels: HashMap<(String, String), std::collections::BTreeSet<RecordId>>,
    /// (module, auto-number) → record, for the uniqueness check.
    numbers: HashMap<(String, String), RecordId>,
    history: Vec<HistoryEntry>,
    stages: Vec<StageEntry>,
    users: BTreeMap<i64, User>,
    groups: BTreeMap<i64, Group>,
    // ----- import/export -----
    imports: BTreeMap<i64, crate::io::ImportJournal>,
    import_rows: Vec<crate::io::ImportRowFate>,
    mappings: BTreeMap<(String, String), crate::io::SavedMapping>,
    // ----- views, related records, settings -----
    filters: BTreeMap<i64, Filter>,
    comments: Vec<Comment>,
    relations: Vec<Relation>,
    settings: HashMap<String, String>,
    schema_log: Vec<SchemaChangeEntry>,
    // ----- workflows -----
    workflows: BTreeMap<i64, Workflow>,
    outbox: BTreeMap<i64, Mail>,
    once: std::collections::BTreeSet<(i64, RecordId)>,
    queue: BTreeMap<i64, QueuedTask>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self { next_id: 1, ..Self::default() }
    }

    fn selected<'a>(&'a self, q: &'a Query) -> impl Iterator<Item = &'a Record> + 'a {
        self.records.values().filter(move |r| {
            r.module == q.module
                && r.deleted == q.deleted
                && q.condition.as_ref().is_none_or(|c| {
                    let id = Value::Int(r.id.0);
                    c.matches(&|f: &str| if f == crate::query::ID_FIELD { &id } else { r.get(f) })
                })
        })
    }

    fn check(&self, changes: &ChangeSet) -> Result<()> {
        let mut versions: HashMap<RecordId, u64> = HashMap::new();
        let mut numbers: HashMap<(String, String), RecordId> = HashMap::new();
        for c in &changes.0 {
            match c {
                Change::Insert(r) => {
                    if self.records.contains_key(&r.id) || versions.contains_key(&r.id) {
                        return Err(StorageError::Duplicate(format!("record id {} exists", r.id)).into());
                    }
                    versions.insert(r.id, r.version);
                    self.check_auto_number(r, &mut numbers)?;
                }
                Change::Update { record, expected_version } => {
                    let current = versions.get(&record.id).copied().or_else(|| self.records.get(&record.id).map(|r| r.version));
                    match current {
                        None => return Err(Error::not_found(format!("record {}", record.id))),
                        Some(v) if v != *expected_version => {
                            return Err(Error::Conflict(format!(
                                "record {} was changed by someone else (version {v}, expected {expected_version})",
                                record.id
                            )));
                        }
                        Some(_) => {
                            versions.insert(record.id, record.version);
                        }
                    }
                    self.check_auto_number(record, &mut numbers)?;
                }
                Change::Purge { id, expected_version } => {
                    let current = self.records.get(id).map(|r| (r.deleted, r.version));
                    if current != Some((true, *expected_version)) {
                        return Err(super::purge_refused(*id, *expected_version, current));
                    }
                }
                Change::PutUser(u) => {
                    if self.users.values().any(|x| x.id != u.id && x.user_name.eq_ignore_ascii_case(&u.user_name)) {
                        return Err(StorageError::Duplicate(format!("user name '{}'", u.user_name)).into());
                    }
                }
                Change::PutGroup(g) => {
                    if self.groups.values().any(|x| x.id != g.id && x.name.eq_ignore_ascii_case(&g.name)) {
                        return Err(StorageError::Duplicate(format!("group name '{}'", g.name)).into());
                    }
                }
                Change::PutSchema { expected_version, .. } => {
                    let stored = self.schema.as_ref().map_or(0, |s| s.version);
                    if stored != *expected_version {
                        return Err(Error::Conflict(format!(
                            "the schema changed meanwhile (version {stored}, expected {expected_version})"
                        )));
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn auto_number_of(&self, r: &Record) -> Option<String> {
        let field = self.schema.as_ref()?.modules.get(&r.module)?.auto_number.as_ref()?;
        r.get(&field.field).to_text()
    }

    /// Stores a record, keeping the lookup indexes in step.
    fn put(&mut self, r: Record) {
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
        if let Some(k) = number {
            if self.numbers.get(&k) == Some(&id) {
                self.numbers.remove(&k);
            }
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

impl Store for MemoryStore {
    fn unit_is_exclusive(&self) -> bool {
        true // nothing else shares a memory store
    }

    fn load_schema(&mut self) -> Result<Option<Schema>> {
        Ok(self.schema.clone())
    }

    fn save_schema(&mut self, schema: &Schema) -> Result<()> {
        self.schema = Some(schema.clone());
        Ok(())
    }

    fn allocate_ids(&mut self, n: u64) -> Result<i64> {
        let first = self.next_id.max(1);
        let n = i64::try_from(n).map_err(|_| Error::invalid("too many ids"))?;
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

    fn commit(&mut self, changes: &ChangeSet) -> Result<()> {
        self.check(changes)?;
        for c in &changes.0 {
            match c {
                Change::Insert(r) => {
                    self.put(r.clone());
                }
                Change::Update { record, .. } => {
                    self.put(record.clone());
                }
                Change::Purge { id, .. } => {
                    self.unindex(*id);
                    self.records.remove(id);
                    self.history.retain(|h| h.record != *id);
                    self.stages.retain(|s| s.record != *id);
                    self.purge_related(*id); // links and comments go with the record
                }
                Change::History(h) => {
                    let mut h = h.clone();
                    h.id = self.history.len() as i64 + 1;
                    self.history.push(h);
                }
                Change::Stage(s) => self.stages.push(s.clone()),
                Change::PutUser(u) => {
                    self.users.insert(u.id.0, u.clone());
                }
                Change::PutGroup(g) => {
                    self.groups.insert(g.id.0, g.clone());
                }
                // ----- import/export -----
                Change::PutImport(j) => {
                    self.imports.insert(j.id, j.clone());
                }
                Change::ImportRow(r) => self.import_rows.push(r.clone()),
                Change::PutMapping(m) => {
                    self.mappings.insert((m.module.clone(), m.name.to_lowercase()), m.clone());
                }
                Change::DeleteMapping { module, name } => {
                    self.mappings.remove(&(module.clone(), name.to_lowercase()));
                }
                // ----- views, related records, settings -----
                Change::PutFilter(f) => {
                    self.filters.insert(f.id, f.clone());
                }
                Change::DeleteFilter(id) => {
                    self.filters.remove(id);
                }
                Change::AddComment(c) => self.comments.push(c.clone()),
                Change::Link(r) => {
                    self.relations.retain(|x| !same_pair(x, r.record, r.related));
                    self.relations.push(r.clone());
                }
                Change::Unlink { record, related } => self.relations.retain(|x| !same_pair(x, *record, *related)),
                Change::PutSetting { key, value } => {
                    self.settings.insert(key.clone(), value.clone());
                }
                // ----- schema customization -----
                Change::PutSchema { schema, .. } => self.schema = Some((**schema).clone()),
                Change::ClearField { module, field, actor, at } => {
                    for r in self.records.values_mut().filter(|r| r.module == *module) {
                        if let Some(before) = r.values.remove(field).and_then(|v| v.to_text()) {
                            r.version += 1;
                            let mut h = super::rewrite_entry(r.id, module, field, Some(before), None, actor, *at);
                            h.id = self.history.len() as i64 + 1;
                            self.history.push(h);
                        }
                    }
                }
                Change::ReplacePicklistValue { module, field, from, to, actor, at } => {
                    for r in self.records.values_mut().filter(|r| r.module == *module) {
                        let before = r.values.get(field).and_then(Value::to_text);
                        replace_value(&mut r.values, field, from, to.as_deref());
                        let after = r.values.get(field).and_then(Value::to_text);
                        if after != before {
                            r.version += 1;
                            let mut h = super::rewrite_entry(r.id, module, field, before, after, actor, *at);
                            h.id = self.history.len() as i64 + 1;
                            self.history.push(h);
                        }
                    }
                }
                Change::SchemaLog(e) => self.schema_log.push(e.clone()),
                // ----- workflows -----
                Change::PutWorkflow(w) => {
                    self.workflows.insert(w.id, w.clone());
                }
                Change::DeleteWorkflow(id) => {
                    self.workflows.remove(id);
                    self.once.retain(|(w, _)| w != id);
                    self.queue.retain(|_, q| q.workflow != *id);
                }
                Change::PutMail(m) => {
                    self.outbox.insert(m.id, m.clone());
                }
                Change::ActivatedOnce { workflow, record } => {
                    self.once.insert((*workflow, *record));
                }
                Change::PutQueuedTask(q) => {
                    self.queue.insert(q.id, q.clone());
                }
                Change::DeleteQueuedTask(id) => {
                    self.queue.remove(id);
                }
                // ----- lead conversion: comments follow the lead -----
                Change::MoveComments { from, to } => {
                    for c in self.comments.iter_mut().filter(|c| c.record == *from) {
                        c.record = *to;
                    }
                }
            }
        }
        Ok(())
    }

    fn get(&self, id: RecordId) -> Result<Option<Record>> {
        Ok(self.records.get(&id).cloned())
    }

    fn query(&self, q: &Query) -> Result<Vec<Record>> {
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
        Ok(v.into_iter().skip(skip).take(take).cloned().collect())
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
                *s += r.get(f).as_decimal().unwrap_or_default();
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

    fn history(&self, id: RecordId) -> Result<Vec<HistoryEntry>> {
        Ok(self.history.iter().filter(|h| h.record == id).cloned().collect())
    }

    fn stage_history(&self, id: RecordId) -> Result<Vec<StageEntry>> {
        Ok(self.stages.iter().filter(|s| s.record == id).cloned().collect())
    }

    fn users(&self) -> Result<Vec<User>> {
        Ok(self.users.values().cloned().collect())
    }

    fn groups(&self) -> Result<Vec<Group>> {
        Ok(self.groups.values().cloned().collect())
    }

    // ----- import/export -----
    fn imports(&self) -> Result<Vec<crate::io::ImportJournal>> {
        Ok(self.imports.values().cloned().collect())
    }

    fn import_rows(&self, import_id: i64) -> Result<Vec<crate::io::ImportRowFate>> {
        Ok(self.import_rows.iter().filter(|r| r.import_id == import_id).cloned().collect())
    }

    fn mappings(&self, module: &str) -> Result<Vec<crate::io::SavedMapping>> {
        Ok(self.mappings.values().filter(|m| m.module == module).cloned().collect())
    }
    // ----- views, related records, settings -----
    fn filters(&self, module: &str) -> Result<Vec<Filter>> {
        Ok(self.filters.values().filter(|f| f.module == module).cloned().collect())
    }

    fn comments(&self, record: RecordId) -> Result<Vec<Comment>> {
        let mut v: Vec<Comment> = self.comments.iter().filter(|c| c.record == record).cloned().collect();
        v.sort_by(|a, b| b.at.cmp(&a.at).then(b.id.cmp(&a.id)));
        Ok(v)
    }

    fn comment(&self, id: i64) -> Result<Option<Comment>> {
        Ok(self.comments.iter().find(|c| c.id == id).cloned())
    }

    fn relations(&self, record: RecordId, module: Option<&str>, offset: u64, limit: Option<u64>) -> Result<Vec<Relation>> {
        let skip = usize::try_from(offset).unwrap_or(usize::MAX);
        let take = limit.map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
        Ok(self.links_of(record, module).skip(skip).take(take).collect())
    }

    fn count_relations(&self, record: RecordId, module: Option<&str>) -> Result<u64> {
        Ok(self.links_of(record, module).count() as u64)
    }

    fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self.settings.get(key).cloned())
    }

    // ----- schema customization -----
    fn schema_version(&self) -> Result<Option<u64>> {
        Ok(self.schema.as_ref().map(|s| s.version))
    }

    fn schema_changes(&self) -> Result<Vec<SchemaChangeEntry>> {
        Ok(self.schema_log.clone())
    }

    // ----- workflows -----
    fn workflows(&self) -> Result<Vec<Workflow>> {
        Ok(self.workflows.values().cloned().collect())
    }

    fn outbox(&self) -> Result<Vec<Mail>> {
        Ok(self.outbox.values().cloned().collect())
    }

    fn activated_once(&self, workflow: i64, record: RecordId) -> Result<bool> {
        Ok(self.once.contains(&(workflow, record)))
    }

    fn queued_tasks(&self) -> Result<Vec<QueuedTask>> {
        let mut v: Vec<QueuedTask> = self.queue.values().cloned().collect();
        v.sort_by_key(|q| (q.due, q.id));
        Ok(v)
    }
    // ----- write path (import) -----
    fn auto_number_taken(&self, module: &crate::schema::Module, number: &str) -> Result<bool> {
        Ok(module.auto_number.is_some() && self.numbers.contains_key(&(module.name.clone(), number.to_string())))
    }
}

fn same_pair(x: &Relation, a: RecordId, b: RecordId) -> bool {
    (x.record == a && x.related == b) || (x.record == b && x.related == a)
}

impl MemoryStore {
    fn purge_related(&mut self, id: RecordId) {
        self.relations.retain(|r| r.record != id && r.related != id);
        self.comments.retain(|c| c.record != id);
    }

    /// Links of `record` seen from its side, in link order.
    fn links_of<'a>(&'a self, record: RecordId, module: Option<&'a str>) -> impl Iterator<Item = Relation> + 'a {
        self.relations.iter().filter_map(move |r| {
            let other = if r.record == record {
                r.related
            } else if r.related == record {
                r.record
            } else {
                return None;
            };
            let m = self.records.get(&other)?.module.clone();
            if module.is_some_and(|x| x != m) {
                return None;
            }
            Some(Relation { record, related: other, module: m, ..r.clone() })
        })
    }
}

/// Replaces (or with `to: None` removes) a picklist value in one record's field, single or multi-select.
fn replace_value(values: &mut BTreeMap<String, Value>, field: &str, from: &str, to: Option<&str>) {
    let new = match values.get(field) {
        Some(Value::Text(s)) if s == from => to.map(|t| Value::Text(t.to_string())),
        Some(Value::List(l)) if l.iter().any(|x| x == from) => {
            let mut out: Vec<String> = Vec::new();
            for x in l {
                let x = if x == from { to.map(str::to_string) } else { Some(x.clone()) };
                if let Some(x) = x.filter(|x| !out.contains(x)) {
                    out.push(x);
                }
            }
            (!out.is_empty()).then_some(Value::List(out))
        }
        _ => return,
    };
    match new {
        Some(v) => values.insert(field.to_string(), v),
        None => values.remove(field),
    };
}
