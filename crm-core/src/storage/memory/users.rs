//! Users and groups in memory.

use super::MemoryStore;
use crate::error::{Result, StorageError};
use crate::storage::{UserChange, UserStore};
use crate::user::{Group, User};

impl MemoryStore {
    pub(super) fn check_user(&self, c: &UserChange) -> Result<()> {
        match c {
            UserChange::PutUser(u) if self.users.values().any(|x| x.id != u.id && x.user_name.eq_ignore_ascii_case(&u.user_name)) => {
                Err(StorageError::Duplicate(format!("user name '{}'", u.user_name)).into())
            }
            UserChange::PutGroup(g) if self.groups.values().any(|x| x.id != g.id && x.name.eq_ignore_ascii_case(&g.name)) => {
                Err(StorageError::Duplicate(format!("group name '{}'", g.name)).into())
            }
            _ => Ok(()),
        }
    }

    pub(super) fn apply_user(&mut self, c: &UserChange) {
        match c {
            UserChange::PutUser(u) => {
                self.users.insert(u.id.0, u.clone());
            }
            UserChange::PutGroup(g) => {
                self.groups.insert(g.id.0, g.clone());
            }
        }
    }
}

impl UserStore for MemoryStore {
    fn users(&self) -> Result<Vec<User>> {
        Ok(self.users.values().cloned().collect())
    }

    fn groups(&self) -> Result<Vec<Group>> {
        Ok(self.groups.values().cloned().collect())
    }
}
