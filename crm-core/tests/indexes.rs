//! Declared indexes (`Crm::add_index`, `drop_index`, `indexes`) on every storage backend (the support
//! module's). Listings must select and order the same records with and without an index; the SQLite file
//! and PostgreSQL must build the real one (the file keeps it across reopen).

use crm_core::*;
use support::Backend;

mod support;

on_every_backend!(
    add_list_drop_is_logged,
    refused_definitions_are_typed,
    indexed_field_cannot_be_deleted,
    listings_are_the_same_with_an_index
);

mod shared {
    use super::*;
    on_shared_backends!(another_handle_sees_a_new_index);
}

fn schema_code(e: &Error) -> &'static str {
    match e {
        Error::Schema(s) => s.code(),
        other => panic!("expected a schema error, got {other:?}"),
    }
}

fn add_list_drop_is_logged(b: Backend) {
    let mut e = b.crm();
    assert!(e.crm.indexes("Potentials").unwrap().is_empty());
    // Fields by name or label; stored canonical.
    let ix = e.crm.add_index("Opportunities", &["Sales Stage", "closingdate"]).unwrap();
    assert_eq!(ix.fields, ["sales_stage", "closingdate"]);
    assert!(ix.name.starts_with("ix_"));
    let second = e.crm.add_index("Potentials", &["closingdate"]).unwrap();
    assert_ne!(second.name, ix.name);
    assert_eq!(e.crm.indexes("Potentials").unwrap(), vec![ix.clone(), second.clone()]);
    assert!(e.crm.module("Potentials").unwrap().indexes.contains(&ix));
    let log = e.crm.schema_changes().unwrap();
    let last = log.last().unwrap();
    assert_eq!(last.change.op(), "add_index");
    assert_eq!(last.actor, "admin");
    assert_eq!(
        last.change,
        SchemaChange::AddIndex { module: "Potentials".into(), fields: vec!["closingdate".into()], name: Some(second.name.clone()) }
    );
    // The same field list again is refused; another order is another index.
    assert_eq!(schema_code(&e.crm.add_index("Potentials", &["sales_stage", "Expected Close Date"]).unwrap_err()), "duplicate_index");
    e.crm.add_index("Potentials", &["closingdate", "sales_stage"]).unwrap();
    // Drop by field list.
    let entry = e.crm.drop_index("Potentials", &["sales_stage", "closingdate"]).unwrap();
    assert_eq!(entry.change.op(), "drop_index");
    assert_eq!(
        e.crm.indexes("Potentials").unwrap().iter().map(|i| i.fields.join(",")).collect::<Vec<_>>(),
        ["closingdate", "closingdate,sales_stage"]
    );
    assert_eq!(schema_code(&e.crm.drop_index("Potentials", &["sales_stage", "closingdate"]).unwrap_err()), "unknown_index");
    // Re-adding after a drop gets a fresh name.
    let again = e.crm.add_index("Potentials", &["sales_stage", "closingdate"]).unwrap();
    assert_ne!(again.name, ix.name);
    // Other modules are untouched.
    assert!(e.crm.indexes("Accounts").unwrap().is_empty());
}

