//! Multi-currency on every store: dated rates picked by the close date at period boundaries, rounding per
//! currency, pipeline totals in two reporting currencies checked against a hand computation, rate edits
//! refreshing the base copies, filters and sorts across currencies, import of codes, names and symbols,
//! and the migration of a store made before records carried a currency.

mod support;

use chrono::NaiveDate;
use crm_core::currency::NewCurrency;
use crm_core::io::ImportOptions;
use crm_core::{Condition, Crm, FieldType, Fields, Op, PipelineBy, Query, Record, Value};
use rust_decimal::Decimal;
use std::str::FromStr;
use support::Backend;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}
fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// USD base; EUR 0.92 until 2026-12-31 then 0.95; JPY 150 (0 places).
fn rates(crm: &mut Crm) {
    crm.add_currency(NewCurrency { name: Some("Euro".into()), symbol: Some("€".into()), ..NewCurrency::new("EUR", d("0.92")) }).unwrap();
    crm.set_currency_rate("EUR", d("0.95"), Some(day("2027-01-01"))).unwrap();
    crm.add_currency(NewCurrency::new("JPY", d("150"))).unwrap();
}

fn deal(crm: &mut Crm, name: &str, amount: &str, currency: &str, close: &str) -> Record {
    crm.create(
        "Potentials",
        Fields::new()
            .with("potentialname", name)
            .with("amount", amount)
            .with("currency", currency)
            .with("sales_stage", "Prospecting")
            .with("closingdate", close),
    )
    .unwrap()
}

/// A: 1000 USD (2026-12-31), B: 1000 EUR (2026-12-31, rate 0.92), C: 1000 EUR (2027-01-01, rate 0.95),
/// D: 100000 JPY (2027-03-31). Prospecting weighs 10 %.
fn four_deals(crm: &mut Crm) -> [Record; 4] {
    rates(crm);
    [
        deal(crm, "A", "1000", "USD", "2026-12-31"),
        deal(crm, "B", "1000", "Euro", "2026-12-31"),
        deal(crm, "C", "1000", "€", "2027-01-01"),
        deal(crm, "D", "100000", "jpy", "2027-03-31"),
    ]
}

fn base_copy(r: &Record) -> Decimal {
    r.get("amount_base").as_decimal().unwrap_or_else(|| panic!("{} has no base copy", r.label))
}

fn dated_rates_at_the_period_boundary(b: Backend) {
    let mut t = b.crm();
    let [a, bb, c, dd] = four_deals(&mut t);
    assert_eq!(bb.get("currency"), &Value::Text("EUR".into()), "the name resolves to the code");
    assert_eq!(c.get("currency"), &Value::Text("EUR".into()), "the symbol resolves to the code");
    assert_eq!(base_copy(&a), d("1000"));
    assert_eq!(base_copy(&bb), d("1086.96"), "1000 / 0.92 on 2026-12-31");
    assert_eq!(base_copy(&c), d("1052.63"), "1000 / 0.95 from 2027-01-01");
    assert_eq!(base_copy(&dd), d("666.67"), "100000 / 150");
    // Stored and read back the same.
    assert_eq!(base_copy(&t.get(c.id).unwrap()), d("1052.63"));
    // Rounding per currency: JPY has no decimals, BHD three.
    assert_eq!(t.convert(d("100"), "EUR", "JPY", day("2027-03-31")).unwrap().to_string(), "15789");
    t.add_currency(NewCurrency::new("BHD", d("0.376"))).unwrap();
    assert_eq!(t.convert(d("10.01"), "USD", "BHD", day("2027-03-31")).unwrap().to_string(), "3.764");
    assert_eq!(t.convert(d("100"), "EUR", "USD", day("2026-12-31")).unwrap().to_string(), "108.70");
    assert_eq!(t.convert(d("100"), "EUR", "USD", day("2027-01-01")).unwrap().to_string(), "105.26");
}

