"""What resolving a typed partner name answers (registry.resolve): the candidates, each with its
score, band and reason, and the resolution (matched, ambiguous, new or invalid) that lists them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from registry.matching import Match

INVALID = "invalid"  # the status of a text that is no name, or too generic to be one institution's
MARGIN = 0.06  # a probable match must lead the next candidate by this much to be accepted
AMBIGUOUS_SHOWN = 10  # an ambiguous answer lists up to this many candidates: every one a person must weigh


@dataclass
class Candidate:
    institution_id: str | None  # the registry's institution, if the name is already in it
    reference_id: str | None  # the reference record (ROR id or hipo-...), if it came from one
    name: str
    matched_name: str
    country: str | None
    score: float
    band: str
    reason: str
    city: str | None = None
    website: str | None = None
    kind: str | None = None  # what tells it apart from a namesake: university, hospital, education ...
    source: str = "registry"  # registry, ror, hipo or erasmus
    exact: bool = False
    acronym: bool = False
    usable: bool = True  # False for a withdrawn or inactive reference record without a successor
    former: bool = False  # matched a name of an inactive record, and resolved to its successor
    match: Match | None = field(default=None, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "institution_id": self.institution_id,
            "reference_id": self.reference_id,
            "name": self.name,
            "matched_name": self.matched_name,
            "country": self.country,
            "city": self.city,
            "website": self.website,
            "kind": self.kind,
            "score": round(self.score, 4),
            "band": self.band,
            "source": self.source,
            "reason": self.reason,
            "aligned": [[q, n, round(s, 3)] for q, n, s in self.match.aligned] if self.match else [],
        }


@dataclass
class Resolution:
    query: str
    country: str | None
    status: str  # matched, ambiguous, new, invalid (not a name, or too generic to be one institution's)
    candidates: list[Candidate]
    reason: str = ""

    @property
    def best(self) -> Candidate | None:
        """The accepted candidate of a matched name (None unless status is 'matched')."""
        return self.candidates[0] if self.status == "matched" else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "country": self.country,
            "status": self.status,
            "reason": self.reason,
            "candidates": [c.as_dict() for c in self.candidates],
        }
