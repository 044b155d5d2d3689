//! PostgreSQL's bulk path (`storage/postgres/bulk.rs`): a long run of inserts committed at once stores row
//! for row what the same changes committed one by one store — every column type (NULLs, decimals with nine
//! places, sub-second times, dates given as date-times, text numbers), history with and without details,
//! stage history, outbox mail (also one mail id named twice), journal rows — and a failing run inside a
//! unit of work leaves nothing behind and the unit usable. (Feature `postgres`; `CRM_TEST_POSTGRES_URL`.)
#![cfg(feature = "postgres")]

mod support;

use support::pg;

use crm_core::chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use crm_core::io::{ImportJournal, ImportRowFate, ImportStatus, RowAction};
use crm_core::rust_decimal::Decimal;
use crm_core::storage::postgres::PostgresStore;
use crm_core::storage::prelude::*;
use crm_core::storage::{Change, ChangeSet, Store};
use crm_core::storage::{ImportChange, RecordChange, WorkflowChange};
use crm_core::workflow::mail::{Mail, MailStatus};
use crm_core::*;
use std::collections::BTreeMap;
use std::str::FromStr;

fn dt(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").unwrap()
}

/// Twelve records of three modules with everything a save writes for them; `dup`: mail ids repeat.
fn changes(base: i64, import_id: i64, dup: bool) -> Vec<Change> {
    let mut out = ChangeSet::new();
    for i in 0..12i64 {
        let id = RecordId(base + i);
        let mut v = BTreeMap::new();
        let (module, label) = if i % 3 == 0 {
            v.insert("accountname".to_string(), Value::Text(format!("  Org Ünï {i} ")));
            v.insert("employees".to_string(), if i == 3 { Value::Null } else { Value::Text(format!(" {i} ")) });
            v.insert("createdtime".to_string(), Value::DateTime(dt("2026-01-02 03:04:05.987654321")));
            ("Accounts", format!("  Org Ünï {i} "))
        } else if i % 3 == 1 {
            v.insert("potentialname".to_string(), Value::Text(format!("Deal {i} \"q\"")));
            v.insert("amount".to_string(), Value::Decimal(Decimal::from_str("12345678901234.123456789").unwrap()));
            v.insert("probability".to_string(), Value::Text("33.5".into()));
            v.insert("closingdate".to_string(), Value::DateTime(dt("2027-05-06 23:59:59.5")));
            v.insert("createdtime".to_string(), Value::Text("2026-01-02 03:04:05".into()));
            v.insert("modifiedtime".to_string(), Value::Date(NaiveDate::from_ymd_opt(2026, 2, 3).unwrap()));
            v.insert("related_to".to_string(), Value::Ref(RecordId(base)));
            ("Potentials", format!("Deal {i}"))
        } else {
            v.insert("subject".to_string(), Value::Text(format!("Call {i}")));
            v.insert("time_start".to_string(), Value::Time(NaiveTime::from_hms_nano_opt(9, 30, 15, 999_000_000).unwrap()));
            v.insert("time_end".to_string(), Value::Text("10:00:00".into()));
            v.insert("date_start".to_string(), Value::Text("2027-01-01".into()));
            ("Calendar", format!("Call {i}"))
        };
        out.push(RecordChange::Insert(Record {
            id,
            module: module.into(),
            label,
            version: 1 + (i as u64 % 2),
            deleted: i == 5,
            values: v.into(),
        }));
        let changes = if i % 4 == 0 {
            vec![]
        } else {
            (0..3)
                .map(|k| FieldChange {
                    field: format!("f{k}"),
                    before: if k == 1 { None } else { Some(format!("b{k}")) },
                    after: if k == 2 { None } else { Some(format!("a{k} Ü")) },
                })
                .collect()
        };
        let mut h = HistoryEntry::new(id, module, "admin", dt("2026-03-04 05:06:07.123"), ChangeKind::Created, changes);
        if i == 2 {
            h.related = Some(RecordId(base));
        }
        out.push(RecordChange::History(h));
        if module == "Potentials" {
            out.push(RecordChange::Stage(StageEntry {
                record: id,
                stage: Some("Prospecting".into()),
                amount: Some(Decimal::from_str("1.10").unwrap()),
                probability: None,
                forecast_amount: Some(Decimal::from_str("-0.000001").unwrap()),
                closingdate: None,
                at: dt("2026-03-04 05:06:07.5"),
                actor: "admin".into(),
            }));
        }
        out.push(WorkflowChange::PutMail(Mail {
            id: 900 + if dup { i % 5 } else { i },
            from: "a@b".into(),
            reply_to: "".into(),
            to: vec!["x@y".into(), "z@w".into()],
            cc: vec![],
            bcc: vec!["q@r".into()],
            subject: format!("S{i}"),
            body: "B".into(),
            record: if i == 7 { None } else { Some(id) },
            workflow: if i % 2 == 0 { Some(3) } else { None },
            status: MailStatus::Queued,
            error: if i == 4 { Some("boom".into()) } else { None },
            created: dt("2026-03-04 05:06:07.25"),
            sent: if i == 6 { Some(dt("2026-03-04 05:06:08")) } else { None },
            attempts: if i == 4 { 2 } else { 0 },
            next_attempt: if i == 4 { Some(dt("2026-03-04 06:00:00")) } else { None },
        }));
        out.push(ImportChange::ImportRow(ImportRowFate {
            import_id,
            line: i as u64 + 2,
            record: id,
            action: RowAction::Created,
            previous: if i == 1 { Some("{}".into()) } else { None },
            version: 1,
        }));
    }
    out.0
}

