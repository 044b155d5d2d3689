//! The fast write path keeps every rule: the same operations give the same change log, the same
//! auto-number decisions and the same references on the memory store, SQLite in memory and a SQLite file
//! (and PostgreSQL for the import's auto-number and reference checks, with the `postgres` feature).

use chrono::Duration;
use crm_core::clock::FixedClock;
use crm_core::storage::Store;
use crm_core::storage::memory::MemoryStore;
use crm_core::storage::sqlite::SqliteStore;
use crm_core::*;
use std::sync::Arc;

#[cfg(feature = "postgres")]
#[path = "support/pg.rs"]
mod pg;

/// What keeps a store's backing alive during a test: a SQLite file's folder, a PostgreSQL schema.
enum Keep {
    Nothing,
    Dir(tempfile::TempDir),
    #[cfg(feature = "postgres")]
    #[allow(dead_code)]
    Schema(pg::TestSchema),
}

/// A CRM on the store `kind`, its clock, and what keeps the store alive (bind it first, so that it is dropped
/// after the CRM).
fn env(kind: &str) -> (Keep, Crm, Arc<FixedClock>) {
    let clock = Arc::new(FixedClock::at("2026-11-20 10:00:00"));
    let (store, dir): (Box<dyn Store>, _) = match kind {
        "memory" => (Box::new(MemoryStore::new()), Keep::Nothing),
        "sqlite_memory" => (Box::new(SqliteStore::open_in_memory().unwrap()), Keep::Nothing),
        #[cfg(feature = "postgres")]
        "postgres" => {
            let schema = pg::TestSchema::new().unwrap();
            (Box::new(schema.store()), Keep::Schema(schema))
        }
        _ => {
            let dir = tempfile::tempdir().unwrap();
            (Box::new(SqliteStore::open(dir.path().join("crm.db")).unwrap()), Keep::Dir(dir))
        }
    };
    let mut crm = Crm::with_store(store).unwrap().with_clock(clock.clone());
    crm.add_user(NewUser::new("admin").full_name("Administrator").email("admin@example.com")).unwrap();
    crm.set_actor("admin").unwrap();
    (dir, crm, clock)
}

/// History entries without their storage ids (ids are per store).
fn log(crm: &Crm, id: RecordId) -> Vec<(ChangeKind, Vec<(String, Option<String>, Option<String>)>)> {
    crm.history(id).unwrap().into_iter().map(|h| (h.kind, h.changes.into_iter().map(|c| (c.field, c.before, c.after)).collect())).collect()
}

/// A creation is stored compactly by SQLite but reads back exactly as the memory store keeps it, field by
/// field; updates, deletes and restores keep their entries.
#[test]
fn change_log_reads_the_same_on_every_store() {
    let mut logs = Vec::new();
    for kind in ["memory", "sqlite_memory", "sqlite_file"] {
        let (_dir, mut crm, clock) = env(kind);
        let r = crm
            .create(
                "Potentials",
                Fields::new()
                    .with("potentialname", "Big deal, \"quoted\" and چند")
                    .with("amount", "1000.50")
                    .with("sales_stage", "Prospecting")
                    .with("closingdate", "2027-03-31")
                    .with("description", ""),
            )
            .unwrap();
        clock.advance(Duration::minutes(5));
        crm.update(r.id, Fields::new().with("amount", "2000").with("sales_stage", "Closed Won")).unwrap();
        crm.delete(r.id).unwrap();
        crm.restore(r.id).unwrap();
        let l = log(&crm, r.id);
        assert_eq!(l.len(), 4, "{kind}");
        if let Keep::Dir(dir) = &_dir {
            // The creation is one detail row holding every field; the update keeps one row per field.
            let other = SqliteStore::open(dir.path().join("crm.db")).unwrap();
            let rows: Vec<(String, i64)> = other
                .connection()
                .prepare("SELECT h.kind, count(d.history_id) FROM crm_history h LEFT JOIN crm_history_detail d ON d.history_id = h.id WHERE h.record_id = ?1 GROUP BY h.id ORDER BY h.id")
                .unwrap()
                .query_map([r.id.0], |x| Ok((x.get(0)?, x.get(1)?)))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert_eq!(rows[0], ("created".to_string(), 1));
            assert_eq!(rows[1].1 as usize, l[1].1.len());
        }
        assert_eq!(l[0].0, ChangeKind::Created);
        assert!(l[0].1.iter().all(|(_, before, _)| before.is_none()), "{kind}");
        assert!(l[0].1.iter().any(|(f, _, after)| f == "potentialname" && after.as_deref() == Some("Big deal, \"quoted\" and چند")));
        assert!(l[0].1.windows(2).all(|w| w[0].0 < w[1].0), "{kind}: fields in name order");
        assert!(l[1].1.iter().any(|(f, b, a)| f == "amount" && b.as_deref() == Some("1000.50") && a.as_deref() == Some("2000.00")));
        logs.push(l);
    }
    assert_eq!(logs[0], logs[1]);
    assert_eq!(logs[0], logs[2]);
}

