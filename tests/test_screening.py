"""``registry screen``: matches stored with their history, reviewers' decisions, the CLI, the
GRE20-GRE23 checks, the canned queries and the demo step, on real registry files."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime

import pytest
from click.testing import CliRunner
from conftest import ROOT, TEST_DATA, datasette_get, new_registry

from checks.context import Context, load_criteria
from checks.run import run_checks
from registry import clock
from registry import db as store
from registry.cli import cli
from registry.importers.screening import load_list
from registry.models import Institution
from registry.problems import ProblemsFound
from registry.screening import decide, screen

DATA = TEST_DATA / "screening"
ASPI_CSV = ROOT / "data" / "screening" / "china_defence_universities.csv"
ASPI = "aspi-china-defence-universities"
HIT = "7e1827c7-cc6b-4b73-a557-8bd2b9a7f65d"  # Harbin Institute of Technology's MISP uuid
AFMU = "6793d9a5-e423-41d1-a3d6-f28a7757964d"  # Air Force Medical University

PARTNERS = [
    Institution(id="lund-university", name="Lund University", country="SE", is_home=True),
    Institution(id="hit", name="Harbin Inst. of Tech.", country="CN"),
    Institution(id="xijing", name="Fourth Military Medical University", country="CN",
                names=[{"name": "空军军医大学", "kind": "local", "language": "zh"}]),
    Institution(id="nju", name="Nanjing University", acronym="NJU", country="CN"),
    Institution(id="northwestern", name="Northwestern University", country="US"),
    Institution(id="zarubin", name="Zarubinskiy Politekhnicheskiy Institut", country="RU"),
    Institution(id="neural", name="Institute for Independent Neural Sciences", acronym="IINS", country="BY"),
    Institution(id="copenhagen", name="University of Copenhagen", acronym="UCPH", country="DK"),
]
LISTS = [(ASPI_CSV, "aspi", {}), (DATA / "fictitious_targets.simple.csv", "opensanctions", {"list_id": "fictitious-sanctions"})]


def build(path):
    db = store.connect(new_registry(path))
    store.write_records(db, PARTNERS, actor="test")
    for list_path, list_format, options in LISTS:
        load_list(db, list_path, list_format, actor="test", **options)
    return db


@pytest.fixture(scope="module")
def screened_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("screening") / "registry.db"
    db = build(path)
    screen(db, actor="test", now=datetime(2026, 1, 5, tzinfo=UTC))
    db.conn.close()
    return path


@pytest.fixture
def screened(screened_file, tmp_path):
    """A private copy of the screened registry, for tests that write."""
    copy = tmp_path / "registry.db"
    shutil.copy(screened_file, copy)
    db = store.connect(copy)
    yield db
    db.conn.close()


def matches(db, **where):
    sql = "SELECT * FROM risk_matches" + (" WHERE " + " AND ".join(f"{k} = ?" for k in where) if where else "")
    cursor = db.conn.execute(sql + " ORDER BY institution, entity_id", list(where.values()))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


def pairs(db):
    return {(m["institution"], m["list"], m["band"]) for m in matches(db, current=1)}


def test_screening_finds_the_listed_partners_and_only_them(screened):
    found = pairs(screened)
    assert found == {
        ("hit", ASPI, "probable"),
        ("xijing", ASPI, "probable"),
        ("nju", ASPI, "probable"),
        ("zarubin", "fictitious-sanctions", "probable"),
        ("neural", "fictitious-sanctions", "possible"),  # only the acronym IINS matched
    }
    nju = matches(screened, institution="nju")
    assert [m["entity_name"] for m in nju] == ["Nanjing University"]  # never NUAA


def test_a_match_records_names_explanation_and_fingerprint(screened):
    (hit,) = matches(screened, institution="hit")
    assert hit["entity_id"] == HIT and hit["score"] == 1.0
    assert hit["institution_name"] == "Harbin Inst. of Tech." and hit["entity_name"] == "Harbin Institute of Technology"
    explanation = json.loads(hit["explanation"])
    assert ["harbin", "harbin", 1.0] in explanation["aligned"] and explanation["country"] == "CN"
    fingerprint = screened.conn.execute("SELECT fingerprint FROM risk_entities WHERE entity_id = ?", [HIT]).fetchone()[0]
    assert hit["entity_fingerprint"] == fingerprint
    assert hit["first_seen"] == hit["last_seen"] == "2026-01-05T00:00:00Z"
    (afmu,) = matches(screened, institution="xijing")
    assert afmu["entity_id"] == AFMU and afmu["entity_name"] in ("Fourth Military Medical University", "空军军医大学")


def test_screening_again_keeps_first_seen_and_marks_what_is_gone(screened):
    store.write_records(screened, [Institution(id="hit", name="Harbin Polar Research Station", country="CN", names=[])])
    later = datetime(2026, 3, 1, tzinfo=UTC)
    run = screen(screened, now=later)
    aspi = next(r for r in run.lists if r.list_id == ASPI)
    assert aspi.no_longer_found == 1
    (gone,) = matches(screened, institution="hit")
    assert gone["current"] == 0 and gone["last_seen"] == "2026-01-05T00:00:00Z"  # kept as history
    (kept,) = matches(screened, institution="nju")
    assert kept["first_seen"] == "2026-01-05T00:00:00Z" and kept["last_seen"] == "2026-03-01T00:00:00Z"


def test_not_the_same_suppresses_the_pair_until_the_entity_changes(screened, monkeypatch):
    monkeypatch.setenv(clock.ENVIRONMENT_VARIABLE, "2026-12-05")  # screened after the decision of 2026-01-06
    decide(screened, "nju", NJU_ID(screened), "not_the_same", reason="checked: the partner is the medical school of another city",
           reviewer_role="due_diligence_reviewer", decided_on=date(2026, 1, 6))
    run = screen(screened)
    aspi = next(r for r in run.lists if r.list_id == ASPI)
    assert [s["institution"] for s in aspi.suppressed] == ["nju"] and aspi.no_longer_found == 0
    assert ("nju", ASPI, "probable") not in pairs(screened)
    # The list now gives the entity another name: the decision no longer holds.
    screened.conn.execute(
        "UPDATE risk_entities SET aliases = json_insert(aliases, '$[#]', 'Nanjing Daxue'), "
        "fingerprint = 'changed-by-test' WHERE entity_id = ?", [NJU_ID(screened)])
    screen(screened)
    assert ("nju", ASPI, "probable") in pairs(screened)


def NJU_ID(db) -> str:
    return db.conn.execute("SELECT entity_id FROM risk_entities WHERE name = 'Nanjing University'").fetchone()[0]


def test_decisions_are_validated(screened):
    with pytest.raises(ProblemsFound, match="no institution has this id"):
        decide(screened, "nowhere", HIT, "confirmed", reason="x", reviewer_role="due_diligence_reviewer")
    with pytest.raises(ProblemsFound, match="no listed entity"):
        decide(screened, "hit", "no-such-entity", "confirmed", reason="x", reviewer_role="due_diligence_reviewer")
    with pytest.raises(ProblemsFound) as caught:
        decide(screened, "hit", HIT, "confirmed", reason="x", reviewer_role="intern")
    assert caught.value.problems[0].field == "reviewer_role"
    with pytest.raises(ProblemsFound, match="no screening list"):
        screen(screened, list_ids=["nope"])


# --- the checks -----------------------------------------------------------------------------


def findings(db, *codes):
    ctx = Context(db, load_criteria()[0], date(2026, 1, 10))
    from checks.registry import load_all

    specs = load_all()
    return {code: {f.subject_id: f for f in specs[code].function(ctx)} for code in codes}


def test_checks_grade_matches_by_band_and_category(screened):
    found = findings(screened, "GRE20", "GRE21", "GRE22", "GRE23")
    assert set(found["GRE21"]) == {"hit", "xijing"}  # Seven sons; Military
    assert set(found["GRE23"]) == {"nju"}  # Civilian
    assert set(found["GRE20"]) == {"zarubin"}
    assert set(found["GRE22"]) == {"neural"}
    hit = found["GRE21"]["hit"]
    assert hit.message == ("Harbin Inst. of Tech. probably is Harbin Institute of Technology on "
                           "ASPI China Defence Universities Tracker (2020 snapshot) (probable, score 1.00).")
    (evidence,) = hit.evidence["matches"]
    assert evidence["entity_id"] == HIT and evidence["categories"] == ["Seven sons of national defence"]
    assert evidence["partner_name"] == "Harbin Inst. of Tech." and evidence["listed_name"] == "Harbin Institute of Technology"
    assert ["harbin", "harbin", 1.0] in evidence["aligned"] and evidence["score"] == 1.0


def test_checks_leave_out_pairs_set_aside_and_report_confirmed_ones_as_probable(screened):
    decide(screened, "hit", HIT, "not_the_same", reason="test: another institution",
           reviewer_role="due_diligence_reviewer")
    decide(screened, "neural", "fict-os-0005", "confirmed", reason="test: the same body",
           reviewer_role="security_officer")
    found = findings(screened, "GRE20", "GRE21", "GRE22")
    assert "hit" not in found["GRE21"]  # suppressed at once, before the next screening
    assert "neural" in found["GRE20"] and "neural" not in found["GRE22"]
    assert found["GRE20"]["neural"].message.startswith("Institute for Independent Neural Sciences is Institute of Imaginary")


def test_no_findings_without_matches(registry_db):
    store.write_records(registry_db, PARTNERS, actor="test")
    found = findings(registry_db, "GRE20", "GRE21", "GRE22", "GRE23")
    assert all(not rows for rows in found.values())


def test_a_check_run_records_screening_findings(screened):
    result = run_checks(screened, only=["GRE20", "GRE21", "GRE22", "GRE23"], today=date(2026, 1, 10))
    by_code = {}
    for finding in result.findings:
        by_code.setdefault(finding["code"], set()).add(finding["subject_id"])
    assert by_code == {"GRE20": {"zarubin"}, "GRE21": {"hit", "xijing"}, "GRE22": {"neural"}, "GRE23": {"nju"}}
    assert result.failing("high")


# --- the command line ---------------------------------------------------------------------


def test_cli_load_screen_decide(tmp_path):
    runner = CliRunner()
    db_path = str(tmp_path / "cli.db")
    assert runner.invoke(cli, ["init", "--no-reference", "--db", db_path]).exit_code == 0
    db = store.connect(db_path)
    store.write_records(db, PARTNERS, actor="test")
    db.conn.close()
    loaded = runner.invoke(cli, ["screening", "load", str(DATA / "fictitious_targets.simple.csv"), "--format",
                                 "opensanctions", "--db", db_path, "--retrieved-on", "2026-01-02", "--licence", "test"])
    assert loaded.exit_code == 0, loaded.output
    assert "list opensanctions: 4 organisations" in loaded.output and "skipped 1: schema Person" in loaded.output
    lists = runner.invoke(cli, ["screening", "lists", "--db", db_path, "--json"])
    assert json.loads(lists.output)[0]["retrieved_on"] == "2026-01-02"
    result = runner.invoke(cli, ["screen", "--db", db_path])
    assert result.exit_code == 1  # matches found
    assert "opensanctions (4 entities): 1 probable, 1 possible" in result.output
    assert "zarubin  ~  Zarubin Polytechnic Institute" in result.output
    as_json = runner.invoke(cli, ["screen", "--db", db_path, "--json"])
    report = json.loads(as_json.output)
    assert report["lists"][0]["probable"] == 1 and report["institutions"] == 7
    for institution, entity in (("zarubin", "fict-os-0001"), ("neural", "fict-os-0005")):
        decided = runner.invoke(cli, ["screen", "decide", institution, entity, "--not-the-same", "--reason",
                                      "test decision", "--reviewer-role", "due_diligence_reviewer", "--db", db_path])
        assert decided.exit_code == 0, decided.output
    clean = runner.invoke(cli, ["screen", "--db", db_path])
    assert clean.exit_code == 0 and "2 set aside by reviewers" in clean.output


def test_cli_reports_bad_input_and_bad_usage(tmp_path):
    runner = CliRunner()
    db_path = str(tmp_path / "cli.db")
    runner.invoke(cli, ["init", "--no-reference", "--db", db_path])
    nothing = runner.invoke(cli, ["screen", "--db", db_path])
    assert nothing.exit_code == 0 and "no screening lists loaded" in nothing.output
    unknown = runner.invoke(cli, ["screen", "--list", "nope", "--db", db_path])
    assert unknown.exit_code == 1 and "no screening list has this id" in unknown.output
    bad = tmp_path / "bad.csv"
    bad.write_text("name,country\nFictitious Institute,Atlantis\n", encoding="utf-8")
    result = runner.invoke(cli, ["screening", "load", str(bad), "--format", "csv", "--db", db_path])
    assert result.exit_code == 1 and f"{bad}:2: country: unknown country 'Atlantis'" in result.output
    usage = runner.invoke(cli, ["screen", "decide", "a", "b", "--reason", "x", "--reviewer-role",
                                "due_diligence_reviewer", "--db", db_path])
    assert usage.exit_code == 2 and "--not-the-same or --confirmed" in usage.output
    assert runner.invoke(cli, ["screening", "load", str(bad), "--format", "xml", "--db", db_path]).exit_code == 2


# --- Datasette and the demo -----------------------------------------------------------------


def test_canned_query_lists_open_matches_and_hides_set_aside_pairs(screened):
    decide(screened, "nju", NJU_ID(screened), "not_the_same", reason="test", reviewer_role="due_diligence_reviewer")
    path = screened.conn.execute("PRAGMA database_list").fetchone()[2]
    response = datasette_get(path, "/registry/screening_matches.json?institution=&_shape=objects")
    assert response.status_code == 200, response.text
    rows = response.json()["rows"]
    assert {(r["institution"], r["band"]) for r in rows} == {("hit", "probable"), ("xijing", "probable"),
                                                            ("zarubin", "probable"), ("neural", "possible")}
    one = datasette_get(path, "/registry/screening_matches.json?institution=hit&_shape=objects").json()["rows"]
    assert [r["listed_entity"] for r in one] == ["Harbin Institute of Technology"]
    decisions = datasette_get(path, "/registry/screening_decisions_made.json?_shape=objects").json()["rows"]
    assert [(d["institution"], d["status"]) for d in decisions] == [("nju", "holds")]


def test_partner_risk_shows_the_screening_matches(screened):
    path = screened.conn.execute("PRAGMA database_list").fetchone()[2]
    rows = datasette_get(path, "/registry/partner_risk.json?institution=hit&_shape=objects").json()["rows"]
    screening = [r for r in rows if r["aspect"].startswith("screening")]
    assert [(r["aspect"], r["value"]) for r in screening] == [
        ("screening probable", "Harbin Institute of Technology on ASPI China Defence Universities Tracker (2020 snapshot) (score 1.00)")
    ]


def test_the_demo_step_screens_the_example_partners_before_the_checks_run(tmp_path):
    from registry import cli_checks, cli_screening
    from registry.examples import DATA_DIR, SEED_DIRS, fresh_registry
    from registry.extensions import demo_steps
    from registry.importers import seed

    steps = demo_steps()
    assert steps.index(cli_screening.demo_step) < steps.index(cli_checks.demo_step)
    db = fresh_registry(tmp_path / "demo.db")
    seed.load(db, [DATA_DIR / name for name in SEED_DIRS if (DATA_DIR / name).is_dir()], actor="demo")
    cli_screening.demo_step(db)
    found = {row[0] for row in db.conn.execute("SELECT institution FROM risk_matches WHERE current = 1")}
    assert {"harbin-institute-of-technology", "beihang-university"} <= found
    assert db.conn.execute("SELECT count(*) FROM risk_entities").fetchone()[0] == 159
    result = run_checks(db, only=["GRE21"], today=clock.today())
    assert {f["subject_id"] for f in result.findings} >= {"harbin-institute-of-technology", "beihang-university"}
