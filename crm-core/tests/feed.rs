//! The change feed on every store: every kind of change appears once, in commit order, with its shape; a
//! consumer resumes from a stored position; trimmed positions are a typed error.

use crm_core::io::ImportOptions;
use crm_core::{ChangeEvent, ChangeKind, Crm, ErrorKind, FieldType, Fields, LinkInfo, NewField, RecordId};
use support::Backend;

mod support;

/// Every event after `since`, read in small pages.
fn all_after(crm: &Crm, since: Option<i64>) -> Vec<ChangeEvent> {
    let mut out: Vec<ChangeEvent> = Vec::new();
    let mut at = since;
    loop {
        let page = crm.changes(at, 3, &[]).unwrap();
        let Some(last) = page.last() else { return out };
        at = Some(last.position);
        out.extend(page);
    }
}

fn field<'a>(e: &'a ChangeEvent, name: &str) -> (Option<&'a str>, Option<&'a str>) {
    let c = e.changes.iter().find(|c| c.field == name).unwrap_or_else(|| panic!("no change of {name} in {e:?}"));
    (c.before.as_deref(), c.after.as_deref())
}

fn every_kind_appears_with_its_shape(b: Backend) {
    let mut t = b.crm();
    let start = t.changes_position().unwrap();
    let org = t.create("Accounts", Fields::new().with("accountname", "Hooli")).unwrap();
    t.update(org.id, Fields::new().with("accountname", "Hooli XYZ")).unwrap();
    let deal = t
        .create(
            "Potentials",
            Fields::new()
                .with("potentialname", "Renewal")
                .with("amount", "100")
                .with("sales_stage", "Prospecting")
                .with("closingdate", "2027-03-31"),
        )
        .unwrap();
    let person = t.create("Contacts", Fields::new().with("lastname", "Bachman")).unwrap();
    t.link(deal.id, person.id, LinkInfo::default()).unwrap();
    t.unlink(deal.id, person.id).unwrap();
    let c = t.comment(deal.id, "Call back on Monday").unwrap();
    let reply = t.reply(c.id, "Done").unwrap();
    t.delete(org.id).unwrap();
    t.restore(org.id).unwrap();
    t.add_field("Accounts", NewField::new("Tier", FieldType::Text)).unwrap();
    let gone = t.create("Accounts", Fields::new().with("accountname", "Short lived")).unwrap();
    t.delete(gone.id).unwrap();
    t.purge(gone.id).unwrap();
    let r = t.import_csv("Organization Name\nImported Inc\n".as_bytes(), "Accounts", &ImportOptions::default(), None).unwrap();
    assert_eq!(r.created, 1);
    let imported = t.find(crm_core::Query::new("Accounts").filter(crm_core::Condition::eq("accountname", "Imported Inc"))).unwrap();
    t.undo_import(r.import_id).unwrap();

    let events = all_after(&t, Some(start));
    assert!(events.windows(2).all(|w| w[0].position < w[1].position), "positions grow");
    assert_eq!(t.changes_position().unwrap(), events.last().unwrap().position);
    let kinds: Vec<(Option<RecordId>, ChangeKind)> = events.iter().map(|e| (e.record, e.kind)).collect();
    use ChangeKind::*;
    let want = vec![
        (Some(org.id), Created),
        (Some(org.id), Updated),
        (Some(deal.id), Created),
        (Some(person.id), Created),
        (Some(deal.id), Linked),
        (Some(person.id), Linked),
        (Some(deal.id), Unlinked),
        (Some(person.id), Unlinked),
        (Some(deal.id), Commented),
        (Some(deal.id), Commented),
        (Some(org.id), Deleted),
        (Some(org.id), Restored),
        (None, SchemaChanged),
        // The purged record's earlier entries went with it; its purge stays.
        (Some(gone.id), Purged),
        (Some(imported[0].id), Created),
        (Some(imported[0].id), Deleted), // the import's undo
    ];
    assert_eq!(kinds, want);

    let e = &events[0];
    assert_eq!((e.module.as_str(), e.actor.as_str(), e.at.to_string().as_str()), ("Accounts", "admin", "2026-11-20 10:00:00"));
    assert_eq!(field(e, "accountname"), (None, Some("Hooli")));
    assert_eq!(field(&events[1], "accountname"), (Some("Hooli"), Some("Hooli XYZ")));
    assert!(events[1].changes.iter().all(|c| c.field != "modifiedtime"));
    assert_eq!((events[4].related, events[5].related), (Some(person.id), Some(deal.id)));
    assert_eq!((events[4].module.as_str(), events[5].module.as_str()), ("Potentials", "Contacts"));
    assert_eq!(field(&events[8], "commentcontent"), (None, Some("Call back on Monday")));
    assert_eq!(field(&events[8], "comment_id"), (None, Some(c.id.to_string().as_str())));
    assert!(events[8].changes.iter().all(|c| c.field != "parent_comments"));
    assert_eq!(field(&events[9], "parent_comments"), (None, Some(c.id.to_string().as_str())));
    assert_eq!(field(&events[9], "comment_id"), (None, Some(reply.id.to_string().as_str())));
    assert!(events[10].changes.is_empty() && events[11].changes.is_empty());
    let schema = &events[12];
    assert_eq!(schema.module, "Accounts");
    let (before, after) = field(schema, "schema_version");
    assert_eq!(before.unwrap().parse::<u64>().unwrap() + 1, after.unwrap().parse::<u64>().unwrap());
    let change: serde_json::Value = serde_json::from_str(field(schema, "change").1.unwrap()).unwrap();
    assert_eq!(change["op"], "add_field", "{change}");
    assert_eq!(events[13].module, "Accounts");

    // The wire shape (what C returns, the keys Python's dicts have).
    let json = serde_json::to_value(&events[1]).unwrap();
    let mut keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["actor", "at", "changes", "kind", "module", "position", "record", "related"]);
    assert_eq!(json["kind"], "updated");
    assert_eq!(json["record"], org.id.0);
    assert_eq!(json["changes"][0], serde_json::json!({"field": "accountname", "before": "Hooli", "after": "Hooli XYZ"}));
    assert_eq!(serde_json::to_value(schema).unwrap()["record"], serde_json::Value::Null);
    let back: ChangeEvent = serde_json::from_value(json).unwrap();
    assert_eq!(&back, &events[1]);
}

