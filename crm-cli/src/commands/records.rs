//! `crm find` and `crm schema`.

use super::conditions;
use crate::CliResult;
use crate::args::FindArgs;
use crate::output::{Out, cell};
use crm_core::wire::{QuerySpec, SortSpec};
use crm_core::{Crm, Value};
use std::collections::HashMap;

/// Columns shown by default: the module's default list view, else its first fields in layout order.
const DEFAULT_COLUMNS: usize = 6;

/// Runs `crm find`.
pub(crate) fn find(crm: &Crm, a: &FindArgs, o: &mut Out<'_>) -> CliResult<()> {
    let m = crm.module(&a.module)?.clone();
    let mut spec = QuerySpec::new(m.name.clone());
    spec.conditions = conditions(&a.conditions)?;
    spec.sort = a.order_by.iter().map(|k| SortSpec::Key(k.clone())).collect();
    let query = spec.into_query()?;
    let total = crm.count(query.clone())?;
    let records = crm.find(query.limit(a.limit))?;
    if o.json {
        let list: Vec<serde_json::Value> = crm_core::wire::records(crm, &records)?.iter().map(crm_core::wire::Record::to_json).collect();
        return o.json(&serde_json::json!({"module": m.name, "total": total, "records": list}));
    }
    let mut columns: Vec<String> = Vec::new();
    for c in &a.columns {
        let f = m.field_by_name_or_label(c).ok_or_else(|| crm_core::Error::InvalidArgument(format!("{} has no field '{c}'", m.name)))?;
        columns.push(f.name.clone());
    }
    if columns.is_empty() {
        columns = crm.default_filter(&m.name)?.map(|f| f.columns).unwrap_or_default();
        columns.retain(|c| m.field(c).is_some());
    }
    if columns.is_empty() {
        columns = m.fields_in_layout_order().iter().take(DEFAULT_COLUMNS).map(|f| f.name.clone()).collect();
    }
    let mut header = vec!["id".to_string()];
    header.extend(columns.iter().map(|c| m.field(c).map_or_else(|| c.clone(), |f| f.label.clone())));
    let mut names = HashMap::new();
    let mut rows = Vec::new();
    for r in &records {
        let mut row = vec![r.id.0.to_string()];
        for c in &columns {
            row.push(shown(crm, r.get(c), &mut names)?);
        }
        rows.push(row);
    }
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    o.table(&header, rows, &[0])?;
    o.line(&format!("{} of {total} {} records", records.len(), m.name))
}

/// A value as a cell: references and owners by name (cached), others as text.
fn shown(crm: &Crm, v: &Value, names: &mut HashMap<i64, String>) -> crm_core::Result<String> {
    let id = match v {
        Value::Ref(r) => r.0,
        Value::Owner(o) => o.0,
        other => return Ok(cell(other)),
    };
    if let Some(n) = names.get(&id) {
        return Ok(n.clone());
    }
    let name = match v {
        Value::Ref(r) => crm.get(*r).map_or_else(|_| id.to_string(), |rec| rec.label),
        Value::Owner(o) => crm.owner(*o)?.map_or_else(|| id.to_string(), |w| w.name().to_string()),
        _ => String::new(),
    };
    names.insert(id, name.clone());
    Ok(name)
}

/// Runs `crm schema [MODULE]`.
pub(crate) fn schema(crm: &Crm, module: Option<&str>, o: &mut Out<'_>) -> CliResult<()> {
    let Some(name) = module else {
        let s = crm.schema();
        if o.json {
            let list: Vec<serde_json::Value> = s
                .modules
                .values()
                .map(|m| serde_json::json!({"name": m.name, "label": m.label, "singular": m.singular, "fields": m.fields.len()}))
                .collect();
            return o.json(&list);
        }
        let rows = s.modules.values().map(|m| vec![m.name.clone(), m.label.clone(), m.fields.len().to_string()]).collect();
        return o.table(&["module", "label", "fields"], rows, &[2]);
    };
    let m = crm.module(name)?;
    if o.json {
        return o.json(m);
    }
    let rows = m
        .fields_in_layout_order()
        .iter()
        .map(|f| {
            let t = serde_json::to_value(f.field_type).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
            let size = match (f.precision, f.scale) {
                (Some(p), Some(s)) => format!("({p},{s})"),
                _ => f.max_length.map(|l| format!("({l})")).unwrap_or_default(),
            };
            vec![f.name.clone(), f.label.clone(), format!("{t}{size}"), if f.mandatory { "yes" } else { "" }.to_string(), f.block.clone()]
        })
        .collect();
    o.table(&["field", "label", "type", "mandatory", "block"], rows, &[])
}
