//! Query condition trees nest at most `limits::MAX_QUERY_DEPTH` levels: a deeper tree (a host building
//! one by mistake, or a binding handing over a deep structure) gets `InvalidArgument` naming the limit on
//! every read path and every backend, never a stack overflow.

mod support;
use crm_core::limits::MAX_QUERY_DEPTH;
use crm_core::{Condition, Fields, Query};
use support::Backend;

/// `depth` levels: `not(not(...(potentialname = x)))` (or `all([all([...])])`), built without recursion.
fn deep(depth: usize, all: bool) -> Condition {
    let mut c = Condition::eq("potentialname", "Deal");
    for _ in 1..depth {
        c = if all { Condition::All(vec![c]) } else { Condition::Not(Box::new(c)) };
    }
    c
}

fn deep_query_trees_are_refused(b: Backend) {
    let mut t = b.crm();
    t.crm
        .create(
            "Potentials",
            Fields::new().with("potentialname", "Deal").with("sales_stage", "Prospecting").with("closingdate", "2027-01-01"),
        )
        .unwrap();
    // At the limit: fine (an odd number of levels is the comparison itself, even is its negation).
    let q = |c: Condition| Query::new("Potentials").filter(c);
    assert_eq!(t.crm.count(q(deep(MAX_QUERY_DEPTH, true))).unwrap(), 1);
    assert_eq!(t.crm.find(q(deep(MAX_QUERY_DEPTH - 1, false))).unwrap().len(), 1);
    for depth in [MAX_QUERY_DEPTH + 1, 1_000, 200_000] {
        for all in [false, true] {
            let errors = [
                t.crm.find(q(deep(depth, all))).unwrap_err(),
                t.crm.count(q(deep(depth, all))).unwrap_err(),
                t.crm.aggregate(q(deep(depth, all)), Some("sales_stage"), &["amount"]).unwrap_err(),
                t.crm.matcher("Potentials").unwrap().scan_rows(q(deep(depth, all)), &mut |_| true).unwrap_err(),
            ];
            for e in errors {
                assert_eq!(e.code(), "invalid_argument", "{e}");
                assert!(e.to_string().contains("MAX_QUERY_DEPTH"), "{e}");
            }
        }
    }
    // The handle is still usable.
    assert_eq!(t.crm.count(Query::new("Potentials")).unwrap(), 1);
}

on_every_backend!(deep_query_trees_are_refused);
