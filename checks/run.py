"""Run a selection of checks, record the run, and keep every finding's history.

A finding's id is its fingerprint, ``code:table:id``. A run inserts what is new, revises
what it found again changed (message, evidence, label, severity), reopens what had been
resolved, and resolves the open findings of the checks it ran that it no longer finds,
writing on each the last run that found it. A finding found again unchanged is not written:
while open it was found by every run of its check, so its last sighting is its check's latest
run (``check_latest_runs``, read through the ``findings_seen`` view). Nothing is
deleted. Waivers in force on the run's date are written onto their findings, so a waived
finding stays in the list, marked, until its waiver ends. The run and its findings are one
transaction; when the checks run on several connections (``checks.lanes``), the country
tiers they read are committed just before it, and a first run (an empty findings table)
records into a file of its own while they run and copies it in afterwards, in that one
transaction (``checks.findings_build``).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

import sqlite_utils

from checks.context import CRITERIA_FILE, Context, load_criteria
from checks.findings_build import FindingsBuild, foreign_keys_off
from checks.found import copy_found, create_found_table, duplicate_subject
from checks.lanes import CACHE_KIB, MMAP_BYTES, Lanes, lane_count, temp_in_memory
from checks.registry import SEVERITY_ORDER, CheckSpec, select
from checks.risk import refresh_country_risk
from registry import clock
from registry import db as store
from registry.db.journal import rollback_journal
from registry.progress import NO_PROGRESS, Progress

SOURCE = "registry check"


def fingerprint(code: str, subject_table: str, subject_id: str) -> str:
    return f"{code}:{subject_table}:{subject_id}"


@dataclass
class RunResult:
    run_id: str
    as_of: date
    checks: list[CheckSpec]
    seconds: float  # running the checks and recording the run, not reading the findings back
    new: int
    resolved: int
    db: sqlite_utils.Database = field(repr=False)
    codes: list[str] = field(repr=False)
    timings: dict[str, float] = field(default_factory=dict)
    lanes: int = 1  # processes that ran checks (checks.lanes)

    @cached_property
    def findings(self) -> list[dict[str, Any]]:
        """The open findings of the checks that ran, waived or not, most severe first."""
        return open_findings(self.db, self.codes)

    @cached_property
    def listing(self) -> list[dict[str, Any]]:
        """The same findings with their evidence left as JSON text, for printing a list."""
        return open_findings(self.db, self.codes, parse_evidence=False)

    @cached_property
    def notes(self) -> list[str]:
        """What a reader of the findings should know about what the run could not see."""
        if self.db.conn.execute("SELECT 1 FROM country_freedom LIMIT 1").fetchone():
            return []
        return ["no country indicators loaded, so the country checks found nothing: run 'registry indicators load'"]

    def failing(self, fail_on: str) -> list[dict[str, Any]]:
        """Open findings without a waiver in force at or above ``fail_on`` severity."""
        threshold = SEVERITY_ORDER[fail_on]
        return [f for f in self.listing if f["waiver"] is None and SEVERITY_ORDER[f["severity"]] >= threshold]

    def any_failing(self, fail_on: str) -> bool:
        """Whether ``failing(fail_on)`` would list anything, asked of SQLite (a run may have millions)."""
        severities = [s for s, rank in SEVERITY_ORDER.items() if rank >= SEVERITY_ORDER[fail_on]]
        return self.db.conn.execute(
            f"SELECT EXISTS (SELECT 1 FROM findings f WHERE {_OPEN_OF_RUN} AND f.waiver IS NULL "
            "AND f.severity IN (SELECT value FROM json_each(:severities)))",
            {"codes": json.dumps(self.codes), "severities": json.dumps(severities)},
        ).fetchone()[0] == 1

    def counts(self, findings: list[dict[str, Any]] | None = None) -> dict[str, int]:
        counts = {severity: 0 for severity in reversed(SEVERITY_ORDER)}
        if findings is None:
            return {**counts, **self.summary()["by_severity"]}
        for finding in findings:
            counts[finding["severity"]] += 1
        return counts

    def summary(self) -> dict[str, Any]:
        """The run and its open findings counted (by severity, waived), without reading them into Python."""
        by_severity = {severity: 0 for severity in reversed(SEVERITY_ORDER)}
        waived = 0
        for severity, count, with_waiver in self.db.conn.execute(
            f"SELECT f.severity, count(*), count(f.waiver) FROM findings f WHERE {_OPEN_OF_RUN} GROUP BY f.severity",
            {"codes": json.dumps(self.codes)},
        ):
            by_severity[severity] = count
            waived += with_waiver
        return {
            "id": self.run_id,
            "as_of": self.as_of.isoformat(),
            "checks": [spec.code for spec in self.checks],
            "seconds": round(self.seconds, 3),
            "new": self.new,
            "resolved": self.resolved,
            "open": sum(by_severity.values()),
            "waived": waived,
            "by_severity": by_severity,
        }

    def each_finding(self, *, parse_evidence: bool = True) -> Iterator[dict[str, Any]]:
        """The open findings one at a time, in ``findings``' order: what a printer of millions reads."""
        return iter_open_findings(self.db, self.codes, parse_evidence=parse_evidence)

    def as_dict(self) -> dict[str, Any]:
        return {"run": self.summary(), "findings": self.findings}


