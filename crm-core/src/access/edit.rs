//! Changes to the access model, and the pure function that applies one.

use super::AccessModel;
use super::profiles::Profile;
use super::roles::{Role, is_at_or_below};
use super::sharing::{Party, Sharing, SharingRule};
use crate::error::{Error, Result};
use crate::schema::Schema;
use crate::storage::UserChange;
use crate::user::Directory;
use serde::{Deserialize, Serialize};

/// One change of the access model (or of a user's role, administrator flag, or a group's members), as
/// logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum AccessEdit {
    /// Adds a role under `parent` (a root without).
    AddRole {
        /// Role name.
        name: String,
        /// Parent role.
        #[serde(default)]
        parent: Option<String>,
    },
    /// Moves a role (with its subtree) under another parent.
    MoveRole {
        /// Role name.
        name: String,
        /// New parent (a root without).
        #[serde(default)]
        parent: Option<String>,
    },
    /// Deletes a role: its users move to `transfer_to`, its child roles to its parent, its sharing rules go.
    DeleteRole {
        /// Role name.
        name: String,
        /// The role its users get.
        transfer_to: String,
    },
    /// Creates or replaces a profile.
    PutProfile(Profile),
    /// Deletes a profile (and detaches it from roles).
    DeleteProfile {
        /// Profile name.
        name: String,
    },
    /// Sets the profiles of a role.
    SetRoleProfiles {
        /// Role name.
        role: String,
        /// Profile names.
        profiles: Vec<String>,
    },
    /// Sets a module's organisation-wide sharing.
    SetSharing {
        /// Module name.
        module: String,
        /// Sharing level.
        sharing: Sharing,
    },
    /// Adds a sharing rule (its id is given when applied).
    AddSharingRule(SharingRule),
    /// Deletes a sharing rule.
    DeleteSharingRule {
        /// Rule id.
        id: i64,
    },
    /// Sets a user's role.
    SetUserRole {
        /// User name.
        user: String,
        /// Role name (none: no role).
        #[serde(default)]
        role: Option<String>,
    },
    /// Makes a user an administrator or not.
    SetAdmin {
        /// User name.
        user: String,
        /// Administrator or not.
        admin: bool,
    },
    /// Sets a group's members.
    SetGroupMembers {
        /// Group name.
        group: String,
        /// Member user names.
        members: Vec<String>,
    },
}

fn taken(what: &str, name: &str) -> Error {
    Error::Conflict(format!("{what} '{name}' already exists"))
}

fn need_role<'a>(m: &'a AccessModel, name: &str) -> Result<&'a Role> {
    m.role(name).ok_or_else(|| Error::not_found(format!("role '{name}'")))
}

fn need_module(schema: &Schema, name: &str) -> Result<String> {
    schema.module(name).map(|m| m.name.clone()).ok_or_else(|| Error::not_found(format!("module '{name}'")))
}

fn check_party(m: &AccessModel, dir: &Directory, p: &Party) -> Result<Party> {
    Ok(match p {
        Party::Role(r) => Party::Role(need_role(m, r)?.name.clone()),
        Party::RoleAndSubordinates(r) => Party::RoleAndSubordinates(need_role(m, r)?.name.clone()),
        Party::Group(g) => Party::Group(
            dir.groups
                .iter()
                .find(|x| x.name.eq_ignore_ascii_case(g.trim()))
                .ok_or_else(|| Error::not_found(format!("group '{g}'")))?
                .name
                .clone(),
        ),
    })
}

fn names_role(p: &Party, role: &str) -> bool {
    matches!(p, Party::Role(r) | Party::RoleAndSubordinates(r) if r.eq_ignore_ascii_case(role))
}

