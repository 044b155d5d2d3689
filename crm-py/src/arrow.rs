//! Arrow out for Python: `Crm.arrow(...)` / `Crm.report_arrow(...)` return an [`ArrowStream`], which any
//! Arrow consumer reads through the Arrow PyCapsule interface (`__arrow_c_stream__`: pyarrow, polars,
//! duckdb); `to_arrow`, `to_pandas`, `to_polars` on top. Batches are built in Rust by crm-core
//! ([`crm_core::arrow`], the same columns and types as C's `crm_arrow_records`), never through dicts.
//! pyarrow, pandas and polars stay optional: a method that needs one that is missing raises
//! `ImportError` naming it.

use crate::convert::{to_query, to_where};
use crate::crm::Crm;
use crate::engine::{Access, Engine};
use crate::errors::{Failure, invalid};
use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_array::{RecordBatchIterator, RecordBatchReader};
use chrono::NaiveDate;
use crm_core::arrow::{CrmRead, RecordBatches, RecordsSpec, ReportSpec};
use pyo3::exceptions::PyImportError;
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyDict, PyTuple};
use std::sync::{Arc, Mutex};

/// Reads a stream's pages through the engine of a `Crm` object, one engine call per page, detached from
/// the interpreter while it waits for the engine (as every call), from whichever thread the consumer reads on.
struct EngineRead(Arc<Engine>);

impl CrmRead for EngineRead {
    fn read<T: Send>(&mut self, f: impl FnOnce(&crm_core::Crm) -> crm_core::Result<T> + Send) -> crm_core::Result<T> {
        let engine = &self.0;
        Python::attach(|py| py.detach(|| engine.with(Access::Read, |crm| f(crm).map_err(Failure::from)))).map_err(|e| match e {
            Failure::Core(e) => e,
            Failure::Closed => crm_core::Error::InvalidArgument("the Crm object was closed while reading Arrow batches".into()),
            Failure::Internal(m) => crm_core::Error::InvalidArgument(format!("the engine failed: {m}")),
            Failure::Reentrant => crm_core::Error::InvalidArgument("Arrow batches read from inside a callback of the same Crm".into()),
            Failure::Os(e, path) => crm_core::Error::InvalidArgument(format!("{path}: {e}")),
        })
    }
}

/// Imports an optional package, or raises `ImportError` naming it and what needs it.
fn optional<'py>(py: Python<'py>, package: &str, what: &str) -> PyResult<Bound<'py, PyModule>> {
    py.import(package)
        .map_err(|_| PyImportError::new_err(format!("{what} needs the package '{package}', which is not installed: pip install {package}")))
}

/// Record batches from crm, read once by any Arrow consumer through `__arrow_c_stream__` (the Arrow
/// PyCapsule interface): `pyarrow.table(s)`, `polars.DataFrame(s)`, `duckdb.sql("select * from s")`, or
/// the methods `to_arrow`, `to_pandas`, `to_polars`. Records are read a batch at a time as the consumer
/// asks, as the acting user of the moment the stream was made.
#[pyclass(module = "crm_engine", name = "ArrowStream", frozen)]
pub struct ArrowStream {
    reader: Mutex<Option<Box<dyn RecordBatchReader + Send>>>,
}

impl ArrowStream {
    fn new(reader: Box<dyn RecordBatchReader + Send>) -> ArrowStream {
        ArrowStream { reader: Mutex::new(Some(reader)) }
    }
}

