//! Duplicate groups and rule-key lookups by reading a module's live records: the reference behaviour of
//! [`RecordStore::duplicate_groups`] and [`RecordStore::duplicate_key_holders`] (the memory store's), which
//! the SQL stores answer in SQL instead (`storage::sql::duplicates`).

use super::RecordStore;
use crate::dedupe::rules::key_of;
use crate::dedupe::{DuplicateGroup, DuplicateRule};
use crate::error::Result;
use crate::query::{Query, RecordSight};
use crate::schema::Module;
use crate::value::RecordId;
use std::collections::BTreeMap;

/// [`RecordStore::duplicate_groups`] over every live record of `m`: groups of every record, holding the
/// ids `sight` admits.
///
/// # Errors
/// As [`RecordStore::query`].
pub fn groups_by_scan<S: RecordStore + ?Sized>(
    store: &S,
    m: &Module,
    fields: &[String],
    normalize: bool,
    after: Option<&str>,
    limit: u64,
    sight: Option<&RecordSight>,
) -> Result<Vec<DuplicateGroup>> {
    // Each key's records, with whether `sight` admits them.
    let mut by_key: BTreeMap<String, Vec<(RecordId, bool)>> = BTreeMap::new();
    for r in store.query(&Query::new(&m.name).normalize(m)?)? {
        if let Some(k) = key_of(m, fields, &r, normalize)
            && after.is_none_or(|a| k.as_str() > a)
        {
            by_key.entry(k).or_default().push((r.id, sight.is_none_or(|s| s.admits(Some(&r)))));
        }
    }
    let take = usize::try_from(limit).unwrap_or(usize::MAX);
    Ok(by_key
        .into_iter()
        .filter(|(_, ids)| ids.len() > 1)
        .take(take)
        .map(|(key, ids)| {
            let mut ids: Vec<RecordId> = ids.into_iter().filter(|(_, seen)| *seen).map(|(id, _)| id).collect();
            ids.sort();
            DuplicateGroup { key, ids }
        })
        .collect())
}

/// [`RecordStore::duplicate_key_holders`] over every live record of `m`.
///
/// # Errors
/// As [`RecordStore::query`].
pub fn holders_by_scan<S: RecordStore + ?Sized>(
    store: &S,
    m: &Module,
    rule: &DuplicateRule,
    key: &str,
    limit: u64,
) -> Result<Vec<RecordId>> {
    let mut ids: Vec<RecordId> = store
        .query(&Query::new(&m.name).normalize(m)?)?
        .iter()
        .filter(|r| rule.key(m, &r.values).as_deref() == Some(key))
        .map(|r| r.id)
        .collect();
    ids.sort();
    ids.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok(ids)
}
