"""(d) of the comparison: Python's csv + decimal + sqlite3.executemany, no rules.

Usage: python3 py_floor.py CSV DB   — prints one JSON line {rows, seconds, peak_rss_kib}.
"""
import csv
import json
import os
import resource
import sqlite3
import sys
import time
from decimal import Decimal

HUNDRED = Decimal(100)
QUANT = Decimal("0.0001")


def rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        r = csv.reader(f)
        next(r)
        for rec in r:
            amount = Decimal(rec[4])
            prob = Decimal(rec[12])
            forecast = (amount * prob / HUNDRED).quantize(QUANT)
            yield (rec[0], rec[1], rec[2], str(amount), rec[5], rec[6], rec[7], rec[10], str(prob), str(forecast), rec[19])


def main():
    src, db = sys.argv[1], sys.argv[2]
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    start = time.perf_counter()
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(
        "CREATE TABLE potentials (id INTEGER PRIMARY KEY, potentialname TEXT, potential_no TEXT, related_to TEXT,"
        " amount TEXT, opportunity_type TEXT, closingdate TEXT, leadsource TEXT, sales_stage TEXT,"
        " probability TEXT, forecast_amount TEXT, description TEXT)"
    )
    with conn:
        conn.executemany(
            "INSERT INTO potentials (potentialname, potential_no, related_to, amount, opportunity_type, closingdate,"
            " leadsource, sales_stage, probability, forecast_amount, description) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            rows(src),
        )
    n = conn.execute("SELECT count(*) FROM potentials").fetchone()[0]
    conn.close()
    elapsed = time.perf_counter() - start
    print(json.dumps({"rows": n, "seconds": elapsed, "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))


if __name__ == "__main__":
    main()
