//! Compiled conditions: a [`Cond`] prepared once and evaluated against many records, with the same result
//! as [`Cond::eval`] but without a trace and without per-call work that does not depend on the record.
//!
//! [`CompiledCond::new`] resolves, once, what [`Cond::eval`] recomputes for every record: each test's field
//! definition (no schema lookup per call), its compare value converted to the field's type (owner names are
//! looked up here, once), the compare value parsed as a number for text-to-number comparisons, and the folded
//! needle of the text tests. [`CompiledCond::eval`] then compares the record's values with no allocation for
//! the common shapes (numbers, dates, text, booleans, ids, ASCII text tests) and short-circuits `and`/`or`.
//!
//! Tests that depend on more than the record's own values — related-record paths, field and expression
//! operands, the has-changed family, day and hour windows relative to now, `between` — are kept as they are
//! and evaluated by the ordinary evaluator, so a compiled condition always means exactly what the condition
//! means. Difference from [`Cond::eval`]: owner names in compare values are resolved when the condition is
//! compiled, not at every evaluation (compile again after renaming users or groups).
//!
//! Each fast test's field is resolved to its slot when compiling, so evaluation reads `values[slot]` with no
//! key comparison from a record whose values are kept in the module's layout (as records from the stores
//! are, see [`Values`](crate::record::Values); other records are read by name), from a slot row ([`Row`],
//! one record's values in field order) and from [`Rows`] (many rows column by column). Operands of
//! `and`/`or` are evaluated cheapest first (every test is pure, so only the short-circuit changes).

use super::condition::{Cond, FieldPath, Operand, Test, WfOp, cmp, raw_to_value, values_equal};
use super::{Ctx, Env};
use crate::error::Result;
use crate::query::{fold, order};
use crate::record::Record;
use crate::row::{Row, Rows};
use crate::schema::{FieldType, Module};
use crate::text::folds_to_ascii;
use crate::value::Value;
use rust_decimal::Decimal;
use std::cmp::Ordering;

/// A condition prepared for evaluation against many records (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledCond {
    root: Node,
    /// The fingerprint of the module layout the slots were resolved against ([`crate::row::RowLayout`]).
    layout: u64,
}

// Most nodes are `Fast`, and they sit inline in their parent's `Vec` so evaluation walks contiguous memory.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
enum Node {
    All(Vec<Node>),
    Any(Vec<Node>),
    Not(Box<Node>),
    Fast(FastTest),
    /// Evaluated by the ordinary evaluator.
    Slow(Test),
}

#[derive(Debug, Clone, PartialEq)]
struct FastTest {
    field: String,
    /// The field's position in the module's fields (its slot in a [`Row`]).
    slot: usize,
    kind: Kind,
    /// The original test, for the value shapes the fast path leaves to the ordinary comparison.
    test: Test,
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    /// `is empty` (`want` true) / `is not empty` (`want` false).
    Empty { want: bool },
    /// `is` / `is not` an empty compare value: the field is (not) empty.
    IsBlank { negate: bool },
    /// `is` / `is not` a value; `fast` holds what the common shapes compare without [`equal`].
    Equal { x: Value, x_dec: Option<Decimal>, negate: bool, fast: Fast },
    /// An ordering test; true when the comparison's result is one of `accept` (less, equal, greater).
    Order { x: Value, x_dec: Option<Decimal>, x_empty: bool, accept: [bool; 3], fast: Fast },
    /// A text test on a single-valued field; `needle` is folded.
    Text { needle: String, ascii: bool, op: WfOp },
}

/// Scales of decimals compared by their integer mantissas ([`Fast::by_scale`]).
const SCALES: usize = 7;

/// A compare value prepared for the shapes met most: decimals with few decimal places and non-blank text.
#[derive(Debug, Clone, PartialEq)]
struct Fast {
    /// The numeric compare value as the mantissa it has at scale 0, 1, ... (`None` where that scale cannot
    /// hold it exactly): a decimal of scale `s` then compares with it as two integers.
    by_scale: Option<[Option<i128>; SCALES]>,
    /// The compare value is non-blank text: a text value equals it exactly when the bytes are equal.
    text: bool,
}