#[pymethods]
impl ArrowStream {
    /// The Arrow PyCapsule stream protocol: a capsule named `arrow_array_stream` holding a
    /// `struct ArrowArrayStream`. A stream is read once: a second call raises `InvalidArgumentError`.
    /// `requested_schema` is accepted and ignored (the columns have crm's types).
    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_stream__<'py>(&self, py: Python<'py>, requested_schema: Option<Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        let reader = self.reader.lock().unwrap_or_else(|p| p.into_inner()).take();
        let reader = reader.ok_or_else(|| invalid("this ArrowStream was already read; make a new one"))?;
        PyCapsule::new_with_value(py, FFI_ArrowArrayStream::new(reader), c"arrow_array_stream")
    }

    /// Reads the stream into a `pyarrow.Table` (needs pyarrow).
    fn to_arrow<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let pa = optional(slf.py(), "pyarrow", "to_arrow")?;
        pa.getattr("RecordBatchReader")?.call_method1("from_stream", (slf,))?.call_method0("read_all")
    }

    /// Reads the stream into a `pandas.DataFrame` through pyarrow (needs pandas and pyarrow): decimals
    /// as `decimal.Decimal` objects, date-times `datetime64[us, UTC]`, dates `datetime.date`.
    fn to_pandas<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        optional(slf.py(), "pandas", "to_pandas")?;
        optional(slf.py(), "pyarrow", "to_pandas")?;
        ArrowStream::to_arrow(slf)?.call_method0("to_pandas")
    }

    /// Reads the stream into a `polars.DataFrame` (needs polars only: it reads the capsule itself).
    fn to_polars<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        optional(slf.py(), "polars", "to_polars")?.getattr("DataFrame")?.call1((slf,))
    }
}

/// Takes a keyword out of `options`.
fn take<'py, T: FromPyObjectOwned<'py>>(options: &Bound<'py, PyDict>, key: &str) -> PyResult<Option<T>> {
    match options.get_item(key)? {
        Some(v) => {
            options.del_item(key)?;
            if v.is_none() {
                Ok(None)
            } else {
                let e: PyErr = match v.extract::<T>() {
                    Ok(t) => return Ok(Some(t)),
                    Err(e) => e.into(),
                };
                Err(invalid(format!("option '{key}': {e}")))
            }
        }
        None => Ok(None),
    }
}

use pyo3::conversion::FromPyObjectOwned;

/// The stream `Crm.arrow(*args, **kwargs)` returns: the `to_*` methods take `arrow`'s arguments, read by
/// its one signature.
fn records_stream<'py>(
    crm: &Bound<'py, Crm>,
    args: &Bound<'py, PyTuple>,
    kwargs: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, ArrowStream>> {
    Ok(crm.call_method("arrow", args, kwargs)?.cast_into::<ArrowStream>()?)
}

#[pymethods]
impl Crm {
    /// The records of `module` matching `where` (as `find`) as an `ArrowStream`: columns `id`, `label`,
    /// `version`, then every field the acting user may see (or `columns`: field names or labels, and
    /// `id`, `label`, `version`), ordered by `order_by` (default: creation order), `batch_size` rows a
    /// batch read as the consumer asks. Types: money/decimal/percent `decimal128(precision, scale)` of the
    /// field, dates `date32`, date-times `timestamp[us, tz=UTC]`, times `time64[us]`, checkboxes `bool`,
    /// multi-selects `list<string>`, references, owners and integers `int64`, the rest `string`.
    #[pyo3(signature = (module, r#where = None, columns = None, order_by = None, *, limit = None, offset = 0, deleted = false, batch_size = 1024))]
    #[allow(clippy::too_many_arguments)]
    fn arrow(
        &self,
        py: Python<'_>,
        module: String,
        r#where: Option<&Bound<'_, PyAny>>,
        columns: Option<Vec<String>>,
        order_by: Option<&Bound<'_, PyAny>>,
        limit: Option<u64>,
        offset: u64,
        deleted: bool,
        batch_size: usize,
    ) -> PyResult<ArrowStream> {
        if batch_size == 0 {
            return Err(invalid("batch_size must be at least 1"));
        }
        let query = to_query(&module, r#where, order_by, limit, offset, deleted)?;
        let mut spec = RecordsSpec::new(query).batch_rows(batch_size);
        spec.columns = columns;
        let engine = Arc::clone(&self.engine);
        let reader = py.detach(|| RecordBatches::new(EngineRead(engine), spec)).map_err(Failure::from)?;
        Ok(ArrowStream::new(Box::new(reader)))
    }

    /// `arrow(...)` read into a `pyarrow.Table` (needs pyarrow); the arguments are `arrow`'s.
    #[pyo3(signature = (*args, **kwargs))]
    fn to_arrow<'py>(
        slf: &Bound<'py, Self>,
        args: &Bound<'py, PyTuple>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        optional(slf.py(), "pyarrow", "to_arrow")?;
        ArrowStream::to_arrow(&records_stream(slf, args, kwargs)?)
    }

