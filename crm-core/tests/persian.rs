//! What crm's Persian users need, on every store: Arabic/Persian letter variants, ZWNJ and native digits
//! matched as the same text (search, filters, references by name); files in Windows-1256 and UTF-16;
//! Persian digits and Jalali dates in exports; Jalali forecast periods; date ranges in the Jalali calendar
//! and in the store's time zone.

mod support;

use crm_core::io::{DateFormat, Digits, Encoding, ExportOptions, ImportOptions};
use crm_core::{Calendar, Condition, DateRange, ExportSelection, Fields, Filter, NewUser, Op, PipelineBy, Query, ViewSettings};
use rust_decimal::Decimal;
use std::str::FromStr;
use support::Backend;

fn names(rs: &[crm_core::Record]) -> Vec<String> {
    let mut v: Vec<String> = rs.iter().map(|r| r.get("potentialname").to_text().unwrap_or_default()).collect();
    v.sort();
    v
}

fn deal(t: &mut support::TestCrm, name: &str, amount: &str, close: &str) {
    t.create(
        "Potentials",
        Fields::new().with("potentialname", name).with("amount", amount).with("sales_stage", "Prospecting").with("closingdate", close),
    )
    .unwrap();
}

fn arabic_and_persian_letters_are_the_same_text(b: Backend) {
    let mut t = b.crm();
    // Stored with Arabic yeh and kaf (as a Windows keyboard writes them), a tatweel and a ZWNJ.
    let org = t.create("Accounts", Fields::new().with("accountname", "شركت علي\u{200C}آباد مـهر")).unwrap();
    // Searched with Persian yeh and kaf, without the joiner, with different case rules.
    let found = t.search("Accounts", "شرکت علیآباد", 1, 50).unwrap();
    assert_eq!(found.records.iter().map(|r| r.id).collect::<Vec<_>>(), [org.id], "search");
    let q = Query::new("Accounts").filter(Condition::cmp("accountname", Op::Contains, "علی\u{200C}آباد مهر"));
    assert_eq!(t.find(q).unwrap().len(), 1, "contains");
    let q = Query::new("Accounts").filter(Condition::cmp("accountname", Op::StartsWith, "شرکت"));
    assert_eq!(t.find(q).unwrap().len(), 1, "starts with");
    // A reference by name (what `Accounts::::Name` in an import resolves) finds the same organization.
    let d = t
        .create(
            "Potentials",
            Fields::new()
                .with("potentialname", "قرارداد ۱۴۰۶")
                .with("related_to", "شرکت علی‌آباد مهر")
                .with("sales_stage", "Prospecting")
                .with("closingdate", "2027-03-31"),
        )
        .unwrap();
    assert_eq!(d.get("related_to").as_ref_id(), Some(org.id));
    // Persian digits in a search term find ASCII digits and the other way round.
    let q = Query::new("Potentials").filter(Condition::cmp("potentialname", Op::Contains, "1406"));
    assert_eq!(t.find(q).unwrap().len(), 1, "digits");
    let found = t.search("Potentials", "۱۴۰۶", 1, 50).unwrap();
    assert_eq!(found.records.len(), 1, "search digits");
}

