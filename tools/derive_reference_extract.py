"""Derive data/reference_institutions/ from the ROR snapshot in ../shared/reference/ror.

Keeps the education and healthcare organisations (what partner names resolve to), plus the
successor of any of them that ROR marks inactive or withdrawn, so that resolving a merged
university follows it. Only the fields resolving and creating institutions need are kept:
id, names, location, website, types, status, relationships (successor and predecessor),
established. The output is the "normalized" JSON-lines shape ``registry reference load``
reads, gzipped and sorted by id so that re-deriving gives the same bytes.

    python tools/derive_reference_extract.py [--shared ../shared] [--out data/reference_institutions]
"""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FILE_NAME = "ror_education_healthcare_v2.9.jsonl.gz"
KEEP = ("id", "name", "names", "country_code", "city", "lat", "lng", "types", "status", "established",
        "relationships", "source_release")


def compact(record: dict) -> dict:
    out = {key: record.get(key) for key in KEEP}
    out["links"] = [link for link in record.get("links") or [] if link.get("type") == "website"][:1]
    out["relationships"] = [
        {"type": r["type"], "id": r["id"], "label": r.get("label")}
        for r in record.get("relationships") or []
        if r.get("type") in ("successor", "predecessor")
    ]
    return out


def derive(shared: Path, out_dir: Path) -> Path:
    ror = shared / "reference" / "ror"
    subset = [json.loads(line) for line in (ror / "ror_education_healthcare.jsonl").open(encoding="utf-8")]
    by_id = {r["id"]: r for r in subset}
    wanted = {
        rel["id"] for r in subset if r["status"] != "active"
        for rel in r.get("relationships") or [] if rel.get("type") == "successor" and rel["id"] not in by_id
    }
    if wanted:
        with gzip.open(ror / "ror_records_normalized.jsonl.gz", "rt", encoding="utf-8") as stream:
            for line in stream:
                record = json.loads(line)
                if record["id"] in wanted:
                    by_id[record["id"]] = record
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / FILE_NAME
    lines = [json.dumps(compact(by_id[key]), ensure_ascii=False, separators=(",", ":")) for key in sorted(by_id)]
    # mtime=0: the same input gives the same bytes, so git sees no change on re-derivation
    with gzip.GzipFile(target, "wb", compresslevel=9, mtime=0) as stream:
        stream.write(("\n".join(lines) + "\n").encode("utf-8"))
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "reference_institutions")
    args = parser.parse_args()
    target = derive(args.shared, args.out)
    print(f"wrote {target} ({target.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
