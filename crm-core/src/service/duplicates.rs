//! Duplicates through the facade: finding groups of matching records ([`Crm::find_duplicates`],
//! [`Crm::for_each_duplicate_group`]) and duplicate-prevention rules ([`Crm::add_duplicate_rule`],
//! [`Crm::drop_duplicate_rule`], [`Crm::duplicate_rules`]) with the check that create, update and import
//! run against them (`check_duplicate_rules`, `rule_match`). Merging is in `merge`.

use super::Crm;
use crate::dedupe::rules::{self, DuplicateRule};
use crate::dedupe::{DuplicatePage, DuplicateSearch, MAX_GROUPS_PAGE};
use crate::error::{Error, FieldError, Result, ValidationCode, ValidationErrors};
use crate::record::Record;
use crate::record::Values;
use crate::schema::Module;
use crate::schema::edit::{SchemaChange, SchemaChangeEntry, SchemaError};
use crate::value::RecordId;

impl Crm {
    /// One page of groups of live records of `module` whose `search.fields` all match — after
    /// normalisation ([`crate::dedupe::normalize()`]: case, spaces, punctuation, Persian/Arabic letter
    /// variants and digits; e-mail case and `+tags`) or exactly — ordered by key. Pass the page's `next`
    /// as `after` for the next page; each page is one grouping query on the SQL stores, so memory holds one
    /// page of groups, not all of them.
    ///
    /// # Example
    /// ```
    /// use crm_core::dedupe::DuplicateSearch;
    /// use crm_core::{Crm, Fields, NewUser};
    /// # fn main() -> Result<(), crm_core::Error> {
    /// let mut crm = Crm::open(":memory:")?;
    /// crm.add_user(NewUser::new("admin"))?;
    /// crm.set_actor("admin")?;
    /// let a = crm.create("Accounts", Fields::new().with("accountname", "Hooli, Inc."))?;
    /// let b = crm.create("Accounts", Fields::new().with("accountname", "  HOOLI inc "))?;
    /// crm.create("Accounts", Fields::new().with("accountname", "Pied Piper"))?;
    /// let page = crm.find_duplicates("Accounts", &DuplicateSearch::on(["accountname"]))?;
    /// assert_eq!(page.groups.len(), 1);
    /// assert_eq!(page.groups[0].ids, vec![a.id, b.id]);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// `NotFound` for an unknown module; `InvalidArgument` for unknown fields, fields of a type that cannot
    /// be matched ([`crate::dedupe::matchable`]), or a limit of 0 or above [`MAX_GROUPS_PAGE`].
    pub fn find_duplicates(&self, module: &str, search: &DuplicateSearch) -> Result<DuplicatePage> {
        let s = self.current_schema()?;
        let m = Crm::read_module(&s, module)?;
        let fields = search_fields(m, &search.fields)?;
        if search.limit == 0 || search.limit > MAX_GROUPS_PAGE {
            return Err(Error::invalid(format!("limit must be 1..={MAX_GROUPS_PAGE}, not {}", search.limit)));
        }
        self.check_fields_visible(&m.name, &fields.iter().map(String::as_str).collect::<Vec<_>>())?; // access control
        // Access control: a restricted user sees the groups' records they may view (a group keeps at least
        // two), selected in the store's read; the page's `next` still follows the store's page of groups,
        // so walking on skips nothing.
        let rights = self.rights()?;
        let sight = self.record_sight(&rights, &m.name)?;
        let mut groups =
            self.store.duplicate_groups(m, &fields, search.normalize, search.after.as_deref(), search.limit, sight.as_ref())?;
        let next = if groups.len() as u64 == search.limit { groups.last().map(|g| g.key.clone()) } else { None };
        if sight.is_some() {
            groups.retain(|g| g.ids.len() > 1);
        }
        Ok(DuplicatePage { groups, next })
    }

    /// Calls `f` with every duplicate group of `module` (see [`Crm::find_duplicates`]), a page of
    /// `search.limit` groups at a time, until `f` returns false. Returns how many groups it handed out.
    ///
    /// # Errors
    /// As [`Crm::find_duplicates`].
    pub fn for_each_duplicate_group(
        &self,
        module: &str,
        search: &DuplicateSearch,
        mut f: impl FnMut(crate::dedupe::DuplicateGroup) -> bool,
    ) -> Result<u64> {
        let mut s = search.clone();
        let mut n = 0;
        loop {
            let page = self.find_duplicates(module, &s)?;
            for g in page.groups {
                n += 1;
                if !f(g) {
                    return Ok(n);
                }
            }
            match page.next {
                Some(k) => s.after = Some(k),
                None => return Ok(n),
            }
        }
    }

