//! Workflow expressions: vtiger's expression language, parsed by evalexpr 11.3.1, evaluated with exact decimals.
//!
//! Pipeline: the vtiger source is tokenized here (single-quoted strings, `(ref : (Module) field)` paths,
//! numbers, `if .. then .. else .. end`), every literal is replaced by a generated identifier (`__n0` for
//! numbers, `__s0` for strings, `__r0` for reference paths) and `if` becomes a call of `__if(c, a, b)`. The
//! translated text is parsed with `evalexpr::build_operator_tree` (evalexpr is used **only** as the parser;
//! 12+ is AGPL, so it is pinned to `=11.3.1`), and the tree is walked here with [`rust_decimal::Decimal`]:
//! number literals keep their exact text (`0.1 + 0.2 = 0.3`, `1.10` stays `1.10`).
//!
//! Compile errors (syntax, unknown function, wrong argument count, unknown field, unsupported operator) are
//! reported by [`Expr::compile`], i.e. when the workflow is saved, never at run time.
//!
//! Differences from vtiger, on purpose:
//! * characters vtiger silently drops (`!`, `%`, `"`, a lone `=`) are errors here — except that `!=`,
//!   `and`, `or`, `not`, `%` and double-quoted strings are accepted as the obvious operators/literals;
//! * binary operators are left-associative (`a - b - c` = `(a - b) - c`); vtiger is right-associative;
//! * `*` and `/` are exact decimal maths (vtiger uses floats); division by zero gives an empty value
//!   (vtiger gives 0);
//! * empty values count as 0 in arithmetic (like vtiger), but adding text that is not a number is an error;
//! * an unknown field name is a compile error (vtiger evaluates it to empty);
//! * arithmetic is checked: a sum, difference, product, quotient or power beyond 28 digits, and
//!   `add_days`/`sub_days` beyond the calendar, are evaluation errors (a workflow then fails the save with
//!   a validation error naming the field); `substring` positions and lengths of any size are clamped to
//!   the text (vtiger's floats lose precision instead).
//!
//! Like vtiger, references evaluate to the **name** of the referenced record (owners to the owner's name).

use super::Ctx;
use super::condition::FieldPath;
use crate::error::{Error, Result};
use crate::schema::Module;
use crate::value::Value;
use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use evalexpr::{Node, Operator};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use std::collections::HashMap;

/// A value inside an expression.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprValue {
    /// Empty.
    Null,
    /// Exact number.
    Num(Decimal),
    /// Text.
    Text(String),
    /// Boolean (from comparisons and checkboxes).
    Bool(bool),
    /// Date.
    Date(NaiveDate),
    /// Date and time (UTC).
    DateTime(NaiveDateTime),
    /// Time of day.
    Time(NaiveTime),
}

