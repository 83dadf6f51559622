"""What a check receives: the registry, the criteria, and the date it takes as today."""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import sqlite_utils
import yaml

from registry import i18n

CRITERIA_FILE = Path(__file__).resolve().parent.parent / "data" / "criteria.yml"


@dataclass(frozen=True)
class Found:
    """One thing a check found on one record. ``evidence`` says what was compared with
    what: the values, the threshold, and the indicator's source and year."""

    subject_table: str
    subject_id: str
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)


# Parsed once per content: PyYAML's pure-Python parser takes about 30 ms for criteria.yml, and
# every run of the checks reads the file (a server's, a test's).
@functools.lru_cache(maxsize=16)
def _parsed_criteria(raw: bytes) -> dict[str, Any]:
    return yaml.safe_load(raw) or {}


def load_criteria(path: Path | None = None) -> tuple[dict[str, Any], str]:
    """The criteria mapping (the caller's own copy) and the SHA-256 of the file it was read from.
    The file is read each time, so an edited file is parsed again."""
    raw = Path(path or CRITERIA_FILE).read_bytes()
    return copy.deepcopy(_parsed_criteria(raw)), hashlib.sha256(raw).hexdigest()


class BuiltElsewhere(Exception):
    """A check asked for a TEMP table that another connection of the same run has built:
    the run hands the check to that connection instead of building the table twice."""

    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


@dataclass
class Context:
    db: sqlite_utils.Database
    criteria: dict[str, Any]
    today: date
    _prepared: set[str] = field(default_factory=set, repr=False)
    # Set when a run's checks are spread over several connections (checks/lanes.py): answers
    # whether this context may build the named TEMP table (no when another has built it).
    may_build: Callable[[str], bool] | None = field(default=None, repr=False)

    @property
    def conn(self):
        return self.db.conn

    def criterion(self, dotted: str) -> Any:
        """A value from the criteria by dotted key, e.g. ``portfolio.unused_years``."""
        value: Any = self.criteria
        for part in dotted.split("."):
            if not isinstance(value, dict) or part not in value:
                raise KeyError(f"data/criteria.yml has no {dotted!r} (missing {part!r})")
            value = value[part]
        return value

    def params(self, **extra: Any) -> dict[str, Any]:
        """Named SQL parameters: ``today`` plus the given ones, lists and mappings as JSON
        (read them in SQL with ``json_each``)."""
        values = {"today": self.today.isoformat()}
        for name, value in extra.items():
            values[name] = json.dumps(value, ensure_ascii=False) if isinstance(value, (list, dict, tuple)) else value
        return values

    def temp_table(self, name: str, sql: str, **params: Any) -> str:
        """A TEMP table built from ``sql`` once per context (so once per run) and shared by
        every check that asks for it; returns its qualified name."""
        if name not in self._prepared:
            if self.may_build is not None and not self.may_build(name):
                raise BuiltElsewhere(name)
            self.conn.execute(f'DROP TABLE IF EXISTS temp."{name}"')
            self.conn.execute(f'CREATE TEMP TABLE "{name}" AS {sql}', self.params(**params))
            self._prepared.add(name)
        return f'temp."{name}"'

    def close(self) -> None:
        """Drop the TEMP tables this context built."""
        for name in self._prepared:
            self.conn.execute(f'DROP TABLE IF EXISTS temp."{name}"')
        self._prepared.clear()

    def query(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        cursor = self.conn.execute(sql, self.params(**params))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    def found(self, sql: str, **params: Any) -> FoundQuery:
        """The findings of a set-based query whose rows have ``subject_table``,
        ``subject_id``, ``message`` and ``evidence`` (a JSON object made by SQLite's JSON
        functions, e.g. ``json_object``, which write it without spaces: checks.found appends the
        message's members to it as text). The runner copies the rows into the run inside SQLite, without
        a Python object per finding; iterating the result gives ``Found`` rows. A query that
        reads its subject's row may also return its label (the model's ``label_column``, an
        agreement's title, an institution's name) as ``subject_label``: the runner then does
        not look it up for each finding (tests/test_checks_rules.py compares the two)."""
        return FoundQuery(self, sql, self.params(**params))


COLUMNS = ("subject_table", "subject_id", "message", "evidence")


@dataclass
class FoundQuery:
    """A check's query and its parameters, not yet run."""

    ctx: Context
    sql: str
    params: dict[str, Any]

    def __iter__(self):
        cursor = self.ctx.conn.execute(self.sql, self.params)
        names = [d[0] for d in cursor.description]
        missing = set(COLUMNS) - set(names)
        if missing:
            raise ValueError(f"a check's query must return {', '.join(sorted(missing))}")
        for row in cursor:
            values = dict(zip(names, row, strict=True))
            # as recorded: the message in English, its template's key and values with the evidence
            evidence = i18n.recorded_evidence(values["message"], values["evidence"])
            yield Found(
                values["subject_table"],
                str(values["subject_id"]),
                i18n.recorded_message(values["message"]),
                json.loads(evidence) if isinstance(evidence, str) else (evidence or {}),
            )

    def rows(self) -> list[Found]:
        return list(self)
