//! The fast write path keeps every rule: the same operations give the same change log, the same
//! auto-number decisions and the same references on every storage backend.

use chrono::Duration;
use crm_core::storage::sqlite::SqliteStore;
use crm_core::*;
use support::Backend;

mod support;

/// A change-log entry without its storage id: the kind and each field's (name, before, after).
type Entry = (ChangeKind, Vec<(String, Option<String>, Option<String>)>);

/// History entries without their storage ids (ids are per store).
fn log(crm: &Crm, id: RecordId) -> Vec<Entry> {
    crm.history(id).unwrap().into_iter().map(|h| (h.kind, h.changes.into_iter().map(|c| (c.field, c.before, c.after)).collect())).collect()
}

/// A creation is stored compactly by SQLite but reads back exactly as the memory store keeps it, field by
/// field; updates, deletes and restores keep their entries.
#[test]
fn change_log_reads_the_same_on_every_store() {
    let mut logs = Vec::new();
    for b in Backend::available_of(&support::ALL) {
        let kind = b.name();
        let mut t = b.crm();
        let (crm, clock) = (&mut t.crm, t.clock.clone());
        let r = crm
            .create(
                "Potentials",
                Fields::new()
                    .with("potentialname", "Big deal, \"quoted\" and چند")
                    .with("amount", "1000.50")
                    .with("sales_stage", "Prospecting")
                    .with("closingdate", "2027-03-31")
                    .with("description", ""),
            )
            .unwrap();
        clock.advance(Duration::minutes(5));
        crm.update(r.id, Fields::new().with("amount", "2000").with("sales_stage", "Closed Won")).unwrap();
        crm.delete(r.id).unwrap();
        crm.restore(r.id).unwrap();
        let l = log(crm, r.id);
        assert_eq!(l.len(), 4, "{kind}");
        if let Some(path) = t.db.path() {
            // The creation is one detail row holding every field; the update keeps one row per field.
            let other = SqliteStore::open(path).unwrap();
            let rows: Vec<(String, i64)> = other
                .connection()
                .prepare("SELECT h.kind, count(d.history_id) FROM crm_history h LEFT JOIN crm_history_detail d ON d.history_id = h.id WHERE h.record_id = ?1 GROUP BY h.id ORDER BY h.id")
                .unwrap()
                .query_map([r.id.0], |x| Ok((x.get(0)?, x.get(1)?)))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert_eq!(rows[0], ("created".to_string(), 1));
            assert_eq!(rows[1].1 as usize, l[1].1.len());
        }
        assert_eq!(l[0].0, ChangeKind::Created);
        assert!(l[0].1.iter().all(|(_, before, _)| before.is_none()), "{kind}");
        assert!(l[0].1.iter().any(|(f, _, after)| f == "potentialname" && after.as_deref() == Some("Big deal, \"quoted\" and چند")));
        assert!(l[0].1.windows(2).all(|w| w[0].0 < w[1].0), "{kind}: fields in name order");
        assert!(l[1].1.iter().any(|(f, b, a)| f == "amount" && b.as_deref() == Some("1000.50") && a.as_deref() == Some("2000.00")));
        logs.push(l);
    }
    assert!(logs.len() >= 3);
    for (i, l) in logs.iter().enumerate() {
        assert_eq!(l, &logs[0], "{} against the memory store", support::ALL[i].name());
    }
}

