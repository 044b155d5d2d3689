//! Races between handles of one shared database (a SQLite file, a PostgreSQL schema), closed at the
//! storage level.
//!
//! Each test makes two or more handles act at the same instant (threads released together by a
//! [`Barrier`]) and checks an invariant that must hold whatever the interleaving. Where the outcome
//! depends on timing, the race is run a bounded number of rounds, with the second handle's start shifted a
//! little further each round so that the rounds sweep the window in which the handles overlap.
//!
//! * two handles opening the same empty database install one set of defaults, and overwrite nothing;
//! * a purge racing a restore and edit from another handle is refused, and nothing live is erased;
//! * a picklist rename or a custom field delete racing a save planned before it: the save never writes
//!   the old value back (rewritten records get a new version and a change-log entry, so the save is
//!   refused with `Conflict`);
//! * exporting "all" records while another handle edits reads one consistent state: no row twice or
//!   missing.

mod support;

use crm_core::io::ExportOptions;
use crm_core::{ChangeKind, Crm, Error, ExportSelection, FieldType, Fields, NewField, NewUser, Query, RecordId, Visibility};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};
use support::Backend;

/// Busy-waits `d` (a sleep is far too coarse to shift a race by a few round trips).
fn spin(d: Duration) {
    let until = Instant::now() + d;
    while Instant::now() < until {
        std::hint::spin_loop();
    }
}

/// Where the later of two racing handles starts: swept from 0 to the longest time the other side took so
/// far, over [`SWEEP_STEPS`] rounds (then again), so that the rounds cover the window in which they overlap
/// on any backend (a PostgreSQL round trip is far longer than a SQLite statement).
#[derive(Default)]
struct Sweep {
    longest: Duration,
}

/// Rounds per sweep.
const SWEEP_STEPS: u32 = 12;

impl Sweep {
    /// The delay of round `round`.
    fn delay(&self, round: usize) -> Duration {
        self.longest * (round as u32 % SWEEP_STEPS) / SWEEP_STEPS
    }

    /// Runs the slower side, timing it.
    fn time<T>(&self, f: impl FnOnce() -> T) -> (T, Duration) {
        let start = Instant::now();
        (f(), start.elapsed())
    }

    /// Notes how long the slower side took.
    fn saw(&mut self, took: Duration) {
        self.longest = self.longest.max(took);
    }
}

fn admin(crm: &mut Crm) {
    if crm.user("admin").is_err() {
        crm.add_user(NewUser::new("admin").full_name("Administrator")).unwrap();
    }
    crm.set_actor("admin").unwrap();
}

fn account(name: &str) -> Fields {
    Fields::new().with("accountname", name)
}

// ----- two handles opening the same empty database -----

/// Handles that open one empty database at the same instant.
const OPENERS: usize = 3;

