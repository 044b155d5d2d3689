//! CSV export neutralises every cell against spreadsheet formula injection, header cells included: a
//! custom field's label is user text (`=HYPERLINK(...)` went into the header as is). Import takes the
//! neutralisation off again, headers too, so export → import still maps every column back.

mod support;
use crm_core::io::{ExportOptions, ImportOptions};
use crm_core::{ExportSelection, FieldType, Fields, NewField, Query};
use support::Backend;

const FORMULAS: &[&str] = &["=HYPERLINK(\"http://evil\",\"x\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "=cmd|' /C calc'!A0"];

/// A cell a spreadsheet would run: starts with a formula character and is not a plain number.
fn runs(cell: &str) -> bool {
    cell.starts_with(['=', '+', '-', '@', '\t', '\r']) && cell.parse::<f64>().is_err()
}

fn header_cells_are_neutralised(b: Backend) {
    let mut t = b.crm();
    let mut fields = Vec::new();
    for (i, f) in FORMULAS.iter().enumerate() {
        // Labels the layout editor refuses (line breaks) cannot reach a header at all.
        if let Ok(field) = t.crm.add_field("Potentials", NewField::new(format!("{f}{i}"), FieldType::Text)) {
            fields.push(field);
        }
    }
    assert!(fields.len() >= 5, "{fields:?}");
    let mut deal = Fields::new()
        .with("potentialname", "=1+2")
        .with("amount", "-5.00")
        .with("sales_stage", "Prospecting")
        .with("closingdate", "2027-01-01");
    for (i, f) in fields.iter().enumerate() {
        deal = deal.with(f.name.as_str(), FORMULAS[i % FORMULAS.len()]);
    }
    t.crm.create("Potentials", deal).unwrap();
    let mut out = Vec::new();
    t.crm.export_csv(&mut out, "Potentials", &ExportSelection::All(Query::new("Potentials")), &ExportOptions::default()).unwrap();
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(out.as_slice());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    for (r, row) in rows.iter().enumerate() {
        for cell in row.iter() {
            assert!(!runs(cell), "row {r}: {cell:?} would run as a formula");
        }
    }
    let header: Vec<&str> = rows[0].iter().collect();
    for f in &fields {
        assert!(header.contains(&format!("'{}", f.label).as_str()), "{:?} not in {header:?}", f.label);
    }
    // Import maps the neutralised headers back to the fields and gives back every value.
    let before: Vec<String> = fields.iter().map(|f| t.crm.find(Query::new("Potentials")).unwrap()[0].get(&f.name).to_string()).collect();
    let r = t.crm.import_csv(out.as_slice(), "Potentials", &ImportOptions::default(), None).unwrap();
    assert_eq!((r.created, r.failed), (1, 0), "{r:#?}");
    for (h, field) in &r.mapping {
        assert!(field.is_some() || !fields.iter().any(|f| h.contains(f.label.trim())), "{h:?} not mapped back");
    }
    let back = t.crm.find(Query::new("Potentials")).unwrap();
    let copy = back.iter().find(|x| x.id != back.iter().map(|y| y.id).min().unwrap()).unwrap();
    let after: Vec<String> = fields.iter().map(|f| copy.get(&f.name).to_string()).collect();
    assert_eq!(after, before);
    // With neutralisation off the header is written as is (the host asked for it).
    let mut raw = Vec::new();
    let o = ExportOptions { neutralize_formulas: false, ..Default::default() };
    t.crm.export_csv(&mut raw, "Potentials", &ExportSelection::All(Query::new("Potentials")), &o).unwrap();
    assert!(String::from_utf8(raw).unwrap().contains("\"=HYPERLINK("));
}

on_every_backend!(header_cells_are_neutralised);
