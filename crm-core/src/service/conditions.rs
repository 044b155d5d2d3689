//! Evaluating workflow conditions and expressions against many records outside a save: a [`Matcher`] holds
//! one module, this store's lookups, the clock's current instant and the workflow time zone, so each
//! evaluation only builds a context of references around the record.
//!
//! Used to select records by a vtiger condition in Rust code and by the benches (compiled conditions must
//! reach ten million evaluations per second per core). vtiger has no such call; it evaluates conditions only
//! while saving or in scheduled runs.

use super::Crm;
use super::workflows::StoreEnv;
use crate::error::{Error, Result};
use crate::record::Record;
use crate::schema::Module;
use crate::value::{RecordId, Value};
use crate::workflow::compiled::CompiledCond;
use crate::workflow::condition::Cond;
use crate::workflow::expr::{Expr, ExprValue};
use crate::workflow::{Ctx, Env};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// Evaluates conditions and expressions against records of one module (see the module docs).
pub struct Matcher<'a> {
    crm: &'a Crm,
    env: StoreEnv<'a>,
    module: Module,
    now: DateTime<Utc>,
    tz: Tz,
}

impl Crm {
    /// A [`Matcher`] for records of `module`, at the clock's current instant, in the workflow time zone.
    ///
    /// # Errors
    /// `InvalidArgument` for an unknown module.
    pub fn matcher(&self, module: &str) -> Result<Matcher<'_>> {
        let module = self.module(module)?.clone();
        let tz = self.time_zone().parse::<Tz>().map_err(|_| Error::invalid(format!("unknown time zone '{}'", self.time_zone())))?;
        Ok(Matcher { crm: self, env: StoreEnv { crm: self, dir: None }, module, now: self.wf_now(), tz })
    }

    /// The ids among `ids` whose records meet vtiger's condition JSON `condition` (the `test` array of a
    /// workflow), in the order given (a repeated id is listed again). The condition is compiled once.
    ///
    /// # Errors
    /// `NotFound` for an unknown module, or for an id that is unknown, in the recycle bin or of another
    /// module (nothing is returned then); `InvalidArgument` for a condition that does not fit the module.
    pub fn matching(&self, module: &str, condition: &str, ids: &[RecordId]) -> Result<Vec<RecordId>> {
        let matcher = self.matcher(module)?;
        let cond = matcher.compile_vtiger(condition)?;
        let mut out = Vec::new();
        for &id in ids {
            if matcher.matches(&cond, &matcher.record(id)?) {
                out.push(id);
            }
        }
        Ok(out)
    }

    /// The value of workflow expression `expression` (`amount * 2`, `concat(potentialname, ' x')`, ...) for
    /// record `id` of `module`, as a field value (numbers as exact [`Value::Decimal`]s with the scale the
    /// computation gave: `amount * 2` of `1000.00` is `2000.00`).
    ///
    /// # Errors
    /// `NotFound` as [`Crm::matching`]; `InvalidArgument` for a bad expression or a failed evaluation.
    pub fn evaluate(&self, module: &str, expression: &str, id: RecordId) -> Result<Value> {
        let matcher = self.matcher(module)?;
        let expr = matcher.expression(expression)?;
        Ok(match matcher.eval(&expr, &matcher.record(id)?)? {
            ExprValue::Num(d) => Value::Decimal(d),
            other => other.into_value(),
        })
    }
}

impl Matcher<'_> {
    fn ctx<'r>(&'r self, record: &'r Record) -> Ctx<'r> {
        Ctx { schema: &self.crm.schema, module: &self.module, before: None, record, now: self.now, tz: self.tz, env: &self.env }
    }

    /// Reads live record `id` of this matcher's module.
    ///
    /// # Errors
    /// `NotFound` when the record is unknown, in the recycle bin or of another module.
    pub fn record(&self, id: RecordId) -> Result<Record> {
        let record = self.crm.get(id)?;
        if record.deleted {
            return Err(Error::not_found(format!("record {id} is in the recycle bin")));
        }
        if record.module != self.module.name {
            return Err(Error::not_found(format!("record {id} is a {} record, not {}", record.module, self.module.name)));
        }
        Ok(record)
    }

    /// The lookups conditions and expressions use (records, owners) over this store.
    pub fn env(&self) -> &dyn Env {
        &self.env
    }

    /// Checks `cond` against the module and compiles it ([`CompiledCond`]).
    ///
    /// # Errors
    /// `InvalidArgument` for unknown fields, operators that do not fit a field, or bad expressions.
    pub fn compile(&self, cond: &Cond) -> Result<CompiledCond> {
        cond.check(&self.module)?;
        Ok(cond.compile(&self.module, &self.env))
    }

    /// Reads vtiger's condition JSON and compiles it.
    ///
    /// # Errors
    /// As [`Cond::from_vtiger`].
    pub fn compile_vtiger(&self, json: &str) -> Result<CompiledCond> {
        Ok(Cond::from_vtiger(json, &self.module)?.compile(&self.module, &self.env))
    }

    /// True when `record` meets the compiled condition.
    pub fn matches(&self, cond: &CompiledCond, record: &Record) -> bool {
        cond.eval(&self.ctx(record))
    }

    /// True when `record` meets `cond`, evaluated by the tracing evaluator (what a save does).
    pub fn matches_uncompiled(&self, cond: &Cond, record: &Record) -> bool {
        cond.eval(&self.ctx(record), &mut Vec::new())
    }

    /// Compiles a workflow expression for the module.
    ///
    /// # Errors
    /// `InvalidArgument` for syntax errors, unknown functions or fields.
    pub fn expression(&self, source: &str) -> Result<Expr> {
        Expr::compile(source, &self.module)
    }

    /// Evaluates a compiled expression against `record`.
    ///
    /// # Errors
    /// `InvalidArgument` with the evaluation error's message.
    pub fn eval(&self, expr: &Expr, record: &Record) -> Result<ExprValue> {
        expr.eval(&self.ctx(record)).map_err(Error::invalid)
    }
}
