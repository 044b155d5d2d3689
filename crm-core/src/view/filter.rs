//! Filters (vtiger "custom views"): columns, a standard date filter, advanced conditions, sort, visibility.
//!
//! A [`Filter`] keeps its advanced conditions the way vtiger stores them — a field name, a comparator code
//! (`e n s ew c k l g m h b a bw y ny`) and the value as text — so filters exported from vtiger or typed by
//! a user round-trip unchanged. [`Filter::to_condition`] turns the filter into **one** [`Condition`] of the
//! shared query model: `All([std range, All(all…), Any(any…)])`; the query semantics are those of
//! [`crate::query`].
//!
//! Value text, as in vtiger:
//! * `bw` takes `from,to`;
//! * picklist, multi-select and owner values may be comma-separated lists: several conditions joined with
//!   OR, except `n`/`k`, joined with AND (vtiger's rule). Unlike vtiger, `s`/`ew`/`c`/`k` on free-text fields do
//!   **not** split at commas, so "Smith, John" is searched as written;
//! * `e` with an empty value means "is empty", `n` with an empty value "is not empty";
//! * `b`/`a` on a datetime field with a date-only value compare with the start / end of that day;
//! * owners are given by user or group name, references by the referenced record's name (or id).
//!
//! Visibility: vtiger's statuses 0 (default/system), 1 (private) and 3 (public). The approval step (status 2)
//! is left out: crm has no roles to approve with. System filters cannot be deleted.

use crate::error::{Error, Result};
use crate::query::{Condition, Op, Query, Sort};
use crate::schema::{Field, FieldType, Module};
use crate::value::{OwnerId, RecordId, Value};
use crate::view::range::{DateRange, ViewSettings};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Who sees a filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Shipped with crm (vtiger status 0); everyone sees it; it cannot be deleted.
    System,
    /// Only its owner sees it (vtiger status 1).
    Private,
    /// Everyone sees it (vtiger status 3).
    Public,
}

/// The standard filter: a date or datetime field within a named range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StdFilter {
    /// A date or datetime field.
    pub field: String,
    /// The range.
    pub range: DateRange,
}

/// One advanced condition as vtiger stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterCondition {
    /// Field name (or label).
    pub field: String,
    /// vtiger comparator code (`e`, `n`, `c`, `bw`, ...) or any name [`Op::parse`] accepts.
    pub comparator: String,
    /// The value as text (see the module docs for lists and ranges).
    #[serde(default)]
    pub value: String,
}

impl FilterCondition {
    /// `field comparator value`.
    pub fn new(field: impl Into<String>, comparator: impl Into<String>, value: impl Into<String>) -> Self {
        FilterCondition { field: field.into(), comparator: comparator.into(), value: value.into() }
    }
}

/// A stored list filter (custom view).
///
/// # Example
/// ```
/// use crm_core::Filter;
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
/// let big = crm.save_filter(Filter::new("Potentials", "Big deals").columns(&["potentialname", "amount"]).all("amount", "g", "10000"))?;
/// let view = crm.list("Potentials", &big.name, Some("-amount"), 1, 20)?;
/// assert_eq!((view.page.total, view.page.records[0].id), (1, deal.id));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    /// Id given by storage (0 before it is saved).
    #[serde(default)]
    pub id: i64,
    /// Name shown to users; unique per module among the filters a user sees.
    pub name: String,
    /// Module name.
    pub module: String,
    /// Columns shown, in order.
    #[serde(default)]
    pub columns: Vec<String>,
    /// The standard date filter.
    #[serde(default)]
    pub std_filter: Option<StdFilter>,
    /// Conditions that must all hold.
    #[serde(default)]
    pub all: Vec<FilterCondition>,
    /// Conditions of which at least one must hold (ignored when empty).
    #[serde(default)]
    pub any: Vec<FilterCondition>,
    /// Sort order (empty = most recently modified first). vtiger does not store one; crm does.
    #[serde(default)]
    pub sort: Vec<Sort>,
    /// The module's default filter.
    #[serde(default)]
    pub default: bool,
    /// Who sees it.
    pub visibility: Visibility,
    /// The owner's user name (`None` for system filters).
    #[serde(default)]
    pub owner: Option<String>,
}

