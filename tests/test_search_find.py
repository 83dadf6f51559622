"""Search that finds, and codes in words, on the demo registry: what a staff member types finds
the partner or agreement they mean; bad input answers with a page, never an error; facets,
selectors, charts and the partner page show words, not codes."""

from __future__ import annotations

import asyncio
import re
import sqlite3

import pytest
from conftest import client_get, copy_registry, datasette_get, internal_datasette
from datasette.utils import tilde_decode
from hypothesis import given, settings
from hypothesis import strategies as st

from registry import api, examples, faces, labels
from registry.db import vocabulary
from registry.models.core import AgreementKind, Institution
from registry.plugins.registry_pages import MOST_WORDS, fts_query
from registry.publish import publish

pytestmark = pytest.mark.skipif(not (examples.DATA_DIR / "examples").is_dir(), reason="the example data is not in this checkout")


@pytest.fixture(scope="module")
def demo(tmp_path_factory, demo_registry_file):
    path = copy_registry(demo_registry_file, tmp_path_factory.mktemp("find") / "registry.db")
    api.check(path)  # the country risk tiers the partner page shows
    return path


def found(demo, query: str, datasette=None) -> tuple[list[str], list[str]]:
    """(institution ids, agreement ids) the search page lists for ``query`` (on ``datasette``, else the
    module's internal face of ``demo``)."""
    response = client_get(datasette or internal_datasette(demo), "/-/search", params={"q": query})
    assert response.status_code == 200, response.text
    institutions = re.search(r'id="institution-results">(.*?)</section>', response.text, re.S).group(1)
    agreements = re.search(r'id="agreement-results">(.*?)</section>', response.text, re.S).group(1)
    return ([tilde_decode(key) for key in re.findall(r'href="/registry/institutions/([^"]+)"', institutions)],
            [tilde_decode(key) for key in re.findall(r'href="/registry/agreements/([^"]+)"', agreements)])


@pytest.mark.parametrize("query", ["japan", "Japan", "JAPAN", "Japon", "Giappone", "日本", "Nihon"])
def test_a_country_in_any_language_finds_its_partners_and_their_agreements(demo, query):
    institutions, agreements = found(demo, query)
    assert {"kyoto-university", "nagoya-university", "waseda-university"} <= set(institutions)
    assert "ex-2022-kyoto-biomed" in agreements
    assert "charite-berlin" not in institutions


def test_a_swedish_country_name_finds_the_countrys_partners(demo):
    institutions, agreements = found(demo, "Tyskland")
    assert {"charite-berlin", "heidelberg-university", "university-of-freiburg"} <= set(institutions)
    assert "ex-2021-heidelberg-med" in agreements
    assert not {"kyoto-university", "karolinska-institutet"} & set(institutions)


def test_a_city_finds_its_partners(demo):
    institutions, agreements = found(demo, "kyoto")
    assert institutions == ["kyoto-university"] and agreements == ["ex-2022-kyoto-biomed"]


def test_a_network_acronym_finds_its_members_and_their_agreements(demo):
    conn = sqlite3.connect(demo)
    members = {row[0] for row in conn.execute(
        "select m.institution from memberships m join institutions i on i.id = m.institution "
        "where m.network = 'eugloh' and i.is_home = 0")}
    institutions, agreements = found(demo, "EUGLOH")
    assert members and set(institutions) <= members | {"lund-university"} and len(institutions) >= min(len(members), 5)
    assert "ex-2023-eugloh-joint-master" in agreements


def test_japan_medical_school_finds_the_japanese_partner_with_a_medical_faculty(demo):
    institutions, _ = found(demo, "japan medical school")
    # ROR lists a medical unit of Kyoto University and relates Nagoya University Hospital to Nagoya;
    # Waseda, the third Japanese partner, has no medical school
    assert sorted(institutions) == ["kyoto-university", "nagoya-university"]
    # and the agreements with them
    assert {"ex-2022-kyoto-biomed", "ex-2025-nagoya-med"} <= set(found(demo, "japan medical school")[1])
    for words in ("medical faculty", "faculty of medicine", "health sciences"):
        assert "kyoto-university" in found(demo, f"japan {words}")[0], words


