//! E-mail alerts and the forecast, from the API.
//!
//! Run with `cargo run --example alerts`. It opens an in-memory store (which gets vtiger's two default
//! Opportunity workflows), adds the "big deal" alert of the seed (first save only, amount greater than
//! 10000, e-mail with a merged subject and body), creates two deals, shows the forecast amounts and the
//! outbox, and delivers the outbox through a small mailer that prints each mail.

use crm::workflow::condition::{Cond, FieldPath, Operand, Test, WfOp};
use crm::workflow::mail::{Mail, Mailer};
use crm::workflow::task::{Action, EmailTask, TaskDef};
use crm::workflow::{Trigger, Workflow};
use crm::{Crm, Fields, NewUser};

/// Prints mail instead of sending it.
struct PrintMailer;

impl Mailer for PrintMailer {
    fn send(&mut self, m: &Mail) -> Result<(), String> {
        println!("  -> to {:?} | {}\n     {}", m.to, m.subject, m.body);
        Ok(())
    }
}

fn main() -> Result<(), crm::Error> {
    let mut crm = Crm::open(":memory:")?;
    crm.add_user(NewUser::new("admin").full_name("Ada Admin").email("ada@example.com"))?;
    crm.set_actor("admin")?;
    crm.create("Accounts", Fields::new().with("accountname", "Hooli"))?;

    let alert = Workflow::new("Opportunities", "Big deal alert", Trigger::FirstSave)
        .when(Cond::Test(Test { field: FieldPath::Own("amount".into()), op: WfOp::GreaterThan, value: Operand::Raw("10000".into()) }))
        .task(TaskDef::new(
            "Email sales managers",
            Action::SendEmail(EmailTask {
                from: "crm@example.com".into(),
                to: "sales-managers@example.com".into(),
                subject: "Big deal: $potentialname ($amount)".into(),
                body: "Opportunity $potential_no for $(related_to : (Accounts) accountname) is worth $amount, closing $closingdate.".into(),
                ..Default::default()
            }),
        ));
    crm.add_workflow(alert)?;
    for w in crm.workflows("Potentials")? {
        println!("workflow {} '{}' ({:?}, active: {})", w.id, w.name, w.trigger, w.active);
    }

    for (name, amount, stage) in [("Hooli renewal", "12000", "Qualification"), ("Small add-on", "5000", "Prospecting")] {
        let d = crm.create(
            "Potentials",
            Fields::new()
                .with("potentialname", name)
                .with("related_to", "Hooli")
                .with("amount", amount)
                .with("sales_stage", stage)
                .with("closingdate", "2027-03-31"),
        )?;
        println!(
            "{} {}: amount {} x probability {}% = forecast {}",
            d.get("potential_no"),
            name,
            d.get("amount"),
            d.get("probability"),
            d.get("forecast_amount")
        );
    }

    println!("outbox:");
    for m in crm.outbox()? {
        println!("  [{}] {} -> {:?}", m.status.as_str(), m.subject, m.to);
    }
    let report = crm.deliver_outbox(&mut PrintMailer)?;
    println!("delivered {} mail(s), {} failed", report.sent, report.failed);
    for row in crm.pipeline(crm::PipelineBy::Stage, None)? {
        println!("pipeline {:<15} {} deal(s), amount {}, forecast {}", row.key, row.count, row.amount, row.forecast_amount);
    }
    Ok(())
}
