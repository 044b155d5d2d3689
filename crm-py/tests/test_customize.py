"""Schema customization: custom fields, blocks, picklist editing, roles, dependencies, stage metadata, log."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import crm_engine as crm
from .conftest import deal


def test_add_update_move_delete_field(db: crm.Crm, org: dict[str, Any]) -> None:
    f = db.add_field("Potentials", label="Region", type="picklist", values=["EU", "US"], default="EU")
    assert f["name"].startswith("cf_") and f["label"] == "Region" and f["type"] == "picklist" and f["custom"] is True
    assert db.picklist_values(("Potentials", "Region")) == ["EU", "US"]
    rec = deal(db, org, "With region", "100")
    assert rec[f["name"]] == "EU"
    rec = db.update(rec["id"], {"Region": "US"})
    assert rec[f["name"]] == "US"

    budget = db.add_field("Potentials", label="Budget", type="currency", precision=25, scale=2, mandatory=False)
    assert budget["type"] == "currency" and budget["scale"] == 2
    assert db.update(rec["id"], {budget["name"]: Decimal("12.50")})[budget["name"]] == Decimal("12.50")

    up = db.update_field("Potentials", "Budget", label="Budget (EUR)", mass_editable=False)
    assert up["label"] == "Budget (EUR)" and up["mass_editable"] is False

    block = db.add_block("Potentials", "Extra")
    assert block["label"] == "Extra" and block["custom"] is True
    assert db.blocks("Potentials")[-1] == block
    db.move_field("Potentials", "Budget (EUR)", "Extra")
    assert {x["name"]: x for x in db.fields("Potentials")}[budget["name"]]["block"] == block["name"]
    with pytest.raises(crm.SchemaError):
        db.delete_block("Potentials", "Extra")  # not empty
    db.delete_field("Potentials", budget["name"])
    assert budget["name"] not in {x["name"] for x in db.fields("Potentials")}
    db.rename_block("Potentials", "Extra", "More")
    assert db.blocks("Potentials")[-1]["label"] == "More"
    db.delete_block("Potentials", "More")
    assert all(b["label"] != "More" for b in db.blocks("Potentials"))

    kinds = [c["change"] for c in db.schema_changes()]
    assert len(kinds) >= 8
    assert all({"version", "actor", "at", "change"} <= set(c) for c in db.schema_changes())
    assert db.schema_changes()[0]["actor"] == "admin"


def test_schema_errors(db: crm.Crm) -> None:
    db.add_field("Potentials", label="Region", type="text")
    with pytest.raises(crm.SchemaError) as e:
        db.add_field("Potentials", label="Region", type="text")
    assert isinstance(e.value, ValueError) and e.value.code == "schema"
    with pytest.raises(crm.SchemaError):
        db.delete_field("Potentials", "amount")  # standard field
    with pytest.raises(crm.InvalidArgumentError):
        db.add_field("Potentials", label="X", type="no-such-type")
    with pytest.raises(crm.InvalidArgumentError):
        db.update_field("Potentials", "amount", colour="red")


def test_reorder_fields_and_blocks(db: crm.Crm) -> None:
    blocks = [b["name"] for b in db.blocks("Potentials")]
    db.reorder_blocks("Potentials", [blocks[-1]])
    assert db.blocks("Potentials")[0]["name"] == blocks[-1]
    first = db.fields("Potentials")
    block = first[0]["block"]
    in_block = [f["name"] for f in first if f["block"] == block]
    db.reorder_fields("Potentials", block, [in_block[-1]])
    assert [f["name"] for f in db.fields("Potentials") if f["block"] == block][0] == in_block[-1]


def test_picklist_editor(db: crm.Crm, org: dict[str, Any]) -> None:
    db.add_picklist_value("leadsource", "Podcast")
    assert db.picklist_values("leadsource")[-1] == "Podcast"
    db.add_picklist_values(("Potentials", "leadsource"), ["Fair", "Radio"])
    rec = deal(db, org, "Heard on radio", "10", leadsource="Radio")
    db.rename_picklist_value("leadsource", "Radio", "Broadcast")
    assert db.get(rec["id"])["leadsource"] == "Broadcast"
    # The rewritten record has a new version and a change-log entry: a save based on the old one conflicts.
    last = db.history(rec["id"])[-1]
    assert last["kind"] == "updated" and last["changes"] == [{"field": "leadsource", "before": "Radio", "after": "Broadcast"}]
    with pytest.raises(crm.ConflictError):
        db.update(rec["id"], {"nextstep": "call"}, version=1)
    assert "Radio" not in db.picklist_values("leadsource")
    db.delete_picklist_values("leadsource", ["Broadcast"], "Podcast")
    assert db.get(rec["id"])["leadsource"] == "Podcast"
    db.reorder_picklist("leadsource", ["Podcast"])
    assert db.picklist_values("leadsource")[0] == "Podcast"
    with pytest.raises(crm.SchemaError):
        db.rename_picklist_value("sales_stage", "Closed Won", "Won")  # not editable
    with pytest.raises(crm.SchemaError):
        db.delete_picklist_values("sales_stage", ["Prospecting"])  # mandatory field needs a replacement
    with pytest.raises(crm.NotFoundError):
        db.add_picklist_value("no_such_field", "x")


def test_roles_dependency_and_stage_meta(db: crm.Crm, org: dict[str, Any]) -> None:
    db.set_picklist_value_roles("leadsource", "Cold Call", ["Sales Rep"])
    assert "Cold Call" in db.picklist_values_for_role("leadsource", "Sales Rep")
    assert "Cold Call" not in db.picklist_values_for_role("leadsource", "Manager")
    db.add_field("Potentials", label="Region", type="picklist", values=["EU", "US"])
    db.add_field("Potentials", label="Country", type="picklist", values=["DE", "FR", "CA"])
    db.set_picklist_dependency("Potentials", "Region", "Country", {"EU": ["DE", "FR"], "US": ["CA"]})
    deal(db, org, "ok", "1", Region="EU", Country="DE")
    with pytest.raises(crm.ValidationError):
        deal(db, org, "bad", "1", Region="US", Country="DE")

    stages = {s["value"]: s for s in db.stages()}
    assert stages["Closed Won"]["kind"] == "won" and stages["Closed Lost"]["kind"] == "lost"
    assert stages["Closed Won"]["editable"] is False
    db.set_stage_meta("Prospecting", "open", Decimal("15"))
    assert {s["value"]: s for s in db.stages()}["Prospecting"]["probability"] == Decimal("15")
    assert deal(db, org, "p", "100")["probability"] == Decimal("15")
    with pytest.raises(crm.InvalidArgumentError, match=r"kind: unknown value 'maybe' \(one of open, won, lost\)"):
        db.set_stage_meta("Prospecting", "maybe", Decimal("1"))
    db.set_stage_meta("Prospecting", "Open", Decimal("15"))  # any case, as in C


def test_custom_fields_persist_in_the_file(tmp_path: Path) -> None:
    path = str(tmp_path / "custom.db")
    with crm.Crm(path, user="admin") as db:
        db.add_user("admin")
        f = db.add_field("Accounts", label="Tier", type="integer")
        db.create("Accounts", {"accountname": "Hooli", "Tier": 3})
    with crm.Crm(path) as db:
        assert {x["label"] for x in db.fields("Accounts")} >= {"Tier"}
        assert db.find("Accounts")[0][f["name"]] == 3
        assert db.schema_changes()[0]["change"]
    with crm.Crm(path) as a, crm.Crm(path) as b:
        a.add_field("Accounts", label="Segment", type="text")
        assert b.refresh_schema() is True
        assert "Segment" in {x["label"] for x in b.fields("Accounts")}


def test_apply_schema_change_takes_a_raw_change_as_dict_or_json(db: crm.Crm) -> None:
    entry = db.apply_schema_change({"op": "add_block", "module": "Potentials", "label": "Extra"})
    assert entry["change"]["op"] == "add_block" and entry["change"]["label"] == "Extra"
    assert "Extra" in {b["label"] for b in db.blocks("Potentials")}
    entry = db.apply_schema_change('{"op": "rename_block", "module": "Potentials", "block": "Extra", "label": "More"}')
    assert entry["change"]["op"] == "rename_block"
    assert "More" in {b["label"] for b in db.blocks("Potentials")}
    assert db.schema_changes()[-1]["version"] == entry["version"]
    with pytest.raises(crm.InvalidArgumentError):
        db.apply_schema_change({"op": "explode"})
    with pytest.raises(crm.InvalidArgumentError):
        db.apply_schema_change("{not json")
    with pytest.raises(crm.SchemaError):
        db.apply_schema_change({"op": "add_block", "module": "Potentials", "label": "More"})


def test_schema_getters_see_another_handles_change_without_refresh(tmp_path: Path) -> None:
    path = str(tmp_path / "two.db")
    with crm.Crm(path, user="admin") as a, crm.Crm(path, user="admin") as b:
        a.add_user("admin")
        assert "Region" not in {x["label"] for x in b.fields("Potentials")}
        f = a.add_field("Potentials", label="Region", type="picklist", values=["EU", "US"])
        # b never calls refresh_schema: its getters read the schema in force in the file.
        assert "Region" in {x["label"] for x in b.fields("Potentials")}
        assert b.picklist_values(("Potentials", "Region")) == ["EU", "US"]
        a.add_block("Potentials", "Extra")
        assert "Extra" in {x["label"] for x in b.blocks("Potentials")}
        a.set_stage_meta("Prospecting", "open", 15)
        assert {s["value"]: s for s in b.stages()}["Prospecting"]["probability"] == 15
        assert f["name"] in {x["name"] for x in b.fields("Opportunities")}