/// The stored rows of the test's records, as JSON lines (serial ids relative to the first).
fn dump(s: &mut PostgresStore) -> Vec<String> {
    let c = s.client();
    let mut out = vec![];
    for q in [
        "SELECT id, module, label, label_key, deleted, version FROM crm_entity WHERE id >= 500000 ORDER BY id",
        "SELECT * FROM accounts WHERE id >= 500000 ORDER BY id",
        "SELECT * FROM potentials WHERE id >= 500000 ORDER BY id",
        "SELECT * FROM calendar WHERE id >= 500000 ORDER BY id",
        "SELECT h.id - (SELECT min(id) FROM crm_history WHERE record_id >= 500000), record_id, module, actor, at, kind, related_id FROM crm_history h WHERE record_id >= 500000 ORDER BY id",
        "SELECT d.id - (SELECT min(d2.id) FROM crm_history_detail d2 JOIN crm_history h2 ON h2.id = d2.history_id WHERE h2.record_id >= 500000), h.record_id, field, before, after FROM crm_history_detail d JOIN crm_history h ON h.id = d.history_id WHERE h.record_id >= 500000 ORDER BY d.id",
        "SELECT record_id, stage, amount, probability, forecast_amount, closingdate, at, actor FROM crm_stage_history WHERE record_id >= 500000 ORDER BY id",
        "SELECT * FROM crm_outbox WHERE id >= 900 ORDER BY id",
        "SELECT import_id, line, record_id, action, previous, version FROM crm_import_rows WHERE import_id = 777 ORDER BY id",
    ] {
        let q2 = format!("SELECT row_to_json(x)::text FROM ({q}) x");
        for r in c.query(&q2, &[]).unwrap() {
            out.push(r.get::<_, String>(0));
        }
        out.push("--".into());
    }
    out
}

fn journal() -> ImportJournal {
    ImportJournal {
        id: 777,
        module: "Potentials".into(),
        kind: "csv".into(),
        actor: "admin".into(),
        at: dt("2026-01-01 00:00:00"),
        status: ImportStatus::Running,
        rows: 0,
        created: 0,
        updated: 0,
        merged: 0,
        skipped: 0,
        failed: 0,
    }
}

#[test]
fn a_bulk_commit_stores_what_change_by_change_commits_store() {
    for dup in [false, true] {
        bulk_equals_per_change(dup);
    }
}

fn bulk_equals_per_change(dup: bool) {
    let (Some(sa), Some(sb)) = (pg::TestSchema::new(), pg::TestSchema::new()) else { return };
    let _ = Crm::with_store(Box::new(sa.store())).unwrap();
    let _ = Crm::with_store(Box::new(sb.store())).unwrap();
    let mut a = sa.store();
    a.load_schema().unwrap();
    let mut b = sb.store();
    b.load_schema().unwrap();
    a.commit(&ChangeSet(vec![Change::Import(ImportChange::PutImport(journal()))])).unwrap();
    b.commit(&ChangeSet(vec![Change::Import(ImportChange::PutImport(journal()))])).unwrap();
    let ch = changes(500000, 777, dup);
    assert!(ch.len() >= 16);
    a.commit(&ChangeSet(ch.clone())).unwrap();
    for c in ch {
        b.commit(&ChangeSet(vec![c])).unwrap();
    }
    let (da, db) = (dump(&mut a), dump(&mut b));
    assert_eq!(da, db);
    // read back through the store API as well
    for i in 0..12 {
        assert_eq!(a.get(RecordId(500000 + i)).unwrap(), b.get(RecordId(500000 + i)).unwrap());
    }
}

#[test]
fn a_failed_bulk_commit_inside_a_unit_leaves_it_usable() {
    let Some(s) = pg::TestSchema::new() else { return };
    let _ = Crm::with_store(Box::new(s.store())).unwrap();
    let mut a = s.store();
    a.load_schema().unwrap();
    a.commit(&ChangeSet(vec![Change::Import(ImportChange::PutImport(journal()))])).unwrap();
    a.begin_unit().unwrap();
    let mut ch = changes(600000, 777, true);
    // duplicate record id in the run
    if let Change::Record(RecordChange::Insert(r)) = ch[0].clone() {
        ch.push(Change::Record(RecordChange::Insert(r)));
    }
    let e = a.commit(&ChangeSet(ch)).unwrap_err();
    assert_eq!(e.code(), "duplicate", "{e}");
    let ok = changes(700000, 777, true);
    a.commit(&ChangeSet(ok)).unwrap();
    a.end_unit(true).unwrap();
    assert!(a.get(RecordId(700000)).unwrap().is_some());
    assert!(a.get(RecordId(600000)).unwrap().is_none());
    // bad value in module rows
    let mut ch = changes(800000, 777, true);
    if let Change::Record(RecordChange::Insert(r)) = &mut ch[0] {
        r.values.insert("employees".into(), Value::Text("many".into()));
    }
    let e = a.commit(&ChangeSet(ch)).unwrap_err();
    assert_eq!(e.code(), "invalid_argument", "{e}");
    assert!(a.get(RecordId(800000)).unwrap().is_none());
}
