"""Runs, finding history, waivers, reviews, exit codes, the check list and its docs."""

from __future__ import annotations

import ast
import importlib.util
import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, SHARED, datasette_get, new_registry, requires_shared

from checks import check, decisions
from checks import run as checks_run
from checks.context import load_criteria
from checks.docs import DOCS_FILE, checks_markdown
from checks.registry import CHECKS, all_checks
from checks.run import run_checks
from registry import clock
from registry import db as store
from registry.cli import cli
from registry.cli_checks import demo_step
from registry.importers.indicators import DEFAULT_DIR, load_indicators
from registry.models.core import Agreement, Institution, Network, Programme
from registry.problems import ProblemsFound, UnknownName

DAY1, DAY2, DAY3 = date(2026, 11, 21), date(2026, 11, 28), date(2026, 12, 5)


def base_records():
    return [
        Institution(id="lund", name="Lund University", country="SE", is_home=True),
        Institution(id="oslo", name="University of Oslo", country="NO", ror="01xtthb56", latitude=59.9, longitude=10.7),
        Agreement(id="oslo-exchange", title="Oslo exchange", kind="student_exchange", status="active",
                  coordinator="International coordinator", notice_months=6, parties=["lund", "oslo"]),
    ]


@pytest.fixture
def db(registry_db):
    store.write_records(registry_db, base_records(), actor="test")
    return registry_db


@pytest.fixture
def decided(db, monkeypatch):
    """The registry on DAY3: the decisions below are dated DAY1 to DAY3, and none may lie after today."""
    monkeypatch.setenv(clock.ENVIRONMENT_VARIABLE, DAY3.isoformat())
    return db


def finding_row(db, fingerprint):
    cursor = db.conn.execute("SELECT * FROM findings_seen WHERE id = ?", [fingerprint])
    row = cursor.fetchone()
    return dict(zip([d[0] for d in cursor.description], row, strict=True)) if row else None


# --- history -----------------------------------------------------------------------------


def test_a_finding_keeps_its_history_across_runs(db):
    first = run_checks(db, only=["DQ05"], today=DAY1, actor="test")
    assert first.new == 1 and first.resolved == 0
    fingerprint = "DQ05:agreements:oslo-exchange"
    assert [f["id"] for f in first.findings] == [fingerprint]

    second = run_checks(db, only=["DQ05"], today=DAY2, actor="test")
    row = finding_row(db, fingerprint)
    assert second.new == 0 and row["first_seen"] == "2026-11-21" and row["last_seen"] == "2026-11-28"
    assert row["first_run"] == first.run_id and row["last_run"] == second.run_id
    assert row["subject_label"] == "Oslo exchange"

    db.conn.execute("INSERT INTO programmes (id, name_en, name_sv, cycle) VALUES ('med', 'Medicine', 'Läkarprogrammet', 'second')")
    db.conn.execute("INSERT INTO agreement_programmes (agreement, programme) VALUES ('oslo-exchange', 'med')")
    third = run_checks(db, only=["DQ05"], today=DAY3, actor="test")
    row = finding_row(db, fingerprint)
    assert third.resolved == 1 and third.findings == []
    assert row["status"] == "resolved" and row["resolved_on"] == "2026-12-05" and row["last_seen"] == "2026-11-28"

    db.conn.execute("DELETE FROM agreement_programmes")
    fourth = run_checks(db, only=["DQ05"], today=date(2026, 12, 12), actor="test")
    row = finding_row(db, fingerprint)
    assert fourth.new == 1 and row["status"] == "open" and row["resolved_on"] is None
    assert row["first_seen"] == "2026-11-21"  # reopened, not a new finding
    runs = db.conn.execute("SELECT id, found, new, resolved, checks FROM check_runs ORDER BY started_at, id").fetchall()
    assert [(found, new, resolved) for _, found, new, resolved, _ in runs] == [(1, 1, 0), (1, 0, 0), (0, 0, 1), (1, 1, 0)]
    assert json.loads(runs[0][4]) == ["DQ05"]


