//! The row pipeline shared by every tabular import (a CSV file, parsed records): mapping the source's
//! columns to fields, turning each row's cells into a row for the save pipeline, committing batches,
//! reporting progress and stopping between batches when asked. Sources differ only in how they read rows
//! (`source`).

use super::ahead::Ahead;
use super::source::{RowSource, SourceRow};
use super::{RowInput, problem};
use crate::error::{Error, Result};
use crate::io::csv_import::{ColumnUse, convert_cell, map_columns};
use crate::io::{ImportJournal, ImportOptions, ImportReport, ImportStatus};
use crate::service::Crm;
use crate::service::progress::{Progress, report};
use crate::value::Value;
use std::collections::HashMap;
use std::sync::Arc;

impl Crm {
    /// Runs an import (or the rest of `resume`'s) over `source`, then ends the unit of work: each batch is
    /// one unit (one durable commit); an error rolls back the open batch only.
    pub(super) fn import_from(
        &mut self,
        source: &mut dyn RowSource,
        module: &str,
        options: &ImportOptions,
        progress: Progress<'_>,
        resume: Option<ImportJournal>,
    ) -> Result<ImportReport> {
        let result = self.run_rows(source, module, options, progress, resume);
        self.set_dry_numbers(false); // also when the run failed
        let ended = self.end_unit(result.is_ok());
        let report = result?;
        ended?;
        Ok(report)
    }

    /// The journal of `import_id` if it can resume from a source of `kind`.
    pub(super) fn resumable(&self, import_id: i64, kind: &str, options: &ImportOptions) -> Result<ImportJournal> {
        let journal =
            self.store.imports()?.into_iter().find(|j| j.id == import_id).ok_or_else(|| Error::not_found(format!("import {import_id}")))?;
        if !matches!(journal.status, ImportStatus::Running | ImportStatus::Interrupted) {
            return Err(Error::Conflict(format!(
                "import {import_id} is {}, not interrupted; only an interrupted import resumes",
                journal.status.as_str()
            )));
        }
        if journal.kind != kind {
            return Err(Error::Conflict(format!("import {import_id} is a {} import, not a {kind} import", journal.kind)));
        }
        if options.dry_run {
            return Err(Error::invalid("a resumed import cannot be a dry run"));
        }
        Ok(journal)
    }

    fn run_rows(
        &mut self,
        source: &mut dyn RowSource,
        module: &str,
        options: &ImportOptions,
        progress: Progress<'_>,
        resume: Option<ImportJournal>,
    ) -> Result<ImportReport> {
        let mut progress = progress;
        // ----- resume: continue an interrupted import's journal, skipping the rows it has -----
        let mut to_skip = resume.as_ref().map_or(0, |j| j.rows);
        let mut run = match resume {
            Some(j) => self.resume_run(j, options.clone())?,
            None => self.start_run(module, source.kind(), options.clone(), None)?,
        };
        let m = self.module(&run.module)?.clone();
        let headers = source.headers().to_vec();
        let uses = map_columns(&m, &headers, options, &self.every_language_labels()?)?;
        let mut ignored = Vec::new();
        for (h, u) in headers.iter().zip(&uses) {
            let field = match u {
                ColumnUse::Field(f) | ColumnUse::AutoNumber(f) => Some(f.clone()),
                ColumnUse::CreatedTime => Some("createdtime".to_string()),
                ColumnUse::Ignored(f) => {
                    ignored.push(format!("{h} ({f})"));
                    None
                }
                ColumnUse::Unmapped => None,
            };
            run.report.mapping.push((h.clone(), field));
        }
        if !ignored.is_empty() {
            let note = run.say("IGNORED_SYSTEM_COLUMNS", &[("columns", &ignored.join(", "))]);
            run.report.warnings.push(note);
        }
        let unmapped: Vec<&String> = headers.iter().zip(&uses).filter(|(_, u)| **u == ColumnUse::Unmapped).map(|(h, _)| h).collect();
        if !unmapped.is_empty() {
            let columns = unmapped.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
            let note = run.say("IGNORED_UNMATCHED_COLUMNS", &[("columns", &columns)]);
            run.report.warnings.push(note);
        }
        if !uses.iter().any(|u| matches!(u, ColumnUse::Field(_))) {
            return Err(Error::invalid("no column maps to a field of the module; give a mapping"));
        }
        let columns: Arc<HashMap<String, String>> = Arc::new(
            headers
                .iter()
                .zip(&uses)
                .filter_map(|(h, u)| match u {
                    ColumnUse::Field(f) => Some((f.clone(), h.clone())),
                    _ => None,
                })
                .collect(),
        );
        let an_state = self.auto_number(&m.name).ok();
        // A batch's lines are read first, then planned together (see `ahead`): as many as the batch has room
        // for, so that it fills up exactly at the end of what was read.
        let batch_size = run.options.batch_size.max(1);
        let mut at_end = false;
        while !at_end {
            let room = if run.options.dry_run { batch_size } else { batch_size.saturating_sub(run.batch.len()).max(1) };
            let mut lines = Vec::with_capacity(room.min(4096));
            while lines.len() < room {
                let Some(raw) = source.next_row()? else {
                    at_end = true;
                    break;
                };
                if to_skip > 0 {
                    to_skip -= 1;
                    continue;
                }
                let line = match &raw {
                    SourceRow::Empty { line } | SourceRow::Cells { line, .. } | SourceRow::Bad { line, .. } => *line,
                };
                if run.report.rows + lines.len() as u64 >= run.options.max_rows {
                    lines.push(Ahead::Limit(line));
                    at_end = true;
                    break;
                }
                lines.push(match raw {
                    SourceRow::Empty { line } => Ahead::Empty(line),
                    SourceRow::Bad { line, note } => {
                        let args: Vec<(&str, &str)> = note.args.iter().map(|(k, v)| (*k, v.as_str())).collect();
                        let text = super::say(&run.labels, note.key, &args);
                        Ahead::Bad(line, problem(note.column.as_deref(), None, note.code, text))
                    }
                    SourceRow::Cells { line, cells } => {
                        Ahead::Row(self.row_input(&m, (&headers, &uses, &columns), line, cells, (&run.options, &run.labels)))
                    }
                });
            }
            self.plan_ahead(&mut run, &m, lines)?;
            if run.batch.len() >= batch_size {
                self.flush(&mut run)?;
                self.end_unit(true)?;
                if report(&mut progress, source.progress(run.rows_done_total())) {
                    self.interrupt_run(&mut run)?;
                    return Ok(run.report);
                }
            }
        }
        self.finish_run(&mut run, an_state)?;
        let mut last = source.progress(run.report.rows);
        if last.total.is_none() {
            last.total = Some(last.done); // the end: everything there was is done
        }
        report(&mut progress, last);
        Ok(run.report)
    }

