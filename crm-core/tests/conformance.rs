//! The storage conformance suite: the same behaviour checks run against every storage adapter
//! (memory, SQLite in memory, SQLite file, and PostgreSQL with the `postgres` feature), through the `Crm`
//! facade and directly through the `Store` port.

use chrono::Duration;
use crm_core::storage::{ChangeSet, RecordChange};
use crm_core::*;
use rust_decimal_macros::dec;
use support::{Backend, TestCrm};

mod support;

/// A fresh engine on one backend (fixed clock, `admin` acting), with a second user and a group.
fn env(b: Backend) -> TestCrm {
    let mut t = b.crm();
    t.crm.add_user(NewUser::new("sara").full_name("Sara Tehrani").email("sara@example.com")).unwrap();
    t.crm.add_group("Sales Team", &["admin", "sara"]).unwrap();
    t
}

fn deal(name: &str, amount: &str, stage: &str) -> Fields {
    Fields::new().with("potentialname", name).with("amount", amount).with("sales_stage", stage).with("closingdate", "2027-03-31")
}

fn codes(e: &Error) -> Vec<(String, ValidationCode)> {
    e.field_errors().iter().map(|f| (f.field.clone(), f.code)).collect()
}

on_every_backend!(
    garbage_never_panics,
    conditions_resolve_owner_and_reference_names,
    picklist_conditions_ignore_case,
    create_fills_system_fields_and_defaults,
    create_reports_every_problem_at_once,
    failed_create_changes_nothing,
    references_resolve_by_name_and_are_checked,
    owners_resolve_and_are_checked,
    quick_create_accepts_only_quick_fields,
    stage_sets_default_probability,
    autofill_can_be_switched_off,
    update_is_partial_and_logged,
    update_without_change_writes_nothing,
    stale_version_is_refused,
    delete_restore_purge,
    auto_numbers_are_unique_and_configurable,
    find_filters_sorts_and_pages,
    text_search_ignores_case_unicode,
    picklist_values_take_the_stored_spelling,
    aggregates_sum_exactly,
    stage_history_and_durations,
    users_and_groups,
    ids_are_unique_across_modules,
    commit_is_atomic,
);

fn create_fills_system_fields_and_defaults(b: Backend) {
    let mut e = env(b);
    let r = e.crm.create("Potentials", deal("Big deal", "1000", "Prospecting")).unwrap();
    assert_eq!(r.module, "Potentials");
    assert_eq!(r.label, "Big deal");
    assert_eq!(r.get("potential_no"), &Value::Text("POT1".into()));
    assert_eq!(r.get("amount"), &Value::Decimal(dec!(1000.00)));
    assert_eq!(r.get("amount").to_text().unwrap(), "1000.00");
    assert_eq!(r.get("createdtime").to_text().unwrap(), "2026-11-20 10:00:00");
    assert_eq!(r.get("modifiedtime"), r.get("createdtime"));
    let admin = e.crm.user("admin").unwrap();
    assert_eq!(r.get("assigned_user_id"), &Value::Owner(admin.id));
    assert_eq!(r.get("modifiedby"), &Value::Owner(admin.id));
    assert_eq!(r.get("isconvertedfromlead"), &Value::Bool(false));
    assert_eq!(r.get("source"), &Value::Text("CRM".into()));
    assert_eq!(r.version, 1);
    // What was stored is what was returned.
    assert_eq!(e.crm.get(r.id).unwrap(), r);
    let h = e.crm.history(r.id).unwrap();
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].kind, ChangeKind::Created);
    assert_eq!(h[0].actor, "admin");
    assert!(h[0].changes.iter().any(|c| c.field == "amount" && c.before.is_none() && c.after.as_deref() == Some("1000.00")));
}

