//! The PostgreSQL row of the comparison: the same CSV imported through crm into PostgreSQL, and
//! the forecast report (pipeline by stage: counts, amounts and weighted revenue summed in SQL) timed on
//! both stores, next to SQLite in the same run.
//!
//! Runs when `CRM_BENCH_POSTGRES_URL` (or `CRM_TEST_POSTGRES_URL`) names a server and the bench is built
//! with `--features postgres`; the import goes to the schema `crm_bench` of that database, dropped first.
//! Child modes (one process each, as the other contenders): `pg-import CSV URL` and `report TARGET`
//! (TARGET a SQLite path or a PostgreSQL URL).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// The schema the PostgreSQL contender imports into.
#[cfg(feature = "postgres")]
const SCHEMA: &str = "crm_bench";

/// The server to compare against, if any.
fn server_url() -> Option<String> {
    ["CRM_BENCH_POSTGRES_URL", "CRM_TEST_POSTGRES_URL"].iter().find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
}

/// Runs a child mode of this file, if `args` names one.
pub fn child(args: &[String]) -> Option<Res<()>> {
    match args.first().map(String::as_str) {
        Some("pg-import") => Some(pg_import(args)),
        Some("report") => Some(report(args)),
        _ => None,
    }
}

#[cfg(feature = "postgres")]
fn open_pg(url: &str) -> Res<crm::Crm> {
    let store = crm::storage::postgres::PostgresStore::open_schema(url, SCHEMA)?;
    Ok(crm::Crm::with_store(Box::new(store))?)
}

#[cfg(feature = "postgres")]
fn pg_import(args: &[String]) -> Res<()> {
    let (csv, url) = (args.get(1).ok_or("pg-import CSV URL")?, args.get(2).ok_or("pg-import CSV URL")?);
    crm::storage::postgres::PostgresStore::drop_schema(url, SCHEMA)?;
    let t = Instant::now();
    let mut crm = open_pg(url)?;
    crm.add_user(crm::NewUser::new("admin").full_name("Administrator").email("admin@example.com"))?;
    crm.set_actor("admin")?;
    // The same options as the SQLite contender (a).
    let options = crm::io::ImportOptions { create_missing_references: true, batch_size: 1000, ..Default::default() };
    let r = crm.import_csv_file(Path::new(csv), "Potentials", &options, None)?;
    if r.failed > 0 {
        return Err(format!("{} rows failed, first: {:?}", r.failed, r.row_reports.first()).into());
    }
    println!("{}", serde_json::json!({"rows": r.created + r.updated + r.merged, "seconds": t.elapsed().as_secs_f64()}));
    Ok(())
}

#[cfg(not(feature = "postgres"))]
fn pg_import(_: &[String]) -> Res<()> {
    Err("built without the `postgres` feature".into())
}

fn report(args: &[String]) -> Res<()> {
    let target = args.get(1).ok_or("report TARGET")?;
    let crm = if target.starts_with("postgres") {
        #[cfg(feature = "postgres")]
        {
            open_pg(target)?
        }
        #[cfg(not(feature = "postgres"))]
        return Err("built without the `postgres` feature".into());
    } else {
        crm::Crm::open(target)?
    };
    // Warm once (schema, connection), then time the report.
    crm.pipeline(crm::PipelineBy::Stage, None)?;
    let t = Instant::now();
    let rows = crm.pipeline(crm::PipelineBy::Stage, None)?;
    let seconds = t.elapsed().as_secs_f64();
    let records: u64 = rows.iter().map(|r| r.count).sum();
    let forecast: crm::rust_decimal::Decimal = rows.iter().map(|r| r.forecast_amount).sum();
    println!("{}", serde_json::json!({"rows": records, "seconds": seconds, "forecast": forecast.to_string()}));
    Ok(())
}

fn run(cmd: &mut Command) -> Option<serde_json::Value> {
    let out = cmd.output().ok()?;
    if !out.status.success() {
        eprintln!("postgres compare: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.lines().rev().find(|l| l.starts_with('{'))?).ok()
}

/// Prints the SQLite-versus-PostgreSQL table: `sqlite_import` is contender (a)'s `(rows, seconds)` and
/// `sqlite_db` the file it wrote. Says why when there is no server or no feature.
pub fn compare(me: &Path, csv: &Path, sqlite_db: &Path, sqlite_import: Option<(u64, f64)>) {
    let Some(url) = server_url() else {
        println!("\nPostgreSQL row skipped: set CRM_BENCH_POSTGRES_URL (or CRM_TEST_POSTGRES_URL) and build with --features postgres");
        return;
    };
    if !cfg!(feature = "postgres") {
        println!("\nPostgreSQL row skipped: run with `cargo bench --features postgres --bench compare`");
        return;
    }
    let pg_import = run(Command::new(me).arg("pg-import").arg(csv).arg(&url));
    let pg_report = pg_import.as_ref().and_then(|_| run(Command::new(me).arg("report").arg(&url)));
    let sqlite_report = run(Command::new(me).arg("report").arg(sqlite_db));
    let rate = |v: Option<(u64, f64)>| v.map_or("-".to_string(), |(n, s)| format!("{:.0}", n as f64 / s));
    let ms = |v: &Option<serde_json::Value>| {
        v.as_ref().and_then(|v| v["seconds"].as_f64()).map_or("-".to_string(), |s| format!("{:.1}", s * 1000.0))
    };
    let pg = pg_import.as_ref().and_then(|v| Some((v["rows"].as_u64()?, v["seconds"].as_f64()?)));
    println!("\nthe same import through crm, SQLite file versus PostgreSQL (schema crm_bench), and the forecast report");
    println!("{:<12} {:>16} {:>22}", "store", "import rows/s", "pipeline by stage ms");
    println!("{:<12} {:>16} {:>22}", "SQLite", rate(sqlite_import), ms(&sqlite_report));
    println!("{:<12} {:>16} {:>22}", "PostgreSQL", rate(pg), ms(&pg_report));
    let forecast = |v: &Option<serde_json::Value>| v.as_ref().and_then(|v| v["forecast"].as_str().map(str::to_string));
    if let (Some(a), Some(b)) = (forecast(&sqlite_report), forecast(&pg_report))
        && a != b
    {
        println!("warning: the forecast totals differ (SQLite {a}, PostgreSQL {b})");
    }
}
