//! Arrow out on every backend: a query's records as record batches with the type of every column kind
//! (decimals exact at their field's scale, dates, UTC timestamps, multi-select lists, references, nulls),
//! read a page per batch with limit, offset and order kept; access control (scope, hidden fields); and the
//! reports (pipeline, aggregate, analytics) as one batch each.
#![cfg(feature = "arrow")]

mod support;
use crm_core::arrow::arrow_array::cast::AsArray;
use crm_core::arrow::arrow_array::types::{Date32Type, Decimal128Type, Int64Type, Time64MicrosecondType, TimestampMicrosecondType};
use crm_core::arrow::arrow_array::{Array, RecordBatch};
use crm_core::arrow::{RecordsSpec, ReportSpec};
use crm_core::{Condition, ErrorKind, FieldType, Fields, NewField, NewUser, Op, Query};
use support::Backend;

fn read(crm: &crm_core::Crm, spec: RecordsSpec) -> Vec<RecordBatch> {
    crm.arrow_records(spec).unwrap().collect::<Result<Vec<_>, _>>().unwrap()
}

fn col_type(b: &RecordBatch, name: &str) -> String {
    b.schema().field_with_name(name).unwrap().data_type().to_string()
}

fn every_column_kind_has_its_type_and_value(b: Backend) {
    let mut t = b.crm();
    let org = t.create("Accounts", Fields::new().with("accountname", "Hooli")).unwrap();
    let mut names = std::collections::BTreeMap::new();
    for nf in [
        NewField::new("D", FieldType::Decimal).decimal(10, 3),
        NewField::new("I", FieldType::Integer),
        NewField::new("Dt", FieldType::DateTime),
        NewField::new("Ti", FieldType::Time),
        NewField::new("Cb", FieldType::Checkbox),
        NewField::new("Mp", FieldType::MultiPicklist).values(&["A", "B", "C"]),
    ] {
        let label = nf.label.clone();
        names.insert(label, t.add_field("Potentials", nf).unwrap().name);
    }
    let n = |l: &str| names[l].clone();
    let full = Fields::new()
        .with("potentialname", "Full")
        .with("amount", "12000.50")
        .with("probability", "12.5")
        .with("sales_stage", "Prospecting")
        .with("closingdate", "2027-03-31")
        .with("related_to", "Hooli")
        .with(n("D"), "-1234567.125")
        .with(n("I"), "42")
        .with(n("Dt"), "2027-01-02 03:04:05")
        .with(n("Ti"), "13:45:30")
        .with(n("Cb"), "yes")
        .with(n("Mp"), "A |##| C");
    let full = t.create("Potentials", full).unwrap();
    let empty = t
        .create(
            "Potentials",
            Fields::new().with("potentialname", "Empty").with("sales_stage", "Prospecting").with("closingdate", "2027-04-01"),
        )
        .unwrap();

    let batches = read(&t, RecordsSpec::new(Query::new("Potentials").order_by("potentialname")));
    assert_eq!(batches.len(), 1);
    let bt = &batches[0];
    assert_eq!(bt.num_rows(), 2);
    let names_in_order: Vec<String> = bt.schema().fields().iter().take(4).map(|f| f.name().clone()).collect();
    assert_eq!(names_in_order, ["id", "label", "version", "potentialname"]);
    assert_eq!(bt.schema().metadata()["crm.module"], "Potentials");
    assert_eq!(col_type(bt, "id"), "Int64");
    assert_eq!(col_type(bt, "label"), "Utf8");
    assert_eq!(col_type(bt, "amount"), "Decimal128(14, 2)", "the field's precision and scale");
    assert_eq!(col_type(bt, "probability"), "Decimal128(7, 3)");
    assert_eq!(col_type(bt, &n("D")), "Decimal128(10, 3)");
    assert_eq!(col_type(bt, &n("I")), "Int64");
    assert_eq!(col_type(bt, "closingdate"), "Date32");
    assert_eq!(col_type(bt, "createdtime"), "Timestamp(µs, \"UTC\")");
    assert_eq!(col_type(bt, &n("Dt")), "Timestamp(µs, \"UTC\")");
    assert_eq!(col_type(bt, &n("Ti")), "Time64(µs)");
    assert_eq!(col_type(bt, &n("Cb")), "Boolean");
    assert!(col_type(bt, &n("Mp")).starts_with("List("), "{}", col_type(bt, &n("Mp")));
    assert_eq!(col_type(bt, "related_to"), "Int64");
    assert_eq!(col_type(bt, "assigned_user_id"), "Int64");
    assert_eq!(col_type(bt, "sales_stage"), "Utf8");
    assert_eq!(bt.schema().field_with_name("amount").unwrap().metadata()["crm.type"], "currency");

    let c = |name: &str| bt.column_by_name(name).unwrap().clone();
    // row 0: "Empty", row 1: "Full"
    assert_eq!(c("id").as_primitive::<Int64Type>().value(1), full.id.0);
    assert_eq!(c("id").as_primitive::<Int64Type>().value(0), empty.id.0);
    assert_eq!(c("label").as_string::<i32>().value(1), "Full");
    let amount = c("amount");
    let amount = amount.as_primitive::<Decimal128Type>();
    assert_eq!(amount.value(1), 1_200_050); // 12000.50 at scale 2, exact
    assert!(amount.is_null(0));
    assert_eq!(c("probability").as_primitive::<Decimal128Type>().value(1), 12_500);
    assert_eq!(c(&n("D")).as_primitive::<Decimal128Type>().value(1), -1_234_567_125);
    assert_eq!(c(&n("I")).as_primitive::<Int64Type>().value(1), 42);
    let days = chrono::NaiveDate::from_ymd_opt(2027, 3, 31).unwrap().signed_duration_since(chrono::NaiveDate::default()).num_days();
    assert_eq!(i64::from(c("closingdate").as_primitive::<Date32Type>().value(1)), days);
    let dt = chrono::NaiveDate::from_ymd_opt(2027, 1, 2).unwrap().and_hms_opt(3, 4, 5).unwrap().and_utc().timestamp_micros();
    assert_eq!(c(&n("Dt")).as_primitive::<TimestampMicrosecondType>().value(1), dt);
    let created = chrono::NaiveDateTime::parse_from_str(support::START, "%Y-%m-%d %H:%M:%S").unwrap().and_utc().timestamp_micros();
    assert_eq!(c("createdtime").as_primitive::<TimestampMicrosecondType>().value(1), created);
    assert_eq!(c(&n("Ti")).as_primitive::<Time64MicrosecondType>().value(1), (13 * 3600 + 45 * 60 + 30) * 1_000_000);
    assert!(c(&n("Cb")).as_boolean().value(1));
    let mp = c(&n("Mp"));
    let list = mp.as_list::<i32>();
    let items = list.value(1);
    let items: Vec<&str> = items.as_string::<i32>().iter().map(|s| s.unwrap()).collect();
    assert_eq!(items, ["A", "C"]);
    assert!(list.is_null(0), "an empty multi-select is null");
    assert_eq!(c("related_to").as_primitive::<Int64Type>().value(1), org.id.0);
    assert!(c("related_to").is_null(0));
    for name in [n("D"), n("I"), n("Dt"), n("Ti"), n("Cb")] {
        assert!(c(&name).is_null(0), "{name} is null when empty");
    }
}

