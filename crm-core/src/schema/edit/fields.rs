//! Field edits: adding a custom field, updating a field's label, flags, default and (losslessly) its type,
//! moving and reordering fields within and between blocks, and deleting a custom field.

use super::blocks::{block_name, block_order, renumber};
use super::names::{
    RESERVED_NAMES, check_identifier, check_label, check_unique_label, check_value, field_name, module_mut, module_of, unknown_field,
};
use super::rewrites::picklist_users;
use super::{FieldUpdate, NewField, R, SchemaError};
use crate::schema::{Field, FieldType, Maintained, Picklist, PicklistValue, Presence, Schema};
use crate::value::{MULTI_SEPARATOR, Value, coerce};

/// Adds a custom field after checking its name, label, type options, values and default.
pub(super) fn add_field(s: &mut Schema, module: &str, nf: &NewField) -> R<()> {
    let version = s.version;
    let mname = module_of(s, module)?.name.clone();
    let name = match &nf.name {
        Some(n) => n.trim().to_string(),
        None => format!("cf_{}", version + 1),
    };
    check_identifier(&name, "field name")?;
    if RESERVED_NAMES.contains(&name.as_str()) {
        return Err(SchemaError::InvalidName { what: "field name", value: name, reason: "is reserved".into() });
    }
    let m = module_of(s, &mname)?;
    if m.fields.iter().any(|f| f.name.eq_ignore_ascii_case(&name)) {
        return Err(SchemaError::DuplicateName(name));
    }
    let label = check_label(&nf.label, "label")?;
    check_unique_label(m, &label, None)?;
    let block = match &nf.block {
        Some(b) => block_name(m, b)?,
        None => m
            .blocks
            .iter()
            .find(|b| b.name == "LBL_CUSTOM_INFORMATION")
            .or_else(|| m.blocks.iter().max_by_key(|b| b.sequence))
            .map(|b| b.name.clone())
            .ok_or_else(|| SchemaError::UnknownBlock { module: mname.clone(), block: "LBL_CUSTOM_INFORMATION".into() })?,
    };
    let opt = |msg: &str| SchemaError::InvalidOption { field: name.clone(), message: msg.to_string() };
    let t = nf.field_type;
    if matches!(t, FieldType::Owner | FieldType::AutoNumber) {
        return Err(opt("owner and auto-number fields cannot be added"));
    }
    let textual = matches!(t, FieldType::Text | FieldType::TextArea | FieldType::Email | FieldType::Phone | FieldType::Url);
    if nf.max_length.is_some() && !textual {
        return Err(opt("a length applies to text fields only"));
    }
    let max_length = match (t, nf.max_length) {
        (FieldType::Text, None) => Some(255),
        (FieldType::Text | FieldType::Email | FieldType::Phone | FieldType::Url, Some(n)) if (1..=255).contains(&n) => Some(n),
        (FieldType::TextArea, Some(n)) if n >= 1 => Some(n),
        (_, Some(n)) => return Err(opt(&format!("length {n} is out of range 1..=255"))),
        _ => None,
    };
    if (nf.precision.is_some() || nf.scale.is_some()) && !matches!(t, FieldType::Decimal | FieldType::Currency) {
        return Err(opt("precision and scale apply to decimal and currency fields only"));
    }
    let (precision, scale) = match t {
        FieldType::Decimal | FieldType::Currency => {
            let (dp, ds) = if t == FieldType::Currency { (25, 2) } else { (18, 2) };
            let p = nf.precision.unwrap_or(dp);
            let sc = nf.scale.unwrap_or(ds.min(p));
            if !(1..=28).contains(&p) {
                return Err(opt(&format!("precision {p} is out of range 1..=28")));
            }
            if sc > 5 || sc > p {
                return Err(opt(&format!("scale {sc} must be at most 5 and at most the precision {p}")));
            }
            (Some(p), Some(sc))
        }
        FieldType::Percent => (Some(5), Some(2)),
        _ => (None, None),
    };
    let picklist_type = matches!(t, FieldType::Picklist | FieldType::MultiPicklist);
    if !picklist_type && (!nf.values.is_empty() || nf.picklist.is_some()) {
        return Err(opt("values apply to picklist fields only"));
    }
    let mut new_picklist = None;
    let picklist = if picklist_type {
        match &nf.picklist {
            Some(shared) => {
                if !nf.values.is_empty() {
                    return Err(opt("give either values or an existing picklist, not both"));
                }
                if !s.picklists.contains_key(shared) {
                    return Err(SchemaError::NotAPicklist(shared.clone()));
                }
                Some(shared.clone())
            }
            None => {
                if nf.values.is_empty() {
                    return Err(opt("a picklist field needs at least one value"));
                }
                if s.picklists.contains_key(&name) {
                    return Err(SchemaError::DuplicateName(name));
                }
                let mut vals: Vec<PicklistValue> = Vec::new();
                for v in &nf.values {
                    let v = check_value(v)?;
                    if vals.iter().any(|x| x.value.eq_ignore_ascii_case(&v)) {
                        return Err(SchemaError::DuplicateValue { picklist: name.clone(), value: v });
                    }
                    vals.push(PicklistValue { value: v, editable: true, stage: None, roles: vec![] });
                }
                new_picklist = Some(Picklist { name: name.clone(), values: vals });
                None
            }
        }
    } else {
        None
    };
    if t != FieldType::Reference && !nf.references.is_empty() {
        return Err(opt("target modules apply to reference fields only"));
    }
    let mut references = Vec::new();
    if t == FieldType::Reference {
        if nf.references.is_empty() {
            return Err(opt("a reference field needs at least one target module"));
        }
        for r in &nf.references {
            let rm = s.module(r).ok_or_else(|| SchemaError::UnknownModule(r.clone()))?;
            if !references.contains(&rm.name) {
                references.push(rm.name.clone());
            }
        }
    }
    if nf.mandatory && nf.hidden {
        return Err(SchemaError::Protected { field: name, reason: "cannot be mandatory and hidden".into() });
    }
    let m = module_of(s, &mname)?;
    let sequence = m.fields.iter().filter(|f| f.block == block).map(|f| f.sequence).max().unwrap_or(0) + 1;
    let quick_create_sequence = if nf.quick_create || nf.mandatory {
        Some(m.fields.iter().filter_map(|f| f.quick_create_sequence).max().unwrap_or(0) + 1)
    } else {
        None
    };
    let mut field = Field {
        name: name.clone(),
        label,
        field_type: t,
        block,
        sequence,
        mandatory: nf.mandatory,
        quick_create: nf.quick_create,
        quick_create_sequence,
        presence: if nf.hidden { Presence::Hidden } else { Presence::Shown },
        default: None,
        max_length,
        precision,
        scale,
        mass_editable: nf.mass_editable,
        custom: true,
        maintained: Maintained::User,
        references,
        picklist,
        uitype: custom_uitype(t),
    };
    if let Some(p) = new_picklist {
        s.picklists.insert(p.name.clone(), p);
    }
    if let Some(d) = &nf.default {
        field.default = Some(check_default(s, &field, d)?);
    }
    module_mut(s, &mname)?.fields.push(field);
    Ok(())
}

