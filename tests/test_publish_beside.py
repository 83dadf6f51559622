"""The public tables copied on a second connection into a file of their own, then transferred into the copy."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from pathlib import Path

import pytest

from registry import db as store
from registry import publish as publishing
from tests.conftest import copy_registry

BESIDE_THREAD = "publish-copy-beside"


def _tables(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table of the copy but its search tables and statistics, in rowid order."""
    conn = sqlite3.connect(path)
    names = [name for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '%fts%' AND name NOT LIKE 'sqlite_stat%'")]
    return {name: conn.execute(f"SELECT rowid, * FROM {name} ORDER BY rowid").fetchall() for name in names}


def test_tables_copied_beside_hold_the_rows_copied_in_place(demo_registry_file, tmp_path, monkeypatch):
    beside = tmp_path / "beside.db"
    publication = publishing.publish(demo_registry_file, beside)
    monkeypatch.setattr(publishing, "BESIDE_TABLES", frozenset())
    in_place = tmp_path / "in-place.db"
    publishing.publish(demo_registry_file, in_place)
    # Terms of confidential agreements are left out while copying beside: a difference would show.
    assert publication.withheld.get("mobility_terms", 0) > 0 and publication.rows["mobility_terms"] > 0
    copied, expected = _tables(beside), _tables(in_place)
    for rows in (copied, expected):
        rows["publication"] = [row[:2] + row[3:] for row in rows["publication"]]  # published_at: when
    assert copied.keys() == expected.keys() and set(publishing.BESIDE_TABLES) < set(copied)
    for name in copied:
        assert copied[name] == expected[name], name
    conn = sqlite3.connect(beside)
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    # The transfer brought the indexes' entries with the rows: each index answers for every row.
    for table in publishing.BESIDE_TABLES:
        indexes = [name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?", [table])]
        assert indexes, table
        count = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        for index in indexes:
            assert conn.execute(f"SELECT count(*) FROM {table} INDEXED BY {index}").fetchone()[0] == count


def test_a_failing_copy_beside_fails_the_publish_and_leaves_the_old_copy(demo_registry_file, tmp_path, monkeypatch):
    out = tmp_path / "public.db"
    publishing.publish(demo_registry_file, out)
    before = out.read_bytes()
    copy_rows = publishing._copy_rows

    def failing_beside(conn, entry, spec, copied):
        if threading.current_thread().name == BESIDE_THREAD and spec.name == "mobility_terms":
            conn.execute("SELECT no_such_function()")
        return copy_rows(conn, entry, spec, copied)

    monkeypatch.setattr(publishing, "_copy_rows", failing_beside)
    with pytest.raises(sqlite3.OperationalError, match="no_such_function"):
        publishing.publish(demo_registry_file, out)
    assert out.read_bytes() == before
    # Neither the copy being built nor the file copied beside it is left behind.
    assert sorted(p.name for p in tmp_path.iterdir()) == [".public.db.lock", "public.db"]


def _damage(path: Path, table: str) -> None:
    """Overwrite the middle of each page of ``table`` (whose rows are copied beside)."""
    conn = sqlite3.connect(path)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    pages = [page for (page,) in conn.execute("SELECT pageno FROM dbstat WHERE name = ? ORDER BY pageno", [table])]
    conn.close()
    with path.open("r+b") as file:
        for page in pages:
            file.seek((page - 1) * page_size + page_size // 4)
            file.write(bytes([0xA5]) * (page_size // 2))


def test_a_registry_damaged_where_rows_are_copied_beside_is_refused_and_the_old_copy_kept(demo_registry_file, tmp_path):
    if "mobility_terms" not in publishing.BESIDE_TABLES:
        pytest.skip("mobility_terms is not copied beside")
    registry = tmp_path / "registry" / "registry.db"
    registry.parent.mkdir()
    shutil.copyfile(demo_registry_file, registry)
    out = tmp_path / "public" / "public.db"
    out.parent.mkdir()
    publishing.publish(registry, out)
    before = out.read_bytes()
    try:
        _damage(registry, "mobility_terms")
    except sqlite3.OperationalError:
        pytest.skip("this SQLite has no dbstat")
    with pytest.raises(store.DamagedFile, match="is damaged"):
        publishing.publish(registry, out)
    assert out.read_bytes() == before
    assert sorted(p.name for p in out.parent.iterdir()) == [".public.db.lock", "public.db"]


def test_a_registry_changed_before_the_copy_beside_read_it_is_copied_as_the_copy_read_it(demo_registry_file, tmp_path, monkeypatch):
    registry = copy_registry(demo_registry_file, tmp_path / "registry.db")
    publishing.publish(registry, tmp_path / "before.db")
    prepare = publishing._prepare_copy_file

    def change_then_prepare(conn, source_path, cache_kib):
        # On the worker, after the copy's transaction began reading the registry: a published
        # agreement's mobility terms deleted (a table copied beside).
        if threading.current_thread().name == BESIDE_THREAD:
            writer = sqlite3.connect(registry, isolation_level=None)
            writer.execute("DELETE FROM mobility_terms WHERE agreement = (SELECT t.agreement FROM mobility_terms t "
                           "JOIN agreements a ON a.id = t.agreement WHERE a.confidential = 0 AND a.status = 'active' "
                           "ORDER BY t.rowid LIMIT 1)")
            writer.close()
        return prepare(conn, source_path, cache_kib)

    monkeypatch.setattr(publishing, "_prepare_copy_file", change_then_prepare)
    publishing.publish(registry, tmp_path / "during.db")
    copied, expected = _tables(tmp_path / "during.db"), _tables(tmp_path / "before.db")
    for rows in (copied, expected):
        rows["publication"] = [row[:2] + row[3:] for row in rows["publication"]]
    assert copied == expected
    monkeypatch.undo()
    publishing.publish(registry, tmp_path / "after.db")
    assert len(_tables(tmp_path / "after.db")["mobility_terms"]) < len(expected["mobility_terms"])
