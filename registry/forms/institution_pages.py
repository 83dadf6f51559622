"""The partner's forms: a new partner from the reference registry (ROR, the world-universities
list), found by its name through the resolver, and the partner's own fields."""

from __future__ import annotations

from typing import Any

from registry import editing
from registry.forms.errors import from_problems
from registry.forms.fields import FormField, form_field, form_fields
from registry.forms.form import VERSION, Form, Section, validated
from registry.forms.pages import Ask, Page, Saved, require, save_or_conflict
from registry.forms.partners import describe
from registry.from_reference import create_institution_from_reference
from registry.models import Institution, InstitutionName
from registry.problems import ProblemsFound
from registry.resolve import Resolver

EDITED = ("name", "local_name", "acronym", "kind", "country", "city", "website", "ror", "erasmus_code", "schac", "pic",
          "latitude", "longitude")
FOUND_AT_MOST = 10


# --- a new partner from the reference registry ---------------------------------------------------------


def _new_form(ask: Ask) -> Form:
    name = FormField("name", "Name", "text", required=True, help="any of its names, in any language")
    country = form_field(Institution, "country")
    country.required, country.help = False, "narrows the search"
    kind = form_field(Institution, "kind")
    kind.required, kind.help = False, "leave empty to take it from the reference record"
    form = Form(ask._("Add a partner from the reference registry"), [Section(None, [name, country, kind])],
                submit=ask._("Find"))
    form.intro.append(ask._("Type the partner's name and choose it among the reference records found; its identifiers, "
                            "place and every name it goes by come with it."))
    return form


def _candidates(ask: Ask, form: Form) -> None:
    """The reference records (and registry institutions) the typed name finds, for the page to list."""
    name = form.values.get("name") or ""
    if not name:
        return
    try:
        resolution = Resolver(ask.db).resolve(name, form.values.get("country") or None, limit=FOUND_AT_MOST)
    except ValueError as error:
        form.refusal.add("country", str(error))
        return
    found = []
    for candidate in resolution.candidates:
        if candidate.band == "below":
            continue
        where = describe(candidate.name, candidate.city, candidate.country)
        if candidate.institution_id:
            found.append({"table": "institutions", "key": candidate.institution_id,
                          "label": ask._("{name}: already in the registry", name=where)})
        elif candidate.reference_id and candidate.usable:
            found.append({"input": "reference", "value": candidate.reference_id, "label": f"{where} · {candidate.source}"})
    form.found = found
    if not found:
        form.notice = ask._("No reference record comes close to '{name}': check the spelling, or try another of its "
                            "names.", name=name)
    elif any("input" in f for f in found):
        form.submit = ask._("Add the chosen partner")


def new_show(ask: Ask) -> Form:
    form = _new_form(ask)
    form.values.update({k: v for k, v in ask.query.items() if k in ("name", "country")})
    _candidates(ask, form)
    return form


def new_save(ask: Ask, posted: Any) -> Form | Saved:
    form = _new_form(ask).read(posted)
    reference = posted.get("reference")
    if not reference:
        _candidates(ask, form)
        return form
    try:
        institution = create_institution_from_reference(ask.db, reference, kind=form.values.get("kind") or None,
                                                        actor=ask.who)
    except ProblemsFound as problems:
        _candidates(ask, form)
        from_problems(problems, form.sections[0].fields, ask._, form.refusal)
        return form
    return Saved("institutions", institution.id, ask._("{name} is added to the registry.", name=institution.name))


# --- the partner's own fields ------------------------------------------------------------------------


def _edit_form(ask: Ask) -> Form:
    stored = require(ask, "institutions", {"id": ask.url["institution"]}, "institution")
    form = Form(ask._("Edit {name}", name=stored["name"]), [Section(None, form_fields(Institution, EDITED))],
                version=editing.version(ask.db, "institutions", {"id": stored["id"]}), cancel=("institutions", stored["id"]))
    return form.show(stored)


def edit_save(ask: Ask, posted: Any) -> Form | Saved:
    stored = require(ask, "institutions", {"id": ask.url["institution"]}, "institution")
    form = _edit_form(ask).read(posted)
    form.version = posted.get(VERSION)
    record = validated(Institution, form, form.sections[0], editing.inputs(stored, "institutions"), ask._)
    if not isinstance(record, Institution):
        return form
    if record.name != stored["name"]:  # the name it went by stays searchable, as a former name
        record.names.append(InstitutionName(institution=record.id, name=stored["name"], kind="former"))
    return save_or_conflict(ask, "institution_edit", [record], [("institutions", {"id": stored["id"]}, form.version or "")],
                            form, lambda: _edit_form(ask), Saved("institutions", stored["id"], ask._("The partner is saved.")))


PAGES = (
    Page("institution_new", r"^/-/institutions/new$", "edit", new_show, new_save),
    Page("institution_edit", r"^/-/institutions/(?P<institution>[^/]+)/edit$", "edit", _edit_form, edit_save),
)
