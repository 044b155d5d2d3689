//! Record operations: create, quick create, update, delete, restore, purge, get, find, history.

use super::Crm;
use super::save_plan::SavePlan;
use crate::error::{Error, FieldError, Result, ValidationCode, ValidationErrors};
use crate::history::{self, ChangeKind, HistoryEntry, STAGE_FIELDS, StageDuration, StageEntry};
use crate::query::{Aggregate, Query};
use crate::record::Values;
use crate::record::{Fields, Record};
use crate::schema::{FieldType, Maintained, Module, Schema};
use crate::storage::RecordChange;
use crate::storage::{Change, ChangeSet};
use crate::value::{RecordId, Value, coerce};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// One page of a listing with the total count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page {
    /// The records of the page.
    #[serde(skip)]
    pub records: Vec<Record>,
    /// How many records match in all.
    pub total: u64,
    /// Page number (1-based).
    pub page: u64,
    /// Page size.
    pub page_size: u64,
}

/// How input fields are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Full create.
    Create,
    /// Quick create: mandatory and quick-create fields only.
    QuickCreate,
    /// Partial update.
    Update,
}

/// Fields left out of change-log entries (vtiger leaves out modifiedtime as well), and the built-in
/// base-currency copies (derived from the amount, currency and date that are logged).
const UNLOGGED: [&str; 6] = ["modifiedtime", "modifiedby", "amount_base", "forecast_amount_base", "hdnSubTotal_base", "hdnGrandTotal_base"];

impl Crm {
    /// Creates a record with full validation. Fields not given take their defaults; `assigned_user_id`
    /// defaults to the acting user. Every problem is reported at once; nothing is stored on failure.
    ///
    /// # Errors
    /// `Validation` with every field problem; `NotFound` for an unknown module.
    pub fn create(&mut self, module: &str, fields: Fields) -> Result<Record> {
        let done = self.insert(module, fields, Mode::Create, "CRM");
        done.map_err(|e| self.localize_error(Some(module), e))
    }

    /// Quick create: only mandatory and quick-create fields are accepted; the rest take defaults.
    ///
    /// # Errors
    /// As [`Crm::create`], plus `NotAllowed` for fields that are not in the quick-create form.
    pub fn quick_create(&mut self, module: &str, fields: Fields) -> Result<Record> {
        let done = self.insert(module, fields, Mode::QuickCreate, "CRM");
        done.map_err(|e| self.localize_error(Some(module), e))
    }

    /// Reads a live record. A record in the recycle bin is not read as if it were live: like vtiger,
    /// `get` refuses it with `NotFound`; read it with [`Crm::get_deleted`].
    ///
    /// # Errors
    /// `NotFound` when no record has this id or the record is in the recycle bin.
    pub fn get(&self, id: RecordId) -> Result<Record> {
        let mut r = self.live_visible(id)?; // access control: NotFound when not visible
        self.redact(&mut r)?;
        Ok(r)
    }

    /// Reads a record in the recycle bin (the recycle bin's own read, as vtiger's Recycle Bin module
    /// shows deleted records; list them with a query whose `deleted` is true).
    ///
    /// # Errors
    /// `NotFound` when no record has this id or the record is live.
    pub fn get_deleted(&self, id: RecordId) -> Result<Record> {
        let mut r = self.load(id)?;
        if !r.deleted {
            return Err(Error::not_found(format!("record {id} is not in the recycle bin")));
        }
        self.check_record(&r, crate::access::Action::View)?; // access control
        self.redact(&mut r)?;
        Ok(r)
    }

    /// Reads a record whether live or in the recycle bin, for the operations that handle both (restore,
    /// purge, history, links of deleted records).
    pub(crate) fn load(&self, id: RecordId) -> Result<Record> {
        self.store.get(id)?.ok_or_else(|| Error::not_found(format!("record {id}")))
    }

    /// Changes the given fields of a record; the others keep their values.
    ///
    /// # Errors
    /// `Validation`; `NotFound` for an unknown or deleted record; `Conflict` when another handle changed it
    /// meanwhile.
    pub fn update(&mut self, id: RecordId, fields: Fields) -> Result<Record> {
        let done = self.update_checked(id, None, fields);
        done.map_err(|e| self.localize_update_error(id, e))
    }

