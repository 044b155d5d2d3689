//! Side-by-side import comparison (issue 9): crm against hand-written floors, on one generated file.
//!
//! `cargo bench --bench compare -- [ROWS]` generates (deterministically) an opportunities CSV with vtiger's
//! export headers and runs each contender in its own process, so that peak RSS is measured per contender:
//!
//! * (a) crm: CSV import through the Rust API into SQLite, every rule on;
//! * (b) the same through the Python binding (when `python3 -c "import crm"` works);
//! * (c) floor: `csv` + `rusqlite`, one cached INSERT in one transaction, forecast with `rust_decimal`;
//! * (d) Python's `csv` + `decimal` + `sqlite3.executemany`.
//!
//! Each child prints one JSON line `{"rows":..,"seconds":..,"peak_rss_kib":..}`; the parent prints a table and
//! the ratios a/c, a/d, b/a. Modes: `gen PATH ROWS`, `floor CSV DB`, `crm CSV DB`.

use rust_decimal::Decimal;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;
use std::time::Instant;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

mod postgres; // issue 11: the PostgreSQL row

const HEADER: &str = "Opportunity Name,Opportunity Number,Organization Name,Contact Name,Amount,Type,Expected Close Date,Lead Source,Next Step,Assigned To,Sales Stage,Campaign Source,Probability,Modified Time,Created Time,Last Modified By,Weighted Revenue,Is Converted From Lead,Source,Description";

const STAGES: [(&str, u32); 10] = [
    ("Prospecting", 10),
    ("Qualification", 20),
    ("Needs Analysis", 25),
    ("Value Proposition", 30),
    ("Id. Decision Makers", 40),
    ("Perception Analysis", 50),
    ("Proposal or Price Quote", 65),
    ("Negotiation or Review", 80),
    ("Closed Won", 100),
    ("Closed Lost", 0),
];
const SOURCES: [&str; 6] = ["Cold Call", "Partner", "Web Site", "Conference", "Direct Mail", "Word of mouth"];
const NOTES: [&str; 5] = ["", "Renewal, multi-year", "چند ساله", "Quoted \"premium\" tier", "Café, Zürich office"];

/// Deterministic pseudo-random numbers (64-bit LCG).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

fn generate(path: &Path, rows: u64) -> Res<()> {
    let mut w = csv::Writer::from_writer(BufWriter::new(std::fs::File::create(path)?));
    w.write_record(HEADER.split(','))?;
    let mut r = Lcg(42);
    for i in 1..=rows {
        let (stage, prob) = STAGES[(r.next() % 10) as usize];
        let org = r.next() % 2000;
        let cents = r.next() % 100;
        let amount = format!("{}.{cents:02}", 500 + r.next() % 250_000);
        let day = 1 + r.next() % 28;
        let month = 1 + r.next() % 12;
        let weighted = (Decimal::from_str(&amount)? * Decimal::from(prob) / Decimal::ONE_HUNDRED).round_dp(4);
        w.write_record([
            format!("Deal {i}, phase {}", i % 7).as_str(),
            &format!("POT{i}"),
            &format!("Accounts::::Organization {org}"),
            "",
            &amount,
            if i % 3 == 0 { "New Business" } else { "Existing Business" },
            &format!("2027-{month:02}-{day:02}"),
            SOURCES[(r.next() % 6) as usize],
            "",
            "Administrator",
            stage,
            "",
            &format!("{prob}.000"),
            "2026-11-20 10:15:00",
            "2026-10-01 09:00:00",
            "Administrator",
            &weighted.to_string(),
            "0",
            "CRM",
            NOTES[(i % 5) as usize],
        ])?;
    }
    w.flush()?;
    Ok(())
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

/// (c) The floor: what a careful hand-written importer does, with no rules at all.
fn floor(csv_path: &Path, db: &Path) -> Res<u64> {
    let _ = std::fs::remove_file(db);
    let mut conn = rusqlite::Connection::open(db)?;
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
         CREATE TABLE potentials (id INTEGER PRIMARY KEY, potentialname TEXT, potential_no TEXT, related_to TEXT,
           amount TEXT, opportunity_type TEXT, closingdate TEXT, leadsource TEXT, sales_stage TEXT,
           probability TEXT, forecast_amount TEXT, description TEXT);",
    )?;
    let tx = conn.transaction()?;
    let mut rows = 0u64;
    {
        let mut st = tx.prepare_cached(
            "INSERT INTO potentials (potentialname, potential_no, related_to, amount, opportunity_type, closingdate,
             leadsource, sales_stage, probability, forecast_amount, description) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)",
        )?;
        let mut rdr = csv::Reader::from_path(csv_path)?;
        let mut rec = csv::StringRecord::new();
        while rdr.read_record(&mut rec)? {
            let amount = Decimal::from_str(&rec[4])?;
            let prob = Decimal::from_str(&rec[12])?;
            let forecast = (amount * prob / Decimal::ONE_HUNDRED).round_dp(4);
            st.execute(rusqlite::params![
                &rec[0], &rec[1], &rec[2], amount.to_string(), &rec[5], &rec[6], &rec[7], &rec[10], prob.to_string(),
                forecast.to_string(), &rec[19]
            ])?;
            rows += 1;
        }
    }
    tx.commit()?;
    Ok(rows)
}

