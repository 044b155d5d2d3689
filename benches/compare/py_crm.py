"""(b) of the comparison: crm's CSV import through the Python binding, every rule on (as (a)).

Usage: PYTHON py_crm.py CSV DB   — prints one JSON line {rows, seconds, peak_rss_kib}.
Run with the virtualenv `bash crm-py/ci.sh` builds (target/crm-py-venv); build the wheel with
CRM_PY_PROFILE=release for a fair comparison with (a).
"""
import json
import os
import resource
import sys
import time

import crm_engine as crm


def main():
    src, db = sys.argv[1], sys.argv[2]
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    start = time.perf_counter()
    c = crm.Crm(db)
    c.add_user("admin", full_name="Administrator", email="admin@example.com")
    c.set_user("admin")
    report = c.import_csv(src, "Potentials", create_missing_references=True, batch_size=1000)
    if report.failed:
        raise SystemExit(f"{report.failed} rows failed")
    rows = report.created + report.updated + getattr(report, "merged", 0)
    c.close()
    elapsed = time.perf_counter() - start
    print(json.dumps({"rows": rows, "seconds": elapsed, "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))


if __name__ == "__main__":
    main()
