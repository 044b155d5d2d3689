//! What differs between the SQL engines, as one trait whose default methods speak standard SQL (as
//! PostgreSQL does); a backend overrides only the fragments it writes differently.

use crate::error::Result;
use crate::schema::FieldType;

/// How a field type is stored: the column type a dialect gives it and how its values are bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColumnKind {
    /// Whole numbers, references, owners (and checkboxes where there is no boolean type).
    Int,
    /// Exact decimals (money, percentages).
    Num,
    /// Checkboxes.
    Bool,
    /// Dates.
    Date,
    /// Date-times (UTC, whole seconds).
    Ts,
    /// Times of day.
    Time,
    /// Everything else (and every other type where the engine stores text).
    Text,
}

/// The SQL fragments that differ between engines.
pub(crate) trait Dialect: Sync {
    /// The longest identifier the engine keeps.
    fn max_ident_len(&self) -> usize {
        63
    }

    /// Quotes an identifier that comes from the schema, refusing anything else.
    fn ident(&self, name: &str) -> Result<String> {
        super::ident_max(name, self.max_ident_len())
    }

    /// The `n`-th (1-based) statement parameter.
    fn placeholder(&self, n: usize) -> String {
        format!("${n}")
    }

    /// A boolean literal.
    fn bool_literal(&self, b: bool) -> &'static str {
        if b { "TRUE" } else { "FALSE" }
    }

    /// The text of a template token (`{name}` in [`super::statements`] and [`super::ddl`]).
    fn token(&self, name: &str) -> &'static str {
        match name {
            "int" => "BIGINT",
            "bool" => "BOOLEAN",
            "true" => "TRUE",
            "false" => "FALSE",
            "num" => "NUMERIC",
            "date" => "DATE",
            // text compared and sorted byte-wise
            "ctext" => "TEXT COLLATE \"C\"",
            "serial" => "BIGSERIAL PRIMARY KEY",
            // the column that keeps rows in insertion order where a table has no key of its own
            "rowid" => "id",
            "rowid_column" => "id BIGSERIAL PRIMARY KEY,",
            "rowid_key" => ", id",
            "for_update" => "FOR UPDATE",
            // user, group and saved-mapping names are unique ignoring case
            "unique_nocase" | "nocase" | "maps_primary_key" => "",
            "users_name_index" => "CREATE UNIQUE INDEX IF NOT EXISTS crm_users_name ON crm_users (lower(user_name COLLATE \"C\"));",
            "groups_name_index" => "CREATE UNIQUE INDEX IF NOT EXISTS crm_groups_name ON crm_groups (lower(name COLLATE \"C\"));",
            "maps_name_index" => {
                "CREATE UNIQUE INDEX IF NOT EXISTS crm_import_maps_name ON crm_import_maps (module, lower(name COLLATE \"C\"));"
            }
            "maps_key" => "module, lower(name COLLATE \"C\")",
            "maps_name_eq" => "lower(name COLLATE \"C\") = lower($2 COLLATE \"C\")",
            "maps_order" => "lower(name COLLATE \"C\"), name COLLATE \"C\"",
            _ => "",
        }
    }

    /// Whether writers lock rows (`SELECT ... FOR UPDATE`); false where a writer holds the whole database.
    fn locks_rows(&self) -> bool {
        true
    }

    /// The LIMIT parameter that selects every row.
    fn no_limit(&self) -> super::Arg<'static> {
        super::Arg::Null
    }

    /// Where a database written before the schema version had its own row keeps it (a statement giving the
    /// version as an integer), if the engine had such databases.
    fn legacy_schema_version(&self) -> Option<&'static str> {
        None
    }

    /// How a field type is stored.
    fn kind(&self, t: FieldType) -> ColumnKind {
        match t {
            FieldType::Integer | FieldType::Reference | FieldType::Owner => ColumnKind::Int,
            FieldType::Decimal | FieldType::Currency | FieldType::Percent => ColumnKind::Num,
            FieldType::Checkbox => ColumnKind::Bool,
            FieldType::Date => ColumnKind::Date,
            FieldType::DateTime => ColumnKind::Ts,
            FieldType::Time => ColumnKind::Time,
            _ => ColumnKind::Text,
        }
    }

    /// The column type of a field type.
    fn column_type(&self, t: FieldType) -> &'static str {
        match self.kind(t) {
            ColumnKind::Int => "BIGINT",
            ColumnKind::Num => "NUMERIC",
            ColumnKind::Bool => "BOOLEAN",
            ColumnKind::Date => "DATE",
            ColumnKind::Ts => "TIMESTAMP",
            ColumnKind::Time => "TIME",
            ColumnKind::Text => "TEXT COLLATE \"C\"",
        }
    }

    /// A column as compared, sorted and grouped (where decimals need an exact collation).
    fn compare_column(&self, col: String, t: FieldType) -> String {
        let _ = t;
        col
    }

    /// A value (a placeholder) as compared with [`Dialect::compare_column`]'s column.
    fn compare_value(&self, value: String, t: FieldType) -> String {
        let _ = t;
        value
    }

    /// A column of a declared (multi-column) index, in the order crm sorts it.
    fn index_column(&self, col: String, t: FieldType) -> String {
        let _ = t;
        format!("{col} NULLS FIRST")
    }

    /// A `GROUP BY` term for a column when every matching row is grouped: one the planner groups by
    /// scanning the rows once, never by walking the column's index with a table lookup per row (which is
    /// what SQLite otherwise chooses to skip the sort, and which costs more than a scan once the table no
    /// longer fits its page cache). PostgreSQL plans a hash or sort aggregate by its statistics: unchanged.
    fn group_term(&self, col: &str) -> String {
        col.to_string()
    }

    /// A sort term: empty values first when ascending, last when descending.
    fn sort_term(&self, col: &str, descending: bool) -> String {
        if descending { format!("{col} DESC NULLS LAST") } else { format!("{col} ASC NULLS FIRST") }
    }

    /// The folded text of a column for a test against `needle` (already folded in Rust): see
    /// [`fold_for_needle`].
    fn fold(&self, col: &str, needle: &str) -> String {
        fold_for_needle(&format!("lower({col}::text)"), needle)
    }

    /// A stored fold key (already lower case) refolded with the current [`crate::text::fold`]: its
    /// character table only, so the lower-casing stays the one the key was made with.
    fn refold(&self, key: &str) -> String {
        translate_fold(key)
    }

    /// The 1-based position of `needle` in `haystack` (0 when absent).
    fn position(&self, haystack: &str, needle: &str) -> String {
        format!("strpos({haystack}, {needle})")
    }

    /// The first `n` characters of `s`.
    fn prefix(&self, s: &str, n: &str) -> String {
        format!("left({s}, {n})")
    }

    /// The last `n` characters of `s`.
    fn suffix(&self, s: &str, n: &str) -> String {
        format!("right({s}, {n})")
    }

    /// True when a column holds no value (text columns: also the empty string).
    fn empty_test(&self, col: &str, t: FieldType) -> String {
        if self.kind(t) == ColumnKind::Text { format!("({col} IS NULL OR {col} = '')") } else { format!("({col} IS NULL)") }
    }

    /// The exact decimal sum of a column as text (`0` for no rows).
    fn decimal_sum(&self, col: &str) -> String {
        format!("coalesce(sum({col}::numeric), 0)::text")
    }

    /// The first `len` characters of a column's stored text.
    fn text_prefix(&self, col: &str, len: usize) -> String {
        format!("substr({col}::text, 1, {len})")
    }

    /// Whole calendar days from the date part of `from` to that of `to` (dates, date-times or their text).
    fn days_between(&self, from: &str, to: &str) -> String {
        format!("(CAST({to} AS DATE) - CAST({from} AS DATE))")
    }

    /// A name for the index of one field, within the engine's identifier length.
    fn field_index_name(&self, table: &str, field: &str) -> String {
        let full = format!("{table}_{field}");
        if full.len() <= self.max_ident_len() {
            return full;
        }
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in full.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        format!("{}_{h:016x}", &full[..40])
    }

    /// The statement listing the column names of table `$1` of the CRM.
    fn table_columns(&self) -> &'static str {
        "SELECT column_name::text FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1"
    }

    /// The statement listing the index names of table `$1` of the CRM.
    fn table_indexes(&self) -> &'static str {
        "SELECT indexname::text FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1"
    }

    /// A field's duplicate-matching text (see [`crate::dedupe::field_key`]; the stored text when not
    /// `normalize`d), NULL when empty. The default is the normaliser as a PostgreSQL expression.
    fn dedupe_key(&self, col: &str, t: FieldType, normalize: bool) -> String {
        pg_dedupe_key(col, t, normalize, "\"default\"")
    }

    /// Joins the keys of several fields (U+001F between them; NULL when any is NULL).
    fn dedupe_join(&self, keys: &[String]) -> String {
        keys.join(" || chr(31) || ")
    }

    /// An expression as compared and sorted byte-wise (the order of Rust strings).
    fn bytewise(&self, e: &str) -> String {
        format!("({e}) COLLATE \"C\"")
    }

    /// The ids of a group as comma-separated text.
    fn id_list(&self, col: &str) -> String {
        format!("string_agg(({col})::text, ',')")
    }

    /// Renders a template: `$n` becomes [`Dialect::placeholder`], `{name}` becomes [`Dialect::token`].
    fn render(&self, template: &str) -> String {
        let mut out = String::with_capacity(template.len() + 16);
        let b = template.as_bytes();
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'$' if b.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                    let start = i + 1;
                    let mut end = start;
                    while b.get(end).is_some_and(u8::is_ascii_digit) {
                        end += 1;
                    }
                    out.push_str(&self.placeholder(template[start..end].parse().unwrap_or(0)));
                    i = end;
                }
                b'{' => match template[i..].find('}') {
                    Some(len) => {
                        out.push_str(self.token(&template[i + 1..i + len]));
                        i += len + 1;
                    }
                    None => {
                        out.push('{');
                        i += 1;
                    }
                },
                _ => {
                    let next = template[i..].find(['$', '{']).map_or(b.len(), |k| i + k.max(1));
                    out.push_str(&template[i..next]);
                    i = next;
                }
            }
        }
        out
    }
}

