"""The quota compliance page of the admin, and its dashboard panel."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.kpis.periods import Period, PeriodType
from cxoffice.errors import ApplicationError

from . import selectors

QUARTERS_OFFERED = 8  # the quarter selector lists the current quarter and the seven before it


def _may_read(request) -> bool:
    return request.user.has_perm("service_days.view_serviceday")


def compliance_view(request, site):
    """``/admin/service-days/compliance/?period=2026-Q4``: each executive's days of service
    against their quota; the current quarter by default."""
    if not _may_read(request):
        raise PermissionDenied
    today = timezone.localdate()
    current = Period.for_date(today, PeriodType.QUARTER)
    key = request.GET.get("period") or current.key
    error = None
    try:
        period = selectors.quarter_from_key(key)
    except ApplicationError as exc:
        error, period = exc.message, current
    quarters = [quarter.key for quarter in reversed(current.last(QUARTERS_OFFERED))]
    if period.key not in quarters:
        quarters.append(period.key)
    rows = selectors.compliance(period, today)
    context = {
        **site.each_context(request),
        "title": _("Days of service %(period)s: quota compliance") % {"period": period.key},
        "period": period,
        "running": period.start <= today <= period.end,
        "quarters": quarters,
        "rows": rows,
        "behind_count": sum(row.behind for row in rows),
        "error": error,
    }
    return render(request, "admin/service_days/compliance.html", context)


def behind_quota_panel(request):
    """The dashboard's list of executives behind their quota this quarter (pro rata)."""
    if not _may_read(request):
        return None
    today = timezone.localdate()
    quarter = Period.for_date(today, PeriodType.QUARTER)
    behind = [row for row in selectors.compliance(quarter, today) if row.behind]
    return {"template": "admin/service_days/behind_panel.html", "period": quarter, "rows": behind}
