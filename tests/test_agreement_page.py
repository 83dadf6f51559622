"""The agreement page, its actions by role, links from lists, and signed documents, against a real
`registry serve` with accounts of each role; documents also through the API and the CLI."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import sqlite3
import urllib.parse
from datetime import timedelta
from pathlib import Path

import httpx
import lxml.html
import pytest
import yaml
from click.testing import CliRunner
from conftest import http_client, start_registry
from datasette.app import Datasette
from test_publish import build_registry

from registry import accounts, agreement_page, api, clock, documents, labels
from registry.cli import cli
from registry.plugins import registry_agreement
from registry.publish import publish

PASSWORDS = {"vera": "vera-password-1", "eddie": "eddie-password-1", "rita": "rita-password-1"}
ROLES = {"vera": "viewer", "eddie": "editor", "rita": "reviewer"}
AGREEMENT = "ex-page-gothenburg"
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"
LIMIT_MB = "0.05"  # the server's document limit in these tests: about 52 kB


def academic_year(day) -> str:
    start = day.year if day.month >= 7 else day.year - 1
    return f"{start}/{start + 1}"


def page_records() -> dict:
    """A demo-like agreement ending within two months of the registry's today, whatever today is."""
    today = clock.today()
    year = academic_year(today - timedelta(days=365))
    return {
        "agreements": [
            {
                "id": AGREEMENT,
                "title": "Clinical exchange with Gothenburg (fictitious example)",
                "kind": "student_exchange",
                "status": "active",
                "signed_on": str(today - timedelta(days=1100)),
                "starts_on": str(today - timedelta(days=1095)),
                "ends_on": str(today + timedelta(days=60)),
                "renewal": "by_agreement",
                "notice_months": 6,
                "coordinator": "International coordinator, Faculty of Medicine",
                "parties": [
                    "lund-university",
                    {"institution": "university-of-gothenburg", "unit": "Sahlgrenska Academy"},
                ],
                "programmes": ["medicine"],
                "mobility_terms": [
                    {
                        "category": "student_studies",
                        "direction": "outgoing",
                        "places_per_year": 3,
                        "months_per_place": 5,
                    },
                    {
                        "category": "student_studies",
                        "direction": "incoming",
                        "places_per_year": 2,
                        "months_per_place": 5,
                    },
                ],
                "flows": [
                    {"academic_year": year, "direction": "outgoing", "category": "student_studies", "participants": 4},
                    {"academic_year": year, "direction": "incoming", "category": "student_studies", "participants": 1},
                ],
            }
        ],
        "contacts": [
            {
                "id": "gu-exchange-desk",
                "institution": "university-of-gothenburg",
                "agreement": AGREEMENT,
                "role": "Exchange desk",
                "email": "exchange-desk@example.org",
            }
        ],
        "reviews": [
            {
                "id": "review-page-1",
                "agreement": AGREEMENT,
                "reviewed_on": str(today - timedelta(days=30)),
                "reviewer_role": "due_diligence_reviewer",
                "outcome": "approved",
                "next_review_due": str(today + timedelta(days=300)),
            }
        ],
    }


