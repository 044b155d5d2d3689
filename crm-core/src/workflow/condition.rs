//! Workflow conditions: vtiger's condition JSON in, one typed tree inside, evaluated as a pure function of
//! (record before, record after, clock, time zone).
//!
//! [`Cond::from_vtiger`] reads vtiger's `test` JSON verbatim (`fieldname`, `operation`, `value`, `valuetype`
//! rawtext/fieldname/expression, `joincondition`, `groupid`, `groupjoin`, `(ref : (Module) field)` paths).
//! The typed tree is [`Cond`]; its comparisons that also exist in list filters are converted to
//! [`query::Condition`] by [`Cond::to_query`] so that scheduled workflows select
//! records with the same filter engine (pushed down to SQL) and the same semantics as list views.
//!
//! Differences from vtiger, on purpose (each is what a user reading the rule expects):
//! * **Grouping**: inside a group, `and` binds tighter than `or` (vtiger folds strictly left to right); groups
//!   combine with their `groupjoin` the same way. The two UI groups therefore mean exactly
//!   *(all of group 0) AND (any of group 1)*.
//! * **Empty**: `0` is not empty (vtiger's PHP `empty()` treats 0 and "0" as empty).
//! * **Text tests** `contains`/`starts with`/`ends with` ignore case, like list filters (vtiger's
//!   save-time test is case-sensitive, its scheduled SQL test is not); `is`/`equal to` compare exactly, with
//!   numbers compared numerically (`1000` is `1000.00`) and dates chronologically.
//! * **between** is inclusive at both ends, like list filters and vtiger's scheduled SQL (vtiger's save-time
//!   test is exclusive).
//! * **has changed** compares typed values (vtiger compares HTML-decoded strings); it is false on creation,
//!   as in vtiger. Scheduled evaluation has no "before", so the has-changed family is false there (vtiger
//!   ignores those rows in scheduled workflows, i.e. treats them as true; we refuse to guess).
//! * `matches` (PHP regex, never offered in the UI) is refused when the workflow is saved.
//! * Days and hours are counted in the time zone given to the evaluation (vtiger: the user's zone).
//! * `is today` / `is tomorrow` / `is yesterday` on a field named `birthday` compare month and day only, as
//!   vtiger does (a birthday recurs every year).

use super::Ctx;
use super::expr::{Expr, ExprValue};
use crate::error::{Error, Result};
use crate::query::{self, order};
use crate::schema::{FieldType, Module};
use crate::value::{Value, coerce};
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// A field of the record, or a field of a record it references: `(related_to : (Accounts) industry)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum FieldPath {
    /// A field of the record itself.
    Own(String),
    /// A field of the record referenced by `via` (a reference or owner field); `module` is the referenced
    /// module (`Users` for owners).
    Related {
        /// The reference field of the record.
        via: String,
        /// The module of the referenced record.
        module: String,
        /// The field of the referenced record.
        field: String,
    },
}

impl From<FieldPath> for String {
    fn from(p: FieldPath) -> String {
        p.to_string()
    }
}

impl TryFrom<String> for FieldPath {
    type Error = String;
    fn try_from(s: String) -> std::result::Result<Self, String> {
        FieldPath::parse(&s).ok_or_else(|| format!("'{s}' is not a field name or (ref : (Module) field) path"))
    }
}

impl std::fmt::Display for FieldPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FieldPath::Own(n) => f.write_str(n),
            FieldPath::Related { via, module, field } => write!(f, "({via} : ({module}) {field})"),
        }
    }
}