    /// Like [`Crm::update`], but refuses with `Conflict` unless the stored version is `version` — the
    /// optimistic-concurrency form for hosts that read, edit and write back.
    pub fn update_version(&mut self, id: RecordId, version: u64, fields: Fields) -> Result<Record> {
        let done = self.update_checked(id, Some(version), fields);
        done.map_err(|e| self.localize_update_error(id, e))
    }

    /// Moves a record to the recycle bin.
    ///
    /// # Errors
    /// `NotFound`; `Conflict` when it is already deleted.
    pub fn delete(&mut self, id: RecordId) -> Result<()> {
        self.set_deleted(id, true)
    }

    /// Restores a record from the recycle bin. The module's workflows run as for a modification ("every
    /// save", "every modification", "until the condition is first true"), in the same transaction, as vtiger
    /// runs them after a restore.
    ///
    /// # Errors
    /// `NotFound`; `Conflict` when it is not deleted.
    pub fn restore(&mut self, id: RecordId) -> Result<Record> {
        self.set_deleted(id, false)?;
        self.get(id)
    }

    /// Removes a record from the recycle bin for good, with its change log.
    ///
    /// The store deletes it only if it is still in the recycle bin at the version read here: a record
    /// another handle restored or edited in between is never erased (the purge is refused instead).
    ///
    /// # Errors
    /// `NotFound`; `Conflict` when the record is not in the recycle bin, or another handle restored or
    /// changed it meanwhile.
    pub fn purge(&mut self, id: RecordId) -> Result<()> {
        let r = self.load(id)?;
        self.check_record(&r, crate::access::Action::Delete)?; // access control
        if !r.deleted {
            return Err(Error::Conflict(format!("record {id} is not in the recycle bin; delete it first")));
        }
        // The purge removes the record's change log; its `purged` entry comes after, and stays (the feed's event).
        let purged = HistoryEntry::new(id, &r.module, &self.actor_name(), self.now(), ChangeKind::Purged, vec![]);
        self.commit(&ChangeSet(vec![
            Change::Record(RecordChange::Purge { id, expected_version: r.version }),
            Change::Record(RecordChange::History(purged)),
        ]))
    }

    /// Lists the records a query selects.
    ///
    /// # Errors
    /// `InvalidArgument` for unknown fields or operators that do not fit.
    pub fn find(&self, query: Query) -> Result<Vec<Record>> {
        let s = self.current_schema()?;
        let m = Crm::read_module(&s, &query.module)?;
        let query = self.resolve_names(m, query)?;
        let mut records = self.store.query(&self.scoped(super::views::hide_converted(query.normalize(m)?))?)?;
        self.redact_all(&mut records)?;
        Ok(records)
    }

    /// Hands each record a query selects to `f`, in its order and page, until `f` returns `false` or an
    /// error (which is returned). One read of the store — a single statement on SQLite and PostgreSQL, so
    /// one consistent state — holding one record at a time: memory does not grow with the result, unlike
    /// [`Crm::find`], which returns every match at once. Deep listings a page at a time: [`Crm::page_after`].
    ///
    /// ```
    /// # fn main() -> Result<(), crm_core::Error> {
    /// use crm_core::{Crm, Fields, NewUser, Query};
    /// let mut crm = Crm::open(":memory:")?;
    /// crm.add_user(NewUser::new("admin"))?;
    /// crm.set_actor("admin")?;
    /// for name in ["Hooli", "Pied Piper"] {
    ///     crm.create("Accounts", Fields::new().with("accountname", name))?;
    /// }
    /// let mut names = Vec::new();
    /// crm.find_each(Query::new("Accounts").order_by("accountname"), |r| {
    ///     names.push(r.get("accountname").to_text().unwrap_or_default());
    ///     Ok(true)
    /// })?;
    /// assert_eq!(names, ["Hooli", "Pied Piper"]);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`Crm::find`]; and whatever `f` returns.
    pub fn find_each(&self, query: Query, mut f: impl FnMut(Record) -> Result<bool>) -> Result<()> {
        let s = self.current_schema()?;
        let m = Crm::read_module(&s, &query.module)?;
        let query = self.resolve_names(m, query)?;
        let query = self.scoped(super::views::hide_converted(query.normalize(m)?))?; // access control
        let hidden = self.hidden_fields(&m.name)?;
        self.store.query_each(&query, &mut |mut r| {
            for h in &hidden {
                r.values.remove(h);
            }
            f(r)
        })
    }

