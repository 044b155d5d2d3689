//! Errors: one small enum per concern, each with stable machine-readable codes.
//!
//! [`Error`] is what the [`Crm`](crate::Crm) facade returns. Its [`Error::kind`] is an exhaustive
//! [`ErrorKind`] that the C and Python layers match on (status codes, exception classes), and its
//! [`Error::code`] the kind's stable string (`"validation"`, `"not_found"`, ...). Validation failures carry
//! every problem at once as [`FieldError`]s; driver failures keep the driver's error as their source.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why one field failed validation. Stable, machine-readable; serialised in snake_case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ValidationCode {
    /// A mandatory field is empty.
    Required,
    /// The module has no field of this name.
    UnknownField,
    /// The value cannot be read as the field's type (e.g. `12abc` for an amount).
    InvalidType,
    /// The value has the right type but a wrong shape (e-mail, URL, a date that does not exist).
    InvalidFormat,
    /// Text longer than the field's maximum length.
    TooLong,
    /// A number outside the allowed range (probability above 100, too many digits).
    OutOfRange,
    /// A picklist value that the picklist does not have.
    UnknownPicklistValue,
    /// A reference to a record that does not exist, is deleted, or is of a module the field does not allow.
    InvalidReference,
    /// An owner (user or group) that is not registered.
    UnknownOwner,
    /// The field is maintained by crm (created time, auto-number, ...) and cannot be set by the caller.
    ReadOnly,
    /// The field is not accepted in this operation (e.g. quick create of a non-quick-create field).
    NotAllowed,
    /// A currency the store does not have (or that is inactive).
    UnknownCurrency,
    /// No conversion rate of the record's currency is valid on the record's date.
    MissingRate,
    /// Another live record has the same normalised values under a duplicate-prevention rule (the message
    /// names the rule's fields and the existing record).
    Duplicate,
}

impl ValidationCode {
    /// The stable snake_case name of the code.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Required => "required",
            Self::UnknownField => "unknown_field",
            Self::InvalidType => "invalid_type",
            Self::InvalidFormat => "invalid_format",
            Self::TooLong => "too_long",
            Self::OutOfRange => "out_of_range",
            Self::UnknownPicklistValue => "unknown_picklist_value",
            Self::InvalidReference => "invalid_reference",
            Self::UnknownOwner => "unknown_owner",
            Self::ReadOnly => "read_only",
            Self::NotAllowed => "not_allowed",
            Self::UnknownCurrency => "unknown_currency",
            Self::MissingRate => "missing_rate",
            Self::Duplicate => "duplicate",
        }
    }
}

/// One validation problem: which field, which code, a human message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The field name (vtiger's field name, e.g. `amount`).
    pub field: String,
    /// The machine-readable reason.
    pub code: ValidationCode,
    /// A message for people.
    pub message: String,
}

impl FieldError {
    /// Builds a field error.
    pub fn new(field: impl Into<String>, code: ValidationCode, message: impl Into<String>) -> Self {
        Self { field: field.into(), code, message: message.into() }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} ({})", self.field, self.message, self.code.as_str())
    }
}

/// Every problem found while validating one record, reported together.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ValidationErrors(pub Vec<FieldError>);

