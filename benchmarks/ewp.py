"""EWP IIAs at the size of a whole university's portfolio: one get response with N IIAs
(the fictitious Lund example, each with another real Erasmus charter holder as partner),
imported into a registry that knows only Lund (partners created from the charter list),
exported, imported again unchanged, and compared with itself.

The baseline, measured in the same run, is reading the same file safely and validating it
against the XSD (only the safe parse when the XSDs are not at hand): the least any importer
must do with it. Prints one JSON object per figure. With ``--reference`` the import is
measured once more into a registry with the shipped ROR extract loaded, where every partner
is first resolved by name and, when its name resolves, created from the reference record.

    .venv/bin/python -m benchmarks.ewp [--iias 1000] [--reference]
    .venv/bin/python -m benchmarks.ewp --memory 2000 8000

``--memory`` measures peak memory instead (``resource.getrusage``), each size in a fresh
process: the import (with ``--create-missing``) of a response of that many IIAs, and, as the
baseline, the safe parse and XSD validation of the whole file as one tree. An import that
streams stays flat as the file grows; the baseline grows with it. Beyond the 5,342 charter
holders with one domain, partners repeat (each IIA still has its own ids).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from registry import db as store
from registry.ewp import diff, reader, safe_xml, schemas, writer
from registry.ewp.heis import charter_holders
from registry.examples import fresh_registry
from registry.exporters import ewp as exporter
from registry.importers import ewp as importer
from registry.models import Institution
from registry.reference import load_reference

EXAMPLE = Path(__file__).resolve().parent.parent / "data" / "ewp" / "example-iia-lund-bergen.xml"
ROR_EXTRACT = Path(__file__).resolve().parent.parent / "data" / "reference_institutions" / "ror_education_healthcare_v2.9.jsonl.gz"
LUND = Institution(id="lund-university", name="Lund University", country="SE", schac="lu.se", is_home=True)


def emit(**figures) -> None:
    print(json.dumps(figures), flush=True)


def synthetic_response(count: int) -> bytes:
    [template] = reader.read_file(EXAMPLE, validate=False)[1]
    domains = sorted(d for d, holders in charter_holders().items() if len(holders) == 1 and d != "lu.se")
    iias = []
    for n in range(1, count + 1):
        domain = domains[(n - 1) % len(domains)]

        def swap(hei: str, domain: str = domain) -> str:
            return domain if hei == "uib.no" else hei

        partners = [p.model_copy(update={"hei_id": swap(p.hei_id), "iia_id": f"{p.iia_id}-{n}"}) for p in template.partners]
        conditions = [c.model_copy(update={"sending_hei_id": swap(c.sending_hei_id), "receiving_hei_id": swap(c.receiving_hei_id)})
                      for c in template.conditions]
        iias.append(template.model_copy(update={"partners": partners, "conditions": conditions}))
    return writer.to_bytes(writer.get_response(iias))


def timed(function):
    started = time.perf_counter()
    result = function()
    return result, time.perf_counter() - started


def peak_rss_mb() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def measure_memory(path: Path, iias: int, what: str) -> None:
    """One file, in this (fresh) process: the import, or the baseline (parse and validate whole)."""
    workdir = path.parent
    rss_before = peak_rss_mb()
    started, cpu_started = time.perf_counter(), time.process_time()
    if what == "import":
        db = fresh_registry(workdir / "registry.db")
        store.write_records(db, [LUND])
        result = importer.import_file(db, path, create_missing=True)
        figures = {"rows_written": sum(sum(ops.values()) for ops in result.plan.counts().values())}
    else:
        tree = safe_xml.parse(path)
        figures = {"schema_checked": schemas.validate(tree, "iias-get", where=str(path)).checked}
    emit(bench=f"ewp_memory_{what}", iias=iias, megabytes=round(path.stat().st_size / 1e6, 1),
         seconds=round(time.perf_counter() - started, 2), cpu_seconds=round(time.process_time() - cpu_started, 2),
         peak_rss_mb=peak_rss_mb(), peak_rss_mb_before=rss_before, **figures)


def memory(sizes: list[int]) -> None:
    peaks: dict[str, dict[int, int]] = {"import": {}, "baseline": {}}
    for iias in sizes:
        # made in a process of its own: Linux carries a process's peak over into the programs it
        # starts, so neither this process nor the measured one may hold the response
        path = Path(tempfile.mkdtemp(prefix="bench-ewp-")) / "iias.xml"
        subprocess.run([sys.executable, "-m", "benchmarks.ewp", "--make", "--iias", str(iias), "--file", str(path)], check=True)
        for what in peaks:
            command = [sys.executable, "-m", "benchmarks.ewp", "--one", what, "--iias", str(iias), "--file", str(path)]
            output = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout
            for line in output.splitlines():
                print(line, flush=True)
                peaks[what][iias] = json.loads(line)["peak_rss_mb"]
    smallest, largest = min(sizes), max(sizes)
    emit(bench="ewp_memory", peak_rss_mb=peaks, iias_ratio=round(largest / smallest, 1),
         import_peak_ratio=round(peaks["import"][largest] / peaks["import"][smallest], 2),
         baseline_peak_ratio=round(peaks["baseline"][largest] / peaks["baseline"][smallest], 2), target_peak_rss_mb=1024)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--iias", type=int, default=1000)
    parser.add_argument("--reference", action="store_true", help="also import into a registry with the ROR extract loaded")
    parser.add_argument("--memory", type=int, nargs="+", metavar="IIAS", help="peak memory at these sizes, instead")
    parser.add_argument("--one", choices=["import", "baseline"], help=argparse.SUPPRESS)  # a child of --memory
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)  # the response it reads
    parser.add_argument("--make", action="store_true", help=argparse.SUPPRESS)  # write the response to --file
    args = parser.parse_args()
    if args.make:
        args.file.write_bytes(synthetic_response(args.iias))
        return
    if args.one:
        measure_memory(args.file, args.iias, args.one)
        return
    if args.memory:
        memory(args.memory)
        return
    workdir = Path(tempfile.mkdtemp(prefix="bench-ewp-"))
    path = workdir / "iias.xml"
    path.write_bytes(synthetic_response(args.iias))
    size = path.stat().st_size

    def baseline():
        tree = safe_xml.parse(path)
        return schemas.validate(tree, "iias-get", where=str(path)).checked

    checked, baseline_seconds = timed(baseline)
    db = fresh_registry(workdir / "registry.db")
    store.write_records(db, [LUND])
    result, import_seconds = timed(lambda: importer.import_file(db, path, create_missing=True))
    rows = sum(sum(ops.values()) for ops in result.plan.counts().values())
    emit(bench="ewp_import", iias=args.iias, bytes=size, rows_written=rows, seconds=round(import_seconds, 3),
         baseline="safe parse + XSD validation" if checked else "safe parse (no XSD)", baseline_seconds=round(baseline_seconds, 3),
         ratio=round(import_seconds / baseline_seconds, 1))
    exported, export_seconds = timed(lambda: exporter.export(db))
    emit(bench="ewp_export", iias=len(exported.agreements), bytes=len(exported.data), schema_checked=exported.schema_checked,
         seconds=round(export_seconds, 3), baseline_seconds=round(baseline_seconds, 3), ratio=round(export_seconds / baseline_seconds, 1))
    again, again_seconds = timed(lambda: importer.import_file(db, path))
    emit(bench="ewp_reimport_unchanged", iias=args.iias, changes=len(again.plan.changes), seconds=round(again_seconds, 3),
         baseline_seconds=round(baseline_seconds, 3), ratio=round(again_seconds / baseline_seconds, 1))
    documents = reader.read_file(path, validate=False)[1]
    report, diff_seconds = timed(lambda: diff.compare_documents(documents, documents))
    emit(bench="ewp_diff", iias=len(report.iias), differs=report.differs, seconds=round(diff_seconds, 3))
    if args.reference:
        with_reference = fresh_registry(workdir / "with-reference.db")
        store.write_records(with_reference, [LUND])
        load_reference(with_reference, ROR_EXTRACT, progress=False)
        result, seconds = timed(lambda: importer.import_file(with_reference, path, create_missing=True))
        found = dict(with_reference.conn.execute(
            "SELECT ror IS NOT NULL, count(*) FROM institutions WHERE NOT is_home GROUP BY 1").fetchall())
        emit(bench="ewp_import_with_reference", iias=args.iias, reference_records=with_reference.conn.execute(
             "SELECT count(*) FROM reference_institutions").fetchone()[0], from_reference=found.get(1, 0),
             from_charter_list=found.get(0, 0), seconds=round(seconds, 3), baseline_seconds=round(baseline_seconds, 3),
             ratio=round(seconds / baseline_seconds, 1))


if __name__ == "__main__":
    main()
