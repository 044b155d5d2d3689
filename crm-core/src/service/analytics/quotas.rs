//! Quotas per user or group per period, and attainment: won amount in the period against the quota, with
//! the open pipeline's coverage of what remains.

use super::super::Crm;
use super::forecast::to_json;
use super::{Stages, closing_in, key_text};
use crate::analytics::{ReportBy, ReportRow, math};
use crate::error::{Error, Result};
use crate::storage::analytics::DealKey;
use crate::storage::{Change, ChangeSet, ViewChange};
use crate::user::Owner;
use crate::value::{OwnerId, Value};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The setting holding every quota.
const QUOTAS: &str = "analytics.quotas";

/// A quota: what an owner (user or group) should win in a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quota {
    /// The user or group.
    pub owner: OwnerId,
    /// The period's key (`2027-Q1`, `2027-03`, `2027`, `FY2027`, `FY2027-Q1`).
    pub period: String,
    /// The amount.
    pub amount: Decimal,
}

/// Won and open sums of one owner in a period.
#[derive(Default, Clone, Copy)]
struct Sums {
    won_count: u64,
    won: Decimal,
    open_count: u64,
    open: Decimal,
    weighted: Decimal,
}

impl Sums {
    fn add(&mut self, o: &Sums) -> Result<()> {
        self.won_count += o.won_count;
        self.open_count += o.open_count;
        self.won = math::add(self.won, o.won, "the won amount")?;
        self.open = math::add(self.open, o.open, "the open amount")?;
        self.weighted = math::add(self.weighted, o.weighted, "the weighted open amount")?;
        Ok(())
    }
}

impl Crm {
    /// Sets the quota of a user or group (by user name, full name or group name) for a period, replacing
    /// the one it had.
    ///
    /// # Errors
    /// `NotFound` for an unknown owner; `InvalidArgument` for a bad period or a negative amount.
    pub fn set_quota(&mut self, owner: &str, period: &str, amount: Decimal) -> Result<Quota> {
        let o = self.find_owner(owner)?.ok_or_else(|| Error::not_found(format!("user or group '{owner}'")))?;
        let p = self.period(period)?;
        if amount.is_sign_negative() && !amount.is_zero() {
            return Err(Error::invalid(format!("quota {amount} is negative")));
        }
        let quota = Quota { owner: o.id(), period: p.key, amount };
        let mut all = self.quotas()?;
        all.retain(|q| !(q.owner == quota.owner && q.period == quota.period));
        all.push(quota.clone());
        self.commit(&ChangeSet(vec![Change::View(ViewChange::PutSetting { key: QUOTAS.into(), value: to_json(&all)? })]))?;
        Ok(quota)
    }

    /// Every stored quota, in the order set.
    ///
    /// # Errors
    /// Storage errors; `InvalidArgument` when the stored quotas cannot be read.
    pub fn quotas(&self) -> Result<Vec<Quota>> {
        match self.store.setting(QUOTAS)? {
            Some(t) => serde_json::from_str(&t).map_err(|e| Error::invalid(format!("stored quotas: {e}"))),
            None => Ok(Vec::new()),
        }
    }

    /// Attainment in a period, one row per owner with a quota for it (`by` owner, ordered by owner name),
    /// or one row for the users' quotas together (`by` total; group quotas are left out of it so nothing
    /// counts twice). A group's figures cover the deals of the group and of its members.
    ///
    /// Columns: `owner` (by owner), `period`, `quota`, `won_count`, `won_amount` (won deals closing in the
    /// period), `attainment` (won amount / quota), `open_count`, `open_amount`, `open_weighted` (open deals
    /// closing in the period), `remaining` (quota − won, not below 0), `coverage` and `weighted_coverage`
    /// (open amount, weighted open amount / remaining; empty when nothing remains).
    ///
    /// # Errors
    /// `InvalidArgument` for a bad period or `by` other than owner or total.
    pub fn attainment(&self, period: &str, by: ReportBy) -> Result<Vec<ReportRow>> {
        self.attainment_in(period, by, None)
    }