@pytest.fixture(scope="module")
def registry_file(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("agreement-page")
    path = build_registry(folder / "registry.db")
    records = folder / "page.yml"
    records.write_text(yaml.safe_dump(page_records(), sort_keys=False), encoding="utf-8")
    api.load([records], path, actor="tests")
    api.check(path)
    for name, role in ROLES.items():
        api.user_add(name, path, role=role, password=PASSWORDS[name], actor="setup")
    return path


@pytest.fixture(scope="module")
def server(registry_file):
    env = {k: v for k, v in os.environ.items() if not k.startswith(accounts.HASH_PREFIX)}
    env[documents.MAX_MB_VARIABLE] = LIMIT_MB
    process, base = start_registry(
        ["serve", "--db", str(registry_file)], registry_file.with_name("serve.log"), env, ready="/-/login"
    )
    yield base
    process.terminate()
    process.wait(timeout=10)


class Browser:
    def __init__(self, base: str, name: str | None = None):
        self.http = http_client(base_url=base, timeout=120)
        if name:
            token = self.token("/-/login")
            response = self.http.post(
                "/-/login", data={"username": name, "password": PASSWORDS[name], "csrftoken": token}
            )
            assert response.status_code == 302, response.text

    def token(self, path: str) -> str:
        return re.search(r'name="csrftoken" value="([^"]+)"', self.http.get(path).text).group(1)

    def page(self, path: str):
        response = self.http.get(path)
        assert response.status_code == 200, response.text[:500]
        return lxml.html.fromstring(response.text)

    def upload(
        self, content: bytes, name: str = "signed.pdf", content_type: str = "application/pdf", token: str | None = None
    ):
        token = token or self.token("/-/logout")
        return self.http.post(
            f"/-/agreements/{AGREEMENT}/documents",
            data={"csrftoken": token},
            files={"file": (name, content, content_type)},
        )


@pytest.fixture(scope="module")
def viewer(server):
    return Browser(server, "vera")


@pytest.fixture(scope="module")
def editor(server):
    return Browser(server, "eddie")


def cells(table) -> list[list[str]]:
    return [[" ".join(td.text_content().split()) for td in tr.findall("td")] for tr in table.findall("tbody/tr")]


def refusal(response: httpx.Response) -> str:
    return lxml.html.fromstring(response.text).find_class("registry-refusal")[0].text_content()


def document_count(registry_file: Path) -> int:
    conn = sqlite3.connect(registry_file)
    count = conn.execute(
        "SELECT (SELECT count(*) FROM agreement_documents) + (SELECT count(*) FROM agreement_document_contents)"
    )
    return count.fetchone()[0]


# --- the page ----------------------------------------------------------------------------------


def test_the_page_shows_the_agreement_and_what_belongs_to_it(viewer):
    page = viewer.page(f"/registry/agreements/{AGREEMENT}")
    assert page.find(".//h1").text_content().startswith("Clinical exchange with Gothenburg")
    facts = " ".join(page.find_class("registry-facts")[0].text_content().split())
    assert f"– {clock.today() + timedelta(days=60)}" in facts and "notice 6 months" in facts
    parties = page.find_class("registry-parties")[0]
    assert cells(parties)[1][:3] == ["University of Gothenburg", "Partner", "Sahlgrenska Academy"]
    assert parties.xpath(".//a[text()='University of Gothenburg']/@href") == [
        "/registry/institutions/university-of-gothenburg"
    ]
    assert page.find_class("registry-programmes")[0].xpath(".//a/@href") == ["/registry/programmes/medicine"]
    outgoing, incoming = page.find_class("registry-terms-outgoing")[0], page.find_class("registry-terms-incoming")[0]
    assert cells(outgoing)[0][:3] == ["Student mobility for studies", "3", "5.0 months"]
    assert cells(incoming)[0][:2] == ["Student mobility for studies", "2"]
    flows = cells(page.find_class("registry-flows")[0])
    year = academic_year(clock.today() - timedelta(days=365))
    assert [year, "Outgoing", "Student mobility for studies", "4", "3 over the places"] in flows
    assert [year, "Incoming", "Student mobility for studies", "1", "2"] in flows
    contacts = cells(page.find_class("registry-contacts")[0])
    assert contacts[0][0] == "Exchange desk" and contacts[0][2] == "exchange-desk@example.org"
    reviews = page.find_class("registry-reviews")[0]
    assert cells(reviews)[0][2] == "Approved"
    assert reviews.xpath(".//a/@href") == ["/registry/reviews/review-page-1"]
    findings = page.find_class("registry-findings")[0]
    links = findings.xpath(".//a/@href")
    assert links and all(link.startswith("/registry/findings/") and AGREEMENT in link for link in links)
    history = cells(page.find_class("registry-history")[0])
    assert any(row[1] == "tests" and row[2].startswith("added the agreement: Clinical exchange") for row in history)
    assert any(row[2] == "added a party: University of Gothenburg · Partner" for row in history)


def test_a_viewer_sees_no_actions_and_no_upload(viewer):
    page = viewer.page(f"/registry/agreements/{AGREEMENT}")
    assert not page.find_class("registry-actions")
    assert not page.find_class("registry-upload")
    assert not page.find_class("registry-findings")[0].xpath(".//a[contains(@href, 'waive')]")


def test_an_editor_may_renew_and_upload_but_not_review(editor):
    page = editor.page(f"/registry/agreements/{AGREEMENT}")
    actions = {a.text_content(): a.get("href") for a in page.find_class("registry-actions")[0].findall(".//a")}
    assert "Renew" in actions and "Record a review" not in actions
    assert actions["Renew"] in (f"/-/agreements/{AGREEMENT}/renew", f"/registry/renew_agreement?agreement={AGREEMENT}")
    assert page.find_class("registry-upload")[0].get("action") == f"/-/agreements/{AGREEMENT}/documents"


def test_a_reviewer_may_review_and_waive_but_not_renew(server):
    page = Browser(server, "rita").page(f"/registry/agreements/{AGREEMENT}")
    actions = [a.text_content() for a in page.find_class("registry-actions")[0].findall(".//a")]
    assert "Record a review" in actions and "Renew" not in actions
    assert page.find_class("registry-findings")[0].xpath(".//a[text()='waive…']")
    assert not page.find_class("registry-upload")


def test_lists_link_their_rows_to_the_agreement_and_partner_pages(viewer):
    expiring = viewer.page("/registry/expiring")
    assert expiring.xpath(f".//td[contains(@class, 'col-id')]//a[@href='/registry/agreements/{AGREEMENT}']")
    assert expiring.xpath(f".//td[contains(@class, 'col-title')]//a[@href='/registry/agreements/{AGREEMENT}']")
    overview = viewer.page(f"/registry/agreement_overview?id={AGREEMENT}")
    assert overview.xpath(f".//a[@href='/registry/agreements/{AGREEMENT}']")
    partners = viewer.page("/registry/partner_overview?id=university-of-gothenburg")
    assert partners.xpath(".//a[@href='/registry/institutions/university-of-gothenburg']")
    search = viewer.page("/-/search?q=clinical+gothenburg")
    assert search.xpath(f".//a[@href='/registry/agreements/{AGREEMENT}']")
    institution = viewer.page("/registry/institutions/university-of-gothenburg")
    assert institution.find_class("registry-agreements")[0].xpath(f".//a[@href='/registry/agreements/{AGREEMENT}']")


def test_a_querys_cell_links_only_a_value_that_is_a_record_and_the_rest_stays_text(viewer):
    sql = (f"select '{AGREEMENT}' as agreement, 'university-of-gothenburg' as partner union all "
           "select 'no-such-agreement', '<b>not a partner</b>' union all "
           "select 'university-of-gothenburg', null")
    page = viewer.page("/registry?" + urllib.parse.urlencode({"sql": sql}))
    agreements = page.xpath(".//td[contains(@class, 'col-agreement')]")
    partners = page.xpath(".//td[contains(@class, 'col-partner')]")
    assert [td.xpath(".//a/@href") for td in agreements] == [[f"/registry/agreements/{AGREEMENT}"], [], []]
    assert [td.text_content().strip() for td in agreements] == [AGREEMENT, "no-such-agreement", "university-of-gothenburg"]
    assert partners[0].xpath(".//a/@href") == ["/registry/institutions/university-of-gothenburg"]
    assert partners[1].text_content() == "<b>not a partner</b>" and not partners[1].xpath(".//b")


# --- signed documents -----------------------------------------------------------------------------


def test_an_upload_is_stored_with_its_checksum_and_downloads_as_it_was(editor, viewer, registry_file):
    response = editor.upload(PDF, name="../Signed agreement ÅÄÖ.pdf")
    assert response.status_code == 302 and response.headers["location"].endswith(
        f"/registry/agreements/{AGREEMENT}#documents"
    )
    page = viewer.page(f"/registry/agreements/{AGREEMENT}")
    listed = page.find_class("registry-documents")[0]
    # this test's row: other tests of the module upload to the same agreement
    row = next(tr for tr in listed.findall("tbody/tr") if "Signed agreement ÅÄÖ.pdf" in tr.text_content())
    shown = [" ".join(td.text_content().split()) for td in row.findall("td")]
    assert shown[0] == "Signed agreement ÅÄÖ.pdf" and shown[3] == "eddie"
    url = row.xpath(".//a/@href")[0]
    download = viewer.http.get(url)
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-disposition"].startswith('attachment; filename="Signed agreement ___.pdf"')
    conn = sqlite3.connect(registry_file)
    stored = conn.execute(
        "SELECT id, size, uploaded_by FROM agreement_documents WHERE agreement = ? AND sha256 = ?",
        [AGREEMENT, hashlib.sha256(PDF).hexdigest()],
    ).fetchall()
    assert [(size, by) for _, size, by in stored] == [(len(PDF), "eddie")] and url.endswith(stored[0][0])
    logged = conn.execute(
        "SELECT actor, source FROM changes WHERE table_name = 'agreement_documents' AND record_id = ?", [stored[0][0]]
    ).fetchall()
    assert logged == [("eddie", "datasette: document upload")]
    assert conn.execute("SELECT count(*) FROM changes WHERE table_name = 'agreement_document_contents'").fetchone() == (
        0,
    )
    every_entry = conn.execute("SELECT after FROM changes WHERE table_name = 'agreement_documents'").fetchall()
    assert not any(PDF[:40].decode("latin-1") in (after or "") for (after,) in every_entry)


@pytest.mark.parametrize(
    ("content", "content_type", "status", "reason"),
    [
        (b"Not a PDF at all", "application/pdf", 400, "is not a PDF (it does not begin with %PDF-)"),
        (PDF + b"1", "text/html", 400, "is text/html, not a PDF"),
        (b"", "application/pdf", 400, "is empty"),
        (PDF + b"x" * 60_000, "application/pdf", 413, "larger than the 0.05 MB a document may be"),
        (PDF + b"x" * 200_000, "application/pdf", 413, "larger than the 0.05 MB a document may be"),
    ],
)
def test_a_file_that_is_no_pdf_empty_or_too_large_is_refused_and_nothing_stored(
    editor, registry_file, content, content_type, status, reason
):
    before = document_count(registry_file)
    response = editor.upload(content, name="suspicious.pdf", content_type=content_type)
    assert response.status_code == status
    assert reason in refusal(response) and "nothing was stored" in refusal(response)
    assert document_count(registry_file) == before


def test_a_viewer_upload_is_refused_with_the_roles_that_may(viewer, registry_file):
    before = document_count(registry_file)
    response = viewer.upload(PDF + b"viewer")
    assert response.status_code == 403
    assert refusal(response) == "Changing documents needs the editor or admin role; you are logged in as vera (viewer)."
    assert document_count(registry_file) == before


def test_an_upload_without_the_form_token_is_refused(editor, registry_file):
    before = document_count(registry_file)
    response = editor.upload(PDF + b"forged", token="forged-token")
    assert response.status_code == 403 and document_count(registry_file) == before


def test_anonymous_requests_get_no_document(server, viewer, registry_file):
    document = sqlite3.connect(registry_file).execute("SELECT id FROM agreement_documents LIMIT 1").fetchone()
    if document is None:
        api.document_add(AGREEMENT, write_pdf(registry_file.with_name("anonymous.pdf"), b"anon"), registry_file)
        document = sqlite3.connect(registry_file).execute("SELECT id FROM agreement_documents LIMIT 1").fetchone()
    anonymous = http_client(base_url=server, timeout=30)
    response = anonymous.get(f"/-/documents/{document[0]}")
    assert response.status_code == 302 and response.headers["location"] == "/-/login"
    before = document_count(registry_file)
    response = anonymous.post(
        f"/-/agreements/{AGREEMENT}/documents", files={"file": ("a.pdf", PDF + b"anon", "application/pdf")}
    )
    assert response.status_code in (302, 403) and document_count(registry_file) == before
    assert viewer.http.get("/-/documents/document-000000000000").status_code == 404


def write_pdf(path: Path, extra: bytes = b"") -> Path:
    path.write_bytes(PDF + extra)
    return path


def test_documents_through_the_api_and_the_cli(registry_file, tmp_path):
    pdf = write_pdf(tmp_path / "annex 1.pdf", b"cli")
    result = CliRunner().invoke(
        cli, ["document", "add", AGREEMENT, str(pdf), "--db", str(registry_file)], env={"REGISTRY_ACTOR": "clara"}
    )
    assert result.exit_code == 0, result.output
    assert hashlib.sha256(pdf.read_bytes()).hexdigest() in result.output
    listed = api.document_list(AGREEMENT, registry_file)
    assert [d["uploaded_by"] for d in listed if d["file_name"] == "annex 1.pdf"] == ["clara"]
    result = CliRunner().invoke(cli, ["document", "list", AGREEMENT, "--db", str(registry_file)])
    assert "annex 1.pdf" in result.output
    again = CliRunner().invoke(cli, ["document", "add", AGREEMENT, str(pdf), "--db", str(registry_file)])
    assert again.exit_code == 1 and "already on this agreement" in again.output
    text = tmp_path / "notes.pdf"
    text.write_text("just text")
    refused = CliRunner().invoke(cli, ["document", "add", AGREEMENT, str(text), "--db", str(registry_file)])
    assert refused.exit_code == 1 and "does not begin with %PDF-" in refused.output
    document = next(d["id"] for d in listed if d["file_name"] == "annex 1.pdf")
    removed = CliRunner().invoke(cli, ["document", "remove", document, "--db", str(registry_file)])
    assert removed.exit_code == 0 and f"removed annex 1.pdf ({document})" in removed.output
    assert all(d["id"] != document for d in api.document_list(AGREEMENT, registry_file))
    unknown = CliRunner().invoke(cli, ["document", "list", "no-such-agreement", "--db", str(registry_file)])
    assert unknown.exit_code == 2 and "no agreement 'no-such-agreement'" in unknown.output


def test_file_names_are_made_safe():
    assert documents.safe_file_name("../../etc/passwd") == "passwd.pdf"
    assert documents.safe_file_name("C:\\Users\\x\\Signed.PDF") == "Signed.pdf"
    assert documents.safe_file_name("a\x00b\nc.pdf") == "a b c.pdf"
    assert documents.safe_file_name("") == "document.pdf"
    assert len(documents.safe_file_name("x" * 500 + ".pdf")) == 200


def test_the_public_copy_holds_no_document(registry_file, tmp_path):
    api.document_add(AGREEMENT, write_pdf(tmp_path / "public-check.pdf", b"public"), registry_file, actor="tests")
    out = tmp_path / "public.db"
    publish(registry_file, out)
    conn = sqlite3.connect(out)
    tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "agreement_documents" not in tables and "agreement_document_contents" not in tables
    assert PDF[:30] not in out.read_bytes()


def test_the_page_speaks_swedish(server):
    page = Browser(server, "eddie").page(f"/registry/agreements/{AGREEMENT}?_lang=sv")
    headings = [h.text_content() for h in page.findall(".//h2")]
    assert "Parter" in headings and "Historik" in headings and "Undertecknade dokument" in headings
    assert [a.text_content() for a in page.find_class("registry-actions")[0].findall(".//a")][0] == "Förnya"
    severities = {row[1] for row in cells(page.find_class("registry-findings")[0])}
    assert severities and not severities & {"high", "medium", "low"}, f"severity as a code: {severities}"


def test_an_editor_removes_a_wrong_upload_and_the_log_keeps_it(editor, viewer, registry_file):
    response = editor.upload(PDF + b"wrong file", name="wrong.pdf")
    assert response.status_code == 302
    page = viewer.page(f"/registry/agreements/{AGREEMENT}")
    assert not page.find_class("registry-remove"), "a viewer is offered no removal"
    page = editor.page(f"/registry/agreements/{AGREEMENT}")
    row = next(
        tr for tr in page.find_class("registry-documents")[0].findall("tbody/tr") if "wrong.pdf" in tr.text_content()
    )
    remove_url = row.find_class("registry-remove")[0].find(".//form").get("action")
    token = editor.token("/-/logout")
    assert viewer.http.post(remove_url, data={"csrftoken": viewer.token("/-/logout")}).status_code == 403
    response = editor.http.post(remove_url, data={"csrftoken": token})
    assert response.status_code == 302 and response.headers["location"].endswith("#documents")
    document = remove_url.split("/")[-2]
    conn = sqlite3.connect(registry_file)
    assert conn.execute(
        "SELECT count(*) FROM agreement_document_contents WHERE document = ?", [document]
    ).fetchone() == (0,)
    logged = conn.execute(
        "SELECT operation, actor, source FROM changes WHERE record_id = ? ORDER BY id", [document]
    ).fetchall()
    assert logged == [
        ("insert", "eddie", "datasette: document upload"),
        ("delete", "eddie", "datasette: document remove"),
    ]
    history = cells(viewer.page(f"/registry/agreements/{AGREEMENT}").find_class("registry-history")[0])
    assert history[0][1] == "eddie" and history[0][2] == "removed a signed document: wrong.pdf"
    assert editor.http.post(remove_url, data={"csrftoken": token}).status_code == 404


def test_the_history_is_read_through_indexes_never_the_whole_audit_log(registry_file):
    conn = sqlite3.connect(registry_file)
    clock.register_sql(conn)
    tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    sql, values = agreement_page.history_query(AGREEMENT, tables)
    plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, values)]
    assert not [step for step in plan if step.startswith("SCAN") and "changes" in step], plan


