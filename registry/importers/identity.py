"""Which stored agreement a row is: the same agreement, or none (a new one), never a neighbour.

A row names its agreement by a key, tried in this order:

1. the registry's ``id``;
2. the office's own agreement code (``Avtalsnummer``, ``Agreement code``);
3. the EWP IIA id;
4. partner(s) + agreement type + programme(s) + start date: the facts that tell two
   agreements with one partner apart (medicine and biomedicine with Helsinki, a renewal).

A code or IIA id the registry does not hold yet may still belong to a stored agreement that
has none (a registry built before the office's codes were imported): such a row is paired by
the natural key among the agreements without one. A natural key that fits two stored
agreements is ambiguous: the row is never applied, and the message names both.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from registry.schema_types import SLUG_PATTERN

_SLUG = re.compile(SLUG_PATTERN)
NATURAL_PARTS = ("partner", "kind", "programmes", "starts_on")
_PART_WORDS = {"partner": "partner", "kind": "agreement type", "programmes": "programme(s)", "starts_on": "start date"}


def is_slug(text: str) -> bool:
    return bool(_SLUG.match(text))


@dataclass
class StoredAgreement:
    id: str
    title: str
    kind: str
    starts_on: str | None
    agreement_code: str | None
    ewp_iia_id: str | None
    partners: frozenset[str] = frozenset()
    programmes: frozenset[str] = frozenset()

    def describe(self) -> str:
        parts = [self.title, f"type {self.kind}"]
        if self.programmes:
            parts.append(f"programmes {', '.join(sorted(self.programmes))}")
        parts.append(f"starting {self.starts_on}" if self.starts_on else "no start date")
        if self.agreement_code:
            parts.append(f"code {self.agreement_code}")
        return f"{self.id!r} ({'; '.join(parts)})"


@dataclass
class NaturalKey:
    """What a row says of the facts that identify an agreement; None: the file does not say."""

    partners: frozenset[str]
    kind: str | None
    programmes: frozenset[str] | None
    starts_on: str | None | bool  # False: the file has no start date column

    def fits(self, stored: StoredAgreement) -> bool:
        return (
            stored.partners == self.partners
            and (self.kind is None or stored.kind == self.kind)
            and (self.programmes is None or stored.programmes == self.programmes)
            and (self.starts_on is False or stored.starts_on == self.starts_on)
        )

    def parts(self) -> str:
        given = ["partner"]
        given += ["kind"] if self.kind is not None else []
        given += ["programmes"] if self.programmes is not None else []
        given += ["starts_on"] if self.starts_on is not False else []
        return " + ".join(_PART_WORDS[part] for part in given)


@dataclass
class Pairing:
    """The answer for one row: the stored agreement's id (or None: new), how it was found,
    or why the row cannot be applied."""

    stored_id: str | None = None
    how: str = ""
    refusal: str | None = None
    candidates: list[StoredAgreement] = field(default_factory=list)


class StoredIdentities:
    """Every stored agreement's identifying facts, read once per import."""

    def __init__(self, db: sqlite_utils.Database):
        conn = db.conn
        self.by_id: dict[str, StoredAgreement] = {
            row[0]: StoredAgreement(*row)
            for row in conn.execute(
                "SELECT id, title, kind, starts_on, agreement_code, ewp_iia_id FROM agreements ORDER BY id"
            )
        }
        partners: dict[str, set[str]] = defaultdict(set)
        for agreement, institution in conn.execute("SELECT agreement, institution FROM agreement_parties WHERE role = 'partner'"):
            partners[agreement].add(institution)
        programmes: dict[str, set[str]] = defaultdict(set)
        for agreement, programme in conn.execute("SELECT agreement, programme FROM agreement_programmes"):
            programmes[agreement].add(programme)
        self.by_partners: dict[frozenset[str], list[StoredAgreement]] = defaultdict(list)
        self.by_code: dict[str, StoredAgreement] = {}
        self.by_iia: dict[str, list[StoredAgreement]] = defaultdict(list)
        for ident, stored in self.by_id.items():
            stored.partners = frozenset(partners.get(ident, ()))
            stored.programmes = frozenset(programmes.get(ident, ()))
            self.by_partners[stored.partners].append(stored)
            if stored.agreement_code:
                self.by_code[code_key(stored.agreement_code)] = stored
            if stored.ewp_iia_id:
                self.by_iia[stored.ewp_iia_id].append(stored)

    def fitting(self, natural: NaturalKey, *, without: str | None = None) -> list[StoredAgreement]:
        """Stored agreements the natural key fits; ``without``: only those lacking that key."""
        return [
            stored for stored in self.by_partners.get(natural.partners, [])
            if natural.fits(stored) and (without is None or not getattr(stored, without))
        ]


