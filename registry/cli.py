"""The ``registry`` command: argument parsing and output around the library's functions.

Exit status: 0 on success, 1 on problems found (bad input, failed verification), 2 on bad
usage (click's own convention).
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sqlite3
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import click
from click.core import ParameterSource

from registry import api, examples
from registry import db as store
from registry import serve as serve_module
from registry.db import open_registry
from registry.extensions import capability_modules
from registry.problems import Problem, ProblemsFound, UsageProblem

__all__ = ["CAPABILITY_COMMANDS", "cli", "db_option", "fail_with_problems", "json_option", "open_registry", "print_listed", "print_plan",
           "publish_after", "publish_to_option"]


def db_option(function):
    return click.option(
        "--db",
        "db_path",
        envvar="REGISTRY_DB",
        default=store.DEFAULT_DB,
        show_default=True,
        type=click.Path(dir_okay=False),
        help="Registry file (or set REGISTRY_DB).",
    )(function)


def json_option(function):
    return click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")(function)


def publish_to_option(function):
    """``--publish-to`` of a command that writes the registry (REGISTRY_PUBLISH_TO, as for 'registry serve')."""
    return click.option(
        "--publish-to", type=click.Path(dir_okay=False), envvar="REGISTRY_PUBLISH_TO", default=None, metavar="FILE",
        help="Then bring this public copy up to date (or set REGISTRY_PUBLISH_TO; a server started with "
             "--publish-to does it by itself).")(function)


def publish_after(db_path: str, publish_to: str | None) -> None:
    """Bring the public copy ``publish_to`` up to date after a command wrote the registry (nothing
    when it already is, e.g. because a following server was quicker); told on standard error."""
    if publish_to:
        publication = api.publish(db_path, out=publish_to, if_changed=True)
        click.echo(f"published {publish_to}" if publication else f"{publish_to} is up to date", err=True)


def fail_with_problems(problems: list[Problem], *, as_json: bool = False, heading: str = "") -> None:
    if as_json:
        click.echo(json.dumps([p.as_dict() for p in problems], indent=2, ensure_ascii=False, default=str))
    else:
        if heading:
            click.echo(heading, err=True)
        for problem in problems:
            click.echo(f"  {problem}", err=True)
    sys.exit(1)


def print_listed(found: list[Any], *, as_json: bool, empty: str, lines: Callable[[Any], Iterable[str]]) -> None:
    """A command's list: as JSON with ``--json``; else ``empty`` when there is nothing, or each item's ``lines``."""
    if as_json:
        click.echo(json.dumps(found, indent=2, ensure_ascii=False, default=str))
        return
    if not found:
        click.echo(empty)
    for item in found:
        for line in lines(item):
            click.echo(line)


def print_plan(plan: store.Plan, *, verbose: bool) -> None:
    counts = plan.counts()
    if not counts:
        click.echo("nothing to write")
    for table, ops in counts.items():
        click.echo(f"{table}: " + ", ".join(f"{count} {op}" for op, count in ops.items()))
    if verbose:
        for change in plan.changes:
            key = "/".join(map(str, change.key))
            if change.operation == "update":
                fields = "; ".join(f"{name}: {old!r} -> {new!r}" for name, old, new in change.changed_fields())
                click.echo(f"  ~ {change.table}/{key}: {fields}")
            else:
                click.echo(f"  {'+' if change.operation == 'insert' else '-'} {change.table}/{key}")


class _Echo(logging.Handler):
    """The store's notices (waiting for a lock) on standard error, wherever click points it."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(self.format(record), err=True)


# The commands each capability (registry/cli_<area>.py, see registry.extensions) adds, so that a command imports
# its own capability only: a server's start or a 'registry load' does not import EWP, the reports and the checks
# (a second of CPU per process). A shortcut only: a command not named here is found by importing every
# capability (tests/test_cli.py holds the table to what the modules register).
CAPABILITY_COMMANDS = {
    "registry.cli_checks": ("check", "checks", "indicators", "review", "waive"),
    "registry.cli_documents": ("document",),
    "registry.cli_ewp": ("ewp",),
    "registry.cli_import": ("export", "import"),
    "registry.cli_match": ("dedupe", "distinct", "merge", "reference", "resolve", "unmerge"),
    "registry.cli_placements": ("opportunities", "placements"),
    "registry.cli_publish": ("hash-password", "publish"),
    "registry.cli_reports": ("calendar", "calendar-token", "expire", "remind", "report"),
    "registry.cli_screening": ("screen", "screening"),
    "registry.cli_users": ("user",),
}


