//! Schema customization of `crm.Crm`: vtiger's layout editor (fields, blocks) and picklist editor (values,
//! roles, dependencies, sales-stage metadata), and the schema change log.
//!
//! A picklist field is given as a field name (`"sales_stage"`, looked up in Potentials first, then in every
//! module) or a `(module, field)` pair; fields and blocks by name or label.

use crate::crm::{Crm, FieldOut};
use crate::engine::Access;
use crate::errors::Failure;
use crate::json::{from_value, to_json, to_py};
use crm_core::{FieldUpdate, NewField, StageKind};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// A picklist field as given from Python: `"field"` or `(module, field)`.
pub struct FieldSpec {
    module: Option<String>,
    field: String,
}

impl FieldSpec {
    /// Reads `"field"` or `(module, field)`.
    pub fn extract(v: &Bound<'_, PyAny>) -> PyResult<FieldSpec> {
        if let Ok(s) = v.cast::<PyString>() {
            return Ok(FieldSpec { module: None, field: s.to_cow()?.into_owned() });
        }
        if let Ok(t) = v.cast::<PyTuple>() {
            let (m, f): (String, String) = t.extract()?;
            return Ok(FieldSpec { module: Some(m), field: f });
        }
        Err(PyTypeError::new_err("field is a str or a (module, field) tuple"))
    }

    /// The module and field name (the module given, else the first module with a picklist field of that
    /// name, Potentials first).
    pub fn resolve(&self, crm: &crm_core::Crm) -> Result<(String, String), Failure> {
        if let Some(m) = &self.module {
            return Ok((crm.module(m)?.name.clone(), self.field.clone()));
        }
        let schema = crm.schema();
        let is_picklist = |m: &crm_core::Module| m.field(&self.field).is_some_and(|f| f.picklist_name().is_some());
        let found = schema
            .modules
            .get("Potentials")
            .filter(|m| is_picklist(m))
            .or_else(|| schema.modules.values().find(|m| is_picklist(m)))
            .ok_or_else(|| crm_core::Error::NotFound(format!("picklist field '{}'", self.field)))?;
        Ok((found.name.clone(), self.field.clone()))
    }
}

/// A stage kind, read by crm-core's parser (the one C's `crm_stage_meta_set` uses).
fn kind_of(s: &str) -> PyResult<StageKind> {
    s.parse::<StageKind>().map_err(|e| crate::errors::Failure::from(e).into())
}

/// Options `add_field` accepts (besides `label` and `type`).
const NEW_FIELD_OPTIONS: &[&str] = &[
    "name",
    "block",
    "mandatory",
    "quick_create",
    "hidden",
    "default",
    "max_length",
    "precision",
    "scale",
    "mass_editable",
    "references",
    "values",
    "picklist",
];
/// Changes `update_field` accepts.
const FIELD_UPDATES: &[&str] = &[
    "label",
    "mandatory",
    "quick_create",
    "quick_create_sequence",
    "presence",
    "default",
    "clear_default",
    "mass_editable",
    "type",
    "max_length",
    "precision",
];

/// The definition `base` + `options` as JSON; option names outside `allowed` are refused.
fn with_options(base: &[(&str, serde_json::Value)], options: Option<&Bound<'_, PyDict>>, allowed: &[&str]) -> PyResult<serde_json::Value> {
    if let Some(o) = options {
        for k in o.keys() {
            let k: String = k.extract()?;
            if !allowed.contains(&k.as_str()) {
                return Err(crate::errors::invalid(format!("unknown option '{k}' (use {})", allowed.join(", "))));
            }
        }
    }
    let mut m = serde_json::Map::new();
    for (k, v) in base {
        m.insert((*k).to_string(), v.clone());
    }
    if let Some(o) = options
        && let serde_json::Value::Object(extra) = to_json(o.as_any())?
    {
        m.extend(extra);
    }
    Ok(serde_json::Value::Object(m))
}

