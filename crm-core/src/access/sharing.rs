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
    /// Rule id (unique in the model; given when the rule is added).
    #[serde(default)]
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

/// A sharing rule as the bindings give it (Python keyword arguments, C JSON): the owner as a role or a
/// group, the receiver as a role or a group, whether each role includes its subordinates, and the access
/// (`read` or `read_write`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharingRuleSpec {
    /// Module name.
    pub module: String,
    /// Records owned by users of this role.
    #[serde(default)]
    pub owner_role: Option<String>,
    /// Records owned by this group (or its members).
    #[serde(default)]
    pub owner_group: Option<String>,
    /// The owner role includes its subordinates.
    #[serde(default)]
    pub owner_and_subordinates: bool,
    /// Shared with users of this role.
    #[serde(default)]
    pub to_role: Option<String>,
    /// Shared with the members of this group.
    #[serde(default)]
    pub to_group: Option<String>,
    /// The receiving role includes its subordinates.
    #[serde(default)]
    pub to_and_subordinates: bool,
    /// `read` (default) or `read_write`.
    #[serde(default)]
    pub access: Option<String>,
}

impl SharingRuleSpec {
    /// The rule (id 0 until stored).
    ///
    /// # Errors
    /// `InvalidArgument` unless exactly one owner and one receiver are given and the access is known.
    pub fn into_rule(self) -> crate::error::Result<SharingRule> {
        use crate::error::Error;
        let party = |role: Option<String>, group: Option<String>, subs: bool, side: &str| match (role, group) {
            (Some(r), None) if subs => Ok(Party::RoleAndSubordinates(r)),
            (Some(r), None) => Ok(Party::Role(r)),
            (None, Some(g)) if !subs => Ok(Party::Group(g)),
            (None, Some(_)) => Err(Error::invalid(format!("{side}_and_subordinates applies to a role, not a group"))),
            _ => Err(Error::invalid(format!("a sharing rule needs exactly one of {side}_role and {side}_group"))),
        };
        let access = match self.access.as_deref() {
            None => RuleAccess::Read,
            Some(a) => RuleAccess::parse(a).ok_or_else(|| Error::invalid(format!("unknown sharing access '{a}' (read, read_write)")))?,
        };
        Ok(SharingRule {
            id: 0,
            module: self.module,
            owner: party(self.owner_role, self.owner_group, self.owner_and_subordinates, "owner")?,
            to: party(self.to_role, self.to_group, self.to_and_subordinates, "to")?,
            access,
        })
    }
}

impl std::str::FromStr for Sharing {
    type Err = crate::error::Error;

    /// [`Sharing::parse`], refusing unknown names with `InvalidArgument`.
    fn from_str(s: &str) -> crate::error::Result<Sharing> {
        Sharing::parse(s).ok_or_else(|| {
            crate::error::Error::invalid(format!(
                "unknown sharing '{s}' (private, public_read, public_read_write, public_read_write_delete)"
            ))
        })
    }
}