fn batches_are_pages_in_order_with_limit_and_offset(b: Backend) {
    let mut t = b.crm();
    for i in 0..7 {
        t.create(
            "Potentials",
            Fields::new()
                .with("potentialname", format!("Deal {i}"))
                .with("amount", format!("{}.25", 100 + i))
                .with("sales_stage", "Prospecting")
                .with("closingdate", "2027-03-31"),
        )
        .unwrap();
    }
    let cols = || vec!["potentialname".to_string(), "Amount".to_string()];
    let spec = RecordsSpec::new(Query::new("Potentials").order_by("-amount")).columns(cols()).batch_rows(3);
    let batches = read(&t, spec);
    assert_eq!(batches.iter().map(RecordBatch::num_rows).collect::<Vec<_>>(), [3, 3, 1]);
    let names: Vec<String> =
        batches.iter().flat_map(|b| b.column(0).as_string::<i32>().iter().map(|s| s.unwrap().to_string()).collect::<Vec<_>>()).collect();
    assert_eq!(names, (0..7).rev().map(|i| format!("Deal {i}")).collect::<Vec<_>>());
    assert_eq!(batches[0].schema().field(1).name(), "amount", "a label names its field");

    let mut q = Query::new("Potentials").order_by("potentialname").filter(Condition::cmp("amount", Op::Gt, "101"));
    q.offset = 2;
    q.limit = Some(3);
    let batches = read(&t, RecordsSpec::new(q).columns(cols()).batch_rows(2));
    let names: Vec<String> =
        batches.iter().flat_map(|b| b.column(0).as_string::<i32>().iter().map(|s| s.unwrap().to_string()).collect::<Vec<_>>()).collect();
    assert_eq!(names, ["Deal 3", "Deal 4", "Deal 5"], "Deal 1 (101.25) to Deal 6 match; two skipped, three kept");

    // no sort: creation order
    let batches = read(&t, RecordsSpec::new(Query::new("Potentials")).columns(vec!["potentialname".into()]));
    assert_eq!(batches[0].column(0).as_string::<i32>().value(0), "Deal 0");
    // nothing matches: no batch, the schema still there
    let r = t.arrow_records(RecordsSpec::new(Query::new("Potentials").filter(Condition::eq("potentialname", "none")))).unwrap();
    assert_eq!(crm_core::arrow::arrow_array::RecordBatchReader::schema(&r).field(0).name(), "id");
    assert_eq!(r.count(), 0);
    // bad columns and modules fail when the reader is made
    let e = t.arrow_records(RecordsSpec::new(Query::new("Potentials")).columns(vec!["nope".into()])).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.to_string().contains("nope"), "{e}");
    let e = t.arrow_records(RecordsSpec::new(Query::new("Potentials")).columns(vec!["id".into(), "id".into()])).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert_eq!(t.arrow_records(RecordsSpec::new(Query::new("Nope"))).unwrap_err().kind(), ErrorKind::NotFound);
    let bad = Query::new("Potentials").filter(Condition::cmp("potentialname", Op::Gt, "x")).filter(Condition::cmp("nope", Op::Eq, "1"));
    assert!(t.arrow_records(RecordsSpec::new(bad)).is_err());
}

