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

#![allow(unused_imports, dead_code)] // the other races follow in the next commits

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

on_shared_backends!(
    purge_racing_a_restore_and_edit_is_refused,
);
