"""The state of a name index, declared once: building fills it, lookup and scoring read it."""

from __future__ import annotations

from registry.matching.match import MatchOptions
from registry.matching.memo import MEMO_PREFIX
from registry.matching.text import country_words, region_words
from registry.matching.words import MAX_WEIGHT, _fixed_weight

# The memos of the tables every process reading a cached index works out once from the index's lists alone (nothing
# read from outside it): the cities by their start (blocking's declined cities) and the one-word cities. Read back
# with the index (220 kB of the reference's 34 MB, about 6 ms) rather than worked out by every CLI call and by
# resolve_many before it forks (about 70 ms of CPU at load 11, 2026-12-07).
KEPT_TABLES = frozenset([MEMO_PREFIX + "_cities_by_start", MEMO_PREFIX + "_one_word_cities"])


class IndexState:
    """Every list and table ``NameIndex`` keeps, per entity and per name, and the word weights."""

    def __init__(self) -> None:
        self.options = MatchOptions()
        self.entity_ids: list[str] = []
        self.entity_country: list[str | None] = []
        self.entity_city: list[frozenset[str]] = []
        self.entity_acronyms: list[set[str]] = []
        self.entity_words: list[set[str]] = []
        self.entity_pos: dict[str, int] = {}
        self.name_entity: list[int] = []
        self.name_raw: list[str] = []
        self.name_kind: list[str] = []
        self.name_tokens: list[tuple[str, ...]] = []
        self.name_part: list[bool] = []  # a part of an 'A – B' name
        self.name_weight: list[float] = []
        self.exact: dict[str, tuple[int, ...]] = {}
        self.acronyms: dict[str, tuple[int, ...]] = {}  # acronym -> names it abbreviates (or is)
        self.initials: dict[str, tuple[int, ...]] = {}  # initials of a name -> that name
        self.postings: dict[str, tuple[int, ...]] = {}
        self.weights: dict[str, float] = {}
        self.trigrams: dict[str, tuple[str, ...]] = {}
        self.max_weight = MAX_WEIGHT
        self._acronym_names: set[int] = set()  # acronyms are judged by the acronym rules, not aligned
        # A country's words and its regions' one-word names, for every entity's country: kept in the index so that a
        # process reading a cached index (a resolve worker) never loads pycountry's subdivisions to score a name.
        self.country_places: dict[str | None, tuple[frozenset[str], frozenset[str]]] = {}
        # The readings of its names' long words (``text.word_readings``): a process reading the cached reference index reads
        # typed words it has seen from there (``text.keep_word_readings``). Filled for the reference index alone.
        self.word_readings: tuple[frozenset[str], dict[str, tuple[str, ...]]] = (frozenset(), {})

    def __getstate__(self) -> dict:
        """The index as pickled: without what lookups remembered (``memo``), which the next process fills afresh, but
        for the once-per-process tables worked out from the index's own lists alone (``KEPT_TABLES``)."""
        return {name: value for name, value in self.__dict__.items() if not name.startswith(MEMO_PREFIX) or name in KEPT_TABLES}

    def city_words_of(self, entity_id: str) -> frozenset[str]:
        """The words of an entity's city (none for an entity this index lacks)."""
        entity = self.entity_pos.get(entity_id)
        return self.entity_city[entity] if entity is not None else frozenset()

    def weight(self, token: str) -> float:
        """A word's weight; a word the index has never seen is as rare as a word can be."""
        known = self.weights.get(token)
        return known if known is not None else _fixed_weight(token, self.max_weight)

    def places_of(self, country: str | None) -> tuple[frozenset[str], frozenset[str]]:
        """The words of a country's names and of its regions' names (``country_words``, ``region_words``)."""
        found = self.country_places.get(country)
        if found is None:
            found = self.country_places[country] = (country_words(country), region_words(country))
        return found

    def country_words(self, country: str | None) -> frozenset[str]:
        return self.places_of(country)[0]

    def region_words(self, country: str | None) -> frozenset[str]:
        return self.places_of(country)[1]
