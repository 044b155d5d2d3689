//! Reading ahead: the lines of a batch are read before any is planned, so that what they ask of the store
//! is asked once for all of them — their imported auto-numbers in one read, and the store's schema and data
//! versions once for the batch (its rows are planned as one save) — instead of once per row, each a round
//! trip on PostgreSQL.

use super::{RowInput, Run, problem};
use crate::error::Result;
use crate::io::Outcome;
use crate::io::RowProblem;
use crate::schema::Module;
use crate::service::Crm;
use std::collections::HashSet;

/// A line read ahead, waiting for its batch to be planned.
pub(super) enum Ahead {
    /// A line with cells.
    Row(RowInput),
    /// An empty line.
    Empty(u64),
    /// A row the source could not read (its line and why).
    Bad(u64, RowProblem),
    /// The first line past `max_rows` (this one and the rest are not read).
    Limit(u64),
}

/// Imported auto-numbers asked of the store at once: which of `asked` were taken when the batch was read.
/// Numbers given to rows since are in [`Run::batch_numbers`](super::Run), which is checked first.
#[derive(Debug, Default)]
pub(super) struct Probed {
    pub(super) asked: HashSet<String>,
    pub(super) taken: HashSet<String>,
}

impl Crm {
    /// Plans the lines read ahead, in file order, as one save: the rows' unit of work is begun first, the
    /// auto-numbers they bring are asked of the store in one read, and the caches are checked against the
    /// store once for all of them.
    pub(super) fn plan_ahead(&mut self, run: &mut Run, m: &Module, lines: Vec<Ahead>) -> Result<()> {
        let rows = lines.iter().any(|a| matches!(a, Ahead::Row(_)));
        if rows && !run.options.dry_run {
            self.begin_unit()?;
        }
        run.probed = None;
        if m.auto_number.is_some() {
            let wanted: HashSet<&str> = lines
                .iter()
                .filter_map(|a| match a {
                    Ahead::Row(i) if i.problems.is_empty() => i.auto_number.as_ref().map(|(_, n)| n.as_str()),
                    _ => None,
                })
                .collect();
            if !wanted.is_empty() {
                let wanted: Vec<&str> = wanted.into_iter().collect();
                let taken = self.store.auto_numbers_taken(m, &wanted)?;
                run.probed = Some(Probed { asked: wanted.into_iter().map(str::to_string).collect(), taken });
            }
        }
        let out = self.in_one_save(|crm| {
            for line in lines {
                match line {
                    Ahead::Limit(line) => crm.stop_at_row_limit(run, line),
                    Ahead::Empty(line) => {
                        run.report.rows += 1;
                        let note = run.say("EMPTY_LINE", &[]);
                        crm.finish_row(run, line, Outcome::Skipped, None, vec![problem(None, None, "empty", note)]);
                    }
                    Ahead::Bad(line, problem) => {
                        run.report.rows += 1;
                        crm.finish_row(run, line, Outcome::Failed, None, vec![problem]);
                    }
                    Ahead::Row(input) => {
                        run.report.rows += 1;
                        if input.fields.is_empty() && input.problems.is_empty() && input.auto_number.is_none() {
                            let problems = vec![problem(None, None, "empty", run.say("EMPTY_CELLS", &[]))];
                            crm.finish_row(run, input.line, Outcome::Skipped, None, problems);
                            continue;
                        }
                        crm.process_row(run, input)?;
                    }
                }
            }
            Ok(())
        });
        run.probed = None;
        out
    }
}
