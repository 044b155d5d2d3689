//! Saved column mappings: named CSV header → field maps of a module.

use crate::error::{Error, Result};
use crate::io::csv_import::ColumnUse;
use crate::io::{ImportOptions, SavedMapping};
use crate::service::Crm;
use crate::storage::{Change, ChangeSet, ImportChange};
use std::collections::BTreeMap;

impl Crm {
    /// Saves (or replaces) a named column mapping of a module.
    ///
    /// # Errors
    /// `NotFound` for an unknown module; `InvalidArgument` for an empty name or a field the module lacks.
    pub fn save_mapping(&mut self, module: &str, name: &str, mapping: &BTreeMap<String, String>) -> Result<()> {
        let m = self.module(module)?;
        if name.trim().is_empty() {
            return Err(Error::invalid("a mapping needs a name"));
        }
        for f in mapping.values().filter(|f| !f.trim().is_empty()) {
            if m.field_by_name_or_label(f).is_none()
                && crate::io::csv_import::map_columns(
                    m,
                    std::slice::from_ref(f),
                    &ImportOptions::default(),
                    &self.every_language_labels()?,
                )?
                .first()
                    == Some(&ColumnUse::Unmapped)
            {
                return Err(Error::invalid(format!("{} has no field '{f}'", m.name)));
            }
        }
        let sm = SavedMapping { module: m.name.clone(), name: name.trim().to_string(), mapping: mapping.clone() };
        self.commit(&ChangeSet(vec![Change::Import(ImportChange::PutMapping(sm))]))
    }

    /// The saved mappings of a module, by name.
    pub fn mappings(&self, module: &str) -> Result<Vec<SavedMapping>> {
        let m = self.module(module)?;
        self.store.mappings(&m.name)
    }

    /// Deletes a saved mapping.
    ///
    /// # Errors
    /// `NotFound` when the module has no mapping of that name.
    pub fn delete_mapping(&mut self, module: &str, name: &str) -> Result<()> {
        let m = self.module(module)?.name.clone();
        let found = self.store.mappings(&m)?.into_iter().find(|x| x.name.eq_ignore_ascii_case(name.trim()));
        let Some(found) = found else {
            return Err(Error::not_found(format!("mapping '{name}' of {m}")));
        };
        self.commit(&ChangeSet(vec![Change::Import(ImportChange::DeleteMapping { module: m, name: found.name })]))
    }
}
