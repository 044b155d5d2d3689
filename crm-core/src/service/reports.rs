//! Forecast and pipeline reports over Opportunities.
//!
//! [`Crm::pipeline`] groups opportunities and sums `amount` and `forecast_amount` exactly, with a count. Sums
//! and grouping are pushed down with [`RecordStore::aggregate`](crate::storage::RecordStore::aggregate) (SQL in the SQLite
//! adapter); period and stage-kind groups are folded from the pushed-down groups (by close date, by stage).
//! [`Crm::pipeline_as_of`] rebuilds the pipeline as it stood at the end of a day from the stage history
//! (which records stage, amount, forecast amount and close date after every change), in SQL. Open/won/lost comes from
//! the stage's kind in the schema (vtiger hard-codes "Closed Won"/"Closed Lost").

use super::Crm;
use crate::error::Result;
use crate::io::jalali::{self, Period};
use crate::query::{Condition, Query};
use crate::schema::StageKind;
use crate::value::Value;
use crate::view::Calendar;
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How a pipeline report groups opportunities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PipelineBy {
    /// One row for everything (key `all`).
    Total,
    /// By sales stage.
    Stage,
    /// By stage kind: `open`, `won`, `lost`.
    StageKind,
    /// By owner name.
    Owner,
    /// By close month `yyyy-mm`.
    CloseMonth,
    /// By close quarter `yyyy-Qn`.
    CloseQuarter,
    /// By close year `yyyy`.
    CloseYear,
}

/// One row of a pipeline report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PipelineRow {
    /// The group (empty text for records without a value).
    pub key: String,
    /// Number of opportunities.
    pub count: u64,
    /// Sum of amounts.
    pub amount: Decimal,
    /// Sum of forecast amounts (weighted revenue).
    pub forecast_amount: Decimal,
    /// The currency of the sums, when asked for in one ([`Crm::pipeline_in`]); [`Crm::pipeline`] sums
    /// in the base currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Per-currency sums in their own currencies, when asked for ([`Crm::pipeline_in`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subtotals: Vec<super::CurrencySubtotal>,
    /// The group's display name when it differs from `key`: the Persian name of a Jalali period
    /// (`بهار ۱۴۰۶` for `1406-Q1`), a stage in the acting user's language (`برنده` for `Closed Won`), `Open`
    /// for `open`, `All` for `all`. Absent (not serialised) otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// The Jalali period length of a close-date grouping (`None` for the other groupings).
fn jalali_period(by: PipelineBy) -> Option<Period> {
    match by {
        PipelineBy::CloseMonth => Some(Period::Month),
        PipelineBy::CloseQuarter => Some(Period::Quarter),
        PipelineBy::CloseYear => Some(Period::Year),
        _ => None,
    }
}

impl Crm {
    /// The pipeline of opportunities matching `filter`, grouped by `by`, ordered by key.
    ///
    /// # Example
    /// ```
    /// use crm_core::PipelineBy;
    /// use crm_core::{Crm, Fields, NewUser};
    /// # fn main() -> Result<(), crm_core::Error> {
    /// let mut crm = Crm::open(":memory:")?;
    /// crm.add_user(NewUser::new("admin"))?;
    /// crm.set_actor("admin")?;
    /// let deal = crm.create("Potentials", Fields::new()
    ///     .with("potentialname", "Hooli renewal")
    ///     .with("amount", "12000")
    ///     .with("sales_stage", "Prospecting")
    ///     .with("closingdate", "2027-03-31"))?;
    /// let rows = crm.pipeline(PipelineBy::Stage, None)?;
    /// let prospecting = rows.iter().find(|r| r.key == "Prospecting").expect("a row per stage with deals");
    /// assert_eq!((prospecting.count, prospecting.amount.to_string()), (1, "12000.00".to_string()));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// `InvalidArgument` for a filter that does not fit the Potentials fields.
    pub fn pipeline(&self, by: PipelineBy, filter: Option<Condition>) -> Result<Vec<PipelineRow>> {
        self.pipeline_calendar(by, filter, Calendar::Gregorian)
    }