def test_kinds_and_subjects_find_agreements(demo):
    conn = sqlite3.connect(demo)
    double = {row[0] for row in conn.execute("select id from agreements where kind = 'double_degree'")}
    assert double and set(found(demo, "double degree")[1]) == double
    assert "ex-2023-eugloh-joint-master" in found(demo, "joint degree")[1]
    assert set(found(demo, "dubbelexamen")[1]) == double  # the kind's Swedish words, from the catalogue
    erasmus = found(demo, "erasmus")[1]
    kinds = dict(conn.execute("select id, kind from agreements"))
    assert erasmus and {kinds[a] for a in erasmus} == {"erasmus_iia", "research"}, erasmus  # research: with Erasmus MC
    # ISCED-F field names: 0913 is "Nursing and midwifery", 0512 "Biochemistry"
    assert "ex-2022-kyoto-biomed" in found(demo, "biochemistry")[1]
    assert "ex-2023-yonsei-nursing" in found(demo, "nursing and midwifery")[1]


def test_the_home_pages_example_searches_find_something_in_the_demo(demo):
    page = datasette_get(demo, "/").text
    examples_given = re.search(r'placeholder="e\.g\. ([^"]+)"', page).group(1).split(", ")
    assert len(examples_given) >= 4
    for example in examples_given:
        institutions, agreements = found(demo, example)
        assert institutions or agreements, example


@pytest.mark.parametrize("query", ["a", "x" * 1000, " ".join(["medicine"] * 400), '"', '"japan', "japan*", "*", "NEAR(japan kyoto)",
                                   "-japan", "japan -kyoto", "AND OR NOT", "'; drop table institutions; --", "{}()[]^:", "\x00"])
def test_bad_input_gets_a_page_never_an_error(demo, query):
    response = datasette_get(demo, "/-/search", params={"q": query})
    assert response.status_code == 200 and "Traceback" not in response.text
    assert 'id="registry-q"' in response.text


def test_a_query_without_letters_says_so_and_a_long_one_says_what_was_searched(demo):
    assert "Type a name or a word" in datasette_get(demo, "/-/search", params={"q": '"*'}).text
    long = datasette_get(demo, "/-/search", params={"q": " ".join(f"w{n}" for n in range(40))}).text
    assert f"Only the first {MOST_WORDS} words" in long
    assert fts_query('japan" OR "kyoto') == '"japan"* "or"* "kyoto"*'  # the quotes and OR are only text


def first_agreements(demo, fts_match: str, limit: int) -> list[str]:
    return [row[0] for row in sqlite3.connect(demo).execute(
        "select a.id from agreements_fts f join agreements a on a.rowid = f.rowid where agreements_fts match ? order by f.rowid limit ?",
        [fts_match, limit])]


@pytest.mark.parametrize(("query", "listed_from"), [
    ("university", '"university"'),  # more than the cap as a whole word: those are the first found
    ("univ", '"univ"*'),  # no whole word "univ": the words beginning with it
])
def test_past_the_cap_search_says_more_than_and_lists_the_first_matches_found(demo, monkeypatch, query, listed_from):
    from datasette.plugins import pm

    conn = sqlite3.connect(demo)
    whole, prefix = (conn.execute("select count(*) from agreements_fts where agreements_fts match ?", [q]).fetchone()[0]
                     for q in (f'"{query}"', f'"{query}"*'))
    assert prefix > 30 and (whole > 30 if listed_from == f'"{query}"' else whole <= 30), (whole, prefix)
    assert len(found(demo, query)[1]) == 20  # ranked: a page of the best; and the plugins are loaded
    registry_pages = pm.get_plugin("registry_pages.py")  # the module Datasette loaded from its plugins folder
    monkeypatch.setattr(registry_pages, "COUNT_AT_MOST", 30)  # more than a page (20), fewer than the matches
    # a face of its own: the module's keeps its answers until a commit (registry.kept_answers), the cap's among them
    capped = faces.internal_face(demo, auth=False).datasette()
    page = client_get(capped, "/-/search", params={"q": query}).text
    assert "More than 30 agreements" in page and "Too many matches to rank" in page
    assert "All matching agreements" in page
    # past the cap: the first matches in the index's (rowid) order, as many as a page shows
    assert found(demo, query, capped)[1] == first_agreements(demo, listed_from, registry_pages.SEARCH_LIMIT)
    swedish = client_get(capped, "/-/search", params={"q": query, "_lang": "sv"}).text
    assert "Fler än 30 avtal" in swedish


