//! Conversions between Python objects and crm values, records, conditions.
//!
//! Python → [`Value`] (input of create/update and of conditions):
//! `None` → empty; `bool`; `int` (beyond 64 bits: its digits as text, which a decimal field accepts);
//! `decimal.Decimal` → exact decimal (never through float); `float` → the shortest text that round-trips
//! (`0.1` stays `0.1`; pass `Decimal` or text to keep every digit); `str` (parsed by the field's type);
//! `datetime.datetime` (aware ones converted to UTC, naive ones read as UTC), `datetime.date`, `datetime.time`; `list`/`tuple`/`set`
//! of `str` → multi-select; a record dict (with an `"id"`) → its id, for reference fields.
//!
//! [`Value`] → Python (records): currency/decimal/percent → `Decimal`, dates → `date`, date-times → aware
//! `datetime` in UTC (`tzinfo=datetime.timezone.utc`: the store keeps date-times in UTC), checkboxes → `bool`, multi-select → `list[str]`, references and owners → `int`,
//! empty → `None`.

use crate::errors::invalid;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime};
use crm_core::wire::{self, ConditionSpec, QuerySpec, SortSpec};
use crm_core::{Condition, Fields, Op, Query, Record, Value};
use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBool, PyDate, PyDateTime, PyDict, PyFloat, PyFrozenSet, PyInt, PyList, PyMapping, PySequence, PySet, PyString, PyTime, PyTuple,
    PyType,
};
use rust_decimal::Decimal;
use std::str::FromStr;
use std::sync::Arc;

static DECIMAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();

fn is_decimal(v: &Bound<'_, PyAny>) -> PyResult<bool> {
    v.is_instance(DECIMAL.import(v.py(), "decimal", "Decimal")?)
}

/// Converts one Python value for field `field` (named in error messages).
pub fn to_value(field: &str, v: &Bound<'_, PyAny>) -> PyResult<Value> {
    to_value_at(field, v, 0)
}

/// [`to_value`] inside `depth` record dicts (`{"id": ...}`), bounded so that a dict holding itself as its
/// `id` is an error, not an endless recursion.
fn to_value_at(field: &str, v: &Bound<'_, PyAny>, depth: usize) -> PyResult<Value> {
    if v.is_none() {
        return Ok(Value::Null);
    }
    if v.is_instance_of::<PyBool>() {
        return Ok(Value::Bool(v.extract()?));
    }
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(Value::Text(s.to_cow()?.into_owned()));
    }
    if v.is_instance_of::<PyInt>() {
        return Ok(match v.extract::<i64>() {
            Ok(i) => Value::Int(i),
            Err(_) => Value::Text(v.str()?.to_cow()?.into_owned()),
        });
    }
    if is_decimal(v)? {
        let text = v.str()?.to_cow()?.into_owned();
        // Decimal's own text, parsed exactly; NaN, infinities or >28 digits stay text and fail validation.
        return Ok(Decimal::from_str(&text).or_else(|_| Decimal::from_scientific(&text)).map(Value::Decimal).unwrap_or(Value::Text(text)));
    }
    if v.is_instance_of::<PyFloat>() {
        return Ok(Value::Text(v.repr()?.to_cow()?.into_owned()));
    }
    if v.is_instance_of::<PyDateTime>() {
        if let Ok(d) = v.extract::<NaiveDateTime>() {
            return Ok(Value::DateTime(d));
        }
        let d: DateTime<FixedOffset> = v.extract()?;
        return Ok(Value::DateTime(d.naive_utc()));
    }
    if v.is_instance_of::<PyDate>() {
        return Ok(Value::Date(v.extract::<NaiveDate>()?));
    }
    if v.is_instance_of::<PyTime>() {
        return Ok(Value::Time(v.extract::<NaiveTime>()?));
    }
    if let Ok(d) = v.cast::<PyDict>()
        && let Some(id) = d.get_item(intern!(v.py(), "id"))?
    {
        if depth >= crm_core::limits::MAX_BINDING_DEPTH {
            return Err(crate::json::too_deep());
        }
        return to_value_at(field, &id, depth + 1);
    }
    if v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>() || v.is_instance_of::<PySet>() || v.is_instance_of::<PyFrozenSet>() {
        let mut out = Vec::new();
        for item in v.try_iter()? {
            let item = item?;
            match item.cast::<PyString>() {
                Ok(s) => out.push(s.to_cow()?.into_owned()),
                Err(_) => {
                    return Err(PyTypeError::new_err(format!("field '{field}': list items must be str, got {}", item.get_type().name()?)));
                }
            }
        }
        return Ok(Value::List(out));
    }
    // numpy integers and similar: anything with __index__.
    if let Ok(i) = v.extract::<i64>() {
        return Ok(Value::Int(i));
    }
    Err(PyTypeError::new_err(format!("field '{field}': unsupported value of type {}", v.get_type().name()?)))
}

