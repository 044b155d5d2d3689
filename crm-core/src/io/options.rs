//! Import and export options. Plain data with serde, so the C and Python bindings pass them as JSON:
//!
//! ```json
//! {"delimiter": "auto", "encoding": "windows-1252", "date_format": "dd.mm.yyyy",
//!  "duplicates": "merge", "match_on": ["potentialname"], "create_missing_references": true}
//! ```
//!
//! Every field has a default, so `{}` is a valid options object.

use crate::io::{jalali, numbers};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How dates are written in a file. An ISO date (`yyyy-mm-dd`) is always accepted on import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "String")]
pub enum DateFormat {
    /// `2027-03-31` (default).
    #[default]
    #[serde(rename = "yyyy-mm-dd")]
    Iso,
    /// `31-03-2027`.
    #[serde(rename = "dd-mm-yyyy")]
    DayMonthYearDash,
    /// `03-31-2027`.
    #[serde(rename = "mm-dd-yyyy")]
    MonthDayYearDash,
    /// `31.03.2027`.
    #[serde(rename = "dd.mm.yyyy")]
    DayMonthYearDot,
    /// `31/03/2027`.
    #[serde(rename = "dd/mm/yyyy")]
    DayMonthYearSlash,
    /// `03/31/2027`.
    #[serde(rename = "mm/dd/yyyy")]
    MonthDayYearSlash,
    /// Solar Hijri `1406/01/11` (Persian digits accepted).
    #[serde(rename = "jalali")]
    Jalali,
}

impl DateFormat {
    fn chrono(self) -> Option<&'static str> {
        Some(match self {
            DateFormat::Iso => "%Y-%m-%d",
            DateFormat::DayMonthYearDash => "%d-%m-%Y",
            DateFormat::MonthDayYearDash => "%m-%d-%Y",
            DateFormat::DayMonthYearDot => "%d.%m.%Y",
            DateFormat::DayMonthYearSlash => "%d/%m/%Y",
            DateFormat::MonthDayYearSlash => "%m/%d/%Y",
            DateFormat::Jalali => return None,
        })
    }

    /// Parses a date in this format, or ISO; native digits are accepted. `None` when it is not a real date.
    pub fn parse(self, s: &str) -> Option<NaiveDate> {
        let t = numbers::ascii_digits(s.trim());
        if let Some(d) = crate::value::parse_date(&t) {
            return Some(d);
        }
        match self.chrono() {
            Some(f) => NaiveDate::parse_from_str(&t, f).ok(),
            None => jalali::parse(&t),
        }
    }

    /// Formats a date in this format.
    pub fn format(self, d: NaiveDate) -> String {
        match self.chrono() {
            Some(f) => d.format(f).to_string(),
            None => jalali::format(d),
        }
    }
}

/// The column delimiter of a CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[serde(try_from = "String")]
pub enum Delimiter {
    /// Guess from the first line among `,` `;` `|` `^` and tab (default).
    #[default]
    Auto,
    /// `,`
    Comma,
    /// `;`
    Semicolon,
    /// `|`
    Pipe,
    /// `^`
    Caret,
    /// Tab.
    Tab,
}

impl Delimiter {
    /// The byte, or `None` for auto.
    pub fn byte(self) -> Option<u8> {
        Some(match self {
            Delimiter::Auto => return None,
            Delimiter::Comma => b',',
            Delimiter::Semicolon => b';',
            Delimiter::Pipe => b'|',
            Delimiter::Caret => b'^',
            Delimiter::Tab => b'\t',
        })
    }
}

/// The character encoding of a file: any encoding of the WHATWG Encoding Standard (what `encoding_rs`
/// decodes), named by any of its labels (`"windows-1256"`, `"cp1256"`, `"utf-16le"`, `"iso-8859-6"`,
/// `"latin-1"`...). A UTF-8 or UTF-16 byte-order mark at the start of a file wins over the chosen encoding;
/// a UTF-16 file without one is recognised by its zero bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoding {
    /// UTF-8, with or without a byte-order mark (default).
    #[default]
    Utf8,
    /// ISO-8859-1 (Latin-1), vtiger's other choice. Decoded as windows-1252, as browsers do.
    Latin1,
    /// Windows-1252.
    Windows1252,
    /// Any other encoding `encoding_rs` knows (windows-1256, UTF-16LE/BE, ISO-8859-6, Shift_JIS, ...).
    Other(&'static encoding_rs::Encoding),
}

