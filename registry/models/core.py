"""The registry's core records: institutions, networks, programmes, agreements, people, reviews.

Nested lists named in a record's ``children`` are stored in their own tables, so a YAML file
can describe an agreement with its parties and terms in one place.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    computed_field,
    model_validator,
)

from registry.models import limits
from registry.models.base import Children, Record
from registry.models.health import health_evidence
from registry.schema_types import (
    AcademicYear,
    Country,
    EmailAddress,
    Indexed,
    IscedCode,
    IscedLevel,
    Labelled,
    Ref,
    RorId,
    Slug,
    SqlRule,
    Url,
)
from registry.text import fold

NonEmpty = Annotated[str, StringConstraints(min_length=1, max_length=2000)]


def language_tag(text: Any) -> Any:
    """A language tag in BCP 47's letter case: ``EN`` -> ``en``, ``sr-latn-rs`` -> ``sr-Latn-RS``."""
    if not isinstance(text, str):
        return text
    parts = text.strip().split("-")
    out, private = [parts[0].lower()], len(parts[0]) == 1
    for part in parts[1:]:
        private = private or len(part) == 1  # after a singleton (x-...) every subtag is lower case
        if not private and len(part) == 2 and part.isalpha():
            out.append(part.upper())  # region
        elif not private and len(part) == 4 and part.isalpha():
            out.append(part.title())  # script
        else:
            out.append(part.lower())
    return "-".join(out)


Text = Annotated[str, StringConstraints(max_length=20000)]
LanguageCode = Annotated[
    str,
    BeforeValidator(language_tag),
    StringConstraints(pattern=r"^[a-z]{1,8}(-[A-Za-z0-9]{1,8})*$"),
    Field(description="language tag (xs:language, BCP 47): ISO 639 code, optionally script and region (sr-Latn-RS)"),
]
AgreementCode = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Count = Annotated[int, Field(ge=0)]
# Degrees to 7 decimals (about a centimetre): a spreadsheet keeps 15 significant digits, so a
# coordinate with more would come back changed from an export to XLSX and its import.
Degrees = Annotated[float, AfterValidator(lambda value: round(value, 7))]
Year = Annotated[int, Field(ge=1000, le=2200)]


# --- enumerations -------------------------------------------------------------------


class InstitutionKind(Labelled):
    university = "university"
    university_hospital = "university_hospital", "University hospital"
    hospital_unit = "hospital_unit", "Hospital unit"
    municipality = "municipality"
    agency = "agency", "Government agency"
    company = "company"
    other = "other"


class NameKind(Labelled):
    official = "official"
    local = "local"
    alias = "alias"
    acronym = "acronym"
    former = "former"


class MembershipRole(Labelled):
    member = "member"
    founding_member = "founding_member"
    coordinator = "coordinator"
    associate = "associate"


class Cycle(Labelled):
    first = "first", "First cycle (bachelor)"
    second = "second", "Second cycle (master)"
    third = "third", "Third cycle (doctorate)"


class AgreementKind(Labelled):
    student_exchange = "student_exchange"
    erasmus_iia = "erasmus_iia", "Erasmus+ inter-institutional agreement"
    staff_mobility = "staff_mobility"
    double_degree = "double_degree"
    joint_degree = "joint_degree"
    joint_phd = "joint_phd", "Joint PhD"
    clinical_placement = "clinical_placement"
    research = "research"
    framework_mou = "framework_mou", "Framework agreement (MoU)"
    municipal_cooperation = "municipal_cooperation"
    twin_town = "twin_town", "Twin towns"


MOBILITY_KINDS = (
    AgreementKind.student_exchange,
    AgreementKind.erasmus_iia,
    AgreementKind.staff_mobility,
    AgreementKind.clinical_placement,
)


class AgreementStatus(Labelled):
    draft = "draft"
    negotiating = "negotiating"
    active = "active"
    suspended = "suspended"
    expired = "expired"
    terminated = "terminated"


