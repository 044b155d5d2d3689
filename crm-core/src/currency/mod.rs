//! Currencies, dated conversion rates and exact conversion.
//!
//! A store has one **base currency** (USD unless chosen otherwise while the store holds no money values)
//! and any number of other currencies, each with **dated rates** against the base: a rate is the units of
//! that currency per one base unit (vtiger's `conversion_rate`: base USD, EUR at 0.92 means 1 USD =
//! 0.92 EUR), valid from its date (or from the beginning, for the first rate given without a date) until
//! the next rate's date. The base currency's rate is 1 on every day.
//!
//! Conversion is exact decimal arithmetic ([`rust_decimal`]), checked (an overflow is an
//! `InvalidArgument`, never a panic): `amount × rate(to, day) / rate(from, day)`, multiplied first so the
//! only inexact step is one division (28 significant digits), then rounded once to the target currency's
//! decimal places with its rounding mode. Converting a currency to itself returns the amount unchanged.
//!
//! Everything a store knows about its currencies — the list, the rates, the log of rate edits and the date
//! rule of each module — is one [`CurrencyBook`], stored as one JSON setting (so every store keeps it with
//! no table of its own, and it travels in the same commits as other settings).

mod seed;

pub use seed::{SEED, SeedCurrency, seed};

use crate::error::{Error, Result};
use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How a converted amount is rounded to a currency's decimal places.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    /// Half away from zero (2.345 → 2.35, −2.345 → −2.35): PHP's `round`, which vtiger uses. The default.
    #[default]
    HalfUp,
    /// Half to even, banker's rounding (2.345 → 2.34, 2.355 → 2.36).
    HalfEven,
    /// Toward zero (2.349 → 2.34).
    Down,
}

impl Rounding {
    fn strategy(self) -> RoundingStrategy {
        match self {
            Rounding::HalfUp => RoundingStrategy::MidpointAwayFromZero,
            Rounding::HalfEven => RoundingStrategy::MidpointNearestEven,
            Rounding::Down => RoundingStrategy::ToZero,
        }
    }
}

impl std::str::FromStr for Rounding {
    type Err = Error;
    fn from_str(s: &str) -> Result<Rounding> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "half_up" => Ok(Rounding::HalfUp),
            "half_even" => Ok(Rounding::HalfEven),
            "down" => Ok(Rounding::Down),
            _ => Err(Error::invalid(format!("rounding '{s}' is not half_up, half_even or down"))),
        }
    }
}

/// A currency of the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Currency {
    /// ISO 4217 code, upper case (`EUR`).
    pub code: String,
    /// Name (vtiger's spelling for the catalogue currencies: `Euro`, `USA, Dollars`).
    pub name: String,
    /// Symbol (`€`).
    pub symbol: String,
    /// Inactive currencies stay on the records that have them but new values may not use them.
    pub active: bool,
    /// Decimal places converted amounts are rounded to (JPY 0, most 2, BHD 3).
    pub decimals: u32,
    /// Rounding mode of converted amounts.
    #[serde(default)]
    pub rounding: Rounding,
}

impl Currency {
    /// A catalogue currency (`EUR`) with its name, symbol and places; other codes get the code as name and
    /// symbol and 2 places.
    ///
    /// # Errors
    /// `InvalidArgument` when `code` is not three ASCII letters.
    pub fn from_code(code: &str) -> Result<Currency> {
        let code = normalize_code(code)?;
        Ok(match seed(&code) {
            Some((c, name, symbol, places)) => Currency {
                code: (*c).into(),
                name: (*name).into(),
                symbol: (*symbol).into(),
                active: true,
                decimals: *places,
                rounding: Rounding::HalfUp,
            },
            None => Currency { name: code.clone(), symbol: code.clone(), code, active: true, decimals: 2, rounding: Rounding::HalfUp },
        })
    }

    /// Rounds an amount to this currency's places with its mode.
    pub fn round(&self, amount: Decimal) -> Decimal {
        let mut d = amount.round_dp_with_strategy(self.decimals, self.rounding.strategy());
        d.rescale(self.decimals);
        d
    }
}

/// An ISO code checked (three ASCII letters) and upper-cased.
///
/// # Errors
/// `InvalidArgument` otherwise.
pub fn normalize_code(code: &str) -> Result<String> {
    let c = code.trim();
    if c.len() != 3 || !c.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(Error::invalid(format!("'{code}' is not an ISO 4217 currency code (three letters)")));
    }
    Ok(c.to_ascii_uppercase())
}