impl Encoding {
    pub(crate) fn codec(self) -> &'static encoding_rs::Encoding {
        match self {
            Encoding::Utf8 => encoding_rs::UTF_8,
            Encoding::Latin1 | Encoding::Windows1252 => encoding_rs::WINDOWS_1252,
            Encoding::Other(e) => e,
        }
    }

    /// The canonical name: `utf-8`, `iso-8859-1`, `windows-1252`, or the WHATWG name in lower case
    /// (`windows-1256`, `utf-16le`).
    pub fn name(self) -> String {
        match self {
            Encoding::Utf8 => "utf-8".into(),
            Encoding::Latin1 => "iso-8859-1".into(),
            Encoding::Windows1252 => "windows-1252".into(),
            Encoding::Other(e) => e.name().to_ascii_lowercase(),
        }
    }
}

impl Serialize for Encoding {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name())
    }
}

impl<'de> Deserialize<'de> for Encoding {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Encoding::try_from(s).map_err(serde::de::Error::custom)
    }
}

/// What to do with a row that matches an existing record on [`ImportOptions::match_on`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[serde(try_from = "String")]
pub enum Duplicates {
    /// No duplicate check: every row creates a record (default).
    #[default]
    Create,
    /// Leave the existing record alone; the row is reported as skipped.
    Skip,
    /// Replace the existing record's mapped fields with the row (empty cells clear the field).
    Overwrite,
    /// Fill the existing record with the row's non-empty cells only.
    Merge,
}

/// Options of a CSV (or vCard) import.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ImportOptions {
    /// The first row names the columns (default true).
    pub has_header: bool,
    /// Column delimiter (default auto).
    pub delimiter: Delimiter,
    /// Character encoding (default UTF-8; a BOM is skipped).
    pub encoding: Encoding,
    /// Date format of date cells (an ISO date is always accepted).
    pub date_format: DateFormat,
    /// Decimal separator of number cells (default `.`).
    #[serde(deserialize_with = "super::option_names::decimal_separator")]
    pub decimal_separator: char,
    /// Thousands separator of number cells (default `,`; `None` or `""` for none).
    #[serde(deserialize_with = "super::option_names::thousands_separator")]
    pub thousands_separator: Option<char>,
    /// Column → field (name or label). Columns are named by header text, or by 1-based position (`"3"`)
    /// without a header. Empty: columns are matched to field labels and names automatically.
    pub mapping: BTreeMap<String, String>,
    /// Field → value used for empty cells and unmapped fields.
    pub defaults: BTreeMap<String, String>,
    /// Duplicate handling (default create).
    pub duplicates: Duplicates,
    /// Fields (names or labels) that must all be equal for a row to match a record. When several records
    /// match, the newest (highest id) is skipped / overwritten / merged and the others are left alone; the
    /// report's warnings count such rows (vtiger also takes one match and leaves the rest).
    pub match_on: Vec<String>,
    /// A reference to a record that does not exist creates it (by name), as vtiger does. Default false.
    pub create_missing_references: bool,
    /// A picklist value that does not exist is added to the picklist. Default false.
    pub add_unknown_picklist_values: bool,
    /// Validate and report without writing anything: every row gets its would-be outcome (create, update
    /// with the changed fields, skip, fail). Record ids reserved while planning are simply not used; the
    /// auto-number counter is put back.
    pub dry_run: bool,
    /// Rows per transaction (default 250, vtiger's batch size).
    pub batch_size: usize,
    /// Most rows (CSV lines after the header, or vCards) read from one file (default
    /// [`MAX_IMPORT_ROWS`](crate::limits::MAX_IMPORT_ROWS)); the rest is reported as one failed row with
    /// code `limit`.
    pub max_rows: u64,
    /// Longest CSV record in bytes (default [`MAX_CSV_RECORD_BYTES`](crate::limits::MAX_CSV_RECORD_BYTES));
    /// a longer one (e.g. an unclosed quote) stops the import with `InvalidArgument`.
    pub max_record_bytes: u64,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            has_header: true,
            delimiter: Delimiter::Auto,
            encoding: Encoding::Utf8,
            date_format: DateFormat::Iso,
            decimal_separator: '.',
            thousands_separator: Some(','),
            mapping: BTreeMap::new(),
            defaults: BTreeMap::new(),
            duplicates: Duplicates::Create,
            match_on: Vec::new(),
            create_missing_references: false,
            add_unknown_picklist_values: false,
            dry_run: false,
            batch_size: 250,
            max_rows: crate::limits::MAX_IMPORT_ROWS,
            max_record_bytes: crate::limits::MAX_CSV_RECORD_BYTES,
        }
    }
}

