//! The exact arithmetic of the reports, checked: an overflow is an `InvalidArgument` naming the figure.
//!
//! Rounding (half away from zero): rates and ratios (win rate, attainment, coverage, conversion) to
//! [`RATE_DP`] decimal places as fractions (0.5 is 50 %); averages of days to [`DAYS_DP`]; money figures
//! computed by division (average won amount, velocity) to [`MONEY_DP`]. Medians are exact: the mean of
//! the two middle values of an even count (at most one decimal place for whole days).

use crate::error::{Error, Result};
use rust_decimal::{Decimal, RoundingStrategy};

/// Decimal places of rates and ratios.
pub const RATE_DP: u32 = 4;
/// Decimal places of averages of days.
pub const DAYS_DP: u32 = 2;
/// Decimal places of money figures obtained by division.
pub const MONEY_DP: u32 = 2;

fn overflow(what: &str) -> Error {
    Error::invalid(format!("{what} is beyond the range of exact decimals"))
}

/// `a / b` rounded to `dp` places (and written with exactly `dp`); `None` when `b` is zero.
///
/// # Errors
/// `InvalidArgument` when the quotient overflows.
pub fn div(a: Decimal, b: Decimal, dp: u32, what: &str) -> Result<Option<Decimal>> {
    if b.is_zero() {
        return Ok(None);
    }
    let mut q = a.checked_div(b).ok_or_else(|| overflow(what))?.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero);
    q.rescale(dp); // always `dp` places: `0.5000`, `54.00`
    Ok(Some(q))
}

/// `a * b`, checked.
///
/// # Errors
/// `InvalidArgument` on overflow.
pub fn mul(a: Decimal, b: Decimal, what: &str) -> Result<Decimal> {
    a.checked_mul(b).ok_or_else(|| overflow(what))
}

/// `a + b`, checked.
///
/// # Errors
/// `InvalidArgument` on overflow.
pub fn add(a: Decimal, b: Decimal, what: &str) -> Result<Decimal> {
    a.checked_add(b).ok_or_else(|| overflow(what))
}

/// `a - b`, checked.
///
/// # Errors
/// `InvalidArgument` on overflow.
pub fn sub(a: Decimal, b: Decimal, what: &str) -> Result<Decimal> {
    a.checked_sub(b).ok_or_else(|| overflow(what))
}

/// The exact median of an ascending list's two middle values.
pub fn median(middle: (i64, i64)) -> Decimal {
    (Decimal::from(middle.0) + Decimal::from(middle.1)) / Decimal::TWO
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn rounding_and_medians_are_exact() {
        assert_eq!(div(dec!(2), dec!(3), RATE_DP, "x").unwrap(), Some(dec!(0.6667)));
        assert_eq!(div(dec!(1), dec!(8), 2, "x").unwrap(), Some(dec!(0.13)));
        assert_eq!(div(dec!(1), dec!(2), RATE_DP, "x").unwrap().map(|d| d.to_string()), Some("0.5000".to_string()));
        assert_eq!(div(dec!(1), Decimal::ZERO, 2, "x").unwrap(), None);
        assert_eq!(median((3, 4)), dec!(3.5));
        assert_eq!(median((-1, -1)), dec!(-1));
        assert!(mul(Decimal::MAX, dec!(2), "x").is_err());
        assert!(div(Decimal::MAX, dec!(0.1), 2, "x").is_err());
    }
}
