//! Field and picklist customization on every storage backend (and, for several handles, on the shared ones).

use crm_core::schema::edit::FieldUpdate;
use crm_core::storage::SchemaStoreChange;
use crm_core::storage::prelude::*;
use crm_core::{Condition, Crm, Error, FieldType, Fields, NewField, NewUser, Op, Presence, Query, StageKind, ValidationCode, Value};
use rust_decimal_macros::dec;
use support::Backend;

mod support;

/// Runs `test` on a new CRM on `b`, set up as below, with the backend's name for messages.
fn with_setup(b: Backend, test: impl FnOnce(&mut Crm, &str)) {
    let mut t = b.bare();
    setup(&mut t.crm);
    test(&mut t.crm, b.name());
}

fn setup(crm: &mut Crm) {
    crm.add_user(NewUser::new("admin").full_name("Administrator")).unwrap();
    crm.add_user(NewUser::new("rep").role("Sales Rep")).unwrap();
    crm.add_user(NewUser::new("boss").role("Manager")).unwrap();
    crm.set_actor("admin").unwrap();
}

fn deal(name: &str) -> Fields {
    Fields::new().with("potentialname", name).with("sales_stage", "Prospecting").with("closingdate", "2027-03-31").with("amount", "1000")
}

fn schema_code(e: &Error) -> &'static str {
    match e {
        Error::Schema(s) => s.code(),
        other => panic!("expected a schema error, got {other:?}"),
    }
}

fn custom_fields_store_filter_and_survive(b: Backend) {
    with_setup(b, |crm, store| {
        let before = crm.create("Potentials", deal("Old deal")).unwrap();
        let region = crm.add_field("Potentials", NewField::new("Region", FieldType::Text).length(40)).unwrap();
        assert!(region.name.starts_with("cf_"), "{store}");
        assert!(region.custom);
        let seats = crm.add_field("Opportunities", NewField::new("Seats", FieldType::Integer).name("seats")).unwrap();
        let margin = crm.add_field("Potentials", NewField::new("Margin", FieldType::Decimal).decimal(10, 3)).unwrap();
        let d = crm
            .create("Potentials", deal("New deal").with("Region", "EMEA").with("seats", 12).with(margin.name.as_str(), "1.23456"))
            .unwrap();
        assert_eq!(d.get(&region.name), &Value::Text("EMEA".into()), "{store}");
        assert_eq!(crm.get(d.id).unwrap().get(&margin.name).to_string(), "1.235");
        let found = crm.find(Query::new("Potentials").filter(Condition::cmp(&seats.name, Op::Gt, "10"))).unwrap();
        assert_eq!(found.iter().map(|r| r.id).collect::<Vec<_>>(), vec![d.id], "{store}");
        // the old record is untouched and still saves
        let old = crm.get(before.id).unwrap();
        assert_eq!(old.version, 1);
        assert!(old.get(&region.name).is_empty());
        crm.update(before.id, Fields::new().with("Region", "APAC")).unwrap();
        // too long for the custom length
        let err = crm.update(before.id, Fields::new().with("Region", "x".repeat(41))).unwrap_err();
        assert_eq!(err.field_errors()[0].code, ValidationCode::TooLong);
        // the schema change log
        let log = crm.schema_changes().unwrap();
        assert_eq!(log.len(), 3, "{store}");
        assert_eq!(log[0].actor, "admin");
        assert_eq!(log[0].change.op(), "add_field");
        assert_eq!(log[1].change.module(), Some("Potentials"), "module labels are stored as names");
        assert_eq!(log[2].version, crm.schema().version);
    });
}

