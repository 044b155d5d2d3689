//! The wire contract: what crosses a binding boundary (C, Python), defined once with serde.
//!
//! Both bindings use these types, so a record, a condition or an error means the same thing in C and in
//! Python; a binding only turns its host's values into them (C: JSON text; Python: objects).
//!
//! * [`Record`]: a record as it leaves the engine. A flat object with the reserved keys `id`, `module`,
//!   `label`, `version`, `deleted` (true in the recycle bin), then the fields under vtiger's field names:
//!   every field of the module in layout order, `null` when empty ([`Record::new`]), or only the non-empty
//!   ones where no schema is at hand ([`Record::sparse`], the record handed to a host workflow function).
//!   In JSON, money and percentages are strings of exact decimals (`"12000.50"`), dates and date-times ISO
//!   strings, checkboxes booleans, multi-selects arrays of strings, references and owners integer ids.
//! * [`FieldsIn`]: field values coming in (create, update): an object of field name (or label) → value.
//!   The reserved keys are ignored, so a record can be edited and sent back.
//! * [`QuerySpec`], [`ConditionSpec`], [`SortSpec`]: which records to read (conditions, sort, paging,
//!   recycle bin), turned into a [`crate::Query`] by [`QuerySpec::into_query`].
//! * [`ErrorKind`] (re-exported here): the class of an error, which both bindings match
//!   on exhaustively.
//!
//! * [`ConversionSpec`] (lead conversion) and [`SelectionSpec`] (which records an export writes): option
//!   objects whose JSON form is not their engine type's serde form.
//! * [`Conversion`]: what a lead conversion created, keyed by vtiger's module names.
//! * Option values passed as text are read by one `FromStr` each, which both bindings call: the pipeline
//!   grouping ([`crate::PipelineBy`]) and the stage kind ([`crate::StageKind`]) here; the import and export
//!   option values in [`crate::io::option_names`].
//!
//! The other options (import, export, vCard, lead mapping) cross in the serde form of their own types
//! ([`crate::io::ImportOptions`], [`crate::io::ExportOptions`], [`crate::VcardImportOptions`], ...).
//!
//! Reading values from JSON keeps their exact digits: a JSON number `1000.10` becomes the text `1000.10`,
//! never a float. That needs the JSON deserializer itself (`serde_json::from_str`/`from_slice`); from an
//! already parsed `serde_json::Value` numbers that are not integers go through their shortest text.

pub use crate::error::ErrorKind;

use crate::error::{Error, Result};
use crate::query::{Condition, Op, Query, Sort};
use crate::record::Fields;
use crate::schema::Module;
use crate::value::{RecordId, Value};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// The keys of a wire record that are not fields; ignored in field input.
pub const RESERVED_KEYS: [&str; 5] = ["id", "module", "label", "version", "deleted"];

/// True for a key of [`RESERVED_KEYS`].
pub fn is_reserved(key: &str) -> bool {
    RESERVED_KEYS.contains(&key)
}

/// A record as it crosses a binding boundary. Serialises as a flat object (see the module docs).
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// Unique across all modules.
    pub id: RecordId,
    /// Module name, e.g. `Potentials`.
    pub module: String,
    /// The record's name (entity-name fields joined).
    pub label: String,
    /// The version to hand back to an optimistic update.
    pub version: u64,
    /// True while the record is in the recycle bin.
    pub deleted: bool,
    /// Field names, parallel to `values` (shared by the records of one module).
    pub columns: Arc<[String]>,
    /// Field values (`Value::Null` when empty), parallel to `columns`.
    pub values: Vec<Value>,
}

impl Record {
    /// Every field of `module` in layout order (empty ones `Null`).
    pub fn new(module: &Module, record: &crate::Record) -> Record {
        Record::with_columns(layout_columns(module), record)
    }