    /// Counts the records a query selects (ignoring its page).
    pub fn count(&self, query: Query) -> Result<u64> {
        let s = self.current_schema()?;
        let m = Crm::read_module(&s, &query.module)?;
        let query = self.resolve_names(m, query)?;
        self.store.count(&self.scoped(super::views::hide_converted(query.normalize(m)?))?)
    }

    /// One page (1-based) of a query, with the total count.
    ///
    /// Numbered pages skip with `OFFSET` (as vtiger's list view does), so their cost grows with the page
    /// number; to walk deep into a large listing use [`Crm::page_after`], which seeks by the sort key
    /// (keyset paging) and costs the same on every page.
    pub fn page(&self, query: Query, page: u64, page_size: u64) -> Result<Page> {
        let page = page.max(1);
        let total = self.count(query.clone())?;
        let records = self.find(query.page(page, page_size))?;
        Ok(Page { records, total, page, page_size })
    }

    /// Groups the records a query selects and sums decimal fields exactly.
    pub fn aggregate(&self, query: Query, group_by: Option<&str>, sums: &[&str]) -> Result<Vec<Aggregate>> {
        let s = self.current_schema()?;
        let m = Crm::read_module(&s, &query.module)?;
        let group =
            group_by.map(|g| m.field_by_name_or_label(g).map(|f| f.name.clone()).ok_or_else(|| Error::invalid(format!("no field '{g}'"))));
        let group = group.transpose()?;
        let mut names = Vec::new();
        for s in sums {
            let f = m.field_by_name_or_label(s).ok_or_else(|| Error::invalid(format!("no field '{s}'")))?;
            if !f.field_type.is_decimal() && f.field_type != FieldType::Integer {
                return Err(Error::invalid(format!("cannot sum '{}' of type {:?}", f.name, f.field_type)));
            }
            names.push(f.name.clone());
        }
        // Money fields sum their base-currency copies (service::currency_reports).
        let (names, scales) = self.base_sum_fields(m, &names, group.as_deref())?;
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let query = self.resolve_names(m, query)?;
        self.check_fields_visible(&m.name, &refs)?; // access control
        self.check_fields_visible(&m.name, &group.as_deref().into_iter().collect::<Vec<_>>())?;
        let mut groups = self.store.aggregate(&self.scoped(query.normalize(m)?)?, group.as_deref(), &refs)?;
        Crm::rescale_sums(&mut groups, &scales);
        Ok(groups)
    }

    /// The change log of a record, oldest first.
    pub fn history(&self, id: RecordId) -> Result<Vec<HistoryEntry>> {
        let r = self.load(id)?;
        self.check_record(&r, crate::access::Action::View)?; // access control
        self.redact_history(&r.module, self.store.history(id)?)
    }

    /// Drops the changes of fields hidden from the acting user from change-log entries.
    fn redact_history(&self, module: &str, mut entries: Vec<HistoryEntry>) -> Result<Vec<HistoryEntry>> {
        let hidden = self.hidden_fields(module)?;
        if !hidden.is_empty() {
            for e in &mut entries {
                e.changes.retain(|c| !hidden.contains(&c.field));
            }
        }
        Ok(entries)
    }

    /// One page of a record's change log, oldest first: at most `limit` entries whose id is above `after`
    /// (keyset paging: pass the last entry's id to get the next page; `None` starts at the beginning).
    /// SQL stores read only the page, so walking a long log costs bounded memory.
    ///
    /// # Errors
    /// `NotFound` for an unknown record; `InvalidArgument` when `limit` is 0 or above
    /// [`MAX_LOG_PAGE`](crate::limits::MAX_LOG_PAGE).
    pub fn history_page(&self, id: RecordId, after: Option<i64>, limit: u64) -> Result<Vec<HistoryEntry>> {
        let limit = crate::limits::log_page(limit)?;
        let r = self.load(id)?;
        self.check_record(&r, crate::access::Action::View)?; // access control
        self.redact_history(&r.module, self.store.history_page(id, after.unwrap_or(i64::MIN), limit)?)
    }

