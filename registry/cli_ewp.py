"""``registry ewp ...``: Erasmus Without Paper IIAs in and out, compared and approved.

Exit status: 0 ok; 1 on problems in the input, on copies that differ (``diff``) or on a
document that fails its schema (``validate``); 2 on bad usage.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from registry import api
from registry import db as store
from registry.cli import db_option, fail_with_problems, json_option, print_plan
from registry.importers import ewp as importer
from registry.problems import ProblemsFound


@click.group("ewp")
def ewp_group() -> None:
    """Erasmus Without Paper: import, export, compare and approve IIAs (IIAs API v7)."""


@ewp_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@db_option
@click.option("--dry-run", is_flag=True, help="Show what would change and write nothing.")
@click.option("--create-missing", is_flag=True, help="Create institutions for hei-ids the registry does not know.")
@click.option("--approved", is_flag=True, help="Record this copy as approved (mutually approved in EWP).")
@click.option("-v", "--verbose", is_flag=True, help="List every changed record.")
@json_option
def import_command(path: str, db_path: str, dry_run: bool, create_missing: bool, approved: bool, verbose: bool, as_json: bool) -> None:
    """Import an EWP document: an IIAs get response (v7), an Institutions response (v2) or
    an IIA Approval response (v2). All or nothing."""
    try:
        result = api.ewp_import(path, db_path, dry_run=dry_run, create_missing=create_missing, approved=approved)
    except ProblemsFound as found:
        fail_with_problems(found.problems, as_json=as_json, heading=f"nothing was written; {len(found.problems)} problem(s):")
    if as_json:
        click.echo(json.dumps({"kind": result.kind, "dry_run": dry_run, "schema_checked": result.schema_checked,
                               "agreements": result.agreements, "changes": result.plan.counts(), "notes": result.notes}, indent=2))
        return
    click.echo(f"{path}: {result.kind} document" + ("" if result.schema_checked else
               " (not checked against the XSD: set EWP_SCHEMA_DIR to the EWP schema folder)"))
    for note in result.notes:
        click.echo(f"  note: {note}")
    if dry_run:
        click.echo("dry run: nothing written")
    print_plan(result.plan, verbose=verbose or dry_run)


@ewp_group.command("export")
@db_option
@click.option("--agreement", "agreements", multiple=True, metavar="ID", help="Export this agreement (repeatable; default: every erasmus_iia).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file (default: standard output).")
def export_command(db_path: str, agreements: tuple[str, ...], output: str | None) -> None:
    """Write erasmus_iia agreements as an IIAs API v7 get response (validated when the XSD is at hand)."""
    try:
        result = api.ewp_export(db_path, agreements=agreements)
    except ProblemsFound as found:
        fail_with_problems(found.problems, heading=f"nothing was written; {len(found.problems)} problem(s):")
    if output:
        with store.written_whole(Path(output)) as partial:
            partial.write_bytes(result.data)
        checked = "valid against get-response.xsd" if result.schema_checked else "not checked against the XSD (no EWP_SCHEMA_DIR)"
        click.echo(f"wrote {len(result.agreements)} IIA(s) to {output}, {checked}", err=True)
    else:
        sys.stdout.buffer.write(result.data)


@ewp_group.command("diff")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@db_option
@click.option("--agreement", help="Compare FILE with the stored copy of this agreement.")
@click.option("--approved", "since_approval", is_flag=True, help="With --agreement and no FILE: the stored copy against the approved one.")
@json_option
def diff_command(paths: tuple[str, ...], db_path: str, agreement: str | None, since_approval: bool, as_json: bool) -> None:
    """Where two copies of an IIA differ, condition by condition and field by field.

    \b
    registry ewp diff A.xml B.xml
    registry ewp diff --agreement ID B.xml
    registry ewp diff --agreement ID --approved
    """
    try:
        report = api.ewp_diff(paths, db_path, agreement=agreement, since_approval=since_approval)
    except ProblemsFound as found:
        fail_with_problems(found.problems, as_json=as_json, heading=f"{len(found.problems)} problem(s):")
    click.echo(json.dumps(report.as_dict(), indent=2, ensure_ascii=False) if as_json else report.text())
    sys.exit(1 if report.differs else 0)


@ewp_group.command("approve")
@click.argument("agreement")
@db_option
@click.option("--hash", "iia_hash", help="The iia-hash that was approved (checked against the stored copy).")
def approve_command(agreement: str, db_path: str, iia_hash: str | None) -> None:
    """Record that the stored copy of AGREEMENT's IIA was approved, as it stands now."""
    try:
        api.ewp_approve(agreement, db_path, iia_hash=iia_hash)
    except ProblemsFound as found:
        fail_with_problems(found.problems, heading="nothing was recorded:")
    click.echo(f"{agreement}: the stored copy is recorded as approved")


@ewp_group.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@json_option
def validate_command(paths: tuple[str, ...], as_json: bool) -> None:
    """Check EWP documents: safe XML, the XSD (when at hand), the reader's rules, and each
    IIA's iia-hash against its content."""
    try:
        results = api.ewp_validate(paths)
    except ProblemsFound as found:
        fail_with_problems(found.problems, as_json=as_json, heading=f"{len(found.problems)} problem(s):")
    if as_json:
        click.echo(json.dumps(results, indent=2))
        return
    for entry in results:
        click.echo(f"{entry['path']}: {entry['kind']}, " + ("valid against its XSD" if entry["schema_checked"] else "XSD not at hand (EWP_SCHEMA_DIR)"))
        for iia in entry["iias"]:
            verdict = "iia-hash matches the content" if iia["hash_matches"] else f"iia-hash differs from the content's {iia['content_hash']}"
            click.echo(f"  {iia['iia']} (line {iia['line']}): {verdict}")


def register(cli: click.Group) -> None:
    cli.add_command(ewp_group)


EXAMPLE_IIA = Path(__file__).resolve().parent.parent / "data" / "ewp" / "example-iia-lund-bergen.xml"


def demo_step(db) -> None:
    """The fictitious example IIA (Lund and Bergen), imported as an approved copy when the
    demo's home institution is Lund; Bergen is found by its website or created from the
    Erasmus charter list."""
    if db.conn.execute("SELECT 1 FROM institutions WHERE is_home = 1 AND schac = 'lu.se'").fetchone():
        importer.import_file(db, EXAMPLE_IIA, approved=True, create_missing=True, actor="demo")
