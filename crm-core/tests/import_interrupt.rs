//! Progress with totals, stopping an import or export between batches, resuming and undoing a stopped
//! import, and importing parsed records (typed cells, bad rows) through the CSV import's pipeline, on
//! every storage backend.

use crm_core::chrono::NaiveDate;
use crm_core::io::vcard_export::VcardVersion;
use crm_core::io::{Duplicates, ExportOptions, ImportOptions, ImportReport, ImportStatus, Outcome};
use crm_core::{Condition, ExportSelection, Flow, ProgressFn, ProgressUnit, ProgressUpdate, Query, Records, Value, VcardImportOptions};
use rust_decimal_macros::dec;
use support::Backend;

mod support;

fn check_sum(r: &ImportReport) {
    assert_eq!(r.created + r.updated + r.merged + r.skipped + r.failed, r.rows, "{r:#?}");
}

fn deals_csv(n: usize) -> String {
    let mut csv = String::from("Opportunity Name,Amount,Sales Stage,Expected Close Date\n");
    for i in 0..n {
        csv.push_str(&format!("Deal {i},{}.50,Prospecting,2027-03-31\n", 100 + i));
    }
    csv
}

fn count(crm: &crm_core::Crm, module: &str) -> u64 {
    crm.count(Query::new(module)).unwrap()
}

/// A sink that records every update and stops once `stop_at` rows are done.
fn stopping(seen: &mut Vec<ProgressUpdate>, stop_at: u64) -> ProgressFn<impl FnMut(ProgressUpdate) -> Flow + '_> {
    ProgressFn(move |u: ProgressUpdate| {
        seen.push(u);
        if u.rows >= stop_at { Flow::Stop } else { Flow::Continue }
    })
}

fn csv_import_stopped_at_batch_two_resumes_and_undoes(b: Backend) {
    let mut t = b.crm();
    let crm = &mut t.crm;
    let csv = deals_csv(10);
    let o = ImportOptions { batch_size: 3, ..ImportOptions::default() };
    let mut seen = Vec::new();
    let size = csv.len() as u64;
    let r = crm.import_csv_with_size(csv.as_bytes(), Some(size), "Potentials", &o, Some(&mut stopping(&mut seen, 6))).unwrap();
    // Stopped after the second batch: its rows are committed, the rest not read.
    assert!(r.interrupted);
    assert_eq!((r.rows, r.created, r.failed), (6, 6, 0));
    check_sum(&r);
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(seen.iter().all(|u| u.unit == ProgressUnit::Bytes && u.total == Some(size) && u.done <= size), "{seen:?}");
    assert_eq!(count(crm, "Potentials"), 6);
    let j = crm.imports().unwrap().into_iter().find(|j| j.id == r.import_id).unwrap();
    assert_eq!((j.status, j.rows, j.created), (ImportStatus::Interrupted, 6, 6));

    // Resume: the rest, under the same id, counts adding up over the whole import.
    let mut seen = Vec::new();
    let mut sink = ProgressFn(|u: ProgressUpdate| {
        seen.push(u);
        Flow::Continue
    });
    let r2 = crm.resume_import_csv(r.import_id, csv.as_bytes(), &o, Some(&mut sink)).unwrap();
    assert!(!r2.interrupted);
    assert_eq!((r2.import_id, r2.rows, r2.created, r2.failed), (r.import_id, 10, 10, 0));
    check_sum(&r2);
    // Without a size, progress counts rows; the last update's total is what was done.
    assert_eq!(seen.last().map(|u| (u.done, u.total, u.unit)), Some((10, Some(10), ProgressUnit::Rows)));
    assert_eq!(count(crm, "Potentials"), 10);
    let j = crm.imports().unwrap().into_iter().find(|j| j.id == r.import_id).unwrap();
    assert_eq!((j.status, j.rows), (ImportStatus::Completed, 10));
    // A completed import does not resume again.
    assert!(crm.resume_import_csv(r.import_id, csv.as_bytes(), &o, None).is_err());

    let undone = crm.undo_import(r.import_id).unwrap();
    assert_eq!(undone.deleted, 10);
    assert_eq!(count(crm, "Potentials"), 0);
}

