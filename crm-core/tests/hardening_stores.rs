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

/// A SQLite file with a declared index on a decimal field opens in a stock SQLite (one that registers no
/// crm function or collation) and passes `PRAGMA integrity_check` there.
///
/// Known to fail today: declared indexes on decimal columns use the connection-local collation
/// `crm_decimal`, so a stock connection answers "no such collation sequence: crm_decimal" to
/// `integrity_check` and to every write to that table. Kept ignored until the index uses a key stock SQLite
/// can evaluate.
#[test]
#[ignore = "decimal indexes on SQLite still use the crm_decimal collation"]
fn sqlite_decimal_index_checks_in_a_stock_connection() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crm.db");
    {
        let mut crm = Crm::open(&path).unwrap();
        crm.add_user(crm_core::NewUser::new("admin")).unwrap();
        crm.set_actor("admin").unwrap();
        crm.add_index("Potentials", &["amount"]).unwrap();
        for (n, amount) in ["10", "9.5", "100"].iter().enumerate() {
            let f = Fields::new()
                .with("potentialname", format!("D{n}"))
                .with("sales_stage", "Prospecting")
                .with("closingdate", "2027-01-01")
                .with("amount", *amount);
            crm.create("Potentials", f).unwrap();
        }
    }
    let stock = rusqlite::Connection::open(&path).unwrap();
    let check: String = stock.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
}
