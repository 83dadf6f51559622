"""Finding duplicates, merging them (every reference re-pointed, names kept, all logged), and
undoing a merge from the audit log."""

from __future__ import annotations

import pytest
from match_fixtures import make_registry

from registry import db as store
from registry.dedupe import find_duplicates, institution_references, mark_distinct, merge, undo_merge
from registry.integrity import verify
from registry.problems import ProblemsFound


@pytest.fixture
def registry(tmp_path):
    db = make_registry(tmp_path / "registry.db", reference=False)
    yield db
    db.conn.close()


def dump(db) -> dict[str, list[tuple]]:
    """Every user table's rows, for comparing before and after."""
    tables = [name for name in store.specs()]
    return {t: sorted(map(tuple, db.conn.execute(f'SELECT * FROM "{t}"').fetchall()), key=repr) for t in tables}


def test_every_reference_to_institutions_comes_from_the_models():
    found = set(institution_references())
    assert {("agreement_parties", "institution"), ("memberships", "institution"), ("contacts", "institution"),
            ("reviews", "institution"), ("institution_names", "institution"),
            ("distinct_institutions", "institution"), ("distinct_institutions", "other")} <= found


def test_dedupe_finds_the_institution_typed_twice(registry):
    pairs = find_duplicates(registry)
    assert [(p.keep, p.drop) for p in pairs] == [("ucph", "kobenhavns-universitet")]
    pair = pairs[0]
    assert pair.score >= 0.9
    assert any("Københavns Universitet" in line for line in pair.evidence)
    assert pair.names == ("University of Copenhagen", "Kobenhavns Universitet")


def test_a_pair_marked_distinct_is_not_listed_again(registry):
    mark_distinct(registry, "kobenhavns-universitet", "ucph", "two campuses kept apart on purpose (example)", actor="tester")
    assert find_duplicates(registry) == []
    stored = registry.conn.execute("SELECT institution, other, reason FROM distinct_institutions").fetchall()
    assert stored == [("kobenhavns-universitet", "ucph", "two campuses kept apart on purpose (example)")]


def test_same_identifier_is_evidence(registry):
    registry.conn.execute("UPDATE institutions SET ror = '040af2s02' WHERE id = 'uu'")
    pairs = {frozenset((p.keep, p.drop)): p for p in find_duplicates(registry)}
    pair = pairs[frozenset(("helsinki", "uu"))]
    assert pair.score == 1.0 and pair.evidence == ["same ROR id 040af2s02"]


def test_merge_repoints_keeps_names_and_logs(registry):
    before = dump(registry)
    report = merge(registry, "ucph", "kobenhavns-universitet", actor="tester")
    conn = registry.conn
    assert conn.execute("SELECT count(*) FROM institutions WHERE id = 'kobenhavns-universitet'").fetchone()[0] == 0
    assert conn.execute("SELECT institution FROM memberships WHERE network = 'eugloh' ORDER BY 1").fetchall() == [("lu",), ("ucph",)]
    assert conn.execute("SELECT institution FROM contacts").fetchall() == [("ucph",)]
    assert conn.execute("SELECT institution FROM reviews").fetchall() == [("ucph",)]
    parties = conn.execute("SELECT agreement, institution FROM agreement_parties ORDER BY 1, 2").fetchall()
    assert parties == [("example-lu-ku-exchange", "lu"), ("example-lu-ku-exchange", "ucph"),
                       ("example-lu-ucph-phd", "lu"), ("example-lu-ucph-phd", "ucph")]
    assert report.repointed["agreement_parties.institution"] == 1
    assert report.duplicates_removed == {"agreement_parties.institution": 1}  # ucph was already a party
    names = dict(conn.execute("SELECT name, kind FROM institution_names WHERE institution = 'ucph'").fetchall())
    assert names["Kobenhavns Universitet"] == "alias" and names["Copenhagen University"] == "alias"
    assert names["University of Copenhagen"] == "official"
    assert set(report.names_added) == {"Kobenhavns Universitet", "Copenhagen University"}
    logged = conn.execute("SELECT DISTINCT actor, source FROM changes WHERE source LIKE 'merge%'").fetchall()
    assert logged == [("tester", "merge ucph kobenhavns-universitet")]
    tables = {r[0] for r in conn.execute("SELECT DISTINCT table_name FROM changes WHERE source LIKE 'merge%'")}
    assert {"institutions", "institution_names", "agreement_parties", "memberships", "contacts", "reviews"} <= tables
    assert verify(registry) == []
    # and back: the audit log replayed backwards gives the registry as it was
    undone = undo_merge(registry, "ucph", "kobenhavns-universitet", actor="tester")
    assert undone > 0
    assert dump(registry) == before
    assert verify(registry) == []
    assert conn.execute("SELECT DISTINCT source FROM changes WHERE source LIKE 'unmerge%'").fetchall() == [
        ("unmerge ucph kobenhavns-universitet",)]


def test_merge_fills_what_the_kept_one_lacks(registry):
    registry.conn.execute("UPDATE institutions SET website = 'https://www.uu.se', ror = '048a87296' WHERE id = 'uu'")
    registry.conn.execute("UPDATE institutions SET city = NULL WHERE id = 'helsinki'")
    report = merge(registry, "helsinki", "uu")  # not a real duplicate: just the mechanics
    assert report.fields_filled == {"city": "Uppsala", "website": "https://www.uu.se"}  # its own ROR id stays
    assert registry.conn.execute("SELECT ror, city FROM institutions WHERE id = 'helsinki'").fetchone() == ("040af2s02", "Uppsala")


def test_merge_refuses_what_makes_no_sense(registry):
    with pytest.raises(ProblemsFound, match="into itself"):
        merge(registry, "ucph", "ucph")
    with pytest.raises(ProblemsFound, match="home institution"):
        merge(registry, "ucph", "lu")
    with pytest.raises(ProblemsFound, match="no institution"):
        merge(registry, "ucph", "nowhere")
    with pytest.raises(ProblemsFound, match="no such merge"):
        undo_merge(registry, "ucph", "uu")


def test_undo_refuses_when_rows_changed_since(registry):
    merge(registry, "ucph", "kobenhavns-universitet")
    with store.transaction(registry, actor="tester", source="edit"):
        registry.conn.execute("UPDATE contacts SET role = 'exchange office' WHERE id = 'example-ku-office'")
    with pytest.raises(ProblemsFound, match="changed since"):
        undo_merge(registry, "ucph", "kobenhavns-universitet")


def test_datasette_shows_merges_and_shared_ror_ids(registry, tmp_path):
    from conftest import datasette_get

    registry.conn.execute("UPDATE institutions SET ror = '035b05819' WHERE id = 'kobenhavns-universitet'")
    path = registry.conn.execute("PRAGMA database_list").fetchone()[2]
    shared = datasette_get(path, "/registry/duplicate_candidates_by_ror.json?_shape=array").json()
    assert shared == [{"ror": "035b05819", "institutions": "kobenhavns-universitet, ucph", "n": 2}] or \
        shared == [{"ror": "035b05819", "institutions": "ucph, kobenhavns-universitet", "n": 2}]
    merge(registry, "ucph", "kobenhavns-universitet", actor="tester")
    rows = datasette_get(path, "/registry/merges.json?_shape=array").json()
    assert rows and {r["source"] for r in rows} == {"merge ucph kobenhavns-universitet"}
    page = datasette_get(path, "/registry/reference_institutions")
    assert page.status_code == 200 and "successor" in page.text
