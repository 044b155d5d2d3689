//! Compiled conditions ([`crm_core::Matcher`]) give exactly the result of the tracing evaluator, on every
//! storage backend.

use crm_core::workflow::condition::Cond;
use crm_core::{Crm, Fields, NewUser, Query, Record};
use support::{Backend, TestCrm};

mod support;

/// A CRM on `b` with `admin` acting, the user `sam` and the account Hooli.
fn open(b: Backend) -> TestCrm {
    let mut t = b.crm();
    t.crm.add_user(NewUser::new("sam").full_name("Sam Seller").email("sam@example.com")).unwrap();
    t.crm.create("Accounts", Fields::new().with("accountname", "Hooli")).unwrap();
    t
}

fn records(crm: &mut Crm) -> Vec<Record> {
    let rows: [(&str, &str, &str, &str, &str, &str); 8] = [
        ("Alpha renewal", "1000.00", "Prospecting", "2027-03-31", "admin", "Renewal, multi-year"),
        ("beta PILOT", "250000.50", "Closed Won", "2027-01-01", "sam", ""),
        ("Café Zürich", "999.99", "Negotiation or Review", "2026-12-31", "admin", "Café, Zürich office"),
        ("Gamma", "1000", "Closed Lost", "2027-06-15", "sam", "Quoted \"premium\" tier"),
        ("Delta", "", "Qualification", "2027-03-31", "admin", "   "),
        ("epsilon renewal", "0", "Prospecting", "2028-02-29", "sam", "renewal"),
        ("چند ساله", "5000.25", "Value Proposition", "2027-03-30", "admin", "چند ساله"),
        ("Zeta", "1500", "Proposal or Price Quote", "2027-04-01", "sam", "Pilot"),
    ];
    for (name, amount, stage, close, owner, note) in rows {
        let mut f = Fields::new()
            .with("potentialname", name)
            .with("related_to", "Hooli")
            .with("sales_stage", stage)
            .with("closingdate", close)
            .with("assigned_user_id", owner)
            .with("description", note);
        if !amount.is_empty() {
            f.set("amount", amount);
        }
        crm.create("Potentials", f).unwrap();
    }
    crm.find(Query::new("Potentials")).unwrap()
}

fn row(field: &str, op: &str, value: &str, join: &str, group: u32) -> String {
    serde_json::json!({"fieldname": field, "operation": op, "value": value, "valuetype": "rawtext",
        "joincondition": join, "groupid": group, "groupjoin": "and"})
    .to_string()
}

/// Conditions the fast path handles (every test compiles), with the names of the records they select.
fn fast_cases() -> Vec<(String, Vec<&'static str>)> {
    let one = |f: &str, op: &str, v: &str| format!("[{}]", row(f, op, v, "", 0));
    vec![
        (one("amount", "greater than", "1000"), vec!["beta PILOT", "چند ساله", "Zeta"]),
        (one("amount", "greater than or equal to", "1000.00"), vec!["Alpha renewal", "beta PILOT", "Gamma", "چند ساله", "Zeta"]),
        (one("amount", "less than", "1000"), vec!["Café Zürich", "epsilon renewal"]),
        (one("amount", "is", "1000"), vec!["Alpha renewal", "Gamma"]),
        (one("amount", "is not", "1000"), vec!["beta PILOT", "Café Zürich", "Delta", "epsilon renewal", "چند ساله", "Zeta"]),
        (one("amount", "is empty", ""), vec!["Delta"]),
        (one("amount", "is", ""), vec!["Delta"]),
        (one("sales_stage", "is", "Prospecting"), vec!["Alpha renewal", "epsilon renewal"]),
        (one("potentialname", "contains", "RENEWAL"), vec!["Alpha renewal", "epsilon renewal"]),
        (one("potentialname", "starts with", "be"), vec!["beta PILOT"]),
        (one("potentialname", "ends with", "pilot"), vec!["beta PILOT"]),
        (one("description", "does not contain", "renewal"), vec!["beta PILOT", "Café Zürich", "Gamma", "Delta", "چند ساله", "Zeta"]),
        (one("description", "contains", "zürich"), vec!["Café Zürich"]),
        (one("description", "is not empty", ""), vec!["Alpha renewal", "Café Zürich", "Gamma", "epsilon renewal", "چند ساله", "Zeta"]),
        (one("closingdate", "before", "2027-03-31"), vec!["beta PILOT", "Café Zürich", "چند ساله"]),
        (one("closingdate", "after", "2027-03-31"), vec!["Gamma", "epsilon renewal", "Zeta"]),
        (one("assigned_user_id", "is", "sam"), vec!["beta PILOT", "Gamma", "epsilon renewal", "Zeta"]),
        (
            format!(
                "[{},{},{}]",
                row("amount", "greater than", "900", "and", 0),
                row("sales_stage", "is", "Closed Won", "or", 0),
                row("sales_stage", "is", "Prospecting", "", 0)
            ),
            vec!["beta PILOT", "Alpha renewal", "epsilon renewal"],
        ),
        (
            format!("[{},{}]", row("amount", "greater than", "900", "", 0), row("potentialname", "contains", "a", "", 1)),
            vec!["Alpha renewal", "beta PILOT", "Café Zürich", "Gamma", "Zeta"],
        ),
    ]
}

