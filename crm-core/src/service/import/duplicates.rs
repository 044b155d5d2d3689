//! Finding the record a row duplicates, by the run's match fields (committed or pending in the batch).

use super::{Pending, RowInput, Run, problem, values_json};
use crate::error::Result;
use crate::io::{Duplicates, ImportRowFate, Outcome, RowAction, RowProblem, RowReport};
use crate::query::{Condition, Query};
use crate::record::Record;
use crate::schema::FieldType;
use crate::service::Crm;
use crate::storage::ImportChange;
use crate::value::{Value, coerce};
use std::collections::HashSet;

impl Crm {
    /// The newest (highest id) live record whose match fields all equal the row's (committed or pending in
    /// this batch); rows with several matches are counted for the report's warning.
    pub(super) fn find_duplicate(&mut self, run: &mut Run, input: &RowInput) -> Result<Option<Record>> {
        let m = self.module(&run.module)?.clone();
        let mut wanted: Vec<(String, Value)> = Vec::new();
        for name in &run.match_on {
            let Some(f) = m.field(name) else {
                return Ok(None);
            };
            let raw = input.fields.get(name).cloned().unwrap_or_default();
            let v = match (&f.field_type, raw) {
                (FieldType::Owner, Value::Text(s)) if s.trim().parse::<i64>().is_err() => match self.find_owner(&s)? {
                    Some(o) => Value::Owner(o.id()),
                    None => return Ok(None),
                },
                (_, v) => match coerce(f, v) {
                    Ok(v) => v,
                    Err(_) => return Ok(None),
                },
            };
            if v.is_empty() {
                return Ok(None);
            }
            // Picklist text in the stored spelling.
            let v = match (&v, f.picklist_name().and_then(|p| self.schema.picklist(p))) {
                (Value::Text(s), Some(p)) => p.find_ignore_case(s).map(|x| Value::Text(x.value.clone())).unwrap_or(v),
                _ => v,
            };
            wanted.push((name.clone(), v));
        }
        let pending =
            run.batch.iter().rev().filter_map(|p| p.record.as_ref()).find(|r| wanted.iter().all(|(f, v)| r.get(f) == v)).map(|r| r.id);
        if pending.is_some() {
            self.flush(run)?;
        }
        let mut cond: Option<Condition> = None;
        for (f, v) in &wanted {
            let c = Condition::eq(f.clone(), v.clone());
            cond = Some(match cond {
                None => c,
                Some(x) => x.and(c),
            });
        }
        let Some(cond) = cond else { return Ok(None) };
        let found = self.find(Query::new(&m.name).filter(cond))?;
        if found.len() > 1 {
            run.ambiguous += 1;
        }
        // access control: matched among the visible records, planned on the whole (unredacted) record
        found.into_iter().max_by_key(|r| r.id).map(|r| self.load(r.id)).transpose()
    }
    /// Plans a row that matches `existing`: skipped, or an update (overwrite) or a merge of the match.
    pub(super) fn plan_duplicate_row(
        &mut self,
        run: &mut Run,
        input: &RowInput,
        existing: Record,
        defaulted: &HashSet<String>,
        notes: Vec<RowProblem>,
    ) -> Result<()> {
        let line = input.line;
        let outcome = match run.options.duplicates {
            Duplicates::Skip => {
                let msg = run.say("DUPLICATE_ROW", &[("id", &existing.id.to_string()), ("label", &existing.label)]);
                self.finish_row(run, line, Outcome::Skipped, Some(existing.id), vec![problem(None, None, "duplicate", msg)]);
                return Ok(());
            }
            Duplicates::Merge => Outcome::Merged,
            _ => Outcome::Updated,
        };
        let mut fields = input.fields.clone();
        if outcome == Outcome::Merged {
            for f in defaulted {
                if !existing.get(f).is_empty() {
                    fields.0.remove(f);
                }
            }
        } else {
            for f in &input.empty {
                fields.set(f.clone(), Value::Null);
            }
        }
        match self.plan_update(&existing, Some(existing.version), fields) {
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
                changed.extend(existing.values.keys().filter(|k| !record.values.contains_key(k)).cloned());
                let action = if outcome == Outcome::Merged { RowAction::Merged } else { RowAction::Updated };
                cs.push(ImportChange::ImportRow(ImportRowFate {
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
            Err(e) => self.row_error(run, input, e, notes),
        }
    }
}
