//! Referenced records created on the way (an organization named in a row that does not exist yet).

use super::Run;
use crate::error::{Error, Result};
use crate::io::{ImportRowFate, RowAction};
use crate::record::Fields;
use crate::service::Crm;
use crate::service::records::Mode;
use crate::storage::Change;
use crate::value::RecordId;

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
            [] => return Ok(Err(format!("{module} records have no name field"))),
        }
        match self.plan_insert(&m.name, f, Mode::Create, "IMPORT") {
            Ok((r, mut cs)) => {
                cs.push(Change::ImportRow(ImportRowFate {
                    import_id: run.journal.id,
                    line,
                    record: r.id,
                    action: RowAction::CreatedReference,
                    previous: None,
                    version: r.version,
                }));
                self.commit(&cs)?;
                run.report.references_created += 1;
                Ok(Ok(r.id))
            }
            Err(Error::Validation(v)) => Ok(Err(format!("cannot create {} '{name}': {v}", m.name))),
            Err(e) => Err(e),
        }
    }
}