    /// Only the non-empty fields, by name: for where no schema is at hand.
    pub fn sparse(record: &crate::Record) -> Record {
        let (columns, values): (Vec<String>, Vec<Value>) =
            record.values.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| (k.clone(), v.clone())).unzip();
        Record::head(record, columns.into(), values)
    }

    /// The record's values for `columns`, in that order.
    pub fn with_columns(columns: Arc<[String]>, record: &crate::Record) -> Record {
        let values = columns.iter().map(|c| record.get(c).clone()).collect();
        Record::head(record, columns, values)
    }

    fn head(r: &crate::Record, columns: Arc<[String]>, values: Vec<Value>) -> Record {
        Record { id: r.id, module: r.module.clone(), label: r.label.clone(), version: r.version, deleted: r.deleted, columns, values }
    }

    /// The fields and their values, in order.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.columns.iter().map(String::as_str).zip(&self.values)
    }

    /// The value of one field (`Null` when empty or absent).
    pub fn get(&self, field: &str) -> &Value {
        static NULL: Value = Value::Null;
        self.columns.iter().position(|c| c == field).map_or(&NULL, |i| &self.values[i])
    }

    /// The flat JSON object.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// The field names of `module` in layout order.
pub fn layout_columns(module: &Module) -> Arc<[String]> {
    module.fields_in_layout_order().iter().map(|f| f.name.clone()).collect()
}

/// Wire records of `records` (of any modules) in layout order, reading each module's layout once; the
/// fields hidden from the acting user are left out.
///
/// # Errors
/// `NotFound` when a record's module is unknown to the schema.
pub fn records(crm: &crate::Crm, records: &[crate::Record]) -> Result<Vec<Record>> {
    let mut layouts = Layouts::default();
    records.iter().map(|r| layouts.record(crm, r)).collect()
}

/// Turns records into wire records one at a time (e.g. as [`Crm::find_each`](crate::Crm::find_each) hands
/// them out), reading each module's layout once.
///
/// ```
/// # fn main() -> Result<(), crm_core::Error> {
/// use crm_core::{Crm, Fields, NewUser, Query, wire};
/// let mut crm = Crm::open(":memory:")?;
/// crm.add_user(NewUser::new("admin"))?;
/// crm.set_actor("admin")?;
/// crm.create("Accounts", Fields::new().with("accountname", "Hooli"))?;
/// let mut layouts = wire::Layouts::default();
/// let mut out = Vec::new();
/// crm.find_each(Query::new("Accounts"), |r| {
///     out.push(layouts.record(&crm, &r)?);
///     Ok(true)
/// })?;
/// assert_eq!(out[0].get("accountname").to_text().as_deref(), Some("Hooli"));
/// # Ok(()) }
/// ```
#[derive(Debug, Default)]
pub struct Layouts {
    columns: HashMap<String, Arc<[String]>>,
}

impl Layouts {
    /// The wire record of `r`.
    ///
    /// # Errors
    /// `NotFound` when the record's module is unknown to the schema.
    pub fn record(&mut self, crm: &crate::Crm, r: &crate::Record) -> Result<Record> {
        let columns = match self.columns.get(r.module.as_str()) {
            Some(c) => Arc::clone(c),
            None => {
                // access control: the fields hidden from the acting user are not columns
                let hidden = crm.hidden_fields(&r.module)?;
                let all = layout_columns(crm.module(&r.module)?);
                let c: Arc<[String]> = if hidden.is_empty() { all } else { all.iter().filter(|f| !hidden.contains(f)).cloned().collect() };
                self.columns.insert(r.module.clone(), Arc::clone(&c));
                c
            }
        };
        Ok(Record::with_columns(columns, r))
    }
}

impl Serialize for Record {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(RESERVED_KEYS.len() + self.values.len()))?;
        m.serialize_entry("id", &self.id)?;
        m.serialize_entry("module", &self.module)?;
        m.serialize_entry("label", &self.label)?;
        m.serialize_entry("version", &self.version)?;
        m.serialize_entry("deleted", &self.deleted)?;
        for (k, v) in self.fields() {
            m.serialize_entry(k, &v.to_json())?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for Record {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Record;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a record object with id, module, label, version, deleted and fields")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Record, A::Error> {
                let (mut id, mut module, mut label, mut version, mut deleted) = (None, None, None, None, None);
                let (mut columns, mut values) = (Vec::new(), Vec::new());
                while let Some(k) = map.next_key::<String>()? {
                    match k.as_str() {
                        "id" => id = Some(map.next_value::<RecordId>()?),
                        "module" => module = Some(map.next_value::<String>()?),
                        "label" => label = Some(map.next_value::<String>()?),
                        "version" => version = Some(map.next_value::<u64>()?),
                        "deleted" => deleted = Some(map.next_value::<bool>()?),
                        _ => {
                            values.push(Value::from_json(&map.next_value::<serde_json::Value>()?));
                            columns.push(k);
                        }
                    }
                }
                Ok(Record {
                    id: id.ok_or_else(|| de::Error::missing_field("id"))?,
                    module: module.ok_or_else(|| de::Error::missing_field("module"))?,
                    label: label.unwrap_or_default(),
                    version: version.unwrap_or_default(),
                    deleted: deleted.unwrap_or_default(),
                    columns: columns.into(),
                    values,
                })
            }
        }
        d.deserialize_map(V)
    }
}

