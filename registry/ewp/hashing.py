"""The EWP IIA v7 ``iia-hash``: SHA-256 of the "text to hash" of an ``<iia>`` element.

EWP defines the text with an XSLT (``resources/xsltKit/transform_version_7.xsl`` in the
ewp-specs-api-iias repository); this is the same rule written out in Python, which the tests
check against that stylesheet run by Saxon-HE on every fixture and on generated variants. One
deliberate difference: the stylesheet reads ``terminated-as-a-whole`` and the approval flags
document-wide, so in a response with several IIAs one IIA's flag marks all of them; here, as
the specification has it, each IIA is read alone (docs/ewp.md). The text is:

* ``_@terminated-as-a-whole@_`` when the cooperation conditions carry that flag;
* ``_iia-id_N=<id>_`` for each partner N in document order (empty when absent);
* for each condition, in document order, every element inside it without child elements,
  as ``_<grandparent>.<parent>.<name>=<text>_``, and every attribute other than
  ``not-yet-defined`` and ``v6-value`` just before it as ``_@<g>.<p>.<e>.<attr>=<value>@_``;
  skipped are contacts, the two academic-year elements and anything flagged
  ``not-yet-defined``; an ``isced-f-code`` with a ``v6-value`` contributes that value;
* then ``_receiving-first-academic-year-id=<y>_`` and ``_receiving-last-academic-year-id=<y>_``.

Partner order matters (it is part of the text), so two partners' copies of the same
agreement have different hashes by construction.
"""

from __future__ import annotations

import hashlib

from lxml import etree

_YEAR_ELEMENTS = ("receiving-first-academic-year-id", "receiving-last-academic-year-id")
_CONTACT_ELEMENTS = ("sending-contact", "receiving-contact")
_UNHASHED_ATTRIBUTES = ("not-yet-defined", "v6-value")


def _name(node: etree._Element | None) -> str:
    if node is None or not isinstance(node.tag, str):
        return ""
    return etree.QName(node).localname


def _children(element: etree._Element, name: str | None = None) -> list[etree._Element]:
    return [c for c in element if isinstance(c.tag, str) and (name is None or _name(c) == name)]


def _text(element: etree._Element | None) -> str:
    return "" if element is None else "".join(element.itertext())


def _flagged(element: etree._Element) -> bool:
    return element.get("not-yet-defined") in ("true", "1")


def _walk(element: etree._Element, name: str, parent: str, parts: list[str]) -> None:
    """Depth first, in document order, as the XSLT's ``.//*`` visits a condition's elements."""
    for child in _children(element):
        if _flagged(child):  # a not-yet-defined element goes with everything inside it
            continue
        child_name = _name(child)
        path = f"{parent}.{name}.{child_name}"
        if child_name not in _YEAR_ELEMENTS:
            for attribute, value in child.attrib.items():
                local = etree.QName(attribute).localname
                if local not in _UNHASHED_ATTRIBUTES:
                    parts.append(f"_@{path}.{local}={value}@_")
            if not _children(child):
                value = _text(child)
                if child_name == "isced-f-code" and child.get("v6-value"):
                    value = child.get("v6-value")
                parts.append(f"_{path}={value}_")
        if child_name not in _CONTACT_ELEMENTS:  # a contact itself counts, what is inside it does not
            _walk(child, child_name, name, parts)


def _condition_text(condition: etree._Element) -> list[str]:
    parts: list[str] = []
    _walk(condition, _name(condition), _name(condition.getparent()), parts)
    for year in _YEAR_ELEMENTS:
        found = _children(condition, year)
        parts.append(f"_{year}={_text(found[0]) if found else ''}_")
    return parts


def text_to_hash(iia: etree._Element) -> str:
    """The string EWP hashes for one ``<iia>`` element."""
    parts: list[str] = []
    conditions = _children(iia, "cooperation-conditions")
    if conditions and conditions[0].get("terminated-as-a-whole") in ("true", "1"):
        parts.append("_@terminated-as-a-whole@_")
    for position, partner in enumerate(_children(iia, "partner"), start=1):
        ids = _children(partner, "iia-id")
        parts.append(f"_iia-id_{position}={_text(ids[0]) if ids else ''}_")
    for condition in _children(conditions[0]) if conditions else []:
        parts.extend(_condition_text(condition))
    return "".join(parts)


def iia_hash(iia: etree._Element) -> str:
    return hashlib.sha256(text_to_hash(iia).encode("utf-8")).hexdigest()


def approval_blockers(iia: etree._Element) -> list[str]:
    """Why the copy must not be approved: the XSD says an IIA with an element flagged
    ``not-yet-defined`` or an ISCED-F code with a ``v6-value`` (values carried over from an
    agreement approved under IIA v6) "MUST NOT be approved" until they are defined."""
    reasons = []
    conditions = _children(iia, "cooperation-conditions")
    numbered = {c: n for n, c in enumerate(_children(conditions[0]), start=1)} if conditions else {}
    for element in iia.iter():
        if not isinstance(element.tag, str):
            continue
        condition = next((a for a in [element, *element.iterancestors()] if a in numbered), None)
        where = f" in condition {numbered[condition]} ({_name(condition)})" if condition is not None else ""
        if _flagged(element):
            reasons.append(f"<{_name(element)}> is not-yet-defined{where}")
        elif element.get("v6-value"):
            reasons.append(f"<{_name(element)}> {_text(element).strip()} has v6-value {element.get('v6-value')}{where}")
    return reasons


def valid_for_approval(iia: etree._Element) -> bool:
    """False when the copy still carries v6 placeholders (not-yet-defined or v6-value)."""
    return not approval_blockers(iia)
