//! The PostgreSQL test server: `CRM_TEST_POSTGRES_URL` names it, and every test gets a schema of its own
//! there (dropped at the end), so tests run in parallel against one database.
//!
//! Without a URL the PostgreSQL tests are skipped and the test binary says so once on its standard error
//! (written past the test harness's capture, so `cargo test` shows it). `CRM_TEST_POSTGRES_REQUIRED=1`
//! (`scripts/test.sh`, CI) turns a missing URL into a failure.

use crm_core::storage::postgres::PostgresStore;
use std::io::Write;
use std::sync::Once;
use std::sync::atomic::{AtomicU64, Ordering};

/// The test server's URL, or `None` (after one visible line) when none is set.
///
/// # Panics
/// When none is set and `CRM_TEST_POSTGRES_REQUIRED=1`.
pub fn url() -> Option<String> {
    match std::env::var("CRM_TEST_POSTGRES_URL") {
        Ok(u) if !u.trim().is_empty() => Some(u),
        _ => {
            if std::env::var("CRM_TEST_POSTGRES_REQUIRED").is_ok_and(|v| v == "1") {
                panic!(
                    "CRM_TEST_POSTGRES_REQUIRED=1 but CRM_TEST_POSTGRES_URL is not set: point it at a database the tests \
                     may create schemas in, e.g. postgres://postgres@127.0.0.1:5432/postgres (`bash scripts/test.sh` \
                     starts a throwaway server and sets it)"
                );
            }
            static SAID: Once = Once::new();
            SAID.call_once(|| {
                let _ = writeln!(
                    std::io::stderr().lock(),
                    "\nnote: PostgreSQL tests skipped: CRM_TEST_POSTGRES_URL is not set (bash scripts/test.sh starts a server)"
                );
            });
            None
        }
    }
}

/// A private schema in the test database, dropped with everything in it when this goes away.
pub struct TestSchema {
    /// The server.
    pub url: String,
    /// The schema's name.
    pub name: String,
}

impl TestSchema {
    /// A new, unique schema name (nothing is created until a store opens it); `None` without a server.
    pub fn new() -> Option<TestSchema> {
        static N: AtomicU64 = AtomicU64::new(0);
        let url = url()?;
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
        let name = format!("crm_test_{}_{}_{nanos}", std::process::id(), N.fetch_add(1, Ordering::Relaxed));
        Some(TestSchema { url, name })
    }

    /// A new connection to the schema (created on first use).
    pub fn store(&self) -> PostgresStore {
        PostgresStore::open_schema(&self.url, &self.name).unwrap()
    }

    /// A plain client on the server, for checks below the store (name the schema: [`TestSchema::name`]).
    pub fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url, postgres::NoTls).unwrap()
    }

    /// The names of the relations (tables, indexes, sequences, views) in the schema, sorted.
    pub fn relations(&self) -> Vec<String> {
        let sql = "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 ORDER BY 1";
        self.client().query(sql, &[&self.name]).unwrap().iter().map(|r| r.get(0)).collect()
    }

    /// The server URL with the schema as the connection's search path, for `Crm::open`.
    pub fn crm_url(&self) -> String {
        let sep = if self.url.contains('?') { '&' } else { '?' };
        format!("{}{sep}options=-csearch_path%3D{}", self.url, self.name)
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        let _ = PostgresStore::drop_schema(&self.url, &self.name);
    }
}
