//! Each store keeps its own promise: change-log ids are never reused, on any store, even after a purge
//! removed entries below the highest id (the memory store used to number entries by count).

mod support;
use crm_core::{Crm, Fields, RecordId};
use std::collections::HashSet;
use support::Backend;

fn account(crm: &mut Crm, name: &str) -> RecordId {
    crm.create("Accounts", Fields::new().with("accountname", name)).unwrap().id
}

fn history_ids_are_never_reused(b: Backend) {
    let mut t = b.crm();
    let gone = account(&mut t.crm, "Gone");
    let kept = account(&mut t.crm, "Kept");
    t.update(kept, Fields::new().with("website", "https://kept.example")).unwrap();
    t.delete(gone).unwrap();
    t.purge(gone).unwrap();
    let later = account(&mut t.crm, "Later");
    t.update(later, Fields::new().with("website", "https://later.example")).unwrap();
    let mut seen = HashSet::new();
    for id in [kept, later] {
        for h in t.history(id).unwrap() {
            assert!(seen.insert(h.id), "history id {} given twice ({b:?})", h.id);
        }
    }
    assert_eq!(seen.len(), 4);
}

on_every_backend!(history_ids_are_never_reused);

/// A SQLite file with a declared index on a decimal field.
fn decimal_indexed_file(path: &std::path::Path) {
    let mut crm = Crm::open(path).unwrap();
    crm.add_user(crm_core::NewUser::new("admin")).unwrap();
    crm.set_actor("admin").unwrap();
    crm.add_index("Potentials", &["amount"]).unwrap();
    for (n, amount) in ["10", "9.5", "100", "-2.25", "0", "10.50"].iter().enumerate() {
        let f = Fields::new()
            .with("potentialname", format!("D{n}"))
            .with("sales_stage", "Prospecting")
            .with("closingdate", "2027-01-01")
            .with("amount", *amount);
        crm.create("Potentials", f).unwrap();
    }
}

/// What a stock SQLite (one that registers no crm function or collation) says of the file: the result of
/// `PRAGMA integrity_check`, and whether it can write to the indexed table.
fn stock_check(path: &std::path::Path) -> String {
    let stock = rusqlite::Connection::open(path).unwrap();
    let check: String = stock.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap_or_else(|e| e.to_string());
    let table: String = stock.query_row("SELECT tbl_name FROM sqlite_master WHERE name LIKE 'crm_ix_%'", [], |r| r.get(0)).unwrap();
    match stock.execute(&format!("UPDATE \"{table}\" SET amount = amount"), []) {
        Ok(_) => check,
        Err(e) => format!("{check}; write: {e}"),
    }
}

/// A declared index on a decimal field is checkable and writable by a stock SQLite (`integrity_check`
/// says ok), and crm still sorts and compares the decimals exactly through it. It used the
/// connection-local collation `crm_decimal`: "no such collation sequence: crm_decimal".
#[test]
fn sqlite_decimal_index_checks_in_a_stock_connection() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crm.db");
    decimal_indexed_file(&path);
    assert_eq!(stock_check(&path), "ok");
    let crm = Crm::open(&path).unwrap();
    let q = crm_core::Query::new("Potentials").order_by("amount");
    let names: Vec<String> = crm.find(q).unwrap().iter().map(|r| r.label.clone()).collect();
    assert_eq!(names, ["D3", "D4", "D1", "D0", "D5", "D2"]);
    let q = crm_core::Query::new("Potentials").filter(crm_core::Condition::cmp("amount", crm_core::Op::Gt, "9.50")).order_by("-amount");
    let names: Vec<String> = crm.find(q).unwrap().iter().map(|r| r.label.clone()).collect();
    assert_eq!(names, ["D2", "D5", "D0"]);
    let q = crm_core::Query::new("Potentials").filter(crm_core::Condition::cmp("amount", crm_core::Op::Eq, "10.5"));
    assert_eq!(crm.find(q).unwrap().len(), 1);
    // The index serves crm's decimal order and range tests.
    let m = crm.module("Potentials").unwrap().clone();
    let mut store = crm_core::storage::sqlite::SqliteStore::open(&path).unwrap();
    crm_core::storage::SchemaStore::load_schema(&mut store).unwrap();
    let q = crm_core::Query::new("Potentials").filter(crm_core::Condition::cmp("amount", crm_core::Op::Gt, "9.5")).order_by("-amount");
    let plan = store.query_plan(&q.normalize(&m).unwrap()).unwrap().join("\n");
    assert!(plan.contains("USING INDEX crm_ix_potentials"), "{plan}");
    assert!(!plan.contains("TEMP B-TREE"), "{plan}");
}

/// A file whose decimal index an older crm made with the collation is rebuilt when it opens.
#[test]
fn sqlite_decimal_index_of_an_older_layout_is_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crm.db");
    decimal_indexed_file(&path);
    {
        let store = crm_core::storage::sqlite::SqliteStore::open(&path).unwrap();
        let c = store.connection();
        let (name, table): (String, String) =
            c.query_row("SELECT name, tbl_name FROM sqlite_master WHERE name LIKE 'crm_ix_%'", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
        c.execute_batch(&format!("DROP INDEX \"{name}\"; CREATE INDEX \"{name}\" ON \"{table}\" (\"amount\" COLLATE crm_decimal)"))
            .unwrap();
    }
    assert!(stock_check(&path).contains("no such collation sequence: crm_decimal"));
    drop(Crm::open(&path).unwrap());
    assert_eq!(stock_check(&path), "ok");
}
