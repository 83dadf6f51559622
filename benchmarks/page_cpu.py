"""CPU per request of the internal face's pages, in process: what a page costs one core.

The serve_latency benchmark measures what 20 clients see; on two cores its p99 follows from what
each request costs the one Datasette process, which this measures without a server, a network or
the machine's other load in the figure (CPU seconds of this process, ``resource.getrusage``).
The same pages as serve_latency (search rotates through its queries), each requested a few
times to warm up, then ``--repeat`` times measured. ``--profile`` prints the top of a cProfile
of one page's requests instead. ``--rounds N`` measures every page N times in turn, ``--repeat``
requests each time, and prints each page's least and median CPU a request: on a machine others
are using, the least of several short rounds moves far less than one long one. ``--both-cells``
measures each page in turn with the query pages' cells written by ``registry.cell_hooks`` and by
Datasette's own loop, alternated in this one process (``--rounds`` times each): the two side by
side in the same minutes, whatever else the machine is doing.

    .venv/bin/python -m benchmarks.page_cpu --db PATH [--repeat 30] [--rounds 1] [--pages search canned:NAME ...] [--profile PAGE]
        [--both-cells]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import json
import os
import pstats
import resource
import sqlite3
import statistics
import time
from pathlib import Path

from benchmarks.serve_latency import pages
from registry import faces
from registry.serve import build_metadata


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def measure(datasette, paths: list[str], repeat: int) -> dict:
    for path in paths:  # warm: connections, templates, caches
        response = await datasette.client.get(path)
        assert response.status_code == 200, (path, response.status_code)
    cpu, wall = cpu_seconds(), time.perf_counter()
    for n in range(repeat):
        await datasette.client.get(paths[n % len(paths)])
    return {"cpu_ms": round((cpu_seconds() - cpu) / repeat * 1000, 2), "wall_ms": round((time.perf_counter() - wall) / repeat * 1000, 2)}


async def run(db_path: Path, names: list[str] | None, repeat: int, profile: str | None, rounds: int = 1,
              both_cells: bool = False) -> None:
    queries = build_metadata()["databases"]["registry"]["queries"]
    measured = pages(db_path, queries)
    size = agreements(db_path)
    datasette = faces.internal_face(db_path, auth=False).datasette()
    await datasette.invoke_startup()
    if both_cells:
        await cells_both_ways(datasette, {name: [ours for ours, _ in measured[name]] for name in names or list(measured)},
                              repeat, max(rounds, 1), size)
        return
    if rounds > 1 and not profile:
        await in_rounds(datasette, {name: [ours for ours, _ in measured[name]] for name in names or list(measured)},
                        repeat, rounds, size)
        return
    for name in names or list(measured):
        paths = [ours for ours, _ in measured[name]]
        if profile == name:
            profiler = cProfile.Profile(time.process_time)  # CPU, not wall: the machine is shared
            profiler.enable()
            await measure(datasette, paths, repeat)
            profiler.disable()
            pstats.Stats(profiler).sort_stats(os.environ.get("PAGE_CPU_SORT", "cumulative")).print_stats(45)
            continue
        print(json.dumps({"page": name, "agreements": size, "repeat": repeat} | await measure(datasette, paths, repeat)), flush=True)


async def in_rounds(datasette, paths: dict[str, list[str]], repeat: int, rounds: int, size: int) -> None:
    """Every page ``rounds`` times in turn, ``repeat`` requests a time: each page's least and median."""
    figures: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(rounds):
        for name, page_paths in paths.items():
            figures[name].append((await measure(datasette, page_paths, repeat))["cpu_ms"])
    for name, cpu in figures.items():
        print(json.dumps({"page": name, "agreements": size, "repeat": repeat, "rounds": rounds,
                          "cpu_ms_least": min(cpu), "cpu_ms_median": round(statistics.median(cpu), 2)}), flush=True)


async def cells_both_ways(datasette, paths: dict[str, list[str]], repeat: int, rounds: int, size: int) -> None:
    """Each page with the registry's query cells and with Datasette's loop, alternated: least and median of each."""
    from datasette.views.database import QueryView

    ours = QueryView.data
    datasettes = getattr(ours, "registry_datasettes", None)
    if datasettes is None:
        raise SystemExit("the query pages' cells are Datasette's already (registry.cell_hooks.fast_query_cells not installed)")
    for name, page_paths in paths.items():
        figures: dict[str, list[float]] = {"registry_cells": [], "datasette_loop": []}
        try:
            for _ in range(rounds):
                for label, data in (("registry_cells", ours), ("datasette_loop", datasettes)):
                    QueryView.data = data
                    figures[label].append((await measure(datasette, page_paths, repeat))["cpu_ms"])
        finally:
            QueryView.data = ours
        print(json.dumps({"page": name, "agreements": size, "repeat": repeat, "rounds": rounds} | {
            f"{label}_cpu_ms_{kind}": round(pick(cpu), 2) for label, cpu in figures.items()
            for kind, pick in (("least", min), ("median", statistics.median))}), flush=True)


def agreements(db_path: Path) -> int:
    with contextlib.closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as conn:
        return conn.execute("select count(*) from agreements").fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="a registry (a copy: the face opens it read-write)")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--pages", nargs="*", help="only these pages (search, table_with_facets, canned:NAME)")
    parser.add_argument("--profile", help="profile this page instead of timing it")
    parser.add_argument("--rounds", type=int, default=1, help="measure every page this many times in turn: least and median")
    parser.add_argument("--both-cells", action="store_true",
                        help="each page with the registry's query cells and Datasette's loop, alternated")
    args = parser.parse_args()
    asyncio.run(run(args.db, args.pages, args.repeat, args.profile, args.rounds, args.both_cells))


if __name__ == "__main__":
    main()