def test_a_run_keeps_its_temporary_tables_in_memory_and_leaves_the_callers_alone(db, monkeypatch):
    conn = db.conn
    assert conn.execute("PRAGMA temp_store").fetchone()[0] == 0  # SQLite's default: a file
    seen = []
    original = checks_run.refresh_waivers

    def noting_temp_store(*args, **kwargs):
        seen.append(conn.execute("PRAGMA temp_store").fetchone()[0])
        return original(*args, **kwargs)

    monkeypatch.setattr(checks_run, "refresh_waivers", noting_temp_store)
    run_checks(db, only=["DQ05"], today=DAY1, actor="test", lanes=1)
    assert seen == [2] and conn.execute("PRAGMA temp_store").fetchone()[0] == 0  # in memory during the run only
    conn.execute("CREATE TEMP TABLE callers (x)")
    conn.execute("INSERT INTO callers VALUES (1)")
    run_checks(db, only=["DQ05"], today=DAY2, actor="test", lanes=1)
    assert seen == [2, 0]  # changing it would have dropped the caller's table
    assert conn.execute("SELECT x FROM temp.callers").fetchall() == [(1,)]


def test_a_partial_run_resolves_only_its_own_checks(db):
    db.conn.execute("UPDATE agreements SET coordinator = NULL")
    run_checks(db, only=["DQ05", "DQ06"], today=DAY1, actor="test")
    db.conn.execute("UPDATE agreements SET coordinator = 'International coordinator'")
    result = run_checks(db, only=["DQ05"], today=DAY2, actor="test")
    assert result.resolved == 0
    assert finding_row(db, "DQ06:agreements:oslo-exchange")["status"] == "open"
    result = run_checks(db, families=["DQ"], today=DAY2, actor="test")
    assert result.resolved == 1
    assert finding_row(db, "DQ06:agreements:oslo-exchange")["status"] == "resolved"


def test_unknown_codes_and_families_are_refused(db):
    # The project's own error, so that a KeyError raised by a bug in a check is never taken for bad usage.
    with pytest.raises(UnknownName, match="XX99"):
        run_checks(db, only=["XX99"], today=DAY1)
    with pytest.raises(UnknownName, match="ZZ"):
        run_checks(db, families=["ZZ"], today=DAY1)


# --- waivers -----------------------------------------------------------------------------


def test_a_waiver_marks_the_finding_until_it_ends_and_deletes_nothing(decided):
    db = decided
    run_checks(db, only=["DQ05"], today=DAY1, actor="test")
    waiver = decisions.waive(db, "dq05", "oslo-exchange", reason="framework agreement, no programme",
                             until=date(2026, 11, 30), granted_on=DAY1, actor="head-of-office")
    assert waiver.granted_by == "head-of-office"
    assert finding_row(db, "DQ05:agreements:oslo-exchange")["waiver"] == waiver.id

    during = run_checks(db, only=["DQ05"], today=DAY2, actor="test")
    assert during.findings[0]["waiver"] == waiver.id and during.findings[0]["waived_until"] == "2026-11-30"
    assert during.failing("info") == []

    after = run_checks(db, only=["DQ05"], today=DAY3, actor="test")
    assert after.findings[0]["waiver"] is None and len(after.failing("low")) == 1
    assert db.conn.execute("SELECT count(*) FROM waivers").fetchone()[0] == 1
    history = store.history(db, waiver.id)
    assert history[0]["operation"] == "insert" and history[0]["source"] == "registry waive"


def test_a_waiver_not_yet_granted_on_the_run_date_does_not_hold(decided):
    db = decided
    run_checks(db, only=["DQ05"], today=DAY1, actor="test")
    decisions.waive(db, "DQ05", "agreements/oslo-exchange", reason="later", until=date(2027, 1, 31), granted_on=DAY3)
    assert run_checks(db, only=["DQ05"], today=DAY2, actor="test").findings[0]["waiver"] is None


def test_waiving_what_was_not_found_is_refused(db):
    with pytest.raises(ProblemsFound, match="run 'registry check' first"):
        decisions.waive(db, "DQ05", "oslo-exchange", reason="x", until=DAY2)


def test_a_waiver_cannot_end_before_it_starts(decided):
    db = decided
    run_checks(db, only=["DQ05"], today=DAY1, actor="test")
    with pytest.raises(ProblemsFound, match="until"):
        decisions.waive(db, "DQ05", "oslo-exchange", reason="x", until=date(2026, 1, 1), granted_on=DAY1)


# --- reviews -----------------------------------------------------------------------------


