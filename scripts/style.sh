#!/usr/bin/env bash
# Checks the house style: formatting (rustfmt.toml at the root; the fuzz crate is outside the workspace, so
# it is checked on its own), clippy on every target with every feature and warnings denied, and the API
# docs built with warnings denied (broken intra-doc links and the like). Fails on the first check that does.
# Fix formatting with `cargo fmt --all && (cd fuzz && cargo fmt)`.
set -euo pipefail
cd "$(dirname "$0")/.."

run() {
    echo "+ $*"
    "$@"
}

run cargo fmt --all --check
(cd fuzz && run cargo fmt --check)
run cargo clippy --workspace --all-targets --all-features -- -D warnings
RUSTDOCFLAGS="${RUSTDOCFLAGS:-} -Dwarnings" run cargo doc --no-deps --workspace --all-features
echo "scripts/style.sh: style checks passed"
