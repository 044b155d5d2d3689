"""Lead conversion and opportunities for existing or new customers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

import crm_engine as crm


@pytest.fixture
def lead(db: crm.Crm) -> dict[str, Any]:
    return db.create("Leads", {"firstname": "Ada", "lastname": "Lovelace", "company": "Analytical Engines", "email": "ada@example.com"})


def test_convert_lead_with_opportunity(db: crm.Crm, lead: dict[str, Any]) -> None:
    out = db.convert_lead(
        lead["id"], opportunity={"potentialname": "Engine", "amount": Decimal("1000"), "closingdate": date(2027, 6, 30), "sales_stage": "Prospecting"}
    )
    # crm_core::wire::Conversion, the shape the C API returns too.
    assert list(out) == ["Accounts", "Contacts", "Potentials", "account_reused"]
    acc, con, opp = db.get(out["Accounts"]), db.get(out["Contacts"]), db.get(out["Potentials"])
    assert acc["accountname"] == "Analytical Engines"
    assert con["lastname"] == "Lovelace" and con["email"] == "ada@example.com" and con["account_id"] == acc["id"]
    assert opp["related_to"] == acc["id"] and opp["forecast_amount"] == Decimal("100")
    assert db.get(lead["id"])["converted"] is True
    with pytest.raises(crm.ConflictError):
        db.convert_lead(lead["id"])


def test_convert_lead_options(db: crm.Crm, lead: dict[str, Any]) -> None:
    out = db.convert_lead(lead, account=False, contact={"lastname": "Byron"})
    assert out["Accounts"] is None and out["Potentials"] is None
    assert db.get(out["Contacts"])["lastname"] == "Byron"
    other = db.create("Leads", {"lastname": "X", "company": "Analytical Engines"})
    db.create("Accounts", {"accountname": "Reuse Me"})
    again = db.convert_lead(other, contact=False, account={"accountname": "Reuse Me"})
    assert again["account_reused"] is True and again["Contacts"] is None
    third = db.create("Leads", {"lastname": "Y"})
    with pytest.raises(crm.InvalidArgumentError):
        db.convert_lead(third, account=False, contact=False)
    with pytest.raises(crm.InvalidArgumentError):
        db.convert_lead(third, transfer_to="nobody")
    with pytest.raises(crm.NotFoundError):
        db.convert_lead(999999)
    mapping = db.lead_mapping()
    assert any(r["lead"] == "company" and r["account"] == "accountname" for r in mapping["rows"])
    db.set_lead_mapping(mapping)


def test_opportunity_for_existing_and_new_customer(db: crm.Crm) -> None:
    acc = db.create("Accounts", {"accountname": "Hooli"})
    opp = db.create_opportunity_for(acc["id"], {"potentialname": "Upsell", "closingdate": "2027-01-01", "sales_stage": "Prospecting"})
    assert opp["related_to"] == acc["id"]
    con = db.create("Contacts", {"lastname": "Bob", "account_id": acc["id"]})
    opp2 = db.create_opportunity_for(con, {"potentialname": "Via contact", "closingdate": "2027-01-01", "sales_stage": "Prospecting"})
    assert opp2["contact_id"] == con["id"] or db.related(opp2["id"], "Contacts")
    out = db.create_for_new_customer(
        {"potentialname": "New", "closingdate": "2027-01-01", "sales_stage": "Prospecting"},
        account={"accountname": "Newco"},
        contact={"lastname": "Neo"},
    )
    assert db.get(out["Potentials"])["related_to"] == out["Accounts"]
    assert db.get(out["Contacts"])["lastname"] == "Neo"
    with pytest.raises(crm.ValidationError):
        db.create_for_new_customer({"potentialname": "Bad"}, account={"accountname": "Badco"})
    assert db.count("Accounts", {"accountname": "Badco"}) == 0