    /// The stage history of an opportunity, oldest first.
    pub fn stage_history(&self, id: RecordId) -> Result<Vec<StageEntry>> {
        let r = self.load(id)?;
        self.check_record(&r, crate::access::Action::View)?; // access control
        self.store.stage_history(id)
    }

    /// The periods an opportunity spent in each stage, up to now.
    pub fn stage_durations(&self, id: RecordId) -> Result<Vec<StageDuration>> {
        Ok(history::stage_durations(&self.stage_history(id)?, self.now()))
    }

    /// Lets conditions name owners (user name, full name, group name) and referenced records
    /// (`Accounts::::Hooli` or `Hooli`) instead of giving ids, as record input can. Unknown names stay
    /// as they are, so normalization reports them.
    pub(crate) fn resolve_names(&self, m: &Module, query: Query) -> Result<Query> {
        let mut query = query.bounded()?; // before anything walks the condition tree
        fn walk(crm: &Crm, m: &Module, c: &mut crate::query::Condition) -> Result<()> {
            use crate::query::Condition as C;
            match c {
                C::All(v) | C::Any(v) => v.iter_mut().try_for_each(|x| walk(crm, m, x)),
                C::Not(x) => walk(crm, m, x),
                C::Compare { field, values, .. } => {
                    let Some(f) = m.field_by_name_or_label(field) else { return Ok(()) };
                    for v in values.iter_mut() {
                        let Value::Text(t) = v else { continue };
                        if t.trim().is_empty() || (t.trim().parse::<i64>().is_ok() && f.field_type != FieldType::Picklist) {
                            continue;
                        }
                        match f.field_type {
                            // Picklist values match ignoring case, as record input does.
                            FieldType::Picklist | FieldType::MultiPicklist => {
                                if let Some(pv) =
                                    f.picklist_name().and_then(|p| crm.schema.picklist(p)).and_then(|p| p.find_ignore_case(t.trim()))
                                {
                                    *t = pv.value.clone();
                                }
                            }
                            FieldType::Owner => {
                                if let Some(o) = crm.find_owner(t)? {
                                    *v = Value::Owner(o.id());
                                }
                            }
                            FieldType::Reference => {
                                if let Some(id) = crm.resolve_reference(&f.references, t)? {
                                    *v = Value::Ref(id);
                                }
                            }
                            _ => {}
                        }
                    }
                    Ok(())
                }
            }
        }
        if let Some(c) = query.condition.as_mut() {
            walk(self, m, c)?;
        }
        Ok(super::currency_reports::money_to_base(m, query))
    }

    // ----- pipeline -----

    fn insert(&mut self, module: &str, fields: Fields, mode: Mode, source: &str) -> Result<Record> {
        let (record, cs) = self.plan_insert(module, fields, mode, source)?;
        self.check_duplicate_rules(&record, None, &[])?; // duplicate-prevention rules (service::duplicates)
        self.commit(&cs)?;
        Ok(record)
    }

    /// Validates a new record and returns it with everything its creation writes (record, change log,
    /// stage history), without committing. Ids and auto-numbers are reserved. Used by [`Crm::create`] and by
    /// bulk operations that commit many records per transaction.
    pub(crate) fn plan_insert(&mut self, module: &str, fields: Fields, mode: Mode, source: &str) -> Result<(Record, ChangeSet)> {
        self.in_one_save(|crm| crm.plan_insert_checked(module, fields, mode, source))
    }

