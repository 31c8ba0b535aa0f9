"""Writes to targets, with the rules of SPEC §6 and §13."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from apps.kpis.models import KPI, Direction
from apps.kpis.periods import Period, PeriodError
from apps.kpis.services import NumbersWriter, check_in_range, check_scope
from cxoffice.errors import ApplicationError
from cxoffice.numbers import plain
from cxoffice.services import apply_changes, validate_and_save

from .calculations import is_ordered
from .models import Target

TARGET_FIELDS = (
    "kpi", "scope", "department", "employee", "period", "valid_from", "valid_to", "threshold",
    "target", "stretch", "benchmark", "benchmark_source", "note",
)  # fmt: skip


def target_check(*, values: dict[str, Any]) -> None:
    """Scope, validity and the order of threshold / target / stretch in the KPI's direction."""
    kpi: KPI = values["kpi"]
    check_scope(
        scope=values.get("scope"),
        department=values.get("department"),
        employee=values.get("employee"),
    )
    period = values.get("period") or ""
    if period:
        try:
            values["period"] = Period.parse(period).key
        except PeriodError as error:
            raise ApplicationError(str(error), field="period", code="invalid_period") from error
        if values.get("valid_from") or values.get("valid_to"):
            raise ApplicationError(
                _("Give either a period or a date range, not both."),
                field="valid_from",
                code="ambiguous_validity",
            )
    valid_from, valid_to = values.get("valid_from"), values.get("valid_to")
    if valid_from and valid_to and valid_to < valid_from:
        raise ApplicationError(
            _("The end of validity cannot be before its start."),
            field="valid_to",
            code="reversed_dates",
        )
    if values.get("target") is None:
        raise ApplicationError(_("Give the target value."), field="target", code="required")
    for level in ("threshold", "target", "stretch", "benchmark"):
        check_in_range(kpi, values.get(level), level)
    higher = kpi.direction == Direction.HIGHER_IS_BETTER
    threshold, target, stretch = values.get("threshold"), values["target"], values.get("stretch")
    if not is_ordered(threshold, target, None, higher) or not is_ordered(
        None, target, stretch, higher
    ):
        field = "target" if not is_ordered(threshold, target, None, higher) else "stretch"
        rule = (
            _("threshold ≤ target ≤ stretch, because higher is better for %(kpi)s")
            if higher
            else _("threshold ≥ target ≥ stretch, because lower is better for %(kpi)s")
        ) % {"kpi": kpi.code}
        raise ApplicationError(
            _(
                "Threshold %(threshold)s, target %(target)s and stretch %(stretch)s are out of "
                "order: %(rule)s."
            )
            % {
                "threshold": plain(threshold),
                "target": plain(target),
                "stretch": plain(stretch),
                "rule": rule,
            },
            field=field,
            code="unordered_levels",
        )


def _check_not_duplicate(values: dict[str, Any], exclude: int | None = None) -> None:
    """One target per KPI, holder and validity: a second one with the same period (or the same
    date range) would leave the scorecard to pick between them silently."""
    same = Target.objects.filter(
        kpi=values["kpi"],
        scope=values.get("scope"),
        department=values.get("department"),
        employee=values.get("employee"),
        period=values.get("period") or "",
        valid_from=values.get("valid_from"),
        valid_to=values.get("valid_to"),
    ).exclude(pk=exclude)
    if same.exists():
        raise ApplicationError(
            _(
                "This KPI already has a target for this holder and validity (target #%(id)s): "
                "change that one instead."
            )
            % {"id": same.values_list("pk", flat=True).first()},
            field="period" if values.get("period") else "valid_from",
            code="duplicate",
        )


def _writer_check(user, values: dict[str, Any]) -> None:
    department, employee = values.get("department"), values.get("employee")
    NumbersWriter.for_user(user).check(
        scope=values.get("scope"),
        department_id=department.pk if department else None,
        employee_id=employee.pk if employee else None,
    )


@transaction.atomic
def target_create(*, user, as_system: bool = False, **fields: Any) -> Target:
    """``as_system``: a management command (catalog, demo) writing without a signed-in user."""
    values = {name: fields.get(name) for name in TARGET_FIELDS if name in fields}
    values.setdefault("scope", "company")
    target_check(values=values)
    if not as_system:
        _writer_check(user, values)
    _check_not_duplicate(values)
    target = Target(**{k: v for k, v in values.items() if v is not None}, updated_by=user)
    target._history_user = user
    return validate_and_save(target)


@transaction.atomic
def target_update(*, user, target: Target, data: dict[str, Any]) -> Target:
    _writer_check(user, {f: getattr(target, f) for f in ("scope", "department", "employee")})
    values = {name: data.get(name, getattr(target, name)) for name in TARGET_FIELDS}
    target_check(values=values)
    _writer_check(user, values)
    _check_not_duplicate(values, exclude=target.pk)
    apply_changes(instance=target, fields=TARGET_FIELDS, data=values)
    target.updated_by = user
    target._history_user = user
    return validate_and_save(target)


@transaction.atomic
def target_delete(*, user, target: Target) -> None:
    _writer_check(user, {f: getattr(target, f) for f in ("scope", "department", "employee")})
    target._history_user = user
    target.delete()
