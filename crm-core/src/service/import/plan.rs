//! Planning one row as one save: defaults, unknown picklist values, references, duplicates, then the
//! planned insert or update (through the normal save pipeline) with the imported system columns patched in.

use super::{Pending, RowInput, Run, problem, values_json};
use crate::error::{Error, Result};
use crate::io::csv_import::convert_cell;
use crate::io::{Duplicates, ImportRowFate, Outcome, RowAction, RowProblem, RowReport};
use crate::record::Record;
use crate::schema::FieldType;
use crate::service::Crm;
use crate::service::records::Mode;
use crate::storage::{Change, ChangeSet};
use crate::value::Value;
use std::collections::HashSet;

impl Crm {
    /// Plans one row as one save: the stored schema is checked first, and references, duplicates and the
    /// record itself see the caches checked against the store once (one freshness read per row instead of
    /// one per lookup).
    pub(super) fn process_row(&mut self, run: &mut Run, input: RowInput) -> Result<()> {
        self.in_one_save(|crm| {
            crm.refresh_schema_for_write()?;
            crm.plan_row(run, input)
        })
    }

    pub(super) fn plan_row(&mut self, run: &mut Run, mut input: RowInput) -> Result<()> {
        let line = input.line;
        if !input.problems.is_empty() {
            self.finish_row(run, line, Outcome::Failed, None, std::mem::take(&mut input.problems));
            return Ok(());
        }
        let (schema, mname) = self.module_arc(&run.module)?;
        let m = schema.modules.get(&mname).ok_or_else(|| Error::not_found(format!("module '{mname}'")))?;
        let col = |input: &RowInput, f: &str| input.columns.get(f).cloned();
        let mut notes: Vec<RowProblem> = Vec::new();
        let mut problems: Vec<RowProblem> = Vec::new();
        // Defaults for empty cells and unmapped fields.
        let mut defaulted = HashSet::new();
        for (f, v) in run.defaults.clone() {
            if input.fields.get(&f).is_none_or(Value::is_empty)
                && let Some(field) = m.field(&f)
            {
                match convert_cell(field, &v, &run.options) {
                    Ok(val) => {
                        input.fields.set(f.clone(), val);
                        input.empty.retain(|e| e != &f);
                        defaulted.insert(f);
                    }
                    Err(e) => problems.push(problem(None, Some(&f), e.code.as_str(), format!("default: {}", e.message))),
                }
            }
        }
        notes.append(&mut input.notes);
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
                    if run.dry_picks.insert((pl.name.clone(), item.to_lowercase())) {
                        run.report.picklist_values_added.push(format!("{}: {item}", f.name));
                    }
                    notes.push(problem(
                        col(&input, name).as_deref(),
                        Some(name),
                        "would_add_picklist_value",
                        format!("would add '{item}' to {}", f.label),
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
                match self.add_picklist_values(&mname, name, &[item.as_str()]) {
                    Ok(_) => run.report.picklist_values_added.push(format!("{}: {item}", f.name)),
                    Err(e @ Error::Storage(_)) => return Err(e),
                    Err(e) => {
                        notes.push(problem(col(&input, name).as_deref(), Some(name), "picklist", format!("cannot add '{item}': {e}")))
                    }
                }
            }
        }
        // Added picklist values changed the schema: read the module again only then.
        let schema = if unknown.is_empty() { schema } else { self.module_arc(&run.module)?.0 };
        let m = schema.modules.get(&mname).ok_or_else(|| Error::not_found(format!("module '{mname}'")))?;
        // References: resolve by name, create the missing ones when allowed.
        let names: Vec<(String, String)> = input
            .fields
            .iter()
            .filter(|(name, _)| m.field(name).is_some_and(|f| f.field_type == FieldType::Reference))
            .filter_map(|(name, v)| match v {
                Value::Text(t) => Some((name.clone(), t.clone())),
                _ => None,
            })
            .collect();
        for (name, text) in names {
            let Some(f) = m.field(&name) else { continue };
            let text = &text;
            if text.trim().parse::<i64>().is_ok() {
                continue;
            }
            if let Some(id) = self.resolve_reference_cached(&f.references, text)? {
                input.fields.set(name.clone(), Value::Ref(id));
                continue;
            }
            let (prefix, ref_name) = crate::service::records::strip_module_prefix(text);
            let target = match prefix {
                Some(p) => f.references.iter().find(|r| r.eq_ignore_ascii_case(p)).cloned(),
                None => f.references.first().cloned(),
            };
            let Some(target) = target else {
                problems.push(problem(
                    col(&input, &name).as_deref(),
                    Some(&name),
                    "invalid_reference",
                    format!("'{text}' is not a {} reference", f.references.join(" or ")),
                ));
                continue;
            };
            if !run.options.create_missing_references {
                continue; // the pipeline reports it
            }
            if run.options.dry_run {
                if run.dry_refs.insert((target.clone(), ref_name.to_lowercase())) {
                    run.report.references_created += 1;
                }
                notes.push(problem(
                    col(&input, &name).as_deref(),
                    Some(&name),
                    "would_create_reference",
                    format!("would create {target} '{ref_name}'"),
                ));
                input.fields.0.remove(&name);
                continue;
            }
            match self.create_reference(run, &target, ref_name, line)? {
                Ok(id) => input.fields.set(name.clone(), Value::Ref(id)),
                Err(msg) => problems.push(problem(col(&input, &name).as_deref(), Some(&name), "invalid_reference", msg)),
            }
        }
        if !problems.is_empty() {
            self.finish_row(run, line, Outcome::Failed, None, problems);
            return Ok(());
        }
        // Duplicates.
        let existing =
            if run.options.duplicates != Duplicates::Create && !run.match_on.is_empty() { self.find_duplicate(run, &input)? } else { None };
        if let Some(existing) = existing {
            let outcome = match run.options.duplicates {
                Duplicates::Skip => {
                    let msg = format!("duplicate of record {} ({})", existing.id, existing.label);
                    self.finish_row(run, line, Outcome::Skipped, Some(existing.id), vec![problem(None, None, "duplicate", msg)]);
                    return Ok(());
                }
                Duplicates::Merge => Outcome::Merged,
                _ => Outcome::Updated,
            };
            let mut fields = input.fields.clone();
            if outcome == Outcome::Merged {
                for f in &defaulted {
                    if !existing.get(f).is_empty() {
                        fields.0.remove(f);
                    }
                }
            } else {
                for f in &input.empty {
                    fields.set(f.clone(), Value::Null);
                }
            }
            return match self.plan_update(&existing, Some(existing.version), fields) {
                Ok(None) => {
                    self.finish_row(run, line, outcome, Some(existing.id), notes);
                    Ok(())
                }
                Ok(Some((record, mut cs))) => {
                    let changed: Vec<String> = record
                        .values
                        .iter()
                        .filter(|(k, v)| existing.get(k) != *v && *k != "modifiedtime" && *k != "modifiedby")
                        .map(|(k, _)| k.clone())
                        .collect();
                    let mut changed = changed;
                    changed.extend(existing.values.keys().filter(|k| !record.values.contains_key(*k)).cloned());
                    let action = if outcome == Outcome::Merged { RowAction::Merged } else { RowAction::Updated };
                    cs.push(Change::ImportRow(ImportRowFate {
                        import_id: run.journal.id,
                        line,
                        record: record.id,
                        action,
                        previous: Some(values_json(&existing.values)),
                        version: record.version,
                    }));
                    self.queue(
                        run,
                        Pending {
                            report: RowReport { line, outcome, record: Some(record.id), fields: changed, problems: notes },
                            changes: cs,
                            record: Some(record),
                            numbers: vec![],
                        },
                    )
                }
                Err(e) => self.row_error(run, &input, e, notes),
            };
        }
        // Create.
        match self.plan_insert(&mname, std::mem::take(&mut input.fields), Mode::Create, "IMPORT") {
            Ok((mut record, mut cs)) => {
                let mut numbers = Vec::new();
                if let (Some(an), Some(generated)) =
                    (&m.auto_number, record.get(&m.auto_number.as_ref().map(|a| a.field.clone()).unwrap_or_default()).to_text())
                {
                    let mut number = generated;
                    if let Some((_, wanted)) = &input.auto_number {
                        if self.auto_number_free(run, &m.name, &an.field, wanted)? {
                            number = wanted.clone();
                            patch(&mut record, &mut cs, &an.field, Value::Text(number.clone()));
                            self.move_counter_past(&m.name, wanted)?;
                        } else {
                            notes.push(problem(
                                col(&input, &an.field).as_deref(),
                                Some(&an.field),
                                "auto_number_taken",
                                format!("{wanted} is taken; numbered {number} instead"),
                            ));
                        }
                    }
                    numbers.push(number);
                }
                if let Some(dt) = input.created {
                    patch(&mut record, &mut cs, "createdtime", Value::DateTime(dt));
                }
                cs.push(Change::ImportRow(ImportRowFate {
                    import_id: run.journal.id,
                    line,
                    record: record.id,
                    action: RowAction::Created,
                    previous: None,
                    version: record.version,
                }));
                // Only a dry run reports the fields of a created row (a real run drops them at the commit).
                let fields: Vec<String> = if run.options.dry_run { record.values.keys().cloned().collect() } else { vec![] };
                self.queue(
                    run,
                    Pending {
                        report: RowReport { line, outcome: Outcome::Created, record: Some(record.id), fields, problems: notes },
                        changes: cs,
                        record: Some(record),
                        numbers,
                    },
                )
            }
            Err(e) => self.row_error(run, &input, e, notes),
        }
    }

