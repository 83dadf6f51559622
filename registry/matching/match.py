"""What a match is, and the options that make matching stricter or looser."""

from __future__ import annotations

from dataclasses import dataclass, field

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
    penalties: list[str] = field(default_factory=list)
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
            "penalties": self.penalties,
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



def _penalise(match: Match, amount: float, why: str, options: MatchOptions) -> None:
    match.score = max(0.0, match.score - amount)
    match.penalties.append(f"{why} (-{amount:g})")
    match.explanation += f"; {match.penalties[-1]}"
    match.band = options.band(match.score)