    /// [`Crm::pipeline`] with close-date periods of `calendar`: with [`Calendar::Jalali`] the months,
    /// quarters and years are Jalali, keyed `1406-01`, `1406-Q1`, `1406` (quarters are seasons, the year
    /// starts at Nowruz) and each row carries its Persian [`PipelineRow::label`] (`فروردین ۱۴۰۶`, `بهار ۱۴۰۶`,
    /// `۱۴۰۶`). Rows are ordered by key (chronologically).
    ///
    /// # Example
    /// ```
    /// use crm_core::{Calendar, Crm, Fields, NewUser, PipelineBy};
    /// # fn main() -> Result<(), crm_core::Error> {
    /// let mut crm = Crm::open(":memory:")?;
    /// crm.add_user(NewUser::new("admin"))?;
    /// crm.set_actor("admin")?;
    /// crm.create("Potentials", Fields::new().with("potentialname", "Nowruz deal").with("amount", "100")
    ///     .with("sales_stage", "Prospecting").with("closingdate", "2027-03-21"))?;
    /// let rows = crm.pipeline_calendar(PipelineBy::CloseQuarter, None, Calendar::Jalali)?;
    /// assert_eq!((rows[0].key.as_str(), rows[0].label.as_deref()), ("1406-Q1", Some("بهار ۱۴۰۶")));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`Crm::pipeline`].
    pub fn pipeline_calendar(&self, by: PipelineBy, filter: Option<Condition>, calendar: Calendar) -> Result<Vec<PipelineRow>> {
        let mut q = Query::new("Potentials");
        if let Some(c) = filter {
            q = q.filter(c);
        }
        let group = match by {
            PipelineBy::Total => None,
            PipelineBy::Stage | PipelineBy::StageKind => Some("sales_stage"),
            PipelineBy::Owner => Some("assigned_user_id"),
            PipelineBy::CloseMonth | PipelineBy::CloseQuarter | PipelineBy::CloseYear => Some("closingdate"),
        };
        let jalali = (calendar == Calendar::Jalali).then(|| jalali_period(by)).flatten();
        let groups = match by {
            // Jalali periods are folded from days (Jalali months do not follow Gregorian ones).
            _ if jalali.is_some() => self.aggregate_date_prefix(q, "closingdate", 10)?,
            // Months, quarters (from months) and years are grouped by a prefix of the stored date in the store.
            PipelineBy::CloseMonth | PipelineBy::CloseQuarter => self.aggregate_date_prefix(q, "closingdate", 7)?,
            PipelineBy::CloseYear => self.aggregate_date_prefix(q, "closingdate", 4)?,
            _ => self.aggregate(q, group, &["amount", "forecast_amount"])?,
        };
        let mut rows: BTreeMap<String, PipelineRow> = BTreeMap::new();
        for g in groups {
            let (key, label) = self.row_key(by, &g.key, jalali)?;
            let row = rows.entry(key.clone()).or_insert_with(|| PipelineRow { label, ..PipelineRow::new(key.clone()) });
            row.count += g.count;
            row.amount += g.sums.first().copied().unwrap_or_default();
            row.forecast_amount += g.sums.get(1).copied().unwrap_or_default();
        }
        self.labelled(by, rows.into_values().collect())
    }

    /// The key (and, for a Jalali period, its Persian name) of the group whose value is `v`: a stored date
    /// prefix (`yyyy-mm`, `yyyy`; a whole date for Jalali periods) for the close-date groupings.
    fn row_key(&self, by: PipelineBy, v: &Value, jalali: Option<Period>) -> Result<(String, Option<String>)> {
        Ok(match (by, v, jalali) {
            (_, Value::Text(t), Some(p)) => {
                crate::value::parse_date(t).and_then(|d| jalali::period(d, p)).map_or((String::new(), None), |(k, l)| (k, Some(l)))
            }
            (_, _, Some(_)) => (String::new(), None),
            (PipelineBy::CloseMonth | PipelineBy::CloseYear, Value::Text(t), None) => (t.clone(), None),
            (PipelineBy::CloseQuarter, Value::Text(t), None) => (quarter_of_month(t), None),
            (PipelineBy::CloseMonth | PipelineBy::CloseQuarter | PipelineBy::CloseYear, _, None) => (String::new(), None),
            _ => (self.pipeline_key(by, v)?, None),
        })
    }

    /// Gives rows their display name in the acting user's language where it differs from the key: a
    /// stage's translation, `Open`/`Won`/`Lost` for the stage kinds, `All` for the total.
    fn labelled(&self, by: PipelineBy, mut rows: Vec<PipelineRow>) -> Result<Vec<PipelineRow>> {
        let labels = self.labels()?;
        for r in rows.iter_mut().filter(|r| r.label.is_none() && !r.key.is_empty()) {
            let shown = match by {
                PipelineBy::Stage => labels.value(&r.key),
                PipelineBy::StageKind => labels.text(&format!("LBL_KIND_{}", r.key), &r.key),
                PipelineBy::Total => labels.text("LBL_TOTAL", &r.key),
                _ => continue,
            };
            if shown != r.key {
                r.label = Some(shown.to_string());
            }
        }
        Ok(rows)
    }

