//! What only a database server can show (feature `postgres`; the server is `CRM_TEST_POSTGRES_URL`):
//! several connections on one database — optimistic concurrency across them, concurrent imports, unique
//! auto-numbers, schema changes seen by the others — plus the layout itself (typed columns, exact NUMERIC,
//! newer layouts refused) and conditions pushed down to SQL with bound parameters.
#![cfg(feature = "postgres")]

mod support;

use support::pg;

use crm_core::io::ImportOptions;
use crm_core::storage::postgres::{LAYOUT_VERSION, PostgresStore};
use crm_core::storage::prelude::*;
use crm_core::*;
use rust_decimal_macros::dec;

fn deal(name: &str, amount: &str, stage: &str) -> Fields {
    Fields::new().with("potentialname", name).with("amount", amount).with("sales_stage", stage).with("closingdate", "2027-03-31")
}

/// A CRM in a fresh schema with an admin acting; returns the schema guard too.
fn crm(s: &pg::TestSchema) -> Crm {
    let mut crm = Crm::with_store(Box::new(s.store())).unwrap();
    if crm.user("admin").is_err() {
        crm.add_user(NewUser::new("admin").full_name("Administrator").email("admin@example.com")).unwrap();
    }
    crm.set_actor("admin").unwrap();
    crm
}

#[test]
fn two_connections_updating_one_record_refuse_the_stale_write() {
    let Some(s) = pg::TestSchema::new() else { return };
    let mut a = crm(&s);
    let mut b = crm(&s);
    let r = a.create("Potentials", deal("Shared", "100", "Prospecting")).unwrap();
    let seen_by_b = b.get(r.id).unwrap();
    assert_eq!(seen_by_b, r);
    a.update_version(r.id, r.version, Fields::new().with("amount", "200")).unwrap();
    let err = b.update_version(r.id, seen_by_b.version, Fields::new().with("amount", "300")).unwrap_err();
    assert_eq!(err.code(), "conflict", "{err}");
    let now = b.get(r.id).unwrap();
    assert_eq!(now.get("amount"), &Value::Decimal(dec!(200.00)));
    assert_eq!(now.version, 2);
    // With the fresh version the write goes through.
    b.update_version(r.id, now.version, Fields::new().with("amount", "300")).unwrap();
    assert_eq!(a.get(r.id).unwrap().get("amount"), &Value::Decimal(dec!(300.00)));
}

#[test]
fn racing_writers_one_wins_per_version() {
    // Both threads read version 1 and write at once: exactly one update is accepted.
    let Some(s) = pg::TestSchema::new() else { return };
    let mut first = crm(&s);
    let r = first.create("Potentials", deal("Race", "1", "Prospecting")).unwrap();
    let results: Vec<_> = (0..4)
        .map(|i| {
            let url = s.url.clone();
            let name = s.name.clone();
            std::thread::spawn(move || {
                let mut c = Crm::with_store(Box::new(PostgresStore::open_schema(&url, &name).unwrap())).unwrap();
                c.set_actor("admin").unwrap();
                c.update_version(r.id, 1, Fields::new().with("nextstep", format!("writer {i}"))).map(|_| ()).map_err(|e| e.code())
            })
        })
        .collect();
    let outcomes: Vec<_> = results.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 1, "{outcomes:?}");
    assert!(outcomes.iter().filter_map(|o| o.as_ref().err()).all(|c| *c == "conflict"), "{outcomes:?}");
    assert_eq!(first.get(r.id).unwrap().version, 2);
}

