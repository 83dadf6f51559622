"""Partner names to institutions, for imports.

TEMPORARY: until ``registry.resolve`` (branch ``match``) lands, this module answers the
same interface with exact matching of the folded name against ``institution_names``.
When it lands, this file becomes a re-export of ``registry.resolve``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import sqlite_utils

from registry.text import fold


@dataclass
class Candidate:
    institution_id: str | None
    reference_id: str | None
    name: str
    matched_name: str
    country: str | None
    score: float
    reason: str


@dataclass
class Resolution:
    query: str
    status: str  # matched, ambiguous, new
    candidates: list[Candidate] = field(default_factory=list)


def resolve_many(db: sqlite_utils.Database, queries: list[tuple[str, str | None]], limit: int = 3) -> list[Resolution]:
    by_folded: dict[str, list[tuple]] = defaultdict(list)
    cursor = db.conn.execute(
        "SELECT n.name_folded, n.name, i.id, i.name, i.country FROM institution_names n JOIN institutions i ON i.id = n.institution"
    )
    for folded, matched_name, institution, name, country in cursor:
        by_folded[folded].append((matched_name, institution, name, country))
    results = []
    for query, country in queries:
        found = {}
        for matched_name, institution, name, home_country in by_folded.get(fold(query), []):
            if country and home_country != country:
                continue
            found.setdefault(institution, Candidate(institution, None, name, matched_name, home_country, 1.0, "exact name"))
        candidates = list(found.values())[:limit]
        status = "matched" if len(found) == 1 else "ambiguous" if found else "new"
        results.append(Resolution(query, status, candidates))
    return results


def create_institution_from_reference(db: sqlite_utils.Database, reference_id: str):
    raise LookupError(f"no reference registry is loaded (reference id {reference_id!r})")