/// Imported auto-numbers are kept only when free (live or in the recycle bin), on every store, and the
/// organizations named by the file are created once and then found by name.
fn import_checks_numbers_and_reuses_references(b: Backend) {
    let kind = b.name();
    let mut t = b.crm();
    let crm = &mut t.crm;
    let first = crm
        .create("Potentials", Fields::new().with("potentialname", "a").with("sales_stage", "Prospecting").with("closingdate", "2027-01-01"))
        .unwrap();
    let taken = first.get("potential_no").to_text().unwrap();
    let binned = crm
        .create("Potentials", Fields::new().with("potentialname", "b").with("sales_stage", "Prospecting").with("closingdate", "2027-01-01"))
        .unwrap();
    let binned_no = binned.get("potential_no").to_text().unwrap();
    crm.delete(binned.id).unwrap();
    let csv = format!(
        "Opportunity Name,Opportunity Number,Organization Name,Sales Stage,Expected Close Date\n\
         x,{taken},Accounts::::Hooli,Prospecting,2027-01-01\n\
         y,{binned_no},Accounts::::hooli,Prospecting,2027-01-01\n\
         z,POT900,Accounts::::Initech,Prospecting,2027-01-01\n\
         w,POT900,Accounts::::Hooli,Prospecting,2027-01-01\n"
    );
    let options = io::ImportOptions { create_missing_references: true, ..Default::default() };
    let report = crm.import_csv(csv.as_bytes(), "Potentials", &options, None).unwrap();
    assert_eq!(report.created, 4, "{kind}: {report:?}");
    assert_eq!(report.references_created, 2, "{kind}: Hooli once (any case), Initech once");
    let rows = crm.find(Query::new("Potentials").filter(Condition::eq("source", "IMPORT"))).unwrap();
    let no = |name: &str| rows.iter().find(|r| r.label == name).unwrap().get("potential_no").to_text().unwrap();
    assert_ne!(no("x"), taken, "{kind}: a live record has it");
    assert_ne!(no("y"), binned_no, "{kind}: a record in the recycle bin has it");
    assert_eq!(no("z"), "POT900", "{kind}");
    assert_ne!(no("w"), "POT900", "{kind}: an earlier row of the same batch has it");
    let org = |name: &str| rows.iter().find(|r| r.label == name).unwrap().get("related_to").clone();
    assert_eq!(org("x"), org("y"), "{kind}");
    assert_eq!(org("x"), org("w"), "{kind}");
    assert_ne!(org("x"), org("z"), "{kind}");
    // A renamed organization is not found under its old name any more: a new one is created.
    let hooli = org("x").as_ref_id().unwrap();
    crm.update(hooli, Fields::new().with("accountname", "Hooli XYZ")).unwrap();
    let csv = "Opportunity Name,Organization Name,Sales Stage,Expected Close Date\nv,Accounts::::Hooli,Prospecting,2027-01-01\n";
    let report = crm.import_csv(csv.as_bytes(), "Potentials", &options, None).unwrap();
    assert_eq!(report.references_created, 1, "{kind}");
}

/// Inside an import's unit of work the auto-number counter is counted in memory and stored when each
/// batch commits: numbers run on without gaps or repeats, and another handle of the same file continues
/// after them.
fn auto_numbers_of_a_batched_import_are_stored_with_each_batch(b: Backend) {
    let kind = b.name();
    let mut t = b.crm();
    let mut other = t.db.is_shared().then(|| t.second_handle());
    let crm = &mut t.crm;
    let mut csv = String::from("Opportunity Name,Sales Stage,Expected Close Date\n");
    for i in 0..2_500 {
        csv.push_str(&format!("deal {i},Prospecting,2027-01-01\n"));
    }
    let options = io::ImportOptions { batch_size: 1_000, ..Default::default() };
    let report = crm.import_csv(csv.as_bytes(), "Potentials", &options, None).unwrap();
    assert_eq!(report.created, 2_500, "{kind}");
    let mut numbers: Vec<u64> = crm
        .find(Query::new("Potentials"))
        .unwrap()
        .iter()
        .map(|r| r.get("potential_no").to_text().unwrap().trim_start_matches("POT").parse().unwrap())
        .collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=2_500).collect::<Vec<_>>(), "{kind}: consecutive, no repeats");
    assert_eq!(crm.auto_number("Potentials").unwrap().next, "2501", "{kind}");
    let fields = Fields::new().with("potentialname", "after").with("sales_stage", "Prospecting").with("closingdate", "2027-01-01");
    if let Some(other) = other.as_mut() {
        assert_eq!(other.create("Potentials", fields.clone()).unwrap().get("potential_no").to_string(), "POT2501", "{kind}");
    }
    let next = crm.create("Potentials", fields).unwrap().get("potential_no").to_text().unwrap();
    assert!(next.trim_start_matches("POT").parse::<u64>().unwrap() > 2_500, "{kind}: {next}");
}

