//! Sales analytics: forecast categories, quotas and periods, and the exact arithmetic the reports share.
//!
//! The reports themselves are methods of [`Crm`](crate::Crm) (win rate, velocity, funnel, time in stage,
//! lost reasons, attainment, pipeline as of a date, snapshots); they are computed where the data lives
//! through the [`AnalyticsStore`](crate::storage::AnalyticsStore) port and folded here, exactly.

pub mod by;
pub mod category;
pub mod math;
pub mod options;
pub mod period;
pub mod rows;
pub mod schema;

pub use crate::service::analytics::{Quota, SnapshotRow};
pub use by::{LostBy, ReportBy};
pub use category::FORECAST_CATEGORIES;
pub use options::{AnalyticsOptions, Report};
pub use period::Period;
pub use rows::{Cell, ReportRow};
