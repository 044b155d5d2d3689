//! The money of the reports in a requested currency.
//!
//! In the **base currency** (the default) the stores sum each deal's base-currency copy, kept at the rate of
//! its day: one grouped read, nothing converted here. In **another currency**, each deal is converted from
//! its own currency at the rate valid on its day (its close date, or the module's configured date field;
//! else its creation day) and rounded to the requested currency's places, then summed, as
//! [`Crm::pipeline_in`] does. Deals with the same currency, day, amount and forecast amount convert alike,
//! so the store groups by those too (one grouped read, no record read) and each such group is converted
//! once and multiplied by its count: the same figures as converting deal by deal, to the last digit.
//!
//! Grouped **by currency** (`ReportBy::Currency`), each group's sums are in that group's currency, unconverted:
//! the per-currency subtotals of a report.
//!
//! The **pipeline as of a past day** reads the stage history's amounts, which are in the deal's currency of
//! that day (the currency is read from the change log, as the owner of that day is); each deal converts at
//! the rate of that day's close date (the as-of day when it had none).

use super::super::Crm;
use crate::analytics::math;
use crate::currency::{self, CurrencyBook};
use crate::error::{Error, Result};
use crate::query::Query;
use crate::storage::analytics::{AsOfKey, DealGroup, DealKey};
use crate::value::Value;
use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use std::collections::HashMap;

/// Where a report's money goes: the currency book and the requested currency.
pub(crate) struct ReportCurrency {
    book: CurrencyBook,
    /// The requested currency's code (the base currency's when none was named).
    pub(crate) code: String,
    /// Whether a currency was named (its rows then say which).
    pub(crate) named: bool,
}

impl ReportCurrency {
    /// Whether sums need converting here (a currency other than the base one).
    fn converts(&self) -> bool {
        self.code != self.book.base
    }

    /// The decimal places a sum in `code` is shown with: the field's scale, or the currency's when more.
    fn places(&self, code: &str, field_scale: u32) -> u32 {
        self.book.currency(code).map_or(field_scale, |c| c.decimals.max(field_scale))
    }
}

impl Crm {
    /// The currency of a report: `None` for the base currency.
    ///
    /// # Errors
    /// `NotFound` for a currency the store does not have.
    pub(crate) fn report_currency(&self, currency: Option<&str>) -> Result<ReportCurrency> {
        let book = self.currency_book()?;
        let code = match currency {
            Some(c) => book.currency(c).ok_or_else(|| Error::not_found(format!("currency '{c}'")))?.code.clone(),
            None => book.base.clone(),
        };
        Ok(ReportCurrency { book, code, named: currency.is_some() })
    }

    /// The deals `q` selects grouped by `keys`, with their sums in the report's currency (see the module
    /// doc); with `by_currency` the position of a `currency` key among `keys`, whose groups stay in their
    /// own currency.
    pub(crate) fn deal_sums(&self, q: &Query, keys: &[DealKey], rc: &ReportCurrency, by_currency: Option<usize>) -> Result<Vec<DealGroup>> {
        self.sums_with(keys.len(), rc, by_currency, |more| self.store.deal_groups(q, &[keys, more].concat()))
    }

    /// [`AnalyticsStore::last_open_stage`](crate::storage::AnalyticsStore::last_open_stage) with the sums in
    /// the report's currency.
    pub(crate) fn last_open_sums(&self, q: &Query, open: &[String], rc: &ReportCurrency) -> Result<Vec<DealGroup>> {
        self.sums_with(1, rc, None, |more| self.store.last_open_stage(q, open, more))
    }

    fn sums_with(
        &self,
        n: usize,
        rc: &ReportCurrency,
        by_currency: Option<usize>,
        read: impl Fn(&[DealKey]) -> Result<Vec<DealGroup>>,
    ) -> Result<Vec<DealGroup>> {
        let s = self.current_schema()?;
        let m = Crm::read_module(&s, "Potentials")?;
        if currency::money_fields(m).is_empty() || (!rc.converts() && by_currency.is_none()) {
            return self.money_scale(read(&[])?); // the base copies, summed by the store
        }
        let day_field = rc.book.date_field("Potentials").filter(|f| m.field(f).is_some()).unwrap_or_else(|| "createdtime".into());
        let fine = [
            DealKey::Field(currency::CURRENCY_FIELD.into()),
            DealKey::DatePrefix(day_field, 10),
            DealKey::DatePrefix("createdtime".into(), 10),
            DealKey::Field("amount".into()),
            DealKey::Field("forecast_amount".into()),
        ];
        let today = self.now().date();
        let scale = |f: &str| m.field(f).map_or(0, |f| f.decimal_scale());
        let (a_scale, f_scale) = (scale("amount"), scale("forecast_amount"));
        let mut out = Folder::default();
        for g in read(&fine)? {
            let (keys, more) = g.keys.split_at(n.min(g.keys.len()));
            let code = more.first().and_then(Value::to_text).unwrap_or_else(|| rc.book.base.clone());
            let day = [more.get(1), more.get(2)]
                .into_iter()
                .flatten()
                .find_map(|v| v.to_text().and_then(|t| crate::value::parse_date(&t)))
                .unwrap_or(today);
            let target = if by_currency.is_some() { code.clone() } else { rc.code.clone() };
            let amount = convert_times(&rc.book, more.get(3), &code, &target, day, g.count, "amount")?;
            let forecast = convert_times(&rc.book, more.get(4), &code, &target, day, g.count, "forecast_amount")?;
            let places = (rc.places(&target, a_scale), rc.places(&target, f_scale));
            out.add(keys.to_vec(), g.count, amount, forecast, places)?;
        }
        Ok(out.groups())
    }

