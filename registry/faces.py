"""The two faces Datasette shows: the internal registry behind a login, and the public copy.

A face is the Datasette metadata and settings for one file. Both faces share the pages
(``registry/templates``), our plugins (``registry/plugins``) and static files
(``registry/static``); what differs is who may look and what the file holds.

Internal: everything, for logged-in accounts only, each as far as its role allows. Accounts
are kept in the registry (``registry user add``) or come from the environment, one variable per
account, ``REGISTRY_PASSWORD_HASH_<NAME>`` holding a hash made by ``registry hash-password``
(``registry.accounts``); logins, sessions and roles are ``registry/plugins/registry_auth.py``'s.
Anonymous visitors are sent to the login page and get nothing, neither tables nor raw SQL.

Public: the minimised ``public.db`` (``registry publish``), served immutable with short
time limits; canned queries that need tables it does not have are left out.
"""

from __future__ import annotations

import copy
import errno
import os
import secrets
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from registry import accounts, clock
from registry import db as store
from registry.serve import ROOT, SERVING_SETTINGS, build_metadata

PACKAGE = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE / "templates"
PLUGINS_DIR = PACKAGE / "plugins"
STATIC_DIR = PACKAGE / "static"
STATIC_MOUNT = "assets"
PUBLIC_METADATA_FILE = ROOT / "public-metadata.yml"

ACCOUNT_PREFIX = accounts.HASH_PREFIX
TILES_VARIABLE = "REGISTRY_TILE_URL"
OSM_TILES = "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")

# Datasette's own plugins that a face configures; any other plugin section in the
# metadata (from a fragment) is left out of the public face.
PUBLIC_PLUGINS = ("datasette-cluster-map", "datasette-dashboards", "registry")


class NoAccounts(Exception):
    """The internal face was asked for with no account to log in with (or a misconfigured one)."""

    def __init__(self, reason: str | None = None):
        super().__init__(reason or (
            "no login configured for the internal registry: add an account with 'registry user add NAME --role admin', "
            f"or export a hash made by 'registry hash-password' as {ACCOUNT_PREFIX}<NAME> "
            f"(e.g. {ACCOUNT_PREFIX}OFFICE), or serve the public copy with --public"
        ))


@dataclass
class Face:
    """Everything Datasette needs to show one file as one face."""

    db_path: Path
    metadata: dict[str, Any]
    public: bool
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def database_name(self) -> str:
        return self.db_path.stem

    def datasette(self, secret: str | None = None):
        """An in-process Datasette for this face (tests, benchmarks and the worker processes of
        ``registry serve --workers N``, which share one ``secret``). A registry the system will
        not let anyone write (a read-only file system) is served as it is, immutable."""
        from datasette.app import Datasette

        immutable = self.public or not store.writable(self.db_path)
        files = {"immutables": [str(self.db_path)]} if immutable else {"files": [str(self.db_path)]}
        return Datasette(
            secret=secret,
            metadata=self.metadata,
            template_dir=str(TEMPLATES_DIR),
            plugins_dir=str(PLUGINS_DIR),
            static_mounts=[(STATIC_MOUNT, str(STATIC_DIR))],
            settings={**SERVING_SETTINGS, **self.settings},
            **files,
        )


def hash_password(password: str) -> str:
    from registry import passwords

    return passwords.hash_password(password)


@dataclass
class OneTimeLogin:
    user: str
    password: str


def one_time_login(user: str = "demo") -> OneTimeLogin | None:
    """For the demo: unless an account is configured, make one for this process only."""
    if accounts.environment_accounts():
        return None
    password = secrets.token_urlsafe(12)
    os.environ[ACCOUNT_PREFIX + user.upper()] = hash_password(password)
    return OneTimeLogin(user, password)


def _plugins(*, public: bool, tiles: str | None, auth: bool = False, allow_sql: bool = True,
             login: dict | None = None) -> dict[str, Any]:
    tile_url = tiles or os.environ.get(TILES_VARIABLE) or OSM_TILES
    options: dict[str, int | str] = {"maxZoom": 19}
    if tile_url == OSM_TILES:
        options["attribution"] = OSM_ATTRIBUTION
    return {
        "datasette-cluster-map": {"tile_layer": tile_url, "tile_layer_options": options},
        # read by our own plugins (registry/plugins): which face, whether there is a login, whether ?sql= runs
        # (login: session_hours, behind_https, trusted_proxies, for registry_auth.py)
        "registry": {"face": "public" if public else "internal", "auth": auth, "allow_sql": allow_sql, **(login or {})},
    }