fn totals_in_two_reporting_currencies(b: Backend) {
    let mut t = b.crm();
    four_deals(&mut t);
    // In USD: 1000 + 1086.96 + 1052.63 + 666.67; forecast 100 + 108.70 + 105.26 + 66.67.
    let usd = t.pipeline_in(PipelineBy::Total, None, Some("USD"), false).unwrap();
    assert_eq!((usd[0].count, usd[0].amount.to_string()), (4, "3806.26".into()));
    assert_eq!(usd[0].forecast_amount, d("380.63"));
    assert_eq!(usd[0].currency.as_deref(), Some("USD"));
    // The plain pipeline is the same sum in the base currency.
    let plain = t.pipeline(PipelineBy::Total, None).unwrap();
    assert_eq!(plain[0].amount.to_string(), "3806.26");
    // In EUR: 1000 USD × 0.92 = 920.00, the EUR deals as they are, 100000 JPY × 0.95 / 150 = 633.33.
    let eur = t.pipeline_in(PipelineBy::Total, None, Some("EUR"), true).unwrap();
    assert_eq!(eur[0].amount.to_string(), "3553.33");
    assert_eq!(eur[0].forecast_amount, d("355.33"), "92.00 + 100 + 100 + 63.33");
    let subs: Vec<(String, u64, String)> = eur[0].subtotals.iter().map(|s| (s.currency.clone(), s.count, s.amount.to_string())).collect();
    assert_eq!(subs, vec![("EUR".into(), 2, "2000.00".into()), ("JPY".into(), 1, "100000.00".into()), ("USD".into(), 1, "1000.00".into())]);
    // By close month, in USD (pushed down) and in EUR (per record).
    let months = t.pipeline_in(PipelineBy::CloseMonth, None, None, false).unwrap();
    let m: Vec<(String, String)> = months.iter().map(|r| (r.key.clone(), r.amount.to_string())).collect();
    assert_eq!(m, vec![("2026-12".into(), "2086.96".into()), ("2027-01".into(), "1052.63".into()), ("2027-03".into(), "666.67".into())]);
    let months = t.pipeline_in(PipelineBy::CloseMonth, None, Some("EUR"), false).unwrap();
    let m: Vec<(String, String)> = months.iter().map(|r| (r.key.clone(), r.amount.to_string())).collect();
    assert_eq!(m, vec![("2026-12".into(), "1920.00".into()), ("2027-01".into(), "1000.00".into()), ("2027-03".into(), "633.33".into())]);
    // aggregate: base by default, another currency on request, per currency when grouped by it.
    let g = t.aggregate(Query::new("Potentials"), None, &["amount"]).unwrap();
    assert_eq!(g[0].sums[0].to_string(), "3806.26");
    let g = t.aggregate_in(Query::new("Potentials"), None, &["amount"], Some("JPY")).unwrap();
    // 150000 + 1000 × 150 / 0.92 (163043) + 1000 × 150 / 0.95 (157895) + 100000
    assert_eq!(g[0].sums[0], d("570938"));
    let g = t.aggregate(Query::new("Potentials"), Some("currency"), &["amount"]).unwrap();
    let per: Vec<(String, String)> = g.iter().map(|g| (g.key.to_text().unwrap_or_default(), g.sums[0].to_string())).collect();
    assert_eq!(per, vec![("EUR".into(), "2000.00".into()), ("JPY".into(), "100000.00".into()), ("USD".into(), "1000.00".into())]);
}

