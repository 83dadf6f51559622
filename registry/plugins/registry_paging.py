"""Pages for canned queries whose answers grow with the registry.

Datasette renders every row a canned query returns, up to ``max_returned_rows``; at 100,000
agreements "agreements ending within 12 months" is thousands of rows and a page took
seconds to build. A query that ends in ``LIMIT :_page_size OFFSET :_page_offset`` is paged
instead, like Datasette's table pages: 50 rows a page, ``?_page=N`` for the next ones,
``?_size=N`` (or ``max``) for more per page, which the CSV link asks for. The two magic
parameters never appear in the query's form, and the pager under the table links the pages.
A page or size that is not a whole number in range is a 400 naming the parameter, as
Datasette answers a bad ``_size`` on a table page, never a 500 from SQLite's integer range.

The queries write ``LIMIT coalesce(:_page_size, 50) OFFSET coalesce(:_page_offset, 0)``:
Datasette without this plugin binds unknown magic parameters to NULL, and then serves the
first page, so the metadata stays usable on plain ``datasette``.
"""

from __future__ import annotations

import functools
import urllib.parse

from datasette import hookimpl
from datasette.utils.asgi import BadRequest

PAGE_SIZE = 50
PAGED_MARKER = ":_page_offset"
PAGED_CLAUSE = f"limit coalesce(:_page_size, {PAGE_SIZE}) offset coalesce(:_page_offset, 0)"
LARGEST_OFFSET = 2**63 - 1  # SQLite's largest integer


@functools.lru_cache(maxsize=256)
def _first_values(query_string: str) -> dict[str, str]:
    """Each argument's first value, as ``request.args.get`` gives it: read once per query string,
    where ``request.args`` parses the whole string at each use (five a paged page)."""
    return {name: values[0] for name, values in urllib.parse.parse_qs(query_string, keep_blank_values=True).items()}


def _argument(request, name: str) -> str | None:
    return _first_values(request.query_string).get(name)


def _whole_number(request, name: str, default: int, largest: int) -> int:
    text = _argument(request, name)
    if text is None or text == "":
        return default
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= largest:
        raise BadRequest(f"{name} must be a whole number from 1 to {largest:,}, not {text[:40]!r}")
    return int(text)


def page_size(request, max_rows: int) -> int:
    if _argument(request, "_size") == "max":
        return max_rows
    return _whole_number(request, "_size", PAGE_SIZE, max_rows)


def page_number(request, size: int) -> int:
    return _whole_number(request, "_page", 1, LARGEST_OFFSET // size)


@hookimpl
def register_magic_parameters(datasette):
    max_rows = datasette.setting("max_returned_rows")

    def page(key: str, request):
        size = page_size(request, max_rows)
        if key == "size":
            return size
        if key == "offset":
            return (page_number(request, size) - 1) * size
        raise KeyError(key)

    return [("page", page)]


def _with_args(request, **changes) -> str:
    args = [(k, v) for k, v in urllib.parse.parse_qsl(request.query_string, keep_blank_values=True) if k not in changes]
    args += [(k, str(v)) for k, v in changes.items() if v is not None]
    return request.path + ("?" + urllib.parse.urlencode(args) if args else "")


def pager(request, sql: str | None, rows_shown: int, max_rows: int) -> dict | None:
    """Where the rows on this page sit in the whole answer, and links to the pages either side."""
    if not sql or PAGED_MARKER not in sql:
        return None
    size = page_size(request, max_rows)
    number = page_number(request, size)
    first = (number - 1) * size + 1
    return {
        "first": first if rows_shown else None,
        "last": first + rows_shown - 1,
        "previous": _with_args(request, _page=number - 1 if number > 2 else None) if number > 1 else None,
        # A full page may have more after it; the page after a full last page says so.
        "next": _with_args(request, _page=number + 1) if rows_shown == size else None,
    }


@hookimpl
def extra_template_vars(template, request, datasette):
    if request is None or not template.startswith("query"):
        return None
    max_rows = datasette.setting("max_returned_rows")
    return {"registry_pager": lambda sql, rows_shown: pager(request, sql, rows_shown, max_rows)}
