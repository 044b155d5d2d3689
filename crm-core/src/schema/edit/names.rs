//! Names in schema edits: resolving modules and fields as given (name or label), and checking new labels,
//! picklist values and internal names against the rules (length, characters, reserved words, uniqueness).

use super::{R, SchemaError};
use crate::schema::{Module, Schema};

/// Names a custom field may not take (columns crm uses itself, vtiger's record id).
pub const RESERVED_NAMES: [&str; 6] = ["id", "module", "label", "deleted", "version", "crmid"];

/// Longest label, block label or picklist value accepted.
pub const MAX_LABEL_LEN: usize = 200;

/// The module named by name or label.
pub(super) fn module_of<'a>(s: &'a Schema, name: &str) -> R<&'a Module> {
    s.module(name).ok_or_else(|| SchemaError::UnknownModule(name.to_string()))
}

/// The module named by name or label, for editing.
pub(super) fn module_mut<'a>(s: &'a mut Schema, name: &str) -> R<&'a mut Module> {
    let key = module_of(s, name)?.name.clone();
    s.modules.get_mut(&key).ok_or(SchemaError::UnknownModule(key))
}

/// The error for a field the module does not have.
pub(super) fn unknown_field(module: &str, field: &str) -> SchemaError {
    SchemaError::UnknownField { module: module.to_string(), field: field.to_string() }
}

/// The error for a value the picklist does not have.
pub(super) fn unknown_value(picklist: &str, value: &str) -> SchemaError {
    SchemaError::UnknownValue { picklist: picklist.to_string(), value: value.to_string() }
}

/// The internal name of the field named by name or label.
pub(super) fn field_name(m: &Module, key: &str) -> R<String> {
    m.field_by_name_or_label(key.trim()).map(|f| f.name.clone()).ok_or_else(|| unknown_field(&m.name, key))
}

/// Refuses a field label already used in the module (ignoring case), except by `except`.
pub(super) fn check_unique_label(m: &Module, label: &str, except: Option<&str>) -> R<()> {
    if m.fields.iter().any(|f| Some(f.name.as_str()) != except && f.label.eq_ignore_ascii_case(label)) {
        return Err(SchemaError::DuplicateLabel { module: m.name.clone(), label: label.to_string() });
    }
    Ok(())
}

/// A trimmed label: not empty, not too long, no control characters.
pub(super) fn check_label(label: &str, what: &'static str) -> R<String> {
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

/// A trimmed picklist value: a valid label without the multi-select separator or a comma.
pub(super) fn check_value(v: &str) -> R<String> {
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

/// Refuses an internal name that is not a lower-case identifier of at most 50 characters.
pub(super) fn check_identifier(name: &str, what: &'static str) -> R<()> {
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
