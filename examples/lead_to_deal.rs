//! Converts a lead into an organization, a contact and an opportunity, then works the deal: links a product,
//! comments, plans a call, creates a quote and lists the related records.
//!
//! Run: `cargo run --example lead_to_deal` (in memory) or `cargo run --example lead_to_deal -- deals.db`.

use crm::{Crm, Fields, LeadConversion, LinkInfo, NewUser, Value};

fn main() -> Result<(), crm::Error> {
    let path = std::env::args().nth(1).unwrap_or_else(|| ":memory:".into());
    let mut crm = Crm::open(&path)?;
    if crm.users()?.is_empty() {
        crm.add_user(NewUser::new("admin").full_name("Administrator"))?;
    }
    crm.set_actor("admin")?;

    let lead = crm.create(
        "Leads",
        Fields::new()
            .with("firstname", "Richard")
            .with("lastname", "Hendricks")
            .with("company", "Pied Piper")
            .with("email", "richard@piedpiper.example")
            .with("city", "Palo Alto")
            .with("leadsource", "Trade Show"),
    )?;
    println!("lead {} {}", lead.get("lead_no"), lead.label);

    let conversion = LeadConversion::new()
        .with_potential(Fields::new().with("amount", "48000.00").with("sales_stage", "Qualification").with("closingdate", "2027-03-31"));
    let out = crm.convert_lead(lead.id, conversion)?;
    let (Some(org), Some(contact), Some(deal)) = (out.account, out.contact, out.potential) else {
        return Err(crm::Error::InvalidArgument("conversion did not create all three records".into()));
    };
    let deal_rec = crm.get(deal)?;
    println!(
        "converted into organization {} (reused: {}), contact {}, opportunity {} '{}' ({} at {}%)",
        crm.get(org)?.label,
        out.account_reused,
        crm.get(contact)?.label,
        deal_rec.get("potential_no"),
        deal_rec.label,
        deal_rec.get("amount"),
        deal_rec.get("probability"),
    );

    let product = crm.create("Products", Fields::new().with("productname", "Compression box").with("unit_price", "12000.00"))?;
    crm.link(deal, product.id, LinkInfo { quantity: Some(rust_decimal::Decimal::from(4)), ..LinkInfo::default() })?;
    let c = crm.comment(deal, "Demo went well; they want four boxes.")?;
    crm.reply(c.id, "Send the quote this week.")?;
    crm.create(
        "Calendar",
        Fields::new()
            .with("subject", "Follow-up call")
            .with("activitytype", "Call")
            .with("date_start", "2027-01-10")
            .with("eventstatus", "Planned")
            .with("parent_id", Value::Ref(deal)),
    )?;
    let quote = crm.create_from_opportunity(deal, "Quotes", Fields::new().with("quotestage", "Created"))?;
    println!("quote {} for '{}'", quote.get("quote_no"), quote.label);

    println!("\nrelated to the opportunity:");
    for module in ["Contacts", "Products", "Calendar", "Quotes"] {
        let page = crm.related(deal, module, 1, 20)?;
        for (r, link) in &page.items {
            let extra = link
                .as_ref()
                .and_then(|l| l.quantity.map(|q| format!(" x{q} at {}", l.price.map(|p| p.to_string()).unwrap_or_default())))
                .unwrap_or_default();
            println!("  {module:<9} {}{extra}", r.label);
        }
    }
    println!("comments (newest first):");
    for c in crm.comments(deal)? {
        println!("  {} {}: {}{}", c.at, c.author, c.text, if c.parent.is_some() { " (reply)" } else { "" });
    }
    println!("changes:");
    for h in crm.history(deal)? {
        println!("  {} {:?} {}", h.at, h.kind, h.related.map(|r| format!("-> {r}")).unwrap_or_default());
    }
    let leads = crm.page(crm::Query::new("Leads"), 1, 10)?;
    println!("open leads after conversion: {}", leads.total);
    Ok(())
}
