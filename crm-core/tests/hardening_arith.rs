//! Arithmetic on what callers and files supply is checked: decimal sums, products, quotients and powers,
//! date plus days and string positions in workflow expressions give a typed error (or a clamped result
//! for positions beyond the text), never a panic, with extreme values: `Decimal::MAX`, huge day counts,
//! the `i64` limits, enormous string positions. A workflow whose expression overflows fails the save
//! with a validation error naming the field, and the handle stays usable.

mod support;
use crm_core::rust_decimal::Decimal;
use crm_core::workflow::condition::FieldPath;
use crm_core::workflow::task::{Action, FieldUpdate, TaskDef, ValueType};
use crm_core::workflow::{Trigger, Workflow};
use crm_core::{Crm, Fields, RecordId, Value};
use proptest::prelude::*;
use support::Backend;

const MAX: &str = "79228162514264337593543950335";

fn setup(b: Backend) -> (support::TestCrm, RecordId) {
    let mut t = b.crm();
    let r = t
        .crm
        .create(
            "Potentials",
            Fields::new()
                .with("potentialname", "abcdef")
                .with("amount", "2")
                .with("sales_stage", "Prospecting")
                .with("closingdate", "2027-01-01"),
        )
        .unwrap();
    (t, r.id)
}

fn eval(crm: &Crm, id: RecordId, e: &str) -> crm_core::Result<String> {
    crm.evaluate("Potentials", e, id).map(|v| v.to_string())
}

fn overflow_is_a_typed_error(b: Backend) {
    let (t, id) = setup(b);
    let min = format!("-{MAX}");
    for e in [
        format!("{MAX} + 1"),
        format!("{MAX} + {MAX}"),
        format!("{min} - 1"),
        format!("{MAX} * 2"),
        format!("{MAX} * amount"),
        format!("{MAX} / 0.1"),
        format!("{MAX} / 0.5"),
        "power(10, 29)".into(),
        "10 ^ 40".into(),
        "power(0.5, -200)".into(),
        format!("power({MAX}, 1.5)"),
        "add_days(closingdate, 99999999999)".into(),
        "add_days(closingdate, 9223372036854775807)".into(),
        "sub_days(closingdate, 9223372036854775807)".into(),
        format!("add_days(closingdate, {MAX})"),
        format!("sub_days(closingdate, {MAX})"),
        "add_days(closingdate, 3000000000)".into(),
    ] {
        let err = eval(&t.crm, id, &e).expect_err(&e);
        assert_eq!(err.code(), "invalid_argument", "{e}: {err}");
    }
    // Still exact below the limits; division by zero stays empty (as in vtiger).
    assert_eq!(eval(&t.crm, id, &format!("{MAX} - 1")).unwrap(), "79228162514264337593543950334");
    assert_eq!(eval(&t.crm, id, &format!("{MAX} / 1")).unwrap(), MAX);
    assert_eq!(eval(&t.crm, id, "amount / 0").unwrap(), "");
    assert_eq!(eval(&t.crm, id, "power(2, -200)").unwrap(), "0");
    assert_eq!(eval(&t.crm, id, "add_days(closingdate, 36500)").unwrap(), "2126-12-08");
    assert_eq!(eval(&t.crm, id, "sub_days(closingdate, -1)").unwrap(), "2027-01-02");
}

fn string_positions_are_clamped(b: Backend) {
    let (t, id) = setup(b);
    for (e, want) in [
        ("substring(potentialname, 9223372036854775807, 9223372036854775807)", ""),
        ("substring(potentialname, 2, 9223372036854775807)", "cdef"),
        ("substring(potentialname, 2, 79228162514264337593543950335)", "cdef"),
        ("substring(potentialname, -9223372036854775807)", "abcdef"),
        ("substring(potentialname, -79228162514264337593543950335, 2)", "ab"),
        ("substring(potentialname, 1, -9223372036854775807)", ""),
        ("substring(potentialname, 79228162514264337593543950335)", ""),
        ("substring(potentialname, -2)", "ef"),
        ("substring(potentialname, 1, -1)", "bcde"),
    ] {
        assert_eq!(eval(&t.crm, id, e).unwrap(), want, "{e}");
    }
}

