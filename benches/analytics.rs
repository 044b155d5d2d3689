//! Sales analytics on a large store, each report against the same question hand-written in SQL on the same
//! SQLite file: forecast by category × quarter × owner, attainment, win rate with days to close, velocity,
//! stage funnel, time in stage, lost reasons (by reason and by last open stage), pipeline as of a date.
//!
//! The store holds `CRM_BENCH_DEALS` (default 100,000; the target is 1,000,000) deals with 1–5 stage-history
//! rows each (created 2026–2027, moving forward, ending open, won or lost; 1 % deleted), written straight
//! into a crm-created SQLite file (crm's own layout and value formats) and cached under
//! `target/bench-data/analytics_<n>.db`. Before criterion runs, each pair is timed (median of 5) and the
//! ratios crm / SQL printed. The hand-written queries sum with SQLite's floating-point `sum()` (cheaper than
//! crm's exact `crm_sum`) and compute what the report needs in as few statements as a person would write.
//! Run: `cargo bench --bench analytics` (`CRM_BENCH_DEALS=1000000` for the target size).

#[path = "common/mod.rs"]
mod common;

use criterion::{Criterion, criterion_group, criterion_main};
use crm::analytics::{LostBy, ReportBy};
use crm::{Crm, NewUser, PipelineBy};
use rusqlite::Connection;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

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
const CATEGORIES: [&str; 10] =
    ["Pipeline", "Pipeline", "Pipeline", "Pipeline", "Best Case", "Best Case", "Best Case", "Commit", "Closed", "Omitted"];
const REASONS: [&str; 5] = ["Price", "Competitor", "No Budget", "No Decision", "Timing"];
const SOURCES: [&str; 4] = ["Web Site", "Partner", "Cold Call", "Trade Show"];

fn day(n: i64) -> crm::chrono::NaiveDate {
    crm::chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default() + crm::chrono::Duration::days(n)
}

/// The cached store of `n` deals (built once).
fn store(n: u64) -> Res<PathBuf> {
    let path = common::data_dir().join(format!("analytics_{n}.db"));
    if path.exists() {
        return Ok(path);
    }
    let tmp = path.with_extension("db.part");
    let _ = std::fs::remove_file(&tmp);
    eprintln!("building {} (one time) ...", path.display());
    let mut owners = Vec::new();
    {
        let mut crm = common::open_admin(tmp.to_str().ok_or("path")?)?;
        for i in 0..20 {
            owners.push(crm.add_user(NewUser::new(format!("rep{i:02}")))?.id.0);
        }
    }
    let mut conn = Connection::open(&tmp)?;
    let tx = conn.transaction()?;
    {
        let mut entity =
            tx.prepare("INSERT INTO crm_entity (id, module, label, label_key, deleted, version) VALUES (?1, 'Potentials', ?2, ?2, ?3, 1)")?;
        let mut deal = tx.prepare(
            "INSERT INTO potentials (id, potentialname, amount, sales_stage, probability, forecast_amount, forecast_category, closingdate,
             assigned_user_id, leadsource, opportunity_type, lost_reason, createdtime, modifiedtime)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'New Business', ?11, ?12, ?12)",
        )?;
        let mut stage = tx.prepare(
            "INSERT INTO crm_stage_history (record_id, stage, amount, probability, forecast_amount, closingdate, at, actor)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'admin')",
        )?;
        let mut deleted =
            tx.prepare("INSERT INTO crm_history (record_id, module, actor, at, kind) VALUES (?1, 'Potentials', 'admin', ?2, 'deleted')")?;
        let mut rng = common::Lcg(7);
        for i in 0..n {
            let id = 1_000_000 + i as i64;
            let cents = 100_000 + rng.next() % 9_900_000;
            let amount = format!("{}.{:02}", cents / 100, cents % 100);
            let created = (rng.next() % 700) as i64;
            let close = day(created + 20 + (rng.next() % 120) as i64).to_string();
            let steps = 1 + rng.next() % 5;
            let mut pos = (rng.next() % 3) as usize;
            let mut at = created;
            let is_deleted = rng.next().is_multiple_of(100);
            for s in 0..steps {
                if s > 0 {
                    at += 1 + (rng.next() % 25) as i64;
                    pos = match rng.next() % 10 {
                        0..=2 => 9,
                        3..=4 => 8,
                        _ => (pos + 1 + (rng.next() % 2) as usize).min(7),
                    };
                }
                let (name, p) = STAGES[pos];
                let fa = cents * u64::from(p);
                stage.execute(rusqlite::params![
                    id,
                    name,
                    amount,
                    format!("{p}.000"),
                    format!("{}.{:04}", fa / 10_000, fa % 10_000),
                    close,
                    format!("{} 09:00:00", day(at)),
                ])?;
                if pos >= 8 {
                    break;
                }
            }
            let (name, p) = STAGES[pos];
            let fa = cents * u64::from(p);
            let reason = (pos == 9).then(|| REASONS[(rng.next() % 5) as usize]);
            entity.execute(rusqlite::params![id, format!("deal {i}"), is_deleted])?;
            deal.execute(rusqlite::params![
                id,
                format!("deal {i}"),
                amount,
                name,
                format!("{p}.000"),
                format!("{}.{:04}", fa / 10_000, fa % 10_000),
                CATEGORIES[pos],
                close,
                owners[(rng.next() % 20) as usize],
                SOURCES[(rng.next() % 4) as usize],
                reason,
                format!("{} 09:00:00", day(created)),
            ])?;
            if is_deleted {
                deleted.execute(rusqlite::params![id, format!("{} 10:00:00", day(at + 1))])?;
            }
        }
    }
    tx.commit()?;
    drop(conn);
    common::adopt_db(&tmp, &path)?;
    Ok(path)
}

