"""Countries as ISO 3166-1 alpha-2 codes, read from whatever people type.

Offices write "Tyskland", "DEU", "Germany" or "de" in the same column; all of them must land
as "DE". pycountry carries the ISO 3166 names and, through its gettext catalogues, their
Swedish translations, so no hand-kept name table is needed for the standard names. The few
names people use that ISO does not (UK, USA, Kosovo) are listed in ``_COMMON_NAMES``.
"""

from __future__ import annotations

import difflib
import gettext
from functools import lru_cache

import pycountry

from registry.text import fold

# Names in everyday use that are not ISO 3166 names or translations. XK (Kosovo) is a
# user-assigned code that the EU and most registries use.
_COMMON_NAMES = {
    "uk": "GB",
    "great britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "storbritannien": "GB",
    "england (storbritannien)": "GB",
    "usa": "US",
    "us": "US",
    "united states of america": "US",
    "america": "US",
    "south korea": "KR",
    "korea": "KR",
    "sydkorea": "KR",
    "north korea": "KP",
    "nordkorea": "KP",
    "russia": "RU",
    "ryssland": "RU",
    "iran": "IR",
    "syria": "SY",
    "vietnam": "VN",
    "laos": "LA",
    "bolivia": "BO",
    "venezuela": "VE",
    "tanzania": "TZ",
    "moldova": "MD",
    "czech republic": "CZ",
    "tjeckien": "CZ",
    "holland": "NL",
    "the netherlands": "NL",
    "taiwan": "TW",
    "hong kong": "HK",
    "macau": "MO",
    "palestine": "PS",
    "ivory coast": "CI",
    "turkey": "TR",
    "turkiet": "TR",
    "kosovo": "XK",
    "el": "GR",  # the EU's code for Greece, as in Erasmus codes
    # Countries' own names in Latin letters that no catalogue gives (CLDR writes 日本, 한국, 中国)
    "nihon": "JP",
    "nippon": "JP",
    "hanguk": "KR",
    "zhongguo": "CN",
    "bharat": "IN",
}
_EXTRA_COUNTRIES = {"XK": ("Kosovo", "Kosovo")}
EXTRA_CODES = tuple(_EXTRA_COUNTRIES)


def everyday_names(code: str) -> list[str]:
    """The names in everyday use for ``code`` that ISO does not give ("UK", "Holland", "Nihon")."""
    return [name for name, named in _COMMON_NAMES.items() if named == code and len(name) > 2]


# Languages whose names for countries we also accept, so that a country's own name (Danmark,
# Deutschland, España, Suomi, Norge, Polska, Ελλάδα, 日本 ...) is understood. pycountry's
# translations provide them; no names are kept by hand.
_NATIVE_LANGUAGES = [
    "ar", "bg", "bs", "ca", "cs", "cy", "da", "de", "el", "es", "et", "eu", "fa", "fi", "fr", "ga", "gl", "he",
    "hi", "hr", "hu", "id", "is", "it", "ja", "ka", "ko", "lt", "lv", "mk", "ms", "mt", "nb_NO", "nl", "nn", "pl",
    "pt", "ro", "ru", "sk", "sl", "sq", "sr", "sr@latin", "sw", "th", "tr", "uk", "vi", "zh_CN", "zh_TW",
]


@lru_cache(maxsize=1)
def _swedish() -> gettext.NullTranslations:
    try:
        return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["sv"])
    except OSError:  # a pycountry build without locales still works in English
        return gettext.NullTranslations()


@lru_cache(maxsize=1)
def _lookup() -> dict[str, str]:
    """Folded name or code -> alpha-2, over every name we accept."""
    sv = _swedish()
    table: dict[str, str] = {}
    for country in pycountry.countries:
        code = country.alpha_2
        names = [country.alpha_2, country.alpha_3, country.name]
        for attribute in ("common_name", "official_name"):
            if hasattr(country, attribute):
                names.append(getattr(country, attribute))
        names += [sv.gettext(n) for n in list(names[2:])]
        for name in names:
            table.setdefault(fold(name), code)
    for code, (en, sv_name) in _EXTRA_COUNTRIES.items():
        table.setdefault(fold(code), code)
        table.setdefault(fold(en), code)
        table.setdefault(fold(sv_name), code)
    for name, code in _COMMON_NAMES.items():
        table[fold(name)] = code
    return table


