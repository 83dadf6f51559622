"""A spreadsheet row as an agreement: its partner, programmes, places and teacher mobility.

Offices keep one row per agreement: partner, country, type, programme, level, places out
and in, whether teachers may go, validity dates. The registry keeps the same facts as an
agreement with parties, programmes and mobility terms (student_studies outgoing/incoming
with places per year and EQF levels; a staff_teaching term for teacher mobility).

A derived cell is compared with what an export of the stored agreement would write; only a
cell that says something different changes the record, so richer stored terms (from YAML or
EWP) survive a round trip through a spreadsheet. A blank derived cell changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from pydantic import ValidationError

from registry.countries import country_code
from registry.importers import partners, values
from registry.importers.identity import NaturalKey, Pairer, StoredIdentities, code_key, is_slug
from registry.importers.kinds import (
    Column,
    Context,
    ParsedRow,
    TableKind,
    ambiguity,
    describe_candidates,
    field_columns,
    slugify,
    unique_slug,
    validation_reasons,
)
from registry.importers.outcome import AMBIGUOUS, MATCHED, NEW, RowOutcome
from registry.importers.seen import SeenKeys
from registry.importers.stored import copied, stored_records
from registry.importers.vocabulary import enum_lookup, word_key
from registry.models import AgreementKind, Cycle, Institution, by_table
from registry.problems import ProblemsFound
from registry.resolution import INVALID
from registry.text import fold

STUDENT, TEACHING = "student_studies", "staff_teaching"
OUT, IN = "outgoing", "incoming"
CYCLE_EQF = {Cycle.first.value: 6, Cycle.second.value: 7, Cycle.third.value: 8}
EQF_CYCLE = {level: cycle for cycle, level in CYCLE_EQF.items()}
_EQF = re.compile(r"^(?:eqf )?([1-8])$")
ALL_LEVELS = {"all", "all levels", "all cycles", "alla", "alla nivaer", "samtliga nivaer", "samtliga"}  # word keys
KIND_TITLES = {"erasmus_iia": "Erasmus+ IIA", "framework_mou": "Framework MoU", "joint_phd": "Joint PhD"}
CHILD_FIELDS = ("parties", "programmes", "mobility_terms")


@dataclass
class Partner:
    institution_id: str
    name: str
    created: Institution | None = None  # a new institution this row brings in


# --- derived columns: cell text -> value ----------------------------------------------


def _parse_countries(text: str, ctx: Context) -> list[str]:
    return [country_code(part) for part in values.split_list(text)]


@dataclass(frozen=True)
class Scheme:
    """A mobility programme named in a programme cell (Erasmus+, Nordplus, Linnaeus-Palme,
    ISEP, bilateral): it says the agreement's type, not which study programme it serves."""

    name: str
    kind: str


def _parse_programmes(text: str, ctx: Context) -> list[str | Scheme]:
    found: list[str | Scheme] = []
    kinds = enum_lookup(AgreementKind)
    for part in values.split_list(text):
        ident = ctx.programmes.get(word_key(part))
        if ident is None and word_key(part) in kinds:
            found.append(Scheme(part, kinds[word_key(part)]))
            continue
        if ident is None:
            known = ", ".join(sorted(set(ctx.programmes.values()))) or "none yet: load programmes first"
            raise ValueError(f"unknown programme {part!r} (programmes: {known}){values.closest(part, ctx.programmes)}")
        found.append(ident)
    return list(dict.fromkeys(found))


# Mobility programmes that are proper names: a new agreement is titled after them.
SCHEME_NAMES = {"nordplus": "Nordplus", "linnaeus palme": "Linnaeus-Palme", "linne palme": "Linnaeus-Palme", "isep": "ISEP"}


