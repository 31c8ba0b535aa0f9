from decimal import Decimal

from django import template
from django.utils.safestring import mark_safe

from apps.kpis import formatting
from apps.targets.charts import sparkline_svg

register = template.Library()

COLOURS = {"red": "#ba2121", "amber": "#c77c02", "green": "#2e7d32", "blue": "#1565c0",
           "grey": "#888"}  # fmt: skip


@register.filter
def kpi_number(value: Decimal | None, kpi) -> str:
    """A value as shown to people: rounded half-up to the KPI's decimals, with its unit.
    (Only for display; ``value`` is "" when the template looked it up on a missing target.)"""
    if value is None or value == "":
        return "—"
    return formatting.kpi_value_text(value, kpi)


@register.filter
def signed_number(value: Decimal | None, kpi) -> str:
    if value is None or value == "":
        return "—"
    text = kpi_number(abs(value), kpi)
    return f"+{text}" if value > 0 else f"−{text}" if value < 0 else text


@register.simple_tag
def trend_chart(row) -> str:
    values = [value for _period, value in row.trend]
    target = row.target.target if row.target else None
    title = " · ".join(f"{p.key}: {'—' if v is None else v.normalize()}" for p, v in row.trend)
    return mark_safe(  # noqa: S308 — numbers and an escaped title only
        sparkline_svg(values, target=target, colour=COLOURS[row.colour], title=title)
    )