fn csv_in_windows_1256_and_utf16_imports(b: Backend) {
    let mut t = b.crm();
    let text = "Opportunity Name,Amount,Sales Stage,Expected Close Date\r\nفروش کیان,۱۲۰۰۰,Prospecting,2027-03-31\r\n";
    // Windows-1256, chosen by its label.
    // Windows-1256 has neither Persian yeh (written with Arabic yeh there) nor the Persian digits.
    let narrow = text.replace("۱۲۰۰۰", "12000").replace('ی', "ي");
    let (bytes, _, bad) = encoding_rs::WINDOWS_1256.encode(&narrow);
    assert!(!bad);
    let o = ImportOptions { encoding: Encoding::from_str("windows-1256").unwrap(), ..Default::default() };
    let r = t.import_csv(bytes.as_ref(), "Potentials", &o, None).unwrap();
    assert_eq!((r.created, r.failed), (1, 0), "{r:?}");
    // UTF-16LE with a BOM (Excel's "Unicode text"), with the default encoding: the BOM decides.
    let mut wide = vec![0xFF, 0xFE];
    wide.extend(text.replace("کیان", "آرش").encode_utf16().flat_map(u16::to_le_bytes));
    let r = t.import_csv(wide.as_slice(), "Potentials", &ImportOptions::default(), None).unwrap();
    assert_eq!((r.created, r.failed), (1, 0), "{r:?}");
    // UTF-16LE without a BOM and without naming it: recognised by its zero bytes.
    let bare: Vec<u8> = text.replace("کیان", "نیما").encode_utf16().flat_map(u16::to_le_bytes).collect();
    let r = t.import_csv(bare.as_slice(), "Potentials", &ImportOptions::default(), None).unwrap();
    assert_eq!((r.created, r.failed), (1, 0), "{r:?}");
    // UTF-16BE without a BOM, named.
    let be: Vec<u8> = text.replace("کیان", "مینا").encode_utf16().flat_map(u16::to_be_bytes).collect();
    let o = ImportOptions { encoding: Encoding::from_str("UTF-16BE").unwrap(), ..Default::default() };
    let r = t.import_csv(be.as_slice(), "Potentials", &o, None).unwrap();
    assert_eq!((r.created, r.failed), (1, 0), "{r:?}");
    let all = t.find(Query::new("Potentials")).unwrap();
    assert_eq!(names(&all), ["فروش آرش", "فروش مینا", "فروش نیما", "فروش کيان"]);
    // the Windows-1256 name (Arabic yeh) is found with a Persian keyboard's yeh
    assert_eq!(t.search("Potentials", "کیان", 1, 50).unwrap().records.len(), 1);
    assert!(all.iter().all(|r| r.get("amount").as_decimal() == Some(Decimal::from(12000))));
}

fn export_with_bom_persian_digits_and_jalali_dates(b: Backend) {
    let mut t = b.crm();
    deal(&mut t, "نوروز", "1500.50", "2027-03-21");
    let o = ExportOptions {
        columns: vec!["potentialname".into(), "amount".into(), "closingdate".into(), "sales_stage".into()],
        bom: true,
        digits: Digits::Persian,
        date_format: DateFormat::Jalali,
        ..Default::default()
    };
    let mut out = Vec::new();
    t.export_csv(&mut out, "Potentials", &ExportSelection::All(Query::new("Potentials")), &o).unwrap();
    assert!(out.starts_with(b"\xEF\xBB\xBF"));
    let text = String::from_utf8(out.clone()).unwrap();
    assert!(text.contains("نوروز,۱۵۰۰٫۵۰,۱۴۰۶/۰۱/۰۱,Prospecting"), "{text}");
    // and it imports back as it was
    let mut fresh = b.crm();
    let io = ImportOptions { date_format: DateFormat::Jalali, ..Default::default() };
    let r = fresh.import_csv(out.as_slice(), "Potentials", &io, None).unwrap();
    assert_eq!((r.created, r.failed), (1, 0), "{r:?}");
    let back = fresh.find(Query::new("Potentials")).unwrap();
    assert_eq!(back[0].get("amount").as_decimal(), Some(Decimal::from_str("1500.50").unwrap()));
    assert_eq!(back[0].get("closingdate").as_date(), chrono::NaiveDate::from_ymd_opt(2027, 3, 21));
}

