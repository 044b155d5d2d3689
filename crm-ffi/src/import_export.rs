//! CSV and vCard import (with a progress callback, version 1 or 2: see `progress`), import journal and
//! undo, saved column mappings, CSV and vCard export to a file. Each `_v2` entry point is its first
//! version with a `crm_progress_v2` callback; both run one body.
//!
//! Options cross as JSON in crm-core's serde form, read by crm-core's parsers (the ones Python's keyword
//! arguments go through, `crm_core::io::option_names`); missing keys take their defaults; names are read in
//! any case. Import options: `{"has_header": true, "delimiter": "auto"|"comma"|","|"semicolon"|";"|"tab"|
//! "\t"|..., "encoding": "utf-8"|"iso-8859-1"|"latin-1"|"windows-1252"|"cp1252"|"windows-1256"|"utf-16le"|
//! "utf-16be"|any WHATWG encoding label (a UTF-8 or UTF-16 byte-order mark wins), "date_format":
//! "yyyy-mm-dd"|"dd-mm-yyyy"|"mm/dd/yyyy"|"jalali"|...,
//! "decimal_separator": ".", "thousands_separator": ","|""|null, "mapping": {"column": "field"}, "defaults":
//! {"field": "value"}, "duplicates": "create"|"skip"|"overwrite"|"merge", "match_on": ["field"],
//! "create_missing_references": false, "add_unknown_picklist_values": false, "dry_run": false,
//! "batch_size": 250}`. The report (crm-core's `ImportReport`): `{"import_id": 5, "dry_run": false, "rows":
//! 10, "created": 8, "updated": 0, "merged": 0, "skipped": 1, "failed": 1, "references_created": 2,
//! "picklist_values_added": [], "mapping": [["Amount", "amount"]], "warnings": [..], "row_reports": [{"line":
//! 3, "outcome": "failed", "problems": [{"column", "field", "code", "message"}], ...}]}`.
//!
//! Export selections: `{"ids": [7, 8]}` (these records, in this order), `{"query": {..a crm_record_find
//! query..}, "page": 1, "size": 50}` (one page), `{"all": {..query..}}` (everything it selects), or NULL
//! (every record of the module).

use crate::args::{Out, arg_json, arg_opt_json, arg_opt_str, arg_str, parse_json};
use crate::boundary::{self, FfiError, FfiResult};
use crate::progress::{as_progress, crm_progress, crm_progress_v2, reporter, sink};
use crate::status::crm_status;
use crate::store::{crm_store, lock_store};
use crm_core::io::ExportOptions;
use crm_core::io::ImportReport;
use crm_core::io::vcard_export::VcardVersion;
use crm_core::wire::SelectionSpec;
use crm_core::{Crm, ExportSelection, Progress, Query};
use std::collections::BTreeMap;
use std::ffi::{c_char, c_void};

/// The file at `path`, buffered, and its size when known (progress counts bytes read out of it).
fn open_sized(path: &str) -> FfiResult<(std::io::BufReader<std::fs::File>, Option<u64>)> {
    let f = std::fs::File::open(path).map_err(|e| FfiError::new(crm_status::Io, "io", format!("cannot open '{path}': {e}")))?;
    let size = f.metadata().ok().map(|m| m.len());
    Ok((std::io::BufReader::new(f), size))
}

/// The shared part of every import (of a file or of records): reads the options, makes the source with
/// `source`, runs `import` over it on the locked store and writes the report to `*out_report_json`
/// (optional). The callers check their other arguments first, so the checks keep their order.
///
/// # Safety
/// `store` is NULL or a live handle; `options_json` NULL or NUL-terminated; `out_report_json` NULL or
/// writable.
pub(crate) unsafe fn import_report<O: serde::de::DeserializeOwned + Default, S>(
    store: *const crm_store,
    options_json: *const c_char,
    out_report_json: *mut *mut c_char,
    source: impl FnOnce() -> FfiResult<S>,
    import: impl FnOnce(&mut Crm, S, &O) -> crm_core::Result<ImportReport>,
) -> FfiResult<()> {
    let options: O = unsafe { arg_opt_json(options_json, "options_json") }?;
    let out = unsafe { Out::optional(out_report_json) };
    let source = source()?;
    let mut crm = unsafe { lock_store(store) }?;
    let report = import(&mut crm, source, &options)?;
    out.set_json(&report)
}

