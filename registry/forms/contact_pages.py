"""Contacts: add one to an agreement (for one of its parties), edit or remove one.

A contact named for an agreement leads back to the agreement's page, any other to its
institution's page."""

from __future__ import annotations

from typing import Any

from registry import editing
from registry.forms.fields import form_fields
from registry.forms.form import REMOVE, VERSION, Form, Section, validated
from registry.forms.pages import Ask, Page, Saved, changed_meanwhile, require, save_or_conflict
from registry.models import Contact

FIELDS = ("institution", "role", "name", "email", "phone")
ROLE_HELP = "the role the contact has for this agreement, e.g. 'Erasmus coordinator'"


def _parties(ask: Ask, agreement: str | None, institution: str | None = None) -> list[tuple[str, str]]:
    """The institutions a contact may belong to: the agreement's parties (partners first), or its own."""
    if agreement:
        rows = ask.db.conn.execute(
            "SELECT i.id, i.name FROM agreement_parties p JOIN institutions i ON i.id = p.institution WHERE p.agreement = ? "
            "ORDER BY p.role = 'home', i.name", [agreement]).fetchall()
    else:
        rows = ask.db.conn.execute("SELECT id, name FROM institutions WHERE id = ?", [institution]).fetchall()
    return [(row[0], row[1]) for row in rows]


def _form(ask: Ask, title: str, choices: list[tuple[str, str]], back: tuple[str, str]) -> Form:
    fields = form_fields(Contact, FIELDS)
    fields[0].widget, fields[0].choices = "select", choices
    fields[1].help = ROLE_HELP
    form = Form(title, [Section(None, fields)], cancel=back)
    form.intro.append(ask._("A role address (e.g. exchange@partner.example) outlives the person who holds the role."))
    return form


def _belongs(ask: Ask, form: Form) -> bool:
    if form.values.get("institution") in {value for value, _ in form.sections[0].fields[0].choices}:
        return True
    form.refusal.add("institution", ask._("Institution must be one of the agreement's parties."))
    return False


# --- a new contact for an agreement -----------------------------------------------------------------


def _new_form(ask: Ask) -> Form:
    agreement = require(ask, "agreements", {"id": ask.url["agreement"]}, "agreement")
    return _form(ask, ask._("Add a contact to {title}", title=agreement["title"]), _parties(ask, agreement["id"]),
                 ("agreements", agreement["id"]))


def new_save(ask: Ask, posted: Any) -> Form | Saved:
    form = _new_form(ask).read(posted)
    if not _belongs(ask, form):
        return form
    agreement = ask.url["agreement"]
    contact_id = editing.new_id(ask.db, "contacts", f"{agreement}-{form.values.get('role') or 'contact'}")
    record = validated(Contact, form, form.sections[0], {}, ask._, {"id": contact_id, "agreement": agreement})
    if record is None:
        return form
    return save_or_conflict(ask, "agreement_contact", [record], [], form, lambda: form,
                            Saved("agreements", agreement, ask._("The contact is saved.")), new=True)


# --- editing or removing a contact ------------------------------------------------------------------


def _back(stored: dict[str, Any]) -> tuple[str, str]:
    return ("agreements", stored["agreement"]) if stored.get("agreement") else ("institutions", stored["institution"])


def _edit_form(ask: Ask) -> Form:
    stored = require(ask, "contacts", {"id": ask.url["contact"]}, "contact")
    form = _form(ask, ask._("Edit the contact {role}", role=stored["role"]),
                 _parties(ask, stored.get("agreement"), stored["institution"]), _back(stored))
    form.version = editing.version(ask.db, "contacts", {"id": stored["id"]})
    form.remove = ask._("Remove this contact")
    return form.show(stored)


def edit_save(ask: Ask, posted: Any) -> Form | Saved:
    stored = require(ask, "contacts", {"id": ask.url["contact"]}, "contact")
    form = _edit_form(ask).read(posted)
    form.version = posted.get(VERSION)
    key = {"id": stored["id"]}
    expected = [("contacts", key, form.version or "")]
    if posted.get(REMOVE):
        try:
            editing.remove(ask.db, "contacts", key, actor=ask.who, source=ask.source("contact_remove"), expected=expected)
        except editing.Changed:
            return changed_meanwhile(ask, _edit_form(ask), "contacts", stored["id"])
        return Saved(*_back(stored), ask._("The contact is removed."))
    if not _belongs(ask, form):
        return form
    record = validated(Contact, form, form.sections[0], editing.inputs(stored, "contacts"), ask._)
    if record is None:
        return form
    return save_or_conflict(ask, "contact_edit", [record], expected, form, lambda: _edit_form(ask),
                            Saved(*_back(stored), ask._("The contact is saved.")))


PAGES = (
    Page("agreement_contact", r"^/-/agreements/(?P<agreement>[^/]+)/contacts/new$", "edit", _new_form, new_save),
    Page("contact_edit", r"^/-/contacts/(?P<contact>[^/]+)/edit$", "edit", _edit_form, edit_save),
)
