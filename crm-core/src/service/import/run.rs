//! An import run's life: starting it (journal, match fields, defaults), recording rows that need no write,
//! the row limit, and finishing it (the journal's counts and status).

use super::from_vcard::NewCustomerOpportunity;
use super::{Run, problem};
use crate::error::{Error, Result};
use crate::io::{ImportJournal, ImportOptions, ImportReport, ImportStatus, Outcome, RowProblem, RowReport};
use crate::service::Crm;
use crate::storage::{AutoNumberState, Change, ChangeSet, ImportChange};
use crate::value::RecordId;
use std::collections::HashSet;

impl Crm {
    pub(super) fn start_run(
        &mut self,
        module: &str,
        kind: &str,
        options: ImportOptions,
        opportunity: Option<NewCustomerOpportunity>,
    ) -> Result<Run> {
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
            self.commit(&ChangeSet(vec![Change::Import(ImportChange::PutImport(journal.clone()))]))?;
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
            labels: self.labels()?,
            probed: None,
        })
    }

    pub(super) fn finish_run(&mut self, run: &mut Run, an_state: Option<AutoNumberState>) -> Result<()> {
        self.flush(run)?;
        if run.ambiguous > 0 {
            let note = run.say("AMBIGUOUS_MATCHES", &[("count", &run.ambiguous.to_string())]);
            run.report.warnings.push(note);
        }
        if run.options.dry_run {
            // A dry run counted auto-numbers without reserving them (see `start_run`): nothing to give back.
            let _ = an_state;
            self.set_dry_numbers(false);
            return Ok(());
        }
        run.journal.status = ImportStatus::Completed;
        self.sync_journal(run);
        self.commit(&ChangeSet(vec![Change::Import(ImportChange::PutImport(run.journal.clone()))]))
    }

    /// The caller stopped the run between batches: the journal says interrupted (resumable, undoable).
    pub(super) fn interrupt_run(&mut self, run: &mut Run) -> Result<()> {
        run.report.interrupted = true;
        run.report
            .warnings
            .push(format!("stopped after {} rows; the rows before are committed: resume the import or undo it", run.report.rows));
        if run.options.dry_run {
            return Ok(());
        }
        run.journal.status = ImportStatus::Interrupted;
        self.sync_journal(run);
        self.commit(&ChangeSet(vec![Change::Import(ImportChange::PutImport(run.journal.clone()))]))
    }

    pub(super) fn sync_journal(&self, run: &mut Run) {
        set_journal_counts(&mut run.journal, &run.report);
    }

    /// The row (or card) at `line` is past `max_rows`: it and the rest of the file are not read.
    pub(super) fn stop_at_row_limit(&self, run: &mut Run, line: u64) {
        let max = run.options.max_rows.to_string();
        let warning = run.say("ROW_LIMIT_REST", &[("max", &max), ("line", &line.to_string())]);
        let note = run.say("ROW_LIMIT", &[("max", &max)]);
        run.report.warnings.push(warning);
        run.report.count(Outcome::Failed);
        run.report.rows += 1;
        run.report.row_reports.push(RowReport {
            line,
            outcome: Outcome::Failed,
            record: None,
            fields: vec![],
            problems: vec![problem(None, None, "limit", note)],
        });
    }

    /// Records a row that needs no write (failed, skipped, or anything in a dry run).
    pub(super) fn finish_row(&self, run: &mut Run, line: u64, outcome: Outcome, record: Option<RecordId>, problems: Vec<RowProblem>) {
        run.report.count(outcome);
        run.rows_done += 1;
        if run.options.dry_run || matches!(outcome, Outcome::Failed | Outcome::Skipped) || !problems.is_empty() {
            run.report.row_reports.push(RowReport { line, outcome, record, fields: vec![], problems });
        }
    }
}

impl Run {
    pub(super) fn rows_done_total(&self) -> u64 {
        self.rows_done
    }
}

/// Copies a report's row counters into the journal.
pub(super) fn set_journal_counts(j: &mut ImportJournal, r: &ImportReport) {
    (j.rows, j.created, j.updated, j.merged, j.skipped, j.failed) = (r.rows, r.created, r.updated, r.merged, r.skipped, r.failed);
}
