"""Manual adjustments of a line: reason and author kept; approved runs cannot change."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from apps.departments.models import Employee
from cxoffice.errors import ApplicationError

from .. import money
from ..models import MONEY, Adjustment, Line, Run
from .runs import check_run_open


def _adjusted_line(*, line: Line | None, run: Run | None, employee: Employee | None) -> Line:
    if line is not None:
        if (run is not None and run.pk != line.run_id) or (
            employee is not None and employee.pk != line.employee_id
        ):
            raise ApplicationError(
                _("That line is not the line of this run and employee."),
                field="line",
                code="line_mismatch",
            )
        return line
    if run is None or employee is None:
        missing = "employee" if run is not None else "run" if employee is not None else "line"
        raise ApplicationError(
            _("Give the line, or the run and the employee."), field=missing, code="required"
        )
    found = Line.objects.filter(run=run, employee=employee).first()
    if found is None:
        raise ApplicationError(
            _("This employee has no line in that run."), field="employee", code="no_line"
        )
    return found


def adjustment_check(
    *, line: Line | None = None, run: Run | None = None, employee: Employee | None = None
) -> Line:
    """The line an adjustment is made on — ``line``, or the run's line of ``employee`` (an
    employee without one is refused) — in a run not yet approved."""
    line = _adjusted_line(line=line, run=run, employee=employee)
    check_run_open(run if run is not None else line.run)
    return line


@transaction.atomic
def adjustment_create(
    *,
    amount: Decimal,
    reason: str,
    user,
    line: Line | None = None,
    run: Run | None = None,
    employee: Employee | None = None,
) -> Adjustment:
    """Add an amount (positive or negative, in whole cents) to one line — given as ``line``, or
    as ``run`` and ``employee`` — the line and the run total change at once and the adjustment
    is kept when the run is calculated again."""
    line = _adjusted_line(line=line, run=run, employee=employee)
    run = Run.objects.select_for_update().select_related("plan").get(pk=line.run_id)
    check_run_open(run)
    places = money.exponent(run.plan.currency)
    if not money.is_whole_minor_units(amount, run.plan.currency):
        raise ApplicationError(
            _("An adjustment in %(currency)s has at most %(places)s decimals.")
            % {"currency": run.plan.currency, "places": places},
            field="amount",
            code="invalid",
        )
    if not reason or not reason.strip():
        raise ApplicationError(_("Give the reason."), field="reason", code="required")
    line = Line.objects.select_for_update().get(pk=line.pk)
    # Every total stays within the money columns (else the run could no longer be read back).
    limit = Decimal(10) ** (MONEY["max_digits"] - MONEY["decimal_places"])
    if any(
        abs(total + amount) >= limit
        for total in (line.amount, line.adjustments_total, run.total_amount)
    ):
        raise ApplicationError(
            _("With this adjustment the line or the run would total %(limit)s or more.")
            % {"limit": f"{limit:,}"},
            field="amount",
            code="max_value",
        )
    adjustment = Adjustment.objects.create(
        run=run, employee_id=line.employee_id, amount=amount, reason=reason.strip(), created_by=user
    )
    line.adjustments_total += amount
    line.amount += amount
    line.save(update_fields=["adjustments_total", "amount"])
    run.total_amount += amount
    run.save(update_fields=["total_amount"])
    return adjustment
