//! The progress callbacks the import and export entry points take, and their adapters to crm-core's
//! [`ProgressSink`].
//!
//! `crm_progress` (version 1: rows done, no answer) keeps working where it was taken. A
//! `crm_progress_v2` receives a `crm_progress_info` — done, total (0 when unknown), unit, rows — after
//! every committed batch and at the end, and answers 0 to go on or non-zero to stop: an import stops
//! between batches with its committed batches kept, its journal `"interrupted"` and its report's
//! `"interrupted": true` (the call still returns `CRM_STATUS_OK`; resume it with `crm_import_resume_v2` /
//! `crm_import_records_resume`, or undo it with `crm_import_undo`); an export stops with the records
//! written so far in the file and their number in `*out_count`. The caller asked to stop, so stopping is
//! not an error.

use crm_core::{Flow, Progress, ProgressFn, ProgressSink, ProgressUnit, ProgressUpdate};
use std::ffi::c_void;

/// Import progress: called with the number of data rows done so far, after every committed batch
/// (`batch_size` rows) and once at the end.
///
/// This callback only reports: to see totals and to stop an import between batches, use a
/// `crm_progress_v2` with the `_v2` entry points. To take an import back, call `crm_import_undo` with its
/// id afterwards (batches are committed as they go, so the records of finished batches exist while the
/// import runs).
///
/// Thread-safety: called on the thread of the import call, during it, while the store is locked: it must
/// not call crm on that store, and must not unwind (C++ exceptions, `longjmp`) into crm.
pub type crm_progress = Option<unsafe extern "C" fn(user_data: *mut c_void, rows_done: u64)>;

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

/// The host's version-1 callback as a progress sink (it hears the rows done and never stops the run).
pub(crate) fn reporter(progress: crm_progress, user_data: *mut c_void) -> Option<impl FnMut(u64)> {
    progress.map(|f| {
        move |n: u64| {
            // SAFETY: the host's function pointer and user data, called as documented at `crm_progress`.
            unsafe { f(user_data, n) }
        }
    })
}

/// The host's version-2 callback as a progress sink.
pub(crate) fn sink(progress: crm_progress_v2, user_data: *mut c_void) -> Option<ProgressFn<impl FnMut(ProgressUpdate) -> Flow>> {
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

/// A sink made by [`reporter`] or [`sink`] as the progress crm-core's entry points take.
pub(crate) fn as_progress<S: ProgressSink>(sink: &mut Option<S>) -> Progress<'_> {
    sink.as_mut().map(|s| s as &mut dyn ProgressSink)
}
