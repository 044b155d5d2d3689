//! Filters and search, mass actions, related records, lead conversion and new-customer deals —
//! every test runs on every storage backend (reopening on the shared ones).

use crm_core::clock::FixedClock;
use crm_core::{
    ChangeKind, Condition, Crm, DateRange, Error, Fields, Filter, LeadConversion, LinkInfo, NewUser, Op, Query, Record, RecordId, Value,
    ViewSettings, Visibility,
};
use rust_decimal_macros::dec;
use std::sync::Arc;
use support::{Backend, TestCrm};

mod support;

/// A new engine on `b` with users `admin` and `sally`, acting as admin, clock at 2026-11-26 10:00.
fn open(b: Backend) -> TestCrm {
    let mut t = b.bare();
    t.set_time("2026-11-26 10:00:00");
    let crm = &mut t.crm;
    crm.add_user(NewUser::new("admin").full_name("Administrator")).unwrap();
    crm.add_user(NewUser::new("sally").full_name("Sally Sales")).unwrap();
    crm.set_actor("admin").unwrap();
    t
}

fn deal(crm: &mut Crm, name: &str, stage: &str, amount: &str, close: &str) -> Record {
    crm.create(
        "Potentials",
        Fields::new().with("potentialname", name).with("sales_stage", stage).with("amount", amount).with("closingdate", close),
    )
    .unwrap()
}

fn names(rs: &[Record]) -> Vec<String> {
    let mut v: Vec<String> = rs.iter().map(|r| r.label.clone()).collect();
    v.sort();
    v
}

fn default_filters_are_shipped_listed_and_protected(b: Backend) {
    let mut t = open(b);
    let crm = &mut t.crm;
    let fs = crm.filters("Potentials").unwrap();
    let n: Vec<&str> = fs.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(n, ["All", "Potentials Won", "Prospecting"]);
    assert!(fs[0].default && fs.iter().all(|f| f.visibility == Visibility::System));
    assert_eq!(fs[0].columns[6], "amount");
    assert_eq!(fs[1].columns, ["potentialname", "related_to", "amount", "closingdate", "assigned_user_id", "contact_id"]);
    deal(crm, "A", "Closed Won", "10", "2027-01-01");
    deal(crm, "B", "Prospecting", "20", "2027-01-01");
    deal(crm, "C", "Closed Won", "30", "2027-01-01");
    let won = crm.list("Potentials", "Potentials Won", Some("-amount"), 1, 10).unwrap();
    assert_eq!(won.page.total, 2);
    assert_eq!(won.page.records[0].label, "C");
    assert_eq!(crm.list("Potentials", "prospecting", None, 1, 10).unwrap().page.total, 1);
    assert_eq!(crm.list("Potentials", "All", None, 1, 2).unwrap().page.records.len(), 2);
    let all_id = fs[0].id;
    assert!(matches!(crm.delete_filter("Potentials", all_id), Err(Error::Conflict(_))));
    // Shipped filters: columns and sort may change, conditions may not.
    let mut won_f = fs[1].clone();
    won_f.columns = vec!["potentialname".into(), "amount".into()];
    won_f.sort = vec![crm_core::Sort::desc("amount")];
    let saved = crm.save_filter(won_f.clone()).unwrap();
    assert_eq!(saved.visibility, Visibility::System);
    assert_eq!(crm.filter("Potentials", "Potentials Won").unwrap().columns, ["potentialname", "amount"]);
    won_f.all.clear();
    assert!(matches!(crm.save_filter(won_f), Err(Error::Conflict(_))));
    if t.db.is_shared() {
        // Reopening installs nothing twice.
        let crm = t.second_handle();
        assert_eq!(crm.filters("Potentials").unwrap().len(), 3);
    }
}

fn filters_are_validated_on_save(b: Backend) {
    let mut t = open(b);
    let crm = &mut t.crm;
    let bad = |f: Filter| f;
    let unknown = crm.save_filter(bad(Filter::new("Potentials", "x").all("nope", "e", "1")));
    assert!(matches!(unknown, Err(Error::InvalidArgument(_))));
    let wrong_op = crm.save_filter(Filter::new("Potentials", "x").all("amount", "c", "1"));
    assert!(matches!(wrong_op, Err(Error::InvalidArgument(_))));
    let before_on_text = crm.save_filter(Filter::new("Potentials", "x").all("potentialname", "b", "a"));
    assert!(matches!(before_on_text, Err(Error::InvalidArgument(_))));
    let bad_value = crm.save_filter(Filter::new("Potentials", "x").all("amount", "g", "lots"));
    assert!(matches!(bad_value, Err(Error::InvalidArgument(_))));
    let bad_code = crm.save_filter(Filter::new("Potentials", "x").all("amount", "zz", "1"));
    assert!(matches!(bad_code, Err(Error::InvalidArgument(_))));
    let not_a_date = crm.save_filter(Filter::new("Potentials", "x").date("amount", DateRange::Today));
    assert!(matches!(not_a_date, Err(Error::InvalidArgument(_))));
    let dup = crm.save_filter(Filter::new("Potentials", "all"));
    assert!(matches!(dup, Err(Error::Conflict(_))));
    // Labels are accepted and stored as field names; empty columns copy the default filter's.
    let ok = crm.save_filter(Filter::new("Potentials", "Big").all("Amount", "h", "1000")).unwrap();
    assert_eq!(ok.all[0].field, "amount");
    assert_eq!(ok.columns.len(), 9);
    assert!(ok.id > 0);
}

