//! Setting up a store: the built-in schema, the default filters and the default workflows, installed
//! exactly once.
//!
//! Several handles may open the same empty database at the same instant (application servers starting
//! together). Each checks what is stored without a lock first (the common case, an existing database,
//! costs two reads); when something is missing it takes the store's setup lock
//! ([`Store::begin_setup`](crate::storage::Store::begin_setup): SQLite's write lock, a PostgreSQL advisory
//! lock), checks again under it, and installs what is still missing in one transaction. So the handles
//! that lose the race find everything installed by the winner: one schema (never overwritten by a late
//! built-in one, even after the winner customized it), one copy of each default filter and workflow, and
//! the auto-number counters untouched.

use super::Crm;
use crate::error::Result;
use crate::schema::Schema;
use std::sync::Arc;

impl Crm {
    /// Installs the built-in schema, default filters and default workflows that are missing, under the
    /// store's setup lock, and makes the stored schema the one in force.
    pub(crate) fn install_defaults(&mut self) -> Result<()> {
        self.in_setup(|crm| {
            // Checked again under the lock: another handle may have installed everything meanwhile.
            let new = match crm.store.load_schema()? {
                Some(s) => {
                    crm.schema = Arc::new(s);
                    false
                }
                None => {
                    let s = Schema::builtin();
                    crm.store.save_schema(&s)?;
                    crm.schema = Arc::new(s);
                    true
                }
            };
            crm.put_missing_default_filters()?;
            if new {
                crm.install_default_workflows()?;
            }
            Ok(())
        })
    }

    /// Runs `f` in one unit of work holding the store's setup lock: committed when `f` succeeds, rolled
    /// back otherwise.
    pub(crate) fn in_setup(&mut self, f: impl FnOnce(&mut Crm) -> Result<()>) -> Result<()> {
        self.store.begin_setup()?;
        let out = f(self);
        let ended = self.end_unit(out.is_ok());
        out.and(ended)
    }
}
