"""Affiliation texts as authors' lists write them, before they are taken apart into segments (``text.parse_query``):
where a list lost its separators, a footnote mark opens the text, an acronym is hyphenated to a name, or a sentence
names the institution ("... is a doctoral student at the University of X"). Each rule gives back the text with a
comma where the list had one; the segments, units and places are read from it as from any text.

Kept apart from the names' own rules (``text``) so that the rules of affiliation texts read in one place."""

from __future__ import annotations

import re

# A footnote mark opening the text: a lone small letter ("b U.S. Geological Survey", "c Desert Research Institute"), a
# sign ("*Institute of ...", "†Department"), or a number run into an acronym ("1UT Southwestern Medical Center").
_LEAD_MARK = re.compile(r"^\s*(?:[a-z](?=\s+[A-Z])|[*†‡§¶∥#]+|\d{1,2}(?=[A-Z]{2,}\s))\s*")

# A unit or kind word run into the word before it: where the list lost a comma or a line break ("University of
# TennesseeCollege of Medicine", "Department of Clinical PharmacologyRoyal Adelaide HospitalAdelaide").
_KIND_HEADS = (r"(?:University|Universit[éàäy]|College|School|Faculty|Department|Institute|Institut|Hospital|Laboratory|"
               r"Center|Centre|Division|École|Ecole|Academy|Graduate)")
_GLUED_KIND = re.compile(r"(?<=[a-zß-ÿ]{4})(?=" + _KIND_HEADS + r"\b)")
# In a text with no comma at all, a capital run into a word of five letters or more, twice or more past the first word,
# and a number run into words ("Laboratory of Robotic SystemsÉcole Polytechnique Fédérale de LausanneLausanne1015
# Switzerland"): a list that lost its separators lost more than one. A name spelt in camel case ("UnitedHealth Group",
# "VDF FutureCeuticals", "Shanghai JiaoTong") has one such place, or opens the text, or has a shorter first part.
_GLUED_CAPITAL = re.compile(r"(?<=[a-zß-ÿ]{5})(?=[A-ZÀ-ÖØ-Þ][a-zß-ÿ])")
_GLUED_NUMBER = re.compile(r"(?<=[a-zß-ÿ]{3})(?=\d{3,}[A-Z])|(?<=\d{3})(?=[A-Z][a-z])")

# An acronym hyphenated to a name: the body the name belongs to, or its unit ("CSIR-Indian Institute of Petroleum",
# "ICAR-Central Marine Fisheries Research Institute", "Simon Fraser University-SIAT"). Before a name, it opens a segment
# and the name is an institute's, university's ... ("AP HP-Hôpital" ends an acronym written with a space; "KEMRI-Wellcome
# Programme", "WWF-Nepal" are names); after one, it follows the kind word ("Cinvestav-IPN" is a name).
_KIND_AHEAD = r"[^,;()]*\b(?:Institute|University|College|Hospital|Centre|Center)\b"
_ACRONYM_BEFORE = re.compile(r"(?:^|(?<=[,;(]\s)|(?<=[,;(]))([A-Z]{2,6})-(?=[A-Z][a-zß-ÿ]{2}" + _KIND_AHEAD + ")")
_ACRONYM_AFTER = re.compile(r"\b(University|Universit[éàä]t?|Universidad|Institute|College|Hospital)-(?=[A-Z]{2,6}\b(?!-))")

# A sentence about the author, whose place of work follows 'at' or 'with' ("Professor of English at Simon Fraser
# University", "... is a doctoral student at the University of X"): the words before it, which name no body, are no
# name ("Inria Paris Centre at Sorbonne University" is one). Such a sentence's full stop, after five small letters (not a
# word cut short: "Univ.", "Agric."), ends it ("... Simon Fraser University. He has recently ...").
_AT_BODY = re.compile(r"\s+(?:at|with)\s+(?=(?:the\s+)?(?:[A-Z][\w'&.-]*\s+){0,4}(?:Universit\w*|Institute|College|School|"
                      r"Academy|Hospital|Laboratory|Center|Centre|Bank|Survey|Agency|Foundation)\b)")
_BODY_BEFORE = re.compile(r"\b(?:Universit\w*|Institut\w*|College|School|Academy|Hospital|Laboratory|Center|Centre|Clinic|"
                          r"Foundation|Agency)\b")
_SENTENCE_END = re.compile(r"(?<=[a-zß-ÿ]{5})\.\s+(?=[A-ZÀ-ÖØ-Þ][a-zß-ÿ])")


