"""Load a synthetic registry through the library and, in the same run, the same rows with a
raw sqlite3 executemany into plain tables; print rows per second for both and the ratio.

    .venv/bin/python -m benchmarks.load [--institutions 20000] [--agreements 100000]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
import time
from pathlib import Path

from benchmarks.synth import synthetic_records
from registry import db as store
from registry.examples import fresh_registry
from registry.models import by_table


def emit(**figures) -> None:
    print(json.dumps(figures), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--institutions", type=int, default=20_000)
    parser.add_argument("--agreements", type=int, default=100_000)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-load-"))

    started = time.perf_counter()
    raw_records = synthetic_records(args.institutions, args.agreements)
    generate_seconds = time.perf_counter() - started

    # The library path: validate, check references, plan, write with audit log and search index.
    started = time.perf_counter()
    tables = by_table()
    with store.gc_paused():  # as the seed loader does
        records = [tables[table].model_validate(item) for table, items in raw_records.items() for item in items]
    validate_seconds = time.perf_counter() - started
    db = fresh_registry(workdir / "registry.db")
    write_started = time.perf_counter()
    plan = store.write_records(db, records, actor="benchmark", source="benchmarks/load.py")
    load_seconds = time.perf_counter() - started
    write_seconds = time.perf_counter() - write_started
    rows = len(plan.changes)

    # The baseline: the same rows, already encoded, inserted with executemany into plain tables.
    rows_by_table: dict[str, list[tuple]] = {}
    for change in plan.changes:
        spec = store.specs()[change.table]
        rows_by_table.setdefault(change.table, []).append(tuple(store.encode(spec, change.after).values()))
    raw = sqlite3.connect(workdir / "raw.db", isolation_level=None)
    raw.execute("PRAGMA journal_mode = WAL")
    started = time.perf_counter()
    raw.execute("BEGIN")
    for table, table_rows in rows_by_table.items():
        columns = store.specs()[table].stored_columns
        raw.execute(f"CREATE TABLE {schema_quote(table)} ({', '.join(schema_quote(c) for c in columns)})")
        marks = ", ".join("?" for _ in columns)
        raw.executemany(f"INSERT INTO {schema_quote(table)} VALUES ({marks})", table_rows)
    raw.execute("COMMIT")
    raw_seconds = time.perf_counter() - started

    # The same rows with executemany into a fresh registry: same tables, CHECKs, indexes and
    # triggers (audit log, search index), i.e. what a raw SQL client pays for the guarantees.
    same_schema = fresh_registry(workdir / "same-schema.db")
    started = time.perf_counter()
    with store.transaction(same_schema, actor="benchmark", source="raw executemany"):
        for table, table_rows in rows_by_table.items():
            columns = store.specs()[table].stored_columns
            marks = ", ".join("?" for _ in columns)
            same_schema.conn.executemany(
                f"INSERT INTO {schema_quote(table)} ({', '.join(schema_quote(c) for c in columns)}) VALUES ({marks})", table_rows)
    same_schema_seconds = time.perf_counter() - started

    logged = db.conn.execute("SELECT count(*) FROM changes").fetchone()[0]
    emit(bench="load", institutions=args.institutions, agreements=args.agreements, rows=rows, audit_rows=logged,
         seconds=round(load_seconds, 2), validate_seconds=round(validate_seconds, 2), write_seconds=round(write_seconds, 2),
         rows_per_second=round(rows / load_seconds), baseline="raw sqlite3 executemany, no checks, no audit",
         baseline_seconds=round(raw_seconds, 2), baseline_rows_per_second=round(rows / raw_seconds),
         ratio=round(load_seconds / raw_seconds, 2), generate_seconds=round(generate_seconds, 2))
    emit(bench="load-vs-same-schema", rows=rows, seconds=round(load_seconds, 2),
         baseline="raw sqlite3 executemany into the registry schema (CHECKs, indexes, audit and search triggers)",
         baseline_seconds=round(same_schema_seconds, 2), baseline_rows_per_second=round(rows / same_schema_seconds),
         ratio=round(load_seconds / same_schema_seconds, 2))
    started = time.perf_counter()
    again = store.write_records(db, records, actor="benchmark", source="benchmarks/load.py again")
    emit(bench="reload-unchanged", rows=rows, changed=len(again.changes), seconds=round(time.perf_counter() - started, 2))


def schema_quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


if __name__ == "__main__":
    main()
