"""Manual adjustments of a line: reason and author kept; approved runs cannot change."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from cxoffice.errors import ApplicationError

from ..models import MONEY, Adjustment, Line, Run
from .runs import CURRENCY_EXPONENTS, check_run_open


@transaction.atomic
def adjustment_create(*, line: Line, amount: Decimal, reason: str, user) -> Adjustment:
    """Add an amount (positive or negative, in whole cents) to one line; the line and the run
    total change at once and the adjustment is kept when the run is calculated again."""
    run = Run.objects.select_for_update().select_related("plan").get(pk=line.run_id)
    check_run_open(run)
    places = CURRENCY_EXPONENTS.get(run.plan.currency, 2)
    if amount != amount.quantize(Decimal(1).scaleb(-places)):
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
