//! The read side on a large store: forecast report by stage and by close month, a filtered, sorted list
//! page near the end (offset and keyset), full-text search, and CSV export of 100k rows.
//!
//! The store is a SQLite file of `CRM_BENCH_ROWS` (default 1,000,000) generated opportunities imported through
//! crm once and cached under `target/bench-data/` (building the 1M file takes as long as crm's import of 1M
//! rows; later runs reuse it). Run: `cargo bench --bench read`.

#[path = "common/mod.rs"]
mod common;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use crm::{Condition, Cursor, ExportSelection, PipelineBy, Query};
use std::hint::black_box;
use std::time::Duration;

/// The deep list page's query: won deals, latest close date first.
pub fn deep_query() -> Query {
    Query::new("Potentials").filter(Condition::eq("sales_stage", "Closed Won")).order_by("-closingdate")
}

fn bench(c: &mut Criterion) {
    let rows: u64 = std::env::var("CRM_BENCH_ROWS").ok().and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let db = common::cached_db(rows).expect("cached store");
    let crm = common::open_admin(db.to_str().expect("UTF-8 path")).expect("open");
    let label = format!("{}k", rows / 1000);

    let mut g = c.benchmark_group(format!("read_{label}"));
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    g.bench_function("forecast_by_stage", |b| b.iter(|| black_box(crm.pipeline(PipelineBy::Stage, None).expect("report"))));
    g.bench_function("forecast_by_month", |b| b.iter(|| black_box(crm.pipeline(PipelineBy::CloseMonth, None).expect("report"))));

    let total = crm.count(deep_query()).expect("count");
    let size = 20;
    let last_page = total.div_ceil(size).saturating_sub(1).max(1);
    g.bench_function("list_page_near_end_offset", |b| b.iter(|| black_box(crm.page(deep_query(), last_page, size).expect("page"))));
    let anchor = crm.find(deep_query().offset(total.saturating_sub(2 * size)).limit(1)).expect("anchor");
    let cursor = anchor.first().map(|r| Cursor { last: r.get("closingdate").clone(), ties: 0, id: Some(r.id) });
    g.bench_function("list_page_near_end_keyset", |b| {
        b.iter(|| black_box(crm.page_after(deep_query(), cursor.as_ref(), size).expect("page")))
    });
    g.bench_function("search_text", |b| b.iter(|| black_box(crm.search("Potentials", "zürich", 1, 20).expect("search"))));
    g.finish();

    let export_db = common::cached_db(100_000).expect("cached store");
    let crm = common::open_admin(export_db.to_str().expect("UTF-8 path")).expect("open");
    let mut g = c.benchmark_group("export_csv_100k");
    g.sample_size(10).throughput(Throughput::Elements(100_000)).measurement_time(Duration::from_secs(20));
    g.bench_function("sqlite", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(32 << 20);
            let n = crm
                .export_csv(&mut out, "Potentials", &ExportSelection::All(Query::new("Potentials")), &crm::io::ExportOptions::default())
                .expect("export");
            assert_eq!(n, 100_000);
            out.len()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
