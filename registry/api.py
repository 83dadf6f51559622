"""The Python API: one function for every ``registry`` command, on a registry file path.

    from registry import api
    api.init("office.db")
    api.load(["data/reference", "my-agreements.yml"], db_path="office.db")
    run = api.check(db_path="office.db", families=["GRE"])
    problems = api.verify("office.db")

A command ``registry GROUP COMMAND`` has the function ``GROUP_COMMAND`` (hyphens become
underscores; a Python keyword gets a trailing underscore: ``registry import`` is ``import_``,
also called ``import_file``). The commands only parse their arguments, call these and print.
Long ones take ``progress`` (``registry.progress``: ``on_terminal()`` shows a bar on standard error).
Errors: ``ProblemsFound`` for bad input (nothing written), ``UsageProblem`` for a request that
names what does not exist (an unknown check code, a missing registry file).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlite_utils

from registry import db as store
from registry.countries import country_code
from registry.importers import seed
from registry.integrity import verify as _verify
from registry.problems import NoRegistry, Problem, UnknownName, UsageProblem
from registry.progress import NO_PROGRESS, Progress

if TYPE_CHECKING:
    from checks.registry import CheckSpec
    from checks.run import RunResult
    from registry.dedupe import DuplicatePair, MergeReport
    from registry.ewp.diff import DiffReport
    from registry.exporters.ewp import Export
    from registry.importers.ewp import ImportResult
    from registry.models import Institution
    from registry.publish import Publication
    from registry.reference import LoadResult
    from registry.resolution import Resolution
    from registry.screening import ScreeningRun

PathLike = str | Path
open_registry = store.open_registry


# -- the registry file -------------------------------------------------------------------------------------------


def init(db_path: PathLike | None = None, *, reference: bool = True) -> sqlite_utils.Database:
    """Create the registry file, or check that an existing one is ready (see ``migrate``); with
    ``reference``, every capability's init step also runs (the shipped reference institutions are
    loaded where none of their source are), so names resolve out of the box.

    Example: ``api.init("office.db")``"""
    from registry.extensions import init_steps

    db = open_registry(db_path, create=True)
    if reference:
        for step in init_steps():
            step(db)
    db.conn.execute("ANALYZE")  # the query planner's statistics, as after a bulk load
    return db


def load(paths: Iterable[PathLike], db_path: PathLike | None = None, *, dry_run: bool = False,
         actor: str | None = None, replace: bool = False) -> store.Plan:
    """Upsert YAML seed files or folders, merged into what is stored: what a record leaves out is
    kept (``replace``: each record is written whole). Raises ProblemsFound and writes nothing on
    bad input.

    Example: ``api.load(["data/reference"], db_path="office.db").counts()``"""
    return seed.load(open_registry(db_path, create=True), paths, dry_run=dry_run, actor=actor, replace=replace)


def verify(db_path: PathLike | None = None) -> list[Problem]:
    """Integrity, the schema version and the tables' definitions, foreign keys and every row
    against its model; the problems found. Reads a damaged or read-only file as far as it can.

    Example: ``assert api.verify("office.db") == []``"""
    return _verify(store.connect(db_path, create=False, read_only=True))


def stats(db_path: PathLike | None = None) -> dict[str, Any]:
    """Counts of records, agreements by status and kind, partner countries.

    Example: ``api.stats("office.db")["tables"]["agreements"]``"""
    return store.stats(open_registry(db_path, read_only=True))


def history(record_id: str, db_path: PathLike | None = None) -> list[dict[str, Any]]:
    """The audit log of one record (and its parties, terms, names ...), oldest first.

    Example: ``[entry["operation"] for entry in api.history("uio", "office.db")]``"""
    return store.history(open_registry(db_path, read_only=True), record_id)


def backup(destination: PathLike, db_path: PathLike | None = None) -> Path:
    """Copy the registry (of any schema version) with SQLite's online backup (safe while serving);
    refuses to overwrite, and refuses a damaged file.

    Example: ``api.backup("office-2026-12-05.db", "office.db")``"""
    return store.backup(store.connect(db_path, create=False, read_only=True), destination)


def migrate(db_path: PathLike | None = None, *, dry_run: bool = False, discard: Iterable[str] = ()) -> store.Migration:
    """Bring a registry made by an earlier release to this release's schema, after backing it up
    beside itself, in one transaction; ``MigrationRefused`` (file unchanged) for a row the new
    models refuse. ``dry_run`` tries it on a copy in memory; ``discard`` ('table.column') lets
    values no model keeps be dropped.

    Example: ``api.migrate("office.db").backup``"""
    db = store.connect(db_path, create=False, read_only=dry_run)
    return store.migrate(db, dry_run=dry_run, discard=tuple(discard))


def demo(db_path: PathLike | None = None) -> sqlite_utils.Database:
    """Build the example registry in a fresh file (without serving it).

    Example: ``api.demo("demo/registry.db")``"""
    from registry.examples import DEMO_DB, build_demo

    try:
        return build_demo(db_path or DEMO_DB)
    except ValueError as error:  # a file there that is not a demo registry, or a public.db that is not a public copy
        raise UsageProblem(str(error)) from error


# -- records in and out ------------------------------------------------------------------------------------------


def import_file(path: PathLike, db_path: PathLike | None = None, **options: Any) -> Any:
    """Import a CSV, XLSX, seed YAML or EWP XML file; ``options`` as ``registry import`` takes them
    (kind, format, mapping, dry_run, keep_valid, dayfirst, create_missing, replace, sheet, actor, progress).
    Returns the report (rows with their outcome, the plan); raises ProblemsFound for a file it
    cannot read.

    Example: ``api.import_file("partners.xlsx", "office.db", kind="institutions", dry_run=True)``"""
    from registry.importers.flow import import_file as run_import
    from registry.importers.outcome import ImportOptions

    return run_import(open_registry(db_path, create=True), path, ImportOptions(**options))


import_ = import_file  # ``registry import``: ``import`` is a Python keyword


def export(destination: PathLike | None = None, db_path: PathLike | None = None, *, format_name: str | None = None,
           kinds: Iterable[str] = (), delimiter: str = ",", agreements: Iterable[str] = ()) -> int:
    """Export records as CSV, XLSX, seed YAML or EWP XML (see ``registry export``); the number written.

    Example: ``api.export("agreements.xlsx", "office.db", kinds=["agreements", "institutions"])``"""
    from registry.exporters import export_file

    if destination is not None and not hasattr(destination, "write"):
        store.require_folder(destination, "the export")  # before the export, not a traceback after it
    return export_file(open_registry(db_path, read_only=True), destination, format_name=format_name, kinds=kinds, delimiter=delimiter,
                       agreements=agreements)


# -- due diligence -----------------------------------------------------------------------------------------------


def check(db_path: PathLike | None = None, *, only: Iterable[str] = (), families: Iterable[str] = (),
          today: date | None = None, criteria_path: PathLike | None = None, actor: str | None = None,
          progress: Progress = NO_PROGRESS) -> RunResult:
    """Run the checks (all, or those ``only`` names or of ``families``), record the run and its
    findings; ``UnknownName`` for a code or family that does not exist.

    Example: ``api.check("office.db", only=["GRE01"]).listing``"""
    from checks.run import run_checks

    return run_checks(open_registry(db_path), only=tuple(only), families=tuple(families), today=today,
                      criteria_path=Path(criteria_path) if criteria_path else None, actor=actor, progress=progress)


def checks() -> list[CheckSpec]:
    """Every check with its code, title, severity, family, criterion, source and rationale.

    Example: ``[spec.code for spec in api.checks() if spec.family == "DQ"]``"""
    from checks.registry import all_checks

    return all_checks()


def review(subject: str, db_path: PathLike | None = None, *, outcome: str, reviewer_role: str | None = None,
           next_due: date | None = None, reviewed_on: date | None = None, conditions: str | None = None,
           notes: str | None = None, answers: Mapping[str, str | None] | None = None, actor: str | None = None,
           source: str = "registry review") -> Any:
    """Record a due-diligence decision on an institution or agreement (``answers``: the review
    questions, e.g. ``{"funding_transparent": "yes"}``), made by ``actor`` (the login; default
    REGISTRY_ACTOR or the user's name) in its account's reviewer role (``reviewer_role`` only when
    the registry has no account for it). Returns the stored ``Review``; ``source`` names where the
    decision was made in the audit log.

    Example: ``api.review("uio", "office.db", outcome="approved", reviewer_role="due_diligence_reviewer")``"""
    from checks import decisions

    db, actor = open_registry(db_path), actor or store.default_actor()
    return decisions.record_review(db, subject, outcome=outcome, reviewer_role=_reviewer_role(db, actor, reviewer_role),
                                   next_due=next_due, reviewed_on=reviewed_on, conditions=conditions, notes=notes,
                                   answers=dict(answers or {}), actor=actor, source=source)


def _reviewer_role(db, actor: str, claimed: str | None) -> str:
    from registry import accounts

    return accounts.reviewer_role_for(db, actor, claimed)


def waive(code: str, subject: str, db_path: PathLike | None = None, *, reason: str, until: date | str,
          actor: str | None = None, source: str = "registry waive") -> Any:
    """Accept the finding of check ``code`` on ``subject`` until a date (at most as long as
    data/criteria.yml allows), granted by ``actor`` (the login; default REGISTRY_ACTOR or the
    user's name); returns the ``Waiver``.

    Example: ``api.waive("GRE01", "uio", "office.db", reason="board decision", until=date(2027, 6, 30))``"""
    from checks import decisions

    return decisions.waive(open_registry(db_path), code, subject, reason=reason, until=until, actor=actor, source=source)


def indicators_load(directory: PathLike | None = None, db_path: PathLike | None = None, *,
                    actor: str | None = None) -> dict[str, int]:
    """Load the country indicator CSVs (default: data/indicators), replacing the tables; rows per table.

    Example: ``api.indicators_load(db_path="office.db")``"""
    from registry.importers.indicators import DEFAULT_DIR, load_indicators

    return load_indicators(open_registry(db_path), Path(directory or DEFAULT_DIR), actor=actor)


# -- screening ---------------------------------------------------------------------------------------------------


def screening_load(path: PathLike, list_format: str, db_path: PathLike | None = None, *, dry_run: bool = False,
                   actor: str | None = None, **list_fields: Any) -> Any:
    """Load a screening list (opensanctions, ftm, csv or aspi), replacing its entities; ``list_fields``:
    list_id, name, kind, source, source_url, retrieved_on, licence.

    Example: ``api.screening_load("targets.simple.csv", "opensanctions", "office.db")``"""
    from registry.importers.screening import load_list

    return load_list(open_registry(db_path), path, list_format, dry_run=dry_run, actor=actor, **list_fields)


def screening_lists(db_path: PathLike | None = None) -> list[dict[str, Any]]:
    """The loaded screening lists with their source, licence and size.

    Example: ``[row["id"] for row in api.screening_lists("office.db")]``"""
    from registry.screening import loaded_lists

    return loaded_lists(open_registry(db_path))


def screen(db_path: PathLike | None = None, *, list_ids: Iterable[str] = (), actor: str | None = None,
           progress: Progress = NO_PROGRESS) -> ScreeningRun:
    """Screen every partner, with all its names, against the screening lists; record the matches.

    Example: ``run = api.screen("office.db"); [r.matches for r in run.lists]``"""
    from registry.screening import screen as run_screen

    return run_screen(open_registry(db_path), list_ids=tuple(list_ids) or None, actor=actor, progress=progress)


def screen_decide(institution: str, entity: str, decision: str, db_path: PathLike | None = None, *, reason: str,
                  reviewer_role: str | None = None, list_id: str | None = None, decided_on: date | None = None,
                  actor: str | None = None) -> Any:
    """Record whether partner ``institution`` is the listed ``entity`` (decision: not_the_same or confirmed),
    decided by ``actor`` in its account's reviewer role (``reviewer_role`` only when it has no account).

    Example: ``api.screen_decide("uio", "Q123", "not_the_same", "office.db", reason="other city",
    reviewer_role="due_diligence_reviewer")``"""
    from registry.screening import decide

    db, actor = open_registry(db_path), actor or store.default_actor()
    return decide(db, institution, entity, decision, reason=reason, reviewer_role=_reviewer_role(db, actor, reviewer_role),
                  list_id=list_id, decided_on=decided_on, actor=actor)


# -- names: resolving, reference registries, duplicates ----------------------------------------------------------


def resolve(name: str | None = None, db_path: PathLike | None = None, *, names_file: PathLike | None = None,
            country: str | None = None, limit: int = 3, progress: Progress = NO_PROGRESS) -> list[Resolution]:
    """Resolve a partner ``name`` (or every name in ``names_file``: one a line, or CSV with 'name' and an
    optional 'country') to institutions; ``country`` (a code or name) applies to names without one.

    Example: ``api.resolve("Karolinska Inst.", "office.db", country="SE")[0].status``"""
    from registry.name_lists import read_names
    from registry.resolve import resolve as resolve_one
    from registry.resolve import resolve_many

    if (name is None) == (names_file is None):
        raise UsageProblem("give a name or a names file, not both")
    if country:
        try:
            country = country_code(country)
        except ValueError as error:
            raise UnknownName(str(error)) from error
    db = open_registry(db_path)
    if names_file is None:
        assert name is not None
        return [resolve_one(db, name, country, limit)]
    names = [(each, found or country) for each, found in read_names(names_file)]
    return resolve_many(db, names, limit, progress=progress)


def reference_load(path: PathLike, db_path: PathLike | None = None, *, actor: str | None = None,
                   progress: bool | None = None) -> LoadResult:
    """Load a ROR dump (v2 JSON, zip or JSON lines) or the world-universities JSON into the reference tables.

    Example: ``api.reference_load("v2.9-ror-data.zip", "office.db").records``"""
    from registry.reference import load_reference

    return load_reference(open_registry(db_path), path, actor=actor, progress=progress)


def reference_add(reference_id: str, db_path: PathLike | None = None, *, institution_id: str | None = None,
                  kind: str | None = None, actor: str | None = None) -> Institution:
    """Create an institution from a reference record (e.g. a ROR id) with its identifiers and names.

    Example: ``api.reference_add("https://ror.org/056d84691", "office.db").id``"""
    from registry.from_reference import create_institution_from_reference

    return create_institution_from_reference(open_registry(db_path), reference_id, institution_id=institution_id,
                                             kind=kind, actor=actor)


def dedupe(db_path: PathLike | None = None, *, threshold: float | None = None,
           progress: Progress = NO_PROGRESS) -> list[DuplicatePair]:
    """Institutions that are probably duplicates, with the evidence.

    Example: ``[(pair.keep, pair.drop) for pair in api.dedupe("office.db")]``"""
    from registry import dedupe as dedupe_module

    threshold = dedupe_module.DEFAULT_THRESHOLD if threshold is None else threshold
    return dedupe_module.find_duplicates(open_registry(db_path), threshold, progress=progress)


def distinct(institution: str, other: str, db_path: PathLike | None = None, *, reason: str | None = None,
             actor: str | None = None) -> None:
    """Record that two institutions are not the same, so dedupe stops listing them.

    Example: ``api.distinct("uio", "oslomet", "office.db", reason="two universities")``"""
    from registry import dedupe as dedupe_module

    if institution == other:
        raise UsageProblem("an institution is not distinct from itself")
    dedupe_module.mark_distinct(open_registry(db_path), institution, other, reason, actor=actor)


def merge(keep: str, drop: str, db_path: PathLike | None = None, *, actor: str | None = None) -> MergeReport:
    """Merge institution ``drop`` into ``keep`` in one logged transaction (``unmerge`` undoes it).

    Example: ``api.merge("uio", "uio-2", "office.db").repointed``"""
    from registry import dedupe as dedupe_module

    return dedupe_module.merge(open_registry(db_path), keep, drop, actor=actor)


def unmerge(keep: str, drop: str, db_path: PathLike | None = None, *, actor: str | None = None) -> int:
    """Undo the last merge of ``drop`` into ``keep``; the number of logged changes reversed.

    Example: ``api.unmerge("uio", "uio-2", "office.db")``"""
    from registry import dedupe as dedupe_module

    return dedupe_module.undo_merge(open_registry(db_path), keep, drop, actor=actor)


# -- Erasmus Without Paper ---------------------------------------------------------------------------------------


def ewp_import(path: PathLike, db_path: PathLike | None = None, *, dry_run: bool = False, create_missing: bool = False,
               approved: bool = False, actor: str | None = None) -> ImportResult:
    """Import an EWP IIAs get response (v7), Institutions response (v2) or IIA Approval response (v2).

    Example: ``api.ewp_import("iias.xml", "office.db", dry_run=True).plan.counts()``"""
    from registry.importers import ewp as importer

    return importer.import_file(open_registry(db_path), path, dry_run=dry_run, create_missing=create_missing,
                                approved=approved, actor=actor)


def ewp_export(db_path: PathLike | None = None, *, agreements: Iterable[str] = ()) -> Export:
    """Erasmus IIAs as an IIAs API v7 get response (``.data`` holds the XML bytes).

    Example: ``Path("iias.xml").write_bytes(api.ewp_export("office.db").data)``"""
    from registry.exporters import ewp as exporter

    return exporter.export(open_registry(db_path), list(agreements) or None)


def ewp_diff(paths: Iterable[PathLike] = (), db_path: PathLike | None = None, *, agreement: str | None = None,
             since_approval: bool = False) -> DiffReport:
    """Where two copies of an IIA differ: two files; or ``agreement``'s stored copy and one file; or, with
    ``since_approval``, its stored copy and the approved one.

    Example: ``api.ewp_diff(["ours.xml", "theirs.xml"]).differs``"""
    from registry.ewp import diff, reader

    files = [str(path) for path in paths]
    expected = 0 if (agreement and since_approval) else 1 if agreement else 2
    if len(files) != expected:
        raise UsageProblem("give two files, or --agreement ID and one file, or --agreement ID --approved")
    if not agreement:
        first, second = (reader.read_file(path)[1] for path in files)
        return diff.compare_documents(first, second, names=(files[0], files[1]))
    db = open_registry(db_path)
    if since_approval:
        return diff.compare_with_approved(db, agreement)
    return diff.compare_with_stored(db, agreement, reader.read_file(files[0])[1], files[0])


def ewp_approve(agreement: str, db_path: PathLike | None = None, *, iia_hash: str | None = None,
                actor: str | None = None) -> store.Plan:
    """Record that the stored copy of ``agreement``'s IIA was approved, as it stands now.

    Example: ``api.ewp_approve("lu-uib-erasmus", "office.db")``"""
    from registry.importers import ewp as importer

    return importer.approve(open_registry(db_path), agreement, iia_hash=iia_hash, actor=actor)


def ewp_validate(paths: Iterable[PathLike]) -> list[dict[str, Any]]:
    """Check EWP documents (safe XML, the XSD when at hand, the reader's rules, each iia-hash);
    raises ProblemsFound for documents that fail.

    Example: ``[iia["hash_matches"] for doc in api.ewp_validate(["iias.xml"]) for iia in doc["iias"]]``"""
    from registry.ewp.validate import validate_files

    return validate_files(paths)


# -- clinical placements and the opportunity catalogue -----------------------------------------------------------


def placements_open_round(round_id: str, db_path: PathLike | None = None, *, term: str, year: int,
                          first_period: date | None = None, period_count: int = 4, call_opens_on: date | None = None,
                          call_closes_on: date | None = None, actor: str | None = None) -> Any:
    """Open a call round with ``period_count`` back-to-back 4-week periods from ``first_period``.

    Example: ``api.placements_open_round("2027-autumn", "office.db", term="autumn", year=2027,
    first_period=date(2027, 8, 30))``"""
    from registry import placements

    periods = placements.four_week_periods(round_id, first_period, period_count) if first_period else []
    return placements.open_round(open_registry(db_path), round_id, term=term, year=year, periods=periods,
                                 call_opens_on=call_opens_on, call_closes_on=call_closes_on, actor=actor)


def placements_offer(host: str, period: str, places: int, db_path: PathLike | None = None, *,
                     actor: str | None = None) -> Any:
    """Record that unit ``host`` takes ``places`` students in ``period``.

    Example: ``api.placements_offer("sus-cardiology-lund", "2027-autumn-p1", 2, "office.db")``"""
    from registry import placements

    return placements.set_offer(open_registry(db_path), host, period, places, actor=actor)


def placements_applicant(reference: str, db_path: PathLike | None = None, *, round_id: str, home_institution: str,
                         specialty: str, actor: str | None = None) -> Any:
    """Register an applicant by reference code (never a name) with a pending checklist.

    Example: ``api.placements_applicant("A-2027-001", "office.db", round_id="2027-autumn",
    home_institution="uio", specialty="cardiology")``"""
    from registry import placements

    return placements.register_applicant(open_registry(db_path), reference, round_id=round_id,
                                         home_institution=home_institution, specialty=specialty, actor=actor)


def placements_allocate(reference: str, db_path: PathLike | None = None, *, host: str, period: str,
                        starts_on: date | None = None, ends_on: date | None = None, allocated_on: date | None = None,
                        actor: str | None = None) -> Any:
    """Assign an applicant to a unit and period (binding admission); returns the allocation.

    Example: ``api.placements_allocate("A-2027-001", "office.db", host="sus-cardiology-lund",
    period="2027-autumn-p1")``"""
    from registry import placements

    return placements.allocate(open_registry(db_path), reference, host=host, period=period, starts_on=starts_on,
                               ends_on=ends_on, allocated_on=allocated_on, actor=actor)


def placements_checklist(reference: str, item: str, status: str, db_path: PathLike | None = None, *,
                         on: date | None = None, basis: str | None = None, actor: str | None = None) -> Any:
    """Set one item of an applicant's admission checklist.

    Example: ``api.placements_checklist("A-2027-001", "insurance", "received", "office.db")``"""
    from registry import placements

    return placements.update_checklist_item(open_registry(db_path), reference, item, status, on=on, basis=basis,
                                            actor=actor)


def placements_capacity(round_id: str, db_path: PathLike | None = None) -> list[dict[str, Any]]:
    """Places offered and allocated per unit and period of a round.

    Example: ``sum(row["free"] for row in api.placements_capacity("2027-autumn", "office.db"))``"""
    from registry import placements

    return placements.capacity(open_registry(db_path), round_id)


def placements_readiness(db_path: PathLike | None = None, *, round_id: str | None = None) -> list[dict[str, Any]]:
    """Each applicant's admission checklist and what is still missing before the start.

    Example: ``[row["placement"] for row in api.placements_readiness("office.db") if not row["ready"]]``"""
    from registry import placements

    return placements.readiness(open_registry(db_path), round_id)


def opportunities(db_path: PathLike | None = None, *, programme: str | None = None, kind: str | None = None,
                  country: str | None = None) -> list[dict[str, Any]]:
    """The catalogue of outgoing opportunities by programme, kind and destination country (code or name).

    Example: ``api.opportunities("office.db", programme="medicine", country="Norway")``"""
    from registry import placements

    try:
        code = country_code(country) if country else None
    except ValueError as error:
        raise UnknownName(str(error)) from error
    return placements.opportunities(open_registry(db_path), programme=programme, kind=kind, country=code)


# -- publishing and serving --------------------------------------------------------------------------------------


def publish(db_path: PathLike | None = None, *, out: PathLike = "public.db", force: bool = False,
            progress: Progress = NO_PROGRESS, if_changed: bool = False) -> Publication | None:
    """Write the minimised public copy of the registry (no contacts, reviews, findings, audit log or
    confidential agreements). An existing ``out`` is replaced only when it is an earlier public
    copy, or with ``force``. With ``if_changed`` nothing is written (``None``) when ``out`` already
    holds the registry as it is.

    Example: ``api.publish("office.db", out="public.db").rows``"""
    from registry.publish import publish as publish_copy

    source = Path(db_path or store.default_path())
    if not source.exists():
        raise NoRegistry(f"no registry at {source}: run 'registry init --db {source}' first, or pass --db")
    try:
        return publish_copy(source, out, force=force, progress=progress, if_changed=if_changed)
    except ValueError as error:
        raise UsageProblem(str(error)) from error


def hash_password(password: str) -> str:
    """A password hash for a login to the internal registry (REGISTRY_PASSWORD_HASH_<USER>).

    Example: ``os.environ["REGISTRY_PASSWORD_HASH_OFFICE"] = api.hash_password(secret)``"""
    from registry import faces

    if not password:
        raise UsageProblem("an empty password is not a password")
    return faces.hash_password(password)


def metadata(database: str | None = None) -> dict[str, Any]:
    """The merged Datasette metadata, for running plain ``datasette`` yourself.

    Example: ``json.dumps(api.metadata("registry"))``"""
    from registry import serve as serve_module

    return serve_module.build_metadata(database or serve_module.CANONICAL_DATABASE)


def serve(db_path: PathLike | None = None, *, public: bool = False, host: str = "127.0.0.1", port: int = 8001,
          auth: bool = True, tiles: str | None = None, sql_threads: int | None = None, allow_sql: bool = False,
          login: dict | None = None, publish_to: PathLike | None = None, publish_delay: float | None = None,
          workers: int = 1) -> None:
    """Serve the registry in Datasette until interrupted: internally behind a login (``auth=False``
    only on 127.0.0.1), or with ``public`` a published copy, immutable and without login, where
    visitors may run their own SQL only with ``allow_sql``, from ``workers`` processes behind one
    port. ``login`` holds the session options: ``session_hours``, ``behind_https``,
    ``trusted_proxies``. With ``publish_to`` the internal face keeps that public copy in step with
    the registry, republishing it in the background after each change once the registry has been
    quiet for ``publish_delay`` seconds (``registry.republish``). Either face may run from several
    processes; the internal face's share its secret, sessions, login throttle and one republisher
    (``registry.serve.serve_workers``).

    Example: ``api.serve("registry.db", publish_to="public.db", workers=2)``; ``api.serve("public.db", public=True, workers=2)``"""
    from registry import faces
    from registry import serve as serve_module

    path = Path(db_path or store.default_path())
    if workers < 1:
        raise UsageProblem("--workers must be 1 or more")
    if public:
        if publish_to is not None:
            raise UsageProblem("--publish-to is for the internal face, which writes the public copy; the public face only reads it")
        if not path.exists():
            raise NoRegistry(f"no public database at {path}: run 'registry publish --out {path}' first")
        serve_module.serve(path, host=host, port=port, public=True, tiles=tiles, sql_threads=sql_threads,
                           allow_sql=allow_sql, workers=workers)
        return
    if allow_sql:
        raise UsageProblem("--allow-sql is for the public face (--public); logged-in accounts of the internal face may always run SQL")
    open_registry(path, read_only=True).conn.close()
    publishing = _publishing(path, publish_to, publish_delay) if publish_to is not None else None
    if not auth:
        try:
            faces.require_loopback(host)
        except ValueError as error:
            raise UsageProblem(str(error)) from error
    try:
        serve_module.serve(path, host=host, port=port, auth=auth, tiles=tiles, sql_threads=sql_threads, login=login,
                           publishing=publishing, workers=workers)
    except faces.NoAccounts as error:
        raise UsageProblem(str(error)) from error


def _publishing(registry_path: Path, publish_to: PathLike, delay: float | None) -> dict[str, Any]:
    """The public copy a server keeps in step, refused at once where ``registry publish`` would refuse it."""
    from registry.publish import is_public_copy

    out = Path(publish_to)
    if out.resolve() == registry_path.resolve():
        raise UsageProblem("--publish-to must name the public copy, not the registry itself")
    if out.is_dir() or not out.resolve().parent.is_dir():
        raise UsageProblem(f"--publish-to {out}: give the public copy a file name in a folder that exists")
    if out.exists() and not is_public_copy(out):
        raise UsageProblem(f"--publish-to {out}: that file exists and is not a public copy made by 'registry publish'; "
                           "choose another file, or remove it")
    if delay is not None and delay < 0:
        raise UsageProblem("--publish-delay cannot be negative")
    return {"publish_to": str(out.resolve()), **({"publish_delay": delay} if delay is not None else {})}


# --- reports, reminders, calendar, expiry (registry.reports, registry.reminders, registry.calendar_feed) ---


def _write_atomically(destination: PathLike, content: bytes) -> Path:
    """Write the whole file or nothing: a half-written report never replaces a good one."""
    destination = store.require_folder(destination)  # nothing is made for you (the callers checked it first)
    with store.written_whole(destination) as partial:
        partial.write_bytes(content)
    return destination


def _report_format(destination: PathLike, output_format: str | None) -> str:
    from registry.reports.render import FORMATS, ReportError

    store.require_folder(destination, "the report")  # before the checks run and record
    chosen = output_format or Path(destination).suffix.lstrip(".").lower().replace("markdown", "md")
    if chosen not in FORMATS:
        raise ReportError(f"cannot tell the report format from {str(destination)!r}: give --format {'|'.join(FORMATS)}")
    return chosen


def _fresh_findings(db: sqlite_utils.Database, actor: str | None) -> None:
    from checks.run import run_checks

    run_checks(db, actor=actor or "registry report")


def _criteria() -> dict[str, Any]:
    from checks.context import load_criteria

    return load_criteria()[0]


def report_portfolio(destination: PathLike, db_path: PathLike | None = None, *, programme: str | None = None,
                     year: int | None = None, output_format: str | None = None, lang: str = "en",
                     check: bool = True, actor: str | None = None) -> Path:
    """Write the portfolio review pack of a programme (or the faculty) as PDF, HTML or Markdown.
    With ``check`` the checks run first (a recorded run), so goals and findings are today's.

    Example: ``api.report_portfolio("medicine-pack.pdf", "office.db", programme="medicine", lang="sv")``"""
    from registry.reports import portfolio
    from registry.reports.render import render

    chosen = _report_format(destination, output_format)
    db = open_registry(db_path)
    if programme:
        from registry.reports.lookup import programme_id

        programme = programme_id(db, programme)
    if check:
        _fresh_findings(db, actor)
    from checks.registry import all_checks

    pack = portfolio.gather(db, criteria=_criteria(), checks=all_checks(), programme=programme, year=year)
    pack["file_stem"] = Path(destination).stem
    return _write_atomically(destination, render(pack, chosen, lang=lang, chart_dir=Path(destination).parent))


def report_partner(partner: str, destination: PathLike, db_path: PathLike | None = None, *,
                   output_format: str | None = None, lang: str = "en", check: bool = True,
                   actor: str | None = None) -> Path:
    """Write the due-diligence dossier of a partner institution as PDF, HTML or Markdown.

    Example: ``api.report_partner("fudan-university", "fudan-dossier.pdf", "office.db")``"""
    from registry.reports import dossier
    from registry.reports.lookup import partner_id
    from registry.reports.render import render

    chosen = _report_format(destination, output_format)
    db = open_registry(db_path)
    partner = partner_id(db, partner)
    if check:
        _fresh_findings(db, actor)
    return _write_atomically(destination, render(dossier.gather(db, partner, criteria=_criteria()), chosen, lang=lang))


def expire(db_path: PathLike | None = None, *, as_of=None, dry_run: bool = False, actor: str | None = None):
    """Mark expired the active agreements past their end (logged); the list of them.

    Example: ``[a.id for a in api.expire("office.db", dry_run=True)]``"""
    from registry.expiry import expire as expire_agreements

    return expire_agreements(open_registry(db_path), as_of=as_of, dry_run=dry_run, actor=actor)


def remind(db_path: PathLike | None = None, **options: Any):
    """Expire what is past its end and e-mail each recipient one digest of what comes due (see
    ``registry.reminders.remind`` for the options); the outcome: digests, sent, failed, kept.

    Example: ``api.remind("office.db", smtp=("smtp.example.org", 587), sender="international-office@example.org")``"""
    from registry import reminders

    if "outbox" in options:
        options["outbox"] = Path(options["outbox"])
    return reminders.remind(open_registry(db_path), **options)


def calendar(destination: PathLike, db_path: PathLike | None = None, *, programme: str | None = None,
             base_url: str = "http://127.0.0.1:8001") -> tuple[Path, int]:
    """Write the registry's dates (or one programme's) as an iCalendar file; the path and event count.

    Example: ``path, events = api.calendar("medicine.ics", "office.db", programme="medicine")``"""
    from registry import calendar_feed
    from registry.reports.lookup import programme_id

    store.require_folder(destination, "the calendar")
    db = open_registry(db_path)
    feed = calendar_feed.build(db, programme=programme_id(db, programme) if programme else None, base_url=base_url)
    return _write_atomically(destination, feed.to_ical()), len(feed.walk("VEVENT"))


def calendar_token_create(db_path: PathLike | None = None, *, account: str, programme: str | None = None) -> str:
    """A new secret token for /-/calendar.ics (shown once; only its digest is stored).

    Example: ``url = f"https://registry.example.org/-/calendar.ics?token={api.calendar_token_create(account='office')}"``"""
    from registry import calendar_feed
    from registry.reports.lookup import programme_id

    db = open_registry(db_path)
    return calendar_feed.create_token(db, account, programme=programme_id(db, programme) if programme else None)


def calendar_token_revoke(db_path: PathLike | None = None, *, account: str | None = None,
                          token: str | None = None) -> int:
    """Revoke one calendar token, or every token of an account; the number revoked.

    Example: ``api.calendar_token_revoke("office.db", account="office")``"""
    from registry import calendar_feed

    return calendar_feed.revoke_tokens(open_registry(db_path), account=account, token=token)

# -- accounts of the internal face -------------------------------------------------------------------------------


def user_add(name: str, db_path: PathLike | None = None, *, role: str, password: str, reviewer_role: str | None = None,
             actor: str | None = None) -> Any:
    """Add a registry account for the internal face (role viewer, editor, reviewer or admin); returns the ``Account``.

    Example: ``api.user_add("vera", "office.db", role="viewer", password=getpass.getpass())``"""
    from registry import accounts

    return accounts.add(open_registry(db_path), name, role=role, password=password, reviewer_role=reviewer_role, actor=actor)


def user_list(db_path: PathLike | None = None) -> list[Any]:
    """The registry's accounts: names, roles, dates, never a password hash.

    Example: ``[a.name for a in api.user_list("office.db") if a.role == "admin"]``"""
    from registry import accounts

    return accounts.accounts(open_registry(db_path))


def user_passwd(name: str, password: str, db_path: PathLike | None = None, *, actor: str | None = None) -> None:
    """A new password for a registry account; every session it has open ends.

    Example: ``api.user_passwd("vera", getpass.getpass(), "office.db")``"""
    from registry import accounts

    accounts.change_password(open_registry(db_path), name, password, actor=actor)


def user_remove(name: str, db_path: PathLike | None = None, *, actor: str | None = None) -> None:
    """Remove a registry account with its password and sessions; the audit log keeps its history.

    Example: ``api.user_remove("vera", "office.db")``"""
    from registry import accounts

    accounts.remove(open_registry(db_path), name, actor=actor)

# -- signed agreement documents ----------------------------------------------------------------------------------


def document_add(agreement: str, path: PathLike, db_path: PathLike | None = None, *, actor: str | None = None) -> Any:
    """Attach a signed PDF to an agreement (checked: a PDF, not empty, within REGISTRY_DOCUMENT_MAX_MB), kept in the
    registry with its SHA-256; returns the ``AgreementDocument``. The audit log names ``actor`` (default REGISTRY_ACTOR
    or the user's name).

    Example: ``api.document_add("lu-uio-2024", "signed.pdf", "office.db").sha256``"""
    from registry import documents

    source = Path(path)
    try:
        content = source.read_bytes()
    except OSError as error:
        raise UsageProblem(f"cannot read {source}: {error.strerror or error}") from None
    actor = actor or store.default_actor()
    return documents.add(open_registry(db_path), agreement, content, file_name=source.name, content_type=None,
                         actor=actor, source=f"registry document add {source.name}")


def document_remove(document: str, db_path: PathLike | None = None, *, actor: str | None = None) -> dict[str, Any]:
    """Take a document (a wrong upload) off its agreement, its bytes with it; the audit log keeps that it was there and
    names ``actor`` as the one who removed it. Returns what the document was.

    Example: ``api.document_remove("lu-uio-2024.doc-3f2a9c1b7d4e", "office.db")["file_name"]``"""
    from registry import documents

    actor = actor or store.default_actor()
    return documents.remove(open_registry(db_path), document, actor=actor, source="registry document remove")


def document_list(agreement: str, db_path: PathLike | None = None) -> list[dict[str, Any]]:
    """The documents attached to an agreement, newest first: id, file name, size, SHA-256, when and by whom uploaded.

    Example: ``[d["file_name"] for d in api.document_list("lu-uio-2024", "office.db")]``"""
    from registry import documents

    db = open_registry(db_path)
    if not db.conn.execute("SELECT 1 FROM agreements WHERE id = ?", [agreement]).fetchone():
        raise UnknownName(f"no agreement {agreement!r} in this registry")
    return documents.listed(db.conn, agreement)

# -- one record at a time, as the internal face's forms change them ------------------------------------------------


def record_version(table: str, key: Mapping[str, Any], db_path: PathLike | None = None) -> str:
    """The version of the stored rows ``key`` names in ``table``: give it to ``save_records`` to be
    told (``registry.editing.Changed``) when someone else changed them meanwhile.

    Example: ``token = api.record_version("agreements", {"id": "lu-ku-exchange"}, "office.db")``"""
    from registry import editing

    return editing.version(open_registry(db_path), table, key)


def save_records(records: Iterable[Any], db_path: PathLike | None = None, *, actor: str | None = None,
                 source: str = "registry api", expected: Iterable[tuple[str, Mapping[str, Any], str]] = ()) -> Any:
    """Write whole records (an agreement with its parties and terms, a term, a contact) in one logged
    transaction, refused with ``registry.editing.Changed`` when a version in ``expected`` (table, key,
    ``record_version``) no longer holds; returns the plan written.

    Example: ``api.save_records([agreement], "office.db", expected=[("agreements", {"id": agreement.id}, token)])``"""
    from registry import editing

    return editing.save(open_registry(db_path), list(records), actor=actor or store.default_actor(), source=source,
                        expected=expected)
