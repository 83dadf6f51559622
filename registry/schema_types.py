"""Field types and markers that the models use and the store reads.

A field's rules are written once, here or in ``registry/models/``; ``schema.py`` turns the same
annotations into SQL column types, CHECK constraints and foreign keys, so that a raw SQL
write meets the same rules as a validated record.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints

from registry.countries import country_code


@dataclass(frozen=True)
class Ref:
    """Marks a field as a foreign key to ``table``'s primary key. With ``cascade``, deleting
    the referenced row deletes this one (``ON DELETE CASCADE``), as for a child record."""

    table: str
    column: str = "id"
    cascade: bool = False


@dataclass(frozen=True)
class SqlCheck:
    """A CHECK the store adds for a rule pydantic states as a regex (SQLite has none);
    ``{column}`` stands for the quoted column name."""

    expression: str


@dataclass(frozen=True)
class SqlRule:
    """A rule across a record's fields, or against the registry's today, written once in SQL:
    the model evaluates it on every record it validates, and the store turns it into triggers
    that refuse a raw insert or update breaking it (a CHECK cannot call ``registry_today()``).
    ``{field}`` stands for a field's value; like a CHECK, the rule holds when it is NULL."""

    expression: str
    message: str

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(name for _, name, _, _ in string.Formatter().parse(self.expression) if name))

    def sql(self, row: str) -> str:
        """The expression over a trigger's row (``NEW``)."""
        return self.expression.format(**{name: f'{row}."{name}"' for name in self.fields})

    def parameterised(self) -> str:
        """The expression over named parameters, one per field."""
        return self.expression.format(**{name: f":{name}" for name in self.fields})

    @property
    def reads_today(self) -> bool:
        return "registry_today()" in self.expression


@dataclass(frozen=True)
class Indexed:
    """Marks a column that people filter or sort by, so the store indexes it. ``then`` names
    columns that follow it in the same index, for lists that filter by this column and sort
    by those (active agreements, soonest ending first) and so read the index in order. With
    ``unique``, no two rows may hold the same value (NULLs aside): an office's own codes.

    With ``where``, a partial index: only the rows where that SQL holds, its columns named in
    braces (``"{virtual} = 1 OR {blended} = 1"``), for a question asked of a few rows of a big
    table. SQLite reads it only for a query whose WHERE holds the same condition, written alike.
    It is an index of its own, beside the column's plain one (or its foreign key's)."""

    then: tuple[str, ...] = ()
    unique: bool = False
    where: str = ""

    @property
    def where_fields(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(name for _, name, _, _ in string.Formatter().parse(self.where) if name))


@dataclass(frozen=True)
class RenamedFrom:
    """Marks a field that an earlier release called ``names[0]`` (or any of ``names``):
    ``registry migrate`` moves that column's values into it. Keep the marker as long as files
    of those releases may still be migrated."""

    names: tuple[str, ...]

    def __init__(self, *names: str) -> None:
        object.__setattr__(self, "names", names)


SLUG_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,127}$"
Slug = Annotated[
    str,
    StringConstraints(pattern=SLUG_PATTERN),
    SqlCheck("length({column}) BETWEEN 1 AND 128 AND {column} NOT GLOB '*[^a-z0-9._-]*' AND {column} NOT GLOB '[._-]*'"),
    Field(description="stable identifier: lower-case letters, digits, '.', '_' or '-'"),
]


def _country(value: object) -> object:
    return country_code(value) if isinstance(value, str) else value


Country = Annotated[
    str,
    BeforeValidator(_country),
    StringConstraints(pattern=r"^[A-Z]{2}$"),
    SqlCheck("{column} GLOB '[A-Z][A-Z]'"),
    Indexed(),
    Field(description="ISO 3166-1 alpha-2 code"),
]

_ROR_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, as ROR uses
_ROR_PATTERN = re.compile(r"^0[0-9a-hjkmnp-tv-z]{6}[0-9]{2}$")


def _ror(value: str) -> str:
    ror_id = value.strip().lower()
    for prefix in ("https://ror.org/", "http://ror.org/", "ror.org/"):
        if ror_id.startswith(prefix):
            ror_id = ror_id[len(prefix) :]
    if not _ROR_PATTERN.match(ror_id):
        raise ValueError(f"{value!r} is not a ROR id (0 + 6 base32 characters + 2 check digits)")
    number = 0
    for character in ror_id[:7]:
        number = number * 32 + _ROR_ALPHABET.index(character)
    if 98 - (number * 100 % 97) != int(ror_id[7:]):
        raise ValueError(f"ROR id {value!r} fails its checksum (ISO 7064 mod 97-10)")
    return ror_id


RorId = Annotated[str, AfterValidator(_ror), Field(description="ROR id without the https://ror.org/ prefix")]


def _url(value: str) -> str:
    url = value.strip()
    if not re.match(r"^https?://[^\s/$.?#][^\s]*\.[^\s]+$|^https?://localhost[^\s]*$", url, re.IGNORECASE):
        raise ValueError(f"{value!r} is not an http(s) URL")
    return url


Url = Annotated[str, AfterValidator(_url)]


def _email(value: str) -> str:
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(value, check_deliverability=False)  # syntax only: no network
    except EmailNotValidError as error:
        raise ValueError(f"{value!r} is not an e-mail address: {error}") from None
    return value


EmailAddress = Annotated[
    str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"), AfterValidator(_email),
    Field(description="an e-mail address (a role address, never a person's)"),
]

_ISCED_PATTERN = re.compile(r"^\d{2,4}$")


def _isced(value: object) -> str:
    code = str(value).strip()
    if isinstance(value, int) and len(code) < 4:
        raise ValueError(
            f"ISCED-F code {value!r} was read as a number and lost its leading zero; quote it ('0912')"
        )
    if not _ISCED_PATTERN.match(code):
        raise ValueError(f"{value!r} is not an ISCED-F 2013 code (2, 3 or 4 digits, e.g. '0912')")
    return code


IscedCode = Annotated[str, BeforeValidator(_isced), Field(description="ISCED-F 2013 field code")]
IscedLevel = {2: "broad", 3: "narrow", 4: "detailed"}

def _academic_year(value: str) -> str:
    # 2024/2025 in the north; 2025/2025 where the academic year is the calendar year (as EWP allows)
    if int(value[5:]) - int(value[:4]) not in (0, 1):
        raise ValueError(f"{value!r}: an academic year is 2024/2025, or 2025/2025 where it follows the calendar year")
    return value


AcademicYear = Annotated[
    str,
    StringConstraints(pattern=r"^\d{4}/\d{4}$"),
    AfterValidator(_academic_year),
    Field(description="academic year as 2024/2025 (or 2025/2025 for a calendar-year academic year)"),
]



class Labelled(StrEnum):
    """An enumeration whose members carry the words people read, in English (the pages pass
    them through the message catalogue): ``erasmus_iia = "erasmus_iia", "Erasmus+
    inter-institutional agreement"``. A member given no words reads as its value in words:
    ``student_exchange`` is "Student exchange"."""

    label: str

    def __new__(cls, value: str, label: str | None = None) -> Labelled:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label or words_of(value)
        return member


def words_of(value: str) -> str:
    """A code in words: ``student_exchange`` -> "Student exchange" (``A1`` stays ``A1``)."""
    text = value.replace("_", " ")
    return text[:1].upper() + text[1:]
