"""Plans and enrollments: the rules of SPEC §10 and §13, through the services."""

import datetime as dt
from decimal import Decimal as D

import pytest

from apps.bonuses import services
from apps.bonuses.models import Component, Enrollment, Plan, Run
from cxoffice.errors import ApplicationError, ConflictError
from tests.factories import EmployeeFactory, KPIFactory

pytestmark = pytest.mark.django_db


def plan(**extra):
    csat = KPIFactory(code="service.csat")
    late = KPIFactory(code="delivery.late_rate", direction="lower_is_better")
    components = extra.pop(
        "components",
        [
            {"kpi": csat, "weight": D(60), "scope": "department"},
            {"kpi": late, "weight": D(40), "scope": "department"},
        ],
    )
    return services.plan_create(
        code="Q-CX", name="Quarterly CX bonus", period_type="quarter", currency="EUR",
        components=components, **extra,
    )  # fmt: skip


def test_plan_with_components_and_gates():
    created = plan(gates=[{"kpi": KPIFactory(code="cx.nps"), "minimum": D(0), "multiplier": D(0)}])
    assert [(c.kpi.code, c.weight) for c in created.components.order_by("id")] == [
        ("service.csat", D(60)),
        ("delivery.late_rate", D(40)),
    ]
    assert created.gates.get().kpi.code == "cx.nps"
    assert created.cap_percent == 200
    assert created.missing_data_policy == "block"


def test_weights_must_add_up_to_exactly_100():
    csat = KPIFactory(code="service.csat")
    late = KPIFactory(code="delivery.late_rate")
    with pytest.raises(ApplicationError) as refused:
        plan(components=[{"kpi": csat, "weight": D("59.99")}, {"kpi": late, "weight": D(40)}])
    assert refused.value.field == "components"
    assert refused.value.code == "weights_not_100"
    assert "99.99" in refused.value.message
    assert not Plan.objects.exists()


def test_component_levels_and_gate_minimums_stay_within_the_kpis_range():
    csat = KPIFactory(code="service.csat")  # a percentage
    with pytest.raises(ApplicationError) as refused:
        plan(components=[{"kpi": csat, "weight": D(100), "threshold": D(190),
                          "target": D(285), "stretch": D(380)}])  # fmt: skip
    assert (refused.value.field, refused.value.code) == (
        "components[0].threshold", "out_of_range"
    )  # fmt: skip
    with pytest.raises(ApplicationError) as refused:
        plan(
            components=[{"kpi": csat, "weight": D(100)}],
            gates=[{"kpi": csat, "minimum": D(500), "multiplier": D(0)}],
        )
    assert (refused.value.field, refused.value.code) == ("gates[0].minimum", "out_of_range")
    assert not Plan.objects.exists()


def test_an_active_plan_needs_components():
    def create(code, status, components=()):
        return services.plan_create(
            code=code, name=code, period_type="quarter", currency="EUR", status=status,
            components=components,
        )  # fmt: skip

    with pytest.raises(ApplicationError) as refused:
        create("EMPTY", "active")
    assert (refused.value.field, refused.value.code) == ("components", "weights_not_100")
    assert not Plan.objects.exists()
    draft = create("DRAFT", "draft")  # a draft may be saved before its components
    with pytest.raises(ApplicationError):
        services.plan_update(plan=draft, data={"status": "active"})
    active = create("FULL", "active", [{"kpi": KPIFactory(), "weight": D(100)}])
    with pytest.raises(ApplicationError):
        services.plan_update(plan=active, data={}, components=[])
    assert active.components.count() == 1


@pytest.mark.parametrize(
    ("component", "field", "code"),
    [
        ({"payout_at_stretch": D(99)}, "components[0].payout_at_stretch", "out_of_range"),
        ({"payout_at_threshold": D(120)}, "components[0].payout_at_threshold", "out_of_range"),
        ({"threshold": D(90), "target": D(85)}, "components[0].target", "unordered_levels"),
        ({"threshold": D(80)}, "components[0].target", "required"),
    ],
)
def test_component_rules(component, field, code):
    kpi = KPIFactory()
    with pytest.raises(ApplicationError) as refused:
        plan(components=[{"kpi": kpi, "weight": D(100), **component}])
    assert (refused.value.field, refused.value.code) == (field, code)


def test_gate_multiplier_between_0_and_100():
    with pytest.raises(ApplicationError) as refused:
        plan(gates=[{"kpi": KPIFactory(), "minimum": D(0), "multiplier": D(150)}])
    assert refused.value.field == "gates[0].multiplier"


def test_enrollments_of_one_employee_in_one_plan_cannot_overlap():
    the_plan = plan()
    employee = EmployeeFactory(employee_number="E1")
    services.enrollment_create(
        employee=employee, plan=the_plan, target_amount=D("1000"), start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 6, 30),
    )  # fmt: skip
    with pytest.raises(ApplicationError) as refused:
        services.enrollment_create(
            employee=employee,
            plan=the_plan,
            target_amount=D("1000.00"),
            start_date=dt.date(2026, 6, 30),
        )
    assert refused.value.code == "overlap"
    assert "E1" in refused.value.message
    services.enrollment_create(
        employee=employee, plan=the_plan, target_amount=D("1200.00"), start_date=dt.date(2026, 7, 1)
    )
    assert Enrollment.objects.count() == 2


def test_negative_target_amount_is_refused():
    with pytest.raises(ApplicationError) as refused:
        services.enrollment_create(
            employee=EmployeeFactory(),
            plan=plan(),
            target_amount=D("-1.00"),
            start_date=dt.date(2026, 1, 1),
        )
    assert refused.value.field == "target_amount"


def test_a_plan_used_by_an_approved_run_is_frozen():
    the_plan = plan()
    Run.objects.create(plan=the_plan, period="2026-Q1", status="approved")
    with pytest.raises(ConflictError) as refused:
        services.plan_update(plan=the_plan, data={"cap_percent": D(150)})
    assert refused.value.status_code == 409
    assert refused.value.code == "plan_frozen"
    assert Component.objects.filter(plan=the_plan).count() == 2
