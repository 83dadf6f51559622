"""Screening lists and what screening found: the lists imported, the entities on them, the
partners that match an entity, and a reviewer's decision on each such pair.

A list is loaded whole: its entities are its children, so reloading a list adds, updates
and removes entities in one logged transaction. Matches and decisions name an entity by
(list, entity_id); SQLite cannot point a single column at that composite key, so screening
keeps them consistent (a match whose entity left the list stops being current).
"""

from __future__ import annotations

import builtins  # RiskEntity has a field called "list"
import hashlib
import json
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import Field, StringConstraints, computed_field

from registry.models.base import Children, Record
from registry.models.core import Count, NonEmpty, ReviewerRole, Text
from registry.schema_types import Country, Indexed, Ref, Slug, SqlRule, Url
from registry.text import fold

EntityId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200),
    Field(description="the entity's id on its list (OpenSanctions id, FtM id, MISP uuid, or a slug of its name)"),
]
Timestamp = Annotated[datetime, Field(description="UTC date and time, ISO 8601")]


class RiskListKind(StrEnum):
    sanctions = "sanctions"
    defence_universities = "defence_universities"
    other = "other"


class RiskListFormat(StrEnum):
    opensanctions = "opensanctions"
    ftm = "ftm"
    csv = "csv"
    aspi = "aspi"


class RiskProxy(StrEnum):
    """ASPI's own rating is not in the MISP snapshot; this is derived from the categories."""

    very_high = "very_high"
    needs_review = "needs_review"


class MatchBand(StrEnum):
    probable = "probable"
    possible = "possible"


class ScreeningDecisionKind(StrEnum):
    not_the_same = "not_the_same"
    confirmed = "confirmed"


