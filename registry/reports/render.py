"""Lay a report's facts out as HTML, PDF (WeasyPrint, from the same HTML) or Markdown.

The templates beside this module take the facts ``gather`` collected, a translator ``t`` and
the charts as SVG. The PDF carries no JavaScript: the charts are static SVG drawn by WeasyPrint.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2

from registry import i18n
from registry.reports import charts
from registry.reports.strings import translator

FORMATS = ("pdf", "html", "md")
TEMPLATES = Path(__file__).resolve().parent / "templates"


class ReportError(ValueError):
    """The report cannot be written (an unknown format, a PDF library missing)."""


def _environment(markdown: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=not markdown,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["cell"] = lambda text: str(text if text is not None else "").replace("|", "\\|").replace("\n", " ")
    env.filters["join_counts"] = lambda counts, t, group: (
        ", ".join(f"{t.value(group, key)} {value}" for key, value in counts.items()) or "-"
    )
    return env


def portfolio_charts(pack: dict[str, Any], t) -> dict[str, str]:
    years = pack["years"]
    totals = pack["totals"]
    series = [
        (t(key), [totals[y][name] for y in years])
        for key, name in (
            ("col.places_out", "places_out"),
            ("col.went", "went"),
            ("col.places_in", "places_in"),
            ("col.came", "came"),
        )
    ]
    return {
        "flows": charts.bar_chart(years, series, title=t("chart.flows")),
        "status": charts.horizontal_bars(
            [(t.value("status", k), v) for k, v in pack["status_counts"].items()], title=t("chart.status")
        ),
        "tiers": charts.horizontal_bars(
            [(t.value("tier", k), v) for k, v in pack["tier_counts"].items()], title=t("chart.tiers")
        ),
    }


def in_language(value: Any, lang: str) -> Any:
    """The pack with every finding's message in ``lang`` (from the template its evidence keeps), a copy."""
    if isinstance(value, dict):
        copied = {key: in_language(item, lang) for key, item in value.items()}
        if isinstance(copied.get("message"), str) and "evidence" in copied:
            copied["message"] = i18n.finding_message(lang, copied["message"], copied["evidence"])
        return copied
    if isinstance(value, list):
        return [in_language(item, lang) for item in value]
    return value


def render(pack: dict[str, Any], output_format: str, *, lang: str = "en", chart_dir: Path | None = None) -> bytes:
    """The report as the bytes of a file in ``output_format``. Markdown links its charts as SVG
    files written to ``chart_dir`` (the output's folder)."""
    if output_format not in FORMATS:
        raise ReportError(f"no report format {output_format!r}; choose {', '.join(FORMATS)}")
    t = translator(lang)
    pack = in_language(pack, lang)
    kind = pack["kind"]
    svg = portfolio_charts(pack, t) if kind == "portfolio" else {}
    if output_format == "md":
        links = {}
        if chart_dir is not None:
            for name, drawing in svg.items():
                path = chart_dir / f"{pack.get('file_stem', kind)}-{name}.svg"
                path.write_text(drawing, encoding="utf-8")
                links[name] = path.name
        text = _environment(True).get_template(f"{kind}.md.j2").render(p=pack, t=t, charts=links, lang=lang)
        return text.encode("utf-8")
    html = _environment(False).get_template(f"{kind}.html.j2").render(p=pack, t=t, charts=svg, lang=lang)
    if output_format == "html":
        return html.encode("utf-8")
    return html_to_pdf(html)


def html_to_pdf(html: str) -> bytes:
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as error:  # OSError: Pango or its fonts are not installed
        raise ReportError(f"PDF needs WeasyPrint with Pango ({error}); write --format html instead") from error
    return HTML(string=html, base_url=str(TEMPLATES)).write_pdf()
