"""Names typed carelessly: words cut short, slips in words one token stands for, a letter struck for another, a
direction mistyped, a city declined."""

import pytest

from registry.matching.text import normalize
from registry.matching.words import token_similarity


@pytest.mark.parametrize(("typed", "normalised"), [
    ("Gazipur Agric. Univ.", "gazipur agricultural university"),
    ("Indian Inst. of Sci. Educ. and Res. Kolkata", "indian institute of science education and research kolkata"),
    ("Mindanao St. University", "mindanao state university"),  # "St." before a kind word is State
    ("Univ. of Cross River St.", "university of cross river state"),
    ("St. Petersburg State University", "saint petersburg state university"),
    ("INT Leiden", "int leiden"),  # without its dot, an acronym
    ("Govt. College University Lahore", "government college university lahore"),
    ("Govt. of India", "govt of india"),  # a government, no partner institution
    ("Baylor College of Mdeicine", "baylor college of medical"),  # a slip in a word one token stands for
    ("Universidaade de Lisboa", "university de lisbon"),  # a letter struck twice
])
def test_words_cut_short_and_slips_read_as_the_word(typed, normalised):
    assert normalize(typed) == normalised


def test_a_letter_struck_for_another_and_a_direction_mistyped_align():
    assert token_similarity("sistem", "system") >= 0.8
    assert token_similarity("southvest", "southwest") >= 0.8
    assert token_similarity("northern", "southern") == 0.0  # two directions stay apart
    assert token_similarity("sistem", "systen") == 0.0  # two letters struck is another word
    assert token_similarity("tokyo", "tokyi") == 0.0  # the last letter stays


def test_a_letter_struck_twice_is_a_slip_only_after_its_twin():
    from registry.matching.text import _slip

    assert _slip("universidaade", "universidade") and _slip("hospiital", "hospital")
    assert not _slip("yuniversity", "university")  # a vowel before the first letter doubles nothing (the last 'y' is no twin)
