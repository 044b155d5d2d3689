"""Relations, related lists, comments, activities, documents from opportunities, mass actions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

import crm_engine as crm

from .conftest import deal


def test_relate_unrelate_related(db: crm.Crm, org: dict[str, Any]) -> None:
    opp = deal(db, org, "Deal", "1000")
    bob = db.create("Contacts", {"lastname": "Bob"})
    widget = db.create("Products", {"productname": "Widget", "unit_price": Decimal("9.99")})
    link = db.relate(opp["id"], bob["id"], role="Decision Maker")
    assert link["role"] == "Decision Maker" and link["module"] == "Contacts" and link["related"] == bob["id"]
    line = db.relate(opp, widget, quantity=Decimal("3"))
    assert line["quantity"] == Decimal("3") and line["price"] == Decimal("9.99")
    assert [r["id"] for r in db.related(opp["id"], "Contacts")] == [bob["id"]]
    pairs = db.related(opp["id"], "Products", links=True)
    assert pairs[0][0]["productname"] == "Widget" and pairs[0][1]["quantity"] == Decimal("3")
    assert [r["id"] for r in db.related(org["id"], "Potentials")] == [opp["id"]]  # through related_to
    assert len(db.related(org["id"], "Potentials", page=1, page_size=1)) == 1
    db.unrelate(opp["id"], bob["id"])
    assert db.related(opp["id"], "Contacts") == []
    with pytest.raises(crm.NotFoundError):
        db.unrelate(opp["id"], bob["id"])
    with pytest.raises(crm.InvalidArgumentError):
        db.relate(opp["id"], org["id"], role="x")


def test_comments_and_replies(db: crm.Crm, org: dict[str, Any]) -> None:
    opp = deal(db, org, "Deal", "1")
    c = db.comment(opp["id"], "first call went well")
    assert c["author"] == "admin" and c["record"] == opp["id"] and c["parent"] is None
    r = db.comment(opp["id"], "agreed", parent=c["id"])
    assert r["parent"] == c["id"]
    assert [x["text"] for x in db.comments(opp["id"])] == ["agreed", "first call went well"]
    with pytest.raises(crm.InvalidArgumentError):
        db.comment(opp["id"], "")
    with pytest.raises(crm.NotFoundError):
        db.comment(org["id"], "reply elsewhere", parent=c["id"])


def test_activities(db: crm.Crm, org: dict[str, Any]) -> None:
    opp = deal(db, org, "Deal", "1")
    db.create("Calendar", {"subject": "Call", "activitytype": "Call", "date_start": date(2027, 1, 2), "parent_id": opp["id"], "taskstatus": "Planned"})
    acts = db.activities(opp["id"])
    assert [a["subject"] for a in acts] == ["Call"]
    assert db.activities(opp["id"], done=True) == []


@pytest.mark.parametrize(("module", "status"), [("Quotes", "quotestage"), ("SalesOrder", "sostatus"), ("Invoice", "invoicestatus")])
def test_create_from_opportunity(db: crm.Crm, org: dict[str, Any], module: str, status: str) -> None:
    opp = deal(db, org, "Deal", "1000")
    widget = db.create("Products", {"productname": "Widget", "unit_price": Decimal("5")})
    db.relate(opp["id"], widget["id"], quantity=Decimal("2"))
    doc = db.create_from_opportunity(opp["id"], module, {status: "Created"})
    assert doc[status] == "Created" and doc["module"] == module and doc["potential_id"] == opp["id"]
    assert [r["id"] for r in db.related(doc["id"], "Products")] == [widget["id"]]
    with pytest.raises(crm.InvalidArgumentError):
        db.create_from_opportunity(org["id"], module, {status: "Created"})


def test_mass_actions(db: crm.Crm, org: dict[str, Any]) -> None:
    db.add_user("sam")
    ids = [deal(db, org, f"d{i}", "10")["id"] for i in range(3)]
    res = db.mass_edit(ids + [999999], {"nextstep": "Call"})
    assert res["succeeded"] == ids and res["failed"][0]["id"] == 999999 and res["failed"][0]["code"] == "not_found"
    assert all(db.get(i)["nextstep"] == "Call" for i in ids)
    bad = db.mass_edit(ids[:1], {"amount": "12abc"})["failed"][0]
    assert bad["code"] == "validation" and [e["field"] for e in bad["errors"]] == ["amount"]
    sam = [u for u in db.users() if u["user_name"] == "sam"][0]
    assert db.mass_transfer(ids[:2], "sam")["succeeded"] == ids[:2]
    assert db.get(ids[0])["assigned_user_id"] == sam["id"]
    assert db.mass_comment(ids, "quarterly review")["succeeded"] == ids
    assert db.comments(ids[2])[0]["text"] == "quarterly review"
    assert db.mass_delete(ids[:2])["succeeded"] == ids[:2]
    assert db.count("Potentials") == 1
    with pytest.raises(crm.NotFoundError):
        db.mass_transfer(ids, "nobody")
