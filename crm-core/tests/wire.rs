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

on_every_backend!(record_shape_round_trip, get_refuses_deleted, query_spec_reads_the_recycle_bin);

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
            "schema"
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