impl Filter {
    /// A new public filter of `module` without conditions.
    pub fn new(module: impl Into<String>, name: impl Into<String>) -> Filter {
        Filter {
            id: 0,
            name: name.into(),
            module: module.into(),
            columns: vec![],
            std_filter: None,
            all: vec![],
            any: vec![],
            sort: vec![],
            default: false,
            visibility: Visibility::Public,
            owner: None,
        }
    }
    /// Sets the columns (builder style).
    pub fn columns(mut self, cols: &[&str]) -> Filter {
        self.columns = cols.iter().map(|c| c.to_string()).collect();
        self
    }
    /// Adds an "all" condition (builder style).
    pub fn all(mut self, field: &str, comparator: &str, value: &str) -> Filter {
        self.all.push(FilterCondition::new(field, comparator, value));
        self
    }
    /// Adds an "any" condition (builder style).
    pub fn any(mut self, field: &str, comparator: &str, value: &str) -> Filter {
        self.any.push(FilterCondition::new(field, comparator, value));
        self
    }
    /// Sets the standard date filter (builder style).
    pub fn date(mut self, field: &str, range: DateRange) -> Filter {
        self.std_filter = Some(StdFilter { field: field.into(), range });
        self
    }
    /// Adds a sort key, `field` or `-field` (builder style).
    pub fn order_by(mut self, key: &str) -> Filter {
        self.sort.push(Sort::parse(key));
        self
    }
    /// Makes it private to `owner` (builder style).
    pub fn private(mut self, owner: &str) -> Filter {
        self.visibility = Visibility::Private;
        self.owner = Some(owner.into());
        self
    }

    /// True when `user` (a user name, or `None` for no actor) may see the filter.
    pub fn visible_to(&self, user: Option<&str>) -> bool {
        match self.visibility {
            Visibility::System | Visibility::Public => true,
            Visibility::Private => user.is_some_and(|u| self.owner.as_deref().is_some_and(|o| o.eq_ignore_ascii_case(u))),
        }
    }

    /// The filter as one condition, with named ranges resolved on `today`.
    ///
    /// # Errors
    /// `InvalidArgument` for unknown fields, comparators that do not fit the field's type, a standard filter
    /// on a field that is not a date, or values that cannot be read.
    pub fn to_condition(&self, module: &Module, today: NaiveDate, settings: &ViewSettings, names: &dyn NameResolver) -> Result<Condition> {
        self.to_condition_in_zone(module, today, settings, names, chrono_tz::UTC)
    }

    /// [`Filter::to_condition`] for a store in time zone `tz`: a named range on a date-time field runs from
    /// local midnight of its first day to local 23:59:59 of its last day, compared as the UTC times crm
    /// stores.
    ///
    /// # Errors
    /// As [`Filter::to_condition`].
    pub fn to_condition_in_zone(
        &self,
        module: &Module,
        today: NaiveDate,
        settings: &ViewSettings,
        names: &dyn NameResolver,
        tz: chrono_tz::Tz,
    ) -> Result<Condition> {
        let mut parts = Vec::new();
        if let Some(sf) = &self.std_filter {
            let f = field(module, &sf.field)?;
            let (from, to) = sf.range.resolve(today, settings);
            parts.push(date_between(f, from, to, tz)?);
        }
        let all: Vec<Condition> = self.all.iter().map(|c| convert(module, c, names)).collect::<Result<_>>()?;
        if !all.is_empty() {
            parts.push(Condition::All(all));
        }
        let any: Vec<Condition> = self.any.iter().map(|c| convert(module, c, names)).collect::<Result<_>>()?;
        if !any.is_empty() {
            parts.push(Condition::Any(any));
        }
        Ok(Condition::All(parts))
    }

