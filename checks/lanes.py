"""Spread a run's checks over several processes, so that a large registry uses every core.

A run has lanes. The first is the run's own connection, inside its write transaction: it
alone records findings. Every other lane is a process (``python -m checks.lanes``) with its
own read connection to the same file: in WAL mode it reads the last commit, which is what the
run's connection reads too, since the run holds the write lock and commits the country tiers
before it starts (see ``checks.run``). A lane process copies what its checks find into a
scratch file and, every few thousand rows, closes the file and starts another; the run's
connection attaches each closed file and records its rows. Rows go from SQLite to SQLite,
never through Python, and recording overlaps the checks: the run's connection records what
is ready first and runs a check itself only when nothing is.

Processes, not threads: Python releases the GIL while SQLite runs a statement, but SQLite as
Debian builds it (memory statistics on, no lookaside) takes one global lock on every memory
allocation, and checks that build strings and JSON for every row ran no faster on two
threads than on one (some slower).

The lanes take checks from one queue, slowest first by the seconds each took in recent runs;
before any run has timed them (a first run), biggest first by the rows of the largest table
each check's SQL reads (``first_run_order``), so that the big checks do not come last and
leave a lane idle at the end.
A TEMP table a check builds (``Context.temp_table``) exists on one connection only: a check
that asks for a table another lane has built is handed to that lane (and, if it needs tables
of two lanes, builds its own copy the second time round). Checks defined outside the
``checks`` package (a test's, say) run on the run's own connection. A lane process that cannot
start leaves its share to the others.
"""

from __future__ import annotations

import builtins
import inspect
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import sqlite_utils

from checks.context import BuiltElsewhere, Context
from checks.registry import CheckSpec
from registry import db as store
from registry.progress import NO_PROGRESS, Progress

MAX_LANES = 4
# Spread a run only when its checks took at least this long the last time, or, before any
# run has timed them, when the file is this big: a process takes about 0.3 s to start.
MIN_SECONDS = 1.0
MIN_BYTES = 64 * 1024 * 1024
# A lane process closes its scratch file once it holds this many rows (or once every check
# has been taken), within the number of files the run's connection can attach.
BATCH_ROWS = 5_000
# Reading the file through a memory map spares a copy of every page a check reads; SQLite caps
# the size at its compile-time limit and only ever reads through the map.
MMAP_BYTES = 1 << 31
# The page cache of the run's connection and of each lane process (SQLite's default is 2 MB).
# Recording puts each finding into the findings' indexes at the place its id, subject and
# severity sort, all over a table of millions at a million agreements: with the default cache,
# pages were written out to the WAL and read back again and again before the commit. A lane
# sorts and groups with it too (SQLite's sorter spills to a file beyond the cache's size:
# GDE02 alone at 200,000 agreements, 0.98 s of CPU with the default cache, 0.82 s with this).
# SQLite takes the memory only as it is used.
CACHE_KIB = 512 * 1024
FOUND_TABLE = "run_found"  # a scratch file's table

RunOne = Callable[[Context, CheckSpec, str], None]


def database_file(db: sqlite_utils.Database) -> str:
    return store.file_path(db.conn)


def temp_in_memory(conn) -> int | None:
    """Keep the connection's TEMP tables and SQLite's other temporary B-trees in memory, and
    return the setting before (to restore); None, and nothing changed, if the connection
    already has TEMP tables, which changing the setting would drop, or is inside a transaction,
    where SQLite refuses to change it. A run copies each check's findings into a TEMP table and
    reads them back, and its checks materialize and group rows: in a file, each page of them
    went through the file's own 2 MB cache and system calls (at 200,000 agreements, copying five
    checks' 235,000 findings took 3.0 s of CPU in memory, 3.4-3.7 s in a file)."""
    if conn.in_transaction or conn.execute("SELECT 1 FROM temp.sqlite_master LIMIT 1").fetchone():
        return None
    before = conn.execute("PRAGMA temp_store").fetchone()[0]
    conn.execute("PRAGMA temp_store = MEMORY")
    return before


