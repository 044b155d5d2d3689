//! Typed field values and their one canonical text form.
//!
//! A [`Value`] is what a field holds. Callers may hand in loosely typed values (text for a date, an
//! integer for an amount); [`coerce`] turns them into the field's type or explains why not. Every value
//! has one canonical text form ([`Value::to_text`]) used for storage, history and export, and a JSON form
//! ([`Value::to_json`]) used by the bindings: decimals are JSON strings of exact decimals (`"200.00"`),
//! dates ISO strings, references and owners integer ids.

use crate::error::{FieldError, ValidationCode};
use crate::schema::{Field, FieldType};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Identifier of a record, unique across all modules (like vtiger's crmid).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RecordId(pub i64);

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Identifier of a user or a group (owners share one id space with records).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OwnerId(pub i64);

impl fmt::Display for OwnerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Separator of multi-select values in text form (vtiger's).
pub const MULTI_SEPARATOR: &str = " |##| ";

/// Format of date-times in text form (vtiger's `Y-m-d H:i:s`).
pub const DATETIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// `YYYY-MM-DD`, as `format("%Y-%m-%d")` writes it, without interpreting a format string (dates are
/// formatted for every stored row, change-log entry and export line).
pub fn format_date(d: NaiveDate) -> String {
    let mut s = String::with_capacity(19);
    push_date(&mut s, d);
    s
}

/// `YYYY-MM-DD HH:MM:SS` ([`DATETIME_FORMAT`]), as chrono formats it, without interpreting the format.
pub fn format_datetime(t: NaiveDateTime) -> String {
    let mut s = String::with_capacity(19);
    push_date(&mut s, t.date());
    s.push(' ');
    use chrono::Timelike;
    for (i, n) in [t.hour(), t.minute(), t.second()].into_iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        push_digits(&mut s, n, 2);
    }
    s
}

fn push_date(s: &mut String, d: NaiveDate) {
    use chrono::Datelike;
    match u32::try_from(d.year()) {
        Ok(y) if y <= 9999 => push_digits(s, y, 4),
        _ => s.push_str(&d.format("%Y").to_string()), // chrono's sign and width outside 0..=9999
    }
    s.push('-');
    push_digits(s, d.month(), 2);
    s.push('-');
    push_digits(s, d.day(), 2);
}

/// `n` in decimal, zero-padded to `width` digits (`n` has at most `width` digits).
fn push_digits(s: &mut String, n: u32, width: u32) {
    for k in (0..width).rev() {
        let digit = (n / 10u32.pow(k)) % 10;
        s.push(char::from(b'0' + digit as u8));
    }
}

/// The value of one field.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Value {
    /// Empty.
    #[default]
    Null,
    /// Text (also e-mail, phone, URL, picklist value, auto-number).
    Text(String),
    /// Whole number.
    Int(i64),
    /// Exact decimal (currency, percent, decimal).
    Decimal(Decimal),
    /// Checkbox.
    Bool(bool),
    /// Calendar date.
    Date(NaiveDate),
    /// Date and time (UTC).
    DateTime(NaiveDateTime),
    /// Time of day.
    Time(NaiveTime),
    /// Several picklist values.
    List(Vec<String>),
    /// Reference to a record.
    Ref(RecordId),
    /// A user or group.
    Owner(OwnerId),
}

impl Value {
    /// True for `Null`, empty text and an empty list. Unlike vtiger, `0` is **not** empty.
    pub fn is_empty(&self) -> bool {
        match self {
            Value::Null => true,
            Value::Text(s) => s.trim().is_empty(),
            Value::List(l) => l.is_empty(),
            _ => false,
        }
    }

    /// The canonical text form (storage, history, export). `None` for empty values.
    pub fn to_text(&self) -> Option<String> {
        if self.is_empty() {
            return None;
        }
        Some(match self {
            Value::Null => unreachable!("empty handled above"),
            Value::Text(s) => s.clone(),
            Value::Int(i) => i.to_string(),
            Value::Decimal(d) => d.to_string(),
            Value::Bool(b) => if *b { "1" } else { "0" }.to_string(),
            Value::Date(d) => format_date(*d),
            Value::DateTime(d) => format_datetime(*d),
            Value::Time(t) => t.format("%H:%M:%S").to_string(),
            Value::List(l) => l.join(MULTI_SEPARATOR),
            Value::Ref(r) => r.0.to_string(),
            Value::Owner(o) => o.0.to_string(),
        })
    }

