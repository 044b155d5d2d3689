"""A failed call leaves the handle usable and rolls back what it had open. An import is forced to fail
half-way: after its first batch is committed, another process takes the SQLite file's write lock, so the
next batch cannot be written (a storage error after the engine's 10 s busy timeout). The lock is taken in
a child process because POSIX locks do not conflict within one process (Python's sqlite3 and the engine's
own SQLite would not see each other's locks). The committed batch stays, the
open one is rolled back, and the same handle reads, writes, imports and undoes afterwards."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import crm_engine as crm


def test_an_import_failing_half_way_rolls_back_its_open_batch_and_the_handle_works(tmp_path: Path) -> None:
    path = tmp_path / "crm.db"
    with crm.Crm(str(path), user="admin") as db:
        db.add_user("admin", full_name="Administrator")
        rows = "".join(f"Row {i},Prospecting,2027-03-31\n" for i in range(1, 7))
        csv = tmp_path / "deals.csv"
        csv.write_text("Opportunity Name,Sales Stage,Expected Close Date\n" + rows)
        locker = "import sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None); c.execute('BEGIN IMMEDIATE'); print('locked', flush=True); sys.stdin.read()"
        held: list[subprocess.Popen[str]] = []

        batches: list[int] = []

        def lock_after_first_batch(done: int, total: int | None) -> None:
            batches.append(done)
            if len(batches) == 1 and not held:
                p = subprocess.Popen([sys.executable, "-c", locker, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                assert p.stdout is not None and p.stdout.readline().strip() == "locked"
                held.append(p)  # holds the write lock until its stdin is closed

        with pytest.raises(crm.CrmError) as failed:
            db.import_csv(csv, "Potentials", batch_size=2, progress=lock_after_first_batch)
        assert failed.value.code in ("storage", "busy", "conflict"), failed.value.code  # type: ignore[attr-defined]
        for p in held:
            p.communicate()
        names = sorted(r["potentialname"] for r in db.find("Potentials"))
        assert names == ["Row 1", "Row 2"], "the committed batch stays, the open one is rolled back"
        journal = db.imports()[-1]
        # The handle is usable: reads, writes, another import, undo of the stopped one.
        db.create("Potentials", {"potentialname": "After", "sales_stage": "Prospecting", "closingdate": "2027-03-31"})
        good = tmp_path / "good.csv"
        good.write_text("Opportunity Name,Sales Stage,Expected Close Date\nGood,Prospecting,2027-03-31\n")
        assert db.import_csv(good, "Potentials").created == 1
        assert db.undo_import(journal["id"])["deleted"] == 2
        assert sorted(r["potentialname"] for r in db.find("Potentials")) == ["After", "Good"]
