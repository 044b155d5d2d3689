//! Numbers as people type them: Persian (`۰-۹`) and Arabic-Indic (`٠-٩`) digits, the Persian decimal
//! (`٫`) and thousands (`٬`) separators, and a configurable decimal / thousands separator.
//!
//! Everything is turned into the plain form `-1234.50` that [`crate::value::coerce`] reads exactly; the
//! result is never a float.

/// Replaces Persian and Arabic-Indic digits with ASCII digits, `٫` with `.` and `٬` with `,`.
pub fn ascii_digits(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '۰'..='۹' => char::from(b'0' + (c as u32 - '۰' as u32) as u8),
            '٠'..='٩' => char::from(b'0' + (c as u32 - '٠' as u32) as u8),
            '٫' => '.',
            '٬' => ',',
            other => other,
        })
        .collect()
}

/// Normalises a number cell: native digits to ASCII, the thousands separator removed, the decimal separator
/// turned into `.`. Spaces (also no-break spaces) between digit groups are dropped. Returns the text unchanged
/// in shape otherwise, so that a bad value is still reported as typed.
pub fn normalize_number(s: &str, decimal: char, thousands: Option<char>) -> String {
    let ascii = ascii_digits(s.trim());
    let mut out = String::with_capacity(ascii.len());
    for c in ascii.chars() {
        if Some(c) == thousands || c == '\u{a0}' || c == '\u{202f}' || (c == ' ' && thousands != Some(',')) {
            continue;
        }
        if c == decimal {
            out.push('.');
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn persian_and_arabic_digits() {
        assert_eq!(ascii_digits("۱۴۰۵/۰۹/۰۵"), "1405/09/05");
        assert_eq!(ascii_digits("٣٤٥"), "345");
        assert_eq!(normalize_number("۱۲٬۳۴۵٫۶۷", '.', Some(',')), "12345.67");
        assert_eq!(normalize_number("1.234,50", ',', Some('.')), "1234.50");
        assert_eq!(normalize_number("1 234.50", '.', None), "1234.50");
        assert_eq!(normalize_number("12abc", '.', Some(',')), "12abc");
    }
}