def _dashboards_for(metadata: dict[str, Any], database_name: str) -> None:
    """Dashboards are written for the database called 'registry'; point them at this one."""
    dashboards = metadata.get("plugins", {}).get("datasette-dashboards", {})
    for dashboard in dashboards.values():
        for chart in dashboard.get("charts", {}).values():
            if "db" in chart:
                chart["db"] = database_name
        for dashboard_filter in dashboard.get("filters", {}).values():
            if "db" in dashboard_filter:
                dashboard_filter["db"] = database_name


def internal_face(db_path: str | Path, *, auth: bool = True, tiles: str | None = None, login: dict | None = None,
                  publishing: dict | None = None) -> Face:
    """The whole registry, for logged-in accounts only (``auth=False`` for loopback development);
    ``login`` holds the session options (``session_hours``, ``behind_https``, ``trusted_proxies``);
    ``publishing`` the public copy it keeps in step (``publish_to``, ``publish_delay``:
    registry/plugins/registry_republish.py)."""
    db_path = Path(db_path)
    metadata = build_metadata(db_path.stem)
    plugins = metadata.setdefault("plugins", {})
    plugins.update(_plugins(public=False, tiles=tiles, auth=auth, login={**(login or {}), **(publishing or {})}))
    if auth:
        _require_an_account(db_path)
        # Any logged-in actor; anonymous requests match neither. allow_sql as well, because
        # a table-level or instance-level allow does not by itself stop ?sql= queries.
        metadata["allow"] = {"id": "*"}
        metadata["allow_sql"] = {"id": "*"}
    _dashboards_for(metadata, db_path.stem)
    return Face(db_path, metadata, public=False, settings={"sql_time_limit_ms": 3000, "facet_time_limit_ms": 500})


def _require_an_account(db_path: Path) -> None:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        found = accounts.any_account(conn)
    except ValueError as error:  # a role in the environment that does not exist
        raise NoAccounts(str(error)) from None
    finally:
        conn.close()
    if not found:
        raise NoAccounts()


def _runs_on(conn: sqlite3.Connection, sql: str) -> bool:
    """Whether a (canned) query can be prepared against this file, with every parameter unset."""
    try:
        conn.execute("EXPLAIN " + sql, _NullParameters())
        return True
    except sqlite3.Error:
        return False


class _NullParameters(dict):
    def __missing__(self, key: str) -> None:
        return None


def public_face(db_path: str | Path, *, tiles: str | None = None, allow_sql: bool = False) -> Face:
    """The public copy, immutable: no login, no writes, short time limits; arbitrary SQL only
    with ``allow_sql`` (registry/plugins/registry_custom_sql.py)."""
    db_path = Path(db_path)
    name = db_path.stem
    metadata = build_metadata(name)
    public = yaml.safe_load(PUBLIC_METADATA_FILE.read_text(encoding="utf-8")) or {}
    for key in ("allow", "allow_sql"):
        metadata.pop(key, None)
    metadata["plugins"] = {k: v for k, v in metadata.get("plugins", {}).items() if k in PUBLIC_PLUGINS}
    metadata["plugins"].update(_plugins(public=True, tiles=tiles, allow_sql=allow_sql))
    database = metadata["databases"][name]
    if not db_path.is_file():  # SQLite would make an empty file there and serve it
        raise FileNotFoundError(errno.ENOENT, "no public copy here: write it with 'registry publish'", str(db_path))
    conn = sqlite3.connect(f"file:{db_path}?mode=ro&immutable=1", uri=True)
    clock.register_sql(conn)
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
        database["tables"] = {t: spec for t, spec in database.get("tables", {}).items() if t in tables}
        # Visitors get the lists about partners and agreements; the office's upkeep lists
        # (``internal_only: true`` in the metadata: duplicates, merges) stay inside.
        database["queries"] = {
            query_name: query
            for query_name, query in database.get("queries", {}).items()
            if not query.get("write") and not query.get("internal_only") and _runs_on(conn, query["sql"])
        }
    finally:
        conn.close()
    written = copy.deepcopy(public.get("databases", {}).pop("public", {}))
    for key, value in public.items():
        if key != "databases":
            metadata[key] = value
    for key, value in written.items():
        if isinstance(value, dict) and isinstance(database.get(key), dict):
            database[key].update(value)
        else:
            database[key] = value
    _dashboards_for(metadata, name)
    settings = {"sql_time_limit_ms": 1000, "facet_time_limit_ms": 300, "max_returned_rows": 1000}
    return Face(db_path, metadata, public=True, settings=settings)


def require_loopback(host: str) -> None:
    if host not in LOOPBACK_HOSTS:
        raise ValueError(f"--no-auth serves the whole registry to anyone who can reach {host}; it is allowed on 127.0.0.1 only")
