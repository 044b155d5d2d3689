//! Arrow out: records and reports as Arrow record batches with real column types (feature `arrow`).
//!
//! The Arrow form is part of the wire contract, defined here once; both bindings hand it over as the Arrow
//! C stream interface (C: `crm_arrow_records`, Python: the `__arrow_c_stream__` PyCapsule protocol), so a
//! column has the same type in C, Python, pandas, polars or duckdb.
//!
//! * [`types`]: the Arrow type of each field type (money/decimal/percent `decimal128(precision, scale)` from
//!   the field, date `date32`, date-time `timestamp[us, UTC]`, checkbox `bool`, multi-select
//!   `list<utf8>`, reference and owner `int64`, integer `int64`, time `time64[us]`, the rest `utf8`) and
//!   the record columns `id` (`int64`), `label` (`utf8`), `version` (`int64`).
//! * [`records`]: a query's records as a pull-based [`RecordBatchReader`](arrow_array::RecordBatchReader)
//!   that reads one keyset page per batch through the acting user's read path ([`crate::Crm::page_after`]):
//!   memory holds one batch, access control applies (rows of the user's scope, hidden fields neither
//!   listed nor asked for).
//! * [`reports`]: any report's rows ([`crate::analytics::ReportRow`]: pipeline, aggregate, analytics) as
//!   one record batch, by one converter; [`ReportSpec`] names a report for both bindings.

pub mod columns;
pub mod records;
pub mod reports;
pub mod types;

/// Re-exported so hosts use the same Arrow array crate as the engine.
pub use arrow_array;
/// Re-exported so hosts use the same Arrow schema crate as the engine.
pub use arrow_schema;

pub use records::{CrmRead, RecordBatches, RecordsSpec};
pub use reports::{ReportSpec, report_batch};
pub use types::{TIME_ZONE, record_schema};

/// Rows per record batch unless asked otherwise.
pub const BATCH_ROWS: usize = 1024;

/// An engine error as an Arrow error (what a stream hands its consumer).
pub(crate) fn to_arrow_error(e: crate::Error) -> arrow_schema::ArrowError {
    arrow_schema::ArrowError::ExternalError(Box::new(e))
}

/// An Arrow error as an engine error.
pub(crate) fn from_arrow_error(e: arrow_schema::ArrowError) -> crate::Error {
    crate::Error::invalid(format!("arrow: {e}"))
}
