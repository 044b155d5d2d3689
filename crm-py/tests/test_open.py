"""Opening, closing, the context manager, the acting user, file errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import crm_engine as crm


def test_memory_is_the_default() -> None:
    db = crm.Crm()
    assert db.path == ":memory:"
    assert not db.closed
    assert db.count("Potentials") == 0
    assert repr(db) == '<crm.Crm ":memory:">'


def test_sqlite_file_is_created_if_missing_and_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "sales.db"
    assert not path.exists()
    with crm.Crm(path, user="admin") as db:  # os.PathLike works too
        db.add_user("admin")
        rec = db.create("Accounts", {"accountname": "Hooli"})
    assert path.exists()
    with crm.Crm(str(path)) as again:
        assert again.get(rec["id"])["accountname"] == "Hooli"
        assert [u["user_name"] for u in again.users()] == ["admin"]


def test_context_manager_closes_and_closed_object_raises(tmp_path: Path) -> None:
    with crm.Crm(str(tmp_path / "x.db")) as db:
        assert db.count("Accounts") == 0
    assert db.closed
    assert "closed" in repr(db)
    with pytest.raises(crm.CrmError, match="closed") as info:
        db.count("Accounts")
    assert info.value.code == "closed"
    with pytest.raises(crm.CrmError, match="closed"):
        db.create("Accounts", {"accountname": "x"})
    with pytest.raises(crm.CrmError, match="closed"):
        db.users()
    with pytest.raises(crm.CrmError, match="closed"):
        next(db.iter("Accounts"))
    db.close()  # twice is fine
    with pytest.raises(crm.CrmError, match="closed"):
        with db:
            pass


def test_exit_does_not_swallow_exceptions() -> None:
    with pytest.raises(KeyError):
        with crm.Crm() as db:
            raise KeyError("boom")
    assert db.closed


def test_acting_user_named_in_history_and_owner() -> None:
    with crm.Crm(user="admin") as db:
        assert db.user == "admin"  # pending until registered
        with pytest.raises(crm.NotFoundError, match="add_user"):
            db.create("Accounts", {"accountname": "Hooli"})
        admin = db.add_user("admin", full_name="Administrator")
        rec = db.create("Accounts", {"accountname": "Hooli"})
        assert rec["assigned_user_id"] == admin["id"]
        assert db.history(rec["id"])[0]["actor"] == "admin"
        # Every key, None when empty: the keys C's JSON has.
        assert sorted(db.history(rec["id"])[0]) == ["actor", "at", "changes", "id", "kind", "module", "record", "related"]
        assert sorted(admin) == ["active", "email", "full_name", "id", "role", "user_name"] and admin["role"] is None
        sam = db.add_user("sam")
        db.set_user("sam")
        assert db.user == "sam"
        assert db.update(rec["id"], {"phone": "123"})["modifiedby"] == sam["id"]
        with pytest.raises(crm.NotFoundError):
            db.set_user("nobody")


def test_no_user_means_system_actor() -> None:
    db = crm.Crm()
    assert db.user is None
    db.add_user("admin")
    rec = db.create("Accounts", {"accountname": "Hooli", "assigned_user_id": "admin"})
    assert db.history(rec["id"])[0]["actor"] == "system"


def test_missing_folder_raises_file_not_found(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "dir" / "x.db"
    with pytest.raises(FileNotFoundError) as info:
        crm.Crm(str(missing))
    assert info.value.filename == str(missing)
    assert not missing.parent.exists()


def test_directory_raises_is_a_directory(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError):
        crm.Crm(str(tmp_path))


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_file_raises_permission_error(tmp_path: Path) -> None:
    path = tmp_path / "ro.db"
    crm.Crm(str(path)).close()
    path.chmod(0o444)
    with pytest.raises(PermissionError):
        crm.Crm(str(path))


def test_a_file_that_is_not_a_database_raises_storage_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("these are not the tables you are looking for\n" * 100)
    with pytest.raises(crm.StorageError) as info:
        crm.Crm(str(path))
    assert info.value.code == "corrupt"
    assert isinstance(info.value, crm.CrmError)


def test_version_is_exported() -> None:
    assert crm.__version__.count(".") == 2
    assert set(crm.__all__) >= {"Crm", "CrmError", "ValidationError", "NotFoundError", "ConflictError", "StorageError"}


def test_postgres_url_saves_and_reads() -> None:
    """`crm.Crm("postgres://...")` opens a PostgreSQL database (CRM_TEST_POSTGRES_URL names the server)."""
    server = os.environ.get("CRM_TEST_POSTGRES_URL")
    if not server:
        pytest.skip("CRM_TEST_POSTGRES_URL is not set (a PostgreSQL server for the tests)")
    sep = "&" if "?" in server else "?"
    # A schema of its own (created on open) keeps this test apart from other runs on the same server.
    url = f"{server}{sep}options=-csearch_path%3Dcrm_py_test_{os.getpid()}"
    with crm.Crm(url, user="admin") as db:
        if not any(u["user_name"] == "admin" for u in db.users()):
            db.add_user("admin")
        rec = db.create(
            "Potentials",
            {"potentialname": "Over the wire", "amount": "1234.50", "sales_stage": "Prospecting", "closingdate": "2027-01-31"},
        )
    with crm.Crm(url) as again:  # another connection
        got = again.get(rec["id"])
        assert got["potentialname"] == "Over the wire"
        assert str(got["amount"]) == "1234.50"
    with pytest.raises(OSError, match="connect"):  # an unreachable server is an I/O error
        crm.Crm("postgres://nobody@127.0.0.1:1/none")