fn modules_limit_and_resume(b: Backend) {
    let mut t = b.crm();
    let start = t.changes_position().unwrap();
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(t.create("Accounts", Fields::new().with("accountname", format!("Org {i}"))).unwrap().id);
        t.create("Contacts", Fields::new().with("lastname", format!("Person {i}"))).unwrap();
    }
    let orgs = t.changes(Some(start), 1000, &["Accounts"]).unwrap();
    assert_eq!(orgs.iter().map(|e| e.record.unwrap()).collect::<Vec<_>>(), ids);
    assert_eq!(t.changes(Some(start), 1000, &["Accounts", "Contacts"]).unwrap().len(), 10);
    assert!(t.changes(Some(start), 1000, &["Leads"]).unwrap().is_empty());
    // A consumer that stored the position of the 3rd event resumes after it.
    let first = t.changes(Some(start), 3, &[]).unwrap();
    assert_eq!(first.len(), 3);
    let stored = first[2].position;
    let rest = t.changes(Some(stored), 1000, &[]).unwrap();
    assert_eq!(rest.len(), 7);
    assert!(rest[0].position > stored);
    // The iterator sees the same, page by page.
    let via_iter: Vec<i64> = t.changes_iter(Some(start), &[]).page_size(2).map(|e| e.unwrap().position).collect();
    let mut all: Vec<i64> = first.iter().map(|e| e.position).collect();
    all.extend(rest.iter().map(|e| e.position));
    assert_eq!(via_iter, all);
    // Limits and positions beyond the end are refused.
    assert_eq!(t.changes(Some(start), 0, &[]).unwrap_err().kind(), ErrorKind::InvalidArgument);
    let end = t.changes_position().unwrap();
    assert_eq!(t.changes(Some(end + 1000), 10, &[]).unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert!(t.changes(Some(end), 10, &[]).unwrap().is_empty());
    // From the start (`None`): everything, the built-in setup included.
    assert!(t.changes(None, 10_000, &[]).unwrap().len() >= 10);
}

fn trimmed_positions_expire(b: Backend) {
    let mut t = b.crm();
    let org = t.create("Accounts", Fields::new().with("accountname", "Hooli")).unwrap();
    for i in 0..4 {
        t.update(org.id, Fields::new().with("website", format!("https://{i}.example"))).unwrap();
    }
    let events = t.changes(None, 1000, &[]).unwrap();
    let cut = events[events.len() - 3].position;
    let removed = t.trim_changes(cut).unwrap();
    assert_eq!(removed as usize, events.len() - 2);
    let err = t.changes(Some(cut - 1), 10, &[]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::FeedPositionExpired);
    assert_eq!(err.code(), "feed_position_expired");
    assert!(err.to_string().contains(&cut.to_string()), "{err}");
    assert_eq!(t.changes(Some(cut), 10, &[]).unwrap().len(), 2);
    assert_eq!(t.changes(None, 10, &[]).unwrap().len(), 2, "from the start: what is kept");
    assert_eq!(t.history(org.id).unwrap().len(), 2, "the record's change log is the feed");
    // Trimming everything keeps the end where it was.
    let end = t.changes_position().unwrap();
    t.trim_changes(end).unwrap();
    assert_eq!(t.changes_position().unwrap(), end);
    assert!(t.changes(Some(end), 10, &[]).unwrap().is_empty());
    assert_eq!(t.changes(Some(end - 1), 10, &[]).unwrap_err().kind(), ErrorKind::FeedPositionExpired);
    assert_eq!(t.trim_changes(end + 1).unwrap_err().kind(), ErrorKind::InvalidArgument);
    // New changes continue after the trimmed positions.
    t.update(org.id, Fields::new().with("website", "https://new.example")).unwrap();
    let after = t.changes(Some(end), 10, &[]).unwrap();
    assert_eq!(after.len(), 1);
    assert!(after[0].position > end);
}

fn a_purge_never_reuses_positions(b: Backend) {
    let mut t = b.crm();
    let before = t.changes_position().unwrap();
    let org = t.create("Accounts", Fields::new().with("accountname", "Gone")).unwrap();
    t.delete(org.id).unwrap();
    let seen = t.changes_position().unwrap();
    t.purge(org.id).unwrap();
    // A consumer that had handled the delete still sees the purge after it.
    let next = t.changes(Some(seen), 10, &[]).unwrap();
    assert_eq!(next.iter().map(|e| e.kind).collect::<Vec<_>>(), [ChangeKind::Purged]);
    let later = t.create("Accounts", Fields::new().with("accountname", "Later")).unwrap();
    let next = t.changes(Some(next[0].position), 10, &[]).unwrap();
    assert_eq!(next.iter().map(|e| (e.record, e.kind)).collect::<Vec<_>>(), [(Some(later.id), ChangeKind::Created)]);
    assert_eq!(t.changes(Some(before), 10, &[]).unwrap().len(), 2);
}

on_every_backend!(every_kind_appears_with_its_shape, modules_limit_and_resume, trimmed_positions_expire, a_purge_never_reuses_positions);