impl ExprValue {
    /// Converts to a field value.
    pub fn into_value(self) -> Value {
        match self {
            ExprValue::Null => Value::Null,
            ExprValue::Num(d) => Value::Decimal(d.normalize()),
            ExprValue::Text(s) => Value::Text(s),
            ExprValue::Bool(b) => Value::Bool(b),
            ExprValue::Date(d) => Value::Date(d),
            ExprValue::DateTime(d) => Value::DateTime(d),
            ExprValue::Time(t) => Value::Time(t),
        }
    }
    /// Text form (numbers canonical, dates ISO).
    pub fn text(&self) -> String {
        match self {
            ExprValue::Null => String::new(),
            ExprValue::Num(d) => d.to_string(),
            ExprValue::Text(s) => s.clone(),
            ExprValue::Bool(b) => if *b { "1" } else { "0" }.into(),
            ExprValue::Date(d) => crate::value::format_date(*d),
            ExprValue::DateTime(d) => crate::value::format_datetime(*d),
            ExprValue::Time(t) => t.format("%H:%M:%S").to_string(),
        }
    }
    fn truthy(&self) -> bool {
        match self {
            ExprValue::Null => false,
            ExprValue::Num(d) => !d.is_zero(),
            ExprValue::Text(s) => !s.is_empty() && s != "0",
            ExprValue::Bool(b) => *b,
            _ => true,
        }
    }
    fn num(&self) -> std::result::Result<Decimal, String> {
        match self {
            ExprValue::Null => Ok(Decimal::ZERO),
            ExprValue::Num(d) => Ok(*d),
            ExprValue::Bool(b) => Ok(Decimal::from(i64::from(*b))),
            ExprValue::Text(s) if s.trim().is_empty() => Ok(Decimal::ZERO),
            ExprValue::Text(s) => crate::value::parse_decimal(s).ok_or_else(|| format!("'{s}' is not a number")),
            other => Err(format!("'{}' is not a number", other.text())),
        }
    }
    fn datetime(&self) -> Option<NaiveDateTime> {
        match self {
            ExprValue::Date(d) => Some(d.and_time(NaiveTime::MIN)),
            ExprValue::DateTime(d) => Some(*d),
            ExprValue::Text(s) => crate::value::parse_datetime(s),
            _ => None,
        }
    }
    fn date(&self) -> Option<NaiveDate> {
        match self {
            ExprValue::Date(d) => Some(*d),
            ExprValue::DateTime(d) => Some(d.date()),
            ExprValue::Text(s) => first_iso_date(s),
            _ => None,
        }
    }
    /// Converts a field value (references and owners need the context to become names).
    pub fn from_value(v: &Value, ctx: &Ctx<'_>) -> ExprValue {
        match v {
            Value::Null => ExprValue::Null,
            Value::Text(s) => ExprValue::Text(s.clone()),
            Value::Int(i) => ExprValue::Num(Decimal::from(*i)),
            Value::Decimal(d) => ExprValue::Num(*d),
            Value::Bool(b) => ExprValue::Bool(*b),
            Value::Date(d) => ExprValue::Date(*d),
            Value::DateTime(d) => ExprValue::DateTime(*d),
            Value::Time(t) => ExprValue::Time(*t),
            Value::List(l) => ExprValue::Text(l.join(", ")),
            Value::Ref(_) | Value::Owner(_) => ExprValue::Text(ctx.display(v)),
        }
    }
}

/// The first `yyyy-mm-dd` found in a text (vtiger's add_days does the same).
fn first_iso_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    (0..b.len().saturating_sub(9)).find_map(|i| s.get(i..i + 10).and_then(|t| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok()))
}

/// A compiled expression.
#[derive(Debug, Clone)]
pub struct Expr {
    source: String,
    tree: Node,
    numbers: HashMap<String, Decimal>,
    strings: HashMap<String, String>,
    refs: HashMap<String, FieldPath>,
}

impl PartialEq for Expr {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Ref(FieldPath),
    Str(String),
    Num(String),
    Sym(&'static str),
}

/// Longest reference path token looked for, in characters.
const REF_WINDOW: usize = 512;

/// Depth of a tree, without recursion.
fn tree_depth(root: &Node) -> usize {
    let mut max = 0;
    let mut stack = vec![(root, 1usize)];
    while let Some((n, d)) = stack.pop() {
        max = max.max(d);
        stack.extend(n.children().iter().map(|c| (c, d + 1)));
    }
    max
}

fn tokenize(src: &str) -> std::result::Result<Vec<Tok>, String> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(Tok::Word(chars[start..i].iter().collect()));
        } else if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let t: String = chars[start..i].iter().collect();
            if t.matches('.').count() > 1 {
                return Err(format!("'{t}' is not a number"));
            }
            out.push(Tok::Num(t));
        } else if c == '\'' || c == '"' {
            let mut s = String::new();
            i += 1;
            loop {
                let Some(&d) = chars.get(i) else { return Err("unterminated string".into()) };
                i += 1;
                if d == c {
                    break;
                }
                if d == '\\' {
                    let Some(&e) = chars.get(i) else { return Err("unterminated string".into()) };
                    i += 1;
                    s.push(match e {
                        'n' => '\n',
                        't' => '\t',
                        'r' => '\r',
                        other => other,
                    });
                } else {
                    s.push(d);
                }
            }
            out.push(Tok::Str(s));
        } else if c == '(' {
            // A reference path `(ref : (Module) field)` is one token; such a path is short, so only a
            // bounded window is looked at (keeps tokenizing linear).
            let rest: String = chars[i..].iter().take(REF_WINDOW).collect();
            if let Some(end) = rest.find(')').and_then(|first| rest[first + 1..].find(')').map(|x| first + 1 + x)) {
                let cand = &rest[..=end];
                if let Some(p) = FieldPath::parse_ref(cand) {
                    out.push(Tok::Ref(p));
                    i += cand.chars().count();
                    continue;
                }
            }
            out.push(Tok::Sym("("));
            i += 1;
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let sym = match two.as_str() {
                ">=" => Some(">="),
                "<=" => Some("<="),
                "==" => Some("=="),
                "!=" => Some("!="),
                "<>" => Some("!="),
                _ => None,
            };
            if let Some(s) = sym {
                out.push(Tok::Sym(s));
                i += 2;
                continue;
            }
            let one = match c {
                '+' => "+",
                '-' => "-",
                '*' => "*",
                '/' => "/",
                '%' => "%",
                '^' => "^",
                '<' => "<",
                '>' => ">",
                ')' => ")",
                ',' => ",",
                '=' => "==",
                other => return Err(format!("unexpected character '{other}'")),
            };
            out.push(Tok::Sym(one));
            i += 1;
        }
    }
    Ok(out)
}