#[test]
fn sqlite_custom_field_is_a_real_column() {
    let mut t = Backend::SqliteFile.bare();
    let path = t.db.path().unwrap();
    let crm = &mut t.crm;
    setup(crm);
    let f = crm.add_field("Potentials", NewField::new("Region", FieldType::Text)).unwrap();
    crm.create("Potentials", deal("A").with("Region", "EMEA")).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let v: String = conn.query_row(&format!("SELECT \"{}\" FROM potentials", f.name), [], |r| r.get(0)).unwrap();
    assert_eq!(v, "EMEA");
    let (op, json): (String, String) =
        conn.query_row("SELECT op, change FROM crm_schema_changes", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
    assert_eq!(op, "add_field");
    assert!(json.contains("\"label\":\"Region\""), "{json}");
}

fn new_mandatory_field_applies_on_next_save(b: Backend) {
    with_setup(b, |crm, store| {
        let old = crm.create("Potentials", deal("Old")).unwrap();
        crm.add_field("Potentials", NewField::new("Tier", FieldType::Picklist).values(&["Gold", "Silver"]).name("tier").mandatory())
            .unwrap();
        crm.add_field("Potentials", NewField::new("Segment", FieldType::Text).name("segment").mandatory().default_value("SMB")).unwrap();
        // stored records are not touched
        let r = crm.get(old.id).unwrap();
        assert!(r.get("tier").is_empty() && r.get("segment").is_empty(), "{store}");
        assert_eq!(r.version, 1);
        // the next save must supply the value without a default ...
        let err = crm.update(old.id, Fields::new().with("amount", "5")).unwrap_err();
        let fields: Vec<&str> = err.field_errors().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["tier"], "{store}");
        // ... and the default fills the one that has it
        let r = crm.update(old.id, Fields::new().with("amount", "5").with("tier", "gold")).unwrap();
        assert_eq!(r.get("tier"), &Value::Text("Gold".into()));
        assert_eq!(r.get("segment"), &Value::Text("SMB".into()));
        // new records: default applies, missing value refused
        assert!(crm.create("Potentials", deal("New")).is_err());
        let n = crm.create("Potentials", deal("New").with("tier", "Silver")).unwrap();
        assert_eq!(n.get("segment"), &Value::Text("SMB".into()));
    });
}

fn hidden_fields_keep_data_and_layout_edits_work(b: Backend) {
    with_setup(b, |crm, store| {
        let r = crm.create("Potentials", deal("A").with("nextstep", "Call back")).unwrap();
        let f = crm
            .update_field(
                "Potentials",
                "Next Step",
                FieldUpdate { presence: Some(Presence::Hidden), label: Some("Next Action".into()), ..Default::default() },
            )
            .unwrap();
        assert_eq!((f.presence, f.label.as_str()), (Presence::Hidden, "Next Action"));
        assert_eq!(crm.get(r.id).unwrap().get("nextstep"), &Value::Text("Call back".into()), "{store}");
        let b = crm.add_block("Potentials", "Deal Desk").unwrap();
        crm.move_field("Potentials", "nextstep", "Deal Desk", None).unwrap();
        assert_eq!(crm.module("Potentials").unwrap().field("nextstep").unwrap().block, b.name);
        assert_eq!(schema_code(&crm.delete_block("Potentials", "Deal Desk").unwrap_err()), "block_not_empty");
        crm.rename_block("Potentials", "Deal Desk", "Desk").unwrap();
        crm.reorder_blocks("Potentials", &["Desk"]).unwrap();
        assert_eq!(crm.module("Potentials").unwrap().blocks[0].name, b.name);
        crm.move_field("Potentials", "nextstep", "LBL_OPPORTUNITY_INFORMATION", Some(2)).unwrap();
        crm.reorder_fields("Potentials", "LBL_OPPORTUNITY_INFORMATION", &["amount"]).unwrap();
        crm.delete_block("Potentials", "Desk").unwrap();
        assert_eq!(crm.get(r.id).unwrap().get("nextstep"), &Value::Text("Call back".into()));
        // rules
        let upd = |u: FieldUpdate| u;
        assert_eq!(
            schema_code(
                &crm.update_field("Potentials", "sales_stage", upd(FieldUpdate { mandatory: Some(false), ..Default::default() }))
                    .unwrap_err()
            ),
            "protected"
        );
        assert_eq!(
            schema_code(
                &crm.update_field(
                    "Potentials",
                    "closingdate",
                    upd(FieldUpdate { default: Some("2027-01-01".into()), ..Default::default() })
                )
                .unwrap_err()
            ),
            "invalid_default"
        );
        assert_eq!(schema_code(&crm.delete_field("Potentials", "amount").unwrap_err()), "standard");
        // quick-create flag and mass-edit flag of a custom field
        let f = crm.add_field("Potentials", NewField::new("Budget owner", FieldType::Text)).unwrap();
        assert!(crm.quick_create("Potentials", deal("Q").with(f.name.as_str(), "CFO")).is_err(), "{store}");
        let f = crm
            .update_field(
                "Potentials",
                "Budget owner",
                FieldUpdate { quick_create: Some(true), mass_editable: Some(false), ..Default::default() },
            )
            .unwrap();
        assert!(f.quick_create && !f.mass_editable && f.quick_create_sequence.is_some());
        let q = crm.quick_create("Potentials", deal("Q").with(f.name.as_str(), "CFO")).unwrap();
        assert_eq!(q.get(&f.name), &Value::Text("CFO".into()));
        // a standard field made mandatory: stored records survive until their next save
        crm.update_field(
            "Potentials",
            "nextstep",
            FieldUpdate { presence: Some(Presence::Shown), mandatory: Some(true), ..Default::default() },
        )
        .unwrap();
        assert_eq!(crm.get(q.id).unwrap().version, 1);
        let err = crm.update(q.id, Fields::new().with("amount", "1")).unwrap_err();
        assert_eq!(err.field_errors()[0].field, "nextstep");
    });
}

