//! Imports: the generated opportunities CSV (10k and 100k rows) into SQLite (file) and the memory store
//! with every rule on (validation, forecast and creation-mail workflows, organizations created from
//! references, change log and stage history); 10k vCards (2.1/3.0/4.0 mix) as contacts.
//!
//! Run: `cargo bench --bench import` (the 100k SQLite import takes minutes: 10 samples of one import each).

#[path = "common/mod.rs"]
mod common;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use std::time::Duration;

fn csv_imports(c: &mut Criterion) {
    for rows in [10_000u64, 100_000] {
        let csv = common::csv_file(rows).expect("generate CSV");
        let mut g = c.benchmark_group(format!("import_csv_{}k", rows / 1000));
        g.sample_size(10).throughput(Throughput::Elements(rows)).measurement_time(Duration::from_secs(if rows > 10_000 { 60 } else { 20 }));
        for store in ["sqlite", "memory"] {
            g.bench_function(store, |b| {
                b.iter_batched(
                    || {
                        let dir = tempfile::tempdir().expect("temp dir");
                        let path = if store == "memory" { ":memory:".to_string() } else { dir.path().join("b.db").display().to_string() };
                        (common::open_admin(&path).expect("open"), dir)
                    },
                    |(mut crm, dir)| {
                        let n = common::import_csv(&mut crm, &csv).expect("import");
                        assert_eq!(n, rows);
                        (crm, dir)
                    },
                    BatchSize::PerIteration,
                )
            });
        }
        g.finish();
    }
}

fn vcard_import(c: &mut Criterion) {
    let cards = common::generate_vcards(10_000);
    let mut g = c.benchmark_group("import_vcard_10k");
    g.sample_size(10).throughput(Throughput::Elements(10_000)).measurement_time(Duration::from_secs(20));
    g.bench_function("sqlite", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().expect("temp dir");
                (common::open_admin(&dir.path().join("v.db").display().to_string()).expect("open"), dir)
            },
            |(mut crm, dir)| {
                let mut options = crm::VcardImportOptions::default();
                options.import.batch_size = 1000;
                let report = crm.import_vcard(cards.as_bytes(), &options, None).expect("import");
                assert_eq!(report.failed, 0);
                (crm, dir)
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, csv_imports, vcard_import);
criterion_main!(benches);
