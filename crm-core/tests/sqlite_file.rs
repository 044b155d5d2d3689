//! What only the SQLite adapter can show: the file's layout, pragmas and versioning; and what a file shares
//! with PostgreSQL (reopening, two handles), run on both.

use crm_core::storage::sqlite::{LAYOUT_VERSION, SqliteStore};
use crm_core::*;
use support::Backend;

mod support;

/// A handle on the database at `location` (a file path or a PostgreSQL URL), acting as admin (added on a
/// new database).
fn open(location: impl AsRef<std::ffi::OsStr>) -> Crm {
    let mut crm = Crm::open(location.as_ref().to_str().unwrap()).unwrap();
    if crm.users().unwrap().is_empty() {
        crm.add_user(NewUser::new("admin").full_name("Administrator")).unwrap();
    }
    crm.set_actor("admin").unwrap();
    crm
}

#[test]
fn layout_is_relational_and_readable() {
    let db = Backend::SqliteFile.db();
    let path = db.path().unwrap();
    let id = {
        let mut crm = open(&path);
        crm.create(
            "Potentials",
            Fields::new()
                .with("potentialname", "Big deal")
                .with("amount", "1000")
                .with("sales_stage", "Qualification")
                .with("closingdate", "2027-03-31"),
        )
        .unwrap()
        .id
    };
    // A plain connection, as the sqlite3 shell or pandas would open it: no crm functions registered.
    let conn = rusqlite::Connection::open(&path).unwrap();
    let (name, amount, prob, stage, close): (String, String, String, String, String) = conn
        .query_row("SELECT potentialname, amount, probability, sales_stage, closingdate FROM potentials WHERE id = ?1", [id.0], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap();
    assert_eq!(
        (name.as_str(), amount.as_str(), prob.as_str(), stage.as_str(), close.as_str()),
        ("Big deal", "1000.00", "20.000", "Qualification", "2027-03-31")
    );
    // Money is exact text, never REAL.
    let ty: String = conn.query_row("SELECT typeof(amount) FROM potentials", [], |r| r.get(0)).unwrap();
    assert_eq!(ty, "text");
    let cols: Vec<(String, String)> = conn
        .prepare("SELECT name, type FROM pragma_table_info('potentials')")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(cols.iter().all(|(_, t)| t != "REAL"));
    for f in Schema::builtin().module("Potentials").unwrap().fields.iter() {
        assert!(cols.iter().any(|(c, _)| c == &f.name), "column for {}", f.name);
    }
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for t in ["accounts", "contacts", "leads", "potentials", "crm_entity", "crm_history", "crm_stage_history", "crm_users"] {
        assert!(tables.iter().any(|x| x == t), "table {t}");
    }
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
    let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(v, LAYOUT_VERSION);
    let ok: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(ok, "ok");
    // Plain SQL over the file works without crm's functions (the shell's ORDER BY, GROUP BY, ...).
    let n: i64 = conn.query_row("SELECT count(*) FROM potentials GROUP BY sales_stage ORDER BY amount", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 1);
}

fn reopening_keeps_everything(backend: Backend) {
    let db = backend.db();
    let path = db.location().unwrap();
    let (id, no) = {
        let mut crm = open(&path);
        crm.set_stage_probability_autofill(false).unwrap();
        let r = crm
            .create(
                "Potentials",
                Fields::new().with("potentialname", "a").with("sales_stage", "Prospecting").with("closingdate", "2027-01-01"),
            )
            .unwrap();
        (r.id, r.get("potential_no").to_string())
    };
    let mut crm = open(&path);
    assert!(!crm.schema().settings.stage_probability_autofill, "settings persist");
    assert_eq!(crm.get(id).unwrap().get("potential_no").to_string(), no);
    let r2 = crm
        .create("Potentials", Fields::new().with("potentialname", "b").with("sales_stage", "Prospecting").with("closingdate", "2027-01-01"))
        .unwrap();
    assert_eq!(r2.get("potential_no").to_string(), "POT2", "the counter continues");
    assert!(r2.id.0 > id.0);
    assert_eq!(crm.history(id).unwrap().len(), 1);
}

#[test]
fn newer_database_is_refused() {
    let db = Backend::SqliteFile.db();
    let path = db.path().unwrap();
    drop(open(&path));
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", LAYOUT_VERSION + 1).unwrap();
    drop(conn);
    let err = SqliteStore::open(&path).unwrap_err();
    assert_eq!(err.code(), "incompatible_version");
    assert!(err.to_string().contains("newer"));
}

#[test]
fn not_a_database_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("garbage.db");
    std::fs::write(&path, b"this is not a sqlite database, just some text that is long enough to look like a header....").unwrap();
    let err = Crm::open(path.to_str().unwrap()).unwrap_err();
    assert_eq!(err.code(), "corrupt");
    let err = Crm::open(dir.path().join("no/such/dir/crm.db").to_str().unwrap()).unwrap_err();
    assert_eq!(err.code(), "io");
}