#[test]
fn concurrent_imports_from_threads_add_up() {
    let Some(s) = pg::TestSchema::new() else { return };
    let first = crm(&s);
    const THREADS: usize = 4;
    const ROWS: usize = 60;
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let (url, name) = (s.url.clone(), s.name.clone());
            std::thread::spawn(move || {
                let mut c = Crm::with_store(Box::new(PostgresStore::open_schema(&url, &name).unwrap())).unwrap();
                c.set_actor("admin").unwrap();
                let mut csv = String::from("Opportunity Name,Amount,Sales Stage,Expected Close Date\n");
                for i in 0..ROWS {
                    csv.push_str(&format!("T{t} deal {i},{}.50,Prospecting,2027-01-{:02}\n", i + 1, i % 28 + 1));
                }
                let opts = ImportOptions { batch_size: 16, ..ImportOptions::default() };
                c.import_csv(csv.as_bytes(), "Potentials", &opts, None).unwrap()
            })
        })
        .collect();
    let mut created = 0;
    for w in workers {
        let report = w.join().unwrap();
        assert_eq!(report.failed, 0, "{report:?}");
        created += report.created;
    }
    assert_eq!(created as usize, THREADS * ROWS);
    assert_eq!(first.count(Query::new("Potentials")).unwrap() as usize, THREADS * ROWS);
    // Every record got its own auto-number and id.
    let all = first.find(Query::new("Potentials")).unwrap();
    let mut numbers: Vec<String> = all.iter().map(|r| r.get("potential_no").to_string()).collect();
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), THREADS * ROWS);
    // Exact sums: each thread imported 1.50 + 2.50 + ... + 60.50.
    let per_thread: rust_decimal::Decimal = (1..=ROWS).map(|i| rust_decimal::Decimal::from(i as i64) + dec!(0.5)).sum();
    let agg = first.aggregate(Query::new("Potentials"), None, &["amount"]).unwrap();
    assert_eq!(agg[0].sums[0], per_thread * rust_decimal::Decimal::from(THREADS as i64));
    assert_eq!(first.imports().unwrap().len(), THREADS);
}

#[test]
fn auto_numbers_and_ids_are_unique_across_connections() {
    let Some(s) = pg::TestSchema::new() else { return };
    drop(crm(&s));
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (url, name) = (s.url.clone(), s.name.clone());
            std::thread::spawn(move || {
                let mut store = PostgresStore::open_schema(&url, &name).unwrap();
                let numbers: Vec<String> = (0..50).map(|_| store.next_auto_number("Potentials", "POT").unwrap()).collect();
                let ids: Vec<i64> = (0..20).map(|_| store.allocate_ids(7).unwrap()).collect();
                (numbers, ids)
            })
        })
        .collect();
    let mut numbers = Vec::new();
    let mut blocks = Vec::new();
    for w in workers {
        let (n, i) = w.join().unwrap();
        numbers.extend(n);
        blocks.extend(i);
    }
    let mut unique = numbers.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 200);
    // Blocks of 7 consecutive ids never overlap.
    blocks.sort();
    assert!(blocks.windows(2).all(|w| w[1] - w[0] >= 7), "{blocks:?}");
    // Records created through two handles get distinct numbers too.
    let mut a = crm(&s);
    let mut b = crm(&s);
    let x = a.create("Potentials", deal("x", "1", "Prospecting")).unwrap();
    let y = b.create("Potentials", deal("y", "1", "Prospecting")).unwrap();
    assert_ne!(x.get("potential_no"), y.get("potential_no"));
    assert_ne!(x.id, y.id);
}

#[test]
fn auto_numbers_inside_a_rolled_back_unit_are_handed_out_again() {
    // A unit of work is one transaction: its auto-numbers go back with it, its ids do not.
    let Some(s) = pg::TestSchema::new() else { return };
    drop(crm(&s));
    let mut a = s.store();
    a.begin_unit().unwrap();
    assert_eq!(a.next_auto_number("Potentials", "POT").unwrap(), "POT1");
    let id = a.allocate_ids(1).unwrap();
    a.end_unit(false).unwrap();
    assert_eq!(a.next_auto_number("Potentials", "POT").unwrap(), "POT1");
    assert!(a.allocate_ids(1).unwrap() > id);
}