def code_key(code: str) -> str:
    """Codes compare as the office writes them, give or take case and spacing."""
    return " ".join(code.split()).casefold()


class Pairer:
    """Pairs the rows of one file with stored agreements, each stored agreement at most once.

    Rows of one file that say the very same thing (two identical rows, each an agreement of
    its own) are paired in order with as many stored agreements as fit, so that importing
    the file again pairs each with the agreement its first import made.
    """

    def __init__(self, stored: StoredIdentities, naturals: list[NaturalKey | None]):
        self.stored = stored
        self.claimed: set[str] = set()
        self.rows_left: Counter[int] = Counter()
        self.expect(naturals)

    def expect(self, naturals: list[NaturalKey | None]) -> None:
        """Count rows still to come by what they say. A file read in batches counts a batch as
        it comes, so alike rows are counted as far as the file has been read. The counts are
        kept by the key's hash, and dropped when they reach zero: a number per distinct row, not
        the row."""
        self.rows_left.update(hash(_hashable(n)) for n in naturals if n is not None)

    def by_id(self, ident: str) -> Pairing:
        if ident in self.stored.by_id:
            self.claimed.add(ident)
            return Pairing(ident, f"id {ident!r}")
        return Pairing(None, f"new: no stored agreement has the id {ident!r}")

    def by_code(self, code: str, natural: NaturalKey | None) -> Pairing:
        found = self.stored.by_code.get(code_key(code))
        if found is not None:
            self.claimed.add(found.id)
            return Pairing(found.id, f"agreement code {code!r}")
        pairing = self.by_natural(natural, without="agreement_code") if natural else Pairing()
        if pairing.stored_id:
            pairing.how += f" (the stored agreement had no code; it gets {code!r})"
        elif not pairing.refusal:
            pairing.how = f"new: no stored agreement has the agreement code {code!r}"
        return pairing

    def by_iia(self, iia_id: str, natural: NaturalKey | None) -> Pairing:
        found = [s for s in self.stored.by_iia.get(iia_id, []) if s.id not in self.claimed]
        if len(found) == 1:
            self.claimed.add(found[0].id)
            return Pairing(found[0].id, f"EWP IIA id {iia_id!r}")
        if len(found) > 1:
            return _ambiguous(found, f"the EWP IIA id {iia_id!r}")
        pairing = self.by_natural(natural, without="ewp_iia_id") if natural else Pairing()
        if not pairing.stored_id and not pairing.refusal:
            pairing.how = f"new: no stored agreement has the EWP IIA id {iia_id!r}"
        return pairing

    def by_natural(self, natural: NaturalKey, *, without: str | None = None) -> Pairing:
        key = hash(_hashable(natural))
        left = self.rows_left[key]
        if left > 1:
            self.rows_left[key] = left - 1
        else:
            self.rows_left.pop(key, None)
        fits = [s for s in self.stored.fitting(natural, without=without) if s.id not in self.claimed]
        if len(fits) == 1 or (fits and left >= len(fits)):
            self.claimed.add(fits[0].id)
            order = f"; in file order, {len(fits)} alike" if len(fits) > 1 else ""
            return Pairing(fits[0].id, f"{natural.parts()}{order}")
        if fits:
            return _ambiguous(fits, f"this {natural.parts()}")
        return Pairing(None, f"new: no stored agreement has this {natural.parts()}")


def _hashable(natural: NaturalKey) -> tuple[Any, ...]:
    return (natural.partners, natural.kind, natural.programmes, natural.starts_on)


def _ambiguous(fits: list[StoredAgreement], what: str) -> Pairing:
    shown = " and ".join(s.describe() for s in fits[:3]) + (f" and {len(fits) - 3} more" if len(fits) > 3 else "")
    return Pairing(
        refusal=f"{len(fits)} stored agreements have {what}: {shown}; not applied. "
                "Add an agreement code (or id) column naming which, or give the programme and start date that tell them apart",
        candidates=fits,
    )