    /// Groups the opportunities `q` selects by the first `len` characters of a date field, summing amount and
    /// forecast amount ([`RecordStore::aggregate_by_date_prefix`](crate::storage::RecordStore::aggregate_by_date_prefix)).
    fn aggregate_date_prefix(&self, q: Query, field: &str, len: usize) -> Result<Vec<crate::query::Aggregate>> {
        let s = self.current_schema()?;
        let m = Crm::read_module(&s, &q.module)?;
        let q = self.resolve_names(m, q)?;
        let (sums, scales) = self.base_sum_fields(m, &["amount".into(), "forecast_amount".into()], None)?; // base currency
        let refs: Vec<&str> = sums.iter().map(String::as_str).collect();
        self.check_fields_visible(&m.name, &[field, "amount", "forecast_amount"])?; // access control
        let mut groups = self.store.aggregate_by_date_prefix(&self.scoped(q.normalize(m)?)?, field, len, &refs)?;
        Crm::rescale_sums(&mut groups, &scales);
        Ok(groups)
    }

    /// The key of a pipeline row for a record's grouping value.
    pub(crate) fn pipeline_key_of(&self, by: PipelineBy, v: &Value) -> Result<String> {
        self.pipeline_key(by, v)
    }

    fn pipeline_key(&self, by: PipelineBy, v: &Value) -> Result<String> {
        let date = |v: &Value| v.as_date();
        Ok(match by {
            PipelineBy::Total => "all".into(),
            PipelineBy::Stage => v.to_text().unwrap_or_default(),
            PipelineBy::StageKind => match v.as_str().and_then(|s| self.schema.stage(s)).map(|m| m.kind) {
                Some(StageKind::Won) => "won".into(),
                Some(StageKind::Lost) => "lost".into(),
                Some(StageKind::Open) => "open".into(),
                None => String::new(),
            },
            PipelineBy::Owner => match v.as_owner() {
                Some(o) => self.owner(o)?.map(|o| o.name().to_string()).unwrap_or_else(|| o.to_string()),
                None => String::new(),
            },
            PipelineBy::CloseMonth => date(v).map(|d| format!("{:04}-{:02}", d.year(), d.month())).unwrap_or_default(),
            PipelineBy::CloseQuarter => date(v).map(|d| format!("{:04}-Q{}", d.year(), d.month0() / 3 + 1)).unwrap_or_default(),
            PipelineBy::CloseYear => date(v).map(|d| format!("{:04}", d.year())).unwrap_or_default(),
        })
    }

    /// The pipeline as it stood at the end of `date` (UTC), from the stage history, in one grouped statement
    /// ([`AnalyticsStore::pipeline_as_of`](crate::storage::AnalyticsStore::pipeline_as_of)): each
    /// opportunity matching `filter` today (live, or deleted after that day) with the stage, amount,
    /// forecast amount and close date of its last stage-history row on or before that day; opportunities
    /// created later, or already in the recycle bin that day, are left out. Owners are the owners of that
    /// day, read from the change log (owner changes are not part of the stage history); the filter is
    /// applied to today's values.
    ///
    /// # Errors
    /// As [`Crm::pipeline`].
    pub fn pipeline_as_of(&self, date: NaiveDate, by: PipelineBy, filter: Option<Condition>) -> Result<Vec<PipelineRow>> {
        self.pipeline_as_of_calendar(date, by, filter, Calendar::Gregorian)
    }

    /// [`Crm::pipeline_as_of`] with close-date periods of `calendar` (see [`Crm::pipeline_calendar`]).
    ///
    /// # Errors
    /// As [`Crm::pipeline`].
    pub fn pipeline_as_of_calendar(
        &self,
        date: NaiveDate,
        by: PipelineBy,
        filter: Option<Condition>,
        calendar: Calendar,
    ) -> Result<Vec<PipelineRow>> {
        self.pipeline_as_of_in(date, by, filter, None, false, calendar)
    }

