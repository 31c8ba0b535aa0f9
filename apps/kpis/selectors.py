"""Reading KPI values for any scope and period (SPEC §4), a whole scorecard at a time.

:class:`ResultBook` loads every result a question needs in one query and answers each cell in
memory, so a scorecard of many KPIs × periods costs the same few queries as a single value.

The value of a KPI for a scope and period:

1. ``explicit`` — a result for exactly that period;
2. ``rolled_up`` — otherwise the KPI's aggregation over the next finer periods inside it (year →
   quarters → months → weeks, a week counted in the month of its Thursday), each of which is in
   turn explicit or rolled up. Ratio KPIs roll up as Σ numerators / Σ denominators; medians are
   never rolled up;
3. ``children`` — otherwise, for a ``ratio`` or ``sum`` KPI of a department with sub-departments
   (or of the company, whose children are the top-level departments), the same aggregation over
   the children's values;
4. ``none`` — nothing covers the period.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache

from django.db.models import F, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from apps.departments.roles import employees_visible_to
from apps.departments.selectors import department_descendant_ids, department_parent_map
from cxoffice import trees

from . import calculations
from .calculations import Point
from .models import KPI, RATIO_SCALE, Aggregation, KPIResult, Scope
from .periods import RANK, Period, PeriodType

EXPLICIT, ROLLED_UP, CHILDREN, NONE = "explicit", "rolled_up", "children", "none"
FINER = {PeriodType.YEAR: PeriodType.QUARTER, PeriodType.QUARTER: PeriodType.MONTH,
         PeriodType.MONTH: PeriodType.WEEK}  # fmt: skip


@dataclass(frozen=True)
class Holder:
    """Whose value: the company, a department (by id) or an employee (by id)."""

    scope: str
    id: int | None = None

    @classmethod
    def company(cls) -> Holder:
        return cls(Scope.COMPANY, None)


@dataclass(frozen=True)
class KPIValue:
    value: Decimal | None
    numerator: Decimal | None
    denominator: Decimal | None
    sample_size: int | None
    basis: str
    periods: int = 0  # how many explicit results stand behind the value

    @classmethod
    def from_point(cls, point: Point | None, basis: str) -> KPIValue:
        if point is None:
            return NO_VALUE
        return cls(
            point.value, point.numerator, point.denominator, point.sample_size, basis, point.leaves
        )


NO_VALUE = KPIValue(None, None, None, None, NONE, 0)


@lru_cache(maxsize=4096)
def _sub_periods(period: Period) -> tuple[Period, ...]:
    return tuple(period.children(FINER[period.type])) if period.type in FINER else ()


class ResultBook:
    """Results loaded once; values for any (KPI, holder, period) inside the loaded window."""

    def __init__(
        self,
        *,
        kpis: Iterable[KPI],
        rows: Iterable[tuple],
        department_parents: dict[int, int | None],
    ) -> None:
        self.kpis = {kpi.pk: kpi for kpi in kpis}
        self._explicit: dict[tuple, Point] = {}
        # (KPI, holder) pairs with any result of their own: the others skip the walk over periods.
        self._has_own: set[tuple[int, Holder]] = set()
        for kpi_id, scope, department_id, employee_id, period, value, num, den, n in rows:
            holder = Holder(scope, department_id if scope == Scope.DEPARTMENT else employee_id)
            self._explicit[(kpi_id, holder, period)] = Point(value, num, den, n)
            self._has_own.add((kpi_id, holder))
        self._children = trees.children_map(department_parents)
        self._memo: dict[tuple, tuple[Point | None, str]] = {}

    def digest(self) -> list[tuple]:
        """Every explicit result loaded, in a stable order (for input fingerprints)."""
        return sorted(
            (kpi_id, holder.scope, holder.id or 0, period, str(p.value), str(p.numerator),
             str(p.denominator), p.sample_size or 0)
            for (kpi_id, holder, period), p in self._explicit.items()
        )  # fmt: skip

    def value(self, kpi: KPI | int, holder: Holder, period: Period) -> KPIValue:
        kpi_id = kpi if isinstance(kpi, int) else kpi.pk
        point, basis = self._point(self.kpis[kpi_id], holder, period)
        return KPIValue.from_point(point, basis)

    def series(self, kpi: KPI | int, holder: Holder, periods: Sequence[Period]) -> list[KPIValue]:
        return [self.value(kpi, holder, period) for period in periods]

    # -- the rules ---------------------------------------------------------------------------

    def _point(self, kpi: KPI, holder: Holder, period: Period) -> tuple[Point | None, str]:
        key = (kpi.pk, holder, period)
        if key not in self._memo:
            self._memo[key] = self._compute(kpi, holder, period)
        return self._memo[key]

    def _compute(self, kpi: KPI, holder: Holder, period: Period) -> tuple[Point | None, str]:
        point = self._own(kpi, holder, period)
        if point is not None:
            explicit = (kpi.pk, holder, period.key) in self._explicit
            return point, EXPLICIT if explicit else ROLLED_UP
        if (
            kpi.aggregation in (Aggregation.RATIO, Aggregation.SUM)
            and holder.scope != Scope.EMPLOYEE
        ):
            child_ids = self._children.get(None if holder.scope == Scope.COMPANY else holder.id, [])
            points = [
                p
                for p, _basis in (
                    self._point(kpi, Holder(Scope.DEPARTMENT, child), period) for child in child_ids
                )
                if p is not None
            ]
            combined = calculations.combine(
                kpi.aggregation, points, scale=RATIO_SCALE.get(kpi.unit, 1)
            )
            if combined is not None:
                return combined, CHILDREN
        return None, NONE

    def _own(self, kpi: KPI, holder: Holder, period: Period) -> Point | None:
        """The holder's own value: explicit, or rolled up over finer periods (memoised)."""
        if (kpi.pk, holder) not in self._has_own:
            return None
        key = ("own", kpi.pk, holder, period)
        if key in self._memo:
            return self._memo[key][0]
        point = self._explicit.get((kpi.pk, holder, period.key))
        if point is None and kpi.aggregation != Aggregation.MEDIAN:
            points = [self._own(kpi, holder, sub) for sub in _sub_periods(period)]
            point = calculations.combine(
                kpi.aggregation,
                [p for p in points if p is not None],
                scale=RATIO_SCALE.get(kpi.unit, 1),
            )
        self._memo[key] = (point, "")
        return point