    /// The filter as a normalized [`Query`] (condition and sort; no page).
    ///
    /// # Errors
    /// As [`Filter::to_condition`], plus unknown sort fields and columns.
    pub fn to_query(&self, module: &Module, today: NaiveDate, settings: &ViewSettings, names: &dyn NameResolver) -> Result<Query> {
        self.to_query_in_zone(module, today, settings, names, chrono_tz::UTC)
    }

    /// [`Filter::to_query`] for a store in time zone `tz` (see [`Filter::to_condition_in_zone`]).
    ///
    /// # Errors
    /// As [`Filter::to_query`].
    pub fn to_query_in_zone(
        &self,
        module: &Module,
        today: NaiveDate,
        settings: &ViewSettings,
        names: &dyn NameResolver,
        tz: chrono_tz::Tz,
    ) -> Result<Query> {
        for c in &self.columns {
            field(module, c)?;
        }
        let mut q = Query::new(module.name.clone()).filter(self.to_condition_in_zone(module, today, settings, names, tz)?);
        q.sort = self.sort.clone();
        q.normalize(module)
    }
}

/// Looks up owners and referenced records by name while converting a filter.
pub trait NameResolver {
    /// A user or group by name.
    fn owner(&self, name: &str) -> Option<OwnerId>;
    /// Records of any of `modules` with this name.
    fn records(&self, modules: &[String], name: &str) -> Vec<RecordId>;
}

fn field<'a>(module: &'a Module, name: &str) -> Result<&'a Field> {
    module.field_by_name_or_label(name).ok_or_else(|| Error::invalid(format!("{} has no field '{name}'", module.name)))
}

fn date_between(f: &Field, from: NaiveDate, to: NaiveDate, tz: chrono_tz::Tz) -> Result<Condition> {
    use chrono::TimeZone;
    // A local wall-clock time as the UTC time crm stores (a time a DST change skips reads as its neighbour).
    let utc = |local: chrono::NaiveDateTime, first: bool| {
        let t = tz.from_local_datetime(&local);
        let t = if first { t.earliest() } else { t.latest() };
        t.map_or(local, |t| t.naive_utc())
    };
    match f.field_type {
        FieldType::Date => Ok(Condition::between(f.name.clone(), Value::Date(from), Value::Date(to))),
        FieldType::DateTime => Ok(Condition::between(
            f.name.clone(),
            Value::DateTime(utc(from.and_time(chrono::NaiveTime::MIN), true)),
            Value::DateTime(utc(to.and_hms_opt(23, 59, 59).unwrap_or(to.and_time(chrono::NaiveTime::MIN)), false)),
        )),
        t => Err(Error::invalid(format!("the standard filter needs a date field; '{}' is {t:?}", f.name))),
    }
}

