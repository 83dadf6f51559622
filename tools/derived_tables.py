"""Writing a derived table the same way every time: UTF-8, one header row, \\n line ends, so that a rerun of
its tool writes the same bytes and a test can compare them."""

from __future__ import annotations

import argparse
import csv
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from registry.reference import SHIPPED, SHIPPED_FOLDER

# The shipped ROR extract most derived tables are learnt from: named once, where the registry loads it.
ROR_EXTRACT = SHIPPED_FOLDER / dict(SHIPPED)["ror"]


def write_table(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def derive_main(doc: str, target: Path, header: Sequence[str], derive: Callable[[argparse.Namespace], list],
                what: str, options: Callable[[argparse.ArgumentParser], None] | None = None) -> None:
    """A derivation tool's command line: ``--target`` (default ``target``), the tool's own ``options``, then the rows
    ``derive(args)`` gives written as a table, and one line saying how many ``what`` were written where."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--target", type=Path, default=target)
    if options:
        options(parser)
    args = parser.parse_args()
    rows = derive(args)
    write_table(args.target, header, rows)
    print(f"wrote {len(rows)} {what} to {args.target}")
