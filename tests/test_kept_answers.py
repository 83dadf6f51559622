"""A table's facet counts and row count, a canned list's query and rows, and a search are read once per
version of the registry (registry/kept_answers.py): shown again from memory until anything is committed,
read again after an edit through the internal face's form or a write by another program, with the same
answers Datasette gives, kept apart by their parameters, the page, the registry's today and the language;
a query that reads the clock or chance is never kept."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from test_forms import PASSWORDS, Browser
from test_publish import build_registry

from registry import api, clock, faces
from registry.kept_answers import kept_answers, steady

AGREEMENT = "ex-lodz-erasmus"
OTHER = "ex-gu-student-exchange"
EXPIRING = "/registry/expiring.json?months=600&_shape=objects"


@pytest.fixture(scope="module")
def registry_file(tmp_path_factory) -> Path:
    path = build_registry(tmp_path_factory.mktemp("kept") / "registry.db")
    api.user_add("eddie", role="editor", password=PASSWORDS["eddie"], db_path=path, actor="setup")
    return path


@pytest.fixture(scope="module")
def internal(registry_file):
    return faces.internal_face(registry_file).datasette()


def commit_elsewhere(registry_file: Path, sql: str, params=()) -> None:
    conn = sqlite3.connect(registry_file)
    conn.execute(sql, params)
    conn.commit()
    conn.close()


def two_ending(registry_file: Path) -> None:
    """Both agreements active and ending in six months (committed by another program)."""
    commit_elsewhere(registry_file, "UPDATE agreements SET status = 'active', ends_on = date(?, '+6 months') WHERE id IN (?, ?)",
                     (clock.today().isoformat(), AGREEMENT, OTHER))


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
    commit_elsewhere(registry_file, "CREATE TABLE scratch_for_the_test (x)")  # any commit, even one that changes no agreement
    assert status_counts(eddie) == first
    assert kept.counted > counted


def test_an_edit_through_the_form_changes_the_count(internal, registry_file):
    two_ending(registry_file)
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
    two_ending(registry_file)
    eddie = Browser(internal, "eddie")
    before = status_counts(eddie)
    commit_elsewhere(registry_file, "UPDATE agreements SET status = 'terminated' WHERE status = 'active'")
    after = status_counts(eddie)
    assert after == counted_in_sql(registry_file) != before
    assert "active" not in after


def test_filtered_counts_are_kept_apart(internal, registry_file):
    commit_elsewhere(registry_file, "UPDATE agreements SET status = 'terminated' WHERE id = ?", (OTHER,))
    eddie = Browser(internal, "eddie")
    everything = status_counts(eddie)
    page = eddie.get("/registry/agreements.json?status=terminated")
    assert {f["value"]: f["count"] for f in page.json()["facet_results"]["status"]["results"]} == {
        "terminated": everything["terminated"]}


def expiring(browser: Browser, path: str = EXPIRING) -> dict[str, str]:
    page = browser.get(path)
    assert page.status_code == 200, page.text
    return {row["id"]: row["ends_on"] for row in page.json()["rows"]}


def in_sql(registry_file: Path, months: int = 600) -> dict[str, str]:
    conn = sqlite3.connect(registry_file)
    try:
        return dict(conn.execute(
            "SELECT id, ends_on FROM agreements WHERE status = 'active' AND ends_on IS NOT NULL"
            " AND ends_on <= date(?, ?) AND kind NOT IN ('municipal_cooperation', 'twin_town')",
            (clock.today().isoformat(), f"+{months} months")))
    finally:
        conn.close()


def test_a_list_is_read_once_until_something_is_committed(internal, registry_file):
    two_ending(registry_file)
    eddie = Browser(internal, "eddie")
    kept = kept_answers(internal)
    first = expiring(eddie)
    assert first == in_sql(registry_file) and first
    counted, reused = kept.counted, kept.reused
    assert expiring(eddie) == first
    assert kept.counted == counted and kept.reused > reused  # the same rows, not read again
    commit_elsewhere(registry_file, "CREATE TABLE another_scratch_table (x)")  # any commit, even one no list reads
    assert expiring(eddie) == first
    assert kept.counted > counted


def test_an_edit_through_the_form_shows_in_the_list(internal, registry_file):
    two_ending(registry_file)
    eddie = Browser(internal, "eddie")
    assert AGREEMENT in expiring(eddie)
    assert eddie.post(f"/-/agreements/{AGREEMENT}/status", {"status": "suspended"}).status_code == 302
    after = expiring(eddie)
    assert AGREEMENT not in after
    assert after == in_sql(registry_file)
    assert AGREEMENT not in eddie.get("/registry/expiring?months=600").text  # the HTML page too


def test_a_write_by_another_program_shows_in_the_list(internal, registry_file):
    two_ending(registry_file)
    eddie = Browser(internal, "eddie")
    assert set(expiring(eddie)) == {AGREEMENT, OTHER}
    commit_elsewhere(registry_file, "UPDATE agreements SET ends_on = '2999-01-01' WHERE id = ?", (OTHER,))
    after = expiring(eddie)
    assert set(after) == {AGREEMENT} and after == in_sql(registry_file)


def test_parameters_page_and_today_are_kept_apart(internal, registry_file, monkeypatch):
    two_ending(registry_file)
    eddie = Browser(internal, "eddie")
    assert expiring(eddie, "/registry/expiring.json?months=0&_shape=objects") == in_sql(registry_file, 0)
    assert expiring(eddie) == in_sql(registry_file)
    whole = expiring(eddie, EXPIRING + "&_size=1")
    second = expiring(eddie, EXPIRING + "&_size=1&_page=2")  # a magic parameter: the page's offset
    assert len(whole) == len(second) == 1 and whole != second
    within_a_year = "/registry/expiring.json?months=12&_shape=objects"
    assert set(expiring(eddie, within_a_year)) == {AGREEMENT, OTHER}
    earlier = clock.today().replace(year=clock.today().year - 2)
    monkeypatch.setenv(clock.ENVIRONMENT_VARIABLE, earlier.isoformat())  # two years back neither ends within one
    assert expiring(eddie, within_a_year) == in_sql(registry_file, 12) == {}


def test_search_finds_what_another_program_committed(internal, registry_file):
    eddie = Browser(internal, "eddie")
    assert "Zyxwvut" not in eddie.get("/-/search?q=zyxwvut").text
    eddie.get("/-/search?q=zyxwvut")  # kept
    commit_elsewhere(registry_file, "UPDATE institutions SET name = 'Zyxwvut Academy' WHERE id = "
                                    "(SELECT institution FROM agreement_parties WHERE agreement = ? LIMIT 1)", (AGREEMENT,))
    assert "Zyxwvut Academy" in eddie.get("/-/search?q=zyxwvut").text


def test_queries_that_read_the_clock_or_chance_are_never_kept():
    assert steady("select * from agreements where ends_on <= date(registry_today(), '+' || :months || ' months')")
    assert steady("select '?', '$.x', 'now is the time' -- a ? in a comment")
    for unsteady in ("select date('now')", "select datetime( 'NOW', '-1 day')", "select date()", "select julianday()",
                     "select strftime('%Y')", "select random()", "select current_timestamp", "select changes()",
                     "select * from agreements where id = ?", "select * from agreements where id = @id"):
        assert not steady(unsteady), unsteady


def test_a_lists_rows_are_written_once_per_version_and_language(internal, registry_file, monkeypatch):
    """The rows of a kept answer are written once (registry.cell_hooks.ShownRows), with their links,
    and shown again as written until a commit; each language's own."""
    from registry import cell_hooks

    two_ending(registry_file)
    eddie = Browser(internal, "eddie")
    path = "/registry/expiring?months=600"
    first = {lang: eddie.get(f"{path}&_lang={lang}").text for lang in ("en", "sv")}
    written = []
    original = cell_hooks.query_display_rows
    monkeypatch.setattr(cell_hooks, "query_display_rows", lambda *args: written.append(args) or original(*args))
    again = {lang: eddie.get(f"{path}&_lang={lang}").text for lang in ("en", "sv")}
    assert written == []
    link = f'<a href="/registry/agreements/{AGREEMENT}">'
    for lang in ("en", "sv"):
        assert link in again[lang] and again[lang].split("<footer")[0] == first[lang].split("<footer")[0]
    assert first["en"].split("<footer")[0] != first["sv"].split("<footer")[0]
    commit_elsewhere(registry_file, "UPDATE agreements SET title = 'A <renamed> agreement' WHERE id = ?", (AGREEMENT,))
    renamed = eddie.get(f"{path}&_lang=en").text
    assert len(written) == 1 and "A &lt;renamed&gt; agreement" in renamed


