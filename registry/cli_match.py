"""CLI for name matching: ``resolve``, ``reference load|add``, ``dedupe``, ``distinct``,
``merge`` and ``unmerge``. Each command is a thin wrapper over ``registry.resolve``,
``registry.reference`` and ``registry.dedupe``."""

from __future__ import annotations

import json
import sys

import click

from registry import api
from registry import dedupe as dedupe_module
from registry import reference as reference_module
from registry.cli import db_option, fail_with_problems, json_option
from registry.identifier_index import fill_erasmus_identifiers
from registry.problems import ProblemsFound
from registry.progress import on_terminal
from registry.resolution import Resolution

SHOWN_QUERY_CHARACTERS = 100


def shown_query(query: str) -> str:
    """The typed name as one readable line: an empty name, or one with line breaks or other control
    characters, shows quoted; a very long one is clipped, so a 10,000-character paste still gives a
    one-line answer (``--json`` keeps the whole name)."""
    if len(query) > SHOWN_QUERY_CHARACTERS:
        return f"{shown_query(query[:SHOWN_QUERY_CHARACTERS])}... ({len(query):,} characters)"
    if not query.strip() or not query.isprintable():
        return repr(query)
    return query


def _print_resolution(resolution: Resolution) -> None:
    where = f" [{resolution.country}]" if resolution.country else ""
    click.echo(f"{shown_query(resolution.query)}{where}: {resolution.status} ({resolution.reason})")
    for number, candidate in enumerate(resolution.candidates, start=1):
        ident = candidate.institution_id or f"{candidate.source}:{candidate.reference_id}"
        place = ", ".join(p for p in (candidate.city, candidate.country) if p)
        apart = "; ".join(p for p in (place, candidate.kind, candidate.website) if p)
        click.echo(f"  {number}. {candidate.score:.2f} {candidate.band:8} {ident}  {candidate.name} ({apart})")
        click.echo(f"     {candidate.reason}")


@click.command()
@click.argument("name", required=False)
@click.option("--country", help="ISO country code or name the office knows for the partner.")
@click.option("--limit", default=3, show_default=True, type=click.IntRange(1, 50), help="Candidates to show.")
@click.option("--file", "names_file", type=click.Path(exists=True, dir_okay=False),
              help="Resolve every name in a file: one per line, or CSV with 'name' and optional 'country'.")
@db_option
@json_option
def resolve(name: str | None, country: str | None, limit: int, names_file: str | None, db_path: str, as_json: bool) -> None:
    """Resolve partner NAME (or every name in --file) to institutions: the registry's own
    names first, then the reference registry. Exit 1 when a name is ambiguous, new or invalid."""
    if name is not None and names_file:
        raise click.UsageError("give a NAME or --file, not both")
    if name is None and not names_file:
        raise click.UsageError("give a NAME to resolve, or --file with one name per line")
    try:
        resolutions = api.resolve(name, db_path, names_file=names_file, country=country, limit=limit,
                                  progress=on_terminal())
    except ProblemsFound as found:
        fail_with_problems(found.problems, heading=f"nothing was resolved; {len(found.problems)} problem(s) in {names_file}:")
    if as_json:
        payload = [r.as_dict() for r in resolutions]
        click.echo(json.dumps(payload if names_file else payload[0], indent=2, ensure_ascii=False))
    else:
        for resolution in resolutions:
            _print_resolution(resolution)
        if names_file:
            counts = {s: sum(r.status == s for r in resolutions) for s in ("matched", "ambiguous", "new", "invalid")}
            click.echo(", ".join(f"{v} {k}" for k, v in counts.items()), err=True)
    if any(r.status != "matched" for r in resolutions):
        sys.exit(1)


@click.group()
def reference() -> None:
    """Reference registries (ROR, world-universities list) that names resolve against."""


@reference.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@db_option
@json_option
def reference_load(path: str, db_path: str, as_json: bool) -> None:
    """Load a ROR data dump (schema v2 JSON or zip, or JSON lines) or the world-universities
    JSON into the reference tables, in one logged transaction."""
    try:
        result = api.reference_load(path, db_path)
    except ProblemsFound as found:
        fail_with_problems(found.problems, as_json=as_json, heading=f"nothing was loaded from {path}:")
    if as_json:
        click.echo(json.dumps(result.as_dict(), indent=2))
    else:
        click.echo(f"{path}: {result.records} {result.source} records ({result.release or 'release unknown'}): "
                   f"{result.inserted} new, {result.updated} changed, {result.unchanged} unchanged; "
                   f"{result.names} reference names in the registry")


