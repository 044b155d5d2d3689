//! CSV and vCard import with progress, undo, saved mappings and export.

use super::*;

unsafe extern "C" fn count_progress(user_data: *mut c_void, rows_done: u64) {
    let seen = unsafe { &mut *user_data.cast::<Vec<u64>>() };
    seen.push(rows_done);
}

#[test]
fn import_with_progress_undo_mappings_and_export() {
    for st in both() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("deals.csv");
        std::fs::write(
            &csv,
            "Deal,Amount,Stage,Close\nA,1000.10,Prospecting,2027-01-31\nB,12abc,Prospecting,2027-01-31\nC,300,Qualification,2027-02-28\n",
        )
        .unwrap();
        let csv_path = s(csv.to_str().unwrap());
        // A saved mapping, used as the import's mapping.
        let mapping = r#"{"Deal": "potentialname", "Amount": "amount", "Stage": "sales_stage", "Close": "closingdate"}"#;
        ok(unsafe { crm_mapping_save(st.0, s("Potentials").as_ptr(), s("mine").as_ptr(), s(mapping).as_ptr()) });
        let saved = json_of(|o| unsafe { crm_mappings(st.0, s("Potentials").as_ptr(), o) });
        assert_eq!(saved[0]["name"], "mine");
        assert_eq!(saved[0]["mapping"]["Deal"], "potentialname");
        assert_eq!(
            unsafe { crm_mapping_save(st.0, s("Potentials").as_ptr(), s("bad").as_ptr(), s(r#"{"X": "nosuchfield"}"#).as_ptr(),) },
            crm_status::InvalidArgument
        );
        let options = json!({ "mapping": saved[0]["mapping"], "batch_size": 1 }).to_string();
        let mut seen: Vec<u64> = vec![];
        let report = json_of(|o| unsafe {
            crm_import_csv(
                st.0,
                csv_path.as_ptr(),
                s("Potentials").as_ptr(),
                s(&options).as_ptr(),
                Some(count_progress),
                (&mut seen as *mut Vec<u64>).cast(),
                o,
            )
        });
        assert_eq!((report["rows"].as_u64(), report["created"].as_u64(), report["failed"].as_u64()), (Some(3), Some(2), Some(1)));
        assert_eq!(report["row_reports"][0]["line"], 3);
        assert_eq!(seen.last(), Some(&3), "{seen:?}");
        assert!(seen.len() >= 2 && seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
        let import_id = report["import_id"].as_i64().unwrap();
        let imports = json_of(|o| unsafe { crm_imports(st.0, o) });
        assert_eq!(imports[0]["id"], import_id);
        let rows = json_of(|o| unsafe { crm_import_rows(st.0, import_id, o) });
        assert_eq!(rows.as_array().unwrap().len(), 2);
        // Export: all, by ids, one page, with options.
        let out_csv = dir.path().join("out.csv");
        let out_path = s(out_csv.to_str().unwrap());
        let mut n = 0u64;
        ok(unsafe { crm_export_csv(st.0, s("Potentials").as_ptr(), out_path.as_ptr(), ptr::null(), ptr::null(), &mut n) });
        assert_eq!(n, 2);
        let text = std::fs::read_to_string(&out_csv).unwrap();
        assert!(text.starts_with("Opportunity Name"), "{text}");
        assert!(text.contains("1000.10"));
        let first = rows[0]["record"].as_i64().unwrap();
        ok(unsafe {
            crm_export_csv(
                st.0,
                s("Potentials").as_ptr(),
                out_path.as_ptr(),
                s(&format!(r#"{{"ids": [{first}]}}"#)).as_ptr(),
                s(r#"{"columns": ["potentialname", "amount"], "header": "names"}"#).as_ptr(),
                &mut n,
            )
        });
        assert_eq!(n, 1);
        assert_eq!(std::fs::read_to_string(&out_csv).unwrap().lines().next(), Some("potentialname,amount"));
        ok(unsafe {
            crm_export_csv(
                st.0,
                s("Potentials").as_ptr(),
                out_path.as_ptr(),
                s(r#"{"query": {"module": "Potentials", "sort": ["amount"]}, "page": 1, "size": 1}"#).as_ptr(),
                ptr::null(),
                &mut n,
            )
        });
        assert_eq!(n, 1);
        assert!(std::fs::read_to_string(&out_csv).unwrap().contains("300.00"));
        assert_eq!(
            unsafe {
                crm_export_csv(st.0, s("Potentials").as_ptr(), out_path.as_ptr(), s(r#"{"everything": 1}"#).as_ptr(), ptr::null(), &mut n)
            },
            crm_status::InvalidArgument
        );
        let nowhere = s(dir.path().join("no/such/dir/x.csv").to_str().unwrap());
        assert_eq!(
            unsafe { crm_export_csv(st.0, s("Potentials").as_ptr(), nowhere.as_ptr(), ptr::null(), ptr::null(), &mut n,) },
            crm_status::Io
        );
        // Undo takes the import back, once.
        let undo = json_of(|o| unsafe { crm_import_undo(st.0, import_id, o) });
        assert_eq!(undo, json!({"deleted": 2, "restored": 0}));
        assert_eq!(unsafe { crm_import_undo(st.0, import_id, ptr::null_mut()) }, crm_status::Conflict);
        assert_eq!(unsafe { crm_import_undo(st.0, 999_999, ptr::null_mut()) }, crm_status::NotFound);
        ok(unsafe { crm_mapping_delete(st.0, s("Potentials").as_ptr(), s("MINE").as_ptr()) });
        assert_eq!(unsafe { crm_mapping_delete(st.0, s("Potentials").as_ptr(), s("mine").as_ptr()) }, crm_status::NotFound);
        // vCard import with an opportunity per new contact, and vCard export.
        let vcf = dir.path().join("c.vcf");
        std::fs::write(
            &vcf,
            "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Smith;Jane;;;\r\nFN:Jane Smith\r\nORG:Acme Corp\r\nEMAIL:jane@acme.example\r\nEND:VCARD\r\n\
             BEGIN:VCARD\r\nVERSION:4.0\r\nN:Rahimi;Ahmad;;;\r\nFN:Ahmad Rahimi\r\nEND:VCARD\r\n",
        )
        .unwrap();
        let mut seen: Vec<u64> = vec![];
        let report = json_of(|o| unsafe {
            crm_import_vcard(
                st.0,
                s(vcf.to_str().unwrap()).as_ptr(),
                s(r#"{"opportunity": {"name_template": "{organization} deal", "sales_stage": "Prospecting", "close_in_days": 10}}"#)
                    .as_ptr(),
                Some(count_progress),
                (&mut seen as *mut Vec<u64>).cast(),
                o,
            )
        });
        assert_eq!(report["created"], 2, "{report}");
        assert_eq!(seen.last(), Some(&2));
        // The same file again with the vCard defaults (as Python's): the contact whose e-mail is known is
        // skipped, the one without an e-mail is created again; `import` keys given keep the other defaults.
        for (options, created, skipped) in [(ptr::null(), 1, 1), (s(r#"{"import": {"dry_run": true}}"#).into_raw().cast_const(), 1, 1)] {
            let again =
                json_of(|o| unsafe { crm_import_vcard(st.0, s(vcf.to_str().unwrap()).as_ptr(), options, None, ptr::null_mut(), o) });
            assert_eq!((again["created"].clone(), again["skipped"].clone()), (json!(created), json!(skipped)), "{again}");
            if !options.is_null() {
                drop(unsafe { CString::from_raw(options.cast_mut()) });
            }
        }
        let mut count = 0u64;
        ok(unsafe {
            crm_record_count(
                st.0,
                s(r#"{"module": "Potentials", "conditions": [{"field": "potentialname", "op": "=", "value": "Acme Corp deal"}]}"#).as_ptr(),
                &mut count,
            )
        });
        assert_eq!(count, 1);
        let out_vcf = dir.path().join("out.vcf");
        ok(unsafe { crm_export_vcard(st.0, s(out_vcf.to_str().unwrap()).as_ptr(), ptr::null(), s("3.0").as_ptr(), &mut n) });
        assert_eq!(n, 3, "Jane, and Ahmad twice (no e-mail to match on)");
        let cards = std::fs::read_to_string(&out_vcf).unwrap();
        assert!(cards.contains("VERSION:3.0") && cards.contains("ORG:Acme Corp"), "{cards}");
        assert_eq!(
            unsafe { crm_export_vcard(st.0, s(out_vcf.to_str().unwrap()).as_ptr(), ptr::null(), s("5.0").as_ptr(), &mut n,) },
            crm_status::InvalidArgument
        );
        // Errors: missing file, bad options, no progress callback is fine.
        let mut out = ptr::null_mut();
        let missing = s(dir.path().join("missing.csv").to_str().unwrap());
        assert_eq!(
            unsafe { crm_import_csv(st.0, missing.as_ptr(), s("Potentials").as_ptr(), ptr::null(), None, ptr::null_mut(), &mut out,) },
            crm_status::Io
        );
        assert_eq!(
            unsafe {
                crm_import_csv(
                    st.0,
                    csv_path.as_ptr(),
                    s("Potentials").as_ptr(),
                    s(r#"{"batch_size": "many"}"#).as_ptr(),
                    None,
                    ptr::null_mut(),
                    &mut out,
                )
            },
            crm_status::InvalidArgument
        );
        let dry = json_of(|o| unsafe {
            crm_import_csv(
                st.0,
                csv_path.as_ptr(),
                s("Potentials").as_ptr(),
                s(&json!({"mapping": saved[0]["mapping"], "dry_run": true}).to_string()).as_ptr(),
                None,
                ptr::null_mut(),
                o,
            )
        });
        assert_eq!(dry["dry_run"], true);
        assert!(out.is_null());
    }
}

#[test]
fn import_options_read_symbols_aliases_and_name_a_bad_one() {
    for st in both() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("deals.csv");
        // Latin-1 bytes, semicolons, a day-first date and a decimal comma.
        std::fs::write(&csv, b"Deal;Amount;Stage;Close\nCaf\xe9;1.000,50;Prospecting;31.01.2027\n").unwrap();
        let csv_path = s(csv.to_str().unwrap());
        let options = r#"{"delimiter": ";", "encoding": "latin-1", "date_format": "DD.MM.YYYY", "decimal_separator": ",",
            "thousands_separator": ".", "duplicates": "Skip", "match_on": ["potentialname"],
            "mapping": {"Deal": "potentialname", "Amount": "amount", "Stage": "sales_stage", "Close": "closingdate"}}"#;
        let report = json_of(|o| unsafe {
            crm_import_csv(st.0, csv_path.as_ptr(), s("Potentials").as_ptr(), s(options).as_ptr(), None, ptr::null_mut(), o)
        });
        assert_eq!(report["created"], 1, "{report}");
        let rows = json_of(|o| unsafe { crm_import_rows(st.0, report["import_id"].as_i64().unwrap(), o) });
        let deal = get(&st, rows[0]["record"].as_i64().unwrap());
        assert_eq!(
            (&deal["potentialname"], &deal["amount"], &deal["closingdate"]),
            (&json!("Café"), &json!("1000.50"), &json!("2027-01-31"))
        );
        // A bad value: InvalidArgument naming the option, with the message Python raises.
        let mut out = ptr::null_mut();
        let bad = r#"{"encoding": "ebcdic"}"#;
        assert_eq!(
            unsafe { crm_import_csv(st.0, csv_path.as_ptr(), s("Potentials").as_ptr(), s(bad).as_ptr(), None, ptr::null_mut(), &mut out) },
            crm_status::InvalidArgument
        );
        assert!(
            msg().contains("encoding: unknown value 'ebcdic' (one of utf-8, iso-8859-1 (latin-1), windows-1252 (cp1252), utf-16le,"),
            "{}",
            msg()
        );
        let mut n = 0u64;
        let vcf = s(dir.path().join("out.vcf").to_str().unwrap());
        assert_eq!(unsafe { crm_export_vcard(st.0, vcf.as_ptr(), ptr::null(), s("2.1").as_ptr(), &mut n) }, crm_status::InvalidArgument);
        assert!(msg().contains("version: unknown value '2.1'"), "{}", msg());
    }
}
