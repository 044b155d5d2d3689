//! Report periods: a month `2027-03`, a quarter `2027-Q1`, a year `2027`, a fiscal year `FY2027` or a
//! fiscal quarter `FY2027-Q1`. A fiscal year is named by the calendar year it ends in (Salesforce's
//! convention) and starts in the month the view settings give (`ViewSettings::fiscal_year_start_month`,
//! January by default, when fiscal and calendar years agree). A year of 1200–1599 is a Jalali year: `1406`,
//! `1406-Q1` (spring, the season of Nowruz), `1406-01` (Farvardin) are Jalali periods, the fiscal year of
//! the Persian calendar starting on 1 Farvardin; Persian digits are read too.

use crate::error::{Error, Result};
use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// A named span of days, both ends included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    /// The name as given, normalized (`2027-Q1`, `FY2027`).
    pub key: String,
    /// The first day.
    pub from: NaiveDate,
    /// The last day.
    pub to: NaiveDate,
}

fn bad(text: &str) -> Error {
    Error::invalid(format!(
        "period '{text}' is not a month (2027-03), quarter (2027-Q1), year (2027), fiscal year (FY2027), fiscal quarter (FY2027-Q1) or a Jalali one (1406-01, 1406-Q1, 1406)"
    ))
}

fn ymd(y: i32, m: u32, text: &str) -> Result<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, 1).ok_or_else(|| bad(text))
}

/// Jalali years: a year of 1200–1599 names a Jalali year (1406 began at Nowruz 2027), whose months and
/// seasons are Jalali months and seasons.
const JALALI_YEARS: std::ops::RangeInclusive<i32> = 1200..=1599;

/// A Jalali span of `months` months from Jalali month `month` of `year`.
fn jalali_span(key: String, y: i32, month: u32, months: u32, text: &str) -> Result<Period> {
    let m = u8::try_from(month).map_err(|_| bad(text))?;
    let from = crate::io::jalali::month_start(y, m, 0).ok_or_else(|| bad(text))?;
    let after = i32::try_from(months).map_err(|_| bad(text))?;
    let to = crate::io::jalali::month_start(y, m, after).and_then(|d| d.pred_opt()).ok_or_else(|| bad(text))?;
    Ok(Period { key, from, to })
}

/// A span of `months` calendar months from `from`, or of Jalali months when the year is a Jalali one.
fn span_of(key: String, y: i32, month: u32, months: u32, text: &str) -> Result<Period> {
    if JALALI_YEARS.contains(&y) { jalali_span(key, y, month, months, text) } else { span(key, ymd(y, month, text)?, months, text) }
}

fn span(key: String, from: NaiveDate, months: u32, text: &str) -> Result<Period> {
    let to = from.checked_add_months(Months::new(months)).and_then(|d| d.pred_opt()).ok_or_else(|| bad(text))?;
    Ok(Period { key, from, to })
}

fn year(t: &str, text: &str) -> Result<i32> {
    if t.len() != 4 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(text));
    }
    t.parse().map_err(|_| bad(text))
}

fn quarter(t: &str, text: &str) -> Result<u32> {
    match t {
        "Q1" | "q1" => Ok(1),
        "Q2" | "q2" => Ok(2),
        "Q3" | "q3" => Ok(3),
        "Q4" | "q4" => Ok(4),
        _ => Err(bad(text)),
    }
}

