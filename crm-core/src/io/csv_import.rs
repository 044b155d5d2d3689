//! Reading a CSV file row by row: decoding, delimiter sniffing, header → field mapping and cell → value
//! conversion. Nothing here touches storage; `Crm::import_csv` drives it.
//!
//! Streaming: the file is read through a decoding [`Read`] adapter and the `csv` crate's reader, one record
//! at a time; only the first 64 KiB are held at once (to sniff binary content, encoding and delimiter).
//! Empty lines, which the `csv` crate skips, are found from the gaps in line numbers and reported.

use crate::error::{Error, FieldError, Result, ValidationCode};
use crate::i18n::Labels;
use crate::io::numbers::normalize_number;
use crate::io::options::ImportOptions;
use crate::schema::{Field, FieldType, Maintained, Module};
use crate::value::{Value, parse_datetime};
use chrono::NaiveTime;
use std::cell::RefCell;
use std::io::{Cursor, Read};
use std::rc::Rc;

const SNIFF: usize = 64 * 1024;
/// How far the CSV reader reads ahead of the record it hands out (its buffer size).
const READ_AHEAD: u64 = 8 * 1024;

/// Decodes any supported encoding into UTF-8 while reading. Bytes that are not valid in the encoding
/// become U+FFFD, which the importer reports per row.
pub struct DecodingReader<R: Read> {
    inner: R,
    /// Where the newlines are, when the CSV reader reads from this one.
    lines: Option<Rc<RefCell<LineIndex>>>,
    decoder: encoding_rs::Decoder,
    raw: Vec<u8>,
    out: Vec<u8>,
    pos: usize,
    eof: bool,
    /// Longest record: the bytes handed to the CSV reader since the end of the last record.
    max_record: u64,
}

impl<R: Read> DecodingReader<R> {
    /// Wraps a reader; a byte-order mark is detected and removed.
    pub fn new(inner: R, encoding: &'static encoding_rs::Encoding) -> Self {
        Self::with_lines(inner, encoding, None)
    }

    fn with_lines(inner: R, encoding: &'static encoding_rs::Encoding, lines: Option<Rc<RefCell<LineIndex>>>) -> Self {
        Self {
            inner,
            lines,
            decoder: encoding.new_decoder(),
            raw: vec![0; 8192],
            out: Vec::new(),
            pos: 0,
            eof: false,
            max_record: u64::MAX,
        }
    }
}

impl<R: Read> Read for DecodingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.pos >= self.out.len() {
            if self.eof {
                return Ok(0);
            }
            let n = self.inner.read(&mut self.raw)?;
            let last = n == 0;
            self.eof = last;
            let src = self.raw.get(..n).unwrap_or(&[]);
            let cap = self.decoder.max_utf8_buffer_length(src.len()).unwrap_or(src.len() * 3 + 16);
            self.out.clear();
            self.out.resize(cap, 0);
            self.pos = 0;
            let (_res, _read, written, _replaced) = self.decoder.decode_to_utf8(src, &mut self.out, last);
            self.out.truncate(written);
        }
        let avail = self.out.get(self.pos..).unwrap_or(&[]);
        let n = avail.len().min(buf.len());
        let chunk = avail.get(..n).unwrap_or(&[]);
        buf.get_mut(..n).unwrap_or(&mut []).copy_from_slice(chunk);
        let Some(lines) = &self.lines else {
            self.pos += n;
            return Ok(n);
        };
        let mut lines = lines.borrow_mut();
        lines.feed(chunk);
        // Everything not yet handed out as a record is one (unfinished) record: refuse to buffer more.
        if lines.total - lines.base > self.max_record.saturating_add(READ_AHEAD) {
            let line = lines.forgotten + 1;
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "the record starting on line {line} (blank lines before it included) is longer than {} bytes (limit max_record_bytes)",
                    self.max_record
                ),
            ));
        }
        drop(lines);
        self.pos += n;
        Ok(n)
    }
}

