"""Load synthetic registries of growing size through the library, streamed, and in the same run
the same rows with a raw sqlite3 ``executemany`` into the same schema; print time, rows per
second and peak memory (RSS) for each size, and the ratio to the baseline.

    .venv/bin/python -m benchmarks.load [--agreements 1000000] [--institutions 200000]

Sizes: 25,000 and 100,000 agreements (those below ``--agreements``) and ``--agreements``
itself, with a fifth as many institutions (``--institutions`` for the largest). Each
measurement runs in a fresh process, so its peak RSS (``resource.getrusage``) is its own:

- ``library``: the records generated (``benchmarks.synth``), validated by their models and
  written by ``registry.db.write_records`` (references, merge plan, audit log, search index,
  one transaction). ``generate_seconds``, producing the input alone, is timed in a separate
  pass and subtracted: ``seconds`` is the loader's own time.
- ``raw``: the rows the library stored, read back table by table from its file and inserted
  with ``executemany`` into a fresh registry (same tables, CHECKs, indexes, foreign keys,
  audit and search triggers) in one transaction. Reading them back (``feed_seconds``, timed
  in a separate pass) is subtracted too.
- ``raw-bulk``: the same rows, raw ``executemany`` again, but with the library's own bulk
  technique and end: in one transaction, with the same page cache and the same journal (a
  rollback journal when nothing else has the file open, ``registry.db.journal``), the search
  triggers, the secondary indexes and the CHECKs (the library's models enforce them first) set aside, each table's audit rows
  written by one INSERT ... SELECT (the library's SQL), then the indexes rebuilt, the search
  index rebuilt (the library's ``SearchBuild``: in a file of its own, indexed on a second thread,
  copied in) and the statistics refreshed. What the library adds to it is its own work per
  record (validation, the plan against what is stored, encoding): the 1.5x target is
  meaningful against this one. The literal ``raw`` keeps every trigger and index row by row.

The raw-bulk baseline is measured at every size, the largest too: the end of a load (index and
search rebuilds) grows faster than the rows, so a baseline measured at a smaller size and scaled
per row makes a large load look worse than it is (at 1,000,000 it was 1.94x per row against
100,000). ``--baseline-at N`` measures the literal raw baseline (triggers row by row: five times
the load, half an hour at a million) at N agreements only and compares each larger load with it
per row; the output says so (``baseline_agreements``).

Disk: at the largest size the library's registry (about 6.3 GB at 1,000,000 agreements) and the
baseline's (as large again) exist together, plus SQLite's sort files while indexes are built;
each is removed as soon as it has been measured and the working folder (``tempfile``, or
``--workdir``) whatever happens. Memory: each measurement is its own process; the baselines read
the library's file back through a cursor, row by row.

``steps_cpu_seconds`` splits the library's CPU time: validation by the models, the batches
(planning and writing), and the end's steps from ``registry.db.writes``'s DEBUG log (indexes,
search index, statistics, the commit), with the batches' CPU a change early and late in the load:
a step whose share grows with the size is what makes a million cost more a row than 100,000.
``journal`` says which journal the library's load ran with (``rollback``, or ``write-ahead log``
when another connection had the file open).

``cpu_seconds`` is the process's own CPU time (input production or feeding subtracted the same
way): on a shared machine it drifts less than the wall time (though contention still inflates
it), and ``cpu_ratio`` compares those.

- ``reload-unchanged`` (sizes up to 100,000): the same input again into the loaded registry,
  which writes nothing.

Targets (issue 19): a load under 5 minutes and within 1.5x of raw at 1,000,000 agreements;
peak RSS under 1 GB at any size.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIZES = (25_000, 100_000)
RELOAD_UP_TO = 100_000


def emit(**figures) -> None:
    print(json.dumps(figures), flush=True)


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # Linux: kilobytes


def library(db_path: Path, institutions: int, agreements: int, *, reload: bool, read_here: bool = False) -> dict:
    from benchmarks.synth import synthetic_models, synthetic_stream
    from registry import db as store
    from registry.examples import fresh_registry

    started, cpu_started = time.perf_counter(), time.process_time()
    generated = sum(1 for _ in synthetic_stream(institutions, agreements))
    generate_seconds, generate_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    db = fresh_registry(db_path)
    steps = _StepLog()
    models = _CpuCounted(synthetic_models(institutions, agreements))
    started, cpu_started, child_cpu_started = time.perf_counter(), time.process_time(), _children_cpu()
    with steps:
        plan = store.write_records(db, models, actor="benchmark", source="benchmarks/load.py", read_ahead=not read_here)
    total_seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    reader_cpu = _children_cpu() - child_cpu_started
    # Read here, the input's generation is subtracted from the wall time; read ahead, it runs
    # in the reading process beside the writes and the wall time keeps it (it is hidden when
    # the writer is the slower of the two).
    seconds = total_seconds - generate_seconds if read_here else total_seconds
    validate = models.cpu - generate_cpu if read_here else models.cpu + reader_cpu - generate_cpu
    figures = {"records": generated, "rows": plan.changed, "generate_seconds": round(generate_seconds, 2),
               "total_seconds": round(total_seconds, 2), "seconds": round(seconds, 2),
               "cpu_seconds": round(cpu_seconds + reader_cpu - generate_cpu, 2),
               "reader_cpu_seconds": round(reader_cpu, 2), "writer_cpu_seconds": round(cpu_seconds, 2),
               "writer_waited_seconds": round(steps.waited, 2),
               "audit_rows": db.conn.execute("SELECT count(*) FROM changes").fetchone()[0],
               "peak_rss_mb": peak_rss_mb(), "reader_peak_rss_mb": _children_peak_rss_mb(), "journal": steps.journal,
               "steps_cpu_seconds": {"validate": round(validate, 2), **steps.figures()}}
    if reload:
        started = time.perf_counter()
        again = store.write_records(db, synthetic_models(institutions, agreements), actor="benchmark", source="again",
                                    read_ahead=not read_here)
        figures["reload_seconds"] = round(time.perf_counter() - started - (generate_seconds if read_here else 0), 2)
        figures["reload_changed"] = again.changed
        figures["peak_rss_mb_with_reload"] = peak_rss_mb()
    return figures


def _children_cpu() -> float:
    """CPU time of this process's ended children (the reading process of a read-ahead load)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _children_peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)


