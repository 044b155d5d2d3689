//! Access control in the facade: the configuration API (roles, profiles, sharing, sharing rules,
//! administrators), the acting user's compiled [`Rights`] (cached per handle, recompiled when the stored
//! access version moves), and **the visibility hook** every record read goes through.
//!
//! # The visibility hook (for every read of records)
//!
//! Build the [`Query`], normalize it against the module, then pass it through [`Crm::scoped`] before it
//! reaches the store:
//!
//! ```ignore
//! let q = self.scoped(query.normalize(m)?)?;   // refuses hidden filter/sort fields, adds the owner scope
//! let mut records = self.store.query(&q)?;      // also count, aggregate, aggregate_by_date_prefix, scan_rows
//! self.redact_all(&mut records)?;               // drops the fields the user may not see
//! ```
//!
//! `scoped` sets [`Query::scope`] ([`OwnerScope`]: the owners whose records the acting user may read),
//! which the SQL adapters compile into the statement itself (`AND t.assigned_user_id IN (...)`, in
//! `storage::sql::compile::from_where`, shared by select, count and aggregates) and the memory adapter
//! tests per record: no page is ever filtered after the fact, so counts, sums, pages and reports agree
//! with what the user can see. Group-by and summed fields go through [`Crm::check_fields_visible`].
//! Single records: [`Crm::get`] (NotFound when invisible) or [`Crm::live_visible`] (unredacted, for
//! planning writes), [`Crm::redact`] before handing a record out. Writes: [`Crm::check_record`] and
//! [`Crm::check_input`]. The system context (no acting user) and administrators get queries unchanged.

