//! What happened to the deals closed in a period: win rate (by count and by amount), days to close, sales
//! velocity, and the reasons and stages of the losses.

use super::super::Crm;
use super::{ReportCurrency, Stages, closing_in, key_text, stage_in};
use crate::analytics::{LostBy, ReportBy, ReportRow, math};
use crate::error::{Error, Result};
use crate::storage::analytics::{DaySpread, DealKey};
use crate::value::Value;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// Won and lost figures of one group.
#[derive(Default, Clone)]
struct Closed {
    won: u64,
    lost: u64,
    won_amount: Decimal,
    lost_amount: Decimal,
    days: Option<DaySpread>,
}

impl Crm {
    /// Won and lost deals with the close date in the period (figures per group) and the won ones' days to
    /// close, keyed by the group's text.
    fn closed_in(&self, period: &str, by: ReportBy, rc: &ReportCurrency) -> Result<(String, BTreeMap<String, Closed>)> {
        if !matches!(by, ReportBy::Total | ReportBy::Owner | ReportBy::LeadSource | ReportBy::Type) {
            return Err(Error::invalid("win rates are by total, owner, lead_source or type"));
        }
        let p = self.period(period)?;
        let stages = Stages::of(&*self.current_schema()?);
        let closed: Vec<String> = stages.won.iter().chain(&stages.lost).cloned().collect();
        let (_, q) = self.deal_query(vec![closing_in(&p), stage_in(&closed)])?;
        let mut keys: Vec<DealKey> = by.deal_key().into_iter().collect();
        keys.push(DealKey::Field("sales_stage".into()));
        let dir = self.directory_now()?;
        let mut out: BTreeMap<String, Closed> = BTreeMap::new();
        for g in self.deal_sums(&q, &keys, rc, None)? {
            let key = if by == ReportBy::Total { String::new() } else { key_text(&dir, &g.keys[0]) };
            let stage = g.keys.last().and_then(Value::to_text).unwrap_or_default();
            let c = out.entry(key).or_default();
            if stages.won.contains(&stage) {
                c.won += g.count;
                c.won_amount = math::add(c.won_amount, g.amount, "the won amount")?;
            } else {
                c.lost += g.count;
                c.lost_amount = math::add(c.lost_amount, g.amount, "the lost amount")?;
            }
        }
        let (_, won_q) = self.deal_query(vec![closing_in(&p), stage_in(&stages.won)])?;
        for d in self.store.days_to_close(&won_q, by.field())? {
            let key = if by == ReportBy::Total { String::new() } else { key_text(&dir, &d.key) };
            out.entry(key).or_default().days = Some(d);
        }
        Ok((p.key, out))
    }

    /// Win rates of the deals closed (won or lost stage) with a close date in `period`, one row per group
    /// of `by` (total, owner, lead_source or type), ordered by key: the key column, `period`, `closed`,
    /// `won`, `lost`, `won_amount`, `lost_amount`, `win_rate` (won / closed deals), `win_rate_amount` (won
    /// amount / closed amount), and for the won deals `average_days_to_close` and `median_days_to_close`
    /// (close date − creation date, in days).
    ///
    /// # Errors
    /// `InvalidArgument` for a bad period or grouping.
    pub fn win_rate(&self, period: &str, by: ReportBy) -> Result<Vec<ReportRow>> {
        self.win_rate_in(period, by, None)
    }

    /// [`Crm::win_rate`] with the amounts in `currency` (the base currency when `None`), each deal converted
    /// at the rate of its close date; the rows then have a `currency` column.
    ///
    /// # Errors
    /// As [`Crm::win_rate`]; `NotFound` for an unknown currency; `InvalidArgument` for a missing rate.
    pub fn win_rate_in(&self, period: &str, by: ReportBy, currency: Option<&str>) -> Result<Vec<ReportRow>> {
        let rc = self.report_currency(currency)?;
        let (key, groups) = self.closed_in(period, by, &rc)?;
        let mut out = Vec::with_capacity(groups.len());
        for (k, c) in groups {
            let mut row = ReportRow::new();
            if let Some(col) = by.column() {
                row = row.with(col, k);
            }
            let closed_amount = math::add(c.won_amount, c.lost_amount, "the closed amount")?;
            let closed = c.won + c.lost;
            let (avg, median) = match &c.days {
                Some(d) if d.count > 0 => (
                    math::div(Decimal::from(d.total), Decimal::from(d.count), math::DAYS_DP, "average days")?,
                    Some(math::median(d.middle)),
                ),
                _ => (None, None),
            };
            row = row.with("period", key.as_str());
            if rc.named {
                row = row.with("currency", rc.code.as_str());
            }
            out.push(
                row.with("closed", closed)
                    .with("won", c.won)
                    .with("lost", c.lost)
                    .with("won_amount", c.won_amount)
                    .with("lost_amount", c.lost_amount)
                    .with("win_rate", math::div(Decimal::from(c.won), Decimal::from(closed), math::RATE_DP, "win rate")?)
                    .with("win_rate_amount", math::div(c.won_amount, closed_amount, math::RATE_DP, "win rate by amount")?)
                    .with("average_days_to_close", avg)
                    .with("median_days_to_close", median),
            );
        }
        Ok(out)
    }

