"""The scorecard page of the admin, and its panel on the dashboard."""

from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.departments.models import Department
from apps.kpis.periods import Period, PeriodError, PeriodType

from . import calculations, selectors


def _flatten(rows, depth=0, parent=None):
    for row in rows:
        yield row, depth, parent
        yield from _flatten(row.children, depth + 1, row.kpi.pk)


def scorecard_view(request, site):
    """``/admin/scorecard/?period=2026-11&department=DIST``: the whole scorecard as a table."""
    error = None
    default = Period.for_date(timezone.localdate(), PeriodType.MONTH).previous()
    key = request.GET.get("period") or default.key
    try:
        period = Period.parse(key)
    except PeriodError as exc:
        error, period = str(exc), default
    department = None
    code = request.GET.get("department")
    if code:
        department = Department.objects.filter(code=code).first()
        if department is None:
            error = _("Unknown department “%(code)s”.") % {"code": code}
    card = selectors.scorecard(period=period, department=department)
    context = {
        **site.each_context(request),
        "title": _("Scorecard %(period)s — %(who)s")
        % {"period": period.key, "who": department.name if department else _("Company")},
        "card": card,
        "rows": list(_flatten(card.rows)),
        "period_key": key,
        "department_code": code or "",
        "departments": Department.objects.filter(is_active=True).order_by("code"),
        "error": error,
        "trend_periods": period.last(selectors.TREND_LENGTH),
    }
    return render(request, "admin/targets/scorecard.html", context)


def scorecard_panel(request):
    """The dashboard's headline: how many company KPIs are red / amber / green / blue last month."""
    period = Period.for_date(timezone.localdate(), PeriodType.MONTH).previous()
    card = selectors.scorecard(period=period)
    counts = dict.fromkeys(calculations.STATUS_COLOURS, 0)
    for row in card.rows:
        counts[row.status] += 1
    red = [row for row in card.rows if row.status == calculations.BELOW_THRESHOLD]
    return {
        "template": "admin/targets/scorecard_panel.html",
        "period": period,
        "counts": counts,
        "red": red,
    }
