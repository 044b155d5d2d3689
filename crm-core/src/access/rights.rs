//! The compiled rights of one user: what every read and write checks.
//!
//! Record-level rights are sets of owners ([`ModuleSight`]): a record is readable when its owner
//! (`assigned_user_id`) is in the read set, and so on. For a user in role R of a module with sharing S:
//!
//! * *own* = the user, the groups the user is a member of, and the users of every role below R;
//! * *shared* = the owners of the sharing rules of the module whose receiver includes the user (read or
//!   read-write), *shared_rw* those that are read-write;
//! * `private`: read = own + shared, edit = own + shared_rw, delete = own;
//! * `public_read`: read = all, edit = own + shared_rw, delete = own;
//! * `public_read_write`: read and edit = all, delete = own;
//! * `public_read_write_delete`: all.
//!
//! Records without an owner are visible only where a set is "all".

use super::profiles::{FieldAccess, ModuleRights};
use super::roles::{is_at_or_below, subordinates};
use super::sharing::{Party, RuleAccess, Sharing};
use super::{AccessModel, Profile};
use crate::user::Directory;
use crate::value::OwnerId;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// The field holding a record's owner, which record rights test.
pub const OWNER_FIELD: &str = "assigned_user_id";

/// An action on a module or record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Read.
    View,
    /// Create.
    Create,
    /// Change.
    Edit,
    /// Delete, restore, purge.
    Delete,
}

impl Action {
    /// The action's name in refusals.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::View => "view",
            Action::Create => "create",
            Action::Edit => "edit",
            Action::Delete => "delete",
        }
    }
}

/// The owners whose records of one module a user may read, edit and delete; `None` is every record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModuleSight {
    /// Readable owners.
    pub read: Option<Arc<Vec<OwnerId>>>,
    /// Editable owners.
    pub edit: Option<Arc<Vec<OwnerId>>>,
    /// Deletable owners.
    pub delete: Option<Arc<Vec<OwnerId>>>,
}

impl ModuleSight {
    /// The owner set of an action (`None`: every record). Create has no record set.
    pub fn of(&self, a: Action) -> Option<&Arc<Vec<OwnerId>>> {
        match a {
            Action::View => self.read.as_ref(),
            Action::Edit => self.edit.as_ref(),
            Action::Delete => self.delete.as_ref(),
            Action::Create => None,
        }
    }
    /// Whether a record with this owner allows the action.
    pub fn allows(&self, a: Action, owner: Option<OwnerId>) -> bool {
        match self.of(a) {
            None => true,
            Some(set) => owner.is_some_and(|o| set.binary_search(&o).is_ok()),
        }
    }
}

/// What one user (or the system) may do, compiled from the access model and the directory.
#[derive(Debug, Clone, Default)]
pub struct Rights {
    /// The user (`None`: the system context).
    pub user: Option<OwnerId>,
    /// An administrator or the system: every right.
    pub unrestricted: bool,
    modules: HashMap<String, ModuleRights>,
    fields: HashMap<String, HashMap<String, FieldAccess>>,
    sights: HashMap<String, ModuleSight>,
}

impl Rights {
    /// Every right (administrators, the system context).
    pub fn unrestricted(user: Option<OwnerId>) -> Rights {
        Rights { user, unrestricted: true, ..Rights::default() }
    }