# The open findings of a run's checks (``:codes``, a JSON list).
_OPEN_OF_RUN = "f.status = 'open' AND f.code IN (SELECT value FROM json_each(:codes))"


def _next_run_id(conn, as_of: date) -> str:
    prefix = f"run-{as_of:%Y%m%d}-"
    count = conn.execute("SELECT count(*) FROM check_runs WHERE id LIKE ? || '%'", [prefix]).fetchone()[0]
    return f"{prefix}{count + 1:03d}"


def _recent_seconds(conn, runs: int = 10) -> dict[str, float]:
    """The seconds each check took in the latest run that ran it (of the last ``runs``)."""
    seconds: dict[str, float] = {}
    for (timings,) in conn.execute("SELECT timings FROM check_runs ORDER BY started_at DESC, id DESC LIMIT ?", [runs]):
        for code, value in json.loads(timings or "{}").items():
            seconds.setdefault(code, value)
    return seconds


# What a run does with the rows it found in a table (``{found}``), after each check or batch
# of checks. First it notes, in one pass, which findings are new and which already recorded
# differ in more than being seen again, and notes every id it found (``{seen}``: how the end of
# the run tells what it no longer finds); then it rewrites only those that differ: a SET on an
# indexed column (severity) rewrites its index entry even when the value stays the same. A
# finding found again unchanged is not written at all. New findings go in last, so that the
# updates touch only what was there before; the first pass told which they are, so that each
# found row is looked up in the findings once (the second lookup, a NOT EXISTS for every row
# found, took 24.2 s of a rerun's 410.6 s at a million agreements, load 6.6-8.9).
_RECORD = {
    "compare": """
INSERT INTO {changed} (id, revised, reclassified, reopened, new)
SELECT r.id,
       f.id IS NOT NULL AND (f.message IS NOT r.message OR f.evidence IS NOT r.evidence
                             OR f.subject_label IS NOT r.subject_label),
       f.id IS NOT NULL AND (f.severity IS NOT r.severity OR f.family IS NOT r.family),
       f.status IS 'resolved',
       f.id IS NULL
FROM {found} r LEFT JOIN findings f ON f.id = r.id
WHERE f.id IS NULL
   OR f.message IS NOT r.message OR f.evidence IS NOT r.evidence OR f.subject_label IS NOT r.subject_label
   OR f.severity IS NOT r.severity OR f.family IS NOT r.family OR f.status = 'resolved'
""",
    "seen": """
INSERT INTO {seen} (id) SELECT id FROM {found}
""",
    "revise": """
UPDATE findings SET message = r.message, evidence = r.evidence, subject_label = r.subject_label
FROM {found} r WHERE findings.id IN (SELECT id FROM {changed} WHERE revised) AND r.id = findings.id
""",
    "reclassify": """
UPDATE findings SET severity = r.severity, family = r.family
FROM {found} r WHERE findings.id IN (SELECT id FROM {changed} WHERE reclassified) AND r.id = findings.id
""",
    "reopen": """
UPDATE findings SET status = 'open', resolved_on = NULL, last_seen = NULL, last_run = NULL
WHERE id IN (SELECT id FROM {changed} WHERE reopened)
""",
    "insert": """
INSERT INTO {target} (id, code, family, severity, subject_table, subject_id, subject_label, message, evidence,
                      status, first_seen, first_run)
SELECT id, code, family, severity, subject_table, subject_id, subject_label, message, evidence,
       'open', :today, :run
FROM {found} r WHERE r.id IN (SELECT id FROM {changed} WHERE new)
""",
}
# When the findings table is empty as the run starts (a first run), all it finds is new and
# no two checks share a fingerprint: it only inserts, without looking each row up first.
# It inserts with the findings' indexes in place. Dropping them and building each once at the
# end cost less CPU, but all of it on one core after the lanes had finished, and each build
# read the whole table again: at a million agreements the table (1.3 GB) no longer fits the
# run's page cache, and the six builds read it from the write-ahead log six times (15.1 s of
# a 78.2 s run). Kept as the rows go in, the indexes cost their CPU while the lanes still run:
# at 200,000 agreements about 1 s more in all (of 17-19 s) and 1.4 s less on one core after
# the lanes; a first run's rows come check by check, so the entries of the code, severity,
# first_run and waiver indexes go in at the end of their run of equal keys, and the indexes
# (about a quarter of the table's bytes; 12 % larger than built at once, as pages split)
# stay in the cache, which the table's pages, each written once, pass through.
_RECORD_FRESH = {"insert": _RECORD["insert"].split(" WHERE r.id IN")[0] + "\n"}
# The open findings of the run's checks that it did not find: each was found last by its
# check's latest run before this one (models.diligence.Finding.last_seen).
_RESOLVE = """
UPDATE findings SET status = 'resolved', resolved_on = :today,
       last_seen = (SELECT l.as_of FROM check_latest_runs l WHERE l.code = findings.code),
       last_run = (SELECT l.run FROM check_latest_runs l WHERE l.code = findings.code)
WHERE status = 'open' AND code IN (SELECT value FROM json_each(:codes)) AND id NOT IN (SELECT id FROM {seen})
"""
# After the run's row: it is now the latest run of each check it ran.
_LATEST = """
INSERT INTO check_latest_runs (code, run, as_of) SELECT value, :run, :today FROM json_each(:codes) WHERE true
ON CONFLICT (code) DO UPDATE SET run = excluded.run, as_of = excluded.as_of
"""
_FOUND_NOW = "temp.run_found"  # the rows of the check the run's connection has just run
_CHANGED = "temp.run_changed"  # which of the rows being recorded differ from the record
_SEEN = "temp.run_seen"  # the id of every finding a later run found (a first run resolves nothing)


