"""The Python API: the same verbs as the ``registry`` command, on a registry file path.

    import registry
    registry.init("office.db")
    registry.load(["data/reference", "my-agreements.yml"], db_path="office.db")
    problems = registry.verify("office.db")
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import sqlite_utils

from registry import db as store
from registry.importers import seed
from registry.problems import Problem
from registry.integrity import verify as _verify


def open_registry(db_path: str | Path | None = None, *, create: bool = False) -> sqlite_utils.Database:
    db = store.connect(db_path, create=create)
    store.ensure_schema(db)
    return db


def init(db_path: str | Path | None = None) -> sqlite_utils.Database:
    """Create the registry file, or bring its schema up to date."""
    return open_registry(db_path, create=True)


def load(paths: Iterable[str | Path], db_path: str | Path | None = None, *, dry_run: bool = False,
         actor: str | None = None) -> store.Plan:
    """Upsert YAML seed files or folders; raises ProblemsFound and writes nothing on bad input."""
    return seed.load(open_registry(db_path, create=True), paths, dry_run=dry_run, actor=actor)


def verify(db_path: str | Path | None = None) -> list[Problem]:
    return _verify(open_registry(db_path))


def stats(db_path: str | Path | None = None) -> dict[str, Any]:
    return store.stats(open_registry(db_path))


def history(record_id: str, db_path: str | Path | None = None) -> list[dict[str, Any]]:
    return store.history(open_registry(db_path), record_id)


def backup(destination: str | Path, db_path: str | Path | None = None) -> Path:
    return store.backup(open_registry(db_path), destination)


def demo(db_path: str | Path | None = None) -> sqlite_utils.Database:
    """Build the example registry in a fresh file (without serving it)."""
    from registry.examples import DEMO_DB, build_demo

    return build_demo(db_path or DEMO_DB)


def import_file(path: str | Path, db_path: str | Path | None = None, **options: Any):
    """Import a CSV, XLSX, seed YAML or EWP XML file; ``options`` as ``registry import`` takes them
    (kind, mapping, dry_run, keep_valid, dayfirst, create_missing, sheet, actor). Returns the
    report (rows with their outcome, the plan); raises ProblemsFound for a file it cannot read."""
    from registry.importers.flow import import_file as run_import
    from registry.importers.outcome import ImportOptions

    return run_import(open_registry(db_path, create=True), path, ImportOptions(**options))


def export(destination: str | Path | None = None, db_path: str | Path | None = None, *, format_name: str | None = None,
           kinds: Iterable[str] = (), delimiter: str = ",", agreements: Iterable[str] = ()) -> int:
    """Export records as CSV, XLSX, seed YAML or EWP XML (see ``registry export``); the number written."""
    from registry.exporters import export_file

    return export_file(open_registry(db_path), destination, format_name=format_name, kinds=kinds, delimiter=delimiter,
                       agreements=agreements)


# --- reports, reminders, calendar, expiry (registry.reports, registry.reminders, registry.calendar_feed) ---


def _write_atomically(destination: str | Path, content: bytes) -> Path:
    """Write the whole file or nothing: a half-written report never replaces a good one."""
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(f".{destination.name}.partial")
    partial.write_bytes(content)
    partial.replace(destination)
    return destination


def _report_format(destination: str | Path, output_format: str | None) -> str:
    from registry.reports.render import FORMATS, ReportError

    chosen = output_format or Path(destination).suffix.lstrip(".").lower().replace("markdown", "md")
    if chosen not in FORMATS:
        raise ReportError(f"cannot tell the report format from {str(destination)!r}: give --format {'|'.join(FORMATS)}")
    return chosen


def _fresh_findings(db: sqlite_utils.Database, actor: str | None) -> None:
    from checks.run import run_checks

    run_checks(db, actor=actor or "registry report")


def report_portfolio(destination: str | Path, db_path: str | Path | None = None, *, programme: str | None = None,
                     year: int | None = None, output_format: str | None = None, lang: str = "en",
                     check: bool = True, actor: str | None = None) -> Path:
    """Write the portfolio review pack of a programme (or the faculty) as PDF, HTML or Markdown.
    With ``check`` the checks run first (a recorded run), so goals and findings are today's."""
    from registry.reports import portfolio
    from registry.reports.render import render

    chosen = _report_format(destination, output_format)
    db = open_registry(db_path)
    if programme:
        from registry.reports.lookup import programme_id

        programme = programme_id(db, programme)
    if check:
        _fresh_findings(db, actor)
    pack = portfolio.gather(db, programme=programme, year=year)
    pack["file_stem"] = Path(destination).stem
    return _write_atomically(destination, render(pack, chosen, lang=lang, chart_dir=Path(destination).parent))


def report_partner(partner: str, destination: str | Path, db_path: str | Path | None = None, *,
                   output_format: str | None = None, lang: str = "en", check: bool = True,
                   actor: str | None = None) -> Path:
    """Write the due-diligence dossier of a partner institution as PDF, HTML or Markdown."""
    from registry.reports import dossier
    from registry.reports.lookup import partner_id
    from registry.reports.render import render

    chosen = _report_format(destination, output_format)
    db = open_registry(db_path)
    partner = partner_id(db, partner)
    if check:
        _fresh_findings(db, actor)
    return _write_atomically(destination, render(dossier.gather(db, partner), chosen, lang=lang))


def expire(db_path: str | Path | None = None, *, as_of=None, dry_run: bool = False, actor: str | None = None):
    """Mark expired the active agreements past their end (logged); the list of them."""
    from registry.expiry import expire as expire_agreements

    return expire_agreements(open_registry(db_path), as_of=as_of, dry_run=dry_run, actor=actor)


def remind(db_path: str | Path | None = None, **options: Any):
    """Expire what is past its end and e-mail each recipient one digest of what comes due (see
    ``registry.reminders.remind`` for the options); the outcome: digests, sent, failed, kept."""
    from registry import reminders

    if "outbox" in options:
        options["outbox"] = Path(options["outbox"])
    return reminders.remind(open_registry(db_path), **options)


def calendar(destination: str | Path, db_path: str | Path | None = None, *, programme: str | None = None,
             base_url: str = "http://127.0.0.1:8001") -> tuple[Path, int]:
    """Write the registry's dates (or one programme's) as an iCalendar file; the path and event count."""
    from registry import calendar_feed
    from registry.reports.lookup import programme_id

    db = open_registry(db_path)
    feed = calendar_feed.build(db, programme=programme_id(db, programme) if programme else None, base_url=base_url)
    return _write_atomically(destination, feed.to_ical()), len(feed.walk("VEVENT"))


def calendar_token(db_path: str | Path | None = None, *, account: str, programme: str | None = None) -> str:
    """A new secret token for /-/calendar.ics (shown once; only its digest is stored)."""
    from registry import calendar_feed
    from registry.reports.lookup import programme_id

    db = open_registry(db_path)
    return calendar_feed.create_token(db, account, programme=programme_id(db, programme) if programme else None)


def revoke_calendar_tokens(db_path: str | Path | None = None, *, account: str | None = None,
                           token: str | None = None) -> int:
    """Revoke one calendar token, or every token of an account; the number revoked."""
    from registry import calendar_feed

    return calendar_feed.revoke_tokens(open_registry(db_path), account=account, token=token)