    /// Compiles the rights of `user` (an administrator, or a user unknown to `dir`, gets what the model
    /// says: unknown users have no role and no group).
    pub(crate) fn compile(model: &AccessModel, dir: &Directory, user: OwnerId) -> Rights {
        if model.admins.contains(&user) {
            return Rights::unrestricted(Some(user));
        }
        let role = dir.users.iter().find(|u| u.id == user).and_then(|u| u.role.clone());
        let profiles: Vec<&Profile> = role
            .as_deref()
            .and_then(|r| model.role_profiles.iter().find(|(k, _)| k.eq_ignore_ascii_case(r)))
            .map(|(_, names)| names.iter().filter_map(|n| model.profile(n)).collect())
            .unwrap_or_default();
        let mut rights = Rights { user: Some(user), ..Rights::default() };
        if !profiles.is_empty() {
            let modules: BTreeSet<&String> = profiles.iter().flat_map(|p| p.modules.keys()).collect();
            for m in modules {
                let r = profiles.iter().fold(ModuleRights::NONE, |acc, p| acc.union(p.module_rights(m)));
                rights.modules.insert(m.clone(), r);
            }
            let fields: BTreeSet<(&String, &String)> =
                profiles.iter().flat_map(|p| p.fields.iter().flat_map(|(m, f)| f.keys().map(move |k| (m, k)))).collect();
            for (m, f) in fields {
                let a = profiles.iter().map(|p| p.field_access(m, f)).max().unwrap_or_default();
                if a != FieldAccess::Editable {
                    rights.fields.entry(m.clone()).or_default().insert(f.clone(), a);
                }
            }
        }
        // own: the user, the user's groups, the users of every role below the user's
        let mut own: BTreeSet<OwnerId> = BTreeSet::from([user]);
        own.extend(dir.groups.iter().filter(|g| g.members.contains(&user)).map(|g| g.id));
        if let Some(r) = role.as_deref().filter(|r| model.role(r).is_some()) {
            let below = subordinates(&model.roles, r);
            own.extend(
                dir.users
                    .iter()
                    .filter(|u| u.role.as_deref().is_some_and(|x| below.iter().any(|b| b.eq_ignore_ascii_case(x))))
                    .map(|u| u.id),
            );
        }
        let receives = |p: &Party| match p {
            Party::Role(r) => role.as_deref().is_some_and(|x| x.eq_ignore_ascii_case(r)),
            Party::RoleAndSubordinates(r) => role.as_deref().is_some_and(|x| is_at_or_below(&model.roles, x, r)),
            Party::Group(g) => dir.groups.iter().any(|x| x.name.eq_ignore_ascii_case(g) && x.members.contains(&user)),
        };
        let owners_of = |p: &Party| -> Vec<OwnerId> {
            match p {
                Party::Role(r) => {
                    dir.users.iter().filter(|u| u.role.as_deref().is_some_and(|x| x.eq_ignore_ascii_case(r))).map(|u| u.id).collect()
                }
                Party::RoleAndSubordinates(r) => dir
                    .users
                    .iter()
                    .filter(|u| u.role.as_deref().is_some_and(|x| is_at_or_below(&model.roles, x, r)))
                    .map(|u| u.id)
                    .collect(),
                Party::Group(g) => dir
                    .groups
                    .iter()
                    .filter(|x| x.name.eq_ignore_ascii_case(g))
                    .flat_map(|x| std::iter::once(x.id).chain(x.members.iter().copied()))
                    .collect(),
            }
        };
        let mut shared: HashMap<&str, (BTreeSet<OwnerId>, BTreeSet<OwnerId>)> = HashMap::new();
        for rule in model.rules.iter().filter(|r| receives(&r.to)) {
            let owners = owners_of(&rule.owner);
            let e = shared.entry(rule.module.as_str()).or_default();
            e.0.extend(owners.iter().copied());
            if rule.access == RuleAccess::ReadWrite {
                e.1.extend(owners);
            }
        }
        let modules: BTreeSet<&str> = model.sharing.keys().map(String::as_str).collect();
        let set = |s: BTreeSet<OwnerId>| Some(Arc::new(s.into_iter().collect::<Vec<_>>()));
        for m in modules {
            let (sr, sw) = shared.get(m).cloned().unwrap_or_default();
            let plus = |extra: &BTreeSet<OwnerId>| own.iter().chain(extra).copied().collect::<BTreeSet<_>>();
            let sight = match model.sharing_of(m) {
                Sharing::Private => ModuleSight { read: set(plus(&sr)), edit: set(plus(&sw)), delete: set(own.clone()) },
                Sharing::PublicRead => ModuleSight { read: None, edit: set(plus(&sw)), delete: set(own.clone()) },
                Sharing::PublicReadWrite => ModuleSight { read: None, edit: None, delete: set(own.clone()) },
                Sharing::PublicReadWriteDelete => ModuleSight::default(),
            };
            rights.sights.insert(m.to_string(), sight);
        }
        rights
    }

    /// Whether the user may read every record and every field of every module (an administrator, the
    /// system, or a store whose access is not configured for them): reads need no filtering then.
    pub fn reads_everything(&self) -> bool {
        self.unrestricted
            || (self.modules.values().all(|m| m.view)
                && self.sights.values().all(|s| s.read.is_none())
                && self.fields.values().all(|f| f.values().all(|a| *a != FieldAccess::Hidden)))
    }

    /// The user's rights on a module.
    pub fn module(&self, module: &str) -> ModuleRights {
        if self.unrestricted {
            return ModuleRights::ALL;
        }
        self.modules.get(module).copied().unwrap_or(ModuleRights::ALL)
    }

    /// Whether the user may do `a` on the module at all.
    pub fn may(&self, module: &str, a: Action) -> bool {
        let r = self.module(module);
        match a {
            Action::View => r.view,
            Action::Create => r.create,
            Action::Edit => r.edit,
            Action::Delete => r.delete,
        }
    }

    /// The user's access to a field.
    pub fn field(&self, module: &str, field: &str) -> FieldAccess {
        if self.unrestricted {
            return FieldAccess::Editable;
        }
        self.fields.get(module).and_then(|f| f.get(field)).copied().unwrap_or_default()
    }

    /// The fields of a module the user may not see.
    pub fn hidden_fields(&self, module: &str) -> Vec<&str> {
        if self.unrestricted {
            return vec![];
        }
        self.fields
            .get(module)
            .map(|f| f.iter().filter(|(_, a)| **a == FieldAccess::Hidden).map(|(k, _)| k.as_str()).collect())
            .unwrap_or_default()
    }

    /// The modules where the user does not see every record: those the user may not view, and those
    /// with a read set of owners (sorted, each once; none for administrators and the system).
    pub fn restricted_modules(&self) -> Vec<&str> {
        if self.unrestricted {
            return vec![];
        }
        let no_view = self.modules.iter().filter(|(_, r)| !r.view).map(|(m, _)| m.as_str());
        let owners = self.sights.iter().filter(|(_, s)| s.read.is_some()).map(|(m, _)| m.as_str());
        let set: BTreeSet<&str> = no_view.chain(owners).collect();
        set.into_iter().collect()
    }

    /// The owner sets of a module (every record for administrators, the system and modules whose sharing
    /// is the default).
    pub fn sight(&self, module: &str) -> ModuleSight {
        if self.unrestricted {
            return ModuleSight::default();
        }
        self.sights.get(module).cloned().unwrap_or_default()
    }
}
