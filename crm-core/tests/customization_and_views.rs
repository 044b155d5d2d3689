//! Customization and views, clause by clause: every custom field type stored, read and filtered;
//! multi-select filters; dependencies on import; the change log; comparator codes and date ranges — on
//! every storage backend (several handles on the shared ones).

use crm_core::io::ImportOptions;
use crm_core::{Condition, Crm, FieldType, Fields, Filter, NewField, NewUser, Op, Query, RecordId, Value};
use rust_decimal_macros::dec;
use support::{Backend, TestCrm};

mod support;

/// A new engine on `b`, acting as `admin`.
fn open(b: Backend) -> TestCrm {
    let mut t = b.bare();
    t.crm.add_user(NewUser::new("admin").full_name("Administrator")).unwrap();
    t.crm.set_actor("admin").unwrap();
    t
}

fn deal(name: &str) -> Fields {
    Fields::new().with("potentialname", name).with("sales_stage", "Prospecting").with("closingdate", "2027-03-31").with("amount", "1000")
}

fn ids(rs: &[crm_core::Record]) -> Vec<RecordId> {
    let mut v: Vec<RecordId> = rs.iter().map(|r| r.id).collect();
    v.sort_by_key(|r| r.0);
    v
}

/// "Add a custom field of each type" — every type stores, reads back, filters, and (SQLite)
/// survives reopening the file.
fn every_custom_field_type_round_trips(b: Backend) {
    let mut t = open(b);
    let store = b.name();
    let crm = &mut t.crm;
    let org = crm.create("Accounts", Fields::new().with("accountname", "Hooli")).unwrap();
    let specs: Vec<(NewField, &str, Value)> = vec![
        (NewField::new("T", FieldType::Text).length(20), "abc", Value::Text("abc".into())),
        (NewField::new("D", FieldType::Decimal).decimal(10, 2), "1.5", Value::Decimal(dec!(1.50))),
        (NewField::new("I", FieldType::Integer), "42", Value::Int(42)),
        (NewField::new("P", FieldType::Percent), "12.5", Value::Decimal(dec!(12.5))),
        (NewField::new("C", FieldType::Currency), "99.99", Value::Decimal(dec!(99.99))),
        (NewField::new("Da", FieldType::Date), "2027-01-02", Value::Date(chrono::NaiveDate::from_ymd_opt(2027, 1, 2).unwrap())),
        (NewField::new("Dt", FieldType::DateTime), "2027-01-02 03:04:05", Value::Null),
        (NewField::new("Ti", FieldType::Time), "13:45", Value::Null),
        (NewField::new("E", FieldType::Email), "a@example.com", Value::Text("a@example.com".into())),
        (NewField::new("Ph", FieldType::Phone), "+1 555 0100", Value::Text("+1 555 0100".into())),
        (NewField::new("U", FieldType::Url), "https://example.com", Value::Text("https://example.com".into())),
        (NewField::new("Cb", FieldType::Checkbox), "yes", Value::Bool(true)),
        (NewField::new("Pl", FieldType::Picklist).values(&["Gold", "Silver"]), "Gold", Value::Text("Gold".into())),
        (NewField::new("Mp", FieldType::MultiPicklist).values(&["A", "B", "C"]), "A |##| C", Value::List(vec!["A".into(), "C".into()])),
        (NewField::new("Ta", FieldType::TextArea), "line 1\nline 2", Value::Text("line 1\nline 2".into())),
        (NewField::new("R", FieldType::Reference).references(&["Accounts"]), "Hooli", Value::Ref(org.id)),
    ];
    let mut names = Vec::new();
    let mut fields = deal("Typed");
    for (nf, input, _) in &specs {
        let f = crm.add_field("Potentials", nf.clone()).unwrap();
        fields.set(f.name.clone(), *input);
        names.push(f.name);
    }
    let r = crm.create("Potentials", fields).unwrap();
    let check = |crm: &Crm, what: &str| {
        let got = crm.get(r.id).unwrap();
        for ((_, input, want), name) in specs.iter().zip(&names) {
            let v = got.get(name);
            assert!(!v.is_empty(), "{store} {what}: {name} ({input}) empty");
            if *want != Value::Null {
                assert_eq!(v, want, "{store} {what}: {name}");
            }
        }
        // each typed field filters on its own value
        for ((_, input, _), name) in specs.iter().zip(&names) {
            let org_id = org.id.0.to_string();
            let text = match *input {
                "A |##| C" => "C",          // a multi-select: has this value
                "Hooli" => org_id.as_str(), // a reference: by id in a query
                other => other,
            };
            let q = Query::new("Potentials").filter(Condition::cmp(name.as_str(), Op::Eq, text));
            assert_eq!(ids(&crm.find(q).unwrap()), [r.id], "{store} {what}: filter on {name} = {input:?}");
        }
    };
    check(crm, "live");
    if t.db.is_shared() {
        check(&t.second_handle(), "reopened");
    }
}