/// One dated rate: units of `code` per one base unit, from `valid_from` (the beginning when `None`) until
/// the next rate of the same currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrencyRate {
    /// The currency.
    pub code: String,
    /// Units of the currency per one base unit (positive).
    pub rate: Decimal,
    /// First day the rate applies (`None`: since always).
    pub valid_from: Option<NaiveDate>,
}

/// One logged edit of the currencies: who, when, what changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrencyChange {
    /// When (UTC).
    pub at: NaiveDateTime,
    /// The acting user's name (`system` when none).
    pub actor: String,
    /// The currency.
    pub code: String,
    /// What happened: `added`, `rate`, `deactivated`, `activated`, `base`.
    pub what: String,
    /// The day the rate applies from, for rate edits.
    #[serde(default)]
    pub valid_from: Option<NaiveDate>,
    /// The rate before (none for a new rate).
    #[serde(default)]
    pub before: Option<Decimal>,
    /// The rate after (none when removed).
    #[serde(default)]
    pub after: Option<Decimal>,
}

/// Everything a store knows about currencies (stored as one setting).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrencyBook {
    /// The base currency's code.
    pub base: String,
    /// The store's currencies (the base among them), in the order they were added.
    pub currencies: Vec<Currency>,
    /// Rates of the non-base currencies, by currency then date.
    pub rates: Vec<CurrencyRate>,
    /// The log of edits, oldest first.
    #[serde(default)]
    pub log: Vec<CurrencyChange>,
    /// Per module, the date field whose day picks the rate (defaults in [`default_date_field`]).
    #[serde(default)]
    pub date_fields: BTreeMap<String, String>,
    /// Preferred currency of users, by user name: new records they create without a currency get it.
    #[serde(default)]
    pub user_currencies: BTreeMap<String, String>,
}

impl Default for CurrencyBook {
    fn default() -> Self {
        let usd = Currency::from_code("USD").unwrap_or_else(|_| unreachable!("USD is a valid code"));
        CurrencyBook {
            base: usd.code.clone(),
            currencies: vec![usd],
            rates: vec![],
            log: vec![],
            date_fields: BTreeMap::new(),
            user_currencies: BTreeMap::new(),
        }
    }
}

/// The date field that picks the rate in a module unless configured: the close date of opportunities, the
/// document dates of quotes (valid till), sales orders (due date) and invoices (invoice date). Records
/// without it (or of other modules) convert at the rate of their creation day.
pub fn default_date_field(module: &str) -> Option<&'static str> {
    match module {
        "Potentials" => Some("closingdate"),
        "Quotes" => Some("validtill"),
        "SalesOrder" => Some("duedate"),
        "Invoice" => Some("invoicedate"),
        _ => None,
    }
}

impl CurrencyBook {
    /// A currency of the store by code (any case).
    pub fn currency(&self, code: &str) -> Option<&Currency> {
        let code = code.trim();
        self.currencies.iter().find(|c| c.code.eq_ignore_ascii_case(code))
    }

    /// The base currency.
    pub fn base_currency(&self) -> &Currency {
        self.currency(&self.base).unwrap_or_else(|| unreachable!("the book always holds its base currency"))
    }

    /// A currency of the store named by its code, its name or its symbol (any case, surrounding space
    /// ignored), as import files and callers give it. A symbol several currencies share resolves to the
    /// base currency when it is one of them, else to none.
    pub fn resolve(&self, text: &str) -> Option<&Currency> {
        let t = text.trim();
        if t.is_empty() {
            return None;
        }
        if let Some(c) = self.currency(t) {
            return Some(c);
        }
        if let Some(c) = self.currencies.iter().find(|c| c.name.trim().eq_ignore_ascii_case(t)) {
            return Some(c);
        }
        let by_symbol: Vec<&Currency> = self.currencies.iter().filter(|c| c.symbol == t).collect();
        match by_symbol.as_slice() {
            [one] => Some(one),
            [] => None,
            many => many.iter().find(|c| c.code == self.base).copied(),
        }
    }

    /// The rate of `code` valid on `day` (1 for the base currency); `None` when the currency is unknown or
    /// its first rate starts after `day`.
    pub fn rate_on(&self, code: &str, day: NaiveDate) -> Option<Decimal> {
        let code = code.trim();
        if code.eq_ignore_ascii_case(&self.base) {
            return Some(Decimal::ONE);
        }
        self.rates
            .iter()
            .filter(|r| r.code.eq_ignore_ascii_case(code) && r.valid_from.is_none_or(|f| f <= day))
            .max_by_key(|r| r.valid_from)
            .map(|r| r.rate)
    }

