//! The change feed over the change log (`crm_history` and its field rows), once for both engines.
//!
//! A position is `crm_history.id`: a read is a range scan of its primary key (`id > $1 ORDER BY id
//! LIMIT $2`) and of the details' `(history_id, rowid)` index. PostgreSQL hands out those ids in commit
//! order because every statement that appends entries takes the feed's advisory lock first (see
//! `storage::postgres::bulk::histories`); SQLite writers take turns anyway. What was trimmed is kept in
//! `crm_meta` (`feed_trimmed`).

use super::db::{row, rows};
use super::records::{history_detail, history_entry, with_details};
use super::{Arg, Db, Dialect, SqlAdapter, compile};
use crate::error::Result;
use crate::feed::FeedQuery;
use crate::history::HistoryEntry;
use crate::query::RecordSight;
use crate::storage::FeedStore;

/// The `crm_meta` key of the highest trimmed position.
const TRIMMED_KEY: &str = "feed_trimmed";

/// ` AND ...` of a feed query over the change log as `h`: its modules, and access control's sight (per
/// restricted module, an `EXISTS` probe of the entry's record: in `crm_entity`, or in the module table
/// with the owner scope of [`compile::owner_in`]), its arguments appended to `args`.
fn entry_filter<'a>(d: &dyn Dialect, q: &'a FeedQuery, args: &mut Vec<Arg<'a>>) -> Result<String> {
    let mut sql = String::new();
    let names = |sql: &mut String, names: &mut dyn Iterator<Item = &'a String>, args: &mut Vec<Arg<'a>>| {
        let marks: Vec<String> = names
            .map(|m| {
                args.push(Arg::Text(m));
                d.placeholder(args.len())
            })
            .collect();
        sql.push_str(&marks.join(", "));
    };
    if !q.modules.is_empty() {
        sql.push_str(" AND h.module IN (");
        names(&mut sql, &mut q.modules.iter(), args);
        sql.push(')');
    }
    if q.sight.is_empty() {
        return Ok(sql);
    }
    sql.push_str(" AND (h.record_id = 0 OR h.module NOT IN (");
    names(&mut sql, &mut q.sight.keys(), args);
    sql.push(')');
    for (module, sight) in &q.sight {
        let probe = match sight {
            RecordSight::Nothing => continue,
            RecordSight::Existing => "SELECT 1 FROM crm_entity t WHERE t.id = h.record_id".to_string(),
            RecordSight::Owners(_) => {
                format!("SELECT 1 FROM {} t WHERE t.id = h.record_id", d.ident(&crate::schema::Module::table_name_of(module))?)
            }
        };
        args.push(Arg::Text(module));
        sql.push_str(&format!(" OR (h.module = {} AND EXISTS ({probe}", d.placeholder(args.len())));
        if let RecordSight::Owners(s) = sight {
            compile::owner_in(d, &s.field, &s.owners, &mut sql, args)?;
        }
        sql.push_str("))");
    }
    sql.push(')');
    Ok(sql)
}

/// The entries a feed query selects, with their field changes: the one place the SQL stores decide what
/// a feed read returns. Two statements whatever the reader may see: the entries, then their field rows.
pub(crate) fn select<D: Db + ?Sized>(db: &mut D, q: &FeedQuery) -> Result<Vec<HistoryEntry>> {
    let limit = i64::try_from(q.limit).unwrap_or(i64::MAX);
    let mut args = vec![Arg::Int(q.after), Arg::Int(limit)];
    let filter = entry_filter(db.dialect(), q, &mut args)?;
    let sql = db.dialect().render(&format!(
        "SELECT h.id, h.record_id, h.module, h.actor, h.at, h.kind, h.related_id FROM crm_history h WHERE h.id > $1{filter} ORDER BY h.id LIMIT $2"
    ));
    let entries = rows(db, &sql, &args, history_entry)?;
    let Some(last) = entries.last().map(|e| e.id) else { return Ok(entries) };
    let join = if filter.is_empty() { "" } else { " JOIN crm_history h ON h.id = d.history_id" };
    let sql = db.dialect().render(&format!(
        "SELECT d.history_id, d.field, d.before, d.after FROM crm_history_detail d{join}
         WHERE d.history_id > $1 AND d.history_id <= $2{filter} ORDER BY d.history_id, d.{{rowid}}"
    ));
    // The same filter, its arguments after the same first two.
    args[1] = Arg::Int(last);
    let details = rows(db, &sql, &args, history_detail)?;
    with_details(entries, details)
}

/// The highest committed position and the highest trimmed one.
fn end_and_trimmed<D: Db + ?Sized>(db: &mut D) -> Result<(i64, i64)> {
    let sql = "SELECT (SELECT max(id) FROM crm_history), (SELECT value FROM crm_meta WHERE key = 'feed_trimmed')";
    let got = row(db, sql, &[], |r| Ok((r.int(0)?, r.text(1)?)))?;
    let (end, trimmed) = got.unwrap_or((None, None));
    Ok((end.unwrap_or(0), trimmed.and_then(|t| t.parse().ok()).unwrap_or(0)))
}

/// Removes the entries up to `through` (their field rows go with them: `ON DELETE CASCADE`) and
/// remembers the highest trimmed position.
fn trim<D: Db + ?Sized>(db: &mut D, through: i64) -> Result<u64> {
    let (_, trimmed) = end_and_trimmed(db)?;
    let n = db.execute(&db.dialect().render("DELETE FROM crm_history WHERE id <= $1"), &[Arg::Int(through)])?;
    let keep = trimmed.max(through).to_string();
    db.execute(&db.sql().put_meta, &[Arg::Text(TRIMMED_KEY), Arg::Text(&keep)])?;
    Ok(n)
}

impl<S: SqlAdapter> FeedStore for S {
    fn feed(&self, q: &FeedQuery) -> Result<Vec<HistoryEntry>> {
        self.read(|db| select(db, q))
    }

    fn feed_end(&self) -> Result<i64> {
        let (end, trimmed) = self.read(|db| end_and_trimmed(db))?;
        Ok(end.max(trimmed))
    }

    fn feed_trimmed(&self) -> Result<i64> {
        Ok(self.read(|db| end_and_trimmed(db))?.1)
    }

    fn trim_feed(&mut self, through: i64) -> Result<u64> {
        self.write(|db| trim(db, through))
    }
}
