//! Duplicate-prevention rules (vtiger 7.2's "duplicate check" of the module manager): per module, sets of
//! fields whose normalised values together must be unique among live records.
//!
//! A rule is part of the module's schema ([`Module::duplicate_rules`](crate::schema::Module::duplicate_rules)),
//! stored with it and changed through the schema change log
//! ([`SchemaChange::AddDuplicateRule`](crate::schema::edit::SchemaChange::AddDuplicateRule),
//! [`SchemaChange::DropDuplicateRule`](crate::schema::edit::SchemaChange::DropDuplicateRule)), so it is
//! versioned, logged and seen by every handle. Rules look at new values only: records that already
//! duplicate each other when a rule is added stay (find them with `Crm::find_duplicates`, merge them with
//! `Crm::merge`); a create, or an update that changes a rule's key, is refused when another live record has
//! the same key.
//!
//! Rules: one to [`MAX_RULE_FIELDS`] distinct fields of a [`matchable`] type, at most
//! [`MAX_RULES_PER_MODULE`] rules per module, no two over the same fields. A field a rule uses cannot be
//! deleted until the rule is dropped.

use super::{field_key, matchable};
use crate::record::Record;
use crate::record::Values;
use crate::schema::Module;
use crate::schema::edit::SchemaError;
use crate::value::Value;
use serde::{Deserialize, Serialize};

/// Most fields one rule may span.
pub const MAX_RULE_FIELDS: usize = 4;

/// Most rules one module may carry.
pub const MAX_RULES_PER_MODULE: usize = 8;

/// One duplicate-prevention rule of a module.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DuplicateRule {
    /// Internal name, generated (`dr_<n>`, n = the schema version that added it).
    pub name: String,
    /// Field names whose normalised values together must be unique.
    pub fields: Vec<String>,
}

impl DuplicateRule {
    /// The rule's key for these values: the fields' normalised keys joined by U+001F, or `None` when any
    /// of them is empty (a record without a value is nobody's duplicate).
    pub fn key(&self, m: &Module, values: &Values) -> Option<String> {
        record_key(m, &self.fields, values, true)
    }
}

/// The key of `fields` in `values` (see [`DuplicateRule::key`]); `normalize` false keeps the stored text.
pub fn record_key(m: &Module, fields: &[String], values: &Values, normalize: bool) -> Option<String> {
    let mut parts = Vec::with_capacity(fields.len());
    for name in fields {
        let f = m.field(name)?;
        let text = values.get(name).and_then(Value::to_text)?;
        let k = if normalize { field_key(f.field_type, &text) } else { text };
        if k.is_empty() {
            return None;
        }
        parts.push(k);
    }
    Some(parts.join("\u{1f}"))
}

/// The key of a record for `fields` (see [`record_key`]).
pub fn key_of(m: &Module, fields: &[String], r: &Record, normalize: bool) -> Option<String> {
    record_key(m, fields, &r.values, normalize)
}

/// Resolves `fields` (names or labels) to canonical names and checks them: not empty, at most
/// [`MAX_RULE_FIELDS`], no field twice, every field [`matchable`].
///
/// # Errors
/// [`SchemaError::UnknownField`]; [`SchemaError::InvalidDuplicateRule`] otherwise.
pub fn resolve_fields(m: &Module, fields: &[String]) -> Result<Vec<String>, SchemaError> {
    let check = |f: &crate::schema::Field| {
        if matchable(f.field_type) {
            Ok(())
        } else {
            Err(format!("field '{}' ({:?}) cannot be matched for duplicates", f.name, f.field_type))
        }
    };
    crate::schema::index::resolve_field_list(m, fields, ("a rule", MAX_RULE_FIELDS), check, invalid)
}

/// Adds the rule `name` over `fields` to `m`.
///
/// # Errors
/// As [`resolve_fields`]; [`SchemaError::InvalidDuplicateRule`] for the same field set twice, too many
/// rules or a bad name.
pub fn add(m: &mut Module, fields: &[String], name: &str) -> Result<(), SchemaError> {
    let fields = resolve_fields(m, fields)?;
    let mut sorted = fields.clone();
    sorted.sort();
    if m.duplicate_rules.iter().any(|r| {
        let mut s = r.fields.clone();
        s.sort();
        s == sorted
    }) {
        return Err(invalid(m, &format!("a rule on ({}) exists already", fields.join(", "))));
    }
    if m.duplicate_rules.len() >= MAX_RULES_PER_MODULE {
        return Err(invalid(m, &format!("a module carries at most {MAX_RULES_PER_MODULE} duplicate rules")));
    }
    if !crate::schema::index::numbered_name(name, "dr_") || m.duplicate_rules.iter().any(|r| r.name == name) {
        return Err(invalid(m, &format!("bad or used rule name '{name}'")));
    }
    m.duplicate_rules.push(DuplicateRule { name: name.to_string(), fields });
    Ok(())
}

/// Removes the rule over `fields` (in any order) from `m`.
///
/// # Errors
/// As [`resolve_fields`]; [`SchemaError::InvalidDuplicateRule`] when no rule has those fields.
pub fn drop(m: &mut Module, fields: &[String]) -> Result<(), SchemaError> {
    let mut fields = resolve_fields(m, fields)?;
    fields.sort();
    let before = m.duplicate_rules.len();
    m.duplicate_rules.retain(|r| {
        let mut s = r.fields.clone();
        s.sort();
        s != fields
    });
    if m.duplicate_rules.len() == before {
        return Err(invalid(m, &format!("no duplicate rule on ({})", fields.join(", "))));
    }
    Ok(())
}

/// The rules of `m` that use `field`, described for [`SchemaError::InUse`].
pub fn uses_of(m: &Module, field: &str) -> Vec<String> {
    m.duplicate_rules
        .iter()
        .filter(|r| r.fields.iter().any(|f| f == field))
        .map(|r| format!("duplicate rule ({})", r.fields.join(", ")))
        .collect()
}

fn invalid(m: &Module, reason: &str) -> SchemaError {
    SchemaError::InvalidDuplicateRule { module: m.name.clone(), reason: reason.to_string() }
}
