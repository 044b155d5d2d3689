//! Unknown picklist values in imported rows: added to the picklist (a logged schema change) when the
//! options allow it, or in a dry run noted with a known value standing in.

use super::{RowInput, Run, problem};
use crate::error::{Error, Result};
use crate::io::RowProblem;
use crate::schema::{Module, Schema};
use crate::service::Crm;
use crate::value::Value;

impl Crm {
    /// Adds the row's unknown picklist values when the options allow it, each a logged schema change (a dry
    /// run notes them and validates the row with a known value standing in); returns whether it had any.
    pub(super) fn add_unknown_picklist_values(
        &mut self,
        run: &mut Run,
        input: &mut RowInput,
        (schema, m, mname): (&Schema, &Module, &str),
        notes: &mut Vec<RowProblem>,
    ) -> Result<bool> {
        let col = |input: &RowInput, f: &str| input.columns.get(f).cloned();
        // Picklists: unknown values are added when allowed (only the unknown items are collected).
        let unknown: Vec<(String, Vec<String>)> = input
            .fields
            .iter()
            .filter_map(|(name, v)| {
                let pl = m.field(name)?.picklist_name().and_then(|p| schema.picklist(p))?;
                let items: Vec<String> = match v {
                    Value::Text(s) => vec![s.trim().to_string()],
                    Value::List(l) => l.clone(),
                    _ => vec![],
                };
                let items: Vec<String> = items.into_iter().filter(|i| !i.is_empty() && pl.find_ignore_case(i).is_none()).collect();
                (!items.is_empty()).then(|| (name.clone(), items))
            })
            .collect();
        for (name, items) in &unknown {
            let Some(f) = m.field(name) else { continue };
            let Some(pl) = f.picklist_name().and_then(|p| schema.picklist(p)) else {
                continue;
            };
            for item in items {
                if !run.options.add_unknown_picklist_values {
                    continue; // the pipeline reports it
                }
                if run.options.dry_run {
                    if run.dry_picks.insert((pl.name.clone(), crate::text::fold(item))) {
                        run.report.picklist_values_added.push(format!("{}: {item}", f.name));
                    }
                    notes.push(problem(
                        col(input, name).as_deref(),
                        Some(name),
                        "would_add_picklist_value",
                        run.say("WOULD_ADD_PICKLIST_VALUE", &[("value", item), ("field", run.labels.field(mname, f))]),
                    ));
                    // Validate the rest of the row as if the value existed: a known value stands in for it.
                    match (input.fields.get(name).cloned().unwrap_or_default(), pl.values.first()) {
                        (Value::List(l), _) => {
                            let keep: Vec<String> = l.iter().filter(|x| !x.eq_ignore_ascii_case(item)).cloned().collect();
                            input.fields.set(name.clone(), Value::List(keep));
                        }
                        (_, Some(first)) => input.fields.set(name.clone(), Value::Text(first.value.clone())),
                        (_, None) => {
                            input.fields.0.remove(name);
                        }
                    }
                    continue;
                }
                // A logged schema change, as the picklist editor makes it.
                match self.add_picklist_values(mname, name, &[item.as_str()]) {
                    Ok(_) => run.report.picklist_values_added.push(format!("{}: {item}", f.name)),
                    Err(e @ Error::Storage(_)) => return Err(e),
                    Err(e) => {
                        let note = run.say("PICKLIST_VALUE_NOT_ADDED", &[("value", item), ("detail", &e.to_string())]);
                        notes.push(problem(col(input, name).as_deref(), Some(name), "picklist", note))
                    }
                }
            }
        }
        Ok(!unknown.is_empty())
    }
}
