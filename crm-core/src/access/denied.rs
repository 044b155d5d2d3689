//! The refusal of an action the acting user has no right to.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What was refused: the action (`view`, `create`, `edit`, `delete`, `filter`, `sort`, ...), the module,
/// and the field or record when the refusal is about one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessDenied {
    /// The action refused.
    pub action: String,
    /// The module.
    pub module: String,
    /// The field, when a field right refused it.
    #[serde(default)]
    pub field: Option<String>,
    /// The record, when a record right refused it.
    #[serde(default)]
    pub record: Option<i64>,
}

impl AccessDenied {
    /// A refused action on a module.
    pub fn module(action: &str, module: &str) -> AccessDenied {
        AccessDenied { action: action.into(), module: module.into(), field: None, record: None }
    }
    /// A refused action on a field.
    pub fn field(action: &str, module: &str, field: &str) -> AccessDenied {
        AccessDenied { field: Some(field.into()), ..AccessDenied::module(action, module) }
    }
    /// A refused action on a record.
    pub fn record(action: &str, module: &str, id: i64) -> AccessDenied {
        AccessDenied { record: Some(id), ..AccessDenied::module(action, module) }
    }
}

impl fmt::Display for AccessDenied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "may not {} {}", self.action, self.module)?;
        if let Some(field) = &self.field {
            write!(f, " field '{field}'")?;
        }
        if let Some(r) = self.record {
            write!(f, " record {r}")?;
        }
        Ok(())
    }
}

impl std::error::Error for AccessDenied {}
