"""Canned queries on a registry built in bulk use the indexes that keep them fast at scale.

Timed assertions would be flaky; query plans are not. Without planner statistics SQLite once
looked mobility terms up by category (a third of the table per agreement), so a canned query
took minutes on 100,000 agreements instead of milliseconds.
"""

from __future__ import annotations

import pytest
from conftest import copy_registry

from registry import db as store
from registry.serve import build_metadata


@pytest.fixture(scope="module")
def bulk_registry(tmp_path_factory, synthetic_registry_file):
    db = store.open_registry(copy_registry(synthetic_registry_file, tmp_path_factory.mktemp("plans") / "registry.db"))
    yield db
    db.conn.close()


def plan(db, sql, params):
    return [row[3] for row in db.conn.execute("EXPLAIN QUERY PLAN " + sql, params)]


def test_a_bulk_write_leaves_planner_statistics(bulk_registry):
    analysed = {row[0] for row in bulk_registry.conn.execute("SELECT tbl FROM sqlite_stat1")}
    assert {"agreements", "mobility_terms", "mobility_flows", "agreement_parties"} <= analysed


@pytest.mark.parametrize("name", ["expiring", "programme_portfolio", "teacher_mobility_gaps", "unused_agreements"])
def test_canned_queries_look_children_up_by_agreement(bulk_registry, name):
    sql = build_metadata()["databases"]["registry"]["queries"][name]["sql"]
    steps = plan(bulk_registry, sql, {"months": 6, "unit": "", "programme": "medicine", "years": 3, "_page_size": 50, "_page_offset": 0})
    # agreements are read through an index (in ends_on order, up to the LIMIT), never scanned bare
    assert not any(step in ("SCAN a", "SCAN o") for step in steps), steps
    for child in ("t", "f"):
        lookups = [s for s in steps if s.startswith(f"SEARCH {child} ")]
        assert all("agreement=?" in s for s in lookups), lookups
    # the page's agreements come dated ones first, in (ends_on, id) order straight from the
    # index, so nothing but the page itself is sorted whole: "order by ends_on is null" sorted
    # every active agreement, and an index without the id sorted each day's agreements
    first = next(i for i, s in enumerate(steps) if s.startswith(("SEARCH a ", "SCAN a ")))
    assert "idx_agreements_status_ends_on_id_kind (status=? AND ends_on>?" in steps[first], steps
    page = steps.index("SCAN picked")
    assert "USE TEMP B-TREE FOR ORDER BY" not in steps[:page], steps


def test_the_erasmus_iias_page_reads_agreements_in_title_order_from_the_index(bulk_registry):
    sql = build_metadata()["databases"]["registry"]["queries"]["erasmus_iias"]["sql"]
    steps = plan(bulk_registry, sql, {"_page_size": 50, "_page_offset": 0})
    reads = [s for s in steps if s.startswith(("SEARCH a ", "SCAN a "))]
    assert reads[:2] == ["SEARCH a USING COVERING INDEX idx_agreements_kind_title_id (kind=?)"] * 2, steps
    # only partners of one agreement are sorted among themselves before the page is cut
    assert "USE TEMP B-TREE FOR ORDER BY" not in steps[:steps.index("SCAN picked")], steps


@pytest.fixture(scope="module")
def checked_registry(bulk_registry):
    from checks.run import run_checks

    run_checks(bulk_registry, actor="tester")  # findings arrive after the bulk write's statistics
    return bulk_registry


def test_a_partners_findings_are_read_through_their_subject(checked_registry):
    from registry.plugins.registry_pages import PROFILE_QUERIES

    partner = checked_registry.conn.execute("SELECT institution FROM agreement_parties WHERE role IS NOT 'home' LIMIT 1").fetchone()[0]
    risk = build_metadata()["databases"]["registry"]["queries"]["partner_risk"]["sql"]
    for sql in (risk, PROFILE_QUERIES["findings"][2]):
        steps = plan(checked_registry, sql, {"institution": partner, "id": partner})
        lookups = [s for s in steps if s.startswith("SEARCH f USING") or s.startswith("SCAN f")]
        finding_lookups = [s for s in lookups if "findings" in s or "subject_id" in s or s == "SCAN f"]
        assert finding_lookups and all("subject_id=?" in s for s in finding_lookups), steps


