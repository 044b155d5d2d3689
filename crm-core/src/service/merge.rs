//! Merging duplicates ([`Crm::merge`]) and undoing a merged record's part when it is restored
//! (`plan_unmerge`, called by the restore).
//!
//! A merge keeps one record and, in **one** transaction:
//! * updates the kept record with the chosen values (each field from the kept record, one of the merged
//!   ones, or a literal), through the normal update pipeline (validation, workflows, change log) and the
//!   duplicate-prevention rules (the merged records do not count as duplicates);
//! * repoints every reference field of every module (activities' `parent_id`, contacts' `account_id`,
//!   quotes' `potential_id`, ...) from each merged record to the kept one, live and deleted referrers alike,
//!   each with a change-log entry;
//! * moves the merged records' many-to-many links (contacts, products, services, documents; a link the kept
//!   record already has is not doubled), comments (with their threads) and change-log entries to the kept
//!   record;
//! * writes a `merged` change-log entry on both sides and moves the merged records to the recycle bin;
//! * keeps, per merged record, a journal of what it moved ([`MergeJournal`]).
//!
//! Restoring a merged record reads its journal and moves back what the merge took from it: references
//! still pointing at the kept record, links, comments and change-log entries; the kept record's field
//! values stay as merged (its log shows where they came from) and get an `unmerged` entry. Purging a merged
//! record forgets its journal (its moved history stays with the kept record).
//!
//! vtiger's merge (`Vtiger_MergeRecord`) transfers related records and deletes the others the same way, but
//! has no undo; crm makes the restore the undo.

use super::Crm;
use crate::dedupe::{MAX_MERGED, MergeJournal, MergeReport, MergeRequest, MergeValue};
use crate::error::{Error, Result};
use crate::history::{self, ChangeKind, HistoryEntry};
use crate::query::{Condition, Query};
use crate::record::{Fields, Record};
use crate::related::Relation;
use crate::schema::FieldType;
use crate::storage::{ChangeSet, RecordChange, RelationChange};
use crate::value::{RecordId, Value};
use std::collections::{BTreeMap, HashSet};

const UNLOGGED: [&str; 2] = ["modifiedtime", "modifiedby"];

