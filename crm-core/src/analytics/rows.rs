//! The rows every report returns: named cells in a fixed order, each text, a count, an exact decimal or
//! empty. One shape for all reports keeps the bindings free of per-report code: C gets a JSON object per
//! row (decimals as strings), Python a dict (decimals as `Decimal`).

use rust_decimal::Decimal;
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

/// One cell of a report row.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Cell {
    /// No value (a ratio over nothing, a group without a key).
    Empty,
    /// A count.
    Count(u64),
    /// An exact decimal.
    Decimal(Decimal),
    /// Text (a key: stage, owner, period, category).
    Text(String),
}

impl Serialize for Cell {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Cell::Empty => s.serialize_none(),
            Cell::Count(n) => s.serialize_u64(*n),
            Cell::Decimal(d) => s.serialize_str(&d.to_string()),
            Cell::Text(t) => s.serialize_str(t),
        }
    }
}

impl From<u64> for Cell {
    fn from(n: u64) -> Cell {
        Cell::Count(n)
    }
}
impl From<Decimal> for Cell {
    fn from(d: Decimal) -> Cell {
        Cell::Decimal(d)
    }
}
impl From<Option<Decimal>> for Cell {
    fn from(d: Option<Decimal>) -> Cell {
        d.map_or(Cell::Empty, Cell::Decimal)
    }
}
impl From<String> for Cell {
    fn from(t: String) -> Cell {
        Cell::Text(t)
    }
}
impl From<&str> for Cell {
    fn from(t: &str) -> Cell {
        Cell::Text(t.to_string())
    }
}

/// One row of a report: named cells in the report's column order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReportRow {
    /// `(column, cell)` in order.
    pub cells: Vec<(String, Cell)>,
}

impl ReportRow {
    /// An empty row.
    pub fn new() -> ReportRow {
        ReportRow::default()
    }

    /// Adds a cell.
    pub fn with(mut self, name: &str, cell: impl Into<Cell>) -> ReportRow {
        self.cells.push((name.to_string(), cell.into()));
        self
    }

    /// A cell by column name.
    pub fn get(&self, name: &str) -> Option<&Cell> {
        self.cells.iter().find(|(n, _)| n == name).map(|(_, c)| c)
    }

    /// A text cell (`None` when absent or not text).
    pub fn text(&self, name: &str) -> Option<&str> {
        match self.get(name) {
            Some(Cell::Text(t)) => Some(t),
            _ => None,
        }
    }

    /// A count cell.
    pub fn count(&self, name: &str) -> Option<u64> {
        match self.get(name) {
            Some(Cell::Count(n)) => Some(*n),
            _ => None,
        }
    }

    /// A decimal cell.
    pub fn decimal(&self, name: &str) -> Option<Decimal> {
        match self.get(name) {
            Some(Cell::Decimal(d)) => Some(*d),
            _ => None,
        }
    }
}

impl Serialize for ReportRow {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.cells.len()))?;
        for (k, v) in &self.cells {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// A pipeline row as a report row: `key`, `count`, `amount`, `forecast_amount`, `label` (the key when no
/// display name differs).
impl From<crate::PipelineRow> for ReportRow {
    fn from(r: crate::PipelineRow) -> ReportRow {
        let label = r.label.unwrap_or_else(|| r.key.clone());
        ReportRow::new()
            .with("key", r.key)
            .with("count", r.count)
            .with("amount", r.amount)
            .with("forecast_amount", r.forecast_amount)
            .with("label", label)
    }
}
