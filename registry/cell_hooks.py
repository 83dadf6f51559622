"""Datasette's ``render_cell`` hook, called for every cell of every page, without pluggy's
machinery per call.

A list page of 50 rows of 10 columns asks the hook 500 times, a table page 1,400 times, and
pluggy spent more on each call than the registry's three implementations together: checking
its arguments, listing the implementations afresh (a subset of them here, without
datasette-render-markdown's, see ``skip_markdown_cells``) and reading the hook's spec six
times, 7 µs a cell against 3 µs called directly (2-6 ms of a 12-50 ms page). ``DirectCells``
calls the same implementations, in pluggy's order, with the same arguments, and answers as
pluggy does (every answer that is not None, in order), so Datasette picks the same one. It
stands in for the hook only when no implementation wraps the others (a hookwrapper), which
pluggy alone runs right, and is made again at every Datasette's startup, after the plugins
are registered. An implementation may say which columns it can answer for (``answers_columns``,
see ``DirectCells``): a cell of any other column costs a dictionary look-up.

The cells then become a page's rows (``query_rows_html``, ``table_rows_html``): written in
Python, not by a Jinja loop, which in Datasette's async templates awaits each row and each cell
and escapes them one expression at a time (a 50-row list of 10 columns is 500 cells, a third of
its rendering).
"""

from __future__ import annotations

import inspect
import operator
import re
import types
from collections.abc import Callable

from datasette import utils
from datasette.plugins import pm
from datasette.utils import path_with_replaced_args, to_css_class
from markupsafe import Markup, escape

from registry import i18n
from registry.kept_answers import KeptRows

_PLUGGYS = None  # the hook caller pluggy made, before any startup replaced it


class DirectCells:
    """The render_cell hook caller ``caller`` (pluggy's), its implementations called directly.

    An implementation with an ``answers_columns(table)`` attribute answers None for every cell
    whose column is not in the set it returns for the cell's table (None for a query's results):
    it is not called for those. Which implementations a (table, column) needs is worked out
    once per startup (the caller is made again at each), the first time a cell of it is rendered.
    """

    def __init__(self, caller) -> None:
        self.caller = caller
        # pluggy calls the last registered first (tryfirst/trylast already sorted into the list);
        # each implementation's arguments picked from the call's by one itemgetter (a list made
        # per call cost a frame of its own, 500 a page)
        self.calls = tuple((impl.function, _arguments_of(impl.argnames)) for impl in reversed(caller.get_hookimpls()))
        self.by_column: dict[tuple, tuple] = {}

    def _calls_for(self, table, column) -> tuple:
        calls = tuple(
            (function, names) for function, names in self.calls
            if not hasattr(function, "answers_columns") or column in function.answers_columns(table)
        )
        self.by_column[table, column] = calls
        return calls

    def __call__(self, **arguments) -> list | tuple:
        calls = self.by_column.get((arguments["table"], arguments["column"]))
        if calls is None:
            calls = self._calls_for(arguments["table"], arguments["column"])
        if not calls:
            return ()  # most cells: Datasette only iterates the answers
        answers = []
        for function, pick in calls:
            answer = function(*pick(arguments))
            if answer is not None:
                answers.append(answer)
        return answers

    def __getattr__(self, name):  # anything else (get_hookimpls, a plugin registering): pluggy's
        return getattr(self.caller, name)


def _arguments_of(names) -> Callable[[dict], tuple]:
    """A function of the call's arguments that gives an implementation's, in its order, as a tuple."""
    names = tuple(names)
    if len(names) > 1:
        return operator.itemgetter(*names)
    # itemgetter of one name gives the value itself, not a tuple of it (and of none, nothing)
    return (lambda arguments: (arguments[names[0]],)) if names else (lambda arguments: ())