fn bad_requests_change_nothing(b: Backend) {
    with_setup(b, |crm, store| {
        crm.add_field("Potentials", NewField::new("Region", FieldType::Text)).unwrap();
        let version = crm.schema().version;
        let schema = crm.schema().clone();
        let errors = [
            crm.add_field("Potentials", NewField::new("region", FieldType::Text)).unwrap_err(),
            crm.update_field("Potentials", "nope", FieldUpdate::default()).unwrap_err(),
            crm.update_field("Potentials", "amount", FieldUpdate { field_type: Some(FieldType::Integer), ..Default::default() })
                .unwrap_err(),
            crm.delete_picklist_values("Potentials", "sales_stage", &["Prospecting"], None).unwrap_err(),
            crm.rename_picklist_value("Potentials", "sales_stage", "Closed Lost", "Lost").unwrap_err(),
            crm.add_field("Nope", NewField::new("X", FieldType::Text)).unwrap_err(),
        ];
        let codes: Vec<&str> = errors.iter().map(schema_code).collect();
        assert_eq!(
            codes,
            ["duplicate_label", "unknown_field", "lossy_change", "mandatory_picklist", "not_editable", "unknown_module"],
            "{store}"
        );
        assert!(errors.iter().all(|e| e.code() == "schema"));
        assert_eq!(crm.schema().version, version);
        assert_eq!(crm.schema(), &schema);
        assert_eq!(crm.schema_changes().unwrap().len(), 1);
    });
}

