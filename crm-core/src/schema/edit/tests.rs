//! Unit tests of the schema edits: fields, blocks, picklists, dependencies and the JSON form.

use super::*;
use crate::schema::{Field, FieldType, Presence, StageKind};
use rust_decimal_macros::dec;
use std::collections::BTreeMap;

fn s() -> Schema {
    Schema::builtin()
}

fn add(s: &Schema, f: NewField) -> R<Schema> {
    let c = prepare(s, SchemaChange::AddField { module: "Potentials".into(), field: f })?;
    apply(s, &c)
}

#[test]
fn adds_custom_fields_of_every_type_with_generated_names() {
    let mut sc = s();
    let types = [
        NewField::new("Region", FieldType::Text).length(40),
        NewField::new("Margin", FieldType::Decimal).decimal(10, 3),
        NewField::new("Seats", FieldType::Integer),
        NewField::new("Discount", FieldType::Percent),
        NewField::new("List price", FieldType::Currency),
        NewField::new("Kick-off", FieldType::Date),
        NewField::new("Demo at", FieldType::DateTime),
        NewField::new("Call time", FieldType::Time),
        NewField::new("Buyer e-mail", FieldType::Email),
        NewField::new("Buyer phone", FieldType::Phone),
        NewField::new("Tender URL", FieldType::Url),
        NewField::new("Strategic", FieldType::Checkbox).default_value("yes"),
        NewField::new("Tier", FieldType::Picklist).values(&["Gold", "Silver"]).default_value("silver"),
        NewField::new("Products", FieldType::MultiPicklist).values(&["A", "B", "C"]),
        NewField::new("Notes", FieldType::TextArea),
        NewField::new("Partner", FieldType::Reference).references(&["Organizations"]),
    ];
    for f in types {
        sc = add(&sc, f).unwrap();
    }
    let m = sc.module("Potentials").unwrap();
    let custom: Vec<&Field> = m.fields.iter().filter(|f| f.custom).collect();
    assert_eq!(custom.len(), 16);
    assert_eq!(custom[0].name, "cf_2");
    assert_eq!(m.field_by_name_or_label("Tier").unwrap().default.as_deref(), Some("Silver"));
    assert_eq!(m.field_by_name_or_label("Partner").unwrap().references, ["Accounts"]);
    assert_eq!(sc.version, 17);
    assert!(custom.iter().all(|f| f.block == "LBL_CUSTOM_INFORMATION"));
    let seqs: Vec<u32> = custom.iter().map(|f| f.sequence).collect();
    assert_eq!(seqs, (1..=16).collect::<Vec<_>>());
}

#[test]
fn refuses_bad_fields() {
    let sc = s();
    let code = |f: NewField| add(&sc, f).unwrap_err().code();
    assert_eq!(code(NewField::new("amount", FieldType::Text)), "duplicate_label");
    assert_eq!(code(NewField::new("X", FieldType::Text).name("id")), "invalid_name");
    assert_eq!(code(NewField::new("X", FieldType::Text).name("Bad Name")), "invalid_name");
    assert_eq!(code(NewField::new("X", FieldType::Text).name("amount")), "duplicate_name");
    assert_eq!(code(NewField::new("X", FieldType::Text).length(300)), "invalid_option");
    assert_eq!(code(NewField::new("X", FieldType::Decimal).decimal(30, 2)), "invalid_option");
    assert_eq!(code(NewField::new("X", FieldType::Decimal).decimal(10, 6)), "invalid_option");
    assert_eq!(code(NewField::new("X", FieldType::Picklist)), "invalid_option");
    assert_eq!(code(NewField::new("X", FieldType::Picklist).values(&["a", "A"])), "duplicate_value");
    assert_eq!(code(NewField::new("X", FieldType::Reference)), "invalid_option");
    assert_eq!(code(NewField::new("X", FieldType::Reference).references(&["Nope"])), "unknown_module");
    assert_eq!(code(NewField::new("X", FieldType::Reference).references(&["Accounts"]).default_value("1")), "invalid_default");
    assert_eq!(code(NewField::new("X", FieldType::Integer).default_value("abc")), "invalid_default");
    assert_eq!(code(NewField::new("X", FieldType::Owner)), "invalid_option");
    assert_eq!(code(NewField::new("X", FieldType::Text).block("nope")), "unknown_block");
}

