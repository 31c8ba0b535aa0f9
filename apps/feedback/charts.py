"""Feedback volume drawn on the server as SVG (no JavaScript, no CDN, prints). Pure functions
over plain numbers; labels are escaped, so the markup is safe to mark as safe in templates."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

# Colour-blind-friendly (Okabe–Ito) plus grey for "other".
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442"]
OTHER_COLOUR = "#999999"


def stacked_bars_svg(
    weeks: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
    *,
    width: int = 560,
    height: int = 220,
    title: str = "",
    other_last: bool = False,
) -> str:
    """One bar per week, stacked by series (oldest week left), a legend underneath and the
    week's total above each bar. ``series`` are (label, counts per week); ``other_last`` greys
    the last series (the rest lumped together)."""

    def colour(n: int) -> str:
        if other_last and n == len(series) - 1:
            return OTHER_COLOUR
        return PALETTE[n % len(PALETTE)]

    pad_left, pad_top, pad_bottom = 8, 16, 22
    legend_rows = (len(series) + 2) // 3
    legend_height = 16 * legend_rows
    plot_height = height - pad_top - pad_bottom
    totals = [sum(counts[i] for _label, counts in series) for i in range(len(weeks))]
    top = max(totals, default=0) or 1
    slot = (width - 2 * pad_left) / max(len(weeks), 1)
    bar = max(slot * 0.7, 1)
    full_height = height + legend_height
    parts = [
        f'<svg class="cx-chart" role="img" width="{width}" height="{full_height}" '
        f'viewBox="0 0 {width} {full_height}" font-size="10" font-family="sans-serif">'
        f"<title>{escape(title)}</title>",
        f'<line x1="{pad_left}" y1="{pad_top + plot_height}" x2="{width - pad_left}" '
        f'y2="{pad_top + plot_height}" stroke="#ccc"/>',
    ]
    for i, week in enumerate(weeks):
        x = round(pad_left + i * slot + (slot - bar) / 2, 1)
        y = pad_top + plot_height
        for n, (label, counts) in enumerate(series):
            if not counts[i]:
                continue
            h = round(counts[i] / top * plot_height, 1)
            y = round(y - h, 1)
            parts.append(
                f'<rect x="{x}" y="{y}" width="{round(bar, 1)}" height="{h}" '
                f'fill="{colour(n)}"><title>{escape(week)} · {escape(label)}: '
                f"{counts[i]}</title></rect>"
            )
        centre = round(x + bar / 2, 1)
        parts.append(
            f'<text x="{centre}" y="{round(y - 3, 1)}" text-anchor="middle">{totals[i]}</text>'
        )
        parts.append(
            f'<text x="{centre}" y="{height - 6}" text-anchor="middle" fill="#666">'
            f"{escape(week[-3:])}</text>"
        )
    for n, (label, _counts) in enumerate(series):
        lx = pad_left + (n % 3) * (width - 2 * pad_left) / 3
        ly = height + 16 * (n // 3) + 4
        parts.append(
            f'<rect x="{round(lx, 1)}" y="{ly}" width="10" height="10" '
            f'fill="{colour(n)}"/>'
            f'<text x="{round(lx + 14, 1)}" y="{ly + 9}">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
