# Sourced by the test scripts: how a missing prerequisite is handled. On a developer's machine the part that
# needs it is skipped with one visible line; under CI (`CI=true`, `.ci/run` installs every prerequisite) it is a
# failure. README.md's prerequisites table lists the same tools.

# skip_or_fail WHAT MISSING: says that WHAT is skipped because MISSING is not there (returns 0), or exits 1
# under CI.
skip_or_fail() {
    if [[ "${CI:-}" == "true" ]]; then
        echo "$(basename "$0"): $2 is missing but CI=true: CI must install it (.ci/run); cannot run $1" >&2
        exit 1
    fi
    echo "$(basename "$0"): SKIPPED $1: $2 is missing" >&2
}

# python_interpreter: Python >= 3.11 (PYO3_PYTHON, else python3), which PyO3's build needs to configure itself.
python_interpreter() {
    "${PYO3_PYTHON:-python3}" -c 'import sys; assert sys.version_info >= (3, 11)' >/dev/null 2>&1
}

# python_embeddable: the interpreter and its library (libpython, Debian: python3-dev), which crm-py's Rust
# tests link (`--features crm-py/python` outside maturin).
python_embeddable() {
    python_interpreter && "${PYO3_PYTHON:-python3}" - >/dev/null 2>&1 <<'PY'
import os, sysconfig
libdir = sysconfig.get_config_var("LIBDIR") or ""
names = [sysconfig.get_config_var(n) for n in ("LDLIBRARY", "LIBRARY")]
framework = sysconfig.get_config_var("PYTHONFRAMEWORKPREFIX")
assert any(n and os.path.exists(os.path.join(libdir, n)) for n in names) or (framework and os.path.isdir(framework))
PY
}

# python_venv: Python >= 3.11 (PYTHON, else python3) with venv and pip (crm-py/ci.sh builds and tests the
# wheel in a virtualenv of its own).
python_venv() {
    "${PYTHON:-python3}" -c 'import sys, venv, ensurepip; assert sys.version_info >= (3, 11)' >/dev/null 2>&1
}
