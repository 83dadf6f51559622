"""Importing EWP documents: IIAs API v7 get responses as ``erasmus_iia`` agreements,
Institutions API v2 responses as institutions, IIA Approval API v2 responses as approvals.

A file is one transaction: every problem in it (unsafe XML, schema errors with their lines,
unknown hei-ids, values the models refuse) is reported at once and nothing is written
unless there are none. Importing the same copy again writes nothing. ``import_file`` is
``registry ewp import``; ``read_file`` is the same import as the ``ewp`` format of
``registry import`` (``registry.formats``), one row outcome per IIA, institution or approval.

An IIA lands as: the agreement (kind ``erasmus_iia``; status from ``in-effect``), its two
parties, one mobility term per cooperation condition (direction seen from the home
institution), the contacts the copy names (internal ``contacts``), and ``ewp_iia*`` rows for
what the core has no field for. An agreement is found again by either partner's iia-id, so
a partner's copy and ours update the same agreement.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils
from pydantic import TypeAdapter, ValidationError

from registry import clock
from registry import db as store
from registry.ewp import document as doc
from registry.ewp import reader, terms, writer
from registry.ewp.copies import DEFAULT_ROLES, stored_copy
from registry.ewp.heis import Found, HeiResolver, slug
from registry.ewp.stored import R
from registry.importers.outcome import MATCHED, NEW, ImportOptions, ReadResult, RowOutcome
from registry.models import Record
from registry.models.core import Agreement, AgreementCode, Contact
from registry.models.ewp import EwpIia
from registry.problems import Problem, ProblemsFound

KEEP_IN_EFFECT = ("active", "suspended", "expired", "terminated")
KEEP_PROPOSED = ("draft", "negotiating")
CREATED = ("created", "reference")  # how a hei-id was found when the import creates its institution
DOCUMENTS = {  # reader kind -> (what a row is, the document's name)
    "iias-get": ("iias", "IIAs API v7 get response"),
    "institutions": ("institutions", "Institutions API v2 response"),
    "iias-approval": ("approvals", "IIA Approval API v2 response"),
}


@dataclass
class _Batch:
    """What one file asks to write, and what stops it."""

    where: str
    records: list[Record] = field(default_factory=list)
    deletions: list[tuple[str, str]] = field(default_factory=list)  # (table, id)
    approvals: dict[str, dict[str, Any]] = field(default_factory=dict)  # agreement -> approved copy
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    agreements: list[str] = field(default_factory=list)
    rows: list[RowOutcome] = field(default_factory=list)  # one per IIA, institution or approval taken

    def row(self, line: int | None, label: str, key: str, records: list[Record], found: dict[str, Found], **raw: str) -> None:
        """A document taken, as ``registry import`` reports it: new when it creates an institution."""
        self.rows.append(RowOutcome(
            f"{self.where}:{line}" if line else self.where, line, {"document": label, **raw},
            NEW if any(f.how in CREATED for f in found.values()) else MATCHED, records, key,
            resolution="; ".join(f"{hei} -> {f.institution} by {f.how}" for hei, f in found.items()) or None,
        ))

    def validation_problems(self, error: ValidationError, where: str, record: str) -> None:
        for detail in error.errors():
            loc = ".".join(str(part) for part in detail["loc"]) or None
            self.problems.append(
                Problem("invalid-value", where, detail["msg"].removeprefix("Value error, "), record, loc, detail.get("input") if loc else None)
            )


@dataclass
class ImportResult:
    path: str
    kind: str
    schema_checked: bool
    plan: store.Plan
    agreements: list[str]
    notes: list[str]
    dry_run: bool


def _one(db: sqlite_utils.Database, sql: str, params: list) -> dict | None:
    return next(iter(db.query(sql, params)), None)


def _status(iia: doc.Iia, stored: str | None) -> str:
    """in-effect means signed and followed (or once followed); a stored status that agrees is kept."""
    if iia.terminated_as_a_whole:
        return "terminated"
    if iia.in_effect:
        return stored if stored in KEEP_IN_EFFECT else "active"
    return stored if stored in KEEP_PROPOSED else "negotiating"


def _is_agreement_code(value: str) -> bool:
    try:
        _AGREEMENT_CODE.validate_python(value)
    except ValidationError:
        return False
    return True


_AGREEMENT_CODE: TypeAdapter[str] = TypeAdapter(AgreementCode)


class _IiaImport:
    def __init__(self, db: sqlite_utils.Database, batch: _Batch, *, create_missing: bool, approved: bool):
        self.db = db
        self.batch = batch
        self.resolver = HeiResolver(db, create_missing=create_missing, where=batch.where)
        self.approved = approved
        self.claimed: dict[str, str] = {}  # agreement id -> label of the IIA that claimed it
        self.codes: set[str] = set()  # agreement codes this file's IIAs gave their agreements

    def unknown(self, iia: doc.Iia, hei_id: str) -> None:
        suggestion = self.resolver.suggestions.get(hei_id)
        unknown = (f"no institution has SCHAC code {hei_id!r} "
                   "(nor a website, Erasmus code, PIC or name that leads to it)")
        if not self.resolver.country_known(hei_id):  # --create-missing could not make it either
            message = (f"{unknown}, and its country cannot be told (the hei-id is no country domain, and neither the "
                       "Erasmus charter list nor the reference registry knows it): add the institution with "
                       f"'schac: {hei_id}' and its country (registry load), or import the partner's EWP Institutions "
                       "API response")
        else:
            create = (f"--create-missing to create it from the reference registry's {suggestion}" if suggestion
                      else "--create-missing to create it")
            message = (f"{unknown}: add it with 'schac: {hei_id}' (registry load), import the partner's EWP "
                       "Institutions API response, or pass " + create)
        self.batch.problems.append(Problem("unknown-institution", f"{self.batch.where}:{iia.line}", message,
                                           iia.label(), "hei-id", hei_id))

    def existing_agreement(self, iia: doc.Iia, home: doc.Partner, partner_institution: str) -> list[str]:
        found: set[str] = set()
        pairs = [(p.hei_id, p.iia_id) for p in iia.partners if p.iia_id]
        for hei, iia_id in pairs:
            found |= {r["agreement"] for r in self.db.query(
                "SELECT agreement FROM ewp_iia_partners WHERE hei_id = ? AND iia_id = ?", [hei, iia_id])}
        if not found:  # an agreement entered by hand or from a spreadsheet, with the IIA id noted
            for _, iia_id in pairs:
                found |= {r["id"] for r in self.db.query(
                    "SELECT a.id FROM agreements a JOIN agreement_parties p ON p.agreement = a.id "
                    "WHERE a.ewp_iia_id = ? AND p.institution = ?", [iia_id, partner_institution])}
        if not found and home.iia_id:  # our iia-id as export writes it for such an agreement: its id
            found |= {r["id"] for r in self.db.query(
                "SELECT a.id FROM agreements a JOIN agreement_parties p ON p.agreement = a.id "
                "WHERE a.id = ? AND a.ewp_iia_id IS NULL AND p.institution = ?", [home.iia_id, partner_institution])}
        return sorted(found)

    def our_code(self, home: doc.Partner, agreement_id: str) -> str | None:
        """The office's agreement code as the copy gives ours (``iia-code``, the human-readable
        number), for an agreement that has none: not the ids export writes when there is none,
        nor a code another agreement holds (a partner's slip is no reason to refuse the IIA)."""
        code = (home.iia_code or "").strip()
        if not code or code in (home.iia_id, agreement_id) or code in self.codes or not _is_agreement_code(code):
            return None
        if _one(self.db, "SELECT id FROM agreements WHERE agreement_code = ? AND id != ?", [code, agreement_id]):
            return None
        self.codes.add(code)
        return code

    def new_id(self, iia: doc.Iia, home: doc.Partner, partner: doc.Partner) -> str:
        base = slug(f"iia-{partner.hei_id}-{home.iia_id or partner.iia_id or (iia.content_hash or writer.copy_hash(iia))[:12]}", 100)
        ident, n = base, 1
        while ident in self.claimed or _one(self.db, "SELECT id FROM agreements WHERE id = ?", [ident]):
            n += 1
            ident = f"{base}-{n}"
        return ident

    def contact(self, ident: str, institution: str, agreement: str, contact: doc.Contact, kind: str) -> str | None:
        values = {"id": slug(ident, 128), "institution": institution, "agreement": agreement,
                  "role": contact.role or DEFAULT_ROLES[kind], "name": contact.name, "email": contact.email, "phone": contact.phone}
        try:
            record = Contact.model_validate(values)
        except ValidationError as error:
            dropped = {str(e["loc"][0]) for e in error.errors() if e["loc"] and e["loc"][0] in ("email", "phone")}
            if not dropped:
                self.batch.validation_problems(error, self.batch.where, f"contacts/{values['id']}")
                return None
            self.batch.notes.append(f"contact {values['id']}: left out {', '.join(sorted(dropped))} that is not an "
                                    "e-mail address or phone number")
            record = Contact.model_validate({k: v for k, v in values.items() if k not in dropped})
        self.batch.records.append(record)
        return record.id

    def add(self, iia: doc.Iia) -> None:
        where = f"{self.batch.where}:{iia.line}"
        resolved = {p.hei_id: self.resolver.resolve(p.hei_id) for p in iia.partners}
        for hei, result in resolved.items():
            if result is None:
                self.unknown(iia, hei)
        found = {hei: result for hei, result in resolved.items() if result is not None}
        if len(found) < len(resolved) or any(f.how == "refused" for f in found.values()):
            return
        homes = [p for p in iia.partners if found[p.hei_id].is_home]
        if len(homes) != 1:
            home_rows = self.resolver.home()
            own = ", ".join(f"{r['id']} (schac {r['schac'] or 'not set'})" for r in home_rows) or "none marked is_home"
            self.batch.problems.append(Problem(
                "no-home-partner", where,
                f"one partner must be this registry's home institution ({own}); "
                + ("both are" if homes else "neither is"),
                iia.label(), "hei-id", ", ".join(found)))
            return
        home = homes[0]
        partner = next(p for p in iia.partners if p is not home)
        home_institution, partner_institution = found[home.hei_id].institution, found[partner.hei_id].institution
        matches = self.existing_agreement(iia, home, partner_institution)
        if len(matches) > 1:
            self.batch.problems.append(Problem("ambiguous-agreement", where, f"the IIA ids lead to several agreements: {', '.join(matches)}",
                                               iia.label(), "iia-id"))
            return
        agreement_id = matches[0] if matches else self.new_id(iia, home, partner)
        if agreement_id in self.claimed:
            self.batch.problems.append(Problem("duplicate-iia", where, f"another IIA in this file ({self.claimed[agreement_id]}) "
                                               f"is the same agreement ({agreement_id})", iia.label()))
            return
        self.claimed[agreement_id] = iia.label()
        self.batch.agreements.append(agreement_id)
        self.build(iia, agreement_id, home, partner, {home.hei_id: home_institution, partner.hei_id: partner_institution})

    def build(self, iia: doc.Iia, agreement_id: str, home: doc.Partner, partner: doc.Partner, institutions: dict[str, str]) -> None:
        where = f"{self.batch.where}:{iia.line}"
        stored = _one(self.db, "SELECT * FROM agreements WHERE id = ?", [agreement_id])
        stored_ewp = _one(self.db, "SELECT * FROM ewp_iias WHERE agreement = ?", [agreement_id])
        owned_before = _owned_contacts(self.db, agreement_id)
        owned_now: set[str] = set()

        def contacts(prefix: str, institution: str, found: Iterable[doc.Contact], kind: str) -> list[str]:
            # the agreement part is cut, never the part that tells contacts apart
            ids = [self.contact(f"{agreement_id[:64]}.{prefix}-{n}", institution, agreement_id, c, kind) for n, c in enumerate(found, 1)]
            owned_now.update(i for i in ids if i)
            return [i for i in ids if i]

        partners = []
        for position, p in enumerate(iia.partners, start=1):
            signing = contacts(f"{p.hei_id}.signing", institutions[p.hei_id], [p.signing_contact] if p.signing_contact else [], "signing")
            partners.append({
                "position": position, "hei_id": p.hei_id, "institution": institutions[p.hei_id], "iia_id": p.iia_id,
                "iia_code": p.iia_code, "ounit_id": p.ounit_id, "signing_date": p.signing_date,
                "signing_contact": signing[0] if signing else None,
                "contacts": contacts(f"{p.hei_id}.contact", institutions[p.hei_id], p.contacts, "contact"),
            })
        mobility_terms, remainders = [], []
        for term_no, condition in enumerate(iia.conditions, start=1):
            term, rest = terms.to_records(
                condition, agreement=agreement_id, term_no=term_no, home_hei=home.hei_id,
                sending_contacts=contacts(f"term-{term_no}.sending", institutions[condition.sending_hei_id], condition.sending_contacts, "sending"),
                receiving_contacts=contacts(f"term-{term_no}.receiving", institutions[condition.receiving_hei_id], condition.receiving_contacts, "receiving"),
            )
            mobility_terms.append(term)
            remainders.append(rest)
        partner_name = self.resolver.rows[institutions[partner.hei_id]]["name"]
        code = home.iia_code or partner.iia_code
        base = store.record_from_row("agreements", stored).columns() if stored else {
            "id": agreement_id,
            "title": f"Erasmus+ inter-institutional agreement with {partner_name}" + (f" ({code})" if code else ""),
        }
        signing_dates = [p.signing_date for p in iia.partners if p.signing_date]
        values = {
            **base,
            "kind": "erasmus_iia",
            "status": _status(iia, stored["status"] if stored else None),
            "ewp_iia_id": home.iia_id or partner.iia_id or base.get("ewp_iia_id"),
            "agreement_code": base.get("agreement_code") or self.our_code(home, agreement_id),
            "signed_on": max(signing_dates) if signing_dates else base.get("signed_on"),
            "parties": _parties(self.db, agreement_id, institutions[home.hei_id], institutions[partner.hei_id]),
            "mobility_terms": mobility_terms,
        }
        before = len(self.batch.problems)
        agreement = self._validate(Agreement, values, where, f"agreements/{agreement_id}", iia)
        kept = {k: stored_ewp[k] for k in ("approved_hash", "approved_at", "approved_watermark")} if stored_ewp else {}
        if stored_ewp and stored_ewp["approved_copy"]:
            kept["approved_copy"] = store.decode(store.specs()["ewp_iias"], stored_ewp)["approved_copy"]
        ewp = self._validate(EwpIia, {
            "agreement": agreement_id, "copy_of": iia.partners[0].hei_id, "iia_hash": iia.iia_hash,
            "terminated_as_a_whole": iia.terminated_as_a_whole, "pdf_file": iia.pdf_file, **kept,
            "partners": partners, "conditions": remainders,
        }, where, f"ewp_iias/{agreement_id}", iia)
        if len(self.batch.problems) > before or agreement is None or ewp is None:  # (None only with a problem)
            return
        self.batch.records += [agreement, ewp]
        self.batch.deletions += [("contacts", ident) for ident in sorted(owned_before - owned_now)]
        if iia.content_hash and iia.content_hash != iia.iia_hash:
            self.batch.notes.append(f"warning: {agreement_id}: the copy states iia-hash {iia.iia_hash}, but its content "
                                    f"hashes to {iia.content_hash} by EWP's v7 rule (transform_version_7.xsl): its "
                                    "author's system computes it otherwise, or the copy changed after it was hashed")
        if self.approved:
            self.batch.approvals[agreement_id] = {"approved_hash": iia.iia_hash, "approved_copy": iia.snapshot()}

    def _validate(self, model: type[R], values: dict, where: str, record: str, iia: doc.Iia) -> R | None:
        try:
            return model.model_validate(values)
        except ValidationError as error:
            for detail in error.errors():
                loc = detail["loc"]
                at = where
                if len(loc) >= 2 and loc[0] in ("mobility_terms", "conditions") and isinstance(loc[1], int):
                    at = f"{self.batch.where}:{iia.conditions[loc[1]].line}"  # the condition's own line
                self.batch.problems.append(Problem(
                    "invalid-value", at, detail["msg"].removeprefix("Value error, "), record,
                    ".".join(str(part) for part in loc) or None, detail.get("input") if loc else None))
            return None


def _owned_contacts(db: sqlite_utils.Database, agreement: str) -> set[str]:
    """Contacts an earlier import of this agreement created (the ewp rows name them)."""
    owned: set[str] = set()
    spec = store.specs()
    for row in db.query("SELECT * FROM ewp_iia_partners WHERE agreement = ?", [agreement]):
        values = store.decode(spec["ewp_iia_partners"], row)
        owned.update(([values["signing_contact"]] if values["signing_contact"] else []) + (values["contacts"] or []))
    for row in db.query("SELECT * FROM ewp_iia_conditions WHERE agreement = ?", [agreement]):
        values = store.decode(spec["ewp_iia_conditions"], row)
        owned.update((values["sending_contacts"] or []) + (values["receiving_contacts"] or []))
    return owned


def _parties(db: sqlite_utils.Database, agreement: str, home: str, partner: str) -> list[dict]:
    """The home and partner parties (keeping a unit already recorded) and any other party."""
    stored = {row["institution"]: row for row in db.query("SELECT * FROM agreement_parties WHERE agreement = ?", [agreement])}
    parties = [{"institution": home, "role": "home", "unit": (stored.get(home) or {}).get("unit")},
               {"institution": partner, "role": "partner", "unit": (stored.get(partner) or {}).get("unit")}]
    others = [{"institution": i, "role": row["role"], "unit": row["unit"]} for i, row in stored.items() if i not in (home, partner)]
    return parties + others


def iia_batch(db: sqlite_utils.Database, iias: list[doc.Iia], *, where: str, create_missing: bool = False,
              approved: bool = False) -> _Batch:
    batch = _Batch(where)
    job = _IiaImport(db, batch, create_missing=create_missing, approved=approved)
    for iia in iias:
        institutions, first, taken = set(job.resolver.records), len(batch.records), len(batch.agreements)
        job.add(iia)
        if len(batch.agreements) > taken:
            learned = [record for ident, record in job.resolver.records.items() if ident not in institutions]
            batch.row(iia.line, iia.label(), f"agreements/{batch.agreements[-1]}", learned + batch.records[first:],
                      {p.hei_id: found for p in iia.partners if (found := job.resolver.found[p.hei_id]) is not None})
    batch.records = list(job.resolver.records.values()) + batch.records
    batch.notes = job.resolver.notes + batch.notes
    batch.problems = job.resolver.problems + batch.problems
    return batch


def institutions_batch(db: sqlite_utils.Database, heis: list[doc.Hei], *, where: str) -> _Batch:
    batch = _Batch(where)
    resolver = HeiResolver(db, where=where)
    for hei in heis:
        found = resolver.resolve(hei.hei_id, described=hei)
        if found is None:
            batch.problems.append(Problem("unknown-country", f"{where}:{hei.line}", "cannot tell the institution's country "
                                          "(no address, not in the Erasmus charter list, no country domain); add it first",
                                          f"hei/{hei.hei_id}", "hei-id", hei.hei_id))
        elif found.how not in ("created", "refused"):  # (one made from a reference record is completed too)
            try:
                resolver.describe(found.institution, hei)
            except ValidationError as error:
                batch.validation_problems(error, f"{where}:{hei.line}", f"institutions/{found.institution}")
    for hei in heis:
        found = resolver.found.get(hei.hei_id)
        if found and found.how != "refused":  # (an entry that changes nothing is its stored institution, unchanged)
            record = resolver.records.get(found.institution) or store.record_from_row("institutions", resolver.rows[found.institution])
            batch.row(hei.line, hei.hei_id, f"institutions/{found.institution}", [record], {hei.hei_id: found})
    batch.records = list(resolver.records.values())
    batch.notes = resolver.notes
    batch.problems = resolver.problems + batch.problems
    return batch


def approvals_batch(db: sqlite_utils.Database, approvals: list[doc.Approval], *, where: str) -> _Batch:
    """A partner's approvals of our copies: each must name a stored agreement by our iia-id
    and carry the hash of the copy as stored (or as this registry writes it)."""
    batch = _Batch(where)
    for approval in approvals:
        at = f"{where}:{approval.line}"
        row = _one(db, "SELECT p.agreement, e.iia_hash FROM ewp_iia_partners p JOIN institutions i ON i.id = p.institution "
                       "JOIN ewp_iias e ON e.agreement = p.agreement WHERE p.iia_id = ? AND i.is_home = 1", [approval.iia_id])
        if row is None:
            batch.problems.append(Problem("unknown-iia", at, "no stored IIA has this iia-id as the home institution's id",
                                          None, "iia-id", approval.iia_id))
            continue
        agreement, stored_hash = row["agreement"], row["iia_hash"]
        copy = stored_copy(db, agreement)
        if refused := not_approvable(agreement, copy, at):
            batch.problems.append(refused)
            continue
        own = writer.copy_hash(stored_copy(db, agreement, home_first=True))
        if approval.iia_hash not in (stored_hash, own):
            batch.problems.append(Problem(
                "approval-mismatch", at,
                f"the partner approved iia-hash {approval.iia_hash}, but the stored copy's hash is {stored_hash} and "
                f"this registry's copy hashes to {own}: the partner approved another version; compare the copies with "
                f"'registry ewp diff --agreement {agreement} FILE'", f"agreements/{agreement}", "iia-hash", approval.iia_hash))
            continue
        batch.agreements.append(agreement)
        batch.approvals[agreement] = {"approved_hash": stored_hash, "approved_copy": copy.snapshot()}
        # the row shows the approval as planned; write_batch makes it again, with the audit log's position
        batch.row(approval.line, approval.iia_id, f"agreements/{agreement}",
                  _approval_records(db, {agreement: batch.approvals[agreement]}, None), {}, iia_hash=approval.iia_hash)
    return batch


def not_approvable(agreement: str, copy: doc.Iia, where: str) -> Problem | None:
    """The refusal of an approval of a copy that carries values IIA v7 says must be defined first."""
    reasons = writer.why_not_approvable(copy)
    if not reasons:
        return None
    return Problem("not-valid-for-approval", where,
                   "the copy must not be approved (IIA v7: an IIA with not-yet-defined elements or a v6-value must "
                   f"not be approved until they are defined): {'; '.join(reasons)}; the copy's author must send a "
                   "new copy first",
                   None if where == f"agreements/{agreement}" else f"agreements/{agreement}", "cooperation-conditions")


def _deletion(db: sqlite_utils.Database, table: str, ident: str) -> store.Change | None:
    row = _one(db, f"SELECT * FROM {table} WHERE id = ?", [ident])
    return store.Change(table, (ident,), "delete", store.decode(store.specs()[table], row), None) if row else None


def _approval_records(db: sqlite_utils.Database, approvals: dict[str, dict], watermark: int | None) -> list[Record]:
    at = clock.now_text()
    records: list[Record] = []
    for agreement, approval in approvals.items():
        row = _one(db, "SELECT * FROM ewp_iias WHERE agreement = ?", [agreement])
        values = store.decode(store.specs()["ewp_iias"], row) if row else None
        if values is None:  # dry run of a first import: the row is not there yet
            continue
        records.append(EwpIia.model_validate({**values, **approval, "approved_at": at, "approved_watermark": watermark}))
    return records


def write_batch(db: sqlite_utils.Database, batch: _Batch, *, actor: str | None, source: str, dry_run: bool) -> store.Plan:
    """Check, plan and apply a batch in one transaction (or only plan it)."""
    if batch.problems:
        raise ProblemsFound(batch.problems)
    missing = store.missing_references(db, batch.records)
    if missing:
        raise ProblemsFound([Problem("unknown-reference", batch.where, f"no record in {table} has this id", record, name, value)
                             for _, record, name, value, table in missing])

    def plan_all() -> store.Plan:
        plan = store.plan_changes(db, batch.records)
        plan.changes += [c for c in (_deletion(db, table, ident) for table, ident in batch.deletions) if c]
        return plan

    if dry_run:
        plan = plan_all()
        plan.changes += store.plan_changes(db, _approval_records(db, batch.approvals, None)).changes
        return plan
    with store.transaction(db, actor=actor or store.default_actor(), source=source[:500]):
        plan = plan_all()
        store.apply_plan(db, plan)
        if batch.approvals:
            watermark = db.conn.execute("SELECT coalesce(max(id), 0) FROM changes").fetchone()[0]
            approvals = store.plan_changes(db, _approval_records(db, batch.approvals, watermark))
            store.apply_plan(db, approvals)
            plan.changes += approvals.changes
    return plan


class _Rollback(Exception):
    """Rolls a streamed dry run back once it is written and planned."""


def _iia_stream(db: sqlite_utils.Database, stream: reader.IiaStream, *, create_missing: bool, approved: bool,
                actor: str | None, source: str, dry_run: bool, on_row: Callable[[RowOutcome], None] | None = None,
                ) -> tuple[store.Plan, _Batch]:
    """An IIAs get response read, built and written an IIA at a time (issue 19), in one
    transaction: each IIA's records go to ``store.write_records`` as it is read, which writes
    them a batch at a time, after the institutions the import learns for it. A
    problem anywhere stops the writing (the file is still read to the end, so every problem
    is reported at once) and rolls back what was written; a dry run is written and rolled back.

    Problems come as the original reader gave them: the schema's and the reader's, if any,
    alone (they are the ones to fix first), else the import's."""
    batch = _Batch(stream.where)
    job = _IiaImport(db, batch, create_missing=create_missing, approved=approved)
    read_problems: list[Problem] = []
    found: list[Problem] = []  # what stops the writer, as it comes
    counted = [0, 0, 0]  # of read_problems, the resolver's and the batch's problems, how many are in found

    def collect() -> None:
        for index, problems in enumerate((read_problems, job.resolver.problems, batch.problems)):
            found.extend(problems[counted[index]:])
            counted[index] = len(problems)

    def records() -> Iterator[Record]:
        for iia in stream.iias(read_problems):
            known, taken = len(job.resolver.records), len(batch.agreements)
            job.add(iia)
            # (only looked for when there are new ones: most IIAs name partners met before)
            learned = ([record for ident, record in job.resolver.records.items() if ident not in written]
                       if len(job.resolver.records) > known else [])
            if len(batch.agreements) > taken:
                batch.row(iia.line, iia.label(), f"agreements/{batch.agreements[-1]}", learned + batch.records,
                          {p.hei_id: hei for p in iia.partners if (hei := job.resolver.found[p.hei_id]) is not None})
            collect()
            if not found:
                for institution in learned:
                    written[institution.id] = institution
                yield from learned
                yield from batch.records
            batch.records.clear()
            for row in batch.rows:
                row.settle()
                if on_row is not None:
                    on_row(row)
            batch.rows.clear()
        collect()

    # institutions the import learns (a few per partner, not per IIA), as first written: one
    # completed by a later IIA is written again at the end
    written: dict[str, Record] = {}
    try:
        with store.transaction(db, actor=actor or store.default_actor(), source=source[:500]):
            plan = store.write_records(db, records(), actor=actor, source=source[:500], problems=found)
            completed = [record for ident, record in job.resolver.records.items() if written.get(ident) is not record]
            if completed:
                plan.absorb(store.write_records(db, completed, actor=actor, source=source[:500]))
            deletions = [c for c in (_deletion(db, table, ident) for table, ident in batch.deletions) if c]
            if deletions:
                store.apply_plan(db, store.Plan(changes=deletions))
                plan.changes += deletions
            if batch.approvals:
                watermark = None if dry_run else db.conn.execute("SELECT coalesce(max(id), 0) FROM changes").fetchone()[0]
                approvals = store.plan_changes(db, _approval_records(db, batch.approvals, watermark))
                store.apply_plan(db, approvals)
                plan.changes += approvals.changes
            if dry_run:
                raise _Rollback
    except _Rollback:
        pass
    except ProblemsFound as stopped:
        raise ProblemsFound(read_problems or stopped.problems) from None
    batch.notes = job.resolver.notes + batch.notes
    return plan, batch


def _read(db: sqlite_utils.Database, path: str | Path, *, create_missing: bool, approved: bool) -> tuple[str, bool, _Batch]:
    """The document's kind, whether its XSD was checked, and what it asks to write."""
    where = str(path)
    kind, documents, checked = reader.read_file(path)
    if kind == "iias-get":
        batch = iia_batch(db, documents, where=where, create_missing=create_missing, approved=approved)
    elif kind == "institutions":
        batch = institutions_batch(db, documents, where=where)
    else:
        batch = approvals_batch(db, documents, where=where)
    return kind, checked, batch


def import_file(db: sqlite_utils.Database, path: str | Path, *, dry_run: bool = False, create_missing: bool = False,
                approved: bool = False, actor: str | None = None) -> ImportResult:
    """Import one EWP document (its kind is recognised from the root element). An IIAs get
    response, the one that grows with a portfolio, is streamed (``_iia_stream``)."""
    source = f"ewp import {Path(path).name}"
    stream = reader.IiaStream(path)
    try:
        if stream.kind == "iias-get":
            plan, batch = _iia_stream(db, stream, create_missing=create_missing, approved=approved, actor=actor,
                                      source=source, dry_run=dry_run)
            return ImportResult(str(path), stream.kind, stream.checked, plan, batch.agreements, batch.notes, dry_run)
    finally:
        stream.close()
    kind, checked, batch = _read(db, path, create_missing=create_missing, approved=approved)
    plan = write_batch(db, batch, actor=actor, source=f"ewp import {Path(path).name}", dry_run=dry_run)
    return ImportResult(str(path), kind, checked, plan, batch.agreements, batch.notes, dry_run)


NOT_FOR_EWP = (("--kind", "kind"), ("--map", "mapping"), ("--keep-valid", "keep_valid"), ("--dayfirst", "dayfirst"), ("--sheet", "sheet"))


def read_file(db: sqlite_utils.Database, path: Path, options: ImportOptions) -> ReadResult:
    """``registry import FILE.xml``: the ``ewp`` format's reader (``registry.formats``).

    The same import as ``import_file``: a file is taken whole or not at all, so any problem
    is raised (ProblemsFound) rather than refusing one row, and the result writes itself
    (``ReadResult.write``: contacts a copy no longer names are deleted, approvals note the
    audit log's position). Options for tables (--kind, --map, --keep-valid ...) are refused."""
    given = [flag for flag, name in NOT_FOR_EWP if getattr(options, name)]
    if given:
        raise LookupError(f"{', '.join(given)} does not apply to an EWP document, which is imported whole or not at all")
    stream = reader.IiaStream(path)
    notes: list[str] = []
    if stream.kind == "iias-get":  # read while it is written: an IIA at a time

        def write(*, actor: str | None, source: str, dry_run: bool, on_row: Callable[[RowOutcome], None]) -> store.Plan:
            try:
                plan, batch = _iia_stream(db, stream, create_missing=options.create_missing, approved=False, actor=actor,
                                          source=source, dry_run=dry_run, on_row=on_row)
            finally:
                stream.close()
            notes.extend(batch.notes)
            return plan

        kind, checked = stream.kind, stream.checked
    else:
        stream.close()
        kind, checked, batch = _read(db, path, create_missing=options.create_missing, approved=False)
        if batch.problems:
            raise ProblemsFound(batch.problems)
        notes.extend(batch.notes)

        def write(*, actor: str | None, source: str, dry_run: bool, on_row: Callable[[RowOutcome], None]) -> store.Plan:
            for row in batch.rows:
                on_row(row)
            return write_batch(db, batch, actor=actor, source=source, dry_run=dry_run)

    rows, document = DOCUMENTS[kind]
    schema = "valid against its XSD" if checked else "not checked against its XSD (set EWP_SCHEMA_DIR to the EWP schema folder)"
    return ReadResult([], rows, {"document": document, "schema": schema, "notes": notes}, write=write)


def approve(db: sqlite_utils.Database, agreement: str, *, iia_hash: str | None = None, actor: str | None = None) -> store.Plan:
    """Record that the stored copy of an agreement's IIA, as it stands, was approved."""
    row = _one(db, "SELECT iia_hash FROM ewp_iias WHERE agreement = ?", [agreement])
    if row is None:
        raise ProblemsFound([Problem("not-an-ewp-copy", f"agreements/{agreement}", "no EWP copy of this agreement is stored; "
                                     "import it first ('registry ewp import FILE.xml')", value=agreement)])
    copy = stored_copy(db, agreement)
    if refused := not_approvable(agreement, copy, f"agreements/{agreement}"):
        raise ProblemsFound([refused])
    if iia_hash and iia_hash.lower() not in (row["iia_hash"], writer.copy_hash(stored_copy(db, agreement, home_first=True))):
        raise ProblemsFound([Problem("approval-mismatch", f"agreements/{agreement}", f"the stored copy's iia-hash is {row['iia_hash']}, "
                                     "not the one given", value=iia_hash)])
    batch = _Batch(f"agreements/{agreement}", approvals={agreement: {"approved_hash": row["iia_hash"], "approved_copy": copy.snapshot()}})
    return write_batch(db, batch, actor=actor, source=f"ewp approve {agreement}", dry_run=False)