/// Random extreme operands: every operation gives the exact checked result or an `invalid_argument`
/// error, never a panic (64 cases per backend and operation; `PROPTEST_CASES` raises it).
fn random_extremes_never_panic(b: Backend) {
    let (t, id) = setup(b);
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(64);
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig { cases, ..ProptestConfig::default() });
    let decimal = prop_oneof![
        Just(Decimal::MAX),
        Just(Decimal::MIN),
        any::<i64>().prop_map(Decimal::from),
        (any::<i64>(), 0u32..=28).prop_map(|(m, s)| Decimal::new(m, s)),
        any::<(u32, u32, u32, bool, u32)>().prop_map(|(lo, mid, hi, neg, s)| Decimal::from_parts(lo, mid, hi, neg, s % 29)),
    ];
    let lit = |d: Decimal| if d.is_sign_negative() { format!("(0 - {})", d.abs()) } else { d.to_string() };
    runner
        .run(&(decimal.clone(), decimal, any::<i64>(), any::<i64>()), |(a, c, days, pos)| {
            for (op, want) in [("+", a.checked_add(c)), ("-", a.checked_sub(c)), ("*", a.checked_mul(c))] {
                let e = format!("{} {op} {}", lit(a), lit(c));
                match (eval(&t.crm, id, &e), want) {
                    (Ok(v), Some(w)) => prop_assert_eq!(v.parse::<Decimal>().unwrap(), w, "{}", e),
                    (Err(err), None) => prop_assert_eq!(err.code(), "invalid_argument"),
                    (got, want) => prop_assert!(false, "{}: {:?} vs {:?}", e, got.map_err(|e| e.to_string()), want),
                }
            }
            let _ = eval(&t.crm, id, &format!("{} / {}", lit(a), lit(c)));
            let _ = eval(&t.crm, id, &format!("power({}, {})", lit(a), lit(c)));
            let _ = eval(&t.crm, id, &format!("{} ^ {}", lit(a), lit(c)));
            let n = |x: i64| if x < 0 { format!("(0 - {})", x.unsigned_abs()) } else { x.to_string() };
            let _ = eval(&t.crm, id, &format!("add_days(closingdate, {})", n(days)));
            let _ = eval(&t.crm, id, &format!("sub_days(closingdate, {})", n(days)));
            let _ = eval(&t.crm, id, &format!("substring(potentialname, {}, {})", n(pos), n(days)));
            Ok(())
        })
        .unwrap();
}

/// A workflow whose update expression overflows fails the save with a validation error naming the field;
/// nothing is written and the handle keeps working.
fn workflow_overflow_names_the_field(b: Backend) {
    let (mut t, id) = setup(b);
    let wf = Workflow::new("Potentials", "grow", Trigger::Modify).task(TaskDef::new(
        "grow",
        Action::UpdateFields {
            updates: vec![FieldUpdate {
                field: FieldPath::Own("amount".into()),
                value_type: ValueType::Expression,
                value: format!("amount * {MAX}"),
            }],
        },
    ));
    t.crm.add_workflow(wf).unwrap();
    let err = t.crm.update(id, Fields::new().with("nextstep", "call")).unwrap_err();
    let crm_core::Error::Validation(v) = &err else { panic!("{err:?}") };
    assert_eq!(v.errors()[0].field, "amount", "{err}");
    assert!(err.to_string().contains("too large"), "{err}");
    let r = t.crm.get(id).unwrap();
    assert_eq!((r.get("nextstep").to_string(), r.get("amount")), (String::new(), &Value::Decimal(Decimal::new(200, 2))));
}

on_every_backend!(
    overflow_is_a_typed_error,
    string_positions_are_clamped,
    random_extremes_never_panic,
    workflow_overflow_names_the_field,
    decimal_sums_overflow_is_a_typed_error
);

/// Sums of a custom decimal field beyond `Decimal::MAX`, asked through the facade: a typed error naming
/// the field, never a panic, on every store (the stores compute the sum; `tests/sums.rs` checks the port
/// itself, grouped by a field and by a date prefix).
fn decimal_sums_overflow_is_a_typed_error(b: Backend) {
    let (mut t, _) = setup(b);
    let f = t.crm.add_field("Potentials", crm_core::NewField::new("Big", crm_core::FieldType::Decimal).decimal(28, 0)).unwrap();
    for _ in 0..9 {
        let fields = Fields::new()
            .with("potentialname", "big")
            .with("sales_stage", "Prospecting")
            .with("closingdate", "2027-01-01")
            .with(f.name.as_str(), "9999999999999999999999999999");
        t.crm.create("Potentials", fields).unwrap();
    }
    let sum = || t.crm.aggregate(crm_core::Query::new("Potentials"), Some("sales_stage"), &[f.name.as_str()]);
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(sum)).expect("the sum panicked").unwrap_err();
    assert!(matches!(err.code(), "invalid_argument" | "validation"), "{err}");
    assert!(err.to_string().contains(&f.name), "{err}");
}
