"""The review's charts, drawn on the server as SVG from the review's plain data (live or as
sent): no JavaScript, no CDN, and they print. Labels are escaped, so the markup is safe."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from html import escape

from apps.feedback.charts import PALETTE, stacked_bars_svg

OTHER_CATEGORIES = 6


def grouped_bars_svg(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[Decimal]]],
    *,
    width: int = 560,
    height: int = 200,
    title: str = "",
) -> str:
    """One group of bars per label (a channel), one bar per series (this week, the previous
    week, the 4-week average), the value above each bar and a legend underneath."""
    pad, pad_top, pad_bottom = 8, 16, 22
    plot_height = height - pad_top - pad_bottom
    top = max((float(v) for _name, values in series for v in values), default=0) or 1
    slot = (width - 2 * pad) / max(len(labels), 1)
    bar = max(slot * 0.8 / max(len(series), 1), 1)
    full_height = height + 20
    parts = [
        f'<svg class="cx-chart" role="img" width="{width}" height="{full_height}" '
        f'viewBox="0 0 {width} {full_height}" font-size="10" font-family="sans-serif">'
        f"<title>{escape(title)}</title>",
        f'<line x1="{pad}" y1="{pad_top + plot_height}" x2="{width - pad}" '
        f'y2="{pad_top + plot_height}" stroke="#ccc"/>',
    ]
    for i, label in enumerate(labels):
        left = pad + i * slot + slot * 0.1
        for n, (name, values) in enumerate(series):
            value = values[i]
            h = round(float(value) / top * plot_height, 1)
            x = round(left + n * bar, 1)
            y = round(pad_top + plot_height - h, 1)
            shown = format(Decimal(value).normalize(), "f") if value else "0"
            parts.append(
                f'<rect x="{x}" y="{y}" width="{round(bar - 1, 1)}" height="{h}" '
                f'fill="{PALETTE[n % len(PALETTE)]}"><title>{escape(label)} · {escape(name)}: '
                f"{shown}</title></rect>"
            )
            if value:
                parts.append(
                    f'<text x="{round(x + bar / 2, 1)}" y="{round(y - 2, 1)}" '
                    f'text-anchor="middle" font-size="8">{shown}</text>'
                )
        parts.append(
            f'<text x="{round(pad + i * slot + slot / 2, 1)}" y="{height - 6}" '
            f'text-anchor="middle" fill="#666">{escape(label)}</text>'
        )
    for n, (name, _values) in enumerate(series):
        lx = pad + n * (width - 2 * pad) / max(len(series), 1)
        parts.append(
            f'<rect x="{round(lx, 1)}" y="{height + 4}" width="10" height="10" '
            f'fill="{PALETTE[n % len(PALETTE)]}"/>'
            f'<text x="{round(lx + 14, 1)}" y="{height + 13}">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def channel_chart(voc: dict, *, names: Sequence[str], translate=str) -> str:
    """Feedback by channel: the week, the previous week and the 4-week average."""
    rows = voc["by_channel"]
    labels = [translate(row["label"]) for row in rows]
    series = [
        (names[0], [Decimal(row["count"]) for row in rows]),
        (names[1], [Decimal(row["previous"]) for row in rows]),
        (names[2], [Decimal(row["average"]) for row in rows]),
    ]
    return grouped_bars_svg(labels, series, title=names[3] if len(names) > 3 else "")


def category_chart(volume: dict, *, other: str, title: str, translate=str) -> str:
    """Items per week over 12 weeks, stacked by category (the biggest six, the rest as
    "other")."""
    categories = volume["categories"]
    named, rest = categories[:OTHER_CATEGORIES], categories[OTHER_CATEGORIES:]
    series = [(translate(c["label"]), c["counts"]) for c in named]
    if rest:
        series.append(
            (other, [sum(c["counts"][i] for c in rest) for i in range(len(volume["weeks"]))])
        )
    return stacked_bars_svg(volume["weeks"], series, title=title, other_last=bool(rest))
