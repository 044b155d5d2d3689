//! Access control on every backend: the role tree, groups, each organisation-wide sharing level, sharing
//! rules both ways, profiles (module rights, hidden and read-only fields in reads, filters, sorts,
//! exports, imports and writes), reports whose sums match the visible records, and changes seen by other
//! handles at once.

mod support;

use crm_core::io::ImportOptions;
use crm_core::{
    Condition, Crm, ErrorKind, ExportSelection, Fields, NewUser, Op, Party, PipelineBy, Profile, Query, RecordId, RuleAccess, Sharing,
    SharingRule,
};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use support::{Backend, TestCrm};

/// CEO > VP > Manager > Rep, and Support under CEO; users vp, mgr, rep, rep2, sup; group Team (rep2, sup);
/// one deal per owner (amount 100 for vp, 200 mgr, 300 rep, 400 rep2, 500 sup, 600 Team).
fn setup(b: Backend) -> (TestCrm, BTreeMap<&'static str, RecordId>) {
    let mut t = b.crm();
    t.set_admin("admin", true).unwrap();
    t.add_role("CEO", None).unwrap();
    t.add_role("VP", Some("CEO")).unwrap();
    t.add_role("Manager", Some("VP")).unwrap();
    t.add_role("Rep", Some("Manager")).unwrap();
    t.add_role("Support", Some("CEO")).unwrap();
    for (u, r) in [("vp", "VP"), ("mgr", "Manager"), ("rep", "Rep"), ("rep2", "Rep"), ("sup", "Support")] {
        t.add_user(NewUser::new(u).role(r)).unwrap();
    }
    t.add_group("Team", &["rep2", "sup"]).unwrap();
    let mut deals = BTreeMap::new();
    for (i, o) in ["vp", "mgr", "rep", "rep2", "sup", "Team"].into_iter().enumerate() {
        let d = t
            .create(
                "Potentials",
                Fields::new()
                    .with("potentialname", format!("deal of {o}"))
                    .with("amount", format!("{}", (i + 1) * 100))
                    .with("sales_stage", "Prospecting")
                    .with("closingdate", "2027-03-31")
                    .with("nextstep", "call")
                    .with("assigned_user_id", o),
            )
            .unwrap();
        deals.insert(o, d.id);
    }
    (t, deals)
}

fn names(crm: &Crm) -> Vec<String> {
    let mut v: Vec<String> = crm.find(Query::new("Potentials")).unwrap().into_iter().map(|r| r.label).collect();
    v.sort();
    v
}

fn deal_names(owners: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = owners.iter().map(|o| format!("deal of {o}")).collect();
    v.sort();
    v
}

fn act(t: &mut TestCrm, user: &str) {
    t.set_actor(user).unwrap();
}

fn nothing_configured_means_everything_visible(b: Backend) {
    let (mut t, _) = setup(b);
    act(&mut t, "rep");
    assert_eq!(names(&t).len(), 6);
    assert_eq!(t.sharing("Potentials").unwrap(), Sharing::PublicReadWriteDelete);
}