fn renaming_and_deleting_values_rewrites_every_record(b: Backend) {
    with_setup(b, |crm, store| {
        let a = crm.create("Potentials", deal("A")).unwrap();
        let b = crm.create("Potentials", deal("B").with("sales_stage", "Qualification").with("leadsource", "Cold Call")).unwrap();
        let gone = crm.create("Potentials", deal("C")).unwrap();
        crm.delete(gone.id).unwrap();
        let lead = crm.create("Leads", Fields::new().with("lastname", "Smith").with("leadsource", "Cold Call")).unwrap();
        crm.update_field("Potentials", "leadsource", FieldUpdate { default: Some("Cold Call".into()), ..Default::default() }).unwrap();

        crm.rename_picklist_value("Potentials", "sales_stage", "Prospecting", "Discovery").unwrap();
        assert_eq!(crm.get(a.id).unwrap().get("sales_stage"), &Value::Text("Discovery".into()), "{store}");
        assert_eq!(crm.get_deleted(gone.id).unwrap().get("sales_stage"), &Value::Text("Discovery".into()), "{store}: deleted records too");
        // Each rewritten record gets a new version and a change-log entry (a save planned on the old
        // version is refused instead of writing the old value back).
        assert_eq!(crm.get(a.id).unwrap().version, 2, "{store}: a rewritten record gets a new version");
        let logged = crm.history(a.id).unwrap().pop().unwrap().changes;
        assert_eq!((logged[0].before.as_deref(), logged[0].after.as_deref()), (Some("Prospecting"), Some("Discovery")), "{store}");
        assert_eq!(crm.schema().stage("Discovery").unwrap().probability, dec!(10));
        assert_eq!(crm.count(Query::new("Potentials").filter(Condition::cmp("sales_stage", Op::Eq, "Discovery"))).unwrap(), 1);
        // shared picklist: every module using it, and the default
        crm.rename_picklist_value("Potentials", "leadsource", "Cold Call", "Cold Outreach").unwrap();
        assert_eq!(crm.get(lead.id).unwrap().get("leadsource"), &Value::Text("Cold Outreach".into()), "{store}");
        assert_eq!(crm.module("Potentials").unwrap().field("leadsource").unwrap().default.as_deref(), Some("Cold Outreach"));
        // delete with replacement
        crm.delete_picklist_values("Potentials", "sales_stage", &["Qualification", "Needs Analysis"], Some("Discovery")).unwrap();
        assert_eq!(crm.get(b.id).unwrap().get("sales_stage"), &Value::Text("Discovery".into()), "{store}");
        assert!(crm.schema().picklist("sales_stage").unwrap().get("Qualification").is_none());
        let err = crm.create("Potentials", deal("D").with("sales_stage", "Qualification")).unwrap_err();
        assert_eq!(err.field_errors()[0].code, ValidationCode::UnknownPicklistValue);
        // delete without replacement on an optional picklist clears the value
        crm.delete_picklist_values("Potentials", "leadsource", &["Cold Outreach"], None).unwrap();
        assert!(crm.get(b.id).unwrap().get("leadsource").is_empty(), "{store}");
        assert!(crm.module("Potentials").unwrap().field("leadsource").unwrap().default.is_none());
        // the record history is untouched; the schema log tells what happened
        let ops: Vec<&str> = crm.schema_changes().unwrap().iter().map(|e| e.change.op()).collect::<Vec<_>>().into_iter().collect();
        assert_eq!(
            ops,
            ["update_field", "rename_picklist_value", "rename_picklist_value", "delete_picklist_values", "delete_picklist_values"]
        );
        // stage metadata
        crm.set_stage_meta("Discovery", StageKind::Open, dec!(5)).unwrap();
        let r = crm.create("Potentials", deal("E").with("sales_stage", "Discovery")).unwrap();
        assert_eq!(r.get("probability").to_string(), "5.000");
        crm.add_picklist_values("Potentials", "sales_stage", &["Verbal Yes"]).unwrap();
        crm.reorder_picklist("Potentials", "sales_stage", &["Verbal Yes"]).unwrap();
        assert_eq!(crm.picklist_values("Potentials", "sales_stage", None).unwrap()[0], "Verbal Yes");
    });
}

