"""``registry report portfolio|partner``, ``registry expire``, ``registry remind`` and ``registry calendar``.

Each command parses its options, calls its function in ``registry.api`` and prints the outcome.
Exit status: 0 ok; 1 when a report cannot be written or the mail server refuses a digest (the
digest is kept); 2 on bad usage, an unknown programme or partner among it (the closest are named).
"""

from __future__ import annotations

import sys
from datetime import datetime

import click

from registry import api
from registry.cli import db_option
from registry.reports.render import FORMATS, ReportError
from registry.reports.strings import LANGUAGES

ISO_DATE = click.DateTime(formats=["%Y-%m-%d"])


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def _day(value: datetime | None):
    return value.date() if value is not None else None


def _report_options(function):
    function = click.option(
        "--format", "output_format", type=click.Choice(FORMATS), help="pdf, html or md (default: from the file name)."
    )(function)
    function = click.option(
        "-o",
        "--output",
        required=True,
        type=click.Path(dir_okay=False),
        help="The file to write (replaced whole, never half-written).",
    )(function)
    function = click.option(
        "--lang", type=click.Choice(LANGUAGES), default="en", show_default=True, help="Swedish or English."
    )(function)
    function = click.option(
        "--no-check", is_flag=True, help="Use the findings of the last check run instead of running the checks first."
    )(function)
    return db_option(function)


@click.group("report")
def report_group() -> None:
    """Printable reports: a programme's portfolio review pack, a partner's due-diligence dossier."""


@report_group.command("portfolio")
@click.option("--programme", help="Programme id or name (default: the whole faculty).")
@click.option(
    "--year",
    type=click.IntRange(1900, 2200),
    help="Academic year under review, by its first year (default: the current one).",
)
@_report_options
def report_portfolio(programme, year, output_format, output, lang, no_check, db_path) -> None:
    """The portfolio review pack for a programme board (or the faculty)."""
    try:
        path = api.report_portfolio(
            output, db_path, programme=programme, year=year, output_format=output_format, lang=lang, check=not no_check
        )
    except ReportError as error:
        _fail(str(error))
    click.echo(f"wrote {path}")


@report_group.command("partner")
@click.argument("partner")
@_report_options
def report_partner(partner, output_format, output, lang, no_check, db_path) -> None:
    """The due-diligence dossier of PARTNER (an institution id or name) for a committee."""
    try:
        path = api.report_partner(partner, output, db_path, output_format=output_format, lang=lang, check=not no_check)
    except ReportError as error:
        _fail(str(error))
    click.echo(f"wrote {path}")


@click.command("expire")
@db_option
@click.option("--as-of", type=ISO_DATE, help="Take this date as today (default: the registry's today).")
@click.option("--dry-run", is_flag=True, help="List what would expire and write nothing.")
def expire_command(db_path, as_of, dry_run) -> None:
    """Mark expired the active agreements past their end date (logged in the audit log)."""
    expired = api.expire(db_path, as_of=_day(as_of), dry_run=dry_run)
    verb = "would expire" if dry_run else "expired"
    for agreement in expired:
        click.echo(f"{verb} {agreement.id} (ended {agreement.ends_on}): {agreement.title}")
    click.echo(f"{len(expired)} agreement(s) {verb}" if expired else "no active agreement is past its end")


def _host_port(value: str | None) -> tuple[str, int] | None:
    if not value:
        return None
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit():
        raise click.BadParameter(f"{value!r}: write HOST:PORT, e.g. smtp.example.org:587", param_hint="--smtp")
    return host, int(port)