def skip_markdown_cells() -> None:
    """datasette-render-markdown is installed for the dashboards' markdown panels (its template
    function). Its render_cell hook renders columns named ``*_markdown``, and no column of the
    registry is one; yet to find that out it reads its plugin configuration, a deep merge of the
    whole metadata, for every cell of every page: a third of the time of a 50-row page. The
    template function stays; that one hook goes. The rest are called directly (``DirectCells``)."""
    global _PLUGGYS
    if _PLUGGYS is None:
        _PLUGGYS = pm.hook.render_cell
    caller = pm.hook.render_cell = _PLUGGYS  # not an earlier startup's (a process of tests starts many)
    plugin = pm.get_plugin("render_markdown")
    if plugin is not None and any(impl.plugin is plugin for impl in caller.get_hookimpls()):
        caller = pm.subset_hook_caller("render_cell", remove_plugins=[plugin])
    wrapped = any(impl.hookwrapper or getattr(impl, "wrapper", False) for impl in caller.get_hookimpls())
    pm.hook.render_cell = caller if wrapped else DirectCells(caller)


_TILDE_SAFE = re.compile(r"[A-Za-z0-9_-]*")  # the characters Datasette's tilde encoding keeps


def tilde_encode(key: str) -> str:
    """Datasette's ``tilde_encode`` of a key in a cell's link: a key of only the characters it
    keeps (most of the registry's) is itself, without Datasette's byte-by-byte pass (0.3 ms of a
    50-row list's links)."""
    return key if _TILDE_SAFE.fullmatch(key) else utils.tilde_encode(key)


# The rows as the templates wrote them (Datasette 0.65's query.html and _table.html, whitespace
# and all): the same HTML, each value escaped as Jinja's autoescape does (``escape`` keeps Markup).


def escaped_text(value) -> str:
    """The text of ``markupsafe.escape(value)`` without making a Markup of each value (most of
    the cost of a page's 500 escapes): a string escaped the same way, a number as it is written
    (nothing in it to escape), markup (a link, a plugin's cell) as its ``__html__`` says."""
    kind = type(value)
    if kind is str:
        return value.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;").replace("'", "&#39;").replace('"', "&#34;")
    if kind is int or kind is float:
        return str(value)
    html = getattr(value, "__html__", None)
    return html() if html is not None else escape(value)


def query_rows_html(display_rows, columns) -> Markup:
    """The ``<tr>`` rows of a query page (templates/query.html); rows shown before (``ShownRows``)
    as they were written then, rows of a kept answer (``ShownRows.key``) kept once written."""
    html = getattr(display_rows, "html", None)
    if html is not None:
        return html
    html = _query_rows_html(display_rows, columns)
    if isinstance(display_rows, ShownRows):
        display_rows.written(html)
    return html


def _query_rows_html(display_rows, columns) -> Markup:
    opening = [f'\n                <td class="col-{escape(to_css_class(column))}">' for column in columns]
    parts = ["\n    "]
    for row in display_rows:
        parts.append("\n        <tr>\n            ")
        for opened, value in zip(opening, row, strict=False):  # as the template's cell_classes[loop.index0]
            if type(value) is str:  # escaped_text's most common case written out: 500 calls a page
                value = value.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;").replace("'", "&#39;").replace('"', "&#34;")
            else:
                value = escaped_text(value)
            parts += (opened, value, "</td>\n            ")
        parts.append("\n        </tr>\n    ")
    return Markup("".join(parts))


def table_rows_html(display_rows) -> Markup:
    """The ``<tr>`` rows of a table or row page (templates/_table.html): each cell a dict of
    Datasette's (column, value, value_type)."""
    classes: dict[str, str] = {}
    parts = ["\n        "]
    for row in display_rows:
        parts.append("\n            <tr>\n                ")
        for cell in row:
            column = cell["column"]
            css = classes.get(column)
            if css is None:
                css = classes[column] = str(escape(to_css_class(column)))
            parts += ('\n                    <td class="col-', css, " type-", escape(cell["value_type"]), '">',
                      escaped_text(cell["value"]), "</td>\n                ")
        parts.append("\n            </tr>\n        ")
    return Markup("".join(parts))


