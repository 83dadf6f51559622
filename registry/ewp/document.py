"""An IIA as the EWP IIAs API v7 ``get`` response states it, independent of any registry.

Conditions name institutions by hei-id (sending and receiving), not by direction, so two
partners' copies of one agreement can be compared without knowing whose registry this is.
Field names follow the registry's vocabulary where the meaning is the same
(``first_academic_year``, ``eqf_levels``); the element each field comes from is in
``reader.py`` and ``writer.py``.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from registry.models.core import MobilityCategory

IIA_NS = "https://github.com/erasmus-without-paper/ewp-specs-api-iias/blob/stable-v7/endpoints/get-response.xsd"
IIA_SCHEMA_URL = "https://raw.githubusercontent.com/erasmus-without-paper/ewp-specs-api-iias/stable-v7/endpoints/get-response.xsd"
CONTACT_NS = "https://github.com/erasmus-without-paper/ewp-specs-types-contact/tree/stable-v1"
PHONE_NS = "https://github.com/erasmus-without-paper/ewp-specs-types-phonenumber/tree/stable-v1"
ADDRESS_NS = "https://github.com/erasmus-without-paper/ewp-specs-types-address/tree/stable-v1"
INSTITUTIONS_NS = "https://github.com/erasmus-without-paper/ewp-specs-api-institutions/tree/stable-v2"
APPROVAL_NS = "https://github.com/erasmus-without-paper/ewp-specs-api-iias-approval/tree/stable-v2"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XML_NS = "http://www.w3.org/XML/1998/namespace"

# the element of each cooperation condition, in the order the XSD requires them
CATEGORY_ELEMENTS: dict[str, str] = {
    MobilityCategory.student_studies.value: "student-studies-mobility-spec",
    MobilityCategory.student_traineeship.value: "student-traineeship-mobility-spec",
    MobilityCategory.staff_teaching.value: "staff-teacher-mobility-spec",
    MobilityCategory.staff_training.value: "staff-training-mobility-spec",
}
ELEMENT_CATEGORIES = {element: category for category, element in CATEGORY_ELEMENTS.items()}
STUDENT_CATEGORIES = (MobilityCategory.student_studies.value, MobilityCategory.student_traineeship.value)
# the XSD requires at least one recommended language skill for these
SKILL_REQUIRED = (MobilityCategory.student_studies.value, MobilityCategory.staff_teaching.value)


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=True)


class Contact(_Part):
    """The parts of an EWP contact the registry keeps: a name (a person or an office), the
    first e-mail, the first phone number and the role description."""

    name: str
    email: str | None = None
    phone: str | None = None
    role: str | None = None


class SubjectArea(_Part):
    isced_code: str
    isced_v6_value: str | None = None
    clarification: str | None = None


class LanguageSkill(_Part):
    language: str
    cefr_level: str | None = None
    subject_area: SubjectArea | None = None
    not_yet_defined: bool = False


class Condition(_Part):
    """One unidirectional cooperation condition (a ``*-mobility-spec`` element)."""

    category: MobilityCategory
    sending_hei_id: str
    sending_ounit_id: str | None = None
    sending_contacts: list[Contact] = []
    receiving_hei_id: str
    receiving_ounit_id: str | None = None
    receiving_contacts: list[Contact] = []
    first_academic_year: str
    last_academic_year: str
    mobilities_per_year: int
    mobilities_not_yet_defined: bool = False
    language_skills: list[LanguageSkill] = []
    subject_areas: list[SubjectArea] = []
    other_info_terms: str | None = None
    total_months_per_year: str | None = None  # students; decimal text as written
    total_days_per_year: str | None = None  # staff
    blended: bool | None = None  # students only (required there)
    eqf_levels: list[int] = []
    lexical: dict[str, str] = Field(
        default={}, description="texts the copy wrote otherwise than the canonical form, by path (see ``lexical``)"
    )
    line: int | None = Field(default=None, exclude=True, description="where the condition starts in its file")

    @property
    def element(self) -> str:
        return CATEGORY_ELEMENTS[self.category]


class Partner(_Part):
    hei_id: str
    ounit_id: str | None = None
    iia_id: str | None = None
    iia_code: str | None = None
    signing_contact: Contact | None = None
    signing_date: date | None = None
    contacts: list[Contact] = []


class Iia(_Part):
    """One IIA copy: the first partner is the institution whose copy it is."""

    partners: list[Partner]
    in_effect: bool
    conditions: list[Condition] = []
    terminated_as_a_whole: bool = False
    iia_hash: str
    pdf_file: str | None = None
    line: int | None = Field(default=None, exclude=True)
    content_hash: str | None = Field(
        default=None, exclude=True, description="the iia-hash computed from the copy's content when it was read"
    )

    def snapshot(self) -> dict:
        """The copy without its contacts (personal data, and no part of the iia-hash), as
        kept for an approved copy."""
        data = self.model_dump(mode="json")
        for partner in data["partners"]:
            partner.update(signing_contact=None, contacts=[])
        for condition in data["conditions"]:
            condition.update(sending_contacts=[], receiving_contacts=[])
        return data

    def partner(self, hei_id: str) -> Partner | None:
        return next((p for p in self.partners if p.hei_id == hei_id), None)

    def label(self) -> str:
        first = self.partners[0] if self.partners else None
        ident = (first.iia_code or first.iia_id) if first else None
        heis = " / ".join(p.hei_id for p in self.partners)
        return f"IIA {ident} ({heis})" if ident else f"IIA ({heis})"


class Hei(_Part):
    """An institution as the EWP Institutions API v2 describes it."""

    hei_id: str
    erasmus_code: str | None = None
    pic: str | None = None
    names: list[tuple[str | None, str]] = []  # (language, name), in document order
    abbreviation: str | None = None
    website: str | None = None
    country: str | None = None
    city: str | None = None
    line: int | None = Field(default=None, exclude=True)


class Approval(_Part):
    """One approval from an IIA Approval API v2 response: the partner approved the copy with
    this iia-id (ours) as it stood at this iia-hash."""

    iia_id: str
    iia_hash: str
    pdf_file: str | None = None
    line: int | None = Field(default=None, exclude=True)
