"""SQL schema derived from the models: tables, keys, CHECKs, indexes, search and audit triggers.

Nothing here names a column by hand except the views and the search index, which are
read models over several tables. Everything a model says about a field (type, enum,
range, date, reference) is turned into SQL so that a client writing raw SQL (Datasette,
the sqlite3 shell) meets the same rules as a validated record.
"""

from __future__ import annotations

import json
import types
import typing
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import Annotated, Any, get_args, get_origin

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from registry.models import RECORDS, Record
from registry.schema_types import Indexed, Ref, RenamedFrom, SqlCheck

# One encoder, built once: json.dumps with keyword arguments builds a new encoder per call,
# which dominates a bulk load. Compact and unescaped, as SQLite's json_object writes.
dump_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

AUDIT_TABLE = "changes"
AUDIT_CONTEXT_TABLE = "audit_context"


@dataclass
class Column:
    name: str
    kind: str  # text, integer, real, bool, date, enum, json, blob
    nullable: bool
    default: Any = None
    enum_values: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    ref: Ref | None = None
    indexed: bool = False
    index_then: tuple[str, ...] = ()
    unique: bool = False
    partial_indexes: list[Indexed] = field(default_factory=list)  # Indexed(where=...): indexes of their own
    computed: bool = False
    min_length: int = 0
    sql_checks: list[str] = field(default_factory=list)
    description: str | None = None
    renamed_from: tuple[str, ...] = ()  # the column's names in earlier releases (for migrate)

    @property
    def sql_type(self) -> str:
        return {"integer": "INTEGER", "bool": "INTEGER", "real": "REAL", "blob": "BLOB"}.get(self.kind, "TEXT")

    def checks(self) -> list[str]:
        q = quote(self.name)
        checks = []
        if self.kind == "bool":
            checks.append(f"{q} IN (0, 1)")
        elif self.kind == "date":
            checks.append(f"date({q}, '+0 days') IS {q}")  # '+0 days' normalises 2025-02-30, so it is refused
        elif self.kind == "enum":
            checks.append(f"{q} IN ({', '.join(sql_literal(v) for v in self.enum_values)})")
        elif self.kind == "json":
            checks.append(f"json_valid({q})")
        checks.extend(expression.format(column=q) for expression in self.sql_checks)
        if self.min_length:
            checks.append(f"length({q}) >= {self.min_length}")
        if self.minimum is not None:
            checks.append(f"{q} >= {self.minimum:g}")
        if self.maximum is not None:
            checks.append(f"{q} <= {self.maximum:g}")
        if self.nullable:
            return [f"{q} IS NULL OR ({check})" for check in checks]
        return checks


@dataclass
class TableSpec:
    record: type[Record]
    columns: list[Column] = field(default_factory=list)
    cascade_from: set[str] = field(default_factory=set)  # columns pointing at the owning parent

    @property
    def name(self) -> str:
        return self.record.table

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def stored_columns(self) -> list[str]:
        return [c.name for c in self.columns]


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def sql_literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def unwrap(annotation: Any, metadata: list[Any]) -> tuple[Any, bool, list[Any]]:
    """Strip Optional and Annotated layers, collecting their metadata (the forms read fields the same way)."""
    nullable = False
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            base, *extra = get_args(annotation)
            for item in extra:
                metadata.extend(item.metadata if isinstance(item, FieldInfo) else [item])
            annotation = base
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            nullable = nullable or len(args) < len(get_args(annotation))
            annotation = args[0]
        else:
            return annotation, nullable, metadata


