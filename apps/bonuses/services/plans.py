"""Plans with their components and gates, and enrollments — with the rules of SPEC §10/§13."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from apps.departments.models import Employee
from apps.departments.services import Stint, find_overlap
from apps.kpis.services import check_in_range
from apps.targets.calculations import is_ordered
from cxoffice.errors import ApplicationError, ConflictError
from cxoffice.numbers import plain
from cxoffice.services import apply_changes, validate_and_save

from .. import money
from ..models import Component, Enrollment, Gate, Plan, PlanStatus, RunStatus

PLAN_FIELDS = ("code", "name", "period_type", "currency", "status", "cap_percent",
               "missing_data_policy", "true_up_negative")  # fmt: skip
COMPONENT_FIELDS = ("kpi", "weight", "scope", "payout_at_threshold", "payout_at_stretch",
                    "threshold", "target", "stretch", "low_sample")  # fmt: skip
GATE_FIELDS = ("kpi", "scope", "minimum", "multiplier")
ENROLLMENT_FIELDS = ("employee", "plan", "target_amount", "start_date", "end_date")
HUNDRED = Decimal(100)


def plan_check_editable(plan: Plan) -> None:
    """A plan that an approved (or paid) run used is frozen: history never recomputes under a
    changed rule. The way forward is a new version of the plan."""
    if (
        plan.pk
        and plan.runs.filter(
            is_simulation=False, status__in=[RunStatus.APPROVED, RunStatus.PAID]
        ).exists()
    ):
        raise ConflictError(
            _(
                "Plan %(code)s is used by an approved run and can no longer change; create a "
                "new version."
            )
            % {"code": plan.code},
            field="plan",
            code="plan_frozen",
        )


@transaction.atomic
def plan_delete(*, plan: Plan) -> None:
    """Delete a plan with its components and gates, unless an approved run froze it (its
    enrollments and runs protect it too: the database refuses those)."""
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    plan_check_editable(plan)
    plan.delete()


def check_components(components: list[Mapping[str, Any]]) -> None:
    seen = set()
    for index, component in enumerate(components):
        prefix = f"components[{index}]."
        for name in ("kpi", "weight"):  # a list given replaces the plan's whole: complete parts
            if component.get(name) is None:
                raise ApplicationError(
                    _("Each component needs its %(field)s.") % {"field": name},
                    field=prefix + name,
                    code="required",
                )
        kpi = component["kpi"]
        if (kpi.pk, component.get("scope", "department")) in seen:
            raise ApplicationError(
                _("%(kpi)s appears twice with the same scope.") % {"kpi": kpi.code},
                field=prefix + "kpi",
                code="duplicate",
            )
        seen.add((kpi.pk, component.get("scope", "department")))
        at_threshold = Decimal(component.get("payout_at_threshold", 50))
        at_stretch = Decimal(component.get("payout_at_stretch", 150))
        if not Decimal(0) <= at_threshold <= HUNDRED:
            raise ApplicationError(
                _("The payout at threshold is a percentage from 0 to 100."),
                field=prefix + "payout_at_threshold",
                code="out_of_range",
            )
        if at_stretch < HUNDRED:
            raise ApplicationError(
                _("The payout at stretch is 100%% or more (it is %(value)s%%).")
                % {"value": plain(at_stretch)},
                field=prefix + "payout_at_stretch",
                code="out_of_range",
            )
        if component.get("low_sample", "own") != "own" and component.get("scope", "department") != (
            "employee"
        ):
            raise ApplicationError(
                _(
                    "Only a component measured for the employee has a low-sample rule: a "
                    "department's or the company's number is not one person's sample."
                ),
                field=prefix + "low_sample",
                code="employee_scope_only",
            )
        levels = [component.get(name) for name in ("threshold", "target", "stretch")]
        for name, level in zip(("threshold", "target", "stretch"), levels, strict=True):
            check_in_range(kpi, level, prefix + name)
        if any(level is not None for level in levels[::2]) and levels[1] is None:
            raise ApplicationError(
                _("An overridden threshold or stretch needs an overridden target too."),
                field=prefix + "target",
                code="required",
            )
        if levels[1] is not None and not is_ordered(*levels, kpi.higher_is_better):
            raise ApplicationError(
                _("Threshold, target and stretch are out of order for %(kpi)s.")
                % {"kpi": kpi.code},
                field=prefix + "target",
                code="unordered_levels",
            )
    total = sum((Decimal(c["weight"]) for c in components), Decimal(0))
    if components and total != HUNDRED:
        raise ApplicationError(
            _("The weights add up to %(total)s%%; they must add up to exactly 100%%.")
            % {"total": plain(total)},
            field="components",
            code="weights_not_100",
        )


def check_active_has_components(status: str, has_components: bool) -> None:
    """An active plan pays bonuses: it needs components (whose weights then add up to 100%)."""
    if status == PlanStatus.ACTIVE and not has_components:
        raise ApplicationError(
            _("An active plan needs components whose weights add up to exactly 100%."),
            field="components",
            code="weights_not_100",
        )


def check_gates(gates: list[Mapping[str, Any]]) -> None:
    for index, gate in enumerate(gates):
        if gate.get("kpi") is not None:
            check_in_range(gate["kpi"], gate.get("minimum"), f"gates[{index}].minimum")
        multiplier = Decimal(gate.get("multiplier", 0))
        if not Decimal(0) <= multiplier <= HUNDRED:
            raise ApplicationError(
                _("A gate's multiplier when missed is a percentage from 0 to 100."),
                field=f"gates[{index}].multiplier",
                code="out_of_range",
            )


def _write_parts(plan: Plan, components: Iterable[Mapping] | None, gates: Iterable[Mapping] | None):
    if components is not None:
        plan.components.all().delete()
        for data in components:
            validate_and_save(
                Component(plan=plan, **{k: v for k, v in data.items() if k in COMPONENT_FIELDS})
            )
    if gates is not None:
        plan.gates.all().delete()
        for data in gates:
            validate_and_save(
                Gate(plan=plan, **{k: v for k, v in data.items() if k in GATE_FIELDS})
            )


@transaction.atomic
def plan_create(
    *, components: list[Mapping[str, Any]] = (), gates: list[Mapping[str, Any]] = (), **fields: Any
) -> Plan:
    components, gates = list(components), list(gates)
    check_components(components)
    check_active_has_components(fields.get("status", PlanStatus.DRAFT), bool(components))
    check_gates(gates)
    plan = validate_and_save(Plan(**{k: v for k, v in fields.items() if k in PLAN_FIELDS}))
    _write_parts(plan, components, gates)
    return plan


@transaction.atomic
def plan_update(
    *,
    plan: Plan,
    data: dict[str, Any],
    components: list[Mapping[str, Any]] | None = None,
    gates: list[Mapping[str, Any]] | None = None,
) -> Plan:
    """Change a plan; ``components`` / ``gates`` given replace the plan's lists whole."""
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    plan_check_editable(plan)
    if components is not None:
        check_components(list(components))
    check_active_has_components(
        data.get("status", plan.status),
        bool(components) if components is not None else plan.components.exists(),
    )
    if gates is not None:
        check_gates(list(gates))
    apply_changes(instance=plan, fields=PLAN_FIELDS, data=data)
    validate_and_save(plan)
    _write_parts(plan, components, gates)
    return plan


