//! Security: injection text in every place a caller can put text reaches SQL only as a bound value or is
//! refused with a typed error; the database stays intact (checked on every backend, which must agree with
//! the memory store; the tables and indexes of a SQLite file and a PostgreSQL schema are counted before and
//! after). Exports neutralise spreadsheet formulas on every CSV path and cannot inject
//! vCard properties. (Mail header injection: `workflows.rs` and `workflows_and_io_more.rs`.)

use crm_core::io::vcard_export::VcardVersion;
use crm_core::io::{ExportOptions, HeaderStyle, ImportOptions};
use crm_core::schema::edit::NewField;
use crm_core::view::{Filter, FilterCondition};
use crm_core::{Condition, Crm, ExportSelection, FieldType, Fields, NewUser, Op, Query, StageKind};
use rust_decimal_macros::dec;
use support::{Backend, Database};

mod support;

/// Classic and SQLite-specific injection payloads, LIKE wildcards and quoting characters.
const NASTY: &[&str] = &[
    "'; DROP TABLE records; --",
    "x' OR '1'='1",
    "\" OR \"\"=\"",
    "1; DELETE FROM history",
    "') UNION SELECT name, sql FROM sqlite_master --",
    "`]\"; ATTACH DATABASE '/tmp/pwn.db' AS pwn; --",
    "%",
    "_",
    "\\",
    "%' --",
    "Robert'); DROP TABLE students;--",
    "\u{0}nul",
    "a\r\nb",
];

/// Names of the tables, indexes and views of a shared database, to compare before and after.
fn objects(db: &Database) -> Vec<String> {
    if let Some(path) = db.path() {
        return tables(&path);
    }
    #[cfg(feature = "postgres")]
    if let support::Keep::Schema(s) = &db.keep {
        return s.relations();
    }
    unreachable!("{:?} is not shared", db.backend)
}

/// Names of the tables, indexes, triggers and views of a SQLite file.
fn tables(path: &std::path::Path) -> Vec<String> {
    let c = rusqlite::Connection::open(path).unwrap();
    let mut st = c.prepare("SELECT name FROM sqlite_master WHERE type IN ('table','index','trigger','view') ORDER BY name").unwrap();
    st.query_map([], |r| r.get::<_, String>(0)).unwrap().map(Result::unwrap).collect()
}

fn integrity_ok(path: &std::path::Path) {
    let c = rusqlite::Connection::open(path).unwrap();
    let s: String = c.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(s, "ok");
}

fn deal(name: &str) -> Fields {
    Fields::new().with("potentialname", name).with("amount", "10").with("sales_stage", "Prospecting").with("closingdate", "2027-01-01")
}