impl ValidationErrors {
    /// True when no problem was found.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Adds a problem.
    pub fn push(&mut self, e: FieldError) {
        self.0.push(e);
    }
    /// The problems, in the order they were found (field order of the layout).
    pub fn errors(&self) -> &[FieldError] {
        &self.0
    }
    /// Ok when empty, else `Err(Error::Validation)`.
    pub fn into_result(self) -> Result<(), Error> {
        if self.0.is_empty() { Ok(()) } else { Err(Error::Validation(self)) }
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

/// The error a database driver reported, kept as the typed source of a [`StorageError::Driver`].
pub type DriverSource = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Failures of a storage backend, already classified out of the backend's own error type.
///
/// A failure the database driver reported ([`StorageError::Driver`]) keeps the driver's error
/// (`rusqlite::Error`, `postgres::Error`) as its [`std::error::Error::source`], so a host can downcast it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// The database was written by a newer version of crm.
    #[error("database schema version {found} is newer than this crm supports ({supported})")]
    IncompatibleVersion {
        /// Version found in the file.
        found: i64,
        /// Highest version this build understands.
        supported: i64,
    },
    /// The file is not a database or is damaged.
    #[error("database is corrupt or not a crm database: {0}")]
    Corrupt(String),
    /// The database stayed locked by another writer past the busy timeout.
    #[error("database is busy: {0}")]
    Busy(String),
    /// A unique constraint was violated.
    #[error("duplicate value: {0}")]
    Duplicate(String),
    /// Any other backend failure.
    #[error("storage backend error: {0}")]
    Backend(String),
    /// Reading or writing a file failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// A failure the database driver reported, classified as `kind` (one of [`ErrorKind::Busy`],
    /// [`ErrorKind::Duplicate`], [`ErrorKind::Corrupt`], [`ErrorKind::Storage`]), with the driver's error
    /// as its source.
    #[error("{}", driver_message(*kind, message))]
    Driver {
        /// How the failure is reported to callers.
        kind: ErrorKind,
        /// The driver's message, as shown to people.
        message: String,
        /// The driver's own error.
        #[source]
        source: DriverSource,
    },
}

fn driver_message(kind: ErrorKind, message: &str) -> String {
    match kind {
        ErrorKind::Busy => format!("database is busy: {message}"),
        ErrorKind::Duplicate => format!("duplicate value: {message}"),
        ErrorKind::Corrupt => format!("database is corrupt or not a crm database: {message}"),
        _ => format!("storage backend error: {message}"),
    }
}

impl StorageError {
    /// A driver failure classified as `kind`, with the driver's message; `source` stays the typed source.
    /// Kinds other than busy, duplicate and corrupt are reported as [`ErrorKind::Storage`].
    pub fn driver(kind: ErrorKind, message: impl Into<String>, source: impl std::error::Error + Send + Sync + 'static) -> StorageError {
        let kind = match kind {
            ErrorKind::Busy | ErrorKind::Duplicate | ErrorKind::Corrupt => kind,
            _ => ErrorKind::Storage,
        };
        StorageError::Driver { kind, message: message.into(), source: Box::new(source) }
    }

    /// The kind callers see for this failure.
    pub fn kind(&self) -> ErrorKind {
        match self {
            StorageError::IncompatibleVersion { .. } => ErrorKind::IncompatibleVersion,
            StorageError::Corrupt(_) => ErrorKind::Corrupt,
            StorageError::Busy(_) => ErrorKind::Busy,
            StorageError::Duplicate(_) => ErrorKind::Duplicate,
            StorageError::Backend(_) => ErrorKind::Storage,
            StorageError::Io(_) => ErrorKind::Io,
            StorageError::Driver { kind, .. } => *kind,
        }
    }
}

/// The class of an [`Error`], what the bindings match on: C status codes, Python exception classes.
///
/// Deliberately exhaustive (not `#[non_exhaustive]`): a new kind breaks the bindings' build until each
/// maps it, instead of falling through to a generic error. [`ErrorKind::as_str`] is the stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// A record did not pass validation ([`Error::Validation`]).
    Validation,
    /// The record, user, module or other named thing does not exist (or the record is in the recycle bin).
    NotFound,
    /// The change conflicts with the stored state.
    Conflict,
    /// The request itself is malformed.
    InvalidArgument,
    /// The database was written by a newer version of crm.
    IncompatibleVersion,
    /// The file is not a crm database or is damaged.
    Corrupt,
    /// The database stayed locked by another writer; retrying may succeed.
    Busy,
    /// A unique value already exists in storage.
    Duplicate,
    /// Any other failure of the storage backend.
    Storage,
    /// Reading or writing a file failed.
    Io,
    /// A schema edit was refused.
    Schema,
    /// The change feed no longer holds the changes after the position asked for (the change log was
    /// trimmed past it): the consumer missed changes and must resynchronise.
    FeedPositionExpired,
    /// The acting user may not do this ([`Error::AccessDenied`]).
    AccessDenied,
}