def kpi_list() -> QuerySet[KPI]:
    return KPI.objects.select_related("department", "parent")


def kpi_result_list() -> QuerySet[KPIResult]:
    return KPIResult.objects.select_related("kpi", "department", "employee", "entered_by")


def individual_numbers_visible(queryset: QuerySet, user) -> QuerySet:
    """``queryset`` (KPI results or targets) without the employee-scope rows of people whose
    individual numbers ``user`` may not read (``roles.employees_visible_to``)."""
    visible = employees_visible_to(user)
    if visible is None:
        return queryset
    return queryset.filter(~Q(scope=Scope.EMPLOYEE) | Q(employee_id__in=visible))


def holder_departments(holder: Holder, parent_map: dict[int, int | None]) -> set[int]:
    """Departments whose results can contribute to the holder's values (itself and below)."""
    if holder.scope == Scope.COMPANY:
        return set(parent_map)
    if holder.scope == Scope.DEPARTMENT:
        return department_descendant_ids({holder.id}, parent_map=parent_map)
    return set()


def result_book(
    *, kpis: Iterable[KPI], holders: Iterable[Holder], periods: Iterable[Period]
) -> ResultBook:
    """Load, in two queries, every result that the values of ``kpis`` × ``holders`` ×
    ``periods`` can depend on: explicit results of those periods and of every finer period
    inside them, for each holder and (for department roll-ups) every department below it."""
    kpis = list(kpis)
    periods = list(periods)
    parent_map = department_parent_map()
    if not kpis or not periods:
        return ResultBook(kpis=kpis, rows=[], department_parents=parent_map)
    first = min(p.start for p in periods)
    last = max(p.end for p in periods)
    coarsest = max(RANK[p.type] for p in periods)
    types = [t for t, rank in RANK.items() if rank <= coarsest]
    who = Q()
    departments: set[int] = set()
    employees: set[int] = set()
    every_department = False
    for holder in holders:
        if holder.scope == Scope.COMPANY:
            # The company rolls up from every department: no need to list them.
            who |= Q(scope=Scope.COMPANY)
            every_department = True
        elif holder.scope == Scope.EMPLOYEE:
            employees.add(holder.id)
        else:
            departments |= holder_departments(holder, parent_map)
    if every_department:
        who |= Q(scope=Scope.DEPARTMENT)
    elif departments:
        who |= Q(scope=Scope.DEPARTMENT, department_id__in=departments)
    if employees:
        who |= Q(scope=Scope.EMPLOYEE, employee_id__in=employees)
    rows = KPIResult.objects.filter(
        who,
        kpi__in=kpis,
        period_anchor__gte=first,
        period_anchor__lte=last,
        period_type__in=types,
    ).values_list(
        "kpi_id", "scope", "department_id", "employee_id", "period", "value", "numerator",
        "denominator", "sample_size",
    )  # fmt: skip
    return ResultBook(kpis=kpis, rows=rows, department_parents=parent_map)


