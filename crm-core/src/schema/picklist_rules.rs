//! Role-scoped picklist values and picklist dependencies, enforced on every create and update.
//!
//! * **Roles.** A [`PicklistValue`](super::PicklistValue) with a non-empty `roles` list may only be chosen
//!   by an acting user whose role is in the list. A value the record already holds is kept when the record
//!   is saved again (vtiger keeps stored values too; its export empties them, crm does not). Without an
//!   acting user (system work, imports run by the host) every value is allowed; a user without a role may
//!   choose only unrestricted values.
//! * **Dependencies.** When the controlling field holds a value listed in a
//!   [`PicklistDependency`](super::PicklistDependency), the dependent field may only hold the values listed
//!   for it (or be empty). The rule is checked when the record is created or when either field changes, so
//!   records stored before a dependency was defined survive until one of the two fields is edited.
//!
//! Both rules compare values ignoring case, like picklist validation itself.

use super::{Module, Schema};
use crate::error::{FieldError, ValidationCode};
use crate::record::Values;
use crate::value::Value;

/// The acting user's role: `None` when there is no acting user (no role restriction), `Some(None)` for
/// a user without a role.
pub type ActingRole<'a> = Option<Option<&'a str>>;

fn items(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Text(s)) if !s.trim().is_empty() => vec![s.trim().to_string()],
        Some(Value::List(l)) => l.clone(),
        _ => vec![],
    }
}

fn canon(schema: &Schema, m: &Module, field: &str, item: &str) -> String {
    m.field(field)
        .and_then(|f| f.picklist_name())
        .and_then(|p| schema.picklist(p))
        .and_then(|p| p.find_ignore_case(item))
        .map_or_else(|| item.to_string(), |v| v.value.clone())
}

/// Checks role scopes and dependencies of the picklist fields in `values` (`before`: the stored values of
/// an update, `None` on create). Returns one error per offending field value.
pub fn check(schema: &Schema, m: &Module, values: &Values, before: Option<&Values>, role: ActingRole<'_>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let Some(role) = role {
        for f in &m.fields {
            let Some(p) = f.picklist_name().and_then(|p| schema.picklist(p)) else { continue };
            let old: Vec<String> = items(before.and_then(|b| b.get(&f.name))).iter().map(|i| canon(schema, m, &f.name, i)).collect();
            for item in items(values.get(&f.name)) {
                let Some(pv) = p.find_ignore_case(&item) else { continue };
                if pv.roles.is_empty() || role.is_some_and(|r| pv.roles.iter().any(|x| x == r)) || old.contains(&pv.value) {
                    continue;
                }
                let who = role.map_or_else(|| "users without a role".to_string(), |r| format!("role '{r}'"));
                errors.push(FieldError::new(&f.name, ValidationCode::NotAllowed, format!("'{}' is not available to {who}", pv.value)));
            }
        }
    }
    for d in &m.dependencies {
        let get = |vals: Option<&Values>, f: &str| -> Vec<String> {
            items(vals.and_then(|v| v.get(f))).iter().map(|i| canon(schema, m, f, i)).collect()
        };
        let (src, tgt) = (get(Some(values), &d.source), get(Some(values), &d.target));
        if let Some(b) = before
            && get(Some(b), &d.source) == src
            && get(Some(b), &d.target) == tgt
        {
            continue;
        }
        let Some(allowed) = src.first().and_then(|s| d.mapping.get(s)) else { continue };
        for t in tgt.iter().filter(|t| !allowed.contains(t)) {
            errors.push(FieldError::new(
                &d.target,
                ValidationCode::NotAllowed,
                format!(
                    "'{t}' is not allowed when {} is '{}' (allowed: {})",
                    d.source,
                    src.first().map_or("", String::as_str),
                    allowed.join(", ")
                ),
            ));
        }
    }
    errors
}
