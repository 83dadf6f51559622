"""Arbitrary SQL (``?sql=``): off on the public face unless served with ``--allow-sql``, and
where it is on, run on worker threads of its own so the server's loop keeps answering.

Off: Datasette's ``execute-sql`` permission is refused on the public face, so the SQL editor
and the "edit SQL" links are gone and ``?sql=`` answers 403, while table pages, facets,
search and the canned queries stay. The one exception is the programme dashboard, whose
charts fetch their data as ``?sql=`` requests from the browser: the texts of its own chart
queries (each with or without its optional filter clauses, as datasette-dashboards writes
them) are allowed, no other SQL.

On the worker threads: the registry's pages run queries of a few milliseconds on the loop
(``num_sql_threads`` 0, see registry/serve.py). A custom query may run to the time limit, and
on the loop ten of them would hold every other visitor up for ten seconds. So each request that
carries ``sql=`` runs that SQL on ``SQL_AT_ONCE`` worker thread(s) with their own connections,
under the same ``sql_time_limit_ms``; more such requests wait their turn on the loop (an
asyncio semaphore), not in the thread pool's queue: queued there, ten 1-second queries still
held the home page up for 2-5 s now and then; with the turns taken on the loop it answered in
a few hundred milliseconds throughout.
"""

from __future__ import annotations

import asyncio
import contextvars
import itertools
import sqlite3
import threading
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

from datasette import hookimpl

from registry.documents import max_bytes

# Visitors' queries at once, each on a worker thread. SQLite releases the GIL while a query runs,
# but on two cores a second worker in a long query took the CPU the pages need: with ten clients
# in 1-second queries the home page's p99 was 697 ms with two, 316 ms with one
# (benchmarks/public_under_load.py).
SQL_AT_ONCE = 1
# (path, sql) of the request being answered; permission checks and query execution read it.
_REQUEST: contextvars.ContextVar[tuple[str, str | None]] = contextvars.ContextVar("registry_request", default=("", None))


def _config(datasette) -> dict:
    if not hasattr(datasette, "_registry_sql_config"):
        datasette._registry_sql_config = datasette.plugin_config("registry") or {}
    return datasette._registry_sql_config


def _normal(sql: str) -> str:
    return " ".join(sql.split())


def dashboard_queries(datasette) -> set[str]:
    """Every SQL text the dashboards' charts can send: each chart's query with any combination
    of its optional ``[[ ... ]]`` clauses kept or dropped."""
    if not hasattr(datasette, "_registry_dashboard_sql"):
        texts: set[str] = set()
        try:
            from datasette_dashboards import replace_opts_in_query, sql_opt_pattern, sql_var_pattern
        except ImportError:  # pragma: no cover - the dashboards plugin is a pinned dependency
            replace_opts_in_query = None
        for dashboard in (datasette.plugin_config("datasette-dashboards") or {}).values() if replace_opts_in_query else ():
            for chart in dashboard.get("charts", {}).values():
                query = chart.get("query")
                if not query:
                    continue
                variables = sorted({m.group("var") for opt in sql_opt_pattern.findall(query) for m in sql_var_pattern.finditer(opt)})
                for size in range(len(variables) + 1):
                    for chosen in itertools.combinations(variables, size):
                        texts.add(_normal(replace_opts_in_query(query, {v: "x" for v in chosen})))
        datasette._registry_dashboard_sql = texts
    return datasette._registry_dashboard_sql


@hookimpl
def permission_allowed(datasette, actor, action, resource):
    config = _config(datasette)
    if action != "execute-sql" or config.get("face") != "public" or config.get("allow_sql"):
        return None
    path, sql = _REQUEST.get()
    if path.startswith("/-/dashboards"):
        return True  # the dashboard page asks before drawing; its charts' data requests are checked below
    return sql is not None and _normal(sql) in dashboard_queries(datasette)


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def remember_request(scope, receive, send):
            if scope["type"] != "http":
                return await app(scope, receive, send)
            query = urllib.parse.parse_qs(scope.get("query_string", b"").decode("latin-1"))
            token = _REQUEST.set((scope.get("path", ""), (query.get("sql") or [None])[0]))
            try:
                return await app(scope, receive, send)
            finally:
                _REQUEST.reset(token)

        return remember_request

    return wrap


