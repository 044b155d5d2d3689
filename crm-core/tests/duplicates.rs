//! Duplicates on every store: groups found across case, spaces, punctuation, Persian/Arabic letter
//! variants and digits, ZWNJ and tatweel, and e-mail plus-tags (paged); a merge that repoints references
//! in other modules, links, comments, activities and history, undone by restoring the merged record; and
//! duplicate-prevention rules on create, update and import.

mod support;

use crm_core::dedupe::{DuplicateSearch, MergeRequest, MergeValue};
use crm_core::io::{Duplicates, ImportOptions};
use crm_core::{ChangeKind, ErrorKind, Fields, LinkInfo, RecordId, Value};
use support::Backend;

fn account(t: &mut support::TestCrm, name: &str) -> RecordId {
    t.crm.create("Accounts", Fields::new().with("accountname", name)).unwrap().id
}

fn finds_duplicates_across_variants(b: Backend) {
    let mut t = b.crm();
    let a1 = account(&mut t, "Hooli, Inc.");
    let a2 = account(&mut t, "  HOOLI   inc ");
    let p1 = account(&mut t, "شركت علي"); // Arabic yeh and kaf
    let p2 = account(&mut t, "شرکت\u{200C} علـــی"); // Persian letters, ZWNJ, tatweel
    let d1 = account(&mut t, "Store ۱۲");
    let d2 = account(&mut t, "store 12");
    account(&mut t, "Pied Piper");
    let page = t.crm.find_duplicates("Accounts", &DuplicateSearch::on(["accountname"])).unwrap();
    let mut groups: Vec<Vec<RecordId>> = page.groups.iter().map(|g| g.ids.clone()).collect();
    groups.sort();
    let mut want = vec![vec![a1, a2], vec![p1, p2], vec![d1, d2]];
    want.sort();
    assert_eq!(groups, want, "{page:?}");
    assert_eq!(page.next, None);
    // Exact matching finds none of them.
    let exact = DuplicateSearch { normalize: false, ..DuplicateSearch::on(["accountname"]) };
    assert!(t.crm.find_duplicates("Accounts", &exact).unwrap().groups.is_empty());
    // Pages of one group, in key order, end to end.
    let mut s = DuplicateSearch { limit: 1, ..DuplicateSearch::on(["Organization Name"]) };
    let mut keys = vec![];
    loop {
        let p = t.crm.find_duplicates("Accounts", &s).unwrap();
        keys.extend(p.groups.iter().map(|g| g.key.clone()));
        match p.next {
            Some(k) => s.after = Some(k),
            None => break,
        }
    }
    assert_eq!(keys.len(), 3);
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
    // A deleted record is nobody's duplicate.
    t.crm.delete(a2).unwrap();
    assert_eq!(t.crm.find_duplicates("Accounts", &DuplicateSearch::on(["accountname"])).unwrap().groups.len(), 2);
}

fn finds_email_duplicates_with_plus_tags(b: Backend) {
    let mut t = b.crm();
    let c = |t: &mut support::TestCrm, last: &str, mail: &str| {
        t.crm.create("Contacts", Fields::new().with("lastname", last).with("email", mail)).unwrap().id
    };
    let x = c(&mut t, "Bachman", "Erlich+crm@Aviato.com");
    let y = c(&mut t, "bachman", "erlich@aviato.com");
    c(&mut t, "Bachman", "erlich2@aviato.com");
    let page = t.crm.find_duplicates("Contacts", &DuplicateSearch::on(["email"])).unwrap();
    assert_eq!(page.groups.len(), 1);
    assert_eq!(page.groups[0].ids, vec![x, y]);
    assert_eq!(page.groups[0].key, "erlich@aviato.com");
    let both = t.crm.find_duplicates("Contacts", &DuplicateSearch::on(["lastname", "email"])).unwrap();
    assert_eq!(both.groups.len(), 1);
    let err = t.crm.find_duplicates("Contacts", &DuplicateSearch::on(["nope"])).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
}

