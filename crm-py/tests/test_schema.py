"""Users, groups, modules, fields, picklists."""

from __future__ import annotations

import pytest

import crm_engine as crm


def test_users_and_groups(db: crm.Crm) -> None:
    sam = db.add_user("sam", full_name="Sam Seller", email="sam@example.com", role="Sales Rep")
    assert sam == {"id": sam["id"], "user_name": "sam", "full_name": "Sam Seller", "email": "sam@example.com", "role": "Sales Rep", "active": True}
    users = {u["user_name"]: u for u in db.users()}
    assert users["admin"]["full_name"] == "Administrator"
    assert users["sam"] == sam
    team = db.add_group("Sales Team", ["admin", "sam"])
    assert team["name"] == "Sales Team"
    assert team["members"] == [users["admin"]["id"], sam["id"]]
    assert db.groups() == [team]
    assert db.add_group("Empty")["members"] == []
    acc = db.create("Accounts", {"accountname": "Team-owned", "assigned_user_id": "Sales Team"})
    assert acc["assigned_user_id"] == team["id"]


def test_modules(db: crm.Crm) -> None:
    mods = db.modules()
    assert {"Potentials", "Accounts", "Contacts", "Leads"} <= set(mods)


def test_fields(db: crm.Crm) -> None:
    fields = {f["name"]: f for f in db.fields("Potentials")}
    amount = fields["amount"]
    assert amount["label"] == "Amount"
    assert amount["type"] == "currency"
    assert amount["read_only"] is False
    assert fields["sales_stage"]["type"] == "picklist" and fields["sales_stage"]["picklist"] == "sales_stage"
    assert fields["sales_stage"]["mandatory"] is True
    assert fields["related_to"]["references"] == ["Accounts"]
    assert fields["createdtime"]["read_only"] is True and fields["createdtime"]["type"] == "date_time"
    assert fields["potentialname"]["presence"] == "always_shown"
    assert db.fields("Opportunities") == db.fields("Potentials")  # by label too


def test_picklist_values(db: crm.Crm) -> None:
    stages = db.picklist_values("sales_stage")
    assert stages[0] == "Prospecting" and "Closed Won" in stages and "Closed Lost" in stages
    assert db.picklist_values(("Potentials", "Sales Stage")) == stages
    assert "Cold Call" in db.picklist_values(("Leads", "leadsource"))
    with pytest.raises(crm.NotFoundError):
        db.picklist_values("nope")
    with pytest.raises(crm.InvalidArgumentError):
        db.picklist_values(("Potentials", "amount"))
    with pytest.raises(TypeError):
        db.picklist_values(3)  # type: ignore[arg-type]


def test_auto_number_settings(db: crm.Crm) -> None:
    assert db.auto_number("Potentials") == {"prefix": "POT", "next": "1"}
    db.set_auto_number("Potentials", "OPP-", "0100")
    org = db.create("Accounts", {"accountname": "Hooli"})
    rec = db.create("Potentials", {"potentialname": "N", "sales_stage": "Prospecting", "closingdate": "2027-01-01", "related_to": org["id"]})
    assert rec["potential_no"] == "OPP-0100"
    assert db.auto_number("Opportunities") == {"prefix": "OPP-", "next": "0101"}
    with pytest.raises(crm.InvalidArgumentError):
        db.set_auto_number("Potentials", "OPP-", "5")  # below the current number
    with pytest.raises(crm.InvalidArgumentError):
        db.auto_number("Calendar")  # no auto-number field


def test_stage_probability_autofill_can_be_turned_off(db: crm.Crm) -> None:
    org = db.create("Accounts", {"accountname": "Hooli"})
    fields = {"potentialname": "A", "sales_stage": "Qualification", "closingdate": "2027-01-01", "related_to": org["id"]}
    assert db.create("Potentials", fields)["probability"] is not None
    db.set_stage_probability_autofill(False)
    assert db.create("Potentials", {**fields, "potentialname": "B"})["probability"] is None


def test_user_info_and_owner_by_id_or_name(db: crm.Crm) -> None:
    sam = db.add_user("sam", full_name="Sam Smith", email="sam@example.com")
    assert db.user_info("SAM") == sam
    with pytest.raises(crm.NotFoundError):
        db.user_info("nobody")
    team = db.add_group("Sales Team", ["sam"])
    by_id = db.owner(sam["id"])
    assert by_id is not None and by_id["kind"] == "user" and by_id["user_name"] == "sam"
    by_name = db.owner("sales team")
    assert by_name is not None and by_name["kind"] == "group" and by_name["id"] == team["id"]
    assert db.owner("Sam Smith") == by_id
    assert db.owner("nobody") is None
    assert db.owner(999_999) is None
    with pytest.raises(TypeError):
        db.owner(1.5)  # type: ignore[arg-type]
