//! CSV and vCard import/export on every storage backend.

use crm_core::io::vcard_export::VcardVersion;
use crm_core::io::{DateFormat, Duplicates, ExportOptions, HeaderStyle, ImportOptions, Outcome};
use crm_core::{Condition, Crm, ExportSelection, Fields, NewUser, Query, Value, VcardImportOptions};
use rust_decimal_macros::dec;
use std::path::PathBuf;
use support::{Backend, TestCrm};

mod support;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(data(name)).unwrap()
}

/// A new engine on `b` with admin ("Administrator") and the group "Sales Team".
fn open(b: Backend) -> TestCrm {
    let mut t = b.bare();
    t.crm.add_user(NewUser::new("admin").full_name("Administrator")).unwrap();
    t.crm.add_group("Sales Team", &["admin"]).unwrap();
    t.crm.set_actor("admin").unwrap();
    t
}

fn opts() -> ImportOptions {
    ImportOptions::default()
}

fn check_sum(r: &crm_core::io::ImportReport) {
    assert_eq!(r.created + r.updated + r.merged + r.skipped + r.failed, r.rows, "{r:#?}");
}

fn vtiger_export_imports_without_mapping(b: Backend) {
    let mut t = open(b);
    let crm = &mut t.crm;
    let o = ImportOptions { create_missing_references: true, batch_size: 7, ..opts() };
    let mut seen = vec![];
    let mut cb = |n: u64| seen.push(n);
    let r = crm.import_csv(read("vtiger_potentials_export.csv").as_slice(), "Potentials", &o, Some(&mut cb)).unwrap();
    check_sum(&r);
    assert_eq!(r.rows, 24);
    assert_eq!(r.created, 24, "{:#?}", r.row_reports);
    assert_eq!(r.failed, 0);
    assert!(seen.len() >= 4 && seen.last() == Some(&24), "{seen:?}");
    assert_eq!(r.warnings.iter().filter(|w| w.contains("Weighted Revenue")).count(), 1, "{:?}", r.warnings);
    assert!(r.references_created >= 6);
    let deals = crm.find(Query::new("Potentials").order_by("potential_no")).unwrap();
    assert_eq!(deals.len(), 24);
    let first = crm.find(Query::new("Potentials").filter(Condition::eq("potentialname", "Hooli deal 1"))).unwrap().remove(0);
    assert_eq!(first.get("potential_no").to_string(), "POT1");
    assert_eq!(first.get("amount"), &Value::Decimal(dec!(12000.00)));
    assert_eq!(first.get("createdtime").to_string(), "2026-10-01 09:00:00");
    assert_eq!(first.get("source").to_string(), "IMPORT");
    let org = crm.get(first.get("related_to").as_ref_id().unwrap()).unwrap();
    assert_eq!((org.module.as_str(), org.label.as_str()), ("Accounts", "Hooli"));
    let contact = crm.get(first.get("contact_id").as_ref_id().unwrap()).unwrap();
    assert_eq!(contact.label, "Jane Smith");
    assert_eq!(contact.get("lastname").to_string(), "Smith");
    // Owners by full name and group name.
    let third = crm.find(Query::new("Potentials").filter(Condition::eq("potentialname", "Hooli deal 3"))).unwrap().remove(0);
    assert_eq!(crm.owner(third.get("assigned_user_id").as_owner().unwrap()).unwrap().unwrap().name(), "Sales Team");
    // The counter moved past the imported numbers.
    let next = crm
        .create("Potentials", Fields::new().with("potentialname", "x").with("sales_stage", "Prospecting").with("closingdate", "2027-01-01"))
        .unwrap();
    assert_eq!(next.get("potential_no").to_string(), "POT25");
    // One change-log entry per record.
    assert_eq!(crm.history(first.id).unwrap().len(), 1);
    let j = crm.imports().unwrap();
    assert_eq!(j.last().unwrap().created, 24);
}

