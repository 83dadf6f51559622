"""Screening at scale, against rapidfuzz's ``process.extractOne`` in the same run.

20,000 synthetic institutions (benchmarks/synth.py, about 60,000 names with the variants
added here) are screened against a synthetic 100,000-entity list with planted true matches
(partners listed under a variant of one of their names) and planted near misses (a partner's
place with other words: "University of Tartu" / "Tartu Institute of Missile Engineering").
Printed, one JSON object per line:

- ``screen``: the screening engine (index build + every name of every institution), seconds;
  precision and recall on the planted pairs;
- ``screen_vs_extractone``: extractOne (WRatio) over all list names for a sample of the same
  queries, scaled to all of them, and the ratio;
- ``labelled_set``: precision and recall of both on tests/data/screening/labelled_pairs.csv
  (extractOne at its best-F1 cutoff, so the baseline is given its best chance);
- ``screen_registry`` (with ``--registry``): ``registry.screening.screen`` on a registry file
  holding the same partners and the same list, matches written.

    .venv/bin/python -m benchmarks.screen [--institutions 20000] [--entities 100000] [--sample 300] [--registry]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import tempfile
import time
from collections import Counter
from pathlib import Path

from rapidfuzz import fuzz, process, utils

from benchmarks.synth import synthetic_institutions
from registry import db as store
from registry.examples import fresh_registry
from registry.importers.screening import load_list, read_list
from registry.matching import NameIndex, exact_key, normalize
from registry.models import Institution
from registry.screening import SCREENING_OPTIONS, best_matches, entity_entries, screen

ROOT = Path(__file__).resolve().parent.parent
LABELLED = ROOT / "tests" / "data" / "screening" / "labelled_pairs.csv"
LISTS = (ROOT / "data" / "screening" / "china_defence_universities.csv", "aspi"), \
        (ROOT / "tests" / "data" / "screening" / "fictitious_entities.csv", "csv")

# --- a synthetic list of organisations --------------------------------------------------------

SYLLABLES = ["ar", "bel", "cor", "dan", "el", "fen", "gor", "hal", "ir", "jon", "kas", "lem", "mor", "nor", "ost", "pra", "ros", "sev", "tal", "ur", "vel", "zan", "kir", "mak", "dor", "vos"]
CYRILLIC = ["ар", "бел", "кор", "дан", "ель", "фен", "гор", "хал", "ир", "йон", "кас", "лем", "мор", "нор", "ост", "пра", "рос", "сев", "тал", "ур", "вел", "зан", "кир", "мак", "дор", "вос"]
FIELDS = ["Precision Instruments", "Machine Building", "Radio Electronics", "Special Chemistry", "Aviation Systems",
          "Marine Engineering", "Optical Devices", "Missile Engineering", "Nuclear Materials", "Communications",
          "Applied Physics", "Composite Materials", "Navigation Systems", "Electronic Warfare", "Rocket Propulsion"]
FORMS = ["LLC", "JSC", "Co., Ltd.", "Ltd", "PJSC", "GmbH", "S.A.", "Trading Company", "Holding", "Group"]
ORGANISATION_PATTERNS = [
    "{word} {field} {form}", "{place} {field} Plant", "{place} Research Institute of {field}",
    "Institute of {field} Problems {n}", "{word} {field} Design Bureau", "{place} {field} Works",
    "{word}{word2} {form}", "{place} State Academy of {field}", "Scientific Production Association {word}",
]
COUNTRIES = ["RU", "BY", "IR", "KP", "CN", "SY", "MM", "VE", "CU", "AE", "TR", "HK"]
NEAR_MISS_PATTERNS = ["{place} Institute of {field}", "{place} University of {field}", "{place} {field} Academy"]


def _word(rng: random.Random, syllables: list[str]) -> str:
    return "".join(rng.choice(syllables) for _ in range(rng.randint(2, 3))).capitalize()


def _acronym(name: str) -> str:
    return "".join(w[0] for w in re.findall(r"[^\W\d_]+", name) if w[0].isupper())[:6]


def _variant(name: str, rng: random.Random) -> str:
    """How a list might spell a partner's name: abbreviated, re-cased, with an article."""
    choice = rng.randrange(4)
    if choice == 0:
        return name.replace("University", "Univ.").replace("Institute", "Inst.")
    if choice == 1:
        return name.upper()
    if choice == 2 and " of " in name:
        return name.replace(" of ", " of the ", 1)
    return name


def _words(name: str) -> str:
    """A name's words in any order: 'Tartu Uni' lists the same place as 'University of Tartu'."""
    return " ".join(sorted(exact_key(normalize(name).split()).split()))