    /// `arrow(...)` read into a `pandas.DataFrame` (needs pandas and pyarrow): money as exact
    /// `decimal.Decimal`, date-times `datetime64[us, UTC]`; the arguments are `arrow`'s.
    #[pyo3(signature = (*args, **kwargs))]
    fn to_pandas<'py>(
        slf: &Bound<'py, Self>,
        args: &Bound<'py, PyTuple>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        optional(slf.py(), "pandas", "to_pandas")?;
        optional(slf.py(), "pyarrow", "to_pandas")?;
        ArrowStream::to_pandas(&records_stream(slf, args, kwargs)?)
    }

    /// `arrow(...)` read into a `polars.DataFrame` (needs polars): money as `Decimal(precision, scale)`,
    /// date-times `Datetime("us", "UTC")`; the arguments are `arrow`'s.
    #[pyo3(signature = (*args, **kwargs))]
    fn to_polars<'py>(
        slf: &Bound<'py, Self>,
        args: &Bound<'py, PyTuple>,
        kwargs: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        optional(slf.py(), "polars", "to_polars")?;
        ArrowStream::to_polars(&records_stream(slf, args, kwargs)?)
    }

    /// A report as an `ArrowStream` of one batch (then `.to_arrow()`, `.to_pandas()`, `.to_polars()`):
    /// `"pipeline"` (options `by`, `where`, `as_of` (a date), `calendar`; columns `key`, `count`,
    /// `amount`, `forecast_amount`, `label`), `"aggregate"` (options `module` (default Potentials),
    /// `where`, `group_by`, `sums`; columns: the field grouped by with its type, `count`, one per sum), or
    /// any analytics call (`"forecast"`, `"win_rate"`, `"attainment"`, `"quotas"`, ... with their options
    /// as keywords, e.g. `period="2027-Q1"`, `by="owner"`). Counts are `int64`, money and ratios
    /// `decimal128(38, scale)`, text `string`.
    #[pyo3(signature = (report, **options))]
    fn report_arrow(&self, py: Python<'_>, report: String, options: Option<&Bound<'_, PyDict>>) -> PyResult<ArrowStream> {
        let options = match options {
            Some(o) => o.copy()?,
            None => PyDict::new(py),
        };
        let spec = match report.trim() {
            "pipeline" => {
                let by: Option<String> = take(&options, "by")?;
                let filter = to_where(options.get_item("where")?.as_ref())?;
                let _ = options.del_item("where");
                let as_of: Option<NaiveDate> = take(&options, "as_of")?;
                let calendar: Option<String> = take(&options, "calendar")?;
                ReportSpec::Pipeline {
                    by: by.as_deref().unwrap_or("total").parse().map_err(Failure::from)?,
                    filter,
                    as_of,
                    calendar: calendar.as_deref().unwrap_or("gregorian").parse().map_err(Failure::from)?,
                }
            }
            "aggregate" => {
                let module: Option<String> = take(&options, "module")?;
                let query = to_query(module.as_deref().unwrap_or("Potentials"), options.get_item("where")?.as_ref(), None, None, 0, false)?;
                let _ = options.del_item("where");
                let group_by: Option<String> = take(&options, "group_by")?;
                let sums: Option<Vec<String>> = take(&options, "sums")?;
                ReportSpec::Aggregate { query, group_by, sums: sums.unwrap_or_default() }
            }
            other => {
                let json = crate::json::to_json(options.as_any())?;
                options.clear();
                ReportSpec::Analytics { report: other.to_string(), options_json: json.to_string() }
            }
        };
        if let Some((k, _)) = options.iter().next() {
            return Err(invalid(format!("{report}: unknown option '{k}'")));
        }
        let batch = self.engine.run(py, Access::Write, move |crm| Ok(crm.report_arrow(spec)?))?;
        let schema = batch.schema();
        Ok(ArrowStream::new(Box::new(RecordBatchIterator::new([Ok(batch)], schema))))
    }
}
