"""The public copy's agreements' search rows taken from the registry's own (``registry.publish._take_search_rows``):
the copy is the one made from its own tables, row for row, whatever changed in the registry since its
search rows were first made, and the rows are made as before when the registry's cannot be trusted."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from registry import publish as publishing
from tests.conftest import copy_registry


def _content(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table of the public copy in rowid order (the search tables' rows and their
    terms, the FTS5 vocabulary, not how FTS5 lays its segments out), but when it was published."""
    conn = sqlite3.connect(path)
    names = [name for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '%fts_%' AND name NOT LIKE 'sqlite_stat%'")]
    content = {name: conn.execute(f"SELECT rowid, * FROM {name} ORDER BY rowid").fetchall() for name in names}
    content["publication"] = [row[:2] + row[3:] for row in content["publication"]]
    for table in ("agreements_fts", "institutions_fts"):
        conn.execute(f"CREATE VIRTUAL TABLE temp.{table}_terms USING fts5vocab(main, {table}, 'instance')")
        content[f"{table} terms"] = conn.execute(f"SELECT * FROM temp.{table}_terms ORDER BY 1, 2, 3, 4").fetchall()
    conn.close()
    return content


def _edit_after_the_search_rows(registry: Path) -> None:
    """What the triggers must carry into the registry's search rows: a name given to a partner of
    published agreements after them, and new words of every vocabulary the search reads."""
    conn = sqlite3.connect(registry, isolation_level=None)
    name_a_published_partner(conn, "Glimmerdale Polytechnic")
    conn.execute("UPDATE labels SET words = words || ' zorblat' WHERE vocabulary IN "
                 "('country', 'agreement_kind', 'isced', 'institution_kind', 'degree_kind', 'medical_faculty')")
    conn.close()


@pytest.mark.parametrize("example", ["demo_registry_file", "synthetic_registry_file"])
def test_the_copy_from_the_registrys_search_rows_is_the_copy_made_from_its_tables(example, request, tmp_path, monkeypatch):
    registry = copy_registry(request.getfixturevalue(example), tmp_path / "registry.db")
    _edit_after_the_search_rows(registry)
    taken: list[Path] = []
    take = publishing._take_search_rows
    monkeypatch.setattr(publishing, "_take_search_rows", lambda conn, *rest: taken.append(registry) or take(conn, *rest))
    publication = publishing.publish(registry, tmp_path / "taken.db")
    assert taken == [registry]
    # Confidential agreements and their terms were left out: their rows must not be what is taken.
    assert publication.withheld.get("agreements", 0) > 0
    monkeypatch.setattr(publishing, "_registry_rows_hold", lambda *args: False)
    publishing.publish(registry, tmp_path / "made.db")
    assert len(taken) == 1
    copied, made = _content(tmp_path / "taken.db"), _content(tmp_path / "made.db")
    assert copied.keys() == made.keys()
    for name in made:
        assert copied[name] == made[name], name
    conn = sqlite3.connect(tmp_path / "taken.db")
    # Found by the name and the words given after the registry's rows were first made.
    assert conn.execute("SELECT count(*) FROM agreements_fts WHERE agreements_fts MATCH 'glimmerdale'").fetchone()[0] > 0
    assert conn.execute("SELECT count(*) FROM agreements_fts WHERE agreements_fts MATCH 'zorblat'").fetchone()[0] == \
        conn.execute("SELECT count(*) FROM agreements").fetchone()[0]  # every agreement's kind has the word
    # Nothing private of the registry's rows: its notes and the office's codes are not in the copy's.
    assert conn.execute("SELECT count(*) FROM agreements_fts WHERE notes IS NOT NULL").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM agreements_fts f JOIN agreements a ON a.rowid = f.rowid "
                        "WHERE f.title IS NOT a.title").fetchone()[0] == 0


def test_rows_are_made_when_the_registrys_search_triggers_are_not_this_releases(demo_registry_file, tmp_path, monkeypatch):
    registry = copy_registry(demo_registry_file, tmp_path / "registry.db")
    conn = sqlite3.connect(registry, isolation_level=None)
    conn.execute("DROP TRIGGER labels_fts_update")  # a label changed now would leave the rows stale
    conn.execute("UPDATE labels SET words = words || ' zorblat' WHERE vocabulary = 'agreement_kind'")
    conn.close()
    taken: list[Path] = []
    monkeypatch.setattr(publishing, "_take_search_rows", lambda conn, *rest: taken.append(registry))
    publishing.publish(registry, tmp_path / "public.db")
    assert taken == []
    public = sqlite3.connect(tmp_path / "public.db")
    assert public.execute("SELECT count(*) FROM agreements_fts WHERE agreements_fts MATCH 'zorblat'").fetchone()[0] > 0


def _holds(registry: Path, withheld: dict[str, int] | None = None) -> bool:
    conn = sqlite3.connect(registry)
    conn.execute("ATTACH DATABASE ? AS src", [str(registry)])
    try:
        return publishing._registry_rows_hold(conn, publishing.Counter(withheld or {}))
    finally:
        conn.close()


def test_rows_are_made_when_a_table_they_read_is_not_published_whole(demo_registry_file, tmp_path, monkeypatch):
    registry = copy_registry(demo_registry_file, tmp_path / "registry.db")
    entries = [publishing.PublicTable("networks", where="t.id <> ''") if entry.table == "networks" else entry
               for entry in publishing.PUBLIC_TABLES]
    monkeypatch.setattr(publishing, "PUBLIC_TABLES", tuple(entries))
    assert not _holds(registry)
    monkeypatch.setattr(publishing, "PUBLIC_TABLES", tuple(entry for entry in entries if entry.table != "memberships"))
    assert not _holds(registry)
    without_role = [publishing.PublicTable("agreement_parties", columns=("agreement", "institution"))
                    if entry.table == "agreement_parties" else entry for entry in publishing.PUBLIC_TABLES]
    monkeypatch.setattr(publishing, "PUBLIC_TABLES", tuple(without_role))
    assert not _holds(registry)
    monkeypatch.undo()  # the partners' parties without their units, which no row reads
    assert _holds(registry)
    assert not _holds(registry, {"programmes": 1})
    assert _holds(registry, {"agreement_programmes": 1, "institution_names": 3, "agreements": 2})


def name_a_published_partner(conn: sqlite3.Connection, name: str) -> None:
    """Give the first partner of an active, not confidential agreement (so a published one) the alias ``name``:
    its triggers write it into the search rows of the partner's agreements."""
    partner = conn.execute(
        "SELECT p.institution FROM agreement_parties p JOIN agreements a ON a.id = p.agreement "
        "JOIN institutions i ON i.id = p.institution WHERE i.is_home = 0 AND a.confidential = 0 "
        "AND a.status = 'active' ORDER BY p.institution LIMIT 1").fetchone()[0]
    conn.execute("INSERT INTO institution_names (institution, name, kind, name_folded) VALUES (?, ?, 'alias', ?)",
                 [partner, name, name.lower()])
