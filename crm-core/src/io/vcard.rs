//! vCard 2.1, 3.0 and 4.0 → contact fields, with the calcard parser.
//!
//! calcard reads what Google, Apple and Outlook write (folded lines, CRLF or LF, a BOM, QUOTED-PRINTABLE
//! with CHARSET, `item1.` groups, bare 2.1 TYPE parameters, TYPE lists); vcard_parser 0.2 rejects 2.1 and
//! 3.0 (see reference/engineering.md). It is used only here, behind crm's own [`ContactCard`], so it can be
//! swapped.
//!
//! Mapping to vtiger's Contacts fields: N → lastname / firstname / salutation (prefix), FN when N is
//! missing (last word = last name), N when FN is missing; ORG → organization (first component) and
//! department (second); TITLE → title; EMAIL → email, secondaryemail; TEL by type → phone (work or
//! untyped), mobile (cell), homephone, fax, otherphone; ADR → mailing street/city/state/zip/country/PO box;
//! NOTE → description; BDAY → birthday. A PHOTO is ignored (Contacts has no image field yet).
//!
//! **Size limit.** Unlike CSV, a vCard file is read whole before it is parsed (calcard parses from a string;
//! address books are small). Files larger than [`MAX_VCARD_FILE_BYTES`] (64 MiB, several hundred thousand
//! cards without photos) are refused with `InvalidArgument` before anything is written; split bigger
//! exports, or export them as CSV.

use calcard::vcard::{VCard, VCardEntry, VCardParameterName, VCardProperty, VCardValue};
use calcard::{Entry, Parser};
use chrono::NaiveDate;

/// The largest vCard file [`Crm::import_vcard`](crate::Crm::import_vcard) reads (64 MiB); see the module
/// documentation.
pub const MAX_VCARD_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// A contact as read from one card.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContactCard {
    /// Salutation (N prefix), e.g. `Ms.`.
    pub salutation: Option<String>,
    /// Given name.
    pub first_name: Option<String>,
    /// Family name (never empty for a valid card).
    pub last_name: String,
    /// Organization name (ORG first component).
    pub organization: Option<String>,
    /// Department (ORG second component).
    pub department: Option<String>,
    /// Job title.
    pub title: Option<String>,
    /// E-mail addresses, preferred first.
    pub emails: Vec<String>,
    /// Work (or untyped) phone.
    pub phone: Option<String>,
    /// Mobile phone.
    pub mobile: Option<String>,
    /// Home phone.
    pub home_phone: Option<String>,
    /// Fax.
    pub fax: Option<String>,
    /// Any further phone.
    pub other_phone: Option<String>,
    /// Street (extended address joined).
    pub street: Option<String>,
    /// PO box.
    pub po_box: Option<String>,
    /// City.
    pub city: Option<String>,
    /// State or region.
    pub state: Option<String>,
    /// Postal code.
    pub zip: Option<String>,
    /// Country.
    pub country: Option<String>,
    /// Note.
    pub note: Option<String>,
    /// Birthday.
    pub birthday: Option<NaiveDate>,
}

/// One card of a file: its 1-based position and the contact, or why it cannot be read.
pub type CardResult = (u64, Result<ContactCard, String>);

/// Reads every card of a vCard file (text already decoded). A broken card is returned as an error with
/// its position; each non-blank line outside a card (binary garbage too) is returned as an error naming
/// its line number; the cards around them are still read. A text without any card gives an empty list
/// (see [`has_card`]).
pub fn parse_cards(text: &str) -> Vec<CardResult> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    let mut n = 0u64;
    for (line, chunk) in split_cards(text) {
        let starts_card = chunk.lines().next().is_some_and(is_begin);
        if !starts_card {
            if chunk.trim().is_empty() {
                continue;
            }
            // Each garbage line is reported with its own line number.
            for (i, l) in chunk.lines().enumerate() {
                if !l.trim().is_empty() {
                    n += 1;
                    out.push((n, Err(format!("line {}: invalid line '{}' outside a card", line + i as u64, shown(l)))));
                }
            }
            continue;
        }
        n += 1;
        if !chunk.lines().any(|l| l.trim().eq_ignore_ascii_case("END:VCARD")) {
            out.push((n, Err(format!("the card starting at line {line} is not terminated (missing END:VCARD)"))));
            continue;
        }
        out.push((n, parse_one(chunk, line)));
        if out.len() > 10_000_000 {
            break;
        }
    }
    out
}