/// Functions known to expressions, with their allowed argument counts.
const FUNCTIONS: [(&str, usize, usize); 11] = [
    ("concat", 1, usize::MAX),
    ("substring", 1, 3),
    ("time_diff", 1, 2),
    ("time_diffdays", 1, 2),
    ("add_days", 1, 2),
    ("sub_days", 1, 2),
    ("get_date", 0, 1),
    ("add_time", 1, 2),
    ("sub_time", 1, 2),
    ("power", 1, 2),
    ("__if", 3, 3),
];

impl Expr {
    /// Compiles vtiger expression source against a module (field names are checked).
    ///
    /// # Errors
    /// `InvalidArgument` naming the problem: syntax, unknown function or field, unsupported operator.
    pub fn compile(source: &str, module: &Module) -> Result<Expr> {
        Self::compile_inner(source, module).map_err(|e| {
            // Long sources are cut in the message (the limit error of a 10 000-character source).
            let shown: String = source.chars().take(200).collect();
            let more = if shown.len() < source.len() { "..." } else { "" };
            Error::invalid(format!("expression '{shown}{more}': {e}"))
        })
    }

    fn compile_inner(source: &str, module: &Module) -> std::result::Result<Expr, String> {
        use crate::limits::{MAX_EXPRESSION_CHARS, MAX_EXPRESSION_DEPTH, MAX_EXPRESSION_TOKENS};
        let n = source.chars().count();
        if n > MAX_EXPRESSION_CHARS {
            return Err(format!("is {n} characters long, the limit is {MAX_EXPRESSION_CHARS}"));
        }
        let toks = tokenize(source)?;
        if toks.is_empty() {
            return Err("is empty".into());
        }
        if toks.len() > MAX_EXPRESSION_TOKENS {
            return Err(format!("has {} tokens, the limit is {MAX_EXPRESSION_TOKENS}", toks.len()));
        }
        // Nesting, checked before evalexpr parses (its parser and our evaluator recurse): open
        // parentheses and `if`s, plus runs of unary operators (`- - - x`, `not not x`).
        let (mut parens, mut unary, mut after_operand) = (0usize, 0usize, false);
        for t in &toks {
            let is_operator = match t {
                Tok::Sym("(") => {
                    parens += 1;
                    true
                }
                Tok::Sym(")") => {
                    parens = parens.saturating_sub(1);
                    false
                }
                Tok::Sym(_) => true,
                Tok::Word(w) => matches!(w.to_ascii_lowercase().as_str(), "not" | "and" | "or" | "if" | "then" | "else"),
                _ => false,
            };
            unary = if is_operator && !after_operand { unary + 1 } else { 0 };
            after_operand = !is_operator;
            if let Tok::Word(w) = t
                && w.eq_ignore_ascii_case("if")
            {
                parens += 1;
            }
            if let Tok::Word(w) = t
                && w.eq_ignore_ascii_case("end")
            {
                parens = parens.saturating_sub(1);
            }
            if parens > MAX_EXPRESSION_DEPTH || unary > MAX_EXPRESSION_DEPTH {
                return Err(format!("nests deeper than {MAX_EXPRESSION_DEPTH} levels"));
            }
        }
        let mut out = String::new();
        let mut numbers = HashMap::new();
        let mut strings = HashMap::new();
        let mut refs = HashMap::new();
        // Open `if`s: how many `__if(` each `end` closes (an `else if` chain needs one `end`).
        let mut ifs: Vec<usize> = Vec::new();
        let mut prev_else = false;
        for t in toks {
            let mut is_else = false;
            match t {
                Tok::Num(n) => {
                    let d = Decimal::from_str_exact(&n)
                        .or_else(|_| Decimal::from_str_exact(&format!("0{n}")))
                        .map_err(|_| format!("'{n}' is not a number"))?;
                    let id = format!("__n{}", numbers.len());
                    numbers.insert(id.clone(), d);
                    out.push_str(&id);
                }
                Tok::Str(s) => {
                    let id = format!("__s{}", strings.len());
                    strings.insert(id.clone(), s);
                    out.push_str(&id);
                }
                Tok::Ref(p) => {
                    let id = format!("__r{}", refs.len());
                    p.check(module).map_err(|e| e.to_string())?;
                    refs.insert(id.clone(), p);
                    out.push_str(&id);
                }
                Tok::Word(w) => match w.to_ascii_lowercase().as_str() {
                    "if" => {
                        if prev_else {
                            if let Some(top) = ifs.last_mut() {
                                *top += 1;
                            }
                        } else {
                            ifs.push(1);
                        }
                        out.push_str("__if((");
                    }
                    "then" | "else" => {
                        if ifs.is_empty() {
                            return Err(format!("'{w}' without 'if'"));
                        }
                        is_else = w.eq_ignore_ascii_case("else");
                        out.push_str("),(");
                    }
                    "end" => {
                        let n = ifs.pop().ok_or("'end' without 'if'")?;
                        for _ in 0..n {
                            out.push_str("))");
                        }
                    }
                    "and" => out.push_str("&&"),
                    "or" => out.push_str("||"),
                    "not" => out.push('!'),
                    "true" | "false" => out.push_str(&w.to_ascii_lowercase()),
                    _ => out.push_str(&w),
                },
                Tok::Sym(s) => out.push_str(match s {
                    "%" => "%",
                    other => other,
                }),
            }
            out.push(' ');
            prev_else = is_else;
        }
        if !ifs.is_empty() {
            return Err("'if' without 'end'".into());
        }
        let tree = evalexpr::build_operator_tree(&out).map_err(|e| format!("syntax error: {e}"))?;
        // A long operator chain (`1 + 1 + ... + 1`) is as deep as it is long once parsed.
        if tree_depth(&tree) > 2 * MAX_EXPRESSION_DEPTH {
            return Err(format!("nests deeper than {MAX_EXPRESSION_DEPTH} levels once parsed (split long operator chains)"));
        }
        let e = Expr { source: source.to_string(), tree, numbers, strings, refs };
        e.check(&e.tree, module)?;
        Ok(e)
    }