fn create_reports_every_problem_at_once(b: Backend) {
    let mut e = env(b);
    let err = e
        .crm
        .create(
            "Potentials",
            Fields::new()
                .with("amount", "12abc")
                .with("probability", "150")
                .with("closingdate", "2027-02-30")
                .with("sales_stage", "Daydreaming")
                .with("nosuchfield", "x")
                .with("createdtime", "2020-01-01 00:00:00"),
        )
        .unwrap_err();
    assert_eq!(err.code(), "validation");
    let got = codes(&err);
    for want in [
        ("amount", ValidationCode::InvalidType),
        ("probability", ValidationCode::OutOfRange),
        ("closingdate", ValidationCode::InvalidFormat),
        ("sales_stage", ValidationCode::UnknownPicklistValue),
        ("nosuchfield", ValidationCode::UnknownField),
        ("createdtime", ValidationCode::ReadOnly),
        ("potentialname", ValidationCode::Required),
    ] {
        assert!(got.contains(&(want.0.to_string(), want.1)), "missing {want:?} in {got:?}");
    }
    let long = "x".repeat(121);
    let err = e.crm.create("Potentials", deal(&long, "1", "Prospecting")).unwrap_err();
    assert_eq!(codes(&err), vec![("potentialname".into(), ValidationCode::TooLong)]);
    let err = e
        .crm
        .create("Accounts", Fields::new().with("accountname", "X").with("email1", "not-an-email").with("website", "no way"))
        .unwrap_err();
    assert_eq!(
        codes(&err),
        vec![("website".into(), ValidationCode::InvalidFormat), ("email1".into(), ValidationCode::InvalidFormat)],
        "layout order"
    );
    assert_eq!(e.crm.create("Nonsense", Fields::new()).unwrap_err().code(), "not_found");
}

fn failed_create_changes_nothing(b: Backend) {
    let mut e = env(b);
    let _ = e.crm.create("Potentials", deal("", "1", "Prospecting")).unwrap_err();
    assert_eq!(e.crm.count(Query::new("Potentials")).unwrap(), 0);
    // The failed create did not use up an auto-number.
    let r = e.crm.create("Potentials", deal("ok", "1", "Prospecting")).unwrap();
    assert_eq!(r.get("potential_no").to_text().unwrap(), "POT1");
}

fn references_resolve_by_name_and_are_checked(b: Backend) {
    let mut e = env(b);
    let org = e.crm.create("Accounts", Fields::new().with("accountname", "Hooli")).unwrap();
    let c =
        e.crm.create("Contacts", Fields::new().with("firstname", "Jane").with("lastname", "Smith").with("account_id", "Hooli")).unwrap();
    assert_eq!(c.label, "Jane Smith");
    assert_eq!(c.get("account_id").as_ref_id(), Some(org.id));
    let p = e
        .crm
        .create(
            "Potentials",
            deal("d", "1", "Prospecting").with("related_to", "Accounts::::hooli").with("contact_id", "Contacts::::Jane Smith"),
        )
        .unwrap();
    assert_eq!(p.get("related_to").as_ref_id(), Some(org.id));
    assert_eq!(p.get("contact_id").as_ref_id(), Some(c.id));
    let p2 = e.crm.create("Potentials", deal("d2", "1", "Prospecting").with("related_to", org.id.0)).unwrap();
    assert_eq!(p2.get("related_to").as_ref_id(), Some(org.id));
    // Wrong module, missing record, unknown name, deleted record.
    let err = e.crm.create("Potentials", deal("x", "1", "Prospecting").with("related_to", c.id.0)).unwrap_err();
    assert_eq!(codes(&err), vec![("related_to".into(), ValidationCode::InvalidReference)]);
    let err = e.crm.create("Potentials", deal("x", "1", "Prospecting").with("related_to", 999_999i64)).unwrap_err();
    assert_eq!(codes(&err), vec![("related_to".into(), ValidationCode::InvalidReference)]);
    let err = e.crm.create("Potentials", deal("x", "1", "Prospecting").with("related_to", "Nobody Inc")).unwrap_err();
    assert_eq!(codes(&err), vec![("related_to".into(), ValidationCode::InvalidReference)]);
    e.crm.delete(org.id).unwrap();
    let err = e.crm.create("Potentials", deal("x", "1", "Prospecting").with("related_to", org.id.0)).unwrap_err();
    assert_eq!(codes(&err), vec![("related_to".into(), ValidationCode::InvalidReference)]);
}

