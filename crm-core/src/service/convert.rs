//! Starting an opportunity three ways: converting a lead, for an existing contact or organization, and for
//! a new customer — each in **one** transaction.
//!
//! Lead conversion follows vtiger (`include/Webservices/ConvertLead.php`, reference §4):
//! * an editable field mapping (vtiger's default, §4.1, stored as the setting `lead_mapping`) copies lead
//!   fields into the organization, contact and opportunity; values given by the caller win; locked rows
//!   (company, email, first and last name) cannot be removed or changed;
//! * an organization with the same name (ignoring case) is reused instead of created;
//! * the contact gets `account_id`, the opportunity `related_to` and `contact_id`, and the contact is linked
//!   to the opportunity (vtiger `vtiger_contpotentialrel`);
//! * created records get the system field `isconvertedfromlead` and `source = CRM`;
//! * the lead is kept and marked `converted`; converted leads are hidden from lead listings and refused a
//!   second conversion (`Conflict`).
//!
//! Differences: vtiger fills still-empty mandatory fields with the literal `'????'` and deletes what it
//! created when a later step fails; crm reports every missing field as a validation error and simply
//! rolls the single transaction back. The lead's links, comments and activities move to the created
//! records (see `plan_lead_transfer`), as vtiger's `vtws_transferLeadRelatedRecords` moves them.
//!
//! Planning several records in one change set: `plan_insert` validates references against the store, so a
//! record planned earlier in the same set would not be found. The facade keeps an overlay of pending
//! (planned, uncommitted) records that the reference check consults; it is filled while one operation
//! plans and always emptied before that operation returns.

use super::Crm;
use super::records::Mode;
use super::relations::LinkInfo;
use crate::error::{Error, Result};
use crate::history::{self, ChangeKind, HistoryEntry};
use crate::record::{Fields, Record};
use crate::storage::{Change, ChangeSet};
use crate::storage::{RecordChange, RelationChange, ViewChange};
use crate::value::{RecordId, Value};
use serde::{Deserialize, Serialize};

const LEAD_MAPPING: &str = "lead_mapping";
const UNLOGGED: [&str; 2] = ["modifiedtime", "modifiedby"];

/// One row of the lead-conversion mapping: a lead field and where it goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadMappingRow {
    /// Lead field.
    pub lead: String,
    /// Organization field.
    pub account: Option<String>,
    /// Contact field.
    pub contact: Option<String>,
    /// Opportunity field.
    pub potential: Option<String>,
    /// False for vtiger's locked rows.
    pub editable: bool,
}

/// The lead-conversion field mapping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadMapping {
    /// Rows; a lead field may appear in several rows.
    pub rows: Vec<LeadMappingRow>,
}

impl Default for LeadMapping {
    /// vtiger's default mapping (`DefaultDataPopulator::addDefaultLeadMapping`, reference §4.1).
    fn default() -> Self {
        let r = |lead: &str, a: &str, c: &str, p: &str, editable: bool| LeadMappingRow {
            lead: lead.into(),
            account: Some(a.to_string()).filter(|s| !s.is_empty()),
            contact: Some(c.to_string()).filter(|s| !s.is_empty()),
            potential: Some(p.to_string()).filter(|s| !s.is_empty()),
            editable,
        };
        LeadMapping {
            rows: vec![
                r("company", "accountname", "", "potentialname", false),
                r("industry", "industry", "", "", true),
                r("phone", "phone", "phone", "", true),
                r("fax", "fax", "fax", "", true),
                r("rating", "rating", "", "", true),
                r("email", "email1", "email", "", false),
                r("website", "website", "", "", true),
                r("city", "bill_city", "mailingcity", "", true),
                r("code", "bill_code", "mailingzip", "", true),
                r("country", "bill_country", "mailingcountry", "", true),
                r("state", "bill_state", "mailingstate", "", true),
                r("lane", "bill_street", "mailingstreet", "", true),
                r("pobox", "bill_pobox", "mailingpobox", "", true),
                r("city", "ship_city", "", "", true),
                r("code", "ship_code", "", "", true),
                r("country", "ship_country", "", "", true),
                r("state", "ship_state", "", "", true),
                r("lane", "ship_street", "", "", true),
                r("pobox", "ship_pobox", "", "", true),
                r("description", "description", "description", "description", true),
                r("salutationtype", "", "salutationtype", "", true),
                r("firstname", "", "firstname", "", false),
                r("lastname", "", "lastname", "", false),
                r("mobile", "", "mobile", "", true),
                r("designation", "", "title", "", true),
                r("secondaryemail", "", "secondaryemail", "", true),
                r("leadsource", "", "leadsource", "leadsource", true),
                r("noofemployees", "employees", "", "", true),
                r("annualrevenue", "annual_revenue", "", "", true),
            ],
        }
    }
}

