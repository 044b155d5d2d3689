//! Import of parsed records (DataFrames, dicts, a JSON array of objects): [`Records`] as the row source of
//! the shared pipeline (`rows`), with the CSV import's options, report, rules, journal and undo.

use super::records::Records;
use crate::error::Result;
use crate::io::{ImportOptions, ImportReport};
use crate::service::Crm;
use crate::service::progress::Progress;

impl Crm {
    /// Imports parsed records into a module, exactly as [`Crm::import_csv`] imports a file's rows: the
    /// columns are mapped by label or field name (or `options.mapping`), every row goes through the save
    /// pipeline (validation, workflows, references, duplicates, defaults, dry run) in batches, and the
    /// report and journal are the same, so [`Crm::undo_import`] takes it back. The options' CSV dialect
    /// (delimiter, encoding, header) does not apply; their date and number formats apply to text cells.
    /// Row numbers in the report are the rows' 1-based positions.
    ///
    /// # Example
    /// ```
    /// use crm_core::io::ImportOptions;
    /// use crm_core::rust_decimal::Decimal;
    /// use crm_core::chrono::NaiveDate;
    /// use crm_core::{Crm, NewUser, Records, Value};
    /// # fn main() -> Result<(), crm_core::Error> {
    /// let mut crm = Crm::open(":memory:")?;
    /// crm.add_user(NewUser::new("admin"))?;
    /// crm.set_actor("admin")?;
    /// let columns = ["Opportunity Name", "Amount", "Sales Stage", "Expected Close Date"].map(String::from).to_vec();
    /// let close = NaiveDate::from_ymd_opt(2027, 3, 31).unwrap();
    /// let rows = vec![
    ///     Ok(vec![Value::from("Hooli renewal"), Value::Decimal(Decimal::new(1200050, 2)), Value::from("Prospecting"), Value::Date(close)]),
    ///     Ok(vec![Value::from("No stage"), Value::Int(5), Value::Null, Value::Date(close)]),
    /// ];
    /// let report = crm.import_records("Potentials", Records::new(columns, rows.into_iter()), &ImportOptions::default(), None)?;
    /// assert_eq!((report.rows, report.created, report.failed), (2, 1, 1));
    /// assert_eq!(report.row_reports[0].line, 2); // the second row failed: its stage is missing
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// `InvalidArgument` when no column maps to a field or an option is out of range; `NotFound` for an
    /// unknown module; an error a row of `records` carries; storage errors. Bad rows are reported.
    pub fn import_records(
        &mut self,
        module: &str,
        records: Records<'_>,
        options: &ImportOptions,
        progress: Progress<'_>,
    ) -> Result<ImportReport> {
        self.refresh_schema()?;
        options.validate()?;
        let mut records = records;
        self.import_from(&mut records, module, options, progress, None)
    }

    /// Resumes an interrupted import of records: pass the same records (e.g. the same DataFrame) and
    /// options; the rows its journal counts are skipped, the rest imported under the same id.
    ///
    /// # Errors
    /// As [`Crm::resume_import_csv`] (`Conflict` when the import is not an interrupted import of records).
    pub fn resume_import_records(
        &mut self,
        import_id: i64,
        records: Records<'_>,
        options: &ImportOptions,
        progress: Progress<'_>,
    ) -> Result<ImportReport> {
        self.refresh_schema()?;
        options.validate()?;
        let journal = self.resumable(import_id, "records", options)?;
        let module = journal.module.clone();
        let mut records = records;
        self.import_from(&mut records, &module, options, progress, Some(journal))
    }
}
