"""The words for the codes the registry stores, as a table SQL can read.

Facets, charts, canned queries and the search index are SQL: they read country names and the
kinds, statuses and roles in words from ``labels`` rather than from Python. The table is
derived, never edited: ``registry.db.vocabulary`` writes it when a registry is made or
migrated, and into every public copy, from the enumerations of ``registry.models`` (each
member's ``label``) and the country names of Babel (CLDR) and pycountry. Labels are English;
pages translate them through the message catalogue.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field, StringConstraints

from registry.models.base import Record
from registry.models.core import NonEmpty, Text

Vocabulary = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]


class Label(Record):
    """The English words for one code of one vocabulary (``country``, ``agreement_kind``,
    ``isced`` ...), and every word search finds it by (its names in many languages, folded)."""

    table: ClassVar[str] = "labels"
    primary_key: ClassVar[tuple[str, ...]] = ("vocabulary", "value")
    audited: ClassVar[bool] = False  # derived from the code and its libraries, rewritten whole

    vocabulary: Annotated[Vocabulary, Field(description="which codes: country, agreement_kind, isced ...")]
    value: Annotated[NonEmpty, Field(description="the code as stored: DE, erasmus_iia, 0912")]
    label: Annotated[NonEmpty, Field(description="the code in English words")]
    words: Annotated[Text, Field(description="what search finds it by: its names in many languages, folded")] = ""
