"""Bonus runs: create, calculate (atomic replace of the lines), approve (four eyes), mark paid.

The calculation loads every input once (:func:`apps.bonuses.selectors.run_inputs`), computes
each line with the pure arithmetic of ``calculations.py`` and writes the lines in bulk inside
one transaction, under a row lock on the run so that two concurrent calculations or approvals
leave exactly one consistent set of lines.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from apps.kpis.models import Scope
from apps.kpis.periods import Period, PeriodError
from cxoffice.batch import gc_paused
from cxoffice.errors import ApplicationError, ConflictError, PermissionDeniedError
from cxoffice.numbers import plain

from .. import calculations as calc
from .. import money, statements
from ..messages import message
from ..models import Adjustment, Line, Plan, PlanStatus, Run, RunStatus, TrueUpNegative
from ..selectors import Measures, RunInputs, combined_fingerprint, run_chunks, run_inputs

HUNDRED = Decimal(100)
TWELVE_PLACES = Decimal("1e-12")
LINE_COLUMNS = [field.attname for field in Line._meta.concrete_fields]
APPROVED_STATUSES = (RunStatus.APPROVED, RunStatus.PAID)  # read-only, paid or to be paid


def _period(plan: Plan, key: str) -> Period:
    try:
        period = Period.parse(key)
    except PeriodError as error:
        raise ApplicationError(str(error), field="period", code="invalid_period") from error
    if period.type != plan.period_type:
        raise ApplicationError(
            _("Plan %(plan)s pays per %(type)s; %(key)s is not a %(type)s.")
            % {
                "plan": plan.code,
                "type": plan.get_period_type_display(),
                "key": period.key,
            },
            field="period",
            code="wrong_period_type",
        )
    return period


@transaction.atomic
def run_check_new(*, plan: Plan, period: str, is_simulation: bool = False) -> Period:
    """The period (a key of the plan's period type) and the plan (not retired, unless a
    simulation) of a run about to be created; the parsed period."""
    parsed = _period(plan, period)
    if not is_simulation and plan.status == PlanStatus.RETIRED:
        raise ApplicationError(
            _(
                "Plan %(plan)s is retired and pays nothing more; simulate it, or run its newer "
                "version."
            )
            % {"plan": plan.code},
            field="plan",
            code="plan_retired",
        )
    return parsed


def run_create(*, plan: Plan, period: str, is_simulation: bool = False) -> Run:
    parsed = run_check_new(plan=plan, period=period, is_simulation=is_simulation)
    duplicate = ConflictError(
        _("Plan %(plan)s already has a run for %(period)s.")
        % {"plan": plan.code, "period": parsed.key},
        field="period",
        code="duplicate_run",
    )
    try:
        # The unique constraint decides (no check-then-insert race); a savepoint keeps the
        # caller's transaction usable after a refusal.
        with transaction.atomic():
            return Run.objects.create(plan=plan, period=parsed.key, is_simulation=is_simulation)
    except IntegrityError as error:
        raise duplicate from error


def line_inputs(
    inputs: RunInputs, adjustments: dict[int, list[Decimal]]
) -> dict[int, tuple[calc.LineInput, str | None]]:
    """The pure inputs of every employee's line, with the code of the department they were in
    last during the period (employees without eligible days get no line). Which actual and
    band count for each component and gate is the selector's decision (:class:`Measures`);
    here the days, the targets and the plan's settings are put together.

    Employees of one department share its component inputs, and everyone shares the
    company's: those are built once per (component, days) and reused — they are immutable — so
    the work per employee is their own days and employee-scope values.
    """
    period, plan = inputs.period, inputs.plan
    exponent = money.exponent(plan.currency)
    cap = plan.cap_percent / HUNDRED
    measures = Measures(inputs)
    shared: dict[tuple, calc.ComponentInput] = {}  # (component, days) → its input
    components = [
        (
            component,
            {
                "key": str(component.pk),
                "kpi_code": component.kpi.code,
                "weight": component.weight / HUNDRED,
                "higher_is_better": component.kpi.higher_is_better,
                "payout_at_threshold": component.payout_at_threshold / HUNDRED,
                "payout_at_stretch": component.payout_at_stretch / HUNDRED,
                "scope": component.scope,
            },
        )
        for component in inputs.components
    ]
    lines: dict[int, tuple[calc.LineInput, str | None]] = {}
    for employee_id, enrollments in inputs.enrollments.items():
        employee = inputs.employees[employee_id]
        windows, weighted, eligible = [], Decimal(0), 0
        for enrollment in enrollments:
            window = calc.eligible_window(
                period.start, period.end, enrollment.start_date, enrollment.end_date,
                employee.hire_date, employee.leave_date,
            )  # fmt: skip
            if window:
                days = (window[1] - window[0]).days + 1
                windows.append(window)
                weighted += enrollment.target_amount * days
                eligible += days
        if not eligible:
            continue
        by_department = tuple(
            calc.department_segments(
                period.start, period.end, windows, inputs.assignments.get(employee_id, [])
            )
        )
        last_department = by_department[-1][0] if by_department else None
        line_components = []
        for component, fields in components:
            if component.scope == Scope.EMPLOYEE:
                segments = measures.segments(component, employee_id, eligible, by_department)
                line_components.append(calc.ComponentInput(segments=segments, **fields))
                continue
            key = (component.pk, by_department if component.scope == Scope.DEPARTMENT else eligible)
            if key not in shared:
                segments = measures.segments(component, employee_id, eligible, by_department)
                shared[key] = calc.ComponentInput(segments=segments, **fields)
            line_components.append(shared[key])
        gates = tuple(measures.gate(gate, employee_id, last_department) for gate in inputs.gates)
        lines[employee_id] = (
            calc.LineInput(
                # Several enrollments in one period: their targets weighted by their days.
                target_amount=weighted / eligible,
                eligible_days=eligible,
                period_days=period.days,
                components=tuple(line_components),
                gates=gates,
                cap=cap,
                missing_data_policy=plan.missing_data_policy,
                adjustments=tuple(adjustments.get(employee_id, ())),
                currency_exponent=exponent,
            ),
            last_department,
        )
    return lines


def _band_row(band: calc.Band | None, fixed: dict) -> dict:
    """A band's levels as stored (a run's bands are few shared objects: each written once)."""
    cached = fixed.get(("band", id(band)))
    if cached is None:
        cached = fixed[("band", id(band))] = (
            band,
            {
                "threshold": plain(band.threshold) if band and band.threshold is not None else None,
                "target": plain(band.target) if band else None,
                "stretch": plain(band.stretch) if band and band.stretch is not None else None,
            },
        )
    return cached[1]


def _line_row(
    run: Run,
    employee_id: int,
    line: calc.LineInput,
    result,
    department: str | None,
    inputs: RunInputs,
    fixed: dict,
) -> Line:
    """The line to write. ``fixed`` caches the parts of breakdown rows that many lines share
    (a department's actual, band and payout, the company's), per segment object."""
    rows = []
    for component in result.components:
        weight = plain(component.weight_used * HUNDRED)
        for segment in component.segments:
            # Keyed by identity, the segment kept alive in the value so that its id stays its own.
            cached = fixed.get(id(segment))
            if cached is None:
                cached = fixed[id(segment)] = (
                    segment,
                    {
                        "kpi": component.kpi_code,
                        "scope": component.scope,
                        "department": segment.department,
                        "days": segment.days,
                        "actual": plain(segment.actual) if segment.actual is not None else None,
                        "basis": segment.basis,
                        **_band_row(segment.band, fixed),
                        "payout_percent": plain(segment.payout * HUNDRED)
                        if segment.payout is not None
                        else None,
                    },
                )
            amount = component.amount
            if segment.days != line.eligible_days:
                amount = amount * segment.days / line.eligible_days
            rows.append(
                cached[1]
                | {
                    "weight": weight,
                    "amount": plain(calc.round_money(amount, line.currency_exponent)),
                }
            )
    department_row = inputs.departments.get(department) if department else None
    values = {
        "id": None,
        "run_id": run.pk,
        "employee_id": employee_id,
        "department_id": department_row.pk if department_row else None,
        "target_amount": calc.round_money(line.target_amount, line.currency_exponent),
        "eligible_days": line.eligible_days,
        "period_days": line.period_days,
        "proration": result.proration.quantize(TWELVE_PLACES),
        "factor": result.factor.quantize(TWELVE_PLACES),
        "gate_multiplier": result.gate_multiplier.quantize(TWELVE_PLACES),
        "capped": result.capped,
        "adjustments_total": result.adjustments_total,
        "amount": result.amount,
        "previously_paid": None,
        "delta": None,
        "explanation": list(statements.explain(line, result)),
        "flags": list(result.flags),
        "components": rows,
    }
    # Positional arguments take the model's fast constructor path (a run builds thousands of
    # lines); the order comes from the model, and a field missing here is a KeyError.
    return Line(*[values[name] for name in LINE_COLUMNS])


def check_run_open(run: Run) -> None:
    """Approved and paid runs are read-only everywhere (HTTP 409)."""
    if run.status in APPROVED_STATUSES:
        raise ConflictError(
            _(
                "Run %(plan)s %(period)s is %(status)s and read-only; correct it with an "
                "adjustment in a later run."
            )
            % {"plan": run.plan.code, "period": run.period, "status": run.get_status_display()},
            field="status",
            code="run_closed",
        )


@transaction.atomic
def run_delete(*, run: Run) -> None:
    """Delete a run that is not yet approved, with its lines and adjustments; approved and paid
    runs stay (HTTP 409)."""
    run = Run.objects.select_for_update().select_related("plan").get(pk=run.pk)
    check_run_open(run)
    run.delete()


Progress = Callable[[int, int], None]


def chunk_size() -> int:
    """Employees computed and written at a time (setting ``BONUS_RUN_CHUNK``, default 5,000):
    a run's memory is one chunk's, whatever the number of employees."""
    return max(1, int(getattr(settings, "BONUS_RUN_CHUNK", 5_000)))


@dataclass
class ChunkOutcome:
    lines: int
    total: Decimal
    issues: list  # blocking issues as messages
    fingerprint: str


def calculate_chunk(
    run: Run, period: Period, employees: tuple[int, int] | None, *, write_to: Run | None = None,
    progress: Callable[[int], None] | None = None,
) -> ChunkOutcome:  # fmt: skip
    """Compute and write the lines of one chunk of the run's employees (ids in the inclusive
    range ``employees``; None: everyone): the same pure calculation for every line, the chunk's
    lines written in bulk into ``write_to`` (default the run itself). A fixed number of
    queries per chunk."""
    inputs = run_inputs(run.plan, period, employees)
    adjustments: dict[int, list[Decimal]] = defaultdict(list)
    # A true-up carries the adjustments of the runs it corrects (else it would recover them).
    corrected = _corrected_runs(run)
    chunk_adjustments = Adjustment.objects.filter(run__in=[run.pk, *corrected])
    if employees is not None:
        chunk_adjustments = chunk_adjustments.filter(
            employee_id__gte=employees[0], employee_id__lte=employees[1]
        )
    for employee_id, amount in chunk_adjustments.values_list("employee_id", "amount"):
        adjustments[employee_id].append(amount)
    rows, issues, total, fixed = [], [], Decimal(0), {}
    target = write_to or run
    previously = _previously_paid(corrected, employees) if corrected else None
    waive = run.plan.true_up_negative == TrueUpNegative.WAIVE
    for employee_id, (line, department) in line_inputs(inputs, adjustments).items():
        result = calc.calculate_line(line)
        employee = inputs.employees[employee_id]
        issues.extend(
            message(
                gettext_noop("%(employee)s %(name)s: %(issue)s"),
                employee=employee.employee_number,
                name=employee.full_name,
                issue=issue,
            )
            for issue in result.issues
        )
        row = _line_row(target, employee_id, line, result, department, inputs, fixed)
        if previously is not None:
            _true_up(row, previously.get(employee_id, Decimal(0)), waive)
            total += row.delta
        else:
            total += result.amount
        rows.append(row)
        if progress:
            progress(1)
    Line.objects.bulk_create(rows, batch_size=2000)
    return ChunkOutcome(len(rows), total, issues, inputs.fingerprint)


def _corrected_runs(run: Run) -> list[int]:
    """The runs a true-up corrects, in order: the original and every approved or paid true-up
    of it before this one (SPEC §10a); none for other runs. One query."""
    if not run.corrects_id:
        return []
    earlier = (
        Run.objects.filter(corrects_id=run.corrects_id, status__in=APPROVED_STATUSES)
        .exclude(pk=run.pk)
        .order_by("approved_at", "pk")
        .values_list("pk", flat=True)
    )
    return [run.corrects_id, *earlier]


def _previously_paid(corrected: list[int], employees: tuple[int, int] | None) -> dict[int, Decimal]:
    """Per employee of the chunk: what the corrected runs paid — the original line's amount
    plus the deltas of the approved true-ups after it. One query."""
    original = corrected[0]
    lines = Line.objects.filter(run_id__in=corrected)
    if employees is not None:
        lines = lines.filter(employee_id__gte=employees[0], employee_id__lte=employees[1])
    paid: dict[int, Decimal] = defaultdict(Decimal)
    for run_id, employee_id, amount, delta in lines.values_list(
        "run_id", "employee_id", "amount", "delta"
    ):
        paid[employee_id] += amount if run_id == original else (delta or Decimal(0))
    return paid


def _true_up(line: Line, previously: Decimal, waive: bool) -> None:
    """A true-up line's ``previously_paid`` and ``delta``; a negative delta is set to 0 when
    the plan waives it, and the line says so (flag and explanation)."""
    line.previously_paid = previously
    line.delta = line.amount - previously
    if line.delta < 0 and waive:
        line.flags = [*line.flags, "true_up_waived"]
        line.explanation = [
            *line.explanation,
            message(
                gettext_noop(
                    "True-up: %(delta)s less than paid before (%(previously)s); the plan waives "
                    "it, so the delta is 0."
                ),
                delta=plain(-line.delta),
                previously=plain(previously),
            ),
        ]
        line.delta = Decimal(0)
    else:
        line.explanation = [
            *line.explanation,
            message(
                gettext_noop("True-up: paid before %(previously)s; delta %(delta)s."),
                previously=plain(previously),
                delta=plain(line.delta),
            ),
        ]


@transaction.atomic
def run_true_up_start(*, run: Run, user) -> Run:
    """Start the true-up of an approved or paid run whose inputs changed (SPEC §10a): a draft
    run of the same plan and period correcting the original (a true-up of a true-up corrects
    the original too, and everything approved before it). Refused (409) for a run not approved
    or paid, a simulation, while another true-up of it is open, or when nothing changed."""
    run = Run.objects.select_for_update().select_related("plan").get(pk=run.pk)
    if not user.has_perm("bonuses.add_run"):
        raise PermissionDeniedError(
            _("Starting a true-up needs the add run permission."), code="forbidden"
        )
    if run.is_simulation or run.status not in APPROVED_STATUSES:
        raise ConflictError(
            _("Only an approved or paid run is trued up; this one is %(status)s.")
            % {"status": run.get_status_display()},
            field="status",
            code="wrong_status",
        )
    # The original's row is the lock every true-up of it takes: two HR people starting one
    # from the original and from an earlier true-up at once get one, not two.
    original = (
        Run.objects.select_for_update().select_related("plan").get(pk=run.corrects_id or run.pk)
    )
    chain = Run.objects.filter(corrects=original)
    if chain.exclude(status__in=APPROVED_STATUSES).exists():
        raise ConflictError(
            _("A true-up of this run is already open; approve or delete it first."),
            field="corrects",
            code="true_up_open",
        )
    latest = chain.filter(status__in=APPROVED_STATUSES).order_by("-approved_at", "-pk").first()
    if not run_is_stale(latest or original):
        raise ConflictError(
            _("Nothing changed since the run was approved: there is nothing to true up."),
            field="stale",
            code="not_stale",
        )
    return Run.objects.create(plan=original.plan, period=original.period, corrects=original)


def run_mark_calculated(*, run: Run, user, outcomes: list[ChunkOutcome]) -> Run:
    """The run's totals, blocking issues and fingerprint from its chunks (in order)."""
    run.status = RunStatus.CALCULATED
    run.total_amount = sum((o.total for o in outcomes), Decimal(0))
    run.line_count = sum(o.lines for o in outcomes)
    run.blocking_issues = [issue for o in outcomes for issue in o.issues]
    run.fingerprint = combined_fingerprint([o.fingerprint for o in outcomes])
    run.calculated_at = timezone.now()
    run.calculated_by = user
    run.save()
    return run


