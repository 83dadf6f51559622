"""Screening: every partner, with all its names, against every entity on the imported lists.

The matching itself is ``registry.matching``'s (normalisation, blocking on rare words, word
alignment with generic words weighing little and extra words counting against, acronyms
only with support, a country that differs lowering the score). This module adds what is
particular to screening: stricter options, one index per list, the best match per partner
and entity, reviewers' "not the same" decisions that hold until the listed entity changes,
and the history of matches (first_seen, last_seen, current) in ``risk_matches``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

import sqlite_utils
from pydantic import ValidationError

from registry import clock
from registry import db as store
from registry.matching import Match, MatchOptions, NameIndex, normalize
from registry.models.screening import RiskMatch, ScreeningDecision, ScreeningDecisionKind
from registry.problems import Problem, ProblemsFound, validation_problems
from registry.progress import NO_PROGRESS, Progress

# Screening asks a person rather than miss a listed entity, but a word that one name has and
# the other lacks ("Nanjing University" / "... of Aeronautics and Astronautics", "Tianjin
# Medical University" / "Tianjin University") names another institution: unmatched words on
# either side count double. A listed name found in another country is a namesake (National
# Defense University, Washington / Beijing). Tuned on tests/data/screening/labelled_pairs.csv,
# where true pairs score 0.83 or more and different institutions 0.75 or less.
SCREENING_OPTIONS = MatchOptions(
    extra_word_penalty=2.0, query_extra_penalty=2.0, country_penalty=0.25, probable=0.88, possible=0.78,
    spelling_variants=True,
)
MATCHES_PER_NAME = 5

# CTE ``open_matches``: the current matches that no reviewer has set aside ("not the same",
# while the listed entity still has the names and countries the reviewer saw), with the
# entity, its list and any decision. The screening checks read this.
OPEN_MATCHES = """
open_matches AS (
  SELECT m.list, l.name AS list_name, l.kind AS list_kind, m.entity_id, e.name AS entity,
         e.categories, e.risk_proxy, m.institution, i.name AS partner, i.country, m.band, m.score,
         m.institution_name, m.entity_name, m.explanation, m.first_seen, m.last_seen,
         d.decision, d.reason AS decision_reason
  FROM risk_matches m
  JOIN risk_lists l ON l.id = m.list
  JOIN risk_entities e ON e.list = m.list AND e.entity_id = m.entity_id
  JOIN institutions i ON i.id = m.institution
  LEFT JOIN screening_decisions d
    ON d.list = m.list AND d.entity_id = m.entity_id AND d.institution = m.institution
  WHERE m.current = 1
    AND (d.decision IS NULL OR d.decision <> 'not_the_same' OR d.entity_fingerprint <> e.fingerprint)
)"""


@dataclass
class ListScreening:
    """What screening one list found."""

    list_id: str
    list_name: str
    entities: int
    matches: list[dict[str, Any]] = field(default_factory=list)  # current, best per pair
    suppressed: list[dict[str, Any]] = field(default_factory=list)
    no_longer_found: int = 0

    def counts(self) -> dict[str, int]:
        bands = [m["band"] for m in self.matches]
        return {"probable": bands.count("probable"), "possible": bands.count("possible"),
                "suppressed": len(self.suppressed), "no_longer_found": self.no_longer_found}


@dataclass
class ScreeningRun:
    institutions: int
    names: int
    lists: list[ListScreening]
    seconds: float
    plan: store.Plan | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "institutions": self.institutions,
            "names": self.names,
            "seconds": round(self.seconds, 3),
            "lists": [
                {"list": s.list_id, "name": s.list_name, "entities": s.entities, **s.counts(),
                 "matches": s.matches, "suppressed": s.suppressed}
                for s in self.lists
            ],
        }


def entity_entries(entities: Iterable[tuple[str, str, list[str], list[str]]]) -> Iterable[tuple[str, str, str | None, str]]:
    """Index entries for ``(entity_id, name, aliases, countries)``: every name of every entity.
    The matcher keeps one country per entity, so an entity listed in several counts as one of
    unknown country (no penalty for a partner in any of them)."""
    for entity_id, name, aliases, countries in entities:
        country = countries[0] if len(countries) == 1 else None
        yield entity_id, name, country, "official"
        for alias in aliases:
            yield entity_id, alias, country, "alias"


def build_list_index(db: sqlite_utils.Database, list_id: str, options: MatchOptions = SCREENING_OPTIONS) -> NameIndex:
    rows = db.conn.execute(
        "SELECT entity_id, name, aliases, countries FROM risk_entities WHERE list = ? ORDER BY entity_id", [list_id]
    )
    return NameIndex.build(
        entity_entries((e, n, json.loads(a), json.loads(c)) for e, n, a, c in rows), options=options
    )


def partner_names(db: sqlite_utils.Database) -> list[tuple[str, str, str | None]]:
    """(institution, name, country) for every name of every institution but the home one."""
    return db.conn.execute(
        """SELECT i.id, n.name, i.country FROM institutions i JOIN institution_names n ON n.institution = i.id
           WHERE i.is_home = 0 ORDER BY i.id, n.name"""
    ).fetchall()


def best_matches(index: NameIndex, names: Iterable[tuple[str, str, str | None]], *,
                 limit: int = MATCHES_PER_NAME) -> dict[tuple[str, str], Match]:
    """The best match per (institution, entity) over all of the institution's names."""
    best: dict[tuple[str, str], Match] = {}
    for institution, name, country in names:
        for match in index.match(name, country, limit):
            if match.acronym:
                # Shared acronyms are common (USC, NEU): only the listed entity's own acronym,
                # singled out by the country, is worth asking a person about, and only that.
                if match.band != "probable" or len(normalize(match.matched_name).split()) > 1:
                    continue  # unsupported, or initials of a listed name: too weak to ask about
                match = replace(match, band="possible", explanation=match.explanation + "; an acronym alone is at most possible")
            pair = (institution, match.entity_id)
            if pair not in best or match.score > best[pair].score:
                best[pair] = match
    return best