/// Runs a hand-written statement to the end, returning the number of rows.
fn sql(conn: &Connection, text: &str) -> usize {
    let mut st = conn.prepare_cached(text).expect("prepare");
    let cols = st.column_count();
    let mut rows = st.query([]).expect("query");
    let mut n = 0;
    while let Some(r) = rows.next().expect("row") {
        for c in 0..cols {
            black_box(r.get_ref(c).expect("col"));
        }
        n += 1;
    }
    n
}

const LIVE: &str = "FROM potentials t JOIN crm_entity e ON e.id = t.id WHERE e.deleted = 0";
const Y2027: &str = "t.closingdate BETWEEN '2027-01-01' AND '2027-12-31'";
const CREATED_2027: &str = "t.createdtime BETWEEN '2027-01-01 00:00:00' AND '2027-12-31 23:59:59'";

/// The hand-written statements of each report.
fn hand(name: &str) -> Vec<String> {
    let median = |d: &str| {
        format!(
            "WITH d AS ({d}), r AS (SELECT k, days, ROW_NUMBER() OVER (PARTITION BY k ORDER BY days) rn, COUNT(*) OVER (PARTITION BY k) n FROM d)
             SELECT k, count(*), avg(days), avg(CASE WHEN rn IN ((n + 1) / 2, (n + 2) / 2) THEN days END) FROM r GROUP BY k"
        )
    };
    let won_days = |k: &str| {
        median(&format!(
            "SELECT {k} k, julianday(t.closingdate) - julianday(substr(t.createdtime, 1, 10)) days {LIVE} AND {Y2027} AND t.sales_stage = 'Closed Won'"
        ))
    };
    match name {
        "forecast_category_quarter_owner" => vec![format!(
            "SELECT t.forecast_category, substr(t.closingdate, 1, 7), t.assigned_user_id, count(*), sum(t.amount), sum(t.forecast_amount) {LIVE} AND {Y2027} GROUP BY 1, 2, 3"
        )],
        "attainment" => vec![format!(
            "SELECT t.assigned_user_id, t.sales_stage, count(*), sum(t.amount), sum(t.forecast_amount) {LIVE} AND t.closingdate BETWEEN '2027-01-01' AND '2027-03-31' GROUP BY 1, 2"
        )],
        "win_rate_by_owner" => vec![
            format!(
                "SELECT t.assigned_user_id, sum(t.sales_stage = 'Closed Won'), count(*), sum(CASE WHEN t.sales_stage = 'Closed Won' THEN t.amount END), sum(t.amount)
                 {LIVE} AND {Y2027} AND t.sales_stage IN ('Closed Won', 'Closed Lost') GROUP BY 1"
            ),
            won_days("t.assigned_user_id"),
        ],
        "sales_velocity" => vec![
            format!("SELECT sum(t.sales_stage = 'Closed Won'), count(*), sum(CASE WHEN t.sales_stage = 'Closed Won' THEN t.amount END) {LIVE} AND {Y2027} AND t.sales_stage IN ('Closed Won', 'Closed Lost')"),
            won_days("NULL"),
            format!("SELECT count(*) {LIVE} AND t.sales_stage NOT IN ('Closed Won', 'Closed Lost')"),
        ],
        "stage_funnel" => {
            let pos: String = STAGES.iter().enumerate().map(|(i, (s, _))| format!(" WHEN '{s}' THEN {i}")).collect();
            vec![format!(
                "WITH r AS (SELECT DISTINCT s.record_id, CASE s.stage{pos} END AS i FROM crm_stage_history s WHERE s.record_id IN (SELECT t.id {LIVE} AND {CREATED_2027})),
                 dl AS (SELECT record_id, max(CASE WHEN i < 9 THEN i END) furthest, max(i = 8) won FROM r GROUP BY record_id)
                 SELECT r.i, count(*), sum(dl.furthest > r.i), sum(dl.won) FROM r JOIN dl ON dl.record_id = r.record_id GROUP BY r.i"
            )]
        }
        "time_in_stage" => vec![median(&format!(
            "WITH h AS (SELECT s.record_id, s.id, s.stage, s.at, LAG(s.stage) OVER (PARTITION BY s.record_id ORDER BY s.id) prev FROM crm_stage_history s
                        WHERE s.record_id IN (SELECT t.id {LIVE} AND {CREATED_2027})),
                  c AS (SELECT stage, at, LEAD(at) OVER (PARTITION BY record_id ORDER BY id) left_at FROM h WHERE prev IS NULL OR prev <> stage)
             SELECT stage k, julianday(substr(left_at, 1, 10)) - julianday(substr(at, 1, 10)) days FROM c WHERE left_at IS NOT NULL"
        ))],
        "lost_reasons" => vec![format!("SELECT t.lost_reason, count(*), sum(t.amount) {LIVE} AND {Y2027} AND t.sales_stage = 'Closed Lost' GROUP BY 1")],
        "lost_by_last_open_stage" => vec![format!(
            "SELECT (SELECT s.stage FROM crm_stage_history s WHERE s.record_id = t.id AND s.stage NOT IN ('Closed Won', 'Closed Lost') ORDER BY s.id DESC LIMIT 1),
                    count(*), sum(t.amount) {LIVE} AND {Y2027} AND t.sales_stage = 'Closed Lost' GROUP BY 1"
        )],
        "pipeline_as_of" => vec![
            "SELECT s.stage, count(*), sum(s.amount), sum(s.forecast_amount) FROM potentials t JOIN crm_entity e ON e.id = t.id
             JOIN crm_stage_history s ON s.id = (SELECT max(s2.id) FROM crm_stage_history s2 WHERE s2.record_id = t.id AND s2.at < '2027-07-01 00:00:00')
             WHERE e.deleted = 0 OR NOT EXISTS (SELECT 1 FROM crm_history h WHERE h.record_id = t.id AND h.kind = 'deleted' AND h.at < '2027-07-01 00:00:00')
             GROUP BY 1"
                .to_string(),
        ],
        _ => vec![],
    }
}

