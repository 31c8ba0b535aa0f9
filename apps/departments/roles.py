"""The roles of SPEC §12 and the questions other code asks about a user's role.

Roles are Django groups created by a migration (``0002_roles``); each app's later migrations add
the permissions of its own models to them. Group names are stable identifiers and stay English;
what the admin shows of them is translated through :data:`ROLE_LABELS`.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from .models import Department, Employee
from .selectors import department_descendant_ids, employee_list

HR = "HR"
HR_APPROVER = "HR approver"
DATA_STEWARD = "Data steward"
PROJECT_OWNER = "Project owner"
EXECUTIVE = "Executive"
EMPLOYEE = "Employee"

ROLE_LABELS = {
    HR: _("HR"),
    HR_APPROVER: _("HR approver"),
    DATA_STEWARD: _("Data steward"),
    PROJECT_OWNER: _("Project owner"),
    EXECUTIVE: _("Executive"),
    EMPLOYEE: _("Employee"),
}
HR_ROLES = (HR, HR_APPROVER)


def _group_names(user) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    cached = getattr(user, "_cxoffice_groups", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        user._cxoffice_groups = cached
    return cached


def user_is_hr(user) -> bool:
    """HR staff (the compensation team and its approvers) and superusers."""
    if getattr(user, "is_superuser", False) and user.is_active:
        return True
    return bool(_group_names(user) & set(HR_ROLES))


def user_can_see_salaries(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.has_perm(
        "departments.view_salary"
    )


def departments_stewarded_by(user) -> QuerySet[Department]:
    """Departments whose numbers this user keeps: those they steward and everything below them.

    Superusers steward every department; anyone else only what the ``stewards`` lists say.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Department.objects.none()
    if user.is_superuser:
        return Department.objects.all()
    direct = set(user.stewarded_departments.values_list("pk", flat=True))
    if not direct:
        return Department.objects.none()
    return Department.objects.filter(pk__in=department_descendant_ids(direct))


def user_stewards(user, department: Department) -> bool:
    return departments_stewarded_by(user).filter(pk=department.pk).exists()


def employees_visible_to(user) -> set[int] | None:
    """Whose individual numbers (employee-scope KPI results and targets: bonus inputs) this user
    may read: ``None`` for everyone's (HR, superusers); else their own, plus, for a data
    steward, the people currently in the departments they steward (they keep those numbers).
    An employee sees nothing of anyone else's (SPEC §1)."""
    if user_is_hr(user):
        return None
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    visible = set(Employee.objects.filter(user=user).values_list("pk", flat=True))
    stewarded = set(departments_stewarded_by(user).values_list("pk", flat=True))
    if stewarded:
        visible |= set(
            employee_list().filter(current_department_id__in=stewarded).values_list("pk", flat=True)
        )
    return visible
