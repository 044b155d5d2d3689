//! # crm-ffi — the C ABI of crm
//!
//! A thin C layer over the [`crm_core::Crm`] facade, for hosts in any language (C, C++, Go via cgo, C#,
//! Swift, ...). The header `include/crm.h` is generated from this crate by cbindgen 0.29.4 and committed;
//! the test `tests/header.rs` fails when it drifts (regenerate with
//! `CRM_UPDATE_HEADER=1 cargo test -p crm-ffi --test header`).
//!
//! ## Conventions (rustls-ffi style)
//! * Every symbol starts with `crm_`; functions on a handle are `crm_<type>_<verb>` and take the handle
//!   first, then inputs, then out-parameters.
//! * Every fallible function returns a [`crm_status`] (fixed numbers, never renumbered). Out-parameters are
//!   written **only on success**. On failure a message (and, for validation failures, a JSON list of
//!   field errors) is kept in a thread-local slot: [`crm_last_error_message`], [`crm_last_error_json`],
//!   [`crm_last_error_code`].
//! * Pointers are checked at the boundary: a NULL argument gives `CRM_STATUS_NULL_POINTER` and does
//!   nothing. Out-parameters that hold the result of a *read* are required; those that return the result
//!   of a *write* (the created record, the new user) are optional and may be NULL.
//! * Input strings are NUL-terminated UTF-8 (`CRM_STATUS_INVALID_UTF8` otherwise). Records, queries and
//!   reports cross as UTF-8 JSON: money and percentages are JSON strings of exact decimals (`"200.00"`),
//!   dates ISO strings (`"2027-03-31"`, date-times `"2027-03-31 10:15:00"` in records). Strings returned
//!   through `char **` are owned by the caller and freed with [`crm_string_free`] — never with `free()`.
//! * No panic crosses the boundary: every body runs inside [`boundary`]'s `catch_unwind` helper and a
//!   panic becomes `CRM_STATUS_PANIC`.
//! * The exported functions are `pub unsafe extern "C" fn` with a `# Safety` section: raw pointers from C
//!   are an unsafe contract and the signature says so. Signatures are literal source (no macros) so that
//!   cbindgen sees them.
//!
//! ## Thread-safety
//! A `crm_store` holds its [`crm_core::Crm`] behind a mutex: one handle may be used from several threads,
//! calls on it run one at a time. `crm_store_free` must not run concurrently with any other call on the
//! same handle. The last-error slot is per thread.
//!
//! ## Adding a function
//! One `#[unsafe(no_mangle)] pub unsafe extern "C" fn crm_...` with a doc comment, whose body is
//! `boundary::run(|| { ... })`: read arguments with the helpers of [`args`] (`arg_str`, `arg_json`,
//! `Out::new`, `store_ref`/`store_mut`), call the facade, `?` converts [`crm_core::Error`], and finish with
//! `out.set_json(..)`. Then regenerate the header.
//!
//! ## Where we differ from the Rust API
//! Records are identified by `int64_t` ids; fields are given by name (or label) in JSON objects whose
//! numbers are read exactly (a JSON number `1000.10` keeps its digits). Queries are a small JSON language
//! described at [`crm_record_find`]. Records, field input, queries, conversion options, export selections
//! and mass-action results are crm-core's wire contract ([`crm_core::wire`]), shared with the Python
//! binding; this crate only moves them across the boundary.

#![allow(non_camel_case_types)]
#![warn(missing_docs)]

pub mod access;
pub mod analytics;
pub mod args;
pub mod arrow;
pub mod boundary;
pub mod callback;
pub mod conditions;
pub mod convert;
pub mod currency;
pub mod customize;
pub mod duplicates;
pub mod feed;
#[doc(hidden)]
pub mod fuzz;
pub mod import_export;
pub mod import_records;
pub mod indexes;
pub mod language;
pub mod last_error;
pub mod mass;
pub mod progress;
pub mod query;
pub mod records;
pub mod relations;
pub mod reports;
pub mod schema;
pub mod settings;
pub mod status;
pub mod store;
pub mod strings;
pub mod transactions;
pub mod users;
pub mod views;
pub mod workflows;

