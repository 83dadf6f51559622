"""Find duplicate institutions in the registry, merge them, and undo a merge.

``find_duplicates`` matches every institution's names against all the others' (the same
engine as ``resolve``) and adds what identifiers say: the same ROR id, Erasmus code, SCHAC
code or website. Pairs a person has marked as distinct are not listed again.

``merge`` moves everything that refers to the dropped institution to the kept one: every
column declared as a reference to ``institutions`` in any model (found through the schema,
so tables added later are included), keeps the dropped names as aliases, fills the kept
institution's empty fields, and deletes the dropped one, in one transaction whose audit-log
entries carry the source ``merge KEEP DROP``. ``undo_merge`` replays those entries backwards.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import sqlite_utils

from registry import clock, schema
from registry import db as store
from registry.matching import MatchOptions
from registry.models import InstitutionName
from registry.models.reference import DistinctInstitutions
from registry.name_indexes import registry_index
from registry.problems import Problem, ProblemsFound
from registry.progress import NO_PROGRESS, Progress

DEFAULT_THRESHOLD = 0.8
# Fields a merge copies from the dropped institution when the kept one has none.
FILLABLE = ("local_name", "acronym", "city", "website", "ror", "erasmus_code", "schac", "pic", "latitude", "longitude")
_RENAMED_KIND = {"official": "alias", "local": "local", "alias": "alias", "former": "former", "acronym": "acronym"}


@dataclass
class DuplicatePair:
    keep: str  # the suggested survivor: the home institution, one with a ROR id, the more referred to
    drop: str
    score: float
    evidence: list[str] = field(default_factory=list)
    names: tuple[str, str] = ("", "")

    def as_dict(self) -> dict[str, Any]:
        return {"keep": self.keep, "drop": self.drop, "score": round(self.score, 4), "names": list(self.names),
                "evidence": self.evidence}


def institution_references() -> list[tuple[str, str]]:
    """(table, column) of every column that refers to an institution, from the models."""
    return [
        (spec.name, column.name)
        for spec in store.specs().values()
        for column in spec.columns
        if column.ref is not None and column.ref.table == "institutions"
    ]


def _reference_counts(db: sqlite_utils.Database) -> dict[str, int]:
    counts: dict[str, int] = {}
    for table, column in institution_references():
        if table == "institution_names":
            continue
        for ident, count in db.conn.execute(
            f"SELECT {schema.quote(column)}, count(*) FROM {schema.quote(table)} GROUP BY 1"
        ):
            if ident is not None:
                counts[ident] = counts.get(ident, 0) + count
    return counts


def _domain(url: str | None) -> str | None:
    if not url:
        return None
    host = urlparse(url).hostname or ""
    return host.removeprefix("www.") or None


def find_duplicates(db: sqlite_utils.Database, threshold: float = DEFAULT_THRESHOLD, *,
                    progress: Progress = NO_PROGRESS) -> list[DuplicatePair]:
    """Pairs of institutions that are probably one, best first, with the evidence."""
    conn = db.conn
    institutions = {
        row[0]: row
        for row in conn.execute("SELECT id, name, country, ror, erasmus_code, schac, website, is_home FROM institutions")
    }
    index = registry_index(db, MatchOptions(possible=min(threshold, MatchOptions().possible)))
    evidence: dict[tuple[str, str], dict[str, Any]] = {}

    def note(a: str, b: str, score: float, why: str) -> None:
        key = (min(a, b), max(a, b))
        entry = evidence.setdefault(key, {"score": 0.0, "evidence": []})
        entry["score"] = max(entry["score"], score)
        if why not in entry["evidence"]:
            entry["evidence"].append(why)

    for column, label in ((3, "ROR id"), (4, "Erasmus code"), (5, "SCHAC code")):
        holders: dict[str, list[str]] = {}
        for ident, row in institutions.items():
            if row[column]:
                holders.setdefault(row[column], []).append(ident)
        for value, idents in holders.items():
            for other in idents[1:]:
                note(idents[0], other, 1.0, f"same {label} {value}")
    domains: dict[str, list[str]] = {}
    for ident, row in institutions.items():
        domain = _domain(row[6])
        if domain:
            domains.setdefault(domain, []).append(ident)
    for domain, idents in domains.items():
        for other in idents[1:]:
            note(idents[0], other, 0.9, f"same website domain {domain}")
    names = conn.execute("SELECT institution, name FROM institution_names WHERE kind != 'acronym'").fetchall()
    for ident, name in progress.iterate(names, len(names), "comparing names"):
        country = institutions[ident][2]
        for match in index.match(name, country, limit=5, include_below=True):
            if match.entity_id != ident and match.score >= threshold:
                note(ident, match.entity_id, match.score, f"{name!r} ~ {match.matched_name!r} ({match.score:.2f}): {match.explanation}")
    distinct = {(a, b) for a, b in conn.execute("SELECT institution, other FROM distinct_institutions")}
    counts = _reference_counts(db)
    pairs = []
    for (a, b), found in evidence.items():
        if (a, b) in distinct:
            continue

        def rank(ident: str) -> tuple:
            row = institutions[ident]
            return (bool(row[7]), bool(row[3]), counts.get(ident, 0), -len(ident))

        keep, drop = (a, b) if rank(a) >= rank(b) else (b, a)
        pairs.append(DuplicatePair(keep, drop, found["score"], found["evidence"],
                                   (institutions[keep][1], institutions[drop][1])))
    return sorted(pairs, key=lambda p: (-p.score, p.keep, p.drop))


def mark_distinct(db: sqlite_utils.Database, a: str, b: str, reason: str | None = None, *, actor: str | None = None) -> None:
    """Record that two institutions are not the same, so ``find_duplicates`` stops asking."""
    record = DistinctInstitutions(institution=a, other=b, decided_on=clock.today(), reason=reason)
    store.write_records(db, [record], actor=actor, source=f"distinct {record.institution} {record.other}")


# --- merging -----------------------------------------------------------------------------------


@dataclass
class MergeReport:
    keep: str
    drop: str
    repointed: dict[str, int] = field(default_factory=dict)  # "table.column" -> rows moved to keep
    duplicates_removed: dict[str, int] = field(default_factory=dict)  # rows keep already had
    names_added: list[str] = field(default_factory=list)
    fields_filled: dict[str, Any] = field(default_factory=dict)
    source: str = ""

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _fetch_institution(conn, ident: str) -> dict[str, Any]:
    cursor = conn.execute("SELECT * FROM institutions WHERE id = ?", [ident])
    row = cursor.fetchone()
    if row is None:
        raise ProblemsFound([Problem("unknown-institution", "institutions", "no institution has this id",
                                     f"institutions/{ident}", "id", ident)])
    return dict(zip([d[0] for d in cursor.description], row, strict=True))


def merge(db: sqlite_utils.Database, keep: str, drop: str, *, actor: str | None = None) -> MergeReport:
    """Merge ``drop`` into ``keep`` in one logged transaction (source ``merge KEEP DROP``)."""
    if keep == drop:
        raise ProblemsFound([Problem("bad-merge", "merge", "an institution cannot be merged into itself", None, "drop", drop)])
    conn = db.conn
    kept, dropped = _fetch_institution(conn, keep), _fetch_institution(conn, drop)
    if dropped["is_home"]:
        raise ProblemsFound([Problem("bad-merge", "merge", "the home institution cannot be dropped; keep it instead",
                                     f"institutions/{drop}", "is_home", True)])
    report = MergeReport(keep, drop, source=f"merge {keep} {drop}")
    with store.transaction(db, actor=actor or store.default_actor(), source=report.source):
        conn.execute("DELETE FROM distinct_institutions WHERE (institution = ? AND other = ?) OR (institution = ? AND other = ?)",
                     [min(keep, drop), max(keep, drop), min(keep, drop), max(keep, drop)])
        own = {row[0] for row in conn.execute("SELECT name FROM institution_names WHERE institution = ?", [keep])}
        for name, kind, language in conn.execute(
            "SELECT name, kind, language FROM institution_names WHERE institution = ? ORDER BY name", [drop]
        ).fetchall():
            if name in own:
                continue
            alias = InstitutionName(institution=keep, name=name, kind=_RENAMED_KIND.get(kind, "alias"), language=language)
            store.apply_plan(db, store.plan_changes(db, [alias]))
            report.names_added.append(name)
        filled = {name: dropped[name] for name in FILLABLE if kept.get(name) is None and dropped.get(name) is not None}
        if filled:
            # clear the dropped copy first: identifiers such as the ROR id are looked up by value
            conn.execute(f"UPDATE institutions SET {', '.join(f'{schema.quote(n)} = NULL' for n in filled)} WHERE id = ?", [drop])
            conn.execute(f"UPDATE institutions SET {', '.join(f'{schema.quote(n)} = ?' for n in filled)} WHERE id = ?",
                         [*filled.values(), keep])
            report.fields_filled = filled
        for table, column in institution_references():
            q_table, q_column = schema.quote(table), schema.quote(column)
            moved = conn.execute(f"UPDATE OR IGNORE {q_table} SET {q_column} = ? WHERE {q_column} = ?", [keep, drop]).rowcount
            left = conn.execute(f"DELETE FROM {q_table} WHERE {q_column} = ?", [drop]).rowcount
            if moved and table != "institution_names":
                report.repointed[f"{table}.{column}"] = moved
            if left and table != "institution_names":
                report.duplicates_removed[f"{table}.{column}"] = left
        conn.execute("DELETE FROM institutions WHERE id = ?", [drop])
    return report


def undo_merge(db: sqlite_utils.Database, keep: str, drop: str, *, actor: str | None = None) -> int:
    """Replay the audit log of the last ``merge KEEP DROP`` backwards, in one transaction
    (source ``unmerge KEEP DROP``). Refuses when a row the merge wrote has changed since.
    Returns the number of changes undone."""
    conn = db.conn
    source = f"merge {keep} {drop}"
    last = conn.execute(f"SELECT max(id) FROM {schema.AUDIT_TABLE} WHERE {schema.MERGE_SOURCES} AND source = ?",
                        [source]).fetchone()[0]
    if last is None:
        raise ProblemsFound([Problem("no-merge", schema.AUDIT_TABLE, "the audit log has no such merge", None, "source", source)])
    entries = []
    for row in conn.execute(
        f"SELECT id, table_name, row_key, operation, before, after, source FROM {schema.AUDIT_TABLE} WHERE id <= ? ORDER BY id DESC",
        [last],
    ):
        if row[6] != source:
            break  # one transaction's entries are consecutive
        entries.append(row)
    touched = {(e[1], e[2]) for e in entries}
    later = conn.execute(f"SELECT table_name, row_key FROM {schema.AUDIT_TABLE} WHERE id > ?", [last]).fetchall()
    conflicts = sorted({f"{t}/{k}" for t, k in later if (t, k) in touched})
    if conflicts:
        raise ProblemsFound([Problem("changed-since", schema.AUDIT_TABLE,
                                     "rows the merge wrote have changed since; undo those changes first or edit by hand",
                                     None, "rows", ", ".join(conflicts[:10]))])
    specs = store.specs()
    with store.transaction(db, actor=actor or store.default_actor(), source=f"unmerge {keep} {drop}"):
        for _, table, _, operation, before, after, _ in entries:  # newest first
            spec = specs[table]
            keys = spec.record.primary_key
            where = " AND ".join(f"{schema.quote(k)} = ?" for k in keys)
            # an insert logs only the row after, a delete only the row before, an update both
            if operation == "insert":
                new = json.loads(after)
                conn.execute(f"DELETE FROM {schema.quote(table)} WHERE {where}", [new[k] for k in keys])
            elif operation == "delete":
                old = _row_values(spec, json.loads(before))
                columns = list(old)
                conn.execute(
                    f"INSERT INTO {schema.quote(table)} ({', '.join(schema.quote(c) for c in columns)}) "
                    f"VALUES ({', '.join('?' for _ in columns)})",
                    list(old.values()),
                )
            else:
                old, new = _row_values(spec, json.loads(before)), json.loads(after)
                sets = ", ".join(f"{schema.quote(c)} = ?" for c in old)
                conn.execute(f"UPDATE {schema.quote(table)} SET {sets} WHERE {where}", [*old.values(), *[new[k] for k in keys]])
    return len(entries)


def _row_values(spec: schema.TableSpec, logged: dict[str, Any]) -> dict[str, Any]:
    """A row as the audit log holds it (JSON columns nested) back to stored values."""
    values = {}
    for column in spec.columns:
        value = logged.get(column.name)
        if column.kind == "json" and value is not None and not isinstance(value, str):
            value = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        values[column.name] = value
    return values