def table_header_html(display_columns, request=None, sort=None, sort_desc=None, fix_path=None) -> Markup:
    """The ``<th>`` cells of a table or row page (templates/_table.html), each column's name in the
    page's language, a sortable one a link that sorts by it (``fix_path`` and ``request`` are only
    read for those: a row page has none)."""
    lang = i18n.current()
    parts: list[str] = []
    for column in display_columns:
        name = column["name"]
        description = column.get("description")
        label = escaped_text(i18n.column_label(lang, name))
        parts += ("\n                    <th ", f'data-column-description="{escape(description)}" ' if description else "",
                  f'class="col-{escape(to_css_class(name))}" scope="col" data-column="{escape(name)}" ',
                  f'data-column-type="{escape(column["type"].lower())}" data-column-not-null="{escape(column["notnull"])}" ',
                  f'data-is-pk="{"1" if column["is_pk"] else "0"}">\n                        ')
        if not column["sortable"]:
            parts.append(f"\n                            {label}\n                        ")
        elif name == sort:
            href = escape(fix_path(path_with_replaced_args(request, {"_sort_desc": name, "_sort": None, "_next": None})))
            parts.append(f'\n                            \n                                <a href="{href}" rel="nofollow">{label}&nbsp;▼</a>'
                         "\n                            \n                        ")
        else:
            href = escape(fix_path(path_with_replaced_args(request, {"_sort": name, "_sort_desc": None, "_next": None})))
            arrow = "&nbsp;▲" if name == sort_desc else ""
            parts.append(f'\n                            \n                                <a href="{href}" rel="nofollow">{label}{arrow}</a>'
                         "\n                            \n                        ")
        parts.append("\n                    </th>\n                ")
    return Markup("".join(parts))


TEMPLATE_FUNCTIONS = {"registry_query_rows": query_rows_html, "registry_table_rows": table_rows_html,
                      "registry_table_header": table_header_html}


# -- a query page's cells, one column's work at a time ----------------------------------------------

_NBSP = Markup("&nbsp;")


class _Theirs(Exception):
    """A cell only Datasette's own loop writes as it does: an answer to await or call, a URL, bytes."""


# Kinds of render_cell answers seen to be neither callable nor awaitable: both are properties of the
# kind (a generator aside, whose code decides, never kept), so each kind is asked once, not for every
# cell (``inspect.isawaitable`` tests an abstract class: 0.2 ms of a 50-row list's 100 links).
_PLAIN_ANSWERS: set[type] = set()


def _check_plain(answer) -> None:
    """Raise ``_Theirs`` for an answer Datasette's loop must await or call, else remember its kind."""
    if callable(answer) or inspect.isawaitable(answer):
        raise _Theirs
    if not isinstance(answer, types.GeneratorType):
        _PLAIN_ANSWERS.add(type(answer))


def query_display_rows(rows, columns, database: str, datasette, truncate_cells: int) -> list[list] | None:
    """The display rows of Datasette 0.65's query page (``QueryView.data``'s ``extra_template``),
    or None when a cell needs Datasette's own loop (see ``_Theirs``). Each cell is the first
    render_cell answer (every implementation is called, as by ``DirectCells``), else the value
    as Datasette writes it: a non-breaking space for empty, else its text cut at
    ``truncate_cells``. The implementations a column needs are read once per column, not once
    per cell, and a cell none answers for costs a few comparisons: Datasette's loop spent about
    3 µs a cell on the hook call, the answers' loop and its checks, 1.6 ms of a 50-row page of
    10 columns."""
    hook = pm.hook.render_cell
    if not isinstance(hook, DirectCells):
        return None
    by_column = [hook.by_column[None, column] if (None, column) in hook.by_column else hook._calls_for(None, column)
                 for column in columns]
    display_rows = []
    try:
        for row in rows:
            display_row = []
            for column, calls, value in zip(columns, by_column, row, strict=False):
                answer = None
                if calls:
                    arguments = {"row": row, "value": value, "column": column, "table": None,
                                 "database": database, "datasette": datasette}
                    for function, pick in calls:
                        answered = function(*pick(arguments))
                        if answered is not None and answer is None:
                            if type(answered) not in _PLAIN_ANSWERS:
                                _check_plain(answered)
                            answer = answered
                if answer is not None:
                    display_row.append(answer)
                elif value is None or value == "":
                    display_row.append(_NBSP)
                elif type(value) is str:
                    if "://" in value and utils.is_url(value.strip()):
                        raise _Theirs
                    display_row.append(value if not truncate_cells or len(value) <= truncate_cells
                                       else value[:truncate_cells] + "\u2026")
                elif type(value) is int or type(value) is float:
                    display_row.append(str(value))
                else:
                    raise _Theirs
            display_rows.append(display_row)
    except _Theirs:
        return None
    return display_rows


