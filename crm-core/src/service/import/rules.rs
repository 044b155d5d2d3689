//! Duplicate-prevention rules in an import: a row whose values match a live record under one of the
//! module's rules (see [`crate::dedupe::rules`]) is handled by the import's duplicate mode (skip, overwrite,
//! merge), or fails with a `duplicate` problem when the mode creates every row.

use super::{RowInput, Run};
use crate::dedupe::DuplicateRule;
use crate::error::Result;
use crate::record::Record;
use crate::record::Values;
use crate::schema::{FieldType, Module};
use crate::service::Crm;
use crate::value::{Value, coerce};

impl Crm {
    /// The rule and the live record a row matches, if any (rows pending in the batch are committed first
    /// when one of them has the same key, so that it is found).
    pub(super) fn rule_duplicate(&mut self, run: &mut Run, input: &RowInput, m: &Module) -> Result<Option<(DuplicateRule, Record)>> {
        if m.duplicate_rules.is_empty() {
            return Ok(None);
        }
        let mut values = Values::new();
        for name in m.duplicate_rules.iter().flat_map(|r| r.fields.iter()) {
            let (Some(f), Some(raw)) = (m.field(name), input.fields.get(name)) else { continue };
            let v = match (f.field_type, raw.clone()) {
                (FieldType::Reference, Value::Text(s)) if s.trim().parse::<i64>().is_err() => {
                    match self.resolve_reference_cached(&f.references, &s)? {
                        Some(id) => Value::Ref(id),
                        None => continue,
                    }
                }
                (FieldType::Owner, Value::Text(s)) if s.trim().parse::<i64>().is_err() => match self.find_owner(&s)? {
                    Some(o) => Value::Owner(o.id()),
                    None => continue,
                },
                (_, v) => match coerce(f, v) {
                    Ok(v) => v,
                    Err(_) => continue,
                },
            };
            values.insert(name.clone(), v);
        }
        let pending = run.batch.iter().filter_map(|p| p.record.as_ref()).any(|r| {
            r.module == m.name
                && m.duplicate_rules.iter().any(|rule| rule.key(m, &values).is_some_and(|k| rule.key(m, &r.values) == Some(k)))
        });
        if pending {
            self.flush(run)?;
        }
        match self.rule_match(m, &values, None, &[])? {
            Some((rule, id)) => Ok(Some((rule, self.load(id)?))),
            None => Ok(None),
        }
    }
}
