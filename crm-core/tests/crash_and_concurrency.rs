//! Crash safety on a real SQLite file; concurrency on every shared backend (SQLite file, PostgreSQL).
//!
//! Child processes are this test binary run again (`std::env::current_exe()`) with `CRM_CHILD` naming what
//! to do; the test `child_process` does that work and does nothing in a normal run. The parent kills a
//! child with SIGKILL in the middle of a large import or of a save storm, then reopens the file and checks
//! that it is intact: `PRAGMA integrity_check`, whole batches, no half record, no orphan history, a
//! complete change log for every record version, an undoable and resumable import.
//!
//! Concurrency: two processes and several threads write the same database (for SQLite: WAL, busy timeout):
//! no update is lost (a stale version is refused with `Conflict`), ids and auto-numbers stay unique, history
//! is complete.
#![cfg(unix)]

use crm_core::io::{ImportOptions, ImportStatus};
use crm_core::{Crm, Error, Fields, NewUser, Query, RecordId, Value};
use rusqlite::Connection;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::{Backend, Database};

mod support;

/// Rows of the big import: enough that the child is still importing when it is killed.
const ROWS: usize = 3_000;
/// Rows per batch of the big import.
const BATCH: usize = 20;

/// A handle on the database at `location` (a SQLite file's path or a PostgreSQL URL), acting as admin.
fn open(location: &str) -> Crm {
    let mut crm = Crm::open(location).unwrap();
    crm.set_actor("admin").unwrap();
    crm
}

/// A new database on `b` with the user admin, and its location for [`open`] (in this process or a child).
fn new_db(b: Backend) -> (Database, String) {
    let db = b.db();
    let location = db.location().unwrap();
    let mut crm = Crm::open(&location).unwrap();
    crm.add_user(NewUser::new("admin").full_name("Administrator")).unwrap();
    (db, location)
}

/// A new SQLite file with the user admin: the database, its path and its location.
fn new_file() -> (Database, PathBuf, String) {
    let (db, location) = new_db(Backend::SqliteFile);
    let path = db.path().unwrap();
    (db, path, location)
}

/// The SQLite checks of [`check_file`] when `db` is a file (PostgreSQL enforces its keys itself).
fn check_db(db: &Database) {
    if let Some(path) = db.path() {
        check_file(&path);
    }
}

fn spawn(mode: &str, db: &str, extra: &[(&str, String)]) -> Child {
    let mut c = Command::new(std::env::current_exe().unwrap());
    c.args(["--exact", "child_process", "--nocapture", "--test-threads=1"])
        .env("CRM_CHILD", mode)
        .env("CRM_DB", db)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for (k, v) in extra {
        c.env(k, v);
    }
    c.spawn().unwrap()
}

