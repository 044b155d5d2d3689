//! `Crm.import_records`: rows of Python data — an iterable of dicts, a pandas or polars DataFrame, a
//! pyarrow Table — imported through crm-core's import of records (the CSV import's pipeline, options,
//! report, journal and undo). Marshalling only: rows are read a chunk at a time (a generator is never
//! turned into one list), and each cell becomes a typed value.
//!
//! Cells: `None`, NaN, pandas `NaT`/`NA` → empty; `str` → read as a CSV cell (the date and number
//! options apply); `bool`, `int`, `decimal.Decimal`, `datetime.date`, `datetime.datetime` (aware ones
//! converted to UTC, pandas `Timestamp` included) → kept typed; a `float` → the exact decimal of its
//! shortest text (`0.1` → `0.1`); numpy scalars → their Python value; lists of `str` → multi-select.

use crate::crm::Crm;
use crate::errors::Failure;
use crate::io::{ImportKeywords, ImportReport};
use crm_core::{Records, Value};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyFloat, PyIterator, PyList, PySlice, PyTuple};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, VecDeque};
use std::str::FromStr;
use std::sync::{Arc, Mutex};

/// Rows read from Python at a time.
const CHUNK: usize = 1000;

/// A Python error met while reading rows, raised instead of the engine's error it caused.
type Slot = Arc<Mutex<Option<PyErr>>>;

fn keep(slot: &Slot, e: PyErr) -> crm_core::Error {
    let msg = format!("reading the data: {e}");
    if let Ok(mut s) = slot.lock() {
        s.get_or_insert(e);
    }
    crm_core::Error::InvalidArgument(msg)
}

/// One Python cell as a value.
fn cell(column: &str, v: &Bound<'_, PyAny>) -> PyResult<Value> {
    if v.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(f) = v.cast::<PyFloat>() {
        let x = f.value();
        if x.is_nan() {
            return Ok(Value::Null);
        }
        let text = v.repr()?.to_string();
        return Ok(Decimal::from_str(&text).or_else(|_| Decimal::from_scientific(&text)).map(Value::Decimal).unwrap_or(Value::Text(text)));
    }
    let ty = v.get_type();
    let name = ty.name()?.to_string();
    if name == "NaTType" || name == "NAType" {
        return Ok(Value::Null);
    }
    if ty.module()? == "numpy" && v.hasattr("item")? {
        return cell(column, &v.call_method0("item")?);
    }
    crate::convert::to_value(column, v)
}

/// The cells of one row: a tuple or list (in column order) or a dict (its values, in column order).
fn row_cells(columns: &[String], row: &Bound<'_, PyAny>) -> PyResult<Vec<Value>> {
    let mut out = Vec::with_capacity(columns.len());
    if let Ok(d) = row.cast::<PyDict>() {
        for (c, v) in columns.iter().zip(d.values().iter()) {
            out.push(cell(c, &v)?);
        }
    } else {
        for (c, v) in columns.iter().zip(row.try_iter()?) {
            out.push(cell(c, &v?)?);
        }
    }
    Ok(out)
}

#[derive(Clone, Copy)]
enum Frame {
    Pandas,
    Polars,
    Arrow,
}

/// A DataFrame or Table, read `CHUNK` rows at a time.
struct Table {
    obj: Py<PyAny>,
    frame: Frame,
    columns: Vec<String>,
    len: usize,
    pos: usize,
    buf: VecDeque<Vec<Value>>,
    slot: Slot,
}

impl Table {
    fn fill(&mut self, py: Python<'_>) -> PyResult<()> {
        let obj = self.obj.bind(py);
        let end = (self.pos + CHUNK).min(self.len);
        let rows = match self.frame {
            Frame::Polars => obj.call_method1("slice", (self.pos, end - self.pos))?.call_method0("rows")?,
            Frame::Arrow => obj.call_method1("slice", (self.pos, end - self.pos))?.call_method0("to_pylist")?,
            Frame::Pandas => {
                let part = obj.getattr("iloc")?.get_item(PySlice::new(py, self.pos as isize, end as isize, 1))?;
                part.call_method1("to_dict", ("records",))?
            }
        };
        for row in rows.try_iter()? {
            self.buf.push_back(row_cells(&self.columns, &row?)?);
        }
        self.pos = end;
        Ok(())
    }
}

