"""Properties that must hold for any input, found with hypothesis: records survive SQLite and
seed YAML unchanged, and the text functions keep their promises."""

from __future__ import annotations

import re

import pytest
import yaml
from conftest import new_registry
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from registry import db as store
from registry.exporters.seed import seed_document
from registry.importers import seed
from registry.importers.stored import record_inputs, stored_records
from registry.matching import normalize
from registry.matching.text import APPLIED_SCIENCES
from registry.models import Institution
from registry.schema_types import SLUG_PATTERN
from registry.text import fold, slugify

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Text as people type it into a spreadsheet: any letters, digits, punctuation and spaces, in any
# script, without control characters (the store refuses none, but no form produces them).
typed = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Co")), min_size=1, max_size=40)
# Cells that YAML, CSV and spreadsheets like to read as something else.
TRICKY = ["NO", "yes", "Off", "null", "~", "1e3", "0x10", "012", "2025-01-01", "12:30", "-", "? x", "# x", "@x",
          "'x", '"x"', "x: y", "=1+2", "+46", "1,5", "Łódź", "北京大学", "a\nb", "  padded  ", "tab\there"]
names = (st.sampled_from(TRICKY) | typed).filter(lambda text: text.strip() != "")
slugs = st.sampled_from(["1e3", "0x10", "012", "no", "null", "2025-01-01"]) | st.from_regex(
    r"[a-z0-9][a-z0-9-]{0,20}", fullmatch=True)


@st.composite
def institutions(draw):
    ident = draw(slugs)
    inputs = {
        "id": ident,
        "name": draw(names),
        "country": draw(st.sampled_from(["NO", "SE", "CN", "DE", "US", "BR"])),
        "local_name": draw(st.none() | names),
        "acronym": draw(st.none() | st.from_regex(r"[A-Z]{2,6}", fullmatch=True)),
        "city": draw(st.none() | names),
        "latitude": draw(st.none() | st.floats(-90, 90, allow_nan=False)),
        "longitude": draw(st.none() | st.floats(-180, 180, allow_nan=False)),
        "is_home": draw(st.booleans()),
        "names": [],
    }
    own = {inputs["name"].strip(), (inputs["local_name"] or "").strip(), inputs["acronym"] or ""}
    aliases = draw(st.lists(names.filter(lambda name: name.strip() not in own), max_size=3, unique_by=str.strip))
    inputs["names"] = [{"institution": ident, "name": name} for name in aliases]
    try:
        return Institution(**inputs)
    except ValidationError:
        assume(False)


def canonical(record: Institution) -> dict:
    """A record's inputs with its names in key order: the store keeps a child list as a set."""
    inputs = record_inputs(record)
    return {**inputs, "names": sorted(inputs["names"], key=lambda name: name["name"])}


@pytest.fixture
def fresh(tmp_path_factory):
    """New empty registries, as many as an example needs (copies of the one each test process makes)."""
    def make():
        return store.open_registry(new_registry(tmp_path_factory.mktemp("prop") / "r.db"))
    return make


@SETTINGS
@given(institution=institutions())
def test_a_record_comes_back_from_sqlite_as_it_went_in(fresh, institution):
    db = fresh()
    store.write_records(db, [institution], actor="test")
    stored = stored_records(db, "institutions", [(institution.id,)], children=["names"])[(institution.id,)]
    assert canonical(Institution(**stored)) == canonical(institution)
    assert store.plan_changes(db, [institution]).is_empty  # writing it again changes nothing


@SETTINGS
@given(records=st.lists(institutions(), max_size=4, unique_by=lambda record: record.id))
def test_seed_yaml_dumped_and_loaded_gives_the_same_records(fresh, tmp_path_factory, records):
    source, target = fresh(), fresh()
    store.write_records(source, records, actor="test")
    text = yaml.safe_dump(seed_document(source, ["institutions"]), sort_keys=False, allow_unicode=True, width=120)
    path = tmp_path_factory.mktemp("seed") / "dump.yml"
    path.write_text(text, encoding="utf-8")
    seed.load(target, [path], actor="test")
    loaded = stored_records(target, "institutions", children=["names"])
    assert loaded == stored_records(source, "institutions", children=["names"])
    assert sorted((canonical(Institution(**inputs)) for inputs in loaded.values()), key=lambda r: r["id"]) == sorted(
        (canonical(record) for record in records), key=lambda r: r["id"])