/// Changes a field's label, flags, default or (losslessly) its type options.
pub(super) fn update_field(s: &mut Schema, module: &str, field: &str, u: &FieldUpdate) -> R<()> {
    let mname = module_of(s, module)?.name.clone();
    let m = module_of(s, &mname)?;
    let name = field_name(m, field)?;
    let mut f = m.field(&name).cloned().ok_or_else(|| unknown_field(&mname, field))?;
    let compulsory = m.compulsory.contains(&name);
    let protected = |reason: &str| SchemaError::Protected { field: name.clone(), reason: reason.to_string() };
    if let Some(l) = &u.label {
        let l = check_label(l, "label")?;
        check_unique_label(m, &l, Some(&name))?;
        f.label = l;
    }
    if let Some(on) = u.mandatory
        && on != f.mandatory
    {
        if f.maintained == Maintained::System {
            return Err(protected("is maintained by crm; its mandatory flag cannot change"));
        }
        if !on && compulsory {
            return Err(protected("is compulsory and cannot be made optional"));
        }
        f.mandatory = on;
    }
    if let Some(p) = u.presence {
        match p {
            Presence::AlwaysShown if f.presence != Presence::AlwaysShown => {
                return Err(SchemaError::InvalidOption {
                    field: name,
                    message: "presence 'always shown' is for built-in fields only".into(),
                });
            }
            Presence::Hidden if f.presence == Presence::AlwaysShown => return Err(protected("is always shown and cannot be hidden")),
            Presence::Hidden if compulsory => return Err(protected("is compulsory and cannot be hidden")),
            _ => {}
        }
        f.presence = p;
    }
    if f.mandatory && f.presence == Presence::Hidden {
        return Err(protected("cannot be mandatory and hidden"));
    }
    if let Some(q) = u.quick_create {
        if q && f.maintained == Maintained::System {
            return Err(protected("is maintained by crm and cannot be in quick create"));
        }
        f.quick_create = q;
        if q && f.quick_create_sequence.is_none() {
            f.quick_create_sequence = Some(m.fields.iter().filter_map(|x| x.quick_create_sequence).max().unwrap_or(0) + 1);
        }
    }
    if let Some(n) = u.quick_create_sequence {
        f.quick_create_sequence = Some(n);
    }
    if let Some(me) = u.mass_editable {
        if me && f.maintained == Maintained::System {
            return Err(protected("is maintained by crm and cannot be mass edited"));
        }
        f.mass_editable = me;
    }
    if let Some(t) = u.field_type
        && t != f.field_type
    {
        let text = |t: FieldType| matches!(t, FieldType::Text | FieldType::TextArea | FieldType::Email | FieldType::Phone | FieldType::Url);
        // Loosening to plain text is lossless; Email/Phone/URL validate, so only text → text area or
        // between the text kinds when the target accepts everything (Text, TextArea).
        if !(text(f.field_type) && matches!(t, FieldType::Text | FieldType::TextArea) && f.maintained == Maintained::User) {
            return Err(SchemaError::LossyChange {
                field: name,
                reason: format!("cannot change type {:?} to {:?} without losing data", f.field_type, t),
            });
        }
        if t == FieldType::Text && f.max_length.is_none() {
            return Err(SchemaError::LossyChange { field: name, reason: "a text area has no length limit; one-line text has".into() });
        }
        f.field_type = t;
        f.uitype = custom_uitype(t);
    }
    if let Some(n) = u.max_length {
        if !f.field_type.is_textual() || f.field_type == FieldType::AutoNumber {
            return Err(SchemaError::InvalidOption { field: name, message: "a length applies to text fields only".into() });
        }
        if f.max_length.is_some_and(|old| n < old) || (f.max_length.is_none() && f.field_type != FieldType::TextArea) {
            return Err(SchemaError::LossyChange { field: name, reason: format!("length {n} is shorter than the current one") });
        }
        if f.field_type != FieldType::TextArea && !(1..=255).contains(&n) {
            return Err(SchemaError::InvalidOption { field: name, message: format!("length {n} is out of range 1..=255") });
        }
        f.max_length = Some(n);
    }
    if let Some(p) = u.precision {
        if !matches!(f.field_type, FieldType::Decimal | FieldType::Currency) {
            return Err(SchemaError::InvalidOption {
                field: name,
                message: "precision applies to decimal and currency fields only".into(),
            });
        }
        if f.precision.is_some_and(|old| p < old) {
            return Err(SchemaError::LossyChange { field: name, reason: format!("precision {p} is smaller than the current one") });
        }
        if p > 28 || p < f.decimal_scale() {
            return Err(SchemaError::InvalidOption { field: name, message: format!("precision {p} is out of range") });
        }
        f.precision = Some(p);
    }
    if u.clear_default {
        f.default = None;
    }
    if let Some(d) = &u.default {
        f.default = Some(check_default(s, &f, d)?);
    }
    let m = module_mut(s, &mname)?;
    if let Some(x) = m.fields.iter_mut().find(|x| x.name == name) {
        *x = f;
    }
    Ok(())
}