fn owners_resolve_and_are_checked(b: Backend) {
    let mut e = env(b);
    let group = e.crm.groups().unwrap().remove(0);
    let r = e.crm.create("Potentials", deal("g", "1", "Prospecting").with("assigned_user_id", "Sales Team")).unwrap();
    assert_eq!(r.get("assigned_user_id"), &Value::Owner(group.id));
    let r = e.crm.create("Potentials", deal("s", "1", "Prospecting").with("assigned_user_id", "Sara Tehrani")).unwrap();
    assert_eq!(r.get("assigned_user_id"), &Value::Owner(e.crm.user("sara").unwrap().id));
    let err = e.crm.create("Potentials", deal("x", "1", "Prospecting").with("assigned_user_id", "ghost")).unwrap_err();
    assert_eq!(codes(&err), vec![("assigned_user_id".into(), ValidationCode::UnknownOwner)]);
    let err = e.crm.create("Potentials", deal("x", "1", "Prospecting").with("assigned_user_id", 987_654i64)).unwrap_err();
    assert_eq!(codes(&err), vec![("assigned_user_id".into(), ValidationCode::UnknownOwner)]);
}

fn quick_create_accepts_only_quick_fields(b: Backend) {
    let mut e = env(b);
    let r = e.crm.quick_create("Potentials", deal("quick", "5", "Qualification")).unwrap();
    assert_eq!(r.get("probability"), &Value::Decimal(dec!(20.000)));
    let err = e.crm.quick_create("Potentials", deal("quick", "5", "Qualification").with("nextstep", "call")).unwrap_err();
    assert_eq!(codes(&err), vec![("nextstep".into(), ValidationCode::NotAllowed)]);
}

fn stage_sets_default_probability(b: Backend) {
    let mut e = env(b);
    let r = e.crm.create("Potentials", deal("a", "1", "Needs Analysis")).unwrap();
    assert_eq!(r.get("probability").to_text().unwrap(), "25.000");
    let r = e.crm.update(r.id, Fields::new().with("sales_stage", "Negotiation or Review")).unwrap();
    assert_eq!(r.get("probability").to_text().unwrap(), "80.000");
    // Setting probability together with the stage wins.
    let r = e.crm.update(r.id, Fields::new().with("sales_stage", "Closed Won").with("probability", "95")).unwrap();
    assert_eq!(r.get("probability").to_text().unwrap(), "95.000");
    // Changing something else keeps the probability.
    let r = e.crm.update(r.id, Fields::new().with("amount", "7")).unwrap();
    assert_eq!(r.get("probability").to_text().unwrap(), "95.000");
    let r = e.crm.create("Potentials", deal("b", "1", "Closed Lost").with("probability", "12.5")).unwrap();
    assert_eq!(r.get("probability").to_text().unwrap(), "12.500");
}

fn autofill_can_be_switched_off(b: Backend) {
    let mut e = env(b);
    e.crm.set_stage_probability_autofill(false).unwrap();
    let r = e.crm.create("Potentials", deal("a", "1", "Needs Analysis")).unwrap();
    assert!(r.get("probability").is_empty());
    assert!(!e.crm.schema().settings.stage_probability_autofill);
}

