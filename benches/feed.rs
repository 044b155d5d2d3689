//! The change feed: reading every event of a large store, page by page, as a consumer catching up does;
//! and, on PostgreSQL, what the feed's commit-order lock costs concurrent writers.
//!
//! * `feed_read_<N>k/all_events`: every change-log entry of the cached SQLite file of `CRM_BENCH_ROWS`
//!   (default 1,000,000) imported opportunities (one `created` event per opportunity and per organization
//!   created on the way), read with `Crm::changes` in pages of `CRM_BENCH_FEED_PAGE` (default 1,000).
//! * `feed_restricted_<N>k/<reader>`: the whole feed of `CRM_BENCH_FEED_EVENTS` (default 10,000)
//!   `created` events of opportunities in a private module (a SQLite file built once under
//!   `target/bench-data/`, owners spread over 10 users of 10 roles), read in pages of 1,000 by the
//!   administrator and by a manager who sees one owner in ten; the sight is part of the feed's statement.
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

/// A SQLite file of `events` opportunity `created` events in a private module, owned round-robin by
/// `u0`..`u9` (one role each, none below another): `u0` sees a tenth of them.
fn restricted_store(events: u64) -> common::Res<std::path::PathBuf> {
    use crm::storage::{ChangeSet, RecordChange, RecordStore, Store};
    use crm::{ChangeKind, HistoryEntry, NewUser, Record, RecordId, Sharing, Value};
    let path = common::data_dir().join(format!("feed_restricted_{events}.db"));
    if path.exists() {
        return Ok(path);
    }
    let tmp = path.with_extension("db.part");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", tmp.display()));
    }
    let mut crm = common::open_admin(tmp.to_str().ok_or("path")?)?;
    crm.set_admin("admin", true)?;
    let mut owners = Vec::new();
    for i in 0..10 {
        crm.add_role(&format!("R{i}"), None)?;
        owners.push(crm.add_user(NewUser::new(format!("u{i}")).role(format!("R{i}")))?.id);
    }
    crm.set_sharing("Potentials", Sharing::Private)?;
    drop(crm);
    let mut store = crm::storage::sqlite::SqliteStore::open(&tmp)?;
    crm::storage::SchemaStore::load_schema(&mut store)?;
    let at = crm::chrono::NaiveDate::from_ymd_opt(2027, 1, 1).and_then(|d| d.and_hms_opt(10, 0, 0)).ok_or("time")?;
    let first = store.allocate_ids(events)?;
    let mut cs = ChangeSet::new();
    for i in 0..events {
        let id = RecordId(first + i as i64);
        let mut r =
            Record { id, module: "Potentials".into(), label: format!("Deal {i}"), deleted: false, version: 1, values: Default::default() };
        r.values.insert("potentialname".into(), Value::Text(format!("Deal {i}")));
        r.values.insert("sales_stage".into(), Value::Text("Prospecting".into()));
        r.values.insert("assigned_user_id".into(), Value::Owner(owners[(i % 10) as usize]));
        cs.push(RecordChange::Insert(r));
        cs.push(RecordChange::History(HistoryEntry::new(id, "Potentials", "admin", at, ChangeKind::Created, vec![])));
    }
    store.commit(&cs)?;
    drop(store);
    common::adopt_db(&tmp, &path)?;
    Ok(path)
}

fn restricted(c: &mut Criterion) {
    let events: u64 = std::env::var("CRM_BENCH_FEED_EVENTS").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let db = restricted_store(events).expect("restricted store");
    let mut crm = common::open_admin(db.to_str().expect("UTF-8 path")).expect("open");
    let mut g = c.benchmark_group(format!("feed_restricted_{}k", events / 1000));
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    let all = read_all(&crm, 1000);
    g.bench_function("administrator", |b| b.iter(|| assert_eq!(read_all(&crm, 1000), all)));
    crm.set_actor("u0").expect("u0");
    let seen = read_all(&crm, 1000);
    eprintln!("feed_restricted: {all} events, u0 sees {seen}");
    g.bench_function("one_owner_in_ten", |b| b.iter(|| assert_eq!(read_all(&crm, 1000), seen)));
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

criterion_group!(benches, read, restricted, concurrent_writes);
criterion_main!(benches);
