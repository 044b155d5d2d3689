//! Replays the kept fuzz corpora (`fuzz/corpus/<target>/`) and every crash reproducer
//! (`fuzz/regressions/<target>/`) through the same harness functions the libFuzzer binaries call
//! (`crm_core::fuzzing`), on stable Rust, as part of `cargo test`. An input that once crashed the engine
//! stays a test forever. The C ABI target (`ffi_json`) is replayed by `crm-ffi/tests/fuzz_corpus.rs`.

use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// Every file of `fuzz/<kind>/<target>/`, sorted.
fn inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let dir = fuzz_dir().join(kind).join(target);
    let mut v: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file()).collect(),
        Err(_) => vec![],
    };
    v.sort();
    v
}

fn replay(target: &str) {
    let corpus = inputs("corpus", target);
    assert!(!corpus.is_empty(), "fuzz/corpus/{target}/ is empty or missing");
    let regressions = inputs("regressions", target);
    // The inputs run on one thread with the default test stack (2 MiB, smaller than libFuzzer's 8 MiB
    // main thread), so a recursion limit that only holds on a big stack fails here; the harness's fixture
    // is built once per thread.
    let name = target.to_string();
    let failed = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            let mut failed = vec![];
            for p in corpus.iter().chain(&regressions) {
                let data = std::fs::read(p).unwrap();
                let r = std::panic::catch_unwind(|| crm_core::fuzzing::run(&name, &data));
                if !matches!(r, Ok(true)) {
                    failed.push(p.display().to_string());
                }
            }
            failed
        })
        .unwrap()
        .join()
        .expect("replay thread");
    assert!(failed.is_empty(), "fuzz inputs panicked: {failed:?}");
}

#[test]
fn every_target_has_a_corpus() {
    for t in crm_core::fuzzing::TARGETS {
        assert!(!inputs("corpus", t).is_empty(), "no corpus for {t}");
    }
}

#[test]
fn replay_csv_import() {
    replay("csv_import");
}

#[test]
fn replay_vcard_import() {
    replay("vcard_import");
}

#[test]
fn replay_condition() {
    replay("condition");
}

#[test]
fn replay_expression() {
    replay("expression");
}

#[test]
fn replay_filter() {
    replay("filter");
}