def _person_at_body(text: str) -> str:
    found = _AT_BODY.search(text)
    if found is None:
        return text
    before = re.split(r"[,;]", text[:found.start()])[-1]
    if _BODY_BEFORE.search(before):
        return text
    return _SENTENCE_END.sub(", ", text[:found.start()] + ", " + text[found.end():])


def affiliation_commas(text: str) -> str:
    """The text with commas where an author's list had them (see the module's rules)."""
    text = _LEAD_MARK.sub("", text, count=1)
    if "," not in text:  # past the first word: a company's name in camel case opens the text ("UnitedHealth Group")
        first, space, rest = text.partition(" ")
        if len(_GLUED_CAPITAL.findall(rest)) >= 2:
            text = first + space + _GLUED_NUMBER.sub(", ", _GLUED_CAPITAL.sub(", ", rest))
    else:
        text = _GLUED_KIND.sub(", ", text)
    if "-" in text:
        text = _ACRONYM_AFTER.sub(r"\1, ", _ACRONYM_BEFORE.sub(r"\1, ", text))
    if " at " in text or " with " in text:
        text = _person_at_body(text)
    return text


# Units written in the languages affiliations come in, read as the English unit words: a faculty, department, chair or
# institute of the university named in the same run ("Politechnika Wrocławska Wydział Zarządzania", "Lehrstuhl für ...").
UNIT_WORDS_ABROAD = frozenset(["wydzial", "fachbereich", "lehrstuhl", "abteilung", "katedra", "kafedra", "zaklad",
                               "laboratorium"])
# Turkish names a unit before its head word ("Fırat Üniversitesi İletişim Fakültesi ... Bölümü"): the words after the
# university's and up to the head word are the unit's name.
UNIT_HEADS_LAST = frozenset(["fakultesi", "bolumu", "yuksekokulu", "anabilim", "enstitusu", "meslek"])

# A medical centre or medical school named after its university, as folded words: "University of Leipzig *Medical
# Center*", "Virginia Commonwealth University *Children's Medical Center*", "X University *Medical School*". Where it
# has no record of its own, the university is the affiliation ROR's sets answer. A hospital or a health sciences centre
# is not read so: ROR lists many as bodies of their own that the index may lack ("Uppsala University Hospital", "Aarhus
# University Hospital", "University of Colorado Health Sciences Center": on the sets' tuning halves 6 of 11 such texts
# wanted another body than the university; of the medical centres, 1 of 5, "Loma Linda University Medical Center").
_HOSPITAL_OF_UNIVERSITY = frozenset(" ".join(words) for words in (
    ("medical", "center"), ("childrens", "medical", "center"), ("medical", "school"), ("school", "of", "medical"),
))


def university_of_its_hospital(segment: tuple[str, ...]) -> tuple[str, ...] | None:
    """The university's words in a segment that names its medical centre or school after them ("university of leipzig
    medical center" -> "university of leipzig"), or None."""
    for size in (3, 2):
        if len(segment) > size + 1 and " ".join(segment[-size:]) in _HOSPITAL_OF_UNIVERSITY:
            name = segment[:-size]
            return name if "university" in name else None
    return None



def places_set_apart(segments: tuple[tuple[str, ...], ...], function_words: frozenset[str]) -> list[tuple[str, ...]]:
    """The words of an affiliation's segments after the first, as an address sets a place apart ("Trinity College,
    *Cambridge*", "City of Hope, *Duarte*, CA", "..., *St. Louis*, Missouri 63130, USA"): its postcode and function words
    left aside, so that a segment that is a city's name is those words."""
    places = []
    for segment in segments[1:]:
        words = tuple(t for t in segment if t not in function_words and not any(c.isdigit() for c in t))
        if words:
            places.append(words)
    return places


# The words that make a kind word before them a street's name: "University Rd.", "College Street", "Hospital Road".
_STREET_WORDS = frozenset(["rd", "road", "street", "str", "strasse", "avenue", "ave", "drive", "lane", "blvd", "boulevard",
                           "parkway"])


def street_named_after(after: tuple[str, ...]) -> bool:
    """The words after an institution's name begin its street ("Queen's University Belfast  *University Rd.* Belfast BT7
    1NN"): a word and a street's word, where the street's name does not carry the institution's name on."""
    return len(after) >= 2 and after[1] in _STREET_WORDS