fn concurrent_opens_install_one_set_of_defaults(b: Backend) {
    // What one handle alone installs.
    let reference = Crm::open(":memory:").unwrap();
    let modules: Vec<String> = reference.schema().modules.keys().cloned().collect();
    let workflows_of = |crm: &Crm| -> Vec<String> {
        let mut names: Vec<String> =
            modules.iter().flat_map(|m| crm.workflows(m).unwrap()).map(|w| format!("{}/{}", w.module, w.name)).collect();
        names.sort();
        names
    };
    let system_filters = |crm: &Crm| -> Vec<String> {
        let mut names: Vec<String> =
            crm.filters("Potentials").unwrap().into_iter().filter(|f| f.visibility == Visibility::System).map(|f| f.name).collect();
        names.sort();
        names
    };
    let (want_workflows, want_filters) = (workflows_of(&reference), system_filters(&reference));
    assert!(!want_workflows.is_empty() && !want_filters.is_empty());
    for round in 0..4 {
        let mut db = b.database().unwrap();
        // The stores are connected (and the tables created) first: the race is the defaults.
        let stores: Vec<_> = (0..OPENERS).map(|_| db.store()).collect();
        let barrier = Arc::new(Barrier::new(OPENERS));
        let workers: Vec<_> = stores
            .into_iter()
            .enumerate()
            .map(|(i, store)| {
                let barrier = Arc::clone(&barrier);
                std::thread::spawn(move || -> crm_core::Result<Option<String>> {
                    barrier.wait();
                    let mut crm = Crm::with_store(store)?;
                    if i > 0 {
                        return Ok(None);
                    }
                    // The first handle goes on at once: a custom field and a numbered record, which a
                    // late install must not overwrite or renumber.
                    admin(&mut crm);
                    crm.add_field("Potentials", NewField::new("Region", FieldType::Text).name("cf_region"))?;
                    let r = crm.create(
                        "Potentials",
                        Fields::new()
                            .with("potentialname", "first")
                            .with("sales_stage", "Qualification")
                            .with("closingdate", "2027-01-31")
                            .with("cf_region", "EU"),
                    )?;
                    Ok(Some(r.get("potential_no").to_string()))
                })
            })
            .collect();
        let results: Vec<_> = workers.into_iter().map(|w| w.join().unwrap()).collect();
        for r in &results {
            assert!(r.is_ok(), "round {round}: an opening handle failed: {r:?}");
        }
        let first_number = results[0].as_ref().unwrap().clone().unwrap();
        let mut after = db.crm_with_clock(Arc::new(crm_core::clock::FixedClock::at(support::START)));
        admin(&mut after);
        assert_eq!(system_filters(&after), want_filters, "round {round}: default filters");
        assert_eq!(workflows_of(&after), want_workflows, "round {round}: default workflows");
        let m = after.module("Potentials").unwrap();
        assert!(m.field("cf_region").is_some(), "round {round}: the custom field was overwritten by a late install");
        assert_eq!(after.schema().version, 2, "round {round}: schema version");
        assert_eq!(after.schema_changes().unwrap().len(), 1, "round {round}: schema change log");
        assert_eq!(first_number, "POT1", "round {round}");
        assert_eq!(after.auto_number("Potentials").unwrap().next, "2", "round {round}: auto-number state");
        let found = after.find(Query::new("Potentials")).unwrap();
        assert_eq!(found.len(), 1, "round {round}");
        assert_eq!(found[0].get("cf_region").to_string(), "EU", "round {round}: the record lost its custom value");
    }
}
// ----- purge racing a restore and edit -----

/// Rounds of the purge race.
const PURGE_ROUNDS: usize = 96;

fn purge_racing_a_restore_and_edit_is_refused(b: Backend) {
    let mut t = b.try_crm().unwrap();
    let mut other = t.second_handle();
    let (mut refused, mut sweep) = (0, Sweep::default());
    for round in 0..PURGE_ROUNDS {
        let r = t.crm.create("Accounts", account(&format!("Bin {round}"))).unwrap();
        t.crm.delete(r.id).unwrap();
        // Handle A lists the recycle bin and picks the record to purge.
        let listed = t.crm.find(Query::new("Accounts").in_recycle_bin()).unwrap();
        assert!(listed.iter().any(|x| x.id == r.id));
        let barrier = Barrier::new(2);
        let (a, bh) = (&mut t.crm, &mut other);
        let delay = sweep.delay(round);
        let sweep = &mut sweep;
        let (purged, restored) = std::thread::scope(|s| {
            let purge = s.spawn(|| {
                barrier.wait();
                spin(delay); // the restore takes longer: the purge starts later and later into it
                a.purge(r.id)
            });
            let restore = s.spawn(|| {
                barrier.wait();
                let (restored, took) = sweep.time(|| bh.restore(r.id));
                sweep.saw(took);
                bh.update(r.id, Fields::new().with("website", format!("www.edited{round}.example")))?;
                restored
            });
            (purge.join().unwrap(), restore.join().unwrap())
        });
        let now = t.crm.get(r.id);
        match (&purged, &restored) {
            (Ok(()), Ok(_)) => panic!("round {round}: the purge erased a record another handle had restored and edited"),
            (Ok(()), Err(e)) => {
                assert!(matches!(e, Error::NotFound(_)), "round {round}: restore after the purge: {e:?}");
                assert!(now.is_err(), "round {round}: purged, yet readable");
            }
            (Err(e), Ok(_)) => {
                assert!(matches!(e, Error::Conflict(_)), "round {round}: a refused purge is a Conflict: {e:?}");
                let now = now.unwrap_or_else(|e| panic!("round {round}: the restored record is gone: {e:?}"));
                assert!(!now.deleted, "round {round}");
                assert_eq!(now.get("website").to_string(), format!("www.edited{round}.example"), "round {round}");
                refused += 1;
            }
            (Err(p), Err(e)) => panic!("round {round}: both failed: purge {p:?}, restore {e:?}"),
        }
    }
    eprintln!("{}: {refused} of {PURGE_ROUNDS} purges were refused", b.name());
}
// ----- picklist rename and field delete racing a save -----