/// Polls `sql` (one integer) through a separate read-only connection until it reaches `at_least`.
fn wait_for(db: &Path, sql: &str, at_least: i64, child: &mut Child) {
    let start = Instant::now();
    loop {
        if let Ok(conn) = Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY) {
            conn.busy_timeout(Duration::from_secs(5)).unwrap();
            if let Ok(n) = conn.query_row(sql, [], |r| r.get::<_, i64>(0))
                && n >= at_least
            {
                return;
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the child ended ({status}) before the file showed progress");
        }
        assert!(start.elapsed() < Duration::from_secs(120), "no progress after 2 minutes: {sql}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn kill(mut child: Child) {
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
}

fn one(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

/// Integrity and referential checks every crash must pass.
fn check_file(db: &Path) {
    let conn = Connection::open(db).unwrap();
    let ok: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(ok, "ok");
    let fk: i64 = conn.query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |r| r.get(0)).unwrap();
    assert_eq!(fk, 0, "foreign key violations");
    // no half record: every entity has its module row and the other way round
    assert_eq!(
        one(
            &conn,
            "SELECT COUNT(*) FROM crm_entity e WHERE e.module = 'Potentials' AND NOT EXISTS (SELECT 1 FROM potentials p WHERE p.id = e.id)"
        ),
        0
    );
    assert_eq!(one(&conn, "SELECT COUNT(*) FROM potentials p WHERE NOT EXISTS (SELECT 1 FROM crm_entity e WHERE e.id = p.id)"), 0);
    // no orphan history, stage entries or import rows
    assert_eq!(one(&conn, "SELECT COUNT(*) FROM crm_history h WHERE NOT EXISTS (SELECT 1 FROM crm_entity e WHERE e.id = h.record_id)"), 0);
    assert_eq!(
        one(&conn, "SELECT COUNT(*) FROM crm_history_detail d WHERE NOT EXISTS (SELECT 1 FROM crm_history h WHERE h.id = d.history_id)"),
        0
    );
    assert_eq!(
        one(&conn, "SELECT COUNT(*) FROM crm_stage_history s WHERE NOT EXISTS (SELECT 1 FROM crm_entity e WHERE e.id = s.record_id)"),
        0
    );
    assert_eq!(
        one(&conn, "SELECT COUNT(*) FROM crm_import_rows r WHERE NOT EXISTS (SELECT 1 FROM crm_entity e WHERE e.id = r.record_id)"),
        0
    );
    // every record version has its change-log entry (creation = version 1)
    assert_eq!(
        one(&conn, "SELECT COUNT(*) FROM crm_entity e WHERE e.version <> (SELECT COUNT(*) FROM crm_history h WHERE h.record_id = e.id)"),
        0,
        "records whose version count differs from their change-log entries"
    );
    // every opportunity has at least its creation stage entry
    assert_eq!(
        one(
            &conn,
            "SELECT COUNT(*) FROM crm_entity e WHERE e.module = 'Potentials' AND NOT EXISTS (SELECT 1 FROM crm_stage_history s WHERE s.record_id = e.id)"
        ),
        0
    );
}

fn csv(dir: &Path, rows: usize) -> PathBuf {
    let path = dir.join("big.csv");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    writeln!(f, "Opportunity Name,Amount,Sales Stage,Expected Close Date,Description").unwrap();
    for i in 0..rows {
        writeln!(f, "Deal {i},{}.{:02},Prospecting,2027-01-{:02},\"row {i}, with a comma\"", i * 3, i % 100, i % 28 + 1).unwrap();
    }
    f.flush().unwrap();
    path
}

// ----- the child -----

/// Does the work a parent test asked for (`CRM_CHILD`); nothing in a normal test run.
#[test]
fn child_process() {
    let Ok(mode) = std::env::var("CRM_CHILD") else {
        return;
    };
    let db = std::env::var("CRM_DB").unwrap();
    match mode.as_str() {
        "import" => {
            let mut crm = open(&db);
            let o = ImportOptions { batch_size: BATCH, ..Default::default() };
            let file = std::env::var("CRM_CSV").unwrap();
            crm.import_csv_file(&file, "Potentials", &o, None).unwrap();
            // Finished before being killed: the parent notices (status Completed) and fails.
        }
        "storm" => {
            let threads: Vec<_> = (0..4)
                .map(|t| {
                    let db = db.clone();
                    std::thread::spawn(move || {
                        let mut crm = open(&db);
                        for i in 0.. {
                            let r = crm.create("Potentials", deal(&format!("storm {t}-{i}"))).unwrap();
                            for k in 0..3 {
                                crm.update(r.id, Fields::new().with("amount", format!("{k}.50"))).unwrap();
                            }
                            if i % 5 == 4 {
                                crm.update(r.id, Fields::new().with("sales_stage", "Qualification")).unwrap();
                            }
                        }
                    })
                })
                .collect();
            for t in threads {
                t.join().unwrap();
            }
        }
        "writer" => {
            let hot: Vec<RecordId> = std::env::var("CRM_HOT").unwrap().split(',').map(|s| RecordId(s.parse().unwrap())).collect();
            let out = writer(&db, &hot, &format!("p{}", std::process::id()));
            println!("RESULT {}", out.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(","));
        }
        other => panic!("unknown CRM_CHILD {other}"),
    }
}

fn deal(name: &str) -> Fields {
    Fields::new().with("potentialname", name).with("amount", "0").with("sales_stage", "Prospecting").with("closingdate", "2027-03-31")
}

// ----- crash: import -----

#[test]
fn killed_import_leaves_whole_batches_and_can_be_undone_or_resumed() {
    let (_db, path, db) = new_file();
    let file = csv(path.parent().unwrap(), ROWS);
    let child = {
        let mut c = spawn("import", &db, &[("CRM_CSV", file.to_string_lossy().into_owned())]);
        wait_for(&path, "SELECT COUNT(*) FROM crm_import_rows", (BATCH * 4) as i64, &mut c);
        c
    };
    kill(child);
    check_file(&path);

    let mut crm = open(&db);
    let imports = crm.imports().unwrap();
    assert_eq!(imports.len(), 1);
    let j = &imports[0];
    assert_eq!(j.status, ImportStatus::Running, "the import finished before it was killed; raise ROWS");
    // whole batches only: the journal, its rows and the records agree, in multiples of the batch size
    let live = crm.count(Query::new("Potentials")).unwrap();
    let fates = crm.import_rows(j.id).unwrap();
    assert_eq!(j.rows % BATCH as u64, 0, "journal rows {}", j.rows);
    assert_eq!(j.created, j.rows);
    assert_eq!(fates.len() as u64, j.created);
    assert_eq!(live, j.created);
    assert!(j.created < ROWS as u64);
    // the rows are the first lines of the file, in order
    for (i, f) in fates.iter().enumerate() {
        assert_eq!(f.line, i as u64 + 2);
    }

    // resume: the rows the journal has are skipped, the rest is imported into the same import
    let rep = crm.resume_import_csv_file(j.id, &file, &ImportOptions { batch_size: 500, ..Default::default() }, None).unwrap();
    assert_eq!(rep.import_id, j.id);
    assert_eq!(rep.rows, ROWS as u64);
    assert_eq!(rep.created, ROWS as u64, "{:?}", rep.row_reports.first());
    assert_eq!(crm.count(Query::new("Potentials")).unwrap(), ROWS as u64);
    let names = crm.count(Query::new("Potentials").filter(crm_core::Condition::eq("potentialname", "Deal 0"))).unwrap();
    assert_eq!(names, 1, "no row imported twice");
    let j2 = crm.imports().unwrap().remove(0);
    assert_eq!((j2.status, j2.rows, j2.created), (ImportStatus::Completed, ROWS as u64, ROWS as u64));
    // a completed import cannot be resumed
    assert!(matches!(crm.resume_import_csv_file(j.id, &file, &ImportOptions::default(), None), Err(Error::Conflict(_))));

    // and the whole import, interrupted part and resumed part, undoes at once
    let undo = crm.undo_import(j.id).unwrap();
    assert_eq!(undo.deleted, ROWS as u64);
    assert_eq!(crm.count(Query::new("Potentials")).unwrap(), 0);
    drop(crm);
    check_file(&path);
}

#[test]
fn killed_import_can_be_undone_without_resuming() {
    let (_db, path, db) = new_file();
    let file = csv(path.parent().unwrap(), ROWS);
    let mut c = spawn("import", &db, &[("CRM_CSV", file.to_string_lossy().into_owned())]);
    wait_for(&path, "SELECT COUNT(*) FROM crm_import_rows", (BATCH * 2) as i64, &mut c);
    kill(c);
    check_file(&path);
    let mut crm = open(&db);
    let j = crm.imports().unwrap().remove(0);
    assert_eq!(j.status, ImportStatus::Running);
    let undo = crm.undo_import(j.id).unwrap();
    assert_eq!(undo.deleted, j.created);
    assert_eq!(crm.count(Query::new("Potentials")).unwrap(), 0);
    assert_eq!(crm.imports().unwrap()[0].status, ImportStatus::Undone);
    // an undone import is not resumed
    assert!(matches!(crm.resume_import_csv_file(j.id, &file, &ImportOptions::default(), None), Err(Error::Conflict(_))));
    drop(crm);
    check_file(&path);
}

// ----- crash: save storm -----

#[test]
fn killed_save_storm_leaves_complete_history() {
    let (_db, path, db) = new_file();
    let mut c = spawn("storm", &db, &[]);
    wait_for(&path, "SELECT COUNT(*) FROM crm_entity WHERE module = 'Potentials'", 60, &mut c);
    kill(c);
    check_file(&path);
    let crm = open(&db);
    for r in crm.find(Query::new("Potentials")).unwrap() {
        let h = crm.history(r.id).unwrap();
        assert_eq!(h.len() as u64, r.version, "record {}", r.id);
        // the stored values are those of the last logged change
        let amount = h.iter().rev().find_map(|e| e.changes.iter().find(|c| c.field == "amount").map(|c| c.after.clone()));
        if let Some(a) = amount {
            assert_eq!(r.get("amount").to_text(), a, "record {}", r.id);
        }
    }
    // the file is still writable, auto-numbers continue without collision
    let mut crm = open(&db);
    let r = crm.create("Potentials", deal("after the crash")).unwrap();
    let n = crm.count(Query::new("Potentials").filter(crm_core::Condition::eq("potential_no", r.get("potential_no").clone()))).unwrap();
    assert_eq!(n, 1);
}

// ----- concurrency -----

/// Creates records and increments the hot records' amounts with optimistic concurrency. Returns, per hot
/// record, how many increments succeeded.
fn writer(db: &str, hot: &[RecordId], tag: &str) -> Vec<u64> {
    let mut crm = open(db);
    let mut done = vec![0u64; hot.len()];
    for i in 0..25 {
        crm.create("Potentials", deal(&format!("{tag} {i}"))).unwrap();
        let k = i % hot.len();
        loop {
            let r = crm.get(hot[k]).unwrap();
            let amount = r.get("amount").as_decimal().unwrap_or_default();
            match crm.update_version(hot[k], r.version, Fields::new().with("amount", Value::Decimal(amount + rust_decimal::Decimal::ONE))) {
                Ok(_) => {
                    done[k] += 1;
                    break;
                }
                Err(Error::Conflict(_)) => continue, // someone else was first: read again
                Err(e) => panic!("{tag}: {e}"),
            }
        }
    }
    done
}

fn processes_and_threads_write_one_database_without_losing_anything(b: Backend) {
    let (database, db) = new_db(b);
    let hot: Vec<RecordId> = {
        let mut crm = open(&db);
        (0..3).map(|i| crm.create("Potentials", deal(&format!("hot {i}"))).unwrap().id).collect()
    };
    let hot_arg = hot.iter().map(|h| h.0.to_string()).collect::<Vec<_>>().join(",");
    let children: Vec<Child> = (0..2).map(|_| spawn("writer", &db, &[("CRM_HOT", hot_arg.clone())])).collect();
    let threads: Vec<_> = (0..3)
        .map(|t| {
            let (db, hot) = (db.clone(), hot.clone());
            std::thread::spawn(move || writer(&db, &hot, &format!("t{t}")))
        })
        .collect();
    let mut total = vec![0u64; hot.len()];
    for t in threads {
        for (k, n) in t.join().unwrap().into_iter().enumerate() {
            total[k] += n;
        }
    }
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "a writer process failed");
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text.lines().find_map(|l| l.split_once("RESULT ").map(|(_, r)| r.trim())).expect("writer result");
        for (k, n) in line.split(',').enumerate() {
            total[k] += n.parse::<u64>().unwrap();
        }
    }
    check_db(&database);
    let crm = open(&db);
    // no lost update: every successful increment is in the amount and in the version
    for (k, id) in hot.iter().enumerate() {
        let r = crm.get(*id).unwrap();
        assert_eq!(r.get("amount").as_decimal(), Some(rust_decimal::Decimal::from(total[k])), "hot record {k}");
        assert_eq!(r.version, 1 + total[k]);
        assert_eq!(crm.history(*id).unwrap().len() as u64, r.version);
    }
    // every creation landed, with a unique id and a unique auto-number
    let all = crm.find(Query::new("Potentials")).unwrap();
    assert_eq!(all.len(), 3 + 5 * 25);
    let mut numbers: Vec<String> = all.iter().map(|r| r.get("potential_no").to_string()).collect();
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), all.len(), "auto-numbers collided");
}

