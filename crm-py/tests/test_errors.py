"""The exception hierarchy and what each exception carries."""

from __future__ import annotations

from typing import Any

import pytest

import crm_engine as crm

from .conftest import deal


def test_hierarchy() -> None:
    for cls in (crm.ValidationError, crm.InvalidArgumentError, crm.NotFoundError, crm.ConflictError, crm.StorageError):
        assert issubclass(cls, crm.CrmError)
        assert cls.__module__ == "crm_engine"
    assert issubclass(crm.CrmError, Exception)
    assert issubclass(crm.ValidationError, ValueError)
    assert issubclass(crm.InvalidArgumentError, ValueError)
    assert issubclass(crm.NotFoundError, LookupError)
    assert crm.CrmError.__doc__


def test_validation_error_lists_every_problem(db: crm.Crm) -> None:
    with pytest.raises(crm.ValidationError) as info:
        db.create("Potentials", {"amount": "12abc", "probability": "150", "nope": 1})
    e = info.value
    assert e.code == "validation"
    by_field = {x["field"]: x for x in e.errors}
    assert by_field["amount"]["code"] == "invalid_type"
    assert by_field["probability"]["code"] == "out_of_range"
    assert by_field["nope"]["code"] == "unknown_field"
    for required in ("potentialname", "sales_stage", "closingdate"):
        assert by_field[required]["code"] == "required"
    assert all(set(x) == {"field", "code", "message"} for x in e.errors)
    assert "amount" in str(e)
    assert db.count("Potentials") == 0  # nothing stored


def test_unknown_picklist_value_and_read_only(db: crm.Crm, org: dict[str, Any]) -> None:
    with pytest.raises(crm.ValidationError) as info:
        deal(db, org, "X", "1", stage="Dreaming")
    assert info.value.errors[0]["code"] == "unknown_picklist_value"
    rec = deal(db, org, "Y", "1")
    with pytest.raises(crm.ValidationError) as info:
        db.update(rec["id"], {"createdtime": "2020-01-01 00:00:00"})
    assert info.value.errors[0]["code"] == "read_only"


def test_not_found_conflict_invalid_argument(db: crm.Crm) -> None:
    with pytest.raises(crm.NotFoundError):
        db.get(10**9)
    with pytest.raises(crm.NotFoundError):
        db.fields("Nope")
    with pytest.raises(crm.NotFoundError):
        db.add_group("Team", ["ghost"])
    with pytest.raises(crm.ConflictError) as conflict:
        db.add_user("admin")
    assert conflict.value.code == "conflict"
    with pytest.raises(crm.InvalidArgumentError) as bad:
        db.find("Potentials", [("amount", "starts with", "1")])
    assert bad.value.code == "invalid_argument"


def test_add_user_validates(db: crm.Crm) -> None:
    with pytest.raises(crm.ValidationError) as info:
        db.add_user("bob", email="not-an-address")
    assert info.value.errors == [{"field": "email", "code": "invalid_format", "message": "'not-an-address' is not an e-mail address"}]
    with pytest.raises(crm.ValidationError):
        db.add_user("  ")
