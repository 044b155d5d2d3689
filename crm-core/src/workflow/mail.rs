//! E-mail alerts: the outbox, merge tags and the host's [`Mailer`].
//!
//! A send-e-mail task renders its templates when it runs and puts a [`Mail`] into the outbox **in the same
//! transaction** as the save that triggered it. The host delivers outbox mail with a [`Mailer`] it
//! implements (SMTP, an API, a test double); each mail is then marked sent or failed with the error, so
//! nothing is lost when delivery fails.
//!
//! Merge tags (vtiger's `VTSimpleTemplate`): `$fieldname`, `$(ref : (Module) field)` — with `Users` and a
//! group owner the values of all members are joined with `, ` —, and `$(general : (__VtigerMeta__) X)` for X
//! in `date`, `time`, `dbtimezone`, `usertimezone`, `recordId`, `siteurl`, `crmdetailviewurl`. Unknown
//! names stay as written. References render as the referenced record's name, owners as the owner's name.
//!
//! Header safety: CR, LF and every other control character are replaced by a space in from, reply-to,
//! subject and addresses, so a value can never start a new header. Addresses taken from a record whose
//! `emailoptout` is set are dropped.
//!
//! Record text is data, never structure:
//! * **Recipients**: the literal text of a to/cc/bcc template may list several addresses (`,` or `;`);
//!   literal items that are not addresses are dropped. A merge value from a record field must be exactly
//!   one address (or be empty): a record's `a@x.com, b@y.com` or `a@x.com\nBcc: c@z` cannot add
//!   recipients — the mail is not queued and the task is skipped with a reason naming the field
//!   ([`recipients`]).
//! * **From** must render to one mailbox (`address` or `Name <address>`, a name with `,` or `;` quoted),
//!   or be empty (the owner's address, else the host's default); otherwise the task is skipped
//!   ([`valid_from`]).
//! * **HTML bodies**: a body that contains markup (a `<` followed by a letter, `/` or `!`) is HTML, and
//!   every merge value in it is HTML-escaped (`&`, `<`, `>`, `"`, `'`); a plain-text body is rendered
//!   unchanged ([`render_body`]).
//!
//! Differences from vtiger: no Emails record is created, no tracking pixel, no signature appended; vtiger
//! neither escapes merge values nor checks that a field holds one address.
//!
//! The outbox scales: [`Crm::outbox_page`](crate::Crm::outbox_page) reads it in pages by status (keyset on
//! the id, served by an index on `(status, id)`), marking one mail reads and writes that mail only (by id),
//! a delivery run reads only the mail that is due, and
//! [`Crm::purge_outbox`](crate::Crm::purge_outbox) removes sent mail older than a cutoff. A failed mail
//! counts its attempts; the next one waits [`MAIL_RETRY_BASE_SECS`](crate::limits::MAIL_RETRY_BASE_SECS)
//! doubled per earlier failure (by the injected clock), and after
//! [`MAX_MAIL_ATTEMPTS`](crate::limits::MAX_MAIL_ATTEMPTS) failures it stays failed for good
//! (`next_attempt` empty) and the delivery run reports it.

use super::Ctx;
use super::condition::FieldPath;
use crate::value::{RecordId, Value};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

/// Delivery state of an outbox mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailStatus {
    /// Waiting for delivery.
    Queued,
    /// Delivered to the host's mailer.
    Sent,
    /// The mailer reported an error (kept, with the error; delivered again by the next delivery run).
    Failed,
}

impl MailStatus {
    /// Stable snake_case name (also the SQLite column value).
    pub fn as_str(self) -> &'static str {
        match self {
            MailStatus::Queued => "queued",
            MailStatus::Sent => "sent",
            MailStatus::Failed => "failed",
        }
    }
    /// Parses [`MailStatus::as_str`].
    pub fn parse(s: &str) -> Option<MailStatus> {
        Some(match s {
            "queued" => MailStatus::Queued,
            "sent" => MailStatus::Sent,
            "failed" => MailStatus::Failed,
            _ => return None,
        })
    }
}

