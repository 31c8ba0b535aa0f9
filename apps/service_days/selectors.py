"""Reading days of service: lists and the quota compliance report, in fixed numbers of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Count, Max, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.departments.models import Employee
from apps.kpis.periods import Period, PeriodError, PeriodType
from cxoffice.errors import ApplicationError

from .models import Finding, Quota, ServiceDay


def finding_list() -> QuerySet[Finding]:
    return Finding.objects.select_related(
        "service_day__executive", "department", "kpi", "bpi_project", "category"
    )


def service_day_list() -> QuerySet[ServiceDay]:
    """Days with their executive, department and findings: two queries for any number of days."""
    return ServiceDay.objects.select_related("executive", "department").prefetch_related(
        Prefetch(
            "findings",
            queryset=Finding.objects.select_related("department", "kpi", "bpi_project", "category"),
        )
    )


def quarter_from_key(key: str | None, *, field: str = "period") -> Period:
    """The quarter a key such as ``2026-Q4`` names; a missing, bad or non-quarter key is a 400
    naming ``field``: quotas are counted per quarter."""
    if not key:
        raise ApplicationError(_("Give a quarter, such as 2026-Q4."), field=field, code="required")
    try:
        period = Period.parse(key)
    except PeriodError as error:
        raise ApplicationError(str(error), field=field, code="invalid_period") from error
    if period.type != PeriodType.QUARTER:
        raise ApplicationError(
            _("“%(key)s” is not a quarter; give a quarter, such as 2026-Q4.") % {"key": key},
            field=field,
            code="not_quarter",
        )
    return period


@dataclass(frozen=True)
class ComplianceRow:
    executive: Employee
    required: int  # days owed in the quarter
    expected: int  # days owed by now: all of them once the quarter is over
    done: int  # days served in the quarter
    last_date: date | None  # the last day served, up to the end of the quarter
    behind: bool  # done < expected


def quota_owed(
    quota: int, period: Period, hire_date: date, leave_date: date | None, today: date
) -> tuple[int, int]:
    """(required, expected by ``today``) for an executive owing ``quota`` days per quarter.

    Someone employed for only part of the quarter (hired or leaving in it) owes the quota pro
    rata to their days employed, rounded half up (46 of 92 days with a quota of 3: 2 days).
    Expected by today: the required days pro rata to the employed days elapsed, rounded down;
    all of them once the employment in the quarter is over."""
    start, end = max(period.start, hire_date), min(period.end, leave_date or period.end)
    employed = (end - start).days + 1
    if employed <= 0:
        return 0, 0
    required = quota
    if employed < period.days:
        share = Decimal(quota * employed) / period.days
        required = int(share.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    elapsed = min(max((today - start).days + 1, 0), employed)
    return required, required * elapsed // employed


def compliance(period: Period, today: date | None = None) -> list[ComplianceRow]:
    """Each executive employed during the quarter: days required (their override or the company
    default, pro rata for part of the quarter — see :func:`quota_owed`), expected by now, done,
    last day served and whether they are behind (done < expected). Two queries."""
    today = today or timezone.localdate()
    quotas = dict(Quota.objects.values_list("executive_id", "days_per_quarter"))
    company = quotas.pop(None, settings.SERVICE_DAYS_PER_QUARTER)
    executives = (
        Employee.objects.filter(is_executive=True, hire_date__lte=period.end)
        .filter(Q(leave_date__isnull=True) | Q(leave_date__gte=period.start))
        .annotate(
            done=Count(
                "service_days",
                filter=Q(service_days__date__gte=period.start, service_days__date__lte=period.end),
            ),
            last_date=Max("service_days__date", filter=Q(service_days__date__lte=period.end)),
        )
        .order_by("full_name", "employee_number")
    )
    rows = []
    for executive in executives:
        required, expected = quota_owed(
            quotas.get(executive.pk, company), period, executive.hire_date,
            executive.leave_date, today,
        )  # fmt: skip
        rows.append(
            ComplianceRow(
                executive=executive,
                required=required,
                expected=expected,
                done=executive.done,
                last_date=executive.last_date,
                behind=executive.done < expected,
            )
        )
    return rows