impl FieldPath {
    /// Parses `field` or `(ref : (Module) field)`.
    pub fn parse(s: &str) -> Option<FieldPath> {
        let t = s.trim();
        if t.starts_with('(') {
            return Self::parse_ref(t);
        }
        (!t.is_empty() && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')).then(|| FieldPath::Own(t.to_string()))
    }

    /// Parses exactly `(ref : (Module) field)`.
    pub fn parse_ref(s: &str) -> Option<FieldPath> {
        let inner = s.trim().strip_prefix('(')?.strip_suffix(')')?;
        let (via, rest) = inner.split_once(':')?;
        let rest = rest.trim().strip_prefix('(')?;
        let (module, field) = rest.split_once(')')?;
        let ok = |x: &str| !x.is_empty() && x.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        let (via, module, field) = (via.trim(), module.trim(), field.trim());
        (ok(via) && ok(module) && ok(field)).then(|| FieldPath::Related { via: via.into(), module: module.into(), field: field.into() })
    }

    /// Checks the path against a module (and, for related paths, that the reference field exists).
    pub fn check(&self, module: &Module) -> Result<()> {
        match self {
            FieldPath::Own(n) => module.field(n).map(|_| ()).ok_or_else(|| Error::invalid(format!("{} has no field '{n}'", module.name))),
            FieldPath::Related { via, .. } if via == "general" => Ok(()),
            FieldPath::Related { via, .. } => match module.field(via) {
                Some(f) if matches!(f.field_type, FieldType::Reference | FieldType::Owner) => Ok(()),
                _ => Err(Error::invalid(format!("{} has no reference field '{via}'", module.name))),
            },
        }
    }
}

/// A workflow comparison operator: every operator of vtiger's `VTJsonCondition` (reference §5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WfOp {
    /// `is` / `equal to`.
    Is,
    /// `is not` / `does not equal`.
    IsNot,
    /// `less than`.
    LessThan,
    /// `greater than`.
    GreaterThan,
    /// `less than or equal to`.
    LessOrEqual,
    /// `greater than or equal to`.
    GreaterOrEqual,
    /// `contains` (ignoring case; multi-select: any of the comma-separated values).
    Contains,
    /// `does not contain`.
    DoesNotContain,
    /// `starts with`.
    StartsWith,
    /// `ends with`.
    EndsWith,
    /// `has changed` (optionally: and the new value is the given one).
    HasChanged,
    /// `has changed to`.
    HasChangedTo,
    /// `has changed from`.
    HasChangedFrom,
    /// `is empty`.
    IsEmpty,
    /// `is not empty`.
    IsNotEmpty,
    /// `before` a date.
    Before,
    /// `after` a date.
    After,
    /// `between` two dates `d1,d2` (inclusive).
    Between,
    /// `is today`.
    IsToday,
    /// `is tomorrow`.
    IsTomorrow,
    /// `is yesterday`.
    IsYesterday,
    /// `less than days ago` N: today−N ≤ date ≤ today.
    LessThanDaysAgo,
    /// `more than days ago` N: date ≤ today−N.
    MoreThanDaysAgo,
    /// `in less than` / `less than days later` N: today ≤ date ≤ today+N.
    LessThanDaysLater,
    /// `in more than` / `more than days later` N: date ≥ today+N.
    MoreThanDaysLater,
    /// `days ago` N: date = today−N.
    DaysAgo,
    /// `days later` N: date = today+N.
    DaysLater,
    /// `less than hours before` N: now−N h ≤ value ≤ now.
    LessThanHoursBefore,
    /// `less than hours later` N: now ≤ value ≤ now+N h.
    LessThanHoursLater,
    /// `more than hours before` N: value ≤ now−N h.
    MoreThanHoursBefore,
    /// `more than hours later` N: value ≥ now+N h.
    MoreThanHoursLater,
    /// `is added` (comment trigger): always false in record evaluation, as in vtiger.
    IsAdded,
}

impl WfOp {
    /// Parses vtiger's operation text (case-insensitive).
    pub fn parse(s: &str) -> Option<WfOp> {
        use WfOp::*;
        Some(match s.trim().to_ascii_lowercase().replace('_', " ").as_str() {
            "is" | "equal to" | "equals" | "=" | "==" | "e" => Is,
            "is not" | "does not equal" | "not equal to" | "!=" | "n" => IsNot,
            "less than" | "<" | "l" => LessThan,
            "greater than" | ">" | "g" => GreaterThan,
            "less than or equal to" | "<=" | "m" => LessOrEqual,
            "greater than or equal to" | ">=" | "h" => GreaterOrEqual,
            "contains" | "c" => Contains,
            "does not contain" | "not contains" | "k" => DoesNotContain,
            "starts with" | "s" => StartsWith,
            "ends with" | "ew" => EndsWith,
            "has changed" => HasChanged,
            "has changed to" => HasChangedTo,
            "has changed from" => HasChangedFrom,
            "is empty" | "y" => IsEmpty,
            "is not empty" | "ny" => IsNotEmpty,
            "before" | "b" => Before,
            "after" | "a" => After,
            "between" | "bw" => Between,
            "is today" => IsToday,
            "is tomorrow" => IsTomorrow,
            "is yesterday" => IsYesterday,
            "less than days ago" => LessThanDaysAgo,
            "more than days ago" => MoreThanDaysAgo,
            "in less than" | "less than days later" => LessThanDaysLater,
            "in more than" | "more than days later" => MoreThanDaysLater,
            "days ago" => DaysAgo,
            "days later" => DaysLater,
            "less than hours before" => LessThanHoursBefore,
            "less than hours later" => LessThanHoursLater,
            "more than hours before" => MoreThanHoursBefore,
            "more than hours later" => MoreThanHoursLater,
            "is added" => IsAdded,
            _ => return None,
        })
    }