#[test]
fn filters_and_aggregates_run_in_sql_with_bound_values() {
    let Some(s) = pg::TestSchema::new() else { return };
    let mut c = crm(&s);
    let evil = "x'); DROP TABLE potentials; --";
    c.create("Potentials", deal(evil, "10.10", "Prospecting")).unwrap();
    c.create("Potentials", deal("Robert'); DROP TABLE crm_entity;--", "20.20", "Closed Won")).unwrap();
    c.create("Potentials", deal("Plain", "30.30", "Closed Won").with("closingdate", "2027-06-30")).unwrap();
    // The injection text is only a value: it matches itself and nothing else, and the tables survive.
    assert_eq!(c.count(Query::new("Potentials").filter(Condition::eq("potentialname", evil))).unwrap(), 1);
    assert_eq!(c.count(Query::new("Potentials").filter(Condition::cmp("potentialname", Op::Contains, "drop table"))).unwrap(), 2);
    assert_eq!(c.count(Query::new("Potentials").filter(Condition::cmp("potentialname", Op::Contains, "' OR '1'='1"))).unwrap(), 0);
    assert_eq!(c.count(Query::new("Potentials").filter(Condition::cmp("potentialname", Op::StartsWith, "robert'"))).unwrap(), 1);
    assert_eq!(c.count(Query::new("Potentials")).unwrap(), 3);
    // Exact decimal comparisons and sums in SQL.
    assert_eq!(c.count(Query::new("Potentials").filter(Condition::cmp("amount", Op::Gt, "20.2"))).unwrap(), 1);
    assert_eq!(c.count(Query::new("Potentials").filter(Condition::between("amount", "10.1", "20.20"))).unwrap(), 2);
    let by_stage = c.aggregate(Query::new("Potentials"), Some("sales_stage"), &["amount"]).unwrap();
    let won = by_stage.iter().find(|a| a.key == Value::Text("Closed Won".into())).unwrap();
    assert_eq!((won.count, won.sums[0]), (2, dec!(50.50)));
    let sorted = c.find(Query::new("Potentials").order_by("-amount").limit(2)).unwrap();
    assert_eq!(sorted.iter().map(|r| r.label.as_str()).collect::<Vec<_>>(), ["Plain", "Robert'); DROP TABLE crm_entity;--"]);
    let rows = c.pipeline(PipelineBy::Stage, None).unwrap();
    assert!(!rows.is_empty());
    // Money is NUMERIC in the table, never floating point.
    let mut store = s.store();
    let row = store
        .client()
        .query_one(
            "SELECT data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'potentials' AND column_name = 'amount'",
            &[],
        )
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "numeric");
    let total: String = store.client().query_one("SELECT sum(amount)::text FROM potentials", &[]).unwrap().get(0);
    assert_eq!(total, "60.60");
}

