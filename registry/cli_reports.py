"""``registry report portfolio|partner``, ``registry expire``, ``registry remind`` and ``registry calendar``.

Each command parses its options, calls its function in ``registry.api`` and prints the outcome.
Exit status: 0 ok; 1 on bad input (an unknown programme or partner names the closest ones) or
when the mail server refuses a digest (the digest is kept); 2 on bad usage.
"""

from __future__ import annotations

import sys
from datetime import datetime

import click

from registry import api
from registry.cli import db_option
from registry.reports.lookup import UnknownName
from registry.reports.render import FORMATS, ReportError
from registry.reports.strings import LANGUAGES

ISO_DATE = click.DateTime(formats=["%Y-%m-%d"])


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def _day(value: datetime | None):
    return value.date() if value is not None else None


def _report_options(function):
    function = click.option("--format", "output_format", type=click.Choice(FORMATS),
                            help="pdf, html or md (default: from the file name).")(function)
    function = click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
                            help="The file to write (replaced whole, never half-written).")(function)
    function = click.option("--lang", type=click.Choice(LANGUAGES), default="en", show_default=True,
                            help="Swedish or English.")(function)
    function = click.option("--no-check", is_flag=True,
                            help="Use the findings of the last check run instead of running the checks first.")(function)
    return db_option(function)


@click.group("report")
def report_group() -> None:
    """Printable reports: a programme's portfolio review pack, a partner's due-diligence dossier."""


@report_group.command("portfolio")
@click.option("--programme", help="Programme id or name (default: the whole faculty).")
@click.option("--year", type=click.IntRange(1900, 2200), help="Academic year under review, by its first year (default: the current one).")
@_report_options
def report_portfolio(programme, year, output_format, output, lang, no_check, db_path) -> None:
    """The portfolio review pack for a programme board (or the faculty)."""
    try:
        path = api.report_portfolio(output, db_path, programme=programme, year=year, output_format=output_format,
                                    lang=lang, check=not no_check)
    except (UnknownName, ReportError, FileNotFoundError) as error:
        _fail(str(error))
    click.echo(f"wrote {path}")


@report_group.command("partner")
@click.argument("partner")
@_report_options
def report_partner(partner, output_format, output, lang, no_check, db_path) -> None:
    """The due-diligence dossier of PARTNER (an institution id or name) for a committee."""
    try:
        path = api.report_partner(partner, output, db_path, output_format=output_format, lang=lang, check=not no_check)
    except (UnknownName, ReportError, FileNotFoundError) as error:
        _fail(str(error))
    click.echo(f"wrote {path}")


@click.command("expire")
@db_option
@click.option("--as-of", type=ISO_DATE, help="Take this date as today (default: the registry's today).")
@click.option("--dry-run", is_flag=True, help="List what would expire and write nothing.")
def expire_command(db_path, as_of, dry_run) -> None:
    """Mark expired the active agreements past their end date (logged in the audit log)."""
    try:
        expired = api.expire(db_path, as_of=_day(as_of), dry_run=dry_run)
    except FileNotFoundError as error:
        _fail(str(error))
    verb = "would expire" if dry_run else "expired"
    for agreement in expired:
        click.echo(f"{verb} {agreement.id} (ended {agreement.ends_on}): {agreement.title}")
    click.echo(f"{len(expired)} agreement(s) {verb}" if expired else "no active agreement is past its end")


def register(cli: click.Group) -> None:
    for command in (report_group, expire_command):
        cli.add_command(command)