fn multi_select_fields_store_filter_and_rewrite(b: Backend) {
    with_setup(b, |crm, store| {
        let f = crm.add_field("Potentials", NewField::new("Products", FieldType::MultiPicklist).values(&["CRM", "ERP", "BI"])).unwrap();
        let a = crm.create("Potentials", deal("A").with(f.name.as_str(), Value::List(vec!["crm".into(), "BI".into()]))).unwrap();
        let b = crm.create("Potentials", deal("B").with(f.name.as_str(), "ERP |##| BI")).unwrap();
        assert_eq!(a.get(&f.name), &Value::List(vec!["CRM".into(), "BI".into()]));
        let ids = |crm: &Crm, v: &str| -> Vec<i64> {
            let mut v: Vec<i64> =
                crm.find(Query::new("Potentials").filter(Condition::cmp(&f.name, Op::Eq, v))).unwrap().iter().map(|r| r.id.0).collect();
            v.sort();
            v
        };
        assert_eq!(ids(crm, "BI"), vec![a.id.0, b.id.0], "{store}");
        assert_eq!(ids(crm, "ERP"), vec![b.id.0], "{store}");
        crm.rename_picklist_value("Potentials", &f.name, "BI", "Analytics").unwrap();
        assert_eq!(crm.get(a.id).unwrap().get(&f.name), &Value::List(vec!["CRM".into(), "Analytics".into()]), "{store}");
        crm.delete_picklist_values("Potentials", &f.name, &["ERP"], Some("CRM")).unwrap();
        assert_eq!(crm.get(b.id).unwrap().get(&f.name), &Value::List(vec!["CRM".into(), "Analytics".into()]), "{store}");
        crm.delete_picklist_values("Potentials", &f.name, &["CRM"], Some("Analytics")).unwrap();
        assert_eq!(crm.get(a.id).unwrap().get(&f.name), &Value::List(vec!["Analytics".into()]), "{store}: no duplicates");
    });
}

fn deleting_a_custom_field_removes_its_data_but_keeps_history(b: Backend) {
    with_setup(b, |crm, store| {
        let f = crm.add_field("Potentials", NewField::new("Region", FieldType::Text)).unwrap();
        let r = crm.create("Potentials", deal("A").with("Region", "EMEA")).unwrap();
        crm.update(r.id, Fields::new().with("Region", "APAC")).unwrap();
        crm.delete_field("Potentials", "Region").unwrap();
        assert!(crm.module("Potentials").unwrap().field(&f.name).is_none());
        let got = crm.get(r.id).unwrap();
        assert!(got.get(&f.name).is_empty(), "{store}");
        let h = crm.history(r.id).unwrap();
        let change = h[1].changes.iter().find(|c| c.field == f.name).unwrap();
        assert_eq!((change.before.as_deref(), change.after.as_deref()), (Some("EMEA"), Some("APAC")), "{store}");
        let err = crm.update(r.id, Fields::new().with(f.name.as_str(), "X")).unwrap_err();
        assert_eq!(err.field_errors()[0].code, ValidationCode::UnknownField);
        // the record still saves, and a field with the same label can be added again
        crm.update(r.id, Fields::new().with("amount", "7")).unwrap();
        let again = crm.add_field("Potentials", NewField::new("Region", FieldType::Text)).unwrap();
        assert_ne!(again.name, f.name, "generated names are never reused");
        assert!(crm.get(r.id).unwrap().get(&again.name).is_empty());
    });
}

fn role_scoped_values(b: Backend) {
    with_setup(b, |crm, store| {
        crm.set_picklist_value_roles("Potentials", "opportunity_type", "New Business", &["Manager"]).unwrap();
        assert_eq!(crm.picklist_values("Potentials", "opportunity_type", Some("Sales Rep")).unwrap(), ["Existing Business"]);
        crm.set_actor("rep").unwrap();
        let err = crm.create("Potentials", deal("A").with("opportunity_type", "new business")).unwrap_err();
        assert_eq!(err.field_errors()[0].code, ValidationCode::NotAllowed, "{store}");
        let r = crm.create("Potentials", deal("A").with("opportunity_type", "Existing Business")).unwrap();
        crm.set_actor("boss").unwrap();
        let r = crm.update(r.id, Fields::new().with("opportunity_type", "New Business")).unwrap();
        // the rep keeps the stored value when saving something else, but cannot pick it again
        crm.set_actor("rep").unwrap();
        crm.update(r.id, Fields::new().with("amount", "2000")).unwrap();
        crm.update(r.id, Fields::new().with("opportunity_type", "Existing Business")).unwrap();
        assert!(crm.update(r.id, Fields::new().with("opportunity_type", "New Business")).is_err());
        crm.set_actor("admin").unwrap();
        assert!(crm.update(r.id, Fields::new().with("opportunity_type", "New Business")).is_err(), "admin has no role");
    });
}

