//! Planning one row as one save: defaults, unknown picklist values, references, duplicates, then the
//! planned insert or update (through the normal save pipeline) with the imported system columns patched in.

use super::{Pending, RowInput, Run, problem};
use crate::error::{Error, Result};
use crate::io::csv_import::convert_cell;
use crate::io::{Duplicates, ImportRowFate, Outcome, RowAction, RowProblem, RowReport};
use crate::record::Record;
use crate::service::Crm;
use crate::service::records::Mode;
use crate::storage::{Change, ChangeSet, ImportChange, RecordChange};
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
                    Err(e) => {
                        let e = crate::service::language::localize_field_error(&run.labels, Some(m), e);
                        problems.push(problem(None, Some(&f), e.code.as_str(), run.say("DEFAULT", &[("detail", &e.message)])))
                    }
                }
            }
        }
        notes.append(&mut input.notes);
        let any_unknown = self.add_unknown_picklist_values(run, &mut input, (&schema, m, &mname), &mut notes)?;
        // Added picklist values changed the schema: read the module again only then.
        let schema = if any_unknown { self.module_arc(&run.module)?.0 } else { schema };
        let m = schema.modules.get(&mname).ok_or_else(|| Error::not_found(format!("module '{mname}'")))?;
        self.resolve_row_references(run, &mut input, m, &mut notes, &mut problems)?;
        if !problems.is_empty() {
            self.finish_row(run, line, Outcome::Failed, None, problems);
            return Ok(());
        }
        // Duplicates.
        let existing =
            if run.options.duplicates != Duplicates::Create && !run.match_on.is_empty() { self.find_duplicate(run, &input)? } else { None };
        if let Some(existing) = existing {
            return self.plan_duplicate_row(run, &input, existing, &defaulted, notes);
        }
        // Duplicate-prevention rules (see `rules`): the duplicate mode handles a match; creating fails.
        if let Some((rule, existing)) = self.rule_duplicate(run, &input, m)? {
            if run.options.duplicates != Duplicates::Create {
                return self.plan_duplicate_row(run, &input, existing, &defaulted, notes);
            }
            let errors = crate::service::duplicates::duplicate_errors(&rule, existing.id, &existing.label);
            return self.row_error(run, &input, crate::error::Error::Validation(errors), notes);
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
                                run.say("AUTO_NUMBER_TAKEN", &[("wanted", wanted), ("number", &number)]),
                            ));
                        }
                    }
                    numbers.push(number);
                }
                if let Some(dt) = input.created {
                    patch(&mut record, &mut cs, "createdtime", Value::DateTime(dt));
                }
                // The creation day may be the day a base-currency copy's rate is taken on.
                if input.created.is_some() && self.copies_read_creation_day(&record)? {
                    let before = record.values.clone();
                    if let Err(e) = self.plan_base_copies(&mut record) {
                        return self.row_error(run, &input, e, notes);
                    }
                    if record.values != before {
                        for c in &mut cs.0 {
                            if let Change::Record(RecordChange::Insert(r)) = c
                                && r.id == record.id
                            {
                                r.values.clone_from(&record.values);
                            }
                        }
                    }
                }
                cs.push(ImportChange::ImportRow(ImportRowFate {
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
        // Validation messages in the acting user's language, as a save outside an import gives them.
        let e = self.localize_error(Some(&run.module), e);
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
            Error::Conflict(msg) | Error::NotFound(msg) | Error::InvalidArgument(msg) => {
                notes.push(problem(None, None, "conflict", run.say("CONFLICT", &[("detail", &msg)])))
            }
            // access control: the row is refused, the import goes on
            Error::AccessDenied(d) => {
                let column = d.field.as_ref().and_then(|f| input.columns.get(f)).map(String::as_str);
                notes.push(problem(column, d.field.as_deref(), "access_denied", run.say("ACCESS_DENIED", &[("detail", &d.to_string())])))
            }
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
            Change::Record(RecordChange::Insert(r)) if r.id == record.id => {
                r.values.insert(field.to_string(), value.clone());
            }
            Change::Record(RecordChange::History(h)) if h.record == record.id => {
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
