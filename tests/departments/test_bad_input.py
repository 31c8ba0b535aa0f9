"""Bad input never reaches a 500 and never writes half of anything."""

import datetime as dt
import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from apps.departments import roles, services
from apps.departments.models import Assignment, Employee
from cxoffice.errors import ApplicationError
from tests.factories import DepartmentFactory, EmployeeFactory

pytestmark = pytest.mark.django_db

VALID = {"employee_number": "E1", "full_name": "Ana", "hire_date": "2024-01-01"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("base_salary", "-5"),
        ("base_salary", "1e20"),
        ("base_salary", "lots"),
        ("is_executive", "maybe"),
        ("employee_number", "E 1/x"),
        ("employee_number", ""),
        ("email", "not-an-email"),
        ("hire_date", None),
        ("full_name", {"first": "Ana"}),
        ("username", "nobody"),
        ("username", 2**70),
    ],
)
def test_bad_employee_fields_are_400_naming_the_field(hr_api, field, value):
    response = hr_api.post("/api/v1/employees/", {**VALID, field: value}, format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["field"] == field
    assert body["detail"].startswith(f"{field}: ")
    assert not Employee.objects.exists()


def test_malformed_json_and_wrong_body_type_are_400(hr_api):
    malformed = hr_api.generic(
        "POST", "/api/v1/employees/", "{not json", content_type="application/json"
    )
    assert malformed.status_code == 400
    as_list = hr_api.post("/api/v1/employees/", [VALID], format="json")
    assert as_list.status_code == 400
    assert not Employee.objects.exists()


def test_json_nested_too_deeply_is_400_not_500(hr_api):
    body = "[" * 5000 + "]" * 5000
    response = hr_api.generic("POST", "/api/v1/employees/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert "nested too deeply" in response.json()["detail"]
    assert not Employee.objects.exists()


def test_a_body_over_the_size_limit_is_413_in_the_error_shape(hr_api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 3 << 20
    padded = {**VALID, "full_name": "A" * (4 << 20)}
    response = hr_api.post("/api/v1/employees/", padded, format="json")
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert "larger than 3 MB" in response.json()["detail"]
    assert not Employee.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/employees/?is_active=banana",
        "/api/v1/departments/?is_active=maybe",
        "/api/v1/kpis/?is_root=2",
        "/api/v1/bpi-projects/?overdue=banana",
        "/api/v1/feedback/?overdue=x",
    ],
)
def test_a_yes_no_filter_refuses_what_is_neither(admin_user, url):
    admin = APIClient()
    admin.force_authenticate(admin_user)
    response = admin.get(url)
    assert response.status_code == 400
    assert response.json()["field"] == url.split("?")[1].split("=")[0]
    assert admin.get(url.split("=")[0] + "=true").status_code == 200
    assert admin.get(url.split("=")[0] + "=False").status_code == 200


def test_bad_filter_value_is_400(hr_api):
    response = hr_api.get("/api/v1/employees/?hired_after=someday")
    assert response.status_code == 400
    assert response.json()["field"] == "hired_after"


def test_out_of_range_ids_are_404_or_400(hr_api):
    assert hr_api.get(f"/api/v1/employees/{2**70}/").status_code == 404
    DepartmentFactory(code="CS")
    response = hr_api.post(
        "/api/v1/assignments/",
        {"employee": 2**70, "department": "CS", "start_date": "2024-01-01"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["field"] == "employee"


def test_errors_speak_the_callers_language(hr_api):
    EmployeeFactory(employee_number="E1", hire_date=dt.date(2024, 1, 1))
    DepartmentFactory(code="CS")
    response = hr_api.post(
        "/api/v1/assignments/",
        {
            "employee": "E1",
            "department": "CS",
            "start_date": "2024-05-01",
            "end_date": "2024-04-01",
        },
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 400
    assert "结束日期" in response.json()["detail"]
    hant = hr_api.get("/api/v1/employees/?hired_after=x", HTTP_ACCEPT_LANGUAGE="zh-hant")
    assert hant.status_code == 400


def test_employee_role_has_no_admin_pages(client, make_user):
    EmployeeFactory(base_salary="55555.00")
    client.force_login(make_user(roles.EMPLOYEE))
    response = client.get("/admin/departments/employee/")
    assert response.status_code == 403
    assert "55555" not in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_concurrent_overlapping_assignments_leave_exactly_one():
    if connection.vendor != "postgresql":
        pytest.skip("real concurrent connections need PostgreSQL (SQLite serialises writers)")
    employee = EmployeeFactory(hire_date=dt.date(2024, 1, 1))
    departments = [DepartmentFactory(), DepartmentFactory()]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def create(department):
        try:
            barrier.wait(timeout=10)
            services.assignment_create(
                employee=employee, department=department, start_date=dt.date(2024, 2, 1)
            )
            outcomes.append("created")
        except ApplicationError as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(d,)) for d in departments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["created", "overlap"]
    assert Assignment.objects.filter(employee=employee).count() == 1


@pytest.mark.parametrize(
    ("language", "unauthenticated", "not_found"),
    [
        ("zh-hans", "身份认证信息未提供。", "未找到。"),
        ("zh-hant", "未提供身分驗證資訊。", "找不到資源。"),
    ],
)
def test_api_refusals_are_in_the_callers_language(hr_api, language, unauthenticated, not_found):
    anonymous = APIClient().get("/api/v1/kpis/", HTTP_ACCEPT_LANGUAGE=language)
    assert (anonymous.status_code, anonymous.json()["detail"]) == (401, unauthenticated)
    missing = hr_api.get("/api/v1/kpis/no.such.kpi/", HTTP_ACCEPT_LANGUAGE=language)
    assert (missing.status_code, missing.json()["detail"]) == (404, not_found)
