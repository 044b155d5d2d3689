//! Shared support for crm-core's integration tests: every storage test runs on every backend.
//!
//! A test is a function taking a [`Backend`]; [`on_every_backend!`](crate::on_every_backend) turns a list of
//! them into one `#[test]` per backend (`memory::name`, `sqlite_memory::name`, `sqlite_file::name`,
//! `postgres::name`), so a failure names the backend it failed on:
//!
//! ```ignore
//! mod support;
//! use support::Backend;
//!
//! fn creates_a_deal(b: Backend) {
//!     let mut t = b.crm(); // admin registered and acting; `b.bare()` has no users
//!     t.crm.create("Accounts", Fields::new().with("accountname", "Hooli")).unwrap();
//! }
//! on_every_backend!(creates_a_deal);
//! ```
//!
//! PostgreSQL runs against the server named by `CRM_TEST_POSTGRES_URL` (each test in a schema of its own,
//! dropped afterwards). Without the `postgres` feature the PostgreSQL tests are not built; with it and no
//! server URL they pass as skipped and the test binary prints one line saying so, unless
//! `CRM_TEST_POSTGRES_REQUIRED=1` (set by `scripts/test.sh` and CI), which makes a missing server a failure.
#![allow(dead_code, unused_macros, unused_imports)]

#[cfg(feature = "postgres")]
pub mod pg;

use crm_core::clock::{Clock, FixedClock};
use crm_core::storage::Store;
use crm_core::storage::memory::MemoryStore;
use crm_core::storage::sqlite::SqliteStore;
use crm_core::{Crm, NewUser};
use std::sync::Arc;

/// The time every test CRM starts at.
pub const START: &str = "2026-11-20 10:00:00";

/// A storage backend a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The memory store (the executable reference).
    Memory,
    /// SQLite in memory.
    SqliteMemory,
    /// A SQLite file in a temporary folder.
    SqliteFile,
    /// A schema of its own on the PostgreSQL test server.
    Postgres,
}

/// Every backend, the reference first.
pub const ALL: [Backend; 4] = [Backend::Memory, Backend::SqliteMemory, Backend::SqliteFile, Backend::Postgres];

/// The SQL backends (for tests of what only a shared database can do: several handles, races).
pub const SQL: [Backend; 3] = [Backend::SqliteMemory, Backend::SqliteFile, Backend::Postgres];

/// What keeps a backend's database alive: a SQLite file's folder, a PostgreSQL schema. Drop it after
/// every handle on it (bind it first).
pub enum Keep {
    /// Nothing to keep (memory stores).
    Nothing,
    /// The folder holding a SQLite file.
    Dir(tempfile::TempDir),
    /// A PostgreSQL test schema, dropped with everything in it.
    #[cfg(feature = "postgres")]
    Schema(pg::TestSchema),
}

/// A database on one backend that several handles can open (SQLite file, PostgreSQL schema); for the memory
/// store and SQLite in memory, only one handle exists and [`Database::open`] may be called once.
pub struct Database {
    /// The backend.
    pub backend: Backend,
    /// Keeps the database alive.
    pub keep: Keep,
    opened: bool,
}

impl Database {
    /// A new, empty database; `None` when the backend is PostgreSQL and no server is available (skipped).
    pub fn new(backend: Backend) -> Option<Database> {
        let keep = match backend {
            Backend::Memory | Backend::SqliteMemory => Keep::Nothing,
            Backend::SqliteFile => Keep::Dir(tempfile::tempdir().unwrap()),
            Backend::Postgres => {
                #[cfg(feature = "postgres")]
                {
                    Keep::Schema(pg::TestSchema::new()?)
                }
                #[cfg(not(feature = "postgres"))]
                return None;
            }
        };
        Some(Database { backend, keep, opened: false })
    }

    /// Whether several handles can open this database at once (a SQLite file, PostgreSQL).
    pub fn is_shared(&self) -> bool {
        matches!(self.backend, Backend::SqliteFile | Backend::Postgres)
    }

    /// A SQLite file's path.
    pub fn path(&self) -> Option<std::path::PathBuf> {
        match &self.keep {
            Keep::Dir(d) => Some(d.path().join("crm.db")),
            _ => None,
        }
    }

    /// What `Crm::open` takes for this database: a file path or a PostgreSQL URL (`:memory:` for the
    /// in-memory SQLite store; `None` for the memory store).
    pub fn location(&self) -> Option<String> {
        match (&self.keep, self.backend) {
            (Keep::Dir(_), _) => self.path().map(|p| p.to_string_lossy().into_owned()),
            #[cfg(feature = "postgres")]
            (Keep::Schema(s), _) => Some(s.crm_url()),
            (_, Backend::SqliteMemory) => Some(":memory:".into()),
            _ => None,
        }
    }