fn update_is_partial_and_logged(b: Backend) {
    let mut e = env(b);
    let r = e.crm.create("Potentials", deal("a", "100", "Prospecting").with("nextstep", "call")).unwrap();
    e.clock.advance(Duration::hours(2));
    e.crm.set_actor("sara").unwrap();
    let u = e.crm.update(r.id, Fields::new().with("amount", "250.5").with("nextstep", "")).unwrap();
    assert_eq!(u.get("amount").to_text().unwrap(), "250.50");
    assert!(u.get("nextstep").is_empty());
    assert_eq!(u.get("potentialname"), r.get("potentialname"));
    assert_eq!(u.get("modifiedtime").to_text().unwrap(), "2026-11-20 12:00:00");
    assert_eq!(u.get("createdtime"), r.get("createdtime"));
    assert_eq!(u.get("modifiedby"), &Value::Owner(e.crm.user("sara").unwrap().id));
    assert_eq!(u.version, 2);
    let h = e.crm.history(r.id).unwrap();
    assert_eq!(h.len(), 2);
    assert_eq!(h[1].kind, ChangeKind::Updated);
    assert_eq!(h[1].actor, "sara");
    assert_eq!(
        h[1].changes,
        vec![
            FieldChange { field: "amount".into(), before: Some("100.00".into()), after: Some("250.50".into()) },
            // The forecast workflow's change lands in the same entry (100 x 10 % -> 250.50 x 10 %).
            FieldChange { field: "forecast_amount".into(), before: Some("10.0000".into()), after: Some("25.0500".into()) },
            FieldChange { field: "nextstep".into(), before: Some("call".into()), after: None },
        ]
    );
    // A failed update changes nothing.
    let err = e.crm.update(r.id, Fields::new().with("amount", "x").with("potentialname", "renamed")).unwrap_err();
    assert_eq!(err.code(), "validation");
    assert_eq!(e.crm.get(r.id).unwrap(), u);
    assert_eq!(e.crm.update(RecordId(424_242), Fields::new()).unwrap_err().code(), "not_found");
}

fn update_without_change_writes_nothing(b: Backend) {
    let mut e = env(b);
    let r = e.crm.create("Potentials", deal("a", "100", "Prospecting")).unwrap();
    let same = e.crm.update(r.id, Fields::new().with("amount", "100.00")).unwrap();
    assert_eq!(same.version, 1);
    assert_eq!(e.crm.history(r.id).unwrap().len(), 1);
}

fn stale_version_is_refused(b: Backend) {
    let mut e = env(b);
    let r = e.crm.create("Potentials", deal("a", "100", "Prospecting")).unwrap();
    e.crm.update_version(r.id, 1, Fields::new().with("amount", "2")).unwrap();
    let err = e.crm.update_version(r.id, 1, Fields::new().with("amount", "3")).unwrap_err();
    assert_eq!(err.code(), "conflict");
    assert_eq!(e.crm.get(r.id).unwrap().get("amount").to_text().unwrap(), "2.00");
}

fn delete_restore_purge(b: Backend) {
    let mut e = env(b);
    let r = e.crm.create("Potentials", deal("a", "100", "Prospecting")).unwrap();
    assert_eq!(e.crm.purge(r.id).unwrap_err().code(), "conflict");
    e.crm.delete(r.id).unwrap();
    assert_eq!(e.crm.delete(r.id).unwrap_err().code(), "conflict");
    assert!(e.crm.get_deleted(r.id).unwrap().deleted);
    assert_eq!(e.crm.count(Query::new("Potentials")).unwrap(), 0);
    assert_eq!(e.crm.count(Query::new("Potentials").in_recycle_bin()).unwrap(), 1);
    assert_eq!(e.crm.update(r.id, Fields::new().with("amount", "1")).unwrap_err().code(), "not_found");
    let back = e.crm.restore(r.id).unwrap();
    assert!(!back.deleted);
    assert_eq!(back.get("amount"), r.get("amount"));
    let kinds: Vec<ChangeKind> = e.crm.history(r.id).unwrap().iter().map(|h| h.kind).collect();
    assert_eq!(kinds, [ChangeKind::Created, ChangeKind::Deleted, ChangeKind::Restored]);
    e.crm.delete(r.id).unwrap();
    e.crm.purge(r.id).unwrap();
    assert_eq!(e.crm.get(r.id).unwrap_err().code(), "not_found");
    assert_eq!(e.crm.count(Query::new("Potentials").in_recycle_bin()).unwrap(), 0);
}

