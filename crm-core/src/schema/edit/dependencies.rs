//! Picklist dependencies: a controlling field's values limit a dependent field's values (one controlling
//! field per dependent field, no cycles).

use super::names::{module_mut, unknown_value};
use super::picklists::picklist_of;
use super::{R, SchemaError};
use crate::schema::{FieldType, PicklistDependency, Schema};
use std::collections::{BTreeMap, BTreeSet};

/// Sets (or with an empty mapping removes) the dependency of `target` on `source`.
pub(super) fn set_dependency(s: &mut Schema, module: &str, source: &str, target: &str, mapping: &BTreeMap<String, Vec<String>>) -> R<()> {
    let (m, sf, sp) = picklist_of(s, module, source)?;
    let (_, tf, tp) = picklist_of(s, module, target)?;
    let dep_err =
        |reason: &str| SchemaError::Dependency { source_field: sf.name.clone(), target: tf.name.clone(), reason: reason.to_string() };
    if sf.field_type != FieldType::Picklist {
        return Err(dep_err("the controlling field must be a single-value picklist"));
    }
    if sf.name == tf.name {
        return Err(dep_err("a field cannot control itself"));
    }
    let mut canon: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, vs) in mapping {
        let k = sp.find_ignore_case(k).ok_or_else(|| unknown_value(&sp.name, k))?.value.clone();
        let e = canon.entry(k).or_default();
        for v in vs {
            let v = tp.find_ignore_case(v).ok_or_else(|| unknown_value(&tp.name, v))?.value.clone();
            if !e.contains(&v) {
                e.push(v);
            }
        }
    }
    if m.dependencies.iter().any(|d| d.target == tf.name && d.source != sf.name) {
        return Err(dep_err("the dependent field already has another controlling field"));
    }
    let (mname, sname, tname) = (m.name.clone(), sf.name.clone(), tf.name.clone());
    let mut deps: Vec<PicklistDependency> = m.dependencies.iter().filter(|d| !(d.source == sname && d.target == tname)).cloned().collect();
    if !canon.is_empty() {
        deps.push(PicklistDependency { source: sname.clone(), target: tname.clone(), mapping: canon });
        // A cycle exists when the target already (directly or not) controls the source.
        let mut stack = vec![tname.clone()];
        let mut seen = BTreeSet::new();
        while let Some(x) = stack.pop() {
            if x == sname {
                return Err(dep_err("it would form a cycle"));
            }
            if seen.insert(x.clone()) {
                stack.extend(deps.iter().filter(|d| d.source == x).map(|d| d.target.clone()));
            }
        }
    }
    module_mut(s, &mname)?.dependencies = deps;
    Ok(())
}
