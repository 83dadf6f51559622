"""``registry placements`` (call rounds, offers, applicants, allocations, checklists) and
``registry opportunities`` (the catalogue of outgoing opportunities): argument parsing and
output around ``registry.placements``."""

from __future__ import annotations

import json
from datetime import date

import click

from registry import api, placements
from registry.cli import db_option, fail_with_problems, json_option
from registry.models.placements import ChecklistItem, ItemStatus, OpportunityKind, PrerequisiteBasis, Term
from registry.problems import ProblemsFound


def _choice(enum) -> click.Choice:
    return click.Choice([member.value for member in enum])


_date = click.DateTime(formats=["%Y-%m-%d"])


def _day(value) -> date | None:
    return value.date() if value is not None else None


def _emit(rows: list[dict], as_json: bool, line) -> None:
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False, default=str))
    else:
        for row in rows:
            click.echo(line(row))


@click.group("placements")
def placements_group() -> None:
    """Clinical placements for incoming medical students: rounds, offers, allocations, checklists."""


@placements_group.command("open-round")
@click.argument("round_id")
@click.option("--term", type=_choice(Term), required=True, help="autumn (April call) or spring (October call).")
@click.option("--year", type=int, required=True, help="The calendar year the term begins in.")
@click.option("--first-period", type=_date, help="Start of the first 4-week period.")
@click.option("--periods", "period_count", type=click.IntRange(1, 12), default=4, show_default=True,
              help="Number of back-to-back 4-week periods from --first-period.")
@click.option("--call-opens", type=_date, help="Default: 1 April (autumn) or 1 October the year before (spring).")
@click.option("--call-closes", type=_date, help="Default: the end of that month.")
@db_option
def open_round_command(round_id, term, year, first_period, period_count, call_opens, call_closes, db_path) -> None:
    """Open call round ROUND_ID (e.g. 2027-autumn) with its placement periods."""
    try:
        opened = api.placements_open_round(
            round_id, db_path, term=term, year=year, first_period=_day(first_period), period_count=period_count,
            call_opens_on=_day(call_opens), call_closes_on=_day(call_closes),
        )
    except ProblemsFound as found:
        fail_with_problems(found.problems, heading="round not opened:")
    click.echo(f"opened {opened.id}: call {opened.call_opens_on} to {opened.call_closes_on or 'open-ended'}, "
               f"{len(opened.periods)} period(s)")
    for period in opened.periods:
        click.echo(f"  {period.id}: {period.starts_on} to {period.ends_on}")


@placements_group.command("offer")
@click.argument("host")
@click.argument("period")
@click.argument("places", type=click.IntRange(0))
@db_option
def offer_command(host, period, places, db_path) -> None:
    """Record that unit HOST takes PLACES students in PERIOD."""
    try:
        api.placements_offer(host, period, places, db_path)
    except ProblemsFound as found:
        fail_with_problems(found.problems, heading="offer not recorded:")
    click.echo(f"{host} offers {places} place(s) in {period}")


@placements_group.command("applicant")
@click.argument("reference")
@click.option("--round", "round_id", required=True)
@click.option("--home-institution", required=True, help="Institution id of the student's home university.")
@click.option("--specialty", required=True)
@db_option
def applicant_command(reference, round_id, home_institution, specialty, db_path) -> None:
    """Register applicant REFERENCE (a reference code, never a name) with a pending checklist."""
    try:
        api.placements_applicant(
            reference, db_path, round_id=round_id, home_institution=home_institution, specialty=specialty
        )
    except ProblemsFound as found:
        fail_with_problems(found.problems, heading="applicant not registered:")
    click.echo(f"registered {reference} for {round_id} ({specialty}); checklist pending")


@placements_group.command("allocate")
@click.argument("reference")
@click.option("--host", required=True)
@click.option("--period", required=True)
@click.option("--starts-on", type=_date, help="Default: the period's start.")
@click.option("--ends-on", type=_date, help="Default: the period's end.")
@click.option("--on", "allocated_on", type=_date, help="Date of the decision (default today).")
@db_option
def allocate_command(reference, host, period, starts_on, ends_on, allocated_on, db_path) -> None:
    """Assign applicant REFERENCE to a unit and period (binding admission)."""
    try:
        allocation = api.placements_allocate(
            reference, db_path, host=host, period=period,
            starts_on=_day(starts_on), ends_on=_day(ends_on), allocated_on=_day(allocated_on),
        )
    except ProblemsFound as found:
        fail_with_problems(found.problems, heading="not allocated:")
    click.echo(f"allocated {reference} to {host}, {allocation.starts_on} to {allocation.ends_on}")
    days = placements.placement_days(allocation)
    shortest, longest = placements.four_weeks_in_days()
    if not shortest <= days <= longest:
        click.echo(f"warning: {days} days is not the 4 weeks the routine allows; the PL checks will report it", err=True)


