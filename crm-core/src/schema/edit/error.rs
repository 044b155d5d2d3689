//! [`SchemaError`]: why a schema edit was refused, with a stable code per kind for the bindings.

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
    /// A duplicate-prevention rule that breaks a rule (no fields, too many, a field twice or of a type that
    /// cannot be matched, the same fields twice, too many rules, no such rule to drop).
    #[error("{module}: invalid duplicate rule: {reason}")]
    InvalidDuplicateRule {
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
            SchemaError::InvalidDuplicateRule { .. } => "invalid_duplicate_rule",
        }
    }
}
