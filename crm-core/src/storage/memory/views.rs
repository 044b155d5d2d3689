//! List filters and settings in memory.

use super::MemoryStore;
use crate::error::Result;
use crate::storage::{ViewChange, ViewStore};
use crate::view::Filter;

impl MemoryStore {
    pub(super) fn apply_view(&mut self, c: &ViewChange) {
        match c {
            ViewChange::PutFilter(f) => {
                self.filters.insert(f.id, f.clone());
            }
            ViewChange::DeleteFilter(id) => {
                self.filters.remove(id);
            }
            ViewChange::PutSetting { key, value } => {
                self.settings.insert(key.clone(), value.clone());
            }
        }
    }
}

impl ViewStore for MemoryStore {
    fn filters(&self, module: &str) -> Result<Vec<Filter>> {
        Ok(self.filters.values().filter(|f| f.module == module).cloned().collect())
    }

    fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self.settings.get(key).cloned())
    }
}
