"""The late-delivery tree as server-side SVG: horizontal bars per stage (no JavaScript, no
CDN; prints). Pure functions over plain numbers and labels (labels are escaped)."""

from __future__ import annotations

from collections.abc import Sequence

WAREHOUSE_COLOUR, OTHER_COLOUR = "#c9822b", "#b04a4a"


def _escape(text: object) -> str:
    return (
        str(text)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
    )


def stage_bars_svg(
    bars: Sequence[tuple[str, int, bool, bool]], *, total_late: int, title: str, width: int = 560
) -> str:
    """One bar per stage: (label, late orders, is a warehouse sub-stage, is the biggest). The
    bar length is the share of the late orders whose delay was spent in that stage."""
    row, label_w, pad = 22, 190, 6
    height = pad * 2 + row * max(len(bars), 1)
    scale = (width - label_w - 100) / max(total_late, 1)  # room for "1234 (100.0%)" after
    parts = [
        f'<svg class="cx-late-tree" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><title>{_escape(title)}</title>'
    ]
    for i, (label, count, sub, biggest) in enumerate(bars):
        y = pad + i * row
        indent = 16 if sub else 0
        colour = WAREHOUSE_COLOUR if sub else OTHER_COLOUR
        length = round(count * scale, 1)
        share = round(100 * count / total_late, 1) if total_late else 0
        weight = ' font-weight="bold"' if biggest else ""
        parts.append(
            f'<text x="{indent + 2}" y="{y + 15}" font-size="12"{weight}>{_escape(label)}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{length}" height="14" fill="{colour}"/>'
            f'<text x="{label_w + length + 4}" y="{y + 15}" font-size="11">{count} '
            f"({share}%)</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
