"""Small charts drawn on the server as SVG: no JavaScript, no CDN, and they print.

Pure functions over plain numbers; the markup contains only numbers and fixed attributes, so it
is safe to mark as safe in templates.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal


def sparkline_svg(
    values: Sequence[Decimal | None],
    *,
    target: Decimal | None = None,
    width: int = 160,
    height: int = 36,
    colour: str = "#336699",
    title: str = "",
) -> str:
    """A line over ``values`` (gaps where a value is None), the target as a dashed line, and a
    dot on the latest value. The vertical scale spans the values and the target."""
    pad = 4
    known = [float(v) for v in values if v is not None]
    scale_points = known + ([float(target)] if target is not None else [])
    if not scale_points:
        return (
            f'<svg class="sparkline" role="img" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}"><title>{_escape(title)}</title>'
            f'<line x1="{pad}" y1="{height / 2}" x2="{width - pad}" y2="{height / 2}" '
            'stroke="#ccc" stroke-dasharray="2 3"/></svg>'
        )
    low, high = min(scale_points), max(scale_points)
    span = (high - low) or 1.0
    step = (width - 2 * pad) / max(len(values) - 1, 1)

    def x(i: int) -> float:
        return round(pad + i * step, 1)

    def y(v: float) -> float:
        return round(height - pad - (v - low) / span * (height - 2 * pad), 1)

    segments: list[list[str]] = [[]]
    for i, value in enumerate(values):
        if value is None:
            if segments[-1]:
                segments.append([])
            continue
        segments[-1].append(f"{x(i)},{y(float(value))}")
    parts = [
        f'<svg class="sparkline" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><title>{_escape(title)}</title>'
    ]
    if target is not None:
        ty = y(float(target))
        parts.append(
            f'<line x1="{pad}" y1="{ty}" x2="{width - pad}" y2="{ty}" stroke="#999" '
            'stroke-width="1" stroke-dasharray="3 3"/>'
        )
    for segment in segments:
        if len(segment) > 1:
            parts.append(
                f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" '
                f'points="{" ".join(segment)}"/>'
            )
        elif segment:
            cx, cy = segment[0].split(",")
            parts.append(f'<circle cx="{cx}" cy="{cy}" r="1.5" fill="{colour}"/>')
    last = next((i for i in range(len(values) - 1, -1, -1) if values[i] is not None), None)
    if last is not None:
        parts.append(
            f'<circle cx="{x(last)}" cy="{y(float(values[last]))}" r="2.5" fill="{colour}"/>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _escape(text: str) -> str:
    return (
        str(text)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
    )
