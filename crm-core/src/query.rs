//! The query model shared by listings, filters, reports and (later) workflow conditions.
//!
//! A [`Query`] names a module, an optional [`Condition`] tree, a sort order and a page. Storage adapters
//! execute it: the memory adapter with [`Condition::matches`], the SQLite adapter by compiling it to SQL with
//! bound parameters. Both follow the semantics written here, and the storage conformance suite checks that
//! they agree:
//!
//! * `Eq`/`Ne`/`In` compare exactly (case-sensitive for text). `Ne` is true for an empty field. Against an empty
//!   compare value, `Eq` is never true and `Ne` always is.
//! * `Contains`, `NotContains`, `StartsWith` and `EndsWith` ignore case (Unicode lower-casing).
//! * `Lt`/`Le`/`Gt`/`Ge`/`Between` (inclusive) compare numbers numerically, dates chronologically and text
//!   byte-wise; an empty field, or an empty compare value, never satisfies them.
//! * `IsEmpty` is true for an empty field only: unlike vtiger, `0` is not empty.
//! * On multi-select picklists, `Eq` means "has this value", `Ne` "does not have it", `In` "has any of these".
//!
//! The pseudo-field [`ID_FIELD`] (`id`) compares record ids (keyset paging uses it to break ties).
//!
//! Conditions are checked against the module's fields by [`Query::normalize`]: unknown fields and operators
//! that do not fit a field's type are refused, and compare values are converted to the field's type.

use crate::error::{Error, Result};
use crate::schema::{FieldType, Module};
use crate::value::{Value, coerce};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// The pseudo-field naming the record id in conditions (`id > 100`); no module field may be called so.
/// Adapters compare it as an integer.
pub const ID_FIELD: &str = "id";

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// Equal to.
    Eq,
    /// Not equal to (true for empty fields).
    Ne,
    /// Less than.
    Lt,
    /// Less than or equal.
    Le,
    /// Greater than.
    Gt,
    /// Greater than or equal.
    Ge,
    /// Between two values, inclusive.
    Between,
    /// Equal to one of several values.
    In,
    /// Contains the text, ignoring case.
    Contains,
    /// Does not contain the text, ignoring case (true for empty fields).
    NotContains,
    /// Starts with the text, ignoring case.
    StartsWith,
    /// Ends with the text, ignoring case.
    EndsWith,
    /// Is empty.
    IsEmpty,
    /// Is not empty.
    IsNotEmpty,
}

impl Op {
    /// Parses an operator symbol or name: `=`, `==`, `!=`, `<>`, `<`, `<=`, `>`, `>=`, `between`, `in`,
    /// `contains`, `not contains`, `starts with`, `ends with`, `is empty`, `is not empty`, or vtiger's
    /// comparator codes `e n l m g h bw c k s ew y ny`.
    pub fn parse(s: &str) -> Option<Op> {
        let t = s.trim().to_ascii_lowercase().replace(['_', '-'], " ");
        Some(match t.as_str() {
            "=" | "==" | "eq" | "e" | "is" | "equals" | "equal to" => Op::Eq,
            "!=" | "<>" | "ne" | "n" | "is not" | "not equal to" | "does not equal" => Op::Ne,
            "<" | "lt" | "l" | "less than" | "b" | "before" => Op::Lt,
            "<=" | "le" | "m" | "less than or equal to" => Op::Le,
            ">" | "gt" | "g" | "greater than" | "a" | "after" => Op::Gt,
            ">=" | "ge" | "h" | "greater than or equal to" => Op::Ge,
            "between" | "bw" => Op::Between,
            "in" => Op::In,
            "contains" | "c" | "like" => Op::Contains,
            "not contains" | "does not contain" | "k" => Op::NotContains,
            "starts with" | "s" | "startswith" => Op::StartsWith,
            "ends with" | "ew" | "endswith" => Op::EndsWith,
            "is empty" | "y" | "empty" => Op::IsEmpty,
            "is not empty" | "ny" | "not empty" => Op::IsNotEmpty,
            _ => return None,
        })
    }

