//! Arrow out against the other ways of reading every record: 100k generated opportunities of a SQLite file
//! read as Arrow record batches (`Crm::arrow_records`, 1024 rows a batch, every column typed), as wire
//! records one at a time (`Crm::find_each` + `wire::Layouts`, what the bindings' `find` does), and written
//! as CSV (`export_csv`).
//!
//! The store is the cached file of `benches/read.rs` (`target/bench-data/`, built once). Run:
//! `cargo bench -p crm --features arrow --bench arrow` (`-p crm`: only the facade, not every workspace member).

#[path = "common/mod.rs"]
mod common;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use crm::arrow::RecordsSpec;
use crm::{ExportSelection, Query};
use std::hint::black_box;
use std::time::Duration;

const ROWS: u64 = 100_000;

fn bench(c: &mut Criterion) {
    let db = common::cached_db(ROWS).expect("cached store");
    let crm = common::open_admin(db.to_str().expect("UTF-8 path")).expect("open");
    let mut g = c.benchmark_group("read_all_100k");
    g.sample_size(10).throughput(Throughput::Elements(ROWS)).measurement_time(Duration::from_secs(20));
    g.bench_function("arrow_batches", |b| {
        b.iter(|| {
            let reader = crm.arrow_records(RecordsSpec::new(Query::new("Potentials"))).expect("reader");
            let rows: usize = reader.map(|batch| batch.expect("batch").num_rows()).sum();
            assert_eq!(rows as u64, ROWS);
            rows
        })
    });
    g.bench_function("wire_records", |b| {
        b.iter(|| {
            let mut layouts = crm::wire::Layouts::default();
            let mut n = 0_u64;
            crm.find_each(Query::new("Potentials"), |r| {
                black_box(layouts.record(&crm, &r)?);
                n += 1;
                Ok(true)
            })
            .expect("read");
            assert_eq!(n, ROWS);
            n
        })
    });
    g.bench_function("export_csv", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(32 << 20);
            let n = crm
                .export_csv(&mut out, "Potentials", &ExportSelection::All(Query::new("Potentials")), &crm::io::ExportOptions::default())
                .expect("export");
            assert_eq!(n, ROWS);
            out.len()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