def _run_tables(conn, *, create: bool, keyed: bool = True) -> None:
    for table in (_FOUND_NOW, _CHANGED, _SEEN):
        conn.execute(f"DROP TABLE IF EXISTS {table}")
    if create:
        create_found_table(conn, _FOUND_NOW, keyed=keyed)
        conn.execute(f"CREATE TABLE {_CHANGED} (id TEXT PRIMARY KEY, revised INT, reclassified INT, reopened INT, new INT)")
        conn.execute(f"CREATE TABLE {_SEEN} (id TEXT PRIMARY KEY) WITHOUT ROWID")


@dataclass
class _Recorder:
    conn: Any
    params: dict[str, Any]
    fresh: bool = False  # the findings table was empty as the run started
    target: str = "findings"  # where a fresh run inserts (checks.findings_build)
    changed: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def __call__(self, found: str) -> None:
        """Record the rows in table ``found`` (and empty it, if it is the run's own)."""
        for name, statement in (_RECORD_FRESH if self.fresh else _RECORD).items():
            started = time.perf_counter()
            if name == "insert":  # its CHECKs were checked as the rows were found (checks.found)
                self.conn.execute("PRAGMA ignore_check_constraints = ON")
            try:
                count = self.conn.execute(statement.format(found=found, changed=_CHANGED, seen=_SEEN, target=self.target),
                                          self.params).rowcount
            except sqlite3.IntegrityError as error:
                if "UNIQUE" not in str(error):
                    raise
                # a first run's found tables have no key: the findings' own tells a subject named twice
                raise duplicate_subject(self.conn, found) from error
            finally:
                if name == "insert":
                    self.conn.execute("PRAGMA ignore_check_constraints = OFF")
            self.changed[name] = self.changed.get(name, 0) + count
            self.seconds[f"_{name}"] = self.seconds.get(f"_{name}", 0.0) + time.perf_counter() - started
        self.conn.execute(f"DELETE FROM {_CHANGED}")
        if found == _FOUND_NOW:
            self.conn.execute(f"DELETE FROM {found}")

    @property
    def found(self) -> int:
        """Findings recorded: those seen again and those new (a first run's: all new)."""
        return self.changed["seen"] if "seen" in self.changed else self.changed.get("insert", 0)

    @property
    def new(self) -> int:
        """Findings not open before the run: new ones and reopened ones."""
        return self.changed.get("insert", 0) + self.changed.get("reopen", 0)


_WAIVER_IN_FORCE = """(
  SELECT w.id FROM waivers w
  WHERE w.finding = findings.id AND w.granted_on <= :today AND w.until >= :today
  ORDER BY w.until DESC, w.id LIMIT 1)"""