/// Moves a field to a block (possibly its own) at a 1-based position, renumbering both blocks.
pub(super) fn move_field(s: &mut Schema, module: &str, field: &str, block: &str, position: Option<u32>) -> R<()> {
    let m = module_mut(s, module)?;
    let f = field_name(m, field)?;
    let b = block_name(m, block)?;
    let mut order = block_order(m, &b);
    order.retain(|x| *x != f);
    let at = position.map_or(order.len(), |p| (p.max(1) as usize - 1).min(order.len()));
    order.insert(at, f.clone());
    let old = m.field(&f).map(|x| x.block.clone()).unwrap_or_default();
    if let Some(x) = m.fields.iter_mut().find(|x| x.name == f) {
        x.block = b.clone();
    }
    renumber(m, &b, &order);
    let rest = block_order(m, &old);
    renumber(m, &old, &rest);
    Ok(())
}

/// Puts the listed fields of a block first, in that order, then the others as they were.
pub(super) fn reorder_fields(s: &mut Schema, module: &str, block: &str, fields: &[String]) -> R<()> {
    let m = module_mut(s, module)?;
    let b = block_name(m, block)?;
    let mut listed = Vec::new();
    for f in fields {
        let name = field_name(m, f)?;
        if m.field(&name).is_some_and(|x| x.block != b) {
            return Err(SchemaError::InvalidOption { field: name, message: format!("is not in block '{b}'") });
        }
        if !listed.contains(&name) {
            listed.push(name);
        }
    }
    let mut order = listed.clone();
    order.extend(block_order(m, &b).into_iter().filter(|x| !listed.contains(x)));
    renumber(m, &b, &order);
    Ok(())
}

