//! Side-by-side comparison: crm against hand-written floors, on one generated file.
//!
//! `cargo bench --bench compare -- [ROWS]` (default 1,000,000; e.g. `-- 100000` for a shorter run) generates,
//! deterministically, an opportunities CSV with vtiger's export headers (see `benches/common`) and runs each
//! import contender in its own process, so that peak RSS is the contender's own:
//!
//! * (a) crm: CSV import through the Rust API into SQLite, every rule on;
//! * (b) the same through the Python binding (`py_crm.py`, run with `target/crm-py-venv/bin/python` that
//!   `bash crm-py/ci.sh` builds, or `$CRM_PY_PYTHON`; skipped with a message when `import crm_engine` fails);
//! * (c) floor: `csv` + `rusqlite`, one cached INSERT in one transaction, forecast with `rust_decimal`;
//! * (d) Python's `csv` + `decimal` + `sqlite3.executemany` (`py_floor.py`);
//! * (e) the same-work floor: `csv` + `rusqlite` writing exactly the rows and indexes crm writes for the same
//!   file (see [`same_work`]); checked against crm's file of a small CSV before the timed runs.
//!
//! Each child prints one JSON line `{"rows":..,"seconds":..,"peak_rss_kib":..}`; the parent prints a table and
//! the ratios a/c, a/d, a/e, b/a. Then the read side: the forecast report (by stage, by close month) and a deep list
//! page (filtered, sorted, near the end; offset and keyset) through crm, against the same queries hand-written
//! in SQL on the same file with the right index (`reads` mode, see [`reads`]).
//!
//! Modes (for children and profiling): `gen PATH ROWS`, `floor CSV DB`, `crm CSV DB`, `same-work CSV DB [VARIANT]`,
//! `check-same-work CRM_DB E_DB`, `reads DB`. With `CRM_COMPARE_LAYOUT=1` the parent also runs (e)'s leaner
//! variants (indexes left out or built after the load, no creation row, no mail, journal ranges).
//! Adding a contender: a `run_child` line in `main` (and a mode in `child_mode` when it runs in this binary).

#[path = "../common/mod.rs"]
mod common;

use common::{Res, peak_rss_kib};
use rust_decimal::Decimal;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;
use std::time::Instant;

mod postgres; // the PostgreSQL row
mod same_work; // (e)

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
                &rec[0],
                &rec[1],
                &rec[2],
                amount.to_string(),
                &rec[5],
                &rec[6],
                &rec[7],
                &rec[10],
                prob.to_string(),
                forecast.to_string(),
                &rec[19]
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
    let mut crm = common::open_admin(db.to_str().ok_or("db path is not UTF-8")?)?;
    common::import_csv(&mut crm, csv_path)
}

/// Median seconds of `runs` calls of `f` (after one warm-up call).
fn median_secs(runs: usize, mut f: impl FnMut() -> Res<()>) -> Res<f64> {
    f()?;
    let mut t = Vec::with_capacity(runs);
    for _ in 0..runs {
        let s = Instant::now();
        f()?;
        t.push(s.elapsed().as_secs_f64());
    }
    t.sort_by(f64::total_cmp);
    Ok(t.get(runs / 2).copied().unwrap_or_default())
}

