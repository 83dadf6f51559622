"""Records of name matching: reference registries, and people's "not the same" decisions.

The reference registries (ROR, the world-universities list) are not the registry's own
institutions but the lists partner names are resolved against; an institution created from
one of them carries its identifiers and names. ROR never deletes a record: an organisation
that merged or closed is kept as inactive or withdrawn, with a successor where there is one,
so that resolving can follow it.
"""

from __future__ import annotations

import functools
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import Field, StringConstraints, computed_field, model_validator

from registry.matching import normalize
from registry.models.base import Children, Record
from registry.models.core import NameKind, NonEmpty, Text
from registry.schema_types import Indexed, Ref, Slug, SqlCheck

ReferenceId = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9._:-]{0,127}$"),
    SqlCheck("length({column}) BETWEEN 1 AND 128 AND {column} NOT GLOB '*[^a-z0-9._:-]*'"),
    Field(description="the ROR id (without https://ror.org/) or 'hipo-' and the main web domain"),
]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$"), SqlCheck("{column} GLOB '[A-Z][A-Z]'"), Indexed()]


# A process that loads the shipped reference (60,000 names) more than once, as the tests and the demo do,
# or refreshes the stored forms just after writing them, normalises each distinct name once. Bounded: a
# full ROR dump's names do not all stay (about 15 MB for the shipped reference's 57,000 distinct names).
NORMALIZED_CACHE = 1 << 17
normalized = functools.lru_cache(maxsize=NORMALIZED_CACHE)(normalize)


class ReferenceSource(StrEnum):
    ror = "ror"
    hipo = "hipo"


class ReferenceStatus(StrEnum):
    active = "active"
    inactive = "inactive"
    withdrawn = "withdrawn"


class ReferenceName(Record):
    """Every name a reference organisation goes by, as its registry lists it, with the
    normalised form that name matching reads."""

    table: ClassVar[str] = "reference_names"
    audited: ClassVar[bool] = False  # external data, logged per load in reference_loads
    primary_key: ClassVar[tuple[str, ...]] = ("reference", "name")

    reference: Annotated[ReferenceId, Ref("reference_institutions")]
    name: NonEmpty
    kind: NameKind = NameKind.alias
    language: Annotated[str, StringConstraints(max_length=12)] | None = None

    @computed_field(description="the name as matching compares it: folded, abbreviations expanded")
    @property
    def name_normalized(self) -> str:
        return normalized(self.name)


class ReferenceInstitution(Record):
    """Organisations of the reference registries (ROR, CC0; Hipo's world-universities list, MIT),
    as loaded with 'registry reference load'. An inactive or withdrawn ROR record names its
    successor, which resolving follows. 'registry reference add ID' creates a registry
    institution from one."""

    table: ClassVar[str] = "reference_institutions"
    # A dump is someone else's data: logging each of its 150,000 rows would make the audit
    # log mostly ROR. reference_loads says which file changed how many records, and when.
    audited: ClassVar[bool] = False
    exported_unasked: ClassVar[bool] = False
    children: ClassVar[Children] = {"names": (ReferenceName, "reference")}
    label_column: ClassVar[str] = "name"

    id: ReferenceId
    source: Annotated[ReferenceSource, Indexed()]
    name: Annotated[NonEmpty, Field(description="the display name the source gives")]
    country: CountryCode | None = None
    city: NonEmpty | None = None
    latitude: Annotated[float, Field(ge=-90, le=90)] | None = None
    longitude: Annotated[float, Field(ge=-180, le=180)] | None = None
    website: Annotated[str, StringConstraints(max_length=2000)] | None = None
    types: Annotated[list[str], Field(description="ROR organisation types: education, healthcare, funder ...")] = []
    status: Annotated[ReferenceStatus, Indexed()] = ReferenceStatus.active
    successor: Annotated[
        ReferenceId | None, Indexed(), Field(description="for an inactive or withdrawn record: the record that continues it")
    ] = None
    established: Annotated[int, Field(ge=0, le=2200)] | None = None
    domains: list[str] = []
    release: Annotated[str | None, Field(description="the release of the dump the record was read from, e.g. v2.9")] = None
    names: list[ReferenceName] = []


class ReferenceLoad(Record):
    """Each load of a reference dump: which file, which release, when, and what changed."""

    table: ClassVar[str] = "reference_loads"
    primary_key: ClassVar[tuple[str, ...]] = ("id",)

    id: Annotated[int, Field(ge=1)]
    source: ReferenceSource
    file: NonEmpty
    release: str | None = None
    loaded_at: datetime
    records: Annotated[int, Field(ge=0)]
    inserted: Annotated[int, Field(ge=0)] = 0
    updated: Annotated[int, Field(ge=0)] = 0


class DistinctInstitutions(Record):
    """Two institutions a person has looked at and found not to be the same, so that
    deduplication does not ask again. The pair is stored once, the lower id first."""

    table: ClassVar[str] = "distinct_institutions"
    primary_key: ClassVar[tuple[str, ...]] = ("institution", "other")

    institution: Annotated[Slug, Ref("institutions")]
    other: Annotated[Slug, Ref("institutions")]
    decided_on: date
    reason: Text | None = None

    @model_validator(mode="after")
    def _lower_id_first(self) -> DistinctInstitutions:
        if self.institution == self.other:
            raise ValueError("an institution is not distinct from itself")
        if self.other < self.institution:
            self.institution, self.other = self.other, self.institution
        return self