impl Fast {
    fn new(x: &Value, x_dec: Option<Decimal>) -> Fast {
        let d = match x {
            Value::Decimal(d) => Some(*d),
            Value::Int(i) => Some(Decimal::from(*i)),
            Value::Text(_) => x_dec,
            _ => None,
        };
        let by_scale = d.map(|d| {
            let (m, xs) = (d.mantissa(), d.scale());
            std::array::from_fn(|s| {
                let s = u32::try_from(s).unwrap_or(u32::MAX);
                if s >= xs {
                    10i128.checked_pow(s - xs).and_then(|p| m.checked_mul(p))
                } else {
                    let p = 10i128.checked_pow(xs - s)?;
                    (m % p == 0).then(|| m / p)
                }
            })
        });
        Fast { by_scale, text: matches!(x, Value::Text(t) if !t.trim().is_empty()) }
    }

    /// The comparison of a decimal with the compare value, when the mantissas decide it.
    #[inline]
    fn decimal(&self, v: &Decimal) -> Option<Ordering> {
        let m = self.by_scale.as_ref()?.get(usize::try_from(v.scale()).ok()?).copied().flatten()?;
        Some(v.mantissa().cmp(&m))
    }
}

impl CompiledCond {
    /// Prepares `cond` for records of `module`; `env` resolves owner names in compare values.
    pub fn new(cond: &Cond, module: &Module, env: &dyn Env) -> CompiledCond {
        CompiledCond { root: compile(cond, module, env), layout: crate::row::module_fingerprint(module) }
    }

    /// True when the record in `ctx` meets the condition (same result as [`Cond::eval`]). When the
    /// record's values are kept in the layout this condition was compiled for (records from the stores
    /// are), each test reads its field's slot; otherwise it looks the field up by name.
    pub fn eval(&self, ctx: &Ctx<'_>) -> bool {
        let by_slot = ctx.record.values.layout().is_some_and(|l| l.fingerprint() == self.layout);
        if by_slot { self.root.eval(&SlotsInput(ctx)) } else { self.root.eval(&RecordInput(ctx)) }
    }

    /// True when `row` meets the condition: the same result as [`CompiledCond::eval`] with the row's record
    /// in `ctx`, whose own `record` is ignored (its other parts serve the tests left to the ordinary
    /// evaluator, which get the row as a record built on demand).
    ///
    /// # Errors
    /// `InvalidArgument` when the row is not laid out as the module this condition was compiled for.
    pub fn eval_row(&self, row: &Row, ctx: &Ctx<'_>) -> Result<bool> {
        row.layout().expect(self.layout, "the condition")?;
        Ok(self.root.eval(&RowInput { row, ctx, record: std::cell::OnceCell::new() }))
    }

    /// True when row `i` of `rows` meets the condition (as [`CompiledCond::eval_row`]; `false` past the
    /// end). Reading a column-major [`Rows`] row by row touches a few contiguous columns instead of every
    /// row's own allocation, which is what makes bulk evaluation fast.
    ///
    /// # Errors
    /// `InvalidArgument` when the rows are not laid out as the module this condition was compiled for.
    pub fn eval_at(&self, rows: &Rows, i: usize, ctx: &Ctx<'_>) -> Result<bool> {
        rows.layout().expect(self.layout, "the condition")?;
        Ok(i < rows.len() && self.root.eval(&RowsInput { rows, i, ctx, record: std::cell::OnceCell::new() }))
    }

    /// How many rows of `rows` meet the condition (as [`CompiledCond::eval_at`] for each).
    ///
    /// # Errors
    /// As [`CompiledCond::eval_at`].
    pub fn count_in(&self, rows: &Rows, ctx: &Ctx<'_>) -> Result<u64> {
        rows.layout().expect(self.layout, "the condition")?;
        Ok((0..rows.len()).filter(|&i| self.root.eval(&RowsInput { rows, i, ctx, record: std::cell::OnceCell::new() })).count() as u64)
    }

    /// How many tests are left to the ordinary evaluator (0 when every test compiled).
    pub fn slow_tests(&self) -> usize {
        self.root.slow_tests()
    }
}

impl Cond {
    /// Compiles the condition for fast repeated evaluation ([`CompiledCond`]).
    pub fn compile(&self, module: &Module, env: &dyn Env) -> CompiledCond {
        CompiledCond::new(self, module, env)
    }
}