/// The read side on a crm file: crm's forecast report and deep list page (with the index on `(sales_stage,
/// closingdate)` declared through `Crm::add_index`), then the same queries hand-written in SQL with their own
/// index (created after crm's runs so crm cannot use it, dropped at the end). Prints one
/// JSON line per query: `{"query":..,"crm":secs,"sql":secs}`.
fn reads(db: &Path) -> Res<()> {
    use crm::{Condition, Cursor, PipelineBy, Query};
    let deep = || Query::new("Potentials").filter(Condition::eq("sales_stage", "Closed Won")).order_by("-closingdate");
    let size = 20u64;
    let runs = 5;
    let mut crm_times = Vec::new();
    let (offset, last, last_id);
    {
        let mut crm = common::open_admin(db.to_str().ok_or("db path is not UTF-8")?)?;
        // As a user would: declare the index the deep page needs through crm (kept in the file's schema;
        // building it is not timed). The hand-written SQL below creates its own.
        if !crm.indexes("Potentials")?.iter().any(|i| i.fields == ["sales_stage", "closingdate"]) {
            crm.add_index("Potentials", &["sales_stage", "closingdate"])?;
        }
        let total = crm.count(deep())?;
        let page = total.div_ceil(size).saturating_sub(1).max(1);
        offset = (page - 1) * size;
        let anchor = crm.find(deep().offset(total.saturating_sub(2 * size)).limit(1))?;
        let a = anchor.first().ok_or("no anchor record")?;
        (last, last_id) = (a.get("closingdate").to_text().unwrap_or_default(), a.id.0);
        let cursor = Cursor { last: a.get("closingdate").clone(), ties: 0, id: Some(a.id) };
        crm_times.push(median_secs(runs, || crm.pipeline(PipelineBy::Stage, None).map(|_| ()).map_err(Into::into))?);
        crm_times.push(median_secs(runs, || crm.pipeline(PipelineBy::CloseMonth, None).map(|_| ()).map_err(Into::into))?);
        crm_times.push(median_secs(runs, || crm.page(deep(), page, size).map(|_| ()).map_err(Into::into))?);
        crm_times.push(median_secs(runs, || crm.page_after(deep(), Some(&cursor), size).map(|_| ()).map_err(Into::into))?);
    }
    let conn = rusqlite::Connection::open(db)?;
    conn.execute_batch("CREATE INDEX IF NOT EXISTS bench_stage_close ON potentials (sales_stage, closingdate); ANALYZE;")?;
    let from = "FROM potentials t JOIN crm_entity e ON e.id = t.id WHERE e.deleted = 0";
    let agg = |group: &str| format!("SELECT {group} g, count(*), sum(t.amount), sum(t.forecast_amount) {from} GROUP BY g ORDER BY g");
    let run_sql = |sql: &str, params: &[&dyn rusqlite::ToSql]| -> Res<()> {
        let mut st = conn.prepare_cached(sql)?;
        let mut rows = st.query(params)?;
        while let Some(r) = rows.next()? {
            std::hint::black_box(r.get_ref(0)?);
        }
        Ok(())
    };
    let cols = "t.*, e.label, e.version";
    let page_sql = format!("SELECT {cols} {from} AND t.sales_stage = ?1 ORDER BY t.closingdate DESC, t.id DESC LIMIT ?2 OFFSET ?3");
    let count_sql = format!("SELECT count(*) {from} AND t.sales_stage = ?1");
    let keyset_sql = format!(
        "SELECT {cols} {from} AND t.sales_stage = ?1 AND (t.closingdate < ?2 OR (t.closingdate = ?2 AND t.id < ?3))
         ORDER BY t.closingdate DESC, t.id DESC LIMIT ?4"
    );
    let (size_i, offset_i) = (size as i64, offset as i64);
    let sql_times = [
        median_secs(runs, || run_sql(&agg("t.sales_stage"), &[]))?,
        median_secs(runs, || run_sql(&agg("substr(t.closingdate, 1, 7)"), &[]))?,
        median_secs(runs, || {
            run_sql(&count_sql, &[&"Closed Won"])?;
            run_sql(&page_sql, &[&"Closed Won", &size_i, &offset_i])
        })?,
        median_secs(runs, || run_sql(&keyset_sql, &[&"Closed Won", &last, &last_id, &size_i]))?,
    ];
    conn.execute_batch("DROP INDEX IF EXISTS bench_stage_close;")?;
    let names = ["forecast by stage", "forecast by close month", "deep page (offset, with total)", "deep page (keyset)"];
    for ((name, c), s) in names.iter().zip(crm_times).zip(sql_times) {
        println!("{}", serde_json::json!({"query": name, "crm": c, "sql": s}));
    }
    Ok(())
}

struct Outcome {
    name: &'static str,
    rows: u64,
    seconds: f64,
    rss_kib: u64,
}

fn run_child(name: &'static str, cmd: &mut Command) -> Option<Outcome> {
    eprintln!("running {name} ...");
    let out = match cmd.output() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{name} did not start: {e}");
            return None;
        }
    };
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        eprintln!("{name} failed: {}{}", text, String::from_utf8_lossy(&out.stderr));
        return None;
    }
    let line = text.lines().rev().find(|l| l.starts_with('{'))?;
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    Some(Outcome { name, rows: v["rows"].as_u64()?, seconds: v["seconds"].as_f64()?, rss_kib: v["peak_rss_kib"].as_u64()? })
}