# Only findings that have a waiver, or had one, can change: found by their indexes. Written as
# an OR, SQLite read every finding (two million at a million agreements) to find the few; and
# it searches the waiver index for ``waiver >= ''`` (every waiver is TEXT: the table is STRICT)
# but not for ``IS NOT NULL``.
_WAIVERS = f"""
UPDATE findings SET waiver = {_WAIVER_IN_FORCE}
WHERE id IN (SELECT f.id FROM findings f WHERE f.waiver >= '' UNION ALL SELECT finding FROM waivers)
  AND waiver IS NOT {_WAIVER_IN_FORCE}
"""


def refresh_waivers(db: sqlite_utils.Database, today: date) -> None:
    """Mark each finding with the waiver in force on ``today`` (or none)."""
    db.conn.execute(_WAIVERS, {"today": today.isoformat()})


def open_findings(
    db: sqlite_utils.Database, codes: list[str] | None = None, *, parse_evidence: bool = True
) -> list[dict[str, Any]]:
    """Open findings (of the given checks, or all), most severe first, with their waiver."""
    return list(iter_open_findings(db, codes, parse_evidence=parse_evidence))


def iter_open_findings(
    db: sqlite_utils.Database, codes: list[str] | None = None, *, parse_evidence: bool = True
) -> Iterator[dict[str, Any]]:
    """``open_findings`` one row at a time, from SQLite's cursor."""
    sql = """
      SELECT f.id, f.code, f.family, f.severity, f.subject_table, f.subject_id, f.subject_label,
             f.message, f.evidence, f.first_seen, f.last_seen, f.waiver,
             w.until AS waived_until, w.reason AS waiver_reason
      FROM findings_seen f LEFT JOIN waivers w ON w.id = f.waiver
      WHERE f.status = 'open' AND (:codes IS NULL OR f.code IN (SELECT value FROM json_each(:codes)))
      ORDER BY CASE f.severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 WHEN 'low' THEN 2 ELSE 3 END,
               f.code, f.subject_id
    """
    cursor = db.conn.execute(sql, {"codes": json.dumps(codes) if codes is not None else None})
    names = [d[0] for d in cursor.description]
    for row in cursor:
        finding = dict(zip(names, row, strict=True))
        if parse_evidence:
            finding["evidence"] = json.loads(finding["evidence"]) if finding["evidence"] else {}
        yield finding


def run_checks(
    db: sqlite_utils.Database,
    *,
    only: list[str] | tuple[str, ...] = (),
    families: list[str] | tuple[str, ...] = (),
    today: date | None = None,
    criteria_path: Path | None = None,
    actor: str | None = None,
    lanes: int | None = None,
    progress: Progress = NO_PROGRESS,
) -> RunResult:
    """Run the selected checks (all by default) as of ``today`` and record the run.

    ``lanes``: how many processes run checks at once (``checks.lanes``); by default one per
    core when the checks are slow enough to gain, and 1 runs them all on ``db``'s connection."""
    specs = select(only, families)
    criteria_path = Path(criteria_path or CRITERIA_FILE)
    criteria, digest = load_criteria(criteria_path)
    run = _Run(db, [spec.code for spec in specs], digest, today or clock.today(), actor or store.default_actor())
    ctx = Context(db, criteria, run.today)
    conn = db.conn
    estimates = _recent_seconds(conn)
    count = lane_count(db, specs, lanes, estimates)
    mmap_before = (conn.execute("PRAGMA mmap_size").fetchone() or [None])[0]  # none in memory
    if mmap_before is not None:
        conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
    cache_before = conn.execute("PRAGMA cache_size").fetchone()[0]
    conn.execute(f"PRAGMA cache_size = -{max(CACHE_KIB, -cache_before if cache_before < 0 else 0)}")
    temp_before = temp_in_memory(conn)
    first = not conn.execute("SELECT 1 FROM findings LIMIT 1").fetchone()
    try:
        with Lanes(db, count, today=run.today, criteria_path=criteria_path, digest=digest, keyed=not first) as spread, \
                FindingsBuild(db) as build:
            # A first run with lane processes builds its findings beside the registry and copies
            # them in once the lanes are done (checks.findings_build); the file is made before
            # the run's transaction, as SQLite sets a file's syncing only outside one.
            if count > 1 and first:
                build.open(CACHE_KIB)
            if count > 1:
                # The other lanes read the last commit: commit the country tiers (derived data,
                # rewritten whole) first, so that every lane reads the same tiers.
                with store.transaction(db, actor=run.actor, source=SOURCE):
                    refresh_country_risk(ctx)
            with store.transaction(db, actor=run.actor, source=SOURCE):
                if count == 1:
                    refresh_country_risk(ctx)
                run.timings["_risk"] = time.perf_counter() - run.started
                fresh = not conn.execute("SELECT 1 FROM findings LIMIT 1").fetchone()
                built = fresh and build.attached
                record = run.start_recording(fresh=fresh, target=build.table if built else "findings")
                phase = time.perf_counter()
                progress.start(len(specs), "running checks")
                try:
                    run.seconds = spread.collect(ctx, specs, table=_FOUND_NOW, estimates=estimates,
                                                 run_one=copy_found, record=record, progress=progress)
                finally:
                    progress.finish()
                    ctx.close()
                run.timings.update(run.seconds)
                # running the checks and recording what they found as they go
                run.timings["_checks_and_record"], phase = time.perf_counter() - phase, time.perf_counter()
                if not built:
                    run.finish(phase)
            if built:
                phase = time.perf_counter()
                with rollback_journal(conn, appending=True), foreign_keys_off(conn), \
                        store.transaction(db, actor=run.actor, source=SOURCE):
                    if conn.execute("SELECT 1 FROM findings LIMIT 1").fetchone() or _next_run_id(conn, run.today) != run.id:
                        # Another run was recorded between the two transactions: record as any later run does.
                        record = run.start_recording(fresh=False, target="findings")
                        record(build.table)
                    else:
                        build.copy_in()
                    run.timings["_copy_in"] = time.perf_counter() - phase
                    run.finish(time.perf_counter())
    finally:
        if mmap_before is not None:
            conn.execute(f"PRAGMA mmap_size = {mmap_before}")
        conn.execute(f"PRAGMA cache_size = {cache_before}")
        if temp_before is not None:  # the run's TEMP tables are gone by now
            conn.execute(f"PRAGMA temp_store = {temp_before}")
    return RunResult(run.id, run.today, specs, run.elapsed, record.new, run.resolved, db, run.codes, run.timings,
                     lanes=1 + len(spread.processes))


