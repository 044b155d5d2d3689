//! Property tests: random but valid data, checked against laws that must always hold.
//!
//! * CSV export → import into a fresh store gives back the same records (every field type, custom fields,
//!   unicode, commas, quotes, newlines, leading `=`/`+`/`-`/`@`, decimals with scale, dates). Round trip
//!   means: every exported field of the imported record equals the original's, references compared by the
//!   referenced record's name and owners by owner name (ids differ between stores). Formula neutralisation
//!   is on, as by default: the `'` it adds is taken off again on import, so it is invisible in the round
//!   trip. Not compared: `modifiedtime`/`modifiedby` (the import is a new save) and `source` (`IMPORT`).
//! * Renaming a picklist value and renaming it back is the identity on records, the field default, saved
//!   filters and workflow conditions.
//! * Undoing an import restores the previous state: the import's new records are in the recycle bin,
//!   records it overwrote or merged have their previous values (and two more versions, each with its
//!   change-log entry: the import's, then the undo's, which is its inverse).
//! * A random condition selects the same records in memory (`Condition::matches`) and in a SQL store
//!   (SQL push-down); a workflow condition selects the same records by its evaluator as by its
//!   [`Cond::to_query`] push-down.
//! * A record's `Values` behave as the `BTreeMap<String, Value>` they replaced, kept in a module's slot
//!   layout or not (`values_as_a_map`, 256 cases, no store).
//!
//! Every property runs once per SQL store, each compared with the memory store: a SQLite file
//! (`sqlite_file::…`) and PostgreSQL (`postgres::…`, feature `postgres`, with a quarter of the cases: see
//! `cases`). Cases per run on the SQLite file (PostgreSQL: a quarter): export → import 32 (1–5 deals each),
//! picklist rename 24, undo import 24, memory vs SQL selection 64, workflow push-down 64, compiled
//! conditions on rows 64 (each case up to 7 deals and 11 random condition trees, so the selection laws
//! see over 1,000 trees per run). Run more with `PROPTEST_CASES=500 cargo test -p crm-core --test
//! properties` (the variable overrides every count here).

use chrono::{NaiveDate, NaiveTime};
use crm_core::io::{Duplicates, ExportOptions, ImportOptions};
use crm_core::query::{Condition, Op};
use crm_core::view::Filter;
use crm_core::{Crm, ExportSelection, Fields, NewUser, Query, Record, RecordId, Value};
use crm_core::{FieldType, NewField, Schema};
use proptest::prelude::*;
use proptest::test_runner::Config;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use support::{Backend, TestCrm};

mod support;

// ----- shared setup -----

/// Custom fields added to Potentials: (name, type).
const CUSTOM: &[(&str, FieldType)] = &[
    ("cf_text", FieldType::Text),
    ("cf_area", FieldType::TextArea),
    ("cf_int", FieldType::Integer),
    ("cf_dec", FieldType::Decimal),
    ("cf_cur", FieldType::Currency),
    ("cf_pct", FieldType::Percent),
    ("cf_date", FieldType::Date),
    ("cf_dt", FieldType::DateTime),
    ("cf_time", FieldType::Time),
    ("cf_mail", FieldType::Email),
    ("cf_phone", FieldType::Phone),
    ("cf_url", FieldType::Url),
    ("cf_check", FieldType::Checkbox),
    ("cf_tier", FieldType::Picklist),
    ("cf_tags", FieldType::MultiPicklist),
    ("cf_org", FieldType::Reference),
];
const TIERS: &[&str] = &["Gold", "Silver", "Bronze", "Ünïcødé tier"];
const TAGS: &[&str] = &["CRM", "ERP", "BI", "Straße"];
const STAGES: &[&str] = &["Prospecting", "Qualification", "Needs Analysis", "Value Proposition", "Closed Won", "Closed Lost"];
const SOURCES: &[&str] = &["Cold Call", "Existing Customer", "Web Site", "Partner"];
const ORGS: &[&str] = &["Hooli", "Acme, Inc.", "Ünïcode \"Q\" GmbH", "=cmd|' /C calc'!A0"];

/// A store on `b` with the user admin, the group "Sales Team", the custom fields and the organizations.
fn store(b: Backend) -> TestCrm {
    let mut t = b.bare();
    let crm = &mut t.crm;
    crm.add_user(NewUser::new("admin").full_name("Administrator")).unwrap();
    crm.add_user(NewUser::new("sally").full_name("Sally Seller")).unwrap();
    crm.add_group("Sales Team", &["admin"]).unwrap();
    crm.set_actor("admin").unwrap();
    for (name, t) in CUSTOM {
        let nf = NewField::new(format!("Label {name}"), *t).name(*name);
        let nf = match t {
            FieldType::Decimal => nf.decimal(12, 3),
            FieldType::Text => nf.length(60),
            FieldType::Picklist => nf.values(TIERS),
            FieldType::MultiPicklist => nf.values(TAGS),
            FieldType::Reference => nf.references(&["Accounts"]),
            _ => nf,
        };
        crm.add_field("Potentials", nf).unwrap();
    }
    for o in ORGS {
        crm.create("Accounts", Fields::new().with("accountname", *o)).unwrap();
    }
    t
}

/// `sql` when `on_sql`, else the memory store.
fn either(sql: Backend, on_sql: bool) -> Backend {
    if on_sql { sql } else { Backend::Memory }
}

fn org_id(crm: &Crm, name: &str) -> RecordId {
    crm.find(Query::new("Accounts").filter(Condition::eq("accountname", name))).unwrap()[0].id
}

// ----- random records -----

/// Text with the characters CSV and spreadsheets care about.
fn text(max: usize) -> impl Strategy<Value = String> {
    let pieces =
        prop::sample::select(vec!["a", "Z", "7", " ", ",", ";", "\"", "'", "=", "+", "-", "@", "|", "#", "é", "ß", "中", "🎉", "\t", "x"]);
    prop::collection::vec(pieces, 0..max).prop_map(|v| v.concat())
}

/// Text that may start with a formula character or a quote.
fn tricky(max: usize) -> impl Strategy<Value = String> {
    (prop::sample::select(vec!["", "=", "+", "-", "@", "'", "'=", "\"", "=1+1", "-x", "@SUM(A1)"]), text(max))
        .prop_map(|(a, b)| a.to_string() + &b)
}

fn decimal(max_int: i64, scale: u32) -> impl Strategy<Value = Decimal> {
    (-max_int..=max_int, 0..=scale).prop_map(|(m, s)| Decimal::new(m, s))
}

fn date() -> impl Strategy<Value = NaiveDate> {
    (1901i32..2099, 1u32..=12, 1u32..=28).prop_map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap())
}

fn time() -> impl Strategy<Value = NaiveTime> {
    (0u32..24, 0u32..60, 0u32..60).prop_map(|(h, m, s)| NaiveTime::from_hms_opt(h, m, s).unwrap())
}

