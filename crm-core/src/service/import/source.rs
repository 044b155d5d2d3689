//! Where an import's rows come from: the one thing that differs between a CSV import and an import of
//! records. A [`RowSource`] gives column names once and then rows of cells; the shared pipeline
//! (`rows`) maps the columns, turns cells into field values and saves the rows.
//!
//! Cells are [`Value`]s: a CSV file gives text (converted with the file's date and number formats, as
//! every CSV cell is); records may also give typed values (integers, decimals, dates, date-times,
//! booleans), which go to the save pipeline as they are, and `Null` for an empty cell.

use super::records::Records;
use crate::error::Result;
use crate::io::csv_import::{CsvSource, RawRow};
use crate::service::progress::{ProgressUnit, ProgressUpdate};
use crate::value::Value;
use std::cell::Cell;
use std::io::Read;
use std::rc::Rc;

/// One row read from a source.
pub(super) enum SourceRow {
    /// An empty line (skipped and reported).
    Empty { line: u64 },
    /// A row: one cell per column (a shorter or longer row fails with a `columns` problem).
    Cells { line: u64, cells: Vec<Value> },
    /// A row the source could not read as cells (e.g. a record with a key that is not a column): its
    /// problem's code and the note's catalogue key and arguments, said by the pipeline in the reader's
    /// language.
    Bad { line: u64, note: SourceNote },
}

/// A problem a source found in a row, before the pipeline saw it: a code (`columns`, ...) and the import
/// note `IMPORT_<key>` of the message catalogues with its `{name}` arguments (see `import::say`).
pub(super) struct SourceNote {
    /// The column the problem is in, if one.
    pub column: Option<String>,
    /// The problem's code in the report.
    pub code: &'static str,
    /// The note's key in the catalogues, without `IMPORT_`.
    pub key: &'static str,
    /// The note's arguments.
    pub args: Vec<(&'static str, String)>,
}

/// A source of rows for the import pipeline.
pub(super) trait RowSource {
    /// The journal's kind for imports from this source (`csv`, `records`).
    fn kind(&self) -> &'static str;
    /// Column names, in cell order.
    fn headers(&self) -> &[String];
    /// The next row, or `None` at the end.
    fn next_row(&mut self) -> Result<Option<SourceRow>>;
    /// How far along the source is, after `rows` rows.
    fn progress(&self, rows: u64) -> ProgressUpdate;
}

/// A reader that counts the bytes read through it.
pub(super) struct Counting<R> {
    inner: R,
    read: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.set(self.read.get() + n as u64);
        Ok(n)
    }
}

/// Rows of a CSV stream; progress in bytes when the stream's size is known, else in rows.
pub(super) struct CsvRows<R: Read> {
    source: CsvSource<Counting<R>>,
    read: Rc<Cell<u64>>,
    size: Option<u64>,
}

impl<R: Read> CsvRows<R> {
    pub(super) fn open(reader: R, size: Option<u64>, options: &crate::io::ImportOptions) -> Result<Self> {
        let read = Rc::new(Cell::new(0));
        let source = CsvSource::open(Counting { inner: reader, read: Rc::clone(&read) }, options)?;
        Ok(CsvRows { source, read, size })
    }
}

impl<R: Read> RowSource for CsvRows<R> {
    fn kind(&self) -> &'static str {
        "csv"
    }
    fn headers(&self) -> &[String] {
        &self.source.headers
    }
    fn next_row(&mut self) -> Result<Option<SourceRow>> {
        Ok(self.source.next_row()?.map(|raw| match raw {
            RawRow::Empty { line } => SourceRow::Empty { line },
            RawRow::Cells { line, cells } => SourceRow::Cells { line, cells: cells.into_iter().map(Value::Text).collect() },
        }))
    }
    fn progress(&self, rows: u64) -> ProgressUpdate {
        match self.size {
            // Read ahead is at most one buffer; the last update of a whole file is its size.
            Some(size) => ProgressUpdate { done: self.read.get().min(size), total: Some(size), unit: ProgressUnit::Bytes, rows },
            None => ProgressUpdate { done: rows, total: None, unit: ProgressUnit::Rows, rows },
        }
    }
}

impl RowSource for Records<'_> {
    fn kind(&self) -> &'static str {
        "records"
    }
    fn headers(&self) -> &[String] {
        &self.columns
    }
    fn next_row(&mut self) -> Result<Option<SourceRow>> {
        self.next_source_row()
    }
    fn progress(&self, rows: u64) -> ProgressUpdate {
        ProgressUpdate { done: rows, total: self.total, unit: ProgressUnit::Rows, rows }
    }
}