    /// vtiger's operation text.
    pub fn as_str(self) -> &'static str {
        use WfOp::*;
        match self {
            Is => "is",
            IsNot => "is not",
            LessThan => "less than",
            GreaterThan => "greater than",
            LessOrEqual => "less than or equal to",
            GreaterOrEqual => "greater than or equal to",
            Contains => "contains",
            DoesNotContain => "does not contain",
            StartsWith => "starts with",
            EndsWith => "ends with",
            HasChanged => "has changed",
            HasChangedTo => "has changed to",
            HasChangedFrom => "has changed from",
            IsEmpty => "is empty",
            IsNotEmpty => "is not empty",
            Before => "before",
            After => "after",
            Between => "between",
            IsToday => "is today",
            IsTomorrow => "is tomorrow",
            IsYesterday => "is yesterday",
            LessThanDaysAgo => "less than days ago",
            MoreThanDaysAgo => "more than days ago",
            LessThanDaysLater => "less than days later",
            MoreThanDaysLater => "more than days later",
            DaysAgo => "days ago",
            DaysLater => "days later",
            LessThanHoursBefore => "less than hours before",
            LessThanHoursLater => "less than hours later",
            MoreThanHoursBefore => "more than hours before",
            MoreThanHoursLater => "more than hours later",
            IsAdded => "is added",
        }
    }

    pub(super) fn needs_value(self) -> bool {
        use WfOp::*;
        !matches!(self, HasChanged | IsEmpty | IsNotEmpty | IsToday | IsTomorrow | IsYesterday | IsAdded)
    }

    fn is_dateish(self) -> bool {
        use WfOp::*;
        matches!(
            self,
            Before
                | After
                | Between
                | IsToday
                | IsTomorrow
                | IsYesterday
                | LessThanDaysAgo
                | MoreThanDaysAgo
                | LessThanDaysLater
                | MoreThanDaysLater
                | DaysAgo
                | DaysLater
                | LessThanHoursBefore
                | LessThanHoursLater
                | MoreThanHoursBefore
                | MoreThanHoursLater
        )
    }
}

/// What a field is compared with (vtiger `valuetype`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Operand {
    /// No value (unary operators).
    None,
    /// A literal as typed (`rawtext`): converted to the field's type when compared.
    Raw(String),
    /// Another field of the same record (`fieldname`).
    Field(FieldPath),
    /// An expression (`expression`), see [`super::expr`].
    Expression(String),
}

/// One test: `field op operand`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Test {
    /// The field tested.
    pub field: FieldPath,
    /// The operator.
    pub op: WfOp,
    /// The compare value.
    #[serde(default = "none_operand")]
    pub value: Operand,
}

fn none_operand() -> Operand {
    Operand::None
}

/// A typed condition tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cond {
    /// Every child holds (true when empty: a workflow without conditions always runs).
    All(Vec<Cond>),
    /// At least one child holds (false when empty).
    Any(Vec<Cond>),
    /// The child does not hold.
    Not(Box<Cond>),
    /// One test.
    Test(Test),
}

impl Cond {
    /// The fields of the record itself a condition reads: tested fields, compared fields, and the
    /// reference fields it goes through to related records (not those named inside expressions).
    pub fn own_fields(&self) -> Vec<&str> {
        fn path<'a>(p: &'a FieldPath, out: &mut Vec<&'a str>) {
            match p {
                FieldPath::Own(f) => out.push(f),
                FieldPath::Related { via, .. } => out.push(via),
            }
        }
        fn walk<'a>(c: &'a Cond, out: &mut Vec<&'a str>) {
            match c {
                Cond::All(v) | Cond::Any(v) => v.iter().for_each(|x| walk(x, out)),
                Cond::Not(x) => walk(x, out),
                Cond::Test(t) => {
                    path(&t.field, out);
                    if let Operand::Field(p) = &t.value {
                        path(p, out);
                    }
                }
            }
        }
        let mut out = Vec::new();
        walk(self, &mut out);
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Replaces a picklist value in the rawtext compare values of tests on `fields` of the record itself
    /// (comma-separated lists too; `None` removes it); true when anything changed. Used by the picklist
    /// editor so stored conditions follow renames.
    pub fn replace_raw_value(&mut self, fields: &[&str], from: &str, to: Option<&str>) -> bool {
        match self {
            Cond::All(v) | Cond::Any(v) => v.iter_mut().fold(false, |acc, x| x.replace_raw_value(fields, from, to) | acc),
            Cond::Not(x) => x.replace_raw_value(fields, from, to),
            Cond::Test(t) => {
                let own = matches!(&t.field, FieldPath::Own(f) if fields.contains(&f.as_str()));
                let Operand::Raw(v) = &mut t.value else { return false };
                if !own {
                    return false;
                }
                let joined = crate::schema::edit::replace_in_value_list(v, from, to);
                let changed = joined != *v;
                *v = joined;
                changed
            }
        }
    }
}

impl Default for Cond {
    fn default() -> Self {
        Cond::All(vec![])
    }
}

/// One row of vtiger's condition JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct VtigerCondition {
    /// Field name or `(ref : (Module) field)`.
    pub fieldname: String,
    /// Operator text.
    pub operation: String,
    /// Compare value (text).
    #[serde(default, deserialize_with = "string_or_number")]
    pub value: String,
    /// `rawtext`, `fieldname` or `expression`.
    #[serde(default)]
    pub valuetype: String,
    /// `and` / `or` with the next row.
    #[serde(default)]
    pub joincondition: String,
    /// Group number.
    #[serde(default, deserialize_with = "string_or_number")]
    pub groupid: String,
    /// How this group joins the previous one.
    #[serde(default)]
    pub groupjoin: String,
}

