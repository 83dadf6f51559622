"""Slips of the hand at a word's edge and in short words, kind words written as they sound, and regions named with
the word for their kind (round names12). Names are invented or real institutions'."""

import pytest

from registry.matching import NameIndex
from registry.matching.divisions import division_name
from registry.matching.slips import hand_slip, struck_for
from registry.matching.sounds import keyed, sound_key
from registry.matching.text import kind_by_sound, kind_typo, normalize, region_words
from registry.matching.words import token_similarity


def test_a_slip_of_the_hand_is_a_neighbouring_key_a_letter_left_out_swapped_or_struck_beside_its_neighbour():
    assert struck_for("y", "u") and struck_for("s", "x") and not struck_for("a", "c")
    assert hand_slip("universitu", "university")  # the last letter, its neighbour struck
    assert hand_slip("yniversity", "university")  # the first
    assert hand_slip("niversity", "university")  # the first left out
    assert hand_slip("uinversity", "university")  # the first two swapped
    assert hand_slip("universitty", "university")  # a letter struck twice
    assert not hand_slip("academic", "academia")  # c and a are apart on the keyboard: another word
    assert hand_slip("tokyo", "toyo")  # k beside o: a slip by the hand's measure, which short words need more than
    assert hand_slip("universitz", "universita")  # QWERTZ: z where QWERTY has y, beside the a
    assert not hand_slip("universe", "university")


@pytest.mark.parametrize(("typed", "meant"), [
    ("Yniversity of Oslo", "University of Oslo"),
    ("Universitu of Oslo", "University of Oslo"),
    ("Uinversity of Oslo", "University of Oslo"),
    ("Cntre for Marine Art", "Centre for Marine Art"),  # a kind word of six letters, a letter left out
    ("Colege of Music", "College of Music"),
    ("Hospitsl Nordby", "Hospital Nordby"),
])
def test_a_kind_word_slipped_at_its_edge_or_in_a_short_word_is_that_kind(typed, meant):
    assert normalize(typed) == normalize(meant)


@pytest.mark.parametrize("word", ["colleges", "hospitals", "academic", "clinical", "stage", "states", "schooling"])
def test_other_forms_of_a_kind_and_words_near_a_short_kind_stay(word):
    assert kind_typo(word) is None and kind_by_sound(word) is None


@pytest.mark.parametrize(("typed", "meant"), [
    ("Univerzitet u Sarajevu", "Universitet u Sarajevu"),  # z for s
    ("Univerzity of Greenland", "University of Greenland"),
    ("Instytut Nordby", "Institut Nordby"),
    ("Akademiya Nordby", "Akademia Nordby"),  # iya for ia
    ("Akademija Nordby", "Akademia Nordby"),
    ("Ékole Normale de Nordby", "École Normale de Nordby"),  # k for c in a five-letter kind
    ("Politekhnika Nordby", "Polytechnic Nordby"),
    ("Institoute of Management", "Institute of Management"),  # ou for u, as Greek and French write it
    ("Universitaet Nordby", "Universität Nordby"),
    ("Institouto Nordby", "Ινστιτούτο Nordby"),  # Greek ου, typed 'ou', folded 'oy'
])
def test_a_kind_word_written_as_it_sounds_is_that_kind(typed, meant):
    assert normalize(typed) == normalize(meant)


def test_a_sound_key_two_meanings_share_says_neither():
    assert sound_key("univerzitet") == sound_key("universitet") == "universitet"
    assert sound_key("kolleggium") == sound_key("collegium")
    meaning = {"kolej": "college", "koleg": "college", "kolei": "railway"}.get
    assert keyed(["kolej", "koleg"], meaning) == {"kolei": "kolej", "koleg": "koleg"}
    assert keyed(["kolej", "kolei"], meaning) == {}


def test_a_name_word_slipped_by_hand_aligns_where_its_ratio_falls_short():
    assert token_similarity("nsval", "naval") >= 0.8  # a neighbouring key in a five-letter word
    assert token_similarity("oxgord", "oxford") >= 0.8
    assert token_similarity("oxforf", "oxford") >= 0.8  # the last letter
    assert token_similarity("ixford", "oxford") == 0.0  # a vowel for a vowel
    assert token_similarity("llaos", "laos") >= 0.8  # a letter struck twice in a four-letter word
    assert token_similarity("porto", "porti") == 0.0  # a vowel for a vowel: a case ending, a romanisation
    assert token_similarity("toyo", "tokyo") == 0.0  # a letter left out of a short word makes another word
    assert token_similarity("lagos", "lagoa") >= 0.8 and token_similarity("lagos", "lagor") == 0.0  # r is far from s


def test_a_short_name_word_slipped_finds_its_institution():
    index = NameIndex.build([("lotus", "Nordby Lotus Academy", "NO", "official"),
                             ("nordby", "Nordby University", "NO", "official")])
    found = index.match("Nordby Lptus Academy", country="NO", limit=2)  # p beside o
    assert found and found[0].entity_id == "lotus" and found[0].band == "probable"
    far = index.match("Nordby Lrtus Academy", country="NO", limit=2)  # r is far from o
    assert not far or far[0].band != "probable"


def test_a_region_named_with_the_word_for_its_kind_is_the_region_word():
    assert {"shandong", "anhui", "xinjiang", "guangxi"} <= region_words("CN")  # "Shandong Sheng", "... Zizhiqu"
    assert {"gyeonggi", "busan"} <= region_words("KR")  # "Gyeonggi-do", "Busan-gwangyeoksi"
    assert "kemerovskaya" in region_words("RU") and "aqmola" in region_words("KZ")
    assert "sheng" not in region_words("CN")
    assert division_name(["komi"]) == ["komi"] and division_name(["do"]) == ["do"]
    assert division_name(["nei", "mongol", "zizhiqu"]) == ["nei", "mongol"]


def test_a_province_set_apart_is_the_place_not_a_name_word():
    index = NameIndex.build([("hefei", "Hefei University", "CN", "official"),
                             ("anhui", "Anhui University", "CN", "official")], cities={"hefei": "Hefei", "anhui": "Hefei"})
    found = index.match("Hefei University, Hefei, Anhui, China", country="CN", limit=2)
    assert found[0].entity_id == "hefei"
