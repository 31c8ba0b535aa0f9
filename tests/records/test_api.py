"""The bulk API and record lists: reports, per-row refusals (400 naming index and field, never a
500), permissions, filters, constant query counts."""

import pytest
from rest_framework.test import APIClient

from apps.departments import roles
from apps.departments.catalog import load as load_departments
from apps.departments.models import Department
from apps.records.models import LoadJob, Shipment, SurveyResponse

pytestmark = pytest.mark.django_db


@pytest.fixture
def steward_api(company_steward):
    client = APIClient()
    client.force_authenticate(company_steward)
    return client


def answer(record_id: str, score, **extra) -> dict:
    return {
        "source_system": "crm",
        "source_record_id": record_id,
        "survey_type": "nps",
        "score": score,
        "answered_at": "2026-03-10T10:00:00Z",
        **extra,
    }


def test_bulk_load_reports_and_is_idempotent(steward_api):
    body = {"records": [answer("a", 10), answer("b", 3)]}
    response = steward_api.post("/api/v1/survey-responses/bulk/", body, format="json")
    assert response.status_code == 200, response.json()
    counts = {k: response.json()[k] for k in ("read", "created", "updated", "skipped", "rejected")}
    assert counts == {"read": 2, "created": 2, "updated": 0, "skipped": 0, "rejected": 0}
    assert LoadJob.objects.get(pk=response.json()["job"]).door == "api"
    again = steward_api.post("/api/v1/survey-responses/bulk/", body, format="json").json()
    assert (again["created"], again["updated"], again["skipped"]) == (0, 0, 2)
    changed = steward_api.post(
        "/api/v1/survey-responses/bulk/", {"records": [answer("b", 4)]}, format="json"
    ).json()
    assert changed["updated"] == 1
    assert SurveyResponse.objects.get(source_record_id="b").score == 4


@pytest.mark.parametrize(
    ("row", "field", "code"),
    [
        (answer("x", 11), "score", "out_of_scale"),
        (answer("x", "ten"), "score", "invalid_number"),
        (answer("x", 5, answered_at="10/03/2026"), "answered_at", "invalid_date"),
        (answer("x", 5, colour="red"), "colour", "unknown_field"),
        (answer("x", 5, department="NOPE"), "department", "does_not_exist"),
        (answer("x", 5, survey_type="poll"), "survey_type", "invalid_choice"),
        (answer("x", 5, comment="a\x00b"), "comment", "invalid"),
        (answer("x", 10**30), "score", "out_of_scale"),
        (answer("x", "²"), "score", "invalid_number"),
        (answer("x", "9" * 5000), "score", "out_of_scale"),
        (answer("x", 5, scale="effort_1_5"), "scale", "invalid"),
        ({"source_system": "crm", "survey_type": "nps", "score": 5, "answered_at": "2026-03-10"},
         "source_record_id", "required"),
    ],
)  # fmt: skip
def test_bad_rows_are_400_naming_index_and_field(steward_api, row, field, code):
    response = steward_api.post(
        "/api/v1/survey-responses/bulk/", {"records": [answer("ok", 9), row]}, format="json"
    )
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert (error["index"], error["field"], error["code"]) == (1, field, code)
    assert "Row 2" in response.json()["detail"]
    assert SurveyResponse.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [
        {"records": []},
        {"records": "nope"},
        {"records": [1, 2]},
        [],
        {"rows": []},
        {"records": [None]},
    ],
)
def test_malformed_bodies_are_400_not_500(steward_api, body):
    response = steward_api.post("/api/v1/shipments/bulk/", body, format="json")
    assert response.status_code == 400
    assert "detail" in response.json()