impl ErrorKind {
    /// Every kind, in declaration order.
    pub const ALL: [ErrorKind; 13] = [
        ErrorKind::Validation,
        ErrorKind::NotFound,
        ErrorKind::Conflict,
        ErrorKind::InvalidArgument,
        ErrorKind::IncompatibleVersion,
        ErrorKind::Corrupt,
        ErrorKind::Busy,
        ErrorKind::Duplicate,
        ErrorKind::Storage,
        ErrorKind::Io,
        ErrorKind::Schema,
        ErrorKind::FeedPositionExpired,
        ErrorKind::AccessDenied,
    ];

    /// The stable snake_case code (`"validation"`, `"not_found"`, ...), as [`Error::code`] returns it.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Validation => "validation",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Conflict => "conflict",
            ErrorKind::InvalidArgument => "invalid_argument",
            ErrorKind::IncompatibleVersion => "incompatible_version",
            ErrorKind::Corrupt => "corrupt",
            ErrorKind::Busy => "busy",
            ErrorKind::Duplicate => "duplicate",
            ErrorKind::Storage => "storage",
            ErrorKind::Io => "io",
            ErrorKind::Schema => "schema",
            ErrorKind::FeedPositionExpired => "feed_position_expired",
            ErrorKind::AccessDenied => "access_denied",
        }
    }

    /// The kind with this code, if there is one.
    pub fn from_code(code: &str) -> Option<ErrorKind> {
        ErrorKind::ALL.into_iter().find(|k| k.as_str() == code)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of every [`Crm`](crate::Crm) operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The record did not pass validation; every problem is listed.
    #[error("validation failed: {0}")]
    Validation(ValidationErrors),
    /// The record, user, module or other named thing does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The change conflicts with the stored state (stale version, duplicate name, already converted, ...).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The request itself is malformed (unknown module, bad option, ...).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The storage backend failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// A schema edit (layout or picklist editor) was refused; see [`SchemaError::code`](crate::schema::edit::SchemaError::code).
    #[error("schema change refused: {0}")]
    Schema(#[from] crate::schema::edit::SchemaError),
    /// The change feed was asked for the changes after `position`, but the change log was trimmed up to
    /// `trimmed` (see [`crate::feed`]).
    #[error("feed position {position} expired: the change log was trimmed up to position {trimmed}; resynchronise and start from it")]
    FeedPositionExpired {
        /// The position asked for.
        position: i64,
        /// The highest position trimmed away.
        trimmed: i64,
    },
    /// The acting user's profile or the sharing model refuses the action; names the action, module and,
    /// where one refused it, the field or record (see [`crate::access`]).
    #[error("access denied: {0}")]
    AccessDenied(crate::access::AccessDenied),
}

impl Error {
    /// The class of the error: what the bindings map to a C status or a Python exception class.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Validation(_) => ErrorKind::Validation,
            Error::NotFound(_) => ErrorKind::NotFound,
            Error::Conflict(_) => ErrorKind::Conflict,
            Error::InvalidArgument(_) => ErrorKind::InvalidArgument,
            Error::Storage(s) => s.kind(),
            Error::Schema(_) => ErrorKind::Schema,
            Error::FeedPositionExpired { .. } => ErrorKind::FeedPositionExpired,
            Error::AccessDenied(_) => ErrorKind::AccessDenied,
        }
    }

    /// Stable machine-readable code, [`ErrorKind::as_str`] of [`Error::kind`]: `validation`, `not_found`,
    /// `conflict`, `invalid_argument`, `incompatible_version`, `corrupt`, `busy`, `duplicate`, `storage`,
    /// `io`, `schema`, `feed_position_expired` or `access_denied`.
    pub fn code(&self) -> &'static str {
        self.kind().as_str()
    }

    /// The field errors of a validation failure (empty for other errors).
    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            Error::Validation(v) => v.errors(),
            _ => &[],
        }
    }

    pub(crate) fn invalid(msg: impl Into<String>) -> Self {
        Error::InvalidArgument(msg.into())
    }

    pub(crate) fn not_found(msg: impl Into<String>) -> Self {
        Error::NotFound(msg.into())
    }

    pub(crate) fn field(field: &str, code: ValidationCode, msg: impl Into<String>) -> Self {
        Error::Validation(ValidationErrors(vec![FieldError::new(field, code, msg)]))
    }
}

/// Result alias used throughout crm-core.
pub type Result<T, E = Error> = std::result::Result<T, E>;
