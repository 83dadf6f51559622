"""The agreements' search index made on the second connection while the copy is built
(``registry.publish._index_beside``): taken only when it holds the rows the copy's own transaction
would take, so the copy is the one made without it, and never when an agreement was left out after
it was copied (FTS5 would keep its words) or the registry changed between the two reads."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from registry import publish as publishing
from tests.conftest import copy_registry
from tests.test_publish_stored_search import _content, name_a_published_partner

BESIDE_THREAD = "publish-copy-beside"


def _record_holds(monkeypatch) -> list[bool]:
    decided: list[bool] = []
    holds = publishing._indexed_beside_holds
    monkeypatch.setattr(publishing, "_indexed_beside_holds", lambda *args: decided.append(holds(*args)) or decided[-1])
    return decided


def _same(path: Path, expected: Path) -> None:
    copied, made = _content(path), _content(expected)
    assert copied.keys() == made.keys()
    for name in made:
        assert copied[name] == made[name], name


@pytest.mark.parametrize("example", ["demo_registry_file", "synthetic_registry_file"])
def test_the_index_made_beside_is_taken_and_the_copy_is_the_one_made_without_it(example, request, tmp_path, monkeypatch):
    registry = copy_registry(request.getfixturevalue(example), tmp_path / "registry.db")
    decided = _record_holds(monkeypatch)
    publication = publishing.publish(registry, tmp_path / "beside.db")
    assert decided == [True]
    assert publication.withheld.get("agreements", 0) > 0  # confidential ones were never indexed
    monkeypatch.setattr(publishing, "_index_beside", lambda *args: False)
    publishing.publish(registry, tmp_path / "in-place.db")
    assert decided == [True, False]
    _same(tmp_path / "beside.db", tmp_path / "in-place.db")


def test_an_agreement_left_out_after_it_was_copied_leaves_the_index_made_beside_unused(demo_registry_file, tmp_path, monkeypatch):
    registry = copy_registry(demo_registry_file, tmp_path / "registry.db")
    drop = publishing._drop_unpublishable
    gone: list[str] = []

    def drop_one_more(conn, tables, enforced):
        drop(conn, tables, enforced)
        gone.append(conn.execute("SELECT title FROM main.agreements ORDER BY rowid DESC LIMIT 1").fetchone()[0])
        conn.execute("DELETE FROM main.agreements WHERE rowid = (SELECT max(rowid) FROM main.agreements)")

    monkeypatch.setattr(publishing, "_drop_unpublishable", drop_one_more)
    decided = _record_holds(monkeypatch)
    publishing.publish(registry, tmp_path / "public.db")
    assert decided == [False]
    conn = sqlite3.connect(tmp_path / "public.db")
    assert conn.execute("SELECT count(*) FROM agreements_fts WHERE title = ?", gone).fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM agreements_fts").fetchone()[0] == \
        conn.execute("SELECT count(*) FROM agreements").fetchone()[0]
    monkeypatch.setattr(publishing, "_index_beside", lambda *args: False)
    publishing.publish(registry, tmp_path / "in-place.db")
    _same(tmp_path / "public.db", tmp_path / "in-place.db")


def test_a_change_to_the_registry_while_publishing_leaves_the_index_made_beside_unused(demo_registry_file, tmp_path, monkeypatch):
    registry = copy_registry(demo_registry_file, tmp_path / "registry.db")
    hold = publishing._registry_rows_hold

    def change_then_hold(conn, withheld):
        # On the worker, after the copy's transaction began reading the registry: a name of a
        # partner of published agreements (its triggers write it into their search rows) the copy
        # must not show, in its rows or its search.
        if threading.current_thread().name == BESIDE_THREAD:
            writer = sqlite3.connect(registry, isolation_level=None)
            name_a_published_partner(writer, "Quorvantic Polytechnic")
            writer.close()
        return hold(conn, withheld)

    monkeypatch.setattr(publishing, "_registry_rows_hold", change_then_hold)
    decided = _record_holds(monkeypatch)
    publishing.publish(registry, tmp_path / "public.db")
    assert decided == [False]
    conn = sqlite3.connect(tmp_path / "public.db")
    assert conn.execute("SELECT count(*) FROM institution_names WHERE name LIKE 'Quorvantic%'").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM agreements_fts WHERE agreements_fts MATCH 'quorvantic'").fetchone()[0] == 0
    # ... which the registry's search rows do show now: what the index beside would have read.
    source = sqlite3.connect(registry)
    assert source.execute("SELECT count(*) FROM agreements_fts WHERE agreements_fts MATCH 'quorvantic'").fetchone()[0] > 0
