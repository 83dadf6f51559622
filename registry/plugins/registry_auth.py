"""Logins, sessions and roles of the internal face.

- ``/-/login``: a form (with Datasette's CSRF token) checked against the account's password
  hash, or a stand-in hash for a name that is no account, and every refusal padded to the same
  minimum time, so refusing a known name and an unknown one look alike. Failures are counted
  per account name and per client address (``registry.throttle``, across all the server's
  processes): after 5 in 15 minutes the answer is 429 with Retry-After, longer at each lockout.
- a session per login (``registry.accounts``): the cookie ``registry_session`` holds a random
  token (HttpOnly, SameSite=Lax, Secure behind https, for the session's hours); the server
  keeps its digest, so logout, a new password, a removed account or the end of the session's
  hours end it, whatever the browser keeps.
- ``/-/logout``: a button (POST with CSRF) that ends the session.
- roles (``registry.accounts.RIGHTS``) through Datasette's ``permission_allowed``, as the last
  word after the metadata's rules: every page needs a login; an edit form needs the right its
  query names (``registry_right``: edit, decide or accounts; a write query that names none
  needs ``accounts``, the admin's); a refusal says which roles may.
- the password and session tables are unreadable through Datasette's own connections (an
  SQLite authorizer), whatever SQL a logged-in account runs; this plugin reads them through
  connections of its own.

Active only on the internal face with a login (``registry`` plugin config ``auth: true``).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import sqlite3
import threading
import time
import urllib.parse

from datasette import hookimpl
from datasette.plugins import pm
from datasette.utils.asgi import Response

from registry import accounts, i18n, labels, passwords
from registry import db as store
from registry.db.connection import raise_store_error
from registry.models import RECORDS
from registry.throttle import LoginThrottle

COOKIE = "registry_session"
DEFAULT_SESSION_HOURS = 8.0
# Every refused login takes at least this long, so the time does not tell a known name from an
# unknown one even where the two hashes differ in cost (PBKDF2 of old, argon2id now).
REFUSAL_SECONDS = 0.5
# Tables no request may read through Datasette: hashes and session digests (the models say which).
SECRET_TABLES = frozenset(record.table for record in RECORDS if record.secret)
ADMIN_TABLES = frozenset({"accounts"})
RIGHT_KEY = "registry_right"
WHAT_A_RIGHT_DOES = {
    "read": "Reading the internal registry",
    "edit": "Changing agreements, partners, terms, contacts and documents",
    "decide": "Recording reviews, waivers and screening decisions",
    "accounts": "Managing accounts (and any edit that names no right)",
}
log = logging.getLogger("registry.auth")


def _config(datasette) -> dict:
    if not hasattr(datasette, "_registry_auth"):
        config = datasette.plugin_config("registry") or {}
        datasette._registry_auth = {
            "on": config.get("face") == "internal" and bool(config.get("auth")),
            "hours": float(config.get("session_hours") or DEFAULT_SESSION_HOURS),
            "https": bool(config.get("behind_https")),
            "proxies": [ipaddress.ip_network(p, strict=False) for p in config.get("trusted_proxies") or []],
        }
    return datasette._registry_auth


def _on(datasette) -> bool:
    return _config(datasette)["on"]


# --- the registry file, through connections of our own -------------------------------------


class _Store:
    """One connection per thread to the registry file, outside Datasette's (which cannot read
    the secret tables). Reads are quick key lookups; writes run in a worker thread."""

    def __init__(self, path: str):
        self.path, self._local = path, threading.local()

    def conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = store.connect(self.path, create=False).conn
        return conn

    async def run(self, function, *args):
        try:
            return await asyncio.to_thread(lambda: function(self.conn(), *args))
        except sqlite3.Error as error:
            # Still locked after the store's wait (another worker's or a command's long write),
            # or a fault of the file: one sentence (StoreError), answered 503, not a 500.
            raise_store_error(error, self.path)
            raise


async def _unwritable(datasette, request, fault: store.StoreError) -> Response:
    html = await datasette.render_template("error.html", {
        "title": i18n.gettext(i18n.current(), "The registry cannot be written"), "error": str(fault), "status": 503},
        request=request)
    return Response.html(html, status=503)


def _store(datasette) -> _Store | None:
    if not hasattr(datasette, "_registry_auth_store"):
        mutable = [db for name, db in datasette.databases.items() if not name.startswith("_") and db.is_mutable and db.path]
        datasette._registry_auth_store = _Store(mutable[0].path) if mutable else None
    return datasette._registry_auth_store


def _throttle(datasette) -> LoginThrottle:
    """The failed logins this server counts: in a file its workers share (``registry serve
    --workers N`` names it in the plugin config), else in this process's memory."""
    if not hasattr(datasette, "_registry_throttle"):
        shared = (datasette.plugin_config("registry") or {}).get("login_failures_file")
        datasette._registry_throttle = LoginThrottle(path=shared)
    return datasette._registry_throttle