/// [`Dialect::dedupe_key`] in PostgreSQL, with `lower` under `collation`.
pub(crate) fn pg_dedupe_key(col: &str, t: FieldType, normalize: bool, collation: &str) -> String {
    use crate::dedupe::normalize::{postgres_email_expression, postgres_expression};
    let e = match t {
        FieldType::Email if normalize => postgres_email_expression(col, collation),
        t if normalize && crate::dedupe::normalized_type(t) => postgres_expression(col, collation),
        _ => format!("({col})::text"),
    };
    format!("NULLIF({e}, '')")
}

/// Dialects for unit tests: every default, and one overriding what SQLite overrides in its queries.
/// [`crate::text::fold`] of `lowered` (a lower-cased text expression) in standard SQL, as far as it can
/// change whether the folded `needle` occurs: ZWNJ, ZWJ and tatweel are always removed (removing them joins
/// neighbours); Arabic ي/ى/ك become Persian ی/ک only when the needle has ی or ک, and Persian and
/// Arabic-Indic digits become ASCII only when it has an ASCII digit (a one-to-one replacement of characters
/// the needle has neither of cannot change a match). Chained `replace()` calls, not one `translate()` over
/// the whole table: PostgreSQL's `translate` scans its table for every character, and measured on 200,000
/// names a contains test took 158 ms with `lower()` alone, 1,089 ms with the full `translate()`, 300 ms
/// with this expression for a letters-only needle.
pub(crate) fn fold_for_needle(lowered: &str, needle: &str) -> String {
    let mut e = lowered.to_string();
    for joiner in ['\u{200C}', '\u{200D}', '\u{0640}'] {
        e = format!("replace({e}, '{joiner}', '')");
    }
    if needle.contains(['\u{06CC}', '\u{06A9}']) {
        e = format!("replace(replace(replace({e}, '\u{064A}', '\u{06CC}'), '\u{0649}', '\u{06CC}'), '\u{0643}', '\u{06A9}')");
    }
    if needle.bytes().any(|b| b.is_ascii_digit()) {
        e = format!("translate({e}, '۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩', '01234567890123456789')");
    }
    e
}