/// Runs every injection on one engine; returns what was stored, for comparing memory and SQLite.
fn attack(crm: &mut Crm, nasty: &[&str]) -> Vec<String> {
    crm.add_user(NewUser::new("admin").full_name("Administrator")).unwrap();
    crm.set_actor("admin").unwrap();
    let base = crm.create("Potentials", deal("base")).unwrap();
    let mut seen = vec![];
    for (i, bad) in nasty.iter().enumerate() {
        let bad = *bad;
        // Field names: refused as unknown fields, never used as column names.
        let e = crm.create("Potentials", deal("n").with(bad, "1")).unwrap_err();
        assert_eq!(e.code(), "validation", "{bad:?}");
        assert!(crm.update(base.id, Fields::new().with(bad, "1")).is_err());
        // Values: stored verbatim (text fields), found exactly, LIKE wildcards are literal.
        let name = format!("{bad}#{i}");
        let r = crm.create("Potentials", deal(&name).with("description", bad).with("nextstep", bad)).unwrap();
        assert_eq!(crm.get(r.id).unwrap().get("potentialname").to_string(), name);
        assert_eq!(crm.get(r.id).unwrap().get("description").to_string(), bad);
        assert_eq!(crm.count(Query::new("Potentials").filter(Condition::eq("potentialname", name.as_str()))).unwrap(), 1, "{bad:?}");
        let contains = crm.count(Query::new("Potentials").filter(Condition::cmp("potentialname", Op::Contains, bad))).unwrap();
        assert_eq!(contains, nasty[..=i].iter().filter(|o| format!("{o}#").contains(bad)).count() as u64, "contains {bad:?}");
        // Filter values of every operator are bound values.
        for op in [Op::Eq, Op::Ne, Op::Contains, Op::NotContains, Op::StartsWith, Op::EndsWith, Op::Gt, Op::Lt] {
            let _ = crm.find(Query::new("Potentials").filter(Condition::cmp("potentialname", op, bad)));
            let _ = crm.find(Query::new("Potentials").filter(Condition::cmp("amount", op, bad)));
            let _ = crm.find(Query::new("Potentials").filter(Condition::cmp("closingdate", op, bad)));
        }
        // Field names in conditions and sort keys: refused with a typed error.
        assert_eq!(crm.find(Query::new("Potentials").filter(Condition::eq(bad, "1"))).unwrap_err().code(), "invalid_argument");
        assert_eq!(crm.find(Query::new("Potentials").order_by(bad)).unwrap_err().code(), "invalid_argument");
        assert!(crm.find(Query::new(bad)).is_err());
        // Search terms are values; search columns are checked names.
        let hits = crm.search("Potentials", bad, 1, 100).unwrap();
        assert!(hits.total >= 1, "search {bad:?}");
        assert!(crm.search_columns("Potentials", &[(bad, "x")], 1, 10).is_err());
        let _ = crm.search_columns("Potentials", &[("potentialname", bad)], 1, 10).unwrap();
        // Filters: values stored verbatim; field names and sort keys refused when saved or listed.
        let mut f = Filter::new("Potentials", format!("f{i}"));
        f.all.push(FilterCondition::new("potentialname", "e", name.as_str()));
        let saved = crm.save_filter(f).unwrap();
        assert_eq!(crm.filter("Potentials", &saved.id.to_string()).unwrap().all[0].value, name);
        assert_eq!(crm.list("Potentials", &saved.name, None, 1, 10).unwrap().page.total, 1, "filter {bad:?}");
        assert!(crm.list("Potentials", &saved.name, Some(bad), 1, 10).is_err());
        let mut f = Filter::new("Potentials", format!("g{i}"));
        f.all.push(FilterCondition::new(bad, "e", "1"));
        assert!(crm.save_filter(f).is_err());
        let mut f = Filter::new("Potentials", format!("h{i}"));
        f.all.push(FilterCondition::new("potentialname", bad, "1"));
        assert!(crm.save_filter(f).is_err());
        let mut f = Filter::new("Potentials", format!("c{i}"));
        f.columns.push(bad.to_string());
        assert!(crm.save_filter(f).is_err());
        // A filter name is a value.
        let named = crm.save_filter(Filter::new("Potentials", format!("{bad}!{i}"))).unwrap();
        assert_eq!(crm.filter("Potentials", &named.name).unwrap().id, named.id);
        // Picklist editor: values are data (NUL and line breaks are refused, the rest kept verbatim).
        let value = format!("{bad} v{i}");
        match crm.add_picklist_values("Potentials", "leadsource", &[value.as_str()]) {
            Ok(_) => {
                assert!(crm.picklist_values("Potentials", "leadsource", None).unwrap().contains(&value));
                let r = crm.create("Potentials", deal(&format!("p{i}")).with("leadsource", value.as_str())).unwrap();
                let renamed = format!("{value} renamed");
                crm.rename_picklist_value("Potentials", "leadsource", &value, &renamed).unwrap();
                assert_eq!(crm.get(r.id).unwrap().get("leadsource").to_string(), renamed);
                crm.delete_picklist_values("Potentials", "leadsource", &[renamed.as_str()], Some("Cold Call")).unwrap();
                assert_eq!(crm.get(r.id).unwrap().get("leadsource").to_string(), "Cold Call");
                seen.push(value);
            }
            Err(e) => assert_eq!(e.code(), "schema", "{bad:?}: {e}"),
        }
        assert!(crm.add_picklist_values("Potentials", bad, &["x"]).is_err());
        assert!(crm.set_stage_meta(bad, StageKind::Open, dec!(10)).is_err());
        // Custom fields: labels are data, names are checked identifiers.
        match crm.add_field("Potentials", NewField::new(format!("{bad} label{i}"), FieldType::Text)) {
            Ok(field) => {
                assert!(field.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "{}", field.name);
                assert_eq!(field.label, format!("{bad} label{i}"));
                let r = crm.create("Potentials", deal(&format!("cf{i}")).with(field.name.as_str(), bad)).unwrap();
                assert_eq!(crm.get(r.id).unwrap().get(&field.name).to_string(), bad);
                seen.push(field.label);
            }
            Err(e) => assert_eq!(e.code(), "schema", "{bad:?}: {e}"),
        }
        match crm.add_field("Potentials", NewField::new(format!("Named{i}"), FieldType::Text).name(bad)) {
            Ok(f) => assert!(f.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "{}", f.name),
            Err(e) => assert_eq!(e.code(), "schema"),
        }
        // Import mapping and options name fields: unknown names are refused or ignored, never run.
        let csv = format!("Opportunity Name,{}\nimp{i},1\n", bad.replace(['\r', '\n', '\0'], " ").replace('"', "\"\""));
        let o = ImportOptions { match_on: vec![bad.to_string()], duplicates: crm_core::io::Duplicates::Skip, ..Default::default() };
        let _ = crm.import_csv(csv.as_bytes(), "Potentials", &o, None);
        seen.push(name);
    }
    seen
}

