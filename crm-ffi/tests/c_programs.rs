//! Builds the C tests (`tests/c/*.c`) and the C example (`examples/c/pipeline.c` at the workspace root)
//! with `cc -std=c11 -Wall -Wextra -Werror` against `include/crm.h` and the static library, runs them,
//! and runs them again under `valgrind --leak-check=full --error-exitcode=1` when valgrind is installed.
//!
//! A tool the machine lacks (the C compiler `CC`/`cc`, the C++ compiler `CXX`/`c++`, valgrind) skips what
//! needs it with one line per tool on the standard error, written past the test harness's capture so that
//! `cargo test` shows it; when the `CI` environment variable is set (`.ci/run` installs every tool) a
//! missing tool is a failure instead, so CI cannot skip anything silently.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Once;

/// Native libraries the static library needs, as printed by
/// `cargo rustc -p crm-ffi --lib --crate-type staticlib -- --print native-static-libs`.
#[cfg(target_os = "linux")]
const NATIVE_LIBS: &[&str] = &["-lgcc_s", "-lutil", "-lrt", "-lpthread", "-lm", "-ldl", "-lc"];
#[cfg(target_os = "macos")]
const NATIVE_LIBS: &[&str] = &["-lSystem", "-lc", "-lm"];
#[cfg(not(any(target_os = "linux", target_os = "macos")))]
const NATIVE_LIBS: &[&str] = &[];

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The static library built with this test: cargo builds every crate type of the library (staticlib
/// included) before running integration tests, into `target/<profile>/deps/` next to this test binary,
/// and copies it to `target/<profile>/`. Several builds of the crate (different feature sets of the
/// workspace, `cargo rustc --crate-type staticlib`) may leave copies there; the most recently written one
/// is the one built from the current sources.
fn static_lib() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let deps = exe.parent().expect("test binary sits in target/<profile>/deps");
    let profile_dir = deps.parent().expect("deps sits in target/<profile>");
    let name = if cfg!(windows) { "crm_ffi.lib" } else { "libcrm_ffi.a" };
    let mut candidates = vec![deps.join(name), profile_dir.join(name)];
    if let Ok(entries) = std::fs::read_dir(deps) {
        candidates.extend(entries.flatten().map(|e| e.path()).filter(|p| {
            let f = p.file_name().and_then(|f| f.to_str()).unwrap_or("");
            f.starts_with("libcrm_ffi-") && f.ends_with(".a")
        }));
    }
    candidates
        .into_iter()
        .filter_map(|p| std::fs::metadata(&p).and_then(|m| m.modified()).ok().map(|t| (t, p)))
        .max()
        .map(|(_, p)| p)
        .unwrap_or_else(|| panic!("no {name} in {} or {}", deps.display(), profile_dir.display()))
}

fn work_dir() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("crm-ffi-c");
    std::fs::create_dir_all(&d).expect("create work dir");
    d
}

/// Whether `program --version` runs and succeeds.
fn runs(program: &str) -> bool {
    Command::new(program).arg("--version").output().is_ok_and(|o| o.status.success())
}

/// Says once per test binary and `said`, past the harness's capture, that something is skipped because
/// `missing` is; under CI (`CI` set) panics instead.
fn skip(said: &'static Once, missing: &str, skipped: &str) {
    assert!(std::env::var_os("CI").is_none(), "{missing} is not installed but CI is set: CI must install it (.ci/run)");
    said.call_once(|| {
        let _ = writeln!(std::io::stderr().lock(), "\nnote: {skipped} skipped: {missing} is not installed");
    });
}

/// The C compiler (`CC`, else `cc`), or `None` after the skip note when it does not run.
fn c_compiler() -> Option<String> {
    static SAID: Once = Once::new();
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    if runs(&cc) {
        return Some(cc);
    }
    skip(&SAID, &format!("the C compiler `{cc}` (set CC or install build-essential)"), "the C programs");
    None
}

fn compile_with(cc: &str, std: &str, source: &Path, name: &str) -> PathBuf {
    let out = work_dir().join(name);
    let status = Command::new(cc)
        .args([std, "-Wall", "-Wextra", "-Werror", "-g", "-I"])
        .arg(manifest_dir().join("include"))
        .arg("-I")
        .arg(manifest_dir().join("tests").join("c"))
        .arg(source)
        .arg(static_lib())
        .args(NATIVE_LIBS)
        .arg("-o")
        .arg(&out)
        .status()
        .unwrap_or_else(|e| panic!("cannot run {cc}: {e}"));
    assert!(status.success(), "compiling {} failed", source.display());
    out
}

