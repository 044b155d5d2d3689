//! Export through the facade: CSV of any module (selected ids, one page of a query, or all of a query),
//! and vCard of contacts. Streaming: records are read a page at a time and written as they come, so memory
//! does not grow with the number of records.
//!
//! **All of a query is one consistent read**, even while other handles edit: the pages are read inside
//! one read snapshot of the store ([`Store::begin_snapshot`](crate::storage::Store::begin_snapshot): a
//! SQLite read transaction, a PostgreSQL `REPEATABLE READ` transaction), so no record is written twice or
//! left out because an edit moved it from one page to another, and each page continues after the last
//! record of the one before (keyset paging) instead of skipping an ever longer `OFFSET`:
//!
//! * a query without a sort of its own is exported in record id (creation) order, each page seeking the
//!   primary key past the last id: the cost grows linearly with the number of records, however many
//!   share a modified time (a bulk import gives thousands the same second);
//! * a query with a sort follows it, paging with [`Crm::page_after`] (linear while the first sort key
//!   mostly differs between records; records tying on it are skipped within their group); a sort whose
//!   first key is a multi-select field pages by offset, inside the same snapshot.

use super::Crm;
use super::progress::{Progress, ProgressUnit, ProgressUpdate, report};
use crate::error::{Error, Result, StorageError};
use crate::io::csv_export::CsvExporter;
use crate::io::options::ExportOptions;
use crate::io::vcard_export::{VcardVersion, render};
use crate::query::{Condition, ID_FIELD, Op, Query};
use crate::record::Record;
use crate::schema::FieldType;
use crate::value::{RecordId, Value};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::Write;

/// Which records to export (vtiger's ExportSelectedRecords, ExportCurrentPage, ExportAllData).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportSelection {
    /// These records, in this order (ids of other modules or unknown ids are refused).
    Ids(Vec<RecordId>),
    /// One page (1-based) of a query.
    Page {
        /// The query (filter and sort).
        query: Query,
        /// Page number, 1-based.
        page: u64,
        /// Page size.
        size: u64,
    },
    /// Every record a query selects (use `Query::new(module)` for the whole module).
    All(Query),
}

const CHUNK: u64 = 500;

/// How many records an export writes between two progress updates.
pub const EXPORT_PROGRESS_EVERY: u64 = 500;

/// An export's progress: the number selected (when the sink wants it and it is known), an update every
/// [`EXPORT_PROGRESS_EVERY`] records and one at the end, and whether the sink stopped the walk.
struct Tracker<'a> {
    progress: Progress<'a>,
    total: Option<u64>,
    stopped: bool,
}

impl<'a> Tracker<'a> {
    fn new(crm: &Crm, progress: Progress<'a>, selection: &ExportSelection) -> Result<Self> {
        let total = match (&progress, selection) {
            (None, _) => None,
            (Some(_), ExportSelection::Ids(ids)) => Some(ids.len() as u64),
            (Some(_), ExportSelection::Page { .. }) => None,
            (Some(_), ExportSelection::All(q)) => Some(crm.count(q.clone())?),
        };
        Ok(Tracker { progress, total, stopped: false })
    }

    fn update(&self, n: u64, at_end: bool) -> ProgressUpdate {
        let total = match self.total {
            Some(t) => Some(t.max(n)),
            None if at_end => Some(n), // the end: everything there was is written
            None => None,
        };
        ProgressUpdate { done: n, total, unit: ProgressUnit::Rows, rows: n }
    }

    /// `n` records are written: tells the sink every [`EXPORT_PROGRESS_EVERY`]; an error ends the walk
    /// when it asks to stop.
    fn written(&mut self, n: u64) -> Result<()> {
        if !n.is_multiple_of(EXPORT_PROGRESS_EVERY) {
            return Ok(());
        }
        let update = self.update(n, false);
        if report(&mut self.progress, update) {
            self.stopped = true;
            return Err(Error::Conflict("export stopped".into())); // ends the walk; not returned
        }
        Ok(())
    }

    /// The walk's outcome: its error, unless the sink stopped it.
    fn walked(&self, walked: Result<()>) -> Result<()> {
        if self.stopped { Ok(()) } else { walked }
    }

    /// The last update, unless the sink stopped the export.
    fn done(&mut self, n: u64) {
        if !self.stopped {
            let last = self.update(n, true);
            report(&mut self.progress, last);
        }
    }
}

impl Crm {
    /// Writes records of a module as CSV; returns the number of records written.
    ///
    /// # Example
    /// ```
    /// use crm_core::io::ExportOptions;
    /// use crm_core::{ExportSelection, Query};
    /// use crm_core::{Crm, Fields, NewUser};
    /// # fn main() -> Result<(), crm_core::Error> {
    /// let mut crm = Crm::open(":memory:")?;
    /// crm.add_user(NewUser::new("admin"))?;
    /// crm.set_actor("admin")?;
    /// let deal = crm.create("Potentials", Fields::new()
    ///     .with("potentialname", "Hooli renewal")
    ///     .with("amount", "12000")
    ///     .with("sales_stage", "Prospecting")
    ///     .with("closingdate", "2027-03-31"))?;
    /// let mut out = Vec::new();
    /// let all = ExportSelection::All(Query::new("Potentials"));
    /// assert_eq!(crm.export_csv(&mut out, "Potentials", &all, &ExportOptions::default())?, 1);
    /// assert!(String::from_utf8_lossy(&out).contains("Hooli renewal"));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// `NotFound` for an unknown module or id; `InvalidArgument` for an unknown column or a query of another
    /// module; `Storage(Io)` when writing fails.
    pub fn export_csv<W: Write>(&self, writer: W, module: &str, selection: &ExportSelection, options: &ExportOptions) -> Result<u64> {
        self.export_csv_with_progress(writer, module, selection, options, None)
    }