fn jalali_quarters_across_nowruz(b: Backend) {
    let mut t = b.crm();
    // 1405 is not a leap year: 29 Esfand 1405 = 2027-03-20, 1 Farvardin 1406 = 2027-03-21; Khordad 1406 ends
    // on 2027-06-21, Tir starts on 2027-06-22.
    deal(&mut t, "a", "100", "2027-03-19"); // 28 Esfand 1405: 1405-Q4
    deal(&mut t, "b", "200", "2027-03-20"); // 29 Esfand 1405: 1405-Q4
    deal(&mut t, "c", "400", "2027-03-21"); // 1 Farvardin 1406: 1406-Q1
    deal(&mut t, "d", "800", "2027-06-21"); // 31 Khordad 1406: 1406-Q1
    deal(&mut t, "e", "1600", "2027-06-22"); // 1 Tir 1406: 1406-Q2
    let rows = t.pipeline_calendar(PipelineBy::CloseQuarter, None, Calendar::Jalali).unwrap();
    let got: Vec<(String, u64, String, Option<String>)> =
        rows.into_iter().map(|r| (r.key, r.count, r.amount.normalize().to_string(), r.label)).collect();
    assert_eq!(
        got,
        [
            ("1405-Q4".to_string(), 2, "300".to_string(), Some("زمستان ۱۴۰۵".to_string())),
            ("1406-Q1".to_string(), 2, "1200".to_string(), Some("بهار ۱۴۰۶".to_string())),
            ("1406-Q2".to_string(), 1, "1600".to_string(), Some("تابستان ۱۴۰۶".to_string())),
        ]
    );
    // The Gregorian grouping of the same deals is unchanged.
    let g: Vec<(String, u64)> = t.pipeline(PipelineBy::CloseQuarter, None).unwrap().into_iter().map(|r| (r.key, r.count)).collect();
    assert_eq!(g, [("2027-Q1".to_string(), 3), ("2027-Q2".to_string(), 2)]);
    let years: Vec<(String, u64)> =
        t.pipeline_calendar(PipelineBy::CloseYear, None, Calendar::Jalali).unwrap().into_iter().map(|r| (r.key, r.count)).collect();
    assert_eq!(years, [("1405".to_string(), 2), ("1406".to_string(), 3)]);
    let months = t.pipeline_calendar(PipelineBy::CloseMonth, None, Calendar::Jalali).unwrap();
    assert_eq!(months[0].key, "1405-12");
    assert_eq!(months[0].label.as_deref(), Some("اسفند ۱۴۰۵"));
    // As of a past day, from the stage history: the same keys.
    let as_of =
        t.pipeline_as_of_calendar(chrono::NaiveDate::from_ymd_opt(2030, 1, 1).unwrap(), PipelineBy::CloseQuarter, None, Calendar::Jalali);
    assert_eq!(as_of.unwrap().iter().map(|r| r.key.as_str()).collect::<Vec<_>>(), ["1405-Q4", "1406-Q1", "1406-Q2"]);
}

fn this_jalali_month_at_2330_in_tehran(b: Backend) {
    let mut t = b.crm();
    t.set_time_zone("Asia/Tehran").unwrap();
    t.set_view_settings(ViewSettings { calendar: Calendar::Jalali, ..ViewSettings::default() }).unwrap();
    // Azar 1405 runs from 2026-11-22 to 2026-12-21; Dey starts on 2026-12-22.
    deal(&mut t, "first of Azar", "1", "2026-11-22");
    deal(&mut t, "last of Azar", "1", "2026-12-21");
    deal(&mut t, "first of Dey", "1", "2026-12-22");
    deal(&mut t, "last of Aban", "1", "2026-11-21");
    let f = t.save_filter(Filter::new("Potentials", "This month").date("closingdate", DateRange::ThisMonth)).unwrap();
    // 23:30 in Tehran (UTC+03:30) on 30 Azar, the last day of the month.
    t.set_time("2026-12-21 20:00:00");
    let page = t.list("Potentials", &f.name, None, 1, 50).unwrap().page;
    assert_eq!(names(&page.records), ["first of Azar", "last of Azar"]);
    // An hour later it is 1 Dey in Tehran, still 21 December in UTC: the store's day wins.
    t.set_time("2026-12-21 21:00:00");
    let page = t.list("Potentials", &f.name, None, 1, 50).unwrap().page;
    assert_eq!(names(&page.records), ["first of Dey"]);
    // The fiscal year starts on 1 Farvardin.
    let fy = t.save_filter(Filter::new("Potentials", "FY").date("closingdate", DateRange::ThisFy)).unwrap();
    let page = t.list("Potentials", &fy.name, None, 1, 50).unwrap().page;
    assert_eq!(page.total, 4);
    // A date-time field: "today" runs from local midnight (20:30 UTC the day before in Tehran).
    deal(&mut t, "created just after midnight in Tehran", "1", "2027-06-01");
    let today = t.save_filter(Filter::new("Potentials", "Created today").date("createdtime", DateRange::Today)).unwrap();
    let page = t.list("Potentials", &today.name, None, 1, 50).unwrap().page;
    assert_eq!(names(&page.records), ["created just after midnight in Tehran"]);
}