@reference.command("add")
@click.argument("reference_id")
@click.option("--id", "institution_id", help="Id for the new institution (default: from its name).")
@click.option("--kind", help="Institution kind (default: from the reference types).")
@db_option
def reference_add(reference_id: str, institution_id: str | None, kind: str | None, db_path: str) -> None:
    """Create an institution from reference record REFERENCE_ID (e.g. a ROR id), with its
    identifiers, place, website and every name."""
    try:
        institution = api.reference_add(reference_id, db_path, institution_id=institution_id, kind=kind)
    except ProblemsFound as found:
        fail_with_problems(found.problems, heading="nothing was created:")
    click.echo(f"created {institution.id}: {institution.name} ({institution.country}), ror {institution.ror}, "
               f"{len(institution.names)} names")


@click.command()
@click.option("--threshold", default=dedupe_module.DEFAULT_THRESHOLD, show_default=True, type=click.FloatRange(0, 1),
              help="Lowest name-match score that makes a pair.")
@db_option
@json_option
def dedupe(threshold: float, db_path: str, as_json: bool) -> None:
    """List institutions that are probably duplicates, with the evidence. Exit 1 if any."""
    pairs = api.dedupe(db_path, threshold=threshold, progress=on_terminal())
    if as_json:
        click.echo(json.dumps([p.as_dict() for p in pairs], indent=2, ensure_ascii=False))
    else:
        if not pairs:
            click.echo("no likely duplicates")
        for pair in pairs:
            click.echo(f"{pair.score:.2f}  keep {pair.keep} ({pair.names[0]})  drop {pair.drop} ({pair.names[1]})")
            for line in pair.evidence:
                click.echo(f"      {line}")
            click.echo(f"      merge: registry merge {pair.keep} {pair.drop}   not the same: registry distinct {pair.keep} {pair.drop}")
    if pairs:
        sys.exit(1)


@click.command()
@click.argument("institution")
@click.argument("other")
@click.option("--reason", help="Why they are not the same.")
@db_option
def distinct(institution: str, other: str, reason: str | None, db_path: str) -> None:
    """Record that INSTITUTION and OTHER are not the same, so dedupe stops listing them."""
    try:
        api.distinct(institution, other, db_path, reason=reason)
    except ProblemsFound as found:
        fail_with_problems(found.problems, heading="nothing was recorded:")
    click.echo(f"recorded: {institution} and {other} are distinct")


@click.command()
@click.argument("keep")
@click.argument("drop")
@db_option
@json_option
def merge(keep: str, drop: str, db_path: str, as_json: bool) -> None:
    """Merge institution DROP into KEEP: every reference moves, DROP's names stay as aliases,
    DROP is deleted; one logged transaction ('registry unmerge KEEP DROP' undoes it)."""
    try:
        report = api.merge(keep, drop, db_path)
    except ProblemsFound as found:
        fail_with_problems(found.problems, as_json=as_json, heading="nothing was merged:")
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2, ensure_ascii=False, default=str))
        return
    click.echo(f"merged {drop} into {keep} (audit source {report.source!r})")
    for where, count in report.repointed.items():
        click.echo(f"  {where}: {count} moved")
    for where, count in report.duplicates_removed.items():
        click.echo(f"  {where}: {count} removed ({keep} already had them)")
    if report.names_added:
        click.echo(f"  names kept as aliases: {', '.join(report.names_added)}")
    if report.fields_filled:
        click.echo(f"  filled from {drop}: {', '.join(report.fields_filled)}")


@click.command()
@click.argument("keep")
@click.argument("drop")
@db_option
def unmerge(keep: str, drop: str, db_path: str) -> None:
    """Undo the last 'registry merge KEEP DROP' by replaying its audit-log entries backwards."""
    try:
        count = api.unmerge(keep, drop, db_path)
    except ProblemsFound as found:
        fail_with_problems(found.problems, heading="nothing was undone:")
    click.echo(f"undid merge {keep} {drop}: {count} logged changes reversed")


def register(cli: click.Group) -> None:
    for command in (resolve, reference, dedupe, distinct, merge, unmerge):
        cli.add_command(command)


DEMO_ORDER = 20  # before steps that read the reference (screening, checks)


def init_step(db) -> None:
    """A new registry resolves out of the box: load the shipped reference where none of its source is."""
    reference_module.load_shipped_reference(db)


def demo_step(db) -> None:
    """The whole shipped reference, so that 'registry resolve' finds every partner's neighbours too,
    and the example institutions' Erasmus code, PIC and SCHAC code where their seed left them empty."""
    reference_module.load_shipped_reference(db, actor="demo")
    fill_erasmus_identifiers(db, actor="demo")
