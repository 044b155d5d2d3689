//! The [`Crm`] facade: the only place that orchestrates.
//!
//! Every operation runs the same pipeline — resolve names, convert and validate against the schema, apply
//! the domain rules, then persist the record, its history and its side effects in **one** storage commit.
//! Bindings (C, Python) call this and nothing else.
//!
//! The facade is split by concern: [`records`] (create, update, delete, restore, purge, find), [`customize`]
//! (layout and picklist editor), and this file (opening, schema, users and groups, settings).

// ----- sales analytics (forecast categories, quotas, win rate, funnel, ...) -----
mod access;
pub(crate) mod analytics;
mod convert;
mod currency;
mod currency_reports;
mod customize;
pub(crate) mod duplicates; // finding duplicates, duplicate-prevention rules
mod export;
mod feed;
mod import;
mod language;
mod mass;
mod merge; // merging duplicates, undone by restore
mod progress;
mod records;
mod relations;
mod save_plan; // what a save needs from the schema, once per schema
mod views;

mod conditions;
#[doc(hidden)]
pub mod fuzz;
mod indexes;
mod reports;
mod setup;
mod transactions;
mod workflow_language;
pub(crate) mod workflows; // the default workflows in the store's language

pub use conditions::Matcher;
pub use convert::{Converted, LeadConversion, LeadMapping, LeadMappingRow, TransferTo};
pub use currency_reports::CurrencySubtotal;
pub use export::{EXPORT_PROGRESS_EVERY, ExportSelection};
pub use import::{NewCustomerOpportunity, Records, UndoReport, VcardImportOptions};
pub use mass::{MassOutcome, MassResult};
pub use progress::{Flow, Progress, ProgressFn, ProgressSink, ProgressUnit, ProgressUpdate};
pub use records::Page;
pub use relations::{LINKABLE, LinkInfo, RelatedPage};
pub use reports::{PipelineBy, PipelineRow};
pub use views::{Cursor, ListView};
pub use workflows::{DeliveryReport, DryRun, DryRunTarget, RunFailure, RunReport, WorkflowFunction};

use crate::clock::{Clock, SystemClock};
use crate::error::{Error, Result};
use crate::schema::{Module, Schema};
use crate::storage::memory::MemoryStore;
use crate::storage::{AutoNumberState, Change, ChangeSet, Store};
use crate::storage::{ImportChange, RecordChange, SchemaStoreChange, UserChange, WorkflowChange};
use crate::user::{Group, NewUser, Owner, User};
use crate::value::OwnerId;
use std::sync::Arc;

/// The engine: one store, its schema, a clock and the acting user.
///
/// # Example
/// ```
/// use crm_core::{Crm, Fields, NewUser};
/// # fn main() -> Result<(), crm_core::Error> {
/// let mut crm = Crm::open(":memory:")?;
/// crm.add_user(NewUser::new("admin").full_name("Administrator").email("admin@example.com"))?;
/// crm.set_actor("admin")?;
/// let deal = crm.create("Potentials", Fields::new()
///     .with("potentialname", "Big deal")
///     .with("amount", "1000")
///     .with("sales_stage", "Qualification")
///     .with("closingdate", "2027-03-31"))?;
/// assert_eq!(deal.get("probability").to_string(), "20.000"); // the stage's default
/// assert_eq!(deal.get("potential_no").to_string(), "POT1");
/// # Ok(()) }
/// ```
pub struct Crm {
    store: Box<dyn Store>,
    schema: Arc<Schema>,
    clock: Arc<dyn Clock>,
    actor: Option<User>,
    /// Records planned but not yet committed, consulted by the reference check (see `service::convert`).
    pending: std::collections::HashMap<crate::value::RecordId, crate::record::Record>,
    wf: workflows::WorkflowState,
    cache: Cache,
    /// Access control: the acting users' compiled rights (see `service::access`).
    access: access::SharedAccessCache,
}

