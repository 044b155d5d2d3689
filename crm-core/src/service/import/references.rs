//! Referenced records created on the way (an organization named in a row that does not exist yet).

use super::{RowInput, Run, problem};
use crate::error::{Error, Result};
use crate::io::{ImportRowFate, RowAction, RowProblem};
use crate::record::Fields;
use crate::schema::{FieldType, Module};
use crate::service::Crm;
use crate::service::records::Mode;
use crate::storage::ImportChange;
use crate::value::{RecordId, Value};

impl Crm {
    /// Creates a missing referenced record by name (first name / last name split for people), journalled.
    pub(super) fn create_reference(
        &mut self,
        run: &mut Run,
        module: &str,
        name: &str,
        line: u64,
    ) -> Result<std::result::Result<RecordId, String>> {
        let (schema, mname) = self.module_arc(module)?;
        let m = schema.modules.get(&mname).ok_or_else(|| Error::not_found(format!("module '{mname}'")))?;
        let mut f = Fields::new();
        match m.entity_fields.as_slice() {
            [one] => f.set(one.clone(), name),
            [first, last, ..] => match name.trim().rsplit_once(' ') {
                Some((a, b)) => {
                    f.set(first.clone(), a.trim());
                    f.set(last.clone(), b.trim());
                }
                None => f.set(last.clone(), name),
            },
            [] => return Ok(Err(run.say("REFERENCE_WITHOUT_NAME", &[("module", module)]))),
        }
        match self.create_on_the_way(run, &m.name, f, line)? {
            Ok(id) => Ok(Ok(id)),
            Err(e @ Error::Validation(_)) => {
                let v = self.localize_error(Some(&m.name), e);
                Ok(Err(run.say("REFERENCE_NOT_CREATED", &[("module", &m.name), ("name", name), ("detail", &v.to_string())])))
            }
            Err(e) => Err(e),
        }
    }
    /// Resolves the row's references given by name; the missing records are created when the options allow
    /// it (a dry run only notes them). Unresolvable names are added to `problems`.
    pub(super) fn resolve_row_references(
        &mut self,
        run: &mut Run,
        input: &mut RowInput,
        m: &Module,
        notes: &mut Vec<RowProblem>,
        problems: &mut Vec<RowProblem>,
    ) -> Result<()> {
        let line = input.line;
        let col = |input: &RowInput, f: &str| input.columns.get(f).cloned();
        let names: Vec<(String, String)> = input
            .fields
            .iter()
            .filter(|(name, _)| m.field(name).is_some_and(|f| f.field_type == FieldType::Reference))
            .filter_map(|(name, v)| match v {
                Value::Text(t) => Some((name.clone(), t.clone())),
                _ => None,
            })
            .collect();
        for (name, text) in names {
            let Some(f) = m.field(&name) else { continue };
            let text = &text;
            if text.trim().parse::<i64>().is_ok() {
                continue;
            }
            if let Some(id) = self.resolve_reference_cached(&f.references, text)? {
                input.fields.set(name.clone(), Value::Ref(id));
                continue;
            }
            let (prefix, ref_name) = crate::service::records::strip_module_prefix(text);
            let target = match prefix {
                Some(p) => f.references.iter().find(|r| r.eq_ignore_ascii_case(p)).cloned(),
                None => f.references.first().cloned(),
            };
            let Some(target) = target else {
                problems.push(problem(
                    col(input, &name).as_deref(),
                    Some(&name),
                    "invalid_reference",
                    run.say("NOT_A_REFERENCE", &[("value", text), ("modules", &f.references.join(" / "))]),
                ));
                continue;
            };
            if !run.options.create_missing_references {
                continue; // the pipeline reports it
            }
            if run.options.dry_run {
                if run.dry_refs.insert((target.clone(), crate::text::fold(ref_name))) {
                    run.report.references_created += 1;
                }
                notes.push(problem(
                    col(input, &name).as_deref(),
                    Some(&name),
                    "would_create_reference",
                    run.say("WOULD_CREATE_REFERENCE", &[("module", &target), ("name", ref_name)]),
                ));
                input.fields.0.remove(&name);
                continue;
            }
            match self.create_reference(run, &target, ref_name, line)? {
                Ok(id) => input.fields.set(name.clone(), Value::Ref(id)),
                Err(msg) => problems.push(problem(col(input, &name).as_deref(), Some(&name), "invalid_reference", msg)),
            }
        }
        Ok(())
    }
}

impl Crm {
    /// Creates a record an import needs on the way (a referenced organization, a contact's opportunity) and
    /// journals it as a created reference of `line` (0: of no row), so undo removes it with the import.
    ///
    /// The inner error is why the record could not be planned (the caller decides whether that is the row's
    /// problem or a warning).
    ///
    /// # Errors
    /// Storage errors of the commit.
    pub(super) fn create_on_the_way(&mut self, run: &mut Run, module: &str, fields: Fields, line: u64) -> Result<Result<RecordId>> {
        let (r, mut cs) = match self.plan_insert(module, fields, Mode::Create, "IMPORT") {
            Ok(planned) => planned,
            Err(e) => return Ok(Err(e)),
        };
        cs.push(ImportChange::ImportRow(ImportRowFate {
            import_id: run.journal.id,
            line,
            record: r.id,
            action: RowAction::CreatedReference,
            previous: None,
            version: r.version,
        }));
        self.commit(&cs)?;
        // A record of the imported module itself took a number the batch's read-ahead did not see taken.
        if r.module == run.module
            && let Some(n) = self.module(&r.module)?.auto_number.as_ref().and_then(|a| r.get(&a.field).to_text())
        {
            run.batch_numbers.insert(n);
        }
        run.report.references_created += 1;
        Ok(Ok(r.id))
    }
}
