"""First-level divisions named as their own people name them: the region's word without the word for its kind.

ISO 3166-2 (through pycountry) names many first-level divisions with the word for what they are, in the country's
own romanisation: "Shandong Sheng" (province), "Beijing Shi" (municipality), "Guangxi Zhuangzu Zizhiqu" (Zhuang
autonomous region), "Gyeonggi-do", "Busan-gwangyeoksi", "Kemerovskaya oblast'", "Aqmola oblysy", "Minskaja voblasc",
"Krasnodarskiy kray". Names and addresses write the region's own word alone ("Shandong University", "..., Hefei,
Anhui, China"), so the words for its kind, and the people an autonomous region is named for, closing the name are
not the region's name."""

from __future__ import annotations

DIVISION_KINDS = frozenset([
    "sheng", "shi", "zizhiqu", "zhuangzu", "huizu", "uygur",  # China
    "do", "teukbyeolsi", "gwangyeoksi", "teukbyeoljachido", "teukbyeoljachisi",  # Korea
    "oblast", "oblasti", "oblys", "oblysy", "voblasc", "kray", "krai", "okrug", "avtonomnyy", "respublika",  # Russian, Kazakh ...
])


def division_name(words: list[str]) -> list[str]:
    """The division's own words: its name less the words for its kind that close it ('shandong sheng' -> shandong;
    'xinjiang uygur zizhiqu' -> xinjiang). A name that is only such words is kept whole."""
    end = len(words)
    while end > 1 and words[end - 1] in DIVISION_KINDS:
        end -= 1
    return words[:end]