class _TimedConnection:
    """A worker's connection as Datasette sees it, with the time limit kept by a timer.

    Datasette enforces ``sql_time_limit_ms`` with a progress handler that runs Python every
    1,000 SQLite instructions (about 0.08 ms). Each call takes the GIL back from the thread that
    answers pages: with two workers in long queries the public home page stalled for seconds
    (even with the handler called a hundred times less often). Here a timer interrupts the
    query at the limit instead (``sqlite3_interrupt`` may be called from any thread), and the
    handler, kept for a smaller ``_timelimit`` a request asks for, runs ``COARSER`` times less often.
    """

    COARSER = 1000  # about every 80 ms

    def __init__(self, conn, limit_seconds: float):
        self._conn, self._limit, self._timer = conn, limit_seconds, None

    def __getattr__(self, name):
        return getattr(self._conn, name)

    def set_progress_handler(self, handler, n):
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if handler is not None:
            self._timer = threading.Timer(self._limit, self._conn.interrupt)
            self._timer.daemon = True
            self._timer.start()
            n *= self.COARSER
        return self._conn.set_progress_handler(handler, n)


def longest_value() -> int:
    """The longest text or blob a visitor's SQL may make: twice the largest document (its hex takes twice the
    bytes) and never under 16 MiB. The time limit alone does not stop ``select randomblob(1000000000)``: one
    function call runs to its end, and the server took a gigabyte; SQLite refuses the value at once instead."""
    return max(2 * max_bytes(), 16 * 1024 * 1024)


def _turns(datasette) -> asyncio.Semaphore:
    if not hasattr(datasette, "_registry_sql_turns"):
        datasette._registry_sql_turns = asyncio.Semaphore(SQL_AT_ONCE)
    return datasette._registry_sql_turns


_ON_WORKERS: contextvars.ContextVar[bool] = contextvars.ContextVar("registry_on_workers", default=False)


def _on_workers(datasette, db, pool: ThreadPoolExecutor) -> None:
    """Run the visitor's own SQL on ``db`` (and Datasette's ``explain`` of it) on the worker
    threads, each with its own connection. Everything else the request asks, such as the schema
    check Datasette makes on every request while holding a lock, stays on the loop: queued
    behind other visitors' slow queries it would hold up every page."""
    on_loop_execute, on_loop = db.execute, db.execute_fn
    connections = threading.local()
    limit = datasette.setting("sql_time_limit_ms") / 1000

    def with_connection(fn):
        conn = getattr(connections, "conn", None)
        if conn is None:
            conn = db.connect()
            datasette._prepare_connection(conn, db.name)
            conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, longest_value())
            conn = connections.conn = _TimedConnection(conn, limit)
        return fn(conn)

    async def execute(sql, *args, **kwargs):
        visitors = (_REQUEST.get()[1] or "").strip()
        if not visitors or visitors not in sql:
            return await on_loop_execute(sql, *args, **kwargs)
        token = _ON_WORKERS.set(True)
        try:
            return await on_loop_execute(sql, *args, **kwargs)
        finally:
            _ON_WORKERS.reset(token)

    async def execute_fn(fn):
        if not _ON_WORKERS.get():
            return await on_loop(fn)
        async with _turns(datasette):
            return await asyncio.get_running_loop().run_in_executor(pool, with_connection, fn)

    db.execute, db.execute_fn = execute, execute_fn


@hookimpl
def startup(datasette):
    pool = ThreadPoolExecutor(max_workers=SQL_AT_ONCE, thread_name_prefix="registry-sql")
    for name, db in datasette.databases.items():
        if not name.startswith("_"):
            _on_workers(datasette, db, pool)


@hookimpl
def forbidden(datasette, request, message):
    """Say why, rather than Datasette's bare 'execute-sql'."""
    config = _config(datasette)
    if message != "execute-sql" or config.get("face") != "public" or config.get("allow_sql"):
        return None

    async def refusal():
        from datasette.utils.asgi import Response

        error = ("Custom SQL is turned off on this public catalogue: use the tables, the search and the listed queries "
                 "(whoever runs it can turn it on with 'registry serve --public --allow-sql').")
        context = {"ok": False, "error": error, "status": 403, "title": "Custom SQL is off"}
        if ".json" in request.path or "application/json" in request.headers.get("accept", ""):
            return Response.json(context, status=403)
        return Response.html(await datasette.render_template("error.html", context, request=request), status=403)

    return refusal
