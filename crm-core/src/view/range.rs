//! vtiger's named date ranges ("standard filter"), resolved against the injected clock.
//!
//! "Today" is the date of the injected clock in the store's time zone ([`Crm::set_time_zone`](crate::Crm::set_time_zone),
//! as workflows use). Every range resolves to an inclusive pair of dates; on a datetime field it becomes
//! `from 00:00:00 ..= to 23:59:59` local time (compared as UTC), like vtiger's BETWEEN.
//!
//! Months, quarters and years are Gregorian by default, or Jalali (Solar Hijri) with
//! [`ViewSettings::calendar`] = [`Calendar::Jalali`]: "this month" is then the Jalali month around today, the
//! quarters are the seasons (Q1 = Farvardin–Khordad), and the fiscal year starts on the first day of the
//! Jalali month [`ViewSettings::fiscal_year_start_month`] (default 1 = 1 Farvardin, Iran's fiscal year).
//!
//! Differences from vtiger, on purpose:
//! * vtiger treats the fiscal year as the calendar year; here the fiscal year starts on a configurable month
//!   ([`ViewSettings::fiscal_year_start_month`], default January, which gives vtiger's behaviour).
//! * Calendar quarters and years have their own names (`thisquarter`, `thisyear`, ...) next to vtiger's fiscal
//!   `thisfq`/`thisfy` codes.
//! * Weeks start on [`ViewSettings::week_start`] (default Sunday, vtiger's default user preference).

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

/// Settings that shape date ranges, stored once per store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewSettings {
    /// First day of the week (default Sunday).
    pub week_start: Weekday,
    /// Month (1–12) in which the fiscal year starts (default 1 = calendar year); a Jalali month with the
    /// Jalali calendar.
    pub fiscal_year_start_month: u32,
    /// The calendar of months, quarters and years (default Gregorian).
    #[serde(default)]
    pub calendar: Calendar,
}

impl Default for ViewSettings {
    fn default() -> Self {
        ViewSettings { week_start: Weekday::Sun, fiscal_year_start_month: 1, calendar: Calendar::Gregorian }
    }
}

/// The calendar that months, quarters and years follow in date ranges and reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Calendar {
    /// The Gregorian calendar (default).
    #[default]
    Gregorian,
    /// The Solar Hijri (Jalali, Persian) calendar: months from Farvardin, the year from Nowruz.
    Jalali,
}

impl std::str::FromStr for Calendar {
    type Err = crate::Error;
    /// `gregorian` or `jalali` (also `persian`, `shamsi`, `solar_hijri`), any case.
    fn from_str(s: &str) -> crate::Result<Self> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "gregorian" | "" => Ok(Calendar::Gregorian),
            "jalali" | "persian" | "shamsi" | "solar_hijri" => Ok(Calendar::Jalali),
            _ => Err(crate::Error::InvalidArgument(format!("calendar: unknown value '{s}' (one of gregorian, jalali)"))),
        }
    }
}

/// A named date range; serialized with vtiger's codes (`today`, `lastweek`, `thisfq`, `last30days`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DateRange {
    /// Today.
    Today,
    /// Yesterday.
    Yesterday,
    /// Tomorrow.
    Tomorrow,
    /// The current week.
    ThisWeek,
    /// The week before the current one.
    LastWeek,
    /// The week after the current one.
    NextWeek,
    /// The current calendar month.
    ThisMonth,
    /// The previous calendar month.
    LastMonth,
    /// The next calendar month.
    NextMonth,
    /// The current calendar quarter.
    ThisQuarter,
    /// The previous calendar quarter.
    LastQuarter,
    /// The next calendar quarter.
    NextQuarter,
    /// The current fiscal quarter (vtiger `thisfq`).
    ThisFq,
    /// The previous fiscal quarter (vtiger `prevfq`).
    PrevFq,
    /// The next fiscal quarter (vtiger `nextfq`).
    NextFq,
    /// The current calendar year.
    ThisYear,
    /// The previous calendar year.
    LastYear,
    /// The next calendar year.
    NextYear,
    /// The current fiscal year (vtiger `thisfy`).
    ThisFy,
    /// The previous fiscal year (vtiger `prevfy`).
    PrevFy,
    /// The next fiscal year (vtiger `nextfy`).
    NextFy,
    /// Today and the 6 days before.
    Last7Days,
    /// Today and the 13 days before.
    Last14Days,
    /// Today and the 29 days before.
    Last30Days,
    /// Today and the 59 days before.
    Last60Days,
    /// Today and the 89 days before.
    Last90Days,
    /// Today and the 119 days before.
    Last120Days,
    /// Today and the 29 days after.
    Next30Days,
    /// Today and the 59 days after.
    Next60Days,
    /// Today and the 89 days after.
    Next90Days,
    /// Today and the 119 days after.
    Next120Days,
    /// A custom inclusive range.
    Custom {
        /// First day.
        from: NaiveDate,
        /// Last day.
        to: NaiveDate,
    },
}