/// What to create when converting a lead: `None` skips a record; the fields given override the mapped
/// values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LeadConversion {
    /// Organization fields (`None` = no organization).
    pub account: Option<Fields>,
    /// Contact fields (`None` = no contact).
    pub contact: Option<Fields>,
    /// Opportunity fields (`None` = no opportunity; vtiger's default).
    pub potential: Option<Fields>,
    /// Owner of every created record (user or group name); default: the lead's owner.
    pub assigned_to: Option<String>,
    /// Which created record takes over the lead's many-to-many links (vtiger "transfer related records to").
    pub transfer_to: TransferTo,
}

/// Which created record takes over a converted lead's links (falls back to the other one).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TransferTo {
    /// The contact (vtiger's default).
    #[default]
    Contact,
    /// The organization.
    Account,
}

impl LeadConversion {
    /// Organization and contact, no opportunity (vtiger's pre-checked boxes).
    pub fn new() -> Self {
        LeadConversion { account: Some(Fields::new()), contact: Some(Fields::new()), ..LeadConversion::default() }
    }
    /// Also creates an opportunity with these fields (builder style).
    pub fn with_potential(mut self, fields: Fields) -> Self {
        self.potential = Some(fields);
        self
    }
}

/// The records a conversion or a new-customer call produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Converted {
    /// The organization (created or reused).
    pub account: Option<RecordId>,
    /// True when an existing organization with the same name was reused.
    pub account_reused: bool,
    /// The contact.
    pub contact: Option<RecordId>,
    /// The opportunity.
    pub potential: Option<RecordId>,
}

impl Crm {
    /// The lead-conversion mapping in force (vtiger's default until changed).
    pub fn lead_mapping(&self) -> Result<LeadMapping> {
        match self.store.setting(LEAD_MAPPING)? {
            Some(j) => serde_json::from_str(&j).map_err(|e| Error::invalid(format!("stored lead mapping: {e}"))),
            None => Ok(LeadMapping::default()),
        }
    }

    /// Stores a changed lead-conversion mapping.
    ///
    /// # Errors
    /// `InvalidArgument` for unknown fields or when a locked row is removed or changed.
    pub fn set_lead_mapping(&mut self, mapping: LeadMapping) -> Result<()> {
        self.refresh_schema()?; // see the schema other handles stored
        for row in &mapping.rows {
            self.module("Leads")?.field(&row.lead).ok_or_else(|| Error::invalid(format!("Leads has no field '{}'", row.lead)))?;
            for (m, f) in [("Accounts", &row.account), ("Contacts", &row.contact), ("Potentials", &row.potential)] {
                if let Some(f) = f {
                    let fd = self.module(m)?.field(f).ok_or_else(|| Error::invalid(format!("{m} has no field '{f}'")))?;
                    if !fd.is_writable() {
                        return Err(Error::invalid(format!("{m} field '{f}' is maintained by crm")));
                    }
                }
            }
        }
        for locked in LeadMapping::default().rows.into_iter().filter(|r| !r.editable) {
            if !mapping.rows.contains(&locked) {
                return Err(Error::invalid(format!("the mapping of lead field '{}' is locked", locked.lead)));
            }
        }
        let value = serde_json::to_string(&mapping).map_err(|e| Error::invalid(e.to_string()))?;
        self.commit(&ChangeSet(vec![Change::View(ViewChange::PutSetting { key: LEAD_MAPPING.into(), value })]))
    }