fn picklist_dependencies_are_enforced(b: Backend) {
    with_setup(b, |crm, store| {
        crm.add_field("Potentials", NewField::new("Region", FieldType::Picklist).name("region").values(&["EU", "US"])).unwrap();
        crm.add_field("Potentials", NewField::new("Country", FieldType::Picklist).name("country").values(&["DE", "FR", "CA"])).unwrap();
        let old = crm.create("Potentials", deal("Old").with("region", "EU").with("country", "CA")).unwrap();
        crm.set_picklist_dependency("Potentials", "region", "country", &[("EU", &["DE", "FR"]), ("US", &["CA"])]).unwrap();
        let err = crm.create("Potentials", deal("A").with("region", "eu").with("country", "CA")).unwrap_err();
        assert_eq!((err.field_errors()[0].field.as_str(), err.field_errors()[0].code), ("country", ValidationCode::NotAllowed), "{store}");
        let r = crm.create("Potentials", deal("A").with("region", "EU").with("country", "de")).unwrap();
        assert!(crm.update(r.id, Fields::new().with("region", "US")).is_err());
        crm.update(r.id, Fields::new().with("region", "US").with("country", "CA")).unwrap();
        // a record stored before the dependency survives other edits
        crm.update(old.id, Fields::new().with("amount", "3")).unwrap();
        assert!(crm.update(old.id, Fields::new().with("country", "FR")).is_ok());
        assert_eq!(
            schema_code(&crm.set_picklist_dependency("Potentials", "country", "region", &[("DE", &["EU"])]).unwrap_err()),
            "dependency"
        );
        assert_eq!(schema_code(&crm.delete_field("Potentials", "region").unwrap_err()), "in_use");
    });
}

fn two_handles_on_one_database_see_each_others_changes(backend: Backend) {
    let mut t = backend.bare();
    setup(&mut t.crm);
    let mut b = t.second_handle();
    let a = &mut t.crm;
    b.set_actor("rep").unwrap();
    let r = b.create("Potentials", deal("Shared")).unwrap();

    let f = a.add_field("Potentials", NewField::new("Region", FieldType::Text)).unwrap();
    // b notices on its next write
    let r2 = b.create("Potentials", deal("Second").with("Region", "EMEA")).unwrap();
    assert_eq!(r2.get(&f.name), &Value::Text("EMEA".into()));
    a.update(r.id, Fields::new().with("Region", "APAC")).unwrap();
    // b's update keeps a's value of the new field
    let r = b.update(r.id, Fields::new().with("amount", "99")).unwrap();
    assert_eq!(r.get(&f.name), &Value::Text("APAC".into()));
    // schema edits from both sides, each on the latest schema
    b.rename_picklist_value("Potentials", "sales_stage", "Prospecting", "Discovery").unwrap();
    a.add_field("Potentials", NewField::new("Seats", FieldType::Integer)).unwrap();
    assert!(a.module("Potentials").unwrap().field(&f.name).is_some());
    assert!(a.schema().picklist("sales_stage").unwrap().get("Discovery").is_some());
    assert_eq!(a.get(r.id).unwrap().get("sales_stage"), &Value::Text("Discovery".into()));
    assert!(b.refresh_schema().unwrap());
    assert_eq!(a.schema(), b.schema());
    let log = b.schema_changes().unwrap();
    let who: Vec<(&str, u64)> = log.iter().map(|e| (e.actor.as_str(), e.version)).collect();
    let v = a.schema().version;
    assert_eq!(who, [("admin", v - 2), ("rep", v - 1), ("admin", v)]);
    // a fresh handle reads the same
    let c = t.second_handle();
    assert_eq!(c.schema(), t.crm.schema());
}

mod stale_schema {
    use super::*;
    use crm_core::schema::edit::SchemaChangeEntry;
    use crm_core::storage::memory::MemoryStore;
    use crm_core::storage::{Change, ChangeSet, Store};
    use crm_core::{Schema, SchemaChange};

