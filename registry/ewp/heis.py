"""Which institution an EWP hei-id (a SCHAC code) names, and institutions from the EWP
Institutions API.

An IIA names each partner only by hei-id. In order, an institution is found by:

1. its ``schac`` column;
2. its website's host name (without ``www.``), since a SCHAC code is in practice the main
   web domain;
3. the Erasmus Charter holders list (``registry.identifier_index``, data/erasmus/eche_identifiers.csv):
   the Erasmus code or PIC of the holder with that SCHAC code, matched to the ``erasmus_code`` or
   ``pic`` column;
4. its name: the names an Institutions API entry gives, else the charter list's legal name,
   resolved by ``registry.resolve`` (in the hei's country when known); only a ``matched``
   answer counts, and not when the institution has another SCHAC code or its website is
   another charter holder's domain (a merged or similarly named institution, not this one).

A match by 2, 3 or 4 also records the SCHAC code on the institution, so the next import
finds it by 1. Only with ``create_missing`` (or for an Institutions API entry, which
describes it) is an unknown hei-id turned into a new institution: from the reference record
the name resolved to (ROR, world-universities list), else from the charter list, else from
the hei-id and its country domain. Nothing here writes: the records are the import's to
write, in its one transaction.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlparse

import sqlite_utils
from pydantic import ValidationError

from registry import db as store
from registry import identifier_index
from registry.countries import is_country_code
from registry.ewp import document as doc
from registry.ewp.stored import stored_record
from registry.from_reference import institution_from_reference
from registry.identifier_index import CharterHolder
from registry.models.core import Institution
from registry.problems import Problem, ProblemsFound
from registry.resolve import Resolver


def host(website: str | None) -> str | None:
    if not website:
        return None
    name = (urlparse(website if "://" in website else f"http://{website}").hostname or "").lower().strip(".")
    return (name[4:] if name.startswith("www.") else name) or None


def _code(erasmus_code: str | None) -> str | None:
    return "".join(erasmus_code.split()).upper() if erasmus_code else None


@lru_cache(maxsize=1)
def charter_holders() -> dict[str, list[CharterHolder]]:
    """SCHAC code (the holder's web domain) -> holders (more than one means the domain is shared and names nobody)."""
    holders: dict[str, list[CharterHolder]] = defaultdict(list)
    for holder in identifier_index.charter_holders():
        if holder.schac:
            holders[holder.schac].append(holder)
    return dict(holders)


def country_of_domain(hei_id: str) -> str | None:
    top = hei_id.rsplit(".", 1)[-1].upper()
    top = {"UK": "GB", "EL": "GR"}.get(top, top)
    return top if len(top) == 2 and is_country_code(top) else None


def slug(text: str, limit: int = 100) -> str:
    out = []
    for character in text.lower():
        out.append(character if character.isascii() and (character.isalnum() or character in "._-") else "-")
    value = "".join(out)
    while "--" in value:
        value = value.replace("--", "-")
    return value.strip("._-")[:limit].strip("._-") or "x"


def _name_entry(language: str | None, name: str) -> dict:
    return {"name": name, "language": language.split("-")[0].lower() if language else None, "kind": "alias"}


def _unique_names(entries: list[dict]) -> list[dict]:
    seen: set[str] = set()
    unique = []
    for entry in entries:
        if entry["name"] not in seen:
            seen.add(entry["name"])
            unique.append(entry)
    return unique


@dataclass
class Found:
    institution: str
    # schac, website, erasmus-code, pic, name; reference, created (new institutions);
    # refused (creation failed: see problems)
    how: str
    is_home: bool = False


@dataclass
class HeiResolver:
    """Resolves hei-ids against the institutions stored; collects the institution records an
    import must write (learned SCHAC codes, created institutions)."""

    db: sqlite_utils.Database
    create_missing: bool = False
    records: dict[str, Institution] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    where: str = ""  # the file being read, for problems
    # hei-id -> a reference record its name resolved to, when not created (no create_missing)
    suggestions: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rows = {row["id"]: row for row in self.db.query("SELECT * FROM institutions")}
        self.by_schac: dict[str, list[str]] = defaultdict(list)
        self.by_host: dict[str, list[str]] = defaultdict(list)
        self.by_code: dict[str, list[str]] = defaultdict(list)
        self.by_pic: dict[str, list[str]] = defaultdict(list)
        for ident, row in self.rows.items():
            for index, key in ((self.by_schac, row["schac"]), (self.by_host, host(row["website"])),
                               (self.by_code, _code(row["erasmus_code"])), (self.by_pic, row["pic"])):
                if key:
                    index[key].append(ident)
        self.found: dict[str, Found | None] = {}
        self._names: Resolver | None = None  # built at the first hei-id not found otherwise

    def home(self) -> list[dict]:
        return [row for row in self.rows.values() if row["is_home"]]

    def resolve(self, hei_id: str, *, described: doc.Hei | None = None) -> Found | None:
        if hei_id not in self.found:
            self.found[hei_id] = self._resolve(hei_id, described)
        return self.found[hei_id]

    def _unique(self, index: dict[str, list[str]], key: str | None) -> str | None:
        candidates = index.get(key, []) if key else []
        return candidates[0] if len(candidates) == 1 else None

    def _resolve(self, hei_id: str, described: doc.Hei | None) -> Found | None:
        if ident := self._unique(self.by_schac, hei_id):
            return self._found(ident, "schac")
        holders = charter_holders().get(hei_id, [])
        holder = holders[0] if len(holders) == 1 else None
        codes = [_code(described.erasmus_code) if described else None, _code(holder.erasmus_code) if holder else None]
        pics = [described.pic if described else None, holder.pic if holder else None]
        for how, index, keys in (("website", self.by_host, [hei_id]), ("erasmus-code", self.by_code, codes), ("pic", self.by_pic, pics)):
            for key in keys:
                if ident := self._unique(index, key):
                    if not self.rows[ident]["schac"]:
                        self._learn(ident, hei_id, holder)
                    return self._found(ident, how)
        creating = self.create_missing or described is not None
        if found := self._by_name(hei_id, holder, described, creating=creating):
            return found
        if found := self._by_domain(hei_id, holder, described, creating=creating):
            return found
        if creating:
            return self._create(hei_id, holder, described)
        return None

    def _by_domain(self, hei_id: str, holder: CharterHolder | None, described: doc.Hei | None, *,
                   creating: bool) -> Found | None:
        """The one active reference record whose web domain the hei-id is (``ie.edu`` is IE
        University's): a SCHAC code that names no country still leads to one."""
        if holder or (described and described.country):
            return None  # the charter list or the entry tells the country already
        rows = self.db.conn.execute(
            "SELECT id, name, country, website, domains FROM reference_institutions WHERE status = 'active' "
            "AND country IS NOT NULL AND (website LIKE ? OR domains LIKE ?)", [f"%{hei_id}%", f'%"{hei_id}"%'],
        ).fetchall() if self._has_reference() else []
        rows = [r for r in rows if host(r[3]) == hei_id or hei_id in json.loads(r[4] or "[]")]
        if len(rows) != 1:
            return None
        ident, name, country = rows[0][:3]
        if not creating:
            self.suggestions[hei_id] = f"{name} ({ident})"
            return None
        because = f"its hei-id is the web domain of {name} ({ident})"
        return self._from_reference(hei_id, ident, holder, described, because)

    def _has_reference(self) -> bool:
        return bool(self.db.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'reference_institutions'").fetchone())

    def country_known(self, hei_id: str) -> bool:
        """Whether ``--create-missing`` could make an institution of this hei-id."""
        holders = charter_holders().get(hei_id, [])
        return bool(len(holders) == 1 or country_of_domain(hei_id) or hei_id in self.suggestions)

    def _by_name(self, hei_id: str, holder: CharterHolder | None, described: doc.Hei | None, *, creating: bool) -> Found | None:
        """The first of the hei's names that ``registry.resolve`` matches: to an institution
        without another SCHAC code (which learns this one), or to a reference record (which
        becomes the institution when ``creating``)."""
        names = [name for _, name in described.names] if described else []
        names += [holder.name] if holder and holder.name else []
        country = (described.country if described else None) or (holder.country if holder else None) or country_of_domain(hei_id)
        for name in dict.fromkeys(names):
            if self._names is None:
                self._names = Resolver(self.db)
            best = self._names.resolve(name, country).best
            if best is None:
                continue
            # the registry's institution, or None when the name matched a reference record
            known = best.institution_id if best.institution_id in self.rows else None
            target = known if known is not None else f"reference record {best.reference_id}"
            because = f"its name {name!r} resolved to {target} ({best.score:.2f}, {best.reason})"
            website = host(self.rows[known]["website"] if known is not None else self._reference_website(best.reference_id))
            if website and website != hei_id and website in charter_holders():
                self.notes.append(f"{hei_id}: {because}, whose website is another Erasmus charter holder's ({website}): not taken")
                continue
            if known is not None:
                schac = self.rows[known]["schac"]
                if schac and schac != hei_id:
                    self.notes.append(f"{hei_id}: {because}, which has SCHAC code {schac}: not taken")
                    continue
                self._learn(known, hei_id, holder, how=because)
                return self._found(known, "name")
            if best.reference_id:
                if not creating:
                    self.suggestions[hei_id] = f"{best.name} ({best.reference_id})"
                    return None
                return self._from_reference(hei_id, best.reference_id, holder, described, because)
        return None

    def _reference_website(self, reference_id: str | None) -> str | None:
        row = self.db.conn.execute("SELECT website FROM reference_institutions WHERE id = ?", [reference_id]).fetchone()
        return row[0] if row else None

    def _from_reference(self, hei_id: str, reference_id: str, holder: CharterHolder | None, described: doc.Hei | None,
                        why: str) -> Found | None:
        """A new institution from the reference record, with the SCHAC code, and the Erasmus
        code and PIC of the entry or the charter list."""
        try:
            record = institution_from_reference(self.db, reference_id)
            if record.id in self.rows:
                record = institution_from_reference(self.db, reference_id, slug(f"{record.id}-{hei_id}"))
        except ProblemsFound as found:  # withdrawn without a successor, say: the charter list's data will do
            self.notes.append(f"{hei_id}: {why}, which cannot be used: {found.problems[0].message}")
            return None
        values = {**record.columns(), "names": [n.model_dump(mode="json", exclude={"name_folded"}) for n in record.names],
                  "schac": hei_id,
                  "erasmus_code": (described.erasmus_code if described else None) or (holder.erasmus_code if holder else None),
                  "pic": (described.pic if described else None) or (holder.pic if holder else None)}
        institution = self._validate(values, optional={"erasmus_code", "pic"})
        self.records[institution.id] = institution
        self.rows[institution.id] = {**institution.columns(), "is_home": False}
        self.by_schac[hei_id].append(institution.id)
        self.notes.append(f"institution {institution.id}: created from the reference registry, since {why}")
        return Found(institution.id, "reference")

    def _found(self, ident: str, how: str) -> Found:
        return Found(ident, how, bool(self.rows[ident]["is_home"]))

    def _stored(self, ident: str) -> Institution:
        return self.records.get(ident) or stored_record(Institution, self.rows[ident])

    def _learn(self, ident: str, hei_id: str, holder: CharterHolder | None, how: str | None = None) -> None:
        """Record the SCHAC code (and the charter's Erasmus code and PIC where missing)."""
        current = self._stored(ident)
        update = {"schac": hei_id}
        if holder and not current.erasmus_code:
            update["erasmus_code"] = holder.erasmus_code
        if holder and not current.pic and holder.pic and holder.pic.isdigit() and len(holder.pic) == 9:
            update["pic"] = holder.pic
        self.records[ident] = self._validate({**current.columns(), **update}, optional=set(update) - {"schac"})
        self.notes.append(f"institution {ident}: recorded SCHAC code {hei_id}" + (f", since {how}" if how else ""))

    def describe(self, ident: str, described: doc.Hei) -> None:
        """Fill what the stored institution lacks from an Institutions API entry; every name
        the entry gives becomes a name of the institution (nothing stored is overwritten)."""
        current = self._stored(ident)
        values = current.columns()
        for name, value in (("schac", described.hei_id), ("erasmus_code", described.erasmus_code), ("pic", described.pic),
                            ("website", described.website), ("acronym", described.abbreviation), ("city", described.city)):
            if value and not values.get(name):
                values[name] = value
        stored_names = [
            store.record_from_row("institution_names", row).model_dump(exclude={"name_folded"})
            for row in self.db.query("SELECT * FROM institution_names WHERE institution = ?", [ident])
        ]
        # an institution this import creates (from a reference record) has its names only here
        stored_names += [n.model_dump(exclude={"name_folded"}) for n in current.names if n.name not in {s["name"] for s in stored_names}]
        known = {n["name"] for n in stored_names}
        added = [_name_entry(lang, name) for lang, name in described.names if name not in known]
        merged = Institution.model_validate({**values, "names": stored_names + _unique_names(added)})
        if merged != current or added:
            self.records[ident] = merged
            self.notes.append(f"institution {ident}: completed from the Institutions API ({len(added)} new names)")

    def _validate(self, values: dict, *, optional: set[str]) -> Institution:
        """An institution from these values; an optional value that does not pass (a charter
        list's odd Erasmus code, say) is left out with a note rather than stopping the import."""
        try:
            return Institution.model_validate(values)
        except ValidationError as error:
            failing = {str(e["loc"][0]) for e in error.errors() if e["loc"]} & optional
            if not failing:
                raise
            self.notes.append(f"institution {values['id']}: left out {', '.join(f'{k} {values[k]!r}' for k in sorted(failing))}, "
                              "which the registry's rules refuse")
            return Institution.model_validate({k: v for k, v in values.items() if k not in failing})

    def _create(self, hei_id: str, holder: CharterHolder | None, described: doc.Hei | None) -> Found | None:
        country = (described.country if described else None) or (holder.country if holder else None) or country_of_domain(hei_id)
        if not country:
            return None
        ident = hei_id if hei_id not in self.rows else slug(f"{hei_id}-ewp")
        names = [(lang, name) for lang, name in (described.names if described else [])]
        english = next((n for lang, n in names if lang and lang.lower().startswith("en")), None)
        name = english or (names[0][1] if names else None) or (holder.name if holder else None) or hei_id
        local = next((n for lang, n in names if n != name and not (lang or "").lower().startswith("en")), None)
        values = {
            "id": ident,
            "name": name,
            "local_name": local or (holder.name if holder and holder.name != name else None),
            "acronym": described.abbreviation if described else None,
            "country": country,
            "city": described.city if described else None,
            "website": (described.website if described else None) or (f"https://{holder.schac}" if holder else None),
            "schac": hei_id,
            "erasmus_code": (described.erasmus_code if described else None) or (holder.erasmus_code if holder else None),
            "pic": (described.pic if described else None) or (holder.pic if holder else None),
            "names": _unique_names([_name_entry(lang, n) for lang, n in names if n != name]),
        }
        try:
            self.records[ident] = self._validate(values, optional={"erasmus_code", "pic", "acronym", "city", "website"})
        except ValidationError as error:
            line = f":{described.line}" if described and described.line else ""
            for detail in error.errors():
                loc = ".".join(str(part) for part in detail["loc"]) or None
                self.problems.append(Problem("invalid-value", f"{self.where}{line}", "cannot create the institution: "
                                             + detail["msg"], f"institutions/{ident}", loc, detail.get("input") if loc else None))
            return Found(ident, "refused")
        self.rows[ident] = {**values, "is_home": False}
        self.by_schac[hei_id].append(ident)
        source = "the Institutions API response" if described else "the Erasmus charter list" if holder else "its hei-id"
        self.notes.append(f"institution {ident}: created from {source}")
        return Found(ident, "created")
