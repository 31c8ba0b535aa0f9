"""Reads of feedback that other code relies on: the list, overdue items, and the voice of the
customer for a week (what the weekly business review opens with, SPEC §7).

Weeks are ISO weeks in the server's time zone: an item belongs to the week holding its
``received_at`` in local time. Every count is an aggregate in the database, so a week with
100,000 items costs the same handful of queries as a week with ten.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.kpis.periods import Period

from .models import DONE_STATUSES, Channel, Feedback

AVERAGE_WEEKS = 4
RISERS = 5
VERBATIMS = 10
OVERDUE_SHOWN = 20
CHART_WEEKS = 12


def feedback_list() -> QuerySet[Feedback]:
    """Every item with what its API row and admin line show, in one query."""
    return Feedback.objects.select_related("category", "department", "owner", "kpi", "bpi_project")


def week_bounds(period: Period) -> tuple[dt.datetime, dt.datetime]:
    """The aware instants [start, end) of a week (or any period) in local time."""
    start = timezone.make_aware(dt.datetime.combine(period.start, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time.min))
    return start, end


def in_period_q(period: Period) -> Q:
    start, end = week_bounds(period)
    return Q(received_at__gte=start, received_at__lt=end)


def overdue_q(today: dt.date | None = None) -> Q:
    """Due date before ``today`` (local) and neither resolved nor closed."""
    return Q(due_date__lt=today or timezone.localdate()) & ~Q(status__in=DONE_STATUSES)


def feedback_overdue(today: dt.date | None = None) -> QuerySet[Feedback]:
    return feedback_list().filter(overdue_q(today)).order_by("due_date", "id")


# --- the voice of the customer for a week -----------------------------------------------------


@dataclass(frozen=True)
class CountRow:
    """Items of one channel or category: in week W, in W−1, and the mean of W−4 … W−1."""

    key: str | None
    label: str
    count: int
    previous: int
    average: Decimal
    history: tuple[int, ...]  # W−4 … W−1, oldest first

    @property
    def change_vs_previous(self) -> int:
        return self.count - self.previous

    @property
    def change_vs_average(self) -> Decimal:
        return self.count - self.average

    @property
    def percent_vs_average(self) -> Decimal | None:
        """Change against the 4-week average in percent (one decimal); None when it was 0."""
        if not self.average:
            return None
        return (self.change_vs_average * 100 / self.average).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class Verbatim:
    id: int
    received_at: dt.datetime
    channel: str
    rating: int | None
    text: str
    category: str | None
    department: str | None


@dataclass(frozen=True)
class OverdueItem:
    id: int
    received_at: dt.datetime
    due_date: dt.date
    days_overdue: int
    status: str
    severity: str
    category: str | None
    department: str | None
    owner: str | None
    text: str


@dataclass(frozen=True)
class VoiceOfCustomer:
    week: str
    previous_week: str
    average_weeks: tuple[str, ...]
    total: CountRow
    by_channel: tuple[CountRow, ...]
    by_category: tuple[CountRow, ...]
    risers: tuple[CountRow, ...]
    verbatims: tuple[Verbatim, ...]
    overdue: tuple[OverdueItem, ...]
    overdue_count: int


def weekly_counts(group_by: tuple[str, ...], weeks: list[Period]) -> list[dict]:
    """One GROUP BY over ``weeks`` (consecutive, oldest first): per group, ``w0`` … ``wN`` are
    the item counts of each week. Groups without any item in these weeks are absent."""
    bounds = [week_bounds(week) for week in weeks]
    per_week = {
        f"w{i}": Count("id", filter=Q(received_at__gte=start, received_at__lt=end))
        for i, (start, end) in enumerate(bounds)
    }
    return list(
        Feedback.objects.filter(received_at__gte=bounds[0][0], received_at__lt=bounds[-1][1])
        .values(*group_by)
        .annotate(**per_week)
        .order_by()
    )


def _count_row(key: str | None, label: str, counts: list[int]) -> CountRow:
    history = tuple(counts[:-1])
    return CountRow(
        key=key,
        label=label,
        count=counts[-1],
        previous=history[-1],
        average=Decimal(sum(history)) / AVERAGE_WEEKS,
        history=history,
    )


def voice_of_customer(
    week: Period, *, today: dt.date | None = None, verbatims: int = VERBATIMS
) -> VoiceOfCustomer:
    """Counts by channel and by category for ``week`` against the previous week and the
    average of the four weeks before it, the categories that rose most above that average, the
    week's verbatims (worst ratings first, unrated last, newest first among equals) and the
    items overdue on ``today`` (default: today). Five queries whatever the volume."""
    weeks = week.last(AVERAGE_WEEKS + 1)
    n = len(weeks)

    channel_counts = {
        row["channel"]: [row[f"w{i}"] for i in range(n)]
        for row in weekly_counts(("channel",), weeks)
    }
    by_channel = tuple(
        _count_row(value, str(label), channel_counts.get(value, [0] * n))
        for value, label in Channel.choices
    )
    totals = [sum(row[i] for row in channel_counts.values()) for i in range(n)]
    total = _count_row(None, _("All channels"), totals)

    categories = []
    for row in weekly_counts(("category__code", "category__name"), weeks):
        code = row["category__code"]
        label = _(row["category__name"]) if code else _("Uncategorised")
        categories.append(_count_row(code, label, [row[f"w{i}"] for i in range(n)]))
    by_category = tuple(sorted(categories, key=lambda r: (-r.count, -r.average, r.key or "~")))
    risers = tuple(
        sorted(
            (r for r in by_category if r.key and r.change_vs_average > 0),
            key=lambda r: (-r.change_vs_average, -r.count, r.key),
        )[:RISERS]
    )

    start, end = week_bounds(week)
    said = (
        Feedback.objects.filter(received_at__gte=start, received_at__lt=end)
        .exclude(text="")
        .select_related("category", "department")
        .order_by(F("rating").asc(nulls_last=True), "-received_at", "-id")[:verbatims]
    )
    verbatim_rows = tuple(
        Verbatim(
            id=item.pk,
            received_at=item.received_at,
            channel=item.channel,
            rating=item.rating,
            text=item.text,
            category=item.category.code if item.category else None,
            department=item.department.code if item.department else None,
        )
        for item in said
    )

    today = today or timezone.localdate()
    overdue_items = tuple(
        OverdueItem(
            id=item.pk,
            received_at=item.received_at,
            due_date=item.due_date,
            days_overdue=(today - item.due_date).days,
            status=item.status,
            severity=item.severity,
            category=item.category.code if item.category else None,
            department=item.department.code if item.department else None,
            owner=item.owner.full_name if item.owner else None,
            text=item.text[:200],
        )
        for item in feedback_overdue(today)[:OVERDUE_SHOWN]
    )
    return VoiceOfCustomer(
        week=week.key,
        previous_week=weeks[-2].key,
        average_weeks=tuple(w.key for w in weeks[:-1]),
        total=total,
        by_channel=by_channel,
        by_category=by_category,
        risers=risers,
        verbatims=verbatim_rows,
        overdue=overdue_items,
        overdue_count=Feedback.objects.filter(overdue_q(today)).count(),
    )


@dataclass(frozen=True)
class CategoryVolume:
    """Items per week of one category (``key`` None: uncategorised), oldest week first."""

    key: str | None
    label: str
    counts: tuple[int, ...]


@dataclass(frozen=True)
class WeeklyVolume:
    weeks: tuple[str, ...]
    categories: tuple[CategoryVolume, ...]  # biggest total first

    @property
    def totals(self) -> tuple[int, ...]:
        return tuple(sum(c.counts[i] for c in self.categories) for i in range(len(self.weeks)))


def volume_by_category(last_week: Period, weeks: int = CHART_WEEKS) -> WeeklyVolume:
    """Items per category and week over the ``weeks`` weeks ending with ``last_week``: one
    query."""
    periods = last_week.last(weeks)
    rows = weekly_counts(("category__code", "category__name"), periods)
    categories = [
        CategoryVolume(
            key=row["category__code"],
            label=_(row["category__name"]) if row["category__code"] else _("Uncategorised"),
            counts=tuple(row[f"w{i}"] for i in range(weeks)),
        )
        for row in rows
    ]
    categories.sort(key=lambda c: (-sum(c.counts), c.key or "~"))
    return WeeklyVolume(weeks=tuple(p.key for p in periods), categories=tuple(categories))