def test_the_historys_tables_worked_out_once_are_the_models():
    keyed, owned = agreement_page._agreement_tables()
    assert agreement_page._agreement_tables() is agreement_page._agreement_tables()  # kept, not worked out again
    assert (keyed, owned) == agreement_page._agreement_tables.__wrapped__()
    assert {"agreement_parties", "mobility_terms"} <= set(keyed) and "agreements" not in keyed
    assert ("reviews", "id") in owned and ("agreement_documents", "id") in owned
    sql, _ = agreement_page.history_query(AGREEMENT, {"agreements", "mobility_terms", "reviews"})
    assert "'mobility_terms'" in sql and "(select id from reviews where agreement = :id)" in sql
    assert "agreement_parties" not in sql and "contacts" not in sql


def test_the_actions_are_the_forms_the_role_may_use():
    datasette = Datasette(memory=True)
    page = {
        "agreement": {"id": "ex-a1"},
        "findings": [{"id": "f1", "waiver": None}, {"id": "f2", "waiver": "w1"}],
        "documents": [],
        "degree_terms": [{"term_rowid": 3}],
        "contacts": [{"id": "c1"}],
        "terms_by_direction": {"outgoing": [{"term_rowid": 7}]},
    }
    found = asyncio.run(registry_agreement.actions(datasette, "_memory", {"id": "eddie", "role": "editor"}, page))
    assert found["list"][0] == {"title": "Renew", "url": "/-/agreements/ex-a1/renew"} and found["upload"] is True
    assert "/-/agreements/ex-a1/review" not in [a["url"] for a in found["list"]], "an editor does not decide"
    assert page["terms_by_direction"]["outgoing"][0]["edit_url"] == "/-/agreements/ex-a1/terms/7/edit"
    assert page["degree_terms"][0]["edit_url"] == "/-/agreements/ex-a1/degree-terms/3/edit"
    assert page["contacts"][0]["edit_url"] == "/-/contacts/c1/edit"
    assert [f["waive_url"] for f in page["findings"]] == [None, None]
    reviewer = asyncio.run(registry_agreement.actions(datasette, "_memory", {"id": "rita", "role": "reviewer"}, page))
    assert [a["url"] for a in reviewer["list"]] == ["/-/agreements/ex-a1/review"]
    assert [f["waive_url"] for f in page["findings"]] == ["/-/findings/f1/waive", None]
    viewer = asyncio.run(registry_agreement.actions(datasette, "_memory", {"id": "vera", "role": "viewer"}, page))
    assert viewer == {"list": [], "upload": False} and page["terms_by_direction"]["outgoing"][0]["edit_url"] is None


