"""A run spread over several processes (checks/lanes.py) records exactly what one connection does."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from conftest import copy_registry

from checks import findings_build, lanes, run
from checks.context import CRITERIA_FILE
from checks.found import copy_found
from checks.registry import CHECKS, load_all
from checks.run import run_checks
from registry import db as store
from registry.db import journal
from registry.importers.indicators import load_indicators

TODAY, LATER = date(2026, 11, 21), date(2026, 11, 28)
RECORDED = ("id, code, family, severity, subject_table, subject_id, subject_label, message, evidence, status, "
            "first_seen, last_seen, resolved_on, waiver")


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory, synthetic_registry_file) -> Path:
    path = copy_registry(synthetic_registry_file, tmp_path_factory.mktemp("lanes") / "synthetic.db")
    db = store.open_registry(path)
    load_indicators(db, actor="test")
    db.conn.close()
    return path


def copy(path: Path, to: Path):
    shutil.copy(path, to)
    return store.connect(to)


def recorded(db) -> list[tuple]:
    return db.conn.execute(f"SELECT {RECORDED} FROM findings_seen ORDER BY id").fetchall()


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


# Checks with many findings on the synthetic registry, for the tests of a first run's failures and
# races: the path is the same for all checks, and a few keep the tests short.
SOME = ["GDE05", "GRE11", "DQ06", "DQ01"]


def build_folders(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}-findings-*"))


def test_a_first_run_with_lanes_builds_its_findings_beside_and_copies_them_in_whole(synthetic, tmp_path, monkeypatch):
    """checks.findings_build: the findings recorded in a file of their own while the lanes run,
    then copied record by record (SQLite's transfer) with the registry in rollback-journal mode."""
    seen = []

    def copy_in(build):
        conn = build.db.conn
        seen.append((conn.execute("PRAGMA main.journal_mode").fetchone()[0],
                     conn.execute(f"PRAGMA {findings_build.DATABASE}.journal_mode").fetchone()[0],  # its own
                     findings_build.transfers(conn),
                     conn.execute(f"SELECT count(*) FROM {build.table}").fetchone()[0],
                     [path.name for path in build_folders(tmp_path / "spread.db")]))
        return real_copy_in(build)

    real_copy_in = findings_build.FindingsBuild.copy_in
    monkeypatch.setattr(findings_build.FindingsBuild, "copy_in", copy_in)
    alone, spread = copy(synthetic, tmp_path / "alone.db"), copy(synthetic, tmp_path / "spread.db")
    one = run_checks(alone, only=SOME, today=TODAY, actor="test", lanes=1)  # all checks: the first test
    two = run_checks(spread, only=SOME, today=TODAY, actor="test", lanes=2)
    assert two.lanes == 2 and two.new == one.new > 500
    [(mode, build_mode, transferred, built, folders)] = seen
    assert (mode, build_mode, transferred, built, len(folders)) == ("delete", "off", True, one.new, 1)
    assert recorded(spread) == recorded(alone)
    assert spread.conn.execute("SELECT first_run, last_run, count(*) FROM findings_seen GROUP BY 1, 2").fetchall() == [
        (two.run_id, two.run_id, one.new)]
    assert spread.conn.execute("SELECT found, new FROM check_runs").fetchall() == [(one.new, one.new)]
    # afterwards: WAL again, the foreign keys enforced and holding, the build gone
    assert spread.conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert spread.conn.execute("PRAGMA foreign_keys").fetchone() == (1,)
    assert spread.conn.execute("PRAGMA foreign_key_check(findings)").fetchall() == []
    assert spread.conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert build_folders(tmp_path / "spread.db") == []
    assert [name for (_, name, _) in spread.conn.execute("PRAGMA database_list")] in (["main"], ["main", "temp"])
    # a second run records as before: found again unchanged, nothing is written; the last run read moves
    before, rows_before = recorded(spread), spread.conn.execute("SELECT * FROM findings ORDER BY id").fetchall()
    spread.conn.execute("CREATE TEMP TABLE rewritten (id TEXT)")
    spread.conn.execute("CREATE TEMP TRIGGER rewrites AFTER UPDATE ON main.findings "
                        "BEGIN INSERT INTO rewritten VALUES (new.id); END")
    again = run_checks(spread, only=SOME, today=TODAY, actor="test", lanes=2)
    assert (again.new, again.resolved) == (0, 0) and seen == [seen[0]]  # no second build
    assert recorded(spread) == before
    assert spread.conn.execute("SELECT DISTINCT first_run, last_run FROM findings_seen").fetchall() == [
        (two.run_id, again.run_id)]
    assert spread.conn.execute("SELECT count(*) FROM rewritten").fetchone() == (0,)  # not one row written
    assert spread.conn.execute("SELECT * FROM findings ORDER BY id").fetchall() == rows_before


def test_a_first_run_whose_copy_fails_records_nothing(synthetic, tmp_path, monkeypatch):
    def copy_then_fail(build):
        real_copy_in(build)
        raise RuntimeError("the disk filled")

    real_copy_in = findings_build.FindingsBuild.copy_in
    monkeypatch.setattr(findings_build.FindingsBuild, "copy_in", copy_then_fail)
    db = copy(synthetic, tmp_path / "failing.db")
    with pytest.raises(RuntimeError, match="the disk filled"):
        run_checks(db, only=SOME, today=TODAY, actor="test", lanes=2)
    assert db.conn.execute("SELECT count(*) FROM findings").fetchone()[0] == 0
    assert db.conn.execute("SELECT count(*) FROM check_runs").fetchone()[0] == 0
    assert db.conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert db.conn.execute("PRAGMA foreign_keys").fetchone() == (1,)
    assert build_folders(tmp_path / "failing.db") == [] and not (tmp_path / "failing.db-journal").exists()


def test_another_run_recorded_while_the_lanes_ran_turns_the_copy_into_a_later_runs_recording(
        synthetic, tmp_path, monkeypatch):
    """Between the run's two transactions another process may write: a run of one check, say.
    The built findings are then recorded as any later run records, against what is there."""
    def another_run_meanwhile(conn, **kwargs):
        other = store.connect(tmp_path / "spread.db")
        run_checks(other, only=["DQ01", "GRE11"], today=TODAY, actor="other", lanes=1)
        other.conn.close()
        return journal.rollback_journal(conn, **kwargs)

    alone, spread = copy(synthetic, tmp_path / "alone.db"), copy(synthetic, tmp_path / "spread.db")
    run_checks(alone, only=["DQ01", "GRE11"], today=TODAY, actor="other", lanes=1)
    one = run_checks(alone, only=SOME, today=TODAY, actor="test", lanes=1)
    monkeypatch.setattr(run, "rollback_journal", another_run_meanwhile)
    two = run_checks(spread, only=SOME, today=TODAY, actor="test", lanes=2)
    assert (two.run_id, two.new, two.resolved) == (one.run_id, one.new, one.resolved) == ("run-20261121-002",
                                                                                          one.new, 0)
    assert recorded(spread) == recorded(alone)
    assert spread.conn.execute("SELECT id, found, new FROM check_runs ORDER BY id").fetchall() == \
        alone.conn.execute("SELECT id, found, new FROM check_runs ORDER BY id").fetchall()
    assert build_folders(tmp_path / "spread.db") == []


# A first run in a process of its own, with a page cache of a few pages so that the copied
# findings reach the file before the commit; it says so once they are copied, then waits to be
# killed, reading its standard input.
KILLED_RUN = textwrap.dedent("""
    import sys
    from datetime import date
    from checks import findings_build, run
    from registry import db as store

    run.CACHE_KIB = 64
    real_copy_in = findings_build.FindingsBuild.copy_in

    def copy_in(build):
        copied = real_copy_in(build)
        print(build.db.conn.execute("PRAGMA journal_mode").fetchone()[0], copied, flush=True)
        sys.stdin.read()

    findings_build.FindingsBuild.copy_in = copy_in
    db = store.connect(sys.argv[1])
    db.conn.execute("PRAGMA cache_size = 8")
    run.run_checks(db, only=sys.argv[2].split(","), today=date(2026, 11, 21), actor="killed", lanes=2)
""")


def test_a_first_run_killed_while_copying_leaves_the_registry_as_it_was(synthetic, tmp_path):
    path = tmp_path / "killed.db"
    copy(synthetic, path).conn.close()
    size_before = path.stat().st_size
    # its lanes' folder, which a killed run leaves behind, in the test's own
    env = {**os.environ, "PYTHONPATH": str(Path.cwd()), "TMPDIR": str(tmp_path)}
    killed = subprocess.Popen([sys.executable, "-c", KILLED_RUN, str(path), ",".join(SOME)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert killed.stdout is not None
        mode, copied = killed.stdout.readline().split()
        assert mode == "delete" and int(copied) > 500
        assert Path(f"{path}-journal").exists() and path.stat().st_size > size_before  # in the file itself
    finally:
        os.kill(killed.pid, signal.SIGKILL)
        killed.wait()
    db = store.connect(path)  # rolls the interrupted copy back
    assert db.conn.execute("SELECT count(*) FROM findings").fetchone()[0] == 0
    assert db.conn.execute("SELECT count(*) FROM check_runs").fetchone()[0] == 0
    assert db.conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert db.conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert not Path(f"{path}-journal").exists()
    db.conn.close()


def test_with_a_reader_on_the_registry_the_copy_keeps_the_write_ahead_log(synthetic, tmp_path, monkeypatch):
    """A server reading the registry meanwhile: the copy keeps WAL mode, so the reader never waits."""
    modes = []

    def copy_in(build):
        modes.append(build.db.conn.execute("PRAGMA main.journal_mode").fetchone()[0])
        return real_copy_in(build)

    real_copy_in = findings_build.FindingsBuild.copy_in
    monkeypatch.setattr(findings_build.FindingsBuild, "copy_in", copy_in)
    db = copy(synthetic, tmp_path / "served.db")
    reader = store.connect(tmp_path / "served.db", read_only=True)
    result = run_checks(db, only=SOME, today=TODAY, actor="test", lanes=2)
    assert modes == ["wal"] and result.new > 500
    assert reader.conn.execute("SELECT count(*) FROM findings").fetchone() == (result.new,)
    reader.conn.close()
