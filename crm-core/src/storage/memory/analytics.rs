//! The analytics reads in memory: the reference the SQL adapters' grouped statements must agree with.
//!
//! [`MemoryStore::deals`] is the one place that decides which opportunities a report reads.

use super::MemoryStore;
use crate::error::Result;
use crate::history::{ChangeKind, StageEntry};
use crate::query::{Query, order};
use crate::record::Record;
use crate::schema::FieldType;
use crate::storage::analytics::{AnalyticsStore, AsOfKey, DaySpread, DealGroup, DealKey, StagePlace, StageReach, spread};
use crate::storage::sum_overflow;
use crate::value::{RecordId, Value};
use chrono::NaiveDateTime;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};

impl MemoryStore {
    /// The opportunities a report reads: those `q` selects (its module, recycle-bin flag and condition);
    /// with `with_deleted`, live and deleted ones alike.
    fn deals<'a>(&'a self, q: &'a Query, with_deleted: bool) -> impl Iterator<Item = &'a Record> + 'a {
        self.records.values().filter(move |r| {
            r.module == q.module
                && (with_deleted || r.deleted == q.deleted)
                && q.scope.as_ref().is_none_or(|s| s.admits(r.get(&s.field)))
                && q.condition.as_ref().is_none_or(|c| {
                    let id = Value::Int(r.id.0);
                    c.matches(&|f: &str| if f == crate::query::ID_FIELD { &id } else { r.get(f) })
                })
        })
    }

    /// The stage history of every opportunity, oldest first per record.
    fn stages_by_record(&self) -> HashMap<RecordId, Vec<&StageEntry>> {
        let mut m: HashMap<RecordId, Vec<&StageEntry>> = HashMap::new();
        for s in &self.stages {
            m.entry(s.record).or_default().push(s);
        }
        m
    }
}

/// Adds a deal's amounts to the group of `keys` (checked sums).
fn add(groups: &mut Vec<DealGroup>, keys: Vec<Value>, amount: Option<Decimal>, forecast: Option<Decimal>) -> Result<()> {
    let i = match groups.iter().position(|g| g.keys.len() == keys.len() && g.keys.iter().zip(&keys).all(|(a, b)| order(a, b).is_eq())) {
        Some(i) => i,
        None => {
            groups.push(DealGroup { keys, count: 0, amount: Decimal::ZERO, forecast_amount: Decimal::ZERO });
            groups.len() - 1
        }
    };
    let g = &mut groups[i];
    g.count += 1;
    g.amount = g.amount.checked_add(amount.unwrap_or_default()).ok_or_else(|| sum_overflow("amount"))?;
    g.forecast_amount = g.forecast_amount.checked_add(forecast.unwrap_or_default()).ok_or_else(|| sum_overflow("forecast_amount"))?;
    Ok(())
}

fn sorted(mut groups: Vec<DealGroup>) -> Vec<DealGroup> {
    groups.sort_by(|a, b| a.keys.iter().zip(&b.keys).map(|(x, y)| order(x, y)).find(|o| o.is_ne()).unwrap_or(std::cmp::Ordering::Equal));
    groups
}

fn key_of(r: &Record, k: &DealKey) -> Value {
    match k {
        DealKey::Field(f) => r.get(f).clone(),
        DealKey::DatePrefix(f, len) => r.get(f).to_text().map_or(Value::Null, |t| Value::Text(t.chars().take(*len).collect())),
    }
}

fn day_groups(groups: BTreeMap<String, (Value, Vec<i64>)>) -> Result<Vec<DaySpread>> {
    let mut out = Vec::with_capacity(groups.len());
    for (_, (key, mut days)) in groups {
        out.push(spread(key, &mut days)?);
    }
    out.sort_by(|a, b| order(&a.key, &b.key));
    Ok(out)
}

impl AnalyticsStore for MemoryStore {
    fn deal_groups(&self, q: &Query, keys: &[DealKey]) -> Result<Vec<DealGroup>> {
        let mut groups = Vec::new();
        for r in self.deals(q, false) {
            let k = keys.iter().map(|k| key_of(r, k)).collect();
            add(&mut groups, k, money(r, "amount", AMOUNT_BASE), money(r, "forecast_amount", FORECAST_BASE))?;
        }
        Ok(sorted(groups))
    }

    fn days_to_close(&self, q: &Query, key: Option<&str>) -> Result<Vec<DaySpread>> {
        let mut groups: BTreeMap<String, (Value, Vec<i64>)> = BTreeMap::new();
        for r in self.deals(q, false) {
            let (Some(close), Some(created)) = (r.get("closingdate").as_date(), r.get("createdtime").as_date()) else { continue };
            let k = key.map_or(Value::Null, |f| r.get(f).clone());
            groups.entry(format!("{k:?}")).or_insert_with(|| (k, Vec::new())).1.push((close - created).num_days());
        }
        day_groups(groups)
    }

