"""Every answer the resolver gives on the resolve benchmark's yardsticks, as sorted JSON lines.

A change that claims "same answers" (a speed-up, a merge of name branches) is checked by running this
before and after and comparing the two files (or the md5 printed at the end). The sets and the way each
is resolved are ``benchmarks/resolve.py``'s: names_unseen and names_affiliations with and without the
country in a registry as ``registry init`` makes it (``resolve_many``, one process), the 10,000 messy
queries against the whole ROR snapshot (``resolve_many``, the worker processes) and ROR's affiliation
sets (Crossref, Springer, logs) against it (``Resolver.resolve``). One line per answer:

    {"set": ..., "query": ..., "country": ..., "answer": <the first candidate's id, the accepted one when matched>,
     "score": <its score, 4 places>, "status": "matched" | "ambiguous" | "new" | "invalid"}

    python benchmarks/resolve_answers.py --out /tmp/answers.jsonl [--shared ../shared]
        [--reference-db /tmp/ror.db]

``--reference-db`` keeps the registry with the ROR snapshot loaded (built there if the file is missing):
a later run reuses it, and the reference index cached beside it while the matching code is unchanged.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.resolve import (  # noqa: E402
    DEFAULT_REGISTRY_SETS,
    affiliation_sets,
    default_registry,
    hold_out_unseen_names,
    messy_queries,
    reference_db,
)
from registry.match_quality import read_names  # noqa: E402
from registry.name_indexes import hold_out_alias_names  # noqa: E402
from registry.resolution import Resolution  # noqa: E402
from registry.resolve import Resolver, resolve_many  # noqa: E402

MESSY_QUERIES = 10_000  # benchmarks/resolve.py's default


def answer_line(label: str, resolution: Resolution) -> str:
    first = resolution.candidates[0] if resolution.candidates else None
    return json.dumps({"set": label, "query": resolution.query, "country": resolution.country,
                       "answer": (first.reference_id or first.institution_id) if first else None,
                       "score": round(first.score, 4) if first else None, "status": resolution.status},
                      ensure_ascii=False)  # in this order: the sorted lines read by set, then query


def default_registry_answers(folder: Path) -> list[str]:
    db = default_registry(folder)
    hold_out_unseen_names()
    lines = []
    try:
        for label, path in DEFAULT_REGISTRY_SETS:
            if label == "names_csv":  # the set the rules were tuned on: not a yardstick of unseen names
                continue
            names = read_names(path, backed=True)
            for with_country in (True, False):
                queries = [(e.name, e.country if with_country else None) for e in names]
                tag = f"{label}_{'country' if with_country else 'no_country'}"
                lines += [answer_line(tag, r) for r in resolve_many(db, queries, workers=1)]
    finally:
        hold_out_alias_names(frozenset())
    return lines


def full_reference_answers(db, shared: Path) -> list[str]:
    queries = messy_queries(db, MESSY_QUERIES)
    lines = [answer_line("messy", r) for r in resolve_many(db, [(name, country) for name, country, _ in queries])]
    resolver = Resolver(db)
    for label, rows in affiliation_sets(shared).items():
        lines += [answer_line(f"affiliations_{label}", resolver.resolve(text)) for text, _ in rows]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--out", type=Path, required=True, help="the JSON lines file to write")
    parser.add_argument("--reference-db", type=Path, help="a registry with the ROR snapshot loaded (built if missing)")
    args = parser.parse_args()
    if not args.shared.is_dir():
        sys.exit(f"{args.shared} not found: give --shared")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        lines = default_registry_answers(Path(folder))
        db, _ = reference_db(args.shared, args.reference_db, Path(folder))
        lines += full_reference_answers(db, args.shared)
    lines.sort()
    text = "".join(line + "\n" for line in lines)
    args.out.write_text(text, encoding="utf-8")
    print(f"{len(lines)} answers in {time.perf_counter() - started:.1f} s to {args.out}, "
          f"md5 {hashlib.md5(text.encode()).hexdigest()}")


if __name__ == "__main__":
    main()