fn report(rows: u64, started: Instant) {
    println!("{}", serde_json::json!({"rows": rows, "seconds": started.elapsed().as_secs_f64(), "peak_rss_kib": peak_rss_kib()}));
}

/// Runs a child mode of this binary; `None` when `args` name no mode.
fn child_mode(args: &[String]) -> Option<Res<()>> {
    let arg = |i: usize, usage: &str| args.get(i).map(PathBuf::from).ok_or_else(|| usage.to_string());
    let timed = |f: &dyn Fn() -> Res<u64>| -> Res<()> {
        let t = Instant::now();
        let n = f()?;
        report(n, t);
        Ok(())
    };
    Some(match args.first().map(String::as_str)? {
        "gen" => (|| {
            let rows = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
            common::generate_csv(&arg(1, "gen PATH ROWS")?, rows)
        })(),
        "floor" => timed(&|| floor(&arg(1, "floor CSV DB")?, &arg(2, "floor CSV DB")?)),
        "crm" => timed(&|| crm_import(&arg(1, "crm CSV DB")?, &arg(2, "crm CSV DB")?)),
        "same-work" => timed(&|| {
            let usage = "same-work CSV DB [VARIANT]";
            let variant = args.get(3).map_or(Some(same_work::Variant::Same), |v| same_work::Variant::named(v)).ok_or(usage)?;
            same_work::same_work(&arg(1, usage)?, &arg(2, usage)?, variant)
        }),
        "check-same-work" => (|| {
            let diffs = same_work::check(&arg(1, "check-same-work CRM_DB E_DB")?, &arg(2, "check-same-work CRM_DB E_DB")?)?;
            for d in &diffs {
                println!("{d}");
            }
            if diffs.is_empty() { Ok(()) } else { Err(format!("(e) writes other rows than crm: {} differences", diffs.len()).into()) }
        })(),
        "reads" => (|| reads(&arg(1, "reads DB")?))(),
        _ => return None,
    })
}