/// "Multi-select picklists store several values and filter on any of them" — a list of values
/// matches records holding any one of them, in queries and in saved filters.
fn multi_select_filters_on_any_of_several_values(b: Backend) {
    let mut t = open(b);
    let store = b.name();
    let crm = &mut t.crm;
    let f = crm.add_field("Potentials", NewField::new("Products", FieldType::MultiPicklist).values(&["CRM", "ERP", "BI"])).unwrap();
    let a = crm.create("Potentials", deal("A").with(f.name.as_str(), "CRM |##| BI")).unwrap();
    let b = crm.create("Potentials", deal("B").with(f.name.as_str(), "ERP")).unwrap();
    let _c = crm.create("Potentials", deal("C")).unwrap();
    let q =
        Query::new("Potentials").filter(Condition::Compare { field: f.name.clone(), op: Op::In, values: vec!["BI".into(), "ERP".into()] });
    assert_eq!(ids(&crm.find(q).unwrap()), [a.id, b.id], "{store}");
    let q = Query::new("Potentials").filter(Condition::cmp(f.name.as_str(), Op::Ne, "BI"));
    let mut labels: Vec<String> = crm.find(q).unwrap().into_iter().map(|r| r.label).collect();
    labels.sort();
    assert_eq!(labels, ["B", "C"], "{store}: Ne means \"does not have it\"");
    crm.save_filter(Filter::new("Potentials", "BI or ERP").all(&f.name, "e", "BI,ERP")).unwrap();
    assert_eq!(ids(&crm.list("Potentials", "BI or ERP", None, 1, 10).unwrap().page.records), [a.id, b.id], "{store}");
    crm.save_filter(Filter::new("Potentials", "has CRM").all(&f.name, "c", "crm")).unwrap();
    assert_eq!(ids(&crm.list("Potentials", "has CRM", None, 1, 10).unwrap().page.records), [a.id], "{store}");
}

/// "Picklist dependency ... enforced on create/update/import" — the import half.
fn picklist_dependencies_are_enforced_on_import(b: Backend) {
    let mut t = open(b);
    let store = b.name();
    let crm = &mut t.crm;
    crm.add_field("Potentials", NewField::new("Region", FieldType::Picklist).name("region").values(&["EU", "US"])).unwrap();
    crm.add_field("Potentials", NewField::new("Country", FieldType::Picklist).name("country").values(&["DE", "CA"])).unwrap();
    crm.set_picklist_dependency("Potentials", "region", "country", &[("EU", &["DE"]), ("US", &["CA"])]).unwrap();
    let csv = "potentialname,sales_stage,closingdate,region,country\n\
               Good,Prospecting,2027-01-01,EU,DE\n\
               Bad,Prospecting,2027-01-01,EU,CA\n";
    let r = crm.import_csv(csv.as_bytes(), "Potentials", &ImportOptions::default(), None).unwrap();
    assert_eq!((r.created, r.failed), (1, 1), "{store}: {:#?}", r.row_reports);
    let names: Vec<String> = crm.find(Query::new("Potentials")).unwrap().into_iter().map(|r| r.label).collect();
    assert_eq!(names, ["Good"], "{store}");
}

#[test]
fn a_memory_store_reads_its_own_schema() {
    // memory: one handle per store, the schema in force is the stored one
    let t = open(Backend::Memory);
    assert_eq!(t.crm.current_schema().unwrap().version, t.crm.schema().version);
}

