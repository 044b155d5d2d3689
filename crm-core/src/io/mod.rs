//! Import and export: CSV in and out, vCard in and out.
//!
//! The pieces here are pure (no storage): [`options`] (what the caller chooses, serde for the bindings),
//! [`csv_import`] (decoding, delimiter sniffing, column → field mapping, cell → value conversion, row by
//! row), [`numbers`] and [`jalali`] (Persian digits and Solar Hijri dates), [`vcard`] (cards → contact
//! fields, via calcard), [`csv_export`] and [`vcard_export`] (streaming writers) and [`journal`] (what
//! storage keeps about imports). The orchestration — the save pipeline, batches, duplicates, references,
//! undo — lives in the `Crm` facade (`service/import.rs`), so an imported row is validated and logged
//! exactly like a record saved by hand.
//!
//! # Where we differ from vtiger, and why
//! * **One pipeline.** vtiger imports more than 1000 rows in a background bulk mode without workflows or
//!   change log, leaving computed fields stale. Here every row goes through the normal save (validation,
//!   stage → probability, workflows once hooked in, change log), in batches of `batch_size` rows per
//!   transaction whatever the file size; memory stays flat (rows are streamed, only failures are kept).
//! * **Invalid values fail the row** with the column, field and reason. vtiger silently empties an invalid
//!   date and fills mandatory fields with `????`; we report instead of inventing data.
//! * **Undo restores** overwritten and merged records (their previous values are journalled) and also
//!   removes referenced records the import created; vtiger only deletes created rows. Undo refuses with
//!   `Conflict` when any of those records changed since.
//! * **Formula neutralisation** on export (vtiger has none): text cells starting with `= + - @`, tab or CR get
//!   a leading `'`; numbers are left alone so `-5.00` stays a number. Import strips that `'` again, so an
//!   export re-imports to the same values.
//! * Duplicates are found among committed records and the rows already processed in the current batch.

pub mod csv_export;
pub mod csv_import;
pub mod jalali;
pub mod journal;
pub mod numbers;
pub mod option_names;
pub mod options;
pub mod vcard;
pub mod vcard_export;

pub use journal::{ImportJournal, ImportRowFate, ImportStatus, RowAction, SavedMapping};
pub use options::{DateFormat, Delimiter, Digits, Duplicates, Encoding, ExportOptions, HeaderStyle, ImportOptions};

use crate::value::RecordId;
use serde::{Deserialize, Serialize};

/// What happened (or, in a dry run, would happen) to one data row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A record was created.
    Created,
    /// An existing record was overwritten.
    Updated,
    /// An existing record was merged.
    Merged,
    /// The row was skipped (empty, or a duplicate with `skip`).
    Skipped,
    /// The row failed; see its problems.
    Failed,
}

/// One problem of a row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowProblem {
    /// The column header (or 1-based position) the value came from, if any.
    pub column: Option<String>,
    /// The field, if any.
    pub field: Option<String>,
    /// Machine-readable code (a [`ValidationCode`](crate::ValidationCode) name, or `columns`, `encoding`,
    /// `empty`, `duplicate`, `storage`).
    pub code: String,
    /// Message for people.
    pub message: String,
}

/// The outcome of one row, with its line number (1-based line of the file, or position of the card).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowReport {
    /// Line (CSV) or card number (vCard).
    pub line: u64,
    /// What happened.
    pub outcome: Outcome,
    /// The record created or changed (none in a dry run for creates).
    pub record: Option<RecordId>,
    /// Fields the row sets or changes (dry run; for updates and merges only the changed ones).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
    /// Why it failed or was skipped; also notes (e.g. a taken auto-number that was replaced).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<RowProblem>,
}

/// The result of an import. `created + updated + merged + skipped + failed == rows`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ImportReport {
    /// Import id (for [`Crm::undo_import`](crate::Crm::undo_import)); 0 for a dry run.
    pub import_id: i64,
    /// True when nothing was written.
    pub dry_run: bool,
    /// Data rows read (CSV lines after the header, empty lines included; vCard cards).
    pub rows: u64,
    /// Records created.
    pub created: u64,
    /// Records overwritten.
    pub updated: u64,
    /// Records merged.
    pub merged: u64,
    /// Rows skipped.
    pub skipped: u64,
    /// Rows failed.
    pub failed: u64,
    /// Referenced records created on the way (organizations, contacts, ...).
    pub references_created: u64,
    /// Picklist values added on the way, as `field: value`.
    pub picklist_values_added: Vec<String>,
    /// Column → field actually used.
    pub mapping: Vec<(String, Option<String>)>,
    /// File-level notes (ignored columns, ...), each said once.
    pub warnings: Vec<String>,
    /// Failed and skipped rows (every row in a dry run), in file order.
    pub row_reports: Vec<RowReport>,
    /// True when the caller stopped the import between batches (see [`Flow::Stop`](crate::Flow::Stop)):
    /// the journal says interrupted, the rows counted here are committed, the rest was not read.
    #[serde(default)]
    pub interrupted: bool,
}

impl ImportReport {
    /// The row counters alone (no mapping, warnings or row reports, which grow with the file).
    pub(crate) fn counters(&self) -> ImportReport {
        let (rows, created, updated, merged, skipped, failed) =
            (self.rows, self.created, self.updated, self.merged, self.skipped, self.failed);
        ImportReport { rows, created, updated, merged, skipped, failed, ..ImportReport::default() }
    }

    pub(crate) fn count(&mut self, o: Outcome) {
        match o {
            Outcome::Created => self.created += 1,
            Outcome::Updated => self.updated += 1,
            Outcome::Merged => self.merged += 1,
            Outcome::Skipped => self.skipped += 1,
            Outcome::Failed => self.failed += 1,
        }
    }
}
