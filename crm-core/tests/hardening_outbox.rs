//! The outbox scales and is kept clean: a paged, status-filtered read; marking or delivering one mail reads
//! that mail only (counted, at two outbox sizes); retention purges sent mail older than a cutoff; failed
//! mail counts its attempts, backs off (doubling, by the injected clock) and is given up on after
//! `MAX_MAIL_ATTEMPTS`, reported once and never tried again; an outbox of the older layout migrates.

mod support;
use chrono::{NaiveDateTime, TimeDelta};
use crm_core::limits::{MAIL_RETRY_BASE_SECS, MAX_MAIL_ATTEMPTS};
use crm_core::storage::memory::MemoryStore;
use crm_core::workflow::mail::{Mail, MailStatus, Mailer, MemoryMailer};
use crm_core::workflow::task::{Action, EmailTask, TaskDef};
use crm_core::workflow::{Trigger, Workflow};
use crm_core::{Crm, Fields, NewUser};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use support::Backend;

/// Adds a workflow mailing on every first save and creates `n` deals: `n` more mails in the outbox.
fn queue_mails(crm: &mut Crm, n: usize) {
    if !crm.workflows("Potentials").unwrap().iter().any(|w| w.name == "mail each deal") {
        let task = EmailTask { to: "sales@example.com".into(), subject: "Deal $potentialname".into(), ..Default::default() };
        crm.add_workflow(
            Workflow::new("Potentials", "mail each deal", Trigger::FirstSave).task(TaskDef::new("mail", Action::SendEmail(task))),
        )
        .unwrap();
    }
    for i in 0..n {
        let f =
            Fields::new().with("potentialname", format!("Deal {i}")).with("sales_stage", "Prospecting").with("closingdate", "2027-01-01");
        crm.create("Potentials", f).unwrap();
    }
}

/// Every page of the outbox with `status`, `size` at a time.
fn pages(crm: &Crm, status: Option<MailStatus>, size: usize) -> Vec<Vec<Mail>> {
    let (mut out, mut after) = (Vec::new(), 0);
    loop {
        let page = crm.outbox_page(status, after, size).unwrap();
        assert!(page.len() <= size);
        let Some(last) = page.last() else { return out };
        after = last.id;
        out.push(page);
    }
}

fn outbox_pages_by_status(b: Backend) {
    let mut t = b.crm();
    queue_mails(&mut t.crm, 7);
    let all = t.outbox().unwrap();
    assert!(all.len() >= 7);
    for m in all.iter().step_by(2) {
        t.mark_sent(m.id).unwrap();
    }
    t.mark_failed(all[1].id, "smtp down").unwrap();
    let all = t.outbox().unwrap();
    for status in [None, Some(MailStatus::Queued), Some(MailStatus::Sent), Some(MailStatus::Failed)] {
        let want: Vec<i64> = all.iter().filter(|m| status.is_none_or(|s| m.status == s)).map(|m| m.id).collect();
        let got: Vec<i64> = pages(&t.crm, status, 2).concat().iter().map(|m| m.id).collect();
        assert_eq!(got, want, "{status:?}");
    }
    assert!(t.outbox_page(None, i64::MAX, 10).unwrap().is_empty());
    assert_eq!(t.outbox_page(None, 0, 0).unwrap(), vec![]);
}

