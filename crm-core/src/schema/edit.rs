//! Schema edits: vtiger's layout editor and picklist editor as pure, validated operations.
//!
//! A [`SchemaChange`] is plain data (serialised as JSON with an `op` tag, which is also how the change log
//! stores it). [`apply`] checks it against a [`Schema`] and returns the next schema (version + 1) or a typed
//! [`SchemaError`]; it never touches storage. The service (`Crm::apply_schema_change` and its helpers)
//! stores the result, the change log entry and the record rewrites in one transaction.
//!
//! Rules, following vtiger 7/8 (`modules/Settings/LayoutEditor`, `modules/Settings/Picklist`):
//! * standard fields cannot be deleted; the module's compulsory fields cannot be made optional or hidden;
//!   fields that are always shown (vtiger presence 0) cannot be hidden; system-maintained fields cannot be
//!   made mandatory or offered in quick create;
//! * auto-number, system-maintained, owner and reference fields, and dates with uitype 23 (closingdate,
//!   due dates) take no default; a default must be a valid value of the field;
//! * labels are unique within a module (ignoring case); internal names of custom fields are generated as
//!   `cf_<n>` (n = the schema version the change creates, so a name is never handed out twice) or given by
//!   the caller: lower-case identifiers of at most 50 characters that clash with no field of the module and
//!   no reserved word (`id`, `module`, `label`, `deleted`, `version`, `crmid`);
//! * only empty custom blocks can be deleted;
//! * non-editable picklist values (Closed Won, Closed Lost) cannot be renamed or deleted, and their stage
//!   kind cannot change;
//! * removing the last value of a picklist used by a mandatory field is refused, and so is deleting values
//!   of such a picklist without a replacement;
//! * picklist dependency cycles are refused, and a field has at most one controlling field.
//!
//! Limits and differences from vtiger, and why:
//! * Text fields take a length of 1..=255 (vtiger's `LE`), defaulting to 255.
//! * Decimal fields take a precision (total digits) of 1..=28 and a scale of 0..=5: vtiger allows
//!   length + decimals ≤ 64, but values here are exact `rust_decimal`s, which hold 28 digits. Currency
//!   defaults to 25,2 and may use a scale of 0..=5; percent is fixed to vtiger's NUMERIC(5,2).
//! * Date-time fields can be added (vtiger's layout editor cannot).
//! * Type changes: only lossless ones are accepted — between one-line text, e-mail, phone, URL and text
//!   area, a longer maximum length, or a larger decimal precision. Shortening a length, changing a scale
//!   or any other type change is refused with [`SchemaError::LossyChange`], because stored values could
//!   be cut or mis-read. vtiger offers no type change at all.
//! * A hidden field keeps its data and stays writable through the API; a mandatory field cannot be
//!   hidden (and a hidden field cannot be made mandatory), so no record ever needs a value nobody sees.
//! * Deleting values: vtiger always asks for a replacement; here it is optional for picklists no mandatory
//!   field uses (records then lose the value), and required otherwise.
//! * Dependencies are removed from a picklist value when it is deleted; a source value whose allowed list
//!   becomes empty stops limiting the target.
//! * A picklist value may not contain a comma (vtiger accepts one): saved filters and workflow conditions
//!   keep lists of values comma-separated, as vtiger does, so a value with a comma could not be told from
//!   two values, and renaming it there (or back) would go wrong; the CSV import reads `a, b` in a
//!   multi-select cell as two values too.

use super::{
    Block, Field, FieldType, Maintained, Module, Picklist, PicklistDependency, PicklistValue, Presence, Schema, StageKind, StageMeta,
};
use crate::value::{MULTI_SEPARATOR, Value, coerce};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Names a custom field may not take (columns crm uses itself, vtiger's record id).
pub const RESERVED_NAMES: [&str; 6] = ["id", "module", "label", "deleted", "version", "crmid"];

/// Longest label, block label or picklist value accepted.
pub const MAX_LABEL_LEN: usize = 200;

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
}

impl SchemaChange {
    /// The module the change edits (`None` for sales-stage metadata, which is engine-wide).
    pub fn module(&self) -> Option<&str> {
        match self {
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
            | SchemaChange::DropIndex { module, .. } => Some(module),
            SchemaChange::SetStageMeta { .. } => None,
        }
    }

    fn module_mut(&mut self) -> Option<&mut String> {
        match self {
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
            | SchemaChange::DropIndex { module, .. } => Some(module),
            SchemaChange::SetStageMeta { .. } => None,
        }
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

/// Why a schema edit was refused. Nothing is changed when one is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// No such module.
    #[error("unknown module '{0}'")]
    UnknownModule(String),
    /// No such field in the module.
    #[error("{module} has no field '{field}'")]
    UnknownField {
        /// Module.
        module: String,
        /// Field as given.
        field: String,
    },
    /// No such block in the module.
    #[error("{module} has no block '{block}'")]
    UnknownBlock {
        /// Module.
        module: String,
        /// Block as given.
        block: String,
    },
    /// No such picklist value.
    #[error("picklist '{picklist}' has no value '{value}'")]
    UnknownValue {
        /// Picklist.
        picklist: String,
        /// Value as given.
        value: String,
    },
    /// The label is already used in the module.
    #[error("{module} already has a field or block labelled '{label}'")]
    DuplicateLabel {
        /// Module.
        module: String,
        /// Label.
        label: String,
    },
    /// The internal name is already used.
    #[error("the name '{0}' is already used")]
    DuplicateName(String),
    /// The picklist already has the value.
    #[error("picklist '{picklist}' already has the value '{value}'")]
    DuplicateValue {
        /// Picklist.
        picklist: String,
        /// Value.
        value: String,
    },
    /// A name, label or value that is empty, too long, reserved or not an identifier.
    #[error("invalid {what} '{value}': {reason}")]
    InvalidName {
        /// What was named (field name, label, picklist value, ...).
        what: &'static str,
        /// The text given.
        value: String,
        /// Why.
        reason: String,
    },
    /// An option that does not fit the field (length, precision, values, references, type).
    #[error("field '{field}': {message}")]
    InvalidOption {
        /// Field.
        field: String,
        /// Why.
        message: String,
    },
    /// The field is not a picklist.
    #[error("field '{0}' is not a picklist")]
    NotAPicklist(String),
    /// Standard fields and blocks cannot be deleted.
    #[error("'{0}' is standard and cannot be deleted")]
    Standard(String),
    /// The change would make a compulsory field optional or hidden, or touch a system field's flags.
    #[error("field '{field}' {reason}")]
    Protected {
        /// Field.
        field: String,
        /// Why it is protected.
        reason: String,
    },
    /// The field cannot take a default value, or the default is not a valid value.
    #[error("field '{field}' cannot have the default '{value}': {reason}")]
    InvalidDefault {
        /// Field.
        field: String,
        /// Default given.
        value: String,
        /// Why.
        reason: String,
    },
    /// The block still holds fields.
    #[error("block '{0}' is not empty")]
    BlockNotEmpty(String),
    /// Closed Won / Closed Lost and other non-editable values cannot be renamed or deleted.
    #[error("'{0}' is not editable")]
    NotEditable(String),
    /// The last value of a picklist that a mandatory field uses cannot be removed, and such values
    /// need a replacement.
    #[error("picklist '{picklist}' is used by mandatory field '{field}': {reason}")]
    MandatoryPicklist {
        /// Picklist.
        picklist: String,
        /// The mandatory field.
        field: String,
        /// Why.
        reason: String,
    },
    /// A picklist dependency would form a cycle or give a field two controlling fields.
    #[error("picklist dependency {source_field} → {target}: {reason}")]
    Dependency {
        /// Controlling field.
        source_field: String,
        /// Dependent field.
        target: String,
        /// Why.
        reason: String,
    },
    /// The change could lose stored data (type change, shorter length, other scale).
    #[error("field '{field}': {reason}")]
    LossyChange {
        /// Field.
        field: String,
        /// Why.
        reason: String,
    },
    /// The field is used elsewhere (dependency, filter, workflow); remove those uses first.
    #[error("field '{field}' is in use: {}", uses.join("; "))]
    InUse {
        /// Field.
        field: String,
        /// Where it is used.
        uses: Vec<String>,
    },
    // ----- declared indexes -----
    /// The module already declares an index over the same fields.
    #[error("{module} already has an index on ({})", fields.join(", "))]
    DuplicateIndex {
        /// Module.
        module: String,
        /// Field names, in index order.
        fields: Vec<String>,
    },
    /// The module declares no index over these fields.
    #[error("{module} has no index on ({})", fields.join(", "))]
    UnknownIndex {
        /// Module.
        module: String,
        /// Field names, in index order.
        fields: Vec<String>,
    },
    /// An index definition that breaks a rule (no fields, too many, a field twice, too many indexes).
    #[error("{module}: invalid index: {reason}")]
    InvalidIndex {
        /// Module.
        module: String,
        /// Why.
        reason: String,
    },
}

impl SchemaError {
    /// Stable snake_case code, for bindings.
    pub fn code(&self) -> &'static str {
        match self {
            SchemaError::UnknownModule(_) => "unknown_module",
            SchemaError::UnknownField { .. } => "unknown_field",
            SchemaError::UnknownBlock { .. } => "unknown_block",
            SchemaError::UnknownValue { .. } => "unknown_value",
            SchemaError::DuplicateLabel { .. } => "duplicate_label",
            SchemaError::DuplicateName(_) => "duplicate_name",
            SchemaError::DuplicateValue { .. } => "duplicate_value",
            SchemaError::InvalidName { .. } => "invalid_name",
            SchemaError::InvalidOption { .. } => "invalid_option",
            SchemaError::NotAPicklist(_) => "not_a_picklist",
            SchemaError::Standard(_) => "standard",
            SchemaError::Protected { .. } => "protected",
            SchemaError::InvalidDefault { .. } => "invalid_default",
            SchemaError::BlockNotEmpty(_) => "block_not_empty",
            SchemaError::NotEditable(_) => "not_editable",
            SchemaError::MandatoryPicklist { .. } => "mandatory_picklist",
            SchemaError::Dependency { .. } => "dependency",
            SchemaError::LossyChange { .. } => "lossy_change",
            SchemaError::InUse { .. } => "in_use",
            SchemaError::DuplicateIndex { .. } => "duplicate_index",
            SchemaError::UnknownIndex { .. } => "unknown_index",
            SchemaError::InvalidIndex { .. } => "invalid_index",
        }
    }
}