/// Where the newlines of the decoded stream are, for the part the CSV reader may still ask about: turns
/// byte offsets into 1-based line numbers with memory bounded by the reader's buffer.
#[derive(Debug, Default)]
struct LineIndex {
    forgotten: u64,
    newlines: std::collections::VecDeque<u64>,
    total: u64,
    /// The bytes from `base` on (what the CSV reader has buffered but not yet handed out as records).
    bytes: std::collections::VecDeque<u8>,
    base: u64,
}

impl LineIndex {
    fn feed(&mut self, chunk: &[u8]) {
        for (i, b) in chunk.iter().enumerate() {
            if *b == b'\n' {
                self.newlines.push_back(self.total + i as u64);
            }
        }
        self.total += chunk.len() as u64;
        self.bytes.extend(chunk);
    }
    /// The first offset at or after `from` that is not a line break.
    fn skip_breaks(&self, from: u64) -> u64 {
        let mut at = from.max(self.base);
        while let Some(b) = self.bytes.get(usize::try_from(at - self.base).unwrap_or(usize::MAX)) {
            if *b != b'\n' && *b != b'\r' {
                break;
            }
            at += 1;
        }
        at
    }
    /// Line of the byte at `offset` (a newline belongs to the line it ends).
    fn line_of(&self, offset: u64) -> u64 {
        self.forgotten + self.newlines.iter().take_while(|x| **x < offset).count() as u64 + 1
    }
    fn forget_before(&mut self, offset: u64) {
        while self.newlines.front().is_some_and(|x| *x < offset) {
            self.newlines.pop_front();
            self.forgotten += 1;
        }
        while self.base < offset && self.bytes.pop_front().is_some() {
            self.base += 1;
        }
    }
}

/// One data row as read: its first line number and its cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawRow {
    /// A row with cells.
    Cells {
        /// 1-based line where the row starts.
        line: u64,
        /// The cells, as decoded text.
        cells: Vec<String>,
    },
    /// An empty line.
    Empty {
        /// 1-based line.
        line: u64,
    },
}

/// A CSV file opened for import: its header and a row iterator.
pub struct CsvSource<R: Read> {
    reader: csv::Reader<DecodingReader<Sniffed<Transcoded<R>>>>,
    /// Column names (header text, or `1`, `2`, ... without a header).
    pub headers: Vec<String>,
    /// The delimiter in use.
    pub delimiter: u8,
    lines: Rc<RefCell<LineIndex>>,
    end_line: u64,
    at_eof: bool,
    end_byte: u64,
    queue: std::collections::VecDeque<RawRow>,
    record: csv::StringRecord,
}

