"""Canned queries on a registry built in bulk use the indexes that keep them fast at scale.

Timed assertions would be flaky; query plans are not. Without planner statistics SQLite once
looked mobility terms up by category (a third of the table per agreement), so a canned query
took minutes on 100,000 agreements instead of milliseconds.
"""

from __future__ import annotations

import pytest

from benchmarks.synth import build_synthetic
from registry.serve import build_metadata


@pytest.fixture(scope="module")
def bulk_registry(tmp_path_factory):
    db = build_synthetic(tmp_path_factory.mktemp("plans") / "registry.db", institutions=300, agreements=1500)
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
    steps = plan(bulk_registry, sql, {"months": 6, "programme": "medicine", "years": 3, "_page_size": 50, "_page_offset": 0})
    # agreements are read through an index (in ends_on order, up to the LIMIT), never scanned bare
    assert not any(step in ("SCAN a", "SCAN o") for step in steps), steps
    for child in ("t", "f"):
        lookups = [s for s in steps if s.startswith(f"SEARCH {child} ")]
        assert all("agreement=?" in s for s in lookups), lookups
