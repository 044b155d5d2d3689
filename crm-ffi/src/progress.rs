//! Progress with totals and stopping (version 2 of the progress callback), and the entry points that take
//! it: CSV import and its resume, import of records (a JSON array of objects), CSV export.
//!
//! `crm_progress` (version 1: rows done, no answer) keeps working where it was taken. A
//! `crm_progress_v2` receives a `crm_progress_info` — done, total (0 when unknown), unit, rows — after
//! every committed batch and at the end, and answers 0 to go on or non-zero to stop: an import stops
//! between batches with its committed batches kept, its journal `"interrupted"` and its report's
//! `"interrupted": true` (the call still returns `CRM_STATUS_OK`; resume it with `crm_import_resume_v2` /
//! `crm_import_records_resume`, or undo it with `crm_import_undo`); an export stops with the records
//! written so far in the file and their number in `*out_count`. The caller asked to stop, so stopping is
//! not an error.
//!
//! Records (`rows_json`): `[{"Opportunity Name": "Hooli", "amount": 1200.50, "closingdate": "2027-03-31",
//! "emailoptout": true, "probability": null}, ...]`: keys are columns (labels or field names, mapped as a
//! CSV header is), the first object's keys being the columns (a later object with another key fails with
//! code `columns`); strings are read as CSV cells are (the options' date and number formats), numbers are
//! exact (every digit kept), `true`/`false` booleans, `null` empty. The report's `line` is the 1-based
//! position of the object.

use crate::args::{Out, arg_opt_json, arg_opt_str, arg_str};
use crate::boundary;
use crate::import_export::selection_from_json;
use crate::status::crm_status;
use crate::store::{crm_store, lock_store};
use crm_core::io::{ExportOptions, ImportOptions};
use crm_core::{Flow, ProgressFn, ProgressUnit, ProgressUpdate, Records};
use std::ffi::{c_char, c_void};

/// What a progress update counts.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum crm_progress_unit {
    /// Data rows (records, cards).
    Rows = 0,
    /// Bytes of the input file read.
    Bytes = 1,
}

/// One progress update (version 2). Fields may be appended in later versions, never reordered.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct crm_progress_info {
    /// Amount done, in `unit`.
    pub done: u64,
    /// Amount in all, in `unit`; 0 when unknown.
    pub total: u64,
    /// What `done` and `total` count.
    pub unit: crm_progress_unit,
    /// Data rows done so far, whatever the unit.
    pub rows: u64,
}

/// Progress callback, version 2: called with `user_data` and the update (valid during the call only)
/// after every committed batch and once at the end; returns 0 to go on, non-zero to stop between batches
/// (see the module docs).
///
/// Thread-safety: called on the thread of the import or export call, during it, while the store is
/// locked: it must not call crm on that store, and must not unwind (C++ exceptions, `longjmp`) into crm.
pub type crm_progress_v2 = Option<unsafe extern "C" fn(user_data: *mut c_void, info: *const crm_progress_info) -> i32>;

/// The host's callback as crm-core's progress sink.
fn sink(progress: crm_progress_v2, user_data: *mut c_void) -> Option<ProgressFn<impl FnMut(ProgressUpdate) -> Flow>> {
    progress.map(|f| {
        ProgressFn(move |u: ProgressUpdate| {
            let info = crm_progress_info {
                done: u.done,
                total: u.total.unwrap_or(0),
                unit: match u.unit {
                    ProgressUnit::Rows => crm_progress_unit::Rows,
                    ProgressUnit::Bytes => crm_progress_unit::Bytes,
                },
                rows: u.rows,
            };
            // SAFETY: the host's function pointer and user data, called as documented at `crm_progress_v2`.
            if unsafe { f(user_data, &info) } == 0 { Flow::Continue } else { Flow::Stop }
        })
    })
}

fn open_sized(path: &str) -> boundary::FfiResult<(std::io::BufReader<std::fs::File>, Option<u64>)> {
    let f = std::fs::File::open(path).map_err(|e| boundary::FfiError::new(crm_status::Io, "io", format!("cannot open '{path}': {e}")))?;
    let size = f.metadata().ok().map(|m| m.len());
    Ok((std::io::BufReader::new(f), size))
}

