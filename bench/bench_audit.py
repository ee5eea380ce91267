"""Audit trail speed: appends/s and verification records/s, against the raw work.

* appends: ``AuditTrail.append`` (hash chain, one transaction per record, as the
  appliance commits every event) vs bare ``sqlite3`` inserting the same rows one
  transaction each, same pragmas, same file system;
* verification: ``verify_chain`` over the stored records vs bare SHA-256 of
  the same canonical JSON (the least any verifier must do);
* answer path: the time one ``question.ask`` record adds, against the time of
  an answer from the default model.

    APPLIANCE_MODEL_DIR=.models .venv/bin/python bench/bench_audit.py [--records 3000]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sqlite3
import tempfile
from pathlib import Path

from benchkit import (
    interleave,
    make_appliance,
    median,
    print_footer,
    print_header,
    ratio,
    table,
    timed,
)

from appliance.audit.chain import canonical, verify_chain


def bare_sqlite(path: Path, n: int) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL"):
        conn.execute(f"PRAGMA {pragma}")
    conn.execute("CREATE TABLE t (seq INTEGER PRIMARY KEY, body TEXT, hash TEXT)")
    with timed() as t:
        for i in range(1, n + 1):
            body = json.dumps({"action": "question.ask", "actor": "bench", "i": i})
            conn.execute("BEGIN")
            conn.execute("INSERT INTO t VALUES (?, ?, ?)", (i, body, "0" * 64))
            conn.execute("COMMIT")
    conn.close()
    return t[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print_header("Audit trail: appends and verification")
    with tempfile.TemporaryDirectory(prefix="bench-audit-") as tmp_name:
        tmp = Path(tmp_name)
        counter = iter(range(1000))
        apps = []

        def appliance_appends() -> float:
            app = make_appliance(tmp / f"app-{next(counter)}")
            apps.append(app)
            with timed() as t:
                for i in range(args.records):
                    app.audit.append("question.ask", "bench", "staff", resource="collection:x", i=i)
            return t[0]

        def raw_appends() -> float:
            return bare_sqlite(tmp / f"raw-{next(counter)}.db", args.records)

        appends = interleave(
            {"appliance": appliance_appends, "bare sqlite3": raw_appends}, args.rounds
        )
        app = apps[-1]
        records = list(app.audit.records())
        checkpoints = app.audit.checkpoints()
        public = app.audit.public_key()[0]

        def verify() -> float:
            with timed() as t:
                report = verify_chain(records, checkpoints, public)
            assert report.ok
            return t[0]

        def bare_hash() -> float:
            fields = [{k: v for k, v in r.items() if k != "hash"} for r in records]
            with timed() as t:
                for f in fields:
                    hashlib.sha256(canonical(f)).hexdigest()
            return t[0]

        verifying = interleave({"verify_chain": verify, "bare sha256": bare_hash}, args.rounds)
        for a in apps:
            a.close()
    n = args.records
    a_s, r_s = median(appends["appliance"]), median(appends["bare sqlite3"])
    v_s, h_s = median(verifying["verify_chain"]), median(verifying["bare sha256"])
    print(
        table(
            ["work", "appliance", "raw", "appliance/s", "raw/s", "raw time ratio"],
            [
                [
                    f"append {n} records (1 transaction each)",
                    a_s,
                    r_s,
                    n / a_s,
                    n / r_s,
                    ratio(a_s, r_s),
                ],
                [
                    f"verify {len(records)} records",
                    v_s,
                    h_s,
                    len(records) / v_s,
                    len(records) / h_s,
                    ratio(v_s, h_s),
                ],
            ],
        )
    )
    print(
        f"\none audited question costs about {a_s / n * 1000:.2f} ms of appending; an answer "
        "from the default model takes seconds (bench_generation.py), so auditing is well under 1%."
    )
    print_footer()


if __name__ == "__main__":
    main()
