"""Reading BPI projects: lists with progress and overdue flags, KPI links with their current
values and impact — each in a fixed number of queries whatever the number of projects."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from apps.kpis.models import Scope
from apps.kpis.periods import Period, PeriodType
from apps.kpis.selectors import Holder, KPIValue, kpi_latest_results, result_book

from . import calculations
from .models import CLOSED_STATUSES, KPILink, Project, Status, Update


def overdue_q(today: date | None = None) -> Q:
    """Due date passed, and not completed, verified or cancelled (SPEC §8)."""
    return Q(due_date__lt=today or timezone.localdate()) & ~Q(status__in=CLOSED_STATUSES)


def project_list() -> QuerySet[Project]:
    """Projects with owner, sponsor, departments, KPI links and ``progress`` (the latest
    update's percent complete, None before the first update)."""
    latest = Update.objects.filter(project=OuterRef("pk")).order_by("-date", "-id")
    return (
        Project.objects.select_related("owner", "sponsor")
        .prefetch_related("departments", "kpi_links__kpi", "kpi_links__department")
        .annotate(progress=Subquery(latest.values("progress_percent")[:1]))
    )


def projects_overdue(today: date | None = None) -> QuerySet[Project]:
    return project_list().filter(overdue_q(today)).order_by("due_date", "code")


def _holder(link: KPILink) -> Holder:
    return Holder(Scope.DEPARTMENT, link.department_id) if link.department_id else Holder.company()


def attach_current_values(projects: Iterable[Project]) -> None:
    """Set ``current`` (the latest result, or None), ``current_period`` and ``impact`` on every
    prefetched KPI link of ``projects`` — one query for all of them.

    Impact (SPEC §8) is measured for completed and verified projects only, from the latest
    result whose period ends after the completion date (none yet: status ``unknown``)."""
    links = [link for project in projects for link in project.kpi_links.all()]
    latest = kpi_latest_results((link.kpi_id, _holder(link)) for link in links)
    for link in links:
        found = latest.get((link.kpi_id, _holder(link)))
        link.current = found.value if found else None
        link.current_period = found.period if found else ""
        link.impact = None
        project = link.project
        if project.status in (Status.COMPLETED, Status.VERIFIED) and project.completed_on:
            after = found if found and found.period_end > project.completed_on else None
            link.impact = calculations.impact(
                baseline=link.baseline,
                goal=link.goal,
                latest=after.value if after else None,
                higher_is_better=link.kpi.higher_is_better,
            )


TREND_LENGTH = 8


def kpi_link_trends(
    links: Iterable[KPILink], *, length: int = TREND_LENGTH, today: date | None = None
) -> dict[int, list[tuple[Period, KPIValue]]]:
    """The last ``length`` complete periods of each link's KPI, at the KPI's frequency and in
    the link's scope, keyed by link id — two queries for all the links together."""
    links = list(links)
    today = today or timezone.localdate()
    periods = {
        link.pk: Period.for_date(today, PeriodType(link.kpi.frequency)).previous().last(length)
        for link in links
    }
    if not links:
        return {}
    book = result_book(
        kpis={link.kpi_id: link.kpi for link in links}.values(),
        holders={_holder(link) for link in links},
        periods={p for series in periods.values() for p in series},
    )
    return {
        link.pk: list(
            zip(
                periods[link.pk],
                book.series(link.kpi, _holder(link), periods[link.pk]),
                strict=True,
            )
        )
        for link in links
    }
