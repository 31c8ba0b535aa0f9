"""The bonus API: SPEC §10's worked example end to end, refusals, 409s, self-service."""

import csv
import io
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook
from rest_framework.test import APIClient

from apps.bonuses.models import Plan
from apps.departments import roles
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def admin():
    return client_for(UserFactory(username="boss", is_superuser=True))


def ok(response, status=(200, 201)):
    assert response.status_code in ((status,) if isinstance(status, int) else status), (
        response.json()
    )
    return response.json()


@pytest.fixture
def worked_example(admin):
    """Everything of SPEC §10's worked example, created through the API."""
    ok(
        admin.post(
            "/api/v1/departments/", {"code": "CS", "name": "Customer service"}, format="json"
        )
    )
    ok(
        admin.post(
            "/api/v1/employees/",
            {"employee_number": "E1", "full_name": "Mei Lin", "hire_date": "2020-01-01"},
            format="json",
        )
    )
    ok(
        admin.post(
            "/api/v1/assignments/",
            {"employee": "E1", "department": "CS", "start_date": "2020-01-01"},
            format="json",
        )
    )
    for code, direction in (
        ("service.csat", "higher_is_better"),
        ("delivery.late_rate", "lower_is_better"),
    ):
        ok(
            admin.post(
                "/api/v1/kpis/",
                {
                    "code": code,
                    "name": code,
                    "unit": "percent",
                    "direction": direction,
                    "aggregation": "ratio",
                    "frequency": "quarter",
                },
                format="json",
            )
        )
    ok(
        admin.post(
            "/api/v1/kpi-results/",
            {"kpi": "service.csat", "department": "CS", "period": "2026-Q3", "value": "87.5"},
            format="json",
        )
    )
    ok(
        admin.post(
            "/api/v1/kpi-results/",
            {"kpi": "delivery.late_rate", "department": "CS", "period": "2026-Q3", "value": "6.5"},
            format="json",
        )
    )
    ok(
        admin.post(
            "/api/v1/targets/",
            {"kpi": "service.csat", "threshold": "80", "target": "85", "stretch": "90"},
            format="json",
        )
    )
    ok(
        admin.post(
            "/api/v1/targets/",
            {"kpi": "delivery.late_rate", "threshold": "8", "target": "5", "stretch": "3"},
            format="json",
        )
    )
    plan = ok(
        admin.post(
            "/api/v1/bonus-plans/",
            {
                "code": "Q-CX",
                "name": "Quarterly CX bonus",
                "period_type": "quarter",
                "currency": "EUR",
                "components": [
                    {"kpi": "service.csat", "weight": "60", "scope": "department"},
                    {"kpi": "delivery.late_rate", "weight": "40", "scope": "department"},
                ],
            },
            format="json",
        )
    )
    # 16 August – 30 September 2026: 46 of the quarter's 92 days.
    ok(
        admin.post(
            "/api/v1/bonus-enrollments/",
            {
                "employee": "E1",
                "plan": "Q-CX",
                "target_amount": "1000.00",
                "start_date": "2026-08-16",
            },
            format="json",
        )
    )
    return plan


def test_worked_example_end_to_end(admin, worked_example):
    assert worked_example["cap_percent"] == "200"
    assert [c["weight"] for c in worked_example["components"]] == ["60", "40"]
    run = ok(
        admin.post("/api/v1/bonus-runs/", {"plan": "Q-CX", "period": "2026-Q3"}, format="json")
    )
    assert run["status"] == "draft"
    calculated = ok(admin.post(f"/api/v1/bonus-runs/{run['id']}/calculate/"))
    assert calculated["status"] == "calculated"
    assert calculated["total_amount"] == "525"
    assert calculated["stale"] is False
    lines = ok(admin.get(f"/api/v1/bonus-runs/{run['id']}/lines/"))["results"]
    line = lines[0]
    assert (line["employee"], line["amount"], line["factor"], line["proration"]) == (
        "E1",
        "525",
        "105",
        "0.5",
    )
    assert [(c["kpi"], c["payout_percent"]) for c in line["components"]] == [
        ("service.csat", "125"),
        ("delivery.late_rate", "75"),
    ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            {
                "components": [
                    {"kpi": "service.csat", "weight": "59.99"},
                    {"kpi": "delivery.late_rate", "weight": "40"},
                ]
            },
            "components",
        ),
        ({"components": [{"kpi": "nope", "weight": "100"}]}, "components[0].kpi"),
        (
            {"components": [{"kpi": "service.csat", "weight": "100", "payout_at_stretch": "90"}]},
            "components[0].payout_at_stretch",
        ),
        ({"cap_percent": "-5"}, "cap_percent"),
        ({"period_type": "fortnight"}, "period_type"),
    ],
)
def test_bad_plans_are_400_naming_the_field(admin, worked_example, change, field):
    payload = {
        "code": "NEW",
        "name": "New",
        "period_type": "quarter",
        "currency": "EUR",
        "components": [{"kpi": "service.csat", "weight": "100"}],
        **change,
    }
    response = admin.post("/api/v1/bonus-plans/", payload, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["field"] == field
    assert not Plan.objects.filter(code="NEW").exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"target_amount": "-1.00", "start_date": "2027-01-01"}, "target_amount"),
        ({"target_amount": "10.00", "start_date": "2026-12-01"}, "start_date"),
        ({"target_amount": "10.00", "start_date": "2027-01-01", "employee": "E404"}, "employee"),
    ],
)
def test_bad_enrollments_are_400(admin, worked_example, payload, field):
    response = admin.post(
        "/api/v1/bonus-enrollments/", {"employee": "E1", "plan": "Q-CX", **payload}, format="json"
    )
    assert response.status_code == 400, response.json()
    assert response.json()["field"] == field


