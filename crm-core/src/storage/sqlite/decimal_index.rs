//! Declared indexes on decimal columns, from an older layout: rebuilt on a key a stock `sqlite3` evaluates.

use super::db::SqlResult;
use super::dialect::decimal_key;
use crate::error::{Result, StorageError};
use rusqlite::Connection;

/// Rebuilds the declared indexes an older layout made on decimal columns with the connection-local
/// collation `crm_decimal` (which a stock `sqlite3` can neither check nor write through) on
/// [`decimal_key`] instead, which stock SQLite evaluates. Runs at every open; finds nothing once done.
pub(super) fn rebuild_collated(conn: &Connection) -> Result<()> {
    const OLD: &str = " COLLATE crm_decimal";
    let mut stmt = conn.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql LIKE '%COLLATE crm_decimal%'").db()?;
    let old: Vec<(String, String)> = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).db()?.collect::<rusqlite::Result<_>>().db()?;
    for (name, sql) in old {
        let mut new = String::with_capacity(sql.len() * 4);
        let mut rest = sql.as_str();
        while let Some(at) = rest.find(OLD) {
            let (head, tail) = rest.split_at(at);
            // The column before the collation: a quoted identifier (`"amount"`, quotes doubled inside).
            let start = quoted_start(head).ok_or_else(|| StorageError::Corrupt(format!("index {name}: unexpected layout: {sql}")))?;
            new.push_str(&head[..start]);
            new.push_str(&decimal_key(&head[start..]));
            rest = &tail[OLD.len()..];
        }
        new.push_str(rest);
        let drop = format!("DROP INDEX \"{}\"", name.replace('"', "\"\""));
        conn.execute_batch(&format!("{drop}; {new}")).db()?;
    }
    Ok(())
}

/// Where the quoted identifier that `s` ends with starts.
fn quoted_start(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    if b.last() != Some(&b'"') {
        return None;
    }
    let mut i = b.len() - 1; // the closing quote
    loop {
        let open = s[..i].rfind('"')?;
        if open > 0 && b[open - 1] == b'"' {
            i = open - 1; // a doubled quote inside the identifier
        } else {
            return Some(open);
        }
    }
}
