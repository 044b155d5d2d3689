//! The change feed: reading every event of a large store, page by page, as a consumer catching up does;
//! and, on PostgreSQL, what the feed's commit-order lock costs concurrent writers.
//!
//! * `feed_read_<N>k/all_events`: every change-log entry of the cached SQLite file of `CRM_BENCH_ROWS`
//!   (default 1,000,000) imported opportunities (one `created` event per opportunity and per organization
//!   created on the way), read with `Crm::changes` in pages of `CRM_BENCH_FEED_PAGE` (default 1,000).
//! * `feed_concurrent_writes_postgres/<k>_writers` (only with `CRM_BENCH_POSTGRES_URL`): `k` handles on
//!   one PostgreSQL schema, each in its own thread, creating 100 organizations each; throughput in
//!   creates per second. Writers that append to the change log take turns from their first entry to their
//!   commit (see `crm_core::feed`), so this shows how far concurrency still helps.
//!
//! Run: `cargo bench --bench feed` (add `--features postgres` and `CRM_BENCH_POSTGRES_URL=postgres://...`
//! for the PostgreSQL group).

#[path = "common/mod.rs"]
mod common;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use crm::Crm;
use std::hint::black_box;
use std::time::Duration;

/// Reads the whole feed after `since` in pages of `page`; returns the number of events.
fn read_all(crm: &Crm, page: u64) -> u64 {
    let mut at = Some(0);
    let mut n = 0u64;
    loop {
        let events = crm.changes(at, page, &[]).expect("feed page");
        let Some(last) = events.last() else { return n };
        at = Some(last.position);
        n += events.len() as u64;
        black_box(&events);
    }
}

fn read(c: &mut Criterion) {
    let rows: u64 = std::env::var("CRM_BENCH_ROWS").ok().and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let page: u64 = std::env::var("CRM_BENCH_FEED_PAGE").ok().and_then(|s| s.parse().ok()).unwrap_or(1000);
    let db = common::cached_db(rows).expect("cached store");
    let crm = common::open_admin(db.to_str().expect("UTF-8 path")).expect("open");
    let events = read_all(&crm, page);
    eprintln!("feed of {events} events, pages of {page}");
    let mut g = c.benchmark_group(format!("feed_read_{}k", rows / 1000));
    g.sample_size(10).throughput(Throughput::Elements(events)).measurement_time(Duration::from_secs(20));
    g.bench_function(format!("all_events_page_{page}"), |b| b.iter(|| assert_eq!(read_all(&crm, page), events)));
    g.finish();
}

#[cfg(feature = "postgres")]
fn concurrent_writes(c: &mut Criterion) {
    use crm::Fields;
    let Ok(url) = std::env::var("CRM_BENCH_POSTGRES_URL") else {
        eprintln!("feed_concurrent_writes_postgres: skipped (no CRM_BENCH_POSTGRES_URL)");
        return;
    };
    const PER_WRITER: u64 = 100;
    let schema = format!("crm_bench_feed_{}", std::process::id());
    let sep = if url.contains('?') { '&' } else { '?' };
    let target = format!("{url}{sep}options=-csearch_path%3D{schema}");
    let mut g = c.benchmark_group("feed_concurrent_writes_postgres");
    g.sample_size(10).measurement_time(Duration::from_secs(15));
    for writers in [1u64, 2, 4] {
        let handles: Vec<Crm> = (0..writers).map(|_| common::open_admin(&target).expect("open postgres")).collect();
        let mut handles: Vec<Option<Crm>> = handles.into_iter().map(Some).collect();
        let mut round = 0u64;
        g.throughput(Throughput::Elements(writers * PER_WRITER));
        g.bench_function(format!("{writers}_writers"), |b| {
            b.iter(|| {
                round += 1;
                let threads: Vec<_> = handles
                    .iter_mut()
                    .enumerate()
                    .map(|(w, h)| {
                        let mut crm = h.take().expect("handle");
                        std::thread::spawn(move || {
                            for i in 0..PER_WRITER {
                                crm.create("Accounts", Fields::new().with("accountname", format!("R{round} W{w} {i}"))).expect("create");
                            }
                            crm
                        })
                    })
                    .collect();
                for (slot, t) in handles.iter_mut().zip(threads) {
                    *slot = Some(t.join().expect("writer"));
                }
            })
        });
    }
    g.finish();
    drop(crm::storage::postgres::PostgresStore::drop_schema(&url, &schema));
}

#[cfg(not(feature = "postgres"))]
fn concurrent_writes(_: &mut Criterion) {
    eprintln!("feed_concurrent_writes_postgres: skipped (built without the postgres feature)");
}

criterion_group!(benches, read, concurrent_writes);
criterion_main!(benches);
