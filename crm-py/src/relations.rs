//! Related records of `crm.Crm`: many-to-many links, related lists, comments, activities, quotes / sales
//! orders / invoices from an opportunity, mass actions, and lead conversion.

use crate::convert::{Rows, to_fields, to_id};
use crate::crm::Crm;
use crate::engine::Access;
use crate::json::{from_value, to_py};
use chrono::{DateTime, Utc};
use crm_core::wire::{ConversionSpec, MassReport, PartSpec};
use crm_core::{Comment, Converted, Fields, LinkInfo, RecordId, Relation};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyTuple};
use rust_decimal::Decimal;

/// A many-to-many link, as a dict.
#[derive(IntoPyObject)]
pub struct RelationOut {
    record: i64,
    related: i64,
    module: String,
    role: Option<String>,
    quantity: Option<Decimal>,
    price: Option<Decimal>,
    at: DateTime<Utc>,
}

impl From<Relation> for RelationOut {
    fn from(r: Relation) -> Self {
        RelationOut {
            record: r.record.0,
            related: r.related.0,
            module: r.module,
            role: r.role,
            quantity: r.quantity,
            price: r.price,
            at: r.at.and_utc(),
        }
    }
}

/// A comment, as a dict.
#[derive(IntoPyObject)]
pub struct CommentOut {
    id: i64,
    record: i64,
    parent: Option<i64>,
    author: String,
    at: DateTime<Utc>,
    text: String,
}

impl From<Comment> for CommentOut {
    fn from(c: Comment) -> Self {
        CommentOut { id: c.id, record: c.record.0, parent: c.parent, author: c.author, at: c.at.and_utc(), text: c.text }
    }
}

/// What a mass action did, as a dict in crm-core's wire shape ([`crm_core::wire::MassReport`], as the C API
/// returns it): `{"succeeded": [ids], "failed": [{"id", "code", "message", "errors"}]}`.
fn mass_out(py: Python<'_>, r: MassReport) -> PyResult<Bound<'_, PyAny>> {
    crate::json::to_py(py, &r)
}

/// The records a conversion created, in crm-core's wire shape ([`crm_core::wire::Conversion`], as the C
/// API returns it): `{"Accounts": id, "Contacts": id, "Potentials": id, "account_reused": bool}` (None for
/// a record not created).
fn converted<'py>(py: Python<'py>, c: &Converted) -> PyResult<Bound<'py, PyDict>> {
    Ok(crate::json::to_py(py, &crm_core::wire::Conversion::from(c))?.cast_into::<PyDict>()?)
}

fn ids(v: &Bound<'_, PyAny>) -> PyResult<Vec<RecordId>> {
    let mut out = Vec::new();
    for item in v.try_iter()? {
        out.push(to_id(&item?)?);
    }
    Ok(out)
}

