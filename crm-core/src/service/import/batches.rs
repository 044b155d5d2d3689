//! Batches: planned rows wait in the run and are committed together, one transaction (and one unit of work)
//! per batch with the journal; a failed batch is retried row by row.

use super::run::set_journal_counts;
use super::{Pending, Run, problem};
use crate::error::{Error, Result};
use crate::io::{Outcome, RowReport};
use crate::service::Crm;
use crate::storage::{Change, ChangeSet, ImportChange};

impl Crm {
    pub(super) fn queue(&mut self, run: &mut Run, p: Pending) -> Result<()> {
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
    pub(super) fn flush(&mut self, run: &mut Run) -> Result<()> {
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
        cs.push(ImportChange::PutImport(j));
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
                let note = run.say("NOT_STORED", &[]);
                self.finish_row(run, line, Outcome::Failed, None, vec![problem(None, None, "storage", note)]);
            }
        }
        self.sync_journal(run);
        if !run.new_contacts.is_empty() {
            self.create_opportunities(run)?;
        }
        if !run.options.dry_run {
            let j = run.journal.clone();
            self.commit(&ChangeSet(vec![Change::Import(ImportChange::PutImport(j))]))?;
        }
        Ok(())
    }
}