/// Imported auto-numbers are kept only when free (live or in the recycle bin), on every store, and the
/// organizations named by the file are created once and then found by name.
#[test]
fn import_checks_numbers_and_reuses_references() {
    let mut kinds = vec!["memory", "sqlite_memory", "sqlite_file"];
    if cfg!(feature = "postgres") && std::env::var("CRM_TEST_POSTGRES_URL").is_ok_and(|u| !u.trim().is_empty()) {
        kinds.push("postgres");
    }
    for kind in kinds {
        let (_dir, mut crm, _clock) = env(kind);
        let first = crm
            .create(
                "Potentials",
                Fields::new().with("potentialname", "a").with("sales_stage", "Prospecting").with("closingdate", "2027-01-01"),
            )
            .unwrap();
        let taken = first.get("potential_no").to_text().unwrap();
        let binned = crm
            .create(
                "Potentials",
                Fields::new().with("potentialname", "b").with("sales_stage", "Prospecting").with("closingdate", "2027-01-01"),
            )
            .unwrap();
        let binned_no = binned.get("potential_no").to_text().unwrap();
        crm.delete(binned.id).unwrap();
        let csv = format!(
            "Opportunity Name,Opportunity Number,Organization Name,Sales Stage,Expected Close Date\n\
             x,{taken},Accounts::::Hooli,Prospecting,2027-01-01\n\
             y,{binned_no},Accounts::::hooli,Prospecting,2027-01-01\n\
             z,POT900,Accounts::::Initech,Prospecting,2027-01-01\n\
             w,POT900,Accounts::::Hooli,Prospecting,2027-01-01\n"
        );
        let options = io::ImportOptions { create_missing_references: true, ..Default::default() };
        let report = crm.import_csv(csv.as_bytes(), "Potentials", &options, None).unwrap();
        assert_eq!(report.created, 4, "{kind}: {report:?}");
        assert_eq!(report.references_created, 2, "{kind}: Hooli once (any case), Initech once");
        let rows = crm.find(Query::new("Potentials").filter(Condition::eq("source", "IMPORT"))).unwrap();
        let no = |name: &str| rows.iter().find(|r| r.label == name).unwrap().get("potential_no").to_text().unwrap();
        assert_ne!(no("x"), taken, "{kind}: a live record has it");
        assert_ne!(no("y"), binned_no, "{kind}: a record in the recycle bin has it");
        assert_eq!(no("z"), "POT900", "{kind}");
        assert_ne!(no("w"), "POT900", "{kind}: an earlier row of the same batch has it");
        let org = |name: &str| rows.iter().find(|r| r.label == name).unwrap().get("related_to").clone();
        assert_eq!(org("x"), org("y"), "{kind}");
        assert_eq!(org("x"), org("w"), "{kind}");
        assert_ne!(org("x"), org("z"), "{kind}");
        // A renamed organization is not found under its old name any more: a new one is created.
        let hooli = org("x").as_ref_id().unwrap();
        crm.update(hooli, Fields::new().with("accountname", "Hooli XYZ")).unwrap();
        let csv = "Opportunity Name,Organization Name,Sales Stage,Expected Close Date\nv,Accounts::::Hooli,Prospecting,2027-01-01\n";
        let report = crm.import_csv(csv.as_bytes(), "Potentials", &options, None).unwrap();
        assert_eq!(report.references_created, 1, "{kind}");
    }
}

/// Inside an import's unit of work the auto-number counter is counted in memory and stored when each
/// batch commits: numbers run on without gaps or repeats, and another handle of the same file continues
/// after them.
#[test]
fn auto_numbers_of_a_batched_import_are_stored_with_each_batch() {
    for kind in ["memory", "sqlite_memory", "sqlite_file"] {
        let (dir, mut crm, _clock) = env(kind);
        let mut csv = String::from("Opportunity Name,Sales Stage,Expected Close Date\n");
        for i in 0..2_500 {
            csv.push_str(&format!("deal {i},Prospecting,2027-01-01\n"));
        }
        let options = io::ImportOptions { batch_size: 1_000, ..Default::default() };
        let report = crm.import_csv(csv.as_bytes(), "Potentials", &options, None).unwrap();
        assert_eq!(report.created, 2_500, "{kind}");
        let mut numbers: Vec<u64> = crm
            .find(Query::new("Potentials"))
            .unwrap()
            .iter()
            .map(|r| r.get("potential_no").to_text().unwrap().trim_start_matches("POT").parse().unwrap())
            .collect();
        numbers.sort_unstable();
        assert_eq!(numbers, (1..=2_500).collect::<Vec<_>>(), "{kind}: consecutive, no repeats");
        assert_eq!(crm.auto_number("Potentials").unwrap().next, "2501", "{kind}");
        let fields = Fields::new().with("potentialname", "after").with("sales_stage", "Prospecting").with("closingdate", "2027-01-01");
        if let Keep::Dir(dir) = &dir {
            let mut other = Crm::open(dir.path().join("crm.db").to_str().unwrap()).unwrap();
            other.set_actor("admin").unwrap();
            assert_eq!(other.create("Potentials", fields.clone()).unwrap().get("potential_no").to_string(), "POT2501", "{kind}");
        }
        let next = crm.create("Potentials", fields).unwrap().get("potential_no").to_text().unwrap();
        assert!(next.trim_start_matches("POT").parse::<u64>().unwrap() > 2_500, "{kind}: {next}");
    }
}
