"""The staff member's journey in headless Chromium against a real `registry serve`: looking for
a Japanese partner with a medical school, they search, open the partner, and read its
agreements, networks and due-diligence status (the country's risk tier and the open findings).
Screenshots as browser_setup says (the user guide shows them from docs/screenshots)."""

from __future__ import annotations

import os

import browser_setup
import pytest
from browser_setup import NEEDS_CHROMIUM, browser, log_in, watched_page  # noqa: F401 - browser is a fixture
from conftest import copy_registry, start_registry

from registry import api, faces

USER, PASSWORD = "staff", "a-staff-journey-password"

pytestmark = NEEDS_CHROMIUM


@pytest.fixture(scope="module")
def internal(tmp_path_factory, demo_registry_file):
    path = copy_registry(demo_registry_file, tmp_path_factory.mktemp("journey") / "registry.db")
    api.check(path)  # the risk tiers and findings a staff member reads
    env = {k: v for k, v in os.environ.items() if not k.startswith(faces.ACCOUNT_PREFIX)}
    env[faces.ACCOUNT_PREFIX + USER.upper()] = faces.hash_password(PASSWORD)
    server, base = start_registry(["serve", "--db", str(path)], path.with_name("internal.log"), env)
    yield base
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture
def page(browser, internal):
    watched = watched_page(browser)
    log_in(watched, internal, USER, PASSWORD)
    yield watched.page
    watched.page.context.close()
    assert not watched.script_errors, f"errors in the page: {watched.script_errors}"


def shot(page, name: str) -> None:
    browser_setup.shot(page, name, full_page=True)


def test_staff_member_finds_a_japanese_partner_with_a_medical_school_and_its_due_diligence(page, internal):
    # 1. From the home page, search as one would say it
    page.fill("#registry-q", "japan medical school")
    page.press("#registry-q", "Enter")
    page.wait_for_url("**/-/search?q=japan+medical+school")
    hits = page.locator("#institution-results li")
    names = hits.all_inner_texts()
    assert any(text.startswith("Nagoya University") for text in names), names
    assert any(text.startswith("Kyoto University") for text in names), names
    assert not any("Waseda" in text for text in names)  # Japanese, but no medical school
    assert all("Japan" in text and "medical or health faculty" in text for text in names)
    shot(page, "staff-search-japan-medical-school")

    # 2. Open the partner that is also in a network
    page.click("#institution-results a:has-text('Nagoya University')")
    page.wait_for_url("**/registry/institutions/nagoya-university")
    assert page.locator("h1").inner_text().startswith("Nagoya University")
    assert "Has a medical or health faculty" in page.locator("#medical-faculty").inner_text()
    assert "Nagoya University Hospital" in page.locator("#medical-faculty").inner_text()
    header = page.locator(".registry-institution > p.registry-note").first.inner_text()
    assert "Japan" in header and "University" in header and "JP" not in header.split()

    # 3. Its agreements, in words
    agreements = page.locator("table.registry-agreements tbody tr")
    assert agreements.count() >= 1
    row = agreements.filter(has_text="Student exchange in medicine with Nagoya University").inner_text()
    assert "Student exchange" in row and "Negotiating" in row and "student_exchange" not in row

    # 4. Its networks
    networks = page.locator("h2:has-text('Networks') + ul").inner_text()
    assert "GAME" in networks

    # 5. Its due-diligence status: the country's risk tier with its reasons, the open findings
    risk = page.locator("#country-risk")
    assert "Country risk tier" in risk.inner_text()
    tier = risk.locator("a.registry-tier").inner_text()
    assert tier in ("High", "Medium", "Low", "Unknown")
    shot(page, "staff-partner-nagoya")
    assert page.locator("h2:has-text('Open findings')").count() == 1

    # 6. The country's risk profile and the partner's, one click away
    risk.locator("a.registry-tier").click()
    page.wait_for_url("**/registry/country_risk/JP")
    assert tier.lower() in page.content().lower()
    page.go_back()
    page.click("text=Risk profile of this partner")
    page.wait_for_url("**/registry/partner_risk?institution=nagoya-university")
    assert "country risk" in page.content()
    shot(page, "staff-partner-risk-profile")
