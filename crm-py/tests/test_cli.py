"""The ``crm`` command line through the Python package: ``python -m crm_engine`` and ``run_cli`` run the
same Rust code as the binary (crm-cli), on the sample vtiger export."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import crm_engine as crm
from crm_engine._crm import run_cli

DATA = Path(__file__).parent / "data"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Runs ``python -m crm_engine`` with ``args``."""
    return subprocess.run([sys.executable, "-m", "crm_engine", *args], capture_output=True, text=True, timeout=120, check=False)


def test_import_and_forecast_through_python_m(tmp_path: Path) -> None:
    db = str(tmp_path / "sales.db")
    csv = str(DATA / "vtiger_potentials_export.csv")
    done = cli("--db", db, "--json", "import", csv, "--create-missing-references")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["rows"], report["created"], report["failed"]) == (24, 14, 10)
    svg = tmp_path / "pipeline.svg"
    done = cli("--db", db, "forecast", "--chart", "--svg", str(svg))
    assert done.returncode == 0, done.stderr
    assert "Closed Won" in done.stdout and "█" in done.stdout
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg")
    # The same store read through the Python API agrees with the command line.
    with crm.Crm(db) as handle:
        assert handle.count("Potentials") == 14


def test_errors_are_one_line_and_exit_non_zero(tmp_path: Path) -> None:
    db = str(tmp_path / "sales.db")
    done = cli("--db", db, "find", "Nope")
    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0 and done.stderr.startswith("crm: not_found:")
    done = cli("--db", db, "--json", "import", str(DATA / "vtiger_potentials_export.csv"), "--encoding", "ebcdic")
    assert done.returncode == 1
    assert json.loads(done.stderr)["error"]["kind"] == "invalid_argument"
    assert cli("--db", db, "frobnicate").returncode == 2


def test_run_cli_returns_the_exit_code(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    assert run_cli(["--db", db, "--json", "schema", "Potentials"]) == 0
    assert run_cli(["--db", db, "undo-import", "999"]) == 1
