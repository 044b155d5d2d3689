//! Sales analytics on every store, over the fixed data set of `analytics_fixture` (its table lists every
//! deal's moves): each figure below is computed by hand from that table.

mod analytics_fixture;
mod support;

use analytics_fixture::load;
use crm_core::analytics::{Cell, LostBy, ReportBy, ReportRow};
use crm_core::chrono::NaiveDate;
use crm_core::storage::ChangeSet;
use crm_core::storage::RecordChange;
use crm_core::{Fields, PipelineBy, Query, Record, RecordId, Schema, Value};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use support::Backend;

/// A row as `(column, text)` pairs, decimals normalized (`10000.00` → `10000`), empty cells as `-`.
fn flat(r: &ReportRow) -> Vec<(String, String)> {
    r.cells
        .iter()
        .map(|(k, c)| {
            let v = match c {
                Cell::Empty => "-".to_string(),
                Cell::Count(n) => n.to_string(),
                Cell::Decimal(d) => d.normalize().to_string(),
                Cell::Text(t) => t.clone(),
            };
            (k.clone(), v)
        })
        .collect()
}

/// Rows as lines `col=value col=value ...` for comparing with the hand-made table.
fn lines(rows: &[ReportRow]) -> Vec<String> {
    rows.iter().map(|r| flat(r).into_iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ")).collect()
}

fn forecast_by_category_and_period_and_owner(b: Backend) {
    let mut t = b.crm();
    load(&mut t);
    // Q1 closers: D5 Commit (Negotiation), D6 Commit (set by hand), D1 D2 D7 Closed, D3 D4 D8 Omitted.
    let rows = t.forecast_by(&[ReportBy::ForecastCategory], Some("2027-Q1"), None).unwrap();
    assert_eq!(
        lines(&rows),
        [
            "forecast_category=Commit period=2027-Q1 count=2 amount=42000 forecast_amount=18600",
            "forecast_category=Closed period=2027-Q1 count=3 amount=34000 forecast_amount=34000",
            "forecast_category=Omitted period=2027-Q1 count=3 amount=19000 forecast_amount=0",
        ]
    );
    let rows = t.forecast_by(&[ReportBy::ForecastCategory, ReportBy::Quarter, ReportBy::Owner], Some("2027-Q1"), None).unwrap();
    assert_eq!(
        lines(&rows),
        [
            "forecast_category=Commit quarter=2027-Q1 owner=bob period=2027-Q1 count=1 amount=12000 forecast_amount=9600",
            "forecast_category=Commit quarter=2027-Q1 owner=carol period=2027-Q1 count=1 amount=30000 forecast_amount=9000",
            "forecast_category=Closed quarter=2027-Q1 owner=East period=2027-Q1 count=1 amount=4000 forecast_amount=4000",
            "forecast_category=Closed quarter=2027-Q1 owner=bob period=2027-Q1 count=1 amount=10000 forecast_amount=10000",
            "forecast_category=Closed quarter=2027-Q1 owner=carol period=2027-Q1 count=1 amount=20000 forecast_amount=20000",
            "forecast_category=Omitted quarter=2027-Q1 owner=bob period=2027-Q1 count=1 amount=6000 forecast_amount=0",
            "forecast_category=Omitted quarter=2027-Q1 owner=carol period=2027-Q1 count=2 amount=13000 forecast_amount=0",
        ]
    );
    // February closers only: D1 (02-15, Closed), D3 (02-28, Omitted).
    let rows = t.forecast_by(&[ReportBy::ForecastCategory, ReportBy::Month], Some("2027-02"), None).unwrap();
    assert_eq!(
        lines(&rows),
        [
            "forecast_category=Closed month=2027-02 period=2027-02 count=1 amount=10000 forecast_amount=10000",
            "forecast_category=Omitted month=2027-02 period=2027-02 count=1 amount=5000 forecast_amount=0",
        ]
    );
}

fn quotas_and_attainment(b: Backend) {
    let mut t = b.crm();
    load(&mut t);
    t.set_quota("bob", "2027-Q1", dec!(50000)).unwrap();
    t.set_quota("Carol", "2027-q1", dec!(40000)).unwrap(); // full name and any case
    t.set_quota("East", "2027-Q1", dec!(10000)).unwrap();
    t.set_quota("bob", "2027-Q1", dec!(50000.00)).unwrap(); // replaces
    t.set_quota("bob", "2027-Q2", dec!(1)).unwrap();
    assert_eq!(t.quotas().unwrap().len(), 4);
    assert_eq!(t.set_quota("nobody", "2027-Q1", dec!(1)).unwrap_err().code(), "not_found");
    assert_eq!(t.set_quota("bob", "2027-Q9", dec!(1)).unwrap_err().code(), "invalid_argument");
    assert_eq!(t.set_quota("bob", "2027-Q1", dec!(-1)).unwrap_err().code(), "invalid_argument");
    // bob: won D1 10000, open D5 12000 (weighted 9600); carol: won D2 20000, open D6 30000 (9000);
    // East: its D7 4000 plus carol's.
    let rows = t.attainment("2027-Q1", ReportBy::Owner).unwrap();
    assert_eq!(
        lines(&rows),
        [
            "owner=East period=2027-Q1 quota=10000 won_count=2 won_amount=24000 attainment=2.4 open_count=1 open_amount=30000 \
             open_weighted=9000 remaining=0 coverage=- weighted_coverage=-",
            "owner=bob period=2027-Q1 quota=50000 won_count=1 won_amount=10000 attainment=0.2 open_count=1 open_amount=12000 \
             open_weighted=9600 remaining=40000 coverage=0.3 weighted_coverage=0.24",
            "owner=carol period=2027-Q1 quota=40000 won_count=1 won_amount=20000 attainment=0.5 open_count=1 open_amount=30000 \
             open_weighted=9000 remaining=20000 coverage=1.5 weighted_coverage=0.45",
        ]
    );
    // Users only: 90000 quota, 30000 won (1/3 → 0.3333), 42000 open (18600 weighted) over 60000 remaining.
    let rows = t.attainment("2027-Q1", ReportBy::Total).unwrap();
    assert_eq!(
        lines(&rows),
        ["period=2027-Q1 quota=90000 won_count=2 won_amount=30000 attainment=0.3333 open_count=2 open_amount=42000 \
          open_weighted=18600 remaining=60000 coverage=0.7 weighted_coverage=0.31"]
    );
    assert!(t.attainment("2027-Q3", ReportBy::Owner).unwrap().is_empty());
    assert_eq!(t.attainment("2027-Q1", ReportBy::Stage).unwrap_err().code(), "invalid_argument");
}

fn win_rate_and_days_to_close(b: Backend) {
    let mut t = b.crm();
    load(&mut t);
    // Closed in Q1: won D1 (42 days), D2 (64), D7 (56); lost D3, D4, D8. D9 is deleted.
    let rows = t.win_rate("2027-Q1", ReportBy::Total).unwrap();
    assert_eq!(
        lines(&rows),
        ["period=2027-Q1 closed=6 won=3 lost=3 won_amount=34000 lost_amount=19000 win_rate=0.5 win_rate_amount=0.6415 \
          average_days_to_close=54 median_days_to_close=56"]
    );
    let rows = t.win_rate("2027-Q1", ReportBy::Owner).unwrap();
    assert_eq!(
        lines(&rows),
        [
            "owner=East period=2027-Q1 closed=1 won=1 lost=0 won_amount=4000 lost_amount=0 win_rate=1 win_rate_amount=1 \
             average_days_to_close=56 median_days_to_close=56",
            "owner=bob period=2027-Q1 closed=2 won=1 lost=1 won_amount=10000 lost_amount=6000 win_rate=0.5 win_rate_amount=0.625 \
             average_days_to_close=42 median_days_to_close=42",
            "owner=carol period=2027-Q1 closed=3 won=1 lost=2 won_amount=20000 lost_amount=13000 win_rate=0.3333 \
             win_rate_amount=0.6061 average_days_to_close=64 median_days_to_close=64",
        ]
    );
    // Partner: D2 won (64 days), D7 won (56), D4 lost → median of an even count is the mean of 56 and 64.
    let rows = t.win_rate("2027", ReportBy::LeadSource).unwrap();
    assert_eq!(
        lines(&rows),
        [
            "lead_source=Partner period=2027 closed=3 won=2 lost=1 won_amount=24000 lost_amount=8000 win_rate=0.6667 \
             win_rate_amount=0.75 average_days_to_close=60 median_days_to_close=60",
            "lead_source=Web Site period=2027 closed=3 won=1 lost=2 won_amount=10000 lost_amount=11000 win_rate=0.3333 \
             win_rate_amount=0.4762 average_days_to_close=42 median_days_to_close=42",
        ]
    );
    let rows = t.win_rate("2027-01", ReportBy::Type).unwrap();
    assert_eq!(
        lines(&rows),
        ["type=New Business period=2027-01 closed=1 won=0 lost=1 won_amount=0 lost_amount=6000 win_rate=0 win_rate_amount=0 \
          average_days_to_close=- median_days_to_close=-"]
    );
    assert!(t.win_rate("2026", ReportBy::Total).unwrap().is_empty());
}

fn sales_velocity(b: Backend) {
    let mut t = b.crm();
    load(&mut t);
    // Open today: D5, D6. 2 × 34000 × 3 / (6 × 162) = 209.8765... → 209.88.
    let rows = t.sales_velocity("2027-Q1").unwrap();
    assert_eq!(
        lines(&rows),
        ["period=2027-Q1 open_deals=2 closed=6 won=3 win_rate=0.5 average_won_amount=11333.33 average_days_to_close=54 velocity=209.88"]
    );
    let rows = t.sales_velocity("2026").unwrap();
    assert_eq!(
        lines(&rows),
        ["period=2026 open_deals=2 closed=0 won=0 win_rate=- average_won_amount=- average_days_to_close=- velocity=-"]
    );
}

fn lost_reasons(b: Backend) {
    let mut t = b.crm();
    load(&mut t);
    let rows = t.lost_reasons("2027-Q1", LostBy::Reason).unwrap();
    assert_eq!(
        lines(&rows),
        [
            "lost_reason=Competitor period=2027-Q1 count=1 amount=8000 share=0.3333",
            "lost_reason=Price period=2027-Q1 count=2 amount=11000 share=0.6667",
        ]
    );
    // D3 left Proposal or Price Quote; D4 and D8 left Prospecting.
    let rows = t.lost_reasons("2027-Q1", LostBy::LastOpenStage).unwrap();
    assert_eq!(
        lines(&rows),
        [
            "last_open_stage=Proposal or Price Quote period=2027-Q1 count=1 amount=5000 share=0.3333",
            "last_open_stage=Prospecting period=2027-Q1 count=2 amount=14000 share=0.6667",
        ]
    );
    let d3 = t.find(Query::new("Potentials").filter(crm_core::Condition::eq("potentialname", "Gamma"))).unwrap();
    assert_eq!(d3[0].get("lost_reason_note"), &Value::Text("20 % cheaper elsewhere".into()));
}

fn stage_funnel_and_time_in_stage(b: Backend) {
    let mut t = b.crm();
    load(&mut t);
    // Created in Q1: D1..D7 (D8 was created in December, D9 is deleted).
    let rows = t.stage_funnel("2027-Q1").unwrap();
    assert_eq!(
        lines(&rows),
        [
            "stage=Prospecting period=2027-Q1 reached=5 advanced=4 conversion_to_next=0.8 won=3 conversion_to_won=0.6",
            "stage=Qualification period=2027-Q1 reached=3 advanced=3 conversion_to_next=1 won=1 conversion_to_won=0.3333",
            "stage=Needs Analysis period=2027-Q1 reached=0 advanced=0 conversion_to_next=- won=0 conversion_to_won=-",
            "stage=Value Proposition period=2027-Q1 reached=1 advanced=0 conversion_to_next=0 won=0 conversion_to_won=0",
            "stage=Id. Decision Makers period=2027-Q1 reached=0 advanced=0 conversion_to_next=- won=0 conversion_to_won=-",
            "stage=Perception Analysis period=2027-Q1 reached=0 advanced=0 conversion_to_next=- won=0 conversion_to_won=-",
            "stage=Proposal or Price Quote period=2027-Q1 reached=2 advanced=1 conversion_to_next=0.5 won=1 conversion_to_won=0.5",
            "stage=Negotiation or Review period=2027-Q1 reached=2 advanced=1 conversion_to_next=0.5 won=1 conversion_to_won=0.5",
            "stage=Closed Won period=2027-Q1 reached=3 advanced=0 conversion_to_next=0 won=3 conversion_to_won=1",
        ]
    );
    // Finished spells: Prospecting 6, 10, 30, 10, 10; Qualification 10, 20, 10; Proposal 12, 25; Negotiation 45.
    let rows = t.time_in_stage("2027-Q1").unwrap();
    assert_eq!(
        lines(&rows),
        [
            "stage=Prospecting period=2027-Q1 spells=5 average_days=13.2 median_days=10",
            "stage=Qualification period=2027-Q1 spells=3 average_days=13.33 median_days=10",
            "stage=Proposal or Price Quote period=2027-Q1 spells=2 average_days=18.5 median_days=18.5",
            "stage=Negotiation or Review period=2027-Q1 spells=1 average_days=45 median_days=45",
        ]
    );
    // Created in December: D8 only (10 January: 40 days in Prospecting).
    assert_eq!(lines(&t.time_in_stage("2026-12").unwrap()), ["stage=Prospecting period=2026-12 spells=1 average_days=40 median_days=40"]);
}

fn pipeline_as_of_a_past_date(b: Backend) {
    let mut t = b.crm();
    load(&mut t);
    let jan31 = NaiveDate::from_ymd_opt(2027, 1, 31).unwrap();
    let row = |r: &crm_core::PipelineRow| format!("{} {} {} {}", r.key, r.count, r.amount.normalize(), r.forecast_amount.normalize());
    // D9 (deleted on 5 February) still counts on 31 January; D5 and D6 did not exist yet.
    let rows: Vec<String> = t.pipeline_as_of(jan31, PipelineBy::Stage, None).unwrap().iter().map(row).collect();
    assert_eq!(
        rows,
        [
            "Closed Lost 1 6000 0",
            "Closed Won 1 4000 4000",
            "Negotiation or Review 1 20000 16000",
            "Proposal or Price Quote 2 15000 9750",
            "Prospecting 1 8000 800",
            "Qualification 1 7000 1400"
        ]
    );
    // D2 was bob's until 15 February.
    let rows: Vec<String> = t.pipeline_as_of(jan31, PipelineBy::Owner, None).unwrap().iter().map(row).collect();
    assert_eq!(rows, ["Bob 4 43000 23900", "Carol 2 13000 4050", "East 1 4000 4000"]);
    let rows: Vec<String> = t.pipeline_as_of(jan31, PipelineBy::CloseQuarter, None).unwrap().iter().map(row).collect();
    assert_eq!(rows, ["2027-Q1 7 60000 31950"]);
    // After the deletion D9 is gone; everything else is there on 28 February.
    let feb28 = NaiveDate::from_ymd_opt(2027, 2, 28).unwrap();
    let rows: Vec<String> = t.pipeline_as_of(feb28, PipelineBy::Total, None).unwrap().iter().map(row).collect();
    assert_eq!(rows, ["all 8 95000 48600"]);
    let before = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    assert!(t.pipeline_as_of(before, PipelineBy::Total, None).unwrap().is_empty());
}

fn snapshots_store_todays_pipeline(b: Backend) {
    let mut t = b.crm();
    load(&mut t);
    let rows = t.snapshot_pipeline().unwrap();
    let expected = [
        "date=2027-04-01 forecast_category=Commit stage=Negotiation or Review owner=bob count=1 amount=12000 forecast_amount=9600",
        "date=2027-04-01 forecast_category=Commit stage=Value Proposition owner=carol count=1 amount=30000 forecast_amount=9000",
    ];
    assert_eq!(lines(&rows), expected);
    t.snapshot_pipeline().unwrap(); // the same day again replaces it
    t.set_time("2027-04-02 09:00:00");
    let d5 = t.find(Query::new("Potentials").filter(crm_core::Condition::eq("potentialname", "Epsilon"))).unwrap()[0].id;
    t.update(d5, Fields::new().with("sales_stage", "Closed Won")).unwrap();
    assert_eq!(t.snapshot_pipeline().unwrap().len(), 1);
    let all = t.pipeline_snapshots(None, None).unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(lines(&all[..2]), expected);
    let day2 = NaiveDate::from_ymd_opt(2027, 4, 2).unwrap();
    assert_eq!(
        lines(&t.pipeline_snapshots(Some(day2), None).unwrap()),
        ["date=2027-04-02 forecast_category=Commit stage=Value Proposition owner=carol count=1 amount=30000 forecast_amount=9000"]
    );
}

fn forecast_categories_follow_the_stage_unless_set(b: Backend) {
    let mut t = b.crm();
    let deal = |t: &mut support::TestCrm, extra: Fields| {
        let f = Fields::new().with("potentialname", "x").with("sales_stage", "Prospecting").with("closingdate", "2027-03-31");
        let f = extra.0.into_iter().fold(f, |f, (k, v)| f.with(&k, v));
        t.create("Potentials", f).unwrap()
    };
    let cat = |r: &Record| r.get("forecast_category").to_text().unwrap_or_default();
    let a = deal(&mut t, Fields::new());
    assert_eq!(cat(&a), "Pipeline");
    let a = t.update(a.id, Fields::new().with("sales_stage", "Negotiation or Review")).unwrap();
    assert_eq!(cat(&a), "Commit");
    let a = t.update(a.id, Fields::new().with("forecast_category", "best case")).unwrap();
    assert_eq!(cat(&a), "Best Case", "set by hand, any case");
    let a = t.update(a.id, Fields::new().with("amount", "5")).unwrap();
    assert_eq!(cat(&a), "Best Case", "kept while the stage stays");
    let a = t.update(a.id, Fields::new().with("sales_stage", "Closed Lost")).unwrap();
    assert_eq!(cat(&a), "Omitted", "a new stage brings its category");
    let b2 = deal(&mut t, Fields::new().with("forecast_category", "Commit"));
    assert_eq!(cat(&b2), "Commit", "given at create");
    let b2 = t.update(b2.id, Fields::new().with("sales_stage", "Closed Won").with("forecast_category", "Omitted")).unwrap();
    assert_eq!(cat(&b2), "Omitted", "given with the stage change");
    // The mapping is editable.
    t.set_forecast_category_for_stage("prospecting", "Best Case").unwrap();
    assert_eq!(cat(&deal(&mut t, Fields::new())), "Best Case");
    assert_eq!(t.set_forecast_category_for_stage("Nope", "Commit").unwrap_err().code(), "invalid_argument");
    assert_eq!(t.set_forecast_category_for_stage("Prospecting", "Maybe").unwrap_err().code(), "invalid_argument");
    let err = t.update(a.id, Fields::new().with("forecast_category", "Maybe")).unwrap_err();
    assert_eq!(err.code(), "validation", "{err}");
}

fn lost_reason_can_be_required(b: Backend) {
    let mut t = b.crm();
    let r = t
        .create("Potentials", Fields::new().with("potentialname", "x").with("sales_stage", "Prospecting").with("closingdate", "2027-03-31"))
        .unwrap();
    t.set_require_lost_reason(true).unwrap();
    let err = t.update(r.id, Fields::new().with("sales_stage", "Closed Lost")).unwrap_err();
    assert_eq!(err.code(), "validation");
    assert!(err.to_string().contains("lost_reason"), "{err}");
    t.update(r.id, Fields::new().with("amount", "10")).unwrap(); // not a move to a lost stage
    let r = t.update(r.id, Fields::new().with("sales_stage", "Closed Lost").with("lost_reason", "Timing")).unwrap();
    assert_eq!(r.get("lost_reason"), &Value::Text("Timing".into()));
    t.set_require_lost_reason(false).unwrap();
    let r2 = t
        .create("Potentials", Fields::new().with("potentialname", "y").with("sales_stage", "Closed Lost").with("closingdate", "2027-03-31"))
        .unwrap();
    assert!(r2.get("lost_reason").is_empty());
}

/// A store whose schema predates the analytics fields gets them when opened; its deals count in their
/// stage's forecast category.
fn older_stores_get_the_fields_on_open(b: Backend) {
    let Some(mut db) = b.database() else { return };
    let mut store = db.store();
    let mut old = Schema::builtin();
    // Older than the analytics fields, and than currencies (whose upgrade fills the base-currency copies
    // the reports sum).
    old.modules
        .get_mut("Potentials")
        .unwrap()
        .fields
        .retain(|f| !crm_core::analytics::schema::FIELDS.contains(&f.name.as_str()) && f.name != "currency" && !f.name.ends_with("_base"));
    old.picklists.remove("forecast_category");
    old.picklists.remove("lost_reason");
    store.save_schema(&old).unwrap();
    let mut r = Record {
        id: RecordId(1),
        module: "Potentials".into(),
        label: "old".into(),
        deleted: false,
        version: 1,
        values: Default::default(),
    };
    r.values.insert("potentialname".into(), Value::Text("old".into()));
    r.values.insert("amount".into(), Value::Decimal(dec!(100)));
    r.values.insert("sales_stage".into(), Value::Text("Negotiation or Review".into()));
    r.values.insert("closingdate".into(), Value::Date(NaiveDate::from_ymd_opt(2027, 3, 1).unwrap()));
    let mut cs = ChangeSet::new();
    cs.push(RecordChange::Insert(r));
    store.commit(&cs).unwrap();
    store.allocate_ids(10).unwrap();
    let crm = crm_core::Crm::with_store(store).unwrap();
    for f in crm_core::analytics::schema::FIELDS {
        assert!(crm.schema().module("Potentials").unwrap().field(f).is_some(), "{f}");
    }
    let rows = crm.forecast_by(&[ReportBy::ForecastCategory], None, None).unwrap();
    assert_eq!(lines(&rows), ["forecast_category=Commit count=1 amount=100 forecast_amount=0"]);
    let version = crm.schema().version;
    drop(crm);
    if db.is_shared() {
        let again = crm_core::Crm::with_store(db.store()).unwrap();
        assert_eq!(again.schema().version, version, "a second open changes nothing");
    }
    let _ = Decimal::ZERO;
}

/// Jalali periods: `1406-Q1` is spring 1406 (Nowruz 2027-03-21 to 2027-06-21), so a deal won on
/// 2027-03-20 (the last day of Esfand 1405) falls in `2027-Q1` but not in `1406-Q1`; quotas and forecasts
/// take the same names (Persian digits too).
fn jalali_periods(b: Backend) {
    let mut t = b.crm();
    for (name, close) in [("Esfand", "2027-03-20"), ("Nowruz", "2027-03-21")] {
        t.create(
            "Potentials",
            Fields::new().with("potentialname", name).with("amount", "1000").with("sales_stage", "Closed Won").with("closingdate", close),
        )
        .unwrap();
    }
    let count = |rows: &[ReportRow]| lines(rows).join(" ").split_whitespace().find_map(|c| c.strip_prefix("count=").map(str::to_string));
    assert_eq!(count(&t.forecast_by(&[], Some("2027-Q1"), None).unwrap()).as_deref(), Some("2"));
    assert_eq!(count(&t.forecast_by(&[], Some("1406-Q1"), None).unwrap()).as_deref(), Some("1"));
    assert_eq!(count(&t.forecast_by(&[], Some("۱۴۰۵"), None).unwrap()).as_deref(), Some("1"));
    let q = t.set_quota("admin", "1406-Q1", rust_decimal::Decimal::from(4000)).unwrap();
    assert_eq!(q.period, "1406-Q1");
    let rows = t.attainment("1406-Q1", ReportBy::Owner).unwrap();
    let line = lines(&rows).join(" ");
    assert!(line.contains("won_amount=1000") && line.contains("attainment=0.25"), "{line}");
}

on_every_backend!(
    jalali_periods,
    forecast_by_category_and_period_and_owner,
    quotas_and_attainment,
    win_rate_and_days_to_close,
    sales_velocity,
    lost_reasons,
    stage_funnel_and_time_in_stage,
    pipeline_as_of_a_past_date,
    snapshots_store_todays_pipeline,
    forecast_categories_follow_the_stage_unless_set,
    lost_reason_can_be_required,
    older_stores_get_the_fields_on_open,
);
