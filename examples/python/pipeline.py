"""A data-script workflow with the crm Python package.

1. load a vtiger "Opportunities" CSV export into a crm database (organizations created on the way),
2. report the pipeline by sales stage with exact Decimal sums (and the weighted forecast),
3. export the won deals to a CSV file.

Usage:
    python examples/python/pipeline.py [EXPORT.csv] [--db sales.db] [--out won.csv]

Without a CSV it uses a small built-in sample in vtiger's export format (labels as headers, references as
``Accounts::::Name``). Until crm's own CSV import/export land in the Python API, the file is read and written
with Python's csv module; crm accepts field labels ("Expected Close Date") as well as names ("closingdate").
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import tempfile
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import crm

SAMPLE = """\
Opportunity Name,Organization Name,Amount,Type,Expected Close Date,Lead Source,Next Step,Sales Stage,Probability,Description
Hooli renewal,Accounts::::Hooli,12000.00,Existing Business,2027-09-04,Public Relations,,Perception Analysis,50.000,
Hooli expansion,Accounts::::Hooli,7300.25,New Business,2027-02-18,Direct Mail,Call CFO,Qualification,,"Renewal, multi-year"
Pied Piper pilot,Accounts::::Pied Piper,2500.50,New Business,2027-01-15,Cold Call,,Closed Won,,
Aviato licences,Accounts::::Aviato,990.10,New Business,2027-03-01,Web Site,,Closed Lost,,
Raviga advisory,Accounts::::Raviga,45000.00,New Business,2027-06-30,Partner,Send proposal,Closed Won,,
Broken row,Accounts::::Hooli,12abc,New Business,2027-13-45,,,Dreaming,,
"""

# Columns of the export that crm maintains itself (numbers, times, weighted revenue) or that need users.
SKIPPED = {"Opportunity Number", "Modified Time", "Created Time", "Last Modified By", "Weighted Revenue", "Is Converted From Lead", "Source", "Assigned To", "Contact Name", "Campaign Source"}


def load(db: crm.Crm, text: str) -> tuple[int, list[str]]:
    """Creates one opportunity per CSV row; returns (created, problems)."""
    orgs: dict[str, int] = {r["accountname"]: r["id"] for r in db.find("Accounts")}
    created, problems = 0, []
    for line, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        fields: dict[str, Any] = {k: v for k, v in row.items() if k not in SKIPPED and v not in ("", None)}
        org = fields.pop("Organization Name", "").split("::::")[-1].strip()
        if org:
            if org not in orgs:
                orgs[org] = db.create("Accounts", {"accountname": org})["id"]
            fields["related_to"] = orgs[org]
        try:
            db.create("Potentials", fields)
            created += 1
        except crm.ValidationError as e:
            problems += [f"line {line}: {err['field']}: {err['message']}" for err in e.errors]
    return created, problems


def report(db: crm.Crm) -> None:
    """Prints count, total and weighted forecast per stage, in the picklist's order."""
    groups = {g["sales_stage"]: g for g in db.aggregate("Potentials", group_by="sales_stage", sums=["amount"])}
    weighted: dict[str, Decimal] = defaultdict(Decimal)
    for deal in db.iter("Potentials", batch=500):  # lazily, a batch at a time
        weighted[deal["sales_stage"]] += (deal["amount"] or Decimal(0)) * (deal["probability"] or Decimal(0)) / 100
    print(f"{'stage':<26}{'deals':>6}{'amount':>14}{'weighted':>14}")
    for stage in db.picklist_values("sales_stage"):
        if stage in groups:
            g = groups[stage]
            print(f"{stage:<26}{g['count']:>6}{g['amount']:>14}{weighted[stage].quantize(Decimal('0.01')):>14}")
    total = db.aggregate("Potentials", sums=["amount"])[0]
    print(f"{'total':<26}{total['count']:>6}{total['amount']:>14}")


def export_won(db: crm.Crm, out: Path) -> int:
    """Writes the won deals, newest close date first; returns the number of rows."""
    won = db.find("Potentials", where=[("sales_stage", "=", "Closed Won")], order_by="-closingdate")
    names = {r["id"]: r["accountname"] for r in db.find("Accounts")}
    with out.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Opportunity Number", "Opportunity Name", "Organization Name", "Amount", "Expected Close Date"])
        for d in won:
            w.writerow([d["potential_no"], d["potentialname"], names.get(d["related_to"], ""), d["amount"], d["closingdate"].isoformat()])
    return len(won)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("csv", nargs="?", type=Path, help="a vtiger Opportunities CSV export (default: built-in sample)")
    ap.add_argument("--db", type=Path, help="SQLite database file (default: a temporary one)")
    ap.add_argument("--out", type=Path, help="CSV file for the won deals (default: next to the database)")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "sales.db"
        out = args.out or path.with_name("won_deals.csv")
        text = args.csv.read_text(encoding="utf-8") if args.csv else SAMPLE
        with crm.Crm(path, user="admin") as db:
            if not any(u["user_name"] == "admin" for u in db.users()):
                db.add_user("admin", full_name="Administrator")
            created, problems = load(db, text)
            print(f"loaded {created} opportunities into {path}")
            for p in problems:
                print("  skipped", p)
            print()
            report(db)
            print()
            print(f"exported {export_won(db, out)} won deals to {out}")
            print(out.read_text(encoding="utf-8"), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
