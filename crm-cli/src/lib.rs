//! # crm-cli
//!
//! The `crm` command line over [`crm_core`]: import a CSV or vCard file with a progress bar, export CSV,
//! find records, show a module's fields, undo an import, run due workflows, list the outbox, and show the
//! forecast as a table, a bar chart in the terminal and an SVG chart file.
//!
//! ```text
//! crm --db sales.db import potentials.csv
//! crm --db sales.db forecast --by stage --chart --svg pipeline.svg
//! crm --db sales.db --json find Potentials --where "amount > 10000" --limit 5
//! ```
//!
//! Everything goes through the engine's own API: options are read by crm-core's option parsers
//! ([`crm_core::io::option_names`], via [`ImportOptions::from_json`](crm_core::io::ImportOptions::from_json)),
//! conditions by its wire language ([`crm_core::wire::ConditionSpec`]). [`run`] is the whole program, so
//! the Python package calls the same code (`python -m crm_engine`).
//!
//! Errors are one line on stderr (`crm: not_found: ...`, or a JSON object with `--json`) and a non-zero
//! exit code: 2 for a usage error, 1 for anything else.

mod args;
mod chart;
mod commands;
mod output;
mod svg_chart;
mod where_text;

use clap::Parser;
use std::io::Write;

/// Exit code of a usage error (unknown command or option, bad option value).
pub const EXIT_USAGE: i32 = 2;
/// Exit code of any other failure (engine error, unreadable file).
pub const EXIT_FAILURE: i32 = 1;

/// A failure of one command.
#[derive(Debug)]
pub(crate) enum CliError {
    /// The engine refused or failed.
    Core(crm_core::Error),
    /// A file could not be read or written (the message names it).
    Io(String),
}

impl From<crm_core::Error> for CliError {
    fn from(e: crm_core::Error) -> Self {
        CliError::Core(e)
    }
}

impl CliError {
    fn kind(&self) -> &'static str {
        match self {
            CliError::Core(e) => e.code(),
            CliError::Io(_) => "io",
        }
    }
    fn message(&self) -> String {
        match self {
            CliError::Core(e) => e.to_string(),
            CliError::Io(m) => m.clone(),
        }
    }
}

/// The result of one command.
pub(crate) type CliResult<T> = Result<T, CliError>;

/// Runs the `crm` program with `args` (the first one is the program name, as in [`std::env::args`]),
/// writing its output to `out` and errors to `err`; returns the exit code (0 on success).
///
/// # Example
/// ```
/// let mut out = Vec::new();
/// let mut err = Vec::new();
/// let code = crm_cli::run(["crm", "--db", ":memory:", "--json", "schema"], &mut out, &mut err);
/// assert_eq!(code, 0);
/// assert!(String::from_utf8(out).unwrap().contains("Potentials"));
/// ```
pub fn run<I, S>(args: I, out: &mut dyn Write, err: &mut dyn Write) -> i32
where
    I: IntoIterator<Item = S>,
    S: Into<std::ffi::OsString> + Clone,
{
    let cli = match args::Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind as K;
            if matches!(e.kind(), K::DisplayHelp | K::DisplayVersion | K::DisplayHelpOnMissingArgumentOrSubcommand) {
                let _ = write!(out, "{}", e.render());
                return if e.kind() == K::DisplayHelpOnMissingArgumentOrSubcommand { EXIT_USAGE } else { 0 };
            }
            // One line: clap's first line ("error: ..."), without its usage block.
            let text = e.render().to_string();
            let line = text.lines().next().unwrap_or("error: bad arguments").trim_start_matches("error: ");
            let _ = writeln!(err, "crm: usage: {line} (see crm --help)");
            return EXIT_USAGE;
        }
    };
    let json = cli.json;
    match commands::dispatch(cli, out) {
        Ok(()) => 0,
        Err(e) => {
            let line = if json {
                serde_json::json!({"error": {"kind": e.kind(), "message": e.message()}}).to_string()
            } else {
                format!("crm: {}: {}", e.kind(), e.message().replace('\n', " "))
            };
            let _ = writeln!(err, "{line}");
            EXIT_FAILURE
        }
    }
}
