//! Import, undo, saved mappings and export through the facade.
//!
//! Every imported row goes through the same save pipeline as [`Crm::create`](crate::Crm::create) / [`Crm::update`](crate::Crm::update)
//! (`plan_insert` / `plan_update`: name resolution, conversion, validation, stage → probability, change log),
//! and rows are committed `batch_size` at a time: one [`Store::commit`](crate::storage::Store::commit) per
//! batch, with the import's journal and the fate of every record it touched in the same transaction. A
//! failing row is reported and does not fail its batch; if a batch commit itself fails, its rows are retried
//! one by one so only the guilty row fails. A crash leaves whole batches and an undoable import, which
//! [`Crm::resume_import_csv`](crate::Crm::resume_import_csv) continues: the journal's row count is committed with each batch, so the rows
//! it counts are exactly the ones to skip.
//!
//! System columns: the auto-number (e.g. Opportunity Number) and Created Time are taken as vtiger takes them
//! — the number only if no other record has it (otherwise the row gets a fresh number and a note), and the
//! module's counter moves past imported numbers so later records never collide. Modified Time, Last Modified
//! By, Source, Weighted Revenue (computed) and other system fields are ignored, with one warning.
//! Imported records get `source = IMPORT`, like vtiger.
//!
//! Service additions are kept out of `records.rs`: the importer plans a normal insert and then patches
//! the planned record, its `Insert` change and its change-log entry with the imported auto-number and
//! created time (`patch`), before the batch is committed. Nothing else in the pipeline is bypassed.
//!
//! Referenced records created on the way (an "Organization Name" that does not exist, with
//! `create_missing_references`) are committed at once, each with its journal entry, so that later rows can
//! find them by name; undo removes them too. Unknown picklist values (with `add_unknown_picklist_values`)
//! are a schema change, saved at once.
//!
//! Known limits: with overwrite/merge, the last matching record is the base and other matches are left
//! alone (vtiger deletes them); failed and skipped rows are kept in the report (memory grows with them,
//! not with the file); a vCard file is read whole (cards are small), CSV is streamed.
//!
//! Where things are: the entry points are `from_csv`, `from_records` and `from_vcard` (and `resume` for an
//! interrupted CSV import); a CSV file and parsed records are two row sources (`source`, `records`) of one
//! row pipeline (`rows`: column mapping, cells to a row, batches, progress and stopping); `run` starts and finishes a run and records rows that need no write; `plan`
//! plans each row, handing its stages to `picklists` (unknown values), `references` (names → ids, missing
//! records created), `duplicates` (the match and its update or merge) and `auto_number`; `batches` queues
//! the planned rows and commits them; `undo` reads the journal and undoes an import; `mappings` keeps saved
//! column mappings. A dry run is a mode of the same path rather than a path of its own: it reserves no import
//! id or auto-numbers (`run`), notes the picklist values and references it would add and lets stand-ins
//! through (`picklists`, `references`), and reports each planned row instead of queueing it (`batches`).

mod ahead; // lines read ahead, planned a batch at a time
mod auto_number;
mod batches;
mod duplicates;
mod from_csv;
mod from_records;
mod from_vcard;
mod mappings;
mod picklists;
mod plan;
mod records;
mod references;
mod resume;
mod rows;
mod rules; // duplicate-prevention rules
mod run;
mod source;
mod undo;

pub use from_vcard::{NewCustomerOpportunity, VcardImportOptions};
pub use records::Records;
pub use undo::UndoReport;

use crate::io::{ImportJournal, ImportOptions, ImportReport, RowProblem, RowReport};
use crate::record::Values;
use crate::record::{Fields, Record};
use crate::storage::ChangeSet;
use crate::value::RecordId;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// One row on its way into the pipeline.
#[derive(Debug, Default)]
struct RowInput {
    line: u64,
    fields: Fields,
    /// Field → column it came from (one map per import, shared by its rows).
    columns: Arc<HashMap<String, String>>,
    /// Mapped fields whose cell was empty (cleared by overwrite).
    empty: Vec<String>,
    auto_number: Option<(String, String)>,
    created: Option<chrono::NaiveDateTime>,
    problems: Vec<RowProblem>,
    /// vCard: the organization name to link (found or created).
    organization: Option<String>,
    /// Notes carried into the row report.
    notes: Vec<RowProblem>,
}

/// A planned row waiting for its batch commit.
struct Pending {
    report: RowReport,
    changes: ChangeSet,
    record: Option<Record>,
    numbers: Vec<String>,
}

struct Run {
    module: String,
    options: ImportOptions,
    report: ImportReport,
    journal: ImportJournal,
    batch: Vec<Pending>,
    match_on: Vec<String>,
    defaults: Vec<(String, String)>,
    dry_refs: HashSet<(String, String)>,
    dry_picks: HashSet<(String, String)>,
    rows_done: u64,
    /// Rows whose match fields matched more than one record.
    ambiguous: u64,
    new_contacts: Vec<(RecordId, Option<RecordId>, String, Option<String>)>,
    opportunity: Option<NewCustomerOpportunity>,
    /// The auto-numbers of the rows in `batch` (write path: a set instead of a scan of the batch).
    batch_numbers: HashSet<String>,
    /// The acting user's labels: the import's own notes are in their language.
    labels: crate::i18n::Labels,
    /// The imported auto-numbers of the lines read ahead, asked of the store at once.
    probed: Option<ahead::Probed>,
}

impl Run {
    /// A note of the import in the reader's language (see [`say`]).
    fn say(&self, key: &str, args: &[(&str, &str)]) -> String {
        say(&self.labels, key, args)
    }
}

/// The text of the import note `IMPORT_<key>` of the catalogue in `labels`' language, its `{name}`
/// placeholders filled from `args`.
fn say(labels: &crate::i18n::Labels, key: &str, args: &[(&str, &str)]) -> String {
    let key = format!("IMPORT_{key}");
    let mut text = labels.text(&key, &key).to_string();
    for (name, value) in args {
        text = text.replace(&format!("{{{name}}}"), value);
    }
    text
}

fn problem(column: Option<&str>, field: Option<&str>, code: &str, message: impl Into<String>) -> RowProblem {
    RowProblem { column: column.map(str::to_string), field: field.map(str::to_string), code: code.into(), message: message.into() }
}

fn values_json(values: &Values) -> String {
    let m: serde_json::Map<String, serde_json::Value> = values.iter().map(|(k, v)| (k.clone(), v.to_json())).collect();
    serde_json::Value::Object(m).to_string()
}