    fn stage_reach(&self, q: &Query, places: &[StagePlace]) -> Result<Vec<StageReach>> {
        let stages = self.stages_by_record();
        let mut out: Vec<StageReach> =
            places.iter().map(|p| StageReach { stage: p.stage.clone(), reached: 0, advanced: 0, won: 0 }).collect();
        for r in self.deals(q, false) {
            let Some(rows) = stages.get(&r.id) else { continue };
            let seen: Vec<&StagePlace> = places.iter().filter(|p| rows.iter().any(|e| e.stage.as_deref() == Some(&p.stage))).collect();
            let furthest = seen.iter().filter(|p| !p.lost).map(|p| p.position).max();
            let won = seen.iter().any(|p| p.won);
            for (p, o) in places.iter().zip(out.iter_mut()) {
                if seen.iter().any(|s| s.stage == p.stage) {
                    o.reached += 1;
                    o.advanced += u64::from(furthest.is_some_and(|f| f > p.position));
                    o.won += u64::from(won);
                }
            }
        }
        Ok(out)
    }

    fn stage_days(&self, q: &Query) -> Result<Vec<DaySpread>> {
        let stages = self.stages_by_record();
        let mut groups: BTreeMap<String, (Value, Vec<i64>)> = BTreeMap::new();
        for r in self.deals(q, false) {
            let Some(rows) = stages.get(&r.id) else { continue };
            // Spells: runs of rows at one stage (rows without a stage are skipped).
            let mut spells: Vec<(&str, NaiveDateTime)> = Vec::new();
            for e in rows {
                let Some(s) = e.stage.as_deref() else { continue };
                if spells.last().is_none_or(|l| l.0 != s) {
                    spells.push((s, e.at));
                }
            }
            for w in spells.windows(2) {
                let days = (w[1].1.date() - w[0].1.date()).num_days();
                groups.entry(w[0].0.to_string()).or_insert_with(|| (Value::Text(w[0].0.to_string()), Vec::new())).1.push(days);
            }
        }
        day_groups(groups)
    }

    fn last_open_stage(&self, q: &Query, open: &[String], more: &[DealKey]) -> Result<Vec<DealGroup>> {
        let stages = self.stages_by_record();
        let mut groups = Vec::new();
        for r in self.deals(q, false) {
            let last = stages
                .get(&r.id)
                .and_then(|rows| rows.iter().rev().find_map(|e| e.stage.as_ref().filter(|s| open.contains(s))))
                .map_or(Value::Null, |s| Value::Text(s.clone()));
            let mut keys = vec![last];
            keys.extend(more.iter().map(|k| key_of(r, k)));
            add(&mut groups, keys, money(r, "amount", AMOUNT_BASE), money(r, "forecast_amount", FORECAST_BASE))?;
        }
        Ok(sorted(groups))
    }

    fn pipeline_as_of(&self, q: &Query, end: NaiveDateTime, keys: &[AsOfKey]) -> Result<Vec<DealGroup>> {
        let stages = self.stages_by_record();
        let mut groups = Vec::new();
        for r in self.deals(q, true) {
            if r.deleted && self.history.iter().any(|h| h.record == r.id && h.kind == ChangeKind::Deleted && h.at < end) {
                continue; // in the recycle bin on that day
            }
            let Some(e) = stages.get(&r.id).and_then(|rows| rows.iter().rev().find(|e| e.at < end)) else { continue };
            let k = keys
                .iter()
                .map(|key| match key {
                    AsOfKey::Total => Value::Null,
                    AsOfKey::Stage => e.stage.clone().map_or(Value::Null, Value::Text),
                    AsOfKey::CloseDatePrefix(n) => {
                        e.closingdate.map_or(Value::Null, |d| Value::Text(crate::value::format_date(d).chars().take(*n).collect()))
                    }
                    AsOfKey::Owner => self.value_before(r, "assigned_user_id", FieldType::Owner, end),
                    AsOfKey::Currency => self.value_before(r, crate::currency::CURRENCY_FIELD, FieldType::Text, end),
                    AsOfKey::Amount => e.amount.map_or(Value::Null, Value::Decimal),
                    AsOfKey::ForecastAmount => e.forecast_amount.map_or(Value::Null, Value::Decimal),
                })
                .collect();
            add(&mut groups, k, e.amount, e.forecast_amount)?;
        }
        Ok(sorted(groups))
    }
}

impl MemoryStore {
    /// The value of `field` of `r` just before `end`, from its change log: the value after the last change
    /// before `end`, else the value before the first change after it, else today's value.
    fn value_before(&self, r: &Record, field: &str, t: FieldType, end: NaiveDateTime) -> Value {
        let changes: Vec<(NaiveDateTime, Option<&String>, Option<&String>)> = self
            .history
            .iter()
            .filter(|h| h.record == r.id)
            .flat_map(|h| h.changes.iter().filter(move |c| c.field == field).map(move |c| (h.at, c.before.as_ref(), c.after.as_ref())))
            .collect();
        let text = match changes.iter().rfind(|c| c.0 < end) {
            Some(c) => c.2,
            None => match changes.iter().find(|c| c.0 >= end) {
                Some(c) => c.1,
                None => return r.get(field).clone(),
            },
        };
        text.map_or(Value::Null, |x| Value::from_text(t, x))
    }
}

/// The base-currency copies of the two money fields the reports sum (`field` + `currency::BASE_SUFFIX`).
const AMOUNT_BASE: &str = "amount_base";
const FORECAST_BASE: &str = "forecast_amount_base";

/// A money field of a deal for summing: its base-currency copy `base` when the record carries one (sums
/// across currencies are in the base currency), else the field itself.
fn money(r: &Record, field: &str, base: &str) -> Option<rust_decimal::Decimal> {
    r.get(base).as_decimal().or_else(|| r.get(field).as_decimal())
}
