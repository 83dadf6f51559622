"""What the agreement page of the internal face shows, read with plain SQL in one visit to the file.

``gather(conn, agreement)`` returns the agreement's row and its lists: parties, programmes,
mobility terms by direction, flows against places per academic year, degree terms, documents,
contacts, open findings, reviews, and its history from the audit log. Links and the actions a
login may take are the plugin's (``registry/plugins/registry_agreement.py``); the page is
``registry/templates/registry_agreement.html``.
"""

from __future__ import annotations

import functools
import json
import sqlite3
from collections import defaultdict
from typing import Any

from registry import db as store
from registry import documents
from registry.models import by_table

HISTORY_LIMIT = 200
SHOWN_LENGTH = 120
# What names a row of a table in the history (its values, in this order); otherwise its key.
HISTORY_SUBJECT = {
    "agreements": ("title",),
    "agreement_parties": ("institution", "role"),
    "agreement_programmes": ("programme",),
    "mobility_terms": ("category", "direction"),
    "degree_terms": ("kind", "cycle"),
    "mobility_flows": ("academic_year", "direction", "category", "participants"),
    "agreement_documents": ("file_name",),
    "contacts": ("role",),
    "reviews": ("reviewed_on", "outcome"),
}
DIRECTIONS = ("outgoing", "incoming")

QUERIES = {
    "parties": """select p.institution, i.name, i.country, i.city, i.is_home, p.role, p.unit
                  from agreement_parties p join institutions i on i.id = p.institution
                  where p.agreement = :id order by i.is_home desc, i.name""",
    "programmes": """select g.id, g.name_en, g.name_sv, g.cycle
                     from agreement_programmes ap join programmes g on g.id = ap.programme
                     where ap.agreement = :id order by g.name_en""",
    "terms": """select rowid as term_rowid, term_no, category, direction, places_per_year, months_per_place,
                       days_per_place, first_academic_year, last_academic_year, eqf_levels, subject_areas,
                       language_skills, blended, virtual, other_terms
                from mobility_terms where agreement = :id order by term_no""",
    "flows": """select academic_year, direction, category, participants, total_months from mobility_flows
                where agreement = :id order by academic_year desc, direction, category""",
    "degree_terms": """select d.rowid as term_rowid, d.term_no, d.kind, d.cycle, d.home_programme, g.name_en as home_programme_name,
                              d.partner_programme, d.degrees_awarded, d.students_per_year
                       from degree_terms d left join programmes g on g.id = d.home_programme
                       where d.agreement = :id order by d.term_no""",
    "contacts": """select c.id, c.role, c.name, c.email, c.phone, c.institution, i.name as institution_name,
                          c.agreement is not null as for_this_agreement
                   from contacts c join institutions i on i.id = c.institution
                   where c.agreement = :id
                      or (c.agreement is null and c.institution in (
                           select p.institution from agreement_parties p join institutions h on h.id = p.institution
                           where p.agreement = :id and h.is_home = 0))
                   order by c.agreement is null, i.is_home desc, i.name, c.role""",
    "reviews": """select id, reviewed_on, reviewer_role, reviewed_by, outcome, conditions, next_review_due, notes
                  from reviews where agreement = :id order by reviewed_on desc, id""",
    "findings": """select id, code, severity, message, evidence, first_seen, waiver from findings
                   where subject_table = 'agreements' and subject_id = :id and status = 'open'
                   order by case severity when 'high' then 0 when 'medium' then 1 when 'low' then 2 else 3 end, code""",
}
JSON_COLUMNS = ("eqf_levels", "subject_areas", "language_skills")


def _rows(conn: sqlite3.Connection, sql: str, values: dict[str, Any]) -> list[dict[str, Any]]:
    cursor = conn.execute(sql, values)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute("select name from sqlite_master where type = 'table'")}


def _needed_tables(sql: str) -> set[str]:
    words = sql.replace("(", " ").replace(")", " ").split()
    return {words[i + 1] for i, word in enumerate(words[:-1]) if word in ("from", "join")}