/// One e-mail in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mail {
    /// Outbox id (0 before it is stored).
    pub id: i64,
    /// From (`Name <address>` or an address).
    pub from: String,
    /// Reply-To (may be empty).
    pub reply_to: String,
    /// Recipients.
    pub to: Vec<String>,
    /// Copy recipients.
    pub cc: Vec<String>,
    /// Blind-copy recipients.
    pub bcc: Vec<String>,
    /// Subject (one line).
    pub subject: String,
    /// Body (HTML as written in the task).
    pub body: String,
    /// The record the mail is about.
    pub record: Option<RecordId>,
    /// The workflow that wrote it.
    pub workflow: Option<i64>,
    /// Delivery state.
    pub status: MailStatus,
    /// The last delivery error.
    pub error: Option<String>,
    /// When it was queued (UTC).
    pub created: NaiveDateTime,
    /// When it was sent (UTC).
    pub sent: Option<NaiveDateTime>,
    /// Failed delivery attempts so far.
    #[serde(default)]
    pub attempts: u32,
    /// When a failed mail is tried again (UTC); empty for queued and sent mail, and for failed mail that
    /// reached [`MAX_MAIL_ATTEMPTS`](crate::limits::MAX_MAIL_ATTEMPTS) (failed for good).
    #[serde(default)]
    pub next_attempt: Option<NaiveDateTime>,
}

impl Mail {
    /// Whether delivery gave up on this mail (failed [`MAX_MAIL_ATTEMPTS`](crate::limits::MAX_MAIL_ATTEMPTS) times).
    pub fn given_up(&self) -> bool {
        self.status == MailStatus::Failed && self.next_attempt.is_none()
    }

    /// Records a failed attempt at `now`: counts it and schedules the next one with back-off, or gives up.
    pub fn fail(&mut self, error: &str, now: NaiveDateTime) {
        use crate::limits::{MAIL_RETRY_BASE_SECS, MAX_MAIL_ATTEMPTS};
        self.status = MailStatus::Failed;
        self.error = Some(error.to_string());
        self.attempts = self.attempts.saturating_add(1);
        self.next_attempt = if self.attempts >= MAX_MAIL_ATTEMPTS {
            None
        } else {
            let factor = 1i64.checked_shl(self.attempts - 1).unwrap_or(i64::MAX);
            let wait = MAIL_RETRY_BASE_SECS.saturating_mul(factor);
            Some(chrono::TimeDelta::try_seconds(wait).and_then(|d| now.checked_add_signed(d)).unwrap_or(NaiveDateTime::MAX))
        };
    }
}

/// The host's way of sending mail.
pub trait Mailer {
    /// Sends one mail; an `Err` message is stored with the mail, which stays in the outbox as failed.
    fn send(&mut self, mail: &Mail) -> Result<(), String>;
}

/// A mailer that collects mail in memory (for tests, previews and examples).
#[derive(Debug, Default)]
pub struct MemoryMailer {
    /// Mails "sent" so far.
    pub sent: Vec<Mail>,
}

impl Mailer for MemoryMailer {
    fn send(&mut self, mail: &Mail) -> Result<(), String> {
        self.sent.push(mail.clone());
        Ok(())
    }
}

/// Removes every control character (CR, LF, ...) from a header value.
pub fn header_safe(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>().trim().to_string()
}

/// One piece of a rendered template, remembering where its value came from.
struct Piece {
    text: String,
    /// The record whose field produced the text (None for literal text and for users' and general values).
    from_record: Option<RecordId>,
    /// The field (as written in the template) that produced a record's text.
    field: Option<String>,
    /// True for a merge value (any `$...` that was replaced), false for the template's own text.
    merged: bool,
}

impl Piece {
    fn literal(text: String) -> Piece {
        Piece { text, from_record: None, field: None, merged: false }
    }
    fn merged(text: String) -> Piece {
        Piece { text, from_record: None, field: None, merged: true }
    }
    fn of_record(text: String, id: RecordId, field: String) -> Piece {
        Piece { text, from_record: Some(id), field: Some(field), merged: true }
    }
}

/// Renders merge tags of `template` for the record of `ctx` (values as they are: for subjects, plain-text
/// bodies and field updates).
pub fn render(template: &str, ctx: &Ctx<'_>) -> String {
    Template::parse(template, ctx.module).render(ctx)
}

/// A template read once against a module: its literal text and merge tags in order, so rendering it for
/// a record neither scans the text nor looks its field names up in the module again. Rendering a
/// prepared template gives exactly what rendering its text gives ([`render`], [`render_body`],
/// [`recipients`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    /// Literal text and merge tags in order, a literal (possibly empty) before each tag and at the end.
    parts: Vec<Part>,
    /// The text holds markup ([`is_html`]): merge values are escaped in a body.
    html: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    /// Text as written (unknown `$names` included).
    Literal(String),
    /// `$field`, a field of the module.
    Field(String),
    /// `$(ref : (Module) field)`, with the text as written.
    Path(FieldPath, String),
}