fn rate_edits_refresh_the_base_copies(b: Backend) {
    let mut t = b.crm();
    let [_, bb, c, _] = four_deals(&mut t);
    let version = c.version;
    t.set_currency_rate("EUR", d("0.90"), Some(day("2027-01-01"))).unwrap();
    let c2 = t.get(c.id).unwrap();
    assert_eq!(base_copy(&c2), d("1111.11"), "1000 / 0.90");
    assert_eq!(c2.version, version, "a derived copy is not an edit");
    assert_eq!(base_copy(&t.get(bb.id).unwrap()), d("1086.96"), "the earlier period keeps its rate");
    let usd = t.pipeline(PipelineBy::Total, None).unwrap();
    assert_eq!(usd[0].amount.to_string(), "3864.74");
    let log = t.currency_log().unwrap();
    let last = log.last().unwrap();
    assert_eq!((last.code.as_str(), last.before, last.after, last.actor.as_str()), ("EUR", Some(d("0.95")), Some(d("0.90")), "admin"));
    assert_eq!(t.currency_rates("EUR").unwrap().len(), 2);
    // Changing the close date moves the deal to the other rate.
    let moved = t.update(bb.id, Fields::new().with("closingdate", "2027-02-01")).unwrap();
    assert_eq!(base_copy(&moved), d("1111.11"));
    // A base copy given back with a record is ignored: it is derived on every save.
    let again = t.update(bb.id, Fields::new().with("amount_base", "1").with("nextstep", "call")).unwrap();
    assert_eq!(base_copy(&again), d("1111.11"));
}

fn filters_and_sorts_compare_base_values(b: Backend) {
    let mut t = b.crm();
    four_deals(&mut t);
    let names = |rs: Vec<Record>| rs.into_iter().map(|r| r.label).collect::<Vec<_>>();
    let over = t.find(Query::new("Potentials").filter(Condition::cmp("amount", Op::Gt, "1050")).order_by("amount")).unwrap();
    assert_eq!(names(over), vec!["C", "B"]);
    let sorted = t.find(Query::new("Potentials").order_by("amount")).unwrap();
    assert_eq!(names(sorted), vec!["D", "A", "C", "B"]);
    // A named currency compares the amounts as they are.
    let jpy = Condition::eq("currency", "JPY").and(Condition::cmp("amount", Op::Gt, "50000"));
    assert_eq!(names(t.find(Query::new("Potentials").filter(jpy)).unwrap()), vec!["D"]);
}

fn unknown_currencies_and_preferences(b: Backend) {
    let mut t = b.crm();
    rates(&mut t);
    let err = t
        .create(
            "Potentials",
            Fields::new()
                .with("potentialname", "X")
                .with("amount", "1")
                .with("currency", "XYZ")
                .with("sales_stage", "Prospecting")
                .with("closingdate", "2027-01-01"),
        )
        .unwrap_err();
    assert_eq!(err.field_errors()[0].field, "currency");
    assert_eq!(err.field_errors()[0].code.as_str(), "unknown_currency");
    // Without a currency: the base, or the acting user's preferred one.
    let plain = t
        .create("Potentials", Fields::new().with("potentialname", "P").with("sales_stage", "Prospecting").with("closingdate", "2027-01-01"))
        .unwrap();
    assert_eq!(plain.get("currency"), &Value::Text("USD".into()));
    t.set_user_currency("admin", Some("Euro")).unwrap();
    assert_eq!(t.user_currency("admin").unwrap().as_deref(), Some("EUR"));
    let pref = t
        .create("Potentials", Fields::new().with("potentialname", "Q").with("sales_stage", "Prospecting").with("closingdate", "2027-01-01"))
        .unwrap();
    assert_eq!(pref.get("currency"), &Value::Text("EUR".into()));
    // The base currency is fixed once money values exist.
    deal(&mut t, "M", "5", "USD", "2027-01-01");
    assert_eq!(t.set_base_currency("EUR").unwrap_err().code(), "conflict");
    let mut fresh = b.crm();
    assert_eq!(fresh.base_currency().unwrap().code, "USD");
    assert_eq!(fresh.set_base_currency("eur").unwrap().code, "EUR");
    assert_eq!(fresh.base_currency().unwrap().name, "Euro");
}

