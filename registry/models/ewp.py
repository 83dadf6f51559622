"""What an Erasmus Without Paper (EWP) copy of an inter-institutional agreement says that the
core records do not: each partner's own IIA id and code, organisational units, the exact
yearly totals, the flags EWP v7 keeps for agreements approved under v6, and the approval.

An ``erasmus_iia`` agreement keeps its terms in the core tables (``agreements``,
``agreement_parties``, ``mobility_terms``, ``contacts``); the tables here sit beside it,
keyed by the same agreement id and term number, so that an imported copy can be written
back exactly and so that a change after approval can be found.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from registry.models.base import Children, Record
from registry.schema_types import Indexed, IscedCode, Ref, Slug

__all__ = ["EwpCondition", "EwpIia", "EwpPartner", "SkillDetail", "SubjectDetail"]

HeiId = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9-]+(\.[a-z0-9-]+)+$", to_lower=True),
    Field(description="SCHAC code of the institution (EWP hei-id)"),
]
# ewp:AsciiPrintableIdentifier: printable ASCII, 1 to 64 characters
EwpIdentifier = Annotated[str, StringConstraints(pattern=r"^[!-~]{1,64}$")]
Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$", to_lower=True)]
# xs:decimal > 0 with at most two fraction digits, kept as written so the copy round-trips
YearlyTotal = Annotated[str, StringConstraints(pattern=r"^[0-9]+(\.[0-9]{1,2})?$")]
FreeText = Annotated[str, StringConstraints(max_length=20000)]
# an element's text exactly as a copy wrote it: whitespace around it is part of the iia-hash
Spelling = Annotated[str, StringConstraints(strip_whitespace=False, max_length=20000)]


class EwpPartner(Record):
    """Each partner's side of an Erasmus inter-institutional agreement as EWP states it: its
    hei-id, its own IIA id (a surrogate key) and IIA code (the number people read), its
    organisational unit, when it signed and the contacts it names. Position 1 is the
    partner whose copy was imported."""

    table: ClassVar[str] = "ewp_iia_partners"
    primary_key: ClassVar[tuple[str, ...]] = ("agreement", "position")

    agreement: Annotated[Slug, Ref("agreements")]
    position: Annotated[int, Field(ge=1, le=2, description="1 for the partner whose copy this is, 2 for the other")]
    hei_id: Annotated[HeiId, Indexed()]
    institution: Annotated[Slug, Ref("institutions")]
    iia_id: Annotated[EwpIdentifier | None, Indexed(), Field(description="this partner's id of the IIA")] = None
    iia_code: Annotated[FreeText | None, Field(description="this partner's agreement number")] = None
    ounit_id: Annotated[EwpIdentifier | None, Field(description="the partner's organisational unit id")] = None
    signing_date: date | None = None
    signing_contact: Annotated[Slug | None, Ref("contacts")] = None
    contacts: Annotated[list[Slug], Field(description="ids of the contacts this partner names for the IIA")] = []


class SkillDetail(BaseModel):
    """EWP facts about one recommended language skill that ``LanguageSkill`` has no field for;
    matched to the skill by language, CEFR level and ISCED-F code."""

    model_config = ConfigDict(extra="forbid")

    language: str
    cefr_level: str | None = None
    isced_code: IscedCode | None = None
    isced_clarification: str | None = None
    isced_v6_value: str | None = None
    not_yet_defined: bool = False


class SubjectDetail(BaseModel):
    """The ISCED-F code an agreement approved under IIA v6 had (EWP v7 ``v6-value``)."""

    model_config = ConfigDict(extra="forbid")

    isced_code: IscedCode
    isced_v6_value: Annotated[str, StringConstraints(pattern=r"^[0-9]{1,3}$")]


class EwpCondition(Record):
    """The parts of an EWP cooperation condition the mobility term (same agreement and
    term_no) has no field for: organisational units, the yearly total of months or days
    exactly as written, and the v6 flags of agreements approved before IIA v7."""

    table: ClassVar[str] = "ewp_iia_conditions"
    primary_key: ClassVar[tuple[str, ...]] = ("agreement", "term_no")

    agreement: Annotated[Slug, Ref("agreements")]
    term_no: Annotated[int, Field(ge=1, description="the mobility term this condition belongs to")]
    sending_ounit_id: EwpIdentifier | None = None
    receiving_ounit_id: EwpIdentifier | None = None
    total_months_per_year: Annotated[
        YearlyTotal | None, Field(description="total mobility months per year, as the copy wrote it")
    ] = None
    total_days_per_year: Annotated[
        YearlyTotal | None, Field(description="total mobility days per year, as the copy wrote it")
    ] = None
    mobilities_not_yet_defined: Annotated[
        bool, Field(description="mobilities per year carried not-yet-defined (approved under v6)")
    ] = False
    skill_details: list[SkillDetail] = []
    subject_details: list[SubjectDetail] = []
    sending_contacts: list[Slug] = []
    receiving_contacts: list[Slug] = []
    lexical: Annotated[
        dict[str, Spelling],
        Field(description="elements the copy spelt otherwise than the registry writes them (02, 0, EN, whitespace), "
                          "by path in the condition: written back while the value is the same, so the copy keeps its hash"),
    ] = {}


class EwpIia(Record):
    """An Erasmus inter-institutional agreement as a copy in the EWP network (IIA API v7):
    whose copy is stored, its iia-hash, and the copy that was approved, so that a change
    after approval can be found."""

    table: ClassVar[str] = "ewp_iias"
    primary_key: ClassVar[tuple[str, ...]] = ("agreement",)
    children: ClassVar[Children] = {
        "partners": (EwpPartner, "agreement"),
        "conditions": (EwpCondition, "agreement"),
    }

    # the copy goes with its agreement (its partners and conditions already do, as children)
    agreement: Annotated[Slug, Ref("agreements", cascade=True)]
    copy_of: Annotated[HeiId, Field(description="hei-id of the partner whose copy this is (the first partner)")]
    iia_hash: Annotated[Sha256Hex, Field(description="the copy's iia-hash as the copy states it")]
    terminated_as_a_whole: bool = False
    pdf_file: FreeText | None = None
    approved_hash: Annotated[
        Sha256Hex | None, Field(description="iia-hash of the stored copy when it was approved")
    ] = None
    approved_at: Annotated[str | None, Indexed(), Field(description="when the approval was recorded (UTC)")] = None
    approved_watermark: Annotated[
        int | None, Field(ge=0, description="the last audit-log entry (changes.id) before the approval")
    ] = None
    approved_copy: Annotated[
        dict[str, Any] | None, Field(description="the approved copy, so a later copy can be compared field by field")
    ] = None
    partners: list[EwpPartner] = []
    conditions: list[EwpCondition] = []
