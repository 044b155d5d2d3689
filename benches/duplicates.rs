//! Finding duplicates in a large module: organizations with ~1 % duplicates spelled differently (case,
//! spaces, punctuation, Arabic/Persian letters and digits), grouped by the normalised name in SQL.
//!
//! The store is a SQLite file of `CRM_BENCH_DEDUPE_ROWS` (default 1,000,000) organizations, written once
//! through the storage port in batches of 10,000 and cached under `target/bench-data/`. Measured: the first
//! page of 1,000 groups, every group (pages of 10,000), and the same exact (not normalised); on the memory
//! store, every group of 10,000 organizations. Run: `cargo bench --bench duplicates`.

#[path = "common/mod.rs"]
mod common;

use criterion::{Criterion, criterion_group, criterion_main};
use crm::dedupe::DuplicateSearch;
use crm::storage::sqlite::SqliteStore;
use crm::storage::{ChangeSet, RecordChange, RecordStore, SchemaStore, Store};
use crm::{Crm, Fields, Record, RecordId, Schema, Value};
use std::hint::black_box;
use std::time::Duration;

/// The name of organization `i`: unique, except that every 100th is a differently spelled copy of an
/// earlier one.
fn name(i: u64, rng: &mut common::Lcg) -> String {
    if i % 100 == 99 {
        let j = rng.next() % i;
        return match j % 4 {
            0 => format!("  ORGANIZATION {j}, Inc. "),
            1 => format!("organization-{j} inc"),
            2 => format!("شركت {j} يکم"),
            _ => format!("Organization {j}  INC."),
        };
    }
    if i % 4 == 2 { format!("شرکت {i} یکم") } else { format!("Organization {i} Inc") }
}

/// A SQLite file of `rows` organizations (built once).
fn cached(rows: u64) -> common::Res<std::path::PathBuf> {
    let path = common::data_dir().join(format!("accounts_{rows}.db"));
    if path.exists() {
        return Ok(path);
    }
    let tmp = path.with_extension("tmp");
    let _ = std::fs::remove_file(&tmp);
    {
        let mut store = SqliteStore::open(&tmp)?;
        store.save_schema(&Schema::builtin())?;
        let first = store.allocate_ids(rows)?;
        let mut rng = common::Lcg(7);
        let mut cs = ChangeSet::new();
        for i in 0..rows {
            let n = name(i, &mut rng);
            let mut values = crm::Values::new();
            values.insert("accountname".to_string(), Value::Text(n.clone()));
            let id = RecordId(first + i64::try_from(i)?);
            cs.push(RecordChange::Insert(Record { id, module: "Accounts".into(), label: n, version: 1, deleted: false, values }));
            if cs.0.len() == 10_000 {
                store.commit(&cs)?;
                cs = ChangeSet::new();
            }
        }
        store.commit(&cs)?;
    }
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

fn bench(c: &mut Criterion) {
    let rows: u64 = std::env::var("CRM_BENCH_DEDUPE_ROWS").ok().and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let db = cached(rows).expect("cached store");
    let crm = Crm::open(&db).expect("open");
    let all = DuplicateSearch { limit: 10_000, ..DuplicateSearch::on(["accountname"]) };
    let groups = crm.for_each_duplicate_group("Accounts", &all, |_| true).expect("groups");
    eprintln!("{rows} organizations: {groups} duplicate groups");

    let mut g = c.benchmark_group(format!("duplicates_sqlite_{}k", rows / 1000));
    g.sample_size(10).measurement_time(Duration::from_secs(20)).warm_up_time(Duration::from_secs(1));
    let first = DuplicateSearch { limit: 1000, ..DuplicateSearch::on(["accountname"]) };
    g.bench_function("first_page_1000_groups", |b| b.iter(|| black_box(crm.find_duplicates("Accounts", &first).expect("page"))));
    g.bench_function("all_groups_normalised", |b| {
        b.iter(|| black_box(crm.for_each_duplicate_group("Accounts", &all, |_| true).expect("walk")))
    });
    let exact = DuplicateSearch { normalize: false, ..all.clone() };
    g.bench_function("all_groups_exact", |b| {
        b.iter(|| black_box(crm.for_each_duplicate_group("Accounts", &exact, |_| true).expect("walk")))
    });
    g.finish();

    let mut mem = common::open_admin(":memory:").expect("memory");
    let mut rng = common::Lcg(7);
    for i in 0..10_000 {
        mem.create("Accounts", Fields::new().with("accountname", name(i, &mut rng))).expect("create");
    }
    let mut g = c.benchmark_group("duplicates_memory_10k");
    g.sample_size(10);
    g.bench_function("all_groups_normalised", |b| {
        b.iter(|| black_box(mem.for_each_duplicate_group("Accounts", &all, |_| true).expect("walk")))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