impl<R: Read> CsvSource<R> {
    /// Opens a CSV stream: refuses an empty or binary file; a header-only file is fine (no rows). Binary
    /// garbage lines after the first (NUL or control bytes) are left to the rows, which fail one by one.
    ///
    /// # Errors
    /// `InvalidArgument` for options out of range (naming the option), an empty file, a first line that is
    /// binary, a text line in the first chunk that is not valid UTF-8 when UTF-8 was chosen, or an
    /// unreadable header.
    pub fn open(mut reader: R, options: &ImportOptions) -> Result<Self> {
        options.validate()?;
        let mut head = Vec::with_capacity(SNIFF);
        (&mut reader).take(SNIFF as u64).read_to_end(&mut head).map_err(|e| Error::invalid(format!("cannot read the file: {e}")))?;
        // UTF-16 (a BOM, the chosen encoding, or zero bytes at every other place) is turned into UTF-8
        // first, so that sniffing, line numbers and the checks below see text.
        let mut codec = options.encoding.codec();
        let (head, reader) = match utf16(&head, codec) {
            Some(wide) => {
                let mut pre = DecodingReader::new(Cursor::new(head).chain(reader), wide);
                let mut narrow = Vec::with_capacity(SNIFF);
                (&mut pre).take(SNIFF as u64).read_to_end(&mut narrow).map_err(|e| Error::invalid(format!("cannot read the file: {e}")))?;
                codec = encoding_rs::UTF_8;
                (narrow, Transcoded::Utf16(Box::new(pre)))
            }
            None => (head, Transcoded::Plain(reader)),
        };
        let body = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head);
        if body.iter().all(|b| b.is_ascii_whitespace()) {
            return Err(Error::invalid("the file is empty"));
        }
        // A line holding NUL or other control bytes is binary garbage: when it is the first line the file is
        // not text at all and is refused; further down it is reported as a failed row and the good rows
        // around it import. Bytes invalid in UTF-8 on text lines mean a wrong encoding: refused with a hint.
        let binary = |l: &[u8]| l.iter().any(|b| (*b < 0x20 && !matches!(b, b'\t' | b'\r')) || *b == 0x7f);
        let mut lines = body.split(|b| *b == b'\n').filter(|l| !l.iter().all(u8::is_ascii_whitespace));
        if lines.next().is_some_and(binary) {
            return Err(Error::invalid("the file is binary, not CSV text (its first line holds NUL or control bytes)"));
        }
        if codec == encoding_rs::UTF_8 {
            // Lines keep their `\n`, so only the last one (cut by the sniffing window) may end mid-character.
            for (n, l) in body.split_inclusive(|b| *b == b'\n').enumerate().filter(|(_, l)| !binary(l.strip_suffix(b"\n").unwrap_or(l))) {
                if let Err(e) = std::str::from_utf8(l)
                    && e.error_len().is_some()
                {
                    return Err(Error::invalid(format!(
                        "the file is not valid UTF-8 (line {}, byte {}); choose its encoding, e.g. windows-1252",
                        n + 1,
                        e.valid_up_to() + 1
                    )));
                }
            }
        }
        let delimiter = match options.delimiter.byte() {
            Some(d) => d,
            None => sniff_delimiter(body),
        };
        let lines: Rc<RefCell<LineIndex>> = Rc::default();
        let mut stream = DecodingReader::with_lines(Cursor::new(head).chain(reader), codec, Some(Rc::clone(&lines)));
        stream.max_record = options.max_record_bytes;
        let reader = csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).flexible(true).from_reader(stream);
        let mut src = CsvSource {
            reader,
            headers: vec![],
            delimiter,
            lines,
            end_line: 0,
            at_eof: false,
            end_byte: 0,
            queue: Default::default(),
            record: csv::StringRecord::new(),
        };
        if !src.fill()? {
            return Err(Error::invalid("the file is empty"));
        }
        if options.has_header {
            let header = loop {
                match src.queue.pop_front() {
                    Some(RawRow::Cells { cells, .. }) => break cells,
                    Some(RawRow::Empty { .. }) => continue,
                    None => return Err(Error::invalid("the file is empty")),
                }
            };
            let mut seen: Vec<String> = Vec::new();
            for c in header {
                let base = unneutralize(c.trim().trim_start_matches('\u{feff}')).to_string();
                let mut name = base.clone();
                let mut k = 2;
                while seen.iter().any(|s| s == &name) {
                    name = format!("{base} ({k})");
                    k += 1;
                }
                seen.push(name);
            }
            src.headers = seen;
        } else {
            let n = src.queue.iter().find_map(|r| match r {
                RawRow::Cells { cells, .. } => Some(cells.len()),
                RawRow::Empty { .. } => None,
            });
            src.headers = (1..=n.unwrap_or(0)).map(|i| i.to_string()).collect();
        }
        Ok(src)
    }

    /// Reads one record into the queue, preceded by the empty lines before it. False at the end.
    fn fill(&mut self) -> Result<bool> {
        let more = self.reader.read_record(&mut self.record).map_err(|e| Error::invalid(format!("cannot read the CSV: {e}")))?;
        if !more {
            // Blank lines at the end of the file are rows too (the csv crate skips them silently).
            if self.at_eof {
                return Ok(false);
            }
            self.at_eof = true;
            let last = {
                let idx = self.lines.borrow();
                if idx.total > self.end_byte { idx.line_of(idx.total - 1) } else { 0 }
            };
            for l in self.end_line + 1..=last {
                self.queue.push_back(RawRow::Empty { line: l });
            }
            return Ok(!self.queue.is_empty());
        }
        // The csv crate's own start position includes skipped blank lines; skip them to find the real start.
        let start = self.record.position().map_or(0, |p| p.byte());
        let end = self.reader.position().byte();
        let (line, end_line) = {
            let idx = self.lines.borrow();
            let real = idx.skip_breaks(start);
            (idx.line_of(real), idx.line_of(end.saturating_sub(1)))
        };
        for l in self.end_line + 1..line {
            self.queue.push_back(RawRow::Empty { line: l });
        }
        self.end_line = end_line.max(line);
        self.end_byte = end;
        self.lines.borrow_mut().forget_before(end);
        self.queue.push_back(RawRow::Cells { line, cells: self.record.iter().map(str::to_string).collect() });
        Ok(true)
    }

    /// The next row (empty lines included), `None` at the end.
    ///
    /// # Errors
    /// `InvalidArgument` when the stream cannot be read.
    pub fn next_row(&mut self) -> Result<Option<RawRow>> {
        if self.queue.is_empty() {
            self.fill()?;
        }
        Ok(self.queue.pop_front())
    }
}