fn export_reimports_to_the_same_records(b: Backend) {
    let mut t = open(b);
    let crm = &mut t.crm;
    let o = ImportOptions { create_missing_references: true, ..opts() };
    crm.import_csv(read("vtiger_potentials_export.csv").as_slice(), "Potentials", &o, None).unwrap();
    crm.create(
        "Potentials",
        Fields::new()
            .with("potentialname", "=HYPERLINK(\"x\")")
            .with("sales_stage", "Prospecting")
            .with("closingdate", "2027-01-01")
            .with("amount", "-5"),
    )
    .unwrap();
    let mut out = Vec::new();
    let n = crm.export_csv(&mut out, "Potentials", &ExportSelection::All(Query::new("Potentials")), &ExportOptions::default()).unwrap();
    assert_eq!(n, 25);
    let text = String::from_utf8(out.clone()).unwrap();
    assert!(text.starts_with("Opportunity Name,Opportunity Number,Organization Name"), "{text}");
    assert!(text.contains("Accounts::::Hooli"));
    assert!(text.contains("'=HYPERLINK"), "formulas are neutralised");
    assert!(text.contains(",-5.00,"), "numbers are not");

    // Into the reference store and into a new database of the same backend.
    for fb in [Backend::Memory, b] {
        let mut ft = open(fb);
        let fresh = &mut ft.crm;
        let r = fresh.import_csv(out.as_slice(), "Potentials", &o, None).unwrap();
        assert_eq!((r.created, r.failed), (25, 0), "{:#?}", r.row_reports);
        let a = crm.find(Query::new("Potentials").order_by("potential_no")).unwrap();
        let b = fresh.find(Query::new("Potentials").order_by("potential_no")).unwrap();
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            for f in crm.module("Potentials").unwrap().fields.iter() {
                let (vx, vy) = (x.get(&f.name), y.get(&f.name));
                match f.name.as_str() {
                    // Maintained by crm: the time of the save, and IMPORT for imported records.
                    "modifiedtime" | "modifiedby" | "source" => continue,
                    _ => {}
                }
                match (vx, vy) {
                    (Value::Ref(i), Value::Ref(j)) => {
                        assert_eq!(crm.get(*i).unwrap().label, fresh.get(*j).unwrap().label)
                    }
                    (Value::Owner(i), Value::Owner(j)) => {
                        assert_eq!(crm.owner(*i).unwrap().unwrap().name(), fresh.owner(*j).unwrap().unwrap().name())
                    }
                    _ => assert_eq!(vx, vy, "{} of {}", f.name, x.label),
                }
            }
        }
    }
}

fn export_modes_header_names_bom_dates(b: Backend) {
    let mut t = open(b);
    let crm = &mut t.crm;
    let mut ids = vec![];
    for i in 1..=5 {
        ids.push(
            crm.create(
                "Potentials",
                Fields::new().with("potentialname", format!("D{i}")).with("sales_stage", "Prospecting").with("closingdate", "2026-11-26"),
            )
            .unwrap()
            .id,
        );
    }
    let o = ExportOptions {
        columns: vec!["potentialname".into(), "Expected Close Date".into()],
        header: HeaderStyle::Names,
        bom: true,
        date_format: DateFormat::Jalali,
        ..Default::default()
    };
    let mut out = Vec::new();
    assert_eq!(crm.export_csv(&mut out, "Potentials", &ExportSelection::Ids(vec![ids[3], ids[1]]), &o).unwrap(), 2);
    assert_eq!(String::from_utf8(out).unwrap(), "\u{feff}potentialname,closingdate\nD4,1405/09/05\nD2,1405/09/05\n");
    let mut out = Vec::new();
    let sel = ExportSelection::Page { query: Query::new("Potentials").order_by("potentialname"), page: 2, size: 2 };
    assert_eq!(
        crm.export_csv(
            &mut out,
            "Potentials",
            &sel,
            &ExportOptions { columns: vec!["potentialname".into()], header: HeaderStyle::None, ..Default::default() }
        )
        .unwrap(),
        2
    );
    assert_eq!(String::from_utf8(out).unwrap(), "D3\nD4\n");
    assert!(crm.export_csv(Vec::new(), "Potentials", &ExportSelection::All(Query::new("Accounts")), &ExportOptions::default()).is_err());
}

fn import_file(crm: &mut Crm, name: &str, o: &ImportOptions) -> crm_core::Result<crm_core::io::ImportReport> {
    crm.import_csv_file(data(name), "Potentials", o, None)
}

fn codes(r: &crm_core::io::ImportReport, line: u64) -> Vec<String> {
    r.row_reports.iter().filter(|x| x.line == line).flat_map(|x| x.problems.iter().map(|p| p.code.clone())).collect()
}