type R<T> = std::result::Result<T, SchemaError>;

/// One stored, versioned schema change: who made it, when, and what (the change as applied).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SchemaChangeEntry {
    /// The schema version the change produced.
    pub version: u64,
    /// User name of the acting user (`system` without one).
    pub actor: String,
    /// When (UTC, from the engine's clock).
    pub at: chrono::NaiveDateTime,
    /// The change, with generated names filled in.
    pub change: SchemaChange,
}

/// A picklist value that a change renames or deletes: stored records, defaults, saved filters and
/// workflow conditions holding `from` must be rewritten to `to` (`None`: the value is removed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueRewrite {
    /// The picklist.
    pub picklist: String,
    /// Every `(module, field, multi_select)` using the picklist.
    pub fields: Vec<(String, String, bool)>,
    /// Old value.
    pub from: String,
    /// New value, or `None` when the value is removed.
    pub to: Option<String>,
}

/// Replaces `from` in a comma-separated list of picklist values as vtiger stores compare values (`None`
/// removes it; duplicates collapse). Shared by saved filters and workflow conditions.
pub fn replace_in_value_list(list: &str, from: &str, to: Option<&str>) -> String {
    let mut parts: Vec<String> = Vec::new();
    for p in list.split(',').map(str::trim) {
        let p = if p == from { to.unwrap_or_default() } else { p };
        if !p.is_empty() && !parts.iter().any(|x| x == p) {
            parts.push(p.to_string());
        }
    }
    parts.join(",")
}

/// Fills in generated names (`cf_<n>`, `blk_<n>`) and canonical module/field names, so that the change
/// log holds exactly what was applied. Validation happens in [`apply`].
pub fn prepare(schema: &Schema, change: SchemaChange) -> R<SchemaChange> {
    let n = schema.version + 1;
    Ok(match change {
        SchemaChange::AddField { module, mut field } => {
            let m = module_of(schema, &module)?;
            if field.name.is_none() {
                let mut i = n;
                let mut name = format!("cf_{i}");
                while m.field(&name).is_some() || schema.picklists.contains_key(&name) {
                    i += 1;
                    name = format!("cf_{i}");
                }
                field.name = Some(name);
            }
            SchemaChange::AddField { module: m.name.clone(), field }
        }
        SchemaChange::AddBlock { module, name, label } => {
            let m = module_of(schema, &module)?;
            let name = name.unwrap_or_else(|| {
                let mut i = n;
                while m.blocks.iter().any(|b| b.name == format!("blk_{i}")) {
                    i += 1;
                }
                format!("blk_{i}")
            });
            SchemaChange::AddBlock { module: m.name.clone(), name: Some(name), label }
        }
        SchemaChange::AddIndex { module, fields, name } => {
            let m = module_of(schema, &module)?;
            let name = name.unwrap_or_else(|| {
                let mut i = n;
                while m.indexes.iter().any(|x| x.name == format!("ix_{i}")) {
                    i += 1;
                }
                format!("ix_{i}")
            });
            let fields = super::index::resolve_fields(m, &fields)?;
            SchemaChange::AddIndex { module: m.name.clone(), fields, name: Some(name) }
        }
        SchemaChange::DropIndex { module, fields } => {
            let m = module_of(schema, &module)?;
            SchemaChange::DropIndex { module: m.name.clone(), fields: super::index::resolve_fields(m, &fields)? }
        }
        mut other => {
            if let Some(module) = other.module_mut() {
                *module = module_of(schema, module)?.name.clone();
            }
            other
        }
    })
}

/// The picklist values `change` renames or deletes, with every field that uses them (in `before`).
pub fn value_rewrites(before: &Schema, change: &SchemaChange) -> R<Vec<ValueRewrite>> {
    let (module, field, pairs): (&str, &str, Vec<(String, Option<String>)>) = match change {
        SchemaChange::RenamePicklistValue { module, field, from, to } => {
            let (_, _, p) = picklist_of(before, module, field)?;
            let from = p.find_ignore_case(from).map(|v| v.value.clone()).unwrap_or_else(|| from.clone());
            (module, field, vec![(from, Some(to.trim().to_string()))])
        }
        SchemaChange::DeletePicklistValues { module, field, values, replacement } => {
            let (_, _, p) = picklist_of(before, module, field)?;
            let to = replacement.as_ref().map(|r| p.find_ignore_case(r).map(|v| v.value.clone()).unwrap_or_else(|| r.clone()));
            let pairs =
                values.iter().map(|v| (p.find_ignore_case(v).map(|x| x.value.clone()).unwrap_or_else(|| v.clone()), to.clone())).collect();
            (module, field, pairs)
        }
        _ => return Ok(vec![]),
    };
    let (_, _, p) = picklist_of(before, module, field)?;
    let users = picklist_users(before, &p.name);
    Ok(pairs.into_iter().map(|(from, to)| ValueRewrite { picklist: p.name.clone(), fields: users.clone(), from, to }).collect())
}

/// Every `(module, field, multi_select)` whose values come from `picklist`.
pub fn picklist_users(schema: &Schema, picklist: &str) -> Vec<(String, String, bool)> {
    let mut out = Vec::new();
    for m in schema.modules.values() {
        for f in &m.fields {
            if f.picklist_name() == Some(picklist) {
                out.push((m.name.clone(), f.name.clone(), f.field_type == FieldType::MultiPicklist));
            }
        }
    }
    out
}