def _portable(spec: CheckSpec) -> bool:
    """Whether a lane process, which imports the ``checks`` package, has this check."""
    return spec.module.startswith("checks.")


def _attachable(db: sqlite_utils.Database) -> int:
    attached = sum(1 for row in db.conn.execute("PRAGMA database_list") if row[1] not in ("main", "temp"))
    return db.conn.getlimit(sqlite3.SQLITE_LIMIT_ATTACHED) - attached


def lane_count(db: sqlite_utils.Database, specs: list[CheckSpec], wanted: int | None,
               estimates: dict[str, float]) -> int:
    """How many lanes a run uses: ``wanted``, or one per core (at most ``MAX_LANES``) when
    the checks are slow enough to gain; one when the registry is not a WAL file of its own
    (in memory, or inside a caller's transaction, whose writes other connections cannot see)."""
    path = database_file(db)
    if wanted is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        timed = [estimates[spec.code] for spec in specs if spec.code in estimates]
        if len(timed) == len(specs):
            slow = sum(timed) >= MIN_SECONDS
        else:
            slow = bool(path) and Path(path).stat().st_size >= MIN_BYTES
        wanted = min(cores, MAX_LANES) if slow else 1
    count = min(wanted, 1 + sum(1 for spec in specs if _portable(spec)), 1 + _attachable(db))
    if count <= 1 or not path or db.conn.in_transaction or not sys.executable:
        return 1
    return count if db.conn.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal" else 1