fn access_control_applies(b: Backend) {
    let mut t = b.crm();
    t.add_role("Boss", None).unwrap();
    t.add_role("Rep", Some("Boss")).unwrap();
    t.add_user(NewUser::new("rep").role("Rep")).unwrap();
    for owner in ["admin", "rep"] {
        t.create(
            "Potentials",
            Fields::new()
                .with("potentialname", format!("deal of {owner}"))
                .with("sales_stage", "Prospecting")
                .with("closingdate", "2027-03-31")
                .with("nextstep", "call")
                .with("assigned_user_id", owner),
        )
        .unwrap();
    }
    t.set_sharing("Potentials", crm_core::Sharing::Private).unwrap();
    let mut p = crm_core::Profile { name: "Sales".into(), modules: Default::default(), fields: Default::default() };
    p.modules.insert("Potentials".into(), crm_core::ModuleRights { view: true, create: true, edit: true, delete: false });
    p.fields.insert("Potentials".into(), [("nextstep".to_string(), crm_core::FieldAccess::Hidden)].into_iter().collect());
    t.put_profile(p).unwrap();
    t.set_role_profiles("Rep", &["Sales"]).unwrap();
    t.set_actor("rep").unwrap();
    let batches = read(&t, RecordsSpec::new(Query::new("Potentials")));
    assert_eq!(batches.iter().map(RecordBatch::num_rows).sum::<usize>(), 1, "only the rep's own deal");
    assert_eq!(batches[0].column_by_name("potentialname").unwrap().as_string::<i32>().value(0), "deal of rep");
    assert!(batches[0].schema().field_with_name("nextstep").is_err(), "a hidden field is no column");
    let e = t.arrow_records(RecordsSpec::new(Query::new("Potentials")).columns(vec!["nextstep".into()])).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AccessDenied);
}