    /// True when the operator fits a field of type `t`.
    pub fn fits(self, t: FieldType) -> bool {
        use FieldType as T;
        match self {
            Op::Eq | Op::Ne | Op::In | Op::IsEmpty | Op::IsNotEmpty => true,
            Op::Lt | Op::Le | Op::Gt | Op::Ge | Op::Between => {
                !matches!(t, T::Checkbox | T::MultiPicklist | T::Reference | T::Owner | T::Picklist)
            }
            Op::Contains | Op::NotContains | Op::StartsWith | Op::EndsWith => t.is_textual() || matches!(t, T::Picklist | T::MultiPicklist),
        }
    }

    /// Number of compare values the operator takes.
    pub fn arity(self) -> std::ops::RangeInclusive<usize> {
        match self {
            Op::IsEmpty | Op::IsNotEmpty => 0..=0,
            Op::Between => 2..=2,
            Op::In => 1..=usize::MAX,
            _ => 1..=1,
        }
    }
}

/// A condition tree over the fields of one module.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// Every child holds (true when empty).
    All(Vec<Condition>),
    /// At least one child holds (false when empty).
    Any(Vec<Condition>),
    /// The child does not hold.
    Not(Box<Condition>),
    /// A field compared with values.
    Compare {
        /// Field name.
        field: String,
        /// Operator.
        op: Op,
        /// Compare values (none, one, two for `Between`, several for `In`).
        #[serde(default)]
        values: Vec<Value>,
    },
}

impl Condition {
    /// `field op value`.
    pub fn cmp(field: impl Into<String>, op: Op, value: impl Into<Value>) -> Condition {
        Condition::Compare { field: field.into(), op, values: vec![value.into()] }
    }
    /// `field = value`.
    pub fn eq(field: impl Into<String>, value: impl Into<Value>) -> Condition {
        Self::cmp(field, Op::Eq, value)
    }
    /// `low <= field <= high`.
    pub fn between(field: impl Into<String>, low: impl Into<Value>, high: impl Into<Value>) -> Condition {
        Condition::Compare { field: field.into(), op: Op::Between, values: vec![low.into(), high.into()] }
    }
    /// `field` is one of `values`.
    pub fn one_of<V: Into<Value>>(field: impl Into<String>, values: impl IntoIterator<Item = V>) -> Condition {
        Condition::Compare { field: field.into(), op: Op::In, values: values.into_iter().map(Into::into).collect() }
    }
    /// `field` is empty.
    pub fn is_empty(field: impl Into<String>) -> Condition {
        Condition::Compare { field: field.into(), op: Op::IsEmpty, values: vec![] }
    }
    /// `field` is not empty.
    pub fn is_not_empty(field: impl Into<String>) -> Condition {
        Condition::Compare { field: field.into(), op: Op::IsNotEmpty, values: vec![] }
    }
    /// Both conditions.
    pub fn and(self, other: Condition) -> Condition {
        match self {
            Condition::All(mut v) => {
                v.push(other);
                Condition::All(v)
            }
            c => Condition::All(vec![c, other]),
        }
    }

