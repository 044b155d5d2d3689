//! `crm export OUT.csv`: records of a module as CSV (the engine's streaming writer), to a file or stdout.

use super::conditions;
use crate::args::ExportArgs;
use crate::output::Out;
use crate::{CliError, CliResult};
use crm_core::io::ExportOptions;
use crm_core::wire::{QuerySpec, SortSpec};
use crm_core::{Crm, ExportSelection};
use serde_json::{Map, Value as J};
use std::io::{BufWriter, Write};

/// Runs `crm export`.
pub(crate) fn run(crm: &Crm, a: &ExportArgs, o: &mut Out<'_>) -> CliResult<()> {
    let mut spec = QuerySpec::new(a.module.clone());
    spec.conditions = conditions(&a.conditions)?;
    spec.sort = a.order_by.iter().map(|k| SortSpec::Key(k.clone())).collect();
    let query = spec.into_query()?;
    let options = options(a)?;
    let module = crm.module(&a.module)?.name.clone();
    let selection = ExportSelection::All(query);
    let to_stdout = a.out.as_os_str() == "-";
    let n = if to_stdout {
        let mut w = BufWriter::new(&mut *o.out);
        let n = crm.export_csv(&mut w, &module, &selection, &options)?;
        w.flush().map_err(|e| CliError::Io(format!("cannot write the output: {e}")))?;
        n
    } else {
        let f = std::fs::File::create(&a.out).map_err(|e| CliError::Io(format!("cannot write {}: {e}", a.out.display())))?;
        let mut w = BufWriter::new(f);
        let n = crm.export_csv(&mut w, &module, &selection, &options)?;
        w.flush().map_err(|e| CliError::Io(format!("cannot write {}: {e}", a.out.display())))?;
        n
    };
    if to_stdout {
        return Ok(()); // stdout holds the CSV itself
    }
    if o.json {
        return o.json(&serde_json::json!({"module": module, "file": a.out.display().to_string(), "records": n}));
    }
    o.line(&format!("Exported {n} {module} records to {}", a.out.display()))
}

/// The export options, read by crm-core's option parsers (serde over the same names C's JSON uses).
fn options(a: &ExportArgs) -> CliResult<ExportOptions> {
    let mut m = Map::new();
    for (k, v) in [("header", &a.header), ("delimiter", &a.delimiter), ("date_format", &a.date_format)] {
        if let Some(v) = v {
            m.insert(k.into(), J::String(v.clone()));
        }
    }
    m.insert("columns".into(), serde_json::json!(a.columns));
    m.insert("bom".into(), J::Bool(a.bom));
    serde_json::from_value(J::Object(m)).map_err(|e| CliError::Core(crm_core::Error::InvalidArgument(format!("export options: {e}"))))
}