fn auto_numbers_are_unique_and_configurable(b: Backend) {
    let mut e = env(b);
    let a = e.crm.create("Potentials", deal("a", "1", "Prospecting")).unwrap();
    let b = e.crm.create("Potentials", deal("b", "1", "Prospecting")).unwrap();
    assert_eq!((a.get("potential_no").to_string(), b.get("potential_no").to_string()), ("POT1".into(), "POT2".into()));
    let org = e.crm.create("Accounts", Fields::new().with("accountname", "Hooli")).unwrap();
    assert_eq!(org.get("account_no").to_string(), "ACC1");
    assert_eq!(e.crm.set_auto_number("Potentials", "POT", "1").unwrap_err().code(), "invalid_argument");
    e.crm.set_auto_number("Potentials", "OPP-", "0009").unwrap();
    let c = e.crm.create("Potentials", deal("c", "1", "Prospecting")).unwrap();
    let d = e.crm.create("Potentials", deal("d", "1", "Prospecting")).unwrap();
    assert_eq!((c.get("potential_no").to_string(), d.get("potential_no").to_string()), ("OPP-0009".into(), "OPP-0010".into()));
    assert_eq!(e.crm.auto_number("Potentials").unwrap().next, "0011");
}

fn find_filters_sorts_and_pages(b: Backend) {
    let mut e = env(b);
    for (i, (amount, stage)) in [
        ("500", "Prospecting"),
        ("15000", "Closed Won"),
        ("20000.50", "Closed Won"),
        ("9999.99", "Qualification"),
        ("10000", "Closed Lost"),
    ]
    .iter()
    .enumerate()
    {
        e.clock.advance(Duration::minutes(1));
        e.crm.create("Potentials", deal(&format!("deal {i}"), amount, stage)).unwrap();
    }
    let names = |rs: Vec<Record>| rs.into_iter().map(|r| r.label).collect::<Vec<_>>();
    let q = Query::new("Potentials").filter(Condition::cmp("amount", Op::Gt, "10000")).order_by("-amount");
    assert_eq!(names(e.crm.find(q).unwrap()), ["deal 2", "deal 1"]);
    let q =
        Query::new("Potentials").filter(Condition::cmp("amount", Op::Ge, "10000.00")).filter(Condition::eq("sales_stage", "Closed Won"));
    assert_eq!(e.crm.count(q).unwrap(), 2);
    let q = Query::new("Potentials").filter(Condition::between("amount", "9999.99", "10000")).order_by("amount");
    assert_eq!(names(e.crm.find(q).unwrap()), ["deal 3", "deal 4"]);
    let q = Query::new("Potentials").filter(Condition::one_of("sales_stage", ["Qualification", "Closed Lost"])).order_by("potentialname");
    assert_eq!(names(e.crm.find(q).unwrap()), ["deal 3", "deal 4"]);
    let q = Query::new("Potentials").filter(Condition::Not(Box::new(Condition::eq("sales_stage", "Closed Won")))).order_by("potentialname");
    assert_eq!(names(e.crm.find(q).unwrap()), ["deal 0", "deal 3", "deal 4"]);
    // Default order: last modified first.
    assert_eq!(names(e.crm.find(Query::new("Potentials")).unwrap())[0], "deal 4");
    // Amounts sort numerically, not as text.
    let sorted = names(e.crm.find(Query::new("Potentials").order_by("amount")).unwrap());
    assert_eq!(sorted, ["deal 0", "deal 3", "deal 4", "deal 1", "deal 2"]);
    let page = e.crm.page(Query::new("Potentials").order_by("amount"), 2, 2).unwrap();
    assert_eq!(page.total, 5);
    assert_eq!(names(page.records), ["deal 4", "deal 1"]);
    // Empty fields: Ne and NotContains hold, comparisons do not.
    assert_eq!(e.crm.count(Query::new("Potentials").filter(Condition::cmp("nextstep", Op::Ne, "x"))).unwrap(), 5);
    assert_eq!(e.crm.count(Query::new("Potentials").filter(Condition::is_empty("nextstep"))).unwrap(), 5);
    assert_eq!(e.crm.count(Query::new("Potentials").filter(Condition::cmp("closingdate", Op::Lt, "2027-04-01"))).unwrap(), 5);
    assert_eq!(e.crm.count(Query::new("Potentials").filter(Condition::cmp("closingdate", Op::Gt, "2027-04-01"))).unwrap(), 0);
    // Bad queries are refused, never run.
    assert_eq!(
        e.crm.find(Query::new("Potentials").filter(Condition::eq("amount\"; DROP TABLE potentials; --", "1"))).unwrap_err().code(),
        "invalid_argument"
    );
    assert_eq!(e.crm.find(Query::new("Potentials").order_by("nope")).unwrap_err().code(), "invalid_argument");
    // Injection text as a value is only a value.
    assert_eq!(e.crm.count(Query::new("Potentials").filter(Condition::eq("potentialname", "x' OR '1'='1"))).unwrap(), 0);
}

