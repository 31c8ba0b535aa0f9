"""Many results at once — the bulk API and file imports — with every rule of a single write."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history

from apps.departments.models import Department, Employee
from cxoffice.db import bulk_update_values
from cxoffice.errors import ApplicationError, PermissionDeniedError, RowError, RowsError

from ..models import KPI, KPIResult, Source
from .results import (
    ResultValues,
    check_scope,
    fill_result,
    infer_scope,
    result_key,
    result_values,
    same_values,
)
from .writers import NumbersWriter

# Lazy: translated only when a row is refused, not for each of 100,000 good rows.
THE_KPI, THE_DEPARTMENT, THE_EMPLOYEE = (
    gettext_lazy("KPI"),
    gettext_lazy("department"),
    gettext_lazy("employee"),
)

# What an upsert can change: the period is part of a result's identity, so its dates cannot.
BULK_UPDATE_FIELDS = [
    "value", "numerator", "denominator", "sample_size", "note", "source", "entered_by",
    "updated_at",
]  # fmt: skip


@dataclass(frozen=True)
class ResultRow:
    """One checked row: what to write and where."""

    kpi: KPI
    scope: str
    department: Department | None
    employee: Employee | None
    values: ResultValues
    note: str

    @property
    def key(self) -> tuple:
        return result_key(
            self.kpi.pk,
            self.scope,
            self.department.pk if self.department else None,
            self.employee.pk if self.employee else None,
            self.values.period.key,
        )

    def is_unchanged(self, result: KPIResult) -> bool:
        return same_values(result, self.values, self.note)


class ResultRowReader:
    """Checks rows of results (dicts of codes and numbers) with every rule of a single write.

    Looks up KPIs, departments and employees once, so reading 100,000 rows costs a fixed
    number of queries. Row keys: ``kpi`` (code, or id as an integer), ``scope`` (inferred from
    ``department`` / ``employee`` when absent), ``department`` (code), ``employee`` (employee
    number), ``period``, ``value`` or ``numerator`` + ``denominator``, ``sample_size``,
    ``note``. A second row for the same KPI, scope and period is refused.
    """

    def __init__(self, *, user) -> None:
        self.writer = NumbersWriter.for_user(user)
        self.kpis = {kpi.code: kpi for kpi in KPI.objects.all()}
        self.kpis_by_id = {kpi.pk: kpi for kpi in self.kpis.values()}
        self.departments = {d.code: d for d in Department.objects.only("id", "code")}
        self.departments_by_id = {d.pk: d for d in self.departments.values()}
        self.employees = {
            e.employee_number: e for e in Employee.objects.only("id", "employee_number")
        }
        self.employees_by_id = {e.pk: e for e in self.employees.values()}
        self._seen: dict[tuple, object] = {}

    @staticmethod
    def _find(raw: Any, by_code: Mapping, by_id: Mapping, field: str, what: str):
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        found = None
        if isinstance(raw, int) and not isinstance(raw, bool):
            found = by_id.get(raw)
        elif isinstance(raw, str):
            found = by_code.get(raw.strip())
        if found is None:
            raise ApplicationError(
                _("Unknown %(what)s “%(value)s”.") % {"what": what, "value": raw},
                field=field,
                code="does_not_exist",
            )
        return found

    def read(self, row: Mapping[str, Any], *, label: object = None) -> ResultRow:
        """Check one row; ``label`` (its row number) is quoted if a later row repeats its key."""
        if not isinstance(row, Mapping):
            raise ApplicationError(_("Each row is an object."), field=None, code="invalid")
        kpi = self._find(row.get("kpi"), self.kpis, self.kpis_by_id, "kpi", THE_KPI)
        if kpi is None:
            raise ApplicationError(_("Give the KPI code."), field="kpi", code="required")
        department = self._find(
            row.get("department"), self.departments, self.departments_by_id, "department",
            THE_DEPARTMENT,
        )  # fmt: skip
        employee = self._find(
            row.get("employee"), self.employees, self.employees_by_id, "employee", THE_EMPLOYEE
        )
        raw_scope = row.get("scope")
        scope = infer_scope(
            raw_scope.strip() if isinstance(raw_scope, str) else raw_scope,
            department=department,
            employee=employee,
        )
        check_scope(scope=scope, department=department, employee=employee)
        self.writer.check(
            scope=scope,
            department_id=department.pk if department else None,
            employee_id=employee.pk if employee else None,
        )
        period = row.get("period")
        values = result_values(
            kpi=kpi,
            period=period.strip() if isinstance(period, str) else period,
            value=row.get("value"),
            numerator=row.get("numerator"),
            denominator=row.get("denominator"),
            sample_size=row.get("sample_size"),
        )
        note = row.get("note") or ""
        if not isinstance(note, str):
            raise ApplicationError(_("The note is text."), field="note", code="invalid")
        checked = ResultRow(kpi, scope, department, employee, values, note)
        if checked.key in self._seen:
            raise ApplicationError(
                _("Same KPI, scope and period as row %(other)s.")
                % {"other": self._seen[checked.key]},
                field="period",
                code="duplicate",
            )
        self._seen[checked.key] = label
        return checked


def existing_results(rows: Iterable[ResultRow], *, lock: bool = False) -> dict[tuple, KPIResult]:
    """The stored results of these rows' keys, in one query."""
    rows = list(rows)
    if not rows:
        return {}
    queryset = KPIResult.objects.filter(
        kpi_id__in={row.kpi.pk for row in rows}, period__in={row.values.period.key for row in rows}
    )
    if lock:
        queryset = queryset.select_for_update()
    wanted = {row.key for row in rows}
    found = {}
    for result in queryset.iterator(chunk_size=5000):
        key = result_key(
            result.kpi_id, result.scope, result.department_id, result.employee_id, result.period
        )
        if key in wanted:
            found[key] = result
    return found


