"""The coordinator's journey in headless Chromium against a real `registry serve`: log in as an
editor, open "Agreements ending soon", open an agreement from the list, renew it, upload the
signed PDF and see it listed. Screenshots as browser_setup says (the README and docs show them
from docs/screenshots)."""

from __future__ import annotations

import os
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml
from browser_setup import NEEDS_CHROMIUM, Watched, browser, log_in, watched_page  # noqa: F401 - browser is a fixture
from conftest import copy_registry, start_registry

from registry import accounts, api, clock

pytestmark = NEEDS_CHROMIUM

EDITOR, PASSWORD = "eddie", "eddie-password-1"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(scope="module")
def registry_file(tmp_path_factory, demo_registry_file) -> Path:
    """A copy of the demo registry with an agreement that ended yesterday, whatever today is, so
    the list of those ending soon has one."""
    folder = tmp_path_factory.mktemp("journey")
    path = copy_registry(demo_registry_file, folder / "registry.db")
    conn = sqlite3.connect(path)
    home, partner = (
        conn.execute(f"SELECT id FROM institutions WHERE is_home = {flag} ORDER BY id LIMIT 1").fetchone()[0]
        for flag in (1, 0)
    )
    conn.close()
    today = clock.today()
    records = folder / "ending.yml"
    records.write_text(
        yaml.safe_dump(
            {
                "agreements": [
                    {
                        "id": "ex-journey-ending",
                        "title": "Student exchange ending soon (fictitious example)",
                        "kind": "student_exchange",
                        "status": "active",
                        "starts_on": str(today - timedelta(days=1500)),
                        "ends_on": str(today - timedelta(days=1)),
                        "parties": [home, partner],
                        "mobility_terms": [
                            {"category": "student_studies", "direction": "outgoing", "places_per_year": 2}
                        ],
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    api.load([records], path, actor="setup")
    api.user_add(EDITOR, path, role="editor", password=PASSWORD, actor="setup")
    return path


@pytest.fixture(scope="module")
def server(registry_file):
    env = {k: v for k, v in os.environ.items() if not k.startswith(accounts.HASH_PREFIX)}
    process, base = start_registry(
        ["serve", "--db", str(registry_file)], registry_file.with_name("serve.log"), env, ready="/-/login"
    )
    yield base
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def editor(browser, server):
    watched = watched_page(browser)
    log_in(watched, server, EDITOR, PASSWORD)
    yield watched
    watched.page.context.close()
    watched.assert_clean()


def test_the_coordinator_renews_what_ends_and_uploads_the_signed_pdf(editor, server, registry_file, tmp_path):
    page = editor.page
    page.get_by_role("link", name="Agreements ending soon").click()
    rows = page.locator("table.rows-and-columns tbody tr")
    rows.first.wait_for()
    assert rows.count() >= 1
    editor.shot("agreements-ending-soon")

    # The list links each agreement to its page: open the first one.
    first = rows.first.locator("td.col-title a")
    title = first.inner_text()
    first.click()
    assert page.locator("h1").inner_text().startswith(title)
    agreement = page.url.rstrip("/").split("/")[-1]
    conn = sqlite3.connect(registry_file)
    ends_on = conn.execute("SELECT ends_on FROM agreements WHERE id = ?", [agreement]).fetchone()[0]
    renewed = str(date.fromisoformat(ends_on) + timedelta(days=3 * 365))

    # Renew through the page's action (the renewal form, or the edit query standing in for it).
    page.locator(".registry-actions").get_by_role("link", name="Renew", exact=True).click()
    ends = page.locator("input[name=ends_on]")
    ends.fill(renewed)
    editor.shot("agreement-renew")
    ends.locator("xpath=ancestor::form").locator("[type=submit]").first.click()
    page.wait_for_load_state()
    assert conn.execute("SELECT ends_on FROM agreements WHERE id = ?", [agreement]).fetchone()[0] == renewed
    logged = conn.execute(
        "SELECT actor FROM changes WHERE table_name = 'agreements' AND row_key = ? ORDER BY id DESC LIMIT 1",
        [agreement],
    ).fetchone()
    assert logged == (EDITOR,)

    # Back on the agreement page: the new end date, then the signed PDF.
    page.goto(f"{server}/{registry_file.stem}/agreements/{agreement}")
    assert renewed in page.locator(".registry-period").inner_text()
    signed = tmp_path / "Signed agreement.pdf"
    signed.write_bytes(PDF)
    page.set_input_files(".registry-upload input[name=file]", str(signed))
    page.locator(".registry-upload [type=submit]").click()
    page.wait_for_url(f"**/agreements/{agreement}#documents")
    assert "Signed agreement.pdf uploaded" in page.locator(".message-info").inner_text()
    listed = page.locator("table.registry-documents tbody tr")
    assert (
        listed.count() == 1
        and "Signed agreement.pdf" in listed.first.inner_text()
        and EDITOR in listed.first.inner_text()
    )
    assert renewed in page.locator(".registry-period").inner_text()
    history = page.locator("table.registry-history tbody tr")
    assert "added a signed document: Signed agreement.pdf" in history.first.inner_text()
    editor.shot("agreement-page", full_page=True)

    # The listed file downloads as it was uploaded.
    with page.expect_download() as download:
        listed.first.locator("a").click()
    assert Path(download.value.path()).read_bytes() == PDF
