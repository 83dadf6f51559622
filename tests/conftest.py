"""Shared fixtures: real registry files in a temporary folder, Datasette's own test client."""

from __future__ import annotations

import asyncio
import atexit
import collections
import compileall
import fcntl
import functools
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import hypothesis
import pytest

from registry import clock
from registry import db as store
from registry.reference import load_reference

# Tests never depend on the machine's speed: hypothesis fails an example that takes over 200 ms
# by default (its "deadline"), which a loaded two-core CI machine reaches; no test has one.
hypothesis.settings.register_profile("registry", deadline=None)
hypothesis.settings.load_profile("registry")

# Tests never read the calendar: the registry's today (registry.clock) is this date for the
# whole suite, servers and lane processes included. CI runs the suite once more with
# REGISTRY_TODAY a year on and a year back; a test that needs another day sets it itself.
TEST_TODAY = "2026-12-05"
os.environ.setdefault(clock.ENVIRONMENT_VARIABLE, TEST_TODAY)

ROOT = Path(__file__).resolve().parent.parent
TEST_DATA = Path(__file__).resolve().parent / "data"
# ../shared sits beside the checkout in CI; a git worktree may sit a level deeper.
SHARED = next((p / "shared" for p in ROOT.parents if (p / "shared" / "reference").is_dir()), ROOT.parent / "shared")

requires_shared = pytest.mark.skipif(
    not SHARED.is_dir(), reason="needs ../shared (reference dumps and EWP schemas), which is not on this machine"
)


# The suite's files run heaviest first: pytest-xdist (--dist loadfile) hands a worker a whole file
# at a time in collection order, so when the long files (a registry or servers to build) start
# first, the files left for the end are short ones and no core waits long for the other.
# pyproject.toml turns xdist's own ordering (most tests first) off. FILE_SECONDS holds each
# file's seconds (its tests' setup, call and teardown) from a run with --record-file-seconds;
# a file not in it runs after those that are.
FILE_SECONDS = Path(__file__).resolve().parent / "file_seconds.json"


def pytest_addoption(parser):
    parser.addoption("--record-file-seconds", action="store_true",
                     help=f"write each test file's seconds in this run to {FILE_SECONDS.name} (the order files run in)")


def pytest_configure(config):
    # With PYTHONDONTWRITEBYTECODE set (CI machines often set it) no process leaves its compiled
    # modules behind, so each of the suite's servers and commands (some sixty processes, the
    # workers too) compiled the registry's 400 modules from source again: 0.6 s of CPU each
    # (`registry --help`, 2.0 -> 1.4 s). Compiled once here, before the workers start, into the
    # usual (gitignored) __pycache__ folders, and read by every process; unchanged files are skipped.
    # Compiling costs 1.1 s CPU once; it pays for itself from the third process (measured 2026-12-08,
    # load 5.5: `registry --help` 2.0-2.4 s CPU from source, 1.6-1.8 s compiled).
    if sys.dont_write_bytecode and not hasattr(config, "workerinput"):
        for package in ("registry", "checks"):
            compileall.compile_dir(ROOT / package, quiet=1)


def _file_of(item_or_report) -> str:
    return item_or_report.nodeid.split("::", 1)[0]


def pytest_collection_modifyitems(config, items):
    seconds = json.loads(FILE_SECONDS.read_text()) if FILE_SECONDS.exists() else {}
    tests = collections.Counter(_file_of(item) for item in items)
    # one key for all of a file's tests: a stable sort keeps each file whole and in its own order
    items.sort(key=lambda item: (-seconds.get(_file_of(item), 0.0), -tests[_file_of(item)]))


_file_seconds: collections.Counter[str] = collections.Counter()


def pytest_runtest_logreport(report):
    _file_seconds[_file_of(report)] += report.duration


def pytest_sessionfinish(session):
    if session.config.getoption("record_file_seconds") and not hasattr(session.config, "workerinput"):
        seconds = json.loads(FILE_SECONDS.read_text()) if FILE_SECONDS.exists() else {}
        seconds.update({name: round(total, 1) for name, total in _file_seconds.items()})
        ordered = dict(sorted(seconds.items(), key=lambda pair: (-pair[1], pair[0])))
        FILE_SECONDS.write_text(json.dumps(ordered, indent=0) + "\n")


def copy_registry(source: Path, target: Path) -> Path:
    """A copy of the closed registry ``source`` (with any files its demo wrote beside it, such as
    the public copy) at ``target``: what a test changes in its copy never reaches another test."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for sibling in source.parent.iterdir():
        if sibling.is_file() and not sibling.name.endswith(("-wal", "-shm")):
            name = target.name if sibling == source else sibling.name
            shutil.copyfile(sibling, target.parent / name)
    return target


def checkpoint(path: Path) -> None:
    """Move everything in the write-ahead log into the file itself, so that the file alone is the
    registry (copies take the file)."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


