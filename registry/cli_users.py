"""``registry user add|list|passwd|remove``: accounts of the internal face, kept in the registry.

A password is asked for twice on a terminal, or read from the first line of standard input
with ``--password-stdin`` (for scripts); it is never an argument, so it never lands in a shell's
history or a process list. Exit status: 0 ok; 1 on bad input; 2 on bad usage.
"""

from __future__ import annotations

import json
import sys

import click

from registry import api
from registry.accounts import ENVIRONMENT_DEFAULT_ROLE, RIGHTS
from registry.cli import db_option, fail_with_problems, json_option
from registry.models.core import ReviewerRole
from registry.problems import ProblemsFound

password_stdin_option = click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of standard input."
)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@click.group("user")
def user_group() -> None:
    """Accounts that log in to the internal face, with their roles.

    \b
    viewer    reads everything internal
    editor    changes agreements, partners, terms, contacts and documents
    reviewer  records reviews, waivers and screening decisions
    admin     all of that, and manages accounts
    """


@user_group.command("add")
@click.argument("name")
@db_option
@click.option("--role", required=True, type=click.Choice(list(RIGHTS)), help="What the account may do.")
@click.option("--reviewer-role", type=click.Choice([r.value for r in ReviewerRole]),
              help="The role its reviews and waivers are recorded under (default for reviewer and admin: due_diligence_reviewer).")
@password_stdin_option
@json_option
def add_command(name, db_path, role, reviewer_role, password_stdin, as_json) -> None:
    """Add account NAME with a role and a password."""
    try:
        account = api.user_add(name, db_path, role=role, password=_password(password_stdin), reviewer_role=reviewer_role)
    except ProblemsFound as found:
        fail_with_problems(found.problems, as_json=as_json, heading="no account was added:")
    if as_json:
        click.echo(json.dumps(account.columns(), indent=2))
    else:
        click.echo(f"added {account.name} ({account.role}); it can log in to 'registry serve' now")


@user_group.command("list")
@db_option
@json_option
def list_command(db_path, as_json) -> None:
    """List the registry's accounts (environment accounts are the server's: see docs/publishing.md)."""
    found = api.user_list(db_path)
    if as_json:
        click.echo(json.dumps([a.columns() for a in found], indent=2))
        return
    if not found:
        click.echo(f"no accounts in this registry: 'registry user add NAME --role ROLE' makes one "
                   f"(environment accounts, REGISTRY_PASSWORD_HASH_<NAME>, are {ENVIRONMENT_DEFAULT_ROLE.value} unless "
                   "REGISTRY_ROLE_<NAME> says otherwise)")
    for account in found:
        reviewer = f", decides as {account.reviewer_role}" if account.reviewer_role else ""
        click.echo(f"{account.name:20} {account.role:9} since {account.created_on}{reviewer}")


@user_group.command("passwd")
@click.argument("name")
@db_option
@password_stdin_option
def passwd_command(name, db_path, password_stdin) -> None:
    """Set a new password for NAME; its open sessions end."""
    try:
        api.user_passwd(name, _password(password_stdin), db_path)
    except ProblemsFound as found:
        fail_with_problems(found.problems, heading="the password was not changed:")
    click.echo(f"new password for {name.lower()}; its sessions have ended")


@user_group.command("remove")
@click.argument("name")
@db_option
def remove_command(name, db_path) -> None:
    """Remove account NAME, its password and its sessions."""
    try:
        api.user_remove(name, db_path)
    except ProblemsFound as found:
        fail_with_problems(found.problems, heading="nothing was removed:")
    click.echo(f"removed {name.lower()}")


def register(cli: click.Group) -> None:
    cli.add_command(user_group)
