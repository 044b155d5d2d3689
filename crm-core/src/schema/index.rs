//! Declared indexes: composite indexes an administrator adds to a module so that the list pages and
//! reports that filter and sort by those fields are served by an index instead of a scan and a sort.
//!
//! An index is part of the module's schema ([`Module::indexes`](super::Module::indexes)), stored with it and
//! changed through the schema change log like every layout-editor edit
//! ([`SchemaChange::AddIndex`](super::edit::SchemaChange::AddIndex),
//! [`SchemaChange::DropIndex`](super::edit::SchemaChange::DropIndex)). Relational stores create and drop the
//! real index (SQLite, PostgreSQL); the memory store keeps it as metadata only.
//!
//! Rules: one to [`MAX_INDEX_FIELDS`] distinct, known fields (by name or label), at most
//! [`MAX_INDEXES_PER_MODULE`] declared indexes per module, no two with the same field list. A field that
//! an index uses cannot be deleted until the index is dropped.
//!
//! vtiger has no such feature (its indexes are fixed in the install schema and changed by hand in MySQL);
//! crm makes them a schema edit so that they travel with the database and every store builds the same.

use super::Module;
use super::edit::SchemaError;
use serde::{Deserialize, Serialize};

/// Most fields one declared index may span.
pub const MAX_INDEX_FIELDS: usize = 4;

/// Most declared indexes one module may carry.
pub const MAX_INDEXES_PER_MODULE: usize = 16;

/// A declared composite index of a module.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IndexDef {
    /// Internal name, generated (`ix_<n>`, n = the schema version that added it); the SQL index is named
    /// `crm_ix_<table>_<n>` from it and the module's table, never from input text.
    pub name: String,
    /// Field names, in index order (the record id is always the last, implicit key).
    pub fields: Vec<String>,
}

impl IndexDef {
    /// The SQL name of the index for `module` (`crm_ix_potentials_12`): built only from schema identifiers.
    pub fn sql_name(&self, module: &Module) -> String {
        format!("crm_ix_{}_{}", module.table_name(), self.name.trim_start_matches("ix_"))
    }
}

/// Resolves `fields` (names or labels) to the module's canonical field names and checks the list: not
/// empty, at most [`MAX_INDEX_FIELDS`], no field twice.
///
/// # Errors
/// [`SchemaError::UnknownField`] for a field the module lacks; [`SchemaError::InvalidIndex`] otherwise.
pub fn resolve_fields(m: &Module, fields: &[String]) -> Result<Vec<String>, SchemaError> {
    resolve_field_list(m, fields, ("an index", MAX_INDEX_FIELDS), |_| Ok(()), invalid)
}

/// The resolver of the field lists that schema edits declare (indexes, duplicate rules): resolves
/// `fields` (names or labels) to canonical names and refuses, through `invalid`, an empty list, one longer
/// than `max` (`what` names the list in the message: "an index"), a field twice, and a field `check`
/// refuses (its reason).
///
/// # Errors
/// [`SchemaError::UnknownField`] for a field the module lacks; `invalid(m, reason)` otherwise.
pub(crate) fn resolve_field_list(
    m: &Module,
    fields: &[String],
    (what, max): (&str, usize),
    check: impl Fn(&super::Field) -> Result<(), String>,
    invalid: fn(&Module, &str) -> SchemaError,
) -> Result<Vec<String>, SchemaError> {
    if fields.is_empty() {
        return Err(invalid(m, &format!("{what} needs at least one field")));
    }
    if fields.len() > max {
        return Err(invalid(m, &format!("{what} spans at most {max} fields, not {}", fields.len())));
    }
    let mut out: Vec<String> = Vec::with_capacity(fields.len());
    for key in fields {
        let f =
            m.field_by_name_or_label(key.trim()).ok_or_else(|| SchemaError::UnknownField { module: m.name.clone(), field: key.clone() })?;
        check(f).map_err(|reason| invalid(m, &reason))?;
        if out.contains(&f.name) {
            return Err(invalid(m, &format!("field '{}' is listed twice", f.name)));
        }
        out.push(f.name.clone());
    }
    Ok(out)
}

/// Whether `name` is `prefix` followed by digits (`ix_3`): the names the engine gives declared indexes and
/// duplicate rules.
pub(crate) fn numbered_name(name: &str, prefix: &str) -> bool {
    name.strip_prefix(prefix).is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
}