fn persian_header_exports_import_with_zero_mapping(b: Backend) {
    let mut t = b.crm();
    t.add_user(NewUser::new("sara").full_name("Sara").language("fa_ir")).unwrap();
    let org = t.create("Accounts", Fields::new().with("accountname", "کیان")).unwrap();
    t.create(
        "Potentials",
        Fields::new()
            .with("potentialname", "قرارداد سالانه")
            .with("related_to", org.id)
            .with("amount", "2500.50")
            .with("sales_stage", "Closed Won")
            .with("opportunity_type", "New Business")
            .with("closingdate", "2027-03-31"),
    )
    .unwrap();
    // Sara exports: Persian headers, Persian picklist values.
    t.set_actor("sara").unwrap();
    let o = ExportOptions { header: crm_core::io::HeaderStyle::Labels, ..Default::default() };
    let mut out = Vec::new();
    t.export_csv(&mut out, "Potentials", &ExportSelection::All(Query::new("Potentials")), &o).unwrap();
    let text = String::from_utf8(out).unwrap();
    let header = text.lines().next().unwrap().to_string();
    for h in ["نام فرصت", "مقدار", "مرحله فروش", "نام سازمان", "تاریخ پیش بینی بسته شدن"] {
        assert!(header.contains(h), "{h} not in {header}");
    }
    assert!(text.contains("برنده") && text.contains("کسب و کار جديد"), "{text}");
    t.set_actor("admin").unwrap();
    // The same file in Windows-1256 (which writes Persian yeh as Arabic yeh) and in UTF-16, imported by an
    // English user without any mapping.
    let arabic_yeh = text.replace('ی', "ي");
    let (narrow, _, bad) = encoding_rs::WINDOWS_1256.encode(&arabic_yeh);
    assert!(!bad, "{text}");
    let mut wide = vec![0xFF, 0xFE];
    wide.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    for (bytes, encoding) in [(narrow.to_vec(), "windows-1256"), (wide, "utf-8")] {
        let mut fresh = b.crm();
        fresh.create("Accounts", Fields::new().with("accountname", "کیان")).unwrap();
        let io = ImportOptions { encoding: Encoding::from_str(encoding).unwrap(), ..Default::default() };
        let r = fresh.import_csv(bytes.as_slice(), "Potentials", &io, None).unwrap();
        assert_eq!((r.created, r.failed), (1, 0), "{encoding}: {r:?}");
        for field in ["potentialname", "amount", "sales_stage", "related_to", "closingdate", "opportunity_type", "assigned_user_id"] {
            assert!(r.mapping.iter().any(|(_, f)| f.as_deref() == Some(field)), "{encoding}: {field} not mapped: {:?}", r.mapping);
        }
        let d = &fresh.find(Query::new("Potentials")).unwrap()[0];
        assert_eq!(d.get("sales_stage").as_str(), Some("Closed Won"), "stored as vtiger stores it");
        assert_eq!(d.get("opportunity_type").as_str(), Some("New Business"));
        assert_eq!(d.get("amount").as_decimal(), Some(Decimal::from_str("2500.50").unwrap()));
        assert!(d.get("related_to").as_ref_id().is_some(), "{encoding}: the organization by its name");
    }
}

