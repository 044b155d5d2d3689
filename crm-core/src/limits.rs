//! Maximum sizes: every input that could otherwise make crm do unbounded work (memory, time or stack) has a
//! documented limit here, enforced with a typed error. README's "Limits" section links here.
//!
//! | limit | value | where it is checked | error when exceeded |
//! | --- | --- | --- | --- |
//! | [`MAX_TEXT_CHARS`] | 65 535 characters | every text-like field (text area, e-mail, phone, URL, ...) without a smaller `max_length` of its own | `Validation` with [`ValidationCode::TooLong`](crate::ValidationCode::TooLong) on that field (an import row fails with code `too_long`) |
//! | field `max_length` | per field (255 for text, as vtiger) | [`Field::max_length`](crate::Field) | the same `too_long` |
//! | [`MAX_LABEL_LEN`] | 200 characters | field, block and picklist labels/values in the layout editor | `Schema` error |
//! | [`MAX_EXPRESSION_CHARS`] | 10 000 characters | workflow expressions ([`Expr::compile`](crate::workflow::expr::Expr::compile)) | `InvalidArgument` (`invalid_argument`) naming the limit |
//! | [`MAX_EXPRESSION_DEPTH`] | 32 levels | nesting of parentheses, `if`s, function calls and unary operators in an expression | `InvalidArgument` |
//! | [`MAX_EXPRESSION_TOKENS`] | 2 000 tokens | operands and operators of one expression (bounds the depth of operator chains) | `InvalidArgument` |
//! | [`MAX_CONDITION_ROWS`] | 200 rows | rows of a vtiger condition (`test` JSON) | `InvalidArgument` |
//! | [`MAX_CONDITION_DEPTH`] | 32 levels | nesting of a condition tree given as crm JSON (all / any / not) | `InvalidArgument` |
//! | [`MAX_CSV_RECORD_BYTES`] | 1 MiB | one CSV record (a line, or several lines inside quotes), after decoding; default of [`ImportOptions::max_record_bytes`](crate::io::ImportOptions::max_record_bytes) | `InvalidArgument`: the import stops at that line (batches already committed stay, as for any unreadable CSV; undo them with `undo_import`) |
//! | [`MAX_IMPORT_ROWS`] | 1 000 000 rows | CSV rows or vCards of one import (empty lines count); default of [`ImportOptions::max_rows`](crate::io::ImportOptions::max_rows) | the rows after the limit are not read: the report gets one `failed` row with code `limit` and a warning |
//! | [`MAX_QUERY_DEPTH`] | 32 levels | nesting of a query's condition tree ([`Condition`](crate::Condition): all / any / not), checked before anything walks it | `InvalidArgument` naming the limit |
//! | [`MAX_BINDING_DEPTH`] | 128 levels | nesting of dicts, lists and tuples a binding converts (Python objects, including ones that contain themselves; C JSON, where it is serde_json's own recursion limit) | `InvalidArgument` naming the limit |
//! | [`MAX_LOG_PAGE`] | 10 000 entries | `limit` of the paged log reads ([`Crm::history_page`](crate::Crm::history_page), [`Crm::schema_changes_page`](crate::Crm::schema_changes_page), [`Crm::import_rows_page`](crate::Crm::import_rows_page)); 0 is refused too | `InvalidArgument` naming the limit |
//! | [`MAX_IMPORT_BATCH`] | 100 000 rows | [`ImportOptions::batch_size`](crate::io::ImportOptions::batch_size) | `InvalidArgument` naming the option |
//! | [`MAX_CLOSE_IN_DAYS`] | 36 500 days | the vCard import's `opportunity.close_in_days` | `InvalidArgument` naming the option |
//! | [`MAX_MAIL_ATTEMPTS`] | 8 attempts | failed deliveries of one outbox mail; the wait before the next one starts at [`MAIL_RETRY_BASE_SECS`] (60 s) and doubles per failure | the mail stays failed for good and [`DeliveryReport::given_up`](crate::DeliveryReport) names it |
//! | [`MAX_VCARD_FILE_BYTES`] | 64 MiB | a vCard file (read whole) | `InvalidArgument` |
//!
//! Text holding NUL (`\0`) is refused in every text-like field with `Validation`
//! ([`ValidationCode::InvalidFormat`](crate::ValidationCode::InvalidFormat)): PostgreSQL cannot store it
//! and the stores must agree. Expression arithmetic is bounded by the decimal type (28 significant digits)
//! and the calendar; beyond them an evaluation is an error, never a wrap or a panic.
//!
//! The two import limits are options because a host may need larger files (or want smaller ones);
//! the others protect the engine itself and are fixed. vtiger has none of these limits except the
//! database column sizes (its `text` columns hold 64 KiB, hence [`MAX_TEXT_CHARS`]).
//!
//! Other bounds that already follow from the design: JSON input nests at most 128 levels (serde_json's
//! recursion limit), workflows trigger workflows at most [`workflow::MAX_DEPTH`](crate::workflow::MAX_DEPTH)
//! levels deep, decimals have at most 28 significant digits.