class RegistryGroup(click.Group):
    """Reports the library's ``UsageProblem`` (a missing registry, an unknown check code ...) as
    bad usage, exit 2, wherever a command raises it; and every fault of the registry file (not
    SQLite, damaged, read-only, locked, an older or newer schema) or of the system (a full disk, a
    file the user may not write) in one line, exit 1, never a traceback."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._registered: set[str] = set()

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._register(capability_modules())
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command ``cmd_name``, its capability imported (and registered) when it is first asked for."""
        if cmd_name not in self.commands:
            module = next((name for name, commands in CAPABILITY_COMMANDS.items() if cmd_name in commands), None)
            self._register([importlib.import_module(module)] if module else capability_modules())
        return super().get_command(ctx, cmd_name)

    def _register(self, modules: Sequence[ModuleType]) -> None:
        for module in modules:
            if module.__name__ not in self._registered and hasattr(module, "register"):
                self._registered.add(module.__name__)
                module.register(self)

    def invoke(self, ctx: click.Context) -> Any:
        logger = logging.getLogger("registry.db")
        if not any(isinstance(handler, _Echo) for handler in logger.handlers):
            logger.addHandler(_Echo())
            logger.setLevel(logging.INFO)
        try:
            return super().invoke(ctx)
        except UsageProblem as problem:
            raise click.UsageError(str(problem), ctx) from problem
        except store.StoreError as error:
            _fail(str(error))
        except sqlite3.DatabaseError as error:
            message = store.describe_error(error)
            if message is None:
                raise
            _fail(message)
        except BrokenPipeError:
            _reader_gone()
        except OSError as error:  # a full disk, a file the user may not write: the system's reason, in one line
            _fail(f"{error.filename}: {error.strerror}" if error.filename and error.strerror else str(error))


def _reader_gone() -> None:
    """The program reading the output stopped (``registry checks | head``): not an error to report.
    What is still buffered goes nowhere, so that the flush at exit raises no second error (the
    recipe of Python's signal module documentation, "Note on SIGPIPE")."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    sys.exit(141)  # as a shell reports a command ended by SIGPIPE


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


@click.group(cls=RegistryGroup)
@click.version_option(package_name="partner-registry")
def cli() -> None:
    """Partner and agreement registry with due-diligence checks, published with Datasette."""


@cli.command()
@db_option
@click.option("--no-reference", is_flag=True, help="Do not load the shipped reference institutions.")
def init(db_path: str, no_reference: bool) -> None:
    """Create the registry file (or check that an existing one is ready) and load the shipped
    reference institutions that resolve, import and dedupe match names against."""
    db = api.init(db_path, reference=not no_reference)
    references = db.conn.execute("SELECT count(*) FROM reference_institutions").fetchone()[0]
    click.echo(f"registry ready at {db_path}; {references:,} reference institutions to resolve names against")


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@db_option
@click.option("--dry-run", is_flag=True, help="Show what would change and write nothing.")
@click.option("-v", "--verbose", is_flag=True, help="List every changed record.")
@click.option("--replace", is_flag=True,
              help="Write each record whole: fields it leaves out take their defaults, child lists it gives are complete.")
@publish_to_option
def load(paths: tuple[str, ...], db_path: str, dry_run: bool, verbose: bool, replace: bool, publish_to: str | None) -> None:
    """Load YAML seed files or folders (upsert by id, all or nothing). A record is merged into
    the stored one: what it leaves out is kept, unless --replace."""
    try:
        plan = api.load(paths, db_path, dry_run=dry_run, replace=replace)
    except ProblemsFound as found:
        fail_with_problems(found.problems, heading=f"nothing was written; {len(found.problems)} problem(s):")
    if dry_run:
        click.echo("dry run: nothing written")
    print_plan(plan, verbose=verbose or dry_run)
    if not dry_run:
        publish_after(db_path, publish_to)


@cli.command()
@db_option
@json_option
def stats(db_path: str, as_json: bool) -> None:
    """Counts of records, agreements by status and kind, partner countries."""
    figures = api.stats(db_path)
    if as_json:
        click.echo(json.dumps(figures, indent=2))
        return
    for table, count in figures["tables"].items():
        click.echo(f"{table:24} {count:>8}")
    click.echo("agreements by status: " + ", ".join(f"{k} {v}" for k, v in figures["agreements_by_status"].items()))
    click.echo("agreements by kind:   " + ", ".join(f"{k} {v}" for k, v in figures["agreements_by_kind"].items()))
    click.echo(f"partner countries: {figures['partner_countries']}; logged changes: {figures['logged_changes']}")


@cli.command()
@db_option
@json_option
def verify(db_path: str, as_json: bool) -> None:
    """Check integrity, the schema version and the tables' definitions, foreign keys and every row
    against its model; exit 1 on problems."""
    problems = api.verify(db_path)
    if problems:
        fail_with_problems(problems, as_json=as_json, heading=f"{len(problems)} problem(s) in {db_path}:")
    click.echo("[]" if as_json else f"{db_path}: no problems")


@cli.command()
@click.argument("destination", type=click.Path(dir_okay=False))
@db_option
def backup(destination: str, db_path: str) -> None:
    """Copy the registry to DESTINATION with SQLite's online backup (safe while serving)."""
    try:
        api.backup(destination, db_path)
    except FileExistsError as error:
        raise click.UsageError(str(error)) from error
    click.echo(f"backed up {db_path} to {destination}")


