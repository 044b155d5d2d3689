//! Organisation-wide sharing and sharing rules.

use serde::{Deserialize, Serialize};

/// How a module's records are shared across the organisation (vtiger's Sharing Access).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sharing {
    /// Only the owner, the owner's superiors, group members and sharing rules.
    Private,
    /// Everyone reads; editing and deleting as `private`.
    PublicRead,
    /// Everyone reads and edits; deleting as `private`.
    PublicReadWrite,
    /// Everyone reads, edits and deletes (the default, vtiger's for Potentials).
    #[default]
    PublicReadWriteDelete,
}

impl Sharing {
    /// Parses the snake_case name (`-` and spaces allowed for `_`; `/` as in vtiger's "Public: Read/Write").
    pub fn parse(s: &str) -> Option<Sharing> {
        match s.trim().to_ascii_lowercase().replace(['-', ' ', '/', ':'], "_").replace("__", "_").as_str() {
            "private" => Some(Sharing::Private),
            "public_read" | "public_read_only" => Some(Sharing::PublicRead),
            "public_read_write" => Some(Sharing::PublicReadWrite),
            "public_read_write_delete" => Some(Sharing::PublicReadWriteDelete),
            _ => None,
        }
    }
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Sharing::Private => "private",
            Sharing::PublicRead => "public_read",
            Sharing::PublicReadWrite => "public_read_write",
            Sharing::PublicReadWriteDelete => "public_read_write_delete",
        }
    }
}

/// A side of a sharing rule: a role, a role and its subordinates, or a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum Party {
    /// The users of one role.
    Role(String),
    /// The users of a role and of every role below it.
    RoleAndSubordinates(String),
    /// A group: as owner, the group itself and its members; as receiver, its members.
    Group(String),
}

/// What a sharing rule grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleAccess {
    /// Read only.
    Read,
    /// Read and edit.
    ReadWrite,
}

impl RuleAccess {
    /// Parses `read` or `read_write` (`read-write`, `rw`).
    pub fn parse(s: &str) -> Option<RuleAccess> {
        match s.trim().to_ascii_lowercase().replace(['-', ' ', '/'], "_").as_str() {
            "read" | "read_only" | "r" => Some(RuleAccess::Read),
            "read_write" | "rw" | "write" => Some(RuleAccess::ReadWrite),
            _ => None,
        }
    }
}

/// Records of `module` owned by `owner` are shared with `to`, read-only or read-write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharingRule {
    /// Rule id (unique in the model).
    pub id: i64,
    /// Module name.
    pub module: String,
    /// Whose records.
    pub owner: Party,
    /// Shared with whom.
    pub to: Party,
    /// Read or read-write.
    pub access: RuleAccess,
}