/// One loosely typed input value; JSON numbers keep their exact digits (`1000.10` stays `"1000.10"`,
/// integers become [`Value::Int`]), to be coerced against the field on save.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueIn(pub Value);

impl ValueIn {
    /// Reads a value from its raw JSON text.
    pub fn from_raw(raw: &RawValue) -> std::result::Result<ValueIn, serde_json::Error> {
        let t = raw.get().trim();
        let is_number = t.starts_with(|c: char| c == '-' || c.is_ascii_digit());
        if is_number && !t.contains(['e', 'E']) {
            return Ok(ValueIn(t.parse::<i64>().map(Value::Int).unwrap_or_else(|_| Value::Text(t.to_string()))));
        }
        let j: serde_json::Value = serde_json::from_str(t)?;
        Ok(ValueIn(Value::from_json(&j)))
    }
}

impl<'de> Deserialize<'de> for ValueIn {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(d)?;
        ValueIn::from_raw(&raw).map_err(de::Error::custom)
    }
}

/// Field values coming in: a JSON object of field name (or label) → value. The reserved keys of a wire
/// record are skipped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldsIn(pub Fields);

impl<'de> Deserialize<'de> for FieldsIn {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FieldsIn;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object of field values")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<FieldsIn, A::Error> {
                let mut fields = Fields::new();
                while let Some(k) = map.next_key::<String>()? {
                    let v = map.next_value::<ValueIn>()?;
                    if !is_reserved(&k) {
                        fields.set(k, v.0);
                    }
                }
                Ok(FieldsIn(fields))
            }
        }
        d.deserialize_map(V)
    }
}

/// One condition of a query: a comparison, or a group.
///
/// JSON: `{"field": "amount", "op": ">", "value": "10000"}` (`"values": [..]` for `between` and `in`, no
/// value for `is empty`), `{"all": [..]}`, `{"any": [..]}`, `{"not": {..}}`. Fields by name or label;
/// operators by symbol, name or vtiger's comparator code ([`Op::parse`]). Unknown keys are refused.
#[derive(Debug, Clone, PartialEq)]
pub enum ConditionSpec {
    /// Every condition holds.
    All(Vec<ConditionSpec>),
    /// At least one holds.
    Any(Vec<ConditionSpec>),
    /// The condition does not hold.
    Not(Box<ConditionSpec>),
    /// A field compared with values.
    Compare {
        /// Field name or label.
        field: String,
        /// The operator as given (`">"`, `"gt"`, `"g"`, ...).
        op: String,
        /// The operands (none for `is empty`, two for `between`).
        values: Vec<Value>,
    },
}

impl ConditionSpec {
    /// A comparison.
    pub fn compare(field: impl Into<String>, op: impl Into<String>, values: Vec<Value>) -> ConditionSpec {
        ConditionSpec::Compare { field: field.into(), op: op.into(), values }
    }

    /// The engine's condition.
    ///
    /// # Errors
    /// `InvalidArgument` for an unknown operator.
    pub fn into_condition(self) -> Result<Condition> {
        Ok(match self {
            ConditionSpec::All(v) => Condition::All(v.into_iter().map(ConditionSpec::into_condition).collect::<Result<_>>()?),
            ConditionSpec::Any(v) => Condition::Any(v.into_iter().map(ConditionSpec::into_condition).collect::<Result<_>>()?),
            ConditionSpec::Not(c) => Condition::Not(Box::new(c.into_condition()?)),
            ConditionSpec::Compare { field, op, values } => {
                let op = Op::parse(&op).ok_or_else(|| Error::invalid(format!("condition on '{field}': unknown operator '{op}'")))?;
                Condition::Compare { field, op, values }
            }
        })
    }