# --- the client, the https question -----------------------------------------------------------


def _from_trusted_proxy(datasette, request) -> bool:
    client = (request.scope.get("client") or ("",))[0]
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return False
    return any(address in network for network in _config(datasette)["proxies"])


def client_address(datasette, request) -> str:
    """The client's address: the proxy's X-Forwarded-For (its last entry, the one the proxy
    added) when the request comes from a trusted proxy, otherwise the connection's."""
    if _from_trusted_proxy(datasette, request):
        forwarded = request.headers.get("x-forwarded-for", "").split(",")[-1].strip()
        if forwarded:
            return forwarded
    return (request.scope.get("client") or ("unknown",))[0]


def _secure(datasette, request) -> bool:
    if _config(datasette)["https"] or request.scope.get("scheme") == "https":
        return True
    return _from_trusted_proxy(datasette, request) and request.headers.get("x-forwarded-proto", "").lower() == "https"


def _set_session_cookie(datasette, request, response: Response, token: str, max_age: int) -> None:
    response.set_cookie(COOKIE, token, max_age=max_age, path="/", httponly=True, samesite="lax",
                        secure=_secure(datasette, request))


# --- who is asking ---------------------------------------------------------------------------


@hookimpl
def actor_from_request(datasette, request):
    if not _on(datasette):
        return None
    token = request.cookies.get(COOKIE)
    session_store = _store(datasette)
    if not token or session_store is None:
        return None
    login = accounts.session_login(session_store.conn(), token)
    return login.actor() if login else None


@hookimpl
def register_magic_parameters(datasette):
    """``:_account_id`` and ``:_account_reviewer_role`` in a canned query: the login's, from
    the server, NULL without one. Unlike ``:_actor_*`` they never fall back to a posted value."""

    def account(key: str, request):
        actor = request.actor or {}
        return actor.get(key) if key in ("id", "role", "reviewer_role") and actor.get("role") else None

    return [("account", account)]


# --- login and logout ----------------------------------------------------------------------


async def _login_page(datasette, request, *, error: str | None = None, status: int = 200, headers=None) -> Response:
    html = await datasette.render_template(
        "registry_login.html",
        {"error": error, "next": _next_path(request.args.get("next"))},
        request=request,
    )
    return Response.html(html, status=status, headers=headers or {})


def _next_path(target: str | None) -> str:
    """Where to go after logging in: a path on this site only."""
    target = target or "/"
    parsed = urllib.parse.urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _check(conn: sqlite3.Connection, name: str, password: str):
    found = accounts.find(conn, name)
    stored = found[0] if found else passwords.dummy_hash()
    good = passwords.verify_password(password, stored) and found is not None
    if not good:
        return None
    stored_hash, login = found
    if login.source == "registry" and passwords.needs_rehash(stored_hash):
        accounts.rehash(conn, login.name, stored_hash, password)
        login = accounts.find(conn, login.name)[1]
    return login