# The statuses an agreement may move to from each. A terminated agreement stays terminated; an
# expired one comes back through a renewal (a new end date). Whether its end date allows it:
# ``status_changes``.
STATUS_CHANGES: dict[str, tuple[str, ...]] = {
    AgreementStatus.draft: (AgreementStatus.negotiating, AgreementStatus.active, AgreementStatus.terminated),
    AgreementStatus.negotiating: (AgreementStatus.draft, AgreementStatus.active, AgreementStatus.terminated),
    AgreementStatus.active: (AgreementStatus.suspended, AgreementStatus.expired, AgreementStatus.terminated),
    AgreementStatus.suspended: (AgreementStatus.active, AgreementStatus.expired, AgreementStatus.terminated),
    AgreementStatus.expired: (AgreementStatus.active, AgreementStatus.terminated),
    AgreementStatus.terminated: (),
}


def status_changes(status: str, ends_on: date | None, today: date) -> list[str]:
    """The statuses an agreement of ``status`` ending ``ends_on`` may move to on ``today``: active
    only while its end date has not passed, expired only once it has."""
    allowed = []
    for candidate in STATUS_CHANGES.get(status, ()):
        if candidate == AgreementStatus.active and ends_on is not None and ends_on < today:
            continue
        if candidate == AgreementStatus.expired and (ends_on is None or ends_on >= today):
            continue
        allowed.append(str(candidate))
    return allowed


class Renewal(Labelled):
    none = "none", "No renewal"
    automatic = "automatic", "Renewed automatically"
    by_agreement = "by_agreement", "Renewed by agreement"


class PartyRole(Labelled):
    home = "home"
    partner = "partner"
    coordinator = "coordinator"
    associate = "associate"


class MobilityCategory(Labelled):
    student_studies = "student_studies", "Student mobility for studies"
    student_traineeship = "student_traineeship", "Student traineeship"
    staff_teaching = "staff_teaching", "Staff mobility for teaching"
    staff_training = "staff_training", "Staff mobility for training"


class Direction(Labelled):
    """Seen from the home institution: outgoing leaves it, incoming comes to it."""

    outgoing = "outgoing"
    incoming = "incoming"


class Cefr(Labelled):
    A1 = "A1"
    A2 = "A2"
    B1 = "B1"
    B2 = "B2"
    C1 = "C1"
    C2 = "C2"


class DegreeKind(Labelled):
    double_degree = "double_degree"
    joint_degree = "joint_degree"
    cotutelle = "cotutelle"


class ReviewOutcome(Labelled):
    approved = "approved"
    approved_with_conditions = "approved_with_conditions"
    rejected = "rejected"
    escalated = "escalated"


class ReviewerRole(Labelled):
    international_coordinator = "international_coordinator"
    due_diligence_reviewer = "due_diligence_reviewer"
    head_of_international_office = "head_of_international_office"
    faculty_management = "faculty_management"
    legal_counsel = "legal_counsel"
    security_officer = "security_officer"
    export_control_officer = "export_control_officer"


class Answer(Labelled):
    yes = "yes"
    no = "no"
    unknown = "unknown"
    not_applicable = "not_applicable"


# --- institutions and networks -------------------------------------------------------


class InstitutionName(Record):
    """Every name an institution goes by: official, local-language, alias, acronym and former
    names, with their language. Search and name matching read this table."""

    table: ClassVar[str] = "institution_names"
    primary_key: ClassVar[tuple[str, ...]] = ("institution", "name")

    institution: Annotated[Slug, Ref("institutions")]
    name: NonEmpty
    kind: NameKind = NameKind.alias
    language: LanguageCode | None = None

    @classmethod
    def shorthand(cls, item: Any) -> Any:
        return {"name": item} if isinstance(item, str) else item

    @computed_field(description="the name case-folded and transliterated to ASCII, for search and matching")
    @property
    def name_folded(self) -> str:
        return fold(self.name)


