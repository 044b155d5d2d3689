"""Record operations: create, quick create, get, update, delete, restore, purge, find, count, iter, page,
aggregate, history, stage history."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

import crm_engine as crm

from .conftest import deal


def test_create_returns_a_plain_dict_with_every_field(db: crm.Crm, org: dict[str, Any]) -> None:
    rec = deal(db, org, "Big deal", "1000", probability=Decimal("20"))
    assert type(rec) is dict
    assert rec["module"] == "Potentials"
    assert isinstance(rec["id"], int)
    assert list(rec)[:5] == ["id", "module", "label", "version", "deleted"]
    assert {f["name"] for f in db.fields("Potentials")} == set(rec) - {"id", "module", "label", "version", "deleted"}
    assert rec["amount"] == Decimal("1000.00") and str(rec["amount"]) == "1000.00"
    assert rec["probability"] == Decimal("20")
    assert rec["closingdate"] == date(2027, 3, 31)
    assert rec["related_to"] == org["id"]
    assert rec["potential_no"] == "POT1"
    assert rec["nextstep"] is None
    assert isinstance(rec["createdtime"], datetime)
    assert db.get(rec["id"]) == rec


def test_stage_sets_default_probability(db: crm.Crm, org: dict[str, Any]) -> None:
    rec = deal(db, org, "Deal", "500", stage="Qualification")
    assert rec["probability"] == Decimal("20.000")


def test_quick_create_accepts_only_quick_create_fields(db: crm.Crm, org: dict[str, Any]) -> None:
    rec = db.quick_create("Potentials", {"potentialname": "Quick", "sales_stage": "Prospecting", "closingdate": "2027-01-31", "related_to": org["id"]})
    assert rec["potentialname"] == "Quick"
    with pytest.raises(crm.ValidationError) as info:
        db.quick_create("Potentials", {"potentialname": "Q2", "sales_stage": "Prospecting", "closingdate": "2027-01-31", "nextstep": "call"})
    assert {"field": "nextstep", "code": "not_allowed", "message": "is not in the quick-create form"} in info.value.errors


def test_get_accepts_a_record_dict_and_unknown_id_raises(db: crm.Crm, org: dict[str, Any]) -> None:
    assert db.get(org) == org
    with pytest.raises(crm.NotFoundError) as info:
        db.get(999_999)
    assert info.value.code == "not_found"
    assert isinstance(info.value, LookupError)
    with pytest.raises(TypeError):
        db.get("12")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        db.get(True)


def test_update_changes_given_fields_and_checks_version(db: crm.Crm, org: dict[str, Any]) -> None:
    rec = deal(db, org, "Deal", "100")
    changed = db.update(rec["id"], {"amount": "250.5", "nextstep": "Call back"})
    assert changed["amount"] == Decimal("250.50")
    assert changed["nextstep"] == "Call back"
    assert changed["potentialname"] == "Deal"
    # a record dict can be edited and handed back (id and module are ignored)
    again = dict(changed)
    again["nextstep"] = "Send offer"
    for readonly in ("potential_no", "createdtime", "modifiedtime", "modifiedby", "source", "isconvertedfromlead", "forecast_amount"):
        again.pop(readonly)
    assert db.update(rec["id"], again)["nextstep"] == "Send offer"
    with pytest.raises(crm.ConflictError) as info:
        db.update(rec["id"], {"nextstep": "stale"}, version=1)
    assert info.value.code == "conflict"
    assert db.update(rec["id"], {"nextstep": "fresh"}, version=3)["nextstep"] == "fresh"


def test_delete_restore_purge(db: crm.Crm, org: dict[str, Any]) -> None:
    rec = deal(db, org, "Deal", "100")
    assert db.delete(rec["id"]) is None
    assert db.count("Potentials") == 0
    assert [r["id"] for r in db.find("Potentials", deleted=True)] == [rec["id"]]
    assert db.count("Potentials", deleted=True) == 1
    with pytest.raises(crm.ConflictError):
        db.delete(rec["id"])
    with pytest.raises(crm.NotFoundError):
        db.update(rec["id"], {"nextstep": "x"})
    assert db.restore(rec["id"])["potentialname"] == "Deal"
    assert db.count("Potentials") == 1
    with pytest.raises(crm.ConflictError, match="recycle bin"):
        db.purge(rec["id"])
    db.delete(rec["id"])
    assert db.purge(rec["id"]) is None
    with pytest.raises(crm.NotFoundError):
        db.get(rec["id"])


@pytest.fixture
def deals(db: crm.Crm, org: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        deal(db, org, "Alpha", "500", closingdate=date(2027, 1, 31)),
        deal(db, org, "Beta", "20000", stage="Closed Won", closingdate=date(2027, 2, 28)),
        deal(db, org, "Gamma", "15000.10", stage="Closed Won", closingdate=date(2027, 4, 30)),
        deal(db, org, "Delta", "12000", stage="Negotiation or Review", closingdate=date(2027, 3, 15)),
    ]


def names(rows: list[dict[str, Any]]) -> list[str]:
    return [r["potentialname"] for r in rows]


def test_find_with_conditions_order_limit_offset(db: crm.Crm, deals: list[dict[str, Any]]) -> None:
    rows = db.find("Potentials", where=[("amount", ">", 10000), ("sales_stage", "=", "Closed Won")], order_by="-closingdate")
    assert names(rows) == ["Gamma", "Beta"]
    assert names(db.find("Potentials", order_by="amount")) == ["Alpha", "Delta", "Gamma", "Beta"]
    assert names(db.find("Potentials", order_by=["sales_stage", "-amount"])) == ["Beta", "Gamma", "Delta", "Alpha"]
    assert names(db.find("Potentials", order_by="amount", limit=2, offset=1)) == ["Delta", "Gamma"]
    assert names(db.find("Potentials", ("potentialname", "starts with", "a"))) == ["Alpha"]
    assert names(db.find("Potentials", {"sales_stage": "Closed Won"}, order_by="potentialname")) == ["Beta", "Gamma"]
    assert names(db.find("Potentials", [("amount", "between", (Decimal("12000"), "15000.10"))], order_by="amount")) == ["Delta", "Gamma"]
    assert names(db.find("Potentials", [("potentialname", "in", ["Alpha", "Delta"])], order_by="potentialname")) == ["Alpha", "Delta"]
    any_of = {"any": [("amount", "<", 1000), ("closingdate", ">=", date(2027, 4, 1))]}
    assert names(db.find("Potentials", [any_of], order_by="amount")) == ["Alpha", "Gamma"]
    assert names(db.find("Potentials", [{"not": ("sales_stage", "=", "Closed Won")}], order_by="amount")) == ["Alpha", "Delta"]
    assert names(db.find("Potentials", [("nextstep", "is empty")], order_by="amount", limit=1)) == ["Alpha"]
    assert db.find("Potentials", [("nextstep", "is not empty", None)]) == []
    # labels work as field names; vtiger comparator codes work as operators
    assert names(db.find("Opportunities", [("Amount", "g", "19999.99")])) == ["Beta"]
    created = deals[0]["createdtime"]
    assert len(db.find("Potentials", [("createdtime", ">=", created - timedelta(days=1))])) == 4


def test_find_rejects_bad_queries(db: crm.Crm, deals: list[dict[str, Any]]) -> None:
    with pytest.raises(crm.InvalidArgumentError):
        db.find("Potentials", [("nope", "=", 1)])
    with pytest.raises(crm.InvalidArgumentError, match="unknown operator"):
        db.find("Potentials", [("amount", "~", 1)])
    with pytest.raises(crm.InvalidArgumentError):
        db.find("Potentials", [("amount", "contains", "1")])
    with pytest.raises(crm.InvalidArgumentError):
        db.find("Potentials", [("amount", ">", "abc")])
    with pytest.raises(crm.InvalidArgumentError):
        db.find("Potentials", [("amount", ">")])
    with pytest.raises(crm.InvalidArgumentError):
        db.find("Potentials", [{"either": []}])
    with pytest.raises(crm.NotFoundError):
        db.find("Nope")
    with pytest.raises(TypeError):
        db.find("Potentials", ["amount > 3"])  # type: ignore[list-item]
    with pytest.raises(ValueError):  # InvalidArgumentError is a ValueError too
        db.find("Potentials", order_by="nope")


def test_count(db: crm.Crm, deals: list[dict[str, Any]]) -> None:
    assert db.count("Potentials") == 4
    assert db.count("Potentials", [("sales_stage", "=", "Closed Won")]) == 2
    assert db.count("Accounts") == 1


def test_iter_is_lazy_and_complete(db: crm.Crm, org: dict[str, Any]) -> None:
    for i in range(25):
        deal(db, org, f"D{i:02}", str(100 + i))
    it = db.iter("Potentials", batch=10)
    assert iter(it) is it
    first = next(it)
    assert first["potentialname"] == "D00"  # creation order by default
    # records changed while iterating are neither skipped nor repeated
    db.update(first["id"], {"nextstep": "touched"})
    rest = list(it)
    assert [r["potentialname"] for r in [first, *rest]] == [f"D{i:02}" for i in range(25)]
    assert next(it, None) is None
    filtered = db.iter("Potentials", [("amount", ">=", 120)], order_by="-amount", batch=2)
    assert [r["potentialname"] for r in filtered] == ["D24", "D23", "D22", "D21", "D20"]
    with pytest.raises(crm.InvalidArgumentError):
        db.iter("Potentials", batch=0)


def test_page(db: crm.Crm, deals: list[dict[str, Any]]) -> None:
    p = db.page("Potentials", page=2, page_size=3, order_by="amount")
    assert p["total"] == 4 and p["page"] == 2 and p["page_size"] == 3
    assert names(p["records"]) == ["Beta"]
    p = db.page("Potentials", [("sales_stage", "=", "Closed Won")], page_size=1, order_by="amount")
    assert p["total"] == 2 and names(p["records"]) == ["Gamma"]


def test_aggregate_sums_exactly(db: crm.Crm, deals: list[dict[str, Any]]) -> None:
    by_stage = {g["sales_stage"]: g for g in db.aggregate("Potentials", group_by="sales_stage", sums=["amount"])}
    assert by_stage["Closed Won"]["count"] == 2
    assert by_stage["Closed Won"]["amount"] == Decimal("35000.10")
    assert by_stage["Prospecting"]["amount"] == Decimal("500.00")
    total = db.aggregate("Potentials", sums=["Amount"], where=[("amount", ">", 1000)])
    assert total == [{"count": 3, "amount": Decimal("47000.10")}]
    with pytest.raises(crm.InvalidArgumentError):
        db.aggregate("Potentials", sums=["potentialname"])


def test_history_and_stage_history(db: crm.Crm, org: dict[str, Any]) -> None:
    rec = deal(db, org, "Deal", "100")
    db.update(rec["id"], {"sales_stage": "Closed Won", "amount": "150"})
    db.update(rec["id"], {"nextstep": "invoice"})
    db.delete(rec["id"])
    db.restore(rec["id"])
    hist = db.history(rec["id"])
    assert [h["kind"] for h in hist] == ["created", "updated", "updated", "deleted", "restored"]
    assert all(h["record"] == rec["id"] and h["module"] == "Potentials" and h["actor"] == "admin" for h in hist)
    assert isinstance(hist[0]["at"], datetime)
    changes = {c["field"]: c for c in hist[1]["changes"]}
    assert changes["amount"] == {"field": "amount", "before": "100.00", "after": "150.00"}
    assert changes["sales_stage"]["after"] == "Closed Won"
    stages = db.stage_history(rec["id"])
    assert [s["stage"] for s in stages] == ["Prospecting", "Closed Won"]
    assert stages[1]["amount"] == Decimal("150.00")
    assert stages[1]["probability"] == Decimal("100.000")
    assert stages[0]["closingdate"] == date(2027, 3, 31)
    durations = db.stage_durations(rec["id"])
    assert [d["stage"] for d in durations] == ["Prospecting", "Closed Won"]
    assert durations[-1]["left"] is None and durations[0]["seconds"] >= 0
    with pytest.raises(crm.NotFoundError):
        db.history(424242)
    with pytest.raises(crm.NotFoundError):
        db.stage_history(424242)
