//! The analytics port: the few grouped reads that every sales report is folded from, each computed where the
//! data lives (SQL on SQLite and PostgreSQL, the memory store as the executable reference).
//!
//! Every read takes a normalized Potentials [`Query`]: the opportunities it selects are the report's deals
//! (each adapter turns it into the rows of the Potentials table through one function, so a visibility rule
//! added to the record query path applies to the reports too). Days are whole calendar days between the
//! date parts of two moments (`closingdate` − the date of `createdtime` for days to close; leaving − entering
//! for time in a stage). Medians come back as the two middle values (equal for an odd count), so the caller
//! averages them exactly.

use crate::error::Result;
use crate::query::Query;
use crate::value::Value;
use chrono::NaiveDateTime;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// What deals are grouped by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DealKey {
    /// A field's value (`Null` for deals without one).
    Field(String),
    /// The first `len` characters of a date field's stored text (`yyyy-mm` for 7, `yyyy` for 4), as text.
    DatePrefix(String, usize),
}

/// One group of deals: its keys (one per [`DealKey`], in order), count and exact sums.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealGroup {
    /// The group's key values.
    pub keys: Vec<Value>,
    /// Number of deals.
    pub count: u64,
    /// Sum of `amount` (empty counts as 0).
    pub amount: Decimal,
    /// Sum of `forecast_amount` (empty counts as 0).
    pub forecast_amount: Decimal,
}

/// Whole-day durations of one group: how many, their total and the two middle values in ascending order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DaySpread {
    /// The group's key (`Null` when not grouped or for deals without a value).
    pub key: Value,
    /// Number of durations.
    pub count: u64,
    /// Their sum in days.
    pub total: i64,
    /// The lower and upper middle values (equal when `count` is odd).
    pub middle: (i64, i64),
}

/// A sales stage as the funnel orders it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StagePlace {
    /// Stage name.
    pub stage: String,
    /// Position in the picklist (funnel order).
    pub position: i64,
    /// A won stage.
    pub won: bool,
    /// A lost stage (never counted as progress).
    pub lost: bool,
}

/// How many deals reached a stage, went further and were won.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageReach {
    /// Stage name.
    pub stage: String,
    /// Deals with a stage-history row at this stage.
    pub reached: u64,
    /// Of those, deals that later reached a stage further down the funnel (a lost stage does not count).
    pub advanced: u64,
    /// Of those, deals that reached a won stage.
    pub won: u64,
}

/// What the pipeline as of a date is grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AsOfKey {
    /// One group.
    Total,
    /// The stage of that day.
    Stage,
    /// The owner of that day (from the change log; today's owner when it never changed).
    Owner,
    /// The first `n` characters of that day's close date (`yyyy-mm-dd`).
    CloseDatePrefix(usize),
    /// The currency of that day (from the change log; today's currency when it never changed).
    Currency,
    /// That day's amount, in that day's currency.
    Amount,
    /// That day's forecast amount, in that day's currency.
    ForecastAmount,
}

/// Grouped reads over opportunities and their stage history.
pub trait AnalyticsStore {
    /// The deals `q` selects grouped by `keys` (one group for none), with count and exact sums of amount and
    /// forecast amount, ordered by keys.
    fn deal_groups(&self, q: &Query, keys: &[DealKey]) -> Result<Vec<DealGroup>>;
    /// Days from creation to the close date of the deals `q` selects that have both, grouped by a field (one
    /// group for `None`), ordered by key.
    fn days_to_close(&self, q: &Query, key: Option<&str>) -> Result<Vec<DaySpread>>;
    /// For each of `places`, the deals `q` selects that reached it in their stage history, advanced past it
    /// and were won; in the order of `places`.
    fn stage_reach(&self, q: &Query, places: &[StagePlace]) -> Result<Vec<StageReach>>;
    /// The days of every finished spell in a stage (a run of stage-history rows at one stage, ended by a row
    /// at another) of the deals `q` selects, grouped by stage, ordered by stage.
    fn stage_days(&self, q: &Query) -> Result<Vec<DaySpread>>;
    /// The deals `q` selects grouped by the last of `open` stages in their stage history (`Null` when none)
    /// and then by `more`, with count and sums of today's amounts, ordered by keys.
    fn last_open_stage(&self, q: &Query, open: &[String], more: &[DealKey]) -> Result<Vec<DealGroup>>;
    /// The pipeline as it stood just before `end`: every deal `q` selects today, live or in the recycle bin
    /// (unless it was deleted before `end`), that has a stage-history row before `end`, with the stage,
    /// amount, forecast amount and close date of its last such row, grouped by `keys` (one group for none),
    /// ordered by keys. The amounts summed are that day's, in that day's currency of each deal.
    fn pipeline_as_of(&self, q: &Query, end: NaiveDateTime, keys: &[AsOfKey]) -> Result<Vec<DealGroup>>;
}

/// Folds sorted durations into a [`DaySpread`] (checked sum: `InvalidArgument` past the range of `i64`).
pub(crate) fn spread(key: Value, days: &mut [i64]) -> Result<DaySpread> {
    days.sort_unstable();
    let n = days.len();
    let mut total: i64 = 0;
    for d in days.iter() {
        total = total.checked_add(*d).ok_or_else(|| crate::error::Error::invalid("a sum of days is beyond the range of 64-bit numbers"))?;
    }
    let middle = if n == 0 { (0, 0) } else { (days[(n - 1) / 2], days[n / 2]) };
    Ok(DaySpread { key, count: n as u64, total, middle })
}
