"""Unbounded reads are paged: `iter` streams by keyset (bounded memory, no skips when records go away
meanwhile), and the logs (a record's history, the schema change log, an import's rows) come in pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import crm_engine as crm

from .conftest import deal


def test_iter_streams_by_keyset_and_skips_nothing_when_records_are_deleted(db: crm.Crm, org: dict[str, Any]) -> None:
    names = {f"Deal {i:02}" for i in range(10)}
    for name in sorted(names):
        deal(db, org, name, "100")
    seen: list[str] = []
    it = db.iter("Potentials", batch=3)
    for r in it:
        seen.append(r["potentialname"])
        # Deleting what was already read moved an offset past records not yet read.
        db.delete(r["id"])
    assert sorted(seen) == sorted(names)
    assert len(seen) == len(set(seen))


def test_history_schema_changes_and_import_rows_are_paged(db: crm.Crm, org: dict[str, Any], tmp_path: Path) -> None:
    d = deal(db, org, "Paged", "100")
    for i in range(5):
        db.update(d["id"], {"amount": str(200 + i)})
    everything = db.history(d["id"])
    walked: list[Any] = []
    after = None
    while page := db.history(d["id"], after=after, limit=2):
        assert len(page) <= 2
        walked += page
        after = page[-1]["id"]
    assert walked == everything

    for label in ("P1", "P2", "P3"):
        db.add_field("Potentials", label=label, type="text")
    changes = db.schema_changes()
    walked = []
    after = None
    while page := db.schema_changes(after=after, limit=2):
        walked += page
        after = page[-1]["version"]
    assert walked == changes

    csv = tmp_path / "deals.csv"
    csv.write_text("Opportunity Name,Sales Stage,Expected Close Date\n" + "".join(f"I{i},Prospecting,2027-03-31\n" for i in range(5)))
    report = db.import_csv(csv, "Potentials")
    rows = db.import_rows(report.import_id)
    assert len(rows) == 5
    assert db.import_rows(report.import_id, offset=0, limit=2) + db.import_rows(report.import_id, offset=2, limit=3) == rows

    for limit in (0, 10_001):
        with pytest.raises(crm.InvalidArgumentError, match="MAX_LOG_PAGE"):
            db.history(d["id"], limit=limit)
        with pytest.raises(crm.InvalidArgumentError, match="MAX_LOG_PAGE"):
            db.schema_changes(limit=limit)
        with pytest.raises(crm.InvalidArgumentError, match="MAX_LOG_PAGE"):
            db.import_rows(report.import_id, limit=limit)


def test_find_reads_one_record_at_a_time_and_lists_what_iter_walks(db: crm.Crm, org: dict[str, Any]) -> None:
    for i in range(12):
        deal(db, org, f"Deal {i:02}", str(100 + i % 4))
    for order_by in (None, "potentialname", ["-amount", "potentialname"]):
        listed = db.find("Potentials", order_by=order_by)
        walked = list(db.iter("Potentials", order_by=order_by or "-modifiedtime", batch=5))
        assert len(listed) == 12
        if order_by is not None:
            assert [r["id"] for r in listed] == [r["id"] for r in walked]
    page = db.find("Potentials", order_by="potentialname", limit=3, offset=4)
    assert [r["potentialname"] for r in page] == ["Deal 04", "Deal 05", "Deal 06"]