    /// Evaluates the condition against field values (`get` returns `Value::Null` for empty fields).
    /// Expects a normalized condition (see [`Query::normalize`]).
    pub fn matches<'a>(&self, get: &dyn Fn(&str) -> &'a Value) -> bool {
        match self {
            Condition::All(v) => v.iter().all(|c| c.matches(get)),
            Condition::Any(v) => v.iter().any(|c| c.matches(get)),
            Condition::Not(c) => !c.matches(get),
            Condition::Compare { field, op, values } => compare(get(field), *op, values),
        }
    }

    /// Every field name the condition uses.
    pub fn fields(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.walk(&mut |c| {
            if let Condition::Compare { field, .. } = c {
                out.push(field.as_str());
            }
        });
        out
    }

    fn walk<'a>(&'a self, f: &mut dyn FnMut(&'a Condition)) {
        f(self);
        match self {
            Condition::All(v) | Condition::Any(v) => v.iter().for_each(|c| c.walk(f)),
            Condition::Not(c) => c.walk(f),
            Condition::Compare { .. } => {}
        }
    }

    /// How deeply the tree nests (a comparison is 1), walked without recursion.
    pub fn depth(&self) -> usize {
        let mut deepest = 0;
        let mut stack = vec![(self, 1usize)];
        while let Some((c, d)) = stack.pop() {
            deepest = deepest.max(d);
            match c {
                Condition::All(v) | Condition::Any(v) => stack.extend(v.iter().map(|x| (x, d + 1))),
                Condition::Not(x) => stack.push((x, d + 1)),
                Condition::Compare { .. } => {}
            }
        }
        deepest
    }

    /// The tree itself when it nests at most [`MAX_QUERY_DEPTH`](crate::limits::MAX_QUERY_DEPTH) levels.
    /// A deeper tree is taken apart without recursion (dropping it could otherwise overflow the stack).
    fn bounded(self) -> Result<Condition> {
        let max = crate::limits::MAX_QUERY_DEPTH;
        let depth = self.depth();
        if depth <= max {
            return Ok(self);
        }
        let mut stack = vec![self];
        while let Some(c) = stack.pop() {
            match c {
                Condition::All(v) | Condition::Any(v) => stack.extend(v),
                Condition::Not(x) => stack.push(*x),
                Condition::Compare { .. } => {}
            }
        }
        Err(Error::invalid(format!("the query condition nests {depth} levels deep; the limit is {max} (limits::MAX_QUERY_DEPTH)")))
    }

    fn normalize(self, module: &Module) -> Result<Condition> {
        Ok(match self {
            Condition::All(v) => Condition::All(v.into_iter().map(|c| c.normalize(module)).collect::<Result<_>>()?),
            Condition::Any(v) => Condition::Any(v.into_iter().map(|c| c.normalize(module)).collect::<Result<_>>()?),
            Condition::Not(c) => Condition::Not(Box::new(c.normalize(module)?)),
            Condition::Compare { field, op, values } if field == ID_FIELD => {
                if !matches!(op, Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge | Op::Between | Op::In) {
                    return Err(Error::invalid(format!("operator {op:?} does not fit the record id")));
                }
                if !op.arity().contains(&values.len()) {
                    return Err(Error::invalid(format!("operator {op:?} on the record id takes {:?} values", op.arity())));
                }
                let values = values
                    .into_iter()
                    .map(|v| match v {
                        Value::Int(i) => Ok(Value::Int(i)),
                        Value::Ref(r) => Ok(Value::Int(r.0)),
                        other => other
                            .to_text()
                            .and_then(|t| t.trim().parse::<i64>().ok())
                            .map(Value::Int)
                            .ok_or_else(|| Error::invalid(format!("'{other}' is not a record id"))),
                    })
                    .collect::<Result<Vec<_>>>()?;
                Condition::Compare { field, op, values }
            }
            Condition::Compare { field, op, values } => {
                let f = module
                    .field_by_name_or_label(&field)
                    .ok_or_else(|| Error::invalid(format!("{} has no field '{field}'", module.name)))?;
                if !op.fits(f.field_type) {
                    return Err(Error::invalid(format!("operator {op:?} does not fit field '{}' of type {:?}", f.name, f.field_type)));
                }
                let values = if matches!(op, Op::In) && values.len() == 1 {
                    match values.into_iter().next() {
                        Some(Value::List(l)) => l.into_iter().map(Value::Text).collect(),
                        Some(v) => vec![v],
                        None => vec![],
                    }
                } else {
                    values
                };
                // Multi-select: one compare value is one picklist value. Lists (and text holding the separator)
                // are several values: fine for `In` (any of them), refused for `Eq`/`Ne` (the memory
                // and SQL adapters read such a value differently).
                let values = if f.field_type == FieldType::MultiPicklist && matches!(op, Op::Eq | Op::Ne | Op::In) {
                    let mut flat = Vec::new();
                    for v in values {
                        match v {
                            Value::List(l) => flat.extend(l.into_iter().map(Value::Text)),
                            Value::Text(t) if t.contains(crate::value::MULTI_SEPARATOR.trim()) => {
                                flat.extend(crate::value::split_multi(&t).into_iter().map(Value::Text));
                            }
                            other => flat.push(other),
                        }
                    }
                    if op != Op::In && flat.len() > 1 {
                        return Err(Error::invalid(format!(
                            "operator {op:?} on multi-select '{}' compares one value; use In for any of several",
                            f.name
                        )));
                    }
                    flat
                } else {
                    values
                };
                if !op.arity().contains(&values.len()) {
                    return Err(Error::invalid(format!(
                        "operator {op:?} on '{}' takes {:?} values, got {}",
                        f.name,
                        op.arity(),
                        values.len()
                    )));
                }
                let text_op = matches!(op, Op::Contains | Op::NotContains | Op::StartsWith | Op::EndsWith);
                let values = values
                    .into_iter()
                    .map(|v| {
                        if text_op {
                            return Ok(Value::Text(v.to_text().unwrap_or_default()));
                        }
                        let mut target = f.clone();
                        // Compare values are not bound by storage limits or the 0..=100 percent rule.
                        target.max_length = None;
                        target.precision = None;
                        target.scale = None;
                        if target.field_type == FieldType::Percent {
                            target.field_type = FieldType::Decimal;
                        }
                        if f.field_type == FieldType::MultiPicklist {
                            target.field_type = FieldType::Text;
                        }
                        let scaled = coerce(&target, v).map_err(|e| Error::invalid(format!("condition on '{}': {}", f.name, e.message)))?;
                        // Keep decimals comparable with stored values of the field's scale.
                        Ok(match (scaled, f.field_type.is_decimal()) {
                            (Value::Decimal(d), true) => Value::Decimal(d.normalize()),
                            (v, _) => v,
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                Condition::Compare { field: f.name.clone(), op, values }
            }
        })
    }
}

/// Folds text for case-insensitive comparison: [`crate::text::fold`] (Unicode lower case, Arabic/Persian
/// letter variants, native digits, ZWNJ and tatweel). The SQLite adapter registers the same function as
/// `crm_fold`; PostgreSQL computes it in SQL, so every backend agrees.
pub fn fold(s: &str) -> String {
    crate::text::fold(s)
}

/// Orders two values of the same field: empty first, then numbers numerically, dates chronologically,
/// text byte-wise.
pub fn order(a: &Value, b: &Value) -> Ordering {
    use Value as V;
    match (a, b) {
        (V::Null, V::Null) => Ordering::Equal,
        (V::Null, _) => Ordering::Less,
        (_, V::Null) => Ordering::Greater,
        (V::Int(x), V::Int(y)) => x.cmp(y),
        (V::Decimal(_) | V::Int(_), V::Decimal(_) | V::Int(_)) => a.as_decimal().cmp(&b.as_decimal()),
        (V::Date(x), V::Date(y)) => x.cmp(y),
        (V::DateTime(x), V::DateTime(y)) => x.cmp(y),
        (V::Date(x), V::DateTime(y)) => x.and_time(chrono::NaiveTime::MIN).cmp(y),
        (V::DateTime(x), V::Date(y)) => x.cmp(&y.and_time(chrono::NaiveTime::MIN)),
        (V::Time(x), V::Time(y)) => x.cmp(y),
        (V::Bool(x), V::Bool(y)) => x.cmp(y),
        (V::Ref(x), V::Ref(y)) => x.cmp(y),
        (V::Owner(x), V::Owner(y)) => x.cmp(y),
        _ => a.to_text().cmp(&b.to_text()),
    }
}

fn compare(v: &Value, op: Op, args: &[Value]) -> bool {
    let first = args.first().unwrap_or(&Value::Null);
    if let Value::List(items) = v {
        let has = |x: &Value| x.to_text().is_some_and(|t| items.contains(&t));
        return match op {
            Op::Eq => has(first),
            Op::Ne => !has(first),
            Op::In => args.iter().any(has),
            Op::IsEmpty => items.is_empty(),
            Op::IsNotEmpty => !items.is_empty(),
            _ => text_compare(&v.to_text().unwrap_or_default(), op, first),
        };
    }
    match op {
        Op::IsEmpty => v.is_empty(),
        Op::IsNotEmpty => !v.is_empty(),
        Op::Eq => !v.is_empty() && order(v, first) == Ordering::Equal,
        Op::Ne => v.is_empty() || order(v, first) != Ordering::Equal,
        Op::In => !v.is_empty() && args.iter().any(|a| order(v, a) == Ordering::Equal),
        // An empty compare value orders like SQL's NULL: nothing is less or greater than it.
        Op::Lt | Op::Le | Op::Gt | Op::Ge | Op::Between
            if first.is_empty() || op == Op::Between && args.get(1).is_none_or(Value::is_empty) =>
        {
            false
        }
        Op::Lt => !v.is_empty() && order(v, first) == Ordering::Less,
        Op::Le => !v.is_empty() && order(v, first) != Ordering::Greater,
        Op::Gt => !v.is_empty() && order(v, first) == Ordering::Greater,
        Op::Ge => !v.is_empty() && order(v, first) != Ordering::Less,
        Op::Between => {
            let hi = args.get(1).unwrap_or(&Value::Null);
            !v.is_empty() && order(v, first) != Ordering::Less && order(v, hi) != Ordering::Greater
        }
        Op::Contains | Op::NotContains | Op::StartsWith | Op::EndsWith => {
            if v.is_empty() {
                return op == Op::NotContains;
            }
            text_compare(&v.to_text().unwrap_or_default(), op, first)
        }
    }
}

fn text_compare(hay: &str, op: Op, needle: &Value) -> bool {
    let hay = fold(hay);
    let needle = fold(&needle.to_text().unwrap_or_default());
    match op {
        Op::Contains => hay.contains(&needle),
        Op::NotContains => !hay.contains(&needle),
        Op::StartsWith => hay.starts_with(&needle),
        Op::EndsWith => hay.ends_with(&needle),
        _ => false,
    }
}

/// One sort key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sort {
    /// Field name.
    pub field: String,
    /// Descending when true.
    #[serde(default)]
    pub descending: bool,
}

impl Sort {
    /// Ascending by `field`.
    pub fn asc(field: impl Into<String>) -> Sort {
        Sort { field: field.into(), descending: false }
    }
    /// Descending by `field`.
    pub fn desc(field: impl Into<String>) -> Sort {
        Sort { field: field.into(), descending: true }
    }
    /// Parses `field` (ascending) or `-field` (descending).
    pub fn parse(s: &str) -> Sort {
        match s.trim().strip_prefix('-') {
            Some(f) => Sort::desc(f.trim()),
            None => Sort::asc(s.trim().trim_start_matches('+')),
        }
    }
}

/// Which records of a module to list, in which order, which page.
///
/// # Example
/// ```
/// use crm_core::{Condition, Op, Query};
/// use crm_core::{Crm, Fields, NewUser};
/// # fn main() -> Result<(), crm_core::Error> {
/// let mut crm = Crm::open(":memory:")?;
/// crm.add_user(NewUser::new("admin"))?;
/// crm.set_actor("admin")?;
/// let deal = crm.create("Potentials", Fields::new()
///     .with("potentialname", "Hooli renewal")
///     .with("amount", "12000")
///     .with("sales_stage", "Prospecting")
///     .with("closingdate", "2027-03-31"))?;
/// let q = Query::new("Potentials")
///     .filter(Condition::cmp("amount", Op::Ge, "10000").and(Condition::eq("sales_stage", "Prospecting")))
///     .order_by("-amount")
///     .page(1, 20);
/// assert_eq!(crm.find(q)?[0].id, deal.id);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Query {
    /// Module name.
    pub module: String,
    /// Condition (none = every record).
    #[serde(default)]
    pub condition: Option<Condition>,
    /// Sort keys; ties are broken by id. Empty = most recently modified first (vtiger's default).
    #[serde(default)]
    pub sort: Vec<Sort>,
    /// Page size (none = all).
    #[serde(default)]
    pub limit: Option<u64>,
    /// Records skipped before the page.
    #[serde(default)]
    pub offset: u64,
    /// List the recycle bin instead of live records.
    #[serde(default)]
    pub deleted: bool,
    /// Access control: only records whose owner is in this scope (none = every record). Set by the
    /// service from the acting user's rights (`Crm::scoped`), never by callers; every adapter applies it
    /// in the same statement as the condition (SQL: `AND t.assigned_user_id IN (...)`).
    #[serde(skip)]
    pub scope: Option<OwnerScope>,
}

/// The owners whose records a [`Query`] may return: access control's record predicate, compiled from the
/// acting user's rights ([`crate::access::Rights`]). The SQL adapters append it to the `WHERE` of every
/// select, count and aggregate (`storage::sql::compile::from_where`); the memory adapter tests
/// [`OwnerScope::admits`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerScope {
    /// The owner field tested (`assigned_user_id`).
    pub field: String,
    /// The admitted owners, ascending; empty admits no record.
    pub owners: std::sync::Arc<Vec<crate::value::OwnerId>>,
}

