"""Which target applies, and the scorecard (SPEC §6), in a fixed number of queries.

Which target applies to a KPI for a holder and a period — the most specific wins:

1. by holder: the employee's own target, then their department's, then each department above
   it (nearest first), then the company's; for a department: its own, then its ancestors', then
   the company's;
2. then by validity: a target for exactly that period; a target for a period containing it
   (the narrowest first); a date range containing the whole period (the narrowest first); a
   target with no validity limits;
3. ``sum`` KPIs (counts, amounts) scale with the length of the period, so their targets apply to
   exactly the period named — or, for date ranges and open targets, to periods of the KPI's own
   frequency only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from django.db.models import QuerySet

from apps.departments.selectors import department_parent_map
from apps.kpis.models import KPI, Aggregation, KPIResult, Scope
from apps.kpis.periods import RANK, Period
from apps.kpis.selectors import Holder, KPIValue, result_book
from cxoffice import trees

from . import calculations
from .models import Target

TREND_LENGTH = 8


@lru_cache(maxsize=1024)
def _period(key: str) -> Period:
    return Period.parse(key)


def target_list() -> QuerySet[Target]:
    return Target.objects.select_related("kpi", "department", "employee")


class TargetBook:
    def __init__(
        self,
        targets: Iterable[Target],
        *,
        department_parents: dict[int, int | None],
        employee_departments: dict[int, int | None] | None = None,
    ) -> None:
        self.rows = list(targets)
        self._by_kpi: dict[int, list[Target]] = {}
        # Employees with a target of their own, per KPI: everyone else gets their department's.
        self._own: dict[int, set[int]] = {}
        for target in self.rows:
            self._by_kpi.setdefault(target.kpi_id, []).append(target)
            if target.scope == Scope.EMPLOYEE:
                self._own.setdefault(target.kpi_id, set()).add(target.employee_id)
        self._parents = department_parents
        self._employee_departments = employee_departments or {}
        self._memo: dict[tuple, Target | None] = {}

    def chain(self, holder: Holder) -> list[tuple[str, int | None]]:
        """The holders whose targets count, most specific first."""
        chain: list[tuple[str, int | None]] = []
        department = holder.id if holder.scope == Scope.DEPARTMENT else None
        if holder.scope == Scope.EMPLOYEE:
            chain.append((Scope.EMPLOYEE, holder.id))
            department = self._employee_departments.get(holder.id)
        if department is not None:
            chain.append((Scope.DEPARTMENT, department))
            chain.extend((Scope.DEPARTMENT, d) for d in trees.ancestors(self._parents, department))
        chain.append((Scope.COMPANY, None))
        return chain

    @staticmethod
    def _validity_rank(target: Target, kpi: KPI, period: Period) -> tuple[int, int] | None:
        """How closely the target's validity fits the period (lower is closer); None: not at all."""
        summed = kpi.aggregation == Aggregation.SUM
        if target.period:
            own = _period(target.period)
            if own == period:
                return (0, 0)
            if not summed and own.contains(period):
                return (1, RANK[own.type])
            return None
        if summed and period.type != kpi.frequency:
            return None
        if target.valid_from is None and target.valid_to is None:
            return (3, 0)
        if (target.valid_from is None or target.valid_from <= period.start) and (
            target.valid_to is None or target.valid_to >= period.end
        ):
            span = (
                (target.valid_to - target.valid_from).days
                if target.valid_from and target.valid_to
                else 10**6
            )
            return (2, span)
        return None

    def target_for(self, kpi: KPI, holder: Holder, period: Period) -> Target | None:
        candidates = self._by_kpi.get(kpi.pk, [])
        if not candidates:
            return None
        if holder.scope == Scope.EMPLOYEE and holder.id not in self._own.get(kpi.pk, ()):
            # No target of their own: their department's (or the company's) — the same for
            # everyone of a department, so looked up once (a run asks for each employee).
            department = self._employee_departments.get(holder.id)
            holder = Holder(Scope.DEPARTMENT, department) if department else Holder.company()
        key = (kpi.pk, holder, period)
        if key not in self._memo:
            self._memo[key] = self._find(kpi, holder, period, candidates)
        return self._memo[key]

    def _find(self, kpi: KPI, holder: Holder, period: Period, candidates) -> Target | None:
        for scope, holder_id in self.chain(holder):
            best: tuple | None = None
            for target in candidates:
                target_holder = (
                    target.department_id if scope == Scope.DEPARTMENT else target.employee_id
                )
                if target.scope != scope or (scope != Scope.COMPANY and target_holder != holder_id):
                    continue
                rank = self._validity_rank(target, kpi, period)
                if rank is not None and (best is None or (rank, -target.pk) < best[0]):
                    best = ((rank, -target.pk), target)
            if best is not None:
                return best[1]
        return None


