"""Plan versions and what-if simulations (the rule history never recomputes under)."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from cxoffice.errors import ApplicationError

from ..models import Component, Enrollment, Gate, Line, Plan, PlanStatus, Run, RunStatus


@transaction.atomic
def plan_new_version(*, plan: Plan) -> Plan:
    """Copy a plan (components, gates, enrollments) as its next version, a draft, for the next
    periods; the old version is retired and keeps every approved run as it was calculated."""
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    if hasattr(plan, "next_version"):
        raise ApplicationError(
            _("Plan %(code)s already has a newer version (%(next)s).")
            % {"code": plan.code, "next": plan.next_version.code},
            field="plan",
            code="has_next_version",
        )
    root = plan.code.rsplit("-v", 1)[0] if plan.version > 1 else plan.code
    new = Plan.objects.create(
        code=f"{root}-v{plan.version + 1}", name=plan.name, period_type=plan.period_type,
        currency=plan.currency, status=PlanStatus.DRAFT, cap_percent=plan.cap_percent,
        missing_data_policy=plan.missing_data_policy, version=plan.version + 1,
        previous_version=plan,
    )  # fmt: skip
    Component.objects.bulk_create(
        Component(plan=new, kpi_id=c.kpi_id, weight=c.weight, scope=c.scope,
                  payout_at_threshold=c.payout_at_threshold, payout_at_stretch=c.payout_at_stretch,
                  threshold=c.threshold, target=c.target, stretch=c.stretch,
                  low_sample=c.low_sample)
        for c in plan.components.all()
    )  # fmt: skip
    Gate.objects.bulk_create(
        Gate(plan=new, kpi_id=g.kpi_id, scope=g.scope, minimum=g.minimum, multiplier=g.multiplier)
        for g in plan.gates.all()
    )
    Enrollment.objects.bulk_create(
        Enrollment(plan=new, employee_id=e.employee_id, target_amount=e.target_amount,
                   start_date=e.start_date, end_date=e.end_date)
        for e in plan.enrollments.all()
    )  # fmt: skip
    # Retiring is the one change a frozen plan takes: it pays nothing more from now on.
    Plan.objects.filter(pk=plan.pk).update(status=PlanStatus.RETIRED)
    return new


def simulation_difference(run: Run) -> dict:
    """A simulation against the real run of the same plan and period (when there is one):
    per employee, the real and the simulated amount and the difference; and the totals."""
    real = (
        Run.objects.filter(
            plan=run.plan, period=run.period, is_simulation=False, corrects__isnull=True
        )
        .exclude(status=RunStatus.DRAFT)
        .first()
    )
    simulated = dict(
        Line.objects.filter(run=run).values_list("employee__employee_number", "amount")
    )
    actual = (
        dict(Line.objects.filter(run=real).values_list("employee__employee_number", "amount"))
        if real
        else {}
    )
    rows = []
    for number in sorted(simulated.keys() | actual.keys()):
        old, new = actual.get(number), simulated.get(number)
        rows.append({
            "employee": number, "real": old, "simulated": new,
            "difference": (new or Decimal(0)) - (old or Decimal(0)),
        })  # fmt: skip
    return {
        "real_run": real.pk if real else None,
        "real_total": real.total_amount if real else None,
        "simulated_total": run.total_amount,
        "rows": rows,
    }