def _schemes_to_kind(row: ParsedRow, ctx: Context) -> None:
    """Mobility programmes in the programme column become the agreement's type (unless the row
    gives one) and name a new agreement; a cell holding only them says nothing of programmes.
    A type cell naming one (Nordplus) names a new agreement too."""
    typed = word_key(row.raw.get(ctx.header("kind"), ""))
    if typed in SCHEME_NAMES:
        row.scheme = SCHEME_NAMES[typed]
    cell = row.values.get("programmes")
    if not cell:
        return
    schemes = [item for item in cell if isinstance(item, Scheme)]
    if not schemes:
        return
    row.values["programmes"] = [item for item in cell if not isinstance(item, Scheme)]
    if not row.values["programmes"]:
        del row.values["programmes"]
    row.values.setdefault("kind", schemes[0].kind)
    row.scheme = row.scheme or SCHEME_NAMES.get(word_key(schemes[0].name), schemes[0].name)


def parse_levels(text: str, ctx: Context | None = None) -> list[int]:
    cycles = enum_lookup(Cycle)
    if word_key(text) in ALL_LEVELS:
        return sorted(CYCLE_EQF.values())
    levels = set()
    for part in values.split_levels(text):
        key = word_key(part)
        if key in cycles:
            levels.add(CYCLE_EQF[cycles[key]])
        elif match := _EQF.match(key):
            levels.add(int(match[1]))
        elif (found := values.one_meaning(cycles, part)) is not None:
            levels.add(CYCLE_EQF[found])
        else:
            raise ValueError(f"{part!r} is not a level (first/second/third cycle, grundnivå, avancerad nivå, forskarnivå, "
                             f"EQF 1-8){values.closest(part, cycles)}")
    return sorted(levels)


def _parse_places(text: str, ctx: Context) -> int:
    number = values.parse_int(text)
    if number < 0:
        raise ValueError(f"places cannot be negative ({number})")
    return number


# --- derived columns: stored agreement -> value ------------------------------------------


def _partner_ids(record: dict) -> list[str]:
    return [p["institution"] for p in record.get("parties", []) if p.get("role", "partner") == "partner"]


def _joined(items: list[Any]) -> str | None:
    shown = [str(item) for item in items if item not in (None, "")]
    return "; ".join(shown) if shown else None


def _partner_attribute(position: int):
    def export(record: dict, ctx: Context) -> str | None:
        return _joined([ctx.institutions.get(i, (None, None, None))[position] for i in _partner_ids(record)])

    return export


def _terms(record: dict, category: str, direction: str | None = None) -> list[dict]:
    return [
        term for term in record.get("mobility_terms", [])
        if term["category"] == category and (direction is None or term["direction"] == direction)
    ]


def _places(record: dict, direction: str) -> int | None:
    counts = [t["places_per_year"] for t in _terms(record, STUDENT, direction) if t.get("places_per_year") is not None]
    return sum(counts) if counts else None


def _levels(record: dict) -> list[int]:
    return sorted({level for term in _terms(record, STUDENT) for level in term.get("eqf_levels", [])})


def _level_text(levels: list[int]) -> str | None:
    return _joined([EQF_CYCLE.get(level, f"EQF {level}") for level in levels])


def _derived_columns() -> dict[str, Column]:
    return {
        "partner": Column("partner", lambda text, ctx: values.split_list(text), _partner_attribute(0)),
        "partner_id": Column("partner_id", lambda text, ctx: values.split_list(text), lambda r, ctx: _joined(_partner_ids(r))),
        "country": Column("country", _parse_countries, _partner_attribute(1)),
        "city": Column("city", lambda text, ctx: values.split_list(text), _partner_attribute(2)),
        "programmes": Column(
            "programmes", _parse_programmes,
            lambda r, ctx: _joined([ctx.programme_names.get(p["programme"], p["programme"]) for p in r.get("programmes", [])]),
        ),
        "level": Column("level", parse_levels, lambda r, ctx: _level_text(_levels(r))),
        "places_out": Column("places_out", _parse_places, lambda r, ctx: _places(r, OUT)),
        "places_in": Column("places_in", _parse_places, lambda r, ctx: _places(r, IN)),
        "teacher_mobility": Column(
            "teacher_mobility", lambda text, ctx: values.parse_bool(text),
            lambda r, ctx: "yes" if _terms(r, TEACHING) else "no",
        ),
    }


