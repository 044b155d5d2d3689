//! The change log's side of an edit: [`SchemaChangeEntry`] (one stored, versioned change) and [`prepare`],
//! which fills in generated and canonical names so that the log holds exactly what was applied.

use super::names::module_of;
use super::{R, SchemaChange};
use crate::schema::Schema;
use serde::{Deserialize, Serialize};

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

/// Fills in generated names (`cf_<n>`, `blk_<n>`) and canonical module/field names, so that the change
/// log holds exactly what was applied. Validation happens in [`apply`](super::apply).
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
            let fields = crate::schema::index::resolve_fields(m, &fields)?;
            SchemaChange::AddIndex { module: m.name.clone(), fields, name: Some(name) }
        }
        SchemaChange::DropIndex { module, fields } => {
            let m = module_of(schema, &module)?;
            SchemaChange::DropIndex { module: m.name.clone(), fields: crate::schema::index::resolve_fields(m, &fields)? }
        }
        SchemaChange::AddDuplicateRule { module, fields, name } => {
            let m = module_of(schema, &module)?;
            let name = name.unwrap_or_else(|| {
                let mut i = n;
                while m.duplicate_rules.iter().any(|x| x.name == format!("dr_{i}")) {
                    i += 1;
                }
                format!("dr_{i}")
            });
            let fields = crate::dedupe::rules::resolve_fields(m, &fields)?;
            SchemaChange::AddDuplicateRule { module: m.name.clone(), fields, name: Some(name) }
        }
        SchemaChange::DropDuplicateRule { module, fields } => {
            let m = module_of(schema, &module)?;
            SchemaChange::DropDuplicateRule { module: m.name.clone(), fields: crate::dedupe::rules::resolve_fields(m, &fields)? }
        }
        mut other => {
            if let Some(module) = other.module_mut() {
                *module = module_of(schema, module)?.name.clone();
            }
            other
        }
    })
}