fn two_handles_see_each_others_records(backend: Backend) {
    let db = backend.db();
    let path = db.location().unwrap();
    let mut a = open(&path);
    let mut b = open(&path);
    let r = a
        .create(
            "Potentials",
            Fields::new().with("potentialname", "shared").with("sales_stage", "Prospecting").with("closingdate", "2027-01-01"),
        )
        .unwrap();
    let seen = b.get(r.id).unwrap();
    assert_eq!(seen.label, "shared");
    b.update(r.id, Fields::new().with("amount", "5")).unwrap();
    // `a` still holds version 1: its versioned update is refused, no update is lost.
    let err = a.update_version(r.id, r.version, Fields::new().with("amount", "6")).unwrap_err();
    assert_eq!(err.code(), "conflict");
    assert_eq!(a.get(r.id).unwrap().get("amount").to_string(), "5.00");
    let other = b
        .create(
            "Potentials",
            Fields::new().with("potentialname", "second").with("sales_stage", "Prospecting").with("closingdate", "2027-01-01"),
        )
        .unwrap();
    assert_eq!(other.get("potential_no").to_string(), "POT2", "auto-numbers stay unique across handles");
}

on_shared_backends!(reopening_keeps_everything, two_handles_see_each_others_records);

/// An import batch goes to SQLite as multi-row statements (records, change log and its details, stage
/// history, outbox mail, journal), in chunks with a remainder written row by row: it reads back exactly as
/// the same import into the memory store.
#[test]
fn an_import_batch_reads_back_as_on_the_memory_store() {
    use crm_core::io::ImportOptions;
    let mut csv = String::from("Opportunity Name,Organization Name,Amount,Sales Stage,Expected Close Date,Description\n");
    for i in 0..150 {
        let stage = ["Prospecting", "Qualification", "Closed Won", "Needs Analysis"][i % 4];
        csv.push_str(&format!(
            "\"Deal {i:03}, \"\"quoted\"\"\",Org {},{}.{:02},{stage},2027-0{}-15,\"Ünïcode {i}\"\n",
            i % 7,
            1000 + i * 37,
            i % 100,
            1 + i % 9
        ));
    }
    // Batches of 70 rows: two full chunks and a remainder per table, and a last batch shorter than a chunk.
    let options = ImportOptions { create_missing_references: true, batch_size: 70, ..Default::default() };
    let clock = std::sync::Arc::new(crm_core::clock::FixedClock::at("2026-12-06 10:00:00"));
    let db = Backend::SqliteFile.db();
    let mut on_file = Crm::open(db.path().unwrap().to_str().unwrap()).unwrap().with_clock(clock.clone());
    let mut on_memory = Crm::with_store(Box::new(crm_core::storage::memory::MemoryStore::new())).unwrap().with_clock(clock);
    for crm in [&mut on_file, &mut on_memory] {
        crm.add_user(NewUser::new("admin").full_name("Administrator").email("admin@example.com")).unwrap();
        crm.set_actor("admin").unwrap();
    }
    let a = on_file.import_csv(csv.as_bytes(), "Potentials", &options, None).unwrap();
    let b = on_memory.import_csv(csv.as_bytes(), "Potentials", &options, None).unwrap();
    assert_eq!((a.created, a.failed, a.references_created), (150, 0, 7), "{a:?}");
    assert_eq!((b.created, b.failed, b.references_created), (150, 0, 7), "{b:?}");
    let (file_state, memory_state) = (support::imported_state(&on_file, a.import_id), support::imported_state(&on_memory, b.import_id));
    assert!(file_state.iter().any(|l| l.starts_with("mail about Deal 149")), "the creation workflow wrote mail: {file_state:#?}");
    assert!(file_state.iter().any(|l| l.contains("stage Some(\"Closed Won\")")), "{file_state:#?}");
    assert_eq!(file_state, memory_state);
    // Undo finds every created record through the journal, as on the memory store.
    let (undone_file, undone_memory) = (on_file.undo_import(a.import_id).unwrap(), on_memory.undo_import(b.import_id).unwrap());
    assert!(undone_file.deleted >= 150, "{undone_file:?}");
    assert_eq!(undone_file.deleted, undone_memory.deleted);
}
