"""Letters an export could not encode, written '?' or as the replacement character (round names14). Names are invented or real places' and institutions'."""

from registry.matching import NameIndex
from registry.matching.text import fold_name, tokens_of


def test_a_question_mark_against_a_letter_is_a_letter_lost_not_a_word_break():
    assert tokens_of(fold_name("Bal?kesir University")) == ["balkesir", "university"]
    assert tokens_of(fold_name("Bal\ufffdkesir University")) == ["balkesir", "university"]  # the replacement character
    assert tokens_of(fold_name("Visoka skola Gospi?")) == tokens_of(fold_name("Visoka skola Gospi"))
    assert tokens_of(fold_name("?akovec Polytechnic")) == tokens_of(fold_name("akovec Polytechnic"))
    assert tokens_of(fold_name("Why? Nordby")) == ["why", "nordby"]  # a question closing a word: the word stays
    assert tokens_of(fold_name("Nordby ? Academy")) == tokens_of(fold_name("Nordby Academy"))


def test_a_name_with_a_lost_letter_finds_its_institution():
    index = NameIndex.build([("nordik", "Nordikesir University", "TR", "official"),
                             ("kesir", "Kesir Academy", "TR", "official")])
    found = index.match("Nord?kesir University", country="TR", limit=2)  # 'Nordıkesir' exported without its ı
    assert found and found[0].entity_id == "nordik" and found[0].band == "probable"