@transaction.atomic
def run_calculate(*, run: Run, user, progress: Progress | None = None) -> Run:
    """(Re)calculate a run: replace its lines atomically; record who, when and the inputs.

    The employees are computed and written a chunk at a time (:func:`chunk_size`), so memory
    stays flat however many there are; the whole replacement is one transaction.
    ``progress(done, total)`` is called as lines are computed (the Celery task reports it,
    the management command draws a bar)."""
    run = Run.objects.select_for_update().select_related("plan").get(pk=run.pk)
    check_run_open(run)
    with gc_paused():  # a batch of short-lived objects: see cxoffice.batch
        period = _period(run.plan, run.period)
        chunks = run_chunks(run.plan, period, chunk_size())
        everyone = sum(count for _first, _last, count in chunks)
        done = [0]
        step = max(1, everyone // 100)

        def advance(lines: int) -> None:
            done[0] += lines
            if progress and (done[0] % step == 0 or done[0] == everyone):
                progress(done[0], everyone)

        Line.objects.filter(run=run).delete()
        ranges = [(first, last) for first, last, _count in chunks] or [None]
        outcomes = [
            calculate_chunk(run, period, employees, progress=advance) for employees in ranges
        ]
    return run_mark_calculated(run=run, user=user, outcomes=outcomes)


# --- a calculation split over workers (Celery chunks) ---------------------------------------
@transaction.atomic
def run_calculation_start(*, run: Run) -> tuple[Run, list[tuple[int, int] | None]]:
    """Begin a calculation that workers share: a fresh hidden shadow run to write the chunks
    into (an earlier unfinished one, and its lines, removed: a retry starts clean) and the
    employee ranges, one per chunk task. The run itself is untouched until
    :func:`run_calculation_finish`."""
    run = Run.objects.select_for_update().select_related("plan").get(pk=run.pk)
    check_run_open(run)
    period = _period(run.plan, run.period)
    Run.everything.filter(shadow_of=run).delete()
    shadow = Run.everything.create(
        plan=run.plan, period=run.period, is_simulation=True, shadow_of=run
    )
    chunks = run_chunks(run.plan, period, chunk_size())
    return shadow, [(first, last) for first, last, _count in chunks] or [None]


def _outcome_data(outcome: ChunkOutcome) -> dict:
    return {"lines": outcome.lines, "total": str(outcome.total), "issues": outcome.issues,
            "fingerprint": outcome.fingerprint}  # fmt: skip


@transaction.atomic
def run_calculation_chunk(
    *, run_id: int, shadow_id: int, employees: tuple[int, int] | None
) -> dict | None:
    """One chunk task: its employees' lines written into the shadow run, all or nothing (a
    chunk done again replaces its own lines: no duplicates). None when the calculation was
    superseded by a newer one (its shadow is gone)."""
    shadow = Run.everything.select_for_update().filter(pk=shadow_id, shadow_of_id=run_id).first()
    if shadow is None:
        return None
    run = Run.objects.select_related("plan").get(pk=run_id)
    lines = Line.objects.filter(run=shadow)
    if employees is not None:
        lines = lines.filter(employee_id__gte=employees[0], employee_id__lte=employees[1])
    lines.delete()
    with gc_paused():
        outcome = calculate_chunk(run, _period(run.plan, run.period), employees, write_to=shadow)
    return _outcome_data(outcome)


@transaction.atomic
def run_calculation_finish(*, run_id: int, shadow_id: int, user, outcomes: list[dict]) -> Run:
    """The final step once every chunk is done: the shadow's lines replace the run's in one
    statement, and the run gets its totals, blocking issues and fingerprint (the chunks' in
    order) and is calculated. Refused (409) when a newer calculation superseded this one."""
    run = Run.objects.select_for_update().select_related("plan").get(pk=run_id)
    shadow = Run.everything.filter(pk=shadow_id, shadow_of=run).first()
    if shadow is None or any(outcome is None for outcome in outcomes):
        raise ConflictError(
            _("A newer calculation of this run started; this one is dropped."),
            field="status",
            code="superseded",
        )
    check_run_open(run)
    Line.objects.filter(run=run).delete()
    Line.objects.filter(run=shadow).update(run=run)
    shadow.delete()
    chunks = [
        ChunkOutcome(o["lines"], Decimal(o["total"]), o["issues"], o["fingerprint"])
        for o in outcomes
    ]
    return run_mark_calculated(run=run, user=user, outcomes=chunks)


def run_fingerprint(run: Run) -> str:
    """The fingerprint of the run's inputs as they are now, chunk by chunk (flat memory)."""
    period = Period.parse(run.period)
    chunks = run_chunks(run.plan, period, chunk_size())
    ranges = [(first, last) for first, last, _count in chunks] or [None]
    return combined_fingerprint([run_inputs(run.plan, period, r).fingerprint for r in ranges])


def run_is_stale(run: Run) -> bool:
    """Has any input (result, target, enrollment, assignment, plan setting) changed since the run
    was calculated? Recomputes the fingerprint: a fixed number of queries per chunk."""
    if run.status == RunStatus.DRAFT or not run.fingerprint:
        return False
    return run_fingerprint(run) != run.fingerprint


@transaction.atomic
def run_approve(*, run: Run, user) -> Run:
    run = Run.objects.select_for_update().select_related("plan").get(pk=run.pk)
    if not user.has_perm("bonuses.approve_run"):
        raise PermissionDeniedError(
            _("Approving runs needs the approve permission."), code="forbidden"
        )
    if run.is_simulation:
        raise ConflictError(
            _("A simulation can never be approved."), field="status", code="simulation"
        )
    if run.status != RunStatus.CALCULATED:
        raise ConflictError(
            _("Only a calculated run can be approved; this one is %(status)s.")
            % {"status": run.get_status_display()},
            field="status",
            code="wrong_status",
        )
    if run.calculated_by_id == user.pk:
        raise ConflictError(
            _("You calculated this run; a different person must approve it (four eyes)."),
            field="approved_by",
            code="four_eyes",
        )
    if run.blocking_issues:
        raise ConflictError(
            _("The run has blocking issues: %(issues)s")
            % {"issues": "; ".join(run.blocking_issue_texts())},
            field="blocking_issues",
            code="blocking_issues",
        )
    if run_is_stale(run):
        raise ConflictError(
            _("Inputs changed after the calculation; calculate the run again before approving it."),
            field="stale",
            code="stale",
        )
    run.status = RunStatus.APPROVED
    run.approved_by = user
    run.approved_at = timezone.now()
    run.save()
    return run


@transaction.atomic
def run_mark_paid(*, run: Run, user) -> Run:
    run = Run.objects.select_for_update().get(pk=run.pk)
    if not user.has_perm("bonuses.pay_run"):
        raise PermissionDeniedError(
            _("Marking runs paid needs the pay permission."), code="forbidden"
        )
    if run.status != RunStatus.APPROVED:
        raise ConflictError(
            _("Only an approved run can be marked paid; this one is %(status)s.")
            % {"status": run.get_status_display()},
            field="status",
            code="wrong_status",
        )
    run.status = RunStatus.PAID
    run.paid_at = timezone.now()
    run.save()
    return run
