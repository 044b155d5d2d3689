"""A data-script workflow with the crm Python package.

1. import a vtiger "Opportunities" CSV export into a crm database with ``import_csv`` (organizations and
   contacts created on the way, bad rows reported with their line, field and reason),
2. report the forecast by sales stage and by close quarter with exact Decimal sums (``forecast``),
3. export the won deals to a CSV file with ``export_csv`` (the "Potentials Won" filter, vtiger's headers).

Usage:
    python examples/python/pipeline.py [EXPORT.csv] [--db sales.db] [--out won.csv]

Without a CSV it uses a small built-in sample in vtiger's export format (labels as headers, references as
``Accounts::::Name``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import crm_engine as crm

SAMPLE = """\
Opportunity Name,Organization Name,Amount,Type,Expected Close Date,Lead Source,Next Step,Sales Stage,Probability,Description
Hooli renewal,Accounts::::Hooli,12000.00,Existing Business,2027-09-04,Public Relations,,Perception Analysis,50.000,
Hooli expansion,Accounts::::Hooli,7300.25,New Business,2027-02-18,Direct Mail,Call CFO,Qualification,,"Renewal, multi-year"
Pied Piper pilot,Accounts::::Pied Piper,2500.50,New Business,2027-01-15,Cold Call,,Closed Won,,
Aviato licences,Accounts::::Aviato,990.10,New Business,2027-03-01,Web Site,,Closed Lost,,
Raviga advisory,Accounts::::Raviga,45000.00,New Business,2027-06-30,Partner,Send proposal,Closed Won,,
Broken row,Accounts::::Hooli,12abc,New Business,2027-13-45,,,Dreaming,,
"""


def load(db: crm.Crm, path: Path) -> crm.ImportReport:
    """Imports the CSV (every row through the normal save: validation, workflows, change log)."""
    rep = db.import_csv(path, "Potentials", create_missing_references=True, progress=lambda done, total: None)
    print(f"imported {rep.created} of {rep.rows} rows (import {rep.import_id}; undo with db.undo_import)")
    for e in rep.errors:
        print(f"  line {e['line']}: {e['field'] or e['column']}: {e['message']}")
    for w in rep.warnings:
        print(f"  note: {w}")
    return rep


def report(db: crm.Crm) -> None:
    """Prints count, amount and weighted forecast per stage (in the picklist's order) and per quarter."""
    rows = {r["key"]: r for r in db.forecast("Potentials", by="sales_stage")}
    print(f"{'stage':<26}{'deals':>6}{'amount':>14}{'forecast':>14}")
    for stage in db.picklist_values("sales_stage"):
        if stage in rows:
            r = rows[stage]
            print(f"{stage:<26}{r['count']:>6}{r['amount']:>14}{r['forecast_amount']:>14}")
    for r in db.forecast("Potentials", by="quarter", where=[("sales_stage", "!=", "Closed Lost")]):
        print(f"{r['key']:<26}{r['count']:>6}{r['amount']:>14}{r['forecast_amount']:>14}")
    total = db.forecast("Potentials")[0]
    print(f"{'total':<26}{total['count']:>6}{total['amount']:>14}{total['forecast_amount']:>14}")


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("csv", nargs="?", type=Path, help="a vtiger Opportunities CSV export (default: built-in sample)")
    ap.add_argument("--db", type=Path, help="SQLite database file (default: a temporary one)")
    ap.add_argument("--out", type=Path, help="CSV file for the won deals (default: next to the database)")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "sales.db"
        out = args.out or path.with_name("won_deals.csv")
        source = args.csv
        if source is None:
            source = Path(tmp) / "sample.csv"
            source.write_text(SAMPLE, encoding="utf-8")
        with crm.Crm(path, user="admin") as db:
            if not any(u["user_name"] == "admin" for u in db.users()):
                db.add_user("admin", full_name="Administrator")
            load(db, source)
            print()
            report(db)
            print()
            n = db.export_csv(out, "Potentials", filter="Potentials Won", order_by="-closingdate")
            print(f"exported {n} won deals to {out}")
            print(out.read_text(encoding="utf-8"), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
