//! Import journals and saved mappings in memory.

use super::MemoryStore;
use crate::error::Result;
use crate::io::{ImportJournal, ImportRowFate, SavedMapping};
use crate::storage::{ImportChange, ImportStore};

impl MemoryStore {
    pub(super) fn apply_import(&mut self, c: &ImportChange) {
        match c {
            ImportChange::PutImport(j) => {
                self.imports.insert(j.id, j.clone());
            }
            ImportChange::ImportRow(r) => self.import_rows.push(r.clone()),
            ImportChange::PutMapping(m) => {
                self.mappings.insert((m.module.clone(), m.name.to_lowercase()), m.clone());
            }
            ImportChange::DeleteMapping { module, name } => {
                self.mappings.remove(&(module.clone(), name.to_lowercase()));
            }
        }
    }
}

impl ImportStore for MemoryStore {
    fn imports(&self) -> Result<Vec<ImportJournal>> {
        Ok(self.imports.values().cloned().collect())
    }

    fn import_rows(&self, import_id: i64) -> Result<Vec<ImportRowFate>> {
        Ok(self.import_rows.iter().filter(|r| r.import_id == import_id).cloned().collect())
    }

    fn mappings(&self, module: &str) -> Result<Vec<SavedMapping>> {
        Ok(self.mappings.values().filter(|m| m.module == module).cloned().collect())
    }
}