fn text_search_ignores_case_unicode(b: Backend) {
    let mut e = env(b);
    e.crm.create("Potentials", deal("Ünïcode DEAL", "1", "Prospecting").with("description", "چند ساله")).unwrap();
    e.crm.create("Potentials", deal("other", "1", "Prospecting")).unwrap();
    let count = |c: Condition| e.crm.count(Query::new("Potentials").filter(c)).unwrap();
    assert_eq!(count(Condition::cmp("potentialname", Op::Contains, "ünï")), 1);
    assert_eq!(count(Condition::cmp("potentialname", Op::StartsWith, "üNÏCODE")), 1);
    assert_eq!(count(Condition::cmp("potentialname", Op::EndsWith, "deal")), 1);
    assert_eq!(count(Condition::cmp("potentialname", Op::NotContains, "deal")), 1);
    assert_eq!(count(Condition::cmp("description", Op::Contains, "ساله")), 1);
    assert_eq!(count(Condition::cmp("description", Op::NotContains, "ساله")), 1);
    assert_eq!(count(Condition::eq("potentialname", "ünïcode deal")), 0, "equality is exact");
}

fn picklist_values_take_the_stored_spelling(b: Backend) {
    let mut e = env(b);
    let r = e.crm.create("Potentials", deal("m", "1", "Prospecting").with("leadsource", "web site")).unwrap();
    assert_eq!(r.get("leadsource"), &Value::Text("Web Site".into()), "picklist values take the stored spelling");
    assert_eq!(e.crm.count(Query::new("Potentials").filter(Condition::eq("leadsource", "Web Site"))).unwrap(), 1);
}

fn aggregates_sum_exactly(b: Backend) {
    let mut e = env(b);
    for (amount, stage) in [("0.10", "Prospecting"), ("0.20", "Prospecting"), ("1000", "Qualification"), ("99999999999.99", "Closed Won")] {
        e.crm.create("Potentials", deal("x", amount, stage)).unwrap();
    }
    let by_stage = e.crm.aggregate(Query::new("Potentials"), Some("sales_stage"), &["amount", "probability"]).unwrap();
    let find = |s: &str| by_stage.iter().find(|a| a.key == Value::Text(s.into())).unwrap().clone();
    assert_eq!(find("Prospecting").count, 2);
    assert_eq!(find("Prospecting").sums, vec![dec!(0.30), dec!(20.000)]);
    assert_eq!(find("Closed Won").sums[0], dec!(99999999999.99));
    let all = e.crm.aggregate(Query::new("Potentials"), None, &["amount"]).unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].count, 4);
    assert_eq!(all[0].sums[0], dec!(100000001000.29));
    let none = e.crm.aggregate(Query::new("Potentials").filter(Condition::eq("sales_stage", "Closed Lost")), None, &["amount"]).unwrap();
    assert!(none.is_empty());
    assert_eq!(e.crm.aggregate(Query::new("Potentials"), None, &["potentialname"]).unwrap_err().code(), "invalid_argument");
}

