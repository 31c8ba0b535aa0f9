"""Reads of departments, employees and assignments that other code relies on."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from cxoffice import trees

from .models import Assignment, Department, Employee


def department_list() -> QuerySet[Department]:
    return (
        Department.objects.select_related("parent", "head")
        .annotate(
            employee_count=Count(
                "assignments",
                filter=Q(assignments__start_date__lte=timezone.localdate())
                & (
                    Q(assignments__end_date__isnull=True)
                    | Q(assignments__end_date__gte=timezone.localdate())
                ),
                distinct=True,
            )
        )
        .order_by("code")
    )


def department_parent_map() -> dict[int, int | None]:
    """``{department id: parent id}`` for the whole tree, in one query."""
    return dict(Department.objects.values_list("id", "parent_id"))


def department_descendant_ids(root_ids: set[int], *, parent_map: dict | None = None) -> set[int]:
    """The given departments and every department below them, in at most one query."""
    return trees.descendants(
        department_parent_map() if parent_map is None else parent_map, root_ids
    )


def _assignment_on(day: dt.date) -> QuerySet[Assignment]:
    """The outer employee's assignment covering ``day``, only while they are employed on it."""
    return Assignment.objects.filter(
        Q(employee=OuterRef("pk")),
        Q(start_date__lte=day),
        Q(end_date__isnull=True) | Q(end_date__gte=day),
        Q(employee__hire_date__lte=day),
        Q(employee__leave_date__isnull=True) | Q(employee__leave_date__gte=day),
    )


def employee_list(*, on: dt.date | None = None) -> QuerySet[Employee]:
    """Employees annotated with ``current_department_id`` / ``_code`` / ``_name``.

    The department is the one of the assignment covering ``on`` (today by default); it is empty
    when no assignment covers that day or the employee has left before it.
    """
    covering = _assignment_on(on or timezone.localdate())
    return Employee.objects.select_related("user").annotate(
        current_department_id=Subquery(covering.values("department_id")[:1]),
        current_department_code=Subquery(covering.values("department__code")[:1]),
        current_department_name=Subquery(covering.values("department__name")[:1]),
    )


def employee_current_department(
    employee: Employee, *, on: dt.date | None = None
) -> Department | None:
    day = on or timezone.localdate()
    if employee.hire_date > day or (employee.leave_date and employee.leave_date < day):
        return None
    assignment = (
        employee.assignments.select_related("department")
        .filter(Q(start_date__lte=day), Q(end_date__isnull=True) | Q(end_date__gte=day))
        .first()
    )
    return assignment.department if assignment else None


def assignment_list() -> QuerySet[Assignment]:
    return Assignment.objects.select_related("employee", "department")
