//! The journal of past imports (what each did to every record it touched) and undoing an import.

use crate::error::{Error, Result};
use crate::history::{ChangeKind, HistoryEntry};
use crate::io::{ImportJournal, ImportRowFate, ImportStatus, RowAction};
use crate::record::{Fields, Record};
use crate::service::Crm;
use crate::storage::{ChangeSet, ImportChange, RecordChange};
use crate::value::{RecordId, Value};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The result of [`Crm::undo_import`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct UndoReport {
    /// Records moved to the recycle bin (created rows and created references).
    pub deleted: u64,
    /// Records given back their previous values.
    pub restored: u64,
}

impl Crm {
    /// Every import (oldest first), with its counts and status.
    pub fn imports(&self) -> Result<Vec<ImportJournal>> {
        self.store.imports()
    }

    /// What an import did to each record it touched (created, overwritten, merged, created references),
    /// in file order.
    ///
    /// # Errors
    /// Storage errors.
    pub fn import_rows(&self, import_id: i64) -> Result<Vec<ImportRowFate>> {
        self.store.import_rows(import_id)
    }

    /// One page of [`Crm::import_rows`], in file order: at most `limit` rows after skipping `offset`.
    /// SQL stores read only the page.
    ///
    /// # Errors
    /// `InvalidArgument` when `limit` is 0 or above [`MAX_LOG_PAGE`](crate::limits::MAX_LOG_PAGE);
    /// storage errors.
    pub fn import_rows_page(&self, import_id: i64, offset: u64, limit: u64) -> Result<Vec<ImportRowFate>> {
        let limit = crate::limits::log_page(limit)?;
        self.store.import_rows_page(import_id, offset, limit)
    }

    /// Undoes an import: records it created (and references it created) go to the recycle bin; records it
    /// overwrote or merged get their previous values back. All or nothing, in one transaction.
    ///
    /// # Errors
    /// `NotFound` for an unknown import; `Conflict` when it was already undone or when any of its records
    /// changed since (the message lists them).
    pub fn undo_import(&mut self, import_id: i64) -> Result<UndoReport> {
        let mut journal =
            self.store.imports()?.into_iter().find(|j| j.id == import_id).ok_or_else(|| Error::not_found(format!("import {import_id}")))?;
        if journal.status == ImportStatus::Undone {
            return Err(Error::Conflict(format!("import {import_id} was already undone")));
        }
        let fates = self.store.import_rows(import_id)?;
        // Per record: the first fate (what it was before) and the last version the import left.
        let mut order: Vec<RecordId> = Vec::new();
        let mut per: HashMap<RecordId, (ImportRowFate, u64, bool)> = HashMap::new();
        for f in fates {
            let created = matches!(f.action, RowAction::Created | RowAction::CreatedReference);
            match per.get_mut(&f.record) {
                Some(e) => {
                    e.1 = f.version;
                    e.2 |= created;
                }
                None => {
                    order.push(f.record);
                    per.insert(f.record, (f.clone(), f.version, created));
                }
            }
        }
        let mut conflicts = Vec::new();
        let mut current = Vec::new();
        for id in &order {
            let Some((_, version, _)) = per.get(id) else {
                continue;
            };
            match self.store.get(*id)? {
                Some(r) if r.version == *version => current.push(r),
                Some(r) => conflicts
                    .push(format!("record {id} ({}) changed since the import (version {} now, {} then)", r.label, r.version, version)),
                None => conflicts.push(format!("record {id} no longer exists")),
            }
        }
        if !conflicts.is_empty() {
            return Err(Error::Conflict(format!("cannot undo import {import_id}: {}", conflicts.join("; "))));
        }
        let mut cs = ChangeSet::new();
        let mut out = UndoReport::default();
        let now = self.now();
        // Newest first, so that records created by the import are removed after those that refer to them.
        for r in current.into_iter().rev() {
            let Some((first, _, created)) = per.get(&r.id) else {
                continue;
            };
            if *created {
                if r.deleted {
                    continue;
                }
                let rec = Record { deleted: true, version: r.version + 1, ..r.clone() };
                cs.push(RecordChange::Update { record: rec, expected_version: r.version });
                cs.push(RecordChange::History(HistoryEntry {
                    id: 0,
                    record: r.id,
                    module: r.module.clone(),
                    actor: self.actor_name(),
                    at: now,
                    kind: ChangeKind::Deleted,
                    related: None,
                    changes: vec![],
                }));
                out.deleted += 1;
            } else {
                let prev: serde_json::Map<String, serde_json::Value> = first
                    .previous
                    .as_deref()
                    .and_then(|p| serde_json::from_str::<serde_json::Value>(p).ok())
                    .and_then(|v| v.as_object().cloned())
                    .unwrap_or_default();
                let m = self.module(&r.module)?.clone();
                let mut fields = Fields::new();
                for f in m.fields.iter().filter(|f| f.is_writable()) {
                    let before = prev.get(&f.name).map(Value::from_json).unwrap_or(Value::Null);
                    if r.get(&f.name) != &before {
                        fields.set(f.name.clone(), before);
                    }
                }
                if let Some((_, changes)) = self.plan_update(&r, Some(r.version), fields)? {
                    cs.0.extend(changes.0);
                    out.restored += 1;
                }
            }
        }
        journal.status = ImportStatus::Undone;
        cs.push(ImportChange::PutImport(journal));
        self.commit(&cs)?;
        Ok(out)
    }
}
