import datetime as dt

import pytest

from apps.departments import roles
from apps.departments.models import Assignment, Department, Employee
from tests.factories import AssignmentFactory, DepartmentFactory, EmployeeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def hr_client(client, make_user):
    client.force_login(make_user(roles.HR))
    return client


def _employee_form(*assignments, **fields):
    data = {
        "employee_number": "E100",
        "full_name": "Wei Zhang",
        "email": "wei@example.com",
        "title": "Picker",
        "hire_date": "2024-01-01",
        "leave_date": "",
        "base_salary": "50000.00",
        "assignments-TOTAL_FORMS": str(len(assignments)),
        "assignments-INITIAL_FORMS": "0",
        "assignments-MIN_NUM_FORMS": "0",
        "assignments-MAX_NUM_FORMS": "1000",
        **fields,
    }
    for index, (department, start, end) in enumerate(assignments):
        data[f"assignments-{index}-department"] = str(department.pk)
        data[f"assignments-{index}-start_date"] = start
        data[f"assignments-{index}-end_date"] = end
    return data


def test_admin_is_branded_cxoffice(hr_client):
    page = hr_client.get("/admin/").content.decode()
    assert "cxoffice" in page
    assert "/admin/departments/employee/" in page


def test_hr_adds_an_employee_with_an_assignment(hr_client):
    warehouse = DepartmentFactory(code="WH", name="Warehouse")
    response = hr_client.post(
        "/admin/departments/employee/add/", _employee_form((warehouse, "2024-01-01", ""))
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    employee = Employee.objects.get(employee_number="E100")
    assert [(a.department.code, a.start_date) for a in employee.assignments.all()] == [
        ("WH", dt.date(2024, 1, 1))
    ]
    listing = hr_client.get("/admin/departments/employee/").content.decode()
    assert "Wei Zhang" in listing
    assert '<td class="field-current_department">WH</td>' in listing


def test_overlapping_rows_in_one_submit_are_refused_and_nothing_is_written(hr_client):
    warehouse = DepartmentFactory(code="WH")
    service = DepartmentFactory(code="CS")
    response = hr_client.post(
        "/admin/departments/employee/add/",
        _employee_form((warehouse, "2024-01-01", ""), (service, "2024-06-01", "")),
    )
    assert response.status_code == 200
    assert "overlaps" in response.content.decode()
    assert not Employee.objects.exists()
    assert not Assignment.objects.exists()


def test_assignment_before_hire_is_refused_in_the_inline(hr_client):
    warehouse = DepartmentFactory(code="WH")
    response = hr_client.post(
        "/admin/departments/employee/add/", _employee_form((warehouse, "2023-06-01", ""))
    )
    assert response.status_code == 200
    assert "before the hire date" in response.content.decode()
    assert not Employee.objects.exists()


def test_standalone_assignment_overlap_shows_on_the_form(hr_client):
    existing = AssignmentFactory(start_date=dt.date(2024, 1, 1))
    response = hr_client.post(
        "/admin/departments/assignment/add/",
        {
            "employee": existing.employee.pk,
            "department": DepartmentFactory().pk,
            "start_date": "2024-02-01",
            "end_date": "",
        },
    )
    assert response.status_code == 200
    assert "overlaps" in response.content.decode()
    assert Assignment.objects.count() == 1


def test_department_cycle_is_refused_on_the_parent_field(hr_client):
    a = DepartmentFactory(code="A")
    b = DepartmentFactory(code="B", parent=a)
    response = hr_client.post(
        f"/admin/departments/department/{a.pk}/change/",
        {
            "code": "A",
            "name": a.name,
            "parent": b.pk,
            "head": "",
            "is_active": "on",
            "children-TOTAL_FORMS": "1",
            "children-INITIAL_FORMS": "1",
            "children-MIN_NUM_FORMS": "0",
            "children-MAX_NUM_FORMS": "1000",
            "children-0-id": str(b.pk),
            "children-0-parent": str(a.pk),
        },
    )
    assert response.status_code == 200
    assert "own ancestor" in response.content.decode()
    a.refresh_from_db()
    assert a.parent is None


def test_salary_is_shown_to_hr_only(client, make_user):
    employee = EmployeeFactory(base_salary="98765.43")
    url = f"/admin/departments/employee/{employee.pk}/change/"
    client.force_login(make_user(roles.DATA_STEWARD))
    steward_page = client.get(url)
    assert steward_page.status_code == 200
    assert "98765" not in steward_page.content.decode()
    assert "base_salary" not in steward_page.content.decode()
    client.force_login(make_user(roles.HR))
    assert "98765.43" in client.get(url).content.decode()


@pytest.mark.parametrize("rows", [2, 25])
def test_employee_changelist_query_count_is_flat(hr_client, django_assert_max_num_queries, rows):
    for _ in range(rows):
        AssignmentFactory()
    with django_assert_max_num_queries(12):
        response = hr_client.get("/admin/departments/employee/")
    assert response.status_code == 200
    assert response.content.decode().count('class="field-current_department"') == rows


@pytest.mark.parametrize("rows", [2, 25])
def test_department_changelist_query_count_is_flat(hr_client, django_assert_max_num_queries, rows):
    parent = DepartmentFactory(head=EmployeeFactory())
    for _ in range(rows):
        DepartmentFactory(parent=parent, head=EmployeeFactory())
    with django_assert_max_num_queries(12):
        response = hr_client.get("/admin/departments/department/")
    assert response.status_code == 200
    assert Department.objects.count() == rows + 1


def test_role_list_shows_translated_labels(client, make_user):
    client.force_login(make_user(is_superuser=True))
    english = client.get("/admin/auth/group/").content.decode()
    chinese = client.get("/admin/auth/group/", HTTP_ACCEPT_LANGUAGE="zh-hant").content.decode()
    assert "Data steward" in english
    assert "資料管理員" in chinese