    /// A new handle (connection) on the database.
    ///
    /// # Panics
    /// When the database is not shared and a handle was opened already.
    pub fn store(&mut self) -> Box<dyn Store> {
        assert!(self.is_shared() || !self.opened, "{:?} databases have one handle only", self.backend);
        self.opened = true;
        match (&self.keep, self.backend) {
            (_, Backend::Memory) => Box::new(MemoryStore::new()),
            (_, Backend::SqliteMemory) => Box::new(SqliteStore::open_in_memory().unwrap()),
            (Keep::Dir(_), _) => Box::new(SqliteStore::open(self.path().unwrap()).unwrap()),
            #[cfg(feature = "postgres")]
            (Keep::Schema(s), _) => Box::new(s.store()),
            _ => unreachable!("database kept without its backing"),
        }
    }

    /// A new CRM handle on the database, with the fixed clock and no users added.
    pub fn crm_with_clock(&mut self, clock: Arc<FixedClock>) -> Crm {
        Crm::with_store(self.store()).unwrap().with_clock(clock)
    }
}

/// A test CRM: the handle, its clock and the database behind it. Fields drop in declaration order, so the
/// handle goes before the database.
pub struct TestCrm {
    /// The engine, with `admin` registered and acting.
    pub crm: Crm,
    /// Its clock, fixed at [`START`].
    pub clock: Arc<FixedClock>,
    /// The database (open more handles on it with [`Database::store`] when it is shared).
    pub db: Database,
}

/// A test CRM reads as its handle: `t.create(..)` is `t.crm.create(..)`.
impl std::ops::Deref for TestCrm {
    type Target = Crm;
    fn deref(&self) -> &Crm {
        &self.crm
    }
}

impl std::ops::DerefMut for TestCrm {
    fn deref_mut(&mut self) -> &mut Crm {
        &mut self.crm
    }
}

impl TestCrm {
    /// Sets the clock (of this handle and of every handle [`TestCrm::second_handle`] opens) to
    /// `yyyy-mm-dd hh:mm:ss` UTC.
    pub fn set_time(&self, text: &str) {
        self.clock.set(FixedClock::at(text).now());
    }

    /// Another handle on the same database (same clock), acting as `admin`.
    ///
    /// # Panics
    /// When the database is not shared.
    pub fn second_handle(&mut self) -> Crm {
        let mut crm = self.db.crm_with_clock(self.clock.clone());
        crm.set_actor("admin").unwrap();
        crm
    }
}

impl Backend {
    /// A new, empty database on this backend; `None` when PostgreSQL has no server (the test is skipped).
    pub fn database(self) -> Option<Database> {
        Database::new(self)
    }

    /// A new CRM on a new database: fixed clock at [`START`], user `admin` (Administrator,
    /// admin@example.com) registered and acting. `None` when PostgreSQL has no server (skipped).
    pub fn try_crm(self) -> Option<TestCrm> {
        let mut t = self.try_bare()?;
        t.crm.add_user(NewUser::new("admin").full_name("Administrator").email("admin@example.com")).unwrap();
        t.crm.set_actor("admin").unwrap();
        Some(t)
    }

    /// A new CRM on a new database with the fixed clock at [`START`] and no users (for tests that register
    /// their own). `None` when PostgreSQL has no server (skipped).
    pub fn try_bare(self) -> Option<TestCrm> {
        let mut db = self.database()?;
        let clock = Arc::new(FixedClock::at(START));
        let crm = db.crm_with_clock(clock.clone());
        Some(TestCrm { crm, clock, db })
    }

    /// [`Backend::try_crm`] inside a test that [`run`] started (the backend is available there).
    ///
    /// # Panics
    /// When the backend is not available.
    pub fn crm(self) -> TestCrm {
        self.try_crm().unwrap_or_else(|| panic!("{} is not available here", self.name()))
    }

    /// [`Backend::try_bare`] inside a test that [`run`] started.
    ///
    /// # Panics
    /// When the backend is not available.
    pub fn bare(self) -> TestCrm {
        self.try_bare().unwrap_or_else(|| panic!("{} is not available here", self.name()))
    }

    /// [`Backend::database`] inside a test that [`run`] started.
    ///
    /// # Panics
    /// When the backend is not available.
    pub fn db(self) -> Database {
        self.database().unwrap_or_else(|| panic!("{} is not available here", self.name()))
    }