/// One random opportunity as input fields (`None` = left empty). Values are given as the host would.
#[derive(Debug, Clone)]
struct Deal(Vec<(&'static str, Value)>);

fn opt<T: std::fmt::Debug + Clone + 'static>(s: impl Strategy<Value = T> + 'static) -> impl Strategy<Value = Option<T>> {
    prop::option::weighted(0.8, s)
}

fn deal() -> impl Strategy<Value = Deal> {
    let a = (
        ("[a-zA-Z]", tricky(20)).prop_map(|(a, b)| a + &b),
        opt(decimal(99_999_999_999, 2)),
        opt(prop::sample::select(STAGES)),
        date(),
        opt(prop::sample::select(SOURCES)),
        opt(tricky(30)),
        prop::sample::select(vec!["admin", "sally", "Sales Team"]),
        opt(prop::sample::select(ORGS)),
        opt(decimal(100, 0).prop_map(|d| d.abs())),
        opt(prop::collection::vec(prop::sample::select(vec!["line", "\n", "\r\n", ", \"q\"", "=x", " ", "中文"]), 1..8)
            .prop_map(|v| v.concat())),
    );
    let b = (
        opt(tricky(20)),
        opt(prop::collection::vec(prop::sample::select(vec!["l1", "\n", ",", "\"", "'", "=", "ü"]), 1..8).prop_map(|v| v.concat())),
        opt(-1_000_000_000i64..1_000_000_000),
        opt((-99_999_999i64..99_999_999, 0u32..=3).prop_map(|(m, s)| Decimal::new(m, s))),
        opt(decimal(9_999_999_999, 2)),
        opt((0i64..=100_000, 0u32..=3).prop_map(|(m, s)| Decimal::new(m, s).min(Decimal::from(100)))),
        opt(date()),
        opt((date(), time()).prop_map(|(d, t)| d.and_time(t))),
        opt(time()),
    );
    let c = (
        opt("[a-z]{1,8}(\\.[a-z]{1,5})?@[a-z]{1,8}\\.(com|org|de)"),
        opt("\\+?[0-9]{2,4}( [0-9]{2,6}){0,2}"),
        opt("https://[a-z]{1,10}\\.(com|org)(/[a-z]{1,6})?"),
        opt(any::<bool>()),
        opt(prop::sample::select(TIERS)),
        opt(prop::sample::subsequence(TAGS, 1..=TAGS.len())),
        opt(prop::sample::select(ORGS)),
    );
    (a, b, c).prop_map(|(a, b, c)| {
        let mut v: Vec<(&'static str, Value)> = vec![
            ("potentialname", Value::Text(a.0)),
            ("closingdate", Value::Date(a.3)),
            ("assigned_user_id", Value::Text(a.6.to_string())),
            ("sales_stage", Value::Text(a.2.unwrap_or("Prospecting").to_string())),
        ];
        let mut put = |k: &'static str, x: Option<Value>| {
            if let Some(x) = x {
                v.push((k, x));
            }
        };
        put("amount", a.1.map(Value::Decimal));
        put("leadsource", a.4.map(|s| Value::Text(s.into())));
        put("nextstep", a.5.map(Value::Text));
        put("related_to", a.7.map(|s| Value::Text(s.into())));
        put("probability", a.8.map(Value::Decimal));
        put("description", a.9.map(Value::Text));
        put("cf_text", b.0.map(Value::Text));
        put("cf_area", b.1.map(Value::Text));
        put("cf_int", b.2.map(Value::Int));
        put("cf_dec", b.3.map(Value::Decimal));
        put("cf_cur", b.4.map(Value::Decimal));
        put("cf_pct", b.5.map(Value::Decimal));
        put("cf_date", b.6.map(Value::Date));
        put("cf_dt", b.7.map(Value::DateTime));
        put("cf_time", b.8.map(Value::Time));
        put("cf_mail", c.0.map(Value::Text));
        put("cf_phone", c.1.map(Value::Text));
        put("cf_url", c.2.map(Value::Text));
        put("cf_check", c.3.map(Value::Bool));
        put("cf_tier", c.4.map(|s| Value::Text(s.into())));
        put("cf_tags", c.5.map(|l| Value::List(l.into_iter().map(str::to_string).collect())));
        put("cf_org", c.6.map(|s| Value::Text(s.into())));
        Deal(v)
    })
}

impl Deal {
    fn fields(&self, crm: &Crm) -> Fields {
        let mut f = Fields::new();
        for (k, v) in &self.0 {
            match (*k, v) {
                ("related_to" | "cf_org", Value::Text(name)) => f.set(*k, org_id(crm, name)),
                _ => f.set(*k, v.clone()),
            }
        }
        f
    }
}

/// A record's values in a store-independent form: references by name, owners by name.
fn portable(crm: &Crm, r: &Record, skip: &[&str]) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for (k, v) in &r.values {
        if skip.contains(&k.as_str()) || v.is_empty() {
            continue;
        }
        let v = match v {
            Value::Ref(id) => Value::Text(format!("ref:{}", crm.get(*id).unwrap().label)),
            Value::Owner(o) => Value::Text(format!("owner:{}", crm.owner(*o).unwrap().map(|o| o.name().to_string()).unwrap_or_default())),
            other => other.clone(),
        };
        out.insert(k.clone(), v);
    }
    out
}

/// Records ordered by id.
fn by_id(mut v: Vec<Record>) -> Vec<Record> {
    v.sort_by_key(|r| r.id);
    v
}

/// `n` cases on SQLite; on PostgreSQL a quarter of them (at least 2), since every case sets up a new schema
/// on the server (tables, custom fields) and each statement is a round trip; none when it has no server.
fn cases(sql: Backend, n: u32) -> Config {
    // PROPTEST_CASES, when set, wins (Config::default reads it).
    let env = std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok());
    let n = match sql {
        Backend::Postgres if !sql.available() => 0,
        Backend::Postgres => (n / 4).max(2),
        _ => n,
    };
    Config { cases: env.filter(|_| n > 0).unwrap_or(n), failure_persistence: None, ..Config::default() }
}

fn export_all(crm: &Crm) -> Vec<u8> {
    let mut out = Vec::new();
    crm.export_csv(&mut out, "Potentials", &ExportSelection::All(Query::new("Potentials")), &ExportOptions::default()).unwrap();
    out
}

// ----- 2. picklist rename and back is the identity -----

/// Everything a picklist rename may touch, in comparable form.
#[derive(Debug, PartialEq)]
struct PicklistState {
    records: Vec<Record>,
    values: Vec<String>,
    default: Option<String>,
    filters: Vec<Filter>,
    workflows: Vec<crm_core::workflow::Workflow>,
    /// The whole schema but its version: picklists (order, roles, stage metadata), defaults.
    schema: serde_json::Value,
}

