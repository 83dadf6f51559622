"""render_cell called directly (registry/cell_hooks.py) answers every cell as pluggy's hook caller does:
the same implementations in the same order, datasette-render-markdown's left out, and a page of
a query and of a table shows the same cells either way."""

from __future__ import annotations

import asyncio
import re
import urllib.parse

import pytest
from datasette.plugins import pm
from test_publish import build_registry

from registry import cell_hooks, faces
from registry.kept_answers import kept_answers


@pytest.fixture(scope="module")
def internal(tmp_path_factory):
    path = build_registry(tmp_path_factory.mktemp("cells") / "registry.db")
    datasette = faces.internal_face(path, auth=False).datasette()
    asyncio.run(datasette.invoke_startup())
    return datasette


def answers(caller, datasette, row, column, table):
    return [str(answer) for answer in caller(row=row, value=row[column], column=column, table=table,
                                             database="registry", datasette=datasette)]


def test_each_cell_gets_pluggys_answers_in_pluggys_order(internal):
    direct = pm.hook.render_cell
    assert isinstance(direct, cell_hooks.DirectCells)
    names = [impl.plugin_name for impl in direct.get_hookimpls()]
    assert "render_markdown" not in names and {"registry_labels.py", "registry_agreement.py"} <= set(names)
    row = {"id": "ex-ku-med", "title": "Medicine exchange", "kind": "erasmus_iia", "status": "active",
           "country": "DK", "notes_markdown": "*not rendered*", "ends_on": "2027-06-30"}
    for table in (None, "agreements", "agreement_overview"):
        for column in row:
            assert answers(direct, internal, row, column, table) == answers(direct.caller, internal, row, column, table)
    assert answers(direct, internal, row, "kind", None) == ["Erasmus+ inter-institutional agreement"]


def test_a_second_startup_wraps_pluggys_caller_not_the_first_ones(internal):
    cell_hooks.skip_markdown_cells()
    cell_hooks.skip_markdown_cells()
    assert not isinstance(pm.hook.render_cell.caller, cell_hooks.DirectCells)


def test_several_answers_come_in_pluggys_order():
    import pluggy
    from datasette import hookimpl, hookspecs

    def plugin(answer, **marks):
        class Plugin:
            @hookimpl(**marks)
            def render_cell(self, value, column):
                return f"{answer}:{column}" if value else None
        return Plugin()

    toy = pluggy.PluginManager("datasette")
    toy.add_hookspecs(hookspecs)
    for answer, marks in (("early", {"tryfirst": True}), ("one", {}), ("two", {}), ("late", {"trylast": True})):
        toy.register(plugin(answer, **marks))
    cell = {"row": {}, "value": "x", "column": "kind", "table": None, "database": "registry", "datasette": None}
    assert cell_hooks.DirectCells(toy.hook.render_cell)(**cell) == toy.hook.render_cell(**cell) == [
        "early:kind", "two:kind", "one:kind", "late:kind"]
    assert cell_hooks.DirectCells(toy.hook.render_cell)(**{**cell, "value": ""}) == []


def test_an_implementation_is_asked_only_for_the_columns_it_answers():
    import pluggy
    from datasette import hookimpl, hookspecs

    asked = []

    class Everywhere:
        @hookimpl
        def render_cell(self, value, column):
            asked.append(("everywhere", column))
            return None

    class OnlyKind:
        @hookimpl
        def render_cell(self, value, column, table):
            asked.append(("kind", column))
            return f"{value} in words"

    OnlyKind.render_cell.answers_columns = lambda table: {"kind"} if table is None else {"kind", "status"}
    toy = pluggy.PluginManager("datasette")
    toy.add_hookspecs(hookspecs)
    toy.register(Everywhere())
    toy.register(OnlyKind())
    direct = cell_hooks.DirectCells(toy.hook.render_cell)
    cell = {"row": {}, "value": "x", "table": None, "database": "registry", "datasette": None}
    assert direct(**cell, column="kind") == ["x in words"]
    assert list(direct(**cell, column="status")) == []
    assert direct(**{**cell, "table": "agreements"}, column="status") == ["x in words"]
    assert asked == [("kind", "kind"), ("everywhere", "kind"), ("everywhere", "status"),
                     ("kind", "status"), ("everywhere", "status")]