def _row_counts(db: sqlite_utils.Database, names: Iterable[str]) -> dict[str, int]:
    """Rows in each of the tables ``names`` that the registry has: ``sqlite_stat1``'s figure
    where ANALYZE left one, else a count (from the table's smallest index)."""
    tables = set(names) & {row[0] for row in db.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    counts: dict[str, int] = {}
    if "sqlite_stat1" in {row[0] for row in db.conn.execute("SELECT name FROM sqlite_master")}:
        for table, stat in db.conn.execute("SELECT tbl, stat FROM sqlite_stat1"):
            if table in tables and stat and stat.split()[0].isdigit():
                counts[table] = max(counts.get(table, 0), int(stat.split()[0]))
    for table in sorted(tables - set(counts)):
        counts[table] = db.conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
    return counts


_READS = re.compile(r'\b(?:FROM|JOIN)\s+"?(\w+)', re.IGNORECASE)  # a table a check's SQL reads


_NAMES = re.compile(r"\b([A-Za-z_]\w*)\b")


def _source(function: Callable, depth: int = 2) -> str:
    """A check's source, with the SQL strings and the helpers it names (``live_partners``,
    whose TEMP table its SQL reads from, say), and theirs in turn, ``depth`` levels down."""
    parts = [inspect.getsource(function)]
    if depth:
        for name in sorted(set(_NAMES.findall(parts[0]))):
            value = function.__globals__.get(name)
            if isinstance(value, str):
                parts.append(value)
            elif inspect.isfunction(value) and value is not function:
                parts.append(_source(value, depth - 1))
    return "\n".join(parts)


def tables_read(spec: CheckSpec) -> set[str]:
    """The tables (and CTEs, TEMP tables) a check's SQL names after FROM or JOIN."""
    try:
        return set(_READS.findall(_source(spec.function)))
    except (OSError, TypeError):  # no source to read
        return set()


def first_run_order(specs: Iterable[CheckSpec], counts: dict[str, int]) -> list[CheckSpec]:
    """The checks, biggest first, for a run with no timings of earlier runs: by the rows of
    the largest table its SQL reads (FROM or JOIN in its source), then of all the tables it reads.
    A crude guess (it cannot tell how much a check finds), but the checks that read the
    agreements and their parties are the slow ones, and they come before the small ones."""
    def cost(spec: CheckSpec) -> tuple[int, int]:
        named = [counts.get(table, 0) for table in tables_read(spec)]
        return max(named, default=0), sum(named)
    return sorted(specs, key=cost, reverse=True)  # stable: equal guesses keep the registry's order


@dataclass(eq=False)
class _Lane:
    main: bool
    files: int = 0  # scratch files it may fill
    seconds: dict[str, float] = field(default_factory=dict)
    pinned: deque[CheckSpec] = field(default_factory=deque)


class _Queue:
    """What is left to do: checks to run, closed scratch files to record, and which lane
    built which TEMP table."""

    def __init__(self, specs: Iterable[CheckSpec], estimates: dict[str, float], main: _Lane, processes: int,
                 progress: Progress = NO_PROGRESS, counts: dict[str, int] | None = None):
        """``counts``: rows in each table, to order the checks when no earlier run timed any."""
        self.progress = progress
        specs = list(specs)
        if counts is not None and not any(spec.code in estimates for spec in specs):
            ordered = first_run_order(specs, counts)
        else:
            ordered = sorted(specs, key=lambda spec: -estimates.get(spec.code, 0.0))
        self.waiting = deque(spec for spec in ordered if _portable(spec))
        main.pinned.extend(spec for spec in ordered if not _portable(spec))
        self.main = main
        self.unfinished = len(ordered)
        self.running = processes  # lane processes that may still close a scratch file
        self.files: deque[str] = deque()
        self.builders: dict[str, _Lane] = {}
        self.handed: set[str] = set()
        self.error: BaseException | None = None
        self.changed = threading.Condition()

    def next(self, lane: _Lane) -> CheckSpec | str | None:
        """A lane's next task: a check, or (the run's own lane) a scratch file to record."""
        with self.changed:
            while self.error is None:
                if lane.main and self.files:
                    return self.files.popleft()
                if lane.pinned:
                    return lane.pinned.popleft()
                if self.waiting:
                    return self.waiting.popleft()
                if not self.unfinished and not (lane.main and self.running):
                    return None
                self.changed.wait()
            return None

    def may_build(self, lane: _Lane, spec: CheckSpec, table: str) -> bool:
        with self.changed:
            return self.builders.setdefault(table, lane) is lane or spec.code in self.handed

    def hand_over(self, spec: CheckSpec, table: str) -> None:
        with self.changed:
            self.handed.add(spec.code)
            builder = self.builders[table]
            (builder if builder.main or _portable(spec) else self.main).pinned.append(spec)
            self.changed.notify_all()

    def finished(self, lane: _Lane, spec: CheckSpec, seconds: float) -> None:
        with self.changed:
            lane.seconds[spec.code] = seconds
            self.unfinished -= 1
            self.changed.notify_all()
        self.progress.advance()

    def closed(self, path: str | None) -> None:
        """A lane process closed a scratch file (``path``), or ended (``None``)."""
        with self.changed:
            if path is None:
                self.running -= 1
            else:
                self.files.append(path)
            self.changed.notify_all()

    def fail(self, error: BaseException) -> None:
        """Stop every lane after what it is doing."""
        with self.changed:
            self.error = self.error or error
            self.changed.notify_all()


class Lanes:
    """The lanes of one run. Enter it before the run's transaction: it starts the lane
    processes at once, so that they are ready when the checks start, and it detaches the
    scratch files once the transaction is over (SQLite cannot detach inside one)."""

    def __init__(self, db: sqlite_utils.Database, count: int, *, today: date, criteria_path: Path, digest: str,
                 keyed: bool = True):
        """``keyed``: the scratch files' tables with the findings' key (``checks.found.create_found_table``),
        which a first run does without."""
        self.db = db
        self.count = count
        self.arguments = [database_file(db), today.isoformat(), str(criteria_path), digest, "keyed" if keyed else "unkeyed"]
        self.directory: Path | None = None
        self.processes: list[subprocess.Popen] = []
        self.attached: list[str] = []

    def __enter__(self) -> Lanes:
        if self.count > 1:
            self.directory = Path(tempfile.mkdtemp(prefix="registry-check-"))
            package_root = str(Path(__file__).resolve().parent.parent)
            env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
            for n in range(1, self.count):
                with open(self.directory / f"lane-{n}.log", "w") as log:
                    try:
                        self.processes.append(subprocess.Popen(
                            [sys.executable, "-m", "checks.lanes", str(self.directory / f"lane-{n}"), *self.arguments],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True, bufsize=1, env=env,
                        ))
                    except OSError:  # no interpreter to start: the run's own lane does the work
                        break
        return self

    def __exit__(self, *exc) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.wait()
            for pipe in (process.stdin, process.stdout):
                if pipe is not None:
                    pipe.close()
        for name in self.attached:
            self.db.conn.execute(f"DETACH DATABASE {name}")
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)

    def collect(self, ctx: Context, specs: list[CheckSpec], *, table: str, estimates: dict[str, float],
                run_one: RunOne, record: Callable[[str], None], progress: Progress = NO_PROGRESS) -> dict[str, float]:
        """Run every check in ``specs`` and record what each found. ``run_one`` copies a
        check's rows into a table and ``record`` records the rows of a table: on the run's
        connection after each check it runs (into ``table``), and for each scratch file a
        lane process closes. Returns the seconds each check took."""
        main = _Lane(main=True)
        untimed = not any(spec.code in estimates for spec in specs)
        counts = (_row_counts(self.db, set().union(*map(tables_read, specs)))
                  if untimed and self.processes else None)
        queue = _Queue(specs, estimates, main, len(self.processes), progress, counts)
        files = _attachable(self.db) // max(1, len(self.processes))
        others = [_Lane(main=False, files=files) for _ in self.processes]
        threads = [threading.Thread(target=self._drive_process, args=(n, lane, process, queue), daemon=True,
                                    name=f"registry-check-lane-{n}")
                   for n, (lane, process) in enumerate(zip(others, self.processes, strict=True), start=1)]
        for thread in threads:
            thread.start()
        try:
            while (task := queue.next(main)) is not None:
                if isinstance(task, str):
                    name = f"lane_file_{len(self.attached) + 1}"
                    self.db.conn.execute(f"ATTACH DATABASE ? AS {name}", [task])
                    self.attached.append(name)
                    record(f"{name}.{FOUND_TABLE}")
                    continue
                ctx.may_build = lambda name, spec=task: queue.may_build(main, spec, name)
                started = time.perf_counter()
                try:
                    run_one(ctx, task, table)
                except BuiltElsewhere as elsewhere:
                    queue.hand_over(task, elsewhere.name)
                    continue
                seconds = time.perf_counter() - started
                record(table)
                queue.finished(main, task, seconds)
        except BaseException as error:
            queue.fail(error)
            raise
        finally:
            ctx.may_build = None
            for thread in threads:
                thread.join()
        if queue.error is not None:
            raise queue.error
        taken = dict(main.seconds)
        for lane in others:
            taken.update(lane.seconds)
        return taken

    def _drive_process(self, n: int, lane: _Lane, process: subprocess.Popen, queue: _Queue) -> None:
        """Feed one lane process checks from the queue, answer its questions, and tell it
        when to close its scratch file: at BATCH_ROWS rows, or once every check is taken,
        keeping one file in hand for the end."""

        # Lanes start with both pipes open and a directory for their logs (``__enter__``).
        assert process.stdin is not None and process.stdout is not None and self.directory is not None
        stdin, stdout, directory = process.stdin, process.stdout, self.directory

        def send(**message: Any) -> None:
            stdin.write(json.dumps(message) + "\n")
            stdin.flush()

        def receive() -> dict[str, Any]:
            line = stdout.readline()
            if not line:
                process.wait()
                log = (directory / f"lane-{n}.log").read_text(errors="replace")[-4000:]
                raise RuntimeError(f"a check lane ended unexpectedly:\n{log}")
            return json.loads(line)

        try:
            receive()  # ready
        except (RuntimeError, OSError, ValueError):
            queue.closed(None)  # it could not start: the other lanes do its share
            return
        rows, used = 0, 1
        try:
            while (spec := queue.next(lane)) is not None:
                assert not isinstance(spec, str)  # scratch files go to the run's own lane only
                last_file = used >= lane.files
                close = rows > 0 and not last_file and (rows >= BATCH_ROWS or not queue.waiting)
                send(run=spec.code, close=close)
                if close:
                    queue.closed(receive()["closed"])
                    rows, used = 0, used + 1
                while "may_build" in (answer := receive()):
                    send(yes=queue.may_build(lane, spec, answer["may_build"]))
                if "elsewhere" in answer:
                    queue.hand_over(spec, answer["elsewhere"])
                elif "error" in answer:
                    raise _error(answer["error"], answer["type"])
                else:
                    rows += answer["rows"]
                    queue.finished(lane, spec, answer["seconds"])
            send(stop=True)
            last = receive()["closed"]  # committed
            process.wait()
            if rows:
                queue.closed(last)
        except BaseException as error:
            queue.fail(error)
        finally:
            queue.closed(None)


