//! Arrow out through the Arrow C stream interface: a query's records (`crm_arrow_records`) and any report
//! (`crm_arrow_report`) as a `struct ArrowArrayStream` (the Arrow spec's ABI; `crm.h` declares the structs
//! as the spec recommends, guarded by `ARROW_C_DATA_INTERFACE` / `ARROW_C_STREAM_INTERFACE`). Column types
//! are crm-core's ([`crm_core::arrow`]), the same as Python's.

use crate::args::{arg_opt_str, arg_str, parse_json};
use crate::boundary::{self, FfiError};
use crate::query::query_from_json;
use crate::status::crm_status;
use crate::store::{crm_store, lock_store};
use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_array::{RecordBatch, RecordBatchIterator, RecordBatchReader};
use crm_core::arrow::arrow_schema::{ArrowError, SchemaRef};
use crm_core::arrow::{CrmRead, RecordBatches, RecordsSpec, ReportSpec};
use std::ffi::c_char;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Reads a store's pages for a stream: locks the store for each page, as any call does.
struct StoreRead(*const crm_store);

// SAFETY: the store behind the pointer is a `Mutex<Crm>`, usable from any thread; the caller keeps it
// alive while the stream lives (documented on the functions that make streams).
unsafe impl Send for StoreRead {}

impl CrmRead for StoreRead {
    fn read<T: Send>(&mut self, f: impl FnOnce(&crm_core::Crm) -> crm_core::Result<T> + Send) -> crm_core::Result<T> {
        let crm = unsafe { lock_store(self.0) }.map_err(|e| crm_core::Error::InvalidArgument(e.message))?;
        f(&crm)
    }
}

/// A record batch reader whose panics become errors of the stream instead of crossing into C.
struct NoPanic<R>(R);

impl<R: Iterator<Item = Result<RecordBatch, ArrowError>>> Iterator for NoPanic<R> {
    type Item = Result<RecordBatch, ArrowError>;
    fn next(&mut self) -> Option<Self::Item> {
        catch_unwind(AssertUnwindSafe(|| self.0.next()))
            .unwrap_or_else(|_| Some(Err(ArrowError::ExternalError("crm: a panic while reading the next batch".into()))))
    }
}

impl<R: RecordBatchReader> RecordBatchReader for NoPanic<R> {
    fn schema(&self) -> SchemaRef {
        self.0.schema()
    }
}

/// Writes a stream over `reader` into `*out` (checked non-NULL first).
fn write_stream(out: *mut FFI_ArrowArrayStream, reader: Box<dyn RecordBatchReader + Send>) {
    // SAFETY: `out` is non-NULL and, by the caller's contract, writable for one `struct ArrowArrayStream`;
    // whatever it held is not a stream of ours to release (out-parameters are written, never read).
    unsafe { std::ptr::write(out, FFI_ArrowArrayStream::new(reader)) };
}

/// Streams the records a query selects as Arrow record batches into `*out` (required; the caller owns
/// the stream and calls its `release`): `query_json` is `crm_record_find`'s query (`{"module":
/// "Potentials", "conditions": [..], "sort": ["-amount"], "limit": 100, "offset": 0, "deleted": false}`;
/// no sort: creation order); `columns_json` (NULL: `id`, `label`, `version`, then every field visible to the
/// acting user in layout order) a JSON array of field names or labels and of `id`, `label`, `version`.
///
/// Column types: money, decimals and percentages `decimal128(precision, scale)` of their field (format
/// `d:P,S`), dates `date32` (`tdD`), date-times `timestamp[us, UTC]` (`tsu:UTC`), times `time64[us]`
/// (`ttu`), checkboxes `bool` (`b`), multi-selects `list<utf8>` (`+l`), references, owners, integers,
/// `id` and `version` `int64` (`l`), the rest `utf8` (`u`); empty values are nulls. The schema's metadata
/// has `crm.module`; each field's has `crm.type` and `crm.label`.
///
/// Batches of 1024 rows are read one keyset page at a time, when the consumer asks for them
/// (`get_next`), each as one call on the store (serialised with its other calls) as the acting user of
/// the moment the stream was made: access control applies (the user's records only, hidden fields not
/// exported; asking for one is `CRM_STATUS_ACCESS_DENIED`), and a page read after the store's acting user
/// changed fails. The first page is read here, so a bad query fails here. A failed `get_next` returns
/// `EINVAL` and `get_last_error` says why.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_INVALID_JSON`, `_INVALID_ARGUMENT` (unknown
/// column or operator), `_NOT_FOUND` (module), `_ACCESS_DENIED`, storage errors. Thread-safety: the stream
/// may be read from any thread. Lifetime: release the stream before freeing the store.
///
/// # Safety
/// `store` is NULL or a live handle that outlives the stream; `query_json`, `columns_json` NULL or
/// NUL-terminated; `out` NULL or writable for one `struct ArrowArrayStream`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_arrow_records(
    store: *const crm_store,
    query_json: *const c_char,
    columns_json: *const c_char,
    out: *mut FFI_ArrowArrayStream,
) -> crm_status {
    boundary::run(|| {
        let query = query_from_json(unsafe { arg_str(query_json, "query_json") }?)?;
        let columns: Option<Vec<String>> = match unsafe { arg_opt_str(columns_json, "columns_json") }? {
            Some(t) => Some(parse_json(t, "columns_json")?),
            None => None,
        };
        if out.is_null() {
            return Err(FfiError::null("out"));
        }
        unsafe { lock_store(store) }?; // a NULL or busy store fails before anything is made
        let mut spec = RecordsSpec::new(query);
        spec.columns = columns;
        let reader = RecordBatches::new(StoreRead(store), spec)?;
        write_stream(out, Box::new(NoPanic(reader)));
        Ok(())
    })
}

/// Streams a report's rows as one Arrow record batch into `*out` (required; the caller owns the stream
/// and calls its `release`). `report` is `pipeline` (options `{"by": "stage", "conditions": [..],
/// "as_of": "2027-03-31", "calendar": "jalali"}`, all optional; columns `key`, `count`, `amount`,
/// `forecast_amount`, `label`), `aggregate` (`{"query": {crm_record_find's query}, "group_by":
/// "sales_stage", "sums": ["amount"]}`; columns: the field grouped by, with its type, `count`, one per
/// sum), or any call of `crm_analytics` with its options (`options_json` NULL or `""`: none).
///
/// Column types: counts `int64`, money and ratios `decimal128(38, scale)` (the largest scale in the
/// column), text `utf8`; a column without any value is `utf8` of nulls. The report is computed here (it
/// may write: `set_quota`, `snapshot_pipeline`, as `crm_analytics`); the stream holds it, so it may
/// outlive the store.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_INVALID_ARGUMENT` (unknown report, option,
/// grouping), the report's errors. Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `report`, `options_json` NULL or NUL-terminated; `out` NULL or
/// writable for one `struct ArrowArrayStream`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_arrow_report(
    store: *mut crm_store,
    report: *const c_char,
    options_json: *const c_char,
    out: *mut FFI_ArrowArrayStream,
) -> crm_status {
    boundary::run(|| {
        let report = unsafe { arg_str(report, "report") }?;
        let options = unsafe { arg_opt_str(options_json, "options_json") }?.unwrap_or("");
        if out.is_null() {
            return Err(FfiError::null("out"));
        }
        let spec = ReportSpec::from_json(report, options)?;
        let batch = unsafe { lock_store(store) }?.report_arrow(spec)?;
        let schema = batch.schema();
        write_stream(out, Box::new(RecordBatchIterator::new([Ok(batch)], schema)));
        Ok::<(), FfiError>(())
    })
}