def _explanation(match: Match) -> dict[str, Any]:
    described = match.as_dict()
    return {key: described[key] for key in ("explanation", "aligned", "penalties", "matched_kind", "country")}


def _now() -> datetime:
    return clock.now()


def screen(db: sqlite_utils.Database, *, list_ids: Iterable[str] | None = None, actor: str | None = None,
           options: MatchOptions = SCREENING_OPTIONS, now: datetime | None = None,
           progress: Progress = NO_PROGRESS) -> ScreeningRun:
    """Screen every partner against the given lists (default: all) and record the matches.

    Pairs a reviewer called "not the same" are left out while the entity is unchanged;
    stored matches not found again stay as history with current = 0. One transaction."""
    started = time.perf_counter()
    now = now or _now()
    wanted = list(list_ids or [])
    lists = db.conn.execute("SELECT id, name FROM risk_lists ORDER BY id").fetchall()
    unknown = sorted(set(wanted) - {list_id for list_id, _ in lists})
    if unknown:
        raise ProblemsFound([Problem("unknown-reference", "registry screen", "no screening list has this id; see 'registry screening lists'",
                                     None, "list", value) for value in unknown])
    names = partner_names(db)
    institutions = len({institution for institution, _, _ in names})
    results, records = [], []
    for list_id, list_name in lists:
        if wanted and list_id not in wanted:
            continue
        listed = progress.iterate(names, len(names), f"screening against {list_id}")
        result, list_records = _screen_list(db, list_id, list_name, listed, options, now)
        results.append(result)
        records.extend(list_records)
    plan = store.write_records(db, records, actor=actor, source="registry screen") if records else None
    return ScreeningRun(institutions, len(names), results, time.perf_counter() - started, plan)