/// An import of the file at `path` ([`import_report`] with the file, buffered, and its size when known).
///
/// # Safety
/// As [`import_report`].
unsafe fn import_file<O: serde::de::DeserializeOwned + Default>(
    store: *const crm_store,
    path: &str,
    options_json: *const c_char,
    out_report_json: *mut *mut c_char,
    import: impl FnOnce(&mut Crm, (std::io::BufReader<std::fs::File>, Option<u64>), &O) -> crm_core::Result<ImportReport>,
) -> FfiResult<()> {
    unsafe { import_report(store, options_json, out_report_json, || open_sized(path), import) }
}

/// The shared part of every export to a file: creates the file at `path` once the store is locked, runs
/// `export` into it and writes the number exported to `*out_count` (optional).
///
/// # Safety
/// `store` is NULL or a live handle; `out_count` NULL or writable.
unsafe fn export_count(
    store: *const crm_store,
    path: &str,
    out_count: *mut u64,
    export: impl FnOnce(&Crm, std::io::BufWriter<std::fs::File>) -> crm_core::Result<u64>,
) -> FfiResult<()> {
    let out = unsafe { Out::optional(out_count) };
    let crm = unsafe { lock_store(store) }?;
    let file = create_file(path)?;
    out.set(export(&crm, file)?);
    Ok(())
}

fn create_file(path: &str) -> FfiResult<std::io::BufWriter<std::fs::File>> {
    std::fs::File::create(path)
        .map(std::io::BufWriter::new)
        .map_err(|e| FfiError::new(crm_status::Io, "io", format!("cannot create '{path}': {e}")))
}

/// Imports a CSV file into `module` (name or label): every row goes through the normal save pipeline
/// (validation, stage → probability, workflows, change log) and rows are committed `batch_size` at a time.
/// Bad rows are reported, not errors. `options_json` (NULL: defaults) is described in the module docs.
/// `progress` (NULL: none) is called with `user_data` as rows are done; crm does not keep either after
/// this call. `*out_report_json` (optional, owned by the caller) receives the import report.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_INVALID_JSON`, `_INVALID_ARGUMENT` (bad
/// options, unreadable CSV, mapping that maps nothing), `_NOT_FOUND` (module), `_IO` (cannot open the
/// file), storage errors (batches committed before stay; undo them with `crm_import_undo`).
/// Thread-safety: serialised with other calls on the store; `progress` runs on this thread while the store
/// is locked.
///
/// # Safety
/// `store` is NULL or a live handle; `path`, `module`, `options_json` NULL or NUL-terminated; `progress`
/// NULL or a function following `crm_progress`'s contract; `out_report_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_import_csv(
    store: *mut crm_store,
    path: *const c_char,
    module: *const c_char,
    options_json: *const c_char,
    progress: crm_progress,
    user_data: *mut c_void,
    out_report_json: *mut *mut c_char,
) -> crm_status {
    let mut cb = reporter(progress, user_data);
    boundary::run(|| unsafe { import_csv(store, path, module, options_json, as_progress(&mut cb), out_report_json) })
}

/// `crm_import_csv` with a version-2 progress callback: totals are bytes read out of the file's size, and
/// the callback can stop the import between batches (see `crm_progress_v2`).
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
    let mut cb = sink(progress, user_data);
    boundary::run(|| unsafe { import_csv(store, path, module, options_json, as_progress(&mut cb), out_report_json) })
}

/// The body of `crm_import_csv` and `crm_import_csv_v2`, with the host's callback as a progress sink.
///
/// # Safety
/// As `crm_import_csv`.
unsafe fn import_csv(
    store: *mut crm_store,
    path: *const c_char,
    module: *const c_char,
    options_json: *const c_char,
    progress: Progress<'_>,
    out_report_json: *mut *mut c_char,
) -> FfiResult<()> {
    let path = unsafe { arg_str(path, "path") }?;
    let module = unsafe { arg_str(module, "module") }?;
    unsafe {
        import_file(store, path, options_json, out_report_json, |crm, (reader, size), o| {
            crm.import_csv_with_size(reader, size, module, o, progress)
        })
    }
}