/// Converts a mapping of field name → value. The wire record's reserved keys (`id`, `module`, `label`,
/// `version`, `deleted`) are ignored, so a record dict can be edited and handed back.
pub fn to_fields(fields: &Bound<'_, PyAny>) -> PyResult<Fields> {
    let map = fields.cast::<PyMapping>().map_err(|_| PyTypeError::new_err("fields must be a dict (field name -> value)"))?;
    let mut out = Fields::new();
    for item in map.items()?.iter() {
        let (k, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item.extract()?;
        let key = k.cast::<PyString>().map_err(|_| PyTypeError::new_err("field names must be str"))?.to_cow()?.into_owned();
        if wire::is_reserved(&key) {
            continue;
        }
        let value = to_value(&key, &v)?;
        out.set(key, value);
    }
    Ok(out)
}

/// Reads a record id: an `int`, or a record dict.
pub fn to_id(id: &Bound<'_, PyAny>) -> PyResult<crm_core::RecordId> {
    to_id_at(id, 0)
}

fn to_id_at(id: &Bound<'_, PyAny>, depth: usize) -> PyResult<crm_core::RecordId> {
    if let Ok(d) = id.cast::<PyDict>()
        && let Some(v) = d.get_item(intern!(id.py(), "id"))?
    {
        if depth >= crm_core::limits::MAX_BINDING_DEPTH {
            return Err(crate::json::too_deep());
        }
        return to_id_at(&v, depth + 1);
    }
    if id.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err("a record id is an int, not a bool"));
    }
    id.extract::<i64>().map(crm_core::RecordId).map_err(|_| PyTypeError::new_err("a record id is an int (or a record dict)"))
}