fn bad_input_files(b: Backend) {
    let mut t = open(b);
    let crm = &mut t.crm;
    let o = opts();
    for f in ["empty.csv", "garbage.bin"] {
        let e = import_file(crm, f, &o).unwrap_err();
        assert_eq!(e.code(), "invalid_argument", "{f}: {e}");
    }
    let r = import_file(crm, "header_only.csv", &o).unwrap();
    assert_eq!((r.rows, r.created), (0, 0));

    let r = import_file(crm, "columns.csv", &o).unwrap();
    check_sum(&r);
    assert_eq!((r.rows, r.created, r.failed), (4, 2, 2));
    assert_eq!(codes(&r, 3), vec!["columns"]);
    assert_eq!(codes(&r, 4), vec!["columns"]);

    let r = import_file(crm, "unclosed_quote.csv", &o).unwrap();
    check_sum(&r);
    assert_eq!((r.created, r.failed), (1, 1));
    assert_eq!(codes(&r, 3), vec!["columns"]);

    let r = import_file(crm, "bad_date.csv", &o).unwrap();
    check_sum(&r);
    assert_eq!((r.created, r.failed), (1, 1));
    let p = &r.row_reports[0].problems[0];
    assert_eq!((p.line_col(), p.field.as_deref(), p.code.as_str()), (Some("Expected Close Date"), Some("closingdate"), "invalid_format"));

    let r = import_file(crm, "bad_amount.csv", &o).unwrap();
    check_sum(&r);
    assert_eq!((r.created, r.failed), (1, 2));
    assert_eq!(codes(&r, 2), vec!["invalid_type"]);
    assert_eq!(codes(&r, 3), vec!["out_of_range"]);

    let r = import_file(crm, "bad_probability.csv", &o).unwrap();
    assert_eq!((r.created, r.failed), (1, 1));
    assert_eq!(codes(&r, 2), vec!["out_of_range"]);

    let r = import_file(crm, "missing_mandatory.csv", &o).unwrap();
    assert_eq!((r.created, r.failed), (1, 1));
    assert_eq!(codes(&r, 2), vec!["required"]);

    let r = import_file(crm, "unknown_picklist.csv", &o).unwrap();
    assert_eq!((r.created, r.failed), (0, 1));
    assert_eq!(codes(&r, 2), vec!["unknown_picklist_value"]);
    let r = import_file(crm, "unknown_picklist.csv", &ImportOptions { add_unknown_picklist_values: true, ..opts() }).unwrap();
    assert_eq!((r.created, r.failed), (1, 0));
    assert_eq!(r.picklist_values_added, vec!["sales_stage: Daydreaming"]);
    assert!(crm.schema().picklist("sales_stage").unwrap().get("Daydreaming").is_some());

    let r = import_file(crm, "missing_reference.csv", &o).unwrap();
    assert_eq!((r.created, r.failed), (0, 1));
    assert_eq!(codes(&r, 2), vec!["invalid_reference"]);
    assert_eq!(r.row_reports[0].problems[0].column.as_deref(), Some("Organization Name"));

    let e = import_file(crm, "latin1.csv", &o).unwrap_err();
    assert!(e.to_string().contains("UTF-8"), "{e}");
    let r = import_file(crm, "latin1.csv", &ImportOptions { encoding: crm_core::io::Encoding::Latin1, ..opts() }).unwrap();
    assert_eq!(r.created, 1);
    let d = crm.find(Query::new("Potentials").filter(Condition::eq("potentialname", "Café deal"))).unwrap();
    assert_eq!(d[0].get("description").to_string(), "Crème brûlée");

    let r = import_file(crm, "empty_lines.csv", &o).unwrap();
    check_sum(&r);
    assert_eq!((r.rows, r.created, r.skipped), (4, 2, 2));
    assert_eq!(codes(&r, 3), vec!["empty"]);
    assert_eq!(codes(&r, 4), vec!["empty"]);
}

trait Col {
    fn line_col(&self) -> Option<&str>;
}
impl Col for crm_core::io::RowProblem {
    fn line_col(&self) -> Option<&str> {
        self.column.as_deref()
    }
}

