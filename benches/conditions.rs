//! Condition evaluation over many records: a vtiger JSON condition compiled once ([`crm::Matcher`]) and
//! evaluated against 10k imported opportunities (target: 10 million evaluations per second per core), the
//! same condition through the tracing evaluator a save uses, and a workflow expression. The compiled
//! condition runs on records as `crm.find` hands them out (values in the module's slot layout, read by
//! slot), on the same records with their values by name only (a [`crm::Values`] without layout, as the
//! `BTreeMap` records were), on slot rows ([`crm::Row`], one `Vec` per record) and on the same rows stored
//! column by column ([`crm::Rows`]).
//!
//! Run: `cargo bench --bench conditions`

#[path = "common/mod.rs"]
mod common;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use crm::workflow::condition::Cond;
use crm::{Query, Record};
use std::hint::black_box;

/// (amount > 100000 and stage is one of two) or (name contains "renewal" and close date before 2027-07-01).
const CONDITION: &str = r#"[
 {"fieldname":"amount","operation":"greater than","value":"100000","valuetype":"rawtext","joincondition":"and","groupid":"0","groupjoin":"and"},
 {"fieldname":"sales_stage","operation":"is","value":"Negotiation or Review","valuetype":"rawtext","joincondition":"or","groupid":"0","groupjoin":"and"},
 {"fieldname":"sales_stage","operation":"is","value":"Closed Won","valuetype":"rawtext","joincondition":"","groupid":"0","groupjoin":"and"},
 {"fieldname":"description","operation":"contains","value":"renewal","valuetype":"rawtext","joincondition":"and","groupid":"1","groupjoin":"or"},
 {"fieldname":"closingdate","operation":"before","value":"2027-07-01","valuetype":"rawtext","joincondition":"","groupid":"1","groupjoin":"or"}
]"#;

fn bench(c: &mut Criterion) {
    let mut crm = common::open_admin(":memory:").expect("open");
    common::import_csv(&mut crm, &common::csv_file(10_000).expect("csv")).expect("import");
    let records: Vec<Record> = crm.find(Query::new("Potentials")).expect("records");
    let m = crm.matcher("Potentials").expect("matcher");
    let compiled = m.compile_vtiger(CONDITION).expect("condition");
    assert_eq!(compiled.slow_tests(), 0);
    let cond = Cond::from_vtiger(CONDITION, crm.module("Potentials").expect("module")).expect("condition");
    assert!(records.iter().all(|r| r.values.layout().is_some()), "records from the store carry the module's layout");
    let hits = records.iter().filter(|r| m.matches(&compiled, r)).count();
    assert_eq!(hits, records.iter().filter(|r| m.matches_uncompiled(&cond, r)).count());
    // The same records with their values by name only.
    let by_name: Vec<Record> =
        records.iter().map(|r| Record { values: std::collections::BTreeMap::from(r.values.clone()).into(), ..r.clone() }).collect();
    assert_eq!(hits, by_name.iter().filter(|r| m.matches(&compiled, r)).count());
    eprintln!("condition selects {hits} of {} records", records.len());

    // The same records as slot rows (what `RecordStore::scan_rows` hands out).
    let rows: Vec<crm::Row> = records.iter().map(|r| crm::Row::from_record(m.row_layout(), r).expect("row")).collect();
    assert_eq!(hits, rows.iter().filter(|r| m.matches_row(&compiled, r).expect("layout")).count());
    // The same rows stored column by column.
    let mut batch = crm::Rows::new(m.row_layout());
    for r in &rows {
        batch.push(r.clone()).expect("same layout");
    }
    assert_eq!(hits as u64, m.count_in(&compiled, &batch).expect("layout"));

    let mut g = c.benchmark_group("condition");
    g.throughput(Throughput::Elements(records.len() as u64)).sample_size(20);
    g.bench_function("vtiger_json_compiled", |b| b.iter(|| records.iter().filter(|r| m.matches(black_box(&compiled), r)).count()));
    g.bench_function("vtiger_json_compiled_records_by_name", |b| {
        b.iter(|| by_name.iter().filter(|r| m.matches(black_box(&compiled), r)).count())
    });
    g.bench_function("vtiger_json_compiled_rows", |b| {
        b.iter(|| rows.iter().filter(|r| m.matches_row(black_box(&compiled), r).unwrap_or(false)).count())
    });
    g.bench_function("vtiger_json_compiled_rows_by_column", |b| b.iter(|| m.count_in(black_box(&compiled), &batch).unwrap_or(0)));
    g.bench_function("vtiger_json_tracing_evaluator", |b| {
        b.iter(|| records.iter().filter(|r| m.matches_uncompiled(black_box(&cond), r)).count())
    });
    let expr = m.expression("amount * probability / 100").expect("expression");
    g.bench_function("expression_forecast", |b| {
        b.iter(|| records.iter().map(|r| m.eval(black_box(&expr), r).map(|v| v.text().len()).unwrap_or(0)).sum::<usize>())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