/// Rounds of the picklist and field races.
const REWRITE_ROUNDS: usize = 24;

fn rewritten_records_get_a_new_version_and_a_log_entry(b: Backend) {
    let mut t = b.try_crm().unwrap();
    let mut other = t.second_handle();
    let tier = t.crm.add_field("Accounts", NewField::new("Tier", FieldType::Picklist).values(&["Gold", "Silver"])).unwrap();
    let notes = t.crm.add_field("Accounts", NewField::new("Notes", FieldType::Text)).unwrap();
    let r = t.crm.create("Accounts", account("Hooli").with(tier.name.as_str(), "Gold").with(notes.name.as_str(), "call back")).unwrap();
    let untouched = t.crm.create("Accounts", account("Initech").with(tier.name.as_str(), "Silver")).unwrap();
    // Another handle read the record before the rename.
    let seen = other.get(r.id).unwrap();
    t.crm.rename_picklist_value("Accounts", &tier.name, "Gold", "Platinum").unwrap();
    let now = t.crm.get(r.id).unwrap();
    assert_eq!(now.get(&tier.name).to_string(), "Platinum");
    assert_eq!(now.version, seen.version + 1, "a rewritten record gets a new version");
    let last = t.crm.history(r.id).unwrap().pop().unwrap();
    assert_eq!(last.kind, ChangeKind::Updated);
    assert_eq!(last.actor, "admin");
    assert_eq!(
        (last.changes[0].field.as_str(), last.changes[0].before.as_deref(), last.changes[0].after.as_deref()),
        (tier.name.as_str(), Some("Gold"), Some("Platinum"))
    );
    assert_eq!(t.crm.get(untouched.id).unwrap().version, untouched.version, "records without the value are not touched");
    // A save based on the version read before the rename is refused, and can be retried.
    let err = other.update_version(r.id, seen.version, Fields::new().with("website", "www.hooli.example")).unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
    let saved = other.update(r.id, Fields::new().with("website", "www.hooli.example")).unwrap();
    assert_eq!(saved.get(&tier.name).to_string(), "Platinum");
    // Deleting a custom field: the records that held a value get a new version and a log entry too.
    let before = t.crm.get(r.id).unwrap();
    t.crm.delete_field("Accounts", &notes.name).unwrap();
    let now = t.crm.get(r.id).unwrap();
    assert_eq!(now.version, before.version + 1);
    let last = t.crm.history(r.id).unwrap().pop().unwrap();
    assert_eq!(
        (last.changes[0].field.as_str(), last.changes[0].before.as_deref(), last.changes[0].after.clone()),
        (notes.name.as_str(), Some("call back"), None)
    );
    assert_eq!(t.crm.get(untouched.id).unwrap().version, untouched.version);
}

