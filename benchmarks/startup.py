"""What making a registry costs, each in a fresh interpreter (as every CLI command, server and
test process pays it), against a plain baseline measured in the same run; one JSON object per line:

- ``import``: ``import registry.cli`` (every command's and server's first cost), against importing
  the third-party libraries it uses alone;
- ``labels``: ``registry.db.vocabulary.rows()``, the codes in words the ``labels`` table holds
  (country names in English, Swedish, the countries' own and partners' languages), first call
  in a process;
- ``schema``: ``store.connect`` + ``store.ensure_schema`` on a new file, the first in the
  process and a second one after it. Baseline: plain ``sqlite_utils`` executing the same
  statements and inserting the same ``labels`` rows (read from the library's file) in one
  transaction;
- ``init``: ``registry.api.init`` with the shipped reference institutions (ROR extract and
  world-universities list, ~18,500 records, ~60,000 names);
- ``demo``: ``registry.examples.build_demo``.
  Baseline for both: the record rows they stored, read back from their file and inserted with
  ``executemany`` into a fresh registry (same tables, CHECKs, indexes, triggers) in one
  transaction; reading them back (``feed_seconds``, a separate pass) is subtracted.

    nice -n 10 .venv/bin/python -m benchmarks.startup [--only import,labels,schema,init,demo] [--repeat 1]

With ``--repeat N`` each figure is the fastest of N runs (the machine is shared).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MEASURES = ("import", "labels", "schema", "init", "demo")
# What the registry's modules import from elsewhere: the import baseline.
LIBRARIES = ("anyascii", "argon2", "babel", "click", "ijson", "jinja2", "lxml.etree", "pycountry", "pydantic", "rapidfuzz",
             "sqlite_utils", "xmlschema", "yaml")
SKIPPED_TABLES = ("labels",)  # written with the schema


class _Timer:
    """Wall and CPU seconds since made: on a shared machine the CPU time drifts less."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def figures(self, prefix: str = "") -> dict:
        return {f"{prefix}seconds": round(time.perf_counter() - self.wall, 3),
                f"{prefix}cpu_seconds": round(time.process_time() - self.cpu, 3)}


def import_registry(_: Path) -> dict:
    timer = _Timer()
    import registry.cli  # noqa: F401

    return timer.figures()


def import_baseline(_: Path) -> dict:
    import importlib

    timer = _Timer()
    for name in LIBRARIES:
        importlib.import_module(name)
    return timer.figures()


def labels(_: Path) -> dict:
    from registry.db import vocabulary

    timer = _Timer()
    rows = vocabulary.rows()
    return {**timer.figures(), "rows": len(rows)}


def schema(workdir: Path) -> dict:
    from registry import db as store

    timer = _Timer()
    store.ensure_schema(store.connect(workdir / "first.db"))
    first = timer.figures()
    timer = _Timer()
    store.ensure_schema(store.connect(workdir / "second.db"))
    return {**first, **timer.figures("second_")}


def schema_baseline(workdir: Path, source_path: Path) -> dict:
    """The same statements and labels rows, executed by plain sqlite_utils."""
    import sqlite_utils

    from registry import clock
    from registry.db import upkeep

    statements = [*upkeep.schema_tables().values(), *upkeep.schema_derived()]
    source = sqlite3.connect(source_path)
    label_rows = source.execute("SELECT vocabulary, value, label, words FROM labels ORDER BY rowid").fetchall()
    timer = _Timer()
    db = sqlite_utils.Database(workdir / "baseline.db")
    db.conn.execute("PRAGMA journal_mode = WAL")  # as the registry's files
    db.conn.execute("PRAGMA foreign_keys = ON")
    clock.register_sql(db.conn)  # the triggers' SQL calls the registry's today()
    with db.conn:
        for statement in statements:
            if statement.upper().startswith("CREATE VIEW") or "CREATE TRIGGER" in statement.upper():
                continue  # views and triggers come after the labels, as the library makes them
            db.conn.execute(statement)
        db.conn.executemany("INSERT INTO labels (vocabulary, value, label, words) VALUES (?, ?, ?, ?)", label_rows)
        for statement in statements:
            if statement.upper().startswith("CREATE VIEW") or "CREATE TRIGGER" in statement.upper():
                db.conn.execute(statement)
    return {**timer.figures(), "statements": len(statements), "label_rows": len(label_rows)}


def init(workdir: Path) -> dict:
    from registry import api

    path = workdir / "init.db"
    timer = _Timer()
    db = api.init(path)
    return {**timer.figures(), **_counts(db.conn)}


def demo(workdir: Path) -> dict:
    from registry import examples

    path = workdir / "demo.db"
    timer = _Timer()
    db = examples.build_demo(path)
    return {**timer.figures(), **_counts(db.conn)}


