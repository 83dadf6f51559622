"""Validate EWP documents without importing them: safe XML, the XSD (when at hand), the
reader's rules, and each IIA's iia-hash against its content."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from registry.ewp import reader
from registry.problems import Problem, ProblemsFound


def validate_files(paths: Iterable[str | Path]) -> list[dict[str, Any]]:
    """One entry per file: its kind, whether its schema was checked, and for IIAs get responses each
    IIA's hash and whether it matches the content. ``ProblemsFound`` with every file's problems."""
    results: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for path in paths:
        try:
            kind, documents, checked = reader.read_file(path)
        except ProblemsFound as found:
            problems.extend(found.problems)
            continue
        iias = documents if kind == "iias-get" else []
        results.append({
            "path": str(path), "kind": kind, "schema_checked": checked,
            "iias": [{"iia": iia.label(), "line": iia.line, "iia_hash": iia.iia_hash, "content_hash": iia.content_hash,
                      "hash_matches": iia.iia_hash == iia.content_hash} for iia in iias],
        })
    if problems:
        raise ProblemsFound(problems)
    return results
