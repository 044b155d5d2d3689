"""Saved filters, list pages, search."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import crm_engine as crm

from .conftest import deal


@pytest.fixture
def deals(db: crm.Crm, org: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        deal(db, org, "Alpha", "100", "Prospecting"),
        deal(db, org, "Beta", "20000", "Closed Won"),
        deal(db, org, "Gamma", "30000", "Closed Won"),
        deal(db, org, "Delta widget", "50", "Qualification"),
    ]


def test_default_filters_and_find_by_filter(db: crm.Crm, deals: list[dict[str, Any]]) -> None:
    names = [f["name"] for f in db.filters("Potentials")]
    assert names[:3] == ["All", "Potentials Won", "Prospecting"]
    won = db.find("Potentials", filter="Potentials Won", order_by="amount")
    assert [r["potentialname"] for r in won] == ["Beta", "Gamma"]
    won_id = db.filter("Potentials", "Potentials Won")["id"]
    assert db.find("Potentials", filter=won_id, where=[("amount", ">", 25000)])[0]["potentialname"] == "Gamma"
    assert db.count("Potentials", filter="Prospecting") == 1
    with pytest.raises(crm.NotFoundError):
        db.find("Potentials", filter="Nope")


def test_save_update_delete_filter(db: crm.Crm, deals: list[dict[str, Any]]) -> None:
    f = db.save_filter(
        "Potentials",
        {"name": "Big", "columns": ["potentialname", "amount"], "all": [("amount", "g", "1000")], "sort": ["-amount"]},
    )
    assert f["id"] > 0 and f["module"] == "Potentials" and f["visibility"] == "public"
    assert [r["potentialname"] for r in db.find("Potentials", filter="Big")] == ["Gamma", "Beta"]
    f["any"] = [{"field": "potentialname", "comparator": "c", "value": "Gam"}]
    f["sort"] = "amount"
    f2 = db.save_filter("Potentials", f)
    assert f2["id"] == f["id"]
    assert [r["potentialname"] for r in db.find("Potentials", filter=f["id"])] == ["Gamma"]
    private = db.save_filter("Potentials", {"name": "Mine", "visibility": "private", "owner": "admin", "all": [("sales_stage", "e", "Prospecting")]})
    assert private["visibility"] == "private"
    db.delete_filter("Potentials", "Mine")
    db.delete_filter("Potentials", f["id"])
    assert "Big" not in [x["name"] for x in db.filters("Potentials")]
    with pytest.raises(crm.ConflictError):
        db.delete_filter("Potentials", "All")  # a system filter
    with pytest.raises(crm.InvalidArgumentError):
        db.save_filter("Potentials", {"name": "Bad", "all": [("no_such_field", "e", "1")]})
    with pytest.raises(crm.ConflictError):
        db.save_filter("Potentials", {"name": "All"})
    # The JSON form C's crm_filter_save takes reads the same (one reader in crm-core); a typo is refused.
    c_form = {"name": "C", "all": [{"field": "amount", "comparator": "g", "value": 1000}], "sort": [{"field": "amount", "descending": True}]}
    assert db.save_filter("Potentials", c_form)["all"][0]["value"] == "1000"
    assert [r["potentialname"] for r in db.find("Potentials", filter="C")] == ["Gamma", "Beta"]
    with pytest.raises(crm.InvalidArgumentError, match="al"):
        db.save_filter("Potentials", {"name": "Typo", "al": [("amount", "g", "1")]})


def test_list_view_pages(db: crm.Crm, deals: list[dict[str, Any]]) -> None:
    page = db.list_view("Potentials", page_size=3)
    assert page["filter"]["name"] == "All" and page["total"] == 4 and len(page["records"]) == 3
    page2 = db.list_view("Potentials", "All", page=2, page_size=3, sort="-amount")
    assert page2["page"] == 2 and [r["potentialname"] for r in page2["records"]] == ["Delta widget"]
    won = db.list_view("Potentials", "Potentials Won")
    assert won["total"] == 2


def test_search(db: crm.Crm, deals: list[dict[str, Any]]) -> None:
    found = db.search("Potentials", "WIDGET")
    assert [r["potentialname"] for r in found["records"]] == ["Delta widget"] and found["total"] == 1
    cols = db.search_columns("Potentials", {"sales_stage": "Closed Won", "potentialname": "bet"})
    assert [r["potentialname"] for r in cols["records"]] == ["Beta"]
    assert db.search_columns("Potentials", [("amount", "100")])["records"][0]["amount"] == Decimal("100")


def test_filters_persist_in_the_file(tmp_path: Path) -> None:
    path = str(tmp_path / "views.db")
    with crm.Crm(path) as db:
        db.save_filter("Potentials", {"name": "Big", "all": [("amount", "g", "1000")]})
    with crm.Crm(path) as db:
        assert "Big" in [f["name"] for f in db.filters("Potentials")]


def test_page_after_walks_keyset_pages_with_an_opaque_cursor(db: crm.Crm, org: dict[str, Any]) -> None:
    for i, amount in enumerate(["300", "100", "200", "100", "500"]):
        deal(db, org, f"k{i}", amount)
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        p = db.page_after("Potentials", cursor=cursor, page_size=2, order_by="amount")
        seen += [r["potentialname"] for r in p["records"]]
        pages += 1
        cursor = p["cursor"]
        if cursor is None or pages > 5:
            break
        assert isinstance(cursor, str)
        # A record inserted before the cursor's position does not shift the next page.
        if pages == 1:
            deal(db, org, "early", "1")
    assert seen == ["k1", "k3", "k2", "k0", "k4"], seen
    only = db.page_after("Potentials", [("amount", ">", "250")], page_size=10, order_by="-amount")
    assert [r["potentialname"] for r in only["records"]] == ["k4", "k0"]
    with pytest.raises(crm.InvalidArgumentError):
        db.page_after("Potentials", cursor="not a cursor")


def test_view_settings_round_trip_and_are_checked(db: crm.Crm) -> None:
    s = db.view_settings()
    assert s["fiscal_year_start_month"] == 1
    db.set_view_settings({**s, "fiscal_year_start_month": 4, "week_start": "Mon"})
    assert db.view_settings()["fiscal_year_start_month"] == 4
    assert db.view_settings()["week_start"] == "Mon"
    with pytest.raises(crm.InvalidArgumentError):
        db.set_view_settings({**s, "fiscal_year_start_month": 13})
    with pytest.raises(crm.InvalidArgumentError):
        db.set_view_settings({"week_start": "Mon"})
    assert db.view_settings()["fiscal_year_start_month"] == 4
