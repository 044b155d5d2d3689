//! Listing by filters, search and keyset paging; managing filters.
//!
//! * Filters are stored per module; the three default Potentials filters of vtiger (All, Potentials Won,
//!   Prospecting) are installed when a store is opened and cannot be deleted.
//! * Named date ranges resolve with the injected clock on today's date in the store's time zone
//!   ([`Crm::today`]; a date-time field's range runs between local midnights); week start, fiscal-year start
//!   and calendar (Gregorian or Jalali) come from [`ViewSettings`], stored in the store.
//! * A new default filter clears the default flag of the module's other filters (vtiger keeps a default per
//!   user; crm has no per-user preferences yet, so the default is per module).
//! * Converted leads are hidden from every listing of Leads ([`Crm::find`], [`Crm::page`], [`Crm::search`],
//!   filters) unless the query itself names the `converted` field — vtiger's `converted = 0` rule.
//! * Deep pages: [`Crm::page_after`] pages by the first sort key (keyset: `key >= last`, skipping only the
//!   rows that tie with the last one), so a page deep in a large list costs what the first page costs.

use super::{Crm, Page};
use crate::error::{Error, Result};
use crate::query::{Condition, Op, Query};
use crate::record::Record;
use crate::schema::FieldType;
use crate::storage::ViewChange;
use crate::storage::{Change, ChangeSet};
use crate::value::{OwnerId, RecordId, Value};
use crate::view::{Filter, NameResolver, ViewSettings, Visibility, default_filters};
use serde::{Deserialize, Serialize};

const VIEW_SETTINGS: &str = "view_settings";

/// Where [`Crm::page_after`] continues: the first sort key's value of the last record seen, that record's
/// id (the tie-breaker of a single-key sort), and, for sorts on several keys, how many records seen so far
/// share the first key's value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// Value of the first sort key in the last record returned.
    pub last: Value,
    /// Records already returned whose first sort key equals `last` (sorts on several keys only).
    pub ties: u64,
    /// Id of the last record returned (single-key sorts: the page after starts right after it).
    #[serde(default)]
    pub id: Option<RecordId>,
}

/// One page of a filter's listing.
#[derive(Debug, Clone, PartialEq)]
pub struct ListView {
    /// The filter used.
    pub filter: Filter,
    /// The records and total count.
    pub page: Page,
}

impl NameResolver for Crm {
    fn owner(&self, name: &str) -> Option<OwnerId> {
        self.find_owner(name).ok().flatten().map(|o| o.id())
    }
    fn records(&self, modules: &[String], name: &str) -> Vec<RecordId> {
        let (prefix, name) = super::records::strip_module_prefix(name);
        modules
            .iter()
            .filter(|m| prefix.is_none_or(|p| p.eq_ignore_ascii_case(m)))
            .flat_map(|m| self.store.find_by_label(m, name).unwrap_or_default())
            .collect()
    }
}

/// Leads listings leave out converted leads unless the query names `converted`.
pub(crate) fn hide_converted(q: Query) -> Query {
    if q.module != "Leads" || q.condition.as_ref().is_some_and(|c| c.fields().contains(&"converted")) {
        return q;
    }
    let hide = Condition::Compare { field: "converted".into(), op: Op::Ne, values: vec![Value::Bool(true)] };
    let mut q = q;
    q.condition = Some(match q.condition.take() {
        Some(c) => Condition::All(vec![c, hide]),
        None => hide,
    });
    q
}

impl Crm {
    /// The week start and fiscal-year start used by named date ranges.
    pub fn view_settings(&self) -> Result<ViewSettings> {
        match self.store.setting(VIEW_SETTINGS)? {
            Some(j) => serde_json::from_str(&j).map_err(|e| Error::invalid(format!("stored view settings: {e}"))),
            None => Ok(ViewSettings::default()),
        }
    }

    /// Stores the week start and fiscal-year start.
    ///
    /// # Errors
    /// `InvalidArgument` for a fiscal-year start month outside 1..=12.
    pub fn set_view_settings(&mut self, s: ViewSettings) -> Result<()> {
        if !(1..=12).contains(&s.fiscal_year_start_month) {
            return Err(Error::invalid(format!("fiscal year start month {} is not 1..=12", s.fiscal_year_start_month)));
        }
        let value = serde_json::to_string(&s).map_err(|e| Error::invalid(e.to_string()))?;
        self.commit(&ChangeSet(vec![Change::View(ViewChange::PutSetting { key: VIEW_SETTINGS.into(), value })]))
    }

