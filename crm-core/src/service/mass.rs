//! Mass actions: edit, delete, comment and transfer ownership of many records at once.
//!
//! Each action validates every record, then writes the records that passed — their new state, change log,
//! stage history and comments — in **one** transaction ([`Store::commit`](crate::storage::Store::commit)).
//! Records that fail (not found, in the recycle bin, invalid) are **skipped** and reported with the reason;
//! the valid ones go through. This is vtiger's behaviour for mass edit (it saves record by record and skips
//! the ones it cannot save), made atomic for the part that is written: a storage failure or a concurrent
//! change during the commit writes nothing at all and is returned as the error.
//!
//! Updates go through the same planning step as [`Crm::update`] (`plan_update`), so every rule of a single
//! save (validation, stage → probability, history, stage history, and workflows hooked into planning) applies
//! to each record. Mass edit accepts only fields marked mass-editable (vtiger's `masseditable`).
//! Unlike vtiger, ownership transfer is offered for every module with an owner, Opportunities included.

use super::Crm;
use crate::error::{Error, Result};
use crate::history::{ChangeKind, HistoryEntry};
use crate::record::{Fields, Record};
use crate::related::Comment;
use crate::storage::ChangeSet;
use crate::storage::{RecordChange, RelationChange};
use crate::value::RecordId;

/// A record a mass action skipped, and why.
#[derive(Debug)]
pub struct MassOutcome {
    /// The record.
    pub id: RecordId,
    /// Why it was skipped.
    pub error: Error,
}

/// What a mass action did.
#[derive(Debug, Default)]
pub struct MassResult {
    /// Records written (or already in the requested state), in request order.
    pub succeeded: Vec<RecordId>,
    /// Records skipped, with the reason, in request order.
    pub failed: Vec<MassOutcome>,
}

impl MassResult {
    fn fail(&mut self, id: RecordId, error: Error) {
        self.failed.push(MassOutcome { id, error });
    }
}

fn unique(ids: &[RecordId]) -> Vec<RecordId> {
    let mut seen = std::collections::HashSet::new();
    ids.iter().copied().filter(|id| seen.insert(*id)).collect()
}

impl Crm {
    /// Sets the same fields on many records.
    ///
    /// # Example
    /// ```
    /// use crm_core::{Crm, Fields, NewUser};
    /// # fn main() -> Result<(), crm_core::Error> {
    /// let mut crm = Crm::open(":memory:")?;
    /// crm.add_user(NewUser::new("admin"))?;
    /// crm.set_actor("admin")?;
    /// let deal = crm.create("Potentials", Fields::new()
    ///     .with("potentialname", "Hooli renewal")
    ///     .with("amount", "12000")
    ///     .with("sales_stage", "Prospecting")
    ///     .with("closingdate", "2027-03-31"))?;
    /// let done = crm.mass_edit(&[deal.id], Fields::new().with("leadsource", "Trade Show"))?;
    /// assert_eq!((done.succeeded, done.failed.len()), (vec![deal.id], 0));
    /// assert_eq!(crm.get(deal.id)?.get("leadsource").to_string(), "Trade Show");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// `InvalidArgument` when a field is unknown or not mass-editable in a record's module (that record
    /// fails); storage errors and `Conflict` from the commit.
    pub fn mass_edit(&mut self, ids: &[RecordId], fields: Fields) -> Result<MassResult> {
        self.mass_update(ids, |crm, r| {
            let m = crm.module(&r.module)?;
            for (name, _) in fields.iter() {
                let f = m.field_by_name_or_label(name).ok_or_else(|| Error::invalid(format!("{} has no field '{name}'", m.name)))?;
                if !f.mass_editable {
                    return Err(Error::invalid(format!("field '{}' cannot be mass edited", f.name)));
                }
            }
            Ok(fields.clone())
        })
    }

