"""A run spread over several processes (checks/lanes.py) records exactly what one connection does."""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from benchmarks.synth import build_synthetic
from checks import lanes, run
from checks.context import CRITERIA_FILE
from checks.found import copy_found
from checks.registry import CHECKS, load_all
from checks.run import run_checks
from registry import db as store
from registry.importers.indicators import load_indicators

TODAY, LATER = date(2026, 11, 21), date(2026, 11, 28)
RECORDED = ("id, code, family, severity, subject_table, subject_id, subject_label, message, evidence, status, "
            "first_seen, last_seen, resolved_on, waiver")


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("lanes") / "synthetic.db"
    db = build_synthetic(path, institutions=300, agreements=1500)
    load_indicators(db, actor="test")
    db.conn.close()
    return path


def copy(path: Path, to: Path):
    shutil.copy(path, to)
    return store.connect(to)


def recorded(db) -> list[tuple]:
    return db.conn.execute(f"SELECT {RECORDED} FROM findings ORDER BY id").fetchall()


def change_the_registry(db) -> None:
    """What happens between two runs: a partner renamed, an agreement given a notice period."""
    with store.transaction(db, actor="test", source="test"):
        db.conn.execute("UPDATE institutions SET name = name || ' (renamed)' "
                        "WHERE id = (SELECT subject_id FROM findings WHERE subject_table = 'institutions' ORDER BY id LIMIT 1)")
        db.conn.execute("UPDATE agreements SET notice_months = 6 "
                        "WHERE id IN (SELECT subject_id FROM findings WHERE code = 'GRE11' ORDER BY id LIMIT 3)")


def test_several_lanes_record_what_one_connection_records(synthetic, tmp_path, monkeypatch):
    monkeypatch.setattr(lanes, "BATCH_ROWS", 50)  # many scratch files, up to the limit of attached ones
    here = []

    def slowly(ctx, spec, table):  # so that the lane processes, ready after a moment, get their share
        here.append(spec.code)
        time.sleep(0.02)
        copy_found(ctx, spec, table)

    alone, spread = copy(synthetic, tmp_path / "alone.db"), copy(synthetic, tmp_path / "spread.db")
    for today in (TODAY, LATER):
        one = run_checks(alone, today=today, actor="test", lanes=1)
        with monkeypatch.context() as patch:
            patch.setattr(run, "copy_found", slowly)
            three = run_checks(spread, today=today, actor="test", lanes=3)
        # How the checks spread over the lanes depends on how fast processes start: not asserted.
        here.clear()
        assert (one.lanes, three.lanes) == (1, 3)
        assert (three.new, three.resolved) == (one.new, one.resolved) and one.new + one.resolved > 0
        assert recorded(spread) == recorded(alone)
        assert len(recorded(alone)) > 500 and len({row[1] for row in recorded(alone)}) >= 15
        change_the_registry(alone)
        change_the_registry(spread)
    assert {row[9] for row in recorded(spread)} == {"open", "resolved"}
    assert any("(renamed)" in (row[6] or "") for row in recorded(spread))
    timed = spread.conn.execute("SELECT timings FROM check_runs ORDER BY id DESC LIMIT 1").fetchone()[0]
    assert set(json.loads(timed)) == set(load_all())


def test_a_check_defined_outside_the_package_runs_on_the_runs_own_connection(synthetic, tmp_path, monkeypatch):
    def everything_is_fine(ctx):
        """A test's own check, which lane processes do not have."""
        return ctx.found("SELECT 'institutions' AS subject_table, id AS subject_id, 'fine' AS message, "
                         "NULL AS evidence FROM institutions WHERE is_home = 1")

    spec = replace(CHECKS["DQ01"], code="DQ98", function=everything_is_fine)
    assert spec.module == __name__
    monkeypatch.setitem(CHECKS, "DQ98", spec)
    db = copy(synthetic, tmp_path / "own.db")
    result = run_checks(db, only=["DQ98", "DQ01", "GRE01"], today=TODAY, actor="test", lanes=2)
    assert result.lanes == 2
    assert [f["message"] for f in result.findings if f["code"] == "DQ98"] == ["fine"]


def test_a_failing_check_in_any_lane_fails_the_run_and_records_nothing(synthetic, tmp_path):
    criteria = tmp_path / "criteria.yml"
    criteria.write_text(CRITERIA_FILE.read_text(encoding="utf-8").replace("live_statuses:", "live_states:"),
                        encoding="utf-8")
    db = copy(synthetic, tmp_path / "failing.db")
    with pytest.raises(KeyError, match="live_statuses"):
        run_checks(db, today=TODAY, actor="test", lanes=2, criteria_path=criteria)
    assert db.conn.execute("SELECT count(*) FROM findings").fetchone()[0] == 0
    assert db.conn.execute("SELECT count(*) FROM check_runs").fetchone()[0] == 0
    assert [name for (_, name, _) in db.conn.execute("PRAGMA database_list")] in (["main"], ["main", "temp"])