/// Checks `change` against `schema` and returns the next schema (its version one higher).
///
/// # Errors
/// A [`SchemaError`] naming the rule that refuses the change.
pub fn apply(schema: &Schema, change: &SchemaChange) -> R<Schema> {
    let mut s = schema.clone();
    match change {
        SchemaChange::AddField { module, field } => add_field(&mut s, module, field)?,
        SchemaChange::UpdateField { module, field, update } => update_field(&mut s, module, field, update)?,
        SchemaChange::MoveField { module, field, block, position } => {
            let m = module_mut(&mut s, module)?;
            let f = field_name(m, field)?;
            let b = block_name(m, block)?;
            let mut order = block_order(m, &b);
            order.retain(|x| *x != f);
            let at = position.map_or(order.len(), |p| (p.max(1) as usize - 1).min(order.len()));
            order.insert(at, f.clone());
            let old = m.field(&f).map(|x| x.block.clone()).unwrap_or_default();
            if let Some(x) = m.fields.iter_mut().find(|x| x.name == f) {
                x.block = b.clone();
            }
            renumber(m, &b, &order);
            let rest = block_order(m, &old);
            renumber(m, &old, &rest);
        }
        SchemaChange::ReorderFields { module, block, fields } => {
            let m = module_mut(&mut s, module)?;
            let b = block_name(m, block)?;
            let mut listed = Vec::new();
            for f in fields {
                let name = field_name(m, f)?;
                if m.field(&name).is_some_and(|x| x.block != b) {
                    return Err(SchemaError::InvalidOption { field: name, message: format!("is not in block '{b}'") });
                }
                if !listed.contains(&name) {
                    listed.push(name);
                }
            }
            let mut order = listed.clone();
            order.extend(block_order(m, &b).into_iter().filter(|x| !listed.contains(x)));
            renumber(m, &b, &order);
        }
        SchemaChange::DeleteField { module, field } => {
            let m = module_mut(&mut s, module)?;
            let name = field_name(m, field)?;
            let f = m.field(&name).cloned().ok_or_else(|| unknown_field(&m.name, field))?;
            if !f.custom {
                return Err(SchemaError::Standard(name));
            }
            let uses: Vec<String> = m
                .dependencies
                .iter()
                .filter(|d| d.source == name || d.target == name)
                .map(|d| format!("picklist dependency {} → {}", d.source, d.target))
                .collect();
            let mut uses = uses;
            uses.extend(super::index::uses_of(m, &name)); // declared indexes
            if !uses.is_empty() {
                return Err(SchemaError::InUse { field: name, uses });
            }
            m.fields.retain(|x| x.name != name);
            let order = block_order(m, &f.block);
            renumber(m, &f.block, &order);
            // A picklist of its own goes with the field; shared picklists stay.
            if let Some(p) = f.picklist_name().map(str::to_string)
                && picklist_users(&s, &p).is_empty()
                && p == f.name
            {
                s.picklists.remove(&p);
            }
        }
        SchemaChange::AddBlock { module, name, label } => {
            let n = s.version + 1;
            let m = module_mut(&mut s, module)?;
            let label = check_label(label, "block label")?;
            if m.blocks.iter().any(|b| b.label.eq_ignore_ascii_case(&label)) {
                return Err(SchemaError::DuplicateLabel { module: m.name.clone(), label });
            }
            let name = name.clone().unwrap_or_else(|| format!("blk_{n}"));
            check_identifier(&name, "block name")?;
            if m.blocks.iter().any(|b| b.name.eq_ignore_ascii_case(&name)) {
                return Err(SchemaError::DuplicateName(name));
            }
            let sequence = m.blocks.iter().map(|b| b.sequence).max().unwrap_or(0) + 1;
            m.blocks.push(Block { name, label, sequence, custom: true });
        }
        SchemaChange::RenameBlock { module, block, label } => {
            let m = module_mut(&mut s, module)?;
            let b = block_name(m, block)?;
            let label = check_label(label, "block label")?;
            if m.blocks.iter().any(|x| x.name != b && x.label.eq_ignore_ascii_case(&label)) {
                return Err(SchemaError::DuplicateLabel { module: m.name.clone(), label });
            }
            if let Some(x) = m.blocks.iter_mut().find(|x| x.name == b) {
                x.label = label;
            }
        }
        SchemaChange::ReorderBlocks { module, blocks } => {
            let m = module_mut(&mut s, module)?;
            let mut listed = Vec::new();
            for b in blocks {
                let n = block_name(m, b)?;
                if !listed.contains(&n) {
                    listed.push(n);
                }
            }
            let mut rest: Vec<&Block> = m.blocks.iter().filter(|b| !listed.contains(&b.name)).collect();
            rest.sort_by_key(|b| b.sequence);
            let mut order = listed.clone();
            order.extend(rest.into_iter().map(|b| b.name.clone()));
            for b in &mut m.blocks {
                b.sequence = order.iter().position(|x| *x == b.name).map_or(u32::MAX, |i| i as u32 + 1);
            }
            m.blocks.sort_by_key(|b| b.sequence);
        }
        SchemaChange::DeleteBlock { module, block } => {
            let m = module_mut(&mut s, module)?;
            let b = block_name(m, block)?;
            if m.blocks.iter().any(|x| x.name == b && !x.custom) {
                return Err(SchemaError::Standard(b));
            }
            if m.fields.iter().any(|f| f.block == b) {
                return Err(SchemaError::BlockNotEmpty(b));
            }
            m.blocks.retain(|x| x.name != b);
            for (i, x) in m.blocks.iter_mut().enumerate() {
                x.sequence = i as u32 + 1;
            }
        }
        SchemaChange::AddPicklistValues { module, field, values } => {
            let (_, _, p) = picklist_of(&s, module, field)?;
            let name = p.name.clone();
            let mut seen: Vec<String> = p.values.iter().map(|v| v.value.to_lowercase()).collect();
            let mut add = Vec::new();
            for v in values {
                let v = check_value(v)?;
                if seen.contains(&v.to_lowercase()) {
                    return Err(SchemaError::DuplicateValue { picklist: name, value: v });
                }
                seen.push(v.to_lowercase());
                add.push(PicklistValue { value: v, editable: true, stage: None, roles: vec![] });
            }
            if let Some(p) = s.picklists.get_mut(&name) {
                p.values.extend(add);
            }
        }
        SchemaChange::ReorderPicklist { module, field, values } => {
            let (_, _, p) = picklist_of(&s, module, field)?;
            let mut p = p.clone();
            let mut order: Vec<PicklistValue> = Vec::new();
            for v in values {
                let pv = p.find_ignore_case(v).cloned().ok_or_else(|| unknown_value(&p.name, v))?;
                if !order.iter().any(|x| x.value == pv.value) {
                    order.push(pv);
                }
            }
            order.extend(p.values.iter().filter(|x| !order.iter().any(|o| o.value == x.value)).cloned().collect::<Vec<_>>());
            p.values = order;
            s.picklists.insert(p.name.clone(), p);
        }
        SchemaChange::RenamePicklistValue { module, field, from, to } => {
            let (_, _, p) = picklist_of(&s, module, field)?;
            let pname = p.name.clone();
            let old = p.find_ignore_case(from).cloned().ok_or_else(|| unknown_value(&pname, from))?;
            if !old.editable {
                return Err(SchemaError::NotEditable(old.value));
            }
            let to = check_value(to)?;
            if p.values.iter().any(|v| v.value != old.value && v.value.eq_ignore_ascii_case(&to)) {
                return Err(SchemaError::DuplicateValue { picklist: pname, value: to });
            }
            if let Some(v) = s.picklists.get_mut(&pname).and_then(|p| p.values.iter_mut().find(|v| v.value == old.value)) {
                v.value = to.clone();
            }
            rewrite_value_uses(&mut s, &pname, &old.value, Some(&to));
        }
        SchemaChange::DeletePicklistValues { module, field, values, replacement } => {
            let (_, _, p) = picklist_of(&s, module, field)?;
            let p = p.clone();
            let mut gone = Vec::new();
            for v in values {
                let pv = p.find_ignore_case(v).ok_or_else(|| unknown_value(&p.name, v))?;
                if !pv.editable {
                    return Err(SchemaError::NotEditable(pv.value.clone()));
                }
                if !gone.contains(&pv.value) {
                    gone.push(pv.value.clone());
                }
            }
            let replacement = match replacement {
                Some(r) => {
                    let pv = p.find_ignore_case(r).ok_or_else(|| unknown_value(&p.name, r))?;
                    if gone.contains(&pv.value) {
                        return Err(SchemaError::InvalidOption {
                            field: field.clone(),
                            message: format!("the replacement '{}' is among the deleted values", pv.value),
                        });
                    }
                    Some(pv.value.clone())
                }
                None => None,
            };
            let left = p.values.len() - gone.len();
            if let Some((mname, fname)) = mandatory_user(&s, &p.name) {
                let _ = mname;
                if left == 0 {
                    return Err(SchemaError::MandatoryPicklist {
                        picklist: p.name.clone(),
                        field: fname,
                        reason: "its last value cannot be removed".into(),
                    });
                }
                if replacement.is_none() {
                    return Err(SchemaError::MandatoryPicklist {
                        picklist: p.name.clone(),
                        field: fname,
                        reason: "deleted values need a replacement value".into(),
                    });
                }
            }
            if let Some(pl) = s.picklists.get_mut(&p.name) {
                pl.values.retain(|v| !gone.contains(&v.value));
            }
            for g in &gone {
                rewrite_value_uses(&mut s, &p.name, g, replacement.as_deref());
            }
        }
        SchemaChange::SetPicklistValueRoles { module, field, value, roles } => {
            let (_, _, p) = picklist_of(&s, module, field)?;
            let pname = p.name.clone();
            let v = p.find_ignore_case(value).ok_or_else(|| unknown_value(&pname, value))?.value.clone();
            let mut rs: Vec<String> = Vec::new();
            for r in roles {
                let r = check_label(r, "role")?;
                if !rs.contains(&r) {
                    rs.push(r);
                }
            }
            if let Some(x) = s.picklists.get_mut(&pname).and_then(|p| p.values.iter_mut().find(|x| x.value == v)) {
                x.roles = rs;
            }
        }
        SchemaChange::SetPicklistDependency { module, source, target, mapping } => set_dependency(&mut s, module, source, target, mapping)?,
        SchemaChange::SetStageMeta { value, kind, probability } => {
            if *probability < Decimal::ZERO || *probability > Decimal::ONE_HUNDRED {
                return Err(SchemaError::InvalidOption {
                    field: "sales_stage".into(),
                    message: format!("probability {probability} is not between 0 and 100"),
                });
            }
            let p = s.picklists.get_mut("sales_stage").ok_or_else(|| SchemaError::NotAPicklist("sales_stage".into()))?;
            let lower = value.to_lowercase();
            let v = p
                .values
                .iter_mut()
                .find(|v| v.value == *value || v.value.to_lowercase() == lower)
                .ok_or_else(|| unknown_value("sales_stage", value))?;
            if !v.editable && v.stage.is_some_and(|m| m.kind != *kind) {
                return Err(SchemaError::NotEditable(v.value.clone()));
            }
            v.stage = Some(StageMeta { kind: *kind, probability: *probability });
        }
        // ----- declared indexes -----
        SchemaChange::AddIndex { module, fields, name } => {
            let n = format!("ix_{}", s.version + 1);
            super::index::add(module_mut(&mut s, module)?, fields, name.as_deref().unwrap_or(&n))?
        }
        SchemaChange::DropIndex { module, fields } => super::index::drop(module_mut(&mut s, module)?, fields)?,
    }
    s.version = schema.version + 1;
    Ok(s)
}

