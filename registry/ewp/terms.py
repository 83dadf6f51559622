"""One EWP cooperation condition <-> one mobility term (core) plus its EWP remainder.

Both directions live here, next to each other, so the round trip is visible in one place.

Durations: EWP states a yearly total (``total-months-per-year`` for students,
``total-days-per-year`` for staff); the registry states a duration per place
(``months_per_place``, ``days_per_place``), which is what people compare across
agreements. Import divides the total by the mobilities per year (months to two decimals,
days to whole days, halves rounded up) and keeps the total exactly as written in
``ewp_iia_conditions``. Export writes that kept total back when the per-place figure still
derives from it, so an unchanged copy round-trips to the byte and keeps its iia-hash; when
someone has changed places or duration since, export writes places x duration instead.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal

from registry.ewp import document as doc
from registry.ewp.lexical import decimal_text
from registry.models.core import Direction, LanguageSkill, MobilityTerm, SubjectArea
from registry.models.ewp import EwpCondition, SkillDetail, SubjectDetail

_CENT = Decimal("0.01")


def months_per_place(total: str | None, places: int | None) -> float | None:
    if total is None or not places:
        return None
    return float((Decimal(total) / places).quantize(_CENT, ROUND_HALF_UP))


def days_per_place(total: str | None, places: int | None) -> int | None:
    if total is None or not places:
        return None
    return int((Decimal(total) / places).quantize(Decimal(1), ROUND_HALF_UP))


def yearly_total(kept: str | None, per_place: float | None, places: int | None, derive: Callable) -> str | None:
    """The total to write: the kept one while it still explains per_place, else places x per_place."""
    if per_place is None or not places:
        return None
    if kept is not None and derive(kept, places) == per_place:
        return kept
    return decimal_text(Decimal(str(per_place)) * places)


# --- EWP -> registry ----------------------------------------------------------------------


def to_records(
    condition: doc.Condition, *, agreement: str, term_no: int, home_hei: str, sending_contacts: list[str], receiving_contacts: list[str]
) -> tuple[dict, dict]:
    """The mobility term and the EWP remainder as mappings, for the models to validate."""
    outgoing = condition.sending_hei_id == home_hei
    places = condition.mobilities_per_year
    term = {
        "agreement": agreement,
        "term_no": term_no,
        "category": condition.category,
        "direction": Direction.outgoing.value if outgoing else Direction.incoming.value,
        "places_per_year": places,
        "months_per_place": months_per_place(condition.total_months_per_year, places),
        "days_per_place": days_per_place(condition.total_days_per_year, places),
        "first_academic_year": condition.first_academic_year,
        "last_academic_year": condition.last_academic_year,
        "eqf_levels": condition.eqf_levels,
        "subject_areas": [{"isced_code": a.isced_code, "clarification": a.clarification} for a in condition.subject_areas],
        "language_skills": [
            {
                "language": s.language,
                "cefr_level": s.cefr_level,
                "isced_code": s.subject_area.isced_code if s.subject_area else None,
            }
            for s in condition.language_skills
        ],
        "blended": bool(condition.blended),
        "other_terms": condition.other_info_terms,
    }
    skill_details = [
        {
            "language": s.language,
            "cefr_level": s.cefr_level,
            "isced_code": s.subject_area.isced_code if s.subject_area else None,
            "isced_clarification": s.subject_area.clarification if s.subject_area else None,
            "isced_v6_value": s.subject_area.isced_v6_value if s.subject_area else None,
            "not_yet_defined": s.not_yet_defined,
        }
        for s in condition.language_skills
        if s.not_yet_defined or (s.subject_area and (s.subject_area.clarification is not None or s.subject_area.isced_v6_value))
    ]
    remainder = {
        "agreement": agreement,
        "term_no": term_no,
        "sending_ounit_id": condition.sending_ounit_id,
        "receiving_ounit_id": condition.receiving_ounit_id,
        "total_months_per_year": condition.total_months_per_year,
        "total_days_per_year": condition.total_days_per_year,
        "mobilities_not_yet_defined": condition.mobilities_not_yet_defined,
        "skill_details": skill_details,
        "subject_details": [
            {"isced_code": a.isced_code, "isced_v6_value": a.isced_v6_value} for a in condition.subject_areas if a.isced_v6_value
        ],
        "sending_contacts": sending_contacts,
        "receiving_contacts": receiving_contacts,
        "lexical": condition.lexical,
    }
    return term, remainder


# --- registry -> EWP ----------------------------------------------------------------------


def _skill(skill: LanguageSkill, details: list[SkillDetail]) -> doc.LanguageSkill:
    detail = next(
        (d for d in details if (d.language, d.cefr_level, d.isced_code) == (skill.language, skill.cefr_level, skill.isced_code)),
        None,
    )
    if detail is not None:
        details.remove(detail)  # each detail explains one skill
    area = None
    if skill.isced_code:
        area = doc.SubjectArea(
            isced_code=skill.isced_code,
            isced_v6_value=detail.isced_v6_value if detail else None,
            clarification=detail.isced_clarification if detail else None,
        )
    return doc.LanguageSkill(
        language=skill.language, cefr_level=skill.cefr_level, subject_area=area, not_yet_defined=bool(detail and detail.not_yet_defined)
    )


def _subject(area: SubjectArea, details: list[SubjectDetail]) -> doc.SubjectArea:
    v6 = next((d.isced_v6_value for d in details if d.isced_code == area.isced_code), None)
    return doc.SubjectArea(isced_code=area.isced_code, isced_v6_value=v6, clarification=area.clarification)


def to_condition(
    term: MobilityTerm,
    remainder: EwpCondition | None,
    *,
    home_hei: str,
    partner_hei: str,
    sending_contacts: list[doc.Contact],
    receiving_contacts: list[doc.Contact],
) -> doc.Condition:
    """The condition a stored term states (places_per_year must be set: the caller checks)."""
    outgoing = term.direction == Direction.outgoing.value
    rest = remainder or EwpCondition(agreement=term.agreement, term_no=term.term_no)
    student = term.category in doc.STUDENT_CATEGORIES
    places = term.places_per_year
    skill_details = list(rest.skill_details)
    return doc.Condition(
        category=term.category,
        sending_hei_id=home_hei if outgoing else partner_hei,
        sending_ounit_id=rest.sending_ounit_id,
        sending_contacts=sending_contacts,
        receiving_hei_id=partner_hei if outgoing else home_hei,
        receiving_ounit_id=rest.receiving_ounit_id,
        receiving_contacts=receiving_contacts,
        first_academic_year=term.first_academic_year,
        last_academic_year=term.last_academic_year,
        mobilities_per_year=places,
        mobilities_not_yet_defined=rest.mobilities_not_yet_defined,
        language_skills=[_skill(s, skill_details) for s in term.language_skills],
        subject_areas=[_subject(a, rest.subject_details) for a in term.subject_areas],
        other_info_terms=term.other_terms,
        total_months_per_year=yearly_total(rest.total_months_per_year, term.months_per_place, places, months_per_place)
        if student
        else None,
        total_days_per_year=None
        if student
        else yearly_total(rest.total_days_per_year, term.days_per_place, places, days_per_place),
        blended=term.blended if student else None,
        eqf_levels=term.eqf_levels if student else [],
        lexical=rest.lexical,
    )
