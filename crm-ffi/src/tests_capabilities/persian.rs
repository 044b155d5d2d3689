//! What Persian users need through the C ABI: Jalali forecast periods, Windows-1256 and UTF-16 files,
//! Persian digits and Jalali dates in exports, Arabic/Persian letter variants found by search.

use super::*;

#[test]
fn jalali_forecast_periods_with_persian_names() {
    for st in both() {
        deal(&st, "a", "Prospecting", "100", "2027-03-20"); // 29 Esfand 1405
        deal(&st, "b", "Prospecting", "200", "2027-03-21"); // 1 Farvardin 1406
        let rows =
            json_of(|o| unsafe { crm_pipeline_calendar(st.0, s("quarter").as_ptr(), ptr::null(), ptr::null(), s("jalali").as_ptr(), o) });
        assert_eq!(
            rows,
            json!([
                {"key": "1405-Q4", "count": 1, "amount": "100.00", "forecast_amount": "10.0000", "label": "زمستان ۱۴۰۵"},
                {"key": "1406-Q1", "count": 1, "amount": "200.00", "forecast_amount": "20.0000", "label": "بهار ۱۴۰۶"}
            ])
        );
        // NULL calendar: Gregorian, as crm_pipeline.
        let g = json_of(|o| unsafe { crm_pipeline_calendar(st.0, s("quarter").as_ptr(), ptr::null(), ptr::null(), ptr::null(), o) });
        assert_eq!(g[0]["key"], "2027-Q1");
        let mut out = ptr::null_mut();
        let bad = unsafe { crm_pipeline_calendar(st.0, s("quarter").as_ptr(), ptr::null(), ptr::null(), s("lunar").as_ptr(), &mut out) };
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

#[test]
fn languages_label_fields_for_the_acting_user_and_persian_headers_import() {
    for st in both() {
        let user = s(r#"{"user_name": "sara", "full_name": "Sara", "language": "fa_ir"}"#);
        ok(unsafe { crm_user_add(st.0, user.as_ptr(), ptr::null_mut()) });
        let langs = json_of(|o| unsafe { crm_languages(st.0, o) });
        assert_eq!(langs, json!({"installed": ["en_us", "fa_ir"], "store": "en_us", "acting": "en_us"}));
        let label = |field: &str| {
            let fields = json_of(|o| unsafe { crm_module_fields(st.0, s("Potentials").as_ptr(), o) });
            fields.as_array().unwrap().iter().find(|f| f["name"] == field).unwrap()["label"].clone()
        };
        assert_eq!(label("sales_stage"), "Sales Stage");
        deal(&st, "قرارداد", "Closed Won", "100", "2027-03-31");
        ok(unsafe { crm_store_set_actor(st.0, s("sara").as_ptr()) });
        assert_eq!(label("sales_stage"), "مرحله فروش");
        assert_eq!(json_of(|o| unsafe { crm_languages(st.0, o) })["acting"], "fa_ir");
        // Custom label, then back.
        ok(unsafe { crm_label_set(st.0, s("fa").as_ptr(), s("Sales Stage").as_ptr(), s("مرحله").as_ptr()) });
        assert_eq!(label("sales_stage"), "مرحله");
        let custom = json_of(|o| unsafe { crm_labels_custom(st.0, s("fa_ir").as_ptr(), o) });
        assert_eq!(custom, json!({"Sales Stage": "مرحله"}));
        ok(unsafe { crm_label_set(st.0, s("fa_ir").as_ptr(), s("Sales Stage").as_ptr(), s("").as_ptr()) });
        // Sara's export has Persian headers and values; an English user imports it back without a mapping.
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("fa.csv");
        ok(unsafe {
            crm_export_csv(st.0, s("Potentials").as_ptr(), s(out.to_str().unwrap()).as_ptr(), ptr::null(), ptr::null(), ptr::null_mut())
        });
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(text.starts_with("شماره فرصت,نام فرصت") || text.contains("مرحله فروش"), "{text}");
        assert!(text.contains("برنده"), "{text}");
        let mut wide = vec![0xFE, 0xFF];
        wide.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
        std::fs::write(&out, &wide).unwrap();
        ok(unsafe { crm_user_set_language(st.0, s("sara").as_ptr(), ptr::null()) });
        ok(unsafe { crm_store_set_actor(st.0, s("admin").as_ptr()) });
        let report = json_of(|o| unsafe {
            crm_import_csv(st.0, s(out.to_str().unwrap()).as_ptr(), s("Potentials").as_ptr(), ptr::null(), None, ptr::null_mut(), o)
        });
        assert_eq!((&report["created"], &report["failed"]), (&json!(1), &json!(0)), "{report}");
        let rows = json_of(|o| unsafe { crm_import_rows(st.0, report["import_id"].as_i64().unwrap(), o) });
        assert_eq!(get(&st, rows[0]["record"].as_i64().unwrap())["sales_stage"], "Closed Won");
        let mut o = ptr::null_mut();
        assert_eq!(unsafe { crm_store_set_language(st.0, s("xx").as_ptr()) }, crm_status::InvalidArgument);
        assert!(msg().contains("language: unknown value 'xx'"), "{}", msg());
        assert_eq!(unsafe { crm_labels_custom(st.0, s("xx").as_ptr(), &mut o) }, crm_status::InvalidArgument);
        ok(unsafe { crm_store_set_language(st.0, s("fa_ir").as_ptr()) });
        assert_eq!(json_of(|o| unsafe { crm_languages(st.0, o) })["store"], "fa_ir");
    }
}

/// For a Persian reader: an import's own notes in Persian, list rows with translated picklist values (the
/// stored value stays vtiger's); the default workflows no one edited follow the store's language.
#[test]
fn import_notes_list_rows_and_default_workflows_in_persian() {
    for st in both() {
        let user = s(r#"{"user_name": "sara", "full_name": "Sara", "language": "fa_ir"}"#);
        ok(unsafe { crm_user_add(st.0, user.as_ptr(), ptr::null_mut()) });
        ok(unsafe { crm_store_set_actor(st.0, s("sara").as_ptr()) });
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("deals.csv");
        std::fs::write(&path, "Opportunity Name,Sales Stage,Expected Close Date,Foo\na,Closed Won,2027-01-01,x\n\nb,Prospecting\n")
            .unwrap();
        let path = s(path.to_str().unwrap());
        let report = json_of(|o| unsafe {
            crm_import_csv(st.0, path.as_ptr(), s("Potentials").as_ptr(), s("{}").as_ptr(), None, ptr::null_mut(), o)
        });
        assert_eq!(report["warnings"], json!(["ستون‌هایی که با هیچ فیلدی جور نیستند نادیده گرفته شدند: Foo"]), "{report}");
        let notes: Vec<&str> = report["row_reports"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r["problems"].as_array().unwrap())
            .map(|p| p["message"].as_str().unwrap())
            .collect();
        assert!(notes.contains(&"سطر خالی"), "{notes:?}");
        let page = json_of(|o| unsafe { crm_list(st.0, s("Potentials").as_ptr(), s("All").as_ptr(), ptr::null(), 1, 20, o) });
        let row = &page["records"][0];
        assert_eq!(row["sales_stage"], "برنده", "{page}");
        assert_eq!(get(&st, row["id"].as_i64().unwrap())["sales_stage"], "Closed Won");
        ok(unsafe { crm_store_set_actor(st.0, s("admin").as_ptr()) });
        ok(unsafe { crm_store_set_language(st.0, s("fa_ir").as_ptr()) });
        let wfs = json_of(|o| unsafe { crm_workflows(st.0, s("Potentials").as_ptr(), o) });
        let names: Vec<&str> = wfs.as_array().unwrap().iter().map(|w| w["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["محاسبه یا به روز رسانی مبلغ پیش بینی", "ارسال ایمیل به کاربران هنگام ایجاد فرصت فروش"]);
    }
}
