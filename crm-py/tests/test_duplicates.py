"""Duplicates: found across Persian/Arabic letter variants, case, spaces and e-mail plus-tags; a merge that
repoints references, links, comments and activities and is undone by restore; prevention rules on create,
update and import."""

from __future__ import annotations

from pathlib import Path

import pytest

import crm_engine as crm


def test_find_duplicates_across_variants(db: crm.Crm) -> None:
    a = db.create("Accounts", {"accountname": "شركت علي"})
    b = db.create("Accounts", {"accountname": "  شرکت\u200c علـی "})
    c = db.create("Accounts", {"accountname": "Hooli, Inc."})
    d = db.create("Accounts", {"accountname": "HOOLI   inc"})
    db.create("Accounts", {"accountname": "Pied Piper"})
    groups = sorted(db.find_duplicates("Accounts", ["accountname"]))
    assert groups == sorted([[a["id"], b["id"]], [c["id"], d["id"]]])
    assert db.find_duplicates("Accounts", normalize=False) == []
    page = db.duplicate_page("Accounts", limit=1)
    assert len(page["groups"]) == 1 and page["next"] == page["groups"][0]["key"]
    rest = db.duplicate_page("Accounts", after=page["next"], limit=1)
    assert rest["groups"][0]["key"] > page["next"]
    x = db.create("Contacts", {"lastname": "Bachman", "email": "Erlich+crm@aviato.com"})
    y = db.create("Contacts", {"lastname": "Bachman", "email": "erlich@Aviato.com"})
    assert db.find_duplicates("Contacts", ["email"]) == [[x["id"], y["id"]]]
    with pytest.raises(crm.InvalidArgumentError):
        db.find_duplicates("Accounts", ["nosuchfield"])


def test_merge_repoints_and_restore_undoes(db: crm.Crm) -> None:
    keep = db.create("Accounts", {"accountname": "Hooli"})
    other = db.create("Accounts", {"accountname": "hooli", "phone": "555-0100"})
    contact = db.create("Contacts", {"lastname": "Belson", "account_id": other["id"]})
    call = db.create(
        "Calendar",
        {"subject": "Call", "activitytype": "Call", "date_start": "2027-01-10", "eventstatus": "Planned", "parent_id": other["id"]},
    )
    doc = db.create("Documents", {"notes_title": "NDA"})
    db.relate(other["id"], doc["id"])
    db.comment(other["id"], "hello")
    report = db.merge("Accounts", keep["id"], [other["id"]], {"phone": other["id"], "website": "hooli.com"}, version=keep["version"])
    assert report["kept"] == keep["id"] and report["merged"] == [other["id"]]
    assert report["references"] == 2 and report["links"] == 1 and report["comments"] == 1
    kept = db.get(keep["id"])
    assert (kept["phone"], kept["website"]) == ("555-0100", "hooli.com")
    assert db.get(contact["id"])["account_id"] == keep["id"]
    assert db.get(call["id"])["parent_id"] == keep["id"]
    assert [c["text"] for c in db.comments(keep["id"])] == ["hello"]
    assert any(e["kind"] == "merged" for e in db.history(keep["id"]))
    with pytest.raises(crm.NotFoundError):
        db.get(other["id"])
    db.restore(other["id"])
    assert db.get(contact["id"])["account_id"] == other["id"]
    assert db.get(call["id"])["parent_id"] == other["id"]
    assert [c["text"] for c in db.comments(other["id"])] == ["hello"]
    with pytest.raises(crm.InvalidArgumentError):
        db.merge("Accounts", keep["id"], [])
    with pytest.raises(crm.ConflictError):
        db.merge("Accounts", keep["id"], [other["id"]], version=1)


def test_rules_on_create_update_and_import(db: crm.Crm, tmp_path: Path) -> None:
    db.create("Accounts", {"accountname": "Hooli"})
    rule = db.add_duplicate_rule("Accounts", ["Organization Name"])
    assert rule["fields"] == ["accountname"] and db.duplicate_rules("Accounts") == [rule]
    with pytest.raises(crm.ValidationError) as e:
        db.create("Accounts", {"accountname": " HOOLI. "})
    assert e.value.errors[0]["code"] == "duplicate"
    other = db.create("Accounts", {"accountname": "Pied Piper"})
    with pytest.raises(crm.ValidationError):
        db.update(other["id"], {"accountname": "hooli"})
    csv = tmp_path / "orgs.csv"
    csv.write_text("Organization Name\nhooli\nAviato\n", encoding="utf-8")
    report = db.import_csv(csv, "Accounts")
    assert (report.created, report.failed) == (1, 1)
    assert db.import_csv(csv, "Accounts", duplicates="skip").skipped == 2
    with pytest.raises(crm.SchemaError):
        db.add_duplicate_rule("Potentials", ["amount"])
    db.drop_duplicate_rule("Accounts", ["accountname"])
    assert db.duplicate_rules("Accounts") == []
    db.create("Accounts", {"accountname": "HOOLI"})