    /// Converts a lead into an organization, a contact and optionally an opportunity, in one transaction.
    ///
    /// # Example
    /// ```
    /// use crm_core::LeadConversion;
    /// use crm_core::{Crm, Fields, NewUser};
    /// # fn main() -> Result<(), crm_core::Error> {
    /// let mut crm = Crm::open(":memory:")?;
    /// crm.add_user(NewUser::new("admin"))?;
    /// crm.set_actor("admin")?;
    /// let lead = crm.create("Leads", Fields::new().with("lastname", "Hendricks").with("company", "Pied Piper"))?;
    /// let deal = Fields::new().with("amount", "48000").with("sales_stage", "Qualification").with("closingdate", "2027-03-31");
    /// let out = crm.convert_lead(lead.id, LeadConversion::new().with_potential(deal))?;
    /// let org = out.account.expect("an organization");
    /// assert_eq!(crm.get(org)?.label, "Pied Piper");
    /// assert!(out.contact.is_some() && out.potential.is_some());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// `NotFound` for an unknown or deleted lead; `Conflict` when it is already converted;
    /// `InvalidArgument` when neither organization nor contact is asked for; `Validation` for the created
    /// records (field names are those of the target module).
    pub fn convert_lead(&mut self, lead: RecordId, conv: LeadConversion) -> Result<Converted> {
        let l = self.load(lead)?;
        if l.module != "Leads" || l.deleted {
            return Err(Error::not_found(format!("lead {lead}")));
        }
        self.check_record(&l, crate::access::Action::Edit)?; // access control: converting changes the lead
        if l.get("converted") == &Value::Bool(true) {
            return Err(Error::Conflict(format!("lead {lead} is already converted")));
        }
        if conv.account.is_none() && conv.contact.is_none() {
            return Err(Error::invalid("choose an organization or a contact to convert the lead into"));
        }
        let owner = match &conv.assigned_to {
            Some(n) => Value::Owner(self.find_owner(n)?.ok_or_else(|| Error::not_found(format!("user or group '{n}'")))?.id()),
            None => l.get("assigned_user_id").clone(),
        };
        let mapping = self.lead_mapping()?;
        let mapped = |pick: fn(&LeadMappingRow) -> &Option<String>, given: &Fields| {
            let mut f = Fields::new();
            for row in &mapping.rows {
                if let Some(target) = pick(row) {
                    let v = l.get(&row.lead);
                    if !v.is_empty() && !f.contains(target) {
                        f.set(target.clone(), v.clone());
                    }
                }
            }
            if !owner.is_empty() {
                f.set("assigned_user_id", owner.clone());
            }
            for (k, v) in given.iter() {
                f.set(k.clone(), v.clone());
            }
            f
        };
        let account = conv.account.as_ref().map(|g| mapped(|r| &r.account, g));
        let contact = conv.contact.as_ref().map(|g| mapped(|r| &r.contact, g));
        let potential = conv.potential.as_ref().map(|g| mapped(|r| &r.potential, g));
        let transfer_to = conv.transfer_to;
        let (out, mut cs) = self.with_pending(|crm| {
            let (out, mut cs) = crm.plan_customer(account, contact, potential, true)?;
            crm.plan_lead_transfer(&l, &out, transfer_to, &mut cs)?;
            Ok((out, cs))
        })?;
        cs.0.extend(self.plan_system_update(&l, "converted", Value::Bool(true))?.0);
        self.commit(&cs)?;
        Ok(out)
    }