fn filters_combine_all_any_ranges_and_lists(b: Backend) {
    let mut t = open(b);
    let crm = &mut t.crm;
    deal(crm, "Nov big", "Prospecting", "5000", "2026-11-10");
    deal(crm, "Nov small", "Closed Won", "50", "2026-11-30");
    deal(crm, "Dec big", "Closed Won", "7000", "2026-12-05");
    deal(crm, "Old", "Closed Lost", "9000", "2025-01-01");
    let f = crm.save_filter(Filter::new("Potentials", "This month").date("closingdate", DateRange::ThisMonth)).unwrap();
    assert_eq!(names(&crm.list("Potentials", &f.id.to_string(), None, 1, 50).unwrap().page.records), ["Nov big", "Nov small"]);
    let f = Filter::new("Potentials", "Next 30").date("closingdate", DateRange::Next30Days);
    let f = crm.save_filter(f).unwrap();
    assert_eq!(names(&crm.list("Potentials", &f.name, None, 1, 50).unwrap().page.records), ["Dec big", "Nov small"]);
    // all: amount >= 1000; any: stage is one of a comma list, or name ends with "Old".
    let f = Filter::new("Potentials", "Combo").all("amount", "h", "1000").any("sales_stage", "e", "Prospecting,Closed Won").any(
        "potentialname",
        "ew",
        "old",
    );
    let f = crm.save_filter(f).unwrap();
    assert_eq!(names(&crm.list("Potentials", "Combo", None, 1, 50).unwrap().page.records), ["Dec big", "Nov big", "Old"]);
    assert!(f.id > 0);
    // n with a list joins with AND.
    let f = crm.save_filter(Filter::new("Potentials", "Open").all("sales_stage", "n", "Closed Won,Closed Lost")).unwrap();
    assert_eq!(names(&crm.list("Potentials", &f.name, None, 1, 50).unwrap().page.records), ["Nov big"]);
    // bw on a date, y on an empty field, owners by name.
    let f = crm
        .save_filter(Filter::new("Potentials", "Range").all("closingdate", "bw", "2026-11-01,2026-11-30").all("nextstep", "y", "").all(
            "assigned_user_id",
            "e",
            "admin",
        ))
        .unwrap();
    assert_eq!(crm.list("Potentials", &f.name, None, 1, 50).unwrap().page.total, 2);
    // References match by the referenced record's name.
    let org = crm.create("Accounts", Fields::new().with("accountname", "Hooli")).unwrap();
    let hooli = deal(crm, "Hooli deal", "Prospecting", "1", "2027-01-01");
    crm.update(hooli.id, Fields::new().with("related_to", Value::Ref(org.id))).unwrap();
    let f = crm.save_filter(Filter::new("Potentials", "Hooli").all("related_to", "e", "hooli")).unwrap();
    assert_eq!(names(&crm.list("Potentials", &f.name, None, 1, 50).unwrap().page.records), ["Hooli deal"]);
    let f = crm.save_filter(Filter::new("Potentials", "Not Hooli").all("related_to", "n", "Hooli")).unwrap();
    assert_eq!(crm.list("Potentials", &f.name, None, 1, 50).unwrap().page.total, 4);
    let f = crm.save_filter(Filter::new("Potentials", "Nobody").all("related_to", "e", "Nobody Inc")).unwrap();
    assert_eq!(crm.list("Potentials", &f.name, None, 1, 50).unwrap().page.total, 0);
    crm.delete(hooli.id).unwrap();
    // fiscal quarters follow the configured fiscal year start.
    crm.set_view_settings(ViewSettings { fiscal_year_start_month: 12, ..ViewSettings::default() }).unwrap();
    let f = crm.save_filter(Filter::new("Potentials", "FQ").date("closingdate", DateRange::ThisFq)).unwrap();
    // Fiscal quarter starting in December: 2026-09-01 ..= 2026-11-30.
    assert_eq!(names(&crm.list("Potentials", &f.name, None, 1, 50).unwrap().page.records), ["Nov big", "Nov small"]);
    assert!(crm.set_view_settings(ViewSettings { fiscal_year_start_month: 13, ..ViewSettings::default() }).is_err());
    // createdtime is a datetime: today's range includes everything created now.
    let f = crm.save_filter(Filter::new("Potentials", "Today").date("createdtime", DateRange::Today)).unwrap();
    assert_eq!(crm.list("Potentials", &f.name, None, 1, 50).unwrap().page.total, 4);
}

