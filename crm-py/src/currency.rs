//! Currencies of `crm.Crm`: the base currency, currencies and dated rates, exact conversion, users'
//! preferred currencies. Amounts and rates are `decimal.Decimal`, days `datetime.date`.

use crate::crm::Crm;
use crate::engine::Access;
use chrono::{DateTime, NaiveDate, Utc};
use crm_core::currency::{Currency, CurrencyChange, CurrencyRate, NewCurrency, Rounding};
use pyo3::prelude::*;
use rust_decimal::Decimal;

/// A currency, as a dict.
#[derive(IntoPyObject)]
pub struct CurrencyOut {
    code: String,
    name: String,
    symbol: String,
    active: bool,
    decimals: u32,
    rounding: &'static str,
}

impl From<Currency> for CurrencyOut {
    fn from(c: Currency) -> Self {
        let rounding = match c.rounding {
            Rounding::HalfUp => "half_up",
            Rounding::HalfEven => "half_even",
            Rounding::Down => "down",
        };
        CurrencyOut { code: c.code, name: c.name, symbol: c.symbol, active: c.active, decimals: c.decimals, rounding }
    }
}

/// A dated rate, as a dict.
#[derive(IntoPyObject)]
pub struct RateOut {
    code: String,
    rate: Decimal,
    valid_from: Option<NaiveDate>,
}

impl From<CurrencyRate> for RateOut {
    fn from(r: CurrencyRate) -> Self {
        RateOut { code: r.code, rate: r.rate, valid_from: r.valid_from }
    }
}

/// A logged currency edit, as a dict.
#[derive(IntoPyObject)]
pub struct ChangeOut {
    at: DateTime<Utc>,
    actor: String,
    code: String,
    what: String,
    valid_from: Option<NaiveDate>,
    before: Option<Decimal>,
    after: Option<Decimal>,
}

impl From<CurrencyChange> for ChangeOut {
    fn from(c: CurrencyChange) -> Self {
        ChangeOut {
            at: c.at.and_utc(),
            actor: c.actor,
            code: c.code,
            what: c.what,
            valid_from: c.valid_from,
            before: c.before,
            after: c.after,
        }
    }
}

#[pymethods]
impl Crm {
    /// The base currency (`{"code", "name", "symbol", "active", "decimals", "rounding"}`).
    fn base_currency(&self, py: Python<'_>) -> PyResult<CurrencyOut> {
        self.engine.run(py, Access::Read, move |crm| Ok(crm.base_currency()?.into()))
    }

    /// Sets the base currency by ISO code; refused (`ConflictError`) once a record holds a money value.
    fn set_base_currency(&self, py: Python<'_>, code: String) -> PyResult<CurrencyOut> {
        self.engine.run(py, Access::Write, move |crm| Ok(crm.set_base_currency(&code)?.into()))
    }

    /// Adds a currency (or updates one and activates it). `rate`: units per one base unit, since always;
    /// required for a currency new to the store. Name, symbol and places default to the catalogue's.
    #[pyo3(signature = (code, *, name = None, symbol = None, rate = None, decimals = None, rounding = None))]
    #[allow(clippy::too_many_arguments)]
    fn add_currency(
        &self,
        py: Python<'_>,
        code: String,
        name: Option<String>,
        symbol: Option<String>,
        rate: Option<Decimal>,
        decimals: Option<u32>,
        rounding: Option<String>,
    ) -> PyResult<CurrencyOut> {
        let rounding = rounding.map(|r| r.parse::<Rounding>()).transpose().map_err(crate::errors::Failure::from)?;
        self.engine
            .run(py, Access::Write, move |crm| Ok(crm.add_currency(NewCurrency { code, name, symbol, rate, decimals, rounding })?.into()))
    }

    /// Sets a currency's rate from `valid_from` (since always when None) until the next rate; logged, and
    /// the base-currency copies of its records are refreshed.
    #[pyo3(signature = (code, rate, *, valid_from = None))]
    fn set_currency_rate(&self, py: Python<'_>, code: String, rate: Decimal, valid_from: Option<NaiveDate>) -> PyResult<RateOut> {
        self.engine.run(py, Access::Write, move |crm| Ok(crm.set_currency_rate(&code, rate, valid_from)?.into()))
    }

    /// Removes the rate of a currency that starts on `valid_from` (the since-always rate when None).
    #[pyo3(signature = (code, *, valid_from = None))]
    fn remove_currency_rate(&self, py: Python<'_>, code: String, valid_from: Option<NaiveDate>) -> PyResult<()> {
        self.engine.run(py, Access::Write, move |crm| Ok(crm.remove_currency_rate(&code, valid_from)?))
    }

    /// Activates or deactivates a currency.
    fn set_currency_active(&self, py: Python<'_>, code: String, active: bool) -> PyResult<()> {
        self.engine.run(py, Access::Write, move |crm| Ok(crm.set_currency_active(&code, active)?))
    }

    /// The store's currencies, the base first.
    fn currencies(&self, py: Python<'_>) -> PyResult<Vec<CurrencyOut>> {
        self.engine.run(py, Access::Read, move |crm| Ok(crm.currencies()?.into_iter().map(Into::into).collect()))
    }

    /// The dated rates of a currency, oldest first.
    fn currency_rates(&self, py: Python<'_>, code: String) -> PyResult<Vec<RateOut>> {
        self.engine.run(py, Access::Read, move |crm| Ok(crm.currency_rates(&code)?.into_iter().map(Into::into).collect()))
    }

    /// The log of currency edits, oldest first.
    fn currency_log(&self, py: Python<'_>) -> PyResult<Vec<ChangeOut>> {
        self.engine.run(py, Access::Read, move |crm| Ok(crm.currency_log()?.into_iter().map(Into::into).collect()))
    }

    /// Converts `amount` from one currency to another at the rates valid on `on`, rounded to the target's
    /// places (exact `Decimal`).
    #[pyo3(signature = (amount, from_currency, to_currency, *, on))]
    fn convert(&self, py: Python<'_>, amount: Decimal, from_currency: String, to_currency: String, on: NaiveDate) -> PyResult<Decimal> {
        self.engine.run(py, Access::Read, move |crm| Ok(crm.convert(amount, &from_currency, &to_currency, on)?))
    }

    /// Sets the date field whose day picks the rate for a module's records.
    fn set_currency_date_field(&self, py: Python<'_>, module: String, field: String) -> PyResult<()> {
        self.engine.run(py, Access::Write, move |crm| Ok(crm.set_currency_date_field(&module, &field)?))
    }

    /// Sets (None clears) a user's preferred currency.
    #[pyo3(signature = (user, currency = None))]
    fn set_user_currency(&self, py: Python<'_>, user: String, currency: Option<String>) -> PyResult<()> {
        self.engine.run(py, Access::Write, move |crm| Ok(crm.set_user_currency(&user, currency.as_deref())?))
    }

    /// A user's preferred currency, or None.
    fn user_currency(&self, py: Python<'_>, user: String) -> PyResult<Option<String>> {
        self.engine.run(py, Access::Read, move |crm| Ok(crm.user_currency(&user)?))
    }
}
