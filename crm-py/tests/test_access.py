"""Access control: roles, groups, sharing levels and rules, profiles (hidden and read-only fields), as_user."""

from __future__ import annotations

from decimal import Decimal

import pytest

import crm_engine as crm


def setup(db: crm.Crm) -> dict[str, int]:
    db.set_admin("admin", True)
    db.add_role("CEO")
    db.add_role("Vice President", parent="CEO")
    db.add_role("Sales Manager", parent="Vice President")
    db.add_role("Sales Person", parent="Sales Manager")
    db.add_role("Support", parent="CEO")
    for user, role in [("vp", "Vice President"), ("mgr", "Sales Manager"), ("bob", "Sales Person"), ("sue", "Support")]:
        db.add_user(user, full_name=user.title(), email=f"{user}@example.com", role=role)
    db.add_group("Team", ["bob", "sue"])
    ids = {}
    for i, owner in enumerate(["vp", "mgr", "bob", "sue", "Team"]):
        d = db.create(
            "Potentials",
            {
                "potentialname": f"deal of {owner}",
                "amount": Decimal((i + 1) * 100),
                "sales_stage": "Prospecting",
                "closingdate": "2027-03-31",
                "nextstep": "call",
                "assigned_user_id": owner,
            },
        )
        ids[owner] = d["id"]
    return ids


def names(db: crm.Crm) -> list[str]:
    return sorted(r["potentialname"] for r in db.find("Potentials"))


def test_defaults_show_everything(db: crm.Crm) -> None:
    setup(db)
    assert len(names(db.as_user("bob"))) == 5
    assert db.sharing("Potentials") == "public_read_write_delete"


def test_hierarchy_groups_and_private_sharing(db: crm.Crm) -> None:
    ids = setup(db)
    db.set_sharing("Potentials", "private")
    mgr, bob, sue = db.as_user("mgr"), db.as_user("bob"), db.as_user("sue")
    assert mgr.user == "mgr"
    assert names(mgr) == ["deal of bob", "deal of mgr"]
    assert names(bob) == ["deal of Team", "deal of bob"]
    assert names(sue) == ["deal of Team", "deal of sue"]
    with pytest.raises(crm.NotFoundError):
        bob.get(ids["mgr"])
    assert bob.count("Potentials") == 2
    rows = bob.forecast()
    assert sum(r["amount"] for r in rows) == Decimal(300) + Decimal(500)
    assert len(names(db)) == 5  # the administrator


def test_sharing_levels_and_rules(db: crm.Crm) -> None:
    ids = setup(db)
    bob = db.as_user("bob")
    db.set_sharing("Potentials", "public_read")
    assert len(names(bob)) == 5
    with pytest.raises(crm.AccessDeniedError) as e:
        bob.update(ids["vp"], {"description": "x"})
    assert isinstance(e.value, PermissionError) and isinstance(e.value, crm.CrmError)
    assert e.value.action == "edit" and e.value.code == "access_denied"
    db.set_sharing("Potentials", "public_read_write")
    bob.update(ids["vp"], {"description": "x"})
    with pytest.raises(crm.AccessDeniedError):
        bob.delete(ids["vp"])
    db.set_sharing("Potentials", "private")
    rule = db.add_sharing_rule("Potentials", owner_role="Sales Person", to_role="Support", access="read")
    assert rule["access"] == "read" and db.sharing_rules()[0]["id"] == rule["id"]
    sue = db.as_user("sue")
    assert "deal of bob" in names(sue)
    assert "deal of sue" not in names(bob)  # not the reverse
    with pytest.raises(crm.AccessDeniedError):
        sue.update(ids["bob"], {"description": "y"})
    db.delete_sharing_rule(rule["id"])
    db.add_sharing_rule("Potentials", owner_role="Sales Manager", owner_and_subordinates=True, to_group="Team", access="read_write")
    sue.update(ids["mgr"], {"description": "z"})
    assert len(db.access_changes()) >= 8


def test_profiles_hide_and_protect_fields(db: crm.Crm, tmp_path: object) -> None:
    ids = setup(db)
    db.add_profile(
        "Sales",
        modules={"Potentials": {"view": True, "create": True, "edit": True, "delete": False}},
        fields={"Potentials": {"amount": "read_only", "nextstep": "hidden"}},
    )
    db.set_role_profiles("Sales Person", ["Sales"])
    bob = db.as_user("bob")
    rec = bob.get(ids["bob"])
    assert "nextstep" not in rec and rec["amount"] == Decimal(300)
    with pytest.raises(crm.AccessDeniedError) as e:
        bob.find("Potentials", where={"nextstep": "call"})
    assert e.value.field == "nextstep"
    with pytest.raises(crm.AccessDeniedError):
        bob.find("Potentials", order_by="nextstep")
    with pytest.raises(crm.AccessDeniedError) as e:
        bob.update(ids["bob"], {"amount": Decimal(1)})
    assert e.value.field == "amount"
    with pytest.raises(crm.AccessDeniedError):
        bob.delete(ids["bob"])
    assert db.get(ids["bob"])["nextstep"] == "call"


def test_roles_are_managed(db: crm.Crm) -> None:
    setup(db)
    assert [r["name"] for r in db.roles()][:2] == ["CEO", "Vice President"]
    db.move_role("Support", "Sales Manager")
    db.delete_role("Support", "Sales Person")
    assert db.user_info("sue")["role"] == "Sales Person"
    db.add_user("eve", role="Sales Person", is_admin=True)
    assert db.is_admin("eve")
    with pytest.raises(crm.AccessDeniedError):
        db.as_user("bob").set_sharing("Potentials", "private")
    with pytest.raises(crm.NotFoundError):
        db.as_user("nobody")
