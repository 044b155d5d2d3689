//! The crm demo: a sales pipeline in an embedded SQLite file.
//!
//! Creates `crm-demo.db` in the current directory (starting fresh each run), registers a user, creates an
//! organization and a contact, creates opportunities (one by quick create), moves one through the sales
//! stages, and prints the pipeline, that opportunity's change history and its stage history.
//!
//! Run: `cargo run --example demo`

use crm::chrono::Duration;
use crm::clock::{Clock, FixedClock, SystemClock};
use crm::{Crm, FieldType, Fields, NewUser, OwnerId, PipelineBy, Query, RecordId};
use std::error::Error;
use std::sync::Arc;

fn main() -> Result<(), Box<dyn Error>> {
    let path = "crm-demo.db";
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{path}{suffix}"));
    }
    // The deal's weeks are replayed on a clock that we move by hand, so the stage durations mean something.
    let clock = Arc::new(FixedClock::new(SystemClock.now() - Duration::days(30)));
    let mut crm = Crm::open(path)?.with_clock(clock.clone());
    crm.add_user(NewUser::new("admin").full_name("Administrator").email("admin@example.com"))?;
    crm.add_user(NewUser::new("sara").full_name("Sara Tehrani").email("sara@example.com"))?;
    crm.add_group("Sales Team", &["admin", "sara"])?;
    crm.set_actor("admin")?;

    let org =
        crm.create("Accounts", Fields::new().with("accountname", "Hooli").with("industry", "Technology").with("website", "hooli.example"))?;
    let contact = crm.create(
        "Contacts",
        Fields::new().with("firstname", "Jane").with("lastname", "Smith").with("email", "jane@hooli.example").with("account_id", org.id),
    )?;
    println!("Organization {} ({}), contact {} ({})", org.label, org.get("account_no"), contact.label, contact.get("contact_no"));

    let renewal = crm.create(
        "Potentials",
        Fields::new()
            .with("potentialname", "Hooli renewal")
            .with("related_to", org.id)
            .with("contact_id", contact.id)
            .with("amount", "12000.50")
            .with("sales_stage", "Prospecting")
            .with("closingdate", "2027-03-31")
            .with("leadsource", "Partner")
            .with("opportunity_type", "Existing Business"),
    )?;
    crm.quick_create(
        "Potentials",
        Fields::new()
            .with("potentialname", "Hooli analytics add-on")
            .with("related_to", "Hooli")
            .with("amount", "4800")
            .with("sales_stage", "Qualification")
            .with("closingdate", "2027-05-15")
            .with("assigned_user_id", "Sales Team"),
    )?;
    crm.create(
        "Potentials",
        Fields::new()
            .with("potentialname", "Pied Piper pilot")
            .with("amount", "950")
            .with("sales_stage", "Needs Analysis")
            .with("closingdate", "2027-01-20")
            .with("assigned_user_id", "sara"),
    )?;

    crm.set_actor("sara")?;
    for (days, stage) in [(3, "Qualification"), (7, "Proposal or Price Quote"), (5, "Negotiation or Review")] {
        clock.advance(Duration::days(days));
        crm.update(renewal.id, Fields::new().with("sales_stage", stage))?;
    }
    clock.advance(Duration::days(2));
    crm.update(renewal.id, Fields::new().with("amount", "13500").with("nextstep", "Send the contract"))?;
    clock.advance(Duration::days(4));
    crm.update(renewal.id, Fields::new().with("sales_stage", "Closed Won"))?;

    println!("\nOpportunities (most recently modified first):");
    println!("{:<8} {:<26} {:<24} {:>10} {:>7}  Close", "No", "Name", "Stage", "Amount", "Prob %");
    for r in crm.find(Query::new("Potentials"))? {
        println!(
            "{:<8} {:<26} {:<24} {:>10} {:>7}  {}",
            r.get("potential_no").to_string(),
            r.label,
            r.get("sales_stage").to_string(),
            r.get("amount").to_string(),
            r.get("probability").to_string(),
            r.get("closingdate")
        );
    }

    println!("\nForecast by stage (vtiger's default workflow keeps Weighted Revenue = amount x probability):");
    println!("  {:<24} {:>5} {:>12} {:>14}", "Stage", "Deals", "Amount", "Weighted");
    for row in crm.pipeline(PipelineBy::Stage, None)? {
        println!("  {:<24} {:>5} {:>12} {:>14}", row.key, row.count, row.amount, row.forecast_amount);
    }

    print_history(&crm, renewal.id)?;
    Ok(())
}

fn print_history(crm: &Crm, id: RecordId) -> Result<(), Box<dyn Error>> {
    let record = crm.get(id)?;
    let module = crm.module(&record.module)?.clone();
    // Show names instead of ids for references and owners.
    let shown = |field: &str, text: Option<&str>| -> String {
        let Some(t) = text else { return "(empty)".into() };
        let id: Option<i64> = t.parse().ok();
        match (module.field(field).map(|f| f.field_type), id) {
            (Some(FieldType::Reference), Some(id)) => crm.get(RecordId(id)).map(|r| r.label).unwrap_or_else(|_| t.into()),
            (Some(FieldType::Owner), Some(id)) => {
                crm.owner(OwnerId(id)).ok().flatten().map(|o| o.name().to_string()).unwrap_or_else(|| t.into())
            }
            _ => t.to_string(),
        }
    };
    println!("\nChange history of \"{}\":", record.label);
    for h in crm.history(id)? {
        println!("  {} {:<8} by {}", h.at, h.kind.as_str(), h.actor);
        for c in h.changes.iter().filter(|c| c.field != "createdtime") {
            println!("      {:<20} {} -> {}", c.field, shown(&c.field, c.before.as_deref()), shown(&c.field, c.after.as_deref()));
        }
    }
    println!("\nStage history:");
    for s in crm.stage_history(id)? {
        println!(
            "  {} {:<24} amount {:>9} probability {:>7} by {}",
            s.at,
            s.stage.as_deref().unwrap_or(""),
            s.amount.map(|d| d.to_string()).unwrap_or_default(),
            s.probability.map(|d| d.to_string()).unwrap_or_default(),
            s.actor
        );
    }
    println!("\nTime in stage:");
    for d in crm.stage_durations(id)? {
        let days = d.seconds as f64 / 86_400.0; // display only
        println!("  {:<24} {:>5.1} days{}", d.stage, days, if d.left.is_none() { " (current)" } else { "" });
    }
    Ok(())
}
