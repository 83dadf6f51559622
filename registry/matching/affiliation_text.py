"""Affiliation texts as authors' lists write them, before they are taken apart into segments (``text.parse_query``):
where a list lost its separators, a footnote mark opens the text, an acronym is hyphenated to a name, or a sentence
names the institution ("... is a doctoral student at the University of X"). Each rule gives back the text with a
comma where the list had one; the segments, units and places are read from it as from any text.

Kept apart from the names' own rules (``text``) so that the rules of affiliation texts read in one place."""

from __future__ import annotations

import re

# A footnote mark opening the text: a lone small letter ("b U.S. Geological Survey", "c Desert Research Institute"), a
# sign ("*Institute of ...", "†Department"), or a number run into an acronym ("1UT Southwestern Medical Center").
_LEAD_MARK = re.compile(r"^\s*(?:[a-z](?=\s+[A-Z])|[*†‡§¶∥#]+|\d{1,2}(?=[A-Z]{2,}\b|[A-Z]\.))\s*")

# A unit or kind word run into the word before it: where the list lost a comma or a line break ("University of
# TennesseeCollege of Medicine", "Department of Clinical PharmacologyRoyal Adelaide HospitalAdelaide").
_KIND_HEADS = (r"(?:University|Universit[éàäy]|College|School|Faculty|Department|Institute|Institut|Hospital|Laboratory|"
               r"Center|Centre|Division|École|Ecole|Academy|Graduate)")
_GLUED_KIND = re.compile(r"(?<=[a-zß-ÿ]{4})(?=" + _KIND_HEADS + r"\b)")
# In a text with no comma at all, any capital run into a word of five letters or more, and a number run into words
# ("Laboratory of Robotic SystemsÉcole Polytechnique Fédérale de LausanneLausanne1015Switzerland"): a name spelt in
# camel case ("Shanghai JiaoTong", "PetroChina") has a shorter first part.
_GLUED_CAPITAL = re.compile(r"(?<=[a-zß-ÿ]{5})(?=[A-ZÀ-ÖØ-Þ][a-zß-ÿ])")
_GLUED_NUMBER = re.compile(r"(?<=[a-zß-ÿ]{3})(?=\d{3,}[A-Z])|(?<=\d{3})(?=[A-Z][a-z])")

# An acronym hyphenated to a name: the body the name belongs to, or its unit ("CSIR-Indian Institute of Petroleum",
# "ICAR-Central Marine Fisheries Research Institute", "Simon Fraser University-SIAT"); one that opens a segment
# ("AP HP-Hôpital ..." is the end of an acronym written with a space).
_ACRONYM_BEFORE = re.compile(r"(?:^|(?<=[,;(]\s)|(?<=[,;(]))([A-Z]{2,6})-(?=[A-Z][a-zß-ÿ]{2})")
_ACRONYM_AFTER = re.compile(r"(?<=[a-zß-ÿ]{4})-(?=[A-Z]{2,6}\b(?!-))")

# A sentence about the author, whose place of work follows 'at' or 'with' ("Professor of English at Simon Fraser
# University", "... is with the Academy for Educational Development"): the words before it are no name.
_AT_BODY = re.compile(r"\s+(?:at|with)\s+(?=(?:the\s+)?(?:[A-Z][\w'&.-]*\s+){0,4}(?:Universit\w*|Institute|College|School|Academy|"
                      r"Hospital|Laboratory|Center|Centre|Bank|Survey|Agency|Foundation)\b)")
# A full stop that ends a sentence or a segment, after a word of six letters or more (not one cut short: "Univ.", "Agric.", "Dept.")
# and before a capital word: "Museu Paraense Emílio Goeldi. Coordenação de ...", "... Simon Fraser University. He has".
_SENTENCE_END = re.compile(r"(?<=[a-zß-ÿ]{5})\.\s+(?=[A-ZÀ-ÖØ-Þ][a-zß-ÿ])")


def affiliation_commas(text: str) -> str:
    """The text with commas where an author's list had them (see the module's rules)."""
    text = _LEAD_MARK.sub("", text, count=1)
    if "," not in text:  # past the first word: a company's name in camel case opens the text ("UnitedHealth Group")
        first, space, rest = text.partition(" ")
        text = first + space + _GLUED_NUMBER.sub(", ", _GLUED_CAPITAL.sub(", ", rest))
    else:
        text = _GLUED_KIND.sub(", ", text)
    if "-" in text:
        text = _ACRONYM_AFTER.sub(", ", _ACRONYM_BEFORE.sub(r"\1, ", text))
    if " at " in text or " with " in text:
        text = _AT_BODY.sub(", ", text)
    if ". " in text:
        text = _SENTENCE_END.sub(", ", text)
    return text


# Units written in the languages affiliations come in, read as the English unit words: a faculty, department, chair or
# institute of the university named in the same run ("Politechnika Wrocławska Wydział Zarządzania", "Lehrstuhl für ...").
UNIT_WORDS_ABROAD = frozenset(["wydzial", "fachbereich", "lehrstuhl", "abteilung", "katedra", "kafedra", "zaklad",
                               "laboratorium"])
# Turkish names a unit before its head word ("Fırat Üniversitesi İletişim Fakültesi ... Bölümü"): the words after the
# university's and up to the head word are the unit's name.
UNIT_HEADS_LAST = frozenset(["fakultesi", "bolumu", "yuksekokulu", "anabilim", "enstitusu", "meslek"])