    /// The source text as given.
    pub fn source(&self) -> &str {
        &self.source
    }

    fn check(&self, n: &Node, module: &Module) -> std::result::Result<(), String> {
        match n.operator() {
            Operator::RootNode
            | Operator::Add
            | Operator::Sub
            | Operator::Neg
            | Operator::Mul
            | Operator::Div
            | Operator::Mod
            | Operator::Exp
            | Operator::Eq
            | Operator::Neq
            | Operator::Gt
            | Operator::Lt
            | Operator::Geq
            | Operator::Leq
            | Operator::And
            | Operator::Or
            | Operator::Not
            | Operator::Tuple => {}
            Operator::Const { value } => {
                if !matches!(value, evalexpr::Value::Boolean(_) | evalexpr::Value::Empty) {
                    return Err(format!("unexpected constant {value}"));
                }
            }
            Operator::VariableIdentifierRead { identifier } => {
                if !(self.numbers.contains_key(identifier) || self.strings.contains_key(identifier) || self.refs.contains_key(identifier))
                    && module.field(identifier).is_none()
                {
                    return Err(format!("{} has no field '{identifier}'", module.name));
                }
            }
            Operator::FunctionIdentifier { identifier } => {
                let Some((_, lo, hi)) = FUNCTIONS.iter().find(|(f, _, _)| f == identifier) else {
                    return Err(format!("unknown function '{identifier}'"));
                };
                let argc = n.children().first().map_or(0, |c| args_of(c).len());
                if argc < *lo || argc > *hi {
                    return Err(format!(
                        "{identifier} takes {lo} to {} arguments, got {argc}",
                        if *hi == usize::MAX { "any".to_string() } else { hi.to_string() }
                    ));
                }
            }
            other => return Err(format!("operator {other:?} is not supported")),
        }
        for c in n.children() {
            self.check(c, module)?;
        }
        Ok(())
    }

