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
//! subject and addresses, so a value can never start a new header. Addresses that are not e-mail addresses
//! after rendering are dropped; so are addresses taken from a record whose `emailoptout` is set.
//! Differences from vtiger: no Emails record is created, no tracking pixel, no signature appended.

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

/// One piece of a rendered template, remembering where its value came from (for opt-out checks).
struct Piece {
    text: String,
    /// The record whose field produced the text (None for literal text).
    from_record: Option<RecordId>,
}

/// Renders merge tags of `template` for the record of `ctx`.
pub fn render(template: &str, ctx: &Ctx<'_>) -> String {
    pieces(template, ctx).into_iter().map(|p| p.text).collect()
}

fn pieces(template: &str, ctx: &Ctx<'_>) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut rest = template;
    while let Some(pos) = rest.find('$') {
        lit.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        if after.starts_with('(')
            && let Some(end) = after.find(')').and_then(|f| after[f + 1..].find(')').map(|x| f + 1 + x))
            && let Some(p) = FieldPath::parse_ref(&after[..=end])
        {
            out.push(Piece { text: std::mem::take(&mut lit), from_record: None });
            out.extend(render_path(&p, ctx));
            rest = &after[end + 1..];
            continue;
        }
        let name_len = after.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').map(char::len_utf8).sum::<usize>();
        let name = &after[..name_len];
        if !name.is_empty() && ctx.module.field(name).is_some() {
            out.push(Piece { text: std::mem::take(&mut lit), from_record: None });
            out.push(Piece { text: ctx.display(ctx.record.get(name)), from_record: Some(ctx.record.id) });
        } else {
            lit.push('$');
            lit.push_str(name);
        }
        rest = &after[name_len..];
    }
    lit.push_str(rest);
    out.push(Piece { text: lit, from_record: None });
    out
}

fn render_path(p: &FieldPath, ctx: &Ctx<'_>) -> Vec<Piece> {
    let FieldPath::Related { via, module, field } = p else { return vec![] };
    if via == "general" {
        let now = ctx.local_now();
        let text = match field.as_str() {
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
        return vec![Piece { text, from_record: None }];
    }
    match ctx.record.get(via) {
        Value::Owner(o) if module == "Users" => {
            let users = ctx.env.owner_users(*o).unwrap_or_default();
            let texts: Vec<String> = users.iter().map(|u| user_field(u, field)).filter(|s| !s.is_empty()).collect();
            vec![Piece { text: texts.join(", "), from_record: None }]
        }
        Value::Ref(id) => match ctx.env.record(*id) {
            Ok(Some(r)) if r.module == *module && !r.deleted => {
                vec![Piece { text: ctx.display(r.get(field)), from_record: Some(r.id) }]
            }
            _ => vec![Piece { text: String::new(), from_record: None }],
        },
        _ => vec![Piece { text: String::new(), from_record: None }],
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

/// Renders a comma-separated recipient template into addresses: opted-out records' values and anything
/// that is not an e-mail address are dropped; duplicates are removed.
pub fn recipients(template: &str, ctx: &Ctx<'_>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in pieces(template, ctx) {
        if let Some(id) = p.from_record
            && opted_out(id, ctx)
        {
            continue;
        }
        for a in p.text.split([',', ';']) {
            let a = header_safe(a);
            let addr = a.rsplit_once('<').and_then(|(_, x)| x.strip_suffix('>')).unwrap_or(&a).trim().to_string();
            if crate::value::is_email(&addr) && !out.iter().any(|x| x.eq_ignore_ascii_case(&addr)) {
                out.push(addr);
            }
        }
    }
    out
}

fn opted_out(id: RecordId, ctx: &Ctx<'_>) -> bool {
    let v = if id == ctx.record.id {
        ctx.record.get("emailoptout").clone()
    } else {
        ctx.env.record(id).ok().flatten().map(|r| r.get("emailoptout").clone()).unwrap_or_default()
    };
    matches!(v, Value::Bool(true))
}
