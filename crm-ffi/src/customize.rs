//! Schema customization: fields, blocks, picklists, roles, dependencies, stage metadata, the change log.
//!
//! Every edit is one crm-core `SchemaChange`, checked and stored in one transaction with everything it
//! implies (new SQLite column, rewritten records for a renamed or deleted picklist value, change-log entry).
//! [`crm_schema_apply`] takes any change as JSON (`{"op": "add_field", ...}`, crm-core's serde form); the
//! other functions are shortcuts for one kind each. A refused edit returns `CRM_STATUS_SCHEMA` and changes
//! nothing. Edits return the stored change-log entry: `{"version": 5, "actor": "admin", "at":
//! "2027-01-05T10:00:00", "change": {"op": ..., ...}}`.

use crate::args::{Out, arg_json, arg_opt_str, arg_str};
use crate::boundary::{self, FfiError, FfiResult};
use crate::status::crm_status;
use crate::store::{crm_store, lock_store};
use crm_core::rust_decimal::Decimal;
use crm_core::{FieldUpdate, NewField, SchemaChange, StageKind};
use std::collections::BTreeMap;
use std::ffi::c_char;

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// Applies any schema change given as JSON, in crm-core's form, tagged by `"op"`: `add_field` (`module`,
/// `field` as for `crm_field_add`), `update_field` (`module`, `field`, `update`), `move_field` (`module`,
/// `field`, `block`, `position`?), `reorder_fields` (`module`, `block`, `fields`), `delete_field`,
/// `add_block` (`module`, `label`, `name`?), `rename_block`, `reorder_blocks`, `delete_block`,
/// `add_picklist_values` (`module`, `field`, `values`), `reorder_picklist`, `rename_picklist_value` (`from`,
/// `to`), `delete_picklist_values` (`values`, `replacement`?), `set_picklist_value_roles` (`value`,
/// `roles`), `set_picklist_dependency` (`source`, `target`, `mapping` {source value: [target values]}),
/// `set_stage_meta` (`value`, `kind` "open"/"won"/"lost", `probability` "25"). On success, if
/// `out_entry_json` is not NULL, it receives the change-log entry (owned by the caller, free with
/// `crm_string_free`).
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_INVALID_JSON`, `_INVALID_ARGUMENT` (unknown op or
/// wrong shape), `_NOT_FOUND` (unknown module), `_SCHEMA` (edit refused), `_CONFLICT`, storage errors.
/// Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `change_json` NULL or NUL-terminated; `out_entry_json` NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_schema_apply(
    store: *mut crm_store,
    change_json: *const c_char,
    out_entry_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let change: SchemaChange = unsafe { arg_json(change_json, "change_json") }?;
        let out = unsafe { Out::optional(out_entry_json) };
        let entry = unsafe { lock_store(store) }?.apply_schema_change(change)?;
        out.set_json(&entry)
    })
}

/// The schema change log, oldest first, as a JSON array of entries into `*out_json` (required, owned by
/// the caller): `[{"version": 2, "actor": "admin", "at": "...", "change": {"op": "add_field", ...}}]`.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, storage errors. Thread-safety: serialised with other calls.
///
/// # Safety
/// `store` is NULL or a live handle; `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_schema_changes(store: *const crm_store, out_json: *mut *mut c_char) -> crm_status {
    boundary::run(|| {
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let entries = unsafe { lock_store(store) }?.schema_changes()?;
        out.set_json(&entries)
    })
}

/// One page of the schema change log, oldest first, in `crm_schema_changes`' form into `*out_json`
/// (required, owned by the caller): at most `limit` changes whose version is above `after` (keyset paging:
/// a negative `after` for the first page, then the last change's `version`). An empty array is the end.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_ARGUMENT` (`limit` 0 or above `MAX_LOG_PAGE`, 10 000),
/// storage errors. Thread-safety: serialised with other calls.
///
/// # Safety
/// `store` is NULL or a live handle; `out_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_schema_changes_page(
    store: *const crm_store,
    after: i64,
    limit: u64,
    out_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let after = u64::try_from(after).ok();
        let entries = unsafe { lock_store(store) }?.schema_changes_page(after, limit)?;
        out.set_json(&entries)
    })
}

/// Reloads the schema when another handle of the same database changed it; `*out_reloaded` (optional)
/// tells whether it did. Writes refresh by themselves; this is for reads after another handle's edit.
///
/// Errors: `CRM_STATUS_NULL_POINTER`, storage errors. Thread-safety: serialised with other calls.
///
/// # Safety
/// `store` is NULL or a live handle; `out_reloaded` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_schema_refresh(store: *mut crm_store, out_reloaded: *mut bool) -> crm_status {
    boundary::run(|| {
        let out = unsafe { Out::optional(out_reloaded) };
        let reloaded = unsafe { lock_store(store) }?.refresh_schema()?;
        out.set(reloaded);
        Ok(())
    })
}