def test_the_history_says_codes_and_fields_in_words_in_either_language(server, registry_file):
    """The history names records and changed fields with the labels of their codes (registry.labels),
    never the codes: 'Student mobility for studies', not 'student_studies'; in Swedish, the Swedish."""
    from registry import db as store
    from registry import editing
    from registry.models import Agreement

    db = store.connect(registry_file, create=False)
    stored = editing.row(db, "agreements", {"id": AGREEMENT})
    changed = Agreement(**{**editing.inputs(stored, "agreements"), "renewal": "automatic"})
    editing.save(db, [changed], actor="tests", source="tests")
    try:
        _assert_history_in_words(server)
    finally:  # the module's other tests read the agreement as it was
        editing.save(db, [Agreement(**editing.inputs(stored, "agreements"))], actor="tests", source="tests")
        db.conn.close()
    assert labels.label("mobility_category", "student_studies", "sv") == "Studentmobilitet för studier"


def _assert_history_in_words(server) -> None:
    for lang in ("en", "sv"):
        page = Browser(server, "vera").page(f"/registry/agreements/{AGREEMENT}?_lang={lang}")
        history = " ".join(row[2] for row in cells(page.find_class("registry-history")[0]))
        category = labels.label("mobility_category", "student_studies", lang)
        renewal = [labels.label("renewal", code, lang) for code in ("by_agreement", "automatic")]
        assert f"{category} · {labels.label('direction', 'outgoing', lang)}" in history
        assert f"{labels.field_label('renewal', lang)}: {renewal[0]} → {renewal[1]}" in history
        assert "student_studies" not in history and "by_agreement" not in history
        facts = " ".join(page.find_class("registry-facts")[0].text_content().split())
        assert facts.count(renewal[1]) == 1


def test_the_agreement_and_partner_pages_show_a_review_alike(server):
    """One partial (_registry_reviews.html) draws the reviews of both pages: a review of the agreement
    reads the same on the partner's page, linked to its row, which adds the agreement it is about."""
    viewer = Browser(server, "vera")  # its own: ?_lang= is remembered in the browser's cookie

    def reviews(path: str) -> tuple[list[str], list[str], list[str]]:
        table = viewer.page(path).find_class("registry-reviews")[0]
        header = [" ".join(th.text_content().split()) for th in table.findall("thead/tr/th")]
        return header, cells(table)[0], table.xpath(".//a/@href")

    for lang in ("en", "sv"):
        header, row, links = reviews(f"/registry/agreements/{AGREEMENT}?_lang={lang}")
        partner_header, partner_row, partner_links = reviews(f"/registry/institutions/university-of-gothenburg?_lang={lang}")
        assert partner_header[:-1] == header and partner_row[:-1] == row and partner_row[-1] == AGREEMENT
        assert links == partner_links == ["/registry/reviews/review-page-1"]
        assert row[2] == labels.label("review_outcome", "approved", lang)
