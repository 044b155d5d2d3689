//! (e) The same-work floor: a hand-written `csv` + `rusqlite` importer that writes exactly the rows and
//! index entries crm writes for the same file, with no engine in between.
//!
//! The layout is crm's own: the file is created by opening it with crm (tables, indexes, the admin user,
//! the default workflows), so every table and index crm maintains is there and maintained by SQLite on every
//! insert. Per opportunity it writes what crm's import writes: the `crm_entity` row, the `potentials` row (10
//! indexes), the change-log entry with its one compact creation row, the stage-history row, the outbox mail
//! of the default "Potential created" workflow and the import-journal row; per organization met for the
//! first time, its entity row, `accounts` row, change-log entry with its creation row and the journal row;
//! per batch of 1,000 rows, one transaction with the import journal, the id sequence and the auto-numbers.
//! Lookups a hand-written program keeps in memory (organizations by name) are in memory.
//!
//! [`check`] compares such a file with crm's file of the same CSV: the same tables and indexes, the same
//! number of rows in every table and the same number of values in every column. It runs on a small file
//! before the timed contenders, so that a layout change in crm that this program does not follow is reported
//! instead of silently measuring something else.

use super::common::{self, Res};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::str::FromStr;

/// Rows per transaction (crm's import commits in batches of 1,000 in `common::import_options`).
const BATCH: u64 = 1000;

/// The potentials columns in the order of the insert below.
const POTENTIAL_INSERT: &str = "INSERT INTO potentials (id, potentialname, potential_no, related_to, amount, opportunity_type, closingdate,
    leadsource, assigned_user_id, sales_stage, probability, createdtime, modifiedtime, modifiedby, source, forecast_amount,
    isconvertedfromlead, forecast_category, currency, amount_base, forecast_amount_base, description)
    VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22)";
const ACCOUNT_INSERT: &str = "INSERT INTO accounts (id, accountname, account_no, emailoptout, assigned_user_id, notify_owner, createdtime,
    modifiedtime, modifiedby, source, isconvertedfromlead) VALUES (?1,?2,?3,0,?4,0,?5,?5,?4,'IMPORT',0)";
const ENTITY_INSERT: &str = "INSERT INTO crm_entity (id, module, label, label_key, deleted, version) VALUES (?1, ?2, ?3, ?4, 0, 1)";
const HISTORY_INSERT: &str =
    "INSERT INTO crm_history (record_id, module, actor, at, kind, related_id) VALUES (?1, ?2, ?3, ?4, 'created', NULL)";
const DETAIL_INSERT: &str = "INSERT INTO crm_history_detail (history_id, field, before, after) VALUES (?1, '*created', NULL, ?2)";
const STAGE_INSERT: &str = "INSERT INTO crm_stage_history (record_id, stage, amount, probability, forecast_amount, closingdate, at, actor)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
const MAIL_INSERT: &str = "INSERT INTO crm_outbox (id, record_id, workflow_id, from_addr, reply_to, to_addrs, cc_addrs, bcc_addrs, subject,
    body, status, error, created_at, sent_at, attempts, next_attempt_at)
    VALUES (?1, ?2, ?3, ?4, '', ?5, '', '', 'Regarding Potential Assignment', ?6, 'queued', NULL, ?7, NULL, 0, NULL)";
const JOURNAL_ROW_INSERT: &str =
    "INSERT INTO crm_import_rows (import_id, line, record_id, action, previous, version) VALUES (?1, ?2, ?3, ?4, NULL, 1)";
const JOURNAL_PUT: &str = "INSERT INTO crm_imports (id, module, kind, actor, at, status, rows, created, updated, merged, skipped, failed)
    VALUES (?1, 'Potentials', 'csv', ?2, ?3, ?4, ?5, ?5, 0, 0, 0, 0)
    ON CONFLICT (id) DO UPDATE SET status = excluded.status, rows = excluded.rows, created = excluded.created";

/// The forecast category of a deal at `stage`: crm's built-in stage mapping (a deal's `forecast_category`).
fn forecast_category(stage: &str) -> &'static str {
    match stage {
        "Id. Decision Makers" | "Perception Analysis" | "Proposal or Price Quote" => "Best Case",
        "Negotiation or Review" => "Commit",
        "Closed Won" => "Closed",
        "Closed Lost" => "Omitted",
        _ => "Pipeline",
    }
}

/// Appends `s` HTML-escaped (as the workflow mail's template does with field values).
fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#039;"),
            c => out.push(c),
        }
    }
}

