//! Access control of `crm.Crm`: roles, profiles, sharing, sharing rules, administrators, group members.
//! Records of access are dicts in crm-core's serde shape; `as_user` is in `crm.rs`.

use crate::crm::Crm;
use crate::engine::Access;
use crate::json::{from_py, to_py};
use crm_core::{FieldAccess, ModuleRights, Profile, Sharing, SharingRuleSpec};
use pyo3::prelude::*;
use std::collections::BTreeMap;

#[pymethods]
impl Crm {
    /// Adds a role under `parent` (a root without); returns `{"name", "parent"}`.
    #[pyo3(signature = (name, parent = None))]
    fn add_role<'py>(&self, py: Python<'py>, name: String, parent: Option<String>) -> PyResult<Bound<'py, PyAny>> {
        let r = self.engine.run(py, Access::Read, move |crm| Ok(crm.add_role(&name, parent.as_deref())?))?;
        to_py(py, &r)
    }

    /// Every role (`{"name", "parent"}`), parents before children.
    fn roles<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let r = self.engine.run(py, Access::Read, |crm| Ok(crm.roles()?))?;
        to_py(py, &r)
    }

    /// Moves a role (with its subtree) under `parent` (a root when None).
    #[pyo3(signature = (name, parent = None))]
    fn move_role(&self, py: Python<'_>, name: String, parent: Option<String>) -> PyResult<()> {
        self.engine.run(py, Access::Read, move |crm| Ok(crm.move_role(&name, parent.as_deref())?))
    }

    /// Deletes a role: its users get `transfer_to`, its child roles move to its parent, its sharing rules go.
    fn delete_role(&self, py: Python<'_>, name: String, transfer_to: String) -> PyResult<()> {
        self.engine.run(py, Access::Read, move |crm| Ok(crm.delete_role(&name, &transfer_to)?))
    }

    /// Creates or replaces a profile: `modules` maps a module to `{"view", "create", "edit", "delete"}`
    /// (keys left out are allowed), `fields` a module to `{field: "editable" | "read_only" | "hidden"}`.
    #[pyo3(signature = (name, modules = None, fields = None))]
    fn add_profile<'py>(
        &self,
        py: Python<'py>,
        name: String,
        modules: Option<&Bound<'py, PyAny>>,
        fields: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let modules: BTreeMap<String, ModuleRights> = modules.map(|m| from_py(m, "modules")).transpose()?.unwrap_or_default();
        let fields: BTreeMap<String, BTreeMap<String, FieldAccess>> = fields.map(|f| from_py(f, "fields")).transpose()?.unwrap_or_default();
        let p = self.engine.run(py, Access::Read, move |crm| Ok(crm.put_profile(Profile { name, modules, fields })?))?;
        to_py(py, &p)
    }

    /// Every profile, as dicts (`name`, `modules`, `fields`).
    fn profiles<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let p = self.engine.run(py, Access::Read, |crm| Ok(crm.profiles()?))?;
        to_py(py, &p)
    }

    /// Sets the profiles of a role; its users' rights are their union.
    fn set_role_profiles(&self, py: Python<'_>, role: String, profiles: Vec<String>) -> PyResult<()> {
        self.engine.run(py, Access::Read, move |crm| {
            let refs: Vec<&str> = profiles.iter().map(String::as_str).collect();
            Ok(crm.set_role_profiles(&role, &refs)?)
        })
    }

    /// Sets a module's organisation-wide sharing: `"private"`, `"public_read"`, `"public_read_write"` or
    /// `"public_read_write_delete"` (the default).
    fn set_sharing(&self, py: Python<'_>, module: String, sharing: String) -> PyResult<()> {
        self.engine.run(py, Access::Read, move |crm| Ok(crm.set_sharing(&module, sharing.parse::<Sharing>()?)?))
    }

    /// A module's organisation-wide sharing.
    fn sharing(&self, py: Python<'_>, module: String) -> PyResult<String> {
        self.engine.run(py, Access::Read, move |crm| Ok(crm.sharing(&module)?.as_str().to_string()))
    }

    /// Adds a sharing rule: records of `module` owned by `owner_role` (or `owner_group`) are shared with
    /// `to_role` (or `to_group`), `access` `"read"` or `"read_write"`; `*_and_subordinates` widens a role
    /// to the roles below it. Returns the rule with its id.
    #[pyo3(signature = (module, *, owner_role = None, owner_group = None, owner_and_subordinates = false, to_role = None, to_group = None, to_and_subordinates = false, access = None))]
    #[allow(clippy::too_many_arguments)]
    fn add_sharing_rule<'py>(
        &self,
        py: Python<'py>,
        module: String,
        owner_role: Option<String>,
        owner_group: Option<String>,
        owner_and_subordinates: bool,
        to_role: Option<String>,
        to_group: Option<String>,
        to_and_subordinates: bool,
        access: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let spec =
            SharingRuleSpec { module, owner_role, owner_group, owner_and_subordinates, to_role, to_group, to_and_subordinates, access };
        let r = self.engine.run(py, Access::Read, move |crm| Ok(crm.add_sharing_rule(spec.into_rule()?)?))?;
        to_py(py, &r)
    }

    /// Every sharing rule, as dicts (`id`, `module`, `owner`, `to`, `access`).
    fn sharing_rules<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let r = self.engine.run(py, Access::Read, |crm| Ok(crm.sharing_rules()?))?;
        to_py(py, &r)
    }

    /// Deletes a sharing rule by id.
    fn delete_sharing_rule(&self, py: Python<'_>, id: i64) -> PyResult<()> {
        self.engine.run(py, Access::Read, move |crm| Ok(crm.delete_sharing_rule(id)?))
    }

    /// Sets a user's role (None: no role).
    #[pyo3(signature = (user_name, role = None))]
    fn set_user_role(&self, py: Python<'_>, user_name: String, role: Option<String>) -> PyResult<()> {
        self.engine.run(py, Access::Read, move |crm| Ok(crm.set_user_role(&user_name, role.as_deref())?))
    }

    /// Makes a user an administrator (every right) or not.
    fn set_admin(&self, py: Python<'_>, user_name: String, admin: bool) -> PyResult<()> {
        self.engine.run(py, Access::Read, move |crm| Ok(crm.set_admin(&user_name, admin)?))
    }

    /// Whether a user is an administrator.
    fn is_admin(&self, py: Python<'_>, user_name: String) -> PyResult<bool> {
        self.engine.run(py, Access::Read, move |crm| Ok(crm.is_admin(&user_name)?))
    }

    /// Sets a group's members (user names).
    fn set_group_members(&self, py: Python<'_>, group: String, members: Vec<String>) -> PyResult<()> {
        self.engine.run(py, Access::Read, move |crm| {
            let refs: Vec<&str> = members.iter().map(String::as_str).collect();
            Ok(crm.set_group_members(&group, &refs)?)
        })
    }

    /// The access change log, oldest first: dicts with `version`, `actor`, `at` and `change`.
    fn access_changes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let c = self.engine.run(py, Access::Read, |crm| Ok(crm.access_changes()?))?;
        to_py(py, &c)
    }
}
