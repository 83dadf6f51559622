"""Importing EWP IIAs: what lands where, re-import, partner copies, unknown institutions,
unsafe and invalid XML, all-or-nothing. Runs on the crafted documents in tests/data/ewp, so
it needs nothing outside the project."""

from __future__ import annotations

import pytest
from ewp_support import (
    APPROVABLE_COPY,
    BERGEN,
    EWP_DATA,
    LUND,
    OWN_COPY,
    OWN_COPY_HASH,
    PARTNER_COPY,
    SCHEMAS,
    change_count,
    copy_registry,
    make_registry,
    stored_terms,
    table,
)

from registry import db as store
from registry.cli import cli  # before registry.cli_ewp, which registers itself on it
from registry.ewp import reader, safe_xml
from registry.exporters import ewp as exporter
from registry.importers import ewp as importer
from registry.problems import ProblemsFound

AGREEMENT = "iia-uib.no-lu-iia-0001"


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return make_registry(tmp_path_factory.mktemp("ewp") / "template.db", [LUND, BERGEN])


@pytest.fixture
def db(template, tmp_path):
    connection = store.connect(copy_registry(template, tmp_path / "registry.db"))
    yield connection
    connection.conn.close()


@pytest.fixture
def imported(db):
    importer.import_file(db, OWN_COPY, actor="test")
    return db


def test_an_iia_becomes_an_erasmus_agreement_with_its_terms(imported):
    agreement = table(imported, "agreements", "id")[0]
    assert agreement["id"] == AGREEMENT
    assert (agreement["kind"], agreement["status"], agreement["ewp_iia_id"], agreement["signed_on"]) == (
        "erasmus_iia", "active", "lu-iia-0001", "2025-03-20")
    assert agreement["title"] == "Erasmus+ inter-institutional agreement with University of Bergen (LU-MED/E+/2025/001)"
    parties = {(p["institution"], p["role"]) for p in table(imported, "agreement_parties", "institution")}
    assert parties == {("lund-university", "home"), ("university-of-bergen", "partner")}

    terms = table(imported, "mobility_terms", "term_no")
    assert [(t["category"], t["direction"], t["places_per_year"]) for t in terms] == [
        ("student_studies", "outgoing", 4),
        ("student_studies", "incoming", 3),
        ("student_traineeship", "outgoing", 2),
        ("staff_teaching", "outgoing", 2),
        ("staff_teaching", "incoming", 1),
        ("staff_training", "incoming", 2),
    ]
    first = terms[0]
    assert (first["first_academic_year"], first["last_academic_year"], first["months_per_place"]) == ("2025/2026", "2028/2029", 5.0)
    assert first["eqf_levels"] == "[7]"
    assert first["subject_areas"] == (
        '[{"isced_code":"0912","clarification":"Medicine, clinical semesters","isced_level":"detailed"},'
        '{"isced_code":"0913","clarification":null,"isced_level":"detailed"}]')
    assert first["language_skills"] == (
        '[{"language":"en","cefr_level":"B2","isced_code":null},{"language":"no","cefr_level":"B1","isced_code":"0912"}]')
    assert first["other_terms"] == "Clinical courses need a completed basic placement."
    assert terms[1]["blended"] == 1 and terms[1]["eqf_levels"] == "[6,7]"
    # per place from the yearly total; the exact total is kept beside it
    assert [t["months_per_place"] for t in terms[:3]] == [5.0, 3.33, 2.25]
    assert [t["days_per_place"] for t in terms[3:]] == [5, 5, 8]  # 15 days / 2 rounds half up
    conditions = table(imported, "ewp_iia_conditions", "term_no")
    assert [c["total_months_per_year"] or c["total_days_per_year"] for c in conditions] == ["20", "10", "4.5", "10", "5", "15"]
    assert conditions[0]["sending_ounit_id"] == "med.lu.se" and conditions[1]["receiving_ounit_id"] == "med.lu.se"
    assert conditions[4]["mobilities_not_yet_defined"] == 1
    assert conditions[4]["subject_details"] == '[{"isced_code":"0912","isced_v6_value":"091"}]'


