//! Every documented limit of `crm_core::limits` is enforced with a typed error instead of unbounded work.
//! Storage-touching checks run on every storage backend.

use crm_core::io::{ImportOptions, Outcome};
use crm_core::limits::*;
use crm_core::workflow::condition::Cond;
use crm_core::workflow::expr::Expr;
use crm_core::{Crm, Fields, NewUser, ValidationCode, VcardImportOptions};
use support::{Backend, TestCrm};

mod support;

/// A new engine on `b`, acting as `admin`.
fn open(b: Backend) -> TestCrm {
    let mut t = b.bare();
    t.crm.add_user(NewUser::new("admin").full_name("Administrator")).unwrap();
    t.crm.set_actor("admin").unwrap();
    t
}

fn deal(description: &str) -> Fields {
    Fields::new()
        .with("potentialname", "Deal")
        .with("amount", "10")
        .with("sales_stage", "Prospecting")
        .with("closingdate", "2027-01-01")
        .with("description", description)
}

/// Runs `f` on a thread with a small (1 MiB) stack: a limit that only holds on a big stack fails here.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new().stack_size(1 << 20).spawn(f).unwrap().join().expect("overflowed or panicked")
}

fn text_without_a_length_of_its_own_is_capped(b: Backend) {
    let mut t = open(b);
    let crm = &mut t.crm;
    let ok = "é".repeat(MAX_TEXT_CHARS); // characters, not bytes
    let rec = crm.create("Potentials", deal(&ok)).unwrap();
    assert_eq!(crm.get(rec.id).unwrap().get("description").to_string(), ok);
    let e = crm.create("Potentials", deal(&"x".repeat(MAX_TEXT_CHARS + 1))).unwrap_err();
    assert_eq!(e.code(), "validation");
    assert_eq!((e.field_errors()[0].field.as_str(), e.field_errors()[0].code), ("description", ValidationCode::TooLong));
    // A field's own max_length still applies (potentialname: 255 as in vtiger).
    let e = crm.update(rec.id, Fields::new().with("potentialname", "n".repeat(256))).unwrap_err();
    assert_eq!(e.field_errors()[0].code, ValidationCode::TooLong);
    // E-mail and URL fields are capped before their format is checked.
    let long_mail = format!("{}@example.com", "a".repeat(MAX_TEXT_CHARS));
    let e = crm.create("Contacts", Fields::new().with("lastname", "L").with("email", long_mail)).unwrap_err();
    assert_eq!(e.field_errors()[0].code, ValidationCode::TooLong);
}

#[test]
fn expression_length_tokens_and_depth() {
    let crm = Crm::open(":memory:").unwrap();
    let m = crm.module("Potentials").unwrap().clone();
    let err = |src: String| Expr::compile(&src, &m).unwrap_err();
    // Within the limits.
    Expr::compile(&format!("{}1{}", "(".repeat(MAX_EXPRESSION_DEPTH), ")".repeat(MAX_EXPRESSION_DEPTH)), &m).unwrap();
    Expr::compile(&vec!["amount"; 60].join(" + "), &m).unwrap();
    // Too long.
    let e = err(format!("'{}'", "x".repeat(MAX_EXPRESSION_CHARS)));
    assert_eq!(e.code(), "invalid_argument");
    assert!(e.to_string().contains("characters long"), "{e}");
    // Too many tokens.
    assert!(err(vec!["1"; MAX_EXPRESSION_TOKENS / 2 + 1].join("+")).to_string().contains("tokens"));
    // Too deep: parentheses, ifs, unary runs, long operator chains; none may overflow a small stack.
    for src in [
        format!("{}1{}", "(".repeat(MAX_EXPRESSION_DEPTH + 1), ")".repeat(MAX_EXPRESSION_DEPTH + 1)),
        format!("{}1{}", "(".repeat(5000), ")".repeat(5000)),
        format!("{}1{}", "if 1 then ".repeat(40), " else 0 end".repeat(40)),
        format!("{}1", "- ".repeat(3000)),
        format!("{}1", "not ".repeat(3000)),
        format!("{}1", "concat(".repeat(40)) + &")".repeat(40),
        vec!["amount"; 500].join(" - "),
    ] {
        let m = m.clone();
        let msg = on_small_stack(move || Expr::compile(&src, &m).unwrap_err().to_string());
        assert!(msg.contains("levels") || msg.contains("tokens") || msg.contains("characters"), "{msg}");
    }
}