    /// Evaluates the expression against the record of `ctx`.
    ///
    /// # Errors
    /// A message for run-time failures that cannot be detected earlier (overflow, text where a number is
    /// needed).
    pub fn eval(&self, ctx: &Ctx<'_>) -> std::result::Result<ExprValue, String> {
        self.eval_node(&self.tree, ctx)
    }

    fn eval_node(&self, n: &Node, ctx: &Ctx<'_>) -> std::result::Result<ExprValue, String> {
        let kids = n.children();
        let arg = |i: usize| -> std::result::Result<ExprValue, String> {
            match kids.get(i) {
                Some(k) => self.eval_node(k, ctx),
                None => Ok(ExprValue::Null),
            }
        };
        let arith = |f: fn(Decimal, Decimal) -> Option<Decimal>| -> std::result::Result<ExprValue, String> {
            let (a, b) = (arg(0)?.num()?, arg(1)?.num()?);
            Ok(f(a, b).map_or(ExprValue::Null, ExprValue::Num))
        };
        match n.operator() {
            Operator::RootNode => match kids.len() {
                0 => Ok(ExprValue::Null),
                _ => arg(0),
            },
            Operator::Add => arith(|a, b| a.checked_add(b)).and_then(overflow_check("+")),
            Operator::Sub => arith(|a, b| a.checked_sub(b)).and_then(overflow_check("-")),
            Operator::Mul => arith(|a, b| a.checked_mul(b)).and_then(overflow_check("*")),
            // Division by zero is empty, as in vtiger; a quotient too large for a decimal is an error.
            Operator::Div => {
                let (a, b) = (arg(0)?.num()?, arg(1)?.num()?);
                if b.is_zero() { Ok(ExprValue::Null) } else { Ok(ExprValue::Num(a.checked_div(b).ok_or_else(|| too_large("/"))?)) }
            }
            Operator::Mod => arith(|a, b| if b.is_zero() { None } else { a.checked_rem(b) }),
            Operator::Exp => power(&arg(0)?, &arg(1)?),
            Operator::Neg => Ok(ExprValue::Num(-arg(0)?.num()?)),
            Operator::Eq => Ok(ExprValue::Bool(compare(&arg(0)?, &arg(1)?) == Some(std::cmp::Ordering::Equal))),
            Operator::Neq => Ok(ExprValue::Bool(compare(&arg(0)?, &arg(1)?) != Some(std::cmp::Ordering::Equal))),
            Operator::Gt => Ok(ExprValue::Bool(compare(&arg(0)?, &arg(1)?) == Some(std::cmp::Ordering::Greater))),
            Operator::Lt => Ok(ExprValue::Bool(compare(&arg(0)?, &arg(1)?) == Some(std::cmp::Ordering::Less))),
            Operator::Geq => {
                Ok(ExprValue::Bool(matches!(compare(&arg(0)?, &arg(1)?), Some(std::cmp::Ordering::Greater | std::cmp::Ordering::Equal))))
            }
            Operator::Leq => {
                Ok(ExprValue::Bool(matches!(compare(&arg(0)?, &arg(1)?), Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal))))
            }
            Operator::And => Ok(ExprValue::Bool(arg(0)?.truthy() && arg(1)?.truthy())),
            Operator::Or => Ok(ExprValue::Bool(arg(0)?.truthy() || arg(1)?.truthy())),
            Operator::Not => Ok(ExprValue::Bool(!arg(0)?.truthy())),
            Operator::Const { value } => Ok(match value {
                evalexpr::Value::Boolean(b) => ExprValue::Bool(*b),
                _ => ExprValue::Null,
            }),
            Operator::VariableIdentifierRead { identifier } => {
                if let Some(d) = self.numbers.get(identifier) {
                    return Ok(ExprValue::Num(*d));
                }
                if let Some(s) = self.strings.get(identifier) {
                    return Ok(ExprValue::Text(s.clone()));
                }
                if let Some(p) = self.refs.get(identifier) {
                    return Ok(ExprValue::from_value(&ctx.path_value(p).map_err(|e| e.to_string())?, ctx));
                }
                Ok(ExprValue::from_value(ctx.record.get(identifier), ctx))
            }
            Operator::FunctionIdentifier { identifier } => {
                let mut args = Vec::new();
                if let Some(c) = kids.first() {
                    for a in args_of(c) {
                        args.push(self.eval_node(a, ctx)?);
                    }
                }
                call(identifier, &args, ctx)
            }
            Operator::Tuple => arg(0),
            other => Err(format!("operator {other:?} is not supported")),
        }
    }
}