/// The creation row's JSON: `[field, value]` pairs in field-name order, as crm's compact creation entry.
fn creation_json(pairs: &mut [(&str, &str)]) -> String {
    pairs.sort_unstable_by_key(|p| p.0);
    serde_json::to_string(pairs).unwrap_or_default()
}

/// What the setup left in the file: the actor's user id, name and e-mail, the creation-mail workflow and the
/// store's base currency (the records' currency: their base copies are their amounts).
struct Setup {
    currency: String,
    user_id: i64,
    actor: String,
    from: String,
    email: String,
    mail_workflow: i64,
}

/// Creates crm's layout in a new file (through crm, as (a) does) and reads what the import needs from it.
fn setup(db: &Path) -> Res<Setup> {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let currency = common::open_admin(db.to_str().ok_or("db path is not UTF-8")?)?.base_currency()?.code;
    let conn = rusqlite::Connection::open(db)?;
    let (user_id, actor, full, email): (i64, String, String, String) =
        conn.query_row("SELECT id, user_name, full_name, email FROM crm_users WHERE user_name = 'admin'", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
    let mail_workflow = conn.query_row(
        "SELECT id FROM crm_workflows WHERE module = 'Potentials' AND active AND tasks LIKE '%send_email%' ORDER BY id LIMIT 1",
        [],
        |r| r.get(0),
    )?;
    Ok(Setup { currency, user_id, actor, from: format!("{full} <{email}>"), email, mail_workflow })
}

/// A leaner layout to measure against (e): what one of the directions of the write path would save.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// Exactly what crm writes.
    Same,
    /// Without the nine single-column indexes of `potentials` (the unique auto-number index stays).
    NoIndexes,
    /// The nine indexes dropped before the load and built again after it (timed).
    IndexesAfter,
    /// Without the compact creation row of the change log (a creation entry repeats the record).
    NoCreationRow,
    /// Without the creation mail.
    NoMail,
    /// One import-journal row per batch (a range of ids) instead of one per record.
    JournalRanges,
}

