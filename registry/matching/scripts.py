"""Names in the scripts ROR lists some names in only natively: their kind words and places, before and after folding.

anyascii folds every script letter by letter, which is enough where a word is an international one
("Университет" -> universitet, "უნივერსიტეტი" -> universiteti) but not where the language has a word of its
own: "جامعة الخرطوم" folds to 'jm`h lkhrtwm', "دانشگاه کردستان" to 'dnshgh krdstn', "มหาวิทยาลัยทักษิณ" to one run
of letters. So, before folding, the words that say what kind of body a name is (university, college, institute,
hospital, academy, school, state, national, medical, technology ...) in Arabic, Persian, Pashto, Urdu, Hebrew,
Armenian, Thai, Lao, Khmer, Burmese and the Indic scripts become their English word (Georgian and Cyrillic spell
the international ones), and an Arabic word's article and conjunction ('al-', 'wa-l-', 'li-l-') are read off; the
rest of the name is folded as before. After folding, the declined forms of the Cyrillic languages' kind adjectives ('gosudarstvennaya',
'meditsinskiy', 'derzhavnyi', 'natsionalnyy') are read by their stem (``kind_stem``).

A word of a script that writes no short vowels (Arabic, Persian, Hebrew) whose consonants are those of exactly one
city of the shipped extract in a country writing it ('bnghzy', بنغازي: Benghazi) is that city
(data/matching/city_skeletons.csv); other names still match by their letters, a capital's native spelling through
data/matching/city_names.csv.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from registry.shipped import shipped_rows
from registry.text import fold

# English word -> the words that say it, written natively. Arabic-script words without their article.
_NATIVE_KINDS = {
    "university": "جامعة جامعه جامعہ دانشگاه دانشگاہ پوهنتون אוניברסיטת אוניברסיטה האוניברסיטה համալսարան "
                  "มหาวิทยาลัย ມະຫາວິທະຍາໄລ សាកលវិទ្យាល័យ တက္ကသိုလ် विश्वविद्यालय বিশ্ববিদ্যালয় "
                  "ವಿಶ್ವವಿದ್ಯಾಲಯ பல்கலைக்கழகம் විශ්වවිද්‍යාලය විශ්වවිද්යාලය വിശ്വവിദ്യാലയം విశ్వవిద్యాలయం "
                  "ਯੂਨੀਵਰਸਿਟੀ યુનિવર્સિટી",
    "college": "كلية كليه کالج دانشکده מכללת המכללה วิทยาลัย মহাবিদ্যালয় महाविद्यालय",
    "institute": "معهد موسسه مؤسسة انستیتو پژوهشگاه מכון สถาบัน ສະຖາບັນ វិទ្យាស្ថាន ինստիտուտ",
    "hospital": "مستشفى مستشفي بیمارستان روغتون בית־חולים โรงพยาบาล ໂຮງໝໍ មន្ទីរពេទ្យ ဆေးရုံ हस्पताल चिकित्सालय",
    "academy": "أكاديمية اكاديمية آکادمی אקדמיה האקדמית האקדמיה ակադեմիա",
    "school": "مدرسة مدرسه בית־ספר โรงเรียน",
    "center": "مركز مرکز",
    "higher": "العالي العالی عالی عالي",
    "state": "دولتی الحكومية ממשלתית պետական",
    "national": "الوطنية الوطني ملی מלאומית ազգային แห่งชาติ",
    "international": "الدولية الدولي بین‌المللی بينالمللي בינלאומית միջազգային นานาชาติ",
    "medical": "الطبية الطبي پزشکی طبی רפואי רפואית բժշկական",
    "science": "العلوم علوم למדעים",
    "technology": "التكنولوجيا تكنولوجيا التقنية التقني صنعتی فناوری טכנולוגי טכנולוגית เทคโนโลยี",
    "islamic": "الإسلامية الاسلامية الإسلامي الاسلامي اسلامی",
    "pedagogical": "للمعلمين تربیت‌معلم",
    "agricultural": "الزراعية کشاورزی",
    "applied": "التطبيقية",
    "open": "المفتوحة",
}
# Arabic letters written several ways for one sound: hamza on alif, alif maqsura, ta marbuta, the Persian and
# Urdu forms of kaf, ya and ha. One form each, before the words are looked up (folding reads them alike anyway,
# but the words are looked up as written).
_ARABIC_FORMS = str.maketrans({"أ": "ا", "إ": "ا", "ٱ": "ا", "ى": "ي", "ی": "ي", "ک": "ك", "ة": "ه", "ہ": "ه",
                               "ھ": "ه", "ۀ": "ه", "\u0640": None, "\u200c": " ", "\u200d": None})
_ARABIC = re.compile(r"[\u0600-\u06ff]")
# The vowel marks a name may carry (جَامِعَة): between a kind word's letters, passed over.
_MARKS = "[\u064b-\u065f\u0670]*"
_UNMARKED = re.compile(_MARKS.removesuffix("*"))
# Scripts that write words without spaces between them: a kind word is found inside a run of letters.
_UNSPACED = re.compile(r"[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff]")
# An Arabic word's article and the conjunction or preposition fused with it: al-, wa-l-, bi-l-, fa-l-, li-l-.
_ARABIC_PREFIXES = ("ال", "وال", "بال", "فال", "لل", "و")


def _arabic(word: str) -> str:
    return word.translate(_ARABIC_FORMS)


def _pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    english: dict[str, str] = {}
    for meaning, words in _NATIVE_KINDS.items():
        for word in words.split():
            word = word.replace("־", " ")
            key = _arabic(word) if _ARABIC.search(word) else word
            if key.startswith("ال") and len(key) > 4:
                key = key[2:]  # the article is read off whatever word it is fused with
            english.setdefault(key, meaning)
    ordered = sorted(english, key=len, reverse=True)
    arabic = [_MARKS.join(map(re.escape, w)) for w in ordered if _ARABIC.search(w)]
    unspaced = [re.escape(w) for w in ordered if _UNSPACED.search(w)]
    spaced = [re.escape(w) for w in ordered if not _ARABIC.search(w) and not _UNSPACED.search(w)]
    prefix = "|".join(_MARKS.join(prefix) + _MARKS for prefix in _ARABIC_PREFIXES)
    parts = [rf"(?<!\w)(?:{prefix})?(?P<arabic>{'|'.join(arabic)}){_MARKS}(?!\w)",
             rf"(?P<unspaced>{'|'.join(unspaced)})",
             rf"(?<!\w)(?P<spaced>{'|'.join(spaced)})(?!\w)"]
    return re.compile("|".join(parts)), english


_KIND_WORD, _ENGLISH = _pattern()
_NATIVE = re.compile(r"[\u0590-\u06ff\u0900-\u0dff\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u0530-\u058f]")


# --- places written in scripts without vowels ------------------------------------------------------------------

# The languages whose scripts leave short vowels unwritten, and whose countries' cities data/matching/city_skeletons.csv
# holds (tools/derive_city_skeletons.py).
ABJAD_LANGUAGES = frozenset(["ar", "fa", "ps", "ur", "he", "ckb", "ku"])
SHORTEST_SKELETON = 4  # fewer consonants name too many places ('kt' is Kuwait and Kota)
# Letters and letter pairs that romanisations write differently for one sound: 'kh' / 'x' / 'h', 'q' / 'k', 'j' / 'g'
# (Egyptian 'Giza' for الجيزة), 'ph' / 'f', 'ch' (French 'Chlef') / 'sh'.
_SOUNDS = (("kh", "k"), ("gh", "g"), ("sh", "s"), ("ch", "s"), ("th", "t"), ("dh", "d"), ("zh", "z"), ("ph", "f"),
           ("ts", "s"), ("q", "k"), ("c", "k"), ("x", "k"), ("g", "j"), ("p", "b"), ("v", "w"), ("e", ""), ("i", ""),
           ("o", ""), ("u", ""), ("a", ""), ("y", ""), ("w", ""))
_DOUBLED = re.compile(r"(.)\1+")


@lru_cache(maxsize=1 << 14)
def skeleton(word: str) -> str:
    """A folded word's consonants, as a script that writes no short vowels spells it: 'benghazi' and 'bnghzy'
    (بنغازي) are 'bnjz', 'kurdistan' and 'krdstn' (کردستان) 'krdstn'. A closing h (ta marbuta) is left out, and
    a letter doubled counts once (the scripts do not write it twice)."""
    word = _DOUBLED.sub(r"\1", word.lower())
    for written, sound in _SOUNDS:
        word = word.replace(written, sound)
    return _DOUBLED.sub(r"\1", word.removesuffix("h"))


CITY_SKELETONS_FILE = Path(__file__).resolve().parents[2] / "data" / "matching" / "city_skeletons.csv"


TRANSLATIONS_FILE = CITY_SKELETONS_FILE.with_name("word_translations.csv")


def _translations() -> dict[str, str]:
    """A word of another script, folded, to the English word the reference's own records write beside it
    (tools/derive_word_translations.py: 'lardnyh', الأردنية, is jordan)."""
    return {row["written"]: row["english"] for row in shipped_rows(TRANSLATIONS_FILE)}


TRANSLATIONS = _translations()


NAME_SKELETONS_FILE = CITY_SKELETONS_FILE.with_name("name_skeletons.csv")
SHORTEST_NAME_SKELETON = 3  # a name's word is read by fewer consonants than a city: it is looked for in one table only


@lru_cache(maxsize=1)
def city_skeletons() -> dict[str, str]:
    return {row["skeleton"]: row["city"] for row in shipped_rows(CITY_SKELETONS_FILE)}


def _name_skeletons() -> dict[tuple[str, str], tuple[str, frozenset[str]]]:
    return {(row["head"], row["skeleton"]): (row["word"], frozenset((row.get("not_for") or "").split()))
            for row in shipped_rows(NAME_SKELETONS_FILE)}


# (head, skeleton) -> the word of a Latin name, and the native words (folded) that are other words: from
# tools/derive_name_skeletons.py
NAME_SKELETONS = _name_skeletons()


# The letters that begin a word with a vowel: alif (which folds to nothing), its hamza forms, ayn; Hebrew alef, ayin.
_VOWEL_LETTERS = frozenset("اأإآعאע")


def skeleton_head(letters: str) -> str:
    """How a folded word begins, as both spellings keep it: 'V' for a vowel (an alif or ayn in the scripts, folded
    "'" or "`"), else its first consonant as ``skeleton`` reads it ('wingate' is no 'njt', نجاة)."""
    if not letters or letters[0] in "aeiou'`":
        return "V"
    return letters[0] if letters[0] in "wy" else skeleton(letters)[:1]


ABJAD_WORD = re.compile(r"[\u0590-\u05ff\u0600-\u06ff]+")
# The Arabic article and what is fused with it (al-, wa-l-, bi-l-, fa-l-, li-l-): not part of a place's name.
_ARTICLE = re.compile(r"^(?:ال|وال|بال|فال|لل)(?=..)")


def native_letters(word: str) -> str:
    """A word of a script without vowels folded, its article read off: 'البحوث' -> 'bhwth'."""
    return fold(_ARTICLE.sub("", word)).replace("`", "").replace("'", "")


def native_word_key(word: str) -> tuple[str, str] | None:
    """The head and consonants of a word of a script without vowels, its article read off (``skeleton_head``,
    ``skeleton``: 'تبوك' -> ('t', 'tbk'), 'إدلب' -> ('V', 'dlb')), or None where it folds to more than letters."""
    bare = _ARTICLE.sub("", word)
    letters = native_letters(word)
    if not letters.isalpha():
        return None
    return ("V" if bare[:1] in _VOWEL_LETTERS else skeleton_head(fold(bare))), skeleton(letters)


def _place(found: re.Match[str]) -> str:
    """A word whose consonants are a city's is that city; else, unless the reference's own records say what it means
    (``TRANSLATIONS``), one whose head and consonants are those of one word of the Latin names of the institutions of
    the countries writing these scripts is that word ('تبوك' -> 'tabuk', data/matching/name_skeletons.csv)."""
    word = found.group()
    key = native_word_key(word)
    if key is None:
        return word
    known = city_skeletons().get(key[1])
    if not known and len(key[1]) >= SHORTEST_NAME_SKELETON and not (
            fold(word) in TRANSLATIONS or fold(_ARTICLE.sub("", word)) in TRANSLATIONS):
        known, other = NAME_SKELETONS.get(key, ("", frozenset()))
        known = "" if native_letters(word) in other else known
    return f" {known} " if known else word


def _english(found: re.Match[str]) -> str:
    word = next(group for group in found.groups() if group)
    return f" {_ENGLISH.get(word) or _ENGLISH[_UNMARKED.sub('', word)]} "


def native_kinds(text: str, places: bool = True) -> str:
    """``text`` with the kind words of scripts anyascii cannot read as such written in English, and (``places``) a
    word of a script without vowels that is a city's consonants as the city: 'جامعة نجران' -> ' university  najran ',
    or a word's of a Latin name ('جامعة تبوك' -> ' university  tabuk ').
    (tools/derive_city_names.py reads the scripts' city names without the second: it derives what the first reads.)"""
    if not _NATIVE.search(text):
        return text
    if _ARABIC.search(text):
        text = _arabic(text)
    text = _KIND_WORD.sub(_english, text)
    return ABJAD_WORD.sub(_place, text) if places and ABJAD_WORD.search(text) else text


# The kind adjectives and nouns of Russian, Ukrainian, Belarusian, Bulgarian, Serbian, Macedonian and the
# Turkic languages written in Cyrillic, folded: their stems, read whatever the gender, number or case.
_CYRILLIC_STEMS = {
    "gosudarstvenn": "state", "derzhavn": "state", "dzyarzhaun": "state", "drzhavn": "state", "drzhaven": "state",
    "darzhavn": "state", "memlekettik": "state", "davlatii": "state", "davlat": "state", "dovlat": "state",
    "dovlet": "state",
    "meditsinsk": "medical", "medichn": "medical", "medytsynsk": "medical",
    "tekhnichesk": "technology", "tekhnologichesk": "technology", "tekhnichn": "technology",
    "tekhnolohichn": "technology", "tekhnalagichn": "technology",
    "tekhnologiyalyk": "technology", "tekhnikalyq": "technology", "tekhnikalyk": "technology",
    "politekhnichesk": "polytechnic", "politekhnichn": "polytechnic",
    "pedagogichesk": "pedagogical", "pedagogichn": "pedagogical", "pedahohichn": "pedagogical",
    "pedagagichn": "pedagogical",
    "ekonomichesk": "economics", "ekonomichn": "economics",
    "natsionaln": "national", "natsyyanaln": "national", "natsionalen": "national",
    "mezhdunarodn": "international", "mizhnarodn": "international", "mezhdunaroden": "international",
    "federaln": "federal",
    "universitet": "university", "universytet": "university", "univerzitet": "university", "donishgoh": "university",
    "institut": "institute", "instytut": "institute",
    "akademi": "academy", "akadehmi": "academy",
    "bolnits": "hospital", "likarn": "hospital", "bolnic": "hospital",
    "muzykaln": "music", "muzychn": "music",
    "sportivn": "sport",
    "agrarn": "agricultural", "selskokhozyaystvenn": "agricultural", "silskohospodarsk": "agricultural",
    "issledovatelsk": "research", "doslidnytsk": "research",
}
# What may follow a stem: a declension ending ('-aya', '-ogo', '-ykh', '-iy', '-a', '-ii'), never another word run on
# ("universitetshospital" is a hospital) nor an English plural (the National Institutes of Health are not an institute).
_ENDING = re.compile(r"(?:[aeiouy][a-z]{0,3})?(?<!s)")
_SHORTEST_STEM = min(map(len, _CYRILLIC_STEMS))


@lru_cache(maxsize=1 << 16)
def kind_stem(word: str) -> str | None:
    """The kind a folded Cyrillic word declines: 'gosudarstvennaya' -> 'state', 'meditsinskiy' -> 'medical'."""
    if len(word) < _SHORTEST_STEM:
        return None
    for end in range(len(word), _SHORTEST_STEM - 1, -1):
        meaning = _CYRILLIC_STEMS.get(word[:end])
        if meaning and _ENDING.fullmatch(word[end:]):
            return meaning
    return None