/// `crm_import_csv` with a version-2 progress callback: totals are bytes read out of the file's size, and
/// the callback can stop the import between batches (module docs).
///
/// Errors: as `crm_import_csv`. Thread-safety: as `crm_import_csv`.
///
/// # Safety
/// As `crm_import_csv`; `progress` NULL or a function following `crm_progress_v2`'s contract.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_import_csv_v2(
    store: *mut crm_store,
    path: *const c_char,
    module: *const c_char,
    options_json: *const c_char,
    progress: crm_progress_v2,
    user_data: *mut c_void,
    out_report_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let path = unsafe { arg_str(path, "path") }?;
        let module = unsafe { arg_str(module, "module") }?;
        let options: ImportOptions = unsafe { arg_opt_json(options_json, "options_json") }?;
        let out = unsafe { Out::optional(out_report_json) };
        let (reader, size) = open_sized(path)?;
        let mut cb = sink(progress, user_data);
        let p: crm_core::Progress<'_> = cb.as_mut().map(|f| f as &mut dyn crm_core::ProgressSink);
        let report = unsafe { lock_store(store) }?.import_csv_with_size(reader, size, module, &options, p)?;
        out.set_json(&report)
    })
}

/// `crm_import_resume` with a version-2 progress callback; it resumes an import stopped by a callback
/// (journal `"interrupted"`) as well as one whose process died.
///
/// Errors: as `crm_import_resume`. Thread-safety: as `crm_import_csv`.
///
/// # Safety
/// As `crm_import_csv_v2`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_import_resume_v2(
    store: *mut crm_store,
    import_id: i64,
    path: *const c_char,
    options_json: *const c_char,
    progress: crm_progress_v2,
    user_data: *mut c_void,
    out_report_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let path = unsafe { arg_str(path, "path") }?;
        let options: ImportOptions = unsafe { arg_opt_json(options_json, "options_json") }?;
        let out = unsafe { Out::optional(out_report_json) };
        let (reader, size) = open_sized(path)?;
        let mut cb = sink(progress, user_data);
        let p: crm_core::Progress<'_> = cb.as_mut().map(|f| f as &mut dyn crm_core::ProgressSink);
        let report = unsafe { lock_store(store) }?.resume_import_csv_with_size(import_id, reader, size, &options, p)?;
        out.set_json(&report)
    })
}

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
    boundary::run(|| {
        let module = unsafe { arg_str(module, "module") }?;
        let rows = unsafe { arg_str(rows_json, "rows_json") }?;
        let options: ImportOptions = unsafe { arg_opt_json(options_json, "options_json") }?;
        let out = unsafe { Out::optional(out_report_json) };
        let records = Records::from_json(rows)?;
        let mut cb = sink(progress, user_data);
        let p: crm_core::Progress<'_> = cb.as_mut().map(|f| f as &mut dyn crm_core::ProgressSink);
        let report = unsafe { lock_store(store) }?.import_records(module, records, &options, p)?;
        out.set_json(&report)
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
    boundary::run(|| {
        let rows = unsafe { arg_str(rows_json, "rows_json") }?;
        let options: ImportOptions = unsafe { arg_opt_json(options_json, "options_json") }?;
        let out = unsafe { Out::optional(out_report_json) };
        let records = Records::from_json(rows)?;
        let mut cb = sink(progress, user_data);
        let p: crm_core::Progress<'_> = cb.as_mut().map(|f| f as &mut dyn crm_core::ProgressSink);
        let report = unsafe { lock_store(store) }?.resume_import_records(import_id, records, &options, p)?;
        out.set_json(&report)
    })
}

/// `crm_export_csv` with a version-2 progress callback: it hears the records written out of the number
/// selected every 500 records and at the end, and can stop the export there (`*out_count` then holds the
/// records written, each a whole line of the file).
///
/// Errors: as `crm_export_csv`. Thread-safety: as `crm_export_csv`; `progress` runs on this thread while
/// the store is locked.
///
/// # Safety
/// As `crm_export_csv`; `progress` NULL or a function following `crm_progress_v2`'s contract.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn crm_export_csv_v2(
    store: *const crm_store,
    module: *const c_char,
    path: *const c_char,
    selection_json: *const c_char,
    options_json: *const c_char,
    progress: crm_progress_v2,
    user_data: *mut c_void,
    out_count: *mut u64,
) -> crm_status {
    boundary::run(|| {
        let module = unsafe { arg_str(module, "module") }?;
        let path = unsafe { arg_str(path, "path") }?;
        let sel = selection_from_json(unsafe { arg_opt_str(selection_json, "selection_json") }?, module)?;
        let options: ExportOptions = unsafe { arg_opt_json(options_json, "options_json") }?;
        let out = unsafe { Out::optional(out_count) };
        let crm = unsafe { lock_store(store) }?;
        let file = std::fs::File::create(path)
            .map(std::io::BufWriter::new)
            .map_err(|e| boundary::FfiError::new(crm_status::Io, "io", format!("cannot create '{path}': {e}")))?;
        let mut cb = sink(progress, user_data);
        let p: crm_core::Progress<'_> = cb.as_mut().map(|f| f as &mut dyn crm_core::ProgressSink);
        let n = crm.export_csv_with_progress(file, module, &sel, &options, p)?;
        out.set(n);
        Ok(())
    })
}
