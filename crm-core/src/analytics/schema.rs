//! The analytics fields of Potentials (`forecast_category`, `lost_reason`, `lost_reason_note`), their
//! picklists, and the upgrade that gives them to stores created before them.
//!
//! The built-in schema declares them (`schema::builtin`); a store whose stored schema lacks them gets them
//! when it is opened ([`upgrade`], run by the service under the store's setup lock): the fields are copied
//! from the built-in definition, the picklists added when missing, and the schema saved as a new version,
//! which adds the columns to the Potentials table (SQL stores add missing columns when a schema is saved).
//! Running it again changes nothing.

use super::category::FORECAST_CATEGORIES;
use crate::schema::{Picklist, PicklistValue, Schema};

/// The fields the upgrade adds to Potentials, in layout order.
pub const FIELDS: [&str; 3] = ["forecast_category", "lost_reason", "lost_reason_note"];

/// The lost reasons a new store starts with (editable like any picklist).
pub const LOST_REASONS: [&str; 7] = ["Price", "Competitor", "No Budget", "No Decision", "Timing", "Product Fit", "Other"];

fn values(list: &[&str], editable: bool) -> Vec<PicklistValue> {
    list.iter().map(|v| PicklistValue { value: (*v).into(), editable, stage: None, roles: vec![] }).collect()
}

/// The `forecast_category` picklist (its values are fixed: reports rely on them).
pub fn forecast_category_picklist() -> Picklist {
    Picklist { name: "forecast_category".into(), values: values(&FORECAST_CATEGORIES, false) }
}

/// The `lost_reason` picklist.
pub fn lost_reason_picklist() -> Picklist {
    Picklist { name: "lost_reason".into(), values: values(&LOST_REASONS, true) }
}

/// True when `schema` lacks an analytics field or picklist.
pub fn needs_upgrade(schema: &Schema) -> bool {
    let Some(m) = schema.modules.get("Potentials") else { return false };
    FIELDS.iter().any(|f| m.field(f).is_none())
        || !schema.picklists.contains_key("forecast_category")
        || !schema.picklists.contains_key("lost_reason")
}

/// Adds the missing analytics fields and picklists to `schema` (not its version); true when it changed.
pub fn upgrade(schema: &mut Schema) -> bool {
    if !needs_upgrade(schema) {
        return false;
    }
    let builtin = Schema::builtin();
    for p in [forecast_category_picklist(), lost_reason_picklist()] {
        schema.picklists.entry(p.name.clone()).or_insert(p);
    }
    if let (Some(m), Some(b)) = (schema.modules.get_mut("Potentials"), builtin.modules.get("Potentials")) {
        for name in FIELDS {
            if m.field(name).is_some() {
                continue;
            }
            let Some(mut f) = b.field(name).cloned() else { continue };
            if !m.blocks.iter().any(|bl| bl.name == f.block) {
                f.block = m.blocks.first().map(|bl| bl.name.clone()).unwrap_or_default();
            }
            f.sequence = m.fields.iter().filter(|x| x.block == f.block).map(|x| x.sequence).max().unwrap_or(0) + 1;
            m.fields.push(f);
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upgrade_adds_the_fields_once() {
        let mut s = Schema::builtin();
        assert!(!needs_upgrade(&s));
        let m = s.modules.get_mut("Potentials").unwrap();
        m.fields.retain(|f| !FIELDS.contains(&f.name.as_str()));
        s.picklists.remove("lost_reason");
        assert!(needs_upgrade(&s));
        assert!(upgrade(&mut s));
        assert!(!upgrade(&mut s));
        for f in FIELDS {
            assert!(s.modules["Potentials"].field(f).is_some(), "{f}");
        }
        assert_eq!(s.picklists["lost_reason"].values.len(), LOST_REASONS.len());
    }
}
