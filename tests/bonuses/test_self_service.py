"""The employee's own bonus statement page: employees are not admin staff; they sign in at
/accounts/login/ and see their own lines of approved runs only, in their language."""

import pytest

from apps.bonuses import services
from apps.departments import roles

from .test_admin import run  # noqa: F401 - the fixture: a plan, one enrolled employee, a run

pytestmark = pytest.mark.django_db


def test_an_employee_signs_in_and_reads_only_their_approved_statement(client, make_user, run):  # noqa: F811
    employee = run.plan.enrollments.get().employee
    user = make_user(roles.EMPLOYEE, username="mei", is_staff=False)
    employee.user = user
    employee.save(update_fields=["user"])

    assert client.get("/me/statement/").status_code == 302  # signed out: to the login page
    signed_in = client.post(
        "/accounts/login/", {"username": "mei", "password": "pw-for-tests-1"}, follow=True
    )
    assert signed_in.redirect_chain[-1][0] == "/me/statement/"
    assert "No approved bonus statement yet" in signed_in.content.decode()  # run not approved

    services.run_calculate(run=run, user=make_user(roles.HR))
    services.run_approve(run=run, user=make_user(roles.HR_APPROVER))
    line = run.lines.get()
    page = client.get("/me/statement/").content.decode()
    assert f'data-line="{line.pk}"' in page
    assert "1250.00 EUR" in page
    assert "<li>" in page  # the explanation, sentence by sentence

    other = make_user(roles.EMPLOYEE, username="other", is_staff=False)
    client.force_login(other)
    assert 'data-line="' not in client.get("/me/statement/").content.decode()
    chinese = client.get("/me/statement/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "我的奖金明细" in chinese


def test_the_admin_login_points_employees_to_their_statement(client):
    page = client.get("/admin/login/").content.decode()
    assert 'href="/me/statement/"' in page
