"""The forms that change an agreement: its fields, renewal, status, terms, programmes, contacts.

Each saves through ``registry.editing.save`` with the version of what its form showed, so a
change someone else saved meanwhile is never overwritten.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from registry import clock, editing, labels
from registry.forms.fields import FormField, form_field, form_fields
from registry.forms.form import VERSION, Form, Section, validated
from registry.forms.pages import Ask, Page, Saved, require, save_or_conflict
from registry.models import Agreement
from registry.models.core import status_changes

EDITED = ("title", "kind", "signed_on", "starts_on", "ends_on", "renewal", "notice_months", "exit_clause", "home_unit",
          "coordinator", "agreement_code", "document_url", "confidential", "personal_data", "equitable_terms", "notes")


def _agreement(ask: Ask) -> dict[str, Any]:
    return require(ask, "agreements", {"id": ask.url["agreement"]}, "agreement")


def _status(ask: Ask, code: str) -> str:
    """An agreement's status in the page's words."""
    return ask._(labels.english("agreement_status", code))


def _key(ask: Ask) -> dict[str, str]:
    return {"id": ask.url["agreement"]}


def _opened(ask: Ask, build: Callable[[Ask], Form], posted: Any) -> tuple[dict[str, Any], Form]:
    """The stored agreement, and its form with what was posted and the version it was opened with."""
    stored = _agreement(ask)
    form = build(ask).read(posted)
    form.version = posted.get(VERSION)
    return stored, form


def _save_agreement(ask: Ask, page: str, stored: dict[str, Any], form: Form, build: Callable[[Ask], Form], message: str,
                    fixed: dict[str, Any] | None = None, section: Section | None = None,
                    versioned: str = "agreements") -> Form | Saved:
    """The stored agreement with the form's values (and ``fixed``) laid over it, validated and saved
    if the rows ``versioned`` (its own, or its programme links) are as the form was opened with."""
    record = validated(Agreement, form, section or form.sections[0], editing.inputs(stored, "agreements"), ask._, fixed)
    if record is None:
        return form
    key = _key(ask) if versioned == "agreements" else {"agreement": stored["id"]}
    return save_or_conflict(ask, page, [record], [(versioned, key, form.version or "")], form, lambda: build(ask),
                            Saved("agreements", ask.url["agreement"], message))


# --- the agreement's own fields ----------------------------------------------------------------------


def _edit_form(ask: Ask) -> Form:
    stored = _agreement(ask)
    form = Form(ask._("Edit {title}", title=stored["title"]), [Section(None, form_fields(Agreement, EDITED))],
                version=editing.version(ask.db, "agreements", _key(ask)), cancel=("agreements", ask.url["agreement"]))
    return form.show(stored)


def edit_save(ask: Ask, posted: Any) -> Form | Saved:
    stored, form = _opened(ask, _edit_form, posted)
    return _save_agreement(ask, "agreement_edit", stored, form, _edit_form, ask._("The agreement is saved."))


# --- renewal ---------------------------------------------------------------------------------------


def proposed_end(starts_on: date | None, ends_on: date | None, today: date) -> date:
    """The next end date: as many whole years on as the agreement has run so far (at least one),
    from its current end, or from today when it has none."""
    start = ends_on or today
    years = 1
    if starts_on and ends_on and ends_on > starts_on:
        years = max(1, round((ends_on - starts_on).days / 365.25))
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February
        return start.replace(year=start.year + years, day=28)


def _renew_form(ask: Ask) -> Form:
    stored = _agreement(ask)
    ends = date.fromisoformat(stored["ends_on"]) if stored.get("ends_on") else None
    starts = date.fromisoformat(stored["starts_on"]) if stored.get("starts_on") else None
    fields = [form_field(Agreement, "ends_on")]
    fields[0].label, fields[0].help, fields[0].required = "New end date", None, True
    if stored["status"] == "expired":
        fields.append(FormField("reactivate", "Set the status back to active", "checkbox"))
    form = Form(ask._("Renew {title}", title=stored["title"]), [Section(None, fields)],
                version=editing.version(ask.db, "agreements", _key(ask)), submit=ask._("Renew"), cancel=("agreements", ask.url["agreement"]))
    form.facts = [(ask._("Current end date"), stored.get("ends_on") or ask._("none")),
                  (ask._("Status"), _status(ask, stored["status"]))]
    form.values = {"ends_on": proposed_end(starts, ends, clock.today()).isoformat(), "reactivate": True}
    return form


def renew_save(ask: Ask, posted: Any) -> Form | Saved:
    stored, form = _opened(ask, _renew_form, posted)
    new_end = form.values.get("ends_on")
    if stored.get("ends_on") and new_end and new_end <= stored["ends_on"]:
        form.refusal.add("ends_on", ask._("The new end date must be after the current one ({date}).", date=stored["ends_on"]))
        return form
    fixed = {"status": "active"} if form.values.get("reactivate") and stored["status"] == "expired" else {}
    return _save_agreement(ask, "agreement_renew", stored, form, _renew_form,
                           ask._("The agreement is renewed until {date}.", date=new_end), fixed,
                           Section(None, [form.sections[0].fields[0]]))


# --- status ----------------------------------------------------------------------------------------


def _status_form(ask: Ask) -> Form:
    stored = _agreement(ask)
    ends = date.fromisoformat(stored["ends_on"]) if stored.get("ends_on") else None
    allowed = status_changes(stored["status"], ends, clock.today())
    status = form_field(Agreement, "status")
    status.label = "New status"
    status.choices = [(value, text) for value, text in status.choices if value in allowed]
    form = Form(ask._("Change the status of {title}", title=stored["title"]), [Section(None, [status])],
                version=editing.version(ask.db, "agreements", _key(ask)), submit=ask._("Change the status"),
                cancel=("agreements", ask.url["agreement"]))
    form.facts = [(ask._("Current status"), _status(ask, stored["status"])),
                  (ask._("End date"), stored.get("ends_on") or ask._("none"))]
    if not allowed:
        form.intro.append(ask._("A terminated agreement keeps its status: record a new agreement instead."))
    elif "active" not in allowed and stored["status"] in ("expired", "suspended"):
        form.intro.append(ask._("Its end date has passed: renew it to make it active again."))
    return form


def status_save(ask: Ask, posted: Any) -> Form | Saved:
    stored, form = _opened(ask, _status_form, posted)
    chosen = form.values.get("status")
    offered = [value for value, _ in form.sections[0].fields[0].choices]
    if chosen not in offered:
        words_offered = ", ".join(_status(ask, v) for v in offered) or ask._("none")
        form.refusal.add("status", ask._("An agreement that is {status} may become: {choices}.",
                                         status=_status(ask, stored["status"]).lower(), choices=words_offered))
        return form
    return _save_agreement(ask, "agreement_status", stored, form, _status_form,
                           ask._("The status is now {status}.", status=_status(ask, chosen).lower()))


# --- programmes ------------------------------------------------------------------------------------


def programme_field(ask: Ask) -> FormField:
    choices = [(row[0], row[1]) for row in ask.db.conn.execute("SELECT id, name_en FROM programmes ORDER BY name_en")]
    return FormField("programmes", "Programmes", "checkboxes", choices=choices,
                     help="the home faculty's programmes this agreement serves")


def _programmes_form(ask: Ask) -> Form:
    stored = _agreement(ask)
    linked = [row["programme"] for row in editing.rows(ask.db, "agreement_programmes", {"agreement": stored["id"]})]
    form = Form(ask._("Programmes of {title}", title=stored["title"]), [Section(None, [programme_field(ask)])],
                version=editing.version(ask.db, "agreement_programmes", {"agreement": stored["id"]}),
                cancel=("agreements", ask.url["agreement"]))
    form.values = {"programmes": linked}
    return form


def programmes_save(ask: Ask, posted: Any) -> Form | Saved:
    stored, form = _opened(ask, _programmes_form, posted)
    offered = {value for value, _ in form.sections[0].fields[0].choices}
    chosen = [p for p in form.values.get("programmes") or [] if p in offered]
    return _save_agreement(ask, "agreement_programmes", stored, form, _programmes_form,
                           ask._("The agreement's programmes are saved."), {"programmes": chosen},
                           versioned="agreement_programmes")


PAGES = (
    Page("agreement_edit", r"^/-/agreements/(?P<agreement>[^/]+)/edit$", "edit", _edit_form, edit_save),
    Page("agreement_renew", r"^/-/agreements/(?P<agreement>[^/]+)/renew$", "edit", _renew_form, renew_save),
    Page("agreement_status", r"^/-/agreements/(?P<agreement>[^/]+)/status$", "edit", _status_form, status_save),
    Page("agreement_programmes", r"^/-/agreements/(?P<agreement>[^/]+)/programmes$", "edit", _programmes_form,
         programmes_save),
)