/// "visible to all open handles" — reads of a handle that has not written since (get, find,
/// count, search, listings, keyset pages) see a field another handle added, without a refresh.
fn reads_see_another_handles_schema_change(backend: Backend) {
    let mut t = open(backend);
    let b = t.second_handle();
    let a = &mut t.crm;
    let old = a.create("Potentials", deal("Old")).unwrap();
    let f = a.add_field("Potentials", NewField::new("Region", FieldType::Text)).unwrap();
    let r = a.create("Potentials", deal("New").with("Region", "EMEA")).unwrap();
    // b has not written or refreshed: its own copy is stale, its reads are not
    assert!(b.module("Potentials").unwrap().field(&f.name).is_none());
    assert_eq!(b.current_schema().unwrap().version, a.schema().version);
    assert_eq!(b.get(r.id).unwrap().get(&f.name), &Value::Text("EMEA".into()));
    let q = Query::new("Potentials").filter(Condition::cmp("Region", Op::Eq, "EMEA"));
    assert_eq!(ids(&b.find(q.clone()).unwrap()), [r.id]);
    assert_eq!(b.count(q).unwrap(), 1);
    assert_eq!(ids(&b.search("Potentials", "emea", 1, 10).unwrap().records), [r.id]);
    assert_eq!(ids(&b.search_columns("Potentials", &[("Region", "em")], 1, 10).unwrap().records), [r.id]);
    let (page, _) = b.page_after(Query::new("Potentials").order_by(f.name.as_str()), None, 10).unwrap();
    assert_eq!(page.len(), 2);
    // a filter saved by a on the new field lists through b
    a.save_filter(Filter::new("Potentials", "EMEA").all(&f.name, "e", "EMEA")).unwrap();
    assert_eq!(ids(&b.list("Potentials", "EMEA", None, 1, 10).unwrap().page.records), [r.id]);
    // a rename through a is seen by b's reads at once
    a.rename_picklist_value("Potentials", "sales_stage", "Prospecting", "Discovery").unwrap();
    assert_eq!(b.get(old.id).unwrap().get("sales_stage"), &Value::Text("Discovery".into()));
    assert_eq!(b.count(Query::new("Potentials").filter(Condition::cmp("sales_stage", Op::Eq, "Discovery"))).unwrap(), 2);
    // a deleted field disappears from b's reads
    a.delete_filter("Potentials", a.filter("Potentials", "EMEA").unwrap().id).unwrap();
    a.delete_field("Potentials", &f.name).unwrap();
    assert!(b.find(Query::new("Potentials").filter(Condition::cmp(f.name.as_str(), Op::Eq, "EMEA"))).is_err());
    assert!(b.get(r.id).unwrap().get(&f.name).is_empty());
}

/// "Sales Orders ... creatable from it with its organization, contact and products filled in".
fn sales_order_from_an_opportunity(b: Backend) {
    let mut t = open(b);
    let store = b.name();
    let crm = &mut t.crm;
    let org = crm.create("Accounts", Fields::new().with("accountname", "Hooli")).unwrap();
    let con = crm.create("Contacts", Fields::new().with("lastname", "Belson").with("account_id", Value::Ref(org.id))).unwrap();
    let prod = crm.create("Products", Fields::new().with("productname", "Box").with("unit_price", "10")).unwrap();
    let pot = crm.create_opportunity_for(con.id, deal("Boxes")).unwrap();
    crm.link(pot.id, prod.id, crm_core::LinkInfo { quantity: Some(dec!(4)), ..Default::default() }).unwrap();
    let so = crm.create_from_opportunity(pot.id, "SalesOrder", Fields::new().with("sostatus", "Created")).unwrap();
    assert_eq!(so.module, "SalesOrder");
    assert_eq!(so.get("potential_id"), &Value::Ref(pot.id), "{store}");
    assert_eq!(so.get("account_id"), &Value::Ref(org.id));
    assert_eq!(so.get("contact_id"), &Value::Ref(con.id));
    let lines = crm.related(so.id, "Products", 1, 10).unwrap();
    assert_eq!(lines.items[0].1.as_ref().unwrap().quantity, Some(dec!(4)), "{store}");
    assert_eq!(crm.related(pot.id, "SalesOrder", 1, 10).unwrap().total, 1, "{store}");
}

