"""Datasette metadata and serving.

``metadata.yml`` at the repository root holds what people write by hand: titles, sources,
facets and canned queries. Each capability may add a fragment in ``registry/metadata.d/``.
Table and column descriptions are not written twice: they come from the models' docstrings
and field descriptions. ``build_metadata`` merges all of that for the database being served.
"""

from __future__ import annotations

import copy
import hashlib
import inspect
import json
import logging
import os
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml

from registry import db as store
from registry.collector import FREEZE_HEAP_VARIABLE

ROOT = Path(__file__).resolve().parent.parent
METADATA_FILE = ROOT / "metadata.yml"
FRAGMENTS_DIR = Path(__file__).resolve().parent / "metadata.d"
CANONICAL_DATABASE = "registry"  # the database name metadata.yml is written for


def _merge(base: dict, extra: dict) -> dict:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


def _model_descriptions() -> dict[str, Any]:
    tables: dict[str, Any] = {}
    for table, spec in store.specs().items():
        entry: dict[str, Any] = {"description": inspect.cleandoc(spec.record.__doc__ or "").replace("\n", " ")}
        columns = {c.name: c.description for c in spec.columns if c.description}
        if columns:
            entry["columns"] = columns
        if spec.record.label_column:
            entry["label_column"] = spec.record.label_column
        tables[table] = entry
    return tables


def build_metadata(database_name: str = CANONICAL_DATABASE, *, metadata_file: Path = METADATA_FILE) -> dict[str, Any]:
    """The full Datasette metadata for a database served under ``database_name``."""
    metadata = yaml.safe_load(metadata_file.read_text(encoding="utf-8")) or {}
    for fragment in sorted(FRAGMENTS_DIR.glob("*.yml")) if FRAGMENTS_DIR.is_dir() else []:
        _merge(metadata, yaml.safe_load(fragment.read_text(encoding="utf-8")) or {})
    databases = metadata.setdefault("databases", {})
    written = databases.pop(CANONICAL_DATABASE, {})
    generated = {"tables": _model_descriptions()}
    databases[database_name] = _merge(generated, written)
    # A list or a form is for the office, not for SQL readers: each query shows its SQL only
    # when its metadata asks (Datasette's "show SQL" link stays on the page).
    for query in databases[database_name].get("queries", {}).values():
        query.setdefault("hide_sql", True)
    return metadata


SERVING_SETTINGS: dict[str, Any] = {
    "sql_time_limit_ms": 3000,
    "facet_time_limit_ms": 500,
    # Facets are chosen in the metadata; suggesting more costs a query per column on every
    # table page (0.5 s of a 0.55 s agreements page at 100,000 agreements). A bool: Datasette
    # built in process (the workers) keeps a setting as given, and the string "off" is true.
    "suggest_facets": False,
    # The registry's pages run queries of a few milliseconds, and handing each to a thread
    # and back costs more than it saves: with Datasette's 3 threads, 20 clients of a canned
    # query saw p99 340 ms, with the queries run on the server's own loop 110-150 ms, at
    # 20 % more requests per second, on 2 cores (benchmarks/serve_latency.py). A long custom
    # query then holds the others up to sql_time_limit_ms: 'registry serve --sql-threads 3'.
    "num_sql_threads": 0,
}