def entity_fingerprint(name: str, aliases: list[str], countries: list[str]) -> str:
    """A hash of what identifies a listed entity: its names and countries, folded and sorted,
    so that a reviewer's "not the same" lapses when the list changes who it describes, and
    not when it only reorders or re-cases the names."""
    names = sorted({fold(n) for n in [name, *aliases] if n and n.strip()})
    canonical = json.dumps({"names": names, "countries": sorted(set(countries))}, ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()[:16]


class RiskEntity(Record):
    """The organisations on an imported screening list, with every name they go by, their
    countries, categories, supervising agencies or sanctions programmes and research topics.
    The column internal_description holds the list publisher's own prose (ASPI's texts are not
    openly licensed): INTERNAL, never published."""

    table: ClassVar[str] = "risk_entities"
    primary_key: ClassVar[tuple[str, ...]] = ("list", "entity_id")
    label_column: ClassVar[str] = "name"

    list: Annotated[Slug, Ref("risk_lists")]
    entity_id: EntityId
    name: Annotated[NonEmpty, Field(description="the entity's main name on the list")]
    aliases: Annotated[
        builtins.list[NonEmpty], Field(description="other names: local-language, former, abbreviations and weak aliases")
    ] = []
    countries: Annotated[builtins.list[Country], Field(description="ISO 3166-1 alpha-2 codes the list gives")] = []
    categories: Annotated[builtins.list[NonEmpty], Field(description="the list's categories (ASPI) or source datasets")] = []
    supervising_agencies: Annotated[builtins.list[NonEmpty], Field(description="the bodies that run or supervise it (ASPI)")] = []
    programs: Annotated[builtins.list[NonEmpty], Field(description="sanctions programmes or measures that list it")] = []
    topics: Annotated[builtins.list[NonEmpty], Field(description="research areas (ASPI) or risk topics (OpenSanctions)")] = []
    risk_proxy: Annotated[
        RiskProxy | None,
        Indexed(),
        Field(description="a PROXY for ASPI's risk rating, derived from the categories (the snapshot lacks the rating)"),
    ] = None
    source_url: Annotated[Url | None, Field(description="the entity's page at the list's publisher")] = None
    internal_description: Annotated[
        Text | None,
        Field(description="INTERNAL: the publisher's own description; not openly licensed, never published"),
    ] = None

    @computed_field(description="hash of the entity's folded names and countries; a change voids 'not the same' decisions")
    @property
    def fingerprint(self) -> str:
        return entity_fingerprint(self.name, self.aliases, self.countries)


class RiskList(Record):
    """Screening lists imported into the registry: sanctions lists (OpenSanctions, FollowTheMoney
    exports), the ASPI China Defence Universities Tracker, or a plain CSV; with where each came
    from, when it was retrieved, under which licence, and when it was loaded."""

    table: ClassVar[str] = "risk_lists"
    children: ClassVar[Children] = {"entities": (RiskEntity, "list")}
    label_column: ClassVar[str] = "name"

    id: Slug
    name: NonEmpty
    kind: Annotated[RiskListKind, Indexed()]
    format: RiskListFormat
    source: Annotated[NonEmpty, Field(description="who publishes the list")]
    source_url: Url | None = None
    retrieved_on: Annotated[date | None, Field(description="when the file was downloaded from its publisher")] = None
    licence: NonEmpty | None = None
    loaded_at: Timestamp
    entity_count: Annotated[Count, Field(description="organisations loaded from the file")]
    notes: Annotated[Text | None, Field(description="caveats, e.g. that a risk level is a derived proxy")] = None
    entities: list[RiskEntity] = []


class RiskMatch(Record):
    """Partners whose names match an entity on a screening list, with the score, the band
    (probable: treat as the same unless a reviewer says otherwise; possible: a person decides),
    the name variants that matched and the aligned words as the explanation. A match not found
    by the latest screening of its list stays as history with current = 0."""

    table: ClassVar[str] = "risk_matches"
    primary_key: ClassVar[tuple[str, ...]] = ("list", "entity_id", "institution")
    ordered: ClassVar = (("first_seen", "last_seen"),)

    list: Annotated[Slug, Ref("risk_lists")]
    entity_id: Annotated[EntityId, Indexed()]
    institution: Annotated[Slug, Ref("institutions")]
    score: Annotated[float, Field(ge=0, le=1)]
    band: Annotated[MatchBand, Indexed()]
    institution_name: Annotated[NonEmpty, Field(description="the partner's name variant that matched")]
    entity_name: Annotated[NonEmpty, Field(description="the listed name variant that matched")]
    explanation: Annotated[
        dict[str, Any], Field(description="aligned name parts, penalties and how the score was reached")
    ] = {}
    first_seen: Timestamp
    last_seen: Timestamp
    current: Annotated[bool, Indexed(), Field(description="found by the latest screening of this list")] = True
    entity_fingerprint: Annotated[str, Field(description="the entity's fingerprint when last matched")]


class ScreeningDecision(Record):
    """A reviewer's decision on a partner and a listed entity: 'not the same' suppresses the pair
    in later screenings until the listed entity's names or countries change (its fingerprint);
    'confirmed' records that it is the same organisation."""

    table: ClassVar[str] = "screening_decisions"
    primary_key: ClassVar[tuple[str, ...]] = ("list", "entity_id", "institution")
    rules: ClassVar = (SqlRule("{decided_on} <= registry_today()", "a decision cannot be dated after today"),)

    list: Annotated[Slug, Ref("risk_lists")]
    entity_id: EntityId
    institution: Annotated[Slug, Ref("institutions")]
    decision: Annotated[ScreeningDecisionKind, Indexed()]
    reviewer_role: ReviewerRole
    decided_on: date
    reason: NonEmpty
    entity_fingerprint: Annotated[str, Field(description="the entity's fingerprint the decision was made on")]


__all__ = [
    "MatchBand",
    "RiskEntity",
    "RiskList",
    "RiskListFormat",
    "RiskListKind",
    "RiskMatch",
    "RiskProxy",
    "ScreeningDecision",
    "ScreeningDecisionKind",
    "entity_fingerprint",
]