    /// Creates an opportunity for an existing organization or contact: the organization becomes
    /// `related_to`; a contact becomes `contact_id` (its organization `related_to`, unless given) and is
    /// linked to the opportunity. One transaction.
    ///
    /// # Errors
    /// `InvalidArgument` when the record is neither an organization nor a contact; `Validation` as
    /// [`Crm::create`].
    pub fn create_opportunity_for(&mut self, customer: RecordId, fields: Fields) -> Result<Record> {
        let c = self.get(customer)?;
        let mut f = Fields::new();
        match c.module.as_str() {
            "Accounts" => f.set("related_to", Value::Ref(customer)),
            "Contacts" => {
                f.set("contact_id", Value::Ref(customer));
                if !c.get("account_id").is_empty() {
                    f.set("related_to", c.get("account_id").clone());
                }
            }
            m => {
                return Err(Error::invalid(format!("opportunities are created for organizations or contacts, not {m}")));
            }
        }
        for (k, v) in fields {
            f.set(k, v);
        }
        let (pot, mut cs) = self.plan_insert("Potentials", f, Mode::Create, "CRM")?;
        if c.module == "Contacts" {
            let (_, link) = self.with_pending(|crm| {
                crm.pending.insert(pot.id, pot.clone());
                crm.plan_link(pot.id, customer, LinkInfo::default())
            })?;
            cs.0.extend(link.0);
        }
        self.commit(&cs)?;
        Ok(pot)
    }

    /// Creates a new customer — an organization and/or a contact — and the opportunity, in one call and one
    /// transaction. The contact gets the organization, the opportunity both, and the contact is linked to
    /// the opportunity.
    ///
    /// # Errors
    /// `Validation` for any of the records (nothing is stored).
    pub fn create_for_new_customer(&mut self, account: Option<Fields>, contact: Option<Fields>, opportunity: Fields) -> Result<Converted> {
        let (out, cs) = self.with_pending(|crm| crm.plan_customer(account, contact, Some(opportunity), false))?;
        self.commit(&cs)?;
        Ok(out)
    }

    /// Moves what hung on the lead to the created records: its many-to-many links (documents, products,
    /// ...) go to the transfer target; its activities get the opportunity (else the organization) as
    /// `parent_id` and the contact as `contact_id` when they had none. Its comments (with their threads,
    /// authors and times) move to the transfer target too; the lead itself is kept.
    fn plan_lead_transfer(&mut self, lead: &Record, out: &Converted, to: TransferTo, cs: &mut ChangeSet) -> Result<()> {
        let target = match to {
            TransferTo::Contact => out.contact.or(out.account),
            TransferTo::Account => out.account.or(out.contact),
        };
        if let Some(target) = target {
            if !self.store.comments(lead.id)?.is_empty() {
                cs.push(RelationChange::MoveComments { from: lead.id, to: target });
            }
            for l in self.store.relations(lead.id, None, 0, None)? {
                let other = self.load(l.related)?;
                cs.push(RelationChange::Unlink { record: lead.id, related: l.related });
                self.log_link(cs, lead, &other, ChangeKind::Unlinked);
                if other.deleted || target == l.related {
                    continue;
                }
                let info = LinkInfo { role: l.role.filter(|_| other.module == "Contacts"), quantity: l.quantity, price: l.price };
                cs.0.extend(self.plan_link(target, l.related, info)?.1.0);
            }
        }
        let parent = out.potential.or(out.account);
        let acts = self.find(crate::query::Query::new("Calendar").filter(crate::query::Condition::eq("parent_id", Value::Ref(lead.id))))?;
        for a in acts {
            let mut f = Fields::new().with("parent_id", parent.map_or(Value::Null, Value::Ref));
            if let (Some(c), true) = (out.contact, a.get("contact_id").is_empty()) {
                f.set("contact_id", Value::Ref(c));
            }
            if let Some((_, c)) = self.plan_update(&a, None, f)? {
                cs.0.extend(c.0);
            }
        }
        Ok(())
    }

