"""Matching institution names: the engine behind resolve, dedupe, import and screening.

People type partner names in every form ("Univ. of Copenhagen", "Københavns Universitet",
"KU", "Faculty of Medicine, Univ. of Helsinki"). Character similarity alone cannot tell
"Nanjing University" from "Nanjing University of Aeronautics and Astronautics" (rapidfuzz's
``WRatio`` gives 90), so the engine

1. normalises once, at the door (``text``): folds to ASCII, expands abbreviations, gives the
   word "university" and its kin in many languages one token, drops department prefixes;
2. blocks (``index``): looks names up by their distinctive words, and typo-close words
   through character trigrams, so a query is compared with a few dozen names, not all;
3. aligns words in the spirit of OpenSanctions' logic-v2: rare words weigh much, generic
   ones little, and the words either side leaves unmatched count against the match;
4. weighs evidence beyond the words: acronyms need support, a differing country costs;
5. explains every score: the name variant matched, the aligned words, the penalties.

Usage::

    index = NameIndex.build([(entity_id, name, country, kind), ...], cities={...})
    for match in index.match("Univ. of Copenhagen", country="DK"):
        print(match.entity_id, match.score, match.band, match.explanation)
"""

from registry.matching.index import KINDS, Match, MatchOptions, NameIndex, align, token_similarity
from registry.matching.text import Query, exact_key, normalize, parse_query, tokens_of

__all__ = [
    "KINDS",
    "Match",
    "MatchOptions",
    "NameIndex",
    "Query",
    "align",
    "exact_key",
    "normalize",
    "parse_query",
    "token_similarity",
    "tokens_of",
]