impl Template {
    /// Reads `template` against `module` (a `$name` that is not one of its fields stays text).
    pub(crate) fn parse(template: &str, module: &crate::schema::Module) -> Template {
        let mut parts = Vec::new();
        let mut lit = String::new();
        let mut rest = template;
        while let Some(pos) = rest.find('$') {
            lit.push_str(&rest[..pos]);
            let after = &rest[pos + 1..];
            if after.starts_with('(')
                && let Some(end) = after.find(')').and_then(|f| after[f + 1..].find(')').map(|x| f + 1 + x))
                && let Some(p) = FieldPath::parse_ref(&after[..=end])
            {
                parts.push(Part::Literal(std::mem::take(&mut lit)));
                parts.push(Part::Path(p, after[..=end].to_string()));
                rest = &after[end + 1..];
                continue;
            }
            let name_len = after.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').map(char::len_utf8).sum::<usize>();
            let name = &after[..name_len];
            if !name.is_empty() && module.field(name).is_some() {
                parts.push(Part::Literal(std::mem::take(&mut lit)));
                parts.push(Part::Field(name.to_string()));
            } else {
                lit.push('$');
                lit.push_str(name);
            }
            rest = &after[name_len..];
        }
        lit.push_str(rest);
        parts.push(Part::Literal(lit));
        Template { parts, html: is_html(template) }
    }

    /// [`render`] of the template's text.
    pub(crate) fn render(&self, ctx: &Ctx<'_>) -> String {
        match self.parts.as_slice() {
            [Part::Literal(text)] => text.clone(),
            _ => self.write(ctx, false),
        }
    }

    /// [`render_body`] of the template's text.
    pub(crate) fn render_body(&self, ctx: &Ctx<'_>) -> String {
        self.write(ctx, self.html)
    }

    /// The rendered text, merge values HTML-escaped with `escape` (written as it is made: the same text as
    /// the pieces joined, without them).
    fn write(&self, ctx: &Ctx<'_>, escape: bool) -> String {
        let mut out = String::with_capacity(self.parts.iter().map(|p| if let Part::Literal(t) = p { t.len() + 16 } else { 16 }).sum());
        let push = |out: &mut String, text: &str, merged: bool| {
            if escape && merged { escape_into(out, text) } else { out.push_str(text) }
        };
        let mut labels: Option<Option<crate::i18n::Labels>> = None;
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Field(name) => {
                    let labels = labels.get_or_insert_with(|| mail_labels(ctx));
                    push(&mut out, &mail_text(ctx, name, labels.as_ref()), true);
                }
                Part::Path(p, written) => {
                    for piece in render_path(p, ctx, written) {
                        push(&mut out, &piece.text, piece.merged);
                    }
                }
            }
        }
        out
    }

    fn pieces(&self, ctx: &Ctx<'_>) -> Vec<Piece> {
        // The mail's language matters only for the record's own fields: read it at the first one.
        let mut labels: Option<Option<crate::i18n::Labels>> = None;
        let mut out = Vec::with_capacity(self.parts.len());
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push(Piece::literal(text.clone())),
                Part::Field(name) => {
                    let labels = labels.get_or_insert_with(|| mail_labels(ctx));
                    out.push(Piece::of_record(mail_text(ctx, name, labels.as_ref()), ctx.record.id, name.clone()));
                }
                Part::Path(p, written) => out.extend(render_path(p, ctx, written)),
            }
        }
        out
    }
}

/// Whether a mail body is HTML: it holds markup, a `<` followed by a letter, `/` or `!`.
pub fn is_html(body: &str) -> bool {
    body.as_bytes().windows(2).any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || w[1] == b'/' || w[1] == b'!'))
}

/// Escapes text for HTML: `&`, `<`, `>`, `"` and `'`.
pub fn html_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    escape_into(&mut o, s);
    o
}

/// [`html_escape`] of `s`, appended to `o`.
fn escape_into(o: &mut String, s: &str) {
    let mut rest = s;
    while let Some(i) = rest.find(['&', '<', '>', '"', '\'']) {
        o.push_str(&rest[..i]);
        o.push_str(match rest.as_bytes()[i] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            _ => "&#39;",
        });
        rest = &rest[i + 1..];
    }
    o.push_str(rest);
}

/// The labels merged values are shown with: `None` in the default language ([`crate::workflow::Env::language`]).
fn mail_labels(ctx: &Ctx<'_>) -> Option<crate::i18n::Labels> {
    let language = ctx.env.language();
    (language != crate::i18n::DEFAULT_LANGUAGE).then(|| crate::i18n::Labels::new(&language))
}

