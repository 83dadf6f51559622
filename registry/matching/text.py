"""Normalising institution names and taking typed names apart, once, at the door.

Names are folded to ASCII (``registry.text.fold``: case, diacritics, ł ø ß æ, Cyrillic,
Greek, CJK), abbreviations are expanded ("Univ." -> university, "U. of X"), the word for
university (and institute, hospital ...) in many languages becomes one token, so that
"Universität Wien" and "University of Vienna" differ only in the word that names them, and a city
written in another language becomes its English name ("Wien" -> vienna, "Warszawa" -> warsaw:
``CITY_NAMES``, from data/matching/city_names.csv), so there they do not differ at all.

A typed name may carry more than a name: "Dept. of Surgery, Karolinska Institutet,
Stockholm, Sweden". ``parse_query`` drops the unit, keeps the institution and treats the
rest as context (a city, a country) that can agree with a candidate but is not its name.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from rapidfuzz.distance import OSA

from registry.matching.affiliation_text import UNIT_HEADS_LAST, UNIT_WORDS_ABROAD, affiliation_commas
from registry.matching.divisions import division_name
from registry.matching.scripts import TRANSLATIONS, kind_stem, native_kinds
from registry.matching.slips import hand_slip
from registry.matching.sounds import keyed, sound_key
from registry.shipped import shipped_rows
from registry.text import fold

# Abbreviations people write, after folding and with the dot removed.
ABBREVIATIONS = {
    "univ": ("university",),
    "st": ("saint",),  # "St. Joseph University" is Saint Joseph University ("Str." is the street)
    "uni": ("university",),
    "tu": ("technical", "university"),  # Technische Universität: TU München, TU Delft, TU Wien
    "inst": ("institute",),
    "instit": ("institute",),
    "tech": ("technology",),
    "technol": ("technology",),
    "med": ("medical",),
    "hosp": ("hospital",),
    "sci": ("science",),
    "natl": ("national",),
    "nat": ("national",),
    "intl": ("international",),
    "coll": ("college",),
    "acad": ("academy",),
    "ctr": ("center",),
    "cntr": ("center",),
    "dept": ("department",),
    "fac": ("faculty",),
    "polytech": ("polytechnic",),
    "sch": ("school",),
    "mt": ("mount",),
    "corp": ("corporation",),
    "co": ("company",),
    "ltd": ("limited",),
    "inc": ("incorporated",),
    "fh": ("fachhochschule",),  # FH Joanneum, FH Kufstein
    "politechnika": ("university", "technology"),  # Politechnika Gdańska: Gdańsk University of Technology
    "politehnica": ("university", "technology"),
    "tehnikaulikool": ("university", "technology"),
    # The eponym's marker as ROR's English names write it: "Университет имени К.Ш. Токтомаматова" is the University
    # named after K.Sh. Toktomamatov; read as an unknown word, 'imeni' left the two apart and the name without its eponym
    # matched a namesake abroad. Not the Polish 'im.' or 'imienia': Polish names write it dotted, undotted ('AKADEMIA
    # BIALSKA IM JANA PAWLA II') or whole, and ROR's records carry those forms, which 'im' typed no longer met.
    "imeni": ("named", "after"),
}

# Kinds written short inside a longer name only ("Hanze UAS", "HES-SO : UAS Western Switzerland"): alone, the
# letters are an institution's acronym (UAS, the Universidad Autónoma de Sinaloa).
KIND_ABBREVIATIONS = {"uas": ("university", "of", "applied", "sciences")}

# Words cut short as journals' and offices' abbreviations cut them ("Gazipur Agric. Univ.", "Inst. of Sci. Educ. and
# Res.", "Univ. of Eng. and Tech."), read only with their dot and inside a longer name: without it the letters may be an
# acronym ("INT Leiden", "RES").
SHORT_WORDS = {
    "agric": ("agricultural",), "agr": ("agricultural",), "techn": ("technology",), "educ": ("education",),
    "res": ("research",), "int": ("international",), "eng": ("engineering",), "engg": ("engineering",),
    "engr": ("engineering",), "econ": ("economics",), "mgmt": ("management",), "mgt": ("management",),
    "govt": ("government",), "admin": ("administration",), "vet": ("veterinary",), "hlth": ("health",),
    "assoc": ("association",), "lab": ("laboratory",), "labs": ("laboratories",), "ped": ("pedagogical",),
    "gen": ("general",), "mem": ("memorial",), "reg": ("regional",), "prov": ("provincial",), "fed": ("federal",),
    "cath": ("catholic",), "environ": ("environmental",), "pharm": ("pharmaceutical",),
    "stud": ("studies",), "tecnol": ("technology",), "cent": ("central",), "amer": ("american",),
}
_DOTTED = re.compile(r"\b([a-z]+)\.")
# "St." before a kind word is State ("Mindanao St. University", "Bryansk St. Medical Academy"), else Saint.
_STATE_BEFORE = frozenset(["university", "college", "academy", "institute", "medical", "pedagogical", "technology",
                           "agricultural", "polytechnic", "conservatory", "hospital"])


CITY_NAMES_FILE = Path(__file__).resolve().parents[2] / "data" / "matching" / "city_names.csv"


def _city_names() -> dict[str, str]:
    """A city's names in other languages, one word each, to its English name (tools/derive_city_names.py:
    CLDR's exemplar cities of the time zones, through Babel)."""
    return {row["written"]: row["city"] for row in shipped_rows(CITY_NAMES_FILE)}


CITY_NAMES = _city_names()


def _same(words: str, canonical: str) -> dict[str, str]:
    return dict.fromkeys(words.split(), canonical)


# One token for a word that means the same kind of institution in many languages.
CANONICAL = {
    **_same(
        "university universitet universitat universitaet universite universidad universidade universita "
        "universiteit uniwersytet univerzita univerzitet universitatea universiti universiteti yliopisto "
        "egyetem sveuciliste univerza universitetet universitas universitatis panepistemio panepistimio "
        "universities universites universidades universitaten universitesi universiteti universitetit univerzitet "
        "universitetas universitet "
        "universitetas universitate ulikool haskoli daigaku daxue",
        "university",
    ),
    **_same("institute institut instituto istituto institutet instytut institutt instituut instituttet instituti "
            "enstitusu institutu", "institute"),
    **_same("hospital hopital ospedale sjukhus sykehus sygehus krankenhaus hospitalet hastanesi bolnica bolnitsa "
            "nemocnice szpital sairaala ziekenhuis", "hospital"),
    **_same("clinic clinica clinique klinika klinik klinikum", "clinic"),
    **_same("college colegio collegio kollegium collegium kolej kolegija", "college"),
    # "Tech." is written for both, and TU Wien is the Vienna University of Technology.
    **_same("technology technologie tecnologia teknologi technologies technical technische technischen "
            "tecnica tecnico technicka tekniska teknisk technological", "technology"),
    **_same("medical medizinische medicinska medicina medicine medecine medizin medicinal medicum", "medical"),
    **_same("sciences science sains", "science"),
    **_same("centre center centro zentrum", "center"),
    **_same("school schule escuela scuola ecole escola skola szkola shkola skole", "school"),
    **_same("academy akademia akademie academia akademiya akademija akadeemia akademi academie", "academy"),
    **_same("conservatory conservatorio conservatoire konservatorium conservatorium konservatoriya", "conservatory"),
    **_same("polytechnic politecnico politecnica politeknik polytechnique politecnic polytechnical "
            "politeknikk politeknika", "polytechnic"),
    **_same("navy naval", "navy"),
    **_same("national nacional nazionale nationale nationaal narodowy natsionalnyy nasional", "national"),
    **_same("state estadual estatal statale staatliche staatlich gosudarstvennyy gosudarstvennyi gosudarstvennyj "
            "derzhavnyy derzhavnyi drzhaven drzhavniot drzavni drzavna panstwowa panstwowy statni statna "
            # Indonesian and Malay ('Politeknik Negeri Bali' / Bali State Polytechnic), Turkish ('Devlet Hastanesi' /
            # State Hospital), Lithuanian ('valstybinė kolegija' / State College): ROR writes both beside each other
            "negeri devlet valstybine valstybinis valstybinio", "state"),
    **_same("pedagogical pedagogische padagogische pedagogica pedagogico pedagogiczny pedagogiczna "
            "pedagogicheskiy pedagogichnyy pedagogique paedagogische", "pedagogical"),
    **_same("music musik musica muzyczna muziek musique muzyki", "music"),
    **_same("catholic katholieke katholische catolica catolico cattolica catholique katolicki katolicka "
            "katolikus katolicke katolicky", "catholic"),
    **_same("international internacional internazionale internationale internationaal miedzynarodowa "
            "mezinarodni antarabangsa", "international"),
    **_same("sport sports sportu deporte deportes", "sport"),
    **_same("economics economic ekonomiczny ekonomicka ekonomska economica economico economique ekonomicheskiy "
            "ekonomichnyy", "economics"),
    **_same("angewandte angewandten", "applied"),
    **_same("wissenschaften wissenschaft", "science"),
    **_same("tarptautine medunarodni medunarodno medjunarodni", "international"),
}

