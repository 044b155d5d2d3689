//! Access control: a role tree, a private module, a sharing rule and a profile with a hidden field.
//! Run: `cargo run --example access_control`.

use crm::{Condition, Crm, Fields, NewUser, Profile, Query, RuleAccess, Sharing, SharingRuleSpec};

fn main() -> Result<(), crm::Error> {
    let mut crm = Crm::open(":memory:")?;
    crm.add_user(NewUser::new("admin").full_name("Administrator").admin(true))?;
    crm.set_actor("admin")?;
    crm.add_role("CEO", None)?;
    crm.add_role("Sales Manager", Some("CEO"))?;
    crm.add_role("Sales Person", Some("Sales Manager"))?;
    crm.add_role("Support", Some("CEO"))?;
    for (user, role) in [("mia", "Sales Manager"), ("bob", "Sales Person"), ("sam", "Support")] {
        crm.add_user(NewUser::new(user).role(role))?;
    }
    for (name, owner, amount) in [("Hooli", "mia", "50000"), ("Initech", "bob", "12000"), ("Globex", "sam", "8000")] {
        crm.create(
            "Potentials",
            Fields::new()
                .with("potentialname", name)
                .with("amount", amount)
                .with("sales_stage", "Prospecting")
                .with("closingdate", "2027-03-31")
                .with("nextstep", "call the buyer")
                .with("assigned_user_id", owner),
        )?;
    }
    crm.set_sharing("Potentials", Sharing::Private)?;
    let rule = SharingRuleSpec {
        module: "Potentials".into(),
        owner_role: Some("Sales Person".into()),
        to_role: Some("Support".into()),
        access: Some("read".into()),
        ..Default::default()
    };
    crm.add_sharing_rule(rule.into_rule()?)?;
    let mut support = Profile { name: "Support".into(), modules: Default::default(), fields: Default::default() };
    support.fields.entry("Potentials".into()).or_default().insert("nextstep".into(), crm::FieldAccess::Hidden);
    crm.put_profile(support)?;
    crm.set_role_profiles("Support", &["Support"])?;
    assert_eq!(RuleAccess::parse("read"), Some(RuleAccess::Read));

    for user in ["mia", "bob", "sam"] {
        crm.set_actor(user)?;
        let deals = crm.find(Query::new("Potentials").order_by("potentialname"))?;
        let names: Vec<String> = deals.iter().map(|d| format!("{} ({})", d.label, d.get("nextstep"))).collect();
        let total = crm.aggregate(Query::new("Potentials"), None, &["amount"])?;
        println!("{user:>4} sees {} deal(s), total {}: {}", deals.len(), total[0].sums[0], names.join(", "));
    }
    let refused = crm.find(Query::new("Potentials").filter(Condition::eq("nextstep", "call the buyer")));
    println!(" sam filtering on a hidden field: {}", refused.map(|_| "allowed".to_string()).unwrap_or_else(|e| e.to_string()));
    Ok(())
}
