//! Resuming an interrupted CSV import: the rows its journal counts are skipped, the rest imported under
//! the same import id.

use super::{Progress, Run};
use crate::error::{Error, Result};
use crate::io::{ImportJournal, ImportOptions, ImportReport, ImportStatus};
use crate::service::Crm;
use std::io::Read;
use std::path::Path;

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
    pub(super) fn resume_run(&mut self, journal: ImportJournal, options: ImportOptions) -> Result<Run> {
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
