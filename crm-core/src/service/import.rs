//! Import, undo, saved mappings and export through the facade.
//!
//! Every imported row goes through the same save pipeline as [`Crm::create`] / [`Crm::update`]
//! (`plan_insert` / `plan_update`: name resolution, conversion, validation, stage → probability, change log),
//! and rows are committed `batch_size` at a time: one [`Store::commit`](crate::storage::Store::commit) per
//! batch, with the import's journal and the fate of every record it touched in the same transaction. A
//! failing row is reported and does not fail its batch; if a batch commit itself fails, its rows are retried
//! one by one so only the guilty row fails. A crash leaves whole batches and an undoable import, which
//! [`Crm::resume_import_csv`] continues: the journal's row count is committed with each batch, so the rows
//! it counts are exactly the ones to skip.
//!
//! System columns: the auto-number (e.g. Opportunity Number) and Created Time are taken as vtiger takes them
//! — the number only if no other record has it (otherwise the row gets a fresh number and a note), and the
//! module's counter moves past imported numbers so later records never collide. Modified Time, Last Modified
//! By, Source, Weighted Revenue (computed) and other system fields are ignored, with one warning.
//! Imported records get `source = IMPORT`, like vtiger.
//!
//! Service additions are kept out of `records.rs`: the importer plans a normal insert and then patches
//! the planned record, its `Insert` change and its change-log entry with the imported auto-number and
//! created time (`patch`), before the batch is committed. Nothing else in the pipeline is bypassed.
//!
//! Referenced records created on the way (an "Organization Name" that does not exist, with
//! `create_missing_references`) are committed at once, each with its journal entry, so that later rows can
//! find them by name; undo removes them too. Unknown picklist values (with `add_unknown_picklist_values`)
//! are a schema change, saved at once.
//!
//! Known limits: with overwrite/merge, the last matching record is the base and other matches are left
//! alone (vtiger deletes them); failed and skipped rows are kept in the report (memory grows with them,
//! not with the file); a vCard file is read whole (cards are small), CSV is streamed.

use super::Crm;
use super::records::Mode;
use crate::error::{Error, Result};
use crate::history::{ChangeKind, HistoryEntry};
use crate::io::csv_import::{ColumnUse, CsvSource, RawRow, convert_cell, map_columns};
use crate::io::vcard::{ContactCard, parse_cards};
use crate::io::{
    Duplicates, ImportJournal, ImportOptions, ImportReport, ImportRowFate, ImportStatus, Outcome, RowAction, RowProblem, RowReport,
    SavedMapping,
};
use crate::query::{Condition, Query};
use crate::record::{Fields, Record};
use crate::schema::FieldType;
use crate::storage::{AutoNumberState, Change, ChangeSet, increment_counter};
use crate::value::{RecordId, Value, coerce};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

/// A progress callback: called with the number of data rows done so far (after every batch and at the end).
pub type Progress<'a> = Option<&'a mut dyn FnMut(u64)>;

/// The opportunity created for each new customer of a vCard import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NewCustomerOpportunity {
    /// Name template: `{name}` (contact), `{organization}` (or the contact's name when none).
    pub name_template: String,
    /// Sales stage of the new opportunity.
    pub sales_stage: String,
    /// Expected close date = today + this many days.
    pub close_in_days: u32,
}

impl Default for NewCustomerOpportunity {
    fn default() -> Self {
        Self { name_template: "{organization} - new customer".into(), sales_stage: "Prospecting".into(), close_in_days: 30 }
    }
}

/// Options of a vCard import.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct VcardImportOptions {
    /// Duplicates, match fields (e.g. `["email"]`), dry run, batch size, defaults. CSV-only keys are ignored;
    /// `create_missing_references` decides whether an unknown ORG creates an organization (vtiger: yes).
    pub import: ImportOptions,
    /// Create one opportunity per newly created contact.
    pub opportunity: Option<NewCustomerOpportunity>,
    /// Link each contact to the organization named by ORG, creating it when missing (default true, as
    /// vtiger). When false, an unknown organization is left out with a note.
    pub create_organizations: bool,
}

impl Default for VcardImportOptions {
    fn default() -> Self {
        Self { import: ImportOptions::default(), opportunity: None, create_organizations: true }
    }
}

/// The result of [`Crm::undo_import`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct UndoReport {
    /// Records moved to the recycle bin (created rows and created references).
    pub deleted: u64,
    /// Records given back their previous values.
    pub restored: u64,
}

/// One row on its way into the pipeline.
#[derive(Debug, Default)]
struct RowInput {
    line: u64,
    fields: Fields,
    /// Field → column it came from (one map per import, shared by its rows).
    columns: Arc<HashMap<String, String>>,
    /// Mapped fields whose cell was empty (cleared by overwrite).
    empty: Vec<String>,
    auto_number: Option<(String, String)>,
    created: Option<chrono::NaiveDateTime>,
    problems: Vec<RowProblem>,
    /// vCard: the organization name to link (found or created).
    organization: Option<String>,
    /// Notes carried into the row report.
    notes: Vec<RowProblem>,
}

/// A planned row waiting for its batch commit.
struct Pending {
    report: RowReport,
    changes: ChangeSet,
    record: Option<Record>,
    numbers: Vec<String>,
}

struct Run {
    module: String,
    options: ImportOptions,
    report: ImportReport,
    journal: ImportJournal,
    batch: Vec<Pending>,
    match_on: Vec<String>,
    defaults: Vec<(String, String)>,
    dry_refs: HashSet<(String, String)>,
    dry_picks: HashSet<(String, String)>,
    rows_done: u64,
    /// Rows whose match fields matched more than one record.
    ambiguous: u64,
    new_contacts: Vec<(RecordId, Option<RecordId>, String, Option<String>)>,
    opportunity: Option<NewCustomerOpportunity>,
    /// The auto-numbers of the rows in `batch` (write path: a set instead of a scan of the batch).
    batch_numbers: HashSet<String>,
}

fn problem(column: Option<&str>, field: Option<&str>, code: &str, message: impl Into<String>) -> RowProblem {
    RowProblem { column: column.map(str::to_string), field: field.map(str::to_string), code: code.into(), message: message.into() }
}

