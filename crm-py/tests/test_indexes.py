"""Declared indexes: add, list, drop, refused definitions, and the index kept across reopening a file."""

from __future__ import annotations

from pathlib import Path

import pytest

import crm_engine as crm


def test_add_list_drop(db: crm.Crm) -> None:
    assert db.indexes("Potentials") == []
    ix = db.add_index("Potentials", ["Sales Stage", "closingdate"])
    assert ix["fields"] == ["sales_stage", "closingdate"] and ix["name"].startswith("ix_")
    other = db.add_index("Potentials", ["amount"])
    assert db.indexes("Potentials") == [ix, other]
    assert db.schema_changes()[-1]["change"]["op"] == "add_index"
    db.drop_index("Potentials", ["amount"])
    assert db.indexes("Potentials") == [ix]


def test_refused_definitions_raise_schema_error(db: crm.Crm) -> None:
    db.add_index("Potentials", ["sales_stage", "closingdate"])
    with pytest.raises(crm.SchemaError, match="already has an index"):
        db.add_index("Potentials", ["sales_stage", "closingdate"])
    with pytest.raises(crm.SchemaError, match="no field"):
        db.add_index("Potentials", ["nosuchfield"])
    with pytest.raises(crm.SchemaError, match="invalid index"):
        db.add_index("Potentials", [])
    with pytest.raises(crm.SchemaError, match="invalid index"):
        db.add_index("Potentials", ["amount", "Amount"])
    with pytest.raises(crm.SchemaError, match="has no index"):
        db.drop_index("Potentials", ["amount"])
    with pytest.raises(crm.SchemaError):
        db.indexes("NoSuchModule")
    assert len(db.indexes("Potentials")) == 1


def test_index_survives_reopen(tmp_path: Path) -> None:
    path = str(tmp_path / "crm.db")
    with crm.Crm(path) as a:
        ix = a.add_index("Potentials", ["sales_stage", "closingdate"])
    with crm.Crm(path) as b:
        assert b.indexes("Potentials") == [ix]