fn a_stale_version_is_refused_across_handles(backend: Backend) {
    let (_database, db) = new_db(backend);
    let mut a = open(&db);
    let mut b = open(&db);
    let r = a.create("Potentials", deal("shared")).unwrap();
    let seen = a.get(r.id).unwrap();
    b.update(r.id, Fields::new().with("amount", "5")).unwrap();
    let err = a.update_version(r.id, seen.version, Fields::new().with("amount", "7")).unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
    assert_eq!(a.get(r.id).unwrap().get("amount").to_string(), "5.00");
    // a plain update based on what it reads itself goes through
    a.update(r.id, Fields::new().with("amount", "7")).unwrap();
    assert_eq!(b.get(r.id).unwrap().version, 3);
}

/// A failing import rolls its unit back, id reservations included: the handle must not keep handing out
/// ids from a block the store no longer counts as taken, or another handle gets the same ids.
fn ids_stay_unique_after_a_rolled_back_import(backend: Backend) {
    struct FailAfter(Vec<u8>, usize);
    impl std::io::Read for FailAfter {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.1 >= self.0.len() {
                return Err(std::io::Error::other("disk went away"));
            }
            let n = buf.len().min(self.0.len() - self.1).min(64);
            buf[..n].copy_from_slice(&self.0[self.1..self.1 + n]);
            self.1 += n;
            Ok(n)
        }
    }
    let (database, db) = new_db(backend);
    let mut a = open(&db);
    let mut b = open(&db);
    let mut data = b"Opportunity Name,Sales Stage,Expected Close Date\n".to_vec();
    // more than the 64 KiB the reader looks at first, so that rows are imported before the read fails
    for i in 0..4000 {
        data.extend_from_slice(format!("Deal {i},Prospecting,2027-01-01\n").as_bytes());
    }
    let o = ImportOptions { batch_size: 100_000, ..Default::default() };
    assert!(a.import_csv(FailAfter(data, 0), "Potentials", &o, None).is_err());
    assert_eq!(a.count(Query::new("Potentials")).unwrap(), 0);
    // every id a handle hands out is reserved in the store
    let r = a.create("Potentials", deal("a first")).unwrap();
    let reserved = ids_reserved_below(&database);
    assert!(r.id.0 < reserved, "id {} handed out, but the store has reserved ids below {reserved} only", r.id);
    let mut ids: Vec<i64> = (0..70).map(|i| b.create("Potentials", deal(&format!("b {i}"))).unwrap().id.0).collect();
    ids.extend((0..70).map(|i| a.create("Potentials", deal(&format!("a {i}"))).unwrap().id.0));
    ids.push(r.id.0);
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n);
}

