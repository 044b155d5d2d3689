//! One function per command; [`dispatch`] picks it. Each opens the store, calls the engine and writes a
//! table (or JSON with `--json`).

mod admin;
mod export;
mod forecast;
mod import;
mod records;

use crate::CliResult;
use crate::args::{Cli, Command};
use crate::output::{Out, open};
use crate::where_text;
use crm_core::wire::ConditionSpec;
use std::io::Write;

/// Runs the command `cli` names.
pub(crate) fn dispatch(cli: Cli, out: &mut dyn Write) -> CliResult<()> {
    let mut crm = open(cli.db.as_deref(), cli.user.as_deref())?;
    let mut o = Out { json: cli.json, out };
    match cli.command {
        Command::Import(a) => import::run(&mut crm, &a, &mut o),
        Command::Export(a) => export::run(&crm, &a, &mut o),
        Command::Forecast(a) => forecast::run(&crm, &a, &mut o),
        Command::Find(a) => records::find(&crm, &a, &mut o),
        Command::Schema(a) => records::schema(&crm, a.module.as_deref(), &mut o),
        Command::UndoImport(a) => admin::undo(&mut crm, a.id, &mut o),
        Command::Imports => admin::imports(&crm, &mut o),
        Command::RunDue => admin::run_due(&mut crm, &mut o),
        Command::Outbox(a) => admin::outbox(&crm, &a, &mut o),
    }
}

/// The `--where` arguments as crm-core conditions.
fn conditions(list: &[String]) -> crm_core::Result<Vec<ConditionSpec>> {
    list.iter().map(|w| where_text::parse(w)).collect()
}