fn labels_follow_the_acting_user_then_the_store(b: Backend) {
    let mut t = b.crm();
    assert_eq!(t.languages(), ["en_us", "fa_ir"]);
    t.add_user(NewUser::new("sara").language("fa").email("sara@example.com")).unwrap();
    t.add_user(NewUser::new("john")).unwrap();
    let label = |t: &support::TestCrm, f: &str| t.fields("Potentials").unwrap().into_iter().find(|x| x.name == f).unwrap().label;
    assert_eq!(label(&t, "sales_stage"), "Sales Stage");
    t.set_actor("sara").unwrap();
    assert_eq!(t.language().unwrap(), "fa_ir");
    assert_eq!(label(&t, "sales_stage"), "مرحله فروش");
    assert_eq!(label(&t, "amount"), "مقدار");
    assert_eq!(t.localized_module("Potentials").unwrap().label, "فرصت های فروش");
    // Validation messages in the reader's language.
    let err = t.create("Potentials", Fields::new().with("potentialname", "x").with("closingdate", "2027-01-01")).unwrap_err();
    assert!(err.to_string().contains("مرحله فروش الزامی است"), "{err}");
    // ... in an import's row report too.
    let csv = "Opportunity Name,Expected Close Date\nx,2027-01-01\n";
    let report = t.import_csv(csv.as_bytes(), "Potentials", &crm_core::io::ImportOptions::default(), None).unwrap();
    let messages: Vec<&str> = report.row_reports.iter().flat_map(|r| r.problems.iter().map(|p| p.message.as_str())).collect();
    assert!(messages.iter().any(|m| m.contains("مرحله فروش الزامی است")), "{messages:?}");
    // Stored values stay vtiger's; reports show them translated.
    t.create(
        "Potentials",
        Fields::new().with("potentialname", "x").with("sales_stage", "برنده").with("amount", "10").with("closingdate", "2027-01-01"),
    )
    .unwrap();
    let rows = t.pipeline(PipelineBy::Stage, None).unwrap();
    assert_eq!((rows[0].key.as_str(), rows[0].label.as_deref()), ("Closed Won", Some("برنده")));
    // The store's language for users without one; the acting user's own language wins.
    t.set_actor("john").unwrap();
    assert_eq!(label(&t, "sales_stage"), "Sales Stage");
    t.set_language("fa_ir").unwrap();
    assert_eq!(label(&t, "sales_stage"), "مرحله فروش");
    t.set_user_language("john", Some("en_us")).unwrap();
    assert_eq!(label(&t, "sales_stage"), "Sales Stage");
    // Custom labels per language, also for a custom field.
    t.set_label("en_us", "Sales Stage", "Stage").unwrap();
    assert_eq!(label(&t, "sales_stage"), "Stage");
    t.set_actor("sara").unwrap();
    assert_eq!(label(&t, "sales_stage"), "مرحله فروش");
    assert!(t.set_language("klingon").is_err());
}

fn mail_merge_in_a_persian_store_writes_jalali_dates(b: Backend) {
    let mut t = b.crm();
    t.set_language("fa_ir").unwrap();
    deal(&mut t, "نوروز", "100", "2027-03-21");
    let mails = t.outbox().unwrap();
    let body = &mails.last().expect("the default creation mail").body;
    assert!(body.contains("1406/01/01"), "{body}");
    assert!(!body.contains("2027-03-21"), "{body}");
}

