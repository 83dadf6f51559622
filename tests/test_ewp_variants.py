"""Generated variants of real IIA copies, each checked against EWP's official stylesheet (run
by Saxon-HE): the project's iia-hash and approval verdict equal the stylesheet's, and a
variant imported and written back as the stored copy keeps its hash.

A variant changes what the XSD lets a copy change without changing the agreement or by
changing it in ways the hash must follow: the order of repeated elements (conditions of one
kind, EQF levels, subject areas, language skills), the spelling of booleans, numbers,
decimals and language codes, whitespace around text, Unicode normalisation, namespace
prefixes, comments (between elements and inside values), CDATA sections, character
references, empty optional elements, ``not-yet-defined`` flags and ``terminated-as-a-whole``.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

import pytest
from ewp_support import BERGEN, BODO, LUND, OWN_COPY, THIRD_PARTY, WARSAW, copy_registry, make_registry, official
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from registry import db as store
from registry.ewp import document as doc
from registry.ewp import hashing, reader, safe_xml, writer
from registry.ewp.copies import stored_copy
from registry.importers import ewp as importer

BASES = {"own-copy": OWN_COPY, "partner-example": THIRD_PARTY["partner-example"],
         "ulisboa": THIRD_PARTY["ulisboa-sample-v7"]}
HOMES = {"own-copy": [LUND, BERGEN.model_copy(update={"schac": "uib.no"})],
         "partner-example": [WARSAW.model_copy(update={"is_home": True}), BODO],
         "ulisboa": [WARSAW.model_copy(update={"is_home": True}), BODO]}
ORDERED = ("eqf-level", "subject-area", "recommended-language-skill")  # repeated, in any order the author likes
COMMENT = "<!-- a note -->"


def _local(element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _spellings(name: str, text: str) -> list[str]:
    """Other ways the XSD lets a copy write the same value."""
    value = text.strip()
    if name == "blended":
        truth = value in ("true", "1")
        return ["true", "1", " true "] if truth else ["false", "0", "\n false\n"]
    if name in ("mobilities-per-year", "eqf-level"):
        return [value, f"0{value}", f"+{value}", f" {value} "]
    if name in ("total-months-per-year", "total-days-per-year"):
        number = Decimal(value)
        return [value, f"{number:.2f}", f"0{number}", f"+{number}", f" {number}\n"]
    if name == "language":
        return [value, value.upper(), value.lower(), f" {value} "]
    if name in ("sending-hei-id", "receiving-hei-id"):  # xs:string: whitespace is part of the value written
        return [value, f" {value}\n"]
    if name in ("other-info-terms", "isced-clarification"):
        accented = value + " (École, Zürich)"
        return [value, f"  {value}\n", accented, unicodedata.normalize("NFD", accented)]
    return [text]


def _markup(text: str, how: str) -> str:
    """Text as markup: plain, a CDATA section, with a comment inside, or its first character as a reference."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;")
    if not text or how == "plain":
        return escaped
    if how == "cdata":
        return f"<![CDATA[{text}]]>"
    if how == "comment":
        middle = len(text) // 2
        return escaped[:middle] + COMMENT + text[middle:].replace("&", "&amp;").replace("<", "&lt;")
    return f"&#{ord(text[0])};" + text[1:].replace("&", "&amp;").replace("<", "&lt;")