fn picklist_state(crm: &Crm, field: &str) -> PicklistState {
    let mut records = by_id(crm.find(Query::new("Potentials")).unwrap());
    // deleted records are rewritten too
    records.extend(by_id(crm.find(Query::new("Potentials").in_recycle_bin()).unwrap()));
    // A rewritten record gets a new version (and a change-log entry) each time: the values come back,
    // the version moves on.
    for r in &mut records {
        r.version = 0;
    }
    let f = crm.module("Potentials").unwrap().field(field).unwrap().clone();
    PicklistState {
        records,
        values: crm.picklist_values("Potentials", field, None).unwrap(),
        default: f.default.clone(),
        filters: crm.filters("Potentials").unwrap(),
        workflows: crm.workflows("Potentials").unwrap(),
        schema: {
            let mut sc = crm.schema().clone();
            sc.version = 0;
            serde_json::to_value(&sc).unwrap()
        },
    }
}

// ----- 3. undo import restores the previous state -----

/// A record as it matters for undo: everything but the times and author of the last change.
fn essence(r: &Record) -> (RecordId, bool, crm_core::Values) {
    let mut v = r.values.clone();
    v.remove("modifiedtime");
    v.remove("modifiedby");
    (r.id, r.deleted, v)
}

fn all_records(crm: &Crm) -> Vec<Record> {
    let mut out = Vec::new();
    for module in ["Potentials", "Accounts"] {
        out.extend(by_id(crm.find(Query::new(module)).unwrap()));
    }
    out
}

// ----- 4. conditions: memory = SQL push-down; workflow evaluator = its query -----

/// Fields conditions are drawn over (with the pseudo-field `id`).
const COND_FIELDS: &[&str] = &[
    "potentialname",
    "potential_no",
    "amount",
    "sales_stage",
    "closingdate",
    "assigned_user_id",
    "related_to",
    "probability",
    "description",
    "createdtime",
    "id",
    "cf_text",
    "cf_area",
    "cf_int",
    "cf_dec",
    "cf_cur",
    "cf_pct",
    "cf_date",
    "cf_dt",
    "cf_time",
    "cf_mail",
    "cf_phone",
    "cf_url",
    "cf_check",
    "cf_tier",
    "cf_tags",
    "cf_org",
];
const OPS: &[Op] = &[
    Op::Eq,
    Op::Ne,
    Op::Lt,
    Op::Le,
    Op::Gt,
    Op::Ge,
    Op::Between,
    Op::In,
    Op::Contains,
    Op::NotContains,
    Op::StartsWith,
    Op::EndsWith,
    Op::IsEmpty,
    Op::IsNotEmpty,
];

/// Where a compare value comes from: a record's value of the same field (exact, a piece of its text, or in
/// other case), or fresh random text.
#[derive(Debug, Clone)]
enum Src {
    Exact(usize),
    Piece(usize, usize, usize),
    Upper(usize),
    Fresh(String),
}

#[derive(Debug, Clone)]
enum Tree {
    Leaf(usize, usize, Vec<Src>),
    All(Vec<Tree>),
    Any(Vec<Tree>),
    Not(Box<Tree>),
}

fn src() -> impl Strategy<Value = Src> {
    prop_oneof![
        4 => (0usize..8).prop_map(Src::Exact),
        2 => (0usize..8, 0usize..6, 1usize..5).prop_map(|(a, b, c)| Src::Piece(a, b, c)),
        1 => (0usize..8).prop_map(Src::Upper),
        2 => prop_oneof![text(6), "-?[0-9]{1,4}(\\.[0-9]{1,3})?", "(19|20)[0-9]{2}-0[1-9]-[12][0-9]"].prop_map(Src::Fresh),
    ]
}

fn tree() -> impl Strategy<Value = Tree> {
    let leaf = (0..COND_FIELDS.len(), 0..OPS.len(), prop::collection::vec(src(), 0..4)).prop_map(|(f, o, v)| Tree::Leaf(f, o, v));
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Tree::All),
            prop::collection::vec(inner.clone(), 0..3).prop_map(Tree::Any),
            inner.prop_map(|t| Tree::Not(Box::new(t))),
        ]
    })
}

fn value_of(records: &[Record], field: &str, i: usize) -> Value {
    if records.is_empty() {
        return Value::Null;
    }
    let r = &records[i % records.len()];
    if field == "id" { Value::Int(r.id.0) } else { r.get(field).clone() }
}

fn compare_value(records: &[Record], field: &str, s: &Src) -> Value {
    match s {
        Src::Exact(i) => value_of(records, field, *i),
        Src::Upper(i) => match value_of(records, field, *i) {
            Value::Text(t) => Value::Text(t.to_uppercase()),
            v => v,
        },
        Src::Piece(i, start, len) => {
            let t = value_of(records, field, *i).to_text().unwrap_or_default();
            Value::Text(t.chars().skip(*start).take(*len).collect())
        }
        Src::Fresh(t) => Value::Text(t.clone()),
    }
}

fn condition(t: &Tree, records: &[Record]) -> Condition {
    match t {
        Tree::All(v) => Condition::All(v.iter().map(|c| condition(c, records)).collect()),
        Tree::Any(v) => Condition::Any(v.iter().map(|c| condition(c, records)).collect()),
        Tree::Not(c) => Condition::Not(Box::new(condition(c, records))),
        Tree::Leaf(f, o, srcs) => {
            let field = COND_FIELDS[*f];
            let op = OPS[*o];
            let mut values: Vec<Value> = srcs.iter().map(|s| compare_value(records, field, s)).collect();
            let arity = op.arity();
            while values.len() < *arity.start() {
                values.push(compare_value(records, field, &Src::Exact(values.len())));
            }
            values.truncate((*arity.end()).min(3));
            Condition::Compare { field: field.to_string(), op, values }
        }
    }
}

/// The auto-numbers a query selects (the same in both stores: records are created in the same order).
fn selected(crm: &Crm, c: &Condition) -> Result<Vec<String>, String> {
    crm.find(Query::new("Potentials").filter(c.clone()))
        .map(|v| {
            let mut n: Vec<String> = v.iter().map(|r| r.get("potential_no").to_string()).collect();
            n.sort();
            n
        })
        .map_err(|e| format!("{e:?}").chars().take(0).collect())
}

/// Lookups for evaluating workflow conditions that use no references or owners.
struct NoEnv;

impl crm_core::workflow::Env for NoEnv {
    fn record(&self, _: RecordId) -> crm_core::Result<Option<Record>> {
        Ok(None)
    }
    fn owner(&self, _: crm_core::OwnerId) -> crm_core::Result<Option<crm_core::Owner>> {
        Ok(None)
    }
    fn owner_users(&self, _: crm_core::OwnerId) -> crm_core::Result<Vec<crm_core::User>> {
        Ok(vec![])
    }
    fn find_owner(&self, _: &str) -> crm_core::Result<Option<crm_core::Owner>> {
        Ok(None)
    }
    fn find_record(&self, _: &[String], _: &str) -> crm_core::Result<Option<RecordId>> {
        Ok(None)
    }
    fn activated_once(&self, _: i64, _: RecordId) -> crm_core::Result<bool> {
        Ok(false)
    }
    fn call(&self, _: &str, _: &Record) -> Option<Result<Fields, String>> {
        None
    }
    fn site_url(&self) -> String {
        String::new()
    }
}

