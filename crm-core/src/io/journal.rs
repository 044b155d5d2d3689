//! What storage keeps about imports: one [`ImportJournal`] per import, one [`ImportRowFate`] per record an
//! import created, updated or merged (written in the same transaction as the record), and named
//! [`SavedMapping`]s. This is what makes an import undoable after a crash: only whole batches exist, and
//! every record in them has its fate next to it.

use crate::value::RecordId;
use serde::{Deserialize, Serialize};

/// The state of an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    /// Rows are being imported (or the process importing them died).
    Running,
    /// Every row was processed.
    Completed,
    /// The import was undone.
    Undone,
    /// The caller stopped the import between batches (a progress sink said stop, Ctrl-C in Python): the
    /// committed batches stay; resume it or undo it.
    Interrupted,
}

impl ImportStatus {
    /// Stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            ImportStatus::Running => "running",
            ImportStatus::Completed => "completed",
            ImportStatus::Undone => "undone",
            ImportStatus::Interrupted => "interrupted",
        }
    }
    /// Parses [`ImportStatus::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "running" => ImportStatus::Running,
            "completed" => ImportStatus::Completed,
            "undone" => ImportStatus::Undone,
            "interrupted" => ImportStatus::Interrupted,
            _ => return None,
        })
    }
}

/// One import as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportJournal {
    /// Import id (from the record id space).
    pub id: i64,
    /// Module imported into.
    pub module: String,
    /// `csv`, `vcard` or `records`.
    pub kind: String,
    /// Who imported.
    pub actor: String,
    /// When it started (UTC).
    pub at: chrono::NaiveDateTime,
    /// State.
    pub status: ImportStatus,
    /// Data rows read so far.
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
}

/// What an import did to one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowAction {
    /// A record was created from a row.
    Created,
    /// An existing record was overwritten.
    Updated,
    /// An existing record was merged.
    Merged,
    /// A referenced record (organization, contact, ...) was created because it was missing.
    CreatedReference,
}

impl RowAction {
    /// Stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            RowAction::Created => "created",
            RowAction::Updated => "updated",
            RowAction::Merged => "merged",
            RowAction::CreatedReference => "created_reference",
        }
    }
    /// Parses [`RowAction::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "created" => RowAction::Created,
            "updated" => RowAction::Updated,
            "merged" => RowAction::Merged,
            "created_reference" => RowAction::CreatedReference,
            _ => return None,
        })
    }
}

/// The fate of one record in one import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRowFate {
    /// The import.
    pub import_id: i64,
    /// Line of the file (or position of the card) the record came from.
    pub line: u64,
    /// The record.
    pub record: RecordId,
    /// What happened to it.
    pub action: RowAction,
    /// For updated and merged records: the writable field values before, as a JSON object.
    pub previous: Option<String>,
    /// The record's version right after the import wrote it (undo refuses if it moved on).
    pub version: u64,
}

/// A named column mapping of a module, kept for the next import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedMapping {
    /// Module name.
    pub module: String,
    /// Name chosen by the user (unique per module).
    pub name: String,
    /// Column → field.
    pub mapping: std::collections::BTreeMap<String, String>,
}
