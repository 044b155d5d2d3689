"""``with db.transaction():`` — every write inside commits together, or none when the block raises; on the
memory store and on a SQLite file."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

import crm_engine as crm

DATA = Path(__file__).parent / "data"


def deal(name: str) -> dict[str, object]:
    """The fields of one opportunity."""
    return {"potentialname": name, "amount": Decimal("1000"), "sales_stage": "Prospecting", "closingdate": date(2027, 3, 31)}


def test_a_clean_block_commits_every_write(db: crm.Crm) -> None:
    with db.transaction():
        assert db.in_transaction
        a = db.create("Potentials", deal("A"))
        db.create("Potentials", deal("B"))
        db.update(a["id"], {"amount": Decimal("2000")})
    assert not db.in_transaction
    assert db.count("Potentials") == 2
    assert db.get(a["id"])["amount"] == Decimal("2000.00")


def test_an_exception_rolls_every_write_back(db: crm.Crm) -> None:
    kept = db.create("Accounts", {"accountname": "Kept"})
    with pytest.raises(RuntimeError, match="boom"):
        with db.transaction():
            db.create("Accounts", {"accountname": "Hooli"})
            db.create("Potentials", deal("Gone"))
            db.update(kept["id"], {"accountname": "Renamed"})
            raise RuntimeError("boom")
    assert not db.in_transaction
    assert db.count("Potentials") == 0
    assert db.count("Accounts") == 1
    assert db.get(kept["id"])["accountname"] == "Kept"
    # The handle goes on working after the rollback.
    db.create("Potentials", deal("After"))
    assert db.count("Potentials") == 1


def test_a_failed_import_inside_rolls_back_with_the_block(db: crm.Crm) -> None:
    with pytest.raises(crm.ValidationError):
        with db.transaction():
            report = db.import_csv(DATA / "vtiger_potentials_export.csv", "Potentials", create_missing_references=True)
            assert report.created > 0
            db.create("Potentials", {"potentialname": "no stage"})  # refused: ValidationError ends the block
    assert db.count("Potentials") == 0
    assert db.imports() == []


def test_by_hand_and_misuse(db: crm.Crm) -> None:
    with pytest.raises(crm.ConflictError):
        db.commit_transaction()
    db.begin_transaction()
    with pytest.raises(crm.ConflictError):
        db.begin_transaction()
    db.create("Potentials", deal("X"))
    db.rollback_transaction()
    assert db.count("Potentials") == 0
    with db.transaction():
        db.create("Potentials", deal("Y"))
        db.commit_transaction()  # ended by hand inside: the exit has nothing left to do
    assert db.count("Potentials") == 1
    with pytest.raises(crm.ConflictError):
        with db.transaction():
            with db.transaction():
                pass
