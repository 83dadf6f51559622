"""The bulk rebuild of the search index (``registry.schema.REBUILD_SEARCH_SQL``, as a load ends)
against the per-agreement formulation it replaced (``agreement_search_rows()``, the one the
triggers use), side by side on one registry, each in a transaction rolled back; prints CPU and
wall seconds of each, their ratio, and whether both made the same rows (a digest of them).

    .venv/bin/python -m benchmarks.search_rebuild COPY_OF_A_REGISTRY.db [--rounds 2]

``--beside``: the bulk rebuild in place against the same rows indexed beside the registry on a
second thread and copied in (``registry.db.search_build.SearchBuild``, what a streamed write
does), with a rollback journal and a load's page cache; wall time is what it saves (its CPU
counts both threads).

Work on a copy: the file is not changed, but its journal is written.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import sqlite3
import time

from registry import schema
from registry.db.connection import split_sql

PER_AGREEMENT = f"""
DELETE FROM institutions_fts;
INSERT INTO institutions_fts ({schema.INSTITUTION_SEARCH_COLUMNS}) {schema.institution_search_rows()};
DELETE FROM agreements_fts;
INSERT INTO agreements_fts ({schema.AGREEMENT_SEARCH_COLUMNS}) {schema.agreement_search_rows()};
"""


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def digest(conn: sqlite3.Connection) -> str:
    rows = hashlib.sha256()
    for columns, table in ((schema.AGREEMENT_SEARCH_COLUMNS, "agreements_fts"), (schema.INSTITUTION_SEARCH_COLUMNS, "institutions_fts")):
        for row in conn.execute(f"SELECT {columns} FROM {table} ORDER BY rowid"):
            rows.update(repr(row).encode())
    return rows.hexdigest()[:16]


def measure(conn: sqlite3.Connection, script: str) -> tuple[float, float, str]:
    conn.execute("BEGIN")
    cpu, wall = cpu_seconds(), time.perf_counter()
    for statement in split_sql(script):
        conn.execute(statement)
    cpu, wall = cpu_seconds() - cpu, time.perf_counter() - wall
    made = digest(conn)
    conn.execute("ROLLBACK")
    return cpu, wall, made


def measure_beside(conn: sqlite3.Connection) -> tuple[float, float, str]:
    import sqlite_utils

    from registry.db.search_build import SearchBuild

    with SearchBuild(sqlite_utils.Database(conn)) as build:
        conn.execute("BEGIN")
        cpu, wall = cpu_seconds(), time.perf_counter()
        build.rebuild()
        cpu, wall = cpu_seconds() - cpu, time.perf_counter() - wall
        made = digest(conn)
        conn.execute("ROLLBACK")
    return cpu, wall, made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("registry")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--beside", action="store_true", help="in place against built beside (SearchBuild)")
    args = parser.parse_args()
    conn = sqlite3.connect(args.registry, isolation_level=None)
    agreements = conn.execute("SELECT count(*) FROM agreements").fetchone()[0]
    if args.beside:
        from registry.db.writes import STREAMED_CACHE_KIB

        conn.execute("PRAGMA journal_mode = delete")
        conn.execute(f"PRAGMA cache_size = -{STREAMED_CACHE_KIB}")
        for _ in range(args.rounds):
            base_cpu, base_wall, base_rows = measure(conn, schema.REBUILD_SEARCH_SQL)
            cpu, wall, rows = measure_beside(conn)
            print(json.dumps({"agreements": agreements, "in_place_cpu_seconds": round(base_cpu, 2),
                              "in_place_seconds": round(base_wall, 2), "beside_cpu_seconds": round(cpu, 2),
                              "beside_seconds": round(wall, 2), "ratio": round(wall / base_wall, 3),
                              "cpu_ratio": round(cpu / base_cpu, 3), "same_rows": rows == base_rows,
                              "load_average": [round(x, 2) for x in os.getloadavg()]}), flush=True)
        conn.execute("PRAGMA journal_mode = wal")
        return
    for _ in range(args.rounds):
        base_cpu, base_wall, base_rows = measure(conn, PER_AGREEMENT)
        cpu, wall, rows = measure(conn, schema.REBUILD_SEARCH_SQL)
        print(json.dumps({"agreements": agreements, "per_agreement_cpu_seconds": round(base_cpu, 2),
                          "per_agreement_seconds": round(base_wall, 2), "rebuild_cpu_seconds": round(cpu, 2),
                          "rebuild_seconds": round(wall, 2), "cpu_ratio": round(cpu / base_cpu, 3),
                          "same_rows": rows == base_rows, "load_average": [round(x, 2) for x in os.getloadavg()]}),
              flush=True)


if __name__ == "__main__":
    main()
