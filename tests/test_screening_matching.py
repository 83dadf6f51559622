"""Matching for screening: the cases that must hold, the labelled set, and the engine
improvements screening needed (legal forms, compass words, words written as one or two,
pruning by an upper bound of the score)."""

from __future__ import annotations

import csv

import pytest
from conftest import ROOT, TEST_DATA

from registry.importers.screening import read_list
from registry.matching import MatchOptions, NameIndex, align, normalize
from registry.screening import SCREENING_OPTIONS, best_matches, entity_entries

DATA = TEST_DATA / "screening"


@pytest.fixture(scope="module")
def entities():
    found = []
    for path, list_format in ((ROOT / "data" / "screening" / "china_defence_universities.csv", "aspi"),
                              (DATA / "fictitious_entities.csv", "csv"),
                              (DATA / "fictitious_targets.simple.csv", "opensanctions")):
        risk_list, _ = read_list(path, list_format)
        found += [(e.entity_id, e.name, e.aliases, e.countries) for e in risk_list.entities]
    return found


@pytest.fixture(scope="module")
def index(entities):
    return NameIndex.build(entity_entries(entities), options=SCREENING_OPTIONS)


@pytest.fixture(scope="module")
def entity_id(entities):
    ids = {name: entity for entity, name, _, _ in entities}
    return ids.__getitem__


def flagged(index, name, country=None):
    """{entity_id: band} of what screening would report for one partner name."""
    return {m.entity_id: m.band for m in best_matches(index, [("partner", name, country)]).values()}


@pytest.mark.parametrize("name, country, listed, band", [
    ("Harbin Inst. of Tech.", "CN", "Harbin Institute of Technology", "probable"),
    ("Harbin Inst. of Tech.", None, "Harbin Institute of Technology", "probable"),
    ("Fourth Military Medical University", "CN", "Air Force Medical University", "probable"),
    ("Beijing University of Aeronautics and Astronautics", "CN", "Beihang University", "probable"),
    ("哈尔滨工业大学", "CN", "Harbin Institute of Technology", "probable"),
    ("PLA Information Engineering University", "CN", "Information Engineering University", "probable"),
    ("Shanghai Jiaotong University", "CN", "Shanghai Jiao Tong University", "probable"),
    # transliteration: the listed name is Cyrillic or Greek, the partner's Latin (fictitious entities)
    ("Uralskiy Institut Oboronnykh Tekhnologiy", "RU", "Уральский институт оборонных технологий", "probable"),
    ("Institouto Amyntikis Technologias Thessalias", "GR", "Ινστιτούτο Αμυντικής Τεχνολογίας Θεσσαλίας", "probable"),
    ("Zarubinskiy Politekhnicheskiy Institut", "RU", "Zarubin Polytechnic Institute", "probable"),
    # acronyms: found, but alone never more than possible
    ("NUDT", "CN", "National University of Defense Technology", "possible"),
    ("BUAA", "CN", "Beihang University", "possible"),
    # legal forms come and go on sanctions lists
    ("Veridian Dynamics", "AE", "Veridian Fictitious Dynamics LLC", "probable"),
])
def test_must_match(index, entity_id, name, country, listed, band):
    assert flagged(index, name, country).get(entity_id(listed)) == band


@pytest.mark.parametrize("name, country, listed", [
    ("Nanjing University", "CN", "Nanjing University of Aeronautics and Astronautics"),
    ("Beijing Normal University", "CN", "Beijing Institute of Technology"),
    ("Beijing Normal University", "CN", "Peking University"),  # alias "Beijing University"
    ("Harbin Medical University", "CN", "Harbin Institute of Technology"),
    ("Northwestern University", "US", "Northwestern Polytechnical University"),
    ("Northeastern University", "US", "Northeastern University"),  # namesake in another country
    ("National Defense University", "US", "National Defense University"),
    ("University of Southern California", "US", "University of South China"),  # both USC
    ("USC", "US", "University of South China"),
    ("National Tsing Hua University", "TW", "Tsinghua University"),
    ("Tianjin Medical University", "CN", "Tianjin University"),
    ("Ural Federal University", "RU", "Уральский институт оборонных технологий"),
])
def test_must_not_match(index, entity_id, name, country, listed):
    assert entity_id(listed) not in flagged(index, name, country)


def test_nanjing_university_is_only_nanjing_university(index, entity_id):
    assert flagged(index, "Nanjing University", "CN") == {entity_id("Nanjing University"): "probable"}


