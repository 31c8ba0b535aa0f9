"""A plan of one employee with runs in any state, for the tests of every door's refusals."""

import datetime as dt
from decimal import Decimal as D

import pytest

from apps.bonuses import services
from apps.departments import roles
from tests.factories import (
    AssignmentFactory,
    DepartmentFactory,
    EmployeeFactory,
    KPIFactory,
    KPIResultFactory,
    TargetFactory,
)


@pytest.fixture
def hr(make_user):
    return make_user(roles.HR, username="hr")


@pytest.fixture
def approver(make_user):
    return make_user(roles.HR_APPROVER, username="approver")


@pytest.fixture
def cx_plan(db):
    """Q-CX: CSAT of the employee's department, 100 %; E1 (李梅) in CS, enrolled for 1,000.00;
    CSAT 87.5 in 2026-Q3 and 2026-Q4, so a calculated run pays 1,250.00."""
    cs = DepartmentFactory(code="CS")
    kpi = KPIFactory(code="service.csat")
    TargetFactory(kpi=kpi, threshold=D(80), target=D(85), stretch=D(90))
    for period in ("2026-Q3", "2026-Q4"):
        KPIResultFactory(kpi=kpi, department=cs, period=period, numerator=175, denominator=200)
    plan = services.plan_create(
        code="Q-CX", name="Quarterly", period_type="quarter", currency="EUR",
        components=[{"kpi": kpi, "weight": D(100), "scope": "department"}],
    )  # fmt: skip
    employee = EmployeeFactory(
        employee_number="E1", full_name="李梅", hire_date=dt.date(2020, 1, 1)
    )
    AssignmentFactory(employee=employee, department=cs, start_date=dt.date(2020, 1, 1))
    services.enrollment_create(
        employee=employee, plan=plan, target_amount=D(1000), start_date=dt.date(2026, 1, 1)
    )
    return plan


@pytest.fixture
def make_run(cx_plan, hr, approver):
    """``make_run("2026-Q3", status="approved")``: a run of Q-CX brought to that status."""

    def make(period: str = "2026-Q3", *, status: str = "calculated", is_simulation=False):
        run = services.run_create(plan=cx_plan, period=period, is_simulation=is_simulation)
        if status != "draft":
            run = services.run_calculate(run=run, user=hr)
        if status in ("approved", "paid"):
            run = services.run_approve(run=run, user=approver)
        if status == "paid":
            run = services.run_mark_paid(run=run, user=hr)
        return run

    return make
