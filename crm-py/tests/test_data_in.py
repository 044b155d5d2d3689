"""Data in: import_records from dicts, generators, pandas, polars and pyarrow; file-like imports and exports;
progress with totals; stopping an import (progress returning False, Ctrl-C) and resuming or undoing it."""

from __future__ import annotations

import io
import signal
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import crm_engine as crm

CLOSE = date(2027, 3, 31)
COLUMNS = ["potentialname", "amount", "sales_stage", "closingdate", "probability"]


def rows(n: int) -> list[dict[str, Any]]:
    return [
        {
            "potentialname": f"Deal {i}",
            "amount": Decimal(f"{1000 + i}.25"),
            "sales_stage": "Prospecting" if i % 2 else "Qualification",
            "closingdate": date(2027, 1 + i % 12, 1 + i % 28),
            "probability": Decimal(f"{i % 100}.000"),
        }
        for i in range(n)
    ]


def found(db: crm.Crm) -> list[dict[str, Any]]:
    return [{c: r[c] for c in COLUMNS} for r in sorted(db.find("Potentials"), key=lambda r: r["id"])]


def test_import_records_from_dicts_typed_values_and_bad_rows(db: crm.Crm) -> None:
    data: list[dict[str, Any]] = [
        {"Opportunity Name": "Typed", "Amount": Decimal("12000.55"), "Sales Stage": "Prospecting", "Expected Close Date": CLOSE},
        {"Opportunity Name": "Text", "Amount": "1,500", "Sales Stage": "Qualification", "Expected Close Date": "31.03.2027"},
        {"Opportunity Name": "Float", "Amount": 0.1, "Sales Stage": "Prospecting", "Expected Close Date": CLOSE},
        {"Opportunity Name": "Bad amount", "Amount": "lots", "Sales Stage": "Prospecting", "Expected Close Date": CLOSE},
        {"Opportunity Name": "No stage", "Amount": 5, "Sales Stage": None, "Expected Close Date": CLOSE},
        {"Opportunity Name": "Extra", "Ticker": "X"},
    ]
    seen: list[tuple[int, int | None]] = []
    rep = db.import_records("Potentials", data, date_format="dd.mm.yyyy", batch_size=2, progress=lambda d, t: seen.append((d, t)))
    assert isinstance(rep, crm.ImportReport)
    assert (rep.rows, rep.created, rep.failed) == (6, 3, 3)
    assert rep.created + rep.updated + rep.merged + rep.skipped + rep.failed == rep.rows
    assert [(e["line"], e["field"]) for e in rep.errors] == [(4, "amount"), (5, "sales_stage"), (6, None)]
    assert seen[-1] == (6, 6) and all(t == 6 for _, t in seen)
    typed = db.find("Potentials", {"potentialname": "Typed"})[0]
    assert typed["amount"] == Decimal("12000.55") and typed["closingdate"] == CLOSE
    assert db.find("Potentials", {"potentialname": "Text"})[0]["amount"] == Decimal("1500.00")
    assert db.find("Potentials", {"potentialname": "Float"})[0]["amount"] == Decimal("0.10")
    assert db.imports()[-1]["kind"] == "records"
    assert db.undo_import(rep.import_id)["deleted"] == 3 and db.count("Potentials") == 0
    # Dry run and duplicates are the CSV import's.
    assert db.import_records("Potentials", rows(3), dry_run=True).created == 3 and db.count("Potentials") == 0
    db.import_records("Potentials", rows(3))
    again = db.import_records("Potentials", rows(4), duplicates="skip", match_on=["potentialname"])
    assert (again.skipped, again.created) == (3, 1)
    with pytest.raises(TypeError):
        db.import_records("Potentials", {"potentialname": "one dict"})
    with pytest.raises(TypeError):
        db.import_records("Potentials", [["not", "a", "dict"]])


