"""``docs/checks.md``: every check's metadata and rationale, generated from the code."""

from __future__ import annotations

import json
from pathlib import Path

from checks.context import Context, load_criteria
from checks.registry import CheckSpec, all_checks

DOCS_FILE = Path(__file__).resolve().parent.parent / "docs" / "checks.md"

FAMILIES = {
    "GRE": "Responsible engagement (GRE): academic freedom, human rights, ethics, risk",
    "GDE": "Strategic portfolio (GDE): agreements that are used, balanced and current",
    "AP": "Action-plan goals (AP): the faculty's action plan for internationalisation 2025-2027",
    "DQ": "Data quality (DQ): records the other checks and the publications need",
    "PL": "Clinical placements (PL)",
}


def _threshold(ctx: Context, key: str) -> str:
    value = ctx.criterion(key)
    if isinstance(value, (dict, list)):
        text = json.dumps(value, ensure_ascii=False)
        return text if len(text) <= 160 else text[:157] + "..."
    return str(value)


def _entry(spec: CheckSpec, ctx: Context) -> list[str]:
    source = f"[{spec.source}]({spec.source_url})" if spec.source_url else spec.source
    lines = [
        f"### {spec.code}: {spec.title}",
        "",
        f"- severity: **{spec.severity}**",
        f"- criterion: {spec.criterion}",
        f"- source: {source}",
    ]
    if spec.uses:
        lines.append("- thresholds (data/criteria.yml): " + "; ".join(f"`{k}` = `{_threshold(ctx, k)}`" for k in spec.uses))
    lines += ["", spec.rationale, ""]
    return lines


def checks_markdown() -> str:
    """The whole of docs/checks.md."""
    criteria, _ = load_criteria()
    ctx = Context(None, criteria, None)  # type: ignore[arg-type]  # only criteria are read
    specs = all_checks()
    lines = [
        "# Checks",
        "",
        "<!-- Generated from the code by `registry checks --format markdown > docs/checks.md`; do not edit. -->",
        "",
        f"{len(specs)} checks. Each runs one set-based SQL query over the whole registry; thresholds and lists",
        "of judgement are read from `data/criteria.yml`. `registry check` records a run and its findings;",
        "`registry waive` accepts a finding until a date; `registry review` records a decision.",
        "",
        "| code | title | severity | family |",
        "|---|---|---|---|",
    ]
    lines += [f"| [{s.code}](#{s.code.lower()}-{_anchor(s.title)}) | {s.title} | {s.severity} | {s.family} |" for s in specs]
    for family, heading in FAMILIES.items():
        members = [s for s in specs if s.family == family]
        if not members:
            continue
        lines += ["", f"## {heading}", ""]
        for spec in members:
            lines += _entry(spec, ctx)
    return "\n".join(lines).rstrip() + "\n"


def _anchor(title: str) -> str:
    return "".join(c if c.isalnum() or c == "-" else "" for c in title.lower().replace(" ", "-"))


def write_docs(path: Path = DOCS_FILE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(checks_markdown(), encoding="utf-8")
    return path
