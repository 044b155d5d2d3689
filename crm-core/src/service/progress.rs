//! Progress of long runs (imports, exports): what the engine says after every batch — how much is done,
//! out of how much, in rows or bytes — and what the caller says back: go on or stop.
//!
//! A [`Progress`] is an optional `&mut dyn` [`ProgressSink`]. Any `FnMut(u64)` is a sink (it gets the rows
//! done, and never stops the run), so a plain closure keeps working; [`ProgressFn`] wraps a closure that
//! receives the whole [`ProgressUpdate`] and returns a [`Flow`].
//!
//! The total is real when the engine can know it: the number of rows of a record source that knows its
//! length, the number of records an export selects, the number of cards of a vCard file; for a CSV file
//! of known size, bytes read out of the file's size (a row count would need a second pass over the file).
//! Otherwise the total is `None` and `done` counts rows.

/// What a progress update counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressUnit {
    /// Data rows (records, cards) done.
    Rows,
    /// Bytes of the input read.
    Bytes,
}

impl ProgressUnit {
    /// `"rows"` or `"bytes"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ProgressUnit::Rows => "rows",
            ProgressUnit::Bytes => "bytes",
        }
    }
}

/// One progress report: sent after every committed batch and once at the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProgressUpdate {
    /// Amount done, in `unit`.
    pub done: u64,
    /// Amount in all, in `unit`, when known.
    pub total: Option<u64>,
    /// What `done` and `total` count.
    pub unit: ProgressUnit,
    /// Data rows done so far (whatever the unit).
    pub rows: u64,
}

/// What a progress sink answers: go on, or stop between batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Go on.
    Continue,
    /// Stop at this point: an import keeps its committed batches and its journal says interrupted; an
    /// export stops writing.
    Stop,
}

/// Receives progress updates. Every `FnMut(u64)` is one (called with the rows done; it never stops);
/// wrap a closure in [`ProgressFn`] to see totals and to stop.
pub trait ProgressSink {
    /// Called after every batch and at the end; the answer is read between batches.
    fn update(&mut self, update: ProgressUpdate) -> Flow;
}

impl<F: FnMut(u64)> ProgressSink for F {
    fn update(&mut self, update: ProgressUpdate) -> Flow {
        self(update.rows);
        Flow::Continue
    }
}

/// A closure that sees the whole [`ProgressUpdate`] and may stop the run.
///
/// # Example
/// ```
/// use crm_core::io::{ImportOptions, ImportStatus};
/// use crm_core::{Crm, Flow, NewUser, ProgressFn, ProgressUpdate};
/// # fn main() -> Result<(), crm_core::Error> {
/// let mut crm = Crm::open(":memory:")?;
/// crm.add_user(NewUser::new("admin"))?;
/// crm.set_actor("admin")?;
/// let mut csv = String::from("Opportunity Name,Amount,Sales Stage,Expected Close Date\n");
/// for i in 0..5 {
///     csv.push_str(&format!("Deal {i},100,Prospecting,2027-03-31\n"));
/// }
/// let options = ImportOptions { batch_size: 2, ..ImportOptions::default() };
/// let mut stop_after_first_batch = ProgressFn(|u: ProgressUpdate| if u.rows >= 2 { Flow::Stop } else { Flow::Continue });
/// let report = crm.import_csv(csv.as_bytes(), "Potentials", &options, Some(&mut stop_after_first_batch))?;
/// assert!(report.interrupted);
/// assert_eq!((report.rows, report.created), (2, 2));
/// assert_eq!(crm.imports()?[0].status, ImportStatus::Interrupted);
/// let rest = crm.resume_import_csv(report.import_id, csv.as_bytes(), &options, None)?;
/// assert_eq!((rest.rows, rest.created, rest.interrupted), (5, 5, false));
/// # Ok(()) }
/// ```
pub struct ProgressFn<F>(pub F);

impl<F: FnMut(ProgressUpdate) -> Flow> ProgressSink for ProgressFn<F> {
    fn update(&mut self, update: ProgressUpdate) -> Flow {
        (self.0)(update)
    }
}

/// An optional progress sink, as the import and export entry points take it (`None`: no reports).
pub type Progress<'a> = Option<&'a mut dyn ProgressSink>;

/// Sends `update` to the sink, if any; `true` when the sink asks to stop.
pub(crate) fn report(progress: &mut Progress<'_>, update: ProgressUpdate) -> bool {
    progress.as_mut().is_some_and(|p| p.update(update) == Flow::Stop)
}
