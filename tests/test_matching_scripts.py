"""Names ROR lists only in their own script: kind words read as such before folding (Arabic, Persian, Hebrew, Thai
...), Cyrillic kind adjectives whatever their case, eponym markers that follow the person's name, places written
without vowels, words the reference translates; and a title in a national-language name. The institutions are real
(facts from ROR, CC0); the typed forms are written for these tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_tool

from registry.matching import NameIndex, normalize
from registry.matching.scripts import kind_stem, skeleton
from registry.matching.text import parse_query

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("typed, expected", [
    ("جامعة", "university"), ("الجامعة", "university"), ("دانشگاه", "university"), ("پوهنتون", "university"),
    ("אוניברסיטת", "university"), ("համալսարան", "university"), ("كلية", "college"), ("المعهد", "institute"),
    ("مستشفى", "hospital"), ("أكاديمية", "academy"), ("اكاديمية", "academy"),
    ("Их Сургууль", "university"),
    ("جَامِعَة", "university"), ("الْجَامِعَةُ", "university"),  # with its vowel marks
])
def test_a_kind_word_of_another_script_is_the_kind(typed, expected):
    assert normalize(typed) == expected


def test_a_kind_word_inside_a_run_of_thai_letters_is_found():
    assert normalize("มหาวิทยาลัยทักษิณ").split()[0] == "university"
    assert normalize("โรงพยาบาลศิริราช").split()[0] == "hospital"


@pytest.mark.parametrize("typed, expected", [
    ("Белорусская государственная академия", "state academy"),
    ("Гомельскі дзяржаўны медыцынскі ўніверсітэт", "state medical university"),
    ("Вінницький державний педагогічний університет", "state pedagogical university"),
    ("Уральский политехнический институт", "polytechnic institute"),
    ("Казанский федеральный университет", "federal university"),
])
def test_cyrillic_kind_adjectives_are_read_whatever_their_ending(typed, expected):
    assert normalize(typed).endswith(expected)


def test_a_stem_with_another_word_run_on_is_no_kind():
    assert kind_stem("universiteta") == "university" and kind_stem("gosudarstvennogo") == "state"
    assert kind_stem("universitetssjukhuset") is None  # a university hospital, one Swedish word
    assert kind_stem("institutional") is None
    assert kind_stem("institutes") is None  # the National Institutes of Health


@pytest.mark.parametrize("typed, expected", [
    ("Әбілқас Сағынов атындағы Қарағанды техникалық университеті", ("qaraghandy", "technology", "university")),
    ("Շիրակի Միքայել Նալբանդյանի անվան պետական համալսարան", ("shiraki", "state", "university")),
    ("Донишгоҳи давлатии Хоруғ ба номи М. Назаршоев", ("university", "state", "khorugh")),
])
def test_an_eponym_marker_after_or_before_the_person(typed, expected):
    assert expected in parse_query(typed).variants


def test_consonants_are_what_scripts_without_vowels_and_english_share():
    assert skeleton("benghazi") == skeleton("bnghzy")
    assert skeleton("najran") == skeleton("njrn")
    assert skeleton("khartoum") == skeleton("khrtwm")
    assert skeleton("kurdistan") != skeleton("kordofan")


@pytest.mark.parametrize("typed, city", [
    ("جامعة نجران", "najran"),  # the consonants of the extract's city
    ("جامعة الخرطوم", "khartoum"),  # CLDR's Arabic name of the capital, as matching folds it
    ("جامعة بنغازي", "benghazi"),
])
def test_a_place_written_without_vowels_is_the_city(typed, city):
    assert normalize(typed) == f"university {city}"


@pytest.fixture(scope="module")
def index() -> NameIndex:
    return NameIndex.build([
        ("gomel-med", "Gomel State Medical University", "BY", "official"),
        ("gomel", "Francisk Skorina Gomel State University", "BY", "official"),
        ("khartoum", "University of Khartoum", "SD", "official"),
        ("najran", "Najran University", "SA", "official"),
        ("kuwait", "Kuwait University", "KW", "official"),
        ("ujmd", "Jose Matias Delgado University", "SV", "official"),
    ], cities={"gomel-med": "Gomel", "gomel": "Gomel", "khartoum": "Khartoum", "najran": "Najran", "kuwait": "Kuwait"})


@pytest.mark.parametrize("typed, country, expected", [
    ("Гомельскі дзяржаўны медыцынскі ўніверсітэт", "BY", "gomel-med"),  # 'gomelski' is Gomel's, however long
    ("جامعة الخرطوم", "SD", "khartoum"),
    ("جامعة نجران", "SA", "najran"),
    ("جامعة الكويت", "KW", "kuwait"),
    ("Universidad Dr. José Matías Delgado", "SV", "ujmd"),  # a title says as little as a function word
])
def test_a_name_written_only_natively_finds_the_english_name(index, typed, country, expected):
    found = index.match(typed, country)
    assert found and found[0].entity_id == expected and found[0].band == "probable", found[:2]


def test_city_skeletons_table_is_what_the_tool_derives(tmp_path):
    output = tmp_path / "derived.csv"
    run_tool("derive_city_skeletons.py", "--target", str(output))
    assert output.read_text(encoding="utf-8") == (ROOT / "data" / "matching" / "city_skeletons.csv").read_text(encoding="utf-8")


def test_a_word_of_another_script_reads_as_the_english_word_the_reference_writes_beside_it():
    assert normalize("Харківський національний медичний університет") == "kharkiv national medical university"
    assert normalize("جامعة العلوم والتكنولوجيا الأردنية").split()[-1] == "jordan"
    from registry.matching.text import TRANSLATIONS

    assert "hospital" not in TRANSLATIONS and "tehran" not in TRANSLATIONS  # words Latin names use are never translated


def test_word_translations_table_is_what_the_tool_derives(tmp_path):
    output = tmp_path / "derived.csv"
    # a process of its own: the tool empties the translations and skeletons registry.matching has loaded
    subprocess.run([sys.executable, str(ROOT / "tools" / "derive_word_translations.py"), "--target", str(output)],
                   check=True, capture_output=True)
    assert output.read_text(encoding="utf-8") == (ROOT / "data" / "matching" / "word_translations.csv").read_text(encoding="utf-8")


@pytest.mark.parametrize("native, romanised", [
    ("北京大学", "beijing university"),  # a syllable at a time it is 'bei jing da xue'
    ("上海交通大学", "shanghai jiaotong university"),
    ("서울대학교", "seoul university"),  # the kind word stays a kind, Hangul as Chinese characters
    ("北京大学医学部", "beijing university yixue bu"),
])
def test_a_name_in_chinese_characters_is_read_two_syllables_to_a_word(native, romanised):
    from registry.matching.text import syllables_joined

    assert normalize(syllables_joined(native)) == romanised
    assert syllables_joined("Peking University") is None


def test_a_name_listed_only_in_chinese_characters_is_found_as_people_write_it_in_latin_letters(tmp_path):
    """An invented university whose English name says nothing of its Chinese one (as 'Peking University' of 北京大学):
    a coordinator types the Chinese name romanised, the kind in English."""
    from conftest import registry_with_reference, ror_record

    from registry.resolve import resolve

    record = ror_record("0cjk00001", "Mistbrook University", "Mistbrook", "CN")
    record["names"].append({"value": "霁澜大学", "types": ["label"], "lang": "zh"})
    # the city's other universities, each 'Jilan' and a word more, as Beijing's are
    others = [ror_record(f"0cjk0001{k}", f"Jilan {kind} University", "Mistbrook", "CN")
              for k, kind in enumerate(("Polytechnic", "Forestry", "Normal", "Medical"))]
    db = registry_with_reference(tmp_path, [record, *others])
    try:
        for typed in ("Jilan University", "JILAN UNIVERSITY"):
            result = resolve(db, typed, "CN")
            assert result.status == "matched" and result.best.reference_id == "0cjk00001", (typed, result.reason)
            # the name as a whole, not put together from its syllables ('ji', 'lan'), which a reference of many
            # names in Chinese characters shares with hundreds of them
            assert result.best.reason.startswith("ror: exact match on local name '霁澜大学'"), result.best.reason
        assert resolve(db, "Jilan Normal University", "CN").best.reference_id == "0cjk00012"
    finally:
        db.conn.close()


def test_a_word_written_without_vowels_is_the_word_of_a_latin_name_with_its_consonants(monkeypatch):
    from registry.matching import scripts

    # an invented institution's word, as tools/derive_name_skeletons.py would key it: its head and consonants
    monkeypatch.setitem(scripts.NAME_SKELETONS, ("z", skeleton("zarbuqa")), ("zarbuqa", frozenset()))
    assert normalize("جامعة زربوقة") == "university zarbuqa"
    index = NameIndex.build([("zarbuqa", "Zarbuqa University", "SA", "official"),
                             ("other", "University of Qarmelin", "SA", "official")])
    found = index.match("جامعة زربوقة", "SA")
    assert found and found[0].entity_id == "zarbuqa" and found[0].band == "probable", found[:2]


def test_a_word_with_another_head_or_few_consonants_or_a_translation_keeps_its_letters(monkeypatch):
    from registry.matching import scripts

    monkeypatch.setitem(scripts.NAME_SKELETONS, ("z", skeleton("zarbuqi")), ("zarbuqi", frozenset()))
    monkeypatch.setitem(scripts.NAME_SKELETONS, ("z", skeleton("zaro")), ("zaro", frozenset()))
    monkeypatch.setitem(scripts.NAME_SKELETONS, ("t", skeleton("tarmuli")), ("tarmuli", frozenset()))
    monkeypatch.setitem(scripts.NAME_SKELETONS, ("k", skeleton("qalimun")), ("qalimun", frozenset(["klymwn"])))
    monkeypatch.setitem(scripts.TRANSLATIONS, "ltrmwly", "harbour")
    assert "zarbuqi" not in normalize("جامعة أزربوقي")  # an alif before it: a vowel begins the word
    assert "zaro" not in normalize("جامعة زارو")  # two consonants name too many words
    assert normalize("جامعة الترمولي") == "university harbour"  # what the reference writes beside it comes first
    assert "qalimun" not in normalize("جامعة كليمون")  # a native word the reference's records show to be another
    assert "qalimun" in normalize("جامعة قليمن")


def test_name_skeletons_table_is_what_the_tool_derives(tmp_path):
    output = tmp_path / "derived.csv"
    run_tool("derive_name_skeletons.py", "--target", str(output))
    assert output.read_text(encoding="utf-8") == (ROOT / "data" / "matching" / "name_skeletons.csv").read_text(encoding="utf-8")