/// The program's argument: a fresh scratch directory (tests), or a store file inside it (the example).
fn argument(scratch: &Path, store_file: bool) -> PathBuf {
    if store_file { scratch.join("pipeline.db") } else { scratch.to_path_buf() }
}

fn run(program: &Path, arg: &Path) {
    run_with(program, arg, &[]);
}

fn run_with(program: &Path, arg: &Path, extra: &[PathBuf]) {
    let out = Command::new(program).arg(arg).args(extra).output().expect("run C program");
    print!("{}", String::from_utf8_lossy(&out.stdout));
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{} failed: {}", program.display(), out.status);
}

fn run_under_valgrind(program: &Path, arg: &Path, extra: &[PathBuf]) {
    let out = Command::new("valgrind")
        .args(["--leak-check=full", "--error-exitcode=1", "--errors-for-leak-kinds=definite,indirect,possible", "-q"])
        .arg(program)
        .arg(arg)
        .args(extra)
        .output()
        .expect("run valgrind");
    print!("{}", String::from_utf8_lossy(&out.stdout));
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "valgrind reported errors or leaks for {}: {}", program.display(), out.status);
}

fn build_and_run(source: PathBuf, name: &str, store_file: bool) {
    build_and_run_with(source, name, store_file, &[]);
}

/// As `build_and_run`, with more command-line arguments after the first.
fn build_and_run_with(source: PathBuf, name: &str, store_file: bool, extra: &[PathBuf]) {
    let Some(cc) = c_compiler() else { return };
    let program = compile_with(&cc, "-std=c11", &source, name);
    let scratch = tempfile::tempdir().expect("temp dir");
    run_with(&program, &argument(scratch.path(), store_file), extra);
    if runs("valgrind") {
        let scratch = tempfile::tempdir().expect("temp dir");
        run_under_valgrind(&program, &argument(scratch.path(), store_file), extra);
    } else {
        static SAID: Once = Once::new();
        skip(&SAID, "valgrind (Debian: apt-get install valgrind)", "the memcheck runs of the C programs");
    }
}

#[test]
fn c_error_paths() {
    build_and_run(manifest_dir().join("tests/c/errors.c"), "errors", false);
}

#[test]
fn c_records() {
    build_and_run(manifest_dir().join("tests/c/records.c"), "records", false);
}

#[test]
fn c_capabilities() {
    build_and_run(manifest_dir().join("tests/c/capabilities.c"), "capabilities", false);
}

// ----- declared indexes -----
#[test]
fn c_indexes() {
    build_and_run(manifest_dir().join("tests/c/indexes.c"), "indexes", false);
}

// ----- Arrow out: the C stream interface -----
#[test]
fn c_arrow_streams() {
    build_and_run(manifest_dir().join("tests/c/arrow.c"), "arrow", false);
}

// ----- duplicates and merge -----
#[test]
fn c_duplicates() {
    build_and_run(manifest_dir().join("tests/c/duplicates.c"), "duplicates", false);
}

/// The example with a CSV to import (vtiger's export of opportunities, the copy kept with crm-core's tests).
#[test]
fn c_pipeline_example() {
    build_and_run_with(
        manifest_dir().join("../examples/c/pipeline.c"),
        "pipeline",
        true,
        &[manifest_dir().join("../crm-core/tests/data/vtiger_potentials_export.csv")],
    );
}

#[test]
fn cpp_host() {
    let cxx = std::env::var("CXX").unwrap_or_else(|_| "c++".to_string());
    if !runs(&cxx) {
        static SAID: Once = Once::new();
        skip(&SAID, &format!("the C++ compiler `{cxx}` (set CXX or install build-essential)"), "the header's C++ check");
        return;
    }
    let program = compile_with(&cxx, "-std=c++17", &manifest_dir().join("tests/c/header.cpp"), "header_cpp");
    let scratch = tempfile::tempdir().expect("temp dir");
    run(&program, scratch.path());
}

// ----- misuse of every exported function (generated from the header) -----

#[path = "support/misuse.rs"]
mod misuse;

/// Every function of `include/crm.h` with NULL in each pointer argument, invalid UTF-8 in each string
/// argument and extreme ids, built and run (and run under valgrind) like the hand-written C tests.
#[test]
fn c_every_function_misused() {
    let header = std::fs::read_to_string(manifest_dir().join("include/crm.h")).expect("read crm.h");
    let (source, calls) = misuse::generate(&header);
    assert!(calls > 300, "only {calls} misuse calls generated");
    let path = work_dir().join("misuse_generated.c");
    std::fs::write(&path, source).expect("write generated C");
    build_and_run(path, "misuse_generated", false);
}