impl Period {
    /// Reads a period name; `fiscal_start_month` (1–12) is the month fiscal years start in.
    ///
    /// ```
    /// use crm_core::analytics::Period;
    /// let q = Period::parse("2027-Q1", 1).unwrap();
    /// assert_eq!((q.from.to_string(), q.to.to_string()), ("2027-01-01".into(), "2027-03-31".into()));
    /// let fy = Period::parse("FY2027", 4).unwrap();
    /// assert_eq!((fy.from.to_string(), fy.to.to_string()), ("2026-04-01".into(), "2027-03-31".into()));
    /// // Jalali periods: years 1200–1599 are Jalali (spring 1406 = Nowruz 2027 to the end of Khordad).
    /// let spring = Period::parse("۱۴۰۶-Q1", 1).unwrap();
    /// assert_eq!((spring.key.as_str(), spring.from.to_string(), spring.to.to_string()), ("1406-Q1", "2027-03-21".into(), "2027-06-21".into()));
    /// ```
    ///
    /// # Errors
    /// `InvalidArgument` naming the accepted forms.
    pub fn parse(text: &str, fiscal_start_month: u32) -> Result<Period> {
        // Persian and Arabic-Indic digits read as ASCII ones (۱۴۰۶-Q1).
        let folded = crate::text::fold(text.trim());
        let t = folded.as_str();
        if !(1..=12).contains(&fiscal_start_month) {
            return Err(Error::invalid(format!("fiscal year start month {fiscal_start_month} is not 1-12")));
        }
        if let Some(rest) = t.strip_prefix("FY").or_else(|| t.strip_prefix("fy")) {
            let (y, q) = match rest.split_once('-') {
                Some((y, q)) => (year(y, text)?, Some(quarter(q, text)?)),
                None => (year(rest, text)?, None),
            };
            // FY<y> ends in calendar year y: it starts in y-1 unless fiscal years start in January.
            let start_year = if fiscal_start_month == 1 { y } else { y - 1 };
            let start = ymd(start_year, fiscal_start_month, text)?;
            return match q {
                None => span(format!("FY{y}"), start, 12, text),
                Some(q) => {
                    let from = start.checked_add_months(Months::new((q - 1) * 3)).ok_or_else(|| bad(text))?;
                    span(format!("FY{y}-Q{q}"), from, 3, text)
                }
            };
        }
        match t.split_once('-') {
            None => {
                let y = year(t, text)?;
                span_of(format!("{y:04}"), y, 1, 12, text)
            }
            Some((y, rest)) => {
                let y = year(y, text)?;
                if rest.starts_with(['Q', 'q']) {
                    let q = quarter(rest, text)?;
                    return span_of(format!("{y:04}-Q{q}"), y, (q - 1) * 3 + 1, 3, text);
                }
                if rest.len() != 2 || !rest.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad(text));
                }
                let m: u32 = rest.parse().map_err(|_| bad(text))?;
                if !(1..=12).contains(&m) {
                    return Err(bad(text));
                }
                span_of(format!("{y:04}-{m:02}"), y, m, 1, text)
            }
        }
    }

    /// Whether `d` falls in the period.
    pub fn contains(&self, d: NaiveDate) -> bool {
        self.from <= d && d <= self.to
    }

    /// The calendar quarter key `yyyy-Qn` of a date.
    pub fn quarter_of(d: NaiveDate) -> String {
        format!("{:04}-Q{}", d.year(), d.month0() / 3 + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_parse_and_bad_ones_are_refused() {
        let p = |t: &str| Period::parse(t, 1).map(|p| (p.key, p.from.to_string(), p.to.to_string()));
        assert_eq!(p("2027-02").unwrap(), ("2027-02".into(), "2027-02-01".into(), "2027-02-28".into()));
        assert_eq!(p("2027-q4").unwrap(), ("2027-Q4".into(), "2027-10-01".into(), "2027-12-31".into()));
        assert_eq!(p("2028").unwrap(), ("2028".into(), "2028-01-01".into(), "2028-12-31".into()));
        assert_eq!(p("FY2027-Q2").unwrap(), ("FY2027-Q2".into(), "2027-04-01".into(), "2027-06-30".into()));
        let fy = Period::parse("FY2027-Q1", 7).unwrap();
        assert_eq!((fy.from.to_string(), fy.to.to_string()), ("2026-07-01".into(), "2026-09-30".into()));
        for t in ["", "27", "2027-13", "2027-Q5", "FY", "2027-1", "x2027", "99999", "FY2027-Q0"] {
            assert!(p(t).is_err(), "{t}");
        }
        assert!(Period::parse("2027", 13).is_err());
    }
}