# Words of a field or a qualifier as other languages write them, read as the English word on both sides (round names19):
# a name typed in its own language finds a record ROR lists only in English, and the other way round ("Université
# Chrétienne de Bujumbura" / Bujumbura Christian University, "Université Virtuelle de Côte d'Ivoire", "Vilniaus dailės
# akademija" / Vilnius Academy of Arts). Apart from CANONICAL: no kind of body, and no word a slip or a sound is read
# as ('ArtEZ' is no 'artes'). Left out: words an English name uses as itself ('art', 'superior'), and 'beaux' /
# 'bellas', which alone would make 'Universidad Bellas Artes' a name of field words that fits a school anywhere.
FIELD_WORDS = {
    **_same("chretienne chretien cristiana cristiano cristao crista christliche christlichen krscanska", "christian"),
    **_same("virtuelle virtuel virtuale", "virtual"),
    **_same("centrale centralna centralny", "central"),
    **_same("artes arti kunst kunste kuenste kunsten konst sztuk umetnosti umjetnosti dailes", "arts"),
    **_same("generale opca opsta opste allgemeines allgemeine", "general"),
    **_same("sante salud saude salute gesundheit zdrowia zdravlja zdravstvo zdravstva zdravja sveikatos", "health"),
    **_same("publique publica publico pubblica javno javnog", "public"),
    **_same("ingenierie ingenieria ingegneria inzynierii", "engineering"),
    **_same("agricole agricola agraria agrarna rolnicza rolniczy", "agricultural"),
    **_same("droit derecho diritto", "law"),
    **_same("politiques politique politicas politica politiche politische politycznych", "political"),
    **_same("sociales sociale sociali soziale spolecznych", "social"),
    **_same("maritima marittima morska morski pomorski pomorska", "maritime"),
    **_same("veterinaire veterinaria veterinario weterynaryjny veterinarska", "veterinary"),
    **_same("pharmacie farmacia farmacie pharmazie", "pharmacy"),
    **_same("dentaire", "dental"),
    **_same("tourisme turismo turystyki", "tourism"),
    **_same("europeenne europeen europea europeo europaische europejska evropska", "european"),
    **_same("americaine americain americana americano amerikanische", "american"),
    **_same("africaine africain africana africano", "african"),
    **_same("afrique", "africa"),
    **_same("arabe araba", "arab"),
    **_same("islamique islamica islamico islamische", "islamic"),
    **_same("ouverte abierta aperta offene", "open"),
    **_same("libre libera libero freie", "free"),
    **_same("regionale regionalna regionalny", "regional"),
    **_same("theatre theater teatro teatru teatr", "theatre"),
    **_same("danse danza", "dance"),
    **_same("forestiere forestal", "forestry"),
    **_same("appliquees appliquee aplicadas aplicada applicate applicata stosowanych", "applied"),
}

# Kinds of institution that several words of several languages name, taken as one token on both sides,
# so that "Hochschule Fulda" is "Fulda University of Applied Sciences". Read on canonical tokens; function
# words inside a phrase are skipped. The English kinds of technology stay apart: Xi'an Technological
# University is not Xi'an University of Technology, nor Tianjin Polytechnic University Tianjin University of
# Technology; only the one-word foreign names ("Politechnika") are read as university + technology.
APPLIED_SCIENCES = "university_of_applied_sciences"
KIND_PHRASES: dict[tuple[str, ...], str] = {
    **dict.fromkeys([
        ("university", "applied", "science"), ("applied", "science", "university"), ("hochschule", "applied", "science"),
        ("fachhochschule",), ("hochschule",), ("hogeschool",), ("ammattikorkeakoulu",), ("haute", "school"),
        ("fachhochschul",),
    ], APPLIED_SCIENCES),
    # Chinese, Japanese and Korean kind words, transliterated a syllable at a time: 大学, 学院, 医院, 대학교
    ("da", "xue"): "university", ("dae", "hag", "gyo"): "university", ("dae", "hak", "gyo"): "university",
    ("xue", "yuan"): "college", ("yi", "yuan"): "hospital", ("byeong", "won"): "hospital",
    ("ikh", "surguul"): "university",  # Mongolian: Их Сургууль
}
_KIND_STARTS = frozenset(phrase[0] for phrase in KIND_PHRASES)
# Kinds people write for another: "Hanze University" for the Hanze University of Applied Sciences, "Zuyd
# University" for Zuyd Hogeschool, "Saimaa Polytechnic" for its university of applied sciences. (typed, named)
# pairs, one way only: a typed kind of applied sciences is no university. They pair, but not as the same word:
# where both kinds exist in a city, the one the text names comes first.
KIN_KINDS = frozenset([("university", APPLIED_SCIENCES), ("polytechnic", APPLIED_SCIENCES)])
_LONGEST_KIND = max(len(phrase) for phrase in KIND_PHRASES)

# A word for a kind of institution typed with one slip (two letters swapped, a consonant left out, added or
# changed: "Univresitet", "Hogsechool", "Univerztia", "Hochshule") is that word: left as typed it would be an
# unknown name word and the kind lost. Only words of seven letters or more, only to kinds, only where one kind
# is that close, and only inside the word: a word differing in its first or last letter is another word or
# another form of it ("academic" / "academia", "clinical" / "clinica", "colleges" / "college").
# So too the other words one token stands for in many languages ("Baylor College of Mdeicine", "Techonlogy",
# "Internatinal"): the typo of a word that is canonicalised ("medicine" -> medical) is no typo of the canonical form.
_TYPO_LENGTH = 7
# A slip of the hand (``slips.hand_slip``: a key's neighbour, a letter left out, swapped or struck beside its neighbour)
# is read in a shorter typed word too ("Cntre", "Colege") and at a long word's first or last letter ("Yniversity",
# "Universitu"), from a kind word of six letters on: a five-letter kind is too near other words ("stage" / state).
_HAND_SLIP_LENGTH = 5
_HAND_SLIP_KIND = 6
_KIND_WORDS = frozenset([word for word in CANONICAL if len(word) >= _HAND_SLIP_KIND]
                        + [phrase[0] for phrase in KIND_PHRASES if len(phrase) == 1 and len(phrase[0]) >= _HAND_SLIP_KIND])


def _deletions(word: str) -> set[str]:
    return {word[:k] + word[k + 1:] for k in range(len(word))} | {word}


_KIND_BY_DELETION: dict[str, set[str]] = {}
for _word in _KIND_WORDS:
    for _deleted in _deletions(_word):
        _KIND_BY_DELETION.setdefault(_deleted, set()).add(_word)


def _slip(word: str, kind: str) -> bool:
    """Two letters swapped, a letter left out, or a consonant added or changed: a slip of the hand. A vowel
    added or changed is how romanisations differ ("Institouto" from the Greek is the Instituto's spelling, not a
    slip, but not where it doubles the letter before it); a letter left out of a kind word ("Unversitesi",
    "Hochshule") is a slip whichever it is."""
    if len(word) == len(kind):
        differ = [k for k in range(len(word)) if word[k] != kind[k]]
        return len(differ) == 2 or (word[differ[0]] not in "aeiouy" and kind[differ[0]] not in "aeiouy")
    if len(word) < len(kind):
        return True
    k = next((k for k in range(len(kind)) if word[k] != kind[k]), len(kind))
    return word[k] not in "aeiouy" or (k > 0 and word[k] == word[k - 1])  # a letter struck twice ("Universidaade", "Hospiital")


def _slip_of_hand(word: str, kind: str) -> bool:
    """A slip of the hand anywhere in the word (``hand_slip``), but for a letter added at its end, which makes
    another form of it ("colleges", "hospitals") unless it strikes the last letter twice."""
    if len(word) == len(kind) + 1 and word.startswith(kind) and word[-1] != kind[-1]:
        return False
    return hand_slip(word, kind)


@lru_cache(maxsize=1 << 16)
def kind_typo(word: str) -> str | None:
    """The kind word ``word`` is a slip of, if exactly one kind is one edit away."""
    if len(word) < _HAND_SLIP_LENGTH or word in CANONICAL or word in _KIND_WORDS or not word.isalpha():
        return None
    near = {kind for deleted in _deletions(word) for kind in _KIND_BY_DELETION.get(deleted, ())
            if OSA.distance(word, kind) <= 1 and (
                (len(word) >= _TYPO_LENGTH and len(kind) >= _TYPO_LENGTH and word[0] == kind[0] and word[-1] == kind[-1]
                 and _slip(word, kind)) or _slip_of_hand(word, kind))}
    kinds = {CANONICAL.get(kind, kind) for kind in near}
    return min(near) if len(kinds) == 1 else None


