"""Load reference registries (ROR, the world-universities list) into the reference tables.

Accepted files, recognised by their content rather than their name:

- the ROR data dump, schema v2 (``vX.Y-YYYY-MM-DD-ror-data_schema_v2.json``), as the JSON
  array or the zip that Zenodo serves;
- ROR records one per line (JSON lines, optionally gzipped), in schema v2, v1, or the flat
  "normalized" shape (``id, name, names, country_code, city, lat, lng, ...``) that
  ``data/reference_institutions`` ships;
- Hipo's ``world_universities_and_domains.json`` (name, alpha_two_code, domains, web_pages).

A load is one logged transaction: loading the same file twice writes nothing the second time,
and a newer release writes only what changed.
"""

from __future__ import annotations

import codecs
import gzip
import io
import itertools
import json
import re
import sys
import zipfile
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import click
import ijson
import sqlite_utils
from pydantic import ValidationError

from registry import clock
from registry import db as store
from registry.models.reference import ReferenceInstitution, ReferenceLoad, normalized
from registry.problems import Problem, ProblemsFound

PROGRESS_THRESHOLD = 10_000  # rows; smaller loads finish before a bar would help
_CHUNK = 2_000
_ROR_PREFIXES = ("https://ror.org/", "http://ror.org/", "ror.org/", "ror:")
_NAME_PRIORITY = {"official": 0, "local": 1, "alias": 2, "former": 3, "acronym": 4}


def ror_id(value: str) -> str:
    """A ROR id without its prefix: 'https://ror.org/035b05819' -> '035b05819'."""
    value = value.strip()
    for prefix in _ROR_PREFIXES:
        if value.lower().startswith(prefix):
            return value[len(prefix):].lower()
    return value.lower()


# --- reading the formats ------------------------------------------------------------------


@dataclass
class ReferenceFile:
    source: str  # ror or hipo
    release: str | None
    rows: Iterable[dict[str, Any]]  # raw records as the file has them, read as they are used
    count: Callable[[], int]  # how many there are (a pass over the file: for a progress bar only)


def _release_of(name: str) -> str | None:
    found = re.search(r"v(\d+(?:\.\d+)+)", name)
    return f"v{found.group(1)}" if found else None


def _open_bytes(path: Path) -> IO[bytes]:
    """The file's bytes, gunzipped if gzipped, past a UTF-8 byte order mark if it has one."""
    raw = path.open("rb")
    head = raw.read(2)
    raw.seek(0)
    return _past_bom(gzip.GzipFile(fileobj=raw) if head == b"\x1f\x8b" else raw)


def _past_bom(stream: Any) -> IO[bytes]:
    buffered = stream if isinstance(stream, io.BufferedReader) else io.BufferedReader(stream)
    if buffered.peek(3)[:3] == codecs.BOM_UTF8:
        buffered.read(3)
    return buffered


def open_reference(path: str | Path) -> ReferenceFile:
    """Recognise a reference file and return its records (not yet converted), read lazily: a
    JSON array is parsed record by record (ijson), so a full ROR dump never sits in memory."""
    path = Path(path)
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.namelist() if m.endswith(".json")]
        if not members:
            raise ProblemsFound([Problem("unknown-format", str(path), "the zip holds no .json file")])
        member = next((m for m in members if "schema_v2" in m), members[0])
        return _from_array(path, _ZipMember(path, member), _release_of(member) or _release_of(path.name))
    with _read_faults(str(path)), _open_bytes(path) as stream:
        first = stream.read(1)
        while first and first.isspace():
            first = stream.read(1)
    if first in (b"\xff", b"\xfe"):  # a UTF-16 byte order mark
        raise _not_utf8(str(path))
    if first == b"[":
        return _from_array(path, _File(path), _release_of(path.name))
    if first != b"{":
        raise ProblemsFound(
            [Problem("unknown-format", str(path), "not a ROR dump (JSON array, zip or JSON lines) nor the world-universities JSON")]
        )
    return ReferenceFile("ror", _release_of(path.name), _Rows(lambda: _json_lines(path)), lambda: _count(_json_lines(path)))


class _Rows:
    """Rows that can be read more than once, each time afresh from the file."""

    def __init__(self, read: Callable[[], Iterator[dict[str, Any]]]):
        self.read = read

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self.read()


@dataclass
class _ZipMember:
    path: Path
    member: str

    @contextmanager
    def open(self) -> Iterator[IO[bytes]]:
        with zipfile.ZipFile(self.path) as archive, archive.open(self.member) as member:
            yield _past_bom(member)


@dataclass
class _File:
    path: Path

    @contextmanager
    def open(self) -> Iterator[IO[bytes]]:
        with _open_bytes(self.path) as stream:
            yield stream


