//! What currencies cost on the save path: the generated opportunities CSV (10k rows) imported into a SQLite
//! file and the memory store with every rule on, once with every deal in the base currency (the store knows
//! only USD) and once with mixed currencies (the same file with a Currency column cycling USD, EUR, JPY and
//! GBP by code, name and symbol, each with two dated rates), so each save resolves a currency and converts
//! its money fields at the rate of its close date.
//!
//! Run: `cargo bench --bench currency`.

#[path = "common/mod.rs"]
mod common;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use crm::currency::NewCurrency;
use rust_decimal::Decimal;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

const ROWS: u64 = 10_000;

/// The generated CSV with a Currency column added (written once next to it).
fn mixed_csv(plain: &Path) -> PathBuf {
    let path = plain.with_file_name(format!("opportunities_{ROWS}_mixed.csv"));
    if path.exists() {
        return path;
    }
    let mut r = csv::Reader::from_path(plain).expect("read CSV");
    let mut w = csv::Writer::from_path(&path).expect("write CSV");
    let mut header = r.headers().expect("header").clone();
    header.push_field("Currency");
    w.write_record(&header).expect("write header");
    let cycle = ["USD", "Euro", "JPY", "£"];
    for (i, row) in r.records().enumerate() {
        let mut row = row.expect("row");
        row.push_field(cycle[i % cycle.len()]);
        w.write_record(&row).expect("write row");
    }
    w.flush().expect("flush");
    path
}

fn open(store: &str, dir: &Path, mixed: bool) -> crm::Crm {
    let path = if store == "memory" { ":memory:".to_string() } else { dir.join("c.db").display().to_string() };
    let mut crm = common::open_admin(&path).expect("open");
    if mixed {
        let d = |s: &str| Decimal::from_str(s).expect("decimal");
        for (code, before, after) in [("EUR", "0.92", "0.95"), ("JPY", "150", "148.5"), ("GBP", "0.79", "0.81")] {
            crm.add_currency(NewCurrency::new(code, d(before))).expect("add currency");
            crm.set_currency_rate(code, d(after), chrono_day(2027, 7, 1)).expect("rate");
        }
    }
    crm
}

fn chrono_day(y: i32, m: u32, d: u32) -> Option<crm::chrono::NaiveDate> {
    crm::chrono::NaiveDate::from_ymd_opt(y, m, d)
}

fn currency_on_the_save_path(c: &mut Criterion) {
    let plain = common::csv_file(ROWS).expect("generate CSV");
    let mixed = mixed_csv(&plain);
    let mut g = c.benchmark_group("import_currency_10k");
    g.sample_size(10).throughput(Throughput::Elements(ROWS)).measurement_time(Duration::from_secs(20));
    for store in ["sqlite", "memory"] {
        for (name, csv, is_mixed) in [("one_currency", &plain, false), ("mixed_currencies", &mixed, true)] {
            g.bench_function(format!("{store}/{name}"), |b| {
                b.iter_batched(
                    || {
                        let dir = tempfile::tempdir().expect("temp dir");
                        (open(store, dir.path(), is_mixed), dir)
                    },
                    |(mut crm, dir)| {
                        assert_eq!(common::import_csv(&mut crm, csv).expect("import"), ROWS);
                        (crm, dir)
                    },
                    BatchSize::PerIteration,
                )
            });
        }
    }
    g.finish();
}

criterion_group!(benches, currency_on_the_save_path);
criterion_main!(benches);