/// Imports a vCard file (2.1, 3.0, 4.0) as Contacts, each linked to its organization (ORG, found by name
/// or created), optionally with one new opportunity per new contact. `options_json` (NULL: defaults) is
/// `{"import": {..import options, see the module docs..}, "opportunity": {"name_template":
/// "{organization} - new customer", "sales_stage": "Prospecting", "close_in_days": 30}|null,
/// "create_organizations": true}`. `progress`, `user_data` and the report as in `crm_import_csv`.
///
/// Errors: as `crm_import_csv` (`_INVALID_ARGUMENT` for an empty or binary file). Thread-safety: as
/// `crm_import_csv`.
///
/// # Safety
/// As `crm_import_csv`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_import_vcard(
    store: *mut crm_store,
    path: *const c_char,
    options_json: *const c_char,
    progress: crm_progress,
    user_data: *mut c_void,
    out_report_json: *mut *mut c_char,
) -> crm_status {
    let mut cb = reporter(progress, user_data);
    boundary::run(|| unsafe { import_vcard(store, path, options_json, as_progress(&mut cb), out_report_json) })
}

/// `crm_import_vcard` with a version-2 progress callback: it hears the cards done out of the cards in the
/// file after every batch and can stop the import between batches (`crm_import_vcard_resume` resumes it).
///
/// Errors: as `crm_import_vcard`. Thread-safety: as `crm_import_csv`.
///
/// # Safety
/// As `crm_import_vcard`; `progress` NULL or a function following `crm_progress_v2`'s contract.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_import_vcard_v2(
    store: *mut crm_store,
    path: *const c_char,
    options_json: *const c_char,
    progress: crm_progress_v2,
    user_data: *mut c_void,
    out_report_json: *mut *mut c_char,
) -> crm_status {
    let mut cb = sink(progress, user_data);
    boundary::run(|| unsafe { import_vcard(store, path, options_json, as_progress(&mut cb), out_report_json) })
}

/// The body of `crm_import_vcard` and `crm_import_vcard_v2`.
///
/// # Safety
/// As `crm_import_vcard`.
unsafe fn import_vcard(
    store: *mut crm_store,
    path: *const c_char,
    options_json: *const c_char,
    progress: Progress<'_>,
    out_report_json: *mut *mut c_char,
) -> FfiResult<()> {
    let path = unsafe { arg_str(path, "path") }?;
    unsafe { import_file(store, path, options_json, out_report_json, |crm, (reader, _), o| crm.import_vcard(reader, o, progress)) }
}

/// Every import, oldest first, with its counts and status, as a JSON array into `*out_json` (required,
/// owned by the caller): `[{"id": 5, "module": "Potentials", "status": "done"|"undone"|..., ...}]`.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, storage errors. Thread-safety: serialised with other calls.
///
/// # Safety
/// `store` is NULL or a live handle; `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_imports(store: *const crm_store, out_json: *mut *mut c_char) -> crm_status {
    boundary::run(|| {
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let list = unsafe { lock_store(store) }?.imports()?;
        out.set_json(&list)
    })
}

/// What import `import_id` did to each record it touched (created, overwritten, merged, created
/// references), in file order, as a JSON array into `*out_json` (required, owned by the caller).
///
/// Errors: `CRM_STATUS_NULL_POINTER`, storage errors. Thread-safety: serialised with other calls.
///
/// # Safety
/// `store` is NULL or a live handle; `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_import_rows(store: *const crm_store, import_id: i64, out_json: *mut *mut c_char) -> crm_status {
    boundary::run(|| {
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let rows = unsafe { lock_store(store) }?.import_rows(import_id)?;
        out.set_json(&rows)
    })
}

