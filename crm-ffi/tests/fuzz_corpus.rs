//! Replays the kept corpus of the C ABI fuzz target (`fuzz/corpus/ffi_json/`) and its crash reproducers
//! (`fuzz/regressions/ffi_json/`) through `crm_ffi::fuzz::ffi_json`, on stable Rust, as part of
//! `cargo test`. The harness panics when a call returns `CRM_STATUS_PANIC`.

use std::path::{Path, PathBuf};

fn inputs(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz").join(kind).join("ffi_json");
    let mut v: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file()).collect(),
        Err(_) => vec![],
    };
    v.sort();
    v
}

#[test]
fn replay_ffi_json() {
    let corpus = inputs("corpus");
    assert!(!corpus.is_empty(), "fuzz/corpus/ffi_json/ is empty or missing");
    for p in corpus.iter().chain(&inputs("regressions")) {
        let data = std::fs::read(p).unwrap();
        let r = std::thread::Builder::new().stack_size(2 << 20).spawn(move || crm_ffi::fuzz::ffi_json(&data)).unwrap().join();
        assert!(r.is_ok(), "fuzz input {} panicked", p.display());
    }
}
