"""The CSV tables the product ships in data/, derived by tools/ (each folder's README names their source and
licence), read one way: a checkout without a table works without it."""

from __future__ import annotations

import csv
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


def shipped_rows(path: Path) -> list[dict[str, str]]:
    """Every row of the shipped CSV table at ``path`` (a dict by its header); none when the file is absent."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))