def _column(name: str, info: FieldInfo) -> Column:
    annotation, nullable, metadata = unwrap(info.annotation, list(info.metadata))
    if get_origin(annotation) in (list, dict) or (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
        kind = "json"
    elif isinstance(annotation, type) and issubclass(annotation, Enum):
        kind = "enum"
    elif annotation is bool:
        kind = "bool"
    elif annotation is int:
        kind = "integer"
    elif annotation is float:
        kind = "real"
    elif annotation is bytes:
        kind = "blob"
    elif annotation is date:
        kind = "date"
    else:
        kind = "text"
    column = Column(
        name=name,
        kind=kind,
        nullable=nullable or (not info.is_required() and info.default is None),
        default=None if info.is_required() else info.default,
        description=info.description,
    )
    if kind == "enum":
        column.enum_values = tuple(member.value for member in annotation)
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    if extra.get("renamed_from"):  # Field(json_schema_extra={"renamed_from": "old"}), as RenamedFrom("old")
        old_names = extra["renamed_from"]
        column.renamed_from += (old_names,) if isinstance(old_names, str) else tuple(map(str, typing.cast(list[Any], old_names)))
    expanded: list[Any] = []
    for item in metadata:
        expanded.extend(item if isinstance(item, annotated_types.GroupedMetadata) else [item])
    for item in expanded:
        if isinstance(item, annotated_types.MinLen) and item.min_length > 0 and kind in ("text", "blob"):
            column.min_length = item.min_length
        elif isinstance(item, SqlCheck):
            column.sql_checks.append(item.expression)
        elif isinstance(item, Ref):
            column.ref = item
        elif isinstance(item, Indexed) and item.where:
            column.partial_indexes.append(item)
        elif isinstance(item, Indexed):
            column.indexed = True
            column.index_then = item.then
            column.unique = item.unique
        elif isinstance(item, RenamedFrom):
            column.renamed_from += item.names
        elif isinstance(item, annotated_types.Ge):
            column.minimum = float(typing.cast(float, item.ge))
        elif isinstance(item, annotated_types.Le):
            column.maximum = float(typing.cast(float, item.le))
        # A strict bound is its own check: taking gt=0 as >= 0 would let SQL store the 0 the model refuses.
        elif isinstance(item, annotated_types.Gt):
            column.sql_checks.append(f"{{column}} > {float(typing.cast(float, item.gt)):g}")
        elif isinstance(item, annotated_types.Lt):
            column.sql_checks.append(f"{{column}} < {float(typing.cast(float, item.lt)):g}")
    return column


def table_specs() -> dict[str, TableSpec]:
    specs: dict[str, TableSpec] = {}
    for record in RECORDS:
        spec = TableSpec(record)
        for name, info in record.model_fields.items():
            if name not in record.children:
                spec.columns.append(_column(name, info))
        for name, computed in record.model_computed_fields.items():
            spec.columns.append(
                Column(name=name, kind="text", nullable=False, computed=True, description=computed.description)
            )
        spec.cascade_from.update(c.name for c in spec.columns if c.ref and c.ref.cascade)
        specs[record.table] = spec
    for record in RECORDS:
        for child_cls, parent_field in record.children.values():
            specs[child_cls.table].cascade_from.add(parent_field)
    return specs


def create_table_sql(spec: TableSpec) -> str:
    lines = []
    for column in spec.columns:
        parts = [quote(column.name), column.sql_type]
        if not column.nullable:
            parts.append("NOT NULL")
        if column.default is not None and not isinstance(column.default, (list, dict)):
            default = column.default.value if isinstance(column.default, Enum) else column.default
            parts.append(f"DEFAULT {sql_literal(default)}")
        if column.ref:
            on_delete = " ON DELETE CASCADE" if column.name in spec.cascade_from else ""
            parts.append(f"REFERENCES {quote(column.ref.table)}({quote(column.ref.column)}){on_delete}")
        lines.append(" ".join(parts))
    for column in spec.columns:
        for check in column.checks():
            lines.append(f"CHECK ({check})")
    for earlier, later in spec.record.ordered:
        first, then = quote(earlier), quote(later)
        lines.append(f"CHECK ({first} IS NULL OR {then} IS NULL OR {then} >= {first})")
    for group in spec.record.exactly_one:
        lines.append(f"CHECK ({' + '.join(f'({quote(name)} IS NOT NULL)' for name in group)} = 1)")
    lines.append(f"PRIMARY KEY ({', '.join(quote(k) for k in spec.record.primary_key)})")
    body = ",\n  ".join(lines)
    return f"CREATE TABLE IF NOT EXISTS {quote(spec.name)} (\n  {body}\n) STRICT"


@dataclass(frozen=True)
class Index:
    columns: tuple[str, ...]
    where: str = ""  # SQL over the table's quoted columns; empty: every row
    unique: bool = False


def declared_indexes(spec: TableSpec) -> dict[str, Index]:
    """Index name -> its definition, for every foreign key and every column marked Indexed. A
    partial index (``Indexed(where=...)``) is named after its columns and the columns of its
    condition (``idx_mobility_terms_agreement_where_virtual_blended``)."""
    indexes = {}
    leading_key = spec.record.primary_key[0]
    names_in_table = {column.name for column in spec.columns}
    for column in spec.columns:
        if (column.ref or column.indexed) and column.name != leading_key:
            names = (column.name, *column.index_then)
            indexes[f"idx_{spec.name}_{'_'.join(names)}"] = Index(names, unique=column.unique)
        for partial in column.partial_indexes:
            names, fields = (column.name, *partial.then), partial.where_fields
            if not fields or not set(fields) <= names_in_table:
                raise ValueError(f"{spec.name}.{column.name}: a partial index's condition names none or unknown columns: {partial.where}")
            where = partial.where.format(**{name: quote(name) for name in fields})
            indexes[f"idx_{spec.name}_{'_'.join(names)}_where_{'_'.join(fields)}"] = Index(names, where, partial.unique)
    return indexes


def index_sql(spec: TableSpec) -> list[str]:
    return [
        f"CREATE {'UNIQUE ' if index.unique else ''}INDEX IF NOT EXISTS {quote(name)} "
        f"ON {quote(spec.name)}({', '.join(quote(column) for column in index.columns)})"
        + (f" WHERE {index.where}" if index.where else "")
        for name, index in declared_indexes(spec).items()
    ]


def _json_of(spec: TableSpec, alias: str) -> str:
    pairs = []
    for column in spec.columns:
        value = f"{alias}.{quote(column.name)}"
        if column.kind == "json":
            value = f"json({value})"
        pairs.append(f"{sql_literal(column.name)}, {value}")
    return f"json_object({', '.join(pairs)})"


def _key_of(spec: TableSpec, alias: str) -> str:
    keys = spec.record.primary_key
    if len(keys) == 1:
        return f"{alias}.{quote(keys[0])}"
    return f"json_array({', '.join(f'{alias}.{quote(k)}' for k in keys)})"


def audit_key(spec: TableSpec, key: tuple[Any, ...]) -> str:
    """The row_key the audit log stores, as ``_key_of`` computes it in SQL."""
    if len(key) == 1:
        return str(key[0])
    return dump_json(list(key))


def audit_json(spec: TableSpec, values: dict[str, Any] | None) -> str | None:
    """A row as ``_json_of`` renders it in SQL: stored column order, booleans as 0/1."""
    if values is None:
        return None
    row = {}
    for column in spec.columns:
        value = values.get(column.name)
        row[column.name] = int(value) if column.kind == "bool" and value is not None else value
    return dump_json(row)


def audit_inserted_rows_sql(spec: TableSpec) -> str:
    """Log, in one statement, every row of a table above a rowid (the rows a bulk write just
    inserted), with the same expressions as the insert trigger."""
    record_id = f"t.{quote(spec.record.primary_key[0])}"
    return (
        f"INSERT INTO {AUDIT_TABLE} (table_name, row_key, record_id, operation, before, after, actor, source) "
        f"SELECT {sql_literal(spec.name)}, {_key_of(spec, 't')}, {record_id}, 'insert', NULL, {_json_of(spec, 't')}, "
        f"c.actor, c.source FROM {quote(spec.name)} t, {AUDIT_CONTEXT_TABLE} c WHERE c.id = 1 AND t.rowid > ? ORDER BY t.rowid"
    )


def audit_trigger_sql(spec: TableSpec) -> list[str]:
    """Triggers that log every insert, update and delete, whoever makes it."""
    t = quote(spec.name)
    record_id = f"{{alias}}.{quote(spec.record.primary_key[0])}"
    insert = f"INSERT INTO {AUDIT_TABLE} (table_name, row_key, record_id, operation, before, after, actor, source)"
    changed = " OR ".join(f"OLD.{quote(c)} IS NOT NEW.{quote(c)}" for c in spec.stored_columns)
    name = spec.name

    # The library logs its own planned writes in bulk (see db.apply_plan) and sets
    # logged_by_caller meanwhile; every other writer is logged here.
    not_logged = f"(SELECT logged_by_caller FROM {AUDIT_CONTEXT_TABLE} WHERE id = 1) IS NOT 1"

    def log(operation: str, alias: str, before: str, after: str) -> str:
        return (
            f"{insert} SELECT {sql_literal(name)}, {_key_of(spec, alias)}, {record_id.format(alias=alias)}, "
            f"'{operation}', {before}, {after}, actor, source FROM {AUDIT_CONTEXT_TABLE} WHERE id = 1;"
        )

    return [
        f"""CREATE TRIGGER "audit_{name}_insert" AFTER INSERT ON {t} WHEN {not_logged} BEGIN
  {log('insert', 'NEW', 'NULL', _json_of(spec, 'NEW'))}
END""",
        f"""CREATE TRIGGER "audit_{name}_update" AFTER UPDATE ON {t} WHEN {not_logged} AND ({changed}) BEGIN
  {log('update', 'NEW', _json_of(spec, 'OLD'), _json_of(spec, 'NEW'))}
END""",
        f"""CREATE TRIGGER "audit_{name}_delete" AFTER DELETE ON {t} WHEN {not_logged} BEGIN
  {log('delete', 'OLD', _json_of(spec, 'OLD'), 'NULL')}
END""",
    ]


RULE_TRIGGER_PREFIX = "rule_"


def rule_trigger_sql(spec: TableSpec) -> list[str]:
    """Triggers that refuse an insert, or an update of the fields concerned, breaking one of
    the model's rules (``Record.rules``): a raw SQL write meets them as a validated record does.
    An update that leaves those fields as they were is not judged again (a review's date stays
    valid as the days go by, and as REGISTRY_TODAY is moved)."""
    statements = []
    for number, rule in enumerate(spec.record.rules, start=1):
        name = f"{RULE_TRIGGER_PREFIX}{spec.name}_{number}"
        broken = f"NOT ({rule.sql('NEW')})"
        refusal = f"SELECT RAISE(ABORT, {sql_literal(f'{spec.name}: {rule.message}')});"
        changed = " OR ".join(f"NEW.{quote(f)} IS NOT OLD.{quote(f)}" for f in rule.fields)
        statements += [
            f'CREATE TRIGGER "{name}_insert" BEFORE INSERT ON {quote(spec.name)} WHEN {broken} BEGIN {refusal} END',
            f'CREATE TRIGGER "{name}_update" BEFORE UPDATE ON {quote(spec.name)} WHEN ({changed}) AND {broken} '
            f"BEGIN {refusal} END",
        ]
    return statements


# The sources of the entries 'registry merge' and 'registry unmerge' write (registry/dedupe.py).
MERGE_SOURCES = "(source GLOB 'merge *' OR source GLOB 'unmerge *')"

AUDIT_SQL = f"""
CREATE TABLE IF NOT EXISTS {AUDIT_TABLE} (
  id INTEGER PRIMARY KEY,
  changed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  table_name TEXT NOT NULL,
  row_key TEXT NOT NULL,
  record_id TEXT,
  operation TEXT NOT NULL CHECK (operation IN ('insert', 'update', 'delete')),
  before TEXT CHECK (before IS NULL OR json_valid(before)),
  after TEXT CHECK (after IS NULL OR json_valid(after)),
  actor TEXT,
  source TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS idx_changes_record ON {AUDIT_TABLE}(record_id);
-- Merges are a handful of entries among millions; partial, so other writes never touch it.
CREATE INDEX IF NOT EXISTS idx_changes_merges ON {AUDIT_TABLE}(source) WHERE {MERGE_SOURCES};
CREATE TRIGGER IF NOT EXISTS changes_append_only_update BEFORE UPDATE ON {AUDIT_TABLE} BEGIN
  SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER IF NOT EXISTS changes_append_only_delete BEFORE DELETE ON {AUDIT_TABLE} BEGIN
  SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TABLE IF NOT EXISTS {AUDIT_CONTEXT_TABLE} (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  actor TEXT,
  source TEXT,
  logged_by_caller INTEGER NOT NULL DEFAULT 0 CHECK (logged_by_caller IN (0, 1))
) STRICT;
INSERT OR IGNORE INTO {AUDIT_CONTEXT_TABLE} (id, actor, source) VALUES (1, NULL, NULL);
"""


# --- full-text search -----------------------------------------------------------------
# The search tables are keyed by the rowid of the table they index, which is what
# Datasette's ``fts_table`` option expects. They are plain FTS5 tables kept by triggers,
# because an institution's searchable text lives in two tables (its row and its names).

_INSTITUTION_NAMES = "(SELECT group_concat(name, ' | ') FROM institution_names WHERE institution = {id})"
_INSTITUTION_FOLDED = "(SELECT group_concat(name_folded, ' | ') FROM institution_names WHERE institution = {id})"
_AGREEMENT_PARTNERS = (
    "(SELECT group_concat(n.name, ' | ') FROM agreement_parties p JOIN institution_names n "
    "ON n.institution = p.institution WHERE p.agreement = {id})"
)
_AGREEMENT_PARTNERS_FOLDED = (
    "(SELECT group_concat(n.name_folded, ' | ') FROM agreement_parties p JOIN institution_names n "
    "ON n.institution = p.institution WHERE p.agreement = {id})"
)

SEARCH_TABLES = {
    "institutions_fts": "institutions",
    "agreements_fts": "agreements",
}


def label_sql(vocabulary: str, value: str) -> str:
    """SQL for the English words of code ``value`` (an SQL expression) of ``vocabulary``, from
    the labels table (registry.models.labels); the code itself where it has none."""
    return (f"coalesce((SELECT l.label FROM labels l WHERE l.vocabulary = {sql_literal(vocabulary)} "
            f"AND l.value = {value}), {value})")


def _words(vocabulary: str, value: str) -> str:
    return f"(SELECT l.words FROM labels l WHERE l.vocabulary = {sql_literal(vocabulary)} AND l.value = {value})"


def _joined(*parts: str) -> str:
    """SQL joining ``parts`` with spaces, an empty one for each NULL (concat_ws needs SQLite 3.44)."""
    return " || ' ' || ".join(f"coalesce({part}, '')" for part in parts)


_NETWORKS_OF = "(SELECT n.name || coalesce(' ' || n.acronym, '') FROM networks n WHERE n.id = m.network)"


def _medical(alias: str) -> str:
    return f"CASE WHEN {alias}.medical_faculty = 1 THEN {_words('medical_faculty', sql_literal('yes'))} END"


def _institution_topics(alias: str) -> str:
    """What else finds an institution: its country's names in many languages, its kind, that it
    has a medical or health faculty, and its networks' names and acronyms (search words of
    ``labels``, registry/db/vocabulary.py)."""
    return (
        _joined(
            _words("country", f"{alias}.country"),
            _words("institution_kind", f"{alias}.kind"),
            _medical(alias),
            f"(SELECT group_concat({_NETWORKS_OF}, ' ') FROM memberships m WHERE m.institution = {alias}.id)",
        )
    )


def _partner_words(alias: str) -> str:
    """What finds an agreement by one of its (non-home) partners ``alias``: its country, city and medical faculty."""
    return _joined(_words("country", f"{alias}.country"), f"{alias}.city", _medical(alias))


def _current_networks(institution: str) -> str:
    """The names and acronyms of the networks institution ``institution`` (SQL) is now a member of."""
    return f"(SELECT group_concat({_NETWORKS_OF}, ' ') FROM memberships m WHERE m.institution = {institution} AND m.until IS NULL)"


def _isced_word(code: str) -> str:
    """The words of ISCED field ``code`` (SQL): a field's words hold its narrow and broad fields'
    names too; a code the list lacks (0919, 0988) is found by its narrow or broad field.
    Equalities, so each is an index lookup."""
    return f"coalesce({_words('isced', code)}, {_words('isced', f'substr({code}, 1, 3)')}, {_words('isced', f'substr({code}, 1, 2)')})"


_ISCED_CODE = "json_extract(s.value, '$.isced_code')"


def _isced_words(areas: str) -> str:
    """The words (``_isced_word``) of the subject areas ``areas`` (SQL, a JSON list), in its order."""
    return f"(SELECT group_concat({_isced_word('c')}, ' ') FROM (SELECT {_ISCED_CODE} AS c FROM json_each({areas}) s))"


def subject_words_sql(table: str) -> str:
    """SQL (re)creating ``table``: the ISCED words (``_isced_words``) of each distinct list of
    subject areas of the mobility terms, made once per list rather than once per term (most
    terms share a few lists)."""
    return f"""
DROP TABLE IF EXISTS {table};
CREATE TABLE {table} (areas TEXT PRIMARY KEY, words TEXT) WITHOUT ROWID;
INSERT INTO {table} SELECT areas, {_isced_words('areas')} FROM (SELECT DISTINCT t.subject_areas AS areas FROM mobility_terms t);
"""


def _agreement_topics(alias: str, partner_text: str | None = None, subject_words: str | None = None) -> str:
    """What else finds an agreement: its kind, its partners' countries, cities, networks and medical
    faculties, the ISCED fields of its subject areas, its degree kinds and its programmes' names.

    ``partner_text``: the alias of a row of ``PARTNER_TEXT_TABLE`` (``partner_text_sql``) joined
    to ``alias``, whose partners' part is read there instead of gathered per agreement;
    ``subject_words``: a table of ``subject_words_sql``, where each term's ISCED words are read."""
    partners = (f"FROM agreement_parties p CROSS JOIN institutions i ON i.id = p.institution "
                f"WHERE p.agreement = {alias}.id AND p.role <> 'home' AND i.is_home = 0")
    if partner_text is None:
        partner_words = f"(SELECT group_concat({_partner_words('i')}, ' ') {partners})"
        # Partner by partner, in the parties' key order, as _partners_of_agreements lists them: one
        # IN list over the memberships listed them in whatever order the plan met them.
        networks = f"(SELECT group_concat({_current_networks('p.institution')}, ' ') {partners})"
    else:
        partner_words, networks = f"{partner_text}.partner_words", f"{partner_text}.networks"
    if subject_words is None:
        fields = (f"(SELECT group_concat({_isced_word('c')}, ' ') FROM (SELECT {_ISCED_CODE} AS c "
                  f"FROM mobility_terms t, json_each(t.subject_areas) s WHERE t.agreement = {alias}.id))")
    else:
        # the same words, term by term in the same order: group_concat leaves out a term without any
        fields = (f"(SELECT group_concat(sw.words, ' ') FROM mobility_terms t CROSS JOIN {subject_words} sw "
                  f"ON sw.areas = t.subject_areas WHERE t.agreement = {alias}.id)")
    return _joined(
        _words("agreement_kind", f"{alias}.kind"),
        partner_words,
        networks,
        fields,
        f"(SELECT group_concat({_words('degree_kind', 'd.kind')}, ' ') FROM degree_terms d WHERE d.agreement = {alias}.id)",
        f"(SELECT group_concat(g.name_en, ' ') FROM agreement_programmes ap "
        f"JOIN programmes g ON g.id = ap.programme WHERE ap.agreement = {alias}.id)",
    )


def _institution_row(alias: str) -> str:
    ident = f"{alias}.id"
    return (
        f"{alias}.rowid, {alias}.name, {alias}.acronym, {alias}.city, "
        f"{_INSTITUTION_NAMES.format(id=ident)}, {_INSTITUTION_FOLDED.format(id=ident)}, {_institution_topics(alias)}"
    )


# The columns of agreements that ``_agreement_own`` reads (as SQLite's authorizer names them).
AGREEMENT_OWN_COLUMNS = frozenset({"ROWID", "title", "agreement_code", "notes"})


def _agreement_own(alias: str) -> str:
    """The columns of an agreement's search row read from its own row: its rowid, title and notes."""
    # The office's own code is searched with the title (the search table keeps its columns).
    return f"{alias}.rowid, {alias}.title || coalesce(' | ' || {alias}.agreement_code, ''), {alias}.notes"


def _agreement_made(alias: str, partner_text: str | None = None, subject_words: str | None = None) -> dict[str, str]:
    """The columns of an agreement's search row made from other tables (its partners' names, its
    topics), by name, in the search table's order."""
    ident = f"{alias}.id"
    if partner_text is None:
        partners = _AGREEMENT_PARTNERS.format(id=ident)
        folded = _AGREEMENT_PARTNERS_FOLDED.format(id=ident)
    else:
        partners, folded = f"{partner_text}.partners", f"{partner_text}.partners_folded"
    return {"partners": partners, "partners_folded": folded, "topics": _agreement_topics(alias, partner_text, subject_words)}


def _agreement_row(alias: str, partner_text: str | None = None, subject_words: str | None = None) -> str:
    return ", ".join([_agreement_own(alias), *_agreement_made(alias, partner_text, subject_words).values()])


def _refresh_institutions(keys: str) -> str:
    """Recompute the topics of the institutions whose ids ``keys`` (SQL) gives."""
    return (f"UPDATE institutions_fts SET topics = {_institution_topics('i')} FROM institutions i "
            f"WHERE i.id IN ({keys}) AND institutions_fts.rowid = i.rowid;")


def _refresh_agreements(keys: str) -> str:
    """Recompute the topics of the agreements whose ids ``keys`` (SQL) gives."""
    return (f"UPDATE agreements_fts SET topics = {_agreement_topics('a')} FROM agreements a "
            f"WHERE a.id IN ({keys}) AND agreements_fts.rowid = a.rowid;")


def _refresh_partners(keys: str) -> str:
    """Recompute the partners' names of the agreements whose ids ``keys`` (SQL) gives."""
    return (f"UPDATE agreements_fts SET partners = {_AGREEMENT_PARTNERS.format(id='a.id')}, "
            f"partners_folded = {_AGREEMENT_PARTNERS_FOLDED.format(id='a.id')} FROM agreements a "
            f"WHERE a.id IN ({keys}) AND agreements_fts.rowid = a.rowid;")


def _vocabulary_refreshes(row: str) -> str:
    """Recompute the topics that read the words of label ``row`` (NEW or OLD): ``labels`` is
    written whole only before the search triggers exist (a new registry) or while a migration
    has dropped them (which rebuilds the index if the words differ), but a label changed any
    other way must not leave search rows, the registry's or (made from them) the public copy's,
    with the words of before. Each vocabulary's rows are picked by the codes its words are read
    for in ``_institution_topics`` and ``_agreement_topics`` (an ISCED field's words also stand
    for the longer codes the list lacks: every code it begins); tests/test_search_freshness.py
    holds the list to the vocabularies the search reads."""
    vocabulary, value = f"{row}.vocabulary", f"{row}.value"
    medical = f"({vocabulary} = {sql_literal('medical_faculty')} AND {value} = {sql_literal('yes')} AND medical_faculty = 1)"
    partners = f"SELECT id FROM institutions WHERE ({vocabulary} = 'country' AND country = {value}) OR {medical}"
    institutions = f"{partners} OR ({vocabulary} = 'institution_kind' AND kind = {value})"
    agreements = (
        f"SELECT agreement FROM agreement_parties WHERE institution IN ({partners}) "
        f"UNION SELECT id FROM agreements WHERE {vocabulary} = 'agreement_kind' AND kind = {value} "
        f"UNION SELECT agreement FROM degree_terms WHERE {vocabulary} = 'degree_kind' AND kind = {value} "
        f"UNION SELECT t.agreement FROM mobility_terms t, json_each(t.subject_areas) s WHERE {vocabulary} = 'isced' "
        f"AND substr({_ISCED_CODE}, 1, length({value})) = {value}"
    )
    return _refresh_institutions(institutions) + "\n  " + _refresh_agreements(agreements)


def _vocabulary_triggers() -> str:
    """Triggers that keep the topics current when the words of ``labels`` change (``_vocabulary_refreshes``)."""
    changed = "OLD.vocabulary IS NOT NEW.vocabulary OR OLD.value IS NOT NEW.value OR OLD.words IS NOT NEW.words"
    return (
        f"CREATE TRIGGER IF NOT EXISTS labels_fts_insert AFTER INSERT ON labels BEGIN\n  {_vocabulary_refreshes('NEW')}\nEND;\n"
        f"CREATE TRIGGER IF NOT EXISTS labels_fts_update AFTER UPDATE ON labels WHEN {changed} BEGIN\n  "
        f"{_vocabulary_refreshes('OLD')}\n  {_vocabulary_refreshes('NEW')}\nEND;\n"
        f"CREATE TRIGGER IF NOT EXISTS labels_fts_delete AFTER DELETE ON labels BEGIN\n  {_vocabulary_refreshes('OLD')}\nEND;"
    )


def _topic_triggers() -> str:
    """Triggers that keep the topics current when what they are made of changes elsewhere."""
    of_institution = "SELECT agreement FROM agreement_parties WHERE institution IN ({})"
    members = "SELECT institution FROM memberships WHERE network = {row}.id"
    # table -> (institutions, agreements) whose topics a change of one of its rows touches, as SQL over {row}
    sources: dict[str, tuple[str | None, str]] = {
        "memberships": ("{row}.institution", of_institution.format("{row}.institution")),
        "networks": (members, of_institution.format(members)),
        "mobility_terms": (None, "{row}.agreement"),
        "degree_terms": (None, "{row}.agreement"),
        "agreement_programmes": (None, "{row}.agreement"),
        "programmes": (None, "SELECT agreement FROM agreement_programmes WHERE programme = {row}.id"),
    }
    events = {"insert": ("NEW",), "delete": ("OLD",), "update": ("OLD", "NEW")}
    triggers = []
    for table, (institutions, agreements) in sources.items():
        for event, rows in events.items():
            statements = [
                (_refresh_institutions(institutions.format(row=row)) if institutions else "")
                + _refresh_agreements(agreements.format(row=row))
                for row in rows
            ]
            body = "\n  ".join(statements)
            triggers.append(
                f"CREATE TRIGGER IF NOT EXISTS {table}_fts_topics_{event} AFTER {event.upper()} ON {table} BEGIN\n  {body}\nEND;"
            )
    return "\n".join(triggers)


SEARCH_SQL = f"""
CREATE VIRTUAL TABLE IF NOT EXISTS institutions_fts USING fts5(
  name, acronym, city, all_names, all_names_folded, topics, tokenize = 'unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE IF NOT EXISTS agreements_fts USING fts5(
  title, notes, partners, partners_folded, topics, tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS institutions_fts_insert AFTER INSERT ON institutions BEGIN
  INSERT INTO institutions_fts (rowid, name, acronym, city, all_names, all_names_folded, topics)
  VALUES ({_institution_row('NEW')});
END;
CREATE TRIGGER IF NOT EXISTS institutions_fts_update AFTER UPDATE ON institutions BEGIN
  DELETE FROM institutions_fts WHERE rowid = OLD.rowid;
  INSERT INTO institutions_fts (rowid, name, acronym, city, all_names, all_names_folded, topics)
  VALUES ({_institution_row('NEW')});
  {_refresh_agreements("SELECT agreement FROM agreement_parties WHERE institution = NEW.id")}
END;
CREATE TRIGGER IF NOT EXISTS institutions_fts_delete AFTER DELETE ON institutions BEGIN
  DELETE FROM institutions_fts WHERE rowid = OLD.rowid;
END;
CREATE TRIGGER IF NOT EXISTS institution_names_fts_insert AFTER INSERT ON institution_names BEGIN
  UPDATE institutions_fts SET all_names = {_INSTITUTION_NAMES.format(id='NEW.institution')},
    all_names_folded = {_INSTITUTION_FOLDED.format(id='NEW.institution')}
  WHERE rowid = (SELECT rowid FROM institutions WHERE id = NEW.institution);
  {_refresh_partners("SELECT agreement FROM agreement_parties WHERE institution = NEW.institution")}
END;
CREATE TRIGGER IF NOT EXISTS institution_names_fts_update AFTER UPDATE ON institution_names BEGIN
  UPDATE institutions_fts SET all_names = {_INSTITUTION_NAMES.format(id='i.id')},
    all_names_folded = {_INSTITUTION_FOLDED.format(id='i.id')}
  FROM institutions i WHERE i.id IN (OLD.institution, NEW.institution) AND institutions_fts.rowid = i.rowid;
  {_refresh_partners("SELECT agreement FROM agreement_parties WHERE institution IN (OLD.institution, NEW.institution)")}
END;
CREATE TRIGGER IF NOT EXISTS institution_names_fts_delete AFTER DELETE ON institution_names BEGIN
  UPDATE institutions_fts SET all_names = {_INSTITUTION_NAMES.format(id='OLD.institution')},
    all_names_folded = {_INSTITUTION_FOLDED.format(id='OLD.institution')}
  WHERE rowid = (SELECT rowid FROM institutions WHERE id = OLD.institution);
  {_refresh_partners("SELECT agreement FROM agreement_parties WHERE institution = OLD.institution")}
END;
CREATE TRIGGER IF NOT EXISTS agreements_fts_insert AFTER INSERT ON agreements BEGIN
  INSERT INTO agreements_fts (rowid, title, notes, partners, partners_folded, topics) VALUES ({_agreement_row('NEW')});
END;
CREATE TRIGGER IF NOT EXISTS agreements_fts_update AFTER UPDATE ON agreements BEGIN
  DELETE FROM agreements_fts WHERE rowid = OLD.rowid;
  INSERT INTO agreements_fts (rowid, title, notes, partners, partners_folded, topics) VALUES ({_agreement_row('NEW')});
END;
CREATE TRIGGER IF NOT EXISTS agreements_fts_delete AFTER DELETE ON agreements BEGIN
  DELETE FROM agreements_fts WHERE rowid = OLD.rowid;
END;
CREATE TRIGGER IF NOT EXISTS agreement_parties_fts_insert AFTER INSERT ON agreement_parties BEGIN
  UPDATE agreements_fts SET partners = {_AGREEMENT_PARTNERS.format(id='NEW.agreement')},
    partners_folded = {_AGREEMENT_PARTNERS_FOLDED.format(id='NEW.agreement')}
  WHERE rowid = (SELECT rowid FROM agreements WHERE id = NEW.agreement);
  {_refresh_agreements("NEW.agreement")}
END;
CREATE TRIGGER IF NOT EXISTS agreement_parties_fts_delete AFTER DELETE ON agreement_parties BEGIN
  UPDATE agreements_fts SET partners = {_AGREEMENT_PARTNERS.format(id='OLD.agreement')},
    partners_folded = {_AGREEMENT_PARTNERS_FOLDED.format(id='OLD.agreement')}
  WHERE rowid = (SELECT rowid FROM agreements WHERE id = OLD.agreement);
  {_refresh_agreements("OLD.agreement")}
END;
CREATE TRIGGER IF NOT EXISTS agreement_parties_fts_update AFTER UPDATE ON agreement_parties BEGIN
  UPDATE agreements_fts SET partners = {_AGREEMENT_PARTNERS.format(id='a.id')},
    partners_folded = {_AGREEMENT_PARTNERS_FOLDED.format(id='a.id')}
  FROM agreements a WHERE a.id IN (OLD.agreement, NEW.agreement) AND agreements_fts.rowid = a.rowid;
  {_refresh_agreements("OLD.agreement, NEW.agreement")}
END;
{_topic_triggers()}
{_vocabulary_triggers()}
"""

INSTITUTION_SEARCH_COLUMNS = "rowid, name, acronym, city, all_names, all_names_folded, topics"
AGREEMENT_SEARCH_COLUMNS = "rowid, title, notes, partners, partners_folded, topics"


def institution_search_rows() -> str:
    """SQL selecting the search rows (``INSTITUTION_SEARCH_COLUMNS``) of every institution."""
    return f"SELECT {_institution_row('i')} FROM institutions i"


INSTITUTION_TEXT_TABLE = "temp.search_institution_text"
PARTNER_TEXT_TABLE = "temp.search_partner_text"


def institution_text_sql(table: str = INSTITUTION_TEXT_TABLE) -> str:
    """SQL (re)creating ``table``: each institution's part of the search rows of the agreements it
    is a partner to (by the rules of ``_agreement_row``), made once per institution."""
    return f"""
DROP TABLE IF EXISTS {table};
CREATE TABLE {table} (id TEXT PRIMARY KEY, is_home INTEGER, names TEXT, names_folded TEXT,
  partner_words TEXT, networks TEXT) WITHOUT ROWID;
INSERT INTO {table} SELECT i.id, i.is_home, {_INSTITUTION_NAMES.format(id='i.id')},
  {_INSTITUTION_FOLDED.format(id='i.id')}, {_partner_words('i')}, {_current_networks('i.id')} FROM institutions i;
"""


def _partners_of_agreements(institution_text: str, where: str = "1") -> str:
    """SQL selecting the partners' part of the search rows of the agreements ``a`` for which
    ``where`` holds, read from ``institution_text`` (``institution_text_sql``). The parties in
    their key's order (agreement, institution): the order the per-agreement subqueries walk them
    in, and (institution ids ascending) the one their networks' IN list takes."""
    wanted = "p.role <> 'home' AND it.is_home = 0"
    agreements = "" if where == "1" else f"WHERE p.agreement IN (SELECT a.id FROM agreements a WHERE {where}) "
    return (f"SELECT p.agreement, group_concat(it.names, ' | ') AS partners, "
            f"group_concat(it.names_folded, ' | ') AS partners_folded, "
            f"group_concat(CASE WHEN {wanted} THEN it.partner_words END, ' ') AS partner_words, "
            f"group_concat(CASE WHEN {wanted} THEN it.networks END, ' ') AS networks "
            f"FROM agreement_parties p INDEXED BY sqlite_autoindex_agreement_parties_1 "
            f"CROSS JOIN {institution_text} it ON it.id = p.institution {agreements}GROUP BY p.agreement")


def partner_text_sql() -> str:
    """SQL (re)creating ``PARTNER_TEXT_TABLE``: each agreement's partners' part of its search row,
    by the rules of ``_agreement_row`` but in two passes (each institution's text once, then each
    agreement's parties in key order) instead of four lookups per partner of every agreement."""
    return f"""{institution_text_sql()}
DROP TABLE IF EXISTS {PARTNER_TEXT_TABLE};
CREATE TABLE {PARTNER_TEXT_TABLE} (agreement TEXT PRIMARY KEY, partners TEXT, partners_folded TEXT,
  partner_words TEXT, networks TEXT) WITHOUT ROWID;
INSERT INTO {PARTNER_TEXT_TABLE} {_partners_of_agreements(INSTITUTION_TEXT_TABLE)};
DROP TABLE {INSTITUTION_TEXT_TABLE};
"""


def agreement_search_rows(where: str = "1", partner_text: bool = False, institution_text: str | None = None,
                          subject_words: str | None = None) -> str:
    """SQL selecting the search rows (``AGREEMENT_SEARCH_COLUMNS``) of the agreements ``a`` for
    which ``where`` holds: the public copy builds its index in parts, on two connections.
    ``partner_text``: read the partners' part from ``PARTNER_TEXT_TABLE`` (``partner_text_sql``);
    ``institution_text``: gather it for these agreements from that table (``institution_text_sql``),
    and the subject areas' words from ``subject_words`` (``subject_words_sql``)."""
    if institution_text is not None:
        return (f"WITH x AS MATERIALIZED ({_partners_of_agreements(institution_text, where)}) "
                f"SELECT {_agreement_row('a', 'x', subject_words)} FROM agreements a LEFT JOIN x ON x.agreement = a.id WHERE {where}")
    if not partner_text:
        return f"SELECT {_agreement_row('a')} FROM agreements a WHERE {where}"
    return (f"SELECT {_agreement_row('a', 'x')} FROM agreements a "
            f"LEFT JOIN {PARTNER_TEXT_TABLE} x ON x.agreement = a.id WHERE {where}")


def stored_agreement_search_rows(registry: str, made: bool = True) -> str:
    """SQL selecting the search rows (``AGREEMENT_SEARCH_COLUMNS``) of the agreements ``a`` of the
    main database (a public copy) in rowid order, their own columns (``_agreement_own``) from
    their rows there and the rest (the partners' names and the topics, made from other tables)
    from the search row the registry attached as ``registry`` keeps for the agreement of the same
    id, read from its FTS5 content table; an agreement without one gets its row made as
    ``agreement_search_rows`` would. The same rows only while the registry's triggers keep its
    rows current and the other tables' rows of each agreement are the registry's
    (``registry.publish``). Without ``made``, an agreement without a stored row has no row, and
    the main database need hold no other table than ``agreements``."""
    making = _agreement_made("a")
    stored = [c.strip() for c in AGREEMENT_SEARCH_COLUMNS.split(",")][1:]  # the content table's c0, c1 ... in order
    if stored[-len(making):] != list(making):
        raise AssertionError("the made columns must be the search table's last ones")
    if made:
        taken = ", ".join(f"CASE WHEN f.id IS NULL THEN {sql} ELSE f.c{stored.index(name)} END" for name, sql in making.items())
    else:
        taken = ", ".join(f"f.c{stored.index(name)}" for name in making)
    join = "LEFT JOIN" if made else "JOIN"
    return (f"SELECT {_agreement_own('a')}, {taken} FROM main.agreements a "
            f"{join} {registry}.agreements r ON r.id = a.id "
            f"{join} {registry}.agreements_fts_content f ON f.id = r.rowid ORDER BY a.rowid")


SEARCH_COLUMNS = {"institutions_fts": INSTITUTION_SEARCH_COLUMNS, "agreements_fts": AGREEMENT_SEARCH_COLUMNS}
# The whole search index made anew, table by table, in this order: (search table, SQL run before its rows are read,
# SQL selecting its rows); ``PARTNER_TEXT_TABLE`` is dropped at the end. Run in place (``REBUILD_SEARCH_SQL``) or
# indexed beside the registry (registry.db.search_build).
SEARCH_REBUILD_STEPS = (
    ("institutions_fts", "", institution_search_rows()),
    ("agreements_fts", partner_text_sql(), agreement_search_rows(partner_text=True)),
)
REBUILD_SEARCH_SQL = "".join(
    f"{before}\nDELETE FROM {table};\nINSERT INTO {table} ({SEARCH_COLUMNS[table]})\n  {rows};\n"
    for table, before, rows in SEARCH_REBUILD_STEPS
) + f"DROP TABLE {PARTNER_TEXT_TABLE};\n"
