//! The duplicate-matching normaliser: one public function per kind of value ([`normalize`] for text,
//! [`normalize_email`] for e-mail addresses), defined by an explicit character table so that the SQL
//! stores compute exactly the same key (SQLite through the connection function `crm_dedupe`, PostgreSQL
//! through the expression [`postgres_expression`] renders from the same tables).
//!
//! Text, in this order:
//! 1. every character is lower-cased on its own (Unicode simple lower case, no context rules such as the
//!    Greek final sigma, so that PostgreSQL's `lower()` agrees);
//! 2. Arabic letter variants become the Persian ones ([`LETTERS`]: `ي`/`ى` → `ی`, `ك` → `ک`; Greek `ς` →
//!    `σ`), Persian and Arabic-Indic digits become ASCII digits ([`DIGITS`]);
//! 3. the zero-width non-joiner (U+200C) and tatweel (U+0640) are dropped ([`DROPPED`]);
//! 4. punctuation and white space ([`SPACES`]: ASCII punctuation, Persian/Arabic punctuation, typographic
//!    quotes and dashes, tabs, line breaks, no-break spaces) become a space;
//! 5. runs of spaces collapse to one and spaces at either end are removed.
//!
//! E-mail addresses: lower-cased, white space removed, and a `+tag` in the local part dropped
//! (`Ann+crm@Example.com` → `ann@example.com`).
//!
//! A value whose key is empty (only spaces and punctuation) matches nothing.
//!
//! Why this is not [`crate::text::fold`] plus steps 4 and 5: the fold also drops the zero-width joiner
//! (U+200D), which this key keeps. Building the key on the fold would change the stored key
//! (`crm_dedupe_keys`) of every value holding one, which needs a migration of existing stores; until then
//! the two share their letter and digit rules by value (tested: `fold_and_key_differ_only_in_the_joiner`).

/// Letter variants and the form they match as: Arabic yeh and alef maksura → Persian yeh, Arabic kaf →
/// Persian keheh, and the Greek final sigma → sigma (a database's `lower()` may apply the final-sigma rule
/// that a character-wise lower case does not).
pub const LETTERS: [(char, char); 4] =
    [('\u{064A}', '\u{06CC}'), ('\u{0649}', '\u{06CC}'), ('\u{0643}', '\u{06A9}'), ('\u{03C2}', '\u{03C3}')];

/// Persian (U+06F0..) and Arabic-Indic (U+0660..) digits, mapped to ASCII by their offset.
pub const DIGITS: [char; 2] = ['\u{06F0}', '\u{0660}'];

/// Characters dropped: zero-width non-joiner and tatweel (kashida).
pub const DROPPED: [char; 2] = ['\u{200C}', '\u{0640}'];

/// Characters that separate words like a space: ASCII punctuation and white space, Persian/Arabic
/// punctuation, typographic quotes, dashes and spaces.
pub const SPACES: &str = concat!(
    "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
    "\t\n\u{0B}\u{0C}\r",
    "\u{00A0}\u{00AB}\u{00BB}\u{060C}\u{061B}\u{061F}\u{066A}\u{066B}\u{066C}\u{066D}\u{06D4}",
    "\u{2010}\u{2011}\u{2012}\u{2013}\u{2014}\u{2018}\u{2019}\u{201C}\u{201D}\u{2026}\u{2022}",
    "\u{2002}\u{2003}\u{2009}\u{200A}\u{202F}\u{3000}"
);

/// The duplicate-matching key of a text value (see the module documentation for the rules).
///
/// ```
/// use crm_core::dedupe::normalize;
/// assert_eq!(normalize("  Hooli,   Inc. "), "hooli inc");
/// assert_eq!(normalize("شركت علي"), normalize("شرکت علی")); // Arabic and Persian letters
/// assert_eq!(normalize("می\u{200C}خواهم ۱۲"), "میخواهم 12"); // ZWNJ dropped, Persian digits
/// ```
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars().flat_map(char::to_lowercase) {
        let c = map_char(c);
        match c {
            None => {}
            Some(' ') => pending_space = !out.is_empty(),
            Some(c) => {
                if pending_space {
                    out.push(' ');
                    pending_space = false;
                }
                out.push(c);
            }
        }
    }
    out
}

/// One lower-cased character after the letter, digit, dropped and space tables (`None`: dropped).
fn map_char(c: char) -> Option<char> {
    if DROPPED.contains(&c) {
        return None;
    }
    if c == ' ' || SPACES.contains(c) {
        return Some(' ');
    }
    if let Some((_, to)) = LETTERS.iter().find(|(from, _)| *from == c) {
        return Some(*to);
    }
    for zero in DIGITS {
        let d = u32::from(c).wrapping_sub(u32::from(zero));
        if d < 10 {
            return char::from_digit(d, 10);
        }
    }
    Some(c)
}