/// Picks the candidate delimiter that occurs most often (outside quotes) on the first line.
pub fn sniff_delimiter(head: &[u8]) -> u8 {
    let mut counts = [0usize; 5];
    let cands = [b',', b';', b'\t', b'|', b'^'];
    let mut quoted = false;
    for &b in head {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted && (b == b'\n' || b == b'\r') {
            break;
        } else if !quoted
            && let Some(i) = cands.iter().position(|c| *c == b)
            && let Some(c) = counts.get_mut(i)
        {
            *c += 1;
        }
    }
    let mut best = 0;
    for i in 1..cands.len() {
        if counts.get(i) > counts.get(best) {
            best = i;
        }
    }
    cands.get(best).copied().unwrap_or(b',')
}

/// A stream whose first bytes (read to sniff it) are put back in front of the rest.
type Sniffed<R> = std::io::Chain<Cursor<Vec<u8>>, R>;

/// The file as the CSV decoder reads it: as stored, or UTF-16 already turned into UTF-8.
pub enum Transcoded<R: Read> {
    /// The file's own bytes (an ASCII-compatible encoding).
    Plain(R),
    /// UTF-16 decoded to UTF-8 (the sniffed head, then the rest of the file).
    Utf16(Box<DecodingReader<Sniffed<R>>>),
}

impl<R: Read> Read for Transcoded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Transcoded::Plain(r) => r.read(buf),
            Transcoded::Utf16(r) => r.read(buf),
        }
    }
}

/// The UTF-16 flavour of a file starting with `head`: from its byte-order mark, else the chosen `codec`,
/// else zero bytes only at odd (little-endian) or only at even (big-endian) offsets of the first 4 KiB (text
/// in one-byte encodings and UTF-8 has no zero bytes). A UTF-8 BOM means UTF-8 whatever was chosen.
fn utf16(head: &[u8], codec: &'static encoding_rs::Encoding) -> Option<&'static encoding_rs::Encoding> {
    match head {
        [0xFF, 0xFE, ..] => return Some(encoding_rs::UTF_16LE),
        [0xFE, 0xFF, ..] => return Some(encoding_rs::UTF_16BE),
        [0xEF, 0xBB, 0xBF, ..] => return None,
        _ => {}
    }
    if codec == encoding_rs::UTF_16LE || codec == encoding_rs::UTF_16BE {
        return Some(codec);
    }
    let sample = head.get(..head.len().min(1024) & !1).unwrap_or(&[]);
    // The high bytes of UTF-16 text in Latin and Persian script: 0x00 (ASCII: digits, commas, line breaks),
    // 0x06 (Arabic letters), 0x20 (ZWNJ and punctuation); at least nine in ten of them, some zero, and no
    // zero among the low bytes. Binary garbage and one-byte encodings fail this.
    let looks_wide = |high: usize| {
        let highs: Vec<u8> = sample.iter().skip(high).step_by(2).copied().collect();
        let lows_have_zero = sample.iter().skip(1 - high).step_by(2).any(|b| *b == 0);
        let script = highs.iter().filter(|b| matches!(b, 0x00 | 0x06 | 0x20)).count();
        highs.len() >= 8 && !lows_have_zero && highs.contains(&0) && script * 10 >= highs.len() * 9
    };
    if looks_wide(1) {
        Some(encoding_rs::UTF_16LE)
    } else if looks_wide(0) {
        Some(encoding_rs::UTF_16BE)
    } else {
        None
    }
}

/// How a column is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnUse {
    /// Its cells set this (writable) field.
    Field(String),
    /// The module's auto-number: taken when unique, as vtiger does.
    AutoNumber(String),
    /// Created time: taken, as vtiger does.
    CreatedTime,
    /// A system or computed field: ignored (one warning per import).
    Ignored(String),
    /// Matches no field.
    Unmapped,
}