@dataclass
class _Run:
    """A run's state from its start to its row in ``check_runs``: what it ran, as of when, by
    whom, how its checks and phases took, and how it records what they found."""

    db: sqlite_utils.Database
    codes: list[str]
    digest: str  # of the criteria file
    today: date
    actor: str
    started_at: Any = field(default_factory=clock.now)
    started: float = field(default_factory=time.perf_counter)
    id: str = ""
    seconds: dict[str, float] = field(default_factory=dict)  # each check's, in the lane that ran it
    timings: dict[str, float] = field(default_factory=dict)  # the run's phases, then its checks'
    record: _Recorder | None = None  # made once its id is known (start_recording)
    resolved: int = 0
    elapsed: float = 0.0  # the run's seconds, as recorded

    def start_recording(self, *, fresh: bool, target: str) -> _Recorder:
        """The run's id (the next of its day) and a recorder for its findings into ``target`` (a
        first run's build: checks.findings_build), with the run's TEMP tables made. Called again
        if another run was recorded between a first run's two transactions: recording starts
        over as a later run's, keeping the seconds its phases took so far."""
        conn = self.db.conn
        self.id = _next_run_id(conn, self.today)
        self.record = _Recorder(conn, {"today": self.today.isoformat(), "run": self.id, "codes": json.dumps(self.codes)},
                                fresh=fresh, target=target, seconds=self.record.seconds if self.record else {})
        _run_tables(conn, create=True, keyed=not fresh)
        return self.record

    def finish(self, phase: float) -> None:
        """After the findings are recorded, inside the run's transaction: resolve what the run no
        longer finds, mark the waivers, and record the run (``phase``: when this began)."""
        conn, record = self.db.conn, self.record
        assert record is not None, "finish() follows start_recording()"
        # A first run inserted every finding there is, each last seen by this run: none to resolve.
        self.resolved = 0 if record.fresh else conn.execute(_RESOLVE.format(seen=_SEEN), record.params).rowcount
        self.timings["_resolve"], phase = time.perf_counter() - phase, time.perf_counter()
        refresh_waivers(self.db, self.today)
        _run_tables(conn, create=False)
        self.timings["_waivers"] = time.perf_counter() - phase
        self.timings.update(record.seconds)
        self.elapsed = time.perf_counter() - self.started
        conn.execute(
            "INSERT INTO check_runs (id, started_at, seconds, as_of, actor, checks, criteria_sha256, found, "
            "new, resolved, timings) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [self.id, self.started_at.isoformat(), round(self.elapsed, 3), self.today.isoformat(), self.actor,
             json.dumps(self.codes), self.digest, record.found, record.new, self.resolved,
             json.dumps({code: round(self.seconds[code], 4) for code in self.codes})],
        )
        conn.execute(_LATEST, record.params)