#[pymethods]
impl Crm {
    /// Adds a custom field and returns it. `type` is a field type name (`"text"`, `"currency"`,
    /// `"picklist"`, `"date"`, ...); options: `name`, `block`, `mandatory`, `quick_create`, `hidden`,
    /// `default`, `max_length`, `precision`, `scale`, `mass_editable`, `references` (modules),
    /// `values` (a new picklist's values) or `picklist` (share an existing one).
    #[pyo3(signature = (module, *, label, r#type, **options))]
    fn add_field(
        &self,
        py: Python<'_>,
        module: String,
        label: String,
        r#type: String,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<FieldOut> {
        let def = with_options(&[("label", label.into()), ("type", r#type.into())], options, NEW_FIELD_OPTIONS)?;
        self.engine.run(py, Access::Write, move |crm| {
            let nf: NewField = from_value(def, "field definition")?;
            Ok(FieldOut::from(&crm.add_field(&module, nf)?))
        })
    }

    /// Changes a field: `label`, `mandatory`, `quick_create`, `quick_create_sequence`, `presence`
    /// (`"shown"`/`"hidden"`), `default`, `clear_default`, `mass_editable`, `type` (lossless changes only),
    /// `max_length`, `precision` (may only grow). Returns the field.
    #[pyo3(signature = (module, field, **changes))]
    fn update_field(&self, py: Python<'_>, module: String, field: String, changes: Option<&Bound<'_, PyDict>>) -> PyResult<FieldOut> {
        let def = with_options(&[], changes, FIELD_UPDATES)?;
        self.engine.run(py, Access::Write, move |crm| {
            let up: FieldUpdate = from_value(def, "field update")?;
            Ok(FieldOut::from(&crm.update_field(&module, &field, up)?))
        })
    }

    /// Moves a field to a block (name or label) at a 1-based position (None: at the end).
    #[pyo3(signature = (module, field, block, position = None))]
    fn move_field(&self, py: Python<'_>, module: String, field: String, block: String, position: Option<u32>) -> PyResult<()> {
        self.engine.run(py, Access::Write, move |crm| Ok(crm.move_field(&module, &field, &block, position).map(|_| ())?))
    }

    /// Reorders the fields of a block: the listed ones first, then the others as they were.
    fn reorder_fields(&self, py: Python<'_>, module: String, block: String, fields: Vec<String>) -> PyResult<()> {
        self.engine.run(py, Access::Write, move |crm| {
            let refs: Vec<&str> = fields.iter().map(String::as_str).collect();
            Ok(crm.reorder_fields(&module, &block, &refs).map(|_| ())?)
        })
    }

    /// Deletes a custom field and its values (refused with SchemaError for standard fields and fields a
    /// dependency, filter or workflow uses).
    fn delete_field(&self, py: Python<'_>, module: String, field: String) -> PyResult<()> {
        self.engine.run(py, Access::Write, move |crm| Ok(crm.delete_field(&module, &field).map(|_| ())?))
    }

    /// The blocks of a module in layout order: dicts with name, label, sequence, custom.
    fn blocks<'py>(&self, py: Python<'py>, module: String) -> PyResult<Bound<'py, PyAny>> {
        let blocks = self.engine.run(py, Access::Read, move |crm| {
            crm.refresh_schema()?; // another handle on the same database may have changed it
            Ok(crm.module(&module)?.blocks.clone())
        })?;
        to_py(py, &blocks)
    }

    /// Adds a custom block at the end of the layout; returns it.
    fn add_block<'py>(&self, py: Python<'py>, module: String, label: String) -> PyResult<Bound<'py, PyAny>> {
        let b = self.engine.run(py, Access::Write, move |crm| Ok(crm.add_block(&module, &label)?))?;
        to_py(py, &b)
    }

    /// Changes a block's label.
    fn rename_block(&self, py: Python<'_>, module: String, block: String, label: String) -> PyResult<()> {
        self.engine.run(py, Access::Write, move |crm| Ok(crm.rename_block(&module, &block, &label).map(|_| ())?))
    }

    /// Reorders blocks (the listed ones first).
    fn reorder_blocks(&self, py: Python<'_>, module: String, blocks: Vec<String>) -> PyResult<()> {
        self.engine.run(py, Access::Write, move |crm| {
            let refs: Vec<&str> = blocks.iter().map(String::as_str).collect();
            Ok(crm.reorder_blocks(&module, &refs).map(|_| ())?)
        })
    }

    /// Deletes an empty custom block.
    fn delete_block(&self, py: Python<'_>, module: String, block: String) -> PyResult<()> {
        self.engine.run(py, Access::Write, move |crm| Ok(crm.delete_block(&module, &block).map(|_| ())?))
    }

    // ----- picklist editor -----

    /// Appends one value to a picklist field's list.
    fn add_picklist_value(&self, py: Python<'_>, field: &Bound<'_, PyAny>, value: String) -> PyResult<()> {
        self.add_picklist_values(py, field, vec![value])
    }

    /// Appends values to a picklist field's list.
    fn add_picklist_values(&self, py: Python<'_>, field: &Bound<'_, PyAny>, values: Vec<String>) -> PyResult<()> {
        let spec = FieldSpec::extract(field)?;
        self.engine.run(py, Access::Write, move |crm| {
            let (m, f) = spec.resolve(crm)?;
            let refs: Vec<&str> = values.iter().map(String::as_str).collect();
            Ok(crm.add_picklist_values(&m, &f, &refs).map(|_| ())?)
        })
    }

    /// Reorders a picklist (the listed values first).
    fn reorder_picklist(&self, py: Python<'_>, field: &Bound<'_, PyAny>, values: Vec<String>) -> PyResult<()> {
        let spec = FieldSpec::extract(field)?;
        self.engine.run(py, Access::Write, move |crm| {
            let (m, f) = spec.resolve(crm)?;
            let refs: Vec<&str> = values.iter().map(String::as_str).collect();
            Ok(crm.reorder_picklist(&m, &f, &refs).map(|_| ())?)
        })
    }

    /// Renames a picklist value everywhere: stored records, defaults, filters, workflow conditions.
    fn rename_picklist_value(&self, py: Python<'_>, field: &Bound<'_, PyAny>, old: String, new: String) -> PyResult<()> {
        let spec = FieldSpec::extract(field)?;
        self.engine.run(py, Access::Write, move |crm| {
            let (m, f) = spec.resolve(crm)?;
            Ok(crm.rename_picklist_value(&m, &f, &old, &new).map(|_| ())?)
        })
    }

    /// Deletes picklist values; records holding them get `replacement` (required for a mandatory field).
    #[pyo3(signature = (field, values, replacement = None))]
    fn delete_picklist_values(
        &self,
        py: Python<'_>,
        field: &Bound<'_, PyAny>,
        values: Vec<String>,
        replacement: Option<String>,
    ) -> PyResult<()> {
        let spec = FieldSpec::extract(field)?;
        self.engine.run(py, Access::Write, move |crm| {
            let (m, f) = spec.resolve(crm)?;
            let refs: Vec<&str> = values.iter().map(String::as_str).collect();
            Ok(crm.delete_picklist_values(&m, &f, &refs, replacement.as_deref()).map(|_| ())?)
        })
    }

    /// Limits a picklist value to some roles (an empty list: every role).
    fn set_picklist_value_roles(&self, py: Python<'_>, field: &Bound<'_, PyAny>, value: String, roles: Vec<String>) -> PyResult<()> {
        let spec = FieldSpec::extract(field)?;
        self.engine.run(py, Access::Write, move |crm| {
            let (m, f) = spec.resolve(crm)?;
            let refs: Vec<&str> = roles.iter().map(String::as_str).collect();
            Ok(crm.set_picklist_value_roles(&m, &f, &value, &refs).map(|_| ())?)
        })
    }

    /// The values of a picklist field a user with `role` may choose.
    fn picklist_values_for_role(&self, py: Python<'_>, field: &Bound<'_, PyAny>, role: String) -> PyResult<Vec<String>> {
        let spec = FieldSpec::extract(field)?;
        self.engine.run(py, Access::Read, move |crm| {
            let (m, f) = spec.resolve(crm)?;
            Ok(crm.picklist_values(&m, &f, Some(&role))?)
        })
    }

    /// Makes picklist `target` depend on `source`: `mapping` maps each source value to the target values
    /// allowed with it. An empty mapping removes the dependency.
    fn set_picklist_dependency(
        &self,
        py: Python<'_>,
        module: String,
        source: String,
        target: String,
        mapping: BTreeMap<String, Vec<String>>,
    ) -> PyResult<()> {
        self.engine.run(py, Access::Write, move |crm| {
            let owned: Vec<(&str, Vec<&str>)> = mapping.iter().map(|(k, v)| (k.as_str(), v.iter().map(String::as_str).collect())).collect();
            let refs: Vec<(&str, &[&str])> = owned.iter().map(|(k, v)| (*k, v.as_slice())).collect();
            Ok(crm.set_picklist_dependency(&module, &source, &target, &refs).map(|_| ())?)
        })
    }

    /// The sales stages with their kind and default probability:
    /// `[{"value": "Prospecting", "kind": "open", "probability": Decimal("10"), "editable": True}, ...]`.
    fn stages<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let values = self.engine.run(py, Access::Read, |crm| {
            crm.refresh_schema()?; // another handle on the same database may have changed it
            Ok(crm.schema().picklist("sales_stage").map(|p| p.values.clone()).unwrap_or_default())
        })?;
        let mut out = Vec::new();
        for v in values {
            let d = PyDict::new(py);
            d.set_item("value", &v.value)?;
            d.set_item(
                "kind",
                v.stage.map(|s| match s.kind {
                    StageKind::Open => "open",
                    StageKind::Won => "won",
                    StageKind::Lost => "lost",
                }),
            )?;
            d.set_item("probability", v.stage.map(|s| s.probability))?;
            d.set_item("editable", v.editable)?;
            out.push(d);
        }
        Ok(out)
    }

    /// Sets the kind (`"open"`, `"won"`, `"lost"`) and default probability (percent) of a sales stage.
    fn set_stage_meta(&self, py: Python<'_>, value: String, kind: String, probability: Decimal) -> PyResult<()> {
        let kind = kind_of(&kind)?;
        self.engine.run(py, Access::Write, move |crm| Ok(crm.set_stage_meta(&value, kind, probability).map(|_| ())?))
    }

    /// The schema change log, oldest first: dicts with version, actor, at (ISO text) and change (the edit as
    /// applied, tagged by its kind). All of it, or with `limit` one page of at most `limit` changes whose
    /// version is above `after` (keyset paging: pass the last change's `version` for the next page; an empty
    /// list is the end). `limit` is 1..=10 000 (`limits::MAX_LOG_PAGE`).
    #[pyo3(signature = (*, after = None, limit = None))]
    fn schema_changes<'py>(&self, py: Python<'py>, after: Option<u64>, limit: Option<u64>) -> PyResult<Bound<'py, PyAny>> {
        let log = self.engine.run(py, Access::Read, move |crm| match limit {
            Some(limit) => Ok(crm.schema_changes_page(after, limit)?),
            None if after.is_some() => Err(crm_core::Error::InvalidArgument("schema_changes: `after` needs `limit`".into()).into()),
            None => Ok(crm.schema_changes()?),
        })?;
        to_py(py, &log)
    }

    /// Applies one raw schema edit (crm-core's `SchemaChange`, as a dict or JSON text tagged by its kind,
    /// as `schema_changes()` shows them) and returns its log entry. The named helpers (`add_field`, ...) are
    /// the usual way; this one replays or scripts any edit.
    fn apply_schema_change<'py>(&self, py: Python<'py>, change: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let j = match change.cast::<PyString>() {
            Ok(s) => serde_json::from_str(&s.to_cow()?).map_err(|e| crate::errors::invalid(format!("schema change is not JSON: {e}")))?,
            Err(_) => to_json(change)?,
        };
        let entry = self.engine.run(py, Access::Write, move |crm| {
            let c: crm_core::SchemaChange = from_value(j, "schema change")?;
            Ok(crm.apply_schema_change(c)?)
        })?;
        to_py(py, &entry)
    }

    /// Reloads the schema when another handle changed it; True when it did.
    fn refresh_schema(&self, py: Python<'_>) -> PyResult<bool> {
        self.engine.run(py, Access::Read, |crm| Ok(crm.refresh_schema()?))
    }
}
