//! Errors: one small enum per concern, each with stable machine-readable codes.
//!
//! [`Error`] is what the [`Crm`](crate::Crm) facade returns. Its [`Error::code`] is a stable string
//! (`"validation"`, `"not_found"`, ...) that the C and Python layers map to status codes and exception
//! classes. Validation failures carry every problem at once as [`FieldError`]s.

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

/// Failures of a storage backend, already translated out of the backend's own error type.
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
}

impl Error {
    /// Stable machine-readable code: `validation`, `not_found`, `conflict`, `invalid_argument`,
    /// `incompatible_version`, `corrupt`, `busy`, `duplicate`, `storage`, `io` or `schema`.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Validation(_) => "validation",
            Error::NotFound(_) => "not_found",
            Error::Conflict(_) => "conflict",
            Error::InvalidArgument(_) => "invalid_argument",
            Error::Storage(s) => match s {
                StorageError::IncompatibleVersion { .. } => "incompatible_version",
                StorageError::Corrupt(_) => "corrupt",
                StorageError::Busy(_) => "busy",
                StorageError::Duplicate(_) => "duplicate",
                StorageError::Backend(_) => "storage",
                StorageError::Io(_) => "io",
            },
            Error::Schema(_) => "schema",
        }
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
