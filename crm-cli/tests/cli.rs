//! The built `crm` binary on the sample files: its output, its `--json` shapes, its exit codes, and the
//! SVG chart (parsed as XML). The samples are crm-core's test data; SQLite files in a temporary folder; one test on PostgreSQL when
//! `CRM_TEST_POSTGRES_URL` names a server.

use serde_json::Value as J;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A sample file of the repository (crm-core's test data: a vtiger export, vCards).
fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../crm-core/tests/data").join(name)
}

fn csv() -> PathBuf {
    sample("vtiger_potentials_export.csv")
}

fn crm(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_crm")).arg("--db").arg(db).args(args).output().expect("the crm binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8 output")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("utf-8 errors")
}

fn json(o: &Output) -> J {
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(o)))
}

/// A store with the sample CSV imported; returns the folder (keep it alive) and the database path.
fn imported() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sales.db");
    let o = crm(&db, &["import", csv().to_str().unwrap(), "--create-missing-references"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    (dir, db)
}

#[test]
fn import_prints_a_summary_and_json_gives_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sales.db");
    let csv = csv();
    let dry = json(&crm(&db, &["--json", "import", csv.to_str().unwrap(), "--dry-run", "--create-missing-references"]));
    assert_eq!((dry["dry_run"].as_bool(), dry["import_id"].as_i64(), dry["rows"].as_u64()), (Some(true), Some(0), Some(24)));
    let o = crm(&db, &["import", csv.to_str().unwrap(), "--create-missing-references"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("(import ") && text.contains(": 24 rows"), "{text}");
    // The sample names a group "Sales Team" that this store does not have: those rows fail, with the column.
    assert!(text.contains("no user or group named 'Sales Team'") && text.contains("Assigned To"), "{text}");
    assert!(text.contains("undo-import"), "{text}");
    let report = json(&crm(&db, &["--json", "import", csv.to_str().unwrap(), "--duplicates", "skip", "--match-on", "potentialname"]));
    for key in ["import_id", "rows", "created", "updated", "merged", "skipped", "failed", "warnings", "row_reports", "mapping"] {
        assert!(report.get(key).is_some(), "no {key} in {report}");
    }
    assert_eq!(report["rows"].as_u64(), Some(24));
    assert_eq!(report["created"].as_u64(), Some(0), "every row matches a record created by the first import: {report}");
    assert_eq!(report["skipped"].as_u64(), Some(14));
}

#[test]
fn import_options_are_checked_by_the_engine() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sales.db");
    let o = crm(&db, &["import", csv().to_str().unwrap(), "--delimiter", "colon"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("crm: invalid_argument:") && err.contains("delimiter: unknown value 'colon'"), "{err}");
    let o = crm(&db, &["--json", "import", csv().to_str().unwrap(), "--duplicates", "replace"]);
    assert_eq!(o.status.code(), Some(1));
    let e: J = serde_json::from_slice(&o.stderr).unwrap();
    assert_eq!(e["error"]["kind"], "invalid_argument");
    assert!(e["error"]["message"].as_str().unwrap().contains("duplicates"), "{e}");
    let o = crm(&db, &["import", dir.path().join("missing.csv").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).starts_with("crm: io: cannot read"), "{}", stderr(&o));
}

#[test]
fn vcards_import_into_contacts() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("contacts.db");
    let vcf = sample("contacts_sample.vcf");
    let r = json(&crm(&db, &["--json", "import", vcf.to_str().unwrap()]));
    assert_eq!((r["rows"].as_u64(), r["created"].as_u64(), r["failed"].as_u64()), (Some(3), Some(3), Some(0)), "{r}");
    let found = json(&crm(&db, &["--json", "find", "Contacts"]));
    assert_eq!(found["total"].as_u64(), Some(3));
    let o = crm(&db, &["import", vcf.to_str().unwrap(), "--module", "Potentials"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("imports into Contacts"));
}

#[test]
fn forecast_shows_a_table_a_chart_and_writes_a_well_formed_svg() {
    let (dir, db) = imported();
    let svg = dir.path().join("pipeline.svg");
    let o = crm(&db, &["forecast", "--chart", "--svg", svg.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("Closed Won") && text.contains("Total"), "{text}");
    assert!(text.contains('█') && text.contains('▒'), "a bar chart: {text}");
    let r = json(&crm(&db, &["--json", "forecast", "--by", "stage"]));
    let rows = r["rows"].as_array().unwrap();
    assert_eq!(r["by"], "stage");
    assert_eq!(r["total"]["count"].as_u64(), Some(14));
    let counted: u64 = rows.iter().map(|x| x["count"].as_u64().unwrap()).sum();
    assert_eq!(counted, 14);
    let won = rows.iter().find(|x| x["key"] == "Closed Won").unwrap();
    assert_eq!((won["amount"].as_str(), won["forecast_amount"].as_str()), (Some("150000.00"), Some("150000.0000")));

    let text = std::fs::read_to_string(&svg).unwrap();
    let doc = roxmltree::Document::parse(&text).expect("well-formed SVG");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let bars = |class: &str| doc.descendants().filter(|n| n.attribute("class") == Some(class)).count();
    assert_eq!((bars("amount"), bars("weighted"), bars("label")), (rows.len(), rows.len(), rows.len()));
    let labels: Vec<&str> = doc.descendants().filter(|n| n.attribute("class") == Some("label")).filter_map(|n| n.text()).collect();
    assert!(labels.iter().any(|l| l.trim() == "Closed Won"), "{labels:?}");

    for by in ["month", "quarter", "owner", "year", "kind", "total"] {
        let r = json(&crm(&db, &["--json", "forecast", "--by", by]));
        assert_eq!(r["total"]["count"].as_u64(), Some(14), "by {by}");
    }
    let o = crm(&db, &["forecast", "--by", "week"]);
    assert_eq!(o.status.code(), Some(2), "a usage error");
    assert!(stderr(&o).starts_with("crm: usage:"), "{}", stderr(&o));
}

#[test]
fn the_svg_escapes_labels() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("odd.db");
    let file = dir.path().join("odd.csv");
    std::fs::write(&file, "Opportunity Name,Amount,Sales Stage,Expected Close Date\nA & B <deal>,100,\"R&D <\"\"x\"\">\",2027-01-31\n")
        .unwrap();
    let r = json(&crm(&db, &["--json", "import", file.to_str().unwrap(), "--add-unknown-picklist-values"]));
    assert_eq!(r["created"].as_u64(), Some(1), "{r}");
    let svg = dir.path().join("odd.svg");
    json(&crm(&db, &["--json", "forecast", "--svg", svg.to_str().unwrap()]));
    let text = std::fs::read_to_string(&svg).unwrap();
    let doc = roxmltree::Document::parse(&text).expect("well-formed SVG");
    assert!(doc.descendants().filter_map(|n| n.text()).any(|t| t.trim() == "R&D <\"x\">"), "{text}");
}

#[test]
fn find_filters_limits_and_names_references() {
    let (_dir, db) = imported();
    let r = json(&crm(&db, &["--json", "find", "Potentials", "--where", "amount >= 50000", "--limit", "1"]));
    assert_eq!(r["module"], "Potentials");
    assert_eq!(r["total"].as_u64(), Some(2), "{r}");
    let records = r["records"].as_array().unwrap();
    assert_eq!(records.len(), 1);
    assert!(records[0]["id"].as_i64().is_some() && records[0]["amount"].is_string(), "{}", records[0]);
    let o = crm(&db, &["find", "Opportunities", "--where", "Sales Stage = Closed Won", "--columns", "potentialname,related_to,amount"]);
    let text = stdout(&o);
    assert!(text.contains("Wayne deal 8") && text.contains("Wayne Enterprises") && text.contains("1 of 1"), "{text}");
    let r = json(&crm(
        &db,
        &[
            "--json",
            "find",
            "Potentials",
            "--where",
            "potentialname ~ Hooli",
            "--where",
            r#"{"field": "amount", "op": "between", "values": ["1", "13000"]}"#,
        ],
    ));
    assert!(r["total"].as_u64().unwrap() >= 1);
    for rec in r["records"].as_array().unwrap() {
        assert!(rec["potentialname"].as_str().unwrap().contains("Hooli"));
    }
    let o = crm(&db, &["find", "Potentials", "--where", "amont > 1"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("amont"), "{}", stderr(&o));
    let o = crm(&db, &["find", "Nope"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).starts_with("crm: not_found:"), "{}", stderr(&o));
}

#[test]
fn schema_lists_modules_and_fields() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let modules = json(&crm(&db, &["--json", "schema"]));
    assert!(modules.as_array().unwrap().iter().any(|m| m["name"] == "Potentials"));
    let m = json(&crm(&db, &["--json", "schema", "Potentials"]));
    assert!(m["fields"].as_array().unwrap().iter().any(|f| f["name"] == "amount"));
    let text = stdout(&crm(&db, &["schema", "Potentials"]));
    assert!(text.contains("sales_stage") && text.contains("Sales Stage"), "{text}");
}

#[test]
fn export_writes_csv_and_undo_takes_an_import_back() {
    let (dir, db) = imported();
    let out = dir.path().join("won.csv");
    let r = json(&crm(
        &db,
        &["--json", "export", out.to_str().unwrap(), "--where", "sales_stage = Closed Won", "--columns", "potentialname,amount"],
    ));
    assert_eq!(r["records"].as_u64(), Some(1));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "Opportunity Name,Amount\nWayne deal 8,150000.00\n");
    let o = crm(&db, &["export", "-", "--columns", "potentialname", "--header", "names", "--order-by", "potentialname"]);
    let text = stdout(&o);
    assert_eq!(text.lines().count(), 15, "{text}");
    assert!(text.starts_with("potentialname\n"));

    let imports = json(&crm(&db, &["--json", "imports"]));
    let id = imports[0]["id"].as_i64().unwrap();
    assert_eq!(imports[0]["status"], "completed");
    let u = json(&crm(&db, &["--json", "undo-import", &id.to_string()]));
    assert!(u["deleted"].as_u64().unwrap() >= 14, "{u}");
    assert_eq!(json(&crm(&db, &["--json", "find", "Potentials"]))["total"].as_u64(), Some(0));
    let o = crm(&db, &["undo-import", &id.to_string()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).starts_with("crm: conflict:"), "{}", stderr(&o));
}

