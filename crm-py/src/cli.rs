//! `crm_engine._crm.run_cli(argv)`: the `crm` command line (the crm-cli crate's [`crm_cli::run`]) inside
//! the Python package, so `python -m crm_engine import deals.csv` works without a Rust toolchain. It is
//! the same code as the `crm` binary: nothing is re-implemented here.
//!
//! It writes to the process's standard output and error (file descriptors 1 and 2, after flushing
//! Python's `sys.stdout` and `sys.stderr`), as the binary does, and runs detached from the interpreter.

use pyo3::prelude::*;

/// Runs the `crm` command line with `argv` (without the program name) and returns its exit code.
#[pyfunction]
pub fn run_cli(py: Python<'_>, argv: Vec<String>) -> PyResult<i32> {
    let sys = py.import("sys")?;
    for stream in ["stdout", "stderr"] {
        let s = sys.getattr(stream)?;
        if !s.is_none() {
            s.call_method0("flush")?;
        }
    }
    Ok(py.detach(move || {
        let mut out = std::io::stdout().lock();
        let mut err = std::io::stderr().lock();
        let args = std::iter::once("crm".to_string()).chain(argv);
        let code = crm_cli::run(args, &mut out, &mut err);
        let _ = std::io::Write::flush(&mut out);
        code
    }))
}