async def login_view(request, datasette):
    if not _on(datasette):
        return Response.text("This face has no login.", status=404)
    if request.actor and request.method == "GET":
        return Response.redirect(_next_path(request.args.get("next")))
    if request.method != "POST":
        return await _login_page(datasette, request)
    if "ds_csrftoken" not in request.cookies:  # Datasette checks the token whenever the cookie is there
        return await _login_page(datasette, request, error=i18n.gettext(i18n.current(), "Your session form expired: please log in again."), status=403)
    form = await request.post_vars()
    name = (form.get("username") or "").strip().lower()[:100]
    password = form.get("password") or ""
    keys = (("account", name), ("address", client_address(datasette, request)))
    throttle = _throttle(datasette)
    wait = throttle.retry_after(*keys)
    if wait:
        minutes = max(1, round(wait / 60))
        error = (i18n.gettext(i18n.current(), "Too many failed logins: try again in a minute.") if minutes == 1 else
                 i18n.gettext(i18n.current(), "Too many failed logins: try again in {minutes} minutes.", minutes=minutes))
        return await _login_page(datasette, request, status=429, headers={"Retry-After": str(wait)}, error=error)
    started = time.monotonic()
    session_store = _store(datasette)
    try:
        login = await session_store.run(_check, name, password)
    except store.StoreError as fault:
        return await _unwritable(datasette, request, fault)
    if login is None:
        throttle.failed(*keys)
        log.warning("failed login for %r from %s", name, keys[1][1])
        await asyncio.sleep(max(0.0, REFUSAL_SECONDS - (time.monotonic() - started)))
        return await _login_page(datasette, request, error=i18n.gettext(i18n.current(), "Wrong name or password."), status=401)
    throttle.succeeded(keys[0])
    hours = _config(datasette)["hours"]
    try:
        token = await session_store.run(
            lambda conn: accounts.open_session(conn, login, hours=hours, client=keys[1][1]))
    except store.StoreError as fault:
        return await _unwritable(datasette, request, fault)
    response = Response.redirect(_next_path(form.get("next")))
    _set_session_cookie(datasette, request, response, token, int(hours * 3600))
    return response


async def logout_view(request, datasette):
    if not _on(datasette):
        return Response.text("This face has no login.", status=404)
    if request.method == "POST":
        token = request.cookies.get(COOKIE)
        if token:
            try:
                await _store(datasette).run(accounts.close_session, token)
            except store.StoreError as fault:
                return await _unwritable(datasette, request, fault)
        response = Response.redirect(datasette.urls.path("/-/login"))
        _set_session_cookie(datasette, request, response, "", 0)
        datasette.add_message(request, "You are logged out.", datasette.INFO)
        return response
    if not request.actor:
        return Response.redirect(datasette.urls.path("/-/login"))
    html = await datasette.render_template("logout.html", {"actor": request.actor}, request=request)
    return Response.html(html)


@hookimpl
def register_routes(datasette):
    return [(r"^/-/login$", login_view), (r"^/-/logout$", logout_view)]


@hookimpl
def menu_links(datasette, actor):
    if not _on(datasette) or not actor:
        return []
    return [{"href": datasette.urls.path("/-/logout"), "label": i18n.gettext(i18n.current(), "Log out ({account}, {role})", account=actor["id"],
                                                                       role=labels.label("account_role", actor.get("role"), i18n.current()))}]


@hookimpl
def startup(datasette):
    """One login here: datasette-auth-passwords (if still installed) and Datasette's signed
    ``ds_actor`` cookie would each be a second way in, with no expiry or logout that holds."""
    if not _on(datasette):
        return
    for name in ("auth_passwords", "datasette.actor_auth_cookie"):
        plugin = pm.get_plugin(name)
        if plugin is not None:
            pm.unregister(plugin)
    passwords.dummy_hash()  # made now, so that the first unknown name costs no more than a later one