fn every_store_folds_like_the_rust_fold(b: Backend) {
    let mut t = b.crm();
    let names = ["شركت علي ۱۴۰۶", "شرکت علی 1406", "مـهر\u{200C}آباد", "Hoo\u{200C}li", "HOOLI ٣", "كيان", "ıstanbul İZMİR", "Straße"];
    for n in names {
        t.create("Accounts", Fields::new().with("accountname", n)).unwrap();
    }
    for needle in ["علی", "علي", "1406", "۱۴۰۶", "hooli", "3", "مهرآباد", "کی", "ك", "İzmir", "strasse", "STRAßE", "ـ"]
    {
        let x = crm_core::text::fold(needle);
        for op in [Op::Contains, Op::StartsWith, Op::EndsWith] {
            let want = names
                .iter()
                .map(|n| crm_core::text::fold(n))
                .filter(|h| match op {
                    Op::Contains => h.contains(&x),
                    Op::StartsWith => h.starts_with(&x),
                    _ => h.ends_with(&x),
                })
                .count();
            let q = Query::new("Accounts").filter(Condition::cmp("accountname", op, needle));
            assert_eq!(t.find(q).unwrap().len(), want, "{op:?} {needle:?} on {}", b.name());
        }
    }
}

/// Every note an import report carries is in the reader's language: file warnings (ignored columns, the
/// row limit) and row notes (empty line, wrong column count, duplicate row, the limit); English for an
/// English reader.
fn import_notes_in_the_reader_s_language(b: Backend) {
    let mut t = b.crm();
    t.add_user(NewUser::new("sara").language("fa_ir").email("sara@example.com")).unwrap();
    let csv = "Opportunity Name,Sales Stage,Expected Close Date,Foo\n\
               a,Prospecting,2027-01-01,x\n\
               \n\
               b,Prospecting\n\
               a,Prospecting,2027-01-01,x\n\
               c,Prospecting,2027-01-01,x\n";
    let o = ImportOptions {
        duplicates: crm_core::io::Duplicates::Skip,
        match_on: vec!["potentialname".into()],
        max_rows: 4,
        ..ImportOptions::default()
    };
    let notes = |r: &crm_core::io::ImportReport| -> Vec<String> {
        r.row_reports.iter().flat_map(|x| x.problems.iter().map(|p| format!("{}: {}", p.code, p.message))).collect()
    };
    let english = t.import_csv(csv.as_bytes(), "Potentials", &ImportOptions { dry_run: true, ..o.clone() }, None).unwrap();
    assert!(english.warnings.contains(&"columns that match no field are ignored: Foo".to_string()), "{:?}", english.warnings);
    assert!(notes(&english).contains(&"empty: empty line".to_string()), "{:?}", notes(&english));
    t.set_actor("sara").unwrap();
    let r = t.import_csv(csv.as_bytes(), "Potentials", &o, None).unwrap();
    assert_eq!((r.rows, r.created, r.skipped, r.failed), (5, 1, 2, 2), "{r:?}");
    assert!(r.warnings.contains(&"ستون‌هایی که با هیچ فیلدی جور نیستند نادیده گرفته شدند: Foo".to_string()), "{:?}", r.warnings);
    assert!(r.warnings.iter().any(|w| w.starts_with("فایل بیش از 4 سطر دارد")), "{:?}", r.warnings);
    let n = notes(&r);
    assert!(n.contains(&"empty: سطر خالی".to_string()), "{n:?}");
    assert!(n.iter().any(|m| m.starts_with("columns: 4 ستون انتظار می‌رفت و 2 ستون یافت شد")), "{n:?}");
    assert!(n.iter().any(|m| m.starts_with("duplicate: تکراریِ رکورد")), "{n:?}");
    assert!(n.contains(&"limit: بیش از 4 سطر (حد max_rows): این سطر و باقی خوانده نشدند".to_string()), "{n:?}");
    assert!(n.iter().all(|m| !m.is_ascii()), "every note in Persian: {n:?}");
}

