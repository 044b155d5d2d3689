//! Slot rows: a record's values by field position, for evaluating one condition against many records.
//!
//! [`Record`] stays the API everywhere (services, stores, bindings): its [`Values`] behave as a map by field
//! name, and records from the stores keep them in the slots of the module's [`RowLayout`], which a compiled
//! condition reads by slot too. A [`Row`] holds one record's values as a plain `Vec` in the order of the
//! module's fields ([`Module::fields`]) with `Null` for empty, so a compiled condition
//! ([`CompiledCond`](crate::workflow::compiled::CompiledCond)) resolves each field to its slot once and then
//! reads `values[slot]` directly. Rows are made by stores ([`RecordStore::scan_rows`](crate::storage::RecordStore::scan_rows))
//! without building maps, or converted from and to records ([`Row::from_record`], [`Row::into_record`]).
//!
//! Every row carries its [`RowLayout`] (module name, field names and types, and a fingerprint of them), so a
//! row of another module or of an older layout of the same module is refused with an `InvalidArgument`
//! error instead of being read by the wrong slots. vtiger has no such type.

use crate::error::{Error, Result};
use crate::record::{Record, Values};
use crate::schema::{FieldType, Module};
use crate::value::{RecordId, Value};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// The slot layout of one module's rows: its name and fields in [`Module::fields`] order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowLayout {
    module: String,
    fields: Vec<(String, FieldType)>,
    fingerprint: u64,
    /// The slots in the order of their field names (a repeated name keeps only its first slot): how
    /// [`Values`](crate::record::Values) iterates in name order and finds a name's slot.
    by_name: Vec<usize>,
}

impl RowLayout {
    /// The layout of `module`'s rows (shared by every row made with it).
    pub fn new(module: &Module) -> Arc<RowLayout> {
        let fields: Vec<(String, FieldType)> = module.fields.iter().map(|f| (f.name.clone(), f.field_type)).collect();
        let mut by_name: Vec<usize> = (0..fields.len()).collect();
        // Stable: of a repeated name the first slot comes first and is the one kept.
        by_name.sort_by(|&a, &b| fields[a].0.cmp(&fields[b].0));
        by_name.dedup_by(|b, a| fields[*a].0 == fields[*b].0);
        Arc::new(RowLayout { fingerprint: fingerprint(&module.name, &fields), module: module.name.clone(), fields, by_name })
    }

    /// The module name.
    pub fn module(&self) -> &str {
        &self.module
    }

    /// Field names and types, by slot.
    pub fn fields(&self) -> &[(String, FieldType)] {
        &self.fields
    }

    /// The slot of a field, if the layout has it (the first one, should a name repeat).
    #[inline]
    pub fn slot(&self, field: &str) -> Option<usize> {
        let i = self.by_name.binary_search_by(|&s| self.name(s).cmp(field)).ok()?;
        self.by_name.get(i).copied()
    }

    /// The field name in `slot` (empty past the end).
    #[inline]
    pub(crate) fn name(&self, slot: usize) -> &str {
        self.fields.get(slot).map_or("", |(n, _)| n.as_str())
    }

    /// The field name in `slot`, as the `String` the layout holds.
    #[inline]
    pub(crate) fn name_string(&self, slot: usize) -> Option<&String> {
        self.fields.get(slot).map(|(n, _)| n)
    }

    /// The slots in the order of their field names, each name once.
    #[inline]
    pub(crate) fn by_name(&self) -> &[usize] {
        &self.by_name
    }

    /// A number that differs between layouts (module name, field names, order and types hashed).
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// True when `a` and `b` lay values out alike: the same `Arc`, or layouts equal field by field (two
    /// handles or two caches build their own `Arc` of one module's layout).
    #[inline]
    pub(crate) fn same(a: &Arc<RowLayout>, b: &Arc<RowLayout>) -> bool {
        Arc::ptr_eq(a, b) || (a.fingerprint == b.fingerprint && **a == **b)
    }