    fn plan_insert_checked(&mut self, module: &str, fields: Fields, mode: Mode, source: &str) -> Result<(Record, ChangeSet)> {
        self.refresh_schema_for_write()?;
        let (schema, name) = self.module_arc(module)?;
        let m = &schema.modules[&name];
        self.check_input(m, &fields, crate::access::Action::Create)?; // access control
        let plan = self.save_plan(&schema, m);
        let mut values = plan.new_values();
        if let (Some(u), true) = (&self.actor, plan.owner) {
            values.insert("assigned_user_id".into(), Value::Owner(u.id));
        }
        let mut errors = ValidationErrors::default();
        let given = gives_probability(&plan, m, &fields);
        let dir = self.directory()?;
        self.apply_input(&plan, m, &mut values, fields, mode, &mut errors, &dir)?;
        self.autofill_probability(&schema, m, &mut values, None, given);
        self.apply_analytics_rules(&schema, m, &mut values, None, &mut errors);
        let now = self.now();
        self.stamp(&plan, &mut values, now);
        if plan.created_time {
            values.insert("createdtime".into(), Value::DateTime(now));
        }
        if plan.source {
            values.insert("source".into(), Value::Text(source.into()));
        }
        self.apply_customization_rules(&schema, m, &plan, &mut values, None, &mut errors);
        self.check(&schema, m, &mut values, &mut errors)?;
        self.currency_input(m, &plan.money, &mut values, None, &mut errors)?;
        sort_errors(m, &mut errors);
        errors.into_result()?;

        let id = RecordId(self.next_id()?);
        if let Some(an) = &m.auto_number {
            let no = self.take_auto_number(&m.name, &an.prefix)?;
            values.insert(an.field.clone(), Value::Text(no));
        }
        let mut record = Record { id, module: m.name.clone(), label: label_of(m, &values), version: 1, deleted: false, values };
        let (extra, set) = self.apply_workflows(None, &mut record, crate::workflow::Event::Create)?;
        self.currency_refill(m, &plan.money, &mut record.values, &set)?;
        let actor = self.actor_name();
        let mut cs = ChangeSet::new();
        cs.push(RecordChange::Insert(record.clone()));
        cs.push(RecordChange::History(HistoryEntry::new(
            id,
            &m.name,
            &actor,
            now,
            ChangeKind::Created,
            history::diff(&Values::new(), &record.values, &UNLOGGED),
        )));
        if plan.stage_history {
            cs.push(RecordChange::Stage(StageEntry::of(&record, now, &actor)));
        }
        cs.0.extend(extra.0);
        Ok((record, cs))
    }

    fn update_checked(&mut self, id: RecordId, expected: Option<u64>, fields: Fields) -> Result<Record> {
        let current = self.live_visible(id)?;
        let mut out = match self.plan_update(&current, expected, fields)? {
            Some((record, cs)) => {
                self.check_duplicate_rules(&record, Some(&current), &[])?; // duplicate-prevention rules (service::duplicates)
                self.commit(&cs)?;
                record
            }
            None => current,
        };
        self.redact(&mut out)?;
        Ok(out)
    }

    /// Validates a change to `current` and returns the new record with everything the change writes,
    /// without committing; `None` when nothing would change.
    pub(crate) fn plan_update(&mut self, current: &Record, expected: Option<u64>, fields: Fields) -> Result<Option<(Record, ChangeSet)>> {
        self.in_one_save(|crm| crm.plan_update_checked(current, expected, fields))
    }

    fn plan_update_checked(&mut self, current: &Record, expected: Option<u64>, fields: Fields) -> Result<Option<(Record, ChangeSet)>> {
        let mut fresh = if self.refresh_schema_for_write()? { Some(self.load(current.id)?) } else { None };
        // A schema edit may have committed between reading the schema and the record again: the record
        // then holds values the schema lacks (a renamed picklist value). Read both again until they agree.
        let mut tries = 0;
        while fresh.is_some() && self.store.schema_version()? != Some(self.schema.version) {
            tries += 1;
            if tries > 8 {
                return Err(Error::Conflict("the schema kept changing while the record was read".into()));
            }
            self.refresh_schema()?;
            fresh = Some(self.load(current.id)?);
        }
        let current = fresh.as_ref().unwrap_or(current);
        let id = current.id;
        if current.deleted {
            return Err(Error::not_found(format!("record {id} is in the recycle bin")));
        }
        if let Some(v) = expected
            && v != current.version
        {
            return Err(Error::Conflict(format!("record {id} is at version {}, not {v}", current.version)));
        }
        let (schema, name) = self.module_arc(&current.module)?;
        let m = &schema.modules[&name];
        self.check_record(current, crate::access::Action::Edit)?; // access control
        self.check_input(m, &fields, crate::access::Action::Edit)?;
        let plan = self.save_plan(&schema, m);
        let mut values = current.values.clone();
        let mut errors = ValidationErrors::default();
        let given = gives_probability(&plan, m, &fields);
        let dir = self.directory()?;
        self.apply_input(&plan, m, &mut values, fields, Mode::Update, &mut errors, &dir)?;
        self.autofill_probability(&schema, m, &mut values, Some(&current.values), given);
        self.apply_analytics_rules(&schema, m, &mut values, Some(&current.values), &mut errors);
        self.apply_customization_rules(&schema, m, &plan, &mut values, Some(&current.values), &mut errors);
        self.check(&schema, m, &mut values, &mut errors)?;
        self.currency_input(m, &plan.money, &mut values, Some(&current.values), &mut errors)?;
        sort_errors(m, &mut errors);
        errors.into_result()?;
        let changes = history::diff(&current.values, &values, &UNLOGGED);
        if changes.is_empty() {
            return Ok(None);
        }
        let now = self.now();
        self.stamp(&plan, &mut values, now);
        let mut record = Record { label: label_of(m, &values), version: current.version + 1, values, ..current.clone() };
        let (extra, set) = self.apply_workflows(Some(current), &mut record, crate::workflow::Event::Update)?;
        self.currency_refill(m, &plan.money, &mut record.values, &set)?;
        let changes = history::diff(&current.values, &record.values, &UNLOGGED);
        let actor = self.actor_name();
        let mut cs = ChangeSet::new();
        cs.push(RecordChange::Update { record: record.clone(), expected_version: current.version });
        cs.push(RecordChange::History(HistoryEntry::new(id, &m.name, &actor, now, ChangeKind::Updated, changes.clone())));
        if plan.stage_history && changes.iter().any(|c| STAGE_FIELDS.contains(&c.field.as_str()) || c.field == "forecast_amount") {
            cs.push(RecordChange::Stage(StageEntry::of(&record, now, &actor)));
        }
        cs.0.extend(extra.0);
        Ok(Some((record, cs)))
    }