/// Conditions with tests left to the ordinary evaluator.
fn slow_cases() -> Vec<String> {
    vec![
        format!("[{}]", row("closingdate", "between", "2027-01-01,2027-03-31", "", 0)),
        format!("[{}]", row("(related_to : (Accounts) accountname)", "is", "Hooli", "", 0)),
        format!("[{}]", row("closingdate", "more than days later", "10", "", 0)),
        format!("[{}]", row("sales_stage", "has changed", "", "", 0)),
        r#"[{"fieldname":"amount","operation":"greater than","value":"probability * 10","valuetype":"expression","joincondition":"","groupid":"0"}]"#.to_string(),
    ]
}

/// The record with its values kept by name only (no slot layout), as a caller may build one.
fn plain(r: &Record) -> Record {
    let values: std::collections::BTreeMap<String, crm_core::Value> = r.values.clone().into();
    Record { values: values.into(), ..r.clone() }
}

fn compiled_conditions_agree_with_the_tracing_evaluator(b: Backend) {
    let kind = b.name();
    let mut t = open(b);
    let crm = &mut t.crm;
    let recs = records(crm);
    // Records as the store hands them out keep their values in the module's slot layout (read by slot);
    // the same records by name only must give the same results.
    let by_get: Vec<Record> = recs.iter().map(|r| crm.get(r.id).unwrap()).collect();
    let plains: Vec<Record> = recs.iter().map(plain).collect();
    let m = crm.matcher("Potentials").unwrap();
    for r in recs.iter().chain(&by_get) {
        assert_eq!(r.values.layout().map(|l| l.fingerprint()), Some(m.row_layout().fingerprint()), "{kind}: {}", r.label);
    }
    assert!(plains.iter().all(|r| r.values.layout().is_none()));
    assert_eq!(by_get, recs);
    assert_eq!(plains, recs);
    for (json, want) in fast_cases() {
        let cond = Cond::from_vtiger(&json, crm.module("Potentials").unwrap()).unwrap();
        let compiled = m.compile_vtiger(&json).unwrap();
        assert_eq!(compiled.slow_tests(), 0, "{json}");
        for ((r, g), p) in recs.iter().zip(&by_get).zip(&plains) {
            let hit = m.matches(&compiled, r);
            assert_eq!(m.matches(&compiled, g), hit, "{kind}: {json} on {} (read by id)", r.label);
            assert_eq!(m.matches(&compiled, p), hit, "{kind}: {json} on {} (values by name)", r.label);
            assert_eq!(m.matches_uncompiled(&cond, p), hit, "{kind}: {json} on {} (tracing, values by name)", r.label);
        }
        let mut got: Vec<&str> = recs.iter().filter(|r| m.matches(&compiled, r)).map(|r| r.label.as_str()).collect();
        let mut slow: Vec<&str> = recs.iter().filter(|r| m.matches_uncompiled(&cond, r)).map(|r| r.label.as_str()).collect();
        let mut want = want;
        got.sort_unstable();
        slow.sort_unstable();
        want.sort_unstable();
        assert_eq!(got, want, "{kind}: {json}");
        assert_eq!(slow, want, "{kind}: tracing evaluator, {json}");
    }
    for json in slow_cases() {
        let cond = Cond::from_vtiger(&json, crm.module("Potentials").unwrap()).unwrap();
        let compiled = m.compile(&cond).unwrap();
        assert_eq!(compiled.slow_tests(), 1, "{json}");
        for (r, p) in recs.iter().zip(&plains) {
            assert_eq!(m.matches(&compiled, r), m.matches_uncompiled(&cond, r), "{kind}: {json} on {}", r.label);
            assert_eq!(m.matches(&compiled, p), m.matches_uncompiled(&cond, r), "{kind}: {json} on {} (values by name)", r.label);
        }
    }
}