class _CpuCounted:
    """An iterator's items, counting the CPU time spent producing them (``cpu``)."""

    def __init__(self, items):
        self.items, self.cpu = iter(items), 0.0

    def __iter__(self):
        return self

    def __next__(self):
        started = time.process_time()
        try:
            return next(self.items)
        finally:
            self.cpu += time.process_time() - started


class _StepLog(logging.Handler):
    """The CPU of a streamed write's steps, from ``registry.db.writes``'s DEBUG log: what grows
    faster than the rows (issue 19) shows as a step whose share grows with the size. The batches'
    CPU (planning and writing, not validation) a change is also given early (the third tenth of
    the batches, past the institutions, which are the first sixth of the records) and late (the last tenth)."""

    JOURNAL = re.compile(r"journal: (.+)")
    WAITED = re.compile(r"reader: waited ([\d.]+) s")
    STEP = re.compile(r"(?:\d+ )?(indexes rebuilt|search index rebuilt|statistics refreshed|committed): ([\d.]+) s CPU")
    SEARCH_WALL = re.compile(r"search index rebuilt in ([\d.]+) s")
    BATCH = re.compile(r"batch \d+: \d+ records, (\d+) changes, ([\d.]+) s CPU")

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.steps: dict[str, float] = {}
        self.batches: list[tuple[int, float]] = []
        self.journal = "?"
        self.waited = 0.0
        self.logger = logging.getLogger("registry.db.writes")

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if batch := self.BATCH.fullmatch(message):
            self.batches.append((int(batch[1]), float(batch[2])))
        elif journal := self.JOURNAL.fullmatch(message):
            self.journal = journal[1]
        elif waited := self.WAITED.fullmatch(message):
            self.waited = float(waited[1])
        elif wall := self.SEARCH_WALL.fullmatch(message):
            self.steps["search_wall_seconds"] = float(wall[1])  # its CPU counts the indexing thread's too
        elif step := self.STEP.fullmatch(message):
            self.steps[step[1]] = self.steps.get(step[1], 0.0) + float(step[2])

    def __enter__(self):
        self.level_before = self.logger.level
        self.logger.setLevel(logging.DEBUG)
        self.logger.addHandler(self)
        return self

    def __exit__(self, *exc) -> None:
        self.logger.removeHandler(self)
        self.logger.setLevel(self.level_before)

    def figures(self) -> dict:
        full = self.batches[:-1] or self.batches  # the last batch is the input's remainder
        tenth = max(1, len(full) // 10)

        def us_per_change(batches: list[tuple[int, float]]) -> float:
            return round(sum(cpu for _, cpu in batches) / max(1, sum(n for n, _ in batches)) * 1e6, 1)

        return {"batches": round(sum(cpu for _, cpu in self.batches), 2),
                **{name.split()[0]: round(cpu, 2) for name, cpu in self.steps.items()},
                "batch_us_per_change_early": us_per_change(full[2 * tenth:3 * tenth]),
                "batch_us_per_change_late": us_per_change(full[-tenth:])}


def _tables(source: sqlite3.Connection) -> list[tuple[str, list[str]]]:
    """The record tables the library filled, in the order it wrote them, with their stored columns."""
    from registry import db as store

    order = [row[0] for row in source.execute("SELECT table_name FROM changes GROUP BY table_name ORDER BY min(id)")]
    return [(table, store.specs()[table].stored_columns) for table in order]


def _rows(source: sqlite3.Connection, table: str, columns: list[str]):
    quoted = ", ".join(_quote(c) for c in columns)
    return source.execute(f"SELECT {quoted} FROM {_quote(table)} ORDER BY rowid")


def _timed_raw(db_path: Path, source_path: Path, insert) -> dict:
    """The stored rows of ``source_path`` written into a fresh registry by ``insert(target, tables, rows)``,
    timed without reading them back (``feed_seconds``, timed in a pass of its own)."""
    from registry.examples import fresh_registry

    source = sqlite3.connect(source_path)
    tables = _tables(source)
    started, cpu_started = time.perf_counter(), time.process_time()
    rows = sum(sum(1 for _ in _rows(source, table, columns)) for table, columns in tables)
    feed_seconds, feed_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    target = fresh_registry(db_path)
    started, cpu_started = time.perf_counter(), time.process_time()
    steps = insert(target, tables, lambda table, columns: _rows(source, table, columns))
    total_seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    return {"rows": rows, "feed_seconds": round(feed_seconds, 2), "total_seconds": round(total_seconds, 2),
            "seconds": round(total_seconds - feed_seconds, 2), "cpu_seconds": round(cpu_seconds - feed_cpu, 2),
            "audit_rows": target.conn.execute("SELECT count(*) FROM changes").fetchone()[0], "peak_rss_mb": peak_rss_mb(),
            **({"steps_cpu_seconds": steps} if steps else {})}


def _insert_sql(table: str, columns: list[str]) -> str:
    return f"INSERT INTO {_quote(table)} ({', '.join(_quote(c) for c in columns)}) VALUES ({', '.join('?' for _ in columns)})"


def raw(db_path: Path, source_path: Path) -> dict:
    """The rows with every trigger and index kept row by row."""
    from registry import db as store

    def insert(target, tables, rows) -> dict:
        with store.transaction(target, actor="benchmark", source="raw executemany"):
            for table, columns in tables:
                target.conn.executemany(_insert_sql(table, columns), rows(table, columns))
        return {}

    return _timed_raw(db_path, source_path, insert)


def raw_bulk(db_path: Path, source_path: Path) -> dict:
    """``raw`` with the library's bulk technique (see the module's docstring)."""
    from registry import db as store
    from registry import schema
    from registry.db import journal, upkeep, writes
    from registry.db.search_build import SearchBuild

    def insert(target, tables, rows) -> dict:
        """The rows written, with the CPU of the end's steps (the library's names: ``inserts``
        holds the rows' reading back, subtracted from ``cpu_seconds`` but not here)."""
        conn = target.conn
        steps, started = {}, time.process_time()

        def step(name: str) -> None:
            nonlocal started
            steps[name] = round(time.process_time() - started, 2)
            started = time.process_time()

        with writes.larger_cache(conn), journal.rollback_journal(conn), SearchBuild(target) as search_build, \
                store.transaction(target, actor="benchmark", source="raw executemany, bulk"):
            loaded = [table for table, _ in tables] + [schema.AUDIT_TABLE]
            marks = ", ".join("?" for _ in loaded)
            indexes = conn.execute(f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                                   f"AND sql NOT LIKE 'CREATE UNIQUE%' AND tbl_name IN ({marks})", loaded).fetchall()
            triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%fts%'").fetchall()
            for kind, objects in (("INDEX", indexes), ("TRIGGER", triggers)):
                for name, _ in objects:
                    conn.execute(f"DROP {kind} {_quote(name)}")
            conn.execute(f"UPDATE {schema.AUDIT_CONTEXT_TABLE} SET logged_by_caller = 1 WHERE id = 1")
            with writes.checks_set_aside(conn):
                for table, columns in tables:
                    last = conn.execute(f"SELECT coalesce(max(rowid), 0) FROM {_quote(table)}").fetchone()[0]
                    conn.executemany(_insert_sql(table, columns), rows(table, columns))
                    conn.execute(schema.audit_inserted_rows_sql(store.specs()[table]), [last])
            conn.execute(f"UPDATE {schema.AUDIT_CONTEXT_TABLE} SET logged_by_caller = 0 WHERE id = 1")
            step("inserts")
            for _, sql in indexes:
                conn.execute(sql)
            step("indexes")
            search_build.rebuild()  # the library's: built beside the registry on a second thread, copied in
            for _, sql in triggers:
                conn.execute(sql)
            step("search")
            conn.execute(f"PRAGMA analysis_limit = {upkeep.ANALYSIS_ROWS}")
            conn.execute("ANALYZE")
            conn.execute("PRAGMA analysis_limit = 0")
            step("statistics")
        step("committed")
        return steps

    return _timed_raw(db_path, source_path, insert)


BASELINES = {
    "raw": ("load-baseline", "raw sqlite3 executemany of the same rows into the registry schema (CHECKs, indexes, audit and "
                             "search triggers kept row by row), one transaction, in the file's write-ahead log"),
    "raw-bulk": ("load-baseline-bulk", "raw sqlite3 executemany of the same rows with the library's bulk technique (secondary "
                                       "indexes and search triggers set aside and rebuilt, CHECKs set aside, audit rows by INSERT ... SELECT per "
                                       "table, same cache and journal, statistics refreshed), one transaction"),
}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _measure(*arguments: str) -> dict:
    """One measurement in a fresh interpreter, so that its peak memory is its own."""
    done = subprocess.run([sys.executable, "-m", "benchmarks.load", *arguments], check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agreements", type=int, default=100_000, help="the largest size measured")
    parser.add_argument("--institutions", type=int, help="institutions at the largest size (default: a fifth of the agreements)")
    parser.add_argument("--keep", type=Path, help="keep the largest library-built registry here (for the other benchmarks)")
    parser.add_argument("--baseline-at", type=int, metavar="N",
                        help="measure the literal raw baseline (triggers row by row) at N agreements only, and compare larger "
                             "loads with it per row; the raw-bulk baseline is measured at every size")
    parser.add_argument("--workdir", type=Path, help="where the registries are built (a temporary folder in it, removed at the end)")
    parser.add_argument("--one", choices=["library", "raw", "raw-bulk"], help=argparse.SUPPRESS)
    parser.add_argument("--read-here", action="store_true",
                        help="read and validate the input in the writing process (the load before read-ahead)")
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--source", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--reload", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one == "library":
        print(json.dumps(library(args.db, args.institutions, args.agreements, reload=args.reload, read_here=args.read_here)))
        return
    if args.one == "raw":
        print(json.dumps(raw(args.db, args.source)))
        return
    if args.one == "raw-bulk":
        print(json.dumps(raw_bulk(args.db, args.source)))
        return

    workdir = Path(tempfile.mkdtemp(prefix="bench-load-", dir=args.workdir))
    try:
        _run(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)  # a million agreements' registries are 13 GB: never leave them


def _run(args: argparse.Namespace, workdir: Path) -> None:
    sizes = sorted({size for size in SIZES if size < args.agreements} | {args.agreements}
                   | ({args.baseline_at} if args.baseline_at and args.baseline_at < args.agreements else set()))
    baselines: dict[str, tuple[int, dict]] = {}  # kind -> (agreements, figures) measured at --baseline-at
    for agreements in sizes:
        institutions = args.institutions if agreements == args.agreements and args.institutions else max(agreements // 5, 100)
        built = args.keep if args.keep and agreements == args.agreements else workdir / f"library-{agreements}.db"
        lib = _measure("--one", "library", "--db", str(built), "--institutions", str(institutions), "--agreements", str(agreements),
                       *(["--reload"] if agreements <= RELOAD_UP_TO else []), *(["--read-here"] if args.read_here else []))
        # The library's figures first: at a million the baseline takes as long again, and a run
        # stopped during it still reports the load.
        emit(bench="load", agreements=agreements, institutions=institutions, rows=lib["rows"], audit_rows=lib["audit_rows"],
             seconds=lib["seconds"], rows_per_second=round(lib["rows"] / lib["seconds"]), peak_rss_mb=lib["peak_rss_mb"],
             cpu_seconds=lib["cpu_seconds"], cpu_us_per_row=round(lib["cpu_seconds"] / lib["rows"] * 1e6, 1),
             generate_seconds=lib["generate_seconds"], journal=lib["journal"], steps_cpu_seconds=lib["steps_cpu_seconds"],
             total_seconds=lib["total_seconds"], reader_cpu_seconds=lib["reader_cpu_seconds"],
             writer_cpu_seconds=lib["writer_cpu_seconds"], writer_waited_seconds=lib["writer_waited_seconds"],
             reader_peak_rss_mb=lib["reader_peak_rss_mb"])
        if "reload_seconds" in lib:
            emit(bench="reload-unchanged", agreements=agreements, rows=lib["rows"], changed=lib["reload_changed"],
                 seconds=lib["reload_seconds"], peak_rss_mb=lib["peak_rss_mb_with_reload"])
        for kind, (bench, description) in BASELINES.items():
            # raw-bulk at every size; the literal raw only up to --baseline-at (it takes five times the load)
            if kind == "raw-bulk" or not args.baseline_at or agreements <= args.baseline_at:
                target = workdir / f"{kind}-{agreements}.db"
                try:
                    base = _measure("--one", kind, "--db", str(target), "--source", str(built))
                finally:
                    for path in workdir.glob(f"{kind}-{agreements}.db*"):
                        path.unlink()
                if args.baseline_at and agreements == args.baseline_at:
                    baselines[kind] = (agreements, base)
                emit(bench=bench, agreements=agreements, baseline=description, baseline_agreements=agreements,
                     baseline_seconds=base["seconds"], baseline_rows_per_second=round(base["rows"] / base["seconds"]),
                     baseline_cpu_seconds=base["cpu_seconds"], baseline_peak_rss_mb=base["peak_rss_mb"],
                     baseline_feed_seconds=base["feed_seconds"], baseline_steps_cpu_seconds=base.get("steps_cpu_seconds"),
                     ratio=round(lib["seconds"] / base["seconds"], 2), cpu_ratio=round(lib["cpu_seconds"] / base["cpu_seconds"], 2))
            elif kind in baselines:
                at, base = baselines[kind]
                # per row: the baseline was measured at a smaller size (--baseline-at)
                per_row, base_per_row = lib["seconds"] / lib["rows"], base["seconds"] / base["rows"]
                cpu_per_row, base_cpu_per_row = lib["cpu_seconds"] / lib["rows"], base["cpu_seconds"] / base["rows"]
                emit(bench=bench, agreements=agreements, baseline=description, baseline_agreements=at,
                     note=f"baseline measured at {at:,} agreements (--baseline-at), not at this size; ratios are per row",
                     baseline_rows_per_second=round(base["rows"] / base["seconds"]),
                     baseline_cpu_us_per_row=round(base_cpu_per_row * 1e6, 1),
                     ratio=round(per_row / base_per_row, 2), cpu_ratio=round(cpu_per_row / base_cpu_per_row, 2))
        if built != args.keep:
            for path in workdir.glob(f"library-{agreements}.db*"):
                path.unlink()

if __name__ == "__main__":
    main()
