//! The schema edit as data: [`SchemaChange`] (one edit, serialised as JSON with an `op` tag) and the
//! payloads it carries, [`NewField`] (a custom field to add, with its builder) and [`FieldUpdate`].

use crate::schema::{FieldType, Presence, StageKind};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One schema edit, as an administrator would make it in vtiger's layout or picklist editor.
///
/// Modules may be named by name or label (`Potentials`, `Opportunities`); fields by name or label.
/// Picklist operations name a picklist field; shared picklists (e.g. `leadsource`) change for every module
/// that uses them, as in vtiger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum SchemaChange {
    /// Adds a custom field.
    AddField {
        /// Module.
        module: String,
        /// The field to add.
        field: NewField,
    },
    /// Changes a field's label, flags, default or (losslessly) its type options.
    UpdateField {
        /// Module.
        module: String,
        /// Field name or label.
        field: String,
        /// What to change.
        update: FieldUpdate,
    },
    /// Moves a field to a block (possibly its own) at a 1-based position (`None`: at the end).
    MoveField {
        /// Module.
        module: String,
        /// Field name or label.
        field: String,
        /// Target block name or label.
        block: String,
        /// 1-based position in the target block; beyond the end means at the end.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        position: Option<u32>,
    },
    /// Reorders the fields of a block: the listed ones first, in that order, then the others as they were.
    ReorderFields {
        /// Module.
        module: String,
        /// Block name or label.
        block: String,
        /// Field names or labels, all of that block.
        fields: Vec<String>,
    },
    /// Deletes a custom field and its data (its change log stays).
    DeleteField {
        /// Module.
        module: String,
        /// Field name or label.
        field: String,
    },
    /// Adds a custom block at the end.
    AddBlock {
        /// Module.
        module: String,
        /// Internal name; generated (`blk_<n>`) when `None`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// Label, unique among the module's blocks.
        label: String,
    },
    /// Changes a block's label.
    RenameBlock {
        /// Module.
        module: String,
        /// Block name or label.
        block: String,
        /// New label.
        label: String,
    },
    /// Reorders blocks: the listed ones first, in that order, then the others as they were.
    ReorderBlocks {
        /// Module.
        module: String,
        /// Block names or labels.
        blocks: Vec<String>,
    },
    /// Deletes an empty custom block.
    DeleteBlock {
        /// Module.
        module: String,
        /// Block name or label.
        block: String,
    },
    /// Appends values to a field's picklist.
    AddPicklistValues {
        /// Module.
        module: String,
        /// Picklist field.
        field: String,
        /// New values.
        values: Vec<String>,
    },
    /// Reorders a picklist: the listed values first, in that order, then the others as they were.
    ReorderPicklist {
        /// Module.
        module: String,
        /// Picklist field.
        field: String,
        /// Values.
        values: Vec<String>,
    },
    /// Renames a value; records, defaults and dependencies are rewritten with it.
    RenamePicklistValue {
        /// Module.
        module: String,
        /// Picklist field.
        field: String,
        /// Current value.
        from: String,
        /// New value.
        to: String,
    },
    /// Deletes values; records holding them get `replacement` (or lose the value when `None`).
    DeletePicklistValues {
        /// Module.
        module: String,
        /// Picklist field.
        field: String,
        /// Values to delete.
        values: Vec<String>,
        /// The value records move to; required for picklists that a mandatory field uses.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        replacement: Option<String>,
    },
    /// Limits a value to some roles (empty: every role).
    SetPicklistValueRoles {
        /// Module.
        module: String,
        /// Picklist field.
        field: String,
        /// The value.
        value: String,
        /// Role names.
        roles: Vec<String>,
    },
    /// Sets (or with an empty mapping removes) the dependency of `target` on `source`.
    SetPicklistDependency {
        /// Module.
        module: String,
        /// Controlling picklist field.
        source: String,
        /// Dependent picklist or multi-select field.
        target: String,
        /// Source value → allowed target values.
        mapping: BTreeMap<String, Vec<String>>,
    },
    /// Sets the kind and default probability of a sales stage.
    SetStageMeta {
        /// The `sales_stage` value.
        value: String,
        /// Open, won or lost.
        kind: StageKind,
        /// Default probability, 0..=100.
        probability: Decimal,
    },
    // ----- declared indexes -----
    /// Declares a composite index over `fields` (see [`crate::schema::index`]).
    AddIndex {
        /// Module.
        module: String,
        /// Field names or labels, in index order.
        fields: Vec<String>,
        /// Internal name; generated (`ix_<n>`) when `None`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    /// Drops the declared index over exactly `fields`.
    DropIndex {
        /// Module.
        module: String,
        /// Field names or labels, in index order.
        fields: Vec<String>,
    },
    // ----- duplicate-prevention rules -----
    /// Adds a duplicate-prevention rule over `fields` (see [`crate::dedupe::rules`]).
    AddDuplicateRule {
        /// Module.
        module: String,
        /// Field names or labels.
        fields: Vec<String>,
        /// Internal name; generated (`dr_<n>`) when `None`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    /// Drops the duplicate-prevention rule over `fields` (in any order).
    DropDuplicateRule {
        /// Module.
        module: String,
        /// Field names or labels.
        fields: Vec<String>,
    },
}

/// The module field of a change (`&` or `&mut`, as `$change` is), `None` for the engine-wide edits: the
/// one list of which edits name a module, for [`SchemaChange::module`] and `module_mut`.
macro_rules! module_field {
    ($change:expr) => {
        match $change {
            SchemaChange::AddField { module, .. }
            | SchemaChange::UpdateField { module, .. }
            | SchemaChange::MoveField { module, .. }
            | SchemaChange::ReorderFields { module, .. }
            | SchemaChange::DeleteField { module, .. }
            | SchemaChange::AddBlock { module, .. }
            | SchemaChange::RenameBlock { module, .. }
            | SchemaChange::ReorderBlocks { module, .. }
            | SchemaChange::DeleteBlock { module, .. }
            | SchemaChange::AddPicklistValues { module, .. }
            | SchemaChange::ReorderPicklist { module, .. }
            | SchemaChange::RenamePicklistValue { module, .. }
            | SchemaChange::DeletePicklistValues { module, .. }
            | SchemaChange::SetPicklistValueRoles { module, .. }
            | SchemaChange::SetPicklistDependency { module, .. }
            | SchemaChange::AddIndex { module, .. }
            | SchemaChange::DropIndex { module, .. }
            | SchemaChange::AddDuplicateRule { module, .. }
            | SchemaChange::DropDuplicateRule { module, .. } => Some(module),
            SchemaChange::SetStageMeta { .. } => None,
        }
    };
}

impl SchemaChange {
    /// The module the change edits (`None` for sales-stage metadata, which is engine-wide).
    pub fn module(&self) -> Option<&str> {
        module_field!(self).map(String::as_str)
    }

    pub(super) fn module_mut(&mut self) -> Option<&mut String> {
        module_field!(self)
    }

    /// The change as JSON (the form the change log stores and bindings exchange).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a change from JSON.
    ///
    /// # Errors
    /// `InvalidArgument` when the JSON is not a schema change.
    pub fn from_json(json: &str) -> crate::error::Result<SchemaChange> {
        serde_json::from_str(json).map_err(|e| crate::error::Error::InvalidArgument(format!("not a schema change: {e}")))
    }

    /// The operation's snake_case name (the JSON `op` tag).
    pub fn op(&self) -> &'static str {
        match self {
            SchemaChange::AddField { .. } => "add_field",
            SchemaChange::UpdateField { .. } => "update_field",
            SchemaChange::MoveField { .. } => "move_field",
            SchemaChange::ReorderFields { .. } => "reorder_fields",
            SchemaChange::DeleteField { .. } => "delete_field",
            SchemaChange::AddBlock { .. } => "add_block",
            SchemaChange::RenameBlock { .. } => "rename_block",
            SchemaChange::ReorderBlocks { .. } => "reorder_blocks",
            SchemaChange::DeleteBlock { .. } => "delete_block",
            SchemaChange::AddPicklistValues { .. } => "add_picklist_values",
            SchemaChange::ReorderPicklist { .. } => "reorder_picklist",
            SchemaChange::RenamePicklistValue { .. } => "rename_picklist_value",
            SchemaChange::DeletePicklistValues { .. } => "delete_picklist_values",
            SchemaChange::SetPicklistValueRoles { .. } => "set_picklist_value_roles",
            SchemaChange::SetPicklistDependency { .. } => "set_picklist_dependency",
            SchemaChange::SetStageMeta { .. } => "set_stage_meta",
            SchemaChange::AddIndex { .. } => "add_index",
            SchemaChange::DropIndex { .. } => "drop_index",
            SchemaChange::AddDuplicateRule { .. } => "add_duplicate_rule",
            SchemaChange::DropDuplicateRule { .. } => "drop_duplicate_rule",
        }
    }
}