    /// Installs vtiger's default Potentials filters that are missing (by name). Opening a store does it
    /// when one is missing; under the store's setup lock, so that handles doing it at once add one copy.
    pub fn install_default_filters(&mut self) -> Result<()> {
        self.in_setup(Crm::put_missing_default_filters)
    }

    /// Whether every default filter is stored (by name).
    pub(crate) fn default_filters_installed(&self) -> Result<bool> {
        let existing = self.store.filters("Potentials")?;
        Ok(default_filters().iter().all(|f| existing.iter().any(|e| e.visibility == Visibility::System && e.name == f.name)))
    }

    /// Stores the default filters that are missing (by name); the caller holds the setup lock.
    pub(crate) fn put_missing_default_filters(&mut self) -> Result<()> {
        let existing = self.store.filters("Potentials")?;
        let mut cs = ChangeSet::new();
        for mut f in default_filters() {
            if existing.iter().any(|e| e.visibility == Visibility::System && e.name == f.name) {
                continue;
            }
            f.id = self.next_id()?;
            cs.push(ViewChange::PutFilter(f));
        }
        self.commit(&cs)
    }

    /// The filters of `module` the acting user sees, lowest id first.
    pub fn filters(&self, module: &str) -> Result<Vec<Filter>> {
        let m = self.module(module)?.name.clone();
        let me = self.actor.as_ref().map(|u| u.user_name.as_str());
        Ok(self.store.filters(&m)?.into_iter().filter(|f| f.visible_to(me)).collect())
    }

    /// A filter of `module` by id (as text) or name (ignoring case), among those the acting user sees.
    ///
    /// # Errors
    /// `NotFound`.
    pub fn filter(&self, module: &str, id_or_name: &str) -> Result<Filter> {
        let key = id_or_name.trim();
        let all = self.filters(module)?;
        let by_id = key.parse::<i64>().ok().and_then(|id| all.iter().find(|f| f.id == id).cloned());
        by_id
            .or_else(|| all.iter().find(|f| f.name.eq_ignore_ascii_case(key)).cloned())
            .ok_or_else(|| Error::not_found(format!("filter '{key}' of {module}")))
    }

    /// The module's default filter (the first filter when none is marked).
    pub fn default_filter(&self, module: &str) -> Result<Option<Filter>> {
        let all = self.filters(module)?;
        Ok(all.iter().find(|f| f.default).or(all.first()).cloned())
    }

    /// Validates and stores a filter (new when its id is 0). Private filters belong to the acting user.
    ///
    /// # Errors
    /// `InvalidArgument` for an unknown field, a comparator that does not fit the field's type, an unreadable
    /// value or an empty name; `Conflict` for a duplicate name or an attempt to change a system filter's
    /// conditions; `NotFound` for an unknown id.
    pub fn save_filter(&mut self, mut filter: Filter) -> Result<Filter> {
        self.refresh_schema()?; // see the schema other handles stored
        let m = self.module(&filter.module)?;
        filter.module = m.name.clone();
        filter.name = filter.name.trim().to_string();
        if filter.name.is_empty() {
            return Err(Error::invalid("a filter needs a name"));
        }
        // Canonical field names, and a full check of fields, comparators, values and sort keys.
        for c in filter.all.iter_mut().chain(filter.any.iter_mut()) {
            if let Some(f) = m.field_by_name_or_label(&c.field) {
                c.field = f.name.clone();
            }
        }
        filter.columns = filter.columns.iter().map(|c| m.field_by_name_or_label(c).map_or_else(|| c.clone(), |f| f.name.clone())).collect();
        let q = filter.to_query_in_zone(m, self.today(), &self.view_settings()?, self, self.zone())?;
        filter.sort = q
            .sort
            .into_iter()
            .filter(|s| filter.sort.iter().any(|x| m.field_by_name_or_label(&x.field).is_some_and(|f| f.name == s.field)))
            .collect();
        if filter.columns.is_empty() {
            filter.columns = self.default_filter(&filter.module)?.map(|d| d.columns).unwrap_or_default();
        }
        let others = self.filters(&filter.module)?;
        let is_new = filter.id == 0;
        if !is_new {
            let old = others.iter().find(|f| f.id == filter.id).ok_or_else(|| Error::not_found(format!("filter {}", filter.id)))?;
            if old.visibility == Visibility::System {
                // Shipped filters keep their name and conditions; columns, sort and default may change.
                if filter.name != old.name || filter.all != old.all || filter.any != old.any || filter.std_filter != old.std_filter {
                    return Err(Error::Conflict(format!(
                        "filter '{}' is shipped with crm; only its columns, sort and default flag change",
                        old.name
                    )));
                }
                filter.visibility = Visibility::System;
                filter.owner = None;
            }
            if filter.visibility == Visibility::Private {
                filter.owner = old.owner.clone();
            }
        } else {
            if filter.visibility == Visibility::System {
                return Err(Error::invalid("system filters are shipped with crm; save it as public or private"));
            }
            filter.id = self.next_id()?;
        }
        if filter.visibility == Visibility::Private && is_new {
            // A new private filter belongs to the acting user, whatever owner was given.
            let me = self.actor.as_ref().map(|u| u.user_name.clone());
            filter.owner = me.or(filter.owner).filter(|o| !o.trim().is_empty());
            if filter.owner.is_none() {
                return Err(Error::invalid("a private filter needs an acting user"));
            }
        }
        if filter.visibility == Visibility::Public {
            filter.owner = filter.owner.or_else(|| self.actor.as_ref().map(|u| u.user_name.clone()));
        }
        if others.iter().any(|f| f.id != filter.id && f.name.eq_ignore_ascii_case(&filter.name)) {
            return Err(Error::Conflict(format!("{} already has a filter named '{}'", filter.module, filter.name)));
        }
        let mut cs = ChangeSet::new();
        if filter.default {
            for mut o in self.store.filters(&filter.module)?.into_iter().filter(|f| f.default && f.id != filter.id) {
                o.default = false;
                cs.push(ViewChange::PutFilter(o));
            }
        }
        cs.push(ViewChange::PutFilter(filter.clone()));
        self.commit(&cs)?;
        Ok(filter)
    }

