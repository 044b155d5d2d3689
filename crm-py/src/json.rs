//! A bridge between Python objects and JSON values, for the definitions crm-core describes with serde
//! (workflows, filters, schema changes, dry-run traces, mails).
//!
//! Python → JSON: dicts, lists/tuples, str, int, bool, None as themselves; `Decimal` as its exact text
//! (crm-core reads decimals from text), `float` as a JSON number, dates/datetimes/times as ISO text.
//! JSON → Python: objects → dict, arrays → list, numbers → int (or float when fractional), text → str.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDate, PyDateTime, PyDict, PyFloat, PyFrozenSet, PyInt, PyList, PyMapping, PySet, PyString, PyTime, PyTuple};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value as J;

/// Converts a Python object into a JSON value.
///
/// Containers nest at most [`MAX_BINDING_DEPTH`](crm_core::limits::MAX_BINDING_DEPTH) levels (a dict that
/// contains itself reaches the limit): deeper is an `InvalidArgumentError` naming the limit.
pub fn to_json(v: &Bound<'_, PyAny>) -> PyResult<J> {
    to_json_at(v, 0)
}

/// The `InvalidArgumentError` for a container nested deeper than the binding limit.
pub fn too_deep() -> PyErr {
    crate::errors::invalid(format!(
        "the value nests deeper than {} levels (or contains itself); the limit is limits::MAX_BINDING_DEPTH",
        crm_core::limits::MAX_BINDING_DEPTH
    ))
}

fn to_json_at(v: &Bound<'_, PyAny>, depth: usize) -> PyResult<J> {
    if v.is_none() {
        return Ok(J::Null);
    }
    if v.is_instance_of::<PyBool>() {
        return Ok(J::Bool(v.extract()?));
    }
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(J::String(s.to_cow()?.into_owned()));
    }
    if v.is_instance_of::<PyInt>() {
        return Ok(match v.extract::<i64>() {
            Ok(i) => J::from(i),
            Err(_) => J::String(v.str()?.to_cow()?.into_owned()),
        });
    }
    if v.is_instance_of::<PyFloat>() {
        let f: f64 = v.extract()?;
        return Ok(serde_json::Number::from_f64(f).map(J::Number).unwrap_or(J::Null));
    }
    if v.is_instance_of::<PyDateTime>() || v.is_instance_of::<PyDate>() || v.is_instance_of::<PyTime>() {
        return Ok(J::String(v.call_method0("isoformat")?.extract()?));
    }
    let container = v.is_instance_of::<PyDict>()
        || v.is_instance_of::<PyList>()
        || v.is_instance_of::<PyTuple>()
        || v.is_instance_of::<PySet>()
        || v.is_instance_of::<PyFrozenSet>()
        || v.cast::<PyMapping>().is_ok();
    let depth = depth + usize::from(container);
    if depth > crm_core::limits::MAX_BINDING_DEPTH {
        return Err(too_deep());
    }
    if let Ok(d) = v.cast::<PyDict>() {
        let mut m = serde_json::Map::new();
        for (k, val) in d.iter() {
            let key = k.cast::<PyString>().map_err(|_| PyTypeError::new_err("dict keys must be str"))?.to_cow()?.into_owned();
            m.insert(key, to_json_at(&val, depth)?);
        }
        return Ok(J::Object(m));
    }
    if v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>() || v.is_instance_of::<PySet>() || v.is_instance_of::<PyFrozenSet>() {
        let mut out = Vec::new();
        for item in v.try_iter()? {
            out.push(to_json_at(&item?, depth)?);
        }
        return Ok(J::Array(out));
    }
    if let Ok(m) = v.cast::<PyMapping>() {
        let mut out = serde_json::Map::new();
        for item in m.items()?.iter() {
            let (k, val): (String, Bound<'_, PyAny>) = item.extract()?;
            out.insert(k, to_json_at(&val, depth)?);
        }
        return Ok(J::Object(out));
    }
    let type_name = v.get_type().name()?.to_string();
    if type_name == "Decimal" {
        return Ok(J::String(v.str()?.to_cow()?.into_owned()));
    }
    Err(PyTypeError::new_err(format!("unsupported value of type {type_name}")))
}

/// Converts a JSON value into a Python object.
pub fn from_json<'py>(py: Python<'py>, j: &J) -> PyResult<Bound<'py, PyAny>> {
    Ok(match j {
        J::Null => py.None().into_bound(py),
        J::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        J::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_pyobject(py)?.into_any(),
            (None, Some(u)) => u.into_pyobject(py)?.into_any(),
            _ => n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any(),
        },
        J::String(s) => PyString::new(py, s).into_any(),
        J::Array(a) => {
            let l = PyList::empty(py);
            for x in a {
                l.append(from_json(py, x)?)?;
            }
            l.into_any()
        }
        J::Object(o) => {
            let d = PyDict::new(py);
            for (k, x) in o {
                d.set_item(k, from_json(py, x)?)?;
            }
            d.into_any()
        }
    })
}

/// Serializes a crm-core value into a Python object (dicts and lists).
pub fn to_py<'py, T: Serialize>(py: Python<'py>, v: &T) -> PyResult<Bound<'py, PyAny>> {
    let j = serde_json::to_value(v).map_err(|e| crate::errors::invalid(e.to_string()))?;
    from_json(py, &j)
}

/// Reads a crm-core value from a Python object (through its serde shape); errors name `what`.
pub fn from_py<T: DeserializeOwned>(v: &Bound<'_, PyAny>, what: &str) -> PyResult<T> {
    let j = to_json(v)?;
    serde_json::from_value(j).map_err(|e| crate::errors::invalid(format!("{what}: {e}")))
}

/// Reads a crm-core value from a JSON value (through its serde shape); errors name `what`.
pub fn from_value<T: DeserializeOwned>(j: J, what: &str) -> Result<T, crate::errors::Failure> {
    serde_json::from_value(j).map_err(|e| crm_core::Error::InvalidArgument(format!("{what}: {e}")).into())
}
