"""A name written short ("Oslo School of Architecture" for the Oslo School of Architecture and Design): with the
country, the one candidate of the possible band that has every word of the text is the one meant. The decision
is read on candidates as the engine explains them (invented names)."""

from __future__ import annotations

from registry.deciding import shortened
from registry.matching import Match
from registry.matching.match import Penalty, PenaltyKind
from registry.resolution import Candidate


def _candidate(name: str, score: float, penalties: list[Penalty], band: str = "possible") -> Candidate:
    match = Match(entity_id=name, score=score, band=band, matched_name=name, query_name="typed", explanation="",
                  penalties=penalties)
    return Candidate(None, name, name, name, "SE", score, band, "ror: aligned", source="ror", match=match)


def _lacks(kind: PenaltyKind, *words: str) -> Penalty:
    return Penalty(kind, f"{kind.value}: {' '.join(words)}", words)


def _short() -> Candidate:
    return _candidate("Nordby School of Architecture and Design", 0.84, [_lacks(PenaltyKind.NAME_WORDS, "design")])


def test_the_one_candidate_with_every_word_is_the_name_written_short():
    short = _short()
    status, reason = shortened([short, _candidate("Nordby Art Museum", 0.4, [], "below")], "ambiguous", "")
    assert status == "matched"
    assert reason.endswith("the name written short (without 'design')")
    assert short.band == "probable" and "written short" in short.reason


def test_the_rule_reads_a_penalty_by_its_kind_not_its_wording():
    worded = Penalty(PenaltyKind.NAME_WORDS, "country and query words not in the name: a part of it", ("design",))
    status, reason = shortened([_candidate("Nordby School of Architecture and Design", 0.84, [worded])], "ambiguous", "")
    assert status == "matched" and reason.endswith("(without 'design')")


def test_a_shortened_name_stays_a_question_otherwise():
    lacking = _candidate("Nordby School of Design", 0.82, [_lacks(PenaltyKind.QUERY_WORDS, "architecture")])
    elsewhere = _candidate("Nordby School of Architecture and Design", 0.82, [_lacks(PenaltyKind.COUNTRY)])
    low = _candidate("Nordby School of Architecture, Design and Planning", 0.75,
                     [_lacks(PenaltyKind.NAME_WORDS, "design", "planning")])
    for candidates in ([lacking], [elsewhere], [low], [_short(), _candidate("Nordby School of Architecture and Art", 0.8, [])]):
        assert shortened(candidates, "ambiguous", "why") == ("ambiguous", "why")
