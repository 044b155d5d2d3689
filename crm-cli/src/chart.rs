//! The terminal bar chart of a forecast: one pair of bars per group (amount, weighted amount), drawn with
//! block characters and scaled to the largest amount. Lengths are computed in exact decimals and rounded
//! to whole cells (no float).

use crm_core::rust_decimal::prelude::ToPrimitive;
use crm_core::rust_decimal::{Decimal, RoundingStrategy};

/// One group of the chart: its label, amount and weighted (forecast) amount.
pub(crate) struct Bar {
    /// The group (stage, month, owner ...).
    pub label: String,
    /// Sum of amounts.
    pub amount: Decimal,
    /// Sum of weighted amounts.
    pub weighted: Decimal,
}

/// `value` as a share of `max`, in whole units of `size` (0 for a non-positive value or max).
pub(crate) fn scaled(value: Decimal, max: Decimal, size: u32) -> u32 {
    if value <= Decimal::ZERO || max <= Decimal::ZERO {
        return 0;
    }
    let share = value.min(max).checked_div(max).unwrap_or(Decimal::ONE);
    let n = share.checked_mul(Decimal::from(size)).unwrap_or(Decimal::from(size));
    let n = n.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
    n.to_u32().unwrap_or(size).min(size)
}

/// The largest amount or weighted amount of `bars`.
pub(crate) fn largest(bars: &[Bar]) -> Decimal {
    bars.iter().flat_map(|b| [b.amount, b.weighted]).max().unwrap_or(Decimal::ZERO)
}

/// The chart as text, `width` cells for the largest bar.
pub(crate) fn render(bars: &[Bar], width: u32) -> String {
    let max = largest(bars);
    let label_width = bars.iter().map(|b| b.label.chars().count()).max().unwrap_or(0).clamp(5, 30);
    let mut out = String::new();
    out.push_str(&format!("{:label_width$}  █ amount   ▒ weighted\n", ""));
    for b in bars {
        let label: String = if b.label.is_empty() { "(none)".into() } else { b.label.chars().take(label_width).collect() };
        let a = scaled(b.amount, max, width) as usize;
        let w = scaled(b.weighted, max, width) as usize;
        out.push_str(&format!("{label:label_width$}  {} {}\n", "█".repeat(a), b.amount));
        out.push_str(&format!("{:label_width$}  {} {}\n", "", "▒".repeat(w), b.weighted));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_amount() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(scaled(d("50"), d("100"), 40), 20);
        assert_eq!(scaled(d("100"), d("100"), 40), 40);
        assert_eq!(scaled(d("0"), d("100"), 40), 0);
        assert_eq!(scaled(d("-5"), d("100"), 40), 0);
        assert_eq!(scaled(d("5"), d("0"), 40), 0);
        assert_eq!(scaled(d("79228162514264337593543950335"), d("79228162514264337593543950335"), 40), 40);
        let text = render(&[Bar { label: "Won".into(), amount: d("10"), weighted: d("5") }], 10);
        assert!(text.contains(&format!("{} 10", "█".repeat(10))));
        assert!(text.contains(&format!("{} 5", "▒".repeat(5))));
    }
}