class Institution(Record):
    """Universities, hospitals, municipalities and other bodies that are partners, network
    members or the home institution itself."""

    table: ClassVar[str] = "institutions"
    children: ClassVar[Children] = {"names": (InstitutionName, "institution")}
    label_column: ClassVar[str] = "name"

    id: Slug
    name: Annotated[NonEmpty, Field(description="name in English, as the office uses it")]
    local_name: Annotated[NonEmpty | None, Field(description="official name in the local language")] = None
    acronym: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = None
    kind: Annotated[InstitutionKind, Indexed()] = InstitutionKind.university
    country: Country
    city: Annotated[NonEmpty | None, Indexed()] = None
    website: Url | None = None
    ror: Annotated[RorId | None, Indexed(), Field(description="Research Organization Registry id")] = None
    erasmus_code: Annotated[
        str | None,
        StringConstraints(pattern=r"^[A-Z]{1,3} *[A-Z-]+[0-9]{2,3}$", to_upper=True),
        Indexed(),
        Field(description="Erasmus institution code, e.g. 'S  LUND01' or 'F  PARIS009'"),
    ] = None
    schac: Annotated[
        str | None,
        StringConstraints(pattern=r"^[a-z0-9-]+(\.[a-z0-9-]+)+$", to_lower=True),
        Indexed(),
        Field(description="SCHAC code (the EWP hei-id), usually the main web domain"),
    ] = None
    pic: Annotated[str | None, StringConstraints(pattern=r"^\d{9}$"), Field(description="EU Participant Identification Code")] = None
    latitude: Annotated[Degrees, Field(ge=-90, le=90)] | None = None
    longitude: Annotated[Degrees, Field(ge=-180, le=180)] | None = None
    is_home: Annotated[bool, Field(description="the registry's own institution")] = False
    medical_faculty: Annotated[
        bool | None,
        Field(description="has a faculty, school or hospital of medicine or the health sciences "
                          "(empty: unknown; filled from ROR, the kind or the names when not given)"),
    ] = None
    medical_faculty_source: Annotated[
        NonEmpty | None, Field(description="how the registry knows whether it has a medical or health faculty")
    ] = None
    names: list[InstitutionName] = []

    @model_validator(mode="after")
    def _medical_faculty_known(self) -> Institution:
        """Unknown is filled from what the record says (a hospital, a ROR unit, a name), never
        an answer given: the office's yes or no stands. Set without marking the field as given,
        so an import that does not mention it never overwrites a stored answer."""
        if self.medical_faculty is None:
            # every name the record will carry (``_names_include_own`` lists the local name and the
            # acronym after this runs): read from the store again, the record must derive the same
            own = [name for name in (self.name, self.local_name, self.acronym) if name]
            evidence = health_evidence(self.kind, self.ror, [*own, *(n.name for n in self.names)])
            if evidence:
                self.__dict__["medical_faculty"] = True
                self.__dict__["medical_faculty_source"] = self.medical_faculty_source or f"derived: {evidence}"
        return self

    @model_validator(mode="after")
    def _names_include_own(self) -> Institution:
        """The name, local name and acronym are names too: list them so search finds them."""
        own = [(self.name, NameKind.official), (self.local_name, NameKind.local), (self.acronym, NameKind.acronym)]
        known = {n.name for n in self.names}
        for value, kind in own:
            if value and value not in known:
                self.names.append(InstitutionName(institution=self.id, name=value, kind=kind))
                known.add(value)
        wrong = [n.institution for n in self.names if n.institution != self.id]
        if wrong:
            raise ValueError(f"names belong to {wrong[0]!r}, not to {self.id!r}")
        return self


