"""Writing ``document`` models as an IIAs API v7 get response, in the element order the XSD
requires, with each IIA's ``iia-hash`` computed from what is written."""

from __future__ import annotations

from lxml import etree

from registry.ewp import document as doc
from registry.ewp.hashing import approval_blockers, iia_hash
from registry.ewp.lexical import respell

_NSMAP = {None: doc.IIA_NS, "c": doc.CONTACT_NS, "p": doc.PHONE_NS, "xsi": doc.XSI_NS}


def _add(parent: etree._Element, name: str, text: object = None, ns: str = doc.IIA_NS, **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ns}}}{name}", {k.replace("_", "-"): v for k, v in attributes.items()})
    if text is not None:
        element.text = str(text)
    return element


def _contact(parent: etree._Element, name: str, contact: doc.Contact, ns: str = doc.IIA_NS) -> None:
    element = _add(parent, name, ns=ns)
    _add(element, "contact-name", contact.name, doc.CONTACT_NS)
    if contact.phone:
        number = _add(element, "phone-number", ns=doc.PHONE_NS)
        is_e164 = contact.phone.startswith("+") and contact.phone[1:].isdigit() and len(contact.phone) <= 16
        _add(number, "e164" if is_e164 else "other-format", contact.phone, doc.PHONE_NS)
    if contact.email:
        _add(element, "email", contact.email, doc.CONTACT_NS)
    if contact.role:
        _add(element, "role-description", contact.role, doc.CONTACT_NS)


def _flag(flagged: bool) -> dict[str, str]:
    return {"not_yet_defined": "true"} if flagged else {}


def _subject_area(parent: etree._Element, area: doc.SubjectArea) -> None:
    element = _add(parent, "subject-area")
    _add(element, "isced-f-code", area.isced_code, **({"v6_value": area.isced_v6_value} if area.isced_v6_value else {}))
    if area.clarification is not None:
        _add(element, "isced-clarification", area.clarification)


def _condition(parent: etree._Element, condition: doc.Condition) -> None:
    element = _add(parent, condition.element)
    _add(element, "sending-hei-id", condition.sending_hei_id)
    if condition.sending_ounit_id:
        _add(element, "sending-ounit-id", condition.sending_ounit_id)
    for contact in condition.sending_contacts:
        _contact(element, "sending-contact", contact)
    _add(element, "receiving-hei-id", condition.receiving_hei_id)
    if condition.receiving_ounit_id:
        _add(element, "receiving-ounit-id", condition.receiving_ounit_id)
    for contact in condition.receiving_contacts:
        _contact(element, "receiving-contact", contact)
    _add(element, "receiving-first-academic-year-id", condition.first_academic_year)
    _add(element, "receiving-last-academic-year-id", condition.last_academic_year)
    _add(element, "mobilities-per-year", condition.mobilities_per_year, **_flag(condition.mobilities_not_yet_defined))
    for skill in condition.language_skills:
        skill_element = _add(element, "recommended-language-skill", **_flag(skill.not_yet_defined))
        _add(skill_element, "language", skill.language)
        if skill.cefr_level:
            _add(skill_element, "cefr-level", skill.cefr_level)
        if skill.subject_area:
            _subject_area(skill_element, skill.subject_area)
    for area in condition.subject_areas:
        _subject_area(element, area)
    if condition.other_info_terms is not None:
        _add(element, "other-info-terms", condition.other_info_terms)
    if condition.category in doc.STUDENT_CATEGORIES:
        if condition.total_months_per_year:
            _add(element, "total-months-per-year", condition.total_months_per_year)
        _add(element, "blended", "true" if condition.blended else "false")
        for level in condition.eqf_levels:
            _add(element, "eqf-level", level)
    elif condition.total_days_per_year:
        _add(element, "total-days-per-year", condition.total_days_per_year)
    respell(element, condition.lexical)


def condition_element(condition: doc.Condition) -> etree._Element:
    """One condition as this registry writes it (with the copy's own spellings), on its own."""
    parent = etree.Element(f"{{{doc.IIA_NS}}}cooperation-conditions", nsmap=_NSMAP)
    _condition(parent, condition)
    return parent[0]


def _partner(parent: etree._Element, partner: doc.Partner) -> None:
    element = _add(parent, "partner")
    _add(element, "hei-id", partner.hei_id)
    for name in ("ounit_id", "iia_id", "iia_code"):
        value = getattr(partner, name)
        if value:
            _add(element, name.replace("_", "-"), value)
    if partner.signing_contact:
        _contact(element, "signing-contact", partner.signing_contact)
    if partner.signing_date:
        _add(element, "signing-date", partner.signing_date.isoformat())
    for contact in partner.contacts:
        _contact(element, "contact", contact, doc.CONTACT_NS)


def iia_element(parent: etree._Element, iia: doc.Iia) -> etree._Element:
    """Append one ``<iia>``; its iia-hash is computed from the written content."""
    element = _add(parent, "iia")
    for partner in iia.partners:
        _partner(element, partner)
    _add(element, "in-effect", "true" if iia.in_effect else "false")
    block = _add(element, "cooperation-conditions", **({"terminated_as_a_whole": "true"} if iia.terminated_as_a_whole else {}))
    order = list(doc.CATEGORY_ELEMENTS)
    for condition in sorted(iia.conditions, key=lambda c: order.index(c.category)):  # stable: keeps order within a category
        _condition(block, condition)
    digest = _add(element, "iia-hash", "0" * 64)
    digest.text = iia_hash(element)
    if iia.pdf_file:
        _add(element, "pdf-file", iia.pdf_file)
    return element


def _written(iia: doc.Iia) -> etree._Element:
    return iia_element(etree.Element(f"{{{doc.IIA_NS}}}iias-get-response", nsmap=_NSMAP), iia)


def copy_hash(iia: doc.Iia) -> str:
    """The iia-hash this copy gets when written."""
    return _written(iia).findtext(f"{{{doc.IIA_NS}}}iia-hash")


def why_not_approvable(iia: doc.Iia) -> list[str]:
    """Why this copy, as written, must not be approved (empty when it may be)."""
    return approval_blockers(_written(iia))


def get_response(iias: list[doc.Iia]) -> etree._ElementTree:
    root = etree.Element(f"{{{doc.IIA_NS}}}iias-get-response", nsmap=_NSMAP)
    root.set(f"{{{doc.XSI_NS}}}schemaLocation", f"{doc.IIA_NS} {doc.IIA_SCHEMA_URL}")
    for iia in iias:
        iia_element(root, iia)
    return etree.ElementTree(root)


def to_bytes(tree: etree._ElementTree) -> bytes:
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8", pretty_print=True)
