"""``registry screening load|lists`` and ``registry screen [decide]``: screening lists and the
partners that match them.

The demo step needs only the example partners and must run before the checks' step, which
reads the matches it records (``DEMO_ORDER`` below the default). Exit status: 0 ok; 1 on bad input, or when ``screen`` finds a probable or possible match
that no reviewer has set aside; 2 on bad usage.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import click

from registry import api
from registry.cli import db_option, fail_with_problems, json_option, print_plan
from registry.importers.screening import load_list
from registry.models import ReviewerRole
from registry.models.screening import RiskListFormat, RiskListKind, ScreeningDecisionKind
from registry.problems import ProblemsFound
from registry.progress import on_terminal
from registry.screening import ScreeningRun, screen

DEMO_ORDER = 40
SHIPPED_ASPI_LIST = Path(__file__).resolve().parent.parent / "data" / "screening" / "china_defence_universities.csv"


@click.group("screening")
def screening_group() -> None:
    """Screening lists: sanctions lists and the ASPI China Defence Universities Tracker."""


@screening_group.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "list_format", required=True, type=click.Choice([f.value for f in RiskListFormat]),
              help="opensanctions (targets.simple.csv), ftm (FollowTheMoney JSON lines), csv (name, aliases, "
                   "country, category, source) or aspi (the tracker's MISP JSON or data/screening's CSV).")
@click.option("--list-id", help="The list's id (default: by format, or the file name).")
@click.option("--name", help="The list's name.")
@click.option("--kind", type=click.Choice([k.value for k in RiskListKind]), help="sanctions, defence_universities or other.")
@click.option("--source", help="Who publishes the list.")
@click.option("--source-url", help="Where the file came from.")
@click.option("--retrieved-on", type=click.DateTime(formats=["%Y-%m-%d"]), help="When it was downloaded (YYYY-MM-DD).")
@click.option("--licence", help="The licence the file is used under.")
@click.option("--dry-run", is_flag=True, help="Show what would change and write nothing.")
@db_option
def load_command(path, list_format, list_id, name, kind, source, source_url, retrieved_on, licence, dry_run, db_path):
    """Load a screening list from PATH, replacing the list's entities (all or nothing)."""
    try:
        result = api.screening_load(
            path, list_format, db_path, dry_run=dry_run, list_id=list_id, name=name, kind=kind, source=source,
            source_url=source_url, retrieved_on=retrieved_on.date() if retrieved_on else None, licence=licence,
        )
    except ProblemsFound as found:
        fail_with_problems(found.problems, heading=f"nothing was written; {len(found.problems)} problem(s):")
    risk_list = result.risk_list
    click.echo(f"{'dry run: ' if dry_run else ''}list {risk_list.id}: {risk_list.entity_count} organisations")
    for reason, count in sorted(result.skipped.items()):
        click.echo(f"  skipped {count}: {reason}")
    print_plan(result.plan, verbose=dry_run)


@screening_group.command("lists")
@db_option
@json_option
def lists_command(db_path: str, as_json: bool) -> None:
    """List the loaded screening lists."""
    rows = api.screening_lists(db_path)
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo("no screening lists loaded; see 'registry screening load --help'")
    for row in rows:
        click.echo(f"{row['id']:36} {row['kind']:22} {row['entity_count']:>7} entities  loaded {row['loaded_at']}  {row['name']}")


def _report(run: ScreeningRun) -> str:
    if not run.lists:
        return "no screening lists loaded; see 'registry screening load --help'"
    lines = [f"screened {run.institutions} partners ({run.names} names) in {run.seconds:.1f} s"]
    for result in run.lists:
        counts = result.counts()
        lines.append(
            f"\n{result.list_id} ({result.entities} entities): {counts['probable']} probable, {counts['possible']} possible"
            + (f", {counts['suppressed']} set aside by reviewers" if counts["suppressed"] else "")
            + (f", {counts['no_longer_found']} no longer found" if counts["no_longer_found"] else "")
        )
        for match in result.matches:
            lines.append(f"  {match['band']:8} {match['score']:.2f}  {match['institution']}  ~  {match['entity']}")
            lines.append(f"           {match['explanation']}")
    return "\n".join(lines)


@click.group("screen", invoke_without_command=True)
@click.option("--list", "list_ids", multiple=True, metavar="ID", help="Screen against this list only (repeatable).")
@db_option
@json_option
@click.pass_context
def screen_group(ctx: click.Context, list_ids: tuple[str, ...], db_path: str, as_json: bool) -> None:
    """Screen every partner, with all its names, against the screening lists; record the matches.

    Exit 1 when a probable or possible match is found that no reviewer has set aside."""
    if ctx.invoked_subcommand is not None:
        return
    try:
        run = api.screen(db_path, list_ids=list_ids, progress=on_terminal())
    except ProblemsFound as found:
        fail_with_problems(found.problems, as_json=as_json, heading="cannot screen:")
    click.echo(json.dumps(run.as_dict(), indent=2, ensure_ascii=False) if as_json else _report(run))
    if any(result.matches for result in run.lists):
        sys.exit(1)


@screen_group.command("decide")
@click.argument("institution")
@click.argument("entity")
@click.option("--not-the-same", "decision", flag_value=ScreeningDecisionKind.not_the_same.value,
              help="The partner is not the listed entity: set the pair aside until the entity changes.")
@click.option("--confirmed", "decision", flag_value=ScreeningDecisionKind.confirmed.value,
              help="The partner is the listed entity.")
@click.option("--reason", required=True, help="Why, in words a later reviewer understands.")
@click.option("--reviewer-role", type=click.Choice([r.value for r in ReviewerRole]),
              help="Your role, when the registry has no account for you (REGISTRY_ACTOR or your user name) that says it.")
@click.option("--list", "list_id", help="The entity's list, when its id is on more than one.")
@click.option("--decided-on", type=click.DateTime(formats=["%Y-%m-%d"]), help="Date of the decision (default: today).")
@db_option
def decide_command(institution, entity, decision, reason, reviewer_role, list_id, decided_on, db_path) -> None:
    """Record whether partner INSTITUTION is the listed ENTITY (its id on the list)."""
    if decision is None:
        raise click.UsageError("say --not-the-same or --confirmed")
    try:
        record = api.screen_decide(institution, entity, decision, db_path, reason=reason, reviewer_role=reviewer_role, list_id=list_id,
                        decided_on=decided_on.date() if isinstance(decided_on, datetime) else None)
    except ProblemsFound as found:
        fail_with_problems(found.problems, heading="nothing was written:")
    click.echo(f"recorded: {record.institution} and {record.list}/{record.entity_id}: {record.decision.replace('_', ' ')}")


def register(cli: click.Group) -> None:
    cli.add_command(screening_group)
    cli.add_command(screen_group)


def demo_step(db) -> None:
    """Load the shipped ASPI list and screen the example partners, so the demo (and its
    checks, which run after this module's step) shows screening matches."""
    load_list(db, SHIPPED_ASPI_LIST, RiskListFormat.aspi, actor="demo")
    screen(db, actor="demo")