impl Iterator for Table {
    type Item = crm_core::Result<Vec<Value>>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.buf.is_empty() && self.pos < self.len {
            let slot = Arc::clone(&self.slot);
            if let Err(e) = Python::attach(|py| self.fill(py)) {
                self.pos = self.len;
                return Some(Err(keep(&slot, e)));
            }
        }
        self.buf.pop_front().map(Ok)
    }
}

/// An iterable of mappings, read `CHUNK` at a time.
struct Maps {
    iter: Py<PyIterator>,
    buf: VecDeque<Vec<(String, Value)>>,
    done: bool,
    slot: Slot,
}

impl Maps {
    fn fill(&mut self, py: Python<'_>) -> PyResult<()> {
        let mut it = self.iter.bind(py).clone();
        for _ in 0..CHUNK {
            let Some(item) = it.next() else {
                self.done = true;
                return Ok(());
            };
            let item = item?;
            let items = item.call_method0("items").map_err(|_| {
                PyTypeError::new_err(format!(
                    "each row must be a mapping (a dict), not {}",
                    item.get_type().name().map(|n| n.to_string()).unwrap_or_default()
                ))
            })?;
            let mut row = Vec::new();
            for kv in items.try_iter()? {
                let (k, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) = kv?.extract()?;
                let k = k.str()?.to_string();
                let v = cell(&k, &v)?;
                row.push((k, v));
            }
            self.buf.push_back(row);
        }
        Ok(())
    }
}

impl Iterator for Maps {
    type Item = crm_core::Result<Vec<(String, Value)>>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.buf.is_empty() && !self.done {
            let slot = Arc::clone(&self.slot);
            if let Err(e) = Python::attach(|py| self.fill(py)) {
                self.done = true;
                return Some(Err(keep(&slot, e)));
            }
        }
        self.buf.pop_front().map(Ok)
    }
}

/// The data, ready to become [`Records`] on the engine's side (no Python object is touched there
/// without attaching).
enum Data {
    Table(Table),
    Maps(Maps, Option<u64>),
}

impl Data {
    fn of(data: &Bound<'_, PyAny>, slot: &Slot) -> PyResult<Data> {
        let py = data.py();
        let ty = data.get_type();
        let module = ty.module()?.to_string();
        let name = ty.name()?.to_string();
        let root = module.split('.').next().unwrap_or_default();
        let frame = match (root, name.as_str()) {
            ("pandas", "DataFrame") => Some(Frame::Pandas),
            ("polars", "DataFrame") => Some(Frame::Polars),
            ("pyarrow", "Table" | "RecordBatch") => Some(Frame::Arrow),
            ("polars", "LazyFrame") => return Err(PyTypeError::new_err("a polars LazyFrame: collect() it first")),
            _ => None,
        };
        if let Some(frame) = frame {
            let columns: Vec<String> = match frame {
                Frame::Arrow => data.getattr("column_names")?.extract()?,
                _ => {
                    data.getattr("columns")?.try_iter()?.map(|c| c.and_then(|c| c.str().map(|s| s.to_string()))).collect::<PyResult<_>>()?
                }
            };
            let len = data.len()?;
            return Ok(Data::Table(Table {
                obj: data.clone().unbind(),
                frame,
                columns,
                len,
                pos: 0,
                buf: VecDeque::new(),
                slot: Arc::clone(slot),
            }));
        }
        if data.cast::<PyDict>().is_ok() {
            return Err(PyTypeError::new_err("data must be an iterable of dicts (rows), a DataFrame or a Table, not one dict"));
        }
        let total =
            if data.is_instance_of::<PyList>() || data.is_instance_of::<PyTuple>() { data.len().ok().map(|n| n as u64) } else { None };
        let iter = PyIterator::from_object(data)?.unbind();
        let _ = py;
        Ok(Data::Maps(Maps { iter, buf: VecDeque::new(), done: false, slot: Arc::clone(slot) }, total))
    }