/// Comparison key of a header or label: [`crate::text::fold`]ed (lower case, Persian letter variants and
/// digits, no ZWNJ or tatweel), letters and digits only, a trailing `(unit)` dropped.
pub fn key(s: &str) -> String {
    let mut t = s.trim();
    if t.ends_with(')')
        && let Some(i) = t.rfind('(')
        && i > 0
    {
        t = t.get(..i).unwrap_or(t);
    }
    crate::text::fold(t).chars().filter(|c| c.is_alphanumeric()).collect()
}

fn field_for<'m>(m: &'m Module, wanted: &str, labels: &[Labels]) -> Option<&'m Field> {
    m.field_by_name_or_label(wanted.trim()).or_else(|| {
        let k = key(wanted);
        if k.is_empty() {
            return None;
        }
        m.fields
            .iter()
            .find(|f| key(&f.label) == k)
            .or_else(|| m.fields.iter().find(|f| key(&f.name) == k))
            // A header in another installed language (a vtiger export made by a Persian user).
            .or_else(|| labels.iter().find_map(|l| m.fields.iter().find(|f| key(l.field(&m.name, f)) == k)))
    })
}

/// Decides what each column does. With an explicit mapping only mapped columns are used (by header text or
/// 1-based position); otherwise columns are matched to field labels, then names, then the field labels of
/// `labels` (every installed language, custom labels included), all compared by [`key`].
///
/// # Errors
/// `InvalidArgument` when the mapping names a field the module does not have.
pub fn map_columns(m: &Module, headers: &[String], options: &ImportOptions, labels: &[Labels]) -> Result<Vec<ColumnUse>> {
    let mut uses = Vec::with_capacity(headers.len());
    for (i, h) in headers.iter().enumerate() {
        let pos = (i + 1).to_string();
        let target = if options.mapping.is_empty() {
            field_for(m, h, labels)
        } else {
            let given = options.mapping.get(h).or_else(|| options.mapping.get(&pos));
            match given {
                None => None,
                Some(f) if f.trim().is_empty() => None,
                Some(f) => Some(field_for(m, f, labels).ok_or_else(|| Error::invalid(format!("mapping: {} has no field '{f}'", m.name)))?),
            }
        };
        let u = match target {
            None => ColumnUse::Unmapped,
            Some(f) if f.field_type == FieldType::AutoNumber => ColumnUse::AutoNumber(f.name.clone()),
            Some(f) if f.name == "createdtime" => ColumnUse::CreatedTime,
            Some(f) if f.maintained == Maintained::System || f.name == "forecast_amount" => ColumnUse::Ignored(f.name.clone()),
            Some(f) => ColumnUse::Field(f.name.clone()),
        };
        // The same field twice: the first column wins.
        let dup = match &u {
            ColumnUse::Field(n) => uses.iter().any(|x| x == &ColumnUse::Field(n.clone())),
            _ => false,
        };
        uses.push(if dup { ColumnUse::Unmapped } else { u });
    }
    Ok(uses)
}