/// Deletes a custom field no dependency or index uses (and its own picklist).
pub(super) fn delete_field(s: &mut Schema, module: &str, field: &str) -> R<()> {
    let m = module_mut(s, module)?;
    let name = field_name(m, field)?;
    let f = m.field(&name).cloned().ok_or_else(|| unknown_field(&m.name, field))?;
    if !f.custom {
        return Err(SchemaError::Standard(name));
    }
    let uses: Vec<String> = m
        .dependencies
        .iter()
        .filter(|d| d.source == name || d.target == name)
        .map(|d| format!("picklist dependency {} → {}", d.source, d.target))
        .collect();
    let mut uses = uses;
    uses.extend(crate::schema::index::uses_of(m, &name)); // declared indexes
    uses.extend(crate::dedupe::rules::uses_of(m, &name)); // duplicate-prevention rules
    if !uses.is_empty() {
        return Err(SchemaError::InUse { field: name, uses });
    }
    m.fields.retain(|x| x.name != name);
    // A money field's base-currency copy goes with it.
    if let Some(copy) = base_copy_of(m, &f) {
        m.fields.retain(|x| x.name != copy.name);
        if copy.block != f.block {
            let order = block_order(m, &copy.block);
            renumber(m, &copy.block, &order);
        }
    }
    let order = block_order(m, &f.block);
    renumber(m, &f.block, &order);
    // A picklist of its own goes with the field; shared picklists stay.
    if let Some(p) = f.picklist_name().map(str::to_string)
        && picklist_users(s, &p).is_empty()
        && p == f.name
    {
        s.picklists.remove(&p);
    }
    Ok(())
}

/// The canonical form of a default value, refused unless it is a valid value the field may default to.
fn check_default(s: &Schema, f: &Field, d: &str) -> R<String> {
    let refuse = |reason: &str| SchemaError::InvalidDefault { field: f.name.clone(), value: d.to_string(), reason: reason.to_string() };
    if f.maintained == Maintained::System || matches!(f.field_type, FieldType::AutoNumber | FieldType::Owner | FieldType::Reference) {
        return Err(refuse("this kind of field takes no default"));
    }
    if f.uitype == 23 || f.uitype == 6 {
        return Err(refuse("this date takes no default (vtiger uitype 23)"));
    }
    let v = coerce(f, Value::Text(d.to_string())).map_err(|e| refuse(&e.message))?;
    let items: Vec<String> = match &v {
        Value::Null => return Err(refuse("is empty")),
        Value::List(l) => l.clone(),
        Value::Text(t) if f.field_type == FieldType::Picklist => vec![t.clone()],
        _ => return Ok(d.trim().to_string()),
    };
    let p = f.picklist_name().and_then(|p| s.picklist(p)).ok_or_else(|| refuse("the picklist is missing"))?;
    let mut canon = Vec::new();
    for i in items {
        let pv = p.find_ignore_case(&i).ok_or_else(|| refuse(&format!("'{i}' is not a value of the picklist")))?;
        canon.push(pv.value.clone());
    }
    Ok(canon.join(MULTI_SEPARATOR))
}

/// vtiger's uitype for a custom field of this type.
fn custom_uitype(t: FieldType) -> u32 {
    match t {
        FieldType::Text => 1,
        FieldType::TextArea => 21,
        FieldType::Integer | FieldType::Decimal => 7,
        FieldType::Currency => 71,
        FieldType::Percent => 9,
        FieldType::Date => 5,
        FieldType::DateTime => 70,
        FieldType::Time => 14,
        FieldType::Email => 13,
        FieldType::Phone => 11,
        FieldType::Url => 17,
        FieldType::Checkbox => 56,
        FieldType::Picklist => 16,
        FieldType::MultiPicklist => 33,
        FieldType::Reference => 10,
        FieldType::Owner => 53,
        FieldType::AutoNumber => 4,
    }
}

/// The base-currency copy crm keeps of the money field `f` of `m` (`amount` → `amount_base`), if any.
pub(crate) fn base_copy_of(m: &crate::schema::Module, f: &crate::schema::Field) -> Option<crate::schema::Field> {
    if f.field_type != crate::schema::FieldType::Currency || f.name.ends_with(crate::currency::BASE_SUFFIX) {
        return None;
    }
    m.field(&format!("{}{}", f.name, crate::currency::BASE_SUFFIX)).filter(|c| c.field_type == crate::schema::FieldType::Currency).cloned()
}
