//! Related records: comments, activities, many-to-many links, dependent sales documents, related lists.
//!
//! * Comments are threaded (a reply names its parent on the same record) and listed newest first.
//! * Activities are Calendar records whose `parent_id` points at the record; "open" and "done" follow
//!   vtiger's Activities / Activity History split: done = task status Completed or Deferred, or event status
//!   Held or Not Held.
//! * Many-to-many links (vtiger `vtiger_contpotentialrel`, `vtiger_seproductsrel`, `vtiger_senotesrel`, ...)
//!   connect any record with Contacts (optional role), Products and Services (quantity and unit price, exact
//!   decimals; price defaults to the product's unit price, quantity to 1) and Documents. A link is one row
//!   seen from both sides. Link and unlink write a `Linked` / `Unlinked` change-log entry on **both**
//!   records (`related` names the other one) in the same transaction — vtiger's ModTracker LINK/UNLINK.
//! * [`Crm::related`] lists one kind of related record with paging: records of the module that reference
//!   the record through any reference field, plus records linked to it, in one pushed-down query.
//! * Quotes, Sales Orders and Invoices reference the opportunity through `potential_id`;
//!   [`Crm::create_from_opportunity`] fills in organization, contact and subject and copies the
//!   opportunity's product and service links (quantity and price) onto the new document, in one transaction.

use super::records::Mode;
use super::{Crm, Page};
use crate::error::{Error, Result};
use crate::history::{ChangeKind, HistoryEntry};
use crate::query::{Condition, Query};
use crate::record::{Fields, Record};
use crate::related::{Comment, Relation};
use crate::storage::{Change, ChangeSet};
use crate::storage::{RecordChange, RelationChange};
use crate::value::{RecordId, Value};
use rust_decimal::Decimal;

/// Modules linked many-to-many.
pub const LINKABLE: [&str; 4] = ["Contacts", "Products", "Services", "Documents"];

/// Details of a link: role for contacts, quantity and price for products and services.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkInfo {
    /// Role of a contact.
    pub role: Option<String>,
    /// Quantity of a product or service (default 1).
    pub quantity: Option<Decimal>,
    /// Unit price of a product or service (default: its unit price).
    pub price: Option<Decimal>,
}

/// One page of a related list: each record with its link details when it is linked many-to-many.
#[derive(Debug, Clone, PartialEq)]
pub struct RelatedPage {
    /// Records and their links (None for records related through a reference field).
    pub items: Vec<(Record, Option<Relation>)>,
    /// How many related records there are in all.
    pub total: u64,
    /// Page number (1-based).
    pub page: u64,
    /// Page size.
    pub page_size: u64,
}

impl Crm {
    /// Adds a comment to a record.
    ///
    /// # Errors
    /// `NotFound` for an unknown or deleted record; `InvalidArgument` for empty text.
    pub fn comment(&mut self, record: RecordId, text: &str) -> Result<Comment> {
        let c = self.plan_comment(record, None, text)?;
        let entry = self.comment_entry(&c)?;
        self.commit(&ChangeSet(vec![Change::Relation(RelationChange::AddComment(c.clone())), entry.into()]))?;
        Ok(c)
    }

    /// Replies to a comment (on the same record).
    ///
    /// # Errors
    /// `NotFound` for an unknown comment.
    pub fn reply(&mut self, comment: i64, text: &str) -> Result<Comment> {
        let parent = self.store.comment(comment)?.ok_or_else(|| Error::not_found(format!("comment {comment}")))?;
        let c = self.plan_comment(parent.record, Some(comment), text)?;
        let entry = self.comment_entry(&c)?;
        self.commit(&ChangeSet(vec![Change::Relation(RelationChange::AddComment(c.clone())), entry.into()]))?;
        Ok(c)
    }

    /// The comments on a record, newest first (replies name their parent).
    pub fn comments(&self, record: RecordId) -> Result<Vec<Comment>> {
        self.check_record(&self.load(record)?, crate::access::Action::View)?; // access control
        self.store.comments(record)
    }

    /// The activities (Calendar records) linked to a record through `parent_id`: open ones, or done ones
    /// when `done`; by start date.
    pub fn activities(&self, record: RecordId, done: bool) -> Result<Vec<Record>> {
        self.check_record(&self.load(record)?, crate::access::Action::View)?; // access control
        let finished = Condition::Any(vec![
            Condition::one_of("taskstatus", ["Completed", "Deferred"]),
            Condition::one_of("eventstatus", ["Held", "Not Held"]),
        ]);
        let status = if done { finished } else { Condition::Not(Box::new(finished)) };
        self.find(Query::new("Calendar").filter(Condition::eq("parent_id", Value::Ref(record))).filter(status).order_by("date_start"))
    }