def synthetic_partners(count: int) -> list[dict]:
    """Synthetic institutions (benchmarks/synth.py) with the spellings offices also type, so
    that there are about three names per partner."""
    institutions = synthetic_institutions(count)
    rng = random.Random(7)
    for institution in institutions[1:]:  # the first is the home university
        extra = [institution["name"].replace("University", "Univ.") if rng.random() < 0.7 else institution["name"].upper()]
        if rng.random() < 0.4:
            extra.append(f"{institution['name']}, {institution['city']}")
        known = {institution["name"], institution.get("local_name"), institution.get("acronym")}
        known |= {n["name"] for n in institution.get("names", [])}
        institution["names"] = institution.get("names", []) + [{"name": n, "kind": "alias"} for n in dict.fromkeys(extra) if n not in known]
    return institutions


def partner_names(institutions: list[dict]) -> list[tuple[str, str, str | None]]:
    """(institution, name, country) for every name, as ``registry.screening.partner_names``
    reads them from a registry."""
    names = []
    for institution in institutions[1:]:
        own = [institution["name"], institution.get("local_name"), institution.get("acronym")]
        own += [n["name"] for n in institution.get("names", [])]
        names += [(institution["id"], name, institution["country"]) for name in dict.fromkeys(n for n in own if n)]
    return names


def synthetic_list(count: int, institutions: list[dict], names: list[tuple[str, str, str | None]], *,
                   planted: int, near_misses: int, seed: int = 11):
    """(entities, truth): entities as (entity_id, name, aliases, countries); truth the
    (institution, entity) pairs where the entity lists one of the institution's names (the
    synthetic registry gives some institutions the same name, so a planted entity can be true
    for more than one)."""
    rng = random.Random(seed)
    places = sorted({i["city"] for i in institutions if i.get("city")})
    partners = institutions[1:]
    holders: dict[tuple[str, str], set[str]] = {}
    for institution, name, country in names:
        holders.setdefault((_words(name), country), set()).add(institution)
    entities, truth = [], set()
    for number, institution in enumerate(rng.sample(partners, planted)):
        entity_id = f"planted-{number:05d}"
        source = institution.get("local_name") or institution["name"]
        aliases = [institution["acronym"]] if institution.get("acronym") and rng.random() < 0.5 else []
        entities.append((entity_id, _variant(source, rng), aliases, [institution["country"]]))
        truth.update((holder, entity_id) for holder in holders[(_words(source), institution["country"])])
    for number in range(near_misses):
        institution = rng.choice(partners)
        name = rng.choice(NEAR_MISS_PATTERNS).format(place=institution["city"], field=rng.choice(FIELDS))
        entities.append((f"near-{number:05d}", name, [], [institution["country"]]))
    while len(entities) < count:
        number = len(entities)
        pattern = rng.choice(ORGANISATION_PATTERNS)
        name = pattern.format(word=_word(rng, SYLLABLES), word2=_word(rng, SYLLABLES).lower(), place=rng.choice(places),
                              field=rng.choice(FIELDS), form=rng.choice(FORMS), n=rng.randint(1, 99))
        aliases = []
        if rng.random() < 0.4:
            aliases.append(_acronym(name))
        if rng.random() < 0.15:  # a Russian-language name, transliterated by the matcher
            aliases.append(f"{_word(rng, CYRILLIC)} {rng.choice(['завод', 'институт', 'объединение'])}")
        if rng.random() < 0.1:
            aliases.append(name.replace(rng.choice(FIELDS), rng.choice(FIELDS)))
        entities.append((f"synthetic-{number:06d}", name, [a for a in aliases if a], [rng.choice(COUNTRIES)]))
    return entities, truth


# --- the two methods --------------------------------------------------------------------------


def engine_screen(entities, names):
    started = time.perf_counter()
    index = NameIndex.build(entity_entries(entities), options=SCREENING_OPTIONS)
    built = time.perf_counter() - started
    found = best_matches(index, names)
    return found, built, time.perf_counter() - started


def extract_one_index(entities):
    choices, owners = [], []
    for entity_id, name, aliases, _ in entities:
        for value in [name, *aliases]:
            choices.append(utils.default_process(value))
            owners.append(entity_id)
    return choices, owners


def extract_one(query: str, choices, owners, cutoff: float = 0):
    best = process.extractOne(utils.default_process(query), choices, scorer=fuzz.WRatio, processor=None,
                              score_cutoff=cutoff)
    return (owners[best[2]], best[1]) if best else (None, 0.0)


def precision_recall(predicted: set, truth: set) -> tuple[float, float]:
    hits = len(predicted & truth)
    return (hits / len(predicted) if predicted else 1.0), (hits / len(truth) if truth else 1.0)


# --- the labelled set -------------------------------------------------------------------------


def labelled_entities():
    entities = []
    for path, list_format in LISTS:
        risk_list, _ = read_list(path, list_format)
        entities += [(e.entity_id, e.name, e.aliases, e.countries) for e in risk_list.entities]
    return entities


