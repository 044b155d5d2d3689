//! The default workflows in the store's language.
//!
//! crm installs vtiger's default Potentials workflows in English when it sets a store up. Their texts — the
//! workflow names and descriptions, the task summaries, the creation e-mail's subject and body — have
//! catalogue keys (the English names and summaries themselves, `MAIL_POTENTIAL_CREATED_SUBJECT` and
//! `_BODY`). **Choice: they are rewritten when the store's language is set**
//! ([`Crm::set_language`]), not translated on every read: a workflow is stored data that runs (its mail is
//! rendered from the stored template), so storing the store-language text keeps one source for what the
//! workflow list shows and what the mail says, and costs nothing on the save path.
//!
//! Only a default workflow **no one edited** is rewritten: one whose every text is the shipped text in some
//! installed language. A workflow with any text of its own (a renamed workflow, an edited subject or body,
//! an added task) is left exactly as it is, in every language change.

use super::Crm;
use crate::error::Result;
use crate::i18n;
use crate::storage::{ChangeSet, WorkflowChange};
use crate::workflow::Workflow;
use crate::workflow::task::Action;

/// The catalogue keys of the shipped texts: workflow names (also their descriptions) and task summaries.
fn shipped_keys() -> (Vec<String>, Vec<String>) {
    let json: serde_json::Value = serde_json::from_str(super::workflows::DEFAULT_WORKFLOWS).unwrap_or_default();
    let mut names = Vec::new();
    let mut summaries = Vec::new();
    for w in json.as_array().into_iter().flatten() {
        names.extend(w["workflowname"].as_str().map(str::to_string));
        for t in w["tasks"].as_array().into_iter().flatten() {
            summaries.extend(t["summary"].as_str().map(str::to_string));
        }
    }
    (names, summaries)
}

/// The text of whichever of `keys` has `text` as its text in some installed catalogue, in `language`;
/// `None` for a text of the user's own.
fn translate(text: &str, keys: &[&str], language: &str) -> Option<String> {
    let key = keys.iter().find(|k| **k == text || i18n::catalogues().iter().any(|c| c.get(k) == Some(text)))?;
    Some(i18n::catalogue(language).and_then(|c| c.get(key)).unwrap_or(key).to_string())
}

/// `wf` with its texts in `language`, or `None` when it is not a default workflow or someone edited a text.
pub(crate) fn in_language(wf: &Workflow, language: &str) -> Option<Workflow> {
    if !wf.default {
        return None;
    }
    let (names, summaries) = shipped_keys();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let summaries: Vec<&str> = summaries.iter().map(String::as_str).collect();
    let mut out = wf.clone();
    out.name = translate(&wf.name, &names, language)?;
    if !wf.description.is_empty() {
        out.description = translate(&wf.description, &names, language)?;
    }
    for t in &mut out.tasks {
        t.summary = translate(&t.summary, &summaries, language)?;
        if let Action::SendEmail(e) = &mut t.action {
            e.subject = translate(&e.subject, &["MAIL_POTENTIAL_CREATED_SUBJECT"], language)?;
            e.body = translate(&e.body, &["MAIL_POTENTIAL_CREATED_BODY"], language)?;
        }
    }
    Some(out)
}

impl Crm {
    /// Rewrites the default workflows no one edited into `language` (see the module doc), in one commit.
    ///
    /// # Errors
    /// Storage errors.
    pub(crate) fn localize_default_workflows(&mut self, language: &str) -> Result<()> {
        let mut cs = ChangeSet::new();
        for wf in self.store.workflows()? {
            if let Some(new) = in_language(&wf, language).filter(|n| *n != wf) {
                cs.push(WorkflowChange::PutWorkflow(new));
            }
        }
        if cs.0.is_empty() {
            return Ok(());
        }
        self.commit(&cs)
    }
}