# A compound of a known word and a kind, as the Nordic languages, German, Dutch, Finnish and Hungarian write them
# ("Universitetshospital", "Universitätsklinikum", "Yliopistosairaala", "Musikhochschule", "Tudományegyetem" less its
# head): the two words, so that "Københavns Universitetshospital" is Copenhagen University Hospital. Only where the
# head (less a linking 's') is a kind or field word of its own, and the tail a kind of at least six letters.
_COMPOUND_TAILS = tuple(sorted({word for word in CANONICAL if len(word) >= _HAND_SLIP_KIND and CANONICAL[word] in (
    "university", "hospital", "clinic", "institute", "academy", "college", "school", "conservatory", "center")}
    | {phrase[0] for phrase in KIND_PHRASES if len(phrase) == 1 and len(phrase[0]) >= _HAND_SLIP_KIND}, key=len, reverse=True))
_COMPOUND_HEAD = 4


@lru_cache(maxsize=1 << 16)
def compound_kind(word: str) -> tuple[str, str] | None:
    """The head and kind a compound word is made of ('universitetshospital' -> 'university', 'hospital'), or None."""
    if len(word) < _COMPOUND_HEAD + _HAND_SLIP_KIND or not word.isalpha():
        return None
    for tail in _COMPOUND_TAILS:
        if word.endswith(tail) and len(word) - len(tail) >= _COMPOUND_HEAD:
            head = word[: -len(tail)]
            for known in (head, head[:-1] if head.endswith("s") else ""):
                meaning = CANONICAL.get(known) or FIELD_WORDS.get(known)
                if meaning:
                    return meaning, CANONICAL.get(tail, tail)
            return None
    return None


# A field word of another language typed with one slip ("Appliqueés" as "Applqiuées", "Ignénierie", "Pbúlica") is that
# word: the reference reads its own "appliquées" as "applied", which a slip of the French word no longer comes near.
# The stricter test of long kind words only (seven letters or more, first and last letter kept, ``_slip``), and only
# where one such word is that close: no sound key ('ArtEZ' is no 'artes').
_FIELD_BY_DELETION: dict[str, set[str]] = {}
for _word in FIELD_WORDS:
    if len(_word) >= _TYPO_LENGTH:
        for _deleted in _deletions(_word):
            _FIELD_BY_DELETION.setdefault(_deleted, set()).add(_word)


@lru_cache(maxsize=1 << 16)
def field_typo(word: str) -> str | None:
    """The field word of another language ``word`` is a slip of, if exactly one is one edit away."""
    if len(word) < _TYPO_LENGTH or word in FIELD_WORDS or not word.isalpha():
        return None
    near = {field for deleted in _deletions(word) for field in _FIELD_BY_DELETION.get(deleted, ())
            if OSA.distance(word, field) <= 1 and word[0] == field[0] and word[-1] == field[-1] and _slip(word, field)}
    return min(near) if len({FIELD_WORDS[field] for field in near}) == 1 else None


# A kind word written as it sounds in another spelling ("Univerzitet", "Instytut", "Akademiya", "Ékole"): the kind
# word whose sound key it shares (``sounds.sound_key``), where every kind of that key means one kind. A sound key is
# rarer than a slip's neighbourhood, so five-letter kinds ("École" / "Ékole") are read too.
_SOUND_KINDS = frozenset([word for word in CANONICAL if len(word) >= _HAND_SLIP_LENGTH] + list(_KIND_WORDS))
_KIND_BY_SOUND = keyed(_SOUND_KINDS, lambda word: CANONICAL.get(word, word))


@lru_cache(maxsize=1 << 16)
def kind_by_sound(word: str) -> str | None:
    """The kind word ``word`` sounds as, written otherwise (``_KIND_BY_SOUND``)."""
    if len(word) < _HAND_SLIP_LENGTH or word in _SOUND_KINDS or not word.isalpha():
        return None
    return _KIND_BY_SOUND.get(sound_key(word))


# What level of body a name says it is, coarsely: schools before university (a lycée, a Gymnasium), hospitals and
# clinics, and places of higher education, whatever kind word each language uses for them. Two names of different
# levels are two bodies even where a founder's name is the same ("Lycée Jean Moulin", "Université Jean Moulin").
_SECONDARY = frozenset(["lycee", "liceo", "gymnasium", "gimnazjum", "gimnazija", "gymnazium", "gimnazium", "secundaria",
                        "secondary", "highschool"])
# (A hospital's adjective says care as well: "Centre hospitalier universitaire", "Complejo Hospitalario", "Azienda
# Ospedaliera", and its French acronym: "CHU de Guyane".)
_LEVELS = {**dict.fromkeys(["hospital", "clinic", "hospitalier", "hospitaliere", "hospitalario", "hospitalaria",
                            "ospedaliera", "ospedaliero", "chu"], "care"),
           **dict.fromkeys(["university", "institute", "academy", "college", "polytechnic", "conservatory",
                            "school", "university_of_applied_sciences"], "higher")}


def levels(tokens: Iterable[str]) -> frozenset[str]:
    """The levels a name's words say it is: 'secondary', 'care', 'higher' (none where it says no kind). A school
    word with a secondary one ("Instituto de Enseñanza Secundaria") is the secondary school's."""
    words = {t.removesuffix("s") if t.removesuffix("s") in _LEVELS else t for t in tokens}  # "University Hospitals"
    if words & _SECONDARY:
        return frozenset(["secondary"])
    return frozenset(_LEVELS[t] for t in words if t in _LEVELS)


# Words that carry (almost) no identity: function words of the languages partner names use.
STOPWORDS = frozenset(
    [
        "of", "the", "and", "for", "in", "at", "de", "del", "della", "di", "da", "do", "dos", "das", "du", "des",
        "la", "le", "les", "el", "los", "en", "et", "y", "e", "i", "och", "og", "und", "der", "die", "das", "fur",
        "fuer", "von", "zu", "am", "im", "van", "voor", "het", "a", "an", "aan", "ved", "na", "w", "z",
        # Italian, Portuguese, Romanian, Slavic, Baltic and Hungarian ones, as charter holders write them
        "degli", "delle", "dello", "dei", "dell", "al", "ao", "aos", "em", "no", "na", "nas", "nos", "din", "si", "sau", "ve", "v",
        "vo", "u", "za", "pro", "po", "dla", "ir", "es",
        # French elided articles ("d'Ingénieurs", "l'Informatique")
        "d", "l",
    ]
)
# Words that say what kind of body it is, not which one.
GENERIC = frozenset(
    [
        "university", "institute", "college", "school", "academy", "faculty", "department", "polytechnic",
        "national", "state", "federal", "royal", "public", "higher", "education", APPLIED_SCIENCES,
    ]
)
# Words that tell apart institutions of one city: the medical university is not the university.
QUALIFIERS = frozenset(
    [
        "medical", "technology", "science", "research", "health", "center", "hospital", "clinic", "applied",
        "arts", "economics", "business", "agricultural", "agriculture", "pedagogical", "engineering", "veterinary",
        "music", "nursing", "dental", "dentistry", "pharmacy", "pharmaceutical", "sport", "sports", "normal",
        "teachers", "law", "design", "maritime", "military", "catholic", "christian", "islamic", "open",
        "forestry", "languages", "foreign", "finance", "management", "commerce", "administration", "communication",
        "transport", "aeronautics", "astronautics", "education",
        # the kinds within a city: Oulu's university is not its university of applied sciences or of technology
        APPLIED_SCIENCES,
    ]
)

LEGAL_FORMS_FILE = Path(__file__).resolve().parents[2] / "data" / "matching" / "legal_forms.csv"


def _legal_forms_abroad() -> frozenset[str]:
    """Every country's legal-form abbreviations of three to five letters ('shpk', 'sia', 'oyj', 'sarl'), from the
    ISO 20275 list (tools/derive_legal_forms.py: none a word of three reference names or an acronym)."""
    return frozenset(row["form"] for row in shipped_rows(LEGAL_FORMS_FILE))


def closing_legal_form_off(text: str) -> str:
    """The text without the legal form of any country it closes with ('Universiteti Polis Sh.p.k.' -> 'Universiteti
    Polis'), where at least two words are left; otherwise the text."""
    head, _, last = text.rstrip(" ,;").rpartition(" ")
    # a bracketed closing word is the name's acronym ('... Centre (CRC)'), which the matcher reads as one
    if last.startswith(("(", "[")) or re.sub(r"[^a-z]", "", fold_name(last)) not in LEGAL_FORMS_ABROAD:
        return text
    head = head.rstrip(" ,;-\u2013")
    return head if len(tokens_of(fold_name(head))) >= 2 else text