def enrollment_check(
    *,
    employee: Employee,
    plan: Plan,
    start_date: dt.date,
    end_date: dt.date | None,
    exclude: int | None,
) -> None:
    if end_date is not None and end_date < start_date:
        raise ApplicationError(
            _("The end date cannot be before the start date."),
            field="end_date",
            code="reversed_dates",
        )
    others = Enrollment.objects.filter(employee=employee, plan=plan).exclude(pk=exclude)
    stints = [
        Stint(key=e.pk, department=plan.code, start=e.start_date, end=e.end_date) for e in others
    ]
    stints.append(Stint(key="new", department=plan.code, start=start_date, end=end_date))
    overlap = find_overlap(stints)
    if overlap:
        other = overlap[0] if overlap[0].key != "new" else overlap[1]
        raise ApplicationError(
            _(
                "%(employee)s is already enrolled in %(plan)s from %(start)s to %(end)s; "
                "enrollments in one plan cannot overlap."
            )
            % {
                "employee": employee.employee_number,
                "plan": plan.code,
                "start": other.start.isoformat(),
                "end": other.end.isoformat() if other.end else _("open end"),
            },
            field="start_date",
            code="overlap",
        )


def check_target_amount(plan: Plan, target_amount: Decimal | None) -> None:
    """Not negative, and in whole minor units of the plan's currency (cents; yen; fils)."""
    if target_amount is None:
        return
    if target_amount < 0:
        raise ApplicationError(
            _("The target amount cannot be negative."), field="target_amount", code="min_value"
        )
    if not money.is_whole_minor_units(target_amount, plan.currency):
        raise ApplicationError(
            _("An amount in %(currency)s has at most %(places)s decimals.")
            % {"currency": plan.currency, "places": money.exponent(plan.currency)},
            field="target_amount",
            code="max_decimal_places",
        )


@transaction.atomic
def enrollment_create(
    *, employee: Employee, plan: Plan, target_amount: Decimal, start_date: dt.date,
    end_date: dt.date | None = None,
) -> Enrollment:  # fmt: skip
    check_target_amount(plan, target_amount)
    Employee.objects.select_for_update().filter(pk=employee.pk).first()
    plan_check_editable(plan)
    enrollment_check(
        employee=employee, plan=plan, start_date=start_date, end_date=end_date, exclude=None
    )
    enrollment = Enrollment(
        employee=employee,
        plan=plan,
        target_amount=target_amount,
        start_date=start_date,
        end_date=end_date,
    )
    return validate_and_save(enrollment)


@transaction.atomic
def enrollment_update(*, enrollment: Enrollment, data: dict[str, Any]) -> Enrollment:
    Employee.objects.select_for_update().filter(pk=enrollment.employee_id).first()
    plan_check_editable(enrollment.plan)
    apply_changes(instance=enrollment, fields=ENROLLMENT_FIELDS, data=data)
    check_target_amount(enrollment.plan, enrollment.target_amount)
    enrollment_check(
        employee=enrollment.employee, plan=enrollment.plan, start_date=enrollment.start_date,
        end_date=enrollment.end_date, exclude=enrollment.pk,
    )  # fmt: skip
    return validate_and_save(enrollment)


@transaction.atomic
def enrollment_delete(*, enrollment: Enrollment) -> None:
    """Delete an enrollment, unless its plan is frozen by an approved run (the run was
    calculated from it)."""
    enrollment = (
        Enrollment.objects.select_for_update(of=("self",))
        .select_related("plan")
        .get(pk=enrollment.pk)
    )
    plan_check_editable(enrollment.plan)
    enrollment.delete()