impl OwnerScope {
    /// Whether a record whose owner field holds `v` is admitted (an empty owner never is).
    pub fn admits(&self, v: &Value) -> bool {
        matches!(v, Value::Owner(o) if self.owners.binary_search(o).is_ok())
    }
}

/// Which records of one module a restricted reader may see, for the reads that span records rather than
/// run a [`Query`] (the change feed, duplicate groups): set by the service from the acting user's rights
/// (`Crm::record_sight`); each store applies it in its own read (SQL: in the statement).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordSight {
    /// No record (the user may not view the module).
    Nothing,
    /// Every record that exists (a purged record's change-log entries are not shown: its owner is gone).
    Existing,
    /// The records whose owner is admitted.
    Owners(OwnerScope),
}

impl RecordSight {
    /// Whether a record is admitted (`None`: it no longer exists).
    pub fn admits(&self, record: Option<&crate::record::Record>) -> bool {
        match (self, record) {
            (RecordSight::Nothing, _) | (_, None) => false,
            (RecordSight::Existing, Some(_)) => true,
            (RecordSight::Owners(s), Some(r)) => s.admits(r.get(&s.field)),
        }
    }
}

impl Query {
    /// Every live record of `module`.
    pub fn new(module: impl Into<String>) -> Query {
        Query { module: module.into(), condition: None, sort: vec![], limit: None, offset: 0, deleted: false, scope: None }
    }
    /// Adds a condition (and-ed with any existing one).
    pub fn filter(mut self, c: Condition) -> Query {
        self.condition = Some(match self.condition.take() {
            Some(old) => old.and(c),
            None => c,
        });
        self
    }
    /// Adds a sort key (`"closingdate"` or `"-amount"`).
    pub fn order_by(mut self, key: &str) -> Query {
        self.sort.push(Sort::parse(key));
        self
    }
    /// Sets the page size.
    pub fn limit(mut self, n: u64) -> Query {
        self.limit = Some(n);
        self
    }
    /// Sets the number of records skipped.
    pub fn offset(mut self, n: u64) -> Query {
        self.offset = n;
        self
    }
    /// Selects page `page` (1-based) of `size` records.
    pub fn page(self, page: u64, size: u64) -> Query {
        self.limit(size).offset(page.saturating_sub(1).saturating_mul(size))
    }
    /// Lists the recycle bin.
    pub fn in_recycle_bin(mut self) -> Query {
        self.deleted = true;
        self
    }