pub(crate) fn string_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<String, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    })
}

/// A condition group while reading rows: group id, group join, `(joined with or, test)` items.
type RowGroup = (String, String, Vec<(bool, Cond)>);

/// Combines `(join, item)` pairs with and-before-or precedence.
fn fold_joins(items: Vec<(bool, Cond)>) -> Cond {
    // `items[i].0` is true when item i is joined to the previous one with `or`.
    let mut ors: Vec<Vec<Cond>> = vec![];
    for (is_or, c) in items {
        match ors.last_mut() {
            Some(run) if !is_or => run.push(c),
            _ => ors.push(vec![c]),
        }
    }
    let mut alts: Vec<Cond> = ors.into_iter().map(|mut run| if run.len() == 1 { run.remove(0) } else { Cond::All(run) }).collect();
    if alts.len() == 1 { alts.remove(0) } else { Cond::Any(alts) }
}

impl Cond {
    /// Reads vtiger's condition JSON (the `test` column: an array of rows, `[]` or empty text = always).
    ///
    /// # Errors
    /// `InvalidArgument` for malformed JSON, an unknown operator, an unknown field or a bad expression.
    pub fn from_vtiger(json: &str, module: &Module) -> Result<Cond> {
        if json.trim().is_empty() {
            return Ok(Cond::default());
        }
        let rows: Vec<VtigerCondition> = serde_json::from_str(json).map_err(|e| Error::invalid(format!("condition JSON: {e}")))?;
        Self::from_rows(&rows, module)
    }

    /// Builds the tree from parsed vtiger rows.
    ///
    /// # Errors
    /// As [`Cond::from_vtiger`].
    pub fn from_rows(rows: &[VtigerCondition], module: &Module) -> Result<Cond> {
        if rows.len() > crate::limits::MAX_CONDITION_ROWS {
            return Err(Error::invalid(format!(
                "the condition has {} rows, the limit is {}",
                rows.len(),
                crate::limits::MAX_CONDITION_ROWS
            )));
        }
        // Groups in order of first appearance.
        let mut groups: Vec<RowGroup> = vec![];
        let mut prev_join_or = false;
        let mut prev_group: Option<String> = None;
        for r in rows {
            let op = WfOp::parse(&r.operation).ok_or_else(|| Error::invalid(format!("unknown condition operator '{}'", r.operation)))?;
            let field = FieldPath::parse(&r.fieldname).ok_or_else(|| Error::invalid(format!("'{}' is not a field", r.fieldname)))?;
            let value = match r.valuetype.trim().to_ascii_lowercase().as_str() {
                _ if !op.needs_value() && r.value.trim().is_empty() => Operand::None,
                "fieldname" => {
                    Operand::Field(FieldPath::parse(&r.value).ok_or_else(|| Error::invalid(format!("'{}' is not a field", r.value)))?)
                }
                "expression" => Operand::Expression(r.value.clone()),
                _ => Operand::Raw(r.value.clone()),
            };
            let test = Cond::Test(Test { field, op, value });
            let gid = r.groupid.trim().to_string();
            if prev_group.as_ref() != Some(&gid) {
                prev_join_or = false;
            }
            match groups.iter_mut().find(|g| g.0 == gid) {
                Some(g) => g.2.push((prev_join_or, test)),
                None => groups.push((gid.clone(), r.groupjoin.trim().to_ascii_lowercase(), vec![(false, test)])),
            }
            prev_join_or = r.joincondition.trim().eq_ignore_ascii_case("or");
            prev_group = Some(gid);
        }
        let items: Vec<(bool, Cond)> =
            groups.into_iter().enumerate().map(|(i, (_, join, items))| (i > 0 && join == "or", fold_joins(items))).collect();
        let c = if items.is_empty() { Cond::default() } else { fold_joins(items) };
        c.check(module)?;
        Ok(c)
    }

    /// Checks fields, operators and expressions against the module (done when a workflow is saved).
    ///
    /// # Errors
    /// `InvalidArgument` naming the first problem.
    pub fn check(&self, module: &Module) -> Result<()> {
        self.check_at(module, 1)
    }