/// One page of `crm_import_rows`, in file order, into `*out_json` (required, owned by the caller): at most
/// `limit` rows after skipping `offset`. An empty array is the end.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_ARGUMENT` (`limit` 0 or above `MAX_LOG_PAGE`, 10 000),
/// storage errors. Thread-safety: serialised with other calls.
///
/// # Safety
/// `store` is NULL or a live handle; `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_import_rows_page(
    store: *const crm_store,
    import_id: i64,
    offset: u64,
    limit: u64,
    out_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let rows = unsafe { lock_store(store) }?.import_rows_page(import_id, offset, limit)?;
        out.set_json(&rows)
    })
}

/// Undoes an import, all or nothing in one transaction: records it created (and references it created)
/// go to the recycle bin; records it overwrote or merged get their previous values back.
/// `*out_report_json` (optional, owned by the caller) receives `{"deleted": 8, "restored": 2}`.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_NOT_FOUND` (unknown import), `_CONFLICT` (already undone, or
/// records changed since; the message lists them), storage errors. Thread-safety: serialised.
///
/// # Safety
/// `store` is NULL or a live handle; `out_report_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_import_undo(store: *mut crm_store, import_id: i64, out_report_json: *mut *mut c_char) -> crm_status {
    boundary::run(|| {
        let out = unsafe { Out::optional(out_report_json) };
        let r = unsafe { lock_store(store) }?.undo_import(import_id)?;
        out.set_json(&r)
    })
}

/// Saves (or replaces) a named column mapping of `module`: `mapping_json` is `{"column": "field", ...}`
/// (fields by name or label), usable as the `mapping` of import options.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_INVALID_JSON`, `_INVALID_ARGUMENT` (empty name,
/// unknown field), `_NOT_FOUND` (module), storage errors. Thread-safety: serialised with other calls.
///
/// # Safety
/// `store` is NULL or a live handle; `module`, `name`, `mapping_json` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_mapping_save(
    store: *mut crm_store,
    module: *const c_char,
    name: *const c_char,
    mapping_json: *const c_char,
) -> crm_status {
    boundary::run(|| {
        let module = unsafe { arg_str(module, "module") }?;
        let name = unsafe { arg_str(name, "name") }?;
        let mapping: BTreeMap<String, String> = unsafe { arg_json(mapping_json, "mapping_json") }?;
        Ok(unsafe { lock_store(store) }?.save_mapping(module, name, &mapping)?)
    })
}

/// The saved mappings of `module`, by name, as a JSON array into `*out_json` (required, owned by the
/// caller): `[{"module": "Potentials", "name": "vtiger export", "mapping": {"column": "field"}}]`.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_NOT_FOUND` (module), storage errors.
/// Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `module` NULL or NUL-terminated; `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_mappings(store: *const crm_store, module: *const c_char, out_json: *mut *mut c_char) -> crm_status {
    boundary::run(|| {
        let module = unsafe { arg_str(module, "module") }?;
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let list = unsafe { lock_store(store) }?.mappings(module)?;
        out.set_json(&list)
    })
}

/// Deletes a saved mapping of `module` by name (ignoring case).
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_NOT_FOUND`, storage errors. Thread-safety:
/// serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `module`, `name` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_mapping_delete(store: *mut crm_store, module: *const c_char, name: *const c_char) -> crm_status {
    boundary::run(|| {
        let module = unsafe { arg_str(module, "module") }?;
        let name = unsafe { arg_str(name, "name") }?;
        Ok(unsafe { lock_store(store) }?.delete_mapping(module, name)?)
    })
}

/// Parses an export selection (crm-core's [`crm_core::wire::SelectionSpec`], see the module docs); NULL
/// text selects every record of `module`.
pub fn selection_from_json(text: Option<&str>, module: &str) -> FfiResult<ExportSelection> {
    let Some(text) = text else {
        return Ok(ExportSelection::All(Query::new(module)));
    };
    let spec: SelectionSpec = parse_json(text, "selection_json")?;
    Ok(spec.into_selection()?)
}

/// Writes records of `module` as CSV to the file at `path` (created or truncated). `selection_json`
/// (NULL: every record of the module) and `options_json` (NULL: defaults; `{"columns": ["field", ...],
/// "header": "labels"|"names"|"none", "delimiter": .., "date_format": ..|"jalali", "bom": false, "digits":
/// "latin"|"persian", ...}`, crm-core's `ExportOptions`) as in the module docs. `*out_count` (optional) receives the number of records
/// written. A failed export may leave a partial file.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_INVALID_JSON`, `_INVALID_ARGUMENT` (unknown
/// column, query of another module), `_NOT_FOUND` (module, id), `_IO` (cannot write), storage errors.
/// Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `module`, `path`, `selection_json`, `options_json` NULL or
/// NUL-terminated; `out_count` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_export_csv(
    store: *const crm_store,
    module: *const c_char,
    path: *const c_char,
    selection_json: *const c_char,
    options_json: *const c_char,
    out_count: *mut u64,
) -> crm_status {
    boundary::run(|| unsafe { export_csv(store, module, path, selection_json, options_json, None, out_count) })
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
    let mut cb = sink(progress, user_data);
    boundary::run(|| unsafe { export_csv(store, module, path, selection_json, options_json, as_progress(&mut cb), out_count) })
}