/// Mass edit — "workflows run" on every edited record.
fn mass_edit_runs_workflows(b: Backend) {
    let mut t = open(b);
    let store = b.name();
    let crm = &mut t.crm;
    let wf = serde_json::json!({
        "workflowname": "Negotiation step", "module_name": "Potentials", "execution_condition": 3,
        "test": serde_json::json!([{"fieldname": "sales_stage", "operation": "is", "value": "Negotiation or Review",
                                     "valuetype": "rawtext", "joincondition": "", "groupid": "0"}]).to_string(),
        "tasks": [{"summary": "note", "task_type": "VTUpdateFieldsTask",
                   "field_value_mapping": serde_json::json!([{"fieldname": "nextstep", "valuetype": "rawtext", "value": "Send contract"}]).to_string()}]
    });
    crm.add_workflows_json(&wf.to_string()).unwrap();
    let a = crm.create("Potentials", deal("A")).unwrap();
    let b = crm.create("Potentials", deal("B")).unwrap();
    let r = crm.mass_edit(&[a.id, b.id], Fields::new().with("sales_stage", "Negotiation or Review")).unwrap();
    assert_eq!(r.succeeded.len(), 2, "{store}");
    for id in [a.id, b.id] {
        let rec = crm.get(id).unwrap();
        assert_eq!(rec.get("nextstep").to_string(), "Send contract", "{store}");
        assert!(crm.history(id).unwrap().last().unwrap().changes.iter().any(|c| c.field == "nextstep"), "{store}");
    }
}

/// Every vtiger comparator code is accepted when saving a filter and selects as vtiger does.
fn every_comparator_code_is_accepted_and_selects(b: Backend) {
    let mut t = open(b);
    let store = b.name();
    let crm = &mut t.crm;
    for (name, amount, close) in [("Alpha one", "100", "2027-01-10"), ("Beta two", "500", "2027-02-10"), ("Gamma", "900", "2027-03-10")] {
        crm.create("Potentials", deal(name).with("amount", amount).with("closingdate", close)).unwrap();
    }
    crm.update(
        crm.find(Query::new("Potentials").filter(Condition::cmp("potentialname", Op::Eq, "Gamma"))).unwrap()[0].id,
        Fields::new().with("nextstep", "x"),
    )
    .unwrap();
    let cases: [(&str, &str, &str, &[&str]); 15] = [
        ("potentialname", "e", "Gamma", &["Gamma"]),
        ("potentialname", "n", "Gamma", &["Alpha one", "Beta two"]),
        ("potentialname", "s", "al", &["Alpha one"]),
        ("potentialname", "ew", "TWO", &["Beta two"]),
        ("potentialname", "c", "mm", &["Gamma"]),
        ("potentialname", "k", "a", &[]),
        ("amount", "l", "500", &["Alpha one"]),
        ("amount", "g", "500", &["Gamma"]),
        ("amount", "m", "500", &["Alpha one", "Beta two"]),
        ("amount", "h", "500", &["Beta two", "Gamma"]),
        ("closingdate", "b", "2027-02-10", &["Alpha one"]),
        ("closingdate", "a", "2027-02-10", &["Gamma"]),
        ("closingdate", "bw", "2027-02-01,2027-03-31", &["Beta two", "Gamma"]),
        ("nextstep", "y", "", &["Alpha one", "Beta two"]),
        ("nextstep", "ny", "", &["Gamma"]),
    ];
    for (i, (field, code, value, want)) in cases.iter().enumerate() {
        let name = format!("case {i}");
        crm.save_filter(Filter::new("Potentials", &name).all(field, code, value)).unwrap_or_else(|e| panic!("{store}: {code}: {e}"));
        let mut got: Vec<String> = crm.list("Potentials", &name, None, 1, 10).unwrap().page.records.into_iter().map(|r| r.label).collect();
        got.sort();
        assert_eq!(got, *want, "{store}: {field} {code} {value}");
    }
}

/// The lead's comments, with their
/// threads, authors and times, move to the created contact together with its links.
fn lead_comments_move_on_conversion(b: Backend) {
    let mut t = open(b);
    let store = b.name();
    let crm = &mut t.crm;
    let lead = crm.create("Leads", Fields::new().with("lastname", "Hendricks").with("company", "Initech")).unwrap();
    let first = crm.comment(lead.id, "Met at the fair").unwrap();
    let reply = crm.reply(first.id, "Sent a brochure").unwrap();
    let out = crm.convert_lead(lead.id, crm_core::LeadConversion::new()).unwrap();
    let contact = out.contact.unwrap();
    assert!(crm.comments(lead.id).unwrap().is_empty(), "{store}");
    let moved = crm.comments(contact).unwrap();
    assert_eq!(moved.iter().map(|c| c.id).collect::<Vec<_>>(), [reply.id, first.id], "{store}");
    assert_eq!(moved[0].parent, Some(first.id));
    assert_eq!((moved[1].author.as_str(), moved[1].at), ("admin", first.at));
    // a reply to a moved comment lands on the contact
    assert_eq!(crm.reply(first.id, "Call booked").unwrap().record, contact, "{store}");
    // a failed conversion moves nothing
    let lead2 = crm.create("Leads", Fields::new().with("lastname", "Dunn").with("company", "Hooli")).unwrap();
    crm.comment(lead2.id, "Keep").unwrap();
    let bad = crm_core::LeadConversion::new().with_potential(Fields::new().with("sales_stage", "Nope"));
    assert!(crm.convert_lead(lead2.id, bad).is_err());
    assert_eq!(crm.comments(lead2.id).unwrap().len(), 1, "{store}");
}