/// Each report through crm.
fn run(crm: &Crm, name: &str) -> usize {
    let june30 = crm::chrono::NaiveDate::from_ymd_opt(2027, 6, 30).unwrap_or_default();
    let out = match name {
        "forecast_category_quarter_owner" => {
            crm.forecast_by(&[ReportBy::ForecastCategory, ReportBy::Quarter, ReportBy::Owner], Some("2027"), None)
        }
        "attainment" => crm.attainment("2027-Q1", ReportBy::Owner),
        "win_rate_by_owner" => crm.win_rate("2027", ReportBy::Owner),
        "sales_velocity" => crm.sales_velocity("2027"),
        "stage_funnel" => crm.stage_funnel("2027"),
        "time_in_stage" => crm.time_in_stage("2027"),
        "lost_reasons" => crm.lost_reasons("2027", LostBy::Reason),
        "lost_by_last_open_stage" => crm.lost_reasons("2027", LostBy::LastOpenStage),
        "pipeline_as_of" => return crm.pipeline_as_of(june30, PipelineBy::Stage, None).expect("report").len(),
        _ => Ok(vec![]),
    };
    out.expect("report").len()
}

const REPORTS: [&str; 9] = [
    "forecast_category_quarter_owner",
    "attainment",
    "win_rate_by_owner",
    "sales_velocity",
    "stage_funnel",
    "time_in_stage",
    "lost_reasons",
    "lost_by_last_open_stage",
    "pipeline_as_of",
];

fn median_of_5(mut f: impl FnMut()) -> Duration {
    let mut t: Vec<Duration> = (0..5)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed()
        })
        .collect();
    t.sort();
    t[2]
}

fn bench(c: &mut Criterion) {
    let n: u64 = std::env::var("CRM_BENCH_DEALS").ok().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let path = store(n).expect("store");
    let mut crm = common::open_admin(path.to_str().expect("UTF-8 path")).expect("open");
    for i in 0..20 {
        crm.set_quota(&format!("rep{i:02}"), "2027-Q1", rust_decimal::Decimal::from(500_000)).expect("quota");
    }
    let conn = Connection::open(&path).expect("open");
    eprintln!("\n{n} deals: report | crm ms | hand-written SQL ms | crm / SQL");
    for name in REPORTS {
        let statements = hand(name);
        let a = median_of_5(|| {
            black_box(run(&crm, name));
        });
        let b = median_of_5(|| {
            for s in &statements {
                black_box(sql(&conn, s));
            }
        });
        eprintln!("| {name} | {:.1} | {:.1} | {:.2} |", a.as_secs_f64() * 1e3, b.as_secs_f64() * 1e3, a.as_secs_f64() / b.as_secs_f64());
    }
    let mut g = c.benchmark_group(format!("analytics_{}k", n / 1000));
    g.sample_size(10).measurement_time(Duration::from_secs(5)).warm_up_time(Duration::from_secs(1));
    for name in REPORTS {
        g.bench_function(format!("crm/{name}"), |b| b.iter(|| black_box(run(&crm, name))));
        let statements = hand(name);
        g.bench_function(format!("sql/{name}"), |b| {
            b.iter(|| {
                for s in &statements {
                    black_box(sql(&conn, s));
                }
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
