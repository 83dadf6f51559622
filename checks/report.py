"""A run's findings as text (grouped by severity), JSON or Markdown, written as they are read."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import TextIO

from checks.run import RunResult
from registry import i18n

_SEVERITIES = ("high", "medium", "low", "info")


def _subject(finding: dict) -> str:
    label = f" ({finding['subject_label']})" if finding.get("subject_label") else ""
    return f"{finding['subject_table']}/{finding['subject_id']}{label}"


def _waived(finding: dict) -> str:
    return f" [waived until {finding['waived_until']}: {finding['waiver_reason']}]" if finding["waiver"] else ""


def _findings(result: RunResult, lang: str, *, parse_evidence: bool = False) -> Iterator[dict]:
    """The run's open findings one at a time, messages in ``lang``: a run may have millions, so
    no format holds them all (nor the text it makes) in memory."""
    for finding in result.each_finding(parse_evidence=parse_evidence):
        finding["message"] = i18n.finding_message(lang, finding["message"], finding.get("evidence"))
        yield finding


def _by_severity(counts: dict[str, int]) -> str:
    """'2 high, 0 medium, ...': the open findings per severity, most severe first (both reports' head)."""
    return ", ".join(f"{counts[s]} {s}" for s in _SEVERITIES)


def write_text(result: RunResult, out: TextIO, lang: str = i18n.DEFAULT_LANGUAGE) -> None:
    summary = result.summary()
    counts = summary["by_severity"]
    out.write(
        f"{result.run_id}: {len(result.checks)} checks as of {result.as_of}, {summary['open']} open findings "
        f"({_by_severity(counts)}; {summary['waived']} waived), "
        f"{result.new} new, {result.resolved} resolved, {result.seconds:.2f} s\n"
    )
    _write_grouped(result, out, lang, lambda severity: f"\n{severity.upper()} ({counts[severity]})\n",
                   lambda f: f"  {f['code']}  {_subject(f)}: {f['message']}{_waived(f)}\n")


def _write_grouped(result: RunResult, out: TextIO, lang: str, heading: Callable[[str], str],
                   line: Callable[[dict], str]) -> None:
    """Each finding's line, with a heading where a severity begins (the findings come most severe first)."""
    severity = None
    for finding in _findings(result, lang):
        if finding["severity"] != severity:
            severity = finding["severity"]
            out.write(heading(severity))
        out.write(line(finding))


def write_json(result: RunResult, out: TextIO, lang: str = i18n.DEFAULT_LANGUAGE) -> None:
    """As ``json.dumps(result.as_dict(), indent=2)`` would write it, a finding at a time."""
    out.write('{\n  "run": ' + _indented(result.summary(), 2) + ',\n  "findings": [')
    first = True
    for finding in _findings(result, lang, parse_evidence=True):
        out.write(("\n" if first else ",\n") + "    " + _indented(finding, 4))
        first = False
    out.write("]\n}\n" if first else "\n  ]\n}\n")


def _indented(value: object, depth: int) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str).replace("\n", "\n" + " " * depth)


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def write_markdown(result: RunResult, out: TextIO, lang: str = i18n.DEFAULT_LANGUAGE) -> None:
    summary = result.summary()
    counts = summary["by_severity"]
    out.write(
        f"# Check run {result.run_id}\n\n"
        f"As of {result.as_of}: {len(result.checks)} checks, {summary['open']} open findings "
        f"({_by_severity(counts)}), {result.new} new, {result.resolved} resolved.\n"
    )
    _write_grouped(
        result, out, lang,
        lambda severity: f"\n## {severity.capitalize()} ({counts[severity]})\n\n| code | subject | finding | waived until |\n|---|---|---|---|\n",
        lambda f: f"| {f['code']} | {_cell(_subject(f))} | {_cell(f['message'])} | {f['waived_until'] or ''} |\n",
    )
    out.write("\n")


FORMATS: dict[str, Callable[[RunResult, TextIO, str], None]] = {"text": write_text, "json": write_json, "markdown": write_markdown}
