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
