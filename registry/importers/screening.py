"""Screening lists from four formats, each read into one ``RiskList`` with its entities.

- ``opensanctions``: OpenSanctions' ``targets.simple.csv`` (id, schema, name, aliases, ...,
  countries, sanctions, dataset, ...), multi-valued cells separated by ``;``;
- ``ftm``: FollowTheMoney entities, one JSON object per line (``id``, ``schema``,
  ``properties`` with lists of values);
- ``csv``: a plain table with name, aliases (``;``-separated), country, category, source
  (and optionally id);
- ``aspi``: the ASPI China Defence Universities Tracker, either the MISP galaxy JSON or the
  compact CSV in ``data/screening`` derived from it.

Only organisations are kept: people, vessels, aircraft and the like are counted and skipped,
because partners are institutions. Every problem names file, line, field and value, and
nothing is written unless the whole file is clean.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlite_utils
from pydantic import ValidationError

from registry import clock
from registry import db as store
from registry.countries import country_code
from registry.models.screening import RiskEntity, RiskList, RiskListFormat, RiskListKind, RiskProxy
from registry.problems import Problem, ProblemsFound, validation_problems
from registry.text import slugify

ORGANISATION_SCHEMATA = frozenset({"Organization", "Company", "PublicBody", "LegalEntity"})
FTM_NAME_PROPERTIES = ("name", "alias", "previousName", "weakAlias", "abbreviation")

# ASPI's categories that the tracker's README maps to "very high" risk; Civilian needs review.
ASPI_VERY_HIGH = frozenset(
    {"Military", "Seven sons of national defence", "Defence industry conglomerate", "Security"}
)
ASPI_LIST = {
    "id": "aspi-china-defence-universities",
    "name": "ASPI China Defence Universities Tracker (2020 snapshot)",
    "kind": RiskListKind.defence_universities,
    "source": "Australian Strategic Policy Institute (ASPI ICPC), via the MISP galaxy",
    "source_url": "https://github.com/MISP/misp-galaxy/blob/4635146b00713d1a1ed42bb7bb85ec2ab274ece7/clusters/china-defence-universities.json",
    "licence": "CC0-1.0 or BSD-2-Clause (MISP galaxy); ASPI's descriptions are not openly licensed and stay internal",
    "notes": (
        "A 2020 scrape of unitracker.aspi.org.au (MISP galaxy commit 4635146, 2020-08-22); it lags ASPI's live "
        "tracker. ASPI's own risk rating is not in the snapshot: risk_proxy is derived from the categories "
        "(Military, Seven sons of national defence, Defence industry conglomerate, Security -> very_high; "
        "Civilian -> needs_review) and is a PROXY, not ASPI's rating."
    ),
}
_DEFAULTS = {
    RiskListFormat.opensanctions: {"id": "opensanctions", "kind": RiskListKind.sanctions, "source": "OpenSanctions",
                                   "source_url": "https://www.opensanctions.org/datasets/"},
    RiskListFormat.ftm: {"kind": RiskListKind.sanctions, "source": "FollowTheMoney export"},
    RiskListFormat.csv: {"kind": RiskListKind.other, "source": "CSV file"},
}
PLA_PREFIX = "中国人民解放军"  # "Chinese People's Liberation Army", the start of the PLA's official names
_BRACKETED_LOCAL_NAME = re.compile(r"^(?P<name>.*?)\s*\((?P<local>[^()]*[^\x00-\x7f][^()]*)\)\s*$")


@dataclass
class ReadResult:
    """What a reader found in a file: entities with their line, problems, and what it skipped."""

    entities: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (where, fields)
    problems: list[Problem] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)  # reason -> count
    list_defaults: dict[str, Any] = field(default_factory=dict)


@dataclass
class LoadResult:
    risk_list: RiskList
    plan: store.Plan
    skipped: dict[str, int]


def split_values(cell: str | None) -> list[str]:
    """A multi-valued cell ('a; b;c') as a list without blanks or repeats, order kept."""
    values: list[str] = []
    for part in (cell or "").split(";"):
        part = part.strip()
        if part and part not in values:
            values.append(part)
    return values


def _countries(values: list[str], where: str, problems: list[Problem], *, strict: bool, skipped: Counter) -> list[str]:
    """ISO alpha-2 codes for the given names or codes. Sanctions lists use codes beyond ISO
    (e.g. 'suhh' for the Soviet Union); those are counted and left out rather than refused."""
    codes: list[str] = []
    for value in values:
        try:
            code = country_code(value)
        except ValueError as error:
            if strict:
                problems.append(Problem("invalid-value", where, str(error), None, "country", value))
            else:
                skipped[f"country code outside ISO 3166 ({value})"] += 1
            continue
        if code not in codes:
            codes.append(code)
    return codes


def _csv_rows(path: Path, required: tuple[str, ...], problems: list[Problem]) -> Iterator[tuple[str, dict[str, str]]]:
    csv.field_size_limit(16 * 1024 * 1024)  # sanctions exports have cells longer than csv's 128 KB default
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [name for name in required if name not in (reader.fieldnames or [])]
        if missing:
            problems.append(
                Problem("missing-column", f"{path}:1", f"the header lacks column(s) {', '.join(missing)}", None, missing[0])
            )
            return
        for row in reader:
            yield f"{path}:{reader.line_num}", {k: (v or "").strip() for k, v in row.items() if k}


def read_opensanctions(path: Path) -> ReadResult:
    result = ReadResult()
    for where, row in _csv_rows(path, ("id", "schema", "name"), result.problems):
        if row["schema"] not in ORGANISATION_SCHEMATA:
            result.skipped[f"schema {row['schema'] or '(none)'}"] += 1
            continue
        result.entities.append((where, {
            "entity_id": row["id"],
            "name": row["name"],
            "aliases": split_values(row.get("aliases")),
            "countries": _countries(split_values(row.get("countries")), where, result.problems, strict=False, skipped=result.skipped),
            "categories": split_values(row.get("dataset")),
            "programs": split_values(row.get("sanctions")),
            "source_url": f"https://www.opensanctions.org/entities/{row['id']}/" if re.match(r"^[\w.-]+$", row["id"]) else None,
        }))
    return result


def read_ftm(path: Path) -> ReadResult:
    result = ReadResult()
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            where = f"{path}:{line_no}"
            if not line.strip():
                continue
            try:
                entity = json.loads(line)
            except ValueError as error:
                result.problems.append(Problem("invalid-json", where, f"not a JSON object: {error}"))
                continue
            if not isinstance(entity, dict) or not isinstance(entity.get("properties", {}), dict):
                result.problems.append(Problem("invalid-json", where, "an FtM entity is an object with 'properties'"))
                continue
            schema_name = entity.get("schema")
            if schema_name not in ORGANISATION_SCHEMATA:
                result.skipped[f"schema {schema_name or '(none)'}"] += 1
                continue
            properties = entity.get("properties") or {}
            names = [n for key in FTM_NAME_PROPERTIES for n in properties.get(key, []) if isinstance(n, str) and n.strip()]
            countries = [*properties.get("country", []), *properties.get("jurisdiction", []), *properties.get("mainCountry", [])]
            result.entities.append((where, {
                "entity_id": str(entity.get("id") or ""),
                "name": names[0] if names else "",
                "aliases": list(dict.fromkeys(n.strip() for n in names[1:])),
                "countries": _countries(countries, where, result.problems, strict=False, skipped=result.skipped),
                "categories": list(entity.get("datasets") or []),
                "programs": list(properties.get("program", [])),
                "topics": list(properties.get("topics", [])),
            }))
    return result


def name_slug(name: str) -> str:
    try:
        return slugify(name, limit=120)
    except ValueError:
        return "unnamed"


def read_plain_csv(path: Path) -> ReadResult:
    result = ReadResult()
    seen: dict[str, str] = {}
    for where, row in _csv_rows(path, ("name",), result.problems):
        entity_id = row.get("id") or name_slug(row["name"])
        if entity_id in seen:
            result.problems.append(
                Problem("duplicate-id", where, f"the same id as {seen[entity_id]}; give an id column", None, "id", entity_id)
            )
            continue
        seen[entity_id] = where
        result.entities.append((where, {
            "entity_id": entity_id,
            "name": row["name"],
            "aliases": split_values(row.get("aliases")),
            "countries": _countries(split_values(row.get("country")), where, result.problems, strict=True, skipped=result.skipped),
            "categories": split_values(row.get("category")),
            "programs": split_values(row.get("source")),
        }))
    return result


def aspi_risk_proxy(categories: list[str]) -> RiskProxy:
    return RiskProxy.very_high if ASPI_VERY_HIGH & set(categories) else RiskProxy.needs_review


def split_bracketed_name(value: str) -> tuple[str, str | None]:
    """'Harbin Institute of Technology (哈尔滨工业大学)' -> the English name and the Chinese one.
    Brackets holding Latin text ('China University of Geosciences (Wuhan)') stay in the name."""
    found = _BRACKETED_LOCAL_NAME.match(value)
    return (found["name"].strip(), found["local"].strip()) if found else (value.strip(), None)


def aspi_entity(value: str, uuid: str, meta: dict[str, Any], description: str | None = None) -> dict[str, Any]:
    """One tracker entry's facts as risk_entities fields (what tools/derive_aspi_list.py keeps)."""
    name, local_name = split_bracketed_name(value)
    aliases = [a.strip() for a in [local_name, *meta.get("aliases", [])] if a and a.strip() and a.strip() != name]
    refs = meta.get("refs") or []
    return {
        "entity_id": uuid,
        "name": name,
        "aliases": list(dict.fromkeys(aliases)),
        "countries": ["CN"],
        "categories": list(meta.get("categories", [])),
        "supervising_agencies": list(meta.get("supervising agencies", [])),
        "topics": list(meta.get("topics", [])),
        "source_url": refs[0] if refs else None,
        "internal_description": description,
    }