/// `True` → empty fields (create with the mapped values), `False`/`None` → skip, a dict → override fields.
/// Optional fields: None or False for none, True for empty fields, a dict of fields.
fn part(v: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Fields>> {
    Ok(conversion_part(v)?.and_then(PartSpec::into_fields))
}

/// One part of a lead conversion: None takes the default, False skips, True creates from mapped values, a
/// dict creates with these fields.
fn conversion_part(v: Option<&Bound<'_, PyAny>>) -> PyResult<Option<PartSpec>> {
    match v {
        None => Ok(None),
        Some(v) if v.is_none() => Ok(None),
        Some(v) if v.is_instance_of::<PyBool>() => Ok(Some(if v.extract::<bool>()? { PartSpec::Mapped } else { PartSpec::Skip })),
        Some(v) => Ok(Some(PartSpec::With(to_fields(v)?))),
    }
}

#[pymethods]
impl Crm {
    /// Links two records many-to-many (a contact, product, service or document with another record).
    /// Extra details: `role` for a contact, `quantity` and `price` for a product or service. Returns the link.
    #[pyo3(signature = (id, other_id, *, role = None, quantity = None, price = None))]
    fn relate(
        &self,
        py: Python<'_>,
        id: &Bound<'_, PyAny>,
        other_id: &Bound<'_, PyAny>,
        role: Option<String>,
        quantity: Option<Decimal>,
        price: Option<Decimal>,
    ) -> PyResult<RelationOut> {
        let (a, b) = (to_id(id)?, to_id(other_id)?);
        let info = LinkInfo { role, quantity, price };
        self.engine.run(py, Access::Write, move |crm| Ok(crm.link(a, b, info)?.into()))
    }

    /// Removes the link between two records.
    fn unrelate(&self, py: Python<'_>, id: &Bound<'_, PyAny>, other_id: &Bound<'_, PyAny>) -> PyResult<()> {
        let (a, b) = (to_id(id)?, to_id(other_id)?);
        self.engine.run(py, Access::Write, move |crm| Ok(crm.unlink(a, b)?))
    }

    /// The records of `module` related to a record (through a reference field or a many-to-many link),
    /// most recently modified first; all of them, or one page when `page` is given. With `links=True`, a list
    /// of `(record, link)` pairs, `link` the link dict (role, quantity, price) or None.
    #[pyo3(signature = (id, module, *, page = None, page_size = 50, links = false))]
    fn related<'py>(
        &self,
        py: Python<'py>,
        id: &Bound<'py, PyAny>,
        module: String,
        page: Option<u64>,
        page_size: u64,
        links: bool,
    ) -> PyResult<Vec<Bound<'py, PyAny>>> {
        let id = to_id(id)?;
        let (rows, rels) = self.engine.run(py, Access::Read, move |crm| {
            let (p, size) = match page {
                Some(p) => (p, page_size),
                None => (1, u64::from(u32::MAX)),
            };
            let rp = crm.related(id, &module, p, size)?;
            let (records, rels): (Vec<_>, Vec<_>) = rp.items.into_iter().unzip();
            Ok((Rows::new(crm, records)?, rels))
        })?;
        let dicts = rows.into_dicts(py)?;
        if !links {
            return Ok(dicts.into_iter().map(Bound::into_any).collect());
        }
        let mut out = Vec::new();
        for (d, r) in dicts.into_iter().zip(rels) {
            let link = r.map(RelationOut::from).into_pyobject(py)?;
            out.push(PyTuple::new(py, [d.into_any(), link.into_any()])?.into_any());
        }
        Ok(out)
    }

    /// Adds a comment to a record, or with `parent` (a comment id) a reply to that comment; returns it.
    #[pyo3(signature = (id, text, parent = None))]
    fn comment(&self, py: Python<'_>, id: &Bound<'_, PyAny>, text: String, parent: Option<i64>) -> PyResult<CommentOut> {
        let id = to_id(id)?;
        self.engine.run(py, Access::Write, move |crm| {
            let c = match parent {
                Some(p) => {
                    let on = crm.comments(id)?.iter().any(|c| c.id == p);
                    if !on {
                        return Err(crm_core::Error::NotFound(format!("comment {p} on record {}", id.0)).into());
                    }
                    crm.reply(p, &text)?
                }
                None => crm.comment(id, &text)?,
            };
            Ok(c.into())
        })
    }

    /// The comments on a record, newest first (replies name their parent).
    fn comments(&self, py: Python<'_>, id: &Bound<'_, PyAny>) -> PyResult<Vec<CommentOut>> {
        let id = to_id(id)?;
        self.engine.run(py, Access::Read, move |crm| Ok(crm.comments(id)?.into_iter().map(CommentOut::from).collect()))
    }

    /// The activities (Calendar records) of a record: open ones, or done ones with `done=True`.
    #[pyo3(signature = (id, *, done = false))]
    fn activities<'py>(&self, py: Python<'py>, id: &Bound<'py, PyAny>, done: bool) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let id = to_id(id)?;
        self.engine.run(py, Access::Read, move |crm| Ok(Rows::new(crm, crm.activities(id, done)?)?))?.into_dicts(py)
    }

    /// Creates a quote, sales order or invoice (`module` "Quotes", "SalesOrder", "Invoice") for an
    /// opportunity, copying its organization, contact, subject and product/service lines; `fields` win.
    #[pyo3(signature = (opportunity, module, fields = None))]
    fn create_from_opportunity<'py>(
        &self,
        py: Python<'py>,
        opportunity: &Bound<'py, PyAny>,
        module: String,
        fields: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let id = to_id(opportunity)?;
        let fields = part(fields)?.unwrap_or_default();
        self.engine
            .run(py, Access::Write, move |crm| {
                let r = crm.create_from_opportunity(id, &module, fields)?;
                Ok(Rows::new(crm, vec![r])?)
            })?
            .into_dict(py)
    }

    // ----- mass actions -----

    /// Sets the same fields on many records (each saved on its own; failures are reported, not raised).
    fn mass_edit<'py>(&self, py: Python<'py>, ids: &Bound<'py, PyAny>, fields: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let (ids, fields) = (self::ids(ids)?, to_fields(fields)?);
        let r = self.engine.run(py, Access::Write, move |crm| Ok(MassReport::from(&crm.mass_edit(&ids, fields)?)))?;
        mass_out(py, r)
    }

    /// Gives many records to another owner (user or group name).
    fn mass_transfer<'py>(&self, py: Python<'py>, ids: &Bound<'py, PyAny>, owner: String) -> PyResult<Bound<'py, PyAny>> {
        let ids = self::ids(ids)?;
        let r = self.engine.run(py, Access::Write, move |crm| Ok(MassReport::from(&crm.mass_transfer(&ids, &owner)?)))?;
        mass_out(py, r)
    }

    /// Moves many records to the recycle bin.
    fn mass_delete<'py>(&self, py: Python<'py>, ids: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let ids = self::ids(ids)?;
        let r = self.engine.run(py, Access::Write, move |crm| Ok(MassReport::from(&crm.mass_delete(&ids)?)))?;
        mass_out(py, r)
    }

    /// Adds the same comment to many records.
    fn mass_comment<'py>(&self, py: Python<'py>, ids: &Bound<'py, PyAny>, text: String) -> PyResult<Bound<'py, PyAny>> {
        let ids = self::ids(ids)?;
        let r = self.engine.run(py, Access::Write, move |crm| Ok(MassReport::from(&crm.mass_comment(&ids, &text)?)))?;
        mass_out(py, r)
    }

    // ----- lead conversion -----

    /// Converts a lead: `account` / `contact` are True (create from the lead's mapped fields), False (skip)
    /// or a dict of fields that override the mapped ones; `opportunity` is None (skip) or a dict of fields.
    /// `assigned_to` owns the new records (default: the lead's owner); `transfer_to` ("contact" or
    /// "account") takes over the lead's links. Returns `{"Accounts": id, "Contacts": id, "Potentials": id,
    /// "account_reused": bool}` (None for what was not created).
    #[pyo3(signature = (lead_id, *, account = None, contact = None, opportunity = None, assigned_to = None, transfer_to = "contact".to_string()))]
    #[allow(clippy::too_many_arguments)]
    fn convert_lead<'py>(
        &self,
        py: Python<'py>,
        lead_id: &Bound<'py, PyAny>,
        account: Option<&Bound<'py, PyAny>>,
        contact: Option<&Bound<'py, PyAny>>,
        opportunity: Option<&Bound<'py, PyAny>>,
        assigned_to: Option<String>,
        transfer_to: String,
    ) -> PyResult<Bound<'py, PyDict>> {
        let lead = to_id(lead_id)?;
        let spec = ConversionSpec {
            account: conversion_part(account)?,
            contact: conversion_part(contact)?,
            potential: conversion_part(opportunity)?,
            assigned_to,
            transfer_to: Some(transfer_to),
        };
        let conv = spec.into_conversion().map_err(|e| PyErr::from(crate::errors::Failure::Core(e)))?;
        let c = self.engine.run(py, Access::Write, move |crm| Ok(crm.convert_lead(lead, conv)?))?;
        converted(py, &c)
    }

    /// Creates an opportunity for an existing organization or contact (linked to it); returns the record.
    fn create_opportunity_for<'py>(
        &self,
        py: Python<'py>,
        customer: &Bound<'py, PyAny>,
        fields: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let (id, fields) = (to_id(customer)?, to_fields(fields)?);
        self.engine
            .run(py, Access::Write, move |crm| {
                let r = crm.create_opportunity_for(id, fields)?;
                Ok(Rows::new(crm, vec![r])?)
            })?
            .into_dict(py)
    }

    /// Creates an opportunity with a new organization and/or contact in one transaction; returns the ids
    /// like `convert_lead`.
    #[pyo3(signature = (opportunity, *, account = None, contact = None))]
    fn create_for_new_customer<'py>(
        &self,
        py: Python<'py>,
        opportunity: &Bound<'py, PyAny>,
        account: Option<&Bound<'py, PyAny>>,
        contact: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let (opp, account, contact) = (to_fields(opportunity)?, part(account)?, part(contact)?);
        let c = self.engine.run(py, Access::Write, move |crm| Ok(crm.create_for_new_customer(account, contact, opp)?))?;
        converted(py, &c)
    }

    /// The lead-conversion field mapping: `{"rows": [{"lead", "account", "contact", "potential", "editable"}]}`.
    fn lead_mapping<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let m = self.engine.run(py, Access::Read, |crm| Ok(crm.lead_mapping()?))?;
        to_py(py, &m)
    }

    /// Replaces the lead-conversion field mapping (the shape `lead_mapping()` returns).
    fn set_lead_mapping(&self, py: Python<'_>, mapping: &Bound<'_, PyAny>) -> PyResult<()> {
        let j = crate::json::to_json(mapping)?;
        self.engine.run(py, Access::Write, move |crm| Ok(crm.set_lead_mapping(from_value(j, "lead mapping")?)?))
    }
}