class Membership(Record):
    """An institution's membership of a network, with the years it began and ended."""

    table: ClassVar[str] = "memberships"
    primary_key: ClassVar[tuple[str, ...]] = ("network", "institution")
    ordered: ClassVar = (("since", "until"),)

    network: Annotated[Slug, Ref("networks")]
    institution: Annotated[Slug, Ref("institutions")]
    role: MembershipRole = MembershipRole.member
    since: Year | None = None
    until: Year | None = None

    @classmethod
    def shorthand(cls, item: Any) -> Any:
        return {"institution": item} if isinstance(item, str) else item


class Network(Record):
    """University networks and alliances the faculty belongs to or works with: U21 Health
    Sciences Group, EUGLOH, LERU, GAME and others."""

    table: ClassVar[str] = "networks"
    children: ClassVar[Children] = {"members": (Membership, "network")}
    label_column: ClassVar[str] = "name"

    id: Slug
    name: NonEmpty
    acronym: str | None = None
    description: Text | None = None
    website: Url | None = None
    strategic: Annotated[bool, Field(description="named as strategic in the faculty's action plan (3.1)")] = False
    source_url: Annotated[Url | None, Field(description="where the membership list was read")] = None
    retrieved_on: Annotated[date | None, Field(description="when the membership list was read")] = None
    members: list[Membership] = []


# --- the home faculty's programmes ----------------------------------------------------


class Programme(Record):
    """The home faculty's own study programmes, with the action plan's internationalisation
    goals: a mobility window, virtual exchange, parts in English and CIM activities."""

    table: ClassVar[str] = "programmes"
    label_column: ClassVar[str] = "name_en"

    id: Slug
    name_en: NonEmpty
    name_sv: NonEmpty
    cycle: Annotated[Cycle, Indexed()]
    credits: Annotated[float, Field(ge=0, le=600)] | None = None
    programme_code: str | None = None
    mobility_window: Annotated[
        Text | None, Field(description="where in the programme a period abroad fits, e.g. 'semester 9'")
    ] = None
    virtual_exchange: Annotated[bool, Field(description="the programme offers some virtual exchange (1.2)")] = False
    english_components: Annotated[bool, Field(description="courses or parts of courses in English (1.2)")] = False
    cim_activities: Annotated[bool, Field(description="Certificate of International Merits activities (1.1)")] = False


# --- agreements ----------------------------------------------------------------------


class AgreementParty(Record):
    """The institutions that are party to an agreement, with their unit and role."""

    table: ClassVar[str] = "agreement_parties"
    primary_key: ClassVar[tuple[str, ...]] = ("agreement", "institution")

    agreement: Annotated[Slug, Ref("agreements")]
    institution: Annotated[Slug, Ref("institutions")]
    role: Annotated[PartyRole, Indexed()] = PartyRole.partner
    unit: Annotated[NonEmpty | None, Field(description="faculty or department that is party")] = None

    @classmethod
    def shorthand(cls, item: Any) -> Any:
        return {"institution": item} if isinstance(item, str) else item


class AgreementProgramme(Record):
    """Which of the home faculty's programmes an agreement serves."""

    table: ClassVar[str] = "agreement_programmes"
    primary_key: ClassVar[tuple[str, ...]] = ("agreement", "programme")

    agreement: Annotated[Slug, Ref("agreements")]
    programme: Annotated[Slug, Ref("programmes")]

    @classmethod
    def shorthand(cls, item: Any) -> Any:
        return {"programme": item} if isinstance(item, str) else item


