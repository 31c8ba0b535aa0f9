"""Everything a bonus run needs, loaded in a fixed number of queries (Saleor's pattern).

:func:`run_inputs` reads the plan, its components and gates, the enrollments overlapping the
period with their employees and assignments, every KPI result the components and gates can
depend on, and the targets — eight queries, whatever the number of employees — and hashes all
of it into the run's input fingerprint: a change to any of it afterwards makes the run stale.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.departments.models import Assignment, Department
from apps.kpis.models import KPI, Scope, min_sample
from apps.kpis.periods import Period
from apps.kpis.selectors import Holder, KPIValue, ResultBook, kpi_value_for, result_book
from apps.records import evidence as records_evidence
from apps.targets.selectors import TargetBook, target_book
from cxoffice.errors import ApplicationError
from cxoffice.numbers import plain

from . import calculations as calc
from .models import Component, Enrollment, Gate, Line, LowSample, Plan, Run, RunStatus


class EmployeeRow(NamedTuple):
    employee_number: str
    full_name: str
    hire_date: date | None
    leave_date: date | None


class EnrollmentRow(NamedTuple):
    pk: int
    employee_id: int
    target_amount: Decimal
    start_date: date
    end_date: date | None
    employee: EmployeeRow


@dataclass
class RunInputs:
    plan: Plan
    period: Period
    components: list[Component]
    gates: list[Gate]
    enrollments: dict[int, list[EnrollmentRow]]  # employee id → enrollments overlapping the period
    employees: dict[int, EmployeeRow]
    assignments: dict[int, list[tuple[str, date, date | None]]]  # employee id → (dept code, …)
    departments: dict[str, Department]  # by code
    values: ResultBook
    targets: TargetBook
    fingerprint: str


def _enrolled(plan: Plan, period: Period) -> QuerySet[Enrollment]:
    return Enrollment.objects.filter(plan=plan, start_date__lte=period.end).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=period.start)
    )


def run_chunks(plan: Plan, period: Period, size: int) -> list[tuple[int, int, int]]:
    """The enrolled employees in chunks of at most ``size``: (first id, last id, employees),
    ids inclusive and ascending (one query). A run computes and writes one chunk at a time, so
    its memory does not grow with the front line."""
    ids = list(
        dict.fromkeys(
            _enrolled(plan, period).order_by("employee_id").values_list("employee_id", flat=True)
        )
    )
    return [
        (ids[start], ids[min(start + size, len(ids)) - 1], min(size, len(ids) - start))
        for start in range(0, len(ids), size)
    ]


def combined_fingerprint(fingerprints: list[str]) -> str:
    """A run's fingerprint from its chunks' (in order): one chunk's is the run's."""
    if len(fingerprints) == 1:
        return fingerprints[0]
    return hashlib.sha256(":".join(fingerprints).encode()).hexdigest()


def run_inputs(plan: Plan, period: Period, employees: tuple[int, int] | None = None) -> RunInputs:
    """Every input of the run's lines — of the employees whose ids are in the inclusive range
    ``employees`` (a chunk of :func:`run_chunks`), or of everyone."""
    components = list(Component.objects.filter(plan=plan).select_related("kpi").order_by("id"))
    gates = list(Gate.objects.filter(plan=plan).select_related("kpi").order_by("id"))
    enrolled = _enrolled(plan, period)
    if employees is not None:
        enrolled = enrolled.filter(employee_id__gte=employees[0], employee_id__lte=employees[1])
    # Plain rows rather than model instances: a run reads one per enrolled employee.
    enrollment_rows = [
        EnrollmentRow(*row[:5], EmployeeRow(*row[5:]))
        for row in enrolled.order_by("employee_id", "start_date").values_list(
            "pk",
            "employee_id",
            "target_amount",
            "start_date",
            "end_date",
            "employee__employee_number",
            "employee__full_name",
            "employee__hire_date",
            "employee__leave_date",
        )
    ]
    enrollments: dict[int, list[EnrollmentRow]] = defaultdict(list)
    employees: dict[int, EmployeeRow] = {}
    for enrollment in enrollment_rows:
        enrollments[enrollment.employee_id].append(enrollment)
        employees[enrollment.employee_id] = enrollment.employee
    departments = {d.code: d for d in Department.objects.all()}
    by_id = {d.pk: d for d in departments.values()}
    assignments: dict[int, list[tuple[str, date, date | None]]] = defaultdict(list)
    for employee_id, department_id, start, end in (
        Assignment.objects.filter(
            employee_id__in=enrolled.values("employee_id"), start_date__lte=period.end
        )
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=period.start))
        .order_by("employee_id", "start_date")
        .values_list("employee_id", "department_id", "start_date", "end_date")
    ):
        assignments[employee_id].append((by_id[department_id].code, start, end))

    kpis = {c.kpi.pk: c.kpi for c in components} | {g.kpi.pk: g.kpi for g in gates}
    holders = [Holder.company()]  # with every department, for department components
    if any(c.scope == Scope.EMPLOYEE for c in components) or any(
        g.scope == Scope.EMPLOYEE for g in gates
    ):
        holders += [Holder(Scope.EMPLOYEE, employee_id) for employee_id in employees]
    values = result_book(kpis=kpis.values(), holders=holders, periods=[period])
    parents = {d.pk: d.parent_id for d in departments.values()}
    last_department = {
        employee_id: departments[rows[-1][0]].pk for employee_id, rows in assignments.items()
    }
    targets = target_book(
        kpis=kpis.values(), department_parents=parents, employee_departments=last_department
    )
    target_rows = targets.rows
    fingerprint = _fingerprint(
        plan, components, gates, enrollment_rows, assignments, values, target_rows
    )
    return RunInputs(
        plan=plan,
        period=period,
        components=components,
        gates=gates,
        enrollments=dict(enrollments),
        employees=employees,
        assignments=dict(assignments),
        departments=departments,
        values=values,
        targets=targets,
        fingerprint=fingerprint,
    )


class Measures:
    """Which actual and band count for a component or a gate of one employee's line (SPEC §10
    step 2; §5 for a person's low sample), decided where the inputs are loaded — the run
    service only puts the pure inputs together. Shared answers (a department's actual and
    band, the company's gate) are built once and reused: they are immutable."""

    HUNDRED = Decimal(100)

    def __init__(self, inputs: RunInputs) -> None:
        self.inputs = inputs
        self.period = inputs.period
        self.company = Holder.company()
        self.departments = {
            code: Holder(Scope.DEPARTMENT, department.pk)
            for code, department in inputs.departments.items()
        }
        self._measured: dict[tuple, tuple] = {}  # (component, holder) → (actual, band, basis)
        self._bands: dict[tuple, calc.Band | None] = {}  # (component, target) → one object
        self._gates: dict[tuple, calc.GateInput] = {}  # (gate, holder) → its input

    def band(self, component: Component, holder: Holder) -> calc.Band | None:
        """The component's own levels if it overrides them, else the holder's target's."""
        if component.target is not None:
            key = (component.pk, None)
            if key not in self._bands:
                self._bands[key] = calc.Band(
                    component.threshold, component.target, component.stretch
                )
            return self._bands[key]
        target = self.inputs.targets.target_for(component.kpi, holder, self.period)
        key = (component.pk, target.pk if target else 0)
        if key not in self._bands:
            self._bands[key] = (
                calc.Band(target.threshold, target.target, target.stretch) if target else None
            )
        return self._bands[key]

    def _segment(self, component, holder: Holder | None, days: int, code: str | None):
        key = (component.pk, holder)
        if key not in self._measured:
            value = self.inputs.values.value(component.kpi, holder, self.period) if holder else None
            self._measured[key] = (
                value.value if value else None,
                self.band(component, holder) if holder else None,
                value.basis if value else "none",
            )
        actual, band, basis = self._measured[key]
        return calc.Segment(days=days, actual=actual, band=band, basis=basis, department=code)

    def segments(
        self, component: Component, employee_id: int, eligible: int, by_department: tuple
    ) -> tuple[calc.Segment, ...]:
        """The component's segments for the employee: the company's value for every eligible
        day; their departments' values, day-weighted (``by_department``: (code, days) …); or
        their own (see :meth:`own`)."""
        if component.scope == Scope.EMPLOYEE:
            return self.own(component, employee_id, eligible, by_department)
        if component.scope == Scope.DEPARTMENT:
            return tuple(
                self._segment(component, self.departments[code] if code else None, days, code)
                for code, days in by_department
            )
        return (self._segment(component, self.company, eligible, None),)

    def own(
        self, component: Component, employee_id: int, eligible: int, by_department: tuple
    ) -> tuple[calc.Segment, ...]:
        """The person's own value, unless it rests on fewer records than the minimum sample and
        the component says otherwise (SPEC §5): then their department's value for each
        department's days (against the person's own band), or nothing (the plan's missing-data
        policy applies)."""
        holder = Holder(Scope.EMPLOYEE, employee_id)
        value = self.inputs.values.value(component.kpi, holder, self.period)
        band = self.band(component, holder)
        if not value.low_sample:
            return (calc.Segment(eligible, value.value, band, value.basis),)
        if component.low_sample == LowSample.DEPARTMENT:
            values = self.inputs.values
            return tuple(
                calc.Segment(
                    days,
                    values.value(component.kpi, self.departments[code], self.period).value
                    if code
                    else None,
                    band,
                    calc.LOW_SAMPLE_DEPARTMENT,
                    department=code,
                )
                for code, days in by_department
            )
        if component.low_sample == LowSample.MISSING:
            return (calc.Segment(eligible, None, band, calc.LOW_SAMPLE_MISSING),)
        return (calc.Segment(eligible, value.value, band, calc.LOW_SAMPLE_OWN),)

    def gate(self, gate: Gate, employee_id: int, last_department: str | None) -> calc.GateInput:
        """A gate measured for the company, the department the employee was in last, or the
        employee."""
        if gate.scope == Scope.DEPARTMENT and last_department:
            holder = self.departments[last_department]
        elif gate.scope == Scope.EMPLOYEE:
            holder = Holder(Scope.EMPLOYEE, employee_id)
        else:
            holder = self.company
        key = (gate.pk, holder)
        if key not in self._gates:
            self._gates[key] = calc.GateInput(
                kpi_code=gate.kpi.code,
                minimum=gate.minimum,
                higher_is_better=gate.kpi.higher_is_better,
                actual=self.inputs.values.value(gate.kpi, holder, self.period).value,
                multiplier_when_missed=gate.multiplier / self.HUNDRED,
            )
        return self._gates[key]


def _fingerprint(plan, components, gates, enrollments, assignments, values, targets) -> str:
    """A hash of every input of the calculation, in a stable order."""
    document = {
        "plan": [plan.pk, plan.period_type, plan.currency, str(plan.cap_percent),
                 plan.missing_data_policy],
        "components": [[c.kpi_id, str(c.weight), c.scope, str(c.payout_at_threshold),
                        str(c.payout_at_stretch), str(c.threshold), str(c.target), str(c.stretch)]
                       for c in components],
        "gates": [[g.kpi_id, g.scope, str(g.minimum), str(g.multiplier)] for g in gates],
        "enrollments": [[e.pk, e.employee_id, str(e.target_amount), str(e.start_date),
                         str(e.end_date), str(e.employee.hire_date), str(e.employee.leave_date)]
                        for e in enrollments],
        "assignments": sorted([employee, *map(str, row)] for employee, rows in assignments.items()
                              for row in rows),
        "results": values.digest(),
        "targets": [[t.pk, t.kpi_id, t.scope, t.department_id, t.employee_id, t.period,
                     str(t.valid_from), str(t.valid_to), str(t.threshold), str(t.target),
                     str(t.stretch)] for t in targets],
    }  # fmt: skip
    if any(c.low_sample != LowSample.OWN for c in components):
        # The rule reads where a number came from and the minimum sample too (added only for
        # such plans, so that the fingerprints of every other run stay what they were).
        document["low_sample"] = {
            "components": [[c.pk, c.low_sample] for c in components],
            "minimum": min_sample(),
            "computed": values.computed_keys(),
        }
    encoded = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()


def run_list() -> QuerySet[Run]:
    return Run.objects.select_related("plan", "calculated_by", "approved_by")


def line_list() -> QuerySet[Line]:
    return Line.objects.select_related("run", "run__plan", "employee", "department")


def statement_lines(user) -> QuerySet[Line]:
    """The signed-in person's own bonus lines of approved and paid runs — nobody else's."""
    return line_list().filter(
        employee__user=user,
        run__is_simulation=False,
        run__status__in=[RunStatus.APPROVED, RunStatus.PAID],
    )


# --- the drill-down from a line's component to the records behind it (SPEC §5) ---------------
@dataclass(frozen=True)
class LineEvidence:
    line: Line
    kpi: KPI
    component: dict  # the line's stored component row
    own: KPIValue  # the person's own number for the run's period
    evidence: records_evidence.Evidence
    against: int  # records listed (those against; durations: every one)

    @property
    def summary(self) -> str:
        """The number in one sentence: "On-time rate 91.3 % = 1,204 of 1,319 deliveries;
        these 115 were late." (rates rounded to 1 decimal, hours to 2, for reading only)."""
        own, measure = self.own, self.evidence.measure
        if own.value is None:
            return _("No number of yours for %(kpi)s in %(period)s yet.") % {
                "kpi": self.kpi.name,
                "period": self.line.run.period,
            }
        shown = {
            "kpi": self.kpi.name,
            "value": plain(own.value.quantize(Decimal("0.1") if measure in RATES else HOURS)),
            "numerator": plain(own.numerator) if own.numerator is not None else "—",
            "denominator": plain(own.denominator) if own.denominator is not None else "—",
            "sample": own.sample_size if own.sample_size is not None else "—",
            "count": self.against,
        }
        return SENTENCES[measure] % shown


HOURS = Decimal("0.01")
RATES = ("late", "first_attempt", "stage", "fcr", "csat")
SENTENCES = {
    "late": gettext_lazy(
        "%(kpi)s %(value)s %% = %(numerator)s of %(denominator)s deliveries due; these "
        "%(count)s were late."
    ),
    "first_attempt": gettext_lazy(
        "%(kpi)s %(value)s %% = %(numerator)s of %(denominator)s deliveries at the first "
        "attempt; these %(count)s needed another."
    ),
    "stage": gettext_lazy(
        "%(kpi)s %(value)s %% = %(numerator)s of %(denominator)s orders due were late in your "
        "stage: these %(count)s."
    ),
    "fcr": gettext_lazy(
        "%(kpi)s %(value)s %% = %(numerator)s of %(denominator)s resolved tickets at the first "
        "contact; these %(count)s needed more."
    ),
    "csat": gettext_lazy(
        "%(kpi)s %(value)s %% = %(numerator)s of %(denominator)s answers satisfied; these "
        "%(count)s were not."
    ),
    "first_response": gettext_lazy(
        "%(kpi)s: median %(value)s hours over %(sample)s tickets; all %(count)s below, slowest "
        "first."
    ),
    "resolution": gettext_lazy(
        "%(kpi)s: median %(value)s hours over %(sample)s tickets; all %(count)s below, slowest "
        "first."
    ),
}


def line_evidence(line: Line, kpi_code: str | None) -> LineEvidence:
    """The records behind the number a line's employee-scope component used: the person's own
    number of the run's period (value, numerator, denominator, sample, low sample) and the
    records that count against it. Refuses (400, field ``kpi``) a KPI that is not an
    employee-scope component of the line, or one no records stand behind (entered numbers).
    Four queries whatever the number of records (the page is the caller's)."""
    rows = [
        row for row in line.components or []
        if row.get("kpi") == kpi_code and row.get("scope") == Scope.EMPLOYEE
    ]  # fmt: skip
    if not kpi_code or not rows:
        mine = sorted({r["kpi"] for r in line.components or [] if r.get("scope") == "employee"})
        raise ApplicationError(
            _("Choose a KPI this line measures for the employee: %(kpis)s.")
            % {"kpis": ", ".join(mine) or "—"},
            field="kpi",
            code="not_on_line",
        )
    kpi = KPI.objects.get(code=kpi_code)
    period = Period.parse(line.run.period)
    evidence = records_evidence.evidence_for(kpi_code, line.employee_id, period)
    if evidence is None:
        raise ApplicationError(
            _("No records stand behind %(kpi)s: it is entered or imported, not computed.")
            % {"kpi": kpi_code},
            field="kpi",
            code="no_records",
        )
    own = kpi_value_for(kpi, Holder(Scope.EMPLOYEE, line.employee_id), period)
    return LineEvidence(line, kpi, rows[0], own, evidence, evidence.records.count())
