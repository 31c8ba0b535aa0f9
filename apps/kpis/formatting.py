"""KPI values as people read them (display only: stored and computed values are never rounded
here). One place for every page that shows a KPI's number: scorecards, reviews, BPI links."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext

UNIT_SUFFIX = {"percent": "%", "per_thousand": "‰", "hours": " h", "minutes": " min",
               "milliseconds": " ms"}  # fmt: skip


def kpi_number(value: Decimal | None, *, unit: str, decimals: int) -> str:
    """``value`` rounded half-up to ``decimals`` places, with the unit's suffix: 4.80365993 of
    a percent KPI with 1 decimal → ``4.8%``; None → ``—``."""
    if value is None:
        return "—"
    shown = value.quantize(Decimal(1).scaleb(-int(decimals)), rounding=ROUND_HALF_UP)
    return f"{shown}{UNIT_SUFFIX.get(unit, '')}"


def kpi_value_text(value: Decimal | None, kpi) -> str:
    """:func:`kpi_number` in ``kpi``'s unit and decimals."""
    return kpi_number(value, unit=kpi.unit, decimals=kpi.decimals)


def basis_text(basis: str) -> str:
    """How a value was read, for a reader: nothing for an explicit result (the normal case)."""
    if basis == "rolled_up":
        return gettext("rolled up from shorter periods")
    if basis == "children":
        return gettext("from sub-departments")
    return ""