    /// All of `list` as one condition (`None` for an empty list).
    ///
    /// # Errors
    /// As [`ConditionSpec::into_condition`].
    pub fn all(list: Vec<ConditionSpec>) -> Result<Option<Condition>> {
        let mut all = list.into_iter().map(ConditionSpec::into_condition).collect::<Result<Vec<_>>>()?;
        Ok(match all.len() {
            0 => None,
            1 => all.pop(),
            _ => Some(Condition::All(all)),
        })
    }
}

impl<'de> Deserialize<'de> for ConditionSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ConditionSpec;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a condition object: {\"field\", \"op\", \"value\"|\"values\"} or {\"all\"|\"any\"|\"not\": ...}")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<ConditionSpec, A::Error> {
                let mut group: Option<ConditionSpec> = None;
                let (mut field, mut op, mut value, mut values): (Option<String>, Option<String>, Option<ValueIn>, Option<Vec<ValueIn>>) =
                    (None, None, None, None);
                while let Some(k) = map.next_key::<String>()? {
                    match k.as_str() {
                        "all" => group = Some(ConditionSpec::All(map.next_value()?)),
                        "any" => group = Some(ConditionSpec::Any(map.next_value()?)),
                        "not" => group = Some(ConditionSpec::Not(Box::new(map.next_value()?))),
                        "field" => field = Some(map.next_value()?),
                        "op" => op = Some(map.next_value()?),
                        "value" => value = Some(map.next_value()?),
                        "values" => values = Some(map.next_value()?),
                        other => return Err(de::Error::custom(format!("condition: unexpected key '{other}'"))),
                    }
                }
                if let Some(g) = group {
                    if field.is_some() || op.is_some() || value.is_some() || values.is_some() {
                        return Err(de::Error::custom("a condition group (all, any, not) has no field, op or value"));
                    }
                    return Ok(g);
                }
                let field =
                    field.ok_or_else(|| de::Error::custom("a condition needs \"field\" and \"op\" (or \"all\", \"any\", \"not\")"))?;
                let op = op.ok_or_else(|| de::Error::custom(format!("condition on '{field}' has no \"op\"")))?;
                let values = match (value, values) {
                    (Some(_), Some(_)) => {
                        return Err(de::Error::custom(format!("condition on '{field}' has both \"value\" and \"values\"")));
                    }
                    (Some(v), None) => vec![v.0],
                    (None, Some(list)) => list.into_iter().map(|v| v.0).collect(),
                    (None, None) => vec![],
                };
                Ok(ConditionSpec::Compare { field, op, values })
            }
        }
        d.deserialize_map(V)
    }
}

/// One sort key: `"field"` (ascending), `"-field"` (descending) or `{"field", "descending"}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum SortSpec {
    /// `field` or `-field`.
    Key(String),
    /// The explicit form.
    Sort(Sort),
}

impl SortSpec {
    /// The engine's sort key.
    pub fn into_sort(self) -> Sort {
        match self {
            SortSpec::Key(k) => Sort::parse(&k),
            SortSpec::Sort(s) => s,
        }
    }
}

/// Which records to read: module, conditions (all must hold), sort, page, recycle bin.
///
/// JSON: `{"module": "Potentials", "conditions": [..], "sort": ["-amount"], "limit": 20, "offset": 0,
/// "deleted": false}`; only `module` is required; unknown keys are refused, so a typo never silently
/// widens a query. Default order: most recently modified first.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuerySpec {
    /// Module name or label.
    pub module: String,
    /// Conditions, all of which must hold.
    #[serde(default)]
    pub conditions: Vec<ConditionSpec>,
    /// Sort keys; ties by id.
    #[serde(default)]
    pub sort: Vec<SortSpec>,
    /// Page size (`None`: every record).
    #[serde(default)]
    pub limit: Option<u64>,
    /// Records to skip.
    #[serde(default)]
    pub offset: u64,
    /// True lists the recycle bin instead of live records.
    #[serde(default)]
    pub deleted: bool,
}

impl QuerySpec {
    /// A query of every live record of `module`.
    pub fn new(module: impl Into<String>) -> QuerySpec {
        QuerySpec { module: module.into(), conditions: vec![], sort: vec![], limit: None, offset: 0, deleted: false }
    }