fn refused_definitions_are_typed(b: Backend) {
    let mut e = b.crm();
    let version = e.crm.schema().version;
    assert_eq!(schema_code(&e.crm.add_index("Nope", &["x"]).unwrap_err()), "unknown_module");
    assert_eq!(schema_code(&e.crm.indexes("Nope").unwrap_err()), "unknown_module");
    assert_eq!(schema_code(&e.crm.add_index("Potentials", &["nosuchfield"]).unwrap_err()), "unknown_field");
    assert_eq!(schema_code(&e.crm.add_index("Potentials", &[]).unwrap_err()), "invalid_index");
    assert_eq!(schema_code(&e.crm.add_index("Potentials", &["amount", "Amount"]).unwrap_err()), "invalid_index");
    let five = ["sales_stage", "closingdate", "amount", "probability", "leadsource"];
    assert_eq!(schema_code(&e.crm.add_index("Potentials", &five).unwrap_err()), "invalid_index");
    // A quoted or hostile name is just an unknown field: nothing reaches SQL.
    assert_eq!(schema_code(&e.crm.add_index("Potentials", &["x\"); DROP TABLE potentials; --"]).unwrap_err()), "unknown_field");
    assert_eq!(schema_code(&e.crm.drop_index("Potentials", &["amount"]).unwrap_err()), "unknown_index");
    // At most MAX_INDEXES_PER_MODULE.
    let fields: Vec<String> = e.crm.module("Potentials").unwrap().fields.iter().map(|f| f.name.clone()).collect();
    let mut added = 0;
    'outer: for a in &fields {
        for b in &fields {
            if a == b {
                continue;
            }
            if added == crm_core::schema::index::MAX_INDEXES_PER_MODULE {
                let err = e.crm.add_index("Potentials", &[a, b]).unwrap_err();
                assert_eq!(schema_code(&err), "invalid_index", "{err}");
                break 'outer;
            }
            e.crm.add_index("Potentials", &[a, b]).unwrap();
            added += 1;
        }
    }
    assert_eq!(e.crm.indexes("Potentials").unwrap().len(), crm_core::schema::index::MAX_INDEXES_PER_MODULE);
    // Refusals changed nothing: only the successful adds moved the version.
    assert_eq!(e.crm.schema().version, version + added as u64);
}

fn indexed_field_cannot_be_deleted(b: Backend) {
    let mut e = b.crm();
    let f = e.crm.add_field("Potentials", NewField::new("Region", FieldType::Text)).unwrap();
    e.crm.add_index("Potentials", &["sales_stage", &f.name]).unwrap();
    let err = e.crm.delete_field("Potentials", &f.name).unwrap_err();
    assert_eq!(schema_code(&err), "in_use");
    assert!(err.to_string().contains("index (sales_stage, "), "{err}");
    e.crm.drop_index("Potentials", &["sales_stage", "Region"]).unwrap();
    e.crm.delete_field("Potentials", &f.name).unwrap();
}