/// What a handle keeps between operations so that a save does not re-read what did not change.
///
/// * ids are reserved from the store in blocks ([`ID_BLOCK`]): ids stay unique across handles and are never
///   reused, but a handle that closes leaves the rest of its block unused (gaps, as vtiger's crmid has);
/// * registered owners (users and groups) and the workflow definitions are cached and dropped whenever
///   this handle writes them, or another handle wrote anything ([`Store::data_version`] moved).
#[derive(Default)]
struct Cache {
    next_id: i64,
    end_id: i64,
    data_version: Option<u64>,
    /// Write path: users and groups (owner checks, owner names, workflow recipients).
    directory: Option<Arc<crate::user::Directory>>,
    workflows: Option<Arc<Vec<crate::workflow::Workflow>>>,
    /// During a dry-run import: the auto-numbers it would hand out next, by module, without reserving
    /// them in the store (giving reserved numbers back afterwards could move the counter back
    /// under records another handle numbered meanwhile).
    dry_numbers: Option<std::collections::HashMap<String, AutoNumberState>>,
    /// Write path: the workflows of each module (filtered once from `workflows`, dropped with it).
    module_workflows: std::collections::HashMap<String, Arc<Vec<crate::workflow::Workflow>>>,
    /// Inside one save ([`Crm::in_one_save`]).
    save: bool,
    /// The stored schema version was checked since the exclusive unit of work
    /// ([`Store::unit_is_exclusive`]) or the outermost save began (see [`Crm::holds_freshness`]).
    schema_fresh: bool,
    /// The data version was read since the exclusive unit or the outermost save began.
    data_fresh: bool,
    /// A caller's transaction is open ([`Crm::begin_transaction`]): bulk operations' units join it.
    transaction: bool,
    /// Write path: reference names resolved by imports (`module\0folded name` → lowest live id).
    refs: std::collections::HashMap<String, crate::value::RecordId>,
    /// Write path: module and recycle-bin flag of referenced records, as the reference check read them.
    entities: std::collections::HashMap<crate::value::RecordId, (String, bool)>,
    /// Write path: the currency book (see `service::currency`).
    currencies: Option<Arc<crate::currency::CurrencyBook>>,
    /// Stored values read while the store's freshness is held (see [`Crm::held_read`]).
    held: std::sync::Mutex<HeldReads>,
    /// Write path: the save plans of the schema in force (see `service::save_plan`).
    save_plans: save_plan::SavePlans,
}

/// Stored values read once while the store's freshness is held (an exclusive unit of work or a save, see
/// [`Crm::in_one_save`]) and used until it ends or this handle writes anything but new records: a save or a
/// batch of imported rows reads them once, not once per record (each read a round trip on PostgreSQL).
#[derive(Debug, Default)]
pub(crate) struct HeldReads {
    /// The access version ([`crate::storage::AccessStore::access_version`]).
    pub(crate) access_version: Option<u64>,
    /// The store's language.
    pub(crate) language: Option<&'static str>,
}

/// The most entries the reference caches hold before they start over (keeps memory flat on huge imports).
const MAX_CACHED_REFS: usize = 50_000;

/// How many ids a handle reserves from the store at a time.
pub const ID_BLOCK: i64 = 64;

impl std::fmt::Debug for Crm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Crm").field("schema_version", &self.schema.version).field("actor", &self.actor).finish_non_exhaustive()
    }
}