// ----- fields -----

fn add_field(s: &mut Schema, module: &str, nf: &NewField) -> R<()> {
    let version = s.version;
    let mname = module_of(s, module)?.name.clone();
    let name = match &nf.name {
        Some(n) => n.trim().to_string(),
        None => format!("cf_{}", version + 1),
    };
    check_identifier(&name, "field name")?;
    if RESERVED_NAMES.contains(&name.as_str()) {
        return Err(SchemaError::InvalidName { what: "field name", value: name, reason: "is reserved".into() });
    }
    let m = module_of(s, &mname)?;
    if m.fields.iter().any(|f| f.name.eq_ignore_ascii_case(&name)) {
        return Err(SchemaError::DuplicateName(name));
    }
    let label = check_label(&nf.label, "label")?;
    check_unique_label(m, &label, None)?;
    let block = match &nf.block {
        Some(b) => block_name(m, b)?,
        None => m
            .blocks
            .iter()
            .find(|b| b.name == "LBL_CUSTOM_INFORMATION")
            .or_else(|| m.blocks.iter().max_by_key(|b| b.sequence))
            .map(|b| b.name.clone())
            .ok_or_else(|| SchemaError::UnknownBlock { module: mname.clone(), block: "LBL_CUSTOM_INFORMATION".into() })?,
    };
    let opt = |msg: &str| SchemaError::InvalidOption { field: name.clone(), message: msg.to_string() };
    let t = nf.field_type;
    if matches!(t, FieldType::Owner | FieldType::AutoNumber) {
        return Err(opt("owner and auto-number fields cannot be added"));
    }
    let textual = matches!(t, FieldType::Text | FieldType::TextArea | FieldType::Email | FieldType::Phone | FieldType::Url);
    if nf.max_length.is_some() && !textual {
        return Err(opt("a length applies to text fields only"));
    }
    let max_length = match (t, nf.max_length) {
        (FieldType::Text, None) => Some(255),
        (FieldType::Text | FieldType::Email | FieldType::Phone | FieldType::Url, Some(n)) if (1..=255).contains(&n) => Some(n),
        (FieldType::TextArea, Some(n)) if n >= 1 => Some(n),
        (_, Some(n)) => return Err(opt(&format!("length {n} is out of range 1..=255"))),
        _ => None,
    };
    if (nf.precision.is_some() || nf.scale.is_some()) && !matches!(t, FieldType::Decimal | FieldType::Currency) {
        return Err(opt("precision and scale apply to decimal and currency fields only"));
    }
    let (precision, scale) = match t {
        FieldType::Decimal | FieldType::Currency => {
            let (dp, ds) = if t == FieldType::Currency { (25, 2) } else { (18, 2) };
            let p = nf.precision.unwrap_or(dp);
            let sc = nf.scale.unwrap_or(ds.min(p));
            if !(1..=28).contains(&p) {
                return Err(opt(&format!("precision {p} is out of range 1..=28")));
            }
            if sc > 5 || sc > p {
                return Err(opt(&format!("scale {sc} must be at most 5 and at most the precision {p}")));
            }
            (Some(p), Some(sc))
        }
        FieldType::Percent => (Some(5), Some(2)),
        _ => (None, None),
    };
    let picklist_type = matches!(t, FieldType::Picklist | FieldType::MultiPicklist);
    if !picklist_type && (!nf.values.is_empty() || nf.picklist.is_some()) {
        return Err(opt("values apply to picklist fields only"));
    }
    let mut new_picklist = None;
    let picklist = if picklist_type {
        match &nf.picklist {
            Some(shared) => {
                if !nf.values.is_empty() {
                    return Err(opt("give either values or an existing picklist, not both"));
                }
                if !s.picklists.contains_key(shared) {
                    return Err(SchemaError::NotAPicklist(shared.clone()));
                }
                Some(shared.clone())
            }
            None => {
                if nf.values.is_empty() {
                    return Err(opt("a picklist field needs at least one value"));
                }
                if s.picklists.contains_key(&name) {
                    return Err(SchemaError::DuplicateName(name));
                }
                let mut vals: Vec<PicklistValue> = Vec::new();
                for v in &nf.values {
                    let v = check_value(v)?;
                    if vals.iter().any(|x| x.value.eq_ignore_ascii_case(&v)) {
                        return Err(SchemaError::DuplicateValue { picklist: name.clone(), value: v });
                    }
                    vals.push(PicklistValue { value: v, editable: true, stage: None, roles: vec![] });
                }
                new_picklist = Some(Picklist { name: name.clone(), values: vals });
                None
            }
        }
    } else {
        None
    };
    if t != FieldType::Reference && !nf.references.is_empty() {
        return Err(opt("target modules apply to reference fields only"));
    }
    let mut references = Vec::new();
    if t == FieldType::Reference {
        if nf.references.is_empty() {
            return Err(opt("a reference field needs at least one target module"));
        }
        for r in &nf.references {
            let rm = s.module(r).ok_or_else(|| SchemaError::UnknownModule(r.clone()))?;
            if !references.contains(&rm.name) {
                references.push(rm.name.clone());
            }
        }
    }
    if nf.mandatory && nf.hidden {
        return Err(SchemaError::Protected { field: name, reason: "cannot be mandatory and hidden".into() });
    }
    let m = module_of(s, &mname)?;
    let sequence = m.fields.iter().filter(|f| f.block == block).map(|f| f.sequence).max().unwrap_or(0) + 1;
    let quick_create_sequence = if nf.quick_create || nf.mandatory {
        Some(m.fields.iter().filter_map(|f| f.quick_create_sequence).max().unwrap_or(0) + 1)
    } else {
        None
    };
    let mut field = Field {
        name: name.clone(),
        label,
        field_type: t,
        block,
        sequence,
        mandatory: nf.mandatory,
        quick_create: nf.quick_create,
        quick_create_sequence,
        presence: if nf.hidden { Presence::Hidden } else { Presence::Shown },
        default: None,
        max_length,
        precision,
        scale,
        mass_editable: nf.mass_editable,
        custom: true,
        maintained: Maintained::User,
        references,
        picklist,
        uitype: custom_uitype(t),
    };
    if let Some(p) = new_picklist {
        s.picklists.insert(p.name.clone(), p);
    }
    if let Some(d) = &nf.default {
        field.default = Some(check_default(s, &field, d)?);
    }
    module_mut(s, &mname)?.fields.push(field);
    Ok(())
}

