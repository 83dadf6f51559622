"""A table's facet counts are kept per version of the registry (registry/plugins/registry_kept_answers.py):
counted once, shown again until anything is committed, counted again after an edit through the
internal face's form and after a write by another program, with the same counts Datasette gives."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from test_forms import PASSWORDS, Browser
from test_publish import build_registry

from registry import api, faces
from registry.kept_answers import kept_answers

AGREEMENT = "ex-lodz-erasmus"


@pytest.fixture(scope="module")
def registry_file(tmp_path_factory) -> Path:
    path = build_registry(tmp_path_factory.mktemp("facets") / "registry.db")
    api.user_add("eddie", role="editor", password=PASSWORDS["eddie"], db_path=path, actor="setup")
    return path


@pytest.fixture(scope="module")
def internal(registry_file):
    return faces.internal_face(registry_file).datasette()


def status_counts(browser: Browser) -> dict[str, int]:
    page = browser.get("/registry/agreements.json")
    assert page.status_code == 200, page.text
    return {facet["value"]: facet["count"] for facet in page.json()["facet_results"]["status"]["results"]}


def counted_in_sql(registry_file: Path) -> dict[str, int]:
    conn = sqlite3.connect(registry_file)
    try:
        return dict(conn.execute("SELECT status, count(*) FROM agreements WHERE status IS NOT NULL GROUP BY status"))
    finally:
        conn.close()


def test_counts_are_counted_once_until_something_is_committed(internal, registry_file):
    eddie = Browser(internal, "eddie")
    kept = kept_answers(internal)
    first = status_counts(eddie)
    assert first == counted_in_sql(registry_file)
    counted, reused = kept.counted, kept.reused
    assert status_counts(eddie) == first
    assert kept.counted == counted and kept.reused > reused  # the same counts, not counted again
    conn = sqlite3.connect(registry_file)  # any commit, even one that changes no agreement
    conn.execute("CREATE TABLE scratch_for_the_test (x)")
    conn.commit()
    conn.close()
    assert status_counts(eddie) == first
    assert kept.counted > counted


def test_an_edit_through_the_form_changes_the_count(internal, registry_file):
    eddie = Browser(internal, "eddie")
    before = status_counts(eddie)
    assert eddie.post(f"/-/agreements/{AGREEMENT}/status", {"status": "suspended"}).status_code == 302
    after = status_counts(eddie)
    assert after == counted_in_sql(registry_file)
    assert after["active"] == before["active"] - 1
    assert after["suspended"] == before.get("suspended", 0) + 1
    html = eddie.get("/registry/agreements").text  # the page shows the new counts too
    assert f'status=suspended">Suspended</a> {after["suspended"]}</li>' in html


def test_a_write_by_another_program_changes_the_count(internal, registry_file):
    eddie = Browser(internal, "eddie")
    before = status_counts(eddie)
    conn = sqlite3.connect(registry_file)
    conn.execute("UPDATE agreements SET status = 'terminated' WHERE status = 'active'")
    conn.commit()
    conn.close()
    after = status_counts(eddie)
    assert after == counted_in_sql(registry_file) != before
    assert "active" not in after


def test_filtered_counts_are_kept_apart(internal, registry_file):
    eddie = Browser(internal, "eddie")
    everything = status_counts(eddie)
    page = eddie.get("/registry/agreements.json?status=terminated")
    assert {f["value"]: f["count"] for f in page.json()["facet_results"]["status"]["results"]} == {
        "terminated": everything["terminated"]}