    /// Links a contact, product, service or document to a record (or replaces the link's details).
    ///
    /// # Errors
    /// `NotFound` for unknown or deleted records; `InvalidArgument` when neither side is linkable, or for a
    /// role on a non-contact or a quantity/price on something other than a product or service.
    pub fn link(&mut self, record: RecordId, related: RecordId, info: LinkInfo) -> Result<Relation> {
        let (rel, cs) = self.plan_link(record, related, info)?;
        self.commit(&cs)?;
        Ok(rel)
    }

    /// Removes the link between two records.
    ///
    /// # Errors
    /// `NotFound` when they are not linked.
    pub fn unlink(&mut self, record: RecordId, related: RecordId) -> Result<()> {
        let a = self.load(record)?;
        let b = self.load(related)?;
        let linked = self.store.relations(record, Some(&b.module), 0, None)?.into_iter().any(|r| r.related == related);
        if !linked {
            return Err(Error::not_found(format!("record {related} is not linked to {record}")));
        }
        let mut cs = ChangeSet(vec![Change::Relation(RelationChange::Unlink { record, related })]);
        self.log_link(&mut cs, &a, &b, ChangeKind::Unlinked);
        self.commit(&cs)
    }

    /// Validates a link and returns it with everything it writes.
    pub(crate) fn plan_link(&mut self, record: RecordId, related: RecordId, info: LinkInfo) -> Result<(Relation, ChangeSet)> {
        let get = |crm: &Crm, id: RecordId| -> Result<Record> {
            let r = match crm.pending.get(&id) {
                Some(r) => r.clone(),
                None => crm.load(id)?,
            };
            if r.deleted {
                return Err(Error::not_found(format!("record {id} is in the recycle bin")));
            }
            Ok(r)
        };
        let (mut a, mut b) = (get(self, record)?, get(self, related)?);
        if record == related {
            return Err(Error::invalid("a record cannot be linked to itself"));
        }
        if !LINKABLE.contains(&b.module.as_str()) && LINKABLE.contains(&a.module.as_str()) {
            std::mem::swap(&mut a, &mut b);
        }
        if !LINKABLE.contains(&b.module.as_str()) {
            return Err(Error::invalid(format!("{} and {} records are not linked many-to-many", a.module, b.module)));
        }
        let priced = matches!(b.module.as_str(), "Products" | "Services");
        if info.role.is_some() && b.module != "Contacts" {
            return Err(Error::invalid("only contacts have a role"));
        }
        if (info.quantity.is_some() || info.price.is_some()) && !priced {
            return Err(Error::invalid("only products and services have a quantity and price"));
        }
        if info.quantity.is_some_and(|q| q <= Decimal::ZERO) || info.price.is_some_and(|p| p < Decimal::ZERO) {
            return Err(Error::invalid("quantity must be positive and price not negative"));
        }
        let rel = Relation {
            record: a.id,
            related: b.id,
            module: b.module.clone(),
            role: info.role.map(|r| r.trim().to_string()).filter(|r| !r.is_empty()),
            quantity: if priced { Some(info.quantity.unwrap_or(Decimal::ONE)) } else { None },
            price: if priced { info.price.or_else(|| b.get("unit_price").as_decimal()) } else { None },
            at: self.now(),
        };
        let mut cs = ChangeSet(vec![Change::Relation(RelationChange::Link(rel.clone()))]);
        self.log_link(&mut cs, &a, &b, ChangeKind::Linked);
        Ok((rel, cs))
    }

    /// The change-log entries of a link or unlink between `a` and `b`: one on each side, naming the other
    /// (links, unlinks, and the unlinks of a lead conversion).
    pub(super) fn log_link(&self, cs: &mut ChangeSet, a: &Record, b: &Record, kind: ChangeKind) {
        let now = self.now();
        for (x, y) in [(a, b), (b, a)] {
            cs.push(RecordChange::History(HistoryEntry {
                id: 0,
                record: x.id,
                module: x.module.clone(),
                actor: self.actor_name(),
                at: now,
                kind,
                related: Some(y.id),
                changes: vec![],
            }));
        }
    }