fn import_maps_codes_names_and_symbols(b: Backend) {
    let mut t = b.crm();
    rates(&mut t);
    // GBP only has a rate from 2027-01-01.
    t.add_currency(NewCurrency::new("GBP", d("0.8"))).unwrap();
    t.set_currency_rate("GBP", d("0.79"), Some(day("2027-01-01"))).unwrap();
    t.remove_currency_rate("GBP", None).unwrap();
    let csv = "Opportunity Name,Amount,Currency,Sales Stage,Expected Close Date\n\
               code,100,EUR,Prospecting,2027-03-31\n\
               name,100,Euro,Prospecting,2027-03-31\n\
               symbol,100,€,Prospecting,2027-03-31\n\
               vtiger,100,\"USA, Dollars\",Prospecting,2027-03-31\n\
               unknown,100,XYZ,Prospecting,2027-03-31\n\
               norate,100,GBP,Prospecting,2026-06-30\n\
               gbp,100,£,Prospecting,2027-06-30\n";
    let r = t.import_csv(csv.as_bytes(), "Potentials", &ImportOptions::default(), None).unwrap();
    assert_eq!((r.created, r.failed), (5, 2), "{r:?}");
    let fields: Vec<(Option<String>, String)> =
        r.row_reports.iter().flat_map(|f| f.problems.iter().map(|p| (p.field.clone(), p.code.clone()))).collect();
    assert_eq!(fields, vec![(Some("currency".into()), "unknown_currency".into()), (Some("currency".into()), "missing_rate".into())]);
    let eur = t.find(Query::new("Potentials").filter(Condition::eq("currency", "EUR"))).unwrap();
    assert_eq!(eur.len(), 3);
    assert!(eur.iter().all(|r| base_copy(r) == d("105.26")), "100 / 0.95");
    let gbp = t.find(Query::new("Potentials").filter(Condition::eq("currency", "GBP"))).unwrap();
    assert_eq!(base_copy(&gbp[0]), d("126.58"), "100 / 0.79");
}

fn export_writes_codes_and_converted_columns(b: Backend) {
    let mut t = b.crm();
    four_deals(&mut t);
    let sel = crm_core::ExportSelection::All(Query::new("Potentials").order_by("potentialname"));
    let cols = vec!["potentialname".to_string(), "amount".into(), "currency".into()];
    let mut out = Vec::new();
    let o = crm_core::io::ExportOptions { columns: cols.clone(), ..Default::default() };
    t.export_csv(&mut out, "Potentials", &sel, &o).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().nth(2), Some("B,1000.00,EUR"), "{text}");
    let mut out = Vec::new();
    let o = crm_core::io::ExportOptions { columns: cols, converted_to: Some("usd".into()), ..Default::default() };
    t.export_csv(&mut out, "Potentials", &sel, &o).unwrap();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "Opportunity Name,Amount,Amount (USD),Currency");
    assert_eq!(&lines[1..], ["A,1000.00,1000.00,USD", "B,1000.00,1086.96,EUR", "C,1000.00,1052.63,EUR", "D,100000.00,666.67,JPY"]);
    // The default columns leave the base copies out.
    let mut out = Vec::new();
    t.export_csv(&mut out, "Potentials", &sel, &Default::default()).unwrap();
    let header = String::from_utf8(out).unwrap().lines().next().unwrap_or_default().to_string();
    assert!(header.contains("Currency") && !header.contains("base currency"), "{header}");
}

fn custom_money_fields_and_expressions(b: Backend) {
    let mut t = b.crm();
    rates(&mut t);
    let acme = t.create("Accounts", Fields::new().with("accountname", "Acme").with("annual_revenue", "5000")).unwrap();
    assert!(acme.get("currency").is_empty(), "Accounts carry no currency until a money field is added");
    let f = t.add_field("Accounts", crm_core::NewField::new("Contract Value", FieldType::Currency)).unwrap();
    let copy = format!("{}_base", f.name);
    let m = t.module("Accounts").unwrap().clone();
    assert!(m.field("currency").is_some() && m.field(&copy).is_some() && m.field("annual_revenue_base").is_some());
    let old = t.get(acme.id).unwrap();
    assert_eq!((old.get("currency"), old.get("annual_revenue_base").as_decimal()), (&Value::Text("USD".into()), Some(d("5000"))));
    let r = t.create("Accounts", Fields::new().with("accountname", "Globex").with(f.name.as_str(), "920").with("currency", "EUR")).unwrap();
    assert_eq!(r.get(&copy).as_decimal(), Some(d("1000")), "created today (2026), rate 0.92");
    // Expressions see the currency and the base values.
    let deal = deal(&mut t, "E", "1000", "EUR", "2027-01-01");
    assert_eq!(t.evaluate("Potentials", "amount_base * 2", deal.id).unwrap().as_decimal(), Some(d("2105.26")));
    assert_eq!(t.evaluate("Potentials", "currency", deal.id).unwrap(), Value::Text("EUR".into()));
}