# Partner names whose resolution an import keeps between batches: a sheet types a few hundred
# partners in many ways, so this holds every name of most files, and a bounded part of any.
RESOLVED_KEPT = 20_000


class AgreementsKind(TableKind):
    child_fields = CHILD_FIELDS

    def __init__(self) -> None:
        super().__init__(by_table()["agreements"], "agreements")
        self.attached: set[str] = set()
        self.creator: _Creator | None = None
        self.pairer: Pairer | None = None
        self.resolved: dict[tuple[str, str | None], Any] = {}  # (folded name, country) -> the matcher's answer
        self.resolver: partners.Resolver | None = None

    @cached_property
    def fields(self) -> dict[str, Column]:
        return field_columns(self.model)

    @cached_property
    def columns(self) -> dict[str, Column]:
        return {**self.fields, **_derived_columns()}

    # -- partners and ids --

    def build(self, rows: list[ParsedRow], ctx: Context) -> list[RowOutcome]:
        outcomes = [RowOutcome(row.where, row.line, row.raw) for row in rows]
        for row, outcome in zip(rows, outcomes, strict=True):
            _office_code_from_id(row, ctx)
            _schemes_to_kind(row, ctx)
            if row.errors:
                outcome.reject("; ".join(row.errors))
        partners_of = self.resolve_partners(rows, outcomes, ctx)
        keys = self.row_keys(rows, outcomes, ctx, partners_of)
        stored = stored_records(ctx.db, "agreements", [k for k in keys if k], children=CHILD_FIELDS)
        attached = self.attached  # new institutions already given to a row (in this batch or an earlier one)
        for row, outcome, key, found in zip(rows, outcomes, keys, partners_of, strict=True):
            if outcome.reason or key is None:
                continue
            before = stored.get(key)
            record = copied(before) if before else {"id": key[0]}
            self.overlay_agreement(record, row, outcome, ctx, found, is_new=before is None)
            if outcome.reason or self.validate(record, outcome, ctx) is None:
                continue
            for partner in found or []:
                if partner.created is not None and partner.institution_id not in attached:
                    attached.add(partner.institution_id)
                    outcome.records.append(partner.created)
        return outcomes

    def resolve_partners(self, rows: list[ParsedRow], outcomes: list[RowOutcome], ctx: Context) -> list[list[Partner] | None]:
        found: list[list[Partner] | None] = [None] * len(rows)
        wanted: list[tuple[int, list[tuple[str, str | None, str | None]]]] = []
        for index, (row, outcome) in enumerate(zip(rows, outcomes, strict=True)):
            if outcome.reason:
                continue
            if row.values.get("partner_id"):
                missing = [i for i in row.values["partner_id"] if i not in ctx.institutions]
                if missing:
                    outcome.reject(f"{ctx.header('partner_id')}: no institution has the id {missing[0]!r}")
                    continue
                found[index] = [Partner(i, ctx.institutions[i][0]) for i in row.values["partner_id"]]
                outcome.score, outcome.resolution = 1.0, "by partner id"
            elif not row.values.get("partner"):
                outcome.resolution = "by id"
            else:
                names = row.values["partner"]
                countries = _spread(row.values.get("country", []), len(names))
                cities = _spread(row.values.get("city", []), len(names))
                if countries is None or cities is None:
                    outcome.reject(f"{len(names)} partners but a different number of countries or cities; give one for each, or one for all")
                    continue
                wanted.append((index, list(zip(names, countries, cities, strict=True))))
        # One query per name as the matcher sees it (case, accents and spacing folded): a
        # sheet types the same few hundred partners in many ways over thousands of rows.
        # Kept from batch to batch (a file is read a batch at a time), up to RESOLVED_KEPT names.
        # A name is answered as it was the first time, also after --create-missing made its partner.
        resolved = self.resolved
        needed = {(fold(name), country): (name, country) for _, items in wanted for name, country, _ in items}
        queries = {key: query for key, query in needed.items() if key not in resolved}
        if queries and self.resolver is None:  # its indexes built once per file, from the registry before it
            self.resolver = partners.Resolver(ctx.db, exact_first=True)
        answers = partners.resolve_many(ctx.db, list(queries.values()), resolver=self.resolver) if queries else []
        excess = len(resolved) + len(queries) - RESOLVED_KEPT
        if excess > 0:  # the oldest go first; a batch's own names always stay
            for key in [key for key in resolved if key not in needed][:excess]:
                del resolved[key]
        resolved.update(zip(queries, answers, strict=True))
        self.creator = creator = self.creator or _Creator(ctx)  # one per file: a new partner is made once
        for index, items in wanted:
            found[index] = self._row_partners(items, resolved, outcomes[index], creator, ctx)
        return found

    def _row_partners(self, items, resolved, outcome: RowOutcome, creator: _Creator, ctx: Context) -> list[Partner] | None:
        result, scores, notes, ambiguous, missing = [], [], [], [], []
        for name, country, city in items:
            resolution = resolved[(fold(name), country)]
            best = resolution.candidates[0] if resolution.candidates else None
            if resolution.status == MATCHED and best is not None and best.institution_id:
                result.append(Partner(best.institution_id, best.name))
                scores.append(best.score)
                notes.append(f"{name!r} -> {best.institution_id} ({best.score:.2f}, {best.reason})")
            elif resolution.status in (AMBIGUOUS, INVALID):  # a person decides; never a new institution
                describe_candidates(outcome, resolution)
                ambiguous.append(ambiguity(name, resolution))
            else:
                describe_candidates(outcome, resolution)
                reference = best.reference_id if resolution.status == MATCHED and best is not None else None
                if not ctx.options.create_missing:
                    missing.append(name)
                    continue
                try:
                    result.append(creator.partner(name, country, city, reference))
                except ValueError as error:
                    outcome.reject(f"{ctx.header('partner')}: {error}")
                    return None
                notes.append(f"{name!r} -> new institution {result[-1].institution_id}")
        outcome.resolution = "; ".join(notes) or None
        if ambiguous:
            outcome.reject("; ".join(ambiguous), AMBIGUOUS)
            return None
        if missing:
            outcome.reject(
                f"partner {', '.join(repr(m) for m in missing)} is not in the registry; --create-missing creates it", NEW
            )
            return None
        outcome.status = NEW if any(p.created for p in result) else MATCHED
        outcome.score = min(scores) if scores else None
        return result

    def row_keys(self, rows, outcomes, ctx, partners_of=None):
        """The stored agreement each row is (``identity.py``), else the id of a new one."""
        # What the file is paired with is read once per file, before anything of it is written;
        # a later batch goes on from where the earlier ones left (ids taken, codes given).
        if self.pairer is None:
            self.pairer = Pairer(StoredIdentities(ctx.db), [])
            self.seen.add("taken", self.pairer.stored.by_id)
        pairer, stored = self.pairer, self.pairer.stored
        naturals = [_natural_key(row, found) for row, found in zip(rows, partners_of, strict=True)]
        pairer.expect([n for n, o in zip(naturals, outcomes, strict=True) if not o.reason])
        self.seen.add("taken", (row.values["id"] for row in rows if row.values.get("id")))
        keys: list[tuple | None] = []
        for row, outcome, natural in zip(rows, outcomes, naturals, strict=True):
            if outcome.reason:
                keys.append(None)
                continue
            code, iia_id = row.values.get("agreement_code"), row.values.get("ewp_iia_id")
            clash = _code_clash(code, row.values.get("id"), stored, self.seen, outcome.where)
            if clash:
                keys.append(None)
                outcome.reject(f"{ctx.header('agreement_code')}: {clash}")
                continue
            if row.values.get("id"):
                pairing = pairer.by_id(row.values["id"])
            elif code:
                pairing = pairer.by_code(code, natural)
            elif iia_id:
                pairing = pairer.by_iia(iia_id, natural)
            elif natural is None:
                keys.append(None)
                outcome.reject(
                    f"no {ctx.header('id')} or agreement code, so the agreement is found by partner, agreement type, "
                    "programme and start date; this row names no partner"
                )
                continue
            else:
                pairing = pairer.by_natural(natural)
            outcome.pairing = pairing.how
            if pairing.refusal:
                keys.append(None)
                outcome.reject(pairing.refusal, AMBIGUOUS)
                outcome.candidates = [{"agreement_id": s.id, "title": s.title} for s in pairing.candidates]
                continue
            ident = pairing.stored_id or row.values.get("id")
            if ident is None:
                try:
                    ident = unique_slug(_new_id(row, natural, code), lambda s: self.seen.has("taken", s))
                except ValueError as error:
                    keys.append(None)
                    outcome.reject(f"{ctx.header('agreement_code')}: {error}")
                    continue
            self.seen.add("taken", [ident])
            keys.append((ident,))
        return self.unique(keys, outcomes)

    # -- laying a row over an agreement --

    def overlay_agreement(self, record: dict, row: ParsedRow, outcome: RowOutcome, ctx: Context,
                          found: list[Partner] | None, *, is_new: bool) -> None:
        self.set_fields(record, row, self.fields)
        if is_new:
            missing = [ctx.header(name) for name in ("kind",) if not record.get(name)] + ([] if found else [ctx.header("partner")])
            if missing:
                outcome.reject(f"a new agreement needs {' and '.join(missing)}")
                return
            assert found is not None  # else "missing" names the partner and the row was rejected above
            if not record.get("status"):
                ends = record.get("ends_on")
                record["status"] = "expired" if ends and ends < ctx.today.isoformat() else "active"
            if not record.get("title"):
                kind = row.scheme or KIND_TITLES.get(record["kind"], record["kind"].replace("_", " ").capitalize())
                record["title"] = f"{kind}: {' / '.join(p.name for p in found)}"
            home = ctx.home_institution
            record["parties"] = [{"institution": home, "role": "home"}] if home and home not in {p.institution_id for p in found} else []
        if found:
            _set_partners(record, [p.institution_id for p in found])
        if "programmes" in row.values and set(row.values["programmes"]) != {p["programme"] for p in record.get("programmes", [])}:
            record["programmes"] = [{"programme": ident} for ident in row.values["programmes"]]
        try:
            for direction, column in ((OUT, "places_out"), (IN, "places_in")):
                if column in row.values:
                    _set_places(record, direction, row.values[column])
            if "level" in row.values:
                _set_levels(record, row.values["level"])
            if "teacher_mobility" in row.values:
                _set_teacher_mobility(record, row.values["teacher_mobility"])
        except ValueError as error:
            outcome.reject(str(error))