fn values_json(values: &BTreeMap<String, Value>) -> String {
    let m: serde_json::Map<String, serde_json::Value> = values.iter().map(|(k, v)| (k.clone(), v.to_json())).collect();
    serde_json::Value::Object(m).to_string()
}

impl Crm {
    /// Imports a CSV stream into a module. See [`ImportOptions`] for the choices and [`ImportReport`] for
    /// the result; every row goes through the normal save pipeline and is committed in batches.
    ///
    /// # Errors
    /// `InvalidArgument` for a file that cannot be read as CSV at all (empty, binary, wrong encoding in
    /// the first 64 KiB, a bad mapping); `NotFound` for an unknown module; storage errors. Bad rows are not
    /// errors: they are reported.
    pub fn import_csv<R: Read>(
        &mut self,
        reader: R,
        module: &str,
        options: &ImportOptions,
        progress: Progress<'_>,
    ) -> Result<ImportReport> {
        self.refresh_schema()?; // see the schema other handles stored
        // Each batch is one unit of work (one durable commit); an error rolls back the open batch only.
        let result = self.import_csv_batches(reader, module, options, progress, None);
        self.set_dry_numbers(false); // also when the run failed
        let ended = self.end_unit(result.is_ok());
        let report = result?;
        ended?;
        Ok(report)
    }

    fn import_csv_batches<R: Read>(
        &mut self,
        reader: R,
        module: &str,
        options: &ImportOptions,
        progress: Progress<'_>,
        resume: Option<ImportJournal>,
    ) -> Result<ImportReport> {
        let mut progress = progress;
        // ----- resume: continue an interrupted import's journal, skipping the rows it has -----
        let mut to_skip = resume.as_ref().map_or(0, |j| j.rows);
        let mut run = match resume {
            Some(j) => self.resume_run(j, options.clone())?,
            None => self.start_run(module, "csv", options.clone(), None)?,
        };
        let m = self.module(&run.module)?.clone();
        let mut src = CsvSource::open(reader, options)?;
        let uses = map_columns(&m, &src.headers, options)?;
        let mut ignored = Vec::new();
        for (h, u) in src.headers.iter().zip(&uses) {
            let field = match u {
                ColumnUse::Field(f) | ColumnUse::AutoNumber(f) => Some(f.clone()),
                ColumnUse::CreatedTime => Some("createdtime".to_string()),
                ColumnUse::Ignored(f) => {
                    ignored.push(format!("{h} ({f})"));
                    None
                }
                ColumnUse::Unmapped => None,
            };
            run.report.mapping.push((h.clone(), field));
        }
        if !ignored.is_empty() {
            run.report.warnings.push(format!("columns of system or computed fields are ignored: {}", ignored.join(", ")));
        }
        let unmapped: Vec<&String> = src.headers.iter().zip(&uses).filter(|(_, u)| **u == ColumnUse::Unmapped).map(|(h, _)| h).collect();
        if !unmapped.is_empty() {
            run.report.warnings.push(format!(
                "columns that match no field are ignored: {}",
                unmapped.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            ));
        }
        if !uses.iter().any(|u| matches!(u, ColumnUse::Field(_))) {
            return Err(Error::invalid("no column maps to a field of the module; give a mapping"));
        }
        let columns: Arc<HashMap<String, String>> = Arc::new(
            src.headers
                .iter()
                .zip(&uses)
                .filter_map(|(h, u)| match u {
                    ColumnUse::Field(f) => Some((f.clone(), h.clone())),
                    _ => None,
                })
                .collect(),
        );
        let an_state = self.auto_number(&m.name).ok();
        while let Some(raw) = src.next_row()? {
            if to_skip > 0 {
                to_skip -= 1;
                continue;
            }
            if run.report.rows >= run.options.max_rows {
                let line = match raw {
                    RawRow::Empty { line } | RawRow::Cells { line, .. } => line,
                };
                self.stop_at_row_limit(&mut run, line);
                break;
            }
            run.report.rows += 1;
            let input = match raw {
                RawRow::Empty { line } => {
                    self.finish_row(&mut run, line, Outcome::Skipped, None, vec![problem(None, None, "empty", "empty line")]);
                    continue;
                }
                RawRow::Cells { line, cells } => self.row_input(&m, (&src.headers, &uses, &columns), line, cells, &run.options),
            };
            if input.fields.is_empty() && input.problems.is_empty() && input.auto_number.is_none() {
                self.finish_row(
                    &mut run,
                    input.line,
                    Outcome::Skipped,
                    None,
                    vec![problem(None, None, "empty", "every mapped cell is empty")],
                );
                continue;
            }
            if !run.options.dry_run {
                self.begin_unit()?;
            }
            self.process_row(&mut run, input)?;
            if run.batch.len() >= run.options.batch_size.max(1) {
                self.flush(&mut run)?;
                self.end_unit(true)?;
                if let Some(p) = progress.as_mut() {
                    p(run.rows_done_total());
                }
            }
        }
        self.finish_run(&mut run, an_state)?;
        if let Some(p) = progress.as_mut() {
            p(run.report.rows);
        }
        Ok(run.report)
    }

    /// [`Crm::import_csv`] from a file path.
    ///
    /// # Errors
    /// As [`Crm::import_csv`], plus `Storage(Io)` when the file cannot be opened.
    pub fn import_csv_file(
        &mut self,
        path: impl AsRef<Path>,
        module: &str,
        options: &ImportOptions,
        progress: Progress<'_>,
    ) -> Result<ImportReport> {
        let f = std::fs::File::open(path.as_ref()).map_err(crate::error::StorageError::Io)?;
        self.import_csv(std::io::BufReader::new(f), module, options, progress)
    }

    /// Imports vCards (2.1, 3.0, 4.0) as Contacts, each linked to its organization (ORG, found by name or
    /// created), optionally with one new opportunity per new contact. A broken card is reported with its
    /// position; the others import. The file is decoded with `options.import.encoding` (default UTF-8).
    /// The file is read whole: at most [`MAX_VCARD_FILE_BYTES`](crate::io::vcard::MAX_VCARD_FILE_BYTES).
    ///
    /// # Errors
    /// `InvalidArgument` for a file with no card (empty, binary) or too large, or options out of range
    /// (naming the option); storage errors. Garbage lines between cards fail one by one with their line.
    pub fn import_vcard<R: Read>(&mut self, reader: R, options: &VcardImportOptions, progress: Progress<'_>) -> Result<ImportReport> {
        let out = self.import_vcard_run(reader, options, progress);
        self.set_dry_numbers(false); // a dry run counts auto-numbers until here, also when it failed
        out
    }

