//! The shared engine behind a `crm.Crm` object: one `crm_core::Crm` in a `Mutex`, run detached.
//!
//! Every call follows the same three steps (engineering.md B.17, P9, P15):
//! 1. convert the Python arguments into owned Rust values while attached;
//! 2. `py.detach(...)`: lock the mutex, run the engine, catch any panic — other Python threads run meanwhile;
//! 3. convert the result back while attached.
//!
//! The mutex is only ever locked inside `detach`, so an attached thread never waits on it (no GIL/mutex
//! deadlock). A panic inside the engine becomes `crm.CrmError` with code `"internal"` and leaves the handle
//! unusable instead of unwinding into Python.

use crate::errors::Failure;
use crm_core::Crm;
use pyo3::prelude::*;
use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Mutex, MutexGuard};

thread_local! {
    /// True while this thread holds an engine's mutex. Workflow functions and mailers written in Python run
    /// while the mutex is held (on the same thread); a call back into a `Crm` from there would wait forever
    /// on the mutex, so it fails with [`Failure::Reentrant`] instead.
    static HELD: Cell<bool> = const { Cell::new(false) };
}

/// Clears [`HELD`] when the engine call ends (also on panic).
struct HeldGuard;

impl HeldGuard {
    fn enter() -> Result<HeldGuard, Failure> {
        if HELD.with(Cell::get) {
            return Err(Failure::Reentrant);
        }
        HELD.with(|h| h.set(true));
        Ok(HeldGuard)
    }
}

impl Drop for HeldGuard {
    fn drop(&mut self) {
        HELD.with(|h| h.set(false));
    }
}

/// Whether an operation changes data (and so needs the acting user to be resolved).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Reads, and set-up calls such as `add_user`.
    Read,
    /// Creates, updates, deletes.
    Write,
}

enum State {
    Open { crm: Box<Crm>, pending_actor: Option<String> },
    Closed,
    Broken(String),
}

/// The engine and its state, shared by a `Crm` object and its iterators (and by the `as_user` handles
/// of the same store, each with its own acting user).
pub struct Engine {
    state: std::sync::Arc<Mutex<State>>,
    /// An `as_user` handle's user: acts as this user for each call (resolved once, then kept).
    acting: Option<(String, Mutex<Option<crm_core::User>>)>,
}

impl Engine {
    /// Wraps an opened engine. `actor`, when given and not yet registered, becomes the acting user as soon
    /// as it is added.
    pub fn new(mut crm: Crm, actor: Option<String>) -> Result<Engine, Failure> {
        let mut pending_actor = None;
        if let Some(name) = actor {
            match crm.set_actor(&name) {
                Ok(()) => {}
                Err(crm_core::Error::NotFound(_)) => pending_actor = Some(name),
                Err(e) => return Err(e.into()),
            }
        }
        Ok(Engine { state: std::sync::Arc::new(Mutex::new(State::Open { crm: Box::new(crm), pending_actor })), acting: None })
    }

    /// A handle on the same engine acting as `user_name` in every call (access control applies as to
    /// that user); the store, its caches and its mutex are shared.
    pub fn as_user(&self, user_name: String) -> Engine {
        Engine { state: std::sync::Arc::clone(&self.state), acting: Some((user_name, Mutex::new(None))) }
    }

    /// Runs `f` as this handle's acting user (an `as_user` handle), then puts the engine's own back.
    fn acting_as<T>(&self, crm: &mut Crm, f: impl FnOnce(&mut Crm) -> Result<T, Failure>) -> Result<T, Failure> {
        let Some((name, resolved)) = &self.acting else { return f(crm) };
        let mut slot = resolved.lock().unwrap_or_else(|p| p.into_inner());
        let user = match slot.as_ref() {
            Some(u) => u.clone(),
            None => {
                let u = crm.user(name)?;
                *slot = Some(u.clone());
                u
            }
        };
        drop(slot);
        let own = crm.replace_actor(Some(user));
        let out = f(crm);
        crm.replace_actor(own);
        out
    }