/// Renders a mail body: in an HTML body (see [`is_html`]) every merge value is HTML-escaped, so record text
/// cannot add markup or scripts; a plain-text body is rendered as [`render`] does.
pub fn render_body(template: &str, ctx: &Ctx<'_>) -> String {
    Template::parse(template, ctx.module).render_body(ctx)
}

/// A merged value of the record's own field as mail shows it: [`Ctx::display`], with Jalali dates and
/// translated picklist values when the mail's language is not `en_us` ([`crate::workflow::Env::language`]).
fn mail_text(ctx: &Ctx<'_>, name: &str, labels: Option<&crate::i18n::Labels>) -> String {
    let v = ctx.record.get(name);
    let Some(labels) = labels else { return ctx.display(v) };
    let jalali = labels.language() == "fa_ir";
    match (v, ctx.module.field(name).map(|f| f.field_type)) {
        (Value::Date(d), _) if jalali => crate::io::jalali::format(*d),
        (Value::DateTime(t), _) if jalali => {
            let local = ctx.to_local(*t);
            format!("{} {}", crate::io::jalali::format(local.date()), local.format("%H:%M:%S"))
        }
        (Value::Text(t), Some(crate::schema::FieldType::Picklist)) => labels.value(t).to_string(),
        _ => ctx.display(v),
    }
}

fn render_path(p: &FieldPath, ctx: &Ctx<'_>, written: &str) -> Vec<Piece> {
    let FieldPath::Related { via, module, field } = p else { return vec![] };
    if via == "general" {
        let now = ctx.local_now();
        let text = match field.as_str() {
            "date" if ctx.env.language() == "fa_ir" => crate::io::jalali::format(now.date()),
            "date" => now.format("%Y-%m-%d").to_string(),
            "time" => now.format("%H:%M:%S").to_string(),
            "dbtimezone" => "UTC".into(),
            "usertimezone" => ctx.tz.name().to_string(),
            "recordId" => ctx.record.id.to_string(),
            "siteurl" => ctx.env.site_url(),
            "crmdetailviewurl" => {
                let base = ctx.env.site_url();
                if base.is_empty() {
                    String::new()
                } else {
                    format!("{}/index.php?module={}&view=Detail&record={}", base.trim_end_matches('/'), ctx.record.module, ctx.record.id)
                }
            }
            other => format!("$({via} : ({module}) {other})"),
        };
        return vec![Piece::merged(text)];
    }
    match ctx.record.get(via) {
        Value::Owner(o) if module == "Users" => {
            let users = ctx.env.owner_users(*o).unwrap_or_default();
            let texts: Vec<String> = users.iter().map(|u| user_field(u, field)).filter(|s| !s.is_empty()).collect();
            vec![Piece::merged(texts.join(", "))]
        }
        Value::Ref(id) => match ctx.env.record(*id) {
            Ok(Some(r)) if r.module == *module && !r.deleted => {
                vec![Piece::of_record(ctx.display(r.get(field)), r.id, written.to_string())]
            }
            _ => vec![Piece::merged(String::new())],
        },
        _ => vec![Piece::merged(String::new())],
    }
}

/// A user's field by vtiger's Users field names.
pub(crate) fn user_field(u: &crate::user::User, field: &str) -> String {
    match field {
        "email1" | "email" => u.email.clone(),
        "user_name" => u.user_name.clone(),
        "first_name" => u.full_name.split_whitespace().next().unwrap_or_default().to_string(),
        "last_name" => u.full_name.split_whitespace().skip(1).collect::<Vec<_>>().join(" "),
        "full_name" | "name" => u.full_name.clone(),
        "id" => u.id.to_string(),
        _ => String::new(),
    }
}

/// Renders a comma-separated recipient template into addresses: opted-out records' values are dropped,
/// literal items that are not e-mail addresses are dropped, duplicates are removed. Users' addresses
/// (`$(assigned_user_id : (Users) email1)`, all members of a group) may be several.
///
/// # Errors
/// A reason naming the field when a record's value is not empty and not exactly one e-mail address (it
/// holds a separator, a line break, several words, or is no address at all): record text never adds
/// recipients.
pub fn recipients(template: &str, ctx: &Ctx<'_>) -> Result<Vec<String>, String> {
    Template::parse(template, ctx.module).recipients(ctx)
}

impl Template {
    /// [`recipients`] of the template's text.
    pub(crate) fn recipients(&self, ctx: &Ctx<'_>) -> Result<Vec<String>, String> {
        if self.parts.iter().all(|p| matches!(p, Part::Literal(t) if t.trim().is_empty())) {
            return Ok(Vec::new()); // no text and no merge tag: no recipient (an empty cc or bcc)
        }
        recipients_of(self.pieces(ctx), ctx)
    }
}

