#!/usr/bin/env bash
# Runs every test: the Rust suites of every crate (the C programs compiled against the generated header run
# under valgrind, the storage suite runs on memory, SQLite and PostgreSQL), then the Python package built by
# maturin (stubtest + pytest, `crm-py/ci.sh`).
#
# PostgreSQL: `CRM_TEST_POSTGRES_URL` names the server the tests may create schemas in. When it is unset,
# this script starts a throwaway cluster (initdb in a temp dir, a free local port, as the `postgres` system
# user when run as root, since initdb refuses root), exports its URL, and stops and deletes it on exit. It
# needs PostgreSQL's server programs (Debian: `apt-get install postgresql`; `.ci/run` installs them).
# Without PostgreSQL's programs and without a URL, the PostgreSQL tests are skipped with one visible line per
# test binary — except under CI (`CI=true`, `.ci/run` installs PostgreSQL), where a missing server fails.
#
# First the house style (`scripts/style.sh`: rustfmt, clippy with warnings denied, rustdoc with warnings
# denied), then the suites.
#
# Every other prerequisite the same way (scripts/prereqs.sh): what needs a missing one is skipped with one
# visible line, except under CI (`CI=true`), where it fails. crm-py's Rust tests need Python >= 3.11 with its
# library (`--features crm-py/python` links libpython; Debian: python3-dev); crm-py/ci.sh needs Python with
# venv and pip; scripts/package.sh and the C tests say themselves what they skip (pkg-config, a C compiler,
# valgrind).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/prereqs.sh

echo "+ bash scripts/style.sh"
bash scripts/style.sh

pg_available=1

if [[ -z "${CRM_TEST_POSTGRES_URL:-}" ]]; then
    pg_ctl=$(command -v pg_ctl 2>/dev/null || ls -d /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | sort -V | tail -n1 || true)
    pg_bin=$(dirname "${pg_ctl:-/nonexistent/pg_ctl}")
    if [[ ! -x "$pg_bin/initdb" || ! -x "$pg_bin/pg_ctl" ]]; then
        echo "scripts/test.sh: PostgreSQL's initdb/pg_ctl not found: install PostgreSQL (Debian: apt-get install postgresql)" >&2
        echo "  or set CRM_TEST_POSTGRES_URL=postgres://USER@HOST:PORT/DB to a server the tests may use" >&2
        if [[ "${CI:-}" == "true" ]]; then
            exit 1
        fi
        echo "scripts/test.sh: the PostgreSQL tests are SKIPPED on this machine" >&2
        pg_available=0
    fi
fi
if [[ -z "${CRM_TEST_POSTGRES_URL:-}" && $pg_available == 1 ]]; then
    pg_dir=$(mktemp -d /tmp/crm-pg.XXXXXX)
    if [[ $(id -u) == 0 ]]; then
        id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
        chown postgres "$pg_dir"
    fi
    as_pg() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
    pg_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
        echo $((20000 + RANDOM % 20000)))
    as_pg "$pg_bin/initdb" -D "$pg_dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
    as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w \
        -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
    trap 'as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$pg_dir"' EXIT
    export CRM_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$pg_port/postgres"
    echo "scripts/test.sh: throwaway PostgreSQL at $CRM_TEST_POSTGRES_URL"
fi

# Every PostgreSQL test must run here when a server is there: a missing server is then a failure, never a
# silent skip.
if [[ $pg_available == 1 ]]; then
    export CRM_TEST_POSTGRES_REQUIRED=1
fi
features=crm-core/postgres
if python_embeddable; then
    features+=,crm-py/python
else
    skip_or_fail "crm-py's Rust tests (--features crm-py/python)" "Python >= 3.11 with its library (Debian: python3-dev)"
fi
echo "+ cargo test --workspace --features $features"
cargo test --workspace --features "$features"
echo "+ bash scripts/package.sh"
bash scripts/package.sh
if python_venv; then
    echo "+ bash crm-py/ci.sh"
    bash crm-py/ci.sh
else
    skip_or_fail "the Python package's tests (crm-py/ci.sh)" "Python >= 3.11 with venv and pip (Debian: python3-venv python3-pip)"
fi