def test_partners_contacts_and_the_copy_are_kept(imported):
    partners = table(imported, "ewp_iia_partners", "position")
    assert [(p["hei_id"], p["institution"], p["iia_id"], p["iia_code"], p["ounit_id"]) for p in partners] == [
        ("lu.se", "lund-university", "lu-iia-0001", "LU-MED/E+/2025/001", "med.lu.se"),
        ("uib.no", "university-of-bergen", "UIB-7781", "UiB/2025/77", None),
    ]
    copy = table(imported, "ewp_iias", "agreement")[0]
    assert (copy["copy_of"], copy["iia_hash"], copy["approved_hash"]) == ("lu.se", OWN_COPY_HASH, None)
    contacts = table(imported, "contacts", "id")
    assert [(c["institution"], c["role"], c["name"], c["email"], c["phone"]) for c in contacts] == [
        ("lund-university", "Nominations and learning agreements", "Exchange coordinator", "exchange@example.org", "+46000000000"),
        ("lund-university", "signing contact", "International Office, Faculty of Medicine", "international-office@example.org", None),
        ("university-of-bergen", "sending contact", "Staff mobility desk", "staff-mobility@example.org", None),
    ]
    assert all(c["agreement"] == AGREEMENT for c in contacts)


def test_bergen_is_found_by_its_website_and_learns_its_schac_code(imported):
    bergen = next(row for row in imported.query("SELECT * FROM institutions WHERE id = 'university-of-bergen'"))
    assert bergen["schac"] == "uib.no"
    # the Erasmus charter list supplies what the registry lacked
    assert (bergen["erasmus_code"], bergen["pic"]) == ("N  BERGEN01", "999974456")


def test_every_change_is_logged_with_its_source(imported):
    sources = {row["source"] for row in imported.query("SELECT DISTINCT source FROM changes WHERE actor = 'test' AND table_name = 'mobility_terms'")}
    assert sources == {"ewp import example-iia-lund-bergen.xml"}


def test_importing_the_same_copy_again_writes_nothing(imported):
    before = change_count(imported)
    result = importer.import_file(imported, OWN_COPY)
    assert result.plan.is_empty
    assert change_count(imported) == before


def test_export_of_an_unchanged_copy_is_the_same_copy(imported, tmp_path, template):
    result = exporter.export(imported)
    assert result.agreements == [AGREEMENT]
    [iia] = reader.read_iias(safe_xml.parse(result.data), "export")
    assert iia.iia_hash == OWN_COPY_HASH == iia.content_hash
    original = reader.read_file(OWN_COPY)[1][0]
    assert iia.snapshot() == original.snapshot()
    # and a fresh registry stores the same terms from the export as from the original
    fresh = store.connect(copy_registry(template, tmp_path / "fresh.db"))
    path = tmp_path / "export.xml"
    path.write_bytes(result.data)
    importer.import_file(fresh, path)
    assert stored_terms(fresh) == stored_terms(imported)


def test_a_partner_copy_updates_the_same_agreement(imported):
    result = importer.import_file(imported, PARTNER_COPY)
    assert result.agreements == [AGREEMENT]
    assert [row["id"] for row in imported.query("SELECT id FROM agreements")] == [AGREEMENT]
    terms = table(imported, "mobility_terms", "term_no")
    assert [(t["category"], t["direction"], t["places_per_year"]) for t in terms] == [
        ("student_studies", "incoming", 3),
        ("student_studies", "outgoing", 5),
        ("student_traineeship", "outgoing", 2),
        ("staff_teaching", "incoming", 1),
        ("staff_teaching", "incoming", 1),
        ("staff_teaching", "outgoing", 2),
    ]
    copy = table(imported, "ewp_iias", "agreement")[0]
    assert copy["copy_of"] == "uib.no"
    # Lund's contacts came with Lund's copy; Bergen's copy names only its own signer
    assert [(c["institution"], c["role"]) for c in table(imported, "contacts", "id")] == [("university-of-bergen", "signing contact")]
    deleted = imported.conn.execute("SELECT count(*) FROM changes WHERE table_name = 'contacts' AND operation = 'delete'").fetchone()[0]
    assert deleted == 3


def test_a_copy_updates_what_it_carries_and_keeps_what_the_office_added(imported, tmp_path):
    from registry.importers import seed

    office = tmp_path / "office.yml"
    office.write_text("agreements:\n  - {id: " + AGREEMENT + ", title: Bergen medicine (office title), "
                      "notes: Kept by the office, coordinator: Erasmus coordinator}\n", encoding="utf-8")
    seed.load(imported, [office], actor="office")
    importer.import_file(imported, PARTNER_COPY, actor="test")
    [row] = table(imported, "agreements", "id")
    assert (row["title"], row["notes"], row["coordinator"]) == ("Bergen medicine (office title)", "Kept by the office",
                                                                 "Erasmus coordinator")
    assert row["kind"] == "erasmus_iia" and len(table(imported, "mobility_terms", "term_no")) == 6