/// `translate(text, FOLD_FROM, FOLD_TO)`: the part of [`crate::text::fold`] after lower-casing, in standard
/// SQL (the tables are constants without quotes).
pub(crate) fn translate_fold(text: &str) -> String {
    format!("translate({text}, '{}', '{}')", crate::text::FOLD_FROM, crate::text::FOLD_TO)
}

#[cfg(test)]
pub(crate) mod testing {
    use super::Dialect;
    use crate::schema::FieldType;

    /// Every default (standard SQL, as PostgreSQL speaks it).
    pub(crate) struct Standard;
    impl Dialect for Standard {}

    /// `?n` placeholders, 0/1 booleans, decimals under a collation, no NULLS clauses.
    pub(crate) struct Question;
    impl Dialect for Question {
        fn placeholder(&self, n: usize) -> String {
            format!("?{n}")
        }
        fn bool_literal(&self, b: bool) -> &'static str {
            if b { "1" } else { "0" }
        }
        fn compare_column(&self, col: String, t: FieldType) -> String {
            if t.is_decimal() { format!("{col} COLLATE crm_decimal") } else { col }
        }
        fn sort_term(&self, col: &str, descending: bool) -> String {
            format!("{col} {}", if descending { "DESC" } else { "ASC" })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Dialect;
    use super::testing::{Question, Standard};

    #[test]
    fn templates_render_placeholders_and_tokens() {
        assert_eq!(Question.render("UPDATE t SET a = $2 WHERE id = $1 AND b = {true}"), "UPDATE t SET a = ?2 WHERE id = ?1 AND b = TRUE");
        assert_eq!(Standard.render("x $10 {int} $"), "x $10 BIGINT $");
    }

    #[test]
    fn identifiers_are_checked_and_quoted() {
        assert_eq!(Standard.ident("cf_123").unwrap(), "\"cf_123\"");
        assert!(Standard.ident("x\"; DROP TABLE crm_entity; --").is_err());
        assert!(Standard.ident(&"a".repeat(64)).is_err());
    }

    #[test]
    fn long_index_names_fit() {
        let n = Standard.field_index_name(&"t".repeat(40), &"f".repeat(40));
        assert!(n.len() <= 63);
        assert_ne!(n, Standard.field_index_name(&"t".repeat(40), &"g".repeat(40)));
    }
}