@given(text=typed)
def test_folding_is_lower_case_ascii_and_idempotent(text):
    folded = fold(text)
    assert folded.isascii() and folded == folded.lower() and folded == folded.strip()
    assert fold(folded) == folded


@given(text=typed)
def test_a_slug_is_an_id_the_store_accepts_and_stays_itself(text):
    try:
        slug = slugify(text)
    except ValueError:
        assert not re.search(r"[a-z0-9]", fold(text))  # refused only when nothing is left
        return
    assert re.fullmatch(SLUG_PATTERN, slug) and len(slug) <= 96
    assert slugify(slug) == slug


# A word of letters and digits; a kind of institution that several words name ("FH", "Hochschule",
# "University of Applied Sciences") is one word, its parts joined by '_' (text.KIND_PHRASES).
_WORD = r"[a-z0-9]+(_[a-z0-9]+)*"


@given(text=typed)
def test_a_normalised_name_is_words_of_letters_and_digits(text):
    normalised = normalize(text)
    assert re.fullmatch(rf"({_WORD}( {_WORD})*)?", normalised)
    assert normalize(text.upper()) == normalised or not text.isascii()


def test_a_kind_phrase_normalises_to_one_joined_word():
    """Found by the property above (hypothesis drew "FH"): the kind phrase is one word, joined by '_'."""
    assert normalize("FH") == normalize("Fachhochschule") == APPLIED_SCIENCES
    assert re.fullmatch(rf"({_WORD}( {_WORD})*)?", normalize("FH Aachen"))


@settings(SETTINGS, max_examples=25)
@given(institution=institutions(), suffix=st.sampled_from(["csv", "xlsx"]))
def test_an_exported_file_imports_back_to_the_same_record(fresh, tmp_path_factory, institution, suffix):
    from registry.exporters import export_file
    from registry.importers.flow import import_file
    from registry.importers.outcome import ImportOptions

    source, target = fresh(), fresh()
    store.write_records(source, [institution], actor="test")
    path = tmp_path_factory.mktemp("export") / f"institutions.{suffix}"
    export_file(source, path, kinds=["institutions"])
    again = import_file(source, path, ImportOptions(kind="institutions", dry_run=True))
    assert not again.refused and again.plan.is_empty, again.plan.counts()  # importing it again changes nothing
    report = import_file(target, path, ImportOptions(kind="institutions", create_missing=True))
    assert not report.refused, report.as_dict()
    # A table has a row per institution and no aliases: everything else comes back.
    def without_aliases(record: Institution) -> dict:
        return {name: value for name, value in record_inputs(record).items() if name != "names"}

    loaded = stored_records(target, "institutions")
    assert [without_aliases(Institution(**inputs)) for inputs in loaded.values()] == [without_aliases(institution)]


# Words as offices mistype them: a kind, place or direction word with up to two slips (a letter struck for another,
# doubled, dropped, added, two swapped, an ending added).
_BASE_WORDS = ["university", "universidade", "hospital", "medicine", "system", "aragon", "gomel", "tomsk", "northern",
               "southwest", "sciences", "technology", "helsinki", "oulu", "tampere", "institute", "politecnico",
               "shanghai", "medical", "nacional", "federal", "western", "state", "college"]


@st.composite
def _slipped_word(draw):
    word = draw(st.sampled_from(_BASE_WORDS))
    for _ in range(draw(st.integers(0, 2))):
        k = draw(st.integers(0, len(word) - 1))
        letter = draw(st.sampled_from("abcdefghijklmnopqrstuvwxyz"))
        word = draw(st.sampled_from([
            word[:k] + letter + word[k + 1:], word[:k] + word[k] + word[k:], word[:k] + word[k + 1:] or word,
            word[:k] + letter + word[k:], word[:k] + word[k + 1:k + 2] + word[k] + word[k + 2:],
            word + draw(st.sampled_from(["ski", "ern", "s", "a", "en", "ensis"]))]))
    return word


@SETTINGS
@given(_slipped_word(), st.sampled_from(_BASE_WORDS), st.sampled_from([0.75, 0.8, 0.85]))
def test_the_reach_bound_pairs_every_word_pair_align_pairs(typed_word, name_word, minimum):
    """The reach test's bound (registry/matching/unpaired.py) copies align's word rules to drop a name before aligning
    it: it may pair more than align does, never fewer, or it would drop a name that reaches the band."""
    from registry.matching import unpaired
    from registry.matching.words import align

    assume(typed_word != name_word)
    if align((typed_word,), (name_word,), minimum):
        assert unpaired._alike(typed_word, name_word, minimum)