fn overflow_check(op: &'static str) -> impl Fn(ExprValue) -> std::result::Result<ExprValue, String> {
    move |v| match v {
        ExprValue::Null => Err(too_large(op)),
        v => Ok(v),
    }
}

/// The error of an operation whose result does not fit a decimal (28 significant digits).
fn too_large(op: &str) -> String {
    format!("the result of '{op}' is too large for a number (at most 28 digits)")
}

/// The argument nodes of a function call node's child.
fn args_of(n: &Node) -> Vec<&Node> {
    match n.operator() {
        Operator::RootNode if n.children().is_empty() => vec![],
        Operator::RootNode if n.children().len() == 1 => n.children().first().map_or_else(Vec::new, args_of),
        Operator::Tuple => n.children().iter().collect(),
        Operator::Const { value: evalexpr::Value::Empty } => vec![],
        _ => vec![n],
    }
}

fn compare(a: &ExprValue, b: &ExprValue) -> Option<std::cmp::Ordering> {
    use ExprValue as E;
    match (a, b) {
        (E::Null, E::Null) => Some(std::cmp::Ordering::Equal),
        (E::Num(_), _) | (_, E::Num(_)) => Some(a.num().ok()?.cmp(&b.num().ok()?)),
        (E::Date(_) | E::DateTime(_), _) | (_, E::Date(_) | E::DateTime(_)) => Some(a.datetime()?.cmp(&b.datetime()?)),
        (E::Time(x), E::Time(y)) => Some(x.cmp(y)),
        (E::Bool(x), E::Bool(y)) => Some(x.cmp(y)),
        _ => Some(a.text().cmp(&b.text())),
    }
}

/// `base ^ exp`: operands that are not numbers give an empty value (as vtiger); a result too large for a
/// decimal is an error. A result too small to tell from 0 is 0.
fn power(base: &ExprValue, exp: &ExprValue) -> std::result::Result<ExprValue, String> {
    let (Ok(b), Ok(e)) = (base.num(), exp.num()) else { return Ok(ExprValue::Null) };
    if b.is_zero() || b == Decimal::ONE {
        return Ok(ExprValue::Num(b));
    }
    if e.fract().is_zero()
        && let Some(i) = e.to_i64()
    {
        let r = if i >= 0 {
            b.checked_powi(i)
        } else {
            // b^-n = 1 / b^n: when b^n overflows (|b| > 1) the result is too small to tell from 0; when it
            // underflows to 0 (|b| < 1) the result is too large.
            match b.checked_powi(i.saturating_neg()) {
                Some(p) if p.is_zero() => None,
                Some(p) => Decimal::ONE.checked_div(p),
                None if b.abs() > Decimal::ONE => Some(Decimal::ZERO),
                None => None,
            }
        };
        return r.map(ExprValue::Num).ok_or_else(|| too_large("^"));
    }
    if b.is_sign_negative() {
        return Ok(ExprValue::Null); // no real root
    }
    use rust_decimal::MathematicalOps;
    match b.checked_powd(e) {
        Some(r) => Ok(ExprValue::Num(r)),
        // Out of range towards 0 (a base above 1 with a negative exponent, or below 1 with a positive one).
        None if (b > Decimal::ONE) == e.is_sign_negative() => Ok(ExprValue::Num(Decimal::ZERO)),
        None => Err(too_large("^")),
    }
}