    pub(super) fn row_input(
        &self,
        m: &crate::schema::Module,
        (headers, uses, columns): (&[String], &[ColumnUse], &Arc<HashMap<String, String>>),
        line: u64,
        cells: Vec<Value>,
        (o, labels): (&ImportOptions, &crate::i18n::Labels),
    ) -> RowInput {
        let mut input = RowInput { line, columns: Arc::clone(columns), ..Default::default() };
        if cells.len() != headers.len() {
            input.problems.push(problem(
                None,
                None,
                "columns",
                super::say(labels, "COLUMN_COUNT", &[("expected", &headers.len().to_string()), ("found", &cells.len().to_string())]),
            ));
            return input;
        }
        for ((cell, h), u) in cells.into_iter().zip(headers).zip(uses) {
            let cell = match cell {
                Value::Text(t) => t,
                // A typed cell (records): the save pipeline checks it against the field as it is.
                typed => {
                    match u {
                        ColumnUse::Field(name) if typed.is_empty() => input.empty.push(name.clone()),
                        ColumnUse::Field(name) => input.fields.set(name.clone(), typed),
                        ColumnUse::AutoNumber(name) => {
                            if let Some(t) = typed.to_text().filter(|t| !t.trim().is_empty()) {
                                input.auto_number = Some((name.clone(), t.trim().to_string()));
                            }
                        }
                        ColumnUse::CreatedTime => {
                            if let Value::DateTime(dt) = typed {
                                input.created = Some(dt);
                            }
                        }
                        _ => {}
                    }
                    continue;
                }
            };
            if cell.contains('\u{fffd}') {
                input.problems.push(problem(
                    Some(h),
                    None,
                    "encoding",
                    super::say(labels, "ENCODING", &[("column", h), ("encoding", &o.encoding.name())]),
                ));
                continue;
            }
            match u {
                ColumnUse::Field(name) => {
                    let Some(f) = m.field(name) else { continue };
                    match convert_cell(f, &cell, o) {
                        Ok(v) if v.is_empty() => input.empty.push(name.clone()),
                        Ok(v) => input.fields.set(name.clone(), v),
                        Err(e) => {
                            let e = crate::service::language::localize_field_error(labels, Some(m), e);
                            input.problems.push(problem(Some(h), Some(&e.field), e.code.as_str(), e.message))
                        }
                    }
                }
                ColumnUse::AutoNumber(name) if !cell.trim().is_empty() => input.auto_number = Some((name.clone(), cell.trim().to_string())),
                ColumnUse::CreatedTime if !cell.trim().is_empty() => {
                    if let Some(f) = m.field("createdtime")
                        && let Ok(Value::DateTime(dt)) = convert_cell(f, &cell, o)
                    {
                        input.created = Some(dt);
                    }
                }
                _ => {}
            }
        }
        input
    }
}