def test_approval_flow_409s_export_and_self_service(admin, worked_example):
    run = ok(
        admin.post("/api/v1/bonus-runs/", {"plan": "Q-CX", "period": "2026-Q3"}, format="json")
    )
    url = f"/api/v1/bonus-runs/{run['id']}"
    ok(admin.post(f"{url}/calculate/"))
    own = admin.post(f"{url}/approve/")
    assert own.status_code == 409
    assert own.json()["code"] == "four_eyes"

    # A changed result makes the run stale; approving it is 409 with the reason.
    result_id = ok(admin.get("/api/v1/kpi-results/?kpi=service.csat"))["results"][0]["id"]
    ok(admin.patch(f"/api/v1/kpi-results/{result_id}/", {"value": "88"}, format="json"))
    approver = client_for(UserFactory(username="approver", roles=[roles.HR_APPROVER]))
    assert ok(approver.get(f"{url}/"))["stale"] is True
    stale = approver.post(f"{url}/approve/")
    assert (stale.status_code, stale.json()["code"]) == (409, "stale")
    ok(admin.post(f"{url}/calculate/"))
    approved = ok(approver.post(f"{url}/approve/"))
    assert (approved["status"], approved["approved_by"]) == ("approved", "approver")

    again = admin.post(f"{url}/calculate/")
    assert (again.status_code, again.json()["code"]) == (409, "run_closed")
    line_id = ok(admin.get(f"{url}/lines/"))["results"][0]["id"]
    adjustment = admin.post(
        "/api/v1/bonus-adjustments/",
        {"line": line_id, "amount": "10.00", "reason": "x"},
        format="json",
    )
    assert adjustment.status_code == 409
    frozen = admin.patch(
        "/api/v1/bonus-plans/" + str(worked_example["id"]) + "/",
        {"cap_percent": "150"},
        format="json",
    )
    assert frozen.status_code == 409

    exported = admin.get(f"{url}/export/?format=csv")
    assert exported.status_code == 200
    assert exported.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[1] == ["E1", "Mei Lin", "CS", "Q-CX", "2026-Q3", "EUR", "540.00"]
    sheet = load_workbook(io.BytesIO(admin.get(f"{url}/export/?format=xlsx").content)).active
    assert [cell.value for cell in sheet[2]][:6] == [
        "E1",
        "Mei Lin",
        "CS",
        "Q-CX",
        "2026-Q3",
        "EUR",
    ]
    assert D(str(sheet[2][6].value)) == D("540.00")
    assert admin.get(f"{url}/export/?format=pdf").status_code == 400

    mei = UserFactory(username="mei", roles=[roles.EMPLOYEE])
    from apps.departments.models import Employee

    Employee.objects.filter(employee_number="E1").update(user=mei)
    statements = ok(client_for(mei).get("/api/v1/me/bonus-statements/"))["results"]
    assert [(s["employee"], s["amount"]) for s in statements] == [("E1", "540")]
    other = client_for(UserFactory(username="other", roles=[roles.EMPLOYEE]))
    assert other.get(f"/api/v1/me/bonus-statements/{statements[0]['id']}/").status_code == 404
    assert other.get("/api/v1/bonus-runs/").status_code == 403
    assert other.get("/api/v1/bonus-enrollments/").status_code == 403