fn failed_mail_backs_off_and_is_given_up(b: Backend) {
    struct Down;
    impl Mailer for Down {
        fn send(&mut self, _: &Mail) -> Result<(), String> {
            Err("smtp down".into())
        }
    }
    let mut t = b.crm();
    queue_mails(&mut t.crm, 1);
    let id = t.outbox().unwrap().last().unwrap().id;
    let other: Vec<i64> = t.outbox().unwrap().iter().map(|m| m.id).filter(|m| *m != id).collect();
    for m in other {
        t.mark_sent(m).unwrap(); // only ours stays undelivered
    }
    let mut wait = MAIL_RETRY_BASE_SECS;
    for attempt in 1..=MAX_MAIL_ATTEMPTS {
        let now = t.now();
        let r = t.deliver_outbox(&mut Down).unwrap();
        assert_eq!((r.sent, r.failed), (0, 1), "attempt {attempt}");
        let m = t.mail(id).unwrap();
        assert_eq!((m.status, m.attempts, m.error.as_deref()), (MailStatus::Failed, attempt, Some("smtp down")));
        if attempt == MAX_MAIL_ATTEMPTS {
            assert_eq!(r.given_up, vec![id]);
            assert_eq!(m.next_attempt, None);
            assert!(m.given_up());
            break;
        }
        assert!(r.given_up.is_empty());
        assert_eq!(m.next_attempt, Some(now + TimeDelta::seconds(wait)), "attempt {attempt}");
        // Not due before the back-off has passed.
        t.clock.advance(TimeDelta::seconds(wait - 1));
        assert_eq!(t.deliver_outbox(&mut Down).unwrap().failed, 0, "attempt {attempt}: too early");
        t.clock.advance(TimeDelta::seconds(1));
        wait *= 2;
    }
    // Given up for good: later runs never try it again, and it stays listed as failed.
    t.clock.advance(TimeDelta::seconds(365 * 86_400));
    let mut ok = MemoryMailer::default();
    assert_eq!(t.deliver_outbox(&mut ok).unwrap().sent, 0);
    assert!(ok.sent.is_empty());
    assert_eq!(t.outbox_page(Some(MailStatus::Failed), 0, 10).unwrap().iter().map(|m| m.id).collect::<Vec<_>>(), vec![id]);
    // A host that marks it failed by hand counts no further back into delivery.
    t.mark_failed(id, "still down").unwrap();
    assert!(t.mail(id).unwrap().given_up());
}

fn purge_removes_old_sent_mail_only(b: Backend) {
    let mut t = b.crm();
    queue_mails(&mut t.crm, 4);
    let ids: Vec<i64> = t.outbox().unwrap().iter().map(|m| m.id).collect();
    let n = ids.len();
    t.mark_sent(ids[0]).unwrap();
    t.mark_sent(ids[1]).unwrap();
    t.clock.advance(TimeDelta::seconds(86_400));
    let cutoff = t.now();
    t.mark_sent(ids[2]).unwrap(); // sent at the cutoff: kept
    t.mark_failed(ids[3], "x").unwrap();
    assert_eq!(t.purge_outbox(cutoff).unwrap(), 2);
    let left: Vec<i64> = t.outbox().unwrap().iter().map(|m| m.id).collect();
    assert_eq!(left, ids[2..].to_vec());
    assert_eq!(left.len(), n - 2);
    assert_eq!(t.purge_outbox(cutoff).unwrap(), 0);
    assert_eq!(t.purge_outbox(cutoff + TimeDelta::seconds(1)).unwrap(), 1);
}

on_every_backend!(outbox_pages_by_status, failed_mail_backs_off_and_is_given_up, purge_removes_old_sent_mail_only);

/// Mails the store hands out while `n` mails are delivered (and while one of them is marked by hand).
fn mails_read_delivering(n: usize) -> (u64, u64, u64) {
    let store = MemoryStore::new();
    let read = store.mails_read();
    let clock = Arc::new(crm_core::clock::FixedClock::at(support::START));
    let mut crm = Crm::with_store(Box::new(store)).unwrap().with_clock(clock);
    crm.add_user(NewUser::new("admin").full_name("Administrator").email("admin@example.com")).unwrap();
    crm.set_actor("admin").unwrap();
    queue_mails(&mut crm, n);
    let first = crm.outbox_page(None, 0, 1).unwrap()[0].id;
    let before = read.load(Ordering::Relaxed);
    crm.mark_failed(first, "down").unwrap();
    let marking = read.load(Ordering::Relaxed) - before;
    let before = read.load(Ordering::Relaxed);
    let r = crm.deliver_outbox(&mut MemoryMailer::default()).unwrap();
    let delivering = read.load(Ordering::Relaxed) - before;
    let total = crm.outbox().unwrap().len();
    assert!(total >= n);
    assert_eq!(r.sent, total - 1);
    (marking, delivering, r.sent as u64)
}

