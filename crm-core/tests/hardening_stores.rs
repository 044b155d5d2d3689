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