@click.command("remind")
@db_option
@click.option("--as-of", type=ISO_DATE, help="Take this date as today (default: the registry's today).")
@click.option(
    "--horizon",
    "horizon_days",
    type=click.IntRange(0, 3660),
    default=30,
    show_default=True,
    help="Days ahead to remind of.",
)
@click.option("--dry-run", is_flag=True, help="Print the digests; send, expire and record nothing.")
@click.option("--smtp", envvar="REGISTRY_SMTP", help="Mail server HOST:PORT (or set REGISTRY_SMTP).")
@click.option("--from", "sender", envvar="REGISTRY_MAIL_FROM", help="Sender address (or set REGISTRY_MAIL_FROM).")
@click.option(
    "--starttls/--no-starttls",
    default=None,
    help="Require STARTTLS, or never use it (default: use it when the server offers it).",
)
@click.option(
    "--user", envvar="REGISTRY_SMTP_USER", help="Log in as this user; the password is read from REGISTRY_SMTP_PASSWORD."
)
@click.option(
    "--base-url",
    envvar="REGISTRY_URL",
    default="http://127.0.0.1:8001",
    show_default=True,
    help="Where the internal face is served: each item links to its page there.",
)
@click.option(
    "--outbox",
    type=click.Path(file_okay=False),
    default="reminders-outbox",
    show_default=True,
    help="Where digests the server did not accept are kept (.eml).",
)
def remind_command(db_path, as_of, horizon_days, dry_run, smtp, sender, starttls, user, base_url, outbox) -> None:
    """E-mail each recipient one digest of what comes due; each event is sent once."""
    from registry.reminders import MailError

    try:
        outcome = api.remind(
            db_path,
            as_of=_day(as_of),
            horizon_days=horizon_days,
            dry_run=dry_run,
            smtp=_host_port(smtp),
            sender=sender,
            starttls=starttls,
            user=user,
            base_url=base_url,
            outbox=outbox,
        )
    except MailError as error:
        _fail(f"{error}; nothing was marked as sent; the digests are kept in {outbox}/")
    for agreement in outcome.expired:
        click.echo(f"expired {agreement.id} (ended {agreement.ends_on})")
    for digest in outcome.digests:
        if dry_run:
            click.echo(f"--- to {digest.recipient} ---")
            click.echo(digest.message.get_content())
    if not outcome.digests:
        click.echo("nothing new to remind of")
    elif not dry_run:
        click.echo(f"sent {len(outcome.sent)} digest(s): {', '.join(outcome.sent) or 'none'}")
    if outcome.failed:
        for recipient, refusal in outcome.failed.items():
            click.echo(f"error: not sent to {recipient}: {refusal}", err=True)
        _fail(f"{len(outcome.failed)} digest(s) not sent, kept in {outbox}/; nothing of them was marked as sent")


@click.command("calendar")
@db_option
@click.option("--programme", help="Only this programme's agreements (id or name).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The .ics file to write.")
@click.option(
    "--base-url",
    envvar="REGISTRY_URL",
    default="http://127.0.0.1:8001",
    show_default=True,
    help="Where the internal face is served: each event links to its page there.",
)
def calendar_command(db_path, programme, output, base_url) -> None:
    """Write the registry's dates as an iCalendar file (stable UIDs: a re-import updates events)."""
    path, count = api.calendar(output, db_path, programme=programme, base_url=base_url)
    click.echo(f"wrote {count} events to {path}")


@click.group("calendar-token")
def calendar_token_group() -> None:
    """Secret URLs of /-/calendar.ics for calendar programs that cannot log in."""


@calendar_token_group.command("create")
@db_option
@click.option("--account", required=True, help="The login the link is made for.")
@click.option("--programme", help="Only this programme's dates.")
@click.option("--base-url", envvar="REGISTRY_URL", default="http://127.0.0.1:8001", show_default=True)
def calendar_token_create(db_path, account, programme, base_url) -> None:
    """Make a calendar link; it is shown once (the registry keeps only its digest)."""
    token = api.calendar_token_create(db_path, account=account, programme=programme)
    click.echo(f"{base_url.rstrip('/')}/-/calendar.ics?token={token}")


@calendar_token_group.command("revoke")
@db_option
@click.option("--account", help="Revoke every link of this account.")
@click.option("--token", help="Revoke this one link (the token part of its URL).")
def calendar_token_revoke(db_path, account, token) -> None:
    """Stop a calendar link (or all of an account's) from working."""
    if bool(account) == bool(token):
        raise click.UsageError("give --account or --token (one of them)")
    count = api.calendar_token_revoke(db_path, account=account, token=token)
    click.echo(f"revoked {count} calendar link(s)")


def register(cli: click.Group) -> None:
    for command in (report_group, expire_command, remind_command, calendar_command, calendar_token_group):
        cli.add_command(command)
