"""Time a full ``registry check`` on a synthetic registry against one full scan of the same tables.

    .venv/bin/python -m benchmarks.checks [--institutions 20000] [--agreements 100000] [--db PATH] [--repeat N]
    .venv/bin/python -m benchmarks.checks --db r1m.db --first-run-only [--keep r1m-checked.db]

Builds the registry with ``benchmarks.synth.build_synthetic`` (or reuses ``--db`` if it
exists, building it there if not; an existing file is only read: it is copied first), loads
the country indicators into the copy, then, on a fresh copy of that each time (so that the
first run always records every finding as new), measures in the same run:

- ``scan``: reading every row of every table the checks read, once, into Python
  (the least any whole-registry check could do);
- ``checks-first-run``: all checks, recording the run and inserting every finding
  (``run_checks``; reading the findings back is timed apart as ``read_back_seconds``);
- ``checks-again``: the same once more, refreshing the findings already recorded;
- ``checks-cli``: ``registry check --fail-on never`` in a subprocess, output to /dev/null:
  interpreter start, imports, the run, reading back and printing every finding.

``cpu_seconds_with_commit`` is the CPU time of the run and its commit in this process and its
lanes: on a shared machine it drifts less than the wall time. ``lanes`` is how many processes ran checks (``checks/lanes.py``); ``commit_seconds`` what
follows the timed run, mostly SQLite committing (writing the new pages). In the record
phases, ``checks_and_record`` runs the checks and records what they find as they go
(``compare`` to ``insert`` are its parts); ``resolve`` and ``waivers`` follow it. A first run with
lanes inserts into a file of its own while they run, and ``copy_in`` copies that into the registry
after them, with a rollback journal when nothing else has the file open (``checks/findings_build.py``).
``--first-run-only`` (for a million agreements) measures the scan and the first run alone: reading
two million findings back, a second run and the CLI would add minutes and measure nothing new;
``--keep`` keeps that checked copy (the serve and publish benchmarks want one with findings).
Given a registry checked before (``--db r1m-checked.db --first-run-only``), the one run is a later
run with nothing changed, reported as ``checks-again``: at a million, the everyday case.
``--repeat`` measures that many fresh copies, one line per figure each (``iteration``), so
that a shared machine's noise shows as a range. Prints one JSON object per figure; the
targets are a check under 5 s at 100,000 agreements, under 30 s at 1,000,000 (issue 19), and
within 10x the scan; ``cpu_ratio`` compares CPU seconds (lanes included) with the scan's.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from benchmarks.synth import build_synthetic
from checks.registry import all_checks
from checks.run import run_checks
from registry import db as store
from registry.importers.indicators import load_indicators

TABLES_READ = (
    "institutions", "institution_names", "networks", "memberships", "programmes", "agreements",
    "agreement_parties", "agreement_programmes", "mobility_terms", "degree_terms", "mobility_flows",
    "reviews", "state_control", "country_freedom", "country_development", "country_classifications",
    "gdpr_adequacy", "eu_restrictive_measures", "waivers", "findings",
)
TODAY = date(2026, 11, 21)


def emit(**figures) -> None:
    print(json.dumps(figures), flush=True)


def full_scan(db) -> tuple[float, int, float]:
    started, cpu_started = time.perf_counter(), time.process_time()
    rows = 0
    for table in TABLES_READ:
        for _ in db.conn.execute(f'SELECT * FROM "{table}"'):
            rows += 1
    return time.perf_counter() - started, rows, time.process_time() - cpu_started


def _read_back(result) -> float:
    """Reading every open finding back, one at a time, as ``registry check`` prints them (a
    list of two million findings at a million agreements would not fit in memory)."""
    started = time.perf_counter()
    for _ in result.each_finding():
        pass
    return time.perf_counter() - started


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (the lanes)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _peak_rss_mb() -> dict[str, int]:
    """Peak resident memory of this process (the run and its commit) and of the largest finished
    lane, in MB (Linux reports kilobytes)."""
    own, lanes = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"run": own.ru_maxrss // 1024, "largest_lane": lanes.ru_maxrss // 1024}


def _timed_run(db) -> tuple:
    started, cpu_started = time.perf_counter(), _cpu()
    result = run_checks(db, today=TODAY, actor="benchmark")
    # the commit follows the timed run; the CPU time covers both, in every lane
    return result, time.perf_counter() - started - result.seconds, _cpu() - cpu_started


def measure(path: Path, iteration: int | None) -> None:
    db = store.connect(path)
    n_agreements = db.conn.execute("SELECT count(*) FROM agreements").fetchone()[0]
    n_institutions = db.conn.execute("SELECT count(*) FROM institutions").fetchone()[0]
    first, first_commit, first_cpu = _timed_run(db)
    first_read = _read_back(first)
    open_after = {"first": first.summary()["open"]}
    scan_seconds, scan_rows, scan_cpu = full_scan(db)  # findings now exist: the scan reads them too
    again, again_commit, again_cpu = _timed_run(db)
    again_read = _read_back(again)
    open_after["again"] = again.summary()["open"]
    scan_again, _, scan_cpu_again = full_scan(db)
    # counted in SQL before the file closes: a million agreements' findings would not fit in a list
    by_code = dict(db.conn.execute("SELECT code, count(*) FROM findings WHERE status = 'open' GROUP BY code ORDER BY code"))
    db.conn.close()
    started = time.perf_counter()
    subprocess.run([str(Path(sys.executable).with_name("registry")), "check", "--db", str(path), "--fail-on", "never",
                    "--as-of", TODAY.isoformat()], check=True, stdout=subprocess.DEVNULL,
                   env={**os.environ, "REGISTRY_ACTOR": "benchmark"})
    cli_seconds = time.perf_counter() - started
    baseline, baseline_cpu = min(scan_seconds, scan_again), min(scan_cpu, scan_cpu_again)
    each = {} if iteration is None else {"iteration": iteration}

    emit(bench="checks-scan", **each, institutions=n_institutions, agreements=n_agreements, rows=scan_rows,
         seconds=round(baseline, 3), cpu_seconds=round(baseline_cpu, 3), load_average=os.getloadavg()[0])
    for label, run, result, read, commit, cpu in (("checks-first-run", "first", first, first_read, first_commit, first_cpu),
                                                  ("checks-again", "again", again, again_read, again_commit, again_cpu)):
        emit(bench=label, **each, institutions=n_institutions, agreements=n_agreements, checks=len(all_checks()),
             findings=open_after[run], new=result.new, lanes=result.lanes, seconds=round(result.seconds, 3),
             cpu_seconds_with_commit=round(cpu, 3),
             commit_seconds=round(commit, 3), read_back_seconds=round(read, 3), baseline_seconds=round(baseline, 3),
             ratio=round(result.seconds / baseline, 2), cpu_ratio=round(cpu / baseline_cpu, 2),
             under_5s=result.seconds < 5, under_30s=result.seconds < 30, within_10x=result.seconds / baseline <= 10,
             load_average=os.getloadavg()[0])
    emit(bench="checks-cli", **each, institutions=n_institutions, agreements=n_agreements, seconds=round(cli_seconds, 3),
         baseline_seconds=round(baseline, 3), ratio=round(cli_seconds / baseline, 2), under_5s=cli_seconds < 5,
         within_10x=cli_seconds / baseline <= 10)
    for label, result in (("first-run", first), ("again", again)):
        phases = {k.lstrip("_"): round(v, 3) for k, v in result.timings.items() if k.startswith("_")}
        emit(bench="checks-record-phases", **each, run=label, seconds=phases)
    slowest = sorted(((c, t) for c, t in again.timings.items() if not c.startswith("_")), key=lambda item: -item[1])[:5]
    emit(bench="checks-slowest", **each, checks={code: round(seconds, 3) for code, seconds in slowest})
    emit(bench="checks-findings-by-code", **each, counts=by_code)


def measure_first_run(path: Path) -> None:
    """The scan, then the first run, on ``path`` (a copy): the figures of the million-agreement row.
    On a registry checked before (``--db r1m-checked.db``) the run is a later one: ``checks-again``."""
    db = store.connect(path)
    n_agreements = db.conn.execute("SELECT count(*) FROM agreements").fetchone()[0]
    label = "checks-again" if db.conn.execute("SELECT 1 FROM findings LIMIT 1").fetchone() else "checks-first-run"
    scan_seconds, scan_rows, scan_cpu = full_scan(db)  # before the run: on a first run, no findings yet
    emit(bench="checks-scan", agreements=n_agreements, rows=scan_rows, seconds=round(scan_seconds, 3),
         cpu_seconds=round(scan_cpu, 3), load_average=os.getloadavg()[0])
    result, commit, cpu = _timed_run(db)
    wall = result.seconds + commit
    emit(bench=label, agreements=n_agreements, new=result.new, resolved=result.resolved, lanes=result.lanes,
         seconds=round(result.seconds, 3), seconds_with_commit=round(wall, 3), cpu_seconds_with_commit=round(cpu, 3),
         baseline_seconds=round(scan_seconds, 3), ratio=round(wall / scan_seconds, 2), cpu_ratio=round(cpu / scan_cpu, 2),
         under_30s=wall < 30, within_10x=wall / scan_seconds <= 10,
         phases={k.lstrip("_"): round(v, 2) for k, v in result.timings.items() if k.startswith("_")},
         peak_rss_mb=_peak_rss_mb(), load_average=os.getloadavg()[0])
    db.conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--institutions", type=int, default=20_000)
    parser.add_argument("--agreements", type=int, default=100_000)
    parser.add_argument("--db", type=Path, help="reuse (or build and keep) the synthetic registry here; "
                                                "the checks run on a copy of it")
    parser.add_argument("--repeat", type=int, default=1, help="measure this many fresh copies")
    parser.add_argument("--first-run-only", action="store_true",
                        help="only the scan and the first run (a million agreements: no read-back, second run or CLI)")
    parser.add_argument("--keep", type=Path, help="with --first-run-only: keep the checked copy here")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-checks-"))
    path = args.db or workdir / "synthetic.db"
    try:
        if not path.exists():
            started = time.perf_counter()
            build_synthetic(path, institutions=args.institutions, agreements=args.agreements).conn.close()
            emit(bench="checks-build", institutions=args.institutions, agreements=args.agreements,
                 seconds=round(time.perf_counter() - started, 2))
        if args.first_run_only:
            copy = args.keep or workdir / "checked.db"
            _prepared_copy(path, copy)
            measure_first_run(copy)
            return
        prepared = _prepared_copy(path, workdir / "prepared.db")
        for iteration in range(1, args.repeat + 1):
            copy = workdir / f"checked-{iteration}" / "registry.db"
            copy.parent.mkdir()
            shutil.copy(prepared, copy)
            measure(copy, iteration if args.repeat > 1 else None)
            shutil.rmtree(copy.parent)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _prepared_copy(source: Path, copy: Path) -> Path:
    """``source`` copied to ``copy``, brought to this release's schema and given the country
    indicators the checks read: the given file is never written (it may be shared, or the
    only copy of a million agreements)."""
    shutil.copy(source, copy)
    db = store.connect(copy)
    store.ensure_schema(db)
    load_indicators(db, actor="benchmark")
    db.conn.close()  # the last connection to close checkpoints the WAL into the file
    return copy


if __name__ == "__main__":
    main()
