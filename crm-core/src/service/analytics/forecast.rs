//! The forecast by category × period × owner (or any of the report groupings), and snapshots of today's
//! pipeline stored for trend charts.

use super::super::Crm;
use super::{Stages, closing_in, key_text, quarter_of_month, stage_in};
use crate::analytics::category::{FORECAST_CATEGORIES, category_of};
use crate::analytics::{ReportBy, ReportRow, math};
use crate::error::{Error, Result};
use crate::query::Condition;
use crate::schema::Schema;
use crate::storage::analytics::{DealGroup, DealKey};
use crate::storage::{Change, ChangeSet, ViewChange};
use crate::user::Directory;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The setting listing the days a pipeline snapshot was taken on.
const SNAPSHOT_DAYS: &str = "analytics.snapshot_days";

/// One stored snapshot row: the open pipeline of a day for one category, stage and owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotRow {
    /// The day the snapshot was taken (the clock's date, UTC).
    pub date: NaiveDate,
    /// Forecast category.
    pub forecast_category: String,
    /// Sales stage.
    pub stage: String,
    /// Owner (user name or group name).
    pub owner: String,
    /// Open deals.
    pub count: u64,
    /// Sum of amounts.
    pub amount: Decimal,
    /// Sum of forecast amounts.
    pub forecast_amount: Decimal,
}

impl SnapshotRow {
    fn row(&self) -> ReportRow {
        ReportRow::new()
            .with("date", crate::value::format_date(self.date))
            .with("forecast_category", self.forecast_category.as_str())
            .with("stage", self.stage.as_str())
            .with("owner", self.owner.as_str())
            .with("count", self.count)
            .with("amount", self.amount)
            .with("forecast_amount", self.forecast_amount)
    }
}

/// Sort position of a key: forecast categories in forecast order, everything else by text.
fn rank(by: ReportBy, key: &str) -> usize {
    if by == ReportBy::ForecastCategory {
        FORECAST_CATEGORIES.iter().position(|c| *c == key).unwrap_or(FORECAST_CATEGORIES.len())
    } else {
        0
    }
}

/// Report keys (sort rank and text per grouping) → count, amount and forecast amount.
type Folded = BTreeMap<Vec<(usize, String)>, (u64, Decimal, Decimal)>;

/// Store groups keyed by `by` (plus a trailing stage key when grouping by category) folded into report
/// keys: owners named, quarters from months, a deal without a category in its stage's category.
fn fold(schema: &Schema, dir: &Directory, groups: Vec<DealGroup>, by: &[ReportBy]) -> Result<Folded> {
    let mut out = Folded::new();
    for g in groups {
        let stage = g.keys.get(by.len()).and_then(|v| v.to_text()).unwrap_or_default();
        let mut key = Vec::with_capacity(by.len());
        for (b, v) in by.iter().zip(&g.keys) {
            let mut text = key_text(dir, v);
            match b {
                ReportBy::Quarter => text = quarter_of_month(&text),
                ReportBy::ForecastCategory if text.is_empty() => text = category_of(schema, &stage).unwrap_or_default(),
                _ => {}
            }
            key.push((rank(*b, &text), text));
        }
        let e = out.entry(key).or_insert((0, Decimal::ZERO, Decimal::ZERO));
        e.0 += g.count;
        e.1 = math::add(e.1, g.amount, "the sum of amount")?;
        e.2 = math::add(e.2, g.forecast_amount, "the sum of forecast_amount")?;
    }
    Ok(out)
}

impl Crm {
    /// The deals matching `filter` with a close date in `period` (every deal without one), grouped by
    /// `by` (for example forecast category × quarter × owner): one row per group with the key columns
    /// (`forecast_category`, `quarter`, `owner`, ...) then `count`, `amount` and `forecast_amount`
    /// (probability-weighted). Deals stored before forecast categories existed count in their stage's
    /// category. Rows come ordered by key; categories in forecast order.
    ///
    /// Money is summed in the base currency; [`Crm::forecast_by_in`] names another.
    ///
    /// # Errors
    /// `InvalidArgument` for a bad period or filter, or a sum beyond exact decimals.
    pub fn forecast_by(&self, by: &[ReportBy], period: Option<&str>, filter: Option<Condition>) -> Result<Vec<ReportRow>> {
        self.forecast_by_in(by, period, filter, None)
    }