class ShownRows(list):
    """A query page's display rows, and once written their HTML (``html``). The rows of an answer
    kept per version of the registry (``registry.kept_answers.KeptRows``) are the same cells for
    every page with the same columns, language and cell length: a render_cell implementation
    answers from the cell's row and column, the page's language and the file, never the login.
    So once written (after the page's links are looked up, ``registry_agreement.py``) they are
    kept beside the answer, and the next page of them writes neither its cells nor its rows."""

    __slots__ = ("html", "key", "store")

    def __init__(self, display_rows, key: tuple | None = None, store=None) -> None:
        super().__init__(display_rows)
        self.html: Markup | None = None
        self.key, self.store = key, store

    @staticmethod
    def _key(rows, columns, truncate: int) -> tuple | None:
        if not isinstance(rows, KeptRows):
            return None
        return ("shown", rows.key, i18n.current(), tuple(columns), truncate)

    @classmethod
    def kept(cls, rows, columns, truncate: int) -> ShownRows | None:
        """The rows as shown before, written, for these rows of a kept answer; None for any other rows."""
        key = cls._key(rows, columns, truncate)
        return rows.store.get(key) if key is not None else None

    @classmethod
    def made(cls, display_rows, rows, columns, truncate: int) -> ShownRows:
        key = cls._key(rows, columns, truncate)
        return cls(display_rows, key, rows.store if key is not None else None)

    def written(self, html: Markup) -> None:
        self.html = html
        if self.key is not None:
            self.store.keep(self.key, self)


def fast_query_cells() -> None:
    """Datasette's query pages (canned queries, ``?sql=``) get their cells from
    ``query_display_rows``; the rest of the page's context still from Datasette's own
    ``extra_template``, given the query's rows list emptied while it runs (it reads the rows
    only for that loop; the list is the one the page's context holds, and is put back at once).
    A page with a cell it cannot write (``_Theirs``) is left to Datasette whole. Once per process."""
    from datasette.views.database import QueryView

    if getattr(QueryView.data, "registry_fast_cells", False):
        return
    datasettes = QueryView.data

    async def data(self, request, sql, *args, **kwargs):
        answer = await datasettes(self, request, sql, *args, **kwargs)
        if not isinstance(answer, tuple) or len(answer) < 3 or not callable(answer[1]):
            return answer
        context, extra_template = answer[0], answer[1]
        rows = context.get("rows")
        if not isinstance(rows, list) or not rows or not context.get("columns"):
            return answer

        async def extra():
            truncate = self.ds.setting("truncate_cells_html")
            display_rows = ShownRows.kept(rows, context["columns"], truncate)
            if display_rows is None:
                display_rows = query_display_rows(rows, context["columns"], context["database"], self.ds, truncate)
                if display_rows is None:
                    return await extra_template()
                display_rows = ShownRows.made(display_rows, rows, context["columns"], truncate)
            kept = rows[:]
            rows.clear()
            try:
                extras = await extra_template()
            finally:
                rows[:] = kept
            extras["display_rows"] = display_rows
            return extras

        return (context, extra, *answer[2:])

    data.registry_fast_cells = True  # type: ignore[attr-defined]
    data.registry_datasettes = datasettes  # type: ignore[attr-defined]  # Datasette's own, for benchmarks/page_cpu.py
    QueryView.data = data