    /// One page (1-based) of the records of `module` related to `record`: those that reference it through
    /// any reference field, and those linked to it many-to-many; most recently modified first.
    ///
    /// # Example
    /// ```
    /// use crm_core::{Crm, Fields, NewUser};
    /// # fn main() -> Result<(), crm_core::Error> {
    /// let mut crm = Crm::open(":memory:")?;
    /// crm.add_user(NewUser::new("admin"))?;
    /// crm.set_actor("admin")?;
    /// let deal = crm.create("Potentials", Fields::new()
    ///     .with("potentialname", "Hooli renewal")
    ///     .with("amount", "12000")
    ///     .with("sales_stage", "Prospecting")
    ///     .with("closingdate", "2027-03-31"))?;
    /// let call = crm.create("Calendar", Fields::new()
    ///     .with("subject", "Follow-up call")
    ///     .with("activitytype", "Call")
    ///     .with("date_start", "2027-01-10")
    ///     .with("eventstatus", "Planned")
    ///     .with("parent_id", deal.id))?;
    /// let page = crm.related(deal.id, "Calendar", 1, 20)?;
    /// assert_eq!(page.items[0].0.id, call.id);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// `NotFound` for an unknown record or module.
    pub fn related(&self, record: RecordId, module: &str, page: u64, page_size: u64) -> Result<RelatedPage> {
        let source = self.load(record)?;
        self.check_record(&source, crate::access::Action::View)?; // access control
        let target = self.module(module)?;
        let links = self.store.relations(record, Some(&target.name), 0, None)?;
        let by_ref: Vec<Condition> = target
            .fields
            .iter()
            .filter(|f| f.references.contains(&source.module))
            .map(|f| Condition::eq(f.name.clone(), Value::Ref(record)))
            .collect();
        // Records that reference this one are selected in storage; linked records are added by id after them
        // (link rows are few per record), so the page is cut from the combined list.
        if links.is_empty() {
            // Only references: the page is cut in storage.
            let p = if by_ref.is_empty() {
                Page { records: vec![], total: 0, page: page.max(1), page_size }
            } else {
                self.page(Query::new(target.name.clone()).filter(Condition::Any(by_ref)), page, page_size)?
            };
            return Ok(RelatedPage { items: p.records.into_iter().map(|r| (r, None)).collect(), total: p.total, page: p.page, page_size });
        }
        let referencing =
            if by_ref.is_empty() { vec![] } else { self.find(Query::new(target.name.clone()).filter(Condition::Any(by_ref)))? };
        let mut items: Vec<(Record, Option<Relation>)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for r in referencing {
            seen.insert(r.id);
            let l = links.iter().find(|l| l.related == r.id).cloned();
            items.push((r, l));
        }
        for l in &links {
            if seen.insert(l.related)
                && let Some(mut r) = self.store.get(l.related)?.filter(|r| !r.deleted)
                && self.check_record(&r, crate::access::Action::View).is_ok()
            // access control
            {
                self.redact(&mut r)?;
                items.push((r, Some(l.clone())));
            }
        }
        let total = items.len() as u64;
        let page = page.max(1);
        let skip = usize::try_from(page.saturating_sub(1).saturating_mul(page_size)).unwrap_or(usize::MAX);
        let take = usize::try_from(page_size).unwrap_or(usize::MAX);
        Ok(RelatedPage { items: items.into_iter().skip(skip).take(take).collect(), total, page, page_size })
    }

    /// Creates a quote, sales order or invoice for an opportunity: `potential_id`, organization, contact and
    /// subject come from the opportunity (given `fields` win), and its product and service links are copied
    /// with quantity and price. One transaction.
    ///
    /// # Errors
    /// `InvalidArgument` for another module or a record that is not an opportunity; `Validation` as
    /// [`Crm::create`].
    pub fn create_from_opportunity(&mut self, opportunity: RecordId, module: &str, fields: Fields) -> Result<Record> {
        let pot = self.load(opportunity)?;
        if pot.module != "Potentials" || pot.deleted {
            return Err(Error::invalid(format!("record {opportunity} is not a live opportunity")));
        }
        let m = self.module(module)?.name.clone();
        if !matches!(m.as_str(), "Quotes" | "SalesOrder" | "Invoice") {
            return Err(Error::invalid(format!("{m} records are not created from an opportunity")));
        }
        let mut f = Fields::new().with("potential_id", Value::Ref(opportunity)).with("subject", pot.label.clone());
        for (from, to) in [("related_to", "account_id"), ("contact_id", "contact_id")] {
            if !pot.get(from).is_empty() {
                f.set(to, pot.get(from).clone());
            }
        }
        for (k, v) in fields {
            f.set(k, v);
        }
        let (record, mut cs) = self.plan_insert(&m, f, Mode::Create, "CRM")?;
        self.pending.insert(record.id, record.clone());
        let copied = (|| -> Result<()> {
            for l in self.store.relations(opportunity, None, 0, None)? {
                if matches!(l.module.as_str(), "Products" | "Services") {
                    let info = LinkInfo { role: None, quantity: l.quantity, price: l.price };
                    let (_, c) = self.plan_link(record.id, l.related, info)?;
                    cs.0.extend(c.0);
                }
            }
            Ok(())
        })();
        self.pending.clear();
        copied?;
        self.commit(&cs)?;
        Ok(record)
    }
}
