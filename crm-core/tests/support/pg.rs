//! A PostgreSQL server for the tests: `CRM_TEST_POSTGRES_URL` names it, and every test gets a schema of
//! its own there (dropped at the end), so tests run in parallel against one database.

use crm_core::storage::postgres::PostgresStore;
use std::sync::atomic::{AtomicU64, Ordering};

/// The test server's URL. Panics with instructions when it is not set: with the `postgres` feature on,
/// the PostgreSQL suite must run, never skip.
pub fn url() -> String {
    match std::env::var("CRM_TEST_POSTGRES_URL") {
        Ok(u) if !u.trim().is_empty() => u,
        _ => panic!(
            "CRM_TEST_POSTGRES_URL is not set: the `postgres` feature's tests need a PostgreSQL server. Set it to a \
             database the tests may create schemas in, e.g. CRM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres \
             (`bash scripts/test.sh` starts a throwaway server and sets it)"
        ),
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
    /// A new, unique schema name (nothing is created until a store opens it).
    pub fn new() -> TestSchema {
        static N: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
        let name = format!("crm_test_{}_{}_{nanos}", std::process::id(), N.fetch_add(1, Ordering::Relaxed));
        TestSchema { url: url(), name }
    }

    /// A new connection to the schema (created on first use).
    pub fn store(&self) -> PostgresStore {
        PostgresStore::open_schema(&self.url, &self.name).unwrap()
    }

    /// The server URL with the schema as the connection's search path, for `Crm::open`.
    #[allow(dead_code)]
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
