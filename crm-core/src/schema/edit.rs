//! Schema edits: vtiger's layout editor and picklist editor as pure, validated operations.
//!
//! A [`SchemaChange`] is plain data (serialised as JSON with an `op` tag, which is also how the change log
//! stores it). [`apply`] checks it against a [`Schema`] and returns the next schema (version + 1) or a typed
//! [`SchemaError`]; it never touches storage. The service (`Crm::apply_schema_change` and its helpers)
//! stores the result, the change log entry and the record rewrites in one transaction.
//!
//! Rules, following vtiger 7/8 (`modules/Settings/LayoutEditor`, `modules/Settings/Picklist`):
//! * standard fields cannot be deleted; the module's compulsory fields cannot be made optional or hidden;
//!   fields that are always shown (vtiger presence 0) cannot be hidden; system-maintained fields cannot be
//!   made mandatory or offered in quick create;
//! * auto-number, system-maintained, owner and reference fields, and dates with uitype 23 (closingdate,
//!   due dates) take no default; a default must be a valid value of the field;
//! * labels are unique within a module (ignoring case); internal names of custom fields are generated as
//!   `cf_<n>` (n = the schema version the change creates, so a name is never handed out twice) or given by
//!   the caller: lower-case identifiers of at most 50 characters that clash with no field of the module and
//!   no reserved word (`id`, `module`, `label`, `deleted`, `version`, `crmid`);
//! * only empty custom blocks can be deleted;
//! * non-editable picklist values (Closed Won, Closed Lost) cannot be renamed or deleted, and their stage
//!   kind cannot change;
//! * removing the last value of a picklist used by a mandatory field is refused, and so is deleting values
//!   of such a picklist without a replacement;
//! * picklist dependency cycles are refused, and a field has at most one controlling field.
//!
//! Limits and differences from vtiger, and why:
//! * Text fields take a length of 1..=255 (vtiger's `LE`), defaulting to 255.
//! * Decimal fields take a precision (total digits) of 1..=28 and a scale of 0..=5: vtiger allows
//!   length + decimals ≤ 64, but values here are exact `rust_decimal`s, which hold 28 digits. Currency
//!   defaults to 25,2 and may use a scale of 0..=5; percent is fixed to vtiger's NUMERIC(5,2).
//! * Date-time fields can be added (vtiger's layout editor cannot).
//! * Type changes: only lossless ones are accepted — between one-line text, e-mail, phone, URL and text
//!   area, a longer maximum length, or a larger decimal precision. Shortening a length, changing a scale
//!   or any other type change is refused with [`SchemaError::LossyChange`], because stored values could
//!   be cut or mis-read. vtiger offers no type change at all.
//! * A hidden field keeps its data and stays writable through the API; a mandatory field cannot be
//!   hidden (and a hidden field cannot be made mandatory), so no record ever needs a value nobody sees.
//! * Deleting values: vtiger always asks for a replacement; here it is optional for picklists no mandatory
//!   field uses (records then lose the value), and required otherwise.
//! * Dependencies are removed from a picklist value when it is deleted; a source value whose allowed list
//!   becomes empty stops limiting the target.
//! * A picklist value may not contain a comma (vtiger accepts one): saved filters and workflow conditions
//!   keep lists of values comma-separated, as vtiger does, so a value with a comma could not be told from
//!   two values, and renaming it there (or back) would go wrong; the CSV import reads `a, b` in a
//!   multi-select cell as two values too.
//!
//! Where things are: the edit as data in `change`, its refusals in `error`, the change log's entry and
//! [`prepare`] in `change_log`; [`apply`] (here) hands each edit to `fields`, `blocks`, `picklists` (values,
//! roles, stage metadata) or `dependencies`, all checking names through `names`; `rewrites` follows a
//! renamed or deleted picklist value into defaults and dependencies, and lists what the service must
//! rewrite in records, filters and workflows ([`value_rewrites`]).

mod blocks;
mod change;
mod change_log;
mod dependencies;
mod error;
mod fields;
mod names;
mod picklists;
mod rewrites;
#[cfg(test)]
mod tests;

pub use change::{FieldUpdate, NewField, SchemaChange};
pub use change_log::{SchemaChangeEntry, prepare};
pub use error::SchemaError;
pub(crate) use fields::base_copy_of;
pub use names::{MAX_LABEL_LEN, RESERVED_NAMES};
pub use rewrites::{ValueRewrite, picklist_users, replace_in_value_list, value_rewrites};

