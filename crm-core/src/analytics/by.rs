//! What a report groups deals by, read from a name (the one parser both bindings use).

use crate::error::{Error, Result};
use crate::storage::analytics::DealKey;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// A report grouping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportBy {
    /// One row for everything.
    Total,
    /// Owner (user name, or group name).
    Owner,
    /// Lead source.
    LeadSource,
    /// Opportunity type.
    Type,
    /// Sales stage.
    Stage,
    /// Forecast category.
    ForecastCategory,
    /// Close month `yyyy-mm`.
    Month,
    /// Close quarter `yyyy-Qn`.
    Quarter,
    /// Close year `yyyy`.
    Year,
    /// The deal's currency: each group's sums in that currency, unconverted (per-currency subtotals).
    Currency,
}

impl ReportBy {
    /// The column the group's key goes in (none for [`ReportBy::Total`]).
    pub fn column(self) -> Option<&'static str> {
        Some(match self {
            ReportBy::Total => return None,
            ReportBy::Owner => "owner",
            ReportBy::LeadSource => "lead_source",
            ReportBy::Type => "type",
            ReportBy::Stage => "stage",
            ReportBy::ForecastCategory => "forecast_category",
            ReportBy::Month => "month",
            ReportBy::Quarter => "quarter",
            ReportBy::Year => "year",
            ReportBy::Currency => "currency",
        })
    }

    /// The Potentials field the grouping reads (none for [`ReportBy::Total`]).
    pub fn field(self) -> Option<&'static str> {
        Some(match self {
            ReportBy::Total => return None,
            ReportBy::Owner => "assigned_user_id",
            ReportBy::LeadSource => "leadsource",
            ReportBy::Type => "opportunity_type",
            ReportBy::Stage => "sales_stage",
            ReportBy::ForecastCategory => "forecast_category",
            ReportBy::Month | ReportBy::Quarter | ReportBy::Year => "closingdate",
            ReportBy::Currency => crate::currency::CURRENCY_FIELD,
        })
    }

    /// How the store groups for it (none for [`ReportBy::Total`]); quarters are folded from months.
    pub fn deal_key(self) -> Option<DealKey> {
        Some(match self {
            ReportBy::Total => return None,
            ReportBy::Month | ReportBy::Quarter => DealKey::DatePrefix("closingdate".into(), 7),
            ReportBy::Year => DealKey::DatePrefix("closingdate".into(), 4),
            other => DealKey::Field(other.field()?.into()),
        })
    }

    /// Whether it groups by a plain field (what the days-to-close read takes).
    pub fn is_field(self) -> bool {
        !matches!(self, ReportBy::Month | ReportBy::Quarter | ReportBy::Year)
    }
}

/// A grouping by name, any case: `total` (`all`), `owner` (`assigned_user_id`), `lead_source` (`source`,
/// `leadsource`), `type` (`opportunity_type`), `stage` (`sales_stage`), `forecast_category` (`category`),
/// `month`, `quarter`, `year`, `currency`.
impl FromStr for ReportBy {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "total" | "all" | "" => ReportBy::Total,
            "owner" | "assigned_user_id" => ReportBy::Owner,
            "lead_source" | "source" | "leadsource" => ReportBy::LeadSource,
            "type" | "opportunity_type" => ReportBy::Type,
            "stage" | "sales_stage" => ReportBy::Stage,
            "forecast_category" | "category" => ReportBy::ForecastCategory,
            "month" | "close_month" => ReportBy::Month,
            "quarter" | "close_quarter" => ReportBy::Quarter,
            "year" | "close_year" => ReportBy::Year,
            "currency" => ReportBy::Currency,
            _ => {
                return Err(Error::invalid(format!(
                    "by: unknown value '{s}' (one of total, owner, lead_source, type, stage, forecast_category, month, quarter, year, currency)"
                )));
            }
        })
    }
}

/// What a lost-deal report groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LostBy {
    /// The `lost_reason` picklist.
    Reason,
    /// The last open stage in the deal's stage history before it was lost.
    LastOpenStage,
}

/// `reason` (`lost_reason`) or `last_open_stage` (`stage`), any case.
impl FromStr for LostBy {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "reason" | "lost_reason" | "" => LostBy::Reason,
            "last_open_stage" | "stage" => LostBy::LastOpenStage,
            _ => return Err(Error::invalid(format!("by: unknown value '{s}' (one of reason, last_open_stage)"))),
        })
    }
}