def kpi_value_for(kpi: KPI, holder: Holder, period: Period) -> KPIValue:
    """The value of one KPI for one scope and period (see the module docstring)."""
    return result_book(kpis=[kpi], holders=[holder], periods=[period]).value(kpi, holder, period)


def kpi_series(
    kpi: KPI, holder: Holder, periods: Sequence[Period]
) -> list[tuple[Period, KPIValue]]:
    book = result_book(kpis=[kpi], holders=[holder], periods=periods)
    return list(zip(periods, book.series(kpi, holder, periods), strict=True))


@dataclass(frozen=True)
class LatestResult:
    """The most recent explicit result of a KPI for a holder: its period and value."""

    period: str
    period_end: date
    value: Decimal


def kpi_latest_results(
    pairs: Iterable[tuple[int, Holder]], *, before: date | None = None
) -> dict[tuple[int, Holder], LatestResult]:
    """The latest explicit result of each (KPI id, holder) pair — the one whose period ends last
    (the shorter period on a tie) — among periods ending before ``before`` when given.

    One query whatever the number of pairs (a window function ranks each pair's results); pairs
    without any result are absent from the answer."""
    pairs = set(pairs)
    if not pairs:
        return {}
    who = Q()
    for kpi_id, holder in pairs:
        condition = Q(kpi_id=kpi_id, scope=holder.scope)
        if holder.scope == Scope.DEPARTMENT:
            condition &= Q(department_id=holder.id)
        elif holder.scope == Scope.EMPLOYEE:
            condition &= Q(employee_id=holder.id)
        who |= condition
    results = KPIResult.objects.filter(who)
    if before is not None:
        results = results.filter(period_end__lt=before)
    ranked = results.annotate(
        rank=Window(
            RowNumber(),
            partition_by=[F("kpi_id"), F("scope"), F("department_id"), F("employee_id")],
            order_by=[F("period_end").desc(), F("period_start").desc()],
        )
    ).filter(rank=1)
    latest = {}
    for kpi_id, scope, department_id, employee_id, period, end, value in ranked.values_list(
        "kpi_id", "scope", "department_id", "employee_id", "period", "period_end", "value"
    ):
        holder = Holder(scope, department_id if scope == Scope.DEPARTMENT else employee_id)
        if (kpi_id, holder) in pairs:
            latest[(kpi_id, holder)] = LatestResult(period, end, value)
    return latest