@transaction.atomic
def kpi_results_bulk_upsert(
    *, user, rows: Sequence[Mapping[str, Any]], source: str = Source.IMPORT
) -> dict[str, int]:
    """Upsert many results, all or nothing.

    Every row is checked (:class:`ResultRowReader`) before anything is written; refused rows
    raise :class:`RowsError` listing each by its 0-based index — 403 when any row is outside the
    user's stewardship, else 400. Costs a fixed number of queries whatever the row count and
    writes in batches, with one history entry per created or changed result.
    """
    reader = ResultRowReader(user=user)
    errors: list[RowError] = []
    forbidden = False
    checked: list[ResultRow] = []
    for index, row in enumerate(rows):
        try:
            checked.append(reader.read(row, label=index))
        except ApplicationError as error:
            forbidden = forbidden or isinstance(error, PermissionDeniedError)
            errors.append(RowError(index, error.field, str(error.message), error.code))
    if errors:
        raise RowsError(errors, status_code=403 if forbidden else 400)

    existing = existing_results(checked, lock=True)
    to_create: list[KPIResult] = []
    to_update: list[KPIResult] = []
    unchanged = 0
    now = timezone.now()
    for row in checked:
        result = existing.get(row.key)
        if result is not None and row.is_unchanged(result):
            unchanged += 1
            continue
        if result is None:
            result = KPIResult(
                kpi=row.kpi, scope=row.scope, department=row.department, employee=row.employee
            )
            to_create.append(result)
        else:
            to_update.append(result)
        fill_result(result, row.values, note=row.note, source=source, user=user)
        result.updated_at = now
    if to_create:
        bulk_create_with_history(to_create, KPIResult, batch_size=2000, default_user=user)
    if to_update:
        bulk_update_values(to_update, BULK_UPDATE_FIELDS)
        KPIResult.history.bulk_history_create(
            to_update, update=True, default_user=user, batch_size=2000
        )
    return {"created": len(to_create), "updated": len(to_update), "unchanged": unchanged}
