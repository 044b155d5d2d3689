//! Save path: create and update one opportunity with every rule on, on SQLite (file) and in memory.
//!
//! Run: `cargo bench --bench save`

use criterion::{Criterion, criterion_group, criterion_main};
use crm::{Crm, Fields, NewUser};
use std::hint::black_box;

fn setup(path: &str) -> Crm {
    let mut crm = Crm::open(path).expect("open store");
    crm.add_user(NewUser::new("admin").full_name("Administrator")).expect("user");
    crm.set_actor("admin").expect("actor");
    crm.create("Accounts", Fields::new().with("accountname", "Hooli")).expect("org");
    crm
}

fn deal(i: u64) -> Fields {
    Fields::new()
        .with("potentialname", format!("Deal {i}"))
        .with("related_to", "Hooli")
        .with("amount", format!("{}.50", 1000 + i % 9000))
        .with("sales_stage", "Prospecting")
        .with("closingdate", "2027-03-31")
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("bench.db");
    for (name, path) in [("sqlite", file.to_str().expect("utf-8 path")), ("memory", ":memory:")] {
        let mut crm = setup(path);
        let mut i = 0u64;
        c.bench_function(&format!("create_opportunity/{name}"), |b| {
            b.iter(|| {
                i += 1;
                black_box(crm.create("Potentials", deal(i)).expect("create"))
            })
        });
        let id = crm.create("Potentials", deal(0)).expect("create").id;
        let stages = ["Qualification", "Needs Analysis", "Value Proposition", "Closed Won"];
        c.bench_function(&format!("update_stage/{name}"), |b| {
            b.iter(|| {
                i += 1;
                let stage = stages[(i % 4) as usize];
                black_box(crm.update(id, Fields::new().with("sales_stage", stage).with("amount", format!("{i}.25"))).expect("update"))
            })
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
