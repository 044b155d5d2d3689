//! Modules, blocks, fields and picklists: the metadata every record is validated against.
//!
//! The built-in modules (Potentials, Accounts, Contacts, Leads and the modules they link to) come from one
//! declarative definition in [`builtin`], using vtiger's field names, labels, blocks and picklist values.
//! A [`Schema`] is plain data: it is serialised into storage so that later customizations (custom fields,
//! picklist edits) are stored with the database and seen by every handle that opens it.

pub mod builtin;
pub mod edit;
pub mod index;
pub mod picklist_rules;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The type of a field. Decides how values are parsed, validated, stored and compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// One line of text (vtiger uitype 1/2).
    Text,
    /// Several lines of text (uitype 19/21).
    TextArea,
    /// Whole number (uitype 7, `I`).
    Integer,
    /// Exact decimal with a precision and scale (uitype 7, `NN`).
    Decimal,
    /// Money, exact decimal (uitype 71/72).
    Currency,
    /// Percentage 0..=100, exact decimal (uitype 9).
    Percent,
    /// Calendar date (uitype 5/23).
    Date,
    /// Date and time of day, UTC (uitype 70).
    DateTime,
    /// Time of day (uitype 14).
    Time,
    /// E-mail address (uitype 13).
    Email,
    /// Phone number (uitype 11).
    Phone,
    /// Web address (uitype 17).
    Url,
    /// Yes/no (uitype 56).
    Checkbox,
    /// One value of a picklist (uitype 15/16).
    Picklist,
    /// Several values of a picklist (uitype 33).
    MultiPicklist,
    /// Reference to a record of one of [`Field::references`] (uitype 10/51/57/58/...).
    Reference,
    /// Owner: a user or a group (uitype 53).
    Owner,
    /// Generated sequence number such as `POT1` (uitype 4).
    AutoNumber,
}

impl FieldType {
    /// True for the decimal-valued types (decimal, currency, percent).
    pub fn is_decimal(self) -> bool {
        matches!(self, FieldType::Decimal | FieldType::Currency | FieldType::Percent)
    }
    /// True for types stored as free text.
    pub fn is_textual(self) -> bool {
        matches!(self, FieldType::Text | FieldType::TextArea | FieldType::Email | FieldType::Phone | FieldType::Url | FieldType::AutoNumber)
    }
}

/// Whether a field is shown (vtiger `presence`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    /// Always shown; cannot be hidden (vtiger 0).
    AlwaysShown,
    /// Shown, can be hidden (vtiger 2).
    Shown,
    /// Hidden; its data is kept (vtiger 1).
    Hidden,
}

/// Who maintains a field's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Maintained {
    /// The caller sets it.
    #[default]
    User,
    /// crm sets it (created/modified time, modified by, auto-number, source); callers cannot.
    System,
}

/// One field of a module.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    /// Internal name, vtiger's `fieldname` (e.g. `potentialname`, `cf_851`). Also the SQL column name.
    pub name: String,
    /// Label shown to people and used as the CSV export header (e.g. `Opportunity Name`).
    pub label: String,
    /// Type of the value.
    #[serde(rename = "type")]
    pub field_type: FieldType,
    /// Name of the block the field sits in.
    pub block: String,
    /// Position inside the block (1-based).
    pub sequence: u32,
    /// A value is required on every save.
    pub mandatory: bool,
    /// Offered in quick create (mandatory fields always are).
    pub quick_create: bool,
    /// Position in the quick-create form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quick_create_sequence: Option<u32>,
    /// Shown, hideable or hidden.
    pub presence: Presence,
    /// Default value (as text, parsed with the field's type) used when a create gives none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// Maximum length in characters for text types.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
    /// Total number of digits for decimal types.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<u32>,
    /// Digits after the decimal point for decimal types; values are stored rounded to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<u32>,
    /// May be changed by mass edit.
    pub mass_editable: bool,
    /// Added by an administrator (can be deleted) rather than built in.
    pub custom: bool,
    /// Who maintains the value.
    #[serde(default)]
    pub maintained: Maintained,
    /// Modules a reference field may point to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    /// Name of the picklist that holds the values (usually the field name; `leadsource` is shared).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picklist: Option<String>,
    /// vtiger's uitype, kept for compatibility of exports and layouts.
    #[serde(default)]
    pub uitype: u32,
}