use crate::schema::Schema;
use names::module_mut;

type R<T> = std::result::Result<T, SchemaError>;

/// Checks `change` against `schema` and returns the next schema (its version one higher).
///
/// # Example
/// ```
/// use crm_core::schema::edit::{self, NewField, SchemaChange};
/// use crm_core::{FieldType, Schema};
/// # fn main() -> Result<(), crm_core::SchemaError> {
/// let before = Schema::builtin();
/// let change = SchemaChange::AddField { module: "Opportunities".into(), field: NewField::new("Region", FieldType::Text) };
/// let change = edit::prepare(&before, change)?; // fills in the generated name (`cf_<n>`) and `Potentials`
/// let after = edit::apply(&before, &change)?;
/// assert_eq!(after.version, before.version + 1);
/// assert!(after.module("Potentials").and_then(|m| m.field_by_name_or_label("Region")).is_some());
/// let dup = SchemaChange::AddField { module: "Potentials".into(), field: NewField::new("region", FieldType::Text) };
/// assert_eq!(edit::apply(&after, &edit::prepare(&after, dup)?).unwrap_err().code(), "duplicate_label");
/// # Ok(()) }
/// ```
///
/// # Errors
/// A [`SchemaError`] naming the rule that refuses the change.
pub fn apply(schema: &Schema, change: &SchemaChange) -> R<Schema> {
    let mut s = schema.clone();
    match change {
        SchemaChange::AddField { module, field } => fields::add_field(&mut s, module, field)?,
        SchemaChange::UpdateField { module, field, update } => fields::update_field(&mut s, module, field, update)?,
        SchemaChange::MoveField { module, field, block, position } => fields::move_field(&mut s, module, field, block, *position)?,
        SchemaChange::ReorderFields { module, block, fields } => fields::reorder_fields(&mut s, module, block, fields)?,
        SchemaChange::DeleteField { module, field } => fields::delete_field(&mut s, module, field)?,
        SchemaChange::AddBlock { module, name, label } => blocks::add_block(&mut s, module, name.as_deref(), label)?,
        SchemaChange::RenameBlock { module, block, label } => blocks::rename_block(&mut s, module, block, label)?,
        SchemaChange::ReorderBlocks { module, blocks } => blocks::reorder_blocks(&mut s, module, blocks)?,
        SchemaChange::DeleteBlock { module, block } => blocks::delete_block(&mut s, module, block)?,
        SchemaChange::AddPicklistValues { module, field, values } => picklists::add_values(&mut s, module, field, values)?,
        SchemaChange::ReorderPicklist { module, field, values } => picklists::reorder(&mut s, module, field, values)?,
        SchemaChange::RenamePicklistValue { module, field, from, to } => picklists::rename_value(&mut s, module, field, from, to)?,
        SchemaChange::DeletePicklistValues { module, field, values, replacement } => {
            picklists::delete_values(&mut s, module, field, values, replacement.as_deref())?
        }
        SchemaChange::SetPicklistValueRoles { module, field, value, roles } => {
            picklists::set_value_roles(&mut s, module, field, value, roles)?
        }
        SchemaChange::SetPicklistDependency { module, source, target, mapping } => {
            dependencies::set_dependency(&mut s, module, source, target, mapping)?
        }
        SchemaChange::SetStageMeta { value, kind, probability } => picklists::set_stage_meta(&mut s, value, *kind, *probability)?,
        // ----- declared indexes -----
        SchemaChange::AddIndex { module, fields, name } => {
            let n = format!("ix_{}", s.version + 1);
            super::index::add(module_mut(&mut s, module)?, fields, name.as_deref().unwrap_or(&n))?
        }
        SchemaChange::DropIndex { module, fields } => super::index::drop(module_mut(&mut s, module)?, fields)?,
        // ----- duplicate-prevention rules -----
        SchemaChange::AddDuplicateRule { module, fields, name } => {
            let n = format!("dr_{}", s.version + 1);
            crate::dedupe::rules::add(module_mut(&mut s, module)?, fields, name.as_deref().unwrap_or(&n))?
        }
        SchemaChange::DropDuplicateRule { module, fields } => crate::dedupe::rules::drop(module_mut(&mut s, module)?, fields)?,
    }
    s.version = schema.version + 1;
    Ok(s)
}