@st.composite
def variants(draw, base: str) -> bytes:
    root = safe_xml.parse(BASES[base]).getroot()
    markers: dict[str, str] = {}
    iia = next(e for e in root if _local(e) == "iia")
    block = next(e for e in iia if _local(e) == "cooperation-conditions")
    for condition in [c for c in block if isinstance(c.tag, str)]:
        for name in ORDERED:  # repeated elements, shuffled among their own places
            found = [c for c in condition if _local(c) == name]
            if len(found) > 1:
                order = draw(st.permutations(found))
                slots = [condition.index(e) for e in found]
                for slot, element in sorted(zip(slots, order, strict=True), key=lambda pair: pair[0]):
                    condition.remove(element)
                    condition.insert(slot, element)
        if draw(st.booleans()) and not any(_local(c) == "other-info-terms" for c in condition):
            later = [c for c in condition if _local(c) in ("total-months-per-year", "blended", "total-days-per-year")]
            empty = etree.Element(f"{{{doc.IIA_NS}}}other-info-terms")
            condition.insert(condition.index(later[0]), empty) if later else condition.append(empty)
        for element in condition.iter():
            if not isinstance(element.tag, str) or len(element) or element.getparent() is None:
                continue
            inside_contact = any(_local(a) in ("sending-contact", "receiving-contact") for a in element.iterancestors())
            if inside_contact:
                continue
            text = draw(st.sampled_from(_spellings(_local(element), element.text or "")))
            marker = f"MARKER{len(markers)}X"
            markers[marker] = _markup(text, draw(st.sampled_from(["plain", "plain", "cdata", "comment", "reference"])))
            element.text = marker
        for flagged in ("mobilities-per-year", "recommended-language-skill"):
            target = next((c for c in condition if _local(c) == flagged), None)
            if target is not None and draw(st.integers(0, 5)) == 0:
                target.set("not-yet-defined", draw(st.sampled_from(["true", "1"])))
    conditions = [c for c in block if isinstance(c.tag, str)]
    for category in doc.CATEGORY_ELEMENTS.values():  # conditions of one kind, in any order
        same = [c for c in conditions if _local(c) == category]
        if len(same) > 1:
            slots = [block.index(c) for c in same]
            for slot, element in zip(slots, draw(st.permutations(same)), strict=True):
                block.remove(element)
                block.insert(slot, element)
    if draw(st.integers(0, 4)) == 0:
        block.set("terminated-as-a-whole", draw(st.sampled_from(["true", "1"])))
    if draw(st.booleans()):
        iia.insert(iia.index(block), etree.Comment(" between elements "))
    text = etree.tostring(root, encoding="unicode")
    for marker, markup in markers.items():
        text = text.replace(marker, markup)
    if draw(st.booleans()):  # the IIA namespace by a prefix instead of the default namespace
        text = text.replace(f'xmlns="{doc.IIA_NS}"', f'xmlns:iia="{doc.IIA_NS}"', 1)
        text = re.sub(r"<(/?)(?![?!])([A-Za-z][\w.-]*)(?=[\s/>])", r"<\1iia:\2", text)
    if draw(st.booleans()):  # another prefix for the contact namespace
        text = text.replace("xmlns:c=", "xmlns:contact=").replace("<c:", "<contact:").replace("</c:", "</contact:")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + text).encode("utf-8")


def _only_iia(data: bytes):
    return next(e for e in safe_xml.parse(data).getroot() if _local(e) == "iia")


@pytest.mark.parametrize("base", list(BASES))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_hash_of_every_variant_is_the_stylesheets(base, data):
    variant = data.draw(variants(base))
    [oracle] = official(variant)
    element = _only_iia(variant)
    assert hashing.text_to_hash(element) == oracle.text_to_hash
    assert hashing.valid_for_approval(element) is oracle.valid_for_approval


@pytest.fixture(scope="module")
def templates(tmp_path_factory):
    folder = tmp_path_factory.mktemp("variants")
    return {base: make_registry(folder / f"{base}.db", institutions) for base, institutions in HOMES.items()}


@pytest.mark.parametrize("base", list(BASES))
@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_variant_imported_and_written_back_keeps_the_stylesheets_hash(base, data, templates, tmp_path_factory):
    variant = data.draw(variants(base))
    folder = tmp_path_factory.mktemp("variant")
    (folder / "copy.xml").write_bytes(variant)
    db = store.connect(copy_registry(templates[base], folder / "registry.db"))
    try:
        [agreement] = importer.import_file(db, folder / "copy.xml").agreements
        [oracle] = official(variant)
        assert writer.copy_hash(stored_copy(db, agreement)) == oracle.iia_hash
        [read] = reader.read_file(folder / "copy.xml")[1]
        assert read.content_hash == oracle.iia_hash
    finally:
        db.conn.close()
