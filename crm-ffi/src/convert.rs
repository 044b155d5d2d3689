//! Lead conversion and creating opportunities for customers.
//!
//! Conversion results come back in crm-core's wire shape ([`crm_core::wire::Conversion`], as Python
//! returns them): `{"Accounts": 12, "Contacts": 13, "Potentials": 14, "account_reused": false}` (`null` for
//! a record that was not created).

use crate::args::{Out, arg_json, arg_opt_str, arg_str, fields_from_json, parse_json};
use crate::boundary::{self, FfiResult};
use crate::records::record_json;
use crate::status::crm_status;
use crate::store::{crm_store, lock_store};
use crm_core::wire::{Conversion, ConversionSpec};
use crm_core::{Converted, LeadConversion, LeadMapping, RecordId};
use std::ffi::c_char;

fn converted_json(c: &Converted) -> Conversion {
    Conversion::from(c)
}

/// Parses the conversion options of `crm_lead_convert` (crm-core's [`crm_core::wire::ConversionSpec`]).
pub fn conversion_from_json(text: &str) -> FfiResult<LeadConversion> {
    let spec: ConversionSpec = parse_json(text, "conversion_json")?;
    Ok(spec.into_conversion()?)
}

/// The lead-conversion field mapping as JSON into `*out_json` (required, owned by the caller): `{"rows":
/// [{"lead": "company", "account": "accountname", "contact": null, "potential": "potentialname",
/// "editable": false}, ...]}` (vtiger's default until changed).
///
/// Errors: `CRM_STATUS_NULL_POINTER`, storage errors. Thread-safety: serialised with other calls.
///
/// # Safety
/// `store` is NULL or a live handle; `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_lead_mapping_get(store: *const crm_store, out_json: *mut *mut c_char) -> crm_status {
    boundary::run(|| {
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let m = unsafe { lock_store(store) }?.lead_mapping()?;
        out.set_json(&m)
    })
}

/// Stores the lead-conversion field mapping (`mapping_json` as `crm_lead_mapping_get` returns it). Fields
/// are checked against the schema; vtiger's locked rows must stay.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_INVALID_JSON`, `_INVALID_ARGUMENT` (unknown
/// field, incompatible types, locked row changed), storage errors. Thread-safety: serialised.
///
/// # Safety
/// `store` is NULL or a live handle; `mapping_json` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_lead_mapping_set(store: *mut crm_store, mapping_json: *const c_char) -> crm_status {
    boundary::run(|| {
        let m: LeadMapping = unsafe { arg_json(mapping_json, "mapping_json") }?;
        Ok(unsafe { lock_store(store) }?.set_lead_mapping(m)?)
    })
}

/// Converts a lead into an organization, a contact and optionally an opportunity, in one transaction.
/// `conversion_json` (NULL: `{}`) is `{"account": {...}|true|false, "contact": {...}|true|false,
/// "potential": {...}|true|false, "assigned_to": "jdoe", "transfer_to": "contact"|"account"}`: an object
/// creates the record with those fields overriding the mapped lead values, `true` with mapped values
/// only, `false`/`null` skips it; by default (key absent) organization and contact are created and no
/// opportunity (vtiger's pre-checked boxes). `*out_json` (optional, owned by the caller) receives the ids:
/// `{"Accounts": 12, "Contacts": 13, "Potentials": null, "account_reused": false}`.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_INVALID_JSON`, `_INVALID_ARGUMENT` (neither
/// organization nor contact, bad key), `_NOT_FOUND` (unknown or deleted lead), `_CONFLICT` (already
/// converted), `_VALIDATION` (field names of the target module), storage errors. Thread-safety:
/// serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `conversion_json` NULL or NUL-terminated; `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_lead_convert(
    store: *mut crm_store,
    lead: i64,
    conversion_json: *const c_char,
    out_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let conv = match unsafe { arg_opt_str(conversion_json, "conversion_json") }? {
            Some(t) => conversion_from_json(t)?,
            None => LeadConversion::new(),
        };
        let out = unsafe { Out::optional(out_json) };
        let c = unsafe { lock_store(store) }?.convert_lead(RecordId(lead), conv)?;
        out.set_json(&converted_json(&c))
    })
}

/// Creates an opportunity for an existing organization or contact: the organization becomes
/// `related_to`; a contact becomes `contact_id` (its organization `related_to` unless given) and is
/// linked to the opportunity. `fields_json` holds the opportunity's fields. One transaction. On success,
/// if `out_record_json` is not NULL, it receives the opportunity.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_INVALID_JSON`, `_INVALID_ARGUMENT` (neither an
/// organization nor a contact), `_NOT_FOUND`, `_VALIDATION`, storage errors. Thread-safety: serialised.
///
/// # Safety
/// `store` is NULL or a live handle; `fields_json` NULL or NUL-terminated; `out_record_json` NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_opportunity_create_for(
    store: *mut crm_store,
    customer: i64,
    fields_json: *const c_char,
    out_record_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let fields = unsafe { crate::args::arg_fields(fields_json, "fields_json") }?;
        let out = unsafe { Out::optional(out_record_json) };
        let mut crm = unsafe { lock_store(store) }?;
        let r = crm.create_opportunity_for(RecordId(customer), fields)?;
        out.set_json(&record_json(&crm, &r)?)
    })
}

/// Creates a new customer (an organization from `account_json` and/or a contact from `contact_json`; NULL
/// skips one) and the opportunity from `opportunity_json`, in one transaction: the contact gets the
/// organization, the opportunity both, and the contact is linked to the opportunity; an existing
/// organization with the same name is reused. `*out_json` (optional, owned by the caller) receives the
/// ids as `crm_lead_convert` does.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_INVALID_JSON`, `_INVALID_ARGUMENT`,
/// `_VALIDATION` (any record; nothing is stored), storage errors. Thread-safety: serialised.
///
/// # Safety
/// `store` is NULL or a live handle; the JSON arguments NULL or NUL-terminated; `out_json` NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_opportunity_create_for_new_customer(
    store: *mut crm_store,
    account_json: *const c_char,
    contact_json: *const c_char,
    opportunity_json: *const c_char,
    out_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let account = unsafe { arg_opt_str(account_json, "account_json") }?.map(|t| fields_from_json(t, "account_json")).transpose()?;
        let contact = unsafe { arg_opt_str(contact_json, "contact_json") }?.map(|t| fields_from_json(t, "contact_json")).transpose()?;
        let opp = fields_from_json(unsafe { arg_str(opportunity_json, "opportunity_json") }?, "opportunity_json")?;
        let out = unsafe { Out::optional(out_json) };
        let c = unsafe { lock_store(store) }?.create_for_new_customer(account, contact, opp)?;
        out.set_json(&converted_json(&c))
    })
}
