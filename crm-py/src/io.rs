//! Import and export of `crm.Crm`: CSV and vCard files in, CSV and vCard files out, undo of an import,
//! saved column mappings.
//!
//! Imports and exports run detached from the interpreter (other Python threads go on). Imports read a path
//! or a binary file-like object, exports write a path or a file-like object (`streams`). `progress` is a
//! callable receiving `(done, total)`, True for a tqdm bar, or None, and Ctrl-C stops a run between
//! batches (`progress`). Like workflow functions, a progress callable must not use a `Crm`.

use crate::crm::Crm;
use crate::engine::Access;
use crate::errors::{Failure, invalid};
use crate::json::{from_value, to_py};
use crate::progress::PySink;
use crate::records::with_filter;
use crate::streams::{PyReader, PyWriter, is_readable};
use crate::views::filter_key;
use crm_core::io::vcard_export::VcardVersion;
use crm_core::io::{ExportOptions, ImportOptions, Outcome};
use crm_core::{ExportSelection, NewCustomerOpportunity, Progress, Query, VcardImportOptions};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::collections::BTreeMap;
use std::io::{BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::str::FromStr;

/// The result of an import (`Crm.import_csv`, `Crm.import_vcf`).
#[pyclass(frozen, module = "crm_engine", name = "ImportReport")]
pub struct ImportReport {
    pub(crate) report: crm_core::io::ImportReport,
}

fn problems_of<'py>(py: Python<'py>, report: &crm_core::io::ImportReport, only_failed: bool) -> PyResult<Vec<Bound<'py, PyDict>>> {
    let mut out = Vec::new();
    for r in report.row_reports.iter().filter(|r| !only_failed || r.outcome == Outcome::Failed) {
        for p in &r.problems {
            let d = PyDict::new(py);
            d.set_item("line", r.line)?;
            d.set_item("column", &p.column)?;
            d.set_item("field", &p.field)?;
            d.set_item("code", &p.code)?;
            d.set_item("message", &p.message)?;
            out.push(d);
        }
    }
    Ok(out)
}

#[pymethods]
impl ImportReport {
    /// The import's id, for `undo_import` (0 for a dry run).
    #[getter]
    fn import_id(&self) -> i64 {
        self.report.import_id
    }
    /// True when nothing was written.
    #[getter]
    fn dry_run(&self) -> bool {
        self.report.dry_run
    }
    /// Data rows read.
    #[getter]
    fn rows(&self) -> u64 {
        self.report.rows
    }
    /// Records created.
    #[getter]
    fn created(&self) -> u64 {
        self.report.created
    }
    /// Records overwritten.
    #[getter]
    fn updated(&self) -> u64 {
        self.report.updated
    }
    /// Records merged.
    #[getter]
    fn merged(&self) -> u64 {
        self.report.merged
    }
    /// Rows skipped (empty, or duplicates with `duplicates="skip"`).
    #[getter]
    fn skipped(&self) -> u64 {
        self.report.skipped
    }
    /// Rows that failed.
    #[getter]
    fn failed(&self) -> u64 {
        self.report.failed
    }
    /// Referenced records created on the way.
    #[getter]
    fn references_created(&self) -> u64 {
        self.report.references_created
    }
    /// Picklist values added on the way (`"field: value"`).
    #[getter]
    fn picklist_values_added(&self) -> Vec<String> {
        self.report.picklist_values_added.clone()
    }
    /// Column → field used (None for an ignored column).
    #[getter]
    fn mapping(&self) -> Vec<(String, Option<String>)> {
        self.report.mapping.clone()
    }
    /// True when the import was stopped between batches (progress returned False): the rows counted
    /// are committed; `resume_import_csv` / `resume_import_records` or `undo_import` it.
    #[getter]
    fn interrupted(&self) -> bool {
        self.report.interrupted
    }
    /// File-level notes (ignored columns, ...).
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.report.warnings.clone()
    }
    /// The problems of the failed rows: dicts with line, column, field, code, message.
    #[getter]
    fn errors<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        problems_of(py, &self.report, true)
    }
    /// Every reported row (failed and skipped ones; every row in a dry run): dicts with line, outcome,
    /// record, fields, problems.
    #[getter]
    fn row_reports<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.report.row_reports)
    }
    fn __repr__(&self) -> String {
        let r = &self.report;
        format!(
            "<crm.ImportReport id={} rows={} created={} updated={} merged={} skipped={} failed={}{}>",
            r.import_id,
            r.rows,
            r.created,
            r.updated,
            r.merged,
            r.skipped,
            r.failed,
            if r.dry_run {
                " dry_run"
            } else if r.interrupted {
                " interrupted"
            } else {
                ""
            }
        )
    }
}

