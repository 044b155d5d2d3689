//! Duplicates of `crm.Crm`: `find_duplicates`, `duplicate_page`, `merge`, `add_duplicate_rule`,
//! `drop_duplicate_rule`, `duplicate_rules` (crm-core's `Crm::find_duplicates`, `Crm::merge`,
//! `Crm::add_duplicate_rule`, ...). Shapes are crm-core's `dedupe` types as dicts; a refused rule raises
//! `crm.SchemaError`, a create or update a rule refuses `crm.ValidationError` with code `duplicate`.

use crate::convert::to_id;
use crate::crm::Crm;
use crate::engine::Access;
use crate::json::{from_value, to_json, to_py};
use crm_core::dedupe::{DuplicateSearch, MergeRequest};
use pyo3::prelude::*;

#[pymethods]
impl Crm {
    /// Every group of live records of `module` whose `fields` (default: the module's name field) all match,
    /// normalised (default) or exactly, as lists of record ids (lowest first), ordered by key. Reads a page
    /// of groups at a time.
    #[pyo3(signature = (module, fields = None, *, normalize = true))]
    fn find_duplicates(&self, py: Python<'_>, module: String, fields: Option<Vec<String>>, normalize: bool) -> PyResult<Vec<Vec<i64>>> {
        self.engine.run(py, Access::Read, move |crm| {
            let search = DuplicateSearch { fields: fields.unwrap_or_default(), normalize, ..DuplicateSearch::default() };
            let mut out = Vec::new();
            crm.for_each_duplicate_group(&module, &search, |g| {
                out.push(g.ids.iter().map(|id| id.0).collect());
                true
            })?;
            Ok(out)
        })
    }

    /// One page of duplicate groups: `{"groups": [{"key": .., "ids": [..]}], "next": key or None}`; pass
    /// `next` as `after` for the next page.
    #[pyo3(signature = (module, fields = None, *, normalize = true, after = None, limit = 1000))]
    fn duplicate_page<'py>(
        &self,
        py: Python<'py>,
        module: String,
        fields: Option<Vec<String>>,
        normalize: bool,
        after: Option<String>,
        limit: u64,
    ) -> PyResult<Bound<'py, PyAny>> {
        let page = self.engine.run(py, Access::Read, move |crm| {
            let search = DuplicateSearch { fields: fields.unwrap_or_default(), normalize, after, limit };
            Ok(crm.find_duplicates(&module, &search)?)
        })?;
        to_py(py, &page)
    }

    /// Merges `others` into `keep` (records of `module`) in one transaction: `values` maps a field to the
    /// id of the merge's record to take it from, or to a value. Returns the report; restoring a merged
    /// record undoes its part.
    #[pyo3(signature = (module, keep, others, values = None, *, version = None))]
    fn merge<'py>(
        &self,
        py: Python<'py>,
        module: String,
        keep: &Bound<'py, PyAny>,
        others: Vec<Bound<'py, PyAny>>,
        values: Option<&Bound<'py, PyAny>>,
        version: Option<u64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let keep = to_id(keep)?;
        let others = others.iter().map(to_id).collect::<PyResult<Vec<_>>>()?;
        let values = match values {
            Some(v) => to_json(v)?,
            None => serde_json::Value::Object(Default::default()),
        };
        let request: MergeRequest =
            from_value(serde_json::json!({"keep": keep, "others": others, "values": values, "version": version}), "merge")?;
        let report = self.engine.run(py, Access::Write, move |crm| Ok(crm.merge(&module, &request)?))?;
        to_py(py, &report)
    }

    /// Adds a duplicate-prevention rule: creates, updates and imports of `module` whose normalised
    /// `fields` (names or labels) all match another live record are refused. Returns the rule.
    fn add_duplicate_rule<'py>(&self, py: Python<'py>, module: String, fields: Vec<String>) -> PyResult<Bound<'py, PyAny>> {
        let rule = self.engine.run(py, Access::Write, move |crm| {
            let refs: Vec<&str> = fields.iter().map(String::as_str).collect();
            Ok(crm.add_duplicate_rule(&module, &refs)?)
        })?;
        to_py(py, &rule)
    }

    /// Drops the duplicate-prevention rule of `module` over `fields` (any order).
    fn drop_duplicate_rule(&self, py: Python<'_>, module: String, fields: Vec<String>) -> PyResult<()> {
        self.engine.run(py, Access::Write, move |crm| {
            let refs: Vec<&str> = fields.iter().map(String::as_str).collect();
            Ok(crm.drop_duplicate_rule(&module, &refs).map(|_| ())?)
        })
    }

    /// The duplicate-prevention rules of `module`, in the order they were added.
    fn duplicate_rules<'py>(&self, py: Python<'py>, module: String) -> PyResult<Bound<'py, PyAny>> {
        let list = self.engine.run(py, Access::Read, move |crm| Ok(crm.duplicate_rules(&module)?))?;
        to_py(py, &list)
    }
}
