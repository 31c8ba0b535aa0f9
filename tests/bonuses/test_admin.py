"""HR's workplace in the admin: plans with inline components, runs with their actions."""

import datetime as dt
from decimal import Decimal as D

import pytest
import tablib
from rest_framework.test import APIClient

from apps.bonuses import services
from apps.bonuses.admin import EnrollmentResource
from apps.bonuses.models import Plan, Run
from apps.departments import roles
from cxoffice.errors import ApplicationError
from tests.bonuses.test_runs import Q3
from tests.factories import (
    AssignmentFactory,
    DepartmentFactory,
    EmployeeFactory,
    KPIFactory,
    KPIResultFactory,
    TargetFactory,
)

pytestmark = pytest.mark.django_db


def plan_form(*weights, kpis):
    data = {"code": "Q-CX", "name": "Quarterly", "period_type": "quarter", "currency": "EUR",
            "status": "draft", "cap_percent": "200", "missing_data_policy": "block",
            "true_up_negative": "recover",
            "components-TOTAL_FORMS": str(len(weights)), "components-INITIAL_FORMS": "0",
            "gates-TOTAL_FORMS": "0", "gates-INITIAL_FORMS": "0"}  # fmt: skip
    for n, (weight, kpi) in enumerate(zip(weights, kpis, strict=True)):
        data |= {f"components-{n}-kpi": kpi.pk, f"components-{n}-weight": weight,
                 f"components-{n}-scope": "department", f"components-{n}-low_sample": "own",
                 f"components-{n}-payout_at_threshold": "50",
                 f"components-{n}-payout_at_stretch": "150"}  # fmt: skip
    return data


def test_plan_with_inline_components_checks_the_weights(client, make_user):
    client.force_login(make_user(roles.HR))
    kpis = [KPIFactory(), KPIFactory()]
    refused = client.post("/admin/bonuses/plan/add/", plan_form("60", "39.99", kpis=kpis))
    assert refused.status_code == 200
    assert "99.99" in refused.content.decode()
    assert not Plan.objects.exists()
    saved = client.post("/admin/bonuses/plan/add/", plan_form("60", "40", kpis=kpis))
    assert saved.status_code == 302, saved.content.decode()[:2000]
    assert sorted(Plan.objects.get().components.values_list("weight", flat=True)) == [40, 60]


@pytest.fixture
def run():
    cs = DepartmentFactory(code="CS")
    kpi = KPIFactory(code="service.csat")
    TargetFactory(kpi=kpi, threshold=D(80), target=D(85), stretch=D(90))
    KPIResultFactory(kpi=kpi, department=cs, period=Q3, numerator=175, denominator=200)
    plan = services.plan_create(
        code="Q-CX", name="Quarterly", period_type="quarter", currency="EUR",
        components=[{"kpi": kpi, "weight": D(100), "scope": "department"}],
    )  # fmt: skip
    employee = EmployeeFactory(
        employee_number="E1", full_name="李梅", hire_date=dt.date(2020, 1, 1)
    )
    AssignmentFactory(employee=employee, department=cs, start_date=dt.date(2020, 1, 1))
    services.enrollment_create(
        employee=employee, plan=plan, target_amount=D(1000), start_date=dt.date(2026, 1, 1)
    )
    return services.run_create(plan=plan, period=Q3)


def test_calculate_approve_four_eyes_and_export_through_admin_actions(client, make_user, run):
    hr = make_user(roles.HR, username="hr1")
    approver = make_user(roles.HR_APPROVER, username="approver1")
    client.force_login(hr)
    url = "/admin/bonuses/run/"
    client.post(url, {"action": "calculate", "_selected_action": [run.pk]})
    run.refresh_from_db()
    assert (run.status, run.total_amount) == ("calculated", D("1250.00"))
    page = client.get(f"{url}{run.pk}/change/").content.decode()
    assert 'id="totals-by-department"' in page
    assert 'id="factor-chart"' in page
    assert 'id="runs-panel"' in client.get("/admin/").content.decode()

    own = client.post(url, {"action": "approve", "_selected_action": [run.pk]}, follow=True)
    assert "approve" in own.content.decode()
    run.refresh_from_db()
    assert run.status == "calculated"

    client.force_login(approver)
    client.post(url, {"action": "approve", "_selected_action": [run.pk]})
    run.refresh_from_db()
    assert (run.status, run.approved_by) == ("approved", approver)

    exported = client.post(url, {"action": "export_csv", "_selected_action": [run.pk]})
    assert exported["Content-Type"].startswith("text/csv")
    text = exported.content.decode("utf-8-sig")
    assert exported.content.startswith(b"\xef\xbb\xbf")
    assert "E1,李梅,CS,Q-CX,2026-Q3,EUR,1250.00" in text


