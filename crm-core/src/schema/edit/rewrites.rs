//! Renamed and deleted picklist values, followed everywhere they are used: [`value_rewrites`] lists what
//! stored records, saved filters and workflow conditions must rewrite (the service does it), and inside the
//! schema the defaults and dependency mappings holding the value are rewritten with it.

use super::picklists::picklist_of;
use super::{R, SchemaChange};
use crate::schema::{FieldType, Schema};
use crate::value::MULTI_SEPARATOR;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// A picklist value that a change renames or deletes: stored records, defaults, saved filters and
/// workflow conditions holding `from` must be rewritten to `to` (`None`: the value is removed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueRewrite {
    /// The picklist.
    pub picklist: String,
    /// Every `(module, field, multi_select)` using the picklist.
    pub fields: Vec<(String, String, bool)>,
    /// Old value.
    pub from: String,
    /// New value, or `None` when the value is removed.
    pub to: Option<String>,
}

/// Replaces `from` in a comma-separated list of picklist values as vtiger stores compare values (`None`
/// removes it; duplicates collapse). Shared by saved filters and workflow conditions.
pub fn replace_in_value_list(list: &str, from: &str, to: Option<&str>) -> String {
    let mut parts: Vec<String> = Vec::new();
    for p in list.split(',').map(str::trim) {
        let p = if p == from { to.unwrap_or_default() } else { p };
        if !p.is_empty() && !parts.iter().any(|x| x == p) {
            parts.push(p.to_string());
        }
    }
    parts.join(",")
}

/// The picklist values `change` renames or deletes, with every field that uses them (in `before`).
pub fn value_rewrites(before: &Schema, change: &SchemaChange) -> R<Vec<ValueRewrite>> {
    let (module, field, pairs): (&str, &str, Vec<(String, Option<String>)>) = match change {
        SchemaChange::RenamePicklistValue { module, field, from, to } => {
            let (_, _, p) = picklist_of(before, module, field)?;
            let from = p.find_ignore_case(from).map(|v| v.value.clone()).unwrap_or_else(|| from.clone());
            (module, field, vec![(from, Some(to.trim().to_string()))])
        }
        SchemaChange::DeletePicklistValues { module, field, values, replacement } => {
            let (_, _, p) = picklist_of(before, module, field)?;
            let to = replacement.as_ref().map(|r| p.find_ignore_case(r).map(|v| v.value.clone()).unwrap_or_else(|| r.clone()));
            let pairs =
                values.iter().map(|v| (p.find_ignore_case(v).map(|x| x.value.clone()).unwrap_or_else(|| v.clone()), to.clone())).collect();
            (module, field, pairs)
        }
        _ => return Ok(vec![]),
    };
    let (_, _, p) = picklist_of(before, module, field)?;
    let users = picklist_users(before, &p.name);
    Ok(pairs.into_iter().map(|(from, to)| ValueRewrite { picklist: p.name.clone(), fields: users.clone(), from, to }).collect())
}

/// Every `(module, field, multi_select)` whose values come from `picklist`.
pub fn picklist_users(schema: &Schema, picklist: &str) -> Vec<(String, String, bool)> {
    let mut out = Vec::new();
    for m in schema.modules.values() {
        for f in &m.fields {
            if f.picklist_name() == Some(picklist) {
                out.push((m.name.clone(), f.name.clone(), f.field_type == FieldType::MultiPicklist));
            }
        }
    }
    out
}

/// Rewrites defaults and dependency mappings that hold `from` (a value of `picklist`).
pub(super) fn rewrite_value_uses(s: &mut Schema, picklist: &str, from: &str, to: Option<&str>) {
    let users = picklist_users(s, picklist);
    for (mname, fname, _) in &users {
        let Some(m) = s.modules.get_mut(mname) else { continue };
        if let Some(f) = m.fields.iter_mut().find(|f| f.name == *fname)
            && let Some(d) = &f.default
        {
            let mut items: Vec<String> = crate::value::split_multi(d);
            let mut changed = false;
            for i in &mut items {
                if i == from {
                    changed = true;
                    *i = to.unwrap_or_default().to_string();
                }
            }
            if changed {
                let mut seen = BTreeSet::new();
                items.retain(|i| !i.is_empty() && seen.insert(i.clone()));
                f.default = if items.is_empty() { None } else { Some(items.join(MULTI_SEPARATOR)) };
            }
        }
        for d in &mut m.dependencies {
            if d.source == *fname
                && let Some(allowed) = d.mapping.remove(from)
                && let Some(t) = to
            {
                let e = d.mapping.entry(t.to_string()).or_default();
                for a in allowed {
                    if !e.contains(&a) {
                        e.push(a);
                    }
                }
            }
            if d.target == *fname {
                for allowed in d.mapping.values_mut() {
                    let mut out: Vec<String> = Vec::new();
                    for a in allowed.drain(..) {
                        let a = if a == from { to.map(str::to_string) } else { Some(a) };
                        if let Some(a) = a
                            && !out.contains(&a)
                        {
                            out.push(a);
                        }
                    }
                    *allowed = out;
                }
            }
            d.mapping.retain(|_, v| !v.is_empty());
        }
        m.dependencies.retain(|d| !d.mapping.is_empty());
    }
}
