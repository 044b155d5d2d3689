//! Import of records (a JSON array of objects) with a version-2 progress callback, and its resume: the
//! rows go through the CSV import's pipeline, options, report and journal.
//!
//! Records (`rows_json`): `[{"Opportunity Name": "Hooli", "amount": 1200.50, "closingdate": "2027-03-31",
//! "emailoptout": true, "probability": null}, ...]`: keys are columns (labels or field names, mapped as a
//! CSV header is), the first object's keys being the columns (a later object with another key fails with
//! code `columns`); strings are read as CSV cells are (the options' date and number formats), numbers are
//! exact (every digit kept), `true`/`false` booleans, `null` empty. The report's `line` is the 1-based
//! position of the object.

use crate::args::arg_str;
use crate::boundary::{self, FfiResult};
use crate::import_export::import_report;
use crate::progress::{as_progress, crm_progress_v2, sink};
use crate::status::crm_status;
use crate::store::crm_store;
use crm_core::io::{ImportOptions, ImportReport};
use crm_core::{Crm, Records};
use std::ffi::{c_char, c_void};

/// Imports records (`rows_json`, a JSON array of objects, see the module docs) into `module` exactly as
/// `crm_import_csv` imports a file's rows: the same options (`options_json`, NULL: defaults; the CSV
/// dialect keys do not apply), rules, report (into `*out_report_json`, optional, owned by the caller) and
/// journal, so `crm_import_undo` takes it back. Progress counts rows out of the number of objects.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_INVALID_JSON` (options), `_INVALID_ARGUMENT`
/// (`rows_json` not an array of objects, bad options, no column maps to a field), `_NOT_FOUND` (module),
/// storage errors. Bad rows are reported, not errors. Thread-safety: as `crm_import_csv`.
///
/// # Safety
/// `store` is NULL or a live handle; `module`, `rows_json`, `options_json` NULL or NUL-terminated;
/// `progress` NULL or a function following `crm_progress_v2`'s contract; `out_report_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_import_records(
    store: *mut crm_store,
    module: *const c_char,
    rows_json: *const c_char,
    options_json: *const c_char,
    progress: crm_progress_v2,
    user_data: *mut c_void,
    out_report_json: *mut *mut c_char,
) -> crm_status {
    let mut cb = sink(progress, user_data);
    boundary::run(|| {
        let module = unsafe { arg_str(module, "module") }?;
        unsafe {
            import_rows(store, rows_json, options_json, out_report_json, |crm, records, o| {
                crm.import_records(module, records, o, as_progress(&mut cb))
            })
        }
    })
}

/// Resumes an interrupted import of records: pass the same `rows_json` and options; the rows its journal
/// counts are skipped and the rest imported under the same id. Report and progress as in
/// `crm_import_records`.
///
/// Errors: as `crm_import_records`, plus `_NOT_FOUND` (unknown import) and `_CONFLICT` (the import is
/// completed, undone, or not an import of records). Thread-safety: as `crm_import_csv`.
///
/// # Safety
/// As `crm_import_records`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_import_records_resume(
    store: *mut crm_store,
    import_id: i64,
    rows_json: *const c_char,
    options_json: *const c_char,
    progress: crm_progress_v2,
    user_data: *mut c_void,
    out_report_json: *mut *mut c_char,
) -> crm_status {
    let mut cb = sink(progress, user_data);
    boundary::run(|| unsafe {
        import_rows(store, rows_json, options_json, out_report_json, |crm, records, o| {
            crm.resume_import_records(import_id, records, o, as_progress(&mut cb))
        })
    })
}

/// An import of `rows_json` ([`import_report`] with the records it holds).
///
/// # Safety
/// As [`import_report`]; `rows_json` NULL or NUL-terminated.
unsafe fn import_rows(
    store: *mut crm_store,
    rows_json: *const c_char,
    options_json: *const c_char,
    out_report_json: *mut *mut c_char,
    import: impl FnOnce(&mut Crm, Records<'static>, &ImportOptions) -> crm_core::Result<ImportReport>,
) -> FfiResult<()> {
    let rows = unsafe { arg_str(rows_json, "rows_json") }?;
    unsafe { import_report(store, options_json, out_report_json, || Ok(Records::from_json(rows)?), import) }
}