impl Field {
    /// The picklist this field draws values from, if it is a picklist field.
    pub fn picklist_name(&self) -> Option<&str> {
        match self.field_type {
            FieldType::Picklist | FieldType::MultiPicklist => Some(self.picklist.as_deref().unwrap_or(&self.name)),
            _ => None,
        }
    }
    /// True when the caller may set this field.
    pub fn is_writable(&self) -> bool {
        self.maintained == Maintained::User
    }
    /// The scale values of this field are stored with (decimal types only).
    pub fn decimal_scale(&self) -> u32 {
        self.scale.unwrap_or(match self.field_type {
            FieldType::Currency => 2,
            FieldType::Percent => 3,
            _ => 8,
        })
    }
}

/// A block (section) of the layout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    /// Internal name, e.g. `LBL_OPPORTUNITY_INFORMATION`.
    pub name: String,
    /// Label shown to people.
    pub label: String,
    /// Position among the module's blocks.
    pub sequence: u32,
    /// Added by an administrator.
    pub custom: bool,
}

/// Auto-number configuration of a module (vtiger's `vtiger_modentity_num`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoNumber {
    /// The auto-number field (e.g. `potential_no`).
    pub field: String,
    /// Default prefix (e.g. `POT`). The live prefix and counter are kept in storage.
    pub prefix: String,
}

/// A module: a kind of record with its fields and layout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Module {
    /// Internal name (vtiger tab name), e.g. `Potentials`. Also names the SQL table (lower case).
    pub name: String,
    /// Plural label, e.g. `Opportunities`.
    pub label: String,
    /// Singular label, e.g. `Opportunity`.
    pub singular: String,
    /// Fields whose values, joined by a space, make the record's name (e.g. `firstname lastname`).
    pub entity_fields: Vec<String>,
    /// Blocks in layout order.
    pub blocks: Vec<Block>,
    /// Fields, in block then sequence order.
    pub fields: Vec<Field>,
    /// The auto-number field, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_number: Option<AutoNumber>,
    /// Fields that can never be made optional, hidden or deleted.
    #[serde(default)]
    pub compulsory: Vec<String>,
    /// Fields worth an index in relational storage (beyond references, owners and the name).
    #[serde(default)]
    pub indexed: Vec<String>,
    /// Picklist dependencies: a controlling field's value limits the values of a dependent field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<PicklistDependency>,
    /// Declared composite indexes (see [`index`]); absent in files written before they existed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indexes: Vec<index::IndexDef>,
    /// Duplicate-prevention rules (see [`crate::dedupe::rules`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub duplicate_rules: Vec<crate::dedupe::DuplicateRule>,
}

/// A picklist dependency inside one module (vtiger's `vtiger_picklist_dependency`): when the `source`
/// field holds a value listed in `mapping`, the `target` field may only hold the values listed for it.
/// Source values that are not in `mapping` do not limit the target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PicklistDependency {
    /// The controlling picklist field.
    pub source: String,
    /// The dependent picklist (or multi-select) field.
    pub target: String,
    /// Source value → the target values allowed with it.
    pub mapping: BTreeMap<String, Vec<String>>,
}

impl Module {
    /// Looks a field up by name.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }
    /// Looks a field up by name or label, ignoring case (and Persian letter variants: [`crate::text::same`]).
    pub fn field_by_name_or_label(&self, key: &str) -> Option<&Field> {
        self.field(key).or_else(|| self.fields.iter().find(|f| crate::text::same(&f.label, key) || f.name.eq_ignore_ascii_case(key)))
    }
    /// Fields in layout order: blocks by sequence, then fields by sequence.
    pub fn fields_in_layout_order(&self) -> Vec<&Field> {
        let block_seq = |b: &str| self.blocks.iter().find(|x| x.name == b).map(|x| x.sequence).unwrap_or(u32::MAX);
        let mut v: Vec<&Field> = self.fields.iter().collect();
        v.sort_by_key(|f| (block_seq(&f.block), f.sequence));
        v
    }
    /// The SQL table name of the module (its name in lower case).
    pub fn table_name(&self) -> String {
        Module::table_name_of(&self.name)
    }

    /// The storage table name of the module named `name` (see [`Module::table_name`]).
    pub fn table_name_of(name: &str) -> String {
        name.to_ascii_lowercase()
    }
}

/// Whether a sales stage is still open, won or lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StageKind {
    /// The deal is in progress.
    Open,
    /// The deal was won.
    Won,
    /// The deal was lost.
    Lost,
}