    /// The JSON form used by the bindings.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Null => J::Null,
            Value::Int(i) => J::from(*i),
            Value::Bool(b) => J::Bool(*b),
            Value::List(l) => J::Array(l.iter().map(|s| J::String(s.clone())).collect()),
            Value::Ref(r) => J::from(r.0),
            Value::Owner(o) => J::from(o.0),
            other => other.to_text().map(J::String).unwrap_or(J::Null),
        }
    }

    /// Reads a loosely typed JSON value (to be [`coerce`]d against a field afterwards).
    ///
    /// Numbers that are not integers are taken from their shortest round-trip text; send exact decimals
    /// as strings (`"1000.10"`) to keep every digit.
    pub fn from_json(j: &serde_json::Value) -> Value {
        use serde_json::Value as J;
        match j {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Text(n.to_string()),
            },
            J::String(s) => Value::Text(s.clone()),
            J::Array(a) => Value::List(
                a.iter()
                    .map(|x| match x {
                        J::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .collect(),
            ),
            J::Object(_) => Value::Text(j.to_string()),
        }
    }

    /// Parses the canonical text form back, for a field of the given type. Used by storage adapters.
    pub fn from_text(field_type: FieldType, text: &str) -> Value {
        let t = text;
        match field_type {
            FieldType::Integer => t.parse().map(Value::Int).unwrap_or_else(|_| Value::Text(t.into())),
            FieldType::Decimal | FieldType::Currency | FieldType::Percent => {
                Decimal::from_str(t).map(Value::Decimal).unwrap_or_else(|_| Value::Text(t.into()))
            }
            FieldType::Date => NaiveDate::parse_from_str(t, "%Y-%m-%d").map(Value::Date).unwrap_or_else(|_| Value::Text(t.into())),
            FieldType::DateTime => {
                NaiveDateTime::parse_from_str(t, DATETIME_FORMAT).map(Value::DateTime).unwrap_or_else(|_| Value::Text(t.into()))
            }
            FieldType::Time => NaiveTime::parse_from_str(t, "%H:%M:%S").map(Value::Time).unwrap_or_else(|_| Value::Text(t.into())),
            FieldType::Checkbox => Value::Bool(t == "1" || t.eq_ignore_ascii_case("true")),
            FieldType::MultiPicklist => Value::List(split_multi(t)),
            FieldType::Reference => t.parse().map(|i| Value::Ref(RecordId(i))).unwrap_or_else(|_| Value::Text(t.into())),
            FieldType::Owner => t.parse().map(|i| Value::Owner(OwnerId(i))).unwrap_or_else(|_| Value::Text(t.into())),
            _ => Value::Text(t.into()),
        }
    }

    /// The decimal inside, if any.
    pub fn as_decimal(&self) -> Option<Decimal> {
        match self {
            Value::Decimal(d) => Some(*d),
            Value::Int(i) => Some(Decimal::from(*i)),
            _ => None,
        }
    }

    /// The text inside, if any.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The date inside, if any.
    pub fn as_date(&self) -> Option<NaiveDate> {
        match self {
            Value::Date(d) => Some(*d),
            Value::DateTime(d) => Some(d.date()),
            _ => None,
        }
    }

    /// The referenced record, if any.
    pub fn as_ref_id(&self) -> Option<RecordId> {
        match self {
            Value::Ref(r) => Some(*r),
            _ => None,
        }
    }

    /// The owner, if any.
    pub fn as_owner(&self) -> Option<OwnerId> {
        match self {
            Value::Owner(o) => Some(*o),
            _ => None,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.to_text().as_deref().unwrap_or(""))
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Text(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Text(s)
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}
impl From<i32> for Value {
    fn from(i: i32) -> Self {
        Value::Int(i64::from(i))
    }
}
impl From<Decimal> for Value {
    fn from(d: Decimal) -> Self {
        Value::Decimal(d)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}
impl From<NaiveDate> for Value {
    fn from(d: NaiveDate) -> Self {
        Value::Date(d)
    }
}
impl From<NaiveDateTime> for Value {
    fn from(d: NaiveDateTime) -> Self {
        Value::DateTime(d)
    }
}
impl From<NaiveTime> for Value {
    fn from(t: NaiveTime) -> Self {
        Value::Time(t)
    }
}
impl From<RecordId> for Value {
    fn from(r: RecordId) -> Self {
        Value::Ref(r)
    }
}
impl From<OwnerId> for Value {
    fn from(o: OwnerId) -> Self {
        Value::Owner(o)
    }
}
impl From<Vec<String>> for Value {
    fn from(l: Vec<String>) -> Self {
        Value::List(l)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(o: Option<T>) -> Self {
        o.map(Into::into).unwrap_or(Value::Null)
    }
}

/// Splits a multi-select text (`a |##| b`, vtiger's form) into values.
pub fn split_multi(s: &str) -> Vec<String> {
    s.split("|##|").map(str::trim).filter(|v| !v.is_empty()).map(str::to_string).collect()
}

/// Largest number of digits a decimal may carry (rust_decimal's 96-bit mantissa holds 28).
const MAX_DIGITS: u32 = 28;

/// Converts a loosely typed value into the type of `field`, checking its shape.
///
/// References and owners given as numbers become ids; other lookups (by name) are the caller's job.
/// Picklist membership, reference existence and mandatory checks happen later, in validation.
///
/// # Example
/// ```
/// use crm_core::value::coerce;
/// use crm_core::{Schema, Value};
/// let schema = Schema::builtin();
/// let amount = schema.module("Potentials").and_then(|m| m.field("amount")).expect("a built-in field");
/// assert_eq!(coerce(amount, Value::from("1200.5")).unwrap().to_text().as_deref(), Some("1200.50"));
/// assert_eq!(coerce(amount, Value::from("a lot")).unwrap_err().code.as_str(), "invalid_type");
/// ```
pub fn coerce(field: &Field, value: Value) -> Result<Value, FieldError> {
    let err = |code, msg: String| Err(FieldError::new(&field.name, code, msg));
    if value.is_empty() {
        return Ok(Value::Null);
    }
    match field.field_type {
        FieldType::Text | FieldType::TextArea | FieldType::Phone | FieldType::AutoNumber | FieldType::Picklist => {
            let s = match value {
                Value::Text(s) => s,
                Value::List(_) if field.field_type == FieldType::Picklist => {
                    return err(ValidationCode::InvalidType, "expected one value, got a list".into());
                }
                other => other.to_text().unwrap_or_default(),
            };
            let s = if field.field_type == FieldType::Picklist { s.trim().to_string() } else { s };
            check_len(field, s)
        }
        FieldType::Email => {
            let s = text_of(value).trim().to_string();
            len_ok(field, &s)?;
            if !is_email(&s) {
                return err(ValidationCode::InvalidFormat, format!("'{s}' is not an e-mail address"));
            }
            check_len(field, s)
        }
        FieldType::Url => {
            let s = text_of(value).trim().to_string();
            len_ok(field, &s)?;
            if !is_url(&s) {
                return err(ValidationCode::InvalidFormat, format!("'{s}' is not a web address"));
            }
            check_len(field, s)
        }
        FieldType::Integer => match value {
            Value::Int(i) => Ok(Value::Int(i)),
            Value::Decimal(d) if d.fract().is_zero() => match i64::try_from(d) {
                Ok(i) => Ok(Value::Int(i)),
                Err(_) => err(ValidationCode::OutOfRange, format!("{d} is too large")),
            },
            other => {
                let s = text_of(other);
                match s.trim().parse::<i64>() {
                    Ok(i) => Ok(Value::Int(i)),
                    Err(_) => err(ValidationCode::InvalidType, format!("'{s}' is not a whole number")),
                }
            }
        },
        FieldType::Decimal | FieldType::Currency | FieldType::Percent => {
            let d = match value {
                Value::Decimal(d) => d,
                Value::Int(i) => Decimal::from(i),
                other => {
                    let s = text_of(other);
                    match parse_decimal(&s) {
                        Some(d) => d,
                        None => {
                            let code =
                                if s.trim().chars().filter(|c| c.is_ascii_digit()).count() > MAX_DIGITS as usize && is_plain_number(&s) {
                                    ValidationCode::OutOfRange
                                } else {
                                    ValidationCode::InvalidType
                                };
                            return err(code, format!("'{s}' is not a number"));
                        }
                    }
                }
            };
            let scale = field.decimal_scale();
            let d = d.round_dp_with_strategy(scale, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
            let mut d = d;
            d.rescale(scale);
            if let Some(p) = field.precision {
                let int_digits = p.saturating_sub(scale);
                let limit = Decimal::from_i128_with_scale(10i128.pow(int_digits.min(MAX_DIGITS)), 0);
                if d.abs() >= limit {
                    return err(ValidationCode::OutOfRange, format!("{d} has more than {int_digits} digits before the decimal point"));
                }
            }
            if field.field_type == FieldType::Percent && (d < Decimal::ZERO || d > Decimal::ONE_HUNDRED) {
                return err(ValidationCode::OutOfRange, format!("{d} is not between 0 and 100"));
            }
            Ok(Value::Decimal(d))
        }
        FieldType::Date => match value {
            Value::Date(d) => Ok(Value::Date(d)),
            Value::DateTime(d) => Ok(Value::Date(d.date())),
            other => {
                let s = text_of(other);
                match parse_date(&s) {
                    Some(d) => Ok(Value::Date(d)),
                    None => err(ValidationCode::InvalidFormat, format!("'{s}' is not a date (expected yyyy-mm-dd)")),
                }
            }
        },
        FieldType::DateTime => match value {
            Value::DateTime(d) => Ok(Value::DateTime(d)),
            Value::Date(d) => Ok(Value::DateTime(d.and_time(NaiveTime::MIN))),
            other => {
                let s = text_of(other);
                match parse_datetime(&s) {
                    Some(d) => Ok(Value::DateTime(d)),
                    None => err(ValidationCode::InvalidFormat, format!("'{s}' is not a date and time (expected yyyy-mm-dd hh:mm:ss)")),
                }
            }
        },
        FieldType::Time => match value {
            Value::Time(t) => Ok(Value::Time(t)),
            other => {
                let s = text_of(other);
                let t = s.trim();
                match NaiveTime::parse_from_str(t, "%H:%M:%S").or_else(|_| NaiveTime::parse_from_str(t, "%H:%M")) {
                    Ok(t) => Ok(Value::Time(t)),
                    Err(_) => err(ValidationCode::InvalidFormat, format!("'{s}' is not a time (expected hh:mm[:ss])")),
                }
            }
        },
        FieldType::Checkbox => match value {
            Value::Bool(b) => Ok(Value::Bool(b)),
            Value::Int(i @ (0 | 1)) => Ok(Value::Bool(i == 1)),
            other => {
                let s = text_of(other);
                match s.trim().to_ascii_lowercase().as_str() {
                    "1" | "yes" | "true" | "on" | "y" => Ok(Value::Bool(true)),
                    "0" | "no" | "false" | "off" | "n" => Ok(Value::Bool(false)),
                    _ => err(ValidationCode::InvalidType, format!("'{s}' is not yes or no")),
                }
            }
        },
        FieldType::MultiPicklist => {
            let list = match value {
                Value::List(l) => l.into_iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect(),
                other => split_multi(&text_of(other)),
            };
            list.iter().try_for_each(|s| no_nul(field, s))?;
            Ok(Value::List(list))
        }
        FieldType::Reference => match value {
            Value::Ref(r) => Ok(Value::Ref(r)),
            Value::Int(i) => Ok(Value::Ref(RecordId(i))),
            Value::Text(s) => match s.trim().parse::<i64>() {
                Ok(i) => Ok(Value::Ref(RecordId(i))),
                // Names are resolved by the service before coercion; anything left is not an id.
                Err(_) => err(ValidationCode::InvalidReference, format!("'{s}' is not a record id")),
            },
            other => err(ValidationCode::InvalidType, format!("'{other}' is not a record id")),
        },
        FieldType::Owner => match value {
            Value::Owner(o) => Ok(Value::Owner(o)),
            Value::Int(i) => Ok(Value::Owner(OwnerId(i))),
            Value::Text(s) => match s.trim().parse::<i64>() {
                Ok(i) => Ok(Value::Owner(OwnerId(i))),
                Err(_) => err(ValidationCode::UnknownOwner, format!("'{s}' is not a user or group")),
            },
            other => err(ValidationCode::InvalidType, format!("'{other}' is not a user or group id")),
        },
    }
}

fn text_of(v: Value) -> String {
    match v {
        Value::Text(s) => s,
        other => other.to_text().unwrap_or_default(),
    }
}

/// The field's `max_length`, never above [`MAX_TEXT_CHARS`](crate::limits::MAX_TEXT_CHARS) (which also
/// bounds text areas and other fields without a length of their own).
fn check_len(field: &Field, s: String) -> Result<Value, FieldError> {
    len_ok(field, &s)?;
    Ok(Value::Text(s))
}

fn len_ok(field: &Field, s: &str) -> Result<(), FieldError> {
    no_nul(field, s)?;
    let max = field.max_length.map_or(crate::limits::MAX_TEXT_CHARS, |m| (m as usize).min(crate::limits::MAX_TEXT_CHARS));
    let n = s.chars().count();
    if n > max {
        return Err(FieldError::new(&field.name, ValidationCode::TooLong, format!("is {n} characters long, the maximum is {max}")));
    }
    Ok(())
}

/// Text holding NUL is refused on every store: PostgreSQL cannot keep it, and the stores must agree.
fn no_nul(field: &Field, s: &str) -> Result<(), FieldError> {
    if s.contains('\0') {
        return Err(FieldError::new(&field.name, ValidationCode::InvalidFormat, "contains a NUL character".to_string()));
    }
    Ok(())
}

fn is_plain_number(s: &str) -> bool {
    let s = s.trim().trim_start_matches(['-', '+']);
    !s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || c == '.')
}

/// Parses a plain decimal (`1234.50`, `-3`, `+0.5`). No thousands separators, no exponent.
pub fn parse_decimal(s: &str) -> Option<Decimal> {
    let t = s.trim();
    if !is_plain_number(t) || t.matches('.').count() > 1 || t.ends_with(['-', '+']) {
        return None;
    }
    Decimal::from_str_exact(t.trim_start_matches('+')).ok()
}

/// Parses an ISO date `yyyy-mm-dd` (an ISO date-time's date part is accepted too). Invalid days fail.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let t = s.trim();
    let t = t.get(..10).filter(|_| t.len() == 10 || t.as_bytes().get(10).is_some_and(|b| *b == b' ' || *b == b'T')).unwrap_or(t);
    NaiveDate::parse_from_str(t, "%Y-%m-%d").ok()
}

/// Parses `yyyy-mm-dd hh:mm[:ss]` or ISO `yyyy-mm-ddThh:mm[:ss][Z]`; a bare date means midnight.
pub fn parse_datetime(s: &str) -> Option<NaiveDateTime> {
    let t = s.trim().trim_end_matches('Z').replace('T', " ");
    NaiveDateTime::parse_from_str(&t, DATETIME_FORMAT)
        .or_else(|_| NaiveDateTime::parse_from_str(&t, "%Y-%m-%d %H:%M"))
        .ok()
        .or_else(|| NaiveDate::parse_from_str(&t, "%Y-%m-%d").ok().map(|d| d.and_time(NaiveTime::MIN)))
}

/// A practical e-mail check: one `@`, a non-empty local part, a dotted domain, no spaces or control chars.
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else { return false };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && s.chars().all(|c| !c.is_whitespace() && !c.is_control() && c != ',' && c != ';' && c != '<' && c != '>')
}

/// A practical URL check: `http(s)://host...` or a bare `host.tld[/...]`, no spaces.
pub fn is_url(s: &str) -> bool {
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let rest = s.strip_prefix("https://").or_else(|| s.strip_prefix("http://")).unwrap_or(s);
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit('@').next().unwrap_or(host);
    let host = host.split(':').next().unwrap_or(host);
    !host.is_empty() && (host.contains('.') || host == "localhost") && !host.starts_with('.') && !host.ends_with('.')
}

/// Serialises as [`Value::to_json`].
impl Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}

/// Deserialises with [`Value::from_json`].
impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        serde_json::Value::deserialize(d).map(|j| Value::from_json(&j))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_formatting_matches_chrono() {
        let times = [(0, 0, 0), (9, 5, 7), (23, 59, 59)];
        for y in [-10_000, -1, 0, 1, 9, 99, 999, 1970, 2026, 9999, 10_000, 262_142] {
            for (m, d) in [(1, 1), (2, 28), (12, 31)] {
                let Some(date) = NaiveDate::from_ymd_opt(y, m, d) else { continue };
                assert_eq!(format_date(date), date.format("%Y-%m-%d").to_string());
                for (h, mi, s) in times {
                    let Some(t) = date.and_hms_opt(h, mi, s) else { continue };
                    assert_eq!(format_datetime(t), t.format(DATETIME_FORMAT).to_string());
                }
            }
        }
    }
    use crate::schema::Schema;
    use rust_decimal_macros::dec;

    fn field(module: &str, name: &str) -> Field {
        Schema::builtin().module(module).unwrap().field(name).unwrap().clone()
    }

    #[test]
    fn decimals_are_exact_and_scaled() {
        let amount = field("Potentials", "amount");
        assert_eq!(coerce(&amount, "1000".into()).unwrap(), Value::Decimal(dec!(1000.00)));
        assert_eq!(coerce(&amount, "1000".into()).unwrap().to_text().unwrap(), "1000.00");
        assert_eq!(coerce(&amount, "0.105".into()).unwrap(), Value::Decimal(dec!(0.11)));
        assert_eq!(coerce(&amount, "12abc".into()).unwrap_err().code, ValidationCode::InvalidType);
        let big = "1".repeat(35);
        assert_eq!(coerce(&amount, big.as_str().into()).unwrap_err().code, ValidationCode::OutOfRange);
        assert_eq!(coerce(&amount, "1000000000000".into()).unwrap_err().code, ValidationCode::OutOfRange);
        let p = field("Potentials", "probability");
        assert_eq!(coerce(&p, "150".into()).unwrap_err().code, ValidationCode::OutOfRange);
        assert_eq!(coerce(&p, Value::Int(20)).unwrap(), Value::Decimal(dec!(20.000)));
    }

    #[test]
    fn dates_must_exist() {
        let d = field("Potentials", "closingdate");
        assert_eq!(coerce(&d, "2027-02-30".into()).unwrap_err().code, ValidationCode::InvalidFormat);
        assert_eq!(coerce(&d, "2027-02-28".into()).unwrap(), Value::Date(NaiveDate::from_ymd_opt(2027, 2, 28).unwrap()));
        assert!(parse_datetime("2026-11-20T10:15:00Z").is_some());
    }

    #[test]
    fn formats() {
        assert!(is_email("a.b@example.com"));
        assert!(!is_email("a@b"));
        assert!(!is_email("a b@example.com"));
        assert!(is_url("https://example.com/x"));
        assert!(is_url("www.example.com"));
        assert!(!is_url("not a url"));
    }

    #[test]
    fn text_round_trip() {
        let list = Value::List(vec!["a".into(), "b".into()]);
        assert_eq!(list.to_text().unwrap(), "a |##| b");
        assert_eq!(Value::from_text(FieldType::MultiPicklist, "a |##| b"), list);
        assert!(Value::Int(0).to_text().is_some(), "0 is not empty");
    }
}
