"""Run a selection of checks, record the run, and keep every finding's history.

A finding's id is its fingerprint, ``code:table:id``. A run inserts what is new, refreshes
what it found again (``last_seen``, message, evidence), reopens what had been resolved, and
resolves the open findings of the checks it ran that it no longer finds. Nothing is
deleted. Waivers in force on the run's date are written onto their findings, so a waived
finding stays in the list, marked, until its waiver ends. All of it is one transaction.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass, field
from functools import cached_property
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import sqlite_utils

from checks.context import Context, Found, FoundQuery, load_criteria
from checks.registry import SEVERITY_ORDER, CheckSpec, select
from checks.risk import refresh_country_risk
from registry import db as store
from registry.models import by_table

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

    @cached_property
    def findings(self) -> list[dict[str, Any]]:
        """The open findings of the checks that ran, waived or not, most severe first."""
        return open_findings(self.db, self.codes)

    @cached_property
    def listing(self) -> list[dict[str, Any]]:
        """The same findings with their evidence left as JSON text, for printing a list."""
        return open_findings(self.db, self.codes, parse_evidence=False)

    def failing(self, fail_on: str) -> list[dict[str, Any]]:
        """Open findings without a waiver in force at or above ``fail_on`` severity."""
        threshold = SEVERITY_ORDER[fail_on]
        return [f for f in self.listing if f["waiver"] is None and SEVERITY_ORDER[f["severity"]] >= threshold]

    def counts(self, findings: list[dict[str, Any]] | None = None) -> dict[str, int]:
        counts = {severity: 0 for severity in reversed(SEVERITY_ORDER)}
        for finding in self.listing if findings is None else findings:
            counts[finding["severity"]] += 1
        return counts

    def as_dict(self) -> dict[str, Any]:
        return {
            "run": {
                "id": self.run_id,
                "as_of": self.as_of.isoformat(),
                "checks": [spec.code for spec in self.checks],
                "seconds": round(self.seconds, 3),
                "new": self.new,
                "resolved": self.resolved,
                "open": len(self.findings),
                "waived": sum(1 for f in self.findings if f["waiver"]),
                "by_severity": self.counts(self.findings),
            },
            "findings": self.findings,
        }


def _next_run_id(conn, as_of: date) -> str:
    prefix = f"run-{as_of:%Y%m%d}-"
    count = conn.execute("SELECT count(*) FROM check_runs WHERE id LIKE ? || '%'", [prefix]).fetchone()[0]
    return f"{prefix}{count + 1:03d}"


_RUN_FOUND = """
CREATE TEMP TABLE run_found (
  id TEXT PRIMARY KEY, code TEXT, family TEXT, severity TEXT, subject_table TEXT, subject_id TEXT,
  subject_label TEXT, message TEXT, evidence TEXT
)"""

_COPY_FOUND = """
INSERT INTO temp.run_found (id, code, family, severity, subject_table, subject_id, message, evidence)
SELECT :check_code || ':' || subject_table || ':' || subject_id, :check_code, :check_family, :check_severity,
       subject_table, CAST(subject_id AS TEXT), message, json(coalesce(evidence, '{{}}'))
FROM ({sql})
"""


def _collect(ctx: Context, specs: list[CheckSpec]) -> dict[str, float]:
    """Run each check into ``temp.run_found``: a query's rows are copied inside SQLite;
    a check that returns ``Found`` objects instead has them inserted one by one."""
    timings = {}
    conn = ctx.conn
    for spec in specs:
        started = time.perf_counter()
        found = spec.function(ctx)
        check = {"check_code": spec.code, "check_family": spec.family, "check_severity": spec.severity}
        try:
            if isinstance(found, FoundQuery):
                conn.execute(_COPY_FOUND.format(sql=found.sql), {**found.params, **check})
            else:
                conn.executemany(
                    "INSERT INTO temp.run_found (id, code, family, severity, subject_table, subject_id, message, evidence) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [_found_row(spec, item) for item in found],
                )
        except sqlite3.IntegrityError as error:
            raise ValueError(f"check {spec.code} named the same subject twice (a subject may have one finding per check)") from error
        timings[spec.code] = time.perf_counter() - started
    return timings


def _found_row(spec: CheckSpec, item: Found) -> tuple:
    if not isinstance(item, Found):
        raise TypeError(f"check {spec.code} returned {type(item).__name__}; return ctx.found(...) or Found rows")
    evidence = json.dumps(item.evidence, ensure_ascii=False, separators=(",", ":"), default=str)
    return (fingerprint(spec.code, item.subject_table, item.subject_id), spec.code, spec.family, spec.severity,
            item.subject_table, item.subject_id, item.message, evidence)


# Split so that SQLite touches the indexes of findings only where indexed values change:
# a SET on an indexed column rewrites its index entry even when the value stays the same.
_RECORD = {
    "insert": """
INSERT INTO findings (id, code, family, severity, subject_table, subject_id, subject_label, message, evidence,
                      status, first_seen, last_seen, first_run, last_run)
SELECT id, code, family, severity, subject_table, subject_id, subject_label, message, evidence,
       'open', :today, :today, :run, :run
FROM temp.run_found r WHERE NOT EXISTS (SELECT 1 FROM findings f WHERE f.id = r.id)
""",
    "refresh": """
UPDATE findings SET last_seen = :today, last_run = :run, message = r.message, evidence = r.evidence,
                    subject_label = r.subject_label
