//! The sales-analytics data set every store loads: nine deals moving through the stages over the first
//! quarter of 2027, with owners bob and carol and the group East (member carol), one deal reassigned, one
//! deleted and one with its forecast category set by hand. The tests compute every figure from the
//! table below by hand.
//!
//! | deal | owner | amount | source | created | moves (date → stage) | close date |
//! | --- | --- | --- | --- | --- | --- | --- |
//! | D1 Alpha | bob | 10000 | Web Site | 2027-01-04 Prospecting | 01-10 Qualification, 01-20 Proposal or Price Quote, 02-01 Closed Won | 2027-02-15 |
//! | D2 Beta | bob → carol (02-15) | 20000 | Partner | 2027-01-05 Prospecting | 01-15 Negotiation or Review, 03-01 Closed Won | 2027-03-10 |
//! | D3 Gamma | carol | 5000 | Web Site | 2027-01-06 Qualification | 01-26 Proposal or Price Quote, 02-20 Closed Lost (Price) | 2027-02-28 |
//! | D4 Delta | carol | 8000 | Partner | 2027-01-07 Prospecting | 02-06 Closed Lost (Competitor) | 2027-03-20 |
//! | D5 Epsilon | bob | 12000 | Web Site | 2027-02-01 Prospecting | 02-11 Qualification, 02-21 Negotiation or Review | 2027-03-31 |
//! | D6 Zeta | carol | 30000 | Cold Call | 2027-02-02 Value Proposition | 02-10 forecast category set to Commit | 2027-03-25 |
//! | D7 Eta | East | 4000 | Partner | 2027-01-08 Prospecting | 01-18 Closed Won | 2027-03-05 |
//! | D8 Theta | bob | 6000 | Web Site | 2026-12-01 Prospecting | 2027-01-10 Closed Lost (Price) | 2027-01-20 |
//! | D9 Iota | bob | 7000 | Partner | 2027-01-09 Qualification | 02-05 deleted | 2027-02-10 |
//!
//! Every change happens at 09:00 UTC; the clock ends at 2027-04-01 09:00.

use crate::support::TestCrm;
use crm_core::{Fields, NewUser, RecordId};

/// The deals' ids, D1 first.
pub struct Deals(pub Vec<RecordId>);

impl Deals {
    /// Deal `n` (1-based).
    pub fn d(&self, n: usize) -> RecordId {
        self.0[n - 1]
    }
}

fn at(t: &TestCrm, day: &str) {
    t.set_time(&format!("{day} 09:00:00"));
}

/// Loads the data set into a CRM that has `admin` acting (see `Backend::crm`).
pub fn load(t: &mut TestCrm) -> Deals {
    t.crm.add_user(NewUser::new("bob").full_name("Bob").email("bob@example.com")).unwrap();
    t.crm.add_user(NewUser::new("carol").full_name("Carol").email("carol@example.com")).unwrap();
    t.crm.add_group("East", &["carol"]).unwrap();
    #[rustfmt::skip]
    let deals: [(&str, &str, &str, &str, &str, &str, &str); 9] = [
        ("Alpha", "bob", "10000", "Web Site", "2027-01-04", "Prospecting", "2027-02-15"),
        ("Beta", "bob", "20000", "Partner", "2027-01-05", "Prospecting", "2027-03-10"),
        ("Gamma", "carol", "5000", "Web Site", "2027-01-06", "Qualification", "2027-02-28"),
        ("Delta", "carol", "8000", "Partner", "2027-01-07", "Prospecting", "2027-03-20"),
        ("Epsilon", "bob", "12000", "Web Site", "2027-02-01", "Prospecting", "2027-03-31"),
        ("Zeta", "carol", "30000", "Cold Call", "2027-02-02", "Value Proposition", "2027-03-25"),
        ("Eta", "East", "4000", "Partner", "2027-01-08", "Prospecting", "2027-03-05"),
        ("Theta", "bob", "6000", "Web Site", "2026-12-01", "Prospecting", "2027-01-20"),
        ("Iota", "bob", "7000", "Partner", "2027-01-09", "Qualification", "2027-02-10"),
    ];
    // Created in date order (so the stage history is in time order, as it is in real life).
    let mut order: Vec<usize> = (0..deals.len()).collect();
    order.sort_by_key(|i| deals[*i].4);
    let mut ids = vec![RecordId(0); deals.len()];
    for i in order {
        let (name, owner, amount, source, created, stage, close) = deals[i];
        at(t, created);
        let r = t
            .crm
            .create(
                "Potentials",
                Fields::new()
                    .with("potentialname", name)
                    .with("assigned_user_id", owner)
                    .with("amount", amount)
                    .with("leadsource", source)
                    .with("opportunity_type", if i == 1 || i == 5 { "Existing Business" } else { "New Business" })
                    .with("sales_stage", stage)
                    .with("closingdate", close),
            )
            .unwrap();
        ids[i] = r.id;
    }
    let d = Deals(ids);
    let moves: [(&str, usize, Fields); 16] = [
        ("2027-01-10", 1, Fields::new().with("sales_stage", "Qualification")),
        ("2027-01-10", 8, Fields::new().with("sales_stage", "Closed Lost").with("lost_reason", "Price")),
        ("2027-01-15", 2, Fields::new().with("sales_stage", "Negotiation or Review")),
        ("2027-01-18", 7, Fields::new().with("sales_stage", "Closed Won")),
        ("2027-01-20", 1, Fields::new().with("sales_stage", "Proposal or Price Quote")),
        ("2027-01-26", 3, Fields::new().with("sales_stage", "Proposal or Price Quote")),
        ("2027-02-01", 1, Fields::new().with("sales_stage", "Closed Won")),
        ("2027-02-06", 4, Fields::new().with("sales_stage", "Closed Lost").with("lost_reason", "Competitor")),
        ("2027-02-10", 6, Fields::new().with("forecast_category", "Commit")),
        ("2027-02-11", 5, Fields::new().with("sales_stage", "Qualification")),
        ("2027-02-15", 2, Fields::new().with("assigned_user_id", "carol")),
        (
            "2027-02-20",
            3,
            Fields::new()
                .with("sales_stage", "Closed Lost")
                .with("lost_reason", "Price")
                .with("lost_reason_note", "20 % cheaper elsewhere"),
        ),
        ("2027-02-21", 5, Fields::new().with("sales_stage", "Negotiation or Review")),
        ("2027-03-01", 2, Fields::new().with("sales_stage", "Closed Won")),
        ("2027-03-02", 6, Fields::new().with("nextstep", "call back")),
        ("2027-03-03", 5, Fields::new().with("nextstep", "send contract")),
    ];
    for (day, n, f) in moves {
        at(t, day);
        if day == "2027-02-06" {
            at(t, "2027-02-05");
            t.crm.delete(d.d(9)).unwrap();
            at(t, day);
        }
        t.crm.update(d.d(n), f).unwrap();
    }
    at(t, "2027-04-01");
    d
}