/// Undoes export-side formula neutralisation: `'=x` → `=x`, `''=x` → `'=x` (one `'` off, only when the
/// `'`s stand before `= + - @`, tab or CR).
pub fn unneutralize(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if rest.trim_start_matches('\'').starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => s,
    }
}

/// Converts one cell for a field, applying the file's number and date formats. References, owners and
/// picklist membership are left to the save pipeline.
///
/// # Errors
/// A [`FieldError`] for a date that is not in the format or does not exist.
pub fn convert_cell(f: &Field, cell: &str, options: &ImportOptions) -> std::result::Result<Value, FieldError> {
    let cell = unneutralize(cell);
    if cell.trim().is_empty() {
        return Ok(Value::Null);
    }
    Ok(match f.field_type {
        FieldType::Decimal | FieldType::Currency | FieldType::Percent | FieldType::Integer => {
            let t = normalize_number(cell, options.decimal_separator, options.thousands_separator);
            let t = if f.field_type == FieldType::Percent { t.trim_end_matches('%').trim().to_string() } else { t };
            Value::Text(t)
        }
        FieldType::Date => match options.date_format.parse(cell) {
            Some(d) => Value::Date(d),
            None => {
                return Err(FieldError::new(
                    &f.name,
                    ValidationCode::InvalidFormat,
                    format!("'{cell}' is not a date ({})", date_hint(options)),
                ));
            }
        },
        FieldType::DateTime => {
            let t = crate::io::numbers::ascii_digits(cell.trim());
            let (d, time) = match t.split_once([' ', 'T']) {
                Some((d, time)) => (d.to_string(), Some(time.trim_end_matches('Z').to_string())),
                None => (t.clone(), None),
            };
            let date = options.date_format.parse(&d);
            let time = match &time {
                None => Some(NaiveTime::MIN),
                Some(x) => NaiveTime::parse_from_str(x, "%H:%M:%S").or_else(|_| NaiveTime::parse_from_str(x, "%H:%M")).ok(),
            };
            match (date, time) {
                (Some(d), Some(tm)) => Value::DateTime(d.and_time(tm)),
                _ => match parse_datetime(&t) {
                    Some(dt) => Value::DateTime(dt),
                    None => {
                        return Err(FieldError::new(
                            &f.name,
                            ValidationCode::InvalidFormat,
                            format!("'{cell}' is not a date and time ({} hh:mm:ss)", date_hint(options)),
                        ));
                    }
                },
            }
        }
        FieldType::MultiPicklist => {
            let items: Vec<String> = if cell.contains("|##|") {
                crate::value::split_multi(cell)
            } else {
                cell.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
            };
            Value::List(items)
        }
        _ => Value::Text(cell.to_string()),
    })
}

