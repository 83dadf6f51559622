"""Charts as static SVG (no JavaScript): they print, and WeasyPrint draws them into the PDF."""

from __future__ import annotations

from xml.sax.saxutils import escape

PALETTE = ("#1f4e79", "#8fb3d9", "#c0504d", "#e6a03c", "#6b8e23", "#7f7f7f")


def _svg_open(width: int, height: int, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}" font-family="DejaVu Sans, sans-serif">'
    )


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 4, 5 or 10 times a power of ten, times 4 (grid lines), at or above value."""
    magnitude = 1.0
    while magnitude * 10 < value:
        magnitude *= 10
    for step in (0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10):
        if step * magnitude * 4 >= value:
            return step * magnitude * 4
    return value


def bar_chart(
    groups: list[str], series: list[tuple[str, list[float]]], *, title: str, width: int = 640, height: int = 260
) -> str:
    """Grouped vertical bars: one group per label in ``groups``, one bar per series, a legend."""
    left, right, top, bottom = 40, 10, 30, 50
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = nice_ceiling(max([value for _, values in series for value in values] + [4]))
    group_w = plot_w / max(len(groups), 1)
    bar_w = group_w * 0.8 / max(len(series), 1)
    parts = [
        _svg_open(width, height, title),
        f'<text x="{left}" y="16" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    for step in range(5):
        value = peak * step / 4
        y = top + plot_h - plot_h * step / 4
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{value:.0f}</text>')
    for g, group in enumerate(groups):
        x0 = left + g * group_w + group_w * 0.1
        for s, (_, values) in enumerate(series):
            value = values[g]
            bar_h = plot_h * value / peak
            x = x0 + s * bar_w
            parts.append(
                f'<rect x="{x:.1f}" y="{top + plot_h - bar_h:.1f}" width="{bar_w - 1:.1f}" height="{bar_h:.1f}" '
                f'fill="{PALETTE[s % len(PALETTE)]}"><title>{escape(group)}: {value:g}</title></rect>'
            )
        parts.append(
            f'<text x="{x0 + group_w * 0.4:.1f}" y="{top + plot_h + 14}" font-size="10" '
            f'text-anchor="middle">{escape(group)}</text>'
        )
    x = left
    for s, (label, _) in enumerate(series):
        parts.append(f'<rect x="{x}" y="{height - 18}" width="10" height="10" fill="{PALETTE[s % len(PALETTE)]}"/>')
        parts.append(f'<text x="{x + 14}" y="{height - 9}" font-size="10">{escape(label)}</text>')
        x += 24 + 6 * len(label)
    parts.append("</svg>")
    return "".join(parts)


def horizontal_bars(counts: list[tuple[str, int]], *, title: str, width: int = 320) -> str:
    """One bar per (label, count), longest scale first: small counts by category."""
    row, top, label_w = 18, 26, 120
    height = top + row * max(len(counts), 1) + 8
    peak = max([count for _, count in counts] + [1])
    parts = [
        _svg_open(width, height, title),
        f'<text x="0" y="14" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    for i, (label, count) in enumerate(counts):
        y = top + i * row
        bar = (width - label_w - 40) * count / peak
        parts.append(f'<text x="{label_w - 6}" y="{y + 12}" font-size="11" text-anchor="end">{escape(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 2}" width="{bar:.1f}" height="{row - 6}" fill="{PALETTE[0]}"/>')
        parts.append(f'<text x="{label_w + bar + 4:.1f}" y="{y + 12}" font-size="11">{count}</text>')
    parts.append("</svg>")
    return "".join(parts)
