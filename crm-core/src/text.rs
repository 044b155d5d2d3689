//! Text matching: the one fold every case- and script-insensitive comparison in crm goes through.
//!
//! [`fold`] is used by search and filters (`contains`, `starts with`, ... in the memory store, in
//! workflows and, registered as the SQL function `crm_fold`, in SQLite), by label lookups (the stored
//! `label_key` of every record, which `Accounts::::Name` references and duplicate checks on a name read),
//! and by import header and picklist matching. PostgreSQL computes the same fold in SQL: `lower(col)` then
//! chained `replace()`s of the characters below, the letter and digit ones only when the needle has a
//! Persian ی/ک or an ASCII digit (only then can they change the answer; faster than one `translate()` over
//! the whole table [`FOLD_FROM`] → [`FOLD_TO`], which refolds stored label keys). All three stores agree
//! (tested on every store against this function).
//!
//! What it does, in this order, one character at a time:
//! 1. Unicode lower case (`str::to_lowercase`);
//! 2. Arabic letters that Persian writes with its own code points become the Persian ones: Arabic yeh
//!    `ي` (U+064A) and alef maksura `ى` (U+0649) → Persian yeh `ی` (U+06CC); Arabic kaf `ك` (U+0643) →
//!    keheh `ک` (U+06A9);
//! 3. Persian (`۰`–`۹`) and Arabic-Indic (`٠`–`٩`) digits become ASCII `0`–`9`;
//! 4. the zero-width non-joiner (U+200C), the zero-width joiner (U+200D) and tatweel `ـ` (U+0640, the
//!    kashida stretch) are dropped.
//!
//! The fold is idempotent (`fold(fold(s)) == fold(s)`) and leaves ASCII text as its ASCII lower case.

use std::borrow::Cow;

/// The characters the fold replaces or drops after lower-casing (PostgreSQL `translate()`'s `from`):
/// each of the first [`FOLD_TO`]`.chars().count()` becomes the character at the same place in
/// [`FOLD_TO`]; the rest (ZWNJ, ZWJ, tatweel) are removed.
pub const FOLD_FROM: &str = "\u{064A}\u{0649}\u{0643}۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩\u{200C}\u{200D}\u{0640}";

/// What [`FOLD_FROM`]'s characters become (PostgreSQL `translate()`'s `to`).
pub const FOLD_TO: &str = "\u{06CC}\u{06CC}\u{06A9}01234567890123456789";

/// The folded form of one character after lower-casing: `Some(replacement)` or `None` to drop it.
fn fold_char(c: char) -> Option<char> {
    Some(match c {
        '\u{064A}' | '\u{0649}' => '\u{06CC}',
        '\u{0643}' => '\u{06A9}',
        '\u{06F0}'..='\u{06F9}' => char::from(b'0' + (u32::from(c) - 0x06F0) as u8),
        '\u{0660}'..='\u{0669}' => char::from(b'0' + (u32::from(c) - 0x0660) as u8),
        '\u{200C}' | '\u{200D}' | '\u{0640}' => return None,
        c => c,
    })
}

/// Folds text for comparison: lower case, Arabic ي/ى/ك read as Persian ی/ی/ک, Persian and Arabic-Indic
/// digits as ASCII digits, ZWNJ, ZWJ and tatweel removed (see the module docs). Two texts a user would call
/// "the same name" fold to the same string; compare folded with folded.
///
/// ```
/// use crm_core::text::fold;
/// assert_eq!(fold("HOOLI"), "hooli");
/// assert_eq!(fold("شركت علي"), fold("شرکت علی")); // Arabic yeh/kaf vs Persian
/// assert_eq!(fold("فرصت\u{200C}ها"), fold("فرصتها")); // ZWNJ ignored
/// assert_eq!(fold("مـــهر"), fold("مهر")); // tatweel ignored
/// assert_eq!(fold("۱۴۰۶"), "1406");
/// ```
pub fn fold(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    s.to_lowercase().chars().filter_map(fold_char).collect()
}