fn stage_history_and_durations(b: Backend) {
    let mut e = env(b);
    let r = e.crm.create("Potentials", deal("a", "1000", "Prospecting")).unwrap();
    e.clock.advance(Duration::days(2));
    e.crm.update(r.id, Fields::new().with("sales_stage", "Qualification")).unwrap();
    e.clock.advance(Duration::days(1));
    e.crm.update(r.id, Fields::new().with("nextstep", "call")).unwrap(); // not a stage field
    e.crm.update(r.id, Fields::new().with("amount", "2000")).unwrap();
    e.clock.advance(Duration::days(3));
    let h = e.crm.stage_history(r.id).unwrap();
    assert_eq!(h.len(), 3);
    assert_eq!(h[0].stage.as_deref(), Some("Prospecting"));
    assert_eq!(h[0].probability, Some(dec!(10.000)));
    assert_eq!(h[1].stage.as_deref(), Some("Qualification"));
    assert_eq!(h[1].probability, Some(dec!(20.000)));
    assert_eq!(h[2].amount, Some(dec!(2000.00)));
    assert_eq!(h[2].closingdate.map(|d| d.to_string()).as_deref(), Some("2027-03-31"));
    let d = e.crm.stage_durations(r.id).unwrap();
    assert_eq!(d.len(), 2);
    assert_eq!((d[0].stage.as_str(), d[0].seconds), ("Prospecting", 2 * 86400));
    assert_eq!((d[1].stage.as_str(), d[1].seconds, d[1].left), ("Qualification", 4 * 86400, None));
}

fn users_and_groups(b: Backend) {
    let mut e = env(b);
    assert_eq!(e.crm.users().unwrap().len(), 2);
    assert_eq!(e.crm.add_user(NewUser::new("ADMIN")).unwrap_err().code(), "conflict");
    assert_eq!(e.crm.add_user(NewUser::new(" ")).unwrap_err().code(), "validation");
    assert_eq!(e.crm.add_user(NewUser::new("bad").email("nope")).unwrap_err().code(), "validation");
    assert_eq!(e.crm.add_group("Sales Team", &[]).unwrap_err().code(), "conflict");
    assert_eq!(e.crm.add_group("Ghosts", &["ghost"]).unwrap_err().code(), "not_found");
    let g = e.crm.groups().unwrap();
    assert_eq!(g.len(), 1);
    assert_eq!(g[0].members.len(), 2);
    assert_eq!(e.crm.set_actor("nobody").unwrap_err().code(), "not_found");
    match e.crm.owner(g[0].id).unwrap() {
        Some(Owner::Group(x)) => assert_eq!(x.name, "Sales Team"),
        other => panic!("{other:?}"),
    }
}

fn ids_are_unique_across_modules(b: Backend) {
    let mut e = env(b);
    let a = e.crm.create("Accounts", Fields::new().with("accountname", "A")).unwrap();
    let c = e.crm.create("Contacts", Fields::new().with("lastname", "C")).unwrap();
    let p = e.crm.create("Potentials", deal("P", "1", "Prospecting")).unwrap();
    let users: Vec<i64> = e.crm.users().unwrap().iter().map(|u| u.id.0).collect();
    let mut ids = vec![a.id.0, c.id.0, p.id.0];
    ids.extend(users);
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n);
    assert_eq!(e.crm.get(c.id).unwrap().module, "Contacts");
}

