"""Resolve benchmark: speed against the naive baseline, and matching quality.

Prints one JSON object per figure per line:

- ``resolve``: 10,000 names resolved with ``resolve_many`` against a reference of at least
  100,000 names (all organisation types of the ROR snapshot in ../shared), the naive
  baseline (rapidfuzz ``process.extractOne`` with ``WRatio`` over every name) measured on a
  sample in the same run and scaled, and the ratio;
- ``names_csv``: precision, recall and F1 of resolve and of the baseline on
  ``tests/data/names.csv`` against the shipped extract (what the tests use);
- ``default_registry``: precision and recall on ``tests/data/names.csv``, on
  ``tests/data/names_unseen.csv`` (built differently, never tuned on; its names are held out of the
  charter and world lists' names the index carries as aliases, which it is drawn from) and on
  ``tests/data/names_affiliations.csv`` (short names from the held-out halves of ROR's affiliation sets),
  with and without the country, in a registry as ``registry init`` makes it (the shipped ROR extract and
  world-universities list);
- ``ror_names``: Recall@1 and Recall@5 on ROR's own name-search test set, and precision and
  recall of accepted matches;
- ``ror_affiliations_*``: precision and recall of accepted matches on ROR's affiliation sets.

    python benchmarks/resolve.py [--shared ../shared] [--queries 10000] [--baseline-sample 100]
        [--speed-only] [--reference-db /tmp/ror.db]

Needs ../shared (the ROR snapshot and the evaluation sets); the names.csv figures alone run
without it (``--names-only``). ``--speed-only`` prints the ``resolve`` figure alone (no quality
yardsticks; ``--baseline-sample 0`` leaves out the baseline too), and ``--reference-db`` keeps the
registry with the ROR snapshot loaded (built there if the file is missing; the reference index is
cached beside it): a later run skips the load (about half a minute) and the index build.
``resolve`` gives the CPU time of resolving (this process's and its workers') beside the wall time.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from rapidfuzz import fuzz, process, utils

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from registry import db as store  # noqa: E402
from registry.match_quality import Expected, measure, read_names  # noqa: E402
from registry.name_indexes import forget_cached_indexes, hold_out_alias_names  # noqa: E402
from registry.reference import load_reference, load_shipped_reference, ror_id  # noqa: E402
from registry.resolve import Resolver, resolve_many  # noqa: E402
from registry.text import fold  # noqa: E402

EXTRACT = ROOT / "data" / "reference_institutions" / "ror_education_healthcare_v2.9.jsonl.gz"
NAMES_CSV = ROOT / "tests" / "data" / "names.csv"
UNSEEN_CSV = ROOT / "tests" / "data" / "names_unseen.csv"
AFFILIATION_NAMES_CSV = ROOT / "tests" / "data" / "names_affiliations.csv"
BASELINE_CUTOFF = 90  # WRatio at or above which the baseline accepts its best name


def emit(**figures) -> None:
    print(json.dumps(figures, ensure_ascii=False), flush=True)


def registry_with(reference: Path, folder: Path) -> tuple:
    """A fresh registry with the reference loaded; returns (db, seconds to load)."""
    path = folder / f"{reference.name}.db"
    db = store.connect(path)
    store.ensure_schema(db)
    started = time.perf_counter()
    load_reference(db, reference, progress=False)
    return db, time.perf_counter() - started


def full_reference(shared: Path) -> Path:
    """The whole ROR snapshot in ../shared (the 10,000 queries' and the affiliation sets' reference)."""
    return shared / "reference" / "ror" / "ror_records_normalized.jsonl.gz"


def reference_db(shared: Path, kept: Path | None, folder: Path) -> tuple:
    """A registry with the whole ROR snapshot loaded, in ``folder``, or the one kept at ``kept`` (built there if the
    file is missing; the reference index is cached beside it); returns (db, seconds to load, None if it was kept)."""
    if kept is not None and kept.exists():
        return store.connect(kept), None
    db, load_seconds = registry_with(full_reference(shared), folder)
    if kept is None:
        return db, load_seconds
    target = sqlite3.connect(kept)
    db.conn.backup(target)
    target.close()
    return store.connect(kept), load_seconds


def cpu_seconds() -> float:
    """User and system CPU time of this process and of its children that have ended (the resolve workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def default_registry(folder: Path):
    """A registry as ``registry init`` makes it (the shipped reference), in ``folder``."""
    db = store.connect(folder / "default.db")
    store.ensure_schema(db)
    load_shipped_reference(db)
    return db


DEFAULT_REGISTRY_SETS = (("names_csv", NAMES_CSV), ("names_unseen", UNSEEN_CSV),
                         ("names_affiliations", AFFILIATION_NAMES_CSV))


def hold_out_unseen_names() -> None:
    """names_unseen.csv is drawn from the charter and world lists' names: indexed, it would measure its own labels
    (``hold_out_alias_names(frozenset())`` puts them back)."""
    hold_out_alias_names(frozenset(e.name for e in read_names(UNSEEN_CSV)))


def reference_names(db) -> tuple[list[str], list[str]]:
    rows = db.conn.execute("SELECT name, reference FROM reference_names").fetchall()
    return [r[0] for r in rows], [r[1] for r in rows]


class Baseline:
    """What one would write first: the best WRatio over every name, accepted at a cutoff."""

    def __init__(self, db):
        names, self.owners = reference_names(db)
        self.choices = [utils.default_process(n) for n in names]

    def best(self, name: str) -> tuple[str | None, float]:
        found = process.extractOne(utils.default_process(name), self.choices, scorer=fuzz.WRatio, processor=None)
        return (self.owners[found[2]], found[1]) if found else (None, 0.0)

    def answer(self, name: str) -> str | None:
        owner, score = self.best(name)
        return owner if score >= BASELINE_CUTOFF else None


# --- the 10,000 queries --------------------------------------------------------------------------

_ABBREVIATE = (("University", "Univ."), ("Institute", "Inst."), ("Technology", "Tech."), ("Hospital", "Hosp."),
               ("Medical", "Med."), ("National", "Natl."), ("Universität", "Uni"), ("College", "Coll."))
_UNITS = ("Department of Medicine", "Faculty of Medicine", "Dept. of Surgery", "School of Public Health",
          "Institutionen för kliniska vetenskaper")


def _typo(text: str, rng: random.Random) -> str:
    words = text.split()
    long_words = [i for i, w in enumerate(words) if len(w) >= 7]
    if not long_words:
        return text
    i = rng.choice(long_words)
    w = words[i]
    k = rng.randrange(1, len(w) - 2)
    words[i] = w[:k] + w[k + 1] + w[k] + w[k + 2:]  # swap two letters
    return " ".join(words)


def messy_queries(db, count: int, seed: int = 20260623) -> list[tuple[str, str | None, str]]:
    """Deterministic messy variants of reference names: (name, country or None, expected id)."""
    rng = random.Random(seed)
    rows = db.conn.execute(
        "SELECT n.reference, n.name, r.country, r.city FROM reference_names n JOIN reference_institutions r "
        "ON r.id = n.reference WHERE n.kind != 'acronym' AND r.status = 'active' ORDER BY n.reference, n.name"
    ).fetchall()
    picked = rng.sample(rows, count)
    queries = []
    for reference, name, country, city in picked:
        style = rng.randrange(6)
        if style == 0:
            for long, short in _ABBREVIATE:
                name = name.replace(long, short)
        elif style == 1:
            name = fold(name).title()
        elif style == 2:
            name = _typo(name, rng)
        elif style == 3:
            name = f"{rng.choice(_UNITS)}, {name}"
        elif style == 4 and city:
            name = f"{name}, {city}"
        queries.append((name, country if rng.random() < 0.5 else None, reference))
    return queries


# --- the yardsticks --------------------------------------------------------------------------------


def quality_of(resolver: Resolver, expected: list[Expected]) -> dict:
    answers = []
    for item in expected:
        resolution = resolver.resolve(item.name, item.country)
        answers.append(resolution.best.reference_id if resolution.best else None)
    return measure(expected, answers).as_dict()


def ror_names_yardstick(resolver: Resolver, shared: Path) -> dict:
    rows = json.loads((shared / "reference" / "ror-matching-eval" / "rorapi_dataset_names.json").read_text())
    present = {row[0] for row in resolver.db.conn.execute("SELECT id FROM reference_institutions")}
    at1 = at5 = 0
    expected, answers = [], []
    for row in rows:
        truth = ror_id(row["ror-id"])
        resolution = resolver.resolve(row["affiliation"], limit=5)
        ids = [m.entity_id for m in resolver.reference.match(row["affiliation"], limit=5, include_below=True)]
        at1 += bool(ids) and ids[0] == truth
        at5 += truth in ids
        expected.append(Expected(row["affiliation"], None, truth))
        answers.append(resolution.best.reference_id if resolution.best else None)
    quality = measure(expected, answers).as_dict()
    in_snapshot = sum(e.ror in present for e in expected)
    return {"recall_at_1": round(at1 / len(rows), 4), "recall_at_5": round(at5 / len(rows), 4),
            "accepted_precision": quality["precision"], "accepted_recall": quality["recall"], "names": len(rows),
            "ids_in_snapshot": in_snapshot, "recall_at_5_of_ids_in_snapshot": round(at5 / in_snapshot, 4)}


def affiliation_yardstick(resolver: Resolver, rows: list[tuple[str, set[str]]]) -> dict:
    present = {row[0] for row in resolver.db.conn.execute("SELECT id FROM reference_institutions")}
    matched = correct = positives = findable = matched_findable = 0
    for text, truths in rows:
        positives += bool(truths)
        findable += bool(truths & present)
        resolution = resolver.resolve(text)
        if resolution.best:
            matched += 1
            matched_findable += bool(truths & present)
            correct += resolution.best.reference_id in truths
    precision = correct / matched if matched else 1.0
    recall = correct / positives if positives else 1.0
    # A text whose organisation the snapshot lacks is often matched to a parent or namesake that is there (the
    # University of California System for a campus the snapshot lacks): precision among the texts the snapshot
    # can answer says how the matcher does where it has the record.
    return {"names": len(rows), "matched": matched, "precision": round(precision, 4), "recall": round(recall, 4),
            "recall_of_ids_in_snapshot": round(correct / findable, 4) if findable else None,
            "precision_of_ids_in_snapshot": round(correct / matched_findable, 4) if matched_findable else None}


def affiliation_sets(shared: Path) -> dict[str, list[tuple[str, set[str]]]]:
    folder = shared / "reference" / "ror-matching-eval"
    sets = {}
    for name, file in (("crossref", "rorapi_dataset_affiliations_crossref_2024_02_19.json"),
                       ("springer", "rorapi_dataset_affiliations_springer_2023_10_31.json")):
        rows = json.loads((folder / file).read_text())
        sets[name] = [(r["affiliation"], {ror_id(i) for i in r["ror_ids"]}) for r in rows]
    with (folder / "ame_20230903_affiliation_matching_logs.csv").open(encoding="utf-8-sig") as stream:
        sets["ame_logs"] = [(r["affiliation"], set() if r["ror_id"] == "NP" else {ror_id(i) for i in r["ror_id"].split(";")})
                            for r in csv.DictReader(stream)]
    return sets


# --- main ----------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--baseline-sample", type=int, default=100, help="0: no baseline")
    parser.add_argument("--names-only", action="store_true", help="only the names.csv figures (no ../shared needed)")
    parser.add_argument("--speed-only", action="store_true", help="only the resolve figure (needs ../shared)")
    parser.add_argument("--reference-db", type=Path, help="a registry with the ROR snapshot loaded (built if missing)")
    args = parser.parse_args()
    if not args.names_only and not args.shared.is_dir():
        sys.exit(f"{args.shared} not found: give --shared, or --names-only")
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        if not args.speed_only:
            names_figures(folder)
        if args.names_only:
            return
        db, load_seconds = reference_db(args.shared, args.reference_db, folder)
        resolver = resolve_figure(db, args.queries, args.baseline_sample, load_seconds)
        if args.speed_only:
            return
        names = db.conn.execute("SELECT count(*) FROM reference_names").fetchone()[0]
        emit(bench="ror_names", reference_names=names, **ror_names_yardstick(resolver, args.shared))
        for name, rows in affiliation_sets(args.shared).items():
            started = time.perf_counter()
            figures = affiliation_yardstick(resolver, rows)
            emit(bench=f"ror_affiliations_{name}", seconds=round(time.perf_counter() - started, 2), **figures)


def names_figures(folder: Path) -> None:
    """The names.csv figures against the shipped extract, and the default registry's yardsticks."""
    expected = read_names(NAMES_CSV)
    extract_db, load_seconds = registry_with(EXTRACT, folder)
    resolver = Resolver(extract_db)
    baseline = Baseline(extract_db)
    started = time.perf_counter()
    ours = quality_of(resolver, expected)
    ours_seconds = time.perf_counter() - started
    started = time.perf_counter()
    theirs = measure(expected, [baseline.answer(e.name) for e in expected]).as_dict()
    baseline_seconds = time.perf_counter() - started
    emit(bench="names_csv", reference_names=len(baseline.choices), load_seconds=round(load_seconds, 2),
         seconds=round(ours_seconds, 3), baseline_seconds=round(baseline_seconds, 2),
         **{k: v for k, v in ours.items()},
         baseline_precision=theirs["precision"], baseline_recall=theirs["recall"], baseline_f1=theirs["f1"],
         baseline=f"extractOne WRatio >= {BASELINE_CUTOFF}")
    default_db = default_registry(folder)
    hold_out_unseen_names()
    for label, path in DEFAULT_REGISTRY_SETS:
        names = read_names(path, backed=True)
        for with_country in (True, False):
            queries = [(e.name, e.country if with_country else None) for e in names]
            answers = [r.best.reference_id if r.best else None for r in resolve_many(default_db, queries, workers=1)]
            quality = measure(names, answers)
            false_accepts = sum(1 for e, _ in quality.wrong if e.ror is None)
            emit(bench="default_registry", yardstick=label, country=with_country, **quality.as_dict(),
                 negatives=sum(e.ror is None for e in names), negatives_matched=false_accepts)
    hold_out_alias_names(frozenset())


def resolve_figure(db, count: int, baseline_sample: int, load_seconds: float | None) -> Resolver:
    """The ``resolve`` figure: ``count`` messy names resolved with ``resolve_many`` (wall and CPU time), against the
    baseline on a sample of them; returns the resolver (the index as a second CLI call reads it)."""
    names = db.conn.execute("SELECT count(*) FROM reference_names").fetchone()[0]
    queries = messy_queries(db, count)
    started = time.perf_counter()
    resolver = Resolver(db)  # builds the reference index (and caches it on disk)
    build_seconds = time.perf_counter() - started
    # What a second CLI call pays: the index read from beside the registry file. The one just built stays out
    # of the resolving too: its objects lie scattered among what building freed, and workers forked from it
    # spent about a third more CPU than on the index as every later call reads it (4,000 names, one run each:
    # 4.55 s against 3.47 s of worker CPU, 2026-12-06, load average 6).
    forget_cached_indexes()
    started = time.perf_counter()
    resolver = Resolver(db)
    cached_seconds = time.perf_counter() - started
    cpu_started, started = cpu_seconds(), time.perf_counter()
    resolutions = resolve_many(db, [(name, country) for name, country, _ in queries])
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu_started
    synthetic = measure([Expected(n, c, r) for n, c, r in queries],
                        [x.best.reference_id if x.best else None for x in resolutions]).as_dict()
    figures = {}
    if baseline_sample:
        baseline = Baseline(db)
        sample = random.Random(7).sample(queries, baseline_sample)
        started = time.perf_counter()
        baseline_answers = [baseline.answer(name) for name, _, _ in sample]
        baseline_total = (time.perf_counter() - started) * len(queries) / len(sample)
        baseline_quality = measure([Expected(n, c, r) for n, c, r in sample], baseline_answers).as_dict()
        figures = {"baseline_seconds": round(baseline_total, 1), "baseline_sample": len(sample),
                   "ratio": round(baseline_total / seconds, 1),
                   "baseline_synthetic_precision": baseline_quality["precision"],
                   "baseline_synthetic_recall": baseline_quality["recall"]}
    emit(bench="resolve", n=len(queries), reference_names=names, seconds=round(seconds, 3), cpu_seconds=round(cpu, 2),
         workers=os.cpu_count(), load_average=round(os.getloadavg()[0], 1),
         index_build_seconds=round(build_seconds, 2), index_cached_seconds=round(cached_seconds, 2),
         load_seconds=round(load_seconds, 1) if load_seconds is not None else None,
         synthetic_precision=synthetic["precision"], synthetic_recall=synthetic["recall"], **figures)
    return resolver


if __name__ == "__main__":
    main()