/// Adds a custom field to `module`. `field_json`: `{"label": "Region", "type": "picklist", "values":
/// ["EU", "US"], "block": "LBL_CUSTOM_INFORMATION", "mandatory": false, "quick_create": false, "hidden":
/// false, "default": "EU", "max_length": 100, "precision": 10, "scale": 2, "mass_editable": true, "name":
/// "cf_region"}` (only `label` and `type` are required; the name is generated as `cf_<n>` when absent).
/// On success, if `out_field_json` is not NULL, it receives the new field (owned by the caller).
///
/// Errors: as `crm_schema_apply`. Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `module`/`field_json` NULL or NUL-terminated; `out_field_json` NULL
/// or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_field_add(
    store: *mut crm_store,
    module: *const c_char,
    field_json: *const c_char,
    out_field_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let module = unsafe { arg_str(module, "module") }?;
        let field: NewField = unsafe { arg_json(field_json, "field_json") }?;
        let out = unsafe { Out::optional(out_field_json) };
        let f = unsafe { lock_store(store) }?.add_field(module, field)?;
        out.set_json(&f)
    })
}

/// Changes a field (name or label): `update_json` is `{"label": .., "mandatory": .., "quick_create": ..,
/// "quick_create_sequence": .., "presence": "shown"|"hidden", "default": .., "clear_default": true,
/// "mass_editable": .., "type": .., "max_length": .., "precision": ..}`, every key optional. On success,
/// if `out_field_json` is not NULL, it receives the field as changed (owned by the caller).
///
/// Errors: as `crm_schema_apply`. Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `module`, `field`, `update_json` NULL or NUL-terminated;
/// `out_field_json` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_field_update(
    store: *mut crm_store,
    module: *const c_char,
    field: *const c_char,
    update_json: *const c_char,
    out_field_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let module = unsafe { arg_str(module, "module") }?;
        let field = unsafe { arg_str(field, "field") }?;
        let update: FieldUpdate = unsafe { arg_json(update_json, "update_json") }?;
        let out = unsafe { Out::optional(out_field_json) };
        let f = unsafe { lock_store(store) }?.update_field(module, field, update)?;
        out.set_json(&f)
    })
}

/// Moves a field to a block (name or label) at a 1-based `position` (0 = at the end).
///
/// Errors: as `crm_schema_apply`. Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `module`, `field`, `block` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_field_move(
    store: *mut crm_store,
    module: *const c_char,
    field: *const c_char,
    block: *const c_char,
    position: u32,
) -> crm_status {
    boundary::run(|| {
        let module = unsafe { arg_str(module, "module") }?;
        let field = unsafe { arg_str(field, "field") }?;
        let block = unsafe { arg_str(block, "block") }?;
        let pos = (position > 0).then_some(position);
        unsafe { lock_store(store) }?.move_field(module, field, block, pos)?;
        Ok(())
    })
}

/// Reorders the fields of a block: `fields_json` is a JSON array of field names or labels, placed first in
/// that order; the others follow as they were.
///
/// Errors: as `crm_schema_apply`. Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `module`, `block`, `fields_json` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_fields_reorder(
    store: *mut crm_store,
    module: *const c_char,
    block: *const c_char,
    fields_json: *const c_char,
) -> crm_status {
    boundary::run(|| {
        let module = unsafe { arg_str(module, "module") }?;
        let block = unsafe { arg_str(block, "block") }?;
        let fields: Vec<String> = unsafe { arg_json(fields_json, "fields_json") }?;
        unsafe { lock_store(store) }?.reorder_fields(module, block, &strs(&fields))?;
        Ok(())
    })
}

/// Deletes a custom field: its values are cleared on every record; its change log stays readable. A
/// standard field, or one still used by a dependency, filter or workflow, is refused (`CRM_STATUS_SCHEMA`).
///
/// Errors: as `crm_schema_apply`. Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `module`, `field` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_field_delete(store: *mut crm_store, module: *const c_char, field: *const c_char) -> crm_status {
    boundary::run(|| {
        let module = unsafe { arg_str(module, "module") }?;
        let field = unsafe { arg_str(field, "field") }?;
        unsafe { lock_store(store) }?.delete_field(module, field)?;
        Ok(())
    })
}

/// Adds a custom block with `label` at the end of the module's layout. On success, if `out_block_json` is
/// not NULL, it receives the block (`{"name": "blk_1", "label": .., ...}`, owned by the caller).
///
/// Errors: as `crm_schema_apply`. Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `module`, `label` NULL or NUL-terminated; `out_block_json` NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_block_add(
    store: *mut crm_store,
    module: *const c_char,
    label: *const c_char,
    out_block_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let module = unsafe { arg_str(module, "module") }?;
        let label = unsafe { arg_str(label, "label") }?;
        let out = unsafe { Out::optional(out_block_json) };
        let b = unsafe { lock_store(store) }?.add_block(module, label)?;
        out.set_json(&b)
    })
}

