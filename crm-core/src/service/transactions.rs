//! Transactions: many writes that commit together or not at all.
//!
//! [`Crm::begin_transaction`] opens the store's unit of work ([`Store::begin_unit`](crate::storage::Store::begin_unit),
//! through [`Store::begin_transaction`](crate::storage::Store::begin_transaction)) and keeps it open across
//! calls until [`Crm::commit_transaction`] or [`Crm::rollback_transaction`]; [`Crm::transaction`] does both
//! around a closure (an error rolls back). Every store: SQLite (`BEGIN IMMEDIATE`: other handles wait
//! for the write lock, up to their busy timeout, until it ends), PostgreSQL (one transaction; other
//! connections do not see its writes before the commit) and memory (a copy of the store is put back on
//! rollback).
//!
//! Inside a transaction each save still fails alone (a savepoint): a refused save leaves the earlier ones
//! in the transaction. Bulk operations that commit in batches of their own (imports) join the caller's
//! transaction instead: their batches commit with it, and a rollback takes the whole import back. On
//! rollback the handle forgets what it cached from inside the transaction (reserved ids, owner and
//! workflow caches, the schema: a field added inside is gone again).

use super::Crm;
use crate::error::{Error, Result};

impl Crm {
    /// Opens a transaction on this handle: every write until [`Crm::commit_transaction`] or
    /// [`Crm::rollback_transaction`] commits together, or not at all.
    ///
    /// # Example
    /// ```
    /// use crm_core::{Crm, Fields, NewUser, Query};
    /// # fn main() -> Result<(), crm_core::Error> {
    /// let mut crm = Crm::open(":memory:")?;
    /// crm.add_user(NewUser::new("admin"))?;
    /// crm.set_actor("admin")?;
    /// crm.begin_transaction()?;
    /// crm.create("Accounts", Fields::new().with("accountname", "Hooli"))?;
    /// crm.rollback_transaction()?;
    /// assert_eq!(crm.count(Query::new("Accounts"))?, 0);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// `Conflict` when a transaction is already open on this handle; storage errors (`Busy` when another
    /// SQLite handle holds the write lock past the busy timeout).
    pub fn begin_transaction(&mut self) -> Result<()> {
        if self.cache.transaction {
            return Err(Error::Conflict("a transaction is already open on this handle".into()));
        }
        self.store.begin_transaction()?;
        self.cache.transaction = true;
        Ok(())
    }

    /// True while a transaction is open on this handle.
    pub fn in_transaction(&self) -> bool {
        self.cache.transaction
    }

    /// Commits the open transaction.
    ///
    /// # Errors
    /// `Conflict` without an open transaction; storage errors (the transaction is then rolled back and
    /// closed).
    pub fn commit_transaction(&mut self) -> Result<()> {
        self.end_transaction(true)
    }

    /// Rolls the open transaction back: none of its writes stay.
    ///
    /// # Errors
    /// `Conflict` without an open transaction; storage errors.
    pub fn rollback_transaction(&mut self) -> Result<()> {
        self.end_transaction(false)
    }

    /// Runs `f` in a transaction: commits when it returns `Ok`, rolls back when it returns `Err` (that
    /// error is returned).
    ///
    /// # Errors
    /// `f`'s error; those of [`Crm::begin_transaction`] and [`Crm::commit_transaction`].
    pub fn transaction<T>(&mut self, f: impl FnOnce(&mut Crm) -> Result<T>) -> Result<T> {
        self.begin_transaction()?;
        match f(self) {
            Ok(v) => {
                self.commit_transaction()?;
                Ok(v)
            }
            Err(e) => {
                let _ = self.rollback_transaction(); // the caller's error says more
                Err(e)
            }
        }
    }

    fn end_transaction(&mut self, commit: bool) -> Result<()> {
        if !self.cache.transaction {
            return Err(Error::Conflict("no transaction is open on this handle".into()));
        }
        self.cache.transaction = false;
        let out = self.store.end_transaction(commit);
        self.forget_freshness();
        if !commit || out.is_err() {
            // What was read or reserved inside is gone: ids, owners, workflows, references, the schema.
            self.cache.next_id = self.cache.end_id;
            self.cache.data_version = None;
            self.cache.directory = None;
            self.cache.workflows = None;
            self.cache.module_workflows.clear();
            self.drop_reference_caches();
            self.refresh_schema()?;
        }
        out
    }
}