# --- what each role may do --------------------------------------------------------------------


def right_of_query(query: dict | None) -> str:
    if not query or not query.get("write"):
        return "read"
    return query.get(RIGHT_KEY) or "accounts"


async def _needed(datasette, action: str, resource) -> str | None:
    """The right an action needs, or None when no account may (the secret tables)."""
    if action == "view-table" and isinstance(resource, (tuple, list)):
        table = resource[1]
        if table in SECRET_TABLES:
            return None
        return "accounts" if table in ADMIN_TABLES else "read"
    if action == "view-query" and isinstance(resource, (tuple, list)):
        rights = datasette.__dict__.setdefault("_registry_query_rights", {})
        if tuple(resource) not in rights:
            query = await datasette.get_canned_query(resource[0], resource[1], None)
            if query is None:
                return "read"  # no such query: Datasette answers 404
            rights[tuple(resource)] = right_of_query(query)
        return rights[tuple(resource)]
    if action in ("view-database-download", "permissions-debug", "debug-menu"):
        return "accounts"  # the download holds the password hashes
    if action == "view-database" and resource == "_internal":
        return "accounts"
    return "read"


@hookimpl(trylast=True)
def permission_allowed(datasette, actor, action, resource):
    if not _on(datasette):
        return None

    async def decide():
        if not actor or not actor.get("role"):
            return False
        needed = await _needed(datasette, action, resource)
        return needed is not None and needed in accounts.RIGHTS.get(actor["role"], ())

    return decide()


def refusal(right: str | None, actor: dict) -> str:
    """The sentence a refused account reads."""
    if right is None:
        return "No account may read this table through the web: it holds password hashes or sessions."
    roles = accounts.roles_with(right)
    who = " or ".join(f"the {role} role" for role in roles[:-1]) + (" or " if len(roles) > 1 else "") + f"the {roles[-1]} role"
    return f"{WHAT_A_RIGHT_DOES[right]} needs {who}; you are logged in as {actor['id']} ({actor.get('role')})."


async def _refused_right(datasette, request) -> str | None | bool:
    """The right the refused page needed, from its path: a canned query or a table."""
    parts = [urllib.parse.unquote(p) for p in request.path.strip("/").split("/")]
    if len(parts) == 2 and parts[0] in datasette.databases:
        database, name = parts[0], parts[1].split(".")[0]
        query = await datasette.get_canned_query(database, name, None)
        if query is not None:
            return right_of_query(query)
        return await _needed(datasette, "view-table", (database, name))
    if request.path.endswith(".db"):
        return "accounts"
    return False


@hookimpl
def forbidden(datasette, request, message):
    if not _on(datasette) or not request.actor or not request.actor.get("role"):
        return None

    async def answer():
        right = await _refused_right(datasette, request)
        sentence = refusal(right, request.actor) if right is not False else f"{message} (you are {request.actor['id']}, {request.actor.get('role')})."
        if request.headers.get("accept") == "application/json" or request.path.endswith(".json"):
            return Response.json({"ok": False, "error": sentence, "status": 403}, status=403)
        html = await datasette.render_template("error.html", {"title": i18n.gettext(i18n.current(), "Not allowed"), "error": sentence, "status": 403},
                                               request=request)
        return Response.html(html, status=403)

    return answer()


# --- secret tables stay secret on Datasette's connections ----------------------------------


def _authorizer(action, first, second, database, trigger_or_view):
    # Whether asked for directly, through a view or by a trigger: never. Counting rows reads
    # no column (SQLite names none), and Datasette counts every table.
    if action == sqlite3.SQLITE_READ and not second:
        return sqlite3.SQLITE_OK
    if action in (sqlite3.SQLITE_READ, sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE,
                  sqlite3.SQLITE_DELETE) and first in SECRET_TABLES:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


@hookimpl
def prepare_connection(conn, database, datasette):
    if _on(datasette):
        conn.set_authorizer(_authorizer)