def test_up_to_the_cap_search_counts_every_match(demo):
    matches = sqlite3.connect(demo).execute(
        "select count(*) from agreements_fts where agreements_fts match '\"university\"*'").fetchone()[0]
    page = datasette_get(demo, "/-/search", params={"q": "university"}).text
    assert f"{matches:,} agreements</h2>" in page
    assert "More than" not in page and "Too many matches" not in page


@pytest.mark.parametrize("query", ["university", "univ", "medicine", "japan"])
def test_up_to_the_cap_the_best_matches_come_first_whole_words_when_they_fill_the_page(demo, query):
    conn = sqlite3.connect(demo)
    whole = conn.execute("select count(*) from agreements_fts where agreements_fts match ?", [f'"{query}"']).fetchone()[0]
    ranked_by = f'"{query}"' if whole >= 20 else f'"{query}"*'
    best = [row[0] for row in conn.execute(
        "select a.id from agreements_fts f join agreements a on a.rowid = f.rowid where agreements_fts match ? order by rank limit 20",
        [ranked_by])]
    assert best and found(demo, query)[1] == best


def test_facets_selectors_and_lists_show_words_not_codes(demo):
    partners = datasette_get(demo, "/registry/partner_overview?_facet=country&_facet=kind").text
    assert re.search(r'country=JP">Japan</a>', partners) and not re.search(r'country=JP">JP</a>', partners)
    agreements = datasette_get(demo, "/registry/agreement_overview?_facet=kind&_facet=status").text
    assert re.search(r'kind=erasmus_iia">Erasmus\+ inter-institutional agreement</a>', agreements)
    assert not re.search(r'kind=erasmus_iia">erasmus_iia</a>', agreements)
    assert 'class="col-kind">Erasmus+ inter-institutional agreement</td>' in agreements or "Erasmus+ inter-institutional" in agreements
    # in Swedish the countries read in Swedish
    assert re.search(r'country=DE">Tyskland</a>', datasette_get(demo, "/registry/partner_overview?_facet=country&_lang=sv").text)
    dashboard = datasette_get(demo, "/-/dashboards/portfolio").text
    options = re.findall(r'<option value="([^"]*)"', dashboard)
    assert "Medical Programme" in options or any("Programme" in o for o in options)
    assert "medicine" not in options
    expiring = datasette_get(demo, "/registry/expiring").text
    assert "erasmus_iia</td>" not in expiring


def test_charts_read_words_from_the_labels_table(demo):
    response = datasette_get(demo, "/-/dashboards/portfolio/by_kind")
    assert response.status_code == 200
    conn = sqlite3.connect(demo)
    sql = ("select coalesce((select l.label from labels l where l.vocabulary = 'agreement_kind' and l.value = a.kind), a.kind) "
           "from agreements a where a.kind = 'erasmus_iia' limit 1")
    assert conn.execute(sql).fetchone()[0] == "Erasmus+ inter-institutional agreement"
    assert conn.execute("select label from labels where vocabulary = 'country' and value = 'DE'").fetchone()[0] == "Germany"


def test_each_label_is_defined_once_beside_its_code():
    assert AgreementKind.erasmus_iia.label == "Erasmus+ inter-institutional agreement"
    assert AgreementKind.double_degree.label == "Double degree"  # words of the value when none is given
    assert labels.column_label("countries", "DE,JP", "sv") == "Tyskland, Japan"
    assert labels.column_label("kind", "university_hospital") == "University hospital"
    assert labels.column_label("title", "erasmus_iia") is None
    # a value two vocabularies share reads the same in both
    for column, names in labels.column_vocabularies().items():
        seen: dict[str, str] = {}
        for name in names:
            for value, label in ((r[1], r[2]) for r in vocabulary.rows() if r[0] == name):
                assert seen.setdefault(value, label) == label, (column, value)


