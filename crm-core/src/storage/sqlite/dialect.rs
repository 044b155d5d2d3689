//! SQLite's SQL: what it writes differently from standard SQL.
//!
//! Values are stored as SQLite keeps them best for a person reading the file: money, percentages and
//! decimals as canonical decimal text (compared, sorted and summed exactly through the connection-local
//! collation `crm_decimal` and aggregate `crm_sum`, which appear only in crm's own queries, never in the
//! stored schema, so the file opens anywhere); dates and times ISO text; checkboxes 0/1. Case-insensitive
//! text tests use `crm_fold` (Unicode lower case, the memory adapter's folding).

use crate::schema::FieldType;
use crate::storage::sql::{Arg, ColumnKind, Dialect};

/// The SQLite dialect.
#[derive(Debug, Default)]
pub(crate) struct Sqlite;

impl Dialect for Sqlite {
    fn max_ident_len(&self) -> usize {
        64
    }
    fn placeholder(&self, n: usize) -> String {
        format!("?{n}")
    }
    fn bool_literal(&self, b: bool) -> &'static str {
        if b { "1" } else { "0" }
    }
    fn token(&self, name: &str) -> &'static str {
        match name {
            "int" | "bool" => "INTEGER",
            "true" => "1",
            "false" => "0",
            "num" | "date" | "ctext" => "TEXT",
            "serial" => "INTEGER PRIMARY KEY AUTOINCREMENT",
            "rowid" => "rowid",
            "rowid_column" | "rowid_key" | "for_update" => "",
            "unique_nocase" => " UNIQUE COLLATE NOCASE",
            "nocase" => " COLLATE NOCASE",
            "maps_primary_key" => ",\n    PRIMARY KEY (module, name)",
            "users_name_index" | "groups_name_index" | "maps_name_index" => "",
            "maps_key" => "module, name",
            "maps_name_eq" => "name = ?2",
            "maps_order" => "name",
            _ => "",
        }
    }
    fn locks_rows(&self) -> bool {
        false // a writer holds the database lock (`BEGIN IMMEDIATE`)
    }
    fn no_limit(&self) -> Arg<'static> {
        Arg::Int(-1)
    }
    fn legacy_schema_version(&self) -> Option<&'static str> {
        Some("SELECT json_extract(value, '$.version') FROM crm_meta WHERE key = 'schema'")
    }
    fn kind(&self, t: FieldType) -> ColumnKind {
        match t {
            FieldType::Integer | FieldType::Checkbox | FieldType::Reference | FieldType::Owner => ColumnKind::Int,
            _ => ColumnKind::Text,
        }
    }
    fn column_type(&self, t: FieldType) -> &'static str {
        if self.kind(t) == ColumnKind::Int { "INTEGER" } else { "TEXT" }
    }
    fn compare_column(&self, col: String, t: FieldType) -> String {
        if t.is_decimal() { format!("{col} COLLATE crm_decimal") } else { col }
    }
    fn index_column(&self, col: String, t: FieldType) -> String {
        self.compare_column(col, t)
    }
    fn sort_term(&self, col: &str, descending: bool) -> String {
        format!("{col} {}", if descending { "DESC" } else { "ASC" })
    }
    fn fold(&self, col: &str) -> String {
        format!("crm_fold({col})")
    }
    fn position(&self, haystack: &str, needle: &str) -> String {
        format!("instr({haystack}, {needle})")
    }
    fn prefix(&self, s: &str, n: &str) -> String {
        format!("substr({s}, 1, {n})")
    }
    fn suffix(&self, s: &str, n: &str) -> String {
        format!("substr({s}, -{n})")
    }
    fn empty_test(&self, col: &str, _: FieldType) -> String {
        format!("({col} IS NULL OR {col} = '')")
    }
    fn decimal_sum(&self, col: &str) -> String {
        format!("crm_sum({col})")
    }
    fn text_prefix(&self, col: &str, len: usize) -> String {
        format!("substr({col}, 1, {len})")
    }
    fn table_columns(&self) -> &'static str {
        "SELECT name FROM pragma_table_info(?1)"
    }
    fn table_indexes(&self) -> &'static str {
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?1"
    }
}
