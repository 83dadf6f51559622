"""A new agreement from scratch: the partner picked by name, its kind, programmes, dates and a
term for each direction, saved as one record with its parties, programmes and terms."""

from __future__ import annotations

from typing import Any

from registry import editing
from registry.forms.agreement_pages import programme_field
from registry.forms.fields import FormField, form_fields
from registry.forms.form import Form, Section, validated
from registry.forms.pages import Ask, Page, Saved, save_or_conflict
from registry.forms.partners import pick
from registry.models import Agreement, MobilityTerm
from registry.models.core import AgreementStatus, Direction

AGREEMENT_FIELDS = ("title", "kind", "status", "signed_on", "starts_on", "ends_on", "renewal", "notice_months", "home_unit",
                    "coordinator", "agreement_code", "confidential", "personal_data", "notes")
TERM_FIELDS = ("category", "places_per_year", "months_per_place", "days_per_place", "first_academic_year",
               "last_academic_year", "eqf_levels", "subject_areas", "language_skills")
NEW_STATUSES = (AgreementStatus.draft, AgreementStatus.negotiating, AgreementStatus.active)
DIRECTIONS = {Direction.outgoing: "Outgoing mobility (from us to the partner)",
              Direction.incoming: "Incoming mobility (from the partner to us)"}


def _form(ask: Ask) -> Form:
    partner = FormField("partner", "Partner", "picker", required=True, references="institutions",
                        help="type a few letters of any of its names and choose it")
    unit = FormField("partner_unit", "Partner's unit", "text", help="faculty or department that is party")
    fields = form_fields(Agreement, AGREEMENT_FIELDS)
    fields[2].choices = [(value, text) for value, text in fields[2].choices if value in NEW_STATUSES]
    sections = [Section(None, [fields[0], partner, unit, *fields[1:], programme_field(ask)])]
    for direction, title in DIRECTIONS.items():
        term = form_fields(MobilityTerm, TERM_FIELDS)
        term[0].required = False
        sections.append(Section(ask._(title), term, prefix=f"{direction}.",
                                note=ask._("Leave the category empty for no term in this direction.")))
    form = Form(ask._("New agreement"), sections, submit=ask._("Save the agreement"))
    form.values = {"status": AgreementStatus.draft.value, "renewal": "none"}
    return form


def show(ask: Ask) -> Form:
    form = _form(ask)
    if ask.query.get("partner"):
        found = ask.db.conn.execute("SELECT id, name FROM institutions WHERE id = ?", [ask.query["partner"]]).fetchone()
        if found:
            form.values.update({"partner": found[1], "partner_id": found[0]})
    return form


def _partner(ask: Ask, form: Form, posted: Any) -> str | None:
    picked = pick(ask.db, form.values.get("partner") or "", posted.get("partner_id"))
    if picked.institution:
        form.values["partner_id"] = picked.institution
    elif picked.choices:
        form.refusal.add("partner", ask._("Several partners go by that name: choose one."))
        form.found = [{"input": "partner_id", "value": value, "label": label} for value, label in picked.choices]
    elif form.values.get("partner"):
        form.refusal.add("partner", ask._("No partner of that name is in the registry: add it from the reference "
                                          "registry first (Add a partner)."))
    else:
        form.refusal.add("partner", ask._("{label} is required.", label=ask._("Partner")))
    return picked.institution


def _terms(ask: Ask, form: Form, agreement_id: str) -> list[dict[str, Any]]:
    terms: list[dict[str, Any]] = []
    for direction in DIRECTIONS:
        section = form.section(f"{direction}.")
        given = form.given(section)
        if not given.get("category"):
            if any(value not in (None, []) for value in given.values()):
                form.refusal.add(f"{direction}.category", ask._("Choose a category for this term, or empty its fields."))
            continue
        record = validated(MobilityTerm, form, section, {}, ask._,
                           {"agreement": agreement_id, "term_no": len(terms) + 1, "direction": direction.value})
        if record is not None:
            terms.append(record.model_dump(mode="json"))
    return terms


def save(ask: Ask, posted: Any) -> Form | Saved:
    form = _form(ask).read(posted)
    partner = _partner(ask, form, posted)
    agreement_id = editing.new_id(ask.db, "agreements", form.values.get("title") or "agreement")
    terms = _terms(ask, form, agreement_id)
    home = editing.home_institution(ask.db)
    parties: list[dict[str, Any]] = [{"institution": home, "role": "home"}] if home and home != partner else []
    if partner:
        parties.append({"institution": partner, "role": "partner", "unit": form.values.get("partner_unit") or None})
    chosen = [p for p in form.values.get("programmes") or [] if p in {value for value, _ in form.sections[0].fields[-1].choices}]
    record = validated(Agreement, form, form.sections[0], {}, ask._,
                       {"id": agreement_id, "parties": parties, "programmes": chosen, "mobility_terms": terms})
    if record is None or form.refusal:
        return form
    return save_or_conflict(ask, "agreement_new", [record], [], form, lambda: form,
                            Saved("agreements", agreement_id, ask._("The agreement is saved.")), new=True)


PAGE = Page("agreement_new", r"^/-/agreements/new$", "edit", show, save)
