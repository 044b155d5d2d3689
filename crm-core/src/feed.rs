//! The change feed: every committed change of a store, in one sequence, for hosts that keep something in
//! step with the CRM (a search index, a data warehouse, webhooks, notifications).
//!
//! **The feed is the change log.** Every change the engine commits writes [`HistoryEntry`]s in the same
//! transaction (create, update with each field's before and after, delete, restore, purge, link, unlink,
//! comment, schema edit; an import undo writes the deletes and updates it makes). An entry's id is its
//! **position**: [`Crm::changes`](crate::Crm::changes) returns the entries after a position, oldest first, as
//! [`ChangeEvent`]s. Nothing is copied: a new kind of entry ([`ChangeKind`]) appears in the feed as soon as
//! something writes it, with no change here.
//!
//! Positions are **monotonic and gap-tolerant**: they only grow, in commit order, and a position may be
//! missing (a rolled-back write on PostgreSQL; entries removed with a purged record). A consumer that stores
//! the last position it handled and asks for the changes after it sees every change exactly once, in
//! order (at least once if it stops between handling a change and storing its position).
//!
//! How each store keeps commit order:
//! * memory: one handle, entries numbered as they are committed;
//! * SQLite: writers take turns (one write transaction at a time) and `crm_history.id` is `AUTOINCREMENT`,
//!   so a position is never handed out twice, even after the highest entry was purged;
//! * PostgreSQL: `crm_history.id` comes from a sequence, whose values are taken in the order transactions
//!   *ask*, not the order they *commit*: a reader could see 11 committed before 10 and, having stored 11,
//!   skip 10 forever. So the statement that appends entries first takes a transaction-level advisory lock
//!   (held until commit): from the first entry to the commit, writers that append to the change log take
//!   turns, and positions become visible in order. The price is measured in `benches/README.md` ("Change
//!   feed"): concurrent writers serialise from their first change-log entry to their commit.
//!
//! Retention: the feed lives as long as the change log. Purging a record removes its entries (its `purged`
//! entry stays); [`Crm::trim_changes`](crate::Crm::trim_changes) removes every entry up to a position.
//! Asking for the changes after a position below what was trimmed is
//! [`ErrorKind::FeedPositionExpired`](crate::ErrorKind::FeedPositionExpired): the consumer missed changes
//! and must resynchronise.
//!
//! Which entries a call returns is decided in one function per store ([`FeedQuery`] in, entries out):
//! `storage::memory::feed::select` and `storage::sql::feed::select`.

use crate::error::Result;
use crate::history::{ChangeKind, FieldChange, HistoryEntry};
use crate::value::RecordId;
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::time::Duration;

/// The default page size of the feed (what the bindings use when none is given).
pub const DEFAULT_PAGE: u64 = 1000;

/// One committed change, as the feed returns it (the wire shape both bindings use).
///
/// JSON: `{"position": 42, "record": 7, "module": "Potentials", "kind": "updated", "actor": "admin",
/// "at": "2027-01-05T10:00:00", "related": null, "changes": [{"field": "amount", "before": "100.00",
/// "after": "200.00"}]}`. `record` is `null` for a change that is not about one record (a schema edit);
/// `related` names the other record of a link or unlink; values are canonical text, `null` when empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeEvent {
    /// Where the change is in the store's sequence: pass it as `since` to get the changes after it.
    pub position: i64,
    /// The record that changed (`None` for a schema edit).
    pub record: Option<RecordId>,
    /// Its module.
    pub module: String,
    /// What happened.
    pub kind: ChangeKind,
    /// User name of whoever made the change.
    pub actor: String,
    /// When (UTC).
    pub at: NaiveDateTime,
    /// The other record of a link or unlink.
    pub related: Option<RecordId>,
    /// The fields that changed, with their values before and after.
    pub changes: Vec<FieldChange>,
}

impl From<HistoryEntry> for ChangeEvent {
    fn from(h: HistoryEntry) -> Self {
        ChangeEvent {
            position: h.id,
            record: (h.record.0 != 0).then_some(h.record),
            module: h.module,
            kind: h.kind,
            actor: h.actor,
            at: h.at,
            related: h.related,
            changes: h.changes,
        }
    }
}

/// Which change-log entries a feed read selects: those with a position above `after`, oldest first, at
/// most `limit`, of `modules` (every module when empty), that `sight` admits. What a store's selection
/// function takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedQuery {
    /// The last position the consumer handled.
    pub after: i64,
    /// The most entries to return (at least 1).
    pub limit: u64,
    /// Only entries of these modules; every module when empty.
    pub modules: Vec<String>,
    /// Access control: per module, the records whose entries a restricted reader may see; entries of
    /// modules not named here, and entries of no record (schema edits), are all selected. Empty for
    /// readers who see everything. Applied in the store's read, so a page holds `limit` visible entries.
    pub sight: std::collections::BTreeMap<String, crate::query::RecordSight>,
}