    /// Deletes a filter.
    ///
    /// # Errors
    /// `NotFound`; `Conflict` for a system filter or another user's private filter.
    pub fn delete_filter(&mut self, module: &str, id: i64) -> Result<()> {
        let f = self.filter(module, &id.to_string())?;
        if f.visibility == Visibility::System {
            return Err(Error::Conflict(format!("filter '{}' is shipped with crm and cannot be deleted", f.name)));
        }
        self.commit(&ChangeSet(vec![Change::View(ViewChange::DeleteFilter(f.id))]))
    }

    /// A filter as a query (condition resolved on today's date, its sort; no page).
    ///
    /// # Errors
    /// As [`Crm::save_filter`] for filters that no longer fit the schema.
    pub fn filter_query(&self, filter: &Filter) -> Result<Query> {
        let s = self.current_schema()?;
        let m = Crm::read_module(&s, &filter.module)?;
        filter.to_query_in_zone(m, self.today(), &self.view_settings()?, self, self.zone())
    }

    /// One page (1-based) of a filter's listing, by filter id or name; `sort` (`field` / `-field`) overrides
    /// the filter's order when given.
    ///
    /// A listing is read by people: picklist values in its rows are shown in the acting user's language
    /// (`Closed Won` → `برنده` for a `fa_ir` reader), as `fields()` labels and exports translate them. The
    /// stored values stay vtiger's: [`Crm::get`], [`Crm::find`] and [`Crm::page`] return them, and filters
    /// and saves take either language.
    ///
    /// # Errors
    /// `NotFound` for an unknown filter; `InvalidArgument` for an unknown sort field.
    pub fn list(&self, module: &str, filter: &str, sort: Option<&str>, page: u64, page_size: u64) -> Result<ListView> {
        let f = self.filter(module, filter)?;
        let mut q = self.filter_query(&f)?;
        if let Some(s) = sort {
            q.sort.clear();
            q = q.order_by(s);
        }
        let mut page = self.page(q, page, page_size)?;
        let labels = self.labels()?;
        let s = self.current_schema()?;
        let m = Crm::read_module(&s, &f.module)?;
        for r in &mut page.records {
            shown_values(&labels, m, &mut r.values);
        }
        Ok(ListView { page, filter: f })
    }

