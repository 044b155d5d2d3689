//! Hardening of what files and callers hand in: text holding NUL is refused the same way on every store,
//! garbage lines between good records fail one by one (the good records import), and import options are
//! range-checked with an error naming the option instead of a panic.

mod support;
use crm_core::io::{ImportOptions, Outcome};
use crm_core::{Crm, NewCustomerOpportunity, Query, VcardImportOptions};
use support::Backend;

fn potential_names(crm: &Crm) -> Vec<String> {
    let mut v: Vec<String> = crm.find(Query::new("Potentials")).unwrap().iter().map(|r| r.get("potentialname").to_string()).collect();
    v.sort();
    v
}

/// The failed rows of a report: (line, codes).
fn failures(r: &crm_core::io::ImportReport) -> Vec<(u64, Vec<String>)> {
    r.row_reports
        .iter()
        .filter(|x| x.outcome == Outcome::Failed)
        .map(|x| (x.line, x.problems.iter().map(|p| p.code.clone()).collect()))
        .collect()
}

/// A CSV row holding NUL fails with `invalid_format` on its line; the rows around it import.
fn csv_row_with_nul_fails_alone(b: Backend) {
    let mut t = b.crm();
    let csv = "Opportunity Name,Expected Close Date,Sales Stage,Description\n\
               One,2027-01-01,Prospecting,a\n\
               Two\0,2027-01-01,Prospecting,b\n\
               Three,2027-01-01,Prospecting,c\0d\n\
               Four,2027-01-01,Prospecting,e\n";
    let r = t.crm.import_csv(csv.as_bytes(), "Potentials", &ImportOptions::default(), None).unwrap();
    assert_eq!((r.created, r.failed), (2, 2), "{r:#?}");
    assert_eq!(failures(&r), vec![(3, vec!["invalid_format".to_string()]), (4, vec!["invalid_format".to_string()])]);
    let fields: Vec<Option<String>> = r.row_reports.iter().map(|x| x.problems[0].field.clone()).collect();
    assert_eq!(fields, vec![Some("potentialname".to_string()), Some("description".to_string())]);
    assert_eq!(potential_names(&t.crm), vec!["Four", "One"]);
}

