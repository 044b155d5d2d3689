//! The logs a binding lists are paged on every backend: a record's change log and the schema change log by
//! keyset (the last id / version seen), an import's rows by offset. The pages, walked to the end, give
//! exactly the whole list in order; a page size of 0 or above `limits::MAX_LOG_PAGE` is `InvalidArgument`.

mod support;
use crm_core::io::ImportOptions;
use crm_core::limits::MAX_LOG_PAGE;
use crm_core::{FieldType, Fields, NewField};
use support::Backend;

fn logs_are_paged(b: Backend) {
    let mut t = b.crm();
    let crm = &mut t.crm;
    let deal = crm
        .create(
            "Potentials",
            Fields::new().with("potentialname", "Deal").with("sales_stage", "Prospecting").with("closingdate", "2027-01-01"),
        )
        .unwrap();
    for i in 0..7 {
        crm.update(deal.id, Fields::new().with("amount", format!("{}", 100 + i))).unwrap();
    }
    let all = crm.history(deal.id).unwrap();
    assert_eq!(all.len(), 8);
    let mut walked = Vec::new();
    let mut after = None;
    loop {
        let page = crm.history_page(deal.id, after, 3).unwrap();
        assert!(page.len() <= 3);
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        walked.extend(page);
    }
    assert_eq!(walked, all, "the pages are the whole change log, fields included");

    for i in 0..5 {
        crm.add_field("Potentials", NewField::new(format!("Extra {i}"), FieldType::Text)).unwrap();
    }
    let changes = crm.schema_changes().unwrap();
    assert!(changes.len() >= 5);
    let mut versions = Vec::new();
    let mut after = None;
    loop {
        let page = crm.schema_changes_page(after, 2).unwrap();
        let Some(last) = page.last() else { break };
        after = Some(last.version);
        versions.extend(page.iter().map(|c| c.version));
    }
    assert_eq!(versions, changes.iter().map(|c| c.version).collect::<Vec<_>>());

    let mut csv = String::from("Opportunity Name,Sales Stage,Expected Close Date\n");
    for i in 0..11 {
        csv.push_str(&format!("Imported {i},Prospecting,2027-03-31\n"));
    }
    let report = crm.import_csv(csv.as_bytes(), "Potentials", &ImportOptions::default(), None).unwrap();
    let rows = crm.import_rows(report.import_id).unwrap();
    assert_eq!(rows.len(), 11);
    let mut walked = Vec::new();
    for offset in (0..12).step_by(4) {
        walked.extend(crm.import_rows_page(report.import_id, offset, 4).unwrap());
    }
    assert_eq!(walked, rows);

    for limit in [0, MAX_LOG_PAGE + 1] {
        let errors = [
            crm.history_page(deal.id, None, limit).unwrap_err(),
            crm.schema_changes_page(None, limit).unwrap_err(),
            crm.import_rows_page(report.import_id, 0, limit).unwrap_err(),
        ];
        for e in errors {
            assert_eq!(e.code(), "invalid_argument");
            assert!(e.to_string().contains("MAX_LOG_PAGE"), "{e}");
        }
    }
}

on_every_backend!(logs_are_paged);
