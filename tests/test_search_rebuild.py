"""The bulk rebuild of the search index (registry.schema.REBUILD_SEARCH_SQL, which gathers the
partners' text in two passes) makes exactly the rows the per-agreement definition
(``agreement_search_rows()``, the one the triggers use) makes, on awkward data: partners
without names, NULL cities and faculties, unicode, several partners, none, a partner in the
home role, ended memberships, networks without acronyms, ISCED codes the list lacks."""

from __future__ import annotations

import json

import pytest

from registry import db as store
from registry import schema
from registry.db.upkeep import rebuild_search

INSTITUTIONS = [  # id, name, acronym, country, city, is_home, medical_faculty
    ("home-university", "Home University", "HU", "SE", "Umeå", 1, 1),
    ("zeta-college", "Zeta College", None, "JP", "Kyōto", 0, 1),
    ("alpha-nameless", "Alpha Institute", None, "DE", None, 0, None),
    ("beta-ecole", "École Bêta", "EB", "FR", "Saint-Étienne", 0, 0),
    ("lonely", "Lonely Academy", None, "BR", "São Paulo", 0, 1),
]
NAMES = [  # institution, name, kind, name_folded (alpha-nameless has none)
    ("zeta-college", "京都ゼータ大学", "local", "京都セータ大学"),
    ("zeta-college", "Zeta College", "official", "zeta college"),
    ("zeta-college", "ZC", "acronym", "zc"),
    ("beta-ecole", "École Bêta", "official", "ecole beta"),
    ("home-university", "Home University", "official", "home university"),
]
NETWORKS = [("net-b", "Beta Network", None), ("net-a", "Alpha Alliance", "AA")]
MEMBERSHIPS = [  # inserted out of key order on purpose; network, institution, until
    ("net-b", "zeta-college", None), ("net-a", "zeta-college", None), ("net-a", "alpha-nameless", 2020),
    ("net-a", "beta-ecole", None), ("net-a", "home-university", None), ("net-b", "lonely", None),
]
AGREEMENTS = [  # id, title, kind, agreement_code, notes, parties (institution, role)
    ("g-several", "Several partners", "student_exchange", "SE-1", "Ünïcode notes ✓",
     [("zeta-college", "partner"), ("home-university", "home"), ("beta-ecole", "partner"), ("alpha-nameless", "partner")]),
    ("a-none", "No partners", "research", None, None, []),
    ("m-nameless", "Only a nameless partner", "student_exchange", None, "", [("alpha-nameless", "partner")]),
    ("b-home-role", "A partner in the home role", "research", "X", None,
     [("zeta-college", "home"), ("beta-ecole", "partner")]),
]


@pytest.fixture(scope="module")
def awkward_registry(tmp_path_factory):
    from tests.conftest import new_registry

    db = store.connect(new_registry(tmp_path_factory.mktemp("search-rebuild") / "registry.db"))
    conn = db.conn
    conn.executemany("INSERT INTO institutions (id, name, acronym, country, city, is_home, medical_faculty) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?)", INSTITUTIONS)
    conn.executemany("INSERT INTO institution_names (institution, name, kind, name_folded) VALUES (?, ?, ?, ?)", NAMES)
    conn.executemany("INSERT INTO networks (id, name, acronym) VALUES (?, ?, ?)", NETWORKS)
    conn.executemany("INSERT INTO memberships (network, institution, until) VALUES (?, ?, ?)", MEMBERSHIPS)
    for ident, title, kind, code, notes, parties in AGREEMENTS:
        conn.execute("INSERT INTO agreements (id, title, kind, status, agreement_code, notes) VALUES (?, ?, ?, 'active', ?, ?)",
                     (ident, title, kind, code, notes))
        conn.executemany("INSERT INTO agreement_parties (agreement, institution, role) VALUES (?, ?, ?)",
                         [(ident, institution, role) for institution, role in parties])
    areas = json.dumps([{"isced_code": code, "clarification": None, "isced_level": "detailed"} for code in ("0913", "0988", "0919")])
    conn.execute("INSERT INTO mobility_terms (agreement, term_no, category, direction, eqf_levels, subject_areas, language_skills) "
                 "VALUES ('g-several', 1, 'staff_teaching', 'outgoing', '[6]', ?, '[]')", [areas])
    conn.commit()
    yield db
    conn.close()


def test_the_bulk_rebuild_makes_the_rows_the_per_agreement_definition_makes(awkward_registry):
    conn = awkward_registry.conn
    agreements = sorted(conn.execute(schema.agreement_search_rows()).fetchall())
    institutions = sorted(conn.execute(schema.institution_search_rows()).fetchall())
    assert len(agreements) == len(AGREEMENTS)
    several = next(row for row in agreements if row[1].startswith("Several"))
    assert "京都ゼータ大学" in several[3] and "Alpha Alliance AA" in several[5]  # the data reaches the rows

    rebuild_search(awkward_registry)
    conn.commit()

    assert conn.execute(f"SELECT {schema.AGREEMENT_SEARCH_COLUMNS} FROM agreements_fts ORDER BY rowid").fetchall() == agreements
    assert conn.execute(f"SELECT {schema.INSTITUTION_SEARCH_COLUMNS} FROM institutions_fts ORDER BY rowid").fetchall() == institutions
    assert not conn.execute("SELECT name FROM sqlite_temp_master WHERE name LIKE 'search_%'").fetchall()  # nothing left behind