/// A custom field to add. Build it with [`NewField::new`] and the builder methods.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewField {
    /// Internal name; generated (`cf_<n>`) when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Label, unique within the module.
    pub label: String,
    /// Type.
    #[serde(rename = "type")]
    pub field_type: FieldType,
    /// Block name or label; `LBL_CUSTOM_INFORMATION` (or the last block) when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block: Option<String>,
    /// Required on every save.
    #[serde(default)]
    pub mandatory: bool,
    /// Offered in quick create.
    #[serde(default)]
    pub quick_create: bool,
    /// Added hidden.
    #[serde(default)]
    pub hidden: bool,
    /// Default value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// Text length (text types).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
    /// Total digits (decimal and currency).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<u32>,
    /// Digits after the point (decimal and currency).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<u32>,
    /// May be mass edited (default true).
    #[serde(default = "yes")]
    pub mass_editable: bool,
    /// Modules a reference field points to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    /// Values of a new picklist (picklist and multi-select types).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    /// Use an existing picklist (e.g. `leadsource`) instead of new values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picklist: Option<String>,
}

fn yes() -> bool {
    true
}

impl NewField {
    /// A field with a label and a type; everything else default (optional, shown, custom block).
    pub fn new(label: impl Into<String>, field_type: FieldType) -> Self {
        NewField {
            name: None,
            label: label.into(),
            field_type,
            block: None,
            mandatory: false,
            quick_create: false,
            hidden: false,
            default: None,
            max_length: None,
            precision: None,
            scale: None,
            mass_editable: true,
            references: vec![],
            values: vec![],
            picklist: None,
        }
    }
    /// Sets the internal name (instead of a generated `cf_<n>`).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
    /// Puts the field in a block.
    pub fn block(mut self, block: impl Into<String>) -> Self {
        self.block = Some(block.into());
        self
    }
    /// Makes the field mandatory.
    pub fn mandatory(mut self) -> Self {
        self.mandatory = true;
        self
    }
    /// Offers the field in quick create.
    pub fn quick_create(mut self) -> Self {
        self.quick_create = true;
        self
    }
    /// Adds the field hidden.
    pub fn hidden(mut self) -> Self {
        self.hidden = true;
        self
    }
    /// Sets the default value.
    pub fn default_value(mut self, v: impl Into<String>) -> Self {
        self.default = Some(v.into());
        self
    }
    /// Sets the text length.
    pub fn length(mut self, n: u32) -> Self {
        self.max_length = Some(n);
        self
    }
    /// Sets decimal precision and scale.
    pub fn decimal(mut self, precision: u32, scale: u32) -> Self {
        self.precision = Some(precision);
        self.scale = Some(scale);
        self
    }
    /// Sets the values of a new picklist.
    pub fn values(mut self, values: &[&str]) -> Self {
        self.values = values.iter().map(|s| (*s).to_string()).collect();
        self
    }
    /// Uses an existing picklist.
    pub fn shared_picklist(mut self, name: impl Into<String>) -> Self {
        self.picklist = Some(name.into());
        self
    }
    /// Sets the modules a reference points to.
    pub fn references(mut self, modules: &[&str]) -> Self {
        self.references = modules.iter().map(|s| (*s).to_string()).collect();
        self
    }
    /// Sets the mass-editable flag.
    pub fn mass_editable(mut self, on: bool) -> Self {
        self.mass_editable = on;
        self
    }
}

