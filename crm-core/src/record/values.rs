//! [`Values`]: a record's field values by name, held in the slots of its module's layout.
//!
//! A record's values behave exactly as a `BTreeMap<String, Value>` (what [`Record::values`](super::Record::values)
//! was before): iteration in field-name order, equality as maps, serde as one JSON object, `Debug` as a map.
//! Underneath, records handed out by the stores and made by saves carry their module's [`RowLayout`] (one
//! shared `Arc` per module and schema version) and keep one slot per layout field, so that a compiled
//! condition reads `slots[slot]` with no name comparison ([`CompiledCond`](crate::workflow::compiled::CompiledCond))
//! and a store writes a row slot by slot; names
//! outside the layout, and every name of values made without a layout, sit in a small `BTreeMap`. Which of
//! the two holds an entry is never observable: a layout-backed map and a plain one with the same entries are
//! equal, print, iterate and serialize the same.
//!
//! Looking a name up in a layout-backed map is a binary search over the layout's names in name order
//! (precomputed once per layout); the order of iteration comes from the same list.

use crate::row::RowLayout;
use crate::value::Value;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::{BTreeMap, btree_map};
use std::fmt;
use std::iter::{FusedIterator, Peekable};
use std::sync::Arc;

// A slot costs no more than the value it holds: `None` (absent) sits in a niche of `Value`'s tag.
const _: () = assert!(std::mem::size_of::<Option<Value>>() == std::mem::size_of::<Value>());

/// A record's field values by field name: a map with the behaviour of `BTreeMap<String, Value>`, kept in
/// the slots of a module's [`RowLayout`] when it has one (see the module docs).
///
/// # Example
/// ```
/// use crm_core::{RowLayout, Schema, Value, Values};
/// let schema = Schema::builtin();
/// let layout = RowLayout::new(schema.module("Potentials").expect("module"));
///
/// let mut slotted = Values::with_layout(&layout);
/// slotted.insert("sales_stage".into(), Value::Text("Prospecting".into()));
/// slotted.insert("amount".into(), Value::Int(5));
/// slotted.insert("not_a_field".into(), Value::Null); // outside the layout: kept by name
///
/// let plain: Values = [
///     ("amount".to_string(), Value::Int(5)),
///     ("not_a_field".to_string(), Value::Null),
///     ("sales_stage".to_string(), Value::Text("Prospecting".into())),
/// ]
/// .into_iter()
/// .collect();
/// assert_eq!(slotted, plain);
/// assert_eq!(slotted.keys().map(String::as_str).collect::<Vec<_>>(), ["amount", "not_a_field", "sales_stage"]);
/// assert_eq!(serde_json::to_string(&slotted)?, serde_json::to_string(&plain)?);
/// assert_eq!(slotted.remove("amount"), Some(Value::Int(5)));
/// assert!(!slotted.contains_key("amount") && slotted.len() == 2);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct Values {
    layout: Option<Arc<RowLayout>>,
    /// One per layout field (none without a layout): `None` is absent, `Some(Value::Null)` a present `Null`.
    slots: Vec<Option<Value>>,
    /// Names the layout does not have (every name without a layout). Never a name the layout has.
    rest: BTreeMap<String, Value>,
}

impl Values {
    /// No values, and no layout: every name is kept in a `BTreeMap`.
    ///
    /// ```
    /// let v = crm_core::Values::new();
    /// assert!(v.is_empty() && v.layout().is_none());
    /// ```
    pub const fn new() -> Values {
        Values { layout: None, slots: Vec::new(), rest: BTreeMap::new() }
    }

    /// No values, kept in the slots of `layout` (names outside it by name).
    ///
    /// ```
    /// use crm_core::{RowLayout, Schema, Values};
    /// let layout = RowLayout::new(Schema::builtin().module("Contacts").expect("module"));
    /// let v = Values::with_layout(&layout);
    /// assert!(v.is_empty() && v.layout().is_some());
    /// ```
    pub fn with_layout(layout: &Arc<RowLayout>) -> Values {
        Values { layout: Some(Arc::clone(layout)), slots: vec![None; layout.fields().len()], rest: BTreeMap::new() }
    }

    /// Values of `layout` read slot by slot (`slots[i]` for the layout's field `i`; missing trailing slots
    /// are absent, extra ones dropped). Used by the stores, which read a record's columns in field order.
    pub(crate) fn from_slots(layout: &Arc<RowLayout>, mut slots: Vec<Option<Value>>) -> Values {
        let n = layout.fields().len();
        if layout.by_name().len() != n {
            // A repeated field name: what inserting field by field keeps (the last value of the name).
            let mut v = Values::with_layout(layout);
            for (s, x) in slots.into_iter().enumerate() {
                if let (Some(x), Some(name)) = (x, layout.name_string(s)) {
                    v.insert(name.clone(), x);
                }
            }
            return v;
        }
        slots.resize(n, None);
        Values { layout: Some(Arc::clone(layout)), slots, rest: BTreeMap::new() }
    }