fn reports_have_typed_columns(b: Backend) {
    let mut t = b.crm();
    for (name, amount, stage) in [("A", "100.10", "Prospecting"), ("B", "200.20", "Prospecting"), ("C", "50", "Closed Won")] {
        t.create(
            "Potentials",
            Fields::new().with("potentialname", name).with("amount", amount).with("sales_stage", stage).with("closingdate", "2027-03-31"),
        )
        .unwrap();
    }
    let p = t.report_arrow(ReportSpec::from_json("pipeline", r#"{"by": "stage"}"#).unwrap()).unwrap();
    let types: Vec<String> = p.schema().fields().iter().map(|f| format!("{}:{}", f.name(), f.data_type())).collect();
    assert_eq!(types, ["key:Utf8", "count:Int64", "amount:Decimal128(38, 2)", "forecast_amount:Decimal128(38, 4)", "label:Utf8"]);
    let keys: Vec<&str> = p.column(0).as_string::<i32>().iter().map(|s| s.unwrap()).collect();
    let row = keys.iter().position(|k| *k == "Prospecting").unwrap();
    assert_eq!(p.column(1).as_primitive::<Int64Type>().value(row), 2);
    assert_eq!(p.column(2).as_primitive::<Decimal128Type>().value(row), 30_030);

    let spec = ReportSpec::from_json("aggregate", r#"{"query": {"module": "Potentials"}, "group_by": "closingdate", "sums": ["Amount"]}"#)
        .unwrap();
    let a = t.report_arrow(spec).unwrap();
    let types: Vec<String> = a.schema().fields().iter().map(|f| format!("{}:{}", f.name(), f.data_type())).collect();
    assert_eq!(types, ["closingdate:Date32", "count:Int64", "amount:Decimal128(38, 2)"]);
    assert_eq!(a.column(2).as_primitive::<Decimal128Type>().value(0), 35_030);

    t.add_user(NewUser::new("bob")).unwrap();
    t.run_analytics("set_quota", r#"{"owner": "bob", "period": "2027-Q1", "amount": "50000"}"#).unwrap();
    let q = t.report_arrow(ReportSpec::from_json("quotas", "").unwrap()).unwrap();
    let types: Vec<String> = q.schema().fields().iter().map(|f| format!("{}:{}", f.name(), f.data_type())).collect();
    assert_eq!(types, ["owner:Utf8", "period:Utf8", "amount:Decimal128(38, 0)"], "a report column's scale is its largest value's");
    let w = t.report_arrow(ReportSpec::from_json("win_rate", r#"{"period": "2027"}"#).unwrap()).unwrap();
    assert!(w.num_rows() >= 1);
    assert!(w.schema().fields().iter().any(|f| f.name() == "won" && f.data_type().to_string() == "Int64"));
    let e = ReportSpec::from_json("pipeline", r#"{"bye": "stage"}"#).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert_eq!(t.report_arrow(ReportSpec::from_json("nope", "").unwrap()).unwrap_err().kind(), ErrorKind::InvalidArgument);
}

on_every_backend!(
    every_column_kind_has_its_type_and_value,
    batches_are_pages_in_order_with_limit_and_offset,
    access_control_applies,
    reports_have_typed_columns
);