def test_import_records_from_a_generator_reads_it_lazily(db: crm.Crm) -> None:
    pulled: list[int] = []

    def gen() -> Iterator[dict[str, Any]]:
        for i, r in enumerate(rows(2500)):
            pulled.append(i)
            yield r

    at_first_batch: list[int] = []

    def progress(done: int, total: int | None) -> None:
        assert total is None or done == total  # a generator has no length: no total until the end
        if not at_first_batch:
            at_first_batch.append(len(pulled))

    rep = db.import_records("Potentials", gen(), batch_size=500, progress=progress)
    assert (rep.rows, rep.created) == (2500, 2500)
    assert at_first_batch[0] < 2500  # the first batch was saved before the generator was read to its end
    assert found(db) == rows(2500)

    def broken() -> Iterator[dict[str, Any]]:
        yield rows(1)[0]
        raise ValueError("the source broke")

    with pytest.raises(ValueError, match="the source broke"):
        db.import_records("Potentials", broken())


def test_import_records_from_pandas_round_trips(db: crm.Crm) -> None:
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(rows(30))
    rep = db.import_records("Potentials", df, batch_size=7)
    assert (rep.rows, rep.created, rep.failed) == (30, 30, 0)
    assert found(db) == df.to_dict("records")
    # NaN and NaT are empty cells; numpy integers and Timestamps are kept typed.
    odd = pd.DataFrame(
        {
            "potentialname": ["N1", "N2"],
            "sales_stage": ["Prospecting", "Prospecting"],
            "closingdate": pd.to_datetime(["2027-05-01", None]),
            "amount": [float("nan"), 12.5],
            "probability": pd.array([10, 20], dtype="int64"),
        }
    )
    rep = db.import_records("Potentials", odd)
    assert (rep.created, rep.failed) == (1, 1) and rep.errors[0]["field"] == "closingdate"
    n1 = db.find("Potentials", {"potentialname": "N1"})[0]
    assert n1["amount"] is None and n1["probability"] == Decimal("10.000")


def test_import_records_from_polars_and_pyarrow_round_trip(db: crm.Crm) -> None:
    pl = pytest.importorskip("polars")
    pa = pytest.importorskip("pyarrow")
    data = rows(12)
    rep = db.import_records("Potentials", pl.DataFrame(data), batch_size=5)
    assert (rep.rows, rep.created) == (12, 12)
    assert found(db) == data
    db.undo_import(rep.import_id)
    seen: list[tuple[int, int | None]] = []
    rep = db.import_records("Potentials", pa.Table.from_pylist(data), batch_size=5, progress=lambda d, t: seen.append((d, t)))
    assert (rep.rows, rep.created) == (12, 12)
    assert seen == [(5, 12), (10, 12), (12, 12)]
    assert found(db) == data


def test_progress_false_stops_then_resume_and_undo(db: crm.Crm) -> None:
    data = rows(10)
    rep = db.import_records("Potentials", data, batch_size=3, progress=lambda d, t: d < 6)
    assert rep.interrupted and (rep.rows, rep.created) == (6, 6)
    assert db.imports()[-1]["status"] == "interrupted" and db.count("Potentials") == 6
    with pytest.raises(crm.ConflictError):
        db.resume_import_csv(rep.import_id, io.BytesIO(b"Opportunity Name\nx\n"))  # not a CSV import
    res = db.resume_import_records(rep.import_id, data, batch_size=3)
    assert not res.interrupted and (res.rows, res.created) == (10, 10)
    assert found(db) == data
    assert db.undo_import(rep.import_id)["deleted"] == 10 and db.count("Potentials") == 0


def test_vcf_import_stopped_resumes_and_vcf_export_reports_progress(db: crm.Crm, tmp_path: Path) -> None:
    sample = Path(__file__).parent / "data" / "contacts_sample.vcf"  # three cards
    seen: list[tuple[int, int | None]] = []

    def first_batch_only(done: int, total: int | None) -> bool:
        seen.append((done, total))
        return done < 1

    rep = db.import_vcf(sample, batch_size=1, progress=first_batch_only)
    assert rep.interrupted and (rep.rows, rep.created) == (1, 1)
    assert seen == [(1, 3)]
    assert db.imports()[-1]["status"] == "interrupted" and db.count("Contacts") == 1
    with pytest.raises(crm.ConflictError):
        db.resume_import_csv(rep.import_id, io.BytesIO(b"Last Name\nx\n"))  # not a CSV import
    res = db.resume_import_vcf(rep.import_id, sample, batch_size=1)
    assert not res.interrupted and (res.import_id, res.rows, res.created) == (rep.import_id, 3, 3)
    assert db.count("Contacts") == 3
    with pytest.raises(crm.ConflictError):
        db.resume_import_vcf(rep.import_id, sample)  # completed
    # vCard export progress: cards written out of the number selected.
    eseen: list[tuple[int, int | None]] = []
    out = tmp_path / "out.vcf"
    assert db.export_vcf(out, progress=lambda d, t: eseen.append((d, t))) == 3
    assert eseen == [(3, 3)] and out.read_text().count("BEGIN:VCARD") == 3
    db.undo_import(rep.import_id)  # both parts at once
    assert db.count("Contacts") == 0