# The Jinja loops query.html and _table.html had before their rows were written in Python.
QUERY_LOOP = """{% set cell_classes = columns|map("to_css_class")|list %}
    {% for row in display_rows %}
        <tr>
            {% for td in row %}
                <td class="col-{{ cell_classes[loop.index0] }}">{{ td }}</td>
            {% endfor %}
        </tr>
    {% endfor %}"""
TABLE_LOOP = """
        {% for row in display_rows %}
            <tr>
                {% for cell in row %}
                    <td class="col-{{ cell.column|to_css_class }} type-{{ cell.value_type }}">{{ cell.value }}</td>
                {% endfor %}
            </tr>
        {% endfor %}"""


def test_rows_written_in_python_are_the_html_the_templates_wrote(internal):
    from markupsafe import Markup

    env = internal.jinja_env
    columns = ["id", "title", "Ends on", "_n"]
    rows = [["a<1>", Markup('<a href="/x">link &amp; more</a>'), None, 3], ["b", "Ås & Öl", "", 2.5]]
    assert str(cell_hooks.query_rows_html(rows, columns)) == asyncio.run(
        env.from_string(QUERY_LOOP).render_async(display_rows=rows, columns=columns))
    cells = [[{"column": column, "value": value, "value_type": type(value).__name__} for column, value in zip(columns, row, strict=True)]
             for row in rows]
    assert str(cell_hooks.table_rows_html(cells)) == asyncio.run(env.from_string(TABLE_LOOP).render_async(display_rows=cells))
    assert "a&lt;1&gt;" in cell_hooks.query_rows_html(rows, columns) and "&lt;a href" not in cell_hooks.query_rows_html(rows, columns)


def test_foreign_keys_kept_until_the_schema_changes(tmp_path):
    import sqlite3

    path = build_registry(tmp_path / "registry.db")
    datasette = faces.internal_face(path, auth=False).datasette()
    asyncio.run(datasette.invoke_startup())
    db = datasette.get_database("registry")
    first = asyncio.run(db.get_all_foreign_keys())
    assert asyncio.run(db.get_all_foreign_keys()) is first  # kept, not read again
    assert not any(fk["other_table"] == "site_visits" for fk in first["institutions"]["incoming"])
    with sqlite3.connect(path) as conn:  # another connection changes the schema
        conn.execute("create table site_visits (id text primary key, institution text references institutions(id))")
    incoming = asyncio.run(db.get_all_foreign_keys())["institutions"]["incoming"]
    assert {"other_table": "site_visits", "column": "id", "other_column": "institution"} in incoming


def test_numbers_in_the_languages_way_kept_apart_by_kind():
    from registry import i18n
    from registry.plugins.registry_i18n import number

    for _ in range(2):  # the second time from what was kept
        with i18n.speaking("sv"):
            assert (number(1234567), number(1.5), number(-3), number("12")) == ("1\xa0234\xa0567", "1,5", "-3", "12")
        with i18n.speaking("en"):
            assert (number(1234567), number(1.0), number(1)) == ("1,234,567", "1", "1")


TH = ('<th {% if column.description %}data-column-description="{{ column.description }}" {% endif %}'
      'class="col-{{ column.name|to_css_class }}" scope="col" data-column="{{ column.name }}" '
      'data-column-type="{{ column.type.lower() }}" data-column-not-null="{{ column.notnull }}" '
      'data-is-pk="{% if column.is_pk %}1{% else %}0{% endif %}">')