fn add_months(d: NaiveDate, months: i32) -> NaiveDate {
    if months >= 0 {
        d.checked_add_months(Months::new(months.unsigned_abs())).unwrap_or(d)
    } else {
        d.checked_sub_months(Months::new(months.unsigned_abs())).unwrap_or(d)
    }
}

fn shift(d: NaiveDate, days: i64) -> NaiveDate {
    if days >= 0 {
        d.checked_add_days(Days::new(days.unsigned_abs())).unwrap_or(d)
    } else {
        d.checked_sub_days(Days::new(days.unsigned_abs())).unwrap_or(d)
    }
}

/// [`period`] in the Jalali calendar: `anchor` is a Jalali month.
fn jalali_period(today: NaiveDate, anchor: u32, len: i32, offset: i32) -> Option<(NaiveDate, NaiveDate)> {
    let (y, m, _) = crate::io::jalali::from_gregorian(today)?;
    let anchor = anchor.clamp(1, 12) as i32;
    let back = (i32::from(m) - anchor).rem_euclid(len);
    let start = crate::io::jalali::month_start(y, m, -back + offset * len)?;
    let next = crate::io::jalali::month_start(y, m, -back + (offset + 1) * len)?;
    Some((start, next.pred_opt()?))
}

/// The period of `len` months that starts on a month congruent to `anchor` and contains `today`, shifted by
/// `offset` periods.
fn period(today: NaiveDate, anchor: u32, len: i32, offset: i32) -> (NaiveDate, NaiveDate) {
    let anchor = anchor.clamp(1, 12) as i32;
    let m = today.month() as i32;
    let back = (m - anchor).rem_euclid(len);
    let first_of_month = today.with_day(1).unwrap_or(today);
    let start = add_months(first_of_month, -back + offset * len);
    let end = shift(add_months(start, len), -1);
    (start, end)
}

impl DateRange {
    /// Parses a vtiger code (`today`, `thismonth`, `last30days`, `prevfy`, ...); `custom` needs dates and is
    /// built directly.
    pub fn parse(code: &str) -> Option<DateRange> {
        serde_json::from_value(serde_json::Value::String(code.trim().to_ascii_lowercase())).ok()
    }

