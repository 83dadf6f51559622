"""Swedish and English: the choice of language (?_lang=, cookie, Accept-Language), pages of both
faces in Swedish, labels of stored codes and checks, and a catalogue that cannot go stale."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import new_registry
from core_portfolio import portfolio

from registry import db as store
from registry import faces, i18n
from registry.publish import publish

ROOT = Path(__file__).resolve().parent.parent
SWEDISH_BROWSER = {"accept-language": "sv-SE,sv;q=0.9,en-US;q=0.8,en;q=0.7"}


@pytest.fixture(scope="module")
def registry_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("languages") / "registry.db"
    db = store.connect(new_registry(path))
    store.write_records(db, portfolio(), actor="tester", source="fixture")
    db.conn.close()
    return path


# One Datasette per face for the module's requests, as a server keeps one: making one costs 0.25-0.45 s CPU.
_datasettes: dict[int, tuple[faces.Face, object]] = {}


def get(face: faces.Face, path: str, **kwargs):
    if id(face) not in _datasettes:
        _datasettes[id(face)] = (face, face.datasette())  # the face kept, so that its id stays its own
    datasette = _datasettes[id(face)][1]

    async def fetch():
        return await datasette.client.get(path, **kwargs)

    return asyncio.run(fetch())


@pytest.fixture(scope="module")
def internal(registry_file):
    return faces.internal_face(registry_file, auth=False)


def html_lang(page: str) -> str:
    return re.search(r'<html lang="([a-z]+)"', page).group(1)


# --- choosing the language ----------------------------------------------------------------


@pytest.mark.parametrize(("query", "cookie", "header", "expected"), [
    ("sv", None, None, "sv"),
    ("SV-se", "en", "en", "sv"),
    ("xx", "sv", "sv", "en"),  # an unknown ?_lang= is English, whatever else is said
    (None, "sv", "en-GB", "sv"),  # the remembered choice over the browser's
    (None, None, "sv-SE,sv;q=0.9,en;q=0.8", "sv"),
    (None, None, "de-DE, en;q=0.5, sv;q=0.7", "sv"),  # by weight, among the languages spoken here
    (None, None, "sv;q=0, en", "en"),
    (None, None, "fr, de", "en"),
    (None, None, None, "en"),
])
def test_language_is_chosen_by_parameter_cookie_then_browser(query, cookie, header, expected):
    assert i18n.choose(query, cookie, header) == expected


def test_swedish_by_parameter_is_remembered_in_a_cookie(internal):
    response = get(internal, "/?_lang=sv")
    assert response.status_code == 200
    assert html_lang(response.text) == "sv"
    assert "Hitta en partner" in response.text and "Find a partner" not in response.text
    assert "registry_lang=sv" in response.headers["set-cookie"] and "Max-Age=31536000" in response.headers["set-cookie"]
    assert response.headers["content-language"] == "sv" and "Accept-Language" in response.headers["vary"]
    # the next page, with the cookie and an English browser, stays Swedish
    later = get(internal, "/-/search?q=Copenhagen", cookies={i18n.COOKIE: "sv"}, headers={"accept-language": "en"})
    assert html_lang(later.text) == "sv" and "Sök partner och avtal" in later.text
    assert "set-cookie" not in later.headers


def test_swedish_browser_gets_swedish_pages(internal):
    response = get(internal, "/", headers=SWEDISH_BROWSER)
    assert html_lang(response.text) == "sv"
    assert "Granska ett programs avtalsportfölj" in response.text
    # the switch on the page leads to the same page in English
    assert 'href="/?_lang=en"' in response.text and ">English</a>" in response.text


def test_unknown_language_is_english_and_remembered_as_english(internal):
    response = get(internal, "/?_lang=klingon", headers=SWEDISH_BROWSER)
    assert html_lang(response.text) == "en" and "Find a partner" in response.text
    assert "registry_lang=en" in response.headers["set-cookie"]


def test_english_stays_english(internal):
    response = get(internal, "/registry/agreements")
    assert html_lang(response.text) == "en"
    assert "Advanced export" in response.text and ">Svenska</a>" in response.text


# --- Datasette's own pages ----------------------------------------------------------------


def test_table_page_in_swedish_with_labels_for_codes(internal):
    page = get(internal, "/registry/agreements?_lang=sv&_facet=kind&_sort=ends_on").text
    assert "Avancerad export" in page and "Dessa data som" in page and "Advanced export" not in page
    assert "5 rader" in page  # the five agreements of the portfolio
    assert "sorterat efter löper ut" not in page  # a column's name in a sentence of Datasette's stays as it is
    assert "sorterat efter ends_on" in page
    # the facet lists kinds in words, and the column under its Swedish name
    assert "Erasmus+ interinstitutionellt avtal" in page and "Studentutbyte" in page
    assert ">typ<" in page or ">typ " in page


def test_canned_query_title_and_parameters_in_swedish(internal):
    page = get(internal, "/registry/programme_portfolio?programme=medicine", headers=SWEDISH_BROWSER).text
    title = i18n.gettext("sv", "Portfolio of one programme")
    assert title != "Portfolio of one programme" and title in page
    assert "Portfolio of one programme" not in page
    assert '<label for="qp1">program</label>' in page


def test_row_page_in_swedish(internal):
    page = get(internal, "/registry/agreements/ex-ku-med?_lang=sv").text
    assert "Dessa data som" in page and "This data as" not in page


# --- the public face ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def public(registry_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("public-languages") / "public.db"
    publish(registry_file, out)
    return faces.public_face(out)


def test_public_face_in_swedish(public):
    home = get(public, "/", headers=SWEDISH_BROWSER)
    assert html_lang(home.text) == "sv" and "Hitta en partner" in home.text
    title = i18n.gettext("sv", "Partner universities and agreements — Faculty of Medicine")
    assert title != "Partner universities and agreements — Faculty of Medicine" and title in home.text
    table = get(public, "/public/agreements?_lang=sv").text
    assert "Dessa data som" in table and "registry_lang" not in table


# --- labels and messages outside pages ---------------------------------------------------


def test_stored_codes_and_countries_in_words():
    from registry import labels

    assert labels.column_label("kind", "student_exchange", "sv") == "Studentutbyte"
    assert labels.column_label("status", "active", "sv") == "Gällande"
    assert labels.column_label("kind", "student_exchange", "en") == "Student exchange"
    assert labels.column_label("country", "JP", "sv") == "Japan"
    assert labels.column_label("countries", "DE,DK", "sv") == "Tyskland, Danmark"
    assert i18n.column_label("sv", "ends_on") == "löper ut"


def test_a_value_is_read_by_its_tables_column_and_a_query_column_by_its_name():
    from registry import labels

    assert labels.value_label("agreements", "kind", "student_exchange", "sv") == "Studentutbyte"
    assert labels.value_label("institutions", "kind", "university_hospital") == "University hospital"
    # an institution's kind is not an agreement's: a code of the other vocabulary stays a code
    assert labels.value_label("institutions", "kind", "student_exchange") == "student_exchange"
    assert labels.value_label(None, "countries", "DE,JP", "sv") == "Tyskland, Japan"
    assert labels.value_label("agreements", "title", "Clinical exchange") == "Clinical exchange"
    assert labels.value_label("agreements", "ends_on", None) is None


def test_check_titles_in_swedish():
    from checks.registry import all_checks

    spec = next(s for s in all_checks() if s.code == "AP01")
    assert i18n.gettext("sv", spec.title) == "Mobilitetsavtal utan lärarmobilitet"
    assert all(i18n.gettext("sv", s.title) != s.title for s in all_checks())


def test_findings_read_in_swedish_from_the_template_their_evidence_keeps(registry_file, internal):
    from registry import api

    api.check(registry_file)
    db = store.connect(registry_file)
    message, evidence = db.conn.execute(
        "select message, evidence from findings where code = 'GRE11' and subject_id = 'phd-uq'").fetchone()
    db.conn.close()
    assert message == 'Agreement "Joint PhD with Queensland" records neither an exit clause nor a notice period.'
    swedish = 'Avtalet "Joint PhD with Queensland" anger varken uppsägningsklausul eller uppsägningstid.'
    assert i18n.finding_message("sv", message, evidence) == swedish
    assert i18n.finding_message("en", message, evidence) == message
    # the evidence names the template by its key (i18n.TEMPLATE_KEY); a finding recorded before
    # that keeps the template's text, and reads the same
    kept = json.loads(evidence)["message"]
    assert set(kept) == {"key", "values"}
    template = next(text for text in i18n.catalogue("sv") if i18n.template_key(text) == kept["key"])
    assert i18n.finding_message("sv", message, json.dumps({"message": {"template": template, "values": kept["values"]}})) == swedish
    # the list of open findings and the partner's page show it in Swedish
    assert swedish.replace('"', "&#34;") in get(internal, "/registry/open_findings?_lang=sv&family=GRE").text
    partner = get(internal, "/registry/institutions/uq?_lang=sv").text
    assert "Öppna anmärkningar" in partner and swedish.replace('"', "&#34;") in partner


def test_the_agreement_and_partner_pages_show_a_finding_alike(registry_file, internal):
    """One partial (_registry_findings.html) draws the open findings of both pages: the same columns,
    and a finding of the agreement the same on its page and its partner's, in either language."""
    import lxml.html

    from registry import api, labels

    api.check(registry_file)

    def findings(path: str) -> tuple[list[str], list[str]]:
        table = lxml.html.fromstring(get(internal, path).text).find_class("registry-findings")[0]
        header = [" ".join(th.text_content().split()) for th in table.findall("thead/tr/th")]
        row = next(tr for tr in table.findall("tbody/tr")
                   if tr.findall("td")[0].text_content().strip() == "GRE11" and "Joint PhD" in tr.text_content())
        return header, [" ".join(td.text_content().split()) for td in row.findall("td")]

    for lang in ("en", "sv"):
        agreement = findings(f"/registry/agreements/phd-uq?_lang={lang}")
        assert findings(f"/registry/institutions/uq?_lang={lang}") == agreement
        assert agreement[1][1] == labels.label("severity", "low", lang)
    assert findings("/registry/agreements/phd-uq?_lang=sv")[0][:2] == [i18n.gettext("sv", "Check"), i18n.gettext("sv", "Severity")]


