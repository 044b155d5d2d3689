"""The change feed: every change once, in order, with its shape; resuming from a stored position; a
trimmed position's own error; `watch` waiting for changes another thread (and another handle) commits."""

from __future__ import annotations

import threading
import time
from datetime import datetime
from pathlib import Path

import pytest

import crm_engine as crm


def test_changes_have_their_shape_and_resume_from_a_position(db: crm.Crm) -> None:
    start = db.changes_position()
    org = db.create("Accounts", {"accountname": "Hooli"})
    db.update(org["id"], {"accountname": "Hooli XYZ"})
    db.comment(org["id"], "Call back")
    db.delete(org["id"])
    events = db.changes(since=start)
    assert [e["kind"] for e in events] == ["created", "updated", "commented", "deleted"]
    upd = events[1]
    assert set(upd) == {"position", "record", "module", "kind", "actor", "at", "related", "changes"}
    assert (upd["record"], upd["module"], upd["actor"], upd["related"]) == (org["id"], "Accounts", "admin", None)
    assert isinstance(upd["at"], datetime)
    name = next(c for c in upd["changes"] if c["field"] == "accountname")
    assert (name["before"], name["after"]) == ("Hooli", "Hooli XYZ")
    assert [e["position"] for e in events] == sorted({e["position"] for e in events})
    assert db.changes_position() == events[-1]["position"]

    stored = events[1]["position"]
    assert [e["kind"] for e in db.changes(since=stored, limit=1)] == ["commented"]
    assert db.changes(since=events[-1]["position"]) == []
    assert db.changes(since=start, modules=["Contacts"]) == []
    assert len(db.changes(since=start, modules=["Accounts", "Contacts"])) == 4
    with pytest.raises(crm.InvalidArgumentError):
        db.changes(since=start, limit=0)


def test_a_trimmed_position_expires(db: crm.Crm) -> None:
    org = db.create("Accounts", {"accountname": "Hooli"})
    for i in range(3):
        db.update(org["id"], {"website": f"https://{i}.example"})
    events = db.changes()
    cut = events[-2]["position"]
    assert db.trim_changes(cut) == len(events) - 1
    with pytest.raises(crm.FeedPositionExpiredError) as e:
        db.changes(since=cut - 1)
    assert e.value.code == "feed_position_expired"
    assert isinstance(e.value, crm.CrmError)
    assert [x["position"] for x in db.changes()] == [events[-1]["position"]]
    with pytest.raises(crm.InvalidArgumentError):
        db.trim_changes(db.changes_position() + 1)


def test_watch_waits_for_changes_from_another_handle(tmp_path: Path) -> None:
    path = str(tmp_path / "crm.db")
    with crm.Crm(path, user="admin") as reader:
        reader.add_user("admin")
        start = reader.changes_position()
        names = [f"Org {i}" for i in range(20)]

        def write() -> None:
            with crm.Crm(path, user="admin") as writer:
                for n in names:
                    writer.create("Accounts", {"accountname": n})
                    time.sleep(0.005)

        writer = threading.Thread(target=write)
        watch = reader.watch(since=start, poll_interval=0.01, modules=["Accounts"])
        assert watch.position == start
        writer.start()
        seen = [next(watch) for _ in names]
        writer.join()
        assert [next(c["after"] for c in e["changes"] if c["field"] == "accountname") for e in seen] == names
        assert [e["kind"] for e in seen] == ["created"] * len(names)
        assert [e["position"] for e in seen] == [e["position"] for e in reader.changes(since=start, modules=["Accounts"])]
        assert watch.position == seen[-1]["position"]
        # A consumer restarting from the stored position resumes after it.
        again = reader.watch(since=seen[9]["position"], poll_interval=0.01)
        assert next(again)["position"] == seen[10]["position"]


def test_watch_checks_its_arguments(db: crm.Crm) -> None:
    with pytest.raises(crm.InvalidArgumentError):
        db.watch(poll_interval=0)
    with pytest.raises(crm.InvalidArgumentError):
        db.watch(limit=0)