fn older_stores_gain_currencies(b: Backend) {
    let Some(mut db) = b.database() else { return };
    // A store written before records carried a currency: the built-in schema without the new fields.
    let mut old = crm_core::Schema::builtin();
    for m in old.modules.values_mut() {
        m.fields.retain(|f| f.name != "currency" && !f.name.ends_with("_base"));
    }
    let mut store = db.store();
    store.save_schema(&old).unwrap();
    let mut r = Record {
        id: crm_core::RecordId(1_000),
        module: "Potentials".into(),
        label: "Old".into(),
        deleted: false,
        version: 1,
        values: Default::default(),
    };
    r.values.insert("potentialname".into(), Value::Text("Old".into()));
    r.values.insert("amount".into(), Value::Decimal(d("1234.50")));
    r.values.insert("sales_stage".into(), Value::Text("Prospecting".into()));
    r.values.insert("closingdate".into(), Value::Date(day("2027-01-01")));
    let mut cs = crm_core::storage::ChangeSet::new();
    cs.push(crm_core::storage::RecordChange::Insert(r));
    store.commit(&cs).unwrap();
    let crm = Crm::with_store(store).unwrap();
    let got = crm.get(crm_core::RecordId(1_000)).unwrap();
    assert_eq!(got.get("currency"), &Value::Text("USD".into()));
    assert_eq!(base_copy(&got), d("1234.50"));
    assert_eq!(got.version, 1);
    assert_eq!(crm.pipeline(PipelineBy::Total, None).unwrap()[0].amount.to_string(), "1234.50");
    drop(crm);
    if db.is_shared() {
        // Opening again finds nothing left to do.
        let again = Crm::with_store(db.store()).unwrap();
        assert!(again.module("Potentials").unwrap().field("amount_base").is_some());
    }
}

/// The analytics reports sum in the base currency too: each deal's base-currency copy, never its amount in
/// its own currency (the same 3806.26 USD as the pipeline).
fn analytics_sum_in_the_base_currency(b: Backend) {
    let mut t = b.crm();
    four_deals(&mut t);
    let rows = t.forecast_by(&[crm_core::analytics::ReportBy::ForecastCategory], None, None).unwrap();
    let total: Decimal = rows
        .iter()
        .filter_map(|r| match r.get("amount") {
            Some(crm_core::analytics::Cell::Decimal(d)) => Some(*d),
            _ => None,
        })
        .sum();
    assert_eq!(total.round_dp(2).to_string(), "3806.26", "{rows:?}");
}

/// Sums of a report column by row key (`key` names the key column).
fn column(rows: &[crm_core::analytics::ReportRow], key: &str, col: &str) -> Vec<(String, String)> {
    rows.iter()
        .map(|r| (r.text(key).unwrap_or_default().to_string(), r.decimal(col).map(|d| d.normalize().to_string()).unwrap_or_default()))
        .collect()
}