def _screen_list(db, list_id, list_name, names, options, now) -> tuple[ListScreening, list[RiskMatch]]:
    index = build_list_index(db, list_id, options)
    fingerprints = dict(db.conn.execute(
        "SELECT entity_id, fingerprint FROM risk_entities WHERE list = ?", [list_id]).fetchall())
    entity_names = dict(db.conn.execute("SELECT entity_id, name FROM risk_entities WHERE list = ?", [list_id]).fetchall())
    not_the_same = {
        (institution, entity_id)
        for institution, entity_id, fingerprint in db.conn.execute(
            "SELECT institution, entity_id, entity_fingerprint FROM screening_decisions WHERE list = ? AND decision = ?",
            [list_id, ScreeningDecisionKind.not_the_same.value])
        if fingerprints.get(entity_id) == fingerprint
    }
    stored = _stored_matches(db, list_id)
    result = ListScreening(list_id, list_name, len(fingerprints))
    records: list[RiskMatch] = []
    found = best_matches(index, names)
    for (institution, entity_id), match in sorted(found.items(), key=lambda item: (-item[1].score, item[0])):
        summary = {"institution": institution, "entity_id": entity_id, "entity": entity_names[entity_id],
                   "band": match.band, "score": round(match.score, 4), "institution_name": match.query_name,
                   "entity_name": match.matched_name, "explanation": match.explanation}
        if (institution, entity_id) in not_the_same:
            result.suppressed.append(summary)
            continue
        previous = stored.get((institution, entity_id))
        first_seen = previous["first_seen"] if previous else now
        records.append(RiskMatch(
            list=list_id, entity_id=entity_id, institution=institution, score=round(match.score, 4), band=match.band,
            institution_name=match.query_name, entity_name=match.matched_name, explanation=_explanation(match),
            first_seen=first_seen, last_seen=now, current=True, entity_fingerprint=fingerprints[entity_id],
        ))
        result.matches.append(summary)
    current_pairs = {(r.institution, r.entity_id) for r in records}
    set_aside = {(s["institution"], s["entity_id"]) for s in result.suppressed}
    for pair, row in stored.items():
        if pair not in current_pairs and row["current"]:
            records.append(RiskMatch.model_validate({**row, "current": False}))
            result.no_longer_found += pair not in set_aside
    return result, records


def _stored_matches(db: sqlite_utils.Database, list_id: str) -> dict[tuple[str, str], dict[str, Any]]:
    spec = store.specs()["risk_matches"]
    cursor = db.conn.execute("SELECT * FROM risk_matches WHERE list = ?", [list_id])
    columns = [d[0] for d in cursor.description]
    rows = (store.decode(spec, dict(zip(columns, values, strict=True))) for values in cursor)
    return {(row["institution"], row["entity_id"]): row for row in rows}


def decide(db: sqlite_utils.Database, institution: str, entity_id: str, decision: ScreeningDecisionKind | str, *,
           reason: str, reviewer_role: str, list_id: str | None = None, decided_on: date | None = None,
           actor: str | None = None) -> ScreeningDecision:
    """Record a reviewer's decision on a partner and a listed entity (replacing an earlier one;
    the audit log keeps it). The decision holds for the entity as it is listed now."""
    where = "registry screen decide"
    if not db.conn.execute("SELECT 1 FROM institutions WHERE id = ?", [institution]).fetchone():
        raise ProblemsFound([Problem("unknown-reference", where, "no institution has this id", None, "institution", institution)])
    query, params = "SELECT list, fingerprint FROM risk_entities WHERE entity_id = ?", [entity_id]
    if list_id:
        query, params = query + " AND list = ?", params + [list_id]
    found = db.conn.execute(query, params).fetchall()
    if not found:
        raise ProblemsFound([Problem("unknown-reference", where, "no listed entity has this id"
                                     + (f" on list {list_id}" if list_id else ""), None, "entity", entity_id)])
    if len(found) > 1:
        raise ProblemsFound([Problem("ambiguous", where, f"the entity id is on several lists ({', '.join(listed for listed, _ in found)}); give --list",
                                     None, "entity", entity_id)])
    (entity_list, fingerprint), = found
    try:
        record = ScreeningDecision(
            list=entity_list, entity_id=entity_id, institution=institution, decision=decision,
            reviewer_role=reviewer_role, decided_on=decided_on or clock.today(), reason=reason,
            entity_fingerprint=fingerprint,
        )
    except ValidationError as error:
        raise ProblemsFound(validation_problems(error, where, f"screening_decisions/{institution}/{entity_id}")) from error
    store.write_records(db, [record], actor=actor, source="registry screen decide")
    return record


def loaded_lists(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """The loaded screening lists, by id."""
    cursor = db.conn.execute(
        "SELECT id, name, kind, format, source, retrieved_on, licence, loaded_at, entity_count FROM risk_lists ORDER BY id"
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]