/// Builds one condition of crm-core's wire spec from `(field, op, value)`, `(field, op)`, `{"any": [...]}`,
/// `{"all": [...]}` or `{"not": cond}`.
///
/// `depth` is the nesting level of `c` (1 for a top-level condition); a tree deeper than
/// [`MAX_QUERY_DEPTH`](crm_core::limits::MAX_QUERY_DEPTH), or one that contains itself, is an
/// `InvalidArgumentError` naming the limit, found before the tree is built.
fn to_condition(c: &Bound<'_, PyAny>, depth: usize) -> PyResult<ConditionSpec> {
    let max = crm_core::limits::MAX_QUERY_DEPTH;
    if depth > max {
        return Err(invalid(format!(
            "the query condition nests deeper than {max} levels (or contains itself); the limit is {max} (limits::MAX_QUERY_DEPTH)"
        )));
    }
    if let Ok(d) = c.cast::<PyDict>() {
        if d.len() != 1 {
            return Err(invalid("a condition dict has exactly one key: any, all or not"));
        }
        let (k, v): (String, Bound<'_, PyAny>) = d.items().get_item(0)?.extract()?;
        return match k.as_str() {
            "any" => Ok(ConditionSpec::Any(to_condition_list(&v, depth + 1)?)),
            "all" => Ok(ConditionSpec::All(to_condition_list(&v, depth + 1)?)),
            "not" => Ok(ConditionSpec::Not(Box::new(to_condition(&v, depth + 1)?))),
            other => Err(invalid(format!("unknown condition key '{other}' (use any, all or not)"))),
        };
    }
    let t = c
        .cast::<PyTuple>()
        .map_err(|_| PyTypeError::new_err("a condition is a tuple (field, op, value) or a dict {'any'|'all'|'not': ...}"))?;
    if !(2..=3).contains(&t.len()) {
        return Err(invalid(format!("a condition tuple has 2 or 3 items, got {}", t.len())));
    }
    let field: String = t.get_item(0)?.extract().map_err(|_| PyTypeError::new_err("a condition's field is a str"))?;
    let op_text: String = t.get_item(1)?.extract().map_err(|_| PyTypeError::new_err("a condition's operator is a str"))?;
    // An unknown operator is refused by the wire spec; the tuple's third item is read by the operator.
    let op = Op::parse(&op_text);
    let mut values = Vec::new();
    if t.len() == 3 {
        let v = t.get_item(2)?;
        let many = matches!(op, Some(Op::In | Op::Between))
            && (v.is_instance_of::<PyList>()
                || v.is_instance_of::<PyTuple>()
                || v.is_instance_of::<PySet>()
                || v.is_instance_of::<PyFrozenSet>());
        if many {
            for item in v.try_iter()? {
                values.push(to_value(&field, &item?)?);
            }
        } else if !(v.is_none() && matches!(op, Some(Op::IsEmpty | Op::IsNotEmpty))) {
            values.push(to_value(&field, &v)?);
        }
    }
    Ok(ConditionSpec::compare(field, op_text, values))
}

fn to_condition_list(v: &Bound<'_, PyAny>, depth: usize) -> PyResult<Vec<ConditionSpec>> {
    if v.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err("conditions are a list of tuples"));
    }
    let seq = v.cast::<PySequence>().map_err(|_| PyTypeError::new_err("conditions are a list of tuples"))?;
    let mut out = Vec::new();
    for item in seq.try_iter()? {
        out.push(to_condition(&item?, depth)?);
    }
    Ok(out)
}

/// Converts `where`: `None`, a list of conditions (all must hold), a single condition, or a dict
/// `{field: value}` meaning equality.
pub fn to_where(w: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Condition>> {
    let spec = to_where_spec(w)?;
    spec.map(|c| c.into_condition().map_err(|e| crate::errors::Failure::Core(e).into())).transpose()
}

/// `where` as crm-core's wire condition spec.
fn to_where_spec(w: Option<&Bound<'_, PyAny>>) -> PyResult<Option<ConditionSpec>> {
    let Some(w) = w else { return Ok(None) };
    if w.is_none() {
        return Ok(None);
    }
    if let Ok(d) = w.cast::<PyDict>() {
        let special = d.len() == 1 && d.keys().get_item(0)?.extract::<String>().is_ok_and(|k| matches!(k.as_str(), "any" | "all" | "not"));
        if special {
            return Ok(Some(to_condition(w, 1)?));
        }
        let mut all = Vec::new();
        for (k, v) in d.iter() {
            let field: String = k.extract().map_err(|_| PyTypeError::new_err("field names must be str"))?;
            let value = to_value(&field, &v)?;
            let op = if value.is_empty() { "is empty" } else { "=" };
            let values = if value.is_empty() { vec![] } else { vec![value] };
            all.push(ConditionSpec::compare(field, op, values));
        }
        return Ok(Some(ConditionSpec::All(all)));
    }
    if w.is_instance_of::<PyTuple>() {
        return Ok(Some(to_condition(w, 1)?));
    }
    Ok(Some(ConditionSpec::All(to_condition_list(w, 2)?)))
}

/// Builds a query from the common keyword arguments of `find`, `count`, `iter`, `page`, `aggregate`,
/// through crm-core's wire spec ([`crm_core::wire::QuerySpec`], the one the C API reads as JSON).
pub fn to_query(
    module: &str,
    r#where: Option<&Bound<'_, PyAny>>,
    order_by: Option<&Bound<'_, PyAny>>,
    limit: Option<u64>,
    offset: u64,
    deleted: bool,
) -> PyResult<Query> {
    let mut spec = QuerySpec::new(module);
    spec.conditions.extend(to_where_spec(r#where)?);
    if let Some(o) = order_by {
        if let Ok(s) = o.cast::<PyString>() {
            for key in s.to_cow()?.split(',').filter(|k| !k.trim().is_empty()) {
                spec.sort.push(SortSpec::Key(key.to_string()));
            }
        } else if !o.is_none() {
            for key in o.try_iter()? {
                let key: String = key?.extract().map_err(|_| PyTypeError::new_err("order_by is a str or a list of str"))?;
                spec.sort.push(SortSpec::Key(key));
            }
        }
    }
    spec.limit = limit;
    spec.offset = offset;
    spec.deleted = deleted;
    spec.into_query().map_err(|e| crate::errors::Failure::Core(e).into())
}

/// Converts a value into its Python object.
pub fn from_value<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Text(s) if s.trim().is_empty() => py.None().into_bound(py),
        Value::Text(s) => PyString::new(py, s).into_any(),
        Value::Int(i) => i.into_pyobject(py)?.into_any(),
        Value::Decimal(d) => d.into_pyobject(py)?,
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Date(d) => d.into_pyobject(py)?.into_any(),
        Value::DateTime(d) => d.and_utc().into_pyobject(py)?.into_any(), // stored in UTC: an aware datetime
        Value::Time(t) => t.into_pyobject(py)?.into_any(),
        Value::List(l) if l.is_empty() => py.None().into_bound(py),
        Value::List(l) => PyList::new(py, l)?.into_any(),
        Value::Ref(r) => r.0.into_pyobject(py)?.into_any(),
        Value::Owner(o) => o.0.into_pyobject(py)?.into_any(),
    })
}