    /// Adds a duplicate-prevention rule: from now on a create, an update that changes these fields, or an
    /// imported row is refused (import: handled by its duplicate mode) when another live record of
    /// `module` has the same normalised values in all of `fields` (names or labels). Records that already
    /// match each other stay. A logged, versioned schema change.
    ///
    /// # Example
    /// ```
    /// use crm_core::{Crm, ErrorKind, Fields, NewUser};
    /// # fn main() -> Result<(), crm_core::Error> {
    /// let mut crm = Crm::open(":memory:")?;
    /// crm.add_user(NewUser::new("admin"))?;
    /// crm.set_actor("admin")?;
    /// crm.add_duplicate_rule("Accounts", &["accountname"])?;
    /// crm.create("Accounts", Fields::new().with("accountname", "Hooli"))?;
    /// let err = crm.create("Accounts", Fields::new().with("accountname", " hooli. ")).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Validation);
    /// assert_eq!(err.field_errors()[0].code.as_str(), "duplicate");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// `Schema`: `UnknownModule`, `UnknownField`, `InvalidDuplicateRule` (no field, too many, a field twice
    /// or of a type that cannot be matched, the same fields as another rule, too many rules).
    pub fn add_duplicate_rule(&mut self, module: &str, fields: &[&str]) -> Result<DuplicateRule> {
        let change =
            SchemaChange::AddDuplicateRule { module: module.into(), fields: fields.iter().map(|f| (*f).to_string()).collect(), name: None };
        let entry = self.apply_schema_change(change)?;
        let SchemaChange::AddDuplicateRule { module, name, .. } = entry.change else { return Err(Error::invalid("unexpected change")) };
        self.duplicate_rules(&module)?.into_iter().find(|r| Some(&r.name) == name.as_ref()).ok_or_else(|| Error::not_found("the new rule"))
    }

    /// Drops the duplicate-prevention rule over `fields` (names or labels, any order) of `module`.
    ///
    /// # Errors
    /// `Schema`: `UnknownModule`, `UnknownField`, `InvalidDuplicateRule` (no rule over those fields).
    pub fn drop_duplicate_rule(&mut self, module: &str, fields: &[&str]) -> Result<SchemaChangeEntry> {
        self.apply_schema_change(SchemaChange::DropDuplicateRule {
            module: module.into(),
            fields: fields.iter().map(|f| (*f).to_string()).collect(),
        })
    }

    /// The duplicate-prevention rules of `module`, in the order they were added.
    ///
    /// # Errors
    /// `Schema(UnknownModule)`; storage errors.
    pub fn duplicate_rules(&self, module: &str) -> Result<Vec<DuplicateRule>> {
        let s = self.current_schema()?;
        let m = s.module(module).ok_or_else(|| SchemaError::UnknownModule(module.to_string()))?;
        Ok(m.duplicate_rules.clone())
    }

    /// The first rule of `m` under which another live record (not in `exclude`) has the same key as
    /// `values`, with that record; rules whose key did not change from `before` are not checked (records
    /// that matched before a rule existed can still be edited).
    pub(crate) fn rule_match(
        &self,
        m: &Module,
        values: &Values,
        before: Option<&Values>,
        exclude: &[RecordId],
    ) -> Result<Option<(DuplicateRule, RecordId)>> {
        for rule in &m.duplicate_rules {
            let Some(key) = rule.key(m, values) else { continue };
            if before.is_some_and(|b| rule.key(m, b).as_deref() == Some(key.as_str())) {
                continue;
            }
            let limit = exclude.len() as u64 + 1;
            if let Some(id) = self.store.duplicate_key_holders(m, rule, &key, limit)?.into_iter().find(|id| !exclude.contains(id)) {
                return Ok(Some((rule.clone(), id)));
            }
        }
        Ok(None)
    }

    /// Refuses `record` with a `Validation` error (code `duplicate` on each of the rule's fields, naming the
    /// existing record) when a rule of its module matches another live record (see [`Crm::rule_match`]).
    pub(crate) fn check_duplicate_rules(&self, record: &Record, before: Option<&Record>, exclude: &[RecordId]) -> Result<()> {
        // The schema the save was planned with (refreshed by the plan): no store read when no rule applies.
        let s = std::sync::Arc::clone(&self.schema);
        let Some(m) = s.modules.get(&record.module) else { return Ok(()) };
        if m.duplicate_rules.is_empty() {
            return Ok(());
        }
        let mut skip = exclude.to_vec();
        skip.push(record.id);
        let Some((rule, existing)) = self.rule_match(m, &record.values, before.map(|b| &b.values), &skip)? else { return Ok(()) };
        Err(Error::Validation(duplicate_errors(&rule, existing, &self.load(existing)?.label)))
    }
}

/// The validation errors of a rule match: one per field of the rule.
pub(crate) fn duplicate_errors(rule: &DuplicateRule, existing: RecordId, label: &str) -> ValidationErrors {
    let fields = rule.fields.join(", ");
    ValidationErrors(
        rule.fields
            .iter()
            .map(|f| {
                FieldError::new(
                    f,
                    ValidationCode::Duplicate,
                    format!("record {existing} ({label}) has the same ({fields}) (duplicate rule {})", rule.name),
                )
            })
            .collect(),
    )
}

/// The fields of a duplicate search: canonical names, checked; the first name field when none are given.
fn search_fields(m: &Module, fields: &[String]) -> Result<Vec<String>> {
    let wanted: Vec<String> = if fields.is_empty() { m.entity_fields.iter().take(1).cloned().collect() } else { fields.to_vec() };
    rules::resolve_fields(m, &wanted).map_err(|e| Error::invalid(e.to_string()))
}
