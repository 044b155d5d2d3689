#!/usr/bin/env bash
# Builds the crm Python wheel with maturin, installs it into a virtualenv of its own and checks it:
# the wheel is abi3 (one wheel for every CPython >= 3.11), mypy's stubtest against the hand-written stubs,
# the pytest suite against the installed wheel, the Python example; then the sdist: built with maturin,
# installed with pip into a clean virtualenv (pip builds it with the maturin it fetches, dev profile), and
# one smoke call through it.
#
# Needs only python3 (with venv and pip) and cargo. Exits non-zero on any failure, including a pytest run
# that collected no test (pytest's exit code 5).
#
# Environment:
#   CRM_PY_PROFILE=debug|release   build profile of the wheel (default: debug, faster to build on 2 cores)
#   CRM_PY_PANDAS=0                do not install pandas, polars, pyarrow, tqdm (their tests are then skipped)
#   CRM_PY_SLOW=0                  skip the tests marked slow (the 100k-row import: minutes in a debug build)
#   PYTHON=python3.11              interpreter used to create the virtualenv
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
cd "$root"

profile="${CRM_PY_PROFILE:-debug}"
python="${PYTHON:-python3}"
venv="$root/target/crm-py-venv"
wheels="$root/target/crm-py-wheels"
py="$venv/bin/python"

step_start=$SECONDS
step() {
    printf '\n== %s (previous step took %ss)\n' "$*" "$((SECONDS - step_start))"
    step_start=$SECONDS
}

step "virtualenv $venv"
if [ ! -x "$py" ]; then
    "$python" -m venv "$venv"
fi
packages=("maturin>=1.9.4,<2" "pytest>=8" "mypy>=1.10")
if [ "${CRM_PY_PANDAS:-1}" != "0" ]; then
    packages+=("pandas>=2" "polars>=1.2" "pyarrow>=15" "tqdm>=4")
fi
"$py" -m pip install --quiet --disable-pip-version-check "${packages[@]}"

step "maturin build ($profile)"
rm -rf "$wheels"
build_flags=(--out "$wheels" --interpreter "$py" -m crm-py/Cargo.toml)
if [ "$profile" = "release" ]; then
    build_flags+=(--release)
fi
"$venv/bin/maturin" build "${build_flags[@]}"

step "install the wheel"
shopt -s nullglob
built=("$wheels"/crm_engine-*.whl)
if [ "${#built[@]}" -ne 1 ]; then
    echo "expected exactly one wheel in $wheels, found ${#built[@]}" >&2
    exit 1
fi
case "${built[0]}" in
    *-cp311-abi3-*) ;;
    *) echo "the wheel is not abi3 for CPython >= 3.11: ${built[0]}" >&2; exit 1 ;;
esac
"$py" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps "${built[0]}"

step "stubtest crm_engine._crm"
# Run outside the source tree so that the installed package (with its .so) is the one checked.
(cd "$wheels" && "$py" -m mypy.stubtest crm_engine._crm)

step "pytest crm-py/tests"
set +e
pytest_flags=(-p no:cacheprovider --durations=5)
if [ "${CRM_PY_SLOW:-1}" = "0" ]; then
    pytest_flags+=(-m "not slow")
fi
(cd "$here" && "$py" -m pytest "${pytest_flags[@]}")
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
    echo "pytest collected no tests: counted as a failure" >&2
    exit 1
fi
if [ "$rc" -ne 0 ]; then
    echo "pytest failed with exit code $rc" >&2
    exit "$rc"
fi

step "example examples/python/pipeline.py"
"$py" examples/python/pipeline.py

step "sdist: build, pip install into a clean virtualenv, smoke call"
sdists="$root/target/crm-py-sdist"
sdist_venv="$root/target/crm-py-sdist-venv"
rm -rf "$sdists" "$sdist_venv"
"$venv/bin/maturin" sdist --out "$sdists" -m crm-py/Cargo.toml
sdist=("$sdists"/crm_engine-*.tar.gz)
listing="$(tar tzf "${sdist[0]}")"
for f in LICENSE-MIT LICENSE-APACHE pyproject.toml Cargo.lock; do
    grep -q "^crm_engine-[^/]*/$f\$" <<<"$listing" || { echo "the sdist lacks $f" >&2; exit 1; }
done
"$python" -m venv "$sdist_venv"
# pip builds the wheel from the sdist alone (in a temporary directory, with the maturin its pyproject asks
# for); the dev profile and the shared target directory keep that to the crates the sdist itself holds.
CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}" MATURIN_PEP517_ARGS="--profile dev" \
    "$sdist_venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-cache-dir "${sdist[0]}"
(cd "$sdists" && "$sdist_venv/bin/python" - <<'PY'
from datetime import date
from decimal import Decimal
import importlib.metadata

import crm_engine as crm

with crm.Crm(":memory:", user="admin") as db:
    db.add_user("admin", full_name="Administrator")
    deal = db.create("Potentials", {"potentialname": "Big deal", "amount": Decimal("1000"),
                                    "sales_stage": "Qualification", "closingdate": date(2027, 3, 31)})
    assert deal["forecast_amount"] == Decimal("200.00"), deal
print("crm-engine", importlib.metadata.version("crm-engine"), "from the sdist:", crm.__file__)
PY
)

step "done"
echo "crm-py ci: all checks passed in ${SECONDS}s"
