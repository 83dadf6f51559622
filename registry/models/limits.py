"""How far ahead a decision may reach, read from ``data/criteria.yml``: the office's judgement
lives there, beside the thresholds the checks read, and the models and the store's triggers
take these numbers from it when the registry's code loads (the store makes its triggers anew
whenever it opens a registry, so a changed file takes effect at the next command or server start)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

CRITERIA_FILE = Path(__file__).resolve().parents[2] / "data" / "criteria.yml"

# Used when the criteria file does not say: the defaults.
DEFAULTS = {("review", "next_due_at_most_years"): 5, ("waivers", "at_most_years"): 3}


@cache
def _criteria() -> dict[str, Any]:
    try:
        return yaml.safe_load(CRITERIA_FILE.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        return {}


def years(section: str, key: str) -> int:
    """A whole number of years from the criteria, e.g. ``years("waivers", "at_most_years")``."""
    value = (_criteria().get(section) or {}).get(key, DEFAULTS[(section, key)])
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 50:
        raise ValueError(f"{CRITERIA_FILE}: {section}.{key} must be a whole number of years from 1 to 50, not {value!r}")
    return value


def review_next_due_years() -> int:
    return years("review", "next_due_at_most_years")


def waiver_years() -> int:
    return years("waivers", "at_most_years")
