"""Plan numbers in the admin read as people write them (200, 10), not with the columns' 4 or 8
decimal places — and are still saved exactly as typed."""

from decimal import Decimal as D

import pytest

from apps.bonuses import services
from apps.bonuses.models import Plan
from apps.departments import roles
from tests.factories import KPIFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan():
    csat, late = KPIFactory(code="service.csat"), KPIFactory(code="delivery.late_rate")
    return services.plan_create(
        code="Q-CX", name="Quarterly", period_type="quarter", currency="EUR",
        components=[{"kpi": csat, "weight": D(60), "scope": "department", "threshold": D(10),
                     "target": D("12.5"), "stretch": D(15)},
                    {"kpi": late, "weight": D(40), "scope": "department"}],
        gates=[{"kpi": late, "scope": "company", "minimum": D(2), "multiplier": D(50)}],
    )  # fmt: skip


def test_the_plan_page_shows_plain_numbers(client, make_user, plan):
    client.force_login(make_user(roles.HR))
    html = client.get(f"/admin/bonuses/plan/{plan.pk}/change/").content.decode()
    assert 'name="cap_percent" value="200"' in html
    assert "200.0000" not in html
    assert 'name="components-0-weight" value="60"' in html
    assert 'name="components-0-threshold" value="10"' in html
    assert 'name="components-0-target" value="12.5"' in html
    assert 'name="gates-0-multiplier" value="50"' in html
    assert "10.00000000" not in html
    assert ".0000" not in html


def test_typed_numbers_are_saved_exactly(client, make_user, plan):
    client.force_login(make_user(roles.HR))
    components = list(plan.components.order_by("id"))
    gate = plan.gates.get()
    data = {"code": "Q-CX", "name": "Quarterly", "period_type": "quarter", "currency": "EUR",
            "status": "draft", "cap_percent": "187.125", "missing_data_policy": "block",
            "true_up_negative": "recover",
            "components-TOTAL_FORMS": "2", "components-INITIAL_FORMS": "2",
            "gates-TOTAL_FORMS": "1", "gates-INITIAL_FORMS": "1",
            "gates-0-id": gate.pk, "gates-0-plan": plan.pk, "gates-0-kpi": gate.kpi_id,
            "gates-0-scope": "company", "gates-0-minimum": "2",
            "gates-0-multiplier": "50"}  # fmt: skip
    for n, (component, weight) in enumerate(zip(components, ("60", "40"), strict=True)):
        data |= {f"components-{n}-id": component.pk, f"components-{n}-plan": plan.pk,
                 f"components-{n}-kpi": component.kpi_id, f"components-{n}-weight": weight,
                 f"components-{n}-scope": "department", f"components-{n}-low_sample": "own",
                 f"components-{n}-payout_at_threshold": "50",
                 f"components-{n}-payout_at_stretch": "150"}  # fmt: skip
    data |= {"components-0-threshold": "10.00000001", "components-0-target": "12.5",
             "components-0-stretch": "15"}  # fmt: skip
    response = client.post(f"/admin/bonuses/plan/{plan.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    saved = Plan.objects.get(pk=plan.pk)
    assert saved.cap_percent == D("187.125")
    assert saved.components.get(kpi__code="service.csat").threshold == D("10.00000001")