/// The body of `crm_export_csv` and `crm_export_csv_v2`.
///
/// # Safety
/// As `crm_export_csv`.
unsafe fn export_csv(
    store: *const crm_store,
    module: *const c_char,
    path: *const c_char,
    selection_json: *const c_char,
    options_json: *const c_char,
    progress: Progress<'_>,
    out_count: *mut u64,
) -> FfiResult<()> {
    let module = unsafe { arg_str(module, "module") }?;
    let path = unsafe { arg_str(path, "path") }?;
    let sel = selection_from_json(unsafe { arg_opt_str(selection_json, "selection_json") }?, module)?;
    let options: ExportOptions = unsafe { arg_opt_json(options_json, "options_json") }?;
    unsafe { export_count(store, path, out_count, |crm, file| crm.export_csv_with_progress(file, module, &sel, &options, progress)) }
}

/// Writes contacts as vCards to the file at `path` (created or truncated). `selection_json` as in the
/// module docs (of Contacts; NULL: every contact); `version` `"3.0"` or `"4.0"` (NULL: 4.0). `*out_count`
/// (optional) receives the number of cards written.
///
/// Errors: as `crm_export_csv` (`_INVALID_ARGUMENT` for a selection of another module or an unknown
/// version). Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `path`, `selection_json`, `version` NULL or NUL-terminated;
/// `out_count` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_export_vcard(
    store: *const crm_store,
    path: *const c_char,
    selection_json: *const c_char,
    version: *const c_char,
    out_count: *mut u64,
) -> crm_status {
    boundary::run(|| unsafe { export_vcard(store, path, selection_json, version, None, out_count) })
}

/// `crm_export_vcard` with a version-2 progress callback: it hears the cards written out of the number
/// selected every 500 cards and at the end, and can stop the export there (`*out_count` then holds the
/// cards written, each whole in the file).
///
/// Errors: as `crm_export_vcard`. Thread-safety: as `crm_export_vcard`; `progress` runs on this thread
/// while the store is locked.
///
/// # Safety
/// As `crm_export_vcard`; `progress` NULL or a function following `crm_progress_v2`'s contract.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_export_vcard_v2(
    store: *const crm_store,
    path: *const c_char,
    selection_json: *const c_char,
    version: *const c_char,
    progress: crm_progress_v2,
    user_data: *mut c_void,
    out_count: *mut u64,
) -> crm_status {
    let mut cb = sink(progress, user_data);
    boundary::run(|| unsafe { export_vcard(store, path, selection_json, version, as_progress(&mut cb), out_count) })
}

/// The body of `crm_export_vcard` and `crm_export_vcard_v2`.
///
/// # Safety
/// As `crm_export_vcard`.
unsafe fn export_vcard(
    store: *const crm_store,
    path: *const c_char,
    selection_json: *const c_char,
    version: *const c_char,
    progress: Progress<'_>,
    out_count: *mut u64,
) -> FfiResult<()> {
    let path = unsafe { arg_str(path, "path") }?;
    let sel = selection_from_json(unsafe { arg_opt_str(selection_json, "selection_json") }?, "Contacts")?;
    let version = match unsafe { arg_opt_str(version, "version") }? {
        None => VcardVersion::default(),
        Some(v) => v.parse::<VcardVersion>()?,
    };
    unsafe { export_count(store, path, out_count, |crm, file| crm.export_vcard_with_progress(file, &sel, version, progress)) }
}

