//! Writing results: a terminal table (comfy-table) or one JSON document, and the store a command opens.

use crate::{CliError, CliResult};
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{CellAlignment, Table};
use std::io::Write;

/// Where a command writes, and how.
pub(crate) struct Out<'a> {
    /// `--json`: one JSON document instead of tables and sentences.
    pub json: bool,
    /// Standard output (or the caller's buffer).
    pub out: &'a mut dyn Write,
}

impl Out<'_> {
    /// Writes `value` as one JSON document (pretty, ending with a newline).
    pub fn json(&mut self, value: &impl serde::Serialize) -> CliResult<()> {
        let text = serde_json::to_string_pretty(value).map_err(|e| CliError::Io(format!("cannot write JSON: {e}")))?;
        self.line(&text)
    }

    /// Writes one line.
    pub fn line(&mut self, text: &str) -> CliResult<()> {
        writeln!(self.out, "{text}").map_err(|e| CliError::Io(format!("cannot write the output: {e}")))
    }

    /// Writes a table with `header` and `rows`; columns whose index is in `right` are right-aligned
    /// (numbers).
    pub fn table(&mut self, header: &[&str], rows: Vec<Vec<String>>, right: &[usize]) -> CliResult<()> {
        let mut t = Table::new();
        t.load_preset(UTF8_FULL_CONDENSED).set_header(header.iter().copied());
        for r in rows {
            t.add_row(r);
        }
        for i in right {
            if let Some(c) = t.column_mut(*i) {
                c.set_cell_alignment(CellAlignment::Right);
            }
        }
        self.line(&t.to_string())
    }
}

/// The user a new store gets, so that `crm import` works on a fresh file (records need an owner).
pub(crate) const FIRST_USER: &str = "admin";

/// Opens the store `--db` names and sets the actor: `--user`, else the first active user, else (a store
/// without users) a new user `admin` ("Administrator", vtiger's first user).
pub(crate) fn open(db: Option<&str>, user: Option<&str>) -> CliResult<crm_core::Crm> {
    let db = db.ok_or_else(|| crm_core::Error::InvalidArgument("no store: pass --db FILE (or a postgres:// URL), or set CRM_DB".into()))?;
    let mut crm = crm_core::Crm::open(db)?;
    let name = match user {
        Some(u) => u.to_string(),
        None => match crm.users()?.into_iter().find(|u| u.active) {
            Some(u) => u.user_name,
            None => crm.add_user(crm_core::NewUser::new(FIRST_USER).full_name("Administrator"))?.user_name,
        },
    };
    crm.set_actor(&name)?;
    Ok(crm)
}

/// A value as a table cell (empty for none).
pub(crate) fn cell(v: &crm_core::Value) -> String {
    v.to_text().unwrap_or_default()
}
