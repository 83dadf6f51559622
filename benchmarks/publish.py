"""Time ``registry publish`` on a synthetic registry against copying the same file, in the same run.

    .venv/bin/python -m benchmarks.publish [--agreements 100000] [--institutions 20000] [--db PATH]

Builds the registry with ``benchmarks.synth.build_synthetic`` (or reuses ``--db``, building it
there if it is missing), then measures:

- ``publish``: ``registry publish --db REGISTRY --out public.db`` in a subprocess, end to end
  (interpreter start, the quick check of the source, copying the public rows, dropping what
  must not be published, the search index, views and statistics, writing the file);
- the baseline: SQLite's online backup of the whole registry file (``registry backup`` without
  its quick check), the least any copy of the data could take.

``cpu_seconds`` is the publishing process's CPU time (drifts less than the wall time on a
shared machine), against the backup's. Prints one JSON object; the target (issue 19) is under 60 s at 1,000,000 agreements.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.synth import synthetic_registry_at


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agreements", type=int, default=100_000)
    parser.add_argument("--institutions", type=int, default=20_000)
    parser.add_argument("--db", type=Path, help="reuse (or build and keep) the synthetic registry here")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-publish-"))
    # the public copy and the backup baseline are about 10 GB at a million agreements: never left behind
    try:
        path = synthetic_registry_at(args.db or workdir / "registry.db", args.institutions, args.agreements)
        agreements = sqlite3.connect(f"file:{path}?mode=ro", uri=True).execute("SELECT count(*) FROM agreements").fetchone()[0]

        out = workdir / "public.db"
        registry = str(Path(sys.executable).parent / "registry")
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run([registry, "publish", "--db", str(path), "--out", str(out), "--json"], check=True,
                              capture_output=True, text=True)
        seconds = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu_seconds = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
        rows = json.loads(done.stdout)["rows"]

        started, cpu_started = time.perf_counter(), time.process_time()
        source, copy = sqlite3.connect(f"file:{path}?mode=ro", uri=True), sqlite3.connect(workdir / "copy.db")
        source.backup(copy)
        copy.close()
        baseline_seconds, baseline_cpu = time.perf_counter() - started, time.process_time() - cpu_started
        print(json.dumps({
            "bench": "publish", "agreements": agreements, "seconds": round(seconds, 2),
            "published_agreements": rows.get("agreements"), "public_mb": round(out.stat().st_size / 2**20),
            "registry_mb": round(path.stat().st_size / 2**20),
            "baseline": "sqlite3 online backup of the whole registry file", "baseline_seconds": round(baseline_seconds, 2),
            "ratio": round(seconds / baseline_seconds, 2), "cpu_seconds": round(cpu_seconds, 2),
            "baseline_cpu_seconds": round(baseline_cpu, 2), "cpu_ratio": round(cpu_seconds / baseline_cpu, 2),
            "load_average": os.getloadavg()[0], "target_seconds": 60,
        }), flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
