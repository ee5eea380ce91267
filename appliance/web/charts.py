"""Charts drawn by the server as inline SVG: no script, no download, no CDN.

Chart libraries either run in the browser (scripts from elsewhere) or write SVG with
``<style>`` elements and ``style=""`` attributes, which the pages' Content Security
Policy (``style-src 'self'``) refuses. These few shapes use presentation attributes
only (``fill``, ``stroke``), and every value is escaped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

# Colour-blind-safe pairs (Okabe-Ito): blue, orange, then a grey for "other".
PALETTE = ("#0072b2", "#e69f00", "#999999")
WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 14, 40


@dataclass(frozen=True)
class Series:
    """One stacked layer: its label and one value per category."""

    label: str
    values: Sequence[float]


def _nice_ceiling(value: float) -> float:
    """The axis maximum: 1, 2 or 5 times a power of ten at or above ``value``."""
    if value <= 0:
        return 1.0
    power = 1.0
    while power * 10 <= value:
        power *= 10
    while power > value:
        power /= 10
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power  # pragma: no cover - the loop above always returns


def _number(value: float) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:g}M"
    if value >= 1000:
        return f"{value / 1000:g}k"
    return f"{value:g}"


def stacked_bars(
    chart_id: str, title: str, categories: Sequence[str], series: Sequence[Series]
) -> Markup:
    """Vertical bars, one per category (a day), each stacking ``series``; labels on
    the x axis are thinned to about a dozen. Returns an ``<svg>`` element."""
    n = max(len(categories), 1)
    totals = [sum(s.values[i] for s in series) for i in range(len(categories))]
    top = _nice_ceiling(max(totals, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / n
    bar = max(slot * 0.8, 1.0)
    parts = [
        f'<svg class="chart" id="{escape(chart_id)}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-labelledby="{escape(chart_id)}-t" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(chart_id)}-t">{escape(title)}</title>',
    ]
    for tick in range(5):
        value = top * tick / 4
        y = TOP + plot_h - plot_h * tick / 4
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#d8dde3" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="#4a5561">{escape(_number(value))}</text>'
        )
    every = max(1, round(n / 12))
    for i, category in enumerate(categories):
        x = LEFT + slot * i + (slot - bar) / 2
        base = float(TOP + plot_h)
        for k, layer in enumerate(series):
            value = layer.values[i]
            if value <= 0:
                continue
            h = plot_h * value / top
            base -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{base:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{PALETTE[k % len(PALETTE)]}"><title>{escape(category)}: '
                f"{escape(layer.label)} {escape(_number(value))}</title></rect>"
            )
        if i % every == 0:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{HEIGHT - BOTTOM + 14}" text-anchor="middle" '
                f'font-size="10" fill="#4a5561">{escape(category[5:])}</text>'
            )
    legend_x = LEFT
    for k, layer in enumerate(series):
        parts.append(
            f'<rect x="{legend_x}" y="{HEIGHT - 14}" width="10" height="10" '
            f'fill="{PALETTE[k % len(PALETTE)]}"/>'
            f'<text x="{legend_x + 14}" y="{HEIGHT - 5}" font-size="11" fill="#1d2731">'
            f"{escape(layer.label)}</text>"
        )
        legend_x += 24 + 7 * len(layer.label)
    parts.append("</svg>")
    return Markup("".join(parts))


def horizontal_bars(
    chart_id: str,
    title: str,
    bars: Sequence[tuple[str, float | None]],
    label: Callable[[float], str] = _number,
) -> Markup:
    """One horizontal bar per (label, value), each value written beside its bar by
    ``label``; a value of None reads "not entered"."""
    row = 34
    height = TOP + row * len(bars) + 8
    label_w = 230
    plot_w = WIDTH - label_w - 120
    top = _nice_ceiling(max((v for _, v in bars if v is not None), default=0))
    parts = [
        f'<svg class="chart" id="{escape(chart_id)}" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-labelledby="{escape(chart_id)}-t" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(chart_id)}-t">{escape(title)}</title>',
    ]
    for i, (name, value) in enumerate(bars):
        y = TOP + row * i
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end" font-size="12" '
            f'fill="#1d2731">{escape(name)}</text>'
        )
        if value is None:
            parts.append(
                f'<text x="{label_w}" y="{y + 17}" font-size="12" fill="#6b7682">not entered</text>'
            )
            continue
        w = max(plot_w * value / top, 1.0)
        parts.append(
            f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="20" '
            f'fill="{PALETTE[i % 2]}"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 18}" font-size="12" fill="#1d2731">'
            f"{escape(label(value))}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