/// An import of records says that a record has keys the first one did not have in the reader's language
/// too: the note comes from the catalogue, not from the source.
fn unknown_record_columns_are_said_in_the_reader_s_language(b: Backend) {
    let mut t = b.crm();
    t.add_user(NewUser::new("sara").language("fa_ir").email("sara@example.com")).unwrap();
    let json = r#"[
        {"Opportunity Name": "a", "Sales Stage": "Prospecting", "Expected Close Date": "2027-01-01"},
        {"Opportunity Name": "b", "Sales Stage": "Prospecting", "Expected Close Date": "2027-01-01", "Ticker": "X", "Rank": 2}
    ]"#;
    let note = |t: &mut support::TestCrm| -> (u64, String, Option<String>, String) {
        let r = t.import_records("Potentials", crm_core::Records::from_json(json).unwrap(), &ImportOptions::default(), None).unwrap();
        assert_eq!((r.rows, r.created, r.failed), (2, 1, 1), "{r:?}");
        let bad = r.row_reports.iter().find(|x| x.outcome == crm_core::io::Outcome::Failed).unwrap();
        let p = &bad.problems[0];
        (bad.line, p.code.clone(), p.column.clone(), p.message.clone())
    };
    let english = note(&mut t);
    assert_eq!(english, (2, "columns".into(), Some("Ticker".into()), "Ticker, Rank not among the columns of the first record".into()));
    t.set_actor("sara").unwrap();
    let persian = note(&mut t);
    assert_eq!(persian, (2, "columns".into(), Some("Ticker".into()), "Ticker, Rank در میان ستون‌های نخستین رکورد نیست".into()));
}

/// A list view shows picklist values in the reader's language; the stored value stays vtiger's.
fn list_views_show_picklist_values_in_the_reader_s_language(b: Backend) {
    let mut t = b.crm();
    t.add_user(NewUser::new("sara").language("fa_ir").email("sara@example.com")).unwrap();
    let d = t
        .create(
            "Potentials",
            Fields::new()
                .with("potentialname", "x")
                .with("sales_stage", "Closed Won")
                .with("amount", "10")
                .with("closingdate", "2027-01-01"),
        )
        .unwrap();
    let stage = |t: &support::TestCrm| t.list("Potentials", "All", None, 1, 20).unwrap().page.records[0].get("sales_stage").clone();
    assert_eq!(stage(&t), crm_core::Value::Text("Closed Won".into()));
    t.set_actor("sara").unwrap();
    assert_eq!(stage(&t), crm_core::Value::Text("برنده".into()));
    assert_eq!(t.get(d.id).unwrap().get("sales_stage"), &crm_core::Value::Text("Closed Won".into()), "stored as vtiger stores it");
}

/// The default workflows no one edited follow the store's language (names, summaries, the creation mail);
/// an edited one is never touched.
fn default_workflows_follow_the_store_language_unless_edited(b: Backend) {
    let mut t = b.crm();
    let names = |t: &support::TestCrm| -> Vec<String> { t.workflows("Potentials").unwrap().into_iter().map(|w| w.name).collect() };
    assert_eq!(names(&t), ["Calculate or Update forecast amount", "Send Email to users on Potential creation"]);
    t.set_language("fa_ir").unwrap();
    assert_eq!(names(&t), ["محاسبه یا به روز رسانی مبلغ پیش بینی", "ارسال ایمیل به کاربران هنگام ایجاد فرصت فروش"]);
    deal(&mut t, "x", "100", "2027-03-21");
    let mail = t.outbox().unwrap().pop().expect("the creation mail");
    assert_eq!(mail.subject, "درباره واگذاری فرصت فروش");
    assert!(mail.body.contains("جزئیات فرصت فروش"), "{}", mail.body);
    // The forecast workflow, once renamed by a user, keeps its name in every language.
    let mut w = t.workflows("Potentials").unwrap().remove(0);
    w.name = "پیش بینی ما".into();
    t.update_workflow(w).unwrap();
    t.set_language("en_us").unwrap();
    assert_eq!(names(&t), ["پیش بینی ما", "Send Email to users on Potential creation"]);
    deal(&mut t, "y", "100", "2027-03-21");
    assert_eq!(t.outbox().unwrap().pop().unwrap().subject, "Regarding Potential Assignment");
    // An edited subject makes the mail workflow the user's too.
    let mut w = t.workflows("Potentials").unwrap().remove(1);
    if let crm_core::workflow::task::Action::SendEmail(e) = &mut w.tasks[0].action {
        e.subject = "New deal: $potentialname".into();
    }
    t.update_workflow(w).unwrap();
    t.set_language("fa_ir").unwrap();
    assert_eq!(names(&t), ["پیش بینی ما", "Send Email to users on Potential creation"]);
}