    fn import_vcard_run<R: Read>(&mut self, mut reader: R, options: &VcardImportOptions, progress: Progress<'_>) -> Result<ImportReport> {
        self.refresh_schema()?; // see the schema other handles stored
        let mut progress = progress;
        let mut bytes = Vec::new();
        let limit = crate::io::vcard::MAX_VCARD_FILE_BYTES;
        (&mut reader).take(limit + 1).read_to_end(&mut bytes).map_err(|e| Error::invalid(format!("cannot read the file: {e}")))?;
        if bytes.len() as u64 > limit {
            return Err(Error::invalid(format!("the vCard file is larger than {limit} bytes; split it or import it as CSV")));
        }
        if bytes.iter().all(|b| b.is_ascii_whitespace()) || bytes == b"\xEF\xBB\xBF" {
            return Err(Error::invalid("the file is empty"));
        }
        options.import.validate()?;
        let (text, _, _) = options.import.encoding.codec().decode(&bytes);
        if !crate::io::vcard::has_card(&text) {
            return Err(Error::invalid("no BEGIN:VCARD found: not a vCard file"));
        }
        if let Some(o) = &options.opportunity {
            crate::io::options::close_date(self.now().date(), o.close_in_days)?;
        }
        let mut run = self.start_run("Contacts", "vcard", options.import.clone(), options.opportunity.clone())?;
        let create_orgs = options.create_organizations;
        let an_state = self.auto_number("Contacts").ok();
        for (pos, card) in parse_cards(&text) {
            if run.report.rows >= run.options.max_rows {
                self.stop_at_row_limit(&mut run, pos);
                break;
            }
            run.report.rows += 1;
            let input = match card {
                Err(msg) => RowInput { line: pos, problems: vec![problem(None, None, "invalid_card", msg)], ..Default::default() },
                Ok(c) => contact_input(pos, c),
            };
            let mut input = input;
            if let Some(org) = input.organization.take() {
                if self.resolve_reference(&["Accounts".to_string()], &org)?.is_some() || create_orgs {
                    input.fields.set("account_id", format!("Accounts::::{org}"));
                    run.options.create_missing_references = create_orgs;
                } else {
                    input.notes.push(problem(
                        None,
                        Some("account_id"),
                        "organization_not_found",
                        format!("no organization named '{org}'; the contact is imported without one"),
                    ));
                }
            }
            self.process_row(&mut run, input)?;
            if run.batch.len() >= run.options.batch_size.max(1) {
                self.flush(&mut run)?;
                if let Some(p) = progress.as_mut() {
                    p(run.rows_done_total());
                }
            }
        }
        self.finish_run(&mut run, an_state)?;
        if let Some(p) = progress.as_mut() {
            p(run.report.rows);
        }
        Ok(run.report)
    }

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
                cs.push(Change::Update { record: rec, expected_version: r.version });
                cs.push(Change::History(HistoryEntry {
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
        cs.push(Change::PutImport(journal));
        self.commit(&cs)?;
        Ok(out)
    }

    /// Saves (or replaces) a named column mapping of a module.
    ///
    /// # Errors
    /// `NotFound` for an unknown module; `InvalidArgument` for an empty name or a field the module lacks.
    pub fn save_mapping(&mut self, module: &str, name: &str, mapping: &BTreeMap<String, String>) -> Result<()> {
        let m = self.module(module)?;
        if name.trim().is_empty() {
            return Err(Error::invalid("a mapping needs a name"));
        }
        for f in mapping.values().filter(|f| !f.trim().is_empty()) {
            if m.field_by_name_or_label(f).is_none()
                && crate::io::csv_import::map_columns(m, std::slice::from_ref(f), &ImportOptions::default())?.first()
                    == Some(&ColumnUse::Unmapped)
            {
                return Err(Error::invalid(format!("{} has no field '{f}'", m.name)));
            }
        }
        let sm = SavedMapping { module: m.name.clone(), name: name.trim().to_string(), mapping: mapping.clone() };
        self.commit(&ChangeSet(vec![Change::PutMapping(sm)]))
    }

    /// The saved mappings of a module, by name.
    pub fn mappings(&self, module: &str) -> Result<Vec<SavedMapping>> {
        let m = self.module(module)?;
        self.store.mappings(&m.name)
    }

    /// Deletes a saved mapping.
    ///
    /// # Errors
    /// `NotFound` when the module has no mapping of that name.
    pub fn delete_mapping(&mut self, module: &str, name: &str) -> Result<()> {
        let m = self.module(module)?.name.clone();
        let found = self.store.mappings(&m)?.into_iter().find(|x| x.name.eq_ignore_ascii_case(name.trim()));
        let Some(found) = found else {
            return Err(Error::not_found(format!("mapping '{name}' of {m}")));
        };
        self.commit(&ChangeSet(vec![Change::DeleteMapping { module: m, name: found.name }]))
    }

    // ----- the run -----

    fn start_run(&mut self, module: &str, kind: &str, options: ImportOptions, opportunity: Option<NewCustomerOpportunity>) -> Result<Run> {
        let m = self.module(module)?.clone();
        let mut match_on = Vec::new();
        for f in &options.match_on {
            let field = m.field_by_name_or_label(f).ok_or_else(|| Error::invalid(format!("match_on: {} has no field '{f}'", m.name)))?;
            match_on.push(field.name.clone());
        }
        let mut defaults = Vec::new();
        for (k, v) in &options.defaults {
            let field = m.field_by_name_or_label(k).ok_or_else(|| Error::invalid(format!("defaults: {} has no field '{k}'", m.name)))?;
            defaults.push((field.name.clone(), v.clone()));
        }
        let id = if options.dry_run { 0 } else { self.next_id()? };
        // A dry run plans with the auto-numbers it would take, without reserving them.
        self.set_dry_numbers(options.dry_run);
        let journal = ImportJournal {
            id,
            module: m.name.clone(),
            kind: kind.into(),
            actor: self.actor_name(),
            at: self.now(),
            status: ImportStatus::Running,
            rows: 0,
            created: 0,
            updated: 0,
            merged: 0,
            skipped: 0,
            failed: 0,
        };
        if !options.dry_run {
            self.commit(&ChangeSet(vec![Change::PutImport(journal.clone())]))?;
        }
        let report = ImportReport { import_id: id, dry_run: options.dry_run, ..Default::default() };
        Ok(Run {
            module: m.name.clone(),
            options,
            report,
            journal,
            batch: vec![],
            match_on,
            defaults,
            dry_refs: HashSet::new(),
            dry_picks: HashSet::new(),
            rows_done: 0,
            ambiguous: 0,
            new_contacts: vec![],
            opportunity,
            batch_numbers: HashSet::new(),
        })
    }

    fn finish_run(&mut self, run: &mut Run, an_state: Option<AutoNumberState>) -> Result<()> {
        self.flush(run)?;
        if run.ambiguous > 0 {
            run.report.warnings.push(format!(
                "{} rows matched more than one existing record; each used the newest match (highest id) and left the others unchanged",
                run.ambiguous
            ));
        }
        if run.options.dry_run {
            // A dry run counted auto-numbers without reserving them (see `start_run`): nothing to give back.
            let _ = an_state;
            self.set_dry_numbers(false);
            return Ok(());
        }
        run.journal.status = ImportStatus::Completed;
        self.sync_journal(run);
        self.commit(&ChangeSet(vec![Change::PutImport(run.journal.clone())]))
    }

    fn sync_journal(&self, run: &mut Run) {
        set_journal_counts(&mut run.journal, &run.report);
    }

    /// Records a row that needs no write (failed, skipped, or anything in a dry run).
    /// The row (or card) at `line` is past `max_rows`: it and the rest of the file are not read.
    fn stop_at_row_limit(&self, run: &mut Run, line: u64) {
        let max = run.options.max_rows;
        run.report
            .warnings
            .push(format!("the file has more than {max} rows (limit max_rows); the rest, from line {line} on, was not imported"));
        run.report.count(Outcome::Failed);
        run.report.rows += 1;
        run.report.row_reports.push(RowReport {
            line,
            outcome: Outcome::Failed,
            record: None,
            fields: vec![],
            problems: vec![problem(
                None,
                None,
                "limit",
                format!("more than {max} rows (limit max_rows): this row and the rest were not read"),
            )],
        });
    }

    fn finish_row(&self, run: &mut Run, line: u64, outcome: Outcome, record: Option<RecordId>, problems: Vec<RowProblem>) {
        run.report.count(outcome);
        run.rows_done += 1;
        if run.options.dry_run || matches!(outcome, Outcome::Failed | Outcome::Skipped) || !problems.is_empty() {
            run.report.row_reports.push(RowReport { line, outcome, record, fields: vec![], problems });
        }
    }

    fn row_input(
        &self,
        m: &crate::schema::Module,
        (headers, uses, columns): (&[String], &[ColumnUse], &Arc<HashMap<String, String>>),
        line: u64,
        cells: Vec<String>,
        o: &ImportOptions,
    ) -> RowInput {
        let mut input = RowInput { line, columns: Arc::clone(columns), ..Default::default() };
        if cells.len() != headers.len() {
            input.problems.push(problem(
                None,
                None,
                "columns",
                format!("expected {} columns, found {} (a missing delimiter or an unclosed quote?)", headers.len(), cells.len()),
            ));
            return input;
        }
        for ((cell, h), u) in cells.iter().zip(headers).zip(uses) {
            if cell.contains('\u{fffd}') {
                input.problems.push(problem(
                    Some(h),
                    None,
                    "encoding",
                    format!("column {h} has bytes that are not valid {:?}; wrong encoding?", o.encoding),
                ));
                continue;
            }
            match u {
                ColumnUse::Field(name) => {
                    let Some(f) = m.field(name) else { continue };
                    match convert_cell(f, cell, o) {
                        Ok(v) if v.is_empty() => input.empty.push(name.clone()),
                        Ok(v) => input.fields.set(name.clone(), v),
                        Err(e) => input.problems.push(problem(Some(h), Some(&e.field), e.code.as_str(), e.message)),
                    }
                }
                ColumnUse::AutoNumber(name) if !cell.trim().is_empty() => input.auto_number = Some((name.clone(), cell.trim().to_string())),
                ColumnUse::CreatedTime if !cell.trim().is_empty() => {
                    if let Some(f) = m.field("createdtime")
                        && let Ok(Value::DateTime(dt)) = convert_cell(f, cell, o)
                    {
                        input.created = Some(dt);
                    }
                }
                _ => {}
            }
        }
        input
    }

    /// Plans one row as one save: the stored schema is checked first, and references, duplicates and the
    /// record itself see the caches checked against the store once (one freshness read per row instead of
    /// one per lookup).
    fn process_row(&mut self, run: &mut Run, input: RowInput) -> Result<()> {
        self.in_one_save(|crm| {
            crm.refresh_schema_for_write()?;
            crm.plan_row(run, input)
        })
    }

    fn plan_row(&mut self, run: &mut Run, mut input: RowInput) -> Result<()> {
        let line = input.line;
        if !input.problems.is_empty() {
            self.finish_row(run, line, Outcome::Failed, None, std::mem::take(&mut input.problems));
            return Ok(());
        }
        let (schema, mname) = self.module_arc(&run.module)?;
        let m = schema.modules.get(&mname).ok_or_else(|| Error::not_found(format!("module '{mname}'")))?;
        let col = |input: &RowInput, f: &str| input.columns.get(f).cloned();
        let mut notes: Vec<RowProblem> = Vec::new();
        let mut problems: Vec<RowProblem> = Vec::new();
        // Defaults for empty cells and unmapped fields.
        let mut defaulted = HashSet::new();
        for (f, v) in run.defaults.clone() {
            if input.fields.get(&f).is_none_or(Value::is_empty)
                && let Some(field) = m.field(&f)
            {
                match convert_cell(field, &v, &run.options) {
                    Ok(val) => {
                        input.fields.set(f.clone(), val);
                        input.empty.retain(|e| e != &f);
                        defaulted.insert(f);
                    }
                    Err(e) => problems.push(problem(None, Some(&f), e.code.as_str(), format!("default: {}", e.message))),
                }
            }
        }
        notes.append(&mut input.notes);
        // Picklists: unknown values are added when allowed (only the unknown items are collected).
        let unknown: Vec<(String, Vec<String>)> = input
            .fields
            .iter()
            .filter_map(|(name, v)| {
                let pl = m.field(name)?.picklist_name().and_then(|p| schema.picklist(p))?;
                let items: Vec<String> = match v {
                    Value::Text(s) => vec![s.trim().to_string()],
                    Value::List(l) => l.clone(),
                    _ => vec![],
                };
                let items: Vec<String> = items.into_iter().filter(|i| !i.is_empty() && pl.find_ignore_case(i).is_none()).collect();
                (!items.is_empty()).then(|| (name.clone(), items))
            })
            .collect();
        for (name, items) in &unknown {
            let Some(f) = m.field(name) else { continue };
            let Some(pl) = f.picklist_name().and_then(|p| schema.picklist(p)) else {
                continue;
            };
            for item in items.iter().cloned() {
                if !run.options.add_unknown_picklist_values {
                    continue; // the pipeline reports it
                }
                if run.options.dry_run {
                    if run.dry_picks.insert((pl.name.clone(), item.to_lowercase())) {
                        run.report.picklist_values_added.push(format!("{}: {item}", f.name));
                    }
                    notes.push(problem(
                        col(&input, name).as_deref(),
                        Some(name),
                        "would_add_picklist_value",
                        format!("would add '{item}' to {}", f.label),
                    ));
                    // Validate the rest of the row as if the value existed: a known value stands in for it.
                    match (input.fields.get(name).cloned().unwrap_or_default(), pl.values.first()) {
                        (Value::List(l), _) => {
                            let keep: Vec<String> = l.iter().filter(|x| !x.eq_ignore_ascii_case(&item)).cloned().collect();
                            input.fields.set(name.clone(), Value::List(keep));
                        }
                        (_, Some(first)) => input.fields.set(name.clone(), Value::Text(first.value.clone())),
                        (_, None) => {
                            input.fields.0.remove(name);
                        }
                    }
                    continue;
                }
                // A logged schema change, as the picklist editor makes it.
                match self.add_picklist_values(&mname, name, &[item.as_str()]) {
                    Ok(_) => run.report.picklist_values_added.push(format!("{}: {item}", f.name)),
                    Err(e @ Error::Storage(_)) => return Err(e),
                    Err(e) => {
                        notes.push(problem(col(&input, name).as_deref(), Some(name), "picklist", format!("cannot add '{item}': {e}")))
                    }
                }
            }
        }
        // Added picklist values changed the schema: read the module again only then.
        let schema = if unknown.is_empty() { schema } else { self.module_arc(&run.module)?.0 };
        let m = schema.modules.get(&mname).ok_or_else(|| Error::not_found(format!("module '{mname}'")))?;
        // References: resolve by name, create the missing ones when allowed.
        let names: Vec<(String, String)> = input
            .fields
            .iter()
            .filter(|(name, _)| m.field(name).is_some_and(|f| f.field_type == FieldType::Reference))
            .filter_map(|(name, v)| match v {
                Value::Text(t) => Some((name.clone(), t.clone())),
                _ => None,
            })
            .collect();
        for (name, text) in names {
            let Some(f) = m.field(&name) else { continue };
            let text = &text;
            if text.trim().parse::<i64>().is_ok() {
                continue;
            }
            if let Some(id) = self.resolve_reference_cached(&f.references, text)? {
                input.fields.set(name.clone(), Value::Ref(id));
                continue;
            }
            let (prefix, ref_name) = super::records::strip_module_prefix(text);
            let target = match prefix {
                Some(p) => f.references.iter().find(|r| r.eq_ignore_ascii_case(p)).cloned(),
                None => f.references.first().cloned(),
            };
            let Some(target) = target else {
                problems.push(problem(
                    col(&input, &name).as_deref(),
                    Some(&name),
                    "invalid_reference",
                    format!("'{text}' is not a {} reference", f.references.join(" or ")),
                ));
                continue;
            };
            if !run.options.create_missing_references {
                continue; // the pipeline reports it
            }
            if run.options.dry_run {
                if run.dry_refs.insert((target.clone(), ref_name.to_lowercase())) {
                    run.report.references_created += 1;
                }
                notes.push(problem(
                    col(&input, &name).as_deref(),
                    Some(&name),
                    "would_create_reference",
                    format!("would create {target} '{ref_name}'"),
                ));
                input.fields.0.remove(&name);
                continue;
            }
            match self.create_reference(run, &target, ref_name, line)? {
                Ok(id) => input.fields.set(name.clone(), Value::Ref(id)),
                Err(msg) => problems.push(problem(col(&input, &name).as_deref(), Some(&name), "invalid_reference", msg)),
            }
        }
        if !problems.is_empty() {
            self.finish_row(run, line, Outcome::Failed, None, problems);
            return Ok(());
        }
        // Duplicates.
        let existing =
            if run.options.duplicates != Duplicates::Create && !run.match_on.is_empty() { self.find_duplicate(run, &input)? } else { None };
        if let Some(existing) = existing {
            let outcome = match run.options.duplicates {
                Duplicates::Skip => {
                    let msg = format!("duplicate of record {} ({})", existing.id, existing.label);
                    self.finish_row(run, line, Outcome::Skipped, Some(existing.id), vec![problem(None, None, "duplicate", msg)]);
                    return Ok(());
                }
                Duplicates::Merge => Outcome::Merged,
                _ => Outcome::Updated,
            };
            let mut fields = input.fields.clone();
            if outcome == Outcome::Merged {
                for f in &defaulted {
                    if !existing.get(f).is_empty() {
                        fields.0.remove(f);
                    }
                }
            } else {
                for f in &input.empty {
                    fields.set(f.clone(), Value::Null);
                }
            }
            return match self.plan_update(&existing, Some(existing.version), fields) {
                Ok(None) => {
                    self.finish_row(run, line, outcome, Some(existing.id), notes);
                    Ok(())
                }
                Ok(Some((record, mut cs))) => {
                    let changed: Vec<String> = record
                        .values
                        .iter()
                        .filter(|(k, v)| existing.get(k) != *v && *k != "modifiedtime" && *k != "modifiedby")
                        .map(|(k, _)| k.clone())
                        .collect();
                    let mut changed = changed;
                    changed.extend(existing.values.keys().filter(|k| !record.values.contains_key(*k)).cloned());
                    let action = if outcome == Outcome::Merged { RowAction::Merged } else { RowAction::Updated };
                    cs.push(Change::ImportRow(ImportRowFate {
                        import_id: run.journal.id,
                        line,
                        record: record.id,
                        action,
                        previous: Some(values_json(&existing.values)),
                        version: record.version,
                    }));
                    self.queue(
                        run,
                        Pending {
                            report: RowReport { line, outcome, record: Some(record.id), fields: changed, problems: notes },
                            changes: cs,
                            record: Some(record),
                            numbers: vec![],
                        },
                    )
                }
                Err(e) => self.row_error(run, &input, e, notes),
            };
        }
        // Create.
        match self.plan_insert(&mname, std::mem::take(&mut input.fields), Mode::Create, "IMPORT") {
            Ok((mut record, mut cs)) => {
                let mut numbers = Vec::new();
                if let (Some(an), Some(generated)) =
                    (&m.auto_number, record.get(&m.auto_number.as_ref().map(|a| a.field.clone()).unwrap_or_default()).to_text())
                {
                    let mut number = generated;
                    if let Some((_, wanted)) = &input.auto_number {
                        if self.auto_number_free(run, &m.name, &an.field, wanted)? {
                            number = wanted.clone();
                            patch(&mut record, &mut cs, &an.field, Value::Text(number.clone()));
                            self.move_counter_past(&m.name, wanted)?;
                        } else {
                            notes.push(problem(
                                col(&input, &an.field).as_deref(),
                                Some(&an.field),
                                "auto_number_taken",
                                format!("{wanted} is taken; numbered {number} instead"),
                            ));
                        }
                    }
                    numbers.push(number);
                }
                if let Some(dt) = input.created {
                    patch(&mut record, &mut cs, "createdtime", Value::DateTime(dt));
                }
                cs.push(Change::ImportRow(ImportRowFate {
                    import_id: run.journal.id,
                    line,
                    record: record.id,
                    action: RowAction::Created,
                    previous: None,
                    version: record.version,
                }));
                // Only a dry run reports the fields of a created row (a real run drops them at the commit).
                let fields: Vec<String> = if run.options.dry_run { record.values.keys().cloned().collect() } else { vec![] };
                self.queue(
                    run,
                    Pending {
                        report: RowReport { line, outcome: Outcome::Created, record: Some(record.id), fields, problems: notes },
                        changes: cs,
                        record: Some(record),
                        numbers,
                    },
                )
            }
            Err(e) => self.row_error(run, &input, e, notes),
        }
    }

    fn row_error(&mut self, run: &mut Run, input: &RowInput, e: Error, mut notes: Vec<RowProblem>) -> Result<()> {
        match e {
            Error::Validation(v) => {
                for fe in v.errors() {
                    notes.push(problem(
                        input.columns.get(&fe.field).map(String::as_str),
                        Some(&fe.field),
                        fe.code.as_str(),
                        fe.message.clone(),
                    ));
                }
            }
            Error::Conflict(msg) | Error::NotFound(msg) | Error::InvalidArgument(msg) => notes.push(problem(None, None, "conflict", msg)),
            other => return Err(other),
        }
        self.finish_row(run, input.line, Outcome::Failed, None, notes);
        Ok(())
    }

    fn queue(&mut self, run: &mut Run, p: Pending) -> Result<()> {
        if run.options.dry_run {
            let Pending { report, .. } = p;
            run.report.count(report.outcome);
            run.rows_done += 1;
            run.report
                .row_reports
                .push(RowReport { record: if report.outcome == Outcome::Created { None } else { report.record }, ..report });
            return Ok(());
        }
        run.batch_numbers.extend(p.numbers.iter().cloned());
        run.batch.push(p);
        Ok(())
    }

    /// Commits the pending rows in one transaction (with the journal); on failure, row by row.
    fn flush(&mut self, run: &mut Run) -> Result<()> {
        if run.batch.is_empty() {
            return Ok(());
        }
        let mut batch = std::mem::take(&mut run.batch);
        run.batch_numbers.clear();
        // The rows' changes are moved (not copied) into one change set; on failure they are handed back.
        let mut cs = ChangeSet::new();
        let mut lens = Vec::with_capacity(batch.len());
        for p in &mut batch {
            lens.push(p.changes.0.len());
            cs.0.append(&mut p.changes.0);
        }
        // The journal as it stands once the batch is in.
        let mut counts = run.report.counters();
        for p in &batch {
            counts.count(p.report.outcome);
        }
        let mut j = run.journal.clone();
        set_journal_counts(&mut j, &counts);
        cs.push(Change::PutImport(j));
        let ok: Vec<bool> = match self.commit(&cs) {
            Ok(()) => vec![true; batch.len()],
            Err(Error::Storage(crate::error::StorageError::Io(e))) => {
                return Err(Error::Storage(crate::error::StorageError::Io(e)));
            }
            Err(_) => {
                let mut changes = cs.0.into_iter();
                let mut ok = Vec::with_capacity(batch.len());
                for (p, n) in batch.iter_mut().zip(&lens) {
                    p.changes.0 = changes.by_ref().take(*n).collect();
                    ok.push(self.commit(&p.changes).is_ok());
                }
                ok
            }
        };
        for (p, ok) in batch.into_iter().zip(ok) {
            if ok {
                if let (Some(r), Some(o)) = (&p.record, &run.opportunity)
                    && p.report.outcome == Outcome::Created
                    && r.module == "Contacts"
                {
                    run.new_contacts.push((r.id, r.get("account_id").as_ref_id(), r.label.clone(), Some(o.name_template.clone())));
                }
                let Pending { report, .. } = p;
                run.report.count(report.outcome);
                run.rows_done += 1;
                if !report.problems.is_empty() {
                    run.report.row_reports.push(RowReport { fields: vec![], ..report });
                }
            } else {
                let line = p.report.line;
                self.finish_row(run, line, Outcome::Failed, None, vec![problem(None, None, "storage", "the row could not be stored")]);
            }
        }
        self.sync_journal(run);
        if !run.new_contacts.is_empty() {
            self.create_opportunities(run)?;
        }
        if !run.options.dry_run {
            let j = run.journal.clone();
            self.commit(&ChangeSet(vec![Change::PutImport(j)]))?;
        }
        Ok(())
    }

    fn create_opportunities(&mut self, run: &mut Run) -> Result<()> {
        let Some(o) = run.opportunity.clone() else {
            return Ok(());
        };
        let contacts = std::mem::take(&mut run.new_contacts);
        let close = crate::io::options::close_date(self.now().date(), o.close_in_days)?;
        for (contact, org, name, _) in contacts {
            let org_name = match org {
                Some(id) => self.store.get(id)?.map(|r| r.label).unwrap_or_else(|| name.clone()),
                None => name.clone(),
            };
            let title = o.name_template.replace("{name}", &name).replace("{organization}", &org_name);
            let mut f = Fields::new()
                .with("potentialname", title)
                .with("sales_stage", o.sales_stage.as_str())
                .with("closingdate", close)
                .with("contact_id", contact);
            if let Some(org) = org {
                f.set("related_to", org);
            }
            match self.plan_insert("Potentials", f, Mode::Create, "IMPORT") {
                Ok((r, mut cs)) => {
                    cs.push(Change::ImportRow(ImportRowFate {
                        import_id: run.journal.id,
                        line: 0,
                        record: r.id,
                        action: RowAction::CreatedReference,
                        previous: None,
                        version: r.version,
                    }));
                    self.commit(&cs)?;
                    run.report.references_created += 1;
                }
                Err(e) => run.report.warnings.push(format!("no opportunity for contact {contact}: {e}")),
            }
        }
        Ok(())
    }

    /// Creates a missing referenced record by name (first name / last name split for people), journalled.
    fn create_reference(&mut self, run: &mut Run, module: &str, name: &str, line: u64) -> Result<std::result::Result<RecordId, String>> {
        let (schema, mname) = self.module_arc(module)?;
        let m = schema.modules.get(&mname).ok_or_else(|| Error::not_found(format!("module '{mname}'")))?;
        let mut f = Fields::new();
        match m.entity_fields.as_slice() {
            [one] => f.set(one.clone(), name),
            [first, last, ..] => match name.trim().rsplit_once(' ') {
                Some((a, b)) => {
                    f.set(first.clone(), a.trim());
                    f.set(last.clone(), b.trim());
                }
                None => f.set(last.clone(), name),
            },
            [] => return Ok(Err(format!("{module} records have no name field"))),
        }
        match self.plan_insert(&m.name, f, Mode::Create, "IMPORT") {
            Ok((r, mut cs)) => {
                cs.push(Change::ImportRow(ImportRowFate {
                    import_id: run.journal.id,
                    line,
                    record: r.id,
                    action: RowAction::CreatedReference,
                    previous: None,
                    version: r.version,
                }));
                self.commit(&cs)?;
                run.report.references_created += 1;
                Ok(Ok(r.id))
            }
            Err(Error::Validation(v)) => Ok(Err(format!("cannot create {} '{name}': {v}", m.name))),
            Err(e) => Err(e),
        }
    }

    /// The newest (highest id) live record whose match fields all equal the row's (committed or pending in
    /// this batch); rows with several matches are counted for the report's warning.
    fn find_duplicate(&mut self, run: &mut Run, input: &RowInput) -> Result<Option<Record>> {
        let m = self.module(&run.module)?.clone();
        let mut wanted: Vec<(String, Value)> = Vec::new();
        for name in &run.match_on {
            let Some(f) = m.field(name) else {
                return Ok(None);
            };
            let raw = input.fields.get(name).cloned().unwrap_or_default();
            let v = match (&f.field_type, raw) {
                (FieldType::Owner, Value::Text(s)) if s.trim().parse::<i64>().is_err() => match self.find_owner(&s)? {
                    Some(o) => Value::Owner(o.id()),
                    None => return Ok(None),
                },
                (_, v) => match coerce(f, v) {
                    Ok(v) => v,
                    Err(_) => return Ok(None),
                },
            };
            if v.is_empty() {
                return Ok(None);
            }
            // Picklist text in the stored spelling.
            let v = match (&v, f.picklist_name().and_then(|p| self.schema.picklist(p))) {
                (Value::Text(s), Some(p)) => p.find_ignore_case(s).map(|x| Value::Text(x.value.clone())).unwrap_or(v),
                _ => v,
            };
            wanted.push((name.clone(), v));
        }
        let pending =
            run.batch.iter().rev().filter_map(|p| p.record.as_ref()).find(|r| wanted.iter().all(|(f, v)| r.get(f) == v)).map(|r| r.id);
        if pending.is_some() {
            self.flush(run)?;
        }
        let mut cond: Option<Condition> = None;
        for (f, v) in &wanted {
            let c = Condition::eq(f.clone(), v.clone());
            cond = Some(match cond {
                None => c,
                Some(x) => x.and(c),
            });
        }
        let Some(cond) = cond else { return Ok(None) };
        let found = self.find(Query::new(&m.name).filter(cond))?;
        if found.len() > 1 {
            run.ambiguous += 1;
        }
        Ok(found.into_iter().max_by_key(|r| r.id))
    }

    fn auto_number_free(&self, run: &Run, module: &str, field: &str, number: &str) -> Result<bool> {
        if run.batch_numbers.contains(number) {
            return Ok(false);
        }
        // Straight to the store: the number is already canonical text; one probe covers the live records
        // and the recycle bin.
        let m = self.module(module)?;
        if m.auto_number.as_ref().is_none_or(|a| a.field != field) {
            return Ok(true);
        }
        Ok(!self.store.auto_number_taken(m, number)?)
    }

    /// Moves the auto-number counter past an imported number with the live prefix.
    fn move_counter_past(&mut self, module: &str, number: &str) -> Result<()> {
        let prefix = self.module(module)?.auto_number.as_ref().map(|a| a.prefix.clone()).unwrap_or_default();
        let st = self.dry_number_state(module, &prefix)?;
        let Some(digits) = number.strip_prefix(st.prefix.as_str()) else {
            return Ok(());
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(());
        }
        let num = |s: &str| s.trim_start_matches('0').parse::<u128>().unwrap_or(0);
        if num(digits) >= num(&st.next) {
            let next = AutoNumberState { prefix: st.prefix, next: increment_counter(digits) };
            match self.cache.dry_numbers.as_mut() {
                Some(d) => {
                    d.insert(module.to_string(), next);
                }
                None => self.store.set_auto_number(module, &next)?,
            }
        }
        Ok(())
    }
}

impl Run {
    fn rows_done_total(&self) -> u64 {
        self.rows_done
    }
}

/// Replaces a value in a planned insert: the record, its `Insert` change and its change-log entry.
/// Copies a report's row counters into the journal.
fn set_journal_counts(j: &mut ImportJournal, r: &ImportReport) {
    (j.rows, j.created, j.updated, j.merged, j.skipped, j.failed) = (r.rows, r.created, r.updated, r.merged, r.skipped, r.failed);
}

fn patch(record: &mut Record, cs: &mut ChangeSet, field: &str, value: Value) {
    record.values.insert(field.to_string(), value.clone());
    for c in &mut cs.0 {
        match c {
            Change::Insert(r) if r.id == record.id => {
                r.values.insert(field.to_string(), value.clone());
            }
            Change::History(h) if h.record == record.id => {
                for d in &mut h.changes {
                    if d.field == field {
                        d.after = value.to_text();
                    }
                }
            }
            _ => {}
        }
    }
}

fn contact_input(pos: u64, c: ContactCard) -> RowInput {
    let mut input = RowInput { line: pos, ..Default::default() };
    let f = &mut input.fields;
    let mut set = |k: &str, v: Option<String>| {
        if let Some(v) = v.filter(|s| !s.trim().is_empty()) {
            f.set(k, v);
        }
    };
    set("salutationtype", c.salutation.clone().filter(|s| ["Mr.", "Ms.", "Mrs.", "Dr.", "Prof."].contains(&s.as_str())));
    set("firstname", c.first_name);
    set("lastname", Some(c.last_name));
    set("department", c.department);
    set("title", c.title);
    let mut emails = c.emails.into_iter();
    set("email", emails.next());
    set("secondaryemail", emails.next());
    set("phone", c.phone);
    set("mobile", c.mobile);
    set("homephone", c.home_phone);
    set("fax", c.fax);
    set("otherphone", c.other_phone);
    set("mailingstreet", c.street);
    set("mailingpobox", c.po_box);
    set("mailingcity", c.city);
    set("mailingstate", c.state);
    set("mailingzip", c.zip);
    set("mailingcountry", c.country);
    set("description", c.note);
    if let Some(b) = c.birthday {
        input.fields.set("birthday", b);
    }
    input.organization = c.organization;
    input
}

// ----- resume -----

impl Crm {
    /// Resumes a CSV import that was interrupted (the process died or the machine went down): the data
    /// rows its journal counts — whole committed batches — are skipped, the rest of the file is imported
    /// under the same import id, so that [`Crm::undo_import`] undoes both parts at once. Pass the same file
    /// and the same options (mapping, delimiter, duplicates, ...) as the interrupted run. The returned
    /// report counts the whole import; row reports cover the resumed part only.
    ///
    /// # Errors
    /// `NotFound` for an unknown import; `Conflict` when the import is not interrupted (completed or
    /// undone) or is not a CSV import; `InvalidArgument` for a dry run; otherwise as [`Crm::import_csv`].
    pub fn resume_import_csv<R: Read>(
        &mut self,
        import_id: i64,
        reader: R,
        options: &ImportOptions,
        progress: Progress<'_>,
    ) -> Result<ImportReport> {
        self.refresh_schema()?;
        let journal =
            self.store.imports()?.into_iter().find(|j| j.id == import_id).ok_or_else(|| Error::not_found(format!("import {import_id}")))?;
        if journal.status != ImportStatus::Running {
            return Err(Error::Conflict(format!(
                "import {import_id} is {:?}, not interrupted; only an interrupted import resumes",
                journal.status
            )));
        }
        if journal.kind != "csv" {
            return Err(Error::Conflict(format!("import {import_id} is a {} import; only CSV imports resume", journal.kind)));
        }
        if options.dry_run {
            return Err(Error::invalid("a resumed import cannot be a dry run"));
        }
        let module = journal.module.clone();
        let result = self.import_csv_batches(reader, &module, options, progress, Some(journal));
        self.set_dry_numbers(false);
        let ended = self.end_unit(result.is_ok());
        let report = result?;
        ended?;
        Ok(report)
    }

    /// [`Crm::resume_import_csv`] from a file path.
    ///
    /// # Errors
    /// As [`Crm::resume_import_csv`], plus `Storage(Io)` when the file cannot be opened.
    pub fn resume_import_csv_file(
        &mut self,
        import_id: i64,
        path: impl AsRef<Path>,
        options: &ImportOptions,
        progress: Progress<'_>,
    ) -> Result<ImportReport> {
        let f = std::fs::File::open(path.as_ref()).map_err(crate::error::StorageError::Io)?;
        self.resume_import_csv(import_id, std::io::BufReader::new(f), options, progress)
    }

    /// A run that continues `journal`: its counts are the report's starting point.
    fn resume_run(&mut self, journal: ImportJournal, options: ImportOptions) -> Result<Run> {
        let mut run = self.start_run(&journal.module.clone(), "csv", ImportOptions { dry_run: true, ..options.clone() }, None)?;
        self.set_dry_numbers(false); // a real run: it reserves its numbers
        run.options = options;
        let r = &mut run.report;
        (r.import_id, r.dry_run, r.rows, r.created, r.updated, r.merged, r.skipped, r.failed) =
            (journal.id, false, journal.rows, journal.created, journal.updated, journal.merged, journal.skipped, journal.failed);
        run.rows_done = journal.rows;
        run.journal = journal;
        Ok(run)
    }
}
