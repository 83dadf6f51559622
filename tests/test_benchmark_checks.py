"""The checks benchmark runs through on a small registry and reports what the registry holds.
Its figures are timings and are not asserted; what it counts is. (It once stopped after the
runs, reading findings from a file it had closed, and only a run at a million showed it.)"""

from __future__ import annotations

import json
import sqlite3

from benchmarks import checks as benchmark
from tests.conftest import copy_registry


def test_the_benchmark_reports_both_runs_and_the_findings_by_code(synthetic_registry_file, tmp_path, capsys):
    path = copy_registry(synthetic_registry_file, tmp_path / "registry.db")
    benchmark.measure(path, None)
    figures = {}
    for line in capsys.readouterr().out.splitlines():
        figure = json.loads(line)
        figures.setdefault(figure["bench"], []).append(figure)
    with sqlite3.connect(path) as conn:
        open_by_code = dict(conn.execute("SELECT code, count(*) FROM findings WHERE status = 'open' GROUP BY code"))
    assert open_by_code, "the synthetic registry has findings"
    first, again = figures["checks-first-run"][0], figures["checks-again"][0]
    assert first["new"] == first["findings"] == sum(open_by_code.values())
    assert again["new"] == 0 and again["findings"] == first["findings"]
    assert figures["checks-findings-by-code"][0]["counts"] == open_by_code
    assert {phase["run"] for phase in figures["checks-record-phases"]} == {"first-run", "again"}
    assert figures["checks-cli"][0]["seconds"] > 0


def test_a_registry_checked_before_is_measured_as_a_later_run(synthetic_registry_file, tmp_path, capsys):
    path = copy_registry(synthetic_registry_file, tmp_path / "registry.db")
    benchmark.measure_first_run(path)
    benchmark.measure_first_run(path)
    runs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    labels = [run["bench"] for run in runs if run["bench"] != "checks-scan"]
    assert labels == ["checks-first-run", "checks-again"]
    assert runs[-1]["new"] == 0 and runs[-1]["resolved"] == 0


def test_the_given_registry_is_only_read(synthetic_registry_file, tmp_path, capsys, monkeypatch):
    """It once connected to ``--db`` read-write and loaded the indicators into it: a shared file
    of a million agreements was written by every run."""
    path = copy_registry(synthetic_registry_file, tmp_path / "registry.db")
    before = path.read_bytes()
    kept = tmp_path / "checked.db"
    monkeypatch.setattr("sys.argv", ["benchmarks.checks", "--db", str(path), "--first-run-only", "--keep", str(kept)])
    benchmark.main()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checked.db", "registry.db"]
    with sqlite3.connect(kept) as conn:
        assert conn.execute("SELECT count(*) FROM findings WHERE status = 'open'").fetchone()[0] > 0
        assert conn.execute("SELECT count(*) FROM country_freedom").fetchone()[0] > 0
    assert [json.loads(line)["bench"] for line in capsys.readouterr().out.splitlines()][-1] == "checks-first-run"
