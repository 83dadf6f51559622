"""Where two copies of an IIA differ, condition by condition and field by field.

Each partner keeps its own copy; approval fails when the copies' content differs, and EWP
only says that the hashes differ. Conditions are paired by what they are (category,
sending and receiving institution), never by position, since each partner may order them
differently; several conditions of one kind and direction (e.g. one per subject) are
paired by the most fields in common. Fields carry their EWP element names. Contacts are
not compared: they are no part of the iia-hash and each side names its own.

Both iia-hashes are shown. Where the copies agree field by field and their hashes still
differ, the report names what makes them differ: partner order, the order of conditions or of
repeated elements, and spellings (``0``/``false``, ``02``/``2``, whitespace around text), which
the hash follows and the comparison of values does not.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

import sqlite_utils

from registry.ewp import document as doc
from registry.ewp import lexical, writer
from registry.ewp.copies import stored_copy
from registry.problems import Problem, ProblemsFound


def _number(value: str | None) -> Decimal | None:
    return Decimal(value) if value is not None else None


def _area(area: doc.SubjectArea) -> str:
    extra = [f"clarification {area.clarification!r}" if area.clarification is not None else "",
             f"v6 value {area.isced_v6_value}" if area.isced_v6_value else ""]
    extra = [e for e in extra if e]
    return area.isced_code + (f" ({', '.join(extra)})" if extra else "")


def _skill(skill: doc.LanguageSkill) -> str:
    text = " ".join(part for part in (skill.language, skill.cefr_level) if part)
    if skill.subject_area:
        text += f" in {_area(skill.subject_area)}"
    return text + (" [not-yet-defined]" if skill.not_yet_defined else "")


# (attribute, EWP element, how values compare or None for a single value, how a list item shows)
SINGLE: list[tuple[str, str, Callable | None]] = [
    ("sending_ounit_id", "sending-ounit-id", None),
    ("receiving_ounit_id", "receiving-ounit-id", None),
    ("first_academic_year", "receiving-first-academic-year-id", None),
    ("last_academic_year", "receiving-last-academic-year-id", None),
    ("mobilities_per_year", "mobilities-per-year", None),
    ("mobilities_not_yet_defined", "mobilities-per-year/@not-yet-defined", None),
    ("total_months_per_year", "total-months-per-year", _number),
    ("total_days_per_year", "total-days-per-year", _number),
    ("blended", "blended", None),
    ("other_info_terms", "other-info-terms", None),
]
LISTS: list[tuple[str, str, Callable]] = [
    ("eqf_levels", "eqf-level", str),
    ("subject_areas", "subject-area", _area),
    ("language_skills", "recommended-language-skill", _skill),
]


@dataclass
class FieldDifference:
    field: str
    a: Any = None
    b: Any = None
    only_in_a: list[str] | None = None
    only_in_b: list[str] | None = None

    def text(self) -> str:
        if self.only_in_a is not None:
            parts = [f"only in A: {', '.join(self.only_in_a)}" if self.only_in_a else "",
                     f"only in B: {', '.join(self.only_in_b)}" if self.only_in_b else ""]
            return f"{self.field}: " + "; ".join(p for p in parts if p)
        return f"{self.field}: {_show(self.a)} (A) vs {_show(self.b)} (B)"


def _show(value: Any) -> str:
    if value is None:
        return "(absent)"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, str) else str(value)


def compare_conditions(a: doc.Condition, b: doc.Condition) -> list[FieldDifference]:
    found = []
    for attribute, element, normalise in SINGLE:
        left, right = getattr(a, attribute), getattr(b, attribute)
        if (normalise(left) if normalise else left) != (normalise(right) if normalise else right):
            found.append(FieldDifference(element, left, right))
    for attribute, element, show in LISTS:
        left, right = [show(v) for v in getattr(a, attribute)], [show(v) for v in getattr(b, attribute)]
        only_a, only_b = list(left), list(right)
        for item in left:
            if item in only_b:
                only_a.remove(item)
                only_b.remove(item)
        if only_a or only_b:
            found.append(FieldDifference(element, only_in_a=only_a, only_in_b=only_b))
    return found


def _texts(condition: doc.Condition) -> dict[str, str]:
    """Each element of the condition as its copy writes it, by path."""
    return {path: element.text or "" for path, element in lexical.leaves(writer.condition_element(condition))}


def written_differently(a: doc.Condition, b: doc.Condition) -> list[FieldDifference]:
    """How two conditions that state the same values are written differently."""
    found, reordered = [], set()
    for attribute, element, show in LISTS:
        left, right = [show(v) for v in getattr(a, attribute)], [show(v) for v in getattr(b, attribute)]
        if left != right and sorted(left) == sorted(right):
            found.append(FieldDifference(f"{element} order", ", ".join(left), ", ".join(right)))
            reordered.add(element)  # positions shift with the order: their spellings would compare other elements
    texts_a, texts_b = _texts(a), _texts(b)
    for path in dict.fromkeys([*texts_a, *texts_b]):
        if path.split("[", 1)[0] in reordered:
            continue
        if path in texts_a and path in texts_b and texts_a[path] != texts_b[path] and \
                lexical.value(path, texts_a[path]) == lexical.value(path, texts_b[path]):
            found.append(FieldDifference(f"{path} spelling", texts_a[path], texts_b[path]))
    return found


def _overlap(a: doc.Condition, b: doc.Condition) -> int:
    """How many fields two conditions share: the higher, the likelier they are one condition."""
    return len(SINGLE) + len(LISTS) - len(compare_conditions(a, b))


def _status(in_a: bool, in_b: bool, differs: bool) -> str:
    if not in_a:
        return "only-in-b"
    if not in_b:
        return "only-in-a"
    return "differs" if differs else "same"


@dataclass
class ConditionDifference:
    category: str
    sending_hei_id: str
    receiving_hei_id: str
    a_position: int | None  # 1-based, in its copy
    b_position: int | None
    a_line: int | None
    b_line: int | None
    fields: list[FieldDifference] = field(default_factory=list)
    # what differs in writing only: order of repeated elements, spelling of the same value
    lexical: list[FieldDifference] = field(default_factory=list)

    @property
    def status(self) -> str:
        return _status(self.a_position is not None, self.b_position is not None, bool(self.fields))

    def heading(self) -> str:
        def where(side: str, position: int | None, line: int | None) -> str:
            return f"{side} #{position}" + (f" line {line}" if line else "") if position else ""

        places = ", ".join(p for p in (where("A", self.a_position, self.a_line), where("B", self.b_position, self.b_line)) if p)
        return f"{self.category} {self.sending_hei_id} -> {self.receiving_hei_id} ({places})"


def pair_conditions(a: list[doc.Condition], b: list[doc.Condition]) -> list[ConditionDifference]:
    groups: dict[tuple, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    for index, condition in enumerate(a):
        groups[(condition.category, condition.sending_hei_id, condition.receiving_hei_id)][0].append(index)
    for index, condition in enumerate(b):
        groups[(condition.category, condition.sending_hei_id, condition.receiving_hei_id)][1].append(index)
    results = []
    for (category, sending, receiving), (left, right) in groups.items():
        # greedy on overlap, most alike first; ties go to the earlier positions
        candidates = sorted((-_overlap(a[i], b[j]), i, j) for i in left for j in right)
        used_a, used_b = set(), set()
        for _, i, j in candidates:
            if i in used_a or j in used_b:
                continue
            used_a.add(i)
            used_b.add(j)
            results.append(ConditionDifference(category, sending, receiving, i + 1, j + 1, a[i].line, b[j].line,
                                               compare_conditions(a[i], b[j])))
        results += [ConditionDifference(category, sending, receiving, i + 1, None, a[i].line, None) for i in left if i not in used_a]
        results += [ConditionDifference(category, sending, receiving, None, j + 1, None, b[j].line) for j in right if j not in used_b]
    order = list(doc.CATEGORY_ELEMENTS)
    return sorted(results, key=lambda r: (order.index(r.category), r.a_position or 10**6, r.b_position or 10**6))


PARTNER_FIELDS = [("iia_id", "iia-id"), ("iia_code", "iia-code"), ("ounit_id", "ounit-id"), ("signing_date", "signing-date")]


@dataclass
class IiaDifference:
    a_label: str | None
    b_label: str | None
    a_hash: str | None = None  # the iia-hash the copy states
    b_hash: str | None = None
    a_content_hash: str | None = None  # the iia-hash of its content (EWP's v7 rule), when it differs
    b_content_hash: str | None = None
    fields: list[FieldDifference] = field(default_factory=list)
    conditions: list[ConditionDifference] = field(default_factory=list)
    lexical: list[FieldDifference] = field(default_factory=list)  # partner and condition order

    @property
    def hashes_differ(self) -> bool:
        return (self.a_content_hash or self.a_hash) != (self.b_content_hash or self.b_hash)

    @property
    def status(self) -> str:
        differs = bool(self.fields) or any(c.status != "same" for c in self.conditions)
        return _status(self.a_label is not None, self.b_label is not None, differs)


def _content_hash(iia: doc.Iia) -> str | None:
    computed = iia.content_hash or writer.copy_hash(iia)
    return computed if computed != iia.iia_hash else None


def _order(conditions: list[ConditionDifference]) -> list[FieldDifference]:
    """Conditions of one kind listed in another order (the hash follows the order)."""
    found = []
    for category, element in doc.CATEGORY_ELEMENTS.items():
        paired = sorted((c.a_position, c.b_position) for c in conditions
                        if c.category == category and c.a_position and c.b_position)
        b_order = [b for _, b in paired]
        if b_order != sorted(b_order):
            found.append(FieldDifference(f"{element} order", ", ".join(f"#{a}" for a, _ in paired),
                                         ", ".join(f"#{b}" for b in b_order)))
    return found


def compare_iias(a: doc.Iia, b: doc.Iia) -> IiaDifference:
    result = IiaDifference(a.label(), b.label(), a.iia_hash or None, b.iia_hash or None,
                           _content_hash(a), _content_hash(b))
    for hei in dict.fromkeys([p.hei_id for p in a.partners] + [p.hei_id for p in b.partners]):
        left, right = a.partner(hei), b.partner(hei)
        if left is None or right is None:
            result.fields.append(FieldDifference("partner/hei-id", hei if left else None, hei if right else None))
            continue
        for attribute, element in PARTNER_FIELDS:
            if getattr(left, attribute) != getattr(right, attribute):
                result.fields.append(FieldDifference(f"partner {hei}/{element}", getattr(left, attribute), getattr(right, attribute)))
    for attribute, element in (("in_effect", "in-effect"), ("terminated_as_a_whole", "cooperation-conditions/@terminated-as-a-whole")):
        if getattr(a, attribute) != getattr(b, attribute):
            result.fields.append(FieldDifference(element, getattr(a, attribute), getattr(b, attribute)))
    result.conditions = pair_conditions(a.conditions, b.conditions)
    if not result.hashes_differ:
        return result  # written alike: nothing lexical to explain
    for condition in result.conditions:
        if condition.a_position and condition.b_position:
            condition.lexical = written_differently(a.conditions[condition.a_position - 1],
                                                    b.conditions[condition.b_position - 1])
    a_order, b_order = [p.hei_id for p in a.partners], [p.hei_id for p in b.partners]
    if a_order != b_order and sorted(a_order) == sorted(b_order):
        result.lexical.append(FieldDifference("partner order", ", ".join(a_order), ", ".join(b_order)))
    result.lexical += _order(result.conditions)
    return result


def _ids(iia: doc.Iia) -> set[tuple[str, str]]:
    return {(p.hei_id, p.iia_id) for p in iia.partners if p.iia_id}


def _heis(iia: doc.Iia) -> frozenset[str]:
    return frozenset(p.hei_id for p in iia.partners)


def match_iias(a: list[doc.Iia], b: list[doc.Iia]) -> list[tuple[doc.Iia | None, doc.Iia | None]]:
    """Pair the IIAs of two documents: by a shared partner iia-id, then by the same two
    partners; one IIA on each side is taken to be the same agreement."""
    if len(a) == 1 and len(b) == 1:
        return [(a[0], b[0])]
    pairs, left = [], list(b)
    for iia in a:
        match = next((x for x in left if _ids(x) & _ids(iia)), None) or next((x for x in left if _heis(x) == _heis(iia)), None)
        if match is not None:
            left.remove(match)
        pairs.append((iia, match))
    return pairs + [(None, x) for x in left]


def _present(difference: dict) -> dict:
    """A single value differs (a, b) or a list does (only_in_a, only_in_b): drop the other pair."""
    keys = ("only_in_a", "only_in_b") if difference["only_in_a"] is not None else ("a", "b")
    return {"field": difference["field"], **{k: difference[k] for k in keys}}


@dataclass
class DiffReport:
    a_name: str
    b_name: str
    iias: list[IiaDifference]

    @property
    def differs(self) -> bool:
        return any(i.status != "same" for i in self.iias)

    def as_dict(self) -> dict[str, Any]:
        entries: list[dict[str, Any]] = []
        for iia in self.iias:
            entry = asdict(iia)
            entry["status"] = iia.status
            entry["fields"] = [_present(f) for f in entry["fields"]]
            entry["lexical"] = [_present(f) for f in entry["lexical"]]
            # asdict() keeps every condition, in order: the two lists pair one to one
            for condition, raw in zip(iia.conditions, entry["conditions"], strict=True):
                raw["status"] = condition.status
                raw["fields"] = [_present(f) for f in raw["fields"]]
                raw["lexical"] = [_present(f) for f in raw["lexical"]]
            entries.append(entry)
        return {"a": self.a_name, "b": self.b_name, "differs": self.differs, "iias": entries}

    def text(self) -> str:
        lines = [f"A: {self.a_name}", f"B: {self.b_name}"]
        for iia in self.iias:
            if iia.status in ("only-in-a", "only-in-b"):
                lines.append(f"{iia.a_label or iia.b_label}: only in {iia.status[-1].upper()}")
                continue
            if iia.status == "differs":
                verdict = "the copies differ"
            elif iia.hashes_differ:
                verdict = "the copies agree field by field, but are written differently, so their iia-hashes differ"
            else:
                verdict = "the copies agree"
            lines.append(f"{iia.a_label}: {verdict}")
            a_hash, b_hash = _hash_text(iia.a_hash, iia.a_content_hash), _hash_text(iia.b_hash, iia.b_content_hash)
            lines.append(f"  iia-hash: {a_hash} (A) vs {b_hash} (B)")
            lines += [f"  {f.text()}" for f in iia.fields]
            lines += [f"  {f.text()}" for f in iia.lexical]
            same = 0
            for condition in iia.conditions:
                if condition.status == "same" and condition.lexical:
                    same += 1
                    lines.append(f"  {condition.heading()}: the same, written differently:")
                    lines += [f"    {f.text()}" for f in condition.lexical]
                elif condition.status == "same":
                    same += 1
                elif condition.status == "differs":
                    lines.append(f"  {condition.heading()}:")
                    lines += [f"    {f.text()}" for f in condition.fields]
                else:
                    lines.append(f"  {condition.heading()}: only in {condition.status[-1].upper()}")
            if same:
                lines.append(f"  {same} condition(s) the same")
        return "\n".join(lines)


def _hash_text(stated: str | None, content: str | None) -> str:
    if content is None:
        return stated or "(none)"
    return f"{stated} (its content hashes to {content})"


def compare_documents(a: list[doc.Iia], b: list[doc.Iia], *, names: tuple[str, str] = ("A", "B")) -> DiffReport:
    results = []
    for left, right in match_iias(a, b):
        if left is None or right is None:
            results.append(IiaDifference(left.label() if left else None, right.label() if right else None))
        else:
            results.append(compare_iias(left, right))
    return DiffReport(names[0], names[1], results)


def compare_with_stored(db: sqlite_utils.Database, agreement: str, iias: list[doc.Iia], name: str) -> DiffReport:
    """The stored copy of an agreement (A) against the matching IIA of a document (B)."""
    stored = stored_copy(db, agreement)
    pairs = [pair for pair in match_iias([stored], iias) if pair[0] is not None]
    if pairs[0][1] is None:
        raise ProblemsFound([Problem("no-matching-iia", name, f"no IIA in the file shares an iia-id or both partners with {agreement}",
                                     f"agreements/{agreement}")])
    return DiffReport(f"stored copy of {agreement}", name, [compare_iias(stored, pairs[0][1])])


def compare_with_approved(db: sqlite_utils.Database, agreement: str) -> DiffReport:
    """The copy as approved (A) against the stored copy now (B)."""
    row = next(iter(db.query("SELECT approved_copy, approved_at FROM ewp_iias WHERE agreement = ?", [agreement])), None)
    if row is None or not row["approved_copy"]:
        raise ProblemsFound([Problem("not-approved", f"agreements/{agreement}", "no approved copy of this agreement is recorded",
                                     value=agreement)])
    approved = doc.Iia.model_validate(json.loads(row["approved_copy"]))
    return DiffReport(f"{agreement} as approved {row['approved_at']}", f"stored copy of {agreement}",
                      [compare_iias(approved, stored_copy(db, agreement))])