fn date_hint(options: &ImportOptions) -> String {
    let name = serde_json::to_value(options.date_format).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
    format!("expected {name} or yyyy-mm-dd")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(data: &[u8], o: &ImportOptions) -> (Vec<String>, Vec<RawRow>) {
        let mut s = CsvSource::open(data, o).unwrap();
        let mut v = vec![];
        while let Some(r) = s.next_row().unwrap() {
            v.push(r);
        }
        (s.headers.clone(), v)
    }

    #[test]
    fn empty_lines_are_rows() {
        let o = ImportOptions::default();
        let (_, r) = rows(b"a\n1\n\n\n", &o);
        assert_eq!(r, vec![RawRow::Cells { line: 2, cells: vec!["1".into()] }, RawRow::Empty { line: 3 }, RawRow::Empty { line: 4 }]);
        let (_, r) = rows(b"a\r\n1\r\n\r\n", &o);
        assert_eq!(r, vec![RawRow::Cells { line: 2, cells: vec!["1".into()] }, RawRow::Empty { line: 3 }]);
        let (_, r) = rows(b"a\r\n1\r\n", &o);
        assert_eq!(r.len(), 1);
        let (_, r) = rows(b"a\n1", &o);
        assert_eq!(r.len(), 1);
        let (h, r) = rows(b"a,b\n1,2\n\n\n3,4\n", &o);
        assert_eq!(h, vec!["a", "b"]);
        assert_eq!(
            r,
            vec![
                RawRow::Cells { line: 2, cells: vec!["1".into(), "2".into()] },
                RawRow::Empty { line: 3 },
                RawRow::Empty { line: 4 },
                RawRow::Cells { line: 5, cells: vec!["3".into(), "4".into()] },
            ]
        );
    }

    #[test]
    fn sniffing_and_bom() {
        let o = ImportOptions::default();
        let (h, r) = rows("\u{feff}Name;Amount\r\nx;\"1,5\"\r\n".as_bytes(), &o);
        assert_eq!(h, vec!["Name", "Amount"]);
        assert_eq!(r, vec![RawRow::Cells { line: 2, cells: vec!["x".into(), "1,5".into()] }]);
        assert_eq!(sniff_delimiter(b"a|b|c\n"), b'|');
        assert_eq!(sniff_delimiter(b"a\tb\n"), b'\t');
    }

    #[test]
    fn latin1() {
        let o = ImportOptions { encoding: crate::io::Encoding::Latin1, ..Default::default() };
        let (_, r) = rows(b"n\nCaf\xe9\n", &o);
        assert_eq!(r, vec![RawRow::Cells { line: 2, cells: vec!["Café".into()] }]);
        assert!(CsvSource::open(&b"n\nCaf\xe9\n"[..], &ImportOptions::default()).is_err());
    }

    #[test]
    fn keys() {
        assert_eq!(key("Probability (%)"), "probability");
        assert_eq!(key(" Expected-Close  Date "), "expectedclosedate");
    }
}

#[cfg(test)]
mod more_tests {
    use super::*;
    #[test]
    fn unclosed_quote_line() {
        let mut s = CsvSource::open(&b"a,b\n1,2\n\"x,1\ny,2\n"[..], &ImportOptions::default()).unwrap();
        let mut v = vec![];
        while let Some(r) = s.next_row().unwrap() {
            v.push(r);
        }
        assert_eq!(v.last(), Some(&RawRow::Cells { line: 3, cells: vec!["x,1\ny,2\n".into()] }));
    }
}

#[cfg(test)]
mod cell_tests {
    use super::*;
    use crate::schema::Schema;

    #[test]
    fn cells() {
        let s = Schema::builtin();
        let o = ImportOptions::default();
        let mut f = s.module("Contacts").and_then(|m| m.field("emailoptout")).cloned().unwrap();
        assert_eq!(convert_cell(&f, "yes", &o).unwrap(), Value::Text("yes".into()));
        assert_eq!(crate::value::coerce(&f, Value::Text("Yes".into())).unwrap(), Value::Bool(true));
        f.field_type = FieldType::MultiPicklist;
        assert_eq!(convert_cell(&f, "a |##| b", &o).unwrap(), Value::List(vec!["a".into(), "b".into()]));
        assert_eq!(convert_cell(&f, "a, b", &o).unwrap(), Value::List(vec!["a".into(), "b".into()]));
        assert_eq!(unneutralize("'=1+1"), "=1+1");
        assert_eq!(unneutralize("'quoted"), "'quoted");
        // a text that itself looks neutralised survives export → import
        for t in ["'=x", "''=x", "'-5", "'", "''", "'@", "=1+1", "-5.00", "plain"] {
            assert_eq!(unneutralize(&crate::io::csv_export::neutralize(t)), t, "{t}");
        }
        let d = s.module("Potentials").and_then(|m| m.field("closingdate")).cloned().unwrap();
        assert_eq!(convert_cell(&d, "2027-02-30", &o).unwrap_err().code, ValidationCode::InvalidFormat);
    }
}
