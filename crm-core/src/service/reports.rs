//! Forecast and pipeline reports over Opportunities.
//!
//! [`Crm::pipeline`] groups opportunities and sums `amount` and `forecast_amount` exactly, with a count. Sums
//! and grouping are pushed down with [`RecordStore::aggregate`](crate::storage::RecordStore::aggregate) (SQL in the SQLite
//! adapter); period and stage-kind groups are folded from the pushed-down groups (by close date, by stage).
//! [`Crm::pipeline_as_of`] rebuilds the pipeline as it stood at the end of a day from the stage history
//! (which records stage, amount, forecast amount and close date after every change). Open/won/lost comes from
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
    /// The group's display name when it differs from `key`: the Persian name of a Jalali period
    /// (`بهار ۱۴۰۶` for `1406-Q1`), a stage in the acting user's language (`برنده` for `Closed Won`), `Open`
    /// for `open`, `All` for `all`. Absent (not serialised) otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

impl PipelineRow {
    fn empty(key: String, label: Option<String>) -> Self {
        PipelineRow { key, count: 0, amount: Decimal::ZERO, forecast_amount: Decimal::ZERO, label }
    }
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
        self.pipeline_in(by, filter, Calendar::Gregorian)
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
    /// let rows = crm.pipeline_in(PipelineBy::CloseQuarter, None, Calendar::Jalali)?;
    /// assert_eq!((rows[0].key.as_str(), rows[0].label.as_deref()), ("1406-Q1", Some("بهار ۱۴۰۶")));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`Crm::pipeline`].
    pub fn pipeline_in(&self, by: PipelineBy, filter: Option<Condition>, calendar: Calendar) -> Result<Vec<PipelineRow>> {
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
            let (key, label) = match (by, &g.key, jalali) {
                (_, Value::Text(t), Some(p)) => {
                    crate::value::parse_date(t).and_then(|d| jalali::period(d, p)).map_or((String::new(), None), |(k, l)| (k, Some(l)))
                }
                (_, _, Some(_)) => (String::new(), None),
                (PipelineBy::CloseMonth | PipelineBy::CloseYear, Value::Text(t), None) => (t.clone(), None),
                (PipelineBy::CloseQuarter, Value::Text(t), None) => (quarter_of_month(t), None),
                (PipelineBy::CloseMonth | PipelineBy::CloseQuarter | PipelineBy::CloseYear, _, None) => (String::new(), None),
                _ => (self.pipeline_key(by, &g.key, calendar)?, None),
            };
            let row = rows.entry(key.clone()).or_insert_with(|| PipelineRow::empty(key, label));
            row.count += g.count;
            row.amount += g.sums.first().copied().unwrap_or_default();
            row.forecast_amount += g.sums.get(1).copied().unwrap_or_default();
        }
        self.labelled(by, rows.into_values().collect())
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
        self.store.aggregate_by_date_prefix(&q.normalize(m)?, field, len, &["amount", "forecast_amount"])
    }

    fn pipeline_key(&self, by: PipelineBy, v: &Value, calendar: Calendar) -> Result<String> {
        let date = |v: &Value| v.as_date();
        if let (Calendar::Jalali, Some(p)) = (calendar, jalali_period(by)) {
            return Ok(date(v).and_then(|d| jalali::period(d, p)).map(|(k, _)| k).unwrap_or_default());
        }
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

    /// The pipeline as it stood at the end of `date` (UTC), from the stage history: each opportunity
    /// (matching `filter` today, live) with the stage, amount, forecast amount and close date of its last
    /// stage-history row on or before that day; opportunities created later are left out. Owners are the
    /// owners of that day, read from the change log (owner changes are not part of the stage history); the
    /// filter is applied to today's values.
    ///
    /// # Errors
    /// As [`Crm::pipeline`].
    pub fn pipeline_as_of(&self, date: NaiveDate, by: PipelineBy, filter: Option<Condition>) -> Result<Vec<PipelineRow>> {
        self.pipeline_as_of_in(date, by, filter, Calendar::Gregorian)
    }

    /// [`Crm::pipeline_as_of`] with close-date periods of `calendar` (see [`Crm::pipeline_in`]).
    ///
    /// # Errors
    /// As [`Crm::pipeline`].
    pub fn pipeline_as_of_in(
        &self,
        date: NaiveDate,
        by: PipelineBy,
        filter: Option<Condition>,
        calendar: Calendar,
    ) -> Result<Vec<PipelineRow>> {
        let mut q = Query::new("Potentials");
        if let Some(c) = filter {
            q = q.filter(c);
        }
        let end = date.succ_opt().unwrap_or(date).and_time(chrono::NaiveTime::MIN);
        let mut rows: BTreeMap<String, PipelineRow> = BTreeMap::new();
        for r in self.find(q)? {
            let Some(e) = self.store.stage_history(r.id)?.into_iter().rfind(|e| e.at < end) else { continue };
            let key_value = match by {
                PipelineBy::Stage | PipelineBy::StageKind => e.stage.clone().map(Value::Text).unwrap_or_default(),
                PipelineBy::Owner => self.owner_as_of(&r, end)?,
                PipelineBy::CloseMonth | PipelineBy::CloseQuarter | PipelineBy::CloseYear => {
                    e.closingdate.map(Value::Date).unwrap_or_default()
                }
                PipelineBy::Total => Value::Null,
            };
            let key = self.pipeline_key(by, &key_value, calendar)?;
            let label = match (calendar, jalali_period(by), key_value.as_date()) {
                (Calendar::Jalali, Some(p), Some(d)) => jalali::period(d, p).map(|(_, l)| l),
                _ => None,
            };
            let row = rows.entry(key.clone()).or_insert_with(|| PipelineRow::empty(key, label));
            row.count += 1;
            row.amount += e.amount.unwrap_or_default();
            row.forecast_amount += e.forecast_amount.unwrap_or_default();
        }
        self.labelled(by, rows.into_values().collect())
    }

    /// The owner of `r` just before `end`, from its change log: the value after the last owner change
    /// before `end`, else the value before the first change after it, else today's owner.
    fn owner_as_of(&self, r: &crate::record::Record, end: chrono::NaiveDateTime) -> Result<Value> {
        let mut changes: Vec<(chrono::NaiveDateTime, Option<String>, Option<String>)> = self
            .store
            .history(r.id)?
            .into_iter()
            .flat_map(|h| {
                let at = h.at;
                h.changes.into_iter().filter(|c| c.field == "assigned_user_id").map(move |c| (at, c.before, c.after))
            })
            .collect();
        changes.sort_by_key(|c| c.0);
        let text = match changes.iter().rfind(|c| c.0 < end) {
            Some(c) => c.2.clone(),
            None => match changes.iter().find(|c| c.0 >= end) {
                Some(c) => c.1.clone(),
                None => return Ok(r.get("assigned_user_id").clone()),
            },
        };
        Ok(text.map(|t| Value::from_text(crate::schema::FieldType::Owner, &t)).unwrap_or_default())
    }
}

/// `yyyy-Qn` for a `yyyy-mm` month key (empty when it is not one).
fn quarter_of_month(month: &str) -> String {
    match (month.get(..4), month.get(5..7).and_then(|m| m.parse::<u32>().ok())) {
        (Some(y), Some(m @ 1..=12)) => format!("{y}-Q{}", (m - 1) / 3 + 1),
        _ => String::new(),
    }
}