/// A batch's lines are read before any is planned, and their imported numbers asked of the store at once:
/// a number an earlier batch of the same file took, one taken twice inside a batch, and one of a record
/// made before the import are each refused (the row is numbered afresh, with a note), empty lines keep
/// their place in the report, and the counter ends past every number taken.
fn imported_numbers_read_ahead_are_checked_across_batches(b: Backend) {
    let kind = b.name();
    let mut t = b.crm();
    let crm = &mut t.crm;
    let first = crm
        .create(
            "Potentials",
            Fields::new().with("potentialname", "before").with("sales_stage", "Prospecting").with("closingdate", "2027-01-01"),
        )
        .unwrap();
    let taken = first.get("potential_no").to_text().unwrap();
    let csv = format!(
        "Opportunity Name,Opportunity Number,Sales Stage,Expected Close Date\n\
         a,POT900,Prospecting,2027-01-01\n\
         b,POT901,Prospecting,2027-01-01\n\
         \n\
         c,POT900,Prospecting,2027-01-01\n\
         d,POT950,Prospecting,2027-01-01\n\
         e,POT950,Prospecting,2027-01-01\n\
         f,{taken},Prospecting,2027-01-01\n\
         g,POT960,Prospecting,2027-01-01\n"
    );
    let options = io::ImportOptions { batch_size: 2, ..Default::default() };
    let report = crm.import_csv(csv.as_bytes(), "Potentials", &options, None).unwrap();
    assert_eq!((report.rows, report.created, report.skipped, report.failed), (8, 7, 1, 0), "{kind}: {report:?}");
    let notes: Vec<u64> =
        report.row_reports.iter().filter(|r| r.problems.iter().any(|p| p.code == "auto_number_taken")).map(|r| r.line).collect();
    assert_eq!(notes, vec![5, 7, 8], "{kind}: c, e and f are renumbered: {report:?}");
    let skipped: Vec<u64> = report.row_reports.iter().filter(|r| r.outcome == io::Outcome::Skipped).map(|r| r.line).collect();
    assert_eq!(skipped, vec![4], "{kind}");
    let rows = crm.find(Query::new("Potentials")).unwrap();
    let no = |name: &str| rows.iter().find(|r| r.label == name).unwrap().get("potential_no").to_text().unwrap();
    assert_eq!((no("a"), no("b"), no("d"), no("g")), ("POT900".into(), "POT901".into(), "POT950".into(), "POT960".into()), "{kind}");
    let mut numbers: Vec<String> = rows.iter().map(|r| r.get("potential_no").to_text().unwrap()).collect();
    let n = numbers.len();
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), n, "{kind}: {numbers:?}");
    let next = crm
        .create(
            "Potentials",
            Fields::new().with("potentialname", "after").with("sales_stage", "Prospecting").with("closingdate", "2027-01-01"),
        )
        .unwrap()
        .get("potential_no")
        .to_text()
        .unwrap();
    assert!(next.trim_start_matches("POT").parse::<u64>().unwrap() > 960, "{kind}: {next}");
}

/// A created record's values are kept in its module's layout, as read records are, and every field is
/// written from its slot and read back the same; a record laid out before a field was added is still
/// written field by field, its new field empty.
fn records_are_written_from_their_layout(b: Backend) {
    let kind = b.name();
    let mut t = b.crm();
    let crm = &mut t.crm;
    let fields = Fields::new()
        .with("potentialname", "Slots")
        .with("amount", "1234.50")
        .with("probability", "25")
        .with("sales_stage", "Qualification")
        .with("closingdate", "2027-02-28")
        .with("leadsource", "Cold Call")
        .with("description", "کلید\nline two");
    let created = crm.create("Potentials", fields).unwrap();
    assert!(created.values.layout().is_some(), "{kind}: a new record starts in its module's layout");
    let read = crm.get(created.id).unwrap();
    assert_eq!(read.values, created.values, "{kind}");
    assert_eq!(read.get("forecast_amount"), &Value::Decimal("308.6250".parse().unwrap()), "{kind}: a workflow's value is written too");
    let stale = read.clone();
    crm.add_field("Potentials", NewField::new("Region", FieldType::Text)).unwrap();
    let region = crm.module("Potentials").unwrap().fields.iter().find(|f| f.label == "Region").unwrap().name.clone();
    let updated = crm.update(stale.id, Fields::new().with("amount", "2000")).unwrap();
    let again = crm.get(stale.id).unwrap();
    assert_eq!(again.values, updated.values, "{kind}");
    assert_eq!(again.get("amount"), &Value::Decimal("2000.00".parse().unwrap()), "{kind}");
    assert_eq!(again.get("description"), stale.get("description"), "{kind}");
    assert_eq!(again.get(&region), &Value::Null, "{kind}");
    let mut wanted = stale.values.clone();
    wanted.retain(|k, _| !matches!(k.as_str(), "amount" | "forecast_amount" | "modifiedtime" | "amount_base" | "forecast_amount_base"));
    let mut got = again.values.clone();
    got.retain(|k, _| wanted.contains_key(k));
    assert_eq!(got, wanted, "{kind}: the other fields are unchanged");
}

on_every_backend!(
    records_are_written_from_their_layout,
    import_checks_numbers_and_reuses_references,
    auto_numbers_of_a_batched_import_are_stored_with_each_batch,
    imported_numbers_read_ahead_are_checked_across_batches
);