    /// Searches every text field of a module (text, text area, e-mail, phone, URL, number, picklists) for
    /// `text`, ignoring case; one page with the total.
    ///
    /// # Example
    /// ```
    /// use crm_core::{Crm, Fields, NewUser};
    /// # fn main() -> Result<(), crm_core::Error> {
    /// let mut crm = Crm::open(":memory:")?;
    /// crm.add_user(NewUser::new("admin"))?;
    /// crm.set_actor("admin")?;
    /// let deal = crm.create("Potentials", Fields::new()
    ///     .with("potentialname", "Hooli renewal")
    ///     .with("amount", "12000")
    ///     .with("sales_stage", "Prospecting")
    ///     .with("closingdate", "2027-03-31"))?;
    /// let page = crm.search("Potentials", "hooli", 1, 20)?;
    /// assert_eq!((page.total, page.records[0].id), (1, deal.id));
    /// # Ok(()) }
    /// ```
    pub fn search(&self, module: &str, text: &str, page: u64, page_size: u64) -> Result<Page> {
        let s = self.current_schema()?;
        let m = Crm::read_module(&s, module)?;
        let text = text.trim();
        let mut q = Query::new(m.name.clone());
        let hidden = self.hidden_fields(&m.name)?; // access control: hidden fields are not searched
        if !text.is_empty() {
            let any = m
                .fields
                .iter()
                .filter(|f| !hidden.contains(&f.name))
                .filter(|f| f.field_type.is_textual() || matches!(f.field_type, FieldType::Picklist | FieldType::MultiPicklist))
                .map(|f| Condition::cmp(f.name.clone(), Op::Contains, text))
                .collect();
            q = q.filter(Condition::Any(any));
        }
        self.page(q, page, page_size)
    }

    /// Per-column search: every `(field, text)` must match — text fields contain the text (ignoring case),
    /// owners and references match by name, other fields equal the value.
    pub fn search_columns(&self, module: &str, columns: &[(&str, &str)], page: u64, page_size: u64) -> Result<Page> {
        let s = self.current_schema()?;
        let m = Crm::read_module(&s, module)?;
        let mut f = Filter::new(m.name.clone(), "search");
        for (field, text) in columns {
            let fd = m.field_by_name_or_label(field).ok_or_else(|| Error::invalid(format!("{} has no field '{field}'", m.name)))?;
            let code = if fd.field_type.is_textual() { "c" } else { "e" };
            f = f.all(&fd.name, code, text);
        }
        self.page(self.filter_query(&f)?, page, page_size)
    }

    /// Keyset paging: the next `size` records of `query` after `cursor` (from the start when `None`), and
    /// the cursor for the page after (None at the end). The query's page is ignored.
    pub fn page_after(&self, query: Query, cursor: Option<&Cursor>, size: u64) -> Result<(Vec<Record>, Option<Cursor>)> {
        let (mut records, next) = self.page_after_unredacted(query, cursor, size)?;
        self.redact_all(&mut records)?; // access control
        Ok((records, next))
    }

    fn page_after_unredacted(&self, query: Query, cursor: Option<&Cursor>, size: u64) -> Result<(Vec<Record>, Option<Cursor>)> {
        let s = self.current_schema()?;
        let m = Crm::read_module(&s, &query.module)?;
        // Conditions may name owners and referenced records, as in `find`.
        let query = self.resolve_names(m, query)?;
        let mut q = self.scoped(hide_converted(query.normalize(m)?))?; // access control
        q.offset = 0;
        q.limit = Some(size);
        let Some(key) = q.sort.first().cloned() else {
            return Err(Error::invalid("keyset paging needs a sort order"));
        };
        if m.field(&key.field).is_some_and(|f| f.field_type == FieldType::MultiPicklist) {
            return Err(Error::invalid(format!("keyset paging cannot start from multi-select field '{}'; use Crm::page", key.field)));
        }
        // One sort key: a true keyset, `(key, id)` strictly after the cursor, in the listing's order (ties
        // are ordered by id, descending when the key is). Index on the key + the rowid: no OFFSET at all.
        if let (Some(c), Some(last_id), 1) = (cursor, cursor.and_then(|c| c.id), q.sort.len()) {
            let (after, empty_tail) = keyset_after(&key, &c.last, last_id);
            let base = q.condition.take();
            let and = |c: Condition| {
                Some(match &base {
                    Some(old) => Condition::All(vec![old.clone(), c]),
                    None => c,
                })
            };
            q.condition = and(after);
            let mut records = self.store.query(&q)?;
            // Descending, records with an empty key follow every non-empty one: they are read by a second
            // query, only when the page is not full yet, so that each query is one range of an index on
            // the key (an OR with the empty case would make SQLite scan from the start of the listing).
            if let Some(tail) = empty_tail
                && (records.len() as u64) < size
            {
                let mut rest = q.clone();
                rest.condition = and(tail);
                rest.limit = Some(size - records.len() as u64);
                records.extend(self.store.query(&rest)?);
            }
            if (records.len() as u64) < size || records.is_empty() {
                return Ok((records, None));
            }
            let next = records.last().map(|r| Cursor { last: r.get(&key.field).clone(), ties: 0, id: Some(r.id) });
            return Ok((records, next));
        }
        if let Some(c) = cursor {
            q.offset = c.ties;
            if !c.last.is_empty() {
                let from = Condition::Compare {
                    field: key.field.clone(),
                    op: if key.descending { Op::Le } else { Op::Ge },
                    values: vec![c.last.clone()],
                };
                let from = if key.descending { Condition::Any(vec![from, Condition::is_empty(key.field.clone())]) } else { from };
                q.condition = Some(match q.condition.take() {
                    Some(old) => Condition::All(vec![old, from]),
                    None => from,
                });
            } else if key.descending {
                let rest = Condition::is_empty(key.field.clone());
                q.condition = Some(match q.condition.take() {
                    Some(old) => Condition::All(vec![old, rest]),
                    None => rest,
                });
            }
        }
        let records = self.store.query(&q)?;
        if (records.len() as u64) < size || records.is_empty() {
            return Ok((records, None));
        }
        let last = records.last().map(|r| r.get(&key.field).clone()).unwrap_or_default();
        let same = |v: &Value| crate::query::order(v, &last).is_eq();
        let mut ties = records.iter().rev().take_while(|r| same(r.get(&key.field))).count() as u64;
        if ties == records.len() as u64
            && let Some(c) = cursor.filter(|c| same(&c.last))
        {
            ties += c.ties;
        }
        let id = (q.sort.len() == 1).then(|| records.last().map(|r| r.id)).flatten();
        Ok((records, Some(Cursor { last, ties, id })))
    }
}

