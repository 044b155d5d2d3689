//! A weekly sales review, the way a sales manager reads it on Monday morning: what will close this
//! quarter (commit vs best case), are we on quota, what share do we win and how fast, where deals die and
//! why, and how the pipeline moved since last week.
//!
//! Run with `cargo run --example weekly_review`. It opens an in-memory store with a fixed clock, plays a
//! quarter of deals moving through the stages (one every few days), then prints the review.

use crm::analytics::{Cell, LostBy, ReportBy, ReportRow};
use crm::clock::{Clock, FixedClock};
use crm::rust_decimal::Decimal;
use crm::{Crm, Fields, NewUser, PipelineBy};
use std::sync::Arc;

/// A deal of the quarter: name, owner, amount, lead source, created, moves as (day, stage), close date.
type Deal = (&'static str, &'static str, &'static str, &'static str, &'static str, &'static [(&'static str, &'static str)], &'static str);

fn show(title: &str, rows: &[ReportRow]) {
    println!("\n== {title}");
    if rows.is_empty() {
        println!("   (nothing)");
    }
    for r in rows {
        let cells: Vec<String> = r
            .cells
            .iter()
            .filter(|(k, _)| k != "period")
            .map(|(k, c)| match c {
                Cell::Empty => format!("{k}: -"),
                Cell::Count(n) => format!("{k}: {n}"),
                Cell::Decimal(d) => format!("{k}: {d}"),
                Cell::Text(t) => format!("{k}: {t}"),
            })
            .collect();
        println!("   {}", cells.join(" | "));
    }
}

fn main() -> Result<(), crm::Error> {
    let clock = Arc::new(FixedClock::at("2027-01-04 09:00:00"));
    let mut crm = Crm::open(":memory:")?.with_clock(clock.clone());
    crm.add_user(NewUser::new("admin").full_name("Ada Admin"))?;
    for (user, name) in [("bob", "Bob Baker"), ("carol", "Carol Chen")] {
        crm.add_user(NewUser::new(user).full_name(name))?;
    }
    crm.set_actor("admin")?;
    let at = |day: &str| clock.set(FixedClock::at(&format!("{day} 09:00:00")).now());

    // A quarter of deals: (name, owner, amount, source, created, moves as (day, stage), close date).
    #[rustfmt::skip]
    let deals: [Deal; 8] = [
        ("Hooli renewal", "bob", "24000", "Existing Customer", "2027-01-04",
            &[("2027-01-11", "Needs Analysis"), ("2027-01-25", "Proposal or Price Quote"), ("2027-02-08", "Closed Won")], "2027-02-10"),
        ("Pied Piper pilot", "carol", "8000", "Web Site", "2027-01-05",
            &[("2027-01-19", "Proposal or Price Quote"), ("2027-02-02", "Closed Lost")], "2027-02-05"),
        ("Aviato upsell", "bob", "12000", "Partner", "2027-01-12",
            &[("2027-01-26", "Value Proposition"), ("2027-02-23", "Negotiation or Review")], "2027-03-26"),
        ("Raviga platform", "carol", "45000", "Trade Show", "2027-01-18",
            &[("2027-02-01", "Id. Decision Makers"), ("2027-02-22", "Proposal or Price Quote")], "2027-03-31"),
        ("Endframe migration", "bob", "6000", "Cold Call", "2027-01-20", &[("2027-02-03", "Closed Lost")], "2027-02-03"),
        ("Bachmanity support", "carol", "15000", "Web Site", "2027-02-01",
            &[("2027-02-09", "Qualification"), ("2027-02-24", "Closed Won")], "2027-02-28"),
        ("Nucleus trial", "bob", "9000", "Web Site", "2027-02-10", &[("2027-02-17", "Qualification")], "2027-03-15"),
        ("Maleant licence", "carol", "18000", "Partner", "2027-02-15", &[("2027-02-22", "Negotiation or Review")], "2027-03-20"),
    ];
    let mut moves: Vec<(&str, usize, &str)> = Vec::new();
    let mut ids = Vec::new();
    for (i, (name, owner, amount, source, created, steps, close)) in deals.iter().enumerate() {
        at(created);
        let r = crm.create(
            "Potentials",
            Fields::new()
                .with("potentialname", *name)
                .with("assigned_user_id", *owner)
                .with("amount", *amount)
                .with("leadsource", *source)
                .with("sales_stage", "Prospecting")
                .with("closingdate", *close),
        )?;
        ids.push(r.id);
        moves.extend(steps.iter().map(|(day, stage)| (*day, i, *stage)));
    }
    moves.sort();
    for (day, i, stage) in moves {
        at(day);
        let mut f = Fields::new().with("sales_stage", stage);
        if stage == "Closed Lost" {
            f = f.with("lost_reason", if i == 1 { "Price" } else { "No Decision" });
        }
        crm.update(ids[i], f)?;
    }
    crm.set_quota("bob", "2027-Q1", Decimal::from(40_000))?;
    crm.set_quota("carol", "2027-Q1", Decimal::from(60_000))?;

    at("2027-03-01");
    let today = clock.now().date_naive();
    println!("Weekly sales review, {today} (quarter 2027-Q1)");
    show("Forecast by category (close date in the quarter)", &crm.forecast_by(&[ReportBy::ForecastCategory], Some("2027-Q1"), None)?);
    show("Forecast by category and owner", &crm.forecast_by(&[ReportBy::ForecastCategory, ReportBy::Owner], Some("2027-Q1"), None)?);
    show("Quota attainment and coverage", &crm.attainment("2027-Q1", ReportBy::Owner)?);
    show("Win rate and days to close by owner", &crm.win_rate("2027-Q1", ReportBy::Owner)?);
    show("Sales velocity (per day)", &crm.sales_velocity("2027-Q1")?);
    show("Stage funnel (deals created this quarter)", &crm.stage_funnel("2027-Q1")?);
    show("Time in stage", &crm.time_in_stage("2027-Q1")?);
    show("Losses by reason", &crm.lost_reasons("2027-Q1", LostBy::Reason)?);
    show("Losses by the last open stage", &crm.lost_reasons("2027-Q1", LostBy::LastOpenStage)?);
    let week_ago = today - crm::chrono::Duration::days(7);
    println!("\n== Pipeline by stage: a week ago ({week_ago}) -> today");
    let before = crm.pipeline_as_of(week_ago, PipelineBy::Stage, None)?;
    for now in crm.pipeline(PipelineBy::Stage, None)? {
        let was = before.iter().find(|r| r.key == now.key).map_or(0, |r| r.count);
        println!("   {:<26} {was} -> {} deals, {} now", now.key, now.count, now.amount);
    }
    show("Snapshot stored for the trend chart", &crm.snapshot_pipeline()?);
    Ok(())
}