def target_book(
    *,
    kpis: Iterable[KPI],
    department_parents: dict | None = None,
    employee_departments: dict[int, int | None] | None = None,
) -> TargetBook:
    """Every target of ``kpis`` in one query, in a stable order (``book.rows``: a company has
    few targets per KPI); ``employee_departments`` places employees for their department's."""
    parents = department_parent_map() if department_parents is None else department_parents
    return TargetBook(
        Target.objects.filter(kpi__in=list(kpis)).order_by("pk"),
        department_parents=parents,
        employee_departments=employee_departments,
    )


# --- scorecards ----------------------------------------------------------------------------------


@dataclass
class ScorecardRow:
    kpi: KPI
    value: KPIValue
    target: Target | None
    status: str
    gap_to_target: Decimal | None
    gap_to_benchmark: Decimal | None
    trend: list[tuple[Period, Decimal | None]]
    children: list[ScorecardRow] = field(default_factory=list)

    @property
    def colour(self) -> str:
        return calculations.STATUS_COLOURS[self.status]


@dataclass
class Scorecard:
    period: Period
    scope: str
    department: object | None
    rows: list[ScorecardRow]


def scorecard_kpis(department_id: int | None, parent_map: dict[int, int | None]) -> list[KPI]:
    """Active KPIs of a scorecard: all of them for the company; for a department, those owned by
    it or a department below it, and those of a department above it that it (or one below it)
    has results for — a sub-department is measured on its parent's KPIs — with the children
    that explain them."""
    kpis = list(KPI.objects.filter(is_active=True).order_by("code"))
    if department_id is None:
        return kpis
    owned_by = trees.descendants(parent_map, [department_id])
    owned = {k.pk for k in kpis if k.department_id in owned_by}
    above = set(trees.ancestors(parent_map, department_id))
    inherited = [k.pk for k in kpis if k.department_id in above]
    if inherited:
        owned |= set(
            KPIResult.objects.filter(
                kpi_id__in=inherited, scope=Scope.DEPARTMENT, department_id__in=owned_by
            )
            .values_list("kpi_id", flat=True)
            .distinct()
        )
    kpi_parents = {k.pk: k.parent_id for k in kpis}
    keep = trees.descendants(kpi_parents, owned)
    return [k for k in kpis if k.pk in keep]


def scorecard(*, period: Period, department=None) -> Scorecard:
    """Every KPI's actual, target band, status, gaps and trend of the last 8 periods (ending with
    ``period``) for the company or a department. Five queries (six for a sub-department),
    whatever the number of KPIs, departments and periods."""
    parents = department_parent_map()
    holder = Holder(Scope.DEPARTMENT, department.pk) if department else Holder.company()
    kpis = scorecard_kpis(department.pk if department else None, parents)
    trend_periods = period.last(TREND_LENGTH)
    values = result_book(kpis=kpis, holders=[holder], periods=trend_periods)
    targets = target_book(kpis=kpis, department_parents=parents)

    def row(kpi: KPI) -> ScorecardRow:
        value = values.value(kpi, holder, period)
        target = targets.target_for(kpi, holder, period)
        higher = kpi.higher_is_better
        status = calculations.attainment_status(
            value.value,
            threshold=target.threshold if target else None,
            target=target.target if target else None,
            stretch=target.stretch if target else None,
            higher_is_better=higher,
        )
        return ScorecardRow(
            kpi=kpi,
            value=value,
            target=target,
            status=status,
            gap_to_target=calculations.gap(
                value.value, target.target if target else None, higher_is_better=higher
            ),
            gap_to_benchmark=calculations.gap(
                value.value, target.benchmark if target else None, higher_is_better=higher
            ),
            trend=[(p, values.value(kpi, holder, p).value) for p in trend_periods],
        )

    in_card = {k.pk for k in kpis}
    by_parent: dict[int | None, list[KPI]] = {}
    for kpi in kpis:
        parent = kpi.parent_id if kpi.parent_id in in_card else None
        by_parent.setdefault(parent, []).append(kpi)

    def build(kpi: KPI) -> ScorecardRow:
        built = row(kpi)
        built.children = [build(child) for child in by_parent.get(kpi.pk, [])]
        return built

    return Scorecard(
        period=period,
        scope=holder.scope,
        department=department,
        rows=[build(kpi) for kpi in by_parent.get(None, [])],
    )