/// The duplicate-matching key of an e-mail address: lower case, no white space, no `+tag`.
///
/// ```
/// use crm_core::dedupe::normalize_email;
/// assert_eq!(normalize_email(" Ann+CRM@Example.COM "), "ann@example.com");
/// ```
pub fn normalize_email(text: &str) -> String {
    let lower: String = text.chars().flat_map(char::to_lowercase).filter(|c| !c.is_whitespace()).collect();
    match lower.find('@') {
        Some(at) => match lower[..at].find('+') {
            Some(plus) => format!("{}{}", &lower[..plus], &lower[at..]),
            None => lower,
        },
        None => lower,
    }
}

/// [`normalize`] as a PostgreSQL expression over the text expression `col`, with `lower` under
/// `collation` (a quoted identifier): `lower` → `translate` (letters, digits, spaces, dropped characters) →
/// collapse runs of spaces → trim.
pub fn postgres_expression(col: &str, collation: &str) -> String {
    let (from, to) = translate_tables();
    format!(
        "btrim(regexp_replace(translate(lower(({col})::text COLLATE {collation}), {}, {}), ' {{2,}}', ' ', 'g'), ' ')",
        sql_literal(&from),
        sql_literal(&to)
    )
}

/// [`normalize_email`] as a PostgreSQL expression over `col`.
pub fn postgres_email_expression(col: &str, collation: &str) -> String {
    format!("regexp_replace(regexp_replace(lower(({col})::text COLLATE {collation}), '\\s', '', 'g'), '\\+[^@]*@', '@')")
}

/// The `from` and `to` strings of PostgreSQL's `translate`: mapped characters first, then the dropped ones
/// (beyond the end of `to`, so `translate` removes them).
fn translate_tables() -> (String, String) {
    let (mut from, mut to) = (String::new(), String::new());
    for (f, t) in LETTERS {
        from.push(f);
        to.push(t);
    }
    for zero in DIGITS {
        for d in 0..10u32 {
            if let Some(c) = char::from_u32(u32::from(zero) + d) {
                from.push(c);
                to.push(char::from_digit(d, 10).unwrap_or('0'));
            }
        }
    }
    for c in SPACES.chars() {
        from.push(c);
        to.push(' ');
    }
    from.extend(DROPPED);
    (from, to)
}

/// A SQL string literal (quotes doubled; the tables hold no NUL).
fn sql_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_rules() {
        assert_eq!(normalize("HOOLI"), "hooli");
        assert_eq!(normalize(" Pied   Piper\t"), "pied piper");
        assert_eq!(normalize("Pied-Piper, Inc."), "pied piper inc");
        assert_eq!(normalize("كيان"), "کیان");
        assert_eq!(normalize("مهـــدی"), "مهدی");
        assert_eq!(normalize("٣٤ و ۳۴"), "34 و 34");
        assert_eq!(normalize("«شرکت»، تهران؟"), "شرکت تهران");
        assert_eq!(normalize("..."), "");
        assert_eq!(normalize("ΣΑΣ"), "σασ");
    }

    #[test]
    fn email_rules() {
        assert_eq!(normalize_email("Ann@Example.com"), "ann@example.com");
        assert_eq!(normalize_email("ann+news+x@example.com"), "ann@example.com");
        assert_eq!(normalize_email("no-at-sign+x"), "no-at-sign+x");
    }

    /// The key is the fold followed by the separator steps (and the final sigma read as sigma) for every
    /// character but the zero-width joiner, which the fold drops and the key keeps.
    #[test]
    fn fold_and_key_differ_only_in_the_joiner() {
        let separate = |s: String| normalize(&s.replace('\u{03C2}', "\u{03C3}"));
        for c in (0..0x3100u32).chain(0xFE00..0xFFFF).filter_map(char::from_u32) {
            let text = format!("A{c}b {c}");
            let via_fold = separate(crate::text::fold(&text));
            if c == '\u{200D}' {
                assert_ne!(normalize(&text), via_fold, "the joiner");
            } else {
                assert_eq!(normalize(&text), via_fold, "{c:?}");
            }
        }
    }

    #[test]
    fn translate_tables_line_up() {
        let (from, to) = translate_tables();
        assert_eq!(from.chars().count(), to.chars().count() + DROPPED.len());
    }
}