/// Marking one mail reads that mail only, and a delivery run reads each due mail once: the work per mail is
/// the same with 4x the mails (it used to read the whole outbox per mail: quadratic).
#[test]
fn delivery_reads_each_mail_once() {
    let (mark_small, small, sent_small) = mails_read_delivering(10);
    let (mark_large, large, sent_large) = mails_read_delivering(40);
    assert_eq!((mark_small, mark_large), (1, 1), "marking one mail reads that mail only");
    // Every mail but the failed one (whose back-off has not passed) is read once, at either size.
    assert_eq!(small, sent_small, "mails read delivering {sent_small}");
    assert_eq!(large, sent_large, "mails read delivering {sent_large}");
}

/// An outbox of the first layout (no attempt columns) opens, migrates, and keeps its failed mail due.
#[test]
fn older_sqlite_outbox_migrates() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crm.db");
    let failed = {
        let mut crm = Crm::open(&path).unwrap().with_clock(Arc::new(crm_core::clock::FixedClock::at(support::START)));
        crm.add_user(NewUser::new("admin").email("admin@example.com")).unwrap();
        crm.set_actor("admin").unwrap();
        queue_mails(&mut crm, 2);
        let id = crm.outbox().unwrap()[0].id;
        crm.mark_failed(id, "down").unwrap();
        id
    };
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "ALTER TABLE crm_outbox DROP COLUMN attempts; ALTER TABLE crm_outbox DROP COLUMN next_attempt_at; PRAGMA user_version = 1;",
        )
        .unwrap();
    }
    let crm = Crm::open(&path).unwrap();
    let v: i64 = rusqlite::Connection::open(&path).unwrap().query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(v, crm_core::storage::sqlite::LAYOUT_VERSION);
    let m = crm.mail(failed).unwrap();
    assert_eq!((m.status, m.attempts), (MailStatus::Failed, 1));
    assert_eq!(m.next_attempt, Some(m.created));
    let _: Option<NaiveDateTime> = m.next_attempt;
}

/// The same on PostgreSQL: an outbox of the first layout (`crm_migrations` at version 1) migrates.
#[cfg(feature = "postgres")]
#[test]
fn older_postgres_outbox_migrates() {
    let Some(s) = support::pg::TestSchema::new() else { return };
    let failed = {
        let mut crm = Crm::with_store(Box::new(s.store())).unwrap().with_clock(Arc::new(crm_core::clock::FixedClock::at(support::START)));
        crm.add_user(NewUser::new("admin").email("admin@example.com")).unwrap();
        crm.set_actor("admin").unwrap();
        queue_mails(&mut crm, 2);
        let id = crm.outbox().unwrap()[0].id;
        crm.mark_failed(id, "down").unwrap();
        id
    };
    let mut c = s.client();
    c.batch_execute(&format!(
        "SET search_path TO \"{}\"; ALTER TABLE crm_outbox DROP COLUMN attempts; ALTER TABLE crm_outbox DROP COLUMN next_attempt_at;
         DELETE FROM crm_migrations WHERE version > 1",
        s.name
    ))
    .unwrap();
    let crm = Crm::with_store(Box::new(s.store())).unwrap();
    let v: i32 = c.query_one("SELECT max(version) FROM crm_migrations", &[]).unwrap().get(0);
    assert_eq!(v, crm_core::storage::postgres::LAYOUT_VERSION);
    let m = crm.mail(failed).unwrap();
    assert_eq!((m.status, m.attempts, m.next_attempt), (MailStatus::Failed, 1, Some(m.created)));
}
