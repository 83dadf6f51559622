"""The stand-ins for Datasette's per-page work give Datasette's answers (registry/page_costs.py)."""

import urllib.parse

import pytest
from datasette import utils
from datasette.utils.asgi import Request
from markupsafe import Markup, escape

from registry import page_costs
from registry.plugins import registry_paging


@pytest.mark.parametrize("query", [
    {"sql": "select * from agreements where title like '%å & ø%'\n  and x = :x", "x": "a b+c"},
    {"sql": "select 1", "n": 3, "f": 1.5},
    {"sql": "select 1", "flag": True},  # not a str, int or float: not kept, still quoted
    {"sql": "select 1", "many": ["a", "b"]},  # unhashable: quoted each time
])
def test_urlencode_gives_urllibs_answer_twice(query):
    expected = urllib.parse.urlencode(query)
    assert page_costs.urlencode(query) == expected
    assert page_costs.urlencode(dict(query)) == expected  # the kept answer
    assert page_costs.urlencode(list(query.items())) == urllib.parse.urlencode(list(query.items()))
    assert page_costs.urlencode({"many": ["a", "b"]}, doseq=True) == "many=a&many=b"


def test_call_with_supported_arguments_as_datasettes():
    def renderer(rows, datasette):
        return (rows, datasette)

    for call in (utils.call_with_supported_arguments, page_costs.call_with_supported_arguments):
        assert call(renderer, datasette="ds", rows=[1], sql="x") == ([1], "ds")
        assert call(lambda: 7, rows=[]) == 7
        with pytest.raises(TypeError, match="missing"):
            call(renderer, rows=[1])


@pytest.mark.parametrize("query_string", ["", "_page=2&_size=10", "_size=&_page=3", "_page=1&_page=2", "programme=a%20b&_size=max"])
def test_paging_reads_arguments_as_request_args(query_string):
    request = Request({"type": "http", "query_string": query_string.encode(), "path": "/r/q", "headers": []}, None)
    for name in ("_page", "_size", "programme", "absent"):
        assert registry_paging._argument(request, name) == request.args.get(name)


@pytest.mark.parametrize("text", ["Université d'Été & <Co> \"x\"", "plain", 42, 1.5, Markup("<b>kept</b>")])
@pytest.mark.parametrize("href", [None, "/r/institutions/a-b~2Fc"])
def test_pending_link_writes_what_markupsafe_wrote(text, href):
    from registry.plugins.registry_agreement import PendingLink

    link = PendingLink("r", ("institutions",), "a-b/c", text)
    link.href = href
    written = escape(text) if href is None else Markup(f'<a href="{href}">{escape(text)}</a>')
    assert link.__html__() == written
    assert type(link.__html__()) is Markup


def test_each_face_connection_keeps_a_larger_page_cache_but_datasettes_own(tmp_path):
    import sqlite3

    from registry.plugins import registry_page_cache

    for database, expected in (("registry", -registry_page_cache.CACHE_KIB), ("_internal", None)):
        conn = sqlite3.connect(tmp_path / f"{database}.db")
        default = conn.execute("PRAGMA cache_size").fetchone()[0]
        registry_page_cache.prepare_connection(conn, database)
        assert conn.execute("PRAGMA cache_size").fetchone()[0] == (default if expected is None else expected)
        conn.close()
    assert registry_page_cache.CACHE_KIB == 128 * 1024