# Legal forms of companies: sanctions lists add or drop them freely ("Norinco Group Co., Ltd."),
# so they weigh and cost as little as function words.
LEGAL_FORMS = frozenset(
    [
        "company", "limited", "incorporated", "corporation", "llc", "jsc", "pjsc", "ojsc", "cjsc", "ooo", "oao",
        "zao", "pao", "gmbh", "ag", "sa", "plc", "bv", "nv", "ab", "oy", "as", "spa", "srl", "sarl", "kk", "ggmbh",
        "mbh", "gesmbh", "gemeinnutzige", "gemeinnuetzige", "ev", "asbl", "vzw", "aisbl", "stichting", "sl", "slu",
        "coop", "scoop", "lda", "crl", "sro", "asociatie", "onlus", "scrl", "kft", "zrt",
        "ops", "uab", "gesellschaft", "stiftung", "stiftelsen", "fundacio", "fundacao", "fundacja", "sp", "zoo", "ltda", "eireli",
        "fundacion", "vakfi", "vakif", "privada", "privat", "gemeinnutzig"
    ]
)
# A partner's legal name closes with its owner's legal form, whatever the country ("UNIVERSITETI POLIS SHPK", "... IN
# RIGA SIA"). Read only there, in a typed text: in a reference name, and first in a text, such a word is as often an
# institution's acronym ('CSL', 'CRC MINES ParisTech'), which LEGAL_FORMS would take out of the exact key.
LEGAL_FORMS_ABROAD = _legal_forms_abroad() - LEGAL_FORMS  # the hand list's are read as before


# Where a legal name names its seat: "... z siedzibą w Poznaniu", "... mit Sitz in Graz". What follows is a
# place, read like a segment after a comma.
_SEAT = re.compile(r"\s+(z siedziba|with (its )?(registered )?(seat|office)|mit sitz|con sede|avec siege|se sidlem|"
                   r"so sidlom|sa sjedistem|cu sediul|company limited by guarantee)\b")
# Compass words differ by a letter or two but name different places ("Eastern Cape" / "Western
# Cape"); they align only with a word of the same direction.
COMPASS = frozenset(
    [
        "north", "south", "east", "west", "northeast", "northwest", "southeast", "southwest", "northern",
        "southern", "eastern", "western", "northeastern", "northwestern", "southeastern", "southwestern",
    ]
)

# The first words of a segment that names a unit inside an institution.
_UNIT_PREFIX = re.compile(
    r"^(department|departement|departamento|dipartimento|faculty|facultad|faculte|fakultat|fakultet|"
    r"facolta|division|unit|laboratory|lab|section|chair|programme|program|graduate school|"
    r"institutionen|avdelningen|afdeling|klinik for|medical (faculty|fakultat|fakultet|fakulteten|school|college)|"
    r"(school|college|institute|center|clinic) (of|for|fur)|" + "|".join(sorted(UNIT_WORDS_ABROAD)) + r")\b"
)
# A unit named after the institution, without a comma: "... University School of Medicine".
_UNIT_SUFFIX = re.compile(
    r"^(?P<name>(?=.*\b(university|institute|college|university_of_applied_sciences)\b).+?)\s+"
    r"((school|college|faculty) of (medical|health science|dentistry|nursing|pharmacy|public health)"
    r"|medical (school|faculty|college)|college medical)$"
)
# A unit's first words that may also begin an institution's own name ("School of Oriental and African Studies").
_SCHOOL_NAME = re.compile(r"^(school|college|institute|academy|center|centre) (of|for)\b")
# Words that show a segment names an institution rather than a place.
_INSTITUTION_WORDS = frozenset(
    [
        "university", APPLIED_SCIENCES, "institute", "college", "hospital", "school", "academy", "polytechnic", "clinic", "center",
        "foundation", "council", "agency", "ministry",
    ]
)

# Chinese characters and Hangul syllables, and Japanese kana: the letters anyascii transliterates a syllable at a time.
_HAN_HANGUL = "\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_KANA_LETTERS = "\u3040-\u30ff"
_CJK = re.compile(f"([{_KANA_LETTERS}{_HAN_HANGUL}])")
_ELISION = re.compile(r"\b([ldjn])'")
_NON_WORD = re.compile(r"[^a-z0-9]+")
# A word run into a number ('University1-21-40', '1Department'): written apart.
_GLUED_DIGITS = re.compile(r"(?<=[a-z]{3})(?=[0-9])|(?<=[0-9])(?=[a-z]{3})")
# Two words run together in a typed text ('EngineeringNanjing'), not a name's own capital ('McGill', 'DePaul').
_GLUED_WORDS = re.compile(r"(?<=[a-zß-ÿ]{4})(?=[A-Z][a-zß-ÿ])")
_SEGMENT_BREAK = re.compile(r"[,;()\[\]|]|\s+[-\u2013\u2014/]\s+")
# A letter an export could not encode, written '?' ("Bal?kesir", "Gospi?", "?akovec" in the charter holders' list; U+FFFD
# folds to '?' too): read as a letter left out, which the typo rules pair ('balkesir' / 'balikesir'), not as two words.
_LOST_LETTER = re.compile(r"(?<=[a-z])\?+|\?+(?=[a-z])")


@lru_cache(maxsize=1 << 12)  # a typed name is folded for its parse, its quoted part and the deciding rules
def fold_name(text: str) -> str:
    # Space out CJK characters so each is a token ("北京大学" -> "bei jing da xue") rather
    # than one opaque run only an identical string could match.
    return fold(_CJK.sub(r" \1 ", native_kinds(text)))


# A run of Chinese characters or Hangul syllables: transliterated a syllable at a time.
_CJK_RUN = re.compile(f"[{_HAN_HANGUL}]+")
_KANA = re.compile(f"[{_KANA_LETTERS}]")
# Where names in those characters are Chinese or Korean, which anyascii transliterates as such: it reads a Japanese
# name's characters as Chinese too, and a name read so, two syllables to a word, is a word nobody writes that may be
# another name's word ('日本ハム' -> 'benha': Benha in Egypt was no longer the only holder of its name).
SYLLABLE_COUNTRIES = frozenset(["CN", "TW", "HK", "MO", "SG", "KR", "KP"])


def syllables_joined(name: str) -> str | None:
    """A name in Chinese, Japanese or Korean characters as people write it in Latin letters: its syllables two to
    a word ("北京大学" -> 'beijing university', "上海交通大学" -> 'shanghai jiaotong university', "中山大学" -> 'zhongshan
    university'), where ``fold_name`` spaces every syllable ('bei jing da xue'). Most words of these languages are
    two characters long, so a name read this way is the romanised name a coordinator types ("Beijing University" for
    Peking University, 北京大学) far more often than not; a kind word (大学, 学院, 대학교) stays a kind. None for a name
    with no such characters, or with kana (Japanese)."""
    if not _CJK_RUN.search(name) or _KANA.search(name):
        return None

    def joined(run: re.Match[str]) -> str:
        syllables = fold(" ".join(run.group(0))).split()
        words, at = [], 0
        while at < len(syllables):
            kind = next((size for size in range(_LONGEST_KIND, 0, -1) if tuple(syllables[at:at + size]) in KIND_PHRASES), 0)
            if kind:
                words.append(" ".join(syllables[at:at + kind]))
                at += kind
            elif at + 1 < len(syllables) and not any(tuple(syllables[at + 1:at + 1 + size]) in KIND_PHRASES
                                                     for size in range(1, _LONGEST_KIND + 1)):
                words.append(syllables[at] + syllables[at + 1])
                at += 2
            else:
                words.append(syllables[at])
                at += 1
        return f" {' '.join(words)} "

    return _CJK_RUN.sub(joined, native_kinds(name))


# "T.C." (Türkiye Cumhuriyeti, the Republic of Türkiye) opens the official names of Turkish state universities:
# "T.C. Giresun Üniversitesi" is Giresun University. Only dotted: "TC" alone may be a name's acronym.
_STATE_PREFIX = re.compile(r"^\s*t\.\s?c\.\s+(?=\w)")


def tokens_of(folded: str) -> list[str]:
    """Tokens of folded text: abbreviations expanded, dotted initials joined ('k u' -> 'ku'),
    and generic words in their canonical form."""
    return list(_tokens(folded))


