//! Builds the C tests (`tests/c/*.c`) and the C example (`examples/c/pipeline.c` at the workspace root)
//! with `cc -std=c11 -Wall -Wextra -Werror` against `include/crm.h` and the static library, runs them,
//! and runs them again under `valgrind --leak-check=full --error-exitcode=1` when valgrind is installed
//! (required when the `CI` environment variable is set, so CI cannot skip the memcheck silently).

use std::path::{Path, PathBuf};
use std::process::Command;

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

/// `target/<profile>/libcrm_ffi.a`: the directory above `deps/`, where this test binary lives. Cargo
/// builds every crate type of the library (staticlib included) before running integration tests.
fn static_lib() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let profile_dir = exe.parent().and_then(Path::parent).expect("test binary sits in target/<profile>/deps");
    let lib = profile_dir.join(if cfg!(windows) { "crm_ffi.lib" } else { "libcrm_ffi.a" });
    assert!(lib.exists(), "static library not found at {}", lib.display());
    lib
}

fn work_dir() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("crm-ffi-c");
    std::fs::create_dir_all(&d).expect("create work dir");
    d
}

fn compile(source: &Path, name: &str) -> PathBuf {
    let out = work_dir().join(name);
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let status = Command::new(&cc)
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-g", "-I"])
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
    let out = Command::new(program).arg(arg).output().expect("run C program");
    print!("{}", String::from_utf8_lossy(&out.stdout));
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{} failed: {}", program.display(), out.status);
}

fn valgrind_available() -> bool {
    Command::new("valgrind").arg("--version").output().is_ok_and(|o| o.status.success())
}

fn run_under_valgrind(program: &Path, arg: &Path) {
    let out = Command::new("valgrind")
        .args(["--leak-check=full", "--error-exitcode=1", "--errors-for-leak-kinds=definite,indirect,possible", "-q"])
        .arg(program)
        .arg(arg)
        .output()
        .expect("run valgrind");
    print!("{}", String::from_utf8_lossy(&out.stdout));
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "valgrind reported errors or leaks for {}: {}", program.display(), out.status);
}

fn build_and_run(source: PathBuf, name: &str, store_file: bool) {
    let program = compile(&source, name);
    let scratch = tempfile::tempdir().expect("temp dir");
    run(&program, &argument(scratch.path(), store_file));
    if valgrind_available() {
        let scratch = tempfile::tempdir().expect("temp dir");
        run_under_valgrind(&program, &argument(scratch.path(), store_file));
    } else if std::env::var_os("CI").is_some() {
        panic!("valgrind is not installed but CI is set: CI must install it (apt-get install -y valgrind)");
    } else {
        eprintln!("valgrind not installed: skipped the memcheck run of {name}");
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
fn c_pipeline_example() {
    build_and_run(manifest_dir().join("../examples/c/pipeline.c"), "pipeline", true);
}
