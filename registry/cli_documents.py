"""``registry document add|list|remove``: signed agreement documents (PDF) kept in the registry.

Exit status: 0 ok; 1 when the file is refused (not a PDF, empty, too large, already there) or there is no such
document to remove; 2 on bad usage.
"""

from __future__ import annotations

import json

import click

from registry import api
from registry.cli import db_option, fail_with_problems, json_option, print_listed
from registry.problems import ProblemsFound


@click.group("document")
def document_group() -> None:
    """Signed agreement documents (PDF), kept in the registry with their SHA-256."""


@document_group.command("add")
@click.argument("agreement")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@db_option
@json_option
def add_command(agreement, path, db_path, as_json) -> None:
    """Attach the signed PDF at PATH to AGREEMENT."""
    try:
        document = api.document_add(agreement, path, db_path)
    except ProblemsFound as found:
        fail_with_problems(found.problems, as_json=as_json, heading="no document was added:")
    if as_json:
        click.echo(json.dumps(document.model_dump(mode="json"), indent=2))
    else:
        click.echo(
            f"added {document.file_name} to {agreement} as {document.id} "
            f"({document.size:,} bytes, sha256 {document.sha256})"
        )


@document_group.command("list")
@click.argument("agreement")
@db_option
@json_option
def list_command(agreement, db_path, as_json) -> None:
    """List AGREEMENT's documents, newest first."""
    print_listed(api.document_list(agreement, db_path), as_json=as_json,
                 empty=f"no documents on {agreement}: 'registry document add {agreement} FILE.pdf' adds one",
                 lines=lambda document: [
                     f"{document['id']}  {document['file_name']}  {document['size']:,} bytes  "
                     f"uploaded {document['uploaded_at']} by {document['uploaded_by']}  sha256 {document['sha256']}"])


@document_group.command("remove")
@click.argument("document")
@db_option
def remove_command(document, db_path) -> None:
    """Remove DOCUMENT (its id, from 'registry document list'), a wrong upload.

    The audit log keeps that it was there, who uploaded and who removed it."""
    try:
        removed = api.document_remove(document, db_path)
    except ProblemsFound as found:
        fail_with_problems(found.problems, heading="nothing was removed:")
    click.echo(f"removed {removed['file_name']} ({removed['id']}) from {removed['agreement']}")


def register(cli: click.Group) -> None:
    cli.add_command(document_group)
