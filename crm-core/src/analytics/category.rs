//! Forecast categories (Salesforce's Pipeline / Best Case / Commit / Closed / Omitted): each opportunity
//! has one in its `forecast_category` field, taken from its sales stage through an editable mapping (stored
//! in the schema's settings) unless the caller sets it.

use crate::schema::{Schema, StageKind};
use std::collections::BTreeMap;

/// The categories in forecast order (most certain last but one; `Omitted` is left out of forecasts).
pub const FORECAST_CATEGORIES: [&str; 5] = ["Pipeline", "Best Case", "Commit", "Closed", "Omitted"];

/// The built-in stage → category mapping: early stages are Pipeline, the middle ones Best Case,
/// negotiation Commit, won Closed, lost Omitted.
pub fn default_map() -> BTreeMap<String, String> {
    [
        ("Prospecting", "Pipeline"),
        ("Qualification", "Pipeline"),
        ("Needs Analysis", "Pipeline"),
        ("Value Proposition", "Pipeline"),
        ("Id. Decision Makers", "Best Case"),
        ("Perception Analysis", "Best Case"),
        ("Proposal or Price Quote", "Best Case"),
        ("Negotiation or Review", "Commit"),
        ("Closed Won", "Closed"),
        ("Closed Lost", "Omitted"),
    ]
    .into_iter()
    .map(|(s, c)| (s.to_string(), c.to_string()))
    .collect()
}

/// The category a deal at `stage` takes: the mapping's, else by the stage's kind (won → Closed, lost →
/// Omitted, open → Pipeline); `None` for an unknown stage.
pub fn category_of(schema: &Schema, stage: &str) -> Option<String> {
    if let Some(c) = schema.settings.forecast_categories.get(stage) {
        return Some(c.clone());
    }
    Some(
        match schema.stage(stage)?.kind {
            StageKind::Won => "Closed",
            StageKind::Lost => "Omitted",
            StageKind::Open => "Pipeline",
        }
        .to_string(),
    )
}

/// The canonical spelling of a category name given in any case (`best case` → `Best Case`).
pub fn canonical(name: &str) -> Option<&'static str> {
    FORECAST_CATEGORIES.iter().copied().find(|c| c.eq_ignore_ascii_case(name.trim()))
}
