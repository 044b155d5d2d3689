//! CSV import's entry points: a CSV stream or file as the row source of the shared pipeline (`rows`).

use super::source::CsvRows;
use crate::error::Result;
use crate::io::{ImportOptions, ImportReport};
use crate::service::Crm;
use crate::service::progress::Progress;
use std::io::Read;
use std::path::Path;

impl Crm {
    /// Imports a CSV stream into a module. See [`ImportOptions`] for the choices and [`ImportReport`] for
    /// the result; every row goes through the normal save pipeline and is committed in batches.
    ///
    /// # Example
    /// ```
    /// use crm_core::io::ImportOptions;
    /// use crm_core::{Crm, Fields, NewUser};
    /// # fn main() -> Result<(), crm_core::Error> {
    /// let mut crm = Crm::open(":memory:")?;
    /// crm.add_user(NewUser::new("admin"))?;
    /// crm.set_actor("admin")?;
    /// let csv = "Opportunity Name,Amount,Sales Stage,Expected Close Date\nHooli renewal,12000,Prospecting,2027-03-31\n";
    /// let report = crm.import_csv(csv.as_bytes(), "Potentials", &ImportOptions::default(), None)?;
    /// assert_eq!((report.rows, report.created, report.failed), (1, 1, 0));
    /// let undone = crm.undo_import(report.import_id)?; // the created record goes to the recycle bin
    /// assert_eq!(undone.deleted, 1);
    /// # Ok(()) }
    /// ```
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
        self.import_csv_with_size(reader, None, module, options, progress)
    }

    /// [`Crm::import_csv`] from a stream of `size` bytes (when known): progress then counts bytes read out
    /// of `size` ([`ProgressUnit::Bytes`](crate::ProgressUnit::Bytes)); without it, rows.
    ///
    /// # Errors
    /// As [`Crm::import_csv`].
    pub fn import_csv_with_size<R: Read>(
        &mut self,
        reader: R,
        size: Option<u64>,
        module: &str,
        options: &ImportOptions,
        progress: Progress<'_>,
    ) -> Result<ImportReport> {
        self.refresh_schema()?; // see the schema other handles stored
        let mut source = match CsvRows::open(reader, size, options) {
            Ok(s) => s,
            Err(e) => {
                self.set_dry_numbers(false);
                return Err(e);
            }
        };
        self.import_from(&mut source, module, options, progress, None)
    }

    /// [`Crm::import_csv`] from a file path; progress counts bytes read out of the file's size.
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
        let size = f.metadata().ok().map(|m| m.len());
        self.import_csv_with_size(std::io::BufReader::new(f), size, module, options, progress)
    }
}