/// Fields and workflow operators whose tests [`Cond::to_query`] pushes down.
const WF_FIELDS: &[&str] = &[
    "potentialname",
    "amount",
    "sales_stage",
    "closingdate",
    "probability",
    "description",
    "cf_text",
    "cf_int",
    "cf_dec",
    "cf_pct",
    "cf_date",
    "cf_dt",
    "cf_mail",
    "cf_check",
    "cf_tier",
    "cf_tags",
];
const WF_OPS: &[&str] = &[
    "is",
    "is not",
    "less than",
    "greater than",
    "less than or equal to",
    "greater than or equal to",
    "contains",
    "does not contain",
    "starts with",
    "ends with",
    "is empty",
    "is not empty",
    "before",
    "after",
    "between",
];

fn wf_cond(t: &Tree, records: &[Record]) -> crm_core::workflow::condition::Cond {
    use crm_core::workflow::condition::{Cond, FieldPath, Operand, Test, WfOp};
    match t {
        Tree::All(v) => Cond::All(v.iter().map(|c| wf_cond(c, records)).collect()),
        Tree::Any(v) => Cond::Any(v.iter().map(|c| wf_cond(c, records)).collect()),
        Tree::Not(c) => Cond::Not(Box::new(wf_cond(c, records))),
        Tree::Leaf(f, o, srcs) => {
            let field = WF_FIELDS[f % WF_FIELDS.len()];
            let op = WfOp::parse(WF_OPS[o % WF_OPS.len()]).unwrap();
            // multi-select values as workflows write them: comma-separated
            let texts: Vec<String> = srcs
                .iter()
                .map(|s| match compare_value(records, field, s) {
                    Value::List(l) => l.join(","),
                    v => v.to_text().unwrap_or_default(),
                })
                .collect();
            let value = match op {
                WfOp::IsEmpty | WfOp::IsNotEmpty => Operand::None,
                WfOp::Between => Operand::Raw(texts.iter().take(2).cloned().collect::<Vec<_>>().join(",")),
                _ => Operand::Raw(texts.first().cloned().unwrap_or_default()),
            };
            Cond::Test(Test { field: FieldPath::Own(field.to_string()), op, value })
        }
    }
}

// ----- regressions found by the properties above (each on every backend) -----

/// Text in another case: the evaluator's `is not "PROSPECTING"` holds for "Prospecting" (exact compare),
/// so the push-down may not select with a case-blind `<>`; `not (is ...)` likewise; `is` still pushes down.
fn case_variants_stay_candidates(b: Backend) {
    use crm_core::workflow::condition::{Cond, FieldPath, Operand, Test, WfOp};
    let file = b.name();
    let mut crm = store(b);
    let fields = Fields::new().with("potentialname", "a").with("sales_stage", "Prospecting").with("closingdate", "2027-01-01");
    let id = crm.create("Potentials", fields).unwrap().id;
    let schema = crm.schema().clone();
    let m = schema.module("Potentials").unwrap();
    let test = |op| Cond::Test(Test { field: FieldPath::Own("sales_stage".into()), op, value: Operand::Raw("PROSPECTING".into()) });
    let record = crm.get(id).unwrap();
    let now = chrono::Utc::now();
    let ctx = crm_core::workflow::Ctx { schema: &schema, module: m, before: None, record: &record, now, tz: chrono_tz::UTC, env: &NoEnv };
    for cond in
        [test(WfOp::IsNot), Cond::Not(Box::new(test(WfOp::Is))), Cond::Any(vec![Cond::Any(vec![]), Cond::All(vec![test(WfOp::IsNot)])])]
    {
        assert!(cond.eval(&ctx, &mut vec![]), "{cond:?}");
        if let Some(q) = cond.to_query(m) {
            let found: Vec<RecordId> = crm.find(Query::new("Potentials").filter(q)).unwrap().iter().map(|r| r.id).collect();
            assert!(found.contains(&id), "{cond:?} (file: {file})");
        }
    }
    assert!(test(WfOp::Is).to_query(m).is_some(), "a case-blind `=` is wider than `is`: still pushed down");
}

/// An empty compare value: `Ne` holds for every record and ordering never does, in both stores (SQL's
/// `<> NULL` used to make `NOT (phone <> '')` select records with a phone).
fn empty_compare_values_select_alike(b: Backend) {
    let file = b.name();
    let mut crm = store(b);
    let f = Deal(vec![
        ("potentialname", Value::Text("A".into())),
        ("closingdate", Value::Date(NaiveDate::from_ymd_opt(2027, 1, 1).unwrap())),
        ("assigned_user_id", Value::Text("admin".into())),
        ("sales_stage", Value::Text("Prospecting".into())),
        ("cf_phone", Value::Text("+1 555".into())),
        ("cf_int", Value::Int(5)),
    ])
    .fields(&crm);
    crm.create("Potentials", f).unwrap();
    let n = |c: Condition| crm.count(Query::new("Potentials").filter(c)).unwrap();
    assert_eq!(n(Condition::Not(Box::new(Condition::cmp("cf_phone", Op::Ne, "")))), 0, "file={file}");
    assert_eq!(n(Condition::cmp("cf_phone", Op::Ne, "")), 1);
    assert_eq!(n(Condition::cmp("cf_phone", Op::Eq, "")), 0);
    assert_eq!(n(Condition::cmp("cf_int", Op::Gt, "")), 0);
    assert_eq!(n(Condition::Not(Box::new(Condition::cmp("cf_int", Op::Ge, ""))).and(Condition::cmp("cf_int", Op::Eq, 5))), 1);
}

/// Multi-select compare values are single picklist values: a list in `In` means any of its items, and
/// `Eq`/`Ne` with several values are refused (the SQL adapter used to match a list as a run of values).
fn multi_select_compare_values_are_single_values(b: Backend) {
    let file = b.name();
    let mut crm = store(b);
    let f = Deal(vec![
        ("potentialname", Value::Text("A".into())),
        ("closingdate", Value::Date(NaiveDate::from_ymd_opt(2027, 1, 1).unwrap())),
        ("assigned_user_id", Value::Text("admin".into())),
        ("sales_stage", Value::Text("Prospecting".into())),
        ("cf_tags", Value::List(vec!["ERP".into(), "BI".into(), "Straße".into()])),
    ])
    .fields(&crm);
    crm.create("Potentials", f).unwrap();
    let q = |c: Condition| crm.count(Query::new("Potentials").filter(c));
    let list = Value::List(vec!["CRM".into(), "BI".into()]);
    assert_eq!(
        q(Condition::Compare { field: "cf_tags".into(), op: Op::In, values: vec![list.clone(), "E".into()] }).unwrap(),
        1,
        "file={file}"
    );
    let none = Value::List(vec!["ERP".into(), "BI".into()]);
    assert_eq!(
        q(Condition::Compare { field: "cf_tags".into(), op: Op::In, values: vec![Value::List(vec!["CRM".into()]), "E".into()] }).unwrap(),
        0
    );
    assert!(q(Condition::Compare { field: "cf_tags".into(), op: Op::Eq, values: vec![none] }).is_err());
    assert!(q(Condition::cmp("cf_tags", Op::Ne, "ERP |##| BI")).is_err());
    assert_eq!(q(Condition::cmp("cf_tags", Op::Eq, Value::List(vec!["BI".into()]))).unwrap(), 1);
}