fn persian_digits_jalali_and_european_numbers(b: Backend) {
    let mut t = open(b);
    let crm = &mut t.crm;
    let r = import_file(crm, "persian_jalali.csv", &ImportOptions { date_format: DateFormat::Jalali, ..opts() }).unwrap();
    assert_eq!(r.created, 1, "{:#?}", r.row_reports);
    let d = crm.find(Query::new("Potentials").filter(Condition::eq("potentialname", "Persian deal"))).unwrap().remove(0);
    assert_eq!(d.get("amount"), &Value::Decimal(dec!(12345.67)));
    assert_eq!(d.get("probability"), &Value::Decimal(dec!(25.000)));
    assert_eq!(d.get("closingdate").to_string(), "2027-03-30");
    let r = import_file(
        crm,
        "european.csv",
        &ImportOptions { date_format: DateFormat::DayMonthYearDot, decimal_separator: ',', thousands_separator: Some('.'), ..opts() },
    )
    .unwrap();
    assert_eq!(r.created, 1, "{:#?}", r.row_reports);
    let d = crm.find(Query::new("Potentials").filter(Condition::eq("potentialname", "Euro deal"))).unwrap().remove(0);
    assert_eq!(d.get("amount"), &Value::Decimal(dec!(1234.50)));
    assert_eq!(d.get("closingdate").to_string(), "2027-03-31");
    // Options from JSON, as the bindings pass them.
    let o =
        ImportOptions::from_json(r#"{"delimiter":"pipe","date_format":"dd.mm.yyyy","decimal_separator":",","thousands_separator":"."}"#)
            .unwrap();
    assert_eq!(o.date_format, DateFormat::DayMonthYearDot);
    assert!(ImportOptions::from_json(r#"{"duplicates":"sometimes"}"#).is_err());
}

const DEALS: &str = "Opportunity Name,Amount,Expected Close Date,Sales Stage,Next Step\nAlpha,100,2027-01-01,Prospecting,call\nBeta,200,2027-01-01,Prospecting,mail\n";
const DEALS2: &str = "Opportunity Name,Amount,Expected Close Date,Sales Stage,Next Step\nAlpha,150,2027-01-01,Prospecting,\nGamma,300,2027-01-01,Prospecting,visit\n";
const DEALS3: &str = "Opportunity Name,Amount,Expected Close Date,Sales Stage,Next Step\nAlpha,150,2027-01-01,Prospecting,\nOmega,300,2027-01-01,Prospecting,visit\n";

fn duplicates_undo_and_dry_run(b: Backend) {
    let mut t = open(b);
    let crm = &mut t.crm;
    let first = crm.import_csv(DEALS.as_bytes(), "Potentials", &opts(), None).unwrap();
    assert_eq!(first.created, 2);
    let by = |crm: &Crm, n: &str| crm.find(Query::new("Potentials").filter(Condition::eq("potentialname", n))).unwrap();

    let skip = ImportOptions { duplicates: Duplicates::Skip, match_on: vec!["Opportunity Name".into()], ..opts() };
    let r = crm.import_csv(DEALS2.as_bytes(), "Potentials", &skip, None).unwrap();
    assert_eq!((r.skipped, r.created), (1, 1));
    assert_eq!(r.row_reports[0].problems[0].code, "duplicate");

    // Dry run: same report, nothing written, auto-number untouched.
    let before = crm.auto_number("Potentials").unwrap();
    let merge = ImportOptions { duplicates: Duplicates::Merge, match_on: vec!["potentialname".into()], dry_run: true, ..opts() };
    let r = crm.import_csv("Opportunity Name,Amount,Expected Close Date,Sales Stage\nAlpha,175,,\nDelta,1,2027-01-01,Prospecting\nBad,x,2027-01-01,Prospecting\n".as_bytes(), "Potentials", &merge, None).unwrap();
    assert_eq!((r.merged, r.created, r.failed, r.import_id), (1, 1, 1, 0));
    assert_eq!(r.row_reports.len(), 3);
    assert!(r.row_reports[0].fields.contains(&"amount".to_string()), "{:?}", r.row_reports[0]);
    assert_eq!(by(crm, "Alpha")[0].get("amount"), &Value::Decimal(dec!(100.00)));
    assert!(by(crm, "Delta").is_empty());
    assert_eq!(crm.auto_number("Potentials").unwrap(), before);

    // Merge keeps what the row leaves empty; overwrite clears it.
    let merge = ImportOptions { dry_run: false, ..merge };
    let m = crm.import_csv("Opportunity Name,Amount,Next Step\nAlpha,175,\n".as_bytes(), "Potentials", &merge, None).unwrap();
    assert_eq!(m.merged, 1);
    let a = by(crm, "Alpha").remove(0);
    assert_eq!((a.get("amount").to_string(), a.get("nextstep").to_string()), ("175.00".into(), "call".into()));
    let over = ImportOptions { duplicates: Duplicates::Overwrite, match_on: vec!["potentialname".into()], ..opts() };
    let r = crm.import_csv(DEALS3.as_bytes(), "Potentials", &over, None).unwrap();
    assert_eq!((r.updated, r.created), (1, 1), "{:#?}", r.row_reports);
    let a = by(crm, "Alpha").remove(0);
    assert_eq!((a.get("amount").to_string(), a.get("nextstep").to_string()), ("150.00".into(), "".into()));
    assert_eq!(by(crm, "Omega").len(), 1);

    // Undo the overwrite: Alpha gets its merged values back, the new Omega goes to the recycle bin.
    let u = crm.undo_import(r.import_id).unwrap();
    assert_eq!((u.deleted, u.restored), (1, 1));
    let a = by(crm, "Alpha").remove(0);
    assert_eq!((a.get("amount").to_string(), a.get("nextstep").to_string()), ("175.00".into(), "call".into()));
    assert!(by(crm, "Omega").is_empty());
    assert_eq!(crm.count(Query::new("Potentials").in_recycle_bin()).unwrap(), 1);
    assert_eq!(crm.undo_import(r.import_id).unwrap_err().code(), "conflict");

    // Undo refuses when a record changed since.
    let id = by(crm, "Alpha")[0].id;
    crm.update(id, Fields::new().with("amount", "999")).unwrap();
    let e = crm.undo_import(m.import_id).unwrap_err();
    assert_eq!(e.code(), "conflict");
    assert!(e.to_string().contains(&id.to_string()));
    let j = crm.imports().unwrap();
    assert_eq!(j.len(), 4);
}

fn saved_mappings(b: Backend) {
    let mut t = open(b);
    let crm = &mut t.crm;
    let map =
        [("Name".to_string(), "potentialname".to_string()), ("Stage".into(), "Sales Stage".into()), ("Close".into(), "closingdate".into())]
            .into_iter()
            .collect();
    crm.save_mapping("Opportunities", "mine", &map).unwrap();
    crm.save_mapping("Potentials", "other", &map).unwrap();
    let maps = crm.mappings("Potentials").unwrap();
    assert_eq!(maps.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(), vec!["mine", "other"]);
    let o = ImportOptions { mapping: maps[0].mapping.clone(), has_header: true, ..opts() };
    let r = crm.import_csv("Name;Stage;Close;Junk\nMapped;Prospecting;2027-01-01;zzz\n".as_bytes(), "Potentials", &o, None).unwrap();
    assert_eq!(r.created, 1, "{:#?}", r);
    // Without a header, map by position.
    let o = ImportOptions {
        has_header: false,
        mapping: [("1".to_string(), "potentialname".to_string()), ("2".into(), "sales_stage".into()), ("3".into(), "closingdate".into())]
            .into_iter()
            .collect(),
        ..opts()
    };
    let r = crm.import_csv("NoHeader,Prospecting,2027-01-01\n".as_bytes(), "Potentials", &o, None).unwrap();
    assert_eq!(r.created, 1, "{:#?}", r);
    crm.delete_mapping("Potentials", "MINE").unwrap();
    assert_eq!(crm.mappings("Potentials").unwrap().len(), 1);
    assert_eq!(crm.delete_mapping("Potentials", "mine").unwrap_err().code(), "not_found");
    let bad = [("x".to_string(), "nope".to_string())].into_iter().collect();
    assert!(crm.save_mapping("Potentials", "bad", &bad).is_err());
}

fn vcard(crm: &mut Crm, name: &str, o: &VcardImportOptions) -> crm_core::io::ImportReport {
    crm.import_vcard(read(name).as_slice(), o, None).unwrap()
}

fn contact(crm: &Crm, last: &str) -> crm_core::Record {
    crm.find(Query::new("Contacts").filter(Condition::eq("lastname", last))).unwrap().remove(0)
}

fn vcard_dialects(b: Backend) {
    let mut t = open(b);
    let crm = &mut t.crm;
    let o = VcardImportOptions::default();
    let r = vcard(crm, "contacts_sample.vcf", &o);
    assert_eq!((r.rows, r.created, r.failed), (3, 3, 0), "{:#?}", r.row_reports);
    let ahmad = contact(crm, "Rahimi");
    assert_eq!(ahmad.get("description").to_string(), "Asked for a quote\r\nby Friday");
    assert_eq!(ahmad.get("mobile").to_string(), "+98 935 000 1111");
    assert_eq!(crm.get(ahmad.get("account_id").as_ref_id().unwrap()).unwrap().label, "Parsian Trading Co.");

    let r = vcard(crm, "outlook_21.vcf", &o);
    assert_eq!(r.created, 1, "{:#?}", r.row_reports);
    let j = contact(crm, "Müller");
    assert_eq!(j.get("firstname").to_string(), "Jürgen");
    assert_eq!(j.get("department").to_string(), "Vertrieb");
    assert_eq!(j.get("phone").to_string(), "+49 30 1234567");
    assert_eq!(j.get("mobile").to_string(), "+49 170 7654321");
    assert_eq!(j.get("homephone").to_string(), "+49 30 999");
    assert_eq!(j.get("mailingcity").to_string(), "Berlin");
    assert_eq!(j.get("birthday").to_string(), "1980-03-15");
    assert!(j.get("description").to_string().starts_with("Café line one"), "{:?}", j.get("description"));

    let r = vcard(crm, "apple_30.vcf", &o);
    assert_eq!(r.created, 1, "{:#?}", r.row_reports);
    let a = contact(crm, "Appleseed");
    assert_eq!(a.get("email").to_string(), "johnny@orchard.example");
    assert_eq!(a.get("secondaryemail").to_string(), "johnny.home@example.org");
    assert_eq!(a.get("mobile").to_string(), "+1 (555) 010-2030");
    assert_eq!(a.get("salutationtype").to_string(), "Mr.");
    assert_eq!(a.get("mailingstreet").to_string(), "1 Orchard Lane");
    assert_eq!(a.get("birthday").to_string(), "1975-04-01");
    assert!(a.get("description").to_string().contains("seventy-five octets"), "{:?}", a.get("description"));

    let r = vcard(crm, "google_40.vcf", &o);
    check_sum(&r);
    assert_eq!((r.rows, r.created, r.failed), (5, 3, 2), "{:#?}", r.row_reports);
    assert_eq!(contact(crm, "Scully").get("phone").to_string(), "+1-202-555-0111");
    assert_eq!(contact(crm, "Mulder").get("firstname").to_string(), "Fox");
    assert_eq!(contact(crm, "Skinner").get("firstname").to_string(), "");
    assert_eq!(codes(&r, 4), vec!["invalid_card"]);
    assert_eq!(codes(&r, 5), vec!["invalid_format"]);

    let r = vcard(crm, "broken.vcf", &o);
    check_sum(&r);
    assert!(r.failed >= 1, "{r:#?}");
    for f in ["empty.csv", "garbage.bin"] {
        assert_eq!(crm.import_vcard(read(f).as_slice(), &o, None).unwrap_err().code(), "invalid_argument");
    }
    assert_eq!(crm.import_vcard("hello".as_bytes(), &o, None).unwrap_err().code(), "invalid_argument"); // no card at all
}

fn vcard_duplicates_opportunities_export_and_undo(b: Backend) {
    let mut t = open(b);
    let crm = &mut t.crm;
    let o = VcardImportOptions { opportunity: Some(Default::default()), ..Default::default() };
    let r = vcard(crm, "contacts_sample.vcf", &o);
    assert_eq!(r.created, 3);
    let deals = crm.find(Query::new("Potentials")).unwrap();
    assert_eq!(deals.len(), 3);
    let jane = contact(crm, "Smith");
    let deal = deals.iter().find(|d| d.get("contact_id").as_ref_id() == Some(jane.id)).unwrap();
    assert_eq!(deal.get("potentialname").to_string(), "Acme Corp - new customer");
    assert_eq!(deal.get("related_to"), jane.get("account_id"));

    let again = VcardImportOptions {
        import: ImportOptions { duplicates: Duplicates::Skip, match_on: vec!["email".into()], ..opts() },
        ..Default::default()
    };
    let r = vcard(crm, "contacts_sample.vcf", &again);
    assert_eq!((r.skipped, r.created), (3, 0));
    assert!(r.row_reports.iter().all(|x| x.outcome == Outcome::Skipped));

    for v in [VcardVersion::V3, VcardVersion::V4] {
        let mut out = Vec::new();
        assert_eq!(crm.export_vcard(&mut out, &ExportSelection::All(Query::new("Contacts")), v).unwrap(), 3);
        let text = String::from_utf8(out.clone()).unwrap();
        assert!(text.contains(if v == VcardVersion::V3 { "VERSION:3.0" } else { "VERSION:4.0" }));
        let mut ft = open(Backend::Memory);
        let fresh = &mut ft.crm;
        let r = fresh.import_vcard(out.as_slice(), &VcardImportOptions::default(), None).unwrap();
        assert_eq!(r.created, 3, "{:#?}", r.row_reports);
        let j2 = contact(fresh, "Smith");
        for f in ["firstname", "email", "phone", "title", "mailingcity", "mailingstreet"] {
            assert_eq!(j2.get(f), jane.get(f), "{f}");
        }
    }

    // Undo the first import: contacts, organizations and opportunities go.
    let first = crm.imports().unwrap()[0].id;
    let u = crm.undo_import(first).unwrap();
    assert!(u.deleted >= 9, "{u:?}");
    assert_eq!(crm.count(Query::new("Contacts")).unwrap(), 0);
    assert_eq!(crm.count(Query::new("Potentials")).unwrap(), 0);
    assert_eq!(crm.count(Query::new("Accounts")).unwrap(), 0);
}

fn large_import_in_batches(b: Backend) {
    let mut t = open(b);
    let crm = &mut t.crm;
    let mut csv = String::from("Opportunity Name,Amount,Expected Close Date,Sales Stage\n");
    for i in 0..1200 {
        csv.push_str(&format!("Deal {i},{i}.5,2027-01-01,Prospecting\n"));
    }
    csv.push_str("Broken,abc,2027-01-01,Prospecting\n");
    let mut calls = 0;
    let mut cb = |_n: u64| calls += 1;
    let r = crm.import_csv(csv.as_bytes(), "Potentials", &ImportOptions { batch_size: 100, ..opts() }, Some(&mut cb)).unwrap();
    assert_eq!((r.created, r.failed, r.rows), (1200, 1, 1201));
    assert_eq!(r.row_reports.len(), 1);
    assert!(calls >= 12);
    assert_eq!(crm.count(Query::new("Potentials")).unwrap(), 1200);
}

fn wrong_encoding_after_the_first_chunk_fails_only_its_row(b: Backend) {
    let mut t = open(b);
    let crm = &mut t.crm;
    let mut csv = b"Opportunity Name,Expected Close Date,Sales Stage\n".to_vec();
    for i in 0..3000 {
        csv.extend_from_slice(format!("Deal number {i:05},2027-01-01,Prospecting\n").as_bytes());
    }
    csv.extend_from_slice(b"Caf\xe9 latin1,2027-01-01,Prospecting\nLast,2027-01-01,Prospecting\n");
    assert!(csv.len() > 64 * 1024);
    let r = crm.import_csv(csv.as_slice(), "Potentials", &opts(), None).unwrap();
    check_sum(&r);
    assert_eq!((r.created, r.failed), (3001, 1));
    assert_eq!(r.row_reports[0].line, 3002);
    assert_eq!(r.row_reports[0].problems[0].code, "encoding");
    assert_eq!(r.row_reports[0].problems[0].column.as_deref(), Some("Opportunity Name"));
}

fn dry_run_reports_references_it_would_create_and_writes_nothing(b: Backend) {
    let mut t = open(b);
    let crm = &mut t.crm;
    let o = ImportOptions { create_missing_references: true, add_unknown_picklist_values: true, dry_run: true, ..opts() };
    let csv = "Opportunity Name,Organization Name,Expected Close Date,Sales Stage\nA,Initech,2027-01-01,Prospecting\nB,Initech,2027-01-01,Dreaming\n";
    let r = crm.import_csv(csv.as_bytes(), "Potentials", &o, None).unwrap();
    assert_eq!((r.created, r.failed, r.references_created), (2, 0, 1), "{:#?}", r.row_reports);
    assert_eq!(r.picklist_values_added, vec!["sales_stage: Dreaming"]);
    assert_eq!(r.row_reports[0].problems[0].code, "would_create_reference");
    assert_eq!(r.row_reports[0].outcome, Outcome::Created);
    assert!(r.row_reports[0].fields.contains(&"potentialname".to_string()));
    assert_eq!(crm.count(Query::new("Accounts")).unwrap(), 0);
    assert_eq!(crm.count(Query::new("Potentials")).unwrap(), 0);
    assert!(crm.schema().picklist("sales_stage").unwrap().get("Dreaming").is_none());
    assert!(crm.imports().unwrap().is_empty());
}

fn journal_follows_batches_and_keeps_row_fates(b: Backend) {
    let mut t = open(b);
    let crm = &mut t.crm;
    let o = ImportOptions { create_missing_references: true, batch_size: 5, ..opts() };
    let r = crm.import_csv(read("vtiger_potentials_export.csv").as_slice(), "Potentials", &o, None).unwrap();
    let j = crm.imports().unwrap().into_iter().find(|j| j.id == r.import_id).unwrap();
    assert_eq!(j.status, crm_core::io::ImportStatus::Completed);
    assert_eq!((j.rows, j.created, j.failed), (24, 24, 0));
    let fates = crm.import_rows(r.import_id).unwrap();
    let created = fates.iter().filter(|f| f.action == crm_core::io::RowAction::Created).count();
    let refs = fates.iter().filter(|f| f.action == crm_core::io::RowAction::CreatedReference).count();
    assert_eq!((created, refs as u64), (24, r.references_created));
    assert!(fates.iter().any(|f| f.line == 2));
    // Undo removes the opportunities and the organizations and contacts the import created.
    let u = crm.undo_import(r.import_id).unwrap();
    assert_eq!(u.deleted, 24 + r.references_created);
    assert_eq!(crm.count(Query::new("Accounts")).unwrap(), 0);
    assert_eq!(crm.imports().unwrap().last().unwrap().status, crm_core::io::ImportStatus::Undone);
}

/// A reader that fails after `left` bytes, like a file on a disk that goes away mid-import.
struct Failing {
    data: Vec<u8>,
    pos: usize,
    left: usize,
}

impl std::io::Read for Failing {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Err(std::io::Error::other("disk went away"));
        }
        let n = buf.len().min(self.left).min(self.data.len() - self.pos).min(1000);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        self.left -= n;
        Ok(n)
    }
}

fn an_interrupted_import_leaves_whole_batches_and_can_be_undone(b: Backend) {
    let mut t = open(b);
    let crm = &mut t.crm;
    let mut csv = String::from("Opportunity Name,Expected Close Date,Sales Stage\n");
    for i in 0..4000 {
        csv.push_str(&format!("Deal {i:05},2027-01-01,Prospecting\n"));
    }
    let reader = Failing { data: csv.into_bytes(), pos: 0, left: 100_000 };
    let e = crm.import_csv(reader, "Potentials", &ImportOptions { batch_size: 250, ..opts() }, None).unwrap_err();
    assert!(e.to_string().contains("disk went away"), "{e}");
    let n = crm.count(Query::new("Potentials")).unwrap();
    assert!(n > 0 && n.is_multiple_of(250), "{n} records: only whole batches");
    let j = crm.imports().unwrap().remove(0);
    assert_eq!((j.status, j.created), (crm_core::io::ImportStatus::Running, n));
    assert_eq!(crm.undo_import(j.id).unwrap().deleted, n);
    assert_eq!(crm.count(Query::new("Potentials")).unwrap(), 0);
}

on_every_backend!(
    vtiger_export_imports_without_mapping,
    export_reimports_to_the_same_records,
    export_modes_header_names_bom_dates,
    bad_input_files,
    persian_digits_jalali_and_european_numbers,
    duplicates_undo_and_dry_run,
    saved_mappings,
    vcard_dialects,
    vcard_duplicates_opportunities_export_and_undo,
    large_import_in_batches,
    wrong_encoding_after_the_first_chunk_fails_only_its_row,
    dry_run_reports_references_it_would_create_and_writes_nothing,
    journal_follows_batches_and_keeps_row_fates,
    an_interrupted_import_leaves_whole_batches_and_can_be_undone,
);