    fn set_deleted(&mut self, id: RecordId, deleted: bool) -> Result<()> {
        let current = self.load(id)?;
        self.check_record(&current, crate::access::Action::Delete)?; // access control
        if current.deleted == deleted {
            let state = if deleted { "already in" } else { "not in" };
            return Err(Error::Conflict(format!("record {id} is {state} the recycle bin")));
        }
        let now = self.now();
        let mut record = Record { deleted, version: current.version + 1, ..current.clone() };
        // A restore runs the module's workflows like a modification (vtiger does too); their writes share
        // the restore's transaction and its change-log entry.
        let (extra, set) =
            if deleted { Default::default() } else { self.apply_workflows(Some(&current), &mut record, crate::workflow::Event::Update)? };
        let changes = crate::history::diff(&current.values, &record.values, &["modifiedtime", "modifiedby"]);
        let schema = Arc::clone(&self.schema);
        if let Some(m) = schema.modules.get(&record.module) {
            let plan = self.save_plan(&schema, m);
            self.currency_refill(m, &plan.money, &mut record.values, &set)?; // what the workflows changed
        }
        let mut cs = ChangeSet::new();
        cs.push(RecordChange::Update { record, expected_version: current.version });
        cs.push(RecordChange::History(HistoryEntry::new(
            id,
            &current.module,
            &self.actor_name(),
            now,
            if deleted { ChangeKind::Deleted } else { ChangeKind::Restored },
            changes,
        )));
        cs.0.extend(extra.0);
        if !deleted {
            cs.0.extend(self.plan_unmerge(&current)?.0); // a merged record's restore undoes its merge (service::merge)
        }
        self.commit(&cs)
    }

    /// Sets modifiedtime and modifiedby.
    fn stamp(&self, plan: &SavePlan, values: &mut Values, now: chrono::NaiveDateTime) {
        if plan.modified_time {
            values.insert("modifiedtime".into(), Value::DateTime(now));
        }
        if plan.modified_by {
            values.insert("modifiedby".into(), self.actor.as_ref().map_or(Value::Null, |u| Value::Owner(u.id)));
        }
    }