@functools.cache
def _empty_registry() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="empty-registry-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "registry.db"
    db = store.connect(path)
    store.ensure_schema(db)
    db.conn.close()
    checkpoint(path)
    return path


def new_registry(path: Path) -> Path:
    """A new, empty registry with the full schema at ``path``: a copy of one made by the registry's
    own code once per test process (making the schema and its labels costs a third of a second,
    and the suite makes hundreds; a copy costs nothing)."""
    return copy_registry(_empty_registry(), Path(path))


def run_tool(name: str, *args: str) -> None:
    """Run ``tools/<name>`` with ``args`` in this process, as ``python tools/<name> ...`` runs it (its folder
    first on the path): a process of its own spent 1.4-1.9 s CPU importing what this one has imported.
    Only for a tool that leaves the modules it imports as it found them (derive_word_translations.py
    empties registry.matching's tables while it derives: it runs in a process of its own)."""
    import contextlib
    import io
    import runpy

    tools = str(ROOT / "tools")
    argv, path = sys.argv, list(sys.path)
    sys.argv, sys.path[:0] = [name, *args], [tools]
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            runpy.run_path(str(ROOT / "tools" / name), run_name="__main__")
    finally:
        sys.argv, sys.path[:] = argv, path


def ror_record(ror_id: str, name: str, city: str, country: str, acronym: str | None = None) -> dict:
    """An invented ROR record of an education institution, for a reference read by the matching tests."""
    return {"id": f"https://ror.org/{ror_id}", "name": name, "country_code": country, "city": city,
            "names": [{"value": name, "types": ["label", "ror_display"], "lang": "en"}]
            + ([{"value": acronym, "types": ["acronym"], "lang": None}] if acronym else []),
            "types": ["education"], "status": "active", "relationships": [], "links": []}


def numbered_record(prefix: str, *, digits: int = 4, country: str | None = None) -> Callable[..., dict]:
    """``ror_record`` by number, for a test module whose invented ids are ``prefix`` and a number of ``digits`` digits:
    ``record(number, name, city, country, acronym, aliases)``, the country ``country`` unless the call names one,
    ``aliases`` as ROR's alias names."""

    def record(number: int, name: str, city: str, country: str | None = country, acronym: str | None = None,
               aliases: tuple[str, ...] = ()) -> dict:
        assert country is not None, "a record needs its country"
        made = ror_record(f"{prefix}{number:0{digits}d}", name, city, country, acronym)
        made["names"] += [{"value": alias, "types": ["alias"], "lang": None} for alias in aliases]
        return made

    return record


def ordinary_institutions(prefix: str) -> list[dict]:
    """Fifteen invented records of five German towns, so that kind words are common in a test's reference and a town's
    name rare, as in a real one; ids ``<prefix>01NN``."""
    kinds = ("University", "Medical University", "Institute of Technology")
    towns = ("Orsk", "Belmar", "Kettle", "Ruhn", "Strom")
    return [ror_record(f"{prefix}01{k:02d}", f"{town} {kind}", town, "DE")
            for k, (town, kind) in enumerate((town, kind) for town in towns for kind in kinds)]


def registry_with_reference(folder: Path, records: list[dict]):
    """A new registry in ``folder`` with ``records`` loaded as its reference; the caller closes it."""
    reference = folder / "reference.jsonl"
    reference.write_text("\n".join(json.dumps(r) for r in records))
    db = store.connect(new_registry(folder / "registry.db"))
    load_reference(db, reference, actor="test", progress=False)
    return db


def invented_reference(records: Callable[[], list[dict]]):
    """Makes a function that returns a test module's invented reference records (``ror_record``) a module-scoped
    fixture of the same name: a new registry with those records as its reference, loaded once for the module's tests
    (a load costs a fraction of a second, a test that only reads it nothing) and closed after the last. Usage::

        @invented_reference
        def registry():
            return [*ordinary_institutions("0abc"), ror_record("0abc0001", "Quellvard University", "Orsk", "DE")]
    """

    @pytest.fixture(scope="module", name=records.__name__)
    def registry_of_records(tmp_path_factory):
        db = registry_with_reference(tmp_path_factory.mktemp(records.__name__), records())
        yield db
        db.conn.close()

    return registry_of_records


