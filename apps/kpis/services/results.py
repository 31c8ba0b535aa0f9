"""Writes to KPI results: one at a time, in bulk, or row by row from a file — one set of rules."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from apps.departments.models import Department, Employee
from cxoffice.errors import ApplicationError
from cxoffice.numbers import plain
from cxoffice.services import validate_and_save

from .. import calculations
from ..models import KPI, RATE_UNITS, RATIO_SCALE, Aggregation, KPIResult, Scope, Source, Unit
from ..periods import Period, PeriodError, is_valid_key
from .writers import NumbersWriter


def _decimal(raw: Any, field: str) -> Decimal | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float | str | Decimal):
        raise ApplicationError(_("Give a number."), field=field, code="invalid")
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise ApplicationError(
            _("“%(value)s” is not a number.") % {"value": raw}, field=field, code="invalid"
        ) from None
    if not value.is_finite():
        raise ApplicationError(_("Give a finite number."), field=field, code="invalid")
    if abs(value) >= Decimal(10) ** 16:
        raise ApplicationError(_("The number is too large."), field=field, code="max_value")
    return value


def _unit_range(kpi: KPI) -> tuple[Decimal | None, Decimal | None]:
    low, high = kpi.min_value, kpi.max_value
    if kpi.unit == Unit.PERCENT:
        low = Decimal(0) if low is None else max(low, Decimal(0))
        high = Decimal(100) if high is None else min(high, Decimal(100))
    elif kpi.unit == Unit.RATIO:
        low = Decimal(0) if low is None else low
        high = Decimal(1) if high is None else high
    elif kpi.unit in (Unit.COUNT, Unit.HOURS, Unit.MINUTES, Unit.MILLISECONDS, Unit.PER_THOUSAND):
        low = Decimal(0) if low is None else low
    return low, high


@dataclass(frozen=True)
class ResultValues:
    """A result's numbers after the rules: value derived for ratios, ranges checked."""

    period: Period
    value: Decimal
    numerator: Decimal | None
    denominator: Decimal | None
    sample_size: int | None


def result_values(
    *,
    kpi: KPI,
    period: str,
    value: Any = None,
    numerator: Any = None,
    denominator: Any = None,
    sample_size: Any = None,
) -> ResultValues:
    """Check and complete one result's numbers (SPEC §4); refusals name the field."""
    try:
        parsed = Period.parse(period)
    except PeriodError as error:
        raise ApplicationError(str(error), field="period", code="invalid_period") from error
    value = _decimal(value, "value")
    numerator = _decimal(numerator, "numerator")
    denominator = _decimal(denominator, "denominator")
    if sample_size not in (None, ""):
        if isinstance(sample_size, bool) or not str(sample_size).strip().isdigit():
            raise ApplicationError(
                _("The sample size is a whole number of 0 or more."),
                field="sample_size",
                code="invalid",
            )
        sample_size = int(str(sample_size).strip())
    else:
        sample_size = None
    if (numerator is None) != (denominator is None):
        missing = "denominator" if denominator is None else "numerator"
        raise ApplicationError(
            _("Give both numerator and denominator, or neither."), field=missing, code="required"
        )
    if denominator is not None:
        if denominator == 0:
            raise ApplicationError(
                _("The denominator cannot be 0."), field="denominator", code="zero_denominator"
            )
        if denominator < 0 or numerator < 0:
            field = "denominator" if denominator < 0 else "numerator"
            raise ApplicationError(
                _("Numerator and denominator cannot be negative."), field=field, code="min_value"
            )
        if kpi.unit in RATE_UNITS and numerator > denominator:
            raise ApplicationError(
                _(
                    "The numerator (%(numerator)s) cannot exceed the denominator "
                    "(%(denominator)s) for a rate."
                )
                % {"numerator": plain(numerator), "denominator": plain(denominator)},
                field="numerator",
                code="numerator_exceeds_denominator",
            )
    if kpi.aggregation == Aggregation.RATIO and denominator is not None:
        derived = calculations.ratio_value(numerator, denominator, RATIO_SCALE.get(kpi.unit, 1))
        tolerance = Decimal(1).scaleb(-kpi.decimals) / 2
        if value is not None and abs(value - derived) > tolerance:
            raise ApplicationError(
                _(
                    "The value %(value)s does not match numerator / denominator = %(derived)s; "
                    "leave the value out and it is derived."
                )
                % {"value": plain(value), "derived": plain(derived)},
                field="value",
                code="value_mismatch",
            )
        value = derived
    if value is None:
        raise ApplicationError(
            _("Give a value (or numerator and denominator)."), field="value", code="required"
        )
    check_in_range(kpi, value, "value")
    return ResultValues(
        parsed, calculations.quantize_value(value), numerator, denominator, sample_size
    )


