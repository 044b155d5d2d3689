//! Sales analytics on [`Crm`]: the reports of `crate::analytics`, each one or two grouped reads of the
//! [`AnalyticsStore`](crate::storage::AnalyticsStore) port folded exactly here.
//!
//! Which deals each report reads:
//! * forecast, attainment, win rate, days to close, lost reasons: by close date (`closingdate`) in the
//!   period; a deal is closed when its stage is of kind won or lost;
//! * stage funnel and time in stage: the deals created in the period (a cohort), through their stage
//!   history;
//! * velocity: the open deals of today, with the win rate, average won amount and days to close of the
//!   deals closed in the period;
//! * pipeline as of a date: every deal with stage history before it, deleted ones included unless they
//!   were deleted before it.
//!
//! Owners appear by user name (groups by name).

mod forecast;
mod money;
mod outcomes;
mod quotas;
mod rules;
mod run;
mod stages;

pub use forecast::SnapshotRow;
pub use quotas::Quota;

pub(crate) use money::ReportCurrency;

use super::Crm;
use crate::analytics::Period;
use crate::error::Result;
use crate::query::{Condition, Query};
use crate::schema::{Schema, StageKind};
use crate::user::{Directory, Owner};
use crate::value::Value;
use std::sync::Arc;

/// The sales stages of a schema by kind, in picklist order.
pub(crate) struct Stages {
    pub(crate) open: Vec<String>,
    pub(crate) won: Vec<String>,
    pub(crate) lost: Vec<String>,
}

impl Stages {
    pub(crate) fn of(s: &Schema) -> Stages {
        let mut out = Stages { open: vec![], won: vec![], lost: vec![] };
        for v in s.picklist("sales_stage").map(|p| p.values.as_slice()).unwrap_or_default() {
            match v.stage.map(|m| m.kind) {
                Some(StageKind::Won) => out.won.push(v.value.clone()),
                Some(StageKind::Lost) => out.lost.push(v.value.clone()),
                _ => out.open.push(v.value.clone()),
            }
        }
        out
    }
}

/// `sales_stage` is one of `stages` (false for none).
pub(crate) fn stage_in(stages: &[String]) -> Condition {
    if stages.is_empty() { Condition::Any(vec![]) } else { Condition::one_of("sales_stage", stages.iter().cloned()) }
}

/// The close date is in the period.
pub(crate) fn closing_in(p: &Period) -> Condition {
    Condition::between("closingdate", Value::Date(p.from), Value::Date(p.to))
}

/// The deal was created in the period.
pub(crate) fn created_in(p: &Period) -> Condition {
    let end = p.to.and_hms_opt(23, 59, 59).unwrap_or_default();
    Condition::between("createdtime", Value::DateTime(p.from.and_time(chrono::NaiveTime::MIN)), Value::DateTime(end))
}

impl Crm {
    /// The normalized Potentials query of the deals matching every condition, with the schema it was
    /// normalized against.
    pub(crate) fn deal_query(&self, conditions: Vec<Condition>) -> Result<(Arc<Schema>, Query)> {
        let s = self.current_schema()?;
        let m = Crm::read_module(&s, "Potentials")?;
        let q = Query::new("Potentials").filter(Condition::All(conditions));
        let q = self.scoped(self.resolve_names(m, q)?.normalize(m)?)?; // access control: visible deals only
        Ok((s, q))
    }

    /// Shows summed money with its field's scale (`amount` 2 places, `forecast_amount` 4): the stores sum the
    /// base-currency copies when deals carry a currency, which keep the conversion's scale.
    pub(crate) fn money_scale(
        &self,
        mut groups: Vec<crate::storage::analytics::DealGroup>,
    ) -> Result<Vec<crate::storage::analytics::DealGroup>> {
        let s = self.current_schema()?;
        let m = Crm::read_module(&s, "Potentials")?;
        if crate::currency::money_fields(m).is_empty() {
            return Ok(groups);
        }
        let places = self.currency_book()?.base_currency().decimals;
        let scale = |f: &str| m.field(f).map_or(places, |f| f.decimal_scale()).max(places);
        let (a, f) = (scale("amount"), scale("forecast_amount"));
        for g in &mut groups {
            g.amount = g.amount.round_dp(a);
            g.amount.rescale(a);
            g.forecast_amount = g.forecast_amount.round_dp(f);
            g.forecast_amount.rescale(f);
        }
        Ok(groups)
    }

    /// Reads a period name with the stored fiscal-year start.
    ///
    /// # Errors
    /// `InvalidArgument` for a name that is not a period.
    pub fn period(&self, name: &str) -> Result<Period> {
        Period::parse(name, self.view_settings()?.fiscal_year_start_month)
    }

    /// The users and groups, for naming owners in reports.
    pub(crate) fn directory_now(&self) -> Result<Directory> {
        Directory::read(&*self.store)
    }
}

/// How a report shows a key value: owners by user or group name, the rest as text (`""` for none).
pub(crate) fn key_text(dir: &Directory, v: &Value) -> String {
    match v {
        Value::Owner(o) => match dir.owner(*o) {
            Some(Owner::User(u)) => u.user_name,
            Some(Owner::Group(g)) => g.name,
            None => o.0.to_string(),
        },
        other => other.to_text().unwrap_or_default(),
    }
}

/// `yyyy-Qn` of a `yyyy-mm` key (empty when it is not one).
pub(crate) fn quarter_of_month(month: &str) -> String {
    match (month.get(..4), month.get(5..7).and_then(|m| m.parse::<u32>().ok())) {
        (Some(y), Some(m @ 1..=12)) => format!("{y}-Q{}", (m - 1) / 3 + 1),
        _ => String::new(),
    }
}