#[test]
fn workflows_run_and_the_outbox_lists() {
    let (_dir, db) = imported();
    let r = json(&crm(&db, &["--json", "run-due"]));
    for key in ["workflows", "records", "delayed_tasks", "mails", "failures"] {
        assert!(r.get(key).is_some(), "{r}");
    }
    let mails = json(&crm(&db, &["--json", "outbox", "--status", "queued"]));
    assert!(mails.is_array());
    let o = crm(&db, &["outbox", "--status", "lost"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("status: unknown value 'lost'"));
}

#[test]
fn usage_errors_are_one_line_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("u.db");
    let o = crm(&db, &["bogus"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    let o = Command::new(env!("CARGO_BIN_EXE_crm")).args(["schema"]).env_remove("CRM_DB").output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--db"), "{}", stderr(&o));
    let o = Command::new(env!("CARGO_BIN_EXE_crm")).arg("--help").output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("forecast"));
}

#[test]
fn a_postgresql_url_works_as_db() {
    let Ok(url) = std::env::var("CRM_TEST_POSTGRES_URL") else {
        eprintln!("note: PostgreSQL CLI test skipped: CRM_TEST_POSTGRES_URL is not set");
        return;
    };
    let schema = format!("crm_cli_{}", std::process::id());
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    client.batch_execute(&format!("CREATE SCHEMA {schema}")).unwrap();
    let sep = if url.contains('?') { '&' } else { '?' };
    let db = format!("{url}{sep}options=-csearch_path%3D{schema}");
    let run = |args: &[&str]| crm(Path::new(&db), args);
    let r = json(&run(&["--json", "import", csv().to_str().unwrap(), "--create-missing-references"]));
    let f = json(&run(&["--json", "forecast"]));
    client.batch_execute(&format!("DROP SCHEMA {schema} CASCADE")).unwrap();
    assert_eq!(r["created"].as_u64(), Some(14));
    assert_eq!(f["total"]["count"].as_u64(), Some(14));
}