impl Crm {
    /// Merges `request.others` into `request.keep` (all live records of `module`), in one transaction: see
    /// the module documentation for everything it moves. `request.values` names, per field, where the kept
    /// record's value comes from: a record of the merge ([`MergeValue::From`]; a number that is not one of
    /// the merged ids is taken as a literal) or a literal ([`MergeValue::Value`]); an empty chosen value
    /// clears the field. Restoring a merged record undoes its part.
    ///
    /// # Example
    /// ```
    /// use crm_core::dedupe::{MergeRequest, MergeValue};
    /// use crm_core::{Crm, Fields, NewUser};
    /// # fn main() -> Result<(), crm_core::Error> {
    /// let mut crm = Crm::open(":memory:")?;
    /// crm.add_user(NewUser::new("admin"))?;
    /// crm.set_actor("admin")?;
    /// let a = crm.create("Accounts", Fields::new().with("accountname", "Hooli"))?;
    /// let b = crm.create("Accounts", Fields::new().with("accountname", "HOOLI").with("phone", "555-0100"))?;
    /// let c = crm.create("Contacts", Fields::new().with("lastname", "Belson").with("account_id", b.id))?;
    /// let request = MergeRequest {
    ///     keep: a.id,
    ///     others: vec![b.id],
    ///     values: [("phone".to_string(), MergeValue::From(b.id))].into(),
    ///     version: None,
    /// };
    /// crm.merge("Accounts", &request)?;
    /// assert_eq!(crm.get(a.id)?.get("phone").to_string(), "555-0100");
    /// assert_eq!(crm.get(c.id)?.get("account_id").as_ref_id(), Some(a.id)); // repointed
    /// assert!(crm.get(b.id).is_err()); // in the recycle bin
    /// crm.restore(b.id)?; // undoes b's part
    /// assert_eq!(crm.get(c.id)?.get("account_id").as_ref_id(), Some(b.id));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// `InvalidArgument` for no or too many ([`MAX_MERGED`]) others, the kept record among them, a record
    /// twice, or a record of another module; `NotFound` for an unknown or deleted record; `Conflict` when
    /// the kept record is not at `request.version` or another handle changed a record meanwhile;
    /// `Validation` for merged values that do not pass (including a duplicate-prevention rule matching a
    /// record outside the merge).
    pub fn merge(&mut self, module: &str, request: &MergeRequest) -> Result<MergeReport> {
        self.refresh_schema_for_write()?;
        let (schema, name) = self.module_arc(module)?;
        let m = &schema.modules[&name];
        if request.others.is_empty() || request.others.len() > MAX_MERGED {
            return Err(Error::invalid(format!("merge 1..={MAX_MERGED} records into the kept one, not {}", request.others.len())));
        }
        // Access control: the kept record must be editable and each merged one deletable by the actor
        // (unredacted records: hidden values are kept, not lost).
        let keep = self.live_visible(request.keep)?;
        self.check_record(&keep, crate::access::Action::Edit)?;
        if keep.module != m.name {
            return Err(Error::invalid(format!("record {} is a {} record, not {}", keep.id, keep.module, m.name)));
        }
        if let Some(v) = request.version
            && v != keep.version
        {
            return Err(Error::Conflict(format!("record {} is at version {}, not {v}", keep.id, keep.version)));
        }
        let mut others = Vec::with_capacity(request.others.len());
        let mut ids: HashSet<RecordId> = HashSet::from([keep.id]);
        for id in &request.others {
            if !ids.insert(*id) {
                return Err(Error::invalid(format!("record {id} is named twice in the merge")));
            }
            let r = self.live_visible(*id)?;
            self.check_record(&r, crate::access::Action::Delete)?;
            if r.module != m.name {
                return Err(Error::invalid(format!("record {id} is a {} record, not {}", r.module, m.name)));
            }
            others.push(r);
        }
        let other_ids: Vec<RecordId> = others.iter().map(|r| r.id).collect();

        // The kept record's values.
        let mut fields = Fields::new();
        for (field, source) in &request.values {
            let value = match source {
                MergeValue::From(id) if *id == keep.id => continue,
                MergeValue::From(id) => match others.iter().find(|r| r.id == *id) {
                    Some(r) => r.get(field_name(m, field)).clone(),
                    None => Value::Int(id.0),
                },
                MergeValue::Value(v) => v.clone(),
            };
            fields.set(field.clone(), value);
        }
        let mut cs = ChangeSet::new();
        let mut report = MergeReport { kept: keep.id, merged: other_ids.clone(), fields: vec![], references: 0, links: 0, comments: 0 };
        if let Some((record, planned)) = self.plan_update(&keep, Some(keep.version), fields)? {
            self.check_duplicate_rules(&record, Some(&keep), &other_ids)?;
            report.fields = history::diff(&keep.values, &record.values, &UNLOGGED).into_iter().map(|c| c.field).collect();
            cs.0.extend(planned.0);
        }

        // References from every module, grouped per referring record.
        let mut referrers: BTreeMap<RecordId, (Record, Vec<String>)> = BTreeMap::new();
        let mut journals: BTreeMap<RecordId, MergeJournal> = other_ids
            .iter()
            .map(|id| {
                (*id, MergeJournal { merged: *id, kept: keep.id, references: vec![], links: vec![], comments: vec![], history: vec![] })
            })
            .collect();
        for rm in schema.modules.values() {
            for f in rm.fields.iter().filter(|f| f.field_type == FieldType::Reference && f.references.contains(&m.name)) {
                for other in &other_ids {
                    let q = Query::new(&rm.name).filter(Condition::eq(f.name.clone(), Value::Ref(*other))).normalize(rm)?;
                    for r in self.store.query(&q)?.into_iter().chain(self.store.query(&q.in_recycle_bin())?) {
                        if ids.contains(&r.id) {
                            continue; // a reference inside the merge: left as it is
                        }
                        if let Some(j) = journals.get_mut(other) {
                            j.references.push((r.id, f.name.clone()));
                        }
                        referrers.entry(r.id).or_insert_with(|| (r, vec![])).1.push(f.name.clone());
                    }
                }
            }
        }
        for (r, fields) in referrers.values() {
            let changed: Vec<(String, Value)> = fields.iter().map(|f| (f.clone(), Value::Ref(keep.id))).collect();
            report.references += changed.len() as u64;
            cs.0.extend(self.plan_system_values(r, &changed)?.0);
        }

        // Links, comments, change log; the merged records to the recycle bin.
        let mut kept_links: HashSet<RecordId> = self.store.relations(keep.id, None, 0, None)?.into_iter().map(|l| l.related).collect();
        let now = self.now();
        let actor = self.actor_name();
        for other in &others {
            let j = journals.get_mut(&other.id).ok_or_else(|| Error::invalid("merge journal"))?;
            for l in self.store.relations(other.id, None, 0, None)? {
                cs.push(RelationChange::Unlink { record: other.id, related: l.related });
                let added = !ids.contains(&l.related) && kept_links.insert(l.related);
                if added {
                    cs.push(RelationChange::Link(Relation { record: keep.id, related: l.related, ..l.clone() }));
                    report.links += 1;
                }
                j.links.push((l, added));
            }
            j.comments = self.store.comments(other.id)?.into_iter().map(|c| c.id).collect();
            if !j.comments.is_empty() {
                report.comments += j.comments.len() as u64;
                cs.push(RelationChange::MoveCommentIds { ids: j.comments.clone(), to: keep.id });
            }
            j.history = self.store.history(other.id)?.into_iter().map(|h| h.id).collect();
            if !j.history.is_empty() {
                cs.push(RecordChange::MoveHistory { ids: j.history.clone(), to: keep.id });
            }
            cs.push(RecordChange::Update {
                record: Record { deleted: true, version: other.version + 1, ..other.clone() },
                expected_version: other.version,
            });
            for (x, y) in [(other.id, keep.id), (keep.id, other.id)] {
                let mut e = HistoryEntry::new(x, &m.name, &actor, now, ChangeKind::Merged, vec![]);
                e.related = Some(y);
                cs.push(RecordChange::History(e));
            }
            cs.push(RecordChange::PutMergeJournal(j.clone()));
        }
        self.commit(&cs)?;
        Ok(report)
    }

