//! crm-py's Rust tests live next to the code (`src/`) and need the `python` feature, which links libpython
//! (Python >= 3.11 and its shared library). Without the feature the crate is empty, and this test says so
//! once on the standard error, written past the test harness's capture so that `cargo test` shows it; under
//! CI (`CI` set) a missing feature is a failure. `bash scripts/test.sh` passes `--features crm-py/python`.

#[cfg(not(feature = "python"))]
#[test]
fn rust_tests_need_the_python_feature() {
    use std::io::Write;
    assert!(
        std::env::var_os("CI").is_none(),
        "CI is set but crm-py was built without its `python` feature: run `cargo test --workspace --features crm-py/python` \
         (needs Python >= 3.11 with its shared library, Debian: python3-dev)"
    );
    let _ = writeln!(
        std::io::stderr().lock(),
        "\nnote: crm-py's Rust tests skipped: built without the `python` feature (`--features crm-py/python` needs Python >= 3.11 \
         with its shared library, Debian: python3-dev; bash scripts/test.sh turns it on)"
    );
}