fn recipients_of(pieces: Vec<Piece>, ctx: &Ctx<'_>) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    // The item being built, and the record field that contributed to it (if any).
    let mut item = String::new();
    let mut item_field: Option<String> = None;
    let finish = |item: &mut String, field: &mut Option<String>, out: &mut Vec<String>| -> Result<(), String> {
        let a = header_safe(item);
        let addr = a.rsplit_once('<').and_then(|(_, x)| x.strip_suffix('>')).unwrap_or(&a).trim().to_string();
        if crate::value::is_email(&addr) {
            if !out.iter().any(|x| x.eq_ignore_ascii_case(&addr)) {
                out.push(addr);
            }
        } else if let Some(f) = field.as_deref()
            && !a.is_empty()
        {
            return Err(format!("recipient '{}' from field '{f}' is not one e-mail address", a.chars().take(80).collect::<String>()));
        }
        item.clear();
        *field = None;
        Ok(())
    };
    for p in pieces {
        if let Some(id) = p.from_record
            && opted_out(id, ctx)
        {
            continue;
        }
        match &p.field {
            Some(f) => {
                let v = p.text.trim();
                if v.chars().any(|c| c == ',' || c == ';' || c.is_control()) {
                    return Err(format!("field '{f}' holds more than one recipient or a line break; record text cannot add recipients"));
                }
                if !v.is_empty() {
                    item.push_str(v);
                    item_field = Some(f.clone());
                }
            }
            None => {
                for (i, part) in p.text.split([',', ';']).enumerate() {
                    if i > 0 {
                        finish(&mut item, &mut item_field, &mut out)?;
                    }
                    item.push_str(part);
                }
            }
        }
    }
    finish(&mut item, &mut item_field, &mut out)?;
    Ok(out)
}

/// Whether a rendered From is one mailbox: an e-mail address, or `Name <address>` whose name holds no
/// `<`, `>` or line break, and no `,` or `;` unless the whole name is double-quoted. Empty is valid (the
/// default sender).
pub fn valid_from(from: &str) -> bool {
    let from = from.trim();
    if from.is_empty() || crate::value::is_email(from) {
        return true;
    }
    let Some((name, rest)) = from.rsplit_once('<') else { return false };
    let Some(addr) = rest.strip_suffix('>') else { return false };
    let name = name.trim();
    let quoted = name.len() >= 2 && name.starts_with('"') && name.ends_with('"') && !name[1..name.len() - 1].contains('"');
    crate::value::is_email(addr.trim())
        && !name.contains(['<', '>'])
        && !name.chars().any(char::is_control)
        && (quoted || !name.contains([',', ';', '"']))
}

/// `Name <address>` for a user, the name quoted when it holds `,` or `;` (so it reads as one mailbox).
pub fn mailbox(name: &str, address: &str) -> String {
    let name = header_safe(&name.replace(['<', '>', '"'], ""));
    if name.contains([',', ';']) { format!("\"{name}\" <{address}>") } else { format!("{name} <{address}>") }
}

fn opted_out(id: RecordId, ctx: &Ctx<'_>) -> bool {
    let v = if id == ctx.record.id {
        ctx.record.get("emailoptout").clone()
    } else {
        ctx.env.record(id).ok().flatten().map(|r| r.get("emailoptout").clone()).unwrap_or_default()
    };
    matches!(v, Value::Bool(true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_replaces_the_five_characters_only() {
        assert_eq!(html_escape("a&b<c>d\"e'f — ü"), "a&amp;b&lt;c&gt;d&quot;e&#39;f — ü");
        assert_eq!(html_escape(""), "");
    }

    #[test]
    fn a_template_keeps_unknown_names_as_text_and_reads_fields_and_paths() {
        let schema = crate::schema::Schema::builtin();
        let Some(m) = schema.module("Potentials") else { panic!("Potentials is built in") };
        let t = Template::parse("Hi $nosuchfield, $potentialname costs $ $amount. $(assigned_user_id : (Users) email1)<b>", m);
        assert_eq!(
            t.parts,
            vec![
                Part::Literal("Hi $nosuchfield, ".into()),
                Part::Field("potentialname".into()),
                Part::Literal(" costs $ ".into()),
                Part::Field("amount".into()),
                Part::Literal(". ".into()),
                Part::Path(
                    FieldPath::Related { via: "assigned_user_id".into(), module: "Users".into(), field: "email1".into() },
                    "(assigned_user_id : (Users) email1)".into()
                ),
                Part::Literal("<b>".into()),
            ]
        );
        assert!(t.html);
    }
}