def _array_items(path: Path, source: _ZipMember | _File) -> Iterator[dict[str, Any]]:
    with _read_faults(str(path)), source.open() as stream:
        try:
            for number, item in enumerate(ijson.items(stream, "item", use_float=True), start=1):
                if not isinstance(item, dict):
                    raise ProblemsFound([Problem("unknown-format", f"{path}: record {number}", "expected a JSON array of records")])
                yield item
        except ijson.JSONError as error:
            reason = " ".join(str(error).split())  # yajl points with an arrow over several lines
            raise ProblemsFound([Problem("invalid-json", str(path), f"not valid JSON: {reason}")]) from error


MAX_DEPTH = 64  # a ROR or world-universities record is four levels deep


def _too_deep(path: Path) -> ProblemsFound:
    return ProblemsFound([Problem("invalid-json", str(path), f"a record is nested more than {MAX_DEPTH} levels deep; "
                                  "no reference record is, so the file is damaged or hostile")])


def _check_depth(path: Path, source: _ZipMember | _File) -> None:
    """Refuse a file nested deeper than any record, before ijson.items reads it: that keeps one
    key path per open level, which grows with the square of the depth (25 GB for 100,000).

    A separate pass, because both passes run in yajl's C code: on the world-universities list it
    costs 0.037 s beside the records' 0.034 s, where one pass guarding ijson's events in Python
    costs 0.114 s (2026-12-07). The count for the progress bar is a third pass only on a terminal."""
    depth = 0
    with _read_faults(str(path)), source.open() as stream:
        try:
            for event, _ in ijson.basic_parse(stream, use_float=True):
                if event in ("start_array", "start_map"):
                    depth += 1
                    if depth > MAX_DEPTH:
                        raise _too_deep(path)
                elif event in ("end_array", "end_map"):
                    depth -= 1
        except ijson.JSONError:
            return  # said, with its place, by the pass that reads the records


def _from_array(path: Path, source: _ZipMember | _File, release: str | None) -> ReferenceFile:
    _check_depth(path, source)
    first = next(_array_items(path, source), None)
    kind = "hipo" if first and "alpha_two_code" in first else "ror"
    return ReferenceFile(kind, release, _Rows(lambda: _array_items(path, source)), lambda: _count(_array_items(path, source)))


def _count(rows: Iterator[Any]) -> int:
    return sum(1 for _ in rows)


def _not_utf8(where: str) -> ProblemsFound:
    return ProblemsFound([Problem("not-utf8", where, "the text is not UTF-8, as ROR and the world-universities list write it")])


@contextmanager
def _read_faults(where: str) -> Iterator[None]:
    """A gzip file cut short or damaged, or text that is not UTF-8, as one problem naming the file."""
    try:
        yield
    except (EOFError, zlib.error, gzip.BadGzipFile) as error:
        raise ProblemsFound([Problem("unreadable-file", where, f"a damaged gzip file ({error})")]) from None
    except UnicodeDecodeError:
        raise _not_utf8(where) from None


