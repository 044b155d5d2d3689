//! PostgreSQL's change feed keeps commit order: a transaction that appends to the change log while another
//! one holds an earlier position (not yet committed) waits for it, so no reader ever sees a later position
//! before an earlier one.
#![cfg(feature = "postgres")]

use crm_core::storage::postgres::PostgresStore;
use crm_core::storage::{ChangeSet, RecordChange, SchemaStore, Store};
use crm_core::{ChangeKind, Crm, HistoryEntry, RecordId};
use std::sync::mpsc;
use std::time::Duration;

mod support;

fn entry(record: i64) -> ChangeSet {
    let at = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).and_then(|d| d.and_hms_opt(10, 0, 0)).unwrap();
    let mut cs = ChangeSet::new();
    cs.push(RecordChange::History(HistoryEntry::new(RecordId(record), "Accounts", "admin", at, ChangeKind::Updated, vec![])));
    cs
}

fn handle(s: &support::pg::TestSchema) -> PostgresStore {
    let mut store = s.store();
    store.load_schema().unwrap();
    store
}

#[test]
fn a_later_writer_waits_for_the_earlier_position_to_commit() {
    let Some(schema) = support::pg::TestSchema::new() else { return };
    let reader = Crm::with_store(Box::new(schema.store())).unwrap(); // installs the store
    let start = reader.changes_position().unwrap();

    // Both handles open first: opening a store (its migration) while a unit holds rows would wait for it.
    let mut first = handle(&schema);
    let mut second = handle(&schema);
    first.begin_unit().unwrap();
    first.commit(&entry(1)).unwrap(); // holds its position, not committed

    let (done, finished) = mpsc::channel();
    let writer = std::thread::spawn(move || {
        second.commit(&entry(2)).unwrap();
        done.send(()).unwrap();
    });
    // Checked after the unit ends, so that a failure never leaves the unit (and its locks) open.
    let waited = finished.recv_timeout(Duration::from_millis(500)).is_err();
    let nothing_yet = reader.changes(Some(start), 10, &[]).map(|e| e.is_empty());
    first.end_unit(true).unwrap();
    finished.recv_timeout(Duration::from_secs(30)).unwrap();
    writer.join().unwrap();
    assert!(waited, "the second writer waits for the first to commit");
    assert!(nothing_yet.unwrap(), "nothing committed yet");
    let seen: Vec<(i64, Option<RecordId>)> = reader.changes(Some(start), 10, &[]).unwrap().iter().map(|e| (e.position, e.record)).collect();
    assert_eq!(seen.len(), 2);
    assert_eq!((seen[0].1, seen[1].1), (Some(RecordId(1)), Some(RecordId(2))), "commit order: {seen:?}");
    assert!(seen[0].0 < seen[1].0);
}

#[test]
fn a_rolled_back_position_is_a_gap() {
    let Some(schema) = support::pg::TestSchema::new() else { return };
    let reader = Crm::with_store(Box::new(schema.store())).unwrap();
    let start = reader.changes_position().unwrap();
    let mut w = handle(&schema);
    w.begin_unit().unwrap();
    w.commit(&entry(1)).unwrap();
    w.end_unit(false).unwrap();
    w.commit(&entry(2)).unwrap();
    let seen = reader.changes(Some(start), 10, &[]).unwrap();
    assert_eq!(seen.iter().map(|e| e.record).collect::<Vec<_>>(), [Some(RecordId(2))]);
    assert!(seen[0].position > start + 1, "the rolled-back position is not handed out again");
}