    /// The same entries, kept in the slots of `layout` (a no-op when they already are).
    ///
    /// ```
    /// use crm_core::{RowLayout, Schema, Value, Values};
    /// let layout = RowLayout::new(Schema::builtin().module("Potentials").expect("module"));
    /// let mut plain = Values::new();
    /// plain.insert("amount".into(), Value::Int(1));
    /// let slotted = plain.clone().into_layout(&layout);
    /// assert!(slotted.layout().is_some() && slotted == plain);
    /// ```
    pub fn into_layout(self, layout: &Arc<RowLayout>) -> Values {
        if self.layout.as_ref().is_some_and(|l| RowLayout::same(l, layout)) {
            return self;
        }
        let mut out = Values::with_layout(layout);
        out.extend(self);
        out
    }

    /// The layout whose slots hold the values, if any.
    pub fn layout(&self) -> Option<&Arc<RowLayout>> {
        self.layout.as_ref()
    }

    /// The value in slot `slot` of [`Values::layout`] (`None` when absent, past the end or without a
    /// layout). What a reader that resolved a field's slot once reads instead of [`Values::get`].
    ///
    /// ```
    /// use crm_core::{RowLayout, Schema, Value, Values};
    /// let layout = RowLayout::new(Schema::builtin().module("Potentials").expect("module"));
    /// let mut v = Values::with_layout(&layout);
    /// v.insert("amount".into(), Value::Int(7));
    /// assert_eq!(v.slot(layout.slot("amount").expect("slot")), Some(&Value::Int(7)));
    /// ```
    #[inline]
    pub fn slot(&self, slot: usize) -> Option<&Value> {
        self.slots.get(slot)?.as_ref()
    }

    /// Every slot, when the values are kept in `layout` (or one laid out alike, [`RowLayout::same`]) and
    /// each of its field names has one slot: `slots[i]` is then the value of the layout's field `i`. What a
    /// writer of whole rows reads instead of looking every field up by name.
    #[inline]
    pub(crate) fn slots_in(&self, layout: &Arc<RowLayout>) -> Option<&[Option<Value>]> {
        let own = self.layout.as_ref()?;
        (RowLayout::same(own, layout) && own.names_unique()).then_some(&self.slots[..])
    }

    /// The value of each field of `layout`, in slot order (`Null` for an absent one): slot by slot when the
    /// values are kept in that layout ([`Values::slots_in`]), else name by name. What a store writes as a
    /// row, and what a [`Row`](crate::row::Row) is made of.
    pub(crate) fn by_layout<'a>(&'a self, layout: &'a Arc<RowLayout>) -> impl Iterator<Item = &'a Value> + 'a {
        static NULL: Value = Value::Null;
        let slots = self.slots_in(layout);
        layout.fields().iter().enumerate().map(move |(i, (name, _))| match slots {
            Some(s) => s.get(i).and_then(Option::as_ref).unwrap_or(&NULL),
            None => self.get(name).unwrap_or(&NULL),
        })
    }

    #[inline]
    fn slot_of(&self, key: &str) -> Option<usize> {
        self.layout.as_ref()?.slot(key)
    }

    /// The value of `key` (as `BTreeMap::get`).
    #[inline]
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self.slot_of(key) {
            Some(s) => self.slots.get(s)?.as_ref(),
            None => self.rest.get(key),
        }
    }

    /// The value of `key`, to change in place (as `BTreeMap::get_mut`).
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        match self.slot_of(key) {
            Some(s) => self.slots.get_mut(s)?.as_mut(),
            None => self.rest.get_mut(key),
        }
    }

    /// True when `key` has a value, `Null` included (as `BTreeMap::contains_key`).
    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Sets `key` to `value`, returning the value it had (as `BTreeMap::insert`).
    pub fn insert(&mut self, key: String, value: Value) -> Option<Value> {
        if let Some(slot) = self.slot_of(&key).and_then(|s| self.slots.get_mut(s)) {
            return slot.replace(value);
        }
        self.rest.insert(key, value)
    }

    /// Removes `key`, returning its value (as `BTreeMap::remove`).
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        match self.slot_of(key) {
            Some(s) => self.slots.get_mut(s)?.take(),
            None => self.rest.remove(key),
        }
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.slots.iter().filter(|s| s.is_some()).count() + self.rest.len()
    }

    /// True when there is no entry.
    pub fn is_empty(&self) -> bool {
        self.rest.is_empty() && self.slots.iter().all(Option::is_none)
    }

    /// Removes every entry (the layout stays).
    pub fn clear(&mut self) {
        self.slots.fill(None);
        self.rest.clear();
    }

    /// The entries in name order.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            layout: self.layout.as_deref(),
            order: self.layout.as_deref().map_or(&[][..], RowLayout::by_name).iter(),
            slots: &self.slots,
            slot: None,
            rest: self.rest.iter().peekable(),
        }
    }

    /// The names in order.
    pub fn keys(&self) -> impl Iterator<Item = &String> + Clone + '_ {
        self.iter().map(|(k, _)| k)
    }

    /// The values in the order of their names.
    pub fn values(&self) -> impl Iterator<Item = &Value> + Clone + '_ {
        self.iter().map(|(_, v)| v)
    }

    /// Keeps the entries for which `f` returns true, visiting them in name order (as `BTreeMap::retain`).
    pub fn retain(&mut self, mut f: impl FnMut(&String, &mut Value) -> bool) {
        let Some(layout) = self.layout.clone() else {
            self.rest.retain(f);
            return;
        };
        let mut rest = std::mem::take(&mut self.rest).into_iter().peekable();
        for &s in layout.by_name() {
            let Some(name) = layout.name_string(s) else { continue };
            while let Some((k, mut v)) = rest.next_if(|(k, _)| k < name) {
                if f(&k, &mut v) {
                    self.rest.insert(k, v);
                }
            }
            if let Some(slot) = self.slots.get_mut(s)
                && let Some(v) = slot
                && !f(name, v)
            {
                *slot = None;
            }
        }
        for (k, mut v) in rest {
            if f(&k, &mut v) {
                self.rest.insert(k, v);
            }
        }
    }
}