    /// [`Crm::export_csv`] with progress: `progress` hears the records written out of the number selected
    /// every [`EXPORT_PROGRESS_EVERY`] records and at the end; when it answers [`Flow::Stop`](crate::Flow::Stop)
    /// the export stops there, with the records written so far (whole CSV lines) flushed, and returns
    /// their number.
    ///
    /// # Errors
    /// As [`Crm::export_csv`].
    pub fn export_csv_with_progress<W: Write>(
        &self,
        writer: W,
        module: &str,
        selection: &ExportSelection,
        options: &ExportOptions,
        progress: Progress<'_>,
    ) -> Result<u64> {
        let m = self.module(module)?.clone();
        let hidden = self.hidden_fields(&m.name)?; // access control: hidden fields are not exported
        let columns = if options.columns.is_empty() {
            // Base-currency copies are derived: written only as converted columns; hidden fields are left out.
            m.fields_in_layout_order()
                .into_iter()
                .filter(|f| !crate::currency::is_base_copy(&m, &f.name) && !hidden.contains(&f.name))
                .cloned()
                .collect()
        } else {
            let named: Vec<&str> = options.columns.iter().filter_map(|c| m.field_by_name_or_label(c)).map(|f| f.name.as_str()).collect();
            self.check_fields_visible(&m.name, &named)?;
            let mut v = Vec::new();
            for c in &options.columns {
                v.push(m.field_by_name_or_label(c).cloned().ok_or_else(|| Error::invalid(format!("{} has no field '{c}'", m.name)))?);
            }
            v
        };
        let converted = super::currency_reports::converted_columns(self, &m, columns, options.converted_to.as_deref())?;
        let (columns, book) = (converted.columns, converted.book);
        let today = self.now().date();
        // Headers and picklist values in the acting user's language (stored values stay vtiger's; import
        // reads either language back).
        let labels = self.labels()?;
        let mut columns: Vec<crate::schema::Field> = columns;
        let picklists: std::collections::HashSet<String> = columns
            .iter()
            .filter(|f| matches!(f.field_type, FieldType::Picklist | FieldType::MultiPicklist))
            .map(|f| f.name.clone())
            .collect();
        for f in &mut columns {
            f.label = labels.field(&m.name, f).to_string();
        }
        let shown = |f: &str, v: Value| -> Value {
            if !picklists.contains(f) {
                return v;
            }
            match v {
                Value::Text(t) => Value::Text(labels.value(&t).to_string()),
                Value::List(l) => Value::List(l.iter().map(|x| labels.value(x).to_string()).collect()),
                other => other,
            }
        };
        let mut ex = CsvExporter::new(writer, columns, options.clone())?;
        let mut names: HashMap<i64, String> = HashMap::new();
        let mut n = 0u64;
        let mut tracker = Tracker::new(self, progress, selection)?;
        let walked = self.each_selected(&m.name, selection, &mut |crm, r| {
            if names.len() > 10_000 {
                names.clear();
            }
            let mut name_of = |v: &Value| -> Result<String> { crm.name_of(v, &mut names) };
            match &book {
                Some((book, target)) => {
                    ex.write(&|f| shown(f, super::currency_reports::converted_cell(book, &m, r, f, target, today)), &mut name_of)?
                }
                None => ex.write(&|f| shown(f, r.get(f).clone()), &mut name_of)?,
            }
            n += 1;
            tracker.written(n)
        });
        tracker.walked(walked)?;
        ex.finish()?;
        tracker.done(n);
        Ok(n)
    }

    /// Writes contacts as vCards (3.0 or 4.0); returns the number written.
    ///
    /// # Errors
    /// `InvalidArgument` when the selection is not of Contacts; `Storage(Io)` when writing fails.
    pub fn export_vcard<W: Write>(&self, writer: W, selection: &ExportSelection, version: VcardVersion) -> Result<u64> {
        self.export_vcard_with_progress(writer, selection, version, None)
    }

