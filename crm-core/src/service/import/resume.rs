//! Resuming an interrupted import (stopped by its caller, or its process died): the rows its journal counts
//! are skipped, the rest imported under the same import id. CSV here; records in `from_records`.

use super::Run;
use super::source::CsvRows;
use crate::error::Result;
use crate::io::{ImportJournal, ImportOptions, ImportReport};
use crate::service::Crm;
use crate::service::progress::Progress;
use std::io::Read;
use std::path::Path;

impl Crm {
    /// Resumes a CSV import that was interrupted (stopped by a progress sink, or the process died): the data
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
        self.resume_import_csv_with_size(import_id, reader, None, options, progress)
    }

    /// [`Crm::resume_import_csv`] from a stream of `size` bytes (when known; see
    /// [`Crm::import_csv_with_size`]).
    ///
    /// # Errors
    /// As [`Crm::resume_import_csv`].
    pub fn resume_import_csv_with_size<R: Read>(
        &mut self,
        import_id: i64,
        reader: R,
        size: Option<u64>,
        options: &ImportOptions,
        progress: Progress<'_>,
    ) -> Result<ImportReport> {
        self.refresh_schema()?;
        let journal = self.resumable(import_id, "csv", options)?;
        let module = journal.module.clone();
        let mut source = CsvRows::open(reader, size, options)?;
        self.import_from(&mut source, &module, options, progress, Some(journal))
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
        let size = f.metadata().ok().map(|m| m.len());
        self.resume_import_csv_with_size(import_id, std::io::BufReader::new(f), size, options, progress)
    }

    /// A run that continues `journal`: its counts are the report's starting point.
    pub(super) fn resume_run(&mut self, journal: ImportJournal, options: ImportOptions) -> Result<Run> {
        let mut run =
            self.start_run(&journal.module.clone(), &journal.kind.clone(), ImportOptions { dry_run: true, ..options.clone() }, None)?;
        self.set_dry_numbers(false); // a real run: it reserves its numbers
        run.options = options;
        let r = &mut run.report;
        (r.import_id, r.dry_run, r.rows, r.created, r.updated, r.merged, r.skipped, r.failed) =
            (journal.id, false, journal.rows, journal.created, journal.updated, journal.merged, journal.skipped, journal.failed);
        run.rows_done = journal.rows;
        run.journal = ImportJournal { status: crate::io::ImportStatus::Running, ..journal };
        Ok(run)
    }
}