def test_a_review_records_the_answers_and_is_logged(decided):
    db = decided
    review = decisions.record_review(
        db, "oslo", outcome="approved_with_conditions", reviewer_role="due_diligence_reviewer",
        next_due=date(2027, 11, 1), reviewed_on=DAY1, conditions="no dual-use subjects",
        answers={"military_or_security_links": "no", "export_control_assessed": "yes", "funding_transparent": None},
    )
    row = db.conn.execute("SELECT institution, outcome, export_control_assessed, funding_transparent, next_review_due "
                          "FROM reviews WHERE id = ?", [review.id]).fetchone()
    assert row == ("oslo", "approved_with_conditions", "yes", None, "2027-11-01")
    assert store.history(db, review.id)[0]["source"] == "registry review"
    second = decisions.record_review(db, "agreements/oslo-exchange", outcome="approved",
                                     reviewer_role="legal_counsel", next_due=None, reviewed_on=DAY1)
    assert second.agreement == "oslo-exchange" and second.id != review.id


def test_a_review_of_an_unknown_subject_or_with_a_due_date_before_it_is_refused(decided):
    db = decided
    with pytest.raises(ProblemsFound, match="no record 'nowhere'"):
        decisions.record_review(db, "nowhere", outcome="approved", reviewer_role="legal_counsel", next_due=None)
    with pytest.raises(ProblemsFound, match="next_review_due"):
        decisions.record_review(db, "oslo", outcome="approved", reviewer_role="legal_counsel",
                                next_due=date(2020, 1, 1), reviewed_on=DAY1)
    assert db.conn.execute("SELECT count(*) FROM reviews").fetchone()[0] == 0


# --- the command line --------------------------------------------------------------------


@pytest.fixture
def cli_db(db, registry_path):
    db.conn.execute("UPDATE agreements SET coordinator = NULL")  # DQ06 (low) and DQ05 (low)
    return str(registry_path)


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.mark.parametrize(
    "fail_on, code",
    [("info", 1), ("low", 1), ("medium", 0), ("high", 0), ("never", 0)],
)
def test_fail_on_sets_the_exit_status(cli_db, fail_on, code):
    result = invoke("check", "--db", cli_db, "--family", "DQ", "--fail-on", fail_on, "--as-of", "2026-11-21")
    assert result.exit_code == code, result.output
    assert "LOW (2)" in result.output and "DQ06  agreements/oslo-exchange (Oslo exchange)" in result.output


def test_a_waived_finding_no_longer_fails_the_run(cli_db, monkeypatch):
    monkeypatch.setenv(clock.ENVIRONMENT_VARIABLE, "2026-11-21")  # the waiver is granted that day
    assert invoke("check", "--db", cli_db, "--only", "DQ06", "--fail-on", "low", "--as-of", "2026-11-21").exit_code == 1
    waived = invoke("waive", "DQ06", "oslo-exchange", "--db", cli_db, "--reason", "coordinator being hired",
                    "--until", "2029-01-31")
    assert waived.exit_code == 0, waived.output
    result = invoke("check", "--db", cli_db, "--only", "DQ06", "--fail-on", "low", "--as-of", "2026-11-22")
    assert result.exit_code == 0 and "[waived until 2029-01-31: coordinator being hired]" in result.output


def test_check_json_and_markdown(cli_db):
    result = invoke("check", "--db", cli_db, "--only", "DQ05,DQ06", "--json", "--fail-on", "never", "--as-of", "2026-11-21")
    report = json.loads(result.stdout)
    assert "no country indicators loaded" in result.stderr
    assert report["run"]["checks"] == ["DQ05", "DQ06"] and report["run"]["by_severity"]["low"] == 2
    assert {f["code"] for f in report["findings"]} == {"DQ05", "DQ06"}
    markdown = invoke("check", "--db", cli_db, "--only", "DQ06", "--format", "markdown", "--fail-on", "never").stdout
    assert markdown.startswith("# Check run") and "| DQ06 | agreements/oslo-exchange (Oslo exchange) |" in markdown