def test_explanations_name_the_matched_variant_and_aligned_words(index, entity_id):
    exact = best_matches(index, [("p", "Harbin Inst. of Tech.", "CN")])[("p", entity_id("Harbin Institute of Technology"))]
    assert exact.matched_name == "Harbin Institute of Technology" and exact.exact
    assert ("harbin", "harbin", 1.0) in exact.aligned and ("technology", "technology", 1.0) in exact.aligned
    fuzzy = best_matches(index, [("p", "Kharmon State Defense Academy", "IR")])[("p", entity_id("Kharmon State Defence Academy"))]
    assert fuzzy.matched_name == "Kharmon State Defence Academy" and not fuzzy.exact
    assert ("defense", "defence", pytest.approx(0.857, abs=0.01)) in fuzzy.aligned
    assert "words aligned kharmon" in fuzzy.explanation and "defense~defence" in fuzzy.explanation


def labelled_pairs():
    with (DATA / "labelled_pairs.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_labelled_set_is_large_and_mostly_hard_negatives():
    pairs = labelled_pairs()
    assert len(pairs) >= 150
    assert sum(p["same"] == "no" for p in pairs) > len(pairs) / 2


def test_labelled_set_precision_and_recall(index, entity_id):
    """The figures benchmarks/screen.py prints; a drop below these is a regression."""
    counts = {(True, True): 0, (True, False): 0, (False, True): 0, (False, False): 0}
    wrong = []
    for pair in labelled_pairs():
        same = pair["same"] == "yes"
        found = entity_id(pair["entity_name"]) in flagged(index, pair["institution_name"], pair["institution_country"] or None)
        counts[(same, found)] += 1
        if same != found:
            wrong.append(pair["institution_name"] + " / " + pair["entity_name"])
    precision = counts[(True, True)] / (counts[(True, True)] + counts[(False, True)])
    recall = counts[(True, True)] / (counts[(True, True)] + counts[(True, False)])
    assert precision >= 0.98 and recall >= 0.95, wrong


def test_pruning_by_score_bound_changes_no_result(index):
    """match() without include_below skips candidates that cannot reach the possible band; the
    result must be what filtering the full result gives."""
    for pair in labelled_pairs():
        args = (pair["institution_name"], pair["institution_country"] or None)
        pruned = [(m.entity_id, round(m.score, 6)) for m in index.match(*args, limit=50)]
        full = [(m.entity_id, round(m.score, 6)) for m in index.match(*args, limit=50, include_below=True) if m.band != "below"]
        assert pruned == full, pair


# --- the engine improvements, on the engine's default options -------------------------------


def small_index(*names, **options):
    return NameIndex.build([(name, name, None, "official") for name in names], **options)


def test_legal_forms_and_their_abbreviations_weigh_little():
    assert normalize("Quillon Electronics Co., Ltd.") == "quillon electronics company limited"
    index = small_index("Veridian Dynamics LLC", "China Aerospace Science and Technology Corporation")
    assert index.match("Veridian Dynamics")[0].band == "probable"
    assert index.match("China Aerospace Science and Technology Corp.")[0].score == 1.0


def test_compass_words_align_only_with_the_same_direction():
    assert align(["eastern", "cape"], ["western", "cape"]) == [(1, 1, 1.0)]
    assert align(["northwestern"], ["northwest"])  # the same direction, another form
    index = small_index("University of the Western Cape")
    assert index.match("University of Eastern Cape") == []


def test_a_word_written_as_two_aligns_with_both():
    assert sorted(align(["shanghai", "jiaotong"], ["shanghai", "jiao", "tong"])) == [(0, 0, 1.0), (1, 1, 1.0), (1, 2, 1.0)]
    assert sorted(align(["tsing", "hua"], ["tsinghua"])) == [(0, 0, 1.0), (1, 0, 1.0)]
    match = small_index("Shanghai Jiao Tong University").match("Shanghai Jiaotong University")[0]
    assert match.score == 1.0  # the joined word counts once, not twice


def test_a_bracketed_acronym_or_local_name_is_context_not_an_extra_word():
    index = small_index("National University of Defense Technology")
    assert index.match("National University of Defense Technology (NUDT)")[0].band == "probable"
    assert index.match("National University of Defense Technology [国防科技大学]")[0].band == "probable"


def test_navy_and_naval_are_one_word():
    assert normalize("Naval Medical University") == normalize("Navy Medical University")


def test_screening_options_are_stricter_than_the_defaults():
    default = small_index("Tianjin University", "Tianjin Normal University")
    strict = small_index("Tianjin University", "Tianjin Normal University", options=SCREENING_OPTIONS)
    assert default.match("Tianjin Medical University", include_below=True)[0].score > \
        strict.match("Tianjin Medical University", include_below=True)[0].score
    assert SCREENING_OPTIONS.possible > MatchOptions().possible