def test_markup_values_stay_markup_and_text_is_escaped():
    sys.path.insert(0, str(ROOT / "registry" / "plugins"))
    try:
        import registry_i18n
    finally:
        sys.path.pop(0)
    with i18n.speaking("sv"):
        text = registry_i18n._("{count} rows", count=registry_i18n.strong("<1>"))
    assert str(text) == "<strong>&lt;1&gt;</strong> rader"


# --- the catalogue ------------------------------------------------------------------------


def test_every_marked_string_has_a_swedish_translation(tmp_path):
    """Extracts every message as docs/languages.md says (pybabel extract with babel.cfg) and
    fails on each that the Swedish catalogue leaves untranslated: the catalogue cannot go stale."""
    from babel.messages.pofile import read_po

    template = tmp_path / "messages.pot"
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), "-q", "extract", "-F", "babel.cfg", "-k", "gettext:2",
                    "-k", "N_", "-o", str(template), "."], cwd=ROOT, check=True)
    with template.open("rb") as handle:
        extracted = [(m.context, m.id, m.locations) for m in read_po(handle) if m.id]
    with (i18n.LOCALE_DIR / "sv" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        translated = {(m.context, m.id) for m in read_po(handle) if m.id and m.string and not m.fuzzy}
    missing = [f"{locations[0][0] if locations else '?'}: {(context + ': ') if context else ''}{message[:80]!r}"
               for context, message, locations in extracted if (context, message) not in translated]
    assert len(extracted) > 1000
    assert not missing, f"{len(missing)} messages have no Swedish translation (docs/languages.md):\n" + "\n".join(missing)


def test_translations_keep_the_placeholders_of_their_english():
    """A translation names the same {values} as its English (in any order), or the page would fall back to English."""
    from babel.messages.pofile import read_po

    placeholder = re.compile(r"\{(\w*)[^{}]*\}")
    with (i18n.LOCALE_DIR / "sv" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        wrong = [m.id for m in read_po(handle) if m.id and m.string
                 and sorted(placeholder.findall(m.id)) != sorted(placeholder.findall(m.string))]
    assert wrong == []


def test_checks_listed_and_run_in_swedish(registry_file):
    from click.testing import CliRunner

    from registry.cli import cli

    listed = CliRunner().invoke(cli, ["checks", "--lang", "sv"])
    assert listed.exit_code == 0 and "AP01   low    Mobilitetsavtal utan lärarmobilitet" in listed.output
    described = CliRunner().invoke(cli, ["checks", "--lang", "sv", "--json"])
    ap01 = next(c for c in json.loads(described.output) if c["code"] == "AP01")
    assert ap01["rationale"].startswith("Handlingsplanen vill att mobilitetsavtal")
    run = CliRunner().invoke(cli, ["check", "--db", str(registry_file), "--lang", "sv", "--fail-on", "never", "--family", "GRE"])
    assert run.exit_code == 0, run.output
    assert 'Avtalet "Joint PhD with Queensland" anger varken uppsägningsklausul eller uppsägningstid.' in run.output


@pytest.mark.parametrize("template, values", [
    ('Agreement "{title}" ended {days} days ago.', {"title": "Ö & {x}", "days": 12}),
    ("{a}{b} and {missing}, {{braces}}", {"a": None, "b": 1.5}),
    ("{days:d} days, {title!r}", {"days": "not a number", "title": "T"}),  # format and conversion: the formatter
    ("{index:.3f}, {other:.3f}, {n:>4}|{none:.1f}|", {"index": 0.1235, "other": "n/a", "n": 7, "none": None}),  # formats
    ("{a.real} and {b[0]}", {"a": 3, "b": "xy"}),  # attribute and index: the formatter
    ("no fields", {}),
])
def test_a_message_renders_as_the_lenient_formatter_does(template, values):
    """Messages with plain fields skip string.Formatter (one per finding); the text is the same."""
    want = i18n._LenientFormatter().format(template, **values)
    assert i18n.recorded_message(i18n.message_sql(template, *[item for pair in values.items() for item in pair])) == want