/// "Change a field's ... quick-create flag and order ... default value" and "every schema change
/// is a versioned, stored change (who, when, what)" — the edits persist in the store (SQLite: reopened).
fn field_edits_and_their_log_are_stored(b: Backend) {
    use crm_core::schema::edit::FieldUpdate;
    let mut t = open(b);
    let store = b.name();
    let crm = &mut t.crm;
    crm.set_clock(std::sync::Arc::new(crm_core::clock::FixedClock::at("2026-11-26 10:00:00")));
    let f =
        crm.add_field("Potentials", NewField::new("Tier", FieldType::Picklist).values(&["Gold", "Silver"]).default_value("Gold")).unwrap();
    crm.update_field("Potentials", "Tier", FieldUpdate { quick_create: Some(true), quick_create_sequence: Some(1), ..Default::default() })
        .unwrap();
    crm.update_field("Potentials", "Tier", FieldUpdate { clear_default: true, ..Default::default() }).unwrap();
    let check = |crm: &Crm| {
        let got = crm.module("Potentials").unwrap().field(&f.name).unwrap().clone();
        assert_eq!((got.quick_create, got.quick_create_sequence, got.default.clone()), (true, Some(1), None), "{store}");
        let log = crm.schema_changes().unwrap();
        let ops: Vec<&str> = log.iter().map(|e| e.change.op()).collect();
        assert_eq!(ops, ["add_field", "update_field", "update_field"], "{store}");
        assert!(log.iter().all(|e| e.actor == "admin" && e.at.to_string() == "2026-11-26 10:00:00"), "{store}");
        assert_eq!(log.last().unwrap().version, crm.schema().version);
    };
    check(crm);
    if t.db.is_shared() {
        check(&t.second_handle());
    }
}

/// Every named date range of the standard filter resolves as vtiger's (today = Thursday
/// 2026-11-26, weeks from Sunday, calendar fiscal year), and selects through a saved filter in both stores.
fn every_named_date_range(b: Backend) {
    use chrono::{Duration, NaiveDate};
    use crm_core::{DateRange as R, ViewSettings};
    let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let today = d("2026-11-26");
    let s = ViewSettings::default();
    let fixed = [
        (R::Today, "2026-11-26", "2026-11-26"),
        (R::Yesterday, "2026-11-25", "2026-11-25"),
        (R::Tomorrow, "2026-11-27", "2026-11-27"),
        (R::ThisWeek, "2026-11-22", "2026-11-28"),
        (R::LastWeek, "2026-11-15", "2026-11-21"),
        (R::NextWeek, "2026-11-29", "2026-12-05"),
        (R::ThisMonth, "2026-11-01", "2026-11-30"),
        (R::LastMonth, "2026-10-01", "2026-10-31"),
        (R::NextMonth, "2026-12-01", "2026-12-31"),
        (R::ThisQuarter, "2026-10-01", "2026-12-31"),
        (R::LastQuarter, "2026-07-01", "2026-09-30"),
        (R::NextQuarter, "2027-01-01", "2027-03-31"),
        (R::ThisFq, "2026-10-01", "2026-12-31"),
        (R::PrevFq, "2026-07-01", "2026-09-30"),
        (R::NextFq, "2027-01-01", "2027-03-31"),
        (R::ThisYear, "2026-01-01", "2026-12-31"),
        (R::LastYear, "2025-01-01", "2025-12-31"),
        (R::NextYear, "2027-01-01", "2027-12-31"),
        (R::ThisFy, "2026-01-01", "2026-12-31"),
        (R::PrevFy, "2025-01-01", "2025-12-31"),
        (R::NextFy, "2027-01-01", "2027-12-31"),
        (R::Custom { from: d("2027-02-01"), to: d("2027-01-15") }, "2027-01-15", "2027-02-01"),
    ];
    for (r, from, to) in fixed {
        assert_eq!(r.resolve(today, &s), (d(from), d(to)), "{r:?}");
    }
    for (r, n) in
        [(R::Last7Days, 7), (R::Last14Days, 14), (R::Last30Days, 30), (R::Last60Days, 60), (R::Last90Days, 90), (R::Last120Days, 120)]
    {
        assert_eq!(r.resolve(today, &s), (today - Duration::days(n - 1), today), "{r:?}");
    }
    for (r, n) in [(R::Next30Days, 30), (R::Next60Days, 60), (R::Next90Days, 90), (R::Next120Days, 120)] {
        assert_eq!(r.resolve(today, &s), (today, today + Duration::days(n - 1)), "{r:?}");
    }
    let mut t = open(b);
    let store = b.name();
    let crm = &mut t.crm;
    crm.set_clock(std::sync::Arc::new(crm_core::clock::FixedClock::at("2026-11-26 10:00:00")));
    for (name, close) in [("Y", "2026-11-25"), ("T", "2026-11-27"), ("Later", "2027-01-20")] {
        crm.create("Potentials", deal(name).with("closingdate", close)).unwrap();
    }
    let cases = [
        (R::Yesterday, vec!["Y"]),
        (R::Tomorrow, vec!["T"]),
        (R::Custom { from: d("2027-01-01"), to: d("2027-01-31") }, vec!["Later"]),
        (R::Next60Days, vec!["Later", "T"]),
    ];
    for (i, (r, want)) in cases.into_iter().enumerate() {
        let name = format!("range {i}");
        crm.save_filter(Filter::new("Potentials", &name).date("closingdate", r)).unwrap();
        let mut got: Vec<String> = crm.list("Potentials", &name, None, 1, 10).unwrap().page.records.into_iter().map(|r| r.label).collect();
        got.sort();
        assert_eq!(got, want, "{store}: {r:?}");
    }
}