def _counts(conn: sqlite3.Connection) -> dict:
    return {"reference_names": conn.execute("SELECT count(*) FROM reference_names").fetchone()[0],
            "reference_institutions": conn.execute("SELECT count(*) FROM reference_institutions").fetchone()[0]}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def copy_baseline(workdir: Path, source_path: Path) -> dict:
    """Every record row of ``source_path`` inserted with executemany into a fresh registry."""
    from registry import db as store
    from registry.examples import fresh_registry

    source = sqlite3.connect(source_path)
    tables = [(spec.name, spec.stored_columns) for spec in store.specs().values() if spec.name not in SKIPPED_TABLES
              and source.execute(f"SELECT 1 FROM {_quote(spec.name)} LIMIT 1").fetchone()]

    def rows(table: str, columns: list[str]):
        return source.execute(f"SELECT {', '.join(_quote(c) for c in columns)} FROM {_quote(table)} ORDER BY rowid")

    timer = _Timer()
    count = sum(sum(1 for _ in rows(table, columns)) for table, columns in tables)
    feed = timer.figures()
    target = fresh_registry(workdir / f"copy-{source_path.name}")
    timer = _Timer()
    with store.transaction(target, actor="benchmark", source="raw executemany"):
        target.conn.execute("PRAGMA defer_foreign_keys = ON")  # tables in model order, not reference order
        for table, columns in tables:
            marks = ", ".join("?" for _ in columns)
            target.conn.executemany(f"INSERT INTO {_quote(table)} ({', '.join(_quote(c) for c in columns)}) VALUES ({marks})",
                                    rows(table, columns))
    total = timer.figures()
    return {"seconds": round(total["seconds"] - feed["seconds"], 3), "cpu_seconds": round(total["cpu_seconds"] - feed["cpu_seconds"], 3),
            "rows": count, "feed_seconds": feed["seconds"]}


def _one(measure: str, workdir: Path, source: Path | None) -> dict:
    if measure == "schema_baseline":
        assert source is not None
        return schema_baseline(workdir, source)
    if measure == "copy_baseline":
        assert source is not None
        return copy_baseline(workdir, source)
    measures = {"import": import_registry, "import_baseline": import_baseline, "labels": labels, "schema": schema,
                "init": init, "demo": demo}
    return measures[measure](workdir)


def _measure(measure: str, workdir: Path, repeat: int, source: Path | None = None) -> dict:
    """The fastest of ``repeat`` runs, each in a fresh interpreter."""
    best: dict | None = None
    for _ in range(repeat):
        folder = Path(tempfile.mkdtemp(prefix=f"{measure}-", dir=workdir))  # new files each run
        arguments = ["--one", measure, "--workdir", str(folder), *(["--source", str(source)] if source else [])]
        done = subprocess.run([sys.executable, "-m", "benchmarks.startup", *arguments], check=True, capture_output=True, text=True)
        figures = {**json.loads(done.stdout.strip().splitlines()[-1]), "folder": str(folder)}
        if best is None or figures["seconds"] < best["seconds"]:
            best = figures
    assert best is not None
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default=",".join(MEASURES), help="comma-separated: " + ", ".join(MEASURES))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--source", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(_one(args.one, args.workdir, args.source)))
        return
    workdir = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    wanted = args.only.split(",")

    def emit(**figures) -> None:
        print(json.dumps(figures), flush=True)

    if "import" in wanted:
        lib = _measure("import", workdir, args.repeat)
        base = _measure("import_baseline", workdir, args.repeat)
        emit(bench="import", seconds=lib["seconds"], cpu_seconds=lib["cpu_seconds"],
             baseline="importing the third-party libraries the registry uses, alone",
             baseline_seconds=base["seconds"], baseline_cpu_seconds=base["cpu_seconds"],
             ratio=round(lib["seconds"] / base["seconds"], 2), cpu_ratio=round(lib["cpu_seconds"] / base["cpu_seconds"], 2))
    if "labels" in wanted:
        figures = _measure("labels", workdir, args.repeat)
        figures.pop("folder")
        emit(bench="labels", **figures)
    if "schema" in wanted:
        lib = _measure("schema", workdir, args.repeat)
        base = _measure("schema_baseline", workdir, args.repeat, Path(lib.pop("folder")) / "first.db")
        emit(bench="schema", **lib,
             baseline="plain sqlite_utils: the same statements and labels rows, one transaction",
             baseline_seconds=base["seconds"], baseline_cpu_seconds=base["cpu_seconds"],
             ratio=round(lib["seconds"] / base["seconds"], 2), cpu_ratio=round(lib["cpu_seconds"] / base["cpu_seconds"], 2))
    for name in ("init", "demo"):
        if name in wanted:
            lib = _measure(name, workdir, args.repeat)
            base = _measure("copy_baseline", workdir, args.repeat, Path(lib.pop("folder")) / f"{name}.db")
            emit(bench=name, **lib,
                 baseline="raw executemany of the same record rows into a fresh registry, one transaction",
                 baseline_seconds=base["seconds"], baseline_cpu_seconds=base["cpu_seconds"], baseline_rows=base["rows"],
                 ratio=round(lib["seconds"] / base["seconds"], 2), cpu_ratio=round(lib["cpu_seconds"] / base["cpu_seconds"], 2))
    shutil.rmtree(workdir)


if __name__ == "__main__":
    main()