@lru_cache(maxsize=1 << 16)  # a typed name is taken apart for each index, its segments and kind words again
def _tokens(folded: str) -> tuple[str, ...]:
    if "?" in folded:
        folded = _LOST_LETTER.sub("", folded)
    # each pass only where its mark is: most names have no dotted prefix, apostrophe or digit (a fifth of their cost)
    text = _words_apart(_STATE_PREFIX.sub("", folded) if "t." in folded else folded)
    raw = _NON_WORD.sub(" ", text).split()
    joined: list[str] = []
    position = 0
    while position < len(raw):
        token = raw[position]
        if token == "u" and position + 1 < len(raw) and raw[position + 1] in ("of", "de", "di"):
            joined.append("university")
            position += 1
            continue
        if len(token) == 1 and token.isalpha():
            end = position
            while end < len(raw) and len(raw[end]) == 1 and raw[end].isalpha():
                end += 1
            if end - position >= 2:  # "K.U. Leuven", "M.V. Lomonosov"
                joined.append("".join(raw[position:end]))
                position = end
                continue
        joined.append(token)
        position += 1
    out: list[str] = []
    within = len(joined) > 1
    dotted = frozenset(_DOTTED.findall(text)) if within and "." in text else frozenset()
    for at, token in enumerate(joined):
        if token == "st" and at and (at == len(joined) - 1 or _kind_of(joined[at + 1]) in _STATE_BEFORE):
            token = "state"
        if token == "govt" and at + 1 < len(joined) and joined[at + 1] == "of":
            out.append(token)  # "Govt. of India" is a government, no partner: "Govt. College ..." is a public college
            continue
        for word in (within and (KIND_ABBREVIATIONS.get(token) or (token in dotted and SHORT_WORDS.get(token)))) or (
                ABBREVIATIONS.get(token, (token,))):
            out.extend(_word_tokens(word))
    return tuple(_once(_kinds(_without_wrapper(_numbers(out)))))


def _words_apart(text: str) -> str:
    """Folded text with its words set apart as ``_tokens`` reads them: an elided article, glued digits, apostrophes."""
    if "'" in text:
        text = _ELISION.sub(r"\1 ", text)
    if _ANY_DIGIT.search(text):
        text = _GLUED_DIGITS.sub(" ", text)
    return text.replace("'", "").replace("`", "").replace("&", " and ")


def _may_be_slip(word: str) -> bool:
    """Whether a word is long enough and not itself a kind or field word, so that it may be a compound or a slip of one
    (what ``_word_tokens`` tests, and ``word_readings`` keeps)."""
    return len(word) >= _HAND_SLIP_LENGTH and word not in CANONICAL and word not in FIELD_WORDS


@lru_cache(maxsize=1 << 17)  # names share their words: the shipped reference's 57,000 names about 40,000 of them
def _word_tokens(word: str) -> tuple[str, ...]:
    """What one word of a name reads as, whatever the words around it: a compound's two words, a slip's kind, the
    canonical, field, city or translated word."""
    if _may_be_slip(word):
        if word in _KEPT_PLAIN:
            return (word,)
        if (kept := _KEPT_READINGS.get(word)) is not None:
            return kept
        if (parts := compound_kind(word)) is not None:
            return parts
        word = kind_typo(word) or kind_by_sound(word) or field_typo(word) or word
    return (CANONICAL.get(word) or FIELD_WORDS.get(word) or CITY_NAMES.get(word) or kind_stem(word)
            or TRANSLATIONS.get(word) or word,)


# The readings of the long words of a cached reference index's names (``word_readings``), kept with the index and put
# here as a process reads it (``keep_word_readings``): a CLI call or a resolve worker then reads a typed word the index
# has seen from there rather than testing it again as a slip of a kind or field word (compound, typo, sound: about
# 45 us a word, where a typed name's words are new to the process; 0.7 s of the 15 s of CPU the resolve benchmark's
# 10,000 names took, 2026-12-07). Only long words take that path (``_word_tokens``); a reading is the same in any
# process running the same code and tables, which the cached index's stamp holds to.
_KEPT_PLAIN: frozenset[str] = frozenset()  # long words read as themselves (most)
_KEPT_READINGS: dict[str, tuple[str, ...]] = {}  # the other long words' readings


def word_readings(names: Iterable[str]) -> tuple[frozenset[str], dict[str, tuple[str, ...]]]:
    """The readings of the long words of ``names`` as ``_word_tokens`` gives them: the words read as themselves, and
    the others with their readings. The words are found by folding each written word alone, as near as cheaply gets
    to how a name is read; a word missed is only read afresh."""
    words: set[str] = set()
    for written in {part for name in names for part in name.split()}:
        words.update(_NON_WORD.sub(" ", _words_apart(fold(written))).split())
    plain, others = set(), {}
    for word in words:
        if _may_be_slip(word):
            reading = _word_tokens(word)
            if reading == (word,):
                plain.add(word)
            else:
                others[word] = reading
    return frozenset(plain), others


def keep_word_readings(readings: tuple[frozenset[str], dict[str, tuple[str, ...]]]) -> None:
    """Read the words of ``readings`` (``word_readings``) from there from now on."""
    global _KEPT_PLAIN, _KEPT_READINGS
    _KEPT_PLAIN, _KEPT_READINGS = readings


# A number in a name written in Roman numerals or as a French ordinal is the number: 'Université Paris XII' is
# 'Paris 12', 'Université Hassan Ier' / 'Hassan 1er' / 'Hassan I University' the first Hassan's. Not 'v' (Czech
# 'in'), 'x' (the École polytechnique's nickname), 'xi' (a pinyin syllable), nor 'i' ('and' in Catalan and Polish)
# but at the end or before 'university'.
_ROMAN = {numeral: str(value) for value, numeral in enumerate(
    ["", "i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii", "xiii", "xiv", "xv", "xvi", "xvii",
     "xviii", "xix", "xx"]) if len(numeral) >= 2 and numeral != "xi"}
_ROMAN.update({"ier": "1", "1er": "1", "1re": "1", "ire": "1"})


def _numbers(tokens: list[str]) -> list[str]:
    if not any(t in _ROMAN or t == "i" for t in tokens):
        return tokens
    return [_ROMAN.get(t, t) if t != "i" else "1" if at > 0 and tokens[at - 1] not in STOPWORDS and (
        at == len(tokens) - 1 or tokens[at + 1] == "university") else t for at, t in enumerate(tokens)]


def _once(tokens: list[str]) -> list[str]:
    """A legal name that repeats the kind in the local word says it once: 'NEW DESIGN UNIVERSITY PRIVATUNIVERSITÄT
    GESMBH' ('privat' read off only there: 'Privatuniversität' alone is a private one). Not the same word twice:
    the text is tokenised across its commas ('Hale University, University Hospital')."""
    if not any(_again(a, b) for a, b in zip(tokens, tokens[1:], strict=False)):
        return tokens
    return [t for at, t in enumerate(tokens) if not (at and _again(tokens[at - 1], t))]


def _again(before: str, token: str) -> bool:
    return before in GENERIC and token.startswith("privat") and CANONICAL.get(token[6:]) == before


def _kind_of(token: str) -> str:
    """The canonical word a raw token stands for ('univ' -> university, 'universitet' -> university)."""
    word = (ABBREVIATIONS.get(token) or SHORT_WORDS.get(token) or (token,))[0]
    return CANONICAL.get(word, word)


# Words a legal name puts before the institution's own name: "Stichting Fontys", "Association EPITA",
# "Fundación Universidad San Jorge". Only in front: "European University Association" is an association.
WRAPPERS = frozenset(["stichting", "association", "asociacion", "associazione", "associacao", "fundacion", "fundacio",
                       "fundacao", "fundacja", "stiftung", "verein", "stowarzyszenie", "foundation"])


def _without_wrapper(tokens: list[str]) -> list[str]:
    meaningful = [t for t in tokens[1:] if t not in STOPWORDS]
    if tokens and tokens[0] in WRAPPERS and len(meaningful) >= 2 and tokens[1] not in STOPWORDS:
        return tokens[1:]
    return tokens


def _kinds(tokens: list[str]) -> list[str]:
    """Phrases that name a kind of institution (KIND_PHRASES) as their one token; a kind said twice in a
    row ("Hochschule ... University of Applied Sciences") once."""
    if not _KIND_STARTS.intersection(tokens):
        return tokens
    out: list[str] = []
    position = 0
    while position < len(tokens):
        found = None
        if tokens[position] in _KIND_STARTS:
            words: list[str] = []
            end = position
            while end < len(tokens) and len(words) < _LONGEST_KIND:
                if not words or tokens[end] not in STOPWORDS or tuple(words + [tokens[end]]) in KIND_PHRASES:
                    words.append(tokens[end])
                    if tuple(words) in KIND_PHRASES:
                        found = (KIND_PHRASES[tuple(words)], end + 1)
                end += 1
        if found is None:
            out.append(tokens[position])
            position += 1
            continue
        kind, position = found
        if out and out[-1] in (kind, "university"):  # "Hochschule ... University of Applied Sciences"
            out.pop()
        out.append(kind)
    return out


def normalize(name: str) -> str:
    """The form names are compared in: 'Harbin Inst. of Tech.' -> 'harbin institute of technology'."""
    return " ".join(tokens_of(fold_name(name)))


def exact_key(tokens: Iterable[str]) -> str:
    """Key for exact matching: the normalised words without function words and legal forms
    ('Université de Namur ASBL' is 'Université de Namur'), in order."""
    return " ".join(t for t in tokens if t not in STOPWORDS and t not in LEGAL_FORMS)