fn injection_text_is_data_or_refused_and_the_database_stays_intact(b: Backend) {
    let clock = || std::sync::Arc::new(crm_core::clock::FixedClock::at(support::START));
    let mut db = b.db();
    let before = db.is_shared().then(|| {
        drop(db.crm_with_clock(clock()));
        objects(&db)
    });
    let mut crm = db.crm_with_clock(clock());
    // Text holding NUL is refused on every store: that payload has a test of its own (`nul_in_text_is_refused`).
    let nasty: Vec<&str> = NASTY.iter().copied().filter(|t| !t.contains('\0')).collect();
    let stored = attack(&mut crm, &nasty);
    let mut mem = Crm::open(":memory:").unwrap();
    let stored_mem = attack(&mut mem, &nasty);
    assert_eq!(stored, stored_mem);
    // Both engines hold the same records.
    let names = |crm: &Crm| {
        let mut v: Vec<String> = crm.find(Query::new("Potentials")).unwrap().iter().map(|r| r.get("potentialname").to_string()).collect();
        v.sort();
        v
    };
    assert_eq!(names(&crm), names(&mem));
    drop(crm);
    assert!(!std::path::Path::new("/tmp/pwn.db").exists() || std::fs::metadata("/tmp/pwn.db").is_ok_and(|m| m.len() == 0));
    let Some(before) = before else { return };
    if let Some(path) = db.path() {
        integrity_ok(&path);
    }
    let after = objects(&db);
    for t in &before {
        assert!(after.contains(t), "table or index {t} disappeared");
    }
    assert!(after.iter().all(|t| !t.contains("pwn")));
    // The database still opens and reads back every record.
    let crm = db.crm_with_clock(clock());
    assert_eq!(names(&crm), names(&mem));
}

/// A NUL inside a text value is refused on every store with `invalid_format` naming the field (PostgreSQL
/// cannot hold it, and the stores agree); nothing is written.
fn nul_in_text_is_refused(b: Backend) {
    let mut t = b.crm();
    for (fields, field) in [(deal("\u{0}nul"), "potentialname"), (deal("ok").with("description", "a\u{0}b"), "description")] {
        let e = t.crm.create("Potentials", fields).unwrap_err();
        let crm_core::Error::Validation(v) = &e else { panic!("{e:?}") };
        assert_eq!((v.errors()[0].field.as_str(), v.errors()[0].code.as_str()), (field, "invalid_format"), "{e}");
    }
    let r = t.crm.create("Potentials", deal("fine")).unwrap();
    let e = t.crm.update(r.id, Fields::new().with("nextstep", "x\u{0}")).unwrap_err();
    assert_eq!(e.code(), "validation");
    assert_eq!(t.crm.count(Query::new("Potentials")).unwrap(), 1);
    assert_eq!(t.crm.get(r.id).unwrap().get("nextstep").to_string(), "");
}