HAND_ENTERED = """\
institutions:
  - {id: university-of-bergen, schac: uib.no}
agreements:
  - id: ex-bergen-by-hand
    title: Erasmus+ exchange with Bergen (fictitious example)
    kind: erasmus_iia
    status: active
    starts_on: '2025-08-01'
    ends_on: '2029-07-31'
%s    parties: [{institution: lund-university, role: home}, university-of-bergen]
    mobility_terms:
      - {category: student_studies, direction: outgoing, places_per_year: 2, months_per_place: 5,
         subject_areas: [{isced_code: '0912'}], language_skills: [{language: en, cefr_level: B2}]}
"""


def home_partner(data: bytes):
    [iia] = reader.read_iias(safe_xml.parse(data), "export")
    return iia.partners[0]


@pytest.mark.parametrize("code", ["LU-MED/E+/2025/007", None])
def test_export_gives_the_office_code_as_iia_code_and_import_reads_it_back(template, db, tmp_path, code):
    from registry.importers import seed

    source = tmp_path / "by-hand.yml"
    source.write_text(HAND_ENTERED % (f"    agreement_code: {code}\n" if code else ""), encoding="utf-8")
    seed.load(db, [source], actor="office")
    exported = exporter.export(db, ["ex-bergen-by-hand"])  # validated against the XSD
    assert exported.schema_checked == (SCHEMAS is not None)
    home = home_partner(exported.data)
    assert (home.hei_id, home.iia_id, home.iia_code) == ("lu.se", "ex-bergen-by-hand", code or "ex-bergen-by-hand")
    path = tmp_path / "iia.xml"
    path.write_bytes(exported.data)
    # into the same registry: the same agreement, found by the iia-id export gave it
    importer.import_file(db, path, actor="test")
    [row] = table(db, "agreements", "id")
    assert (row["id"], row["agreement_code"], row["title"]) == ("ex-bergen-by-hand", code,
                                                                 "Erasmus+ exchange with Bergen (fictitious example)")
    assert home_partner(exporter.export(db, ["ex-bergen-by-hand"]).data) == home  # and out again the same
    # into another registry: the code, not the id standing in for one
    fresh = store.connect(copy_registry(template, tmp_path / "fresh.db"))
    importer.import_file(fresh, path, actor="test")
    [row] = table(fresh, "agreements", "id")
    assert (row["agreement_code"], row["ewp_iia_id"]) == (code, "ex-bergen-by-hand")
    assert home_partner(exporter.export(fresh).data) == home
    fresh.conn.close()


def test_our_code_is_read_from_a_copy_only_where_the_office_has_none_and_no_other_agreement_holds_it(imported, template, tmp_path):
    from registry.importers import seed

    assert table(imported, "agreements", "id")[0]["agreement_code"] == "LU-MED/E+/2025/001"  # our copy's iia-code
    importer.import_file(imported, PARTNER_COPY, actor="test")  # Bergen writes our code 'LU-MED/2025/001'
    assert table(imported, "agreements", "id")[0]["agreement_code"] == "LU-MED/E+/2025/001"
    other = tmp_path / "other.yml"
    other.write_text("agreements:\n  - {id: ex-other, title: Other (fictitious example), kind: research, status: draft, "
                     "agreement_code: LU-MED/E+/2025/001}\n", encoding="utf-8")
    second = store.connect(copy_registry(template, tmp_path / "second.db"))
    seed.load(second, [other], actor="office")
    importer.import_file(second, OWN_COPY, actor="test")  # imported, without taking the other's code
    assert {r["id"]: r["agreement_code"] for r in table(second, "agreements", "id")} == {
        AGREEMENT: None, "ex-other": "LU-MED/E+/2025/001"}
    second.conn.close()


def test_a_dry_run_shows_the_plan_and_writes_nothing(db):
    before = change_count(db)
    result = importer.import_file(db, OWN_COPY, dry_run=True)
    assert result.plan.counts()["mobility_terms"] == {"insert": 6}
    assert change_count(db) == before
    assert table(db, "agreements", "id") == []


def test_an_unknown_institution_is_named_with_what_to_do(tmp_path):
    db = store.connect(make_registry(tmp_path / "lund-only.db", [LUND]))
    path = tmp_path / "unknown.xml"
    path.write_text(OWN_COPY.read_text().replace("uib.no", "unknown-partner.no"))
    with pytest.raises(ProblemsFound) as raised:
        importer.import_file(db, path)
    [problem] = raised.value.problems
    assert (problem.code, problem.field, problem.value) == ("unknown-institution", "hei-id", "unknown-partner.no")
    assert "--create-missing" in problem.message and problem.where == f"{path}:11"
    assert table(db, "agreements", "id") == []


