//! The Arrow type of every column a record batch can hold: the record columns and one per field type.
//!
//! | field type | Arrow type |
//! | --- | --- |
//! | currency, decimal, percent | `decimal128(precision, scale)`: the field's scale; its precision, or 38 |
//! | integer | `int64` |
//! | date | `date32` |
//! | date-time | `timestamp[us, tz=UTC]` (stored in UTC; a consumer shows it in any zone) |
//! | time | `time64[us]` |
//! | checkbox | `bool` |
//! | multi-select | `list<utf8>` |
//! | reference, owner | `int64` (record id, user or group id) |
//! | text, text area, e-mail, phone, URL, picklist, auto-number | `utf8` |
//!
//! Record columns: `id` (`int64`, never null), `label` (`utf8`), `version` (`int64`). Each field column
//! carries metadata `crm.type` (the field type, snake case) and `crm.label` (its label); the schema carries
//! `crm.module`.

use crate::error::{Error, Result};
use crate::schema::{Field as CrmField, FieldType, Module};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use std::collections::HashMap;
use std::sync::Arc;

/// The time zone of timestamp columns: date-times are stored in UTC.
pub const TIME_ZONE: &str = "UTC";

/// The record columns a batch may hold besides fields, by name.
pub const RECORD_COLUMNS: [&str; 3] = ["id", "label", "version"];

/// Largest decimal128 precision.
const MAX_PRECISION: u8 = 38;

/// What one column holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    /// The record id.
    Id,
    /// The record's name.
    Label,
    /// The record's version.
    Version,
    /// A field, by name, with its type.
    Field {
        /// Field name.
        name: String,
        /// Field type.
        field_type: FieldType,
        /// Decimal precision and scale (decimal types only).
        decimal: Option<(u8, i8)>,
    },
}

impl Column {
    /// The column of a field.
    pub fn of_field(f: &CrmField) -> Column {
        let decimal = f.field_type.is_decimal().then(|| decimal_of(f));
        Column::Field { name: f.name.clone(), field_type: f.field_type, decimal }
    }

    /// The column's name.
    pub fn name(&self) -> &str {
        match self {
            Column::Id => "id",
            Column::Label => "label",
            Column::Version => "version",
            Column::Field { name, .. } => name,
        }
    }

    /// The column's Arrow type.
    pub fn data_type(&self) -> DataType {
        match self {
            Column::Id | Column::Version => DataType::Int64,
            Column::Label => DataType::Utf8,
            Column::Field { field_type, decimal, .. } => field_data_type(*field_type, *decimal),
        }
    }
}

/// The Arrow type of a field type (`decimal`: precision and scale of decimal types).
pub fn field_data_type(t: FieldType, decimal: Option<(u8, i8)>) -> DataType {
    match t {
        FieldType::Currency | FieldType::Decimal | FieldType::Percent => {
            let (p, s) = decimal.unwrap_or((MAX_PRECISION, 8));
            DataType::Decimal128(p, s)
        }
        FieldType::Integer | FieldType::Reference | FieldType::Owner => DataType::Int64,
        FieldType::Date => DataType::Date32,
        FieldType::DateTime => DataType::Timestamp(TimeUnit::Microsecond, Some(TIME_ZONE.into())),
        FieldType::Time => DataType::Time64(TimeUnit::Microsecond),
        FieldType::Checkbox => DataType::Boolean,
        FieldType::MultiPicklist => DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
        FieldType::Text
        | FieldType::TextArea
        | FieldType::Email
        | FieldType::Phone
        | FieldType::Url
        | FieldType::Picklist
        | FieldType::AutoNumber => DataType::Utf8,
    }
}

/// Precision and scale of a decimal field: its scale; its precision (at least the scale + 1), or 38.
fn decimal_of(f: &CrmField) -> (u8, i8) {
    let scale = f.decimal_scale().min(u32::from(MAX_PRECISION) - 1);
    let precision = f.precision.unwrap_or(u32::from(MAX_PRECISION)).clamp(scale + 1, u32::from(MAX_PRECISION));
    // both fit: scale < 38, precision <= 38
    (u8::try_from(precision).unwrap_or(MAX_PRECISION), i8::try_from(scale).unwrap_or(0))
}

/// The snake-case name of a field type (`crm.type` metadata).
fn type_name(t: FieldType) -> String {
    serde_json::to_value(t).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_else(|| format!("{t:?}").to_lowercase())
}

/// The columns of `module` a batch holds: `columns` (field names or labels, or the record columns `id`,
/// `label`, `version`) in that order, or, when `None`, the record columns then every field in layout
/// order; `hidden` fields (hidden from the acting user) are left out of the default (the caller refuses
/// them when asked for by name, as reads do).
///
/// # Errors
/// `InvalidArgument` for an unknown column or one asked for twice.
pub fn plan_columns(module: &Module, columns: Option<&[String]>, hidden: &[String]) -> Result<Vec<Column>> {
    let Some(asked) = columns else {
        let mut out = vec![Column::Id, Column::Label, Column::Version];
        out.extend(module.fields_in_layout_order().iter().filter(|f| !hidden.contains(&f.name)).map(|f| Column::of_field(f)));
        return Ok(out);
    };
    let mut out: Vec<Column> = Vec::with_capacity(asked.len());
    for name in asked {
        let c = match name.as_str() {
            "id" => Column::Id,
            "label" => Column::Label,
            "version" => Column::Version,
            _ => {
                let f = module
                    .field_by_name_or_label(name)
                    .ok_or_else(|| Error::invalid(format!("column '{name}': no such field in {}", module.name)))?;
                Column::of_field(f)
            }
        };
        if out.iter().any(|o| o.name() == c.name()) {
            return Err(Error::invalid(format!("column '{}' asked for twice", c.name())));
        }
        out.push(c);
    }
    Ok(out)
}

/// The Arrow schema of `columns` of `module` (with the metadata of the module docs).
pub fn record_schema(module: &Module, columns: &[Column]) -> SchemaRef {
    let fields: Vec<Field> = columns
        .iter()
        .map(|c| {
            let f = Field::new(c.name(), c.data_type(), !matches!(c, Column::Id));
            match c {
                Column::Field { name, field_type, .. } => {
                    let label = module.field(name).map(|f| f.label.clone()).unwrap_or_default();
                    f.with_metadata(HashMap::from([("crm.type".to_string(), type_name(*field_type)), ("crm.label".to_string(), label)]))
                }
                _ => f,
            }
        })
        .collect();
    Arc::new(Schema::new_with_metadata(fields, HashMap::from([("crm.module".to_string(), module.name.clone())])))
}