FROM temp.run_found r WHERE r.id = findings.id AND findings.last_run IS NOT :run  -- not just inserted
""",
    "reopen": """
UPDATE findings SET status = 'open', resolved_on = NULL
WHERE status = 'resolved' AND id IN (SELECT id FROM temp.run_found)
""",
    "reclassify": """
UPDATE findings SET severity = r.severity, family = r.family
FROM temp.run_found r WHERE r.id = findings.id AND (findings.severity IS NOT r.severity OR findings.family IS NOT r.family)
""",
    "resolve": """
UPDATE findings SET status = 'resolved', resolved_on = :today
WHERE status = 'open' AND code IN (SELECT value FROM json_each(:codes))
  AND id NOT IN (SELECT id FROM temp.run_found)
""",
}

_WAIVERS = """
UPDATE findings SET waiver = (
  SELECT w.id FROM waivers w
  WHERE w.finding = findings.id AND w.granted_on <= :today AND w.until >= :today
  ORDER BY w.until DESC, w.id LIMIT 1)
WHERE waiver IS NOT (
  SELECT w.id FROM waivers w
  WHERE w.finding = findings.id AND w.granted_on <= :today AND w.until >= :today
  ORDER BY w.until DESC, w.id LIMIT 1)
"""


def refresh_waivers(db: sqlite_utils.Database, today: date) -> None:
    """Mark each finding with the waiver in force on ``today`` (or none)."""
    db.conn.execute(_WAIVERS, {"today": today.isoformat()})


def _label_subjects(conn) -> None:
    """Copy each subject's label (an institution's name, an agreement's title) onto the
    run's findings, so that a list of findings reads without a join."""
    tables = [t for (t,) in conn.execute("SELECT DISTINCT subject_table FROM temp.run_found")]
    records = by_table()
    for table in tables:
        record = records.get(table)
        if record is None or record.label_column is None or record.primary_key != ("id",):
            continue
        conn.execute(
            f'UPDATE temp.run_found SET subject_label = (SELECT s."{record.label_column}" FROM main."{table}" s '
            f"WHERE s.id = run_found.subject_id) WHERE subject_table = ?",
            [table],
        )


def open_findings(
    db: sqlite_utils.Database, codes: list[str] | None = None, *, parse_evidence: bool = True
) -> list[dict[str, Any]]:
    """Open findings (of the given checks, or all), most severe first, with their waiver."""
    sql = """
      SELECT f.id, f.code, f.family, f.severity, f.subject_table, f.subject_id, f.subject_label,
             f.message, f.evidence, f.first_seen, f.last_seen, f.waiver,
             w.until AS waived_until, w.reason AS waiver_reason
      FROM findings f LEFT JOIN waivers w ON w.id = f.waiver
      WHERE f.status = 'open' AND (:codes IS NULL OR f.code IN (SELECT value FROM json_each(:codes)))
      ORDER BY CASE f.severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 WHEN 'low' THEN 2 ELSE 3 END,
               f.code, f.subject_id
    """
    cursor = db.conn.execute(sql, {"codes": json.dumps(codes) if codes is not None else None})
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, row)) for row in cursor]
    if parse_evidence:
        for finding in rows:
            finding["evidence"] = json.loads(finding["evidence"]) if finding["evidence"] else {}
    return rows


def run_checks(
    db: sqlite_utils.Database,
    *,
    only: list[str] | tuple[str, ...] = (),
    families: list[str] | tuple[str, ...] = (),
    today: date | None = None,
    criteria_path: Path | None = None,
    actor: str | None = None,
) -> RunResult:
    """Run the selected checks (all by default) as of ``today`` and record the run."""
    specs = select(only, families)
    today = today or date.today()
    criteria, digest = load_criteria(criteria_path)
    ctx = Context(db, criteria, today)
    conn = db.conn
    started_at = datetime.now(timezone.utc).replace(microsecond=0)
    clock = time.perf_counter()
    actor = actor or store.default_actor()
    codes = [spec.code for spec in specs]
    with store.transaction(db, actor=actor, source=SOURCE):
        refresh_country_risk(ctx)
        conn.execute("DROP TABLE IF EXISTS temp.run_found")
        conn.execute(_RUN_FOUND)
        try:
            timings = _collect(ctx, specs)
        finally:
            ctx.close()
        phase = time.perf_counter()
        _label_subjects(conn)
        run_id = _next_run_id(conn, today)
        params = {"today": today.isoformat(), "run": run_id, "codes": json.dumps(codes)}
        found = conn.execute("SELECT count(*) FROM temp.run_found").fetchone()[0]
        timings["_label"], phase = time.perf_counter() - phase, time.perf_counter()
        changed = {}
        for name, statement in _RECORD.items():
            changed[name] = conn.execute(statement, params).rowcount
            timings[f"_{name}"], phase = time.perf_counter() - phase, time.perf_counter()
        new, resolved = changed["insert"] + changed["reopen"], changed["resolve"]
        refresh_waivers(db, today)
        conn.execute("DROP TABLE temp.run_found")
        timings["_waivers"] = time.perf_counter() - phase
        seconds = time.perf_counter() - clock
        conn.execute(
            "INSERT INTO check_runs (id, started_at, seconds, as_of, actor, checks, criteria_sha256, found, new, resolved) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [run_id, started_at.isoformat(), round(seconds, 3), today.isoformat(), actor, json.dumps(codes),
             digest, found, new, resolved],
        )
    return RunResult(run_id, today, specs, seconds, new, resolved, db, codes, timings)