    /// The query itself when its condition nests at most [`MAX_QUERY_DEPTH`](crate::limits::MAX_QUERY_DEPTH)
    /// levels; checked before anything walks the tree.
    ///
    /// # Errors
    /// `InvalidArgument` naming the limit.
    pub fn bounded(mut self) -> Result<Query> {
        if let Some(c) = self.condition.take() {
            self.condition = Some(c.bounded()?);
        }
        Ok(self)
    }

    /// Checks fields and operators against `module` and converts compare values to the fields' types;
    /// fills in the default sort (modified time, newest first).
    ///
    /// # Errors
    /// `InvalidArgument` for unknown fields, operators that do not fit, or values of the wrong type.
    pub fn normalize(mut self, module: &Module) -> Result<Query> {
        self = self.bounded()?;
        self.module = module.name.clone();
        self.condition = self.condition.map(|c| c.normalize(module)).transpose()?;
        for s in &mut self.sort {
            let f = module
                .field_by_name_or_label(&s.field)
                .ok_or_else(|| Error::invalid(format!("cannot sort: {} has no field '{}'", module.name, s.field)))?;
            s.field = f.name.clone();
        }
        if self.sort.is_empty() && module.field("modifiedtime").is_some() {
            self.sort.push(Sort::desc("modifiedtime"));
        }
        Ok(self)
    }
}

