//! `undo-import`, `imports`, `run-due` and `outbox`.

use crate::args::OutboxArgs;
use crate::output::Out;
use crate::{CliError, CliResult};
use crm_core::Crm;
use crm_core::workflow::mail::MailStatus;

/// `crm undo-import ID`.
pub(crate) fn undo(crm: &mut Crm, id: i64, o: &mut Out<'_>) -> CliResult<()> {
    let r = crm.undo_import(id)?;
    if o.json {
        return o.json(&r);
    }
    o.line(&format!("Undid import {id}: {} records to the recycle bin, {} restored", r.deleted, r.restored))
}

/// `crm imports`.
pub(crate) fn imports(crm: &Crm, o: &mut Out<'_>) -> CliResult<()> {
    let list = crm.imports()?;
    if o.json {
        return o.json(&list);
    }
    let rows = list
        .iter()
        .map(|j| {
            let status = serde_json::to_value(j.status).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
            vec![
                j.id.to_string(),
                j.at.format("%Y-%m-%d %H:%M").to_string(),
                j.module.clone(),
                j.kind.clone(),
                status,
                j.rows.to_string(),
                j.created.to_string(),
                j.updated.to_string(),
                j.merged.to_string(),
                j.skipped.to_string(),
                j.failed.to_string(),
            ]
        })
        .collect();
    let header = ["id", "at", "module", "kind", "status", "rows", "created", "updated", "merged", "skipped", "failed"];
    o.table(&header, rows, &[0, 5, 6, 7, 8, 9, 10])
}

/// `crm run-due`.
pub(crate) fn run_due(crm: &mut Crm, o: &mut Out<'_>) -> CliResult<()> {
    let r = crm.run_due(crm_core::chrono::Utc::now())?;
    if o.json {
        return o.json(&r);
    }
    o.line(&format!(
        "Ran {} scheduled workflows on {} records, {} delayed tasks; {} mails queued; {} failures",
        r.workflows,
        r.records,
        r.delayed_tasks,
        r.mails,
        r.failures.len()
    ))?;
    for f in &r.failures {
        o.line(&format!("  failed: {}", serde_json::to_string(f).unwrap_or_default()))?;
    }
    Ok(())
}

/// `crm outbox`.
pub(crate) fn outbox(crm: &Crm, a: &OutboxArgs, o: &mut Out<'_>) -> CliResult<()> {
    let status = match a.status.as_deref() {
        None => None,
        Some(s) => Some(MailStatus::parse(&s.trim().to_ascii_lowercase()).ok_or_else(|| {
            CliError::Core(crm_core::Error::InvalidArgument(format!("status: unknown value '{s}' (one of queued, sent, failed)")))
        })?),
    };
    let mails = crm.outbox_page(status, 0, a.limit)?;
    if o.json {
        return o.json(&mails);
    }
    let rows = mails
        .iter()
        .map(|m| {
            vec![
                m.id.to_string(),
                m.status.as_str().to_string(),
                m.to.join(", "),
                m.subject.clone(),
                m.created.format("%Y-%m-%d %H:%M").to_string(),
                m.record.map(|r| r.0.to_string()).unwrap_or_default(),
            ]
        })
        .collect();
    o.table(&["id", "status", "to", "subject", "queued", "record"], rows, &[0])
}