    fn check_at(&self, module: &Module, depth: usize) -> Result<()> {
        if depth > crate::limits::MAX_CONDITION_DEPTH {
            return Err(Error::invalid(format!("the condition nests deeper than {} levels", crate::limits::MAX_CONDITION_DEPTH)));
        }
        match self {
            Cond::All(v) | Cond::Any(v) => v.iter().try_for_each(|c| c.check_at(module, depth + 1)),
            Cond::Not(c) => c.check_at(module, depth + 1),
            Cond::Test(t) => {
                t.field.check(module)?;
                if let FieldPath::Own(n) = &t.field {
                    let f = module.field(n).ok_or_else(|| Error::invalid(format!("no field '{n}'")))?;
                    let dt = matches!(f.field_type, FieldType::Date | FieldType::DateTime);
                    if t.op.is_dateish() && !dt {
                        return Err(Error::invalid(format!(
                            "operator '{}' needs a date field, '{n}' is {:?}",
                            t.op.as_str(),
                            f.field_type
                        )));
                    }
                    if let Operand::Raw(r) = &t.value
                        && t.op.needs_value()
                        && !matches!(t.op, WfOp::HasChanged)
                        && r.trim().is_empty()
                        && !matches!(t.op, WfOp::Is | WfOp::IsNot | WfOp::Contains | WfOp::DoesNotContain)
                    {
                        return Err(Error::invalid(format!("operator '{}' on '{n}' needs a value", t.op.as_str())));
                    }
                }
                match &t.value {
                    Operand::Field(p) => p.check(module),
                    Operand::Expression(e) => Expr::compile(e, module).map(|_| ()),
                    _ => Ok(()),
                }
            }
        }
    }

    /// Evaluates the tree; every test's inputs and result are appended to `trace`.
    #[allow(clippy::unnecessary_fold)]
    pub fn eval(&self, ctx: &Ctx<'_>, trace: &mut Vec<TestTrace>) -> bool {
        match self {
            // Evaluate every child (no short-circuit) so the trace shows every test.
            Cond::All(v) => v.iter().map(|c| c.eval(ctx, trace)).fold(true, |a, b| a && b),
            Cond::Any(v) => v.iter().map(|c| c.eval(ctx, trace)).fold(false, |a, b| a || b),
            Cond::Not(c) => !c.eval(ctx, trace),
            Cond::Test(t) => {
                let (result, actual, before, expected, note) = t.eval(ctx);
                trace.push(TestTrace { field: t.field.to_string(), op: t.op.as_str().into(), expected, actual, before, result, note });
                result
            }
        }
    }

    /// The part of the tree expressible as a list filter, for selecting scheduled-workflow candidates in
    /// storage; `None` when some test needs the workflow evaluator (then every record is a candidate and
    /// [`Cond::eval`] decides).
    pub fn to_query(&self, module: &Module) -> Option<query::Condition> {
        self.to_query_in(module, false)
    }

    /// [`Cond::to_query`] for a tree under `negated` (an odd number of `not`s above it). The query must keep
    /// every record the evaluator accepts. Queries compare text ignoring case, the evaluator compares it
    /// exactly: a query `=` is wider than the evaluator's `is`, so it may stand for `is` only where it is not
    /// negated, and a query `<>` narrower than `is not`, so that only under a negation; orderings of text
    /// (folded in queries, byte-wise in the evaluator) are left to the evaluator (found by the
    /// push-down property test).
    fn to_query_in(&self, module: &Module, negated: bool) -> Option<query::Condition> {
        match self {
            Cond::All(v) => Some(query::Condition::All(v.iter().map(|c| c.to_query_in(module, negated)).collect::<Option<_>>()?)),
            Cond::Any(v) => Some(query::Condition::Any(v.iter().map(|c| c.to_query_in(module, negated)).collect::<Option<_>>()?)),
            Cond::Not(c) => Some(query::Condition::Not(Box::new(c.to_query_in(module, !negated)?))),
            Cond::Test(t) => {
                let FieldPath::Own(f) = &t.field else { return None };
                let field = module.field(f)?;
                // The evaluator compares the trimmed text; so does the push-down.
                let raw = match &t.value {
                    Operand::Raw(r) => Some(r.trim().to_string()),
                    Operand::None => None,
                    _ => return None,
                };
                if matches!(field.field_type, FieldType::Owner | FieldType::Reference) && raw.is_some() {
                    return None;
                }
                // Left to the evaluator (found by a property test): text tests with an empty text
                // (`contains ""` holds for empty fields too), and `is` / `is not` on a multi-select, which
                // mean "holds exactly these values" there but "has this value" in a query.
                let empty_text = raw.as_deref().is_some_and(str::is_empty)
                    && matches!(t.op, WfOp::Contains | WfOp::DoesNotContain | WfOp::StartsWith | WfOp::EndsWith);
                let multi_is = field.field_type == FieldType::MultiPicklist && matches!(t.op, WfOp::Is | WfOp::IsNot) && raw.is_some();
                if empty_text || multi_is {
                    return None;
                }
                let cased = raw.as_deref().is_some_and(|r| !r.is_empty())
                    && (field.field_type.is_textual() || matches!(field.field_type, FieldType::Picklist | FieldType::MultiPicklist));
                let narrower = match t.op {
                    WfOp::Is => negated,
                    WfOp::IsNot => !negated,
                    WfOp::LessThan
                    | WfOp::GreaterThan
                    | WfOp::LessOrEqual
                    | WfOp::GreaterOrEqual
                    | WfOp::Before
                    | WfOp::After
                    | WfOp::Between => true,
                    _ => false,
                };
                if cased && narrower {
                    return None;
                }
                let op = match t.op {
                    WfOp::Is => query::Op::Eq,
                    WfOp::IsNot => query::Op::Ne,
                    WfOp::LessThan | WfOp::Before => query::Op::Lt,
                    WfOp::GreaterThan | WfOp::After => query::Op::Gt,
                    WfOp::LessOrEqual => query::Op::Le,
                    WfOp::GreaterOrEqual => query::Op::Ge,
                    WfOp::StartsWith => query::Op::StartsWith,
                    WfOp::EndsWith => query::Op::EndsWith,
                    WfOp::IsEmpty => query::Op::IsEmpty,
                    WfOp::IsNotEmpty => query::Op::IsNotEmpty,
                    WfOp::Contains if field.field_type != FieldType::MultiPicklist => query::Op::Contains,
                    WfOp::DoesNotContain if field.field_type != FieldType::MultiPicklist => query::Op::NotContains,
                    WfOp::Between => {
                        let r = raw?;
                        let (a, b) = r.split_once(',')?;
                        return Some(query::Condition::between(f.clone(), a.trim(), b.trim()));
                    }
                    _ => return None,
                };
                // `is ""` means "is empty" in workflows.
                let op = match (op, raw.as_deref().map(str::trim)) {
                    (query::Op::Eq, Some("")) => return Some(query::Condition::is_empty(f.clone())),
                    (query::Op::Ne, Some("")) => return Some(query::Condition::is_not_empty(f.clone())),
                    (op, _) => op,
                };
                let values = match raw {
                    Some(r) if op.arity().contains(&1) => vec![Value::Text(r)],
                    None if op.arity().contains(&0) => vec![],
                    _ => return None,
                };
                Some(query::Condition::Compare { field: f.clone(), op, values })
            }
        }
    }
}

