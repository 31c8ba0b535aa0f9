"""An adjustment is made on an employee's line in a run: the service refuses an employee
without one, and so do the API (which takes ``line`` or ``run`` + ``employee``) and the admin."""

from decimal import Decimal as D

import pytest

from apps.bonuses import services
from apps.bonuses.models import Adjustment
from cxoffice.errors import ApplicationError
from tests.factories import EmployeeFactory

pytestmark = pytest.mark.django_db

NO_LINE = "This employee has no line in that run."


def test_an_employee_without_a_line_in_the_run_is_refused(make_run, hr):
    run = make_run(status="calculated")
    stranger = EmployeeFactory()
    with pytest.raises(ApplicationError) as refused:
        services.adjustment_create(run=run, employee=stranger, amount=D(10), reason="typo", user=hr)
    assert (refused.value.field, refused.value.code, refused.value.message) == (
        "employee", "no_line", NO_LINE
    )  # fmt: skip
    assert not Adjustment.objects.exists()
    run.refresh_from_db()
    assert run.total_amount == D("1250.00")


def test_the_line_is_found_from_run_and_employee(make_run, hr):
    run = make_run(status="calculated")
    line = run.lines.get()
    adjustment = services.adjustment_create(
        run=run, employee=line.employee, amount=D("-50.00"), reason="late entry", user=hr
    )
    assert (adjustment.run, adjustment.employee) == (run, line.employee)
    line.refresh_from_db()
    assert line.amount == D("1200.00")


@pytest.mark.parametrize(
    ("given", "field"), [((), "line"), (("employee",), "run"), (("run",), "employee")]
)
def test_without_a_line_the_run_and_the_employee_are_needed(make_run, hr, given, field):
    run = make_run(status="calculated")
    values = {"run": run, "employee": run.lines.get().employee}
    with pytest.raises(ApplicationError) as refused:
        services.adjustment_create(
            amount=D(1), reason="x", user=hr, **{name: values[name] for name in given}
        )
    assert (refused.value.field, refused.value.code) == (field, "required")
    assert not Adjustment.objects.exists()


def test_a_line_given_with_another_employee_is_refused(make_run, hr):
    run = make_run(status="calculated")
    with pytest.raises(ApplicationError) as refused:
        services.adjustment_create(
            line=run.lines.get(), employee=EmployeeFactory(), amount=D(1), reason="x", user=hr
        )
    assert (refused.value.field, refused.value.code) == ("line", "line_mismatch")
    assert not Adjustment.objects.exists()


def test_api_refuses_an_employee_without_a_line_naming_the_field(make_run, api_for):
    run = make_run(status="calculated")
    stranger = EmployeeFactory(employee_number="E9")
    api = api_for("HR")
    response = api.post(
        "/api/v1/bonus-adjustments/",
        {"run": run.pk, "employee": stranger.employee_number, "amount": "10.00", "reason": "typo"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"detail": f"employee: {NO_LINE}", "field": "employee",
                               "code": "no_line"}  # fmt: skip
    assert not Adjustment.objects.exists()

    made = api.post(
        "/api/v1/bonus-adjustments/",
        {"run": run.pk, "employee": "E1", "amount": "10.00", "reason": "typo"},
        format="json",
    )
    assert made.status_code == 201, made.json()
    body = made.json()
    assert (body["line"], body["run"], body["employee"], body["amount"]) == (
        run.lines.get().pk, run.pk, "E1", "10"
    )  # fmt: skip


def test_admin_refuses_an_employee_without_a_line_and_writes_nothing(client, make_run, hr):
    run = make_run(status="calculated")
    client.force_login(hr)
    response = client.post(
        "/admin/bonuses/adjustment/add/",
        {"run": run.pk, "employee": EmployeeFactory().pk, "amount": "10.00", "reason": "typo"},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"employee": [NO_LINE]}
    assert NO_LINE in response.content.decode()
    assert not Adjustment.objects.exists()

    employee = run.lines.get().employee
    saved = client.post(
        "/admin/bonuses/adjustment/add/",
        {"run": run.pk, "employee": employee.pk, "amount": "10.00", "reason": "typo"},
    )
    assert saved.status_code == 302
    run.refresh_from_db()
    assert run.total_amount == D("1260.00")