/// One group of an aggregate: the group's key, its record count and the sums asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Aggregate {
    /// Value of the group-by field (`Null` for the empty group or when not grouping).
    pub key: Value,
    /// Number of records.
    pub count: u64,
    /// Exact sums of the requested decimal fields, in request order (empty values count as 0).
    pub sums: Vec<rust_decimal::Decimal>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Schema;
    use rust_decimal_macros::dec;

    #[test]
    fn normalize_checks_fields_and_types() {
        let s = Schema::builtin();
        let m = s.module("Potentials").unwrap();
        let q = Query::new("Potentials").filter(Condition::cmp("amount", Op::Gt, "10000")).normalize(m).unwrap();
        assert_eq!(q.condition, Some(Condition::cmp("amount", Op::Gt, Value::Decimal(dec!(10000)))));
        assert!(Query::new("Potentials").filter(Condition::eq("nope", "x")).normalize(m).is_err());
        assert!(Query::new("Potentials").filter(Condition::cmp("amount", Op::Contains, "1")).normalize(m).is_err());
        assert!(Query::new("Potentials").filter(Condition::cmp("amount", Op::Gt, "abc")).normalize(m).is_err());
        assert_eq!(q.sort, vec![Sort::desc("modifiedtime")]);
    }

    #[test]
    fn semantics() {
        let amount = Value::Decimal(dec!(1000.00));
        assert!(compare(&amount, Op::Eq, &[Value::Decimal(dec!(1000))]));
        assert!(compare(&Value::Null, Op::Ne, &[Value::Decimal(dec!(1))]));
        assert!(!compare(&Value::Null, Op::Lt, &[Value::Decimal(dec!(1))]));
        assert!(!compare(&Value::Decimal(dec!(0)), Op::IsEmpty, &[]));
        assert!(compare(&Value::Text("Hooli Deal".into()), Op::Contains, &[Value::Text("DEAL".into())]));
        let multi = Value::List(vec!["a".into(), "b".into()]);
        assert!(compare(&multi, Op::Eq, &[Value::Text("b".into())]));
        assert!(compare(&multi, Op::In, &[Value::Text("x".into()), Value::Text("a".into())]));
        assert!(compare(&Value::Int(5), Op::Between, &[Value::Int(5), Value::Int(6)]));
    }
}