def test_open_findings_pages_read_findings_in_order(checked_registry):
    sql = build_metadata()["databases"]["registry"]["queries"]["open_findings"]["sql"]
    steps = plan(checked_registry, sql, {"severity": "", "family": "", "_page_size": 50, "_page_offset": 0})
    scans = [s for s in steps if "findings" in s or s.startswith(("SCAN f", "SEARCH f"))]
    assert all("idx_findings_status_severity_id" in s or "sqlite_autoindex_findings_1" in s for s in scans), steps
    assert not any("TEMP B-TREE FOR ORDER BY" in s for s in steps[: len(steps) - 1]), steps


@pytest.mark.parametrize("findings_analysed", [False, True])
def test_the_erasmus_iias_page_reads_only_its_own_agreements_findings(checked_registry, findings_analysed):
    """With statistics on findings (any later ANALYZE: a bulk import, a migration) the planner
    flattened the gaps into the page's join and filtered every DQ30 finding through a Bloom filter
    on each request (100 ms at 200,000 agreements), where without them it read the page's own."""
    conn = checked_registry.conn
    if findings_analysed:
        conn.execute("ANALYZE findings")
    try:
        assert ("findings" in {row[0] for row in conn.execute("SELECT tbl FROM sqlite_stat1")}) is findings_analysed
        sql = build_metadata()["databases"]["registry"]["queries"]["erasmus_iias"]["sql"]
        steps = plan(checked_registry, sql, {"_page_size": 50, "_page_offset": 0})
        reads = [s for s in steps if s.startswith(("SEARCH f ", "SCAN f", "BLOOM FILTER ON f"))]
        assert reads and all(s == "SEARCH f USING INDEX idx_findings_subject_id (subject_id=?)" for s in reads), steps
    finally:
        conn.execute("DELETE FROM sqlite_stat1 WHERE tbl = 'findings'")
        conn.execute("ANALYZE sqlite_schema")  # the planner reads the statistics again: the other tests' plans stay


def test_refreshing_waivers_finds_the_waived_findings_by_index_not_by_reading_every_finding(checked_registry):
    from checks.run import _WAIVERS

    steps = plan(checked_registry, _WAIVERS, {"today": "2026-11-21"})
    assert "SEARCH f USING INDEX idx_findings_waiver (waiver>?)" in steps, steps
    assert not any(s.startswith(("SCAN findings", "SCAN f")) for s in steps), steps


def test_pl05_reads_the_audit_log_only_when_there_are_placement_periods(bulk_registry):
    from datetime import date

    from checks.context import Context, load_criteria
    from checks.registry import all_checks

    conn = bulk_registry.conn
    assert conn.execute("SELECT count(*) FROM placement_periods").fetchone()[0] == 0
    changes = conn.execute("SELECT count(*) FROM changes").fetchone()[0]
    spec = next(spec for spec in all_checks() if spec.code == "PL05")
    found = spec.function(Context(bulk_registry, load_criteria()[0], date(2026, 12, 5)))
    steps = []
    conn.set_progress_handler(lambda: steps.append(1), 100)  # every 100 virtual machine instructions
    try:
        assert conn.execute(f"SELECT count(*) FROM ({found.sql})", found.params).fetchone()[0] == 0
    finally:
        conn.set_progress_handler(None, 0)
    # reading the log would take several instructions a change; the guard takes a handful in all
    assert changes > 10_000 and len(steps) * 100 < changes / 10, (len(steps), changes)


