"""Kind words of the scripts ROR lists names in only natively, read before and after folding to ASCII.

anyascii folds every script letter by letter, which is enough where a word is an international one
("Университет" -> universitet, "უნივერსიტეტი" -> universiteti) but not where the language has a word of its
own: "جامعة الخرطوم" folds to 'jm`h lkhrtwm', "دانشگاه کردستان" to 'dnshgh krdstn', "มหาวิทยาลัยทักษิณ" to one run
of letters. So, before folding, the words that say what kind of body a name is (university, college, institute,
hospital, academy, school, state, national, medical, technology ...) in Arabic, Persian, Pashto, Urdu, Hebrew,
Armenian, Georgian, Thai, Lao, Khmer, Burmese and the Indic scripts become their English word, and an Arabic
word's article and conjunction ('al-', 'wa-l-', 'li-l-') are read off; the rest of the name is folded as
before. After folding, the declined forms of the Cyrillic languages' kind adjectives ('gosudarstvennaya',
'meditsinskiy', 'derzhavnyi', 'natsionalnyy') are read by their stem (``kind_stem``).

Only kind words: names and places still match by their letters (a place's native spelling through
data/matching/city_names.csv).
"""

from __future__ import annotations

import re
from functools import lru_cache

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
_ARABIC_FORMS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ی": "ي", "ک": "ك", "ة": "ه", "ہ": "ه",
                               "ھ": "ه", "ۀ": "ه", "\u0640": None, "\u200c": " ", "\u200d": None})
_ARABIC = re.compile(r"[\u0600-\u06ff]")
# Scripts that write words without spaces between them: a kind word is found inside a run of letters.
_UNSPACED = re.compile(r"[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff]")
# An Arabic word's article and the conjunction or preposition fused with it: al-, wa-l-, bi-l-, fa-l-, li-l-.
_ARABIC_PREFIX = "(?:ال|وال|بال|فال|لل|و)?"


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
    arabic = [re.escape(w) for w in ordered if _ARABIC.search(w)]
    unspaced = [re.escape(w) for w in ordered if _UNSPACED.search(w)]
    spaced = [re.escape(w) for w in ordered if not _ARABIC.search(w) and not _UNSPACED.search(w)]
    parts = [rf"(?<!\w){_ARABIC_PREFIX}(?P<arabic>{'|'.join(arabic)})(?!\w)",
             rf"(?P<unspaced>{'|'.join(unspaced)})",
             rf"(?<!\w)(?P<spaced>{'|'.join(spaced)})(?!\w)"]
    return re.compile("|".join(parts)), english


_KIND_WORD, _ENGLISH = _pattern()
_NATIVE = re.compile(r"[\u0590-\u06ff\u0900-\u0dff\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u0530-\u058f]")


def native_kinds(text: str) -> str:
    """``text`` with the kind words of scripts anyascii cannot read as such written in English:
    'جامعة الخرطوم' -> ' university  الخرطوم' (the article of a name word stays: it folds to 'l')."""
    if not _NATIVE.search(text):
        return text
    if _ARABIC.search(text):
        text = _arabic(text)
    return _KIND_WORD.sub(lambda found: f" {_ENGLISH[next(g for g in found.groups() if g)]} ", text)


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
# ("universitetshospital" is a hospital).
_ENDING = re.compile(r"(?:[aeiouy][a-z]{0,3})?")
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