impl ImportOptions {
    /// Reads options from JSON (missing keys take their defaults).
    ///
    /// # Errors
    /// `InvalidArgument` naming the bad key.
    pub fn from_json(s: &str) -> crate::Result<Self> {
        let o: Self = serde_json::from_str(s).map_err(|e| crate::Error::InvalidArgument(format!("import options: {e}")))?;
        o.validate()?;
        Ok(o)
    }

    /// Range-checks the options (every import does this before it reads a row).
    ///
    /// # Errors
    /// `InvalidArgument` naming the option: `batch_size` above
    /// [`MAX_IMPORT_BATCH`](crate::limits::MAX_IMPORT_BATCH), a `decimal_separator` that is a digit or
    /// equals `thousands_separator`.
    pub fn validate(&self) -> crate::Result<()> {
        let bad = |what: String| Err(crate::Error::InvalidArgument(format!("import options: {what}")));
        if self.batch_size > crate::limits::MAX_IMPORT_BATCH {
            return bad(format!("batch_size {} is above the limit {}", self.batch_size, crate::limits::MAX_IMPORT_BATCH));
        }
        if self.decimal_separator.is_ascii_digit() || self.thousands_separator.is_some_and(|t| t.is_ascii_digit()) {
            return bad("decimal_separator and thousands_separator cannot be digits".into());
        }
        if self.thousands_separator == Some(self.decimal_separator) {
            return bad(format!("decimal_separator and thousands_separator are both '{}'", self.decimal_separator));
        }
        Ok(())
    }
}

/// The expected close date of an opportunity created `days` after `today` by a vCard import.
///
/// # Errors
/// `InvalidArgument` naming `close_in_days` when it is above
/// [`MAX_CLOSE_IN_DAYS`](crate::limits::MAX_CLOSE_IN_DAYS) or the date would not exist.
pub fn close_date(today: NaiveDate, days: u32) -> crate::Result<NaiveDate> {
    let max = crate::limits::MAX_CLOSE_IN_DAYS;
    (days <= max).then(|| today.checked_add_days(chrono::Days::new(u64::from(days)))).flatten().ok_or_else(|| {
        crate::Error::InvalidArgument(format!("vCard import options: opportunity.close_in_days {days} is above the limit {max}"))
    })
}

/// The header row of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[serde(try_from = "String")]
pub enum HeaderStyle {
    /// Field labels, as vtiger exports them (default).
    #[default]
    Labels,
    /// Field names (`potentialname`).
    Names,
    /// No header row.
    None,
}

/// Options of a CSV export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExportOptions {
    /// Fields (names or labels) to export, in this order. Empty: every field in layout order.
    pub columns: Vec<String>,
    /// Header row style.
    pub header: HeaderStyle,
    /// Column delimiter (auto means comma).
    pub delimiter: Delimiter,
    /// Date format of date and date-time cells (the time part stays `hh:mm:ss`).
    pub date_format: DateFormat,
    /// Prefix cells that start with `=`, `+`, `-`, `@`, tab or CR with `'`, against spreadsheet formula
    /// injection (default true).
    pub neutralize_formulas: bool,
    /// Write a UTF-8 byte-order mark first, for Excel (default false; Excel needs it to show Persian).
    pub bom: bool,
    /// Adds, after each money field of a module whose records carry a currency, a column with the amount
    /// converted to this currency (ISO code) at the record's dated rate, headed `Amount (EUR)` (default
    /// none: amounts are written in each record's currency, next to its `Currency` column).
    pub converted_to: Option<String>,
    /// The digits of numbers and dates: `latin` (default) or `persian` (`۱۴۰۶/۰۱/۰۵`, `۱۲۰۰۰٫۵۰`).
    pub digits: Digits,
}

/// The digits an export writes numbers and dates with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Digits {
    /// ASCII `0`–`9` (default).
    #[default]
    Latin,
    /// Persian `۰`–`۹`, with the Persian decimal separator `٫`.
    Persian,
}

impl From<Digits> for String {
    fn from(d: Digits) -> String {
        match d {
            Digits::Latin => "latin".into(),
            Digits::Persian => "persian".into(),
        }
    }
}

impl Default for ExportOptions {
    fn default() -> Self {
        Self {
            columns: vec![],
            header: HeaderStyle::Labels,
            delimiter: Delimiter::Comma,
            date_format: DateFormat::Iso,
            neutralize_formulas: true,
            bom: false,
            converted_to: None,
            digits: Digits::Latin,
        }
    }
}
