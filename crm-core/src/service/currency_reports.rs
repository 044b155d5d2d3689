//! Sums that mean something across currencies: aggregates and the pipeline in a requested currency.
//!
//! * In the **base currency** (the default), sums of money fields are sums of their base copies (see
//!   `service::currency`), pushed down to the store like any sum: one query, no record read. A module's
//!   records all in the base currency give the same sums as summing the amounts.
//! * In **another currency**, each record's amount is converted at the rate valid on the record's day
//!   ([`CurrencyBook::convert`]: rounded to the requested currency's places; records already in it add
//!   exactly), then summed. That cannot be pushed down (a rate per record and day, exact rounding per
//!   record), so the records are read once.
//! * **Per-currency subtotals** (on request) add each currency's amounts in that currency, unconverted.
//!
//! Grouping an aggregate by `currency` itself sums the amounts as they are: each group holds one currency.

use super::Crm;
use super::reports::{PipelineBy, PipelineRow};
use crate::currency::{self, CurrencyBook};
use crate::error::{Error, Result};
use crate::query::{Aggregate, Condition, Query};
use crate::record::Values;
use crate::schema::Module;
use crate::value::Value;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The sums of one currency inside a pipeline row, in that currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrencySubtotal {
    /// ISO code.
    pub currency: String,
    /// Number of opportunities in that currency.
    pub count: u64,
    /// Sum of their amounts, in that currency.
    pub amount: Decimal,
    /// Sum of their forecast amounts, in that currency.
    pub forecast_amount: Decimal,
}

/// Sums `b` into `a`, checked.
fn add(a: &mut Decimal, b: Decimal, what: &str) -> Result<()> {
    *a = a.checked_add(b).ok_or_else(|| Error::invalid(format!("the sum of {what} overflows")))?;
    Ok(())
}

impl Crm {
    /// The fields to sum for `sums` of `m`: a money field's base copy in its place (unless grouped by the
    /// currency), with the scale each sum is shown with (the field's, or the base currency's places when
    /// more).
    pub(crate) fn base_sum_fields(&self, m: &Module, sums: &[String], group_by: Option<&str>) -> Result<(Vec<String>, Vec<Option<u32>>)> {
        let pairs = currency::money_fields(m);
        if pairs.is_empty() || group_by == Some(currency::CURRENCY_FIELD) {
            return Ok((sums.to_vec(), vec![None; sums.len()]));
        }
        let places = self.currency_book()?.base_currency().decimals;
        let mut names = Vec::new();
        let mut scales = Vec::new();
        for s in sums {
            match pairs.iter().find(|(money, _)| money == s) {
                Some((money, copy)) => {
                    names.push(copy.clone());
                    scales.push(Some(m.field(money).map_or(places, |f| f.decimal_scale()).max(places)));
                }
                None => {
                    names.push(s.clone());
                    scales.push(None);
                }
            }
        }
        Ok((names, scales))
    }

    /// Shows base-copy sums with their money field's scale.
    pub(crate) fn rescale_sums(groups: &mut [Aggregate], scales: &[Option<u32>]) {
        for g in groups {
            for (s, scale) in g.sums.iter_mut().zip(scales) {
                if let Some(k) = scale {
                    *s = s.round_dp(*k);
                    s.rescale(*k);
                }
            }
        }
    }

    /// [`Crm::aggregate`] with the money sums in `currency` (the base currency when `None`), each record
    /// converted at its dated rate (see the module doc). Non-money sums are plain sums.
    ///
    /// # Errors
    /// As [`Crm::aggregate`]; `NotFound` for a currency the store does not have; `InvalidArgument` for a
    /// missing rate or an overflow.
    pub fn aggregate_in(&self, query: Query, group_by: Option<&str>, sums: &[&str], currency: Option<&str>) -> Result<Vec<Aggregate>> {
        let Some(code) = currency else {
            return self.aggregate(query, group_by, sums); // the base currency: no book to read
        };
        let book = self.currency_book()?;
        let target = book.currency(code).ok_or_else(|| Error::not_found(format!("currency '{code}'")))?.code.clone();
        if target == book.base {
            return self.aggregate(query, group_by, sums);
        }
        let s = self.current_schema()?;
        let m = Crm::read_module(&s, &query.module)?;
        let group = match group_by {
            Some(g) => Some(m.field_by_name_or_label(g).map(|f| f.name.clone()).ok_or_else(|| Error::invalid(format!("no field '{g}'")))?),
            None => None,
        };
        let names: Vec<String> = sums
            .iter()
            .map(|n| m.field_by_name_or_label(n).map(|f| f.name.clone()).ok_or_else(|| Error::invalid(format!("no field '{n}'"))))
            .collect::<Result<_>>()?;
        let money: Vec<bool> = names.iter().map(|n| currency::money_fields(m).iter().any(|(f, _)| f == n)).collect();
        let today = self.now().date();
        let mut out: BTreeMap<String, Aggregate> = BTreeMap::new();
        let mut query = query;
        (query.limit, query.offset) = (None, 0);
        for r in self.find(query)? {
            let key = group.as_ref().map_or(Value::Null, |g| r.get(g).clone());
            let sort_key = key.to_text().unwrap_or_default();
            let g = out.entry(sort_key).or_insert_with(|| Aggregate { key, count: 0, sums: vec![Decimal::ZERO; names.len()] });
            g.count += 1;
            for (i, n) in names.iter().enumerate() {
                let v = match r.get(n) {
                    Value::Decimal(d) => *d,
                    Value::Int(x) => Decimal::from(*x),
                    _ => continue,
                };
                let v = if money[i] { convert_record(&book, m, &r.values, v, &target, today)? } else { v };
                add(&mut g.sums[i], v, n)?;
            }
        }
        Ok(out.into_values().collect())
    }