def test_runs_stay_read_only_after_approval(client, make_user, run):
    services.run_calculate(run=run, user=make_user(roles.HR))
    services.run_approve(run=run, user=make_user(roles.HR_APPROVER))
    client.force_login(make_user(roles.HR))
    response = client.post(
        "/admin/bonuses/run/", {"action": "calculate", "_selected_action": [run.pk]}, follow=True
    )
    assert "read-only" in response.content.decode()
    assert Run.objects.get().status == "approved"


def test_enrollment_import_goes_through_the_service(client, make_user):
    plan = services.plan_create(
        code="Q-CX", name="Quarterly", period_type="quarter", currency="EUR",
        components=[{"kpi": KPIFactory(), "weight": D(100)}],
    )  # fmt: skip
    EmployeeFactory(employee_number="E1")
    EmployeeFactory(employee_number="E2")
    good = tablib.Dataset(headers=["employee", "plan", "target_amount", "start_date", "end_date"])
    good.append(["E1", "Q-CX", "1000.00", "2026-01-01", ""])
    good.append(["E2", "Q-CX", "800.00", "2026-01-01", "2026-06-30"])
    result = EnrollmentResource().import_data(good, dry_run=False, user=make_user(roles.HR))
    assert not result.has_errors()
    assert not result.has_validation_errors()
    assert plan.enrollments.count() == 2

    overlapping = tablib.Dataset(
        headers=["employee", "plan", "target_amount", "start_date", "end_date"]
    )
    overlapping.append(["E2", "Q-CX", "900.00", "2026-07-01", ""])
    overlapping.append(["E1", "Q-CX", "900.00", "2026-03-01", ""])
    # As the admin imports a file: refused rows roll the whole file back.
    result = EnrollmentResource().import_data(
        overlapping, dry_run=False, rollback_on_validation_errors=True, user=make_user(roles.HR)
    )
    assert result.has_validation_errors()
    assert [row.number for row in result.invalid_rows] == [2]
    assert "overlap" in str(result.invalid_rows[0].error_dict)
    assert plan.enrollments.count() == 2  # all or nothing


def test_enrollment_and_adjustment_refusals_show_on_the_form(client, make_user, run):
    client.force_login(make_user(roles.HR))
    employee = run.plan.enrollments.get().employee
    overlapping = client.post(
        "/admin/bonuses/enrollment/add/",
        {"employee": employee.pk, "plan": run.plan.pk, "target_amount": "500.00",
         "start_date": "2026-05-01", "end_date": ""},
    )  # fmt: skip
    assert overlapping.status_code == 200
    assert "cannot overlap" in overlapping.content.decode()
    assert run.plan.enrollments.count() == 1

    stranger = EmployeeFactory()
    no_line = client.post(
        "/admin/bonuses/adjustment/add/",
        {"run": run.pk, "employee": stranger.pk, "amount": "10.00", "reason": "typo"},
    )
    assert no_line.status_code == 200
    assert "no line in that run" in no_line.content.decode()


def test_approved_runs_cannot_be_deleted_in_the_admin(client, make_user, run):
    services.run_calculate(run=run, user=make_user(roles.HR))
    services.run_approve(run=run, user=make_user(roles.HR_APPROVER))
    client.force_login(make_user(is_superuser=True))
    # The service refuses (run_delete): the admin says why instead of a bare 403.
    refused = client.post(f"/admin/bonuses/run/{run.pk}/delete/", {"post": "yes"}, follow=True)
    assert refused.redirect_chain == [(f"/admin/bonuses/run/{run.pk}/change/", 302)]
    assert "is approved and read-only" in refused.content.decode()
    assert Run.objects.filter(pk=run.pk).exists()


def test_an_adjustment_beyond_the_money_columns_is_refused_and_the_run_stays_readable(
    make_user, run
):
    hr = make_user(roles.HR)
    services.run_calculate(run=run, user=hr)
    line = run.lines.get()
    with pytest.raises(ApplicationError) as refused:
        services.adjustment_create(line=line, amount=D("999999999999.99"), reason="typo", user=hr)
    assert (refused.value.field, refused.value.code) == ("amount", "max_value")
    assert not run.adjustments.exists()
    run.refresh_from_db()  # still readable, unchanged
    assert run.total_amount == line.amount
    services.adjustment_create(line=line, amount=D("-10.00"), reason="typo", user=hr)
    run.refresh_from_db()
    assert run.total_amount == line.amount - 10