    pub(super) fn stale_write(first: &mut dyn Store, second: &mut dyn Store) {
        let base = first.load_schema().unwrap().unwrap();
        second.load_schema().unwrap();
        let entry = |v: u64| SchemaChangeEntry {
            version: v,
            actor: "t".into(),
            at: chrono_now(),
            change: SchemaChange::AddBlock { module: "Potentials".into(), name: Some(format!("b{v}")), label: format!("B{v}") },
        };
        let next = |s: &Schema| {
            let c = SchemaChange::AddBlock {
                module: "Potentials".into(),
                name: Some(format!("b{}", s.version + 1)),
                label: format!("B{}", s.version + 1),
            };
            crm_core::schema::edit::apply(s, &c).unwrap()
        };
        let v2 = next(&base);
        first
            .commit(&ChangeSet(vec![
                Change::Schema(SchemaStoreChange::Put { schema: Box::new(v2.clone()), expected_version: base.version }),
                Change::Schema(SchemaStoreChange::Log(entry(v2.version))),
            ]))
            .unwrap();
        // the second writer still derives from the base version
        let err = second
            .commit(&ChangeSet(vec![
                Change::Schema(SchemaStoreChange::Put { schema: Box::new(v2.clone()), expected_version: base.version }),
                Change::Schema(SchemaStoreChange::Log(entry(v2.version))),
            ]))
            .unwrap_err();
        assert!(matches!(err, Error::Conflict(_)), "{err:?}");
        assert_eq!(second.schema_version().unwrap(), Some(v2.version));
        assert_eq!(second.schema_changes().unwrap().len(), 1);
    }

    fn chrono_now() -> chrono::NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap().and_hms_opt(12, 0, 0).unwrap()
    }

    /// A memory store has one writer; a commit derived from an old version is refused the same way.
    #[test]
    fn a_stale_schema_write_is_refused_by_the_memory_store() {
        let mut mem = MemoryStore::new();
        mem.save_schema(&Schema::builtin()).unwrap();
        let base = mem.load_schema().unwrap().unwrap();
        let c = SchemaChange::AddBlock { module: "Potentials".into(), name: Some("x".into()), label: "X".into() };
        let v2 = crm_core::schema::edit::apply(&base, &c).unwrap();
        mem.commit(&ChangeSet(vec![Change::Schema(SchemaStoreChange::Put {
            schema: Box::new(v2.clone()),
            expected_version: base.version,
        })]))
        .unwrap();
        let err = mem
            .commit(&ChangeSet(vec![Change::Schema(SchemaStoreChange::Put { schema: Box::new(v2), expected_version: base.version })]))
            .unwrap_err();
        assert!(matches!(err, Error::Conflict(_)));
    }
}

/// Two handles on one database: a schema commit derived from a version another handle replaced is refused
/// inside the transaction.
fn a_stale_schema_write_is_refused_in_the_transaction(b: Backend) {
    let mut db = b.db();
    drop(db.crm_with_clock(std::sync::Arc::new(crm_core::clock::FixedClock::at(support::START))));
    let mut first = db.store();
    let mut second = db.store();
    stale_schema::stale_write(first.as_mut(), second.as_mut());
}

