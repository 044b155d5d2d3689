//! Picklist edits, as vtiger's picklist editor makes them: adding, reordering, renaming and deleting values,
//! limiting a value to roles, and the kind and default probability of a sales stage.

use super::names::{check_label, check_value, field_name, module_of, unknown_field, unknown_value};
use super::rewrites::rewrite_value_uses;
use super::{R, SchemaError};
use crate::schema::{Field, Module, Picklist, PicklistValue, Schema, StageKind, StageMeta};
use rust_decimal::Decimal;

/// Appends new values to a field's picklist.
pub(super) fn add_values(s: &mut Schema, module: &str, field: &str, values: &[String]) -> R<()> {
    let (_, _, p) = picklist_of(s, module, field)?;
    let name = p.name.clone();
    let mut seen: Vec<String> = p.values.iter().map(|v| v.value.to_lowercase()).collect();
    let mut add = Vec::new();
    for v in values {
        let v = check_value(v)?;
        if seen.contains(&v.to_lowercase()) {
            return Err(SchemaError::DuplicateValue { picklist: name, value: v });
        }
        seen.push(v.to_lowercase());
        add.push(PicklistValue { value: v, editable: true, stage: None, roles: vec![] });
    }
    if let Some(p) = s.picklists.get_mut(&name) {
        p.values.extend(add);
    }
    Ok(())
}

/// Puts the listed values first, in that order, then the others as they were.
pub(super) fn reorder(s: &mut Schema, module: &str, field: &str, values: &[String]) -> R<()> {
    let (_, _, p) = picklist_of(s, module, field)?;
    let mut p = p.clone();
    let mut order: Vec<PicklistValue> = Vec::new();
    for v in values {
        let pv = p.find_ignore_case(v).cloned().ok_or_else(|| unknown_value(&p.name, v))?;
        if !order.iter().any(|x| x.value == pv.value) {
            order.push(pv);
        }
    }
    order.extend(p.values.iter().filter(|x| !order.iter().any(|o| o.value == x.value)).cloned().collect::<Vec<_>>());
    p.values = order;
    s.picklists.insert(p.name.clone(), p);
    Ok(())
}

/// Renames an editable value; defaults and dependencies follow.
pub(super) fn rename_value(s: &mut Schema, module: &str, field: &str, from: &str, to: &str) -> R<()> {
    let (_, _, p) = picklist_of(s, module, field)?;
    let pname = p.name.clone();
    let old = p.find_ignore_case(from).cloned().ok_or_else(|| unknown_value(&pname, from))?;
    if !old.editable {
        return Err(SchemaError::NotEditable(old.value));
    }
    let to = check_value(to)?;
    if p.values.iter().any(|v| v.value != old.value && v.value.eq_ignore_ascii_case(&to)) {
        return Err(SchemaError::DuplicateValue { picklist: pname, value: to });
    }
    if let Some(v) = s.picklists.get_mut(&pname).and_then(|p| p.values.iter_mut().find(|v| v.value == old.value)) {
        v.value = to.clone();
    }
    rewrite_value_uses(s, &pname, &old.value, Some(&to));
    Ok(())
}