#[test]
fn standard_and_compulsory_fields_are_protected() {
    let sc = s();
    let upd = |f: &str, u: FieldUpdate| apply(&sc, &SchemaChange::UpdateField { module: "Potentials".into(), field: f.into(), update: u });
    let del = |f: &str| apply(&sc, &SchemaChange::DeleteField { module: "Potentials".into(), field: f.into() });
    assert_eq!(del("amount").unwrap_err().code(), "standard");
    assert_eq!(del("nope").unwrap_err().code(), "unknown_field");
    assert_eq!(upd("sales_stage", FieldUpdate { mandatory: Some(false), ..Default::default() }).unwrap_err().code(), "protected");
    assert_eq!(upd("closingdate", FieldUpdate { presence: Some(Presence::Hidden), ..Default::default() }).unwrap_err().code(), "protected");
    assert_eq!(
        upd("potentialname", FieldUpdate { presence: Some(Presence::Hidden), ..Default::default() }).unwrap_err().code(),
        "protected"
    );
    assert_eq!(
        upd("closingdate", FieldUpdate { default: Some("2027-01-01".into()), ..Default::default() }).unwrap_err().code(),
        "invalid_default"
    );
    assert_eq!(upd("potential_no", FieldUpdate { default: Some("X".into()), ..Default::default() }).unwrap_err().code(), "invalid_default");
    assert_eq!(
        upd("createdtime", FieldUpdate { default: Some("2027-01-01".into()), ..Default::default() }).unwrap_err().code(),
        "invalid_default"
    );
    assert_eq!(
        upd("assigned_user_id", FieldUpdate { default: Some("1".into()), ..Default::default() }).unwrap_err().code(),
        "invalid_default"
    );
    assert_eq!(
        upd("amount", FieldUpdate { label: Some("Sales Stage".into()), ..Default::default() }).unwrap_err().code(),
        "duplicate_label"
    );
    assert_eq!(upd("amount", FieldUpdate { field_type: Some(FieldType::Text), ..Default::default() }).unwrap_err().code(), "lossy_change");
    assert_eq!(upd("nextstep", FieldUpdate { max_length: Some(10), ..Default::default() }).unwrap_err().code(), "lossy_change");
    let ok =
        upd("nextstep", FieldUpdate { max_length: Some(200), mandatory: Some(true), label: Some("Next".into()), ..Default::default() })
            .unwrap();
    let f = ok.module("Potentials").unwrap().field("nextstep").unwrap();
    assert_eq!((f.max_length, f.mandatory, f.label.as_str()), (Some(200), true, "Next"));
    let ok = upd("nextstep", FieldUpdate { field_type: Some(FieldType::TextArea), ..Default::default() }).unwrap();
    assert_eq!(ok.module("Potentials").unwrap().field("nextstep").unwrap().field_type, FieldType::TextArea);
    let ok =
        upd("leadsource", FieldUpdate { default: Some("partner".into()), presence: Some(Presence::Hidden), ..Default::default() }).unwrap();
    let f = ok.module("Potentials").unwrap().field("leadsource").unwrap();
    assert_eq!((f.default.as_deref(), f.presence), (Some("Partner"), Presence::Hidden));
}

