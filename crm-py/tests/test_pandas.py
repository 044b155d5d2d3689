"""find results drop straight into pandas.DataFrame (skipped when pandas is not installed)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

import crm_engine as crm

from .conftest import deal

pd = pytest.importorskip("pandas")


def test_find_into_dataframe(db: crm.Crm, org: dict[str, Any]) -> None:
    deal(db, org, "A", "100.10")
    deal(db, org, "B", "200.20", stage="Closed Won")
    df = pd.DataFrame(db.find("Potentials", order_by="potentialname"))
    assert list(df.columns[:6]) == ["id", "module", "label", "version", "deleted", "potentialname"]
    assert list(df["potentialname"]) == ["A", "B"]
    assert df["amount"].sum() == Decimal("300.30")  # object column of exact Decimals
    assert df.groupby("sales_stage")["amount"].sum().to_dict() == {"Closed Won": Decimal("200.20"), "Prospecting": Decimal("100.10")}
    assert pd.DataFrame(list(db.iter("Potentials"))).shape == df.shape
