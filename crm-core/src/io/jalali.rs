//! Solar Hijri (Jalali, Persian) dates, converted with `icu_calendar`'s Persian calendar (Unicode-3.0).
//!
//! Input `1405/09/05` (also with `-` or `.`, native digits allowed) → Gregorian [`NaiveDate`]; output the
//! other way, zero-padded `yyyy/mm/dd` as Iranian users write it.

use chrono::{Datelike, NaiveDate};
use icu_calendar::cal::Persian;
use icu_calendar::{Date, Iso};

/// Converts a Jalali year, month and day to a Gregorian date; `None` when the day does not exist.
pub fn to_gregorian(year: i32, month: u8, day: u8) -> Option<NaiveDate> {
    let d = Date::try_new_persian(year, month, day).ok()?;
    let iso = d.to_calendar(Iso);
    NaiveDate::from_ymd_opt(iso.year().extended_year(), u32::from(iso.month().ordinal), u32::from(iso.day_of_month().0))
}

/// Converts a Gregorian date to Jalali (year, month, day).
pub fn from_gregorian(date: NaiveDate) -> Option<(i32, u8, u8)> {
    let month = u8::try_from(date.month()).ok()?;
    let day = u8::try_from(date.day()).ok()?;
    let iso = Date::try_new_iso(date.year(), month, day).ok()?;
    let p = iso.to_calendar(Persian);
    Some((p.year().extended_year(), p.month().ordinal, p.day_of_month().0))
}

/// Formats a Gregorian date as a Jalali `yyyy/mm/dd`.
pub fn format(date: NaiveDate) -> String {
    match from_gregorian(date) {
        Some((y, m, d)) => format!("{y:04}/{m:02}/{d:02}"),
        None => date.format("%Y-%m-%d").to_string(),
    }
}

/// Parses a Jalali `yyyy/mm/dd` (or with `-` or `.`; Persian digits allowed).
pub fn parse(s: &str) -> Option<NaiveDate> {
    let t = super::numbers::ascii_digits(s.trim());
    let parts: Vec<&str> = t.split(['/', '-', '.']).collect();
    let [y, m, d] = parts.as_slice() else {
        return None;
    };
    to_gregorian(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// The Persian names of the Jalali months, Farvardin first.
pub const MONTH_NAMES: [&str; 12] = ["فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند"];

/// The Persian names of the seasons, which are the Jalali quarters (spring = Farvardin–Khordad = Q1).
pub const SEASON_NAMES: [&str; 4] = ["بهار", "تابستان", "پاییز", "زمستان"];

/// The first day of Jalali month `month` (1–12) of `year`, shifted by `offset` months (any sign);
/// `None` outside chrono's range.
pub fn month_start(year: i32, month: u8, offset: i32) -> Option<NaiveDate> {
    let index = i64::from(year) * 12 + i64::from(month.clamp(1, 12)) - 1 + i64::from(offset);
    let y = i32::try_from(index.div_euclid(12)).ok()?;
    let m = u8::try_from(index.rem_euclid(12) + 1).ok()?;
    to_gregorian(y, m, 1)
}

/// A Jalali period's key and Persian label for a date: `by` is `"month"` (`1406-01`, `فروردین ۱۴۰۶`),
/// `"quarter"` (`1406-Q1`, `بهار ۱۴۰۶`) or `"year"` (`1406`, `۱۴۰۶`).
///
/// ```
/// use chrono::NaiveDate;
/// use crm_core::io::jalali::{Period, period};
/// let nowruz = NaiveDate::from_ymd_opt(2027, 3, 21).unwrap();
/// assert_eq!(period(nowruz, Period::Quarter), Some(("1406-Q1".to_string(), "بهار ۱۴۰۶".to_string())));
/// ```
pub fn period(date: NaiveDate, by: Period) -> Option<(String, String)> {
    let (y, m, _) = from_gregorian(date)?;
    let year = crate::text::persian_digits(&y.to_string());
    Some(match by {
        Period::Month => (format!("{y:04}-{m:02}"), format!("{} {year}", MONTH_NAMES.get(usize::from(m) - 1)?)),
        Period::Quarter => {
            let q = (m - 1) / 3;
            (format!("{y:04}-Q{}", q + 1), format!("{} {year}", SEASON_NAMES.get(usize::from(q))?))
        }
        Period::Year => (format!("{y:04}"), year),
    })
}

/// A calendar period length, for [`period`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// A month.
    Month,
    /// A quarter (three months; a season in the Jalali calendar).
    Quarter,
    /// A year.
    Year,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        assert_eq!(format(d), "1405/09/05");
        assert_eq!(parse("۱۴۰۵/۰۹/۰۵"), Some(d));
        assert_eq!(parse("1403/12/30"), NaiveDate::from_ymd_opt(2025, 3, 20)); // 1403 is a leap year
        assert_eq!(parse("1404/12/30"), None);
        assert_eq!(parse("1405/13/01"), None);
        assert_eq!(parse("garbage"), None);
    }

    #[test]
    fn periods_across_nowruz() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        // 1405 is not a leap year: 29 Esfand 1405 = 2027-03-20, 1 Farvardin 1406 = 2027-03-21.
        assert_eq!(period(d(2027, 3, 20), Period::Quarter).unwrap(), ("1405-Q4".into(), "زمستان ۱۴۰۵".into()));
        assert_eq!(period(d(2027, 3, 21), Period::Month).unwrap(), ("1406-01".into(), "فروردین ۱۴۰۶".into()));
        assert_eq!(period(d(2027, 3, 21), Period::Year).unwrap(), ("1406".into(), "۱۴۰۶".into()));
        assert_eq!(month_start(1406, 1, -1), Some(d(2027, 2, 20)));
        assert_eq!(month_start(1405, 12, 1), Some(d(2027, 3, 21)));
    }
}

#[cfg(test)]
mod extremes {
    use super::*;

    #[test]
    fn extreme_years_are_not_dates() {
        // Years beyond chrono's calendar give no date (never a panic in the calendar arithmetic).
        for s in ["2147483647/01/01", "-2147483648/12/30", "999999/12/29", "-999999/01/01", "1405/255/255"] {
            assert_eq!(parse(s), None, "{s}");
        }
        for d in [NaiveDate::MIN, NaiveDate::MAX] {
            assert!(!format(d).is_empty());
        }
    }
}