    /// The backends of `list` that can run here (PostgreSQL only with a server), for tests that compare
    /// backends in one loop.
    pub fn available_of(list: &[Backend]) -> Vec<Backend> {
        list.iter().copied().filter(|b| b.available()).collect()
    }

    /// Whether the backend can run here (PostgreSQL needs a server; see the module doc).
    pub fn available(self) -> bool {
        #[cfg(feature = "postgres")]
        if self == Backend::Postgres {
            return pg::url().is_some();
        }
        self != Backend::Postgres
    }

    /// A short name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Memory => "memory",
            Backend::SqliteMemory => "sqlite_memory",
            Backend::SqliteFile => "sqlite_file",
            Backend::Postgres => "postgres",
        }
    }
}

/// Runs `test` on `backend`, or skips it (one line per test binary) when PostgreSQL has no server.
pub fn run(backend: Backend, test: impl FnOnce(Backend)) {
    if backend.available() {
        test(backend);
    }
}

/// Generates one `#[test]` per backend for each listed function `fn name(b: Backend)`: modules `memory`,
/// `sqlite_memory`, `sqlite_file` and (with the `postgres` feature) `postgres`. A name preceded by
/// `#[postgres_ignore = "reason"]` is ignored on PostgreSQL only (a known disagreement of that store, left
/// visible with `cargo test -- --ignored`).
#[macro_export]
macro_rules! on_every_backend {
    ($( $(#[postgres_ignore = $why:literal])? $name:ident ),* $(,)?) => {
        mod memory { $( #[test] fn $name() { $crate::support::run($crate::support::Backend::Memory, super::$name) } )* }
        mod sqlite_memory { $( #[test] fn $name() { $crate::support::run($crate::support::Backend::SqliteMemory, super::$name) } )* }
        mod sqlite_file { $( #[test] fn $name() { $crate::support::run($crate::support::Backend::SqliteFile, super::$name) } )* }
        #[cfg(feature = "postgres")]
        mod postgres {
            $( #[test] $(#[ignore = $why])? fn $name() { $crate::support::run($crate::support::Backend::Postgres, super::$name) } )*
        }
    };
}

/// Like [`on_every_backend!`] for the backends a second handle can share (SQLite file, PostgreSQL).
#[macro_export]
macro_rules! on_shared_backends {
    ($( $(#[postgres_ignore = $why:literal])? $name:ident ),* $(,)?) => {
        mod sqlite_file { $( #[test] fn $name() { $crate::support::run($crate::support::Backend::SqliteFile, super::$name) } )* }
        #[cfg(feature = "postgres")]
        mod postgres {
            $( #[test] $(#[ignore = $why])? fn $name() { $crate::support::run($crate::support::Backend::Postgres, super::$name) } )*
        }
    };
}

/// What one store holds after an import, with record ids replaced by labels (ids differ between stores).
pub fn imported_state(crm: &Crm, import_id: i64) -> Vec<String> {
    let mut out = Vec::new();
    let label = |id: crm_core::RecordId| crm.get(id).map(|r| r.label).unwrap_or_else(|e| format!("? {e}"));
    let mut deals = crm.find(crm_core::Query::new("Potentials")).unwrap();
    deals.sort_by(|a, b| a.label.cmp(&b.label));
    for r in &deals {
        let mut values: Vec<String> =
            r.values.iter().filter(|(k, _)| k.as_str() != "related_to").map(|(k, v)| format!("{k}={v}")).collect();
        values.push(format!("related_to={}", r.get("related_to").as_ref_id().map(label).unwrap_or_default()));
        out.push(format!("{}: {}", r.label, values.join("; ")));
        for h in crm.history(r.id).unwrap() {
            let changes: Vec<String> = h
                .changes
                .iter()
                .filter(|c| c.field != "related_to")
                .map(|c| format!("{}:{:?}->{:?}", c.field, c.before, c.after))
                .collect();
            out.push(format!("  history {:?} by {} at {}: {}", h.kind, h.actor, h.at, changes.join(", ")));
        }
        for s in crm.stage_history(r.id).unwrap() {
            out.push(format!(
                "  stage {:?} {:?} {:?} {:?} {:?} at {}",
                s.stage, s.amount, s.probability, s.forecast_amount, s.closingdate, s.at
            ));
        }
    }
    for m in crm.outbox().unwrap() {
        out.push(format!(
            "mail about {}: {} / {} / to {:?} / {:?}",
            m.record.map(label).unwrap_or_default(),
            m.subject,
            m.from,
            m.to,
            m.status
        ));
    }
    for row in crm.import_rows(import_id).unwrap() {
        out.push(format!("journal line {} {:?} {} v{}", row.line, row.action, label(row.record), row.version));
    }
    out
}
