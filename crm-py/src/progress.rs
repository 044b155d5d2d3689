//! Progress of imports and exports in Python: the `progress` argument as crm-core's progress sink, and
//! Ctrl-C between batches.
//!
//! `progress` is a callable, `True` (a tqdm bar) or None. A callable gets `(done, total)` after every
//! batch and at the end (`total` is None when unknown; rows when the source knows its length, else bytes
//! of a file of known size); returning `False` stops the run between batches. `True` shows a tqdm bar on
//! stderr when tqdm is installed; without tqdm it warns once (`RuntimeWarning`) and runs without a bar.
//! Whatever `progress` is, the sink checks for signals between batches: a pending `KeyboardInterrupt`
//! (Ctrl-C) stops the run there — an import keeps its committed batches and its journal says interrupted
//! — and is raised to the caller afterwards, with the import's id as its `import_id` attribute. An
//! exception a callable raises (other than `KeyboardInterrupt`) is reported through
//! `sys.unraisablehook` and does not stop the run.

use crm_core::{Flow, ProgressSink, ProgressUnit, ProgressUpdate};
use pyo3::exceptions::{PyKeyboardInterrupt, PyRuntimeWarning};
use pyo3::prelude::*;
use pyo3::types::PyBool;

/// What `progress=` asked for, as a sink the engine calls with the interpreter detached.
pub struct PySink {
    callback: Option<Py<PyAny>>,
    bar: Option<Py<PyAny>>,
    /// A `KeyboardInterrupt` seen between batches, raised once the run has stopped.
    pub interrupt: Option<PyErr>,
}

impl PySink {
    /// Reads `progress=`: None or False (no reports, only Ctrl-C), True (a tqdm bar), a callable.
    pub fn new(py: Python<'_>, progress: Option<&Bound<'_, PyAny>>) -> PyResult<PySink> {
        let mut sink = PySink { callback: None, bar: None, interrupt: None };
        match progress {
            None => {}
            Some(p) if p.is_none() => {}
            Some(p) if p.is_instance_of::<PyBool>() && p.extract::<bool>()? => sink.bar = tqdm_bar(py)?,
            Some(p) if p.is_instance_of::<PyBool>() => {}
            Some(p) if p.is_callable() => sink.callback = Some(p.clone().unbind()),
            Some(p) => {
                return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                    "progress must be a callable, True or None, not {}",
                    p.get_type().name()?
                )));
            }
        }
        Ok(sink)
    }

    /// Closes the bar and raises a pending `KeyboardInterrupt` (naming `import_id` when there is one).
    pub fn finish(self, py: Python<'_>, import_id: Option<i64>) -> PyResult<()> {
        if let Some(bar) = &self.bar {
            bar.call_method0(py, "close")?;
        }
        match self.interrupt {
            Some(e) => {
                if let Some(id) = import_id {
                    let _ = e.value(py).setattr("import_id", id);
                }
                Err(e)
            }
            None => Ok(()),
        }
    }

    fn update_in(&mut self, py: Python<'_>, u: ProgressUpdate) -> Flow {
        let mut flow = Flow::Continue;
        if let Some(bar) = &self.bar {
            let bar = bar.bind(py);
            let shown = (|| -> PyResult<()> {
                if u.unit == ProgressUnit::Bytes && bar.getattr("unit")?.extract::<String>()? != "B" {
                    bar.setattr("unit", "B")?;
                    bar.setattr("unit_scale", true)?;
                }
                bar.setattr("total", u.total)?;
                bar.setattr("n", u.done)?;
                bar.call_method0("refresh")?;
                Ok(())
            })();
            if let Err(e) = shown {
                e.write_unraisable(py, Some(bar));
            }
        }
        if let Some(cb) = &self.callback {
            match cb.call1(py, (u.done, u.total)) {
                Ok(answer) => {
                    if answer.bind(py).is_instance_of::<PyBool>() && !answer.extract::<bool>(py).unwrap_or(true) {
                        flow = Flow::Stop;
                    }
                }
                Err(e) if e.is_instance_of::<PyKeyboardInterrupt>(py) => {
                    self.interrupt = Some(e);
                    flow = Flow::Stop;
                }
                Err(e) => e.write_unraisable(py, Some(cb.bind(py))),
            }
        }
        // Ctrl-C between batches: the signal handlers run here.
        if let Err(e) = py.check_signals() {
            if self.interrupt.is_none() {
                self.interrupt = Some(e);
            }
            flow = Flow::Stop;
        }
        flow
    }
}

impl ProgressSink for PySink {
    fn update(&mut self, update: ProgressUpdate) -> Flow {
        Python::attach(|py| self.update_in(py, update))
    }
}

/// A tqdm bar, or None with a warning when tqdm is not installed.
fn tqdm_bar(py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
    match py.import("tqdm") {
        Ok(m) => {
            let kwargs = pyo3::types::PyDict::new(py);
            kwargs.set_item("unit", "rows")?;
            Ok(Some(m.getattr("tqdm")?.call((), Some(&kwargs))?.unbind()))
        }
        Err(_) => {
            PyErr::warn(
                py,
                &py.get_type::<PyRuntimeWarning>(),
                c"progress=True shows a bar only when tqdm is installed (pip install tqdm); running without one",
                1,
            )?;
            Ok(None)
        }
    }
}
