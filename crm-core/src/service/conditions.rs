//! Evaluating workflow conditions and expressions against many records outside a save: a [`Matcher`] holds
//! one module, this store's lookups, the clock's current instant and the workflow time zone, so each
//! evaluation only builds a context of references around the record.
//!
//! Bulk evaluation reads slot rows ([`Row`], [`Rows`]) instead of records: [`Crm::count_matching`] streams
//! a module's rows from the store ([`Matcher::scan_rows`]).
//!
//! Used to select records by a vtiger condition in Rust code and by the benches (compiled conditions must
//! reach ten million evaluations per second per core). vtiger has no such call; it evaluates conditions only
//! while saving or in scheduled runs.

use super::Crm;
use super::workflows::StoreEnv;
use crate::error::{Error, Result};
use crate::query::Query;
use crate::record::Record;
use crate::row::{Row, RowLayout, Rows};
use crate::schema::Module;
use crate::value::{RecordId, Value};
use crate::workflow::compiled::CompiledCond;
use crate::workflow::condition::Cond;
use crate::workflow::expr::{Expr, ExprValue};
use crate::workflow::{Ctx, Env};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use std::sync::Arc;

/// Evaluates conditions and expressions against records of one module (see the module docs).
pub struct Matcher<'a> {
    crm: &'a Crm,
    env: StoreEnv<'a>,
    module: Module,
    layout: Arc<RowLayout>,
    now: DateTime<Utc>,
    tz: Tz,
}

/// The record of a context whose record is not read (rows bring their own, see [`CompiledCond::eval_row`]).
static NO_RECORD: Record = Record {
    id: RecordId(0),
    module: String::new(),
    label: String::new(),
    version: 0,
    deleted: false,
    values: crate::record::Values::new(),
};

impl Crm {
    /// A [`Matcher`] for records of `module`, at the clock's current instant, in the workflow time zone.
    ///
    /// # Errors
    /// `InvalidArgument` for an unknown module.
    pub fn matcher(&self, module: &str) -> Result<Matcher<'_>> {
        let module = self.module(module)?.clone();
        let tz = self.time_zone().parse::<Tz>().map_err(|_| Error::invalid(format!("unknown time zone '{}'", self.time_zone())))?;
        Ok(Matcher {
            crm: self,
            env: StoreEnv { crm: self, dir: None, language: Default::default() },
            layout: RowLayout::new(&module),
            module,
            now: self.wf_now(),
            tz,
        })
    }

    /// The ids among `ids` whose records meet vtiger's condition JSON `condition` (the `test` array of a
    /// workflow), in the order given (a repeated id is listed again). The condition is compiled once.
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
    /// let big = r#"[{"fieldname":"amount","operation":"greater than","value":"10000","valuetype":"rawtext","joincondition":"","groupid":"0"}]"#;
    /// assert_eq!(crm.matching("Potentials", big, &[deal.id])?, vec![deal.id]);
    /// assert_eq!(crm.count_matching("Potentials", big)?, 1);
    /// # Ok(()) }
    /// ```
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

    /// How many live records of `module` meet vtiger's condition JSON `condition` (the `test` array of a
    /// workflow), as [`Crm::matching`] would find them one by one. The condition is compiled once and the
    /// records stream from the store as [`Row`]s (no record maps built; see [`RecordStore::scan_rows`](crate::storage::RecordStore::scan_rows)).
    ///
    /// # Errors
    /// `NotFound` for an unknown module; `InvalidArgument` for a condition that does not fit the module.
    pub fn count_matching(&self, module: &str, condition: &str) -> Result<u64> {
        let matcher = self.matcher(module)?;
        // Access control: a condition may not test fields hidden from the acting user (as a filter may not).
        let parsed = Cond::from_vtiger(condition, &matcher.module)?;
        self.check_fields_visible(&matcher.module.name, &parsed.own_fields())?;
        let cond = parsed.compile(&matcher.module, &matcher.env);
        let mut n = 0u64;
        let mut failed = None;
        matcher.scan_rows(Query::new(&matcher.module.name), &mut |row| match matcher.matches_row(&cond, &row) {
            Ok(hit) => {
                n += u64::from(hit);
                true
            }
            Err(e) => {
                failed = Some(e);
                false
            }
        })?;
        failed.map_or(Ok(n), Err)
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
        let record = self.crm.live_visible(id)?;
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

    /// The slot layout of this module's rows ([`Row`]): make rows for [`Matcher::matches_row`] with it.
    pub fn row_layout(&self) -> &Arc<RowLayout> {
        &self.layout
    }

    /// True when `row` meets the compiled condition: the same result as [`Matcher::matches`] on the row's
    /// record, read by slot (see [`CompiledCond::eval_row`]).
    ///
    /// # Errors
    /// `InvalidArgument` when the row is not of this module's current layout.
    pub fn matches_row(&self, cond: &CompiledCond, row: &Row) -> Result<bool> {
        cond.eval_row(row, &self.ctx(&NO_RECORD))
    }

    /// True when row `i` of `rows` meets the compiled condition (see [`CompiledCond::eval_at`]).
    ///
    /// # Errors
    /// `InvalidArgument` when the rows are not of this module's current layout.
    pub fn matches_at(&self, cond: &CompiledCond, rows: &Rows, i: usize) -> Result<bool> {
        cond.eval_at(rows, i, &self.ctx(&NO_RECORD))
    }

    /// How many of `rows` meet the compiled condition.
    ///
    /// # Errors
    /// As [`Matcher::matches_at`].
    pub fn count_in(&self, cond: &CompiledCond, rows: &Rows) -> Result<u64> {
        cond.count_in(rows, &self.ctx(&NO_RECORD))
    }

    /// Calls `f` with each record of this module that `query` selects (live ones unless it asks for the
    /// recycle bin, converted leads hidden as [`Crm::find`] hides them), as a row of [`Matcher::row_layout`],
    /// until `f` returns false.
    ///
    /// # Errors
    /// `InvalidArgument` for a query of another module or one that does not fit it; storage errors.
    pub fn scan_rows(&self, query: Query, f: &mut dyn FnMut(Row) -> bool) -> Result<()> {
        if query.module != self.module.name {
            return Err(Error::invalid(format!("query of {} given to a matcher of {}", query.module, self.module.name)));
        }
        let query = self.crm.resolve_names(&self.module, query)?;
        let q = self.crm.scoped(super::views::hide_converted(query.normalize(&self.module)?))?; // access control
        self.crm.store.scan_rows(&q, &self.layout, f)
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