    /// The rates of one currency, oldest first (the base currency has none: its rate is always 1).
    pub fn rates_of(&self, code: &str) -> Vec<CurrencyRate> {
        let mut v: Vec<CurrencyRate> = self.rates.iter().filter(|r| r.code.eq_ignore_ascii_case(code.trim())).cloned().collect();
        v.sort_by_key(|r| r.valid_from);
        v
    }

    /// Converts `amount` of currency `from` into `to` at the rates valid on `day`, rounded to `to`'s
    /// places with its mode (see the module doc). The same currency gives the amount back unchanged.
    ///
    /// # Errors
    /// `NotFound` for a currency the store does not have; `InvalidArgument` when a rate is missing for the
    /// day or the arithmetic overflows.
    pub fn convert(&self, amount: Decimal, from: &str, to: &str, day: NaiveDate) -> Result<Decimal> {
        let f = self.currency(from).ok_or_else(|| Error::not_found(format!("currency '{from}'")))?;
        let t = self.currency(to).ok_or_else(|| Error::not_found(format!("currency '{to}'")))?;
        if f.code == t.code {
            return Ok(amount);
        }
        let rf = self.rate_on(&f.code, day).ok_or_else(|| missing_rate(&f.code, day))?;
        let rt = self.rate_on(&t.code, day).ok_or_else(|| missing_rate(&t.code, day))?;
        let overflow = || Error::invalid(format!("converting {amount} {} to {} overflows", f.code, t.code));
        let exact = amount.checked_mul(rt).ok_or_else(overflow)?.checked_div(rf).ok_or_else(overflow)?;
        Ok(t.round(exact))
    }

    /// The date field that picks the rate of `module`'s records (configured, else [`default_date_field`]).
    pub fn date_field(&self, module: &str) -> Option<String> {
        self.date_fields.get(module).cloned().or_else(|| default_date_field(module).map(str::to_string))
    }
}

/// Reads a day `yyyy-mm-dd` as the bindings pass it (`what` names the argument in the error).
///
/// # Errors
/// `InvalidArgument` for anything else.
pub fn parse_day(text: &str, what: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| Error::invalid(format!("{what} '{text}' is not a date yyyy-mm-dd")))
}

/// Reads an exact decimal (an amount or a rate) as the bindings pass it (`what` names the argument).
///
/// # Errors
/// `InvalidArgument` for text that is not a plain decimal number.
pub fn parse_decimal(text: &str, what: &str) -> Result<Decimal> {
    use std::str::FromStr;
    Decimal::from_str(text.trim()).map_err(|_| Error::invalid(format!("{what} '{text}' is not a decimal number")))
}

/// The error of a missing rate.
pub(crate) fn missing_rate(code: &str, day: NaiveDate) -> Error {
    Error::invalid(format!("no {code} rate is valid on {day}"))
}

/// What [`Crm::add_currency`](crate::Crm::add_currency) takes. Name, symbol and places default to the catalogue's
/// ([`SEED`]) for a code it knows.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct NewCurrency {
    /// ISO 4217 code.
    pub code: String,
    /// Name (default: the catalogue's, else the code).
    #[serde(default)]
    pub name: Option<String>,
    /// Symbol (default: the catalogue's, else the code).
    #[serde(default)]
    pub symbol: Option<String>,
    /// Units of this currency per one base unit, valid since always (required for a non-base currency).
    #[serde(default)]
    pub rate: Option<Decimal>,
    /// Decimal places (default: the catalogue's, else 2).
    #[serde(default)]
    pub decimals: Option<u32>,
    /// Rounding mode (default half up).
    #[serde(default)]
    pub rounding: Option<Rounding>,
}

impl NewCurrency {
    /// A currency by code with a rate against the base.
    pub fn new(code: impl Into<String>, rate: Decimal) -> Self {
        NewCurrency { code: code.into(), rate: Some(rate), ..Default::default() }
    }
}

/// The suffix of the field that keeps a money field's base-currency value (`amount` → `amount_base`).
pub const BASE_SUFFIX: &str = "_base";

/// The name of the record field that holds a record's currency.
pub const CURRENCY_FIELD: &str = "currency";