fn matcher_compiles_and_evaluates_expressions(b: Backend) {
    let mut t = open(b);
    let crm = &mut t.crm;
    let recs = records(crm);
    let m = crm.matcher("Potentials").unwrap();
    let e = m.expression("amount * 2").unwrap();
    let alpha = recs.iter().find(|r| r.label == "Alpha renewal").unwrap();
    assert_eq!(m.eval(&e, alpha).unwrap().text(), "2000.00");
    assert!(m.expression("no_such_field + 1").is_err());
    assert!(m.compile_vtiger(&format!("[{}]", row("no_such_field", "is", "x", "", 0))).is_err());
    assert!(crm.matcher("NoSuchModule").is_err());
}

fn matching_and_evaluate_by_id(b: Backend) {
    use crm_core::rust_decimal::Decimal;
    use crm_core::{RecordId, Value};
    let kind = b.name();
    let mut t = open(b);
    let crm = &mut t.crm;
    let recs = records(crm);
    let id = |label: &str| recs.iter().find(|r| r.label == label).unwrap().id;
    let all: Vec<RecordId> = recs.iter().map(|r| r.id).collect();
    let cond = format!("[{}]", row("amount", "greater than", "1000", "", 0));
    let mut got = crm.matching("Potentials", &cond, &all).unwrap();
    got.sort_unstable();
    let mut want = vec![id("beta PILOT"), id("چند ساله"), id("Zeta")];
    want.sort_unstable();
    assert_eq!(got, want, "{kind}");
    // Order and repeats follow the ids given; an empty list matches nothing.
    let got = crm.matching("Opportunities", &cond, &[id("Zeta"), id("Alpha renewal"), id("Zeta")]).unwrap();
    assert_eq!(got, vec![id("Zeta"), id("Zeta")], "{kind}");
    assert!(crm.matching("Potentials", &cond, &[]).unwrap().is_empty());
    // Unknown ids, records of another module and deleted records are NotFound; so is an unknown module.
    let account = crm.find(Query::new("Accounts")).unwrap()[0].id;
    for bad in [RecordId(999_999), account] {
        let e = crm.matching("Potentials", &cond, &[id("Zeta"), bad]).unwrap_err();
        assert_eq!(e.code(), "not_found", "{kind}: {e}");
    }
    crm.delete(id("Gamma")).unwrap();
    assert_eq!(crm.matching("Potentials", &cond, &[id("Gamma")]).unwrap_err().code(), "not_found");
    assert_eq!(crm.matching("NoSuchModule", &cond, &all).unwrap_err().code(), "not_found");
    let bad_cond = format!("[{}]", row("no_such_field", "is", "x", "", 0));
    assert_eq!(crm.matching("Potentials", &bad_cond, &all).unwrap_err().code(), "invalid_argument");

    let alpha = id("Alpha renewal");
    assert_eq!(crm.evaluate("Potentials", "amount * 2", alpha).unwrap(), Value::Decimal(Decimal::new(200_000, 2)));
    assert_eq!(crm.evaluate("Potentials", "concat(potentialname, '!')", alpha).unwrap(), Value::Text("Alpha renewal!".into()));
    assert_eq!(crm.evaluate("Potentials", "amount > 500", alpha).unwrap(), Value::Bool(true));
    assert_eq!(crm.evaluate("Potentials", "amount", id("Delta")).unwrap(), Value::Null);
    assert_eq!(crm.evaluate("Potentials", "amount + nope(1)", alpha).unwrap_err().code(), "invalid_argument");
    assert_eq!(crm.evaluate("Potentials", "amount", account).unwrap_err().code(), "not_found");
    assert_eq!(crm.evaluate("Potentials", "amount", id("Gamma")).unwrap_err().code(), "not_found");
}