/// "visible to all open handles": a handle that has not written since another handle added a
/// field can save a filter and a workflow on it, and import a column into it (SQLite; a memory store has
/// one handle).
fn filters_workflows_and_imports_see_another_handles_field(backend: Backend) {
    let mut t = open(backend);
    let mut b = t.second_handle();
    let f = t.crm.add_field("Potentials", NewField::new("Region", FieldType::Text)).unwrap();
    b.save_filter(Filter::new("Potentials", "EMEA").all("Region", "e", "EMEA")).unwrap();
    let wf = serde_json::json!({
        "workflowname": "Region note", "module_name": "Potentials", "execution_condition": 3,
        "test": serde_json::json!([{"fieldname": f.name, "operation": "is", "value": "EMEA", "valuetype": "rawtext",
                                     "joincondition": "", "groupid": "0"}]).to_string(),
        "tasks": [{"summary": "note", "task_type": "VTUpdateFieldsTask",
                   "field_value_mapping": serde_json::json!([{"fieldname": "nextstep", "valuetype": "rawtext", "value": "Call Dublin"}]).to_string()}]
    });
    let mut c = t.second_handle();
    t.crm.add_field("Potentials", NewField::new("Seats", FieldType::Integer).name("seats")).unwrap();
    c.add_workflows_json(&wf.to_string()).unwrap();
    let mut d = t.second_handle();
    t.crm.add_field("Potentials", NewField::new("Tier", FieldType::Text).name("tier")).unwrap();
    let csv = "potentialname,sales_stage,closingdate,Region,tier\nImported,Prospecting,2027-01-01,EMEA,Gold\n";
    let r = d.import_csv(csv.as_bytes(), "Potentials", &ImportOptions::default(), None).unwrap();
    assert_eq!(r.created, 1, "{:#?}", r.row_reports);
    let got = b.list("Potentials", "EMEA", None, 1, 10).unwrap().page.records;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].get("tier"), &Value::Text("Gold".into()));
    assert_eq!(got[0].get("nextstep").to_string(), "Call Dublin", "the workflow c stored ran on d's import");
}

on_every_backend!(
    field_edits_and_their_log_are_stored,
    every_named_date_range,
    every_custom_field_type_round_trips,
    multi_select_filters_on_any_of_several_values,
    picklist_dependencies_are_enforced_on_import,
    sales_order_from_an_opportunity,
    mass_edit_runs_workflows,
    every_comparator_code_is_accepted_and_selects,
    lead_comments_move_on_conversion,
);

mod shared {
    use super::*;
    on_shared_backends!(reads_see_another_handles_schema_change, filters_workflows_and_imports_see_another_handles_field);
}
