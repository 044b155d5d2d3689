//! Analytics calls by name with JSON options (what C's `crm_analytics` calls): each name maps to one
//! method of [`Crm`], its options read by [`AnalyticsOptions`].

use super::super::Crm;
use crate::analytics::{AnalyticsOptions, LostBy, Report, ReportBy, ReportRow};
use crate::error::Result;
use crate::value::format_date;

impl Crm {
    /// Runs the analytics call `report` (see [`Report`]) with options given as a JSON object, returning
    /// its rows. Writes (`set_quota`, `snapshot_pipeline`, `set_forecast_category`,
    /// `set_require_lost_reason`) return what they stored (the settings calls: no rows).
    ///
    /// ```
    /// # fn main() -> Result<(), crm_core::Error> {
    /// let mut crm = crm_core::Crm::open(":memory:")?;
    /// crm.add_user(crm_core::NewUser::new("bob"))?;
    /// crm.run_analytics("set_quota", r#"{"owner": "bob", "period": "2027-Q1", "amount": "50000"}"#)?;
    /// let rows = crm.run_analytics("attainment", r#"{"period": "2027-Q1"}"#)?;
    /// assert_eq!(rows[0].text("owner"), Some("bob"));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// `InvalidArgument` for an unknown call, a bad or missing option; the errors of the call.
    pub fn run_analytics(&mut self, report: &str, options_json: &str) -> Result<Vec<ReportRow>> {
        let report: Report = report.parse()?;
        let o = AnalyticsOptions::from_json(options_json)?;
        let period = |name: &str| o.required(&o.period, "period", name).map(str::to_string);
        let cur = o.currency.as_deref();
        match report {
            Report::Forecast => self.forecast_by_in(&o.by_list(ReportBy::ForecastCategory)?, o.period.as_deref(), None, cur),
            Report::SetQuota => {
                let owner = o.required(&o.owner, "owner", "set_quota")?.to_string();
                let amount = crate::analytics::options::parse_amount(o.required(&o.amount, "amount", "set_quota")?)?;
                let q = self.set_quota(&owner, &period("set_quota")?, amount)?;
                self.quota_rows(vec![q])
            }
            Report::Quotas => {
                let all = self.quotas()?;
                self.quota_rows(all)
            }
            Report::Attainment => self.attainment_in(&period("attainment")?, o.by_list(ReportBy::Owner)?[0], cur),
            Report::WinRate => self.win_rate_in(&period("win_rate")?, o.by_list(ReportBy::Total)?[0], cur),
            Report::SalesVelocity => self.sales_velocity_in(&period("sales_velocity")?, cur),
            Report::StageFunnel => self.stage_funnel(&period("stage_funnel")?),
            Report::TimeInStage => self.time_in_stage(&period("time_in_stage")?),
            Report::LostReasons => {
                let by: LostBy = o.by_name()?.unwrap_or("reason").parse()?;
                self.lost_reasons_in(&period("lost_reasons")?, by, cur)
            }
            Report::PipelineAsOf => {
                let date = o.date.ok_or_else(|| crate::error::Error::invalid("pipeline_as_of needs the option 'date'"))?;
                let by: crate::PipelineBy = o.by_name()?.unwrap_or("stage").parse()?;
                let subtotals = o.subtotals.unwrap_or(false);
                let rows = self.pipeline_as_of_in(date, by, None, cur, subtotals, crate::view::Calendar::Gregorian)?;
                let mut out = Vec::new();
                for r in rows {
                    let mut row = ReportRow::new().with("key", r.key.as_str()).with("date", format_date(date));
                    if let Some(c) = &r.currency {
                        row = row.with("currency", c.as_str());
                    }
                    row = row.with("count", r.count).with("amount", r.amount).with("forecast_amount", r.forecast_amount);
                    out.push(row);
                    // Per-currency subtotals follow their row, keyed like it, each in its own currency.
                    for s in r.subtotals {
                        out.push(
                            ReportRow::new()
                                .with("key", r.key.as_str())
                                .with("date", format_date(date))
                                .with("currency", s.currency)
                                .with("subtotal", "currency")
                                .with("count", s.count)
                                .with("amount", s.amount)
                                .with("forecast_amount", s.forecast_amount),
                        );
                    }
                }
                Ok(out)
            }
            Report::SnapshotPipeline => self.snapshot_pipeline(),
            Report::PipelineSnapshots => self.pipeline_snapshots(o.from, o.to),
            Report::SetForecastCategory => {
                let stage = o.required(&o.stage, "stage", "set_forecast_category")?.to_string();
                let category = o.required(&o.category, "category", "set_forecast_category")?.to_string();
                self.set_forecast_category_for_stage(&stage, &category)?;
                Ok(vec![])
            }
            Report::SetRequireLostReason => {
                let on = o.on.ok_or_else(|| crate::error::Error::invalid("set_require_lost_reason needs the option 'on'"))?;
                self.set_require_lost_reason(on)?;
                Ok(vec![])
            }
        }
    }

    /// Quotas as rows `owner`, `period`, `amount` (owners by user or group name).
    pub fn quota_rows(&self, quotas: Vec<crate::analytics::Quota>) -> Result<Vec<ReportRow>> {
        let dir = self.directory_now()?;
        Ok(quotas
            .into_iter()
            .map(|q| {
                ReportRow::new()
                    .with("owner", super::key_text(&dir, &crate::value::Value::Owner(q.owner)))
                    .with("period", q.period)
                    .with("amount", q.amount)
            })
            .collect())
    }
}
