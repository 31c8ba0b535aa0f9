"""Every write to departments, employees and assignments, with its rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise
from typing import Any

from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from cxoffice import trees
from cxoffice.errors import ApplicationError
from cxoffice.services import apply_changes, validate_and_save

from .models import Assignment, Department, Employee
from .selectors import department_parent_map

DEPARTMENT_FIELDS = ("code", "name", "parent", "head", "is_active")
EMPLOYEE_FIELDS = (
    "employee_number",
    "full_name",
    "email",
    "user",
    "title",
    "hire_date",
    "leave_date",
    "is_executive",
    "base_salary",
)
ASSIGNMENT_FIELDS = ("department", "start_date", "end_date")


# --- departments -------------------------------------------------------------------------------


def department_check_parent(*, department: Department | None, parent: Department | None) -> None:
    """Refuse a parent that would make the department its own ancestor."""
    if parent is None or department is None or department.pk is None:
        return
    if trees.would_cycle(department_parent_map(), department.pk, parent.pk):
        raise ApplicationError(
            _(
                "%(parent)s is below %(department)s in the tree; a department cannot become "
                "its own ancestor."
            )
            % {"parent": parent.code, "department": department.code},
            field="parent",
            code="cycle",
        )


@transaction.atomic
def department_create(
    *,
    code: str,
    name: str,
    parent: Department | None = None,
    head: Employee | None = None,
    is_active: bool = True,
) -> Department:
    department = Department(code=code, name=name, parent=parent, head=head, is_active=is_active)
    return validate_and_save(department)


@transaction.atomic
def department_update(*, department: Department, data: dict[str, Any]) -> Department:
    if "parent" in data:
        # Tree moves are rare: lock every department so two concurrent moves cannot build a
        # cycle that neither saw.
        list(Department.objects.select_for_update().values_list("pk", flat=True))
        department_check_parent(department=department, parent=data["parent"])
    apply_changes(instance=department, fields=DEPARTMENT_FIELDS, data=data)
    return validate_and_save(department)


# --- assignments --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stint:
    """One assignment's days, as the overlap and employment checks see it."""

    key: object
    department: str
    start: dt.date
    end: dt.date | None


def _day(value: dt.date | None) -> str:
    return date_format(value, "Y-m-d") if value else _("open end")


def find_overlap(stints: Iterable[Stint]) -> tuple[Stint, Stint] | None:
    """The first two stints sharing a day (end dates inclusive, open ends run forever), or None."""
    ordered = sorted(stints, key=lambda stint: stint.start)
    for earlier, later in pairwise(ordered):
        if earlier.end is None or later.start <= earlier.end:
            return earlier, later
    return None


def check_stints(*, hire_date: dt.date, leave_date: dt.date | None, stints: list[Stint]) -> None:
    """An employee's assignments lie within their employment and never overlap."""
    for stint in stints:
        if stint.end is not None and stint.end < stint.start:
            raise ApplicationError(
                _("The end date cannot be before the start date."),
                field="end_date",
                code="reversed_dates",
            )
        if stint.start < hire_date:
            raise ApplicationError(
                _("The assignment starts on %(start)s, before the hire date %(hire)s.")
                % {"start": _day(stint.start), "hire": _day(hire_date)},
                field="start_date",
                code="outside_employment",
            )
        if leave_date is not None and (
            stint.start > leave_date or (stint.end is not None and stint.end > leave_date)
        ):
            raise ApplicationError(
                _("The assignment runs past the leave date %(leave)s.")
                % {"leave": _day(leave_date)},
                field="end_date",
                code="outside_employment",
            )
    overlap = find_overlap(stints)
    if overlap:
        first, second = overlap
        raise ApplicationError(
            _(
                "The assignment %(start)s – %(end)s in %(department)s overlaps the assignment "
                "%(other_start)s – %(other_end)s in %(other_department)s; an employee belongs to "
                "one department at a time."
            )
            % {
                "start": _day(second.start),
                "end": _day(second.end),
                "department": second.department,
                "other_start": _day(first.start),
                "other_end": _day(first.end),
                "other_department": first.department,
            },
            field="start_date",
            code="overlap",
        )


def employee_stints(employee: Employee, *, exclude: Iterable[object] = ()) -> list[Stint]:
    excluded = set(exclude)
    return [
        Stint(key=a.pk, department=a.department.code, start=a.start_date, end=a.end_date)
        for a in employee.assignments.select_related("department")
        if a.pk not in excluded
    ]


def assignment_validate(
    *,
    employee: Employee,
    department: Department,
    start_date: dt.date,
    end_date: dt.date | None,
    instance: Assignment | None = None,
) -> None:
    """The checks of :func:`assignment_create` / :func:`assignment_update`, without writing."""
    key = instance.pk if instance and instance.pk else "new"
    stints = employee_stints(employee, exclude=[key]) if employee.pk else []
    stints.append(Stint(key=key, department=department.code, start=start_date, end=end_date))
    check_stints(hire_date=employee.hire_date, leave_date=employee.leave_date, stints=stints)