def test_shipments_bulk_delivered_before_ordered(steward_api):
    row = {
        "source_system": "wms", "source_record_id": "o1", "ordered_at": "2026-03-05T10:00:00Z",
        "promised_at": "2026-03-09T00:00:00Z", "delivered_at": "2026-03-04T10:00:00Z",
    }  # fmt: skip
    response = steward_api.post("/api/v1/shipments/bulk/", {"records": [row]}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "delivered_at"


def test_tickets_bulk(steward_api):
    row = {
        "source_system": "desk", "source_record_id": "t1", "opened_at": "2026-03-05T10:00:00Z",
        "first_response_at": "2026-03-05T11:30:00Z", "contacts_to_resolve": 1,
        "resolved_at": "2026-03-05T12:00:00Z",
    }  # fmt: skip
    response = steward_api.post("/api/v1/tickets/bulk/", {"records": [row]}, format="json")
    assert response.status_code == 200
    listed = steward_api.get("/api/v1/tickets/").json()["results"][0]
    assert (listed["first_response_seconds"], listed["resolution_seconds"]) == (5400, 7200)


def test_employees_cannot_load_or_read(api_for):
    employee = api_for(roles.EMPLOYEE)
    response = employee.post("/api/v1/shipments/bulk/", {"records": []}, format="json")
    assert response.status_code == 403
    assert employee.get("/api/v1/shipments/").status_code == 403
    assert api_for(roles.EXECUTIVE).get("/api/v1/shipments/").status_code == 200


def test_list_filters_and_query_count(steward_api, django_assert_max_num_queries):
    rows = [
        {"source_system": "wms", "source_record_id": f"o{i}", "ordered_at": "2026-03-01T10:00:00Z",
         "promised_at": f"2026-03-{10 + i % 2:02d}T00:00:00Z",
         "status": "cancelled" if i % 3 == 0 else ""}
        for i in range(30)
    ]  # fmt: skip
    assert (
        steward_api.post("/api/v1/shipments/bulk/", {"records": rows}, format="json").status_code
        == 200
    )
    with django_assert_max_num_queries(6):
        response = steward_api.get("/api/v1/shipments/?status=cancelled&promised_from=2026-03-10")
    assert response.json()["count"] == Shipment.objects.filter(status="cancelled").count() == 10
    odd = steward_api.get("/api/v1/shipments/?promised_from=2026-03-11&promised_to=2026-03-11")
    assert odd.json()["count"] == 15


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("items_ordered", 10**30, "max_value"),
        ("items_ordered", 2147483648, "max_value"),
        ("items_delivered", "-3", "min_value"),
        ("items_delivered", "٣", "invalid_number"),  # an Arabic-Indic three: not ASCII digits
    ],
)
def test_numbers_beyond_the_column_are_refused_not_500(steward_api, field, value, code):
    row = {
        "source_system": "wms", "source_record_id": "o1", "ordered_at": "2026-03-05T10:00:00Z",
        "promised_at": "2026-03-09T00:00:00Z", field: value,
    }  # fmt: skip
    response = steward_api.post("/api/v1/shipments/bulk/", {"records": [row]}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field
    assert response.json()["errors"][0]["code"] == code
    assert not Shipment.objects.exists()


def test_contacts_beyond_a_small_integer_are_refused(steward_api):
    row = {
        "source_system": "desk", "source_record_id": "t1", "opened_at": "2026-03-05T10:00:00Z",
        "contacts_to_resolve": 32768,
    }  # fmt: skip
    response = steward_api.post("/api/v1/tickets/bulk/", {"records": [row]}, format="json")
    assert response.status_code == 400
    detail = response.json()["errors"][0]["detail"]
    assert detail == "Above 32767, the largest this field takes."


def test_a_steward_loads_records_only_for_their_departments(make_user):
    """Records feed their department's KPIs: a steward of DIST may not load CS's, nor records
    without a department (the company's) without the company permission. Nothing is written."""
    load_departments()
    steward = make_user(roles.DATA_STEWARD)
    Department.objects.get(code="DIST").stewards.add(steward)
    client = APIClient()
    client.force_authenticate(steward)
    url = "/api/v1/survey-responses/bulk/"
    mixed = [answer("a", 9, department="DIST"), answer("b", 3, department="CS"), answer("c", 5)]
    response = client.post(url, {"records": mixed}, format="json")
    assert response.status_code == 400
    errors = [(e["index"], e["field"], e["code"]) for e in response.json()["errors"]]
    assert errors == [(1, "department", "not_steward"), (2, "department", "not_steward")]
    assert "departments you steward" in response.json()["errors"][0]["detail"]
    assert not SurveyResponse.objects.exists()
    ok = client.post(url, {"records": [answer("a", 9, department="DIST")]}, format="json")
    assert (ok.status_code, ok.json()["created"]) == (200, 1)