def test_create_missing_creates_the_partner_from_the_charter_list(tmp_path):
    db = store.connect(make_registry(tmp_path / "lund-only.db", [LUND]))
    result = importer.import_file(db, OWN_COPY, create_missing=True)
    created = next(db.query("SELECT * FROM institutions WHERE id = 'uib.no'"))
    assert (created["name"], created["country"], created["erasmus_code"], created["pic"], created["schac"]) == (
        "UNIVERSITETET I BERGEN", "NO", "N  BERGEN01", "999974456", "uib.no")
    assert "institution uib.no: created from the Erasmus charter list" in result.notes


def test_without_a_home_institution_nothing_is_imported(tmp_path):
    db = store.connect(make_registry(tmp_path / "no-home.db", [LUND.model_copy(update={"is_home": False}), BERGEN]))
    with pytest.raises(ProblemsFound) as raised:
        importer.import_file(db, OWN_COPY)
    assert [p.code for p in raised.value.problems] == ["no-home-partner"]
    assert "neither is" in raised.value.problems[0].message


def test_one_bad_iia_in_a_file_stops_the_whole_file(db, tmp_path):
    text = OWN_COPY.read_text()
    start, end = text.index("<iia>"), text.index("</iia>") + len("</iia>")
    second = text[start:end].replace("uib.no", "unknown-partner.example").replace("lu-iia-0001", "lu-iia-0002")
    path = tmp_path / "two.xml"
    path.write_text(text[:end] + second + text[end:])
    before = change_count(db)
    with pytest.raises(ProblemsFound) as raised:
        importer.import_file(db, path)
    assert [p.code for p in raised.value.problems] == ["unknown-institution"]
    assert change_count(db) == before and table(db, "mobility_terms", "term_no") == []


@pytest.mark.parametrize("name", ["xxe.xml", "billion-laughs.xml"])
def test_dtds_are_refused_and_nothing_is_written(db, name):
    before = change_count(db)
    with pytest.raises(ProblemsFound) as raised:
        importer.import_file(db, EWP_DATA / name)
    [problem] = raised.value.problems
    assert problem.code == "xml-dtd-refused" and "XXE" in problem.message
    assert "root:" not in str(raised.value)  # /etc/passwd was never read
    assert change_count(db) == before


def test_a_document_that_breaks_the_schema_lists_every_error_with_its_line(db):
    with pytest.raises(ProblemsFound) as raised:
        importer.import_file(db, EWP_DATA / "schema-invalid.xml")
    problems = raised.value.problems
    assert [(p.where.rsplit(":", 1)[1], p.field, p.value) for p in problems] == [
        ("13", "in-effect", "yes"), ("25", "isced-f-code", "091"), ("28", "eqf-level", "9")]
    assert {p.code for p in problems} == ({"schema-invalid"} if SCHEMAS else {"invalid-value"})


def test_the_reader_alone_gives_the_same_lines_without_the_xsd():
    with pytest.raises(ProblemsFound) as raised:
        reader.read_file(EWP_DATA / "schema-invalid.xml", validate=False)
    assert [p.where.rsplit(":", 1)[1] for p in raised.value.problems] == ["13", "25", "28"]


def test_a_partner_must_be_one_of_the_two(db, tmp_path):
    path = tmp_path / "stranger.xml"
    path.write_text(OWN_COPY.read_text().replace("<sending-hei-id>uib.no</sending-hei-id>", "<sending-hei-id>ki.se</sending-hei-id>", 1))
    with pytest.raises(ProblemsFound) as raised:
        importer.import_file(db, path)
    assert {(p.code, p.field, p.value) for p in raised.value.problems} == {("invalid-value", "sending-hei-id", "ki.se")}


def test_the_canned_query_shows_each_copy_and_its_approval(imported, tmp_path):
    from conftest import datasette_get

    importer.import_file(imported, APPROVABLE_COPY)
    importer.approve(imported, AGREEMENT)
    path = tmp_path / "registry.db"
    response = datasette_get(path, "/registry/erasmus_iias.json?_shape=array")
    assert response.status_code == 200, response.text
    [row] = response.json()
    assert (row["agreement"], row["partner"], row["our_code"], row["partner_code"], row["copy_of"], row["approval"]) == (
        AGREEMENT, "University of Bergen", "LU-MED/E+/2025/001", "UiB/2025/77", "lu.se", "approved as stored")
    assert (row["partner_hei_id"], row["v7"]) == ("uib.no", "not checked: run registry check")  # DQ30 has not run


def test_the_demo_imports_the_example_as_an_approved_copy(db):
    from registry import cli_ewp

    cli_ewp.demo_step(db)
    [copy] = table(db, "ewp_iias", "agreement")
    assert (copy["agreement"], copy["approved_hash"]) == (AGREEMENT, OWN_COPY_HASH)


