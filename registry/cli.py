"""The ``registry`` command: argument parsing and output around the library's functions.

Exit status: 0 on success, 1 on problems found (bad input, failed verification), 2 on bad
usage (click's own convention).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from registry import db as store
from registry import examples
from registry import serve as serve_module
from registry.extensions import capability_modules
from registry.importers import seed
from registry.problems import Problem, ProblemsFound
from registry.integrity import verify as verify_registry


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


def open_registry(db_path: str) -> Any:
    """The registry at db_path, or a usage error that says how to make one."""
    if not Path(db_path).exists():
        raise click.UsageError(f"no registry at {db_path}: run 'registry init --db {db_path}' first, or pass --db")
    db = store.connect(db_path)
    store.ensure_schema(db)
    return db


def fail_with_problems(problems: list[Problem], *, as_json: bool = False, heading: str = "") -> None:
    if as_json:
        click.echo(json.dumps([p.as_dict() for p in problems], indent=2, ensure_ascii=False, default=str))
    else:
        if heading:
            click.echo(heading, err=True)
        for problem in problems:
            click.echo(f"  {problem}", err=True)
    sys.exit(1)


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


@click.group()
@click.version_option(package_name="partner-registry")
def cli() -> None:
    """Partner and agreement registry with due-diligence checks, published with Datasette."""


@cli.command()
@db_option
@click.option("--no-reference", is_flag=True, help="Do not load the shipped reference institutions.")
def init(db_path: str, no_reference: bool) -> None:
    """Create the registry file (or bring its schema up to date) and load the shipped reference
    institutions that resolve, import and dedupe match names against."""
    from registry import api

    db = api.init(db_path, reference=not no_reference)
    db.conn.execute("ANALYZE")  # the query planner's statistics, as after a bulk load
    references = db.conn.execute("SELECT count(*) FROM reference_institutions").fetchone()[0]
    click.echo(f"registry ready at {db_path}; {references:,} reference institutions to resolve names against")


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@db_option
@click.option("--dry-run", is_flag=True, help="Show what would change and write nothing.")
@click.option("-v", "--verbose", is_flag=True, help="List every changed record.")
def load(paths: tuple[str, ...], db_path: str, dry_run: bool, verbose: bool) -> None:
    """Load YAML seed files or folders (upsert by id, all or nothing)."""
    db = store.connect(db_path)
    store.ensure_schema(db)
    try:
        plan = seed.load(db, paths, dry_run=dry_run)
    except ProblemsFound as found:
        fail_with_problems(found.problems, heading=f"nothing was written; {len(found.problems)} problem(s):")
    if dry_run:
        click.echo("dry run: nothing written")
    print_plan(plan, verbose=verbose or dry_run)


@cli.command()
@db_option
@json_option
def stats(db_path: str, as_json: bool) -> None:
    """Counts of records, agreements by status and kind, partner countries."""
    figures = store.stats(open_registry(db_path))
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
    """Check integrity, foreign keys and every row against its model; exit 1 on problems."""
    problems = verify_registry(open_registry(db_path))
    if problems:
        fail_with_problems(problems, as_json=as_json, heading=f"{len(problems)} problem(s) in {db_path}:")
    click.echo("[]" if as_json else f"{db_path}: no problems")


@cli.command()
@click.argument("destination", type=click.Path(dir_okay=False))
@db_option
def backup(destination: str, db_path: str) -> None:
    """Copy the registry to DESTINATION with SQLite's online backup (safe while serving)."""
    try:
        store.backup(open_registry(db_path), destination)
    except FileExistsError as error:
        raise click.UsageError(str(error)) from error
    click.echo(f"backed up {db_path} to {destination}")


@cli.command()
@click.argument("record_id")
@db_option
@json_option
def history(record_id: str, db_path: str, as_json: bool) -> None:
    """The audit log of one record (and its parties, terms, names ...)."""
    entries = store.history(open_registry(db_path), record_id)
    if as_json:
        click.echo(json.dumps(entries, indent=2, ensure_ascii=False))
        return
    if not entries:
        click.echo(f"no logged changes for {record_id!r}")
        return
    for entry in entries:
        who = f"{entry['actor'] or 'unknown'}" + (f" via {entry['source']}" if entry["source"] else "")
        click.echo(f"{entry['changed_at']}  {entry['operation']:6} {entry['table_name']}/{entry['row_key']}  by {who}")
        if entry["operation"] == "update":
            for name, new in entry["after"].items():
                old = entry["before"].get(name)
                if old != new:
                    click.echo(f"      {name}: {old!r} -> {new!r}")


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
def serve(db_path: str, host: str, port: int, public_path: str | None, tiles: str | None, no_auth: bool,
          sql_threads: int | None) -> None:
    """Serve the registry in Datasette: internally behind a login, or its public copy."""
    from registry import faces

    if public_path:
        if not Path(public_path).exists():
            raise click.UsageError(f"no public database at {public_path}: run 'registry publish --out {public_path}' first")
        serve_module.serve(Path(public_path), host=host, port=port, public=True, tiles=tiles, sql_threads=sql_threads)
        return
    open_registry(db_path)
    if no_auth:
        try:
            faces.require_loopback(host)
        except ValueError as error:
            raise click.UsageError(str(error)) from error
    try:
        serve_module.serve(Path(db_path), host=host, port=port, auth=not no_auth, tiles=tiles, sql_threads=sql_threads)
    except faces.NoAccounts as error:
        raise click.UsageError(str(error)) from error


@cli.command()
@click.option("--db", "db_path", default=str(examples.DEMO_DB), show_default=True, type=click.Path(dir_okay=False),
              help="Where to build the demo registry (replaced if it exists).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("-p", "--port", default=8001, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Build the demo registry and stop.")
def demo(db_path: str, host: str, port: int, no_serve: bool) -> None:
    """Build the example registry in a fresh file and serve it."""
    try:
        db = examples.build_demo(db_path)
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
        serve_module.serve(Path(db_path), host=host, port=port)


@cli.command()
@click.option("--database", default=serve_module.CANONICAL_DATABASE, show_default=True, help="Database name to write it for.")
def metadata(database: str) -> None:
    """Print the merged Datasette metadata (for running plain 'datasette' yourself)."""
    click.echo(json.dumps(serve_module.build_metadata(database), indent=2, ensure_ascii=False))


for _module in capability_modules():
    if hasattr(_module, "register"):
        _module.register(cli)
