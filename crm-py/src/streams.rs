//! Python file-like objects as the engine's byte streams: anything with `.read(n)` returning bytes is a
//! reader for imports; anything with `.write` is a writer for exports.
//!
//! A binary writer gets `bytes`. A text stream (an `io.TextIOBase`, e.g. `io.StringIO` or `sys.stdout`)
//! gets `str`: the CSV is UTF-8 and is decoded on whole characters before it is written, so the
//! stream's own encoding applies. A reader must be binary: a `.read` that returns `str` is an error
//! (open the file with `"rb"`).

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};
use std::io::{Error, ErrorKind, Read, Write};

fn io_error(py: Python<'_>, e: PyErr) -> Error {
    let text = e.value(py).to_string();
    Error::other(format!("{}: {text}", e.get_type(py).name().map(|n| n.to_string()).unwrap_or_default()))
}

/// True when `obj` looks like a file (has `.read`).
pub fn is_readable(obj: &Bound<'_, PyAny>) -> bool {
    obj.hasattr("read").unwrap_or(false)
}

/// A Python binary stream as a [`Read`].
pub struct PyReader {
    obj: Py<PyAny>,
}

impl PyReader {
    /// Wraps a file-like object; also returns the bytes left in it when it can seek (for progress totals).
    pub fn new(obj: &Bound<'_, PyAny>) -> (PyReader, Option<u64>) {
        let size = (|| -> PyResult<Option<u64>> {
            if !obj.call_method0("seekable")?.extract::<bool>()? {
                return Ok(None);
            }
            let here: u64 = obj.call_method0("tell")?.extract()?;
            let end: u64 = obj.call_method1("seek", (0, 2))?.extract()?;
            obj.call_method1("seek", (here,))?;
            Ok(Some(end.saturating_sub(here)))
        })()
        .ok()
        .flatten();
        (PyReader { obj: obj.clone().unbind() }, size)
    }
}

impl Read for PyReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        Python::attach(|py| {
            let got = self.obj.call_method1(py, "read", (buf.len(),)).map_err(|e| io_error(py, e))?;
            let got = got.bind(py);
            if got.is_instance_of::<PyString>() {
                return Err(Error::new(ErrorKind::InvalidData, "the file-like object gives str: open it in binary mode (\"rb\")"));
            }
            let bytes = got.cast::<PyBytes>().map_err(|_| Error::new(ErrorKind::InvalidData, "read() must return bytes"))?.as_bytes();
            let n = bytes.len().min(buf.len());
            buf[..n].copy_from_slice(&bytes[..n]);
            Ok(n)
        })
    }
}

/// A Python stream as a [`Write`]: bytes to a binary stream, whole UTF-8 characters as `str` to a text one.
pub struct PyWriter {
    obj: Py<PyAny>,
    text: bool,
    /// The end of a character cut by a buffer boundary (text streams).
    pending: Vec<u8>,
}

impl PyWriter {
    /// Wraps an object with `.write`.
    pub fn new(obj: &Bound<'_, PyAny>) -> PyResult<PyWriter> {
        let io = obj.py().import("io")?;
        let text = obj.is_instance(&io.getattr("TextIOBase")?)?;
        Ok(PyWriter { obj: obj.clone().unbind(), text, pending: Vec::new() })
    }
}

impl Write for PyWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        Python::attach(|py| {
            let r = if self.text {
                self.pending.extend_from_slice(buf);
                let valid = match std::str::from_utf8(&self.pending) {
                    Ok(s) => s.len(),
                    Err(e) if e.error_len().is_none() => e.valid_up_to(),
                    Err(e) => return Err(Error::new(ErrorKind::InvalidData, e)),
                };
                let text = std::str::from_utf8(&self.pending[..valid]).unwrap_or_default().to_string();
                self.pending.drain(..valid);
                self.obj.call_method1(py, "write", (text,))
            } else {
                self.obj.call_method1(py, "write", (PyBytes::new(py, buf),))
            };
            r.map_err(|e| io_error(py, e))?;
            Ok(buf.len())
        })
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.text && !self.pending.is_empty() {
            return Err(Error::new(ErrorKind::InvalidData, "the output ends inside a UTF-8 character"));
        }
        Ok(())
    }
}
