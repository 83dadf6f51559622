"""``registry publish`` (the public copy) and ``registry hash-password`` (a login for the internal face)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import sqlite_utils

from registry import api
from registry import db as store
from registry.cli import db_option
from registry.progress import on_terminal
from registry.publish import publish as publish_copy

PUBLIC_DB = "public.db"


@click.command()
@db_option
@click.option("--out", default=PUBLIC_DB, show_default=True, type=click.Path(),
              help="The public database to write; an earlier public copy there is replaced, any other file is refused.")
@click.option("--force", is_flag=True, help="Replace --out even when it is not a public copy.")
@click.option("--if-changed", is_flag=True,
              help="Write nothing when --out already holds the registry as it is (no change since it was published).")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def publish(db_path: str, out: str, force: bool, if_changed: bool, as_json: bool) -> None:
    """Write the minimised public copy of the registry (no contacts, reviews, findings,
    audit log or confidential agreements), to serve with 'registry serve --public'."""
    publication = api.publish(db_path, out=out, force=force, progress=on_terminal(), if_changed=if_changed)
    if publication is None:
        click.echo(json.dumps({"path": out, "unchanged": True}) if as_json else f"{out} is up to date: nothing has changed")
        return
    if as_json:
        click.echo(json.dumps(publication.as_dict(), indent=2))
        return
    click.echo(f"wrote {out}: " + ", ".join(f"{count} {table}" for table, count in publication.rows.items() if count))
    if publication.withheld:
        click.echo("kept out: " + ", ".join(f"{count} {table}" for table, count in publication.withheld.items()))
    click.echo(f"serve it with: registry serve --public {out}")


@click.command(name="hash-password")
@click.option("--stdin", "from_stdin", is_flag=True, help="Read the password from standard input instead of asking.")
def hash_password(from_stdin: bool) -> None:
    """Print a password hash for a login to the internal registry.

    \b
    export REGISTRY_PASSWORD_HASH_OFFICE="$(registry hash-password)"
    registry serve        # log in as 'office'
    """
    if from_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    click.echo(api.hash_password(password))


def register(cli: click.Group) -> None:
    cli.add_command(publish)
    cli.add_command(hash_password)


def demo_step(db: sqlite_utils.Database) -> None:
    """Write the demo's public copy next to the demo registry."""
    registry_file = Path(store.file_path(db.conn))
    publish_copy(registry_file, registry_file.with_name(PUBLIC_DB))
