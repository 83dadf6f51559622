"""Words that say an organisation teaches or practises medicine or the health sciences.

One list for two readers: deriving from ROR which universities have a medical or health
faculty (tools/derive_medical_faculties.py, which looks at the names of their units), and
guessing it from an institution's own names when nothing better is known ("Medical
University of Lodz"; "Karolinska Institutet" does not say it, and only ROR knows). Matched on
folded names (``registry.text.fold``) as whole words or word beginnings; the CJK ones on the
name as written.
"""

from __future__ import annotations

import csv
import functools
import re
from pathlib import Path

from registry.text import fold

# Beginnings of words, folded: "medic" covers medicine, medical, medicina, medicinsk (medizin
# needs its own); "lakar" is Swedish läkar-, "lekar" Polish lekarski, "orvos" Hungarian.
WORD_BEGINNINGS = [
    "medic", "medizin", "medecine", "medisin", "medisch", "geneeskunde", "laaketi", "lakar", "lekar", "lekarsk",
    "orvos", "health", "halsa", "gesundheit", "sante", "salud", "saude", "sanita", "nursing", "omvardnad",
    "pflege", "hospital", "sjukhus", "klinikum", "hopital", "ospedale", "dentist", "dental", "odontolog",
    "pharmac", "farmac", "medyc", "meditsin", "zdrow", "zdravot", "terveys",
]
# Written as they are: medicine and health in Chinese and Japanese characters, and Korean.
SCRIPT_WORDS = ["医", "醫", "의과", "의학", "의대", "보건", "간호"]

_BEGINNING = re.compile(r"\b(" + "|".join(WORD_BEGINNINGS) + r")")


def names_say_health(names: list[str]) -> str | None:
    """The first of ``names`` that says medicine or health, or None."""
    for name in names:
        if _BEGINNING.search(fold(name)) or any(word in name for word in SCRIPT_WORDS):
            return name
    return None


MEDICAL_FACULTIES = Path(__file__).resolve().parents[2] / "data" / "reference_institutions" / "medical_faculties.csv"


@functools.cache
def ror_health_units() -> dict[str, str]:
    """ROR id -> the unit that shows the organisation has medicine or health (derived from ROR
    by tools/derive_medical_faculties.py; see data/reference_institutions/README.md)."""
    if not MEDICAL_FACULTIES.exists():
        return {}
    with MEDICAL_FACULTIES.open(encoding="utf-8", newline="") as handle:
        return {row["ror"]: row["unit"] for row in csv.DictReader(handle)}


def health_evidence(kind: str, ror: str | None, names: list[str]) -> str | None:
    """Why an institution has a medical or health faculty, as far as the registry can tell
    without asking anyone: it is a hospital, ROR lists a unit, or its names say so. None: unknown."""
    if kind in ("university_hospital", "hospital_unit"):
        return "a hospital"
    if ror and (unit := ror_health_units().get(ror)):
        return f"ROR lists {unit}"
    if named := names_say_health(names):
        return f"its name: {named}"
    return None
