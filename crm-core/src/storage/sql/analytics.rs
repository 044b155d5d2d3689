//! The analytics reads in SQL, once for both engines: each report is one grouped statement over the
//! Potentials table, `crm_entity` and `crm_stage_history` (window functions for stage spells and medians).
//!
//! [`deals_where`] is the one place that decides which opportunities a report reads (the `WHERE` over the
//! Potentials rows `t` and their entity rows `e`); every statement here is built on it. Day counts come
//! from [`Dialect::days_between`]; decimal sums from [`Dialect::decimal_sum`], exact on both engines.

use super::compile;
use super::db::rows;
use super::{Arg, Db, Dialect, SqlAdapter, SqlRow};
use crate::error::{Error, Result};
use crate::query::{Query, order};
use crate::schema::{FieldType, Module, Schema};
use crate::storage::analytics::{AnalyticsStore, AsOfKey, DaySpread, DealGroup, DealKey, StagePlace, StageReach};
use crate::storage::sum_overflow;
use crate::value::{Value, parse_decimal};
use chrono::NaiveDateTime;
use rust_decimal::Decimal;

/// The `WHERE` predicate (without the keyword) selecting the opportunities a report reads, over the module
/// table aliased `t` joined with `crm_entity` aliased `e`: the query's recycle-bin flag (both live and
/// deleted rows with `with_deleted`) and its condition, values pushed into `args`.
pub(crate) fn deals_where<'q>(d: &dyn Dialect, m: &'q Module, q: &'q Query, with_deleted: bool, args: &mut Vec<Arg<'q>>) -> Result<String> {
    let mut sql = if with_deleted { "1 = 1".to_string() } else { format!("e.deleted = {}", d.bool_literal(q.deleted)) };
    if let Some(c) = &q.condition {
        sql.push_str(" AND ");
        compile::condition(d, c, m, &mut sql, args)?;
    }
    if let Some(s) = &q.scope {
        compile::scope(d, s, m, &mut sql, args)?; // access control: the acting user's visible owners
    }
    Ok(sql)
}

/// `FROM <table> t JOIN crm_entity e ON e.id = t.id`.
fn deals_from(d: &dyn Dialect, m: &Module) -> Result<String> {
    Ok(format!("FROM {} t JOIN crm_entity e ON e.id = t.id", d.ident(&m.table_name())?))
}

/// The column to sum for a money field: its base-currency copy when the module's records carry a
/// currency (sums across currencies are in the base currency), else the field itself.
fn money(d: &dyn Dialect, m: &Module, field: &str) -> Result<String> {
    let copy = format!("{field}{}", crate::currency::BASE_SUFFIX);
    Ok(column(d, m, if crate::currency::is_base_copy(m, &copy) { &copy } else { field })?.0)
}

fn column(d: &dyn Dialect, m: &Module, field: &str) -> Result<(String, FieldType)> {
    let f = m.field(field).ok_or_else(|| Error::invalid(format!("{} has no field '{field}'", m.name)))?;
    Ok((format!("t.{}", d.ident(&f.name)?), f.field_type))
}

fn read_sum(r: &dyn SqlRow, i: usize, field: &str) -> Result<Decimal> {
    match r.text(i)? {
        None => Ok(Decimal::ZERO),
        Some(t) => parse_decimal(&t).ok_or_else(|| sum_overflow(field)),
    }
}

fn sort_groups(mut groups: Vec<DealGroup>) -> Vec<DealGroup> {
    groups.retain(|g| g.count > 0);
    groups.sort_by(|a, b| a.keys.iter().zip(&b.keys).map(|(x, y)| order(x, y)).find(|o| o.is_ne()).unwrap_or(std::cmp::Ordering::Equal));
    groups
}