fn update_field(s: &mut Schema, module: &str, field: &str, u: &FieldUpdate) -> R<()> {
    let mname = module_of(s, module)?.name.clone();
    let m = module_of(s, &mname)?;
    let name = field_name(m, field)?;
    let mut f = m.field(&name).cloned().ok_or_else(|| unknown_field(&mname, field))?;
    let compulsory = m.compulsory.contains(&name);
    let protected = |reason: &str| SchemaError::Protected { field: name.clone(), reason: reason.to_string() };
    if let Some(l) = &u.label {
        let l = check_label(l, "label")?;
        check_unique_label(m, &l, Some(&name))?;
        f.label = l;
    }
    if let Some(on) = u.mandatory
        && on != f.mandatory
    {
        if f.maintained == Maintained::System {
            return Err(protected("is maintained by crm; its mandatory flag cannot change"));
        }
        if !on && compulsory {
            return Err(protected("is compulsory and cannot be made optional"));
        }
        f.mandatory = on;
    }
    if let Some(p) = u.presence {
        match p {
            Presence::AlwaysShown if f.presence != Presence::AlwaysShown => {
                return Err(SchemaError::InvalidOption {
                    field: name,
                    message: "presence 'always shown' is for built-in fields only".into(),
                });
            }
            Presence::Hidden if f.presence == Presence::AlwaysShown => return Err(protected("is always shown and cannot be hidden")),
            Presence::Hidden if compulsory => return Err(protected("is compulsory and cannot be hidden")),
            _ => {}
        }
        f.presence = p;
    }
    if f.mandatory && f.presence == Presence::Hidden {
        return Err(protected("cannot be mandatory and hidden"));
    }
    if let Some(q) = u.quick_create {
        if q && f.maintained == Maintained::System {
            return Err(protected("is maintained by crm and cannot be in quick create"));
        }
        f.quick_create = q;
        if q && f.quick_create_sequence.is_none() {
            f.quick_create_sequence = Some(m.fields.iter().filter_map(|x| x.quick_create_sequence).max().unwrap_or(0) + 1);
        }
    }
    if let Some(n) = u.quick_create_sequence {
        f.quick_create_sequence = Some(n);
    }
    if let Some(me) = u.mass_editable {
        if me && f.maintained == Maintained::System {
            return Err(protected("is maintained by crm and cannot be mass edited"));
        }
        f.mass_editable = me;
    }
    if let Some(t) = u.field_type
        && t != f.field_type
    {
        let text = |t: FieldType| matches!(t, FieldType::Text | FieldType::TextArea | FieldType::Email | FieldType::Phone | FieldType::Url);
        // Loosening to plain text is lossless; Email/Phone/URL validate, so only text → text area or
        // between the text kinds when the target accepts everything (Text, TextArea).
        if !(text(f.field_type) && matches!(t, FieldType::Text | FieldType::TextArea) && f.maintained == Maintained::User) {
            return Err(SchemaError::LossyChange {
                field: name,
                reason: format!("cannot change type {:?} to {:?} without losing data", f.field_type, t),
            });
        }
        if t == FieldType::Text && f.max_length.is_none() {
            return Err(SchemaError::LossyChange { field: name, reason: "a text area has no length limit; one-line text has".into() });
        }
        f.field_type = t;
        f.uitype = custom_uitype(t);
    }
    if let Some(n) = u.max_length {
        if !f.field_type.is_textual() || f.field_type == FieldType::AutoNumber {
            return Err(SchemaError::InvalidOption { field: name, message: "a length applies to text fields only".into() });
        }
        if f.max_length.is_some_and(|old| n < old) || (f.max_length.is_none() && f.field_type != FieldType::TextArea) {
            return Err(SchemaError::LossyChange { field: name, reason: format!("length {n} is shorter than the current one") });
        }
        if f.field_type != FieldType::TextArea && !(1..=255).contains(&n) {
            return Err(SchemaError::InvalidOption { field: name, message: format!("length {n} is out of range 1..=255") });
        }
        f.max_length = Some(n);
    }
    if let Some(p) = u.precision {
        if !matches!(f.field_type, FieldType::Decimal | FieldType::Currency) {
            return Err(SchemaError::InvalidOption {
                field: name,
                message: "precision applies to decimal and currency fields only".into(),
            });
        }
        if f.precision.is_some_and(|old| p < old) {
            return Err(SchemaError::LossyChange { field: name, reason: format!("precision {p} is smaller than the current one") });
        }
        if p > 28 || p < f.decimal_scale() {
            return Err(SchemaError::InvalidOption { field: name, message: format!("precision {p} is out of range") });
        }
        f.precision = Some(p);
    }
    if u.clear_default {
        f.default = None;
    }
    if let Some(d) = &u.default {
        f.default = Some(check_default(s, &f, d)?);
    }
    let m = module_mut(s, &mname)?;
    if let Some(x) = m.fields.iter_mut().find(|x| x.name == name) {
        *x = f;
    }
    Ok(())
}

fn check_default(s: &Schema, f: &Field, d: &str) -> R<String> {
    let refuse = |reason: &str| SchemaError::InvalidDefault { field: f.name.clone(), value: d.to_string(), reason: reason.to_string() };
    if f.maintained == Maintained::System || matches!(f.field_type, FieldType::AutoNumber | FieldType::Owner | FieldType::Reference) {
        return Err(refuse("this kind of field takes no default"));
    }
    if f.uitype == 23 || f.uitype == 6 {
        return Err(refuse("this date takes no default (vtiger uitype 23)"));
    }
    let v = coerce(f, Value::Text(d.to_string())).map_err(|e| refuse(&e.message))?;
    let items: Vec<String> = match &v {
        Value::Null => return Err(refuse("is empty")),
        Value::List(l) => l.clone(),
        Value::Text(t) if f.field_type == FieldType::Picklist => vec![t.clone()],
        _ => return Ok(d.trim().to_string()),
    };
    let p = f.picklist_name().and_then(|p| s.picklist(p)).ok_or_else(|| refuse("the picklist is missing"))?;
    let mut canon = Vec::new();
    for i in items {
        let pv = p.find_ignore_case(&i).ok_or_else(|| refuse(&format!("'{i}' is not a value of the picklist")))?;
        canon.push(pv.value.clone());
    }
    Ok(canon.join(MULTI_SEPARATOR))
}

// ----- picklists -----

fn picklist_of<'a>(s: &'a Schema, module: &str, field: &str) -> R<(&'a Module, &'a Field, &'a Picklist)> {
    let m = module_of(s, module)?;
    let name = field_name(m, field)?;
    let f = m.field(&name).ok_or_else(|| unknown_field(&m.name, field))?;
    let p = f.picklist_name().and_then(|p| s.picklist(p)).ok_or_else(|| SchemaError::NotAPicklist(f.name.clone()))?;
    Ok((m, f, p))
}

fn mandatory_user(s: &Schema, picklist: &str) -> Option<(String, String)> {
    s.modules.values().find_map(|m| {
        m.fields.iter().find(|f| f.mandatory && f.picklist_name() == Some(picklist)).map(|f| (m.name.clone(), f.name.clone()))
    })
}