    /// [`Crm::pipeline`] with the sums in `currency` (the base currency when `None`), converted per
    /// opportunity at the rate of its close date, and, when `subtotals`, each row's per-currency sums in
    /// their own currencies. Each row names the currency of its sums.
    ///
    /// # Example
    /// ```
    /// use crm_core::{Crm, Fields, NewUser, PipelineBy};
    /// use crm_core::currency::NewCurrency;
    /// use rust_decimal::Decimal;
    /// # fn main() -> Result<(), crm_core::Error> {
    /// let mut crm = Crm::open(":memory:")?;
    /// crm.add_user(NewUser::new("admin"))?;
    /// crm.set_actor("admin")?;
    /// crm.add_currency(NewCurrency::new("EUR", Decimal::new(8, 1)))?; // 1 USD = 0.8 EUR
    /// for (amount, cur) in [("1000", "USD"), ("1000", "EUR")] {
    ///     crm.create("Potentials", Fields::new().with("potentialname", "deal").with("amount", amount)
    ///         .with("currency", cur).with("sales_stage", "Prospecting").with("closingdate", "2027-03-31"))?;
    /// }
    /// let usd = crm.pipeline_in(PipelineBy::Total, None, None, false)?;
    /// assert_eq!(usd[0].amount.to_string(), "2250.00"); // 1000 + 1000 / 0.8
    /// let eur = crm.pipeline_in(PipelineBy::Total, None, Some("EUR"), true)?;
    /// assert_eq!(eur[0].amount.to_string(), "1800.00"); // 1000 × 0.8 + 1000
    /// assert_eq!(eur[0].subtotals.len(), 2);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`Crm::pipeline`]; `NotFound` for an unknown currency; `InvalidArgument` for a missing rate.
    pub fn pipeline_in(
        &self,
        by: PipelineBy,
        filter: Option<Condition>,
        currency: Option<&str>,
        subtotals: bool,
    ) -> Result<Vec<PipelineRow>> {
        let book = self.currency_book()?;
        let target = match currency {
            Some(c) => book.currency(c).ok_or_else(|| Error::not_found(format!("currency '{c}'")))?.code.clone(),
            None => book.base.clone(),
        };
        if target == book.base && !subtotals {
            let mut rows = self.pipeline(by, filter)?;
            for r in &mut rows {
                r.currency = Some(target.clone());
            }
            return Ok(rows);
        }
        let s = self.current_schema()?;
        let m = Crm::read_module(&s, "Potentials")?;
        let mut q = Query::new("Potentials");
        if let Some(c) = filter {
            q = q.filter(c);
        }
        let today = self.now().date();
        let mut keys: BTreeMap<String, String> = BTreeMap::new(); // raw group value → row key
        let mut rows: BTreeMap<String, (PipelineRow, BTreeMap<String, CurrencySubtotal>)> = BTreeMap::new();
        for r in self.find(q)? {
            let raw = match by {
                PipelineBy::Total => Value::Null,
                PipelineBy::Stage | PipelineBy::StageKind => r.get("sales_stage").clone(),
                PipelineBy::Owner => r.get("assigned_user_id").clone(),
                PipelineBy::CloseMonth | PipelineBy::CloseQuarter | PipelineBy::CloseYear => r.get("closingdate").clone(),
            };
            let raw_text = raw.to_text().unwrap_or_default();
            let key = match keys.get(&raw_text) {
                Some(k) => k.clone(),
                None => {
                    let k = self.pipeline_key_of(by, &raw)?;
                    keys.insert(raw_text, k.clone());
                    k
                }
            };
            let (row, subs) = rows.entry(key.clone()).or_insert_with(|| {
                let row = PipelineRow {
                    key,
                    count: 0,
                    amount: Decimal::ZERO,
                    forecast_amount: Decimal::ZERO,
                    currency: Some(target.clone()),
                    subtotals: vec![],
                    label: None,
                };
                (row, BTreeMap::new())
            });
            row.count += 1;
            let code = r.get(currency::CURRENCY_FIELD).to_text().unwrap_or_else(|| book.base.clone());
            let sub = subs.entry(code.clone()).or_insert_with(|| CurrencySubtotal {
                currency: code,
                count: 0,
                amount: Decimal::ZERO,
                forecast_amount: Decimal::ZERO,
            });
            sub.count += 1;
            for (field, total, subtotal) in
                [("amount", &mut row.amount, &mut sub.amount), ("forecast_amount", &mut row.forecast_amount, &mut sub.forecast_amount)]
            {
                let Some(v) = r.get(field).as_decimal() else { continue };
                add(subtotal, v, field)?;
                add(total, convert_record(&book, m, &r.values, v, &target, today)?, field)?;
            }
        }
        Ok(rows
            .into_values()
            .map(|(mut row, subs)| {
                if subtotals {
                    row.subtotals = subs.into_values().collect();
                }
                row
            })
            .collect())
    }
}

