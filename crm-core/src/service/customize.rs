//! Field and picklist customization: vtiger's layout editor and picklist editor as an API.
//!
//! Every edit is a [`SchemaChange`] checked by the pure [`schema::edit::apply`](crate::schema::edit::apply)
//! and stored in **one transaction** with everything it implies:
//!
//! * the new schema (in SQLite a new custom field becomes a real column, `ALTER TABLE ... ADD COLUMN`);
//! * the change log entry (who, when, the change as JSON — table `crm_schema_changes`), read back with
//!   [`Crm::schema_changes`];
//! * for a picklist rename or delete: every stored record of every module using the picklist (single and
//!   multi-select fields, live and in the recycle bin) is rewritten, as vtiger does by direct SQL; field
//!   defaults and dependency mappings are rewritten in the schema itself. Unlike vtiger (which writes no
//!   ModTracker rows), each rewritten record gets a **new version and a change-log entry** (the field, the
//!   old and the new value, the editor, the time): a save another handle planned before the rename, on
//!   the old version, is then refused with `Conflict` (and can be retried) instead of writing the old
//!   value back. Earlier change-log entries and stage history are not rewritten: they record what was
//!   true at the time (vtiger's picklist editor leaves `vtiger_potstagehistory` alone too), and
//!   [`Crm::schema_changes`] tells when a value was renamed;
//! * for a deleted custom field: its stored values are cleared (the SQLite column stays, empty, so that
//!   other handles still holding the previous schema keep working); its change log stays readable, and
//!   each record that held a value gets a new version and a change-log entry, for the same reason.
//!
//! **Visible to every handle.** Before each schema edit and each record write the service compares the
//! stored schema version with its own (one indexed row read, `crm_meta.schema_version`) and reloads the
//! schema when another handle changed it; [`Crm::refresh_schema`] does the same on demand. Reads through
//! `&self` (`get`, `find`, `count`, `aggregate`, listings, searches, keyset pages) make the same check and
//! use the stored schema when it is newer ([`Crm::current_schema`]), so a field another handle added is
//! read and filterable at once; only [`Crm::schema`] / [`Crm::module`] show this handle's copy until its
//! next write or refresh. Two handles editing at once cannot lose an edit: the stored
//! version is checked again inside the write transaction and the edit is re-validated on the fresh schema.
//!
//! **Existing records survive every change.** A new mandatory field does not touch stored records; the
//! next time such a record is saved, the save must supply a value, or the field's default fills it
//! (defaults fill empty mandatory fields on update, not only on create). A hidden field keeps its data and
//! stays writable through the API. Role scopes and dependencies keep values a record already holds (see
//! [`crate::schema::picklist_rules`]).
//!
//! **Other concerns (saved filters, workflows).** [`Crm::schema_change_dependents`] is the one hook they
//! extend: it receives each edit before it is stored and may add writes to the same transaction (rewrite a
//! renamed picklist value in filter and workflow conditions) or report uses of a field that is being
//! deleted. Deleting a field that is still in use is **refused** with [`SchemaError::InUse`], listing the
//! uses, rather than silently removing conditions (vtiger removes them from filters and reports, which
//! changes what a filter selects without anyone noticing).

use super::Crm;
use crate::error::{Error, Result, ValidationErrors};
use crate::record::Values;
use crate::schema::edit::{self, FieldUpdate, NewField, SchemaChange, SchemaChangeEntry, SchemaError, ValueRewrite};
use crate::schema::{Block, Field, Module, Schema, StageKind, picklist_rules};
use crate::storage::ChangeSet;
use crate::storage::{SchemaStoreChange, ViewChange, WorkflowChange};
use crate::value::{Value, coerce};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::sync::Arc;

/// How often an edit is re-validated and retried when another handle changed the schema meanwhile.
const SCHEMA_RETRIES: usize = 8;