fn picklist_rename_racing_a_save_never_writes_the_old_value_back(b: Backend) {
    let mut t = b.try_crm().unwrap();
    let mut other = t.second_handle();
    let tier = t.crm.add_field("Accounts", NewField::new("Tier", FieldType::Picklist).values(&["T0", "Other"])).unwrap();
    let r = t.crm.create("Accounts", account("Hooli").with(tier.name.as_str(), "T0")).unwrap();
    let (mut conflicts, mut sweep) = (0, Sweep::default());
    for round in 0..REWRITE_ROUNDS {
        let (old, new) = (format!("T{round}"), format!("T{}", round + 1));
        let barrier = Barrier::new(2);
        let (a, bh) = (&mut t.crm, &mut other);
        let delay = sweep.delay(round);
        let sweep = &mut sweep;
        let (renamed, saved) = std::thread::scope(|s| {
            let rename = s.spawn(|| {
                barrier.wait();
                let (out, took) = sweep.time(|| a.rename_picklist_value("Accounts", &tier.name, &old, &new));
                sweep.saw(took);
                out
            });
            let save = s.spawn(|| {
                barrier.wait();
                spin(delay); // the rename takes longer: the save starts later and later into it
                bh.update(r.id, Fields::new().with("website", format!("www.r{round}.example")))
            });
            (rename.join().unwrap(), save.join().unwrap())
        });
        renamed.unwrap_or_else(|e| panic!("round {round}: rename failed: {e:?}"));
        match saved {
            Ok(_) => {}
            Err(Error::Conflict(_)) => {
                conflicts += 1;
                other.update(r.id, Fields::new().with("website", format!("www.r{round}.example"))).unwrap();
            }
            Err(e) => panic!("round {round}: save failed: {e:?}"),
        }
        let now = t.crm.get(r.id).unwrap();
        assert_eq!(now.get(&tier.name).to_string(), new, "round {round}: the racing save wrote the renamed value '{old}' back");
        assert_eq!(now.get("website").to_string(), format!("www.r{round}.example"), "round {round}");
    }
    eprintln!("{}: {conflicts} of {REWRITE_ROUNDS} racing saves were refused and retried", b.name());
}

fn field_delete_racing_a_save_never_writes_the_old_value_back(b: Backend) {
    let mut t = b.try_crm().unwrap();
    let mut other = t.second_handle();
    let r = t.crm.create("Accounts", account("Hooli")).unwrap();
    let mut sweep = Sweep::default();
    for round in 0..REWRITE_ROUNDS {
        // The same field (same column) comes back each round: a value written back would reappear.
        t.crm.add_field("Accounts", NewField::new("Scratch", FieldType::Text).name("cf_scratch")).unwrap();
        let fresh = t.crm.get(r.id).unwrap();
        assert!(fresh.get("cf_scratch").is_empty(), "round {round}: a value of the deleted field came back: {}", fresh.get("cf_scratch"));
        t.crm.update(r.id, Fields::new().with("cf_scratch", format!("old {round}"))).unwrap();
        other.refresh_schema().unwrap();
        let barrier = Barrier::new(2);
        let (a, bh) = (&mut t.crm, &mut other);
        let delay = sweep.delay(round);
        let sweep = &mut sweep;
        let (deleted, saved) = std::thread::scope(|s| {
            let delete = s.spawn(|| {
                barrier.wait();
                let (out, took) = sweep.time(|| a.delete_field("Accounts", "cf_scratch"));
                sweep.saw(took);
                out
            });
            let save = s.spawn(|| {
                barrier.wait();
                spin(delay); // the delete takes longer: the save starts later and later into it
                bh.update(r.id, Fields::new().with("website", format!("www.r{round}.example")))
            });
            (delete.join().unwrap(), save.join().unwrap())
        });
        deleted.unwrap_or_else(|e| panic!("round {round}: delete failed: {e:?}"));
        match saved {
            Ok(_) | Err(Error::Conflict(_)) => {}
            Err(e) => panic!("round {round}: save failed: {e:?}"),
        }
    }
    t.crm.add_field("Accounts", NewField::new("Scratch", FieldType::Text).name("cf_scratch")).unwrap();
    let last = t.crm.get(r.id).unwrap();
    assert!(last.get("cf_scratch").is_empty(), "a value of the deleted field came back: {}", last.get("cf_scratch"));
}
// ----- export while others edit -----

/// Records exported (several of the export's pages).
const EXPORT_ROWS: usize = 1_600;

/// What an export wrote: account name → website.
fn exported(csv: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8(csv.to_vec()).unwrap();
    text.lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| l.split_once(',').map(|(a, b)| (a.to_string(), b.to_string())).unwrap())
        .collect()
}

