//! Currencies through the facade: the base currency, the store's currencies and their dated rates, exact
//! conversion, each user's preferred currency, and what a save does with a record's currency.
//!
//! **Records carry their currency.** Modules with a `currency` field (Potentials and the inventory modules
//! built in) keep each money field in the record's currency and, in a hidden field `<field>_base` kept by
//! crm, its value in the base currency, converted at the rate valid on the record's date (see
//! [`CurrencyBook::date_field`]) and rounded to the base currency's places. Sorting, filtering and summing
//! on the base copies compare like with like across currencies.
//!
//! A save fills the copies before the workflows run (so conditions and expressions see them) and, after
//! them, again only the copies whose inputs a workflow changed (its money field, or the currency or the
//! rate's day for every copy). [`Crm::commit`] trusts planned changes and does not look at them again:
//! mass edits and undo go through the save's plan ([`Crm::plan_update`]), and the plans that change a
//! record's values outside it (workflow updates of related records, scheduled workflow runs, an
//! imported creation time) fill the copies with [`Crm::plan_base_copies`]. Merges, conversions and
//! moves to and from the recycle bin change references, flags and stamps only, which no copy reads.
//!
//! **Rate edits refresh the copies.** A new or changed rate rewrites the base copies of every record in
//! that currency whose copy changes, in the same transaction as the rate: one read of the currency's
//! records and one UPDATE per changed record (the record's version does not move: the copy is derived, not
//! an edit). Exact decimal conversion cannot be pushed into SQL without losing the exact result (SQLite
//! has no decimal division; PostgreSQL's `numeric` division rounds at its own scale first), so it is done
//! here.

use super::Crm;
use crate::currency::{self, Currency, CurrencyBook, CurrencyChange, CurrencyRate, NewCurrency};
use crate::error::{Error, FieldError, Result, ValidationCode, ValidationErrors};
use crate::query::{Condition, Query};
use crate::record::Record;
use crate::record::Values;
use crate::schema::Module;
use crate::storage::{Change, ChangeSet, RecordChange, ViewChange};
use crate::value::Value;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::BTreeSet;
use std::sync::Arc;

/// The setting that holds the [`CurrencyBook`].
const CURRENCY_SETTING: &str = "currencies";

/// The most decimal places a currency may have (the base copies are stored with 4).
const MAX_DECIMALS: u32 = 4;

impl Crm {
    /// The store's currency book (the default book, base USD, for a store that never configured one).
    ///
    /// # Errors
    /// Storage errors; `InvalidArgument` when the stored book cannot be read.
    pub fn currency_book(&self) -> Result<CurrencyBook> {
        match self.store.setting(CURRENCY_SETTING)? {
            Some(j) => serde_json::from_str(&j).map_err(|e| Error::invalid(format!("stored currencies: {e}"))),
            None => Ok(CurrencyBook::default()),
        }
    }

    /// The book for the write path: cached, dropped whenever another handle writes (see `Cache`).
    pub(crate) fn currency_book_cached(&mut self) -> Result<Arc<CurrencyBook>> {
        self.check_cache()?;
        if let Some(b) = &self.cache.currencies {
            return Ok(Arc::clone(b));
        }
        let b = Arc::new(self.currency_book()?);
        self.cache.currencies = Some(Arc::clone(&b));
        Ok(b)
    }

    /// The base currency.
    pub fn base_currency(&self) -> Result<Currency> {
        Ok(self.currency_book()?.base_currency().clone())
    }

    /// The store's currencies, the base first.
    pub fn currencies(&self) -> Result<Vec<Currency>> {
        let b = self.currency_book()?;
        let mut v = b.currencies.clone();
        v.sort_by_key(|c| c.code != b.base);
        Ok(v)
    }

    /// The dated rates of a currency, oldest first (none for the base currency, whose rate is always 1).
    ///
    /// # Errors
    /// `NotFound` for a currency the store does not have.
    pub fn currency_rates(&self, code: &str) -> Result<Vec<CurrencyRate>> {
        let b = self.currency_book()?;
        let c = b.currency(code).ok_or_else(|| Error::not_found(format!("currency '{code}'")))?;
        Ok(b.rates_of(&c.code))
    }