def test_keyboard_interrupt_mid_import_leaves_a_resumable_import(db: crm.Crm) -> None:
    header = "Opportunity Name,Amount,Sales Stage,Expected Close Date\n"
    body = "".join(f"Deal {i},{i}.50,Prospecting,2027-03-31\n" for i in range(10))
    data = (header + body).encode()
    calls: list[int] = []

    def ctrl_c_at_batch_two(done: int, total: int | None) -> None:
        calls.append(done)
        if len(calls) == 2:
            signal.raise_signal(signal.SIGINT)  # as a user's Ctrl-C

    with pytest.raises(KeyboardInterrupt) as stopped:
        db.import_csv(io.BytesIO(data), "Potentials", batch_size=3, progress=ctrl_c_at_batch_two)
    import_id = stopped.value.import_id  # type: ignore[attr-defined]
    journal = db.imports()[-1]
    assert (journal["id"], journal["status"], journal["rows"]) == (import_id, "interrupted", 6)
    assert db.count("Potentials") == 6
    res = db.resume_import_csv(import_id, io.BytesIO(data), batch_size=3)
    assert (res.rows, res.created, res.failed) == (10, 10, 0)
    assert db.undo_import(import_id)["deleted"] == 10 and db.count("Potentials") == 0


def test_file_like_import_and_export(db: crm.Crm, tmp_path: Path) -> None:
    header = "Opportunity Name,Amount,Sales Stage,Expected Close Date\n"
    data = (header + "".join(f"Déal {i},{i}.50,Prospecting,2027-03-31\n" for i in range(5))).encode()
    seen: list[tuple[int, int | None]] = []
    rep = db.import_csv(io.BytesIO(data), "Potentials", batch_size=2, progress=lambda d, t: seen.append((d, t)))
    assert (rep.rows, rep.created) == (5, 5)
    assert seen[-1] == (len(data), len(data)) and all(t == len(data) for _, t in seen)  # a seekable stream: bytes
    with pytest.raises(crm.InvalidArgumentError):
        db.import_csv(io.StringIO(data.decode()), "Potentials")  # text streams are refused: open with "rb"
    out = io.BytesIO()
    assert db.export_csv(out, "Potentials", columns=["potentialname", "amount"]) == 5
    text = out.getvalue().decode()
    assert text.splitlines()[0] == "Opportunity Name,Amount" and "Déal 4,4.50" in text
    # A text stream gets str.
    sout = io.StringIO()
    assert db.export_csv(sout, "Potentials", columns=["potentialname"], header="names") == 5
    assert sout.getvalue().splitlines()[:2] == ["potentialname", "Déal 0"]
    # Export progress: records written out of the number selected.
    eseen: list[tuple[int, int | None]] = []
    db.export_csv(io.BytesIO(), "Potentials", progress=lambda d, t: eseen.append((d, t)))
    assert eseen == [(5, 5)]
    cards = b"".join(b"BEGIN:VCARD\nVERSION:3.0\nFN:P%d\nN:P%d;;;;\nEND:VCARD\n" % (i, i) for i in range(3))
    assert db.import_vcf(io.BytesIO(cards)).created == 3


def test_progress_true_uses_tqdm(db: crm.Crm, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("tqdm")
    rep = db.import_records("Potentials", rows(4), batch_size=2, progress=True)
    assert rep.created == 4
    assert "4/4" in capsys.readouterr().err
    with pytest.raises(TypeError):
        db.import_records("Potentials", rows(1), progress=3)
