//! Reports as Arrow record batches: one converter for every report's rows ([`report_batch`]), and
//! [`ReportSpec`], which names a report (the pipeline, an aggregate or an analytics call) for both
//! bindings.
//!
//! Column types of report rows come from their cells: counts `int64`, exact decimals `decimal128(38, s)`
//! with the largest scale in the column (a column mixing counts and decimals is decimal), text `utf8`; a
//! column with no value in any row is `utf8` (all null). An aggregate's key column is named after the field
//! grouped by and has that field's type ([`super::types`]); its sums are `decimal128(38, s)`.

use super::columns::ColumnBuilder;
use super::types::Column;
use crate::analytics::{Cell, ReportRow};
use crate::error::{Error, Result};
use crate::query::{Condition, Query};
use crate::service::{Crm, PipelineBy};
use crate::value::Value;
use crate::view::Calendar;
use crate::wire::{ConditionSpec, QuerySpec};
use arrow_array::{RecordBatch, RecordBatchOptions};
use arrow_schema::{DataType, Field, Schema};
use chrono::NaiveDate;
use serde::Deserialize;
use std::sync::Arc;

/// Which report to turn into a record batch.
#[derive(Debug, Clone, PartialEq)]
pub enum ReportSpec {
    /// [`Crm::pipeline_calendar`] (today) or [`Crm::pipeline_as_of_calendar`]: columns `key`, `count`,
    /// `amount`, `forecast_amount`, `label`.
    Pipeline {
        /// The grouping.
        by: PipelineBy,
        /// Which opportunities.
        filter: Option<Condition>,
        /// The pipeline as it stood at the end of this day.
        as_of: Option<NaiveDate>,
        /// The calendar of close-date periods.
        calendar: Calendar,
    },
    /// [`Crm::aggregate`]: the key column (named after `group_by`, absent without it), `count`, then one
    /// column per sum.
    Aggregate {
        /// Which records.
        query: Query,
        /// The field grouped by (name or label).
        group_by: Option<String>,
        /// The fields summed (names or labels).
        sums: Vec<String>,
    },
    /// An analytics call by name with its JSON options ([`Crm::run_analytics`]).
    Analytics {
        /// The call (`forecast`, `win_rate`, `attainment`, ...).
        report: String,
        /// Its options, a JSON object (`""`: none).
        options_json: String,
    },
}

/// JSON options of `pipeline`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PipelineOptions {
    #[serde(default)]
    by: Option<String>,
    #[serde(default)]
    conditions: Vec<ConditionSpec>,
    #[serde(default)]
    as_of: Option<NaiveDate>,
    #[serde(default)]
    calendar: Option<String>,
}

/// JSON options of `aggregate`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AggregateOptions {
    query: QuerySpec,
    #[serde(default)]
    group_by: Option<String>,
    #[serde(default)]
    sums: Vec<String>,
}

impl ReportSpec {
    /// A report by name with JSON options: `pipeline` (`{"by": "stage", "conditions": [..], "as_of":
    /// "2027-03-31", "calendar": "jalali"}`, all optional, `by` `total` by default), `aggregate`
    /// (`{"query": {"module": "Potentials", ..}, "group_by": "sales_stage", "sums": ["amount"]}`), or any
    /// analytics call with its options.
    ///
    /// # Errors
    /// `InvalidArgument` for bad JSON, an unknown option, grouping, calendar or operator.
    pub fn from_json(report: &str, options_json: &str) -> Result<ReportSpec> {
        let text = if options_json.trim().is_empty() { "{}" } else { options_json };
        let bad = |e: serde_json::Error| Error::invalid(format!("{report} options: {e}"));
        Ok(match report.trim() {
            "pipeline" => {
                let o: PipelineOptions = serde_json::from_str(text).map_err(bad)?;
                ReportSpec::Pipeline {
                    by: o.by.as_deref().unwrap_or("total").parse()?,
                    filter: ConditionSpec::all(o.conditions)?,
                    as_of: o.as_of,
                    calendar: o.calendar.as_deref().unwrap_or("gregorian").parse()?,
                }
            }
            "aggregate" => {
                let o: AggregateOptions = serde_json::from_str(text).map_err(bad)?;
                ReportSpec::Aggregate { query: o.query.into_query()?, group_by: o.group_by, sums: o.sums }
            }
            other => ReportSpec::Analytics { report: other.to_string(), options_json: options_json.to_string() },
        })
    }
}