/// How one test was evaluated (for dry runs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestTrace {
    /// The field path.
    pub field: String,
    /// The operator.
    pub op: String,
    /// The compare value after evaluation (text).
    pub expected: Option<String>,
    /// The field's value (text).
    pub actual: Option<String>,
    /// The field's value before the save (has-changed operators).
    pub before: Option<String>,
    /// The outcome.
    pub result: bool,
    /// Why, when not obvious (e.g. "false on creation").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

type Outcome = (bool, Option<String>, Option<String>, Option<String>, Option<String>);

impl Test {
    pub(super) fn eval(&self, ctx: &Ctx<'_>) -> Outcome {
        let actual = match ctx.path_value(&self.field) {
            Ok(v) => v,
            Err(e) => return (false, None, None, None, Some(e.to_string())),
        };
        let field = ctx.field_def(&self.field);
        let expected = match self.resolve_operand(ctx, field.as_ref()) {
            Ok(v) => v,
            Err(e) => return (false, ctx.text_of(&actual), None, None, Some(e)),
        };
        let exp_text = match &expected {
            Value::Null => match &self.value {
                Operand::Raw(r) if !r.is_empty() => Some(r.clone()),
                _ => None,
            },
            v => ctx.text_of(v),
        };
        let before = match (&self.field, ctx.before) {
            (FieldPath::Own(n), Some(b)) => Some(b.get(n).clone()),
            _ => None,
        };
        let (r, note) = self.decide(ctx, &actual, before.as_ref(), &expected, field.as_ref().map(|f| f.field_type));
        (r, ctx.text_of(&actual), before.as_ref().and_then(|b| ctx.text_of(b)), exp_text, note)
    }

    /// The compare value converted to the field's type where that makes sense.
    fn resolve_operand(&self, ctx: &Ctx<'_>, field: Option<&crate::schema::Field>) -> std::result::Result<Value, String> {
        match &self.value {
            Operand::None => Ok(Value::Null),
            Operand::Field(p) => ctx.path_value(p).map_err(|e| e.to_string()),
            Operand::Expression(src) => {
                let e = Expr::compile(src, ctx.module).map_err(|e| e.to_string())?;
                let v = e.eval(ctx)?;
                Ok(match (v, field) {
                    (ExprValue::Text(s), Some(f)) if !matches!(f.field_type, FieldType::Reference | FieldType::Owner) => {
                        raw_to_value(&s, f, self.op, ctx.env)
                    }
                    (v, _) => v.into_value(),
                })
            }
            Operand::Raw(r) => Ok(match field {
                Some(f) => raw_to_value(r, f, self.op, ctx.env),
                None => Value::Text(r.trim().to_string()),
            }),
        }
    }

