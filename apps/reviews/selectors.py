"""The weekly business review for an ISO week (SPEC §7), built from every other app's selectors.

:func:`build_review` returns plain JSON-ready data (strings, numbers, lists, dicts; decimals and
dates as strings) with its sections in the order of the review:

1. ``week`` — the key (``2026-W47``);
2. ``voice_of_customer`` — counts by channel and category against the previous week and the
   average of the four weeks before, risers, verbatims (worst ratings first), overdue items;
3. ``scorecard`` — every active KPI for the week at company scope (status, gaps, the trend of
   eight weeks, the KPI tree), and the red ones (below threshold) with the children that
   explain them;
4. ``bpi_projects`` — projects new in the week (created in it), overdue on the review day, and
   completed in the week with their measured impact per KPI;
5. ``service_days`` — days of service held in the week with their findings;
6. ``actions`` — the actions agreed in this week's review, and the still open actions of
   earlier reviews (``carried_over``), each with responsible person, objective and due date.

"Overdue" is judged on ``today`` (default: today), the day the review is read or built: the
Monday task builds last week's review on the Monday after it.

The scorecard is the company scorecard *of the week*: a KPI measured monthly or quarterly has
no value for a single week unless weekly results were entered, and then shows "no data" here
(its monthly scorecard is in the scorecard page).

A fixed number of queries whatever the number of feedback items, KPIs, projects, days or
actions (19 for a week with data in every section: 6 for the voice of the customer and its
12-week chart, 5 for the scorecard, 5 for the projects, 2 for the days, 1 for the actions):
every count is an aggregate in the database and every list is loaded with its relations up
front.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from apps.bpi import selectors as bpi_selectors
from apps.bpi.models import CLOSED_STATUSES
from apps.bpi.models import Status as ProjectStatus
from apps.feedback import selectors as feedback_selectors
from apps.kpis.periods import Period, PeriodError, PeriodType
from apps.service_days import selectors as service_day_selectors
from apps.targets import selectors as target_selectors
from apps.targets.calculations import BELOW_THRESHOLD, STATUS_COLOURS
from cxoffice.errors import ApplicationError
from cxoffice.numbers import plain

from .models import ActionStatus, ReviewAction, WeeklyReview

COMPLETED = (ProjectStatus.COMPLETED, ProjectStatus.VERIFIED)
SECTIONS = ("week", "voice_of_customer", "scorecard", "bpi_projects", "service_days", "actions")


def week_from_key(key: str | None, *, field: str = "week") -> Period:
    """The ISO week a key such as ``2026-W47`` names; a bad key, or a month, quarter or year, is
    a 400 naming ``field`` and the accepted form."""
    if not key:
        raise ApplicationError(
            _("Give an ISO week such as 2026-W47."), field=field, code="required"
        )
    try:
        period = Period.parse(key)
    except PeriodError as error:
        raise ApplicationError(
            _("“%(key)s” is not an ISO week: use the form 2026-W47 (year, W, week number).")
            % {"key": key},
            field=field,
            code="invalid_period",
        ) from error
    if period.type != PeriodType.WEEK:
        raise ApplicationError(
            _("“%(key)s” is not an ISO week: use the form 2026-W47 (year, W, week number).")
            % {"key": key},
            field=field,
            code="not_week",
        )
    return period


def last_week(today: dt.date | None = None) -> Period:
    """The ISO week before the one holding ``today`` (local)."""
    return Period.for_date(today or timezone.localdate(), PeriodType.WEEK).previous()


# --- plain values ------------------------------------------------------------------------------


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else plain(value)


def _date(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def _instant(value: dt.datetime | None) -> str | None:
    return None if value is None else timezone.localtime(value).isoformat()


def _translated(name: str) -> str:
    # Catalog names are stored in English and shown translated; typed names come back as typed.
    return gettext(name) if name else ""


# --- 1. voice of the customer ------------------------------------------------------------------


def _count_row(row: feedback_selectors.CountRow) -> dict[str, Any]:
    return {
        "key": row.key,
        "label": row.label,
        "count": row.count,
        "previous": row.previous,
        "average": _decimal(row.average),
        "change_vs_previous": row.change_vs_previous,
        "change_vs_average": _decimal(row.change_vs_average),
        "percent_vs_average": _decimal(row.percent_vs_average),
        "history": list(row.history),
    }


def _voice_of_customer(week: Period, today: dt.date) -> dict[str, Any]:
    voc = feedback_selectors.voice_of_customer(week, today=today)
    return {
        "previous_week": voc.previous_week,
        "average_weeks": list(voc.average_weeks),
        "as_of": today.isoformat(),
        "total": _count_row(voc.total),
        "by_channel": [_count_row(row) for row in voc.by_channel],
        "by_category": [_count_row(row) for row in voc.by_category],
        "risers": [_count_row(row) for row in voc.risers],
        "verbatims": [
            {
                "id": v.id,
                "received_at": _instant(v.received_at),
                "channel": v.channel,
                "rating": v.rating,
                "text": v.text,
                "category": v.category,
                "department": v.department,
            }
            for v in voc.verbatims
        ],
        "overdue": [
            {
                "id": o.id,
                "received_at": _instant(o.received_at),
                "due_date": _date(o.due_date),
                "days_overdue": o.days_overdue,
                "status": o.status,
                "severity": o.severity,
                "category": o.category,
                "department": o.department,
                "owner": o.owner,
                "text": o.text,
            }
            for o in voc.overdue
        ],
        "overdue_count": voc.overdue_count,
        "volume_by_category": _volume(feedback_selectors.volume_by_category(week)),
    }


def _volume(volume: feedback_selectors.WeeklyVolume) -> dict[str, Any]:
    """Items per category and week over the 12 weeks ending with the review's week (the
    chart of the review, kept in the snapshot so that "as sent" draws what was sent)."""
    return {
        "weeks": list(volume.weeks),
        "categories": [
            {"key": c.key, "label": c.label, "counts": list(c.counts)} for c in volume.categories
        ],
        "totals": list(volume.totals),
    }


# --- 2. scorecard ------------------------------------------------------------------------------


def _scorecard_row(row: target_selectors.ScorecardRow) -> dict[str, Any]:
    target = row.target
    return {
        "kpi": row.kpi.code,
        "name": _translated(row.kpi.name),
        "unit": row.kpi.unit,
        "direction": row.kpi.direction,
        "frequency": row.kpi.frequency,
        "decimals": row.kpi.decimals,
        "actual": _decimal(row.value.value),
        "basis": row.value.basis,
        "threshold": _decimal(target.threshold) if target else None,
        "target": _decimal(target.target) if target else None,
        "stretch": _decimal(target.stretch) if target else None,
        "benchmark": _decimal(target.benchmark) if target else None,
        "status": row.status,
        "colour": STATUS_COLOURS[row.status],
        "gap_to_target": _decimal(row.gap_to_target),
        "gap_to_benchmark": _decimal(row.gap_to_benchmark),
        "trend": [{"period": p.key, "value": _decimal(v)} for p, v in row.trend],
        "children": [_scorecard_row(child) for child in row.children],
    }


def _walk(rows: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    for row in rows:
        yield row
        yield from _walk(row["children"])


def _scorecard(week: Period) -> dict[str, Any]:
    card = target_selectors.scorecard(period=week)
    rows = [_scorecard_row(row) for row in card.rows]
    counts = dict.fromkeys(STATUS_COLOURS, 0)
    for row in _walk(rows):
        counts[row["status"]] += 1
    return {
        "period": week.key,
        "scope": card.scope,
        "trend_periods": [p.key for p in week.last(target_selectors.TREND_LENGTH)],
        "counts": counts,
        "rows": rows,
        # Every red KPI, at any depth, with the children that explain it (the root cause).
        "red": [row for row in _walk(rows) if row["status"] == BELOW_THRESHOLD],
    }


# --- 3. BPI projects ---------------------------------------------------------------------------


def _project(project, today: dt.date) -> dict[str, Any]:
    return {
        "id": project.pk,
        "code": project.code,
        "title": project.title,
        "owner": project.owner.full_name,
        "sponsor": project.sponsor.full_name if project.sponsor else None,
        "status": project.status,
        "priority": project.priority,
        "start_date": _date(project.start_date),
        "due_date": _date(project.due_date),
        "completed_on": _date(project.completed_on),
        "progress_percent": project.progress,
        "days_overdue": max((today - project.due_date).days, 0),
        "departments": [d.code for d in project.departments.all()],
        "kpi_links": [
            {
                "kpi": link.kpi.code,
                "name": _translated(link.kpi.name),
                "unit": link.kpi.unit,
                "decimals": link.kpi.decimals,
                "department": link.department.code if link.department else None,
                "baseline": _decimal(link.baseline),
                "goal": _decimal(link.goal),
                "current": _decimal(link.current),
                "current_period": link.current_period or None,
                "impact": (
                    {
                        "status": link.impact.status,
                        "latest": _decimal(link.impact.latest),
                        "improvement": _decimal(link.impact.improvement),
                        "gap_closed_percent": _decimal(link.impact.gap_closed_percent),
                    }
                    if link.impact
                    else None
                ),
            }
            for link in project.kpi_links.all()
        ],
    }


def _bpi_projects(week: Period, today: dt.date) -> dict[str, Any]:
    start, end = feedback_selectors.week_bounds(week)
    new_q = Q(created_at__gte=start, created_at__lt=end)
    completed_q = Q(
        status__in=COMPLETED,
        completed_on__gte=week.start,
        completed_on__lte=week.end,
    )
    overdue_q = bpi_selectors.overdue_q(today)
    # One list (and its prefetches) for the three groups, then one query for the current values.
    projects = list(
        bpi_selectors.project_list()
        .filter(new_q | completed_q | overdue_q)
        .order_by("due_date", "code")
    )
    bpi_selectors.attach_current_values(projects)
    return {
        "as_of": today.isoformat(),
        "new": [
            _project(p, today)
            for p in sorted(projects, key=lambda p: (p.created_at, p.code))
            if start <= p.created_at < end
        ],
        "overdue": [
            _project(p, today)
            for p in projects
            if p.status not in CLOSED_STATUSES and p.due_date < today
        ],
        "completed": [
            _project(p, today)
            for p in sorted(projects, key=lambda p: (p.completed_on or week.start, p.code))
            if p.status in COMPLETED and p.completed_on and week.start <= p.completed_on <= week.end
        ],
    }


# --- 4. service days ---------------------------------------------------------------------------


def _code(value) -> str | None:
    """A related object's code (a category, a department), or a plain text value as it is."""
    if value is None or value == "":
        return None
    return getattr(value, "code", value)