fn commit_is_atomic(b: Backend) {
    // Directly through the port: a change set whose second change is stale leaves the first unapplied.
    let mut e = env(b);
    let r = e.crm.create("Potentials", deal("a", "1", "Prospecting")).unwrap();
    let other = e.crm.create("Potentials", deal("b", "1", "Prospecting")).unwrap();
    drop(e);
    // A new database of the same backend, written through Store::commit directly.
    let mut db = b.db();
    let mut s = db.store();
    s.save_schema(&Schema::builtin()).unwrap();
    s.commit(&ChangeSet(vec![RecordChange::Insert(r.clone()).into(), RecordChange::Insert(other.clone()).into()])).unwrap();
    let mut changed = r.clone();
    changed.values.insert("nextstep".into(), Value::Text("x".into()));
    changed.version = 2;
    let stale = Record { version: 9, ..other.clone() };
    let res = s.commit(&ChangeSet(vec![
        RecordChange::Update { record: changed, expected_version: 1 }.into(),
        RecordChange::Update { record: stale, expected_version: 5 }.into(),
    ]));
    assert_eq!(res.unwrap_err().code(), "conflict");
    assert_eq!(s.get(r.id).unwrap().unwrap(), r, "first change rolled back");
    // Duplicate auto-number is refused and rolls back too.
    let mut dup = r.clone();
    dup.id = RecordId(77_777);
    let res = s.commit(&ChangeSet(vec![RecordChange::Insert(dup).into()]));
    assert_eq!(res.unwrap_err().code(), "duplicate");
    assert!(s.get(RecordId(77_777)).unwrap().is_none());
}

/// Garbage into every field of every built-in module never panics; it is stored or refused with field errors.
fn garbage_never_panics(b: Backend) {
    let forty_nines = "9".repeat(40);
    let nasty = [
        "",
        " ",
        "\0",
        "\u{202e}evil",
        "'; DROP TABLE potentials; --",
        forty_nines.as_str(),
        "-0",
        "1e9",
        "NaN",
        "2027-13-45",
        "٣٤٥",
        "😀😀",
        "\r\nBcc: x@y.z",
        "Accounts::::",
        "::::",
        "-9223372036854775809",
    ];
    let mut e = env(b);
    let schema = e.crm.schema().clone();
    for m in schema.modules.values() {
        for f in &m.fields {
            for v in nasty {
                let _ = e.crm.create(&m.name, Fields::new().with(f.name.clone(), v));
                let _ = e.crm.create(&m.name, Fields::new().with(f.name.clone(), Value::Int(i64::MIN)));
                let _ = e.crm.create(&m.name, Fields::new().with(f.name.clone(), Value::List(vec![v.to_string()])));
            }
        }
        let _ = e.crm.find(Query::new(m.name.clone()).filter(Condition::eq("x\"y", "z")));
    }
}

/// Conditions may name owners and referenced records, as record input can.
fn conditions_resolve_owner_and_reference_names(b: Backend) {
    let kind = b.name();
    let mut e = env(b);
    e.crm.create("Accounts", Fields::new().with("accountname", "Hooli")).unwrap();
    e.crm.create("Potentials", deal("a", "1", "Prospecting").with("assigned_user_id", "sara").with("related_to", "Hooli")).unwrap();
    e.crm.create("Potentials", deal("b", "1", "Prospecting")).unwrap();
    let by = |c: Condition| e.crm.count(Query::new("Potentials").filter(c)).unwrap();
    assert_eq!(by(Condition::eq("assigned_user_id", "sara")), 1, "{kind}");
    assert_eq!(by(Condition::eq("assigned_user_id", "Administrator")), 1, "{kind}");
    assert_eq!(by(Condition::eq("related_to", "Accounts::::Hooli")), 1, "{kind}");
    assert_eq!(
        e.crm.count(Query::new("Potentials").filter(Condition::eq("assigned_user_id", "ghost"))).unwrap_err().code(),
        "invalid_argument"
    );
}

/// Picklist values in conditions match ignoring case and take the stored spelling, as record input does.
fn picklist_conditions_ignore_case(b: Backend) {
    let kind = b.name();
    let mut e = env(b);
    e.crm.create("Potentials", deal("a", "1", "Prospecting")).unwrap();
    assert_eq!(e.crm.count(Query::new("Potentials").filter(Condition::eq("sales_stage", "prospecting"))).unwrap(), 1, "{kind}");
    assert_eq!(e.crm.count(Query::new("Potentials").filter(Condition::one_of("sales_stage", ["CLOSED WON", "prospecting"]))).unwrap(), 1);
}
