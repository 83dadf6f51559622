"""The programme leader's journey in Swedish, in headless Chromium against a real `registry serve`.

A programme leader (role viewer) whose browser asks for Swedish logs in, opens their programme's
portfolio, then the programme's mobility agreements without teacher mobility and its
agreements unused for years: every page in Swedish, with kinds and statuses in words. The
language switch leads to the same page in English and back, and the public copy speaks Swedish
too. Screenshots as browser_setup says (docs/screenshots/sv-*.png when refreshed).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from browser_setup import NEEDS_CHROMIUM, browser, watched_page  # noqa: F401 - browser is a fixture
from conftest import copy_registry, start_registry

from registry import faces
from registry.publish import publish

LEADER, PASSWORD = "leader", "a-programme-leader-password"
# The programme whose leader this is, as they type it: the demo has lists for it that are not empty.
PROGRAMME, PROGRAMME_ID = "Masterprogram i biomedicin", "biomedicine-master"

pytestmark = NEEDS_CHROMIUM


@pytest.fixture(scope="module")
def registry_file(tmp_path_factory, demo_registry_file) -> Path:
    return copy_registry(demo_registry_file, tmp_path_factory.mktemp("swedish") / "registry.db")


@pytest.fixture(scope="module")
def servers(registry_file):
    env = {k: v for k, v in os.environ.items() if not k.startswith((faces.ACCOUNT_PREFIX, "REGISTRY_ROLE_"))}
    env[faces.ACCOUNT_PREFIX + LEADER.upper()] = faces.hash_password(PASSWORD)
    env["REGISTRY_ROLE_" + LEADER.upper()] = "viewer"
    public_file = registry_file.with_name("public.db")
    publish(registry_file, public_file)
    internal, internal_url = start_registry(["serve", "--db", str(registry_file), "--tiles", "http://127.0.0.1:9/{z}/{x}/{y}.png"],
                                            registry_file.with_name("internal.log"), env, ready="/-/login")
    public, public_url = start_registry(["serve", "--public", str(public_file), "--tiles", "http://127.0.0.1:9/{z}/{x}/{y}.png"],
                                        registry_file.with_name("public.log"), env)
    yield {"internal": internal_url, "public": public_url}
    for server in (internal, public):
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def swedish(browser):
    """A browser whose language is Swedish (Accept-Language: sv-SE)."""
    watched = watched_page(browser, locale="sv-SE")
    yield watched
    watched.page.context.close()
    assert not watched.outside, f"requests left 127.0.0.1: {watched.outside}"


def count_rows(registry_file: Path, sql: str) -> int:
    with sqlite3.connect(registry_file) as conn:
        return conn.execute(sql, {"programme": PROGRAMME_ID}).fetchone()[0]


def open_list(page, base: str, title: str) -> None:
    """From the home page, the list called ``title``, for the programme."""
    page.goto(base + "/")
    page.get_by_role("link", name=title, exact=True).click()
    page.fill("input[name=programme]", PROGRAMME)
    page.locator("form.sql input[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().startswith(title)


def cells(page, column: str) -> list[str]:
    return page.locator(f"table.rows-and-columns td.col-{column}").all_inner_texts()


def test_programme_leader_in_swedish(swedish, servers, registry_file):
    page = swedish.page
    page.goto(servers["internal"] + "/")
    # asked to log in, in Swedish
    assert page.url.endswith("/-/login")
    assert page.locator("html").get_attribute("lang") == "sv"
    assert page.locator("h1").inner_text() == "Logga in"
    page.fill("input[name=username]", LEADER)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(servers["internal"] + "/")
    assert page.locator("html").get_attribute("lang") == "sv"
    home = page.locator("section.content").inner_text()
    assert "Granska ett programs avtalsportfölj" in home and "Review a programme's portfolio" not in home
    assert "gällande avtal" in page.locator(".registry-counts").inner_text()
    swedish.shot("sv-home")

    # the programme's portfolio: its agreements, kinds and statuses in words
    open_list(page, servers["internal"], "Ett programs avtalsportfölj")
    portfolio = page.locator("section.content").inner_text()
    assert "Alla avtal som gäller ett program" in portfolio  # the list's description, translated
    statuses = set(cells(page, "status"))
    assert statuses and statuses <= {"Gällande", "Utgånget", "Uppsagt", "Vilande", "Utkast", "Under förhandling"}
    assert "Gällande" in statuses and "Active" not in statuses
    assert set(cells(page, "kind")) & {"Studentutbyte", "Erasmus+ interinstitutionellt avtal", "Klinisk placering"}
    assert page.locator("table.rows-and-columns th.col-kind").inner_text().strip() == "typ"
    assert page.locator("label[for=qp1]").inner_text() == "program"
    swedish.shot("sv-portfolio")

    # the programme's mobility agreements without teacher mobility
    gaps_expected = count_rows(registry_file, """
        select count(*) from agreements a where a.status = 'active'
          and a.kind in ('student_exchange', 'erasmus_iia', 'staff_mobility')
          and not exists (select 1 from mobility_terms t where t.agreement = a.id and t.category = 'staff_teaching')
          and exists (select 1 from agreement_programmes ap where ap.agreement = a.id and ap.programme = :programme)""")
    open_list(page, servers["internal"], "Mobilitetsavtal utan lärarmobilitet")
    assert len(cells(page, "id")) == min(gaps_expected, 50)
    assert "Handlingsplanen (2.2)" in page.locator("section.content").inner_text()
    swedish.shot("sv-teacher-mobility-gaps")

    # the programme's agreements unused for years (3 when left empty)
    open_list(page, servers["internal"], "Avtal som inte använts på flera år")
    unused = page.locator("section.content").inner_text()
    assert "senast använt" in unused  # the column last_used, under its Swedish name
    assert cells(page, "id"), "the demo has an agreement of the programme unused for three years"
    swedish.shot("sv-unused-agreements")

    # the switch: the same list in English, remembered, then back to Swedish
    page.get_by_role("link", name="English").first.click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text().startswith("Agreements unused for years")
    assert page.locator("input[name=programme]").input_value() == PROGRAMME
    page.goto(servers["internal"] + "/")
    assert page.locator("html").get_attribute("lang") == "en", "the choice is remembered over the browser's language"
    page.get_by_role("link", name="Svenska").first.click()
    assert page.locator("html").get_attribute("lang") == "sv"


def test_public_copy_in_swedish(swedish, servers):
    page = swedish.page
    page.goto(servers["public"] + "/")
    assert page.locator("html").get_attribute("lang") == "sv"
    assert page.locator("h1").inner_text().startswith("Partneruniversitet och avtal — Medicinska fakulteten")
    assert "Hitta en partner" in page.locator("section.content").inner_text()
    swedish.shot("sv-public-home")
    page.get_by_role("link", name="Gällande avtal").first.click()
    page.wait_for_load_state("load")  # the click returns before the list has arrived
    page.get_by_text("Dessa data som").first.wait_for()  # waits (Playwright's timeout), then asserts by failing
    assert "Dessa data som" in page.locator("section.content").inner_text()
    assert "Gällande" in cells(page, "status")
