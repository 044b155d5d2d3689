//! Column builders: typed values appended one at a time, finished into an Arrow array. Records and reports
//! share them, so a value becomes the same Arrow value wherever it comes from.

use crate::error::{Error, Result};
use crate::value::Value;
use arrow_array::ArrayRef;
use arrow_array::builder::{
    BooleanBuilder, Date32Builder, Decimal128Builder, Int64Builder, ListBuilder, StringBuilder, Time64MicrosecondBuilder,
    TimestampMicrosecondBuilder,
};
use arrow_schema::{DataType, TimeUnit};
use chrono::{NaiveDate, NaiveDateTime, Timelike};
use rust_decimal::Decimal;
use std::sync::Arc;

/// Builds one column of one of the Arrow types of [`super::types`].
#[derive(Debug)]
pub enum ColumnBuilder {
    /// `int64`.
    Int(Int64Builder),
    /// `utf8`.
    Text(StringBuilder),
    /// `decimal128(precision, scale)`.
    Decimal(Decimal128Builder, u8, i8),
    /// `date32`.
    Date(Date32Builder),
    /// `timestamp[us, tz]`.
    Timestamp(TimestampMicrosecondBuilder),
    /// `time64[us]`.
    Time(Time64MicrosecondBuilder),
    /// `bool`.
    Bool(BooleanBuilder),
    /// `list<utf8>`.
    List(ListBuilder<StringBuilder>),
}

impl ColumnBuilder {
    /// A builder for `data_type` with room for `rows`.
    ///
    /// # Errors
    /// `InvalidArgument` for a type no column of crm has.
    pub fn new(data_type: &DataType, rows: usize) -> Result<ColumnBuilder> {
        Ok(match data_type {
            DataType::Int64 => ColumnBuilder::Int(Int64Builder::with_capacity(rows)),
            DataType::Utf8 => ColumnBuilder::Text(StringBuilder::with_capacity(rows, rows * 8)),
            DataType::Decimal128(p, s) => ColumnBuilder::Decimal(
                Decimal128Builder::with_capacity(rows).with_precision_and_scale(*p, *s).map_err(super::from_arrow_error)?,
                *p,
                *s,
            ),
            DataType::Date32 => ColumnBuilder::Date(Date32Builder::with_capacity(rows)),
            DataType::Timestamp(TimeUnit::Microsecond, tz) => {
                ColumnBuilder::Timestamp(TimestampMicrosecondBuilder::with_capacity(rows).with_timezone_opt(tz.clone()))
            }
            DataType::Time64(TimeUnit::Microsecond) => ColumnBuilder::Time(Time64MicrosecondBuilder::with_capacity(rows)),
            DataType::Boolean => ColumnBuilder::Bool(BooleanBuilder::with_capacity(rows)),
            DataType::List(_) => ColumnBuilder::List(ListBuilder::with_capacity(StringBuilder::new(), rows)),
            other => return Err(Error::invalid(format!("arrow: no crm column has type {other}"))),
        })
    }

    /// Appends one value (`Null`, empty text and an empty list are nulls). `Err` holds why the value does
    /// not fit the column.
    pub fn append(&mut self, v: &Value) -> std::result::Result<(), String> {
        if v.is_empty() {
            self.append_null();
            return Ok(());
        }
        match self {
            ColumnBuilder::Int(b) => b.append_value(int_of(v)?),
            ColumnBuilder::Text(b) => b.append_value(v.to_text().unwrap_or_default()),
            ColumnBuilder::Decimal(b, p, s) => b.append_value(mantissa(decimal_of(v)?, *p, *s)?),
            ColumnBuilder::Date(b) => b.append_value(days_of(date_of(v)?)?),
            ColumnBuilder::Timestamp(b) => b.append_value(datetime_of(v)?.and_utc().timestamp_micros()),
            ColumnBuilder::Time(b) => match v {
                Value::Time(t) => b.append_value(i64::from(t.num_seconds_from_midnight()) * 1_000_000 + i64::from(t.nanosecond() / 1000)),
                _ => return Err("not a time of day".into()),
            },
            ColumnBuilder::Bool(b) => match v {
                Value::Bool(x) => b.append_value(*x),
                _ => return Err("not a checkbox value".into()),
            },
            ColumnBuilder::List(b) => {
                match v {
                    Value::List(items) => items.iter().for_each(|i| b.values().append_value(i)),
                    other => b.values().append_value(other.to_text().unwrap_or_default()),
                }
                b.append(true);
            }
        }
        Ok(())
    }