    /// Runs a planning step with the pending-record overlay, emptying it afterwards whatever happens.
    fn with_pending<T>(&mut self, f: impl FnOnce(&mut Crm) -> Result<T>) -> Result<T> {
        let out = f(self);
        self.pending.clear();
        out
    }

    /// Plans organization (reused by name when it exists), contact and opportunity, wired together.
    fn plan_customer(
        &mut self,
        account: Option<Fields>,
        contact: Option<Fields>,
        potential: Option<Fields>,
        from_lead: bool,
    ) -> Result<(Converted, ChangeSet)> {
        let mut out = Converted::default();
        let mut cs = ChangeSet::new();
        if let Some(a) = account {
            let name = a.get("accountname").and_then(Value::to_text).unwrap_or_default();
            let existing = if name.trim().is_empty() { None } else { self.store.find_by_label("Accounts", &name)?.first().copied() };
            match existing {
                Some(id) => {
                    out.account = Some(id);
                    out.account_reused = true;
                }
                None => out.account = Some(self.plan_pending("Accounts", a, from_lead, &mut cs)?),
            }
        }
        if let Some(mut c) = contact {
            if let (Some(a), false) = (out.account, c.contains("account_id")) {
                c.set("account_id", Value::Ref(a));
            }
            out.contact = Some(self.plan_pending("Contacts", c, from_lead, &mut cs)?);
        }
        if let Some(mut p) = potential {
            if let (Some(a), false) = (out.account, p.contains("related_to")) {
                p.set("related_to", Value::Ref(a));
            }
            if let (Some(c), false) = (out.contact, p.contains("contact_id")) {
                p.set("contact_id", Value::Ref(c));
            }
            let pid = self.plan_pending("Potentials", p, from_lead, &mut cs)?;
            out.potential = Some(pid);
            if let Some(c) = out.contact {
                cs.0.extend(self.plan_link(pid, c, LinkInfo::default())?.1.0);
            }
        }
        Ok((out, cs))
    }

    /// Plans one insert, marks it converted from a lead when asked, and adds it to the overlay.
    fn plan_pending(&mut self, module: &str, fields: Fields, from_lead: bool, cs: &mut ChangeSet) -> Result<RecordId> {
        let (mut record, mut c) = self.plan_insert(module, fields, Mode::Create, "CRM")?;
        if from_lead {
            record.values.insert("isconvertedfromlead".into(), Value::Bool(true));
            for ch in &mut c.0 {
                match ch {
                    Change::Record(RecordChange::Insert(r)) if r.id == record.id => *r = record.clone(),
                    Change::Record(RecordChange::History(h)) if h.record == record.id && h.kind == ChangeKind::Created => {
                        h.changes = history::diff(&Default::default(), &record.values, &UNLOGGED);
                    }
                    _ => {}
                }
            }
        }
        self.pending.insert(record.id, record.clone());
        cs.0.extend(c.0);
        Ok(record.id)
    }

    /// A change to a system-maintained field (not settable through [`Crm::update`]), with its history.
    fn plan_system_update(&self, current: &Record, field: &str, value: Value) -> Result<ChangeSet> {
        let now = self.now();
        let mut values = current.values.clone();
        values.insert(field.to_string(), value);
        let m = self.module(&current.module)?;
        if m.field("modifiedtime").is_some() {
            values.insert("modifiedtime".into(), Value::DateTime(now));
        }
        if let (Some(u), Some(_)) = (&self.actor, m.field("modifiedby")) {
            values.insert("modifiedby".into(), Value::Owner(u.id));
        }
        let changes = history::diff(&current.values, &values, &UNLOGGED);
        let record = Record { version: current.version + 1, values, ..current.clone() };
        Ok(ChangeSet(vec![
            Change::Record(RecordChange::Update { record, expected_version: current.version }),
            Change::Record(RecordChange::History(HistoryEntry {
                id: 0,
                record: current.id,
                module: current.module.clone(),
                actor: self.actor_name(),
                at: now,
                kind: ChangeKind::Updated,
                related: None,
                changes,
            })),
        ]))
    }
}