def terms_by_direction(terms: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Outgoing terms first, then incoming; each with its JSON lists read."""
    grouped: dict[str, list[dict[str, Any]]] = {direction: [] for direction in DIRECTIONS}
    for term in terms:
        for column in JSON_COLUMNS:
            term[column] = json.loads(term[column]) if isinstance(term[column], str) else (term[column] or [])
        grouped.setdefault(term["direction"], []).append(term)
    return {direction: listed for direction, listed in grouped.items() if listed}


def _covers(term: dict[str, Any], year: str) -> bool:
    first, last = term.get("first_academic_year"), term.get("last_academic_year")
    return (first is None or first <= year) and (last is None or year <= last)


def flows_against_places(terms: list[dict[str, Any]], flows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per academic year with mobility recorded, and per direction and category: how many went
    and how many places the terms in force that year offer (None: the terms give no number)."""
    went: dict[tuple[str, str, str], int] = defaultdict(int)
    for flow in flows:
        went[(flow["academic_year"], flow["direction"], flow["category"])] += flow["participants"] or 0
    rows: list[dict[str, Any]] = []
    for (year, direction, category), participants in went.items():
        offering = [t for t in terms if t["direction"] == direction and t["category"] == category and _covers(t, year)]
        numbers = [t["places_per_year"] for t in offering if t["places_per_year"] is not None]
        places = sum(numbers) if numbers else None
        rows.append(
            {
                "academic_year": year,
                "direction": direction,
                "category": category,
                "participants": participants,
                "places": places,
                "over": places is not None and participants > places,
            }
        )
    rows.sort(key=lambda row: (row["direction"] != "outgoing", row["category"]))
    rows.sort(key=lambda row: str(row["academic_year"]), reverse=True)
    return rows


@functools.lru_cache(maxsize=1)
def _agreement_tables() -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """Tables whose audit entries carry the agreement's id (a child keyed first by its agreement),
    and tables that point at an agreement but are keyed by something else, each with the column
    whose value the audit log keeps as record_id (the first of its key). Worked out once per
    process from the models' table specs, which do not change while it runs (each agreement page
    looked at every column of every table: 0.15 ms)."""
    keyed_by_agreement: list[str] = []
    own_key: list[tuple[str, str]] = []
    for spec in store.specs().values():
        refs = {c.name for c in spec.columns if c.ref and c.ref.table == "agreements"}
        if not refs or not spec.record.audited:
            continue
        if spec.record.primary_key[0] in refs:
            keyed_by_agreement.append(spec.name)
        else:
            own_key.append((spec.name, spec.record.primary_key[0]))
    return tuple(keyed_by_agreement), tuple(own_key)


def shown(value: Any) -> Any:
    """A logged value as the history shows it: long text and nested values cut short."""
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False)
    if isinstance(value, str) and len(value) > SHOWN_LENGTH:
        return value[: SHOWN_LENGTH - 1] + "…"
    return value