pub use access::{crm_access_change, crm_access_changes, crm_access_model, crm_sharing_rule_add};
pub use analytics::crm_analytics;
pub use callback::{crm_callback_reply, crm_callback_reply_set};
pub use conditions::{crm_condition_count, crm_condition_matches, crm_expression_eval};
pub use convert::{
    crm_lead_convert, crm_lead_mapping_get, crm_lead_mapping_set, crm_opportunity_create_for, crm_opportunity_create_for_new_customer,
};
pub use currency::{
    crm_aggregate_in, crm_currencies, crm_currency_add, crm_currency_base, crm_currency_convert, crm_currency_log, crm_currency_rates,
    crm_currency_set_base, crm_currency_set_date_field, crm_currency_set_rate, crm_pipeline_in, crm_user_set_currency,
};
pub use customize::{
    crm_block_add, crm_block_delete, crm_block_rename, crm_blocks_reorder, crm_field_add, crm_field_delete, crm_field_move,
    crm_field_update, crm_fields_reorder, crm_picklist_add, crm_picklist_delete, crm_picklist_rename, crm_picklist_reorder,
    crm_picklist_set_dependency, crm_picklist_set_roles, crm_picklist_values, crm_schema_apply, crm_schema_changes,
    crm_schema_changes_page, crm_schema_refresh, crm_stage_meta_set,
};
pub use duplicates::{crm_duplicate_rule_add, crm_duplicate_rule_drop, crm_duplicate_rules, crm_duplicates_find, crm_merge};
pub use feed::{crm_changes, crm_changes_position, crm_changes_trim};
pub use import_export::{
    crm_export_csv, crm_export_csv_v2, crm_export_vcard, crm_export_vcard_v2, crm_import_csv, crm_import_csv_v2, crm_import_resume,
    crm_import_resume_v2, crm_import_rows, crm_import_rows_page, crm_import_undo, crm_import_vcard, crm_import_vcard_resume,
    crm_import_vcard_v2, crm_imports, crm_mapping_delete, crm_mapping_save, crm_mappings,
};
pub use import_records::{crm_import_records, crm_import_records_resume};
pub use indexes::{crm_index_add, crm_index_drop, crm_indexes};
pub use language::{crm_label_set, crm_labels_custom, crm_languages, crm_store_set_language, crm_user_set_language};
pub use last_error::{crm_last_error_code, crm_last_error_json, crm_last_error_message};
pub use mass::{crm_mass_comment, crm_mass_delete, crm_mass_edit, crm_mass_transfer};
pub use progress::{crm_progress, crm_progress_info, crm_progress_unit, crm_progress_v2};
pub use query::{crm_aggregate, crm_record_count, crm_record_find, crm_record_find_each, crm_record_fn};
pub use records::{
    crm_record_create, crm_record_delete, crm_record_get, crm_record_get_deleted, crm_record_history, crm_record_history_page,
    crm_record_purge, crm_record_quick_create, crm_record_restore, crm_record_stage_durations, crm_record_stage_history, crm_record_update,
    crm_record_update_version,
};
pub use relations::{
    crm_activities, crm_comment_add, crm_comment_reply, crm_comments, crm_create_from_opportunity, crm_link, crm_related, crm_unlink,
};
pub use reports::{crm_pipeline, crm_pipeline_calendar};
pub use schema::{crm_module_fields, crm_schema_json};
pub use settings::{crm_auto_number_get, crm_auto_number_set, crm_store_set_stage_probability_autofill};
pub use status::{crm_status, crm_status_str};
pub use store::{crm_store, crm_store_free, crm_store_open, crm_store_set_actor, crm_version};
pub use strings::crm_string_free;
pub use transactions::{crm_transaction_begin, crm_transaction_commit, crm_transaction_is_open, crm_transaction_rollback};
pub use users::{crm_group_add, crm_groups, crm_owner_get, crm_store_actor, crm_user_add, crm_user_get, crm_users};
pub use views::{
    crm_filter_delete, crm_filter_get, crm_filter_save, crm_filters, crm_list, crm_record_page_after, crm_search, crm_search_columns,
    crm_view_settings_get, crm_view_settings_set,
};
pub use workflows::{
    crm_mailer, crm_outbox, crm_outbox_deliver, crm_outbox_mark_failed, crm_outbox_mark_sent, crm_outbox_page, crm_outbox_purge,
    crm_store_set_site_url, crm_store_set_time_zone, crm_store_time_zone, crm_workflow_add, crm_workflow_delete, crm_workflow_dry_run,
    crm_workflow_function, crm_workflow_function_register, crm_workflow_get, crm_workflow_queued_tasks, crm_workflow_run,
    crm_workflow_set_active, crm_workflow_unregistered_functions, crm_workflow_update, crm_workflow_update_vtiger, crm_workflows,
    crm_workflows_add_vtiger, crm_workflows_run_due,
};

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_capabilities;