    /// The log of currency edits (added currencies, rate edits, base changes), oldest first.
    pub fn currency_log(&self) -> Result<Vec<CurrencyChange>> {
        Ok(self.currency_book()?.log)
    }

    /// Converts an amount between two of the store's currencies at the rates valid on `on`, rounded to the
    /// target currency's places (see [`CurrencyBook::convert`]).
    ///
    /// # Example
    /// ```
    /// use crm_core::Crm;
    /// use crm_core::currency::NewCurrency;
    /// use rust_decimal::Decimal;
    /// # fn main() -> Result<(), crm_core::Error> {
    /// let mut crm = Crm::open(":memory:")?;
    /// crm.add_currency(NewCurrency::new("EUR", Decimal::new(92, 2)))?; // 1 USD = 0.92 EUR
    /// let day = chrono::NaiveDate::from_ymd_opt(2027, 3, 31).unwrap();
    /// assert_eq!(crm.convert(Decimal::from(100), "EUR", "USD", day)?.to_string(), "108.70");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// `NotFound` for an unknown currency; `InvalidArgument` for a missing rate or an overflow.
    pub fn convert(&self, amount: Decimal, from: &str, to: &str, on: NaiveDate) -> Result<Decimal> {
        self.currency_book()?.convert(amount, from, to, on)
    }

    /// Sets the base currency. Allowed only while no record holds a money value (as vtiger's installer
    /// chooses it once): rates are against the base, so changing it under stored amounts would change
    /// what they mean. The new base loses its rates; the old base stays a currency of the store and needs
    /// a rate ([`Crm::set_currency_rate`]) before records use it.
    ///
    /// # Errors
    /// `Conflict` once money values exist; `InvalidArgument` for a code that is not three letters.
    pub fn set_base_currency(&mut self, code: &str) -> Result<Currency> {
        let mut book = self.currency_book()?;
        let code = currency::normalize_code(code)?;
        if book.base == code {
            return Ok(book.base_currency().clone());
        }
        if self.holds_money_values()? {
            return Err(Error::Conflict("the base currency can only change while no record holds a money value".into()));
        }
        if book.currency(&code).is_none() {
            book.currencies.push(Currency::from_code(&code)?);
        }
        book.rates.retain(|r| r.code != code);
        book.base = code.clone();
        self.log_currency(&mut book, &code, "base", None, None, None);
        self.put_book(&book, ChangeSet::new())?;
        Ok(book.base_currency().clone())
    }

