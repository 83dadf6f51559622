"""An import's outcome as text: the plan as a diff, row by row, then what was refused."""

from __future__ import annotations

from registry import db as store
from registry.importers.flow import ImportReport
from registry.importers.outcome import AMBIGUOUS, NEW, RowOutcome

_RAW_LIMIT = 200


def _key(change: store.Change) -> str:
    return f"{change.table}/{'/'.join(map(str, change.key))}"


def _row_label(outcome: RowOutcome) -> str:
    line = f"line {outcome.line}" if outcome.line else outcome.where
    how = f"  [{outcome.resolution}]" if outcome.resolution and outcome.resolution != "by id" else ""
    paired = f"  paired by {outcome.pairing}" if outcome.pairing and not outcome.pairing.startswith("new") else ""
    new = f"  ({outcome.pairing})" if outcome.pairing and outcome.pairing.startswith("new") else ""
    return f"{line}  {outcome.key}{paired}{new}{how}"


def _change_lines(changes: list[store.Change], root: str | None) -> list[str]:
    lines = []
    for change in changes:
        label = "" if _key(change) == root else f"{_key(change)} "
        if change.operation == "update":
            for name, old, new in change.changed_fields():
                lines.append(f"      {label}{name}: {old!r} -> {new!r}")
        elif label:
            lines.append(f"      {'+' if change.operation == 'insert' else '-'} {label.strip()}")
    return lines


def _raw(outcome: RowOutcome) -> str:
    shown = ", ".join(f"{header}={value!r}" for header, value in outcome.raw.items() if value.strip())
    return shown if len(shown) <= _RAW_LIMIT else shown[: _RAW_LIMIT - 3] + "..."


def render(report: ImportReport) -> list[str]:
    counts = report.counts()
    about = ", ".join(f"{k} {v!r}" for k, v in report.details.items() if k not in ("rows", "notes", "columns"))
    lines = [
        f"{report.file} ({report.format}{', ' + about if about else ''}): {report.rows} rows as {report.kind}: "
        + ", ".join(f"{count} {status}" for status, count in counts.items())
    ]
    if report.details.get("columns"):
        lines.append(f"  columns: {', '.join(report.details['columns'])}")
    lines += [f"  note: {note}" for note in report.details.get("notes", [])]
    inserted, changed, unchanged = [], [], 0
    for outcome, changes in report.row_changes():
        if not changes:
            unchanged += 1
        elif any(c.operation == "insert" and _key(c) == outcome.key for c in changes):
            inserted.append(f"  + {_row_label(outcome)}")
        else:
            changed.append(f"  ~ {_row_label(outcome)}")
            changed += _change_lines(changes, outcome.key)
    if report.plan is not None:
        if inserted:
            lines += ["new:", *inserted]
        if changed:
            lines += ["changed:", *changed]
        if report.plan.not_kept:  # a large import keeps the first changes to show, and counts the rest
            lines.append(f"(the diff shows the first {len(report.plan.changes):,} changes; "
                         f"{sum(report.plan.not_kept.values()):,} more are in the counts below)")
        elif report.not_listed:
            lines.append(f"(the diff shows the first {len(report.outcomes):,} rows; {report.not_listed:,} more are in the counts)")
        else:
            lines.append(f"unchanged: {unchanged} row{'s' if unchanged != 1 else ''}")
    for title, status in (("ambiguous", AMBIGUOUS), ("new partners, not created (--create-missing creates them)", NEW)):
        refused = [o for o in report.refused if o.status == status]
        if refused:
            lines.append(f"{title}:")
            lines += [f"  ? line {o.line}: {o.reason}" for o in refused]
    rejected = [o for o in report.refused if o.status not in (AMBIGUOUS, NEW)]
    if rejected:
        lines.append("rejected:")
        for outcome in rejected:
            lines.append(f"  ! {outcome.where}: {outcome.reason}")
            lines.append(f"      raw: {_raw(outcome)}")
    lines.append(conclusion(report))
    return lines


def conclusion(report: ImportReport) -> str:
    refused = report.refused_rows
    if report.dry_run:
        tail = f"; {refused} row(s) would stop the import unless --keep-valid" if refused else ""
        return f"dry run: nothing written{tail}"
    if not report.written:
        return f"nothing written: {refused} row(s) refused (fix them, or --keep-valid to write the others)"
    counts = report.plan.counts() if report.plan else {}
    summary = "; ".join(f"{table} " + ", ".join(f"{n} {op}" for op, n in ops.items()) for table, ops in counts.items())
    kept = f"; {refused} refused row(s) kept in import_rejects (import {report.import_id})" if refused else ""
    return f"written: {summary or 'nothing changed'}{kept}"
