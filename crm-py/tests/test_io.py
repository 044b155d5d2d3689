"""Import and export: CSV and vCard in, CSV and vCard out, undo, mappings, a 100k-row import."""

from __future__ import annotations

import csv
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import crm_engine as crm

DATA = Path(__file__).parent / "data"


def test_import_the_vtiger_export(db: crm.Crm, tmp_path: Path) -> None:
    db.add_group("Sales Team", ["admin"])  # owners named in the export
    seen: list[tuple[int, int | None]] = []
    rep = db.import_csv(
        DATA / "vtiger_potentials_export.csv", "Potentials", create_missing_references=True, progress=lambda d, t: seen.append((d, t))
    )
    assert isinstance(rep, crm.ImportReport)
    assert rep.rows == 24 and rep.created + rep.failed + rep.skipped == rep.rows and rep.import_id > 0
    assert rep.created == 24 and rep.failed == 0 and rep.errors == [] and rep.references_created > 0
    size = (DATA / "vtiger_potentials_export.csv").stat().st_size
    assert seen and seen[-1] == (size, size)  # a file: bytes read out of its size
    assert all(set(e) == {"line", "column", "field", "code", "message"} for e in rep.errors)
    hooli = db.find("Potentials", {"potentialname": "Hooli deal 1"})[0]
    assert hooli["amount"] == Decimal("12000.00") and hooli["forecast_amount"] == Decimal("6000")
    assert db.get(hooli["related_to"])["accountname"] == "Hooli"
    assert "Weighted Revenue" in " ".join(rep.warnings) or any(f is None for _, f in rep.mapping)
    assert repr(rep).startswith("<crm.ImportReport id=")
    assert db.imports()[-1]["id"] == rep.import_id
    assert len(db.import_rows(rep.import_id)) >= rep.created

    undone = db.undo_import(rep.import_id)
    assert undone["deleted"] >= rep.created and db.count("Potentials") == 0
    with pytest.raises(crm.ConflictError):
        db.undo_import(rep.import_id)
    with pytest.raises(crm.NotFoundError):
        db.undo_import(999999)