    /// The engine's query.
    ///
    /// # Errors
    /// `InvalidArgument` for an unknown operator.
    pub fn into_query(self) -> Result<Query> {
        let mut q = Query::new(self.module);
        for c in self.conditions {
            q = q.filter(c.into_condition()?);
        }
        q.sort = self.sort.into_iter().map(SortSpec::into_sort).collect();
        q.limit = self.limit;
        q.offset = self.offset;
        q.deleted = self.deleted;
        Ok(q)
    }
}

/// One record a lead conversion may create: skip it, create it from the lead's mapped values, or create
/// it with these fields overriding the mapped ones.
///
/// JSON: `null`/`false` skip, `true` mapped values only, an object of fields.
#[derive(Debug, Clone, PartialEq)]
pub enum PartSpec {
    /// Do not create it.
    Skip,
    /// Create it from the mapped lead values.
    Mapped,
    /// Create it, these fields overriding the mapped values.
    With(Fields),
}

impl PartSpec {
    /// The fields to create the record with (`None`: skip it).
    pub fn into_fields(self) -> Option<Fields> {
        match self {
            PartSpec::Skip => None,
            PartSpec::Mapped => Some(Fields::new()),
            PartSpec::With(f) => Some(f),
        }
    }
}

impl<'de> Deserialize<'de> for PartSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PartSpec;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("null, false, true or an object of fields")
            }
            fn visit_unit<E: de::Error>(self) -> std::result::Result<PartSpec, E> {
                Ok(PartSpec::Skip)
            }
            fn visit_none<E: de::Error>(self) -> std::result::Result<PartSpec, E> {
                Ok(PartSpec::Skip)
            }
            fn visit_bool<E: de::Error>(self, b: bool) -> std::result::Result<PartSpec, E> {
                Ok(if b { PartSpec::Mapped } else { PartSpec::Skip })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> std::result::Result<PartSpec, A::Error> {
                let FieldsIn(f) = FieldsIn::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(PartSpec::With(f))
            }
        }
        d.deserialize_any(V)
    }
}

/// A present key, `null` included, is `Some`: `null` means skip, an absent key the default.
fn present<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<PartSpec>, D::Error> {
    PartSpec::deserialize(d).map(Some)
}

/// The options of a lead conversion.
///
/// JSON: `{"account": {..}|true|false, "contact": {..}|true|false, "potential": {..}|true|false,
/// "assigned_to": "jdoe", "transfer_to": "contact"|"account"}`; an absent part takes vtiger's default
/// (organization and contact created, no opportunity). Unknown keys are refused.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConversionSpec {
    /// The organization (absent: created from mapped values).
    #[serde(default, deserialize_with = "present")]
    pub account: Option<PartSpec>,
    /// The contact (absent: created from mapped values).
    #[serde(default, deserialize_with = "present")]
    pub contact: Option<PartSpec>,
    /// The opportunity (absent: not created).
    #[serde(default, deserialize_with = "present")]
    pub potential: Option<PartSpec>,
    /// Owner of the created records (user or group name; absent: the lead's owner).
    #[serde(default)]
    pub assigned_to: Option<String>,
    /// Which created record takes over the lead's links: `contact` (default) or `account` (also
    /// `Contacts`/`Accounts`, any case).
    #[serde(default)]
    pub transfer_to: Option<String>,
}

impl ConversionSpec {
    /// The engine's conversion options.
    ///
    /// # Errors
    /// `InvalidArgument` for a `transfer_to` that is neither contact nor account.
    pub fn into_conversion(self) -> Result<crate::LeadConversion> {
        let defaults = crate::LeadConversion::new();
        let transfer_to = match self.transfer_to.as_deref().map(str::to_ascii_lowercase).as_deref() {
            None | Some("contact" | "contacts") => crate::TransferTo::Contact,
            Some("account" | "accounts") => crate::TransferTo::Account,
            Some(_) => {
                let t = self.transfer_to.unwrap_or_default();
                return Err(Error::invalid(format!("transfer_to '{t}' is not \"contact\" or \"account\"")));
            }
        };
        Ok(crate::LeadConversion {
            account: self.account.map_or(defaults.account, PartSpec::into_fields),
            contact: self.contact.map_or(defaults.contact, PartSpec::into_fields),
            potential: self.potential.map_or(defaults.potential, PartSpec::into_fields),
            assigned_to: self.assigned_to,
            transfer_to,
        })
    }
}