impl Crm {
    /// The rows of a report as one Arrow record batch (writes among the analytics calls, such as
    /// `set_quota`, run as in [`Crm::run_analytics`]).
    ///
    /// ```
    /// # fn main() -> Result<(), crm_core::Error> {
    /// use crm_core::arrow::ReportSpec;
    /// use crm_core::{Crm, Fields, NewUser};
    /// let mut crm = Crm::open(":memory:")?;
    /// crm.add_user(NewUser::new("admin"))?;
    /// crm.set_actor("admin")?;
    /// crm.create("Potentials", Fields::new().with("potentialname", "Hooli renewal").with("amount", "12000")
    ///     .with("sales_stage", "Prospecting").with("closingdate", "2027-03-31"))?;
    /// let batch = crm.report_arrow(ReportSpec::from_json("pipeline", r#"{"by": "stage"}"#)?)?;
    /// assert_eq!(batch.schema().field(2).data_type().to_string(), "Decimal128(38, 2)");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The report's errors.
    pub fn report_arrow(&mut self, spec: ReportSpec) -> Result<RecordBatch> {
        match spec {
            ReportSpec::Pipeline { by, filter, as_of, calendar } => {
                let rows = match as_of {
                    Some(d) => self.pipeline_as_of_calendar(d, by, filter, calendar)?,
                    None => self.pipeline_calendar(by, filter, calendar)?,
                };
                report_batch(&rows.into_iter().map(ReportRow::from).collect::<Vec<_>>())
            }
            ReportSpec::Aggregate { query, group_by, sums } => {
                let refs: Vec<&str> = sums.iter().map(String::as_str).collect();
                let module = self.module(&query.module)?.clone();
                let groups = crate::wire::aggregate(self, query, group_by.as_deref(), &refs)?;
                let mut cols: Vec<(String, DataType)> = Vec::new();
                if let Some(g) = &groups.group_by {
                    let f = module.field(g).ok_or_else(|| Error::invalid(format!("no field '{g}'")))?;
                    cols.push((g.clone(), Column::of_field(f).data_type()));
                }
                cols.push(("count".into(), DataType::Int64));
                for (i, s) in groups.sums.iter().enumerate() {
                    let scale = groups.groups.iter().map(|g| g.sums[i].scale()).max().unwrap_or(0);
                    cols.push((s.clone(), decimal_type(scale)));
                }
                let keyed = usize::from(groups.group_by.is_some());
                batch(cols, groups.groups.len(), |c, r| {
                    let g = &groups.groups[r];
                    match c {
                        c if c < keyed => g.key.clone(),
                        c if c == keyed => Value::Int(i64::try_from(g.count).unwrap_or(i64::MAX)),
                        c => Value::Decimal(g.sums[c - keyed - 1]),
                    }
                })
            }
            ReportSpec::Analytics { report, options_json } => report_batch(&self.run_analytics(&report, &options_json)?),
        }
    }
}

/// `decimal128(38, scale)`.
fn decimal_type(scale: u32) -> DataType {
    DataType::Decimal128(38, i8::try_from(scale.min(37)).unwrap_or(0))
}

/// Any report's rows as one record batch: the columns in their first appearance order, typed from their
/// cells (see the module docs).
///
/// ```
/// use crm_core::analytics::ReportRow;
/// use crm_core::rust_decimal::Decimal;
/// let rows = [ReportRow::new().with("stage", "Prospecting").with("count", 2_u64).with("amount", Decimal::new(1950075, 2))];
/// let batch = crm_core::arrow::report_batch(&rows).expect("convertible");
/// let types: Vec<String> = batch.schema().fields().iter().map(|f| f.data_type().to_string()).collect();
/// assert_eq!(types, ["Utf8", "Int64", "Decimal128(38, 2)"]);
/// ```
///
/// # Errors
/// `InvalidArgument` for a count beyond `i64`.
pub fn report_batch(rows: &[ReportRow]) -> Result<RecordBatch> {
    let mut names: Vec<&str> = Vec::new();
    for r in rows {
        for (n, _) in &r.cells {
            if !names.contains(&n.as_str()) {
                names.push(n);
            }
        }
    }
    let cols = names
        .iter()
        .map(|n| {
            let cells = rows.iter().filter_map(|r| r.get(n));
            let (mut text, mut dec, mut count, mut scale) = (false, false, false, 0);
            for c in cells {
                match c {
                    Cell::Text(_) => text = true,
                    Cell::Decimal(d) => {
                        dec = true;
                        scale = scale.max(d.scale());
                    }
                    Cell::Count(_) => count = true,
                    Cell::Empty => {}
                }
            }
            let t = match (text, dec, count) {
                (true, ..) | (false, false, false) => DataType::Utf8,
                (false, true, _) => decimal_type(scale),
                (false, false, true) => DataType::Int64,
            };
            (n.to_string(), t)
        })
        .collect::<Vec<_>>();
    let names: Vec<String> = cols.iter().map(|(n, _)| n.clone()).collect();
    batch(cols, rows.len(), |c, r| match rows[r].get(&names[c]) {
        None | Some(Cell::Empty) => Value::Null,
        Some(Cell::Count(n)) => i64::try_from(*n).map_or_else(|_| Value::Decimal((*n).into()), Value::Int),
        Some(Cell::Decimal(d)) => Value::Decimal(*d),
        Some(Cell::Text(t)) => Value::Text(t.clone()),
    })
}

/// A batch of `rows` rows of `cols` (name, type), the value of column `c` in row `r` given by `value`.
fn batch(cols: Vec<(String, DataType)>, rows: usize, value: impl Fn(usize, usize) -> Value) -> Result<RecordBatch> {
    let mut arrays = Vec::with_capacity(cols.len());
    for (c, (name, t)) in cols.iter().enumerate() {
        let mut b = ColumnBuilder::new(t, rows)?;
        for r in 0..rows {
            b.append(&value(c, r)).map_err(|why| Error::invalid(format!("report row {}, column '{name}': {why}", r + 1)))?;
        }
        arrays.push(b.finish());
    }
    let schema = Arc::new(Schema::new(cols.into_iter().map(|(n, t)| Field::new(n, t, true)).collect::<Vec<_>>()));
    RecordBatch::try_new_with_options(schema, arrays, &RecordBatchOptions::new().with_row_count(Some(rows)))
        .map_err(super::from_arrow_error)
}
