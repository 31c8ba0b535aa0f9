"""Reading BPI projects: lists with progress and overdue flags, KPI links with their current
values and impact — each in a fixed number of queries whatever the number of projects."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from apps.kpis.models import Scope
from apps.kpis.periods import Period, PeriodType
from apps.kpis.selectors import NONE, Holder, KPIValue, kpi_latest_values, result_book

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
        .prefetch_related(
            "departments",
            Prefetch("kpi_links", queryset=KPILink.objects.select_related("kpi", "department")),
        )
        .annotate(progress=Subquery(latest.values("progress_percent")[:1]))
    )


def projects_overdue(today: date | None = None) -> QuerySet[Project]:
    return project_list().filter(overdue_q(today)).order_by("due_date", "code")


def link_holder(link: KPILink, *, project_departments: Iterable[int] | None = None) -> Holder:
    """Whom a KPI link measures (SPEC §8): the department it names; when it names none, the
    project's department if the project has exactly one, else the company.

    ``project_departments`` (ids) defaults to the project's prefetched departments."""
    if link.department_id:
        return Holder(Scope.DEPARTMENT, link.department_id)
    if project_departments is None:
        project_departments = [department.pk for department in link.project.departments.all()]
    ids = set(project_departments)
    return Holder(Scope.DEPARTMENT, ids.pop()) if len(ids) == 1 else Holder.company()


def attach_current_values(projects: Iterable[Project]) -> None:
    """Set ``current`` (the latest value in the link's scope, or None) with ``current_period``
    and ``current_basis``, and ``impact``, on every prefetched KPI link of ``projects`` — in a
    fixed number of queries for all of them.

    The current value is read like every value (``kpi_latest_values``: explicit, rolled up from
    finer periods or from sub-departments), at the KPI's frequency. Impact (SPEC §8) is
    measured for completed and verified projects only, from the latest value whose period ends
    after the completion date (none yet: status ``unknown``)."""
    links = [link for project in projects for link in project.kpi_links.all()]
    holders = {link.pk: link_holder(link) for link in links}
    latest = kpi_latest_values((link.kpi, holders[link.pk]) for link in links)
    for link in links:
        found = latest.get((link.kpi_id, holders[link.pk]))
        link.current = found.value.value if found else None
        link.current_period = found.period.key if found else ""
        link.current_basis = found.value.basis if found else NONE
        link.impact = None
        project = link.project
        if project.status in (Status.COMPLETED, Status.VERIFIED) and project.completed_on:
            after = found if found and found.period.end > project.completed_on else None
            link.impact = calculations.impact(
                baseline=link.baseline,
                goal=link.goal,
                latest=after.value.value if after else None,
                higher_is_better=link.kpi.higher_is_better,
            )


TREND_LENGTH = 8


def kpi_link_trends(
    links: Iterable[KPILink], *, length: int = TREND_LENGTH, today: date | None = None
) -> dict[int, list[tuple[Period, KPIValue]]]:
    """The last ``length`` complete periods of each link's KPI, at the KPI's frequency and in
    the scope the link measures, keyed by link id — two queries for all the links together."""
    links = list(links)
    today = today or timezone.localdate()
    periods = {
        link.pk: Period.for_date(today, PeriodType(link.kpi.frequency)).previous().last(length)
        for link in links
    }
    if not links:
        return {}
    holders = {link.pk: link_holder(link) for link in links}
    book = result_book(
        kpis={link.kpi_id: link.kpi for link in links}.values(),
        holders=set(holders.values()),
        periods={p for series in periods.values() for p in series},
    )
    return {
        link.pk: list(
            zip(
                periods[link.pk],
                book.series(link.kpi, holders[link.pk], periods[link.pk]),
                strict=True,
            )
        )
        for link in links
    }