    /// True when every field name is in one slot only (the slots are then exactly the fields by name).
    #[inline]
    pub(crate) fn names_unique(&self) -> bool {
        self.by_name.len() == self.fields.len()
    }

    /// True when rows of this layout are laid out as `module`'s fields are.
    pub fn fits(&self, module: &Module) -> bool {
        self.module == module.name
            && self.fields.len() == module.fields.len()
            && self.fields.iter().zip(&module.fields).all(|((n, t), f)| *n == f.name && *t == f.field_type)
    }

    /// `InvalidArgument` unless this layout's fingerprint is `fingerprint` (for the layout a consumer was
    /// prepared for, `what` names the consumer in the message).
    pub(crate) fn expect(&self, fingerprint: u64, what: &str) -> Result<()> {
        if self.fingerprint == fingerprint {
            Ok(())
        } else {
            Err(Error::invalid(format!(
                "row of {} ({} fields, layout {:016x}) does not have the layout {what} was prepared for ({fingerprint:016x}); \
                 prepare it again for the current schema",
                self.module,
                self.fields.len(),
                self.fingerprint
            )))
        }
    }
}

/// The fingerprint of a layout (see [`RowLayout::fingerprint`]).
pub(crate) fn fingerprint(module: &str, fields: &[(String, FieldType)]) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    module.hash(&mut h);
    fields.hash(&mut h);
    h.finish()
}

/// The fingerprint `module`'s layout has, without building the layout.
pub(crate) fn module_fingerprint(module: &Module) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    module.name.hash(&mut h);
    module.fields.len().hash(&mut h);
    for f in &module.fields {
        (f.name.as_str(), f.field_type).hash(&mut h);
    }
    h.finish()
}

/// One record's values by field slot (see the module docs). Empty fields hold [`Value::Null`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The record id.
    pub id: RecordId,
    /// The record's name (see [`Record::label`]).
    pub label: String,
    /// The record's version (see [`Record::version`]).
    pub version: u64,
    /// True while the record is in the recycle bin.
    pub deleted: bool,
    layout: Arc<RowLayout>,
    values: Vec<Value>,
}

static NULL: Value = Value::Null;

impl Row {
    /// A row of `layout` from values by slot (missing trailing slots are empty).
    ///
    /// # Errors
    /// `InvalidArgument` when more values than the layout's fields are given.
    pub fn new(layout: &Arc<RowLayout>, id: RecordId, mut values: Vec<Value>) -> Result<Row> {
        if values.len() > layout.fields.len() {
            return Err(Error::invalid(format!(
                "{} values given for the {} fields of {}",
                values.len(),
                layout.fields.len(),
                layout.module
            )));
        }
        values.resize(layout.fields.len(), Value::Null);
        Ok(Row { id, label: String::new(), version: 0, deleted: false, layout: Arc::clone(layout), values })
    }

    /// The row of `record` in `layout`. Values of fields the layout does not have are dropped (conditions
    /// are checked against the module, so they cannot name such fields).
    ///
    /// # Errors
    /// `InvalidArgument` when the record is not of the layout's module.
    pub fn from_record(layout: &Arc<RowLayout>, record: &Record) -> Result<Row> {
        if record.module != layout.module {
            return Err(Error::invalid(format!("record {} is a {} record, not {}", record.id, record.module, layout.module)));
        }
        let values = record.values.by_layout(layout).cloned().collect();
        Ok(Row {
            id: record.id,
            label: record.label.clone(),
            version: record.version,
            deleted: record.deleted,
            layout: Arc::clone(layout),
            values,
        })
    }

    /// Used by stores: a row whose values were read in slot order (`values.len()` must equal the layout's
    /// field count, which the store guarantees by reading the layout's columns).
    pub(crate) fn from_parts(layout: &Arc<RowLayout>, id: RecordId, label: String, version: u64, deleted: bool, values: Vec<Value>) -> Row {
        debug_assert_eq!(values.len(), layout.fields.len());
        Row { id, label, version, deleted, layout: Arc::clone(layout), values }
    }

