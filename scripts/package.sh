#!/usr/bin/env bash
# Packaging checks, run by scripts/test.sh:
#   1. rust-version: no package in Cargo.lock needs a newer Rust than the workspace's rust-version (only one
#      toolchain can be installed here, so this plus clippy's incompatible_msrv lint in scripts/style.sh
#      stand in for a build with the old compiler);
#   2. `cargo package --no-verify` for crm-core, crm and crm-ffi, each package holding both licence files;
#   3. the C library installed under a temporary prefix (scripts/install-c.sh --debug), then
#      examples/c/pipeline.c compiled through pkg-config against the shared library and the static one, and run.
# Step 1 needs python3 and step 3 a C compiler and pkg-config: without them the step is skipped with one visible
# line, except under CI (`CI=true`), where that fails (scripts/prereqs.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/prereqs.sh
step_start=$SECONDS
step() {
    printf '\n== %s (previous step took %ss)\n' "$*" "$((SECONDS - step_start))"
    step_start=$SECONDS
}

step "rust-version of every dependency"
if ! command -v python3 >/dev/null; then
    skip_or_fail "the rust-version check of the dependencies" "python3"
else
meta="$(mktemp)"
cargo metadata --format-version 1 --locked >"$meta"
python3 - "$meta" <<'PY'
import json, sys
meta = json.load(open(sys.argv[1]))
def ver(v):
    parts = [int(x) for x in v.split(".")[:3]]
    return tuple(parts + [0] * (3 - len(parts)))
ours = {p["name"]: p["rust_version"] for p in meta["packages"] if p["source"] is None}
msrv = ours["crm-core"]
too_new = ["%s %s needs Rust %s" % (p["name"], p["version"], p["rust_version"]) for p in meta["packages"]
           if p.get("rust_version") and ver(p["rust_version"]) > ver(msrv)]
if too_new:
    sys.exit("dependencies newer than rust-version %s:\n  %s" % (msrv, "\n  ".join(too_new)))
print("%d packages, none needs more than Rust %s" % (len(meta["packages"]), msrv))
PY
rm -f "$meta"
fi

step "cargo package (crm-core, crm, crm-ffi)"
for crate in crm-core crm crm-ffi; do
    files="$(cargo package -p "$crate" --list --allow-dirty 2>/dev/null)"
    for f in LICENSE-MIT LICENSE-APACHE Cargo.toml; do
        grep -qx "$f" <<<"$files" || { echo "package $crate lacks $f" >&2; exit 1; }
    done
done
cargo package --workspace --exclude crm-py --no-verify --allow-dirty 2>&1 | grep -v '^warning: ignoring \(test\|benchmark\)'

step "C library: install under a temporary prefix, build examples/c/pipeline.c through pkg-config"
for tool in cc pkg-config; do
    if ! command -v "$tool" >/dev/null; then
        skip_or_fail "the installed C library's check" "$tool (Debian: apt-get install build-essential pkg-config)"
        step "done"
        echo "packaging checks passed in ${SECONDS}s (the C library's check skipped)"
        exit 0
    fi
done
tmp="$(mktemp -d /tmp/crm-c.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
bash scripts/install-c.sh --debug "$tmp/prefix"
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig"
libdir="$(pkg-config --variable=libdir crm)"
cflags=(-std=c11 -Wall -Wextra -Werror)
# shellcheck disable=SC2046 # pkg-config's output is meant to be split into words
cc "${cflags[@]}" $(pkg-config --cflags crm) examples/c/pipeline.c $(pkg-config --libs crm) -Wl,-rpath,"$libdir" -o "$tmp/pipeline"
# shellcheck disable=SC2046
cc "${cflags[@]}" $(pkg-config --cflags crm) examples/c/pipeline.c "$libdir/libcrm.a" \
    $(pkg-config --variable=native_static_libs crm) -o "$tmp/pipeline-static"
if command -v readelf >/dev/null; then
    readelf -d "$tmp/pipeline" | grep -q 'NEEDED.*\[libcrm\.so\.0\]' || { echo "pipeline does not need libcrm.so.0" >&2; exit 1; }
    if readelf -d "$tmp/pipeline-static" | grep -q 'NEEDED.*libcrm'; then echo "pipeline-static needs libcrm" >&2; exit 1; fi
fi
for program in pipeline pipeline-static; do
    "$tmp/$program" "$tmp/$program.db" crm-core/tests/data/vtiger_potentials_export.csv >"$tmp/$program.out"
    grep -q 'Hooli renewal' "$tmp/$program.out" || { echo "$program printed no pipeline" >&2; cat "$tmp/$program.out" >&2; exit 1; }
    echo "$program: ran ($(wc -l <"$tmp/$program.out") lines)"
done

step "done"
echo "packaging checks passed in ${SECONDS}s"
