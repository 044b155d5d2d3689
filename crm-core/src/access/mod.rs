//! Access control, vtiger's sharing model: who may see and change which records.
//!
//! * [`roles`] — the role tree (Organization > CEO > Vice President > ...); a user has one role
//!   ([`User::role`](crate::User::role)) and sees what users in subordinate roles own.
//! * [`profiles`] — per module, may view / create / edit / delete; per field, editable, read-only or hidden.
//!   A user's rights are the union of the profiles of the role (the most permissive wins).
//! * [`sharing`] — organisation-wide sharing per module ([`Sharing`]) and sharing rules ([`SharingRule`]).
//! * [`rights`] — the compiled [`Rights`] of one user: module and field rights, and per module the owners
//!   whose records the user may read, edit and delete ([`OwnerScope`](crate::query::OwnerScope), the
//!   predicate every record query carries).
//! * [`edit`] — the changes ([`AccessEdit`]) and the pure function that applies one to an [`AccessModel`].
//!
//! Defaults keep a store with no configuration as it was: every module is `public_read_write_delete`, and
//! a role without profiles (or a user without a role) has every module and field right. Administrators
//! ([`AccessModel::admins`]) and the system context (no acting user: scheduled workflows, migrations) see
//! and change everything. Workflows run with the system's rights; their effects are attributed to the
//! acting user in the change log.
//!
//! The model is stored as one versioned document with a change log
//! ([`AccessStore`](crate::storage::AccessStore)); its version also moves with every user or group change,
//! so every open handle notices any change that can alter what a user sees at its next read.

pub mod denied;
pub mod edit;
pub mod profiles;
pub mod rights;
pub mod roles;
pub mod sharing;

pub use denied::AccessDenied;
pub use edit::AccessEdit;
pub use profiles::{FieldAccess, ModuleRights, Profile};
pub use rights::{Action, ModuleSight, Rights};
pub use roles::Role;
pub use sharing::{Party, RuleAccess, Sharing, SharingRule, SharingRuleSpec};

use crate::value::OwnerId;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Everything access control is configured with: roles, profiles, sharing, rules, administrators.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessModel {
    /// The role tree, parents before children.
    #[serde(default)]
    pub roles: Vec<Role>,
    /// Every profile, by name order of creation.
    #[serde(default)]
    pub profiles: Vec<Profile>,
    /// Role name → the profiles attached to it.
    #[serde(default)]
    pub role_profiles: BTreeMap<String, Vec<String>>,
    /// Module → organisation-wide sharing (absent: `public_read_write_delete`).
    #[serde(default)]
    pub sharing: BTreeMap<String, Sharing>,
    /// Sharing rules, ascending id.
    #[serde(default)]
    pub rules: Vec<SharingRule>,
    /// Users with every right.
    #[serde(default)]
    pub admins: BTreeSet<OwnerId>,
}

impl AccessModel {
    /// A role by name (ignoring case).
    pub fn role(&self, name: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.name.eq_ignore_ascii_case(name.trim()))
    }
    /// A profile by name (ignoring case).
    pub fn profile(&self, name: &str) -> Option<&Profile> {
        self.profiles.iter().find(|p| p.name.eq_ignore_ascii_case(name.trim()))
    }
    /// The sharing of a module (`public_read_write_delete` when not set).
    pub fn sharing_of(&self, module: &str) -> Sharing {
        self.sharing.get(module).copied().unwrap_or_default()
    }
}

/// One entry of the access change log: the version it made, who, when, and the change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessChangeEntry {
    /// The access version the change made.
    pub version: u64,
    /// Who made it (`system` without an acting user).
    pub actor: String,
    /// When (UTC).
    pub at: chrono::NaiveDateTime,
    /// The change.
    pub change: AccessEdit,
}