/// Changes a block's label (block by name or label).
///
/// Errors: as `crm_schema_apply`. Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `module`, `block`, `label` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_block_rename(
    store: *mut crm_store,
    module: *const c_char,
    block: *const c_char,
    label: *const c_char,
) -> crm_status {
    boundary::run(|| {
        let module = unsafe { arg_str(module, "module") }?;
        let block = unsafe { arg_str(block, "block") }?;
        let label = unsafe { arg_str(label, "label") }?;
        unsafe { lock_store(store) }?.rename_block(module, block, label)?;
        Ok(())
    })
}

/// Reorders blocks: `blocks_json` is a JSON array of block names or labels, placed first in that order.
///
/// Errors: as `crm_schema_apply`. Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `module`, `blocks_json` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_blocks_reorder(store: *mut crm_store, module: *const c_char, blocks_json: *const c_char) -> crm_status {
    boundary::run(|| {
        let module = unsafe { arg_str(module, "module") }?;
        let blocks: Vec<String> = unsafe { arg_json(blocks_json, "blocks_json") }?;
        unsafe { lock_store(store) }?.reorder_blocks(module, &strs(&blocks))?;
        Ok(())
    })
}

/// Deletes an empty custom block.
///
/// Errors: as `crm_schema_apply`. Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `module`, `block` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_block_delete(store: *mut crm_store, module: *const c_char, block: *const c_char) -> crm_status {
    boundary::run(|| {
        let module = unsafe { arg_str(module, "module") }?;
        let block = unsafe { arg_str(block, "block") }?;
        unsafe { lock_store(store) }?.delete_block(module, block)?;
        Ok(())
    })
}

/// The values of a picklist field that a user with `role` may choose (`role` NULL: every value), in
/// order, as a JSON array of strings into `*out_json` (required, owned by the caller).
///
/// Errors: `CRM_STATUS_NULL_POINTER`, `_INVALID_UTF8`, `_NOT_FOUND` (module or field), `_SCHEMA` (not a
/// picklist). Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `module`, `field`, `role` NULL or NUL-terminated; `out_json` NULL
/// or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_picklist_values(
    store: *const crm_store,
    module: *const c_char,
    field: *const c_char,
    role: *const c_char,
    out_json: *mut *mut c_char,
) -> crm_status {
    boundary::run(|| {
        let module = unsafe { arg_str(module, "module") }?;
        let field = unsafe { arg_str(field, "field") }?;
        let role = unsafe { arg_opt_str(role, "role") }?;
        let out = unsafe { Out::new(out_json, "out_json") }?;
        let values = unsafe { lock_store(store) }?.picklist_values(module, field, role)?;
        out.set_json(&values)
    })
}

/// Appends values (`values_json`: JSON array of strings) to a picklist field's picklist (shared picklists
/// change for every module using them).
///
/// Errors: as `crm_schema_apply`. Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `module`, `field`, `values_json` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_picklist_add(
    store: *mut crm_store,
    module: *const c_char,
    field: *const c_char,
    values_json: *const c_char,
) -> crm_status {
    boundary::run(|| {
        let module = unsafe { arg_str(module, "module") }?;
        let field = unsafe { arg_str(field, "field") }?;
        let values: Vec<String> = unsafe { arg_json(values_json, "values_json") }?;
        unsafe { lock_store(store) }?.add_picklist_values(module, field, &strs(&values))?;
        Ok(())
    })
}

/// Reorders a picklist: the values of `values_json` (JSON array) first, in that order, the others after.
///
/// Errors: as `crm_schema_apply`. Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// As `crm_picklist_add`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_picklist_reorder(
    store: *mut crm_store,
    module: *const c_char,
    field: *const c_char,
    values_json: *const c_char,
) -> crm_status {
    boundary::run(|| {
        let module = unsafe { arg_str(module, "module") }?;
        let field = unsafe { arg_str(field, "field") }?;
        let values: Vec<String> = unsafe { arg_json(values_json, "values_json") }?;
        unsafe { lock_store(store) }?.reorder_picklist(module, field, &strs(&values))?;
        Ok(())
    })
}

/// Renames a picklist value; every record (live and in the recycle bin), default, dependency, filter and
/// workflow condition holding it is rewritten in the same transaction. "Closed Won"/"Closed Lost" are not
/// editable.
///
/// Errors: as `crm_schema_apply`. Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `module`, `field`, `from`, `to` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_picklist_rename(
    store: *mut crm_store,
    module: *const c_char,
    field: *const c_char,
    from: *const c_char,
    to: *const c_char,
) -> crm_status {
    boundary::run(|| {
        let module = unsafe { arg_str(module, "module") }?;
        let field = unsafe { arg_str(field, "field") }?;
        let from = unsafe { arg_str(from, "from") }?;
        let to = unsafe { arg_str(to, "to") }?;
        unsafe { lock_store(store) }?.rename_picklist_value(module, field, from, to)?;
        Ok(())
    })
}