/// A CSV file with lines of binary garbage between good rows imports the good rows and reports each
/// garbage line with its number; only a file that is garbage from its first line is refused.
fn csv_garbage_lines_between_good_rows(b: Backend) {
    let mut t = b.crm();
    let mut csv = b"Opportunity Name,Expected Close Date,Sales Stage\nOne,2027-01-01,Prospecting\n".to_vec();
    csv.extend_from_slice(b"\x00\x01\xff\xfe\x89PNG\x1a garbage\n");
    csv.extend_from_slice(b"Two,2027-01-01,Prospecting\n");
    csv.extend_from_slice(b"\x07\x00,\xc3\x28,\x1b[0m\n");
    csv.extend_from_slice(b"Three,2027-01-01,Prospecting\n");
    let r = t.crm.import_csv(csv.as_slice(), "Potentials", &ImportOptions::default(), None).unwrap();
    assert_eq!((r.rows, r.created, r.failed), (5, 3, 2), "{r:#?}");
    let lines: Vec<u64> = failures(&r).iter().map(|f| f.0).collect();
    assert_eq!(lines, vec![3, 5]);
    assert_eq!(potential_names(&t.crm), vec!["One", "Three", "Two"]);
    // Garbage from the first line on: refused whole, nothing written.
    let e = t.crm.import_csv(&b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"[..], "Potentials", &ImportOptions::default(), None).unwrap_err();
    assert_eq!(e.code(), "invalid_argument", "{e}");
}

fn card(name: &str, extra: &str) -> String {
    format!("BEGIN:VCARD\r\nVERSION:3.0\r\nN:{name};Ann;;;\r\nFN:Ann {name}\r\n{extra}END:VCARD\r\n")
}

fn contact_names(crm: &Crm) -> Vec<String> {
    let mut v: Vec<String> = crm.find(Query::new("Contacts")).unwrap().iter().map(|r| r.get("lastname").to_string()).collect();
    v.sort();
    v
}

/// A vCard file with a line of binary garbage between good cards imports the good cards and reports the
/// garbage line with its line number; a card holding NUL fails alone; a file with no card is refused.
fn vcard_garbage_lines_between_good_cards(b: Backend) {
    let mut t = b.crm();
    let mut file = card("Alpha", "").into_bytes();
    file.extend_from_slice(b"\x00\x01\xff\xfe\x89PNG\x1a garbage\r\n"); // line 6
    file.extend_from_slice(card("Beta", "").as_bytes());
    file.extend_from_slice(card("Gamma", "NOTE:a\0b\r\n").as_bytes());
    file.extend_from_slice(b"more \x00 junk\r\n"); // line 18
    file.extend_from_slice(card("Delta", "").as_bytes());
    let r = t.crm.import_vcard(file.as_slice(), &VcardImportOptions::default(), None).unwrap();
    assert_eq!((r.created, r.failed), (3, 3), "{r:#?}");
    let messages: Vec<String> = r.row_reports.iter().flat_map(|x| x.problems.iter().map(|p| format!("{} {}", p.code, p.message))).collect();
    assert!(messages.iter().any(|m| m.contains("line 6:")), "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("line 18:")), "{messages:?}");
    assert!(messages.iter().any(|m| m.starts_with("invalid_format")), "{messages:?}");
    assert_eq!(contact_names(&t.crm), vec!["Alpha", "Beta", "Delta"]);
    // No card at all (text or binary): refused.
    for f in [&b"hello\r\n"[..], &b"\x00\x01\x02binary"[..]] {
        assert_eq!(t.crm.import_vcard(f, &VcardImportOptions::default(), None).unwrap_err().code(), "invalid_argument");
    }
}

/// Import options out of range are refused with an error naming the option (a huge `close_in_days`
/// panicked in the date arithmetic and left the handle unusable); the handle keeps working.
fn import_options_are_range_checked(b: Backend) {
    let mut t = b.crm();
    for days in [u32::MAX, 36_501, 3_000_000] {
        let o = VcardImportOptions {
            opportunity: Some(NewCustomerOpportunity { close_in_days: days, ..Default::default() }),
            ..Default::default()
        };
        let e = t.crm.import_vcard(card("Omega", "").as_bytes(), &o, None).unwrap_err();
        assert_eq!(e.code(), "invalid_argument", "{e}");
        assert!(e.to_string().contains("close_in_days"), "{e}");
    }
    let o = VcardImportOptions {
        opportunity: Some(NewCustomerOpportunity { close_in_days: 36_500, ..Default::default() }),
        ..Default::default()
    };
    assert_eq!(t.crm.import_vcard(card("Omega", "").as_bytes(), &o, None).unwrap().created, 1);
    let csv = "Opportunity Name,Expected Close Date,Sales Stage\nOne,2027-01-01,Prospecting\n";
    for (o, name) in [
        (ImportOptions { batch_size: usize::MAX, ..Default::default() }, "batch_size"),
        (ImportOptions { decimal_separator: ',', thousands_separator: Some(','), ..Default::default() }, "separator"),
        (ImportOptions { decimal_separator: '7', ..Default::default() }, "separator"),
    ] {
        let e = t.crm.import_csv(csv.as_bytes(), "Potentials", &o, None).unwrap_err();
        assert_eq!(e.code(), "invalid_argument", "{e}");
        assert!(e.to_string().contains(name), "{e}");
        let v = VcardImportOptions { import: o, ..Default::default() };
        assert!(t.crm.import_vcard(card("Zeta", "").as_bytes(), &v, None).unwrap_err().to_string().contains(name));
    }
    assert!(ImportOptions::from_json(r#"{"batch_size": 18446744073709551615}"#).unwrap_err().to_string().contains("batch_size"));
    // The handle is still usable.
    assert_eq!(t.crm.import_csv(csv.as_bytes(), "Potentials", &ImportOptions::default(), None).unwrap().created, 1);
}

on_every_backend!(
    csv_row_with_nul_fails_alone,
    csv_garbage_lines_between_good_rows,
    vcard_garbage_lines_between_good_cards,
    import_options_are_range_checked,
);