fn stopped_import_undoes_without_resuming(b: Backend) {
    let mut t = b.crm();
    let crm = &mut t.crm;
    let csv = deals_csv(9);
    let o = ImportOptions { batch_size: 4, ..ImportOptions::default() };
    let mut seen = Vec::new();
    let r = crm.import_csv(csv.as_bytes(), "Potentials", &o, Some(&mut stopping(&mut seen, 1))).unwrap();
    assert_eq!((r.interrupted, r.rows, r.created), (true, 4, 4));
    assert_eq!(seen[0].total, None); // a stream of unknown size, rows counted
    assert_eq!(crm.undo_import(r.import_id).unwrap().deleted, 4);
    assert_eq!(count(crm, "Potentials"), 0);
    // An undone import does not resume.
    assert!(crm.resume_import_csv(r.import_id, csv.as_bytes(), &o, None).is_err());
}

/// The columns of the typed rows below.
fn deal_columns() -> Vec<String> {
    ["Opportunity Name", "amount", "Sales Stage", "closingdate", "probability"].map(String::from).to_vec()
}

fn records_import_typed_values_and_reports_bad_rows(b: Backend) {
    let mut t = b.crm();
    let crm = &mut t.crm;
    let close = NaiveDate::from_ymd_opt(2027, 3, 31).unwrap();
    let rows = vec![
        // Typed: a decimal, a date, an integer percentage.
        Ok(vec![Value::from("Typed"), Value::Decimal(dec!(12000.55)), Value::from("Prospecting"), Value::Date(close), Value::Int(15)]),
        // Text cells are read as a CSV cell is (here a date in the chosen format).
        Ok(vec![Value::from("Text"), Value::from("1500"), Value::from("Qualification"), Value::from("31.03.2027"), Value::Null]),
        // Bad: an amount that is not a number (typed as text) — the field is named.
        Ok(vec![Value::from("Bad amount"), Value::from("lots"), Value::from("Prospecting"), Value::Date(close), Value::Null]),
        // Bad: a date of the wrong type for the field (a boolean).
        Ok(vec![Value::from("Bad date"), Value::Int(5), Value::from("Prospecting"), Value::Bool(true), Value::Null]),
        // Bad: the mandatory stage is empty.
        Ok(vec![Value::from("No stage"), Value::Int(5), Value::Null, Value::Date(close), Value::Null]),
        // Empty: skipped.
        Ok(vec![Value::Null, Value::Null, Value::Null, Value::Null, Value::Null]),
        // Wrong number of cells.
        Ok(vec![Value::from("Short")]),
    ];
    let o = ImportOptions { date_format: "dd.mm.yyyy".parse().unwrap(), batch_size: 2, ..ImportOptions::default() };
    let mut seen = Vec::new();
    let mut sink = ProgressFn(|u: ProgressUpdate| {
        seen.push(u);
        Flow::Continue
    });
    let records = Records::new(deal_columns(), rows.into_iter()).with_total(7);
    let r = crm.import_records("Potentials", records, &o, Some(&mut sink)).unwrap();
    check_sum(&r);
    assert_eq!((r.rows, r.created, r.failed, r.skipped), (7, 2, 4, 1), "{r:#?}");
    assert!(seen.iter().all(|u| u.total == Some(7) && u.unit == ProgressUnit::Rows), "{seen:?}");
    assert_eq!(seen.last().unwrap().done, 7);
    let failed: Vec<(u64, Option<String>)> = r
        .row_reports
        .iter()
        .filter(|x| x.outcome == Outcome::Failed)
        .map(|x| (x.line, x.problems.first().and_then(|p| p.field.clone())))
        .collect();
    assert_eq!(
        failed,
        vec![(3, Some("amount".into())), (4, Some("closingdate".into())), (5, Some("sales_stage".into())), (7, None)],
        "{r:#?}"
    );
    let typed = crm.find(Query::new("Potentials").filter(Condition::eq("potentialname", "Typed"))).unwrap();
    assert_eq!(typed[0].get("amount"), &Value::Decimal(dec!(12000.55)));
    assert_eq!(typed[0].get("closingdate"), &Value::Date(close));
    assert_eq!(typed[0].get("probability"), &Value::Decimal(dec!(15.000)));
    let text = crm.find(Query::new("Potentials").filter(Condition::eq("potentialname", "Text"))).unwrap();
    assert_eq!(text[0].get("closingdate"), &Value::Date(close));
    // The journal and undo are the CSV import's.
    let j = crm.imports().unwrap().into_iter().find(|j| j.id == r.import_id).unwrap();
    assert_eq!((j.kind.as_str(), j.status, j.rows), ("records", ImportStatus::Completed, 7));
    assert_eq!(crm.undo_import(r.import_id).unwrap().deleted, 2);
}