def _code_clash(code: str | None, ident: str | None, stored: StoredIdentities, seen: SeenKeys, where: str) -> str | None:
    """Why a row's agreement code cannot be its own: another row or stored agreement has it."""
    if not code:
        return None
    key = code_key(code)
    first = seen.first_place("code", key, where)
    if first is not None:
        return f"{code!r} is given on {first} too; one code names one agreement"
    holder = stored.by_code.get(key)
    if ident and holder is not None and holder.id != ident:
        return f"{code!r} already belongs to agreements/{holder.id}; one code names one agreement"
    return None


def _office_code_from_id(row: ParsedRow, ctx: Context) -> None:
    """An id column holding the office's own codes ('LU-MED-2024-001', not a registry id):
    the codes are the agreement codes."""
    ident = row.values.get("id")
    if ident and not is_slug(ident) and not row.values.get("agreement_code"):
        row.values["agreement_code"] = row.values.pop("id")
        ctx.header_of.setdefault("agreement_code", ctx.header("id"))


def _natural_key(row: ParsedRow, found: list[Partner] | None) -> NaturalKey | None:
    """What the row says of partner, type, programmes and start date (None: no partner)."""
    if not found:
        return None
    return NaturalKey(
        frozenset(p.institution_id for p in found),
        row.values.get("kind"),
        frozenset(row.values.get("programmes", [])) if row.given("programmes") else None,
        row.values.get("starts_on") if row.given("starts_on") else False,
    )