class SubjectArea(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    isced_code: IscedCode
    clarification: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _drop_stored_level(cls, data: Any) -> Any:
        """The level is derived from the code; a stored copy read back is not input."""
        if isinstance(data, dict) and "isced_level" in data:
            data = {k: v for k, v in data.items() if k != "isced_level"}
        return data

    @computed_field(description="broad (2 digits), narrow (3) or detailed (4) ISCED-F field")
    @property
    def isced_level(self) -> str:
        return IscedLevel[len(self.isced_code)]


class LanguageSkill(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, use_enum_values=True)

    language: LanguageCode
    cefr_level: Cefr | None = None
    isced_code: IscedCode | None = None


class MobilityTerm(Record):
    """The cooperation conditions of an agreement: who may go where, how many a year, for how
    long, at which levels, in which subjects and with which language skills. A teacher-mobility
    clause is a staff_teaching row."""

    table: ClassVar[str] = "mobility_terms"
    primary_key: ClassVar[tuple[str, ...]] = ("agreement", "term_no")
    ordered: ClassVar = (("first_academic_year", "last_academic_year"),)

    # The few virtual or blended terms, by agreement: AP03 asks whether a programme's agreements
    # have one, which otherwise reads every term of them (two million at a million agreements)
    agreement: Annotated[Slug, Ref("agreements"), Indexed(where="{virtual} = 1 OR {blended} = 1")]
    term_no: Annotated[int, Field(ge=1, description="position of the term within its agreement")]
    category: Annotated[MobilityCategory, Indexed()]
    direction: Annotated[Direction, Indexed()]
    places_per_year: Annotated[Count | None, Field(description="mobilities per academic year")] = None
    months_per_place: Annotated[float, Field(ge=0, le=60)] | None = None
    days_per_place: Annotated[int, Field(ge=0, le=366)] | None = None
    first_academic_year: AcademicYear | None = None
    last_academic_year: AcademicYear | None = None
    eqf_levels: Annotated[list[Annotated[int, Field(ge=1, le=8)]], Field(description="EQF levels 1-8")] = []
    subject_areas: list[SubjectArea] = []
    language_skills: list[LanguageSkill] = []
    blended: bool = False
    virtual: bool = False
    other_terms: Text | None = None


class DegreeTerm(Record):
    """Double, joint and cotutelle degree terms: which programmes, which level, which degrees,
    and how many students a year."""

    table: ClassVar[str] = "degree_terms"
    primary_key: ClassVar[tuple[str, ...]] = ("agreement", "term_no")

    agreement: Annotated[Slug, Ref("agreements")]
    term_no: Annotated[int, Field(ge=1)]
    kind: DegreeKind
    cycle: Cycle
    home_programme: Annotated[Slug | None, Ref("programmes")] = None
    partner_programme: NonEmpty | None = None
    degrees_awarded: Annotated[NonEmpty | None, Field(description="the degree or degrees a graduate receives")] = None
    students_per_year: Count | None = None


class MobilityFlow(Record):
    """How many people went out and came in under an agreement, per academic year, direction
    and category. Counts only: no personal data."""

    table: ClassVar[str] = "mobility_flows"
    primary_key: ClassVar[tuple[str, ...]] = ("agreement", "academic_year", "direction", "category")

    agreement: Annotated[Slug, Ref("agreements")]
    academic_year: Annotated[AcademicYear, Indexed()]
    direction: Direction
    category: MobilityCategory
    participants: Count
    total_months: Annotated[float, Field(ge=0)] | None = None


class Agreement(Record):
    """Bilateral and multilateral agreements: exchange, Erasmus inter-institutional agreements,
    double and joint degrees, placements, research MoUs and municipal cooperation."""

    table: ClassVar[str] = "agreements"
    label_column: ClassVar[str] = "title"
    ordered: ClassVar = (("starts_on", "ends_on"), ("signed_on", "ends_on"))
    children: ClassVar[Children] = {
        "parties": (AgreementParty, "agreement"),
        "programmes": (AgreementProgramme, "agreement"),
        "mobility_terms": (MobilityTerm, "agreement"),
        "degree_terms": (DegreeTerm, "agreement"),
        "flows": (MobilityFlow, "agreement"),
    }

    id: Slug
    title: NonEmpty
    kind: Annotated[AgreementKind, Indexed(then=("title", "id"))]
    status: Annotated[AgreementStatus, Indexed(then=("ends_on", "id", "kind"))]
    signed_on: date | None = None
    starts_on: date | None = None
    ends_on: Annotated[date | None, Indexed()] = None
    renewal: Renewal = Renewal.none
    notice_months: Annotated[int | None, Field(ge=0, le=120, description="notice period for termination")] = None
    exit_clause: Annotated[bool | None, Field(description="the text lets either party leave")] = None
    home_unit: Annotated[NonEmpty | None, Indexed()] = None
    coordinator: Annotated[
        NonEmpty | None, Field(description="the role (not the person) that keeps the agreement")
    ] = None
    document_url: Url | None = None
    confidential: Annotated[bool, Field(description="kept out of the public database")] = False
    personal_data: Annotated[bool, Field(description="the cooperation moves personal or health data")] = False
    equitable_terms: Annotated[
        Text | None, Field(description="terms that make the partnership fair to a partner in a low-income country")
    ] = None
    agreement_code: Annotated[
        AgreementCode | None, Indexed(unique=True),
        Field(description="the office's own code for the agreement (e.g. 'LU-MED-2024-001'): free text, unique"),
    ] = None
    ewp_iia_id: Annotated[str | None, Indexed(), Field(description="Erasmus Without Paper IIA id")] = None
    notes: Text | None = None
    parties: list[AgreementParty] = []
    programmes: list[AgreementProgramme] = []
    mobility_terms: list[MobilityTerm] = []
    degree_terms: list[DegreeTerm] = []
    flows: list[MobilityFlow] = []


# --- people and decisions ---------------------------------------------------------------


class Contact(Record):
    """People or role addresses at either side. Personal data: internal only, never published."""

    table: ClassVar[str] = "contacts"

    id: Slug
    institution: Annotated[Slug, Ref("institutions")]
    # a contact named for one agreement (an EWP copy's, say) goes when the agreement is deleted
    agreement: Annotated[Slug | None, Ref("agreements", cascade=True)] = None
    role: NonEmpty
    name: NonEmpty | None = None
    email: EmailAddress | None = None
    phone: Annotated[str, StringConstraints(pattern=r"^\+?[0-9 ()./-]{5,30}$")] | None = None


class Review(Record):
    """Due-diligence decisions on a partner or an agreement, with the answers to the questions
    the responsible-engagement guidelines ask and when the next review is due."""

    table: ClassVar[str] = "reviews"
    ordered: ClassVar = (("reviewed_on", "next_review_due"),)
    exactly_one: ClassVar = (("institution", "agreement"),)
    rules: ClassVar = (
        SqlRule("{reviewed_on} <= registry_today()", "a review cannot be dated after today"),
        SqlRule("{next_review_due} > {reviewed_on}", "the next review is due after the review itself"),
        SqlRule(
            f"{{next_review_due}} <= date({{reviewed_on}}, '+{limits.review_next_due_years()} years')",
            f"the next review is due at most {limits.review_next_due_years()} years after the review "
            "(data/criteria.yml review.next_due_at_most_years)",
        ),
    )

    id: Slug
    institution: Annotated[Slug | None, Ref("institutions")] = None
    agreement: Annotated[Slug | None, Ref("agreements")] = None
    reviewed_on: date
    reviewer_role: ReviewerRole
    outcome: Annotated[ReviewOutcome, Indexed()]
    conditions: Text | None = None
    next_review_due: Annotated[date | None, Indexed()] = None
    military_or_security_links: Annotated[Answer | None, Field(description="does the partner have military or security links?")] = None
    funding_transparent: Annotated[Answer | None, Field(description="is the partner's funding transparent?")] = None
    export_control_assessed: Annotated[Answer | None, Field(description="has an export-control assessment been made?")] = None
    equitable_terms: Annotated[Answer | None, Field(description="are the terms equitable for both sides?")] = None
    notes: Text | None = None
    reviewed_by: Annotated[NonEmpty | None, Field(description="the login that recorded the review")] = None


