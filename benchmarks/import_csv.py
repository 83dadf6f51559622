"""Import a 50,000-row office spreadsheet (CSV) into a fresh registry and, in the same run,
the same rows with plain ``csv.reader`` + ``sqlite3.executemany``; print seconds, rows per
second and the ratio. Target: under 30 s.

The CSV is what an office keeps, made deterministic: Swedish headers, semicolons, no id
column, partner names typed by hand (abbreviated, upper-case, without diacritics, with a
department in front, with a typo) drawn from a few hundred institutions of the synthetic
registry, countries in English, Swedish or as codes, dates in two formats.

    .venv/bin/python -m benchmarks.import_csv [--rows 50000 200000] [--institutions 300] [--again]

Each size is imported in a fresh process, so ``peak_rss_mb`` (``resource.getrusage``) is that
import's own peak memory; the last line compares the sizes' peaks (the import streams: memory
should not grow with the file). ``--again`` also re-imports each file as a dry run.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from anyascii import anyascii

from benchmarks.synth import PROGRAMMES, synthetic_institutions
from registry import db as store
from registry.countries import country_name
from registry.examples import fresh_registry
from registry.importers.flow import import_file
from registry.importers.outcome import ImportOptions
from registry.models import Institution, Programme

HEADERS = ["Partneruniversitet", "Land", "Avtalstyp", "Status", "Utbildningsprogram", "Nivå", "Platser ut",
           "Platser in", "Lärarutbyte", "Giltigt från", "Giltigt till", "Kommentar"]
KINDS = ["Utbytesavtal", "Erasmus+", "student exchange", "Dubbelexamen", "Samförståndsavtal", "clinical placement"]
STATUSES = ["aktivt", "Aktivt", "active", "utkast", "avslutat", "expired"]
LEVELS = ["Grundnivå", "Avancerad nivå", "grundnivå; avancerad nivå", "Forskarnivå", "first cycle", ""]


def messy(name: str, rng: random.Random) -> str:
    """A name as someone typed it."""
    roll = rng.random()
    if roll < 0.3:
        return name
    if roll < 0.4:
        return name.upper()
    if roll < 0.5:
        return name.lower()
    if roll < 0.6:
        return name.replace("University", "Univ.").replace("Universität", "Univ.").replace("Université", "Univ.")
    if roll < 0.75:
        return anyascii(name)
    if roll < 0.85:
        return f"Faculty of Medicine, {name}"
    if roll < 0.95:
        words = name.split()
        long_words = [i for i, w in enumerate(words) if len(w) > 6]
        if long_words:
            i = rng.choice(long_words)
            w = words[i]
            j = rng.randrange(1, len(w) - 2)
            words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
        return " ".join(words)
    return f"  {name} "


def write_sheet(path: Path, institutions: list[dict], rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    partners = institutions[1:]
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, delimiter=";")
        writer.writerow(HEADERS)
        for _ in range(rows):
            inst = rng.choice(partners)
            names = [inst["name"]] + ([inst["local_name"]] if inst.get("local_name") else [])
            code = inst["country"]
            country = rng.choice([code, country_name(code), country_name(code, "sv")])
            start = rng.randint(2012, 2025)
            if rng.random() < 0.5:
                starts, ends = f"{start}-09-01", f"{start + rng.randint(1, 7)}-08-31"
            else:
                starts, ends = f"01.09.{start}", f"31.08.{start + rng.randint(1, 7)}"
            writer.writerow([
                messy(rng.choice(names), rng), country, rng.choice(KINDS), rng.choice(STATUSES),
                rng.choice(PROGRAMMES)[2], rng.choice(LEVELS), rng.randint(0, 6), rng.randint(0, 6),
                rng.choice(["ja", "nej", "x", "", "Yes"]), starts, ends,
                rng.choice(["", "Fiktivt exempel", "Fictitious example; renewed"]),
            ])


def fresh_registry_with(path: Path, institutions: list[dict]):
    db = fresh_registry(path)
    records = [Institution.model_validate(i) for i in institutions]
    records += [Programme(id=i, name_en=en, name_sv=sv, cycle=cycle) for i, en, sv, cycle in PROGRAMMES]
    store.write_records(db, records, actor="benchmark", source="benchmarks/import_csv.py")
    return db


def baseline(sheet: Path, target: Path) -> float:
    """The floor: the same rows read with csv.reader and inserted with executemany, as text."""
    started = time.perf_counter()
    conn = sqlite3.connect(target, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    with sheet.open(encoding="utf-8", newline="") as stream:
        reader = csv.reader(stream, delimiter=";")
        header = next(reader)
        conn.execute(f"CREATE TABLE sheet ({', '.join(f'c{i} TEXT' for i in range(len(header)))})")
        conn.execute("BEGIN")
        conn.executemany(f"INSERT INTO sheet VALUES ({', '.join('?' for _ in header)})", reader)
        conn.execute("COMMIT")
    conn.close()
    return time.perf_counter() - started


def emit(**figures) -> None:
    print(json.dumps(figures, ensure_ascii=False), flush=True)


def peak_rss_mb() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def measure(rows: int, institution_count: int, again: bool) -> None:
    """One size, in this (fresh) process."""
    workdir = Path(tempfile.mkdtemp(prefix="bench-import-"))
    institutions = synthetic_institutions(institution_count + 1)
    sheet = workdir / "agreements.csv"
    write_sheet(sheet, institutions, rows)
    db = fresh_registry_with(workdir / "registry.db", institutions)
    rss_before = peak_rss_mb()

    started, cpu_started = time.perf_counter(), time.process_time()
    report = import_file(db, sheet, ImportOptions(keep_valid=True, actor="benchmark"))
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    rss = peak_rss_mb()
    baseline_seconds = baseline(sheet, workdir / "baseline.db")
    counts = report.counts()
    written = sum(ops.get("insert", 0) for ops in report.plan.counts().values())
    # cpu_seconds: this process's own time; on a shared machine it is what a quiet one would show.
    emit(bench="import_csv", rows=rows, institutions=institution_count, file_mb=round(sheet.stat().st_size / 1e6, 1),
         seconds=round(seconds, 2), cpu_seconds=round(cpu_seconds, 2),
         rows_per_second=round(rows / seconds), target_seconds=30, **counts, rows_written=written,
         baseline="csv.reader + sqlite3.executemany of the same rows into one text table",
         baseline_seconds=round(baseline_seconds, 3), baseline_rows_per_second=round(rows / baseline_seconds),
         ratio=round(seconds / baseline_seconds, 1), peak_rss_mb=rss, peak_rss_mb_before_import=rss_before)
    if again:
        started = time.perf_counter()
        again_report = import_file(db, sheet, ImportOptions(keep_valid=True, dry_run=True, actor="benchmark"))
        emit(bench="import_csv-again-dry-run", rows=rows, seconds=round(time.perf_counter() - started, 2),
             changed=again_report.plan.changed if again_report.plan else None, peak_rss_mb=peak_rss_mb())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[50_000, 200_000])
    parser.add_argument("--institutions", type=int, default=300)
    parser.add_argument("--again", action="store_true", help="re-import each file as a dry run")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # a child: one size, here
    args = parser.parse_args()
    if args.one:
        measure(args.rows[0], args.institutions, args.again)
        return
    peaks = {}
    for rows in args.rows:
        command = [sys.executable, "-m", "benchmarks.import_csv", "--one", "--rows", str(rows),
                   "--institutions", str(args.institutions)] + (["--again"] if args.again else [])
        output = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout
        for line in output.splitlines():
            print(line, flush=True)
            figures = json.loads(line)
            if figures["bench"] == "import_csv":
                peaks[rows] = figures["peak_rss_mb"]
    if len(peaks) > 1:
        smallest, largest = min(peaks), max(peaks)
        emit(bench="import_csv-memory", peak_rss_mb=peaks, rows_ratio=round(largest / smallest, 1),
             peak_rss_ratio=round(peaks[largest] / peaks[smallest], 2), target_peak_rss_mb=1024)


if __name__ == "__main__":
    main()
