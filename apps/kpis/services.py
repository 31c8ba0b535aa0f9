"""Every write to KPIs and their results, with the rules of SPEC §4 and §13."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from apps.departments.models import Department, Employee
from apps.departments.roles import departments_stewarded_by, user_is_hr
from apps.departments.selectors import employee_list
from cxoffice import trees
from cxoffice.errors import ApplicationError, PermissionDeniedError, RowError, RowsError
from cxoffice.numbers import plain
from cxoffice.services import apply_changes, validate_and_save

from . import calculations
from .models import KPI, RATE_UNITS, RATIO_SCALE, Aggregation, KPIResult, Scope, Source, Unit
from .periods import Period, PeriodError

KPI_FIELDS = (
    "code", "name", "description", "department", "unit", "direction", "aggregation",
    "frequency", "decimals", "parent", "source", "min_value", "max_value", "is_active",
)  # fmt: skip
BULK_UPDATE_FIELDS = [
    "period_type", "period_start", "period_end", "period_anchor", "value", "numerator",
    "denominator", "sample_size", "note", "source", "entered_by", "updated_at",
]  # fmt: skip

# --- KPIs ----------------------------------------------------------------------------------------


def kpi_check_parent(*, kpi: KPI | None, parent: KPI | None) -> None:
    if kpi is None or kpi.pk is None or parent is None:
        return
    parent_map = dict(KPI.objects.values_list("id", "parent_id"))
    if trees.would_cycle(parent_map, kpi.pk, parent.pk):
        raise ApplicationError(
            _("%(parent)s is below %(kpi)s in the KPI tree; a KPI cannot become its own ancestor.")
            % {"parent": parent.code, "kpi": kpi.code},
            field="parent",
            code="cycle",
        )


@transaction.atomic
def kpi_create(**fields: Any) -> KPI:
    return validate_and_save(KPI(**{k: v for k, v in fields.items() if k in KPI_FIELDS}))


@transaction.atomic
def kpi_update(*, kpi: KPI, data: dict[str, Any]) -> KPI:
    if "parent" in data:
        list(KPI.objects.select_for_update().values_list("pk", flat=True))
        kpi_check_parent(kpi=kpi, parent=data["parent"])
    apply_changes(instance=kpi, fields=KPI_FIELDS, data=data)
    return validate_and_save(kpi)


# --- who may write numbers ---------------------------------------------------------------------


@dataclass
class NumbersWriter:
    """What one user may write, worked out once per request (a bulk of 100,000 rows asks it
    100,000 times)."""

    user: Any
    everything: bool
    company: bool
    departments: set[int]
    hr: bool
    _employee_departments: dict[int, int | None] | None = None

    @classmethod
    def for_user(cls, user) -> NumbersWriter:
        everything = bool(getattr(user, "is_superuser", False))
        return cls(
            user=user,
            everything=everything,
            company=everything or user.has_perm("kpis.write_company_numbers"),
            departments=set(departments_stewarded_by(user).values_list("pk", flat=True)),
            hr=user_is_hr(user),
        )

    def may_write(self, *, scope: str, department_id: int | None, employee_id: int | None) -> bool:
        """Superusers: everything. Company numbers: the ``write_company_numbers`` permission.
        Department numbers: data stewards of that department (or a department above it).
        Employee numbers: HR, or the steward of the employee's current department."""
        if self.everything:
            return True
        if scope == Scope.COMPANY:
            return self.company
        if scope == Scope.DEPARTMENT:
            return department_id in self.departments
        if self.hr:
            return True
        if self._employee_departments is None:
            self._employee_departments = dict(
                employee_list().values_list("pk", "current_department_id")
            )
        return self._employee_departments.get(employee_id) in self.departments

    def check(self, *, scope: str, department_id: int | None, employee_id: int | None) -> None:
        if not self.may_write(scope=scope, department_id=department_id, employee_id=employee_id):
            field = {"company": "scope", "department": "department"}.get(scope, "employee")
            raise PermissionDeniedError(
                _("You may write numbers only for the departments you steward."),
                field=field,
                code="not_steward",
            )


# --- results -------------------------------------------------------------------------------------


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
    low, high = _unit_range(kpi)
    if (low is not None and value < low) or (high is not None and value > high):
        raise ApplicationError(
            _("%(value)s is outside the range of %(kpi)s: %(low)s to %(high)s.")
            % {
                "value": plain(value),
                "kpi": kpi.code,
                "low": "−∞" if low is None else plain(low),
                "high": "∞" if high is None else plain(high),
            },
            field="value",
            code="out_of_range",
        )
    return ResultValues(
        parsed, calculations.quantize_value(value), numerator, denominator, sample_size
    )


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
            _("Only department results name a department."), field="department", code="invalid"
        )
    if scope != Scope.EMPLOYEE and employee is not None:
        raise ApplicationError(
            _("Only employee results name an employee."), field="employee", code="invalid"
        )


def _key(kpi_id: int, scope: str, department_id: int | None, employee_id: int | None, period: str):
    return (kpi_id, scope, department_id, employee_id, period)


def _fill(result: KPIResult, values: ResultValues, *, note: str, source: str, user) -> None:
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


def _same(result: KPIResult, values: ResultValues, note: str) -> bool:
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
    scope: str,
    period: str,
    department: Department | None = None,
    employee: Employee | None = None,
    value: Any = None,
    numerator: Any = None,
    denominator: Any = None,
    sample_size: Any = None,
    note: str = "",
    source: str = Source.MANUAL,
) -> tuple[KPIResult, str]:
    """Write the one result of (KPI, scope, period): created, updated or unchanged."""
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
    if existing is not None and _same(existing, values, note or ""):
        return existing, "unchanged"
    result = existing or KPIResult(kpi=kpi, scope=scope, department=department, employee=employee)
    _fill(result, values, note=note or "", source=source, user=user)
    validate_and_save(result)
    return result, "updated" if existing else "created"