impl Crm {
    /// Opens a store: `":memory:"` for an in-memory store, a `postgres://` or `postgresql://` URL for a
    /// PostgreSQL database (feature `postgres`; one database holds one CRM, see
    /// `storage::postgres`), otherwise a SQLite file (created if missing). Takes anything path-like:
    /// `&str`, `String`, `&Path`, `PathBuf` (a file name need not be UTF-8).
    ///
    /// ```
    /// # fn main() -> Result<(), crm_core::Error> {
    /// let dir = tempfile::tempdir().unwrap();
    /// let file: std::path::PathBuf = dir.path().join("sales.db");
    /// crm_core::Crm::open(&file)?; // a SQLite file, created
    /// crm_core::Crm::open(":memory:")?; // in memory
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// Storage errors: the file or server cannot be opened, is not a crm database, or was written by a
    /// newer crm; `InvalidArgument` for a PostgreSQL URL when built without the `postgres` feature.
    pub fn open(location: impl AsRef<std::path::Path>) -> Result<Crm> {
        let path = location.as_ref();
        let text = path.to_str().unwrap_or("");
        if text == ":memory:" {
            return Crm::with_store(Box::new(MemoryStore::new()));
        }
        // ----- PostgreSQL storage -----
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            #[cfg(feature = "postgres")]
            return Crm::with_store(Box::new(crate::storage::postgres::PostgresStore::open(text)?));
            #[cfg(not(feature = "postgres"))]
            return Err(Error::invalid("cannot open a PostgreSQL URL: crm was built without the `postgres` feature"));
        }
        #[cfg(feature = "sqlite")]
        {
            Crm::with_store(Box::new(crate::storage::sqlite::SqliteStore::open(path)?))
        }
        #[cfg(not(feature = "sqlite"))]
        {
            Err(Error::invalid(format!("cannot open '{}': built without the sqlite feature", path.display())))
        }
    }

    /// Uses any store. A new, empty store gets the built-in schema, the default filters and workflows —
    /// once, however many handles open it at the same instant (see `service::setup`).
    pub fn with_store(mut store: Box<dyn Store>) -> Result<Crm> {
        let stored = store.load_schema()?;
        let ready = stored.is_some();
        let mut crm = Crm {
            store,
            schema: Arc::new(stored.unwrap_or_else(Schema::builtin)),
            clock: Arc::new(SystemClock),
            actor: None,
            pending: Default::default(),
            wf: Default::default(),
            cache: Cache::default(),
            access: Default::default(),
        };
        if !ready || !crm.default_filters_installed()? {
            crm.install_defaults()?;
        }
        crm.load_time_zone()?;
        crm.upgrade_analytics_schema()?; // stores from before the analytics fields get them
        if crm.lacks_currency_fields() {
            crm.upgrade_currency_fields()?;
        }
        Ok(crm)
    }

    /// A fresh id for a record, user, group, mail or other stored item (from this handle's block).
    pub(crate) fn next_id(&mut self) -> Result<i64> {
        if self.cache.next_id >= self.cache.end_id {
            let first = self.store.allocate_ids(ID_BLOCK as u64)?;
            self.cache.next_id = first;
            self.cache.end_id = first + ID_BLOCK;
        }
        let id = self.cache.next_id;
        self.cache.next_id += 1;
        Ok(id)
    }

    /// Ends the store's unit of work. When it is rolled back (asked, or the commit failed), the ids this
    /// handle reserved inside it are no longer reserved in the store, so the handle drops its id block:
    /// keeping it would hand out ids that another handle can reserve again.
    pub(crate) fn end_unit(&mut self, commit: bool) -> Result<()> {
        if self.cache.transaction {
            return Ok(()); // the caller's transaction decides (see `service::transactions`)
        }
        self.forget_freshness();
        let out = self.store.end_unit(commit);
        if !commit || out.is_err() {
            self.cache.next_id = self.cache.end_id;
            self.drop_reference_caches(); // the rolled-back unit may have created referenced records
        }
        out
    }

    /// Runs one save's planning: the caches are checked against the store's data version once for it,
    /// not at every owner, workflow or reference lookup (each check is a round trip on PostgreSQL).
    pub(crate) fn in_one_save<T>(&mut self, plan: impl FnOnce(&mut Crm) -> Result<T>) -> Result<T> {
        let outer = self.cache.save;
        self.cache.save = true;
        let out = plan(self);
        self.cache.save = outer;
        if !outer && !self.store.unit_is_exclusive() {
            self.forget_freshness();
        }
        out
    }

    /// Inside an exclusive unit of work or a save: what the store's schema and data versions were when
    /// last read stands until it ends (nothing another handle commits reaches this handle before).
    fn holds_freshness(&self) -> bool {
        self.store.unit_is_exclusive() || self.cache.save
    }

    /// The end of an exclusive unit or of the outermost save: the versions are read again next time.
    fn forget_freshness(&mut self) {
        self.cache.schema_fresh = false;
        self.cache.data_fresh = false;
        self.forget_held_reads();
    }

    /// Drops the values read while freshness was held.
    fn forget_held_reads(&mut self) {
        *self.cache.held.get_mut().unwrap_or_else(|p| p.into_inner()) = HeldReads::default();
    }

    /// A stored value: the one read while the store's freshness is held ([`HeldReads`]), else `read`.
    pub(crate) fn held_read<T: Copy>(
        &self,
        field: impl Fn(&mut HeldReads) -> &mut Option<T>,
        read: impl FnOnce() -> Result<T>,
    ) -> Result<T> {
        if !self.holds_freshness() {
            return read();
        }
        if let Some(v) = *field(&mut self.cache.held.lock().unwrap_or_else(|p| p.into_inner())) {
            return Ok(v);
        }
        let v = read()?;
        *field(&mut self.cache.held.lock().unwrap_or_else(|p| p.into_inner())) = Some(v);
        Ok(v)
    }

    /// Starts the store's unit of work (one transaction for many saves, see [`Store::begin_unit`]).
    pub(crate) fn begin_unit(&mut self) -> Result<()> {
        self.store.begin_unit()
    }

    /// [`Crm::refresh_schema`], but only once inside an exclusive unit of work (saves in a bulk operation
    /// do not re-read the stored version) or an outermost save (an imported row that also creates its
    /// organization reads it once).
    pub(crate) fn refresh_schema_for_write(&mut self) -> Result<bool> {
        let held = self.holds_freshness();
        if held && self.cache.schema_fresh {
            return Ok(false);
        }
        let changed = self.refresh_schema()?;
        self.cache.schema_fresh = held;
        Ok(changed)
    }

    /// The next auto-number of `module`: reserved in the store, or only counted during a dry run.
    pub(crate) fn take_auto_number(&mut self, module: &str, prefix: &str) -> Result<String> {
        if self.cache.dry_numbers.is_none() {
            return self.store.next_auto_number(module, prefix);
        }
        let mut state = self.dry_number_state(module, prefix)?;
        let out = state.take();
        if let Some(d) = self.cache.dry_numbers.as_mut() {
            d.insert(module.to_string(), state);
        }
        Ok(out)
    }

    /// The auto-number state a dry run sees: what it counted so far, else the store's.
    pub(crate) fn dry_number_state(&self, module: &str, prefix: &str) -> Result<AutoNumberState> {
        if let Some(s) = self.cache.dry_numbers.as_ref().and_then(|d| d.get(module)) {
            return Ok(s.clone());
        }
        Ok(self.store.auto_number_state(module)?.unwrap_or_else(|| AutoNumberState::start(prefix)))
    }

    /// Starts (`true`) or ends counting auto-numbers without reserving them (dry-run imports).
    pub(crate) fn set_dry_numbers(&mut self, on: bool) {
        self.cache.dry_numbers = if on { Some(Default::default()) } else { None };
    }

    /// Commits a change set and drops the caches it makes stale. Planned changes are trusted: every plan
    /// that writes a record's values fills its base-currency copies (see `service::currency`).
    pub(crate) fn commit(&mut self, cs: &ChangeSet) -> Result<()> {
        for c in &cs.0 {
            match c {
                Change::User(UserChange::PutUser(_)) | Change::User(UserChange::PutGroup(_)) => {
                    self.cache.directory = None;
                    self.forget_held_reads();
                }
                Change::Workflow(WorkflowChange::PutWorkflow(_)) | Change::Workflow(WorkflowChange::DeleteWorkflow(_)) => {
                    self.cache.workflows = None;
                    self.cache.module_workflows.clear();
                }
                // New records get higher ids than any cached name resolves to, and the log, journal and
                // outbox hold no labels: the reference caches stay right.
                Change::Record(RecordChange::Insert(_))
                | Change::Record(RecordChange::History(_))
                | Change::Record(RecordChange::Stage(_))
                | Change::Import(ImportChange::PutImport(_))
                | Change::Import(ImportChange::ImportRow(_))
                | Change::Workflow(WorkflowChange::PutMail(_))
                | Change::Workflow(WorkflowChange::ActivatedOnce { .. })
                | Change::Workflow(WorkflowChange::PutQueuedTask(_))
                | Change::Workflow(WorkflowChange::DeleteQueuedTask(_))
                | Change::Workflow(WorkflowChange::DeleteMail(_)) => {}
                // Anything else may rename, delete or restore a record.
                _ => self.drop_reference_caches(),
            }
        }
        self.store.commit(cs)
    }

    /// Forgets resolved reference names and referenced records (after a rollback, or a change that may
    /// rename or delete records).
    pub(crate) fn drop_reference_caches(&mut self) {
        self.cache.refs.clear();
        self.cache.entities.clear();
        self.forget_held_reads();
    }

    /// [`Crm::resolve_reference`] with the names already resolved kept (import rows name the same
    /// organizations again and again). Only found names are kept; see [`Crm::commit`] for when they are
    /// dropped.
    pub(crate) fn resolve_reference_cached(&mut self, modules: &[String], text: &str) -> Result<Option<crate::value::RecordId>> {
        self.check_cache()?;
        let (module, name) = records::strip_module_prefix(text);
        let folded = crate::query::fold(name);
        for m in modules {
            if module.is_some_and(|x| !x.eq_ignore_ascii_case(m)) {
                continue;
            }
            let key = format!("{m}\0{folded}");
            if let Some(id) = self.cache.refs.get(&key) {
                return Ok(Some(*id));
            }
            if let Some(id) = self.store.find_by_label(m, name)?.first() {
                self.remember_reference(key, *id);
                return Ok(Some(*id));
            }
        }
        Ok(None)
    }

    /// Keeps a resolved name (`module\0folded name`).
    fn remember_reference(&mut self, key: String, id: crate::value::RecordId) {
        if self.cache.refs.len() >= MAX_CACHED_REFS {
            self.cache.refs.clear();
        }
        self.cache.refs.insert(key, id);
    }

    /// The module and recycle-bin flag of a record, for the reference check; cached.
    pub(crate) fn entity_cached(&mut self, id: crate::value::RecordId) -> Result<Option<(String, bool)>> {
        self.check_cache()?;
        if let Some(e) = self.cache.entities.get(&id) {
            return Ok(Some(e.clone()));
        }
        let e = self.store.entity(id)?;
        if let Some(e) = &e {
            if self.cache.entities.len() >= MAX_CACHED_REFS {
                self.cache.entities.clear();
            }
            self.cache.entities.insert(id, e.clone());
        }
        Ok(e)
    }

    /// Drops the caches when another handle wrote to the store since they were filled.
    pub(crate) fn check_cache(&mut self) -> Result<()> {
        let held = self.holds_freshness();
        if held && self.cache.data_fresh {
            return Ok(()); // read once per exclusive unit or save
        }
        let v = self.store.data_version()?;
        self.cache.data_fresh = held;
        if self.cache.data_version != Some(v) {
            self.cache.data_version = Some(v);
            self.cache.directory = None;
            self.cache.workflows = None;
            self.cache.module_workflows.clear();
            self.cache.currencies = None;
            self.drop_reference_caches();
        }
        Ok(())
    }

    /// Registered users and groups, cached for the write path.
    pub(crate) fn directory(&mut self) -> Result<Arc<crate::user::Directory>> {
        self.check_cache()?;
        if let Some(d) = &self.cache.directory {
            return Ok(Arc::clone(d));
        }
        let d = Arc::new(crate::user::Directory::read(&*self.store)?);
        self.cache.directory = Some(Arc::clone(&d));
        Ok(d)
    }

    /// Every workflow definition, cached.
    pub(crate) fn workflow_defs(&mut self) -> Result<Arc<Vec<crate::workflow::Workflow>>> {
        self.check_cache()?;
        if let Some(w) = &self.cache.workflows {
            return Ok(Arc::clone(w));
        }
        let w = Arc::new(self.store.workflows()?);
        self.cache.workflows = Some(Arc::clone(&w));
        self.cache.module_workflows.clear();
        Ok(w)
    }

    /// The workflow definitions of one module, cached (a save does not filter and clone the list).
    pub(crate) fn module_workflow_defs(&mut self, module: &str) -> Result<Arc<Vec<crate::workflow::Workflow>>> {
        let all = self.workflow_defs()?;
        if let Some(w) = self.cache.module_workflows.get(module) {
            return Ok(Arc::clone(w));
        }
        let w: Arc<Vec<crate::workflow::Workflow>> = Arc::new(all.iter().filter(|w| w.module == module).cloned().collect());
        self.cache.module_workflows.insert(module.to_string(), Arc::clone(&w));
        Ok(w)
    }

    /// Replaces the clock (builder style).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Crm {
        self.clock = clock;
        self
    }

    /// Replaces the clock.
    pub fn set_clock(&mut self, clock: Arc<dyn Clock>) {
        self.clock = clock;
    }

    /// The current time from the clock, as stored (UTC, whole seconds).
    pub fn now(&self) -> chrono::NaiveDateTime {
        self.clock.now().naive_utc()
    }

    /// The schema in force.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// A module by name or label (`Potentials` or `Opportunities`).
    ///
    /// # Errors
    /// `NotFound` for an unknown module.
    pub fn module(&self, name: &str) -> Result<&Module> {
        self.schema.module(name).ok_or_else(|| Error::not_found(format!("module '{name}'")))
    }

    pub(crate) fn module_arc(&self, name: &str) -> Result<(Arc<Schema>, String)> {
        let m = self.module(name)?.name.clone();
        Ok((Arc::clone(&self.schema), m))
    }

    /// Stores a changed schema and makes it the one in force.
    /// Refused with `Conflict` when another handle stored a newer schema meanwhile.
    pub(crate) fn save_schema(&mut self, mut schema: Schema) -> Result<()> {
        let expected_version = schema.version;
        schema.version += 1;
        self.store
            .commit(&ChangeSet(vec![Change::Schema(SchemaStoreChange::Put { schema: Box::new(schema.clone()), expected_version })]))?;
        self.schema = Arc::new(schema);
        Ok(())
    }

    /// Turns the stage → default probability rule on or off (stored with the schema).
    pub fn set_stage_probability_autofill(&mut self, on: bool) -> Result<()> {
        self.refresh_schema()?;
        let mut s = (*self.schema).clone();
        s.settings.stage_probability_autofill = on;
        self.save_schema(s)
    }

    // ----- users, groups, actor -----

    /// Registers a user.
    ///
    /// # Errors
    /// `Validation` for an empty user name or a bad e-mail; `Conflict` when the name is taken.
    pub fn add_user(&mut self, new: NewUser) -> Result<User> {
        let name = new.user_name.trim().to_string();
        if name.is_empty() {
            return Err(Error::field("user_name", crate::ValidationCode::Required, "a user needs a user name"));
        }
        if !new.email.is_empty() && !crate::value::is_email(new.email.trim()) {
            return Err(Error::field("email", crate::ValidationCode::InvalidFormat, format!("'{}' is not an e-mail address", new.email)));
        }
        if self.find_owner(&name)?.is_some() {
            return Err(Error::Conflict(format!("user or group '{name}' already exists")));
        }
        let language = new.language.as_deref().filter(|l| !l.trim().is_empty()).map(crate::i18n::language).transpose()?;
        let id = OwnerId(self.next_id()?);
        let full_name = if new.full_name.trim().is_empty() { name.clone() } else { new.full_name.trim().to_string() };
        // ----- access control: a role of the role tree, when one is defined -----
        let role = new.role.map(|r| r.trim().to_string()).filter(|r| !r.is_empty());
        let role = match role {
            Some(r) => {
                let model = self.store.access_model()?.0;
                match model.role(&r) {
                    Some(known) => Some(known.name.clone()),
                    None if model.roles.is_empty() => Some(r),
                    None => return Err(Error::not_found(format!("role '{r}'"))),
                }
            }
            None => None,
        };
        let user = User { id, user_name: name, full_name, email: new.email.trim().to_string(), role, active: true };
        self.commit(&ChangeSet(vec![Change::User(UserChange::PutUser(user.clone()))]))?;
        if new.is_admin {
            self.set_admin(&user.user_name, true)?;
        }
        if let Some(code) = language {
            self.set_user_language(&user.user_name, Some(code))?;
        }
        Ok(user)
    }

    /// Registers a group with members given by user name.
    ///
    /// # Errors
    /// `NotFound` for an unknown member; `Conflict` when the name is taken.
    pub fn add_group(&mut self, name: &str, members: &[&str]) -> Result<Group> {
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::field("name", crate::ValidationCode::Required, "a group needs a name"));
        }
        if self.find_owner(name)?.is_some() {
            return Err(Error::Conflict(format!("user or group '{name}' already exists")));
        }
        let mut ids = Vec::new();
        for m in members {
            ids.push(self.user(m)?.id);
        }
        let group = Group { id: OwnerId(self.next_id()?), name: name.to_string(), members: ids };
        self.commit(&ChangeSet(vec![Change::User(UserChange::PutGroup(group.clone()))]))?;
        Ok(group)
    }

    /// Every registered user.
    pub fn users(&self) -> Result<Vec<User>> {
        self.store.users()
    }

    /// Every registered group.
    pub fn groups(&self) -> Result<Vec<Group>> {
        self.store.groups()
    }

    /// A user by user name (ignoring case).
    ///
    /// # Errors
    /// `NotFound` when there is none.
    pub fn user(&self, user_name: &str) -> Result<User> {
        self.store
            .users()?
            .into_iter()
            .find(|u| u.user_name.eq_ignore_ascii_case(user_name.trim()))
            .ok_or_else(|| Error::not_found(format!("user '{user_name}'")))
    }

    /// An owner by id.
    pub fn owner(&self, id: OwnerId) -> Result<Option<Owner>> {
        Ok(crate::user::Directory::read(&*self.store)?.owner(id))
    }

    /// An owner by user name, full name or group name (ignoring case).
    pub fn find_owner(&self, name: &str) -> Result<Option<Owner>> {
        Ok(crate::user::Directory::read(&*self.store)?.find_owner(name))
    }

    /// Sets the acting user: named in history, `modifiedby`, and the default owner of new records.
    ///
    /// # Errors
    /// `NotFound` for an unknown user.
    pub fn set_actor(&mut self, user_name: &str) -> Result<()> {
        self.actor = Some(self.user(user_name)?);
        Ok(())
    }

    /// The acting user, if one is set.
    pub fn actor(&self) -> Option<&User> {
        self.actor.as_ref()
    }

    pub(crate) fn actor_name(&self) -> String {
        self.actor.as_ref().map_or_else(|| "system".to_string(), |u| u.user_name.clone())
    }

    // ----- auto-numbers -----

    /// The prefix and next number of a module's auto-number.
    pub fn auto_number(&self, module: &str) -> Result<AutoNumberState> {
        let m = self.module(module)?;
        let an = m.auto_number.as_ref().ok_or_else(|| Error::invalid(format!("{} has no auto-number field", m.name)))?;
        Ok(self.store.auto_number_state(&m.name)?.unwrap_or_else(|| AutoNumberState::start(&an.prefix)))
    }

    /// Configures a module's auto-number. As in vtiger, with an unchanged prefix the next number may not go
    /// below the current one, so numbers are never reused.
    ///
    /// # Errors
    /// `InvalidArgument` for a non-numeric or lower next number, or a module without auto-number.
    pub fn set_auto_number(&mut self, module: &str, prefix: &str, next: &str) -> Result<()> {
        let name = self.module(module)?.name.clone();
        let current = self.auto_number(&name)?;
        if next.is_empty() || !next.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::invalid(format!("next number '{next}' must be digits")));
        }
        let num = |s: &str| s.trim_start_matches('0').parse::<u128>().unwrap_or(0);
        if prefix == current.prefix && num(next) < num(&current.next) {
            return Err(Error::invalid(format!("next number {next} is below the current {}", current.next)));
        }
        if prefix.chars().any(|c| c.is_control()) {
            return Err(Error::invalid("prefix may not contain control characters"));
        }
        self.store.set_auto_number(&name, &AutoNumberState { prefix: prefix.to_string(), next: next.to_string() })
    }
}