    /// Sales velocity: how much the open pipeline is expected to bring per day. One row: `period`,
    /// `open_deals` (open deals today), `closed`, `won`, `win_rate` (won / closed in the period),
    /// `average_won_amount`, `average_days_to_close` (won deals of the period), and `velocity` = open deals
    /// × win rate × average won amount / average days to close, computed from the unrounded figures
    /// (open × won amount × won / (closed × total days to close)) and rounded once to cents. Empty figures
    /// where a divisor is zero.
    ///
    /// # Errors
    /// `InvalidArgument` for a bad period or a figure beyond exact decimals.
    pub fn sales_velocity(&self, period: &str) -> Result<Vec<ReportRow>> {
        self.sales_velocity_in(period, None)
    }

    /// [`Crm::sales_velocity`] with the money in `currency` (the base currency when `None`), each won deal
    /// converted at the rate of its close date; the row then has a `currency` column.
    ///
    /// # Errors
    /// As [`Crm::sales_velocity`]; `NotFound` for an unknown currency; `InvalidArgument` for a missing rate.
    pub fn sales_velocity_in(&self, period: &str, currency: Option<&str>) -> Result<Vec<ReportRow>> {
        let rc = self.report_currency(currency)?;
        let (key, groups) = self.closed_in(period, ReportBy::Total, &rc)?;
        let c = groups.into_values().next().unwrap_or_default();
        let stages = Stages::of(&*self.current_schema()?);
        let (_, open_q) = self.deal_query(vec![stage_in(&stages.open)])?;
        let open: u64 = self.money_scale(self.store.deal_groups(&open_q, &[])?)?.iter().map(|g| g.count).sum();
        let closed = c.won + c.lost;
        let (total_days, day_count) = c.days.as_ref().map_or((0, 0), |d| (d.total, d.count));
        let velocity = if total_days > 0 {
            let top = math::mul(math::mul(Decimal::from(open), c.won_amount, "velocity")?, Decimal::from(c.won), "velocity")?;
            let bottom = math::mul(Decimal::from(closed), Decimal::from(total_days), "velocity")?;
            math::div(top, bottom, math::MONEY_DP, "velocity")?
        } else {
            None
        };
        let mut row = ReportRow::new().with("period", key.as_str());
        if rc.named {
            row = row.with("currency", rc.code.as_str());
        }
        Ok(vec![
            row.with("open_deals", open)
                .with("closed", closed)
                .with("won", c.won)
                .with("win_rate", math::div(Decimal::from(c.won), Decimal::from(closed), math::RATE_DP, "win rate")?)
                .with("average_won_amount", math::div(c.won_amount, Decimal::from(c.won), math::MONEY_DP, "average won amount")?)
                .with(
                    "average_days_to_close",
                    math::div(Decimal::from(total_days), Decimal::from(day_count), math::DAYS_DP, "average days")?,
                )
                .with("velocity", velocity),
        ])
    }

    /// The deals lost (lost stage) with a close date in `period`, grouped by their `lost_reason` or by the
    /// last open stage of their stage history before the loss; ordered by key (`""` for none). Columns: the
    /// key (`lost_reason` or `last_open_stage`), `period`, `count`, `amount`, `share` (of the lost deals).
    ///
    /// # Errors
    /// `InvalidArgument` for a bad period.
    pub fn lost_reasons(&self, period: &str, by: LostBy) -> Result<Vec<ReportRow>> {
        self.lost_reasons_in(period, by, None)
    }

    /// [`Crm::lost_reasons`] with the amounts in `currency` (the base currency when `None`), each deal
    /// converted at the rate of its close date; the rows then have a `currency` column.
    ///
    /// # Errors
    /// As [`Crm::lost_reasons`]; `NotFound` for an unknown currency; `InvalidArgument` for a missing rate.
    pub fn lost_reasons_in(&self, period: &str, by: LostBy, currency: Option<&str>) -> Result<Vec<ReportRow>> {
        let rc = self.report_currency(currency)?;
        let p = self.period(period)?;
        let stages = Stages::of(&*self.current_schema()?);
        let (_, q) = self.deal_query(vec![closing_in(&p), stage_in(&stages.lost)])?;
        let (groups, column) = match by {
            LostBy::Reason => (self.deal_sums(&q, &[DealKey::Field("lost_reason".into())], &rc, None)?, "lost_reason"),
            LostBy::LastOpenStage => (self.last_open_sums(&q, &stages.open, &rc)?, "last_open_stage"),
        };
        let total: u64 = groups.iter().map(|g| g.count).sum();
        let mut out = Vec::with_capacity(groups.len());
        for g in groups {
            let mut row =
                ReportRow::new().with(column, g.keys.first().and_then(Value::to_text).unwrap_or_default()).with("period", p.key.as_str());
            if rc.named {
                row = row.with("currency", rc.code.as_str());
            }
            out.push(
                row.with("count", g.count)
                    .with("amount", g.amount)
                    .with("share", math::div(Decimal::from(g.count), Decimal::from(total), math::RATE_DP, "share")?),
            );
        }
        Ok(out)
    }
}