/// Deletes editable values; defaults and dependencies move to `replacement` (or lose the value).
pub(super) fn delete_values(s: &mut Schema, module: &str, field: &str, values: &[String], replacement: Option<&str>) -> R<()> {
    let (_, _, p) = picklist_of(s, module, field)?;
    let p = p.clone();
    let mut gone = Vec::new();
    for v in values {
        let pv = p.find_ignore_case(v).ok_or_else(|| unknown_value(&p.name, v))?;
        if !pv.editable {
            return Err(SchemaError::NotEditable(pv.value.clone()));
        }
        if !gone.contains(&pv.value) {
            gone.push(pv.value.clone());
        }
    }
    let replacement = match replacement {
        Some(r) => {
            let pv = p.find_ignore_case(r).ok_or_else(|| unknown_value(&p.name, r))?;
            if gone.contains(&pv.value) {
                return Err(SchemaError::InvalidOption {
                    field: field.to_string(),
                    message: format!("the replacement '{}' is among the deleted values", pv.value),
                });
            }
            Some(pv.value.clone())
        }
        None => None,
    };
    let left = p.values.len() - gone.len();
    if let Some((mname, fname)) = mandatory_user(s, &p.name) {
        let _ = mname;
        if left == 0 {
            return Err(SchemaError::MandatoryPicklist {
                picklist: p.name.clone(),
                field: fname,
                reason: "its last value cannot be removed".into(),
            });
        }
        if replacement.is_none() {
            return Err(SchemaError::MandatoryPicklist {
                picklist: p.name.clone(),
                field: fname,
                reason: "deleted values need a replacement value".into(),
            });
        }
    }
    if let Some(pl) = s.picklists.get_mut(&p.name) {
        pl.values.retain(|v| !gone.contains(&v.value));
    }
    for g in &gone {
        rewrite_value_uses(s, &p.name, g, replacement.as_deref());
    }
    Ok(())
}

/// Limits a value to some roles (empty: every role).
pub(super) fn set_value_roles(s: &mut Schema, module: &str, field: &str, value: &str, roles: &[String]) -> R<()> {
    let (_, _, p) = picklist_of(s, module, field)?;
    let pname = p.name.clone();
    let v = p.find_ignore_case(value).ok_or_else(|| unknown_value(&pname, value))?.value.clone();
    let mut rs: Vec<String> = Vec::new();
    for r in roles {
        let r = check_label(r, "role")?;
        if !rs.contains(&r) {
            rs.push(r);
        }
    }
    if let Some(x) = s.picklists.get_mut(&pname).and_then(|p| p.values.iter_mut().find(|x| x.value == v)) {
        x.roles = rs;
    }
    Ok(())
}

/// Sets the kind and default probability of a sales stage.
pub(super) fn set_stage_meta(s: &mut Schema, value: &str, kind: StageKind, probability: Decimal) -> R<()> {
    if probability < Decimal::ZERO || probability > Decimal::ONE_HUNDRED {
        return Err(SchemaError::InvalidOption {
            field: "sales_stage".into(),
            message: format!("probability {probability} is not between 0 and 100"),
        });
    }
    let p = s.picklists.get_mut("sales_stage").ok_or_else(|| SchemaError::NotAPicklist("sales_stage".into()))?;
    let lower = value.to_lowercase();
    let v = p
        .values
        .iter_mut()
        .find(|v| v.value == value || v.value.to_lowercase() == lower)
        .ok_or_else(|| unknown_value("sales_stage", value))?;
    if !v.editable && v.stage.is_some_and(|m| m.kind != kind) {
        return Err(SchemaError::NotEditable(v.value.clone()));
    }
    v.stage = Some(StageMeta { kind, probability });
    Ok(())
}

/// The module, field and picklist a picklist operation names.
pub(super) fn picklist_of<'a>(s: &'a Schema, module: &str, field: &str) -> R<(&'a Module, &'a Field, &'a Picklist)> {
    let m = module_of(s, module)?;
    let name = field_name(m, field)?;
    let f = m.field(&name).ok_or_else(|| unknown_field(&m.name, field))?;
    let p = f.picklist_name().and_then(|p| s.picklist(p)).ok_or_else(|| SchemaError::NotAPicklist(f.name.clone()))?;
    Ok((m, f, p))
}

/// A mandatory field using `picklist`, as `(module, field)`.
pub(super) fn mandatory_user(s: &Schema, picklist: &str) -> Option<(String, String)> {
    s.modules.values().find_map(|m| {
        m.fields.iter().find(|f| f.mandatory && f.picklist_name() == Some(picklist)).map(|f| (m.name.clone(), f.name.clone()))
    })
}
