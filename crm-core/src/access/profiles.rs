//! Profiles: module rights and field access.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a profile allows on one module. Keys left out of the input are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleRights {
    /// May list and read records.
    #[serde(default = "yes")]
    pub view: bool,
    /// May create records.
    #[serde(default = "yes")]
    pub create: bool,
    /// May change records.
    #[serde(default = "yes")]
    pub edit: bool,
    /// May delete (and restore, purge) records.
    #[serde(default = "yes")]
    pub delete: bool,
}

fn yes() -> bool {
    true
}

impl Default for ModuleRights {
    fn default() -> Self {
        ModuleRights::ALL
    }
}

impl ModuleRights {
    /// Every right.
    pub const ALL: ModuleRights = ModuleRights { view: true, create: true, edit: true, delete: true };
    /// No right.
    pub const NONE: ModuleRights = ModuleRights { view: false, create: false, edit: false, delete: false };

    /// The union of two rights.
    pub fn union(self, o: ModuleRights) -> ModuleRights {
        ModuleRights {
            view: self.view || o.view,
            create: self.create || o.create,
            edit: self.edit || o.edit,
            delete: self.delete || o.delete,
        }
    }
}

/// How a profile lets a field be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldAccess {
    /// Absent from records, exports and reports; refused in filters, sorts and writes.
    Hidden,
    /// Visible, refused in writes.
    ReadOnly,
    /// Visible and editable (the default).
    #[default]
    Editable,
}

impl FieldAccess {
    /// Parses `hidden`, `read_only` (or `readonly`, `read-only`), `editable` (or `visible`, `read_write`).
    pub fn parse(s: &str) -> Option<FieldAccess> {
        match s.trim().to_ascii_lowercase().replace(['-', ' '], "_").as_str() {
            "hidden" | "invisible" => Some(FieldAccess::Hidden),
            "read_only" | "readonly" => Some(FieldAccess::ReadOnly),
            "editable" | "visible" | "read_write" => Some(FieldAccess::Editable),
            _ => None,
        }
    }
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldAccess::Hidden => "hidden",
            FieldAccess::ReadOnly => "read_only",
            FieldAccess::Editable => "editable",
        }
    }
}

/// A named set of module rights and field access, attached to roles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// Unique name.
    pub name: String,
    /// Module → rights (modules left out: every right).
    #[serde(default)]
    pub modules: BTreeMap<String, ModuleRights>,
    /// Module → field → access (fields left out: editable).
    #[serde(default)]
    pub fields: BTreeMap<String, BTreeMap<String, FieldAccess>>,
}

impl Profile {
    /// The profile's rights on a module.
    pub fn module_rights(&self, module: &str) -> ModuleRights {
        self.modules.get(module).copied().unwrap_or(ModuleRights::ALL)
    }
    /// The profile's access to a field.
    pub fn field_access(&self, module: &str, field: &str) -> FieldAccess {
        self.fields.get(module).and_then(|f| f.get(field)).copied().unwrap_or_default()
    }
}
