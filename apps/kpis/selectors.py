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
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache

from django.db.models import Max, Q, QuerySet

from apps.departments.roles import employees_visible_to
from apps.departments.selectors import department_descendant_ids, department_parent_map
from cxoffice import trees

from . import calculations
from .calculations import Point
from .models import KPI, RATIO_SCALE, Aggregation, KPIResult, Scope, Source, min_sample
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
    computed: bool = False  # every result behind it was computed from records

    @classmethod
    def from_point(cls, point: Point | None, basis: str) -> KPIValue:
        if point is None:
            return NO_VALUE
        return cls(
            point.value, point.numerator, point.denominator, point.sample_size, basis,
            point.leaves, point.computed,
        )  # fmt: skip

    @property
    def low_sample(self) -> bool:
        """Computed from fewer records than the minimum sample (see
        :func:`apps.kpis.models.min_sample`); entered and imported numbers never are."""
        return self.computed and self.sample_size is not None and self.sample_size < min_sample()


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
        for kpi_id, scope, department_id, employee_id, period, value, num, den, n, source in rows:
            holder = Holder(scope, department_id if scope == Scope.DEPARTMENT else employee_id)
            computed = source == Source.COMPUTED
            self._explicit[(kpi_id, holder, period)] = Point(value, num, den, n, 1, computed)
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

    def computed_keys(self) -> list[tuple]:
        """The explicit results computed from records, in a stable order (for fingerprints of
        what depends on a number's source, such as the low-sample rule)."""
        return sorted(
            (kpi_id, holder.scope, holder.id or 0, period)
            for (kpi_id, holder, period), p in self._explicit.items()
            if p.computed
        )

    def value(self, kpi: KPI | int, holder: Holder, period: Period) -> KPIValue:
        kpi_id = kpi if isinstance(kpi, int) else kpi.pk
        explicit = self._explicit.get((kpi_id, holder, period.key))
        if explicit is not None:  # the common case (a run asks for every employee): at once
            return KPIValue.from_point(explicit, EXPLICIT)
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
    *,
    kpis: Iterable[KPI],
    holders: Iterable[Holder],
    periods: Iterable[Period],
    parent_map: dict[int, int | None] | None = None,
) -> ResultBook:
    """Load, in two queries (one when given the department tree's ``parent_map``), every result
    that the values of ``kpis`` × ``holders`` × ``periods`` can depend on: explicit results of
    those periods and of every finer period inside them, for each holder and (for department
    roll-ups) every department below it."""
    kpis = list(kpis)
    periods = list(periods)
    parent_map = department_parent_map() if parent_map is None else parent_map
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
        "denominator", "sample_size", "source",
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
class PeriodValue:
    """A value read for a period (see :class:`KPIValue` for how it was obtained)."""

    period: Period
    value: KPIValue


# How many periods before the latest one with a contributing result are tried when that one
# has no value (a ratio result entered without numerator and denominator does not roll up).
LATEST_LOOK_BACK = 8


def _contributors(kpi: KPI, holder: Holder, parent_map: dict[int, int | None]) -> list[Holder]:
    """Whose explicit results can make up the holder's value: its own, and for ``ratio`` and
    ``sum`` KPIs of a department or the company those of every department below it."""
    if (
        kpi.aggregation not in (Aggregation.RATIO, Aggregation.SUM)
        or holder.scope == Scope.EMPLOYEE
    ):
        return [holder]
    below = holder_departments(holder, parent_map) - {holder.id}
    return [holder, *(Holder(Scope.DEPARTMENT, department) for department in sorted(below))]


def kpi_latest_values(
    pairs: Iterable[tuple[KPI, Holder]], *, before: date | None = None
) -> dict[tuple[int, Holder], PeriodValue]:
    """The latest value of each (KPI, holder) pair at the KPI's frequency, read as every value
    is read (module docstring: explicit, rolled up from finer periods, or from sub-departments),
    with its period and basis; only periods ending before ``before`` when given.

    The latest period is the one (at the KPI's frequency) holding the latest explicit result
    that can contribute — the holder's own, or a department's below it — of the frequency or a
    finer one (for medians: of the frequency only, as they never roll up); should it have no
    value, up to :data:`LATEST_LOOK_BACK` − 1 earlier periods are tried. Three queries whatever
    the number of pairs; pairs without a value are absent from the answer."""
    asked = {(kpi.pk, holder): kpi for kpi, holder in pairs}
    if not asked:
        return {}
    parent_map = department_parent_map()
    contributors = {key: _contributors(kpi, key[1], parent_map) for key, kpi in asked.items()}
    who = Q()
    departments: set[int] = set()
    employees: set[int] = set()
    for holder in {h for each in contributors.values() for h in each}:
        if holder.scope == Scope.COMPANY:
            who |= Q(scope=Scope.COMPANY)
        elif holder.scope == Scope.DEPARTMENT:
            departments.add(holder.id)
        else:
            employees.add(holder.id)
    if departments:
        who |= Q(scope=Scope.DEPARTMENT, department_id__in=departments)
    if employees:
        who |= Q(scope=Scope.EMPLOYEE, employee_id__in=employees)
    results = KPIResult.objects.filter(who, kpi_id__in={kpi_id for kpi_id, _ in asked})
    if before is not None:
        results = results.filter(period_end__lt=before)
    latest: dict[tuple, date] = {}  # (KPI id, holder, period type) → latest anchor
    for kpi_id, scope, department_id, employee_id, period_type, anchor in (
        results.values_list("kpi_id", "scope", "department_id", "employee_id", "period_type")
        .annotate(latest=Max("period_anchor"))
        .values_list("kpi_id", "scope", "department_id", "employee_id", "period_type", "latest")
        .order_by()
    ):
        holder = Holder(scope, department_id if scope == Scope.DEPARTMENT else employee_id)
        key = (kpi_id, holder, period_type)
        latest[key] = max(anchor, latest.get(key, anchor))
    candidates: dict[tuple[int, Holder], list[Period]] = {}
    for (kpi_id, holder), kpi in asked.items():
        frequency = PeriodType(kpi.frequency)
        types = [frequency] if kpi.aggregation == Aggregation.MEDIAN else [
            t for t, rank in RANK.items() if rank <= RANK[frequency]
        ]  # fmt: skip
        anchors = [
            latest[(kpi_id, contributor, t)]
            for contributor in contributors[(kpi_id, holder)]
            for t in types
            if (kpi_id, contributor, t) in latest
        ]
        if not anchors:
            continue
        period = Period.for_date(max(anchors), frequency)
        if before is not None:
            last_complete = Period.for_date(before - timedelta(days=1), frequency)
            if last_complete.end >= before:
                last_complete = last_complete.previous()
            period = min(period, last_complete)
        candidates[(kpi_id, holder)] = period.last(LATEST_LOOK_BACK)
    if not candidates:
        return {}
    book = result_book(
        kpis=[asked[key] for key in candidates],
        holders={holder for _kpi_id, holder in candidates},
        periods={period for periods in candidates.values() for period in periods},
        parent_map=parent_map,
    )
    answer = {}
    for (kpi_id, holder), periods in candidates.items():
        for period in reversed(periods):
            value = book.value(kpi_id, holder, period)
            if value.basis != NONE:
                answer[(kpi_id, holder)] = PeriodValue(period, value)
                break
    return answer