const FORMULAS: &[&str] = &["=HYPERLINK(\"http://evil\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "=cmd|' /C calc'!A0"];

fn every_csv_export_path_neutralises_formulas(b: Backend) {
    let mut t = b.crm();
    let crm = &mut t.crm;
    // Every text-like field of the three main modules gets a formula.
    let schema = crm.schema().clone();
    for module in ["Potentials", "Accounts", "Contacts"] {
        let m = schema.module(module).unwrap();
        for (i, formula) in FORMULAS.iter().enumerate() {
            let mut fields = match module {
                "Potentials" => deal(&format!("{formula}{i}")),
                "Accounts" => Fields::new().with("accountname", format!("{formula}{i}")),
                _ => Fields::new().with("lastname", format!("{formula}{i}")),
            };
            for f in &m.fields {
                if matches!(f.field_type, FieldType::Text | FieldType::TextArea | FieldType::Phone)
                    && f.is_writable()
                    && !["potentialname", "accountname", "lastname", "currency"].contains(&f.name.as_str())
                {
                    fields = fields.with(f.name.as_str(), *formula);
                }
            }
            crm.create(module, fields).unwrap();
        }
        let ids: Vec<_> = crm.find(Query::new(module)).unwrap().iter().map(|r| r.id).collect();
        let selections = [
            ExportSelection::All(Query::new(module)),
            ExportSelection::Page { query: Query::new(module), page: 1, size: 100 },
            ExportSelection::Ids(ids),
        ];
        for (header, selection) in [HeaderStyle::Labels, HeaderStyle::Names, HeaderStyle::Labels].into_iter().zip(&selections) {
            for delimiter in [crm_core::io::Delimiter::Comma, crm_core::io::Delimiter::Semicolon, crm_core::io::Delimiter::Tab] {
                let mut out = Vec::new();
                let o = ExportOptions { header, delimiter, ..Default::default() };
                let n = crm.export_csv(&mut out, module, selection, &o).unwrap();
                assert_eq!(n, FORMULAS.len() as u64);
                let d = delimiter.byte().unwrap();
                let mut rd = csv::ReaderBuilder::new().delimiter(d).has_headers(true).from_reader(out.as_slice());
                for rec in rd.records() {
                    for cell in rec.unwrap().iter() {
                        let danger = cell.starts_with(['=', '+', '@', '\t', '\r'])
                            || (cell.starts_with('-') && cell.parse::<rust_decimal::Decimal>().is_err());
                        assert!(!danger, "{module}: cell {cell:?} is a live formula");
                    }
                }
            }
        }
    }
}

fn vcard_export_cannot_inject_properties(b: Backend) {
    let mut t = b.crm();
    let crm = &mut t.crm;
    let evil = "x\r\nEMAIL:attacker@evil.example\r\nEND:VCARD\r\nBEGIN:VCARD";
    crm.create(
        "Contacts",
        Fields::new()
            .with("lastname", evil)
            .with("firstname", "=1+1;x,y")
            .with("title", "t\r\nEMAIL:a@b.c")
            .with("description", evil)
            .with("phone", "+1\n2"),
    )
    .unwrap();
    for version in [VcardVersion::V3, VcardVersion::V4] {
        let mut out = Vec::new();
        crm.export_vcard(&mut out, &ExportSelection::All(Query::new("Contacts")), version).unwrap();
        let text = String::from_utf8(out).unwrap();
        // One card; no line (after unfolding) starts a property the record did not have.
        let unfolded = text.replace("\r\n ", "");
        let lines: Vec<&str> = unfolded.split("\r\n").filter(|l| !l.is_empty()).collect();
        assert_eq!(lines.iter().filter(|l| **l == "BEGIN:VCARD").count(), 1, "{text}");
        assert_eq!(lines.iter().filter(|l| **l == "END:VCARD").count(), 1);
        assert!(!lines.iter().any(|l| l.starts_with("EMAIL")), "{text}");
        assert!(!text.replace("\r\n", "").contains('\r') && !text.replace("\r\n", "").contains('\n'));
        // Re-imported, the card gives back the same contact name.
        let mut other = Crm::open(":memory:").unwrap();
        other.add_user(NewUser::new("admin")).unwrap();
        other.set_actor("admin").unwrap();
        let r = other.import_vcard(text.as_bytes(), &Default::default(), None).unwrap();
        assert_eq!(r.created, 1, "{r:?}");
    }
}

on_every_backend!(
    injection_text_is_data_or_refused_and_the_database_stays_intact,
    every_csv_export_path_neutralises_formulas,
    vcard_export_cannot_inject_properties,
    nul_in_text_is_refused,
);