def test_a_check_goes_to_the_lane_that_built_its_temp_table():
    first, second, third = (replace(load_all()["DQ01"], code=code) for code in ("DQ01", "DQ02", "DQ03"))
    own, other = lanes._Lane(main=True), lanes._Lane(main=False)
    queue = lanes._Queue([first, second, third], {"DQ01": 2.0, "DQ02": 1.0}, own, processes=1)
    assert queue.next(own) is first and queue.next(other) is second  # slowest first
    assert queue.may_build(own, first, "live_partners") and queue.may_build(other, second, "programmes")
    assert not queue.may_build(other, third, "live_partners")  # built by the run's own lane
    queue.hand_over(third, "live_partners")
    assert list(own.pinned) == [third] and queue.next(own) is third
    # handed over once, it builds its own copy of a table a third lane holds, rather than bounce back
    assert queue.may_build(own, third, "live_partners") and queue.may_build(own, third, "programmes")


def test_a_small_registry_runs_on_one_connection(synthetic, tmp_path):
    db = copy(synthetic, tmp_path / "small.db")
    assert run_checks(db, today=TODAY, actor="test").lanes == 1  # a file this small gains nothing
    in_memory = store.connect(":memory:")
    store.ensure_schema(in_memory)
    assert run_checks(in_memory, today=TODAY, actor="test", lanes=2).lanes == 1


# Checks for the first-run order: what they return does not matter, only the SQL their source reads.
_FLOWS_SQL = "SELECT id FROM mobility_flows"


def _reads_agreements(ctx):
    """Reads the agreements."""
    return ctx.found("SELECT 'agreements' AS subject_table, a.id AS subject_id FROM agreements a")


def _reads_parties(ctx):
    """Reads the agreements and their parties."""
    return ctx.found("SELECT p.agreement FROM agreements a JOIN agreement_parties p ON p.agreement = a.id")


def _flows(ctx):
    return _FLOWS_SQL


def _reads_flows_through_a_helper(ctx):
    """Reads the flows, through a helper of its module and that helper's SQL."""
    return ctx.found(f"SELECT * FROM {_flows(ctx)}")


def _reads_nothing(ctx):
    """Says the agreements in its docstring, reads no table."""
    return []


def _as_check(code, function):
    return replace(load_all()["DQ01"], code=code, function=function)


COUNTS = {"agreements": 200, "agreement_parties": 500, "mobility_flows": 450, "institutions": 40}


def test_a_first_run_queues_the_checks_that_read_the_biggest_tables_first():
    specs = [_as_check("DQ01", _reads_nothing), _as_check("DQ02", _reads_agreements),
             _as_check("DQ03", _reads_flows_through_a_helper), _as_check("DQ04", _reads_parties)]
    assert [spec.code for spec in lanes.first_run_order(specs, COUNTS)] == ["DQ04", "DQ03", "DQ02", "DQ01"]
    own = lanes._Lane(main=True)
    queue = lanes._Queue(specs, {}, own, processes=1, counts=COUNTS)
    assert [queue.next(own).code for _ in specs] == ["DQ04", "DQ03", "DQ02", "DQ01"]


def test_timings_of_earlier_runs_decide_the_order_when_there_are_any():
    specs = [_as_check("DQ01", _reads_nothing), _as_check("DQ02", _reads_agreements),
             _as_check("DQ04", _reads_parties)]
    own = lanes._Lane(main=True)
    queue = lanes._Queue(specs, {"DQ01": 3.0, "DQ04": 1.0}, own, processes=1, counts=COUNTS)
    assert [queue.next(own).code for _ in specs] == ["DQ01", "DQ04", "DQ02"]


def test_the_real_checks_that_read_the_agreements_and_their_parties_come_before_the_small_ones(synthetic):
    db = store.connect(synthetic, create=False)
    checks = list(load_all().values())
    counts = lanes._row_counts(db, set().union(*map(lanes.tables_read, checks)))
    order = [spec.code for spec in lanes.first_run_order(checks, counts)]
    db.conn.close()
    for big in ("GRE10", "GRE12", "GDE05", "DQ06", "GRE01"):
        # in the registry's order the small AP04 and AP06 come first
        assert order.index(big) < min(order.index("AP04"), order.index("AP06"), order.index("PL01")), order
