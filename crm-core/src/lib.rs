//! # crm-core
//!
//! The pure domain core of **crm**, an embeddable sales-opportunity engine that behaves like vtiger CRM's
//! Opportunities ("Potentials") module: the same field names, labels, picklists and formats, with exact
//! decimal money, a full change log, stage history and pluggable storage.
//!
//! Start with [`Crm`]: open a store (`":memory:"` or a SQLite file), register users, then create, update,
//! find and delete records of any built-in module.
//!
//! ```
//! use crm_core::{Crm, Fields, NewUser, Query, Condition, Op};
//! # fn main() -> Result<(), crm_core::Error> {
//! let mut crm = Crm::open(":memory:")?;
//! crm.add_user(NewUser::new("admin").full_name("Administrator"))?;
//! crm.set_actor("admin")?;
//! let org = crm.create("Accounts", Fields::new().with("accountname", "Hooli"))?;
//! crm.create("Potentials", Fields::new()
//!     .with("potentialname", "Hooli renewal")
//!     .with("related_to", "Hooli")          // references resolve by name (or id)
//!     .with("amount", "12000.50")
//!     .with("sales_stage", "Prospecting")
//!     .with("closingdate", "2027-03-31"))?;
//! let big = crm.find(Query::new("Potentials").filter(Condition::cmp("amount", Op::Gt, "10000")))?;
//! assert_eq!(big[0].get("related_to").as_ref_id(), Some(org.id));
//! # Ok(()) }
//! ```
//!
//! Modules: [`access`] (roles, profiles, sharing: who may see and change what), [`schema`] (metadata), [`value`] and [`record`] (data), [`query`] (conditions, sorting, paging),
//! [`history`] (change log, stage history), [`storage`] (ports and adapters), [`clock`], [`user`],
//! [`error`], [`workflow`] (triggers, vtiger conditions, expressions, tasks, e-mail outbox, schedules), [`wire`]
//! (what crosses the C and Python boundaries: records, field input, query specs), and the [`Crm`] facade in
//! `service`.
//!
//! [`Crm::get`] reads live records only: a record in the recycle bin is `NotFound`, as in vtiger, and is read
//! with [`Crm::get_deleted`].

#![forbid(unsafe_code)]
// docs.rs (`--cfg docsrs`, nightly) marks each feature-gated item with its feature, e.g. `postgres`.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod access;
pub mod analytics;
#[cfg(feature = "arrow")]
#[cfg_attr(docsrs, doc(cfg(feature = "arrow")))]
pub mod arrow;
pub mod clock;
pub mod currency;
pub mod dedupe;
pub mod error;
pub mod feed;
pub mod history;
pub mod i18n;
pub mod io;
pub mod limits;
pub mod query;
pub mod record;
pub mod related;
pub mod row;
pub mod schema;
mod service;
pub mod storage;
pub mod text;
pub mod user;
pub mod value;
pub mod view;
pub mod wire;
pub mod workflow;

pub use access::{
    AccessDenied, AccessEdit, AccessModel, FieldAccess, ModuleRights, Party, Profile, Role, RuleAccess, Sharing, SharingRule,
    SharingRuleSpec,
};
pub use error::{Error, ErrorKind, FieldError, Result, StorageError, ValidationCode, ValidationErrors};
pub use feed::{ChangeEvent, ChangeIter};
pub use history::{ChangeKind, FieldChange, HistoryEntry, StageDuration, StageEntry};
pub use query::{Aggregate, Condition, Op, OwnerScope, Query, RecordSight, Sort};
pub use record::{Fields, Record, Values};
pub use related::{Comment, Relation};
pub use row::{Row, RowLayout, Rows};
pub use schema::edit::{FieldUpdate, NewField, SchemaChange, SchemaChangeEntry, SchemaError};
pub use schema::index::IndexDef;
pub use schema::{Field, FieldType, Module, Presence, Schema, StageKind};
#[doc(hidden)]
pub use service::fuzz as fuzzing;
pub use service::{
    Converted, Crm, Cursor, LINKABLE, LeadConversion, LeadMapping, LeadMappingRow, LinkInfo, ListView, MassOutcome, MassResult, Page,
    RelatedPage, TransferTo,
};
pub use service::{DeliveryReport, DryRun, DryRunTarget, Matcher, PipelineBy, PipelineRow, RunFailure, RunReport, WorkflowFunction};
pub use service::{EXPORT_PROGRESS_EVERY, ExportSelection, NewCustomerOpportunity, Progress, Records, UndoReport, VcardImportOptions};
pub use service::{Flow, ProgressFn, ProgressSink, ProgressUnit, ProgressUpdate};
pub use user::{Group, NewUser, Owner, User};
pub use value::{OwnerId, RecordId, Value};
pub use view::{Calendar, DateRange, Filter, FilterCondition, ViewSettings, Visibility};

/// Re-exported so hosts use the same `chrono` as the engine (dates, times, clocks).
pub use chrono;
/// Re-exported so hosts use the same `rust_decimal` as the engine (exact money).
pub use rust_decimal;

/// The version of this crate (`CARGO_PKG_VERSION`).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