    /// [`Crm::pipeline_as_of_calendar`] with the sums in `currency` (the base currency when `None`): each
    /// deal's amounts of that day are in its currency of that day (read from the change log) and convert at
    /// the rate of that day's close date (the day itself when it had none), rounded to the currency's
    /// places; with `subtotals`, each row's per-currency sums in their own currencies. Rows name their
    /// currency when one is named or subtotals are asked for.
    ///
    /// # Example
    /// ```
    /// use crm_core::{Crm, Fields, NewUser, PipelineBy};
    /// use crm_core::currency::NewCurrency;
    /// use crm_core::view::Calendar;
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
    /// let today = crm.today();
    /// let eur = crm.pipeline_as_of_in(today, PipelineBy::Total, None, Some("EUR"), true, Calendar::Gregorian)?;
    /// assert_eq!(eur[0].amount.to_string(), "1800.00"); // 1000 × 0.8 + 1000
    /// assert_eq!(eur[0].subtotals.len(), 2);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`Crm::pipeline`]; `NotFound` for an unknown currency; `InvalidArgument` for a missing rate.
    pub fn pipeline_as_of_in(
        &self,
        date: NaiveDate,
        by: PipelineBy,
        filter: Option<Condition>,
        currency: Option<&str>,
        subtotals: bool,
        calendar: Calendar,
    ) -> Result<Vec<PipelineRow>> {
        use crate::storage::analytics::AsOfKey;
        let rc = self.report_currency(currency)?;
        let (_, q) = self.deal_query(filter.into_iter().collect())?;
        let end = date.succ_opt().unwrap_or(date).and_time(chrono::NaiveTime::MIN);
        self.check_fields_visible("Potentials", &["amount", "forecast_amount", "sales_stage", "closingdate"])?; // access control
        let jalali = (calendar == Calendar::Jalali).then(|| jalali_period(by)).flatten();
        let key = match by {
            _ if jalali.is_some() => AsOfKey::CloseDatePrefix(10),
            PipelineBy::Total => AsOfKey::Total,
            PipelineBy::Stage | PipelineBy::StageKind => AsOfKey::Stage,
            PipelineBy::Owner => AsOfKey::Owner,
            PipelineBy::CloseMonth | PipelineBy::CloseQuarter => AsOfKey::CloseDatePrefix(7),
            PipelineBy::CloseYear => AsOfKey::CloseDatePrefix(4),
        };
        let named = (rc.named || subtotals).then(|| rc.code.clone());
        let mut rows: BTreeMap<String, PipelineRow> = BTreeMap::new();
        let mut subs: BTreeMap<String, BTreeMap<String, super::currency_reports::CurrencySubtotal>> = BTreeMap::new();
        let add = crate::analytics::math::add;
        for a in self.as_of_sums(&q, end, key, &rc)? {
            let g = a.group;
            let v = g.keys.into_iter().next().unwrap_or_default();
            let (key, label) = self.row_key(by, &v, jalali)?;
            let row =
                rows.entry(key.clone()).or_insert_with(|| PipelineRow { label, currency: named.clone(), ..PipelineRow::new(key.clone()) });
            row.count += g.count;
            row.amount = add(row.amount, g.amount, "the sum of amount")?;
            row.forecast_amount = add(row.forecast_amount, g.forecast_amount, "the sum of forecast_amount")?;
            for s in a.subtotals.into_iter().filter(|_| subtotals) {
                let code = s.keys.first().and_then(Value::to_text).unwrap_or_default();
                let e =
                    subs.entry(key.clone()).or_default().entry(code.clone()).or_insert_with(|| super::currency_reports::CurrencySubtotal {
                        currency: code,
                        count: 0,
                        amount: Decimal::ZERO,
                        forecast_amount: Decimal::ZERO,
                    });
                e.count += s.count;
                e.amount = add(e.amount, s.amount, "the sum of amount")?;
                e.forecast_amount = add(e.forecast_amount, s.forecast_amount, "the sum of forecast_amount")?;
            }
        }
        for (k, row) in &mut rows {
            row.subtotals = subs.remove(k).map(|m| m.into_values().collect()).unwrap_or_default();
        }
        self.labelled(by, rows.into_values().collect())
    }
}

impl PipelineRow {
    /// A row of group `key` with nothing counted yet (no currency, subtotals or label): what reports and
    /// hosts that add rows up start from.
    ///
    /// ```
    /// let total = crm_core::PipelineRow::new("total");
    /// assert_eq!((total.key.as_str(), total.count, total.amount), ("total", 0, rust_decimal::Decimal::ZERO));
    /// ```
    pub fn new(key: impl Into<String>) -> PipelineRow {
        PipelineRow {
            key: key.into(),
            count: 0,
            amount: Decimal::ZERO,
            forecast_amount: Decimal::ZERO,
            currency: None,
            subtotals: vec![],
            label: None,
        }
    }
}

/// `yyyy-Qn` for a `yyyy-mm` month key (empty when it is not one).
fn quarter_of_month(month: &str) -> String {
    match (month.get(..4), month.get(5..7).and_then(|m| m.parse::<u32>().ok())) {
        (Some(y), Some(m @ 1..=12)) => format!("{y}-Q{}", (m - 1) / 3 + 1),
        _ => String::new(),
    }
}
