//! PostgreSQL's SQL: standard SQL (every default of [`Dialect`]) with one difference, case folding under
//! an ICU collation when the server has one.
//!
//! Columns are typed: money, percentages and decimals `NUMERIC` (exact, never floating point), whole
//! numbers, references and owners `BIGINT`, checkboxes `BOOLEAN`, dates `DATE`, date-times `TIMESTAMP` (UTC,
//! whole seconds), times `TIME`, everything else `TEXT COLLATE "C"` (so that comparing and sorting text is
//! byte-wise, as in the other adapters). Case-insensitive text tests compare `lower(...)` with the rest of
//! [`crate::text::fold`] in SQL (Arabic ي/ك as Persian ی/ک, native digits as ASCII, ZWNJ and tatweel
//! dropped; `sql::dialect::fold_for_needle`) against the needle folded in Rust — the same Unicode lower-casing for everything but a few
//! special cases (`İ`).

use crate::storage::sql::Dialect;

/// The PostgreSQL dialect.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Postgres {
    /// The collation `lower()` uses for case-insensitive tests (a quoted identifier).
    pub(crate) fold_collation: &'static str,
}

impl Default for Postgres {
    fn default() -> Self {
        Postgres { fold_collation: "\"default\"" }
    }
}

impl Dialect for Postgres {
    fn fold(&self, col: &str, needle: &str) -> String {
        crate::storage::sql::dialect::fold_for_needle(&format!("lower({col}::text COLLATE {})", self.fold_collation), needle)
    }
    fn dedupe_key(&self, col: &str, t: crate::schema::FieldType, normalize: bool) -> String {
        crate::storage::sql::dialect::pg_dedupe_key(col, t, normalize, self.fold_collation)
    }
}
