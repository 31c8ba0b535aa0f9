import datetime as dt

import pytest
from rest_framework.test import APIClient

from apps.departments import roles
from apps.departments.models import Assignment, Department, Employee
from tests.factories import AssignmentFactory, DepartmentFactory, EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_token_from_auth_endpoint_lists_employees():
    UserFactory(username="hruser", roles=[roles.HR])
    EmployeeFactory(employee_number="E77", full_name="Mei Li")
    client = APIClient()
    response = client.post(
        "/api/v1/auth/token/", {"username": "hruser", "password": "pw-for-tests-1"}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    listing = client.get("/api/v1/employees/")
    assert listing.status_code == 200
    assert [e["employee_number"] for e in listing.json()["results"]] == ["E77"]


def test_wrong_password_gets_no_token():
    UserFactory(username="hruser", roles=[roles.HR])
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "hruser", "password": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert "token" not in response.json()


def test_anonymous_gets_401():
    response = APIClient().get("/api/v1/employees/")
    assert response.status_code == 401


def test_employee_role_gets_403_on_employees(employee_api):
    EmployeeFactory()
    response = employee_api.get("/api/v1/employees/")
    assert response.status_code == 403
    assert employee_api.get("/api/v1/departments/").status_code == 200


@pytest.mark.parametrize("role", [roles.DATA_STEWARD, roles.EXECUTIVE, roles.PROJECT_OWNER])
def test_salaries_are_hidden_from_non_hr_roles(api_for, role):
    employee = EmployeeFactory(base_salary="123456.78")
    client = api_for(role)
    listing = client.get("/api/v1/employees/").json()["results"]
    detail = client.get(f"/api/v1/employees/{employee.pk}/").json()
    assert "base_salary" not in listing[0]
    assert "base_salary" not in detail
    assert "123456" not in client.get("/api/v1/assignments/").content.decode()


def test_hr_sees_salary_as_a_decimal_string(hr_api):
    employee = EmployeeFactory(base_salary="123456.78")
    detail = hr_api.get(f"/api/v1/employees/{employee.pk}/").json()
    assert detail["base_salary"] == "123456.78"


def test_employee_fields_follow_the_contract(hr_api):
    user = UserFactory(username="mei")
    assignment = AssignmentFactory(
        employee__user=user, department__code="CS", start_date=dt.date(2024, 1, 1)
    )
    body = hr_api.get(f"/api/v1/employees/{assignment.employee.pk}/").json()
    assert set(body) == {
        "id", "employee_number", "full_name", "email", "username", "title", "department",
        "hire_date", "leave_date", "is_executive", "base_salary",
    }  # fmt: skip
    assert body["department"] == "CS"
    assert body["username"] == "mei"


def test_steward_cannot_write_employees(api_for):
    client = api_for(roles.DATA_STEWARD)
    response = client.post(
        "/api/v1/employees/",
        {"employee_number": "E9", "full_name": "X", "hire_date": "2024-01-01"},
        format="json",
    )
    assert response.status_code == 403
    assert not Employee.objects.exists()


class TestDepartmentsAPI:
    def test_create_with_parent_code(self, hr_api):
        DepartmentFactory(code="CO")
        response = hr_api.post(
            "/api/v1/departments/", {"code": "DIST", "name": "Distribution", "parent": "CO"}
        )
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["parent"] == "CO"
        assert set(body) == {"id", "code", "name", "parent", "head", "is_active"}

    def test_unknown_parent_code_is_400_naming_the_field(self, hr_api):
        response = hr_api.post("/api/v1/departments/", {"code": "X", "name": "X", "parent": "NOPE"})
        assert response.status_code == 400
        body = response.json()
        assert body["field"] == "parent"
        assert "NOPE" in body["detail"]
        assert not Department.objects.exists()

    def test_cycle_is_400_naming_parent(self, hr_api):
        a = DepartmentFactory(code="A")
        DepartmentFactory(code="B", parent=a)
        response = hr_api.patch(f"/api/v1/departments/{a.pk}/", {"parent": "B"}, format="json")
        assert response.status_code == 400
        assert response.json()["field"] == "parent"
        assert response.json()["code"] == "cycle"

    def test_deleting_a_department_in_use_is_409(self, hr_api):
        assignment = AssignmentFactory()
        response = hr_api.delete(f"/api/v1/departments/{assignment.department.pk}/")
        assert response.status_code == 409
        assert Department.objects.filter(pk=assignment.department.pk).exists()

    def test_filter_and_search(self, hr_api):
        co = DepartmentFactory(code="CO", name="Company")
        DepartmentFactory(code="WH", name="Warehouse", parent=co)
        DepartmentFactory(code="IT", name="IT", parent=co, is_active=False)
        children = hr_api.get("/api/v1/departments/?parent=CO&is_active=true").json()
        assert [d["code"] for d in children["results"]] == ["WH"]
        found = hr_api.get("/api/v1/departments/?search=ware").json()
        assert [d["code"] for d in found["results"]] == ["WH"]


class TestEmployeesAPI:
    def test_create_and_reversed_dates(self, hr_api):
        ok = hr_api.post(
            "/api/v1/employees/",
            {"employee_number": "E1", "full_name": "Ana", "hire_date": "2024-01-01"},
            format="json",
        )
        assert ok.status_code == 201, ok.json()
        bad = hr_api.post(
            "/api/v1/employees/",
            {
                "employee_number": "E2",
                "full_name": "Bo",
                "hire_date": "2024-05-01",
                "leave_date": "2024-04-01",
            },
            format="json",
        )
        assert bad.status_code == 400
        assert bad.json()["field"] == "leave_date"
        assert list(Employee.objects.values_list("employee_number", flat=True)) == ["E1"]

    def test_malformed_date_and_duplicate_number(self, hr_api):
        EmployeeFactory(employee_number="E1")
        bad_date = hr_api.post(
            "/api/v1/employees/",
            {"employee_number": "E2", "full_name": "Bo", "hire_date": "yesterday"},
            format="json",
        )
        assert bad_date.status_code == 400
        assert bad_date.json()["field"] == "hire_date"
        duplicate = hr_api.post(
            "/api/v1/employees/",
            {"employee_number": "E1", "full_name": "Bo", "hire_date": "2024-01-01"},
            format="json",
        )
        assert duplicate.status_code == 400
        assert duplicate.json()["field"] == "employee_number"

    def test_department_filter_includes_sub_departments(self, hr_api):
        dist = DepartmentFactory(code="DIST")
        north = DepartmentFactory(code="DIST-N", parent=dist)
        AssignmentFactory(employee__employee_number="E1", department=north)
        AssignmentFactory(employee__employee_number="E2", department=DepartmentFactory(code="CS"))
        body = hr_api.get("/api/v1/employees/?department=DIST").json()
        assert [e["employee_number"] for e in body["results"]] == ["E1"]

    def test_pagination_and_ordering(self, hr_api):
        for n in range(3):
            EmployeeFactory(employee_number=f"E{n}", full_name=f"Name {3 - n}")
        body = hr_api.get("/api/v1/employees/?ordering=full_name&page_size=2").json()
        assert body["count"] == 3
        assert [e["employee_number"] for e in body["results"]] == ["E2", "E1"]
        assert body["next"]

    @pytest.mark.parametrize("rows", [3, 30])
    def test_list_query_count_does_not_grow(self, hr_api, django_assert_max_num_queries, rows):
        for _ in range(rows):
            AssignmentFactory(employee__user=UserFactory())
        with django_assert_max_num_queries(6):
            response = hr_api.get("/api/v1/employees/?page_size=100")
        assert len(response.json()["results"]) == rows


class TestAssignmentsAPI:
    def test_create_by_codes(self, hr_api):
        EmployeeFactory(employee_number="E1", hire_date=dt.date(2024, 1, 1))
        DepartmentFactory(code="CS")
        response = hr_api.post(
            "/api/v1/assignments/",
            {"employee": "E1", "department": "CS", "start_date": "2024-01-01"},
            format="json",
        )
        assert response.status_code == 201, response.json()
        assert response.json() == {
            "id": response.json()["id"],
            "employee": "E1",
            "department": "CS",
            "start_date": "2024-01-01",
            "end_date": None,
        }

    def test_overlap_is_400_with_reason(self, hr_api):
        existing = AssignmentFactory(
            employee__employee_number="E1", department__code="CS", start_date=dt.date(2024, 1, 1)
        )
        DepartmentFactory(code="WH")
        response = hr_api.post(
            "/api/v1/assignments/",
            {"employee": "E1", "department": "WH", "start_date": "2024-03-01"},
            format="json",
        )
        assert response.status_code == 400
        body = response.json()
        assert body["field"] == "start_date"
        assert body["code"] == "overlap"
        assert "CS" in body["detail"]
        assert "WH" in body["detail"]
        assert list(Assignment.objects.all()) == [existing]

    def test_reversed_dates_is_400_on_end_date(self, hr_api):
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
        )
        assert response.status_code == 400
        assert response.json()["field"] == "end_date"

    @pytest.mark.parametrize(
        ("field", "payload"),
        [
            ("department", {"employee": "E1", "department": "NOPE", "start_date": "2024-01-01"}),
            ("employee", {"employee": "E404", "department": "CS", "start_date": "2024-01-01"}),
            ("start_date", {"employee": "E1", "department": "CS", "start_date": "2024-13-01"}),
            ("department", {"employee": "E1", "department": ["CS"], "start_date": "2024-01-01"}),
        ],
    )
    def test_bad_references_are_400_naming_the_field(self, hr_api, field, payload):
        EmployeeFactory(employee_number="E1", hire_date=dt.date(2024, 1, 1))
        DepartmentFactory(code="CS")
        response = hr_api.post("/api/v1/assignments/", payload, format="json")
        assert response.status_code == 400
        assert response.json()["field"] == field
        assert not Assignment.objects.exists()

    def test_id_is_accepted_as_well_as_code(self, hr_api):
        employee = EmployeeFactory(hire_date=dt.date(2024, 1, 1))
        department = DepartmentFactory(code="CS")
        response = hr_api.post(
            "/api/v1/assignments/",
            {"employee": employee.pk, "department": department.pk, "start_date": "2024-01-01"},
            format="json",
        )
        assert response.status_code == 201
        assert response.json()["department"] == "CS"

    def test_filter_active_on(self, hr_api):
        AssignmentFactory(
            employee__employee_number="E1",
            start_date=dt.date(2024, 1, 1),
            end_date=dt.date(2024, 3, 31),
        )
        AssignmentFactory(employee__employee_number="E2", start_date=dt.date(2024, 1, 1))
        body = hr_api.get("/api/v1/assignments/?active_on=2024-06-01").json()
        assert [a["employee"] for a in body["results"]] == ["E2"]