def built_once(tmp_path_factory, name: str, build: Callable[[Path], None]) -> Path:
    """The folder ``name`` that ``build`` filled once for the whole run: the first test process
    to ask builds it, under a lock, and the others (pytest-xdist's workers share the run's
    temporary folder) wait for it and take it as it is, instead of building it again each.
    Never write to it."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    folder, built = root / name, root / f"{name}.built"
    with (root / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not built.exists():
            shutil.rmtree(folder, ignore_errors=True)  # what a build that failed left
            folder.mkdir()
            build(folder)
            built.touch()
    return folder


@pytest.fixture(scope="session")
def demo_registry_file(tmp_path_factory) -> Path:
    """The example registry as ``registry demo`` builds it (``examples.build_demo``: seeds and
    every capability's demo step, public copy beside it), built once per run (``built_once``).
    Never write to it: take a copy with ``copy_registry``."""
    from registry import examples

    if not (examples.DATA_DIR / "examples").is_dir():
        pytest.skip("the example portfolio (data/examples) is not in this checkout")

    def build(folder: Path) -> None:
        examples.build_demo(folder / "registry.db").conn.close()
        checkpoint(folder / "registry.db")

    return built_once(tmp_path_factory, "demo-registry", build) / "registry.db"


@pytest.fixture(scope="session")
def synthetic_registry_file(tmp_path_factory) -> Path:
    """The benchmarks' synthetic registry (``benchmarks.synth``) at 300 partners and 1,500
    agreements, built once per run (``built_once``). Never write to it: take a copy with
    ``copy_registry``."""
    from benchmarks.synth import build_synthetic

    def build(folder: Path) -> None:
        build_synthetic(folder / "registry.db", institutions=300, agreements=1500).conn.close()
        checkpoint(folder / "registry.db")

    return built_once(tmp_path_factory, "synthetic-registry", build) / "registry.db"


@pytest.fixture
def demo_copy(demo_registry_file: Path, tmp_path: Path) -> Path:
    """This test's own copy of the example registry (and its public copy) in ``tmp_path``."""
    return copy_registry(demo_registry_file, tmp_path / "registry.db")


@pytest.fixture
def registry_path(tmp_path: Path) -> Path:
    """A fresh, empty registry file with the full schema."""
    return new_registry(tmp_path / "registry.db")


@pytest.fixture
def registry_db(registry_path: Path):
    db = store.connect(registry_path)
    yield db
    db.conn.close()


# The internal faces datasette_get asked for in this test file, one per registry file: a Datasette
# made for each request cost 0.25-0.45 s CPU (its plugins loaded again, its templates compiled
# again), a request to one already made 5-10 ms. Like a running server, the one face sees every
# change written to its file; a file replaced by another (a new inode: the face's open connection
# keeps the old one's number taken) gets a face of its own. Emptied after each test file.
_internal_faces: dict[tuple[str, int, int], object] = {}


@pytest.fixture(autouse=True, scope="module")
def _forget_internal_faces():
    yield
    _internal_faces.clear()


def internal_datasette(db_path: Path):
    """The internal face of ``db_path`` (no login) that ``datasette_get`` asks, made once per file and test file."""
    from registry import faces

    stat = os.stat(db_path)
    key = (str(Path(db_path).resolve()), stat.st_dev, stat.st_ino)
    if key not in _internal_faces:
        _internal_faces[key] = faces.internal_face(db_path, auth=False).datasette()
    return _internal_faces[key]


def client_get(datasette, path: str, **client_kwargs):
    """GET a path from an in-process Datasette."""
    async def fetch():
        return await datasette.client.get(path, **client_kwargs)

    return asyncio.run(fetch())


def datasette_get(db_path: Path, path: str, **client_kwargs):
    """GET a path from the internal face of db_path (metadata, templates and plugins, no login)."""
    return client_get(internal_datasette(db_path), path, **client_kwargs)


@functools.cache
def _tls_context():
    return httpx.create_ssl_context()


def http_get(url: str, **kwargs) -> httpx.Response:
    """``httpx.get`` for the tests' local servers. httpx makes a TLS context for every client,
    reading the CA bundle (about 45 ms CPU), even for plain http; the tests make one per request,
    some in polls every 50 ms, so they share one made once."""
    return httpx.get(url, verify=_tls_context(), **kwargs)


def http_client(**kwargs) -> httpx.Client:
    """``httpx.Client`` with the one TLS context (``http_get``)."""
    return httpx.Client(verify=_tls_context(), **kwargs)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_registry(args: list[str], log: Path, env: dict | None = None, *, ready: str = "/-/versions.json",
                   timeout: float = 300) -> tuple[subprocess.Popen, str]:
    """Start the installed ``registry`` command (``serve ...``) on a free port of 127.0.0.1 and
    wait until ``ready`` answers; (process, base URL). The caller stops the process.

    ``timeout`` only catches a server that hangs: a busy machine may take a minute to start one,
    and a test must not depend on the machine's speed (a server that exits fails at once)."""
    port = free_port()
    command = [str(Path(sys.executable).parent / "registry"), *args, "--port", str(port)]
    server = subprocess.Popen(command, env=env or dict(os.environ), stdout=log.open("wb"), stderr=subprocess.STDOUT,
                              cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while True:
        try:
            http_get(base + ready, timeout=2)
            return server, base
        except httpx.HTTPError as error:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise AssertionError(f"{' '.join(command)} did not start: {log.read_text()}") from error
            time.sleep(0.05)  # a refused connection costs next to nothing; a server ready waits less
