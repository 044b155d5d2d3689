//! What saving an opportunity does for analytics: its forecast category follows its stage (unless the
//! caller sets one), and moving to a lost stage can require a lost reason. Plus the settings behind both.

use super::super::Crm;
use crate::analytics::category::{canonical, category_of};
use crate::error::{Error, FieldError, Result, ValidationCode, ValidationErrors};
use crate::record::Values;
use crate::schema::{Module, Schema, StageKind};
use crate::value::Value;

impl Crm {
    /// On create or update of an opportunity (`before` is `None` on create): when the stage is new or
    /// changed and the forecast category was not changed by the caller, the category of the new stage; when
    /// the stage moved into a lost stage and lost reasons are required, a `Required` problem on
    /// `lost_reason` if it is empty.
    pub(crate) fn apply_analytics_rules(
        &self,
        schema: &Schema,
        m: &Module,
        values: &mut Values,
        before: Option<&Values>,
        errors: &mut ValidationErrors,
    ) {
        if m.field("forecast_category").is_none() || m.field("sales_stage").is_none() {
            return;
        }
        let get = |map: &Values, f: &str| map.get(f).cloned().unwrap_or_default();
        let stage = get(values, "sales_stage");
        let stage_changed = before.is_none_or(|b| get(b, "sales_stage") != stage);
        if !stage_changed {
            return;
        }
        let category = get(values, "forecast_category");
        let caller_set = match before {
            None => !category.is_empty(),
            Some(b) => get(b, "forecast_category") != category,
        };
        if !caller_set && let Some(c) = stage.as_str().and_then(|s| category_of(schema, s)) {
            values.insert("forecast_category".into(), Value::Text(c));
        }
        let lost = stage.as_str().and_then(|s| schema.stage(s)).is_some_and(|meta| meta.kind == StageKind::Lost);
        if lost && schema.settings.require_lost_reason && m.field("lost_reason").is_some() && get(values, "lost_reason").is_empty() {
            errors.push(FieldError::new("lost_reason", ValidationCode::Required, "a lost opportunity needs a lost reason"));
        }
    }

    /// Maps a sales stage to a forecast category (`Pipeline`, `Best Case`, `Commit`, `Closed`, `Omitted`,
    /// any case): deals moved to that stage from now on take it. Stored with the schema.
    ///
    /// # Errors
    /// `InvalidArgument` for an unknown stage or category.
    pub fn set_forecast_category_for_stage(&mut self, stage: &str, category: &str) -> Result<()> {
        self.refresh_schema()?;
        let mut s = (*self.schema).clone();
        let stage = s
            .picklist("sales_stage")
            .and_then(|p| p.find_ignore_case(stage.trim()))
            .map(|v| v.value.clone())
            .ok_or_else(|| Error::invalid(format!("'{stage}' is not a sales stage")))?;
        let category = canonical(category).ok_or_else(|| {
            Error::invalid(format!("'{category}' is not a forecast category (Pipeline, Best Case, Commit, Closed, Omitted)"))
        })?;
        s.settings.forecast_categories.insert(stage, category.to_string());
        self.save_schema(s)
    }

    /// Turns on or off the rule that moving an opportunity to a lost stage needs a `lost_reason` (off by
    /// default). Stored with the schema.
    pub fn set_require_lost_reason(&mut self, on: bool) -> Result<()> {
        self.refresh_schema()?;
        let mut s = (*self.schema).clone();
        s.settings.require_lost_reason = on;
        self.save_schema(s)
    }

    /// Gives a stored schema from before the analytics fields those fields and picklists (see
    /// `crate::analytics::schema`), under the store's setup lock; nothing when it has them.
    pub(crate) fn upgrade_analytics_schema(&mut self) -> Result<()> {
        if !crate::analytics::schema::needs_upgrade(&self.schema) {
            return Ok(());
        }
        self.in_setup(|crm| {
            let Some(mut s) = crm.store.load_schema()? else { return Ok(()) };
            if crate::analytics::schema::upgrade(&mut s) {
                crm.save_schema(s)?;
            } else {
                crm.schema = std::sync::Arc::new(s);
            }
            Ok(())
        })
    }
}
