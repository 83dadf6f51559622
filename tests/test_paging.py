"""Canned queries whose answers grow with the registry come in pages (registry/plugins/registry_paging.py)."""

from __future__ import annotations

import asyncio
import re
import sqlite3

import pytest
from conftest import copy_registry, datasette_get

from registry import clock
from registry.plugins.registry_paging import PAGE_SIZE, PAGED_CLAUSE, PAGED_MARKER
from registry.serve import build_metadata

EXPIRING = "/registry/expiring.json?months=240&_shape=array"


@pytest.fixture(scope="module")
def registry(tmp_path_factory, synthetic_registry_file):
    return copy_registry(synthetic_registry_file, tmp_path_factory.mktemp("paging") / "registry.db")


def expiring_in_sql(path) -> list[str]:
    conn = sqlite3.connect(path)
    clock.register_sql(conn)
    ids = [row[0] for row in conn.execute(
        "SELECT id FROM agreements WHERE status = 'active' AND ends_on IS NOT NULL "
        "AND ends_on <= date(registry_today(), '+240 months') ORDER BY ends_on, id")]
    conn.close()
    return ids


def ids(path, url) -> list[str]:
    response = datasette_get(path, url)
    assert response.status_code == 200, response.text
    return [row["id"] for row in response.json()]


def test_pages_follow_one_another_in_order_without_gaps(registry):
    everything = expiring_in_sql(registry)
    assert len(everything) > 2 * PAGE_SIZE
    first, second = ids(registry, EXPIRING), ids(registry, EXPIRING + "&_page=2")
    assert first == everything[:PAGE_SIZE]
    assert second == everything[PAGE_SIZE: 2 * PAGE_SIZE]
    assert ids(registry, EXPIRING + "&_size=7&_page=3") == everything[14:21]
    assert ids(registry, EXPIRING + "&_size=max") == everything[:1000]


@pytest.mark.parametrize("arguments, named", [
    ("&_page=0", "_page"), ("&_page=abc", "_page"), ("&_size=-4", "_size"), ("&_size=1001", "_size"),
    ("&_page=99999999999999999999", "_page"), ("&_size=7&_page=1317624576693539402", "_page"),
])
def test_page_arguments_out_of_range_are_a_400_that_names_them(registry, arguments, named):
    response = datasette_get(registry, EXPIRING + arguments)
    assert response.status_code == 400 and response.json()["error"].startswith(f"{named} must be a whole number from 1 to ")


def test_an_empty_page_argument_is_the_first_page(registry):
    assert ids(registry, EXPIRING + "&_page=&_size=") == ids(registry, EXPIRING)


def test_the_html_page_links_the_pages_either_side(registry):
    everything = expiring_in_sql(registry)
    page = datasette_get(registry, "/registry/expiring?months=240").text
    assert f"rows 1–{PAGE_SIZE}" in page
    assert re.search(r'href="/registry/expiring\?months=240&amp;_page=2" rel="next"', page)
    assert 'rel="prev"' not in page
    assert 'name="_page' not in page  # the magic parameters are not form fields
    second = datasette_get(registry, "/registry/expiring?months=240&_page=2").text
    assert re.search(r'href="/registry/expiring\?months=240" rel="prev"', second)
    assert f"rows {PAGE_SIZE + 1}–{2 * PAGE_SIZE}" in second
    last_number = -(-len(everything) // PAGE_SIZE)
    last = datasette_get(registry, f"/registry/expiring?months=240&_page={last_number}").text
    assert f"rows {(last_number - 1) * PAGE_SIZE + 1:,}–{len(everything):,}" in last
    beyond = datasette_get(registry, f"/registry/expiring?months=240&_page={last_number + 1}").text
    assert "no rows on this page" in beyond and 'rel="next"' not in beyond


def test_csv_export_asks_for_every_row(registry):
    page = datasette_get(registry, "/registry/expiring?months=240").text
    csv_url = re.search(r'href="([^"]*\.csv[^"]*)">CSV', page).group(1).replace("&amp;", "&")
    assert "_size=max" in csv_url
    lines = datasette_get(registry, csv_url).text.strip().splitlines()
    assert len(lines) - 1 == min(len(expiring_in_sql(registry)), 1000)


def test_every_paged_query_falls_back_to_the_same_page_size_without_the_plugin(registry):
    queries = build_metadata()["databases"]["registry"]["queries"]
    paged = {name for name, query in queries.items() if PAGED_MARKER in query["sql"]}
    assert {"expiring", "programme_portfolio", "teacher_mobility_gaps", "unused_agreements", "open_findings", "merges"} <= paged
    for name in paged:
        assert PAGED_CLAUSE in queries[name]["sql"], name

    from datasette.app import Datasette

    async def plain_first_page():
        plain = Datasette([str(registry)], metadata=build_metadata(registry.stem))  # no plugins of ours
        return await plain.client.get(EXPIRING)

    response = asyncio.run(plain_first_page())
    assert [row["id"] for row in response.json()] == expiring_in_sql(registry)[:PAGE_SIZE]


def test_markdown_cells_are_not_rendered_but_the_dashboards_keep_their_markdown(registry):
    from datasette.plugins import pm

    response = datasette_get(registry, "/-/dashboards")
    assert response.status_code == 200
    assert not [impl for impl in pm.hook.render_cell.get_hookimpls() if impl.plugin_name == "render_markdown"]
    assert pm.get_plugin("render_markdown") is not None
