//! Transactions on every store: writes inside commit together, a rollback (asked, or an error of the
//! closure) takes every one of them back — records, change log, imports, schema changes — and the handle
//! goes on working afterwards.

mod support;

use crm_core::io::ImportOptions;
use crm_core::{Crm, Error, FieldType, Fields, NewField, Query};
use support::Backend;

fn deal(name: &str) -> Fields {
    Fields::new().with("potentialname", name).with("amount", "1000").with("sales_stage", "Prospecting").with("closingdate", "2027-03-31")
}

fn count(crm: &Crm, module: &str) -> u64 {
    crm.count(Query::new(module)).unwrap()
}

fn writes_inside_commit_together(b: Backend) {
    let mut t = b.crm();
    t.begin_transaction().unwrap();
    assert!(t.in_transaction());
    let a = t.create("Potentials", deal("A")).unwrap();
    t.create("Potentials", deal("B")).unwrap();
    t.update(a.id, Fields::new().with("amount", "2000")).unwrap();
    assert_eq!(count(&t, "Potentials"), 2, "the handle reads its own writes");
    t.commit_transaction().unwrap();
    assert!(!t.in_transaction());
    assert_eq!(count(&t, "Potentials"), 2);
    assert_eq!(t.get(a.id).unwrap().get("amount").to_string(), "2000.00");
    assert_eq!(t.history(a.id).unwrap().len(), 2);
    if t.db.is_shared() {
        let other = t.second_handle();
        assert_eq!(count(&other, "Potentials"), 2, "committed for every handle");
    }
}

fn a_rollback_takes_every_write_back(b: Backend) {
    let mut t = b.crm();
    let kept = t.create("Accounts", Fields::new().with("accountname", "Kept")).unwrap();
    t.begin_transaction().unwrap();
    t.create("Accounts", Fields::new().with("accountname", "Hooli")).unwrap();
    t.create("Potentials", deal("Gone").with("related_to", "Hooli")).unwrap();
    t.update(kept.id, Fields::new().with("accountname", "Renamed")).unwrap();
    t.rollback_transaction().unwrap();
    assert_eq!((count(&t, "Accounts"), count(&t, "Potentials")), (1, 0));
    assert_eq!(t.get(kept.id).unwrap().label, "Kept");
    assert_eq!(t.history(kept.id).unwrap().len(), 1);
    // The handle goes on: new records get fresh ids and the name "Hooli" is free again.
    let again = t.create("Accounts", Fields::new().with("accountname", "Hooli")).unwrap();
    assert!(again.id.0 > kept.id.0);
    let d = t.create("Potentials", deal("After").with("related_to", "Hooli")).unwrap();
    assert_eq!(d.get("related_to").as_ref_id(), Some(again.id));
    if t.db.is_shared() {
        assert_eq!(count(&t.second_handle(), "Accounts"), 2);
    }
}

fn the_closure_form_commits_or_rolls_back(b: Backend) {
    let mut t = b.crm();
    let n = t
        .transaction(|crm| {
            crm.create("Potentials", deal("One"))?;
            crm.create("Potentials", deal("Two"))?;
            Ok(2)
        })
        .unwrap();
    assert_eq!((n, count(&t, "Potentials")), (2, 2));
    let err = t
        .transaction(|crm| {
            crm.create("Potentials", deal("Three"))?;
            crm.create("Potentials", Fields::new().with("potentialname", "no stage, no date"))?; // refused
            Ok(())
        })
        .unwrap_err();
    assert_eq!(err.code(), "validation", "{err}");
    assert_eq!(count(&t, "Potentials"), 2, "Three went with the failed transaction");
    assert!(!t.in_transaction());
}

fn a_refused_save_inside_leaves_the_others(b: Backend) {
    let mut t = b.crm();
    t.begin_transaction().unwrap();
    t.create("Potentials", deal("Good")).unwrap();
    assert!(t.create("Potentials", Fields::new().with("potentialname", "Bad")).is_err());
    t.create("Potentials", deal("Also good")).unwrap();
    t.commit_transaction().unwrap();
    assert_eq!(count(&t, "Potentials"), 2);
}

fn transactions_do_not_nest_and_need_one_open(b: Backend) {
    let mut t = b.crm();
    assert!(matches!(t.commit_transaction(), Err(Error::Conflict(_))));
    assert!(matches!(t.rollback_transaction(), Err(Error::Conflict(_))));
    t.begin_transaction().unwrap();
    assert!(matches!(t.begin_transaction(), Err(Error::Conflict(_))));
    assert!(t.in_transaction(), "the open one stays open");
    t.commit_transaction().unwrap();
}

fn an_import_joins_the_transaction(b: Backend) {
    let mut t = b.crm();
    let csv = "Opportunity Name,Amount,Sales Stage,Expected Close Date\nA,1,Prospecting,2027-01-31\nB,2,Prospecting,2027-01-31\nC,3,Prospecting,2027-01-31\n";
    let o = ImportOptions { batch_size: 1, ..ImportOptions::default() };
    t.begin_transaction().unwrap();
    let r = t.import_csv(csv.as_bytes(), "Potentials", &o, None).unwrap();
    assert_eq!(r.created, 3);
    assert!(t.in_transaction(), "the import's batches did not end the caller's transaction");
    t.rollback_transaction().unwrap();
    assert_eq!(count(&t, "Potentials"), 0);
    assert!(t.imports().unwrap().is_empty(), "the journal went too");
    t.begin_transaction().unwrap();
    let r = t.import_csv(csv.as_bytes(), "Potentials", &o, None).unwrap();
    t.commit_transaction().unwrap();
    assert_eq!(count(&t, "Potentials"), 3);
    assert_eq!(t.undo_import(r.import_id).unwrap().deleted, 3, "an import committed in a transaction undoes as usual");
}

fn a_schema_change_rolls_back_too(b: Backend) {
    let mut t = b.crm();
    t.begin_transaction().unwrap();
    t.add_field("Potentials", NewField::new("Region", FieldType::Text).name("region")).unwrap();
    assert!(t.module("Potentials").unwrap().field("region").is_some());
    t.rollback_transaction().unwrap();
    assert!(t.module("Potentials").unwrap().field("region").is_none(), "the handle's schema is the stored one again");
    t.create("Potentials", deal("Plain")).unwrap();
    t.add_field("Potentials", NewField::new("Region", FieldType::Text).name("region")).unwrap();
    t.create("Potentials", deal("With region").with("region", "EU")).unwrap();
}

on_every_backend!(
    writes_inside_commit_together,
    a_rollback_takes_every_write_back,
    the_closure_form_commits_or_rolls_back,
    a_refused_save_inside_leaves_the_others,
    transactions_do_not_nest_and_need_one_open,
    an_import_joins_the_transaction,
    a_schema_change_rolls_back_too,
);
