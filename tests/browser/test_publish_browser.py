"""Both faces in headless Chromium, as a person sees them, against real `registry serve` processes.

A copy of the demo registry; map tiles come from a stub server on 127.0.0.1, and any request to another host
fails the test. Screenshots go to test-artifacts/ (browser_setup.SCREENSHOTS).
"""

from __future__ import annotations

import http.server
import os
import sqlite3
import threading
from pathlib import Path

import pytest
from browser_setup import NEEDS_CHROMIUM, browser, log_in, watched_page  # noqa: F401 - browser is a fixture
from conftest import copy_registry, free_port, start_registry

from registry import faces
from registry.publish import publish
from registry.text import fold

USER, PASSWORD = "tester", "a-browser-test-password"
pytestmark = NEEDS_CHROMIUM

# A 1x1 transparent PNG: the stub's every tile.
TILE = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


class TileStub(http.server.BaseHTTPRequestHandler):
    served = 0

    def do_GET(self):  # noqa: N802 - the http.server API
        TileStub.served += 1
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()
        self.wfile.write(TILE)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def tiles():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), TileStub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/{{z}}/{{x}}/{{y}}.png"
    server.shutdown()


@pytest.fixture(scope="module")
def registry_file(tmp_path_factory, demo_registry_file) -> Path:
    return copy_registry(demo_registry_file, tmp_path_factory.mktemp("browser") / "registry.db")


@pytest.fixture(scope="module")
def partner(registry_file) -> dict:
    """A partner a person would look for: one with an active agreement and a place on the map."""
    conn = sqlite3.connect(registry_file)
    conn.row_factory = sqlite3.Row
    row = conn.execute(
        """select i.id, i.name, i.local_name from institutions i
           where i.is_home = 0 and i.latitude is not null
             and exists (select 1 from agreement_parties p join agreements a on a.id = p.agreement
                         where p.institution = i.id and a.status = 'active' and a.confidential = 0)
           order by i.local_name is null, i.name limit 1"""
    ).fetchone()
    return dict(row)


@pytest.fixture(scope="module")
def servers(registry_file, tiles):
    env = {k: v for k, v in os.environ.items() if not k.startswith(faces.ACCOUNT_PREFIX)}
    env[faces.ACCOUNT_PREFIX + USER.upper()] = faces.hash_password(PASSWORD)
    public_file = registry_file.with_name("public.db")
    publish(registry_file, public_file)
    internal, internal_url = start_registry(["serve", "--db", str(registry_file), "--tiles", tiles],
                                            registry_file.with_name("internal.log"), env, ready="/-/login")
    public, public_url = start_registry(["serve", "--public", str(public_file), "--tiles", tiles],
                                        registry_file.with_name("public.log"), env)
    yield {"internal": internal_url, "public": public_url}
    for server in (internal, public):
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def anonymous(browser):
    watched = watched_page(browser, viewport={"width": 1100, "height": 800})
    yield watched
    watched.page.context.close()
    watched.assert_clean()


@pytest.fixture(scope="module")
def logged_in_state(browser, servers):
    watched = watched_page(browser)
    log_in(watched, servers["internal"], USER, PASSWORD)
    state = watched.page.context.storage_state()
    watched.page.context.close()
    return state


@pytest.fixture
def office(browser, logged_in_state):
    watched = watched_page(browser, viewport={"width": 1100, "height": 800}, storage_state=logged_in_state)
    yield watched
    watched.page.context.close()
    watched.assert_clean()


def test_internal_face_asks_for_a_login_and_shows_nothing_before(anonymous, servers, partner):
    page = anonymous.page
    page.goto(servers["internal"] + "/registry/institutions")
    assert page.url.endswith("/-/login")
    assert page.locator("input[name=password]").is_visible()
    page.goto(servers["internal"] + "/registry.json?sql=select+name+from+institutions")
    assert partner["name"] not in page.content()
    anonymous.errors.clear()  # the browser logs the 403 it was answered with