// ----- rows (bulk condition evaluation) -----

/// Every case above gives the same result on rows (read by the store, and converted from records) as on
/// records; `count_matching` counts what `matching` selects; rows of another layout are refused.
fn rows_agree_with_records(b: Backend) {
    let kind = b.name();
    let mut t = open(b);
    let crm = &mut t.crm;
    let recs = records(crm);
    let ids: Vec<crm_core::RecordId> = recs.iter().map(|r| r.id).collect();
    let m = crm.matcher("Potentials").unwrap();
    let mut rows = Vec::new();
    m.scan_rows(Query::new("Potentials"), &mut |r| {
        rows.push(r);
        true
    })
    .unwrap();
    assert_eq!(rows.iter().map(|r| r.id).collect::<Vec<_>>(), ids, "{kind}");
    let jsons: Vec<String> = fast_cases().into_iter().map(|(j, _)| j).chain(slow_cases()).collect();
    for json in &jsons {
        let compiled = match m.compile_vtiger(json) {
            Ok(c) => c,
            Err(_) => m.compile(&Cond::from_vtiger(json, crm.module("Potentials").unwrap()).unwrap()).unwrap(),
        };
        let mut batch = crm_core::Rows::new(m.row_layout());
        for row in &rows {
            batch.push(row.clone()).unwrap();
        }
        let mut hits = 0;
        for (i, (r, row)) in recs.iter().zip(&rows).enumerate() {
            let want = m.matches(&compiled, r);
            hits += u64::from(want);
            assert_eq!(m.matches_at(&compiled, &batch, i).unwrap(), want, "{kind}: {json} on {} (column-major)", r.label);
            assert_eq!(m.matches_row(&compiled, row).unwrap(), want, "{kind}: {json} on {}", r.label);
            let converted = crm_core::Row::from_record(m.row_layout(), r).unwrap();
            assert_eq!(m.matches_row(&compiled, &converted).unwrap(), want, "{kind}: {json} on {}", r.label);
        }
        assert_eq!(m.count_in(&compiled, &batch).unwrap(), hits, "{kind}: {json}");
        assert!(!m.matches_at(&compiled, &batch, batch.len()).unwrap());
        if !json.contains("has changed") {
            let n = crm.count_matching("Potentials", json).unwrap();
            assert_eq!(n, crm.matching("Potentials", json, &ids).unwrap().len() as u64, "{kind}: {json}");
        }
    }
    // A row of another module is refused, not misread.
    let accounts = crm.matcher("Accounts").unwrap();
    let mut account_rows = Vec::new();
    accounts
        .scan_rows(Query::new("Accounts"), &mut |r| {
            account_rows.push(r);
            true
        })
        .unwrap();
    let compiled = m.compile_vtiger(&fast_cases()[0].0).unwrap();
    assert_eq!(m.matches_row(&compiled, &account_rows[0]).unwrap_err().code(), "invalid_argument");
    let mut account_batch = crm_core::Rows::new(accounts.row_layout());
    account_batch.push(account_rows[0].clone()).unwrap();
    assert_eq!(m.count_in(&compiled, &account_batch).unwrap_err().code(), "invalid_argument");
    assert_eq!(m.scan_rows(Query::new("Accounts"), &mut |_| true).unwrap_err().code(), "invalid_argument");
    // Stopping early: the callback's `false` ends the scan.
    let mut seen = 0;
    m.scan_rows(Query::new("Potentials"), &mut |_| {
        seen += 1;
        seen < 3
    })
    .unwrap();
    assert_eq!(seen, 3);
    assert_eq!(crm.count_matching("NoSuchModule", "[]").unwrap_err().code(), "not_found");
    // Deleted records are not counted.
    let cond = format!("[{}]", row("amount", "greater than", "1000", "", 0));
    assert_eq!(crm.count_matching("Potentials", &cond).unwrap(), 3);
    let zeta = recs.iter().find(|r| r.label == "Zeta").unwrap().id;
    drop(m);
    crm.delete(zeta).unwrap();
    assert_eq!(crm.count_matching("Potentials", &cond).unwrap(), 2);
}

on_every_backend!(
    compiled_conditions_agree_with_the_tracing_evaluator,
    matcher_compiles_and_evaluates_expressions,
    matching_and_evaluate_by_id,
    rows_agree_with_records,
);
