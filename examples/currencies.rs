//! Deals in their own currencies, and a pipeline that adds up.
//!
//! Run with `cargo run --example currencies`. It opens an in-memory store (base currency USD), adds the euro
//! and the yen with rates against the dollar (the euro's rate changes on 2027-01-01), creates deals in three
//! currencies, and prints the pipeline in dollars and in euros, each deal converted at the rate valid on its
//! close date, with the per-currency subtotals. Then it edits a rate and shows the dollar total follow.

use crm::analytics::ReportBy;
use crm::currency::NewCurrency;
use crm::rust_decimal::Decimal;
use crm::{Crm, Fields, NewUser, PipelineBy};
use std::str::FromStr;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or_default()
}

fn day(y: i32, m: u32, dd: u32) -> crm::chrono::NaiveDate {
    crm::chrono::NaiveDate::from_ymd_opt(y, m, dd).unwrap_or_default()
}

fn main() -> Result<(), crm::Error> {
    let mut crm = Crm::open(":memory:")?;
    crm.add_user(NewUser::new("admin").full_name("Ada Admin"))?;
    crm.set_actor("admin")?;
    println!("base currency: {}", crm.base_currency()?.name);
    crm.add_currency(NewCurrency::new("EUR", d("0.92")))?; // 1 USD = 0.92 EUR
    crm.set_currency_rate("EUR", d("0.95"), Some(day(2027, 1, 1)))?;
    crm.add_currency(NewCurrency::new("JPY", d("150")))?;

    for (name, amount, currency, close) in [
        ("Hooli renewal", "1000", "USD", "2026-12-31"),
        ("Globex pilot", "1000", "Euro", "2026-12-31"), // vtiger's name for the euro
        ("Initech rollout", "1000", "€", "2027-01-01"), // or its symbol
        ("Umbrella licence", "100000", "JPY", "2027-03-31"),
    ] {
        let r = crm.create(
            "Potentials",
            Fields::new()
                .with("potentialname", name)
                .with("amount", amount)
                .with("currency", currency)
                .with("sales_stage", "Prospecting")
                .with("closingdate", close),
        )?;
        println!("{name:18} {amount:>8} {}  = {} USD", r.get("currency"), r.get("amount_base"));
    }
    for currency in ["USD", "EUR"] {
        for row in crm.pipeline_in(PipelineBy::Total, None, Some(currency), true)? {
            println!("pipeline in {currency}: {} deals, {} (weighted {})", row.count, row.amount, row.forecast_amount);
            for s in row.subtotals {
                println!("    of which {}: {} deals, {}", s.currency, s.count, s.amount);
            }
        }
    }
    // The analytics reports take a currency too; by currency, each row stays in its own.
    for row in crm.forecast_by_in(&[ReportBy::Quarter], None, None, Some("EUR"))? {
        println!("forecast {}: {} EUR", row.text("quarter").unwrap_or_default(), row.decimal("amount").unwrap_or_default());
    }
    for row in crm.forecast_by(&[ReportBy::Currency], None, None)? {
        println!("in {}: {}", row.text("currency").unwrap_or_default(), row.decimal("amount").unwrap_or_default());
    }
    crm.set_currency_rate("EUR", d("0.90"), Some(day(2027, 1, 1)))?;
    let usd = crm.pipeline(PipelineBy::Total, None)?;
    println!("after the euro moved to 0.90 from 2027-01-01: {} USD", usd.first().map(|r| r.amount).unwrap_or_default());
    println!("100 EUR on 2027-03-31 = {} USD", crm.convert(d("100"), "EUR", "USD", day(2027, 3, 31))?);
    Ok(())
}
