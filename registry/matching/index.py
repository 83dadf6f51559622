"""The name index: block on rare words, align words, weigh the evidence, explain the score.

Scoring follows OpenSanctions' logic-v2: each query word is paired with at most one word of
the indexed name (equal, or close by rapidfuzz ratio); rare words weigh much (IDF over the
indexed entities, squashed), generic words little; the words either side leaves unmatched
count against the match, the name's with ``extra_word_penalty``. On top of that ratio:

- a word that tells institutions of one city apart (medical, technology, hospital ...) and
  is on one side only costs ``QUALIFIER_PENALTY`` outright, however long the names;
- a known country that differs costs ``country_penalty``;
- words that agree with the entity's city (or, given as context, its country or one of its
  acronyms) are credited, not counted against it;
- an acronym alone is never accepted unless a country or city supports it or (where the
  index is the registry's own) it is unique.
"""


from __future__ import annotations

from registry.matching.building import IndexBuilding
from registry.matching.lookup import IndexLookup
from registry.matching.match import KINDS, Match, MatchOptions
from registry.matching.words import align, extra_cost, token_similarity

__all__ = ["KINDS", "Match", "MatchOptions", "NameIndex", "align", "extra_cost", "token_similarity"]


class NameIndex(IndexBuilding, IndexLookup):
    """Every name of every entity, normalised and indexed by word for fast matching.

    Build once (``NameIndex.build``), query many times (``match``). The object pickles, so a
    caller may keep it on disk beside the data it was built from.
    """
