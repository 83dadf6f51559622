"""The reviewer's forms: a due-diligence review of an agreement or a partner, and a waiver of a
finding. Both are written as the command line writes them (``registry.api.review`` and
``waive``, which the serving plugin hands to ``pages``: the checks capability is the API's to
call), so they keep its rules: who decided and in which reviewer role come from the login; the
dates are checked against the registry's today and the limits in data/criteria.yml."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from registry import clock, labels
from registry.forms.errors import from_problems
from registry.forms.fields import form_fields
from registry.forms.form import Form, Section
from registry.forms.pages import Ask, NotFound, Page, Saved, require
from registry.models import Review, limits
from registry.models.diligence import Waiver
from registry.problems import ProblemsFound

REVIEW_FIELDS = ("outcome", "reviewed_on", "next_review_due", "conditions", "military_or_security_links",
                 "funding_transparent", "export_control_assessed", "equitable_terms", "notes")
ANSWERS = REVIEW_FIELDS[4:8]


@dataclass(frozen=True)
class Decisions:
    """The writes of a decision: ``review(path, subject, **options)``, ``waive(path, code, subject, **options)``
    with the options of ``registry.api.review`` and ``registry.api.waive``."""

    review: Callable[..., Any]
    waive: Callable[..., Any]


SUBJECTS = {"agreements": ("agreement", "title"), "institutions": ("institution", "name")}


def _years_on(years: int) -> str:
    today = clock.today()
    try:
        return today.replace(year=today.year + years).isoformat()
    except ValueError:  # 29 February
        return (today.replace(year=today.year + years, day=28)).isoformat()


def _review_form(ask: Ask, table: str) -> Form:
    what, label_column = SUBJECTS[table]
    subject = require(ask, table, {"id": ask.url["subject"]}, what)
    fields = form_fields(Review, REVIEW_FIELDS)
    by_name = {f.name: f for f in fields}
    by_name["reviewed_on"].help = ask._("at the latest today")
    by_name["next_review_due"].help = ask._("after the review, at most {years} years on", years=limits.review_next_due_years())
    title = ask._("Review {name}", name=subject[label_column])
    form = Form(title, [Section(None, fields)], submit=ask._("Record the review"), cancel=(table, subject["id"]))
    role = ask.actor.get("reviewer_role")
    role_words = ask._(labels.english("reviewer_role", role)) if role else ask._("no reviewer role")
    form.facts = [(ask._("Recorded by"), f"{ask.who} ({role_words})")]
    form.values = {"reviewed_on": clock.today().isoformat(), "next_review_due": _years_on(1)}
    by_name["reviewed_on"].maximum = clock.today().isoformat()
    by_name["next_review_due"].maximum = _years_on(limits.review_next_due_years())
    return form


def _review_save(decide: Decisions, ask: Ask, posted: Any, table: str) -> Form | Saved:
    form = _review_form(ask, table).read(posted)
    role = ask.actor.get("reviewer_role")
    if not role:
        form.refusal.add(None, ask._("Your account has no reviewer role: an administrator sets one ('registry user')."))
        return form
    values = form.given(form.sections[0])
    try:
        reviewed_on = date.fromisoformat(values["reviewed_on"]) if values["reviewed_on"] else clock.today()
    except ValueError:
        form.refusal.add("reviewed_on", ask._("{label} must be a date (year-month-day).", label=ask._("Reviewed on")))
        return form
    try:
        review = decide.review(
            ask.path, f"{table}/{ask.url['subject']}", outcome=values["outcome"], reviewer_role=role,
            next_due=values["next_review_due"], reviewed_on=reviewed_on,
            conditions=values["conditions"], notes=values["notes"], answers={name: values[name] for name in ANSWERS},
            actor=ask.who, source=ask.source(f"{SUBJECTS[table][0]}_review"))
    except ProblemsFound as problems:
        from_problems(problems, form.sections[0].fields, ask._, form.refusal, model=Review)
        return form
    return Saved(table, ask.url["subject"], ask._("The review is recorded ({outcome}).",
                                                 outcome=ask._(labels.english("review_outcome", review.outcome)).lower()))


def _finding(ask: Ask) -> tuple:
    finding = ask.db.conn.execute(
        "SELECT id, code, severity, message, subject_table, subject_id, waiver FROM findings WHERE id = ?",
        [ask.url["finding"]]).fetchone()
    if finding is None:
        raise NotFound(ask._("There is no finding {key}: run the checks first.", key=ask.url["finding"]))
    return finding


def _waive_form(ask: Ask) -> Form:
    finding = _finding(ask)
    fields = form_fields(Waiver, ("reason", "until"))
    fields[1].help = ask._("at most {years} years from today", years=limits.waiver_years())
    form = Form(ask._("Waive finding {code}", code=finding[1]), [Section(None, fields)], submit=ask._("Waive the finding"),
                cancel=(finding[4], finding[5]))
    form.facts = [(ask._("Finding"), finding[3]), (ask._("Severity"), ask._(labels.english("severity", finding[2]))),
                  (ask._("On"), f"{finding[4]}/{finding[5]}")]
    if finding[6]:
        form.facts.append((ask._("Waived now by"), finding[6]))
    form.intro.append(ask._("The finding stays listed, marked waived, and counts again after the day the waiver ends. "
                            "The waiver is granted under your login."))
    form.values = {"until": _years_on(1)}
    fields[1].minimum, fields[1].maximum = clock.today().isoformat(), _years_on(limits.waiver_years())
    return form


def waive_show(ask: Ask) -> Form:
    return _waive_form(ask)


def _waive_save(decide: Decisions, ask: Ask, posted: Any) -> Form | Saved:
    form = _waive_form(ask).read(posted)
    _, code, _, _, table, subject, _ = _finding(ask)
    values = form.given(form.sections[0])
    if not values["until"] or not values["reason"]:
        for name in ("reason", "until"):
            if not values[name]:
                form.refusal.add(name, ask._("{label} is required.", label=ask._(labels.field_words(name))))
        return form
    try:
        decide.waive(ask.path, code, f"{table}/{subject}", reason=values["reason"], until=values["until"], actor=ask.who,
                        source=ask.source("finding_waive"))
    except ProblemsFound as problems:
        from_problems(problems, form.sections[0].fields, ask._, form.refusal, model=Waiver)
        return form
    return Saved(table, subject, ask._("The finding is waived until {date}.", date=values["until"]))


def pages(decide: Decisions) -> tuple[Page, ...]:
    return (
        Page("agreement_review", r"^/-/agreements/(?P<subject>[^/]+)/review$", "decide",
             lambda ask: _review_form(ask, "agreements"), lambda ask, posted: _review_save(decide, ask, posted, "agreements")),
        Page("institution_review", r"^/-/institutions/(?P<subject>[^/]+)/review$", "decide",
             lambda ask: _review_form(ask, "institutions"),
             lambda ask, posted: _review_save(decide, ask, posted, "institutions")),
        Page("finding_waive", r"^/-/findings/(?P<finding>[^/]+)/waive$", "decide", waive_show,
             lambda ask, posted: _waive_save(decide, ask, posted)),
    )
