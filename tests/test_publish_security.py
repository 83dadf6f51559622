"""What the faces promise, tried against real `registry serve` processes on 127.0.0.1: security
headers, CSV downloads a spreadsheet cannot run, 400 (never 500) for out-of-range query strings,
and arbitrary SQL off on the public face unless served with --allow-sql."""

from __future__ import annotations

import csv
import io
import os
import sqlite3
import urllib.parse

import httpx
import pytest
from conftest import http_client, http_get, start_registry
from hypothesis import given, settings
from hypothesis import strategies as st
from test_publish import build_registry

from registry import faces
from registry.plugins.registry_csv import CsvRewriter, neutralise_cell
from registry.publish import publish

FORMULA = '=HYPERLINK("http://evil.example","click")'
SLOW_SQL = "with recursive n(x) as (select 1 union all select x + 1 from n) select count(*) from n"


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    folder = tmp_path_factory.mktemp("security")
    registry_file = build_registry(folder / "registry.db")
    conn = sqlite3.connect(registry_file)  # what a careless import could have stored
    conn.execute("UPDATE agreements SET title = ? WHERE id = 'ex-lodz-erasmus'", [FORMULA])
    conn.execute("UPDATE institutions SET longitude = -8.61, city = '@SUM(1)' WHERE id = 'university-of-lodz'")
    conn.commit()
    conn.close()
    public_file = folder / "public.db"
    publish(registry_file, public_file)
    env = {k: v for k, v in os.environ.items() if not k.startswith(faces.ACCOUNT_PREFIX)}
    env[faces.ACCOUNT_PREFIX + "OFFICE"] = faces.hash_password("office-password-1")
    started = {
        "internal": start_registry(["serve", "--db", str(registry_file)], folder / "internal.log", env),
        "open": start_registry(["serve", "--db", str(registry_file), "--no-auth"], folder / "open.log"),
        "public": start_registry(["serve", "--public", str(public_file)], folder / "public.log"),
        "public_sql": start_registry(["serve", "--public", str(public_file), "--allow-sql"], folder / "public-sql.log"),
    }
    yield {name: base for name, (_, base) in started.items()} | {"public_file": public_file}
    for server, _ in started.values():
        server.terminate()
        server.wait(timeout=10)


def get(base: str, path: str, **params) -> httpx.Response:
    return http_get(base + path, params=params or None, timeout=30)


@pytest.mark.parametrize("face, path", [("internal", "/-/login"), ("internal", "/"), ("open", "/registry/agreements"),
                                        ("public", "/"), ("public", "/public/agreements.csv")])
def test_no_page_may_be_framed(servers, face, path):
    response = get(servers[face], path)
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["content-security-policy"] == "frame-ancestors 'none'"
    assert response.headers["x-content-type-options"] == "nosniff"


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("face, path", [
    ("public", "/public/agreements.csv?_size=max"),
    ("public", "/public/agreements.csv?_stream=1"),
    ("public", "/public/agreement_overview.csv?_dl=1"),
    ("public", "/public/expiring.csv?months=600&_size=max"),
    ("open", "/registry/agreements.csv?_stream=1&_dl=1"),
])
def test_csv_downloads_cannot_run_formulas(servers, face, path):
    response = get(servers[face], path)
    assert response.status_code == 200, response.text
    cells = [cell for row in rows(response.text) for cell in row]
    titles = [cell for cell in cells if "HYPERLINK" in cell]
    assert titles == ["'" + FORMULA], titles
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "@", "\t", "\r")]


def test_csv_keeps_numbers_and_neutralises_text(servers):
    table = rows(get(servers["public"], "/public/institutions.csv", id="university-of-lodz").text)
    record = dict(zip(table[0], table[1], strict=True))
    assert record["longitude"] == "-8.61" and record["city"] == "'@SUM(1)"


@settings(max_examples=60, deadline=None)
@given(table=st.lists(st.lists(st.text(alphabet='ab=+-@"\n\r\t,1.', max_size=6), min_size=2, max_size=2), max_size=8),
       cuts=st.lists(st.integers(1, 40), max_size=8))
def test_csv_rewriter_gives_the_same_records_whatever_the_chunks(table, cuts):
    source = io.StringIO()
    csv.writer(source).writerows(table)
    data, chunks, at = source.getvalue().encode(), [], 0
    for cut in cuts:
        chunks.append(data[at: at + cut])
        at += cut
    chunks.append(data[at:])
    rewriter = CsvRewriter()
    out = b"".join(rewriter.feed(chunk) for chunk in chunks) + rewriter.feed(b"", final=True)
    assert rows(out.decode()) == [[neutralise_cell(cell) for cell in row] for row in rows(data.decode())]


OUT_OF_RANGE = [
    "/{db}/expiring?months=12&_page=99999999999999999999",
    "/{db}/expiring.json?months=12&_page=99999999999999999999",
    "/{db}/expiring.csv?months=12&_size=99999999999999999999",
    "/{db}/expiring?months=12&_page=0",
    "/{db}/expiring?months=12&_size=abc",
    "/{db}/agreements?_size=99999999999999999999",
    "/{db}/agreements?_next=99999999999999999999&_sort=nope",
    "/{db}/mobility_flows?participants__gt=99999999999999999999",
    "/{db}/institutions?_sort_desc=no_such_column",
    "/{db}/institutions?_through=%7B%22table%22%3A1%7D",
]