impl From<BTreeMap<String, Value>> for Values {
    /// The same entries, without a layout (the migration path from the map `Record::values` was).
    fn from(rest: BTreeMap<String, Value>) -> Values {
        Values { layout: None, slots: Vec::new(), rest }
    }
}

impl From<Values> for BTreeMap<String, Value> {
    fn from(v: Values) -> BTreeMap<String, Value> {
        if v.layout.is_none() {
            return v.rest;
        }
        v.into_iter().collect()
    }
}

impl FromIterator<(String, Value)> for Values {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Values {
        Values::from(iter.into_iter().collect::<BTreeMap<_, _>>())
    }
}

impl Extend<(String, Value)> for Values {
    fn extend<I: IntoIterator<Item = (String, Value)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl PartialEq for Values {
    fn eq(&self, other: &Values) -> bool {
        if let (Some(a), Some(b)) = (&self.layout, &other.layout)
            && RowLayout::same(a, b)
        {
            return self.slots == other.slots && self.rest == other.rest;
        }
        self.iter().eq(other.iter())
    }
}

impl Eq for Values {}

impl fmt::Debug for Values {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Serialize for Values {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for Values {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Values, D::Error> {
        BTreeMap::<String, Value>::deserialize(d).map(Values::from)
    }
}

impl std::ops::Index<&str> for Values {
    type Output = Value;
    /// The value of `key`.
    ///
    /// # Panics
    /// When `key` has no value (as indexing a `BTreeMap`).
    fn index(&self, key: &str) -> &Value {
        self.get(key).expect("no entry found for key")
    }
}

/// The entries of a [`Values`] in name order ([`Values::iter`]).
#[derive(Clone)]
pub struct Iter<'a> {
    layout: Option<&'a RowLayout>,
    /// The layout's slots in name order, from the next one on.
    order: std::slice::Iter<'a, usize>,
    slots: &'a [Option<Value>],
    /// The next present slot's entry, once looked at.
    slot: Option<(&'a String, &'a Value)>,
    rest: Peekable<btree_map::Iter<'a, String, Value>>,
}

impl<'a> Iter<'a> {
    fn next_slot(&mut self) -> Option<(&'a String, &'a Value)> {
        let layout = self.layout?;
        for &s in self.order.by_ref() {
            if let Some(Some(v)) = self.slots.get(s) {
                return Some((layout.name_string(s)?, v));
            }
        }
        None
    }
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a String, &'a Value);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.slot.is_none() {
            self.slot = self.next_slot();
        }
        let rest_first = match (&self.slot, self.rest.peek()) {
            (Some((a, _)), Some((b, _))) => b < a,
            (None, _) => true,
            (Some(_), None) => false,
        };
        if rest_first { self.rest.next() } else { self.slot.take() }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let (rest, _) = self.rest.size_hint();
        let slots = self.order.len() + usize::from(self.slot.is_some());
        (rest + usize::from(self.slot.is_some()), Some(rest + slots))
    }
}