def test_the_reports_are_written_a_finding_at_a_time_as_the_whole_document_reads(cli_db, monkeypatch):
    """A run may have millions of findings: the formats stream them (checks.report), and the JSON is
    byte for byte what json.dumps of the whole run writes; a waived finding keeps its waiver."""
    import io

    from checks.report import write_json, write_markdown, write_text

    monkeypatch.setenv(clock.ENVIRONMENT_VARIABLE, "2026-11-21")
    invoke("check", "--db", cli_db, "--only", "DQ05,DQ06", "--fail-on", "never")
    assert invoke("waive", "DQ06", "oslo-exchange", "--db", cli_db, "--reason", "hiring | soon",
                  "--until", "2029-01-31").exit_code == 0
    for only in (["DQ05", "DQ06"], ["GRE01"]):  # findings, and none
        result = run_checks(store.connect(cli_db), only=only, today=date(2026, 11, 22))
        written = io.StringIO()
        write_json(result, written)
        assert written.getvalue() == json.dumps(result.as_dict(), indent=2, ensure_ascii=False, default=str) + "\n"
        summary = result.summary()
        assert summary["open"] == len(result.findings) and summary["waived"] == (1 if "DQ06" in only else 0)
        assert result.any_failing("low") == bool(result.failing("low"))
    result = run_checks(store.connect(cli_db), only=["DQ05", "DQ06"], today=date(2026, 11, 22))
    text, markdown = io.StringIO(), io.StringIO()
    write_text(result, text)
    write_markdown(result, markdown)
    lines = text.getvalue().splitlines()
    assert lines[0].startswith(f"{result.run_id}: 2 checks as of 2026-11-22, 2 open findings (0 high, 0 medium, 2 low, 0 info; 1 waived)")
    assert lines[1:3] == ["", "LOW (2)"] and lines[-1].endswith("[waived until 2029-01-31: hiring | soon]")
    assert "| DQ06 | agreements/oslo-exchange (Oslo exchange) |" in markdown.getvalue()
    assert "hiring | soon" not in markdown.getvalue() and markdown.getvalue().endswith("| 2029-01-31 |\n\n")


def test_bad_usage_exits_2(cli_db):
    assert invoke("check", "--db", cli_db, "--only", "NOPE1").exit_code == 2
    assert invoke("check", "--db", cli_db, "--fail-on", "urgent").exit_code == 2
    assert invoke("review", "oslo", "--db", cli_db, "--outcome", "maybe", "--reviewer-role", "legal_counsel").exit_code == 2


def test_review_and_bad_review_from_the_command_line(cli_db, decided):
    ok = invoke("review", "oslo", "--db", cli_db, "--outcome", "approved", "--reviewer-role", "due_diligence_reviewer",
                "--next-due", "2027-06-30", "--reviewed-on", "2026-11-21", "--military-links", "no",
                "--export-control-assessed", "yes", "--equitable-terms", "not_applicable", "--json")
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output)["military_or_security_links"] == "no"
    bad = invoke("review", "nobody", "--db", cli_db, "--outcome", "approved", "--reviewer-role", "legal_counsel")
    assert bad.exit_code == 1 and "no record 'nobody'" in bad.output


def test_checks_lists_every_check(cli_db):
    listed = json.loads(invoke("checks", "--json").output)
    assert [c["code"] for c in listed] == [spec.code for spec in all_checks()]
    assert all(c["criterion"] and c["source"] and c["rationale"] and c["severity"] in ("info", "low", "medium", "high")
               for c in listed)
    assert {c["family"] for c in listed} >= {"GRE", "GDE", "AP", "DQ"}
    assert "GRE07" in invoke("checks").output


def test_the_decorator_refuses_a_bad_code_or_a_missing_rationale():
    with pytest.raises(ValueError, match="family"):
        check(code="DQ1X", title="t", severity="low", family="DQ", criterion="c", source="s")
    with pytest.raises(ValueError):
        check(code="DQ99", title="t", severity="urgent", family="DQ", criterion="c", source="s")
    with pytest.raises(ValueError, match="docstring"):
        check(code="DQ99", title="t", severity="low", family="DQ", criterion="c", source="s")(lambda ctx: [])
    assert "DQ99" not in CHECKS


def test_docs_checks_md_is_generated_from_the_code():
    assert DOCS_FILE.read_text(encoding="utf-8") == checks_markdown(), (
        "docs/checks.md is stale: run 'registry checks --format markdown > docs/checks.md'"
    )


