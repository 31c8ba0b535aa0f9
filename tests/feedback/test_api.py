"""The feedback API: fields of SPEC §16, the refusals of §13, bulk, list cost, roles."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.departments import roles
from apps.departments.models import Department
from apps.feedback.models import Category, Feedback
from tests.factories import EmployeeFactory, KPIFactory

from .factories import FeedbackFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/feedback/"
SPEC_FIELDS = {
    "id", "channel", "received_at", "customer_ref", "order_ref", "rating", "text", "category",
    "department", "severity", "status", "owner", "due_date", "resolution", "resolved_at", "kpi",
    "bpi_project", "is_overdue",
}  # fmt: skip


def test_create_with_codes(catalog, cs_api):
    kpi = KPIFactory(code="delivery.on_time_rate")
    response = cs_api.post(
        URL,
        {
            "channel": "phone",
            "received_at": "2026-11-16T09:30:00Z",
            "customer_ref": "C-1",
            "order_ref": "O-1",
            "rating": 2,
            "text": "Parcel two days late",
            "category": "late_delivery",
            "severity": "high",
            "kpi": kpi.code,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) >= SPEC_FIELDS
    assert (body["status"], body["department"], body["kpi"], body["is_overdue"]) == (
        "new",
        "DIST",
        "delivery.on_time_rate",
        False,
    )
    update = cs_api.patch(f"{URL}{body['id']}/", {"owner": EmployeeFactory().employee_number})
    assert update.status_code == 200
    assert update.json()["owner"] is not None


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("channel", "fax", "invalid_choice"),
        ("rating", 6, "max_value"),
        ("rating", 0, "min_value"),
        ("category", "no_such_category", "does_not_exist"),
        ("severity", "urgent", "invalid_choice"),
        ("received_at", "yesterday", "invalid"),
    ],
)
def test_bad_input_is_a_400_naming_field_and_rule(catalog, cs_api, field, value, code):
    row = {"channel": "web", "received_at": "2026-11-16T09:30:00Z", field: value}
    response = cs_api.post(URL, row, format="json")
    assert response.status_code == 400
    body = response.json()
    assert (body["field"], body["code"]) == (field, code)
    assert body["detail"].startswith(f"{field}: ")
    assert not Feedback.objects.exists()


def test_a_second_item_with_the_same_source_reference_is_refused_on_it(catalog, cs_api):
    row = {"channel": "web", "received_at": "2026-11-16T09:30:00Z", "text": "late",
           "source_system": "shop", "source_ref": "R-1"}  # fmt: skip
    assert cs_api.post(URL, row, format="json").status_code == 201
    again = cs_api.post(URL, {**row, "text": "again"}, format="json")
    assert again.status_code == 400
    assert (again.json()["field"], again.json()["code"]) == ("source_ref", "duplicate")


def test_bad_filters_are_400(catalog, cs_api):
    response = cs_api.get(f"{URL}?channel=fax")
    assert response.status_code == 400
    assert response.json()["field"] == "channel"


def test_bulk_is_all_or_nothing_with_row_errors(catalog, cs_api):
    rows = [
        {"channel": "web", "received_at": "2026-11-16T09:00:00Z", "text": "ok",
         "source_system": "shop", "source_ref": "1"},
        {"channel": "fax", "received_at": "2026-11-16T09:00:00Z"},
        {"channel": "web", "received_at": "2026-11-16T09:00:00Z", "rating": 9},
        {"channel": "web", "received_at": "2026-11-16T09:00:00Z", "category": "nope"},
    ]  # fmt: skip
    response = cs_api.post(f"{URL}bulk/", {"items": rows}, format="json")
    assert response.status_code == 400
    assert [(e["index"], e["field"], e["code"]) for e in response.json()["errors"]] == [
        (1, "channel", "invalid_choice"),
        (2, "rating", "out_of_range"),
        (3, "category", "does_not_exist"),
    ]
    assert not Feedback.objects.exists()

    good = [rows[0], {**rows[0], "source_ref": "2", "category": "price"}, rows[0]]
    response = cs_api.post(f"{URL}bulk/", good, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["created"] == 2
    assert response.json()["skipped_duplicates"] == 1
    assert Feedback.objects.get(source_ref="2").department.code == "PROD"
    again = cs_api.post(f"{URL}bulk/", good, format="json").json()
    assert (again["created"], again["skipped_existing"]) == (0, 3)


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(f"{URL}?page_size=100")
    assert response.status_code == 200
    return len(context.captured_queries)


def test_list_costs_the_same_for_3_and_30_items(catalog, cs_api):
    cs = Department.objects.get(code="CS")
    category = Category.objects.get(code="rude_service")
    kpi = KPIFactory()

    def add(n):
        for _ in range(n):
            FeedbackFactory(category=category, department=cs, owner=cs.head, kpi=kpi,
                            due_date=dt.date(2026, 1, 1))  # fmt: skip

    cs_api.get(URL)  # the user's permissions are loaded (and cached) by the first request
    add(3)
    small = _list_queries(cs_api)
    add(27)
    big = _list_queries(cs_api)
    assert small == big <= 3


def test_roles(catalog, api_for):
    item = FeedbackFactory()
    executive = api_for(roles.EXECUTIVE)
    owner = api_for(roles.PROJECT_OWNER)
    employee = api_for(roles.EMPLOYEE)
    assert executive.get(URL).status_code == 200
    assert owner.get(URL).status_code == 200
    assert employee.get(URL).status_code == 403
    assert api_for(roles.HR).get(URL).status_code == 403
    assert owner.post(f"{URL}{item.pk}/transition/", {"to": "closed"}).status_code == 403
    row = {"channel": "web", "received_at": "2026-11-16T09:30:00Z"}
    assert owner.post(URL, row).status_code == 403
    assert executive.post(URL, row).status_code == 201
    assert executive.delete(f"{URL}{item.pk}/").status_code in (403, 405)
    assert Feedback.objects.filter(pk=item.pk).exists()


def test_categories_api(catalog, cs_api):
    body = cs_api.get("/api/v1/feedback-categories/?page_size=100").json()
    by_code = {row["code"]: row for row in body["results"]}
    assert by_code["description_mismatch"]["department"] == "QC"
    assert by_code["wrong_item"]["department"] == "WH"
    assert by_code["wrong_item"]["parent"] == "delivery"
    assert by_code["website_problem"]["department"] == "IT"
    cycle = cs_api.patch(
        f"/api/v1/feedback-categories/{by_code['delivery']['id']}/",
        {"parent": "late_delivery"},
        format="json",
    )
    assert cycle.status_code == 400
    assert (cycle.json()["field"], cycle.json()["code"]) == ("parent", "cycle")
    created = cs_api.post(
        "/api/v1/feedback-categories/",
        {"code": "packaging", "name": "Packaging", "department": "WH", "parent": "delivery"},
        format="json",
    )
    assert created.status_code == 201, created.json()