SEARCHES = ["zeta", "ecole", "alliance", "京都ゼータ大学", "umea", "several OR nameless", "partner*"]


def _found(conn) -> dict[str, list]:
    return {words: [conn.execute(f"SELECT rowid FROM {table} WHERE {table} MATCH ? ORDER BY rowid", [words]).fetchall()
                    for table in schema.SEARCH_TABLES] for words in SEARCHES}


def _agreements(count: int) -> list:
    from registry.models import Agreement, Institution

    made: list = [Institution(id=ident, name=name, acronym=acronym, country=country, city=city, is_home=bool(home))
                  for ident, name, acronym, country, city, home, _ in INSTITUTIONS]
    made += [Agreement.model_validate({
        "id": f"agr-{n:03d}", "title": f"Agreement {n}", "kind": "student_exchange", "status": "active",
        "notes": "Ünïcode ✓" if n % 3 == 0 else None,
        "parties": [{"institution": "home-university", "role": "home"},
                    {"institution": INSTITUTIONS[1 + n % 4][0], "role": "partner"}]}) for n in range(count)]
    return made


@pytest.fixture
def streamed(monkeypatch):
    """Streamed writes of a few records: batches of 3, the search index rebuilt past 5 changes."""
    from registry.db import writes

    monkeypatch.setattr(writes, "BATCH_RECORDS", 3)
    monkeypatch.setattr(writes, "BULK_SEARCH_REBUILD", 5)


def test_a_bulk_write_builds_its_index_beside_the_registry_with_the_rows_and_answers_of_one_built_in_place(tmp_path, streamed):
    """The index built in a file of its own and copied (``registry.db.search_build``) holds the
    rows the per-agreement definition makes, passes FTS5's integrity check, finds what an index
    rebuilt in place finds, and leaves no file behind; the connection that copied it keeps the
    index up to date row by row afterwards (its FTS5 tables are new ones, with nothing stale in memory)."""
    from tests.conftest import new_registry

    path = new_registry(tmp_path / "registry.db")
    db = store.connect(path)
    store.write_records(db, iter(_agreements(20)), actor="tester", source="bulk")
    conn = db.conn
    assert not [left for left in tmp_path.iterdir() if left.is_dir()]  # the build's folder is gone
    assert conn.execute(f"SELECT {schema.AGREEMENT_SEARCH_COLUMNS} FROM agreements_fts ORDER BY rowid").fetchall() == sorted(
        conn.execute(schema.agreement_search_rows()).fetchall())
    assert conn.execute(f"SELECT {schema.INSTITUTION_SEARCH_COLUMNS} FROM institutions_fts ORDER BY rowid").fetchall() == sorted(
        conn.execute(schema.institution_search_rows()).fetchall())
    for table in schema.SEARCH_TABLES:
        conn.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('integrity-check', 1)")
    assert conn.execute("SELECT * FROM agreements_fts_config").fetchall() == [("version", 4)]  # the build's buffer stays there
    built_beside = _found(conn)
    assert built_beside["zeta"][1] and built_beside["ecole"][1]  # the words reach the index

    rebuild_search(db)  # in place
    conn.commit()
    assert _found(conn) == built_beside

    conn.execute("INSERT INTO agreements (id, title, kind, status) VALUES ('agr-new', 'Quokka exchange', 'research', 'active')")
    conn.commit()
    assert conn.execute("SELECT count(*) FROM agreements_fts WHERE agreements_fts MATCH 'quokka'").fetchone() == (1,)
    conn.close()


class IndexingFailed(Exception):
    pass


def test_a_failure_building_the_index_beside_is_raised_and_leaves_the_registry_and_folder_as_they_were(tmp_path, streamed, monkeypatch):
    from registry.db import search_build
    from tests.conftest import new_registry

    def failing(conn, database, cache_kib):
        raise IndexingFailed("no room for the search index")

    monkeypatch.setattr(search_build, "prepare_search_build", failing)
    path = new_registry(tmp_path / "registry.db")
    db = store.connect(path)
    with pytest.raises(IndexingFailed, match="no room"):
        store.write_records(db, iter(_agreements(20)), actor="tester", source="bulk")
    assert db.conn.execute("SELECT count(*) FROM agreements").fetchone() == (0,)
    assert db.conn.execute("SELECT count(*) FROM changes").fetchone() == (0,)
    assert not [left for left in tmp_path.iterdir() if left.is_dir()]
    db.conn.close()