fn private_filters_and_default_flag(b: Backend) {
    let mut t = open(b);
    let crm = &mut t.crm;
    // A new private filter belongs to the acting user, whatever owner was named.
    let mine = crm.save_filter(Filter::new("Potentials", "Mine").private("sally").all("assigned_user_id", "e", "admin")).unwrap();
    assert_eq!(mine.owner.as_deref(), Some("admin"));
    let p = crm.save_filter(Filter { visibility: Visibility::Private, owner: None, ..Filter::new("Potentials", "Admin only") }).unwrap();
    assert_eq!(p.owner.as_deref(), Some("admin"));
    crm.set_actor("sally").unwrap();
    assert!(crm.filters("Potentials").unwrap().iter().all(|f| f.name != "Admin only"));
    assert!(matches!(crm.filter("Potentials", "Admin only"), Err(Error::NotFound(_))));
    let d = crm.save_filter(Filter { default: true, ..Filter::new("Potentials", "Sally default") }).unwrap();
    let fs = crm.filters("Potentials").unwrap();
    assert_eq!(fs.iter().filter(|f| f.default).map(|f| f.id).collect::<Vec<_>>(), [d.id]);
    assert_eq!(crm.default_filter("Potentials").unwrap().unwrap().id, d.id);
    crm.delete_filter("Potentials", d.id).unwrap();
    assert!(crm.filter("Potentials", "Sally default").is_err());
}

