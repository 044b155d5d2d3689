//! `crm.Crm`: opening and closing, the context manager, users and groups, schema look-ups.
//!
//! Record operations live in `records.rs`; each concern adds its own `#[pymethods] impl Crm` block in its
//! own file (feature `multiple-pymethods`). A method is: convert arguments (attached), then
//! `self.engine.run(py, Access::..., move |crm| ...)`, then convert the result.

use crate::engine::{Access, Engine};
use crate::errors::{Failure, invalid};
use crm_core::NewUser;
use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple, PyType};
use std::path::PathBuf;
use std::sync::Arc;

/// A crm database: an SQLite file (created if missing), `":memory:"`, or a PostgreSQL database by URL.
///
/// Usable from several threads at once; every call releases the interpreter while the engine works.
#[pyclass(frozen, module = "crm_engine", name = "Crm")]
pub struct Crm {
    pub(crate) engine: Arc<Engine>,
    path: String,
}

/// A registered user, as a dict.
#[derive(IntoPyObject)]
pub struct UserOut {
    id: i64,
    user_name: String,
    full_name: String,
    email: String,
    role: Option<String>,
    active: bool,
}

impl From<crm_core::User> for UserOut {
    fn from(u: crm_core::User) -> Self {
        UserOut { id: u.id.0, user_name: u.user_name, full_name: u.full_name, email: u.email, role: u.role, active: u.active }
    }
}

/// A group, as a dict.
#[derive(IntoPyObject)]
pub struct GroupOut {
    id: i64,
    name: String,
    members: Vec<i64>,
}

impl From<crm_core::Group> for GroupOut {
    fn from(g: crm_core::Group) -> Self {
        GroupOut { id: g.id.0, name: g.name, members: g.members.into_iter().map(|m| m.0).collect() }
    }
}

/// One field's metadata, as a dict.
#[derive(IntoPyObject)]
pub struct FieldOut {
    name: String,
    label: String,
    #[pyo3(item("type"))]
    field_type: String,
    block: String,
    sequence: u32,
    mandatory: bool,
    quick_create: bool,
    presence: String,
    default: Option<String>,
    max_length: Option<u32>,
    precision: Option<u32>,
    scale: Option<u32>,
    mass_editable: bool,
    custom: bool,
    read_only: bool,
    references: Vec<String>,
    picklist: Option<String>,
    uitype: u32,
}

/// The snake_case name of a unit enum variant (`TextArea` → `text_area`), the same as crm-core's serde form.
fn snake<T: std::fmt::Debug>(v: &T) -> String {
    let mut out = String::new();
    for (i, c) in format!("{v:?}").chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

impl From<&crm_core::Field> for FieldOut {
    fn from(f: &crm_core::Field) -> Self {
        FieldOut {
            name: f.name.clone(),
            label: f.label.clone(),
            field_type: snake(&f.field_type),
            block: f.block.clone(),
            sequence: f.sequence,
            mandatory: f.mandatory,
            quick_create: f.quick_create || f.mandatory,
            presence: snake(&f.presence),
            default: f.default.clone(),
            max_length: f.max_length,
            precision: f.precision,
            scale: f.scale,
            mass_editable: f.mass_editable,
            custom: f.custom,
            read_only: !f.is_writable(),
            references: f.references.clone(),
            picklist: f.picklist_name().map(str::to_string),
            uitype: f.uitype,
        }
    }
}

/// Opens the store behind `path`, checking first that the file can be created or opened for writing, so
/// that a missing folder or a denied permission raises the matching `OSError` subclass. PostgreSQL URLs
/// go straight to the core.
fn open(path: &str) -> Result<crm_core::Crm, Failure> {
    let url = path.starts_with("postgres://") || path.starts_with("postgresql://");
    if path != ":memory:"
        && !url
        && let Err(e) = std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path)
    {
        return Err(Failure::Os(e, path.to_string()));
    }
    Ok(crm_core::Crm::open(path)?)
}

