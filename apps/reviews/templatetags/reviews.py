"""Showing the review's plain data (decimals as strings) in pages and e-mails."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from apps.bpi.models import Status as ProjectStatus
from apps.feedback.models import Category, Channel, Severity
from apps.feedback.models import Status as FeedbackStatus
from apps.kpis.formatting import kpi_number
from apps.reviews.models import ActionStatus
from apps.targets.charts import sparkline_svg

register = template.Library()

COLOURS = {"red": "#ba2121", "amber": "#c77c02", "green": "#2e7d32", "blue": "#1565c0",
           "grey": "#888"}  # fmt: skip


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


@register.filter
def kpi_value(value, row) -> str:
    """A KPI value of a scorecard row (or KPI link) rounded half-up to the row's decimals, with
    its unit; "—" when missing."""
    number = _decimal(value)
    if number is None:
        return "—"
    decimals = row.get("decimals", 2) if isinstance(row, dict) else 2
    unit = row.get("unit", "") if isinstance(row, dict) else ""
    return kpi_number(number, unit=unit, decimals=decimals)


@register.filter
def signed_kpi(value, row) -> str:
    """A gap in the KPI's unit, signed and rounded half-up to the row's decimals: +0.1, −5.28."""
    number = _decimal(value)
    if number is None:
        return "—"
    decimals = row.get("decimals", 2) if isinstance(row, dict) else 2
    shown = abs(number).quantize(Decimal(1).scaleb(-int(decimals)), rounding=ROUND_HALF_UP)
    sign = "+" if number > 0 else "−" if number < 0 and shown else ""
    return f"{sign}{shown}"


@register.filter
def signed(value) -> str:
    """+3, −1.25, 0 (a change against last week or the average)."""
    number = _decimal(value)
    if number is None:
        return "—"
    text = format(abs(number).normalize(), "f")
    return f"+{text}" if number > 0 else f"−{text}" if number < 0 else "0"


@register.filter
def status_label(status: str, row=None) -> str:
    """The attainment status in words; ``row`` (a scorecard row of the review): "no target"
    rather than "no data" when there is an actual but no target to compare it with."""
    if (
        status == "no_data"
        and isinstance(row, dict)
        and row.get("actual") not in (None, "")
        and row.get("target") in (None, "")
    ):
        return _("no target")
    return {
        "below_threshold": _("below threshold"),
        "below_target": _("below target"),
        "on_target": _("on target"),
        "at_stretch": _("at stretch"),
        "no_data": _("no data"),
    }.get(status, status)


def _choice_label(choices):
    """A filter showing a stored choice (a code in the snapshot) as its translated label."""
    labels = dict(choices)
    return lambda value: str(labels.get(value, value))


register.filter("project_status_label", _choice_label(ProjectStatus.choices))
register.filter("action_status_label", _choice_label(ActionStatus.choices))
register.filter("feedback_status_label", _choice_label(FeedbackStatus.choices))
register.filter("severity_label", _choice_label(Severity.choices))
register.filter("channel_label", _choice_label(Channel.choices))


@register.filter
def impact_label(status: str) -> str:
    return {
        "achieved": _("goal achieved"),
        "improved": _("improved"),
        "unchanged": _("unchanged"),
        "worse": _("worse"),
        "unknown": _("not measured yet"),
    }.get(status, status)


@register.simple_tag(takes_context=True)
def category_label(context, code: str) -> str:
    """A feedback category's name for its code (the snapshot keeps codes), translated; the
    names are read once per rendering."""
    if not code:
        return "—"
    names = context.render_context.get("cx_category_names")
    if names is None:
        names = dict(Category.objects.values_list("code", "name"))
        context.render_context["cx_category_names"] = names
    name = names.get(code)
    return _(name) if name else code


@register.filter
def tr(text) -> str:
    """A label of the data translated into the active language: catalog names and choice
    labels are stored in English in a snapshot; text already translated comes back as is."""
    return _(text) if text else ""


@register.simple_tag
def review_sparkline(row) -> str:
    values = [_decimal(point["value"]) for point in row["trend"]]
    title = " · ".join(f"{p['period']}: {p['value'] or '—'}" for p in row["trend"])
    return mark_safe(  # noqa: S308 — numbers and an escaped title only
        sparkline_svg(
            values,
            target=_decimal(row.get("target")),
            colour=COLOURS.get(row.get("colour"), "#888"),
            title=title,
        )
    )