def test_home_search_and_institution_page(office, servers, partner):
    page = office.page
    page.goto(servers["internal"] + "/")
    assert page.locator(".registry-counts").is_visible()
    assert page.get_by_role("link", name="Agreements ending soon").is_visible()
    assert page.get_by_role("link", name="New agreement").is_visible()
    office.shot("internal-home")
    typed = fold(partner["local_name"] or partner["name"])  # as typed on a keyboard without å, ö, ł
    page.fill("input[name=q]", typed)
    page.press("input[name=q]", "Enter")
    results = page.locator("#institution-results")
    assert partner["name"] in results.inner_text()
    office.shot("search")
    results.get_by_role("link", name=partner["name"]).first.click()
    assert page.locator("h1").inner_text().startswith(partner["name"])
    assert page.locator("table.registry-agreements tbody tr").count() >= 1
    assert page.get_by_role("heading", name="Due-diligence reviews").is_visible()
    office.shot("institution")


def test_map_of_partners_draws_markers_with_local_tiles(office, servers):
    page = office.page
    before = TileStub.served
    page.goto(servers["internal"] + "/")
    page.get_by_role("link", name="Map of partners").click()
    markers = page.locator(".leaflet-marker-icon")
    markers.first.wait_for(timeout=10_000)
    assert markers.count() >= 1
    page.wait_for_timeout(300)
    assert TileStub.served > before, "the map should fetch its tiles from the configured tile server"
    office.shot("map")


def test_portfolio_dashboard_draws_its_charts(office, servers):
    page = office.page
    page.goto(servers["internal"] + "/-/dashboards/portfolio")
    marks = {"by_kind": "rect", "by_country": "rect", "teacher_mobility": "arc", "flows_by_year": "rect"}
    for chart, mark in marks.items():  # vega draws one SVG path per bar or slice
        drawn = page.locator(f"#chart-{chart} svg .mark-{mark} path")
        drawn.first.wait_for(timeout=10_000)
        assert drawn.count() >= 1
    metric = page.locator("#chart-ending_12_months p")
    metric.wait_for(timeout=10_000)
    assert metric.inner_text().strip().isdigit()
    office.shot("dashboard")
    page.select_option("select#programme", index=1)
    page.click("input[value=Apply]")
    page.locator("#chart-by_kind svg .mark-rect path").first.wait_for(timeout=10_000)
    assert "programme=" in page.url


def test_renewing_an_agreement_in_the_browser_is_logged_under_the_login(office, servers, registry_file, partner):
    conn = sqlite3.connect(registry_file)
    agreement = conn.execute(
        "select a.id from agreements a join agreement_parties p on p.agreement = a.id where p.institution = ? and a.status = 'active'",
        [partner["id"]],
    ).fetchone()[0]
    page = office.page
    page.goto(f"{servers['internal']}/registry/agreements/{agreement}")
    page.locator(".registry-actions").get_by_role("link", name="Renew", exact=True).click()
    assert page.locator("input[name=ends_on]").input_value() > "2000"  # the next end date, proposed
    page.fill("input[name=ends_on]", "2099-06-30")
    page.click("input[type=submit]")
    assert "renewed until 2099-06-30" in page.locator(".message-info").inner_text()
    logged = conn.execute(
        "select actor, source from changes where table_name = 'agreements' and row_key = ? order by id desc limit 1", [agreement]
    ).fetchone()
    assert logged == (USER, "datasette: agreement_renew")


def test_public_face_without_login(anonymous, servers, partner):
    page = anonymous.page
    page.goto(servers["public"] + "/")
    assert "no contact details" in page.locator(".metadata-description").inner_text()
    assert not page.get_by_role("link", name="New agreement").count()
    anonymous.shot("public-home")
    page.goto(servers["public"] + "/-/search?q=" + fold(partner["name"]).split()[-1])
    assert partner["name"] in page.locator("#institution-results").inner_text()
    page.goto(servers["public"] + "/")
    page.get_by_role("link", name="Map of partners").click()
    page.locator(".leaflet-marker-icon").first.wait_for(timeout=10_000)
    page.wait_for_timeout(300)  # the marker clusters settle
    anonymous.shot("public-map")