    /// What restoring `merged` undoes of its merge (see the module documentation); nothing when it was
    /// not merged.
    pub(crate) fn plan_unmerge(&mut self, merged: &Record) -> Result<ChangeSet> {
        let mut cs = ChangeSet::new();
        let Some(j) = self.store.merge_journal(merged.id)? else { return Ok(cs) };
        cs.push(RecordChange::DropMergeJournal(merged.id));
        let Some(kept) = self.store.get(j.kept)? else { return Ok(cs) }; // the kept record was purged
        let mut referrers: BTreeMap<RecordId, Vec<(String, Value)>> = BTreeMap::new();
        for (rid, field) in &j.references {
            referrers.entry(*rid).or_default().push((field.clone(), Value::Ref(merged.id)));
        }
        for (rid, changes) in referrers {
            let Some(r) = self.store.get(rid)? else { continue };
            let still: Vec<(String, Value)> = changes.into_iter().filter(|(f, _)| r.get(f).as_ref_id() == Some(kept.id)).collect();
            if !still.is_empty() {
                cs.0.extend(self.plan_system_values(&r, &still)?.0);
            }
        }
        let kept_links: HashSet<RecordId> = self.store.relations(kept.id, None, 0, None)?.into_iter().map(|l| l.related).collect();
        for (l, added) in &j.links {
            if self.store.entity(l.related)?.is_none() {
                continue;
            }
            if *added && kept_links.contains(&l.related) {
                cs.push(RelationChange::Unlink { record: kept.id, related: l.related });
            }
            cs.push(RelationChange::Link(Relation { record: merged.id, ..l.clone() }));
        }
        if !j.comments.is_empty() {
            cs.push(RelationChange::MoveCommentIds { ids: j.comments.clone(), to: merged.id });
        }
        if !j.history.is_empty() {
            cs.push(RecordChange::MoveHistory { ids: j.history.clone(), to: merged.id });
        }
        let mut e = HistoryEntry::new(kept.id, &kept.module, &self.actor_name(), self.now(), ChangeKind::Unmerged, vec![]);
        e.related = Some(merged.id);
        cs.push(RecordChange::History(e));
        Ok(cs)
    }

    /// A change of reference fields made by crm (not through the update pipeline): the new values, the
    /// modified stamp and a change-log entry.
    fn plan_system_values(&self, current: &Record, changes: &[(String, Value)]) -> Result<ChangeSet> {
        let now = self.now();
        let mut values = current.values.clone();
        for (f, v) in changes {
            values.insert(f.clone(), v.clone());
        }
        let m = self.module(&current.module)?;
        if m.field("modifiedtime").is_some() {
            values.insert("modifiedtime".into(), Value::DateTime(now));
        }
        if let (Some(u), Some(_)) = (&self.actor, m.field("modifiedby")) {
            values.insert("modifiedby".into(), Value::Owner(u.id));
        }
        let diff = history::diff(&current.values, &values, &UNLOGGED);
        let record = Record { version: current.version + 1, values, ..current.clone() };
        let mut cs = ChangeSet::new();
        cs.push(RecordChange::Update { record, expected_version: current.version });
        cs.push(RecordChange::History(HistoryEntry::new(current.id, &current.module, &self.actor_name(), now, ChangeKind::Updated, diff)));
        Ok(cs)
    }
}

/// The canonical name of a field given by name or label (the text itself when unknown: validation
/// reports it).
fn field_name<'a>(m: &'a crate::schema::Module, key: &'a str) -> &'a str {
    m.field_by_name_or_label(key).map_or(key, |f| f.name.as_str())
}
