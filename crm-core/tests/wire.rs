//! The wire contract on every backend: the record's shape and its round trip, a record in the recycle
//! bin refused by `get` and read by `get_deleted`, the query spec, and the error kinds with their sources.

mod support;

use crm_core::wire::{self, ConditionSpec, FieldsIn, QuerySpec};
use crm_core::{Crm, ErrorKind, Fields, Record, Value};
use support::Backend;

fn deal(crm: &mut Crm) -> Record {
    let org = crm.create("Accounts", Fields::new().with("accountname", "Hooli")).unwrap();
    crm.create(
        "Potentials",
        Fields::new()
            .with("potentialname", "Hooli renewal")
            .with("related_to", Value::Ref(org.id))
            .with("amount", "12000.50")
            .with("sales_stage", "Prospecting")
            .with("closingdate", "2027-03-31"),
    )
    .unwrap()
}

fn record_shape_round_trip(b: Backend) {
    let Some(mut t) = b.try_crm() else { return };
    let r = deal(&mut t.crm);
    let w = wire::records(&t.crm, std::slice::from_ref(&r)).unwrap().remove(0);
    let text = serde_json::to_string(&w).unwrap();
    // Reserved keys first, then every field of the module in layout order, empty ones null.
    assert!(
        text.starts_with(&format!(r#"{{"id":{},"module":"Potentials","label":"Hooli renewal","version":1,"deleted":false,"#, r.id)),
        "{text}"
    );
    let j: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(j["amount"], "12000.50");
    assert_eq!(j["closingdate"], "2027-03-31");
    assert_eq!(j["related_to"], serde_json::json!(r.get("related_to").as_ref_id().unwrap().0));
    assert!(j["description"].is_null());
    let layout = wire::layout_columns(t.crm.module("Potentials").unwrap());
    assert_eq!(j.as_object().unwrap().len(), wire::RESERVED_KEYS.len() + layout.len());
    // The JSON reads back into the same wire record text.
    let back: wire::Record = serde_json::from_str(&text).unwrap();
    assert_eq!((back.id, back.version, back.deleted, &back.label), (r.id, 1, false, &r.label));
    assert_eq!(serde_json::to_string(&back).unwrap(), text);
    // As input, the reserved keys are ignored and values keep their exact text: editable fields sent
    // back unchanged change nothing.
    let FieldsIn(mut fields) = serde_json::from_str(&text).unwrap();
    assert!(wire::RESERVED_KEYS.iter().all(|k| !fields.contains(k)));
    assert_eq!(fields.get("amount"), Some(&Value::Text("12000.50".into())));
    fields.0.retain(|k, _| ["potentialname", "amount", "closingdate", "related_to", "sales_stage"].contains(&k.as_str()));
    let same = t.crm.update_version(r.id, 1, fields).unwrap();
    assert_eq!(same.version, 1, "an unchanged record is not rewritten");
    let FieldsIn(exact) = serde_json::from_str(r#"{"amount": 1000.10, "id": 5}"#).unwrap();
    assert_eq!(exact.iter().collect::<Vec<_>>(), [(&"amount".to_string(), &Value::Text("1000.10".into()))]);
    // A sparse record (host callbacks) carries the same reserved keys and only the non-empty fields.
    let sparse = wire::Record::sparse(&r).to_json();
    assert_eq!(sparse["version"], 1);
    assert_eq!(sparse["amount"], "12000.50");
    assert!(sparse.get("description").is_none());
}

fn get_refuses_deleted(b: Backend) {
    let Some(mut t) = b.try_crm() else { return };
    let r = deal(&mut t.crm);
    assert_eq!(t.crm.get_deleted(r.id).unwrap_err().kind(), ErrorKind::NotFound, "a live record is not in the recycle bin");
    t.crm.delete(r.id).unwrap();
    let e = t.crm.get(r.id).unwrap_err();
    assert_eq!((e.kind(), e.code()), (ErrorKind::NotFound, "not_found"), "{e}");
    let gone = t.crm.get_deleted(r.id).unwrap();
    assert!(gone.deleted);
    assert_eq!(gone.version, 2);
    let w = wire::records(&t.crm, &[gone]).unwrap().remove(0).to_json();
    assert_eq!((w["deleted"].as_bool(), w["version"].as_u64()), (Some(true), Some(2)));
    // What works on records in the recycle bin still does.
    assert_eq!(t.crm.history(r.id).unwrap().len(), 2);
    assert_eq!(t.crm.update(r.id, Fields::new().with("amount", "1")).unwrap_err().kind(), ErrorKind::NotFound);
    let back = t.crm.restore(r.id).unwrap();
    assert!(!back.deleted);
    assert_eq!(t.crm.get(r.id).unwrap().version, back.version);
    t.crm.delete(r.id).unwrap();
    t.crm.purge(r.id).unwrap();
    assert_eq!(t.crm.get_deleted(r.id).unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(t.crm.get(r.id).unwrap_err().kind(), ErrorKind::NotFound);
}

fn query_spec_reads_the_recycle_bin(b: Backend) {
    let Some(mut t) = b.try_crm() else { return };
    let r = deal(&mut t.crm);
    let spec = r#"{"module": "Opportunities", "conditions": [{"field": "amount", "op": ">=", "value": 12000.50},
        {"any": [{"field": "sales_stage", "op": "in", "values": ["Prospecting", "Closed Won"]}]}], "sort": ["-amount"]}"#;
    let q = serde_json::from_str::<QuerySpec>(spec).unwrap().into_query().unwrap();
    assert_eq!(t.crm.find(q.clone()).unwrap().len(), 1);
    t.crm.delete(r.id).unwrap();
    assert_eq!(t.crm.count(q.clone()).unwrap(), 0);
    let mut bin: QuerySpec = serde_json::from_str(spec).unwrap();
    bin.deleted = true;
    let found = t.crm.find(bin.into_query().unwrap()).unwrap();
    assert_eq!(found.iter().map(|r| (r.id, r.deleted)).collect::<Vec<_>>(), [(r.id, true)]);
    // Malformed specs are refused, never widened.
    assert!(serde_json::from_str::<QuerySpec>(r#"{"module": "Potentials", "filter": []}"#).is_err());
    assert!(serde_json::from_str::<ConditionSpec>(r#"{"field": "amount", "op": "=", "value": 1, "values": [2]}"#).is_err());
    let bad = ConditionSpec::compare("amount", "bigger", vec![Value::Int(1)]).into_condition().unwrap_err();
    assert_eq!(bad.kind(), ErrorKind::InvalidArgument);
}

fn conversion_result_is_keyed_by_module(b: Backend) {
    let Some(mut t) = b.try_crm() else { return };
    let lead = t.crm.create("Leads", Fields::new().with("lastname", "Hendricks").with("company", "Initech")).unwrap();
    let spec: wire::ConversionSpec = serde_json::from_str(r#"{"contact": false}"#).unwrap();
    let c = t.crm.convert_lead(lead.id, spec.into_conversion().unwrap()).unwrap();
    let text = serde_json::to_string(&wire::Conversion::from(&c)).unwrap();
    let account = c.account.unwrap().0;
    assert_eq!(text, format!(r#"{{"Accounts":{account},"Contacts":null,"Potentials":null,"account_reused":false}}"#));
    assert_eq!(serde_json::from_str::<wire::Conversion>(&text).unwrap(), wire::Conversion::from(&c));
}

/// History entries and users cross both boundaries with every key, `null` when empty (C once left out
/// `related` and `role`, Python had them as None).
fn history_and_users_keep_every_key(b: Backend) {
    let Some(mut t) = b.try_crm() else { return };
    let r = deal(&mut t.crm);
    let h = serde_json::to_value(t.crm.history(r.id).unwrap()).unwrap();
    let keys: Vec<&str> = h[0].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["actor", "at", "changes", "id", "kind", "module", "record", "related"]);
    assert!(h[0]["related"].is_null());
    let u = serde_json::to_value(t.crm.user("admin").unwrap()).unwrap();
    let keys: Vec<&str> = u.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["active", "email", "full_name", "id", "role", "user_name"]);
}

fn aggregate_groups_name_their_fields(b: Backend) {
    let Some(mut t) = b.try_crm() else { return };
    deal(&mut t.crm);
    let q = crm_core::Query::new("Opportunities");
    let g = wire::aggregate(&t.crm, q, Some("Sales Stage"), &["Amount"]).unwrap();
    assert_eq!((g.group_by.as_deref(), g.sums.as_slice()), (Some("sales_stage"), ["amount".to_string()].as_slice()));
    assert_eq!(serde_json::to_value(&g).unwrap(), serde_json::json!([{"key": "Prospecting", "count": 1, "sums": {"amount": "12000.50"}}]));
    let all = wire::aggregate(&t.crm, crm_core::Query::new("Potentials"), None, &[]).unwrap();
    assert_eq!(serde_json::to_string(&all).unwrap(), r#"[{"count":1,"key":null,"sums":{}}]"#);
}

fn a_saved_filter_narrows_a_query(b: Backend) {
    let Some(mut t) = b.try_crm() else { return };
    let r = deal(&mut t.crm);
    let spec: wire::FilterSpec =
        serde_json::from_str(r#"{"name": "Big", "module": "Potentials", "all": [["amount", "g", 10000]], "sort": "-amount"}"#).unwrap();
    t.crm.save_filter(spec.into_filter()).unwrap();
    let q = wire::with_filter(&t.crm, crm_core::Query::new("Potentials"), Some("Big")).unwrap();
    assert_eq!(q.sort.len(), 1);
    assert_eq!(t.crm.find(q).unwrap().iter().map(|r| r.id).collect::<Vec<_>>(), [r.id]);
    let spec: QuerySpec =
        serde_json::from_str(r#"{"module": "Potentials", "conditions": [{"field": "amount", "op": "<", "value": 100}]}"#).unwrap();
    let q = wire::with_filter(&t.crm, spec.into_query().unwrap(), Some("Big")).unwrap();
    assert_eq!(t.crm.count(q).unwrap(), 0, "both the filter's and the query's conditions hold");
    let e = wire::with_filter(&t.crm, crm_core::Query::new("Potentials"), Some("Nope")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
}

on_every_backend!(
    a_saved_filter_narrows_a_query,
    aggregate_groups_name_their_fields,
    history_and_users_keep_every_key,
    record_shape_round_trip,
    get_refuses_deleted,
    query_spec_reads_the_recycle_bin,
    conversion_result_is_keyed_by_module
);

#[test]
fn error_kinds_keep_their_codes() {
    for k in ErrorKind::ALL {
        assert_eq!(ErrorKind::from_code(k.as_str()), Some(k));
        assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
    }
    assert_eq!(ErrorKind::from_code("something_else"), None);
    let codes: Vec<&str> = ErrorKind::ALL.iter().map(|k| k.as_str()).collect();
    assert_eq!(
        codes,
        [
            "validation",
            "not_found",
            "conflict",
            "invalid_argument",
            "incompatible_version",
            "corrupt",
            "busy",
            "duplicate",
            "storage",
            "io",
            "schema",
            "feed_position_expired",
            "access_denied"
        ]
    );
}

#[test]
fn a_driver_error_keeps_its_typed_source() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("not-a-database.crm");
    std::fs::write(&path, vec![b'x'; 4096]).unwrap();
    let e = Crm::open(path.to_str().unwrap()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Corrupt, "{e}");
    let source = std::error::Error::source(&e).expect("the driver's error is the source");
    assert!(source.downcast_ref::<rusqlite::Error>().is_some(), "{source:?}");
    assert!(e.to_string().starts_with("database is corrupt"), "{e}");
}

#[test]
fn option_specs_read_their_json() {
    use crm_core::wire::{ConversionSpec, SelectionSpec};
    use crm_core::{ExportSelection, TransferTo};
    let c: ConversionSpec =
        serde_json::from_str(r#"{"contact": null, "potential": {"amount": 10.50}, "transfer_to": "Accounts"}"#).unwrap();
    let c = c.into_conversion().unwrap();
    assert_eq!(c.account, Some(Fields::new()), "absent: vtiger's default");
    assert_eq!(c.contact, None, "null skips");
    assert_eq!(c.potential, Some(Fields::new().with("amount", Value::Text("10.50".into()))));
    assert_eq!(c.transfer_to, TransferTo::Account);
    let d = ConversionSpec::default().into_conversion().unwrap();
    assert_eq!((d.account.is_some(), d.contact.is_some(), d.potential.is_none()), (true, true, true));
    assert!(serde_json::from_str::<ConversionSpec>(r#"{"acount": true}"#).is_err());
    let bad: ConversionSpec = serde_json::from_str(r#"{"transfer_to": "lead"}"#).unwrap();
    assert_eq!(bad.into_conversion().unwrap_err().kind(), ErrorKind::InvalidArgument);

    let s: SelectionSpec = serde_json::from_str(r#"{"ids": [7, 8]}"#).unwrap();
    assert!(matches!(s.into_selection().unwrap(), ExportSelection::Ids(ids) if ids.len() == 2));
    let s: SelectionSpec = serde_json::from_str(r#"{"query": {"module": "Potentials"}, "size": 10}"#).unwrap();
    assert!(matches!(s.into_selection().unwrap(), ExportSelection::Page { page: 1, size: 10, .. }));
    let s: SelectionSpec = serde_json::from_str(r#"{"all": {"module": "Potentials"}, "page": 2}"#).unwrap();
    assert_eq!(s.into_selection().unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert!(serde_json::from_str::<SelectionSpec>(r#"{"every": {}}"#).is_err());
}

#[test]
fn options_read_names_symbols_and_aliases_alike() {
    use crm_core::io::vcard_export::VcardVersion;
    use crm_core::io::{DateFormat, Delimiter, Duplicates, Encoding, ExportOptions, HeaderStyle, ImportOptions};
    let o = ImportOptions::from_json(
        r#"{"delimiter": ";", "encoding": "Latin-1", "date_format": "DD.MM.YYYY", "duplicates": "MERGE",
            "decimal_separator": ",", "thousands_separator": ""}"#,
    )
    .unwrap();
    assert_eq!(
        (o.delimiter, o.encoding, o.date_format, o.duplicates, o.decimal_separator, o.thousands_separator),
        (Delimiter::Semicolon, Encoding::Latin1, DateFormat::DayMonthYearDot, Duplicates::Merge, ',', None)
    );
    // The canonical names, as options serialise, read back.
    let canonical = serde_json::to_string(&o).unwrap();
    assert!(canonical.contains(r#""delimiter":"semicolon""#) && canonical.contains(r#""encoding":"iso-8859-1""#), "{canonical}");
    assert_eq!(ImportOptions::from_json(&canonical).unwrap(), o);
    for (text, d) in [("\t", Delimiter::Tab), ("TAB", Delimiter::Tab), ("|", Delimiter::Pipe), ("auto", Delimiter::Auto)] {
        assert_eq!(text.parse::<Delimiter>().unwrap(), d);
    }
    assert_eq!("cp1252".parse::<Encoding>().unwrap(), Encoding::Windows1252);
    assert_eq!("utf_8".parse::<Encoding>().unwrap(), Encoding::Utf8);
    assert_eq!("Names".parse::<HeaderStyle>().unwrap(), HeaderStyle::Names);
    assert_eq!("3.0".parse::<VcardVersion>().unwrap(), VcardVersion::V3);
    let e: ExportOptions = serde_json::from_str(r#"{"delimiter": ",", "header": "none"}"#).unwrap();
    assert_eq!((e.delimiter, e.header), (Delimiter::Comma, HeaderStyle::None));
    // A bad value is InvalidArgument naming the option and what it accepts, from text and from JSON.
    let bad = "ebcdic".parse::<Encoding>().unwrap_err();
    assert_eq!(bad.kind(), ErrorKind::InvalidArgument);
    assert!(bad.to_string().contains("encoding: unknown value 'ebcdic' (one of utf-8"), "{bad}");
    let bad = ImportOptions::from_json(r#"{"delimiter": "::"}"#).unwrap_err();
    assert_eq!(bad.kind(), ErrorKind::InvalidArgument);
    assert!(bad.to_string().contains("delimiter: unknown value '::'"), "{bad}");
    let bad = ImportOptions::from_json(r#"{"decimal_separator": ""}"#).unwrap_err();
    assert!(bad.to_string().contains("decimal_separator: '' is not one character"), "{bad}");
    assert!("5.0".parse::<VcardVersion>().unwrap_err().to_string().contains("version: unknown value '5.0'"));
}

#[test]
fn filter_specs_read_both_forms() {
    use crm_core::{FilterCondition, Visibility, wire::FilterSpec};
    let long: FilterSpec = serde_json::from_str(
        r#"{"name": "Big", "module": "Potentials", "visibility": "private", "all": [{"field": "amount", "comparator": "g", "value": "250"}],
            "sort": [{"field": "amount", "descending": true}]}"#,
    )
    .unwrap();
    let short: FilterSpec = serde_json::from_str(
        r#"{"name": "Big", "module": "Potentials", "visibility": "private", "all": [["amount", "g", 250]], "sort": "-amount"}"#,
    )
    .unwrap();
    assert_eq!(long.clone().into_filter(), short.into_filter());
    let f = long.into_filter();
    assert_eq!((f.all, f.visibility), (vec![FilterCondition::new("amount", "g", "250")], Visibility::Private));
    let d: FilterSpec =
        serde_json::from_str(r#"{"name": "N", "module": "Potentials", "any": [["email", "y"]], "sort": ["-amount", "closingdate"]}"#)
            .unwrap();
    let d = d.into_filter();
    assert_eq!((d.visibility, d.any[0].value.as_str(), d.sort.len()), (Visibility::Public, "", 2));
    assert!(serde_json::from_str::<FilterSpec>(r#"{"name": "N", "module": "Potentials", "al": []}"#).is_err());
    assert!(serde_json::from_str::<FilterSpec>(r#"{"name": "N", "module": "Potentials", "all": [["amount"]]}"#).is_err());
}

#[test]
fn option_names_read_alike() {
    use crm_core::{PipelineBy, StageKind};
    for (text, by) in [
        ("stage", PipelineBy::Stage),
        ("sales_stage", PipelineBy::Stage),
        ("Kind", PipelineBy::StageKind),
        ("month", PipelineBy::CloseMonth),
    ] {
        assert_eq!(text.parse::<PipelineBy>().unwrap(), by);
    }
    assert_eq!("close_year".parse::<PipelineBy>().unwrap(), PipelineBy::CloseYear);
    let e = "weekly".parse::<PipelineBy>().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.to_string().contains("by: unknown value 'weekly'"), "{e}");
    assert_eq!("WON".parse::<StageKind>().unwrap(), StageKind::Won);
    assert!("maybe".parse::<StageKind>().unwrap_err().to_string().contains("kind: unknown value 'maybe' (one of open, won, lost)"));
}

#[cfg(feature = "postgres")]
#[test]
fn a_postgres_driver_error_keeps_its_typed_source() {
    let Ok(server) = std::env::var("CRM_TEST_POSTGRES_URL") else {
        assert!(std::env::var("CRM_TEST_POSTGRES_REQUIRED").is_err(), "CRM_TEST_POSTGRES_URL is required");
        eprintln!("\nskipped: CRM_TEST_POSTGRES_URL is not set (a PostgreSQL server for the tests)");
        return;
    };
    // The server answers, but refuses the database: an error of the server, not of the network.
    let base = server.split('?').next().unwrap_or(&server);
    let (host, _db) = base.rsplit_once('/').expect("a URL with a database name");
    let url = format!("{host}/crm_no_such_database_{}", std::process::id());
    let e = Crm::open(&url).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Storage, "{e}");
    let source = std::error::Error::source(&e).expect("the driver's error is the source");
    let pg = source.downcast_ref::<::postgres::Error>().unwrap_or_else(|| panic!("not a postgres::Error: {source:?}"));
    assert_eq!(pg.code(), Some(&::postgres::error::SqlState::INVALID_CATALOG_NAME), "{pg:?}");
    assert!(e.to_string().contains("crm_no_such_database"), "{e}");
}