fn merge_repoints_everything_and_restore_undoes_it(b: Backend) {
    let mut t = b.crm();
    let keep = t.crm.create("Accounts", Fields::new().with("accountname", "Hooli").with("website", "hooli.com")).unwrap();
    let other = t.crm.create("Accounts", Fields::new().with("accountname", "HOOLI").with("phone", "555-0100")).unwrap();
    let contact = t.crm.create("Contacts", Fields::new().with("lastname", "Belson").with("account_id", other.id)).unwrap();
    let deal = t
        .crm
        .create(
            "Potentials",
            Fields::new()
                .with("potentialname", "Hooli renewal")
                .with("related_to", other.id)
                .with("sales_stage", "Prospecting")
                .with("closingdate", "2027-03-31"),
        )
        .unwrap();
    let call = t
        .crm
        .create(
            "Calendar",
            Fields::new()
                .with("subject", "Call")
                .with("activitytype", "Call")
                .with("date_start", "2027-01-10")
                .with("eventstatus", "Planned")
                .with("parent_id", other.id),
        )
        .unwrap();
    let doc = t.crm.create("Documents", Fields::new().with("notes_title", "NDA")).unwrap();
    t.crm.link(other.id, doc.id, LinkInfo::default()).unwrap();
    let comment = t.crm.comment(other.id, "met at the conference").unwrap();
    let other_log = t.crm.history(other.id).unwrap().len();

    let request = MergeRequest {
        keep: keep.id,
        others: vec![other.id],
        values: [("phone".to_string(), MergeValue::From(other.id)), ("website".to_string(), MergeValue::Value(Value::from("hooli.xyz")))]
            .into(),
        version: Some(keep.version),
    };
    let report = t.crm.merge("Accounts", &request).unwrap();
    assert_eq!(report.references, 3, "{report:?}");
    assert_eq!((report.links, report.comments), (1, 1));
    let kept = t.crm.get(keep.id).unwrap();
    assert_eq!(kept.get("phone").to_string(), "555-0100");
    assert_eq!(kept.get("website").to_string(), "hooli.xyz");
    assert_eq!(t.crm.get(contact.id).unwrap().get("account_id").as_ref_id(), Some(keep.id));
    assert_eq!(t.crm.get(deal.id).unwrap().get("related_to").as_ref_id(), Some(keep.id));
    assert_eq!(t.crm.activities(keep.id, false).unwrap().iter().map(|r| r.id).collect::<Vec<_>>(), vec![call.id]);
    assert_eq!(t.crm.related(keep.id, "Documents", 1, 10).unwrap().total, 1);
    assert_eq!(t.crm.comments(keep.id).unwrap()[0].id, comment.id);
    assert_eq!(t.crm.get(other.id).unwrap_err().kind(), ErrorKind::NotFound);
    let log = t.crm.history(keep.id).unwrap();
    assert!(log.iter().any(|e| e.kind == ChangeKind::Merged && e.related == Some(other.id)));
    assert!(log.len() >= other_log + 2, "the merged record's history moved under the kept one");
    assert!(t.crm.history(other.id).unwrap().iter().all(|e| e.kind == ChangeKind::Merged));

    // Restoring the merged record undoes its part.
    t.crm.restore(other.id).unwrap();
    assert_eq!(t.crm.get(contact.id).unwrap().get("account_id").as_ref_id(), Some(other.id));
    assert_eq!(t.crm.get(deal.id).unwrap().get("related_to").as_ref_id(), Some(other.id));
    assert_eq!(t.crm.activities(other.id, false).unwrap().len(), 1);
    assert_eq!(t.crm.related(other.id, "Documents", 1, 10).unwrap().total, 1);
    assert_eq!(t.crm.related(keep.id, "Documents", 1, 10).unwrap().total, 0);
    assert_eq!(t.crm.comments(other.id).unwrap().len(), 1);
    assert!(t.crm.comments(keep.id).unwrap().is_empty());
    assert!(t.crm.history(other.id).unwrap().len() > other_log);
    assert!(t.crm.history(keep.id).unwrap().iter().any(|e| e.kind == ChangeKind::Unmerged && e.related == Some(other.id)));
    // A second restore is an ordinary one (the journal is gone): nothing moves again.
    t.crm.delete(other.id).unwrap();
    t.crm.restore(other.id).unwrap();
    assert_eq!(t.crm.get(contact.id).unwrap().get("account_id").as_ref_id(), Some(other.id));
}

