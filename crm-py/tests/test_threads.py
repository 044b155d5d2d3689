"""One Crm object shared by several threads; the interpreter is released while the engine works."""

from __future__ import annotations

import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import crm_engine as crm

from .conftest import deal


def test_concurrent_writes_and_reads_from_threads(db: crm.Crm, org: dict[str, Any]) -> None:
    def work(n: int) -> list[int]:
        ids = []
        for i in range(20):
            rec = deal(db, org, f"T{n}-{i}", str(n * 100 + i))
            ids.append(rec["id"])
            db.update(rec["id"], {"nextstep": f"step {i}"})
            assert db.get(rec["id"])["nextstep"] == f"step {i}"
            db.count("Potentials")
        return ids

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(work, range(4)))
    ids = [i for r in results for i in r]
    assert len(set(ids)) == 80
    assert db.count("Potentials") == 80
    numbers = {r["potential_no"] for r in db.find("Potentials")}
    assert len(numbers) == 80  # auto-numbers never collide
    total = db.aggregate("Potentials", sums=["amount"])[0]["amount"]
    assert total == Decimal(sum(n * 100 + i for n in range(4) for i in range(20)))


def test_close_while_other_threads_work(db: crm.Crm, org: dict[str, Any]) -> None:
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            for _ in range(200):
                db.count("Potentials")
        except crm.CrmError as e:  # closed underneath: a clean error, never a crash
            assert e.code == "closed"
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    db.close()
    for t in threads:
        t.join()
    assert errors == []


def test_engine_calls_release_the_interpreter(db: crm.Crm, org: dict[str, Any]) -> None:
    """With a huge switch interval a thread keeps the GIL until it blocks or releases it; the main thread can
    only observe the worker *inside* `find` if `find` released it."""
    for i in range(300):
        deal(db, org, f"G{i}", "1")
    in_call = threading.Event()
    done = threading.Event()

    def worker() -> None:
        for _ in range(20):
            in_call.set()
            db.find("Potentials")
            in_call.clear()
        done.set()

    old = sys.getswitchinterval()
    sys.setswitchinterval(1000.0)
    try:
        t = threading.Thread(target=worker)
        t.start()
        seen = 0
        while not done.is_set():
            if in_call.is_set():
                seen += 1
            time.sleep(0)
        t.join()
    finally:
        sys.setswitchinterval(old)
    assert seen > 0