#[test]
fn condition_rows_and_depth() {
    let crm = Crm::open(":memory:").unwrap();
    let m = crm.module("Potentials").unwrap().clone();
    let row = r#"{"fieldname":"amount","operation":"greater than","value":"1","valuetype":"rawtext","joincondition":"and","groupjoin":"and","groupid":"0"}"#;
    let json = |n: usize| format!("[{}]", vec![row; n].join(","));
    Cond::from_vtiger(&json(MAX_CONDITION_ROWS), &m).unwrap();
    let e = Cond::from_vtiger(&json(MAX_CONDITION_ROWS + 1), &m).unwrap_err();
    assert_eq!(e.code(), "invalid_argument");
    assert!(e.to_string().contains("rows"), "{e}");
    // A tree nested deeper than the limit (as crm's own workflow JSON can express it) is refused.
    let leaf = Cond::from_vtiger(&json(1), &m).unwrap();
    let mut deep = leaf.clone();
    for _ in 0..MAX_CONDITION_DEPTH {
        deep = Cond::Not(Box::new(deep));
    }
    assert!(deep.check(&m).unwrap_err().to_string().contains("deeper"));
    let mut ok = leaf;
    for _ in 1..MAX_CONDITION_DEPTH {
        ok = Cond::All(vec![ok]);
    }
    ok.check(&m).unwrap();
    // Deeply nested JSON stops at serde_json's recursion limit, on a small stack too.
    let nested = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let m2 = m.clone();
    assert!(on_small_stack(move || Cond::from_vtiger(&nested, &m2).is_err()));
}

fn csv_rows(n: usize) -> String {
    let mut s = String::from("Opportunity Name,Amount,Sales Stage,Expected Close Date\n");
    for i in 0..n {
        s.push_str(&format!("Deal {i},10,Prospecting,2027-01-01\n"));
    }
    s
}

fn csv_record_length(b: Backend) {
    let mut t = open(b);
    let crm = &mut t.crm;
    // An unclosed quote makes the rest of the file one record: refused once it passes the limit.
    let mut file = csv_rows(3);
    file.push_str("\"Unclosed,10,Prospecting,2027-01-01\n");
    file.push_str(&"more text inside the quote\n".repeat(2000)); // 54 KB
    let o = ImportOptions { max_record_bytes: 10_000, ..Default::default() };
    let e = crm.import_csv(file.as_bytes(), "Potentials", &o, None).unwrap_err();
    assert_eq!(e.code(), "invalid_argument");
    assert!(e.to_string().contains("max_record_bytes") && e.to_string().contains("line 5"), "{e}");
    // The default limit (1 MiB) holds for a 2 MiB cell.
    let file = format!("{}\"{}\",10,Prospecting,2027-01-01\n", csv_rows(0), "x".repeat(2 << 20));
    let e = crm.import_csv(file.as_bytes(), "Potentials", &ImportOptions::default(), None).unwrap_err();
    assert!(e.to_string().contains("max_record_bytes"), "{e}");
    // The same file imports (with the cell failing as too long) when the host raises the limit.
    let o = ImportOptions { max_record_bytes: 4 << 20, ..Default::default() };
    let r = crm.import_csv(file.as_bytes(), "Potentials", &o, None).unwrap();
    assert_eq!((r.rows, r.failed), (1, 1));
    assert_eq!(r.row_reports[0].problems[0].code, "too_long");
}

fn rows_per_import(b: Backend) {
    let mut t = open(b);
    let crm = &mut t.crm;
    let o = ImportOptions { max_rows: 3, ..Default::default() };
    let r = crm.import_csv(csv_rows(5).as_bytes(), "Potentials", &o, None).unwrap();
    assert_eq!((r.rows, r.created, r.failed), (4, 3, 1));
    assert_eq!(r.row_reports.last().map(|x| (x.line, x.outcome, x.problems[0].code.as_str())), Some((5, Outcome::Failed, "limit")));
    assert!(r.warnings.iter().any(|w| w.contains("max_rows")));
    // The import is whole up to the limit and can be undone.
    crm.undo_import(r.import_id).unwrap();
    // vCards count as rows too.
    let card = |n: usize| format!("BEGIN:VCARD\nVERSION:3.0\nFN:P{n}\nN:P{n};;;;\nEND:VCARD\n");
    let file: String = (0..4).map(card).collect();
    let mut vo = VcardImportOptions::default();
    vo.import.max_rows = 2;
    let r = crm.import_vcard(file.as_bytes(), &vo, None).unwrap();
    assert_eq!((r.rows, r.created, r.failed), (3, 2, 1));
}

#[test]
fn options_json_names_the_limits() {
    let o = ImportOptions::from_json(r#"{"max_rows": 10, "max_record_bytes": 2048}"#).unwrap();
    assert_eq!((o.max_rows, o.max_record_bytes), (10, 2048));
    let d = ImportOptions::default();
    assert_eq!((d.max_rows, d.max_record_bytes), (MAX_IMPORT_ROWS, MAX_CSV_RECORD_BYTES));
}

on_every_backend!(text_without_a_length_of_its_own_is_capped, csv_record_length, rows_per_import,);