#[test]
fn blocks_and_ordering() {
    let sc = s();
    let c = prepare(&sc, SchemaChange::AddBlock { module: "Potentials".into(), name: None, label: "Extra".into() }).unwrap();
    let sc = apply(&sc, &c).unwrap();
    let m = sc.module("Potentials").unwrap();
    let b = m.blocks.last().unwrap();
    assert_eq!((b.name.as_str(), b.sequence, b.custom), ("blk_2", 4, true));
    let dup = apply(&sc, &SchemaChange::AddBlock { module: "Potentials".into(), name: None, label: "extra".into() });
    assert_eq!(dup.unwrap_err().code(), "duplicate_label");
    let sc = apply(
        &sc,
        &SchemaChange::MoveField { module: "Potentials".into(), field: "nextstep".into(), block: "Extra".into(), position: None },
    )
    .unwrap();
    let m = sc.module("Potentials").unwrap();
    assert_eq!(m.field("nextstep").unwrap().block, "blk_2");
    let seqs: Vec<u32> = {
        let mut v: Vec<u32> = m.fields.iter().filter(|f| f.block == "LBL_OPPORTUNITY_INFORMATION").map(|f| f.sequence).collect();
        v.sort();
        v
    };
    assert_eq!(seqs, (1..=seqs.len() as u32).collect::<Vec<_>>());
    let err = apply(&sc, &SchemaChange::DeleteBlock { module: "Potentials".into(), block: "Extra".into() }).unwrap_err();
    assert_eq!(err.code(), "block_not_empty");
    let err = apply(&sc, &SchemaChange::DeleteBlock { module: "Potentials".into(), block: "LBL_CUSTOM_INFORMATION".into() }).unwrap_err();
    assert_eq!(err.code(), "standard");
    let sc = apply(
        &sc,
        &SchemaChange::MoveField {
            module: "Potentials".into(),
            field: "nextstep".into(),
            block: "LBL_OPPORTUNITY_INFORMATION".into(),
            position: Some(1),
        },
    )
    .unwrap();
    assert_eq!(sc.module("Potentials").unwrap().fields_in_layout_order()[0].name, "nextstep");
    let sc = apply(&sc, &SchemaChange::DeleteBlock { module: "Potentials".into(), block: "blk_2".into() }).unwrap();
    let sc = apply(&sc, &SchemaChange::ReorderBlocks { module: "Potentials".into(), blocks: vec!["LBL_DESCRIPTION_INFORMATION".into()] })
        .unwrap();
    let names: Vec<&str> = sc.module("Potentials").unwrap().blocks.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(names, ["LBL_DESCRIPTION_INFORMATION", "LBL_OPPORTUNITY_INFORMATION", "LBL_CUSTOM_INFORMATION"]);
    let sc = apply(
        &sc,
        &SchemaChange::ReorderFields {
            module: "Potentials".into(),
            block: "LBL_OPPORTUNITY_INFORMATION".into(),
            fields: vec!["amount".into(), "Opportunity Name".into()],
        },
    )
    .unwrap();
    let order: Vec<&str> =
        sc.module("Potentials").unwrap().fields_in_layout_order().iter().skip(1).take(3).map(|f| f.name.as_str()).collect();
    assert_eq!(order, ["amount", "potentialname", "nextstep"]);
}

#[test]
fn picklist_editor_rules() {
    let sc = s();
    let pl = |module: &str, field: &str| (module.to_string(), field.to_string());
    let (m, f) = pl("Potentials", "sales_stage");
    let rename = |sc: &Schema, from: &str, to: &str| {
        apply(sc, &SchemaChange::RenamePicklistValue { module: m.clone(), field: f.clone(), from: from.into(), to: to.into() })
    };
    assert_eq!(rename(&sc, "Closed Won", "Won").unwrap_err().code(), "not_editable");
    assert_eq!(rename(&sc, "Prospecting", "qualification").unwrap_err().code(), "duplicate_value");
    assert_eq!(rename(&sc, "Nope", "X").unwrap_err().code(), "unknown_value");
    let sc2 = rename(&sc, "prospecting", "Discovery").unwrap();
    assert_eq!(sc2.stage("Discovery").unwrap().probability, dec!(10));
    let del = |sc: &Schema, values: &[&str], repl: Option<&str>| {
        apply(
            sc,
            &SchemaChange::DeletePicklistValues {
                module: m.clone(),
                field: f.clone(),
                values: values.iter().map(|s| s.to_string()).collect(),
                replacement: repl.map(str::to_string),
            },
        )
    };
    assert_eq!(del(&sc, &["Closed Lost"], Some("Prospecting")).unwrap_err().code(), "not_editable");
    assert_eq!(del(&sc, &["Qualification"], None).unwrap_err().code(), "mandatory_picklist");
    assert_eq!(del(&sc, &["Qualification"], Some("Qualification")).unwrap_err().code(), "invalid_option");
    let sc3 = del(&sc, &["Qualification", "Needs Analysis"], Some("Prospecting")).unwrap();
    assert_eq!(sc3.picklist("sales_stage").unwrap().values.len(), 8);
    // last value of a mandatory picklist (a custom mandatory picklist with one value)
    let sc4 = add(&sc, NewField::new("Tier", FieldType::Picklist).values(&["Gold"]).mandatory()).unwrap();
    let err = apply(
        &sc4,
        &SchemaChange::DeletePicklistValues { module: m.clone(), field: "Tier".into(), values: vec!["Gold".into()], replacement: None },
    )
    .unwrap_err();
    assert_eq!(err.code(), "mandatory_picklist");
    let err =
        apply(&sc, &SchemaChange::AddPicklistValues { module: m.clone(), field: "amount".into(), values: vec!["x".into()] }).unwrap_err();
    assert_eq!(err.code(), "not_a_picklist");
    let err =
        apply(&sc, &SchemaChange::AddPicklistValues { module: m.clone(), field: f.clone(), values: vec!["a |##| b".into()] }).unwrap_err();
    assert_eq!(err.code(), "invalid_name");
    // a comma would split the value in filter and workflow value lists (found by a property test)
    let err =
        apply(&sc, &SchemaChange::AddPicklistValues { module: m.clone(), field: f.clone(), values: vec!["a, b".into()] }).unwrap_err();
    assert_eq!(err.code(), "invalid_name");
    let sc5 = apply(
        &sc,
        &SchemaChange::ReorderPicklist { module: m.clone(), field: f.clone(), values: vec!["Closed Lost".into(), "closed won".into()] },
    )
    .unwrap();
    let first: Vec<&str> = sc5.picklist("sales_stage").unwrap().values.iter().take(3).map(|v| v.value.as_str()).collect();
    assert_eq!(first, ["Closed Lost", "Closed Won", "Prospecting"]);
    let err =
        apply(&sc, &SchemaChange::SetStageMeta { value: "Closed Won".into(), kind: StageKind::Lost, probability: dec!(0) }).unwrap_err();
    assert_eq!(err.code(), "not_editable");
    let sc6 =
        apply(&sc, &SchemaChange::SetStageMeta { value: "Qualification".into(), kind: StageKind::Open, probability: dec!(15) }).unwrap();
    assert_eq!(sc6.stage("Qualification").unwrap().probability, dec!(15));
}

