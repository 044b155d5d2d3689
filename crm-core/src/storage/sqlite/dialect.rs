//! SQLite's SQL: what it writes differently from standard SQL.
//!
//! Values are stored as SQLite keeps them best for a person reading the file: money, percentages and
//! decimals as canonical decimal text; dates and times ISO text; checkboxes 0/1. Decimals are compared,
//! sorted, grouped and indexed through [`decimal_key`], an order-preserving text key built from SQLite's
//! own functions only, so a declared index on a decimal field is one a stock `sqlite3` shell can evaluate
//! and check (`PRAGMA integrity_check`) and write to; they are summed exactly by the connection-local
//! aggregate `crm_sum`, which appears only in crm's own queries, never in the stored schema, so the file
//! opens anywhere. Case-insensitive text tests use `crm_fold` (Unicode lower case, the memory adapter's
//! folding).

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
        if t.is_decimal() { decimal_key(&col) } else { col }
    }
    fn compare_value(&self, value: String, t: FieldType) -> String {
        if t.is_decimal() { decimal_key(&value) } else { value }
    }
    fn index_column(&self, col: String, t: FieldType) -> String {
        self.compare_column(col, t)
    }
    fn group_term(&self, col: &str) -> String {
        // Unary `+` keeps the value and the column's collation but is no column for the planner, so no
        // index is walked for the grouping.
        format!("+{col}")
    }
    fn sort_term(&self, col: &str, descending: bool) -> String {
        format!("{col} {}", if descending { "DESC" } else { "ASC" })
    }
    fn fold(&self, col: &str, _needle: &str) -> String {
        format!("crm_fold({col})")
    }
    fn refold(&self, key: &str) -> String {
        format!("crm_fold({key})")
    }
    fn dedupe_key(&self, col: &str, t: FieldType, normalize: bool) -> String {
        let kind = match t {
            FieldType::Email if normalize => 2,
            t if normalize && crate::dedupe::normalized_type(t) => 1,
            _ => 0,
        };
        format!("NULLIF(crm_dedupe({col}, {kind}), '')")
    }
    fn dedupe_join(&self, keys: &[String]) -> String {
        keys.join(" || char(31) || ")
    }
    fn bytewise(&self, e: &str) -> String {
        e.to_string()
    }
    fn id_list(&self, col: &str) -> String {
        format!("group_concat({col}, ',')")
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
    fn days_between(&self, from: &str, to: &str) -> String {
        format!("CAST(julianday(substr({to}, 1, 10)) - julianday(substr({from}, 1, 10)) AS INTEGER)")
    }
    fn table_columns(&self) -> &'static str {
        "SELECT name FROM pragma_table_info(?1)"
    }
    fn table_indexes(&self) -> &'static str {
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?1"
    }
}

/// An expression of SQLite's built-in functions only that turns decimal text `x` (`-12.50`) into text whose
/// byte order is the numbers' order, equal for equal numbers (`1.5` and `1.50`), NULL for NULL.
///
/// Non-negative numbers: `1`, the length of the integer part without leading zeros as two digits, then the
/// digits without leading and trailing zeros (`12.50` → `1` `02` `125`). Negative numbers: `0`, 99 minus
/// that length, the digits' nines' complement and `~` (greater than every digit, so that a longer magnitude
/// sorts first). Decimals have at most 28 digits, so the length always fits two digits.
pub(crate) fn decimal_key(x: &str) -> String {
    let abs = format!("ltrim({x}, '-')");
    let dot = format!("instr({abs}, '.')");
    let int = format!("ltrim(CASE WHEN {dot} > 0 THEN substr({abs}, 1, {dot} - 1) ELSE {abs} END, '0')");
    let frac = format!("rtrim(CASE WHEN {dot} > 0 THEN substr({abs}, {dot} + 1) ELSE '' END, '0')");
    let digits = format!("({int} || {frac})");
    let mut complement = digits.clone();
    for d in 0..10u8 {
        complement = format!("replace({complement}, '{d}', '{}')", char::from(b'a' + d));
    }
    for d in 0..10u8 {
        complement = format!("replace({complement}, '{}', '{}')", char::from(b'a' + d), 9 - d);
    }
    format!(
        "(CASE WHEN substr({x}, 1, 1) = '-' AND {digits} <> '' \
         THEN '0' || printf('%02d', 99 - length({int})) || {complement} || '~' \
         ELSE '1' || printf('%02d', length({int})) || {digits} END)"
    )
}

#[cfg(test)]
mod tests {
    use super::decimal_key;
    use rust_decimal::Decimal;
    use std::str::FromStr;

    #[test]
    fn decimal_key_orders_as_the_numbers() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let values = [
            "-100",
            "-10.5",
            "-10.05",
            "-10",
            "-9.99",
            "-1",
            "-0.5",
            "-0.05",
            "0",
            "-0",
            "0.00",
            "0.05",
            "0.5",
            "1",
            "1.0",
            "1.50",
            "9.99",
            "10",
            "10.05",
            "10.5",
            "100",
            "79228162514264337593543950335",
            "-79228162514264337593543950335",
        ];
        let key = |v: &str| -> String { conn.query_row(&format!("SELECT {}", decimal_key("?1")), [v], |r| r.get(0)).unwrap() };
        for a in values {
            for b in values {
                let (x, y) = (Decimal::from_str(a).unwrap(), Decimal::from_str(b).unwrap());
                assert_eq!(key(a).cmp(&key(b)), x.cmp(&y), "{a} vs {b}: {} vs {}", key(a), key(b));
            }
        }
        let null: Option<String> = conn.query_row(&format!("SELECT {}", decimal_key("NULL")), [], |r| r.get(0)).unwrap();
        assert_eq!(null, None);
    }
}
