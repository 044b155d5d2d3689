"""Nesting from Python is bounded: a dict or list that contains itself, or one nested deeper than the
limits, is an `InvalidArgumentError` naming the limit, never a crash of the interpreter.

Each case first runs in a child interpreter, so that a crash (the stack overflow a self-referencing value
used to cause: the process died with SIGSEGV) fails this test instead of killing the whole pytest run."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

import crm_engine as crm

SETUP = """
import crm_engine as crm
db = crm.Crm(":memory:", user="admin")
db.add_user("admin", full_name="Administrator")
"""

# Each case builds `value` and makes one call with it; the call must raise InvalidArgumentError.
CASES = {
    "self-referencing condition dict": ("value = {}; value['not'] = value", "db.find('Potentials', where=value)", "MAX_QUERY_DEPTH"),
    "self-referencing condition list": ("value = {'any': []}; value['any'].append(value)", "db.count('Potentials', where=value)", "MAX_QUERY_DEPTH"),
    "deep condition tree": (
        "value = ('potentialname', '=', 'x')\nfor _ in range(10_000): value = {'not': value}",
        "db.find('Potentials', where=value)",
        "MAX_QUERY_DEPTH",
    ),
    "self-referencing record dict as id": ("value = {}; value['id'] = value", "db.get(value)", "MAX_BINDING_DEPTH"),
    "self-referencing record dict as a field value": (
        "value = {}; value['id'] = value",
        "db.create('Potentials', {'potentialname': 'x', 'related_to': value})",
        "MAX_BINDING_DEPTH",
    ),
    "self-referencing workflow condition list": (
        "value = []; value.append(value)",
        "db.count_matching('Potentials', value)",
        "MAX_BINDING_DEPTH",
    ),
    "self-referencing view settings": ("value = {}; value['x'] = value", "db.set_view_settings(value)", "MAX_BINDING_DEPTH"),
    "deep nested lists": ("value = []\nfor _ in range(100_000): value = [value]", "db.count_matching('Potentials', value)", "MAX_BINDING_DEPTH"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_nesting_is_a_typed_error_in_a_child_interpreter(name: str) -> None:
    build, call, limit = CASES[name]
    script = SETUP + build + textwrap.dedent(f"""
    try:
        {call}
    except crm.InvalidArgumentError as e:
        assert "{limit}" in str(e), str(e)
        db.count("Potentials")  # the handle is still usable
        print("typed error:", e)
    else:
        raise SystemExit("no error")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"child exited with {done.returncode}: {done.stderr[-2000:]}"
    assert "typed error:" in done.stdout


def test_nesting_within_the_limits_works(db: crm.Crm) -> None:
    cond: object = ("potentialname", "=", "x")
    for _ in range(20):
        cond = {"all": [cond]}
    assert db.count("Potentials", where=cond) == 0
    value: dict[str, object] = {}
    value["not"] = value
    with pytest.raises(crm.InvalidArgumentError, match="MAX_QUERY_DEPTH"):
        db.find("Potentials", where=value)
    assert db.count("Potentials") == 0