/// Whether the text holds at least one `BEGIN:VCARD` line (a file without one is not a vCard file).
pub fn has_card(text: &str) -> bool {
    text.lines().any(is_begin)
}

/// A line as shown in a message: at most 80 characters, control characters (NUL, ...) escaped.
fn shown(l: &str) -> String {
    l.chars().take(80).flat_map(|c| if c.is_control() { c.escape_default().collect::<Vec<_>>() } else { vec![c] }).collect()
}

fn is_begin(l: &str) -> bool {
    l.trim_end().eq_ignore_ascii_case("BEGIN:VCARD")
}

/// Splits the text before each line that is exactly `BEGIN:VCARD` and after each `END:VCARD`, so that one
/// card missing its `END` cannot swallow the next one and lines between cards are seen (and reported).
/// Yields the 1-based line number of each piece and the piece. (Folded continuation lines start with a
/// space or tab, so they are never taken for a `BEGIN` or an `END`.)
fn split_cards(text: &str) -> Vec<(u64, &str)> {
    let mut pieces = Vec::new();
    let (mut start, mut start_line, mut line, mut pos) = (0usize, 1u64, 1u64, 0usize);
    for l in text.split_inclusive('\n') {
        if is_begin(l) && pos > start {
            pieces.push((start_line, &text[start..pos]));
            start = pos;
            start_line = line;
        }
        pos += l.len();
        line += 1;
        if l.trim_end().eq_ignore_ascii_case("END:VCARD") {
            pieces.push((start_line, &text[start..pos]));
            start = pos;
            start_line = line;
        }
    }
    if pos > start {
        pieces.push((start_line, &text[start..pos]));
    }
    pieces
}

/// Parses one `BEGIN:VCARD … END:VCARD` piece.
fn parse_one(chunk: &str, line: u64) -> Result<ContactCard, String> {
    let mut parser = Parser::new(chunk);
    let mut first_error = None;
    loop {
        match parser.entry() {
            Entry::Eof => break,
            Entry::VCard(card) => return contact_of(&card),
            Entry::InvalidLine(l) => {
                first_error.get_or_insert_with(|| format!("invalid line '{}'", shown(&l)));
            }
            Entry::UnterminatedComponent(c) => {
                first_error.get_or_insert_with(|| format!("card is not terminated (missing END:{c})"));
                break;
            }
            Entry::TooManyComponents => {
                first_error.get_or_insert_with(|| "too many nested components".into());
                break;
            }
            Entry::ICalendar(_) => {
                first_error.get_or_insert_with(|| "an iCalendar component, not a vCard".into());
            }
            _ => {
                first_error.get_or_insert_with(|| "unexpected content".into());
            }
        }
    }
    Err(format!("card starting at line {line}: {}", first_error.unwrap_or_else(|| "empty card".into())))
}

fn texts(e: &VCardEntry) -> Vec<String> {
    let mut v = Vec::new();
    for x in &e.values {
        match x {
            VCardValue::Text(s) => v.push(s.clone()),
            VCardValue::Component(c) => v.extend(c.iter().cloned()),
            VCardValue::Integer(i) => v.push(i.to_string()),
            _ => {}
        }
    }
    v
}

fn first_text(e: &VCardEntry) -> Option<String> {
    texts(e).into_iter().map(|s| s.trim().to_string()).find(|s| !s.is_empty())
}