/// What [`SchemaChange::UpdateField`] changes; `None` leaves a property as it is.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FieldUpdate {
    /// New label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Mandatory flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mandatory: Option<bool>,
    /// Quick-create flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quick_create: Option<bool>,
    /// Position in the quick-create form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quick_create_sequence: Option<u32>,
    /// `Shown` or `Hidden` (`AlwaysShown` is built-in only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presence: Option<Presence>,
    /// New default value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// Removes the default value.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub clear_default: bool,
    /// Mass-editable flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mass_editable: Option<bool>,
    /// New type (lossless changes only).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub field_type: Option<FieldType>,
    /// New text length (may only grow).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
    /// New decimal precision (may only grow).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::SchemaChange;

    /// `module` reads what `module_mut` writes, from the one list of edits that name a module.
    #[test]
    fn module_and_module_mut_agree() {
        let mut c = SchemaChange::DropIndex { module: "opportunities".into(), fields: vec!["amount".into()] };
        *c.module_mut().unwrap() = "Potentials".into();
        assert_eq!(c.module(), Some("Potentials"));
        let mut c = SchemaChange::AddDuplicateRule { module: "Accounts".into(), fields: vec![], name: None };
        assert_eq!(c.module_mut().map(|m| m.clone()), Some("Accounts".to_string()));
        let mut stage = SchemaChange::SetStageMeta {
            value: "Prospecting".into(),
            kind: crate::schema::StageKind::Open,
            probability: rust_decimal::Decimal::TEN,
        };
        assert_eq!(stage.module(), None);
        assert_eq!(stage.module_mut(), None);
    }
}
