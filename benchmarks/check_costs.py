"""Where a first check run's CPU goes, check by check and outside the checks.

    .venv/bin/python -m benchmarks.check_costs --db COPY.db [--only CODE ...]

Works on ``--db`` itself (give it a copy: it commits the country tiers and, unless
``--no-record``, fills ``findings``). One connection with a run's page cache (``--cache-kib``)
and SQLite's default TEMP store, no lanes; CPU seconds (``time.process_time``) of this
process, so that two versions can be compared check by check. For each check:

- ``query``: its query alone, counting the subjects (SQLite may leave unused columns out);
- ``message``: the query with every column made (message and evidence summed in SQLite);
- ``copy``: ``checks.found.copy_found`` into a TEMP table, as a run does (label, evidence, insert).

Then, over all the findings, recording them as a first run does: the insert into an empty
``findings``, its indexes kept as it goes, the commit and the WAL checkpoint after it (with
their system CPU: mostly writing the pages, twice). Prints one
JSON object per line; ``copy`` is each step's CPU seconds.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from datetime import date
from pathlib import Path

from checks.context import Context, FoundQuery, load_criteria
from checks.found import copy_found, create_found_table
from checks.registry import all_checks
from checks.risk import refresh_country_risk
from checks.run import _RECORD_FRESH
from registry import db as store
from registry.message_sql import compile_messages

TODAY = date(2026, 11, 21)


def cpu() -> float:
    return time.process_time()


def wall() -> float:
    return time.perf_counter()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--only", nargs="*", default=())
    parser.add_argument("--no-record", action="store_true")
    parser.add_argument("--cache-kib", type=int, default=512 * 1024, help="the run's page cache (checks.run.CACHE_KIB)")
    args = parser.parse_args()
    db = store.connect(args.db)
    conn = db.conn
    conn.execute(f"PRAGMA cache_size = -{args.cache_kib}")
    conn.execute(f"PRAGMA mmap_size = {1 << 31}")
    criteria, _ = load_criteria()
    ctx = Context(db, criteria, TODAY)
    with store.transaction(db, actor="benchmark", source="benchmarks/check_costs.py"):
        refresh_country_risk(ctx)
    conn.execute("BEGIN")
    create_found_table(conn, "temp.costs_found", keyed=False)  # as a first run's (checks.run)
    total = 0
    for spec in all_checks():
        if args.only and spec.code not in args.only:
            continue
        started = cpu()
        found = spec.function(ctx)  # builds its TEMP tables, if any
        prepare = cpu() - started
        figures = {"code": spec.code, "prepare": round(prepare, 3)}
        if isinstance(found, FoundQuery):
            sql = compile_messages(found.sql)
            started = cpu()
            figures["rows"] = conn.execute(f"SELECT count(*) FROM ({sql})", found.params).fetchone()[0]
            figures["query"] = round(cpu() - started, 3)
            started = cpu()
            conn.execute(f"SELECT sum(length(message) + length(coalesce(evidence, ''))) FROM ({sql})",
                         found.params).fetchone()
            figures["message"] = round(cpu() - started, 3)
        before = conn.total_changes
        started = cpu()
        copy_found(ctx, spec, "temp.costs_found")
        figures["copy"] = round(cpu() - started + prepare, 3)
        figures["copied"] = conn.total_changes - before
        total += figures["copied"]
        print(json.dumps(figures), flush=True)
    if not args.no_record and not args.only:
        conn.execute("DELETE FROM findings")
        run = "run-costs-001"
        conn.execute("INSERT INTO check_runs (id, started_at, seconds, as_of, actor, checks, criteria_sha256, found, "
                     "new, resolved, timings) VALUES (?, '2026-11-21T00:00:00', 0, ?, 'benchmark', '[]', '', 0, 0, 0, '{}')",
                     [run, TODAY.isoformat()])
        started, began = cpu(), wall()
        conn.execute("PRAGMA ignore_check_constraints = ON")
        conn.execute(_RECORD_FRESH["insert"].format(found="temp.costs_found", target="findings"), {"today": TODAY.isoformat(), "run": run})
        conn.execute("PRAGMA ignore_check_constraints = OFF")
        print(json.dumps({"code": "_insert", "copy": round(cpu() - started, 3), "wall": round(wall() - began, 3),
                          "copied": total}), flush=True)
        conn.execute("PRAGMA wal_autocheckpoint = 0")  # the commit, then its checkpoint, apart
        for label, sql in (("_commit", "COMMIT"), ("_checkpoint", "PRAGMA wal_checkpoint(TRUNCATE)")):
            started, began, system = cpu(), wall(), resource.getrusage(resource.RUSAGE_SELF).ru_stime
            conn.execute(sql).fetchall()
            print(json.dumps({"code": label, "copy": round(cpu() - started, 3), "wall": round(wall() - began, 3),
                              "system": round(resource.getrusage(resource.RUSAGE_SELF).ru_stime - system, 3)}),
                  flush=True)
    ctx.close()


if __name__ == "__main__":
    main()
