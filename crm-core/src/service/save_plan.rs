//! Save plans: what saving a record of one module needs from the schema, worked out once per schema in
//! force instead of once per record: the field defaults converted to values, which maintained fields
//! the module has (owner, creation and modification stamps, source, stage history), its money fields
//! with their base-currency copies, and its fields by name. A handle keeps the plans of the schema it
//! holds ([`Crm::save_plan`]); a new schema (an edit, or another handle's edit read on refresh) is a new
//! `Arc<Schema>` and drops them. A plan also holds the module's workflows prepared for it
//! ([`crate::workflow::Prepared`]: compiled update expressions, parsed mail templates), made at the first
//! save that runs them and made again when the workflow definitions change.
//!
//! A new record's values start in the module's [`RowLayout`] held by its plan ([`SavePlan::new_values`]),
//! as the records the stores hand out are: the workflows' compiled conditions then read them by slot, and
//! the stores write their rows slot by slot.

use super::Crm;
use crate::record::Values;
use crate::row::RowLayout;
use crate::schema::{Field, FieldType, Module, Schema};
use crate::value::{Value, coerce};
use crate::workflow::Workflow;
use std::collections::HashMap;
use std::sync::Arc;

/// What a save of one module's records needs from the schema (see the module doc).
#[derive(Debug)]
pub(crate) struct SavePlan {
    /// The module's slot layout, which new records' values start in.
    layout: Arc<RowLayout>,
    /// Each field's default as a value (non-empty ones only), in field order.
    defaults: Vec<(String, Value)>,
    /// The module has `assigned_user_id`.
    pub(crate) owner: bool,
    /// The module has `createdtime`.
    pub(crate) created_time: bool,
    /// The module has `modifiedtime`.
    pub(crate) modified_time: bool,
    /// The module has `modifiedby`.
    pub(crate) modified_by: bool,
    /// The module has `source`.
    pub(crate) source: bool,
    /// The module keeps a stage history (it has `sales_stage`).
    pub(crate) stage_history: bool,
    /// The money fields with a base-currency copy, `(field, copy)` ([`crate::currency::money_fields`]).
    pub(crate) money: Vec<(String, String)>,
    /// Field positions in [`Module::fields`] by name.
    by_name: HashMap<String, usize>,
    /// By field position: the field is a base-currency copy.
    base_copy: Vec<bool>,
    /// A picklist of the module has a value restricted to roles ([`crate::schema::picklist_rules::check`]).
    pub(crate) role_restricted: bool,
    /// Positions of the fields [`Crm::check`] looks at, in field order: mandatory writable fields, and
    /// picklists, multi-select picklists, references and owners (the other fields have nothing to check).
    checked: Vec<usize>,
    /// The module's workflows prepared for it, with the definitions they were prepared from.
    workflows: std::sync::Mutex<Option<PreparedWorkflows>>,
}

/// Workflow definitions and their preparation for one module.
type PreparedWorkflows = (Arc<Vec<Workflow>>, Arc<crate::workflow::Prepared>);

impl SavePlan {
    /// The plan of `m`.
    pub(crate) fn new(schema: &Schema, m: &Module) -> SavePlan {
        let has = |f: &str| m.field(f).is_some();
        let defaults = m
            .fields
            .iter()
            .filter_map(|f| {
                let v = coerce(f, Value::Text(f.default.clone()?)).ok()?;
                (!v.is_empty()).then(|| (f.name.clone(), v))
            })
            .collect();
        SavePlan {
            layout: RowLayout::new(m),
            defaults,
            owner: has("assigned_user_id"),
            created_time: has("createdtime"),
            modified_time: has("modifiedtime"),
            modified_by: has("modifiedby"),
            source: has("source"),
            stage_history: has("sales_stage"),
            money: crate::currency::money_fields(m),
            by_name: m.fields.iter().enumerate().map(|(i, f)| (f.name.clone(), i)).collect(),
            base_copy: m.fields.iter().map(|f| crate::currency::is_base_copy(m, &f.name)).collect(),
            role_restricted: m
                .fields
                .iter()
                .filter_map(|f| f.picklist_name().and_then(|p| schema.picklist(p)))
                .any(|p| p.values.iter().any(|v| !v.roles.is_empty())),
            checked: m
                .fields
                .iter()
                .enumerate()
                .filter(|(_, f)| {
                    (f.mandatory && f.is_writable())
                        || matches!(f.field_type, FieldType::Picklist | FieldType::MultiPicklist | FieldType::Reference | FieldType::Owner)
                })
                .map(|(i, _)| i)
                .collect(),
            workflows: std::sync::Mutex::new(None),
        }
    }

    /// The values a new record starts with: the fields' defaults, in the module's layout.
    pub(crate) fn new_values(&self) -> Values {
        let mut values = Values::with_layout(&self.layout);
        values.extend(self.defaults.iter().cloned());
        values
    }

    /// The positions of the fields a check of values looks at ([`Crm::check`]), in field order.
    pub(crate) fn checked(&self) -> &[usize] {
        &self.checked
    }

    /// `workflows` (the module's definitions) prepared for `m` of `schema`, the schema this plan was made
    /// from: kept until other definitions are asked for.
    pub(crate) fn workflows(&self, workflows: &Arc<Vec<Workflow>>, schema: &Schema, m: &Module) -> Arc<crate::workflow::Prepared> {
        let mut held = self.workflows.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((defs, prepared)) = held.as_ref()
            && Arc::ptr_eq(defs, workflows)
        {
            return Arc::clone(prepared);
        }
        let prepared = Arc::new(crate::workflow::Prepared::new(workflows, schema, m));
        *held = Some((Arc::clone(workflows), Arc::clone(&prepared)));
        prepared
    }

    /// A field of `m` by name, else by label ([`Module::field_by_name_or_label`]), with its position.
    pub(crate) fn field<'m>(&self, m: &'m Module, key: &str) -> Option<(usize, &'m Field)> {
        if let Some(&i) = self.by_name.get(key)
            && let Some(f) = m.fields.get(i)
        {
            return Some((i, f));
        }
        let f = m.field_by_name_or_label(key)?;
        Some((m.fields.iter().position(|x| x.name == f.name)?, f))
    }

    /// True when the field at `position` is a base-currency copy.
    pub(crate) fn is_base_copy(&self, position: usize) -> bool {
        self.base_copy.get(position).copied().unwrap_or(false)
    }
}

/// The plans of one schema, by module name.
#[derive(Debug, Default)]
pub(crate) struct SavePlans {
    schema: Option<Arc<Schema>>,
    by_module: HashMap<String, Arc<SavePlan>>,
}

impl Crm {
    /// The save plan of module `m` of `schema` (made on first use, kept until the schema changes).
    pub(crate) fn save_plan(&mut self, schema: &Arc<Schema>, m: &Module) -> Arc<SavePlan> {
        let plans = &mut self.cache.save_plans;
        if !plans.schema.as_ref().is_some_and(|s| Arc::ptr_eq(s, schema)) {
            plans.schema = Some(Arc::clone(schema));
            plans.by_module.clear();
        }
        if let Some(p) = plans.by_module.get(&m.name) {
            return Arc::clone(p);
        }
        let p = Arc::new(SavePlan::new(schema, m));
        plans.by_module.insert(m.name.clone(), Arc::clone(&p));
        p
    }
}
