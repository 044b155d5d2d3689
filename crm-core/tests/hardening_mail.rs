//! Record text in e-mail is data, never structure: merge values are HTML-escaped in HTML bodies (plain
//! text unchanged), a recipient taken from a record field is exactly one address (a record's text cannot
//! add recipients: the task is skipped with a reason naming the field, no mail is queued), and From must
//! be one mailbox.

mod support;
use crm_core::workflow::mail::Mail;
use crm_core::workflow::task::{Action, EmailTask, TaskDef};
use crm_core::workflow::{Effect, Trigger, Workflow};
use crm_core::{Crm, Fields, RecordId};
use support::Backend;

fn deal(crm: &mut Crm, name: &str, description: &str) -> RecordId {
    let f = Fields::new()
        .with("potentialname", name)
        .with("sales_stage", "Prospecting")
        .with("closingdate", "2027-01-01")
        .with("description", description);
    crm.create("Potentials", f).unwrap().id
}

fn mail_workflow(crm: &mut Crm, name: &str, task: EmailTask) -> i64 {
    crm.add_workflow(Workflow::new("Potentials", name, Trigger::FirstSave).task(TaskDef::new("mail", Action::SendEmail(task)))).unwrap().id
}

fn mails(crm: &Crm, wf: i64) -> Vec<Mail> {
    crm.outbox().unwrap().into_iter().filter(|m| m.workflow == Some(wf)).collect()
}

/// The reasons a run of workflow `wf` on `id` skipped its tasks for.
fn skipped(crm: &mut Crm, wf: i64, id: RecordId) -> Vec<String> {
    let trace = crm.run_workflow(wf, id).unwrap();
    trace
        .effects
        .into_iter()
        .filter_map(|e| match e {
            Effect::Skipped { reason, .. } => Some(reason),
            _ => None,
        })
        .collect()
}

const NASTY: &str = "<script>alert('x')</script> & \"<b>bold</b>\"";

fn merge_values_are_escaped_in_html_bodies(b: Backend) {
    let mut t = b.crm();
    let html = mail_workflow(
        &mut t.crm,
        "html",
        EmailTask {
            to: "boss@example.com".into(),
            subject: "Deal $potentialname".into(),
            body: "<p>Deal <b>$potentialname</b>: $description</p>".into(),
            ..Default::default()
        },
    );
    let plain = mail_workflow(
        &mut t.crm,
        "plain",
        EmailTask {
            to: "boss@example.com".into(),
            subject: "x".into(),
            body: "Deal $potentialname: $description".into(),
            ..Default::default()
        },
    );
    deal(&mut t.crm, "A&B <i>", NASTY);
    let m = mails(&t.crm, html);
    assert_eq!(m.len(), 1);
    assert_eq!(
        m[0].body,
        "<p>Deal <b>A&amp;B &lt;i&gt;</b>: &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;&lt;b&gt;bold&lt;/b&gt;&quot;</p>"
    );
    assert_eq!(m[0].subject, "Deal A&B <i>", "headers are not HTML");
    assert_eq!(mails(&t.crm, plain)[0].body, format!("Deal A&B <i>: {NASTY}"), "plain text is unchanged");
}

fn record_text_cannot_add_recipients(b: Backend) {
    let mut t = b.crm();
    let wf = mail_workflow(
        &mut t.crm,
        "notify",
        EmailTask { to: "boss@example.com; $description".into(), cc: "".into(), subject: "Hi".into(), ..Default::default() },
    );
    let bcc = mail_workflow(&mut t.crm, "bcc", EmailTask { bcc: "$description".into(), subject: "Hi".into(), ..Default::default() });
    for bad in [
        "a@example.com, b@example.com",
        "a@example.com;b@example.com",
        "a@example.com\nBcc: c@example.com",
        "a@example.com b@example.com",
        "not an address",
    ] {
        let id = deal(&mut t.crm, "x", bad);
        for w in [wf, bcc] {
            let reasons = skipped(&mut t.crm, w, id);
            assert!(reasons.iter().any(|r| r.contains("'description'")), "{bad:?}: {reasons:?}");
        }
    }
    assert!(mails(&t.crm, wf).is_empty() && mails(&t.crm, bcc).is_empty(), "{:?}", t.crm.outbox().unwrap());
    // One address in the field, or none: fine; the template's own list still lists several.
    deal(&mut t.crm, "ok", " one@example.com ");
    deal(&mut t.crm, "empty", "");
    let m = mails(&t.crm, wf);
    assert_eq!(
        m.iter().map(|m| m.to.clone()).collect::<Vec<_>>(),
        vec![vec!["boss@example.com", "one@example.com"], vec!["boss@example.com"]]
    );
    assert_eq!(mails(&t.crm, bcc).len(), 1);
}

fn from_must_be_one_mailbox(b: Backend) {
    let mut t = b.crm();
    let task = |from: &str| EmailTask { from: from.into(), to: "boss@example.com".into(), subject: "Hi".into(), ..Default::default() };
    let good: Vec<i64> = ["Sales <sales@example.com>", "\"Doe, John\" <john@example.com>", "sales@example.com", ""]
        .iter()
        .enumerate()
        .map(|(i, f)| mail_workflow(&mut t.crm, &format!("good{i}"), task(f)))
        .collect();
    let bad: Vec<i64> = ["a@example.com, b@example.com", "Doe, John <john@example.com>", "nobody", "$description"]
        .iter()
        .enumerate()
        .map(|(i, f)| mail_workflow(&mut t.crm, &format!("bad{i}"), task(f)))
        .collect();
    let id = deal(&mut t.crm, "x", "a@example.com, b@example.com");
    for wf in &good {
        assert_eq!(mails(&t.crm, *wf).len(), 1, "workflow {wf}");
    }
    assert_eq!(mails(&t.crm, good[3])[0].from, "Administrator <admin@example.com>");
    for wf in &bad {
        assert!(mails(&t.crm, *wf).is_empty(), "workflow {wf}: {:?}", mails(&t.crm, *wf));
        assert!(skipped(&mut t.crm, *wf, id).iter().any(|r| r.contains("From")), "workflow {wf}");
    }
}

on_every_backend!(merge_values_are_escaped_in_html_bodies, record_text_cannot_add_recipients, from_must_be_one_mailbox);