fn call(name: &str, a: &[ExprValue], ctx: &Ctx<'_>) -> std::result::Result<ExprValue, String> {
    let get = |i: usize| a.get(i).cloned().unwrap_or(ExprValue::Null);
    let now = ctx.local_now();
    Ok(match name {
        "__if" => {
            if get(0).truthy() {
                get(1)
            } else {
                get(2)
            }
        }
        "concat" => ExprValue::Text(a.iter().map(ExprValue::text).collect()),
        "substring" => {
            // Positions and lengths beyond the text are clamped to it (as PHP's substr), whatever their size:
            // they are exact decimals here, never machine integers that could wrap.
            let s: Vec<char> = get(0).text().chars().collect();
            let len = Decimal::from(s.len());
            let start = if a.len() > 1 { get(1).num()?.trunc() } else { Decimal::ZERO };
            let start = if start.is_sign_negative() { (len + start.max(-len)).max(Decimal::ZERO) } else { start.min(len) };
            let n = if a.len() > 2 { get(2).num()?.trunc() } else { len - start };
            let end = if n.is_sign_negative() { (len + n.max(-len)).max(start) } else { start + n.min(len) };
            let end = end.min(len);
            let (s0, e0) = (start.to_usize().unwrap_or(0), end.to_usize().unwrap_or(0));
            ExprValue::Text(s.get(s0..e0).map(|c| c.iter().collect()).unwrap_or_default())
        }
        "time_diff" | "time_diffdays" => {
            let (x, y) = if a.len() > 1 { (get(0), get(1)) } else { (ExprValue::DateTime(now), get(0)) };
            if let (ExprValue::Time(t1), ExprValue::Time(t2)) = (&x, &y)
                && name == "time_diff"
            {
                let secs = (*t1 - *t2).num_seconds().abs();
                return Ok(ExprValue::Text(format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)));
            }
            let date_only = matches!(x, ExprValue::Date(_)) || matches!(y, ExprValue::Date(_));
            let (Some(mut p), Some(mut q)) = (x.datetime(), y.datetime()) else { return Ok(ExprValue::Null) };
            if name == "time_diffdays" && (date_only || a.len() == 1 && matches!(y, ExprValue::Date(_))) {
                p = p.date().and_time(NaiveTime::MIN);
                q = q.date().and_time(NaiveTime::MIN);
            }
            let secs = (p - q).num_seconds();
            if name == "time_diff" {
                ExprValue::Num(Decimal::from(secs))
            } else {
                ExprValue::Num((Decimal::from(secs) / Decimal::from(86400)).round())
            }
        }
        "add_days" | "sub_days" => {
            let (base, n) = if a.len() > 1 { (get(0).date(), get(1)) } else { (Some(now.date()), get(0)) };
            let Some(base) = base else { return Ok(ExprValue::Null) };
            let days = n.num()?.trunc();
            let days = if name == "sub_days" { -days } else { days };
            let date = days.to_i64().and_then(Duration::try_days).and_then(|x| base.checked_add_signed(x));
            ExprValue::Date(date.ok_or_else(|| format!("{name}: {base} plus {days} days is not a date crm can hold"))?)
        }
        "get_date" => {
            let d = now.date();
            let which = get(0).text().to_ascii_lowercase();
            ExprValue::Date(match which.as_str() {
                "tomorrow" => d.succ_opt().unwrap_or(d),
                "yesterday" => d.pred_opt().unwrap_or(d),
                _ => d,
            })
        }
        "add_time" | "sub_time" => {
            let (base, n) = if a.len() > 1 {
                let t = match get(0) {
                    ExprValue::Time(t) => Some(t),
                    ExprValue::DateTime(d) => Some(d.time()),
                    ExprValue::Text(s) => {
                        NaiveTime::parse_from_str(s.trim(), "%H:%M:%S").or_else(|_| NaiveTime::parse_from_str(s.trim(), "%H:%M")).ok()
                    }
                    _ => None,
                };
                (t, get(1))
            } else {
                (Some(now.time().with_nanosecond(0).unwrap_or(now.time())), get(0))
            };
            let Some(base) = base else { return Ok(ExprValue::Null) };
            let Some(m) = n.num()?.trunc().to_i64() else { return Ok(ExprValue::Null) };
            let m = if name == "sub_time" { m.saturating_neg() } else { m };
            ExprValue::Time(base.overflowing_add_signed(Duration::try_minutes(m % 1440).unwrap_or_default()).0)
        }
        "power" => power(&get(0), &get(1))?,
        other => return Err(format!("unknown function '{other}'")),
    })
}
