"""Clinical placements for incoming medical students, and the catalogue of outgoing opportunities.

Placements follow the routine Region Skåne and Lund University agreed for international
medical students: a clinic (a unit of a hospital) announces how many students it can take a
year, usually 2-4, for exactly 4 weeks each; the faculty calls for places in April (for the
autumn term) and October (for the spring term), admits students and assigns them; the clinic
cannot choose its students, and any change to its commitment must come before the assignment.
The faculty coordinates each student's admission checklist (health check, insurance,
confidentiality, prior education, prerequisites, and the course certificate afterwards).

What the routine calls usual (2-4 places, 4 weeks) is checked by the PL checks rather than
refused here: the registry records what the clinics and students actually did, and a check
says where that departs from the routine, so a real exception can be waived with its reason.

Incoming students are kept by an applicant reference code only: no names, no birth dates,
no e-mail addresses. ``incoming_placements``, ``admission_checklist`` and
``placement_allocations`` are internal and never published.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import Field, computed_field, model_validator

from registry.countries import country_code
from registry.models.base import Children, Record
from registry.models.core import Count, NonEmpty, Text, Year
from registry.schema_types import Country, Indexed, Ref, Slug, Url

# --- enumerations -------------------------------------------------------------------


class Term(StrEnum):
    autumn = "autumn"
    spring = "spring"


class RoundStatus(StrEnum):
    """open: the call is out and clinics offer places; closed: no more offers;
    allocated: students are assigned, so admission is binding and offers are fixed."""

    open = "open"
    closed = "closed"
    allocated = "allocated"


class ChecklistItem(StrEnum):
    infection_control = "infection_control"  # smittskydd och hälsokontroll
    insurance = "insurance"
    confidentiality_agreement = "confidentiality_agreement"
    prior_education_review = "prior_education_review"
    prerequisites = "prerequisites"
    course_certificate = "course_certificate"  # after the placement


CHECKLIST_BEFORE_START = tuple(item.value for item in ChecklistItem if item is not ChecklistItem.course_certificate)


class ItemStatus(StrEnum):
    pending = "pending"
    in_progress = "in_progress"
    complete = "complete"
    not_met = "not_met"
    not_applicable = "not_applicable"


ITEM_DONE = (ItemStatus.complete.value, ItemStatus.not_applicable.value)


class PrerequisiteBasis(StrEnum):
    """The two ways a student qualifies: in the final year, or with a completed base
    placement in the subject."""

    final_year = "final_year"
    base_placement = "base_placement"


class OpportunityKind(StrEnum):
    courses = "courses"
    half_minor = "half_minor"
    research_internship = "research_internship"
    clinical_rotation = "clinical_rotation"
    elective = "elective"
    summer_school = "summer_school"
    online_course = "online_course"
    virtual_exchange = "virtual_exchange"


Specialty = Annotated[
    Slug, Indexed(), Field(description="medical specialty as a short code, e.g. cardiology, paediatrics, emergency-medicine")
]
Month = Annotated[int, Field(ge=1, le=12)]


# --- placement hosts and call rounds --------------------------------------------------


class PlacementHost(Record):
    """Clinics (units of a hospital or healthcare region) that take incoming medical students on
    4-week clinical placements: their specialty, how many students a year, when in the year they
    can supervise, and who supervises (a role, never a person's name)."""

    table: ClassVar[str] = "placement_hosts"
    label_column: ClassVar[str] = "unit"

    id: Slug
    institution: Annotated[
        Slug, Ref("institutions"), Field(description="the hospital (kind university_hospital or hospital_unit) the unit belongs to")
    ]
    unit: Annotated[NonEmpty, Field(description="the clinic or department, e.g. 'Department of Cardiology, Lund'")]
    specialty: Specialty
    places_per_year: Annotated[
        Count | None, Field(description="students the unit takes a year (the routine expects about 2-4)")
    ] = None
    weeks_per_place: Annotated[
        int, Field(ge=1, le=52, description="length of one placement in weeks (the routine allows only 4)")
    ] = 4
    available_months: Annotated[
        list[Month], Field(description="months (1-12) in which the head of the unit has approved supervising students")
    ] = []
    supervisor_role: Annotated[
        NonEmpty | None, Field(description="the role that supervises and signs the certificate, e.g. 'Clinical supervisor, Department of Cardiology'")
    ] = None
    contact_role: Annotated[NonEmpty | None, Field(description="the role the International Office writes to")] = None
    active: Annotated[bool, Indexed(), Field(description="the unit still takes part in the routine")] = True
    notes: Text | None = None


class PlacementPeriod(Record):
    """The 4-week periods of a call round in which placements run."""

    table: ClassVar[str] = "placement_periods"
    ordered: ClassVar = (("starts_on", "ends_on"),)

    id: Annotated[Slug, Field(description="e.g. 2026-autumn-p1")]
    round: Annotated[Slug, Ref("placement_rounds")]
    starts_on: Annotated[date, Indexed()]
    ends_on: date


class PlacementRound(Record):
    """Call rounds for clinical placement: the April call for the autumn term and the October
    call for the spring term, with the periods in which placements run."""

    table: ClassVar[str] = "placement_rounds"
    ordered: ClassVar = (("call_opens_on", "call_closes_on"), ("call_closes_on", "allocated_on"))
    children: ClassVar[Children] = {"periods": (PlacementPeriod, "round")}

    id: Annotated[Slug, Field(description="e.g. 2026-autumn")]
    term: Annotated[Term, Indexed()]
    year: Annotated[Year, Field(description="the calendar year the term begins in")]
    call_opens_on: date
    call_closes_on: date | None = None
    allocated_on: Annotated[date | None, Field(description="when students were assigned (admission is binding from then)")] = None
    status: Annotated[RoundStatus, Indexed()] = RoundStatus.open
    periods: list[PlacementPeriod] = []

    @model_validator(mode="after")
    def _call_comes_before_the_term(self) -> PlacementRound:
        term_begins = date(self.year, 8, 1) if self.term == Term.autumn else date(self.year, 1, 1)
        if self.call_opens_on >= term_begins:
            raise ValueError(
                f"the call for the {self.term} term {self.year} must open before {term_begins} "
                f"(April for the autumn term, October of the year before for the spring term), not {self.call_opens_on}"
            )
        for period in self.periods:
            if period.starts_on < self.call_opens_on:
                raise ValueError(f"period {period.id} starts ({period.starts_on}) before the call opens ({self.call_opens_on})")
        return self


class RoundOffer(Record):
    """How many students a unit takes in one period of a call round: its commitment, which
    may change only until students are assigned."""

    table: ClassVar[str] = "round_offers"
    primary_key: ClassVar[tuple[str, ...]] = ("host", "period")

    host: Annotated[Slug, Ref("placement_hosts")]
    period: Annotated[Slug, Ref("placement_periods")]
    places: Annotated[Count, Field(description="students the unit takes in this period")]


# --- incoming students ------------------------------------------------------------------


class AdmissionItem(Record):
    """One step of an incoming student's admission checklist, which the faculty coordinates:
    infection control and health check, insurance, confidentiality agreement, review of prior
    education, prerequisites, and the course certificate after the placement. Internal."""

    table: ClassVar[str] = "admission_checklist"
    primary_key: ClassVar[tuple[str, ...]] = ("placement", "item")

    placement: Annotated[Slug, Ref("incoming_placements")]
    item: ChecklistItem
    status: Annotated[ItemStatus, Indexed()] = ItemStatus.pending
    status_on: Annotated[date, Field(description="when the item reached its status")]
    basis: Annotated[
        PrerequisiteBasis | None,
        Field(description="for prerequisites: final year, or a completed base placement in the subject"),
    ] = None

    @model_validator(mode="after")
    def _basis_belongs_to_prerequisites(self) -> AdmissionItem:
        if self.item != ChecklistItem.prerequisites and self.basis is not None:
            raise ValueError(f"basis is recorded for prerequisites only, not for {self.item}")
        if self.item == ChecklistItem.prerequisites and self.status == ItemStatus.complete and self.basis is None:
            raise ValueError("prerequisites are complete only with their basis: final_year or base_placement")
        return self


class IncomingPlacement(Record):
    """An international medical student's application for a clinical placement in one call
    round, known by a reference code only (no name or other personal data), with the home
    institution, the specialty asked for and the admission checklist. Internal."""

    table: ClassVar[str] = "incoming_placements"
    children: ClassVar[Children] = {"checklist": (AdmissionItem, "placement")}

    id: Annotated[Slug, Field(description="the applicant's reference code; never a name")]
    round: Annotated[Slug, Ref("placement_rounds")]
    home_institution: Annotated[Slug, Ref("institutions")]
    specialty: Specialty
    withdrawn: Annotated[bool, Indexed()] = False
    checklist: list[AdmissionItem] = []


class PlacementAllocation(Record):
    """The faculty's assignment of an admitted student to a unit and period: from here the
    admission is binding and the unit's offer should not change. The clinic does not choose."""

    table: ClassVar[str] = "placement_allocations"
    primary_key: ClassVar[tuple[str, ...]] = ("placement",)
    ordered: ClassVar = (("starts_on", "ends_on"),)

    placement: Annotated[Slug, Ref("incoming_placements")]
    host: Annotated[Slug, Ref("placement_hosts")]
    period: Annotated[Slug, Ref("placement_periods")]
    starts_on: Annotated[date, Indexed()]
    ends_on: date
    allocated_on: date


# --- the catalogue of outgoing opportunities -----------------------------------------------


class OpportunityDestination(Record):
    """Where an outgoing opportunity leads: a partner institution (with the agreement that gives
    the place, when there is one), or a country when the student finds the place."""

    table: ClassVar[str] = "opportunity_destinations"
    primary_key: ClassVar[tuple[str, ...]] = ("opportunity", "place")
    exactly_one: ClassVar = (("institution", "country"),)

    opportunity: Annotated[Slug, Ref("opportunities")]
    institution: Annotated[Slug | None, Ref("institutions")] = None
    country: Country | None = None
    agreement: Annotated[
        Slug | None, Ref("agreements"), Field(description="the agreement behind the place, when there is one")
    ] = None

    @classmethod
    def shorthand(cls, item: Any) -> Any:
        """A bare string is a country when it reads as one ('BE', 'Belgium'), else an institution id."""
        if not isinstance(item, str):
            return item
        if item[:1].isupper():
            try:
                return {"country": country_code(item)}
            except ValueError:
                pass
        return {"institution": item}

    @computed_field(description="the institution id, or the country code when no institution is named")
    @property
    def place(self) -> str:
        return self.institution or self.country or ""


DURATION_BANDS = ((4, "up to 4 weeks"), (12, "5-12 weeks"), (20, "13-20 weeks"), (None, "over 20 weeks"))


class Opportunity(Record):
    """The outgoing opportunities each programme offers its students: when in the programme
    (study year and semester), what kind, for how many weeks, and where (each destination with
    the agreement behind it, when there is one). What students and programme leaders browse."""

    table: ClassVar[str] = "opportunities"
    label_column: ClassVar[str] = "title"
    ordered: ClassVar = (("weeks_min", "weeks_max"),)
    children: ClassVar[Children] = {"destinations": (OpportunityDestination, "opportunity")}

    id: Slug
    programme: Annotated[Slug, Ref("programmes")]
    title: NonEmpty
    kind: Annotated[OpportunityKind, Indexed()]
    study_year: Annotated[int, Field(ge=1, le=6, description="year of the programme, 1-6")]
    semester: Annotated[
        int | None, Field(ge=1, le=2, description="semester of that year (1 autumn, 2 spring); empty when either")
    ] = None
    weeks_min: Annotated[int, Field(ge=1, le=104, description="shortest stay in weeks")]
    weeks_max: Annotated[int, Field(ge=1, le=104, description="longest stay in weeks")]
    credits: Annotated[float, Field(ge=0, le=120)] | None = None
    mobility_window: Annotated[
        bool, Field(description="lies in the programme's mobility window: a period abroad that fits without delaying studies (action plan 1.1)")
    ] = False
    own_choice: Annotated[bool, Field(description="students may also find a destination themselves")] = False
    description: Text | None = None
    url: Url | None = None
    destinations: list[OpportunityDestination] = []

    @model_validator(mode="before")
    @classmethod
    def _weeks_shorthand(cls, data: Any) -> Any:
        """``weeks: 10`` is a fixed length; a missing maximum equals the minimum."""
        if isinstance(data, dict):
            data = dict(data)
            if "weeks" in data:
                weeks = data.pop("weeks")
                data.setdefault("weeks_min", weeks)
                data.setdefault("weeks_max", weeks)
            if data.get("weeks_min") is not None and data.get("weeks_max") is None:
                data["weeks_max"] = data["weeks_min"]
        return data

    @computed_field(description="the longest stay in bands students filter by: up to 4 weeks, 5-12, 13-20, over 20")
    @property
    def duration(self) -> str:
        return next(label for limit, label in DURATION_BANDS if limit is None or self.weeks_max <= limit)


# Read models for Datasette, declared here by the records they read: ``registry.views.all_views``
# collects them, so that ``ensure_schema`` creates them and ``publish`` recreates them like the core's own.
VIEWS = {
    "opportunity_catalogue": """
SELECT
  o.id, o.title, p.name_en AS programme, o.programme AS programme_id, p.cycle,
  o.study_year, o.semester, o.kind,
  CASE WHEN o.weeks_min = o.weeks_max THEN o.weeks_min || ' weeks'
       ELSE o.weeks_min || '-' || o.weeks_max || ' weeks' END AS weeks,
  o.weeks_min, o.weeks_max, o.duration,
  (SELECT json_group_array(country) FROM (
     SELECT DISTINCT coalesce(d.country, i.country) AS country FROM opportunity_destinations d
     LEFT JOIN institutions i ON i.id = d.institution WHERE d.opportunity = o.id ORDER BY 1)) AS countries,
  (SELECT group_concat(name, '; ') FROM (
     SELECT coalesce(i.name, d.country) AS name FROM opportunity_destinations d
     LEFT JOIN institutions i ON i.id = d.institution WHERE d.opportunity = o.id ORDER BY 1)) AS destinations,
  (SELECT json_group_array(agreement) FROM (
     SELECT DISTINCT d.agreement FROM opportunity_destinations d
     WHERE d.opportunity = o.id AND d.agreement IS NOT NULL ORDER BY 1)) AS agreements,
  o.own_choice, o.mobility_window, o.credits, o.description, o.url
FROM opportunities o JOIN programmes p ON p.id = o.programme""",
    "placement_round_overview": """
SELECT
  r.id, r.term, r.year, r.status, r.call_opens_on, r.call_closes_on, r.allocated_on,
  (SELECT count(*) FROM placement_periods pp WHERE pp.round = r.id) AS periods,
  (SELECT count(DISTINCT o.host) FROM round_offers o JOIN placement_periods pp ON pp.id = o.period
     WHERE pp.round = r.id AND o.places > 0) AS hosts_offering,
  (SELECT coalesce(sum(o.places), 0) FROM round_offers o JOIN placement_periods pp ON pp.id = o.period
     WHERE pp.round = r.id) AS places_offered,
  (SELECT count(*) FROM incoming_placements ip WHERE ip.round = r.id AND ip.withdrawn = 0) AS applicants,
  (SELECT count(*) FROM placement_allocations a JOIN incoming_placements ip ON ip.id = a.placement
     WHERE ip.round = r.id AND ip.withdrawn = 0) AS allocated
FROM placement_rounds r""",
}

__all__ = [
    "AdmissionItem",
    "CHECKLIST_BEFORE_START",
    "ChecklistItem",
    "DURATION_BANDS",
    "ITEM_DONE",
    "IncomingPlacement",
    "ItemStatus",
    "Opportunity",
    "OpportunityDestination",
    "OpportunityKind",
    "PlacementAllocation",
    "PlacementHost",
    "PlacementPeriod",
    "PlacementRound",
    "PrerequisiteBasis",
    "RoundOffer",
    "RoundStatus",
    "Term",
]
