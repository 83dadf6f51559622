"""What a match is, and the options that make matching stricter or looser."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

QUALIFIER_PENALTY = 0.08  # per qualifier word on one side only
KIN_PENALTY = 0.07  # per kind written for its kin ('University' for a university of applied sciences): the named kind leads
FORMER_PENALTY = 0.1  # a former name that another entity carries today: the current holder comes first
PART_PENALTY = 0.08  # matched a part of the text, or a part of an 'A – B' name, not the whole
UNPLACED_PENALTY = 0.02  # and the words set apart are not its place ("University of California, *Davis*")
LATER_PENALTY = 0.07  # per institution named before it in the text: the first named is the one meant
PLACE_AS_NAME_PENALTY = 0.1  # a word written apart as a place, aligned as a name word
ACRONYM_SCORE = 0.93  # an acronym with support (country, city, a word of the name)
INITIALS_SCORE = 0.9  # initials of a name ('NKUA') with support
KINDS = ("official", "local", "alias", "acronym", "former")


class PenaltyKind(Enum):
    """What a penalty holds against a match: rules that read penalties (resolve's) test the kind, never the wording."""

    QUERY_WORDS = "query words"  # words of the text the name lacks
    NAME_WORDS = "name words"  # words of the name the text lacks
    PLACE_AS_NAME = "place as name"  # a word written apart as a place, aligned as a name word
    QUALIFIER = "qualifier"  # a word that tells institutions of one city apart, on one side only
    KIN = "kin"  # a kind written for its kin ('University' for a university of applied sciences)
    NAME_PART = "name part"  # the name matched is a part of an 'A - B' name
    COUNTRY = "country"  # the country given is not the entity's
    UNIT_IGNORED = "unit ignored"  # a unit of the text ('Faculty of Medicine') was passed over
    GENERIC_ONLY = "generic only"  # the name has only generic words
    CARRIED_BY_ANOTHER = "carried by another"  # a former name or alias that another entity carries today
    TEXT_PART = "text part"  # matched a part of the text only
    JOINED_PART = "joined part"  # the text names a longer name of which this is a part
    FOUND_WITHIN = "found within"  # the name was found within a longer text
    ACRONYM_ALONE = "acronym alone"  # an acronym alone is not enough


class Penalty(str):
    """A penalty as the explanation writes it, and its kind (and, for unmatched words, the words): a string, so
    explanations, screening and JSON show it as before."""

    kind: PenaltyKind
    words: tuple[str, ...]

    def __new__(cls, kind: PenaltyKind, text: str, words: tuple[str, ...] = ()) -> Penalty:
        penalty = super().__new__(cls, text)
        penalty.kind = kind
        penalty.words = words
        return penalty

    def __reduce__(self):  # pickled back from a resolve worker: rebuilt from its parts
        return Penalty, (self.kind, str(self), self.words)


@dataclass
class Match:
    entity_id: str
    score: float  # 0..1
    band: str  # probable, possible, below
    matched_name: str
    query_name: str
    explanation: str
    aligned: list[tuple[str, str, float]] = field(default_factory=list)  # (query word, name word, similarity)
    matched_kind: str | None = None
    country: str | None = None
    penalties: list[Penalty] = field(default_factory=list)
    exact: bool = False
    acronym: bool = False

    def as_dict(self) -> dict:
        return {
            "entity_id": self.entity_id,
            "score": round(self.score, 4),
            "band": self.band,
            "matched_name": self.matched_name,
            "matched_kind": self.matched_kind,
            "query_name": self.query_name,
            "country": self.country,
            "explanation": self.explanation,
            "aligned": [[q, n, round(s, 3)] for q, n, s in self.aligned],
            "penalties": [str(penalty) for penalty in self.penalties],
        }


@dataclass(frozen=True)
class MatchOptions:
    """How strict matching is. Screening may raise the extra-word penalty or move the bands."""

    extra_word_penalty: float = 0.5  # weight of the indexed name's unmatched words
    query_extra_penalty: float = 1.0  # weight of the query's unmatched words
    country_penalty: float = 0.2  # subtracted when both countries are known and differ
    probable: float = 0.88
    possible: float = 0.7
    min_token_similarity: float = 0.8  # rapidfuzz ratio/100 below which words do not align
    accept_unique_acronyms: bool = False  # an acronym unique in this index is evidence enough
    candidates: int = 12  # names aligned in full per query, after blocking
    spelling_variants: bool = False  # block on indexed words close to the query's (defence/defense)

    def band(self, score: float) -> str:
        return "probable" if score >= self.probable else "possible" if score >= self.possible else "below"



def _penalise(match: Match, amount: float, kind: PenaltyKind, why: str, options: MatchOptions) -> None:
    match.score = max(0.0, match.score - amount)
    match.penalties.append(Penalty(kind, f"{why} (-{amount:g})"))
    match.explanation += f"; {match.penalties[-1]}"
    match.band = options.band(match.score)

