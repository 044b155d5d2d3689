//! The change feed under concurrent writers (a SQLite file and PostgreSQL, each writer its own handle and
//! thread): a consumer reading while they write sees every change exactly once, in order, and a consumer
//! restarting from its stored position on another handle misses nothing.

use crm_core::{ChangeKind, Crm, Fields, RecordId};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use support::Backend;

mod support;

const WRITERS: usize = 3;
const RECORDS: usize = 25;

/// Creates `RECORDS` organizations and updates each once.
fn write(mut crm: Crm, w: usize) -> Vec<RecordId> {
    let mut ids = Vec::new();
    for i in 0..RECORDS {
        let org = crm.create("Accounts", Fields::new().with("accountname", format!("W{w} org {i}"))).unwrap();
        crm.update(org.id, Fields::new().with("website", format!("https://w{w}-{i}.example"))).unwrap();
        ids.push(org.id);
    }
    ids
}

/// Reads the feed in small pages until `done` is set and the feed is drained; returns the positions and
/// events seen, and stops early (returning what it saw) after `stop_after` events when given.
fn consume(crm: &Crm, since: i64, done: &AtomicBool, stop_after: Option<usize>) -> Vec<crm_core::ChangeEvent> {
    let mut seen = Vec::new();
    let mut at = since;
    loop {
        let finished = done.load(Ordering::SeqCst);
        let page = crm.changes(Some(at), 4, &["Accounts"]).unwrap();
        if page.is_empty() {
            if finished {
                return seen;
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
            continue;
        }
        for e in page {
            assert!(e.position > at, "position {} after {at}", e.position);
            at = e.position;
            seen.push(e);
            if stop_after.is_some_and(|n| seen.len() >= n) {
                return seen;
            }
        }
    }
}

fn consumers_see_every_change_once_in_order(b: Backend) {
    let mut t = b.crm();
    let start = t.changes_position().unwrap();
    let writers: Vec<Crm> = (0..WRITERS).map(|_| t.second_handle()).collect();
    let first_reader = t.second_handle();
    let second_reader = t.second_handle();
    let done = Arc::new(AtomicBool::new(false));

    let handles: Vec<_> = writers.into_iter().enumerate().map(|(w, crm)| std::thread::spawn(move || write(crm, w))).collect();
    // The first consumer stops part-way (its process "restarts"); the second resumes from its position.
    let half = WRITERS * RECORDS;
    let d = Arc::clone(&done);
    let reader = std::thread::spawn(move || {
        let first = consume(&first_reader, start, &d, Some(half));
        let stored = first.last().map_or(start, |e| e.position);
        let rest = consume(&second_reader, stored, &d, None);
        (first, rest)
    });
    let written: Vec<Vec<RecordId>> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    done.store(true, Ordering::SeqCst);
    let (first, rest) = reader.join().unwrap();

    let seen: Vec<_> = first.into_iter().chain(rest).collect();
    // Exactly the feed as it reads once every writer finished: nothing skipped, nothing twice.
    let after: Vec<i64> = t.changes_iter(Some(start), &["Accounts"]).map(|e| e.unwrap().position).collect();
    assert_eq!(seen.iter().map(|e| e.position).collect::<Vec<_>>(), after);
    assert_eq!(seen.len(), WRITERS * RECORDS * 2);
    // Each record: created, then updated, in that order.
    let mut per: HashMap<RecordId, Vec<ChangeKind>> = HashMap::new();
    for e in &seen {
        per.entry(e.record.unwrap()).or_default().push(e.kind);
    }
    for id in written.iter().flatten() {
        assert_eq!(per[id], [ChangeKind::Created, ChangeKind::Updated], "record {id}");
    }
}

on_shared_backends!(consumers_see_every_change_once_in_order);
