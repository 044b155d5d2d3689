//! Currencies through the C functions: rates, conversion, the pipeline and aggregates in two currencies.

use super::*;

#[test]
fn currencies_rates_conversion_and_totals_in_two_currencies() {
    for st in both() {
        let base = json_of(|o| unsafe { crm_currency_base(st.0, o) });
        assert_eq!((base["code"].as_str(), base["name"].as_str(), base["decimals"].as_u64()), (Some("USD"), Some("USA, Dollars"), Some(2)));
        let eur = json_of(|o| unsafe { crm_currency_add(st.0, s(r#"{"code": "eur", "rate": "0.92"}"#).as_ptr(), o) });
        assert_eq!((eur["code"].as_str(), eur["name"].as_str(), eur["symbol"].as_str()), (Some("EUR"), Some("Euro"), Some("€")));
        ok(unsafe { crm_currency_set_rate(st.0, s("EUR").as_ptr(), s("0.95").as_ptr(), s("2027-01-01").as_ptr()) });
        let rates = json_of(|o| unsafe { crm_currency_rates(st.0, s("EUR").as_ptr(), o) });
        assert_eq!(
            rates,
            json!([{"code": "EUR", "rate": "0.92", "valid_from": null}, {"code": "EUR", "rate": "0.95", "valid_from": "2027-01-01"}])
        );
        assert_eq!(json_of(|o| unsafe { crm_currencies(st.0, o) }).as_array().unwrap().len(), 2);
        assert_eq!(json_of(|o| unsafe { crm_currency_log(st.0, o) }).as_array().unwrap().last().unwrap()["after"], "0.95");
        let mut out = ptr::null_mut();
        let conv = |amount: &str, on: &str, out: &mut *mut c_char| unsafe {
            crm_currency_convert(st.0, s(amount).as_ptr(), s("EUR").as_ptr(), s("USD").as_ptr(), s(on).as_ptr(), out)
        };
        ok(conv("100", "2026-12-31", &mut out));
        assert_eq!(unsafe { CStr::from_ptr(out) }.to_str().unwrap(), "108.70");
        unsafe { crm_string_free(out) };
        ok(conv("100", "2027-01-01", &mut out));
        assert_eq!(unsafe { CStr::from_ptr(out) }.to_str().unwrap(), "105.26");
        unsafe { crm_string_free(out) };
        assert_eq!(conv("1x", "2027-01-01", &mut out), crm_status::InvalidArgument);

        deal(&st, "A", "Prospecting", "1000", "2026-12-31");
        create(
            &st,
            "Potentials",
            r#"{"potentialname": "B", "sales_stage": "Prospecting", "amount": "1000", "currency": "Euro", "closingdate": "2027-01-01"}"#,
        );
        let err = unsafe {
            crm_record_create(
                st.0,
                s("Potentials").as_ptr(),
                s(r#"{"potentialname": "X", "sales_stage": "Prospecting", "currency": "XYZ", "closingdate": "2027-01-01"}"#).as_ptr(),
                &mut out,
            )
        };
        assert_eq!(err, crm_status::Validation);
        let detail: J = serde_json::from_str(unsafe { CStr::from_ptr(crm_last_error_json()) }.to_str().unwrap()).unwrap();
        assert_eq!(detail[0]["code"], "unknown_currency", "{detail}");

        let pipeline = |currency: Option<&str>| {
            let c = currency.map(s);
            json_of(|o| unsafe {
                crm_pipeline_in(st.0, s("total").as_ptr(), ptr::null(), c.as_ref().map_or(ptr::null(), |x| x.as_ptr()), true, o)
            })
        };
        // USD: 1000 + 1000 / 0.95; EUR: 1000 × 0.92 + 1000.
        let usd = pipeline(None);
        assert_eq!((usd[0]["amount"].as_str(), usd[0]["currency"].as_str()), (Some("2052.63"), Some("USD")));
        assert_eq!(usd[0]["subtotals"].as_array().unwrap().len(), 2);
        assert_eq!(pipeline(Some("EUR"))[0]["amount"], "1920.00");
        let groups = json_of(|o| unsafe {
            crm_aggregate_in(
                st.0,
                s(r#"{"module": "Potentials"}"#).as_ptr(),
                ptr::null(),
                s(r#"["amount"]"#).as_ptr(),
                s("EUR").as_ptr(),
                o,
            )
        });
        assert_eq!(groups[0]["sums"]["amount"], "1920.00");
        // The base is fixed once money values exist; a user's preferred currency.
        assert_eq!(unsafe { crm_currency_set_base(st.0, s("EUR").as_ptr(), ptr::null_mut()) }, crm_status::Conflict);
        ok(unsafe { crm_user_set_currency(st.0, s("jdoe").as_ptr(), s("EUR").as_ptr()) });
        ok(unsafe { crm_currency_set_date_field(st.0, s("Potentials").as_ptr(), s("closingdate").as_ptr()) });
    }
}

/// `crm_analytics` takes `currency` (and, for `pipeline_as_of`, `subtotals`): each deal converted at the
/// rate of its close date; rows say their currency.
#[test]
fn analytics_in_a_requested_currency() {
    for st in both() {
        let eur = json_of(|o| unsafe { crm_currency_add(st.0, s(r#"{"code": "EUR", "rate": "0.92"}"#).as_ptr(), o) });
        assert_eq!(eur["code"], "EUR");
        ok(unsafe { crm_currency_set_rate(st.0, s("EUR").as_ptr(), s("0.95").as_ptr(), s("2027-01-01").as_ptr()) });
        let a = deal(&st, "A", "Prospecting", "1000", "2026-12-31");
        create(
            &st,
            "Potentials",
            r#"{"potentialname": "B", "sales_stage": "Prospecting", "amount": "1000", "currency": "EUR", "closingdate": "2027-01-01"}"#,
        );
        let run = |report: &str, options: &str| json_of(|o| unsafe { crm_analytics(st.0, s(report).as_ptr(), s(options).as_ptr(), o) });
        // EUR: 1000 USD × 0.92 + 1000 EUR; the base (USD): 1000 + 1000 / 0.95.
        let rows = run("forecast", r#"{"by": "total", "currency": "EUR"}"#);
        assert_eq!((rows[0]["currency"].as_str(), rows[0]["amount"].as_str()), (Some("EUR"), Some("1920.00")), "{rows}");
        assert_eq!(run("forecast", r#"{"by": "total"}"#)[0]["amount"], "2052.63");
        let per = run("forecast", r#"{"by": "currency"}"#);
        assert_eq!(
            per,
            json!([
                {"currency": "EUR", "count": 1, "amount": "1000.00", "forecast_amount": "100.0000"},
                {"currency": "USD", "count": 1, "amount": "1000.00", "forecast_amount": "100.0000"}
            ])
        );
        let mut out = ptr::null_mut();
        let fields = s(r#"{"sales_stage": "Closed Won"}"#);
        ok(unsafe { crm_record_update(st.0, a, fields.as_ptr(), &mut out) });
        unsafe { crm_string_free(out) };
        let w = run("win_rate", r#"{"period": "2026", "currency": "EUR"}"#);
        assert_eq!((w[0]["currency"].as_str(), w[0]["won_amount"].as_str()), (Some("EUR"), Some("920.00")), "{w}");
        let today = crm_core::chrono::Utc::now().date_naive();
        let past = run("pipeline_as_of", &format!(r#"{{"date": "{today}", "by": "total", "currency": "EUR", "subtotals": true}}"#));
        assert_eq!(past[0]["amount"], "1920.00", "{past}");
        let subs: Vec<(&str, &str)> =
            past.as_array().unwrap()[1..].iter().map(|r| (r["currency"].as_str().unwrap(), r["amount"].as_str().unwrap())).collect();
        assert_eq!(subs, [("EUR", "1000.00"), ("USD", "1000.00")]);
        let bad = unsafe { crm_analytics(st.0, s("forecast").as_ptr(), s(r#"{"currency": "XYZ"}"#).as_ptr(), &mut out) };
        assert_eq!(bad, crm_status::NotFound);
    }
}
