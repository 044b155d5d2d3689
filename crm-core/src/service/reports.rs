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
use crate::query::{Condition, Query};
use crate::schema::StageKind;
use crate::value::Value;
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
        let groups = match by {
            // Months, quarters (from months) and years are grouped by a prefix of the stored date in the store.
            PipelineBy::CloseMonth | PipelineBy::CloseQuarter => self.aggregate_date_prefix(q, "closingdate", 7)?,
            PipelineBy::CloseYear => self.aggregate_date_prefix(q, "closingdate", 4)?,
            _ => self.aggregate(q, group, &["amount", "forecast_amount"])?,
        };
        let mut rows: BTreeMap<String, PipelineRow> = BTreeMap::new();
        for g in groups {
            let key = match (by, &g.key) {
                (PipelineBy::CloseMonth | PipelineBy::CloseYear, Value::Text(t)) => t.clone(),
                (PipelineBy::CloseQuarter, Value::Text(t)) => quarter_of_month(t),
                (PipelineBy::CloseMonth | PipelineBy::CloseQuarter | PipelineBy::CloseYear, _) => String::new(),
                _ => self.pipeline_key(by, &g.key)?,
            };
            let row = rows.entry(key.clone()).or_insert(PipelineRow { key, ..PipelineRow::empty() });
            row.count += g.count;
            row.amount += g.sums.first().copied().unwrap_or_default();
            row.forecast_amount += g.sums.get(1).copied().unwrap_or_default();
        }
        Ok(rows.into_values().collect())
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
        use crate::storage::analytics::AsOfKey;
        let (_, q) = self.deal_query(filter.into_iter().collect())?;
        let end = date.succ_opt().unwrap_or(date).and_time(chrono::NaiveTime::MIN);
        self.check_fields_visible("Potentials", &["amount", "forecast_amount", "sales_stage", "closingdate"])?; // access control
        let key = match by {
            PipelineBy::Total => AsOfKey::Total,
            PipelineBy::Stage | PipelineBy::StageKind => AsOfKey::Stage,
            PipelineBy::Owner => AsOfKey::Owner,
            PipelineBy::CloseMonth | PipelineBy::CloseQuarter => AsOfKey::CloseDatePrefix(7),
            PipelineBy::CloseYear => AsOfKey::CloseDatePrefix(4),
        };
        let mut rows: BTreeMap<String, PipelineRow> = BTreeMap::new();
        for g in self.store.pipeline_as_of(&q, end, key)? {
            let v = g.keys.into_iter().next().unwrap_or_default();
            let key = match (by, &v) {
                (PipelineBy::CloseMonth | PipelineBy::CloseYear, Value::Text(t)) => t.clone(),
                (PipelineBy::CloseQuarter, Value::Text(t)) => quarter_of_month(t),
                (PipelineBy::CloseMonth | PipelineBy::CloseQuarter | PipelineBy::CloseYear, _) => String::new(),
                _ => self.pipeline_key(by, &v)?,
            };
            let row = rows.entry(key.clone()).or_insert(PipelineRow { key, ..PipelineRow::empty() });
            row.count += g.count;
            row.amount = crate::analytics::math::add(row.amount, g.amount, "the sum of amount")?;
            row.forecast_amount = crate::analytics::math::add(row.forecast_amount, g.forecast_amount, "the sum of forecast_amount")?;
        }
        Ok(rows.into_values().collect())
    }
}

impl PipelineRow {
    /// A row with nothing counted yet.
    fn empty() -> PipelineRow {
        PipelineRow {
            key: String::new(),
            count: 0,
            amount: Decimal::ZERO,
            forecast_amount: Decimal::ZERO,
            currency: None,
            subtotals: vec![],
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