def _changed_fields(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[dict[str, Any]]:
    before, after = before or {}, after or {}
    return [
        {"field": name, "before": shown(before.get(name)), "after": shown(after.get(name))}
        for name in dict.fromkeys([*before, *after])
        if before.get(name) != after.get(name)
    ]


def history_query(agreement: str, tables: set[str]) -> tuple[str, dict[str, Any]]:
    """The SQL (and its values) of an agreement's history: each part found by the audit log's
    record_id index, then ordered; one OR over them would have SQLite walk the whole log."""
    keyed_by_agreement, own_key = _agreement_tables()
    keyed = ", ".join(f"'{t}'" for t in ["agreements", *keyed_by_agreement] if t in tables)
    owned = "".join(
        f"\n                union all select id from changes where table_name = '{t}' and record_id in "
        f"(select {key} from {t} where agreement = :id)"
        for t, key in own_key
        if t in tables
    )
    # Documents by the range their ids begin with (removed ones too), checked against the agreement they name.
    prefix = documents.id_prefix(agreement)
    sql = f"""select id, changed_at, table_name, row_key, operation, before, after, actor, source from changes
              where id in (
                select id from changes where record_id = :id and table_name in ({keyed})
{owned}
                union all select id from changes where record_id >= :prefix and record_id < :after_prefix
                  and table_name = 'agreement_documents' and json_extract(coalesce(after, before), '$.agreement') = :id)
              order by id desc limit {HISTORY_LIMIT}"""
    return sql, {"id": agreement, "prefix": prefix, "after_prefix": prefix[:-1] + chr(ord(prefix[-1]) + 1)}


def history(conn: sqlite3.Connection, agreement: str, tables: set[str]) -> list[dict[str, Any]]:
    """The audit log's entries about the agreement and the records that belong to it, newest
    first: when, who, through what, which record and which fields changed."""
    entries = _rows(conn, *history_query(agreement, tables))
    for entry in entries:
        before = json.loads(entry.pop("before")) if entry["before"] else None
        after = json.loads(entry.pop("after")) if entry["after"] else None
        row = after or before or {}
        # (column, value): the page says a code in words, as the table's column holds it
        entry["subject"] = [
            (c, shown(row[c])) for c in HISTORY_SUBJECT.get(entry["table_name"], ()) if row.get(c) not in (None, "")
        ]
        entry["changes"] = _changed_fields(before, after) if entry["operation"] == "update" else []
    _name_referenced(conn, entries, tables)
    return entries


@functools.lru_cache(maxsize=256)
def _referenced_label(table: str, column: str) -> tuple[str, str] | None:
    """(table, label column) of the record ``table.column`` points at, if that record has a name."""
    spec = store.specs().get(table)
    ref = next((c.ref for c in spec.columns if c.name == column), None) if spec else None
    record = by_table().get(ref.table) if ref else None
    return (ref.table, record.label_column) if ref and record and record.label_column and ref.column == "id" else None


def _name_referenced(conn: sqlite3.Connection, entries: list[dict[str, Any]], tables: set[str]) -> None:
    """Say a party or programme by its name rather than its id (one query per table named); a
    record since removed keeps its id."""
    wanted: dict[tuple[str, str], set[Any]] = defaultdict(set)
    for entry in entries:
        for column, value in entry["subject"]:
            target = _referenced_label(entry["table_name"], column)
            if target and target[0] in tables:
                wanted[target].add(value)
    names: dict[tuple[str, str], dict[Any, Any]] = {}
    for (table, label), ids in wanted.items():
        found = conn.execute(
            f'select id, "{label}" from "{table}" where id in (select value from json_each(?))', [json.dumps(sorted(ids))]
        )
        names[(table, label)] = dict(found.fetchall())
    for entry in entries:
        entry["subject"] = [
            (column, names.get(_referenced_label(entry["table_name"], column) or ("", ""), {}).get(value, value))
            for column, value in entry["subject"]
        ]


def gather(conn: sqlite3.Connection, agreement: str) -> dict[str, Any] | None:
    """Everything the agreement page shows, or None when there is no such agreement."""
    found = _rows(conn, "select * from agreements where id = :id", {"id": agreement})
    if not found:
        return None
    tables = _tables(conn)
    page: dict[str, Any] = {"agreement": found[0]}
    for name, sql in QUERIES.items():
        # None: this registry does not keep it (the checks capability's findings, say); []: nothing recorded
        page[name] = _rows(conn, sql, {"id": agreement}) if _needed_tables(sql) <= tables else None
    terms = page.pop("terms") or []
    page["terms_by_direction"] = terms_by_direction(terms)
    page["flows_against_places"] = flows_against_places(terms, page.pop("flows") or [])
    page["documents"] = documents.listed(conn, agreement) if "agreement_documents" in tables else None
    page["history"] = history(conn, agreement, tables)
    return page