def test_european_csv_with_all_options(db: crm.Crm, org: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "eu.csv"
    path.write_bytes(
        "Name;Betrag;Abschluss;Phase;Firma\nDéjà vu;1.234,50;31.03.2027;Prospecting;Hooli\nZweiter;99,99;01.04.2027;Neue Phase;Hooli\n"
        "Kaputt;abc;99.99.2027;Prospecting;Hooli\n".encode("latin-1")
    )
    opts: dict[str, Any] = dict(
        delimiter=";",
        encoding="latin-1",
        date_format="dd.mm.yyyy",
        decimal_separator=",",
        thousands_separator=".",
        mapping={"Name": "potentialname", "Betrag": "amount", "Abschluss": "closingdate", "Phase": "sales_stage", "Firma": "related_to"},
        defaults={"leadsource": "Partner"},
    )
    dry = db.import_csv(path, "Potentials", dry_run=True, add_unknown_picklist_values=True, **opts)
    assert dry.dry_run and dry.import_id == 0 and dry.created == 2 and dry.failed == 1
    assert db.count("Potentials") == 0 and "Neue Phase" not in db.picklist_values("sales_stage")
    rep = db.import_csv(path, "Potentials", add_unknown_picklist_values=True, **opts)
    assert (rep.created, rep.failed) == (2, 1)
    assert rep.picklist_values_added == ["sales_stage: Neue Phase"] or "Neue Phase" in " ".join(rep.picklist_values_added)
    err_fields = {e["field"] for e in rep.errors}
    assert {"amount", "closingdate"} & err_fields and all(e["line"] == 4 for e in rep.errors)
    deja = db.find("Potentials", {"potentialname": "Déjà vu"})[0]
    assert deja["amount"] == Decimal("1234.50") and str(deja["closingdate"]) == "2027-03-31" and deja["leadsource"] == "Partner"

    path.write_bytes("Name;Betrag;Abschluss;Phase;Firma\nDéjà vu;5,00;31.03.2027;Prospecting;Hooli\n".encode("latin-1"))
    merged = db.import_csv(path, "Potentials", duplicates="merge", match_on=["potentialname"], **opts)
    assert merged.merged == 1 and db.find("Potentials", {"potentialname": "Déjà vu"})[0]["amount"] == Decimal("5.00")
    skipped = db.import_csv(path, "Potentials", duplicates="skip", match_on=["potentialname"], **opts)
    assert skipped.skipped == 1
    over = db.import_csv(path, "Potentials", duplicates="overwrite", match_on=["potentialname"], **opts)
    assert over.updated == 1


def test_import_errors(db: crm.Crm, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError) as e:
        db.import_csv(tmp_path / "missing.csv", "Potentials")
    assert e.value.filename == str(tmp_path / "missing.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(crm.InvalidArgumentError):
        db.import_csv(empty, "Potentials")
    # Options are read by crm-core's parsers, the ones C's options_json goes through: same error, same text.
    with pytest.raises(crm.InvalidArgumentError, match="duplicates: unknown value 'explode' \\(one of create, skip, overwrite, merge\\)"):
        db.import_csv(DATA / "vtiger_potentials_export.csv", "Potentials", duplicates="explode")
    with pytest.raises(crm.InvalidArgumentError, match="encoding: unknown value 'klingon' \\(one of utf-8, iso-8859-1 \\(latin-1\\)"):
        db.import_csv(DATA / "vtiger_potentials_export.csv", "Potentials", encoding="klingon")
    with pytest.raises(crm.InvalidArgumentError, match="decimal_separator: ',,' is not one character"):
        db.import_csv(DATA / "vtiger_potentials_export.csv", "Potentials", decimal_separator=",,")
    with pytest.raises(crm.InvalidArgumentError, match="delimiter: unknown value '::'"):
        db.import_csv(DATA / "vtiger_potentials_export.csv", "Potentials", delimiter="::")
    # Names in any case, and "" for no thousands separator, as in C.
    rep = db.import_csv(
        DATA / "vtiger_potentials_export.csv", "Potentials", delimiter="Comma", encoding="UTF_8", thousands_separator="", dry_run=True
    )
    assert rep.dry_run
    with pytest.raises(crm.NotFoundError):
        db.import_csv(DATA / "vtiger_potentials_export.csv", "Nope")


def test_import_limits(db: crm.Crm, tmp_path: Path) -> None:
    rows = "".join(f"Deal {i},10,Prospecting,2027-01-01\n" for i in range(5))
    f = tmp_path / "five.csv"
    f.write_text("Opportunity Name,Amount,Sales Stage,Expected Close Date\n" + rows)
    rep = db.import_csv(f, "Potentials", max_rows=3)
    assert (rep.rows, rep.created, rep.failed) == (4, 3, 1)
    assert rep.errors[-1]["code"] == "limit" and any("max_rows" in w for w in rep.warnings)
    long = tmp_path / "long.csv"
    long.write_text("Opportunity Name,Amount\n\"" + "x" * 50_000 + "\",1\n")
    with pytest.raises(crm.InvalidArgumentError, match="max_record_bytes"):
        db.import_csv(long, "Potentials", max_record_bytes=10_000)
    cards = tmp_path / "cards.vcf"
    cards.write_text("".join(f"BEGIN:VCARD\nVERSION:3.0\nFN:P{i}\nN:P{i};;;;\nEND:VCARD\n" for i in range(3)))
    rep = db.import_vcf(cards, max_rows=2)
    assert (rep.created, rep.failed) == (2, 1)


def test_progress_errors_do_not_stop_the_import(db: crm.Crm, tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("Opportunity Name,Sales Stage,Expected Close Date,Organization Name\nA,Prospecting,2027-01-01,Hooli\n")
    raised: list[Any] = []

    def bad(done: int, total: int | None) -> None:
        raise RuntimeError("progress bar broke")

    import sys

    old = sys.unraisablehook
    sys.unraisablehook = lambda u: raised.append(u.exc_value)
    try:
        rep = db.import_csv(path, "Potentials", create_missing_references=True, progress=bad)
    finally:
        sys.unraisablehook = old
    assert rep.created == 1 and raised and isinstance(raised[0], RuntimeError)


def test_import_vcf(db: crm.Crm) -> None:
    rep = db.import_vcf(DATA / "contacts_sample.vcf", create_opportunities=True, sales_stage="Qualification")
    assert rep.rows == 3 and rep.created == 3
    jane = db.find("Contacts", {"lastname": "Smith"})[0]
    assert jane["email"] == "jane.smith@acme.example" and db.get(jane["account_id"])["accountname"] == "Acme Corp"
    opps = db.find("Potentials")
    assert len(opps) == 3 and {o["sales_stage"] for o in opps} == {"Qualification"}
    again = db.import_vcf(DATA / "contacts_sample.vcf")  # duplicates skipped on e-mail
    assert again.skipped == 3 and again.created == 0
    db.undo_import(rep.import_id)
    assert db.count("Contacts") == 0


def test_export_csv_round_trip(db: crm.Crm, org: dict[str, Any], tmp_path: Path) -> None:
    for i, stage in enumerate(["Prospecting", "Closed Won", "Closed Won", "=cmd|evil"[:0] or "Qualification"]):
        db.create("Potentials", {"potentialname": f"D{i}", "amount": Decimal(f"{i}000.50"), "sales_stage": stage, "closingdate": f"2027-0{i + 1}-01", "related_to": org["id"], "description": "=1+1"})
    out = tmp_path / "all.csv"
    assert db.export_csv(out, "Potentials") == 4
    with out.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert rows[0]["Opportunity Name"] and rows[0]["Organization Name"] == "Accounts::::Hooli"
    assert all(r["Description"] == "'=1+1" for r in rows)  # formula neutralised
    won = tmp_path / "won.csv"
    assert db.export_csv(won, "Potentials", filter="Potentials Won", header="names", columns=["potentialname", "amount"]) == 2
    lines = won.read_text().splitlines()
    assert lines[0] == "potentialname,amount" and len(lines) == 3
    ids = [r["id"] for r in db.find("Potentials", order_by="potentialname")]
    sel = tmp_path / "sel.csv"
    assert db.export_csv(sel, "Potentials", ids[:1], header="none") == 1
    assert len(sel.read_text().splitlines()) == 1
    assert db.export_csv(tmp_path / "p.csv", "Potentials", page=2, page_size=3, order_by="potentialname") == 1
    assert db.export_csv(tmp_path / "w.csv", "Potentials", where=[("amount", ">", 1500)]) == 2
    # the export imports back into a fresh database
    with crm.Crm(":memory:", user="admin") as other:
        other.add_user("admin", full_name="Administrator")
        rep = other.import_csv(out, "Potentials", create_missing_references=True)
        assert rep.created == 4 and rep.failed == 0
        assert other.find("Potentials", {"potentialname": "D1"})[0]["description"] == "=1+1"
    with pytest.raises(FileNotFoundError):
        db.export_csv(tmp_path / "no" / "dir.csv", "Potentials")
    with pytest.raises(crm.InvalidArgumentError, match="header: unknown value 'fancy' \\(one of labels, names, none\\)"):
        db.export_csv(out, "Potentials", header="fancy")


def test_export_vcf(db: crm.Crm, tmp_path: Path) -> None:
    db.import_vcf(DATA / "contacts_sample.vcf")
    out = tmp_path / "c.vcf"
    assert db.export_vcf(out, version="3.0") == 3
    text = out.read_text()
    assert text.count("BEGIN:VCARD") == 3 and "VERSION:3.0" in text and "Acme Corp" in text
    one = db.find("Contacts", {"lastname": "Smith"})[0]
    assert db.export_vcf(tmp_path / "one.vcf", [one]) == 1
    with crm.Crm(":memory:", user="admin") as other:
        other.add_user("admin")
        assert other.import_vcf(out).created == 3


def test_saved_mappings(db: crm.Crm) -> None:
    db.save_mapping("Potentials", "eu", {"Name": "potentialname", "Betrag": "amount"})
    assert db.mappings("Potentials") == {"eu": {"Name": "potentialname", "Betrag": "amount"}}
    db.delete_mapping("Potentials", "eu")
    assert db.mappings("Potentials") == {}


@pytest.mark.slow
def test_import_100k_rows_into_a_file_while_other_threads_run(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    stages = ["Prospecting", "Qualification", "Closed Won", "Closed Lost"]
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Opportunity Name", "Amount", "Expected Close Date", "Sales Stage", "Organization Name"])
        for i in range(100_000):
            w.writerow([f"Deal {i}", f"{i % 1000}.{i % 100:02d}", f"2027-{i % 12 + 1:02d}-15", stages[i % 4], f"Org {i % 50}"])
    ticks = 0
    done = threading.Event()

    def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            done.wait(0.01)

    with crm.Crm(str(tmp_path / "big.db"), user="admin") as db:
        db.add_user("admin", full_name="Administrator")
        t = threading.Thread(target=ticker)
        t.start()
        progress: list[tuple[int, int | None]] = []
        try:
            rep = db.import_csv(
                path, "Potentials", create_missing_references=True, batch_size=1000, progress=lambda d, t: progress.append((d, t))
            )
        finally:
            done.set()
            t.join()
        assert (rep.rows, rep.created, rep.failed) == (100_000, 100_000, 0)
        assert rep.references_created == 50 and rep.errors == []
        size = path.stat().st_size
        assert progress[-1] == (size, size) and len(progress) > 10
        assert all(t == size and 0 < d <= size for d, t in progress)
        assert ticks > 1  # the interpreter was released while importing
        assert db.count("Potentials") == 100_000
        by_stage = {r["key"]: r for r in db.forecast(by="sales_stage")}
        assert by_stage["Closed Won"]["count"] == 25_000
        expected = sum(Decimal(f"{i % 1000}.{i % 100:02d}") for i in range(100_000) if i % 4 == 2)
        assert by_stage["Closed Won"]["amount"] == expected == by_stage["Closed Won"]["forecast_amount"]
        assert db.export_csv(tmp_path / "won.csv", "Potentials", filter="Potentials Won") == 25_000


def test_resume_an_interrupted_import(tmp_path: Path) -> None:
    """An interrupted CSV import (journal 'running', whole batches stored) resumes under the same id."""
    import sqlite3

    path = tmp_path / "crm.db"
    first, full = tmp_path / "first.csv", tmp_path / "full.csv"
    header = "Opportunity Name,Sales Stage,Expected Close Date\n"
    rows = [f"Deal {i},Prospecting,2027-01-{i + 1:02}\n" for i in range(10)]
    first.write_text(header + "".join(rows[:4]))
    full.write_text(header + "".join(rows))
    with crm.Crm(str(path), user="admin") as db:
        db.add_user("admin")
        rep = db.import_csv(first, "Potentials", batch_size=2)
        with pytest.raises(crm.ConflictError):
            db.resume_import_csv(rep.import_id, full)  # completed imports do not resume
    conn = sqlite3.connect(path)
    conn.execute("UPDATE crm_imports SET status = 'running' WHERE id = ?", (rep.import_id,))
    conn.commit()
    conn.close()
    with crm.Crm(str(path), user="admin") as db:
        seen: list[tuple[int, int | None]] = []
        res = db.resume_import_csv(rep.import_id, full, batch_size=2, progress=lambda d, t: seen.append((d, t)))
        assert (res.import_id, res.rows, res.created) == (rep.import_id, 10, 10)
        assert db.count("Potentials") == 10 and seen[-1] == (full.stat().st_size,) * 2
        assert db.imports()[-1]["status"] == "completed"
        with pytest.raises(crm.NotFoundError):
            db.resume_import_csv(999999, full)
        assert db.undo_import(rep.import_id)["deleted"] == 10