SORT_DESC = "\"{{ fix_path(path_with_replaced_args(request, {'_sort_desc': column.name, '_sort': None, '_next': None})) }}\""
SORT = "\"{{ fix_path(path_with_replaced_args(request, {'_sort': column.name, '_sort_desc': None, '_next': None})) }}\""
HEADER_LOOP = """
                {% for column in display_columns %}
                    """ + TH + """
                        {% if not column.sortable %}
                            {{ column_label(column.name) }}
                        {% else %}
                            {% if column.name == sort %}
                                <a href=""" + SORT_DESC + """ rel="nofollow">{{ column_label(column.name) }}&nbsp;▼</a>
                            {% else %}
                                <a href=""" + SORT + """ rel="nofollow">{{ column_label(column.name) }}{% if column.name == sort_desc %}&nbsp;▲{% endif %}</a>
                            {% endif %}
                        {% endif %}
                    </th>
                {% endfor %}"""


def test_table_header_written_in_python_is_the_html_the_template_wrote(internal):
    from datasette.utils import path_with_replaced_args
    from datasette.utils.asgi import Request

    from registry import i18n

    env = internal.jinja_env
    columns = [
        {"name": "id", "type": "TEXT", "notnull": 1, "is_pk": True, "sortable": True},
        {"name": "days_until_end", "type": "INTEGER", "notnull": 0, "is_pk": False, "sortable": True, "description": 'Days "left" <b>'},
        {"name": "ends_on", "type": "", "notnull": None, "is_pk": False, "sortable": True},
        {"name": "a b", "type": "text", "notnull": 0, "is_pk": False, "sortable": False},
    ]
    request = Request.fake("/registry/agreements?_sort=id&status=active&_next=5")
    for lang in ("en", "sv"):
        with i18n.speaking(lang):
            for sort, sort_desc in (("id", None), (None, "ends_on"), (None, None)):
                context = {"display_columns": columns, "request": request, "sort": sort, "sort_desc": sort_desc,
                           "fix_path": internal.urls.path, "path_with_replaced_args": path_with_replaced_args}
                jinja = asyncio.run(env.from_string(HEADER_LOOP).render_async(**context))
                ours = cell_hooks.table_header_html(columns, request, sort, sort_desc, internal.urls.path)
                assert "\n                " + str(ours) == jinja
    assert "dagar kvar" in jinja  # the last rendered in Swedish


def test_map_columns_found_once_per_page_kind(internal):
    async def pages():
        return [await internal.client.get(path) for path in
                ("/registry/institutions", "/registry/institutions", "/registry/agreements", "/registry/agreements")]

    maps = [page.text.count("DATASETTE_CLUSTER_MAP_LATITUDE_COLUMN") for page in asyncio.run(pages())]
    assert maps == [1, 1, 0, 0]
    kept = internal._registry_map_columns
    assert sum(1 for key in kept if key[2] == "institutions") == 1 and any(kept[key] for key in kept if key[2] == "institutions")


def test_value_label_of_the_templates_kept_and_the_same():
    from registry import labels
    from registry.plugins.registry_labels import _value_label

    for lang in ("en", "sv"):
        for table, column, value in (("agreements", "kind", "erasmus_iia"), (None, "country", "DK"), ("agreements", "status", "active"),
                                     (None, "title", "Medicine"), ("agreements", "kind", ""), ("agreements", "kind", None), (None, "n", 3)):
            assert _value_label(lang, table, column, value) == labels.value_label(table, column, value, lang)
    assert _value_label("en", None, "country", "DK") == "Denmark"


def test_a_cell_escaped_as_markupsafe_escapes_it():
    from markupsafe import Markup, escape

    from registry.plugins.registry_agreement import PendingLink

    for value in ("a<b>&\"'", "", "Łódź", 3, -2.5, float("inf"), True, None, Markup("<b>x</b>"), b"x<",
                  PendingLink("registry", ("agreements",), "a-1", "A & B"), ["<x>"]):
        assert cell_hooks.escaped_text(value) == str(escape(value)), value