/// Which records an export writes.
///
/// JSON: `{"ids": [7, 8]}` (these records, in this order), `{"query": {..QuerySpec..}, "page": 1, "size":
/// 50}` (one page), or `{"all": {..QuerySpec..}}` (everything the query selects). Unknown keys are refused.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelectionSpec {
    /// These records, in this order.
    #[serde(default)]
    pub ids: Option<Vec<RecordId>>,
    /// One page of this query.
    #[serde(default)]
    pub query: Option<QuerySpec>,
    /// The page (1-based, default 1) with `query`.
    #[serde(default)]
    pub page: Option<u64>,
    /// The page size (default 50) with `query`.
    #[serde(default)]
    pub size: Option<u64>,
    /// Everything this query selects.
    #[serde(default)]
    pub all: Option<QuerySpec>,
}

impl SelectionSpec {
    /// The engine's export selection.
    ///
    /// # Errors
    /// `InvalidArgument` unless exactly one of `ids`, `query`, `all` is given (`page`/`size` only with
    /// `query`), or for an unknown operator in the query.
    pub fn into_selection(self) -> Result<crate::ExportSelection> {
        use crate::ExportSelection as S;
        let paged = self.page.is_some() || self.size.is_some();
        match (self.ids, self.query, self.all) {
            (Some(ids), None, None) if !paged => Ok(S::Ids(ids)),
            (None, Some(q), None) => Ok(S::Page { query: q.into_query()?, page: self.page.unwrap_or(1), size: self.size.unwrap_or(50) }),
            (None, None, Some(q)) if !paged => Ok(S::All(q.into_query()?)),
            _ => Err(Error::invalid("a selection is one of \"ids\", \"query\" (with \"page\", \"size\") or \"all\"")),
        }
    }
}

/// A record a batch operation skipped, as both bindings report it: `{"id": 7, "code": "not_found",
/// "message": "...", "errors": [..field errors of a validation failure..]}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Failure {
    /// The record.
    pub id: RecordId,
    /// The error's kind (its stable code).
    pub code: ErrorKind,
    /// A message for people.
    pub message: String,
    /// Every field problem when the kind is validation (empty otherwise).
    pub errors: Vec<crate::FieldError>,
}

/// What a mass action did: `{"succeeded": [ids in request order], "failed": [Failure, ...]}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MassReport {
    /// Records written (or already in the requested state).
    pub succeeded: Vec<RecordId>,
    /// Records skipped, with the reason.
    pub failed: Vec<Failure>,
}

impl From<&crate::MassResult> for MassReport {
    fn from(r: &crate::MassResult) -> Self {
        MassReport {
            succeeded: r.succeeded.clone(),
            failed: r
                .failed
                .iter()
                .map(|f| Failure { id: f.id, code: f.error.kind(), message: f.error.to_string(), errors: f.error.field_errors().to_vec() })
                .collect(),
        }
    }
}

/// The records a lead conversion (or a new customer with its opportunity) created, keyed by vtiger's
/// module names: `{"Accounts": 12, "Contacts": 13, "Potentials": 14, "account_reused": false}` (`null`
/// for a record not created).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversion {
    /// The organization (created or reused).
    #[serde(rename = "Accounts")]
    pub accounts: Option<RecordId>,
    /// The contact.
    #[serde(rename = "Contacts")]
    pub contacts: Option<RecordId>,
    /// The opportunity.
    #[serde(rename = "Potentials")]
    pub potentials: Option<RecordId>,
    /// True when an existing organization with the same name was reused.
    pub account_reused: bool,
}

impl From<&crate::Converted> for Conversion {
    fn from(c: &crate::Converted) -> Self {
        Conversion { accounts: c.account, contacts: c.contact, potentials: c.potential, account_reused: c.account_reused }
    }
}

/// The value of option `option` is not one of `accepted`.
fn unknown_value(option: &str, given: &str, accepted: &str) -> Error {
    Error::invalid(format!("{option}: unknown value '{given}' (one of {accepted})"))
}