impl Crm {
    /// Reloads the schema when another handle of the same database changed it. Returns true when it did.
    ///
    /// # Errors
    /// Storage errors.
    pub fn refresh_schema(&mut self) -> Result<bool> {
        if self.store.schema_version()? == Some(self.schema.version) {
            return Ok(false);
        }
        match self.store.load_schema()? {
            Some(s) => {
                let changed = s.version != self.schema.version;
                self.schema = Arc::new(s);
                Ok(changed)
            }
            None => Ok(false),
        }
    }

    /// The schema record reads use: the one in force ([`Crm::schema`]), or the stored one when another
    /// handle of the same database changed it since this handle last wrote or refreshed. Costs one indexed
    /// row read; [`Crm::find`], [`Crm::count`], [`Crm::get`], listings and searches go through it, so reads
    /// see other handles' schema changes without `&mut self`. [`Crm::schema`] and [`Crm::module`] keep
    /// returning this handle's copy until its next write or [`Crm::refresh_schema`].
    ///
    /// # Errors
    /// Storage errors.
    pub fn current_schema(&self) -> Result<Arc<Schema>> {
        Ok(self.store.newer_schema(self.schema.version)?.unwrap_or_else(|| Arc::clone(&self.schema)))
    }

    /// A module of [`Crm::current_schema`] by name or label.
    pub(crate) fn read_module<'a>(schema: &'a Schema, name: &str) -> Result<&'a Module> {
        schema.module(name).ok_or_else(|| Error::not_found(format!("module '{name}'")))
    }

    /// Applies one schema edit and stores it, with its log entry and the record rewrites it implies, in
    /// one transaction. All the named helpers below go through here.
    ///
    /// # Errors
    /// `Schema(SchemaError)` when a rule refuses the edit (nothing is changed); `Conflict` when other
    /// handles kept changing the schema; storage errors.
    pub fn apply_schema_change(&mut self, change: SchemaChange) -> Result<SchemaChangeEntry> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.refresh_schema()?;
            let before = Arc::clone(&self.schema);
            let change = edit::prepare(&before, change.clone())?;
            let after = edit::apply(&before, &change)?;
            let rewrites = edit::value_rewrites(&before, &change)?;
            let (actor, at) = (self.actor_name(), self.now());
            let mut cs = ChangeSet::new();
            cs.push(SchemaStoreChange::Put { schema: Box::new(after.clone()), expected_version: before.version });
            if let SchemaChange::DeleteField { module, field } = &change {
                let m = before.module(module).ok_or_else(|| SchemaError::UnknownModule(module.clone()))?;
                let f = m
                    .field_by_name_or_label(field)
                    .ok_or_else(|| SchemaError::UnknownField { module: m.name.clone(), field: field.clone() })?;
                cs.push(SchemaStoreChange::ClearField { module: m.name.clone(), field: f.name.clone(), actor: actor.clone(), at });
                if let Some(copy) = edit::base_copy_of(m, f) {
                    // The money field's base-currency copy is deleted with it.
                    cs.push(SchemaStoreChange::ClearField { module: m.name.clone(), field: copy.name, actor: actor.clone(), at });
                }
            }
            for rw in &rewrites {
                for (module, field, _) in &rw.fields {
                    cs.push(SchemaStoreChange::ReplacePicklistValue {
                        module: module.clone(),
                        field: field.clone(),
                        from: rw.from.clone(),
                        to: rw.to.clone(),
                        actor: actor.clone(),
                        at,
                    });
                }
            }
            let uses = self.schema_change_dependents(&before, &after, &change, &rewrites, &mut cs)?;
            if let (SchemaChange::DeleteField { field, .. }, false) = (&change, uses.is_empty()) {
                return Err(SchemaError::InUse { field: field.clone(), uses }.into());
            }
            let entry = SchemaChangeEntry { version: after.version, actor, at, change };
            cs.push(SchemaStoreChange::Log(entry.clone()));
            cs.push(crate::storage::RecordChange::History(crate::feed::schema_entry(entry.change.module(), before.version, &entry)?));
            match self.commit(&cs) {
                Ok(()) => {
                    self.schema = Arc::new(after);
                    return Ok(entry);
                }
                Err(Error::Conflict(_)) if attempt < SCHEMA_RETRIES => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// **Extension point** for concerns that keep their own references to fields and picklist values
    /// (saved filters, workflow conditions and tasks, reports). Called for every schema edit before it is
    /// stored, with the schema before and after, the edit, and the picklist values it renames or removes
    /// (`rewrites`, each with every `(module, field, multi)` using the picklist).
    ///
    /// * To rewrite stored conditions in the same transaction, push your `Change`s into `cs`, e.g. for
    ///   each `rw` in `rewrites`: replace `rw.from` by `rw.to` (or drop the condition value when `None`)
    ///   in every filter/workflow condition on one of `rw.fields`.
    /// * To block deleting a field, return a description of each use (`"filter 'Big deals'"`); a
    ///   [`SchemaChange::DeleteField`] with uses is refused with [`SchemaError::InUse`].
    ///
    /// Picklist dependencies are checked inside `edit::apply`; saved filters and workflows are checked and
    /// rewritten here.
    pub(crate) fn schema_change_dependents(
        &self,
        before: &Schema,
        after: &Schema,
        change: &SchemaChange,
        rewrites: &[ValueRewrite],
        cs: &mut ChangeSet,
    ) -> Result<Vec<String>> {
        let _ = after;
        let mut uses = Vec::new();
        // Saved filters: deleting a field they use is refused (listing them); picklist renames and
        // replacements rewrite their condition values in the same transaction.
        if let SchemaChange::DeleteField { module, field } = change {
            let label = before.module(module).and_then(|m| m.field(field)).map(|f| f.label.clone()).unwrap_or_default();
            let is_it = |x: &str| x == field || (!label.is_empty() && x.eq_ignore_ascii_case(&label));
            for f in self.store.filters(module)? {
                let used = f.columns.iter().any(|c| is_it(c))
                    || f.std_filter.as_ref().is_some_and(|s| is_it(&s.field))
                    || f.all.iter().chain(&f.any).any(|c| is_it(&c.field))
                    || f.sort.iter().any(|s| is_it(&s.field));
                if used {
                    uses.push(format!("filter '{}'", f.name));
                }
            }
        }
        // Workflows: deleting a field that a workflow tests, sets or mentions in an expression or template
        // is refused; picklist renames rewrite rawtext compare values and rawtext assignments.
        if let SchemaChange::DeleteField { module, field } = change {
            for w in self.store.workflows()? {
                if (w.module == *module && mentions(&w, field)) || mentions(&w.tasks, field) {
                    uses.push(format!("workflow '{}'", w.name));
                }
            }
        }
        for rw in rewrites {
            for mut w in self.store.workflows()? {
                let targets: Vec<&str> = rw.fields.iter().filter(|(m, _, _)| *m == w.module).map(|(_, f, _)| f.as_str()).collect();
                if targets.is_empty() {
                    continue;
                }
                let mut changed = w.condition.replace_raw_value(&targets, &rw.from, rw.to.as_deref());
                for t in &mut w.tasks {
                    if let crate::workflow::task::Action::UpdateFields { updates } = &mut t.action {
                        for u in updates.iter_mut() {
                            let own = matches!(&u.field, crate::workflow::condition::FieldPath::Own(f) if targets.contains(&f.as_str()));
                            if own && u.value_type == crate::workflow::task::ValueType::Rawtext && u.value == rw.from {
                                u.value = rw.to.clone().unwrap_or_default();
                                changed = true;
                            }
                        }
                    }
                }
                if changed {
                    cs.push(WorkflowChange::PutWorkflow(w));
                }
            }
            for (module, field, _) in &rw.fields {
                let label = before.module(module).and_then(|m| m.field(field)).map(|f| f.label.clone()).unwrap_or_default();
                for mut f in self.store.filters(module)? {
                    let mut changed = false;
                    for c in f.all.iter_mut().chain(f.any.iter_mut()) {
                        if c.field != *field && (label.is_empty() || !c.field.eq_ignore_ascii_case(&label)) {
                            continue;
                        }
                        let joined = edit::replace_in_value_list(&c.value, &rw.from, rw.to.as_deref());
                        if joined != c.value {
                            c.value = joined;
                            changed = true;
                        }
                    }
                    if changed {
                        cs.push(ViewChange::PutFilter(f));
                    }
                }
            }
        }
        Ok(uses)
    }

    /// The stored schema change log, oldest first.
    pub fn schema_changes(&self) -> Result<Vec<SchemaChangeEntry>> {
        self.store.schema_changes()
    }

    /// One page of the schema change log, oldest first: at most `limit` changes whose version is above
    /// `after` (keyset paging: pass the last change's version for the next page; `None` starts at the
    /// beginning). SQL stores read only the page.
    ///
    /// # Errors
    /// `InvalidArgument` when `limit` is 0 or above [`MAX_LOG_PAGE`](crate::limits::MAX_LOG_PAGE).
    pub fn schema_changes_page(&self, after: Option<u64>, limit: u64) -> Result<Vec<SchemaChangeEntry>> {
        let limit = crate::limits::log_page(limit)?;
        self.store.schema_changes_page(after, limit)
    }

    // ----- layout editor -----

    /// Adds a custom field and returns it (with its generated `cf_<n>` name unless one was given).
    ///
    /// # Example
    /// ```
    /// use crm_core::{Crm, FieldType, NewField};
    /// # fn main() -> Result<(), crm_core::Error> {
    /// let mut crm = Crm::open(":memory:")?;
    /// let f = crm.add_field("Potentials", NewField::new("Region", FieldType::Picklist).values(&["EU", "US"]))?;
    /// assert!(f.name.starts_with("cf_"));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// `Schema` for a duplicate label or name, a bad option or default.
    pub fn add_field(&mut self, module: &str, field: NewField) -> Result<Field> {
        let entry = self.apply_schema_change(SchemaChange::AddField { module: module.to_string(), field })?;
        match entry.change {
            SchemaChange::AddField { module, field } => {
                let f = self.field_of(&module, field.name.as_deref().unwrap_or_default())?;
                if f.field_type == crate::schema::FieldType::Currency {
                    self.add_money_copies(&module)?; // the record's currency and the field's base copy
                }
                Ok(f)
            }
            _ => Err(Error::invalid("unexpected change")),
        }
    }

    /// Changes a field's label, flags, default or (losslessly) its type options; returns the field.
    ///
    /// # Errors
    /// `Schema` (unknown field, compulsory field made optional or hidden, lossy change, bad default, ...).
    pub fn update_field(&mut self, module: &str, field: &str, update: FieldUpdate) -> Result<Field> {
        self.refresh_schema()?;
        let name = self.field_of(module, field)?.name;
        self.apply_schema_change(SchemaChange::UpdateField { module: module.to_string(), field: name.clone(), update })?;
        self.field_of(module, &name)
    }

    /// Moves a field to a block at a 1-based position (`None`: at the end).
    pub fn move_field(&mut self, module: &str, field: &str, block: &str, position: Option<u32>) -> Result<SchemaChangeEntry> {
        self.apply_schema_change(SchemaChange::MoveField { module: module.into(), field: field.into(), block: block.into(), position })
    }

    /// Reorders the fields of a block (the listed ones first, the others after them as they were).
    pub fn reorder_fields(&mut self, module: &str, block: &str, fields: &[&str]) -> Result<SchemaChangeEntry> {
        self.apply_schema_change(SchemaChange::ReorderFields { module: module.into(), block: block.into(), fields: strings(fields) })
    }

    /// Deletes a custom field: its values are removed from every record, its change log stays readable.
    ///
    /// # Errors
    /// `Schema(Standard)` for a standard field; `Schema(InUse)` while a dependency (or, once wired, a
    /// filter or workflow) uses it.
    pub fn delete_field(&mut self, module: &str, field: &str) -> Result<SchemaChangeEntry> {
        self.apply_schema_change(SchemaChange::DeleteField { module: module.into(), field: field.into() })
    }

    /// Adds a custom block at the end of the layout and returns it.
    pub fn add_block(&mut self, module: &str, label: &str) -> Result<Block> {
        let entry = self.apply_schema_change(SchemaChange::AddBlock { module: module.into(), name: None, label: label.into() })?;
        let SchemaChange::AddBlock { module, name, .. } = entry.change else { return Err(Error::invalid("unexpected change")) };
        self.module(&module)?
            .blocks
            .iter()
            .find(|b| Some(&b.name) == name.as_ref())
            .cloned()
            .ok_or_else(|| Error::not_found("the new block"))
    }

    /// Changes a block's label.
    pub fn rename_block(&mut self, module: &str, block: &str, label: &str) -> Result<SchemaChangeEntry> {
        self.apply_schema_change(SchemaChange::RenameBlock { module: module.into(), block: block.into(), label: label.into() })
    }

    /// Reorders blocks (the listed ones first).
    pub fn reorder_blocks(&mut self, module: &str, blocks: &[&str]) -> Result<SchemaChangeEntry> {
        self.apply_schema_change(SchemaChange::ReorderBlocks { module: module.into(), blocks: strings(blocks) })
    }

    /// Deletes an empty custom block.
    pub fn delete_block(&mut self, module: &str, block: &str) -> Result<SchemaChangeEntry> {
        self.apply_schema_change(SchemaChange::DeleteBlock { module: module.into(), block: block.into() })
    }

    // ----- picklist editor -----

    /// Appends values to a field's picklist.
    pub fn add_picklist_values(&mut self, module: &str, field: &str, values: &[&str]) -> Result<SchemaChangeEntry> {
        self.apply_schema_change(SchemaChange::AddPicklistValues { module: module.into(), field: field.into(), values: strings(values) })
    }

    /// Reorders a picklist (the listed values first).
    pub fn reorder_picklist(&mut self, module: &str, field: &str, values: &[&str]) -> Result<SchemaChangeEntry> {
        self.apply_schema_change(SchemaChange::ReorderPicklist { module: module.into(), field: field.into(), values: strings(values) })
    }

    /// Renames a picklist value; every record, default and dependency holding it is rewritten in the same
    /// transaction.
    ///
    /// # Errors
    /// `Schema(NotEditable)` for Closed Won / Closed Lost; `Schema(DuplicateValue)`; `Schema(UnknownValue)`.
    pub fn rename_picklist_value(&mut self, module: &str, field: &str, from: &str, to: &str) -> Result<SchemaChangeEntry> {
        self.apply_schema_change(SchemaChange::RenamePicklistValue {
            module: module.into(),
            field: field.into(),
            from: from.into(),
            to: to.into(),
        })
    }

    /// Deletes picklist values; records holding them move to `replacement` in the same transaction.
    ///
    /// # Errors
    /// `Schema(MandatoryPicklist)` without a replacement for a picklist a mandatory field uses, or when the
    /// last value would go; `Schema(NotEditable)`; `Schema(UnknownValue)`.
    pub fn delete_picklist_values(
        &mut self,
        module: &str,
        field: &str,
        values: &[&str],
        replacement: Option<&str>,
    ) -> Result<SchemaChangeEntry> {
        self.apply_schema_change(SchemaChange::DeletePicklistValues {
            module: module.into(),
            field: field.into(),
            values: strings(values),
            replacement: replacement.map(str::to_string),
        })
    }

    /// Limits a picklist value to some roles (empty: every role).
    pub fn set_picklist_value_roles(&mut self, module: &str, field: &str, value: &str, roles: &[&str]) -> Result<SchemaChangeEntry> {
        self.apply_schema_change(SchemaChange::SetPicklistValueRoles {
            module: module.into(),
            field: field.into(),
            value: value.into(),
            roles: strings(roles),
        })
    }

    /// Makes `target` depend on `source`: with a source value listed in `mapping`, the target may only take
    /// the values listed for it. An empty mapping removes the dependency.
    ///
    /// # Errors
    /// `Schema(Dependency)` for a cycle or a second controlling field; `Schema(UnknownValue)`.
    pub fn set_picklist_dependency(
        &mut self,
        module: &str,
        source: &str,
        target: &str,
        mapping: &[(&str, &[&str])],
    ) -> Result<SchemaChangeEntry> {
        let mapping: BTreeMap<String, Vec<String>> = mapping.iter().map(|(k, v)| ((*k).to_string(), strings(v))).collect();
        self.apply_schema_change(SchemaChange::SetPicklistDependency {
            module: module.into(),
            source: source.into(),
            target: target.into(),
            mapping,
        })
    }

    /// Sets the kind (open/won/lost) and default probability of a sales stage.
    pub fn set_stage_meta(&mut self, value: &str, kind: StageKind, probability: Decimal) -> Result<SchemaChangeEntry> {
        self.apply_schema_change(SchemaChange::SetStageMeta { value: value.into(), kind, probability })
    }

    /// The values of a picklist field an acting user with `role` may choose (`None`: every value).
    pub fn picklist_values(&self, module: &str, field: &str, role: Option<&str>) -> Result<Vec<String>> {
        let f = self.field_of(module, field)?;
        let p = f.picklist_name().and_then(|p| self.schema.picklist(p)).ok_or_else(|| SchemaError::NotAPicklist(f.name.clone()))?;
        Ok(p.values
            .iter()
            .filter(|v| role.is_none_or(|r| v.roles.is_empty() || v.roles.iter().any(|x| x == r)))
            .map(|v| v.value.clone())
            .collect())
    }

    // ----- hooks used by the save pipeline (service/records.rs) -----

    /// Runs before the standard checks of every create and update: on update, fills empty mandatory
    /// fields that have a default (so that records stored before a field became mandatory can be saved);
    /// then checks role-scoped picklist values and picklist dependencies.
    pub(crate) fn apply_customization_rules(
        &self,
        schema: &Schema,
        m: &Module,
        plan: &crate::service::save_plan::SavePlan,
        values: &mut Values,
        before: Option<&Values>,
        errors: &mut ValidationErrors,
    ) {
        if before.is_some() {
            for f in m.fields.iter().filter(|f| f.mandatory && f.is_writable()) {
                if values.get(&f.name).is_none_or(Value::is_empty)
                    && let Some(v) = f.default.as_ref().and_then(|d| coerce(f, Value::Text(d.clone())).ok()).filter(|v| !v.is_empty())
                {
                    values.insert(f.name.clone(), v);
                }
            }
        }
        // Without a role-restricted value among the module's picklists, no role can be refused one.
        let role = self.actor.as_ref().filter(|_| plan.role_restricted).map(|u| u.role.as_deref());
        for e in picklist_rules::check(schema, m, values, before, role) {
            errors.push(e);
        }
    }

    fn field_of(&self, module: &str, field: &str) -> Result<Field> {
        let m = self.module(module)?;
        m.field_by_name_or_label(field)
            .cloned()
            .ok_or_else(|| SchemaError::UnknownField { module: m.name.clone(), field: field.to_string() }.into())
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_string()).collect()
}

/// True when `text` (any serialisable value) names `field` as a whole identifier.
fn mentions<T: serde::Serialize + ?Sized>(value: &T, field: &str) -> bool {
    let text = serde_json::to_string(value).unwrap_or_default();
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(field).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + field.len()..].chars().next();
        !before.is_some_and(ident) && !after.is_some_and(ident)
    })
}
