"""Run one check and copy what it found into a table, one row per finding as it will be recorded.

The run's own connection and every lane process (``checks.lanes``) do this the same way;
``checks.run`` then records what the tables hold.
"""

from __future__ import annotations

import json
import sqlite3
from functools import lru_cache
from typing import Any

from checks.context import Context, Found, FoundQuery
from checks.registry import CheckSpec
from registry import db as store
from registry.i18n import MESSAGE_KEY, TEMPLATE_KEY
from registry.message_sql import COMPILED_MARK, COMPILED_SPLIT, compile_messages
from registry.models import by_table

# The columns of a finding that a check's query makes. The findings table's CHECKs on them
# (derived from the model) are checked here, as a check's rows are copied, often in a lane
# process; recording then inserts with the table's CHECKs set aside (checks.run), as the rest
# is the run's own making: the fingerprint, the check's code, family and severity (checked by
# its decorator), dates, the run's id, and evidence written by SQLite's or Python's JSON.
MADE_BY_THE_CHECK = ("subject_table", "subject_id", "subject_label", "message")


@lru_cache(maxsize=1)
def _found_checks() -> str:
    findings = store.specs()["findings"]
    return "".join(f", CHECK ({check})" for column in findings.columns if column.name in MADE_BY_THE_CHECK
                   for check in column.checks())


def create_found_table(conn, table: str, *, keyed: bool = True) -> None:
    """A table for what checks found, one row per finding as it will be recorded. ``keyed``:
    with the findings' key, which a later run joins the recorded findings on and which tells a
    check that named the same subject twice. A first run only inserts, into a table whose own key
    tells that (``duplicate_subject``): its tables go without, and each finding costs one B-tree
    insert less (1-2.5 µs of 5-12 at 200,000 agreements)."""
    key = " PRIMARY KEY" if keyed else ""
    conn.execute(
        f"CREATE TABLE {table} (id TEXT{key}, code TEXT, family TEXT, severity TEXT, subject_table TEXT, "
        f"subject_id TEXT, subject_label TEXT, message TEXT, evidence TEXT{_found_checks()})"
    )


def duplicate_subject(conn, found: str) -> ValueError:
    """The error for a table of found rows that names a subject twice within a check (a first
    run's, whose tables have no key: ``create_found_table``), naming the check."""
    twice = conn.execute(f"SELECT code FROM {found} GROUP BY id HAVING count(*) > 1 LIMIT 1").fetchone()
    return _duplicate(twice[0] if twice else "of this run")


def _duplicate(code: str) -> ValueError:
    return ValueError(f"check {code} named the same subject twice (a subject may have one finding per check)")


# A check's rows, copied inside SQLite with the finding's id and its subject's label (looked
# up, unless the check's query returns it as ``subject_label``: see ``Context.found``). The
# OFFSET keeps SQLite from flattening the inner select into this one: flattened, the check's
# registry_message(...), used twice here, ran twice for every finding. A message compiled
# into SQLite's functions (registry.message_sql) carries its template's key and values as JSON, then
# a separator and its text: the text is cut off as it is, and only the JSON is parsed, once;
# any other message has its text made by registry.i18n's Python function. The evidence keeps the
# template's key and the values, not the template's text (registry.i18n.TEMPLATE_KEY). A compiled
# message's key and values are appended to the evidence as text: a check's evidence is SQLite's
# JSON (json_object: no spaces), which json_set would parse and write back unchanged but for the
# member it appends (a fifth of the copy's CPU at 20,000 agreements). Evidence that already has a member of that name
# somewhere, or that is not an object, goes through json_set, which replaces or leaves it as before.
_COMPILED = f"substr(message, 1, 1) = char({ord(COMPILED_MARK)})"
_SPLIT = f"instr(message, char({ord(COMPILED_SPLIT)}))"
# A message made by the Python function: the key and values it wrote go into the evidence as
# registry_message_evidence would put them, but without a Python call.
_TEMPLATE = ("substr(message, 1, 11) = '{{\"template\"' AND json_valid(message) "  # braces for .format
             "AND json_type(message, '$.template') = 'text'")
# Evidence the compiled message's members may be appended to as text, and how.
_APPENDABLE = (f"substr(evidence, 1, 1) = '{{{{' AND substr(evidence, -1) = '}}}}' "  # braces for .format
               f"AND instr(evidence, '\"{MESSAGE_KEY}\"') = 0")
