//! The change feed of `crm.Crm`: `changes`, `changes_position`, `trim_changes`, and `watch`, an iterator
//! that waits for new changes (sleeping with the interpreter released, interruptible by Ctrl-C).
//!
//! Events are dicts with the keys of crm-core's wire shape ([`crm_core::ChangeEvent`]): `position`,
//! `record`, `module`, `kind`, `actor`, `at` (a `datetime`), `related`, `changes` (`field`, `before`, `after`).

use crate::crm::Crm;
use crate::engine::{Access, Engine};
use crate::records::ChangeOut;
use chrono::{DateTime, Utc};
use crm_core::ChangeEvent;
use pyo3::prelude::*;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The longest the watcher sleeps with the interpreter released before it checks for Ctrl-C.
const SIGNAL_CHECK: Duration = Duration::from_millis(50);

/// One event of the feed, as a dict.
#[derive(IntoPyObject)]
pub struct EventOut {
    position: i64,
    record: Option<i64>,
    module: String,
    kind: &'static str,
    actor: String,
    at: DateTime<Utc>,
    related: Option<i64>,
    changes: Vec<ChangeOut>,
}

impl From<ChangeEvent> for EventOut {
    fn from(e: ChangeEvent) -> Self {
        EventOut {
            position: e.position,
            record: e.record.map(|r| r.0),
            module: e.module,
            kind: e.kind.as_str(),
            actor: e.actor,
            at: e.at.and_utc(),
            related: e.related.map(|r| r.0),
            changes: e.changes.into_iter().map(ChangeOut::from).collect(),
        }
    }
}

/// Reads one page of the feed with the interpreter released.
fn page(engine: &Engine, py: Python<'_>, since: Option<i64>, limit: u64, modules: &[String]) -> PyResult<Vec<ChangeEvent>> {
    engine.run(py, Access::Read, move |crm| {
        let modules: Vec<&str> = modules.iter().map(String::as_str).collect();
        Ok(crm.changes(since, limit, &modules)?)
    })
}

#[pymethods]
impl Crm {
    /// The committed changes after position `since` (`None`: from the oldest kept), oldest first: at most
    /// `limit` (1..=10 000), only of `modules` (every module when `None`). Pass the last event's
    /// `position` as the next `since`; an empty list means nothing newer yet. A position older than what
    /// the change log keeps raises `FeedPositionExpiredError`.
    // 1000 is crm_core::feed::DEFAULT_PAGE, written as a literal so that the signature shows it.
    #[pyo3(signature = (since = None, limit = 1000, modules = None))]
    fn changes(&self, py: Python<'_>, since: Option<i64>, limit: u64, modules: Option<Vec<String>>) -> PyResult<Vec<EventOut>> {
        let events = page(&self.engine, py, since, limit, &modules.unwrap_or_default())?;
        Ok(events.into_iter().map(EventOut::from).collect())
    }

    /// The current end of the feed: the position of the newest committed change (0 when there is none).
    fn changes_position(&self, py: Python<'_>) -> PyResult<i64> {
        self.engine.run(py, Access::Read, |crm| Ok(crm.changes_position()?))
    }

    /// Removes the change log up to and including position `through` (the records' history of those
    /// changes too); returns how many entries went. Asking for changes after an older position then raises
    /// `FeedPositionExpiredError`.
    fn trim_changes(&self, py: Python<'_>, through: i64) -> PyResult<u64> {
        self.engine.run(py, Access::Write, move |crm| Ok(crm.trim_changes(through)?))
    }

    /// An iterator over the changes after `since` (`None`: from the oldest kept; pass `changes_position()`
    /// for new changes only) that never ends: at the end of the feed it sleeps `poll_interval` seconds
    /// (the interpreter released, Ctrl-C honoured) and asks again.
    #[pyo3(signature = (since = None, poll_interval = 1.0, modules = None, limit = 1000))]
    fn watch(&self, since: Option<i64>, poll_interval: f64, modules: Option<Vec<String>>, limit: u64) -> PyResult<ChangeWatch> {
        if !poll_interval.is_finite() || poll_interval <= 0.0 || poll_interval > 86_400.0 {
            return Err(crate::errors::invalid(format!("poll_interval must be between 0 and 86400 seconds, not {poll_interval}")));
        }
        crm_core::limits::log_page(limit).map_err(crate::errors::Failure::from)?;
        Ok(ChangeWatch {
            engine: Arc::clone(&self.engine),
            position: since,
            modules: modules.unwrap_or_default(),
            limit,
            poll: Duration::from_secs_f64(poll_interval),
            buffer: VecDeque::new(),
        })
    }
}

/// The iterator `Crm.watch` returns.
#[pyclass(module = "crm_engine", name = "ChangeWatch")]
pub struct ChangeWatch {
    engine: Arc<Engine>,
    position: Option<i64>,
    modules: Vec<String>,
    limit: u64,
    poll: Duration,
    buffer: VecDeque<ChangeEvent>,
}

#[pymethods]
impl ChangeWatch {
    /// The position of the last event handed out (where a restarted consumer resumes), `None` before one.
    #[getter]
    fn position(&self) -> Option<i64> {
        self.position
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&mut self, py: Python<'_>) -> PyResult<EventOut> {
        loop {
            if let Some(e) = self.buffer.pop_front() {
                self.position = Some(e.position);
                return Ok(EventOut::from(e));
            }
            let events = page(&self.engine, py, self.position, self.limit, &self.modules)?;
            if !events.is_empty() {
                self.buffer.extend(events);
                continue;
            }
            let until = Instant::now() + self.poll;
            loop {
                let left = until.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                py.detach(|| std::thread::sleep(left.min(SIGNAL_CHECK)));
                py.check_signals()?;
            }
        }
    }
}