    /// Adds a currency (or updates the name, symbol, places and rounding of one the store has, and
    /// activates it). A non-base currency needs a rate the first time: units of it per one base unit,
    /// valid since always. Logged.
    ///
    /// # Errors
    /// `InvalidArgument` for a bad code, a missing or non-positive rate, more than 4 decimal places.
    pub fn add_currency(&mut self, new: NewCurrency) -> Result<Currency> {
        let mut book = self.currency_book()?;
        let mut c = Currency::from_code(&new.code)?;
        if let Some(existing) = book.currency(&c.code) {
            c = existing.clone();
            c.active = true;
        }
        if let Some(n) = new.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
            c.name = n.to_string();
        }
        if let Some(s) = new.symbol.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            c.symbol = s.to_string();
        }
        if let Some(d) = new.decimals {
            if d > MAX_DECIMALS {
                return Err(Error::invalid(format!("a currency has at most {MAX_DECIMALS} decimal places, not {d}")));
            }
            c.decimals = d;
        }
        if let Some(r) = new.rounding {
            c.rounding = r;
        }
        let is_base = c.code == book.base;
        let has_rate = !book.rates_of(&c.code).is_empty();
        let mut refresh = false;
        match new.rate {
            Some(r) if !is_base => {
                check_rate(r)?;
                let before = upsert_rate(&mut book, &c.code, r, None);
                refresh = has_rate;
                self.log_currency(&mut book, &c.code, "rate", None, before, Some(r));
            }
            Some(r) if r != Decimal::ONE => return Err(Error::invalid(format!("the base currency {} has the rate 1", c.code))),
            None if !is_base && !has_rate => {
                return Err(Error::invalid(format!("{} needs a rate (units per one {})", c.code, book.base)));
            }
            _ => {}
        }
        let added = book.currency(&c.code).is_none();
        match book.currencies.iter_mut().find(|x| x.code == c.code) {
            Some(x) => *x = c.clone(),
            None => book.currencies.push(c.clone()),
        }
        if added {
            self.log_currency(&mut book, &c.code, "added", None, None, None);
        }
        let cs = if refresh { self.refresh_changes(&book, Some(&c.code), None)? } else { ChangeSet::new() };
        self.put_book(&book, cs)?;
        Ok(c)
    }

    /// Sets the rate of a currency from `valid_from` (since always when `None`) until the next rate;
    /// replaces a rate with the same start. Logged; the base copies of the currency's records are
    /// refreshed in the same transaction.
    ///
    /// # Errors
    /// `NotFound` for a currency the store does not have; `InvalidArgument` for the base currency or a
    /// non-positive rate.
    pub fn set_currency_rate(&mut self, code: &str, rate: Decimal, valid_from: Option<NaiveDate>) -> Result<CurrencyRate> {
        let mut book = self.currency_book()?;
        let c = book.currency(code).ok_or_else(|| Error::not_found(format!("currency '{code}'")))?.code.clone();
        if c == book.base {
            return Err(Error::invalid(format!("{c} is the base currency: its rate is always 1")));
        }
        check_rate(rate)?;
        let before = upsert_rate(&mut book, &c, rate, valid_from);
        self.log_currency(&mut book, &c, "rate", valid_from, before, Some(rate));
        let cs = self.refresh_changes(&book, Some(&c), None)?;
        self.put_book(&book, cs)?;
        Ok(CurrencyRate { code: c, rate, valid_from })
    }

    /// Removes the rate of a currency that starts on `valid_from` (the since-always rate with `None`).
    /// Logged; base copies refreshed.
    ///
    /// # Errors
    /// `NotFound` for an unknown currency or rate; `Validation` (`missing_rate`) when records would be left
    /// without a rate.
    pub fn remove_currency_rate(&mut self, code: &str, valid_from: Option<NaiveDate>) -> Result<()> {
        let mut book = self.currency_book()?;
        let c = book.currency(code).ok_or_else(|| Error::not_found(format!("currency '{code}'")))?.code.clone();
        let Some(i) = book.rates.iter().position(|r| r.code == c && r.valid_from == valid_from) else {
            return Err(Error::not_found(format!("{c} rate from {}", valid_from.map_or("the beginning".into(), |d| d.to_string()))));
        };
        let old = book.rates.remove(i);
        self.log_currency(&mut book, &c, "rate", valid_from, Some(old.rate), None);
        let cs = self.refresh_changes(&book, Some(&c), None)?;
        self.put_book(&book, cs)
    }

    /// Activates or deactivates a currency. Records keep an inactive currency; new values may not name it.
    ///
    /// # Errors
    /// `NotFound` for an unknown currency; `InvalidArgument` for the base currency.
    pub fn set_currency_active(&mut self, code: &str, active: bool) -> Result<()> {
        let mut book = self.currency_book()?;
        let base = book.base.clone();
        let c = book.currencies.iter_mut().find(|c| c.code.eq_ignore_ascii_case(code.trim()));
        let c = c.ok_or_else(|| Error::not_found(format!("currency '{code}'")))?;
        if c.code == base && !active {
            return Err(Error::invalid(format!("{base} is the base currency and stays active")));
        }
        c.active = active;
        let code = c.code.clone();
        self.log_currency(&mut book, &code, if active { "activated" } else { "deactivated" }, None, None, None);
        self.put_book(&book, ChangeSet::new())
    }

    /// Sets the date field whose day picks the rate for `module`'s records (default: close date of
    /// opportunities, valid-till of quotes, due date of sales orders, invoice date of invoices; records
    /// without one use their creation day). Refreshes the module's base copies.
    ///
    /// # Errors
    /// `NotFound` for an unknown module; `InvalidArgument` for a field that is not a date or date-time.
    pub fn set_currency_date_field(&mut self, module: &str, field: &str) -> Result<()> {
        let s = self.current_schema()?;
        let m = Crm::read_module(&s, module)?;
        let f = m.field_by_name_or_label(field).ok_or_else(|| Error::invalid(format!("{} has no field '{field}'", m.name)))?;
        if !matches!(f.field_type, crate::schema::FieldType::Date | crate::schema::FieldType::DateTime) {
            return Err(Error::invalid(format!("'{}' is not a date field", f.name)));
        }
        let mut book = self.currency_book()?;
        book.date_fields.insert(m.name.clone(), f.name.clone());
        let cs = self.refresh_changes(&book, None, Some(&m.name))?;
        self.put_book(&book, cs)
    }

    /// Sets (or clears, with `None`) a user's preferred currency: the currency of the records the user
    /// creates without naming one.
    ///
    /// # Errors
    /// `NotFound` for an unknown user; `Validation` (`unknown_currency`) for a currency the store lacks.
    pub fn set_user_currency(&mut self, user_name: &str, code: Option<&str>) -> Result<()> {
        let user = self.user(user_name)?;
        let mut book = self.currency_book()?;
        let key = user.user_name.clone();
        match code {
            Some(c) => {
                let cur = book.resolve(c).filter(|c| c.active).ok_or_else(|| unknown_currency("currency", c))?;
                let code = cur.code.clone();
                book.user_currencies.insert(key, code);
            }
            None => {
                book.user_currencies.remove(&key);
            }
        }
        self.put_book(&book, ChangeSet::new())
    }

    /// A user's preferred currency, if set.
    pub fn user_currency(&self, user_name: &str) -> Result<Option<String>> {
        let user = self.user(user_name)?;
        Ok(self.currency_book()?.user_currencies.get(&user.user_name).cloned())
    }

    // ----- write path -----

    /// Resolves the record's currency (code, name or symbol → code), gives a new record its default (the
    /// acting user's preferred currency, else the base) and fills the base copies. Problems go to `errors`
    /// under the `currency` field.
    pub(crate) fn currency_input(
        &mut self,
        m: &Module,
        money: &[(String, String)],
        values: &mut Values,
        before: Option<&Values>,
        errors: &mut ValidationErrors,
    ) -> Result<()> {
        if m.field(currency::CURRENCY_FIELD).is_none() {
            return Ok(());
        }
        let book = self.currency_book_cached()?;
        let given = values.get(currency::CURRENCY_FIELD).and_then(Value::to_text).filter(|t| !t.trim().is_empty());
        let code = match given {
            Some(t) => match book.resolve(&t) {
                Some(c) => {
                    let unchanged = before.and_then(|b| b.get(currency::CURRENCY_FIELD)).and_then(Value::as_str) == Some(c.code.as_str());
                    if !c.active && !unchanged {
                        errors.push(unknown_currency(currency::CURRENCY_FIELD, &t).into_field());
                        return Ok(());
                    }
                    c.code.clone()
                }
                None => {
                    errors.push(unknown_currency(currency::CURRENCY_FIELD, &t).into_field());
                    return Ok(());
                }
            },
            None => {
                let pref = self.actor.as_ref().and_then(|u| book.user_currencies.get(&u.user_name));
                pref.and_then(|p| book.currency(p)).filter(|c| c.active).map_or_else(|| book.base.clone(), |c| c.code.clone())
            }
        };
        values.insert(currency::CURRENCY_FIELD.into(), Value::Text(code));
        if let Err(e) = fill_copies(&book, m, money, values, self.now().date(), &|_| true) {
            errors.push(e);
        }
        Ok(())
    }

    /// Fills the base copies again after the workflows, for the copies whose inputs the workflows changed
    /// (`changed`: the fields they set on the record): a copy whose money field changed, or every copy when
    /// the currency or the day the rate is taken on changed. A missing rate is a validation error.
    pub(crate) fn currency_refill(
        &mut self,
        m: &Module,
        pairs: &[(String, String)],
        values: &mut Values,
        changed: &BTreeSet<String>,
    ) -> Result<()> {
        if changed.is_empty() || pairs.is_empty() {
            return Ok(());
        }
        let book = self.currency_book_cached()?;
        let day_field = book.date_field(&m.name);
        let every = changed.contains(currency::CURRENCY_FIELD)
            || changed.contains("createdtime")
            || day_field.as_ref().is_some_and(|f| changed.contains(f));
        if !every && !pairs.iter().any(|(money, _)| changed.contains(money)) {
            return Ok(());
        }
        let today = self.now().date();
        let only = |money: &str| every || changed.contains(money);
        fill_copies(&book, m, pairs, values, today, &only).map_err(validation)
    }

    /// True when a record's base copies take their rate on its creation day: its module has money fields
    /// and the record has no date in the field the currency book takes the day from.
    pub(crate) fn copies_read_creation_day(&mut self, r: &Record) -> Result<bool> {
        let schema = Arc::clone(&self.schema);
        let Some(m) = schema.modules.get(&r.module) else { return Ok(false) };
        if self.save_plan(&schema, m).money.is_empty() {
            return Ok(false);
        }
        let book = self.currency_book_cached()?;
        Ok(book.date_field(&m.name).is_none_or(|f| !matches!(r.get(&f), Value::Date(_) | Value::DateTime(_))))
    }

    /// Makes the base copies of a record that a plan writes with changed values right (the writes that do
    /// not go through a save: see the module doc): gives it the base currency when it has none and fills
    /// every copy. [`Crm::commit`] trusts planned changes.
    ///
    /// # Errors
    /// `Validation` for a missing rate; storage errors reading the currency book.
    pub(crate) fn plan_base_copies(&mut self, r: &mut Record) -> Result<()> {
        let schema = Arc::clone(&self.schema);
        let Some(m) = schema.modules.get(&r.module) else { return Ok(()) };
        if m.field(currency::CURRENCY_FIELD).is_none() || currency::money_fields(m).is_empty() {
            return Ok(());
        }
        let book = self.currency_book_cached()?;
        if r.values.get(currency::CURRENCY_FIELD).is_none_or(Value::is_empty) {
            r.values.insert(currency::CURRENCY_FIELD.into(), Value::Text(book.base.clone()));
        }
        let today = self.now().date();
        fill_base_copies(&book, m, &mut r.values, today).map_err(validation)
    }

    // ----- refresh and upgrade -----

    /// Updates that make the base copies follow `book`: of records in `code` (every currency when
    /// `None`), of `module` (every module with money fields when `None`), live and in the recycle bin.
    /// Records whose copies do not change are left alone; versions do not move.
    fn refresh_changes(&mut self, book: &CurrencyBook, code: Option<&str>, module: Option<&str>) -> Result<ChangeSet> {
        let schema = self.current_schema()?;
        let today = self.now().date();
        let mut cs = ChangeSet::new();
        let mut problems = ValidationErrors::default();
        for m in schema.modules.values() {
            if module.is_some_and(|x| x != m.name) || currency::money_fields(m).is_empty() {
                continue;
            }
            let mut q = Query::new(&m.name);
            if let Some(c) = code {
                q = q.filter(Condition::eq(currency::CURRENCY_FIELD, c));
            }
            let q = q.normalize(m)?;
            for q in [q.clone(), q.in_recycle_bin()] {
                for r in self.store.query(&q)? {
                    let mut values = r.values.clone();
                    if values.get(currency::CURRENCY_FIELD).is_none_or(Value::is_empty) {
                        values.insert(currency::CURRENCY_FIELD.into(), Value::Text(book.base.clone()));
                    }
                    if let Err(e) = fill_base_copies(book, m, &mut values, today) {
                        if problems.errors().len() < 10 {
                            problems.push(FieldError::new(e.field, e.code, format!("record {}: {}", r.id, e.message)));
                        }
                        continue;
                    }
                    if values != r.values {
                        let version = r.version;
                        cs.push(RecordChange::Update { record: Record { values, ..r }, expected_version: version });
                    }
                }
            }
        }
        problems.into_result()?;
        Ok(cs)
    }

    /// True when a record of a module with money fields holds a money value.
    fn holds_money_values(&self) -> Result<bool> {
        let schema = self.current_schema()?;
        for m in schema.modules.values() {
            for (money, _) in currency::money_fields(m) {
                let q = Query::new(&m.name).filter(Condition::is_not_empty(money)).normalize(m)?;
                if self.store.count(&q)? > 0 || self.store.count(&q.in_recycle_bin())? > 0 {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    /// Stores the book with `cs` in one commit and drops the cached book.
    fn put_book(&mut self, book: &CurrencyBook, mut cs: ChangeSet) -> Result<()> {
        let value = serde_json::to_string(book).map_err(|e| Error::invalid(e.to_string()))?;
        cs.0.insert(0, Change::View(ViewChange::PutSetting { key: CURRENCY_SETTING.into(), value }));
        self.cache.currencies = None;
        let out = self.store.commit(&cs);
        self.cache.currencies = None;
        if cs.0.len() > 1 {
            self.drop_reference_caches();
        }
        out
    }

    fn log_currency(
        &self,
        book: &mut CurrencyBook,
        code: &str,
        what: &str,
        valid_from: Option<NaiveDate>,
        before: Option<Decimal>,
        after: Option<Decimal>,
    ) {
        book.log.push(CurrencyChange {
            at: self.now(),
            actor: self.actor_name(),
            code: code.into(),
            what: what.into(),
            valid_from,
            before,
            after,
        });
    }

    /// Gives a module the `currency` field and a base copy of every money field that lacks one (after a
    /// currency field was added to it), and fills them on its records (currency: the base). Idempotent.
    ///
    /// # Errors
    /// Storage errors; `Conflict` when another handle kept changing the schema.
    pub(crate) fn add_money_copies(&mut self, module: &str) -> Result<()> {
        self.refresh_schema()?;
        let mut schema = (*self.schema).clone();
        let Some(m) = schema.modules.get_mut(module) else { return Ok(()) };
        let builtin = crate::schema::Schema::builtin();
        let template = builtin.modules.get("Potentials").and_then(|p| p.field("amount_base")).cloned();
        let currency_field = builtin.modules.get("Potentials").and_then(|p| p.field(currency::CURRENCY_FIELD)).cloned();
        let (Some(template), Some(currency_field)) = (template, currency_field) else { return Ok(()) };
        let block = m.fields.iter().find(|f| f.field_type == crate::schema::FieldType::Currency).map(|f| f.block.clone());
        let block = block.or_else(|| m.blocks.first().map(|b| b.name.clone())).unwrap_or_default();
        let mut added = false;
        let mut push = |m: &mut Module, mut f: crate::schema::Field| {
            f.block = block.clone();
            f.sequence = m.fields.iter().filter(|x| x.block == f.block).count() as u32 + 1;
            m.fields.push(f);
            added = true;
        };
        if m.field(currency::CURRENCY_FIELD).is_none() {
            push(m, currency_field);
        }
        let money: Vec<crate::schema::Field> = m
            .fields
            .iter()
            .filter(|f| f.field_type == crate::schema::FieldType::Currency && !f.name.ends_with(currency::BASE_SUFFIX))
            .cloned()
            .collect();
        for f in money {
            let copy = format!("{}{}", f.name, currency::BASE_SUFFIX);
            if m.field(&copy).is_none() {
                let mut c = template.clone();
                c.label = format!("{} in Base Currency", f.label);
                c.name = copy;
                c.custom = f.custom;
                push(m, c);
            }
        }
        if !added {
            return Ok(());
        }
        self.save_schema(schema)?;
        let book = self.currency_book()?;
        let cs = self.refresh_changes(&book, None, Some(module))?;
        if !cs.is_empty() {
            self.store.commit(&cs)?;
        }
        Ok(())
    }

    /// True when the stored schema lacks the currency fields of the built-in modules (a store made before
    /// records carried a currency).
    pub(crate) fn lacks_currency_fields(&self) -> bool {
        let builtin = crate::schema::Schema::builtin();
        builtin.modules.values().any(|b| {
            b.field(currency::CURRENCY_FIELD).is_some()
                && self.schema.modules.get(&b.name).is_some_and(|m| m.field(currency::CURRENCY_FIELD).is_none())
        })
    }

    /// Migration of a store made before records carried a currency (idempotent; run on open under the
    /// setup lock): adds the built-in modules' `currency` field and base copies to the stored schema
    /// (which adds the columns), then marks every existing record as being in the base currency with its
    /// copies equal to its amounts (existing amounts were base-currency amounts).
    pub(crate) fn upgrade_currency_fields(&mut self) -> Result<()> {
        self.in_setup(|crm| {
            if let Some(s) = crm.store.load_schema()? {
                crm.schema = Arc::new(s);
            }
            if !crm.lacks_currency_fields() {
                return Ok(());
            }
            let builtin = crate::schema::Schema::builtin();
            let mut schema = (*crm.schema).clone();
            let mut touched = Vec::new();
            for b in builtin.modules.values() {
                let Some(m) = schema.modules.get_mut(&b.name) else { continue };
                if b.field(currency::CURRENCY_FIELD).is_none() || m.field(currency::CURRENCY_FIELD).is_some() {
                    continue;
                }
                for f in &b.fields {
                    let ours = f.name == currency::CURRENCY_FIELD || currency::is_base_copy(b, &f.name);
                    if ours && m.field(&f.name).is_none() {
                        let mut f = f.clone();
                        if !m.blocks.iter().any(|x| x.name == f.block)
                            && let Some(first) = m.blocks.first()
                        {
                            f.block = first.name.clone();
                        }
                        f.sequence = m.fields.iter().filter(|x| x.block == f.block).count() as u32 + 1;
                        m.fields.push(f);
                    }
                }
                touched.push(b.name.clone());
            }
            crm.save_schema(schema)?;
            let book = crm.currency_book()?;
            let mut cs = ChangeSet::new();
            for name in touched {
                let m = crm.schema.modules[&name].clone();
                let q = Query::new(&name).normalize(&m)?;
                for q in [q.clone(), q.in_recycle_bin()] {
                    for r in crm.store.query(&q)? {
                        let mut values = r.values.clone();
                        values.insert(currency::CURRENCY_FIELD.into(), Value::Text(book.base.clone()));
                        let _ = fill_base_copies(&book, &m, &mut values, crm.now().date());
                        let version = r.version;
                        cs.push(RecordChange::Update { record: Record { values, ..r }, expected_version: version });
                    }
                }
            }
            if !cs.is_empty() {
                crm.store.commit(&cs)?;
            }
            Ok(())
        })
    }
}

/// A rate must be positive.
fn check_rate(r: Decimal) -> Result<()> {
    if r <= Decimal::ZERO {
        return Err(Error::invalid(format!("a rate must be positive, not {r}")));
    }
    Ok(())
}

/// Puts a rate into the book; the replaced rate with the same start, if any.
fn upsert_rate(book: &mut CurrencyBook, code: &str, rate: Decimal, valid_from: Option<NaiveDate>) -> Option<Decimal> {
    match book.rates.iter_mut().find(|r| r.code == code && r.valid_from == valid_from) {
        Some(r) => Some(std::mem::replace(&mut r.rate, rate)),
        None => {
            book.rates.push(CurrencyRate { code: code.into(), rate, valid_from });
            book.rates.sort_by(|a, b| a.code.cmp(&b.code).then(a.valid_from.cmp(&b.valid_from)));
            None
        }
    }
}

/// The error of a currency the store does not have.
fn unknown_currency(field: &str, text: &str) -> Error {
    let mut v = ValidationErrors::default();
    v.push(FieldError::new(field, ValidationCode::UnknownCurrency, format!("'{}' is not a currency of this store", text.trim())));
    v.into_result().err().unwrap_or_else(|| Error::invalid("unknown currency"))
}

trait IntoField {
    fn into_field(self) -> FieldError;
}

impl IntoField for Error {
    fn into_field(self) -> FieldError {
        match self.field_errors().first() {
            Some(e) => e.clone(),
            None => FieldError::new(currency::CURRENCY_FIELD, ValidationCode::UnknownCurrency, self.to_string()),
        }
    }
}

/// The day whose rate converts a record: its date field's day, else its creation day, else `today`.
pub(crate) fn record_day(book: &CurrencyBook, m: &Module, values: &Values, today: NaiveDate) -> NaiveDate {
    let day_of = |f: &str| match values.get(f) {
        Some(Value::Date(d)) => Some(*d),
        Some(Value::DateTime(t)) => Some(t.date()),
        _ => None,
    };
    book.date_field(&m.name).and_then(|f| day_of(&f)).or_else(|| day_of("createdtime")).unwrap_or(today)
}

/// Sets each money field's base copy from the record's currency and day (removes it for an empty amount).
///
/// # Errors
/// A `missing_rate` (or `unknown_currency`) problem on the `currency` field.
pub(crate) fn fill_base_copies(
    book: &CurrencyBook,
    m: &Module,
    values: &mut Values,
    today: NaiveDate,
) -> std::result::Result<(), FieldError> {
    fill_copies(book, m, &currency::money_fields(m), values, today, &|_| true)
}

/// [`fill_base_copies`] for the money fields `only` accepts.
fn fill_copies(
    book: &CurrencyBook,
    m: &Module,
    pairs: &[(String, String)],
    values: &mut Values,
    today: NaiveDate,
    only: &dyn Fn(&str) -> bool,
) -> std::result::Result<(), FieldError> {
    for (copy, v) in base_copies(book, m, pairs, values, today, only)? {
        match v {
            Some(v) => values.insert(copy, v),
            None => values.remove(&copy),
        };
    }
    Ok(())
}

/// A base-copy problem as the `Validation` error a save reports.
fn validation(e: FieldError) -> Error {
    let mut v = ValidationErrors::default();
    v.push(e);
    v.into_result().err().unwrap_or_else(|| Error::invalid("missing rate"))
}

/// The base copies a record's values call for: `(copy field, value or none for an empty amount)`.
///
/// # Errors
/// As [`fill_base_copies`].
fn base_copies(
    book: &CurrencyBook,
    m: &Module,
    pairs: &[(String, String)],
    values: &Values,
    today: NaiveDate,
    only: &dyn Fn(&str) -> bool,
) -> std::result::Result<Vec<(String, Option<Value>)>, FieldError> {
    let pairs: Vec<&(String, String)> = pairs.iter().filter(|(money, _)| only(money)).collect();
    let mut out = Vec::with_capacity(pairs.len());
    if pairs.is_empty() {
        return Ok(out);
    }
    let code = values.get(currency::CURRENCY_FIELD).and_then(Value::as_str).unwrap_or(&book.base);
    let day = record_day(book, m, values, today);
    let base = book.base_currency();
    for (money, copy) in pairs {
        let amount = match values.get(money) {
            Some(Value::Decimal(d)) => *d,
            Some(Value::Int(i)) => Decimal::from(*i),
            _ => {
                out.push((copy.clone(), None));
                continue;
            }
        };
        if book.currency(code).is_none() {
            return Err(FieldError::new(
                currency::CURRENCY_FIELD,
                ValidationCode::UnknownCurrency,
                format!("'{code}' is not a currency of this store"),
            ));
        }
        if book.rate_on(code, day).is_none() {
            return Err(FieldError::new(
                currency::CURRENCY_FIELD,
                ValidationCode::MissingRate,
                format!("no {code} rate is valid on {day}"),
            ));
        }
        let mut v = book
            .convert(amount, code, &base.code, day)
            .map_err(|e| FieldError::new(money.as_str(), ValidationCode::OutOfRange, e.to_string()))?;
        v.rescale(m.field(copy).map_or(MAX_DECIMALS, |f| f.decimal_scale()));
        out.push((copy.clone(), Some(Value::Decimal(v))));
    }
    Ok(out)
}