# Words that introduce the person an institution is named after: "Yelets State University named after Ivan
# Bunin", "Politechnika Bydgoska im. Jana i Jędrzeja Śniadeckich", "... imeni M.V. Lomonosova".
# The Tajik one ("ba nomi") likewise; the Kazakh ("atyndagy"), Turkmen ("adyndaky"), Azerbaijani ("adına") and Armenian
# ("anvan") ones follow the person's name, a given name and a surname: "Әбілқас Сағынов атындағы Қарағанды техникалық
# университеті" is the Karaganda Technical University.
_EPONYM = frozenset(["im", "imeni", "imienia", "named", "nomi"])
_EPONYM_AFTER = frozenset(["atyndagy", "atyndaghy", "adyndaky", "adina", "anvan"])
# A title before the person's name: "University of Curaçao Dr. Moises da Costa Gomez". Only after a name that
# says which institution it is by a word of its own (a place): "Hospital Universitario Dr. Peset" is not a
# hospital universitario.
TITLES = frozenset(["dr", "prof"])


def without_eponym(tokens: tuple[str, ...]) -> tuple[str, ...] | None:
    """The name before its eponym ('yelets state university named after ivan bunin' -> 'yelets state
    university'), if the name has one and at least two words and a word other than a kind come before."""
    for position, token in enumerate(tokens):
        if token in _EPONYM_AFTER and position >= 1:
            rest = tokens[:max(0, position - 2)] + tokens[position + 1:]
            named = [t for t in rest if t not in GENERIC and t not in STOPWORDS and t not in QUALIFIERS]
            return rest if len(rest) >= 2 and named else None
        if token in _EPONYM and position >= 2 and position + 1 < len(tokens) and (
            token != "named" or tokens[position + 1] in ("after", "for")
        ):
            head = tokens[:position - 1] if token == "nomi" and tokens[position - 1] == "ba" else tokens[:position]
            if any(t not in GENERIC and t not in STOPWORDS for t in head):
                return head
            return None
        if token in TITLES and position >= 2 and position + 2 < len(tokens):
            head = tokens[:position]
            named = [t for t in head if t not in GENERIC and t not in STOPWORDS and t not in QUALIFIERS
                     and not t.startswith("universit")]
            return head if named else None
    return None


_QUOTED = re.compile(r"\"[^\"]{3,}\"|(?<!\w)'[^']{3,}'(?!\w)")


# Words that show a text names another body built on an institution's name ("Uppsala University Holding AB",
# "Friends of the University of Tartu", "Lund University Press"): a name found within such a text is not the text's.
OTHER_BODY = LEGAL_FORMS | frozenset([
    "association", "network", "group", "press", "holding", "holdings", "consulting", "services", "alumni", "society",
    "union", "council", "students", "student", "foundation", "club", "trust", "ventures", "enterprises", "shop",
    "store", "museum", "friends", "fund", "endowment", "bookstore", "partners", "partnership", "consortium",
    "federation", "alliance", "publishing", "publishers", "sports", "innovations", "innovation", "incubator",
])


def without_quoted(tokens_or_text: str) -> tuple[str, ...] | None:
    """The words of a folded name without its quoted part, the honorific a name may carry or drop
    ('Universidad Autónoma del Beni "José Ballivián"'), if what is left still names someone: a word
    that is neither a kind, a qualifier nor a function word."""
    if '"' not in tokens_or_text and "'" not in tokens_or_text:
        return None
    rest = _QUOTED.sub(" ", tokens_or_text)
    if rest == tokens_or_text:
        return None
    tokens = tuple(tokens_of(rest))
    distinctive = [t for t in tokens if t not in GENERIC and t not in STOPWORDS and t not in QUALIFIERS and t not in LEGAL_FORMS]
    return tokens if len(tokens) >= 2 and distinctive else None


def name_parts(name: str) -> list[str]:
    """The parts of a name written as 'A – B' (bilingual names, 'OsloMet – Oslo Metropolitan
    University'): each part may be what a person types; and the head of one written 'A: B' (a
    subtitle: 'Technological University of the Shannon: Midlands Midwest'), whose subtitle alone
    names nothing ('Université Lille 1 : Sciences et Technologies')."""
    parts = [p.strip() for p in re.split(r"\s+[-\u2013\u2014]\s+", name) if p.strip()]
    heads = [head.strip() for head, colon, _ in (p.partition(": ") for p in parts or [name]) if colon and head.strip()]
    parts = parts if len(parts) > 1 else []
    return parts + [head for head in heads if head not in parts]


# --- countries ------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _country_lookup() -> dict[str, str]:
    """Normalised country names (English, Swedish, common) -> alpha-2."""
    from registry.countries import _lookup

    found = {" ".join(tokens_of(name)): code for name, code in _lookup().items() if len(name) > 3}
    found.update({" ".join(tokens_of(name)): code for name, code in _COUNTRY_NAMES.items() if name not in found})
    return found


@lru_cache(maxsize=1)
def country_name_words() -> frozenset[str]:
    """Every word of every country's names: with the cities of the index, what a segment set apart may name as a
    place."""
    return frozenset(word for name in _country_lookup() for word in name.split()) - STOPWORDS


# Countries as affiliations and partner lists write them beyond the names registry.countries knows: the
# abbreviations ("USA", "U.K.", "P.R. China") and the countries' own names ("Deutschland", "España", "Polska").
_COUNTRY_NAMES = {
    "usa": "US", "u s a": "US", "united states of america": "US", "uk": "GB", "u k": "GB", "prc": "CN",
    "p r china": "CN", "pr china": "CN", "roc": "TW", "uae": "AE", "deutschland": "DE", "brd": "DE",
    "osterreich": "AT", "schweiz": "CH", "suisse": "CH", "svizzera": "CH", "espana": "ES", "italia": "IT",
    "polska": "PL", "cesko": "CZ", "ceska republika": "CZ", "slovensko": "SK", "magyarorszag": "HU", "suomi": "FI",
    "norge": "NO", "danmark": "DK", "island": "IS", "nederland": "NL", "belgie": "BE", "belgique": "BE",
    "brasil": "BR", "mexico": "MX", "turkiye": "TR", "rossiya": "RU", "rossiia": "RU", "ukraina": "UA",
    "hellas": "GR", "ellada": "GR", "eesti": "EE", "latvija": "LV", "lietuva": "LT", "hrvatska": "HR",
    "slovenija": "SI", "srbija": "RS", "romania": "RO", "bulgaria": "BG", "nippon": "JP", "korea": "KR",
    "south korea": "KR", "iran": "IR", "viet nam": "VN", "vietnam": "VN", "russia": "RU", "taiwan": "TW",
}


@cache
def country_words(code: str | None) -> frozenset[str]:
    """Words of a country's names ('sweden', 'sverige' ...): in the context of a typed name
    they agree with an entity in that country rather than count against it."""
    if not code:
        return frozenset()
    words = {code.lower()}
    for name, other in _country_lookup().items():
        if other == code:
            words.update(name.split())
    return frozenset(words - STOPWORDS)


@cache
def region_words(code: str | None) -> frozenset[str]:
    """The one-word names of a country's regions, states and provinces (ISO 3166-2, through pycountry: 'tirol',
    'occitanie', 'haryana', 'missouri'): a name that adds its region ("Université de Technologie Tarbes
    Occitanie") is the same name without it."""
    if not code:
        return frozenset()
    import pycountry

    words = set()
    for subdivision in pycountry.subdivisions.get(country_code=code) or ():
        name = re.split(r"[\[,(]", subdivision.name)[0]
        tokens = division_name(tokens_of(fold(name)))
        if len(tokens) == 1 and len(tokens[0]) >= 4 and tokens[0] not in GENERIC and tokens[0] not in QUALIFIERS:
            words.add(tokens[0])
    return frozenset(words - STOPWORDS)


# Territories whose institutions people file under the state they belong to: Ilisimatusarfik (GL) under DK,
# the University of Curaçao under NL, the University of Puerto Rico under US, Hong Kong's under CN.
_SOVEREIGN = {
    **dict.fromkeys(("GL", "FO"), "DK"), **dict.fromkeys(("AW", "CW", "SX", "BQ"), "NL"),
    **dict.fromkeys(("PR", "GU", "VI", "AS", "MP"), "US"), **dict.fromkeys(("HK", "MO"), "CN"),
    **dict.fromkeys(("GP", "MQ", "GF", "RE", "YT", "NC", "PF", "PM", "WF", "BL", "MF"), "FR"),
    **dict.fromkeys(("GI", "BM", "KY", "VG", "IM", "JE", "GG", "FK", "MS", "TC", "AI"), "GB"),
    "AX": "FI", "SJ": "NO", **dict.fromkeys(("CX", "CC", "NF"), "AU"), **dict.fromkeys(("CK", "NU", "TK"), "NZ"),
}


def other_country(given: str | None, theirs: str | None) -> bool:
    """Both countries known, and neither the same nor a territory of the other's state."""
    if not given or not theirs:
        return False
    return _SOVEREIGN.get(given, given) != _SOVEREIGN.get(theirs, theirs)