fn search_and_column_search_and_keyset_paging(b: Backend) {
    let mut t = open(b);
    let crm = &mut t.crm;
    for i in 0..25 {
        let stage = if i % 3 == 0 { "Prospecting" } else { "Qualification" };
        let r = deal(crm, &format!("Deal {i:02}"), stage, &format!("{}", 100 * (i % 4)), "2027-01-01");
        if i == 7 {
            crm.update(r.id, Fields::new().with("nextstep", "Call ÜBER boss")).unwrap();
        }
    }
    let p = crm.search("Potentials", "über", 1, 10).unwrap();
    assert_eq!(names(&p.records), ["Deal 07"]);
    assert_eq!(crm.search("Potentials", "deal 1", 1, 5).unwrap().total, 10);
    assert_eq!(crm.search("Potentials", "", 1, 5).unwrap().total, 25);
    let p = crm.search_columns("Potentials", &[("potentialname", "deal 0"), ("sales_stage", "Prospecting")], 1, 50).unwrap();
    assert_eq!(names(&p.records), ["Deal 00", "Deal 03", "Deal 06", "Deal 09"]);
    assert!(crm.search_columns("Potentials", &[("nope", "x")], 1, 5).is_err());
    // Keyset pages over a sort key with many ties equal the offset listing.
    // Single keys seek on (key, id); two keys seek on the first and step over its ties. Empty keys
    // (nextstep) sort first ascending and last descending.
    for sort in ["sales_stage", "-amount", "potentialname", "nextstep", "-nextstep", "sales_stage,-amount"] {
        let q = sort.split(',').fold(Query::new("Potentials"), |q, s| q.order_by(s));
        let full = crm.find(q.clone()).unwrap();
        let mut got = Vec::new();
        let mut cursor = None;
        loop {
            let (rs, next) = crm.page_after(q.clone(), cursor.as_ref(), 4).unwrap();
            got.extend(rs.into_iter().map(|r| r.id));
            match next {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(got, full.iter().map(|r| r.id).collect::<Vec<_>>(), "sort {sort}");
    }
}

fn mass_actions_skip_failures_and_write_history(b: Backend) {
    let mut t = open(b);
    let crm = &mut t.crm;
    let a = deal(crm, "A", "Prospecting", "10", "2027-01-01");
    let b = deal(crm, "B", "Prospecting", "20", "2027-01-01");
    let c = deal(crm, "C", "Prospecting", "30", "2027-01-01");
    let missing = RecordId(999_999);
    let r = crm.mass_edit(&[a.id, b.id, missing], Fields::new().with("sales_stage", "Qualification")).unwrap();
    assert_eq!(r.succeeded, [a.id, b.id]);
    assert_eq!(r.failed.len(), 1);
    assert!(matches!(r.failed[0].error, Error::NotFound(_)));
    assert_eq!(crm.get(a.id).unwrap().get("probability").to_string(), "20.000");
    assert_eq!(crm.history(b.id).unwrap().last().unwrap().kind, ChangeKind::Updated);
    assert_eq!(crm.stage_history(b.id).unwrap().len(), 2);
    // A record that fails validation is skipped; the others go through.
    crm.update(c.id, Fields::new().with("probability", "5")).unwrap();
    let r = crm.mass_edit(&[a.id, c.id], Fields::new().with("sales_stage", "No such stage")).unwrap();
    assert!(r.succeeded.is_empty());
    assert!(matches!(r.failed[0].error, Error::Validation(_)));
    let r = crm.mass_edit(&[a.id], Fields::new().with("forecast_amount", "1")).unwrap();
    assert!(matches!(r.failed[0].error, Error::InvalidArgument(_)));
    // Transfer.
    let r = crm.mass_transfer(&[a.id, b.id], "sally").unwrap();
    assert_eq!(r.succeeded.len(), 2);
    let sally = crm.user("sally").unwrap().id;
    assert_eq!(crm.get(b.id).unwrap().get("assigned_user_id"), &Value::Owner(sally));
    assert!(matches!(crm.mass_transfer(&[a.id], "nobody"), Err(Error::NotFound(_))));
    // Comment.
    let r = crm.mass_comment(&[a.id, c.id, missing], "Quarter review").unwrap();
    assert_eq!(r.succeeded, [a.id, c.id]);
    assert_eq!(crm.comments(c.id).unwrap()[0].text, "Quarter review");
    assert!(crm.mass_comment(&[a.id], "  ").is_err());
    // Delete.
    crm.delete(c.id).unwrap();
    let r = crm.mass_delete(&[a.id, c.id, a.id]).unwrap();
    assert_eq!(r.succeeded, [a.id]);
    assert!(matches!(r.failed[0].error, Error::Conflict(_)));
    assert!(crm.get_deleted(a.id).unwrap().deleted);
    assert_eq!(crm.history(a.id).unwrap().last().unwrap().kind, ChangeKind::Deleted);
    assert_eq!(crm.count(Query::new("Potentials")).unwrap(), 1);
}

fn comments_are_threaded_newest_first(b: Backend) {
    let mut t = open(b);
    let crm = &mut t.crm;
    let clock = Arc::new(FixedClock::at("2026-11-26 10:00:00"));
    crm.set_clock(clock.clone());
    let a = deal(crm, "A", "Prospecting", "10", "2027-01-01");
    let other = deal(crm, "B", "Prospecting", "10", "2027-01-01");
    let first = crm.comment(a.id, "First call went well").unwrap();
    clock.advance(chrono::Duration::minutes(5));
    crm.set_actor("sally").unwrap();
    let reply = crm.reply(first.id, "Agreed, send the quote").unwrap();
    assert_eq!(reply.parent, Some(first.id));
    assert_eq!(reply.record, a.id);
    assert_eq!(reply.author, "sally");
    let list = crm.comments(a.id).unwrap();
    assert_eq!(list.iter().map(|c| c.id).collect::<Vec<_>>(), [reply.id, first.id]);
    assert_eq!(list[1].at.to_string(), "2026-11-26 10:00:00");
    assert!(crm.comments(other.id).unwrap().is_empty());
    assert!(matches!(crm.reply(123_456, "x"), Err(Error::NotFound(_))));
    assert!(crm.comment(a.id, "").is_err());
}

fn activities_open_and_done(b: Backend) {
    let mut t = open(b);
    let crm = &mut t.crm;
    let a = deal(crm, "A", "Prospecting", "10", "2027-01-01");
    let act = |crm: &mut Crm, subject: &str, t: &str, status: (&str, &str), day: &str| {
        crm.create(
            "Calendar",
            Fields::new()
                .with("subject", subject)
                .with("activitytype", t)
                .with("date_start", day)
                .with(status.0, status.1)
                .with("parent_id", Value::Ref(a.id)),
        )
        .unwrap()
    };
    act(crm, "Call back", "Call", ("eventstatus", "Planned"), "2026-11-28");
    act(crm, "Demo", "Meeting", ("eventstatus", "Held"), "2026-11-20");
    act(crm, "Send deck", "Task", ("taskstatus", "Completed"), "2026-11-21");
    act(crm, "Draft offer", "Task", ("taskstatus", "In Progress"), "2026-11-27");
    let open: Vec<String> = crm.activities(a.id, false).unwrap().into_iter().map(|r| r.label).collect();
    assert_eq!(open, ["Draft offer", "Call back"]);
    let done: Vec<String> = crm.activities(a.id, true).unwrap().into_iter().map(|r| r.label).collect();
    assert_eq!(done, ["Demo", "Send deck"]);
    assert_eq!(crm.related(a.id, "Calendar", 1, 3).unwrap().total, 4);
}

fn links_related_lists_and_documents_from_the_opportunity(b: Backend) {
    let mut t = open(b);
    let crm = &mut t.crm;
    let org = crm.create("Accounts", Fields::new().with("accountname", "Hooli")).unwrap();
    let con = crm.create("Contacts", Fields::new().with("lastname", "Belson").with("account_id", Value::Ref(org.id))).unwrap();
    let con2 = crm.create("Contacts", Fields::new().with("lastname", "Bighetti")).unwrap();
    let prod = crm.create("Products", Fields::new().with("productname", "Box").with("unit_price", "199.99")).unwrap();
    let svc = crm.create("Services", Fields::new().with("servicename", "Setup").with("unit_price", "50")).unwrap();
    let doc = crm.create("Documents", Fields::new().with("notes_title", "Proposal").with("fileurl", "https://example.com/p.pdf")).unwrap();
    let pot = crm
        .create_opportunity_for(
            con.id,
            Fields::new().with("potentialname", "Hooli boxes").with("sales_stage", "Prospecting").with("closingdate", "2027-02-01"),
        )
        .unwrap();
    assert_eq!(pot.get("related_to"), &Value::Ref(org.id));
    assert_eq!(pot.get("contact_id"), &Value::Ref(con.id));
    // The contact is linked; add another with a role, products with quantity and price, a document.
    crm.link(pot.id, con2.id, LinkInfo { role: Some("Decision Maker".into()), ..LinkInfo::default() }).unwrap();
    let l = crm.link(pot.id, prod.id, LinkInfo { quantity: Some(dec!(3)), ..LinkInfo::default() }).unwrap();
    assert_eq!(l.price, Some(dec!(199.99)));
    crm.link(svc.id, pot.id, LinkInfo { quantity: Some(dec!(1.5)), price: Some(dec!(40.10)), role: None }).unwrap();
    crm.link(pot.id, doc.id, LinkInfo::default()).unwrap();
    assert!(crm.link(pot.id, doc.id, LinkInfo { role: Some("x".into()), ..LinkInfo::default() }).is_err());
    assert!(crm.link(pot.id, org.id, LinkInfo::default()).is_err());
    let contacts = crm.related(pot.id, "Contacts", 1, 10).unwrap();
    assert_eq!(contacts.total, 2);
    let roles: Vec<Option<String>> = contacts.items.iter().map(|(_, l)| l.as_ref().and_then(|l| l.role.clone())).collect();
    assert_eq!(roles, [None, Some("Decision Maker".into())]);
    let page2 = crm.related(pot.id, "Contacts", 2, 1).unwrap();
    assert_eq!(page2.items.len(), 1);
    assert_eq!(page2.items[0].0.id, con2.id);
    let svcs = crm.related(pot.id, "Services", 1, 10).unwrap();
    assert_eq!(svcs.items[0].1.as_ref().unwrap().price, Some(dec!(40.10)));
    assert_eq!(svcs.items[0].1.as_ref().unwrap().quantity, Some(dec!(1.5)));
    assert_eq!(crm.related(pot.id, "Documents", 1, 10).unwrap().items[0].0.get("fileurl").to_string(), "https://example.com/p.pdf");
    // From the contact's side the opportunity shows (reference and link).
    assert_eq!(crm.related(con.id, "Potentials", 1, 10).unwrap().total, 1);
    assert_eq!(crm.related(con2.id, "Potentials", 1, 10).unwrap().total, 1);
    // History on both sides.
    let h = crm.history(pot.id).unwrap();
    assert!(h.iter().any(|e| e.kind == ChangeKind::Linked && e.related == Some(prod.id)));
    assert!(crm.history(prod.id).unwrap().iter().any(|e| e.kind == ChangeKind::Linked && e.related == Some(pot.id)));
    crm.unlink(prod.id, pot.id).unwrap();
    assert_eq!(crm.related(pot.id, "Products", 1, 10).unwrap().total, 0);
    assert!(crm.history(pot.id).unwrap().iter().any(|e| e.kind == ChangeKind::Unlinked && e.related == Some(prod.id)));
    assert!(matches!(crm.unlink(prod.id, pot.id), Err(Error::NotFound(_))));
    crm.link(pot.id, prod.id, LinkInfo { quantity: Some(dec!(2)), price: Some(dec!(180)), role: None }).unwrap();
    // A quote from the opportunity carries its organization, contact and products.
    let q = crm.create_from_opportunity(pot.id, "Quotes", Fields::new().with("quotestage", "Created")).unwrap();
    assert_eq!(q.get("potential_id"), &Value::Ref(pot.id));
    assert_eq!(q.get("account_id"), &Value::Ref(org.id));
    assert_eq!(q.get("contact_id"), &Value::Ref(con.id));
    assert_eq!(q.label, "Hooli boxes");
    let lines = crm.related(q.id, "Products", 1, 10).unwrap();
    assert_eq!(lines.items[0].1.as_ref().unwrap().price, Some(dec!(180)));
    assert_eq!(crm.related(q.id, "Services", 1, 10).unwrap().total, 1);
    assert_eq!(crm.related(pot.id, "Quotes", 1, 10).unwrap().items[0].0.id, q.id);
    let inv = crm
        .create_from_opportunity(pot.id, "Invoice", Fields::new().with("invoicestatus", "Created").with("subject", "INV for boxes"))
        .unwrap();
    assert_eq!(inv.label, "INV for boxes");
    assert!(crm.create_from_opportunity(pot.id, "Contacts", Fields::new()).is_err());
    assert!(crm.create_from_opportunity(org.id, "Quotes", Fields::new()).is_err());
}

fn lead_conversion(b: Backend) {
    let mut t = open(b);
    let crm = &mut t.crm;
    let existing = crm.create("Accounts", Fields::new().with("accountname", "Pied Piper")).unwrap();
    let lead = crm
        .create(
            "Leads",
            Fields::new()
                .with("firstname", "Richard")
                .with("lastname", "Hendricks")
                .with("company", "Initech")
                .with("email", "richard@initech.example")
                .with("phone", "555-0100")
                .with("city", "Palo Alto")
                .with("leadsource", "Trade Show")
                .with("annualrevenue", "1200000.50")
                .with("description", "Met at the fair"),
        )
        .unwrap();
    let other = crm.create("Leads", Fields::new().with("lastname", "Dunn").with("company", "pied piper")).unwrap();
    // Things hanging on the lead: a document link and a planned call.
    let doc = crm.create("Documents", Fields::new().with("notes_title", "Brochure")).unwrap();
    crm.link(lead.id, doc.id, LinkInfo::default()).unwrap();
    let call = crm
        .create(
            "Calendar",
            Fields::new()
                .with("subject", "Call Richard")
                .with("activitytype", "Call")
                .with("date_start", "2026-12-01")
                .with("parent_id", Value::Ref(lead.id)),
        )
        .unwrap();
    assert_eq!(crm.count(Query::new("Leads")).unwrap(), 2);
    // A failing step rolls everything back: the opportunity misses its close date.
    let bad = LeadConversion::new().with_potential(Fields::new().with("sales_stage", "Prospecting"));
    match crm.convert_lead(lead.id, bad) {
        Err(Error::Validation(v)) => assert!(v.errors().iter().any(|e| e.field == "closingdate")),
        other => panic!("expected validation error, got {other:?}"),
    }
    assert_eq!(crm.count(Query::new("Accounts")).unwrap(), 1);
    assert_eq!(crm.count(Query::new("Contacts")).unwrap(), 0);
    assert_ne!(crm.get(lead.id).unwrap().get("converted"), &Value::Bool(true));
    // Neither organization nor contact.
    let none = LeadConversion { account: None, contact: None, ..LeadConversion::new() };
    assert!(matches!(crm.convert_lead(lead.id, none), Err(Error::InvalidArgument(_))));

    let conv = LeadConversion::new()
        .with_potential(Fields::new().with("closingdate", "2027-03-31").with("sales_stage", "Qualification").with("amount", "25000"));
    let conv = LeadConversion { assigned_to: Some("sally".into()), ..conv };
    let out = crm.convert_lead(lead.id, conv).unwrap();
    assert!(!out.account_reused);
    let org = crm.get(out.account.unwrap()).unwrap();
    assert_eq!(org.label, "Initech");
    assert_eq!(org.get("email1").to_string(), "richard@initech.example");
    assert_eq!(org.get("bill_city").to_string(), "Palo Alto");
    assert_eq!(org.get("ship_city").to_string(), "Palo Alto");
    assert_eq!(org.get("annual_revenue").as_decimal(), Some(dec!(1200000.50)));
    assert_eq!(org.get("isconvertedfromlead"), &Value::Bool(true));
    let sally = crm.user("sally").unwrap().id;
    assert_eq!(org.get("assigned_user_id"), &Value::Owner(sally));
    let con = crm.get(out.contact.unwrap()).unwrap();
    assert_eq!(con.label, "Richard Hendricks");
    assert_eq!(con.get("account_id"), &Value::Ref(org.id));
    assert_eq!(con.get("mailingcity").to_string(), "Palo Alto");
    assert_eq!(con.get("isconvertedfromlead"), &Value::Bool(true));
    let pot = crm.get(out.potential.unwrap()).unwrap();
    assert_eq!(pot.label, "Initech");
    assert_eq!(pot.get("related_to"), &Value::Ref(org.id));
    assert_eq!(pot.get("contact_id"), &Value::Ref(con.id));
    assert_eq!(pot.get("leadsource").to_string(), "Trade Show");
    assert_eq!(pot.get("description").to_string(), "Met at the fair");
    assert_eq!(pot.get("isconvertedfromlead"), &Value::Bool(true));
    assert_eq!(pot.get("probability").to_string(), "20.000");
    assert!(crm.history(pot.id).unwrap()[0].changes.iter().any(|c| c.field == "isconvertedfromlead"));
    assert_eq!(crm.related(pot.id, "Contacts", 1, 10).unwrap().items[0].1.as_ref().unwrap().related, con.id);
    // The lead's links and activities moved to the new records.
    assert_eq!(crm.related(con.id, "Documents", 1, 10).unwrap().items[0].0.id, doc.id);
    assert_eq!(crm.related(lead.id, "Documents", 1, 10).unwrap().total, 0);
    // The lead's link is logged as unlinked on both sides, each naming the other, as an unlink is.
    for (x, y) in [(lead.id, doc.id), (doc.id, lead.id)] {
        let unlinked: Vec<_> = crm.history(x).unwrap().into_iter().filter(|e| e.kind == ChangeKind::Unlinked).collect();
        assert_eq!(unlinked.iter().map(|e| (e.related, e.actor.as_str())).collect::<Vec<_>>(), [(Some(y), "admin")], "{x}");
    }
    let call = crm.get(call.id).unwrap();
    assert_eq!(call.get("parent_id"), &Value::Ref(pot.id));
    assert_eq!(call.get("contact_id"), &Value::Ref(con.id));
    assert_eq!(crm.activities(pot.id, false).unwrap().len(), 1);
    // The lead is kept, converted, hidden from lists, and cannot be converted again.
    let l = crm.get(lead.id).unwrap();
    assert_eq!(l.get("converted"), &Value::Bool(true));
    assert!(crm.history(lead.id).unwrap().last().unwrap().changes.iter().any(|c| c.field == "converted"));
    assert_eq!(names(&crm.find(Query::new("Leads")).unwrap()), ["Dunn"]);
    assert_eq!(crm.page(Query::new("Leads"), 1, 10).unwrap().total, 1);
    assert_eq!(crm.search("Leads", "hendricks", 1, 10).unwrap().total, 0);
    let asked = crm.find(Query::new("Leads").filter(Condition::eq("converted", true))).unwrap();
    assert_eq!(asked.len(), 1);
    assert!(matches!(crm.convert_lead(lead.id, LeadConversion::new()), Err(Error::Conflict(_))));
    // An organization with the same name is reused; only a contact is created.
    let out = crm.convert_lead(other.id, LeadConversion::new()).unwrap();
    assert!(out.account_reused);
    assert_eq!(out.account, Some(existing.id));
    assert_eq!(crm.get(out.contact.unwrap()).unwrap().get("account_id"), &Value::Ref(existing.id));
    assert_eq!(out.potential, None);
    assert_eq!(crm.count(Query::new("Accounts")).unwrap(), 2);
}

fn lead_mapping_is_editable_except_locked_rows(b: Backend) {
    let mut t = open(b);
    let crm = &mut t.crm;
    let mut m = crm.lead_mapping().unwrap();
    assert_eq!(m.rows[0].potential.as_deref(), Some("potentialname"));
    m.rows.retain(|r| r.lead != "phone");
    if let Some(r) = m.rows.iter_mut().find(|r| r.lead == "designation") {
        r.potential = Some("nextstep".into());
    }
    crm.set_lead_mapping(m.clone()).unwrap();
    assert_eq!(crm.lead_mapping().unwrap(), m);
    let mut locked = m.clone();
    locked.rows.retain(|r| r.lead != "company");
    assert!(crm.set_lead_mapping(locked).is_err());
    let mut unknown = m.clone();
    unknown.rows[1].account = Some("nope".into());
    assert!(crm.set_lead_mapping(unknown).is_err());
    let lead = crm
        .create(
            "Leads",
            Fields::new().with("lastname", "Gilfoyle").with("company", "Anton").with("phone", "1").with("designation", "Call him"),
        )
        .unwrap();
    let out = crm
        .convert_lead(
            lead.id,
            LeadConversion::new().with_potential(Fields::new().with("closingdate", "2027-01-01").with("sales_stage", "Prospecting")),
        )
        .unwrap();
    assert!(crm.get(out.contact.unwrap()).unwrap().get("phone").is_empty());
    assert_eq!(crm.get(out.potential.unwrap()).unwrap().get("nextstep").to_string(), "Call him");
}

fn new_customer_in_one_transaction(b: Backend) {
    let mut t = open(b);
    let crm = &mut t.crm;
    let out = crm
        .create_for_new_customer(
            Some(Fields::new().with("accountname", "Raviga")),
            Some(Fields::new().with("firstname", "Laurie").with("lastname", "Bream")),
            Fields::new().with("potentialname", "Raviga fund").with("sales_stage", "Prospecting").with("closingdate", "2027-05-01"),
        )
        .unwrap();
    let pot = crm.get(out.potential.unwrap()).unwrap();
    assert_eq!(pot.get("related_to"), &Value::Ref(out.account.unwrap()));
    assert_eq!(pot.get("contact_id"), &Value::Ref(out.contact.unwrap()));
    assert_ne!(pot.get("isconvertedfromlead"), &Value::Bool(true));
    assert_eq!(crm.get(out.contact.unwrap()).unwrap().get("account_id"), &Value::Ref(out.account.unwrap()));
    // An invalid opportunity stores nothing.
    let err = crm.create_for_new_customer(
        Some(Fields::new().with("accountname", "Bachmanity")),
        None,
        Fields::new().with("potentialname", "x").with("sales_stage", "Nope").with("closingdate", "2027-05-01"),
    );
    assert!(matches!(err, Err(Error::Validation(_))));
    assert_eq!(crm.count(Query::new("Accounts")).unwrap(), 1);
    // Contact only, and an opportunity for an existing organization.
    let out = crm
        .create_for_new_customer(
            None,
            Some(Fields::new().with("lastname", "Solo")),
            Fields::new().with("potentialname", "Solo deal").with("sales_stage", "Prospecting").with("closingdate", "2027-05-01"),
        )
        .unwrap();
    assert!(out.account.is_none());
    let org = crm.find(Query::new("Accounts")).unwrap().remove(0);
    let p = crm
        .create_opportunity_for(
            org.id,
            Fields::new().with("potentialname", "Upsell").with("sales_stage", "Prospecting").with("closingdate", "2027-06-01"),
        )
        .unwrap();
    assert_eq!(p.get("related_to"), &Value::Ref(org.id));
    assert_eq!(crm.related(org.id, "Potentials", 1, 10).unwrap().total, 2);
    assert!(crm.create_opportunity_for(p.id, Fields::new()).is_err());
    assert!(crm.find(Query::new("Potentials").filter(Condition::cmp("potentialname", Op::Contains, "upsell"))).unwrap().len() == 1);
}

/// On a database a second handle opens: filters, comments, links and settings survive; a purge leaves no
/// relation or comment row (counted with plain SQL on SQLite).
fn keeps_filters_comments_links_and_settings_across_reopen_and_purge_cleans_up(b: Backend) {
    let mut db = b.db();
    let clock = Arc::new(FixedClock::at("2026-11-26 10:00:00"));
    let (pot, doc) = {
        let mut crm = db.crm_with_clock(clock.clone());
        crm.add_user(NewUser::new("admin")).unwrap();
        crm.set_actor("admin").unwrap();
        let pot = deal(&mut crm, "Keep", "Prospecting", "1.50", "2027-01-01");
        let doc = crm.create("Documents", Fields::new().with("notes_title", "Spec")).unwrap();
        let prod = crm.create("Products", Fields::new().with("productname", "P")).unwrap();
        crm.link(pot.id, doc.id, LinkInfo::default()).unwrap();
        crm.link(pot.id, prod.id, LinkInfo { quantity: Some(dec!(2.125)), price: Some(dec!(10.10)), role: None }).unwrap();
        crm.comment(pot.id, "remember me").unwrap();
        crm.save_filter(Filter::new("Potentials", "Mine").all("amount", "g", "1")).unwrap();
        crm.set_view_settings(ViewSettings { fiscal_year_start_month: 4, week_start: chrono::Weekday::Mon, ..ViewSettings::default() })
            .unwrap();
        (pot, doc)
    };
    let mut crm = db.crm_with_clock(clock);
    crm.set_actor("admin").unwrap();
    assert_eq!(crm.filters("Potentials").unwrap().len(), 4);
    assert_eq!(crm.list("Potentials", "Mine", None, 1, 10).unwrap().page.total, 1);
    assert_eq!(crm.view_settings().unwrap().fiscal_year_start_month, 4);
    assert_eq!(crm.comments(pot.id).unwrap()[0].text, "remember me");
    let products = crm.related(pot.id, "Products", 1, 10).unwrap();
    assert_eq!(products.items[0].1.as_ref().unwrap().quantity, Some(dec!(2.125)));
    assert_eq!(products.items[0].1.as_ref().unwrap().price, Some(dec!(10.10)));
    // Purging the opportunity removes its links and comments too.
    crm.delete(pot.id).unwrap();
    crm.purge(pot.id).unwrap();
    assert_eq!(crm.related(doc.id, "Potentials", 1, 10).unwrap().total, 0);
    drop(crm);
    if let Some(path) = db.path() {
        assert_eq!(leftover_rows(&path), (0, 0));
    }
}

/// Rows left in crm_relations and crm_comments of a SQLite file, read through the store's connection.
fn leftover_rows(path: &std::path::Path) -> (i64, i64) {
    let store = crm_core::storage::sqlite::SqliteStore::open(path).unwrap();
    let c = store.connection();
    let rel: i64 = c.query_row("SELECT count(*) FROM crm_relations", [], |r| r.get(0)).unwrap();
    let com: i64 = c.query_row("SELECT count(*) FROM crm_comments", [], |r| r.get(0)).unwrap();
    (rel, com)
}

on_every_backend!(
    default_filters_are_shipped_listed_and_protected,
    filters_are_validated_on_save,
    filters_combine_all_any_ranges_and_lists,
    private_filters_and_default_flag,
    search_and_column_search_and_keyset_paging,
    mass_actions_skip_failures_and_write_history,
    comments_are_threaded_newest_first,
    activities_open_and_done,
    links_related_lists_and_documents_from_the_opportunity,
    lead_conversion,
    lead_mapping_is_editable_except_locked_rows,
    new_customer_in_one_transaction,
);

mod shared {
    use super::*;
    on_shared_backends!(keeps_filters_comments_links_and_settings_across_reopen_and_purge_cleans_up);
}
