//! Declared indexes as an API: [`Crm::add_index`], [`Crm::drop_index`], [`Crm::indexes`].
//!
//! Each add or drop is a logged schema change ([`SchemaChange::AddIndex`], [`SchemaChange::DropIndex`]),
//! stored in one transaction with its change-log entry; the SQLite and PostgreSQL stores build or drop the
//! real index in that transaction (building one over many rows takes as long as a sort of them), the memory
//! store keeps the definition only. List queries need no hint: a filter on the leading fields and a sort by
//! the next one are served by the index (see `storage::sqlite` for the query shapes).
//! vtiger has no such feature; see [`crate::schema::index`].

use super::Crm;
use crate::error::{Error, Result};
use crate::schema::edit::{SchemaChange, SchemaChangeEntry, SchemaError};
use crate::schema::index::IndexDef;

impl Crm {
    /// Declares a composite index over `fields` (names or labels, in index order) of `module` and returns
    /// it. The index is part of the schema: stored with it, seen by every handle, kept across reopen.
    ///
    /// # Example
    /// ```
    /// use crm_core::Crm;
    /// # fn main() -> Result<(), crm_core::Error> {
    /// let mut crm = Crm::open(":memory:")?;
    /// let ix = crm.add_index("Potentials", &["sales_stage", "closingdate"])?;
    /// assert_eq!(ix.fields, ["sales_stage", "closingdate"]);
    /// assert_eq!(crm.indexes("Potentials")?, vec![ix]);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// `Schema`: `UnknownModule`, `UnknownField`, `DuplicateIndex` (same field list declared),
    /// `InvalidIndex` (no field, more than [`MAX_INDEX_FIELDS`](crate::schema::index::MAX_INDEX_FIELDS),
    /// a field twice, more than [`MAX_INDEXES_PER_MODULE`](crate::schema::index::MAX_INDEXES_PER_MODULE)).
    pub fn add_index(&mut self, module: &str, fields: &[&str]) -> Result<IndexDef> {
        let change =
            SchemaChange::AddIndex { module: module.into(), fields: fields.iter().map(|f| (*f).to_string()).collect(), name: None };
        let entry = self.apply_schema_change(change)?;
        let SchemaChange::AddIndex { module, name, .. } = entry.change else { return Err(Error::invalid("unexpected change")) };
        self.indexes(&module)?.into_iter().find(|i| Some(&i.name) == name.as_ref()).ok_or_else(|| Error::not_found("the new index"))
    }

    /// Drops the declared index over exactly `fields` (names or labels, in index order) of `module`.
    ///
    /// # Errors
    /// `Schema`: `UnknownModule`, `UnknownField`, `UnknownIndex` (no index on that field list).
    pub fn drop_index(&mut self, module: &str, fields: &[&str]) -> Result<SchemaChangeEntry> {
        self.apply_schema_change(SchemaChange::DropIndex {
            module: module.into(),
            fields: fields.iter().map(|f| (*f).to_string()).collect(),
        })
    }

    /// The declared indexes of `module`, in the order they were added (the schema in force, including
    /// changes made through other handles).
    ///
    /// # Errors
    /// `Schema(UnknownModule)`; storage errors.
    pub fn indexes(&self, module: &str) -> Result<Vec<IndexDef>> {
        let s = self.current_schema()?;
        let m = s.module(module).ok_or_else(|| SchemaError::UnknownModule(module.to_string()))?;
        Ok(m.indexes.clone())
    }
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use crate::query::{Condition, Query};
    use crate::storage::sqlite::SqliteStore;
    use crate::{Crm, Fields, NewUser, RecordId, Value};

    /// The deep list page of the benches (a stage filter, newest close date first; by offset and by keyset)
    /// is served by the declared index, without a temporary B-tree for the ORDER BY. Asserts on the plan
    /// text only, never on time.
    #[test]
    fn deep_page_plan_uses_the_declared_index() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("crm.db");
        let mut crm = Crm::open(path.to_str().unwrap()).unwrap();
        crm.add_user(NewUser::new("admin")).unwrap();
        crm.set_actor("admin").unwrap();
        for i in 0..50 {
            let stage = ["Prospecting", "Closed Won", "Closed Lost"][i % 3];
            let f = Fields::new()
                .with("potentialname", format!("D{i}"))
                .with("sales_stage", stage)
                .with("closingdate", format!("2027-01-{:02}", 1 + i % 28));
            crm.create("Potentials", f).unwrap();
        }
        let ix = crm.add_index("Potentials", &["sales_stage", "closingdate"]).unwrap();
        let m = crm.module("Potentials").unwrap().clone();
        let sql_name = ix.sql_name(&m);
        let mut store = SqliteStore::open(&path).unwrap();
        crate::storage::SchemaStore::load_schema(&mut store).unwrap();
        let deep =
            || Query::new("Potentials").filter(Condition::eq("sales_stage", "Closed Won")).order_by("-closingdate").normalize(&m).unwrap();
        let offset = deep().offset(10).limit(20);
        let mut keyset = deep().limit(20);
        let key = keyset.sort[0].clone();
        let (after, tail) = super::super::views::keyset_after(&key, &Value::Text("2027-01-10".into()), RecordId(20));
        let base = keyset.condition.take().unwrap();
        let mut empty_tail = keyset.clone();
        keyset.condition = Some(Condition::All(vec![base.clone(), after]));
        empty_tail.condition = Some(Condition::All(vec![base, tail.unwrap()]));
        for q in [offset, keyset, empty_tail] {
            let plan = store.query_plan(&q).unwrap();
            let text = plan.join("\n");
            assert!(text.contains(&format!("USING INDEX {sql_name}")), "{text}");
            assert!(!text.contains("TEMP B-TREE"), "{text}");
        }
    }
}
