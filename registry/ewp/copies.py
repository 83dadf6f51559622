"""The stored copy of an ``erasmus_iia`` agreement as an IIA document (``document.Iia``).

The home institution is the first partner of our copy. An agreement imported from EWP is
read from its stored terms plus what ``ewp_iia_*`` kept (each partner's IIA id and code,
units, exact totals, v6 flags, the copy's own spellings); an agreement entered by hand or
from a spreadsheet from its parties and terms alone. Anything EWP v7 requires that the
agreement lacks (a SCHAC code, places per year, academic years, a language skill for studies
and teaching, four-digit ISCED-F codes) is reported for every agreement at once.

This module reads the store, like ``heis``; importers, exporters, ``diff`` and the checks use
it, so that none of them needs another's module.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

from registry.ewp import document as doc
from registry.ewp import terms
from registry.ewp.heis import host
from registry.ewp.stored import R, stored_record
from registry.models.core import Contact, MobilityTerm
from registry.models.ewp import EwpCondition, EwpIia, EwpPartner
from registry.problems import Problem, ProblemsFound

IN_EFFECT = ("active", "suspended", "expired", "terminated")
DEFAULT_ROLES = {
    "signing": "signing contact",
    "contact": "IIA contact",
    "sending": "sending contact",
    "receiving": "receiving contact",
}


def _rows(db: sqlite_utils.Database, sql: str, params: list) -> list[dict]:
    return list(db.query(sql, params))


def _record(model: type[R], row: dict | None) -> R | None:
    return stored_record(model, row) if row else None


def academic_year(day: str | None) -> str | None:
    """The academic year (1 August to 31 July) an ISO date falls in: 2021-06-01 -> 2020/2021."""
    if not day:
        return None
    year, month = int(day[:4]), int(day[5:7])
    start = year if month >= 8 else year - 1
    return f"{start}/{start + 1}"


def _contact(record: Contact | None, kind: str) -> doc.Contact | None:
    if record is None:
        return None
    name = record.name or record.role
    role = None if record.role == DEFAULT_ROLES[kind] else record.role
    return doc.Contact(name=name, email=record.email, phone=record.phone, role=role)


@dataclass
class _Side:
    hei_id: str
    institution: str
    stored: EwpPartner | None


class _Loader:
    """Reads one agreement's records and turns them into a document, collecting problems."""

    def __init__(self, db: sqlite_utils.Database):
        self.db = db
        self.problems: list[Problem] = []

    def problem(self, agreement: str, message: str, record: str | None = None, field: str | None = None, value=None) -> None:
        self.problems.append(Problem("not-ewp-ready", f"agreements/{agreement}", message, record or f"agreements/{agreement}", field, value))

    def contacts(self, ids: list[str], kind: str) -> list[doc.Contact]:
        found = {}
        for ident in ids:
            row = next(iter(_rows(self.db, "SELECT * FROM contacts WHERE id = ?", [ident])), None)
            found[ident] = _contact(_record(Contact, row), kind)
        return [c for c in (found[i] for i in ids) if c is not None]

    def sides(self, agreement: dict, ewp_partners: list[EwpPartner]) -> tuple[_Side, _Side] | None:
        ident = agreement["id"]
        parties = _rows(
            self.db,
            "SELECT p.institution, p.role, i.schac, i.website, i.is_home FROM agreement_parties p JOIN institutions i ON i.id = p.institution "
            "WHERE p.agreement = ? ORDER BY p.role, p.institution",
            [ident],
        )
        by_institution = {p.institution: p for p in ewp_partners}
        home = [p for p in parties if p["is_home"]]
        others = [p for p in parties if not p["is_home"]]
        if len(home) != 1 or len(others) != 1:
            self.problem(ident, f"an EWP IIA has the home institution and one partner; this agreement has {len(home)} home "
                         f"and {len(others)} other parties", field="parties")
            return None
        sides = []
        for party in (home[0], others[0]):
            stored = by_institution.get(party["institution"])
            hei = stored.hei_id if stored else party["schac"]
            if not hei:
                guess = host(party["website"])
                hint = f" (its website suggests {guess!r})" if guess else ""
                self.problem(ident, f"the institution has no SCHAC code (EWP hei-id); set its schac{hint}",
                             f"institutions/{party['institution']}", "schac")
                continue  # the other party is still checked, to report both at once
            sides.append(_Side(hei, party["institution"], stored))
        if len(sides) != 2:
            return None
        return sides[0], sides[1]

    def partner(self, side: _Side, *, home: bool, agreement: dict, own_copy: bool) -> doc.Partner:
        stored = side.stored
        iia_id = stored.iia_id if stored else None
        iia_code = stored.iia_code if stored else None
        if home:
            # EWP wants both in the first partner; the registry's id stands in for an own id. The
            # iia-code is the number people read: our copy gives the office's agreement code
            # (another author's copy keeps how it wrote ours), else the id stands in for it too.
            iia_id = iia_id or (agreement["ewp_iia_id"] if not stored else None) or agreement["id"]
            iia_code = (agreement["agreement_code"] if own_copy else None) or iia_code or agreement["id"]
            if len(iia_id) > 64:
                self.problem(agreement["id"], "an EWP iia-id has at most 64 characters", field="ewp_iia_id", value=iia_id)
        signing = self.contacts([stored.signing_contact], "signing") if stored and stored.signing_contact else []
        return doc.Partner(
            hei_id=side.hei_id,
            ounit_id=stored.ounit_id if stored else None,
            iia_id=iia_id,
            iia_code=iia_code,
            signing_contact=signing[0] if signing else None,
            signing_date=stored.signing_date if stored else None,
            contacts=self.contacts(stored.contacts, "contact") if stored else [],
        )

    def term_problems(self, term: MobilityTerm) -> list[tuple[str, str, object]]:
        found: list[tuple[str, str, object]] = []
        if not term.places_per_year:
            found.append(("places_per_year", "EWP needs the mobilities per year (at least 1)", term.places_per_year))
        for name in ("first_academic_year", "last_academic_year"):
            if not getattr(term, name):
                found.append((name, "EWP needs the first and last academic year (of the term, or the agreement's "
                                    "starts_on and ends_on)", None))
        if term.category in doc.SKILL_REQUIRED and not term.language_skills:
            found.append(("language_skills", f"EWP v7 needs a recommended language skill for {term.category}", None))
        codes = [a.isced_code for a in term.subject_areas] + [s.isced_code for s in term.language_skills if s.isced_code]
        for code in codes:
            if len(code) != 4:
                found.append(("subject_areas", "EWP v7 needs four-digit ISCED-F codes (a detailed field)", code))
        return found

    def copy(self, agreement_id: str, *, home_first: bool) -> doc.Iia | None:
        agreement = next(iter(_rows(self.db, "SELECT * FROM agreements WHERE id = ?", [agreement_id])), None)
        if agreement is None:
            self.problems.append(Problem("unknown-agreement", f"agreements/{agreement_id}", "no agreement has this id", value=agreement_id))
            return None
        ewp = _record(EwpIia, next(iter(_rows(self.db, "SELECT * FROM ewp_iias WHERE agreement = ?", [agreement_id])), None))
        ewp_partners = [stored_record(EwpPartner, r) for r in _rows(
            self.db, "SELECT * FROM ewp_iia_partners WHERE agreement = ? ORDER BY position", [agreement_id])]
        remainders = {r["term_no"]: stored_record(EwpCondition, r) for r in _rows(
            self.db, "SELECT * FROM ewp_iia_conditions WHERE agreement = ?", [agreement_id])}
        # a term without academic years runs for the agreement's term, when that is recorded
        years = {"first_academic_year": academic_year(agreement["starts_on"]), "last_academic_year": academic_year(agreement["ends_on"])}
        stored_terms = [
            term.model_copy(update={k: v for k, v in years.items() if getattr(term, k) is None})
            for term in (stored_record(MobilityTerm, r) for r in _rows(
                self.db, "SELECT * FROM mobility_terms WHERE agreement = ? ORDER BY term_no", [agreement_id]))
        ]
        before = len(self.problems)
        sides = self.sides(agreement, ewp_partners)
        for term in stored_terms:
            for field, message, value in self.term_problems(term):
                self.problem(agreement_id, message, f"mobility_terms/{agreement_id}/{term.term_no}", field, value)
        if sides is None or len(self.problems) > before:
            return None
        home, partner = sides
        conditions = []
        for term in stored_terms:
            rest: EwpCondition | None = remainders.get(term.term_no)
            conditions.append(terms.to_condition(
                term, rest, home_hei=home.hei_id, partner_hei=partner.hei_id,
                sending_contacts=self.contacts(rest.sending_contacts, "sending") if rest else [],
                receiving_contacts=self.contacts(rest.receiving_contacts, "receiving") if rest else [],
            ))
        own_copy = home_first or ewp is None or ewp.copy_of == home.hei_id
        partners = [self.partner(home, home=True, agreement=agreement, own_copy=own_copy),
                    self.partner(partner, home=False, agreement=agreement, own_copy=own_copy)]
        if not home_first and ewp is not None and partners[1].hei_id == ewp.copy_of:
            partners.reverse()
        if ewp is None or partners[0].hei_id != ewp.copy_of:  # another author's copy: written our way
            conditions = [c.model_copy(update={"lexical": {}}) for c in conditions]
        return doc.Iia(
            partners=partners,
            in_effect=agreement["status"] in IN_EFFECT,
            conditions=conditions,
            terminated_as_a_whole=bool(ewp and ewp.terminated_as_a_whole),
            iia_hash=ewp.iia_hash if ewp else "",
            pdf_file=ewp.pdf_file if ewp else None,
        )


def stored_copy(db: sqlite_utils.Database, agreement_id: str, *, home_first: bool = False) -> doc.Iia:
    """The agreement as an IIA document: partners in the order of the stored copy (its
    author first), or the home institution first (``home_first``, as this registry's copy)."""
    loader = _Loader(db)
    copy = loader.copy(agreement_id, home_first=home_first)
    if loader.problems or copy is None:  # copy() names why whenever it gives no copy
        raise ProblemsFound(loader.problems)
    return copy


def load_copies(db: sqlite_utils.Database, ids: list[str], *, home_first: bool) -> list[doc.Iia]:
    """Several agreements' copies; every problem of every one is raised at once."""
    loader = _Loader(db)
    copies = [loader.copy(ident, home_first=home_first) for ident in ids]
    if loader.problems:
        raise ProblemsFound(loader.problems)
    return [c for c in copies if c is not None]