/// Rewrites defaults and dependency mappings that hold `from` (a value of `picklist`).
fn rewrite_value_uses(s: &mut Schema, picklist: &str, from: &str, to: Option<&str>) {
    let users = picklist_users(s, picklist);
    for (mname, fname, _) in &users {
        let Some(m) = s.modules.get_mut(mname) else { continue };
        if let Some(f) = m.fields.iter_mut().find(|f| f.name == *fname)
            && let Some(d) = &f.default
        {
            let mut items: Vec<String> = crate::value::split_multi(d);
            let mut changed = false;
            for i in &mut items {
                if i == from {
                    changed = true;
                    *i = to.unwrap_or_default().to_string();
                }
            }
            if changed {
                let mut seen = BTreeSet::new();
                items.retain(|i| !i.is_empty() && seen.insert(i.clone()));
                f.default = if items.is_empty() { None } else { Some(items.join(MULTI_SEPARATOR)) };
            }
        }
        for d in &mut m.dependencies {
            if d.source == *fname
                && let Some(allowed) = d.mapping.remove(from)
                && let Some(t) = to
            {
                let e = d.mapping.entry(t.to_string()).or_default();
                for a in allowed {
                    if !e.contains(&a) {
                        e.push(a);
                    }
                }
            }
            if d.target == *fname {
                for allowed in d.mapping.values_mut() {
                    let mut out: Vec<String> = Vec::new();
                    for a in allowed.drain(..) {
                        let a = if a == from { to.map(str::to_string) } else { Some(a) };
                        if let Some(a) = a
                            && !out.contains(&a)
                        {
                            out.push(a);
                        }
                    }
                    *allowed = out;
                }
            }
            d.mapping.retain(|_, v| !v.is_empty());
        }
        m.dependencies.retain(|d| !d.mapping.is_empty());
    }
}

fn set_dependency(s: &mut Schema, module: &str, source: &str, target: &str, mapping: &BTreeMap<String, Vec<String>>) -> R<()> {
    let (m, sf, sp) = picklist_of(s, module, source)?;
    let (_, tf, tp) = picklist_of(s, module, target)?;
    let dep_err =
        |reason: &str| SchemaError::Dependency { source_field: sf.name.clone(), target: tf.name.clone(), reason: reason.to_string() };
    if sf.field_type != FieldType::Picklist {
        return Err(dep_err("the controlling field must be a single-value picklist"));
    }
    if sf.name == tf.name {
        return Err(dep_err("a field cannot control itself"));
    }
    let mut canon: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, vs) in mapping {
        let k = sp.find_ignore_case(k).ok_or_else(|| unknown_value(&sp.name, k))?.value.clone();
        let e = canon.entry(k).or_default();
        for v in vs {
            let v = tp.find_ignore_case(v).ok_or_else(|| unknown_value(&tp.name, v))?.value.clone();
            if !e.contains(&v) {
                e.push(v);
            }
        }
    }
    if m.dependencies.iter().any(|d| d.target == tf.name && d.source != sf.name) {
        return Err(dep_err("the dependent field already has another controlling field"));
    }
    let (mname, sname, tname) = (m.name.clone(), sf.name.clone(), tf.name.clone());
    let mut deps: Vec<PicklistDependency> = m.dependencies.iter().filter(|d| !(d.source == sname && d.target == tname)).cloned().collect();
    if !canon.is_empty() {
        deps.push(PicklistDependency { source: sname.clone(), target: tname.clone(), mapping: canon });
        // A cycle exists when the target already (directly or not) controls the source.
        let mut stack = vec![tname.clone()];
        let mut seen = BTreeSet::new();
        while let Some(x) = stack.pop() {
            if x == sname {
                return Err(dep_err("it would form a cycle"));
            }
            if seen.insert(x.clone()) {
                stack.extend(deps.iter().filter(|d| d.source == x).map(|d| d.target.clone()));
            }
        }
    }
    module_mut(s, &mname)?.dependencies = deps;
    Ok(())
}

// ----- helpers -----

fn module_of<'a>(s: &'a Schema, name: &str) -> R<&'a Module> {
    s.module(name).ok_or_else(|| SchemaError::UnknownModule(name.to_string()))
}

fn module_mut<'a>(s: &'a mut Schema, name: &str) -> R<&'a mut Module> {
    let key = module_of(s, name)?.name.clone();
    s.modules.get_mut(&key).ok_or(SchemaError::UnknownModule(key))
}

fn unknown_field(module: &str, field: &str) -> SchemaError {
    SchemaError::UnknownField { module: module.to_string(), field: field.to_string() }
}

fn unknown_value(picklist: &str, value: &str) -> SchemaError {
    SchemaError::UnknownValue { picklist: picklist.to_string(), value: value.to_string() }
}

fn field_name(m: &Module, key: &str) -> R<String> {
    m.field_by_name_or_label(key.trim()).map(|f| f.name.clone()).ok_or_else(|| unknown_field(&m.name, key))
}

fn block_name(m: &Module, key: &str) -> R<String> {
    let k = key.trim();
    m.blocks
        .iter()
        .find(|b| b.name == k)
        .or_else(|| m.blocks.iter().find(|b| b.name.eq_ignore_ascii_case(k) || b.label.eq_ignore_ascii_case(k)))
        .map(|b| b.name.clone())
        .ok_or_else(|| SchemaError::UnknownBlock { module: m.name.clone(), block: key.to_string() })
}

/// Field names of a block in sequence order.
fn block_order(m: &Module, block: &str) -> Vec<String> {
    let mut v: Vec<&Field> = m.fields.iter().filter(|f| f.block == block).collect();
    v.sort_by_key(|f| f.sequence);
    v.into_iter().map(|f| f.name.clone()).collect()
}

fn renumber(m: &mut Module, block: &str, order: &[String]) {
    for f in m.fields.iter_mut().filter(|f| f.block == block) {
        if let Some(i) = order.iter().position(|x| *x == f.name) {
            f.sequence = i as u32 + 1;
        }
    }
}

fn check_unique_label(m: &Module, label: &str, except: Option<&str>) -> R<()> {
    if m.fields.iter().any(|f| Some(f.name.as_str()) != except && f.label.eq_ignore_ascii_case(label)) {
        return Err(SchemaError::DuplicateLabel { module: m.name.clone(), label: label.to_string() });
    }
    Ok(())
}

fn check_label(label: &str, what: &'static str) -> R<String> {
    let l = label.trim();
    let bad = |reason: &str| SchemaError::InvalidName { what, value: label.to_string(), reason: reason.to_string() };
    if l.is_empty() {
        return Err(bad("is empty"));
    }
    if l.chars().count() > MAX_LABEL_LEN {
        return Err(bad("is too long"));
    }
    if l.chars().any(char::is_control) {
        return Err(bad("contains control characters"));
    }
    Ok(l.to_string())
}

fn check_value(v: &str) -> R<String> {
    let v = check_label(v, "picklist value")?;
    if v.contains("|##|") {
        return Err(SchemaError::InvalidName {
            what: "picklist value",
            value: v,
            reason: "contains the multi-select separator |##|".into(),
        });
    }
    if v.contains(',') {
        return Err(SchemaError::InvalidName {
            what: "picklist value",
            value: v,
            reason: "contains a comma, which separates values in filters and workflow conditions".into(),
        });
    }
    Ok(v)
}

fn check_identifier(name: &str, what: &'static str) -> R<()> {
    let mut chars = name.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name.len() <= 50;
    if ok {
        Ok(())
    } else {
        Err(SchemaError::InvalidName {
            what,
            value: name.to_string(),
            reason: "must be a lower-case identifier (a-z, 0-9, _; not starting with a digit) of at most 50 characters".into(),
        })
    }
}