def _lock_employee(employee: Employee) -> Employee:
    """Serialise writes to one employee's assignments (row lock on PostgreSQL)."""
    return Employee.objects.select_for_update().get(pk=employee.pk)


@transaction.atomic
def assignment_create(
    *,
    employee: Employee,
    department: Department,
    start_date: dt.date,
    end_date: dt.date | None = None,
) -> Assignment:
    employee = _lock_employee(employee)
    assignment_validate(
        employee=employee, department=department, start_date=start_date, end_date=end_date
    )
    assignment = Assignment(
        employee=employee, department=department, start_date=start_date, end_date=end_date
    )
    return validate_and_save(assignment)


@transaction.atomic
def assignment_update(*, assignment: Assignment, data: dict[str, Any]) -> Assignment:
    employee = _lock_employee(assignment.employee)
    if "employee" in data and data["employee"].pk != employee.pk:
        raise ApplicationError(
            _("An assignment cannot move to another employee; end it and create a new one."),
            field="employee",
            code="immutable",
        )
    apply_changes(instance=assignment, fields=ASSIGNMENT_FIELDS, data=data)
    assignment_validate(
        employee=employee,
        department=assignment.department,
        start_date=assignment.start_date,
        end_date=assignment.end_date,
        instance=assignment,
    )
    return validate_and_save(assignment)


@transaction.atomic
def assignment_delete(*, assignment: Assignment) -> None:
    assignment.delete()


# --- employees ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssignmentChange:
    """One row of an employee's assignment history to write together with the employee.

    ``instance`` None means a new assignment; ``delete`` removes ``instance``.
    """

    instance: Assignment | None
    department: Department | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    delete: bool = False


def _planned_stints(employee: Employee, changes: Iterable[AssignmentChange]) -> list[Stint]:
    changes = list(changes)
    touched = {change.instance.pk for change in changes if change.instance is not None}
    stints = employee_stints(employee, exclude=touched) if employee.pk else []
    for index, change in enumerate(changes):
        if not change.delete:
            key = change.instance.pk if change.instance is not None else f"new-{index}"
            stints.append(
                Stint(
                    key=key,
                    department=change.department.code,
                    start=change.start_date,
                    end=change.end_date,
                )
            )
    return stints


def employee_validate(
    *,
    employee: Employee,
    hire_date: dt.date,
    leave_date: dt.date | None,
    assignment_changes: Iterable[AssignmentChange] = (),
) -> None:
    """Employment dates in order, and every assignment (after the changes) inside the employment
    and not overlapping another. Assignment problems caused by a hire/leave date name that field."""
    if leave_date is not None and leave_date < hire_date:
        raise ApplicationError(
            _("The leave date cannot be before the hire date."),
            field="leave_date",
            code="reversed_dates",
        )
    changes = list(assignment_changes)
    try:
        check_stints(
            hire_date=hire_date, leave_date=leave_date, stints=_planned_stints(employee, changes)
        )
    except ApplicationError as error:
        if error.code != "outside_employment" or changes:
            raise
        field = "hire_date" if error.field == "start_date" else "leave_date"
        raise ApplicationError(error.message, field=field, code=error.code) from error


@transaction.atomic
def employee_save(
    *,
    employee: Employee | None,
    data: dict[str, Any],
    assignment_changes: Iterable[AssignmentChange] = (),
) -> Employee:
    """Create (``employee`` None) or update an employee together with assignment changes,
    validating the final state as a whole (the admin's employee page writes through here)."""
    changes = list(assignment_changes)
    employee = Employee() if employee is None or employee.pk is None else _lock_employee(employee)
    hire_date = data.get("hire_date", employee.hire_date)
    leave_date = data.get("leave_date", employee.leave_date)
    if hire_date is None:
        raise ApplicationError(
            _("An employee needs a hire date."), field="hire_date", code="required"
        )
    employee_validate(
        employee=employee, hire_date=hire_date, leave_date=leave_date, assignment_changes=changes
    )
    apply_changes(instance=employee, fields=EMPLOYEE_FIELDS, data=data)
    validate_and_save(employee)
    for change in changes:
        if change.delete:
            change.instance.delete()
    for change in changes:
        if change.delete:
            continue
        assignment = change.instance or Assignment(employee=employee)
        assignment.department = change.department
        assignment.start_date = change.start_date
        assignment.end_date = change.end_date
        validate_and_save(assignment)
    return employee


def employee_create(
    *,
    employee_number: str,
    full_name: str,
    hire_date: dt.date,
    email: str = "",
    user=None,
    title: str = "",
    leave_date: dt.date | None = None,
    is_executive: bool = False,
    base_salary: Decimal | None = None,
) -> Employee:
    return employee_save(
        employee=None,
        data={
            "employee_number": employee_number,
            "full_name": full_name,
            "hire_date": hire_date,
            "email": email,
            "user": user,
            "title": title,
            "leave_date": leave_date,
            "is_executive": is_executive,
            "base_salary": base_salary,
        },
    )


def employee_update(*, employee: Employee, data: dict[str, Any]) -> Employee:
    return employee_save(employee=employee, data=data)
