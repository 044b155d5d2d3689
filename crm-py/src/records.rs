//! Record operations of `crm.Crm`: create, read, update, delete, find, count, iterate, page, aggregate,
//! history.

use crate::convert::{Rows, from_value, to_fields, to_id, to_query};
use crate::crm::Crm;
use crate::engine::{Access, Engine};
use chrono::{DateTime, NaiveDate, Utc};
use crm_core::{Cursor, Query, Record, Sort};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use rust_decimal::Decimal;
use std::collections::VecDeque;
use std::sync::Arc;

/// One changed field of a history entry.
#[derive(IntoPyObject)]
pub struct ChangeOut {
    field: String,
    before: Option<String>,
    after: Option<String>,
}

impl From<crm_core::FieldChange> for ChangeOut {
    fn from(c: crm_core::FieldChange) -> Self {
        ChangeOut { field: c.field, before: c.before, after: c.after }
    }
}

/// One history entry, as a dict.
#[derive(IntoPyObject)]
pub struct HistoryOut {
    id: i64,
    record: i64,
    module: String,
    actor: String,
    at: DateTime<Utc>,
    kind: &'static str,
    related: Option<i64>,
    changes: Vec<ChangeOut>,
}

impl From<crm_core::HistoryEntry> for HistoryOut {
    fn from(h: crm_core::HistoryEntry) -> Self {
        HistoryOut {
            id: h.id,
            record: h.record.0,
            module: h.module,
            actor: h.actor,
            at: h.at.and_utc(),
            kind: h.kind.as_str(),
            related: h.related.map(|r| r.0),
            changes: h.changes.into_iter().map(|c| ChangeOut { field: c.field, before: c.before, after: c.after }).collect(),
        }
    }
}

/// One stage-history row, as a dict.
#[derive(IntoPyObject)]
pub struct StageOut {
    record: i64,
    stage: Option<String>,
    amount: Option<Decimal>,
    probability: Option<Decimal>,
    forecast_amount: Option<Decimal>,
    closingdate: Option<NaiveDate>,
    at: DateTime<Utc>,
    actor: String,
}

impl From<crm_core::StageEntry> for StageOut {
    fn from(s: crm_core::StageEntry) -> Self {
        StageOut {
            record: s.record.0,
            stage: s.stage,
            amount: s.amount,
            probability: s.probability,
            forecast_amount: s.forecast_amount,
            closingdate: s.closingdate,
            at: s.at.and_utc(),
            actor: s.actor,
        }
    }
}

/// A period spent in one stage, as a dict.
#[derive(IntoPyObject)]
pub struct DurationOut {
    stage: String,
    entered: DateTime<Utc>,
    left: Option<DateTime<Utc>>,
    seconds: i64,
}

/// Adds a saved filter's conditions (and its order, when the query has none) to a query: crm-core's
/// [`crm_core::wire::with_filter`].
pub fn with_filter(crm: &crm_core::Crm, q: Query, filter: Option<String>) -> crm_core::Result<Query> {
    crm_core::wire::with_filter(crm, q, filter.as_deref())
}

fn one(r: Record, crm: &crm_core::Crm) -> crm_core::Result<Rows> {
    Rows::new(crm, vec![r])
}