fn merge_refuses_bad_requests(b: Backend) {
    let mut t = b.crm();
    let a = account(&mut t, "A");
    let c = t.crm.create("Contacts", Fields::new().with("lastname", "X")).unwrap().id;
    let req = |keep, others: Vec<RecordId>| MergeRequest { keep, others, values: Default::default(), version: None };
    assert_eq!(t.crm.merge("Accounts", &req(a, vec![])).unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert_eq!(t.crm.merge("Accounts", &req(a, vec![a])).unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert_eq!(t.crm.merge("Accounts", &req(a, vec![c])).unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert_eq!(t.crm.merge("Accounts", &req(a, vec![RecordId(999_999)])).unwrap_err().kind(), ErrorKind::NotFound);
    let b2 = account(&mut t, "B");
    let stale = MergeRequest { version: Some(99), ..req(a, vec![b2]) };
    assert_eq!(t.crm.merge("Accounts", &stale).unwrap_err().kind(), ErrorKind::Conflict);
    let bad = MergeRequest { values: [("email1".to_string(), MergeValue::Value(Value::from("not-an-email")))].into(), ..req(a, vec![b2]) };
    assert_eq!(t.crm.merge("Accounts", &bad).unwrap_err().kind(), ErrorKind::Validation);
    assert!(t.crm.get(b2).is_ok(), "nothing was merged");
}

fn rules_refuse_create_and_update(b: Backend) {
    let mut t = b.crm();
    let old1 = account(&mut t, "Hooli");
    let old2 = account(&mut t, "hooli"); // existing duplicates stay
    let rule = t.crm.add_duplicate_rule("Accounts", &["Organization Name"]).unwrap();
    assert_eq!(rule.fields, ["accountname"]);
    assert_eq!(t.crm.duplicate_rules("Accounts").unwrap(), vec![rule]);
    let err = t.crm.create("Accounts", Fields::new().with("accountname", " HOOLI. ")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    let fe = &err.field_errors()[0];
    assert_eq!((fe.field.as_str(), fe.code.as_str()), ("accountname", "duplicate"));
    assert!(fe.message.contains(&old1.to_string()), "{fe:?}");
    let other = account(&mut t, "Pied Piper");
    let err = t.crm.update(other, Fields::new().with("accountname", "hooli")).unwrap_err();
    assert_eq!(err.field_errors()[0].code.as_str(), "duplicate");
    // Records that already matched can still be edited (their key does not change).
    t.crm.update(old2, Fields::new().with("phone", "1")).unwrap();
    // A deleted record does not block; its restore is allowed.
    t.crm.delete(old1).unwrap();
    t.crm.delete(old2).unwrap();
    let fresh = account(&mut t, "Hooli");
    t.crm.restore(old1).unwrap();
    assert_ne!(fresh, old1);
    // Persian variants are duplicates too.
    t.crm.create("Accounts", Fields::new().with("accountname", "كيان")).unwrap();
    let err = t.crm.create("Accounts", Fields::new().with("accountname", "کیان")).unwrap_err();
    assert_eq!(err.field_errors()[0].code.as_str(), "duplicate");
    // Dropped, the rule no longer refuses; it is a logged schema change.
    t.crm.drop_duplicate_rule("Accounts", &["accountname"]).unwrap();
    account(&mut t, "کیان");
    let log = t.crm.schema_changes().unwrap();
    let ops: Vec<&str> = log.iter().map(|e| e.change.op()).collect();
    assert!(ops.ends_with(&["add_duplicate_rule", "drop_duplicate_rule"]), "{ops:?}");
    // A rule field cannot be deleted; a rule on a field that cannot be matched is refused.
    let err = t.crm.add_duplicate_rule("Potentials", &["amount"]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Schema);
}

fn rules_apply_to_imports(b: Backend) {
    let mut t = b.crm();
    account(&mut t, "Hooli");
    t.crm.add_duplicate_rule("Accounts", &["accountname"]).unwrap();
    let csv = "Organization Name,Phone\nhooli,555\nPied Piper,1\nPIED  PIPER,2\n";
    let create = ImportOptions::default();
    let r = t.crm.import_csv(csv.as_bytes(), "Accounts", &create, None).unwrap();
    assert_eq!((r.created, r.failed), (1, 2), "{r:#?}");
    assert!(r.row_reports.iter().flat_map(|x| &x.problems).all(|p| p.code == "duplicate"), "{r:#?}");
    let skip = ImportOptions { duplicates: Duplicates::Skip, ..Default::default() };
    let r = t.crm.import_csv(csv.as_bytes(), "Accounts", &skip, None).unwrap();
    assert_eq!((r.created, r.skipped), (0, 3), "{r:#?}");
    let merge = ImportOptions { duplicates: Duplicates::Merge, ..Default::default() };
    let r = t.crm.import_csv("Organization Name,Website\nHOOLI,hooli.com\n".as_bytes(), "Accounts", &merge, None).unwrap();
    assert_eq!(r.merged, 1, "{r:#?}");
    let page = t.crm.find_duplicates("Accounts", &DuplicateSearch::on(["accountname"])).unwrap();
    assert!(page.groups.is_empty(), "{page:?}");
}

fn rules_added_over_existing_records_index_them(b: Backend) {
    let mut t = b.crm();
    let c = t.crm.create("Contacts", Fields::new().with("lastname", "Bachman").with("email", "erlich+x@aviato.com")).unwrap();
    t.crm.add_duplicate_rule("Contacts", &["email"]).unwrap();
    let err = t.crm.create("Contacts", Fields::new().with("lastname", "Other").with("email", "ERLICH@aviato.com")).unwrap_err();
    assert!(err.field_errors()[0].message.contains(&c.id.to_string()), "{err}");
}

/// The key each store computes (SQLite's function, PostgreSQL's expression) is the Rust normaliser's.
fn store_keys_are_the_normalisers(b: Backend) {
    let mut t = b.crm();
    let names = [
        "  Hooli,\tInc.  ",
        "ΣΑΣ Ltd",
        "Straße – “Quoted” …",
        "شركت\u{200C}ي ك ى ٣٤ ۵۶",
        "مهـــدی، «تهران»؛ ٪",
        "a\u{00A0}b\u{3000}c",
        "İstanbul",
    ];
    for n in names {
        account(&mut t, n);
        account(&mut t, n);
    }
    let page = t.crm.find_duplicates("Accounts", &DuplicateSearch::on(["accountname"])).unwrap();
    let mut keys: Vec<String> = page.groups.iter().map(|g| g.key.clone()).collect();
    let mut want: Vec<String> = names.iter().map(|n| crm_core::dedupe::normalize(n)).collect();
    keys.sort();
    want.sort();
    assert_eq!(keys, want);
    for g in &page.groups {
        assert_eq!(g.ids.len(), 2, "{g:?}");
    }
}

on_every_backend!(
    store_keys_are_the_normalisers,
    finds_duplicates_across_variants,
    finds_email_duplicates_with_plus_tags,
    merge_repoints_everything_and_restore_undoes_it,
    merge_refuses_bad_requests,
    rules_refuse_create_and_update,
    rules_apply_to_imports,
    rules_added_over_existing_records_index_them,
);