    pub(super) fn row_error(&mut self, run: &mut Run, input: &RowInput, e: Error, mut notes: Vec<RowProblem>) -> Result<()> {
        match e {
            Error::Validation(v) => {
                for fe in v.errors() {
                    notes.push(problem(
                        input.columns.get(&fe.field).map(String::as_str),
                        Some(&fe.field),
                        fe.code.as_str(),
                        fe.message.clone(),
                    ));
                }
            }
            Error::Conflict(msg) | Error::NotFound(msg) | Error::InvalidArgument(msg) => notes.push(problem(None, None, "conflict", msg)),
            other => return Err(other),
        }
        self.finish_row(run, input.line, Outcome::Failed, None, notes);
        Ok(())
    }
}

/// Replaces a value in a planned insert: the record, its `Insert` change and its change-log entry.
pub(super) fn patch(record: &mut Record, cs: &mut ChangeSet, field: &str, value: Value) {
    record.values.insert(field.to_string(), value.clone());
    for c in &mut cs.0 {
        match c {
            Change::Insert(r) if r.id == record.id => {
                r.values.insert(field.to_string(), value.clone());
            }
            Change::History(h) if h.record == record.id => {
                for d in &mut h.changes {
                    if d.field == field {
                        d.after = value.to_text();
                    }
                }
            }
            _ => {}
        }
    }
}
