//! The change feed in memory: the change log is kept in position order, so a read is a binary search
//! and a walk.

use super::MemoryStore;
use crate::error::Result;
use crate::feed::FeedQuery;
use crate::history::HistoryEntry;
use crate::record::Record;
use crate::storage::FeedStore;
use crate::value::RecordId;
use std::collections::BTreeMap;

/// The entries a feed query selects: the one place the memory store decides what a feed read returns.
pub(crate) fn select(log: &[HistoryEntry], records: &BTreeMap<RecordId, Record>, q: &FeedQuery) -> Vec<HistoryEntry> {
    let start = log.partition_point(|h| h.id <= q.after);
    let limit = usize::try_from(q.limit).unwrap_or(usize::MAX);
    log[start..]
        .iter()
        .filter(|h| q.modules.is_empty() || q.modules.contains(&h.module))
        .filter(|h| q.sight.is_empty() || q.admits(h, records.get(&h.record)))
        .take(limit)
        .cloned()
        .collect()
}

impl FeedStore for MemoryStore {
    fn feed(&self, q: &FeedQuery) -> Result<Vec<HistoryEntry>> {
        Ok(select(&self.history, &self.records, q))
    }

    fn feed_end(&self) -> Result<i64> {
        Ok(self.history.last().map_or(0, |h| h.id).max(self.history_trimmed))
    }

    fn feed_trimmed(&self) -> Result<i64> {
        Ok(self.history_trimmed)
    }

    fn trim_feed(&mut self, through: i64) -> Result<u64> {
        let n = self.history.partition_point(|h| h.id <= through);
        self.history.drain(..n);
        self.history_trimmed = self.history_trimmed.max(through);
        Ok(u64::try_from(n).unwrap_or(u64::MAX))
    }
}