#[pymethods]
impl Crm {
    /// Opens `path` (an SQLite file, created if missing), `":memory:"`, or a `postgres://` URL (a
    /// PostgreSQL database; one database holds one CRM); `user` is the acting user.
    #[new]
    #[pyo3(signature = (path = None, user = None))]
    fn new(py: Python<'_>, path: Option<PathBuf>, user: Option<String>) -> PyResult<Crm> {
        let path = match path {
            None => ":memory:".to_string(),
            Some(p) => p.to_str().ok_or_else(|| invalid("the path must be valid UTF-8"))?.to_string(),
        };
        let p = path.clone();
        let engine = py.detach(move || open(&p).and_then(|crm| Engine::new(crm, user)))?;
        Ok(Crm { engine: Arc::new(engine), path })
    }

    /// The path given when opening (`":memory:"` for an in-memory store).
    #[getter]
    fn path(&self) -> &str {
        &self.path
    }

    /// The acting user's name, or None.
    #[getter]
    fn user(&self, py: Python<'_>) -> PyResult<Option<String>> {
        self.engine.actor(py)
    }

    /// True once `close()` was called.
    #[getter]
    fn closed(&self, py: Python<'_>) -> PyResult<bool> {
        self.engine.is_closed(py)
    }

    /// A cheap handle on the same store acting as `user_name`: the same methods, with that user's access
    /// rights (what it may see and change) and named in history. Raises NotFoundError for an unknown user.
    fn as_user(&self, py: Python<'_>, user_name: String) -> PyResult<Crm> {
        let name = user_name.clone();
        let canonical = self.engine.run(py, Access::Read, move |crm| Ok(crm.user(&name)?.user_name))?;
        Ok(Crm { engine: Arc::new(self.engine.as_user(canonical)), path: self.path.clone() })
    }

    /// Sets the acting user (named in history and `modifiedby`, default owner of new records).
    fn set_user(&self, py: Python<'_>, user_name: String) -> PyResult<()> {
        self.engine.run(py, Access::Read, move |crm| Ok(crm.set_actor(&user_name)?))
    }

