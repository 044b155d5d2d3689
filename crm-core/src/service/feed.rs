//! The change feed on the facade: [`Crm::changes`], [`Crm::changes_position`], [`Crm::changes_iter`] and
//! [`Crm::trim_changes`] (the feed itself is described in [`crate::feed`]).

use super::Crm;
use crate::error::{Error, Result};
use crate::feed::{ChangeEvent, ChangeIter, FeedQuery};

/// How often a read from the start retries when a trim moved the start meanwhile.
const START_RETRIES: usize = 3;

impl Crm {
    /// The committed changes after position `since`, oldest first: at most `limit` of them, only of
    /// `modules` (every module when empty). `None` starts at the oldest change kept. Pass the last event's
    /// `position` as the next `since`; an empty list means there is nothing newer yet.
    ///
    /// # Example
    /// ```
    /// use crm_core::{ChangeKind, Crm, Fields, NewUser};
    /// # fn main() -> Result<(), crm_core::Error> {
    /// let mut crm = Crm::open(":memory:")?;
    /// crm.add_user(NewUser::new("admin"))?;
    /// crm.set_actor("admin")?;
    /// let seen = crm.changes_position()?; // a consumer's stored position
    /// let org = crm.create("Accounts", Fields::new().with("accountname", "Hooli"))?;
    /// crm.update(org.id, Fields::new().with("accountname", "Hooli XYZ"))?;
    /// let events = crm.changes(Some(seen), 1000, &["Accounts"])?;
    /// assert_eq!(events.len(), 2);
    /// assert_eq!(events[1].kind, ChangeKind::Updated);
    /// let name = events[1].changes.iter().find(|c| c.field == "accountname").unwrap();
    /// assert_eq!((name.before.as_deref(), name.after.as_deref()), (Some("Hooli"), Some("Hooli XYZ")));
    /// assert!(crm.changes(Some(events[1].position), 1000, &[])?.is_empty());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// `FeedPositionExpired` when the change log was trimmed past `since` (changes after it are gone);
    /// `InvalidArgument` when `limit` is 0 or above [`MAX_LOG_PAGE`](crate::limits::MAX_LOG_PAGE), or
    /// `since` is beyond the end of the feed (a position of another store?); storage errors.
    ///
    /// Access control: an acting user who is not an administrator gets the events of the records they may
    /// view (and schema changes), without the fields hidden from them; the system context sees all.
    pub fn changes(&self, since: Option<i64>, limit: u64, modules: &[&str]) -> Result<Vec<ChangeEvent>> {
        let limit = crate::limits::log_page(limit)?;
        let modules: Vec<String> = modules.iter().map(|m| m.to_string()).collect();
        // Access control: the records whose events the acting user may see, selected by the store's read.
        let rights = self.rights()?;
        let restricted = !rights.reads_everything();
        let mut sight = std::collections::BTreeMap::new();
        if restricted {
            for m in rights.restricted_modules() {
                if let Some(s) = self.record_sight(&rights, m)? {
                    sight.insert(m.to_string(), s);
                }
            }
        }
        let mut attempt = 0;
        loop {
            attempt += 1;
            // From the start: after what was trimmed. Checked again after the read (see below).
            let after = match since {
                Some(p) => p,
                None => self.store.feed_trimmed()?,
            };
            let entries = self.store.feed(&FeedQuery { after, limit, modules: modules.clone(), sight: sight.clone() })?;
            // Checked after the read: a trim committed before it shows here, so a read that could have
            // missed trimmed entries is never returned as complete.
            let trimmed = self.store.feed_trimmed()?;
            if after < trimmed {
                if since.is_none() && attempt < START_RETRIES {
                    continue;
                }
                return Err(Error::FeedPositionExpired { position: after, trimmed });
            }
            if entries.is_empty() {
                let end = self.store.feed_end()?;
                if after > end {
                    return Err(Error::invalid(format!(
                        "feed position {after} is beyond the end of the feed ({end}): is it a position of another store?"
                    )));
                }
            }
            let mut events: Vec<ChangeEvent> = entries.into_iter().map(ChangeEvent::from).collect();
            if restricted {
                // The fields hidden from the user leave the events of records.
                for e in events.iter_mut().filter(|e| e.record.is_some()) {
                    let hidden = rights.hidden_fields(&e.module);
                    e.changes.retain(|c| !hidden.contains(&c.field.as_str()));
                }
            }
            return Ok(events);
        }
    }

    /// The current end of the feed: the position of the newest committed change (0 when there is none). A
    /// consumer that starts here sees every change committed after this call.
    ///
    /// # Errors
    /// Storage errors.
    pub fn changes_position(&self) -> Result<i64> {
        self.store.feed_end()
    }

    /// An iterator over the changes after `since` (`None`: from the oldest kept), of `modules` (all when
    /// empty), reading a page at a time; it ends at the end of the feed, or waits for more with
    /// [`ChangeIter::follow`].
    pub fn changes_iter(&self, since: Option<i64>, modules: &[&str]) -> ChangeIter<'_> {
        ChangeIter::new(self, since, modules)
    }

    /// Removes the change log up to and including position `through` — the records' history of those
    /// changes included — and remembers it: asking the feed for changes after a position below `through`
    /// is then `FeedPositionExpired`. Returns how many entries were removed. The retention policy is the
    /// host's: crm trims nothing by itself.
    ///
    /// # Errors
    /// `InvalidArgument` when `through` is negative or beyond the end of the feed; storage errors.
    pub fn trim_changes(&mut self, through: i64) -> Result<u64> {
        let end = self.store.feed_end()?;
        if through < 0 || through > end {
            return Err(Error::invalid(format!("cannot trim the change log to position {through}: the feed ends at {end}")));
        }
        self.store.trim_feed(through)
    }

    /// The change-log entry of a new comment (the feed's `commented` event), for the change set that adds it.
    pub(crate) fn comment_entry(&self, c: &crate::related::Comment) -> Result<crate::storage::RecordChange> {
        let module = match self.pending.get(&c.record) {
            Some(r) => r.module.clone(),
            None => self.store.entity(c.record)?.map(|(m, _)| m).ok_or_else(|| Error::not_found(format!("record {}", c.record)))?,
        };
        Ok(crate::storage::RecordChange::History(crate::feed::comment_entry(c, &module)))
    }
}
