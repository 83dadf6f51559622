"""Words written as they sound: one key for the spellings languages give one sound.

Kind words travel between languages by ear: "Univerzitet" (Bosnian, Macedonian) and "Universitet", "Instytut"
(Polish, Ukrainian) and "Institut", "Akademiya" and "Akademia", "Politekhnika" and "Politeknika", "Ékole" for
"École". Their letters differ where the languages write one sound differently (z and s, y and i, k and c, w and v,
kh and ch, a doubled letter and a single one), so a typo's edit distance reads them as two words. ``sound_key``
writes each such group of spellings one way: two words with one key sound alike."""

from __future__ import annotations

import re

# In this order: a digraph before its letters ('ch' before 'c'), a spelling of one sound to its plainest letter. Greek
# ου is 'ou' typed and 'oy' as anyascii folds it ("Ινστιτούτο": 'institoyto').
_SPELLINGS = (("sch", "sk"), ("ch", "k"), ("kh", "k"), ("ck", "k"), ("qu", "k"), ("ph", "f"), ("th", "t"),
              ("ou", "u"), ("oy", "u"), ("ae", "a"), ("oe", "o"), ("ue", "u"), ("c", "k"), ("q", "k"), ("x", "ks"),
              ("z", "s"), ("w", "v"), ("y", "i"), ("j", "i"))
_DOUBLED = re.compile(r"(.)\1+")


def sound_key(word: str) -> str:
    """The word with each group of letters that write one sound written one way, doubled letters once
    ('univerzitet' and 'universitet': 'universitet'; 'instytut': 'institut'; 'akademiya': 'akademia')."""
    for spelling, plain in _SPELLINGS:
        if spelling in word:
            word = word.replace(spelling, plain)
    return _DOUBLED.sub(r"\1", word)


def keyed(words, meaning) -> dict[str, str]:
    """Each word's sound key -> the word, for the keys whose words all mean one thing (``meaning(word)``): a key
    two meanings share says neither."""
    found: dict[str, set[str]] = {}
    for word in words:
        found.setdefault(sound_key(word), set()).add(word)
    return {key: min(spelt) for key, spelt in found.items() if len({meaning(word) for word in spelt}) == 1}
