"""Spreadsheet cells to the values the models take: dates, numbers, yes/no, enum members.

Every parser takes the cell's text and returns the value in the form the store keeps
(ISO date text, int, float, bool, enum value), or raises ValueError with a sentence that
says what was expected. Cells are text by the time they get here: XLSX values are turned
into text when read, so CSV and XLSX go through the same rules.
"""

from __future__ import annotations

import difflib
import re
from datetime import date
from enum import Enum

from registry.importers.vocabulary import boolean_lookup, enum_lookup, word_key

# A spreadsheet treats a cell starting with one of these as a formula; exports put an
# apostrophe in front (OWASP's advice for CSV injection) and imports take it off again.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

_SERIAL_RANGE = range(10_000, 100_000)  # 1927 .. 2173: a plausible agreement date, not a count
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z?)?$")
_YEAR_FIRST = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})$")
_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_SLASHED = re.compile(r"^(\d{1,2})[/-](\d{1,2})[/-](\d{4})$")
_MONTHS = {
    **{name: number for number, name in enumerate(
        ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"], start=1)},
    **{name: number for number, name in enumerate(
        ["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober", "november", "december"], start=1)},
}
_MONTHS.update({name[:3]: number for name, number in list(_MONTHS.items())})
_MONTHS["sept"] = 9
# '4 mars 2025', 'den 4:e mars 2025', '4th March 2025', '4-Mar-2025' and Excel's '04-Mar-25'
_WORDY = re.compile(r"^(?:den )?(\d{1,2})(?:st|nd|rd|th|:e|:a)?\.?[ -]([a-z]+)\.?[ -](\d{4}|\d{2})$")
_MONTH_FIRST = re.compile(r"^([a-z]+)\.? (\d{1,2})(?:st|nd|rd|th)? (\d{4})$")  # 'March 4, 2025'
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")  # 20250304, as systems export dates
_SERIAL = re.compile(r"^(\d{5})(?:\.0+)?$")  # a serial from a number column may come as 45720.0
_LIST_SEPARATORS = re.compile(r"\s*(?:;|\n|\r)\s*")
_LEVEL_SEPARATORS = re.compile(r"\s*(?:;|,|/|\+|&|\n| and | och )\s*")


QUOTED_CHARACTERS = 60


def quoted(text: str) -> str:
    """A cell's text in a message: quoted, and clipped when long, so that a refused 1 MB cell
    still gives a one-line message (the row's raw values are clipped as well)."""
    if len(text) <= QUOTED_CHARACTERS:
        return repr(text)
    return f"{text[:QUOTED_CHARACTERS]!r}... ({len(text):,} characters)"


def neutralise(text: str) -> str:
    """The cell text to write so that no spreadsheet runs it as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def unneutralise(text: str) -> str:
    """Undo ``neutralise``: "'=1+1" -> "=1+1"; "'s-Hertogenbosch" stays as it is."""
    return text[1:] if text.startswith("'") and text[1:2] and text[1:].startswith(FORMULA_STARTS) else text


def _make_date(year: int, month: int, day: int, text: str) -> str:
    try:
        return date(year, month, day).isoformat()
    except ValueError as error:
        raise ValueError(f"{quoted(text)} is not a real date ({error})") from None


def parse_date(text: str, *, dayfirst: bool = False) -> str:
    """ISO 8601 (also 20250304), DD.MM.YYYY, DD/MM/YYYY, '3 March 2025' / 'den 3 mars 2025' /
    'March 3, 2025' / '3-Mar-25' and Excel serials.

    Slashed dates whose two first numbers could both be a month (03/04/2025) are refused
    unless ``dayfirst`` says how the file writes them.
    """
    value = text.strip()
    if match := _ISO.match(value) or _YEAR_FIRST.match(value):
        return _make_date(int(match[1]), int(match[2]), int(match[3]), text)
    if match := _DOTTED.match(value):  # nobody writes month.day.year
        return _make_date(int(match[3]), int(match[2]), int(match[1]), text)
    if match := _SLASHED.match(value):
        first, second, year = int(match[1]), int(match[2]), int(match[3])
        if dayfirst or first > 12:
            return _make_date(year, second, first, text)
        if second > 12 or first == second:
            return _make_date(year, first, second, text)
        raise ValueError(
            f"{quoted(text)} reads two ways ({year}-{second:02d}-{first:02d} or {year}-{first:02d}-{second:02d}); "
            "give --dayfirst if the file writes day/month/year, or use ISO dates (YYYY-MM-DD)"
        )
    words = " ".join(value.lower().replace(",", " ").split())
    if (match := _WORDY.match(words)) and (month := _MONTHS.get(match[2])):
        year = int(match[3]) if len(match[3]) == 4 else 2000 + int(match[3])  # Excel's dd-mmm-yy
        return _make_date(year, month, int(match[1]), text)
    if (match := _MONTH_FIRST.match(words)) and (month := _MONTHS.get(match[1])):
        return _make_date(int(match[3]), month, int(match[2]), text)
    if (match := _COMPACT.match(value)) and 1900 <= int(match[1]) < 2200:
        return _make_date(int(match[1]), int(match[2]), int(match[3]), text)
    if (match := _SERIAL.match(value)) and int(match[1]) in _SERIAL_RANGE:
        from openpyxl.utils.datetime import from_excel  # only serial dates pay for the import (openpyxl's is slow)

        return from_excel(int(match[1])).date().isoformat()  # openpyxl knows Excel's phantom 1900-02-29
    raise ValueError(f"{quoted(text)} is not a date: write YYYY-MM-DD, DD.MM.YYYY or DD/MM/YYYY")


def _number_text(text: str) -> str:
    # 1 234,5 and 1,234.5 are both seen; a lone comma is a Swedish decimal comma.
    value = text.strip().replace("\u00a0", "").replace(" ", "")
    if "," in value and "." not in value:
        value = value.replace(",", ".")
    return value.replace(",", "")


def parse_int(text: str) -> int:
    value = _number_text(text)
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{quoted(text)} is not a whole number") from None
    if not number.is_integer():
        raise ValueError(f"{quoted(text)} is not a whole number")
    return int(number)


def parse_float(text: str) -> float:
    try:
        return float(_number_text(text))
    except ValueError:
        raise ValueError(f"{quoted(text)} is not a number") from None


def parse_bool(text: str) -> bool:
    found = boolean_lookup().get(word_key(text))
    if found is None:
        raise ValueError(f"{quoted(text)} is not yes or no (yes/no, ja/nej, x, true/false, 1/0)")
    return found


def parse_enum(enum: type[Enum], text: str) -> str:
    """The member a cell names: by any of its names, or by a name with its abbreviation or a
    gloss in brackets or after a slash ("Samförståndsavtal (MoU)", "Utbytesavtal (bilateralt)")
    when every part that is a known name names the same member."""
    table = enum_lookup(enum)
    found = table.get(word_key(text))
    if found is None:
        found = one_meaning(table, text)
    if found is None:
        accepted = ", ".join(member.value for member in enum)
        raise ValueError(f"{quoted(text)} is not a known {enum.__name__} ({accepted}, or their Swedish names){closest(text, table)}")
    return found


_GLOSS = re.compile(r"[()\[\]/]")


def one_meaning(table: dict[str, str], text: str) -> str | None:
    parts = [word_key(part) for part in _GLOSS.split(text)]
    meanings = {table[part] for part in parts if part in table}
    return meanings.pop() if len(meanings) == 1 else None


def closest(text: str, table: dict[str, str]) -> str:
    """'; closest: ...' naming the known name nearest to an unknown one, or nothing."""
    close = difflib.get_close_matches(word_key(text), list(table), n=1, cutoff=0.6)
    return f"; closest known: {close[0]!r} ({table[close[0]]})" if close else ""


def split_list(text: str) -> list[str]:
    """A cell holding several values, one per line or separated by semicolons."""
    return [part for part in _LIST_SEPARATORS.split(text.strip()) if part]


def split_levels(text: str) -> list[str]:
    return [part for part in _LEVEL_SEPARATORS.split(text.strip()) if part]
