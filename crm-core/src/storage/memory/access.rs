//! The access model, its version and change log in memory.

use super::MemoryStore;
use crate::access::{AccessChangeEntry, AccessModel};
use crate::error::{Error, Result};
use crate::storage::{AccessStore, AccessStoreChange};

impl MemoryStore {
    /// Checks an access change against the version the earlier changes of the set leave (`version`).
    pub(super) fn check_access(c: &AccessStoreChange, version: &mut u64) -> Result<()> {
        if let AccessStoreChange::Put { expected_version, .. } = c {
            if *expected_version != *version {
                return Err(Error::Conflict(format!("access control changed meanwhile (version {version}, expected {expected_version})")));
            }
            *version = expected_version + 1;
        }
        Ok(())
    }

    pub(super) fn apply_access(&mut self, c: &AccessStoreChange) {
        match c {
            AccessStoreChange::Put { model, expected_version } => {
                self.access = (**model).clone();
                self.access_version = expected_version + 1;
            }
            AccessStoreChange::Log(e) => self.access_log.push(e.clone()),
        }
    }
}

impl AccessStore for MemoryStore {
    fn access_version(&self) -> Result<u64> {
        Ok(self.access_version)
    }

    fn access_model(&self) -> Result<(AccessModel, u64)> {
        Ok((self.access.clone(), self.access_version))
    }

    fn access_changes(&self) -> Result<Vec<AccessChangeEntry>> {
        Ok(self.access_log.clone())
    }
}