fn path_text(p: PathBuf) -> PyResult<String> {
    p.to_str().map(str::to_string).ok_or_else(|| invalid("the path must be valid UTF-8"))
}

/// An option given as a keyword argument, read by crm-core's own parser for that option (the one C's
/// JSON goes through), so a bad value is the same `InvalidArgumentError` naming the option.
fn option<T: FromStr<Err = crm_core::Error>>(value: &str) -> PyResult<T> {
    value.parse::<T>().map_err(|e| PyErr::from(Failure::from(e)))
}

/// The keyword arguments given, as JSON members (absent ones are left to crm-core's defaults).
fn given(pairs: Vec<(&str, Option<serde_json::Value>)>) -> serde_json::Map<String, serde_json::Value> {
    pairs.into_iter().filter_map(|(k, v)| v.map(|v| (k.to_string(), v))).collect()
}

/// A query of `module` from `filter` (saved filter id or name) and `where`, for exports.
fn export_query(module: &str, r#where: Option<&Bound<'_, PyAny>>, order_by: Option<&Bound<'_, PyAny>>) -> PyResult<Query> {
    crate::convert::to_query(module, r#where, order_by, None, 0, false)
}

fn selection(
    crm: &crm_core::Crm,
    query: Query,
    filter: Option<String>,
    ids: Option<Vec<i64>>,
    page: Option<u64>,
    page_size: Option<u64>,
) -> Result<ExportSelection, Failure> {
    if let Some(ids) = ids {
        return Ok(ExportSelection::Ids(ids.into_iter().map(crm_core::RecordId).collect()));
    }
    let q = with_filter(crm, query, filter)?;
    Ok(match (page, page_size) {
        (None, None) => ExportSelection::All(q),
        (p, s) => ExportSelection::Page { query: q, page: p.unwrap_or(1), size: s.unwrap_or(50) },
    })
}

fn ids_of(ids: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Vec<i64>>> {
    let Some(ids) = ids.filter(|i| !i.is_none()) else { return Ok(None) };
    let mut out = Vec::new();
    for i in ids.try_iter()? {
        out.push(crate::convert::to_id(&i?)?.0);
    }
    Ok(Some(out))
}

#[pymethods]
impl Crm {
    /// Imports a CSV file into `module`; every row goes through the normal save (validation, workflows,
    /// change log) in batches of `batch_size` rows per transaction. Returns an `ImportReport`; bad rows are
    /// reported in `errors`, not raised.
    ///
    /// `path`: a path or a binary file-like object (`open(..., "rb")`, `io.BytesIO`; a text stream is
    /// refused). `progress`: a callable `(done, total)` called after every batch — bytes read out of the
    /// file's size for a file or seekable stream, else rows with `total` None until the end — that may
    /// return False to stop; True for a tqdm bar; None. Ctrl-C stops the import between batches and raises
    /// `KeyboardInterrupt` (its `import_id` attribute names the import, which `resume_import_csv` resumes).
    ///
    /// `delimiter`: `","`, `";"`, `"|"`, `"^"`, `"\t"` or `"auto"` (default); `encoding`: `"utf-8"`
    /// (default), `"latin-1"`, `"windows-1252"`; `date_format`: `"yyyy-mm-dd"`, `"dd.mm.yyyy"`,
    /// `"dd/mm/yyyy"`, `"mm/dd/yyyy"`, `"dd-mm-yyyy"`, `"mm-dd-yyyy"`, `"jalali"`; `thousands_separator`
    /// None for none; `mapping`: column → field; `defaults`: field → value for empty cells;
    /// `duplicates`: `"create"` (default), `"skip"`, `"overwrite"`, `"merge"` on the `match_on` fields.
    /// Limits (see `crm_core::limits`): `max_rows` rows are read at most (the rest is one failed row with
    /// code `limit`), a CSV record longer than `max_record_bytes` stops the import with `InvalidArgument`.
    #[pyo3(signature = (
        path, module, *, delimiter = None, encoding = None, date_format = None, decimal_separator = None,
        thousands_separator = Some(",".to_string()), mapping = None, defaults = None, duplicates = None, match_on = None,
        create_missing_references = false, add_unknown_picklist_values = false, dry_run = false, has_header = true,
        batch_size = 250, max_rows = crm_core::limits::MAX_IMPORT_ROWS,
        max_record_bytes = crm_core::limits::MAX_CSV_RECORD_BYTES, progress = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn import_csv(
        &self,
        py: Python<'_>,
        path: &Bound<'_, PyAny>,
        module: String,
        delimiter: Option<String>,
        encoding: Option<String>,
        date_format: Option<String>,
        decimal_separator: Option<String>,
        thousands_separator: Option<String>,
        mapping: Option<BTreeMap<String, String>>,
        defaults: Option<BTreeMap<String, String>>,
        duplicates: Option<String>,
        match_on: Option<Vec<String>>,
        create_missing_references: bool,
        add_unknown_picklist_values: bool,
        dry_run: bool,
        has_header: bool,
        batch_size: usize,
        max_rows: u64,
        max_record_bytes: u64,
        progress: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<ImportReport> {
        let input = Input::of(path)?;
        let o = ImportKeywords {
            has_header: Some(has_header),
            delimiter,
            encoding,
            date_format,
            decimal_separator,
            thousands_separator: Some(thousands_separator),
            mapping,
            defaults,
            duplicates,
            match_on,
            create_missing_references: Some(create_missing_references),
            add_unknown_picklist_values: Some(add_unknown_picklist_values),
            dry_run: Some(dry_run),
            batch_size: Some(batch_size),
            max_rows: Some(max_rows),
            max_record_bytes: Some(max_record_bytes),
        }
        .options()?;
        self.run_import(py, progress, move |crm, p| {
            let (reader, size) = input.open()?;
            Ok(crm.import_csv_with_size(reader, size, &module, &o, p)?)
        })
    }

    /// Imports vCards (2.1, 3.0, 4.0) as Contacts, each linked to its organization (ORG, found by name or
    /// created unless `create_organizations=False`); with `create_opportunities=True` one opportunity per
    /// new contact (`opportunity_name` template with `{name}` / `{organization}`, `sales_stage`,
    /// `close_in_days`). Returns an `ImportReport`. `path`: a path or a binary file-like object;
    /// `progress` as in `import_csv` (cards out of the number in the file, after every `batch_size` cards;
    /// False stops the import there, `resume_import_vcf` resumes it).
    #[pyo3(signature = (
        path, *, duplicates = None, match_on = None, create_opportunities = false,
        create_organizations = true, encoding = None, defaults = None, dry_run = false, opportunity_name = None,
        sales_stage = None, close_in_days = None, max_rows = None, batch_size = None, progress = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn import_vcf(
        &self,
        py: Python<'_>,
        path: &Bound<'_, PyAny>,
        duplicates: Option<String>,
        match_on: Option<Vec<String>>,
        create_opportunities: bool,
        create_organizations: bool,
        encoding: Option<String>,
        defaults: Option<BTreeMap<String, String>>,
        dry_run: bool,
        opportunity_name: Option<String>,
        sales_stage: Option<String>,
        close_in_days: Option<u32>,
        max_rows: Option<u64>,
        batch_size: Option<usize>,
        progress: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<ImportReport> {
        let input = Input::of(path)?;
        let opportunity = new_customer_opportunity(create_opportunities, opportunity_name, sales_stage, close_in_days);
        // crm-core's vCard defaults, with the keywords given laid over them.
        let o = ImportKeywords {
            encoding,
            defaults,
            duplicates,
            match_on,
            dry_run: Some(dry_run),
            max_rows,
            batch_size,
            ..ImportKeywords::default()
        }
        .vcard(create_organizations, opportunity)?;
        self.run_import(py, progress, move |crm, p| {
            let (reader, _) = input.open()?;
            Ok(crm.import_vcard(reader, &o, p)?)
        })
    }

    /// Resumes a vCard import that was interrupted (stopped by Ctrl-C or `progress`, or the process died
    /// mid-import; `path` a path or a binary file-like object): the cards its journal counts (whole
    /// committed batches) are skipped and the rest of the file is imported under the same import id, so
    /// `undo_import` takes back both parts at once. Pass the same file and keywords as the interrupted run.
    /// The report counts the whole import. ConflictError when the import completed or was undone, or is
    /// not a vCard import; NotFoundError for an unknown import.
    #[pyo3(signature = (
        import_id, path, *, duplicates = None, match_on = None, create_opportunities = false,
        create_organizations = true, encoding = None, defaults = None, opportunity_name = None,
        sales_stage = None, close_in_days = None, max_rows = None, batch_size = None, progress = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn resume_import_vcf(
        &self,
        py: Python<'_>,
        import_id: i64,
        path: &Bound<'_, PyAny>,
        duplicates: Option<String>,
        match_on: Option<Vec<String>>,
        create_opportunities: bool,
        create_organizations: bool,
        encoding: Option<String>,
        defaults: Option<BTreeMap<String, String>>,
        opportunity_name: Option<String>,
        sales_stage: Option<String>,
        close_in_days: Option<u32>,
        max_rows: Option<u64>,
        batch_size: Option<usize>,
        progress: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<ImportReport> {
        let input = Input::of(path)?;
        let opportunity = new_customer_opportunity(create_opportunities, opportunity_name, sales_stage, close_in_days);
        let o = ImportKeywords { encoding, defaults, duplicates, match_on, max_rows, batch_size, ..ImportKeywords::default() }
            .vcard(create_organizations, opportunity)?;
        self.run_import(py, progress, move |crm, p| {
            let (reader, _) = input.open()?;
            Ok(crm.resume_import_vcard(import_id, reader, &o, p)?)
        })
    }

    /// Undoes an import: created records (and created references) go to the recycle bin, overwritten and
    /// merged records get their previous values back. Returns `{"deleted", "restored"}`. ConflictError when
    /// already undone or when a record changed since.
    fn undo_import<'py>(&self, py: Python<'py>, import_id: i64) -> PyResult<Bound<'py, PyAny>> {
        let rep = self.engine.run(py, Access::Write, move |crm| Ok(crm.undo_import(import_id)?))?;
        to_py(py, &rep)
    }

    /// Resumes a CSV import that was interrupted (stopped by Ctrl-C or `progress`, or the process died
    /// mid-import; `path` a path or a binary file-like object): the rows its journal
    /// counts (whole committed batches) are skipped and the rest of the file is imported under the same
    /// import id, so `undo_import` takes back both parts at once. Pass the same file and options as the
    /// interrupted run (`dry_run` is refused). The report counts the whole import. ConflictError when the
    /// import completed or was undone; NotFoundError for an unknown import.
    #[pyo3(signature = (
        import_id, path, *, delimiter = None, encoding = None, date_format = None, decimal_separator = None,
        thousands_separator = Some(",".to_string()), mapping = None, defaults = None, duplicates = None, match_on = None,
        create_missing_references = false, add_unknown_picklist_values = false, has_header = true,
        batch_size = 250, progress = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn resume_import_csv(
        &self,
        py: Python<'_>,
        import_id: i64,
        path: &Bound<'_, PyAny>,
        delimiter: Option<String>,
        encoding: Option<String>,
        date_format: Option<String>,
        decimal_separator: Option<String>,
        thousands_separator: Option<String>,
        mapping: Option<BTreeMap<String, String>>,
        defaults: Option<BTreeMap<String, String>>,
        duplicates: Option<String>,
        match_on: Option<Vec<String>>,
        create_missing_references: bool,
        add_unknown_picklist_values: bool,
        has_header: bool,
        batch_size: usize,
        progress: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<ImportReport> {
        let input = Input::of(path)?;
        let o = ImportKeywords {
            has_header: Some(has_header),
            delimiter,
            encoding,
            date_format,
            decimal_separator,
            thousands_separator: Some(thousands_separator),
            mapping,
            defaults,
            duplicates,
            match_on,
            create_missing_references: Some(create_missing_references),
            add_unknown_picklist_values: Some(add_unknown_picklist_values),
            dry_run: Some(false),
            batch_size: Some(batch_size),
            ..ImportKeywords::default()
        }
        .options()?;
        self.run_import(py, progress, move |crm, p| {
            let (reader, size) = input.open()?;
            Ok(crm.resume_import_csv_with_size(import_id, reader, size, &o, p)?)
        })
    }

    /// Every import, oldest first, with its counts and status.
    fn imports<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let j = self.engine.run(py, Access::Read, |crm| Ok(crm.imports()?))?;
        to_py(py, &j)
    }

    /// What an import did to each record it touched, in file order: all of it, or with `limit` one page of
    /// at most `limit` rows after skipping `offset`. `limit` is 1..=10 000 (`limits::MAX_LOG_PAGE`).
    #[pyo3(signature = (import_id, *, offset = 0, limit = None))]
    fn import_rows<'py>(&self, py: Python<'py>, import_id: i64, offset: u64, limit: Option<u64>) -> PyResult<Bound<'py, PyAny>> {
        let j = self.engine.run(py, Access::Read, move |crm| match limit {
            Some(limit) => Ok(crm.import_rows_page(import_id, offset, limit)?),
            None if offset > 0 => Err(crm_core::Error::InvalidArgument("import_rows: `offset` needs `limit`".into()).into()),
            None => Ok(crm.import_rows(import_id)?),
        })?;
        to_py(py, &j)
    }

    /// Saves a named column → field mapping for later imports of `module`.
    fn save_mapping(&self, py: Python<'_>, module: String, name: String, mapping: BTreeMap<String, String>) -> PyResult<()> {
        self.engine.run(py, Access::Write, move |crm| Ok(crm.save_mapping(&module, &name, &mapping)?))
    }

    /// The saved mappings of a module: `{name: {column: field}}`.
    fn mappings(&self, py: Python<'_>, module: String) -> PyResult<BTreeMap<String, BTreeMap<String, String>>> {
        self.engine.run(py, Access::Read, move |crm| Ok(crm.mappings(&module)?.into_iter().map(|m| (m.name, m.mapping)).collect()))
    }

    /// Deletes a saved mapping.
    fn delete_mapping(&self, py: Python<'_>, module: String, name: String) -> PyResult<()> {
        self.engine.run(py, Access::Write, move |crm| Ok(crm.delete_mapping(&module, &name)?))
    }

    /// Writes records of `module` to a CSV file; returns the number of rows written. Selection: `ids` (in
    /// that order), or the records matching `filter` (saved filter id or name) and `where`, all of them or
    /// one page (`page`, `page_size`). `header`: `"labels"` (vtiger's), `"names"` or `"none"`; `columns`:
    /// fields to write (default: every field); references are written `Module::::Name` as vtiger does.
    /// `date_format` as import's (`"jalali"` writes `1406/01/05`); `bom` writes a UTF-8 byte-order mark
    /// (Excel needs it to show Persian); `digits="persian"` writes numbers and dates with Persian digits.
    ///
    /// `path`: a path or a writable file-like object — a binary one gets bytes; a text one
    /// (`io.TextIOBase`: `io.StringIO`, `sys.stdout`) gets `str`, whole characters. `progress` as in
    /// `import_csv`: records written out of the number selected, every 500 and at the end; returning False
    /// stops the export there (the records written stay, the count returned is theirs); Ctrl-C stops it
    /// the same way and raises `KeyboardInterrupt`.
    #[pyo3(signature = (
        path, module, ids = None, *, filter = None, r#where = None, order_by = None, page = None, page_size = None,
        header = "labels".to_string(), columns = None, delimiter = ",".to_string(), date_format = None, bom = false,
        neutralize_formulas = true, digits = None, progress = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn export_csv(
        &self,
        py: Python<'_>,
        path: &Bound<'_, PyAny>,
        module: String,
        ids: Option<&Bound<'_, PyAny>>,
        filter: Option<&Bound<'_, PyAny>>,
        r#where: Option<&Bound<'_, PyAny>>,
        order_by: Option<&Bound<'_, PyAny>>,
        page: Option<u64>,
        page_size: Option<u64>,
        header: String,
        columns: Option<Vec<String>>,
        delimiter: String,
        date_format: Option<String>,
        bom: bool,
        neutralize_formulas: bool,
        digits: Option<String>,
        progress: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<u64> {
        let output = Output::of(path)?;
        let ids = ids_of(ids)?;
        let filter = filter.filter(|f| !f.is_none()).map(filter_key).transpose()?;
        let query = export_query(&module, r#where, order_by)?;
        let mut o = ExportOptions { columns: columns.unwrap_or_default(), bom, neutralize_formulas, ..ExportOptions::default() };
        o.header = option(&header)?;
        o.delimiter = option(&delimiter)?;
        if let Some(f) = date_format {
            o.date_format = option(&f)?;
        }
        if let Some(d) = digits {
            o.digits = option(&d)?;
        }
        self.run_export(py, progress, move |crm, p| {
            let sel = selection(crm, query, filter, ids, page, page_size)?;
            output.write(|w| Ok(crm.export_csv_with_progress(w, &module, &sel, &o, p)?))
        })
    }

    /// Writes contacts as vCards (`version` "3.0" or "4.0"); selection as in `export_csv`. Returns the
    /// number of cards written. `progress` as in `export_csv`: cards written out of the number selected,
    /// every 500 and at the end; returning False stops the export there (the cards written stay, the count
    /// returned is theirs); Ctrl-C stops it the same way and raises `KeyboardInterrupt`.
    #[pyo3(signature = (path, ids = None, *, filter = None, r#where = None, version = "4.0".to_string(), progress = None))]
    #[allow(clippy::too_many_arguments)]
    fn export_vcf(
        &self,
        py: Python<'_>,
        path: PathBuf,
        ids: Option<&Bound<'_, PyAny>>,
        filter: Option<&Bound<'_, PyAny>>,
        r#where: Option<&Bound<'_, PyAny>>,
        version: String,
        progress: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<u64> {
        let path = path_text(path)?;
        let ids = ids_of(ids)?;
        let filter = filter.filter(|f| !f.is_none()).map(filter_key).transpose()?;
        let query = export_query("Contacts", r#where, None)?;
        let version: VcardVersion = option(&version)?;
        self.run_export(py, progress, move |crm, p| {
            let sel = selection(crm, query, filter, ids, None, None)?;
            let f = std::fs::File::create(&path).map_err(|e| Failure::Os(e, path.clone()))?;
            let mut w = BufWriter::new(f);
            let n = crm.export_vcard_with_progress(&mut w, &sel, version, p)?;
            w.flush().map_err(|e| Failure::Os(e, path.clone()))?;
            Ok(n)
        })
    }
}

// ----- the import keywords, read in one place -----

/// The opportunity a vCard import creates per new contact, from its keywords (None unless
/// `create_opportunities`).
fn new_customer_opportunity(
    create: bool,
    name: Option<String>,
    sales_stage: Option<String>,
    close_in_days: Option<u32>,
) -> Option<NewCustomerOpportunity> {
    create.then(|| {
        let d = NewCustomerOpportunity::default();
        NewCustomerOpportunity {
            name_template: name.unwrap_or(d.name_template),
            sales_stage: sales_stage.unwrap_or(d.sales_stage),
            close_in_days: close_in_days.unwrap_or(d.close_in_days),
        }
    })
}

/// The keyword arguments of the imports (`import_csv`, `resume_import_csv`, `import_records`,
/// `resume_import_records`, `import_vcf`; each takes those it has, `None` here for the others). The ones
/// given become the JSON object C passes as `options_json`, read by crm-core's own parser, so a bad value
/// is the same `InvalidArgumentError` naming the option from every import and from C.
#[derive(Default)]
pub(crate) struct ImportKeywords {
    pub(crate) has_header: Option<bool>,
    pub(crate) delimiter: Option<String>,
    pub(crate) encoding: Option<String>,
    pub(crate) date_format: Option<String>,
    pub(crate) decimal_separator: Option<String>,
    /// `Some(None)`: no thousands separator.
    pub(crate) thousands_separator: Option<Option<String>>,
    pub(crate) mapping: Option<BTreeMap<String, String>>,
    pub(crate) defaults: Option<BTreeMap<String, String>>,
    pub(crate) duplicates: Option<String>,
    pub(crate) match_on: Option<Vec<String>>,
    pub(crate) create_missing_references: Option<bool>,
    pub(crate) add_unknown_picklist_values: Option<bool>,
    pub(crate) dry_run: Option<bool>,
    pub(crate) batch_size: Option<usize>,
    pub(crate) max_rows: Option<u64>,
    pub(crate) max_record_bytes: Option<u64>,
}

impl ImportKeywords {
    /// The options of a CSV import or an import of records: the keywords given over crm-core's defaults.
    pub(crate) fn options(self) -> PyResult<ImportOptions> {
        self.over(serde_json::Map::new())
    }

    /// The options of a vCard import: the keywords given over crm-core's vCard defaults
    /// ([`VcardImportOptions::default`]).
    pub(crate) fn vcard(self, create_organizations: bool, opportunity: Option<NewCustomerOpportunity>) -> PyResult<VcardImportOptions> {
        let base = match serde_json::to_value(VcardImportOptions::default().import) {
            Ok(serde_json::Value::Object(m)) => m,
            _ => return Err(invalid("the vCard import's default options are not an object")),
        };
        Ok(VcardImportOptions { import: self.over(base)?, opportunity, create_organizations })
    }

    /// The keywords given laid over `base` (options as JSON), read as C's `options_json` is.
    fn over(self, mut base: serde_json::Map<String, serde_json::Value>) -> PyResult<ImportOptions> {
        use serde_json::{Value as J, json};
        let text = |v: Option<String>| v.map(J::String);
        let given = given(vec![
            ("has_header", self.has_header.map(|b| json!(b))),
            ("delimiter", text(self.delimiter)),
            ("encoding", text(self.encoding)),
            ("date_format", text(self.date_format)),
            ("decimal_separator", text(self.decimal_separator)),
            ("thousands_separator", self.thousands_separator.map(|t| t.map_or(J::Null, J::String))),
            ("mapping", self.mapping.map(|m| json!(m))),
            ("defaults", self.defaults.map(|d| json!(d))),
            ("duplicates", text(self.duplicates)),
            ("match_on", self.match_on.map(|m| json!(m))),
            ("create_missing_references", self.create_missing_references.map(|b| json!(b))),
            ("add_unknown_picklist_values", self.add_unknown_picklist_values.map(|b| json!(b))),
            ("dry_run", self.dry_run.map(|b| json!(b))),
            ("batch_size", self.batch_size.map(|n| json!(n))),
            ("max_rows", self.max_rows.map(|n| json!(n))),
            ("max_record_bytes", self.max_record_bytes.map(|n| json!(n))),
        ]);
        base.extend(given);
        // The same parser as C's `options_json`.
        Ok(from_value(J::Object(base), "import options")?)
    }
}

// ----- inputs and outputs: a path or a file-like object -----

/// Where an import reads from.
pub(crate) enum Input {
    Path(String),
    Stream(PyReader, Option<u64>),
}

impl Input {
    /// A path (str or os.PathLike) or a binary file-like object (anything with `.read`).
    pub(crate) fn of(source: &Bound<'_, PyAny>) -> PyResult<Input> {
        if is_readable(source) {
            let (r, size) = PyReader::new(source);
            return Ok(Input::Stream(r, size));
        }
        Ok(Input::Path(path_text(source.extract::<PathBuf>()?)?))
    }

    /// The bytes and their size when known.
    pub(crate) fn open(self) -> Result<(Box<dyn std::io::Read>, Option<u64>), Failure> {
        Ok(match self {
            Input::Path(path) => {
                let f = std::fs::File::open(&path).map_err(|e| Failure::Os(e, path.clone()))?;
                let size = f.metadata().ok().map(|m| m.len());
                (Box::new(BufReader::new(f)), size)
            }
            Input::Stream(r, size) => (Box::new(BufReader::new(r)), size),
        })
    }
}

/// Where an export writes to.
pub(crate) enum Output {
    Path(String),
    Stream(PyWriter),
}

impl Output {
    /// A path (str or os.PathLike) or a writable file-like object (anything with `.write`).
    pub(crate) fn of(target: &Bound<'_, PyAny>) -> PyResult<Output> {
        if target.hasattr("write")? {
            return Ok(Output::Stream(PyWriter::new(target)?));
        }
        Ok(Output::Path(path_text(target.extract::<PathBuf>()?)?))
    }

    /// Runs `f` over a buffered writer, then flushes it.
    pub(crate) fn write<T>(self, f: impl FnOnce(&mut dyn Write) -> Result<T, Failure>) -> Result<T, Failure> {
        match self {
            Output::Path(path) => {
                let file = std::fs::File::create(&path).map_err(|e| Failure::Os(e, path.clone()))?;
                let mut w = BufWriter::new(file);
                let out = f(&mut w)?;
                w.flush().map_err(|e| Failure::Os(e, path.clone()))?;
                Ok(out)
            }
            Output::Stream(s) => {
                let mut w = BufWriter::new(s);
                let out = f(&mut w)?;
                w.flush().map_err(|e| Failure::from(crm_core::Error::Storage(crm_core::StorageError::Io(e))))?;
                Ok(out)
            }
        }
    }
}

// ----- progress and Ctrl-C around a run -----

impl Crm {
    /// Runs `f` detached from the interpreter with `progress=` as its progress sink (Ctrl-C stops it
    /// between batches). Returns the sink, still to be finished, with what `f` returned; when `f` failed,
    /// closes the progress bar and returns the failure (a pending `KeyboardInterrupt` is dropped).
    fn with_progress<T: Send>(
        &self,
        py: Python<'_>,
        access: Access,
        progress: Option<&Bound<'_, PyAny>>,
        f: impl FnOnce(&mut crm_core::Crm, Progress<'_>) -> Result<T, Failure> + Send,
    ) -> PyResult<(PySink, T)> {
        let mut sink = PySink::new(py, progress)?;
        let s = &mut sink;
        match self.engine.run(py, access, move |crm| f(crm, Some(s))) {
            Ok(v) => Ok((sink, v)),
            Err(e) => {
                let _ = sink.finish(py, None);
                Err(e)
            }
        }
    }

    /// Runs an import (`with_progress`); returns its report after closing the progress bar and raising a
    /// pending `KeyboardInterrupt` (with the import's id as its `import_id`).
    pub(crate) fn run_import(
        &self,
        py: Python<'_>,
        progress: Option<&Bound<'_, PyAny>>,
        import: impl FnOnce(&mut crm_core::Crm, Progress<'_>) -> Result<crm_core::io::ImportReport, Failure> + Send,
    ) -> PyResult<ImportReport> {
        let (sink, report) = self.with_progress(py, Access::Write, progress, import)?;
        sink.finish(py, Some(report.import_id))?;
        Ok(ImportReport { report })
    }

    /// Runs an export (`with_progress`); returns the number written after closing the progress bar and
    /// raising a pending `KeyboardInterrupt`.
    fn run_export(
        &self,
        py: Python<'_>,
        progress: Option<&Bound<'_, PyAny>>,
        export: impl FnOnce(&mut crm_core::Crm, Progress<'_>) -> Result<u64, Failure> + Send,
    ) -> PyResult<u64> {
        let (sink, written) = self.with_progress(py, Access::Read, progress, export)?;
        sink.finish(py, None)?;
        Ok(written)
    }
}