// ----- resume -----

/// Resumes a CSV import that was interrupted (the process died mid-import): the data rows its journal
/// counts (whole committed batches) are skipped and the rest of `path` is imported under the same import
/// id, so `crm_import_undo` takes back both parts at once. Pass the same file and options as the
/// interrupted run (`options_json` NULL: defaults; `dry_run` is refused). `progress`, `user_data` and
/// `*out_report_json` as in `crm_import_csv`; the report counts the whole import.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_INVALID_JSON`, `_INVALID_ARGUMENT` (bad options,
/// dry run), `_NOT_FOUND` (unknown import), `_CONFLICT` (the import completed or was undone, or is not a
/// CSV import), `_IO` (cannot open the file), storage errors. Thread-safety: as `crm_import_csv`.
///
/// # Safety
/// As `crm_import_csv`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_import_resume(
    store: *mut crm_store,
    import_id: i64,
    path: *const c_char,
    options_json: *const c_char,
    progress: crm_progress,
    user_data: *mut c_void,
    out_report_json: *mut *mut c_char,
) -> crm_status {
    let mut cb = reporter(progress, user_data);
    boundary::run(|| unsafe { resume_import(store, import_id, path, options_json, as_progress(&mut cb), out_report_json) })
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
    let mut cb = sink(progress, user_data);
    boundary::run(|| unsafe { resume_import(store, import_id, path, options_json, as_progress(&mut cb), out_report_json) })
}

/// Resumes a vCard import that was interrupted (stopped by a callback, or the process died): the cards its
/// journal counts (whole committed batches) are skipped and the rest of `path` is imported under the same
/// import id, so `crm_import_undo` takes back both parts at once. Pass the same file and options as the
/// interrupted run (`options_json` as in `crm_import_vcard`, NULL: defaults; `dry_run` is refused).
/// `progress` (NULL: none) hears cards done out of the cards in the file and can stop the resumed run
/// between batches. `*out_report_json` (optional, owned by the caller) receives the report, which counts
/// the whole import.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_INVALID_JSON`, `_INVALID_ARGUMENT` (bad options,
/// dry run, not a vCard file), `_NOT_FOUND` (unknown import), `_CONFLICT` (the import completed or was
/// undone, or is not a vCard import), `_IO` (cannot open the file), storage errors. Thread-safety: as
/// `crm_import_csv`.
///
/// # Safety
/// As `crm_import_vcard`; `progress` NULL or a function following `crm_progress_v2`'s contract.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_import_vcard_resume(
    store: *mut crm_store,
    import_id: i64,
    path: *const c_char,
    options_json: *const c_char,
    progress: crm_progress_v2,
    user_data: *mut c_void,
    out_report_json: *mut *mut c_char,
) -> crm_status {
    let mut cb = sink(progress, user_data);
    boundary::run(|| {
        let path = unsafe { arg_str(path, "path") }?;
        unsafe {
            import_file(store, path, options_json, out_report_json, |crm, (reader, _), o| {
                crm.resume_import_vcard(import_id, reader, o, as_progress(&mut cb))
            })
        }
    })
}

/// The body of `crm_import_resume` and `crm_import_resume_v2`.
///
/// # Safety
/// As `crm_import_csv`.
unsafe fn resume_import(
    store: *mut crm_store,
    import_id: i64,
    path: *const c_char,
    options_json: *const c_char,
    progress: Progress<'_>,
    out_report_json: *mut *mut c_char,
) -> FfiResult<()> {
    let path = unsafe { arg_str(path, "path") }?;
    unsafe {
        import_file(store, path, options_json, out_report_json, |crm, (reader, size), o| {
            crm.resume_import_csv_with_size(import_id, reader, size, o, progress)
        })
    }
}