impl FusedIterator for Iter<'_> {}

impl<'a> IntoIterator for &'a Values {
    type Item = (&'a String, &'a Value);
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// The entries of a [`Values`] in name order, taken out of it (`Values::into_iter`).
pub struct IntoIter {
    layout: Option<Arc<RowLayout>>,
    /// The position in the layout's name order of the next slot to look at.
    pos: usize,
    slots: Vec<Option<Value>>,
    /// The next present slot and its value, once looked at.
    slot: Option<(usize, Value)>,
    rest: Peekable<btree_map::IntoIter<String, Value>>,
}

impl IntoIter {
    fn next_slot(&mut self) -> Option<(usize, Value)> {
        let layout = self.layout.as_ref()?;
        while let Some(&s) = layout.by_name().get(self.pos) {
            self.pos += 1;
            if let Some(v) = self.slots.get_mut(s).and_then(Option::take) {
                return Some((s, v));
            }
        }
        None
    }
}

impl Iterator for IntoIter {
    type Item = (String, Value);

    fn next(&mut self) -> Option<(String, Value)> {
        if self.slot.is_none() {
            self.slot = self.next_slot();
        }
        let name = |s: usize| self.layout.as_deref().map_or("", |l| l.name(s));
        let rest_first = match (&self.slot, self.rest.peek()) {
            (Some((s, _)), Some((b, _))) => b.as_str() < name(*s),
            (None, _) => true,
            (Some(_), None) => false,
        };
        if rest_first {
            return self.rest.next();
        }
        let (s, v) = self.slot.take()?;
        Some((name(s).to_string(), v))
    }
}

impl FusedIterator for IntoIter {}

impl IntoIterator for Values {
    type Item = (String, Value);
    type IntoIter = IntoIter;
    fn into_iter(self) -> IntoIter {
        IntoIter { layout: self.layout, pos: 0, slots: self.slots, slot: None, rest: self.rest.into_iter().peekable() }
    }
}

#[cfg(test)]
mod tests {
    use super::Values;
    use crate::row::RowLayout;
    use crate::schema::Schema;
    use crate::value::Value;
    use std::collections::BTreeMap;

    #[test]
    fn slotted_and_plain_maps_behave_as_one_btree_map() {
        let layout = RowLayout::new(Schema::builtin().module("Potentials").expect("module"));
        let mut slotted = Values::with_layout(&layout);
        let mut plain = Values::new();
        let mut map = BTreeMap::new();
        let names = ["amount", "zz_outside", "a_outside", "sales_stage", "potentialname", "closingdate"];
        for (i, n) in names.iter().enumerate() {
            let v = if i % 2 == 0 { Value::Int(i as i64) } else { Value::Null };
            assert_eq!(slotted.insert(n.to_string(), v.clone()), map.insert(n.to_string(), v.clone()));
            plain.insert(n.to_string(), v);
        }
        assert_eq!(slotted.insert("amount".into(), Value::Int(9)), map.insert("amount".into(), Value::Int(9)));
        plain.insert("amount".into(), Value::Int(9));
        assert_eq!(slotted.iter().collect::<Vec<_>>(), map.iter().collect::<Vec<_>>());
        assert_eq!(slotted.clone().into_iter().collect::<Vec<_>>(), map.clone().into_iter().collect::<Vec<_>>());
        assert_eq!((slotted.len(), plain.len()), (map.len(), map.len()));
        assert_eq!(slotted, plain);
        assert_eq!(format!("{slotted:?}"), format!("{map:?}"));
        assert_eq!(serde_json::to_string(&slotted).unwrap(), serde_json::to_string(&map).unwrap());
        let mut seen = Vec::new();
        slotted.retain(|k, _| {
            seen.push(k.clone());
            k != "sales_stage" && k != "a_outside"
        });
        map.retain(|k, _| k != "sales_stage" && k != "a_outside");
        assert_eq!(seen, names.iter().map(|n| n.to_string()).collect::<std::collections::BTreeSet<_>>().into_iter().collect::<Vec<_>>());
        assert_eq!(BTreeMap::from(slotted.clone()), map);
        assert_ne!(slotted, plain);
        assert_eq!(slotted, Values::from(map));
        assert_eq!(Values::with_layout(&layout), Values::new());
        assert!(Values::with_layout(&layout).is_empty());
    }
}