def with_aspi_derivations(fields: dict[str, Any]) -> dict[str, Any]:
    """Add what the registry derives from a tracker entry: the risk proxy, and "PLA <name>" for
    entries whose official Chinese name says they belong to the People's Liberation Army
    (中国人民解放军...), as partners often write it and the tracker's aliases do only sometimes."""
    aliases = list(fields["aliases"])
    if any(a.startswith(PLA_PREFIX) for a in aliases) and not any(
        "PLA" in n.split() and fields["name"] in n for n in [fields["name"], *aliases]
    ):
        aliases.append(f"PLA {fields['name']}")
    return {**fields, "aliases": aliases, "risk_proxy": aspi_risk_proxy(fields["categories"])}


def read_aspi(path: Path) -> ReadResult:
    """The MISP galaxy JSON (with ASPI's descriptions, kept internal) or the compact CSV."""
    result = ReadResult(list_defaults=dict(ASPI_LIST))
    if path.suffix.lower() == ".csv":
        for where, row in _csv_rows(path, ("uuid", "name", "aliases", "categories"), result.problems):
            result.entities.append((where, with_aspi_derivations({
                "entity_id": row["uuid"],
                "name": row["name"],
                "aliases": split_values(row["aliases"]),
                "countries": ["CN"],
                "categories": split_values(row["categories"]),
                "supervising_agencies": split_values(row.get("supervising_agencies")),
                "topics": split_values(row.get("topics")),
                "source_url": row.get("ref") or None,
            })))
        return result
    try:
        galaxy = json.loads(path.read_text(encoding="utf-8"))
        values = galaxy["values"]
    except (ValueError, KeyError, TypeError) as error:
        result.problems.append(Problem("invalid-json", str(path), f"not a MISP galaxy cluster file with 'values': {error}"))
        return result
    for position, value in enumerate(values, start=1):
        where = f"{path}: values[{position}]"
        fields = aspi_entity(value.get("value", ""), value.get("uuid", ""), value.get("meta", {}), value.get("description"))
        result.entities.append((where, with_aspi_derivations(fields)))
    return result