    /// The first and last day (inclusive) of the range on `today`.
    pub fn resolve(self, today: NaiveDate, s: &ViewSettings) -> (NaiveDate, NaiveDate) {
        use DateRange as R;
        let week = |offset: i64| {
            let back = (7 + today.weekday().num_days_from_sunday() as i64 - s.week_start.num_days_from_sunday() as i64) % 7;
            let start = shift(today, -back + 7 * offset);
            (start, shift(start, 6))
        };
        let period = |today, anchor, len, offset| match s.calendar {
            Calendar::Gregorian => period(today, anchor, len, offset),
            Calendar::Jalali => jalali_period(today, anchor, len, offset).unwrap_or_else(|| period(today, anchor, len, offset)),
        };
        let last = |n: i64| (shift(today, -(n - 1)), today);
        let next = |n: i64| (today, shift(today, n - 1));
        match self {
            R::Today => (today, today),
            R::Yesterday => (shift(today, -1), shift(today, -1)),
            R::Tomorrow => (shift(today, 1), shift(today, 1)),
            R::ThisWeek => week(0),
            R::LastWeek => week(-1),
            R::NextWeek => week(1),
            R::ThisMonth => period(today, 1, 1, 0),
            R::LastMonth => period(today, 1, 1, -1),
            R::NextMonth => period(today, 1, 1, 1),
            R::ThisQuarter => period(today, 1, 3, 0),
            R::LastQuarter => period(today, 1, 3, -1),
            R::NextQuarter => period(today, 1, 3, 1),
            R::ThisFq => period(today, s.fiscal_year_start_month, 3, 0),
            R::PrevFq => period(today, s.fiscal_year_start_month, 3, -1),
            R::NextFq => period(today, s.fiscal_year_start_month, 3, 1),
            R::ThisYear => period(today, 1, 12, 0),
            R::LastYear => period(today, 1, 12, -1),
            R::NextYear => period(today, 1, 12, 1),
            R::ThisFy => period(today, s.fiscal_year_start_month, 12, 0),
            R::PrevFy => period(today, s.fiscal_year_start_month, 12, -1),
            R::NextFy => period(today, s.fiscal_year_start_month, 12, 1),
            R::Last7Days => last(7),
            R::Last14Days => last(14),
            R::Last30Days => last(30),
            R::Last60Days => last(60),
            R::Last90Days => last(90),
            R::Last120Days => last(120),
            R::Next30Days => next(30),
            R::Next60Days => next(60),
            R::Next90Days => next(90),
            R::Next120Days => next(120),
            R::Custom { from, to } => (from.min(to), from.max(to)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn ranges() {
        let s = ViewSettings::default();
        let today = d("2026-11-26"); // a Thursday
        assert_eq!(DateRange::ThisWeek.resolve(today, &s), (d("2026-11-22"), d("2026-11-28")));
        let monday = ViewSettings { week_start: Weekday::Mon, ..s };
        assert_eq!(DateRange::LastWeek.resolve(today, &monday), (d("2026-11-16"), d("2026-11-22")));
        assert_eq!(DateRange::LastMonth.resolve(today, &s), (d("2026-10-01"), d("2026-10-31")));
        assert_eq!(DateRange::NextQuarter.resolve(today, &s), (d("2027-01-01"), d("2027-03-31")));
        assert_eq!(DateRange::Last7Days.resolve(today, &s), (d("2026-11-20"), d("2026-11-26")));
        assert_eq!(DateRange::Next30Days.resolve(today, &s), (d("2026-11-26"), d("2026-12-25")));
        let april = ViewSettings { fiscal_year_start_month: 4, ..s };
        assert_eq!(DateRange::ThisFy.resolve(today, &april), (d("2026-04-01"), d("2027-03-31")));
        assert_eq!(DateRange::ThisFq.resolve(d("2027-02-10"), &april), (d("2027-01-01"), d("2027-03-31")));
        assert_eq!(DateRange::PrevFq.resolve(today, &april), (d("2026-07-01"), d("2026-09-30")));
        assert_eq!(DateRange::ThisFy.resolve(today, &s), (d("2026-01-01"), d("2026-12-31")));
        assert_eq!(DateRange::parse("last30days"), Some(DateRange::Last30Days));
        assert_eq!(DateRange::parse("thisfq"), Some(DateRange::ThisFq));
        assert_eq!(DateRange::parse("nope"), None);
    }

    #[test]
    fn jalali_ranges() {
        let s = ViewSettings { calendar: Calendar::Jalali, ..ViewSettings::default() };
        // 2026-11-26 is 5 Azar 1405 (Azar: 30 days, 22 Nov – 21 Dec); autumn 1405 is Mehr–Azar.
        let today = d("2026-11-26");
        assert_eq!(DateRange::ThisMonth.resolve(today, &s), (d("2026-11-22"), d("2026-12-21")));
        assert_eq!(DateRange::LastMonth.resolve(today, &s), (d("2026-10-23"), d("2026-11-21")));
        assert_eq!(DateRange::ThisQuarter.resolve(today, &s), (d("2026-09-23"), d("2026-12-21")));
        // The fiscal year starts on 1 Farvardin: 1405 runs from 2026-03-21 to 2027-03-20.
        assert_eq!(DateRange::ThisFy.resolve(today, &s), (d("2026-03-21"), d("2027-03-20")));
        assert_eq!(DateRange::ThisYear.resolve(today, &s), (d("2026-03-21"), d("2027-03-20")));
        assert_eq!(DateRange::NextYear.resolve(today, &s).0, d("2027-03-21"));
        assert_eq!("Jalali".parse::<Calendar>().unwrap(), Calendar::Jalali);
    }
}