def test_erasmus_codes_with_three_digits_are_codes():
    # one in ten charter holders has one (F  PARIS009, E  MADRID236): the core's rule allows them
    from registry.models import Institution

    assert Institution(id="x", name="X", country="FR", erasmus_code="F  PARIS009").erasmus_code == "F  PARIS009"


def test_the_commands_import_export_validate_and_approve(template, tmp_path):
    import json

    from click.testing import CliRunner

    path = copy_registry(template, tmp_path / "cli.db")
    runner = CliRunner()

    def run(*args):
        return runner.invoke(cli, ["ewp", *args, *(["--db", str(path)] if args[0] not in ("validate",) else [])])

    refused = run("import", str(EWP_DATA / "xxe.xml"), "--json")
    assert refused.exit_code == 1 and json.loads(refused.output)[0]["code"] == "xml-dtd-refused"
    imported = run("import", str(OWN_COPY), "--json")
    assert imported.exit_code == 0, imported.output
    report = json.loads(imported.output)
    assert report["agreements"] == [AGREEMENT] and report["changes"]["mobility_terms"] == {"insert": 6}
    out = tmp_path / "out.xml"
    assert run("export", "-o", str(out)).exit_code == 0
    checked = json.loads(run("validate", str(out), "--json").output)
    assert checked[0]["iias"][0]["hash_matches"] is True
    refused = run("approve", AGREEMENT)  # the copy carries values from IIA v6
    assert refused.exit_code == 1 and "not-valid-for-approval" in refused.output and "condition 5" in refused.output
    assert run("import", str(APPROVABLE_COPY)).exit_code == 0
    assert run("approve", AGREEMENT).exit_code == 0
    unknown = run("approve", "no-such-agreement")
    assert unknown.exit_code == 1 and "not-an-ewp-copy" in unknown.output


def test_the_demo_exports_every_erasmus_iia_and_the_canned_query_says_which_are_ready(demo_copy):
    from conftest import datasette_get

    path = demo_copy
    demo = store.connect(path)
    ids = exporter.agreement_ids(demo)
    exported = exporter.export(demo)  # every one, or ProblemsFound naming what is missing
    assert exported.agreements == ids and len(ids) > 20
    iias = reader.read_iias(safe_xml.parse(exported.data), "export")
    assert all(iia.iia_hash == iia.content_hash for iia in iias)
    assert all(iia.partners[0].hei_id == "lu.se" and iia.partners[1].hei_id for iia in iias)
    demo.conn.close()
    rows = datasette_get(path, "/registry/erasmus_iias.json?_shape=array&_size=max").json()
    assert sorted(row["agreement"] for row in rows) == sorted(ids)
    assert all(row["partner_hei_id"] for row in rows)
    # the example copy still carries values from IIA v6: exported, but not to be approved again
    [example] = [row for row in rows if row["agreement"] == AGREEMENT]
    assert example["v7"] == "not ready" and "not valid for approval" in example["v7_gaps"]
    assert {row["v7"] for row in rows if row["agreement"] != AGREEMENT} == {"ready"}


def test_schema_valid_language_codes_and_comments_inside_values_are_taken(db, tmp_path):
    """xs:language allows EN and sr-Latn-RS; a comment inside a value is no child element (as
    for xmlschema on the file and the JDK). The copy keeps its hash when written back."""
    from ewp_support import official

    from registry.ewp import schemas, writer
    from registry.ewp.copies import stored_copy

    text = OWN_COPY.read_text(encoding="utf-8")
    text = text.replace("<language>en</language>", "<language>EN</language>", 1)
    text = text.replace("<language>no</language>", "<language>sr-Latn-RS</language>", 1)
    text = text.replace("<total-days-per-year>10</total-days-per-year>",
                        "<total-days-per-year>1<!-- days -->0</total-days-per-year>", 1)
    path = tmp_path / "copy.xml"
    path.write_text(text, encoding="utf-8")
    if SCHEMAS is not None:
        assert schemas.validate(safe_xml.parse(path), "iias-get", where=str(path)).problems == []
    importer.import_file(db, path)
    [first] = table(db, "mobility_terms", "term_no")[:1]
    assert first["language_skills"].startswith('[{"language":"en",') and '"language":"sr-Latn-RS"' in first["language_skills"]
    assert table(db, "ewp_iia_conditions", "term_no")[3]["total_days_per_year"] == "10"
    [oracle] = official(path)
    assert writer.copy_hash(stored_copy(db, AGREEMENT)) == oracle.iia_hash
    assert exporter.export(db).agreements == [AGREEMENT]