    /// The pipeline as it stood just before `end`, grouped by `key`, with each group's sums in the report's
    /// currency and, per group, the sums of each currency in that currency (see the module doc).
    pub(crate) fn as_of_sums(&self, q: &Query, end: NaiveDateTime, key: AsOfKey, rc: &ReportCurrency) -> Result<Vec<AsOfGroup>> {
        let s = self.current_schema()?;
        let m = Crm::read_module(&s, "Potentials")?;
        let keys = [key, AsOfKey::Currency, AsOfKey::CloseDatePrefix(10), AsOfKey::Amount, AsOfKey::ForecastAmount];
        if m.field(currency::CURRENCY_FIELD).is_none() || rc.book.currencies.len() == 1 {
            // One currency: the history's amounts are all in it (no change log read per deal).
            let groups = self.store.pipeline_as_of(q, end, &keys[..1])?;
            let base = Value::Text(rc.book.base.clone());
            return Ok(groups
                .into_iter()
                .map(|g| {
                    let sub = DealGroup { keys: vec![base.clone()], ..g.clone() };
                    AsOfGroup { group: g, subtotals: vec![sub] }
                })
                .collect());
        }
        let fallback = end.date().pred_opt().unwrap_or(end.date());
        let scale = |f: &str| m.field(f).map_or(0, |f| f.decimal_scale());
        let (a_scale, f_scale) = (scale("amount"), scale("forecast_amount"));
        let mut out = Folder::default();
        let mut subs: HashMap<String, Folder> = HashMap::new();
        for g in self.store.pipeline_as_of(q, end, &keys)? {
            let code = g.keys.get(1).and_then(Value::to_text).unwrap_or_else(|| rc.book.base.clone());
            let day = g.keys.get(2).and_then(Value::to_text).and_then(|t| crate::value::parse_date(&t)).unwrap_or(fallback);
            let amount = convert_times(&rc.book, g.keys.get(3), &code, &rc.code, day, g.count, "amount")?;
            let forecast = convert_times(&rc.book, g.keys.get(4), &code, &rc.code, day, g.count, "forecast_amount")?;
            let places = (rc.places(&rc.code, a_scale), rc.places(&rc.code, f_scale));
            let k = vec![g.keys.first().cloned().unwrap_or_default()];
            out.add(k.clone(), g.count, amount, forecast, places)?;
            let own = (rc.places(&code, a_scale), rc.places(&code, f_scale));
            let (a, f) = (times(g.keys.get(3), g.count, "amount")?, times(g.keys.get(4), g.count, "forecast_amount")?);
            subs.entry(format!("{:?}", k[0])).or_default().add(vec![Value::Text(code)], g.count, a, f, own)?;
        }
        Ok(out
            .groups()
            .into_iter()
            .map(|g| {
                let subtotals = subs.remove(&format!("{:?}", g.keys[0])).map(Folder::groups).unwrap_or_default();
                AsOfGroup { group: g, subtotals }
            })
            .collect())
    }

    /// A quota (stated in the base currency) in the report's currency, at the rate of `day`.
    pub(crate) fn quota_in(&self, amount: Decimal, rc: &ReportCurrency, day: NaiveDate) -> Result<Decimal> {
        if !rc.converts() { Ok(amount) } else { rc.book.convert(amount, &rc.book.base, &rc.code, day) }
    }
}

/// A group of the pipeline as of a day, with its per-currency groups (key: the currency code).
pub(crate) struct AsOfGroup {
    pub(crate) group: DealGroup,
    pub(crate) subtotals: Vec<DealGroup>,
}

/// `count` × a money key converted from `from` to `to` at `day` (0 for an empty amount), checked.
fn convert_times(book: &CurrencyBook, v: Option<&Value>, from: &str, to: &str, day: NaiveDate, count: u64, what: &str) -> Result<Decimal> {
    let Some(amount) = v.and_then(Value::as_decimal) else { return Ok(Decimal::ZERO) };
    let one = book.convert(amount, from, to, day)?;
    math::mul(one, Decimal::from(count), &format!("the sum of {what}"))
}

/// `count` × a money key (0 for an empty amount), checked.
fn times(v: Option<&Value>, count: u64, what: &str) -> Result<Decimal> {
    let Some(amount) = v.and_then(Value::as_decimal) else { return Ok(Decimal::ZERO) };
    math::mul(amount, Decimal::from(count), &format!("the sum of {what}"))
}

/// Fine groups folded into the report's groups, in first-seen order (the store's key order).
#[derive(Default)]
struct Folder {
    index: HashMap<String, usize>,
    groups: Vec<(DealGroup, (u32, u32))>,
}

impl Folder {
    fn add(&mut self, keys: Vec<Value>, count: u64, amount: Decimal, forecast: Decimal, places: (u32, u32)) -> Result<()> {
        let id = format!("{keys:?}");
        let i = match self.index.get(&id) {
            Some(i) => *i,
            None => {
                self.groups.push((DealGroup { keys, count: 0, amount: Decimal::ZERO, forecast_amount: Decimal::ZERO }, places));
                self.index.insert(id, self.groups.len() - 1);
                self.groups.len() - 1
            }
        };
        let (g, p) = &mut self.groups[i];
        g.count += count;
        g.amount = math::add(g.amount, amount, "the sum of amount")?;
        g.forecast_amount = math::add(g.forecast_amount, forecast, "the sum of forecast_amount")?;
        *p = (p.0.max(places.0), p.1.max(places.1));
        Ok(())
    }

    fn groups(self) -> Vec<DealGroup> {
        self.groups
            .into_iter()
            .map(|(mut g, (a, f))| {
                g.amount = g.amount.round_dp(a);
                g.amount.rescale(a);
                g.forecast_amount = g.forecast_amount.round_dp(f);
                g.forecast_amount.rescale(f);
                g
            })
            .collect()
    }
}
