"""How well names resolve: precision and recall against a file of names with known answers.

``tests/data/names.csv`` holds partner names as offices type them, each with the ROR id it
should resolve to (or the world-universities record, for a university the ROR extract lacks), or
none for a name that must match nothing. A name counts as matched
only when ``resolve`` says ``matched``: an ambiguous answer is a question to a person,
neither right nor wrong, so it costs recall but not precision.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Expected:
    name: str
    country: str | None
    ror: str | None  # None: must match nothing
    category: str = ""


@dataclass
class Quality:
    names: int = 0
    positives: int = 0
    matched: int = 0
    correct: int = 0
    wrong: list[tuple[Expected, str]] = field(default_factory=list)  # matched, but to the wrong record
    missed: list[Expected] = field(default_factory=list)  # a positive left unmatched

    @property
    def precision(self) -> float:
        return self.correct / self.matched if self.matched else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.positives if self.positives else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict:
        return {"names": self.names, "positives": self.positives, "matched": self.matched, "correct": self.correct,
                "precision": round(self.precision, 4), "recall": round(self.recall, 4), "f1": round(self.f1, 4)}


def read_names(path: str | Path, *, backed: bool = False) -> list[Expected]:
    """The labelled names. A university the ROR extract lacks must match nothing there; with ``backed``
    (the registry also holds the shipped world-universities list) it must match that list's record,
    given in the optional column ``world_universities``."""
    with open(path, newline="", encoding="utf-8") as stream:
        return [
            Expected(row["name"], row.get("country") or None,
                     row.get("expected_ror") or (row.get("world_universities") if backed else None) or None,
                     row.get("category") or "")
            for row in csv.DictReader(stream)
        ]


def measure(expected: Iterable[Expected], answers: Iterable[str | None]) -> Quality:
    """Compare answers (the matched ROR id, or None when nothing was matched) with the truth."""
    quality = Quality()
    for truth, answer in zip(expected, answers, strict=True):
        quality.names += 1
        quality.positives += truth.ror is not None
        if answer is None:
            if truth.ror is not None:
                quality.missed.append(truth)
            continue
        quality.matched += 1
        if answer == truth.ror:
            quality.correct += 1
        else:
            quality.wrong.append((truth, answer))
    return quality


def measure_with(expected: list[Expected], answer: Callable[[list[tuple[str, str | None]]], list[str | None]]) -> Quality:
    return measure(expected, answer([(e.name, e.country) for e in expected]))
