"""Run a selection of checks, record the run, and keep every finding's history.

A finding's id is its fingerprint, ``code:table:id``. A run inserts what is new, refreshes
what it found again (``last_seen``, message, evidence), reopens what had been resolved, and
resolves the open findings of the checks it ran that it no longer finds. Nothing is
deleted. Waivers in force on the run's date are written onto their findings, so a waived
finding stays in the list, marked, until its waiver ends. All of it is one transaction.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import sqlite_utils

from checks.context import Context, Found, load_criteria
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
    seconds: float
    new: int
    resolved: int
    findings: list[dict[str, Any]]  # the open findings of the checks that ran, waived or not
    timings: dict[str, float] = field(default_factory=dict)

    def failing(self, fail_on: str) -> list[dict[str, Any]]:
        """Open findings without a waiver in force at or above ``fail_on`` severity."""
        threshold = SEVERITY_ORDER[fail_on]
        return [f for f in self.findings if f["waiver"] is None and SEVERITY_ORDER[f["severity"]] >= threshold]

    def counts(self) -> dict[str, int]:
        counts = {severity: 0 for severity in reversed(SEVERITY_ORDER)}
        for finding in self.findings:
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
                "by_severity": self.counts(),
            },
            "findings": self.findings,
        }


def _next_run_id(conn, as_of: date) -> str:
    prefix = f"run-{as_of:%Y%m%d}-"
    count = conn.execute("SELECT count(*) FROM check_runs WHERE id LIKE ? || '%'", [prefix]).fetchone()[0]
    return f"{prefix}{count + 1:03d}"


def _collect(ctx: Context, specs: list[CheckSpec]) -> tuple[list[tuple], dict[str, float]]:
    rows, timings = [], {}
    for spec in specs:
        started = time.perf_counter()
        found = spec.function(ctx)
        for item in found:
            if not isinstance(item, Found):
                raise TypeError(f"check {spec.code} returned {type(item).__name__}; return Found rows (ctx.found)")
            rows.append(
                (
                    fingerprint(spec.code, item.subject_table, item.subject_id),
                    spec.code,
                    spec.family,
                    spec.severity,
                    item.subject_table,
                    item.subject_id,
                    item.message,
                    json.dumps(item.evidence, ensure_ascii=False, separators=(",", ":"), default=str),
                )
            )
        timings[spec.code] = time.perf_counter() - started
    return rows, timings


_UPSERT = """
INSERT INTO findings (id, code, family, severity, subject_table, subject_id, message, evidence,
                      status, first_seen, last_seen, first_run, last_run)
SELECT id, code, family, severity, subject_table, subject_id, message, evidence,
       'open', :today, :today, :run, :run
FROM temp.run_found WHERE true
ON CONFLICT (id) DO UPDATE SET
  family = excluded.family, severity = excluded.severity, message = excluded.message,
  evidence = excluded.evidence, status = 'open', last_seen = excluded.last_seen,
  last_run = excluded.last_run, resolved_on = NULL
"""

_RESOLVE = """
UPDATE findings SET status = 'resolved', resolved_on = :today
WHERE status = 'open' AND code IN (SELECT value FROM json_each(:codes))
  AND id NOT IN (SELECT id FROM temp.run_found)
"""

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


def _label_subjects(conn, run_id: str) -> None:
    """Copy each subject's label (an institution's name, an agreement's title) onto its
    findings, so a list of findings reads without a join."""
    tables = [t for (t,) in conn.execute("SELECT DISTINCT subject_table FROM findings WHERE last_run = ?", [run_id])]
    records = by_table()
    for table in tables:
        record = records.get(table)
        if record is None or record.label_column is None or record.primary_key != ("id",):
            continue
        conn.execute(
            f'UPDATE findings SET subject_label = (SELECT s."{record.label_column}" FROM "{table}" s '
            f"WHERE s.id = findings.subject_id) WHERE last_run = ? AND subject_table = ?",
            [run_id, table],
        )


def open_findings(db: sqlite_utils.Database, codes: list[str] | None = None) -> list[dict[str, Any]]:
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
    rows = []
    for row in cursor:
        finding = dict(zip(names, row))
        finding["evidence"] = json.loads(finding["evidence"]) if finding["evidence"] else {}
        rows.append(finding)
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
        rows, timings = _collect(ctx, specs)
        run_id = _next_run_id(conn, today)
        conn.execute("DROP TABLE IF EXISTS temp.run_found")
        conn.execute(
            "CREATE TEMP TABLE run_found (id TEXT PRIMARY KEY, code TEXT, family TEXT, severity TEXT, "
            "subject_table TEXT, subject_id TEXT, message TEXT, evidence TEXT)"
        )
        try:
            conn.executemany("INSERT INTO temp.run_found VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        except Exception as error:  # a check that names one subject twice is a bug in the check
            raise ValueError(f"a check returned the same subject twice: {error}") from error
        params = {"today": today.isoformat(), "run": run_id, "codes": json.dumps(codes)}
        new = conn.execute(
            "SELECT count(*) FROM temp.run_found r WHERE NOT EXISTS "
            "(SELECT 1 FROM findings f WHERE f.id = r.id AND f.status = 'open')"
        ).fetchone()[0]
        resolved = conn.execute(
            "SELECT count(*) FROM findings WHERE status = 'open' AND code IN (SELECT value FROM json_each(:codes)) "
            "AND id NOT IN (SELECT id FROM temp.run_found)",
            params,
        ).fetchone()[0]
        conn.execute(_UPSERT, params)
        conn.execute(_RESOLVE, params)
        _label_subjects(conn, run_id)
        refresh_waivers(db, today)
        conn.execute("DROP TABLE temp.run_found")
        seconds = time.perf_counter() - clock
        conn.execute(
            "INSERT INTO check_runs (id, started_at, seconds, as_of, actor, checks, criteria_sha256, found, new, resolved) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [run_id, started_at.isoformat(), round(seconds, 3), today.isoformat(), actor, json.dumps(codes),
             digest, len(rows), new, resolved],
        )
    return RunResult(run_id, today, specs, seconds, new, resolved, open_findings(db, codes), timings)
