"""Forecast reports: grouped pipeline with exact Decimal sums, today and as of a past day."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

import crm_engine as crm

from .conftest import deal


@pytest.fixture
def pipeline(db: crm.Crm, org: dict[str, Any]) -> crm.Crm:
    db.add_user("sam", full_name="Sam")
    deal(db, org, "a", "1000.10", "Prospecting", probability=Decimal("10"), closingdate=date(2027, 1, 15))
    deal(db, org, "b", "2000.20", "Prospecting", probability=Decimal("10"), closingdate=date(2027, 2, 1), assigned_user_id="sam")
    deal(db, org, "c", "500", "Closed Won", closingdate=date(2027, 5, 1))
    deal(db, org, "d", "300", "Closed Lost", closingdate=date(2028, 1, 1))
    return db


def rows(db: crm.Crm, by: str | None, **kw: Any) -> dict[str, dict[str, Any]]:
    return {r["key"]: r for r in db.forecast("Potentials", by=by, **kw)}


def test_forecast_by_stage(pipeline: crm.Crm) -> None:
    r = rows(pipeline, "sales_stage")
    prospecting = {"key": "Prospecting", "count": 2, "amount": Decimal("3000.30"), "forecast_amount": Decimal("300.03")}
    assert r["Prospecting"] == {**prospecting, "label": "Prospecting"}
    assert r["Closed Won"]["forecast_amount"] == Decimal("500") and r["Closed Lost"]["forecast_amount"] == Decimal("0")
    assert isinstance(r["Prospecting"]["amount"], Decimal)
    assert rows(pipeline, "stage") == r


def test_forecast_other_groupings(pipeline: crm.Crm) -> None:
    assert set(rows(pipeline, "month")) == {"2027-01", "2027-02", "2027-05", "2028-01"}
    assert rows(pipeline, "quarter")["2027-Q1"]["count"] == 2
    assert rows(pipeline, "year")["2027"]["amount"] == Decimal("3500.30")
    kinds = rows(pipeline, "kind")
    assert kinds["open"]["count"] == 2 and kinds["won"]["count"] == 1 and kinds["lost"]["count"] == 1
    owners = rows(pipeline, "owner")
    assert owners["Sam"]["count"] == 1 and owners["Administrator"]["count"] == 3  # owners by full name
    total = pipeline.forecast()
    assert total == [{"key": "all", "count": 4, "amount": Decimal("3800.30"), "forecast_amount": Decimal("800.03"), "label": "All"}]
    filtered = rows(pipeline, "sales_stage", where=[("amount", ">", 900)])
    assert filtered["Prospecting"]["count"] == 2 and "Closed Lost" not in filtered


def test_forecast_as_of(pipeline: crm.Crm) -> None:
    yesterday = date.today() - timedelta(days=1)
    assert pipeline.forecast(by="sales_stage", as_of=yesterday) == []
    today = rows(pipeline, "sales_stage", as_of=date.today())
    assert today["Prospecting"]["amount"] == Decimal("3000.30")


def test_forecast_errors(pipeline: crm.Crm) -> None:
    with pytest.raises(crm.InvalidArgumentError, match=r"by: unknown value 'weather' \(one of total, stage,"):
        pipeline.forecast(by="weather")
    # C's names for the groupings work here too (one parser in crm-core).
    assert pipeline.forecast(by="close_month") == pipeline.forecast(by="month")
    assert pipeline.forecast(by="Stage") == pipeline.forecast(by="sales_stage")
    with pytest.raises(crm.InvalidArgumentError):
        pipeline.forecast("Accounts", by="month")
    with pytest.raises(crm.NotFoundError):
        pipeline.forecast("Nope")