    fn decide(&self, ctx: &Ctx<'_>, v: &Value, before: Option<&Value>, x: &Value, ft: Option<FieldType>) -> (bool, Option<String>) {
        use WfOp::*;
        let eq = |a: &Value, b: &Value| values_equal(a, b, ctx);
        let raw = match &self.value {
            Operand::Raw(r) => r.trim().to_string(),
            _ => x.to_text().unwrap_or_default(),
        };
        let n_days = || raw.parse::<i64>().ok().or_else(|| x.as_decimal().and_then(|d| i64::try_from(d.trunc()).ok()));
        let today = ctx.today();
        let date_of = |val: &Value| -> Option<NaiveDate> {
            match val {
                Value::DateTime(d) => Some(ctx.to_local(*d).date()),
                Value::Date(d) => Some(*d),
                _ => None,
            }
        };
        let r = match self.op {
            Is => {
                if matches!(x, Value::Null) && raw.is_empty() {
                    v.is_empty()
                } else {
                    !v.is_empty() && eq(v, x)
                }
            }
            IsNot => {
                if matches!(x, Value::Null) && raw.is_empty() {
                    !v.is_empty()
                } else {
                    v.is_empty() || !eq(v, x)
                }
            }
            LessThan | Before => !v.is_empty() && !x.is_empty() && cmp(v, x, ctx) == Some(Ordering::Less),
            GreaterThan | After => !v.is_empty() && !x.is_empty() && cmp(v, x, ctx) == Some(Ordering::Greater),
            LessOrEqual => !v.is_empty() && !x.is_empty() && matches!(cmp(v, x, ctx), Some(Ordering::Less | Ordering::Equal)),
            GreaterOrEqual => !v.is_empty() && !x.is_empty() && matches!(cmp(v, x, ctx), Some(Ordering::Greater | Ordering::Equal)),
            Contains | DoesNotContain | StartsWith | EndsWith => {
                let hay = query::fold(&ctx.text_of(v).unwrap_or_default());
                let needle = query::fold(&raw);
                let hit = match (self.op, v, ft) {
                    (Contains | DoesNotContain, Value::List(_), _) | (Contains | DoesNotContain, _, Some(FieldType::MultiPicklist)) => {
                        let items: Vec<String> = match v {
                            Value::List(l) => l.iter().map(|s| query::fold(s)).collect(),
                            _ => vec![],
                        };
                        let wanted: Vec<String> = needle.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
                        if wanted.is_empty() {
                            items.is_empty()
                        } else {
                            wanted.iter().any(|w| items.iter().any(|i| i.contains(w.as_str())))
                        }
                    }
                    (StartsWith, ..) => !v.is_empty() && hay.starts_with(&needle),
                    (EndsWith, ..) => !v.is_empty() && hay.ends_with(&needle),
                    _ => hay.contains(&needle),
                };
                if self.op == DoesNotContain { !hit } else { hit }
            }
            HasChanged | HasChangedTo | HasChangedFrom => {
                let Some(b) = before else {
                    return (
                        false,
                        Some(
                            if ctx.before.is_none() {
                                "false on creation and in scheduled runs"
                            } else {
                                "related fields have no previous value"
                            }
                            .into(),
                        ),
                    );
                };
                let changed = b.to_text() != v.to_text();
                match self.op {
                    HasChanged if matches!(self.value, Operand::None) || (raw.is_empty() && x.is_empty()) => changed,
                    HasChanged | HasChangedTo => changed && eq(v, x),
                    _ => changed && eq(b, x),
                }
            }
            IsEmpty => v.is_empty(),
            IsNotEmpty => !v.is_empty(),
            Between => {
                let parts: Vec<&str> = raw.split(',').map(str::trim).collect();
                let (Some(lo), Some(hi)) = (parts.first(), parts.get(1)) else { return (false, Some("between needs 'd1,d2'".into())) };
                let conv = |s: &str| match ft {
                    Some(FieldType::DateTime) => crate::value::parse_datetime(s).map(Value::DateTime),
                    _ => crate::value::parse_date(s).map(Value::Date),
                };
                let (Some(lo), Some(hi)) = (conv(lo), conv(hi)) else { return (false, Some("between needs two dates".into())) };
                !v.is_empty() && cmp(v, &lo, ctx) != Some(Ordering::Less) && cmp(v, &hi, ctx) != Some(Ordering::Greater)
            }
            IsToday | IsTomorrow | IsYesterday => {
                let target = match self.op {
                    IsToday => Some(today),
                    IsTomorrow => today.succ_opt(),
                    _ => today.pred_opt(),
                };
                match (date_of(v), target) {
                    // A birthday is today when its month and day are (vtiger does the same for `birthday`).
                    (Some(d), Some(t)) if matches!(&self.field, FieldPath::Own(n) | FieldPath::Related { field: n, .. } if n == "birthday") => {
                        (d.month(), d.day()) == (t.month(), t.day())
                    }
                    (Some(d), Some(t)) => d == t,
                    _ => false,
                }
            }
            LessThanDaysAgo | MoreThanDaysAgo | LessThanDaysLater | MoreThanDaysLater | DaysAgo | DaysLater => {
                let (Some(d), Some(n)) = (date_of(v), n_days()) else { return (false, Some("empty field or day count".into())) };
                let span = Duration::try_days(n);
                let (Some(ago), Some(later)) =
                    (span.and_then(|x| today.checked_sub_signed(x)), span.and_then(|x| today.checked_add_signed(x)))
                else {
                    return (false, Some("day count out of range".into()));
                };
                match self.op {
                    LessThanDaysAgo => ago <= d && d <= today,
                    MoreThanDaysAgo => d <= ago,
                    LessThanDaysLater => today <= d && d <= later,
                    MoreThanDaysLater => d >= later,
                    DaysAgo => d == ago,
                    _ => d == later,
                }
            }
            LessThanHoursBefore | LessThanHoursLater | MoreThanHoursBefore | MoreThanHoursLater => {
                let t: Option<NaiveDateTime> = match v {
                    Value::DateTime(d) => Some(*d),
                    Value::Date(d) => Some(d.and_time(chrono::NaiveTime::MIN)),
                    _ => None,
                };
                let (Some(t), Some(n)) = (t, n_days()) else { return (false, Some("empty field or hour count".into())) };
                let now = ctx.now.naive_utc();
                let Some(h) =
                    Duration::try_hours(n).filter(|h| now.checked_sub_signed(*h).is_some() && now.checked_add_signed(*h).is_some())
                else {
                    return (false, Some("hour count out of range".into()));
                };
                match self.op {
                    LessThanHoursBefore => now - h <= t && t <= now,
                    LessThanHoursLater => now <= t && t <= now + h,
                    MoreThanHoursBefore => t <= now - h,
                    _ => t >= now + h,
                }
            }
            IsAdded => false,
        };
        (r, None)
    }
}