fn compile(c: &Cond, module: &Module, env: &dyn Env) -> Node {
    match c {
        Cond::All(v) => Node::All(by_cost(v.iter().map(|c| compile(c, module, env)).collect())),
        Cond::Any(v) => Node::Any(by_cost(v.iter().map(|c| compile(c, module, env)).collect())),
        Cond::Not(c) => Node::Not(Box::new(compile(c, module, env))),
        Cond::Test(t) => match compile_test(t, module, env) {
            Some(kind) => match &t.field {
                FieldPath::Own(f) => match module.fields.iter().position(|d| d.name == *f) {
                    Some(slot) => Node::Fast(FastTest { field: f.clone(), slot, kind, test: t.clone() }),
                    None => Node::Slow(t.clone()),
                },
                FieldPath::Related { .. } => Node::Slow(t.clone()),
            },
            None => Node::Slow(t.clone()),
        },
    }
}

/// Orders the operands of `and`/`or` cheapest first. Every operand is a pure test of the record, so the
/// order never changes the result, only how soon the evaluation short-circuits.
fn by_cost(mut v: Vec<Node>) -> Vec<Node> {
    v.sort_by_key(Node::cost);
    v
}

fn compile_test(t: &Test, module: &Module, env: &dyn Env) -> Option<Kind> {
    use WfOp::*;
    let FieldPath::Own(name) = &t.field else { return None };
    let field = module.field(name)?;
    let raw = match &t.value {
        Operand::None => "",
        Operand::Raw(r) => r.trim(),
        Operand::Field(_) | Operand::Expression(_) => return None,
    };
    let x = || match &t.value {
        Operand::Raw(r) => raw_to_value(r, field, t.op, env),
        _ => Value::Null,
    };
    let dec = |x: &Value| x.as_str().and_then(crate::value::parse_decimal);
    Some(match t.op {
        IsEmpty => Kind::Empty { want: true },
        IsNotEmpty => Kind::Empty { want: false },
        Is | IsNot => {
            let x = x();
            if matches!(x, Value::Null) && raw.is_empty() {
                Kind::IsBlank { negate: t.op == IsNot }
            } else {
                let x_dec = dec(&x);
                Kind::Equal { fast: Fast::new(&x, x_dec), x_dec, x, negate: t.op == IsNot }
            }
        }
        LessThan | Before | GreaterThan | After | LessOrEqual | GreaterOrEqual => {
            let x = x();
            let accept = match t.op {
                LessThan | Before => [true, false, false],
                GreaterThan | After => [false, false, true],
                LessOrEqual => [true, true, false],
                _ => [false, true, true],
            };
            let x_dec = dec(&x);
            Kind::Order { fast: Fast::new(&x, x_dec), x_dec, x_empty: x.is_empty(), x, accept }
        }
        Contains | DoesNotContain | StartsWith | EndsWith if field.field_type != FieldType::MultiPicklist => {
            let needle = fold(raw);
            Kind::Text { ascii: needle.is_ascii(), needle, op: t.op }
        }
        _ => return None,
    })
}