    /// The row's layout.
    pub fn layout(&self) -> &Arc<RowLayout> {
        &self.layout
    }

    /// The module name.
    pub fn module(&self) -> &str {
        &self.layout.module
    }

    /// The value of a field by name (`Value::Null` when empty or unknown).
    pub fn get(&self, field: &str) -> &Value {
        self.layout.slot(field).map_or(&NULL, |s| self.value(s))
    }

    /// The value in a slot (`Value::Null` past the end).
    #[inline]
    pub fn value(&self, slot: usize) -> &Value {
        self.values.get(slot).unwrap_or(&NULL)
    }

    /// Every value, by slot.
    pub fn values(&self) -> &[Value] {
        &self.values
    }

    /// The record this row holds (`Null` slots left out), its values kept in the row's layout.
    pub fn to_record(&self) -> Record {
        let slots = self.values.iter().map(|v| (!matches!(v, Value::Null)).then(|| v.clone())).collect();
        Record {
            id: self.id,
            module: self.layout.module.clone(),
            label: self.label.clone(),
            version: self.version,
            deleted: self.deleted,
            values: Values::from_slots(&self.layout, slots),
        }
    }

    /// The record this row holds, consuming the row.
    pub fn into_record(self) -> Record {
        let slots = self.values.into_iter().map(|v| (!matches!(v, Value::Null)).then_some(v)).collect();
        Record {
            id: self.id,
            module: self.layout.module.clone(),
            label: self.label,
            version: self.version,
            deleted: self.deleted,
            values: Values::from_slots(&self.layout, slots),
        }
    }
}

/// Many rows of one layout stored column by column: each field's values of every row in one contiguous
/// `Vec`, and each column's text once more, back to back in one buffer. Evaluating a condition row by row
/// then reads a few contiguous columns (the fields it tests) instead of one scattered allocation per row
/// and per text, so the hardware prefetches what comes next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rows {
    layout: Arc<RowLayout>,
    ids: Vec<RecordId>,
    labels: Vec<String>,
    versions: Vec<u64>,
    deleted: Vec<bool>,
    columns: Vec<Vec<Value>>,
    /// Per slot: every row's text (empty for other values) back to back, and where each row's text ends.
    texts: Vec<(String, Vec<usize>)>,
}

impl Rows {
    /// No rows, of `layout`.
    pub fn new(layout: &Arc<RowLayout>) -> Rows {
        Rows {
            layout: Arc::clone(layout),
            ids: Vec::new(),
            labels: Vec::new(),
            versions: Vec::new(),
            deleted: Vec::new(),
            columns: vec![Vec::new(); layout.fields.len()],
            texts: vec![(String::new(), Vec::new()); layout.fields.len()],
        }
    }

    /// Appends a row.
    ///
    /// # Errors
    /// `InvalidArgument` when the row has another layout.
    pub fn push(&mut self, row: Row) -> Result<()> {
        row.layout.expect(self.layout.fingerprint, "these rows")?;
        self.ids.push(row.id);
        self.labels.push(row.label);
        self.versions.push(row.version);
        self.deleted.push(row.deleted);
        for ((c, (buf, ends)), v) in self.columns.iter_mut().zip(&mut self.texts).zip(row.values) {
            if let Value::Text(t) = &v {
                buf.push_str(t);
            }
            ends.push(buf.len());
            c.push(v);
        }
        Ok(())
    }