/// Deletes picklist values (`values_json`: JSON array); records holding them move to `replacement` (NULL:
/// they are emptied, refused for a picklist a mandatory field uses) in the same transaction.
///
/// Errors: as `crm_schema_apply`. Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `module`, `field`, `values_json`, `replacement` NULL or
/// NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_picklist_delete(
    store: *mut crm_store,
    module: *const c_char,
    field: *const c_char,
    values_json: *const c_char,
    replacement: *const c_char,
) -> crm_status {
    boundary::run(|| {
        let module = unsafe { arg_str(module, "module") }?;
        let field = unsafe { arg_str(field, "field") }?;
        let values: Vec<String> = unsafe { arg_json(values_json, "values_json") }?;
        let replacement = unsafe { arg_opt_str(replacement, "replacement") }?;
        unsafe { lock_store(store) }?.delete_picklist_values(module, field, &strs(&values), replacement)?;
        Ok(())
    })
}

/// Limits a picklist value to some roles: `roles_json` is a JSON array of role names (`[]`: every role).
/// Records already holding the value keep it.
///
/// Errors: as `crm_schema_apply`. Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `module`, `field`, `value`, `roles_json` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_picklist_set_roles(
    store: *mut crm_store,
    module: *const c_char,
    field: *const c_char,
    value: *const c_char,
    roles_json: *const c_char,
) -> crm_status {
    boundary::run(|| {
        let module = unsafe { arg_str(module, "module") }?;
        let field = unsafe { arg_str(field, "field") }?;
        let value = unsafe { arg_str(value, "value") }?;
        let roles: Vec<String> = unsafe { arg_json(roles_json, "roles_json") }?;
        unsafe { lock_store(store) }?.set_picklist_value_roles(module, field, value, &strs(&roles))?;
        Ok(())
    })
}

/// Makes picklist field `target` depend on `source`: `mapping_json` is `{"source value": ["allowed
/// target value", ...], ...}`; `{}` removes the dependency.
///
/// Errors: as `crm_schema_apply` (`_SCHEMA` for a cycle or a second controlling field).
/// Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `module`, `source`, `target`, `mapping_json` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_picklist_set_dependency(
    store: *mut crm_store,
    module: *const c_char,
    source: *const c_char,
    target: *const c_char,
    mapping_json: *const c_char,
) -> crm_status {
    boundary::run(|| {
        let module = unsafe { arg_str(module, "module") }?;
        let source = unsafe { arg_str(source, "source") }?;
        let target = unsafe { arg_str(target, "target") }?;
        let mapping: BTreeMap<String, Vec<String>> = unsafe { arg_json(mapping_json, "mapping_json") }?;
        let rows: Vec<(&str, Vec<&str>)> = mapping.iter().map(|(k, v)| (k.as_str(), strs(v))).collect();
        let refs: Vec<(&str, &[&str])> = rows.iter().map(|(k, v)| (*k, v.as_slice())).collect();
        unsafe { lock_store(store) }?.set_picklist_dependency(module, source, target, &refs)?;
        Ok(())
    })
}

/// Sets the kind (`"open"`, `"won"`, `"lost"`) and default probability (exact decimal text, `"25"`) of a
/// sales stage.
///
/// Errors: as `crm_schema_apply`, plus `CRM_STATUS_INVALID_ARGUMENT` for an unknown kind or a probability
/// that is not a decimal. Thread-safety: serialised with other calls on the store.
///
/// # Safety
/// `store` is NULL or a live handle; `stage`, `kind`, `probability` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn crm_stage_meta_set(
    store: *mut crm_store,
    stage: *const c_char,
    kind: *const c_char,
    probability: *const c_char,
) -> crm_status {
    boundary::run(|| {
        let stage = unsafe { arg_str(stage, "stage") }?;
        let kind = stage_kind(unsafe { arg_str(kind, "kind") }?)?;
        let p = unsafe { arg_str(probability, "probability") }?;
        let p: Decimal = p.trim().parse().map_err(|_| FfiError::invalid(format!("probability '{p}' is not a decimal")))?;
        unsafe { lock_store(store) }?.set_stage_meta(stage, kind, p)?;
        Ok(())
    })
}

/// A stage kind, read by crm-core's parser (the one Python's `set_stage_meta` uses).
fn stage_kind(s: &str) -> FfiResult<StageKind> {
    Ok(s.parse::<StageKind>()?)
}