/// The condition "strictly after `(last, last_id)`" in the order of the one sort `key` with the id tiebreak
/// (keyset paging): `key >= last AND (key > last OR (key = last AND id > last_id))` ascending, mirrored
/// descending; empty keys
/// come first ascending and last descending. The second condition, when present, selects the records that
/// follow the first condition's (the empty keys after a non-empty cursor, descending): the caller reads
/// them after the first ones, so that each condition is one index range.
pub(crate) fn keyset_after(key: &crate::query::Sort, last: &Value, last_id: RecordId) -> (Condition, Option<Condition>) {
    let f = key.field.clone();
    let id_after = Condition::cmp(crate::query::ID_FIELD, if key.descending { Op::Lt } else { Op::Gt }, last_id.0);
    if last.is_empty() {
        // Empty keys come first ascending, last descending.
        let tie = Condition::All(vec![Condition::is_empty(f.clone()), id_after]);
        return (if key.descending { tie } else { Condition::Any(vec![tie, Condition::is_not_empty(f)]) }, None);
    }
    let beyond = Condition::Compare { field: f.clone(), op: if key.descending { Op::Lt } else { Op::Gt }, values: vec![last.clone()] };
    let tie = Condition::All(vec![Condition::Compare { field: f.clone(), op: Op::Eq, values: vec![last.clone()] }, id_after]);
    // The implied bound `key <= last` (`>=` ascending) stated on its own lets SQL stores seek an index on
    // the key to the cursor instead of filtering every entry before it.
    let bound = Condition::Compare { field: f.clone(), op: if key.descending { Op::Le } else { Op::Ge }, values: vec![last.clone()] };
    (Condition::All(vec![bound, Condition::Any(vec![beyond, tie])]), key.descending.then(|| Condition::is_empty(f)))
}

/// Puts the picklist values of a record's `values` in `labels`' language (stored values are vtiger's
/// English; custom labels given for the language win).
pub(crate) fn shown_values(labels: &crate::i18n::Labels, m: &crate::schema::Module, values: &mut crate::record::Values) {
    for f in m.fields.iter().filter(|f| matches!(f.field_type, FieldType::Picklist | FieldType::MultiPicklist)) {
        match values.get_mut(&f.name) {
            Some(Value::Text(t)) => {
                if let Some(shown) = labels.get(t).filter(|s| *s != t.as_str()) {
                    *t = shown.to_string();
                }
            }
            Some(Value::List(l)) => {
                for x in l.iter_mut() {
                    if let Some(shown) = labels.get(x).filter(|s| *s != x.as_str()) {
                        *x = shown.to_string();
                    }
                }
            }
            _ => {}
        }
    }
}
