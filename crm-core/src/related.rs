//! Records related to records: comments and many-to-many links.
//!
//! * [`Comment`] — vtiger's ModComments: text on a record, with an author and a time; a reply names its
//!   parent comment. Comments are not records of a module here (vtiger makes them entities); they have their
//!   own table `crm_comments`, which is all the threaded list needs.
//! * [`Relation`] — one many-to-many link (vtiger `vtiger_crmentityrel`, `vtiger_contpotentialrel`,
//!   `vtiger_seproductsrel`, `vtiger_senotesrel`): a record, a related record, the related record's module,
//!   an optional role (contacts) and an optional quantity and price (products, services), exact decimals.

use crate::value::RecordId;
use chrono::NaiveDateTime;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One comment on a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    /// Id, unique across crm.
    pub id: i64,
    /// The record commented on.
    pub record: RecordId,
    /// The comment this one replies to.
    pub parent: Option<i64>,
    /// The author's user name.
    pub author: String,
    /// When it was written.
    pub at: NaiveDateTime,
    /// The text.
    pub text: String,
}

/// One many-to-many link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relation {
    /// The record the link was made on (e.g. the opportunity).
    pub record: RecordId,
    /// The linked record.
    pub related: RecordId,
    /// The linked record's module.
    pub module: String,
    /// Role of a linked contact (e.g. "Decision Maker").
    pub role: Option<String>,
    /// Quantity of a linked product or service.
    pub quantity: Option<Decimal>,
    /// Unit price of a linked product or service.
    pub price: Option<Decimal>,
    /// When it was linked.
    pub at: NaiveDateTime,
}
