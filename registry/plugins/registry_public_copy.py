"""The public face serves the newest public copy, without a restart.

``registry publish`` (or a following internal server, ``registry serve --publish-to``) writes a
new copy beside the old one and renames it into place, so the copy's file name points at a new
file (a new inode) in one step. At most every ``CHECK_SECONDS`` (plugin config ``follow_seconds``)
a request looks at the file's inode, size and modification time (one ``stat``); when they changed
and the new file opens as a
public copy, Datasette's database object is swapped for one on the new file, between two
requests of the server's loop: a request sees the old copy or the new one, never a mixture.
Requests already under way keep the old object, whose connections still read the old file
(renamed over, but open); they are closed after ``GRACE_SECONDS``, longer than any query may run.
A file that does not open as a public copy is logged and left unserved; the old copy stays.

``/-/public-copy.json`` says which copy this process serves (when it was published) and which
process answers; every answer names its process in ``X-Registry-Worker``, so the worker processes of
``registry serve --public --workers N`` can be told apart (by an operator, a load balancer's log, a test).
The name is an opaque token, not the process id: a public answer tells a visitor nothing about the host.
Active on the public face only (``registry`` plugin config ``face: public``).
"""

import asyncio
import logging
import sqlite3
import threading
import time
import urllib.parse
from pathlib import Path

from datasette import hookimpl
from datasette.database import Database
from datasette.utils.asgi import Response

from registry import i18n
from registry.serve import worker_name

log = logging.getLogger("registry.public_copy")

CHECK_SECONDS = 1.0
GRACE_SECONDS = 120.0


class PublicCopy(Database):
    """An immutable database whose worker-thread connections belong to this object, not to its
    name: Datasette keeps those per thread under the database's name, which a swapped-in copy
    shares with the copy it replaces."""

    def __init__(self, ds, path):
        super().__init__(ds, path=str(path), is_mutable=False)
        self._threads = threading.local()

    async def execute_fn(self, fn):
        if self.ds.executor is None:
            return await super().execute_fn(fn)

        def in_thread():
            conn = getattr(self._threads, "conn", None)
            if conn is None:
                conn = self._threads.conn = self.connect()
                self.ds._prepare_connection(conn, self.name)
            return fn(conn)

        return await asyncio.get_running_loop().run_in_executor(self.ds.executor, in_thread)


def _signature(path: Path):
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_ino, found.st_size, found.st_mtime_ns


def published_at(path: Path) -> str:
    """When the copy at ``path`` was published; ``sqlite3.Error`` when it is no public copy."""
    conn = sqlite3.connect(f"file:{urllib.parse.quote(str(path))}?immutable=1", uri=True)
    try:
        return conn.execute("SELECT published_at FROM publication WHERE id = 1").fetchone()[0]
    finally:
        conn.close()


class CopyFollower:
    """Swaps the served database for the newest file at its path."""

    def __init__(self, datasette, name: str, every: float = CHECK_SECONDS):
        self.datasette, self.name, self.every = datasette, name, every
        self.path = Path(datasette.databases[name].path)
        # Unknown: Datasette may have opened the file at startup, and a new copy may have been put
        # in its place since. The first request swaps in a database on the file there now.
        self.signature = None
        self.published_at = None
        self.checked = -float("inf")

    def refresh(self) -> bool:
        """Serve the file at the path if it is a new one; whether the database was swapped."""
        now = time.monotonic()
        if now - self.checked < self.every:
            return False
        self.checked = now
        signature = _signature(self.path)
        if signature is None or signature == self.signature:
            return False
        self.signature = signature
        try:
            when = published_at(self.path)
        except (sqlite3.Error, TypeError) as error:
            log.error("%s changed but is no public copy (%s); still serving the copy published at %s",
                      self.path, error, self.published_at)
            return False
        old = self.datasette.databases[self.name]
        self.datasette.remove_database(self.name)
        self.datasette.add_database(PublicCopy(self.datasette, self.path), name=self.name, route=old.route)
        self.published_at = when
        asyncio.get_running_loop().call_later(GRACE_SECONDS, old.close)
        log.info("now serving the public copy published at %s", when)
        return True


def _follower(datasette):
    """The follower of the public face's database, made at its first request."""
    if not hasattr(datasette, "_registry_copy_follower"):
        config = datasette.plugin_config("registry") or {}
        names = [name for name, db in datasette.databases.items() if not db.is_mutable and db.path]
        public = config.get("face") == "public" and len(names) == 1
        every = float(config.get("follow_seconds", CHECK_SECONDS))
        datasette._registry_copy_follower = CopyFollower(datasette, names[0], every) if public else None
    return datasette._registry_copy_follower


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def newest_copy_first(scope, receive, send):
            follower = _follower(datasette) if scope["type"] == "http" else None
            if follower is None:
                return await app(scope, receive, send)
            follower.refresh()

            async def send_with_worker(message):
                if message["type"] == "http.response.start":
                    worker = (b"x-registry-worker", worker_name().encode())
                    message = {**message, "headers": [*message.get("headers", []), worker]}
                await send(message)

            return await app(scope, receive, send_with_worker)

        return newest_copy_first

    return wrap


async def public_copy_view(datasette, request):
    follower = _follower(datasette)
    if follower is None:
        lang = i18n.choose(request.args.get("_lang"), request.cookies.get(i18n.COOKIE),
                           request.headers.get("accept-language"))
        return Response.json({"error": i18n.gettext(lang, "Only the public face serves a public copy.")}, status=404)
    return Response.json({"published_at": follower.published_at, "process": worker_name()})


@hookimpl
def register_routes():
    return [(r"^/-/public-copy\.json$", public_copy_view)]
