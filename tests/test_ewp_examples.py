"""The upstream EWP examples against the real XSD: every IIA example imports, exports,
validates and re-imports to the same stored terms; the iia-hash rule reproduces upstream's
hashes. Skipped (with the reason) where the EWP folder is not on this machine."""

from __future__ import annotations

import pytest
from ewp_support import BODO, EXAMPLES, SCHEMAS, WARSAW, copy_registry, make_registry, requires_ewp, stored_terms, table

from registry import db as store
from registry.ewp import reader, safe_xml, schemas
from registry.exporters import ewp as exporter
from registry.importers import ewp as importer
from registry.models import Institution
from registry.problems import ProblemsFound

pytestmark = requires_ewp


@pytest.fixture(scope="module")
def templates(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ewp-examples")
    return {
        "uw.edu.pl": make_registry(folder / "warsaw-home.db", [WARSAW.model_copy(update={"is_home": True}), BODO]),
        "hibo.no": make_registry(folder / "bodo-home.db", [WARSAW, BODO.model_copy(update={"is_home": True})]),
    }


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_the_hash_rule_reproduces_upstreams_hash(name):
    [iia] = reader.read_file(EXAMPLES[name])[1]
    assert iia.content_hash == iia.iia_hash


def test_the_examples_are_valid_and_the_v6_one_is_named():
    for path in EXAMPLES.values():
        assert schemas.validate(safe_xml.parse(path), "iias-get", where=str(path)).problems == []
    with pytest.raises(ProblemsFound) as raised:
        reader.read_file(SCHEMAS / "iias/resources/xsltKit/get-response-v6.xml")
    assert raised.value.problems[0].code == "ewp-unknown-document" and "IIA API v7 only" in raised.value.problems[0].message


@pytest.mark.parametrize("home", ["uw.edu.pl", "hibo.no"])
@pytest.mark.parametrize("name", list(EXAMPLES))
def test_round_trip(name, home, templates, tmp_path):
    db = store.connect(copy_registry(templates[home], tmp_path / "registry.db"))
    importer.import_file(db, EXAMPLES[name])
    [original] = reader.read_file(EXAMPLES[name])[1]
    directions = {t["direction"] for t in table(db, "mobility_terms", "term_no") if t["term_no"] == 1}
    assert directions == {"outgoing" if home == "uw.edu.pl" else "incoming"}

    exported = exporter.export(db)
    assert exported.schema_checked
    path = tmp_path / "export.xml"
    path.write_bytes(exported.data)
    assert schemas.validate(safe_xml.parse(path), "iias-get", where=str(path)).problems == []
    [copy] = reader.read_file(path)[1]
    assert copy.partners[0].hei_id == home  # our copy: the home institution first
    if home == "uw.edu.pl":  # the example is Warsaw's own copy: unchanged, it keeps its hash
        assert copy.iia_hash == original.iia_hash
    # conditions name institutions, not directions: whoever is home, they read back the same
    assert [c.model_dump() for c in copy.conditions] == [c.model_dump() for c in original.conditions]

    # re-imported, it is the same agreement (found by its iia-ids) with the same terms; only
    # when the example was already the home institution's copy is it the very same copy
    plan = importer.import_file(db, path).plan
    assert not {c.table for c in plan.changes} & {"agreements", "mobility_terms", "ewp_iia_conditions"}
    assert plan.is_empty == (home == "uw.edu.pl")
    fresh = store.connect(copy_registry(templates[home], tmp_path / "fresh.db"))
    importer.import_file(fresh, path)
    terms, again = stored_terms(db), stored_terms(fresh)
    assert again["mobility_terms"] == terms["mobility_terms"]
    assert again["ewp_iia_conditions"] == terms["ewp_iia_conditions"]


def test_institutions_response_creates_or_completes_institutions(tmp_path):
    example = SCHEMAS / "institutions/response-example.xml"
    db = store.connect(make_registry(tmp_path / "a.db", [WARSAW]))
    result = importer.import_file(db, example)
    [oslo] = [row for row in db.query("SELECT * FROM institutions WHERE id = 'uio.no'")]
    assert (oslo["name"], oslo["local_name"], oslo["country"], oslo["city"], oslo["erasmus_code"], oslo["schac"]) == (
        "University of Oslo", "Universitetet i Oslo", "NO", "Oslo", "N OSLO01", "uio.no")
    assert oslo["website"] == "http://www.uio.no/english/"
    assert result.notes == ["institution uio.no: created from the Institutions API response"]
    # an institution known by its website is completed, not duplicated, and keeps its own name
    known = Institution(id="university-of-oslo", name="UiO (our name)", country="NO", website="https://www.uio.no")
    db2 = store.connect(make_registry(tmp_path / "b.db", [known]))
    importer.import_file(db2, example)
    rows = table(db2, "institutions", "id")
    # (the Erasmus code as the charter list pads it: that list is read first)
    assert [(r["id"], r["name"], r["schac"], r["erasmus_code"]) for r in rows] == [("university-of-oslo", "UiO (our name)", "uio.no", "N  OSLO01")]
    names = {r["name"] for r in db2.query("SELECT name FROM institution_names WHERE institution = 'university-of-oslo'")}
    assert {"University of Oslo", "Universitetet i Oslo", "UiO (our name)"} <= names
