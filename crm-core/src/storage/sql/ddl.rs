//! Table definitions, written once: the `crm_*` side tables as templates whose `{tokens}` a
//! [`Dialect`](super::Dialect) renders (column types, booleans, case-insensitive uniqueness), and the
//! module tables, which follow the schema (one column per field, indexes for references, owners, the
//! auto-number and the declared indexes). Every object is created with IF NOT EXISTS, so installing is
//! idempotent and adds what later features bring to databases created before them.

use super::db::rows;
use super::{Arg, Db};
use crate::error::{Error, Result};
use crate::schema::{FieldType, Module};

/// The side tables, as one template.
pub(crate) const TABLES: &str = "
CREATE TABLE IF NOT EXISTS crm_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS crm_autonum (module TEXT PRIMARY KEY, prefix TEXT NOT NULL, next TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS crm_entity (
    id {int} PRIMARY KEY,
    module TEXT NOT NULL,
    label TEXT NOT NULL DEFAULT '',
    label_key TEXT NOT NULL DEFAULT '',
    deleted {bool} NOT NULL DEFAULT {false},
    version {int} NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS crm_entity_label ON crm_entity (module, label_key);
CREATE TABLE IF NOT EXISTS crm_history (
    id {serial},
    record_id {int} NOT NULL,
    module TEXT NOT NULL,
    actor TEXT NOT NULL,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    related_id {int}
);
CREATE INDEX IF NOT EXISTS crm_history_record ON crm_history (record_id, id);
CREATE TABLE IF NOT EXISTS crm_history_detail (
    {rowid_column}
    history_id {int} NOT NULL REFERENCES crm_history (id) ON DELETE CASCADE,
    field TEXT NOT NULL,
    before TEXT,
    after TEXT
);
CREATE INDEX IF NOT EXISTS crm_history_detail_history ON crm_history_detail (history_id{rowid_key});
CREATE TABLE IF NOT EXISTS crm_stage_history (
    id {serial},
    record_id {int} NOT NULL,
    stage TEXT,
    amount {num},
    probability {num},
    forecast_amount {num},
    closingdate {date},
    at TEXT NOT NULL,
    actor TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS crm_stage_history_record ON crm_stage_history (record_id, id);
CREATE TABLE IF NOT EXISTS crm_users (
    id {int} PRIMARY KEY,
    user_name TEXT NOT NULL{unique_nocase},
    full_name TEXT NOT NULL,
    email TEXT NOT NULL,
    role TEXT,
    active {bool} NOT NULL DEFAULT {true}
);
{users_name_index}
CREATE TABLE IF NOT EXISTS crm_groups (id {int} PRIMARY KEY, name TEXT NOT NULL{unique_nocase});
{groups_name_index}
CREATE TABLE IF NOT EXISTS crm_group_members (
    group_id {int} NOT NULL REFERENCES crm_groups (id) ON DELETE CASCADE,
    user_id {int} NOT NULL,
    PRIMARY KEY (group_id, user_id)
);

CREATE TABLE IF NOT EXISTS crm_imports (
    id {int} PRIMARY KEY,
    module TEXT NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    at TEXT NOT NULL,
    status TEXT NOT NULL,
    rows {int} NOT NULL DEFAULT 0,
    created {int} NOT NULL DEFAULT 0,
    updated {int} NOT NULL DEFAULT 0,
    merged {int} NOT NULL DEFAULT 0,
    skipped {int} NOT NULL DEFAULT 0,
    failed {int} NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS crm_import_rows (
    {rowid_column}
    import_id {int} NOT NULL REFERENCES crm_imports (id) ON DELETE CASCADE,
    line {int} NOT NULL,
    record_id {int} NOT NULL,
    action TEXT NOT NULL,
    previous TEXT,
    version {int} NOT NULL
);
CREATE INDEX IF NOT EXISTS crm_import_rows_import ON crm_import_rows (import_id{rowid_key});
CREATE TABLE IF NOT EXISTS crm_import_maps (
    module TEXT NOT NULL,
    name TEXT NOT NULL{nocase},
    mapping TEXT NOT NULL{maps_primary_key}
);
{maps_name_index}

CREATE TABLE IF NOT EXISTS crm_filters (
    id {int} PRIMARY KEY,
    module TEXT NOT NULL,
    name TEXT NOT NULL,
    visibility TEXT NOT NULL,
    owner TEXT,
    is_default {bool} NOT NULL DEFAULT {false},
    definition TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS crm_filters_module ON crm_filters (module, id);
CREATE TABLE IF NOT EXISTS crm_comments (
    id {int} PRIMARY KEY,
    record_id {int} NOT NULL,
    parent_id {int},
    author TEXT NOT NULL,
    at {ctext} NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS crm_comments_record ON crm_comments (record_id, at, id);
CREATE TABLE IF NOT EXISTS crm_relations (
    id {serial},
    record_id {int} NOT NULL,
    related_id {int} NOT NULL,
    module TEXT NOT NULL,
    role TEXT,
    quantity {num},
    price {num},
    at TEXT NOT NULL,
    UNIQUE (record_id, related_id)
);
CREATE INDEX IF NOT EXISTS crm_relations_related ON crm_relations (related_id, id);
CREATE TABLE IF NOT EXISTS crm_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS crm_schema_changes (
    version {int} PRIMARY KEY,
    op TEXT NOT NULL,
    actor TEXT NOT NULL,
    at TEXT NOT NULL,
    change TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS crm_access_changes (
    version {int} PRIMARY KEY,
    actor TEXT NOT NULL,
    at TEXT NOT NULL,
    change TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS crm_workflows (
    id {int} PRIMARY KEY,
    module TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    active {bool} NOT NULL DEFAULT {true},
    execution_condition {int} NOT NULL,
    trigger_def TEXT NOT NULL,
    conditions TEXT NOT NULL,
    tasks TEXT NOT NULL,
    next_trigger TEXT,
    is_default {bool} NOT NULL DEFAULT {false}
);
CREATE TABLE IF NOT EXISTS crm_outbox (
    id {int} PRIMARY KEY,
    record_id {int},
    workflow_id {int},
    from_addr TEXT NOT NULL,
    reply_to TEXT NOT NULL,
    to_addrs TEXT NOT NULL,
    cc_addrs TEXT NOT NULL,
    bcc_addrs TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX IF NOT EXISTS crm_outbox_status ON crm_outbox (status, id);
CREATE TABLE IF NOT EXISTS crm_workflow_once (
    workflow_id {int} NOT NULL,
    record_id {int} NOT NULL,
    PRIMARY KEY (workflow_id, record_id)
);
CREATE TABLE IF NOT EXISTS crm_workflow_queue (
    id {int} PRIMARY KEY,
    workflow_id {int} NOT NULL,
    task_index {int} NOT NULL,
    record_id {int} NOT NULL,
    due {ctext} NOT NULL
);
CREATE INDEX IF NOT EXISTS crm_workflow_queue_due ON crm_workflow_queue (due, id);

CREATE TABLE IF NOT EXISTS crm_dedupe_keys (
    record_id {int} NOT NULL,
    module TEXT NOT NULL,
    rule TEXT NOT NULL,
    key {ctext} NOT NULL,
    PRIMARY KEY (record_id, rule)
);
CREATE INDEX IF NOT EXISTS crm_dedupe_keys_key ON crm_dedupe_keys (module, rule, key, record_id);
CREATE TABLE IF NOT EXISTS crm_merges (
    record_id {int} PRIMARY KEY,
    kept_id {int} NOT NULL,
    journal TEXT NOT NULL
);
";

/// Creates (or completes) the side tables.
pub(crate) fn install<D: Db + ?Sized>(db: &mut D) -> Result<()> {
    let sql = db.dialect().render(TABLES);
    db.batch(&sql)?;
    outbox_attempts(db)?;
    refold_label_keys(db)
}

/// The `crm_meta` key that records which fold the stored `label_key`s were made with.
const LABEL_FOLD_KEY: &str = "label_fold";
/// The current fold ([`crate::text::fold`] with Arabic/Persian letters, digits and joiners).
const LABEL_FOLD: &str = "persian-1";

/// Migration (no layout change): recomputes the `label_key` of records whose key was folded by an older crm
/// (plain lower case), so that label lookups (`Accounts::::Name` references, duplicate checks by name) treat
/// Arabic ي/ك and Persian ی/ک, native digits, ZWNJ and tatweel as the new fold does. The new key is the old
/// key with the fold's character table applied ([`Dialect::refold`]); runs once, marked in `crm_meta`.
pub(crate) fn refold_label_keys<D: Db + ?Sized>(db: &mut D) -> Result<()> {
    let get = db.dialect().render("SELECT value FROM crm_meta WHERE key = $1");
    let done: Vec<String> = rows(db, &get, &[Arg::Text(LABEL_FOLD_KEY)], |r| r.string(0))?;
    if done.iter().any(|v| v == LABEL_FOLD) {
        return Ok(());
    }
    let key = db.dialect().refold("label_key");
    db.batch(&format!("UPDATE crm_entity SET label_key = {key} WHERE label_key <> {key}"))?;
    let put = &db.sql().put_meta;
    db.execute(put, &[Arg::Text(LABEL_FOLD_KEY), Arg::Text(LABEL_FOLD)])?;
    Ok(())
}

/// Layout version 2: the outbox's attempt counter and next-attempt time, added to an outbox of an older
/// layout (and to a new one, which [`TABLES`] creates in the first layout). Mail that had failed before gets
/// one attempt and is due at once, as the older layout would have retried it.
fn outbox_attempts<D: Db + ?Sized>(db: &mut D) -> Result<()> {
    let columns: Vec<String> = rows(db, db.dialect().table_columns(), &[Arg::Text("crm_outbox")], |r| r.string(0))?;
    if columns.iter().any(|c| c == "attempts") {
        return Ok(());
    }
    let sql = db.dialect().render(
        "ALTER TABLE crm_outbox ADD COLUMN attempts {int} NOT NULL DEFAULT 0;
         ALTER TABLE crm_outbox ADD COLUMN next_attempt_at TEXT;
         UPDATE crm_outbox SET attempts = 1, next_attempt_at = created_at WHERE status = 'failed';",
    );
    db.batch(&sql)
}

/// Makes the layout of module `m` follow the schema: its table (every column at once when new), new
/// columns (never dropped here), the indexes of references, owners, the first entity field and the
/// auto-number (unique), and the declared indexes.
pub(crate) fn module_table<D: Db + ?Sized>(db: &mut D, m: &Module) -> Result<()> {
    let d = db.dialect();
    let table = d.ident(&m.table_name())?;
    let columns_sql = d.table_columns();
    let existing: Vec<String> = rows(db, columns_sql, &[Arg::Text(&m.table_name())], |r| r.string(0))?;
    let d = db.dialect();
    let mut ddl = Vec::new();
    if existing.is_empty() {
        let mut cols = vec![format!("id {} PRIMARY KEY REFERENCES crm_entity (id) ON DELETE CASCADE", d.render("{int}"))];
        for f in &m.fields {
            cols.push(format!("{} {}", d.ident(&f.name)?, d.column_type(f.field_type)));
        }
        ddl.push(format!("CREATE TABLE {table} ({})", cols.join(", ")));
    }
    for f in &m.fields {
        if !existing.is_empty() && !existing.iter().any(|c| c.eq_ignore_ascii_case(&f.name)) {
            ddl.push(format!("ALTER TABLE {table} ADD COLUMN {} {}", d.ident(&f.name)?, d.column_type(f.field_type)));
        }
        let indexed = matches!(f.field_type, FieldType::Reference | FieldType::Owner)
            || m.indexed.contains(&f.name)
            || m.entity_fields.first() == Some(&f.name);
        let unique = m.auto_number.as_ref().is_some_and(|a| a.field == f.name);
        if indexed || unique {
            let name = d.ident(&d.field_index_name(&m.table_name(), &f.name))?;
            ddl.push(format!(
                "CREATE {}INDEX IF NOT EXISTS {name} ON {table} ({})",
                if unique { "UNIQUE " } else { "" },
                d.ident(&f.name)?
            ));
        }
    }
    for sql in &ddl {
        db.batch(sql)?;
    }
    declared_indexes(db, m)
}

/// Creates the module's declared indexes (`crm_ix_<table>_<n>`) and drops those of its table that are no
/// longer declared. Columns are in the order and collation crm sorts them with
/// ([`Dialect::index_column`](super::Dialect::index_column)), so that an index serves those queries.
fn declared_indexes<D: Db + ?Sized>(db: &mut D, m: &Module) -> Result<()> {
    let prefix = format!("crm_ix_{}_", m.table_name());
    let indexes_sql = db.dialect().table_indexes();
    let present: Vec<String> = rows(db, indexes_sql, &[Arg::Text(&m.table_name())], |r| r.string(0))?;
    let d = db.dialect();
    let table = d.ident(&m.table_name())?;
    let wanted: Vec<String> = m.indexes.iter().map(|i| i.sql_name(m)).collect();
    let mut ddl = Vec::new();
    for name in present.iter().filter(|n| n.starts_with(&prefix) && !wanted.contains(n)) {
        ddl.push(format!("DROP INDEX IF EXISTS {}", d.ident(name)?));
    }
    for (ix, name) in m.indexes.iter().zip(&wanted) {
        let mut cols = Vec::with_capacity(ix.fields.len());
        for f in &ix.fields {
            let fd = m.field(f).ok_or_else(|| Error::invalid(format!("index {name}: {} has no field '{f}'", m.name)))?;
            cols.push(d.index_column(d.ident(&fd.name)?, fd.field_type));
        }
        ddl.push(format!("CREATE INDEX IF NOT EXISTS {} ON {table} ({})", d.ident(name)?, cols.join(", ")));
    }
    for sql in &ddl {
        db.batch(sql)?;
    }
    Ok(())
}
