//! Generators and cached data shared by the benches (`#[path = "common/mod.rs"] mod common;`).
//!
//! Everything is deterministic (a fixed-seed LCG), so every run and every bench sees the same data. Files are
//! cached under `target/bench-data/` (or `$CRM_BENCH_DIR`) and reused across runs: the CSVs, and SQLite files
//! imported once through crm (`cached_db`), which the read benches and `compare` share.
#![allow(dead_code)]

use crm::{Crm, NewUser};
use rust_decimal::Decimal;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Errors of the bench helpers.
pub type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// vtiger's Potentials export header.
pub const HEADER: &str = "Opportunity Name,Opportunity Number,Organization Name,Contact Name,Amount,Type,Expected Close Date,Lead Source,Next Step,Assigned To,Sales Stage,Campaign Source,Probability,Modified Time,Created Time,Last Modified By,Weighted Revenue,Is Converted From Lead,Source,Description";

/// The ten stages with their probabilities.
pub const STAGES: [(&str, u32); 10] = [
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
pub struct Lcg(pub u64);
impl Lcg {
    /// The next number (31 bits).
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

/// Writes `rows` opportunities in vtiger's export shape: amounts with cents, ISO dates, ten stages, 2,000
/// organizations, quoted fields with commas and UTF-8 text.
pub fn generate_csv(path: &Path, rows: u64) -> Res<()> {
    let tmp = path.with_extension("csv.part");
    let mut w = csv::Writer::from_writer(BufWriter::new(std::fs::File::create(&tmp)?));
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
    drop(w);
    std::fs::rename(tmp, path)?;
    Ok(())
}

/// `count` vCards, deterministically, cycling through versions 2.1 (with a quoted-printable note), 3.0 and
/// 4.0; names, organizations (200 of them), e-mails and phones vary.
pub fn generate_vcards(count: u64) -> String {
    let mut out = String::with_capacity(count as usize * 220);
    let first = ["Jane", "Ahmad", "Wei", "Zoë", "Ravi", "Marta", "Kenji", "Olu"];
    let last = ["Smith", "Rahimi", "Chen", "Müller", "Patel", "García", "Sato", "Adeyemi"];
    let mut r = Lcg(7);
    for i in 0..count {
        let (f, l) = (first[(r.next() % 8) as usize], last[(r.next() % 8) as usize]);
        let org = r.next() % 200;
        let email = format!("{}.{}{i}@example.com", f.to_lowercase(), l.to_lowercase());
        let phone = format!("+1 212 555 {:04}", r.next() % 10_000);
        let card = match i % 3 {
            0 => format!(
                "BEGIN:VCARD\r\nVERSION:2.1\r\nN:{l};{f}\r\nFN:{f} {l}\r\nORG:Company {org}\r\nTEL;CELL:{phone}\r\nEMAIL;INTERNET:{email}\r\nNOTE;ENCODING=QUOTED-PRINTABLE:Met at the fair=0D=0Acall back\r\nEND:VCARD\r\n"
            ),
            1 => format!(
                "BEGIN:VCARD\r\nVERSION:3.0\r\nN:{l};{f};;;\r\nFN:{f} {l}\r\nORG:Company {org}\r\nTITLE:Buyer\r\nEMAIL;TYPE=INTERNET,WORK:{email}\r\nTEL;TYPE=WORK,VOICE:{phone}\r\nADR;TYPE=WORK:;;{i} Market St;New York;NY;10001;USA\r\nEND:VCARD\r\n"
            ),
            _ => format!(
                "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:{f} {l}\r\nN:{l};{f};;;\r\nORG:Company {org}\r\nEMAIL;TYPE=work:{email}\r\nTEL;TYPE=cell:{phone}\r\nEND:VCARD\r\n"
            ),
        };
        out.push_str(&card);
    }
    out
}

/// Where cached bench data lives: `$CRM_BENCH_DIR`, else `target/bench-data` of the workspace.
pub fn data_dir() -> PathBuf {
    let dir = std::env::var_os("CRM_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data"));
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// The generated CSV of `rows` opportunities (generated on first use).
pub fn csv_file(rows: u64) -> Res<PathBuf> {
    let path = data_dir().join(format!("opportunities_{rows}.csv"));
    if !path.exists() {
        generate_csv(&path, rows)?;
    }
    Ok(path)
}

/// Opens (or creates) a store with the `admin` user (Administrator) as the actor.
pub fn open_admin(path: &str) -> Res<Crm> {
    let mut crm = Crm::open(path)?;
    if crm.user("admin").is_err() {
        crm.add_user(NewUser::new("admin").full_name("Administrator").email("admin@example.com"))?;
    }
    crm.set_actor("admin")?;
    Ok(crm)
}

/// The import options of every bench: organizations created from `Accounts::::Name`, batches of 1,000.
pub fn import_options() -> crm::io::ImportOptions {
    crm::io::ImportOptions { create_missing_references: true, batch_size: 1000, ..Default::default() }
}

/// Imports a generated CSV with every rule on; fails when a row fails.
pub fn import_csv(crm: &mut Crm, csv: &Path) -> Res<u64> {
    let report = crm.import_csv_file(csv, "Potentials", &import_options(), None)?;
    if report.failed > 0 {
        return Err(format!("{} rows failed, first: {:?}", report.failed, report.row_reports.first()).into());
    }
    Ok(report.created + report.updated + report.merged)
}

/// Path of the cached SQLite file holding `rows` imported opportunities.
pub fn cached_db_path(rows: u64) -> PathBuf {
    data_dir().join(format!("potentials_{rows}.db"))
}

/// A SQLite file with `rows` generated opportunities imported through crm (every rule on), built once and
/// reused by later runs (delete it to rebuild). Building 1M rows takes as long as crm's import of 1M rows.
pub fn cached_db(rows: u64) -> Res<PathBuf> {
    let path = cached_db_path(rows);
    if path.exists() {
        return Ok(path);
    }
    let csv = csv_file(rows)?;
    let tmp = path.with_extension("db.part");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", tmp.display()));
    }
    eprintln!("building {} (one time) ...", path.display());
    let started = std::time::Instant::now();
    {
        let mut crm = open_admin(tmp.to_str().ok_or("path is not UTF-8")?)?;
        import_csv(&mut crm, &csv)?;
    }
    adopt_db(&tmp, &path)?;
    eprintln!("built in {:.0}s", started.elapsed().as_secs_f64());
    Ok(path)
}

/// Moves a closed SQLite file (with its WAL, if any) to `to`.
pub fn adopt_db(from: &Path, to: &Path) -> Res<()> {
    // Fold the WAL into the file so that one file is all there is to move.
    {
        let conn = rusqlite::Connection::open(from)?;
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
    }
    std::fs::rename(from, to)?;
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", from.display()));
    }
    Ok(())
}

/// Peak resident set size of this process in KiB (`VmHWM`), 0 when unknown.
pub fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}