/// vtiger's uitype for a custom field of this type.
fn custom_uitype(t: FieldType) -> u32 {
    match t {
        FieldType::Text => 1,
        FieldType::TextArea => 21,
        FieldType::Integer | FieldType::Decimal => 7,
        FieldType::Currency => 71,
        FieldType::Percent => 9,
        FieldType::Date => 5,
        FieldType::DateTime => 70,
        FieldType::Time => 14,
        FieldType::Email => 13,
        FieldType::Phone => 11,
        FieldType::Url => 17,
        FieldType::Checkbox => 56,
        FieldType::Picklist => 16,
        FieldType::MultiPicklist => 33,
        FieldType::Reference => 10,
        FieldType::Owner => 53,
        FieldType::AutoNumber => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn s() -> Schema {
        Schema::builtin()
    }

    fn add(s: &Schema, f: NewField) -> R<Schema> {
        let c = prepare(s, SchemaChange::AddField { module: "Potentials".into(), field: f })?;
        apply(s, &c)
    }

    #[test]
    fn adds_custom_fields_of_every_type_with_generated_names() {
        let mut sc = s();
        let types = [
            NewField::new("Region", FieldType::Text).length(40),
            NewField::new("Margin", FieldType::Decimal).decimal(10, 3),
            NewField::new("Seats", FieldType::Integer),
            NewField::new("Discount", FieldType::Percent),
            NewField::new("List price", FieldType::Currency),
            NewField::new("Kick-off", FieldType::Date),
            NewField::new("Demo at", FieldType::DateTime),
            NewField::new("Call time", FieldType::Time),
            NewField::new("Buyer e-mail", FieldType::Email),
            NewField::new("Buyer phone", FieldType::Phone),
            NewField::new("Tender URL", FieldType::Url),
            NewField::new("Strategic", FieldType::Checkbox).default_value("yes"),
            NewField::new("Tier", FieldType::Picklist).values(&["Gold", "Silver"]).default_value("silver"),
            NewField::new("Products", FieldType::MultiPicklist).values(&["A", "B", "C"]),
            NewField::new("Notes", FieldType::TextArea),
            NewField::new("Partner", FieldType::Reference).references(&["Organizations"]),
        ];
        for f in types {
            sc = add(&sc, f).unwrap();
        }
        let m = sc.module("Potentials").unwrap();
        let custom: Vec<&Field> = m.fields.iter().filter(|f| f.custom).collect();
        assert_eq!(custom.len(), 16);
        assert_eq!(custom[0].name, "cf_2");
        assert_eq!(m.field_by_name_or_label("Tier").unwrap().default.as_deref(), Some("Silver"));
        assert_eq!(m.field_by_name_or_label("Partner").unwrap().references, ["Accounts"]);
        assert_eq!(sc.version, 17);
        assert!(custom.iter().all(|f| f.block == "LBL_CUSTOM_INFORMATION"));
        let seqs: Vec<u32> = custom.iter().map(|f| f.sequence).collect();
        assert_eq!(seqs, (1..=16).collect::<Vec<_>>());
    }

    #[test]
    fn refuses_bad_fields() {
        let sc = s();
        let code = |f: NewField| add(&sc, f).unwrap_err().code();
        assert_eq!(code(NewField::new("amount", FieldType::Text)), "duplicate_label");
        assert_eq!(code(NewField::new("X", FieldType::Text).name("id")), "invalid_name");
        assert_eq!(code(NewField::new("X", FieldType::Text).name("Bad Name")), "invalid_name");
        assert_eq!(code(NewField::new("X", FieldType::Text).name("amount")), "duplicate_name");
        assert_eq!(code(NewField::new("X", FieldType::Text).length(300)), "invalid_option");
        assert_eq!(code(NewField::new("X", FieldType::Decimal).decimal(30, 2)), "invalid_option");
        assert_eq!(code(NewField::new("X", FieldType::Decimal).decimal(10, 6)), "invalid_option");
        assert_eq!(code(NewField::new("X", FieldType::Picklist)), "invalid_option");
        assert_eq!(code(NewField::new("X", FieldType::Picklist).values(&["a", "A"])), "duplicate_value");
        assert_eq!(code(NewField::new("X", FieldType::Reference)), "invalid_option");
        assert_eq!(code(NewField::new("X", FieldType::Reference).references(&["Nope"])), "unknown_module");
        assert_eq!(code(NewField::new("X", FieldType::Reference).references(&["Accounts"]).default_value("1")), "invalid_default");
        assert_eq!(code(NewField::new("X", FieldType::Integer).default_value("abc")), "invalid_default");
        assert_eq!(code(NewField::new("X", FieldType::Owner)), "invalid_option");
        assert_eq!(code(NewField::new("X", FieldType::Text).block("nope")), "unknown_block");
    }

    #[test]
    fn standard_and_compulsory_fields_are_protected() {
        let sc = s();
        let upd =
            |f: &str, u: FieldUpdate| apply(&sc, &SchemaChange::UpdateField { module: "Potentials".into(), field: f.into(), update: u });
        let del = |f: &str| apply(&sc, &SchemaChange::DeleteField { module: "Potentials".into(), field: f.into() });
        assert_eq!(del("amount").unwrap_err().code(), "standard");
        assert_eq!(del("nope").unwrap_err().code(), "unknown_field");
        assert_eq!(upd("sales_stage", FieldUpdate { mandatory: Some(false), ..Default::default() }).unwrap_err().code(), "protected");
        assert_eq!(
            upd("closingdate", FieldUpdate { presence: Some(Presence::Hidden), ..Default::default() }).unwrap_err().code(),
            "protected"
        );
        assert_eq!(
            upd("potentialname", FieldUpdate { presence: Some(Presence::Hidden), ..Default::default() }).unwrap_err().code(),
            "protected"
        );
        assert_eq!(
            upd("closingdate", FieldUpdate { default: Some("2027-01-01".into()), ..Default::default() }).unwrap_err().code(),
            "invalid_default"
        );
        assert_eq!(
            upd("potential_no", FieldUpdate { default: Some("X".into()), ..Default::default() }).unwrap_err().code(),
            "invalid_default"
        );
        assert_eq!(
            upd("createdtime", FieldUpdate { default: Some("2027-01-01".into()), ..Default::default() }).unwrap_err().code(),
            "invalid_default"
        );
        assert_eq!(
            upd("assigned_user_id", FieldUpdate { default: Some("1".into()), ..Default::default() }).unwrap_err().code(),
            "invalid_default"
        );
        assert_eq!(
            upd("amount", FieldUpdate { label: Some("Sales Stage".into()), ..Default::default() }).unwrap_err().code(),
            "duplicate_label"
        );
        assert_eq!(
            upd("amount", FieldUpdate { field_type: Some(FieldType::Text), ..Default::default() }).unwrap_err().code(),
            "lossy_change"
        );
        assert_eq!(upd("nextstep", FieldUpdate { max_length: Some(10), ..Default::default() }).unwrap_err().code(), "lossy_change");
        let ok =
            upd("nextstep", FieldUpdate { max_length: Some(200), mandatory: Some(true), label: Some("Next".into()), ..Default::default() })
                .unwrap();
        let f = ok.module("Potentials").unwrap().field("nextstep").unwrap();
        assert_eq!((f.max_length, f.mandatory, f.label.as_str()), (Some(200), true, "Next"));
        let ok = upd("nextstep", FieldUpdate { field_type: Some(FieldType::TextArea), ..Default::default() }).unwrap();
        assert_eq!(ok.module("Potentials").unwrap().field("nextstep").unwrap().field_type, FieldType::TextArea);
        let ok = upd("leadsource", FieldUpdate { default: Some("partner".into()), presence: Some(Presence::Hidden), ..Default::default() })
            .unwrap();
        let f = ok.module("Potentials").unwrap().field("leadsource").unwrap();
        assert_eq!((f.default.as_deref(), f.presence), (Some("Partner"), Presence::Hidden));
    }

    #[test]
    fn blocks_and_ordering() {
        let sc = s();
        let c = prepare(&sc, SchemaChange::AddBlock { module: "Potentials".into(), name: None, label: "Extra".into() }).unwrap();
        let sc = apply(&sc, &c).unwrap();
        let m = sc.module("Potentials").unwrap();
        let b = m.blocks.last().unwrap();
        assert_eq!((b.name.as_str(), b.sequence, b.custom), ("blk_2", 4, true));
        let dup = apply(&sc, &SchemaChange::AddBlock { module: "Potentials".into(), name: None, label: "extra".into() });
        assert_eq!(dup.unwrap_err().code(), "duplicate_label");
        let sc = apply(
            &sc,
            &SchemaChange::MoveField { module: "Potentials".into(), field: "nextstep".into(), block: "Extra".into(), position: None },
        )
        .unwrap();
        let m = sc.module("Potentials").unwrap();
        assert_eq!(m.field("nextstep").unwrap().block, "blk_2");
        let seqs: Vec<u32> = {
            let mut v: Vec<u32> = m.fields.iter().filter(|f| f.block == "LBL_OPPORTUNITY_INFORMATION").map(|f| f.sequence).collect();
            v.sort();
            v
        };
        assert_eq!(seqs, (1..=seqs.len() as u32).collect::<Vec<_>>());
        let err = apply(&sc, &SchemaChange::DeleteBlock { module: "Potentials".into(), block: "Extra".into() }).unwrap_err();
        assert_eq!(err.code(), "block_not_empty");
        let err =
            apply(&sc, &SchemaChange::DeleteBlock { module: "Potentials".into(), block: "LBL_CUSTOM_INFORMATION".into() }).unwrap_err();
        assert_eq!(err.code(), "standard");
        let sc = apply(
            &sc,
            &SchemaChange::MoveField {
                module: "Potentials".into(),
                field: "nextstep".into(),
                block: "LBL_OPPORTUNITY_INFORMATION".into(),
                position: Some(1),
            },
        )
        .unwrap();
        assert_eq!(sc.module("Potentials").unwrap().fields_in_layout_order()[0].name, "nextstep");
        let sc = apply(&sc, &SchemaChange::DeleteBlock { module: "Potentials".into(), block: "blk_2".into() }).unwrap();
        let sc =
            apply(&sc, &SchemaChange::ReorderBlocks { module: "Potentials".into(), blocks: vec!["LBL_DESCRIPTION_INFORMATION".into()] })
                .unwrap();
        let names: Vec<&str> = sc.module("Potentials").unwrap().blocks.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(names, ["LBL_DESCRIPTION_INFORMATION", "LBL_OPPORTUNITY_INFORMATION", "LBL_CUSTOM_INFORMATION"]);
        let sc = apply(
            &sc,
            &SchemaChange::ReorderFields {
                module: "Potentials".into(),
                block: "LBL_OPPORTUNITY_INFORMATION".into(),
                fields: vec!["amount".into(), "Opportunity Name".into()],
            },
        )
        .unwrap();
        let order: Vec<&str> =
            sc.module("Potentials").unwrap().fields_in_layout_order().iter().skip(1).take(3).map(|f| f.name.as_str()).collect();
        assert_eq!(order, ["amount", "potentialname", "nextstep"]);
    }

    #[test]
    fn picklist_editor_rules() {
        let sc = s();
        let pl = |module: &str, field: &str| (module.to_string(), field.to_string());
        let (m, f) = pl("Potentials", "sales_stage");
        let rename = |sc: &Schema, from: &str, to: &str| {
            apply(sc, &SchemaChange::RenamePicklistValue { module: m.clone(), field: f.clone(), from: from.into(), to: to.into() })
        };
        assert_eq!(rename(&sc, "Closed Won", "Won").unwrap_err().code(), "not_editable");
        assert_eq!(rename(&sc, "Prospecting", "qualification").unwrap_err().code(), "duplicate_value");
        assert_eq!(rename(&sc, "Nope", "X").unwrap_err().code(), "unknown_value");
        let sc2 = rename(&sc, "prospecting", "Discovery").unwrap();
        assert_eq!(sc2.stage("Discovery").unwrap().probability, dec!(10));
        let del = |sc: &Schema, values: &[&str], repl: Option<&str>| {
            apply(
                sc,
                &SchemaChange::DeletePicklistValues {
                    module: m.clone(),
                    field: f.clone(),
                    values: values.iter().map(|s| s.to_string()).collect(),
                    replacement: repl.map(str::to_string),
                },
            )
        };
        assert_eq!(del(&sc, &["Closed Lost"], Some("Prospecting")).unwrap_err().code(), "not_editable");
        assert_eq!(del(&sc, &["Qualification"], None).unwrap_err().code(), "mandatory_picklist");
        assert_eq!(del(&sc, &["Qualification"], Some("Qualification")).unwrap_err().code(), "invalid_option");
        let sc3 = del(&sc, &["Qualification", "Needs Analysis"], Some("Prospecting")).unwrap();
        assert_eq!(sc3.picklist("sales_stage").unwrap().values.len(), 8);
        // last value of a mandatory picklist (a custom mandatory picklist with one value)
        let sc4 = add(&sc, NewField::new("Tier", FieldType::Picklist).values(&["Gold"]).mandatory()).unwrap();
        let err = apply(
            &sc4,
            &SchemaChange::DeletePicklistValues { module: m.clone(), field: "Tier".into(), values: vec!["Gold".into()], replacement: None },
        )
        .unwrap_err();
        assert_eq!(err.code(), "mandatory_picklist");
        let err = apply(&sc, &SchemaChange::AddPicklistValues { module: m.clone(), field: "amount".into(), values: vec!["x".into()] })
            .unwrap_err();
        assert_eq!(err.code(), "not_a_picklist");
        let err = apply(&sc, &SchemaChange::AddPicklistValues { module: m.clone(), field: f.clone(), values: vec!["a |##| b".into()] })
            .unwrap_err();
        assert_eq!(err.code(), "invalid_name");
        // a comma would split the value in filter and workflow value lists (found by a property test)
        let err =
            apply(&sc, &SchemaChange::AddPicklistValues { module: m.clone(), field: f.clone(), values: vec!["a, b".into()] }).unwrap_err();
        assert_eq!(err.code(), "invalid_name");
        let sc5 = apply(
            &sc,
            &SchemaChange::ReorderPicklist { module: m.clone(), field: f.clone(), values: vec!["Closed Lost".into(), "closed won".into()] },
        )
        .unwrap();
        let first: Vec<&str> = sc5.picklist("sales_stage").unwrap().values.iter().take(3).map(|v| v.value.as_str()).collect();
        assert_eq!(first, ["Closed Lost", "Closed Won", "Prospecting"]);
        let err = apply(&sc, &SchemaChange::SetStageMeta { value: "Closed Won".into(), kind: StageKind::Lost, probability: dec!(0) })
            .unwrap_err();
        assert_eq!(err.code(), "not_editable");
        let sc6 = apply(&sc, &SchemaChange::SetStageMeta { value: "Qualification".into(), kind: StageKind::Open, probability: dec!(15) })
            .unwrap();
        assert_eq!(sc6.stage("Qualification").unwrap().probability, dec!(15));
    }

    #[test]
    fn dependencies_follow_renames_and_refuse_cycles() {
        let sc = s();
        let sc = add(&sc, NewField::new("Region", FieldType::Picklist).values(&["EU", "US"]).name("region")).unwrap();
        let sc = add(&sc, NewField::new("Country", FieldType::Picklist).values(&["DE", "FR", "CA"]).name("country")).unwrap();
        let map =
            |pairs: &[(&str, &[&str])]| pairs.iter().map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect())).collect();
        let dep = |sc: &Schema, s: &str, t: &str, m: BTreeMap<String, Vec<String>>| {
            apply(sc, &SchemaChange::SetPicklistDependency { module: "Potentials".into(), source: s.into(), target: t.into(), mapping: m })
        };
        let sc = dep(&sc, "region", "country", map(&[("EU", &["DE", "FR"]), ("US", &["CA"])])).unwrap();
        assert_eq!(dep(&sc, "country", "region", map(&[("DE", &["EU"])])).unwrap_err().code(), "dependency");
        assert_eq!(dep(&sc, "opportunity_type", "country", map(&[("New Business", &["DE"])])).unwrap_err().code(), "dependency");
        assert_eq!(dep(&sc, "region", "country", map(&[("XX", &["DE"])])).unwrap_err().code(), "unknown_value");
        let sc = apply(
            &sc,
            &SchemaChange::RenamePicklistValue {
                module: "Potentials".into(),
                field: "region".into(),
                from: "EU".into(),
                to: "Europe".into(),
            },
        )
        .unwrap();
        let sc = apply(
            &sc,
            &SchemaChange::RenamePicklistValue {
                module: "Potentials".into(),
                field: "country".into(),
                from: "DE".into(),
                to: "Germany".into(),
            },
        )
        .unwrap();
        let d = &sc.module("Potentials").unwrap().dependencies[0];
        assert_eq!(d.mapping.get("Europe").unwrap(), &vec!["Germany".to_string(), "FR".to_string()]);
        let err = apply(&sc, &SchemaChange::DeleteField { module: "Potentials".into(), field: "region".into() }).unwrap_err();
        assert_eq!(err.code(), "in_use");
        let sc = dep(&sc, "region", "country", BTreeMap::new()).unwrap();
        assert!(sc.module("Potentials").unwrap().dependencies.is_empty());
        let sc = apply(&sc, &SchemaChange::DeleteField { module: "Potentials".into(), field: "region".into() }).unwrap();
        assert!(sc.picklist("region").is_none());
    }

    #[test]
    fn changes_round_trip_as_json() {
        let c = SchemaChange::AddField { module: "Potentials".into(), field: NewField::new("Tier", FieldType::Picklist).values(&["Gold"]) };
        let j = serde_json::to_string(&c).unwrap();
        assert!(j.contains("\"op\":\"add_field\""), "{j}");
        assert_eq!(serde_json::from_str::<SchemaChange>(&j).unwrap(), c);
        let c = SchemaChange::SetStageMeta { value: "X".into(), kind: StageKind::Open, probability: dec!(12.5) };
        assert_eq!(serde_json::from_str::<SchemaChange>(&serde_json::to_string(&c).unwrap()).unwrap(), c);
    }
}
