//! Transactions through the C functions: commit keeps every write, rollback none, and the misuse of
//! begin/commit/rollback is `CRM_STATUS_CONFLICT`.

use super::*;

fn count(st: &Store) -> u64 {
    let mut n = 0u64;
    ok(unsafe { crm_record_count(st.0, s(r#"{"module": "Potentials"}"#).as_ptr(), &mut n) });
    n
}

fn is_open(st: &Store) -> bool {
    let mut open = true;
    ok(unsafe { crm_transaction_is_open(st.0, &mut open) });
    open
}

#[test]
fn transactions_commit_together_or_roll_back() {
    for st in both() {
        assert!(!is_open(&st));
        ok(unsafe { crm_transaction_begin(st.0) });
        assert!(is_open(&st));
        deal(&st, "A", "Prospecting", "100", "2027-03-31");
        deal(&st, "B", "Prospecting", "200", "2027-03-31");
        assert_eq!(count(&st), 2, "the handle reads its own writes");
        ok(unsafe { crm_transaction_rollback(st.0) });
        assert!(!is_open(&st));
        assert_eq!(count(&st), 0, "rolled back");

        ok(unsafe { crm_transaction_begin(st.0) });
        assert_eq!(unsafe { crm_transaction_begin(st.0) }, crm_status::Conflict);
        assert!(msg().contains("already open"), "{}", msg());
        deal(&st, "C", "Prospecting", "300", "2027-03-31");
        ok(unsafe { crm_transaction_commit(st.0) });
        assert_eq!(count(&st), 1);

        assert_eq!(unsafe { crm_transaction_commit(st.0) }, crm_status::Conflict);
        assert_eq!(unsafe { crm_transaction_rollback(st.0) }, crm_status::Conflict);
        assert_eq!(unsafe { crm_transaction_begin(ptr::null_mut()) }, crm_status::NullPointer);
        assert_eq!(unsafe { crm_transaction_is_open(st.0, ptr::null_mut()) }, crm_status::NullPointer);
    }
}
