//! Writing records as CSV, streaming to any [`Write`]: the header, then one line per record, flushed as it
//! goes. Values round-trip through import: references as vtiger's `Module::::Name`, owners by name,
//! decimals exactly as stored with `.`, dates ISO (or a chosen format, Jalali too), multi-select values
//! `a |##| b`, checkboxes `1`/`0`. With `digits = "persian"` numbers and dates are written with Persian
//! digits (`۱۲۰۰۰٫۵۰`, `۱۴۰۶/۰۱/۰۵`), which import reads back.
//!
//! Formula neutralisation (default on; vtiger has none): a text cell (header cells included: a custom
//! field's label is user text) starting with `=`, `+`, `-`, `@`, tab or
//! CR gets a leading `'` so spreadsheets do not run it. Plain numbers such as `-5.00` are left alone. Import
//! takes the `'` off again, so with neutralisation on, export → import gives back every text exactly (a text
//! that itself starts with `'=` is exported as `''=`). With neutralisation off, a text starting with `'`
//! and one of those characters loses its `'` on import: the importer cannot tell it from a neutralised cell.

use crate::error::{Error, Result, StorageError};
use crate::io::options::ExportOptions;
use crate::schema::{Field, FieldType};
use crate::value::Value;
use std::borrow::Cow;
use std::io::Write;

/// Neutralises a cell against spreadsheet formula injection (see the module docs). A cell that already
/// looks neutralised (`'`s before one of those characters) gets one more `'`, so that import, which takes
/// one `'` off, gives back exactly the exported text.
pub fn neutralize(s: &str) -> Cow<'_, str> {
    let looks_neutralized = s.starts_with('\'') && s.trim_start_matches('\'').starts_with(['=', '+', '-', '@', '\t', '\r']);
    if looks_neutralized || s.starts_with(['=', '+', '-', '@', '\t', '\r']) && crate::value::parse_decimal(s).is_none() {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// A CSV writer bound to a list of columns.
pub struct CsvExporter<W: Write> {
    out: csv::Writer<W>,
    columns: Vec<Field>,
    options: ExportOptions,
}

fn io_err(e: csv::Error) -> Error {
    Error::Storage(StorageError::Io(std::io::Error::other(e.to_string())))
}

impl<W: Write> CsvExporter<W> {
    /// Starts an export: writes the BOM (if asked) and the header.
    ///
    /// # Errors
    /// `Storage(Io)` when writing fails.
    pub fn new(mut w: W, columns: Vec<Field>, options: ExportOptions) -> Result<Self> {
        if options.bom {
            w.write_all(b"\xEF\xBB\xBF").map_err(StorageError::Io)?;
        }
        let delimiter = options.delimiter.byte().unwrap_or(b',');
        let mut out = csv::WriterBuilder::new().delimiter(delimiter).from_writer(w);
        match options.header {
            crate::io::HeaderStyle::None => {}
            style => {
                // Header cells follow the same rule as data cells: a custom field label is caller text.
                let names: Vec<Cow<'_, str>> = columns
                    .iter()
                    .map(|f| if style == crate::io::HeaderStyle::Names { f.name.as_str() } else { f.label.as_str() })
                    .map(|h| if options.neutralize_formulas { neutralize(h) } else { Cow::Borrowed(h) })
                    .collect();
                out.write_record(names.iter().map(|h| h.as_bytes())).map_err(io_err)?;
            }
        }
        Ok(Self { out, columns, options })
    }

    /// The columns, in order.
    pub fn columns(&self) -> &[Field] {
        &self.columns
    }

    /// Writes one record's cells; `name_of` turns references and owners into names.
    ///
    /// # Errors
    /// `Storage(Io)` when writing fails.
    pub fn write(&mut self, values: &dyn Fn(&str) -> Value, name_of: &mut dyn FnMut(&Value) -> Result<String>) -> Result<()> {
        let mut cells: Vec<String> = Vec::with_capacity(self.columns.len());
        for f in &self.columns {
            let v = values(&f.name);
            let text = match (&v, f.field_type) {
                (Value::Null, _) => String::new(),
                (Value::Ref(_) | Value::Owner(_), _) => name_of(&v)?,
                (Value::Date(d), _) => self.options.date_format.format(*d),
                (Value::DateTime(dt), FieldType::DateTime) => {
                    format!("{} {}", self.options.date_format.format(dt.date()), dt.format("%H:%M:%S"))
                }
                _ => v.to_text().unwrap_or_default(),
            };
            let text = if self.options.neutralize_formulas { neutralize(&text).into_owned() } else { text };
            // Numbers and dates in Persian digits (after neutralising, which leaves plain numbers alone); `٫`
            // is the Persian decimal separator; import reads both back.
            let text = match (&v, self.options.digits) {
                (Value::Date(_) | Value::DateTime(_) | Value::Int(_) | Value::Decimal(_), crate::io::Digits::Persian) => {
                    crate::text::persian_digits(&text).replace('.', "٫")
                }
                _ => text,
            };
            cells.push(text);
        }
        self.out.write_record(&cells).map_err(io_err)
    }

    /// Flushes and returns the writer.
    ///
    /// # Errors
    /// `Storage(Io)` when flushing fails.
    pub fn finish(self) -> Result<W> {
        self.out.into_inner().map_err(|e| Error::Storage(StorageError::Io(std::io::Error::other(e.to_string()))))
    }
}
