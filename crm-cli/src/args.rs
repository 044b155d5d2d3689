//! The command line's grammar (clap derive): global options and one struct per command. Option values
//! stay text here; crm-core's parsers read them (one place says what a delimiter or encoding may be).

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// crm: import, export, find and forecast sales opportunities (vtiger Potentials compatible).
#[derive(Debug, Parser)]
#[command(name = "crm", version, about, propagate_version = true)]
pub(crate) struct Cli {
    /// The store: a SQLite file (created if missing), a postgres:// URL, or :memory:.
    #[arg(long, global = true, env = "CRM_DB")]
    pub db: Option<String>,
    /// Print machine-readable JSON instead of tables (errors too, on stderr).
    #[arg(long, global = true)]
    pub json: bool,
    /// Act as this user (records, change log and imports name them).
    #[arg(long, global = true, env = "CRM_USER")]
    pub user: Option<String>,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// One command.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Import a CSV file (into --module, default Potentials) or a vCard file (.vcf: Contacts).
    Import(ImportArgs),
    /// Export records of a module as CSV (OUT "-" writes to stdout).
    Export(ExportArgs),
    /// The pipeline: count, amount and weighted amount per group; a terminal bar chart; an SVG chart.
    Forecast(ForecastArgs),
    /// Find records of a module.
    Find(FindArgs),
    /// The modules, or one module's fields.
    Schema(SchemaArgs),
    /// Undo an import: created records go to the recycle bin, overwritten ones get their values back.
    UndoImport(UndoArgs),
    /// Every import, with its counts and status.
    Imports,
    /// Run scheduled workflows and delayed tasks that are due now.
    RunDue,
    /// The workflow e-mail outbox.
    Outbox(OutboxArgs),
}

/// `crm import`.
#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// The file: CSV, or vCard when it ends in .vcf or .vcard.
    pub file: PathBuf,
    /// The module (CSV only; default Potentials).
    #[arg(long, short)]
    pub module: Option<String>,
    /// Column delimiter: auto, comma, semicolon, tab, pipe, caret or the character.
    #[arg(long)]
    pub delimiter: Option<String>,
    /// Character encoding: utf-8, latin-1 (iso-8859-1), windows-1252.
    #[arg(long)]
    pub encoding: Option<String>,
    /// Date format: yyyy-mm-dd, dd.mm.yyyy, dd/mm/yyyy, mm/dd/yyyy, dd-mm-yyyy, mm-dd-yyyy, jalali.
    #[arg(long)]
    pub date_format: Option<String>,
    /// Decimal separator of numbers (one character).
    #[arg(long)]
    pub decimal_separator: Option<String>,
    /// Thousands separator of numbers (one character; "" for none).
    #[arg(long)]
    pub thousands_separator: Option<String>,
    /// Rows matching an existing record: create, skip, overwrite, merge.
    #[arg(long)]
    pub duplicates: Option<String>,
    /// Fields that must all be equal for a row to match (comma-separated or repeated).
    #[arg(long, value_delimiter = ',')]
    pub match_on: Vec<String>,
    /// Map a column to a field: COLUMN=FIELD (repeatable).
    #[arg(long = "map", value_name = "COLUMN=FIELD")]
    pub mapping: Vec<String>,
    /// Create referenced records (organizations, contacts) that do not exist.
    #[arg(long)]
    pub create_missing_references: bool,
    /// Add picklist values that do not exist.
    #[arg(long)]
    pub add_unknown_picklist_values: bool,
    /// vCard: also create one opportunity per new contact.
    #[arg(long)]
    pub create_opportunities: bool,
    /// Check every row and report, writing nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Rows per transaction.
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Resume the interrupted import with this id (same file and options).
    #[arg(long, value_name = "ID")]
    pub resume: Option<i64>,
    /// Show at most this many problem rows in the summary.
    #[arg(long, default_value_t = 20)]
    pub show_errors: usize,
}

/// `crm export`.
#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// The CSV file to write ("-" for stdout).
    pub out: PathBuf,
    /// The module (default Potentials).
    #[arg(long, short, default_value = "Potentials")]
    pub module: String,
    /// A condition: "FIELD OP VALUE" (e.g. "amount >= 1000", "sales_stage = Closed Won") or a JSON
    /// condition; repeat for more (all must hold).
    #[arg(long = "where", short, value_name = "CONDITION")]
    pub conditions: Vec<String>,
    /// Fields to write, in order (comma-separated); default every field.
    #[arg(long, value_delimiter = ',')]
    pub columns: Vec<String>,
    /// Sort keys (comma-separated, "-field" descending).
    #[arg(long, value_delimiter = ',')]
    pub order_by: Vec<String>,
    /// Header row: labels, names or none.
    #[arg(long)]
    pub header: Option<String>,
    /// Column delimiter.
    #[arg(long)]
    pub delimiter: Option<String>,
    /// Date format.
    #[arg(long)]
    pub date_format: Option<String>,
    /// Write a UTF-8 byte-order mark first (for Excel).
    #[arg(long)]
    pub bom: bool,
}

/// How `crm forecast` groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum By {
    /// By sales stage.
    Stage,
    /// By close month.
    Month,
    /// By close quarter.
    Quarter,
    /// By close year.
    Year,
    /// By owner.
    Owner,
    /// Open, won, lost.
    Kind,
    /// One total row.
    Total,
}

/// `crm forecast`.
#[derive(Debug, Args)]
pub(crate) struct ForecastArgs {
    /// How to group.
    #[arg(long, value_enum, default_value_t = By::Stage)]
    pub by: By,
    /// Only opportunities matching these conditions (as in find).
    #[arg(long = "where", short, value_name = "CONDITION")]
    pub conditions: Vec<String>,
    /// Also draw a bar chart in the terminal.
    #[arg(long)]
    pub chart: bool,
    /// Write an SVG bar chart (amount and weighted amount per group) to this file.
    #[arg(long, value_name = "OUT.svg")]
    pub svg: Option<PathBuf>,
}

/// `crm find`.
#[derive(Debug, Args)]
pub(crate) struct FindArgs {
    /// The module (name or label).
    pub module: String,
    /// A condition (see export --where); repeat for more.
    #[arg(long = "where", short, value_name = "CONDITION")]
    pub conditions: Vec<String>,
    /// Fields to show (comma-separated); default the module's list columns.
    #[arg(long, value_delimiter = ',')]
    pub columns: Vec<String>,
    /// Sort keys (comma-separated, "-field" descending).
    #[arg(long, value_delimiter = ',')]
    pub order_by: Vec<String>,
    /// At most this many records.
    #[arg(long, short, default_value_t = 50)]
    pub limit: u64,
}

/// `crm schema`.
#[derive(Debug, Args)]
pub(crate) struct SchemaArgs {
    /// A module: list its fields (default: list the modules).
    pub module: Option<String>,
}

/// `crm undo-import`.
#[derive(Debug, Args)]
pub(crate) struct UndoArgs {
    /// The import id (from the import summary or `crm imports`).
    pub id: i64,
}

/// `crm outbox`.
#[derive(Debug, Args)]
pub(crate) struct OutboxArgs {
    /// Only mails in this state: queued, sent, failed.
    #[arg(long)]
    pub status: Option<String>,
    /// At most this many mails.
    #[arg(long, default_value_t = 100)]
    pub limit: usize,
}
