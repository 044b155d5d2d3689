//! Saved filters (vtiger custom views), list pages and search of `crm.Crm`.
//!
//! A filter definition is a dict: `name`, `columns` (field names), `all` / `any` (conditions as
//! `(field, comparator, value)` tuples or dicts, comparator a vtiger code `e n s ew c k l g m h b a bw` or an
//! operator name, value text), `std_filter` (`{"field": ..., "range": ...}`), `sort` (`"-closingdate"` keys),
//! `default`, `visibility` (`"public"` default, `"private"`), `owner`.

use crate::convert::{Rows, to_query};
use crate::crm::Crm;
use crate::engine::Access;
use crate::json::{from_value, to_json, to_py};
use crm_core::{Cursor, ViewSettings};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyInt};
use serde_json::Value as J;

/// A filter given by id or name.
pub fn filter_key(v: &Bound<'_, PyAny>) -> PyResult<String> {
    if v.is_instance_of::<PyInt>() {
        return Ok(v.extract::<i64>()?.to_string());
    }
    v.extract::<String>().map_err(|_| pyo3::exceptions::PyTypeError::new_err("a filter is given by id (int) or name (str)"))
}

/// The definition as crm-core's [`crm_core::wire::FilterSpec`] reads it (the JSON C's `crm_filter_save`
/// takes), for `module`.
fn filter_json(module: &str, def: &Bound<'_, PyAny>) -> PyResult<J> {
    let mut j = to_json(def)?;
    let J::Object(m) = &mut j else {
        return Err(crate::errors::invalid("a filter definition is a dict"));
    };
    m.insert("module".into(), J::String(module.to_string()));
    Ok(j)
}

fn page_dict<'py>(py: Python<'py>, rows: Rows, total: u64, page: u64, page_size: u64) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("records", rows.into_dicts(py)?)?;
    d.set_item("total", total)?;
    d.set_item("page", page)?;
    d.set_item("page_size", page_size)?;
    Ok(d)
}

