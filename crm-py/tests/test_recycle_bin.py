"""Records carry `version` and `deleted`; a record in the recycle bin is not read as if it were live."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

import crm_engine as crm

from .conftest import deal


def test_records_carry_the_wire_keys(db: crm.Crm, org: dict[str, Any]) -> None:
    rec = deal(db, org, "Deal", "1000.10")
    assert (rec["version"], rec["deleted"], rec["label"]) == (1, False, "Deal")
    assert db.update(rec["id"], {"amount": Decimal("5")})["version"] == 2
    # The wire keys are ignored as input, so a record can be edited and handed back.
    edited = {k: v for k, v in db.get(rec["id"]).items() if k in ("id", "module", "label", "version", "deleted", "nextstep")}
    edited["nextstep"] = "call"
    assert db.update(rec["id"], edited, version=2)["nextstep"] == "call"


def test_get_refuses_a_record_in_the_recycle_bin(db: crm.Crm, org: dict[str, Any]) -> None:
    rec = deal(db, org, "Deal", "1000.10")
    with pytest.raises(crm.NotFoundError, match="not in the recycle bin"):
        db.get_deleted(rec["id"])
    db.delete(rec["id"])
    with pytest.raises(crm.NotFoundError, match="recycle bin") as info:
        db.get(rec["id"])
    assert info.value.code == "not_found"
    gone = db.get_deleted(rec["id"])
    assert gone["deleted"] is True and gone["version"] == 2
    assert gone["amount"] == Decimal("1000.10")
    assert db.find("Potentials", deleted=True) == [gone]
    assert len(db.history(rec["id"])) == 2
    back = db.restore(rec["id"])
    assert back["deleted"] is False and db.get(rec["id"]) == back


def test_each_error_kind_has_its_class(db: crm.Crm, org: dict[str, Any], tmp_path: Any) -> None:
    cases: list[tuple[type[BaseException], str, Any]] = [
        (crm.ValidationError, "validation", lambda: db.create("Potentials", {})),
        (crm.NotFoundError, "not_found", lambda: db.get(999_999)),
        (crm.InvalidArgumentError, "invalid_argument", lambda: db.find("Potentials", [("amount", "bigger", 1)])),
        (crm.ConflictError, "conflict", lambda: db.purge(org["id"])),
        (crm.SchemaError, "schema", lambda: db.delete_field("Potentials", "potentialname")),
    ]
    for cls, code, call in cases:
        with pytest.raises(cls) as info:
            call()
        assert isinstance(info.value, crm.CrmError) and info.value.code == code, (cls, info.value)
    bad = tmp_path / "not-a-database.crm"
    bad.write_bytes(b"x" * 4096)
    with pytest.raises(crm.StorageError) as storage:
        crm.Crm(str(bad))
    assert storage.value.code == "corrupt"