fn component(e: &VCardEntry, i: usize) -> Option<String> {
    let all: Vec<String> = match e.values.first() {
        Some(VCardValue::Component(c)) if e.values.len() == 1 => c.clone(),
        _ => e.values.iter().map(|v| if let VCardValue::Text(s) = v { s.clone() } else { String::new() }).collect(),
    };
    all.get(i).map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// Lower-cased type words of an entry (TYPE=work,voice; 2.1 bare `CELL`; `PREF`).
fn types(e: &VCardEntry) -> String {
    let mut s = String::new();
    for p in &e.params {
        if matches!(p.name, VCardParameterName::Type | VCardParameterName::Pref) || matches!(&p.name, VCardParameterName::Other(_)) {
            s.push_str(&format!("{:?} {:?} ", p.name, p.value).to_lowercase());
        }
    }
    s
}

fn nonempty(s: Option<String>) -> Option<String> {
    s.map(|x| x.trim().to_string()).filter(|x| !x.is_empty())
}

/// Converts one parsed card.
///
/// # Errors
/// A message when the card has neither N nor FN.
pub fn contact_of(card: &VCard) -> Result<ContactCard, String> {
    let mut c = ContactCard::default();
    let mut full = None;
    for e in &card.entries {
        match &e.name {
            VCardProperty::N => {
                c.last_name = component(e, 0).unwrap_or_default();
                c.first_name = component(e, 1);
                c.salutation = component(e, 3);
            }
            VCardProperty::Fn => full = first_text(e),
            VCardProperty::Org => {
                c.organization = component(e, 0);
                c.department = component(e, 1);
            }
            VCardProperty::Title => c.title = first_text(e),
            VCardProperty::Email => {
                if let Some(m) = first_text(e) {
                    if types(e).contains("pref") {
                        c.emails.insert(0, m);
                    } else {
                        c.emails.push(m);
                    }
                }
            }
            VCardProperty::Tel => {
                let Some(num) = first_text(e) else { continue };
                let num = num.trim_start_matches("tel:").to_string();
                let t = types(e);
                let slot = if t.contains("fax") {
                    &mut c.fax
                } else if t.contains("cell") || t.contains("mobile") || t.contains("iphone") {
                    &mut c.mobile
                } else if t.contains("home") {
                    &mut c.home_phone
                } else if c.phone.is_none() {
                    &mut c.phone
                } else {
                    &mut c.other_phone
                };
                if slot.is_none() {
                    *slot = Some(num);
                } else if c.other_phone.is_none() {
                    c.other_phone = Some(num);
                }
            }
            VCardProperty::Adr if c.street.is_none() && c.city.is_none() => {
                c.po_box = component(e, 0);
                let street: Vec<String> = [component(e, 1), component(e, 2)].into_iter().flatten().collect();
                c.street = nonempty(Some(street.join(", ")));
                c.city = component(e, 3);
                c.state = component(e, 4);
                c.zip = component(e, 5);
                c.country = component(e, 6);
            }
            VCardProperty::Note => c.note = texts(e).first().cloned().filter(|s| !s.trim().is_empty()),
            VCardProperty::Bday => {
                c.birthday = match e.values.first() {
                    Some(VCardValue::PartialDateTime(p)) => match (p.year, p.month, p.day) {
                        (Some(y), Some(m), Some(d)) => NaiveDate::from_ymd_opt(i32::from(y), u32::from(m), u32::from(d)),
                        _ => None,
                    },
                    Some(VCardValue::Text(s)) => crate::value::parse_date(s).or_else(|| NaiveDate::parse_from_str(s.trim(), "%Y%m%d").ok()),
                    _ => None,
                };
            }
            _ => {}
        }
    }
    if c.last_name.is_empty() {
        match full.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(f) => match f.rsplit_once(' ') {
                Some((first, last)) if c.first_name.is_none() => {
                    c.first_name = nonempty(Some(first.to_string()));
                    c.last_name = last.trim().to_string();
                }
                _ => c.last_name = f.to_string(),
            },
            None => match (&c.first_name, &c.organization) {
                (Some(f), _) => {
                    c.last_name = f.clone();
                    c.first_name = None;
                }
                _ => return Err("the card has no name (neither N nor FN)".into()),
            },
        }
    }
    Ok(c)
}

#[cfg(test)]
mod split_tests {
    use super::*;

    #[test]
    fn a_card_without_end_does_not_swallow_the_next() {
        let text = "junk before\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nN:Last;Broken\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nN:Person;Good\r\nNOTE:folded\r\n BEGIN:VCARD inside a note\r\nEND:VCARD\r\n\r\n";
        let cards = parse_cards(text);
        assert_eq!(cards.len(), 3, "{cards:?}");
        assert_eq!(cards[0].0, 1);
        assert!(cards[0].1.as_ref().unwrap_err().contains("line 1"), "{cards:?}");
        assert_eq!(cards[1].0, 2);
        assert!(cards[1].1.as_ref().unwrap_err().contains("line 2 is not terminated"), "{cards:?}");
        let good = cards[2].1.as_ref().unwrap();
        assert_eq!((good.last_name.as_str(), good.first_name.as_deref()), ("Person", Some("Good")));
        assert_eq!(good.note.as_deref(), Some("foldedBEGIN:VCARD inside a note"));
        assert_eq!(split_cards("a\nb\n").len(), 1);
        assert!(parse_cards("").is_empty() && !has_card("junk\n"));
    }
}
