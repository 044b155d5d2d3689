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

#[test]
fn replay_export() {
    replay("export");
}

/// Brief fuzzing on stable Rust, in every `cargo test`: deterministic mutations of the kept corpus (bit
/// flips, byte inserts and deletes, chunk duplication, splices of two inputs, structural bytes such as
/// quotes, brackets and line breaks) run through the same harness functions. Not coverage-guided — that is
/// `fuzz/run.sh` with libFuzzer — but every run tries new inputs near the interesting ones. The number of
/// mutations per input class scales with `CRM_FUZZ_MUTATIONS` (default 1) and the seed is `CRM_FUZZ_SEED`
/// (default fixed, so a failure reproduces); a failing input is written to `target/fuzz-failures/<target>/`
/// to be kept in `fuzz/regressions/<target>/`.
fn mutate_and_run(target: &str, base_count: u64) {
    let corpus: Vec<Vec<u8>> = inputs("corpus", target).iter().filter_map(|p| std::fs::read(p).ok()).collect();
    assert!(!corpus.is_empty(), "fuzz/corpus/{target}/ is empty or missing");
    let scale: u64 = std::env::var("CRM_FUZZ_MUTATIONS").ok().and_then(|s| s.parse().ok()).unwrap_or(1);
    let seed: u64 = std::env::var("CRM_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5eed_c0de);
    let count = base_count * scale;
    let name = target.to_string();
    let failed = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            let mut rng = seed ^ name.len() as u64;
            let mut next = move || {
                rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                rng >> 33
            };
            const TOKENS: &[&[u8]] = &[
                b"\"",
                b",",
                b"\n",
                b"\r\n",
                b"(",
                b")",
                b"[",
                b"]",
                b"{",
                b"}",
                b":",
                b"\\",
                b"'",
                b"=",
                b"\0",
                b"\xff",
                b"BEGIN:VCARD\n",
                b"END:VCARD\n",
                b"9999999999999999999999999999",
                b"-1",
                b"null",
            ];
            let mut failed = vec![];
            for i in 0..count {
                let mut data = corpus[(next() as usize) % corpus.len()].clone();
                for _ in 0..1 + next() % 4 {
                    let at = if data.is_empty() { 0 } else { (next() as usize) % (data.len() + 1) };
                    match next() % 6 {
                        0 if !data.is_empty() => {
                            let j = at.min(data.len() - 1);
                            data[j] ^= 1 << (next() % 8);
                        }
                        1 => data.insert(at, next() as u8),
                        2 if at < data.len() => {
                            let n = (1 + next() as usize % 8).min(data.len() - at);
                            data.drain(at..at + n);
                        }
                        3 => {
                            let n = (next() as usize % 64).min(data.len() - at);
                            let chunk = data[at..at + n].to_vec();
                            data.splice(at..at, chunk);
                        }
                        4 => {
                            let other = &corpus[(next() as usize) % corpus.len()];
                            let from = if other.is_empty() { 0 } else { (next() as usize) % other.len() };
                            data.splice(at..at, other[from..].iter().copied().take(256));
                        }
                        _ => data.splice(at..at, TOKENS[(next() as usize) % TOKENS.len()].iter().copied()).for_each(drop),
                    }
                }
                let r = std::panic::catch_unwind(|| crm_core::fuzzing::run(&name, &data));
                if !matches!(r, Ok(true)) {
                    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/fuzz-failures").join(&name);
                    let _ = std::fs::create_dir_all(&dir);
                    let path = dir.join(format!("mutation-{seed}-{i}"));
                    let _ = std::fs::write(&path, &data);
                    failed.push(path.display().to_string());
                }
            }
            failed
        })
        .unwrap()
        .join()
        .expect("mutation thread");
    assert!(failed.is_empty(), "mutated inputs failed (kept for fuzz/regressions): {failed:?}");
}

#[test]
fn mutations_csv_import() {
    mutate_and_run("csv_import", 600);
}

#[test]
fn mutations_vcard_import() {
    mutate_and_run("vcard_import", 600);
}

#[test]
fn mutations_condition() {
    mutate_and_run("condition", 20_000);
}

#[test]
fn mutations_expression() {
    mutate_and_run("expression", 20_000);
}

#[test]
fn mutations_filter() {
    mutate_and_run("filter", 10_000);
}

#[test]
fn mutations_export() {
    mutate_and_run("export", 3_000);
}
