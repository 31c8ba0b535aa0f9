"""HR keeps departments and people in the admin, in a real browser."""

import re

from playwright.sync_api import expect

from apps.departments import roles
from apps.departments.models import Employee
from tests.factories import DepartmentFactory, UserFactory


def choose_autocomplete(page, select_id: str, text: str) -> None:
    """Pick ``text`` in one of the admin's autocomplete (select2) widgets."""
    page.click(f"[aria-labelledby='select2-{select_id}-container']")
    page.fill(".select2-container--open .select2-search__field", text)
    page.click(f".select2-results__option:has-text('{text}')")


def test_hr_adds_a_department_and_an_employee_and_sees_them_listed(live_server, page, login):
    UserFactory(username="hr1", roles=[roles.HR])
    DepartmentFactory(code="CO", name="Company")
    login("hr1")

    page.goto(f"{live_server.url}/admin/departments/department/add/")
    page.fill("#id_code", "OPS")
    page.fill("#id_name", "Operations")
    choose_autocomplete(page, "id_parent", "Company")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist .success")).to_contain_text("Operations")

    page.goto(f"{live_server.url}/admin/departments/employee/add/")
    page.fill("#id_employee_number", "E100")
    page.fill("#id_full_name", "Wei Zhang")
    page.fill("#id_email", "wei@example.com")
    page.fill("#id_hire_date", "2024-01-01")
    page.fill("#id_base_salary", "52000.00")
    choose_autocomplete(page, "id_assignments-0-department", "Operations")
    page.fill("#id_assignments-0-start_date", "2024-01-01")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist .success")).to_contain_text("Wei Zhang")

    rows = page.locator("#result_list tbody tr")
    expect(rows.filter(has_text="Wei Zhang")).to_have_count(1)
    expect(rows.filter(has_text="Wei Zhang").locator(".field-current_department")).to_have_text(
        "OPS"
    )
    page.goto(f"{live_server.url}/admin/departments/department/?q=OPS")
    expect(page.locator("#result_list tbody tr").filter(has_text="Operations")).to_have_count(1)
    assert Employee.objects.get(employee_number="E100").assignments.get().department.code == "OPS"


def test_overlapping_assignment_is_refused_on_the_page(live_server, page, login):
    UserFactory(username="hr1", roles=[roles.HR])
    DepartmentFactory(code="WH", name="Warehouse")
    DepartmentFactory(code="CS", name="Customer service")
    login("hr1")
    page.goto(f"{live_server.url}/admin/departments/employee/add/")
    page.fill("#id_employee_number", "E200")
    page.fill("#id_full_name", "Ana Costa")
    page.fill("#id_hire_date", "2024-01-01")
    choose_autocomplete(page, "id_assignments-0-department", "Warehouse")
    page.fill("#id_assignments-0-start_date", "2024-01-01")
    page.click("#assignments-group .add-row a")
    choose_autocomplete(page, "id_assignments-1-department", "Customer service")
    page.fill("#id_assignments-1-start_date", "2024-03-01")
    page.click("input[name=_save]")
    expect(page.locator(".errornote")).to_be_visible()
    expect(page.locator("#assignments-group .errorlist")).to_contain_text("overlaps")
    assert not Employee.objects.filter(employee_number="E200").exists()


def test_api_docs_load_nothing_from_outside(live_server, page):
    outside = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url)
            if not request.url.startswith((live_server.url, "data:", "blob:"))
            else None
        ),
    )
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("cxoffice API")
    expect(page.locator(".opblock-summary-path").filter(has_text=re.compile("/api/v1/employees/")))
    assert outside == []


def test_admin_follows_the_browser_language(live_server, browser):
    UserFactory(username="hr1", roles=[roles.HR])
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.set_extra_http_headers({"Accept-Language": "zh-Hans"})
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "hr1")
    page.fill("#id_password", "pw-for-tests-1")
    page.click("input[type=submit]")
    expect(page.locator("#content h1")).to_contain_text("客户体验后台")
    context.close()
