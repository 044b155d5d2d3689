//! Duplicates: the normaliser that decides when two values are "the same", duplicate-prevention rules,
//! and the shapes of duplicate searches and merges.
//!
//! * [`normalize()`] / [`normalize_email()`] — the matching keys (case, spaces, punctuation, Persian/Arabic
//!   letter variants and digits, ZWNJ and tatweel; e-mail case and `+tags`), one function each, defined by
//!   character tables the SQL stores reuse (see [`normalize`](mod@normalize)).
//! * [`rules`] — per-module sets of fields whose normalised values must be unique.
//! * [`DuplicateSearch`], [`DuplicateGroup`], [`DuplicatePage`] — what `Crm::find_duplicates` takes and
//!   gives: groups of live record ids whose values match, a page of groups at a time, ordered by key.
//! * [`MergeRequest`], [`MergeValue`], [`MergeReport`] — what `Crm::merge` takes and gives.

pub mod normalize;
pub mod rules;

pub use normalize::{normalize, normalize_email};
pub use rules::DuplicateRule;

use crate::related::Relation;
use crate::schema::FieldType;
use crate::value::{RecordId, Value};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The most groups one page of a duplicate search returns.
pub const MAX_GROUPS_PAGE: u64 = 10_000;

/// The most records one merge folds into the kept one.
pub const MAX_MERGED: usize = 100;

/// Whether values of this type can be matched for duplicates (text-like types, e-mail, whole numbers,
/// references, owners, dates; not decimals, times, checkboxes or multi-select picklists, whose stored text
/// differs between stores).
pub fn matchable(t: FieldType) -> bool {
    !matches!(
        t,
        FieldType::Decimal
            | FieldType::Currency
            | FieldType::Percent
            | FieldType::DateTime
            | FieldType::Time
            | FieldType::Checkbox
            | FieldType::MultiPicklist
    )
}

/// Whether the normaliser applies to this type's text ([`normalize()`]; e-mail: [`normalize_email()`]); other
/// matchable types (numbers, references, owners, dates) compare their stored text as it is.
pub fn normalized_type(t: FieldType) -> bool {
    matches!(t, FieldType::Text | FieldType::TextArea | FieldType::Phone | FieldType::Url | FieldType::Picklist | FieldType::AutoNumber)
}

/// The normalised key of one field's stored text.
pub fn field_key(t: FieldType, text: &str) -> String {
    match t {
        FieldType::Email => normalize_email(text),
        t if normalized_type(t) => normalize(text),
        _ => text.to_string(),
    }
}

/// A duplicate search: which fields, normalised or not, and which page of groups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DuplicateSearch {
    /// Fields (names or labels) whose values must all match; the module's first name field when empty.
    pub fields: Vec<String>,
    /// Match after normalisation (default) or on the stored text exactly.
    pub normalize: bool,
    /// Start after the group with this key (the previous page's `next`).
    pub after: Option<String>,
    /// Most groups to return (default 1,000, at most [`MAX_GROUPS_PAGE`]).
    pub limit: u64,
}

impl Default for DuplicateSearch {
    fn default() -> Self {
        DuplicateSearch { fields: vec![], normalize: true, after: None, limit: 1000 }
    }
}

impl DuplicateSearch {
    /// A normalised search over `fields`.
    pub fn on<S: Into<String>>(fields: impl IntoIterator<Item = S>) -> Self {
        DuplicateSearch { fields: fields.into_iter().map(Into::into).collect(), ..Default::default() }
    }
}

/// Live records whose values match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuplicateGroup {
    /// The matching key (normalised values joined by U+001F).
    pub key: String,
    /// The records, lowest id first (at least two).
    pub ids: Vec<RecordId>,
}

/// One page of duplicate groups, ordered by key.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DuplicatePage {
    /// The groups.
    pub groups: Vec<DuplicateGroup>,
    /// The key to pass as `after` for the next page; `None` on the last page.
    pub next: Option<String>,
}

/// Where a merged field's value comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MergeValue {
    /// The value of this record (the kept one or one of the merged ones).
    From(RecordId),
    /// This value (validated like input to an update).
    Value(Value),
}

/// A merge: the record kept, the records folded into it, and the fields taken from elsewhere.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// The record that stays.
    pub keep: RecordId,
    /// The records merged into it (moved to the recycle bin).
    pub others: Vec<RecordId>,
    /// Field → where its merged value comes from; fields not named keep the kept record's value.
    #[serde(default)]
    pub values: BTreeMap<String, MergeValue>,
    /// The kept record's version the merge was planned on (refused with `Conflict` when it moved).
    #[serde(default)]
    pub version: Option<u64>,
}

/// What a merge did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeReport {
    /// The kept record.
    pub kept: RecordId,
    /// The merged records, now in the recycle bin.
    pub merged: Vec<RecordId>,
    /// Fields of the kept record that changed.
    pub fields: Vec<String>,
    /// Reference fields of other records that were repointed to the kept record.
    pub references: u64,
    /// Many-to-many links moved.
    pub links: u64,
    /// Comments moved.
    pub comments: u64,
}

/// What a merge did to one merged record, kept until it is restored (which undoes it) or purged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeJournal {
    /// The merged record (in the recycle bin).
    pub merged: RecordId,
    /// The record it was merged into.
    pub kept: RecordId,
    /// Records and reference fields that pointed at the merged record and were repointed to the kept one.
    pub references: Vec<(RecordId, String)>,
    /// The merged record's links as they were, each with whether the merge added it to the kept record
    /// (false when the kept record was already linked to the same record).
    pub links: Vec<(Relation, bool)>,
    /// Comments moved to the kept record.
    pub comments: Vec<i64>,
    /// Change-log entries moved to the kept record.
    pub history: Vec<i64>,
}