def test_the_registry_today_is_read_once_per_statement_not_per_row(bulk_registry, monkeypatch):
    """A view that counts days to today over every agreement calls back into Python once, not 1,500 times."""
    from registry import clock

    calls = []
    real_today = clock.today

    def counted():
        calls.append(1)
        return real_today()

    monkeypatch.setattr(clock, "today", counted)
    rows = bulk_registry.conn.execute("SELECT count(days_until_end) FROM agreement_overview").fetchone()[0]
    assert rows > 1000
    assert 1 <= len(calls) <= 2, f"registry_today() called {len(calls)} times for {rows} rows"
    bulk_registry.conn.execute("SELECT count(days_until_end) FROM agreement_overview").fetchone()
    assert len(calls) <= 4  # and afresh for the next statement


def test_screening_decisions_are_not_found_by_walking_every_institution(bulk_registry):
    sql = build_metadata()["databases"]["registry"]["queries"]["screening_decisions_made"]["sql"]
    steps = plan(bulk_registry, sql, {})
    assert not any(step.startswith("SCAN i") for step in steps), steps


def test_the_risk_profile_reads_one_partner_not_every_institution_or_every_match(bulk_registry):
    sql = build_metadata()["databases"]["registry"]["queries"]["partner_risk"]["sql"]
    # The empty form (the page as first opened) names no partner: "name like '%%'" sorted every
    # institution by name to show the first, a cost that grew with the registry.
    assert bulk_registry.conn.execute(sql, {"institution": ""}).fetchall() == []
    partner = bulk_registry.conn.execute("SELECT institution FROM agreement_parties WHERE role IS NOT 'home' LIMIT 1").fetchone()[0]
    steps = plan(bulk_registry, sql, {"institution": partner})
    matches = [s for s in steps if "risk_matches" in s]
    assert matches and all("(institution=?)" in s for s in matches) and "SCAN m" not in steps, steps


def test_search_reads_its_hits_by_rowid_and_counts_no_further_than_the_cap(bulk_registry):
    from registry.plugins.registry_pages import COUNT_AT_MOST, SEARCHES, _hit_rows

    for table, (fts, columns) in SEARCHES.items():
        steps = plan(bulk_registry, _hit_rows(table, columns), {"hits": "[1, 2, 3]"})
        # only the page's hits are walked (and sorted back into their order), each row found by rowid
        assert steps[:2] == ["SCAN h VIRTUAL TABLE INDEX 1:", "SEARCH i USING INTEGER PRIMARY KEY (rowid=?)"], steps
        # matches in rowid order straight from the full-text index: nothing sorted, so the LIMIT stops it
        first = plan(bulk_registry, f"select rowid from {fts} where {fts} match :q order by rowid limit :most",
                     {"q": '"university"*', "most": COUNT_AT_MOST + 1})
        assert len(first) == 1 and first[0].startswith(f"SCAN {fts} VIRTUAL TABLE INDEX "), first
        assert int(first[0].split("INDEX ")[1].split(":")[0]) & 0x40, first  # FTS5_BI_ORDER_ROWID: FTS5 gives the order itself


def test_a_query_pages_links_are_looked_up_by_key_in_one_query_per_table(bulk_registry):
    from registry.plugins import registry_agreement

    statements = []
    bulk_registry.conn.set_trace_callback(statements.append)
    try:
        some = [row[0] for row in bulk_registry.conn.execute("select id from agreements limit 3")]
        found = registry_agreement._existing(bulk_registry.conn, {"agreements": {*some, "no-such-agreement"}, "institutions": {some[0]}})
    finally:
        bulk_registry.conn.set_trace_callback(None)
    assert found == {"agreements": set(some), "institutions": set()}
    assert len(statements) == 3  # the ids above, then one per table
    for table in ("agreements", "institutions"):
        steps = plan(bulk_registry, f"select id from {table} where id in (select value from json_each(?))", ["[]"])
        assert any(s.startswith(f"SEARCH {table} USING ") and "(id=?)" in s for s in steps), steps
        assert not any(s.startswith(f"SCAN {table}") for s in steps), steps