def test_the_medical_faculty_is_derived_when_unknown_and_the_offices_answer_stands():
    kyoto = Institution(id="kyoto-university", name="Kyoto University", country="JP", ror="02kpeqv85")
    assert kyoto.medical_faculty is True and "ROR" in kyoto.medical_faculty_source
    assert "medical_faculty" not in kyoto.model_fields_set  # an import that does not say it erases nothing
    said_no = Institution(id="kyoto-university", name="Kyoto University", country="JP", ror="02kpeqv85", medical_faculty=False)
    assert said_no.medical_faculty is False
    assert Institution(id="umed", name="Medical University of Lodz", country="PL").medical_faculty is True
    assert Institution(id="x", name="Technical University of Somewhere", country="DE").medical_faculty is None
    assert Institution(id="h", name="Some Clinic", country="DE", kind="university_hospital").medical_faculty is True


def test_the_partner_page_shows_the_medical_faculty_and_the_countrys_risk_tier(demo):
    conn = sqlite3.connect(demo)
    tier = conn.execute("select tier from country_risk where country = 'JP'").fetchone()
    page = datasette_get(demo, "/registry/institutions/kyoto-university").text
    assert "Has a medical or health faculty" in page
    assert tier is not None, "the checks rate every partner country"
    assert re.search(r'href="/registry/country_risk/JP"[^>]*><strong>' + re.escape(labels.label("risk_tier", tier[0])) + "</strong>", page)
    assert 'href="/registry/partner_risk?institution=kyoto-university"' in page


def test_search_follows_edits_through_the_triggers(demo, tmp_path):
    path = tmp_path / "registry.db"
    sqlite3.connect(demo).backup(target := sqlite3.connect(path))
    target.close()
    from registry import db as store

    db = store.open_registry(path)
    with store.transaction(db, actor="tester", source="test"):
        db.conn.execute("insert into networks (id, name, acronym) values ('sakura-net', 'Sakura Health Network', 'SHN')")
        db.conn.execute("insert into memberships (network, institution) values ('sakura-net', 'kyoto-university')")
    db.conn.close()
    institutions, agreements = found(path, "sakura")
    assert institutions == ["kyoto-university"] and agreements == ["ex-2022-kyoto-biomed"]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_text_makes_a_query_fts5_accepts(text):
    conn = sqlite3.connect(":memory:")
    conn.execute("create virtual table t using fts5(a, tokenize = 'unicode61 remove_diacritics 2')")
    conn.execute("insert into t values ('japan medical school')")
    query = fts_query(text)
    if query:
        conn.execute("select count(*) from t where t match ?", [query]).fetchone()
    assert len(query.split()) <= MOST_WORDS


def test_the_public_copy_finds_and_reads_the_same_words_without_the_internal_lines(demo, tmp_path):
    public = tmp_path / "public.db"
    publish(demo, public)
    conn = sqlite3.connect(public)
    assert conn.execute("select label from labels where vocabulary = 'agreement_kind' and value = 'double_degree'").fetchone() == ("Double degree",)
    assert conn.execute("select medical_faculty from institutions where id = 'kyoto-university'").fetchone() == (1,)

    datasette = faces.public_face(public).datasette()

    async def get(path):
        return await datasette.client.get(path)

    found_page = asyncio.run(get("/-/search?q=japan+medical+school")).text
    assert "/public/institutions/kyoto-university" in found_page and "/public/agreements/ex-2022-kyoto-biomed" in found_page
    partner = asyncio.run(get("/public/institutions/kyoto-university")).text
    assert "Has a medical or health faculty" in partner and "Japan" in partner
    assert "Country risk tier" not in partner and "partner_risk" not in partner  # due diligence stays internal
    facets = asyncio.run(get("/public/partner_overview?_facet=country")).text
    assert re.search(r'country=JP">Japan</a>', facets)
