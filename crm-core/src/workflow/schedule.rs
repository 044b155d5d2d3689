//! Schedules of time-triggered workflows and their next trigger time (reference §5.6).
//!
//! Times are wall-clock times in the engine's time zone (vtiger: the active admin's zone); the result is
//! returned in UTC. Differences from vtiger: a monthly date the month lacks (31 in April) is skipped
//! instead of overflowing into the next month; a specific date in the past never triggers (vtiger parks it
//! ten years ahead, which means the same).

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// When a scheduled workflow runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "every", rename_all = "snake_case")]
pub enum Schedule {
    /// Every hour (next = last run + 1 hour).
    Hourly,
    /// Every day at a time.
    Daily {
        /// Time of day.
        at: NaiveTime,
    },
    /// On some weekdays (ISO numbers 1 = Monday … 7 = Sunday) at a time.
    Weekly {
        /// ISO weekday numbers.
        days: Vec<u32>,
        /// Time of day.
        at: NaiveTime,
    },
    /// On some days of the month at a time.
    Monthly {
        /// Days of the month (1..=31).
        days: Vec<u32>,
        /// Time of day.
        at: NaiveTime,
    },
    /// On some dates every year (the year of each date is ignored) at a time.
    Yearly {
        /// Dates (month and day count).
        dates: Vec<NaiveDate>,
        /// Time of day.
        at: NaiveTime,
    },
    /// Once, on a date at a time.
    Once {
        /// The date.
        date: NaiveDate,
        /// Time of day.
        at: NaiveTime,
    },
}

fn local(tz: Tz, d: NaiveDateTime) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&d) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(a, _) => Some(a.with_timezone(&Utc)),
        // A time skipped by a DST change: take the same wall time one hour later.
        LocalResult::None => tz.from_local_datetime(&(d + Duration::hours(1))).earliest().map(|t| t.with_timezone(&Utc)),
    }
}

impl Schedule {
    /// Checks the schedule's lists (weekday 1..=7, month day 1..=31, at least one entry).
    pub fn validate(&self) -> Result<(), String> {
        match self {
            Schedule::Weekly { days, .. } if days.is_empty() || days.iter().any(|d| !(1..=7).contains(d)) => {
                Err("weekly schedule needs weekdays 1 (Monday) to 7 (Sunday)".into())
            }
            Schedule::Monthly { days, .. } if days.is_empty() || days.iter().any(|d| !(1..=31).contains(d)) => {
                Err("monthly schedule needs days 1 to 31".into())
            }
            Schedule::Yearly { dates, .. } if dates.is_empty() => Err("yearly schedule needs dates".into()),
            _ => Ok(()),
        }
    }

    /// The first trigger time strictly after `now` (UTC), or `None` when it never triggers again.
    pub fn next_after(&self, now: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
        let l = now.with_timezone(&tz).naive_local();
        let today = l.date();
        let at_on = |d: NaiveDate, t: NaiveTime| local(tz, d.and_time(t)).filter(|x| *x > now);
        match self {
            Schedule::Hourly => Some(now + Duration::hours(1)),
            Schedule::Daily { at } => at_on(today, *at).or_else(|| today.succ_opt().and_then(|d| at_on(d, *at))),
            Schedule::Weekly { days, at } => (0..=7).find_map(|i| {
                let d = today + Duration::days(i);
                let wd = d.weekday().number_from_monday();
                if days.contains(&wd) { at_on(d, *at) } else { None }
            }),
            Schedule::Monthly { days, at } => {
                let mut sorted = days.clone();
                sorted.sort_unstable();
                (0..=24).find_map(|m| {
                    let first = add_months(NaiveDate::from_ymd_opt(today.year(), today.month(), 1)?, m)?;
                    sorted.iter().find_map(|day| NaiveDate::from_ymd_opt(first.year(), first.month(), *day).and_then(|d| at_on(d, *at)))
                })
            }
            Schedule::Yearly { dates, at } => (0..=8).find_map(|y| {
                let mut c: Vec<DateTime<Utc>> = dates
                    .iter()
                    .filter_map(|d| NaiveDate::from_ymd_opt(today.year() + y, d.month(), d.day()))
                    .filter_map(|d| at_on(d, *at))
                    .collect();
                c.sort();
                c.first().copied()
            }),
            Schedule::Once { date, at } => at_on(*date, *at),
        }
    }
}

fn add_months(d: NaiveDate, m: i32) -> Option<NaiveDate> {
    let total = d.year() * 12 + d.month0() as i32 + m;
    NaiveDate::from_ymd_opt(total.div_euclid(12), u32::try_from(total.rem_euclid(12)).ok()? + 1, 1)
}

/// ISO weekday number (1 = Monday) of a weekday.
pub fn iso(w: Weekday) -> u32 {
    w.number_from_monday()
}