    /// Converts input values into field values, collecting problems. Names are resolved for references
    /// (`Accounts::::Hooli` or `Hooli`) and owners (user name, full name or group name).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn apply_input(
        &self,
        plan: &SavePlan,
        m: &Module,
        values: &mut Values,
        fields: Fields,
        mode: Mode,
        errors: &mut ValidationErrors,
        dir: &crate::user::Directory,
    ) -> Result<()> {
        for (name, value) in fields {
            let Some((position, f)) = plan.field(m, &name) else {
                errors.push(FieldError::new(&name, ValidationCode::UnknownField, format!("{} has no field '{name}'", m.name)));
                continue;
            };
            if plan.is_base_copy(position) {
                continue; // derived from amount, currency and date on every save: a record handed back keeps working
            }
            if f.maintained == Maintained::System {
                errors.push(FieldError::new(&f.name, ValidationCode::ReadOnly, "is maintained by crm and cannot be set"));
                continue;
            }
            if mode == Mode::QuickCreate && !f.quick_create && !f.mandatory {
                errors.push(FieldError::new(&f.name, ValidationCode::NotAllowed, "is not in the quick-create form"));
                continue;
            }
            let value = match (f.field_type, value) {
                (FieldType::Reference, Value::Text(s)) if s.trim().parse::<i64>().is_err() && !s.trim().is_empty() => {
                    match self.resolve_reference(&f.references, &s)? {
                        Some(id) => Value::Ref(id),
                        None => {
                            errors.push(FieldError::new(
                                &f.name,
                                ValidationCode::InvalidReference,
                                format!("no {} named '{}'", f.references.join(" or "), strip_module_prefix(&s).1),
                            ));
                            continue;
                        }
                    }
                }
                (FieldType::Owner, Value::Text(s)) if s.trim().parse::<i64>().is_err() && !s.trim().is_empty() => {
                    match dir.find_owner(&s) {
                        Some(o) => Value::Owner(o.id()),
                        None => {
                            errors.push(FieldError::new(&f.name, ValidationCode::UnknownOwner, format!("no user or group named '{s}'")));
                            continue;
                        }
                    }
                }
                (_, v) => v,
            };
            match coerce(f, value) {
                Ok(v) if v.is_empty() => {
                    values.remove(&f.name);
                }
                Ok(v) => {
                    values.insert(f.name.clone(), v);
                }
                Err(e) => errors.push(e),
            }
        }
        Ok(())
    }

    /// Finds a record by name in the allowed modules (`Module::::Name` narrows the module).
    pub(crate) fn resolve_reference(&self, modules: &[String], text: &str) -> Result<Option<RecordId>> {
        let (module, name) = strip_module_prefix(text);
        for m in modules {
            if module.is_some_and(|x| !x.eq_ignore_ascii_case(m)) {
                continue;
            }
            if let Some(id) = self.store.find_by_label(m, name)?.first() {
                return Ok(Some(*id));
            }
        }
        Ok(None)
    }

    /// Stage → probability: on create without a probability, or when the stage changes without one.
    pub(crate) fn autofill_probability(
        &self,
        schema: &Schema,
        m: &Module,
        values: &mut Values,
        before: Option<&Values>,
        given_probability: bool,
    ) {
        if !schema.settings.stage_probability_autofill || m.field("probability").is_none() {
            return;
        }
        let given_probability = given_probability && values.get("probability").is_some_and(|v| !v.is_empty());
        let stage = values.get("sales_stage").cloned().unwrap_or_default();
        let stage_changed = before.is_none_or(|b| b.get("sales_stage").cloned().unwrap_or_default() != stage);
        if given_probability || !stage_changed {
            return;
        }
        if let Some(meta) = stage.as_str().and_then(|s| schema.stage(s)) {
            let mut p = meta.probability;
            if let Some(f) = m.field("probability") {
                p.rescale(f.decimal_scale());
            }
            values.insert("probability".into(), Value::Decimal(p));
        }
    }

    /// Mandatory fields, picklist values, references and owners.
    pub(crate) fn check(&mut self, schema: &Arc<Schema>, m: &Module, values: &mut Values, errors: &mut ValidationErrors) -> Result<()> {
        self.check_fields(schema, m, values, errors, None)
    }

    /// [`Crm::check`] limited to the fields in `only` (all fields when `None`).
    pub(crate) fn check_fields(
        &mut self,
        schema: &Arc<Schema>,
        m: &Module,
        values: &mut Values,
        errors: &mut ValidationErrors,
        only: Option<&std::collections::BTreeSet<String>>,
    ) -> Result<()> {
        // Only the fields with something to check (the plan's list, in field order).
        let plan = self.save_plan(schema, m);
        for f in plan.checked().iter().filter_map(|&i| m.fields.get(i)) {
            if only.is_some_and(|o| !o.contains(&f.name)) {
                continue;
            }
            let Some(v) = values.get(&f.name).filter(|v| !v.is_empty()) else {
                if f.mandatory && f.is_writable() && !errors.errors().iter().any(|e| e.field == f.name) {
                    errors.push(FieldError::new(&f.name, ValidationCode::Required, format!("{} is mandatory", f.label)));
                }
                continue;
            };
            // The canonical spelling of picklist values replaces the caller's (after the borrow of `v`).
            let mut canonical = None;
            match (f.field_type, v) {
                (FieldType::Picklist, Value::Text(s)) => {
                    let Some(p) = f.picklist_name().and_then(|p| schema.picklist(p)) else { continue };
                    match p.find_ignore_case(s) {
                        Some(pv) => {
                            if pv.value != *s {
                                canonical = Some(Value::Text(pv.value.clone()));
                            }
                        }
                        None => errors.push(FieldError::new(
                            &f.name,
                            ValidationCode::UnknownPicklistValue,
                            format!("'{s}' is not a {} value", f.label),
                        )),
                    }
                }
                (FieldType::MultiPicklist, Value::List(items)) => {
                    let Some(p) = f.picklist_name().and_then(|p| schema.picklist(p)) else { continue };
                    let mut fixed = Vec::new();
                    for s in items {
                        match p.find_ignore_case(s) {
                            Some(pv) => fixed.push(pv.value.clone()),
                            None => errors.push(FieldError::new(
                                &f.name,
                                ValidationCode::UnknownPicklistValue,
                                format!("'{s}' is not a {} value", f.label),
                            )),
                        }
                    }
                    if fixed != *items {
                        canonical = Some(Value::List(fixed));
                    }
                }
                (FieldType::Reference, Value::Ref(id)) => {
                    let entity = match self.pending.get(id) {
                        Some(r) => Some((r.module.clone(), r.deleted)),
                        None => self.entity_cached(*id)?,
                    };
                    match entity {
                        Some((module, false)) if f.references.contains(&module) => {}
                        Some((_, true)) => errors.push(FieldError::new(
                            &f.name,
                            ValidationCode::InvalidReference,
                            format!("record {id} is in the recycle bin"),
                        )),
                        Some((module, _)) => errors.push(FieldError::new(
                            &f.name,
                            ValidationCode::InvalidReference,
                            format!("record {id} is a {module} record, expected {}", f.references.join(" or ")),
                        )),
                        None => {
                            errors.push(FieldError::new(&f.name, ValidationCode::InvalidReference, format!("record {id} does not exist")))
                        }
                    }
                }
                (FieldType::Owner, Value::Owner(id)) if f.is_writable() && !self.directory()?.is_owner(*id) => {
                    errors.push(FieldError::new(
                        &f.name,
                        ValidationCode::UnknownOwner,
                        format!("owner {id} is not a registered user or group"),
                    ));
                }
                _ => {}
            }
            if let Some(c) = canonical {
                values.insert(f.name.clone(), c);
            }
        }
        Ok(())
    }
}

