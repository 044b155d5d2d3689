//! Records as an import source: rows that are already parsed (a header and rows of cells, or name → value
//! maps), e.g. a DataFrame's rows or a JSON array of objects. They go through exactly the pipeline of a
//! CSV import (`rows`); only reading differs.

use super::source::{SourceNote, SourceRow};
use crate::error::{Error, Result};
use crate::value::Value;
use rust_decimal::Decimal;
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::str::FromStr;

type CellRows<'a> = Box<dyn Iterator<Item = Result<Vec<Value>>> + 'a>;
type MapRows<'a> = Box<dyn Iterator<Item = Result<Vec<(String, Value)>>> + 'a>;

enum Rows<'a> {
    Cells(CellRows<'a>),
    Maps { first: Option<Vec<(String, Value)>>, rest: MapRows<'a>, index: HashMap<String, usize> },
}

/// Parsed rows to import with [`Crm::import_records`](crate::Crm::import_records): column names (vtiger
/// labels or field names, mapped as a CSV header is) and, per row, one cell per column.
///
/// Cells are [`Value`]s. `Text` is read as a CSV cell is (the options' date and number formats, `Module::::Name`
/// references, `|##|`-separated multi-select values); `Int`, `Decimal`, `Date`, `DateTime`, `Bool` and
/// `List` go to the save pipeline as they are (checked against the field like any saved value); `Null`
/// is an empty cell. Rows are pulled one at a time, so an iterator over a large source is never held
/// whole. Row numbers in the report are 1-based positions of the rows.
///
/// # Example
/// ```
/// use crm_core::{Records, Value};
/// let rows = vec![Ok(vec![Value::from("Hooli renewal"), Value::Int(12000)])];
/// let records = Records::new(vec!["potentialname".into(), "amount".into()], rows.into_iter()).with_total(1);
/// assert_eq!(records.columns(), ["potentialname", "amount"]);
/// ```
pub struct Records<'a> {
    pub(super) columns: Vec<String>,
    rows: Rows<'a>,
    pub(super) total: Option<u64>,
    line: u64,
}

impl<'a> Records<'a> {
    /// Rows of cells in the order of `columns`. An `Err` row stops the import with that error (the
    /// batches committed before it stay, as with a storage error).
    pub fn new(columns: Vec<String>, rows: impl Iterator<Item = Result<Vec<Value>>> + 'a) -> Self {
        Records { columns, rows: Rows::Cells(Box::new(rows)), total: None, line: 0 }
    }

    /// Rows as name → value pairs (dicts, JSON objects). The columns are the first row's names; a later
    /// row with a name that is not among them fails (code `columns`, naming it); a missing name is an
    /// empty cell.
    ///
    /// # Errors
    /// The first row's error, when it is one.
    pub fn from_maps(rows: impl Iterator<Item = Result<Vec<(String, Value)>>> + 'a) -> Result<Self> {
        let mut rows = rows;
        let first = rows.next().transpose()?;
        let columns: Vec<String> = first.as_ref().map(|r| r.iter().map(|(k, _)| k.clone()).collect()).unwrap_or_default();
        let index = columns.iter().enumerate().map(|(i, c)| (c.clone(), i)).collect();
        Ok(Records { columns, rows: Rows::Maps { first, rest: Box::new(rows), index }, total: None, line: 0 })
    }

    /// Records from a JSON array of objects (the C binding's form): strings are text cells, numbers exact
    /// integers or decimals, `true`/`false` booleans, `null` empty, arrays multi-select values.
    ///
    /// # Errors
    /// `InvalidArgument` when the text is not a JSON array of objects.
    pub fn from_json(text: &str) -> Result<Records<'static>> {
        let rows = parse_objects(text).map_err(|e| Error::invalid(format!("rows_json: expected a JSON array of objects ({e})")))?;
        let total = rows.len() as u64;
        let rows = rows.into_iter().map(|r| r.into_iter().map(|(k, v)| Ok((k, json_cell(&v)?))).collect::<Result<Vec<_>>>());
        Ok(Records::from_maps(rows)?.with_total(total))
    }

    /// Sets the number of rows, when known, for progress totals.
    pub fn with_total(mut self, total: u64) -> Self {
        self.total = Some(total);
        self
    }

    /// The column names.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    pub(super) fn next_source_row(&mut self) -> Result<Option<SourceRow>> {
        let line = self.line + 1;
        let row = match &mut self.rows {
            Rows::Cells(rows) => match rows.next() {
                None => return Ok(None),
                Some(r) => SourceRow::Cells { line, cells: r? },
            },
            Rows::Maps { first, rest, index } => {
                let pairs = match first.take() {
                    Some(r) => r,
                    None => match rest.next() {
                        None => return Ok(None),
                        Some(r) => r?,
                    },
                };
                let mut cells = vec![Value::Null; index.len()];
                let mut unknown = Vec::new();
                for (k, v) in pairs {
                    match index.get(&k) {
                        Some(i) => cells[*i] = v,
                        None => unknown.push(k),
                    }
                }
                if unknown.is_empty() {
                    SourceRow::Cells { line, cells }
                } else {
                    let note = SourceNote {
                        column: unknown.first().cloned(),
                        code: "columns",
                        key: "UNKNOWN_COLUMNS",
                        args: vec![("columns", unknown.join(", "))],
                    };
                    SourceRow::Bad { line, note }
                }
            }
        };
        self.line = line;
        Ok(Some(row))
    }
}

/// One JSON object's members, in their order, values unparsed.
type Members = Vec<(String, Box<RawValue>)>;

/// A JSON array of objects, each object's keys in their order.
fn parse_objects(text: &str) -> std::result::Result<Vec<Members>, serde_json::Error> {
    use serde::de::{Deserializer, MapAccess, Visitor};
    struct Obj(Members);
    impl<'de> serde::Deserialize<'de> for Obj {
        fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Obj;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("a JSON object")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Obj, A::Error> {
                    let mut v = Vec::new();
                    while let Some(k) = map.next_key::<String>()? {
                        v.push((k, map.next_value::<Box<RawValue>>()?));
                    }
                    Ok(Obj(v))
                }
            }
            d.deserialize_map(V)
        }
    }
    let rows: Vec<Obj> = serde_json::from_str(text)?;
    Ok(rows.into_iter().map(|o| o.0).collect())
}

/// One JSON value as a cell; numbers keep every digit.
fn json_cell(raw: &RawValue) -> Result<Value> {
    let t = raw.get().trim();
    if t.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
        if let Ok(i) = t.parse::<i64>() {
            return Ok(Value::Int(i));
        }
        let d = if t.contains(['e', 'E']) { Decimal::from_scientific(t) } else { Decimal::from_str(t) };
        return d.map(Value::Decimal).map_err(|_| Error::invalid(format!("rows_json: {t} is out of the range of an exact decimal")));
    }
    let j: serde_json::Value = serde_json::from_str(t).map_err(|e| Error::invalid(format!("rows_json: {e}")))?;
    Ok(Value::from_json(&j))
}