def test_query_pages_cells_written_once_per_column_are_the_pages_datasettes_loop_wrote(internal):
    """Every canned list, a paged one's second page, a page in Swedish and ad hoc SQL with a link,
    bytes, an empty string, a number and a long text: the same HTML from ``query_display_rows`` as
    from Datasette's own loop (the page with a URL and bytes is left to Datasette's loop whole)."""
    from datasette.views.database import QueryView

    queries = internal.metadata("queries", database="registry") or {}
    paths = [f"/registry/{name}" for name, query in queries.items() if not query.get("write")]
    paths += ["/registry/expiring?months=600&_page=2&_size=3", "/registry/expiring?months=600&_lang=sv",
              "/registry/agreement_overview", "/registry?sql=" + urllib.parse.quote(
                  "select id, title, 'https://example.org/x' as site, x'00ff' as blob, '' as e, 7 as n, "
                  "1.5 as r, null as z, kind from agreements limit 3"),
              "/registry?sql=" + urllib.parse.quote("select id, title, kind, status, ends_on, '' as e, "
                                                    "printf('%.3000c', 'x') as long from agreements limit 5")]

    async def pages():  # each page but the time its queries took
        return [re.sub(r"(took|tog) [0-9.,]+ ms", "took ms", (await internal.client.get(path)).text) for path in paths]

    ours = asyncio.run(pages())
    fast = QueryView.data
    written = []
    original = cell_hooks.query_display_rows

    def counting(*args):
        written.append(original(*args) is not None)
        return original(*args)

    QueryView.data = fast.registry_datasettes  # Datasette's own data()
    try:
        theirs = asyncio.run(pages())
    finally:
        QueryView.data = fast
    cell_hooks.query_display_rows = counting
    kept_answers(internal).answers.clear()  # the lists' rows as written before are kept (registry.kept_answers)
    try:
        asyncio.run(pages())
    finally:
        cell_hooks.query_display_rows = original
    assert "<td" in ours[-1] and "\u2026" in ours[-1]
    for path, mine, datasettes in zip(paths, ours, theirs, strict=True):
        assert mine == datasettes, path
    assert written.count(False) == 1 and written.count(True) >= 5


def test_a_tables_spelling_kept_until_the_schema_changes(tmp_path):
    """Datasette's "view-table" check looks the table's spelling up in sqlite_master; the answer
    is kept per schema version (registry_permission_cache.py) and is the one SQLite gives."""
    import sqlite3

    from registry.plugins.registry_permission_cache import TABLE_SPELLING

    path = build_registry(tmp_path / "registry.db")
    datasette = faces.internal_face(path, auth=False).datasette()
    asyncio.run(datasette.invoke_startup())
    db = datasette.get_database("registry")
    statements: list[str] = []
    asyncio.run(db.execute_fn(lambda conn: conn.set_trace_callback(statements.append)))

    def spelling(name):
        return [tuple(row) for row in asyncio.run(db.execute(TABLE_SPELLING, (name,))).rows]

    def looked_up():
        return sum(1 for statement in statements if statement.startswith("select name from sqlite_master"))

    assert spelling("AGREEMENTS") == [("agreements",)] and spelling("site_visits") == []
    assert looked_up() == 2
    assert spelling("AGREEMENTS") == [("agreements",)] and spelling("site_visits") == []
    assert looked_up() == 2  # kept
    with sqlite3.connect(path) as conn:  # another connection changes the schema
        conn.execute("create table Site_Visits (id text primary key)")
    assert spelling("site_visits") == [("Site_Visits",)] and spelling("agreements") == [("agreements",)]
    assert looked_up() == 4
    with sqlite3.connect(path) as conn:
        assert conn.execute(TABLE_SPELLING, ("SITE_VISITS",)).fetchall() == [("Site_Visits",)]
