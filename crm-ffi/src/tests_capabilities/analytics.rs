//! Sales analytics through `crm_analytics`: every call by name, figures computed by hand from the deals
//! made here (the clock is the system's, so days to close are computed from the stored creation time).

use super::*;
use crm_core::chrono::NaiveDate;

fn analytics(st: &Store, report: &str, options: &str) -> J {
    json_of(|o| unsafe { crm_analytics(st.0, s(report).as_ptr(), s(options).as_ptr(), o) })
}

fn deal_with(st: &Store, fields: &str) -> J {
    create(st, "Potentials", fields)
}

#[test]
fn analytics_calls_by_name_with_json_options() {
    for st in both() {
        let a = deal_with(
            &st,
            r#"{"potentialname": "A", "assigned_user_id": "jdoe", "amount": "10000", "sales_stage": "Closed Won", "closingdate": "2027-02-15"}"#,
        );
        deal_with(
            &st,
            r#"{"potentialname": "B", "assigned_user_id": "jdoe", "amount": "5000", "sales_stage": "Closed Lost", "lost_reason": "Price",
                "closingdate": "2027-03-01"}"#,
        );
        deal_with(&st, r#"{"potentialname": "C", "amount": "8000", "sales_stage": "Negotiation or Review", "closingdate": "2027-03-20"}"#);
        deal_with(&st, r#"{"potentialname": "D", "amount": "2000", "sales_stage": "Prospecting", "closingdate": "2027-01-10"}"#);

        let forecast = analytics(&st, "forecast", r#"{"by": "forecast_category", "period": "2027-Q1"}"#);
        assert_eq!(
            forecast,
            json!([
                {"forecast_category": "Pipeline", "period": "2027-Q1", "count": 1, "amount": "2000.00", "forecast_amount": "200.0000"},
                {"forecast_category": "Commit", "period": "2027-Q1", "count": 1, "amount": "8000.00", "forecast_amount": "6400.0000"},
                {"forecast_category": "Closed", "period": "2027-Q1", "count": 1, "amount": "10000.00", "forecast_amount": "10000.0000"},
                {"forecast_category": "Omitted", "period": "2027-Q1", "count": 1, "amount": "5000.00", "forecast_amount": "0.0000"},
            ])
        );
        let grid = analytics(&st, "forecast", r#"{"by": ["forecast_category", "owner"]}"#);
        assert_eq!(grid[0]["owner"], "admin");
        assert_eq!(grid[2]["owner"], "jdoe");

        assert_eq!(
            analytics(&st, "set_quota", r#"{"owner": "jdoe", "period": "2027-q1", "amount": "20000"}"#),
            json!([{"owner": "jdoe", "period": "2027-Q1", "amount": "20000"}])
        );
        assert_eq!(analytics(&st, "quotas", "").as_array().unwrap().len(), 1);
        // A Jalali period (spring 1406, from Nowruz), Persian digits too.
        assert_eq!(analytics(&st, "set_quota", r#"{"owner": "jdoe", "period": "۱۴۰۶-Q1", "amount": "1"}"#)[0]["period"], "1406-Q1");
        assert_eq!(analytics(&st, "quotas", "").as_array().unwrap().len(), 2);
        let att = analytics(&st, "attainment", r#"{"period": "2027-Q1"}"#);
        assert_eq!(att[0]["won_amount"], "10000.00");
        assert_eq!(att[0]["attainment"], "0.5000");
        assert_eq!(att[0]["remaining"], "10000.00");
        assert_eq!(att[0]["coverage"], "0.0000");

        let win = analytics(&st, "win_rate", r#"{"period": "2027-Q1"}"#);
        assert_eq!(win[0]["closed"], 2);
        assert_eq!(win[0]["win_rate"], "0.5000");
        assert_eq!(win[0]["win_rate_amount"], "0.6667");
        let created = NaiveDate::parse_from_str(&a["createdtime"].as_str().unwrap()[..10], "%Y-%m-%d").unwrap();
        let days = (NaiveDate::from_ymd_opt(2027, 2, 15).unwrap() - created).num_days();
        assert_eq!(win[0]["median_days_to_close"], days.to_string());
        let velocity = analytics(&st, "sales_velocity", r#"{"period": "2027-Q1"}"#);
        assert_eq!(velocity[0]["open_deals"], 2);

        assert_eq!(
            analytics(&st, "lost_reasons", r#"{"period": "2027"}"#),
            json!([{"lost_reason": "Price", "period": "2027", "count": 1, "amount": "5000.00", "share": "1.0000"}])
        );
        let month = created.format("%Y-%m").to_string();
        let funnel = analytics(&st, "stage_funnel", &format!(r#"{{"period": "{month}"}}"#));
        assert_eq!(funnel.as_array().unwrap().len(), 9, "every open and won stage");
        assert_eq!(
            funnel[8],
            json!({"stage": "Closed Won", "period": month, "reached": 1, "advanced": 0, "conversion_to_next": "0.0000", "won": 1, "conversion_to_won": "1.0000"})
        );
        assert_eq!(analytics(&st, "time_in_stage", &format!(r#"{{"period": "{month}"}}"#)), json!([]));

        let asof = analytics(&st, "pipeline_as_of", r#"{"date": "2999-12-31", "by": "kind"}"#);
        assert_eq!(asof[0]["key"], "lost");
        assert_eq!(asof[1], json!({"key": "open", "date": "2999-12-31", "count": 2, "amount": "10000.00", "forecast_amount": "6600.0000"}));
        let snap = analytics(&st, "snapshot_pipeline", "{}");
        assert_eq!(snap.as_array().unwrap().len(), 2);
        assert_eq!(analytics(&st, "pipeline_snapshots", "{}"), snap);

        assert_eq!(analytics(&st, "set_forecast_category", r#"{"stage": "Prospecting", "category": "Best Case"}"#), json!([]));
        assert_eq!(analytics(&st, "set_require_lost_reason", r#"{"on": true}"#), json!([]));
        let e = deal_with(&st, r#"{"potentialname": "E", "sales_stage": "Prospecting", "closingdate": "2027-01-10"}"#);
        assert_eq!(e["forecast_category"], "Best Case");
        let mut out = ptr::null_mut();
        let lost = s(r#"{"sales_stage": "Closed Lost"}"#);
        assert_eq!(unsafe { crm_record_update(st.0, id(&e), lost.as_ptr(), &mut out) }, crm_status::Validation);

        for (report, options, needle) in [
            ("weekly", "{}", "report: unknown value 'weekly'"),
            ("win_rate", "{}", "win_rate needs the option 'period'"),
            ("win_rate", r#"{"period": "2027-Q5"}"#, "period '2027-Q5'"),
            ("win_rate", r#"{"period": "2027", "by": "month"}"#, "win rates are by"),
            ("forecast", r#"{"colour": 1}"#, "unknown field `colour`"),
            ("set_quota", r#"{"owner": "jdoe", "period": "2027", "amount": "lots"}"#, "amount: 'lots'"),
        ] {
            let mut out = ptr::null_mut();
            let status = unsafe { crm_analytics(st.0, s(report).as_ptr(), s(options).as_ptr(), &mut out) };
            assert_eq!(status, crm_status::InvalidArgument, "{report} {options}");
            assert!(msg().contains(needle), "{}", msg());
            assert!(out.is_null());
        }
        let mut out = ptr::null_mut();
        let status = unsafe {
            crm_analytics(st.0, s("set_quota").as_ptr(), s(r#"{"owner": "x", "period": "2027", "amount": "1"}"#).as_ptr(), &mut out)
        };
        assert_eq!(status, crm_status::NotFound);
        assert_eq!(unsafe { crm_analytics(st.0, ptr::null(), ptr::null(), &mut out) }, crm_status::NullPointer);
    }
}
