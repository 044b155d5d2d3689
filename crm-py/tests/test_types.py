"""Python types in and out: Decimal never through float, dates, times, checkboxes, references, empties."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

import crm_engine as crm

from .conftest import deal


def test_decimals_are_exact_in_and_out(db: crm.Crm, org: dict[str, Any]) -> None:
    rec = deal(db, org, "Exact", "0.1")
    assert rec["amount"] == Decimal("0.10")
    big = deal(db, org, "Big", "999999999999.99")  # the largest amount (12 digits before the point)
    assert big["amount"] == Decimal("999999999999.99")
    assert isinstance(big["amount"], Decimal)
    third = db.update(big["id"], {"amount": Decimal("1") / Decimal("3")})
    assert third["amount"] == Decimal("0.33")
    total = db.aggregate("Potentials", sums=["amount"])[0]["amount"]
    assert total == Decimal("0.43")


def test_decimal_input_forms(db: crm.Crm, org: dict[str, Any]) -> None:
    rec = deal(db, org, "Forms", "1")
    assert db.update(rec["id"], {"amount": 7})["amount"] == Decimal("7.00")
    assert db.update(rec["id"], {"amount": "8.125"})["amount"] == Decimal("8.13")  # rounded half away from zero
    assert db.update(rec["id"], {"amount": Decimal("1E+3")})["amount"] == Decimal("1000.00")
    assert db.update(rec["id"], {"amount": 0.1})["amount"] == Decimal("0.10")  # a float's shortest text
    assert db.update(rec["id"], {"probability": Decimal("12.5")})["probability"] == Decimal("12.500")
    with pytest.raises(crm.ValidationError) as info:
        db.update(rec["id"], {"amount": Decimal("NaN")})
    assert info.value.errors[0]["field"] == "amount"
    with pytest.raises(crm.ValidationError) as info:
        db.update(rec["id"], {"probability": Decimal("100.5")})
    assert info.value.errors[0]["code"] == "out_of_range"
    with pytest.raises(crm.ValidationError) as info:
        db.update(rec["id"], {"amount": 10**40})
    assert info.value.errors[0]["code"] == "out_of_range"


def test_dates_and_strings_that_parse(db: crm.Crm, org: dict[str, Any]) -> None:
    rec = deal(db, org, "Dates", "1", closingdate="2027-12-24")
    assert rec["closingdate"] == date(2027, 12, 24)
    moved = db.update(rec["id"], {"closingdate": datetime(2028, 1, 2, 15, 30)})
    assert moved["closingdate"] == date(2028, 1, 2)
    with pytest.raises(crm.ValidationError) as info:
        db.update(rec["id"], {"closingdate": "2027-02-30"})
    assert info.value.errors[0]["code"] == "invalid_format"


def test_datetimes_are_aware_utc_out_and_naive_utc_or_aware_in(db: crm.Crm, org: dict[str, Any]) -> None:
    rec = deal(db, org, "Times", "1")
    created = rec["createdtime"]
    assert isinstance(created, datetime) and created.tzinfo is timezone.utc  # stored in UTC, returned aware
    assert db.get(rec["id"])["modifiedtime"].tzinfo is timezone.utc
    aware = created.astimezone(timezone(timedelta(hours=2)))  # the same instant in another zone
    assert db.count("Potentials", [("createdtime", "=", aware)]) == 1
    assert db.count("Potentials", [("createdtime", "=", created.replace(tzinfo=None))]) == 1  # naive is UTC
    assert db.count("Potentials", [("createdtime", ">", created)]) == 0
    field = db.add_field("Potentials", label="Kick-off", type="date_time")["name"]
    tehran = timezone(timedelta(hours=3, minutes=30))
    moved = db.update(rec["id"], {field: datetime(2027, 1, 2, 6, 34, 5, tzinfo=tehran)})
    assert moved[field] == datetime(2027, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert moved[field].tzinfo is timezone.utc
    assert db.update(rec["id"], {field: datetime(2027, 1, 2, 3, 4, 5)})[field] == datetime(2027, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    # history, stage history, comments and the change feed: aware too
    assert all(h["at"].tzinfo is timezone.utc for h in db.history(rec["id"]))
    assert all(s["at"].tzinfo is timezone.utc for s in db.stage_history(rec["id"]))
    assert all(d["entered"].tzinfo is timezone.utc for d in db.stage_durations(rec["id"]))
    assert all(e["at"].tzinfo is timezone.utc for e in db.changes())


def test_times_checkboxes_integers_owner(db: crm.Crm) -> None:
    ev = db.create("Calendar", {"subject": "Call", "activitytype": "Call", "date_start": date(2027, 1, 5), "time_start": time(9, 30), "due_date": "2027-01-05", "time_end": "10:15"})
    assert ev["time_start"] == time(9, 30)
    assert ev["time_end"] == time(10, 15)
    acc = db.create("Accounts", {"accountname": "Flags", "emailoptout": True, "notify_owner": "no", "employees": 42})
    assert acc["emailoptout"] is True
    assert acc["notify_owner"] is False
    assert acc["employees"] == 42
    assert isinstance(acc["assigned_user_id"], int)
    assert db.update(acc["id"], {"emailoptout": 0})["emailoptout"] is False
    with pytest.raises(crm.ValidationError):
        db.update(acc["id"], {"employees": "many"})


def test_references_by_id_record_or_name(db: crm.Crm, org: dict[str, Any]) -> None:
    by_record = deal(db, org, "R1", "1", related_to=org)
    assert by_record["related_to"] == org["id"]
    by_name = deal(db, org, "R2", "1", related_to="Hooli")
    assert by_name["related_to"] == org["id"]
    with pytest.raises(crm.ValidationError) as info:
        deal(db, org, "R3", "1", related_to=by_name["id"])  # an opportunity is not an organization
    assert info.value.errors[0]["code"] == "invalid_reference"


def test_empty_is_none_and_none_clears(db: crm.Crm, org: dict[str, Any]) -> None:
    rec = deal(db, org, "Empty", "1", nextstep="call")
    assert rec["nextstep"] == "call"
    cleared = db.update(rec["id"], {"nextstep": None})
    assert cleared["nextstep"] is None
    assert db.update(rec["id"], {"description": "   "})["description"] is None


def test_multi_select_lists_in_conditions(db: crm.Crm, org: dict[str, Any]) -> None:
    deal(db, org, "A", "1")
    deal(db, org, "B", "2", stage="Closed Won")
    rows = db.find("Potentials", [("sales_stage", "in", ("Closed Won", "Closed Lost"))])
    assert [r["potentialname"] for r in rows] == ["B"]
    rows = db.find("Potentials", [("sales_stage", "in", {"Prospecting"})])
    assert [r["potentialname"] for r in rows] == ["A"]


def test_unsupported_values_raise_type_error(db: crm.Crm, org: dict[str, Any]) -> None:
    with pytest.raises(TypeError, match="nextstep"):
        deal(db, org, "T", "1", nextstep=object())
    with pytest.raises(TypeError, match="list items must be str"):
        deal(db, org, "T", "1", nextstep=[1, 2])
    with pytest.raises(TypeError):
        db.create("Potentials", [("potentialname", "x")])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        db.create("Potentials", {1: "x"})  # type: ignore[dict-item]
