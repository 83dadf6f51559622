"""``registry import`` and ``registry export``: spreadsheets, seed YAML and EWP XML in and out.

Thin wrappers over ``registry.importers.flow.import_file`` and the writers named in
``registry.formats``; a format added there is available here by suffix or ``--format``.
Exit status: 0 when every row was taken, 1 when a row was refused or the file has problems,
2 on bad usage (unknown format or kind).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from registry import api
from registry.cli import db_option, fail_with_problems, json_option, publish_after, publish_to_option
from registry.formats import FORMATS
from registry.importers.report import render
from registry.problems import ProblemsFound
from registry.progress import on_terminal

PROGRESS_THRESHOLD = 10_000


def progress_on_terminal(items: Iterable[Any], count: int, label: str = "importing rows") -> Iterable[Any]:
    """A progress bar on standard error for more than 10,000 items on a terminal; else nothing."""
    if count <= PROGRESS_THRESHOLD or not sys.stderr.isatty():
        return items
    return on_terminal().iterate(items, count, label)


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@db_option
@click.option("--kind", help="What a row is: agreements (default), institutions, or any table name.")
@click.option("--format", "format_name", help=f"Read as this format ({', '.join(FORMATS)}); default: by suffix.")
@click.option("--map", "mapping", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="YAML naming other headers (columns:) and default cells (defaults:).")
@click.option("--dry-run", is_flag=True, help="Print the plan as a diff and write nothing.")
@click.option("--keep-valid", is_flag=True, help="Write the rows that are fine; keep the others in import_rejects.")
@click.option("--dayfirst", is_flag=True, help="Read 03/04/2025 as 3 April (otherwise such dates are refused).")
@click.option("--create-missing", is_flag=True, help="Create partners that are not in the registry yet.")
@click.option("--replace", is_flag=True,
              help="Write each record whole (the dry run shows what goes); without it, what a file leaves out is kept.")
@click.option("--sheet", help="XLSX: the sheet to read (default: the first).")
@json_option
@publish_to_option
def import_command(file: Path, db_path: str, kind: str | None, format_name: str | None, mapping: Path | None,
                   dry_run: bool, keep_valid: bool, dayfirst: bool, create_missing: bool, replace: bool,
                   sheet: str | None, as_json: bool, publish_to: str | None) -> None:
    """Import FILE (CSV, XLSX, seed YAML, EWP XML): match partners, show or write the changes."""
    try:
        report = api.import_file(file, db_path, kind=kind, format=format_name, mapping=mapping, dry_run=dry_run,
                                 keep_valid=keep_valid, dayfirst=dayfirst, create_missing=create_missing, replace=replace,
                                 sheet=sheet, progress=progress_on_terminal)
    except ProblemsFound as found:
        fail_with_problems(found.problems, as_json=as_json, heading=f"nothing was written; {len(found.problems)} problem(s):")
    except LookupError as error:
        raise click.UsageError(str(error)) from error
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2, ensure_ascii=False, default=str))
    else:
        for line in render(report):
            click.echo(line)
    if not dry_run:
        publish_after(db_path, publish_to)
    sys.exit(1 if report.refused else 0)


@click.command("export")
@db_option
@click.option("--format", "format_name", help=f"One of {', '.join(FORMATS)} (default: from -o's suffix, else csv).")
@click.option("--kind", "kinds", multiple=True,
              help="agreements (default for tables), institutions, or any table; repeat for several (xlsx, yaml).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: standard output).")
@click.option("--delimiter", default=",", show_default=True, help="CSV delimiter (';' for Excel in a Swedish locale).")
@click.option("--agreement", "agreements", multiple=True, metavar="ID",
              help="ewp: export this agreement (repeatable; default: every erasmus_iia agreement).")
def export_command(db_path: str, format_name: str | None, kinds: tuple[str, ...], output: Path | None, delimiter: str,
                   agreements: tuple[str, ...]) -> None:
    """Export records as CSV, XLSX, seed YAML or an EWP IIAs get response; importing the file
    again changes nothing."""
    try:
        count = api.export(output, db_path, format_name=format_name, kinds=kinds, delimiter=delimiter, agreements=agreements)
    except (LookupError, ValueError) as error:
        raise click.UsageError(str(error)) from error
    except ProblemsFound as found:
        fail_with_problems(found.problems, heading=f"nothing was written; {len(found.problems)} problem(s):")
    if output:
        click.echo(f"wrote {count} records to {output}", err=True)


def register(cli: click.Group) -> None:
    cli.add_command(import_command)
    cli.add_command(export_command)