/// Filters and sorts on money fields compare base-currency values: each comparison or sort key on a money
/// field of `m` is moved to its base copy, unless the condition names the currency (`currency = EUR` at its
/// top level): then the amounts, all in that currency, are compared as they are.
pub(crate) fn money_to_base(m: &Module, mut query: Query) -> Query {
    let pairs = currency::money_fields(m);
    if pairs.is_empty() {
        return query;
    }
    let names_currency = |c: &Condition| {
        let top = |c: &Condition| {
            matches!(c, Condition::Compare { field, op: crate::query::Op::Eq, .. }
                if m.field_by_name_or_label(field).is_some_and(|f| f.name == currency::CURRENCY_FIELD))
        };
        match c {
            Condition::All(v) => v.iter().any(top),
            other => top(other),
        }
    };
    if query.condition.as_ref().is_some_and(names_currency) {
        return query;
    }
    let copy_of = |field: &str| {
        let name = m.field_by_name_or_label(field).map(|f| f.name.as_str())?;
        pairs.iter().find(|(money, _)| money == name).map(|(_, copy)| copy.clone())
    };
    fn walk(c: &mut Condition, copy_of: &dyn Fn(&str) -> Option<String>) {
        match c {
            Condition::All(v) | Condition::Any(v) => v.iter_mut().for_each(|x| walk(x, copy_of)),
            Condition::Not(x) => walk(x, copy_of),
            Condition::Compare { field, .. } => {
                if let Some(copy) = copy_of(field) {
                    *field = copy;
                }
            }
        }
    }
    if let Some(c) = query.condition.as_mut() {
        walk(c, &copy_of);
    }
    for s in &mut query.sort {
        if let Some(copy) = copy_of(&s.field) {
            s.field = copy;
        }
    }
    query
}

/// Converts a value of a record (in the record's currency) to `target` at the record's day.
fn convert_record(book: &CurrencyBook, m: &Module, values: &Values, v: Decimal, target: &str, today: chrono::NaiveDate) -> Result<Decimal> {
    let code = values.get(currency::CURRENCY_FIELD).and_then(Value::to_text).unwrap_or_else(|| book.base.clone());
    let day = super::currency::record_day(book, m, values, today);
    book.convert(v, &code, target, day)
}

/// The export columns with converted columns added (see `ExportOptions::converted_to`).
pub(crate) struct ConvertedColumns {
    /// The columns to write.
    pub(crate) columns: Vec<crate::schema::Field>,
    /// The book and the target currency, when converting.
    pub(crate) book: Option<(CurrencyBook, String)>,
}

/// The marker between a money field's name and the target currency in a converted column's name.
const CONVERTED_MARK: &str = "@";

/// Adds after each money field among `columns` a column `field@EUR` labelled `Amount (EUR)`.
///
/// # Errors
/// `NotFound` for a currency the store does not have.
pub(crate) fn converted_columns(crm: &Crm, m: &Module, columns: Vec<crate::schema::Field>, to: Option<&str>) -> Result<ConvertedColumns> {
    let Some(to) = to else { return Ok(ConvertedColumns { columns, book: None }) };
    let book = crm.currency_book()?;
    let target = book.currency(to).ok_or_else(|| Error::not_found(format!("currency '{to}'")))?.code.clone();
    let money = currency::money_fields(m);
    let mut out = Vec::with_capacity(columns.len() + money.len());
    for f in columns {
        let is_money = money.iter().any(|(n, _)| *n == f.name);
        let extra = is_money.then(|| {
            let mut c = f.clone();
            c.name = format!("{}{CONVERTED_MARK}{target}", f.name);
            c.label = format!("{} ({target})", f.label);
            c
        });
        out.push(f);
        out.extend(extra);
    }
    Ok(ConvertedColumns { columns: out, book: Some((book, target)) })
}

/// The cell of `field` for a record: a converted column's amount (empty when it cannot be converted), else
/// the record's value.
pub(crate) fn converted_cell(
    book: &CurrencyBook,
    m: &Module,
    r: &crate::record::Record,
    field: &str,
    target: &str,
    today: chrono::NaiveDate,
) -> Value {
    let Some((money, _)) = field.split_once(CONVERTED_MARK) else { return r.get(field).clone() };
    match r.get(money).as_decimal() {
        Some(v) => convert_record(book, m, &r.values, v, target, today).map_or(Value::Null, Value::Decimal),
        None => Value::Null,
    }
}
