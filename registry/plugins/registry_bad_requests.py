"""Bad or out-of-range input in a query string is the visitor's mistake: a 400 that says what was
wrong, never a 500, on either face and whatever the page.

- A number past SQLite's 64-bit range: Datasette converts a filter's value to an integer for an
  integer column (``/registry/changes?id__gt=99999999999999999999``) and the driver raises
  OverflowError binding it.
- A sort by a column the table does not have, ``_sort`` with ``_sort_desc``, a ``_through`` that is
  not the JSON it needs: Datasette 0.65 raises these without a status, so they came out as 500.

(The paged canned queries check their own ``_page`` and ``_size``: registry_paging.py.)
"""

from datasette import hookimpl
from datasette.utils.asgi import Response
from datasette.views.base import DatasetteError

LARGEST = "9,223,372,036,854,775,807"
DATASETTE_REQUEST_ERRORS = ("Cannot sort table by", "Cannot use _sort and _sort_desc", "Invalid _through")


def _message(request, exception) -> str | None:
    if isinstance(exception, OverflowError):
        return f"A number in the request is out of range: SQLite takes whole numbers from -{LARGEST} to {LARGEST}."
    if isinstance(exception, DatasetteError) and exception.status == 500 and str(exception).startswith(DATASETTE_REQUEST_ERRORS):
        return str(exception)
    if "_through" in request.args and isinstance(exception, (KeyError, TypeError, ValueError)):
        return '_through must be JSON naming a table, a column and a value, e.g. {"table": "memberships", "column": "network", "value": "leru"}'
    return None


@hookimpl
def handle_exception(datasette, request, exception):
    message = _message(request, exception)
    if message is None:
        return None

    async def bad_request():
        context = {"ok": False, "error": message, "status": 400, "title": "Bad request"}
        if request.path.endswith(".json") or request.args.get("_json") or "application/json" in request.headers.get("accept", ""):
            return Response.json(context, status=400)
        return Response.html(await datasette.render_template("error.html", context, request=request), status=400)

    return bad_request