#[test]
fn schema_change_by_one_connection_is_seen_by_another() {
    let Some(s) = pg::TestSchema::new() else { return };
    let mut a = crm(&s);
    let mut b = crm(&s);
    let f = a.add_field("Potentials", NewField::new("Region", FieldType::Text).length(40)).unwrap();
    let seats = a.add_field("Potentials", NewField::new("Seats", FieldType::Integer)).unwrap();
    let r = a
        .create("Potentials", deal("With region", "5", "Prospecting").with(f.name.clone(), "EMEA").with(seats.name.clone(), "12"))
        .unwrap();
    // b reads the new columns without being told.
    assert_eq!(b.get(r.id).unwrap().get(&f.name), &Value::Text("EMEA".into()));
    assert_eq!(b.count(Query::new("Potentials").filter(Condition::eq(f.name.clone(), "EMEA"))).unwrap(), 1);
    // and writes them once it has refreshed (saves refresh on their own).
    assert!(b.refresh_schema().unwrap());
    b.update(r.id, Fields::new().with(f.name.clone(), "APAC")).unwrap();
    assert_eq!(a.get(r.id).unwrap().get(&f.name), &Value::Text("APAC".into()));
    // The custom field is a real, typed column.
    let mut store = s.store();
    let t: String = store
        .client()
        .query_one(
            "SELECT data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'potentials' AND column_name = $1",
            &[&seats.name],
        )
        .unwrap()
        .get(0);
    assert_eq!(t, "bigint");
    // Two connections deriving from the same schema version: the second is refused, nothing lost.
    let before = a.schema().version;
    let workers: Vec<_> = ["p", "q"]
        .into_iter()
        .map(|who| {
            let (url, name) = (s.url.clone(), s.name.clone());
            std::thread::spawn(move || {
                let mut c = Crm::with_store(Box::new(PostgresStore::open_schema(&url, &name).unwrap())).unwrap();
                c.set_actor("admin").unwrap();
                for i in 0..3 {
                    c.add_field("Potentials", NewField::new(format!("{who} {i}"), FieldType::Text)).unwrap();
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    assert!(a.refresh_schema().unwrap());
    assert_eq!(a.schema().version, before + 6);
    assert_eq!(a.module("Potentials").unwrap().fields.iter().filter(|f| f.custom).count(), 8);
}

#[test]
fn caches_see_users_added_by_another_connection() {
    let Some(s) = pg::TestSchema::new() else { return };
    let mut a = crm(&s);
    let mut b = crm(&s);
    // a caches the owners by using them
    a.create("Potentials", deal("one", "1", "Prospecting")).unwrap();
    let v = a_data_version(&s);
    b.add_user(NewUser::new("sara").full_name("Sara").email("sara@example.com")).unwrap();
    assert_ne!(a_data_version(&s), v);
    a.create("Potentials", deal("two", "1", "Prospecting").with("assigned_user_id", "sara")).unwrap();
}

fn a_data_version(s: &pg::TestSchema) -> u64 {
    s.store().data_version().unwrap()
}

/// A save's two freshness reads share a round trip: the data version read with the schema version answers
/// the next data-version read only when no other statement ran in between; after any other statement the
/// data version is read again and sees another connection's commit.
#[test]
fn the_data_version_read_with_the_schema_version_is_used_once_and_only_right_after() {
    let Some(s) = pg::TestSchema::new() else { return };
    let _ = crm(&s);
    let mut other = crm(&s);
    let a = s.store();
    let before = a.data_version().unwrap();
    a.schema_version().unwrap();
    other.create("Potentials", deal("by another connection", "1", "Prospecting")).unwrap();
    assert_eq!(a.data_version().unwrap(), before, "read together with the schema version, before the commit");
    assert_ne!(a.data_version().unwrap(), before, "used once: read again");
    let now = a.data_version().unwrap();
    a.schema_version().unwrap();
    a.setting("x").unwrap(); // another statement between the two reads
    other.create("Potentials", deal("again", "1", "Prospecting")).unwrap();
    assert_ne!(a.data_version().unwrap(), now, "a statement ran in between: read again");
}

#[test]
fn crm_open_accepts_postgres_urls() {
    let Some(s) = pg::TestSchema::new() else { return };
    // The schema the URL's search_path names does not exist yet: opening creates it.
    let mut c = Crm::open(s.crm_url()).unwrap();
    c.add_user(NewUser::new("admin").full_name("Administrator").email("admin@example.com")).unwrap();
    c.set_actor("admin").unwrap();
    let r = c.create("Potentials", deal("By URL", "1234.56", "Prospecting")).unwrap();
    drop(c);
    let again = Crm::open(s.crm_url().replacen("postgres://", "postgresql://", 1)).unwrap();
    assert_eq!(again.get(r.id).unwrap().get("amount"), &Value::Decimal(dec!(1234.56)));
    // it really is in that schema
    let n: i64 = s.store().client().query_one("SELECT count(*) FROM crm_entity", &[]).unwrap().get(0);
    assert!(n >= 1);
}

#[test]
fn a_database_from_a_newer_crm_is_refused() {
    let Some(s) = pg::TestSchema::new() else { return };
    let mut store = s.store();
    store.client().execute("INSERT INTO crm_migrations (version) VALUES ($1)", &[&(LAYOUT_VERSION + 1)]).unwrap();
    let err = PostgresStore::open_schema(&s.url, &s.name).unwrap_err();
    assert!(matches!(err, Error::Storage(StorageError::IncompatibleVersion { .. })), "{err:?}");
}

#[test]
fn unreachable_server_is_an_error_not_a_panic() {
    let err = PostgresStore::open("postgres://nobody@127.0.0.1:1/none").unwrap_err();
    assert!(matches!(err, Error::Storage(StorageError::Io(_))), "{err:?}");
    assert!(err.to_string().contains("connect"), "{err}");
    if let Some(url) = pg::url() {
        assert!(PostgresStore::open_schema(&url, "bad name; DROP").is_err());
    }
}

#[test]
fn units_of_work_commit_or_roll_back_as_one() {
    let Some(s) = pg::TestSchema::new() else { return };
    let mut a = crm(&s);
    let mut other = s.store();
    other.load_schema().unwrap();
    let n0 = a.count(Query::new("Potentials")).unwrap();
    // A CSV import commits in batches; a failing commit inside the unit fails alone (savepoint).
    let csv = "Opportunity Name,Amount,Sales Stage,Expected Close Date\nok one,1,Prospecting,2027-01-01\nbad,12abc,Prospecting,2027-01-01\nok two,2,Prospecting,2027-01-01\n";
    let rep = a.import_csv(csv.as_bytes(), "Potentials", &ImportOptions::default(), None).unwrap();
    assert_eq!((rep.created, rep.failed), (2, 1));
    let q = Query::new("Potentials");
    assert_eq!(other.count(&q.normalize(a.module("Potentials").unwrap()).unwrap()).unwrap(), n0 + 2);
}

#[test]
fn a_failed_read_inside_a_unit_is_not_committed_quietly() {
    // PostgreSQL aborts a transaction at its first failed statement; COMMIT would then roll back without
    // an error. The store notices and reports the lost unit instead.
    let Some(s) = pg::TestSchema::new() else { return };
    let mut c = crm(&s);
    let r = c.create("Potentials", deal("before", "1", "Prospecting")).unwrap();
    let mut store = s.store();
    let schema = store.load_schema().unwrap().unwrap();
    let m = schema.module("Potentials").unwrap();
    store.begin_unit().unwrap();
    let mut changed = store.get(r.id).unwrap().unwrap();
    changed.label = "inside the unit".into();
    changed.version = 2;
    store
        .commit(&crm_core::storage::ChangeSet(vec![crm_core::storage::Change::Record(crm_core::storage::RecordChange::Update {
            record: changed,
            expected_version: 1,
        })]))
        .unwrap();
    // A NUL byte is not valid text for the server: the read fails and aborts the transaction.
    let bad = Query::new("Potentials").filter(Condition::cmp("potentialname", Op::Contains, "a\0b")).normalize(m).unwrap();
    assert!(store.count(&bad).is_err());
    let err = store.end_unit(true).unwrap_err();
    assert_eq!(err.code(), "storage", "{err:?}");
    assert_eq!(c.get(r.id).unwrap().label, "before");
    // The connection is usable again.
    store.begin_unit().unwrap();
    store.end_unit(true).unwrap();
    assert_eq!(store.get(r.id).unwrap().unwrap().label, "before");
}

/// An import batch goes to PostgreSQL as one statement per table (records, change log and its details,
/// stage history, outbox mail, journal): it reads back exactly as the same import into the memory store.
#[test]
fn an_import_batch_reads_back_as_on_the_memory_store() {
    let mut csv = String::from("Opportunity Name,Organization Name,Amount,Sales Stage,Expected Close Date,Description\n");
    for i in 0..60 {
        let stage = ["Prospecting", "Qualification", "Closed Won", "Needs Analysis"][i % 4];
        csv.push_str(&format!(
            "\"Deal {i:02}, \"\"quoted\"\"\",Org {},{}.{:02},{stage},2027-0{}-15,\"Ünïcode {i}\"\n",
            i % 7,
            1000 + i * 37,
            i % 100,
            1 + i % 9
        ));
    }
    let options = ImportOptions { create_missing_references: true, batch_size: 25, ..Default::default() };
    let clock = std::sync::Arc::new(crm_core::clock::FixedClock::at("2026-12-06 10:00:00"));
    let Some(s) = pg::TestSchema::new() else { return };
    let mut on_pg = crm(&s).with_clock(clock.clone());
    let mut on_memory = Crm::with_store(Box::new(crm_core::storage::memory::MemoryStore::new())).unwrap().with_clock(clock);
    on_memory.add_user(NewUser::new("admin").full_name("Administrator").email("admin@example.com")).unwrap();
    on_memory.set_actor("admin").unwrap();
    let a = on_pg.import_csv(csv.as_bytes(), "Potentials", &options, None).unwrap();
    let b = on_memory.import_csv(csv.as_bytes(), "Potentials", &options, None).unwrap();
    assert_eq!((a.created, a.failed, a.references_created), (60, 0, 7), "{a:?}");
    assert_eq!((b.created, b.failed, b.references_created), (60, 0, 7), "{b:?}");
    let (pg_state, memory_state) = (support::imported_state(&on_pg, a.import_id), support::imported_state(&on_memory, b.import_id));
    assert!(pg_state.iter().any(|l| l.starts_with("mail about Deal 00")), "the creation workflow wrote mail: {pg_state:#?}");
    assert!(pg_state.iter().any(|l| l.contains("stage Some(\"Closed Won\")")), "{pg_state:#?}");
    assert_eq!(pg_state, memory_state);
}
