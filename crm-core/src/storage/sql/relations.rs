//! Comments and many-to-many links between records, once for both engines.

use super::adapter::SqlAdapter;
use super::db::{row, rows};
use super::{Arg, Db, SqlRow, fmt_dt, parse_dt, signed};
use crate::error::Result;
use crate::related::{Comment, Relation};
use crate::storage::{RelationChange, RelationStore};
use crate::value::RecordId;

/// Adds a comment.
pub(crate) fn add_comment<D: Db + ?Sized>(db: &mut D, c: &Comment) -> Result<()> {
    let at = fmt_dt(c.at);
    db.execute(
        &db.sql().add_comment,
        &[Arg::Int(c.id), Arg::Int(c.record.0), Arg::opt_int(c.parent), Arg::Text(&c.author), Arg::Text(&at), Arg::Text(&c.text)],
    )?;
    Ok(())
}

/// Moves every comment on `from` (replies included) to `to`.
pub(crate) fn move_comments<D: Db + ?Sized>(db: &mut D, from: RecordId, to: RecordId) -> Result<()> {
    db.execute(&db.sql().move_comments, &[Arg::Int(from.0), Arg::Int(to.0)])?;
    Ok(())
}

/// Creates or replaces the link between two records.
pub(crate) fn link<D: Db + ?Sized>(db: &mut D, r: &Relation) -> Result<()> {
    unlink(db, r.record, r.related)?;
    let at = fmt_dt(r.at);
    db.execute(
        &db.sql().link,
        &[
            Arg::Int(r.record.0),
            Arg::Int(r.related.0),
            Arg::Text(&r.module),
            Arg::opt_text(r.role.as_deref()),
            Arg::opt_num(r.quantity),
            Arg::opt_num(r.price),
            Arg::Text(&at),
        ],
    )?;
    Ok(())
}

/// Removes the link between two records, whichever side it was made on.
pub(crate) fn unlink<D: Db + ?Sized>(db: &mut D, record: RecordId, related: RecordId) -> Result<()> {
    db.execute(&db.sql().unlink, &[Arg::Int(record.0), Arg::Int(related.0)])?;
    Ok(())
}

fn read_comment(r: &dyn SqlRow) -> Result<Comment> {
    Ok(Comment {
        id: r.i64(0)?,
        record: RecordId(r.i64(1)?),
        parent: r.int(2)?,
        author: r.string(3)?,
        at: parse_dt(&r.string(4)?),
        text: r.string(5)?,
    })
}

/// The comments on a record, newest first.
pub(crate) fn comments<D: Db + ?Sized>(db: &mut D, record: RecordId) -> Result<Vec<Comment>> {
    rows(db, &db.sql().comments, &[Arg::Int(record.0)], read_comment)
}

/// A comment by id.
pub(crate) fn comment<D: Db + ?Sized>(db: &mut D, id: i64) -> Result<Option<Comment>> {
    row(db, &db.sql().comment, &[Arg::Int(id)], read_comment)
}

/// The links of a record to records of `module` (every module when `None`), paged.
pub(crate) fn relations<D: Db + ?Sized>(
    db: &mut D,
    record: RecordId,
    module: Option<&str>,
    offset: u64,
    limit: Option<u64>,
) -> Result<Vec<Relation>> {
    let limit = limit.map_or(db.dialect().no_limit(), |l| Arg::Int(signed(l)));
    rows(db, &db.sql().relations, &[Arg::Int(record.0), Arg::opt_text(module), limit, Arg::Int(signed(offset))], |r| {
        Ok(Relation {
            record,
            related: RecordId(r.i64(0)?),
            module: r.string(1)?,
            role: r.text(2)?,
            quantity: r.decimal(3)?,
            price: r.decimal(4)?,
            at: parse_dt(&r.string(5)?),
        })
    })
}

/// How many links [`relations`] would list without a page.
pub(crate) fn count_relations<D: Db + ?Sized>(db: &mut D, record: RecordId, module: Option<&str>) -> Result<u64> {
    Ok(row(db, &db.sql().count_relations, &[Arg::Int(record.0), Arg::opt_text(module)], |r| r.u64(0))?.unwrap_or(0))
}

/// Writes one relation change (in the caller's transaction).
pub(crate) fn apply<D: Db + ?Sized>(db: &mut D, c: &RelationChange) -> Result<()> {
    match c {
        RelationChange::AddComment(c) => add_comment(db, c),
        RelationChange::Link(r) => link(db, r),
        RelationChange::Unlink { record, related } => unlink(db, *record, *related),
        RelationChange::MoveComments { from, to } => move_comments(db, *from, *to),
        RelationChange::MoveCommentIds { ids, to } => super::duplicates::move_comment_ids(db, ids, *to),
    }
}

impl<S: SqlAdapter> RelationStore for S {
    fn comments(&self, record: RecordId) -> Result<Vec<Comment>> {
        self.read(|db| comments(db, record))
    }

    fn comment(&self, id: i64) -> Result<Option<Comment>> {
        self.read(|db| comment(db, id))
    }

    fn relations(&self, record: RecordId, module: Option<&str>, offset: u64, limit: Option<u64>) -> Result<Vec<Relation>> {
        self.read(|db| relations(db, record, module, offset, limit))
    }

    fn count_relations(&self, record: RecordId, module: Option<&str>) -> Result<u64> {
        self.read(|db| count_relations(db, record, module))
    }
}
