//! Customizing the Opportunities module: add a custom field, rename a sales stage, read the change log.
//!
//! Run with `cargo run --example customize` (in memory) or `cargo run --example customize -- deals.db`
//! (a SQLite file you can open with the sqlite3 shell afterwards: the field is a real column).

use crm::schema::edit::FieldUpdate;
use crm::{Condition, Crm, FieldType, Fields, NewField, NewUser, Op, Query};

fn main() -> Result<(), crm::Error> {
    let path = std::env::args().nth(1).unwrap_or_else(|| ":memory:".to_string());
    let mut crm = Crm::open(&path)?;
    if crm.users()?.is_empty() {
        crm.add_user(NewUser::new("admin").full_name("Administrator"))?;
    }
    crm.set_actor("admin")?;

    // On a second run against the same file the stage is already renamed.
    let renamed = crm.schema().picklist("sales_stage").and_then(|p| p.get("Negotiation or Review")).is_none();
    let stage = if renamed { "Negotiation" } else { "Negotiation or Review" };
    let deal = crm.create(
        "Potentials",
        Fields::new()
            .with("potentialname", "Hooli renewal")
            .with("amount", "12000")
            .with("sales_stage", stage)
            .with("closingdate", "2027-03-31"),
    )?;

    // Layout editor: a custom picklist field in the "Custom Information" block.
    let region = match crm.module("Potentials")?.field_by_name_or_label("Region") {
        Some(f) => f.clone(),
        None => crm.add_field("Potentials", NewField::new("Region", FieldType::Picklist).values(&["EMEA", "Americas", "APAC"]))?,
    };
    println!("custom field '{}' has the internal name {} (a column of the potentials table in SQLite)", region.label, region.name);
    crm.update_field("Potentials", &region.name, FieldUpdate { default: Some("EMEA".into()), ..Default::default() })?;
    crm.update(deal.id, Fields::new().with("Region", "APAC"))?;

    // Picklist editor: rename a sales stage; every stored record follows in the same transaction.
    if !renamed {
        crm.rename_picklist_value("Potentials", "sales_stage", "Negotiation or Review", "Negotiation")?;
    }
    let negotiating = crm.find(Query::new("Potentials").filter(Condition::cmp("sales_stage", Op::Eq, "Negotiation")))?;
    for r in &negotiating {
        println!("{} {:<16} stage={} region={}", r.get("potential_no"), r.label, r.get("sales_stage"), r.get(&region.name));
    }
    match crm.rename_picklist_value("Potentials", "sales_stage", "Closed Won", "Won") {
        Err(e) => println!("refused as in vtiger: {e}"),
        Ok(_) => println!("unexpected: Closed Won was renamed"),
    }

    println!("schema change log:");
    for e in crm.schema_changes()? {
        println!("  v{} {} by {}: {}", e.version, e.at, e.actor, e.change.to_json());
    }
    Ok(())
}