pub use crate::io::vcard::MAX_VCARD_FILE_BYTES;
pub use crate::schema::edit::MAX_LABEL_LEN;

/// Longest value of a text-like field that has no smaller `max_length` of its own, in characters.
pub const MAX_TEXT_CHARS: usize = 65_535;

/// Longest workflow expression, in characters.
pub const MAX_EXPRESSION_CHARS: usize = 10_000;

/// Deepest nesting of an expression: parentheses, `if ... end`, function calls and unary operators.
pub const MAX_EXPRESSION_DEPTH: usize = 32;

/// Most tokens (operands and operators) in one expression.
pub const MAX_EXPRESSION_TOKENS: usize = 2_000;

/// Most rows in one vtiger condition.
pub const MAX_CONDITION_ROWS: usize = 200;

/// Deepest nesting of a condition tree (all / any / not).
pub const MAX_CONDITION_DEPTH: usize = 32;

/// Default longest CSV record, in bytes of decoded UTF-8.
pub const MAX_CSV_RECORD_BYTES: u64 = 1024 * 1024;

/// Default most rows (CSV) or cards (vCard) in one import.
pub const MAX_IMPORT_ROWS: u64 = 1_000_000;

/// Deepest nesting of a query's condition tree (all / any / not).
pub const MAX_QUERY_DEPTH: usize = 32;

/// Deepest nesting of containers (dicts, lists, tuples) a binding converts into engine values: the same
/// bound as serde_json's recursion limit, so Python and C refuse the same inputs. A Python object that
/// contains itself reaches it instead of recursing until the process dies.
pub const MAX_BINDING_DEPTH: usize = 128;

/// Largest page of a paged log read (change log, schema change log, an import's rows).
pub const MAX_LOG_PAGE: u64 = 10_000;

/// The page size `limit` when it is 1..=[`MAX_LOG_PAGE`].
///
/// # Errors
/// `InvalidArgument` naming the limit.
pub fn log_page(limit: u64) -> crate::Result<u64> {
    if (1..=MAX_LOG_PAGE).contains(&limit) {
        Ok(limit)
    } else {
        Err(crate::Error::invalid(format!("limit {limit} is outside 1..={MAX_LOG_PAGE} (limits::MAX_LOG_PAGE)")))
    }
}

/// Largest `batch_size` of an import (rows held in memory before one commit).
pub const MAX_IMPORT_BATCH: usize = 100_000;

/// Largest `close_in_days` of the opportunity a vCard import creates per new customer (about 100 years).
pub const MAX_CLOSE_IN_DAYS: u32 = 36_500;

/// Most delivery attempts of one outbox mail; after that many failures it stays failed for good.
pub const MAX_MAIL_ATTEMPTS: u32 = 8;

/// Wait before a failed mail's second attempt, in seconds; each further failure doubles it.
pub const MAIL_RETRY_BASE_SECS: i64 = 60;
