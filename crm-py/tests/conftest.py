"""Shared fixtures: every storage-facing test runs against the in-memory store AND a real SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import crm_engine as crm


@pytest.fixture(params=["memory", "sqlite"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[crm.Crm]:
    """A fresh database with the user `admin` acting (memory store, then a SQLite file)."""
    path = ":memory:" if request.param == "memory" else str(tmp_path / "crm.db")
    with crm.Crm(path, user="admin") as handle:
        handle.add_user("admin", full_name="Administrator", email="admin@example.com")
        yield handle


@pytest.fixture
def org(db: crm.Crm) -> dict[str, Any]:
    """An organization to relate opportunities to."""
    return db.create("Accounts", {"accountname": "Hooli"})


def deal(db: crm.Crm, org: dict[str, Any], name: str, amount: str, stage: str = "Prospecting", **extra: Any) -> dict[str, Any]:
    """Creates one opportunity."""
    fields: dict[str, Any] = {
        "potentialname": name,
        "amount": Decimal(amount),
        "sales_stage": stage,
        "closingdate": date(2027, 3, 31),
        "related_to": org["id"],
    }
    fields.update(extra)
    return db.create("Potentials", fields)