def _error(message: str, kind: str) -> BaseException:
    """The exception a check raised in a lane process, as the same built-in type if it is one."""
    cls = getattr(builtins, kind, None)
    return cls(message) if isinstance(cls, type) and issubclass(cls, Exception) else RuntimeError(f"{kind}: {message}")


def _serve(prefix: str, path: str, today: str, criteria_path: str, digest: str, keyed: str) -> None:
    """A lane process: run the checks the run asks for, one line of JSON each way."""
    from checks.context import load_criteria
    from checks.found import copy_found, create_found_table
    from checks.registry import load_all

    channel = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # what a check prints goes to the log, not into the conversation
    sys.stdout = sys.stderr

    def send(**message: Any) -> None:
        channel.write(json.dumps(message) + "\n")

    checks = load_all()
    criteria, actual = load_criteria(Path(criteria_path))
    if actual != digest:
        raise RuntimeError(f"{criteria_path} changed during the run")
    db = store.connect(path, create=False)
    db.conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
    db.conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    temp_in_memory(db.conn)
    ctx = Context(db, criteria, date.fromisoformat(today))
    files = 0

    def open_file() -> str:
        nonlocal files
        files += 1
        scratch = f"{prefix}-{files}.db"
        db.conn.execute("ATTACH DATABASE ? AS lane", [scratch])
        # Large pages: a scratch file is written once, in order, and read once, in order; at 64 KB
        # a page its rows take a sixteenth of the system calls (200,000 agreements: writing 226,601
        # rows 1.44-1.52 -> 1.37 s of CPU, reading them back 0.10 -> 0.07 s).
        db.conn.execute("PRAGMA lane.page_size = 65536")
        db.conn.execute("PRAGMA lane.journal_mode = OFF")  # thrown away after the run
        db.conn.execute("PRAGMA lane.synchronous = OFF")
        create_found_table(db.conn, f"lane.{FOUND_TABLE}", keyed=keyed == "keyed")
        db.conn.execute("BEGIN")  # the run holds the write lock: every snapshot is the same
        return scratch

    def close_file() -> None:
        db.conn.execute("COMMIT")
        db.conn.execute("DETACH DATABASE lane")

    def may_build(name: str) -> bool:
        send(may_build=name)
        return json.loads(sys.stdin.readline())["yes"]

    ctx.may_build = may_build
    scratch = open_file()
    send(ready=True)
    for line in sys.stdin:
        message = json.loads(line)
        if message.get("stop"):
            break
        if message.get("close"):
            close_file()
            send(closed=scratch)
            scratch = open_file()
        spec = checks[message["run"]]
        started, before = time.perf_counter(), db.conn.total_changes
        try:
            copy_found(ctx, spec, f"lane.{FOUND_TABLE}")
        except BuiltElsewhere as elsewhere:
            send(elsewhere=elsewhere.name)
            continue
        except Exception as error:
            send(error=str(error), type=type(error).__name__)
            continue
        send(done=spec.code, seconds=time.perf_counter() - started, rows=db.conn.total_changes - before)
    close_file()
    db.conn.close()
    send(closed=scratch)


if __name__ == "__main__":
    _serve(*sys.argv[1:7])
