"""Demo data for departments, people and roles (``manage.py load_demo``). Idempotent."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from . import roles, services
from .catalog import STANDARD_DEPARTMENTS
from .models import Department, Employee

DEMO_PASSWORD = "cxoffice-demo"

# The standard departments, with Distribution split in two regions (so it rolls up).
DEPARTMENTS = [
    *STANDARD_DEPARTMENTS[:2],
    ("DIST-N", "Distribution North", "DIST"),
    ("DIST-S", "Distribution South", "DIST"),
    *STANDARD_DEPARTMENTS[2:],
]

FIRST = [
    "Ana",
    "Bruno",
    "Chen",
    "Daniela",
    "Eduardo",
    "Fang",
    "Gabriel",
    "Hui",
    "Isabela",
    "João",
    "Kai",
    "Larissa",
    "Mei",
    "Nuno",
    "Olivia",
    "Pedro",
    "Qing",
    "Rafael",
    "Sofia",
    "Tiago",
    "Ursula",
    "Vitor",
    "Wei",
    "Xin",
    "Yara",
    "Zhou",
]
LAST = [
    "Almeida",
    "Barbosa",
    "Costa",
    "Dias",
    "Li",
    "Ferreira",
    "Gomes",
    "Huang",
    "Lima",
    "Martins",
    "Nunes",
    "Oliveira",
    "Pereira",
    "Ribeiro",
    "Santos",
    "Wang",
    "Zhang",
]
TITLES = {
    "DIST-N": "Delivery coordinator",
    "DIST-S": "Delivery coordinator",
    "DIST": "Logistics analyst",
    "CS": "Customer service agent",
    "PROD": "Category manager",
    "WH": "Warehouse associate",
    "IT": "Software engineer",
    "MKT": "Marketing specialist",
    "QC": "Quality inspector",
    "CO": "Chief officer",
}
EXECUTIVES = [
    ("E0001", "Helena Souza", "Chief Executive Officer"),
    ("E0002", "Marcos Tan", "Chief Operating Officer"),
    ("E0003", "Lin Yue", "Chief Customer Officer"),
    ("E0004", "Carla Mendes", "Chief Technology Officer"),
]

# username → (role group, employee number to link, superuser)
USERS = {
    "admin": (None, None, True),
    "hr": (roles.HR, "E0010", False),
    "hr_approver": (roles.HR_APPROVER, "E0011", False),
    "steward": (roles.DATA_STEWARD, "E0012", False),
    "owner": (roles.PROJECT_OWNER, "E0013", False),
    "executive": (roles.EXECUTIVE, "E0003", False),
    "employee": (roles.EMPLOYEE, "E0020", False),
}


@transaction.atomic
def load(*, seed: int = 2026) -> dict[str, int]:
    rng = random.Random(seed)
    departments: dict[str, Department] = {}
    for code, name, parent in DEPARTMENTS:
        existing = Department.objects.filter(code=code).first()
        if existing is None:
            existing = services.department_create(
                code=code, name=name, parent=departments.get(parent)
            )
        departments[code] = existing

    created = 0
    people: list[tuple[str, str, str, str]] = [(n, f, t, "CO") for n, f, t in EXECUTIVES]
    working = [c for c, _n, _p in DEPARTMENTS if c not in ("CO", "DIST")]
    for index in range(10, 46):
        dept = working[index % len(working)]
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        people.append((f"E{index:04d}", name, TITLES[dept], dept))
    for number, full_name, title, dept in people:
        if Employee.objects.filter(employee_number=number).exists():
            continue
        hire = dt.date(2019, 1, 1) + dt.timedelta(days=rng.randrange(0, 6 * 365))
        changes = []
        if number.endswith(("5", "8")) and dept != "CO":
            # Some people moved between departments: an earlier stint somewhere else.
            first_dept = departments[rng.choice([c for c in working if c != dept])]
            moved = hire + dt.timedelta(days=rng.randrange(120, 500))
            changes.append(
                services.AssignmentChange(
                    instance=None,
                    department=first_dept,
                    start_date=hire,
                    end_date=moved - dt.timedelta(days=1),
                )
            )
            hire_dept_start = moved
        else:
            hire_dept_start = hire
        changes.append(
            services.AssignmentChange(
                instance=None, department=departments[dept], start_date=hire_dept_start
            )
        )
        services.employee_save(
            employee=None,
            data={
                "employee_number": number,
                "full_name": full_name,
                "email": f"{number.lower()}@cxoffice.example",
                "title": title,
                "hire_date": hire,
                "is_executive": dept == "CO",
                "base_salary": Decimal(rng.randrange(36_000, 180_000, 500)),
            },
            assignment_changes=changes,
        )
        created += 1

    # Department heads: the first employee of each department, unless one is set.
    for code, department in departments.items():
        if department.head_id is None:
            head = (
                Employee.objects.filter(
                    assignments__department=department, assignments__end_date__isnull=True
                )
                .order_by("employee_number")
                .first()
            )
            if code == "CO":
                head = Employee.objects.get(employee_number="E0001")
            if head is not None:
                services.department_update(department=department, data={"head": head})

    User = get_user_model()
    for username, (role, employee_number, superuser) in USERS.items():
        user, _created = User.objects.get_or_create(username=username)
        user.is_staff = role != roles.EMPLOYEE
        user.is_superuser = superuser
        user.email = f"{username}@cxoffice.example"
        user.set_password(DEMO_PASSWORD)
        user.save()
        if role:
            user.groups.set([Group.objects.get(name=role)])
        if employee_number:
            Employee.objects.filter(user=user).exclude(employee_number=employee_number).update(
                user=None
            )
            employee = Employee.objects.get(employee_number=employee_number)
            services.employee_update(employee=employee, data={"user": user})
    departments["DIST"].stewards.add(User.objects.get(username="steward"))
    return {"departments": len(departments), "employees_created": created, "users": len(USERS)}
