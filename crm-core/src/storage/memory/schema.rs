//! The schema and its change log in memory; schema changes that rewrite records.

use super::MemoryStore;
use crate::error::{Error, Result};
use crate::record::Values;
use crate::schema::Schema;
use crate::schema::edit::SchemaChangeEntry;
use crate::storage::{SchemaStore, SchemaStoreChange, rewrite_entry};
use crate::value::Value;

impl MemoryStore {
    pub(super) fn check_schema(&self, c: &SchemaStoreChange) -> Result<()> {
        if let SchemaStoreChange::Put { expected_version, .. } = c {
            let stored = self.schema.as_ref().map_or(0, |s| s.version);
            if stored != *expected_version {
                return Err(Error::Conflict(format!("the schema changed meanwhile (version {stored}, expected {expected_version})")));
            }
        }
        Ok(())
    }

    pub(super) fn apply_schema(&mut self, c: &SchemaStoreChange) {
        match c {
            SchemaStoreChange::Put { schema, .. } => self.set_schema(schema),
            SchemaStoreChange::ClearField { module, field, actor, at } => {
                // Every record that held a value: a new version and a change-log entry (see the change).
                let mut log = Vec::new();
                for r in self.records.values_mut().filter(|r| r.module == *module) {
                    if let Some(before) = r.values.remove(field).and_then(|v| v.to_text()) {
                        r.version += 1;
                        log.push(rewrite_entry(r.id, module, field, Some(before), None, actor, *at));
                    }
                }
                log.into_iter().for_each(|h| self.push_history(h));
            }
            SchemaStoreChange::ReplacePicklistValue { module, field, from, to, actor, at } => {
                let mut log = Vec::new();
                for r in self.records.values_mut().filter(|r| r.module == *module) {
                    let before = r.values.get(field).and_then(Value::to_text);
                    replace_value(&mut r.values, field, from, to.as_deref());
                    let after = r.values.get(field).and_then(Value::to_text);
                    if after != before {
                        r.version += 1;
                        log.push(rewrite_entry(r.id, module, field, before, after, actor, *at));
                    }
                }
                log.into_iter().for_each(|h| self.push_history(h));
            }
            SchemaStoreChange::Log(e) => self.schema_log.push(e.clone()),
        }
    }
}

impl SchemaStore for MemoryStore {
    fn load_schema(&mut self) -> Result<Option<Schema>> {
        Ok(self.schema.clone())
    }

    fn save_schema(&mut self, schema: &Schema) -> Result<()> {
        self.set_schema(schema);
        Ok(())
    }

    fn schema_version(&self) -> Result<Option<u64>> {
        Ok(self.schema.as_ref().map(|s| s.version))
    }

    fn schema_changes(&self) -> Result<Vec<SchemaChangeEntry>> {
        Ok(self.schema_log.clone())
    }
}

/// Replaces (or with `to: None` removes) a picklist value in one record's field, single or multi-select.
fn replace_value(values: &mut Values, field: &str, from: &str, to: Option<&str>) {
    let new = match values.get(field) {
        Some(Value::Text(s)) if s == from => to.map(|t| Value::Text(t.to_string())),
        Some(Value::List(l)) if l.iter().any(|x| x == from) => {
            let mut out: Vec<String> = Vec::new();
            for x in l {
                let x = if x == from { to.map(str::to_string) } else { Some(x.clone()) };
                if let Some(x) = x.filter(|x| !out.contains(x)) {
                    out.push(x);
                }
            }
            (!out.is_empty()).then_some(Value::List(out))
        }
        _ => return,
    };
    match new {
        Some(v) => values.insert(field.to_string(), v),
        None => values.remove(field),
    };
}