    /// The rows' layout.
    pub fn layout(&self) -> &Arc<RowLayout> {
        &self.layout
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when there is no row.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The record id of row `i`.
    pub fn id(&self, i: usize) -> Option<RecordId> {
        self.ids.get(i).copied()
    }

    /// The value of row `i` in `slot` (`Value::Null` out of range).
    #[inline]
    pub fn value(&self, i: usize, slot: usize) -> &Value {
        self.columns.get(slot).and_then(|c| c.get(i)).unwrap_or(&NULL)
    }

    /// The text of row `i` in `slot` read from the column's text buffer (empty when the value is not text).
    #[inline]
    pub fn text(&self, i: usize, slot: usize) -> &str {
        let Some((buf, ends)) = self.texts.get(slot) else { return "" };
        let end = ends.get(i).copied().unwrap_or(0);
        let start = i.checked_sub(1).and_then(|p| ends.get(p)).copied().unwrap_or(0);
        buf.get(start..end).unwrap_or("")
    }

    /// Every row's value of one slot.
    pub fn column(&self, slot: usize) -> &[Value] {
        self.columns.get(slot).map_or(&[], Vec::as_slice)
    }

    /// Row `i`, copied out.
    pub fn row(&self, i: usize) -> Option<Row> {
        Some(Row {
            id: *self.ids.get(i)?,
            label: self.labels.get(i)?.clone(),
            version: *self.versions.get(i)?,
            deleted: *self.deleted.get(i)?,
            layout: Arc::clone(&self.layout),
            values: self.columns.iter().map(|c| c.get(i).cloned().unwrap_or(Value::Null)).collect(),
        })
    }

    /// Row `i` as a record.
    pub fn record(&self, i: usize) -> Option<Record> {
        self.row(i).map(Row::into_record)
    }
}

/// A record of no module with no values (what a row out of range reads as).
pub(crate) fn empty_record() -> Record {
    Record { id: RecordId(0), module: String::new(), label: String::new(), version: 0, deleted: false, values: Values::new() }
}

#[cfg(test)]
mod tests {
    use super::{Row, RowLayout, module_fingerprint};
    use crate::record::Record;
    use crate::schema::Schema;
    use crate::value::{RecordId, Value};

    #[test]
    fn rows_round_trip_records_and_refuse_other_modules() {
        let s = Schema::builtin();
        let m = s.module("Potentials").expect("module");
        let layout = RowLayout::new(m);
        assert_eq!(layout.fingerprint(), module_fingerprint(m));
        assert!(layout.fits(m));
        let mut r = Record {
            id: RecordId(7),
            module: "Potentials".into(),
            label: "Deal".into(),
            version: 3,
            deleted: false,
            values: Default::default(),
        };
        r.values.insert("potentialname".into(), Value::Text("Deal".into()));
        r.values.insert("amount".into(), Value::Int(5));
        let row = Row::from_record(&layout, &r).expect("row");
        assert_eq!(row.get("amount"), &Value::Int(5));
        assert_eq!(row.get("nope"), &Value::Null);
        assert_eq!(row.to_record(), r);
        assert_eq!(row.into_record(), r);
        r.module = "Contacts".into();
        assert!(Row::from_record(&layout, &r).is_err());
        let other = RowLayout::new(s.module("Contacts").expect("module"));
        assert_ne!(other.fingerprint(), layout.fingerprint());
        assert!(!other.fits(m));
        assert!(Row::new(&layout, RecordId(1), vec![Value::Null; m.fields.len() + 1]).is_err());
        let mut rows = super::Rows::new(&layout);
        r.module = "Potentials".into();
        rows.push(Row::from_record(&layout, &r).expect("row")).expect("push");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows.record(0), Some(r.clone()));
        assert_eq!(rows.value(0, layout.slot("amount").expect("slot")), &Value::Int(5));
        assert_eq!(rows.value(1, 0), &Value::Null);
        assert_eq!(rows.text(0, layout.slot("potentialname").expect("slot")), "Deal");
        assert_eq!(rows.text(0, layout.slot("amount").expect("slot")), "");
        assert_eq!(rows.text(5, 0), "");
        assert!(rows.record(1).is_none());
        let contact = Row::new(&other, RecordId(2), vec![]).expect("row");
        assert!(rows.push(contact).is_err());
    }
}