    /// [`Crm::export_vcard`] with progress, as [`Crm::export_csv_with_progress`]: `progress` hears the cards
    /// written out of the number selected every [`EXPORT_PROGRESS_EVERY`] cards and at the end; when it
    /// answers [`Flow::Stop`](crate::Flow::Stop) the export stops there, with the cards written so far
    /// (whole cards) flushed, and returns their number.
    ///
    /// # Errors
    /// As [`Crm::export_vcard`].
    pub fn export_vcard_with_progress<W: Write>(
        &self,
        mut writer: W,
        selection: &ExportSelection,
        version: VcardVersion,
        progress: Progress<'_>,
    ) -> Result<u64> {
        let mut n = 0u64;
        let mut tracker = Tracker::new(self, progress, selection)?;
        let walked = self.each_selected("Contacts", selection, &mut |crm, r| {
            let org = match r.get("account_id").as_ref_id() {
                Some(id) => crm.store.get(id)?.map(|o| o.label),
                None => None,
            };
            writer.write_all(render(r, org.as_deref(), version).as_bytes()).map_err(StorageError::Io)?;
            n += 1;
            tracker.written(n)
        });
        tracker.walked(walked)?;
        writer.flush().map_err(StorageError::Io)?;
        tracker.done(n);
        Ok(n)
    }

    fn name_of(&self, v: &Value, cache: &mut HashMap<i64, String>) -> Result<String> {
        let key = match v {
            Value::Ref(r) => r.0,
            Value::Owner(o) => o.0,
            other => return Ok(other.to_text().unwrap_or_default()),
        };
        if let Some(s) = cache.get(&key) {
            return Ok(s.clone());
        }
        let s = match v {
            Value::Ref(r) => match self.store.get(*r)? {
                Some(rec) => format!("{}::::{}", rec.module, rec.label),
                None => r.0.to_string(),
            },
            Value::Owner(o) => match self.owner(*o)? {
                Some(owner) => owner.name().to_string(),
                None => o.0.to_string(),
            },
            _ => String::new(),
        };
        cache.insert(key, s.clone());
        Ok(s)
    }

    fn each_selected(&self, module: &str, selection: &ExportSelection, f: &mut dyn FnMut(&Crm, &Record) -> Result<()>) -> Result<()> {
        let check = |q: &Query| -> Result<()> {
            match self.schema.module(&q.module) {
                Some(m) if m.name == module => Ok(()),
                _ => Err(Error::invalid(format!("the query is of '{}', not {module}", q.module))),
            }
        };
        match selection {
            ExportSelection::Ids(ids) => {
                for id in ids {
                    let mut r = self.load(*id)?;
                    self.check_record(&r, crate::access::Action::View)?; // access control
                    self.redact(&mut r)?;
                    if r.module != module {
                        return Err(Error::invalid(format!("record {id} is a {} record, not {module}", r.module)));
                    }
                    f(self, &r)?;
                }
            }
            ExportSelection::Page { query, page, size } => {
                check(query)?;
                for r in self.find(query.clone().page((*page).max(1), *size))? {
                    f(self, &r)?;
                }
            }
            ExportSelection::All(query) => {
                check(query)?;
                let snapshot = self.store.begin_snapshot()?;
                let out = self.each_of_query(query, f);
                let ended = if snapshot { self.store.end_snapshot() } else { Ok(()) };
                out?;
                ended?;
            }
        }
        Ok(())
    }

    /// Calls `f` with every record `query` selects (its page ignored), a page at a time: keyset pages
    /// after the last record seen (see the module doc).
    fn each_of_query(&self, query: &Query, f: &mut dyn FnMut(&Crm, &Record) -> Result<()>) -> Result<()> {
        let s = self.current_schema()?;
        let m = Crm::read_module(&s, &query.module)?;
        let mut q = self.scoped(super::views::hide_converted(self.resolve_names(m, query.clone())?.normalize(m)?))?;
        if query.sort.is_empty() {
            // Id order: each page seeks the primary key past the last id seen.
            (q.sort, q.offset, q.limit) = (Vec::new(), 0, Some(CHUNK));
            let base = q.condition.take();
            let mut last: Option<RecordId> = None;
            loop {
                let mut page = q.clone();
                page.condition = match (last, &base) {
                    (None, b) => b.clone(),
                    (Some(id), None) => Some(Condition::cmp(ID_FIELD, Op::Gt, id.0)),
                    (Some(id), Some(b)) => Some(Condition::All(vec![b.clone(), Condition::cmp(ID_FIELD, Op::Gt, id.0)])),
                };
                let mut chunk = self.store.query(&page)?;
                self.redact_all(&mut chunk)?;
                for r in &chunk {
                    f(self, r)?;
                }
                match chunk.last() {
                    Some(r) if chunk.len() as u64 == CHUNK => last = Some(r.id),
                    _ => return Ok(()),
                }
            }
        }
        let keyset = q.sort.first().and_then(|k| m.field(&k.field)).is_some_and(|k| k.field_type != FieldType::MultiPicklist);
        if keyset {
            let mut cursor = None;
            loop {
                let (chunk, next) = self.page_after(q.clone(), cursor.as_ref(), CHUNK)?;
                for r in &chunk {
                    f(self, r)?;
                }
                match next {
                    Some(c) => cursor = Some(c),
                    None => return Ok(()),
                }
            }
        }
        let mut offset = 0u64;
        loop {
            let chunk = self.find(q.clone().offset(offset).limit(CHUNK))?;
            let got = chunk.len() as u64;
            for r in &chunk {
                f(self, r)?;
            }
            if got < CHUNK {
                return Ok(());
            }
            offset += got;
        }
    }
}