def test_registry_imports_checks_only_from_its_cli_module_and_the_api():
    offenders = []
    for path in (ROOT / "registry").rglob("*.py"):
        if path.relative_to(ROOT).as_posix() in ("registry/cli_checks.py", "registry/api.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.name}: {n}" for n in names if n == "checks" or n.startswith("checks.")]
    assert offenders == []


# --- indicators ----------------------------------------------------------------------------


def test_the_shipped_indicators_load_twice_without_change(db):
    counts = load_indicators(db, DEFAULT_DIR, actor="test")
    assert counts["country_freedom"] > 150 and counts["eu_restrictive_measures"] > 20
    changes = db.conn.execute("SELECT count(*) FROM changes").fetchone()[0]
    assert load_indicators(db, DEFAULT_DIR, actor="test") == counts
    assert db.conn.execute("SELECT count(*) FROM changes").fetchone()[0] == changes
    se = db.conn.execute("SELECT academic_freedom, academic_freedom_band, source, licence FROM country_freedom WHERE country = 'SE'").fetchone()
    assert se[0] > 0.9 and se[1] == "A" and "V-Dem" in se[2] and "CC BY" in se[3]
    for table in ("country_freedom", "country_development", "country_classifications", "gdpr_adequacy", "eu_restrictive_measures"):
        missing = db.conn.execute(f"SELECT count(*) FROM {table} WHERE source IS NULL OR licence IS NULL OR year IS NULL").fetchone()[0]
        assert missing == 0, table


def test_a_bad_indicator_row_is_named_and_nothing_is_written(db, tmp_path):
    (tmp_path / "country_freedom.csv").write_text(
        "country,year,academic_freedom,academic_freedom_band,source,licence\n"
        "SE,2022,0.9,A,V-Dem,CC BY 4.0\n"
        "Narnia,2022,1.7,A,V-Dem,CC BY 4.0\n",
        encoding="utf-8",
    )
    with pytest.raises(ProblemsFound) as raised:
        load_indicators(db, tmp_path)
    wheres = {p.where for p in raised.value.problems}
    fields = {p.field for p in raised.value.problems}
    assert wheres == {f"{tmp_path / 'country_freedom.csv'}:3"} and {"country", "academic_freedom"} <= fields
    assert db.conn.execute("SELECT count(*) FROM country_freedom").fetchone()[0] == 0
    result = invoke("indicators", "load", str(tmp_path), "--db", str(Path(db.conn.execute("PRAGMA database_list").fetchone()[2])))
    assert result.exit_code == 1 and "country_freedom.csv:3" in result.output


def test_a_row_dropped_from_a_file_is_deleted_and_logged(db, tmp_path):
    lines = (DEFAULT_DIR / "eu_restrictive_measures.csv").read_text(encoding="utf-8").splitlines()
    (tmp_path / "eu_restrictive_measures.csv").write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    load_indicators(db, DEFAULT_DIR)
    full = db.conn.execute("SELECT count(*) FROM eu_restrictive_measures").fetchone()[0]
    load_indicators(db, tmp_path)
    assert db.conn.execute("SELECT count(*) FROM eu_restrictive_measures").fetchone()[0] == full - 1
    assert db.conn.execute("SELECT count(*) FROM changes WHERE table_name = 'eu_restrictive_measures' AND operation = 'delete'").fetchone()[0] == 1