@cli.command()
@db_option
@click.option("--dry-run", is_flag=True, help="Try the migration on a copy in memory and say what it would do.")
@click.option("--discard", multiple=True, metavar="TABLE.COLUMN",
              help="Let the values of a column no model keeps be dropped (the backup keeps them); repeatable.")
@json_option
def migrate(db_path: str, dry_run: bool, discard: tuple[str, ...], as_json: bool) -> None:
    """Bring a registry made by an earlier release to this release's schema: backs it up
    beside itself, then rebuilds what changed in one transaction (all or nothing)."""
    result = api.migrate(db_path, dry_run=dry_run, discard=discard)
    if as_json:
        click.echo(json.dumps(result.as_dict(), indent=2))
        return
    if not result.changes_anything:
        click.echo(f"{db_path} is up to date (schema {result.to_version})")
        return
    if result.backup:
        click.echo(f"backed up {db_path} to {result.backup}")
    for table in result.tables:
        click.echo(f"  {table}")
    for kept in result.kept:
        click.echo(f"  {kept}: kept as it is (no model declares it)")
    if result.indexes:
        click.echo(f"  indexes made anew: {', '.join(result.indexes)}")
    click.echo(f"  search index: rebuilt ({'; '.join(result.search)})" if result.search else "  search index: kept as it was")
    verb = "would migrate" if dry_run else "migrated"
    click.echo(f"{'dry run: ' if dry_run else ''}{verb} {db_path} from schema {result.from_version} to {result.to_version}")


@cli.command()
@click.argument("record_id")
@db_option
@json_option
def history(record_id: str, db_path: str, as_json: bool) -> None:
    """The audit log of one record (and its parties, terms, names ...)."""
    print_listed(api.history(record_id, db_path), as_json=as_json, empty=f"no logged changes for {record_id!r}",
                 lines=_history_lines)


def _history_lines(entry: dict[str, Any]) -> Iterator[str]:
    who = f"{entry['actor'] or 'unknown'}" + (f" via {entry['source']}" if entry["source"] else "")
    yield f"{entry['changed_at']}  {entry['operation']:6} {entry['table_name']}/{entry['row_key']}  by {who}"
    if entry["operation"] == "update":
        for name, new in entry["after"].items():
            old = entry["before"].get(name)
            if old != new:
                yield f"      {name}: {old!r} -> {new!r}"


@cli.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("-p", "--port", default=8001, show_default=True, type=int)
@click.option("--public", "public_path", is_flag=False, flag_value="public.db", default=None, metavar="[FILE]",
              type=click.Path(dir_okay=False), help="Serve the public copy (default public.db) instead, immutable, no login.")
@click.option("--tiles", help="Map tile URL template (or set REGISTRY_TILE_URL); OpenStreetMap by default.")
@click.option("--no-auth", is_flag=True, help="Serve the internal registry without a login (127.0.0.1 only).")
@click.option("--sql-threads", type=click.IntRange(min=0), default=None,
              help="Run queries in this many threads (default 0: on the server's loop, fastest for the registry's pages).")
@click.option("--allow-sql", is_flag=True, help="With --public: let visitors run their own SQL (?sql=), on worker threads.")
@click.option("--session-hours", type=click.FloatRange(min=0.1, max=24 * 30), default=8, show_default=True,
              help="A login holds this long (then the account logs in again).")