fn superior_sees_subordinates_not_the_reverse(b: Backend) {
    let (mut t, deals) = setup(b);
    t.set_sharing("Potentials", Sharing::Private).unwrap();
    act(&mut t, "mgr");
    assert_eq!(names(&t), deal_names(&["mgr", "rep", "rep2"]));
    act(&mut t, "vp");
    assert_eq!(names(&t), deal_names(&["vp", "mgr", "rep", "rep2"]));
    act(&mut t, "rep");
    assert_eq!(names(&t), deal_names(&["rep"]));
    assert_eq!(t.count(Query::new("Potentials")).unwrap(), 1);
    // existence is not leaked
    assert_eq!(t.get(deals["mgr"]).unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(t.update(deals["mgr"], Fields::new().with("amount", "1")).unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(t.history(deals["mgr"]).unwrap_err().kind(), ErrorKind::NotFound);
    t.get(deals["rep"]).unwrap();
    // administrators and the system context see everything
    act(&mut t, "admin");
    assert_eq!(names(&t).len(), 6);
    t.crm.replace_actor(None);
    assert_eq!(names(&t).len(), 6);
}

fn group_owned_deals_are_seen_by_members(b: Backend) {
    let (mut t, deals) = setup(b);
    t.set_sharing("Potentials", Sharing::Private).unwrap();
    act(&mut t, "sup");
    assert_eq!(names(&t), deal_names(&["sup", "Team"]));
    act(&mut t, "rep2");
    assert_eq!(names(&t), deal_names(&["rep2", "Team"]));
    t.update(deals["Team"], Fields::new().with("amount", "650")).unwrap();
    act(&mut t, "rep");
    assert_eq!(t.get(deals["Team"]).unwrap_err().kind(), ErrorKind::NotFound);
    // membership changes are seen at once
    act(&mut t, "admin");
    t.set_group_members("Team", &["rep"]).unwrap();
    act(&mut t, "rep");
    assert_eq!(names(&t), deal_names(&["rep", "Team"]));
}

fn each_sharing_level(b: Backend) {
    let (mut t, deals) = setup(b);
    let vp_deal = deals["vp"];
    t.set_sharing("Potentials", Sharing::PublicRead).unwrap();
    act(&mut t, "rep");
    assert_eq!(names(&t).len(), 6);
    let e = t.update(vp_deal, Fields::new().with("amount", "1")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AccessDenied, "{e}");
    assert!(e.to_string().contains("edit"), "{e}");
    assert_eq!(t.delete(vp_deal).unwrap_err().kind(), ErrorKind::AccessDenied);
    t.update(deals["rep"], Fields::new().with("amount", "301")).unwrap();

    act(&mut t, "admin");
    t.set_sharing("Potentials", Sharing::PublicReadWrite).unwrap();
    act(&mut t, "rep");
    t.update(vp_deal, Fields::new().with("amount", "101")).unwrap();
    assert_eq!(t.delete(vp_deal).unwrap_err().kind(), ErrorKind::AccessDenied);

    act(&mut t, "admin");
    t.set_sharing("Potentials", Sharing::PublicReadWriteDelete).unwrap();
    act(&mut t, "rep");
    t.delete(vp_deal).unwrap();
    t.restore(vp_deal).unwrap();
}

fn sharing_rules_both_ways(b: Backend) {
    let (mut t, deals) = setup(b);
    t.set_sharing("Potentials", Sharing::Private).unwrap();
    let rule = SharingRule {
        id: 0,
        module: "Potentials".into(),
        owner: Party::Role("Rep".into()),
        to: Party::Role("Support".into()),
        access: RuleAccess::Read,
    };
    let r = t.add_sharing_rule(rule.clone()).unwrap();
    act(&mut t, "sup");
    assert_eq!(names(&t), deal_names(&["rep", "rep2", "sup", "Team"]));
    assert_eq!(t.update(deals["rep"], Fields::new().with("amount", "1")).unwrap_err().kind(), ErrorKind::AccessDenied);
    // not the reverse
    act(&mut t, "rep");
    assert_eq!(names(&t), deal_names(&["rep"]));
    // read-write
    act(&mut t, "admin");
    t.delete_sharing_rule(r.id).unwrap();
    t.add_sharing_rule(SharingRule { access: RuleAccess::ReadWrite, owner: Party::RoleAndSubordinates("Manager".into()), ..rule }).unwrap();
    act(&mut t, "sup");
    assert_eq!(names(&t), deal_names(&["mgr", "rep", "rep2", "sup", "Team"]));
    t.update(deals["mgr"], Fields::new().with("amount", "222")).unwrap();
    assert_eq!(t.delete(deals["mgr"]).unwrap_err().kind(), ErrorKind::AccessDenied);
    // the change log names every access change
    let log = t.access_changes().unwrap();
    assert!(log.len() >= 8 && log.windows(2).all(|w| w[0].version < w[1].version));
}

fn restricted_profile(t: &mut TestCrm) {
    let mut p = Profile { name: "Sales".into(), modules: Default::default(), fields: Default::default() };
    p.modules.insert("Potentials".into(), crm_core::ModuleRights { view: true, create: true, edit: true, delete: false });
    let mut f = BTreeMap::new();
    f.insert("amount".to_string(), crm_core::FieldAccess::ReadOnly);
    f.insert("nextstep".to_string(), crm_core::FieldAccess::Hidden);
    p.fields.insert("Potentials".into(), f);
    t.put_profile(p).unwrap();
    t.set_role_profiles("Rep", &["Sales"]).unwrap();
}

fn hidden_and_read_only_fields(b: Backend) {
    let (mut t, deals) = setup(b);
    restricted_profile(&mut t);
    act(&mut t, "rep");
    let d = t.get(deals["rep"]).unwrap();
    assert!(!d.values.contains_key("nextstep") && d.values.contains_key("amount"));
    assert!(t.find(Query::new("Potentials")).unwrap().iter().all(|r| !r.values.contains_key("nextstep")));
    let e = t.find(Query::new("Potentials").filter(Condition::eq("nextstep", "call"))).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AccessDenied);
    assert!(e.to_string().contains("nextstep"), "{e}");
    assert_eq!(t.find(Query::new("Potentials").order_by("nextstep")).unwrap_err().kind(), ErrorKind::AccessDenied);
    assert_eq!(t.aggregate(Query::new("Potentials"), Some("nextstep"), &[]).unwrap_err().kind(), ErrorKind::AccessDenied);
    // a workflow condition counted over the records may not test a hidden field either
    let hidden = r#"[{"fieldname":"nextstep","operation":"is","value":"call","valuetype":"rawtext","joincondition":"","groupjoin":"and","groupid":"0"}]"#;
    assert_eq!(t.count_matching("Potentials", hidden).unwrap_err().kind(), ErrorKind::AccessDenied);
    let visible = r#"[{"fieldname":"sales_stage","operation":"is","value":"Prospecting","valuetype":"rawtext","joincondition":"","groupjoin":"and","groupid":"0"}]"#;
    assert!(t.count_matching("Potentials", visible).is_ok());
    let e = t.update(deals["rep"], Fields::new().with("amount", "5")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AccessDenied);
    assert!(e.to_string().contains("amount"), "{e}");
    assert_eq!(t.update(deals["rep"], Fields::new().with("nextstep", "x")).unwrap_err().kind(), ErrorKind::AccessDenied);
    let fields = Fields::new().with("potentialname", "new").with("sales_stage", "Prospecting").with("closingdate", "2027-01-01");
    assert_eq!(t.create("Potentials", fields.clone().with("nextstep", "x")).unwrap_err().kind(), ErrorKind::AccessDenied);
    t.create("Potentials", fields).unwrap();
    // the hidden field keeps its value through an update of another field
    let d = t.update(deals["rep"], Fields::new().with("description", "edited")).unwrap();
    assert!(!d.values.contains_key("nextstep"));
    assert_eq!(t.delete(deals["rep"]).unwrap_err().kind(), ErrorKind::AccessDenied);
    // the history of a hidden field is not shown
    assert!(t.history(deals["rep"]).unwrap().iter().all(|h| h.changes.iter().all(|c| c.field != "nextstep")));
    // exports leave the hidden column out
    let mut out = Vec::new();
    t.export_csv(&mut out, "Potentials", &ExportSelection::All(Query::new("Potentials")), &Default::default()).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(!text.to_lowercase().contains("next step") && text.contains("deal of rep"), "{text}");
    // imports refuse the rows that write a hidden field, one by one, and go on
    let csv = "Opportunity Name,Sales Stage,Expected Close Date,Next Step\nA,Prospecting,2027-01-01,\nB,Prospecting,2027-01-01,x\n";
    let report = t.import_csv(csv.as_bytes(), "Potentials", &ImportOptions::default(), None);
    let report = report.unwrap();
    assert_eq!((report.created, report.failed), (1, 1), "{report:?}");
    assert!(report.row_reports.iter().any(|r| r.line == 3 && r.problems.iter().any(|p| p.code == "access_denied")), "{report:?}");
    // a merge into a visible record keeps its hidden fields
    let options =
        ImportOptions { duplicates: crm_core::io::Duplicates::Merge, match_on: vec!["potentialname".into()], ..Default::default() };
    let csv = "Opportunity Name,Description\ndeal of rep,merged\n";
    let report = t.import_csv(csv.as_bytes(), "Potentials", &options, None).unwrap();
    assert_eq!(report.merged, 1, "{report:?}");
    act(&mut t, "admin");
    let d = t.get(deals["rep"]).unwrap();
    assert_eq!((d.get("nextstep").to_string(), d.get("description").to_string()), ("call".into(), "merged".into()));
}

fn reports_sum_exactly_the_visible_records(b: Backend) {
    let (mut t, _) = setup(b);
    t.set_sharing("Potentials", Sharing::Private).unwrap();
    act(&mut t, "mgr");
    let visible: Decimal = t.find(Query::new("Potentials")).unwrap().iter().map(|r| r.get("amount").as_decimal().unwrap()).sum();
    assert_eq!(visible, Decimal::from(900));
    let agg = t.aggregate(Query::new("Potentials"), None, &["amount"]).unwrap();
    assert_eq!((agg[0].count, agg[0].sums[0]), (3, visible));
    let by_owner = t.pipeline(PipelineBy::Owner, None).unwrap();
    assert_eq!(by_owner.iter().map(|r| r.amount).sum::<Decimal>(), visible);
    let by_month = t.pipeline(PipelineBy::CloseMonth, None).unwrap();
    assert_eq!(by_month.iter().map(|r| r.count).sum::<u64>(), 3);
    let page = t.page(Query::new("Potentials").filter(Condition::cmp("amount", Op::Ge, "250")), 1, 1).unwrap();
    assert_eq!((page.total, page.records.len()), (2, 1));
    let search = t.search("Potentials", "deal", 1, 50).unwrap();
    assert_eq!(search.total, 3);
}

fn mass_actions_report_refused_rows(b: Backend) {
    let (mut t, deals) = setup(b);
    t.set_sharing("Potentials", Sharing::PublicRead).unwrap();
    act(&mut t, "mgr");
    let ids = [deals["vp"], deals["rep"], deals["mgr"]];
    let r = t.mass_edit(&ids, Fields::new().with("description", "mass")).unwrap();
    assert_eq!(r.succeeded, vec![deals["rep"], deals["mgr"]]);
    assert_eq!(r.failed.len(), 1);
    let r = t.mass_delete(&ids).unwrap();
    assert_eq!(r.failed.len(), 1);
}

fn roles_are_managed(b: Backend) {
    let (mut t, _) = setup(b);
    t.set_sharing("Potentials", Sharing::Private).unwrap();
    assert_eq!(t.roles().unwrap().len(), 5);
    assert!(t.move_role("VP", Some("Rep")).is_err()); // under itself
    t.move_role("Support", Some("Manager")).unwrap();
    act(&mut t, "mgr");
    assert_eq!(names(&t), deal_names(&["mgr", "rep", "rep2", "sup"]));
    act(&mut t, "admin");
    t.delete_role("Rep", "Support").unwrap();
    assert_eq!(t.user("rep").unwrap().role.as_deref(), Some("Support"));
    // a non-administrator may not change access once an administrator exists
    act(&mut t, "rep");
    assert_eq!(t.set_sharing("Potentials", Sharing::PublicRead).unwrap_err().kind(), ErrorKind::AccessDenied);
    assert_eq!(t.add_user(NewUser::new("x").role("Nope")).unwrap_err().kind(), ErrorKind::NotFound);
}

/// The reads other features added go through the same scope: `find_each`, the change feed (paged on past
/// invisible events, so a short page still means the end) and the analytics reports.
fn streams_feed_and_analytics_show_only_visible_records(b: Backend) {
    let (mut t, deals) = setup(b);
    t.set_sharing("Potentials", Sharing::Private).unwrap();
    act(&mut t, "mgr");
    let mut streamed = Vec::new();
    t.find_each(Query::new("Potentials"), |r| {
        streamed.push(r.label);
        Ok(true)
    })
    .unwrap();
    streamed.sort();
    assert_eq!(streamed, deal_names(&["mgr", "rep", "rep2"]));

    let mut seen = Vec::new();
    let mut since = None;
    loop {
        let page = t.changes(since, 2, &["Potentials"]).unwrap();
        let Some(last) = page.last() else { break };
        since = Some(last.position);
        seen.extend(page.into_iter().filter_map(|e| e.record));
    }
    let mut want: Vec<RecordId> = ["mgr", "rep", "rep2"].iter().map(|o| deals[o]).collect();
    want.sort();
    seen.sort();
    seen.dedup();
    assert_eq!(seen, want, "the feed shows the changes of visible records only");
    act(&mut t, "admin");
    assert_eq!(t.changes(None, 1000, &["Potentials"]).unwrap().len(), 6, "an administrator sees every change");

    act(&mut t, "mgr");
    let far = chrono::NaiveDate::from_ymd_opt(2100, 1, 1).unwrap();
    let rows = t.pipeline_as_of(far, PipelineBy::Total, None).unwrap();
    assert_eq!(rows.iter().map(|r| r.count).sum::<u64>(), 3);
    assert_eq!(rows.iter().map(|r| r.amount).sum::<Decimal>(), Decimal::from(200 + 300 + 400));
}

/// Duplicates and merge under access control: a restricted user's groups hold only the records they may
/// view (groups left with one record drop out), and merging needs edit on the kept record and delete on
/// the merged ones.
fn duplicates_and_merge_respect_visibility(b: Backend) {
    let (mut t, deals) = setup(b);
    t.set_sharing("Potentials", Sharing::Private).unwrap();
    // Same name as a deal of each: rep's twin is visible to mgr, vp's twin is not.
    for o in ["rep", "vp"] {
        t.create(
            "Potentials",
            Fields::new()
                .with("potentialname", format!("Deal of {o}"))
                .with("amount", "1")
                .with("sales_stage", "Prospecting")
                .with("closingdate", "2027-03-31")
                .with("assigned_user_id", "mgr"),
        )
        .unwrap();
    }
    let search = crm_core::dedupe::DuplicateSearch { fields: vec!["potentialname".into()], ..Default::default() };
    act(&mut t, "admin");
    assert_eq!(t.find_duplicates("Potentials", &search).unwrap().groups.len(), 2);
    act(&mut t, "mgr");
    let page = t.find_duplicates("Potentials", &search).unwrap();
    assert_eq!(page.groups.len(), 1, "{page:?}");
    assert!(page.groups[0].ids.contains(&deals["rep"]));
    // vp's deal is invisible to mgr: it cannot be merged away (NotFound, existence not leaked).
    let twin = page.groups[0].ids.iter().copied().find(|id| *id != deals["rep"]).unwrap();
    let refused = t.merge(
        "Potentials",
        &crm_core::dedupe::MergeRequest { keep: twin, others: vec![deals["vp"]], values: Default::default(), version: None },
    );
    assert_eq!(refused.unwrap_err().kind(), ErrorKind::NotFound);
}

/// The change feed and duplicate groups select a restricted user's records in the store's read; their
/// pages are exactly what testing each entry's record against the user's rights gives (the reference:
/// the administrator's pages, filtered by the records the user finds through scoped queries), for every
/// page size: a private module (live, in the recycle bin, purged), a public module (purged too), a module
/// the user may not view, schema edits, comments and a hidden field.
fn restricted_pages_match_per_record_checks(b: Backend) {
    let (mut t, deals) = setup(b);
    t.set_sharing("Potentials", Sharing::Private).unwrap();
    let mut p = Profile { name: "Managers".into(), modules: Default::default(), fields: Default::default() };
    p.modules.insert("Potentials".into(), crm_core::ModuleRights { view: true, create: true, edit: true, delete: true });
    p.modules.insert("Leads".into(), crm_core::ModuleRights { view: false, create: false, edit: false, delete: false });
    p.fields.insert("Potentials".into(), BTreeMap::from([("nextstep".to_string(), crm_core::FieldAccess::Hidden)]));
    t.put_profile(p).unwrap();
    t.set_role_profiles("Manager", &["Managers"]).unwrap();
    // Twins for duplicate groups: (owner, name).
    let twins =
        [("vp", "A"), ("rep", "A"), ("rep", "B"), ("rep2", "B"), ("vp", "B"), ("mgr", "C"), ("sup", "C"), ("mgr", "D"), ("rep", "D")];
    for (o, n) in twins {
        let f = Fields::new()
            .with("potentialname", format!("twin {n}"))
            .with("sales_stage", "Prospecting")
            .with("closingdate", "2027-03-31")
            .with("assigned_user_id", o);
        t.create("Potentials", f).unwrap();
    }
    for (o, d) in &deals {
        t.update(*d, Fields::new().with("nextstep", format!("call {o}")).with("amount", "7")).unwrap();
    }
    for n in ["Hendricks", "Dunn"] {
        t.create("Leads", Fields::new().with("lastname", n).with("company", "Initech")).unwrap();
    }
    t.add_duplicate_rule("Leads", &["lastname"]).unwrap(); // a schema edit: no record, shown to all
    let gone = t.create("Accounts", Fields::new().with("accountname", "Gone")).unwrap().id;
    t.create("Accounts", Fields::new().with("accountname", "Stays")).unwrap();
    t.comment(deals["rep2"], "call back").unwrap();
    t.comment(deals["sup"], "not for mgr").unwrap();
    t.delete(deals["rep"]).unwrap(); // in the recycle bin: still mgr's to see
    for id in [gone, deals["vp"]] {
        t.delete(id).unwrap();
        t.purge(id).unwrap();
    }
    let all = t.changes(None, 1000, &[]).unwrap();

    act(&mut t, "mgr");
    let mut visible: Vec<RecordId> = Vec::new();
    for m in ["Potentials", "Accounts"] {
        for q in [Query::new(m), Query::new(m).in_recycle_bin()] {
            visible.extend(t.find(q).unwrap().into_iter().map(|r| r.id));
        }
    }
    assert_eq!(t.find(Query::new("Leads")).unwrap_err().kind(), ErrorKind::AccessDenied);
    let purged_public = |id: RecordId| id == gone;
    let expected: Vec<_> = all
        .iter()
        .filter(|e| e.record.is_none_or(|r| visible.contains(&r) || purged_public(r)))
        .cloned()
        .map(|mut e| {
            if e.record.is_some() && e.module == "Potentials" {
                e.changes.retain(|c| c.field != "nextstep");
            }
            e
        })
        .collect();
    assert!(expected.len() < all.len() && expected.iter().any(|e| e.record == Some(gone)), "{expected:?}");
    assert!(expected.iter().any(|e| e.record.is_none()) && !expected.iter().any(|e| e.module == "Leads" && e.record.is_some()));
    for limit in [1, 2, 3, 7, 1000] {
        let mut since = None;
        let mut got = Vec::new();
        loop {
            let page = t.changes(since, limit, &[]).unwrap();
            let at = got.len();
            let want = &expected[at..expected.len().min(at + limit as usize)];
            assert_eq!(page, want, "page of {limit} after {since:?}");
            let Some(last) = page.last() else { break };
            since = Some(last.position);
            got.extend(page);
        }
        assert_eq!(got, expected);
        let only: Vec<_> = expected.iter().filter(|e| e.module == "Potentials").cloned().collect();
        assert_eq!(t.changes(None, 1000, &["Potentials"]).unwrap(), only);
    }

    let search = |limit, after: Option<String>| crm_core::dedupe::DuplicateSearch {
        fields: vec!["potentialname".into()],
        limit,
        after,
        ..Default::default()
    };
    for limit in [1, 2, 3, 100] {
        let mut after = None;
        loop {
            act(&mut t, "admin");
            let mut want = t.find_duplicates("Potentials", &search(limit, after.clone())).unwrap();
            for g in &mut want.groups {
                g.ids.retain(|id| visible.contains(id));
            }
            want.groups.retain(|g| g.ids.len() > 1);
            act(&mut t, "mgr");
            let page = t.find_duplicates("Potentials", &search(limit, after.clone())).unwrap();
            assert_eq!(page, want, "duplicates: page of {limit} after {after:?}");
            match page.next {
                Some(k) => after = Some(k),
                None => break,
            }
        }
    }
    let page = t.find_duplicates("Potentials", &search(100, None)).unwrap();
    let keys: Vec<usize> = page.groups.iter().map(|g| g.ids.len()).collect();
    assert_eq!(keys, [2, 2], "{page:?}");
    // A module the user may not view: no group, but the page still follows the store's.
    let leads = crm_core::dedupe::DuplicateSearch { fields: vec!["company".into()], limit: 1, ..Default::default() };
    act(&mut t, "admin");
    let all = t.find_duplicates("Leads", &leads).unwrap();
    assert_eq!((all.groups.len(), all.groups[0].ids.len()), (1, 2));
    act(&mut t, "mgr");
    let page = t.find_duplicates("Leads", &leads).unwrap();
    assert_eq!((page.groups.len(), page.next), (0, all.next));
}

on_every_backend!(
    restricted_pages_match_per_record_checks,
    duplicates_and_merge_respect_visibility,
    streams_feed_and_analytics_show_only_visible_records,
    nothing_configured_means_everything_visible,
    superior_sees_subordinates_not_the_reverse,
    group_owned_deals_are_seen_by_members,
    each_sharing_level,
    sharing_rules_both_ways,
    hidden_and_read_only_fields,
    reports_sum_exactly_the_visible_records,
    mass_actions_report_refused_rows,
    roles_are_managed,
);

mod shared {
    use super::*;

    fn other_handles_see_changes_at_once(b: Backend) {
        let (mut t, _) = setup(b);
        let mut other = t.second_handle();
        other.set_actor("rep").unwrap();
        assert_eq!(names(&other).len(), 6);
        t.set_sharing("Potentials", Sharing::Private).unwrap();
        assert_eq!(names(&other), deal_names(&["rep"]));
        t.set_user_role("rep", Some("VP")).unwrap();
        assert_eq!(names(&other), deal_names(&["rep", "mgr", "rep2"]));
    }

    on_shared_backends!(other_handles_see_changes_at_once);
}
