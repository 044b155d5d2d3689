//! A query's records as Arrow record batches, read a keyset page per batch through the acting user's read
//! path: [`RecordBatches`] is a pull-based [`RecordBatchReader`], so memory holds one batch whatever the
//! number of records.

use super::columns::ColumnBuilder;
use super::types::{Column, plan_columns, record_schema};
use crate::error::{Error, Result};
use crate::query::{Query, Sort};
use crate::record::Record;
use crate::service::{Crm, Cursor};
use arrow_array::{RecordBatch, RecordBatchOptions, RecordBatchReader};
use arrow_schema::{ArrowError, SchemaRef};

/// What to read: a query (conditions, sort, `limit`, `offset`, recycle bin), the columns (field names or
/// labels, or `id`, `label`, `version`; `None`: the record columns then every visible field in layout
/// order) and the rows per batch.
#[derive(Debug, Clone)]
pub struct RecordsSpec {
    /// Which records, in which order. No sort: creation order (`createdtime`, then id), which edits made
    /// while reading do not disturb.
    pub query: Query,
    /// Which columns.
    pub columns: Option<Vec<String>>,
    /// Rows per batch (at least 1).
    pub batch_rows: usize,
}

impl RecordsSpec {
    /// Every visible column of the records `query` selects, [`super::BATCH_ROWS`] rows per batch.
    pub fn new(query: Query) -> RecordsSpec {
        RecordsSpec { query, columns: None, batch_rows: super::BATCH_ROWS }
    }

    /// Only these columns, in this order.
    pub fn columns(mut self, columns: Vec<String>) -> RecordsSpec {
        self.columns = Some(columns);
        self
    }

    /// Rows per batch.
    pub fn batch_rows(mut self, rows: usize) -> RecordsSpec {
        self.batch_rows = rows.max(1);
        self
    }
}

/// How a reader reaches the engine for each page: a borrowed [`Crm`], or a binding's shared handle (a
/// locked store in C, the engine behind a Python object) that may be used by other calls between pages.
pub trait CrmRead {
    /// Runs `f` on the engine.
    ///
    /// # Errors
    /// What `f` returns; the handle's own failures (closed, busy).
    fn read<T: Send>(&mut self, f: impl FnOnce(&Crm) -> Result<T> + Send) -> Result<T>;
}

impl CrmRead for &Crm {
    fn read<T: Send>(&mut self, f: impl FnOnce(&Crm) -> Result<T> + Send) -> Result<T> {
        f(self)
    }
}

/// The records of a [`RecordsSpec`] as Arrow record batches, one keyset page per batch
/// ([`Crm::page_after`]: the acting user's scope, hidden fields redacted). The schema is fixed when the
/// reader is made, and so is the acting user: a later page read as another user fails instead of mixing
/// two users' views. The first page is read at once, so a bad query fails when the reader is made.
///
/// ```
/// # fn main() -> Result<(), crm_core::Error> {
/// use crm_core::arrow::{RecordBatches, RecordsSpec};
/// use crm_core::{Crm, Fields, NewUser, Query};
/// let mut crm = Crm::open(":memory:")?;
/// crm.add_user(NewUser::new("admin"))?;
/// crm.set_actor("admin")?;
/// crm.create("Potentials", Fields::new().with("potentialname", "Hooli renewal").with("amount", "12000.50")
///     .with("sales_stage", "Prospecting").with("closingdate", "2027-03-31"))?;
/// let spec = RecordsSpec::new(Query::new("Potentials")).columns(vec!["id".into(), "amount".into()]);
/// let batches: Vec<_> = RecordBatches::new(&crm, spec)?.collect::<Result<_, _>>().expect("readable");
/// assert_eq!(batches[0].num_rows(), 1);
/// assert_eq!(batches[0].schema().field(1).data_type().to_string(), "Decimal128(14, 2)");
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct RecordBatches<A: CrmRead> {
    access: A,
    schema: SchemaRef,
    columns: Vec<Column>,
    query: Query,
    actor: Option<String>,
    batch_rows: u64,
    cursor: Option<Cursor>,
    skip: u64,
    remaining: Option<u64>,
    pending: Option<RecordBatch>,
    done: bool,
}