/// What a compiled condition reads: a record (by field name) or a row (by slot).
trait Input {
    /// The value a fast test compares.
    fn value(&self, t: &FastTest) -> &Value;
    /// The same text as `value`'s when it is [`Value::Text`], from a contiguous buffer if the input has one.
    #[inline]
    fn text<'s>(&'s self, _t: &FastTest, v: &'s str) -> &'s str {
        v
    }
    /// Runs `f` with a context holding the record (for the ordinary evaluator).
    fn with_ctx<R>(&self, f: impl FnOnce(&Ctx<'_>) -> R) -> R;
}

struct RecordInput<'c, 'a>(&'c Ctx<'a>);

impl Input for RecordInput<'_, '_> {
    #[inline]
    fn value(&self, t: &FastTest) -> &Value {
        self.0.record.get(&t.field)
    }
    fn with_ctx<R>(&self, f: impl FnOnce(&Ctx<'_>) -> R) -> R {
        f(self.0)
    }
}

/// A record whose values are kept in the layout the condition was compiled for: read by slot.
struct SlotsInput<'c, 'a>(&'c Ctx<'a>);

static NULL: Value = Value::Null;

impl Input for SlotsInput<'_, '_> {
    #[inline]
    fn value(&self, t: &FastTest) -> &Value {
        self.0.record.values.slot(t.slot).unwrap_or(&NULL)
    }
    fn with_ctx<R>(&self, f: impl FnOnce(&Ctx<'_>) -> R) -> R {
        f(self.0)
    }
}

struct RowInput<'r, 'c, 'a> {
    row: &'r Row,
    ctx: &'c Ctx<'a>,
    /// The row as a record, built the first time the ordinary evaluator needs it.
    record: std::cell::OnceCell<Record>,
}

impl Input for RowInput<'_, '_, '_> {
    #[inline]
    fn value(&self, t: &FastTest) -> &Value {
        self.row.value(t.slot)
    }
    fn with_ctx<R>(&self, f: impl FnOnce(&Ctx<'_>) -> R) -> R {
        let record = self.record.get_or_init(|| self.row.to_record());
        f(&Ctx { record, ..*self.ctx })
    }
}

struct RowsInput<'r, 'c, 'a> {
    rows: &'r Rows,
    i: usize,
    ctx: &'c Ctx<'a>,
    /// Row `i` as a record, built the first time the ordinary evaluator needs it.
    record: std::cell::OnceCell<Record>,
}

impl Input for RowsInput<'_, '_, '_> {
    #[inline]
    fn value(&self, t: &FastTest) -> &Value {
        self.rows.value(self.i, t.slot)
    }
    #[inline]
    fn text<'s>(&'s self, t: &FastTest, _v: &'s str) -> &'s str {
        self.rows.text(self.i, t.slot)
    }
    fn with_ctx<R>(&self, f: impl FnOnce(&Ctx<'_>) -> R) -> R {
        let record = self.record.get_or_init(|| self.rows.record(self.i).unwrap_or_else(crate::row::empty_record));
        f(&Ctx { record, ..*self.ctx })
    }
}

impl Node {
    fn eval(&self, inp: &impl Input) -> bool {
        match self {
            Node::All(v) => v.iter().all(|n| n.eval_member(inp)),
            Node::Any(v) => v.iter().any(|n| n.eval_member(inp)),
            Node::Not(n) => !n.eval(inp),
            Node::Fast(t) => t.eval(inp),
            Node::Slow(t) => inp.with_ctx(|c| t.eval(c).0),
        }
    }

    /// [`Node::eval`] of a group's member: a fast test is evaluated in the group's own loop (no call, no
    /// stack frame per test); only nested groups and slow tests recurse.
    #[inline(always)]
    fn eval_member(&self, inp: &impl Input) -> bool {
        match self {
            Node::Fast(t) => t.eval(inp),
            other => other.eval(inp),
        }
    }

    /// A rough cost of evaluating the node: inline values first, text comparisons next, text searches
    /// after them, the ordinary evaluator last.
    fn cost(&self) -> u32 {
        match self {
            Node::All(v) | Node::Any(v) => v.iter().map(Node::cost).sum(),
            Node::Not(n) => n.cost(),
            Node::Fast(t) => match &t.kind {
                Kind::Empty { .. } | Kind::IsBlank { .. } => 1,
                Kind::Equal { x: Value::Text(_), .. } | Kind::Order { x: Value::Text(_), .. } => 3,
                Kind::Equal { .. } | Kind::Order { .. } => 2,
                Kind::Text { .. } => 8,
            },
            Node::Slow(_) => 100,
        }
    }

    fn slow_tests(&self) -> usize {
        match self {
            Node::All(v) | Node::Any(v) => v.iter().map(Node::slow_tests).sum(),
            Node::Not(n) => n.slow_tests(),
            Node::Fast(_) => 0,
            Node::Slow(_) => 1,
        }
    }
}

impl FastTest {
    #[inline]
    fn eval(&self, ctx: &impl Input) -> bool {
        let v = ctx.value(self);
        match &self.kind {
            Kind::Empty { want } => v.is_empty() == *want,
            Kind::IsBlank { negate } => v.is_empty() != *negate,
            Kind::Equal { x, x_dec, negate, fast } => {
                let hit = match v {
                    // Equal bytes (the length first): what `equal` decides for non-blank text.
                    Value::Text(a) if fast.text => x.as_str().is_some_and(|b| a.len() == b.len() && ctx.text(self, a) == b),
                    Value::Decimal(d) if fast.by_scale.is_some() => match fast.decimal(d) {
                        Some(o) => o == Ordering::Equal,
                        None => equal(v, x, *x_dec, ctx),
                    },
                    _ => !v.is_empty() && equal(v, x, *x_dec, ctx),
                };
                hit != *negate
            }
            Kind::Order { x, x_dec, x_empty, accept, fast } => {
                let o = match (v, x) {
                    (Value::Decimal(d), _) if !*x_empty => match fast.decimal(d) {
                        Some(o) => Some(o),
                        None => ordering(v, x, *x_dec, ctx),
                    },
                    // What `ordering` (through `order`) decides for two dates.
                    (Value::Date(a), Value::Date(b)) => Some(a.cmp(b)),
                    _ => None,
                };
                if let Some(o) = o {
                    return match o {
                        Ordering::Less => accept[0],
                        Ordering::Equal => accept[1],
                        Ordering::Greater => accept[2],
                    };
                }
                !v.is_empty()
                    && !*x_empty
                    && match ordering(v, x, *x_dec, ctx) {
                        Some(Ordering::Less) => accept[0],
                        Some(Ordering::Equal) => accept[1],
                        Some(Ordering::Greater) => accept[2],
                        None => false,
                    }
            }
            Kind::Text { needle, ascii, op } => {
                let hay: &str = match v {
                    Value::Null => "",
                    Value::Text(s) => {
                        let s = ctx.text(self, s);
                        if blank(s) { "" } else { s }
                    }
                    // Other shapes (numbers, ids shown by name, lists): the ordinary evaluator.
                    _ => return ctx.with_ctx(|c| self.test.eval(c).0),
                };
                // An ASCII needle meets folded text only in runs of ASCII characters: no other character
                // folds to ASCII or vanishes except the `folds_to_ascii` ones, so without them the ASCII
                // search of the unfolded bytes gives the same answer.
                let hit = if *ascii && (hay.is_ascii() || !folds_to_ascii(hay)) {
                    match op {
                        WfOp::StartsWith => !hay.is_empty() && starts_with_ascii(hay, needle),
                        WfOp::EndsWith => !hay.is_empty() && ends_with_ascii(hay, needle),
                        _ => contains_ascii(hay, needle),
                    }
                } else {
                    // Non-ASCII text is folded like the ordinary evaluator does, into a reused buffer.
                    with_folded(hay, |hay| match op {
                        WfOp::StartsWith => !hay.is_empty() && hay.starts_with(needle.as_str()),
                        WfOp::EndsWith => !hay.is_empty() && hay.ends_with(needle.as_str()),
                        _ => hay.contains(needle.as_str()),
                    })
                };
                if *op == WfOp::DoesNotContain { !hit } else { hit }
            }
        }
    }
}

/// [`cmp`] without allocation for the shapes that need none.
fn ordering(v: &Value, x: &Value, x_dec: Option<Decimal>, ctx: &impl Input) -> Option<Ordering> {
    use Value as V;
    match (v, x) {
        (V::Text(a), V::Text(b)) if !a.trim().is_empty() && !b.trim().is_empty() => Some(a.as_str().cmp(b.as_str())),
        (V::Decimal(_) | V::Int(_), V::Decimal(_) | V::Int(_))
        | (V::Date(_) | V::DateTime(_), V::Date(_) | V::DateTime(_))
        | (V::Time(_), V::Time(_))
        | (V::Bool(_), V::Bool(_))
        | (V::Ref(_), V::Ref(_))
        | (V::Owner(_), V::Owner(_)) => Some(order(v, x)),
        (V::Decimal(_) | V::Int(_), V::Text(_)) => x_dec.map(|d| order(v, &V::Decimal(d))),
        _ => ctx.with_ctx(|c| cmp(v, x, c)),
    }
}

/// [`values_equal`] without allocation for the shapes that need none.
fn equal(v: &Value, x: &Value, x_dec: Option<Decimal>, ctx: &impl Input) -> bool {
    match (v, x) {
        (Value::List(_) | Value::Ref(_) | Value::Owner(_), Value::Text(_)) => ctx.with_ctx(|c| values_equal(v, x, c)),
        _ => ordering(v, x, x_dec, ctx) == Some(Ordering::Equal),
    }
}

/// Calls `f` with [`fold`]`(s)`, built in a per-thread buffer that is reused (no allocation once it has grown).
fn with_folded<R>(s: &str, f: impl FnOnce(&str) -> R) -> R {
    thread_local! {
        static BUF: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
    }
    BUF.with(|b| match b.try_borrow_mut() {
        Ok(mut buf) => {
            buf.clear();
            crate::text::fold_into(s, &mut buf);
            f(&buf)
        }
        // Re-entered (cannot happen today): fold into a fresh string.
        Err(_) => f(&fold(s)),
    })
}

/// `s.trim().is_empty()`, answered from the first byte when it is visible ASCII (the common case).
#[inline]
fn blank(s: &str) -> bool {
    match s.as_bytes().first() {
        None => true,
        Some(&b) if b.is_ascii() && !char::from(b).is_whitespace() => false,
        Some(_) => s.trim().is_empty(),
    }
}

/// Case-insensitive (ASCII) substring test: scans for the needle's first byte in either case, then compares.
fn contains_ascii(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    let Some((&first, rest)) = n.split_first() else { return true };
    if n.len() > h.len() {
        return false;
    }
    let (lo, up) = (first.to_ascii_lowercase(), first.to_ascii_uppercase());
    let last_start = h.len() - n.len();
    h.iter()
        .take(last_start + 1)
        .enumerate()
        .any(|(i, &c)| (c == lo || c == up) && h.get(i + 1..i + n.len()).is_some_and(|w| w.eq_ignore_ascii_case(rest)))
}

fn starts_with_ascii(hay: &str, needle: &str) -> bool {
    hay.as_bytes().get(..needle.len()).is_some_and(|p| p.eq_ignore_ascii_case(needle.as_bytes()))
}

fn ends_with_ascii(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    h.len() >= n.len() && h.get(h.len() - n.len()..).is_some_and(|s| s.eq_ignore_ascii_case(n))
}

#[cfg(test)]
mod tests {
    use super::{Fast, contains_ascii, fold, folds_to_ascii, with_folded};
    use crate::value::Value;
    use rust_decimal::Decimal;
    use std::str::FromStr;

    #[test]
    fn blank_is_trim_is_empty() {
        for s in ["", " ", "\u{b}", "\u{a0}x", "\u{3000}", "x ", " x", "\t\r\n", "چ"] {
            assert_eq!(super::blank(s), s.trim().is_empty(), "{s:?}");
        }
    }

    #[test]
    fn folds_to_ascii_catches_persian_digits_and_joiners() {
        assert!(folds_to_ascii("\u{212A}elvin") && !folds_to_ascii("Café, Zürich office"));
        assert!(folds_to_ascii("سال ۱۴۰۶") && folds_to_ascii("re\u{200C}newal"));
    }

    #[test]
    fn mantissa_comparison_equals_decimal_comparison() {
        let xs = ["100000", "100000.5", "-3.25", "0", "0.001", "1e-9", "79228162514264337593543950335"];
        let vs = ["100000.00", "99999.99", "100000.50", "-3.250", "-3.24", "0.00", "-0.0", "0.0010", "0.0009", "1.0000000", "5"];
        for x in xs {
            let Ok(x) = Decimal::from_str(x).or_else(|_| Decimal::from_scientific(x)) else { panic!("{x}") };
            let f = Fast::new(&Value::Decimal(x), None);
            for v in vs {
                let v = Decimal::from_str(v).unwrap();
                if let Some(o) = f.decimal(&v) {
                    assert_eq!(o, v.cmp(&x), "{v} vs {x}");
                }
            }
        }
    }

    #[test]
    fn folding_into_the_buffer_equals_fold() {
        for s in ["Café, Zürich office", "ΣΟΦΟΣ Σ", "İstanbul KELVIN \u{212A}", "چند ساله", "", "ASCII", "كي ۱۴۰۶ ف\u{200C}ـر"]
        {
            assert_eq!(with_folded(s, str::to_string), fold(s), "{s}");
        }
    }

    #[test]
    fn ascii_contains_matches_folded_contains() {
        let hays = ["Renewal, multi-year", "a renewal", "renewa", "", "xRENEWALx", "rrenewal", "Quoted \"premium\" tier"];
        for h in hays {
            for n in ["renewal", "r", "", "ewal", "premium\" t", "zz"] {
                assert_eq!(contains_ascii(h, n), fold(h).contains(n), "{h} / {n}");
            }
        }
    }
}