/// The deep-page query of the benches: a stage filter, newest close date first, paged by offset and by
/// keyset — the same records, in the same order, before and after declaring the index.
fn listings_are_the_same_with_an_index(b: Backend) {
    let mut e = b.crm();
    let stages = ["Prospecting", "Closed Won", "Closed Lost"];
    for i in 0..60 {
        let day = 1 + (i * 7) % 28; // many ties on the date
        let f = Fields::new()
            .with("potentialname", format!("Deal {i}"))
            .with("amount", format!("{}.{:02}", 100 + i * 13 % 50, i % 100))
            .with("sales_stage", stages[i % 3])
            .with("closingdate", format!("2027-0{}-{day:02}", 1 + i % 3));
        e.crm.create("Potentials", f).unwrap();
    }
    let queries = || {
        vec![
            Query::new("Potentials").filter(Condition::eq("sales_stage", "Closed Won")).order_by("-closingdate"),
            Query::new("Potentials").filter(Condition::eq("sales_stage", "Prospecting")).order_by("closingdate"),
            Query::new("Potentials").filter(Condition::eq("sales_stage", "Closed Lost")).order_by("-amount"),
            Query::new("Potentials").order_by("-closingdate"),
        ]
    };
    let walk = |crm: &Crm, q: Query| {
        let mut out = Vec::new();
        let mut cursor = None;
        loop {
            let (page, next) = crm.page_after(q.clone(), cursor.as_ref(), 7).unwrap();
            out.extend(page.into_iter().map(|r| r.id));
            match next {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        out
    };
    let listing = |crm: &Crm| {
        queries()
            .into_iter()
            .map(|q| {
                let pages: Vec<Vec<RecordId>> =
                    (1..=4).map(|p| crm.page(q.clone(), p, 6).unwrap().records.into_iter().map(|r| r.id).collect()).collect();
                (pages, walk(crm, q))
            })
            .collect::<Vec<_>>()
    };
    let before = listing(&e.crm);
    // Keyset walks cover the whole listing once.
    for ((pages, keyset), q) in before.iter().zip(queries()) {
        let all: Vec<RecordId> = e.crm.find(q).unwrap().into_iter().map(|r| r.id).collect();
        assert_eq!(keyset, &all);
        assert_eq!(pages.concat(), all.iter().take(24).copied().collect::<Vec<_>>());
    }
    e.crm.add_index("Potentials", &["sales_stage", "closingdate"]).unwrap();
    e.crm.add_index("Potentials", &["sales_stage", "amount"]).unwrap();
    assert_eq!(listing(&e.crm), before);
}

#[test]
fn sqlite_file_builds_the_index_and_keeps_it_across_reopen() {
    let db = Backend::SqliteFile.db();
    let path = db.path().unwrap();
    let p = path.to_str().unwrap();
    let names = || -> Vec<String> {
        let conn = rusqlite::Connection::open(&path).unwrap();
        let mut st = conn.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'crm_ix_%' ORDER BY name").unwrap();
        st.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
    };
    let ix = {
        let mut crm = Crm::open(p).unwrap();
        crm.add_index("Potentials", &["sales_stage", "closingdate"]).unwrap()
    };
    let sql_name = format!("crm_ix_potentials_{}", ix.name.trim_start_matches("ix_"));
    assert_eq!(names(), std::slice::from_ref(&sql_name));
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        let cols: Vec<String> = conn
            .prepare("SELECT name FROM pragma_index_info(?1) ORDER BY seqno")
            .unwrap()
            .query_map([&sql_name], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(cols, ["sales_stage", "closingdate"]);
    }
    let mut crm = Crm::open(p).unwrap();
    assert_eq!(crm.indexes("Potentials").unwrap(), vec![ix]);
    crm.add_index("Potentials", &["amount"]).unwrap();
    crm.drop_index("Potentials", &["sales_stage", "closingdate"]).unwrap();
    drop(crm);
    let crm = Crm::open(p).unwrap();
    assert_eq!(crm.indexes("Potentials").unwrap().len(), 1);
    assert_eq!(names().len(), 1);
    assert_ne!(names(), [sql_name]);
}

fn another_handle_sees_a_new_index(backend: Backend) {
    let mut t = backend.crm();
    let b = t.second_handle();
    let ix = t.crm.add_index("Potentials", &["sales_stage", "closingdate"]).unwrap();
    assert_eq!(b.indexes("Potentials").unwrap(), vec![ix]);
}

#[test]
fn schema_files_without_indexes_still_load() {
    // A module serialised before `indexes` existed has no such key.
    let s = Schema::builtin();
    let mut json: serde_json::Value = serde_json::to_value(&s).unwrap();
    assert!(json["modules"]["Potentials"].get("indexes").is_none());
    json["modules"]["Potentials"].as_object_mut().unwrap().remove("indexes");
    let back: Schema = serde_json::from_value(json).unwrap();
    assert!(back.modules["Potentials"].indexes.is_empty());
}

/// PostgreSQL builds the real index (columns `NULLS FIRST`, so both listing orders can scan it) and drops it.
#[cfg(feature = "postgres")]
#[test]
fn postgres_builds_and_drops_the_real_index() {
    let Some(schema) = support::pg::TestSchema::new() else { return };
    let mut crm = Crm::with_store(Box::new(schema.store())).unwrap();
    let ix = crm.add_index("Potentials", &["sales_stage", "closingdate"]).unwrap();
    let defs = || -> Vec<String> {
        let mut c = ::postgres::Client::connect(&schema.url, ::postgres::NoTls).unwrap();
        c.query("SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname LIKE 'crm_ix_%'", &[&schema.name])
            .unwrap()
            .iter()
            .map(|r| r.get::<_, String>(0))
            .collect()
    };
    let d = defs();
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(d[0].contains(&format!("crm_ix_potentials_{}", ix.name.trim_start_matches("ix_"))), "{d:?}");
    assert!(d[0].contains("(sales_stage NULLS FIRST, closingdate NULLS FIRST)"), "{d:?}");
    crm.drop_index("Potentials", &["sales_stage", "closingdate"]).unwrap();
    assert!(defs().is_empty());
}