    fn records(self) -> crm_core::Result<Records<'static>> {
        Ok(match self {
            Data::Table(t) => {
                let (columns, len) = (t.columns.clone(), t.len as u64);
                Records::new(columns, t).with_total(len)
            }
            Data::Maps(m, total) => {
                let r = Records::from_maps(m)?;
                match total {
                    Some(n) => r.with_total(n),
                    None => r,
                }
            }
        })
    }
}

/// The import's result, or the Python error that caused it (a failed read stops the import with an
/// engine error, which the Python error replaces).
fn python_error_first<T>(slot: &Slot, result: PyResult<T>) -> PyResult<T> {
    match result {
        Err(e) => Err(slot.lock().ok().and_then(|mut s| s.take()).unwrap_or(e)),
        ok => ok,
    }
}

#[pymethods]
impl Crm {
    /// Imports rows of data into `module` exactly as `import_csv` imports a file's rows (the same
    /// mapping by label or field name, rules, duplicates, defaults, dry run, report and journal, so
    /// `undo_import` takes it back). `data`: an iterable of dicts (a generator is read a chunk at a time),
    /// a pandas or polars DataFrame, or a pyarrow Table. Typed cells (`Decimal`, `date`, `datetime`,
    /// `bool`, `int`) are kept typed; `None`, NaN and `NaT` are empty; `str` cells are read as CSV cells
    /// (`date_format`, `decimal_separator`, `thousands_separator` apply). Row numbers in the report are
    /// 1-based positions. `progress`: a callable `(done, total)` (return False to stop), True for a tqdm
    /// bar, or None; Ctrl-C stops between batches with `KeyboardInterrupt` (the import is then resumable
    /// with `resume_import_records`).
    #[pyo3(signature = (
        module, data, *, date_format = None, decimal_separator = None, thousands_separator = Some(",".to_string()),
        mapping = None, defaults = None, duplicates = None, match_on = None, create_missing_references = false,
        add_unknown_picklist_values = false, dry_run = false, batch_size = 250, max_rows = crm_core::limits::MAX_IMPORT_ROWS,
        progress = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn import_records(
        &self,
        py: Python<'_>,
        module: String,
        data: &Bound<'_, PyAny>,
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
        batch_size: usize,
        max_rows: u64,
        progress: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<ImportReport> {
        let o = ImportKeywords {
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
            ..ImportKeywords::default()
        }
        .options()?;
        let slot: Slot = Arc::default();
        let data = Data::of(data, &slot)?;
        let report = self.run_import(py, progress, move |crm, p| {
            let records = data.records().map_err(Failure::from)?;
            Ok(crm.import_records(&module, records, &o, p)?)
        });
        python_error_first(&slot, report)
    }

    /// Resumes an interrupted `import_records` (stopped by Ctrl-C or by `progress` returning False): pass
    /// the same data and options; the rows its journal counts are skipped and the rest imported under the
    /// same id. The report counts the whole import. ConflictError when the import completed, was undone,
    /// or is not an import of records.
    #[pyo3(signature = (
        import_id, data, *, date_format = None, decimal_separator = None, thousands_separator = Some(",".to_string()),
        mapping = None, defaults = None, duplicates = None, match_on = None, create_missing_references = false,
        add_unknown_picklist_values = false, batch_size = 250, progress = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn resume_import_records(
        &self,
        py: Python<'_>,
        import_id: i64,
        data: &Bound<'_, PyAny>,
        date_format: Option<String>,
        decimal_separator: Option<String>,
        thousands_separator: Option<String>,
        mapping: Option<BTreeMap<String, String>>,
        defaults: Option<BTreeMap<String, String>>,
        duplicates: Option<String>,
        match_on: Option<Vec<String>>,
        create_missing_references: bool,
        add_unknown_picklist_values: bool,
        batch_size: usize,
        progress: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<ImportReport> {
        let o = ImportKeywords {
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
        let slot: Slot = Arc::default();
        let data = Data::of(data, &slot)?;
        let report = self.run_import(py, progress, move |crm, p| {
            let records = data.records().map_err(Failure::from)?;
            Ok(crm.resume_import_records(import_id, records, &o, p)?)
        });
        python_error_first(&slot, report)
    }
}
