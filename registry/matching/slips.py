"""Slips of the hand: the letters a typist strikes for one another, and a word's one-letter slip.

A typo is made by a hand on a keyboard, so it is not any edit: a letter struck for its neighbour on the keyboard
("Universitu", "Oxgord"), a letter left out, two letters swapped, a letter struck twice or with its neighbour. Read
so, a slip may touch a word's first or last letter and a short word, which an edit distance alone could not allow
("academic" / "academia" are two words: 'c' and 'a' are apart on the keyboard). Its callers say how short a word may
be: in four letters a neighbour added is another word too ("Toyo" / "Tokyo", ``words._struck_by_hand``).
Offices type on QWERTY and QWERTZ keyboards (Central Europe: y and z change places); both are read."""

from __future__ import annotations

from functools import lru_cache

_LAYOUTS = (("qwertyuiop", "asdfghjkl", "zxcvbnm"), ("qwertzuiop", "asdfghjkl", "yxcvbnm"))


def _neighbours() -> dict[str, frozenset[str]]:
    """The keys touching each key, on staggered rows: the row above is shifted half a key to the left of the row
    below ('s' touches w, e, a, d, z, x)."""
    found: dict[str, set[str]] = {}
    for rows in _LAYOUTS:
        for r, row in enumerate(rows):
            for k, key in enumerate(row):
                near = found.setdefault(key, set())
                near.update(row[j] for j in (k - 1, k + 1) if 0 <= j < len(row))
                if r > 0:
                    near.update(rows[r - 1][j] for j in (k, k + 1) if 0 <= j < len(rows[r - 1]))
                if r + 1 < len(rows):
                    near.update(rows[r + 1][j] for j in (k - 1, k) if 0 <= j < len(rows[r + 1]))
    return {key: frozenset(near) for key, near in found.items()}


NEIGHBOURS = _neighbours()


def struck_for(a: str, b: str) -> bool:
    """Whether the two letters are neighbours on the keyboard."""
    return b in NEIGHBOURS.get(a, ())


@lru_cache(maxsize=1 << 16)
def hand_slip(typed: str, word: str) -> bool:
    """Whether ``typed`` is ``word`` with one slip of the hand: a letter struck for its neighbour on the keyboard,
    two neighbouring letters swapped, a letter left out, or a letter added that doubles or neighbours the letter
    beside it. Anywhere in the word, its first and last letters too."""
    if typed == word:
        return False
    size = len(word)
    if len(typed) == size:
        differ = [k for k in range(size) if typed[k] != word[k]]
        if len(differ) == 1:
            return struck_for(typed[differ[0]], word[differ[0]])
        return (len(differ) == 2 and differ[1] == differ[0] + 1 and typed[differ[0]] == word[differ[1]]
                and typed[differ[1]] == word[differ[0]])
    if len(typed) == size - 1:  # a letter left out
        k = next((k for k in range(len(typed)) if typed[k] != word[k]), len(typed))
        return typed[k:] == word[k + 1:]
    if len(typed) == size + 1:  # a letter added beside the one it doubles or neighbours
        k = next((k for k in range(size) if typed[k] != word[k]), size)
        if typed[k + 1:] != word[k:]:
            return False
        added, beside = typed[k], typed[k - 1:k] + typed[k + 1:k + 2]
        return any(added == letter or struck_for(added, letter) for letter in beside)
    return False