#[pymethods]
impl Crm {
    /// The saved filters of a module the acting user sees, as dicts.
    fn filters<'py>(&self, py: Python<'py>, module: String) -> PyResult<Bound<'py, PyAny>> {
        let fs = self.engine.run(py, Access::Read, move |crm| Ok(crm.filters(&module)?))?;
        to_py(py, &fs)
    }

    /// One filter by id or name.
    fn filter<'py>(&self, py: Python<'py>, module: String, filter: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let key = filter_key(filter)?;
        let f = self.engine.run(py, Access::Read, move |crm| Ok(crm.filter(&module, &key)?))?;
        to_py(py, &f)
    }

    /// Saves a filter (new without `id`, else replaces it) and returns it; see the module notes for the
    /// definition's shape.
    fn save_filter<'py>(&self, py: Python<'py>, module: String, definition: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let j = filter_json(&module, definition)?;
        let f = self.engine.run(py, Access::Write, move |crm| {
            let f: crm_core::wire::FilterSpec = from_value(j, "filter definition")?;
            Ok(crm.save_filter(f.into_filter())?)
        })?;
        to_py(py, &f)
    }

    /// Deletes a filter (by id or name); system filters cannot be deleted.
    fn delete_filter(&self, py: Python<'_>, module: String, filter: &Bound<'_, PyAny>) -> PyResult<()> {
        let key = filter_key(filter)?;
        self.engine.run(py, Access::Write, move |crm| {
            let id = crm.filter(&module, &key)?.id;
            Ok(crm.delete_filter(&module, id)?)
        })
    }

    /// One page of a filter's listing (the default filter when None): `{"filter": dict, "records": [...],
    /// "total", "page", "page_size"}`; `sort` (`"-amount"`) overrides the filter's order.
    #[pyo3(signature = (module, filter = None, *, sort = None, page = 1, page_size = 50))]
    fn list_view<'py>(
        &self,
        py: Python<'py>,
        module: String,
        filter: Option<&Bound<'py, PyAny>>,
        sort: Option<String>,
        page: u64,
        page_size: u64,
    ) -> PyResult<Bound<'py, PyDict>> {
        let key = filter.filter(|f| !f.is_none()).map(filter_key).transpose()?;
        let (f, rows, total, page) = self.engine.run(py, Access::Read, move |crm| {
            let key = match key {
                Some(k) => k,
                None => match crm.default_filter(&module)? {
                    Some(f) => f.id.to_string(),
                    None => {
                        return Err(crm_core::Error::NotFound(format!("a filter of {module}")).into());
                    }
                },
            };
            let lv = crm.list(&module, &key, sort.as_deref(), page, page_size)?;
            Ok((lv.filter, Rows::new(crm, lv.page.records)?, lv.page.total, lv.page.page))
        })?;
        let d = page_dict(py, rows, total, page, page_size)?;
        d.set_item("filter", to_py(py, &f)?)?;
        Ok(d)
    }

    /// Searches every text field of a module for `text` (ignoring case); one page with the total.
    #[pyo3(signature = (module, text, *, page = 1, page_size = 50))]
    fn search<'py>(&self, py: Python<'py>, module: String, text: String, page: u64, page_size: u64) -> PyResult<Bound<'py, PyDict>> {
        let (rows, total, page) = self.engine.run(py, Access::Read, move |crm| {
            let p = crm.search(&module, &text, page, page_size)?;
            Ok((Rows::new(crm, p.records)?, p.total, p.page))
        })?;
        page_dict(py, rows, total, page, page_size)
    }

    /// Per-column search: every `{field: text}` must match (text fields contain the text, owners and
    /// references match by name, other fields equal the value); one page with the total.
    #[pyo3(signature = (module, columns, *, page = 1, page_size = 50))]
    fn search_columns<'py>(
        &self,
        py: Python<'py>,
        module: String,
        columns: &Bound<'py, PyAny>,
        page: u64,
        page_size: u64,
    ) -> PyResult<Bound<'py, PyDict>> {
        let columns: Vec<(String, String)> = match columns.cast::<PyDict>() {
            Ok(d) => d.items().extract()?,
            Err(_) => columns.extract()?,
        };
        let (rows, total, page) = self.engine.run(py, Access::Read, move |crm| {
            let cols: Vec<(&str, &str)> = columns.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
            let p = crm.search_columns(&module, &cols, page, page_size)?;
            Ok((Rows::new(crm, p.records)?, p.total, p.page))
        })?;
        page_dict(py, rows, total, page, page_size)
    }

    /// Keyset paging: the next `page_size` matching records after `cursor` (None: from the start), in the
    /// query's order (`order_by`, default id) with the id breaking ties. Returns `{"records": [...],
    /// "cursor": str | None}`; pass `cursor` back for the next page (an opaque string; None when there are
    /// no more records). Unlike `page`, records inserted or deleted meanwhile do not shift later pages.
    #[pyo3(signature = (module, r#where = None, *, cursor = None, page_size = 50, order_by = None, deleted = false))]
    #[allow(clippy::too_many_arguments)]
    fn page_after<'py>(
        &self,
        py: Python<'py>,
        module: String,
        r#where: Option<&Bound<'py, PyAny>>,
        cursor: Option<String>,
        page_size: u64,
        order_by: Option<&Bound<'py, PyAny>>,
        deleted: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let q = to_query(&module, r#where, order_by, None, 0, deleted)?;
        let cursor: Option<Cursor> = cursor
            .map(|c| serde_json::from_str(&c).map_err(|e| crate::errors::invalid(format!("not a page_after cursor: {e}"))))
            .transpose()?;
        let (rows, next) = self.engine.run(py, Access::Read, move |crm| {
            let (records, next) = crm.page_after(q, cursor.as_ref(), page_size)?;
            let next = next
                .map(|c| serde_json::to_string(&c))
                .transpose()
                .map_err(|e| crm_core::Error::InvalidArgument(format!("cannot write the cursor: {e}")))?;
            Ok((Rows::new(crm, records)?, next))
        })?;
        let d = PyDict::new(py);
        d.set_item("records", rows.into_dicts(py)?)?;
        d.set_item("cursor", next)?;
        Ok(d)
    }

    /// The settings named date ranges use, as a dict (`fiscal_year_start_month`, `week_start`, ...).
    fn view_settings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let s = self.engine.run(py, Access::Read, |crm| Ok(crm.view_settings()?))?;
        to_py(py, &s)
    }

    /// Stores the settings named date ranges use (a dict with both keys, as `view_settings` returns it;
    /// `fiscal_year_start_month` 1..=12).
    fn set_view_settings(&self, py: Python<'_>, settings: &Bound<'_, PyAny>) -> PyResult<()> {
        let j = to_json(settings)?;
        self.engine.run(py, Access::Write, move |crm| {
            let s: ViewSettings = from_value(j, "view settings")?;
            Ok(crm.set_view_settings(s)?)
        })
    }
}
