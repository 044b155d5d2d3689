//! Views: list filters (vtiger custom views), named date ranges, search.
//!
//! [`filter::Filter`] is stored per module and converts into one [`Condition`](crate::query::Condition) of
//! the shared query model, so listing by a filter, by an ad-hoc query or by a search all run through the same
//! storage push-down (SQL with bound parameters in the SQLite adapter).
//!
//! Index strategy (SQLite adapter): every reference and owner column, each module's name field and the fields
//! a module marks `indexed` (stage, close date, modified time for Opportunities) have an index; the default
//! listing order (`modifiedtime DESC, id`) therefore walks an index. Text search uses `instr(crm_fold(..))`
//! and scans, which is fine for the record counts of a CRM; deep pages are read with
//! [`Crm::page_after`](crate::Crm::page_after) (keyset paging), which never skips rows with OFFSET.

pub mod filter;
pub mod range;

pub use filter::{Filter, FilterCondition, NameResolver, StdFilter, Visibility, default_filters};
pub use range::{Calendar, DateRange, ViewSettings};