impl Variant {
    /// Every variant with its name (the child mode's argument).
    pub const ALL: [(&'static str, Variant); 6] = [
        ("same", Variant::Same),
        ("no-indexes", Variant::NoIndexes),
        ("indexes-after", Variant::IndexesAfter),
        ("no-creation-row", Variant::NoCreationRow),
        ("no-mail", Variant::NoMail),
        ("journal-ranges", Variant::JournalRanges),
    ];

    /// The variant named `name`.
    pub fn named(name: &str) -> Option<Variant> {
        Variant::ALL.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }
}

/// The single-column indexes of `potentials` other than the unique auto-number's.
fn plain_indexes(conn: &rusqlite::Connection) -> Res<Vec<String>> {
    let mut st = conn.prepare(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'potentials' AND sql IS NOT NULL AND sql NOT LIKE '%UNIQUE%'",
    )?;
    let v = st.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    Ok(v)
}

/// (e) Imports `csv_path` into a new file at `db`, writing what crm writes (see the module docs), or less
/// (`variant`).
pub fn same_work(csv_path: &Path, db: &Path, variant: Variant) -> Res<u64> {
    let s = setup(db)?;
    let mut conn = rusqlite::Connection::open(db)?;
    conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;")?;
    let indexes = plain_indexes(&conn)?;
    if matches!(variant, Variant::NoIndexes | Variant::IndexesAfter) {
        for sql in &indexes {
            let name = sql.split_whitespace().nth(2).ok_or("index sql")?; // CREATE INDEX name ON ...
            conn.execute_batch(&format!("DROP INDEX {name}"))?;
        }
    }
    let now: String = conn.query_row("SELECT strftime('%Y-%m-%d %H:%M:%S', 'now')", [], |r| r.get(0))?;
    let mut next_id: i64 = conn.query_row("SELECT coalesce((SELECT value FROM crm_seq WHERE name = 'id'), 1)", [], |r| r.get(0))?;
    let mut take_id = || {
        next_id += 1;
        next_id - 1
    };
    let import_id = take_id();
    conn.execute(JOURNAL_PUT, rusqlite::params![import_id, s.actor, now, "running", 0])?;

    let mut orgs: HashMap<String, i64> = HashMap::new();
    let (mut account_no, mut potential_no) = (0u64, 0u64);
    let mut rdr = csv::Reader::from_path(csv_path)?;
    let mut rec = csv::StringRecord::new();
    let mut rows = 0u64;
    let mut body = String::with_capacity(512);
    let mut more = true;
    while more {
        let tx = conn.transaction()?;
        let mut in_batch = 0;
        {
            let mut entity = tx.prepare_cached(ENTITY_INSERT)?;
            let mut potential = tx.prepare_cached(POTENTIAL_INSERT)?;
            let mut account = tx.prepare_cached(ACCOUNT_INSERT)?;
            let mut history = tx.prepare_cached(HISTORY_INSERT)?;
            let mut detail = tx.prepare_cached(DETAIL_INSERT)?;
            let mut stage = tx.prepare_cached(STAGE_INSERT)?;
            let mut mail = tx.prepare_cached(MAIL_INSERT)?;
            let mut journal = tx.prepare_cached(JOURNAL_ROW_INSERT)?;
            while in_batch < BATCH {
                if !rdr.read_record(&mut rec)? {
                    more = false;
                    break;
                }
                in_batch += 1;
                rows += 1;
                let line = rows + 1; // the header is line 1
                // The organization, by name (`Accounts::::Name`), created the first time it is met.
                let org_name = rec[2].strip_prefix("Accounts::::").unwrap_or(&rec[2]);
                let org = match orgs.get(org_name) {
                    Some(id) => *id,
                    None => {
                        let id = take_id();
                        account_no += 1;
                        let no = format!("ACC{account_no}");
                        entity.execute(rusqlite::params![id, "Accounts", org_name, org_name.to_lowercase()])?;
                        account.execute(rusqlite::params![id, org_name, no, s.user_id, now])?;
                        history.execute(rusqlite::params![id, "Accounts", s.actor, now])?;
                        let h = tx.last_insert_rowid();
                        let uid = s.user_id.to_string();
                        let json = creation_json(&mut [
                            ("account_no", &no),
                            ("accountname", org_name),
                            ("assigned_user_id", &uid),
                            ("createdtime", &now),
                            ("emailoptout", "0"),
                            ("isconvertedfromlead", "0"),
                            ("notify_owner", "0"),
                            ("source", "IMPORT"),
                        ]);
                        detail.execute(rusqlite::params![h, json])?;
                        journal.execute(rusqlite::params![import_id, line as i64, id, "created_reference"])?;
                        orgs.insert(org_name.to_string(), id);
                        id
                    }
                };
                // The opportunity: converted values, the forecast the workflow computes, the number it asked for.
                let amount = format!("{:.2}", Decimal::from_str(&rec[4])?);
                let prob = Decimal::from_str(&rec[12])?;
                let forecast = format!("{:.4}", Decimal::from_str(&amount)? * prob / Decimal::ONE_HUNDRED);
                let prob = format!("{prob:.3}");
                // The base-currency copies: the record is in the base currency, so they are the amounts at
                // the copies' four places.
                let amount_base = format!("{:.4}", Decimal::from_str(&amount)?);
                let (name, number, typ, close, source, stage_name, created, descr) =
                    (&rec[0], &rec[1], &rec[5], &rec[6], &rec[7], &rec[10], &rec[14], &rec[19]);
                potential_no = potential_no.max(number.strip_prefix("POT").and_then(|n| n.parse().ok()).unwrap_or(0));
                let id = take_id();
                let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
                entity.execute(rusqlite::params![id, "Potentials", name, name.to_lowercase()])?;
                potential.execute(rusqlite::params![
                    id,
                    name,
                    number,
                    org,
                    amount,
                    opt(typ),
                    close,
                    opt(source),
                    s.user_id,
                    stage_name,
                    prob,
                    created,
                    now,
                    s.user_id,
                    "IMPORT",
                    forecast,
                    0,
                    forecast_category(stage_name),
                    s.currency,
                    amount_base,
                    forecast,
                    opt(descr)
                ])?;
                history.execute(rusqlite::params![id, "Potentials", s.actor, now])?;
                let h = tx.last_insert_rowid();
                let (uid, org_s) = (s.user_id.to_string(), org.to_string());
                let mut pairs = vec![
                    ("amount", amount.as_str()),
                    ("assigned_user_id", &uid),
                    ("closingdate", close),
                    ("createdtime", created),
                    ("currency", &s.currency),
                    ("forecast_amount", &forecast),
                    ("forecast_category", forecast_category(stage_name)),
                    ("isconvertedfromlead", "0"),
                    ("potential_no", number),
                    ("potentialname", name),
                    ("probability", &prob),
                    ("related_to", &org_s),
                    ("sales_stage", stage_name),
                    ("source", "IMPORT"),
                ];
                for (f, v) in [("description", descr), ("leadsource", source), ("opportunity_type", typ)] {
                    if !v.is_empty() {
                        pairs.push((f, v));
                    }
                }
                if variant != Variant::NoCreationRow {
                    detail.execute(rusqlite::params![h, creation_json(&mut pairs)])?;
                }
                stage.execute(rusqlite::params![id, stage_name, amount, prob, forecast, close, now, s.actor])?;
                // The default workflow's creation mail to the assigned user.
                body.clear();
                body.push_str("An Potential has been assigned to you on vtigerCRM<br>Details of Potential are :<br><br>Potential No:<b>");
                for (v, after) in [
                    (number, "</b><br>Potential Name:<b>"),
                    (name, "</b><br>Amount:<b>"),
                    (amount.as_str(), "</b><br>Expected Close Date:<b>"),
                    (close, "</b><br>Type:<b>"),
                    (typ, "</b><br><br><br>Description :"),
                    (descr, "<br><br>Thank You<br>Admin"),
                ] {
                    escape_into(&mut body, v);
                    body.push_str(after);
                }
                if variant != Variant::NoMail {
                    mail.execute(rusqlite::params![take_id(), id, s.mail_workflow, s.from, s.email, body, now])?;
                }
                if variant != Variant::JournalRanges {
                    journal.execute(rusqlite::params![import_id, line as i64, id, "created"])?;
                } else if in_batch == 1 {
                    // The batch's first id and line; the range's end goes in `previous` (a stand-in column).
                    journal.execute(rusqlite::params![import_id, line as i64, id, "created"])?;
                }
            }
            let status = if more { "running" } else { "completed" };
            tx.execute(JOURNAL_PUT, rusqlite::params![import_id, s.actor, now, status, rows as i64])?;
            tx.execute("UPDATE crm_seq SET value = ?1 WHERE name = 'id'", [take_id()])?;
            for (module, prefix, n) in [("Potentials", "POT", potential_no), ("Accounts", "ACC", account_no)] {
                tx.execute(
                    "INSERT INTO crm_autonum (module, prefix, next) VALUES (?1, ?2, ?3)
                     ON CONFLICT (module) DO UPDATE SET next = excluded.next",
                    rusqlite::params![module, prefix, (n + 1).to_string()],
                )?;
            }
        }
        tx.commit()?;
    }
    if variant == Variant::IndexesAfter {
        conn.execute_batch(&indexes.join(";"))?;
    }
    Ok(rows)
}

/// What a file holds, table by table: `(type, name, table)` of every schema object, and per table its row
/// count and the number of non-NULL values of each column.
type Profile = (Vec<(String, String, String)>, BTreeMap<String, (i64, Vec<(String, i64)>)>);

fn profile(db: &Path) -> Res<Profile> {
    let conn = rusqlite::Connection::open(db)?;
    let mut st = conn.prepare("SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_stat%' ORDER BY 1, 2")?;
    let objects: Vec<(String, String, String)> =
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<rusqlite::Result<_>>()?;
    let mut tables = BTreeMap::new();
    for (_, t, _) in objects.iter().filter(|(ty, ..)| ty == "table") {
        let mut cols = conn.prepare("SELECT name FROM pragma_table_info(?1)")?;
        let names: Vec<String> = cols.query_map([t], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        let q = |c: &str| c.replace('"', "\"\"");
        let counts: Vec<String> = names.iter().map(|c| format!("count(\"{}\")", q(c))).collect();
        let sql = format!("SELECT count(*), {} FROM \"{}\"", counts.join(", "), q(t));
        let row: Vec<i64> = conn.query_row(&sql, [], |r| (0..=names.len()).map(|i| r.get(i)).collect())?;
        tables.insert(t.clone(), (row[0], names.into_iter().zip(row[1..].iter().copied()).collect()));
    }
    Ok((objects, tables))
}

/// Compares (e)'s file with crm's file of the same CSV (see the module docs); the differences, one a line.
pub fn check(crm_db: &Path, e_db: &Path) -> Res<Vec<String>> {
    let (a_objects, a_tables) = profile(crm_db)?;
    let (e_objects, e_tables) = profile(e_db)?;
    let mut diffs = Vec::new();
    for o in a_objects.iter().filter(|o| !e_objects.contains(o)) {
        diffs.push(format!("{} {} (on {}) is in crm's file only", o.0, o.1, o.2));
    }
    for o in e_objects.iter().filter(|o| !a_objects.contains(o)) {
        diffs.push(format!("{} {} (on {}) is in (e)'s file only", o.0, o.1, o.2));
    }
    for (t, (n, cols)) in &a_tables {
        let Some((en, ecols)) = e_tables.get(t) else { continue };
        if n != en {
            diffs.push(format!("{t}: crm wrote {n} rows, (e) {en}"));
        }
        for ((c, k), (_, ek)) in cols.iter().zip(ecols) {
            if k != ek && n == en {
                diffs.push(format!("{t}.{c}: crm wrote {k} values, (e) {ek}"));
            }
        }
    }
    Ok(diffs)
}