def test_what_if_and_new_version_through_the_api(admin, worked_example):
    real = ok(
        admin.post("/api/v1/bonus-runs/", {"plan": "Q-CX", "period": "2026-Q3"}, format="json")
    )
    ok(admin.post(f"/api/v1/bonus-runs/{real['id']}/calculate/"))
    what_if = ok(
        admin.post(
            "/api/v1/bonus-runs/",
            {"plan": "Q-CX", "period": "2026-Q3", "is_simulation": True},
            format="json",
        )
    )
    ok(admin.post(f"/api/v1/bonus-runs/{what_if['id']}/calculate/"))
    body = ok(admin.get(f"/api/v1/bonus-runs/{what_if['id']}/difference/"))
    assert body["real_run"] == real["id"]
    assert body["rows"] == [
        {"employee": "E1", "real": "525", "simulated": "525", "difference": "0"}
    ]
    assert admin.get(f"/api/v1/bonus-runs/{real['id']}/difference/").status_code == 400
    refused = admin.post(f"/api/v1/bonus-runs/{what_if['id']}/approve/")
    assert refused.status_code == 409
    assert admin.get(f"/api/v1/bonus-runs/{what_if['id']}/export/").status_code == 409

    new = ok(admin.post(f"/api/v1/bonus-plans/{worked_example['id']}/new-version/"), 201)
    assert (new["code"], new["version"], new["status"]) == ("Q-CX-v2", 2, "draft")
    assert [c["kpi"] for c in new["components"]] == ["service.csat", "delivery.late_rate"]
    again = admin.post(f"/api/v1/bonus-plans/{worked_example['id']}/new-version/")
    assert again.status_code == 400
    assert admin.delete(f"/api/v1/bonus-runs/{real['id']}/").status_code == 204


def test_statement_explanation_follows_the_readers_language(admin, worked_example):
    run = ok(
        admin.post("/api/v1/bonus-runs/", {"plan": "Q-CX", "period": "2026-Q3"}, format="json")
    )
    ok(admin.post(f"/api/v1/bonus-runs/{run['id']}/calculate/"))
    url = f"/api/v1/bonus-runs/{run['id']}/lines/"
    english = ok(admin.get(url))["results"][0]["explanation"]
    chinese = ok(admin.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans"))["results"][0]["explanation"]
    assert any("525.00" in text for text in english)
    assert english != chinese
    assert any("525.00" in text for text in chinese)


def test_a_partial_write_of_a_plan_still_needs_complete_components(cx_plan, hr_api):
    """A list of components replaces the plan's whole, so each needs its KPI and weight even in
    a PATCH (400 naming the field, nothing changed) — never a server error."""
    answer = hr_api.patch(
        f"/api/v1/bonus-plans/{cx_plan.pk}/", {"components": [{"weight": "100"}]}, format="json"
    )
    assert answer.status_code == 400
    assert (answer.json()["field"], answer.json()["code"]) == ("components[0].kpi", "required")
    assert cx_plan.components.get().kpi.code == "service.csat"


def test_a_true_up_through_the_api_pays_and_exports_the_deltas(admin, worked_example):
    """SPEC §10a: approve, correct a result the run used, see it stale, start a true-up, get
    previously_paid and delta to the cent, four eyes, approve, export only the deltas."""
    run = ok(
        admin.post("/api/v1/bonus-runs/", {"plan": "Q-CX", "period": "2026-Q3"}, format="json")
    )
    url = f"/api/v1/bonus-runs/{run['id']}"
    ok(admin.post(f"{url}/calculate/"))
    approver = client_for(UserFactory(username="approver", roles=[roles.HR_APPROVER]))
    assert ok(approver.post(f"{url}/approve/"))["kind"] == "regular"
    early = admin.post(f"{url}/true-up/")
    assert (early.status_code, early.json()["code"]) == (409, "not_stale")

    # CSAT corrected from 87.5 to 90 after approval: payout 150 %, factor 1.2 → 600.00.
    result_id = ok(admin.get("/api/v1/kpi-results/?kpi=service.csat"))["results"][0]["id"]
    ok(admin.patch(f"/api/v1/kpi-results/{result_id}/", {"value": "90"}, format="json"))
    original = ok(admin.get(f"{url}/"))
    assert (original["status"], original["stale"]) == ("approved", True)
    true_up = ok(admin.post(f"{url}/true-up/"), 201)
    assert (true_up["kind"], true_up["corrects"], true_up["status"]) == (
        "true_up", run["id"], "draft"
    )  # fmt: skip
    again = admin.post(f"{url}/true-up/")
    assert (again.status_code, again.json()["code"]) == (409, "true_up_open")
    t_url = f"/api/v1/bonus-runs/{true_up['id']}"
    calculated = ok(admin.post(f"{t_url}/calculate/"))
    assert calculated["total_amount"] == "75"
    line = ok(admin.get(f"{t_url}/lines/"))["results"][0]
    assert (line["amount"], line["previously_paid"], line["delta"]) == ("600", "525", "75")
    own = admin.post(f"{t_url}/approve/")
    assert (own.status_code, own.json()["code"]) == (409, "four_eyes")
    assert ok(approver.post(f"{t_url}/approve/"))["status"] == "approved"

    exported = admin.get(f"{t_url}/export/?format=csv")
    assert f"true-up-{true_up['id']}" in exported["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0][-2:] == ["corrects run", "true-up delta"]
    assert rows[1:] == [["E1", "Mei Lin", "CS", "Q-CX", "2026-Q3", "EUR", str(run["id"]), "75.00"]]
    kinds = ok(admin.get("/api/v1/bonus-runs/?period=2026-Q3"))["results"]
    assert sorted(r["kind"] for r in kinds) == ["regular", "true_up"]
