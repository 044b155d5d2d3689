//! Users and groups: registered by the host, used as owners and actors.

use crate::value::OwnerId;
use serde::{Deserialize, Serialize};

/// A user registered by the host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Owner id (shares the id space with records and groups).
    pub id: OwnerId,
    /// Unique login name, e.g. `admin`.
    pub user_name: String,
    /// Display name, e.g. `Administrator`.
    pub full_name: String,
    /// E-mail address (may be empty).
    pub email: String,
    /// Role name (the host's), used by role-scoped picklists. Always in the serialised user (`null`
    /// when none), as both bindings return it.
    #[serde(default)]
    pub role: Option<String>,
    /// Inactive users cannot be assigned new records.
    pub active: bool,
}

/// A group of users that can own records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// Owner id.
    pub id: OwnerId,
    /// Unique group name, e.g. `Sales Team`.
    pub name: String,
    /// Member users.
    pub members: Vec<OwnerId>,
}

/// What the host gives to register a user.
///
/// # Example
/// ```
/// use crm_core::{Crm, NewUser};
/// # fn main() -> Result<(), crm_core::Error> {
/// let mut crm = Crm::open(":memory:")?;
/// crm.add_user(NewUser::new("ada").full_name("Ada Lovelace").email("ada@example.com"))?;
/// crm.set_actor("ada")?; // the acting user: owner and author of what follows
/// assert_eq!(crm.find_owner("ada")?.map(|o| o.name().to_string()).as_deref(), Some("Ada Lovelace"));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct NewUser {
    /// Unique login name.
    pub user_name: String,
    /// Display name (defaults to the user name).
    #[serde(default)]
    pub full_name: String,
    /// E-mail address.
    #[serde(default)]
    pub email: String,
    /// Role name.
    #[serde(default)]
    pub role: Option<String>,
    /// An administrator: every access right (see [`crate::access`]).
    #[serde(default)]
    pub is_admin: bool,
    /// The user's language (`"fa_ir"`); none: the store's ([`Crm::set_language`](crate::Crm::set_language)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

impl NewUser {
    /// A user with just a login name.
    pub fn new(user_name: impl Into<String>) -> Self {
        Self { user_name: user_name.into(), ..Self::default() }
    }
    /// Sets the display name.
    pub fn full_name(mut self, n: impl Into<String>) -> Self {
        self.full_name = n.into();
        self
    }
    /// Sets the e-mail address.
    pub fn email(mut self, e: impl Into<String>) -> Self {
        self.email = e.into();
        self
    }
    /// Sets the role.
    pub fn role(mut self, r: impl Into<String>) -> Self {
        self.role = Some(r.into());
        self
    }
    /// Makes the user an administrator.
    pub fn admin(mut self, on: bool) -> Self {
        self.is_admin = on;
        self
    }
    /// Sets the user's language (`"fa_ir"`, `"en_us"`).
    pub fn language(mut self, code: impl Into<String>) -> Self {
        self.language = Some(code.into());
        self
    }
}

/// An owner as seen by callers: a user or a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Owner {
    /// A user.
    User(User),
    /// A group.
    Group(Group),
}

impl Owner {
    /// The owner's id.
    pub fn id(&self) -> OwnerId {
        match self {
            Owner::User(u) => u.id,
            Owner::Group(g) => g.id,
        }
    }
    /// The display name (full name of a user, name of a group).
    pub fn name(&self) -> &str {
        match self {
            Owner::User(u) => &u.full_name,
            Owner::Group(g) => &g.name,
        }
    }
}

/// Every registered user and group, read together: what a save looks owners up in (cached per handle
/// and dropped whenever owners change, see `service::Cache`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Directory {
    pub(crate) users: Vec<User>,
    pub(crate) groups: Vec<Group>,
}

impl Directory {
    /// Reads the users and groups of a store.
    pub(crate) fn read(store: &dyn crate::storage::Store) -> crate::error::Result<Directory> {
        Ok(Directory { users: store.users()?, groups: store.groups()? })
    }

    /// An owner by id.
    pub(crate) fn owner(&self, id: OwnerId) -> Option<Owner> {
        if let Some(u) = self.users.iter().find(|u| u.id == id) {
            return Some(Owner::User(u.clone()));
        }
        self.groups.iter().find(|g| g.id == id).cloned().map(Owner::Group)
    }

    /// An owner by user name, full name or group name (ignoring case).
    pub(crate) fn find_owner(&self, name: &str) -> Option<Owner> {
        let n = name.trim();
        let users = &self.users;
        if let Some(u) = users
            .iter()
            .find(|u| u.user_name.eq_ignore_ascii_case(n))
            .or_else(|| users.iter().find(|u| u.full_name.eq_ignore_ascii_case(n)))
        {
            return Some(Owner::User(u.clone()));
        }
        self.groups.iter().find(|g| g.name.eq_ignore_ascii_case(n)).cloned().map(Owner::Group)
    }

    /// The users an owner stands for: the user, or a group's active members.
    pub(crate) fn owner_users(&self, id: OwnerId) -> Vec<User> {
        match self.owner(id) {
            Some(Owner::User(u)) => vec![u],
            Some(Owner::Group(g)) => self.users.iter().filter(|u| g.members.contains(&u.id) && u.active).cloned().collect(),
            None => vec![],
        }
    }

    /// Whether `id` is a registered user or group.
    pub(crate) fn is_owner(&self, id: OwnerId) -> bool {
        self.users.iter().any(|u| u.id == id) || self.groups.iter().any(|g| g.id == id)
    }
}
