"""A run's findings as text (grouped by severity), JSON or Markdown."""

from __future__ import annotations

import json

from checks.run import RunResult

_SEVERITIES = ("high", "medium", "low", "info")


def _subject(finding: dict) -> str:
    label = f" ({finding['subject_label']})" if finding.get("subject_label") else ""
    return f"{finding['subject_table']}/{finding['subject_id']}{label}"


def _waived(finding: dict) -> str:
    return f" [waived until {finding['waived_until']}: {finding['waiver_reason']}]" if finding["waiver"] else ""


def as_text(result: RunResult) -> str:
    findings = result.listing
    counts = result.counts(findings)
    waived = sum(1 for f in findings if f["waiver"])
    lines = [
        f"{result.run_id}: {len(result.checks)} checks as of {result.as_of}, {len(findings)} open findings "
        f"({', '.join(f'{counts[s]} {s}' for s in _SEVERITIES)}; {waived} waived), "
        f"{result.new} new, {result.resolved} resolved, {result.seconds:.2f} s"
    ]
    for severity in _SEVERITIES:
        group = [f for f in findings if f["severity"] == severity]
        if not group:
            continue
        lines.append("")
        lines.append(f"{severity.upper()} ({len(group)})")
        for finding in group:
            lines.append(f"  {finding['code']}  {_subject(finding)}: {finding['message']}{_waived(finding)}")
    return "\n".join(lines)


def as_json(result: RunResult) -> str:
    return json.dumps(result.as_dict(), indent=2, ensure_ascii=False, default=str)


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def as_markdown(result: RunResult) -> str:
    findings = result.listing
    counts = result.counts(findings)
    lines = [
        f"# Check run {result.run_id}",
        "",
        f"As of {result.as_of}: {len(result.checks)} checks, {len(findings)} open findings "
        f"({', '.join(f'{counts[s]} {s}' for s in _SEVERITIES)}), {result.new} new, {result.resolved} resolved.",
    ]
    for severity in _SEVERITIES:
        group = [f for f in findings if f["severity"] == severity]
        if not group:
            continue
        lines += ["", f"## {severity.capitalize()} ({len(group)})", "", "| code | subject | finding | waived until |", "|---|---|---|---|"]
        for finding in group:
            lines.append(
                f"| {finding['code']} | {_cell(_subject(finding))} | {_cell(finding['message'])} | "
                f"{finding['waived_until'] or ''} |"
            )
    return "\n".join(lines) + "\n"


FORMATS = {"text": as_text, "json": as_json, "markdown": as_markdown}
