"""hei-ids that neither a SCHAC code, a website, an Erasmus code nor a PIC leads to, found by
name: registry.resolve on the Erasmus charter list's legal name (or an Institutions API
entry's names), taking only a 'matched' answer; with --create-missing a reference record the
name resolves to becomes the institution, in the import's one transaction."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from ewp_support import LUND, OWN_COPY, SCHEMAS, WARSAW, change_count, make_registry, requires_ewp, table

from registry import db as store
from registry.cli import cli
from registry.importers import ewp as importer
from registry.models import Institution
from registry.problems import ProblemsFound
from registry.reference import load_reference

# one ROR record (University of Bergen, CC0), shared with the spreadsheet import's tests
REFERENCE = Path(__file__).resolve().parent / "data" / "import" / "reference-ror.jsonl"
# known by name only: no SCHAC code, website, Erasmus code or PIC
BERGEN_BY_NAME = Institution(id="uib", name="University of Bergen", local_name="Universitetet i Bergen", country="NO")


def parties(db) -> set[tuple[str, str]]:
    return {(p["institution"], p["role"]) for p in table(db, "agreement_parties", "institution")}


def test_a_partner_known_by_name_only_is_found_and_learns_its_schac_code(tmp_path):
    db = store.connect(make_registry(tmp_path / "registry.db", [LUND, BERGEN_BY_NAME]))
    result = importer.import_file(db, OWN_COPY)
    assert parties(db) == {("lund-university", "home"), ("uib", "partner")}
    assert db.conn.execute("SELECT schac, erasmus_code FROM institutions WHERE id = 'uib'").fetchone() == ("uib.no", "N  BERGEN01")
    assert result.notes[0].startswith("institution uib: recorded SCHAC code uib.no, since its name 'UNIVERSITETET I BERGEN' "
                                      "resolved to uib (1.00, registry: exact match on local name")
    # the next import finds it by its SCHAC code
    assert importer.import_file(db, OWN_COPY).plan.is_empty


@pytest.mark.parametrize("others, why", [
    ([Institution(**{**BERGEN_BY_NAME.columns(), "schac": "uib.example.org"})], "which has SCHAC code uib.example.org: not taken"),
    # a website on another charter holder's domain: a merged or similarly named institution
    ([Institution(**{**BERGEN_BY_NAME.columns(), "website": "https://www.ntnu.no"})],
     "whose website is another Erasmus charter holder's (ntnu.no): not taken"),
    ([BERGEN_BY_NAME, Institution(id="uib-2", name="University of Bergen", country="NO")], None),  # equal names: ambiguous
])
def test_only_a_match_to_an_institution_without_another_schac_code_is_taken(tmp_path, others, why):
    db = store.connect(make_registry(tmp_path / "registry.db", [LUND, *others]))
    before = change_count(db)
    batch = importer.iia_batch(db, importer.reader.read_file(OWN_COPY)[1], where=str(OWN_COPY))
    assert [(p.code, p.value) for p in batch.problems] == [("unknown-institution", "uib.no")]
    assert [n for n in batch.notes if n.endswith(why)] if why else batch.notes == []
    with pytest.raises(ProblemsFound):
        importer.write_batch(db, batch, actor="test", source="test", dry_run=False)
    assert change_count(db) == before


@pytest.fixture
def with_reference(tmp_path):
    path = make_registry(tmp_path / "registry.db", [LUND])
    db = store.connect(path)
    load_reference(db, REFERENCE, actor="test")
    db.conn.close()
    return path


def test_create_missing_creates_the_partner_from_the_reference_record(with_reference):
    runner = CliRunner()
    db = store.connect(with_reference)
    before = (change_count(db), db.conn.execute("SELECT count(*) FROM institutions").fetchone()[0])

    refused = runner.invoke(cli, ["import", str(OWN_COPY), "--db", str(with_reference)])
    assert refused.exit_code == 1
    assert "--create-missing to create it from the reference registry's University of Bergen (03zga2b32)" in refused.output

    dry = runner.invoke(cli, ["import", str(OWN_COPY), "--db", str(with_reference), "--create-missing", "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.output
    report = json.loads(dry.stdout)
    [row] = report["rows"]
    assert row["status"] == "new" and "uib.no -> university-of-bergen by reference" in row["resolution"]
    assert report["plan"]["institutions"] == {"insert": 1} and report["plan"]["institution_names"] == {"insert": 5}
    assert (change_count(db), db.conn.execute("SELECT count(*) FROM institutions").fetchone()[0]) == before

    done = runner.invoke(cli, ["import", str(OWN_COPY), "--db", str(with_reference), "--create-missing"])
    assert done.exit_code == 0, done.output
    assert "created from the reference registry, since its name 'UNIVERSITETET I BERGEN' resolved to reference record 03zga2b32" in done.output
    bergen = db.conn.execute("SELECT id, name, ror, schac, erasmus_code, pic, country, city FROM institutions WHERE id != 'lund-university'").fetchall()
    assert bergen == [("university-of-bergen", "University of Bergen", "03zga2b32", "uib.no", "N  BERGEN01", "999974456", "NO", "Bergen")]
    names = {r[0] for r in db.conn.execute("SELECT name FROM institution_names WHERE institution = 'university-of-bergen'")}
    assert {"University of Bergen", "Universitetet i Bergen", "UiB"} <= names
    # created in the import's own transaction, logged with the agreement
    sources = {r[0] for r in db.conn.execute("SELECT DISTINCT source FROM changes WHERE table_name IN ('institutions', 'agreements')"
                                             " AND source != 'test setup'")}
    assert sources == {f"import {OWN_COPY}"}
    assert parties(db) == {("lund-university", "home"), ("university-of-bergen", "partner")}
    again = runner.invoke(cli, ["import", str(OWN_COPY), "--db", str(with_reference), "--json"])
    assert again.exit_code == 0 and json.loads(again.stdout)["rows"][0]["resolution"].endswith("university-of-bergen by schac")
    db.conn.close()


@requires_ewp
def test_an_institutions_entry_completes_the_institution_its_name_resolves_to(tmp_path):
    oslo = Institution(id="university-of-oslo", name="University of Oslo", country="NO")
    db = store.connect(make_registry(tmp_path / "registry.db", [WARSAW, oslo]))
    result = importer.import_file(db, SCHEMAS / "institutions/response-example.xml")
    assert [r["id"] for r in table(db, "institutions", "id")] == ["university-of-oslo", "university-of-warsaw"]
    assert db.conn.execute("SELECT schac, city FROM institutions WHERE id = 'university-of-oslo'").fetchone() == ("uio.no", "Oslo")
    assert "since its name 'University of Oslo' resolved to university-of-oslo" in result.notes[0]


IE_UNIVERSITY = {"id": "https://ror.org/02jjdwm75", "name": "IE University", "names": [], "country_code": "ES",
                 "city": "Segovia", "types": ["education"], "status": "active",
                 "links": [{"type": "website", "value": "https://www.ie.edu/"}], "domains": ["ie.edu"]}


def test_create_missing_under_a_domain_that_names_no_country(tmp_path):
    """ie.edu and brussels.uni-foundation.eu tell no country and are not in the charter list: the
    reference registry's record with that web domain gives one; without it the import says what
    to do, and does not offer --create-missing, which could not make it either."""
    import json

    runner = CliRunner()
    document = tmp_path / "iia.xml"
    for hei in ("brussels.uni-foundation.eu", "ie.edu"):
        document.write_text(OWN_COPY.read_text(encoding="utf-8").replace("uib.no", hei), encoding="utf-8")
        path = make_registry(tmp_path / f"{hei}.db", [LUND])
        refused = runner.invoke(cli, ["import", str(document), "--db", str(path), "--create-missing", "--json"])
        assert refused.exit_code == 1
        [problem] = json.loads(refused.stdout)
        assert problem["code"] == "unknown-institution" and "its country cannot be told" in problem["message"]
        assert "--create-missing" not in problem["message"]

    reference = tmp_path / "ror.jsonl"
    reference.write_text(json.dumps(IE_UNIVERSITY) + "\n", encoding="utf-8")
    db = store.connect(path)
    load_reference(db, reference, actor="test")
    suggested = runner.invoke(cli, ["import", str(document), "--db", str(path)])
    assert suggested.exit_code == 1
    assert "--create-missing to create it from the reference registry's IE University (02jjdwm75)" in suggested.output
    created = runner.invoke(cli, ["import", str(document), "--db", str(path), "--create-missing"])
    assert created.exit_code == 0, created.output
    assert db.conn.execute("SELECT name, country, schac FROM institutions WHERE schac = 'ie.edu'").fetchone() == (
        "IE University", "ES", "ie.edu")
    db.conn.close()


def test_the_charter_list_is_one_table_that_ewp_and_identifier_matching_both_read():
    """An IIA's hei-id is looked up in the same charter table identifier matching reads
    (data/erasmus/eche_identifiers.csv): one table of ECHE facts, no second copy by domain."""
    from registry import identifier_index
    from registry.ewp import heis

    by_domain = heis.charter_holders()
    holders = [h for h in identifier_index.charter_holders() if h.schac]
    assert len(holders) > 5000 and sum(len(found) for found in by_domain.values()) == len(holders)
    assert all(h in by_domain[h.schac] for h in holders)
    lund = by_domain["lu.se"]
    assert [(h.erasmus_code, h.country) for h in lund] == [("S  LUND01", "SE")]
    # a website written as a list, or with a stray space, still gives its SCHAC code
    assert [h.erasmus_code for h in by_domain["uoi.gr"]] == ["G  IOANNIN01"]
    assert [h.erasmus_code for h in by_domain["hopitaux-st-maurice.fr"]] == ["F  PARIS441"]
    assert not (Path(heis.__file__).resolve().parents[2] / "data" / "ewp" / "eche_domains.csv").exists()
