"""EWP documents through the general commands: ``registry import FILE.xml`` and ``registry
export --format ewp`` (the ``ewp`` entry of registry.formats), run with click's CliRunner on
real registry files; and deleting an agreement that has an EWP copy."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from ewp_support import (
    APPROVABLE_COPY,
    APPROVABLE_HASH,
    BERGEN,
    BODO,
    EXAMPLES,
    LUND,
    OWN_COPY,
    OWN_COPY_HASH,
    SCHEMAS,
    WARSAW,
    change_count,
    copy_registry,
    make_registry,
    requires_ewp,
    stored_terms,
    table,
)

from registry import db as store
from registry.cli import cli
from registry.ewp import reader, safe_xml, schemas

AGREEMENT = "iia-uib.no-lu-iia-0001"
EWP_TABLES = ("agreements", "contacts", "ewp_iias", "ewp_iia_partners", "ewp_iia_conditions", "mobility_terms")


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return make_registry(tmp_path_factory.mktemp("ewp-formats") / "template.db", [LUND, BERGEN])


def registry_command(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def counts(path) -> dict[str, int]:
    db = store.connect(path)
    try:
        found = {name: db.conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0] for name in EWP_TABLES}
        found["changes"] = change_count(db)
        return found
    finally:
        db.conn.close()


def assert_valid(path) -> None:
    """Against get-response.xsd when the EWP folder is at hand (the export checks it too)."""
    if SCHEMAS is not None:
        assert schemas.validate(safe_xml.parse(path), "iias-get", where=str(path)).problems == []


def test_import_recognises_an_iia_by_its_suffix_and_the_dry_run_writes_nothing(template, tmp_path):
    path = copy_registry(template, tmp_path / "registry.db")
    before = counts(path)
    dry = registry_command("import", OWN_COPY, "--db", path, "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    report = json.loads(dry.stdout)
    assert (report["format"], report["kind"], report["dry_run"], report["written"]) == ("ewp", "iias", True, False)
    assert report["details"]["document"] == "IIAs API v7 get response"
    assert report["details"]["notes"] == ["institution university-of-bergen: recorded SCHAC code uib.no"]
    [row] = report["rows"]
    assert (row["status"], row["record"], row["line"]) == ("matched", f"agreements/{AGREEMENT}", 11)
    assert row["resolution"] == "lu.se -> lund-university by schac; uib.no -> university-of-bergen by website"
    assert report["plan"]["mobility_terms"] == {"insert": 6} and report["plan"]["institutions"] == {"update": 1}
    assert counts(path) == before

    text = registry_command("import", OWN_COPY, "--db", path, "--dry-run")
    assert "+ line 11  agreements/iia-uib.no-lu-iia-0001" in text.output and "dry run: nothing written" in text.output
    assert counts(path) == before


def test_import_then_export_then_import_again_changes_nothing(template, tmp_path):
    path = copy_registry(template, tmp_path / "registry.db")
    done = registry_command("import", OWN_COPY, "--db", path)
    assert done.exit_code == 0, done.output
    assert "written: institutions 1 update; contacts 3 insert; agreements 1 insert" in done.output
    db = store.connect(path)
    assert [(a["id"], a["kind"]) for a in table(db, "agreements", "id")] == [(AGREEMENT, "erasmus_iia")]
    assert db.conn.execute("SELECT schac FROM institutions WHERE id = 'university-of-bergen'").fetchone()[0] == "uib.no"
    sources = {row[0] for row in db.conn.execute("SELECT DISTINCT source FROM changes WHERE source != 'test setup'")}
    assert sources == {f"import {OWN_COPY}"}  # one transaction, the SCHAC code learned included
    terms = stored_terms(db)

    exported = tmp_path / "export.xml"
    written = registry_command("export", "--db", path, "--format", "ewp", "-o", exported)
    assert written.exit_code == 0, written.output
    assert f"wrote 1 records to {exported}" in written.output
    assert_valid(exported)
    [copy] = reader.read_file(exported)[1]
    [original] = reader.read_file(OWN_COPY)[1]
    assert copy.iia_hash == original.iia_hash == OWN_COPY_HASH  # our own copy, unchanged: byte-identical terms

    before = counts(path)
    again = registry_command("import", exported, "--db", path, "--json")  # by suffix: .xml
    assert again.exit_code == 0, again.output
    report = json.loads(again.stdout)
    assert report["written"] and all(set(ops) == {"unchanged"} for ops in report["plan"].values())
    assert counts(path) == before and stored_terms(db) == terms
    db.conn.close()


def test_export_to_standard_output_chooses_agreements(template, tmp_path):
    path = copy_registry(template, tmp_path / "registry.db")
    assert registry_command("import", OWN_COPY, "--db", path).exit_code == 0
    out = registry_command("export", "--db", path, "--format", "ewp", "--agreement", AGREEMENT)
    assert out.exit_code == 0, out.output
    assert out.stdout_bytes.startswith(b"<?xml") and b"<iia-id>lu-iia-0001</iia-id>" in out.stdout_bytes
    unknown = registry_command("export", "--db", path, "--format", "ewp", "--agreement", "no-such-agreement")
    assert unknown.exit_code == 1 and "no agreement has this id" in unknown.output
    # the table formats write whole tables: choosing agreements there is a usage error
    csv = registry_command("export", "--db", path, "--agreement", AGREEMENT)
    assert csv.exit_code == 2 and "choosing agreements is for ewp" in csv.output
    kind = registry_command("export", "--db", path, "--format", "ewp", "--kind", "institutions")
    assert kind.exit_code == 2 and "erasmus_iia agreements only" in kind.output


def test_options_for_tables_are_refused_and_problems_stop_the_import(tmp_path):
    path = make_registry(tmp_path / "registry.db", [LUND])  # Bergen unknown, and no reference loaded
    before = counts(path)
    keep = registry_command("import", OWN_COPY, "--db", path, "--keep-valid")
    assert keep.exit_code == 2 and "--keep-valid does not apply to an EWP document" in keep.output
    unknown = registry_command("import", OWN_COPY, "--db", path, "--json")
    assert unknown.exit_code == 1
    [problem] = json.loads(unknown.stdout)
    assert (problem["code"], problem["value"], problem["where"]) == ("unknown-institution", "uib.no", f"{OWN_COPY}:11")
    assert "--create-missing" in problem["message"]
    assert counts(path) == before
    # with --create-missing the partner comes from the Erasmus charter list, in the same transaction
    created = registry_command("import", OWN_COPY, "--db", path, "--create-missing", "--json")
    assert created.exit_code == 0, created.output
    report = json.loads(created.stdout)
    assert report["rows"][0]["status"] == "new" and report["plan"]["institutions"] == {"insert": 1}
    db = store.connect(path)
    assert db.conn.execute("SELECT name, erasmus_code FROM institutions WHERE schac = 'uib.no'").fetchone() == (
        "UNIVERSITETET I BERGEN", "N  BERGEN01")
    db.conn.close()


APPROVAL = """<?xml version="1.0" encoding="UTF-8"?>
<iias-approval-response xmlns="https://github.com/erasmus-without-paper/ewp-specs-api-iias-approval/tree/stable-v2">
  <approval>
    <iia-id>lu-iia-0001</iia-id>
    <iia-hash>{digest}</iia-hash>
  </approval>