/// Appends [`fold`]`(s)` to `out` (for callers that reuse a buffer).
pub fn fold_into(s: &str, out: &mut String) {
    if s.contains('Σ') {
        // the final-sigma rule of `str::to_lowercase` needs the whole word
        out.push_str(&fold(s));
    } else {
        out.extend(s.chars().flat_map(char::to_lowercase).filter_map(fold_char));
    }
}

/// Whether `s` holds a non-ASCII character that [`fold`] turns into ASCII or removes (`İ`, the Kelvin sign,
/// Persian and Arabic-Indic digits, ZWNJ, ZWJ, tatweel): without one, an ASCII needle can be searched in
/// the unfolded bytes with an ASCII case-insensitive comparison.
pub fn folds_to_ascii(s: &str) -> bool {
    !s.is_ascii()
        && s.chars().any(
            |c| matches!(c, '\u{130}' | '\u{212A}' | '\u{6F0}'..='\u{6F9}' | '\u{660}'..='\u{669}' | '\u{200C}' | '\u{200D}' | '\u{640}'),
        )
}

/// [`fold`] without allocating when the text is already folded (ASCII lower case with no changes).
pub fn fold_cow(s: &str) -> Cow<'_, str> {
    if s.bytes().all(|b| b.is_ascii() && !b.is_ascii_uppercase()) { Cow::Borrowed(s) } else { Cow::Owned(fold(s)) }
}

/// Whether two texts are equal after [`fold`].
///
/// ```
/// assert!(crm_core::text::same("Closed Won", "closed won"));
/// assert!(crm_core::text::same("كيان", "کیان"));
/// ```
pub fn same(a: &str, b: &str) -> bool {
    fold_cow(a) == fold_cow(b)
}

/// Persian digits (`۰`–`۹`) for the ASCII digits of `s`; everything else unchanged. Used by exports with
/// `digits = "persian"`.
///
/// ```
/// assert_eq!(crm_core::text::persian_digits("1406/01/05"), "۱۴۰۶/۰۱/۰۵");
/// ```
pub fn persian_digits(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_digit() { char::from_u32(0x06F0 + (u32::from(c) - u32::from('0'))).unwrap_or(c) } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translate_table_matches_the_rust_fold() {
        let from: Vec<char> = FOLD_FROM.chars().collect();
        let to: Vec<char> = FOLD_TO.chars().collect();
        for (i, c) in from.iter().enumerate() {
            assert_eq!(fold_char(*c), to.get(i).copied(), "{c:?}");
        }
        // every character the Rust fold changes is in the table
        for c in (0..0x3000u32).filter_map(char::from_u32) {
            if fold_char(c) != Some(c) {
                assert!(from.contains(&c), "{c:?} missing from FOLD_FROM");
            }
        }
    }

    #[test]
    fn fold_is_idempotent_and_agrees_with_same() {
        for s in ["Hooli", "شركة كبرى", "فرصت‌های فروش", "۱۲٣ abc", "İstanbul", "ـ", ""] {
            assert_eq!(fold(&fold(s)), fold(s), "{s}");
            assert!(same(s, &fold(s)), "{s}");
        }
        assert_eq!(fold_cow("abc"), Cow::Borrowed("abc"));
        assert_eq!(fold("Ab\u{200C}"), "ab");
        let mut buf = String::new();
        fold_into("ΣΟΦΟΣ كِي", &mut buf);
        assert_eq!(buf, fold("ΣΟΦΟΣ كِي"));
    }

    #[test]
    fn folds_to_ascii_names_every_character_that_folds_to_ascii_or_vanishes() {
        let found: Vec<char> = (0x80..=0x10_FFFF)
            .filter_map(char::from_u32)
            .filter(|c| {
                let f = fold(&c.to_string());
                f.is_empty() || f.chars().any(|l| l.is_ascii())
            })
            .collect();
        for c in &found {
            assert!(folds_to_ascii(&c.to_string()), "{c:?}");
        }
        assert_eq!(found.len(), 2 + 10 + 10 + 3);
        assert!(!folds_to_ascii("Café, Zürich office") && !folds_to_ascii("plain"));
    }
}