impl<A: CrmRead> RecordBatches<A> {
    /// A reader of `spec` through `access`; reads the first page.
    ///
    /// # Errors
    /// `NotFound` for an unknown module; `InvalidArgument` for an unknown column, a bad condition or sort
    /// (`AccessDenied` for a hidden field asked for, in a column, condition or sort) (keyset paging cannot start from a multi-select field); storage errors.
    pub fn new(mut access: A, spec: RecordsSpec) -> Result<RecordBatches<A>> {
        let RecordsSpec { query, columns, batch_rows } = spec;
        let (schema, columns, query, actor) = access.read(move |crm| {
            let m = crm.module(&query.module)?;
            let hidden = crm.hidden_fields(&m.name)?; // access control: hidden fields are no columns
            let cols = plan_columns(m, columns.as_deref(), &hidden)?;
            let asked: Vec<&str> = cols.iter().filter(|c| matches!(c, Column::Field { .. })).map(Column::name).collect();
            crm.check_fields_visible(&m.name, &asked)?; // a hidden field asked for: AccessDenied
            let mut q = query;
            q.module = m.name.clone();
            if q.sort.is_empty() && m.field("createdtime").is_some() {
                q.sort.push(Sort::asc("createdtime"));
            }
            Ok((record_schema(m, &cols), cols, q, crm.actor().map(|u| u.user_name.clone())))
        })?;
        let (skip, remaining) = (query.offset, query.limit);
        let mut reader = RecordBatches {
            access,
            schema,
            columns,
            query,
            actor,
            batch_rows: u64::try_from(batch_rows.max(1)).unwrap_or(u64::MAX),
            cursor: None,
            skip,
            remaining,
            pending: None,
            done: false,
        };
        reader.pending = reader.next_batch()?;
        Ok(reader)
    }

    /// Reads the next batch (`None` at the end).
    fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        loop {
            if self.done || self.remaining == Some(0) {
                self.done = true;
                return Ok(None);
            }
            let size = match self.remaining {
                Some(r) if self.skip == 0 => r.min(self.batch_rows),
                _ => self.batch_rows,
            };
            let (q, cursor, actor) = (self.query.clone(), self.cursor.take(), self.actor.clone());
            let (mut records, next) = self.access.read(move |crm| {
                if crm.actor().map(|u| &u.user_name) != actor.as_ref() {
                    return Err(Error::invalid("the acting user changed while reading records as Arrow batches"));
                }
                crm.page_after(q, cursor.as_ref(), size)
            })?;
            self.done = next.is_none();
            self.cursor = next;
            if self.skip > 0 {
                let n = usize::try_from(self.skip).unwrap_or(usize::MAX).min(records.len());
                records.drain(..n);
                self.skip -= n as u64;
            }
            if let Some(r) = self.remaining.as_mut() {
                records.truncate(usize::try_from(*r).unwrap_or(usize::MAX));
                *r -= records.len() as u64;
            }
            if !records.is_empty() {
                return batch_of(&self.schema, &self.columns, &records).map(Some);
            }
        }
    }
}

/// One record batch of `records` with `columns` (in `schema`).
///
/// # Errors
/// `InvalidArgument` naming the record and field of a stored value that does not fit its column.
pub fn batch_of(schema: &SchemaRef, columns: &[Column], records: &[Record]) -> Result<RecordBatch> {
    let mut arrays = Vec::with_capacity(columns.len());
    for (c, f) in columns.iter().zip(schema.fields()) {
        let mut b = ColumnBuilder::new(f.data_type(), records.len())?;
        for r in records {
            let v = match c {
                Column::Id => crate::Value::Int(r.id.0),
                Column::Label => crate::Value::Text(r.label.clone()),
                Column::Version => crate::Value::Int(i64::try_from(r.version).unwrap_or(i64::MAX)),
                Column::Field { name, .. } => r.get(name).clone(),
            };
            b.append(&v).map_err(|why| Error::invalid(format!("record {}, field '{}': {why}", r.id, c.name())))?;
        }
        arrays.push(b.finish());
    }
    let options = RecordBatchOptions::new().with_row_count(Some(records.len()));
    RecordBatch::try_new_with_options(schema.clone(), arrays, &options).map_err(super::from_arrow_error)
}

impl<A: CrmRead> Iterator for RecordBatches<A> {
    type Item = std::result::Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(b) = self.pending.take() {
            return Some(Ok(b));
        }
        match self.next_batch() {
            Ok(b) => b.map(Ok),
            Err(e) => {
                self.done = true;
                Some(Err(super::to_arrow_error(e)))
            }
        }
    }
}

impl<A: CrmRead> RecordBatchReader for RecordBatches<A> {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

impl Crm {
    /// The records of `spec` as Arrow record batches read through this handle ([`RecordBatches`]).
    ///
    /// # Errors
    /// As [`RecordBatches::new`].
    pub fn arrow_records(&self, spec: RecordsSpec) -> Result<RecordBatches<&Crm>> {
        RecordBatches::new(self, spec)
    }
}