/// A text that starts like a neutralised formula (`'=`) comes back from export → import unchanged.
fn quoted_formula_text_round_trips(b: Backend) {
    let mut a = store(b);
    let mut ids = vec![];
    for t in ["'=x", "''+1", "=1+1", "'-5", "-5"] {
        let f = Deal(vec![
            ("potentialname", Value::Text(format!("n{t}"))),
            ("closingdate", Value::Date(NaiveDate::from_ymd_opt(2027, 1, 1).unwrap())),
            ("assigned_user_id", Value::Text("admin".into())),
            ("sales_stage", Value::Text("Prospecting".into())),
            ("cf_text", Value::Text(t.into())),
        ])
        .fields(&a);
        ids.push((t, a.create("Potentials", f).unwrap().get("potential_no").to_string()));
    }
    let csv = export_all(&a);
    let mut m = store(Backend::Memory);
    m.import_csv(csv.as_slice(), "Potentials", &ImportOptions::default(), None).unwrap();
    for (t, no) in ids {
        let r = m.find(Query::new("Potentials").filter(Condition::eq("potential_no", no.as_str()))).unwrap().remove(0);
        assert_eq!(r.get("cf_text"), &Value::Text(t.into()));
    }
}

/// Scheduled workflows pre-select records with `Cond::to_query`: tests the evaluator reads differently
/// from a query are not pushed down, and compare texts are trimmed as the evaluator trims them.
#[test]
fn workflow_push_down_leaves_differing_tests_to_the_evaluator() {
    use crm_core::workflow::condition::{Cond, FieldPath, Operand, Test, WfOp};
    let crm = store(Backend::Memory);
    let m = crm.module("Potentials").unwrap();
    let t = |f: &str, op: WfOp, raw: &str| Cond::Test(Test { field: FieldPath::Own(f.into()), op, value: Operand::Raw(raw.into()) });
    assert_eq!(t("description", WfOp::Contains, "").to_query(m), None);
    assert_eq!(t("description", WfOp::StartsWith, " ").to_query(m), None);
    assert_eq!(t("cf_tags", WfOp::Is, "ERP,BI").to_query(m), None);
    assert_eq!(t("cf_tags", WfOp::IsNot, "ERP").to_query(m), None);
    assert_eq!(t("description", WfOp::Contains, " x ").to_query(m), Some(Condition::cmp("description", Op::Contains, "x")));
}

/// A record's [`Values`](crm_core::Values) behave exactly as the `BTreeMap<String, Value>` they replaced,
/// with and without a layout: random sequences of inserts, removals, reads, in-place changes and retains,
/// then every way of reading the whole map (iteration, owned iteration, keys, values, length, equality
/// across layouts, `Debug`, serde).
mod values_as_a_map {
    use super::*;
    use crm_core::{RowLayout, Values};
    use std::sync::Arc;

    /// Names in the Potentials layout, names outside it (sorting before, between and after them), and a
    /// prefix of a layout name.
    const NAMES: &[&str] =
        &["amount", "sales_stage", "potentialname", "closingdate", "description", "a", "amount2", "amoun", "m_outside", "zz", "", "ü"];

    #[derive(Debug, Clone)]
    enum MapOp {
        Insert(usize, Value),
        Remove(usize),
        Get(usize),
        GetMut(usize, Value),
        Retain(u16),
        Extend(Vec<(usize, Value)>),
        Clear,
    }

