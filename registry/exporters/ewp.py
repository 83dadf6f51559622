"""Writing ``erasmus_iia`` agreements as an EWP IIAs API v7 get response: our copies (the home
institution first, ``registry.ewp.copies``), written in the canonical form with each IIA's
iia-hash computed from what is written, validated against the XSD when it is at hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import IO

import sqlite_utils

from registry.ewp import writer
from registry.ewp.copies import load_copies, stored_copy
from registry.formats import ExportOptions
from registry.problems import Problem, ProblemsFound


def agreement_ids(db: sqlite_utils.Database) -> list[str]:
    return [row["id"] for row in db.query("SELECT id FROM agreements WHERE kind = 'erasmus_iia' ORDER BY id")]


@dataclass
class Export:
    data: bytes
    agreements: list[str]
    schema_checked: bool


def export(db: sqlite_utils.Database, agreements: list[str] | None = None) -> Export:
    """A get response with one IIA per agreement (all erasmus_iia agreements by default),
    validated against the XSD when it is available."""
    from registry.ewp import safe_xml, schemas

    ids = list(agreements) if agreements else agreement_ids(db)
    data = writer.to_bytes(writer.get_response(load_copies(db, ids, home_first=True)))
    result = schemas.validate(safe_xml.parse(data, where="export"), "iias-get", where="export")
    if result.problems:  # the loader's checks should make this impossible: say so loudly
        raise ProblemsFound([Problem("export-invalid", p.where, f"the written IIA fails the schema: {p.message}", p.record, p.field, p.value)
                             for p in result.problems])
    return Export(data, ids, result.checked)


def write_file(db: sqlite_utils.Database, destination: Path | IO[str], options: ExportOptions) -> int:
    """``registry export --format ewp``: the ``ewp`` format's writer (``registry.formats``);
    the number of IIAs written. UTF-8 bytes to a file, or to a text stream's byte buffer."""
    if any(kind not in ("agreements", "erasmus_iia") for kind in options.kinds):
        raise ValueError("the ewp format holds erasmus_iia agreements only; give --agreement ID to choose them")
    result = export(db, options.agreements or None)
    if isinstance(destination, Path):
        destination.write_bytes(result.data)
    elif hasattr(destination, "buffer"):
        destination.flush()
        destination.buffer.write(result.data)
        destination.buffer.flush()
    else:
        destination.write(result.data.decode("utf-8"))
    return len(result.agreements)


__all__ = ["Export", "agreement_ids", "export", "stored_copy", "write_file"]
