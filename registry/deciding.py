"""The rules that decide between a typed name's candidates (registry.resolve): whether one is
clearly ahead (``decide``), and the readings an experienced coordinator adds where the scores
alone leave a question or answer too readily (a university system for one of its campuses, a
country or a place named at the end of the text, a university named with its own units, a text
of places only), and which texts are no name (``not_a_name``, ``only_generic``).

Each rule takes the candidates best first and the status and reason so far, and returns them,
changed only where it applies. ``RULES`` is the chain the resolver reads after the scores: each rule
registered by ``@rule`` with its code, name, the statuses it reads and its rationale, in the order
they run (``rules_markdown`` writes the list for docs/matching.md)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from registry.matching import Match, MatchOptions, NameIndex
from registry.matching.affiliation_text import places_set_apart
from registry.matching.match import PenaltyKind
from registry.matching.text import (
    CAMPUS_WORDS,
    GENERIC,
    HIGHER_EDUCATION_WORDS,
    RESEARCH_UNIT_WORDS,
    STOPWORDS,
    country_words,
    exact_key,
    fold_name,
    other_country,
    parse_query,
    segment_country,
    tokens_of,
)
from registry.resolution import MARGIN, Candidate
from registry.text import fold

SHORTENED_FLOOR = 0.8  # the one possible candidate with every typed word is the name written short from here
# what keeps such a candidate a question: a typed word it lacks, another country, a part of the text or of the name
# matched, a unit of the text passed over, a word set apart as a place read as a name word
_NOT_SHORTENED = frozenset([PenaltyKind.QUERY_WORDS, PenaltyKind.COUNTRY, PenaltyKind.TEXT_PART, PenaltyKind.NAME_PART,
                            PenaltyKind.UNIT_IGNORED, PenaltyKind.PLACE_AS_NAME])


MAX_NAME = 500  # characters: a longer text is no partner's name


def not_a_name(name: str | None) -> str | None:
    """Why a typed text cannot be resolved at all, or None: empty, one character, longer than any
    name, or no letter or digit."""
    text = (name or "").strip()
    if not text:
        return "not a name: the text is empty"
    if len(text) > MAX_NAME:
        return f"not a name: {len(text):,} characters (a name has at most {MAX_NAME})"
    if not any(c.isalnum() for c in text) and not any(c.isalnum() for c in fold(text)):  # folded only if need be
        return "not a name: only punctuation or symbols"
    if len(text) == 1:
        return "not a name: a single character"
    return None


def shortened(merged: list[Candidate], status: str, reason: str) -> tuple[str, str]:
    """'Oslo School of Architecture' (NO) for the Oslo School of Architecture and Design: with the country, the one
    candidate of the possible band, from ``SHORTENED_FLOOR``, that has every word of the text, read whole and in
    the country given, is the name written short. A word of the text the name lacks, a part of the text or of the
    name matched, a word set apart as a place read as a name word, or a second candidate keeps it a question."""
    shown = [c for c in merged if c.band != "below" and c.usable]
    top = merged[0] if merged else None
    if top is None or shown != [top] or top.match is None or top.acronym or top.score < SHORTENED_FLOOR:
        return status, reason
    if any(p.kind in _NOT_SHORTENED for p in top.match.penalties):
        return status, reason
    missing = next((" ".join(p.words) for p in top.match.penalties if p.kind is PenaltyKind.NAME_WORDS), "")
    top.score, top.band = max(top.score, MatchOptions().probable), "probable"
    top.reason += "; the name written short"
    return "matched", "the only candidate, and it has every word of the text: the name written short" + (
        f" (without {missing!r})" if missing else "")


SYSTEM_PENALTY = 0.1  # a university system matched on a text that does not say 'system'


def system_for_campus(text: str, merged: list[Candidate], status: str, reason: str) -> tuple[list[Candidate], str, str]:
    """'Department of Mathematics, University of Illinois, Urbana': a university system's record (its name says
    'system') matched on a text that does not say so names one of its campuses, each an institution of its own that
    the words alone cannot tell: the system stays a candidate, not a confident answer."""
    top = merged[0]
    if "system" not in top.name.lower():  # most names: no folding
        return merged, status, reason
    words = set(tokens_of(fold_name(top.name)))
    if "system" not in words or "university" not in words or "system" in tokens_of(fold_name(text)):
        return merged, status, reason
    options = MatchOptions()
    top.score -= SYSTEM_PENALTY
    top.band = options.band(top.score)
    top.reason += f"; a university system, where the text does not say so: one of its campuses may be meant (-{SYSTEM_PENALTY:g})"
    merged = sorted(merged, key=lambda c: (-c.score, not c.usable, c.source != "registry", not c.exact, c.name))
    return (merged, *decide(merged))


def country_named_last(text: str, merged: list[Candidate], status: str, reason: str) -> tuple[str, str]:
    """'Dipartimento di Ingegneria ... Università di Palermo Viale delle Scienze 90128 Palermo Italy': namesakes of
    the probable band too close to tell apart, of which exactly one is in the country the text ends with (an
    address's last words), and that country's name is no word of the names matched: the text says which. As ROR's
    affiliation matcher picks among candidates by the country."""
    top = merged[0]
    if top.band != "probable" or not top.usable:
        return status, reason
    tokens = tokens_of(fold_name(text))
    named = next((code for size in (3, 2, 1) if len(tokens) > size and (code := segment_country(tuple(tokens[-size:])))), None)
    if named is None:
        return status, reason
    close = [c for c in merged if c.usable and c.band == "probable" and c.score > top.score - MARGIN]
    theirs = [c for c in close if c.country and not other_country(named, c.country)]
    if len(close) < 2 or len({c.reference_id or c.institution_id for c in theirs}) != 1:
        return status, reason
    words = country_words(named)
    if any(words.intersection(tokens_of(fold_name(c.matched_name))) for c in close):
        return status, reason  # 'University of Georgia': the country's name is a name's word, not an address's
    chosen = theirs[0]
    merged.remove(chosen)
    merged.insert(0, chosen)
    chosen.reason += f"; the text ends with its country ({named})"
    return "matched", f"the text ends with {named}, the country of {chosen.name} alone among the close candidates"


_INITIAL = re.compile(r"(?<![A-Za-z])[A-Z]\.")  # an initial: "U." for University


def only_its_place(text: str, merged: list[Candidate], status: str, reason: str, index: NameIndex) -> tuple[str, str]:
    """'Madison, Wisconsin, USA', 'Faculty of Medicine, Belgrade, Serbia': every word the match rests on is the
    candidate's city, region or country. A place is no institution's name, however many institutions carry it:
    the candidate stays, but as a question."""
    top = merged[0]
    if top.match is None or top.acronym:
        return status, reason
    words = {q for q, _, _ in top.match.aligned} or set(tokens_of(fold_name(top.matched_name)))
    words -= STOPWORDS
    if not words or words & GENERIC:
        return status, reason
    countries, regions = index.places_of(top.country)  # kept with the index: pycountry's regions are not read again
    rest = words - countries - regions
    city = set(tokens_of(fold_name(top.city))) if top.city else set()  # "St. Louis": saint louis
    if not rest <= city:
        return status, reason
    if _INITIAL.search(text):  # "U. Porto": a kind written as its initial
        return status, reason
    top.reason += "; the words matched are only its place"
    return "ambiguous", f"the text names only {top.name}'s place ({' '.join(sorted(words))}), not the institution"


# Words that make a name a research or clinical unit's rather than a place of higher education's.
def university_over_its_units(merged: list[Candidate], status: str, reason: str) -> tuple[str, str]:
    """'Kangbuk Samsung Hospital, Sungkyunkwan University School of Medicine', 'Information Sciences Institute,
    University of Southern California': a university and research centres, institutes or hospitals named in one text, each matched as
    closely: the text is a unit's address within the university, and the university is the affiliation (as ROR's
    curated sets answer). Only where exactly one close candidate is a university or college and every other one is
    such a unit."""
    top = merged[0]
    close = [c for c in merged if c.usable and c.band == "probable" and c.score > top.score - MARGIN]
    if len(close) < 2:
        return status, reason
    words = [set(tokens_of(fold_name(c.matched_name))) for c in close]
    higher = [c for c, w in zip(close, words, strict=True) if w & HIGHER_EDUCATION_WORDS]
    units = [c for c, w in zip(close, words, strict=True) if not w & HIGHER_EDUCATION_WORDS and w & RESEARCH_UNIT_WORDS]
    if (not units or len({c.reference_id or c.institution_id for c in higher}) != 1
            or len(higher) + len(units) != len(close)):
        return status, reason
    chosen = higher[0]
    merged.remove(chosen)
    merged.insert(0, chosen)
    chosen.reason += "; the other close candidates are units the text places within it"
    return "matched", f"{chosen.name}: the text names units of it ({units[0].name}) with it"


def whole_text_named(text: str, merged: list[Candidate], status: str, reason: str) -> tuple[str, str]:
    """'School of Oriental and African Studies, University of London': close probable candidates, of which exactly one
    has the whole text as one of its names (the others a part of it: the university that a unit's segment is read
    with). The text is that name, as a coordinator reads a name written whole, not a unit and its university."""
    top = merged[0]
    close = [c for c in merged if c.usable and c.band == "probable" and c.score > top.score - MARGIN]
    if len(close) < 2:
        return status, reason
    key = exact_key(tokens_of(fold_name(text)))
    whole = [c for c in close if c.exact and exact_key(tokens_of(fold_name(c.matched_name))) == key]
    if len({c.reference_id or c.institution_id for c in whole}) != 1 or len(whole) == len(close):
        return status, reason
    # Only where every other close candidate is named by a part of the text (its words a strict part of the text's):
    # a record named in another language ('Kobenhavns Universitet' for 'University of Copenhagen') is the same
    # institution recorded twice, which a person decides.
    words = set(tokens_of(fold_name(text))) - STOPWORDS
    if any(not (set(tokens_of(fold_name(c.matched_name))) - STOPWORDS) < words for c in close if c not in whole):
        return status, reason
    chosen = whole[0]
    merged.remove(chosen)
    merged.insert(0, chosen)
    chosen.reason += "; its name is the whole text"
    other = next(c for c in close if c is not chosen)
    return "matched", f"the whole text is a name of {chosen.name}; {other.name} is named by a part of it"


def only_generic(name: str) -> bool:
    """'University', 'Hospital', 'Institute of Technology': words that say what kind of body, not which."""
    tokens = [t for t in tokens_of(fold(name)) if t not in STOPWORDS]
    return bool(tokens) and all(t in GENERIC or t in _KIND_WORDS for t in tokens)


_KIND_WORDS = frozenset(["hospital", "technology", "science", "medical", "center", "school", "clinic", "research", "applied",
                        "arts", "hochschule", "fachhochschule", "hogeschool", "hogskola", "angewandte", "wissenschaften"])


def place_decides(text: str, merged: list[Candidate], status: str, reason: str) -> tuple[list[Candidate], str, str]:
    """'Universidad de Los Lagos, Osorno campus', 'Universidad Metropolitana, Managua campus': namesakes tied at the
    top, and a place set apart in the text that is the city of exactly one candidate of the possible band: a
    coordinator reads the campus or city and takes that one. Never where two candidates have that city."""
    close = [c for c in merged if c.usable and c.band == "probable"]
    if len(close) < 2:
        return merged, status, reason
    close = [c for c in close if c.score > close[0].score - MARGIN]
    # the places set apart: a segment after the first, less its campus words and postcode ("Panama City campus",
    # "Dubai", "69117 Heidelberg")
    apart = {frozenset(words) - CAMPUS_WORDS for words in places_set_apart(parse_query(text).segments, STOPWORDS)}
    if not apart:
        return merged, status, reason
    placed = [c for c in merged if c.usable and c.band != "below" and c.city
              and frozenset(tokens_of(fold_name(c.city))) - STOPWORDS in apart]
    if len(placed) != 1 or placed[0] not in close:
        return merged, status, reason
    chosen = placed[0]
    other = next(c for c in close if c is not chosen)
    chosen.reason += f"; {chosen.city} set apart in the text is its city"
    return [chosen] + [c for c in merged if c is not chosen], "matched", (
        f"{chosen.city}, set apart in the text, is its city, not {other.name}'s ({other.city or 'no city'})")


def namesake_placed_elsewhere(text: str, merged: list[Candidate], status: str, reason: str,
                              index: NameIndex) -> tuple[list[Candidate], str, str]:
    """'City of Hope, Duarte, CA' matched to the City of Hope in Lancaster, 'Washington University ..., St. Louis,
    Missouri' to the University of Washington (Seattle): the name matched is carried by several institutions, and the
    address sets apart the city of another of them, not the candidate's. A coordinator reads the address: that
    namesake is meant; where the candidates do not show it, the candidate stays, as a question."""
    top = merged[0]
    if top.match is None or top.acronym or not top.reference_id or "," not in text:
        return merged, status, reason
    # a country or a region of the candidate's is no other city ("University of Hong Kong, Hong Kong"; "Delhi")
    regions = index.region_words(top.country)
    places = [frozenset(words) for words in places_set_apart(parse_query(text).segments, STOPWORDS)
              if not segment_country(words) and not set(words) <= regions]
    city = index.city_words_of(top.reference_id)
    if not places or city in places:
        return merged, status, reason  # an address that names the candidate's city is its address
    # (the namesakes asked only now: reading them is the dearer test, and a text that names the candidate's own
    # city needs none)
    holders = index.plain_holders(top.matched_name, None)
    if top.reference_id not in holders or len(holders) < 2:
        return merged, status, reason
    placed = {other for other in holders - {top.reference_id} if index.city_words_of(other) in places}
    if len(placed) != 1:
        return merged, status, reason
    there = [c for c in merged[1:] if c.usable and c.band != "below" and c.reference_id in placed]
    if there:
        chosen = there[0]
        chosen.reason += f"; {chosen.city}, set apart in the address, is its city"
        return [chosen] + [c for c in merged if c is not chosen], "matched", (
            f"the address names {chosen.city}, the city of {chosen.name}, not {top.name}'s ({top.city or 'no city'})")
    top.reason += "; the address names the city of a namesake"
    return merged, "ambiguous", f"the address names the city of another institution that carries the name, not {top.name}'s"


def _part_against_whole(top: Candidate, rival: Candidate) -> bool:
    """'Pan African University Institute for Governance, Humanities and Social Sciences': an exact match on a part of
    the text only ('Pan-African University') does not outrank, by being exact, a close candidate read on the whole,
    one that matches at least two more of the text's own words (one more is a place's: 'New York *City*')."""
    if top.match is None or rival.match is None:
        return False
    if not any(p.kind is PenaltyKind.TEXT_PART for p in top.match.penalties):
        return False
    if any(p.kind is PenaltyKind.TEXT_PART for p in rival.match.penalties):
        return False
    more = {q for q, _, _ in rival.match.aligned} - {q for q, _, _ in top.match.aligned} - STOPWORDS - GENERIC
    return len(more) >= 2


def decide(candidates: list[Candidate]) -> tuple[str, str]:
    """matched, ambiguous or new, and why."""
    if not candidates:
        return "new", "no name in the registry or the reference comes close"
    top = candidates[0]
    # A withdrawn record without a successor is shown, but neither matched nor a rival.
    rival = next((c for c in candidates[1:] if c.band != "below" and c.usable), None)
    if top.band == "probable" and top.usable:
        if rival is None:
            return "matched", "the only candidate in the probable or possible band"
        lead = top.score - rival.score
        if lead >= MARGIN:
            return "matched", f"leads the next candidate ({rival.name}) by {lead:.2f}"
        # the same words in another order ("University of Lincoln" / "Lincoln University") score as high: in the
        # reference the exact name is the one typed; two of the registry's own records stay a question (a duplicate)
        if top.exact and not rival.exact and not _part_against_whole(top, rival) and (
                rival.score < top.score - 0.005 or (rival.score <= top.score and "registry" not in (top.source, rival.source))):
            return "matched", f"exact match; the next candidate ({rival.name}) is not"
        return "ambiguous", f"{rival.name} scores {rival.score:.2f}, too close to {top.score:.2f}"
    if any(c.band != "below" for c in candidates):
        why = "the best candidate is withdrawn or inactive" if top.band == "probable" else "no probable candidate"
        return "ambiguous", why
    return "new", "no candidate reaches the possible band"


# -- the chain: the rules in the order the resolver reads them after the scores ----------------------------------------

ANY_STATUS = frozenset(["matched", "ambiguous", "new"])
NOT_MATCHED = frozenset(["ambiguous", "new"])


@dataclass
class Decision:
    """A typed name's candidates and answer as the rules pass them on. ``resolver`` (``registry.resolve.Resolver``)
    answers the rules that read the reference or the registry's own names; ``every_band`` is the reference's matches
    at every band, made once if a rule asks; ``decided_by`` is the code of the last rule that changed the status."""

    text: str
    country: str | None
    candidates: list[Candidate]
    resolver: Any
    every_band: Callable[[], list[Match]] | None = None
    status: str = "new"  # before the first rule: nothing decided
    reason: str = ""
    decided_by: str = ""


RuleFunction = Callable[[Decision], None]


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    statuses: frozenset[str]  # the statuses the rule reads; it is passed over at any other
    country: bool | None  # True: only with a country given; False: only without; None: either way
    reference: bool  # only where a reference is loaded
    rationale: str
    function: RuleFunction = field(compare=False)

    def applies(self, decision: Decision) -> bool:
        return (decision.status in self.statuses and (self.country is None or self.country == bool(decision.country))
                and (not self.reference or getattr(decision.resolver, "reference", None) is not None))


RULES: list[Rule] = []


def rule(*, code: str, name: str, rationale: str, statuses: frozenset[str] = ANY_STATUS, country: bool | None = None,
         reference: bool = False) -> Callable[[RuleFunction], RuleFunction]:
    """Add a rule to the chain: rules run in the order they are registered, each only where the status it reads holds
    (and the country and reference it needs are there)."""

    def register(function: RuleFunction) -> RuleFunction:
        if any(known.code == code for known in RULES):
            raise ValueError(f"deciding rule code {code} is taken")
        RULES.append(Rule(code, name, frozenset(statuses), country, reference, rationale, function))
        return function

    return register


def run_rules(decision: Decision) -> Decision:
    """The chain, in order, on ``decision`` (changed in place and returned)."""
    for each in RULES:
        if each.applies(decision):
            before = decision.status
            each.function(decision)
            if decision.status != before:
                decision.decided_by = each.code
    return decision


def rules_markdown() -> str:
    """The chain as docs/matching.md lists it."""
    lines = ["| code | rule | reads | rationale |", "|---|---|---|---|"]
    for each in RULES:
        reads = " or ".join(sorted(each.statuses)) if each.statuses != ANY_STATUS else "any status"
        reads += {True: ", with a country", False: ", without a country", None: ""}[each.country]
        reads += ", with a reference" if each.reference else ""
        lines.append(f"| {each.code} | {each.name} | {reads} | {each.rationale} |")
    return "\n".join(lines) + "\n"


@rule(code="D1", name="scores", rationale="a probable candidate clearly ahead of the next, or the only exact one, is "
      "matched (not an exact part of the text against a close name read on more of it); close probable candidates "
      "are a question; nothing in the bands is new")
def _scores(d: Decision) -> None:
    d.status, d.reason = decide(d.candidates)


@rule(code="D2", name="system for a campus", statuses=frozenset(["matched"]), rationale="a university system "
      "matched on a text that does not say 'system' may be one of its campuses: it loses its lead")
def _system_for_campus(d: Decision) -> None:
    d.candidates, d.status, d.reason = system_for_campus(d.text, d.candidates, d.status, d.reason)


ONLY_ITS_PLACE = "D3"


@rule(code=ONLY_ITS_PLACE, name="only its place", statuses=frozenset(["matched"]), reference=True,
      rationale="a text whose matched words are only the candidate's city, region or country names no institution")
def _only_its_place(d: Decision) -> None:
    d.status, d.reason = only_its_place(d.text, d.candidates, d.status, d.reason, d.resolver.reference)


NAMESAKE_ELSEWHERE = "D4"


@rule(code=NAMESAKE_ELSEWHERE, name="namesake placed elsewhere", statuses=frozenset(["matched"]), reference=True,
      rationale="a name several institutions carry, and an address that names the city of another of them: that "
      "namesake, or a question where the candidates do not show it")
def _namesake_placed_elsewhere(d: Decision) -> None:
    d.candidates, d.status, d.reason = namesake_placed_elsewhere(d.text, d.candidates, d.status, d.reason,
                                                                 d.resolver.reference)


@rule(code="D5", name="country named last", statuses=frozenset(["ambiguous"]), country=False,
      rationale="close namesakes, one of them in the country the text ends with: the address says which")
def _country_named_last(d: Decision) -> None:
    # a text of places only, or an address naming a namesake's city, is not decided by the country it ends with either
    if d.decided_by in (ONLY_ITS_PLACE, NAMESAKE_ELSEWHERE):
        return
    d.status, d.reason = country_named_last(d.text, d.candidates, d.status, d.reason)


@rule(code="D6", name="whole text named", statuses=frozenset(["ambiguous"]),
      rationale="of close candidates, the one whose name is the whole text, the others named by a part of it")
def _whole_text_named(d: Decision) -> None:
    d.status, d.reason = whole_text_named(d.text, d.candidates, d.status, d.reason)


@rule(code="D7", name="university over its units", statuses=frozenset(["ambiguous"]),
      rationale="a university named with its own research units or hospitals is the affiliation")
def _university_over_its_units(d: Decision) -> None:
    d.status, d.reason = university_over_its_units(d.candidates, d.status, d.reason)


@rule(code="D8", name="distinctive word alone", statuses=frozenset(["ambiguous"]),
      rationale="a distinctive word that only one institution of the country carries, the rest generic or its place")
def _distinctive_alone(d: Decision) -> None:
    d.status, d.reason = d.resolver._distinctive_alone(d.text, d.country, d.candidates, d.status, d.reason)


@rule(code="D9", name="sole holder of a word", statuses=NOT_MATCHED, reference=True,
      rationale="a word one institution alone carries (in the country given) decides where the rest comes half way, "
      "never where the text names another town")
def _sole_holder(d: Decision) -> None:
    d.candidates, d.status, d.reason = d.resolver._sole_holder(d.text, d.country, d.candidates, d.status, d.reason,
                                                               d.every_band)


@rule(code="D10", name="written short", statuses=frozenset(["ambiguous"]), country=True,
      rationale="the one possible candidate with every typed word, read whole in the country given, is the name "
      "written short")
def _written_short(d: Decision) -> None:
    d.status, d.reason = shortened(d.candidates, d.status, d.reason)


@rule(code="D11", name="whole name first", statuses=NOT_MATCHED, reference=True,
      rationale="a text that begins with one institution's whole name and goes on with words no institution of the "
      "country has (an eponym, a campus) or with 'of' and a region of its country; without a country, a name no "
      "other institution anywhere has, read in its own country")
def _whole_name_first(d: Decision) -> None:
    d.candidates, d.status, d.reason = d.resolver._whole_name_first(d.text, d.country, d.candidates, d.status,
                                                                    d.reason, d.every_band)


@rule(code="D12", name="within its own name", statuses=frozenset(["ambiguous"]), reference=True,
      rationale="the whole text is a run of one candidate's name, which adds only words of its own around it")
def _within_own_name(d: Decision) -> None:
    d.candidates, d.status, d.reason = d.resolver._within_own_name(d.text, d.country, d.candidates, d.status, d.reason)


@rule(code="D15", name="eponym left out", statuses=NOT_MATCHED, country=True, reference=True,
      rationale="one institution of the country has a name with every word of the text, and it adds only two or "
      "three words of its own first or last (most often the person it is named after, whom no other institution of "
      "the country is named after)")
def _eponym_left_out(d: Decision) -> None:
    d.candidates, d.status, d.reason = d.resolver._eponym_left_out(d.text, d.country, d.candidates, d.status, d.reason)


@rule(code="D13", name="place decides", statuses=frozenset(["ambiguous"]),
      rationale="namesakes tied at the top, and a place set apart in the text that is the city of one of them")
def _place_decides(d: Decision) -> None:
    d.candidates, d.status, d.reason = place_decides(d.text, d.candidates, d.status, d.reason)


@rule(code="D14", name="a place is no name", statuses=frozenset(["matched"]), reference=True,
      rationale="the candidate finally chosen is held to D3 too, whichever rule chose it (a later rule may match, or "
      "put another namesake first): the words it was chosen on may not be only its city, region or country "
      "('Quarrington, UK': the town, not its college)")
def _only_its_place_after_the_rules(d: Decision) -> None:
    # run for every match, not only where a later rule decided: D4 puts a namesake first without changing the
    # status, and checking again a candidate D3 passed costs a few set operations
    d.status, d.reason = only_its_place(d.text, d.candidates, d.status, d.reason, d.resolver.reference)
