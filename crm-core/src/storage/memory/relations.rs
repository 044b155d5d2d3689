//! Comments and links between records in memory.

use super::MemoryStore;
use crate::error::Result;
use crate::related::{Comment, Relation};
use crate::storage::{RelationChange, RelationStore};
use crate::value::RecordId;

fn same_pair(x: &Relation, a: RecordId, b: RecordId) -> bool {
    (x.record == a && x.related == b) || (x.record == b && x.related == a)
}

impl MemoryStore {
    pub(super) fn apply_relation(&mut self, c: &RelationChange) {
        match c {
            RelationChange::AddComment(c) => self.comments.push(c.clone()),
            RelationChange::Link(r) => {
                self.relations.retain(|x| !same_pair(x, r.record, r.related));
                self.relations.push(r.clone());
            }
            RelationChange::Unlink { record, related } => self.relations.retain(|x| !same_pair(x, *record, *related)),
            RelationChange::MoveCommentIds { ids, to } => {
                for c in self.comments.iter_mut().filter(|c| ids.contains(&c.id)) {
                    c.record = *to;
                }
            }
            RelationChange::MoveComments { from, to } => {
                for c in self.comments.iter_mut().filter(|c| c.record == *from) {
                    c.record = *to;
                }
            }
        }
    }

    /// Links and comments go with a purged record.
    pub(super) fn purge_related(&mut self, id: RecordId) {
        self.relations.retain(|r| r.record != id && r.related != id);
        self.comments.retain(|c| c.record != id);
    }

    /// Links of `record` seen from its side, in link order.
    fn links_of<'a>(&'a self, record: RecordId, module: Option<&'a str>) -> impl Iterator<Item = Relation> + 'a {
        self.relations.iter().filter_map(move |r| {
            let other = if r.record == record {
                r.related
            } else if r.related == record {
                r.record
            } else {
                return None;
            };
            let m = self.records.get(&other)?.module.clone();
            if module.is_some_and(|x| x != m) {
                return None;
            }
            Some(Relation { record, related: other, module: m, ..r.clone() })
        })
    }
}

impl RelationStore for MemoryStore {
    fn comments(&self, record: RecordId) -> Result<Vec<Comment>> {
        let mut v: Vec<Comment> = self.comments.iter().filter(|c| c.record == record).cloned().collect();
        v.sort_by(|a, b| b.at.cmp(&a.at).then(b.id.cmp(&a.id)));
        Ok(v)
    }

    fn comment(&self, id: i64) -> Result<Option<Comment>> {
        Ok(self.comments.iter().find(|c| c.id == id).cloned())
    }

    fn relations(&self, record: RecordId, module: Option<&str>, offset: u64, limit: Option<u64>) -> Result<Vec<Relation>> {
        let skip = usize::try_from(offset).unwrap_or(usize::MAX);
        let take = limit.map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
        Ok(self.links_of(record, module).skip(skip).take(take).collect())
    }

    fn count_relations(&self, record: RecordId, module: Option<&str>) -> Result<u64> {
        Ok(self.links_of(record, module).count() as u64)
    }
}