@transaction.atomic
def kpi_result_delete(*, user, result: KPIResult) -> None:
    NumbersWriter.for_user(user).check(
        scope=result.scope, department_id=result.department_id, employee_id=result.employee_id
    )
    result._history_user = user
    result.delete()


def _lookup(raw: Any, table: Mapping[str, Any], by_id: Mapping[int, Any], field: str, what: str):
    if raw is None or raw == "":
        return None
    if isinstance(raw, int) and not isinstance(raw, bool):
        found = by_id.get(raw)
    elif isinstance(raw, str):
        found = table.get(raw.strip())
    else:
        found = None
    if found is None:
        raise ApplicationError(
            _("Unknown %(what)s “%(value)s”.") % {"what": what, "value": raw},
            field=field,
            code="does_not_exist",
        )
    return found


@transaction.atomic
def kpi_results_bulk_upsert(
    *, user, rows: Sequence[Mapping[str, Any]], source: str = Source.IMPORT
) -> dict[str, int]:
    """Upsert many results at once, all or nothing.

    Rows carry codes: ``kpi`` (code or id), ``scope``, ``department`` (code), ``employee``
    (employee number), ``period``, ``value`` / ``numerator`` / ``denominator``,
    ``sample_size``, ``note``. Every row is checked before anything is written; any refused row
    raises :class:`RowsError` listing each refused row by its 0-based index (403 when a row is
    outside the user's stewardship). Reads a fixed number of queries whatever the row count and
    writes in batches, with one history entry per created or changed result.
    """
    kpis = {k.code: k for k in KPI.objects.all()}
    kpis_by_id = {k.pk: k for k in kpis.values()}
    departments = {d.code: d for d in Department.objects.only("id", "code")}
    departments_by_id = {d.pk: d for d in departments.values()}
    employees = {e.employee_number: e for e in Employee.objects.only("id", "employee_number")}
    employees_by_id = {e.pk: e for e in employees.values()}
    writer = NumbersWriter.for_user(user)

    errors: list[RowError] = []
    forbidden = False
    prepared: dict[tuple, tuple[int, KPI, Any, Any, str, ResultValues, str]] = {}
    for index, row in enumerate(rows):
        try:
            if not isinstance(row, Mapping):
                raise ApplicationError(_("Each row is an object."), field=None, code="invalid")
            kpi = _lookup(row.get("kpi"), kpis, kpis_by_id, "kpi", _("KPI"))
            if kpi is None:
                raise ApplicationError(_("Give the KPI code."), field="kpi", code="required")
            scope = row.get("scope") or (
                Scope.EMPLOYEE
                if row.get("employee")
                else Scope.DEPARTMENT
                if row.get("department")
                else Scope.COMPANY
            )
            department = _lookup(
                row.get("department"), departments, departments_by_id, "department", _("department")
            )
            employee = _lookup(
                row.get("employee"), employees, employees_by_id, "employee", _("employee")
            )
            check_scope(scope=scope, department=department, employee=employee)
            writer.check(
                scope=scope,
                department_id=department.pk if department else None,
                employee_id=employee.pk if employee else None,
            )
            values = result_values(
                kpi=kpi,
                period=row.get("period") if isinstance(row.get("period"), str) else "",
                value=row.get("value"),
                numerator=row.get("numerator"),
                denominator=row.get("denominator"),
                sample_size=row.get("sample_size"),
            )
            note = row.get("note") or ""
            if not isinstance(note, str):
                raise ApplicationError(_("The note is text."), field="note", code="invalid")
            key = _key(
                kpi.pk,
                scope,
                department.pk if department else None,
                employee.pk if employee else None,
                values.period.key,
            )
            if key in prepared:
                raise ApplicationError(
                    _("Same KPI, scope and period as row %(other)s.") % {"other": prepared[key][0]},
                    field="period",
                    code="duplicate",
                )
            prepared[key] = (index, kpi, department, employee, scope, values, note)
        except PermissionDeniedError as error:
            forbidden = True
            errors.append(RowError(index, error.field, str(error.message), error.code))
        except ApplicationError as error:
            errors.append(RowError(index, error.field, str(error.message), error.code))
    if errors:
        raise RowsError(errors, status_code=403 if forbidden else 400)

    existing: dict[tuple, KPIResult] = {}
    if prepared:
        candidates = KPIResult.objects.filter(
            kpi_id__in={key[0] for key in prepared}, period__in={key[4] for key in prepared}
        ).select_for_update()
        for result in candidates.iterator(chunk_size=5000):
            key = _key(
                result.kpi_id, result.scope, result.department_id, result.employee_id, result.period
            )
            if key in prepared:
                existing[key] = result

    to_create: list[KPIResult] = []
    to_update: list[KPIResult] = []
    unchanged = 0
    now = timezone.now()
    for key, (_index, kpi, department, employee, scope, values, note) in prepared.items():
        result = existing.get(key)
        if result is not None and _same(result, values, note):
            unchanged += 1
            continue
        if result is None:
            result = KPIResult(kpi=kpi, scope=scope, department=department, employee=employee)
            to_create.append(result)
        else:
            to_update.append(result)
        _fill(result, values, note=note, source=source, user=user)
        result.updated_at = now
    if to_create:
        bulk_create_with_history(to_create, KPIResult, batch_size=2000, default_user=user)
    if to_update:
        bulk_update_with_history(
            to_update,
            KPIResult,
            fields=BULK_UPDATE_FIELDS,
            batch_size=2000,
            default_user=user,
        )
    return {"created": len(to_create), "updated": len(to_update), "unchanged": unchanged}
