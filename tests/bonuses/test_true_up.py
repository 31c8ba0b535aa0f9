"""True-up of approved runs (SPEC §10a) through the services: a corrected department result
raising one line and lowering another under ``recover`` and ``waive``, a late transfer, an
employee with no original line, two successive true-ups, and the refusals — exact to the cent."""

import datetime as dt
from decimal import Decimal as D

import pytest

from apps.bonuses import services
from apps.bonuses.messages import render
from apps.bonuses.models import Line, Run
from apps.departments import roles
from apps.departments.models import Assignment
from apps.kpis.models import KPIResult
from apps.kpis.services import kpi_result_update
from cxoffice.errors import ConflictError
from tests.factories import (
    AssignmentFactory,
    DepartmentFactory,
    EmployeeFactory,
    KPIFactory,
    KPIResultFactory,
    TargetFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
Q3 = "2026-Q3"  # 92 days
START = dt.date(2026, 7, 1)


@pytest.fixture
def world():
    """SPEC §10's plan (CSAT 60 %, late-delivery rate 40 %) over two departments: E1 in CS
    (CSAT 87.5 → 125 %, late 6.5 → 75 %: factor 1.05 → 1,050.00) and E2 in OPS (CSAT 85, late
    5: both 100 % → 1,000.00), each enrolled for the whole quarter at 1,000.00."""
    cs, ops = DepartmentFactory(code="CS"), DepartmentFactory(code="OPS")
    csat = KPIFactory(code="service.csat", aggregation="ratio")
    late = KPIFactory(code="delivery.late_rate", direction="lower_is_better", aggregation="ratio")
    TargetFactory(kpi=csat, threshold=D(80), target=D(85), stretch=D(90))
    TargetFactory(kpi=late, threshold=D(8), target=D(5), stretch=D(3))
    KPIResultFactory(kpi=csat, department=cs, period=Q3, numerator=175, denominator=200)
    KPIResultFactory(kpi=late, department=cs, period=Q3, numerator=13, denominator=200)
    KPIResultFactory(kpi=csat, department=ops, period=Q3, numerator=170, denominator=200)
    KPIResultFactory(kpi=late, department=ops, period=Q3, numerator=10, denominator=200)
    plan = services.plan_create(
        code="Q-CX", name="Quarterly CX bonus", period_type="quarter", currency="EUR",
        components=[
            {"kpi": csat, "weight": D(60), "scope": "department"},
            {"kpi": late, "weight": D(40), "scope": "department"},
        ],
    )  # fmt: skip
    people = {}
    for number, department in (("E1", cs), ("E2", ops)):
        employee = EmployeeFactory(employee_number=number, hire_date=dt.date(2020, 1, 1))
        AssignmentFactory(employee=employee, department=department, start_date=dt.date(2020, 1, 1))
        services.enrollment_create(
            employee=employee, plan=plan, target_amount=D("1000.00"), start_date=START
        )
        people[number] = employee
    hr = UserFactory(username="hr1", roles=[roles.HR])
    approver = UserFactory(username="approver1", roles=[roles.HR_APPROVER])
    steward = UserFactory(username="admin1", is_superuser=True)
    return {"plan": plan, "cs": cs, "ops": ops, "csat": csat, "late": late, "hr": hr,
            "approver": approver, "steward": steward, **people}  # fmt: skip


def approved(world, run=None) -> Run:
    run = run or services.run_create(plan=world["plan"], period=Q3)
    run = services.run_calculate(run=run, user=world["hr"])
    return services.run_approve(run=run, user=world["approver"])


def correct(world, department: str, numerator: int) -> None:
    result = KPIResult.objects.get(kpi=world["csat"], department=world[department], period=Q3)
    kpi_result_update(user=world["steward"], result=result, numerator=numerator)


def lines(run: Run) -> dict[str, tuple]:
    return {
        line.employee.employee_number: (line.amount, line.previously_paid, line.delta)
        for line in Line.objects.filter(run=run).select_related("employee")
    }


def test_a_corrected_result_raises_one_line_and_recovers_from_another(world):
    original = approved(world)
    assert lines(original) == {"E1": (D("1050.00"), None, None), "E2": (D("1000.00"), None, None)}
    correct(world, "cs", 180)  # CSAT 90: payout 150 %, factor 1.2
    correct(world, "ops", 165)  # CSAT 82.5: payout 75 %, factor 0.85
    assert services.run_is_stale(original)
    true_up = services.run_true_up_start(run=original, user=world["hr"])
    assert (true_up.kind, true_up.corrects, true_up.status) == ("true_up", original, "draft")
    true_up = approved(world, true_up)
    assert lines(true_up) == {
        "E1": (D("1200.00"), D("1050.00"), D("150.00")),
        "E2": (D("850.00"), D("1000.00"), D("-150.00")),
    }
    assert true_up.total_amount == D("0.00")  # what the true-up pays: the deltas
    original.refresh_from_db()
    assert (original.status, lines(original)["E1"][0]) == ("approved", D("1050.00"))


def test_waive_turns_a_negative_delta_to_zero_and_the_line_says_so(world):
    world["plan"].true_up_negative = "waive"
    world["plan"].save()
    original = approved(world)
    correct(world, "cs", 180)
    correct(world, "ops", 165)
    true_up = approved(world, services.run_true_up_start(run=original, user=world["hr"]))
    assert lines(true_up) == {
        "E1": (D("1200.00"), D("1050.00"), D("150.00")),
        "E2": (D("850.00"), D("1000.00"), D("0")),
    }
    assert true_up.total_amount == D("150.00")
    e2 = Line.objects.get(run=true_up, employee=world["E2"])
    assert "true_up_waived" in e2.flags
    assert render(e2.explanation)[-1].startswith("True-up: 150 less than paid before (1000)")


def test_a_late_transfer_is_trued_up_by_the_days_in_each_department(world):
    original = approved(world)
    # Recorded after approval: E2 was in CS from 1 September (30 of the 92 days).
    Assignment.objects.filter(employee=world["E2"]).update(end_date=dt.date(2026, 8, 31))
    AssignmentFactory(employee=world["E2"], department=world["cs"], start_date=dt.date(2026, 9, 1))
    true_up = approved(world, services.run_true_up_start(run=original, user=world["hr"]))
    # CSAT (62 × 100 % + 30 × 125 %) / 92, late (62 × 100 % + 30 × 75 %) / 92:
    # factor (0.6 × 99.5 + 0.4 × 84.5) / 92 = 93.5 / 92 → 1,016.304… → 1,016.30.
    assert lines(true_up)["E2"] == (D("1016.30"), D("1000.00"), D("16.30"))
    assert lines(true_up)["E1"] == (D("1050.00"), D("1050.00"), D("0.00"))


def test_an_employee_with_no_original_line_is_paid_the_whole_amount(world):
    # Enrolled, but recorded as hired after the quarter: no eligible days, no line.
    late = EmployeeFactory(employee_number="E3", hire_date=dt.date(2026, 10, 1))
    AssignmentFactory(employee=late, department=world["ops"], start_date=dt.date(2026, 7, 1))
    services.enrollment_create(
        employee=late, plan=world["plan"], target_amount=D("800.00"), start_date=START
    )
    original = approved(world)
    assert "E3" not in lines(original)
    late.hire_date = dt.date(2026, 7, 1)  # the hire date corrected after approval
    late.save()
    true_up = approved(world, services.run_true_up_start(run=original, user=world["hr"]))
    assert lines(true_up)["E3"] == (D("800.00"), D("0"), D("800.00"))
    assert true_up.total_amount == D("800.00")


def test_a_second_true_up_corrects_everything_approved_before_it(world):
    original = approved(world)
    correct(world, "cs", 180)  # E1 1,200.00
    first = approved(world, services.run_true_up_start(run=original, user=world["hr"]))
    assert lines(first)["E1"] == (D("1200.00"), D("1050.00"), D("150.00"))
    correct(world, "cs", 170)  # CSAT 85: payout 100 %, factor 0.9 → 900.00
    assert services.run_is_stale(first)
    second = services.run_true_up_start(run=first, user=world["hr"])
    assert second.corrects == original  # always the original, the chain's approved runs paid
    second = approved(world, second)
    assert lines(second)["E1"] == (D("900.00"), D("1200.00"), D("-300.00"))
    assert lines(second)["E2"] == (D("1000.00"), D("1000.00"), D("0.00"))


def test_refusals_open_run_unchanged_inputs_an_open_true_up_and_four_eyes(world):
    run = services.run_calculate(
        run=services.run_create(plan=world["plan"], period=Q3), user=world["hr"]
    )
    with pytest.raises(ConflictError) as refused:
        services.run_true_up_start(run=run, user=world["hr"])
    assert refused.value.code == "wrong_status"
    original = services.run_approve(run=run, user=world["approver"])
    with pytest.raises(ConflictError) as refused:
        services.run_true_up_start(run=original, user=world["hr"])
    assert refused.value.code == "not_stale"
    correct(world, "cs", 180)
    true_up = services.run_true_up_start(run=original, user=world["hr"])
    with pytest.raises(ConflictError) as refused:
        services.run_true_up_start(run=original, user=world["hr"])
    assert refused.value.code == "true_up_open"
    both = UserFactory(roles=[roles.HR, roles.HR_APPROVER])
    true_up = services.run_calculate(run=true_up, user=both)
    with pytest.raises(ConflictError) as refused:
        services.run_approve(run=true_up, user=both)
    assert refused.value.code == "four_eyes"
    services.run_approve(run=true_up, user=world["approver"])
    with pytest.raises(ConflictError) as refused:
        services.run_calculate(run=true_up, user=world["hr"])
    assert refused.value.code == "run_closed"


def test_hr_starts_a_true_up_from_the_admin_and_the_list_shows_kinds_apart(world, client):
    original = approved(world)
    correct(world, "cs", 180)
    client.force_login(world["steward"])
    url = "/admin/bonuses/run/"
    response = client.post(
        url, {"action": "true_up", "_selected_action": [original.pk]}, follow=True
    )
    assert response.status_code == 200
    true_up = Run.objects.get(corrects=original)
    assert "True-up of Q-CX 2026-Q3 started." in response.content.decode()
    listed = client.get(url, {"kind": "true_up"}).content.decode()
    assert f"/admin/bonuses/run/{true_up.pk}/change/" in listed
    assert f"/admin/bonuses/run/{original.pk}/change/" not in listed
    regular = client.get(url, {"kind": "regular"}).content.decode()
    assert f"/admin/bonuses/run/{original.pk}/change/" in regular
    assert f"/admin/bonuses/run/{true_up.pk}/change/" not in regular