    fn value() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<i64>().prop_map(Value::Int),
            "[a-z ]{0,6}".prop_map(Value::Text),
            any::<bool>().prop_map(Value::Bool),
            decimal(1_000, 2).prop_map(Value::Decimal),
        ]
    }

    fn op() -> impl Strategy<Value = MapOp> {
        let name = 0..NAMES.len();
        prop_oneof![
            4 => (name.clone(), value()).prop_map(|(n, v)| MapOp::Insert(n, v)),
            2 => name.clone().prop_map(MapOp::Remove),
            1 => name.clone().prop_map(MapOp::Get),
            1 => (name.clone(), value()).prop_map(|(n, v)| MapOp::GetMut(n, v)),
            1 => any::<u16>().prop_map(MapOp::Retain),
            1 => prop::collection::vec((name, value()), 0..4).prop_map(MapOp::Extend),
            1 => Just(MapOp::Clear),
        ]
    }

    /// The calls the property makes, on the reference `BTreeMap` and on [`Values`] alike.
    trait Map {
        fn insert(&mut self, key: String, value: Value) -> Option<Value>;
        fn remove(&mut self, key: &str) -> Option<Value>;
        fn get(&self, key: &str) -> Option<&Value>;
        fn contains_key(&self, key: &str) -> bool;
        fn get_mut(&mut self, key: &str) -> Option<&mut Value>;
        fn retain(&mut self, f: impl FnMut(&String, &mut Value) -> bool);
        fn extend(&mut self, entries: impl Iterator<Item = (String, Value)>);
        fn clear(&mut self);
    }

    /// Implements [`Map`] with the type's own methods of the same names.
    macro_rules! map {
        ($t:ty) => {
            impl Map for $t {
                fn insert(&mut self, key: String, value: Value) -> Option<Value> {
                    <$t>::insert(self, key, value)
                }
                fn remove(&mut self, key: &str) -> Option<Value> {
                    <$t>::remove(self, key)
                }
                fn get(&self, key: &str) -> Option<&Value> {
                    <$t>::get(self, key)
                }
                fn contains_key(&self, key: &str) -> bool {
                    <$t>::contains_key(self, key)
                }
                fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
                    <$t>::get_mut(self, key)
                }
                fn retain(&mut self, f: impl FnMut(&String, &mut Value) -> bool) {
                    <$t>::retain(self, f)
                }
                fn extend(&mut self, entries: impl Iterator<Item = (String, Value)>) {
                    Extend::extend(self, entries)
                }
                fn clear(&mut self) {
                    <$t>::clear(self)
                }
            }
        };
    }
    map!(BTreeMap<String, Value>);
    map!(Values);

    /// Applies `op` to `map`, returning what the call answered (as text, to compare across map types).
    fn apply(map: &mut impl Map, op: &MapOp) -> String {
        let key = |n: usize| NAMES[n].to_string();
        match op {
            MapOp::Insert(n, v) => format!("{:?}", map.insert(key(*n), v.clone())),
            MapOp::Remove(n) => format!("{:?}", map.remove(NAMES[*n])),
            MapOp::Get(n) => format!("{:?} {}", map.get(NAMES[*n]), map.contains_key(NAMES[*n])),
            MapOp::GetMut(n, v) => format!("{:?}", map.get_mut(NAMES[*n]).map(|x| std::mem::replace(x, v.clone()))),
            MapOp::Retain(mask) => {
                let mut seen = Vec::new();
                map.retain(|k, _| {
                    seen.push(k.clone());
                    mask >> (NAMES.iter().position(|n| n == k).unwrap_or(0) % 16) & 1 == 1
                });
                format!("{seen:?}")
            }
            MapOp::Extend(kv) => {
                map.extend(kv.iter().map(|(n, v)| (key(*n), v.clone())));
                String::new()
            }
            MapOp::Clear => {
                map.clear();
                String::new()
            }
        }
    }

    /// Applies `ops` to a `Values` kept in `layout` (`None`: without a layout) and to a `BTreeMap`,
    /// checking that every call answers alike and then that every whole-map reading agrees; returns both.
    fn run_ops(layout: Option<&Arc<RowLayout>>, ops: &[MapOp]) -> Result<(Values, BTreeMap<String, Value>), TestCaseError> {
        let mut map = BTreeMap::new();
        let mut values = layout.map_or_else(Values::new, Values::with_layout);
        for op in ops {
            let want = apply(&mut map, op);
            prop_assert_eq!(apply(&mut values, op), want, "{:?}", op);
        }
        same_as(&values, &map)?;
        Ok((values, map))
    }

    /// Every whole-map reading of `v` equals the same reading of `map`.
    fn same_as(v: &Values, map: &BTreeMap<String, Value>) -> Result<(), TestCaseError> {
        prop_assert_eq!(v.iter().collect::<Vec<_>>(), map.iter().collect::<Vec<_>>());
        prop_assert_eq!(IntoIterator::into_iter(v).count(), map.len());
        prop_assert_eq!(v.clone().into_iter().collect::<Vec<_>>(), map.clone().into_iter().collect::<Vec<_>>());
        prop_assert_eq!(v.keys().collect::<Vec<_>>(), map.keys().collect::<Vec<_>>());
        prop_assert_eq!(v.values().collect::<Vec<_>>(), map.values().collect::<Vec<_>>());
        prop_assert_eq!((v.len(), v.is_empty()), (map.len(), map.is_empty()));
        for n in NAMES {
            prop_assert_eq!(v.get(n), map.get(*n));
            prop_assert_eq!(v.contains_key(n), map.contains_key(*n));
        }
        prop_assert_eq!(format!("{v:?}"), format!("{map:?}"));
        prop_assert_eq!(format!("{v:#?}"), format!("{map:#?}"));
        let json = serde_json::to_string(v).unwrap();
        prop_assert_eq!(&json, &serde_json::to_string(map).unwrap());
        // Read back as the map reads it (values in their JSON form: a decimal comes back as text).
        let back: Values = serde_json::from_str(&json).unwrap();
        let back_map: BTreeMap<String, Value> = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back.iter().collect::<Vec<_>>(), back_map.iter().collect::<Vec<_>>());
        prop_assert_eq!(BTreeMap::from(v.clone()), map.clone());
        prop_assert_eq!(v, &Values::from(map.clone()));
        prop_assert_eq!(v, &map.clone().into_iter().collect::<Values>());
        prop_assert_eq!(v, &v.clone());
        Ok(())
    }

    proptest! {
        #![proptest_config(Config { cases: 256, failure_persistence: None, ..Config::default() })]

        #[test]
        fn values_behave_as_a_btree_map(ops in prop::collection::vec(op(), 0..40), other in prop::collection::vec(op(), 0..8)) {
            let layout = RowLayout::new(Schema::builtin().module("Potentials").unwrap());
            let (slotted, map) = run_ops(Some(&layout), &ops)?;
            let (plain, _) = run_ops(None, &ops)?;
            prop_assert_eq!(&slotted, &plain);
            prop_assert_eq!(&plain.clone().into_layout(&layout), &slotted);
            prop_assert!(slotted.layout().is_some() && plain.layout().is_none());
            // Equality is the maps' equality, whichever way each side keeps its entries.
            let mut changed = map.clone();
            let mut changed_slotted = slotted.clone();
            for op in &other {
                apply(&mut changed, op);
                apply(&mut changed_slotted, op);
            }
            prop_assert_eq!(slotted == changed_slotted, map == changed);
            prop_assert_eq!(plain == changed_slotted, map == changed);
            prop_assert_eq!(changed_slotted == Values::from(map.clone()), map == changed);
        }
    }
}

mod regressions {
    use super::*;
    on_every_backend!(
        case_variants_stay_candidates,
        empty_compare_values_select_alike,
        multi_select_compare_values_are_single_values,
        quoted_formula_text_round_trips,
    );
}

// ----- the properties, once per SQL store compared with the memory store -----

/// Expands the properties in a module per SQL store (`SQL` names it): `sqlite_file` and, with the
/// `postgres` feature, `postgres` (fewer cases there: see [`cases`]).
macro_rules! on_sql_stores {
    ($($properties:tt)*) => {
        mod sqlite_file {
            use super::*;
            const SQL: Backend = Backend::SqliteFile;
            $($properties)*
        }
        #[cfg(feature = "postgres")]
        mod postgres {
            use super::*;
            const SQL: Backend = Backend::Postgres;
            $($properties)*
        }
    };
}