on_every_backend!(
    arabic_and_persian_letters_are_the_same_text,
    csv_in_windows_1256_and_utf16_imports,
    export_with_bom_persian_digits_and_jalali_dates,
    jalali_quarters_across_nowruz,
    this_jalali_month_at_2330_in_tehran,
    persian_header_exports_import_with_zero_mapping,
    labels_follow_the_acting_user_then_the_store,
    mail_merge_in_a_persian_store_writes_jalali_dates,
    every_store_folds_like_the_rust_fold,
    import_notes_in_the_reader_s_language,
    unknown_record_columns_are_said_in_the_reader_s_language,
    list_views_show_picklist_values_in_the_reader_s_language,
    default_workflows_follow_the_store_language_unless_edited
);

/// A store an older crm wrote keeps its label keys folded by plain lower case; opening it refolds them once,
/// so a name stored with Arabic letters is found with Persian ones.
#[test]
fn older_sqlite_label_keys_are_refolded_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let id = {
        let mut crm = crm_core::Crm::open(path.to_str().unwrap()).unwrap();
        crm.add_user(NewUser::new("admin")).unwrap();
        crm.set_actor("admin").unwrap();
        crm.create("Accounts", Fields::new().with("accountname", "شركت علي")).unwrap().id
    };
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch("UPDATE crm_entity SET label_key = label; DELETE FROM crm_meta WHERE key = 'label_fold';").unwrap();
    drop(c);
    let mut crm = crm_core::Crm::open(path.to_str().unwrap()).unwrap();
    crm.set_actor("admin").unwrap();
    let d = crm
        .create(
            "Potentials",
            Fields::new()
                .with("potentialname", "x")
                .with("related_to", "شرکت علی")
                .with("sales_stage", "Prospecting")
                .with("closingdate", "2027-01-01"),
        )
        .unwrap();
    assert_eq!(d.get("related_to").as_ref_id(), Some(id));
}

#[cfg(feature = "postgres")]
#[test]
fn older_postgres_label_keys_are_refolded_on_open() {
    let Some(s) = support::pg::TestSchema::new() else { return };
    let id = {
        let mut crm = crm_core::Crm::with_store(Box::new(s.store())).unwrap();
        crm.add_user(NewUser::new("admin")).unwrap();
        crm.set_actor("admin").unwrap();
        crm.create("Accounts", Fields::new().with("accountname", "شركت علي")).unwrap().id
    };
    let mut c = s.client();
    c.batch_execute(&format!(
        "SET search_path TO \"{}\"; UPDATE crm_entity SET label_key = label; DELETE FROM crm_meta WHERE key = 'label_fold'",
        s.name
    ))
    .unwrap();
    let mut crm = crm_core::Crm::with_store(Box::new(s.store())).unwrap();
    crm.set_actor("admin").unwrap();
    let d = crm
        .create(
            "Potentials",
            Fields::new()
                .with("potentialname", "x")
                .with("related_to", "شرکت علی")
                .with("sales_stage", "Prospecting")
                .with("closingdate", "2027-01-01"),
        )
        .unwrap();
    assert_eq!(d.get("related_to").as_ref_id(), Some(id));
}

mod shared {
    use super::*;

    /// The store's time zone is stored: a handle opened after `set_time_zone` counts "today" in it.
    fn the_time_zone_is_the_stores(b: Backend) {
        let mut t = b.crm();
        t.set_time_zone("Asia/Tehran").unwrap();
        let other = t.second_handle();
        assert_eq!(other.time_zone(), "Asia/Tehran");
        assert!(t.set_time_zone("Mars/Olympus").is_err());
        assert_eq!(t.second_handle().time_zone(), "Asia/Tehran");
    }

    on_shared_backends!(the_time_zone_is_the_stores);
}
