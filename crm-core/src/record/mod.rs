//! Records: a module name, an id unique across modules, and typed field values ([`Values`], by name, kept
//! in the slots of the module's layout when a store hands them out).

pub mod values;
pub use values::Values;

use crate::error::{Error, Result};
use crate::value::{RecordId, Value};
use serde::{Deserialize, Serialize};
use serde_json::Map;
use std::collections::BTreeMap;

/// One stored record of any module.
///
/// Serde gives it as an object with `id`, `module`, `label`, `version`, `deleted` and `values` (each value in
/// its JSON form, see [`Value::to_json`]); the bindings' wire form is built from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Unique across all modules.
    pub id: RecordId,
    /// Module name, e.g. `Potentials`.
    pub module: String,
    /// The record's name (entity-name fields joined), used to find it by name.
    pub label: String,
    /// Increases with every stored change; used for optimistic concurrency.
    pub version: u64,
    /// True while the record is in the recycle bin.
    pub deleted: bool,
    /// Field values by field name. Absent fields are empty. Behaves as a `BTreeMap<String, Value>` (see
    /// [`Values`]); records from the stores and from saves keep them in their module's slot order.
    pub values: Values,
}

static NULL: Value = Value::Null;

impl Record {
    /// The value of a field (`Value::Null` when empty or unknown).
    pub fn get(&self, field: &str) -> &Value {
        self.values.get(field).unwrap_or(&NULL)
    }

    /// The record as a flat JSON object: `id`, `module` and every non-empty field. The bindings send
    /// [`crate::wire::Record`] instead (with `label`, `version`, `deleted` and the module's layout).
    ///
    /// Decimals are strings of exact decimals (`"200.00"`), dates ISO strings, references and owners ids.
    pub fn to_json(&self) -> serde_json::Value {
        let mut m = Map::new();
        m.insert("id".into(), self.id.0.into());
        m.insert("module".into(), self.module.clone().into());
        for (k, v) in &self.values {
            if !v.is_empty() {
                m.insert(k.clone(), v.to_json());
            }
        }
        serde_json::Value::Object(m)
    }
}

/// Field values handed to create and update: field name → loosely typed value.
///
/// Values are converted to each field's type on save, so text works for every type
/// (`"1000.50"` for an amount, `"2027-03-31"` for a date, a user name for an owner, an organization's name
/// or id for a reference).
///
/// ```
/// use crm_core::Fields;
/// let f = Fields::new().with("potentialname", "Big deal").with("amount", "1000");
/// assert_eq!(f.len(), 2);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fields(pub BTreeMap<String, Value>);

impl Fields {
    /// No fields.
    pub fn new() -> Self {
        Self::default()
    }
    /// Adds or replaces one field (builder style).
    pub fn with(mut self, field: impl Into<String>, value: impl Into<Value>) -> Self {
        self.0.insert(field.into(), value.into());
        self
    }
    /// Adds or replaces one field.
    pub fn set(&mut self, field: impl Into<String>, value: impl Into<Value>) {
        self.0.insert(field.into(), value.into());
    }
    /// The value given for a field.
    pub fn get(&self, field: &str) -> Option<&Value> {
        self.0.get(field)
    }
    /// True when the field was given.
    pub fn contains(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }
    /// Number of fields given.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// True when no field was given.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Iterates over the given fields.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.0.iter()
    }
    /// Reads a JSON object (`{"amount": "1000", ...}`); `id` and `module` keys are ignored.
    ///
    /// # Errors
    /// `InvalidArgument` when the JSON is not an object.
    pub fn from_json(j: &serde_json::Value) -> Result<Fields> {
        let obj = j.as_object().ok_or_else(|| Error::invalid("fields must be a JSON object"))?;
        Ok(Fields(
            obj.iter()
                .filter(|(k, _)| k.as_str() != "id" && k.as_str() != "module")
                .map(|(k, v)| (k.clone(), Value::from_json(v)))
                .collect(),
        ))
    }
}

impl<K: Into<String>, V: Into<Value>> FromIterator<(K, V)> for Fields {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Fields(iter.into_iter().map(|(k, v)| (k.into(), v.into())).collect())
    }
}

impl IntoIterator for Fields {
    type Item = (String, Value);
    type IntoIter = std::collections::btree_map::IntoIter<String, Value>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn records_and_fields_go_through_serde() {
        let mut values = BTreeMap::new();
        values.insert("amount".to_string(), Value::Decimal(dec!(200.00)));
        values.insert("potentialname".to_string(), Value::Text("Big deal".into()));
        let rec = Record {
            id: RecordId(7),
            module: "Potentials".into(),
            label: "Big deal".into(),
            version: 3,
            deleted: false,
            values: values.into(),
        };
        let json = serde_json::to_value(&rec).unwrap();
        assert_eq!(json["id"], 7);
        assert_eq!(json["version"], 3);
        assert_eq!(json["values"]["amount"], "200.00"); // exact decimal text, never a float
        let back: Record = serde_json::from_value(json.clone()).unwrap();
        assert_eq!((back.id, back.version, back.deleted), (rec.id, rec.version, rec.deleted));
        assert_eq!(serde_json::to_value(&back).unwrap(), json);

        let fields = Fields::new().with("amount", "1000");
        let json = serde_json::to_value(&fields).unwrap();
        assert_eq!(json, serde_json::json!({"amount": "1000"}));
        assert_eq!(serde_json::from_value::<Fields>(json).unwrap(), fields);
    }
}