/// Every analytics report takes a requested currency: each deal converted at the rate of its close date and
/// rounded to the currency's places, then summed (hand computations in the comments); grouped by currency,
/// each row stays in its own currency; from JSON (C's `crm_analytics`) as from Rust.
fn analytics_in_a_requested_currency(b: Backend) {
    use crm_core::analytics::{LostBy, ReportBy};
    let mut t = b.crm();
    let [a, bb, c, _] = four_deals(&mut t);
    // In EUR: A 1000 USD × 0.92 = 920.00, B and C 1000 EUR each, D 100000 JPY × 0.95 / 150 = 633.33.
    let rows = t.forecast_by_in(&[ReportBy::Total], None, None, Some("eur")).unwrap();
    assert_eq!(rows[0].text("currency"), Some("EUR"));
    assert_eq!(rows[0].decimal("amount").unwrap().to_string(), "3553.33");
    assert_eq!(rows[0].decimal("forecast_amount").unwrap(), d("355.33"), "92.00 + 100 + 100 + 63.33");
    // In JPY (0 places): 150000 + 163043 + 157895 + 100000.
    let rows = t.forecast_by_in(&[ReportBy::Total], None, None, Some("JPY")).unwrap();
    assert_eq!(rows[0].decimal("amount").unwrap(), d("570938"));
    // By close month in EUR, as pipeline_in gives it.
    let rows = t.forecast_by_in(&[ReportBy::Month], None, None, Some("EUR")).unwrap();
    assert_eq!(
        column(&rows, "month", "amount"),
        vec![("2026-12".into(), "1920".into()), ("2027-01".into(), "1000".into()), ("2027-03".into(), "633.33".into())]
    );
    // The base currency by default, without a currency column.
    let rows = t.forecast_by(&[ReportBy::Total], None, None).unwrap();
    assert_eq!((rows[0].text("currency"), rows[0].decimal("amount").unwrap().to_string()), (None, "3806.26".into()));
    // Per-currency subtotals: grouped by currency, each in its own.
    let rows = t.forecast_by_in(&[ReportBy::Currency], None, None, Some("EUR")).unwrap();
    assert_eq!(
        column(&rows, "currency", "amount"),
        vec![("EUR".into(), "2000".into()), ("JPY".into(), "100000".into()), ("USD".into(), "1000".into())]
    );
    // Close A (USD) won and B (EUR) lost in 2026, C (EUR) won in 2027.
    t.update(a.id, Fields::new().with("sales_stage", "Closed Won")).unwrap();
    t.update(bb.id, Fields::new().with("sales_stage", "Closed Lost").with("lost_reason", "Price")).unwrap();
    t.update(c.id, Fields::new().with("sales_stage", "Closed Won")).unwrap();
    let w = t.win_rate_in("2026", ReportBy::Total, Some("EUR")).unwrap();
    assert_eq!((w[0].decimal("won_amount").unwrap(), w[0].decimal("lost_amount").unwrap()), (d("920"), d("1000")));
    assert_eq!(w[0].decimal("win_rate_amount").unwrap().to_string(), "0.4792", "920 / 1920");
    assert_eq!(w[0].text("currency"), Some("EUR"));
    let w = t.win_rate_in("2026", ReportBy::Total, Some("JPY")).unwrap();
    assert_eq!((w[0].decimal("won_amount").unwrap(), w[0].decimal("lost_amount").unwrap()), (d("150000"), d("163043")));
    let w = t.win_rate("2026", ReportBy::Total).unwrap();
    assert_eq!((w[0].decimal("won_amount").unwrap(), w[0].decimal("lost_amount").unwrap()), (d("1000"), d("1086.96")));
    let lost = t.lost_reasons_in("2026", LostBy::Reason, Some("JPY")).unwrap();
    assert_eq!(column(&lost, "lost_reason", "amount"), vec![("Price".into(), "163043".into())]);
    let lost = t.lost_reasons_in("2026", LostBy::LastOpenStage, Some("EUR")).unwrap();
    assert_eq!(column(&lost, "last_open_stage", "amount"), vec![("Prospecting".into(), "1000".into())]);
    let v = t.sales_velocity_in("2026", Some("EUR")).unwrap();
    assert_eq!(v[0].decimal("average_won_amount").unwrap().to_string(), "920.00");
    // A quota of 2000 USD is 1840.00 EUR at the rate of the period's last day (0.92 on 2026-12-31).
    t.set_quota("admin", "2026", d("2000")).unwrap();
    let at = t.attainment_in("2026", ReportBy::Owner, Some("EUR")).unwrap();
    assert_eq!((at[0].decimal("quota").unwrap(), at[0].decimal("won_amount").unwrap()), (d("1840"), d("920")));
    assert_eq!(at[0].decimal("attainment").unwrap().to_string(), "0.5000");
    // The same through the JSON options C passes.
    let rows = t.run_analytics("forecast", r#"{"by": "total", "currency": "EUR"}"#).unwrap();
    assert_eq!(rows[0].decimal("amount").unwrap().to_string(), "3553.33");
    let rows = t.run_analytics("win_rate", r#"{"period": "2026", "currency": "JPY"}"#).unwrap();
    assert_eq!(rows[0].decimal("lost_amount").unwrap(), d("163043"));
    assert!(t.forecast_by_in(&[ReportBy::Total], None, None, Some("XYZ")).is_err(), "an unknown currency");
}

/// The pipeline as of a past day converts each deal from its currency of that day (from the change log:
/// the stage history keeps amounts, not currencies) at the rate of that day's close date.
fn pipeline_as_of_converts_each_deal(b: Backend) {
    use crm_core::clock::FixedClock;
    use crm_core::view::Calendar;
    use std::sync::Arc;
    let mut t = b.crm();
    let clock = Arc::new(FixedClock::at("2027-01-10 09:00:00"));
    t.set_clock(clock.clone());
    let [a, _, _, dd] = four_deals(&mut t);
    clock.set(NaiveDate::from_ymd_opt(2027, 2, 10).unwrap().and_hms_opt(9, 0, 0).unwrap().and_utc());
    t.update(a.id, Fields::new().with("currency", "EUR")).unwrap(); // A: 1000 USD then, 1000 EUR now
    t.update(dd.id, Fields::new().with("amount", "200000")).unwrap(); // D: 100000 JPY then
    let jan = day("2027-01-31");
    // In USD: 1000 + 1086.96 + 1052.63 + 666.67 (the unconverted history would give 103000).
    let usd = t.pipeline_as_of(jan, PipelineBy::Total, None).unwrap();
    assert_eq!((usd[0].count, usd[0].amount.to_string()), (4, "3806.26".into()));
    assert_eq!(usd[0].forecast_amount, d("380.63"));
    let eur = t.pipeline_as_of_in(jan, PipelineBy::Total, None, Some("EUR"), true, Calendar::Gregorian).unwrap();
    assert_eq!((eur[0].amount.to_string(), eur[0].currency.as_deref()), ("3553.33".into(), Some("EUR")));
    let subs: Vec<(String, u64, Decimal)> = eur[0].subtotals.iter().map(|s| (s.currency.clone(), s.count, s.amount)).collect();
    assert_eq!(subs, vec![("EUR".into(), 2, d("2000")), ("JPY".into(), 1, d("100000")), ("USD".into(), 1, d("1000"))]);
    // By stage and in JPY: 150000 + 163043 + 157895 + 100000.
    let jpy = t.pipeline_as_of_in(jan, PipelineBy::Stage, None, Some("JPY"), false, Calendar::Gregorian).unwrap();
    assert_eq!((jpy[0].key.as_str(), jpy[0].amount), ("Prospecting", d("570938")));
    // As of today it is today's pipeline: A 1086.96, B 1086.96, C 1052.63, D 200000 / 150 = 1333.33.
    let today = t.today();
    for cur in [None, Some("EUR"), Some("JPY")] {
        let as_of = t.pipeline_as_of_in(today, PipelineBy::Total, None, cur, false, Calendar::Gregorian).unwrap();
        let now = t.pipeline_in(PipelineBy::Total, None, cur, false).unwrap();
        assert_eq!(as_of[0].amount, now[0].amount, "{cur:?}");
    }
    assert_eq!(t.pipeline_as_of(today, PipelineBy::Total, None).unwrap()[0].amount.to_string(), "4559.88");
    let rows = t.run_analytics("pipeline_as_of", r#"{"date": "2027-01-31", "by": "total", "currency": "EUR", "subtotals": true}"#).unwrap();
    assert_eq!(rows.len(), 4, "the row and its three currencies: {rows:?}");
    assert_eq!(rows[0].decimal("amount").unwrap().to_string(), "3553.33");
}

/// Deleting a custom money field deletes its base-currency copy with it.
fn deleting_a_money_field_drops_its_base_copy(b: Backend) {
    let mut t = b.crm();
    rates(&mut t);
    let f = t.add_field("Potentials", crm_core::NewField::new("Budget", FieldType::Currency)).unwrap();
    let copy = format!("{}_base", f.name);
    let r = deal(&mut t, "A", "10", "EUR", "2027-03-31");
    let r = t.update(r.id, Fields::new().with(&f.name, "92")).unwrap();
    assert_eq!(r.get(&copy).as_decimal(), Some(d("96.84")), "92 / 0.95");
    t.delete_field("Potentials", &f.name).unwrap();
    assert!(t.module("Potentials").unwrap().field(&copy).is_none(), "the copy is gone from the schema");
    assert_eq!(t.get(r.id).unwrap().get(&copy), &Value::Null, "and from the record");
    // The name is free again: a new field of that label gets a copy of its own.
    t.add_field("Potentials", crm_core::NewField::new("Budget", FieldType::Currency)).unwrap();
    let again = deal(&mut t, "B", "10", "EUR", "2027-03-31");
    assert_eq!(again.get("amount_base").as_decimal(), Some(d("10.53")));
}

/// Inventory documents carry their currency too and convert at their document date (the invoice date),
/// or at a field configured instead; a deactivated currency is refused for new records and the change
/// is logged.
fn inventory_documents_convert_at_their_document_date(b: Backend) {
    let mut t = b.crm();
    rates(&mut t);
    let acme = t.create("Accounts", Fields::new().with("accountname", "Acme")).unwrap();
    // The totals are computed from line items; a money field of the document's own carries the amount.
    let fee = t.add_field("Invoice", crm_core::NewField::new("Fee", FieldType::Currency)).unwrap().name;
    let invoice = |t: &mut Crm, date: &str, due: &str| {
        t.create(
            "Invoice",
            Fields::new()
                .with("subject", "I")
                .with("invoicestatus", "Created")
                .with("account_id", acme.id)
                .with(fee.as_str(), "1000")
                .with("currency", "EUR")
                .with("invoicedate", date)
                .with("duedate", due),
        )
        .unwrap()
    };
    let copy = |r: &Record| r.get(&format!("{fee}_base")).as_decimal().unwrap();
    assert_eq!(copy(&invoice(&mut t, "2026-12-31", "2027-02-01")), d("1086.96"), "1000 / 0.92 on the invoice date");
    assert_eq!(copy(&invoice(&mut t, "2027-01-01", "2027-02-01")), d("1052.63"), "1000 / 0.95");
    t.set_currency_date_field("Invoice", "duedate").unwrap();
    assert_eq!(copy(&invoice(&mut t, "2026-12-31", "2027-02-01")), d("1052.63"), "the due date picks the rate now");
    t.set_currency_active("JPY", false).unwrap();
    let err = t
        .create(
            "Potentials",
            Fields::new()
                .with("potentialname", "J")
                .with("amount", "1")
                .with("currency", "JPY")
                .with("sales_stage", "Prospecting")
                .with("closingdate", "2027-01-01"),
        )
        .unwrap_err();
    assert_eq!(err.field_errors()[0].code.as_str(), "unknown_currency");
    assert_eq!(t.currency_log().unwrap().last().map(|l| l.what.clone()), Some("deactivated".into()));
}

on_every_backend!(
    analytics_sum_in_the_base_currency,
    dated_rates_at_the_period_boundary,
    totals_in_two_reporting_currencies,
    rate_edits_refresh_the_base_copies,
    filters_and_sorts_compare_base_values,
    unknown_currencies_and_preferences,
    import_maps_codes_names_and_symbols,
    older_stores_gain_currencies,
    export_writes_codes_and_converted_columns,
    custom_money_fields_and_expressions,
    analytics_in_a_requested_currency,
    pipeline_as_of_converts_each_deal,
    deleting_a_money_field_drops_its_base_copy,
    inventory_documents_convert_at_their_document_date,
);