def check_in_range(kpi, value: Decimal | None, field: str) -> None:
    """``value`` lies within the KPI's range (its unit's, or its own min and max): results,
    and the levels of targets and bonus components, are refused outside it."""
    low, high = _unit_range(kpi)
    if value is not None and (
        (low is not None and value < low) or (high is not None and value > high)
    ):
        raise ApplicationError(
            _("%(value)s is outside the range of %(kpi)s: %(low)s to %(high)s.")
            % {
                "value": plain(value),
                "kpi": kpi.code,
                "low": "−∞" if low is None else plain(low),
                "high": "∞" if high is None else plain(high),
            },
            field=field,
            code="out_of_range",
        )


def infer_scope(scope: str | None, *, department: Any, employee: Any) -> str:
    """The scope given, or the one the holder implies: employee, department, else company."""
    if scope:
        return scope
    return Scope.EMPLOYEE if employee else Scope.DEPARTMENT if department else Scope.COMPANY


def check_scope(*, scope: str, department: Any, employee: Any) -> None:
    if scope not in Scope.values:
        raise ApplicationError(
            _("Scope must be company, department or employee."),
            field="scope",
            code="invalid_choice",
        )
    if scope == Scope.DEPARTMENT and department is None:
        raise ApplicationError(
            _("A department result needs a department."), field="department", code="required"
        )
    if scope == Scope.EMPLOYEE and employee is None:
        raise ApplicationError(
            _("An employee result needs an employee."), field="employee", code="required"
        )
    if scope != Scope.DEPARTMENT and department is not None:
        raise ApplicationError(
            _("Only department results name a department."),
            field="department",
            code="scope_holder",
        )
    if scope != Scope.EMPLOYEE and employee is not None:
        raise ApplicationError(
            _("Only employee results name an employee."),
            field="employee",
            code="scope_holder",
        )


def result_key(
    kpi_id: int, scope: str, department_id: int | None, employee_id: int | None, period: str
):
    return (kpi_id, scope, department_id, employee_id, period)


def fill_result(result: KPIResult, values: ResultValues, *, note: str, source: str, user) -> None:
    result.period = values.period.key
    result.period_type = values.period.type
    result.period_start = values.period.start
    result.period_end = values.period.end
    result.period_anchor = values.period.anchor
    result.value = values.value
    result.numerator = values.numerator
    result.denominator = values.denominator
    result.sample_size = values.sample_size
    result.note = note
    result.source = source
    result.entered_by = user
    result._history_user = user


def same_values(result: KPIResult, values: ResultValues, note: str) -> bool:
    def eq(a, b):
        return (a is None and b is None) or (a is not None and b is not None and a == b)

    return (
        eq(result.value, values.value)
        and eq(result.numerator, values.numerator)
        and eq(result.denominator, values.denominator)
        and result.sample_size == values.sample_size
        and result.note == note
    )


@transaction.atomic
def kpi_result_upsert(
    *,
    user,
    kpi: KPI,
    period: str,
    scope: str | None = None,
    department: Department | None = None,
    employee: Employee | None = None,
    value: Any = None,
    numerator: Any = None,
    denominator: Any = None,
    sample_size: Any = None,
    note: str = "",
    source: str = Source.MANUAL,
) -> tuple[KPIResult, str]:
    """Write the one result of (KPI, scope, period): created, updated or unchanged.

    ``scope`` may be left empty: it follows from ``department`` / ``employee``."""
    scope = infer_scope(scope, department=department, employee=employee)
    check_scope(scope=scope, department=department, employee=employee)
    NumbersWriter.for_user(user).check(
        scope=scope,
        department_id=department.pk if department else None,
        employee_id=employee.pk if employee else None,
    )
    values = result_values(
        kpi=kpi,
        period=period,
        value=value,
        numerator=numerator,
        denominator=denominator,
        sample_size=sample_size,
    )
    existing = (
        KPIResult.objects.select_for_update()
        .filter(
            kpi=kpi, scope=scope, department=department, employee=employee, period=values.period.key
        )
        .first()
    )
    if existing is not None and same_values(existing, values, note or ""):
        return existing, "unchanged"
    result = existing or KPIResult(kpi=kpi, scope=scope, department=department, employee=employee)
    kpi_result_write(result=result, values=values, note=note or "", source=source, user=user)
    return result, "updated" if existing else "created"