fn records_from_maps_json_duplicates_and_references(b: Backend) {
    let mut t = b.crm();
    let crm = &mut t.crm;
    let json = r#"[
        {"Organization Name": "Hooli", "Employees": 120, "Annual Revenue": 1000000.10, "Email Opt Out": true},
        {"Organization Name": "Initech", "Employees": null, "Annual Revenue": "2500", "Email Opt Out": false},
        {"Organization Name": "Hooli", "Employees": 7},
        {"Organization Name": "Extra", "Ticker": "X"}
    ]"#;
    let o = ImportOptions { duplicates: Duplicates::Skip, match_on: vec!["accountname".into()], ..ImportOptions::default() };
    let r = crm.import_records("Accounts", Records::from_json(json).unwrap(), &o, None).unwrap();
    check_sum(&r);
    assert_eq!((r.rows, r.created, r.skipped, r.failed), (4, 2, 1, 1), "{r:#?}");
    let bad = r.row_reports.iter().find(|x| x.outcome == Outcome::Failed).unwrap();
    assert_eq!((bad.line, bad.problems[0].code.as_str()), (4, "columns"));
    let hooli = crm.find(Query::new("Accounts").filter(Condition::eq("accountname", "Hooli"))).unwrap();
    assert_eq!(hooli[0].get("annual_revenue"), &Value::Decimal(dec!(1000000.10)));
    assert_eq!(hooli[0].get("employees"), &Value::Int(120));
    assert_eq!(hooli[0].get("emailoptout"), &Value::Bool(true));

    // References by name are created as in a CSV import, and undone with it.
    let rows = vec![Ok(vec![
        ("Opportunity Name".to_string(), Value::from("Globex deal")),
        ("Organization Name".to_string(), Value::from("Globex")),
        ("Sales Stage".to_string(), Value::from("Prospecting")),
        ("Expected Close Date".to_string(), Value::Date(NaiveDate::from_ymd_opt(2027, 1, 2).unwrap())),
    ])];
    let o = ImportOptions { create_missing_references: true, ..ImportOptions::default() };
    let r = crm.import_records("Potentials", Records::from_maps(rows.into_iter()).unwrap(), &o, None).unwrap();
    assert_eq!((r.created, r.references_created), (1, 1), "{r:#?}");
    assert_eq!(count(crm, "Accounts"), 3);
    crm.undo_import(r.import_id).unwrap();
    assert_eq!(count(crm, "Accounts"), 2);

    // A dry run writes nothing and reports every row.
    let o = ImportOptions { dry_run: true, ..ImportOptions::default() };
    let r = crm.import_records("Accounts", Records::from_json(r#"[{"accountname": "Dry"}]"#).unwrap(), &o, None).unwrap();
    assert_eq!((r.dry_run, r.created, r.row_reports.len()), (true, 1, 1));
    assert_eq!(count(crm, "Accounts"), 2);
    assert!(Records::from_json("{}").is_err());
}

fn records_import_stopped_resumes(b: Backend) {
    let mut t = b.crm();
    let crm = &mut t.crm;
    let close = NaiveDate::from_ymd_opt(2027, 3, 31).unwrap();
    let rows = |n: i64| {
        (0..n).map(move |i| {
            Ok(vec![Value::from(format!("R{i}")), Value::Int(i), Value::from("Prospecting"), Value::Date(close), Value::Null])
        })
    };
    let o = ImportOptions { batch_size: 2, ..ImportOptions::default() };
    let mut seen = Vec::new();
    let r = crm
        .import_records("Potentials", Records::new(deal_columns(), rows(7)).with_total(7), &o, Some(&mut stopping(&mut seen, 4)))
        .unwrap();
    assert_eq!((r.interrupted, r.rows, r.created), (true, 4, 4));
    assert_eq!(seen.iter().map(|u| (u.done, u.total)).collect::<Vec<_>>(), vec![(2, Some(7)), (4, Some(7))]);
    // A CSV resume of an import of records is refused.
    assert!(crm.resume_import_csv(r.import_id, deals_csv(7).as_bytes(), &o, None).is_err());
    let r2 = crm.resume_import_records(r.import_id, Records::new(deal_columns(), rows(7)), &o, None).unwrap();
    assert_eq!((r2.rows, r2.created, r2.interrupted), (7, 7, false));
    check_sum(&r2);
    assert_eq!(count(crm, "Potentials"), 7);
    assert_eq!(crm.undo_import(r.import_id).unwrap().deleted, 7);
    assert_eq!(count(crm, "Potentials"), 0);
}

fn export_stops_between_chunks(b: Backend) {
    let mut t = b.crm();
    let crm = &mut t.crm;
    let n = crm_core::EXPORT_PROGRESS_EVERY + 20;
    let close = NaiveDate::from_ymd_opt(2027, 3, 31).unwrap();
    let rows =
        (0..n).map(|i| Ok(vec![Value::from(format!("E{i}")), Value::Int(1), Value::from("Prospecting"), Value::Date(close), Value::Null]));
    let o = ImportOptions { batch_size: 500, ..ImportOptions::default() };
    assert_eq!(crm.import_records("Potentials", Records::new(deal_columns(), rows), &o, None).unwrap().created, n);
    let all = ExportSelection::All(Query::new("Potentials"));
    let mut seen = Vec::new();
    let mut out = Vec::new();
    let written =
        crm.export_csv_with_progress(&mut out, "Potentials", &all, &ExportOptions::default(), Some(&mut stopping(&mut seen, 1))).unwrap();
    assert_eq!(written, crm_core::EXPORT_PROGRESS_EVERY);
    assert_eq!(seen, vec![ProgressUpdate { done: written, total: Some(n), unit: ProgressUnit::Rows, rows: written }]);
    assert_eq!(String::from_utf8(out).unwrap().lines().count() as u64, written + 1);
    // Going on to the end: the last update is the whole.
    let mut seen = Vec::new();
    let mut sink = ProgressFn(|u: ProgressUpdate| {
        seen.push(u);
        Flow::Continue
    });
    let mut out = Vec::new();
    assert_eq!(crm.export_csv_with_progress(&mut out, "Potentials", &all, &ExportOptions::default(), Some(&mut sink)).unwrap(), n);
    assert_eq!(seen.last().map(|u| (u.done, u.total)), Some((n, Some(n))));
}

/// A vCard import (a real file of five cards, the last two bad) stopped after its first batch resumes
/// past the cards its journal counts, under the same id, the bad cards reported at their positions; a CSV
/// resume of it, and a vCard resume of a CSV import, are refused.
fn vcard_import_stopped_resumes_and_undoes(b: Backend) {
    let mut t = b.crm();
    let crm = &mut t.crm;
    let cards = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/google_40.vcf")).unwrap();
    let mut o = VcardImportOptions::default();
    o.import.batch_size = 2;
    let mut seen = Vec::new();
    let r = crm.import_vcard(cards.as_slice(), &o, Some(&mut stopping(&mut seen, 2))).unwrap();
    assert_eq!((r.interrupted, r.rows, r.created), (true, 2, 2), "{r:#?}");
    assert_eq!(seen.iter().map(|u| (u.done, u.total)).collect::<Vec<_>>(), vec![(2, Some(5))]);
    assert_eq!(count(crm, "Contacts"), 2);
    let j = crm.imports().unwrap().into_iter().find(|j| j.id == r.import_id).unwrap();
    assert_eq!((j.status, j.kind.as_str(), j.rows), (ImportStatus::Interrupted, "vcard", 2));
    assert!(crm.resume_import_csv(r.import_id, deals_csv(3).as_bytes(), &ImportOptions::default(), None).is_err());

    let mut seen = Vec::new();
    let mut sink = ProgressFn(|u: ProgressUpdate| {
        seen.push(u);
        Flow::Continue
    });
    let r2 = crm.resume_import_vcard(r.import_id, cards.as_slice(), &o, Some(&mut sink)).unwrap();
    assert_eq!((r2.import_id, r2.interrupted, r2.rows, r2.created, r2.failed), (r.import_id, false, 5, 3, 2), "{r2:#?}");
    check_sum(&r2);
    let failed: Vec<(u64, &str)> = r2.row_reports.iter().map(|x| (x.line, x.problems[0].code.as_str())).collect();
    assert_eq!(failed, vec![(4, "invalid_card"), (5, "invalid_format")]);
    assert_eq!(seen.last().map(|u| (u.done, u.total)), Some((5, Some(5))));
    assert_eq!(count(crm, "Contacts"), 3);
    let j = crm.imports().unwrap().into_iter().find(|j| j.id == r.import_id).unwrap();
    assert_eq!((j.status, j.rows, j.created, j.failed), (ImportStatus::Completed, 5, 3, 2));
    assert!(matches!(crm.resume_import_vcard(r.import_id, cards.as_slice(), &o, None), Err(crm_core::Error::Conflict(_))));
    // One undo takes back both parts.
    crm.undo_import(r.import_id).unwrap();
    assert_eq!(count(crm, "Contacts"), 0);

    // A CSV import does not resume as a vCard import.
    let csv = crm
        .import_csv(
            deals_csv(4).as_bytes(),
            "Potentials",
            &ImportOptions { batch_size: 2, ..ImportOptions::default() },
            Some(&mut stopping(&mut Vec::new(), 2)),
        )
        .unwrap();
    assert!(csv.interrupted);
    assert!(matches!(crm.resume_import_vcard(csv.import_id, cards.as_slice(), &o, None), Err(crm_core::Error::Conflict(_))));
}

/// A vCard export hears the cards written out of the number selected, and stops where it is told to.
fn vcard_export_reports_progress_and_stops(b: Backend) {
    let mut t = b.crm();
    let crm = &mut t.crm;
    let n = crm_core::EXPORT_PROGRESS_EVERY + 20;
    let rows = (0..n).map(|i| Ok(vec![Value::from(format!("Doe{i}")), Value::from(format!("p{i}@example.com"))]));
    let columns = vec!["lastname".to_string(), "email".to_string()];
    let o = ImportOptions { batch_size: 500, ..ImportOptions::default() };
    assert_eq!(crm.import_records("Contacts", Records::new(columns, rows), &o, None).unwrap().created, n);
    let all = ExportSelection::All(Query::new("Contacts"));
    let mut seen = Vec::new();
    let mut out = Vec::new();
    let written = crm.export_vcard_with_progress(&mut out, &all, VcardVersion::default(), Some(&mut stopping(&mut seen, 1))).unwrap();
    assert_eq!(written, crm_core::EXPORT_PROGRESS_EVERY);
    assert_eq!(seen, vec![ProgressUpdate { done: written, total: Some(n), unit: ProgressUnit::Rows, rows: written }]);
    let text = String::from_utf8(out).unwrap();
    assert_eq!((text.matches("BEGIN:VCARD").count() as u64, text.matches("END:VCARD").count() as u64), (written, written));
    // Going on to the end: the last update is the whole; ids give their own total.
    let mut seen = Vec::new();
    let mut sink = ProgressFn(|u: ProgressUpdate| {
        seen.push(u);
        Flow::Continue
    });
    let mut out = Vec::new();
    assert_eq!(crm.export_vcard_with_progress(&mut out, &all, VcardVersion::V3, Some(&mut sink)).unwrap(), n);
    assert_eq!(seen.iter().map(|u| (u.done, u.total)).collect::<Vec<_>>(), vec![(500, Some(n)), (n, Some(n))]);
    let ids: Vec<crm_core::RecordId> = crm.find(Query::new("Contacts").limit(3)).unwrap().iter().map(|r| r.id).collect();
    let mut seen = Vec::new();
    let mut sink = ProgressFn(|u: ProgressUpdate| {
        seen.push(u);
        Flow::Continue
    });
    let written = crm.export_vcard_with_progress(Vec::new(), &ExportSelection::Ids(ids), VcardVersion::default(), Some(&mut sink)).unwrap();
    assert_eq!(written, 3);
    assert_eq!(seen.iter().map(|u| (u.done, u.total)).collect::<Vec<_>>(), vec![(3, Some(3))]);
}

on_every_backend!(
    csv_import_stopped_at_batch_two_resumes_and_undoes,
    stopped_import_undoes_without_resuming,
    records_import_typed_values_and_reports_bad_rows,
    records_from_maps_json_duplicates_and_references,
    records_import_stopped_resumes,
    export_stops_between_chunks,
    vcard_import_stopped_resumes_and_undoes,
    vcard_export_reports_progress_and_stops,
);
