"""One money helper (apps/bonuses/money.py): each currency's minor unit rounds the line, is
kept whole by the database and shows in the payroll files — fils for the Bahraini dinar, cents
for the euro, whole yen."""

import csv
import datetime as dt
import io
from decimal import Decimal as D

import pytest

from apps.bonuses import exports, money, services
from apps.bonuses.models import Line
from apps.departments import roles
from cxoffice.errors import ApplicationError
from tests.factories import (
    AssignmentFactory,
    DepartmentFactory,
    EmployeeFactory,
    KPIFactory,
    KPIResultFactory,
    TargetFactory,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("currency", "shown"), [("BHD", "1250.156"), ("EUR", "1250.16"), ("JPY", "1250")]
)
def test_each_currency_rounds_and_shows_its_own_minor_unit(currency, shown):
    assert money.format_amount(D("1250.15625"), currency) == shown


@pytest.fixture
def bhd_plan(db):
    cs = DepartmentFactory(code="CS")
    kpi = KPIFactory(code="service.csat")
    TargetFactory(kpi=kpi, threshold=D(80), target=D(85), stretch=D(90))
    KPIResultFactory(kpi=kpi, department=cs, period="2026-Q3", numerator=175, denominator=200)
    plan = services.plan_create(
        code="Q-BH", name="Manama", period_type="quarter", currency="BHD",
        components=[{"kpi": kpi, "weight": D(100), "scope": "department"}],
    )  # fmt: skip
    person = EmployeeFactory(employee_number="B1", hire_date=dt.date(2020, 1, 1))
    AssignmentFactory(employee=person, department=cs, start_date=dt.date(2020, 1, 1))
    return plan, person


def test_a_dinar_line_keeps_its_fils_to_the_payroll_file(bhd_plan, make_user):

    plan, person = bhd_plan
    services.enrollment_create(
        employee=person, plan=plan, target_amount=D("1000.125"), start_date=dt.date(2026, 1, 1)
    )
    run = services.run_calculate(
        run=services.run_create(plan=plan, period="2026-Q3"), user=make_user(roles.HR)
    )
    run = services.run_approve(run=run, user=make_user(roles.HR_APPROVER))
    line = Line.objects.get(run=run)
    assert line.amount == D("1250.156")  # 1,000.125 × 125 % = 1,250.15625 → half-up to fils
    rows = list(csv.reader(io.StringIO(exports.payroll_csv(run).decode("utf-8-sig"))))
    assert rows[1][-1] == "1250.156"


def test_a_target_amount_finer_than_the_currency_is_refused(bhd_plan):
    plan, person = bhd_plan
    plan.currency = "JPY"
    plan.save()
    with pytest.raises(ApplicationError) as refused:
        services.enrollment_create(
            employee=person, plan=plan, target_amount=D("1000.5"), start_date=dt.date(2026, 1, 1)
        )
    assert refused.value.field == "target_amount"