/// Applies one change to `model`: the new model, the user and group writes that go with it, and the change
/// as logged (names in their stored spelling, a new rule's id).
///
/// # Errors
/// `NotFound` for unknown roles, profiles, modules, fields, users or groups; `Conflict` for a name taken;
/// `InvalidArgument` for an empty name or a role moved under itself.
pub(crate) fn apply(
    model: &AccessModel,
    schema: &Schema,
    dir: &Directory,
    edit: AccessEdit,
) -> Result<(AccessModel, Vec<UserChange>, AccessEdit)> {
    let mut m = model.clone();
    let mut users = Vec::new();
    let user = |name: &str| {
        dir.users
            .iter()
            .find(|u| u.user_name.eq_ignore_ascii_case(name.trim()))
            .cloned()
            .ok_or_else(|| Error::not_found(format!("user '{name}'")))
    };
    let logged = match edit {
        AccessEdit::AddRole { name, parent } => {
            let name = name.trim().to_string();
            if name.is_empty() {
                return Err(Error::invalid("a role needs a name"));
            }
            if m.role(&name).is_some() {
                return Err(taken("role", &name));
            }
            let parent = parent.map(|p| need_role(&m, &p).map(|r| r.name.clone())).transpose()?;
            m.roles.push(Role { name: name.clone(), parent: parent.clone() });
            AccessEdit::AddRole { name, parent }
        }
        AccessEdit::MoveRole { name, parent } => {
            let name = need_role(&m, &name)?.name.clone();
            let parent = parent.map(|p| need_role(&m, &p).map(|r| r.name.clone())).transpose()?;
            if let Some(p) = &parent
                && is_at_or_below(&m.roles, p, &name)
            {
                return Err(Error::invalid(format!("cannot move role '{name}' under itself ('{p}')")));
            }
            if let Some(r) = m.roles.iter_mut().find(|r| r.name == name) {
                r.parent = parent.clone();
            }
            AccessEdit::MoveRole { name, parent }
        }
        AccessEdit::DeleteRole { name, transfer_to } => {
            let old = need_role(&m, &name)?.clone();
            let to = need_role(&m, &transfer_to)?.name.clone();
            if to == old.name {
                return Err(Error::invalid(format!("cannot transfer the users of role '{name}' to itself")));
            }
            m.roles.retain(|r| r.name != old.name);
            for r in m.roles.iter_mut().filter(|r| r.parent.as_deref() == Some(old.name.as_str())) {
                r.parent = old.parent.clone();
            }
            m.role_profiles.remove(&old.name);
            m.rules.retain(|r| !names_role(&r.owner, &old.name) && !names_role(&r.to, &old.name));
            for u in dir.users.iter().filter(|u| u.role.as_deref().is_some_and(|r| r.eq_ignore_ascii_case(&old.name))) {
                users.push(UserChange::PutUser(crate::User { role: Some(to.clone()), ..u.clone() }));
            }
            AccessEdit::DeleteRole { name: old.name, transfer_to: to }
        }
        AccessEdit::PutProfile(mut p) => {
            p.name = p.name.trim().to_string();
            if p.name.is_empty() {
                return Err(Error::invalid("a profile needs a name"));
            }
            let mut modules = std::collections::BTreeMap::new();
            for (k, v) in std::mem::take(&mut p.modules) {
                modules.insert(need_module(schema, &k)?, v);
            }
            let mut fields = std::collections::BTreeMap::new();
            for (k, v) in std::mem::take(&mut p.fields) {
                let module = schema.module(&k).ok_or_else(|| Error::not_found(format!("module '{k}'")))?;
                let mut out = std::collections::BTreeMap::new();
                for (f, a) in v {
                    let field =
                        module.field_by_name_or_label(&f).ok_or_else(|| Error::not_found(format!("{} has no field '{f}'", module.name)))?;
                    out.insert(field.name.clone(), a);
                }
                fields.insert(module.name.clone(), out);
            }
            p.modules = modules;
            p.fields = fields;
            match m.profiles.iter_mut().find(|x| x.name.eq_ignore_ascii_case(&p.name)) {
                Some(x) => {
                    p.name = x.name.clone();
                    *x = p.clone();
                }
                None => m.profiles.push(p.clone()),
            }
            AccessEdit::PutProfile(p)
        }
        AccessEdit::DeleteProfile { name } => {
            let name = m.profile(&name).ok_or_else(|| Error::not_found(format!("profile '{name}'")))?.name.clone();
            m.profiles.retain(|p| p.name != name);
            for v in m.role_profiles.values_mut() {
                v.retain(|p| *p != name);
            }
            AccessEdit::DeleteProfile { name }
        }
        AccessEdit::SetRoleProfiles { role, profiles } => {
            let role = need_role(&m, &role)?.name.clone();
            let mut names = Vec::new();
            for p in &profiles {
                let n = m.profile(p).ok_or_else(|| Error::not_found(format!("profile '{p}'")))?.name.clone();
                if !names.contains(&n) {
                    names.push(n);
                }
            }
            if names.is_empty() {
                m.role_profiles.remove(&role);
            } else {
                m.role_profiles.insert(role.clone(), names.clone());
            }
            AccessEdit::SetRoleProfiles { role, profiles: names }
        }
        AccessEdit::SetSharing { module, sharing } => {
            let module = need_module(schema, &module)?;
            if sharing == Sharing::default() {
                m.sharing.remove(&module);
            } else {
                m.sharing.insert(module.clone(), sharing);
            }
            AccessEdit::SetSharing { module, sharing }
        }
        AccessEdit::AddSharingRule(mut r) => {
            r.module = need_module(schema, &r.module)?;
            r.owner = check_party(&m, dir, &r.owner)?;
            r.to = check_party(&m, dir, &r.to)?;
            r.id = m.rules.iter().map(|x| x.id).max().unwrap_or(0) + 1;
            m.rules.push(r.clone());
            AccessEdit::AddSharingRule(r)
        }
        AccessEdit::DeleteSharingRule { id } => {
            if !m.rules.iter().any(|r| r.id == id) {
                return Err(Error::not_found(format!("sharing rule {id}")));
            }
            m.rules.retain(|r| r.id != id);
            AccessEdit::DeleteSharingRule { id }
        }
        AccessEdit::SetUserRole { user: name, role } => {
            let u = user(&name)?;
            let role = match role.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
                Some(r) => Some(need_role(&m, r)?.name.clone()),
                None => None,
            };
            users.push(UserChange::PutUser(crate::User { role: role.clone(), ..u.clone() }));
            AccessEdit::SetUserRole { user: u.user_name, role }
        }
        AccessEdit::SetAdmin { user: name, admin } => {
            let u = user(&name)?;
            if admin {
                m.admins.insert(u.id);
            } else {
                m.admins.remove(&u.id);
            }
            AccessEdit::SetAdmin { user: u.user_name, admin }
        }
        AccessEdit::SetGroupMembers { group, members } => {
            let g = dir
                .groups
                .iter()
                .find(|x| x.name.eq_ignore_ascii_case(group.trim()))
                .cloned()
                .ok_or_else(|| Error::not_found(format!("group '{group}'")))?;
            let mut ids = Vec::new();
            let mut names = Vec::new();
            for n in &members {
                let u = user(n)?;
                if !ids.contains(&u.id) {
                    ids.push(u.id);
                    names.push(u.user_name);
                }
            }
            users.push(UserChange::PutGroup(crate::Group { members: ids, ..g.clone() }));
            AccessEdit::SetGroupMembers { group: g.name, members: names }
        }
    };
    Ok((m, users, logged))
}
