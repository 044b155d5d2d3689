//! The options of an analytics call made by name (C's `crm_analytics`): one JSON object, read here so the
//! bindings hold no parsing of their own.

use super::ReportBy;
use crate::error::{Error, Result};
use chrono::NaiveDate;
use serde::Deserialize;

/// One grouping name or a list of them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum ByNames {
    /// One name.
    One(String),
    /// Several, outermost first.
    Many(Vec<String>),
}

/// The options of every analytics call; each call reads the ones it needs (see [`Report`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalyticsOptions {
    /// A period name (`2027-Q1`, `2027-03`, `2027`, `FY2027`, `FY2027-Q1`).
    pub period: Option<String>,
    /// The grouping (a name or, for `forecast`, a list).
    pub by: Option<ByNames>,
    /// The day of `pipeline_as_of` (`yyyy-mm-dd`).
    pub date: Option<NaiveDate>,
    /// First day of `pipeline_snapshots`.
    pub from: Option<NaiveDate>,
    /// Last day of `pipeline_snapshots`.
    pub to: Option<NaiveDate>,
    /// The owner of `set_quota` (user name, full name or group name).
    pub owner: Option<String>,
    /// The quota amount of `set_quota`, exact decimal text.
    pub amount: Option<String>,
    /// The stage of `set_forecast_category`.
    pub stage: Option<String>,
    /// The category of `set_forecast_category`.
    pub category: Option<String>,
    /// On or off for `set_require_lost_reason`.
    pub on: Option<bool>,
    /// The currency money is reported in (ISO code; the base currency when absent): `forecast`,
    /// `attainment`, `win_rate`, `sales_velocity`, `lost_reasons`, `pipeline_as_of`.
    pub currency: Option<String>,
    /// Per-currency subtotals in each row of `pipeline_as_of`.
    pub subtotals: Option<bool>,
}

/// The calls `crm_analytics` answers, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    /// `forecast`: options `by` (name or list; `forecast_category` by default; `currency` for per-currency
    /// rows), `period`, `currency`.
    Forecast,
    /// `set_quota`: `owner`, `period`, `amount`.
    SetQuota,
    /// `quotas`: none.
    Quotas,
    /// `attainment`: `period`, `by` (`owner` by default, or `total`).
    Attainment,
    /// `win_rate`: `period`, `by` (`total` by default, `owner`, `lead_source`, `type`).
    WinRate,
    /// `sales_velocity`: `period`.
    SalesVelocity,
    /// `stage_funnel`: `period`.
    StageFunnel,
    /// `time_in_stage`: `period`.
    TimeInStage,
    /// `lost_reasons`: `period`, `by` (`reason` by default, or `last_open_stage`).
    LostReasons,
    /// `pipeline_as_of`: `date`, `by` (a pipeline grouping, `stage` by default), `currency`, `subtotals`.
    PipelineAsOf,
    /// `snapshot_pipeline`: none.
    SnapshotPipeline,
    /// `pipeline_snapshots`: `from`, `to` (both optional).
    PipelineSnapshots,
    /// `set_forecast_category`: `stage`, `category`.
    SetForecastCategory,
    /// `set_require_lost_reason`: `on`.
    SetRequireLostReason,
}

impl std::str::FromStr for Report {
    type Err = Error;
    fn from_str(s: &str) -> Result<Report> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "forecast" => Report::Forecast,
            "set_quota" => Report::SetQuota,
            "quotas" => Report::Quotas,
            "attainment" => Report::Attainment,
            "win_rate" => Report::WinRate,
            "sales_velocity" => Report::SalesVelocity,
            "stage_funnel" => Report::StageFunnel,
            "time_in_stage" => Report::TimeInStage,
            "lost_reasons" => Report::LostReasons,
            "pipeline_as_of" => Report::PipelineAsOf,
            "snapshot_pipeline" => Report::SnapshotPipeline,
            "pipeline_snapshots" => Report::PipelineSnapshots,
            "set_forecast_category" => Report::SetForecastCategory,
            "set_require_lost_reason" => Report::SetRequireLostReason,
            _ => {
                return Err(Error::invalid(format!(
                    "report: unknown value '{s}' (one of forecast, set_quota, quotas, attainment, win_rate, sales_velocity, stage_funnel, \
                     time_in_stage, lost_reasons, pipeline_as_of, snapshot_pipeline, pipeline_snapshots, set_forecast_category, \
                     set_require_lost_reason)"
                )));
            }
        })
    }
}

/// An amount (a quota) from its text: an exact decimal, never through floating point.
///
/// # Errors
/// `InvalidArgument` naming the text.
pub fn parse_amount(text: &str) -> Result<rust_decimal::Decimal> {
    crate::value::parse_decimal(text.trim()).ok_or_else(|| Error::invalid(format!("amount: '{text}' is not an exact decimal number")))
}

impl AnalyticsOptions {
    /// Reads the options from JSON text (`{}` when empty).
    ///
    /// # Errors
    /// `InvalidArgument` naming the problem (unknown option, wrong type, bad date).
    pub fn from_json(text: &str) -> Result<AnalyticsOptions> {
        if text.trim().is_empty() {
            return Ok(AnalyticsOptions::default());
        }
        serde_json::from_str(text).map_err(|e| Error::invalid(format!("analytics options: {e}")))
    }

    /// A required text option.
    ///
    /// # Errors
    /// `InvalidArgument` naming the option and the call when it is missing.
    pub fn required<'a>(&self, value: &'a Option<String>, name: &str, call: &str) -> Result<&'a str> {
        value.as_deref().ok_or_else(|| Error::invalid(format!("{call} needs the option '{name}'")))
    }

    /// The groupings of `by` (`default` when absent).
    ///
    /// # Errors
    /// `InvalidArgument` for an unknown name.
    pub fn by_list(&self, default: ReportBy) -> Result<Vec<ReportBy>> {
        match &self.by {
            None => Ok(vec![default]),
            Some(ByNames::One(s)) => Ok(vec![s.parse()?]),
            Some(ByNames::Many(v)) => v.iter().map(|s| s.parse()).collect(),
        }
    }

    /// The single grouping name of `by`, if given.
    ///
    /// # Errors
    /// `InvalidArgument` for a list.
    pub fn by_name(&self) -> Result<Option<&str>> {
        match &self.by {
            None => Ok(None),
            Some(ByNames::One(s)) => Ok(Some(s)),
            Some(ByNames::Many(_)) => Err(Error::invalid("by: give one grouping name here, not a list")),
        }
    }
}