def test_a_tables_count_is_kept_until_something_is_committed(internal, registry_file):
    eddie = Browser(internal, "eddie")

    def counted() -> int:
        page = eddie.get("/registry/agreements.json?_size=1")
        assert page.status_code == 200, page.text
        return page.json()["filtered_table_rows_count"]

    def counts_kept() -> int:
        return sum(1 for key in kept_answers(internal).answers
                   if key[0] == "query" and key[2].startswith("select count(*) from agreements"))

    kept_answers(internal).answers.clear()  # the facet tests' pages counted the table too
    before = counted()
    assert counts_kept() == 1
    assert counted() == before and counts_kept() == 1
    commit_elsewhere(registry_file, "INSERT INTO agreements (id, title, kind, status) SELECT id || '-copy', title, kind, status"
                                    " FROM agreements WHERE id = ?", (AGREEMENT,))
    assert counted() == before + 1 and counts_kept() == 2  # under the new version


def test_a_long_answer_is_never_kept(internal, registry_file, monkeypatch):
    from registry import kept_answers as kept_module

    two_ending(registry_file)
    monkeypatch.setattr(kept_module, "MOST_ROWS", 1)
    eddie = Browser(internal, "eddie")
    kept = kept_answers(internal)
    kept.answers.clear()
    assert set(expiring(eddie)) == {AGREEMENT, OTHER}
    assert expiring(eddie, EXPIRING + "&_size=1") == expiring(eddie, EXPIRING + "&_size=1")
    assert [key[0] for key in kept.answers] == ["query"]  # the one-row page, not the two-row one