/// (a) crm: the vtiger export imported through the Rust API into SQLite, with every rule on (validation,
/// references created by name, the forecast and creation-mail workflows, change log, stage history).
fn crm_import(csv_path: &Path, db: &Path) -> Res<u64> {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let mut crm = crm::Crm::open(db.to_str().ok_or("db path is not UTF-8")?)?;
    crm.add_user(crm::NewUser::new("admin").full_name("Administrator").email("admin@example.com"))?;
    crm.set_actor("admin")?;
    let options = crm::io::ImportOptions { create_missing_references: true, batch_size: 1000, ..Default::default() };
    let report = crm.import_csv_file(csv_path, "Potentials", &options, None)?;
    if report.failed > 0 {
        return Err(format!("{} rows failed, first: {:?}", report.failed, report.row_reports.first()).into());
    }
    Ok(report.created + report.updated + report.merged)
}

struct Outcome {
    name: &'static str,
    rows: u64,
    seconds: f64,
    rss_kib: u64,
}

fn run_child(name: &'static str, cmd: &mut Command) -> Option<Outcome> {
    let out = cmd.output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        eprintln!("{name} failed: {}{}", text, String::from_utf8_lossy(&out.stderr));
        return None;
    }
    let line = text.lines().rev().find(|l| l.starts_with('{'))?;
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    Some(Outcome {
        name,
        rows: v["rows"].as_u64()?,
        seconds: v["seconds"].as_f64()?,
        rss_kib: v["peak_rss_kib"].as_u64()?,
    })
}

fn report(rows: u64, started: Instant) {
    println!(
        "{}",
        serde_json::json!({"rows": rows, "seconds": started.elapsed().as_secs_f64(), "peak_rss_kib": peak_rss_kib()})
    );
}

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    if let Some(done) = postgres::child(&args) {
        return done;
    }
    match args.first().map(String::as_str) {
        Some("gen") => {
            let rows = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
            return generate(Path::new(args.get(1).ok_or("gen PATH ROWS")?), rows);
        }
        Some("floor") => {
            let t = Instant::now();
            let n = floor(Path::new(args.get(1).ok_or("floor CSV DB")?), Path::new(args.get(2).ok_or("floor CSV DB")?))?;
            report(n, t);
            return Ok(());
        }
        Some("crm") => {
            let t = Instant::now();
            let n = crm_import(Path::new(args.get(1).ok_or("crm CSV DB")?), Path::new(args.get(2).ok_or("crm CSV DB")?))?;
            report(n, t);
            return Ok(());
        }
        _ => {}
    }
    let rows: u64 = args.first().and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let dir = PathBuf::from(std::env::var("CRM_COMPARE_DIR").unwrap_or_else(|_| "target/compare".into()));
    std::fs::create_dir_all(&dir)?;
    let csv_path = dir.join(format!("opportunities_{rows}.csv"));
    if !csv_path.exists() {
        let t = Instant::now();
        generate(&csv_path, rows)?;
        eprintln!("generated {} rows in {:.1}s", rows, t.elapsed().as_secs_f64());
    }
    let me = std::env::current_exe()?;
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/compare");
    let mut results = Vec::new();
    results.extend(run_child("(a) crm, Rust API, all rules", Command::new(&me).arg("crm").arg(&csv_path).arg(dir.join("crm.db"))));
    results.extend(run_child("(c) floor: csv + rusqlite", Command::new(&me).arg("floor").arg(&csv_path).arg(dir.join("floor.db"))));
    results.extend(run_child(
        "(d) python csv + sqlite3",
        Command::new("python3").arg(here.join("py_floor.py")).arg(&csv_path).arg(dir.join("py_floor.db")),
    ));
    let mut out = std::io::stdout().lock();
    writeln!(out, "\n{rows} rows, one run each\n")?;
    writeln!(out, "{:<34} {:>10} {:>12} {:>14}", "contender", "seconds", "rows/s", "peak RSS MiB")?;
    for r in &results {
        writeln!(
            out,
            "{:<34} {:>10.2} {:>12.0} {:>14.1}",
            r.name,
            r.seconds,
            r.rows as f64 / r.seconds,
            r.rss_kib as f64 / 1024.0
        )?;
    }
    let _ = std::io::stdout().flush();
    let a = results.iter().find(|r| r.name.starts_with("(a)")).map(|r| (r.rows, r.seconds));
    postgres::compare(&me, &csv_path, &dir.join("crm.db"), a);
    Ok(())
}