    /// [`Crm::attainment`] with the money in `currency` (the base currency when `None`): each deal converted
    /// at the rate of its close date, the quotas (stated in the base currency) at the rate of the period's
    /// last day; the rows then have a `currency` column.
    ///
    /// # Errors
    /// As [`Crm::attainment`]; `NotFound` for an unknown currency; `InvalidArgument` for a missing rate.
    pub fn attainment_in(&self, period: &str, by: ReportBy, currency: Option<&str>) -> Result<Vec<ReportRow>> {
        let rc = self.report_currency(currency)?;
        if !matches!(by, ReportBy::Owner | ReportBy::Total) {
            return Err(Error::invalid("attainment is by owner or total"));
        }
        let p = self.period(period)?;
        let stages = Stages::of(&*self.current_schema()?);
        let (_, q) = self.deal_query(vec![closing_in(&p)])?;
        let groups = self.deal_sums(&q, &[DealKey::Field("assigned_user_id".into()), DealKey::Field("sales_stage".into())], &rc, None)?;
        let mut per_owner: HashMap<Option<OwnerId>, Sums> = HashMap::new();
        for g in groups {
            let owner = g.keys.first().and_then(Value::as_owner);
            let stage = g.keys.get(1).and_then(|v| v.to_text()).unwrap_or_default();
            let s = per_owner.entry(owner).or_default();
            if stages.won.contains(&stage) {
                s.won_count += g.count;
                s.won = math::add(s.won, g.amount, "the won amount")?;
            } else if stages.open.contains(&stage) {
                s.open_count += g.count;
                s.open = math::add(s.open, g.amount, "the open amount")?;
                s.weighted = math::add(s.weighted, g.forecast_amount, "the weighted open amount")?;
            }
        }
        let dir = self.directory_now()?;
        let mut rows: Vec<(String, Decimal, Sums)> = Vec::new();
        let mut total = (Decimal::ZERO, Sums::default());
        for mut quota in self.quotas()?.into_iter().filter(|q| q.period == p.key) {
            quota.amount = self.quota_in(quota.amount, &rc, p.to)?;
            let owner = dir.owner(quota.owner);
            let mut ids = vec![quota.owner];
            if let Some(Owner::Group(g)) = &owner {
                ids.extend(g.members.iter().copied());
            }
            let mut sums = Sums::default();
            for id in ids {
                if let Some(s) = per_owner.get(&Some(id)) {
                    sums.add(s)?;
                }
            }
            if matches!(owner, Some(Owner::User(_))) {
                total.0 = math::add(total.0, quota.amount, "the total quota")?;
                total.1.add(&sums)?;
            }
            rows.push((key_text(&dir, &Value::Owner(quota.owner)), quota.amount, sums));
        }
        if by == ReportBy::Total {
            rows = vec![(String::new(), total.0, total.1)];
        }
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out = Vec::with_capacity(rows.len());
        for (owner, quota, s) in rows {
            let remaining = math::sub(quota, s.won, "the remaining quota")?.max(Decimal::ZERO);
            let mut row = ReportRow::new();
            if by == ReportBy::Owner {
                row = row.with("owner", owner);
            }
            row = row.with("period", p.key.as_str());
            if rc.named {
                row = row.with("currency", rc.code.as_str());
            }
            out.push(
                row.with("quota", quota)
                    .with("won_count", s.won_count)
                    .with("won_amount", s.won)
                    .with("attainment", math::div(s.won, quota, math::RATE_DP, "attainment")?)
                    .with("open_count", s.open_count)
                    .with("open_amount", s.open)
                    .with("open_weighted", s.weighted)
                    .with("remaining", remaining)
                    .with("coverage", math::div(s.open, remaining, math::RATE_DP, "coverage")?)
                    .with("weighted_coverage", math::div(s.weighted, remaining, math::RATE_DP, "weighted coverage")?),
            );
        }
        Ok(out)
    }
}
