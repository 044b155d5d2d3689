//! How the option values of [`super::options`] are read from text, once for both bindings: delimiters by
//! name or symbol (`"semicolon"`, `";"`), encodings by name or alias (`"latin-1"`, `"cp1252"`), date
//! formats, duplicate handling and header styles by name, any case. C's JSON and Python's keyword
//! arguments go through these same parsers (`FromStr`, and serde through `TryFrom<String>`), so a bad value
//! is the same `InvalidArgument` naming the option and the accepted values in both.
//!
//! Writing is unchanged: each value serialises under its canonical name (`"comma"`, `"iso-8859-1"`, ...).

use super::options::{DateFormat, Delimiter, Digits, Duplicates, Encoding, HeaderStyle};
use crate::error::Error;
use serde::{Deserialize, Deserializer};
use std::str::FromStr;

/// The value of option `option` is not one of `accepted`.
fn unknown(option: &str, given: &str, accepted: &str) -> Error {
    Error::InvalidArgument(format!("{option}: unknown value '{given}' (one of {accepted})"))
}

/// `s` lowercased, `_` read as `-`, for comparing names.
fn folded(s: &str) -> String {
    s.trim().to_lowercase().replace('_', "-")
}

impl FromStr for Delimiter {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Ok(match s {
            "," => Delimiter::Comma,
            ";" => Delimiter::Semicolon,
            "|" => Delimiter::Pipe,
            "^" => Delimiter::Caret,
            "\t" => Delimiter::Tab,
            _ => match folded(s).as_str() {
                "auto" => Delimiter::Auto,
                "comma" => Delimiter::Comma,
                "semicolon" => Delimiter::Semicolon,
                "pipe" => Delimiter::Pipe,
                "caret" => Delimiter::Caret,
                "tab" => Delimiter::Tab,
                _ => {
                    return Err(unknown("delimiter", s, r#"auto, comma or ",", semicolon or ";", pipe or "|", caret or "^", tab or "\t""#));
                }
            },
        })
    }
}

impl FromStr for Encoding {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Ok(match folded(s).as_str() {
            "utf-8" | "utf8" | "utf-8-sig" => Encoding::Utf8,
            "iso-8859-1" | "iso8859-1" | "latin-1" | "latin1" | "l1" => Encoding::Latin1,
            "windows-1252" | "cp1252" => Encoding::Windows1252,
            "utf-16" | "utf16" => Encoding::Other(encoding_rs::UTF_16LE),
            f => {
                // Every label of the WHATWG Encoding Standard (`windows-1256`, `cp1256`, `utf-16be`, ...); the
                // "replacement" encoding (labels of encodings that are unsafe to decode) is refused.
                let label = f.strip_prefix("cp").map_or_else(|| f.to_string(), |n| format!("windows-{n}"));
                match encoding_rs::Encoding::for_label_no_replacement(label.as_bytes())
                    .or_else(|| encoding_rs::Encoding::for_label_no_replacement(f.as_bytes()))
                {
                    Some(e) if e == encoding_rs::UTF_8 => Encoding::Utf8,
                    Some(e) if e == encoding_rs::WINDOWS_1252 => Encoding::Windows1252,
                    Some(e) => Encoding::Other(e),
                    None => {
                        return Err(unknown(
                            "encoding",
                            s,
                            "utf-8, iso-8859-1 (latin-1), windows-1252 (cp1252), utf-16le, utf-16be, windows-1256 or any other WHATWG encoding label",
                        ));
                    }
                }
            }
        })
    }
}

impl FromStr for DateFormat {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Ok(match s.trim().to_lowercase().as_str() {
            "yyyy-mm-dd" => DateFormat::Iso,
            "dd-mm-yyyy" => DateFormat::DayMonthYearDash,
            "mm-dd-yyyy" => DateFormat::MonthDayYearDash,
            "dd.mm.yyyy" => DateFormat::DayMonthYearDot,
            "dd/mm/yyyy" => DateFormat::DayMonthYearSlash,
            "mm/dd/yyyy" => DateFormat::MonthDayYearSlash,
            "jalali" => DateFormat::Jalali,
            _ => {
                return Err(unknown("date_format", s, "yyyy-mm-dd, dd-mm-yyyy, mm-dd-yyyy, dd.mm.yyyy, dd/mm/yyyy, mm/dd/yyyy, jalali"));
            }
        })
    }
}

impl FromStr for Digits {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Ok(match folded(s).as_str() {
            "latin" | "ascii" | "western" => Digits::Latin,
            "persian" | "farsi" | "fa" => Digits::Persian,
            _ => return Err(unknown("digits", s, "latin, persian")),
        })
    }
}

impl FromStr for Duplicates {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Ok(match folded(s).as_str() {
            "create" => Duplicates::Create,
            "skip" => Duplicates::Skip,
            "overwrite" => Duplicates::Overwrite,
            "merge" => Duplicates::Merge,
            _ => return Err(unknown("duplicates", s, "create, skip, overwrite, merge")),
        })
    }
}

impl FromStr for HeaderStyle {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Ok(match folded(s).as_str() {
            "labels" => HeaderStyle::Labels,
            "names" => HeaderStyle::Names,
            "none" => HeaderStyle::None,
            _ => return Err(unknown("header", s, "labels, names, none")),
        })
    }
}

/// The text of an `InvalidArgument` (serde adds its own context around it).
fn message(e: Error) -> String {
    match e {
        Error::InvalidArgument(m) => m,
        other => other.to_string(),
    }
}

macro_rules! try_from_string {
    ($($t:ty),*) => {$(
        impl TryFrom<String> for $t {
            type Error = String;
            fn try_from(s: String) -> Result<Self, String> {
                s.parse().map_err(message)
            }
        }
    )*};
}
try_from_string!(Delimiter, Encoding, DateFormat, Digits, Duplicates, HeaderStyle);

/// One character, for option `option`.
fn one_char(option: &str, s: &str) -> Result<char, Error> {
    let mut it = s.chars();
    match (it.next(), it.next()) {
        (Some(c), None) => Ok(c),
        _ => Err(Error::InvalidArgument(format!("{option}: '{s}' is not one character"))),
    }
}

/// Reads `decimal_separator`: one character.
pub(crate) fn decimal_separator<'de, D: Deserializer<'de>>(d: D) -> Result<char, D::Error> {
    let s = String::deserialize(d)?;
    one_char("decimal_separator", &s).map_err(|e| serde::de::Error::custom(message(e)))
}

/// Reads `thousands_separator`: one character, or `null` / `""` for none.
pub(crate) fn thousands_separator<'de, D: Deserializer<'de>>(d: D) -> Result<Option<char>, D::Error> {
    match Option::<String>::deserialize(d)?.as_deref() {
        None | Some("") => Ok(None),
        Some(s) => one_char("thousands_separator", s).map(Some).map_err(|e| serde::de::Error::custom(message(e))),
    }
}

impl FromStr for super::vcard_export::VcardVersion {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        use super::vcard_export::VcardVersion as V;
        Ok(match s.trim() {
            "3.0" | "3" => V::V3,
            "4.0" | "4" => V::V4,
            _ => return Err(unknown("version", s, "3.0, 4.0")),
        })
    }
}
