"""An agreement's terms: mobility terms (who goes where, how many, how long) and degree terms
(double, joint and cotutelle degrees), each added, edited or removed on a form of its own.

A term is found by its row in the URL (``/-/agreements/<id>/terms/<rowid>/edit``) and numbered
within its agreement (``term_no``) when it is added."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from registry import editing
from registry.forms.fields import form_fields
from registry.forms.form import REMOVE, VERSION, Form, Section, validated
from registry.forms.pages import Ask, NotFound, Page, Saved, changed_meanwhile, require, save_or_conflict
from registry.models import DegreeTerm, MobilityTerm, Record


@dataclass(frozen=True)
class Terms:
    model: type[Record]
    fields: tuple[str, ...]
    path: str  # the URL's word for them, after the agreement's
    words: str  # what one is called, in English: "term", "degree term"

    @property
    def table(self) -> str:
        return self.model.table


MOBILITY = Terms(MobilityTerm, ("category", "direction", "places_per_year", "months_per_place", "days_per_place",
                                "first_academic_year", "last_academic_year", "eqf_levels", "subject_areas",
                                "language_skills", "blended", "virtual", "other_terms"), "terms", "term")
DEGREE = Terms(DegreeTerm, ("kind", "cycle", "home_programme", "partner_programme", "degrees_awarded", "students_per_year"),
               "degree-terms", "degree term")


def _stored(ask: Ask, terms: Terms) -> dict[str, Any]:
    found = ask.db.conn.execute(f"SELECT term_no FROM {terms.table} WHERE rowid = ? AND agreement = ?",
                                [ask.url["term"], ask.url["agreement"]]).fetchone()
    if found is None:
        raise NotFound(ask._("There is no term {term} in agreement {agreement}.", term=ask.url["term"],
                             agreement=ask.url["agreement"]))
    return require(ask, terms.table, {"agreement": ask.url["agreement"], "term_no": found[0]}, terms.words)


def _key(stored: dict[str, Any]) -> dict[str, Any]:
    return {"agreement": stored["agreement"], "term_no": stored["term_no"]}


def _form(ask: Ask, terms: Terms, stored: dict[str, Any] | None) -> Form:
    agreement = require(ask, "agreements", {"id": ask.url["agreement"]}, "agreement")
    title = (ask._("Edit a term of {title}", title=agreement["title"]) if stored
             else ask._("Add a term to {title}", title=agreement["title"]))
    fields = form_fields(terms.model, terms.fields)
    for form_field in fields:
        if form_field.references == "programmes":
            form_field.choices = [(row[0], row[1]) for row in
                                  ask.db.conn.execute("SELECT id, name_en FROM programmes ORDER BY name_en")]
    form = Form(title, [Section(None, fields)], cancel=("agreements", agreement["id"]))
    if stored:
        form.version = editing.version(ask.db, terms.table, _key(stored))
        form.remove = ask._("Remove this term")
        form.show(stored)
    return form


def _save(ask: Ask, terms: Terms, posted: Any, stored: dict[str, Any] | None) -> Form | Saved:
    form = _form(ask, terms, stored).read(posted)
    agreement = ask.url["agreement"]
    expected: list[editing.Expected] = [(terms.table, _key(stored), posted.get(VERSION) or "")] if stored else []
    if stored and posted.get(REMOVE):
        try:
            editing.remove(ask.db, terms.table, _key(stored), actor=ask.who, source=ask.source(f"{terms.table}_remove"),
                           expected=expected)
        except editing.Changed:
            return changed_meanwhile(ask, _form(ask, terms, _stored(ask, terms)), terms.table, agreement)
        return Saved("agreements", agreement, ask._("The term is removed."))
    term_no = stored["term_no"] if stored else editing.next_term_no(ask.db, terms.table, agreement)
    record = validated(terms.model, form, form.sections[0], {}, ask._, {"agreement": agreement, "term_no": term_no})
    if record is None:
        return form
    form.version = posted.get(VERSION)
    return save_or_conflict(ask, f"{terms.table}_{'edit' if stored else 'new'}", [record], expected, form, lambda: _form(ask, terms, _stored(ask, terms)),
                            Saved("agreements", agreement, ask._("The term is saved.")), new=stored is None)


def pages(terms: Terms) -> tuple[Page, Page]:
    base = rf"^/-/agreements/(?P<agreement>[^/]+)/{terms.path}"
    return (
        Page(f"{terms.table}_new", base + "/new$", "edit", lambda ask: _form(ask, terms, None),
             lambda ask, posted: _save(ask, terms, posted, None)),
        Page(f"{terms.table}_edit", base + r"/(?P<term>[0-9]+)/edit$", "edit",
             lambda ask: _form(ask, terms, _stored(ask, terms)),
             lambda ask, posted: _save(ask, terms, posted, _stored(ask, terms))),
    )


PAGES = (*pages(MOBILITY), *pages(DEGREE))