def labelled_pairs() -> list[dict]:
    with LABELLED.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def score_labelled(pairs, entities) -> dict:
    """Precision and recall of the engine (a match in band probable or possible counts as
    'flagged') and of extractOne at every cutoff; the baseline is reported at its best F1."""
    by_name = {name: entity_id for entity_id, name, _, _ in entities}
    index = NameIndex.build(entity_entries(entities), options=SCREENING_OPTIONS)
    choices, owners = extract_one_index(entities)
    engine, baseline = Counter(), []
    for pair in pairs:
        expected = by_name[pair["entity_name"]]
        same = pair["same"] == "yes"
        flagged = any(m.entity_id == expected for m in index.match(pair["institution_name"], pair["institution_country"] or None))
        engine[(same, flagged)] += 1
        owner, score = extract_one(pair["institution_name"], choices, owners)
        baseline.append((same, owner == expected, score))
    best = None
    for cutoff in range(70, 101):
        counts = Counter((same, hit and score >= cutoff) for same, hit, score in baseline)
        p, r = _pr(counts)
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        if best is None or f1 > best[0]:
            best = (f1, cutoff, p, r)
    precision, recall = _pr(engine)
    return {"pairs": len(pairs), "precision": round(precision, 3), "recall": round(recall, 3),
            "baseline_precision": round(best[2], 3), "baseline_recall": round(best[3], 3), "baseline_cutoff": best[1]}


def _pr(counts: Counter) -> tuple[float, float]:
    tp, fp, fn = counts[(True, True)], counts[(False, True)], counts[(True, False)]
    return (tp / (tp + fp) if tp + fp else 1.0), (tp / (tp + fn) if tp + fn else 1.0)


def emit(**figures) -> None:
    print(json.dumps(figures), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--institutions", type=int, default=20_000)
    parser.add_argument("--entities", type=int, default=100_000)
    parser.add_argument("--planted", type=int, default=500)
    parser.add_argument("--near-misses", type=int, default=2_000)
    parser.add_argument("--sample", type=int, default=300, help="queries timed with extractOne, then scaled")
    parser.add_argument("--registry", action="store_true",
                        help="also time `registry screen` on a registry file (adds about a minute of set-up)")
    args = parser.parse_args()

    institutions = synthetic_partners(args.institutions)
    names = partner_names(institutions)
    entities, truth = synthetic_list(args.entities, institutions, names, planted=args.planted, near_misses=args.near_misses)
    list_names = sum(1 + len(aliases) for _, _, aliases, _ in entities)

    found, build_seconds, seconds = engine_screen(entities, names)
    precision, recall = precision_recall(set(found), truth)
    probable = {pair for pair, match in found.items() if match.band == "probable"}
    acronym_only = sum(1 for match in found.values() if match.acronym)
    emit(bench="screen", institutions=len(institutions) - 1, names=len(names), entities=len(entities),
         list_names=list_names, seconds=round(seconds, 2), index_seconds=round(build_seconds, 2),
         probable=len(probable), possible=len(found) - len(probable), acronym_only=acronym_only,
         planted=len(truth), precision=round(precision, 3), recall=round(recall, 3),
         probable_precision=round(precision_recall(probable, truth)[0], 3))

    choices, owners = extract_one_index(entities)
    sample = random.Random(3).sample(names, min(args.sample, len(names)))
    started = time.perf_counter()
    for _, name, _ in sample:
        extract_one(name, choices, owners)
    sample_seconds = time.perf_counter() - started
    baseline_seconds = sample_seconds * len(names) / len(sample)
    emit(bench="screen_vs_extractone", names=len(names), entities=len(entities), seconds=round(seconds, 2),
         baseline_seconds=round(baseline_seconds, 1), baseline_sample=len(sample),
         baseline_sample_seconds=round(sample_seconds, 2), ratio=round(baseline_seconds / seconds, 1))

    emit(bench="labelled_set", **score_labelled(labelled_pairs(), labelled_entities()))
    if args.registry:
        emit(**screen_registry(institutions, entities))


def screen_registry(institutions: list[dict], entities) -> dict:
    """`registry screen` itself: the same partners in a registry file and the same list loaded
    through the importer; timed is the screening (index, matching, writing the matches)."""
    workdir = Path(tempfile.mkdtemp(prefix="bench-screen-"))
    db = fresh_registry(workdir / "registry.db")
    store.write_records(db, [Institution.model_validate(i) for i in institutions], actor="benchmark")
    list_file = workdir / "list.csv"
    with list_file.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "name", "aliases", "country", "category", "source"])
        writer.writerows([e, n, "; ".join(a), "; ".join(c), "synthetic", "benchmark"] for e, n, a, c in entities)
    load_list(db, list_file, "csv", list_id="synthetic", actor="benchmark")
    run = screen(db, actor="benchmark")
    counts = run.lists[0].counts()
    return {"bench": "screen_registry", "institutions": run.institutions, "names": run.names,
            "entities": run.lists[0].entities, "seconds": round(run.seconds, 2),
            "probable": counts["probable"], "possible": counts["possible"]}


if __name__ == "__main__":
    main()