    /// Gives many records to another owner (user or group name).
    ///
    /// # Errors
    /// `NotFound` for an unknown owner; storage errors from the commit.
    pub fn mass_transfer(&mut self, ids: &[RecordId], owner: &str) -> Result<MassResult> {
        let o = self.find_owner(owner)?.ok_or_else(|| Error::not_found(format!("user or group '{owner}'")))?;
        let id = o.id().0.to_string();
        self.mass_update(ids, |crm, r| {
            if crm.module(&r.module)?.field("assigned_user_id").is_none() {
                return Err(Error::invalid(format!("{} records have no owner", r.module)));
            }
            Ok(Fields::new().with("assigned_user_id", id.as_str()))
        })
    }

    fn mass_update(&mut self, ids: &[RecordId], mut fields_for: impl FnMut(&Crm, &Record) -> Result<Fields>) -> Result<MassResult> {
        let mut out = MassResult::default();
        let mut cs = ChangeSet::new();
        for id in unique(ids) {
            let planned = self.live_visible(id).and_then(|r| {
                let f = fields_for(self, &r)?;
                self.plan_update(&r, None, f)
            });
            match planned {
                Ok(Some((_, c))) => {
                    cs.0.extend(c.0);
                    out.succeeded.push(id);
                }
                Ok(None) => out.succeeded.push(id),
                Err(e) => out.fail(id, e),
            }
        }
        self.commit(&cs)?;
        Ok(out)
    }

    /// Moves many records to the recycle bin.
    ///
    /// # Errors
    /// Storage errors and `Conflict` from the commit; per-record problems are in the result.
    pub fn mass_delete(&mut self, ids: &[RecordId]) -> Result<MassResult> {
        let mut out = MassResult::default();
        let mut cs = ChangeSet::new();
        let now = self.now();
        for id in unique(ids) {
            match self.load(id).and_then(|r| self.check_record(&r, crate::access::Action::Delete).map(|()| r)) {
                Ok(r) if r.deleted => out.fail(id, Error::Conflict(format!("record {id} is already in the recycle bin"))),
                Ok(r) => {
                    cs.push(RecordChange::History(HistoryEntry {
                        id: 0,
                        record: id,
                        module: r.module.clone(),
                        actor: self.actor_name(),
                        at: now,
                        kind: ChangeKind::Deleted,
                        related: None,
                        changes: vec![],
                    }));
                    cs.push(RecordChange::Update {
                        expected_version: r.version,
                        record: Record { deleted: true, version: r.version + 1, ..r },
                    });
                    out.succeeded.push(id);
                }
                Err(e) => out.fail(id, e),
            }
        }
        self.commit(&cs)?;
        Ok(out)
    }

    /// Adds the same comment to many records.
    ///
    /// # Errors
    /// `InvalidArgument` for an empty text; storage errors from the commit.
    pub fn mass_comment(&mut self, ids: &[RecordId], text: &str) -> Result<MassResult> {
        if text.trim().is_empty() {
            return Err(Error::invalid("a comment needs text"));
        }
        let mut out = MassResult::default();
        let mut cs = ChangeSet::new();
        for id in unique(ids) {
            match self.plan_comment(id, None, text).and_then(|c| Ok((self.comment_entry(&c)?, c))) {
                Ok((entry, c)) => {
                    cs.push(RelationChange::AddComment(c));
                    cs.push(entry);
                    out.succeeded.push(id);
                }
                Err(e) => out.fail(id, e),
            }
        }
        self.commit(&cs)?;
        Ok(out)
    }

    /// Checks the record and parent and returns the comment to store (its id reserved).
    pub(crate) fn plan_comment(&mut self, record: RecordId, parent: Option<i64>, text: &str) -> Result<Comment> {
        self.get(record)?;
        if text.trim().is_empty() {
            return Err(Error::invalid("a comment needs text"));
        }
        if let Some(p) = parent {
            let pc = self.store.comment(p)?.ok_or_else(|| Error::not_found(format!("comment {p}")))?;
            if pc.record != record {
                return Err(Error::invalid(format!("comment {p} belongs to record {}, not {record}", pc.record)));
            }
        }
        Ok(Comment { id: self.next_id()?, record, parent, author: self.actor_name(), at: self.now(), text: text.to_string() })
    }
}