@lru_cache(maxsize=1)
def _native_lookup() -> dict[str, str]:
    """Folded country names in the languages above -> alpha-2. A name that two languages
    give to different countries is left out rather than guessed."""
    found: dict[str, str] = {}
    clashes: set[str] = set()
    for language in _NATIVE_LANGUAGES:
        try:
            catalogue = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language])
        except OSError:
            continue
        for country in pycountry.countries:
            for attribute in ("name", "common_name", "official_name"):
                if hasattr(country, attribute):
                    key = fold(catalogue.gettext(getattr(country, attribute)))
                    if found.setdefault(key, country.alpha_2) != country.alpha_2:
                        clashes.add(key)
    return {key: code for key, code in found.items() if key not in clashes}


def country_code(value: str) -> str:
    """Return the alpha-2 code for a code or an English, Swedish or native country name.

    Raises ValueError naming the closest known names when nothing matches.
    """
    key = fold(str(value))
    table = _lookup()
    if key in table:
        return table[key]
    if key in _native_lookup():  # read only when English, Swedish and codes did not match
        return _native_lookup()[key]
    close = difflib.get_close_matches(key, [k for k in table if len(k) > 3], n=3, cutoff=0.75)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise ValueError(
        f"unknown country {value!r}: give an ISO 3166 code (SE, SWE) or an English or Swedish name{hint}"
    )


def is_country_code(code: str) -> bool:
    return code in _EXTRA_COUNTRIES or pycountry.countries.get(alpha_2=code) is not None


def country_name(code: str, language: str = "en") -> str:
    """English (or, with language='sv', Swedish) name of an alpha-2 code."""
    if code in _EXTRA_COUNTRIES:
        en, sv_name = _EXTRA_COUNTRIES[code]
        return sv_name if language == "sv" else en
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        raise ValueError(f"unknown country code {code!r}")
    name = getattr(country, "common_name", country.name)
    return _swedish().gettext(country.name) if language == "sv" else name


def alpha3(code: str) -> str:
    """Alpha-3 code, the key that V-Dem and UNDP tables use."""
    if code == "XK":
        return "XKX"
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        raise ValueError(f"unknown country code {code!r}")
    return country.alpha_3


# The languages an institution's local name is written in, by country: used to pick the
# local name among a reference record's labels in many languages (ROR gives the University
# of Bergen labels in Norwegian and Finnish; only the Norwegian one is its local name).
LOCAL_LANGUAGES: dict[str, tuple[str, ...]] = {
    "AT": ("de",), "BE": ("nl", "fr", "de"), "BG": ("bg",), "BR": ("pt",), "CH": ("de", "fr", "it", "rm"),
    "CL": ("es",), "CN": ("zh",), "CO": ("es",), "CZ": ("cs",), "DE": ("de",), "DK": ("da",), "EE": ("et",),
    "ES": ("es", "ca", "eu", "gl"), "FI": ("fi", "sv"), "FR": ("fr",), "GR": ("el",), "HK": ("zh",), "HR": ("hr",),
    "HU": ("hu",), "ID": ("id",), "IL": ("he",), "IS": ("is",), "IT": ("it",), "JP": ("ja",), "KR": ("ko",),
    "LT": ("lt",), "LU": ("lb", "fr", "de"), "LV": ("lv",), "MX": ("es",), "NL": ("nl",), "NO": ("nb", "nn", "no"),
    "PL": ("pl",), "PT": ("pt",), "RO": ("ro",), "RS": ("sr",), "RU": ("ru",), "SE": ("sv",), "SI": ("sl",),
    "SK": ("sk",), "TH": ("th",), "TR": ("tr",), "TW": ("zh",), "UA": ("uk",), "AR": ("es",), "PE": ("es",),
    "VN": ("vi",), "EG": ("ar",), "SA": ("ar",), "IR": ("fa",), "ET": ("am",), "CY": ("el", "tr"), "MT": ("mt",),
}
