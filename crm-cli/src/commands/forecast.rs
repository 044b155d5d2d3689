//! `crm forecast`: the pipeline of opportunities by stage, close month, quarter, year, owner or stage
//! kind ([`Crm::pipeline`]), as a table with a total row, a terminal bar chart and an SVG chart file.

use super::conditions;
use crate::args::{By, ForecastArgs};
use crate::chart::{self, Bar};
use crate::output::Out;
use crate::{CliError, CliResult, svg_chart};
use crm_core::wire::ConditionSpec;
use crm_core::{Crm, PipelineBy, PipelineRow};

/// Cells of the terminal chart's longest bar.
const CHART_WIDTH: u32 = 40;

fn pipeline_by(by: By) -> (PipelineBy, &'static str) {
    match by {
        By::Stage => (PipelineBy::Stage, "stage"),
        By::Month => (PipelineBy::CloseMonth, "close month"),
        By::Quarter => (PipelineBy::CloseQuarter, "close quarter"),
        By::Year => (PipelineBy::CloseYear, "close year"),
        By::Owner => (PipelineBy::Owner, "owner"),
        By::Kind => (PipelineBy::StageKind, "stage kind"),
        By::Total => (PipelineBy::Total, "total"),
    }
}

/// The sums of every row; `InvalidArgument` when a sum leaves the range of exact decimals.
fn total(rows: &[PipelineRow]) -> crm_core::Result<PipelineRow> {
    let mut t = PipelineRow::new("total");
    let overflow = || crm_core::Error::InvalidArgument("the forecast total is out of range".into());
    for r in rows {
        t.count += r.count;
        t.amount = t.amount.checked_add(r.amount).ok_or_else(overflow)?;
        t.forecast_amount = t.forecast_amount.checked_add(r.forecast_amount).ok_or_else(overflow)?;
    }
    Ok(t)
}

/// Runs `crm forecast`.
pub(crate) fn run(crm: &Crm, a: &ForecastArgs, o: &mut Out<'_>) -> CliResult<()> {
    let (by, name) = pipeline_by(a.by);
    let filter = ConditionSpec::all(conditions(&a.conditions)?)?;
    let rows = crm.pipeline(by, filter)?;
    let sum = total(&rows)?;
    let bars: Vec<Bar> = rows.iter().map(|r| Bar { label: r.key.clone(), amount: r.amount, weighted: r.forecast_amount }).collect();
    let title = format!("Pipeline by {name}");
    if let Some(path) = &a.svg {
        std::fs::write(path, svg_chart::render(&title, &bars))
            .map_err(|e| CliError::Io(format!("cannot write {}: {e}", path.display())))?;
    }
    if o.json {
        let by = serde_json::to_value(by).unwrap_or_default();
        let svg = a.svg.as_ref().map(|p| p.display().to_string());
        return o.json(&serde_json::json!({"by": by, "rows": rows, "total": sum, "svg": svg}));
    }
    let mut table: Vec<Vec<String>> =
        rows.iter().map(|r| vec![r.key.clone(), r.count.to_string(), r.amount.to_string(), r.forecast_amount.to_string()]).collect();
    table.push(vec!["Total".into(), sum.count.to_string(), sum.amount.to_string(), sum.forecast_amount.to_string()]);
    o.table(&[name, "count", "amount", "weighted"], table, &[1, 2, 3])?;
    if a.chart {
        o.line(&title)?;
        o.line(chart::render(&bars, CHART_WIDTH).trim_end())?;
    }
    if let Some(path) = &a.svg {
        o.line(&format!("Chart written to {}", path.display()))?;
    }
    Ok(())
}