def _new_id(row: ParsedRow, natural: NaturalKey | None, code: str | None) -> str:
    """A new agreement's id: from the office's code, else from partner, type and start year."""
    if code:
        return slugify(code)
    if natural is None:
        return slugify(row.values.get("ewp_iia_id") or "agreement")
    first = sorted(natural.partners)[0]
    return "-".join(filter(None, (first, natural.kind, (row.values.get("starts_on") or "")[:4])))[:120]


def _spread(items: list, count: int) -> list | None:
    """One value per partner: as many as partners, one for all, or none."""
    if not items:
        return [None] * count
    if len(items) == count:
        return items
    return items * count if len(items) == 1 else None


class _Creator:
    """New institutions for partner names not in the registry (--create-missing), each once."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.made: dict[tuple[str, str | None], Partner] = {}
        self.taken = set(ctx.institutions)

    def partner(self, name: str, country: str | None, city: str | None, reference: str | None) -> Partner:
        key = ("reference", reference) if reference else (word_key(name), country)
        if key in self.made:
            return self.made[key]
        if reference is not None:
            try:
                institution = partners.institution_from_reference(self.ctx.db, reference)
                if institution.id in self.taken:
                    institution = partners.institution_from_reference(
                        self.ctx.db, reference, unique_slug(institution.id, lambda s: s in self.taken))
            except ProblemsFound as found:
                raise ValueError("; ".join(p.message for p in found.problems)) from None
        else:
            if not country:
                raise ValueError(f"{name!r} is new and the row gives no country, which a new institution needs")
            ident = unique_slug(slugify(name), lambda s: s in self.taken)
            try:
                institution = Institution.model_validate({"id": ident, "name": name, "country": country, "city": city})
            except ValidationError as error:
                raise ValueError("; ".join(validation_reasons(error, self.ctx))) from None
        self.taken.add(institution.id)
        self.made[key] = Partner(institution.id, institution.name, institution)
        return self.made[key]


def _set_partners(record: dict, wanted: list[str]) -> None:
    parties = record.setdefault("parties", [])
    if set(_partner_ids(record)) == set(wanted):
        return
    kept = {p["institution"]: p for p in parties if p.get("role", "partner") == "partner"}
    others = [p for p in parties if p.get("role", "partner") != "partner"]
    other_ids = {p["institution"] for p in others}
    record["parties"] = others + [kept.get(i, {"institution": i, "role": "partner"}) for i in wanted if i not in other_ids]


def _next_term_no(record: dict) -> int:
    return max((t["term_no"] for t in record.get("mobility_terms", [])), default=0) + 1


def _set_places(record: dict, direction: str, places: int) -> None:
    if _places(record, direction) == places:
        return
    terms = _terms(record, STUDENT, direction)
    if len(terms) > 1:
        raise ValueError(
            f"the agreement has {len(terms)} {direction} student terms; change their places in YAML or EWP, not in a spreadsheet"
        )
    if terms:
        terms[0]["places_per_year"] = places
    else:
        record.setdefault("mobility_terms", []).append({
            "term_no": _next_term_no(record), "category": STUDENT, "direction": direction,
            "places_per_year": places, "eqf_levels": _levels(record),
        })


def _set_levels(record: dict, levels: list[int]) -> None:
    if _levels(record) == levels:
        return
    terms = _terms(record, STUDENT)
    if not terms:
        record.setdefault("mobility_terms", []).append(
            {"term_no": _next_term_no(record), "category": STUDENT, "direction": OUT, "eqf_levels": levels}
        )
    for term in terms:
        term["eqf_levels"] = levels


def _set_teacher_mobility(record: dict, wanted: bool) -> None:
    if bool(_terms(record, TEACHING)) == wanted:
        return
    if wanted:
        record.setdefault("mobility_terms", []).append({"term_no": _next_term_no(record), "category": TEACHING, "direction": OUT})
    else:
        record["mobility_terms"] = [t for t in record["mobility_terms"] if t["category"] != TEACHING]