fn concurrent_schema_edits_from_two_threads_lose_nothing(b: Backend) {
    let db = b.db();
    let path = db.location().unwrap();
    let mut first = Crm::open(&path).unwrap();
    setup(&mut first);
    let workers: Vec<_> = ["a", "b"]
        .into_iter()
        .map(|who| {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut crm = Crm::open(&path).unwrap();
                for i in 0..5 {
                    crm.add_field("Potentials", NewField::new(format!("{who} {i}"), FieldType::Text)).unwrap();
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    assert!(first.refresh_schema().unwrap());
    let custom = first.module("Potentials").unwrap().fields.iter().filter(|f| f.custom).count();
    assert_eq!(custom, 10);
    let versions: Vec<u64> = first.schema_changes().unwrap().iter().map(|e| e.version).collect();
    assert_eq!(versions, (2..=11).collect::<Vec<_>>());
    // a setting saved through another handle is seen too
    let mut other = Crm::open(&path).unwrap();
    other.set_stage_probability_autofill(false).unwrap();
    assert!(first.refresh_schema().unwrap());
    assert!(!first.schema().settings.stage_probability_autofill);
}

fn saved_filters_follow_picklist_edits_and_protect_their_fields(b: Backend) {
    with_setup(b, |crm, store| {
        // vtiger's shipped "Prospecting" filter tests sales_stage e 'Prospecting'.
        crm.rename_picklist_value("Potentials", "sales_stage", "Prospecting", "Prospect").unwrap();
        let f = crm.filter("Potentials", "Prospecting").unwrap();
        assert_eq!(f.all[0].value, "Prospect", "{store}");
        let region = crm.add_field("Potentials", NewField::new("Region", FieldType::Picklist).values(&["EU", "US", "APAC"])).unwrap();
        crm.save_filter(crm_core::Filter::new("Potentials", "Europe").all(&region.name, "e", "EU,APAC")).unwrap();
        crm.delete_picklist_values("Potentials", &region.name, &["APAC"], Some("US")).unwrap();
        assert_eq!(crm.filter("Potentials", "Europe").unwrap().all[0].value, "EU,US", "{store}");
        // A field used by a saved filter cannot be deleted; the refusal names the filter.
        let err = crm.delete_field("Potentials", &region.name).unwrap_err();
        assert_eq!(schema_code(&err), "in_use", "{store}");
        assert!(err.to_string().contains("Europe"), "{err}");
        assert!(crm.module("Potentials").unwrap().field(&region.name).is_some());
    });
}

fn workflows_follow_picklist_edits_and_protect_their_fields(b: Backend) {
    with_setup(b, |crm, store| {
        let tier = crm.add_field("Potentials", NewField::new("Tier", FieldType::Picklist).values(&["Gold", "Silver"])).unwrap();
        let wf = serde_json::json!({
            "workflowname": "Gold deals", "module_name": "Potentials", "execution_condition": 3,
            "test": serde_json::json!([{"fieldname": tier.name, "operation": "is", "value": "Gold", "valuetype": "rawtext",
                                         "joincondition": "", "groupid": "0"}]).to_string(),
            "tasks": [{"summary": "note", "task_type": "VTUpdateFieldsTask",
                       "field_value_mapping": serde_json::json!([{"fieldname": "nextstep", "valuetype": "rawtext", "value": "Call the gold desk"}]).to_string()}]
        });
        let id = crm.add_workflows_json(&wf.to_string()).unwrap()[0].id;
        crm.rename_picklist_value("Potentials", &tier.name, "Gold", "Platinum").unwrap();
        // The stored condition now tests the new value, so the workflow still fires.
        let d = crm.create("Potentials", deal("big").with(tier.name.as_str(), "Platinum")).unwrap();
        assert_eq!(d.get("nextstep").to_string(), "Call the gold desk", "{store}");
        let json = serde_json::to_string(&crm.get_workflow(id).unwrap()).unwrap();
        assert!(json.contains("Platinum") && !json.contains("\"Gold\""), "{store}: {json}");
        let err = crm.delete_field("Potentials", &tier.name).unwrap_err();
        assert_eq!(schema_code(&err), "in_use", "{store}");
        assert!(err.to_string().contains("Gold deals"), "{err}");
    });
}

on_every_backend!(
    custom_fields_store_filter_and_survive,
    new_mandatory_field_applies_on_next_save,
    hidden_fields_keep_data_and_layout_edits_work,
    bad_requests_change_nothing,
    renaming_and_deleting_values_rewrites_every_record,
    multi_select_fields_store_filter_and_rewrite,
    deleting_a_custom_field_removes_its_data_but_keeps_history,
    role_scoped_values,
    picklist_dependencies_are_enforced,
    saved_filters_follow_picklist_edits_and_protect_their_fields,
    workflows_follow_picklist_edits_and_protect_their_fields,
);

mod shared {
    use super::*;
    on_shared_backends!(
        two_handles_on_one_database_see_each_others_changes,
        a_stale_schema_write_is_refused_in_the_transaction,
        concurrent_schema_edits_from_two_threads_lose_nothing,
    );
}