def _json_lines(path: Path) -> Iterator[dict[str, Any]]:
    with _read_faults(str(path)), _open_bytes(path) as stream:
        for number, raw in enumerate(stream, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise _not_utf8(f"{path}:{number}") from None
            if line.strip():
                try:
                    yield json.loads(line)
                except ValueError as error:
                    raise ProblemsFound([Problem("invalid-json", f"{path}:{number}", str(error))]) from error
                except RecursionError:  # nested past Python's recursion limit
                    raise _too_deep(Path(f"{path}:{number}")) from None


# --- converting to records -----------------------------------------------------------------


def _names(names: Iterable[tuple[str, str, str | None]]) -> list[dict[str, Any]]:
    """One row per distinct name string, the most official kind winning."""
    best: dict[str, dict[str, Any]] = {}
    for value, kind, language in names:
        value = (value or "").strip()
        if not value:
            continue
        known = best.get(value)
        if known is None or _NAME_PRIORITY[kind] < _NAME_PRIORITY[known["kind"]]:
            best[value] = {"name": value, "kind": kind, "language": language}
    return list(best.values())


def _v2_kind(types: list[str]) -> str:
    if "ror_display" in types:
        return "official"
    if "acronym" in types:
        return "acronym"
    if "label" in types:
        return "local"
    return "alias"


def _successor(relationships: Iterable[dict[str, Any]] | None) -> str | None:
    for relation in relationships or []:
        if str(relation.get("type", "")).lower() == "successor" and relation.get("id"):
            return ror_id(relation["id"])
    return None


def _website(links: Any) -> str | None:
    for link in links or []:
        if isinstance(link, dict) and link.get("type") == "website":
            return link.get("value")
        if isinstance(link, str):  # schema v1: a list of URLs
            return link
    return None


def from_ror(row: dict[str, Any], release: str | None) -> dict[str, Any]:
    """A ROR record in schema v2, v1 or the normalized shape -> ReferenceInstitution input."""
    record: dict[str, Any] = {
        "id": ror_id(row["id"]),
        "source": "ror",
        "status": str(row.get("status") or "active").lower(),
        "types": [str(t).lower() for t in row.get("types") or []],
        "established": row.get("established"),
        "successor": _successor(row.get("relationships")),
        "domains": list(row.get("domains") or []),
        "release": row.get("source_release") or release,
    }
    if "locations" in row:  # schema v2
        location = (row["locations"] or [{}])[0].get("geonames_details") or {}
        record.update(country=location.get("country_code"), city=location.get("name"),
                      latitude=location.get("lat"), longitude=location.get("lng"))
    elif "addresses" in row or isinstance(row.get("country"), dict):  # schema v1
        address = (row.get("addresses") or [{}])[0]
        record.update(country=(row.get("country") or {}).get("country_code"), city=address.get("city"),
                      latitude=address.get("lat"), longitude=address.get("lng"))
    else:  # normalized
        record.update(country=row.get("country_code"), city=row.get("city"), latitude=row.get("lat"),
                      longitude=row.get("lng"))
    if isinstance(row.get("names"), list):
        names = [(n.get("value"), _v2_kind(n.get("types") or []), n.get("lang")) for n in row["names"]]
    else:  # schema v1
        names = [(row.get("name"), "official", None)]
        names += [(label.get("label"), "local", label.get("iso639")) for label in row.get("labels") or []]
        names += [(alias, "alias", None) for alias in row.get("aliases") or []]
        names += [(acronym, "acronym", None) for acronym in row.get("acronyms") or []]
    record["names"] = _names(names)
    official = next((n["name"] for n in record["names"] if n["kind"] == "official"), None)
    record["name"] = official or row.get("name") or (record["names"][0]["name"] if record["names"] else record["id"])
    record["website"] = _website(row.get("links"))
    return record


def _hipo_id(row: dict[str, Any]) -> str:
    domain = (row.get("domains") or [""])[0].lower()
    if domain:
        return f"hipo-{re.sub(r'[^a-z0-9.-]+', '-', domain)}"[:128]
    slug = re.sub(r"[^a-z0-9]+", "-", row.get("name", "").lower()).strip("-")
    return f"hipo-{(row.get('alpha_two_code') or 'xx').lower()}-{slug}"[:128]


def from_hipo(row: dict[str, Any], release: str | None) -> dict[str, Any]:
    return {
        "id": _hipo_id(row),
        "source": "hipo",
        "name": row["name"],
        "country": row.get("alpha_two_code"),
        "website": (row.get("web_pages") or [None])[0],
        "types": ["education"],
        "domains": list(row.get("domains") or []),
        "release": release,
        "names": _names([(row["name"], "official", None)]),
    }


# --- loading ------------------------------------------------------------------------------


@dataclass
class LoadResult:
    source: str
    release: str | None
    records: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    names: int = 0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _progress(total: Callable[[], int], label: str, show: bool | None):
    if show is False or (show is None and not sys.stderr.isatty()):
        return None
    length = total()
    if show is None and length <= PROGRESS_THRESHOLD:
        return None
    return click.progressbar(length=length, label=label, file=sys.stderr)


def load_reference(
    db: sqlite_utils.Database,
    path: str | Path,
    *,
    actor: str | None = None,
    progress: bool | None = None,
) -> LoadResult:
    """Read, validate and write a reference file in one logged transaction, 2,000 records at a
    time: memory holds one batch, whatever the file's size.

    Records that fail validation are reported all at once and nothing is written. A
    progress bar shows on a terminal for loads of more than 10,000 records."""
    return _load_reference(db, path, actor=actor, progress=progress, current=set())


def _load_reference(db: sqlite_utils.Database, path: str | Path, *, actor: str | None, progress: bool | None,
                    current: set[str]) -> LoadResult:
    """``load_reference``; ``current`` gathers the ids of the records read, whose names the load compared
    with their freshly normalised form (and wrote where it differed): ``refresh_normalized_names`` need
    not normalise them again. A caller loading several files passes the same set to each."""
    path = Path(path)
    reference = open_reference(path)
    problems: list[Problem] = []
    result = LoadResult(reference.source, reference.release)
    bar = _progress(reference.count, f"reading {path.name}", progress)
    with store.transaction(db, actor=actor or store.default_actor(), source=f"reference load {path.name}"):
        bulk = store.BulkWrite(db)
        records = _valid_records(path, reference, problems, bar, current)
        while chunk := list(itertools.islice(records, _CHUNK)):
            if problems:
                continue  # nothing will be written: only the rest of the problems are looked for
            result.records += len(chunk)
            plan = store.plan_changes(db, chunk)
            bulk.apply(plan)
            for change in plan.changes:
                if change.table == ReferenceInstitution.table:
                    result.inserted += change.operation == "insert"
                    result.updated += change.operation == "update"
        if problems:
            raise ProblemsFound(problems)
        bulk.finish()
        result.unchanged = result.records - result.inserted - result.updated
        refresh_normalized_names(db, current=current)
        result.names = db.conn.execute("SELECT count(*) FROM reference_names").fetchone()[0]
        if result.inserted or result.updated:
            previous = db.conn.execute("SELECT coalesce(max(id), 0) FROM reference_loads").fetchone()[0]
            load = ReferenceLoad(
                id=previous + 1, source=reference.source, file=path.name, release=reference.release,
                loaded_at=clock.now(), records=result.records,
                inserted=result.inserted, updated=result.updated,
            )
            store.apply_plan(db, store.plan_changes(db, [load]))
    if bar is not None:
        bar.render_finish()
    return result


def _valid_records(path: Path, reference: ReferenceFile, problems: list[Problem], bar: Any,
                   current: set[str]) -> Iterator[ReferenceInstitution]:
    """The file's records converted and validated, as they are read; what is wrong goes to ``problems``,
    their ids to ``current``."""
    convert = from_hipo if reference.source == "hipo" else from_ror
    seen: set[str] = set()  # ids only: the same institution twice in Hipo keeps the first
    for number, row in enumerate(reference.rows, start=1):
        if bar is not None:
            bar.update(1)
        try:
            values = convert(row, reference.release)
            if values["id"] in seen:
                continue
            seen.add(values["id"])
            current.add(values["id"])
            yield ReferenceInstitution.model_validate(values)
        except (KeyError, TypeError, AttributeError) as error:
            problems.append(Problem("invalid-record", f"{path}: record {number}", f"missing or malformed field {error}"))
        except ValidationError as error:
            for detail in error.errors():
                problems.append(
                    Problem("invalid-value", f"{path}: record {number}", detail["msg"], f"reference/{row.get('id') or row.get('name')}",
                            ".".join(str(p) for p in detail["loc"]), detail.get("input"))
                )


SHIPPED_FOLDER = Path(__file__).resolve().parent.parent / "data" / "reference_institutions"
SHIPPED = (("ror", "ror_education_healthcare_v2.9.jsonl.gz"), ("hipo", "world_universities_not_in_ror.json.gz"))


def load_shipped_reference(db: sqlite_utils.Database, *, actor: str | None = None) -> list[LoadResult]:
    """Load the reference files shipped in ``data/reference_institutions`` (the ROR extract, and the
    world-universities list's institutions ROR's extract lacks) into a registry that holds no record of
    their source yet: a registry that loaded a fuller ROR dump keeps it."""
    results = []
    current: set[str] = set()  # the second file's load need not normalise the first's names again
    for source, name in SHIPPED:
        path = SHIPPED_FOLDER / name
        held = db.conn.execute("SELECT 1 FROM reference_institutions WHERE source = ? LIMIT 1", [source]).fetchone()
        if path.exists() and not held:
            results.append(_load_reference(db, path, actor=actor or "registry init", progress=False, current=current))
    return results


def refresh_normalized_names(db: sqlite_utils.Database, *, current: Collection[str] = ()) -> int:
    """Recompute the stored normalised form of every reference name whose form an older normaliser wrote
    (name matching learns new equivalences: 'Hochschule' for 'University of Applied Sciences'); returns how
    many changed. The name index normalises afresh; this keeps the column true for anyone reading it.
    The names of the references in ``current`` are known to be current (a load just compared them)."""
    stale = [(fresh, reference, name) for reference, name, stored in
             db.conn.execute("SELECT reference, name, name_normalized FROM reference_names")
             if reference not in current and (fresh := normalized(name)) != stored]
    db.conn.executemany("UPDATE reference_names SET name_normalized = ? WHERE reference = ? AND name = ?", stale)
    return len(stale)


def reference_stamp(db: sqlite_utils.Database) -> tuple:
    """Changes whenever the reference tables do: the key of a cached name index."""
    conn = db.conn
    load = conn.execute("SELECT coalesce(max(id), 0), max(loaded_at) FROM reference_loads").fetchone()
    names = conn.execute("SELECT count(*), coalesce(max(rowid), 0) FROM reference_names").fetchone()
    return tuple(load) + tuple(names)