def _service_days(week: Period) -> dict[str, Any]:
    days = list(
        service_day_selectors.service_day_list()
        .filter(date__gte=week.start, date__lte=week.end)
        .order_by("date", "executive__full_name", "id")
    )
    return {
        "count": len(days),
        "hours": _decimal(sum((d.hours for d in days), Decimal(0))),
        "customers_served": sum(d.customers_served for d in days),
        "findings_count": sum(len(d.findings.all()) for d in days),
        "days": [
            {
                "id": day.pk,
                "date": _date(day.date),
                "executive": day.executive.full_name,
                "department": day.department.code,
                "department_name": day.department.name,
                "role_played": day.role_played,
                "hours": _decimal(day.hours),
                "customers_served": day.customers_served,
                "summary": day.summary,
                "findings": [
                    {
                        "id": finding.pk,
                        "description": finding.description,
                        "category": _code(finding.category),
                        "severity": finding.severity,
                        "department": _code(finding.department),
                        "kpi": _code(finding.kpi),
                        "follow_up_type": finding.follow_up_type,
                        "bpi_project": _code(finding.bpi_project),
                        "feedback": getattr(finding, "feedback_id", None),
                    }
                    for finding in day.findings.all()
                ],
            }
            for day in days
        ],
    }


# --- 5. actions --------------------------------------------------------------------------------


