"""Who may write which numbers (results and targets) — SPEC §12."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from apps.departments.roles import departments_stewarded_by, user_is_hr
from apps.departments.selectors import employee_list
from cxoffice.errors import PermissionDeniedError

from ..models import Scope


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
        if user is None:  # the system itself (computed results from a scheduled task)
            return cls(user=None, everything=True, company=True, departments=set(), hr=True)
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