</iias-approval-response>
"""


def test_an_approval_response_is_recorded_through_import(template, tmp_path):
    path = copy_registry(template, tmp_path / "registry.db")
    assert registry_command("import", OWN_COPY, "--db", path).exit_code == 0
    response = tmp_path / "approval.xml"
    response.write_text(APPROVAL.format(digest=OWN_COPY_HASH), encoding="utf-8")
    flagged = registry_command("import", response, "--db", path)  # the copy carries values from IIA v6
    assert flagged.exit_code == 1 and "not-valid-for-approval" in flagged.output and "v6-value 091" in flagged.output

    assert registry_command("import", APPROVABLE_COPY, "--db", path).exit_code == 0
    response.write_text(APPROVAL.format(digest="0" * 64), encoding="utf-8")
    mismatch = registry_command("import", response, "--db", path)
    assert mismatch.exit_code == 1 and "approval-mismatch" in mismatch.output

    response.write_text(APPROVAL.format(digest=APPROVABLE_HASH), encoding="utf-8")
    dry = registry_command("import", response, "--db", path, "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    report = json.loads(dry.stdout)
    assert report["kind"] == "approvals" and report["rows"][0]["record"] == f"agreements/{AGREEMENT}"
    db = store.connect(path)
    assert db.conn.execute("SELECT approved_hash FROM ewp_iias").fetchone()[0] is None
    done = registry_command("import", response, "--db", path)
    assert done.exit_code == 0, done.output
    approved_hash, watermark = db.conn.execute("SELECT approved_hash, approved_watermark FROM ewp_iias").fetchone()
    assert approved_hash == APPROVABLE_HASH and watermark > 0
    db.conn.close()


def test_deleting_an_agreement_deletes_its_ewp_copy_and_logs_every_row(template, tmp_path):
    path = copy_registry(template, tmp_path / "registry.db")
    assert registry_command("import", OWN_COPY, "--db", path).exit_code == 0
    db = store.connect(path)
    watermark = change_count(db)
    assert store.delete_record(db, "agreements", AGREEMENT, actor="tester", source="test delete")
    assert {name: n for name, n in counts(path).items() if name != "changes"} == dict.fromkeys(EWP_TABLES, 0)
    logged = db.conn.execute("SELECT table_name, count(*) FROM changes WHERE id > ? AND operation = 'delete' "
                             "AND actor = 'tester' AND source = 'test delete' GROUP BY table_name", [watermark]).fetchall()
    assert dict(logged) == {"agreements": 1, "agreement_parties": 2, "contacts": 3, "ewp_iias": 1, "ewp_iia_partners": 2,
                            "ewp_iia_conditions": 6, "mobility_terms": 6}
    assert [e["operation"] for e in store.history(db, AGREEMENT) if e["table_name"] == "ewp_iias"] == ["insert", "delete"]
    # the institutions stay, and the same copy imports again as a new agreement
    assert db.conn.execute("SELECT count(*) FROM institutions").fetchone()[0] == 2
    db.conn.close()
    assert registry_command("import", OWN_COPY, "--db", path).exit_code == 0


@requires_ewp
@pytest.mark.parametrize("name", list(EXAMPLES))
def test_the_upstream_examples_through_import_and_export(name, tmp_path):
    path = make_registry(tmp_path / "registry.db", [WARSAW.model_copy(update={"is_home": True}), BODO])
    before = counts(path)
    assert registry_command("import", EXAMPLES[name], "--db", path, "--dry-run").exit_code == 0
    assert counts(path) == before
    done = registry_command("import", EXAMPLES[name], "--db", path, "--json")
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    assert report["details"]["schema"] == "valid against its XSD" and report["rows"][0]["status"] == "matched"
    db = store.connect(path)
    terms = stored_terms(db)

    exported = tmp_path / "export.xml"
    assert registry_command("export", "--db", path, "-o", exported).exit_code == 0  # ewp by the suffix
    assert_valid(exported)
    [copy], [original] = reader.read_file(exported)[1], reader.read_file(EXAMPLES[name])[1]
    assert copy.iia_hash == original.iia_hash  # Warsaw's own copy, unchanged
    assert [c.model_dump() for c in copy.conditions] == [c.model_dump() for c in original.conditions]

    fresh = make_registry(tmp_path / "fresh.db", [WARSAW.model_copy(update={"is_home": True}), BODO])
    assert registry_command("import", exported, "--db", fresh).exit_code == 0
    assert stored_terms(store.connect(fresh)) == terms
    db.conn.close()


@requires_ewp
def test_the_upstream_institutions_response_through_import(tmp_path):
    path = make_registry(tmp_path / "registry.db", [WARSAW])
    done = registry_command("import", SCHEMAS / "institutions/response-example.xml", "--db", path, "--json")
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    assert (report["kind"], report["rows"][0]["record"], report["rows"][0]["status"]) == ("institutions", "institutions/uio.no", "new")
    db = store.connect(path)
    assert db.conn.execute("SELECT name, schac FROM institutions WHERE id = 'uio.no'").fetchone() == ("University of Oslo", "uio.no")
    db.conn.close()


def test_the_python_api_takes_the_same_files(template, tmp_path):
    import registry

    path = copy_registry(template, tmp_path / "registry.db")
    preview = registry.import_file(OWN_COPY, db_path=path, dry_run=True)
    assert (preview.format, preview.kind, preview.written) == ("ewp", "iias", False) and counts(path)["agreements"] == 0
    assert registry.import_file(OWN_COPY, db_path=path).written
    exported = tmp_path / "chosen.xml"
    assert registry.export(exported, db_path=path, agreements=[AGREEMENT]) == 1
    assert_valid(exported)
    assert [iia.partners[0].iia_id for iia in reader.read_file(exported)[1]] == ["lu-iia-0001"]