def segment_country(tokens: tuple[str, ...]) -> str | None:
    return _country_lookup().get(" ".join(tokens)) if 0 < len(tokens) <= 4 else None


# --- typed names -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """A typed name taken apart: the variants worth matching and what was set aside."""

    raw: str
    variants: tuple[tuple[str, ...], ...]  # token tuples; the first is the whole text
    dropped: tuple[str, ...] = ()  # units removed ("faculty of medical")
    context: frozenset[str] = frozenset()  # words of segments that are places, not names
    country_hint: str | None = None  # a country named in the text itself
    kept: tuple[str, ...] = ()  # the segments that name the institution, joined (the whole, less the context)
    places: frozenset[str] = frozenset()  # context words of segments that name a campus or site
    segments: tuple[tuple[str, ...], ...] = ()  # every segment, in the order typed
    named: tuple[tuple[str, ...], ...] = ()  # the segments that name an institution, in the order typed
    runs: tuple[tuple[str, ...], ...] = ()  # the segments where a wide gap does not part them (for runs of a name)


# Words that make a segment a place of the institution: "Camperdown campus", "sede Santiago".
CAMPUS_WORDS = frozenset([
    "campus", "campuses", "site", "sede", "standort", "branch", "kampus", "campusul", "main", "box", "pobox",
    "street", "str", "strasse", "road", "avenue", "ave", "calle", "via", "rue", "floor", "building",
])
# What names a place of higher education (the units named before it belong to it: "Imperial College London").
HIGHER_EDUCATION_WORDS = frozenset(["university", "college"])
# Words that make a segment or a name a research or clinical unit rather than a teaching institution (a
# centre, an institute, a hospital's clinic): the unit a text names within its university.
RESEARCH_UNIT_WORDS = frozenset(["center", "centre", "institute", "laboratory", "laboratories", "lab", "hospital",
                                 "clinic", "klinikum", "research", "group", "programme", "program", "unit", "division"])
_UNIT_WORDS = frozenset([
    "school", "faculty", "department", "graduate", "center", "laboratory", "division", "institute",
]) | UNIT_WORDS_ABROAD
_HOLDER_WORDS = frozenset(["university", "institute", "college", "hospital", APPLIED_SCIENCES])


def _names_after_unit(segment: tuple[str, ...]) -> bool:
    """A unit's segment that names an institution after the unit's own name: 'School of Civil Engineering Southeast
    University', 'Department of General Surgery China-Japan Friendship Hospital'."""
    unit = _UNIT_PREFIX.match(" ".join(segment))
    return unit is not None and bool(_INSTITUTION_WORDS.intersection(segment[len(unit.group(0).split()) + 1:]))


def _without_unit_suffix(segment: tuple[str, ...]) -> tuple[str, ...] | None:
    found = _UNIT_SUFFIX.match(" ".join(segment))
    return tuple(found.group("name").split()) if found else None