/// Groups an inner `SELECT` of `k0..kn, a, f` (keys, amount, forecast amount) by its keys.
fn grouped<D: Db + ?Sized>(db: &mut D, inner: &str, key_types: &[FieldType], args: &[Arg<'_>]) -> Result<Vec<DealGroup>> {
    let d = db.dialect();
    let keys: Vec<String> = (0..key_types.len()).map(|i| format!("x.k{i}")).collect();
    let mut sql = String::from("SELECT ");
    for k in &keys {
        sql.push_str(k);
        sql.push_str(", ");
    }
    sql.push_str(&format!("count(*), {}, {} FROM ({inner}) x", d.decimal_sum("x.a"), d.decimal_sum("x.f")));
    if !keys.is_empty() {
        sql.push_str(&format!(" GROUP BY {}", keys.join(", ")));
    }
    let n = key_types.len();
    let groups = rows(db, &sql, args, |r| {
        let mut k = Vec::with_capacity(n);
        for (i, t) in key_types.iter().enumerate() {
            k.push(r.value(i, *t)?);
        }
        Ok(DealGroup {
            keys: k,
            count: r.u64(n)?,
            amount: read_sum(r, n + 1, "amount")?,
            forecast_amount: read_sum(r, n + 2, "forecast_amount")?,
        })
    })?;
    Ok(sort_groups(groups))
}

/// Counts, sums and the two middle values per key of a `d (k, days)` common table expression.
fn spreads<D: Db + ?Sized>(db: &mut D, with_d: &str, key_type: FieldType, args: &[Arg<'_>]) -> Result<Vec<DaySpread>> {
    let sql = format!(
        "WITH {with_d}, r AS (SELECT k, days, ROW_NUMBER() OVER (PARTITION BY k ORDER BY days) AS rn, \
         COUNT(*) OVER (PARTITION BY k) AS n FROM d) \
         SELECT k, count(*), CAST(sum(days) AS BIGINT), min(CASE WHEN rn = (n + 1) / 2 THEN days END), \
         max(CASE WHEN rn = (n + 2) / 2 THEN days END) FROM r GROUP BY k"
    );
    let mut out = rows(db, &sql, args, |r| {
        Ok(DaySpread { key: r.value(0, key_type)?, count: r.u64(1)?, total: r.i64(2)?, middle: (r.i64(3)?, r.i64(4)?) })
    })?;
    out.sort_by(|a, b| order(&a.key, &b.key));
    Ok(out)
}

fn deal_groups<D: Db + ?Sized>(db: &mut D, s: &Schema, q: &Query, keys: &[DealKey]) -> Result<Vec<DealGroup>> {
    let m = compile::module(s, &q.module)?;
    let d = db.dialect();
    let mut args = Vec::new();
    let mut select = Vec::new();
    let mut types = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        let (expr, t) = deal_key(d, m, k)?;
        select.push(format!("{expr} AS k{i}, "));
        types.push(t);
    }
    let inner = format!(
        "SELECT {}{} AS a, {} AS f {} WHERE {}",
        select.concat(),
        money(d, m, "amount")?,
        money(d, m, "forecast_amount")?,
        deals_from(d, m)?,
        deals_where(d, m, q, false, &mut args)?
    );
    grouped(db, &inner, &types, &args)
}

fn days_to_close<D: Db + ?Sized>(db: &mut D, s: &Schema, q: &Query, key: Option<&str>) -> Result<Vec<DaySpread>> {
    let m = compile::module(s, &q.module)?;
    let d = db.dialect();
    let mut args = Vec::new();
    let (k, t) = match key {
        Some(f) => column(d, m, f)?,
        None => ("CAST(NULL AS TEXT)".to_string(), FieldType::Text),
    };
    let (close, created) = (column(d, m, "closingdate")?.0, column(d, m, "createdtime")?.0);
    let with_d = format!(
        "d AS (SELECT {k} AS k, {} AS days {} WHERE {} AND {close} IS NOT NULL AND {created} IS NOT NULL)",
        d.days_between(&created, &close),
        deals_from(d, m)?,
        deals_where(d, m, q, false, &mut args)?
    );
    spreads(db, &with_d, t, &args)
}

fn stage_reach<D: Db + ?Sized>(db: &mut D, s: &Schema, q: &Query, places: &[StagePlace]) -> Result<Vec<StageReach>> {
    let mut out: Vec<StageReach> = places.iter().map(|p| StageReach { stage: p.stage.clone(), reached: 0, advanced: 0, won: 0 }).collect();
    if places.is_empty() {
        return Ok(out);
    }
    let m = compile::module(s, &q.module)?;
    let d = db.dialect();
    let mut args: Vec<Arg<'_>> = places.iter().map(|p| Arg::Text(p.stage.as_str())).collect();
    let index: String = (0..places.len()).map(|i| format!(" WHEN {} THEN {i}", d.placeholder(i + 1))).collect();
    // Positions and flags are numbers crm computed, never input text.
    let pos: String = places.iter().enumerate().filter(|(_, p)| !p.lost).map(|(i, p)| format!(" WHEN {i} THEN {}", p.position)).collect();
    let all_pos: String = places.iter().enumerate().map(|(i, p)| format!(" WHEN {i} THEN {}", p.position)).collect();
    let won: Vec<String> = places.iter().enumerate().filter(|(_, p)| p.won).map(|(i, _)| i.to_string()).collect();
    let won_test = if won.is_empty() { "0".to_string() } else { format!("CASE WHEN i IN ({}) THEN 1 ELSE 0 END", won.join(", ")) };
    let furthest = if pos.is_empty() { "CAST(NULL AS BIGINT)".to_string() } else { format!("CASE i{pos} END") };
    let sql = format!(
        "WITH r AS (SELECT DISTINCT s.record_id, CASE s.stage{index} END AS i FROM crm_stage_history s \
         WHERE s.record_id IN (SELECT t.id {} WHERE {})), \
         p AS (SELECT record_id, i FROM r WHERE i IS NOT NULL), \
         dl AS (SELECT record_id, max({furthest}) AS furthest, max({won_test}) AS won FROM p GROUP BY record_id) \
         SELECT p.i, count(*), sum(CASE WHEN dl.furthest > (CASE p.i{all_pos} END) THEN 1 ELSE 0 END), sum(dl.won) \
         FROM p JOIN dl ON dl.record_id = p.record_id GROUP BY p.i",
        deals_from(d, m)?,
        deals_where(d, m, q, false, &mut args)?
    );
    for (i, reached, advanced, won) in rows(db, &sql, &args, |r| Ok((r.i64(0)?, r.u64(1)?, r.u64(2)?, r.u64(3)?)))? {
        if let Some(o) = usize::try_from(i).ok().and_then(|i| out.get_mut(i)) {
            (o.reached, o.advanced, o.won) = (reached, advanced, won);
        }
    }
    Ok(out)
}

fn stage_days<D: Db + ?Sized>(db: &mut D, s: &Schema, q: &Query) -> Result<Vec<DaySpread>> {
    let m = compile::module(s, &q.module)?;
    let d = db.dialect();
    let mut args = Vec::new();
    let with_d = format!(
        "h AS (SELECT s.record_id, s.id, s.stage, s.at, LAG(s.stage) OVER (PARTITION BY s.record_id ORDER BY s.id) AS prev \
         FROM crm_stage_history s WHERE s.stage IS NOT NULL AND s.record_id IN (SELECT t.id {} WHERE {})), \
         c AS (SELECT stage, at, LEAD(at) OVER (PARTITION BY record_id ORDER BY id) AS left_at FROM h \
         WHERE prev IS NULL OR prev <> stage), \
         d AS (SELECT stage AS k, {} AS days FROM c WHERE left_at IS NOT NULL)",
        deals_from(d, m)?,
        deals_where(d, m, q, false, &mut args)?,
        d.days_between("at", "left_at")
    );
    spreads(db, &with_d, FieldType::Text, &args)
}

fn last_open_stage<D: Db + ?Sized>(db: &mut D, s: &Schema, q: &Query, open: &[String], more: &[DealKey]) -> Result<Vec<DealGroup>> {
    let m = compile::module(s, &q.module)?;
    let d = db.dialect();
    let mut args: Vec<Arg<'_>> = open.iter().map(|s| Arg::Text(s.as_str())).collect();
    let key = if open.is_empty() {
        "CAST(NULL AS TEXT)".to_string()
    } else {
        let list: Vec<String> = (1..=open.len()).map(|i| d.placeholder(i)).collect();
        format!(
            "(SELECT s.stage FROM crm_stage_history s WHERE s.record_id = t.id AND s.stage IN ({}) ORDER BY s.id DESC LIMIT 1)",
            list.join(", ")
        )
    };
    let mut select = format!("{key} AS k0, ");
    let mut types = vec![FieldType::Text];
    for (i, k) in more.iter().enumerate() {
        let (expr, t) = deal_key(d, m, k)?;
        select.push_str(&format!("{expr} AS k{}, ", i + 1));
        types.push(t);
    }
    let inner = format!(
        "SELECT {select}{} AS a, {} AS f {} WHERE {}",
        money(d, m, "amount")?,
        money(d, m, "forecast_amount")?,
        deals_from(d, m)?,
        deals_where(d, m, q, false, &mut args)?
    );
    grouped(db, &inner, &types, &args)
}

/// The expression and type of a deal grouping over the Potentials row `t`.
fn deal_key(d: &dyn Dialect, m: &Module, k: &DealKey) -> Result<(String, FieldType)> {
    Ok(match k {
        DealKey::Field(f) => column(d, m, f)?,
        DealKey::DatePrefix(f, len) => (d.text_prefix(&column(d, m, f)?.0, *len), FieldType::Text),
    })
}

/// The value of `field` of the deal `t` just before the moment in placeholder `end_p`, from the change log:
/// the value after the last change before it, else the value before the first change after it, else today's.
fn value_before(d: &dyn Dialect, m: &Module, field: &str, end_p: &str) -> Result<String> {
    // `field` is a field name of crm's own (an identifier it checked), never input text.
    let change = |cmp: &str, col: &str, dir: &str| {
        format!(
            "(SELECT hd.{col} FROM crm_history h JOIN crm_history_detail hd ON hd.history_id = h.id WHERE h.record_id = t.id \
             AND hd.field = '{field}' AND h.at {cmp} {end_p} ORDER BY h.id {dir} LIMIT 1)"
        )
    };
    let exists = |cmp: &str| {
        format!(
            "EXISTS (SELECT 1 FROM crm_history h JOIN crm_history_detail hd ON hd.history_id = h.id WHERE h.record_id = t.id \
             AND hd.field = '{field}' AND h.at {cmp} {end_p})"
        )
    };
    let (col, _) = column(d, m, field)?;
    Ok(format!(
        "CASE WHEN {} THEN {} WHEN {} THEN {} ELSE CAST({col} AS TEXT) END",
        exists("<"),
        change("<", "after", "DESC"),
        exists(">="),
        change(">=", "before", "ASC")
    ))
}

fn pipeline_as_of<D: Db + ?Sized>(db: &mut D, s: &Schema, q: &Query, end: NaiveDateTime, keys: &[AsOfKey]) -> Result<Vec<DealGroup>> {
    let m = compile::module(s, &q.module)?;
    let d = db.dialect();
    let mut args = vec![Arg::Owned(crate::value::format_datetime(end))];
    let end_p = d.placeholder(1);
    let mut select = String::new();
    let mut types = Vec::with_capacity(keys.len());
    for (i, key) in keys.iter().enumerate() {
        let (k, t) = match key {
            AsOfKey::Total => ("CAST(NULL AS TEXT)".to_string(), FieldType::Text),
            AsOfKey::Stage => ("s.stage".to_string(), FieldType::Text),
            AsOfKey::CloseDatePrefix(n) => (d.text_prefix("s.closingdate", *n), FieldType::Text),
            AsOfKey::Owner => (value_before(d, m, "assigned_user_id", &end_p)?, FieldType::Text),
            AsOfKey::Currency => (value_before(d, m, crate::currency::CURRENCY_FIELD, &end_p)?, FieldType::Text),
            AsOfKey::Amount => ("s.amount".to_string(), FieldType::Currency),
            AsOfKey::ForecastAmount => ("s.forecast_amount".to_string(), FieldType::Currency),
        };
        select.push_str(&format!("{k} AS k{i}, "));
        types.push(t);
    }
    let inner = format!(
        "SELECT {select}s.amount AS a, s.forecast_amount AS f {} \
         JOIN crm_stage_history s ON s.id = (SELECT max(s2.id) FROM crm_stage_history s2 WHERE s2.record_id = t.id AND s2.at < {end_p}) \
         WHERE {} AND (e.deleted = {} OR NOT EXISTS (SELECT 1 FROM crm_history h WHERE h.record_id = t.id AND h.kind = 'deleted' \
         AND h.at < {end_p}))",
        deals_from(d, m)?,
        deals_where(d, m, q, true, &mut args)?,
        d.bool_literal(false),
    );
    let mut groups = grouped(db, &inner, &types, &args)?;
    if let Some(i) = keys.iter().position(|k| *k == AsOfKey::Owner) {
        for g in &mut groups {
            if let Some(v) = g.keys.get_mut(i) {
                *v = v.to_text().map_or(Value::Null, |t| Value::from_text(FieldType::Owner, &t));
            }
        }
        groups = sort_groups(groups);
    }
    Ok(groups)
}

impl<S: SqlAdapter> AnalyticsStore for S {
    fn deal_groups(&self, q: &Query, keys: &[DealKey]) -> Result<Vec<DealGroup>> {
        let s = self.read_schema()?;
        self.read(|db| deal_groups(db, &s, q, keys))
    }
    fn days_to_close(&self, q: &Query, key: Option<&str>) -> Result<Vec<DaySpread>> {
        let s = self.read_schema()?;
        self.read(|db| days_to_close(db, &s, q, key))
    }
    fn stage_reach(&self, q: &Query, places: &[StagePlace]) -> Result<Vec<StageReach>> {
        let s = self.read_schema()?;
        self.read(|db| stage_reach(db, &s, q, places))
    }
    fn stage_days(&self, q: &Query) -> Result<Vec<DaySpread>> {
        let s = self.read_schema()?;
        self.read(|db| stage_days(db, &s, q))
    }
    fn last_open_stage(&self, q: &Query, open: &[String], more: &[DealKey]) -> Result<Vec<DealGroup>> {
        let s = self.read_schema()?;
        self.read(|db| last_open_stage(db, &s, q, open, more))
    }
    fn pipeline_as_of(&self, q: &Query, end: NaiveDateTime, keys: &[AsOfKey]) -> Result<Vec<DealGroup>> {
        let s = self.read_schema()?;
        self.read(|db| pipeline_as_of(db, &s, q, end, keys))
    }
}
