//! The change log ("Updates") and the stage history of opportunities.
//!
//! Every create, update, delete, restore, purge, link, unlink, comment and schema edit writes one [`HistoryEntry`] in the same transaction as
//! the change, with one [`FieldChange`] per changed field (no cap on the number of fields). Values are kept
//! in their canonical text form, so the log stays readable even after a field is deleted.
//!
//! vtiger 7/8 stopped writing `vtiger_potstagehistory`; crm keeps it: each change of sales stage, amount,
//! probability or close date appends a [`StageEntry`], and [`stage_durations`] derives the time spent in
//! each stage.

use crate::record::Record;
use crate::record::Values;
use crate::value::{RecordId, Value};
use chrono::NaiveDateTime;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What happened to a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// The record was created.
    Created,
    /// Fields changed.
    Updated,
    /// Moved to the recycle bin.
    Deleted,
    /// Restored from the recycle bin.
    Restored,
    /// Another record was linked to it.
    Linked,
    /// Another record was unlinked from it.
    Unlinked,
    /// A comment was added to it (the comment's text, id and parent in `changes`).
    Commented,
    /// Removed from the recycle bin for good. Its earlier entries go with it; this one stays in the log.
    Purged,
    /// A schema edit (layout or picklist editor) of the entry's module; `record` is 0 (no record) and
    /// `changes` holds the schema version and the change as JSON.
    SchemaChanged,
    /// Merged: on the kept record, `related` names a record merged into it; on the merged record (moved to
    /// the recycle bin), `related` names the kept one.
    Merged,
    /// A merged record was restored and its part of the merge undone: on the kept record, `related` names
    /// the restored one.
    Unmerged,
}

impl ChangeKind {
    /// The stable snake_case name (also the SQLite column value).
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Created => "created",
            ChangeKind::Updated => "updated",
            ChangeKind::Deleted => "deleted",
            ChangeKind::Restored => "restored",
            ChangeKind::Linked => "linked",
            ChangeKind::Unlinked => "unlinked",
            ChangeKind::Commented => "commented",
            ChangeKind::Purged => "purged",
            ChangeKind::SchemaChanged => "schema_changed",
            ChangeKind::Merged => "merged",
            ChangeKind::Unmerged => "unmerged",
        }
    }
    /// Parses [`ChangeKind::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "created" => ChangeKind::Created,
            "updated" => ChangeKind::Updated,
            "deleted" => ChangeKind::Deleted,
            "restored" => ChangeKind::Restored,
            "linked" => ChangeKind::Linked,
            "unlinked" => ChangeKind::Unlinked,
            "commented" => ChangeKind::Commented,
            "purged" => ChangeKind::Purged,
            "schema_changed" => ChangeKind::SchemaChanged,
            "merged" => ChangeKind::Merged,
            "unmerged" => ChangeKind::Unmerged,
            _ => return None,
        })
    }
}

/// One changed field: previous and new value in canonical text form (`None` = empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// Field name.
    pub field: String,
    /// Value before the change.
    pub before: Option<String>,
    /// Value after the change.
    pub after: Option<String>,
}

/// One entry of a record's change log.
///
/// # Example
/// ```
/// use crm_core::ChangeKind;
/// use crm_core::{Crm, Fields, NewUser};
/// # fn main() -> Result<(), crm_core::Error> {
/// let mut crm = Crm::open(":memory:")?;
/// crm.add_user(NewUser::new("admin"))?;
/// crm.set_actor("admin")?;
/// let deal = crm.create("Potentials", Fields::new()
///     .with("potentialname", "Hooli renewal")
///     .with("amount", "12000")
///     .with("sales_stage", "Prospecting")
///     .with("closingdate", "2027-03-31"))?;
/// crm.update(deal.id, Fields::new().with("sales_stage", "Negotiation or Review"))?;
/// let log = crm.history(deal.id)?;
/// assert_eq!(log.iter().map(|e| e.kind).collect::<Vec<_>>(), [ChangeKind::Created, ChangeKind::Updated]);
/// assert!(log[1].changes.iter().any(|c| c.field == "sales_stage" && c.after.as_deref() == Some("Negotiation or Review")));
/// assert_eq!(crm.stage_history(deal.id)?.len(), 2);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// Sequence number given by storage (0 before it is stored).
    pub id: i64,
    /// The record that changed.
    pub record: RecordId,
    /// Its module.
    pub module: String,
    /// User name of whoever made the change.
    pub actor: String,
    /// When (UTC).
    pub at: NaiveDateTime,
    /// What happened.
    pub kind: ChangeKind,
    /// The other record, for links and unlinks. Always in the serialised entry (`null` when none), as
    /// both bindings return it.
    #[serde(default)]
    pub related: Option<RecordId>,
    /// Changed fields (empty for deletes and restores).
    pub changes: Vec<FieldChange>,
}

impl HistoryEntry {
    /// A new, not yet stored entry (`id` 0, no related record).
    pub fn new(record: RecordId, module: &str, actor: &str, at: NaiveDateTime, kind: ChangeKind, changes: Vec<FieldChange>) -> Self {
        HistoryEntry { id: 0, record, module: module.to_string(), actor: actor.to_string(), at, kind, related: None, changes }
    }
}

/// One row of an opportunity's stage history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageEntry {
    /// The opportunity.
    pub record: RecordId,
    /// Sales stage after the change.
    pub stage: Option<String>,
    /// Amount after the change.
    pub amount: Option<Decimal>,
    /// Probability after the change.
    pub probability: Option<Decimal>,
    /// Forecast amount after the change.
    pub forecast_amount: Option<Decimal>,
    /// Expected close date after the change.
    pub closingdate: Option<chrono::NaiveDate>,
    /// When (UTC).
    pub at: NaiveDateTime,
    /// Who.
    pub actor: String,
}

