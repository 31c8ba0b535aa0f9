"""A plan component's low-sample rule (SPEC §5, §16 ``low_sample``): what counts for a person
whose own computed number rests on fewer records than the minimum sample — their own value
anyway (``own``, the default), their department's value for that period (``department``), or
nothing (``missing``: the plan's missing-data policy applies). The line says which was used."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.test import override_settings

from apps.bonuses import services
from apps.bonuses.messages import render
from apps.bonuses.models import Line
from apps.departments import roles
from apps.kpis.models import KPIResult
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
PERIOD = "2026-03"


@pytest.fixture
def hr(make_user):
    return make_user(roles.HR, username="hr")


@pytest.fixture
def riders(db):
    """Rider R1 delivered 40 orders (36 on time: 90 %), R2 only 10 (10 on time: 100 %); their
    team DIST delivered 85 %. On-time threshold 80 / target 85 / stretch 95; a month's target
    bonus 300.00. Minimum sample 30 (the default)."""
    dist = DepartmentFactory(code="DIST")
    kpi = KPIFactory(code="delivery.on_time_rate")
    TargetFactory(kpi=kpi, threshold=D(80), target=D(85), stretch=D(95))
    KPIResultFactory(
        kpi=kpi, department=dist, period=PERIOD, numerator=170, denominator=200, sample_size=200
    )
    people = {}
    for number, on_time, delivered in (("R1", 36, 40), ("R2", 10, 10)):
        person = EmployeeFactory(employee_number=number, hire_date=dt.date(2020, 1, 1))
        AssignmentFactory(employee=person, department=dist, start_date=dt.date(2020, 1, 1))
        KPIResultFactory(
            kpi=kpi, scope="employee", department=None, employee=person, period=PERIOD,
            numerator=on_time, denominator=delivered, sample_size=delivered, source="computed",
        )  # fmt: skip
        people[number] = person
    return kpi, people


def run_with(riders, hr, rule: str, policy: str = "zero") -> dict[str, Line]:
    kpi, people = riders
    plan = services.plan_create(
        code=f"RIDER-{rule}", name="Riders", period_type="month", currency="EUR",
        missing_data_policy=policy,
        components=[{"kpi": kpi, "weight": D(100), "scope": "employee", "low_sample": rule}],
    )  # fmt: skip
    for person in people.values():
        services.enrollment_create(
            employee=person, plan=plan, target_amount=D(300), start_date=dt.date(2026, 1, 1)
        )
    run = services.run_calculate(run=services.run_create(plan=plan, period=PERIOD), user=hr)
    return {line.employee.employee_number: line for line in run.lines.select_related("employee")}


def test_own_pays_the_person_their_own_number_and_says_the_sample_was_low(riders, hr):
    lines = run_with(riders, hr, "own")
    # R1: 90 % (40 deliveries, enough) → 100 % + (90 − 85) / (95 − 85) × 50 % = 125 % → 375.00.
    assert lines["R1"].amount == D("375.00")
    assert "low_sample:delivery.on_time_rate" not in lines["R1"].flags
    # R2: 100 % over 10 deliveries, below the minimum of 30: still their own → stretch 150 %.
    assert lines["R2"].amount == D("450.00")
    assert "low_sample:delivery.on_time_rate" in lines["R2"].flags
    assert lines["R2"].components[0]["basis"] == "low_sample_own"
    explanation = render(lines["R2"].explanation)
    assert any("fewer records than the minimum sample" in s for s in explanation)


def test_department_pays_the_team_number_against_the_person_band(riders, hr):
    lines = run_with(riders, hr, "department")
    assert lines["R1"].amount == D("375.00")  # enough records: their own, whatever the rule
    r2 = lines["R2"]
    # DIST's 85 % is exactly the target → 100 % → 300.00.
    assert r2.amount == D("300.00")
    assert r2.components[0]["actual"] == "85"
    assert r2.components[0]["department"] == "DIST"
    assert r2.components[0]["basis"] == "low_sample_department"
    assert any("the department's value" in s for s in render(r2.explanation))


@pytest.mark.parametrize(
    ("policy", "amount", "blocked"),
    [("zero", D("0.00"), False), ("block", D("0.00"), True), ("reweight", D("0.00"), False)],
)
def test_missing_follows_the_plan_missing_data_policy(riders, hr, policy, amount, blocked):
    lines = run_with(riders, hr, "missing", policy)
    r2 = lines["R2"]
    assert r2.amount == amount
    assert r2.components[0]["actual"] is None
    assert "missing_actual:delivery.on_time_rate" in r2.flags
    assert r2.run.blocking_issues != [] if blocked else r2.run.blocking_issues == []
    assert lines["R1"].amount == D("375.00")


def test_the_minimum_is_the_setting_and_entered_numbers_are_never_low(riders, hr):
    _kpi, people = riders
    with override_settings(RECORDS_MIN_SAMPLE=5):
        assert run_with(riders, hr, "department")["R2"].amount == D("450.00")
    # A number someone entered for R2 is theirs, however few records stand behind it.
    KPIResult.objects.filter(employee=people["R2"]).update(source="manual")
    assert run_with(riders, hr, "missing")["R2"].amount == D("450.00")


def test_changing_the_rule_or_the_source_makes_the_run_stale(riders, hr):
    _kpi, people = riders
    run = run_with(riders, hr, "department")["R2"].run
    assert not services.run_is_stale(run)
    KPIResult.objects.filter(employee=people["R2"]).update(source="manual")
    assert services.run_is_stale(run)  # same number, but now it is R2's own: it pays 450.00
    KPIResult.objects.filter(employee=people["R2"]).update(source="computed")
    assert not services.run_is_stale(run)
    component = run.plan.components.get()
    component.low_sample = "missing"
    component.save()
    assert services.run_is_stale(run)


def test_only_an_employee_scope_component_has_a_low_sample_rule(riders):
    kpi, _people = riders
    with pytest.raises(ApplicationError) as refused:
        services.plan_create(
            code="TEAM", name="Team", period_type="month", currency="EUR",
            components=[{"kpi": kpi, "weight": D(100), "scope": "department",
                         "low_sample": "department"}],
        )  # fmt: skip
    assert refused.value.field == "components[0].low_sample"
