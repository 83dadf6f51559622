"""A new agreement from scratch in headless Chromium, as an editor does it, against a real
`registry serve`: log in, open the form from the home page, pick the partner by typing a few
letters of its name, choose kind and programme, give the dates and a term for each direction,
save, and see the agreement on its page. Screenshots as browser_setup says."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from browser_setup import NEEDS_CHROMIUM, browser, log_in, shot, watched_page  # noqa: F401 - browser is a fixture
from conftest import start_registry
from test_publish import build_registry

from registry import accounts, api, clock

EDITOR, PASSWORD = "edna", "an-editor-password-1"
pytestmark = NEEDS_CHROMIUM


@pytest.fixture(scope="module")
def registry_file(tmp_path_factory) -> Path:
    path = build_registry(tmp_path_factory.mktemp("forms-browser") / "registry.db")
    api.user_add(EDITOR, role="editor", password=PASSWORD, db_path=path, actor="setup")
    return path


@pytest.fixture(scope="module")
def server(registry_file):
    env = {k: v for k, v in os.environ.items() if not k.startswith(accounts.HASH_PREFIX)}
    process, base = start_registry(["serve", "--db", str(registry_file)], registry_file.with_name("serve.log"), env,
                                   ready="/-/login")
    yield base
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def page(browser, server):
    watched = watched_page(browser, viewport={"width": 1100, "height": 900})
    yield watched.page
    watched.page.context.close()
    assert not watched.script_errors, f"errors on the page: {watched.script_errors}"


def years_on(years: int) -> str:
    today = clock.today()
    return today.replace(year=today.year + years, day=min(today.day, 28)).isoformat()


def test_an_editor_creates_a_new_agreement_from_scratch(page, server, registry_file):
    page.goto(server + "/")
    page.fill("input[name=username]", EDITOR)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(server + "/")
    page.get_by_role("link", name="New agreement").click()
    assert page.url.endswith("/-/agreements/new")

    page.fill("#f-title", "Medical student exchange with Gothenburg (example)")
    page.locator("#f-partner").press_sequentially("gotebo", delay=40)  # folded: finds Göteborgs universitet
    suggestion = page.locator("#f-partner-suggestions button", has_text="University of Gothenburg")
    suggestion.wait_for(timeout=10_000)
    suggestion.click()
    assert page.input_value("#f-partner") == "University of Gothenburg"
    page.select_option("#f-kind", label="Student exchange")
    page.select_option("#f-status", label="Active")
    page.check("input[name=programmes][value=medicine]")
    starts, ends = clock.today().isoformat(), years_on(4)
    page.fill("#f-starts_on", starts)
    page.fill("#f-ends_on", ends)
    for direction, category, places in (("outgoing", "Student mobility for studies", "3"), ("incoming", "Student mobility for studies", "2")):
        page.select_option(f"[id='f-{direction}.category']", label=category)
        page.fill(f"[id='f-{direction}.places_per_year']", places)
        page.fill(f"[id='f-{direction}.months_per_place']", "5")
    page.check("input[name='outgoing.eqf_levels'][value='7']")
    shot(page, "new-agreement-form", full_page=True)

    page.get_by_role("button", name="Save the agreement").click()
    page.wait_for_url("**/registry/agreements/**")
    assert "The agreement is saved." in page.locator(".message-info").inner_text()
    assert "Medical student exchange with Gothenburg (example)" in page.content()
    shot(page, "new-agreement-saved", full_page=True)

    agreement = page.url.rsplit("/", 1)[1]
    conn = sqlite3.connect(registry_file)
    stored = conn.execute("SELECT kind, status, starts_on, ends_on FROM agreements WHERE id = ?", [agreement]).fetchone()
    assert stored == ("student_exchange", "active", starts, ends)
    assert conn.execute("SELECT institution FROM agreement_parties WHERE agreement = ? AND role = 'partner'",
                        [agreement]).fetchone() == ("university-of-gothenburg",)
    terms = conn.execute("SELECT direction, places_per_year, eqf_levels FROM mobility_terms WHERE agreement = ? ORDER BY term_no",
                         [agreement]).fetchall()
    assert [(d, p) for d, p, _ in terms] == [("outgoing", 3), ("incoming", 2)] and json.loads(terms[0][2]) == [7]
    assert conn.execute("SELECT programme FROM agreement_programmes WHERE agreement = ?", [agreement]).fetchall() == [("medicine",)]
    assert conn.execute("SELECT actor FROM changes WHERE table_name = 'agreements' AND record_id = ?",
                        [agreement]).fetchone() == (EDITOR,)
