"""Reading EWP documents (IIAs get v7, Institutions v2, IIA Approval v2) into ``document``
models, with every problem named by file and line.

The XSD, when present, has already checked types and order; the reader checks again what it
relies on (required elements, numbers, booleans, years), so a document read without the
XSD still gets clear errors rather than a half-read agreement.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from lxml import etree

from registry.ewp import document as doc
from registry.ewp import lexical
from registry.ewp.hashing import iia_hash
from registry.problems import Problem, ProblemsFound

ROOTS = {
    (doc.IIA_NS, "iias-get-response"): "iias-get",
    (doc.INSTITUTIONS_NS, "institutions-response"): "institutions",
    (doc.APPROVAL_NS, "iias-approval-response"): "iias-approval",
}
DOCUMENT_VERSIONS = {"iias-get": "IIA API v7", "institutions": "Institutions API v2",
                     "iias-approval": "IIA Approval API v2"}
_YEAR = re.compile(r"^[0-9]{4}/[0-9]{4}$")


def document_kind(tree: etree._ElementTree, where: str) -> str:
    """Which EWP response this is; a clear problem for anything else (including IIA v6)."""
    root = tree.getroot()
    qname = etree.QName(root)
    kind = ROOTS.get((qname.namespace, qname.localname))
    if kind:
        return kind
    same_name = [(ns, name) for ns, name in ROOTS if name == qname.localname]
    if same_name:  # the same response of another API version: IIAs v6 or v5, IIA Approval v1
        message = (f"<{qname.localname}> of another API version ({qname.namespace}); this registry reads "
                   f"{DOCUMENT_VERSIONS[ROOTS[same_name[0]]]} only")
    else:
        known = ", ".join(f"{name} ({ns})" for ns, name in ROOTS)
        message = f"not an EWP document this registry reads: root <{qname.localname}> in {qname.namespace!r}; known: {known}"
    raise ProblemsFound([Problem("ewp-unknown-document", f"{where}:{root.sourceline or 1}", message)])


class _Reader:
    """Collects problems while walking one document, so all are reported at once."""

    def __init__(self, where: str, namespace: str):
        self.where = where
        self.ns = namespace
        self.problems: list[Problem] = []

    def problem(self, element: etree._Element, message: str, field: str | None = None, value: Any = None) -> None:
        self.problems.append(Problem("invalid-value", f"{self.where}:{element.sourceline or '?'}", message, None, field, value))

    def all(self, parent: etree._Element, name: str, ns: str | None = None) -> list[etree._Element]:
        return parent.findall(f"{{{ns or self.ns}}}{name}")

    def one(self, parent: etree._Element, name: str, ns: str | None = None, *, required: bool = False) -> etree._Element | None:
        found = self.all(parent, name, ns)
        if not found and required:
            self.problem(parent, f"<{etree.QName(parent).localname}> has no <{name}>, which is required", name)
        return found[0] if found else None

    def text(self, parent: etree._Element, name: str, ns: str | None = None, *, required: bool = False) -> str | None:
        element = self.one(parent, name, ns, required=required)
        if element is None:
            return None
        value = "".join(element.itertext()).strip()
        if not value and required:
            self.problem(element, f"<{name}> is empty", name)
        return value or None

    def boolean(self, parent: etree._Element, name: str, *, required: bool = False) -> bool | None:
        element = self.one(parent, name, required=required)
        if element is None:
            return None
        value = lexical.boolean(lexical.text_of(element))
        if value is None:
            self.problem(element, "must be true or false", name, lexical.text_of(element).strip())
        return value

    def integer(self, element: etree._Element, name: str, low: int, high: int | None = None) -> int | None:
        value = lexical.integer(lexical.text_of(element))
        if value is None or value < low or (high is not None and value > high):
            bounds = f"from {low} to {high}" if high is not None else f"at least {low}"
            self.problem(element, f"must be a whole number {bounds}", name, lexical.text_of(element).strip())
            return None
        return value

    def decimal(self, parent: etree._Element, name: str) -> str | None:
        """A yearly total, in the registry's spelling (``05.00`` is ``5``; the copy's own is kept apart)."""
        element = self.one(parent, name)
        if element is None:
            return None
        value = lexical.decimal(lexical.text_of(element))
        if value is None or value <= 0 or value != value.quantize(Decimal("0.01")):
            self.problem(element, "must be a number above 0 with at most two decimals", name,
                         lexical.text_of(element).strip())
            return None
        return lexical.decimal_text(value)

    def year(self, parent: etree._Element, name: str) -> str | None:
        value = self.text(parent, name, required=True)
        if value is not None and not _YEAR.match(value):
            self.problem(self.one(parent, name), "must be an academic year such as 2024/2025", name, value)
        return value

    def contact(self, element: etree._Element) -> doc.Contact | None:
        c, p = doc.CONTACT_NS, doc.PHONE_NS
        name = self.text(element, "contact-name", c, required=True)
        if name is None:
            return None
        phone = None
        for number in self.all(element, "phone-number", p):
            phone = self.text(number, "e164", p) or self.text(number, "other-format", p)
            if phone:
                break
        return doc.Contact(
            name=name,
            email=self.text(element, "email", c),
            phone=phone,
            role=self.text(element, "role-description", c),
        )

    def contacts(self, parent: etree._Element, name: str, ns: str | None = None) -> list[doc.Contact]:
        return [c for c in (self.contact(e) for e in self.all(parent, name, ns)) if c is not None]


def _subject_area(reader: _Reader, element: etree._Element) -> doc.SubjectArea | None:
    code_element = reader.one(element, "isced-f-code", required=True)
    if code_element is None:
        return None
    code = lexical.text_of(code_element).strip()
    if not re.fullmatch(r"[0-9]{4}", code):
        reader.problem(code_element, "ISCED-F code must have four digits in IIA v7", "isced-f-code", code)
        return None
    clarification = reader.one(element, "isced-clarification")
    return doc.SubjectArea(
        isced_code=code,
        isced_v6_value=code_element.get("v6-value"),
        clarification=lexical.text_of(clarification).strip() if clarification is not None else None,
    )


def _flagged(element: etree._Element) -> bool:
    return element.get("not-yet-defined") in ("true", "1")


def _condition(reader: _Reader, element: etree._Element, heis: list[str]) -> doc.Condition | None:
    category = doc.ELEMENT_CATEGORIES[etree.QName(element).localname]
    before = len(reader.problems)
    sending = reader.text(element, "sending-hei-id", required=True)
    receiving = reader.text(element, "receiving-hei-id", required=True)
    for role, hei in (("sending", sending), ("receiving", receiving)):
        if hei is not None and hei not in heis:
            reader.problem(element, f"{role}-hei-id is not one of the IIA's partners ({', '.join(heis)})", f"{role}-hei-id", hei)
    if sending is not None and sending == receiving:
        reader.problem(element, "sending and receiving institution are the same", "receiving-hei-id", receiving)
    mobilities = reader.one(element, "mobilities-per-year", required=True)
    per_year = reader.integer(mobilities, "mobilities-per-year", 1) if mobilities is not None else None
    skills = []
    for skill in reader.all(element, "recommended-language-skill"):
        language = reader.text(skill, "language", required=True)
        area = reader.one(skill, "subject-area")
        if language is None:
            continue
        if not lexical.LANGUAGE.match(language):
            reader.problem(reader.one(skill, "language"),
                           "must be a language tag (xs:language) such as en or sr-Latn-RS", "language", language)
            continue
        skills.append(
            doc.LanguageSkill(
                language=lexical.language_tag(language),
                cefr_level=reader.text(skill, "cefr-level"),
                subject_area=_subject_area(reader, area) if area is not None else None,
                not_yet_defined=_flagged(skill),
            )
        )
    if category in doc.SKILL_REQUIRED and not skills:
        reader.problem(element, "needs at least one recommended-language-skill", "recommended-language-skill")
    areas = [_subject_area(reader, area) for area in reader.all(element, "subject-area")]
    eqf = [reader.integer(e, "eqf-level", 1, 8) for e in reader.all(element, "eqf-level")]
    student = category in doc.STUDENT_CATEGORIES
    blended = reader.boolean(element, "blended", required=student) if student else None
    first = reader.year(element, "receiving-first-academic-year-id")
    last = reader.year(element, "receiving-last-academic-year-id")
    other = reader.one(element, "other-info-terms")
    if len(reader.problems) > before:
        return None
    return doc.Condition(
        category=category,
        sending_hei_id=sending,
        sending_ounit_id=reader.text(element, "sending-ounit-id"),
        sending_contacts=reader.contacts(element, "sending-contact"),
        receiving_hei_id=receiving,
        receiving_ounit_id=reader.text(element, "receiving-ounit-id"),
        receiving_contacts=reader.contacts(element, "receiving-contact"),
        first_academic_year=first,
        last_academic_year=last,
        mobilities_per_year=per_year,
        mobilities_not_yet_defined=_flagged(mobilities),
        language_skills=skills,
        subject_areas=[a for a in areas if a is not None],
        other_info_terms=lexical.text_of(other).strip() if other is not None else None,
        total_months_per_year=reader.decimal(element, "total-months-per-year") if student else None,
        total_days_per_year=None if student else reader.decimal(element, "total-days-per-year"),
        blended=blended,
        eqf_levels=[level for level in eqf if level is not None],
        lexical=lexical.spellings(element),
        line=element.sourceline,
    )


def _partner(reader: _Reader, element: etree._Element) -> doc.Partner | None:
    hei = reader.text(element, "hei-id", required=True)
    if hei is None:
        return None
    signing = reader.one(element, "signing-contact")
    signing_date = reader.text(element, "signing-date")
    try:
        signed = date.fromisoformat(signing_date) if signing_date else None
    except ValueError:
        reader.problem(reader.one(element, "signing-date"), "must be a date as 2024-05-31", "signing-date", signing_date)
        signed = None
    return doc.Partner(
        hei_id=hei.lower(),
        ounit_id=reader.text(element, "ounit-id"),
        iia_id=reader.text(element, "iia-id"),
        iia_code=reader.text(element, "iia-code"),
        signing_contact=reader.contact(signing) if signing is not None else None,
        signing_date=signed,
        contacts=reader.contacts(element, "contact", doc.CONTACT_NS),
    )


def _iia(reader: _Reader, element: etree._Element) -> doc.Iia | None:
    before = len(reader.problems)
    partner_elements = reader.all(element, "partner")
    if len(partner_elements) != 2:
        reader.problem(element, f"an IIA has exactly two partners, this one has {len(partner_elements)}", "partner")
        return None
    partners = [p for p in (_partner(reader, e) for e in partner_elements) if p is not None]
    heis = [p.hei_id for p in partners]
    if len(set(heis)) != len(heis):
        reader.problem(element, "both partners have the same hei-id", "hei-id", heis[0])
    in_effect = reader.boolean(element, "in-effect", required=True)
    block = reader.one(element, "cooperation-conditions", required=True)
    conditions = []
    if block is not None:
        for child in block:
            if isinstance(child.tag, str) and etree.QName(child).localname in doc.ELEMENT_CATEGORIES:
                conditions.append(_condition(reader, child, heis))
    declared = reader.text(element, "iia-hash", required=True)
    if declared is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", declared):
        reader.problem(reader.one(element, "iia-hash"), "must be a SHA-256 digest (64 hexadecimal digits)", "iia-hash", declared)
    # a missing required element has been reported above: the last two conditions only narrow the types
    if len(reader.problems) > before or block is None or declared is None:
        return None
    return doc.Iia(
        partners=partners,
        in_effect=in_effect,
        conditions=conditions,
        terminated_as_a_whole=bool(lexical.boolean(block.get("terminated-as-a-whole") or "")),
        iia_hash=declared.lower(),
        pdf_file=reader.text(element, "pdf-file"),
        line=element.sourceline,
        content_hash=iia_hash(element),
    )


def read_iias(tree: etree._ElementTree, where: str) -> list[doc.Iia]:
    """Every IIA of a get response; ProblemsFound lists every problem of every IIA."""
    reader = _Reader(where, doc.IIA_NS)
    iias = [_iia(reader, element) for element in reader.all(tree.getroot(), "iia")]
    if reader.problems:
        raise ProblemsFound(reader.problems)
    return [iia for iia in iias if iia is not None]


def _preferred(elements: list[etree._Element], language: str = "en") -> str | None:
    texts = [(e.get(f"{{{doc.XML_NS}}}lang"), (e.text or "").strip()) for e in elements if (e.text or "").strip()]
    for lang, text in texts:
        if lang and lang.lower().startswith(language):
            return text
    return texts[0][1] if texts else None


def read_institutions(tree: etree._ElementTree, where: str) -> list[doc.Hei]:
    reader = _Reader(where, doc.INSTITUTIONS_NS)
    heis = []
    for element in reader.all(tree.getroot(), "hei"):
        hei_id = reader.text(element, "hei-id", required=True)
        other = {e.get("type"): (e.text or "").strip() for e in reversed(reader.all(element, "other-id"))}
        names = [(e.get(f"{{{doc.XML_NS}}}lang"), (e.text or "").strip()) for e in reader.all(element, "name")]
        address = reader.one(element, "street-address", doc.ADDRESS_NS)
        if address is None:
            address = reader.one(element, "mailing-address", doc.ADDRESS_NS)
        if hei_id is None:
            continue
        heis.append(
            doc.Hei(
                hei_id=hei_id.lower(),
                erasmus_code=(other.get("erasmus") or "").upper() or None,
                pic=other.get("pic") or None,
                names=[(lang, name) for lang, name in names if name],
                abbreviation=reader.text(element, "abbreviation"),
                website=_preferred(reader.all(element, "website-url")),
                country=reader.text(address, "country", doc.ADDRESS_NS) if address is not None else None,
                city=reader.text(address, "locality", doc.ADDRESS_NS) if address is not None else None,
                line=element.sourceline,
            )
        )
    if reader.problems:
        raise ProblemsFound(reader.problems)
    return heis


def read_approvals(tree: etree._ElementTree, where: str) -> list[doc.Approval]:
    reader = _Reader(where, doc.APPROVAL_NS)
    approvals = []
    for element in reader.all(tree.getroot(), "approval"):
        iia_id = reader.text(element, "iia-id", required=True)
        digest = reader.text(element, "iia-hash", required=True)
        if iia_id and digest:
            approvals.append(
                doc.Approval(iia_id=iia_id, iia_hash=digest.lower(), pdf_file=reader.text(element, "pdf-file"), line=element.sourceline)
            )
    if reader.problems:
        raise ProblemsFound(reader.problems)
    return approvals


def read_file(path: str | Path, *, validate: bool = True) -> tuple[str, list, bool]:
    """Parse safely, validate against the XSD when it is available, and read.

    Returns (kind, documents, schema_checked). Raises ProblemsFound, naming file and line,
    for unsafe XML, schema errors and reader errors alike.
    """
    from registry.ewp import safe_xml, schemas  # schemas pulls in xmlschema: only when reading files

    where = str(path)
    tree = safe_xml.parse(path, where=where)
    kind = document_kind(tree, where)
    checked = False
    if validate:
        result = schemas.validate(tree, kind, where=where)
        checked = result.checked
        if result.problems:
            raise ProblemsFound(result.problems)
    readers: dict[str, Callable[[etree._ElementTree, str], list[Any]]] = {
        "iias-get": read_iias, "institutions": read_institutions, "iias-approval": read_approvals,
    }
    return kind, readers[kind](tree, where), checked


class IiaStream:
    """An IIAs get response read one ``<iia>`` at a time (issue 19): the safe parse, the XSD
    (each IIA against the schema's declaration of it, see ``schemas.StreamValidation``) and the
    reader's checks, in the memory of a few IIAs (the parser reads ahead by a buffer) whatever
    the file's size.

    Made for any EWP document (its root is read first); ``kind`` says which it is, and only
    an IIAs get response is read this way (the other responses are small: ``read_file``)."""

    def __init__(self, path: str | Path, *, validate: bool = True):
        from registry.ewp import safe_xml, schemas  # schemas pulls in xmlschema: only when reading files

        self.where = str(path)
        self.elements: Generator[etree._Element, None, None] = safe_xml.iter_children(path, where=self.where)
        self.root = root = next(self.elements)  # holds the IIAs read (ahead) and not yet let go
        self.kind = document_kind(etree.ElementTree(root), self.where)
        self.validation = schemas.StreamValidation(self.kind, root, where=self.where) if validate else None

    @property
    def checked(self) -> bool:
        return self.validation is not None and self.validation.checked

    def iias(self, problems: list[Problem]) -> Iterator[doc.Iia]:
        """Each IIA that the schema and the reader take; the problems of the others go to
        ``problems`` (the reader's checks are skipped for an IIA the schema refuses)."""
        reader = _Reader(self.where, doc.IIA_NS)
        for element in self.elements:
            refused = self.validation.child(element) if self.validation is not None else []
            if refused:
                problems += refused
                continue
            if self.validation is not None and self.validation.problems:
                continue  # once the schema refuses the document, its problems are the ones to fix first
            if not isinstance(element.tag, str) or element.tag != f"{{{doc.IIA_NS}}}iia":
                continue
            before = len(reader.problems)
            iia = _iia(reader, element)
            problems += reader.problems[before:]
            if iia is not None:
                yield iia
        if self.validation is not None:
            problems += self.validation.finish()

    def close(self) -> None:
        self.elements.close()
