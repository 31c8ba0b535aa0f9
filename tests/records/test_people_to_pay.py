"""From each CX event to each person's pay, through the API only (SPEC §5, §10): load shipments
and tickets naming couriers and agents, compute the month, read each person's on-time rate and
FCR, calculate plans whose employee-scope components use them, get the lines to the cent — a
rider below the minimum sample paid on the team's number as the component says — and let a
rider read the records behind their own number, and nobody else's."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.departments import roles
from apps.departments.models import Department
from tests.factories import AssignmentFactory, EmployeeFactory

from .factories import at

pytestmark = pytest.mark.django_db
MONTH = "2026-03"


@pytest.fixture
def steward(company_steward, api_for):
    """A data steward of Distribution and Customer service (and company numbers)."""
    company_steward.stewarded_departments.set(Department.objects.filter(code__in=["DIST", "CS"]))
    client = api_for(roles.DATA_STEWARD)
    client.force_authenticate(company_steward)
    return client


@pytest.fixture
def staff(catalog, make_user):
    """Riders R1 and R2 (DIST) and agent A1 (CS), each with a sign-in of their own."""
    people = {}
    for number, department in (("R1", "DIST"), ("R2", "DIST"), ("A1", "CS")):
        user = make_user(roles.EMPLOYEE, username=number.lower())
        person = EmployeeFactory(employee_number=number, user=user, hire_date=dt.date(2020, 1, 1))
        AssignmentFactory(
            employee=person,
            department=Department.objects.get(code=department),
            start_date=dt.date(2020, 1, 1),
        )
        people[number] = person
    return people


def delivery(n: int, courier: str, late_days: int = 0) -> dict:
    promised = dt.date(2026, 3, 1) + dt.timedelta(days=n % 28)
    return {
        "source_system": "shop", "source_record_id": f"{courier}-{n}", "department": "DIST",
        "ordered_at": at(promised - dt.timedelta(days=4)), "promised_at": at(promised),
        "delivered_at": at(promised + dt.timedelta(days=late_days)), "courier": courier,
    }  # fmt: skip


def ticket(n: int, contacts: int) -> dict:
    day = dt.date(2026, 3, 2) + dt.timedelta(days=n % 25)
    return {
        "source_system": "desk", "source_record_id": f"T{n}", "department": "CS",
        "opened_at": at(day, 9), "first_response_at": at(day, 10), "resolved_at": at(day, 15),
        "contacts_to_resolve": contacts, "agent": "A1",
    }  # fmt: skip


def plan(hr_api, code: str, kpi: str, levels: tuple, rule: str = "own") -> None:
    threshold, target, stretch = levels
    answer = hr_api.post(
        "/api/v1/bonus-plans/",
        {"code": code, "name": code, "period_type": "month", "currency": "EUR",
         "missing_data_policy": "block",
         "components": [{"kpi": kpi, "weight": "100", "scope": "employee", "low_sample": rule,
                         "threshold": threshold, "target": target, "stretch": stretch}]},
        format="json",
    )  # fmt: skip
    assert answer.status_code == 201, answer.json()


def enroll(hr_api, number: str, code: str, amount: str) -> None:
    answer = hr_api.post(
        "/api/v1/bonus-enrollments/",
        {"employee": number, "plan": code, "target_amount": amount, "start_date": "2026-01-01"},
        format="json",
    )
    assert answer.status_code == 201, answer.json()


def run(hr_api, approver_api, code: str) -> dict[str, dict]:
    created = hr_api.post("/api/v1/bonus-runs/", {"plan": code, "period": MONTH}, format="json")
    run_id = created.json()["id"]
    calculated = hr_api.post(f"/api/v1/bonus-runs/{run_id}/calculate/")
    assert calculated.json()["blocking_issues"] == []
    assert approver_api.post(f"/api/v1/bonus-runs/{run_id}/approve/").status_code == 200
    lines = hr_api.get(f"/api/v1/bonus-runs/{run_id}/lines/").json()["results"]
    return {line["employee"]: line | {"run": run_id} for line in lines}


def mine(api, kpi: str, number: str) -> dict:
    found = api.get(
        "/api/v1/kpi-results/", {"kpi": kpi, "scope": "employee", "employee": number}
    ).json()["results"]
    assert len(found) == 1, found
    return found[0]


def test_from_the_records_to_each_persons_pay(staff, api_for, steward):
    hr_api = api_for(roles.HR)
    approver_api = api_for(roles.HR_APPROVER)
    # R1: 40 deliveries, 4 of them 2 days late (90 %); R2: 10, all on time (100 %, low sample).
    rows = [delivery(n, "R1", late_days=2 if n % 10 == 0 else 0) for n in range(40)]
    rows += [delivery(n, "R2") for n in range(10)]
    loaded = steward.post("/api/v1/shipments/bulk/", {"records": rows}, format="json")
    assert loaded.status_code == 200, loaded.json()
    assert loaded.json()["created"] == 50
    # A1: 35 resolved tickets, 28 of them at the first contact (80 %).
    answer = steward.post(
        "/api/v1/tickets/bulk/",
        {"records": [ticket(n, 1 if n < 28 else 3) for n in range(35)]},
        format="json",
    )
    assert answer.json()["created"] == 35
    computed = steward.post("/api/v1/kpi-computations/", {"period": MONTH}, format="json")
    assert computed.status_code == 200, computed.json()

    r1 = mine(hr_api, "delivery.on_time_rate", "R1")
    assert (r1["value"], r1["numerator"], r1["denominator"], r1["sample_size"]) == (
        "90", "36", "40", 40
    )  # fmt: skip
    assert r1["low_sample"] is False
    assert mine(hr_api, "delivery.on_time_rate", "R2")["low_sample"] is True  # 10 < 30
    a1 = mine(hr_api, "service.fcr_rate", "A1")
    assert (a1["value"], a1["numerator"], a1["denominator"]) == ("80", "28", "35")

    plan(hr_api, "RIDERS", "delivery.on_time_rate", ("80", "85", "95"), rule="department")
    plan(hr_api, "AGENTS", "service.fcr_rate", ("70", "75", "85"))
    enroll(hr_api, "R1", "RIDERS", "300.00")
    enroll(hr_api, "R2", "RIDERS", "300.00")
    enroll(hr_api, "A1", "AGENTS", "200.00")
    riders = run(hr_api, approver_api, "RIDERS")
    # R1 90 %: 100 % + (90 − 85) / (95 − 85) × 50 % = 125 % of 300.00.
    assert riders["R1"]["amount"] == "375"
    # R2's own 100 % rests on 10 deliveries: DIST's 46 of 50 = 92 % counts → 135 % of 300.00.
    assert riders["R2"]["amount"] == "405"
    assert riders["R2"]["components"][0]["basis"] == "low_sample_department"
    assert "low_sample:delivery.on_time_rate" in riders["R2"]["flags"]
    # A1 80 %: 100 % + (80 − 75) / (85 − 75) × 50 % = 125 % of 200.00.
    assert run(hr_api, approver_api, "AGENTS")["A1"]["amount"] == "250"

    # R1 reads the records behind their number on their own statement …
    rider = api_for(roles.EMPLOYEE)
    rider.force_authenticate(staff["R1"].user)
    statement = rider.get("/api/v1/me/bonus-statements/").json()["results"]
    assert [line["id"] for line in statement] == [riders["R1"]["id"]]
    evidence = rider.get(
        f"/api/v1/me/bonus-statements/{riders['R1']['id']}/evidence/",
        {"kpi": "delivery.on_time_rate", "page_size": 3},
    )
    assert evidence.status_code == 200, evidence.json()
    body = evidence.json()
    assert (body["numerator"], body["denominator"], body["count"]) == ("36", "40", 4)
    assert "36 of 40" in body["summary"]
    assert "these 4 were late" in body["summary"]
    listed = [row["source_record_id"] for row in body["results"]]
    assert listed == ["R1-0", "R1-30", "R1-10"]  # by promised date
    assert body["results"][0]["reason"].startswith("delivered 2 days after the promised")
    assert body["next"] is not None
    # A fixed number of queries, however many records the page lists.
    url = f"/api/v1/me/bonus-statements/{riders['R1']['id']}/evidence/"
    with CaptureQueriesContext(connection) as one:
        rider.get(url, {"kpi": "delivery.on_time_rate", "page_size": 1})
    with CaptureQueriesContext(connection) as four:
        rider.get(url, {"kpi": "delivery.on_time_rate", "page_size": 50})
    assert len(one) == len(four) <= 12
    # … and gets 404 for anyone else's line, whatever the KPI.
    other = rider.get(
        f"/api/v1/me/bonus-statements/{riders['R2']['id']}/evidence/",
        {"kpi": "delivery.on_time_rate"},
    )
    assert other.status_code == 404

    # HR opens the same drill-down from the run; a KPI the line does not measure is a 400.
    line_url = f"/api/v1/bonus-runs/{riders['R2']['run']}/lines/{riders['R2']['id']}/evidence/"
    hr_view = hr_api.get(line_url, {"kpi": "delivery.on_time_rate"}).json()
    assert (hr_view["employee"], hr_view["actual"], hr_view["value"]) == ("R2", "92", "100")
    assert hr_view["low_sample"] is True
    assert hr_view["count"] == 0  # nothing late: no record counts against R2
    refused = hr_api.get(line_url, {"kpi": "service.fcr_rate"})
    assert refused.status_code == 400
    assert refused.json()["field"] == "kpi"
    assert rider.get(line_url, {"kpi": "delivery.on_time_rate"}).status_code == 403


def test_the_records_behind_an_agents_fcr_and_response_times(staff, api_for, steward):
    rows = [ticket(n, 1 if n < 3 else 2) for n in range(5)]
    rows[4]["first_response_at"] = at(dt.date(2026, 3, 6), 14)  # 5 hours after opening
    steward.post("/api/v1/tickets/bulk/", {"records": rows}, format="json")
    steward.post("/api/v1/kpi-computations/", {"period": MONTH}, format="json")
    hr_api, approver_api = api_for(roles.HR), api_for(roles.HR_APPROVER)
    answer = hr_api.post(
        "/api/v1/bonus-plans/",
        {"code": "AGENTS", "name": "Agents", "period_type": "month", "currency": "EUR",
         "missing_data_policy": "zero",
         "components": [
             {"kpi": "service.fcr_rate", "weight": "50", "scope": "employee",
              "threshold": "50", "target": "60", "stretch": "80"},
             {"kpi": "service.first_response_time", "weight": "50", "scope": "employee",
              "threshold": "4", "target": "2", "stretch": "1"}]},
        format="json",
    )  # fmt: skip
    assert answer.status_code == 201, answer.json()
    enroll(hr_api, "A1", "AGENTS", "100.00")
    line = run(hr_api, approver_api, "AGENTS")["A1"]
    url = f"/api/v1/bonus-runs/{line['run']}/lines/{line['id']}/evidence/"
    fcr = hr_api.get(url, {"kpi": "service.fcr_rate"}).json()
    assert (fcr["numerator"], fcr["denominator"], fcr["count"]) == ("3", "5", 2)
    assert [row["reason"] for row in fcr["results"]] == ["resolved after 2 contacts"] * 2
    frt = hr_api.get(url, {"kpi": "service.first_response_time"}).json()
    assert frt["count"] == 5  # a duration: every ticket, slowest first
    assert [row["hours"] for row in frt["results"]][:2] == ["5", "1"]
    assert frt["results"][0]["source_record_id"] == "T4"
    assert D(frt["value"]) == D(1)  # the median of 1, 1, 1, 1, 5 hours


def test_the_drill_down_pages_for_the_rider_and_for_hr(staff, api_for, steward, client, make_user):
    rows = [delivery(n, "R1", late_days=3 if n < 2 else 0) for n in range(6)]
    rows.append(delivery(0, "R2"))
    steward.post("/api/v1/shipments/bulk/", {"records": rows}, format="json")
    steward.post("/api/v1/kpi-computations/", {"period": MONTH}, format="json")
    hr_api = api_for(roles.HR)
    plan(hr_api, "RIDERS", "delivery.on_time_rate", ("50", "60", "90"))
    enroll(hr_api, "R1", "RIDERS", "300.00")
    enroll(hr_api, "R2", "RIDERS", "300.00")
    lines = run(hr_api, api_for(roles.HR_APPROVER), "RIDERS")
    mine_id, other_id = lines["R1"]["id"], lines["R2"]["id"]

    client.force_login(staff["R1"].user)
    statement = client.get("/me/statement/").content.decode()
    link = f"/me/statement/{mine_id}/evidence/?kpi=delivery.on_time_rate"
    assert f'href="{link}"' in statement
    page = client.get(link).content.decode()
    assert "4 of 6 deliveries due; these 2 were late" in page
    assert 'data-record="R1-0"' in page
    assert 'data-record="R1-1"' in page
    assert "delivered 3 days after the promised" in page
    assert (
        client.get(f"/me/statement/{other_id}/evidence/?kpi=delivery.on_time_rate").status_code
        == 404
    )
    assert client.get(f"/me/statement/{mine_id}/evidence/?kpi=service.csat").status_code == 400

    client.force_login(make_user(roles.HR, is_staff=True))
    admin_line = client.get(f"/admin/bonuses/line/{mine_id}/change/").content.decode()
    admin_link = f"/admin/bonuses/line/{mine_id}/evidence/?kpi=delivery.on_time_rate"
    assert f'href="{admin_link}"' in admin_line
    assert 'data-record="R1-1"' in client.get(admin_link).content.decode()
