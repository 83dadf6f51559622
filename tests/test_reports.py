"""The review pack and the dossier: built from real registries, written as PDF, HTML and
Markdown, and read back (the PDF with pypdf) for their content."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import copy_registry
from office_records import exchange, registry_file
from pypdf import PdfReader

from checks.context import load_criteria
from checks.registry import all_checks
from registry import api
from registry import db as store
from registry.cli import cli
from registry.expiry import expire
from registry.reports import portfolio
from registry.reports.lookup import UnknownName, partner_id, programme_id
from registry.reports.strings import CATALOGUE


def _pdf_library_missing() -> str | None:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as error:  # OSError: Debian's Pango is not installed
        return str(error)
    return None


needs_pdf = pytest.mark.skipif(
    _pdf_library_missing() is not None,
    reason="WeasyPrint cannot load Pango: install libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core",
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory, demo_registry_file) -> Path:
    return copy_registry(demo_registry_file, tmp_path_factory.mktemp("demo") / "registry.db")


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def test_catalogues_have_the_same_messages():
    assert set(CATALOGUE["en"]) == set(CATALOGUE["sv"])
    for lang, words in CATALOGUE.items():
        assert all(text.strip() for text in words.values()), lang


@needs_pdf
def test_medical_programme_pack_as_pdf_in_both_languages(demo, tmp_path):
    english = api.report_portfolio(tmp_path / "medicine.pdf", demo, programme="medicine")
    text = pdf_text(english)
    for expected in (
        "Agreement portfolio review",
        "Medical Programme",
        "University of Copenhagen",
        "Fudan University",
        "Places agreed and mobility per academic year",
        "Partners: networks and country risk",
        "2.2 Teacher mobility",
        "not met",
        "University of Edinburgh",
        "Decisions to take",
        "EUGLOH",
    ):
        assert expected in text, expected
    raw = english.read_bytes()
    assert b"/JavaScript" not in raw and b"/JS " not in raw
    assert len(PdfReader(english).pages) >= 4
    swedish_pdf = api.report_portfolio(tmp_path / "medicine-sv.pdf", demo, programme="Läkarprogrammet", lang="sv")
    swedish = pdf_text(swedish_pdf)
    for expected in ("Översyn av avtalsportföljen", "Läkarprogrammet", "Beslut att fatta", "Handlingsplanens mål"):
        assert expected in swedish, expected


def test_pack_as_html_has_svg_charts_and_no_script(demo, tmp_path):
    html = api.report_portfolio(tmp_path / "faculty.html", demo, check=False).read_text(encoding="utf-8")
    assert html.count("<svg") == 3 and "<script" not in html.lower()
    assert "Faculty of Medicine: all programmes" in html
    # every programme's agreements are in the faculty's pack
    assert "Nursing exchange" in html or "nursing" in html.lower()


def test_pack_as_markdown_links_its_charts(demo, tmp_path):
    path = api.report_portfolio(tmp_path / "pack.md", demo, programme="nursing", check=False)
    text = path.read_text(encoding="utf-8")
    links = re.findall(r"!\[[^\]]*\]\(([^)]+\.svg)\)", text)
    assert len(links) == 3 and all((tmp_path / link).read_text().startswith("<svg") for link in links)
    assert "| Goal | Met? | Why |" in text


@needs_pdf
def test_fudan_dossier(demo, tmp_path):
    text = pdf_text(api.report_partner("fudan-university", tmp_path / "fudan.pdf", demo))
    for expected in (
        "Due-diligence dossier",
        "Fudan University",
        "013q1eq08",
        "Academic Freedom Index",
        "0.066",
        "V-Dem",
        "ASPI",
        "fudan = fudan",
        "Student exchange in medicine with Fudan University",
        "Questions the record does not answer yet",
        "state_control has no row",
        "Council Recommendation of 23 May 2024",
    ):
        assert expected in text, expected
    markdown = api.report_partner("Fudan University", tmp_path / "fudan.md", demo, lang="sv", check=False)
    swedish = markdown.read_text(encoding="utf-8")
    assert "Frågor som registret ännu inte besvarar" in swedish
    # the findings' own messages are in Swedish too (registry/locale), with their values as found
    assert "Fudan University ligger i China, vars index för akademisk frihet är 0.066" in swedish
    assert "whose Academic Freedom Index" not in swedish


def test_unknown_names_are_refused_naming_the_closest(demo, tmp_path):
    db = store.connect(demo)
    with pytest.raises(UnknownName, match=r"closest: medicine \(Medical Programme\)"):
        programme_id(db, "medicin")
    with pytest.raises(UnknownName, match=r"closest: zhejiang-university"):
        partner_id(db, "Zheijang Univ")
    result = CliRunner().invoke(cli, ["report", "partner", "fudn", "-o", str(tmp_path / "x.pdf"), "--db", str(demo)])
    assert result.exit_code == 2 and "closest: fudan-university (Fudan University)" in result.output
    assert not (tmp_path / "x.pdf").exists()
    result = CliRunner().invoke(cli, ["report", "portfolio", "-o", str(tmp_path / "x.txt"), "--db", str(demo)])
    assert result.exit_code == 1 and "give --format" in result.output


def small_registry(path: Path):
    terms = [
        {"category": "student_studies", "direction": "outgoing", "places_per_year": 3},
        {"category": "student_studies", "direction": "incoming", "places_per_year": 2,
         "first_academic_year": "2025/2026"},
    ]
    flows = [
        {"academic_year": "2024/2025", "direction": "outgoing", "category": "student_studies", "participants": 2},
        {"academic_year": "2025/2026", "direction": "incoming", "category": "student_studies", "participants": 4},
    ]
    return registry_file(path, [
        exchange("ended", "Ended", "2026-06-30"),
        exchange("notice", "In notice", "2027-03-31", notice_months=6, mobility_terms=terms, flows=flows),
        exchange("auto", "Automatic", "2026-01-31", renewal="automatic", starts_on=None),
    ])


def test_pack_counts_places_and_flags_what_ends(tmp_path):
    today = date(2026, 12, 5)
    db = small_registry(tmp_path / "small.db")
    criteria, checks = load_criteria()[0], all_checks()
    pack = portfolio.gather(db, criteria=criteria, checks=checks, programme="med", year=2025, today=today)
    assert pack["years"] == ["2021/2022", "2022/2023", "2023/2024", "2024/2025", "2025/2026"]
    assert pack["totals"]["2024/2025"] == {"places_out": 3, "places_in": 0, "went": 2, "came": 0}
    assert pack["totals"]["2025/2026"] == {"places_out": 3, "places_in": 2, "went": 0, "came": 4}
    attention = {a["id"]: a["attention"] for a in pack["attention"]}
    assert attention["ended"]["kind"] == "past_end"
    assert attention["notice"] == {
        "kind": "in_notice",
        "notice_from": "2026-09-30",
        "ends_on": "2027-03-31",
        "months": 6,
        "renewal": "none",
    }
    assert "auto" not in attention  # it renews itself, as GDE05 and expire hold
    assert [(d["kind"], d["id"]) for d in pack["decisions"]][:2] == [("past_end", "ended"), ("in_notice", "notice")]


def test_expire_moves_past_end_agreements_and_logs_it(tmp_path):
    db = small_registry(tmp_path / "expire.db")
    planned = expire(db, as_of=date(2026, 12, 5), dry_run=True)
    assert [a.id for a in planned] == ["ended"]
    assert db.conn.execute("SELECT status FROM agreements WHERE id = 'ended'").fetchone()[0] == "active"
    done = expire(db, as_of=date(2026, 12, 5), actor="office")
    assert [a.id for a in done] == ["ended"]
    statuses = dict(db.conn.execute("SELECT id, status FROM agreements").fetchall())
    assert statuses == {"ended": "expired", "notice": "active", "auto": "active"}
    log = store.history(db, "ended")[-1]
    assert log["operation"] == "update" and log["actor"] == "office"
    assert log["source"] == "registry expire (as of 2026-12-05)" and log["after"]["status"] == "expired"
    # the children stay: expiring rewrites the status only
    assert db.conn.execute("SELECT count(*) FROM agreement_programmes WHERE agreement = 'ended'").fetchone()[0] == 1
    assert expire(db, as_of=date(2026, 12, 5)) == []