use super::Crm;
use crate::access::rights::OWNER_FIELD;
use crate::access::{
    AccessChangeEntry, AccessDenied, AccessEdit, AccessModel, Action, FieldAccess, Profile, Rights, Role, Sharing, SharingRule,
};
use crate::error::{Error, Result};
use crate::query::{OwnerScope, Query, RecordSight};
use crate::record::{Fields, Record};
use crate::schema::Module;
use crate::storage::{AccessStoreChange, ChangeSet};
use crate::user::User;
use crate::value::{OwnerId, RecordId, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The access model and the users' compiled rights, as of one access version.
#[derive(Debug, Default)]
pub(crate) struct AccessCache {
    version: Option<u64>,
    rights: HashMap<OwnerId, Arc<Rights>>,
}

/// A handle's [`AccessCache`], shared by reads through `&self`.
pub(crate) type SharedAccessCache = Mutex<AccessCache>;

impl Crm {
    // ----- the acting user's rights -----

    /// The acting user's rights: unrestricted for the system context (no acting user), else compiled
    /// from the stored model and directory, cached until the access version moves (one cheap read).
    pub(crate) fn rights(&self) -> Result<Arc<Rights>> {
        let Some(actor) = self.actor.as_ref().map(|u| u.id) else { return Ok(Arc::new(Rights::unrestricted(None))) };
        let v = self.held_read(|h| &mut h.access_version, || self.store.access_version())?;
        let mut cache = self.access.lock().unwrap_or_else(|p| p.into_inner());
        if cache.version != Some(v) {
            cache.rights.clear();
            cache.version = Some(v);
        }
        if let Some(r) = cache.rights.get(&actor) {
            return Ok(Arc::clone(r));
        }
        let (model, _) = self.store.access_model()?;
        let dir = crate::user::Directory::read(&*self.store)?;
        let r = Arc::new(Rights::compile(&model, &dir, actor));
        cache.rights.insert(actor, Arc::clone(&r));
        Ok(r)
    }

    /// **The visibility hook**: a normalized query as the acting user may run it. Refuses (AccessDenied)
    /// a module the user may not view and conditions or sort keys on fields hidden from the user (a
    /// default sort on a hidden field is dropped instead), and sets the query's owner scope to the owners
    /// whose records the user may read. Unchanged for administrators and the system context.
    ///
    /// # Errors
    /// `AccessDenied` naming the action (`view`, `filter`, `sort`) and field; storage errors.
    pub(crate) fn scoped(&self, mut q: Query) -> Result<Query> {
        let rights = self.rights()?;
        if rights.unrestricted {
            return Ok(q);
        }
        if !rights.may(&q.module, Action::View) {
            return Err(Error::AccessDenied(AccessDenied::module("view", &q.module)));
        }
        if let Some(c) = &q.condition {
            for f in c.fields() {
                if rights.field(&q.module, f) == FieldAccess::Hidden {
                    return Err(Error::AccessDenied(AccessDenied::field("filter", &q.module, f)));
                }
            }
        }
        let default_sort = q.sort.len() == 1 && q.sort[0].field == "modifiedtime" && q.sort[0].descending;
        if let Some(s) = q.sort.iter().find(|s| rights.field(&q.module, &s.field) == FieldAccess::Hidden) {
            if !default_sort {
                return Err(Error::AccessDenied(AccessDenied::field("sort", &q.module, &s.field)));
            }
            q.sort.clear();
        }
        if let Some(set) = rights.sight(&q.module).read {
            let schema = self.current_schema()?;
            if schema.module(&q.module).is_some_and(|m| m.field(OWNER_FIELD).is_some()) {
                let owners = match &q.scope {
                    Some(old) => Arc::new(set.iter().filter(|o| old.owners.binary_search(o).is_ok()).copied().collect()),
                    None => set,
                };
                q.scope = Some(OwnerScope { field: OWNER_FIELD.to_string(), owners });
            }
        }
        Ok(q)
    }

    /// Which records of `module` a user with `rights` may view, for the reads that span records (the
    /// change feed, duplicate groups) to apply in the store: `None` for every record, else what
    /// [`Crm::check_record_with`] admits for `View` — nothing without the module right, the owner scope
    /// where the module has an owner field and the user a read set, else every existing record.
    pub(crate) fn record_sight(&self, rights: &Rights, module: &str) -> Result<Option<RecordSight>> {
        if rights.unrestricted {
            return Ok(None);
        }
        if !rights.may(module, Action::View) {
            return Ok(Some(RecordSight::Nothing));
        }
        let Some(owners) = rights.sight(module).read else { return Ok(None) };
        let scoped = self.current_schema()?.module(module).is_some_and(|m| m.field(OWNER_FIELD).is_some());
        Ok(Some(if scoped { RecordSight::Owners(OwnerScope { field: OWNER_FIELD.to_string(), owners }) } else { RecordSight::Existing }))
    }

    /// Refuses (AccessDenied, action `read`) fields of `module` hidden from the acting user: group-by and
    /// summed fields of aggregates and reports, export columns.
    pub(crate) fn check_fields_visible(&self, module: &str, fields: &[&str]) -> Result<()> {
        let rights = self.rights()?;
        if let Some(f) = fields.iter().find(|f| rights.field(module, f) == FieldAccess::Hidden) {
            return Err(Error::AccessDenied(AccessDenied::field("read", module, f)));
        }
        Ok(())
    }

    /// Drops the fields hidden from the acting user from a record.
    pub(crate) fn redact(&self, r: &mut Record) -> Result<()> {
        let rights = self.rights()?;
        for f in rights.hidden_fields(&r.module) {
            r.values.remove(f);
        }
        Ok(())
    }

    /// [`Crm::redact`] for many records.
    pub(crate) fn redact_all(&self, records: &mut [Record]) -> Result<()> {
        let rights = self.rights()?;
        if rights.unrestricted {
            return Ok(());
        }
        for r in records {
            for f in rights.hidden_fields(&r.module) {
                r.values.remove(f);
            }
        }
        Ok(())
    }

    /// The fields of a module hidden from the acting user.
    pub(crate) fn hidden_fields(&self, module: &str) -> Result<Vec<String>> {
        Ok(self.rights()?.hidden_fields(module).into_iter().map(str::to_string).collect())
    }

    /// Whether the acting user may do `a` to record `r`: `NotFound` when the user may not even see it
    /// (existence is not leaked), `AccessDenied` when the module right or the record right refuses.
    pub(crate) fn check_record(&self, r: &Record, a: Action) -> Result<()> {
        let rights = self.rights()?;
        self.check_record_with(&rights, r, a)
    }

    /// [`Crm::check_record`] with rights already in hand (a loop over many records reads them once).
    pub(crate) fn check_record_with(&self, rights: &Rights, r: &Record, a: Action) -> Result<()> {
        if rights.unrestricted {
            return Ok(());
        }
        let sight = rights.sight(&r.module);
        let owner = match r.get(OWNER_FIELD) {
            Value::Owner(o) => Some(*o),
            _ => None,
        };
        let scoped = self.current_schema()?.module(&r.module).is_some_and(|m| m.field(OWNER_FIELD).is_some());
        if !rights.may(&r.module, Action::View) || scoped && !sight.allows(Action::View, owner) {
            return Err(Error::not_found(format!("record {}", r.id)));
        }
        if !rights.may(&r.module, a) {
            return Err(Error::AccessDenied(AccessDenied::module(a.as_str(), &r.module)));
        }
        if scoped && !sight.allows(a, owner) {
            return Err(Error::AccessDenied(AccessDenied::record(a.as_str(), &r.module, r.id.0)));
        }
        Ok(())
    }

    /// Refuses (AccessDenied naming the field) input that writes a field hidden from or read-only for the
    /// acting user, and (action `create`) a module the user may not create records in.
    pub(crate) fn check_input(&self, m: &Module, fields: &Fields, a: Action) -> Result<()> {
        let rights = self.rights()?;
        if rights.unrestricted {
            return Ok(());
        }
        if a == Action::Create && !rights.may(&m.name, Action::Create) {
            return Err(Error::AccessDenied(AccessDenied::module("create", &m.name)));
        }
        for (name, value) in fields.iter() {
            let Some(f) = m.field_by_name_or_label(name) else { continue };
            if a == Action::Create && value.is_empty() {
                continue; // an empty value on create writes nothing (an import's empty cell)
            }
            if rights.field(&m.name, &f.name) != FieldAccess::Editable {
                return Err(Error::AccessDenied(AccessDenied::field(a.as_str(), &m.name, &f.name)));
            }
        }
        Ok(())
    }

    /// A live record the acting user may see, unredacted (for planning writes on it).
    ///
    /// # Errors
    /// `NotFound` when it does not exist, is in the recycle bin or is not visible to the acting user.
    pub(crate) fn live_visible(&self, id: RecordId) -> Result<Record> {
        let r = self.load(id)?;
        if r.deleted {
            return Err(Error::not_found(format!("record {id} is in the recycle bin")));
        }
        self.check_record(&r, Action::View)?;
        Ok(r)
    }

    /// Replaces the acting user by an already resolved user (or none: the system context) and returns the
    /// previous one. What `as_user` handles of the bindings use to act as their user for one call without
    /// looking the user up again; [`Crm::set_actor`] resolves a user name.
    pub fn replace_actor(&mut self, actor: Option<User>) -> Option<User> {
        std::mem::replace(&mut self.actor, actor)
    }

    // ----- configuration -----

    /// Applies one access change and stores it with its log entry, in one transaction; retried when
    /// another handle changed access meanwhile. Allowed to administrators and the system context, and to
    /// anyone while no administrator is registered (setting up a new store).
    ///
    /// # Errors
    /// `AccessDenied` (action `configure`) for other users; `NotFound`, `Conflict`, `InvalidArgument` from
    /// `access::edit::apply`.
    pub fn apply_access_change(&mut self, edit: AccessEdit) -> Result<AccessChangeEntry> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (model, version) = self.store.access_model()?;
            if let Some(a) = &self.actor
                && !model.admins.is_empty()
                && !model.admins.contains(&a.id)
            {
                return Err(Error::AccessDenied(AccessDenied::module("configure", "access control")));
            }
            self.refresh_schema()?;
            let dir = crate::user::Directory::read(&*self.store)?;
            let (after, users, logged) = crate::access::edit::apply(&model, &self.schema, &dir, edit.clone())?;
            let entry = AccessChangeEntry { version: version + 1, actor: self.actor_name(), at: self.now(), change: logged };
            let mut cs = ChangeSet::new();
            cs.push(AccessStoreChange::Put { model: Box::new(after), expected_version: version });
            cs.push(AccessStoreChange::Log(entry.clone()));
            for u in users {
                cs.push(u);
            }
            match self.commit(&cs) {
                Err(Error::Conflict(_)) if attempt < 5 => continue,
                Err(e) => return Err(e),
                Ok(()) => {
                    if let Some(a) = self.actor.as_ref().map(|a| a.id)
                        && let Some(u) = dir.users.iter().find(|u| u.id == a)
                        && let AccessEdit::SetUserRole { user, role } = &entry.change
                        && u.user_name == *user
                    {
                        self.actor = Some(User { role: role.clone(), ..u.clone() });
                    }
                    return Ok(entry);
                }
            }
        }
    }

    /// The stored access model (roles, profiles, sharing, rules, administrators).
    pub fn access_model(&self) -> Result<AccessModel> {
        Ok(self.store.access_model()?.0)
    }

    /// The access change log, oldest first.
    pub fn access_changes(&self) -> Result<Vec<AccessChangeEntry>> {
        self.store.access_changes()
    }

    /// Adds a role under `parent` (a root when `None`).
    pub fn add_role(&mut self, name: &str, parent: Option<&str>) -> Result<Role> {
        let e = self.apply_access_change(AccessEdit::AddRole { name: name.into(), parent: parent.map(str::to_string) })?;
        let AccessEdit::AddRole { name, parent } = e.change else { unreachable!("add_role logs AddRole") };
        Ok(Role { name, parent })
    }

    /// Every role, parents before children.
    pub fn roles(&self) -> Result<Vec<Role>> {
        Ok(self.access_model()?.roles)
    }

    /// Moves a role (with its subtree) under `parent`.
    pub fn move_role(&mut self, name: &str, parent: Option<&str>) -> Result<()> {
        self.apply_access_change(AccessEdit::MoveRole { name: name.into(), parent: parent.map(str::to_string) }).map(drop)
    }

    /// Deletes a role: its users get `transfer_to`, its child roles move to its parent, its sharing rules go.
    pub fn delete_role(&mut self, name: &str, transfer_to: &str) -> Result<()> {
        self.apply_access_change(AccessEdit::DeleteRole { name: name.into(), transfer_to: transfer_to.into() }).map(drop)
    }

    /// Creates or replaces a profile.
    pub fn put_profile(&mut self, profile: Profile) -> Result<Profile> {
        let e = self.apply_access_change(AccessEdit::PutProfile(profile))?;
        let AccessEdit::PutProfile(p) = e.change else { unreachable!("put_profile logs PutProfile") };
        Ok(p)
    }

    /// Every profile.
    pub fn profiles(&self) -> Result<Vec<Profile>> {
        Ok(self.access_model()?.profiles)
    }

    /// Sets the profiles of a role (their union is the rights of its users).
    pub fn set_role_profiles(&mut self, role: &str, profiles: &[&str]) -> Result<()> {
        let profiles = profiles.iter().map(|p| p.to_string()).collect();
        self.apply_access_change(AccessEdit::SetRoleProfiles { role: role.into(), profiles }).map(drop)
    }

    /// Sets a module's organisation-wide sharing.
    pub fn set_sharing(&mut self, module: &str, sharing: Sharing) -> Result<()> {
        self.apply_access_change(AccessEdit::SetSharing { module: module.into(), sharing }).map(drop)
    }

    /// A module's organisation-wide sharing.
    pub fn sharing(&self, module: &str) -> Result<Sharing> {
        let name = self.module(module)?.name.clone();
        Ok(self.access_model()?.sharing_of(&name))
    }

    /// Adds a sharing rule (its id is given) and returns it.
    pub fn add_sharing_rule(&mut self, rule: SharingRule) -> Result<SharingRule> {
        let e = self.apply_access_change(AccessEdit::AddSharingRule(rule))?;
        let AccessEdit::AddSharingRule(r) = e.change else { unreachable!("add_sharing_rule logs AddSharingRule") };
        Ok(r)
    }

    /// Every sharing rule.
    pub fn sharing_rules(&self) -> Result<Vec<SharingRule>> {
        Ok(self.access_model()?.rules)
    }

    /// Deletes a sharing rule.
    pub fn delete_sharing_rule(&mut self, id: i64) -> Result<()> {
        self.apply_access_change(AccessEdit::DeleteSharingRule { id }).map(drop)
    }

    /// Sets a user's role (`None`: no role).
    pub fn set_user_role(&mut self, user: &str, role: Option<&str>) -> Result<()> {
        self.apply_access_change(AccessEdit::SetUserRole { user: user.into(), role: role.map(str::to_string) }).map(drop)
    }

    /// Makes a user an administrator (every right) or not.
    pub fn set_admin(&mut self, user: &str, admin: bool) -> Result<()> {
        self.apply_access_change(AccessEdit::SetAdmin { user: user.into(), admin }).map(drop)
    }

    /// Whether a user is an administrator.
    pub fn is_admin(&self, user: &str) -> Result<bool> {
        let u = self.user(user)?;
        Ok(self.access_model()?.admins.contains(&u.id))
    }

    /// Sets a group's members (by user name).
    pub fn set_group_members(&mut self, group: &str, members: &[&str]) -> Result<()> {
        let members = members.iter().map(|m| m.to_string()).collect();
        self.apply_access_change(AccessEdit::SetGroupMembers { group: group.into(), members }).map(drop)
    }
}