def test_an_adjustment_reads_back_with_its_line_through_the_api(make_user, run):
    hr = make_user(roles.HR, username="hr-api")
    services.run_calculate(run=run, user=hr)
    line = run.lines.get()
    api = APIClient()
    api.force_authenticate(hr)
    made = api.post(
        "/api/v1/bonus-adjustments/",
        {"line": line.pk, "amount": "5.00", "reason": "rounding"},
        format="json",
    )
    assert made.status_code == 201, made.json()
    expected = {"line": line.pk, "amount": "5", "reason": "rounding", "created_by": "hr-api"}
    assert {k: made.json()[k] for k in expected} == expected
    listed = api.get(f"/api/v1/bonus-adjustments/?run={run.pk}").json()["results"]
    assert [a["line"] for a in listed] == [line.pk]
    # The run list's filters do not apply to one run's lines.
    lines = api.get(f"/api/v1/bonus-runs/{run.pk}/lines/?status=draft&period=banana")
    assert (lines.status_code, lines.json()["count"]) == (200, 1)


@pytest.mark.parametrize("role", [roles.DATA_STEWARD, roles.PROJECT_OWNER, roles.EXECUTIVE])
def test_only_hr_imports_or_exports_enrollments(client, make_user, run, role):
    """Enrollments hold everyone's bonus targets: their import and export pages are HR's."""
    client.force_login(make_user(role))
    for page in ("export", "import"):
        assert client.get(f"/admin/bonuses/enrollment/{page}/").status_code == 403, page
    exported = client.post("/admin/bonuses/enrollment/export/", {"format": "0"})
    assert exported.status_code == 403
    client.force_login(make_user(roles.HR))
    assert client.get("/admin/bonuses/enrollment/export/").status_code == 200
    assert client.get("/admin/bonuses/enrollment/import/").status_code == 200


def test_run_and_enrollment_forms_show_refusals_instead_of_failing(client, make_user, run):
    client.force_login(make_user(is_superuser=True))
    for period, message in (("2026-13", "2026-13"), ("2026-10", "is not a quarter")):
        page = client.post("/admin/bonuses/run/add/", {"plan": run.plan.pk, "period": period})
        assert page.status_code == 200, period
        assert message in page.content.decode()
    assert Run.objects.count() == 1

    services.run_calculate(run=run, user=make_user(roles.HR))
    services.run_approve(run=run, user=make_user(roles.HR_APPROVER))
    added = client.post(
        "/admin/bonuses/enrollment/add/",
        {"employee": EmployeeFactory().pk, "plan": run.plan.pk, "target_amount": "1000.00",
         "start_date": "2027-01-01", "end_date": ""},
    )  # fmt: skip
    assert added.status_code == 200
    assert "create a new version" in added.content.decode()

    detail = client.get(f"/admin/bonuses/run/{run.pk}/change/").content.decode()
    lines_url = f"/admin/bonuses/line/?run__id__exact={run.pk}"
    assert f'href="{lines_url}"' in detail
    assert client.get(lines_url).status_code == 200


def test_run_actions_are_offered_to_who_may_use_them(client, make_user, run):
    def offered(role):
        client.force_login(make_user(role))
        page = client.get("/admin/bonuses/run/").content.decode()
        return {a for a in ("calculate", "approve", "mark_paid") if f'value="{a}"' in page}

    # HR calculates and marks paid; the approver approves (four eyes), nothing else.
    assert offered(roles.HR) == {"calculate", "mark_paid"}
    assert offered(roles.HR_APPROVER) == {"approve"}


def test_a_line_reads_as_a_table_not_raw_json(client, make_user, run):
    services.run_calculate(run=run, user=make_user(roles.HR))
    line = run.lines.get()
    client.force_login(make_user(roles.HR))
    page = client.get(f"/admin/bonuses/line/{line.pk}/change/").content.decode()
    assert '<table class="cx-components">' in page
    assert "<td>service.csat</td>" in page
    assert "payout_percent" not in page  # no raw JSON
    assert f"{(line.factor * 100).quantize(D('0.01')).normalize():f}%" in page
    listed = client.get("/admin/bonuses/line/").content.decode()
    assert str(line.factor) not in listed  # the list shows the factor as a percentage