READERS: dict[RiskListFormat, Callable[[Path], ReadResult]] = {
    RiskListFormat.opensanctions: read_opensanctions,
    RiskListFormat.ftm: read_ftm,
    RiskListFormat.csv: read_plain_csv,
    RiskListFormat.aspi: read_aspi,
}


def _validated(list_id: str, result: ReadResult) -> list[RiskEntity]:
    entities: list[RiskEntity] = []
    seen: dict[str, str] = {}
    for where, fields in result.entities:
        if fields["entity_id"] in seen:
            result.problems.append(
                Problem("duplicate-id", where, f"the same entity id as {seen[fields['entity_id']]}", None, "id", fields["entity_id"])
            )
            continue
        seen[fields["entity_id"]] = where
        try:
            entities.append(RiskEntity(list=list_id, **fields))
        except ValidationError as error:
            result.problems += validation_problems(error, where, f"risk_entities/{fields['entity_id']}")
    return entities


def read_list(
    path: str | Path,
    list_format: RiskListFormat | str,
    *,
    list_id: str | None = None,
    name: str | None = None,
    kind: RiskListKind | str | None = None,
    source: str | None = None,
    source_url: str | None = None,
    retrieved_on: date | None = None,
    licence: str | None = None,
) -> tuple[RiskList, dict[str, int]]:
    """Read a list file into a validated RiskList (with entities); raise ProblemsFound otherwise."""
    path = Path(path)
    list_format = RiskListFormat(list_format)
    result = READERS[list_format](path)
    defaults = {**_DEFAULTS.get(list_format, {}), **result.list_defaults}
    list_id = list_id or defaults.get("id") or name_slug(path.stem)
    entities = _validated(list_id, result)
    if result.problems:
        raise ProblemsFound(result.problems)
    given = {"name": name, "kind": kind, "source": source, "source_url": source_url,
             "retrieved_on": retrieved_on, "licence": licence}
    fields = {key: value for key, value in {**defaults, **{k: v for k, v in given.items() if v is not None}}.items() if key != "id"}
    fields.setdefault("name", path.name)
    try:
        risk_list = RiskList(
            id=list_id,
            format=list_format,
            loaded_at=clock.now(),
            entity_count=len(entities),
            entities=entities,
            **fields,
        )
    except ValidationError as error:
        raise ProblemsFound(validation_problems(error, str(path), f"risk_lists/{list_id}")) from error
    return risk_list, dict(result.skipped)


def load_list(db: sqlite_utils.Database, path: str | Path, list_format: RiskListFormat | str, *,
              actor: str | None = None, dry_run: bool = False, **list_fields: Any) -> LoadResult:
    """Read a list and write it whole: entities no longer in the file are removed, in one
    logged transaction. Screening matches of removed entities stop being current at the
    next ``screen``."""
    risk_list, skipped = read_list(path, list_format, **list_fields)
    stored = db.conn.execute("SELECT loaded_at FROM risk_lists WHERE id = ?", [risk_list.id]).fetchone()
    if stored and _only_load_time_differs(store.plan_changes(db, [risk_list])):
        # The file says what the registry holds: keep the stored time so a reload writes nothing.
        risk_list = risk_list.model_copy(update={"loaded_at": datetime.fromisoformat(stored[0])})
    plan = store.write_records(db, [risk_list], actor=actor, source=f"screening list {Path(path).name}", dry_run=dry_run)
    return LoadResult(risk_list, plan, skipped)


def _only_load_time_differs(plan: store.Plan) -> bool:
    return all(
        change.table == "risk_lists" and {name for name, _, _ in change.changed_fields()} == {"loaded_at"}
        for change in plan.changes
    )