/// The Python that has the crm binding, if any.
fn crm_python() -> Option<PathBuf> {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/crm-py-venv/bin/python");
    let py = std::env::var_os("CRM_PY_PYTHON").map(PathBuf::from).unwrap_or(venv);
    let ok = Command::new(&py).args(["-c", "import crm_engine"]).output().is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!(
            "(b) skipped: {} cannot `import crm_engine` (build it with `bash crm-py/ci.sh`, CRM_PY_PROFILE=release for a fair run, or set CRM_PY_PYTHON)",
            py.display()
        );
    }
    ok.then_some(py)
}

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    if let Some(done) = postgres::child(&args) {
        return done;
    }
    if let Some(r) = child_mode(&args) {
        return r;
    }
    let rows: u64 = args.first().and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let dir = PathBuf::from(std::env::var("CRM_COMPARE_DIR").unwrap_or_else(|_| "target/compare".into()));
    std::fs::create_dir_all(&dir)?;
    let csv_path = common::csv_file(rows)?;
    let me = std::env::current_exe()?;
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/compare");
    let crm_db = dir.join("crm.db");

    // (e) must write what crm writes: compare both files of a small CSV first.
    let small = common::csv_file(3000)?;
    let (check_a, check_e) = (dir.join("check_crm.db"), dir.join("check_e.db"));
    let ran = [
        Command::new(&me).arg("crm").arg(&small).arg(&check_a).output()?,
        Command::new(&me).arg("same-work").arg(&small).arg(&check_e).output()?,
    ];
    let check = Command::new(&me).arg("check-same-work").arg(&check_a).arg(&check_e).output()?;
    if !ran.iter().all(|o| o.status.success()) || !check.status.success() {
        return Err(format!(
            "(e) does not write what crm writes (update benches/compare/same_work.rs):\n{}{}",
            String::from_utf8_lossy(&check.stdout),
            String::from_utf8_lossy(&check.stderr)
        )
        .into());
    }

    let mut results = Vec::new();
    let a = run_child("(a) crm, Rust API, all rules", Command::new(&me).arg("crm").arg(&csv_path).arg(&crm_db));
    results.extend(a);
    if let Some(py) = crm_python() {
        results.extend(run_child(
            "(b) crm, Python binding",
            Command::new(py).arg(here.join("py_crm.py")).arg(&csv_path).arg(dir.join("py_crm.db")),
        ));
    }
    results.extend(run_child("(c) floor: csv + rusqlite", Command::new(&me).arg("floor").arg(&csv_path).arg(dir.join("floor.db"))));
    results.extend(run_child(
        "(d) python csv + sqlite3",
        Command::new("python3").arg(here.join("py_floor.py")).arg(&csv_path).arg(dir.join("py_floor.db")),
    ));
    let e_db = dir.join("same_work.db");
    results.extend(run_child("(e) same-work floor", Command::new(&me).arg("same-work").arg(&csv_path).arg(&e_db)));
    if std::env::var_os("CRM_COMPARE_LAYOUT").is_some() {
        for (name, label) in [
            ("no-indexes", "(e) without 9 potentials indexes"),
            ("indexes-after", "(e) 9 indexes built after load"),
            ("no-creation-row", "(e) without the creation row"),
            ("no-mail", "(e) without the creation mail"),
            ("journal-ranges", "(e) journal as ranges"),
        ] {
            results.extend(run_child(label, Command::new(&me).arg("same-work").arg(&csv_path).arg(&e_db).arg(name)));
        }
    }

    let mut out = std::io::stdout().lock();
    writeln!(out, "\n{rows} rows, one run each (SQLite {})\n", rusqlite::version())?;
    writeln!(out, "| {:<36} | {:>9} | {:>9} | {:>12} |", "contender", "seconds", "rows/s", "peak RSS MiB")?;
    writeln!(out, "| {:-<36} | {:->9} | {:->9} | {:->12} |", "", "", "", "")?;
    for r in &results {
        writeln!(
            out,
            "| {:<36} | {:>9.2} | {:>9.0} | {:>12.1} |",
            r.name,
            r.seconds,
            r.rows as f64 / r.seconds,
            r.rss_kib as f64 / 1024.0
        )?;
    }
    let rate = |p: &str| results.iter().find(|r| r.name.starts_with(p)).map(|r| r.rows as f64 / r.seconds);
    writeln!(out)?;
    for (label, x, y) in
        [("a/c", "(a)", "(c)"), ("a/d", "(a)", "(d)"), ("a/e", "(a)", "(e) same"), ("e/c", "(e) same", "(c)"), ("b/a", "(b)", "(a)")]
    {
        match (rate(x), rate(y)) {
            (Some(x), Some(y)) => writeln!(out, "{label} (rows/s) = {:.3}", x / y)?,
            _ => writeln!(out, "{label}: not measured")?,
        }
    }
    drop(out);
    let a = results.iter().find(|r| r.name.starts_with("(a)")).map(|r| (r.rows, r.seconds));
    postgres::compare(&me, &csv_path, &crm_db, a);

    // The read side runs on the crm file of this size: the cached one, else the one (a) just wrote (kept in
    // the cache for the next run and for `cargo bench --bench read`).
    let cached = common::cached_db_path(rows);
    if !cached.exists() && crm_db.exists() {
        common::adopt_db(&crm_db, &cached)?;
    }
    if cached.exists() {
        eprintln!("running reads on {} ...", cached.display());
        let o = Command::new(&me).arg("reads").arg(&cached).output()?;
        if !o.status.success() {
            eprintln!("reads failed: {}", String::from_utf8_lossy(&o.stderr));
        }
        let mut out = std::io::stdout().lock();
        writeln!(out, "\nread side on {rows} rows (median of 5)\n")?;
        writeln!(out, "| {:<32} | {:>10} | {:>10} | {:>9} |", "query", "crm ms", "SQL ms", "crm/SQL")?;
        writeln!(out, "| {:-<32} | {:->10} | {:->10} | {:->9} |", "", "", "", "")?;
        for line in String::from_utf8_lossy(&o.stdout).lines().filter(|l| l.starts_with('{')) {
            let v: serde_json::Value = serde_json::from_str(line)?;
            let (c, s) = (v["crm"].as_f64().unwrap_or_default(), v["sql"].as_f64().unwrap_or_default());
            writeln!(out, "| {:<32} | {:>10.2} | {:>10.2} | {:>9.2} |", v["query"].as_str().unwrap_or_default(), c * 1e3, s * 1e3, c / s)?;
        }
    }
    let _ = std::io::stdout().flush();
    Ok(())
}