@pytest.mark.parametrize("face, db", [("open", "registry"), ("public", "public")])
@pytest.mark.parametrize("path", OUT_OF_RANGE)
def test_out_of_range_query_strings_are_a_400(servers, face, db, path):
    response = http_get(servers[face] + path.format(db=db), timeout=30)
    assert response.status_code == 400, (path, response.status_code)
    assert "Traceback" not in response.text


def test_a_huge_next_token_is_only_a_key_to_page_from(servers):
    for path in ("/public/agreements.json", "/public/institution_names.json", "/public/publication.json"):
        response = get(servers["public"], path, _next="99999999999999999999")
        assert response.status_code == 200 and isinstance(response.json()["rows"], list), path


def test_public_face_runs_no_sql_of_its_visitors_by_default(servers):
    base = servers["public"]
    refused = get(base, "/public.json", sql="select count(*) from agreements")
    assert refused.status_code == 403 and "--allow-sql" in refused.json()["error"]
    assert get(base, "/public/agreements", _where="1").status_code == 403
    assert "<textarea" not in get(base, "/public").text
    # What stays: tables, facets, search, canned queries, the dashboard and its charts' own queries.
    assert get(base, "/public/agreements.json", _facet="kind").status_code == 200
    assert get(base, "/-/search", q="lodz").status_code == 200
    assert get(base, "/public/expiring.json", months="600", _shape="array").json()
    assert get(base, "/-/dashboards/portfolio").status_code == 200
    chart = faces.public_face(servers["public_file"]).metadata["plugins"]["datasette-dashboards"]["portfolio"]["charts"]["by_kind"]["query"]
    without_filter = chart.split("[[")[0] + chart.split("]]")[1]
    drawn = get(base, "/public.json", sql=without_filter, _shape="objects")
    assert drawn.status_code == 200 and drawn.json()["rows"]
    with_filter = chart.replace("[[", "").replace("]]", "")
    assert get(base, "/public.json", sql=with_filter, programme="medicine").status_code == 200
    assert get(base, "/public.json", sql=without_filter + " union all select 'x', 1").status_code == 403


def test_allow_sql_runs_visitors_sql_under_the_time_limit(servers):
    base = servers["public_sql"]
    answer = get(base, "/public.json", sql="select count(*) as n from agreements", _shape="array")
    assert answer.status_code == 200 and answer.json() == [{"n": 2}]
    assert "<textarea" in get(base, "/public").text
    slow = get(base, "/public.json", sql=SLOW_SQL)
    assert slow.status_code == 400 and "too long" in slow.json()["error"]
    # The visitor's query ran on a worker thread, the page's own queries on the loop; both answer.
    assert get(base, "/").status_code == 200
    quoted = urllib.parse.quote("select :name as said")
    assert http_get(f"{base}/public.json?sql={quoted}&name=hello&_shape=array").json() == [{"said": "hello"}]


DEBUG_TOOLS = ["/-/allow-debug", "/-/allow-debug?actor=%7B%7D&allow=%7B%7D", "/-/messages", "/-/patterns", "/-/threads",
               "/-/threads.json"]
ABOUT_THE_SERVER = ["/-/versions", "/-/versions.json", "/-/plugins.json", "/-/settings.json", "/-/databases.json",
                    "/-/actor.json"]


@pytest.mark.parametrize("path", DEBUG_TOOLS + ABOUT_THE_SERVER + ["/-/metadata.json", "/-/permissions", "/-/auth-token"])
def test_every_page_of_the_internal_face_asks_an_anonymous_visitor_to_log_in(servers, path):
    response = get(servers["internal"], path)
    assert response.status_code == 302 and response.headers["location"].endswith("/-/login"), (path, response.status_code)


def test_datasettes_debugging_tools_are_served_on_no_face(servers):
    client = http_client(base_url=servers["internal"], timeout=30)
    token = client.get("/-/login").text.split('name="csrftoken" value="')[1].split('"')[0]
    assert client.post("/-/login", data={"username": "office", "password": "office-password-1", "csrftoken": token}).status_code == 302
    for path in DEBUG_TOOLS:
        assert client.get(path).status_code == 404, path
        assert get(servers["open"], path).status_code == 404, path
        assert get(servers["public"], path).status_code == 404, path
    assert client.get("/-/versions.json").json()["datasette"]["version"].startswith("0.65")  # logged in: what runs
    assert client.get("/-/databases.json").json()[0]["path"].endswith("registry.db")


@pytest.mark.parametrize("path", ABOUT_THE_SERVER)
def test_the_public_face_tells_no_versions_paths_or_settings(servers, path):
    response = get(servers["public"], path)
    assert response.status_code == 404 and "public.db" not in response.text and "Datasette 0.65" not in response.text
    assert get(servers["public"], "/-/metadata.json").status_code == 200  # what the published tables are stays