/// Whether the caller's input names the probability field (by name or label): then the stage does not
/// fill it in.
pub(crate) fn gives_probability(plan: &SavePlan, m: &Module, fields: &Fields) -> bool {
    fields.iter().any(|(k, _)| plan.field(m, k).is_some_and(|(_, f)| f.name == "probability"))
}

/// Orders problems by the fields' layout position; unknown fields come last.
fn sort_errors(m: &Module, errors: &mut ValidationErrors) {
    if errors.0.len() < 2 {
        return;
    }
    let order: Vec<&str> = m.fields_in_layout_order().iter().map(|f| f.name.as_str()).collect();
    errors.0.sort_by_key(|e| order.iter().position(|n| *n == e.field).unwrap_or(usize::MAX));
}

/// Splits vtiger's `Module::::Name` (or `Module:::Name`) reference form.
pub(crate) fn strip_module_prefix(s: &str) -> (Option<&str>, &str) {
    let s = s.trim();
    for sep in ["::::", ":::"] {
        if let Some((m, n)) = s.split_once(sep) {
            return (Some(m.trim()), n.trim());
        }
    }
    (None, s)
}

/// The record's name: its entity-name fields joined by a space.
pub(crate) fn label_of(m: &Module, values: &Values) -> String {
    m.entity_fields.iter().filter_map(|f| values.get(f).and_then(Value::to_text)).collect::<Vec<_>>().join(" ").trim().to_string()
}