/// Extra metadata of a sales stage value (beyond vtiger): its kind and default probability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageMeta {
    /// Open, won or lost.
    pub kind: StageKind,
    /// Probability (percent) a new or moved opportunity takes when none is given.
    pub probability: Decimal,
}

/// One value of a picklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PicklistValue {
    /// The stored value.
    pub value: String,
    /// False for values that cannot be renamed or deleted (vtiger presence 0: Closed Won, Closed Lost).
    pub editable: bool,
    /// Sales-stage metadata, for the `sales_stage` picklist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<StageMeta>,
    /// Roles that may choose this value; empty means every role (vtiger's role-based picklists).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
}

/// A named list of allowed values, possibly shared by several fields (e.g. `leadsource`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Picklist {
    /// Name (the field name of its main field).
    pub name: String,
    /// Values in display order.
    pub values: Vec<PicklistValue>,
}

impl Picklist {
    /// Finds a value exactly.
    pub fn get(&self, value: &str) -> Option<&PicklistValue> {
        self.values.iter().find(|v| v.value == value)
    }
    /// Finds a value ignoring case (and Persian letter variants, [`crate::text::fold`]), or by its name in
    /// an installed language (`برنده` for `Closed Won`, [`crate::i18n`]), returning the stored spelling.
    pub fn find_ignore_case(&self, value: &str) -> Option<&PicklistValue> {
        self.get(value).or_else(|| {
            let low = crate::text::fold(value);
            self.values.iter().find(|v| crate::text::fold(&v.value) == low).or_else(|| {
                let stored = crate::i18n::value_from_any_language(value, self.values.iter().map(|v| v.value.as_str()))?;
                self.get(stored)
            })
        })
    }
}

/// Engine-wide settings that live with the schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// When a create gives no probability, or an update changes the stage without a probability, take
    /// the stage's default probability. On by default.
    pub stage_probability_autofill: bool,
    /// Sales stage → forecast category a deal takes when its stage is set (stages missing here go by their
    /// kind: won → Closed, lost → Omitted, open → Pipeline). Editable; the built-in mapping by default.
    #[serde(default = "crate::analytics::category::default_map")]
    pub forecast_categories: std::collections::BTreeMap<String, String>,
    /// Moving an opportunity to a lost stage requires a `lost_reason`. Off by default.
    #[serde(default)]
    pub require_lost_reason: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            stage_probability_autofill: true,
            forecast_categories: crate::analytics::category::default_map(),
            require_lost_reason: false,
        }
    }
}

/// All modules and picklists: the metadata of one database.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Schema {
    /// Increases with every stored schema change.
    pub version: u64,
    /// Modules by name.
    pub modules: BTreeMap<String, Module>,
    /// Picklists by name.
    pub picklists: BTreeMap<String, Picklist>,
    /// Engine-wide settings.
    #[serde(default)]
    pub settings: Settings,
}

impl Schema {
    /// The built-in schema (vtiger's stock modules after a fresh 7.x/8.x install, plus stage metadata).
    ///
    /// # Example
    /// ```
    /// use crm_core::{FieldType, Schema};
    /// let schema = Schema::builtin();
    /// let m = schema.module("Opportunities").expect("found by label too");
    /// assert_eq!(m.name, "Potentials");
    /// assert_eq!(m.field("amount").map(|f| f.field_type), Some(FieldType::Currency));
    /// assert!(schema.picklist("sales_stage").is_some_and(|p| p.find_ignore_case("closed won").is_some()));
    /// ```
    pub fn builtin() -> Schema {
        builtin::schema()
    }
    /// Looks a module up by name (exact, then ignoring case, then by plural or singular label).
    pub fn module(&self, name: &str) -> Option<&Module> {
        self.modules.get(name).or_else(|| {
            self.modules
                .values()
                .find(|m| m.name.eq_ignore_ascii_case(name) || crate::text::same(&m.label, name) || crate::text::same(&m.singular, name))
        })
    }
    /// Looks a picklist up by name.
    pub fn picklist(&self, name: &str) -> Option<&Picklist> {
        self.picklists.get(name)
    }
    /// The metadata of a sales stage, if the value exists and carries it.
    pub fn stage(&self, value: &str) -> Option<StageMeta> {
        self.picklist("sales_stage")?.get(value)?.stage
    }
}