# What identifies a result (fixed once it exists) and what a change may give.
RESULT_KEY_FIELDS = ("kpi", "scope", "department", "employee", "period")
RESULT_CHANGE_FIELDS = ("value", "numerator", "denominator", "sample_size", "note", "source")


def _same_key_value(result: KPIResult, field: str, given: Any) -> bool:
    if field == "period":
        key = str(given or "").strip()
        return (Period.parse(key).key if is_valid_key(key) else key) == result.period
    if field == "scope":
        return given == result.scope
    stored = getattr(result, KPIResult._meta.get_field(field).attname)
    return (given.pk if given is not None else None) == stored


def kpi_result_check_update(*, user, result: KPIResult, **changes: Any) -> ResultValues:
    """Every rule of changing a stored result (SPEC §4), without writing: the KPI, scope,
    holder and period are fixed (a refusal names the field); the user writes numbers for the
    result's holder; the numbers pass :func:`result_values` as on creation — a ratio's value is
    derived again from a new numerator or denominator unless a value is given with them (the
    same value is checked against them).

    ``changes`` holds only what changes (absent fields keep their stored values); the key fields
    may be repeated unchanged. Returns the checked numbers."""
    unknown = set(changes) - {*RESULT_KEY_FIELDS, *RESULT_CHANGE_FIELDS}
    if unknown:
        raise TypeError(f"kpi_result_update() got unknown fields: {sorted(unknown)}")
    for field in RESULT_KEY_FIELDS:
        if field in changes and not _same_key_value(result, field, changes[field]):
            raise ApplicationError(
                _("A result's %(field)s cannot change once it exists; write a new result instead.")
                % {"field": KPIResult._meta.get_field(field).verbose_name},
                field=field,
                code="immutable",
            )
    NumbersWriter.for_user(user).check(
        scope=result.scope, department_id=result.department_id, employee_id=result.employee_id
    )
    numbers = {
        name: changes.get(name, getattr(result, name))
        for name in ("value", "numerator", "denominator", "sample_size")
    }
    if (
        result.kpi.aggregation == Aggregation.RATIO
        and ("numerator" in changes or "denominator" in changes)
        and "value" not in changes
        and numbers["numerator"] is not None
        and numbers["denominator"] is not None
    ):
        numbers["value"] = None  # derived again from the new numerator and denominator
    return result_values(kpi=result.kpi, period=result.period, **numbers)


@transaction.atomic
def kpi_result_update(*, user, result: KPIResult, **changes: Any) -> KPIResult:
    """Change a stored result's numbers, note or source (every rule: see
    :func:`kpi_result_check_update`). The row is locked and read afresh, so the checks see what
    is stored, not what a form put on ``result``; an unchanged result is not written again (no
    history entry). ``user`` None is the system."""
    stored = (
        KPIResult.objects.select_for_update(of=("self",))
        .select_related("kpi", "department", "employee")
        .get(pk=result.pk)
    )
    values = kpi_result_check_update(user=user, result=stored, **changes)
    note = changes.get("note", stored.note) or ""
    source = changes.get("source", stored.source) or stored.source
    if source == stored.source and same_values(stored, values, note):
        return stored
    return kpi_result_write(result=stored, values=values, note=note, source=source, user=user)


def kpi_result_write(
    *, result: KPIResult, values: ResultValues, note: str, source: str, user
) -> KPIResult:
    """Save checked values on a (new or existing) result, recording who in its history.

    Callers have checked the scope, the user's right to write it and the values (the upsert and
    the file import do)."""
    fill_result(result, values, note=note, source=source, user=user)
    return validate_and_save(result)


@transaction.atomic
def kpi_result_delete(*, user, result: KPIResult) -> None:
    NumbersWriter.for_user(user).check(
        scope=result.scope, department_id=result.department_id, employee_id=result.employee_id
    )
    result._history_user = user
    result.delete()