/// A pipeline grouping by name, any case: `total` (or `all`), `stage` (`sales_stage`), `stage_kind`
/// (`kind`), `owner` (`assigned_user_id`), `close_month` (`month`), `close_quarter` (`quarter`),
/// `close_year` (`year`).
impl FromStr for crate::PipelineBy {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        use crate::PipelineBy as B;
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "total" | "all" => B::Total,
            "stage" | "sales_stage" => B::Stage,
            "stage_kind" | "kind" => B::StageKind,
            "owner" | "assigned_user_id" => B::Owner,
            "close_month" | "month" => B::CloseMonth,
            "close_quarter" | "quarter" => B::CloseQuarter,
            "close_year" | "year" => B::CloseYear,
            _ => return Err(unknown_value("by", s, "total, stage, stage_kind, owner, close_month, close_quarter, close_year")),
        })
    }
}

/// A stage kind by name, any case: `open`, `won`, `lost`.
impl FromStr for crate::StageKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        use crate::StageKind as K;
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "open" => K::Open,
            "won" => K::Won,
            "lost" => K::Lost,
            _ => return Err(unknown_value("kind", s, "open, won, lost")),
        })
    }
}

/// An aggregate as both bindings return it: the field names it was asked for (labels resolved to names)
/// and its groups. Serialises as the array of groups, each `{"count": 3, "key": "Prospecting", "sums":
/// {"amount": "31000.00"}}`: `key` in the record JSON form (`null` for the empty group or without
/// grouping), sums exact decimal strings keyed by field name in request order. Keys are written in the
/// order `count`, `key`, `sums`.
#[derive(Debug, Clone, PartialEq)]
pub struct Groups {
    /// The field grouped by, by name (`None`: one group of everything).
    pub group_by: Option<String>,
    /// The fields summed, by name, parallel to each group's `sums`.
    pub sums: Vec<String>,
    /// The groups.
    pub groups: Vec<crate::Aggregate>,
}

/// Groups the records `query` selects by `group_by` and sums the `sums` fields (names or labels), naming
/// the fields by their names.
///
/// # Errors
/// As [`crate::Crm::aggregate`].
pub fn aggregate(crm: &crate::Crm, query: Query, group_by: Option<&str>, sums: &[&str]) -> Result<Groups> {
    aggregate_in(crm, query, group_by, sums, None)
}

/// [`aggregate`] with the money sums in `currency` (the base currency when `None`), as
/// [`crate::Crm::aggregate_in`] computes them.
///
/// # Errors
/// As [`crate::Crm::aggregate_in`].
pub fn aggregate_in(crm: &crate::Crm, query: Query, group_by: Option<&str>, sums: &[&str], currency: Option<&str>) -> Result<Groups> {
    let module = query.module.clone();
    let groups = crm.aggregate_in(query, group_by, sums, currency)?;
    let m = crm.module(&module)?;
    let name = |n: &str| m.field_by_name_or_label(n).map_or_else(|| n.to_string(), |f| f.name.clone());
    Ok(Groups { group_by: group_by.map(name), sums: sums.iter().map(|s| name(s)).collect(), groups })
}

impl Serialize for Groups {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        struct Sums<'a>(&'a [String], &'a [rust_decimal::Decimal]);
        impl Serialize for Sums<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(Some(self.0.len()))?;
                for (k, d) in self.0.iter().zip(self.1) {
                    m.serialize_entry(k, &d.to_string())?;
                }
                m.end()
            }
        }
        struct One<'a>(&'a [String], &'a crate::Aggregate);
        impl Serialize for One<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(Some(3))?;
                m.serialize_entry("count", &self.1.count)?;
                m.serialize_entry("key", &self.1.key.to_json())?;
                m.serialize_entry("sums", &Sums(self.0, &self.1.sums))?;
                m.end()
            }
        }
        s.collect_seq(self.groups.iter().map(|g| One(&self.sums, g)))
    }
}

/// One condition of a saved filter: `{"field", "comparator", "value"}` or the short form `[field,
/// comparator, value]` (value optional). A value that is not text is written as its JSON text (`1000`,
/// `true`), `null` as empty.
#[derive(Debug, Clone, PartialEq)]
pub struct FilterConditionSpec(pub crate::FilterCondition);

