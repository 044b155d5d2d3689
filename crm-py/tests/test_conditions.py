"""Conditions and expressions evaluated against stored records: Crm.matching, Crm.count_matching and Crm.evaluate."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

import crm_engine as crm

from .conftest import deal


def rule(field: str, op: str, value: str, join: str = "") -> dict[str, Any]:
    return {"fieldname": field, "operation": op, "value": value, "valuetype": "rawtext", "joincondition": join, "groupid": 0}


def test_matching_selects_ids_in_the_order_given(db: crm.Crm, org: dict[str, Any]) -> None:
    big = deal(db, org, "Big", "5000.50")
    small = deal(db, org, "Small", "100.00", "Closed Won")
    other = deal(db, org, "Other", "10")
    cond = [rule("amount", "greater than", "1000", "or"), rule("sales_stage", "is", "Closed Won")]
    assert db.matching("Potentials", cond, [other["id"], small["id"], big["id"]]) == [small["id"], big["id"]]
    # JSON text works as well as a list; record dicts as ids; the label as module name.
    only_big = json.dumps([rule("amount", "greater than", "1000")])
    assert db.matching("Opportunities", only_big, [small, big, big]) == [big["id"], big["id"]]
    assert db.matching("Potentials", only_big, []) == []
    assert db.matching("Potentials", only_big, (i for i in [big["id"]])) == [big["id"]]


def test_matching_refuses_unknown_deleted_and_foreign_ids(db: crm.Crm, org: dict[str, Any]) -> None:
    big = deal(db, org, "Big", "5000")
    gone = deal(db, org, "Gone", "9000")
    db.delete(gone)
    cond = [rule("amount", "greater than", "1000")]
    for bad in [999_999, gone["id"], org["id"]]:
        with pytest.raises(crm.NotFoundError, match=str(bad)):
            db.matching("Potentials", cond, [big["id"], bad])
    with pytest.raises(crm.NotFoundError):
        db.matching("NoSuchModule", cond, [])
    with pytest.raises(crm.InvalidArgumentError, match="nope"):
        db.matching("Potentials", [rule("nope", "is", "x")], [big["id"]])
    with pytest.raises(crm.CrmError):
        db.matching("Potentials", "[{", [big["id"]])
    with pytest.raises(TypeError):
        db.matching("Potentials", cond, ["x"])


def test_evaluate_returns_python_values(db: crm.Crm, org: dict[str, Any]) -> None:
    big = deal(db, org, "Big", "5000.50")
    value = db.evaluate("Potentials", "amount * 2", big)
    assert isinstance(value, Decimal) and value == Decimal("10001.00") and str(value) == "10001.00"
    assert db.evaluate("Potentials", "concat(potentialname, ' / ', sales_stage)", big["id"]) == "Big / Prospecting"
    assert db.evaluate("Potentials", "amount > 1000", big) is True
    assert db.evaluate("Potentials", "closingdate", big) == date(2027, 3, 31)
    assert db.evaluate("Potentials", "description", big) is None
    with pytest.raises(crm.InvalidArgumentError):
        db.evaluate("Potentials", "amount + nope(1)", big)
    with pytest.raises(crm.NotFoundError):
        db.evaluate("Potentials", "amount", org)
    with pytest.raises(crm.NotFoundError):
        db.evaluate("Potentials", "amount", 999_999)


def test_count_matching_counts_live_records_of_the_module(db: crm.Crm, org: dict[str, Any]) -> None:
    big = deal(db, org, "Big", "5000.50")
    small = deal(db, org, "Small", "100.00", "Closed Won")
    gone = deal(db, org, "Gone", "9000")
    db.delete(gone)
    cond = [rule("amount", "greater than", "1000", "or"), rule("sales_stage", "is", "Closed Won")]
    ids = [r["id"] for r in db.find("Potentials")]
    assert db.count_matching("Potentials", cond) == len(db.matching("Potentials", cond, ids)) == 2
    assert db.count_matching("Opportunities", json.dumps([rule("amount", "greater than", "1000")])) == 1
    assert small["id"] in ids and big["id"] in ids
    with pytest.raises(crm.NotFoundError):
        db.count_matching("NoSuchModule", cond)
    with pytest.raises(crm.InvalidArgumentError, match="nope"):
        db.count_matching("Potentials", [rule("nope", "is", "x")])
