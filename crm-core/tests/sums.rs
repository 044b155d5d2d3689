//! Sums beyond the range of exact decimals are a typed error on every store, never a panic or a wrapped
//! number, whether grouped by a field or by a date prefix. (Validation keeps amounts far below that range,
//! so the records are written through the storage port, as data another tool wrote would be.)

mod support;

use crm_core::storage::ChangeSet;
use crm_core::storage::RecordChange;
use crm_core::{Query, Record, RecordId, Schema, Value};
use rust_decimal::Decimal;
use support::Backend;

fn overflowing_sum_is_a_typed_error(b: Backend) {
    let Some(mut db) = b.database() else { return };
    let mut store = db.store();
    let schema = Schema::builtin();
    store.save_schema(&schema).unwrap();
    let half = Decimal::MAX / Decimal::from(2) + Decimal::ONE;
    let mut changes = ChangeSet::new();
    for id in [1, 2] {
        let mut r = Record {
            id: RecordId(id),
            module: "Potentials".into(),
            label: format!("deal {id}"),
            deleted: false,
            version: 1,
            values: Default::default(),
        };
        r.values.insert("amount".into(), Value::Decimal(half));
        r.values.insert("sales_stage".into(), Value::Text("Prospecting".into()));
        r.values.insert("closingdate".into(), Value::Text("2027-03-31".into()));
        changes.push(RecordChange::Insert(r));
    }
    store.commit(&changes).unwrap();
    let q = Query::new("Potentials").normalize(&schema.modules["Potentials"]).unwrap();
    for group in [None, Some("sales_stage")] {
        let err = store.aggregate(&q, group, &["amount"]).unwrap_err();
        assert_eq!(err.code(), "invalid_argument", "{err}");
    }
    let err = store.aggregate_by_date_prefix(&q, "closingdate", 7, &["amount"]).unwrap_err();
    assert_eq!(err.code(), "invalid_argument", "{err}");
}

on_every_backend!(overflowing_sum_is_a_typed_error);