@requires_shared
def test_the_derived_indicators_match_the_reference_dumps(tmp_path):
    spec = importlib.util.spec_from_file_location("derive", ROOT / "tools" / "derive_country_indicators.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.derive(SHARED / "reference", tmp_path)
    assert len(list(tmp_path.glob("*.csv"))) == 4
    for path in tmp_path.glob("*.csv"):
        assert path.read_text(encoding="utf-8") == (DEFAULT_DIR / path.name).read_text(encoding="utf-8"), path.name


# --- demo and Datasette ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_registry(tmp_path_factory):
    """A small registry with something for every family, after the capability's demo step."""
    path = tmp_path_factory.mktemp("demo") / "registry.db"
    db = store.connect(new_registry(path))
    store.write_records(db, [
        Institution(id="lund", name="Lund University", country="SE", is_home=True),
        Institution(id="fudan", name="Fudan University", country="CN"),
        Institution(id="oslo", name="University of Oslo", country="NO"),
        Programme(id="med", name_en="Medicine", name_sv="Läkarprogrammet", cycle="second"),
        Network(id="u21", name="U21 Health Sciences Group", strategic=True, members=["oslo", "lund"]),
        Agreement(id="fudan-exchange", title="Fudan exchange (fictitious example)", kind="student_exchange",
                  status="active", personal_data=True, parties=["lund", "fudan"], programmes=["med"]),
    ], actor="test")
    demo_step(db)
    db.conn.close()
    return path


def test_the_demo_step_shows_findings_of_every_family(demo_registry):
    db = store.connect(demo_registry)
    families = {family for (family,) in db.conn.execute("SELECT DISTINCT family FROM findings WHERE status = 'open'")}
    assert families >= {"GRE", "GDE", "AP", "DQ"}
    assert db.conn.execute("SELECT count(*) FROM country_freedom").fetchone()[0] > 150


def test_open_findings_in_datasette(demo_registry):
    everything = datasette_get(demo_registry, "/registry/open_findings.json?_shape=array&_size=max").json()
    high = datasette_get(demo_registry, "/registry/open_findings.json?_shape=array&severity=high").json()
    gre = datasette_get(demo_registry, "/registry/open_findings.json?_shape=array&_size=max&family=gre").json()
    assert len(everything) > len(high) > 0 and {r["severity"] for r in high} == {"high"}
    assert {r["family"] for r in gre} == {"GRE"} and 0 < len(gre) < len(everything)
    medium_up = datasette_get(demo_registry, "/registry/open_findings.json?_shape=array&severity=medium").json()
    assert {r["severity"] for r in medium_up} <= {"high", "medium"} and len(medium_up) >= len(high)


def test_partner_risk_in_datasette(demo_registry):
    rows = datasette_get(demo_registry, "/registry/partner_risk.json?_shape=array&institution=fudan").json()
    aspects = {r["aspect"] for r in rows}
    assert {"country risk", "academic freedom", "EU arms embargo", "GDPR adequacy"} <= aspects
    assert any(a.startswith("finding GRE01") for a in aspects) and any(a.startswith("finding GRE08") for a in aspects)
    assert next(r for r in rows if r["aspect"] == "country risk")["value"] == "high"


def test_reviews_due_in_datasette(demo_registry, tmp_path):
    db = store.connect(demo_registry)
    today = clock.today()
    decisions.record_review(db, "fudan", outcome="approved", reviewer_role="due_diligence_reviewer",
                            reviewed_on=date(today.year - 3, 1, 1), next_due=date(today.year - 1, 1, 1))
    decisions.record_review(db, "oslo", outcome="approved", reviewer_role="due_diligence_reviewer",
                            reviewed_on=today, next_due=date(today.year + 5, 1, 1))
    db.conn.close()
    rows = datasette_get(demo_registry, "/registry/reviews_due.json?_shape=array").json()
    assert [r["subject"] for r in rows] == ["fudan"] and rows[0]["days_until_due"] < 0
    tables = datasette_get(demo_registry, "/registry.json").json()["tables"]
    names = {t["name"]: t for t in tables}
    assert {"findings", "check_runs", "waivers", "reviews", "country_risk"} <= set(names)


def test_the_example_registry_shows_findings_of_every_family(demo_copy):
    db = store.connect(demo_copy)
    families = {family for (family,) in db.conn.execute("SELECT DISTINCT family FROM findings WHERE status = 'open'")}
    assert families >= {"GRE", "GDE", "AP", "DQ"}
    assert db.conn.execute("SELECT count(*) FROM check_runs WHERE actor = 'demo'").fetchone()[0] == 1


def test_criteria_are_parsed_once_per_content_and_each_caller_gets_its_own_copy(tmp_path):
    """A run reads the criteria file every time (an edit counts at once) but parses it only when its bytes changed."""
    path = tmp_path / "criteria.yml"
    path.write_text("expiry:\n  warn_days: 90\nlive_statuses: [active]\n", encoding="utf-8")
    first, digest = load_criteria(path)
    first["expiry"]["warn_days"] = 1  # a caller changing its copy changes nobody else's
    again, same = load_criteria(path)
    assert (again["expiry"]["warn_days"], same) == (90, digest)
    path.write_text("expiry:\n  warn_days: 30\nlive_statuses: [active]\n", encoding="utf-8")
    edited, other = load_criteria(path)
    assert edited["expiry"]["warn_days"] == 30 and other != digest
