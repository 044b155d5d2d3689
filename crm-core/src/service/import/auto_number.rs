//! Imported auto-numbers: taken only when free, and the module's counter moved past them.

use super::Run;
use crate::error::Result;
use crate::service::Crm;
use crate::storage::{AutoNumberState, increment_counter};

impl Crm {
    pub(super) fn auto_number_free(&self, run: &Run, module: &str, field: &str, number: &str) -> Result<bool> {
        if run.batch_numbers.contains(number) {
            return Ok(false);
        }
        if let Some(p) = run.probed.as_ref().filter(|p| p.asked.contains(number)) {
            return Ok(!p.taken.contains(number)); // asked with the batch's other numbers (see `ahead`)
        }
        // Straight to the store: the number is already canonical text; one probe covers the live records
        // and the recycle bin.
        let m = self.module(module)?;
        if m.auto_number.as_ref().is_none_or(|a| a.field != field) {
            return Ok(true);
        }
        Ok(!self.store.auto_number_taken(m, number)?)
    }

    /// Moves the auto-number counter past an imported number with the live prefix.
    pub(super) fn move_counter_past(&mut self, module: &str, number: &str) -> Result<()> {
        let prefix = self.module(module)?.auto_number.as_ref().map(|a| a.prefix.clone()).unwrap_or_default();
        let st = self.dry_number_state(module, &prefix)?;
        let Some(digits) = number.strip_prefix(st.prefix.as_str()) else {
            return Ok(());
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(());
        }
        let num = |s: &str| s.trim_start_matches('0').parse::<u128>().unwrap_or(0);
        if num(digits) >= num(&st.next) {
            let next = AutoNumberState { prefix: st.prefix, next: increment_counter(digits) };
            match self.cache.dry_numbers.as_mut() {
                Some(d) => {
                    d.insert(module.to_string(), next);
                }
                None => self.store.set_auto_number(module, &next)?,
            }
        }
        Ok(())
    }
}
