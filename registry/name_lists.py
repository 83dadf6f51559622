"""Lists of partner names to resolve, read from a file: one name a line, or a CSV with a
'name' column and an optional 'country' column (a code or a name)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from registry.countries import country_code
from registry.problems import Problem, ProblemsFound


def read_names(path: str | Path) -> list[tuple[str, str | None]]:
    """(name, country code or None) for every name in the file. Unknown countries are reported
    all at once with their line (``ProblemsFound``), so that nothing is resolved from a bad list."""
    text = Path(path).read_bytes().decode("utf-8-sig")
    first = text.splitlines()[0] if text.strip() else ""
    header = [h.strip().lower() for h in next(csv.reader([first]))] if first else []
    if "name" not in header:
        return [(line.strip(), None) for line in text.splitlines() if line.strip()]
    rows = csv.DictReader(io.StringIO(text))
    rows.fieldnames = [h.strip().lower() for h in rows.fieldnames or []]
    names: list[tuple[str, str | None]] = []
    problems: list[Problem] = []
    for row in rows:
        name, country = (row.get("name") or "").strip(), (row.get("country") or "").strip() or None
        if not name:
            continue
        if country:
            try:
                country = country_code(country)
            except ValueError as error:
                problems.append(Problem("unknown-country", f"{path}:{rows.line_num}", str(error), None, "country", country))
        names.append((name, country))
    if problems:
        raise ProblemsFound(problems)
    return names