/// The first id the store has not reserved yet.
fn ids_reserved_below(db: &Database) -> i64 {
    if let Some(path) = db.path() {
        return Connection::open(path).unwrap().query_row("SELECT value FROM crm_seq WHERE name = 'id'", [], |r| r.get(0)).unwrap();
    }
    #[cfg(feature = "postgres")]
    if let support::Keep::Schema(s) = &db.keep {
        let sql = format!("SELECT last_value FROM {}.crm_ids", s.name);
        return s.client().query_one(&sql, &[]).unwrap().get::<_, i64>(0) + 1;
    }
    unreachable!("{:?} is not shared", db.backend)
}

/// A dry-run import counts the auto-numbers it would take without reserving them: it used to reserve
/// them and put the counter back at the end, under the records another handle had numbered meanwhile, so
/// that handle's next records got numbers that were taken.
fn a_dry_run_import_does_not_move_the_counter_under_other_handles(backend: Backend) {
    let (_database, db) = new_db(backend);
    let csv_dir = tempfile::tempdir().unwrap();
    let file = csv(csv_dir.path(), 600);
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let creator = {
        let (db, done) = (db.clone(), done.clone());
        std::thread::spawn(move || {
            let mut b = open(&db);
            let mut n = 0;
            while !done.load(std::sync::atomic::Ordering::SeqCst) || n == 0 {
                b.create("Potentials", deal(&format!("b {n}"))).unwrap();
                n += 1;
            }
            b
        })
    };
    let mut a = open(&db);
    let rep = a.import_csv_file(&file, "Potentials", &ImportOptions { dry_run: true, ..Default::default() }, None).unwrap();
    assert_eq!(rep.created, 600);
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut b = creator.join().unwrap();
    for i in 0..5 {
        b.create("Potentials", deal(&format!("after {i}"))).unwrap();
        a.create("Potentials", deal(&format!("a after {i}"))).unwrap();
    }
    let all = a.find(Query::new("Potentials")).unwrap();
    let mut numbers: Vec<String> = all.iter().map(|r| r.get("potential_no").to_string()).collect();
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), all.len(), "auto-numbers collided");
    // the dry run reserved none: numbers run 1..=n without gaps
    assert!(all.iter().any(|r| r.get("potential_no").to_string() == format!("POT{}", all.len())));
}

on_shared_backends!(
    processes_and_threads_write_one_database_without_losing_anything,
    a_stale_version_is_refused_across_handles,
    ids_stay_unique_after_a_rolled_back_import,
    a_dry_run_import_does_not_move_the_counter_under_other_handles,
);