def write_metadata(metadata: dict[str, Any], directory: Path | None = None) -> Path:
    directory = directory or Path(tempfile.mkdtemp(prefix="registry-metadata-"))
    path = directory / "metadata.json"
    path.write_text(json.dumps(metadata, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def datasette_args(
    db_path: Path,
    *,
    host: str,
    port: int,
    metadata_path: Path,
    immutable: bool = False,
    settings: dict[str, Any] | None = None,
    template_dir: Path | None = None,
    plugins_dir: Path | None = None,
    static: dict[str, Path] | None = None,
) -> list[str]:
    """Arguments for ``datasette serve``: the registry file (``immutable`` for a read-only
    copy), its metadata, and optionally templates, plugins and static directories."""
    args = ["serve", *(["-i"] if immutable else []), str(db_path), "--metadata", str(metadata_path)]
    args += ["--host", host, "--port", str(port)]
    merged = {**SERVING_SETTINGS, **(settings or {})}
    for name, value in merged.items():
        args += ["--setting", name, str(value).lower() if isinstance(value, bool) else str(value)]
    if template_dir:
        args += ["--template-dir", str(template_dir)]
    if plugins_dir:
        args += ["--plugins-dir", str(plugins_dir)]
    for mount, directory in (static or {}).items():
        args += ["--static", f"{mount}:{directory}"]
    return args


def serve(
    db_path: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8001,
    public: bool = False,
    auth: bool = True,
    tiles: str | None = None,
    sql_threads: int | None = None,
    allow_sql: bool = False,
    login: dict | None = None,
    publishing: dict | None = None,
    workers: int = 1,
) -> None:
    """Serve the registry with Datasette until interrupted: the internal face (login
    required unless ``auth`` is off) or, with ``public``, the published copy (arbitrary SQL
    only with ``allow_sql``), from ``workers`` processes. ``sql_threads`` runs queries in that
    many threads instead of on the server's loop; ``login`` holds the internal face's session
    options and ``publishing`` the public copy it keeps in step (see ``faces.internal_face``)."""
    from datasette.cli import cli as datasette_cli

    from registry import faces

    db_path = Path(db_path)
    if not db_path.exists():
        hint = "run 'registry publish' first" if public else "run 'registry init' and 'registry load' first, or 'registry demo'"
        raise FileNotFoundError(f"no registry at {db_path}: {hint}")
    log_to_stderr()
    if workers > 1:
        if not public:  # refused here, in one line, rather than by each worker as it starts
            faces.internal_face(db_path, auth=auth, tiles=tiles, login=login)
        os.environ[FREEZE_HEAP_VARIABLE] = "1"  # for each worker: registry/plugins/registry_heap.py
        serve_workers(db_path, host=host, port=port, workers=workers, public=public, tiles=tiles, allow_sql=allow_sql,
                      sql_threads=sql_threads, auth=auth, login=login, publishing=publishing)
        return
    face = (faces.public_face(db_path, tiles=tiles, allow_sql=allow_sql) if public
            else faces.internal_face(db_path, auth=auth, tiles=tiles, login=login, publishing=publishing))
    # The metadata file lives as long as the server: every start had left its folder behind.
    with tempfile.TemporaryDirectory(prefix="registry-metadata-") as folder:
        args = datasette_args(
            db_path,
            host=host,
            port=port,
            metadata_path=write_metadata(face.metadata, Path(folder)),
            # a registry the system will not let anyone write (a read-only file system) is served as it is
            immutable=public or not store.writable(db_path),
            settings={**face.settings, **({"num_sql_threads": sql_threads} if sql_threads is not None else {})},
            template_dir=faces.TEMPLATES_DIR,
            plugins_dir=faces.PLUGINS_DIR,
            static={faces.STATIC_MOUNT: faces.STATIC_DIR},
        )
        os.environ[FREEZE_HEAP_VARIABLE] = "1"  # registry/plugins/registry_heap.py
        datasette_cli.main(args=args, prog_name="registry serve")


def log_to_stderr() -> None:
    """The registry's own notices of a server (a copy published, a new copy served) on standard error."""
    logger = logging.getLogger("registry")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s:     %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


# -- either face from several processes ------------------------------------------------------------------

WORKER_SETTINGS = "REGISTRY_WORKER_SETTINGS"  # how the supervisor tells each worker what to serve
WORKER_HEALTHCHECK_SECONDS = 30
SECRET_VARIABLE = "DATASETTE_SECRET"  # Datasette's own: an operator's secret, kept across restarts
_SALT = secrets.token_hex(16)


def worker_name() -> str:
    """This process's name: the same for its whole life, different in every worker (forked or
    spawned), and saying nothing about the host (the ``x-registry-worker`` header of a worker's answers)."""
    return hashlib.sha256(f"{_SALT}:{os.getpid()}".encode()).hexdigest()[:12]


def serve_workers(db_path: Path, *, host: str, port: int, workers: int, public: bool = True, tiles: str | None = None,
                  allow_sql: bool = False, sql_threads: int | None = None, auth: bool = True, login: dict | None = None,
                  publishing: dict | None = None) -> None:
    """Serve a face from ``workers`` processes behind one port: uvicorn's supervisor binds the
    socket once, starts each worker on it (the kernel hands each new connection to one of them)
    and starts a new worker if one dies. Each worker builds its own Datasette (``worker_app``).

    The public copy is immutable: its workers share nothing but the file, and each follows a new
    copy by itself (registry/plugins/registry_public_copy.py). The internal face's workers share,
    besides the registry (SQLite: WAL, each write one transaction that waits for the others):
    the signing secret of Datasette's cookies (CSRF tokens, messages), generated here for this
    server unless ``DATASETTE_SECRET`` gives one; the sessions, kept in the registry; the count of
    failed logins, in a file made here in a private temporary folder; and one republisher
    (``--publish-to``), run by this supervisor, never by a worker."""
    import uvicorn

    from registry.republish import QUIET_SECONDS, Republisher

    login = dict(login or {})
    scratch = None if public else Path(tempfile.mkdtemp(prefix="registry-serve-"))  # 0700: this account's only
    if scratch is not None:
        login["login_failures_file"] = str(scratch / "login-failures.sqlite")
    os.environ[WORKER_SETTINGS] = json.dumps({
        "db_path": str(Path(db_path).resolve()), "public": public, "tiles": tiles, "allow_sql": allow_sql,
        "sql_threads": sql_threads, "auth": auth, "login": login,
        # one secret for all, so a signed value (a cookie, a CSRF token) one worker made holds at the others
        "secret": os.environ.get(SECRET_VARIABLE) or secrets.token_hex(32),
    })
    # The registry's changes reach the public copy from the supervisor: it follows the file
    # (SQLite's data_version, once a second), whichever worker or command wrote it.
    republisher = Republisher(db_path, publishing["publish_to"],
                              quiet=float(publishing.get("publish_delay", QUIET_SECONDS))).start() if publishing else None
    try:
        # A worker that does not answer the supervisor's ping for this long is taken for hung and
        # replaced; a new one on a busy machine needs seconds just to import its modules (uvicorn's 5 s
        # had workers replaced before they ever started).
        uvicorn.run("registry.serve:worker_app", factory=True, host=host, port=port, workers=workers, lifespan="on",
                    log_level="info", timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS)
    finally:
        if republisher is not None:
            republisher.stop()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def worker_app():
    """The ASGI app of one worker process of ``serve_workers`` (a uvicorn factory)."""
    from registry import faces

    log_to_stderr()
    settings = json.loads(os.environ[WORKER_SETTINGS])
    if settings["public"]:
        face = faces.public_face(settings["db_path"], tiles=settings["tiles"], allow_sql=settings["allow_sql"])
    else:
        face = faces.internal_face(settings["db_path"], auth=settings["auth"], tiles=settings["tiles"],
                                   login=settings["login"])
    if settings["sql_threads"] is not None:
        face.settings["num_sql_threads"] = settings["sql_threads"]
    app = face.datasette(secret=settings["secret"]).app()
    # the public face's plugin names its workers itself (registry_public_copy.py), also in one process
    return _worker_answers(app, named=not settings["public"])


# Every this many answers a worker closes the connection it answered on (the client opens another).
REBALANCE_EVERY = 16


def _worker_answers(app, *, named: bool):
    """A worker's answers: each says which worker gave it (``x-registry-worker``, when ``named``),
    and every ``REBALANCE_EVERY``-th closes its connection. A client (a browser, a proxy's pool)
    keeps its connections open, and each stays with the worker that accepted it: 20 opened at
    once may all land on one worker while another idles (benchmarks/serve_latency.py saw all of
    them on one of two). A closed connection is opened again, and accepted by whichever worker
    is free to accept it first, so the busiest worker, which closes the most, sheds connections."""
    header = [(b"x-registry-worker", worker_name().encode())] if named else []
    close = (b"connection", b"close")
    answers = 0

    async def answer(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)

        async def send_marked(message):
            nonlocal answers
            if message["type"] == "http.response.start":
                answers += 1
                closing = [close] if answers % REBALANCE_EVERY == 0 else []
                message = {**message, "headers": [*message.get("headers", []), *header, *closing]}
            await send(message)

        return await app(scope, receive, send_marked)

    return answer