    /// [`Crm::forecast_by`] with the money in `currency` (the base currency when `None`): each deal
    /// converted at the rate of its close date, rounded to that currency's places, then summed; the rows
    /// then have a `currency` column. Grouped by [`ReportBy::Currency`], each row's sums are in its own
    /// currency, unconverted (the per-currency subtotals).
    ///
    /// # Example
    /// ```
    /// use crm_core::{Crm, Fields, NewUser};
    /// use crm_core::analytics::ReportBy;
    /// use crm_core::currency::NewCurrency;
    /// use rust_decimal::Decimal;
    /// # fn main() -> Result<(), crm_core::Error> {
    /// let mut crm = Crm::open(":memory:")?;
    /// crm.add_user(NewUser::new("admin"))?;
    /// crm.set_actor("admin")?;
    /// crm.add_currency(NewCurrency::new("EUR", Decimal::new(8, 1)))?; // 1 USD = 0.8 EUR
    /// for (amount, cur) in [("1000", "USD"), ("1000", "EUR")] {
    ///     crm.create("Potentials", Fields::new().with("potentialname", "deal").with("amount", amount)
    ///         .with("currency", cur).with("sales_stage", "Prospecting").with("closingdate", "2027-03-31"))?;
    /// }
    /// let eur = crm.forecast_by_in(&[ReportBy::Total], None, None, Some("EUR"))?;
    /// assert_eq!(eur[0].text("currency"), Some("EUR"));
    /// assert_eq!(eur[0].decimal("amount").map(|d| d.to_string()), Some("1800.00".into())); // 1000 × 0.8 + 1000
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`Crm::forecast_by`]; `NotFound` for an unknown currency; `InvalidArgument` for a missing rate.
    pub fn forecast_by_in(
        &self,
        by: &[ReportBy],
        period: Option<&str>,
        filter: Option<Condition>,
        currency: Option<&str>,
    ) -> Result<Vec<ReportRow>> {
        let rc = self.report_currency(currency)?;
        let by: Vec<ReportBy> = by.iter().copied().filter(|b| *b != ReportBy::Total).collect();
        let mut conds: Vec<Condition> = filter.into_iter().collect();
        let p = period.map(|p| self.period(p)).transpose()?;
        if let Some(p) = &p {
            conds.push(closing_in(p));
        }
        let (schema, q) = self.deal_query(conds)?;
        let mut keys: Vec<DealKey> = by.iter().filter_map(|b| b.deal_key()).collect();
        if by.contains(&ReportBy::ForecastCategory) {
            keys.push(DealKey::Field("sales_stage".into()));
        }
        let by_currency = by.iter().position(|b| *b == ReportBy::Currency);
        let groups = self.deal_sums(&q, &keys, &rc, by_currency)?;
        let dir = self.directory_now()?;
        let folded = fold(&schema, &dir, groups, &by)?;
        let named = (rc.named && by_currency.is_none()).then_some(rc.code.as_str());
        Ok(folded
            .into_iter()
            .map(|(key, (count, amount, forecast))| {
                let mut row = ReportRow::new();
                for (b, (_, text)) in by.iter().zip(key) {
                    row = row.with(b.column().unwrap_or("key"), text);
                }
                if let Some(p) = &p {
                    row = row.with("period", p.key.as_str());
                }
                if let Some(c) = named {
                    row = row.with("currency", c);
                }
                row.with("count", count).with("amount", amount).with("forecast_amount", forecast)
            })
            .collect())
    }

    /// Stores today's open pipeline (per forecast category, stage and owner) as the snapshot of today's
    /// date (the clock's, UTC), replacing one taken earlier the same day, and returns its rows.
    ///
    /// # Errors
    /// Storage errors; `InvalidArgument` for a sum beyond exact decimals.
    pub fn snapshot_pipeline(&mut self) -> Result<Vec<ReportRow>> {
        let today = self.now().date();
        let (schema, q) = self.deal_query(vec![stage_in(&Stages::of(&*self.current_schema()?).open)])?;
        let by = [ReportBy::ForecastCategory, ReportBy::Stage, ReportBy::Owner];
        let keys = [
            DealKey::Field("forecast_category".into()),
            DealKey::Field("sales_stage".into()),
            DealKey::Field("assigned_user_id".into()),
            DealKey::Field("sales_stage".into()),
        ];
        let groups = self.money_scale(self.store.deal_groups(&q, &keys)?)?;
        let dir = self.directory_now()?;
        let rows: Vec<SnapshotRow> = fold(&schema, &dir, groups, &by)?
            .into_iter()
            .map(|(k, (count, amount, forecast_amount))| {
                let mut k = k.into_iter().map(|(_, t)| t);
                SnapshotRow {
                    date: today,
                    forecast_category: k.next().unwrap_or_default(),
                    stage: k.next().unwrap_or_default(),
                    owner: k.next().unwrap_or_default(),
                    count,
                    amount,
                    forecast_amount,
                }
            })
            .collect();
        let mut days = self.snapshot_days()?;
        if !days.contains(&today) {
            days.push(today);
            days.sort();
        }
        let cs = ChangeSet(vec![
            Change::View(ViewChange::PutSetting { key: snapshot_key(today), value: to_json(&rows)? }),
            Change::View(ViewChange::PutSetting { key: SNAPSHOT_DAYS.into(), value: to_json(&days)? }),
        ]);
        self.commit(&cs)?;
        Ok(rows.iter().map(SnapshotRow::row).collect())
    }

    /// The stored pipeline snapshots taken from `from` to `to` (both included; open ends when `None`),
    /// oldest first: rows `date`, `forecast_category`, `stage`, `owner`, `count`, `amount`,
    /// `forecast_amount`.
    ///
    /// # Errors
    /// Storage errors; `InvalidArgument` for a stored snapshot that cannot be read.
    pub fn pipeline_snapshots(&self, from: Option<NaiveDate>, to: Option<NaiveDate>) -> Result<Vec<ReportRow>> {
        let mut out = Vec::new();
        for day in self.snapshot_days()? {
            if from.is_some_and(|f| day < f) || to.is_some_and(|t| day > t) {
                continue;
            }
            let Some(text) = self.store.setting(&snapshot_key(day))? else { continue };
            let rows: Vec<SnapshotRow> =
                serde_json::from_str(&text).map_err(|e| Error::invalid(format!("stored pipeline snapshot of {day}: {e}")))?;
            out.extend(rows.iter().map(SnapshotRow::row));
        }
        Ok(out)
    }

    fn snapshot_days(&self) -> Result<Vec<NaiveDate>> {
        match self.store.setting(SNAPSHOT_DAYS)? {
            Some(t) => serde_json::from_str(&t).map_err(|e| Error::invalid(format!("stored snapshot days: {e}"))),
            None => Ok(Vec::new()),
        }
    }
}

fn snapshot_key(day: NaiveDate) -> String {
    format!("analytics.snapshot.{}", crate::value::format_date(day))
}

/// JSON text of a value crm serializes.
pub(crate) fn to_json<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::invalid(e.to_string()))
}
