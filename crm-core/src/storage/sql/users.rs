//! Users and groups, once for both engines.

use super::adapter::SqlAdapter;
use super::db::rows;
use super::{Arg, Db};
use crate::error::Result;
use crate::storage::{UserChange, UserStore};
use crate::user::{Group, User};
use crate::value::OwnerId;

/// Creates or replaces a user.
pub(crate) fn put_user<D: Db + ?Sized>(db: &mut D, u: &User) -> Result<()> {
    db.execute(
        &db.sql().put_user,
        &[
            Arg::Int(u.id.0),
            Arg::Text(&u.user_name),
            Arg::Text(&u.full_name),
            Arg::Text(&u.email),
            Arg::opt_text(u.role.as_deref()),
            Arg::Bool(u.active),
        ],
    )?;
    Ok(())
}

/// Creates or replaces a group with its members.
pub(crate) fn put_group<D: Db + ?Sized>(db: &mut D, g: &Group) -> Result<()> {
    db.execute(&db.sql().put_group, &[Arg::Int(g.id.0), Arg::Text(&g.name)])?;
    db.execute(&db.sql().clear_group, &[Arg::Int(g.id.0)])?;
    for m in &g.members {
        db.execute(&db.sql().add_member, &[Arg::Int(g.id.0), Arg::Int(m.0)])?;
    }
    Ok(())
}

/// Every user, by id.
pub(crate) fn users<D: Db + ?Sized>(db: &mut D) -> Result<Vec<User>> {
    rows(db, &db.sql().users, &[], |r| {
        Ok(User {
            id: OwnerId(r.i64(0)?),
            user_name: r.string(1)?,
            full_name: r.string(2)?,
            email: r.string(3)?,
            role: r.text(4)?,
            active: r.flag(5)?,
        })
    })
}

/// Every group with its members, by id.
pub(crate) fn groups<D: Db + ?Sized>(db: &mut D) -> Result<Vec<Group>> {
    let mut groups = rows(db, &db.sql().groups, &[], |r| Ok(Group { id: OwnerId(r.i64(0)?), name: r.string(1)?, members: vec![] }))?;
    for (g, u) in rows(db, &db.sql().members, &[], |r| Ok((r.i64(0)?, r.i64(1)?)))? {
        if let Some(group) = groups.iter_mut().find(|x| x.id.0 == g) {
            group.members.push(OwnerId(u));
        }
    }
    Ok(groups)
}

/// Writes one user change (in the caller's transaction).
pub(crate) fn apply<D: Db + ?Sized>(db: &mut D, c: &UserChange) -> Result<()> {
    match c {
        UserChange::PutUser(u) => put_user(db, u),
        UserChange::PutGroup(g) => put_group(db, g),
    }
}

impl<S: SqlAdapter> UserStore for S {
    fn users(&self) -> Result<Vec<User>> {
        self.read(|db| users(db))
    }

    fn groups(&self) -> Result<Vec<Group>> {
        self.read(|db| groups(db))
    }
}