/// Adds the index `name` over `fields` to `m`.
///
/// # Errors
/// As [`resolve_fields`]; [`SchemaError::DuplicateIndex`] when the same field list is already declared;
/// [`SchemaError::InvalidIndex`] beyond [`MAX_INDEXES_PER_MODULE`] or for a bad name.
pub fn add(m: &mut Module, fields: &[String], name: &str) -> Result<(), SchemaError> {
    let fields = resolve_fields(m, fields)?;
    if m.indexes.iter().any(|i| i.fields == fields) {
        return Err(SchemaError::DuplicateIndex { module: m.name.clone(), fields });
    }
    if m.indexes.len() >= MAX_INDEXES_PER_MODULE {
        return Err(invalid(m, &format!("a module carries at most {MAX_INDEXES_PER_MODULE} declared indexes")));
    }
    if !numbered_name(name, "ix_") || m.indexes.iter().any(|i| i.name == name) {
        return Err(invalid(m, &format!("bad or used index name '{name}'")));
    }
    m.indexes.push(IndexDef { name: name.to_string(), fields });
    Ok(())
}

/// Removes the index over exactly `fields` from `m`.
///
/// # Errors
/// As [`resolve_fields`]; [`SchemaError::UnknownIndex`] when no index has that field list.
pub fn drop(m: &mut Module, fields: &[String]) -> Result<(), SchemaError> {
    let fields = resolve_fields(m, fields)?;
    let before = m.indexes.len();
    m.indexes.retain(|i| i.fields != fields);
    if m.indexes.len() == before {
        return Err(SchemaError::UnknownIndex { module: m.name.clone(), fields });
    }
    Ok(())
}

/// The declared indexes of `m` that use `field`, described for [`SchemaError::InUse`].
pub fn uses_of(m: &Module, field: &str) -> Vec<String> {
    m.indexes.iter().filter(|i| i.fields.iter().any(|f| f == field)).map(|i| format!("index ({})", i.fields.join(", "))).collect()
}

fn invalid(m: &Module, reason: &str) -> SchemaError {
    SchemaError::InvalidIndex { module: m.name.clone(), reason: reason.to_string() }
}

#[cfg(test)]
mod tests {
    use crate::schema::edit::SchemaError;

    fn reason(e: SchemaError) -> String {
        match e {
            SchemaError::InvalidIndex { reason, .. } => format!("index: {reason}"),
            SchemaError::InvalidDuplicateRule { reason, .. } => format!("rule: {reason}"),
            other => format!("{other:?}"),
        }
    }

    /// Indexes and duplicate rules resolve their fields with one resolver: the same refusals, each in its
    /// own error, and the rule's check of the field type on top.
    #[test]
    fn index_and_rule_fields_share_the_resolver() {
        let schema = crate::schema::Schema::builtin();
        let m = schema.module("Accounts").unwrap();
        let list = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let index = |v: &[&str]| super::resolve_fields(m, &list(v)).map_err(reason);
        let rule = |v: &[&str]| crate::dedupe::rules::resolve_fields(m, &list(v)).map_err(reason);
        assert_eq!(index(&["Organization Name", "website"]).unwrap(), ["accountname", "website"]);
        assert_eq!(rule(&[" accountname "]).unwrap(), ["accountname"]);
        assert_eq!(index(&[]).unwrap_err(), "index: an index needs at least one field");
        assert_eq!(rule(&[]).unwrap_err(), "rule: a rule needs at least one field");
        assert_eq!(index(&["accountname", "Organization Name"]).unwrap_err(), "index: field 'accountname' is listed twice");
        assert_eq!(rule(&["accountname", "accountname"]).unwrap_err(), "rule: field 'accountname' is listed twice");
        assert!(index(&["nope"]).unwrap_err().starts_with("UnknownField"));
        assert!(rule(&["nope"]).unwrap_err().starts_with("UnknownField"));
        let many = ["accountname"; 20];
        assert!(index(&many).unwrap_err().starts_with("index: an index spans at most"));
        assert!(rule(&many).unwrap_err().starts_with("rule: a rule spans at most"));
        assert!(index(&["annual_revenue"]).is_ok());
        assert!(rule(&["annual_revenue"]).unwrap_err().contains("cannot be matched for duplicates"));
    }
}