@placements_group.command("checklist")
@click.argument("reference")
@click.argument("item", type=_choice(ChecklistItem))
@click.argument("status", type=_choice(ItemStatus))
@click.option("--on", type=_date, help="Date of the status (default today).")
@click.option("--basis", type=_choice(PrerequisiteBasis), help="For prerequisites: final_year or base_placement.")
@db_option
def checklist_command(reference, item, status, on, basis, db_path) -> None:
    """Set ITEM of applicant REFERENCE's admission checklist to STATUS."""
    try:
        entry = api.placements_checklist(reference, item, status, db_path, on=_day(on), basis=basis)
    except ProblemsFound as found:
        fail_with_problems(found.problems, heading="checklist not updated:")
    click.echo(f"{reference}: {item} {entry.status} on {entry.status_on}")


@placements_group.command("capacity")
@click.argument("round_id")
@db_option
@json_option
def capacity_command(round_id, db_path, as_json) -> None:
    """Places offered and allocated per unit and period of ROUND_ID."""
    try:
        rows = api.placements_capacity(round_id, db_path)
    except ProblemsFound as found:
        fail_with_problems(found.problems, as_json=as_json)
    _emit(rows, as_json, lambda r: f"{r['period']:18} {r['host']:32} offered {r['offered']}  allocated {r['allocated']}  free {r['free']}")
    if not as_json:
        offered, allocated = sum(r["offered"] for r in rows), sum(r["allocated"] for r in rows)
        click.echo(f"{round_id}: {offered} place(s) offered, {allocated} allocated")


@placements_group.command("readiness")
@click.option("--round", "round_id", help="Only this round.")
@db_option
@json_option
def readiness_command(round_id, db_path, as_json) -> None:
    """Each applicant's admission checklist and what is still missing before the start."""
    rows = api.placements_readiness(db_path, round_id=round_id)

    def line(row):
        where = f"{row['host']} from {row['starts_on']}" if row["host"] else "not allocated"
        state = "withdrawn" if row["withdrawn"] else ("ready" if row["ready"] else "missing " + ", ".join(row["missing_before_start"]))
        return f"{row['placement']:20} {row['round']:14} {where:40} {state}"

    _emit(rows, as_json, line)


@click.command("opportunities")
@click.option("--programme", help="Programme id or part of its English or Swedish name.")
@click.option("--kind", type=_choice(OpportunityKind))
@click.option("--country", help="Destination country (code or name).")
@db_option
@json_option
def opportunities_command(programme, kind, country, db_path, as_json) -> None:
    """The catalogue of outgoing opportunities per programme, year and semester."""
    rows = api.opportunities(db_path, programme=programme, kind=kind, country=country)

    def line(row):
        when = f"year {row['study_year']}" + (f", semester {row['semester']}" if row["semester"] else "")
        return f"{row['programme']:28} {when:22} {row['kind']:20} {row['weeks']:12} {row['title']} ({row['destinations'] or 'any'})"

    _emit(rows, as_json, line)


def register(cli: click.Group) -> None:
    cli.add_command(placements_group)
    cli.add_command(opportunities_command)


DEMO_OFFER_CUT = ("sus-cardiology-lund", "2027-spring-p2")


def demo_step(db) -> None:
    """Give PL05, which reads the audit log, something to find: after the spring students were
    assigned, the example cardiology unit withdraws its place in the second period (logged as
    'demo'). Demo steps run in module name order, after the checks' own step, so this shows
    in findings from the next ``registry check``."""
    host, period = DEMO_OFFER_CUT
    if db.conn.execute("SELECT 1 FROM round_offers WHERE host = ? AND period = ?", [host, period]).fetchone():
        placements.set_offer(db, host, period, 0, actor="demo")