/// The fields whose change appends a stage-history row.
pub const STAGE_FIELDS: [&str; 4] = ["sales_stage", "amount", "probability", "closingdate"];

impl StageEntry {
    /// The stage-history row describing `record` as it is now.
    pub fn of(record: &Record, at: NaiveDateTime, actor: &str) -> StageEntry {
        StageEntry {
            record: record.id,
            stage: record.get("sales_stage").to_text(),
            amount: record.get("amount").as_decimal(),
            probability: record.get("probability").as_decimal(),
            forecast_amount: record.get("forecast_amount").as_decimal(),
            closingdate: record.get("closingdate").as_date(),
            at,
            actor: actor.to_string(),
        }
    }
}

/// A period spent in one stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageDuration {
    /// The stage.
    pub stage: String,
    /// When the record entered it.
    pub entered: NaiveDateTime,
    /// When it left it (`None` while still in it).
    pub left: Option<NaiveDateTime>,
    /// Seconds spent (up to `now` while still in it).
    pub seconds: i64,
}

/// Derives the periods spent in each stage from a stage history (oldest first), up to `now`.
pub fn stage_durations(entries: &[StageEntry], now: NaiveDateTime) -> Vec<StageDuration> {
    let mut out: Vec<StageDuration> = Vec::new();
    for e in entries {
        let Some(stage) = &e.stage else { continue };
        if out.last().is_some_and(|d| &d.stage == stage) {
            continue;
        }
        if let Some(last) = out.last_mut() {
            last.left = Some(e.at);
            last.seconds = (e.at - last.entered).num_seconds();
        }
        out.push(StageDuration { stage: stage.clone(), entered: e.at, left: None, seconds: 0 });
    }
    if let Some(last) = out.last_mut() {
        last.seconds = (now - last.entered).num_seconds().max(0);
    }
    out
}

/// Total seconds spent per stage (a stage entered twice adds up).
pub fn time_in_stage(entries: &[StageEntry], now: NaiveDateTime) -> BTreeMap<String, i64> {
    let mut m = BTreeMap::new();
    for d in stage_durations(entries, now) {
        *m.entry(d.stage).or_insert(0) += d.seconds;
    }
    m
}

/// The field-level differences between two value maps, in field-name order.
/// `skip` names fields left out of the log (vtiger leaves out modifiedtime).
pub fn diff(before: &Values, after: &Values, skip: &[&str]) -> Vec<FieldChange> {
    use std::cmp::Ordering;
    // Both maps are sorted: one merge walk, and no text is formed for values that are equal.
    let (mut b, mut a) = (before.iter().peekable(), after.iter().peekable());
    let mut out = Vec::new();
    loop {
        let order = match (b.peek(), a.peek()) {
            (None, None) => break,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some((kb, _)), Some((ka, _))) => kb.cmp(ka),
        };
        let Some((key, bv, av)) = (match order {
            Ordering::Less => b.next().map(|(k, v)| (k, Some(v), None)),
            Ordering::Greater => a.next().map(|(k, v)| (k, None, Some(v))),
            Ordering::Equal => b.next().zip(a.next()).map(|((k, x), (_, y))| (k, Some(x), Some(y))),
        }) else {
            break; // not reached: a peeked entry is there
        };
        if bv == av || skip.contains(&key.as_str()) {
            continue;
        }
        let (bt, at) = (bv.and_then(Value::to_text), av.and_then(Value::to_text));
        if bt != at {
            out.push(FieldChange { field: key.clone(), before: bt, after: at });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_walks_both_maps() {
        let map = |pairs: &[(&str, Value)]| pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect::<Values>();
        let before = map(&[("a", Value::Int(1)), ("b", Value::Text("x".into())), ("d", Value::Text("same".into())), ("m", Value::Int(5))]);
        let after = map(&[
            ("b", Value::Text("y".into())),
            ("c", Value::Int(2)),
            ("d", Value::Text("same".into())),
            ("e", Value::Text("  ".into())),
            ("m", Value::Int(6)),
        ]);
        let got: Vec<(String, Option<String>, Option<String>)> =
            diff(&before, &after, &["m"]).into_iter().map(|c| (c.field, c.before, c.after)).collect();
        let s = |x: &str| Some(x.to_string());
        assert_eq!(got, vec![("a".into(), s("1"), None), ("b".into(), s("x"), s("y")), ("c".into(), None, s("2"))]);
        assert!(diff(&after, &after, &[]).is_empty());
    }

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    fn e(stage: &str, t: &str) -> StageEntry {
        StageEntry {
            record: RecordId(1),
            stage: Some(stage.into()),
            amount: None,
            probability: None,
            forecast_amount: None,
            closingdate: None,
            at: at(t),
            actor: "a".into(),
        }
    }

    #[test]
    fn durations_merge_repeats_and_run_to_now() {
        let h =
            [e("A", "2026-01-01 00:00:00"), e("A", "2026-01-01 01:00:00"), e("B", "2026-01-02 00:00:00"), e("A", "2026-01-03 00:00:00")];
        let d = stage_durations(&h, at("2026-01-03 12:00:00"));
        assert_eq!(d.len(), 3);
        assert_eq!(d[0].seconds, 86400);
        assert_eq!(d[1].seconds, 86400);
        assert_eq!(d[2].seconds, 43200);
        assert_eq!(time_in_stage(&h, at("2026-01-03 12:00:00"))["A"], 86400 + 43200);
    }
}
