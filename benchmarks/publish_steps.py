"""Where ``registry publish`` spends its time, step by step: each step's wall time and the CPU of the
thread that ran it (SQLite lets go of Python's lock, so each connection's work is its thread's).

    .venv/bin/python -m benchmarks.publish_steps --db REGISTRY --out PUBLIC

Runs ``publish()`` in this process (``--force``: ``PUBLIC`` is replaced whatever it is, so give a
scratch path) and prints one line per step (step, thread, wall s, thread CPU s, start s), then the
process's user and system CPU as JSON. The registry is only read. On a shared machine the threads'
CPU is the figure to compare; the sum over the building connection's steps (``MainThread``) is the
least wall time the publish can take, as nothing else can do its work.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import resource
import threading
import time
from pathlib import Path

from registry import publish, publish_workers

# (owner, function): the steps timed; the building connection's in the order it runs them.
STEPS = [(publish, name) for name in ("_copy_public_rows", "_copy_beside", "_drop_unpublishable", "_add_views",
                                      "_add_search", "_registry_rows_hold", "_index_beside", "_indexed_beside_holds",
                                      "_take_search_rows", "_make_search_rows",
                                      "_finish", "_swap_in")] + [
    (publish.store, "refresh_statistics"), (publish.search_build, "copy_search_build"),
    (publish_workers.SourceCheck, "_check"), (publish_workers.SearchRows, "_compute"),
]


def timed(owner, name: str, log: list, started: float) -> None:
    work = getattr(owner, name)

    @functools.wraps(work)
    def step(*args, **kwargs):
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            return work(*args, **kwargs)
        finally:
            log.append((name, threading.current_thread().name, round(time.perf_counter() - wall, 2),
                        round(time.thread_time() - cpu, 2), round(wall - started, 2)))

    setattr(owner, name, step)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    log: list = []
    started = time.perf_counter()
    for owner, name in STEPS:
        timed(owner, name, log, started)
    before = resource.getrusage(resource.RUSAGE_SELF)
    made = publish.publish(args.db, args.out, force=True)
    after = resource.getrusage(resource.RUSAGE_SELF)
    for row in log:
        print(*row, sep="\t")
    print(json.dumps({"wall": round(time.perf_counter() - started, 2), "user": round(after.ru_utime - before.ru_utime, 2),
                      "sys": round(after.ru_stime - before.ru_stime, 2),
                      "main_thread_cpu": round(sum(row[3] for row in log if row[1] == "MainThread"
                                                   and row[0] not in ("copy_search_build",)), 2),
                      "agreements": made.rows.get("agreements"), "public_mb": args.out.stat().st_size >> 20,
                      "load_average": os.getloadavg()}))


if __name__ == "__main__":
    main()
