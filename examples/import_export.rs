//! Imports the shared vtiger export and the sample vCards, prints the reports, exports the opportunities
//! as CSV (with Jalali dates) and the contacts as vCard 4.0, then undoes the vCard import.
//!
//! Run: `cargo run --example import_export [path/to/crm.db]` (default: an in-memory store).

use crm::io::vcard_export::VcardVersion;
use crm::io::{DateFormat, ExportOptions, ImportOptions, ImportReport};
use crm::{Crm, ExportSelection, NewUser, Query, VcardImportOptions};
use std::path::PathBuf;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("crm-core/tests/data").join(name)
}

fn show(what: &str, r: &ImportReport) {
    println!(
        "{what}: import {} — {} rows: {} created, {} updated, {} merged, {} skipped, {} failed; {} referenced records created",
        r.import_id, r.rows, r.created, r.updated, r.merged, r.skipped, r.failed, r.references_created
    );
    for w in &r.warnings {
        println!("  warning: {w}");
    }
    for row in &r.row_reports {
        for p in &row.problems {
            println!("  line {} {:?}: {} [{}] {}", row.line, row.outcome, p.column.as_deref().unwrap_or("-"), p.code, p.message);
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).unwrap_or_else(|| ":memory:".into());
    let mut crm = Crm::open(&path)?;
    if crm.find_owner("admin")?.is_none() {
        crm.add_user(NewUser::new("admin").full_name("Administrator"))?;
        crm.add_group("Sales Team", &["admin"])?;
    }
    crm.set_actor("admin")?;

    // vtiger's own export needs no mapping; missing organizations and contacts are created as vtiger does.
    let options = ImportOptions { create_missing_references: true, ..Default::default() };
    let mut progress = |n: u64| eprintln!("  ... {n} rows");
    let report = crm.import_csv_file(data("vtiger_potentials_export.csv"), "Potentials", &options, Some(&mut progress))?;
    show("CSV", &report);

    let vcf = std::fs::read(data("contacts_sample.vcf"))?;
    // The CSV import already created Jane Smith, Ahmad Rahimi and Wei Chen (by name): merge the cards into
    // them; contacts that are new get an opportunity each.
    let merge = ImportOptions {
        duplicates: crm::io::Duplicates::Merge,
        match_on: vec!["firstname".into(), "lastname".into()],
        ..Default::default()
    };
    let vopts = VcardImportOptions { import: merge, opportunity: Some(Default::default()), ..Default::default() };
    let vreport = crm.import_vcard(vcf.as_slice(), &vopts, None)?;
    show("vCard", &vreport);

    let mut out = Vec::new();
    let sel = ExportSelection::Page { query: Query::new("Potentials").order_by("-amount"), page: 1, size: 5 };
    let columns = ["potentialname", "related_to", "amount", "closingdate", "assigned_user_id"].map(String::from).to_vec();
    crm.export_csv(&mut out, "Potentials", &sel, &ExportOptions { columns, date_format: DateFormat::Jalali, ..Default::default() })?;
    println!("\nTop five opportunities (Jalali close dates):\n{}", String::from_utf8(out)?);

    let mut cards = Vec::new();
    let n = crm.export_vcard(&mut cards, &ExportSelection::All(Query::new("Contacts").order_by("lastname")), VcardVersion::V4)?;
    println!("{n} contacts as vCard 4.0; the first:\n{}", String::from_utf8(cards)?.split("END:VCARD").next().unwrap_or("").trim());

    let undo = crm.undo_import(vreport.import_id)?;
    println!("\nUndid the vCard import: {} records to the recycle bin, {} restored", undo.deleted, undo.restored);
    Ok(())
}
