//! Reading a result of any size in bounded memory: [`Crm::find_each`] hands out the records a query selects
//! one at a time from one read of the store, on every backend. It gives what `find` gives (order, page,
//! filters, recycle bin), stops when told, passes the callback's error on, and its memory does not grow with
//! the number of records: this binary counts the bytes each thread holds (a counting global allocator)
//! and compares the peak of walking 8,000 records with `find_each` against the peak of `find`.

mod support;
use crm_core::io::ImportOptions;
use crm_core::{Condition, Crm, Error, Op, Query, RecordId};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::Mutex;
use support::Backend;

/// The system allocator, counting per thread the bytes live now and the most live since [`peak_growth`] began.
struct Counting;

thread_local! {
    // Per thread: tests of other backends run at the same time in this binary, and their allocations must
    // not count against the walk being measured. Const-initialised cells without destructors: using them
    // never allocates.
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

/// Adds `delta` bytes to this thread's live count and raises its peak.
fn count(delta: isize) {
    let _ = LIVE.try_with(|live| {
        let now = live.get() + delta;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        count(-(layout.size() as isize));
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            count(new_size as isize - layout.size() as isize);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

static MEASURING: Mutex<()> = Mutex::new(());

/// Bytes allocated beyond what was live when `f` started, at its peak.
fn peak_growth(f: impl FnOnce()) -> usize {
    let base = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(base));
    f();
    usize::try_from(PEAK.with(Cell::get) - base).unwrap_or(0)
}

fn import_deals(crm: &mut Crm, n: usize) {
    let mut csv = String::from("Opportunity Name,Sales Stage,Expected Close Date,Amount,Next Step\n");
    let stages = ["Prospecting", "Qualification", "Closed Won"];
    for i in 0..n {
        csv.push_str(&format!(
            "Deal {i:05},{},2027-{:02}-15,{}.50,Call back about the proposal and the contract terms\n",
            stages[i % 3],
            1 + i % 12,
            1000 + i
        ));
    }
    let report = crm.import_csv(csv.as_bytes(), "Potentials", &ImportOptions::default(), None).unwrap();
    assert_eq!(report.created as usize, n);
}

fn ids(crm: &Crm, q: Query) -> Vec<RecordId> {
    let mut out = Vec::new();
    crm.find_each(q, |r| {
        out.push(r.id);
        Ok(true)
    })
    .unwrap();
    out
}

fn find_each_gives_what_find_gives(b: Backend) {
    let mut t = b.crm();
    import_deals(&mut t.crm, 120);
    let crm = &mut t.crm;
    let gone = crm.find(Query::new("Potentials").order_by("potentialname").limit(3)).unwrap();
    for r in &gone {
        crm.delete(r.id).unwrap();
    }
    let queries = [
        Query::new("Potentials"),
        Query::new("Potentials").order_by("potentialname"),
        Query::new("Potentials").order_by("-amount").order_by("potentialname"),
        Query::new("Potentials").order_by("sales_stage").offset(7).limit(50),
        Query::new("Potentials").filter(Condition::cmp("sales_stage", Op::Eq, "Closed Won")).order_by("-closingdate"),
        Query::new("Potentials").in_recycle_bin(),
    ];
    for q in queries {
        let want: Vec<RecordId> = crm.find(q.clone()).unwrap().iter().map(|r| r.id).collect();
        assert!(!want.is_empty(), "{q:?} selects something");
        assert_eq!(ids(crm, q.clone()), want, "find_each walks {q:?} as find lists it");
    }
    // Whole records, not only ids.
    let q = Query::new("Potentials").order_by("potentialname").limit(5);
    let mut records = Vec::new();
    crm.find_each(q.clone(), |r| {
        records.push(r);
        Ok(true)
    })
    .unwrap();
    assert_eq!(records, crm.find(q).unwrap());
}

fn find_each_stops_when_told_and_passes_errors_on(b: Backend) {
    let mut t = b.crm();
    import_deals(&mut t.crm, 30);
    let crm = &t.crm;
    let mut seen = 0;
    crm.find_each(Query::new("Potentials").order_by("potentialname"), |_| {
        seen += 1;
        Ok(seen < 4)
    })
    .unwrap();
    assert_eq!(seen, 4, "returning false stops the walk");
    let mut seen = 0;
    let err = crm
        .find_each(Query::new("Potentials"), |_| {
            seen += 1;
            if seen == 2 { Err(Error::NotFound("stop here".into())) } else { Ok(true) }
        })
        .unwrap_err();
    assert!(matches!(err, Error::NotFound(ref m) if m == "stop here"), "{err:?}");
    assert_eq!(seen, 2);
    // The handle goes on working after a walk stopped half-way (the statement was let go).
    assert_eq!(crm.count(Query::new("Potentials")).unwrap(), 30);
    assert_eq!(ids(crm, Query::new("Potentials")).len(), 30);
    let bad = crm.find_each(Query::new("Potentials").order_by("no_such_field"), |_| Ok(true)).unwrap_err();
    assert!(bad.to_string().contains("no_such_field"), "{bad}");
}

fn find_each_memory_does_not_grow_with_the_result(b: Backend) {
    const N: usize = 8_000;
    let mut t = b.crm();
    import_deals(&mut t.crm, N);
    let crm = &t.crm;
    let _one_at_a_time = MEASURING.lock().unwrap_or_else(|e| e.into_inner());
    let q = Query::new("Potentials").order_by("potentialname");
    // Warm the store's statement cache and schema so neither run pays for it.
    assert_eq!(crm.find(q.clone().limit(1)).unwrap().len(), 1);
    let mut walked = 0usize;
    let streamed = peak_growth(|| {
        crm.find_each(q.clone(), |r| {
            walked += usize::from(r.get("amount").to_text().is_some());
            Ok(true)
        })
        .unwrap()
    });
    assert_eq!(walked, N);
    let listed = peak_growth(|| assert_eq!(crm.find(q.clone()).unwrap().len(), N));
    // `find` holds every record (well over a megabyte here); `find_each` one at a time, plus what the
    // store needs for one statement.
    assert!(listed > 1 << 20, "find holds the whole result: {listed} bytes");
    assert!(streamed * 8 < listed, "find_each peaked at {streamed} bytes, find at {listed}: it must not hold the result");
}

on_every_backend!(
    find_each_gives_what_find_gives,
    find_each_stops_when_told_and_passes_errors_on,
    find_each_memory_does_not_grow_with_the_result
);