/// Converts a raw compare text to a value of the field's type (vtiger forms accepted: `true:boolean`,
/// owner and reference names). Text that does not convert is kept as text.
pub(super) fn raw_to_value(raw: &str, f: &crate::schema::Field, op: WfOp, env: &dyn super::Env) -> Value {
    let r = raw.trim();
    if r.is_empty() {
        return Value::Null;
    }
    if matches!(op, WfOp::Contains | WfOp::DoesNotContain | WfOp::StartsWith | WfOp::EndsWith | WfOp::Between)
        || op.is_dateish() && !matches!(op, WfOp::Before | WfOp::After)
    {
        return Value::Text(r.to_string());
    }
    let r = r.strip_suffix(":boolean").unwrap_or(r);
    match f.field_type {
        FieldType::Owner => {
            if let Ok(i) = r.parse::<i64>() {
                return Value::Owner(crate::value::OwnerId(i));
            }
            match env.find_owner(r) {
                Ok(Some(o)) => Value::Owner(o.id()),
                _ => Value::Text(r.to_string()),
            }
        }
        FieldType::Reference => match r.parse::<i64>() {
            Ok(i) => Value::Ref(crate::value::RecordId(i)),
            Err(_) => Value::Text(r.to_string()),
        },
        FieldType::MultiPicklist => Value::Text(r.to_string()),
        _ => {
            let mut target = f.clone();
            target.max_length = None;
            target.precision = None;
            target.scale = None;
            if target.field_type == FieldType::Percent {
                target.field_type = FieldType::Decimal;
            }
            coerce(&target, Value::Text(r.to_string())).unwrap_or_else(|_| Value::Text(r.to_string()))
        }
    }
}

pub(super) fn cmp(a: &Value, b: &Value, ctx: &Ctx<'_>) -> Option<Ordering> {
    match (a, b) {
        (Value::Ref(_) | Value::Owner(_), Value::Text(_)) => Some(ctx.display(a).cmp(&b.to_text().unwrap_or_default())),
        (Value::Decimal(_) | Value::Int(_), Value::Text(t)) => crate::value::parse_decimal(t).map(|d| order(a, &Value::Decimal(d))),
        (Value::Text(_), Value::Decimal(_) | Value::Int(_)) => cmp(b, a, ctx).map(Ordering::reverse),
        _ => Some(order(a, b)),
    }
}

pub(super) fn values_equal(a: &Value, b: &Value, ctx: &Ctx<'_>) -> bool {
    match (a, b) {
        (Value::List(items), Value::Text(t)) => {
            let want: Vec<&str> = t.split([',']).map(str::trim).filter(|s| !s.is_empty()).collect();
            // A multi-select "is" a value when it holds exactly those values (order ignored).
            want.len() == items.len() && want.iter().all(|w| items.iter().any(|i| i == w))
        }
        (Value::Ref(_) | Value::Owner(_), Value::Text(t)) => ctx.display(a).eq_ignore_ascii_case(t.trim()),
        _ => cmp(a, b, ctx) == Some(Ordering::Equal),
    }
}