def action_list() -> QuerySet[ReviewAction]:
    """Actions with everything their API row and admin line show, in one query."""
    return ReviewAction.objects.select_related(
        "owner", "kpi", "bpi_project", "feedback", "created_by"
    )


def actions_for_week(week: Period) -> QuerySet[ReviewAction]:
    """The actions agreed in the review of ``week`` and the open ones of earlier reviews."""
    return action_list().filter(
        Q(week=week.key) | Q(week__lt=week.key, status=ActionStatus.OPEN)
    ).order_by("due_date", "id")  # fmt: skip


def _actions(week: Period, today: dt.date) -> list[dict[str, Any]]:
    return [
        {
            "id": action.pk,
            "week": action.week,
            "carried_over": action.week != week.key,
            "objective": action.objective,
            "owner": action.owner.full_name,
            "owner_number": action.owner.employee_number,
            "due_date": _date(action.due_date),
            "status": action.status,
            "overdue": action.status == ActionStatus.OPEN and action.due_date < today,
            "kpi": action.kpi.code if action.kpi else None,
            "bpi_project": action.bpi_project.code if action.bpi_project else None,
            "feedback": action.feedback_id,
        }
        for action in actions_for_week(week)
    ]


# --- the review --------------------------------------------------------------------------------


def build_review(week: Period, today: dt.date | None = None) -> dict[str, Any]:
    """The review of ISO week ``week`` as it stands now (see the module's docstring). Labels and
    KPI names are in the active language."""
    if week.type != PeriodType.WEEK:
        raise ValueError(f"A weekly review needs a week, not {week.key}.")
    today = today or timezone.localdate()
    return {
        "week": week.key,
        "voice_of_customer": _voice_of_customer(week, today),
        "scorecard": _scorecard(week),
        "bpi_projects": _bpi_projects(week, today),
        "service_days": _service_days(week),
        "actions": _actions(week, today),
    }


def in_section_order(data: dict[str, Any]) -> dict[str, Any]:
    """A stored review with its sections in the review's order (PostgreSQL's jsonb does not
    keep the order of an object's keys)."""
    return {key: data[key] for key in SECTIONS if key in data}


def review_list() -> QuerySet[WeeklyReview]:
    return WeeklyReview.objects.select_related("built_by")


def review_get(week: Period) -> WeeklyReview | None:
    return review_list().filter(week=week.key).first()


def latest_review() -> WeeklyReview | None:
    """The stored review of the latest week (not the latest built)."""
    return review_list().order_by("-week").first()
