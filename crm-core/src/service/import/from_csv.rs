//! CSV import: reading the file, mapping its columns to fields and turning each line into a row.

use super::ahead::Ahead;
use super::{Progress, RowInput, problem};
use crate::error::{Error, Result};
use crate::io::csv_import::{ColumnUse, CsvSource, RawRow, convert_cell, map_columns};
use crate::io::{ImportJournal, ImportOptions, ImportReport};
use crate::service::Crm;
use crate::value::Value;
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

impl Crm {
    /// Imports a CSV stream into a module. See [`ImportOptions`] for the choices and [`ImportReport`] for
    /// the result; every row goes through the normal save pipeline and is committed in batches.
    ///
    /// # Example
    /// ```
    /// use crm_core::io::ImportOptions;
    /// use crm_core::{Crm, Fields, NewUser};
    /// # fn main() -> Result<(), crm_core::Error> {
    /// let mut crm = Crm::open(":memory:")?;
    /// crm.add_user(NewUser::new("admin"))?;
    /// crm.set_actor("admin")?;
    /// let csv = "Opportunity Name,Amount,Sales Stage,Expected Close Date\nHooli renewal,12000,Prospecting,2027-03-31\n";
    /// let report = crm.import_csv(csv.as_bytes(), "Potentials", &ImportOptions::default(), None)?;
    /// assert_eq!((report.rows, report.created, report.failed), (1, 1, 0));
    /// let undone = crm.undo_import(report.import_id)?; // the created record goes to the recycle bin
    /// assert_eq!(undone.deleted, 1);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// `InvalidArgument` for a file that cannot be read as CSV at all (empty, binary, wrong encoding in
    /// the first 64 KiB, a bad mapping); `NotFound` for an unknown module; storage errors. Bad rows are not
    /// errors: they are reported.
    pub fn import_csv<R: Read>(
        &mut self,
        reader: R,
        module: &str,
        options: &ImportOptions,
        progress: Progress<'_>,
    ) -> Result<ImportReport> {
        self.refresh_schema()?; // see the schema other handles stored
        // Each batch is one unit of work (one durable commit); an error rolls back the open batch only.
        let result = self.import_csv_batches(reader, module, options, progress, None);
        self.set_dry_numbers(false); // also when the run failed
        let ended = self.end_unit(result.is_ok());
        let report = result?;
        ended?;
        Ok(report)
    }

    pub(super) fn import_csv_batches<R: Read>(
        &mut self,
        reader: R,
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
            None => self.start_run(module, "csv", options.clone(), None)?,
        };
        let m = self.module(&run.module)?.clone();
        let mut src = CsvSource::open(reader, options)?;
        let uses = map_columns(&m, &src.headers, options, &self.every_language_labels()?)?;
        let mut ignored = Vec::new();
        for (h, u) in src.headers.iter().zip(&uses) {
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
            run.report.warnings.push(format!("columns of system or computed fields are ignored: {}", ignored.join(", ")));
        }
        let unmapped: Vec<&String> = src.headers.iter().zip(&uses).filter(|(_, u)| **u == ColumnUse::Unmapped).map(|(h, _)| h).collect();
        if !unmapped.is_empty() {
            run.report.warnings.push(format!(
                "columns that match no field are ignored: {}",
                unmapped.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            ));
        }
        if !uses.iter().any(|u| matches!(u, ColumnUse::Field(_))) {
            return Err(Error::invalid("no column maps to a field of the module; give a mapping"));
        }
        let columns: Arc<HashMap<String, String>> = Arc::new(
            src.headers
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
                let Some(raw) = src.next_row()? else {
                    at_end = true;
                    break;
                };
                if to_skip > 0 {
                    to_skip -= 1;
                    continue;
                }
                let line = match &raw {
                    RawRow::Empty { line } | RawRow::Cells { line, .. } => *line,
                };
                if run.report.rows + lines.len() as u64 >= run.options.max_rows {
                    lines.push(Ahead::Limit(line));
                    at_end = true;
                    break;
                }
                lines.push(match raw {
                    RawRow::Empty { line } => Ahead::Empty(line),
                    RawRow::Cells { line, cells } => {
                        Ahead::Row(self.row_input(&m, (&src.headers, &uses, &columns), line, cells, &run.options))
                    }
                });
            }
            self.plan_ahead(&mut run, &m, lines)?;
            if run.batch.len() >= batch_size {
                self.flush(&mut run)?;
                self.end_unit(true)?;
                if let Some(p) = progress.as_mut() {
                    p(run.rows_done_total());
                }
            }
        }
        self.finish_run(&mut run, an_state)?;
        if let Some(p) = progress.as_mut() {
            p(run.report.rows);
        }
        Ok(run.report)
    }

    /// [`Crm::import_csv`] from a file path.
    ///
    /// # Errors
    /// As [`Crm::import_csv`], plus `Storage(Io)` when the file cannot be opened.
    pub fn import_csv_file(
        &mut self,
        path: impl AsRef<Path>,
        module: &str,
        options: &ImportOptions,
        progress: Progress<'_>,
    ) -> Result<ImportReport> {
        let f = std::fs::File::open(path.as_ref()).map_err(crate::error::StorageError::Io)?;
        self.import_csv(std::io::BufReader::new(f), module, options, progress)
    }

    pub(super) fn row_input(
        &self,
        m: &crate::schema::Module,
        (headers, uses, columns): (&[String], &[ColumnUse], &Arc<HashMap<String, String>>),
        line: u64,
        cells: Vec<String>,
        o: &ImportOptions,
    ) -> RowInput {
        let mut input = RowInput { line, columns: Arc::clone(columns), ..Default::default() };
        if cells.len() != headers.len() {
            input.problems.push(problem(
                None,
                None,
                "columns",
                format!("expected {} columns, found {} (a missing delimiter or an unclosed quote?)", headers.len(), cells.len()),
            ));
            return input;
        }
        for ((cell, h), u) in cells.iter().zip(headers).zip(uses) {
            if cell.contains('\u{fffd}') {
                input.problems.push(problem(
                    Some(h),
                    None,
                    "encoding",
                    format!("column {h} has bytes that are not valid {}; wrong encoding?", o.encoding.name()),
                ));
                continue;
            }
            match u {
                ColumnUse::Field(name) => {
                    let Some(f) = m.field(name) else { continue };
                    match convert_cell(f, cell, o) {
                        Ok(v) if v.is_empty() => input.empty.push(name.clone()),
                        Ok(v) => input.fields.set(name.clone(), v),
                        Err(e) => input.problems.push(problem(Some(h), Some(&e.field), e.code.as_str(), e.message)),
                    }
                }
                ColumnUse::AutoNumber(name) if !cell.trim().is_empty() => input.auto_number = Some((name.clone(), cell.trim().to_string())),
                ColumnUse::CreatedTime if !cell.trim().is_empty() => {
                    if let Some(f) = m.field("createdtime")
                        && let Ok(Value::DateTime(dt)) = convert_cell(f, cell, o)
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