/// A module layout and its field names as Python strings.
type LayoutKeys<'py> = (Arc<[String]>, Vec<Bound<'py, PyString>>);

/// Records in crm-core's wire form ([`crm_core::wire::Record`]), ready to become dicts.
pub struct Rows {
    /// The records, each with every field of its module in layout order.
    pub records: Vec<wire::Record>,
}

impl Rows {
    /// The wire records of `records` (call inside the engine lock).
    pub fn new(crm: &crm_core::Crm, records: Vec<Record>) -> crm_core::Result<Rows> {
        Ok(Rows { records: wire::records(crm, &records)? })
    }

    /// The records as dicts: the wire record's keys `id`, `module`, `label`, `version`, `deleted`, then
    /// every field of the module in layout order (None when empty).
    pub fn into_dicts(self, py: Python<'_>) -> PyResult<Vec<Bound<'_, PyDict>>> {
        // Field-name strings are made once per module layout (records of a module share it).
        let mut keys: Vec<LayoutKeys<'_>> = Vec::new();
        let mut out = Vec::with_capacity(self.records.len());
        for r in &self.records {
            let idx = match keys.iter().position(|(c, _)| Arc::ptr_eq(c, &r.columns)) {
                Some(i) => i,
                None => {
                    keys.push((Arc::clone(&r.columns), r.columns.iter().map(|c| PyString::new(py, c)).collect()));
                    keys.len() - 1
                }
            };
            out.push(wire_dict(py, r, &keys[idx].1)?);
        }
        Ok(out)
    }

    /// The single record as a dict.
    pub fn into_dict(self, py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
        self.into_dicts(py)?.into_iter().next().ok_or_else(|| invalid("no record"))
    }
}

/// One wire record as a dict; `keys` are its columns as Python strings.
fn wire_dict<'py>(py: Python<'py>, r: &wire::Record, keys: &[Bound<'py, PyString>]) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item(intern!(py, "id"), r.id.0)?;
    d.set_item(intern!(py, "module"), &r.module)?;
    d.set_item(intern!(py, "label"), &r.label)?;
    d.set_item(intern!(py, "version"), r.version)?;
    d.set_item(intern!(py, "deleted"), r.deleted)?;
    for (key, v) in keys.iter().zip(&r.values) {
        d.set_item(key, from_value(py, v)?)?;
    }
    Ok(d)
}

/// A record as a dict where no schema is at hand (the record handed to a workflow function): the wire
/// record's reserved keys and the non-empty fields ([`crm_core::wire::Record::sparse`]).
pub fn sparse_dict<'py>(py: Python<'py>, r: &Record) -> PyResult<Bound<'py, PyDict>> {
    let w = wire::Record::sparse(r);
    let keys: Vec<_> = w.columns.iter().map(|c| PyString::new(py, c)).collect();
    wire_dict(py, &w, &keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_core::{OwnerId, RecordId};
    use pyo3::types::PyAnyMethods;

    fn roundtrip(py: Python<'_>, v: Value) -> Value {
        let obj = from_value(py, &v).unwrap();
        to_value("f", &obj).unwrap()
    }

    #[test]
    fn every_value_converts_to_python_and_back() {
        Python::initialize();
        Python::attach(|py| {
            let d = Decimal::from_str("12345678901234567890.12").unwrap();
            assert_eq!(roundtrip(py, Value::Decimal(d)), Value::Decimal(d));
            let date = NaiveDate::from_ymd_opt(2027, 3, 31).unwrap();
            assert_eq!(roundtrip(py, Value::Date(date)), Value::Date(date));
            let dt = date.and_hms_opt(9, 30, 5).unwrap();
            assert_eq!(roundtrip(py, Value::DateTime(dt)), Value::DateTime(dt));
            let t = NaiveTime::from_hms_opt(23, 59, 0).unwrap();
            assert_eq!(roundtrip(py, Value::Time(t)), Value::Time(t));
            assert_eq!(roundtrip(py, Value::Bool(true)), Value::Bool(true));
            assert_eq!(roundtrip(py, Value::Int(-7)), Value::Int(-7));
            assert_eq!(roundtrip(py, Value::Text("é".into())), Value::Text("é".into()));
            let list = Value::List(vec!["a".into(), "b".into()]);
            assert_eq!(roundtrip(py, list.clone()), list);
            assert!(from_value(py, &list).unwrap().is_instance_of::<PyList>());
            assert_eq!(roundtrip(py, Value::Ref(RecordId(5))), Value::Int(5));
            assert_eq!(roundtrip(py, Value::Owner(OwnerId(6))), Value::Int(6));
            assert!(from_value(py, &Value::Null).unwrap().is_none());
            assert!(from_value(py, &Value::List(vec![])).unwrap().is_none());
            assert!(from_value(py, &Value::Text(" ".into())).unwrap().is_none());
        });
    }

    #[test]
    fn python_inputs_convert_without_floats_for_decimals() {
        Python::initialize();
        Python::attach(|py| {
            let eval = |code: &str| py.eval(&std::ffi::CString::new(code).unwrap(), None, None).unwrap();
            let dec = py.import("decimal").unwrap();
            let d = dec.getattr("Decimal").unwrap().call1(("0.1000000000000000055511151231257827",)).unwrap();
            assert_eq!(to_value("f", &d).unwrap(), Value::Decimal(Decimal::from_str("0.1000000000000000055511151231257827").unwrap()));
            assert_eq!(to_value("f", &eval("0.1")).unwrap(), Value::Text("0.1".into()));
            assert_eq!(to_value("f", &eval("10**30")).unwrap(), Value::Text("1000000000000000000000000000000".into()));
            assert_eq!(to_value("f", &eval("True")).unwrap(), Value::Bool(true));
            assert_eq!(to_value("f", &eval("('x', 'y')")).unwrap(), Value::List(vec!["x".into(), "y".into()]));
            assert_eq!(to_value("f", &eval("{'id': 9, 'module': 'Accounts'}")).unwrap(), Value::Int(9));
            assert!(to_value("f", &eval("object()")).is_err());
            let nan = dec.getattr("Decimal").unwrap().call1(("NaN",)).unwrap();
            assert_eq!(to_value("f", &nan).unwrap(), Value::Text("NaN".into()));
        });
    }
}