#[pymethods]
impl Crm {
    /// Creates a record of `module` from a dict of field values; returns the stored record.
    fn create<'py>(&self, py: Python<'py>, module: String, fields: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
        let fields = to_fields(fields)?;
        self.engine.run(py, Access::Write, move |crm| Ok(one(crm.create(&module, fields)?, crm)?))?.into_dict(py)
    }

    /// Creates a record from the quick-create fields only (mandatory ones and those marked quick create).
    fn quick_create<'py>(&self, py: Python<'py>, module: String, fields: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
        let fields = to_fields(fields)?;
        self.engine.run(py, Access::Write, move |crm| Ok(one(crm.quick_create(&module, fields)?, crm)?))?.into_dict(py)
    }

    /// Reads a live record by id. A record in the recycle bin raises `crm.NotFoundError`, as in vtiger;
    /// read it with `get_deleted`.
    fn get<'py>(&self, py: Python<'py>, id: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
        let id = to_id(id)?;
        self.engine.run(py, Access::Read, move |crm| Ok(one(crm.get(id)?, crm)?))?.into_dict(py)
    }

    /// Reads a record in the recycle bin by id (its `deleted` is True); a live record raises
    /// `crm.NotFoundError`. List the recycle bin with `find(..., deleted=True)`.
    fn get_deleted<'py>(&self, py: Python<'py>, id: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
        let id = to_id(id)?;
        self.engine.run(py, Access::Read, move |crm| Ok(one(crm.get_deleted(id)?, crm)?))?.into_dict(py)
    }

    /// Changes the given fields of a record; with `version`, refuses (ConflictError) unless the stored
    /// record is still at that version.
    #[pyo3(signature = (id, fields, *, version = None))]
    fn update<'py>(
        &self,
        py: Python<'py>,
        id: &Bound<'py, PyAny>,
        fields: &Bound<'py, PyAny>,
        version: Option<u64>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let id = to_id(id)?;
        let fields = to_fields(fields)?;
        self.engine
            .run(py, Access::Write, move |crm| {
                let r = match version {
                    Some(v) => crm.update_version(id, v, fields)?,
                    None => crm.update(id, fields)?,
                };
                Ok(one(r, crm)?)
            })?
            .into_dict(py)
    }

    /// Moves a record to the recycle bin.
    fn delete(&self, py: Python<'_>, id: &Bound<'_, PyAny>) -> PyResult<()> {
        let id = to_id(id)?;
        self.engine.run(py, Access::Write, move |crm| Ok(crm.delete(id)?))
    }

    /// Restores a record from the recycle bin; returns it.
    fn restore<'py>(&self, py: Python<'py>, id: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
        let id = to_id(id)?;
        self.engine.run(py, Access::Write, move |crm| Ok(one(crm.restore(id)?, crm)?))?.into_dict(py)
    }

    /// Removes a record in the recycle bin for good.
    fn purge(&self, py: Python<'_>, id: &Bound<'_, PyAny>) -> PyResult<()> {
        let id = to_id(id)?;
        self.engine.run(py, Access::Write, move |crm| Ok(crm.purge(id)?))
    }

    /// The records of `module` that match `where`, as a list of dicts (ready for `pandas.DataFrame`).
    /// `filter` (a saved filter's id or name) adds the filter's conditions, and its order unless `order_by`
    /// is given. The records are read from the store one at a time (one consistent read) and turned into
    /// dicts; without `limit` the list holds every match at once: to go through a large result in bounded
    /// memory use `iter` (keyset-paged batches).
    #[pyo3(signature = (module, r#where = None, *, filter = None, order_by = None, limit = None, offset = 0, deleted = false))]
    #[allow(clippy::too_many_arguments)]
    fn find<'py>(
        &self,
        py: Python<'py>,
        module: String,
        r#where: Option<&Bound<'py, PyAny>>,
        filter: Option<&Bound<'py, PyAny>>,
        order_by: Option<&Bound<'py, PyAny>>,
        limit: Option<u64>,
        offset: u64,
        deleted: bool,
    ) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let q = to_query(&module, r#where, order_by, limit, offset, deleted)?;
        let filter = filter.filter(|f| !f.is_none()).map(crate::views::filter_key).transpose()?;
        self.engine
            .run(py, Access::Read, move |crm| {
                let q = with_filter(crm, q, filter)?;
                let mut layouts = crm_core::wire::Layouts::default();
                let mut records = Vec::new();
                crm.find_each(q, |r| {
                    records.push(layouts.record(crm, &r)?);
                    Ok(true)
                })?;
                Ok(Rows { records })
            })?
            .into_dicts(py)
    }

    /// How many records of `module` match `where`.
    #[pyo3(signature = (module, r#where = None, *, filter = None, deleted = false))]
    fn count(
        &self,
        py: Python<'_>,
        module: String,
        r#where: Option<&Bound<'_, PyAny>>,
        filter: Option<&Bound<'_, PyAny>>,
        deleted: bool,
    ) -> PyResult<u64> {
        let q = to_query(&module, r#where, None, None, 0, deleted)?;
        let filter = filter.filter(|f| !f.is_none()).map(crate::views::filter_key).transpose()?;
        self.engine.run(py, Access::Read, move |crm| Ok(crm.count(with_filter(crm, q, filter)?)?))
    }

    /// Iterates lazily over the matching records, fetching `batch` records at a time: one engine call per
    /// batch, each seeking past the last record returned (keyset paging on the first sort key and the id,
    /// as `page_after`), so memory stays bounded by `batch` and every batch costs the same however far the
    /// iteration is. Without `order_by` the order is creation time (then id), so records updated, created
    /// or deleted while iterating never make it skip or repeat another. This is the streaming form of
    /// `find`, which returns every match at once in a list.
    #[pyo3(signature = (module, r#where = None, *, order_by = None, batch = 1000, deleted = false))]
    fn iter(
        &self,
        module: String,
        r#where: Option<&Bound<'_, PyAny>>,
        order_by: Option<&Bound<'_, PyAny>>,
        batch: u64,
        deleted: bool,
    ) -> PyResult<RecordIter> {
        if batch == 0 {
            return Err(crate::errors::invalid("batch must be at least 1"));
        }
        let query = to_query(&module, r#where, order_by, None, 0, deleted)?;
        Ok(RecordIter { engine: Arc::clone(&self.engine), query, batch, cursor: None, done: false, buffer: VecDeque::new() })
    }

    /// One page (1-based) of the matching records with the total count:
    /// `{"records": [...], "total": n, "page": p, "page_size": s}`.
    #[pyo3(signature = (module, r#where = None, *, page = 1, page_size = 50, order_by = None, deleted = false))]
    #[allow(clippy::too_many_arguments)]
    fn page<'py>(
        &self,
        py: Python<'py>,
        module: String,
        r#where: Option<&Bound<'py, PyAny>>,
        page: u64,
        page_size: u64,
        order_by: Option<&Bound<'py, PyAny>>,
        deleted: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let q = to_query(&module, r#where, order_by, None, 0, deleted)?;
        let (rows, total, page) = self.engine.run(py, Access::Read, move |crm| {
            let p = crm.page(q, page, page_size)?;
            Ok((Rows::new(crm, p.records)?, p.total, p.page))
        })?;
        let d = PyDict::new(py);
        d.set_item("records", rows.into_dicts(py)?)?;
        d.set_item("total", total)?;
        d.set_item("page", page)?;
        d.set_item("page_size", page_size)?;
        Ok(d)
    }

    /// Groups the matching records by `group_by` (or not at all) and sums decimal fields exactly. Returns
    /// one dict per group: `{group_by: key, "count": n, sum_field: Decimal, ...}`. Money fields sum in
    /// `currency` (default: the base currency), each record converted at its dated rate.
    #[pyo3(signature = (module, group_by = None, sums = Vec::new(), r#where = None, *, deleted = false, currency = None))]
    #[allow(clippy::too_many_arguments)]
    fn aggregate<'py>(
        &self,
        py: Python<'py>,
        module: String,
        group_by: Option<String>,
        sums: Vec<String>,
        r#where: Option<&Bound<'py, PyAny>>,
        deleted: bool,
        currency: Option<String>,
    ) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let q = to_query(&module, r#where, None, None, 0, deleted)?;
        let g = self.engine.run(py, Access::Read, move |crm| {
            let refs: Vec<&str> = sums.iter().map(String::as_str).collect();
            Ok(crm_core::wire::aggregate_in(crm, q, group_by.as_deref(), &refs, currency.as_deref())?)
        })?;
        // crm-core's groups (crm_core::wire::Groups, C's JSON), laid out flat for data frames.
        let key = g.group_by.as_deref().map(|k| PyString::new(py, k));
        let names: Vec<_> = g.sums.iter().map(|n| PyString::new(py, n)).collect();
        let mut out = Vec::with_capacity(g.groups.len());
        for group in g.groups {
            let d = PyDict::new(py);
            if let Some(k) = &key {
                d.set_item(k, from_value(py, &group.key)?)?;
            }
            d.set_item("count", group.count)?;
            for (n, s) in names.iter().zip(group.sums) {
                d.set_item(n, s)?;
            }
            out.push(d);
        }
        Ok(out)
    }

    /// The change log of a record, oldest first: all of it, or with `limit` one page of at most `limit`
    /// entries whose id is above `after` (keyset paging: pass the last entry's `id` for the next page; an
    /// empty list is the end). `limit` is 1..=10 000 (`limits::MAX_LOG_PAGE`).
    #[pyo3(signature = (id, *, after = None, limit = None))]
    fn history(&self, py: Python<'_>, id: &Bound<'_, PyAny>, after: Option<i64>, limit: Option<u64>) -> PyResult<Vec<HistoryOut>> {
        let id = to_id(id)?;
        self.engine.run(py, Access::Read, move |crm| {
            let entries = match limit {
                Some(limit) => crm.history_page(id, after, limit)?,
                None if after.is_some() => return Err(crm_core::Error::InvalidArgument("history: `after` needs `limit`".into()).into()),
                None => crm.history(id)?,
            };
            Ok(entries.into_iter().map(HistoryOut::from).collect())
        })
    }

    /// The stage history of an opportunity (stage, amount, probability, forecast, close date after each
    /// change), oldest first.
    fn stage_history(&self, py: Python<'_>, id: &Bound<'_, PyAny>) -> PyResult<Vec<StageOut>> {
        let id = to_id(id)?;
        self.engine.run(py, Access::Read, move |crm| Ok(crm.stage_history(id)?.into_iter().map(StageOut::from).collect()))
    }

    /// The periods an opportunity spent in each stage, up to now.
    fn stage_durations(&self, py: Python<'_>, id: &Bound<'_, PyAny>) -> PyResult<Vec<DurationOut>> {
        let id = to_id(id)?;
        self.engine.run(py, Access::Read, move |crm| {
            Ok(crm
                .stage_durations(id)?
                .into_iter()
                .map(|d| DurationOut {
                    stage: d.stage,
                    entered: d.entered.and_utc(),
                    left: d.left.map(|t| t.and_utc()),
                    seconds: d.seconds,
                })
                .collect())
        })
    }
}

/// Lazy iterator over records, returned by `Crm.iter`; fetches one batch per engine call by keyset.
#[pyclass(module = "crm_engine", name = "RecordIterator")]
pub struct RecordIter {
    engine: Arc<Engine>,
    query: Query,
    batch: u64,
    cursor: Option<Cursor>,
    done: bool,
    buffer: VecDeque<Py<PyDict>>,
}

#[pymethods]
impl RecordIter {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&mut self, py: Python<'_>) -> PyResult<Option<Py<PyDict>>> {
        if self.buffer.is_empty() && !self.done {
            let mut q = self.query.clone();
            let (batch, cursor) = (self.batch, self.cursor.take());
            let (rows, next) = self.engine.run(py, Access::Read, move |crm| {
                if q.sort.is_empty() && crm.module(&q.module)?.field("createdtime").is_some() {
                    q.sort.push(Sort::asc("createdtime"));
                }
                let (records, next) = crm.page_after(q, cursor.as_ref(), batch)?;
                Ok((Rows::new(crm, records)?, next))
            })?;
            self.done = next.is_none();
            self.cursor = next;
            self.buffer.extend(rows.into_dicts(py)?.into_iter().map(Bound::unbind));
        }
        Ok(self.buffer.pop_front())
    }
}