fn export_all_reads_one_consistent_state_while_another_handle_edits(b: Backend) {
    let mut t = b.try_crm().unwrap();
    let mut other = t.second_handle();
    let mut state: BTreeMap<String, String> = BTreeMap::new();
    let mut ids: Vec<(RecordId, String)> = Vec::new();
    for i in 0..EXPORT_ROWS {
        let name = format!("Acct{i:05}");
        let r = t.crm.create("Accounts", account(&name).with("website", "www.v0.example")).unwrap();
        state.insert(name.clone(), "www.v0.example".into());
        ids.push((r.id, name));
    }
    let options = ExportOptions { columns: vec!["accountname".into(), "website".into()], ..ExportOptions::default() };
    for round in 0..3 {
        // The states the editor went through, in order: the export must match exactly one of them.
        let mut states = vec![state.clone()];
        let done = AtomicBool::new(false);
        let barrier = Barrier::new(2);
        let clock = &t.clock;
        let (a, bh) = (&mut t.crm, &mut other);
        let (done, barrier, options, ids) = (&done, &barrier, &options, &ids);
        let (csv, edits) = std::thread::scope(|s| {
            let export = s.spawn(move || {
                barrier.wait();
                let mut out = Vec::new();
                let n = a.export_csv(&mut out, "Accounts", &ExportSelection::All(Query::new("Accounts")), options);
                done.store(true, Ordering::SeqCst);
                n.map(|_| out)
            });
            let edit = s.spawn(move || {
                barrier.wait();
                let mut edits: Vec<(String, Option<String>)> = Vec::new();
                let mut k = 0usize;
                // Edits move records across the export's pages: a newer modified time sorts first, a
                // deleted record shifts the rest, a new one is inserted at the top.
                while !done.load(Ordering::SeqCst) && k < 400 {
                    clock.advance(chrono::Duration::seconds(1));
                    let (id, name) = ids[(k * 7919 + round * 31) % ids.len()].clone();
                    match k % 10 {
                        9 => {
                            let name = format!("New{round}x{k:04}");
                            bh.create("Accounts", account(&name).with("website", "www.new.example")).unwrap();
                            edits.push((name, Some("www.new.example".into())));
                        }
                        7 if bh.get(id).is_ok_and(|r| !r.deleted) => {
                            bh.delete(id).unwrap();
                            edits.push((name, None));
                        }
                        _ => {
                            if bh.get(id).is_ok_and(|r| !r.deleted) {
                                let v = format!("www.r{round}k{k}.example");
                                bh.update(id, Fields::new().with("website", v.as_str())).unwrap();
                                edits.push((name, Some(v)));
                            }
                        }
                    }
                    k += 1;
                }
                edits
            });
            (export.join().unwrap().unwrap(), edit.join().unwrap())
        });
        for (name, value) in &edits {
            match value {
                Some(v) => state.insert(name.clone(), v.clone()),
                None => state.remove(name),
            };
            states.push(state.clone());
        }
        eprintln!("{} round {round}: {} edits ran beside the export", b.name(), edits.len());
        let rows = exported(&csv);
        let names: BTreeSet<&String> = rows.iter().map(|(n, _)| n).collect();
        assert_eq!(names.len(), rows.len(), "round {round}: a row was exported twice ({} edits ran beside the export)", edits.len());
        let got: BTreeMap<String, String> = rows.into_iter().collect();
        assert!(
            states.contains(&got),
            "round {round}: the export matches no state the database was in ({} rows exported, {} edits ran beside it)",
            got.len(),
            edits.len()
        );
    }
}

on_shared_backends!(
    concurrent_opens_install_one_set_of_defaults,
    purge_racing_a_restore_and_edit_is_refused,
    rewritten_records_get_a_new_version_and_a_log_entry,
    picklist_rename_racing_a_save_never_writes_the_old_value_back,
    field_delete_racing_a_save_never_writes_the_old_value_back,
    export_all_reads_one_consistent_state_while_another_handle_edits,
);
