"""``registry check``, ``checks``, ``review``, ``waive`` and ``indicators load``.

With ``registry.api``, the only modules in ``registry/`` that import ``checks``: the library below never does.
Exit status: 0 ok; 1 when an open, unwaived finding at or above ``--fail-on`` exists, or on
bad input; 2 on bad usage.
"""

from __future__ import annotations

import json
import sys
from datetime import date, datetime

import click

from checks.docs import checks_markdown
from checks.registry import SEVERITY_ORDER
from checks.report import FORMATS
from checks.run import run_checks
from registry import api, i18n
from registry.cli import db_option, fail_with_problems, json_option, publish_after, publish_to_option
from registry.importers.indicators import DEFAULT_DIR, load_indicators
from registry.models import Answer, ReviewerRole, ReviewOutcome
from registry.problems import ProblemsFound
from registry.progress import on_terminal

ISO_DATE = click.DateTime(formats=["%Y-%m-%d"])
ANSWERS = click.Choice([a.value for a in Answer])

lang_option = click.option("--lang", type=click.Choice(i18n.LANGUAGES), default=i18n.DEFAULT_LANGUAGE, show_default=True,
                           help="Language of the titles and findings' messages.")


def _date(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


def _codes(values: tuple[str, ...]) -> list[str]:
    """``--only GRE01 --only DQ03`` or ``--only GRE01,DQ03``."""
    return [code.strip() for value in values for code in value.split(",") if code.strip()]


@click.command("check")
@db_option
@click.option("--only", multiple=True, metavar="CODE", help="Run only these checks (repeat, or comma-separate).")
@click.option("--family", "families", multiple=True, metavar="F", help="Run only this family: GRE, GDE, AP, DQ, PL (repeatable).")
@click.option(
    "--fail-on",
    type=click.Choice([*SEVERITY_ORDER, "never"]),
    default="info",
    show_default=True,
    help="Exit 1 if an open, unwaived finding of this severity or above exists ('never': report only).",
)
@click.option("--format", "output_format", type=click.Choice(list(FORMATS)), default="text", show_default=True)
@json_option
@click.option("--as-of", type=ISO_DATE, help="Take this date as today (default: today).")
@click.option("--criteria", "criteria_path", type=click.Path(exists=True, dir_okay=False), help="Another criteria file.")
@publish_to_option
@lang_option
def check_command(db_path, only, families, fail_on, output_format, as_json, as_of, criteria_path, publish_to, lang) -> None:
    """Run the checks, record the run and its findings, and list the open findings."""
    result = api.check(db_path, only=_codes(only), families=_codes(families), today=_date(as_of),
                       criteria_path=criteria_path, progress=on_terminal())
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    FORMATS["json" if as_json else output_format](result, sys.stdout, lang)
    publish_after(db_path, publish_to)
    if fail_on != "never" and result.any_failing(fail_on):
        sys.exit(1)


@click.command("checks")
@click.option("--format", "output_format", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@json_option
@lang_option
def checks_command(output_format: str, as_json: bool, lang: str) -> None:
    """List every check: code, severity, family, criterion and source.

    ``registry checks --format markdown > docs/checks.md`` regenerates the documentation."""
    specs = [spec.translated(lang) for spec in api.checks()]
    if as_json or output_format == "json":
        click.echo(json.dumps([spec.as_dict() for spec in specs], indent=2, ensure_ascii=False))
    elif output_format == "markdown":
        click.echo(checks_markdown(), nl=False)
    else:
        for spec in specs:
            click.echo(f"{spec.code:6} {spec.severity:6} {spec.title}")
            click.echo(f"       criterion: {spec.criterion}")
            click.echo(f"       source: {spec.source}" + (f" <{spec.source_url}>" if spec.source_url else ""))


@click.command("review")
@click.argument("subject")
@db_option
@click.option("--outcome", required=True, type=click.Choice([o.value for o in ReviewOutcome]))
@click.option("--reviewer-role", type=click.Choice([r.value for r in ReviewerRole]),
              help="Your role, when the registry has no account for you (REGISTRY_ACTOR or your user name) that says it.")
@click.option("--next-due", type=ISO_DATE, help="When the decision must be reviewed again.")
@click.option("--reviewed-on", type=ISO_DATE, help="Date of the decision (default: today).")
@click.option("--conditions", help="Conditions attached to an approval.")
@click.option("--notes")
@click.option("--military-links", type=ANSWERS, help="Does the partner have military or security links?")
@click.option("--funding-transparent", type=ANSWERS, help="Is the partner's funding transparent?")
@click.option("--export-control-assessed", type=ANSWERS, help="Has an export-control assessment been made?")
@click.option("--equitable-terms", type=ANSWERS, help="Are the terms equitable for both sides?")
@json_option
def review_command(subject, db_path, outcome, reviewer_role, next_due, reviewed_on, conditions, notes,
                   military_links, funding_transparent, export_control_assessed, equitable_terms, as_json) -> None:
    """Record a due-diligence decision on SUBJECT (an institution or agreement id, or table/id).

    It is recorded under your login (REGISTRY_ACTOR or your user name) and your account's reviewer
    role; dated today or before, with the next review after it and at most five years on."""
    try:
        review = api.review(
            subject, db_path, outcome=outcome, reviewer_role=reviewer_role, next_due=_date(next_due),
            reviewed_on=_date(reviewed_on), conditions=conditions, notes=notes,
            answers={
                "military_or_security_links": military_links,
                "funding_transparent": funding_transparent,
                "export_control_assessed": export_control_assessed,
                "equitable_terms": equitable_terms,
            },
        )
    except ProblemsFound as found:
        fail_with_problems(found.problems, as_json=as_json, heading="nothing was written:")
    if as_json:
        click.echo(json.dumps(review.columns(), indent=2, ensure_ascii=False))
    else:
        click.echo(f"recorded review {review.id}: {review.outcome}" + (f", next due {review.next_review_due}" if review.next_review_due else ""))


@click.command("waive")
@click.argument("code")
@click.argument("subject")
@db_option
@click.option("--reason", required=True, help="Why the finding is accepted.")
@click.option("--until", required=True, type=ISO_DATE, help="Last day the waiver holds (at most three years on).")
@click.option("--granted-by", hidden=True, help="No longer taken: the waiver is granted by your login.")
@json_option
def waive_command(code, subject, db_path, reason, until, granted_by, as_json) -> None:
    """Accept the finding of check CODE on SUBJECT until a date; it stays listed, marked waived.

    The waiver is granted by your login (REGISTRY_ACTOR or your user name), for at most as long as
    data/criteria.yml allows (waivers.at_most_years)."""
    if granted_by is not None:
        raise click.UsageError("--granted-by is not taken: a waiver is granted by your login (set REGISTRY_ACTOR)")
    try:
        waiver = api.waive(code, subject, db_path, reason=reason, until=until.date())
    except ProblemsFound as found:
        fail_with_problems(found.problems, as_json=as_json, heading="nothing was written:")
    if as_json:
        click.echo(json.dumps(waiver.columns(), indent=2, ensure_ascii=False))
    else:
        click.echo(f"waiver {waiver.id}: {waiver.finding} waived until {waiver.until}")


@click.group("indicators")
def indicators_group() -> None:
    """Country indicator tables (academic freedom, HDI, income, GDPR adequacy, EU measures)."""


@indicators_group.command("load")
@click.argument("directory", required=False, type=click.Path(exists=True, file_okay=False), default=str(DEFAULT_DIR))
@db_option
@json_option
def indicators_load(directory: str, db_path: str, as_json: bool) -> None:
    """Load the indicator CSVs in DIRECTORY (default: data/indicators), replacing the tables."""
    try:
        counts = api.indicators_load(directory, db_path)
    except ProblemsFound as found:
        fail_with_problems(found.problems, as_json=as_json, heading="nothing was written:")
    if as_json:
        click.echo(json.dumps(counts, indent=2))
    else:
        for table, count in counts.items():
            click.echo(f"{table}: {count} rows")


def register(cli: click.Group) -> None:
    for command in (check_command, checks_command, review_command, waive_command, indicators_group):
        cli.add_command(command)


# After every other capability's demo step (screening, placements ...): the checks read what they make.
DEMO_ORDER = 90


def demo_step(db) -> None:
    """Load the country indicators and run every check, so the demo shows findings."""
    load_indicators(db, DEFAULT_DIR, actor="demo")
    run_checks(db, actor="demo")
