"""Inline SVG charts: vertical bars for histograms, horizontal bars for per-source values.

Hand-written rather than a plotting library: two chart kinds, a few dozen lines, no
dependency, and the output is plain text that is the same for the same numbers.  Every
label passes through the report's ``escape`` (source names come from scraped input).  Each bar
carries a ``<title>``, so a browser shows its exact value on hover.
"""

from __future__ import annotations

from typing import Callable

from cleanwire.report.markup import escape

__all__ = ["PALETTE", "bar_chart", "hbar_chart"]

PALETTE = ("#3b6ea8", "#e0913a", "#5a9e6f", "#b5535b")
_FONT = 'font-family="system-ui, sans-serif" font-size="11"'


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _tick_step(peak: float) -> int:
    """A round step (1, 2, 5 times a power of ten) giving at most five ticks up to ``peak``."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if peak / (step * factor) <= 5:
                return step * factor
        step *= 10


def _legend(names: list[str], x: float, y: float) -> list[str]:
    parts = []
    for i, name in enumerate(names):
        parts.append(f'<rect x="{x:.1f}" y="{y - 9:.1f}" width="10" height="10" fill="{PALETTE[i % len(PALETTE)]}"/>')
        parts.append(f'<text x="{x + 14:.1f}" y="{y:.1f}">{escape(name)}</text>')
        x += 24 + 7 * len(name)
    return parts


def bar_chart(
    labels: list[str], series: dict[str, list[int]], *, title: str, x_label: str, y_label: str,
    width: int = 560, height: int = 240,
) -> str:
    """A vertical bar chart (a histogram): one group of bars per label, one bar per series.

    ``series`` maps a name to one value per label (shown as a legend when there are
    several).  Returns an ``<svg>`` element of the given size; with no labels, a chart
    that says "no data".
    """
    names = list(series)
    left, right, top, bottom = 56, 12, 28 if len(names) < 2 else 44, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" {_FONT}>',
        f'<text x="{left}" y="16" font-weight="600" font-size="12">{escape(title)}</text>',
    ]
    peak = max((v for values in series.values() for v in values), default=0)
    if not labels or peak <= 0:
        parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{top + plot_h / 2:.1f}" text-anchor="middle" fill="#777">no data</text>')
        parts.append("</svg>")
        return "".join(parts)
    if len(names) > 1:
        parts.extend(_legend(names, left, 32))
    baseline = top + plot_h
    step = _tick_step(peak)
    peak = step * -(-peak // step)  # the axis ends on a tick
    for value in range(0, int(peak) + 1, step):
        y = baseline - plot_h * value / peak
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e3e3e3"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 3:.1f}" text-anchor="end" fill="#555">{_number(value)}</text>')
    group_w = plot_w / len(labels)
    bar_w = max(1.0, (group_w - 2) / len(names))
    label_every = max(1, -(-len(labels) * 42 // plot_w))  # skip labels that would overlap
    for i, label in enumerate(labels):
        x0 = left + i * group_w + 1
        for k, name in enumerate(names):
            value = series[name][i]
            h = plot_h * value / peak
            parts.append(
                f'<rect x="{x0 + k * bar_w:.1f}" y="{baseline - h:.1f}" width="{max(bar_w - 1, 0.5):.1f}" '
                f'height="{h:.1f}" fill="{PALETTE[k % len(PALETTE)]}"><title>{escape(label)}: '
                f'{escape(name)} {_number(value)}</title></rect>'
            )
        if i % label_every == 0:
            parts.append(f'<text x="{x0 + group_w / 2:.1f}" y="{baseline + 14}" text-anchor="middle" fill="#333">{escape(label)}</text>')
    parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{baseline}" y2="{baseline}" stroke="#888"/>')
    parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 8}" text-anchor="middle" fill="#333">{escape(x_label)}</text>')
    parts.append(f'<text transform="translate(12 {top + plot_h / 2:.1f}) rotate(-90)" text-anchor="middle" fill="#333">{escape(y_label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def hbar_chart(
    labels: list[str], series: dict[str, list[float]], *, title: str, stacked: bool = True,
    value_format: Callable[[float], str] = _number, width: int = 560, row_height: int = 16,
) -> str:
    """A horizontal bar chart: one row per label, the series stacked (or, with
    ``stacked=False``, side by side in the row).  The total (or each value) is written
    at the end of the row with ``value_format``.  Returns an ``<svg>`` element whose
    height grows with the number of rows; with no rows, one that says "no data"."""
    label_w, right, top = 170, 70, 34
    plot_w = width - label_w - right
    names = list(series)
    rows = len(labels)
    height = top + max(rows, 1) * row_height + 8
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" {_FONT}>',
        f'<text x="4" y="14" font-weight="600" font-size="12">{escape(title)}</text>',
    ]
    if not labels:  # a legend over no rows reads as a chart whose bars failed to draw
        parts.append(f'<text x="{width / 2:.1f}" y="{top + row_height - 5}" text-anchor="middle" fill="#777">no data</text></svg>')
        return "".join(parts)
    if len(names) > 1:
        parts.extend(_legend(names, label_w, 28))
    totals = [sum(series[n][i] for n in names) if stacked else max(series[n][i] for n in names) for i in range(rows)]
    peak = max(totals, default=0) or 1
    bar_h = row_height - 4 if stacked else max(2.0, (row_height - 4) / len(names))
    for i, label in enumerate(labels):
        y = top + i * row_height
        shown = label if len(label) <= 28 else label[:27] + "…"
        parts.append(f'<text x="{label_w - 6}" y="{y + row_height - 5}" text-anchor="end" fill="#333">'
                     f'<title>{escape(label)}</title>{escape(shown)}</text>')
        x = float(label_w)
        for k, name in enumerate(names):
            value = series[name][i]
            w = plot_w * value / peak
            yy = y + 2 if stacked else y + 2 + k * bar_h
            parts.append(
                f'<rect x="{x:.1f}" y="{yy:.1f}" width="{w:.1f}" height="{bar_h:.1f}" fill="{PALETTE[k % len(PALETTE)]}">'
                f'<title>{escape(label)}: {escape(name)} {escape(value_format(value))}</title></rect>'
            )
            if stacked:
                x += w
        end = label_w + plot_w * totals[i] / peak
        parts.append(f'<text x="{end + 4:.1f}" y="{y + row_height - 5}" fill="#555">{escape(value_format(totals[i]))}</text>')
    parts.append("</svg>")
    return "".join(parts)