@click.option("--behind-https", is_flag=True, help="Served to users through https (a proxy in front): session cookies are Secure.")
@click.option("--trusted-proxy", "trusted_proxies", multiple=True, metavar="ADDRESS",
              help="A proxy's address or network whose X-Forwarded-For and X-Forwarded-Proto are believed (repeatable).")
@click.option("--publish-to", type=click.Path(dir_okay=False), envvar="REGISTRY_PUBLISH_TO", default=None, metavar="FILE",
              help="Keep this public copy in step (or set REGISTRY_PUBLISH_TO): republished in the background after "
                   "every change to the registry, from a form or from 'registry load/import/check'.")
@click.option("--publish-delay", type=click.FloatRange(min=0), default=None, metavar="SECONDS",
              help="With --publish-to: publish once the registry has been quiet this long (default 2), "
                   "so a burst of edits makes one publish.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True, envvar="WEB_CONCURRENCY",
              help="Serve from this many processes behind the one port (the public face also reads WEB_CONCURRENCY).")
def serve(db_path: str, host: str, port: int, public_path: str | None, tiles: str | None, no_auth: bool,
          sql_threads: int | None, allow_sql: bool, session_hours: float, behind_https: bool,
          trusted_proxies: tuple[str, ...], publish_to: str | None, publish_delay: float | None, workers: int) -> None:
    """Serve the registry in Datasette: internally behind a login, or its public copy."""
    login = {"session_hours": session_hours, "behind_https": behind_https, "trusted_proxies": _networks(trusted_proxies)}
    # Each face ignores the other's variable: REGISTRY_PUBLISH_TO is the internal face's (the public
    # face only reads the copy), WEB_CONCURRENCY the public face's (a platform sets it for the containers
    # it scales; the internal face, the registry's writer, runs several processes only when told --workers).
    source = click.get_current_context().get_parameter_source
    if public_path and source("publish_to") is ParameterSource.ENVIRONMENT:
        publish_to = None
    if not public_path and source("workers") is ParameterSource.ENVIRONMENT:
        workers = 1
    api.serve(public_path or db_path, public=bool(public_path), host=host, port=port, auth=not no_auth, tiles=tiles,
              sql_threads=sql_threads, allow_sql=allow_sql, login=login, publish_to=publish_to,
              publish_delay=publish_delay, workers=workers)


def _networks(values: tuple[str, ...]) -> list[str]:
    import ipaddress

    try:
        return [str(ipaddress.ip_network(value.strip(), strict=False)) for value in values]
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--trusted-proxy") from None


@cli.command()
@click.option("--db", "db_path", default=str(examples.DEMO_DB), show_default=True, type=click.Path(dir_okay=False),
              help="Where to build the demo registry (an earlier demo there is replaced; any other file is refused).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("-p", "--port", default=8001, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Build the demo registry and stop.")
def demo(db_path: str, host: str, port: int, no_serve: bool) -> None:
    """Build the example registry in a fresh file and serve it."""
    try:
        db = api.demo(db_path)
    except ProblemsFound as found:
        fail_with_problems(found.problems, heading="the example data has problems:")
    figures = store.stats(db)["tables"]
    click.echo(
        f"built {db_path}: {figures['institutions']} institutions, {figures['agreements']} agreements "
        f"(fictitious examples), {figures['networks']} networks"
    )
    public_copy = Path(db_path).with_name("public.db")
    if public_copy.exists():
        click.echo(f"public copy: {public_copy} (serve it with: registry serve --public {public_copy} --port 8002)")
    if not no_serve:
        from registry import faces

        login = faces.one_time_login()
        click.echo(f"serving at http://{host}:{port}/ (Ctrl-C stops)")
        if login:
            click.echo(f"log in as '{login.user}' with password {login.password} (made for this run only)")
        if public_copy.exists():
            click.echo(f"edits are published to {public_copy} within seconds")
        api.serve(db_path, host=host, port=port, publish_to=public_copy if public_copy.exists() else None)


@cli.command()
@click.option("--database", default=serve_module.CANONICAL_DATABASE, show_default=True, help="Database name to write it for.")
def metadata(database: str) -> None:
    """Print the merged Datasette metadata (for running plain 'datasette' yourself)."""
    click.echo(json.dumps(api.metadata(database), indent=2, ensure_ascii=False))

