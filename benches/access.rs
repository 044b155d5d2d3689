//! Access control's cost on reads: `find` with a filter and a page as a restricted user (a private
//! module, a tree of 50 roles and 500 users) against the same query as an administrator, over
//! `CRM_BENCH_ACCESS_ROWS` (default 100,000) opportunities in a SQLite file.
//!
//! The store is built once and cached under `target/bench-data/` (`access_<rows>.db`): roles, users and
//! the private sharing through crm, the opportunities written through the storage port in batches (each
//! owned by one of the 500 users). Run: `cargo bench --bench access` (`CRM_BENCH_ACCESS_ROWS=1000000` for
//! the size).

#[path = "common/mod.rs"]
mod common;

use criterion::{Criterion, criterion_group, criterion_main};
use crm::storage::sqlite::SqliteStore;
use crm::storage::{ChangeSet, RecordChange, RecordStore, Store};
use crm::{Condition, Crm, NewUser, OwnerId, Query, Record, RecordId, Sharing, Value};
use std::hint::black_box;
use std::time::Duration;

const STAGES: [&str; 10] = [
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Id. Decision Makers",
    "Perception Analysis",
    "Proposal or Price Quote",
    "Negotiation or Review",
    "Closed Won",
    "Closed Lost",
];

/// CEO, 7 vice presidents, 6 managers under each (50 roles); 10 users per role (500 users, `u0`..`u499`).
fn build(path: &std::path::Path, rows: u64) -> common::Res<()> {
    let mut crm = common::open_admin(path.to_str().ok_or("path")?)?;
    crm.set_admin("admin", true)?;
    crm.add_role("CEO", None)?;
    let mut roles = vec!["CEO".to_string()];
    for v in 0..7 {
        let vp = format!("VP {v}");
        crm.add_role(&vp, Some("CEO"))?;
        roles.push(vp.clone());
        for m in 0..6 {
            let mgr = format!("Manager {v}.{m}");
            crm.add_role(&mgr, Some(&vp))?;
            roles.push(mgr);
        }
    }
    let mut owners = Vec::new();
    for (i, role) in roles.iter().enumerate() {
        for k in 0..10 {
            owners.push(crm.add_user(NewUser::new(format!("u{}", i * 10 + k)).role(role.clone()))?.id);
        }
    }
    crm.set_sharing("Potentials", Sharing::Private)?;
    drop(crm);
    let mut store = SqliteStore::open(path)?;
    crm::storage::SchemaStore::load_schema(&mut store)?; // the schema the writes follow
    let mut lcg = common::Lcg(7);
    let batch = 10_000u64;
    let mut done = 0;
    while done < rows {
        let n = batch.min(rows - done);
        let first = store.allocate_ids(n)?;
        let mut cs = ChangeSet::new();
        for i in 0..n {
            let id = first + i as i64;
            let mut r = Record {
                id: RecordId(id),
                module: "Potentials".into(),
                label: format!("Deal {id}"),
                deleted: false,
                version: 1,
                values: Default::default(),
            };
            let owner: OwnerId = owners[(lcg.next() % owners.len() as u64) as usize];
            let day = 1 + lcg.next() % 28;
            let month = 1 + lcg.next() % 12;
            r.values.insert("potentialname".into(), Value::Text(format!("Deal {id}")));
            r.values.insert("amount".into(), Value::Decimal(rust_decimal::Decimal::from(1000 + lcg.next() % 100_000)));
            r.values.insert("sales_stage".into(), Value::Text(STAGES[(lcg.next() % 10) as usize].into()));
            let date = crm::chrono::NaiveDate::from_ymd_opt(2027, month as u32, day as u32).ok_or("date")?;
            r.values.insert("closingdate".into(), Value::Date(date));
            r.values.insert("assigned_user_id".into(), Value::Owner(owner));
            r.values.insert("modifiedtime".into(), Value::DateTime(date.and_hms_opt(10, 0, 0).ok_or("time")?));
            cs.push(RecordChange::Insert(r));
        }
        store.commit(&cs)?;
        done += n;
    }
    Ok(())
}

fn cached(rows: u64) -> common::Res<std::path::PathBuf> {
    let path = common::data_dir().join(format!("access_{rows}.db"));
    if path.exists() {
        return Ok(path);
    }
    let tmp = path.with_extension("db.part");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", tmp.display()));
    }
    eprintln!("building {} (one time) ...", path.display());
    build(&tmp, rows)?;
    common::adopt_db(&tmp, &path)?;
    Ok(path)
}

/// Prospecting deals, latest close date first, page 1 of 20.
fn query() -> Query {
    Query::new("Potentials").filter(Condition::eq("sales_stage", "Prospecting")).order_by("-closingdate").page(1, 20)
}

fn bench(c: &mut Criterion) {
    let rows: u64 = std::env::var("CRM_BENCH_ACCESS_ROWS").ok().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let path = cached(rows).expect("cached store");
    let mut crm: Crm = common::open_admin(path.to_str().expect("UTF-8 path")).expect("open");
    let mut g = c.benchmark_group(format!("access_find_{}k", rows / 1000));
    g.sample_size(20).measurement_time(Duration::from_secs(5));
    g.bench_function("administrator", |b| b.iter(|| black_box(crm.find(query()).expect("find"))));
    // u10 is VP 0: own deals and those of the 60 users of the six managers below (61 of 500 owners).
    crm.set_actor("u10").expect("vp");
    assert!(!crm.find(query()).expect("find").is_empty());
    g.bench_function("vice_president", |b| b.iter(|| black_box(crm.find(query()).expect("find"))));
    // u20 is Manager 0.0, with no role below: own deals only (1 of 500 owners).
    crm.set_actor("u20").expect("manager");
    g.bench_function("sales_manager", |b| b.iter(|| black_box(crm.find(query()).expect("find"))));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