def _around_units(segment: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The institution in a segment that also names a unit, without a comma between:
    'Tohoku University Graduate School of Medicine' -> 'tohoku university';
    'Sackler School of Medicine Tel Aviv University' -> 'tel aviv university'."""
    holders = [k for k, t in enumerate(segment) if t in _HOLDER_WORDS]
    units = [u for u, t in enumerate(segment) if t in _UNIT_WORDS]
    found = []
    if holders and units:
        after = [u for u in units if u > holders[0] and segment[u] != segment[holders[0]]]
        if after:
            found.append(segment[: after[0]])
    if holders and UNIT_HEADS_LAST.intersection(segment[holders[0] + 2:]):  # "Fırat Üniversitesi İletişim Fakültesi"
        found.append(segment[: holders[0] + 1])
    if holders and units:
        before = [u for u in units if u < holders[-1]]
        if before:
            start = before[-1] + 1
            if start < len(segment) and segment[start] in ("of", "for"):
                start += 2
            elif start < len(segment) and segment[start] in ("der", "des"):  # "Laboratorium der Universität Göttingen"
                start += 1
            if start <= holders[-1]:
                found.append(segment[start:])
    return [f for f in found if any(t not in GENERIC and t not in STOPWORDS for t in f) and f != segment]


# What affiliation strings carry besides words: markup ("<I>...</I>", "&amp;") and footnote marks, before the text
# ("1West Virginia Univ.", "a   School of ...") or after an institution's name ("Stanford University 1 , Stanford",
# "Fudan University 1 State Key Laboratory ..."); a number naming the institution ("Université Paris 8", "Université
# d'Alger 3") follows no kind word or is followed by neither a comma nor a unit.
_ANY_DIGIT = re.compile(r"\d")
_MARKUP = re.compile(r"</?[A-Za-z][^<>]{0,20}>")
_FOOTNOTE_START = re.compile(r"^\s*(?:\d{1,2}|[a-z](?=\s{2,}))\s*(?=[A-Z][a-z])")
_FOOTNOTE_AFTER_NAME = re.compile(
    r"(?i:\b(universit\w*|college|institute|school|hospital))\s*\d{1,2}\s*(?=,|\s(?:Department|Dept|Faculty|School|"
    r"Laboratory|Lab|State Key|Key Laboratory|Institute|Division|Center|Centre|Departamento|Dipartimento|Graduate)\b)")


# What an affiliation says about the author, not the organisation: "Current address:", "Currently at", "Formerly".
_BOILERPLATE = re.compile(r"^\s*(?i:(?:current(?:ly)?|present|permanent)\s*(?:address)?\s*(?:at|with|in)?|"
                          r"formerly\s*(?:at|with)?|now\s*(?:at|with)|also\s*(?:at|with)|on leave from)\s*:?\s*(?=[A-Z])")
# Words run together where a list lost its spaces: "Institute ofTianjin University", "CONICETUniversidad".
_GLUED_FUNCTION_WORD = re.compile(r"(?<=\s)(at|of|the|and)(?=[A-Z][a-z])")
_GLUED_ACRONYM = re.compile(r"(?<=[A-Z]{3})(?=[A-Z][a-z]{2})")
# Where a list lost its commas, two spaces before an acronym ("University of Strathclyde  SUPA") or a dash that is
# no hyphen ("Universidad Nacional de Colombia—Medellín") part the text.
_LOST_COMMA = re.compile(r"\s{2,}(?=[A-Z0-9][A-Z0-9&/-]+(\s|$))|\u2014")
# A wider gap before a capital parts the text too where what follows names another body or a unit ("Polytechnic of
# Porto  School of Engineering  ISEP", "Los Angeles Pacific University  Azusa Pacific University", "Information and
# Bioengineering   Politecnico di Milano"): lists that lose their commas keep the gap. Before an address or a place
# ("... Kyusyu University  Fukuoka Japan", "... University  University Park PA 16802") the text stays one run, which
# the runs of a name read as the name and its place; after a function word ("University of  Oslo") it is a slip.
_WIDE_GAP = re.compile(r"(\s{2,})(?=[A-Z])")


def _gaps_as_commas(text: str) -> str:
    pieces = _WIDE_GAP.split(text)  # text, gap, text, gap ...
    parted = pieces[0]
    for gap, piece in zip(pieces[1::2], pieces[2::2], strict=True):
        before = parted.split()[-1:] or [""]
        words = tuple(tokens_of(fold_name(piece)))
        body = not _ANY_DIGIT.search(piece) and bool(
            _INSTITUTION_WORDS.intersection(words) or _UNIT_PREFIX.match(" ".join(words)))
        apart = body and before[0].lower() not in STOPWORDS and not before[0].endswith(("-", ",", "&"))
        parted += (", " if apart else gap) + piece
    return parted


def without_markup(raw: str, gaps: bool = True) -> str:
    """The text without markup, entities, footnote marks and the words about an author ("Currently at")."""
    text = html.unescape(_MARKUP.sub(" ", raw)) if "<" in raw or "&" in raw else raw
    text = affiliation_commas(text)
    text = _GLUED_ACRONYM.sub(" ", _GLUED_FUNCTION_WORD.sub(r"\1 ", _BOILERPLATE.sub("", text)))
    if _ANY_DIGIT.search(text):
        text = _FOOTNOTE_AFTER_NAME.sub(r"\1,", text)
    if text[:1].isdigit() or text[:1].islower():
        text = _FOOTNOTE_START.sub("", text)
    if gaps and "  " in text:
        text = _gaps_as_commas(text)
    return _LOST_COMMA.sub(", ", text) if "  " in text or "\u2014" in text else text


@lru_cache(maxsize=1 << 12)  # both indexes (the registry's, the reference's) take the same name apart
def parse_query(raw: str) -> Query:
    """Split a typed name on commas, semicolons, brackets and spaced dashes; drop unit
    segments; keep institution-like segments as variants and the rest as context."""
    segments = [part for segment in _segments(without_markup(raw)) for part in _bodies_joined(segment)]
    # a run of a name is read in the text as typed, its place after it: a wide gap parts the place, not the name
    runs = tuple(_segments(without_markup(raw, gaps=False)) if "  " in raw else segments)
    if not segments:
        return Query(raw, ())
    dropped, kept, context = [], [], []
    country = None
    for segment in segments:
        text = " ".join(segment)
        if len(segments) > 1 and _UNIT_PREFIX.match(text):
            dropped.append(text)
        elif any(t in _INSTITUTION_WORDS for t in segment) or len(segments) == 1:
            kept.append(segment)
        else:
            country = country or segment_country(segment)
            context.append(segment)
    others = [s for s in segments if " ".join(s) not in dropped]
    if dropped and not kept and 0 < sum(map(len, others)) <= 4 and all(len(t) <= 4 for s in others for t in s):
        # "School of Pedagogical and Technological Education - A.S.PAI.T.E.": the only body named is the school,
        # the rest an acronym or a short place (not "School of Public Health, <a name in another script>")
        named = [s for s in segments if " ".join(s) in dropped and _SCHOOL_NAME.match(" ".join(s))]
        if named:
            dropped = [d for d in dropped if d != " ".join(named[0])]
            kept = [named[0]] + kept
    if not kept:
        # "School of Civil Engineering Southeast University, Nanjing China": a unit's segment that goes on to name an
        # institution is the name where no other segment names one; the rest is its place
        naming = next((s for s in segments if " ".join(s) in dropped and _names_after_unit(s)), None)
        if naming:
            dropped.remove(" ".join(naming))
    if not kept:  # "Karolinska, Stockholm": the first remaining segment is the name
        rest = [s for s in segments if " ".join(s) not in dropped] or [segments[-1]]
        kept, context = [rest[0]], rest[1:]
        country = next((c for c in (segment_country(s) for s in context) if c), None)
    whole = tuple(t for s in segments if " ".join(s) not in dropped for t in s) or kept[0]
    variants = [whole, tuple(t for s in kept for t in s)]
    unquoted = without_quoted(fold_name(raw)) if len(segments) == 1 else None
    if unquoted:
        variants.append(unquoted)
    if len(kept) > 1:
        variants += list(reversed(kept))
    for segment in kept:
        eponymless = without_eponym(segment)
        if eponymless:
            variants.append(eponymless)
        stripped = _without_unit_suffix(segment)
        if stripped:
            variants.append(stripped)
            dropped.append(" ".join(segment[len(stripped):]))
        variants += _around_units(segment)
    context_words = frozenset(t for s in context for t in s) - STOPWORDS
    places = frozenset(t for s in context if CAMPUS_WORDS & set(s) for t in s)
    return Query(raw, tuple(dict.fromkeys(variants))[:5], tuple(dropped), context_words, country, variants[1], places,
                 tuple(segments), tuple(kept) if len(kept) > 1 else (), runs)


# The words that name a campus: the segment they end, or begin after a name, is a place of the institution.
_CAMPUS_NAMING = frozenset(["campus", "kampus", "campusul"])


def campus_set_apart(raw: str) -> str | None:
    """The text, folded, with a campus written after a name without a comma set apart by one, or None where it has
    none: 'Monash University Clayton Campus' -> 'monash university, clayton campus'. Matching reads it where the text
    as typed has no probable candidate: a name that goes on past its kind word ('SRM University Sikkim Main Campus')
    is the whole name, read first."""
    segments = [part for segment in _segments(without_markup(raw)) for part in _bodies_joined(segment)]
    parts = [part for segment in segments for part in _campus_apart(segment)]
    return ", ".join(" ".join(part) for part in parts) if len(parts) > len(segments) else None


def _campus_apart(segment: tuple[str, ...]) -> list[tuple[str, ...]]:
    """A campus after a name, as if a comma set it apart: 'Moi University | Eldoret West Campus' (after the name's last
    kind word, where no function word carries the name on), 'Universidade de Sao Paulo | Campus Ribeirao Preto' (from
    the campus word, where a kind word comes before it)."""
    at = next((k for k, t in enumerate(segment) if t in _CAMPUS_NAMING), None)
    if at is None or at == 0 or not any(t in _INSTITUTION_WORDS for t in segment[:at]):
        return [segment]
    if at < len(segment) - 1:
        return [segment[:at], segment[at:]]
    kind = max(k for k, t in enumerate(segment[:at]) if t in _INSTITUTION_WORDS)
    if kind + 1 >= at or segment[kind + 1] in STOPWORDS:
        return [segment]
    return [segment[:kind + 1], segment[kind + 1:]]


def _bodies_joined(segment: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Two bodies joined by 'and' in one segment are two segments ("McLean Hospital and Harvard Medical School",
    "Black Dog Institute and School of Psychology", "University of Michigan and C.S. Mott Children's Hospital"):
    each side names a body of its own, with a kind word and a word that is no kind, qualifier or function word.
    "Norwegian University of Science and Technology", "Oregon Health and Science University", "School of Medicine and
    Health Sciences" name one body: a side lacks one or the other."""
    if "and" not in segment[1:-1]:
        return [segment]
    for k, word in enumerate(segment[1:-1], start=1):
        if word == "and":
            left, right = segment[:k], segment[k + 1:]
            if _fields_go_on(left, right):
                continue
            if _names_a_body(left) and (_names_a_body(right) or _UNIT_PREFIX.match(" ".join(right))):
                return [left, *_bodies_joined(right)]
    return [segment]


def _fields_go_on(left: tuple[str, ...], right: tuple[str, ...]) -> bool:
    """'School of Mathematics *and* Physics Queen's University Belfast': a unit's name is a list of fields, and the
    institution follows it without a comma; the 'and' joins two fields, not two bodies (the unit's side names no body
    but the unit, and the other side does not begin with a kind or a unit: "Black Dog Institute and School of
    Psychology" stay two)."""
    unit = _UNIT_PREFIX.match(" ".join(left))
    # the unit's head word opens it and its fields follow ("Medical College of Wisconsin and ..." names a college)
    return (unit is not None and left[1:2] in (("of",), ("for",))
            and not _INSTITUTION_WORDS.intersection(left[len(unit.group(0).split()):])
            and right[0] not in _INSTITUTION_WORDS and right[0] not in GENERIC and not _UNIT_PREFIX.match(" ".join(right)))


def _names_a_body(words: tuple[str, ...]) -> bool:
    return bool(_INSTITUTION_WORDS.intersection(words)) and any(
        t not in GENERIC and t not in STOPWORDS and t not in QUALIFIERS and t not in _INSTITUTION_WORDS
        and not t.isdigit() for t in words)


def _segments(text: str) -> list[tuple[str, ...]]:
    parts = _SEGMENT_BREAK.split(_SEAT.sub(",", fold_name(_GLUED_WORDS.sub(" ", text))))
    return [segment for segment in (tuple(tokens_of(part)) for part in parts) if segment]


# -- what body a name says it is: read by the resolver's deciding rules (registry/resolve.py) -------------

_WORD = re.compile(r"[a-z0-9]+")
# what says the body a legal form names is a school, not a company ("Novo Nordisk A/S" is one): a kind of school
_SCHOOL_WORDS = GENERIC.difference(["national", "state", "federal", "royal", "public"]) | frozenset(["conservatory"])
# kind words as tokens_of reads them, in every language: a word after a whole name that says another kind of body
_KINDS_OF_BODY = frozenset(CANONICAL.values()) | frozenset(KIND_PHRASES.values())


def passed_over(token: str) -> bool:
    """A word after a whole name that may be passed over: not a kind, field, another body or a number."""
    return (token.isalpha() and token not in GENERIC and token not in QUALIFIERS and token not in _KINDS_OF_BODY
            and token not in OTHER_BODY and token not in STOPWORDS)


def legal_name(name: str) -> bool:
    """'Stichting Codarts Hogeschool ...', 'Fundació Privada Universitària EADA': the text names a school's legal
    owner, a foundation or association (a wrapper), or a company with a kind of school in its name. A legal form
    alone names a company ('Novo Nordisk A/S'). A wrapper in front is taken out of the name's words, so the
    folded words are read too."""
    folded = fold_name(name)
    words, tokens = set(_WORD.findall(folded)), set(tokens_of(folded))
    if words & WRAPPERS or tokens & WRAPPERS:
        return True
    return bool((words | tokens) & LEGAL_FORMS and tokens & _SCHOOL_WORDS)


def other_level(name: str, matched: str) -> bool:
    """The typed name and the name matched say different levels of body: a lycée and a university, a hospital and a
    college (a founder's name both carry does not make them one). A hospital named after its university ("Ain Shams
    University Hospitals") is a hospital: where one side says hospital or clinic and the other does not, they
    differ."""
    typed, theirs = levels(tokens_of(fold_name(name))), levels(tokens_of(fold_name(matched)))
    return bool(typed and theirs and (not typed & theirs or ("care" in typed) != ("care" in theirs)))