    fn append_null(&mut self) {
        match self {
            ColumnBuilder::Int(b) => b.append_null(),
            ColumnBuilder::Text(b) => b.append_null(),
            ColumnBuilder::Decimal(b, ..) => b.append_null(),
            ColumnBuilder::Date(b) => b.append_null(),
            ColumnBuilder::Timestamp(b) => b.append_null(),
            ColumnBuilder::Time(b) => b.append_null(),
            ColumnBuilder::Bool(b) => b.append_null(),
            ColumnBuilder::List(b) => b.append_null(),
        }
    }

    /// The finished array.
    pub fn finish(&mut self) -> ArrayRef {
        match self {
            ColumnBuilder::Int(b) => Arc::new(b.finish()),
            ColumnBuilder::Text(b) => Arc::new(b.finish()),
            ColumnBuilder::Decimal(b, ..) => Arc::new(b.finish()),
            ColumnBuilder::Date(b) => Arc::new(b.finish()),
            ColumnBuilder::Timestamp(b) => Arc::new(b.finish()),
            ColumnBuilder::Time(b) => Arc::new(b.finish()),
            ColumnBuilder::Bool(b) => Arc::new(b.finish()),
            ColumnBuilder::List(b) => Arc::new(b.finish()),
        }
    }
}

fn int_of(v: &Value) -> std::result::Result<i64, String> {
    match v {
        Value::Int(i) => Ok(*i),
        Value::Ref(r) => Ok(r.0),
        Value::Owner(o) => Ok(o.0),
        Value::Text(t) => t.trim().parse().map_err(|_| format!("'{t}' is not a whole number")),
        Value::Decimal(d) if d.fract().is_zero() => i64::try_from(*d).map_err(|_| format!("{d} does not fit a 64-bit integer")),
        _ => Err("not a whole number".into()),
    }
}

fn decimal_of(v: &Value) -> std::result::Result<Decimal, String> {
    match v {
        Value::Decimal(d) => Ok(*d),
        Value::Int(i) => Ok(Decimal::from(*i)),
        Value::Text(t) => t.trim().parse().map_err(|_| format!("'{t}' is not a decimal")),
        _ => Err("not a decimal".into()),
    }
}

/// The decimal128 integer of `d` at `scale` (rounded half away from zero when it has more digits, as
/// values are stored), checked against `precision`.
fn mantissa(d: Decimal, precision: u8, scale: i8) -> std::result::Result<i128, String> {
    let scale = u32::try_from(scale).unwrap_or(0);
    let r = d.round_dp_with_strategy(scale, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    let mut m = r.mantissa();
    let have = r.scale();
    for _ in have..scale {
        m = m.checked_mul(10).ok_or_else(|| format!("{d} does not fit decimal128({precision}, {scale})"))?;
    }
    let limit = 10_i128.checked_pow(u32::from(precision)).unwrap_or(i128::MAX);
    if m.unsigned_abs() >= limit.unsigned_abs() {
        return Err(format!("{d} has more than {precision} digits"));
    }
    Ok(m)
}

fn date_of(v: &Value) -> std::result::Result<NaiveDate, String> {
    match v {
        Value::Date(d) => Ok(*d),
        Value::DateTime(t) => Ok(t.date()),
        Value::Text(t) => NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d").map_err(|_| format!("'{t}' is not a date")),
        _ => Err("not a date".into()),
    }
}

fn days_of(d: NaiveDate) -> std::result::Result<i32, String> {
    let days = d.signed_duration_since(NaiveDate::default()).num_days(); // NaiveDate::default() is 1970-01-01
    i32::try_from(days).map_err(|_| format!("{d} is out of range"))
}

fn datetime_of(v: &Value) -> std::result::Result<NaiveDateTime, String> {
    match v {
        Value::DateTime(t) => Ok(*t),
        Value::Date(d) => Ok(d.and_time(chrono::NaiveTime::MIN)),
        Value::Text(t) => {
            NaiveDateTime::parse_from_str(t.trim(), crate::value::DATETIME_FORMAT).map_err(|_| format!("'{t}' is not a date and time"))
        }
        _ => Err("not a date and time".into()),
    }
}
