//! `crm import FILE`: a CSV file into a module, or a vCard file into Contacts, with a progress bar on
//! stderr (hidden when stderr is not a terminal, and with `--json`) and a summary.

use crate::args::ImportArgs;
use crate::output::Out;
use crate::{CliError, CliResult};
use crm_core::io::{ImportOptions, ImportReport, Outcome};
use crm_core::{Crm, Flow, NewCustomerOpportunity, ProgressFn, ProgressUnit, ProgressUpdate, VcardImportOptions};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{Map, Value as J};
use std::io::BufReader;
use std::path::Path;

/// Runs `crm import`.
pub(crate) fn run(crm: &mut Crm, a: &ImportArgs, o: &mut Out<'_>) -> CliResult<()> {
    let vcard =
        a.file.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("vcf") || e.eq_ignore_ascii_case("vcard"));
    let options = options(a, vcard)?;
    let open = || std::fs::File::open(&a.file).map_err(|e| CliError::Io(format!("cannot read {}: {e}", a.file.display())));
    let file = open()?;
    let size = file.metadata().ok().map(|m| m.len());
    // The engine reports the real total: bytes read out of the file's size for CSV, cards for vCard.
    let bar = progress_bar(o.json);
    let mut tick = ProgressFn(|u: ProgressUpdate| {
        show(&bar, u);
        Flow::Continue
    });
    let progress: crm_core::Progress<'_> = Some(&mut tick);
    let reader = BufReader::new(file);
    let module = a.module.as_deref().unwrap_or(if vcard { "Contacts" } else { "Potentials" });
    let result = if vcard {
        let opportunity = a.create_opportunities.then(NewCustomerOpportunity::default);
        // Organizations named by ORG are found or created, as vtiger does.
        let v = VcardImportOptions { import: options, opportunity, create_organizations: true };
        if module.eq_ignore_ascii_case("contacts") {
            crm.import_vcard(reader, &v, progress)
        } else {
            Err(crm_core::Error::InvalidArgument(format!("a vCard file imports into Contacts, not {module}")))
        }
    } else {
        match a.resume {
            Some(id) => crm.resume_import_csv_with_size(id, reader, size, &options, progress),
            None => crm.import_csv_with_size(reader, size, module, &options, progress),
        }
    };
    bar.finish_and_clear();
    let report = result?;
    if o.json {
        return o.json(&report);
    }
    summary(&report, &a.file, a.show_errors, o)
}

/// The import options from the arguments, read by crm-core's option parser (the one C's JSON and
/// Python's keyword arguments go through).
fn options(a: &ImportArgs, vcard: bool) -> CliResult<ImportOptions> {
    let mut m = Map::new();
    let mut text = |k: &str, v: &Option<String>| {
        if let Some(v) = v {
            m.insert(k.to_string(), J::String(v.clone()));
        }
    };
    text("delimiter", &a.delimiter);
    text("encoding", &a.encoding);
    text("date_format", &a.date_format);
    text("decimal_separator", &a.decimal_separator);
    text("thousands_separator", &a.thousands_separator);
    text("duplicates", &a.duplicates);
    if vcard {
        // vCards match on e-mail and skip duplicates unless told otherwise (as the Python binding does).
        m.entry("duplicates").or_insert_with(|| J::String("skip".into()));
        if a.match_on.is_empty() {
            m.insert("match_on".into(), serde_json::json!(["email"]));
        }
    }
    if !a.match_on.is_empty() {
        m.insert("match_on".into(), serde_json::json!(a.match_on));
    }
    if !a.mapping.is_empty() {
        let mut map = Map::new();
        for pair in &a.mapping {
            let (column, field) =
                pair.split_once('=').ok_or_else(|| crm_core::Error::InvalidArgument(format!("--map '{pair}': expected COLUMN=FIELD")))?;
            map.insert(column.trim().to_string(), J::String(field.trim().to_string()));
        }
        m.insert("mapping".into(), J::Object(map));
    }
    m.insert("create_missing_references".into(), J::Bool(a.create_missing_references || vcard));
    m.insert("add_unknown_picklist_values".into(), J::Bool(a.add_unknown_picklist_values));
    m.insert("dry_run".into(), J::Bool(a.dry_run));
    if let Some(b) = a.batch_size {
        m.insert("batch_size".into(), J::from(b));
    }
    Ok(ImportOptions::from_json(&J::Object(m).to_string())?)
}

fn progress_bar(json: bool) -> ProgressBar {
    let target = if json { ProgressDrawTarget::hidden() } else { ProgressDrawTarget::stderr() };
    ProgressBar::with_draw_target(None, target)
}

/// Shows one progress update: its unit picks the bar's style (bytes of the file, or rows), its total the
/// bar's length.
fn show(bar: &ProgressBar, u: ProgressUpdate) {
    let template = match u.unit {
        ProgressUnit::Bytes => "{bar:40} {bytes}/{total_bytes} {elapsed_precise} (eta {eta})",
        ProgressUnit::Rows => "{bar:40} {pos}/{len} rows {elapsed_precise} (eta {eta})",
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    if bar.length() != u.total {
        match u.total {
            Some(t) => bar.set_length(t),
            None => bar.unset_length(),
        }
    }
    bar.set_position(u.done);
}

/// The text summary: counts, warnings, the first problem rows, and how to undo.
fn summary(r: &ImportReport, file: &Path, show: usize, o: &mut Out<'_>) -> CliResult<()> {
    let what = if r.dry_run { "Dry run of" } else { "Imported" };
    let id = if r.dry_run { String::new() } else { format!(" (import {})", r.import_id) };
    o.line(&format!("{what} {}{id}: {} rows", file.display(), r.rows))?;
    let counts = vec![vec![
        r.created.to_string(),
        r.updated.to_string(),
        r.merged.to_string(),
        r.skipped.to_string(),
        r.failed.to_string(),
        r.references_created.to_string(),
    ]];
    o.table(&["created", "updated", "merged", "skipped", "failed", "references created"], counts, &[0, 1, 2, 3, 4, 5])?;
    for w in &r.warnings {
        o.line(&format!("note: {w}"))?;
    }
    for p in &r.picklist_values_added {
        o.line(&format!("picklist value added: {p}"))?;
    }
    let problems: Vec<Vec<String>> = r
        .row_reports
        .iter()
        .filter(|row| row.outcome == Outcome::Failed || (!r.dry_run && row.outcome == Outcome::Skipped))
        .flat_map(|row| {
            row.problems.iter().map(move |p| {
                let outcome = serde_json::to_value(row.outcome).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
                vec![row.line.to_string(), outcome, p.column.clone().unwrap_or_default(), p.message.clone()]
            })
        })
        .collect();
    if !problems.is_empty() {
        let n = problems.len();
        o.table(&["line", "outcome", "column", "problem"], problems.into_iter().take(show).collect(), &[0])?;
        if n > show {
            o.line(&format!("... and {} more (--show-errors N, or --json for all)", n - show))?;
        }
    }
    if !r.dry_run && r.import_id > 0 {
        o.line(&format!("Undo it with `crm undo-import {}` (same --db).", r.import_id))?;
    }
    Ok(())
}