/// A filter value as the text a saved filter stores.
fn filter_value(v: serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s,
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

impl<'de> Deserialize<'de> for FilterConditionSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Object {
            field: String,
            comparator: String,
            #[serde(default)]
            value: serde_json::Value,
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Form {
            Object(Object),
            Triple(String, String, #[serde(default)] serde_json::Value),
            Pair((String, String)),
        }
        let (field, comparator, value) = match Form::deserialize(d)
            .map_err(|_| de::Error::custom("a filter condition is {\"field\", \"comparator\", \"value\"} or [field, comparator, value]"))?
        {
            Form::Object(o) => (o.field, o.comparator, o.value),
            Form::Triple(f, c, v) => (f, c, v),
            Form::Pair((f, c)) => (f, c, serde_json::Value::Null),
        };
        Ok(FilterConditionSpec(crate::FilterCondition::new(field, comparator, filter_value(value))))
    }
}

/// Sort keys of a saved filter: `"-amount, closingdate"`, `["-amount", "closingdate"]` or `[{"field",
/// "descending"}]`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SortKeys(pub Vec<Sort>);

impl<'de> Deserialize<'de> for SortKeys {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Form {
            Text(String),
            List(Vec<SortSpec>),
        }
        Ok(SortKeys(match Form::deserialize(d)? {
            Form::Text(t) => t.split(',').map(str::trim).filter(|k| !k.is_empty()).map(Sort::parse).collect(),
            Form::List(l) => l.into_iter().map(SortSpec::into_sort).collect(),
        }))
    }
}

/// A saved filter as both bindings accept it: the serde form of [`crate::Filter`] (as `filters` returns
/// it), with conditions also as `[field, comparator, value]`, sort keys also as `"-amount, closingdate"`
/// or `["-amount"]`, and `visibility` defaulting to `public`. Unknown keys are refused.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilterSpec {
    /// Id of the filter to replace (0 or absent: a new one).
    #[serde(default)]
    pub id: i64,
    /// Name.
    pub name: String,
    /// Module name or label.
    pub module: String,
    /// Columns shown, in order.
    #[serde(default)]
    pub columns: Vec<String>,
    /// The standard date filter.
    #[serde(default)]
    pub std_filter: Option<crate::view::filter::StdFilter>,
    /// Conditions that must all hold.
    #[serde(default)]
    pub all: Vec<FilterConditionSpec>,
    /// Conditions of which one must hold.
    #[serde(default)]
    pub any: Vec<FilterConditionSpec>,
    /// Sort order.
    #[serde(default)]
    pub sort: SortKeys,
    /// The module's default filter.
    #[serde(default)]
    pub default: bool,
    /// Who sees it (default public).
    #[serde(default)]
    pub visibility: Option<crate::Visibility>,
    /// The owner's user name (set by the engine on save).
    #[serde(default)]
    pub owner: Option<String>,
}

impl FilterSpec {
    /// The engine's filter (checked against the schema when saved).
    pub fn into_filter(self) -> crate::Filter {
        crate::Filter {
            id: self.id,
            name: self.name,
            module: self.module,
            columns: self.columns,
            std_filter: self.std_filter,
            all: self.all.into_iter().map(|c| c.0).collect(),
            any: self.any.into_iter().map(|c| c.0).collect(),
            sort: self.sort.0,
            default: self.default,
            visibility: self.visibility.unwrap_or(crate::Visibility::Public),
            owner: self.owner,
        }
    }
}

/// `query` narrowed by the saved filter `filter` (id or name; `None`: unchanged): the filter's conditions
/// and `query`'s must all hold; the filter's order applies when `query` has none.
///
/// # Errors
/// `NotFound` for an unknown filter; as [`crate::Crm::filter_query`].
pub fn with_filter(crm: &crate::Crm, mut query: Query, filter: Option<&str>) -> Result<Query> {
    let Some(key) = filter else { return Ok(query) };
    let f = crm.filter(&query.module, key)?;
    let fq = crm.filter_query(&f)?;
    query.condition = match (fq.condition, query.condition.take()) {
        (Some(a), Some(b)) => Some(Condition::All(vec![a, b])),
        (a, b) => a.or(b),
    };
    if query.sort.is_empty() {
        query.sort = fq.sort;
    }
    Ok(query)
}