/// The money fields of a module that have a base-currency copy, as `(field, copy)` pairs: every currency
/// field `f` for which the module also has `f_base`, when the module has a `currency` field.
pub fn money_fields(m: &crate::schema::Module) -> Vec<(String, String)> {
    if m.field(CURRENCY_FIELD).is_none() {
        return vec![];
    }
    m.fields
        .iter()
        .filter(|f| f.field_type == crate::schema::FieldType::Currency && !f.name.ends_with(BASE_SUFFIX))
        .filter_map(|f| {
            let copy = format!("{}{BASE_SUFFIX}", f.name);
            m.field(&copy).map(|_| (f.name.clone(), copy))
        })
        .collect()
}

/// True when `field` of `m` is the base-currency copy of a money field.
pub fn is_base_copy(m: &crate::schema::Module, field: &str) -> bool {
    field.strip_suffix(BASE_SUFFIX).is_some_and(|money| m.field(money).is_some_and(|f| f.field_type == crate::schema::FieldType::Currency))
        && m.field(CURRENCY_FIELD).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }
    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn book() -> CurrencyBook {
        let mut b = CurrencyBook::default();
        for c in ["EUR", "JPY", "BHD"] {
            b.currencies.push(Currency::from_code(c).unwrap());
        }
        b.rates.push(CurrencyRate { code: "EUR".into(), rate: d("0.92"), valid_from: None });
        b.rates.push(CurrencyRate { code: "EUR".into(), rate: d("0.95"), valid_from: Some(day("2027-01-01")) });
        b.rates.push(CurrencyRate { code: "JPY".into(), rate: d("151.37"), valid_from: None });
        b.rates.push(CurrencyRate { code: "BHD".into(), rate: d("0.376"), valid_from: Some(day("2026-06-01")) });
        b
    }

    #[test]
    fn the_rate_of_a_day_is_the_last_one_that_started() {
        let b = book();
        assert_eq!(b.rate_on("EUR", day("2026-12-31")), Some(d("0.92")));
        assert_eq!(b.rate_on("eur", day("2027-01-01")), Some(d("0.95")));
        assert_eq!(b.rate_on("USD", day("1999-01-01")), Some(Decimal::ONE));
        assert_eq!(b.rate_on("BHD", day("2026-05-31")), None);
    }

    #[test]
    fn conversion_rounds_to_the_target_places() {
        let b = book();
        // 100 EUR at 0.92 → 108.695652... USD → 108.70
        assert_eq!(b.convert(d("100"), "EUR", "USD", day("2026-12-31")).unwrap().to_string(), "108.70");
        // 100 EUR → JPY: 100 × 151.37 / 0.95 = 15933.68... → 15934 (0 places)
        assert_eq!(b.convert(d("100"), "EUR", "JPY", day("2027-03-31")).unwrap().to_string(), "15934");
        // 10 USD → BHD: 3.760 (3 places)
        assert_eq!(b.convert(d("10"), "USD", "BHD", day("2026-06-01")).unwrap().to_string(), "3.760");
        assert!(b.convert(d("10"), "USD", "BHD", day("2026-05-31")).is_err());
        assert_eq!(b.convert(d("12.345"), "EUR", "EUR", day("2026-05-31")).unwrap(), d("12.345"));
    }

    #[test]
    fn overflow_is_an_error() {
        let b = book();
        assert!(b.convert(Decimal::MAX, "USD", "JPY", day("2027-01-01")).is_err());
    }

    #[test]
    fn names_and_symbols_resolve() {
        let b = book();
        assert_eq!(b.resolve("Euro").map(|c| c.code.as_str()), Some("EUR"));
        assert_eq!(b.resolve(" usa, dollars ").map(|c| c.code.as_str()), Some("USD"));
        assert_eq!(b.resolve("€").map(|c| c.code.as_str()), Some("EUR"));
        assert_eq!(b.resolve("jpy").map(|c| c.code.as_str()), Some("JPY"));
        assert!(b.resolve("XYZ").is_none());
    }

    #[test]
    fn rounding_modes() {
        let mut c = Currency::from_code("EUR").unwrap();
        assert_eq!(c.round(d("2.345")).to_string(), "2.35");
        c.rounding = Rounding::HalfEven;
        assert_eq!(c.round(d("2.345")).to_string(), "2.34");
        c.rounding = Rounding::Down;
        assert_eq!(c.round(d("2.349")).to_string(), "2.34");
        assert_eq!(Rounding::from_str("half-even").unwrap(), Rounding::HalfEven);
    }
}
