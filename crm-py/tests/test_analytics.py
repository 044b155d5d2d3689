"""Sales analytics from Python: forecast by category, quotas and attainment, win rate, velocity, funnel,
time in stage, lost reasons, pipeline as of a date and snapshots; every figure computed by hand from the
deals made here (the clock is the system's: days to close come from the stored creation time)."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

import crm_engine as crm

from .conftest import deal


@pytest.fixture
def sales(db: crm.Crm, org: dict[str, Any]) -> crm.Crm:
    db.add_user("jdoe", full_name="John Doe")
    deal(db, org, "A", "10000", "Closed Won", closingdate=date(2027, 2, 15), assigned_user_id="jdoe", leadsource="Partner")
    deal(db, org, "B", "5000", "Closed Lost", closingdate=date(2027, 3, 1), assigned_user_id="jdoe", lost_reason="Price")
    deal(db, org, "C", "8000", "Negotiation or Review", closingdate=date(2027, 3, 20))
    deal(db, org, "D", "2000", "Prospecting", closingdate=date(2027, 1, 10))
    return db


def test_forecast_by_category_and_period(sales: crm.Crm) -> None:
    rows = sales.forecast("Potentials", by="forecast_category", period="2027-Q1")
    assert rows == [
        {"forecast_category": "Pipeline", "period": "2027-Q1", "count": 1, "amount": Decimal("2000"), "forecast_amount": Decimal("200")},
        {"forecast_category": "Commit", "period": "2027-Q1", "count": 1, "amount": Decimal("8000"), "forecast_amount": Decimal("6400")},
        {"forecast_category": "Closed", "period": "2027-Q1", "count": 1, "amount": Decimal("10000"), "forecast_amount": Decimal("10000")},
        {"forecast_category": "Omitted", "period": "2027-Q1", "count": 1, "amount": Decimal("5000"), "forecast_amount": Decimal("0")},
    ]
    assert all(isinstance(r["amount"], Decimal) for r in rows)
    grid = sales.forecast(by=["forecast_category", "quarter", "owner"], period="2027")
    assert [(r["forecast_category"], r["quarter"], r["owner"]) for r in grid] == [
        ("Pipeline", "2027-Q1", "admin"),
        ("Commit", "2027-Q1", "admin"),
        ("Closed", "2027-Q1", "jdoe"),
        ("Omitted", "2027-Q1", "jdoe"),
    ]
    assert sales.forecast(by="sales_stage")[0]["key"] == "Closed Lost"  # the pipeline report is unchanged
    with pytest.raises(crm.InvalidArgumentError):
        sales.forecast(by="forecast_category", as_of=date(2027, 1, 1))
    with pytest.raises(crm.InvalidArgumentError):
        sales.forecast(by="weekly", period="2027")


def test_quotas_and_attainment(sales: crm.Crm) -> None:
    assert sales.set_quota("jdoe", "2027-q1", Decimal("20000")) == {"owner": "jdoe", "period": "2027-Q1", "amount": Decimal("20000")}
    sales.set_quota("admin", "2027-Q1", 16000)
    assert len(sales.quotas()) == 2
    rows = sales.attainment("2027-Q1", by="owner")
    assert rows[0]["owner"] == "admin" and rows[0]["open_amount"] == Decimal("10000") and rows[0]["coverage"] == Decimal("0.625")
    assert rows[1]["owner"] == "jdoe" and rows[1]["attainment"] == Decimal("0.5") and rows[1]["remaining"] == Decimal("10000")
    total = sales.attainment("2027-Q1", by="total")
    assert total[0]["quota"] == Decimal("36000") and total[0]["attainment"] == Decimal("0.2778")
    with pytest.raises(crm.NotFoundError):
        sales.set_quota("nobody", "2027-Q1", 1)
    with pytest.raises(crm.InvalidArgumentError):
        sales.set_quota("jdoe", "2027-Q5", 1)
    with pytest.raises(crm.InvalidArgumentError):
        sales.set_quota("jdoe", "2027-Q1", "lots")


def test_win_rate_velocity_and_lost_reasons(sales: crm.Crm) -> None:
    a = sales.find("Potentials", where=[("potentialname", "=", "A")])[0]
    days = (date(2027, 2, 15) - a["createdtime"].date()).days
    (row,) = sales.win_rate(period="2027")
    assert (row["closed"], row["won"], row["win_rate"], row["win_rate_amount"]) == (2, 1, Decimal("0.5"), Decimal("0.6667"))
    assert row["median_days_to_close"] == Decimal(days) and row["average_days_to_close"] == Decimal(days)
    by_owner = sales.win_rate(period="2027", by="owner")
    assert [r["owner"] for r in by_owner] == ["jdoe"]
    (v,) = sales.sales_velocity(period="2027-Q1")
    # 2 open deals x 10000 won amount x 1 won / (2 closed x days)
    assert v["open_deals"] == 2 and v["velocity"] == (Decimal(20000) / Decimal(2 * days)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert sales.lost_reasons(period="2027") == [
        {"lost_reason": "Price", "period": "2027", "count": 1, "amount": Decimal("5000"), "share": Decimal("1")}
    ]
    assert sales.lost_reasons(period="2027", by="last_open_stage")[0]["last_open_stage"] == ""
    with pytest.raises(crm.InvalidArgumentError):
        sales.win_rate(period="2027", by="month")


def test_funnel_time_in_stage_as_of_and_snapshots(sales: crm.Crm) -> None:
    d = sales.find("Potentials", where=[("potentialname", "=", "D")])[0]
    month = d["createdtime"].strftime("%Y-%m")
    sales.update(d["id"], {"sales_stage": "Qualification"})
    funnel = {r["stage"]: r for r in sales.stage_funnel(period=month)}
    assert funnel["Prospecting"]["reached"] == 1 and funnel["Prospecting"]["advanced"] == 1
    assert funnel["Prospecting"]["conversion_to_next"] == Decimal("1") and funnel["Needs Analysis"]["conversion_to_next"] is None
    (spell,) = sales.time_in_stage(period=month)
    assert spell["stage"] == "Prospecting" and spell["spells"] == 1 and spell["median_days"] == Decimal("0")
    rows = sales.pipeline_as_of(date(2999, 12, 31), by="kind")
    assert rows[1] == {"key": "open", "count": 2, "amount": Decimal("10000"), "forecast_amount": Decimal("6800"), "label": "Open"}
    assert sales.pipeline_as_of(date(2000, 1, 1)) == []
    snap = sales.snapshot_pipeline()
    assert [(r["forecast_category"], r["stage"], r["count"]) for r in snap] == [
        ("Pipeline", "Qualification", 1),
        ("Commit", "Negotiation or Review", 1),
    ]
    assert sales.pipeline_snapshots() == snap
    assert sales.pipeline_snapshots(start=date(2999, 1, 1)) == []


def test_category_mapping_and_required_lost_reason(sales: crm.Crm, org: dict[str, Any]) -> None:
    sales.set_forecast_category("Prospecting", "Best Case")
    e = deal(sales, org, "E", "1", "Prospecting")
    assert e["forecast_category"] == "Best Case"
    sales.set_require_lost_reason(True)
    with pytest.raises(crm.ValidationError):
        sales.update(e["id"], {"sales_stage": "Closed Lost"})
    assert sales.update(e["id"], {"sales_stage": "Closed Lost", "lost_reason": "Timing"})["forecast_category"] == "Omitted"
    with pytest.raises(crm.InvalidArgumentError):
        sales.set_forecast_category("Prospecting", "Maybe")


def test_jalali_periods(sales: crm.Crm) -> None:
    # Spring 1406 starts at Nowruz (2027-03-21): C (2027-03-20) closes in Esfand 1405, none of A-D in 1406.
    assert [r["count"] for r in sales.forecast(by="forecast_category", period="1405-Q4")] == [1, 1, 1, 1]
    assert sum(r["count"] for r in sales.forecast(by="forecast_category", period="۱۴۰۶-Q1")) == 0
    assert sales.set_quota("jdoe", "1405", Decimal("20000"))["period"] == "1405"