impl FeedQuery {
    /// Whether `sight` admits an entry, given its record as stored now (`None`: purged).
    pub fn admits(&self, e: &HistoryEntry, record: Option<&crate::record::Record>) -> bool {
        e.record.0 == 0 || self.sight.get(&e.module).is_none_or(|s| s.admits(record))
    }
}

/// The change-log entry of a schema edit: `record` 0 (no record), the edit's module (empty for an edit of no
/// module), `changes` the schema version before and after (`schema_version`) and the edit as JSON (`change`).
pub fn schema_entry(module: Option<&str>, before_version: u64, entry: &crate::schema::edit::SchemaChangeEntry) -> Result<HistoryEntry> {
    let change = serde_json::to_string(&entry.change).map_err(|e| crate::error::Error::invalid(format!("schema change: {e}")))?;
    let changes = vec![
        FieldChange { field: "schema_version".into(), before: Some(before_version.to_string()), after: Some(entry.version.to_string()) },
        FieldChange { field: "change".into(), before: None, after: Some(change) },
    ];
    Ok(HistoryEntry::new(RecordId(0), module.unwrap_or(""), &entry.actor, entry.at, ChangeKind::SchemaChanged, changes))
}

/// The change-log entry of a new comment on a record of `module`: its text (`commentcontent`), id
/// (`comment_id`) and, for a reply, the parent comment (`parent_comments`), by the comment's author.
pub fn comment_entry(c: &crate::related::Comment, module: &str) -> HistoryEntry {
    let mut changes = vec![
        FieldChange { field: "commentcontent".into(), before: None, after: Some(c.text.clone()) },
        FieldChange { field: "comment_id".into(), before: None, after: Some(c.id.to_string()) },
    ];
    if let Some(p) = c.parent {
        changes.push(FieldChange { field: "parent_comments".into(), before: None, after: Some(p.to_string()) });
    }
    HistoryEntry::new(c.record, module, &c.author, c.at, ChangeKind::Commented, changes)
}

/// An iterator over the feed from a position ([`Crm::changes_iter`](crate::Crm::changes_iter)), reading
/// one page at a time. It ends at the end of the feed, or, made with [`ChangeIter::follow`], waits for new
/// changes (polling) and never ends. A failed read is yielded once as an error; the iterator then ends.
///
/// # Example
/// ```
/// use crm_core::{Crm, Fields, NewUser};
/// # fn main() -> Result<(), crm_core::Error> {
/// let mut crm = Crm::open(":memory:")?;
/// crm.add_user(NewUser::new("admin"))?;
/// crm.set_actor("admin")?;
/// let start = crm.changes_position()?;
/// let org = crm.create("Accounts", Fields::new().with("accountname", "Hooli"))?;
/// crm.update(org.id, Fields::new().with("website", "https://hooli.example"))?;
/// let kinds: Vec<_> = crm.changes_iter(Some(start), &[]).map(|e| e.map(|e| e.kind.as_str())).collect::<Result<_, _>>()?;
/// assert_eq!(kinds, ["created", "updated"]);
/// # Ok(()) }
/// ```
pub struct ChangeIter<'a> {
    crm: &'a crate::Crm,
    after: Option<i64>,
    modules: Vec<String>,
    page: u64,
    buffer: VecDeque<ChangeEvent>,
    follow: Option<Duration>,
    done: bool,
}

impl<'a> ChangeIter<'a> {
    pub(crate) fn new(crm: &'a crate::Crm, after: Option<i64>, modules: &[&str]) -> Self {
        ChangeIter {
            crm,
            after,
            modules: modules.iter().map(|m| m.to_string()).collect(),
            page: DEFAULT_PAGE,
            buffer: VecDeque::new(),
            follow: None,
            done: false,
        }
    }

    /// Reads pages of at most `page` events (1..=[`MAX_LOG_PAGE`](crate::limits::MAX_LOG_PAGE)).
    pub fn page_size(mut self, page: u64) -> Self {
        self.page = page;
        self
    }

    /// Never ends: at the end of the feed, sleeps `poll` and asks again.
    pub fn follow(mut self, poll: Duration) -> Self {
        self.follow = Some(poll);
        self
    }

    /// The position of the last event handed out (where a consumer would resume).
    pub fn position(&self) -> Option<i64> {
        self.after
    }
}

impl Iterator for ChangeIter<'_> {
    type Item = Result<ChangeEvent>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(e) = self.buffer.pop_front() {
                self.after = Some(e.position);
                return Some(Ok(e));
            }
            if self.done {
                return None;
            }
            let modules: Vec<&str> = self.modules.iter().map(String::as_str).collect();
            match self.crm.changes(self.after, self.page, &modules) {
                Ok(page) if page.is_empty() => match self.follow {
                    Some(poll) => std::thread::sleep(poll),
                    None => return None,
                },
                Ok(page) => self.buffer.extend(page),
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
    }
}