    /// Closes the database. Every later call raises `CrmError`; closing twice is fine.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        self.engine.close(py)
    }

    fn __enter__(slf: Bound<'_, Self>) -> PyResult<Bound<'_, Self>> {
        if slf.get().engine.is_closed(slf.py())? {
            return Err(Failure::Closed.into());
        }
        Ok(slf)
    }

    #[pyo3(signature = (_exc_type = None, _exc_value = None, _traceback = None))]
    fn __exit__(
        &self,
        py: Python<'_>,
        _exc_type: Option<&Bound<'_, PyType>>,
        _exc_value: Option<&Bound<'_, PyAny>>,
        _traceback: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        self.engine.close(py)?;
        Ok(false)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let state = if self.engine.is_closed(py).unwrap_or(false) { " closed" } else { "" };
        format!("<crm.Crm {:?}{state}>", self.path)
    }

    // ----- users and groups -----

    /// Registers a user; returns it as a dict. `language` (`"fa_ir"`, `"en_us"`; default: the store's) is
    /// the language labels, messages and exports are in while this user acts; `is_admin` makes them an
    /// administrator (every access right).
    #[pyo3(signature = (user_name, *, full_name = None, email = None, role = None, is_admin = false, language = None))]
    #[allow(clippy::too_many_arguments)]
    fn add_user(
        &self,
        py: Python<'_>,
        user_name: String,
        full_name: Option<String>,
        email: Option<String>,
        role: Option<String>,
        is_admin: bool,
        language: Option<String>,
    ) -> PyResult<UserOut> {
        let new =
            NewUser { user_name, full_name: full_name.unwrap_or_default(), email: email.unwrap_or_default(), role, is_admin, language };
        self.engine.run(py, Access::Read, move |crm| Ok(crm.add_user(new)?.into()))
    }

    /// Registers a group with members given by user name; returns it as a dict.
    #[pyo3(signature = (name, members = Vec::new()))]
    fn add_group(&self, py: Python<'_>, name: String, members: Vec<String>) -> PyResult<GroupOut> {
        self.engine.run(py, Access::Read, move |crm| {
            let refs: Vec<&str> = members.iter().map(String::as_str).collect();
            Ok(crm.add_group(&name, &refs)?.into())
        })
    }

    /// Every registered user.
    fn users(&self, py: Python<'_>) -> PyResult<Vec<UserOut>> {
        self.engine.run(py, Access::Read, |crm| Ok(crm.users()?.into_iter().map(UserOut::from).collect()))
    }

    /// One user by user name (ignoring case).
    fn user_info(&self, py: Python<'_>, user_name: String) -> PyResult<UserOut> {
        self.engine.run(py, Access::Read, move |crm| Ok(UserOut::from(crm.user(&user_name)?)))
    }

    /// An owner (a user or a group) by id (int) or by user name, full name or group name (str, ignoring
    /// case): `{"kind": "user", "id": 1, "user_name": ...}` or `{"kind": "group", "id": 3, "name": ...,
    /// "members": [...]}`; None when there is none.
    fn owner<'py>(&self, py: Python<'py>, owner: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let key: Result<i64, String> = if owner.is_instance_of::<pyo3::types::PyInt>() {
            Ok(owner.extract()?)
        } else {
            Err(owner
                .extract::<String>()
                .map_err(|_| pyo3::exceptions::PyTypeError::new_err("an owner is given by id (int) or name (str)"))?)
        };
        let found = self.engine.run(py, Access::Read, move |crm| {
            Ok(match &key {
                Ok(id) => crm.owner(crm_core::OwnerId(*id))?,
                Err(name) => crm.find_owner(name)?,
            })
        })?;
        crate::json::to_py(py, &found)
    }

    /// Every registered group.
    fn groups(&self, py: Python<'_>) -> PyResult<Vec<GroupOut>> {
        self.engine.run(py, Access::Read, |crm| Ok(crm.groups()?.into_iter().map(GroupOut::from).collect()))
    }

    // ----- schema -----

    /// The module names (`Potentials`, `Accounts`, ...).
    fn modules(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        self.engine.run(py, Access::Read, |crm| {
            crm.refresh_schema()?; // another handle on the same database may have changed it
            Ok(crm.schema().modules.keys().cloned().collect())
        })
    }

    /// The fields of a module (by name or label), in layout order, as dicts; labels in the acting user's
    /// language (theirs, else the store's: `set_language`).
    fn fields(&self, py: Python<'_>, module: String) -> PyResult<Vec<FieldOut>> {
        self.engine.run(py, Access::Read, move |crm| {
            crm.refresh_schema()?; // another handle on the same database may have changed it
            Ok(crm.fields(&module)?.iter().map(FieldOut::from).collect())
        })
    }

    /// The values of a picklist, in display order. `field` is a field name (`"sales_stage"`), a picklist
    /// name, or a `(module, field)` pair.
    fn picklist_values(&self, py: Python<'_>, field: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
        let (module, name): (Option<String>, String) = if let Ok(s) = field.cast::<PyString>() {
            (None, s.to_cow()?.into_owned())
        } else if let Ok(t) = field.cast::<PyTuple>() {
            t.extract().map(|(m, f): (String, String)| (Some(m), f))?
        } else {
            return Err(pyo3::exceptions::PyTypeError::new_err("field is a str or a (module, field) tuple"));
        };
        self.engine.run(py, Access::Read, move |crm| {
            crm.refresh_schema()?; // another handle on the same database may have changed it
            let schema = crm.schema();
            let picklist = match &module {
                Some(m) => {
                    let module = crm.module(m)?;
                    let f = module
                        .field_by_name_or_label(&name)
                        .ok_or_else(|| crm_core::Error::NotFound(format!("field '{name}' of {}", module.name)))?;
                    f.picklist_name()
                        .ok_or_else(|| {
                            crm_core::Error::InvalidArgument(format!("field '{}' of {} is not a picklist", f.name, module.name))
                        })?
                        .to_string()
                }
                None => match schema.picklist(&name) {
                    Some(p) => p.name.clone(),
                    None => schema
                        .modules
                        .values()
                        .flat_map(|m| m.fields.iter())
                        .find(|f| f.name == name && f.picklist_name().is_some())
                        .and_then(|f| f.picklist_name())
                        .map(str::to_string)
                        .ok_or_else(|| crm_core::Error::NotFound(format!("picklist field '{name}'")))?,
                },
            };
            let p = schema.picklist(&picklist).ok_or_else(|| crm_core::Error::NotFound(format!("picklist '{picklist}'")))?;
            Ok(p.values.iter().map(|v| v.value.clone()).collect())
        })
    }
}
