//! The connection-local functions crm's SQLite queries use (never the stored schema, so the file opens
//! anywhere): `crm_fold` (Unicode lower case, as the memory adapter folds), `crm_dedupe` (the
//! duplicate-matching key of `crate::dedupe`) and the aggregate `crm_sum`,
//! which adds decimal text exactly with `rust_decimal`. The collation `crm_decimal` is registered only for
//! files an older crm wrote, whose decimal indexes used it until they are rebuilt at open
//! (decimals are now compared through `dialect::decimal_key`, built from SQLite's own functions).

use super::db::SqlResult;
use crate::error::Result;
use crate::query::fold;
use crate::value::parse_decimal;
use rusqlite::Connection;
use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::types::ValueRef;
use rust_decimal::Decimal;
use std::cmp::Ordering;

/// The text `crm_sum` gives when the sum leaves the range of exact decimals: not a number, so the reader
/// reports the overflow as a typed error (as every store does).
pub(super) const OVERFLOW: &str = "overflow";

/// Registers the functions on a connection.
pub(super) fn register(conn: &Connection) -> Result<()> {
    let det = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    conn.create_scalar_function("crm_fold", 1, det, |ctx| {
        Ok(match ctx.get_raw(0) {
            ValueRef::Text(t) => Some(fold(&String::from_utf8_lossy(t))),
            ValueRef::Null => None,
            ValueRef::Integer(i) => Some(i.to_string()),
            ValueRef::Real(f) => Some(f.to_string()),
            ValueRef::Blob(b) => Some(fold(&String::from_utf8_lossy(b))),
        })
    })
    .db()?;
    // crm_dedupe(value, kind): the duplicate-matching key (kind 1 text, 2 e-mail, 0 the stored text).
    conn.create_scalar_function("crm_dedupe", 2, det, |ctx| {
        let kind = ctx.get::<i64>(1)?;
        let text = match ctx.get_raw(0) {
            ValueRef::Text(t) | ValueRef::Blob(t) => String::from_utf8_lossy(t).into_owned(),
            ValueRef::Integer(i) => i.to_string(),
            ValueRef::Real(f) => f.to_string(),
            ValueRef::Null => return Ok(None),
        };
        Ok(Some(match kind {
            1 => crate::dedupe::normalize(&text),
            2 => crate::dedupe::normalize_email(&text),
            _ => text,
        }))
    })
    .db()?;
    conn.create_collation("crm_decimal", decimal_order).db()?;
    conn.create_aggregate_function("crm_sum", 1, det, DecimalSum).db()
}

fn decimal_order(a: &str, b: &str) -> Ordering {
    match (parse_decimal(a), parse_decimal(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        _ => a.cmp(b),
    }
}

/// Exact decimal sum, the `crm_sum` aggregate (`None` inside once it overflowed).
struct DecimalSum;

impl rusqlite::functions::Aggregate<Option<Decimal>, Option<String>> for DecimalSum {
    fn init(&self, _: &mut Context<'_>) -> rusqlite::Result<Option<Decimal>> {
        Ok(Some(Decimal::ZERO))
    }
    fn step(&self, ctx: &mut Context<'_>, acc: &mut Option<Decimal>) -> rusqlite::Result<()> {
        let add = match ctx.get_raw(0) {
            ValueRef::Integer(i) => Decimal::from(i),
            ValueRef::Text(t) => std::str::from_utf8(t).ok().and_then(parse_decimal).unwrap_or_default(),
            _ => Decimal::ZERO,
        };
        *acc = acc.and_then(|a| a.checked_add(add));
        Ok(())
    }
    fn finalize(&self, _: &mut Context<'_>, acc: Option<Option<Decimal>>) -> rusqlite::Result<Option<String>> {
        Ok(Some(match acc {
            None => Decimal::ZERO.to_string(),
            Some(Some(d)) => d.to_string(),
            Some(None) => OVERFLOW.to_string(),
        }))
    }
}
