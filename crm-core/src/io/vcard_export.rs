//! Contacts → vCard 3.0 or 4.0 text, written by hand (escaping per RFC 6350 §3.4, lines folded at 75
//! octets on character boundaries, CRLF), so the export does not depend on the parser crate.

use crate::record::Record;
use std::fmt::Write as _;

/// The vCard version to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum VcardVersion {
    /// vCard 3.0 (RFC 2426), the most widely read.
    #[serde(rename = "3.0")]
    V3,
    /// vCard 4.0 (RFC 6350).
    #[default]
    #[serde(rename = "4.0")]
    V4,
}

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => o.push_str("\\\\"),
            ',' => o.push_str("\\,"),
            ';' => o.push_str("\\;"),
            '\n' => o.push_str("\\n"),
            '\r' => {}
            c => o.push(c),
        }
    }
    o
}

fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
}

/// Renders one contact. `organization` is the name of its organization, if any.
pub fn render(r: &Record, organization: Option<&str>, version: VcardVersion) -> String {
    let t = |f: &str| r.get(f).to_text().unwrap_or_default();
    let mut lines: Vec<String> = vec!["BEGIN:VCARD".into(), format!("VERSION:{}", if version == VcardVersion::V3 { "3.0" } else { "4.0" })];
    let full = [t("firstname"), t("lastname")].iter().filter(|s| !s.is_empty()).cloned().collect::<Vec<_>>().join(" ");
    lines.push(format!("FN:{}", esc(&full)));
    lines.push(format!("N:{};{};;{};", esc(&t("lastname")), esc(&t("firstname")), esc(&t("salutationtype"))));
    let ty = |v3: &str, v4: &str| {
        if version == VcardVersion::V3 { v3.to_string() } else { v4.to_string() }
    };
    if let Some(o) = organization.filter(|o| !o.is_empty()) {
        let dept = t("department");
        lines.push(if dept.is_empty() { format!("ORG:{}", esc(o)) } else { format!("ORG:{};{}", esc(o), esc(&dept)) });
    }
    for (f, line) in [("title", "TITLE")] {
        if !t(f).is_empty() {
            lines.push(format!("{line}:{}", esc(&t(f))));
        }
    }
    if !t("email").is_empty() {
        lines.push(format!("EMAIL;{}:{}", ty("TYPE=INTERNET,PREF", "PREF=1"), esc(&t("email"))));
    }
    if !t("secondaryemail").is_empty() {
        lines.push(format!("EMAIL;{}:{}", ty("TYPE=INTERNET", "TYPE=home"), esc(&t("secondaryemail"))));
    }
    for (f, v3, v4) in [
        ("phone", "TYPE=WORK,VOICE", "TYPE=work,voice"),
        ("mobile", "TYPE=CELL", "TYPE=cell"),
        ("homephone", "TYPE=HOME,VOICE", "TYPE=home,voice"),
        ("fax", "TYPE=WORK,FAX", "TYPE=work,fax"),
        ("otherphone", "TYPE=VOICE", "TYPE=voice"),
    ] {
        if !t(f).is_empty() {
            lines.push(format!("TEL;{}:{}", ty(v3, v4), esc(&t(f))));
        }
    }
    let adr = ["mailingpobox", "", "mailingstreet", "mailingcity", "mailingstate", "mailingzip", "mailingcountry"];
    if adr.iter().any(|f| !f.is_empty() && !t(f).is_empty()) {
        let parts: Vec<String> = adr.iter().map(|f| if f.is_empty() { String::new() } else { esc(&t(f)) }).collect();
        lines.push(format!("ADR;{}:{}", ty("TYPE=WORK", "TYPE=work"), parts.join(";")));
    }
    if let Some(b) = r.get("birthday").as_date() {
        lines.push(format!("BDAY:{}", b.format("%Y-%m-%d")));
    }
    if !t("description").is_empty() {
        lines.push(format!("NOTE:{}", esc(&t("description"))));
    }
    lines.push(format!("UID:crm-{}", r.id));
    lines.push("END:VCARD".into());
    let mut out = String::new();
    for l in lines {
        fold(&l, &mut out);
    }
    let _ = write!(out, "");
    out
}