fn convert(module: &Module, c: &FilterCondition, names: &dyn NameResolver) -> Result<Condition> {
    let f = field(module, &c.field)?;
    let code = c.comparator.trim().to_ascii_lowercase();
    let op = Op::parse(&code).ok_or_else(|| Error::invalid(format!("unknown comparator '{}' on '{}'", c.comparator, f.name)))?;
    let t = f.field_type;
    // vtiger's before/after exist only for dates and times.
    if matches!(code.as_str(), "b" | "a") && !matches!(t, FieldType::Date | FieldType::DateTime | FieldType::Time) {
        return Err(Error::invalid(format!("comparator '{code}' needs a date or time field; '{}' is {t:?}", f.name)));
    }
    if !op.fits(t) {
        return Err(Error::invalid(format!("comparator '{code}' does not fit field '{}' of type {t:?}", f.name)));
    }
    let name = f.name.clone();
    let raw = c.value.trim();
    let cmp = |op: Op, v: Value| Condition::Compare { field: name.clone(), op, values: vec![v] };
    match op {
        Op::IsEmpty | Op::IsNotEmpty => {
            return Ok(Condition::Compare { field: name, op, values: vec![] });
        }
        Op::Eq if raw.is_empty() => return Ok(Condition::is_empty(name)),
        Op::Ne if raw.is_empty() => return Ok(Condition::is_not_empty(name)),
        Op::Between => {
            let (lo, hi) = raw.split_once(',').ok_or_else(|| Error::invalid(format!("'bw' on '{}' needs 'from,to'", f.name)))?;
            let lo = lo.trim();
            let hi = hi.trim();
            if t == FieldType::DateTime {
                let (lo, hi) = (day_edge(lo, false), day_edge(hi, true));
                return Ok(Condition::between(name, lo, hi));
            }
            return Ok(Condition::between(name, lo, hi));
        }
        _ => {}
    }
    let listy = matches!(t, FieldType::Picklist | FieldType::MultiPicklist | FieldType::Owner);
    let items: Vec<&str> = if listy { raw.split(',').map(str::trim).filter(|s| !s.is_empty()).collect() } else { vec![raw] };
    let mut out = Vec::new();
    for item in items {
        let v = match t {
            FieldType::Owner => match item.parse::<i64>() {
                Ok(i) => Value::Owner(OwnerId(i)),
                Err(_) => Value::Owner(names.owner(item).ok_or_else(|| Error::invalid(format!("no user or group named '{item}'")))?),
            },
            FieldType::Reference => {
                let ids = match item.parse::<i64>() {
                    Ok(i) => vec![RecordId(i)],
                    Err(_) => names.records(&f.references, item),
                };
                // An unknown name selects nothing for `e` and everything non-matching for `n`.
                let ids: Vec<Value> = ids.into_iter().map(Value::Ref).collect();
                let found = if ids.is_empty() {
                    Condition::Any(vec![])
                } else {
                    Condition::Compare { field: name.clone(), op: Op::In, values: ids }
                };
                out.push(if op == Op::Ne { Condition::Not(Box::new(found)) } else { found });
                continue;
            }
            FieldType::DateTime if matches!(code.as_str(), "a" | "g" | "m") => day_edge(item, true),
            FieldType::DateTime if matches!(code.as_str(), "b" | "l" | "h") => day_edge(item, false),
            FieldType::DateTime if op == Op::Eq && crate::value::parse_date(item).is_some() => {
                out.push(Condition::between(name.clone(), day_edge(item, false), day_edge(item, true)));
                continue;
            }
            _ => Value::Text(item.to_string()),
        };
        out.push(cmp(op, v));
    }
    Ok(match out.len() {
        0 => cmp(op, Value::Text(String::new())),
        1 => out.remove(0),
        _ if matches!(op, Op::Ne | Op::NotContains) => Condition::All(out),
        _ => Condition::Any(out),
    })
}

/// A datetime value for a datetime field: a date-only text becomes the start or end of that day.
fn day_edge(text: &str, end: bool) -> Value {
    if crate::value::parse_datetime(text).is_none()
        && let Some(d) = crate::value::parse_date(text)
        && let Some(t) = if end { d.and_hms_opt(23, 59, 59) } else { d.and_hms_opt(0, 0, 0) }
    {
        return Value::DateTime(t);
    }
    Value::Text(text.to_string())
}

/// vtiger's three default Potentials filters (§1.3): All (default), Potentials Won, Prospecting.
pub fn default_filters() -> Vec<Filter> {
    let sys = |name: &str, cols: &[&str]| Filter { visibility: Visibility::System, ..Filter::new("Potentials", name).columns(cols) };
    vec![
        Filter {
            default: true,
            ..sys(
                "All",
                &[
                    "potential_no",
                    "potentialname",
                    "related_to",
                    "sales_stage",
                    "leadsource",
                    "closingdate",
                    "amount",
                    "assigned_user_id",
                    "contact_id",
                ],
            )
        },
        sys("Potentials Won", &["potentialname", "related_to", "amount", "closingdate", "assigned_user_id", "contact_id"]).all(
            "sales_stage",
            "e",
            "Closed Won",
        ),
        sys("Prospecting", &["potentialname", "related_to", "amount", "leadsource", "closingdate", "assigned_user_id", "contact_id"]).all(
            "sales_stage",
            "e",
            "Prospecting",
        ),
    ]
}
