"""Reading identifiers typed where a name is expected."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.matching.identifiers import erasmus_code, parent_hosts, pic, ror_key, typed_identifier, web_host


@pytest.mark.parametrize(("typed", "code"), [("S  LUND01", "S  LUND01"), ("s lund01", "S  LUND01"), ("D HEIDELB01", "D  HEIDELB01"),
                                             ("SF HELSINK01", "SF HELSINK01"), ("F  PARIS009", "F  PARIS009"), ("SLUND01", "SLUND01"),
                                             ("Lund", None), ("Lund University", None), ("S LUND", None)])
def test_erasmus_codes_with_any_spacing(typed, code):
    assert erasmus_code(typed) == code


@given(st.sampled_from(["S", "D", "SF", "DK", "I", "CZ"]), st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=7),
       st.integers(1, 99), st.integers(0, 4))
def test_an_erasmus_code_reads_the_same_however_spaced(prefix, city, number, spaces):
    code = f"{prefix}{' ' * spaces}{city}{number:02d}"
    typed = typed_identifier(code.lower())
    assert typed is not None and typed.kind == "erasmus" and typed.key == f"{prefix}{city}{number:02d}"


def test_other_identifiers():
    assert ror_key("https://ror.org/012a77v79") == ror_key("012A77V79") == "012a77v79"
    assert ror_key("012345678") is None and pic("999 901 318") == "999901318" and pic("12345") is None
    assert web_host("https://www.uio.no/english/") == web_host("@uio.no") == web_host("someone@uio.no") == "uio.no"
    assert web_host("Univ. of Oslo") is None and web_host("1.2.3.4") is None
    assert parent_hosts("medsci.ox.ac.uk") == ["medsci.ox.ac.uk", "ox.ac.uk"]
    assert parent_hosts("med.lu.se") == ["med.lu.se", "lu.se"]


@pytest.mark.parametrize("name", ["University of Oslo", "KI", "UCL", "Lund", "St. Olav's Hospital", "Dr. med. univ."])
def test_names_are_not_identifiers(name):
    assert typed_identifier(name) is None


@pytest.mark.parametrize(("text", "left", "keys"), [
    ("Heidelberg University (uni-heidelberg.de)", "Heidelberg University ( )", ["uni-heidelberg.de"]),
    ("see https://www.uio.no/english/ now", "see   now", ["uio.no"]),
    ("K.U. Leuven", "K.U. Leuven", []), ("St.Kliment Ohridski University", "St.Kliment Ohridski University", []),
    ("Inst. of Tech.", "Inst. of Tech.", []),
])
def test_addresses_written_in_a_name(text, left, keys):
    from registry.matching.identifiers import embedded_identifiers

    words, found = embedded_identifiers(text)
    assert (words, [t.key for t in found]) == (left, keys)


@pytest.mark.parametrize("text", ["Zarnova Polytechnic Institute", "see http://intranet-zarnova now", "HTTPS://ZARNOVA",
                                  "Instituto Zarnova (ftp://archive)", "0abcd1234"])
def test_a_text_without_a_dot_or_an_at_sign_keeps_every_word(text):
    """Such a text is given back without the search: what the search finds in it ('http://...') is no identifier."""
    from registry.matching.identifiers import _EMBEDDED, embedded_identifiers

    assert embedded_identifiers(text) == (text, [])
    assert all(typed_identifier(hit.group(0).rstrip(".,;)")) is None for hit in _EMBEDDED.finditer(text))
