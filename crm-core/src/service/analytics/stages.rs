//! How deals move through the stages: the funnel (who reached each stage, went on, was won) and the time
//! spent in each stage, over the deals created in a period.

use super::super::Crm;
use super::created_in;
use crate::analytics::{ReportRow, math};
use crate::error::Result;
use crate::schema::StageKind;
use crate::storage::analytics::StagePlace;
use crate::value::Value;
use rust_decimal::Decimal;

impl Crm {
    fn stage_places(&self) -> Result<Vec<StagePlace>> {
        let s = self.current_schema()?;
        Ok(s.picklist("sales_stage")
            .map(|p| p.values.as_slice())
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let kind = v.stage.map(|m| m.kind);
                StagePlace {
                    stage: v.value.clone(),
                    position: i as i64,
                    won: kind == Some(StageKind::Won),
                    lost: kind == Some(StageKind::Lost),
                }
            })
            .collect())
    }

    /// The stage funnel of the deals created in `period`, from their stage history: one row per open or won
    /// stage in picklist order with `stage`, `period`, `reached` (deals with a stage-history row at it),
    /// `advanced` (of those, deals that later reached a stage further down; a lost stage is not further),
    /// `conversion_to_next` (advanced / reached), `won` (of those, deals that reached a won stage) and
    /// `conversion_to_won` (won / reached).
    ///
    /// # Errors
    /// `InvalidArgument` for a bad period.
    pub fn stage_funnel(&self, period: &str) -> Result<Vec<ReportRow>> {
        let p = self.period(period)?;
        let places = self.stage_places()?;
        let (_, q) = self.deal_query(vec![created_in(&p)])?;
        let reach = self.store.stage_reach(&q, &places)?;
        let mut out = Vec::new();
        for (place, r) in places.iter().zip(reach) {
            if place.lost {
                continue;
            }
            out.push(
                ReportRow::new()
                    .with("stage", r.stage.as_str())
                    .with("period", p.key.as_str())
                    .with("reached", r.reached)
                    .with("advanced", r.advanced)
                    .with(
                        "conversion_to_next",
                        math::div(Decimal::from(r.advanced), Decimal::from(r.reached), math::RATE_DP, "conversion")?,
                    )
                    .with("won", r.won)
                    .with("conversion_to_won", math::div(Decimal::from(r.won), Decimal::from(r.reached), math::RATE_DP, "conversion")?),
            );
        }
        Ok(out)
    }

    /// Time in each stage for the deals created in `period`: every finished spell in a stage (entered, then
    /// left for another stage) counts its whole days (leaving date − entering date). One row per stage with
    /// spells, in picklist order (stages no longer in the picklist last): `stage`, `period`, `spells`,
    /// `average_days`, `median_days`.
    ///
    /// # Errors
    /// `InvalidArgument` for a bad period.
    pub fn time_in_stage(&self, period: &str) -> Result<Vec<ReportRow>> {
        let p = self.period(period)?;
        let places = self.stage_places()?;
        let (_, q) = self.deal_query(vec![created_in(&p)])?;
        let mut spreads = self.store.stage_days(&q)?;
        let pos = |v: &Value| v.as_str().and_then(|s| places.iter().position(|p| p.stage == s)).unwrap_or(usize::MAX);
        spreads.sort_by_key(|d| pos(&d.key));
        let mut out = Vec::with_capacity(spreads.len());
        for d in spreads {
            out.push(
                ReportRow::new()
                    .with("stage", d.key.to_text().unwrap_or_default())
                    .with("period", p.key.as_str())
                    .with("spells", d.count)
                    .with("average_days", math::div(Decimal::from(d.total), Decimal::from(d.count), math::DAYS_DP, "average days")?)
                    .with("median_days", math::median(d.middle)),
            );
        }
        Ok(out)
    }
}
