//! What Persian users need through the C ABI: Jalali forecast periods, Windows-1256 and UTF-16 files,
//! Persian digits and Jalali dates in exports, Arabic/Persian letter variants found by search.

use super::*;

#[test]
fn jalali_forecast_periods_with_persian_names() {
    for st in both() {
        deal(&st, "a", "Prospecting", "100", "2027-03-20"); // 29 Esfand 1405
        deal(&st, "b", "Prospecting", "200", "2027-03-21"); // 1 Farvardin 1406
        let rows = json_of(|o| unsafe { crm_pipeline_in(st.0, s("quarter").as_ptr(), ptr::null(), ptr::null(), s("jalali").as_ptr(), o) });
        assert_eq!(
            rows,
            json!([
                {"key": "1405-Q4", "count": 1, "amount": "100.00", "forecast_amount": "10.0000", "label": "زمستان ۱۴۰۵"},
                {"key": "1406-Q1", "count": 1, "amount": "200.00", "forecast_amount": "20.0000", "label": "بهار ۱۴۰۶"}
            ])
        );
        // NULL calendar: Gregorian, as crm_pipeline.
        let g = json_of(|o| unsafe { crm_pipeline_in(st.0, s("quarter").as_ptr(), ptr::null(), ptr::null(), ptr::null(), o) });
        assert_eq!(g[0]["key"], "2027-Q1");
        let mut out = ptr::null_mut();
        let bad = unsafe { crm_pipeline_in(st.0, s("quarter").as_ptr(), ptr::null(), ptr::null(), s("lunar").as_ptr(), &mut out) };
        assert_eq!(bad, crm_status::InvalidArgument);
        assert!(msg().contains("calendar: unknown value 'lunar'"), "{}", msg());
    }
}

#[test]
fn windows_1256_and_utf16_files_import_and_persian_digits_export() {
    for st in both() {
        let dir = tempfile::tempdir().unwrap();
        let text = "Opportunity Name,Amount,Sales Stage,Expected Close Date\nشرکت کيان,12000,Prospecting,2027-03-31\n";
        let (narrow, _, bad) = encoding_rs::WINDOWS_1256.encode(text);
        assert!(!bad);
        let p1256 = dir.path().join("1256.csv");
        std::fs::write(&p1256, &narrow).unwrap();
        let mut wide = vec![0xFF, 0xFE];
        wide.extend(text.replace("کيان", "آرش").encode_utf16().flat_map(u16::to_le_bytes));
        let p16 = dir.path().join("utf16.csv");
        std::fs::write(&p16, &wide).unwrap();
        for (path, options) in [(&p1256, r#"{"encoding": "windows-1256"}"#), (&p16, "{}")] {
            let path = s(path.to_str().unwrap());
            let report = json_of(|o| unsafe {
                crm_import_csv(st.0, path.as_ptr(), s("Potentials").as_ptr(), s(options).as_ptr(), None, ptr::null_mut(), o)
            });
            assert_eq!((&report["created"], &report["failed"]), (&json!(1), &json!(0)), "{report}");
        }
        // The Windows-1256 name (Arabic yeh) is found with Persian letters.
        let page = json_of(|o| unsafe { crm_search(st.0, s("Potentials").as_ptr(), s("شرکت کیان").as_ptr(), 1, 50, o) });
        assert_eq!(page["total"], 1, "{page}");
        let out = dir.path().join("out.csv");
        let options =
            r#"{"columns": ["potentialname", "amount", "closingdate"], "bom": true, "digits": "persian", "date_format": "jalali"}"#;
        let mut n = 0u64;
        ok(unsafe {
            crm_export_csv(st.0, s("Potentials").as_ptr(), s(out.to_str().unwrap()).as_ptr(), ptr::null(), s(options).as_ptr(), &mut n)
        });
        let bytes = std::fs::read(&out).unwrap();
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.contains("شرکت آرش,۱۲۰۰۰٫۰۰,۱۴۰۶/۰۱/۱۱"), "{text}");
    }
}