_APPENDED = (f"CASE evidence WHEN '{{{{}}}}' THEN '{{{{' ELSE substr(evidence, 1, length(evidence) - 1) || ',' END "
             f"|| '\"{MESSAGE_KEY}\":' || substr(message, 2, {_SPLIT} - 2) || '}}}}'")
_COPY_FOUND = f"""
INSERT INTO {{table}} (id, code, family, severity, subject_table, subject_id, subject_label, message, evidence)
SELECT :check_code || ':' || subject_table || ':' || subject_id, :check_code, :check_family, :check_severity,
       subject_table, subject_id, {{label}},
       CASE WHEN {_COMPILED} THEN substr(message, {_SPLIT} + 1) ELSE registry_message_text(message) END,
       CASE WHEN {_COMPILED} AND {_APPENDABLE} THEN {_APPENDED}
            WHEN {_COMPILED} THEN json_set(evidence, '$.{MESSAGE_KEY}', json(substr(message, 2, {_SPLIT} - 2)))
            WHEN {_TEMPLATE} THEN json_set(evidence, '$.{MESSAGE_KEY}', json_object(
                '{TEMPLATE_KEY}', message ->> '$.{TEMPLATE_KEY}', 'values', message -> '$.values'))
            ELSE json(evidence) END
FROM (SELECT subject_table, CAST(subject_id AS TEXT) AS subject_id, message, coalesce(evidence, '{{{{}}}}') AS evidence
             {{labelled}}
      FROM ({{sql}}) LIMIT -1 OFFSET 0) AS found
"""
_ONE_FOUND = "SELECT :subject_table AS subject_table, :subject_id AS subject_id, :message AS message, :evidence AS evidence"


@lru_cache(maxsize=1)
def _subject_label() -> str:
    """An expression for the label of a finding's subject (an institution's name, an
    agreement's title), so that a list of findings reads without a join."""
    cases = [
        f"WHEN '{table}' THEN (SELECT s.\"{record.label_column}\" FROM main.\"{table}\" s WHERE s.id = found.subject_id)"
        for table, record in sorted(by_table().items())
        if record.label_column is not None and record.primary_key == ("id",)
    ]
    return f"CASE found.subject_table {' '.join(cases)} END" if cases else "NULL"


_LABELLED = ", subject_label"


def _labelled(ctx: Context, sql: str, params: dict[str, Any]) -> bool:
    """Whether a check's query returns its subjects' labels itself (asked of SQLite, without running it)."""
    cursor = ctx.conn.execute(f"SELECT * FROM ({sql}) LIMIT 0", params)
    try:
        return "subject_label" in (d[0] for d in cursor.description)
    finally:
        cursor.close()


def _copy_sql(table: str, sql: str, labelled: bool) -> str:
    if labelled:
        return _COPY_FOUND.format(table=table, label="found.subject_label", labelled=_LABELLED, sql=sql)
    return _COPY_FOUND.format(table=table, label=_subject_label(), labelled="", sql=sql)


def copy_found(ctx: Context, spec: CheckSpec, table: str) -> None:
    """Run one check and copy its rows into ``table``: a query's rows inside SQLite; a check
    that returns ``Found`` objects instead has them inserted one by one."""
    found = spec.function(ctx)
    check = {"check_code": spec.code, "check_family": spec.family, "check_severity": spec.severity}
    try:
        if isinstance(found, FoundQuery):
            sql = compile_messages(found.sql)
            ctx.conn.execute(_copy_sql(table, sql, _labelled(ctx, sql, found.params)), {**found.params, **check})
        else:
            rows = [{**_found_row(spec, item), **check} for item in found]  # all of them before the first insert
            ctx.conn.executemany(_copy_sql(table, _ONE_FOUND, labelled=False), rows)
    except sqlite3.IntegrityError as error:
        if "CHECK" in str(error):
            raise ValueError(f"check {spec.code} found a row a finding may not have ({error})") from error
        raise _duplicate(spec.code) from error


def _found_row(spec: CheckSpec, item: Found) -> dict[str, Any]:
    if not isinstance(item, Found):
        raise TypeError(f"check {spec.code} returned {type(item).__name__}; return ctx.found(...) or Found rows")
    evidence = json.dumps(item.evidence, ensure_ascii=False, separators=(",", ":"), default=str)
    return {"subject_table": item.subject_table, "subject_id": item.subject_id, "message": item.message,
            "evidence": evidence}