on_sql_stores! {
    proptest! {
        #![proptest_config(cases(SQL, 32))]

        #[test]
        fn export_then_import_gives_back_the_records(deals in prop::collection::vec(deal(), 1..6), from_file in any::<bool>()) {
            let mut a = store(either(SQL, from_file));
            let mut originals = Vec::new();
            for d in &deals {
                let f = d.fields(&a);
                originals.push(a.create("Potentials", f).map_err(|e| TestCaseError::fail(format!("{e}: {d:?}")))?);
            }
            let csv = export_all(&a);
            let mut b = store(either(SQL, !from_file));
            let rep = b.import_csv(csv.as_slice(), "Potentials", &ImportOptions::default(), None).unwrap();
            prop_assert_eq!(rep.created, deals.len() as u64, "{:#?}\n{}", rep.row_reports, String::from_utf8_lossy(&csv));
            let mut back = b.find(Query::new("Potentials")).unwrap();
            back.sort_by_key(|x| x.get("potential_no").to_string());
            let mut orig = originals.clone();
            orig.sort_by_key(|x| x.get("potential_no").to_string());
            prop_assert_eq!(back.len(), orig.len());
            let skip = ["modifiedtime", "modifiedby", "source"];
            for (o, n) in orig.iter().zip(&back) {
                prop_assert_eq!(portable(&a, o, &skip), portable(&b, n, &skip), "csv:\n{}", String::from_utf8_lossy(&csv));
            }
        }
    }

    proptest! {
        #![proptest_config(cases(SQL, 24))]

        #[test]
        fn picklist_rename_and_back_is_identity(
            deals in prop::collection::vec(deal(), 1..5),
            which in 0usize..3,
            pick in 0usize..4,
            new_name in "[A-Za-z][a-zA-Z0-9 ,'\"é]{0,12}",
            file in any::<bool>(),
        ) {
            let mut crm = store(either(SQL, file));
            // sales stages: only the editable ones (Closed Won/Lost cannot be renamed)
            let (field, values): (&str, &[&str]) = match which {
                0 => ("cf_tier", TIERS),
                1 => ("leadsource", SOURCES),
                _ => ("sales_stage", &STAGES[..4]),
            };
            let from = values[pick % values.len()];
            prop_assume!(!values.iter().any(|v| v.eq_ignore_ascii_case(new_name.trim())) && !new_name.trim().is_empty());
            let mut ids = Vec::new();
            for d in &deals {
                let f = d.fields(&crm);
                ids.push(crm.create("Potentials", f).unwrap().id);
            }
            crm.delete(ids[0]).unwrap();
            crm.update_field("Potentials", field, crm_core::FieldUpdate { default: Some(from.into()), ..Default::default() }).unwrap();
            let other = values[(pick + 1) % values.len()];
            crm.save_filter(Filter::new("Potentials", "by value").all(field, "e", &format!("{from},{other}"))).unwrap();
            crm.save_filter(Filter::new("Potentials", "not value").all(field, "n", from).any(field, "c", from)).unwrap();
            let m = crm.module("Potentials").unwrap().clone();
            let rows = format!(
                r#"[{{"fieldname":"{field}","operation":"is","value":"{from}","valuetype":"rawtext","joincondition":"or","groupjoin":"and","groupid":"0"}},
                   {{"fieldname":"{field}","operation":"is not","value":"{other}","valuetype":"rawtext","joincondition":"","groupjoin":"and","groupid":"0"}}]"#
            );
            let cond = crm_core::workflow::condition::Cond::from_vtiger(&rows, &m).unwrap();
            crm.add_workflow(crm_core::workflow::Workflow::new("Potentials", "wf", crm_core::workflow::Trigger::Manual).when(cond)).unwrap();
            let before = picklist_state(&crm, field);
            if new_name.contains(',') {
                // refused: a comma separates values in filters and workflow conditions
                prop_assert!(crm.rename_picklist_value("Potentials", field, from, new_name.trim()).is_err());
                prop_assert_eq!(&before, &picklist_state(&crm, field));
                return Ok(());
            }
            crm.rename_picklist_value("Potentials", field, from, new_name.trim()).unwrap();
            let during = picklist_state(&crm, field);
            prop_assert!(during.values.iter().any(|v| v == new_name.trim()));
            prop_assert_eq!(during.default.as_deref(), Some(new_name.trim()));
            crm.rename_picklist_value("Potentials", field, new_name.trim(), from).unwrap();
            let after = picklist_state(&crm, field);
            prop_assert_eq!(before, after);
        }
    }

    proptest! {
        #![proptest_config(cases(SQL, 24))]

        #[test]
        fn undo_import_restores_the_previous_state(
            existing in prop::collection::vec(deal(), 1..5),
            incoming in prop::collection::vec(deal(), 1..6),
            mode in prop::sample::select(vec![Duplicates::Create, Duplicates::Overwrite, Duplicates::Merge, Duplicates::Skip]),
            reuse_names in prop::collection::vec(any::<bool>(), 6),
            batch in 1usize..4,
            file in any::<bool>(),
        ) {
            let mut crm = store(either(SQL, file));
            let mut names = Vec::new();
            for d in &existing {
                let f = d.fields(&crm);
                let r = crm.create("Potentials", f).unwrap();
                names.push(r.get("potentialname").to_string());
            }
            // The incoming file: some rows name an existing deal (they match), others are new.
            let mut src = store(Backend::Memory);
            for (i, d) in incoming.iter().enumerate() {
                let mut d = d.clone();
                if reuse_names[i] {
                    d.0[0].1 = Value::Text(names[i % names.len()].clone());
                }
                let f = d.fields(&src);
                src.create("Potentials", f).unwrap();
            }
            let mut csv = Vec::new();
            let cols: Vec<String> = ["potentialname", "amount", "sales_stage", "closingdate", "assigned_user_id", "related_to", "cf_text", "cf_tags", "cf_dec", "description"]
                .iter().map(|s| s.to_string()).collect();
            src.export_csv(&mut csv, "Potentials", &ExportSelection::All(Query::new("Potentials")), &ExportOptions { columns: cols, ..Default::default() }).unwrap();

            let before: Vec<Record> = all_records(&crm);
            let hist_before: Vec<usize> = before.iter().map(|r| crm.history(r.id).unwrap().len()).collect();
            let o = ImportOptions { duplicates: mode, match_on: vec!["potentialname".into()], batch_size: batch, create_missing_references: true, ..Default::default() };
            let rep = crm.import_csv(csv.as_slice(), "Potentials", &o, None).unwrap();
            prop_assert_eq!(rep.failed, 0, "{:#?}", rep.row_reports);
            let touched: std::collections::HashSet<RecordId> = crm.import_rows(rep.import_id).unwrap().iter().map(|f| f.record).collect();
            crm.undo_import(rep.import_id).unwrap();

            let after: Vec<Record> = all_records(&crm);
            // Every record that existed is back as it was; nothing else is live.
            prop_assert_eq!(before.iter().map(essence).collect::<Vec<_>>(), after.iter().map(essence).collect::<Vec<_>>());
            for (r, n) in before.iter().zip(hist_before) {
                let now = crm.get(r.id).unwrap();
                let h = crm.history(r.id).unwrap();
                if touched.contains(&r.id) {
                    // the import's entries (one per matching row), then the undo's, which reverses their sum
                    prop_assert!(h.len() >= n + 2);
                    prop_assert_eq!(now.version, r.version + (h.len() - n) as u64);
                    let undo = &h[h.len() - 1];
                    let mut net: BTreeMap<String, (Option<String>, Option<String>)> = BTreeMap::new();
                    for e in &h[n..h.len() - 1] {
                        for c in e.changes.iter().filter(|c| c.field != "modifiedtime") {
                            net.entry(c.field.clone()).or_insert((c.before.clone(), None)).1 = c.after.clone();
                        }
                    }
                    let fwd: Vec<(String, Option<String>, Option<String>)> =
                        net.into_iter().filter(|(_, (b, a))| b != a).map(|(f, (b, a))| (f, b, a)).collect();
                    let mut back: Vec<(String, Option<String>, Option<String>)> =
                        undo.changes.iter().filter(|c| c.field != "modifiedtime").map(|c| (c.field.clone(), c.after.clone(), c.before.clone())).collect();
                    back.sort_by(|a, b| a.0.cmp(&b.0));
                    prop_assert_eq!(fwd, back);
                } else {
                    prop_assert_eq!(now.version, r.version);
                    prop_assert_eq!(h.len(), n);
                }
            }
            // Records the import created (rows and references) are in the recycle bin, with a deletion entry.
            for id in &touched {
                if before.iter().any(|r| r.id == *id) {
                    continue;
                }
                let r = crm.get_deleted(*id).unwrap();
                prop_assert!(r.deleted, "record {} created by the import is still live", id);
                let h = crm.history(*id).unwrap();
                prop_assert_eq!(h.last().map(|e| e.kind), Some(crm_core::ChangeKind::Deleted));
            }
            // A second undo is refused.
            prop_assert!(crm.undo_import(rep.import_id).is_err());
        }
    }

    proptest! {
        #![proptest_config(cases(SQL, 64))]

        #[test]
        fn memory_and_sql_select_the_same_records(deals in prop::collection::vec(deal(), 0..8), trees in prop::collection::vec(tree(), 1..12)) {
            let mut mem = store(Backend::Memory);
            let mut file = store(SQL);
            // one clock for both stores, a second per record: created times are equal across stores and differ
            // between records (with the system clock they depended on timing and made this test flaky)
            let clock = std::sync::Arc::new(crm_core::clock::FixedClock::at("2026-01-01 09:00:00"));
            mem.set_clock(clock.clone());
            file.set_clock(clock.clone());
            for (i, d) in deals.iter().enumerate() {
                clock.advance(chrono::Duration::seconds(i64::from(i % 2 == 0)));
                let f = d.fields(&mem);
                mem.create("Potentials", f).unwrap();
                let f = d.fields(&file);
                file.create("Potentials", f).unwrap();
            }
            let recs = by_id(mem.find(Query::new("Potentials")).unwrap());
            let file_recs = by_id(file.find(Query::new("Potentials")).unwrap());
            for t in &trees {
                // compare values are taken from each store's own records (ids and owners differ between stores)
                let cm = condition(t, &recs);
                let cf = condition(t, &file_recs);
                let a = selected(&mem, &cm);
                let b = selected(&file, &cf);
                prop_assert_eq!(&a, &b, "condition (memory): {:?}\nrecords: {:#?}", cm, recs);
            }
        }
    }

    proptest! {
        #![proptest_config(cases(SQL, 64))]

        /// Scheduled workflows select candidates with `to_query` and then evaluate: every record the evaluator
        /// accepts must be among the candidates.
        #[test]
        fn workflow_condition_push_down_keeps_every_match(deals in prop::collection::vec(deal(), 0..8), trees in prop::collection::vec(tree(), 1..12), file in any::<bool>()) {
            let mut crm = store(either(SQL, file));
            for d in &deals {
                let f = d.fields(&crm);
                crm.create("Potentials", f).unwrap();
            }
            let recs = by_id(crm.find(Query::new("Potentials")).unwrap());
            let schema = crm.schema().clone();
            let m = schema.module("Potentials").unwrap();
            let now = chrono::DateTime::parse_from_rfc3339("2026-11-27T10:00:00Z").unwrap().with_timezone(&chrono::Utc);
            for t in &trees {
                let cond = wf_cond(t, &recs);
                let Some(q) = cond.to_query(m) else { continue };
                let pushed: Result<Vec<RecordId>, _> = crm.find(Query::new("Potentials").filter(q.clone())).map(|v| v.iter().map(|r| r.id).collect());
                let Ok(pushed) = pushed else { continue }; // the runner then takes every record as a candidate
                for r in &recs {
                    let ctx = crm_core::workflow::Ctx { schema: &schema, module: m, before: None, record: r, now, tz: chrono_tz::UTC, env: &NoEnv };
                    let hit = cond.eval(&ctx, &mut vec![]);
                    prop_assert!(!hit || pushed.contains(&r.id), "evaluator accepts record {} that the query {:?} leaves out\ncondition: {:?}\nrecord: {:?}", r.id, q, cond, r.values);
                }
            }
        }
    }

    proptest! {
        #![proptest_config(cases(SQL, 64))]

        /// A compiled condition gives the tracing evaluator's result on a record (as the store hands it out,
        /// read by slot, and with its values by name), on the record's row and on the row the store reads
        /// directly (memory store and SQLite file).
        #[test]
        fn compiled_conditions_on_rows_agree_with_the_evaluator(deals in prop::collection::vec(deal(), 0..8), trees in prop::collection::vec(tree(), 1..12), file in any::<bool>()) {
            let mut crm = store(either(SQL, file));
            for d in &deals {
                let f = d.fields(&crm);
                crm.create("Potentials", f).unwrap();
            }
            let recs = by_id(crm.find(Query::new("Potentials")).unwrap());
            let schema = crm.schema().clone();
            let m = schema.module("Potentials").unwrap();
            let layout = crm_core::RowLayout::new(m);
            let matcher = crm.matcher("Potentials").unwrap();
            let mut stored = Vec::new();
            matcher.scan_rows(Query::new("Potentials"), &mut |r| { stored.push(r); true }).unwrap();
            stored.sort_by_key(|r| r.id);
            prop_assert_eq!(stored.len(), recs.len());
            let now = chrono::DateTime::parse_from_rfc3339("2026-11-27T10:00:00Z").unwrap().with_timezone(&chrono::Utc);
            for t in &trees {
                let cond = wf_cond(t, &recs);
                let compiled = cond.compile(m, &NoEnv);
                let by_matcher = matcher.compile(&cond);
                let mut batch = crm_core::Rows::new(&layout);
                for s in &stored {
                    batch.push(s.clone()).unwrap();
                }
                for (i, (r, s)) in recs.iter().zip(&stored).enumerate() {
                    prop_assert_eq!(&s.to_record(), r);
                    let ctx = crm_core::workflow::Ctx { schema: &schema, module: m, before: None, record: r, now, tz: chrono_tz::UTC, env: &NoEnv };
                    let want = cond.eval(&ctx, &mut vec![]);
                    let row = crm_core::Row::from_record(&layout, r).unwrap();
                    prop_assert_eq!(compiled.eval(&ctx), want, "record {:?}\ncondition {:?}", r.values, cond);
                    // The store's record reads its values by slot; the same values by name give the same.
                    prop_assert_eq!(r.values.layout().map(|l| l.fingerprint()), Some(layout.fingerprint()));
                    let plain = Record { values: BTreeMap::from(r.values.clone()).into(), ..r.clone() };
                    let plain_ctx = crm_core::workflow::Ctx { record: &plain, ..ctx };
                    prop_assert_eq!(compiled.eval(&plain_ctx), want, "record by name {:?}\ncondition {:?}", r.values, cond);
                    prop_assert_eq!(compiled.eval_row(&row, &ctx).unwrap(), want, "row {:?}\ncondition {:?}", r.values, cond);
                    prop_assert_eq!(compiled.eval_row(s, &ctx).unwrap(), want, "stored row {:?}\ncondition {:?}", r.values, cond);
                    prop_assert_eq!(compiled.eval_at(&batch, i, &ctx).unwrap(), want, "column-major row {:?}\ncondition {:?}", r.values, cond);
                    if let Ok(c) = &by_matcher {
                        prop_assert_eq!(matcher.matches_row(c, s).unwrap(), matcher.matches(c, r));
                    }
                }
            }
        }
    }
}