    /// Runs `f` on the engine in this thread (call it detached).
    pub fn with<T>(&self, access: Access, f: impl FnOnce(&mut Crm) -> Result<T, Failure>) -> Result<T, Failure> {
        let (_held, mut guard) = self.lock()?;
        let (crm, pending_actor) = match &mut *guard {
            State::Open { crm, pending_actor } => (crm, pending_actor),
            State::Closed => return Err(Failure::Closed),
            State::Broken(m) => return Err(Failure::Internal(m.clone())),
        };
        if let Some(name) = pending_actor.as_deref().filter(|_| self.acting.is_none()) {
            if crm.set_actor(name).is_ok() {
                *pending_actor = None;
            } else if access == Access::Write {
                return Err(
                    crm_core::Error::NotFound(format!("acting user '{name}' is not registered; call add_user('{name}') first")).into()
                );
            }
        }
        match catch_unwind(AssertUnwindSafe(|| self.acting_as(crm, f))) {
            Ok(r) => r,
            Err(payload) => {
                let msg = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "panic".to_string());
                *guard = State::Broken(msg.clone());
                Err(Failure::Internal(msg))
            }
        }
    }

    /// Locks the mutex, refusing (instead of deadlocking) when this thread already holds an engine's mutex,
    /// that is from a Python workflow function or mailer called by the engine.
    fn lock(&self) -> Result<(HeldGuard, MutexGuard<'_, State>), Failure> {
        let held = HeldGuard::enter()?;
        Ok((held, self.state.lock().unwrap_or_else(|p| p.into_inner())))
    }

    /// Runs `f` detached from the interpreter and turns failures into Python exceptions.
    pub fn run<T: Send>(&self, py: Python<'_>, access: Access, f: impl FnOnce(&mut Crm) -> Result<T, Failure> + Send) -> PyResult<T> {
        py.detach(|| self.with(access, f)).map_err(PyErr::from)
    }

    /// Closes the engine (drops the store, closing the database). Closing twice is fine.
    pub fn close(&self, py: Python<'_>) -> PyResult<()> {
        py.detach(|| {
            let (_held, mut guard) = self.lock()?;
            if matches!(*guard, State::Open { .. }) {
                *guard = State::Closed;
            }
            Ok::<(), Failure>(())
        })
        .map_err(PyErr::from)
    }

    /// True once closed (or broken).
    pub fn is_closed(&self, py: Python<'_>) -> PyResult<bool> {
        py.detach(|| self.lock().map(|(_held, g)| !matches!(*g, State::Open { .. }))).map_err(PyErr::from)
    }

    /// The acting user's name (or the one waiting to be registered).
    pub fn actor(&self, py: Python<'_>) -> PyResult<Option<String>> {
        if let Some((name, _)) = &self.acting {
            return Ok(Some(name.clone()));
        }
        py.detach(|| {
            let (_held, g) = self.lock()?;
            Ok::<_, Failure>(match &*g {
                State::Open { crm, pending_actor } => pending_actor.clone().or_else(|| crm.actor().map(|u| u.user_name.clone())),
                _ => None,
            })
        })
        .map_err(PyErr::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_internal_error_and_breaks_the_handle() {
        let engine = Engine::new(Crm::open(":memory:").unwrap(), None).unwrap();
        let r: Result<(), Failure> = engine.with(Access::Read, |_| panic!("boom"));
        assert!(matches!(r, Err(Failure::Internal(m)) if m == "boom"));
        let again: Result<u64, Failure> = engine.with(Access::Read, |c| Ok(c.count(crm_core::Query::new("Potentials"))?));
        assert!(matches!(again, Err(Failure::Internal(_))));
    }

    #[test]
    fn a_call_from_inside_an_engine_call_is_refused_not_deadlocked() {
        let engine = Engine::new(Crm::open(":memory:").unwrap(), None).unwrap();
        let other = Engine::new(Crm::open(":memory:").unwrap(), None).unwrap();
        let inner = engine.with(Access::Read, |_| Ok(engine.with(Access::Read, |_| Ok(())).map_err(|f| matches!(f, Failure::Reentrant))));
        assert!(matches!(inner, Ok(Err(true))));
        let across = engine.with(Access::Read, |_| Ok(other.with(Access::Read, |_| Ok(())).is_err()));
        assert!(matches!(across, Ok(true)));
        // The flag is cleared afterwards, also after a panic.
        let _ = engine.with(Access::Read, |_| -> Result<(), Failure> { panic!("boom") });
        assert!(other.with(Access::Read, |_| Ok(())).is_ok());
    }

    #[test]
    fn pending_actor_blocks_writes_until_registered() {
        let engine = Engine::new(Crm::open(":memory:").unwrap(), Some("admin".into())).unwrap();
        let write = |e: &Engine| e.with(Access::Write, |c| Ok(c.create("Accounts", crm_core::Fields::new().with("accountname", "Hooli"))?));
        assert!(matches!(write(&engine), Err(Failure::Core(crm_core::Error::NotFound(_)))));
        engine.with(Access::Read, |c| Ok(c.add_user(crm_core::NewUser::new("admin"))?)).unwrap();
        let rec = write(&engine).unwrap();
        let hist = engine.with(Access::Read, |c| Ok(c.history(rec.id)?)).unwrap();
        assert_eq!(hist[0].actor, "admin");
    }

    #[test]
    fn failures_become_python_exceptions() {
        Python::initialize();
        Python::attach(|py| {
            let e: PyErr = Failure::Closed.into();
            assert!(e.is_instance(py, crate::errors::crm_error(py).unwrap()));
            let v: PyErr = Failure::Core(crm_core::Error::Validation(crm_core::ValidationErrors(vec![crm_core::FieldError::new(
                "amount",
                crm_core::ValidationCode::InvalidType,
                "not a number",
            )])))
            .into();
            assert!(v.is_instance_of::<pyo3::exceptions::PyValueError>(py));
            let errors = v.value(py).getattr("errors").unwrap();
            assert_eq!(errors.len().unwrap(), 1);
            let nf = std::io::Error::from_raw_os_error(2);
            let os: PyErr = Failure::Os(nf, "/nope/x.db".into()).into();
            assert!(os.is_instance_of::<pyo3::exceptions::PyFileNotFoundError>(py));
            assert_eq!(os.value(py).getattr("filename").unwrap().extract::<String>().unwrap(), "/nope/x.db");
            let denied: PyErr = Failure::Os(std::io::Error::from_raw_os_error(13), "/etc/x.db".into()).into();
            assert!(denied.is_instance_of::<pyo3::exceptions::PyPermissionError>(py));
            let io: PyErr =
                Failure::Core(crm_core::Error::Storage(crm_core::StorageError::Io(std::io::Error::other("disk on fire")))).into();
            assert!(io.is_instance_of::<pyo3::exceptions::PyOSError>(py));
            let corrupt: PyErr = Failure::Core(crm_core::Error::Storage(crm_core::StorageError::Corrupt("x".into()))).into();
            assert!(corrupt.is_instance(py, crate::errors::storage_error(py).unwrap()));
        });
    }
}