#[test]
fn dependencies_follow_renames_and_refuse_cycles() {
    let sc = s();
    let sc = add(&sc, NewField::new("Region", FieldType::Picklist).values(&["EU", "US"]).name("region")).unwrap();
    let sc = add(&sc, NewField::new("Country", FieldType::Picklist).values(&["DE", "FR", "CA"]).name("country")).unwrap();
    let map = |pairs: &[(&str, &[&str])]| pairs.iter().map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect())).collect();
    let dep = |sc: &Schema, s: &str, t: &str, m: BTreeMap<String, Vec<String>>| {
        apply(sc, &SchemaChange::SetPicklistDependency { module: "Potentials".into(), source: s.into(), target: t.into(), mapping: m })
    };
    let sc = dep(&sc, "region", "country", map(&[("EU", &["DE", "FR"]), ("US", &["CA"])])).unwrap();
    assert_eq!(dep(&sc, "country", "region", map(&[("DE", &["EU"])])).unwrap_err().code(), "dependency");
    assert_eq!(dep(&sc, "opportunity_type", "country", map(&[("New Business", &["DE"])])).unwrap_err().code(), "dependency");
    assert_eq!(dep(&sc, "region", "country", map(&[("XX", &["DE"])])).unwrap_err().code(), "unknown_value");
    let sc = apply(
        &sc,
        &SchemaChange::RenamePicklistValue { module: "Potentials".into(), field: "region".into(), from: "EU".into(), to: "Europe".into() },
    )
    .unwrap();
    let sc = apply(
        &sc,
        &SchemaChange::RenamePicklistValue {
            module: "Potentials".into(),
            field: "country".into(),
            from: "DE".into(),
            to: "Germany".into(),
        },
    )
    .unwrap();
    let d = &sc.module("Potentials").unwrap().dependencies[0];
    assert_eq!(d.mapping.get("Europe").unwrap(), &vec!["Germany".to_string(), "FR".to_string()]);
    let err = apply(&sc, &SchemaChange::DeleteField { module: "Potentials".into(), field: "region".into() }).unwrap_err();
    assert_eq!(err.code(), "in_use");
    let sc = dep(&sc, "region", "country", BTreeMap::new()).unwrap();
    assert!(sc.module("Potentials").unwrap().dependencies.is_empty());
    let sc = apply(&sc, &SchemaChange::DeleteField { module: "Potentials".into(), field: "region".into() }).unwrap();
    assert!(sc.picklist("region").is_none());
}

#[test]
fn changes_round_trip_as_json() {
    let c = SchemaChange::AddField { module: "Potentials".into(), field: NewField::new("Tier", FieldType::Picklist).values(&["Gold"]) };
    let j = serde_json::to_string(&c).unwrap();
    assert!(j.contains("\"op\":\"add_field\""), "{j}");
    assert_eq!(serde_json::from_str::<SchemaChange>(&j).unwrap(), c);
    let c = SchemaChange::SetStageMeta { value: "X".into(), kind: StageKind::Open, probability: dec!(12.5) };
    assert_eq!(serde_json::from_str::<SchemaChange>(&serde_json::to_string(&c).unwrap()).unwrap(), c);
}
