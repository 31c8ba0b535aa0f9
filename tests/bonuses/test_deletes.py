"""Deleting plans, enrollments and runs: one service per rule, through the API and the admin
(its delete page and its bulk "Delete selected"), refusals included."""

from decimal import Decimal as D

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.messages import get_messages

from apps.bonuses import services
from apps.bonuses.models import Adjustment, Enrollment, Line, Plan, Run
from cxoffice.errors import ConflictError
from tests.factories import EmployeeFactory, KPIFactory

pytestmark = pytest.mark.django_db

CLOSED = "read-only; correct it with an adjustment in a later run."
FROZEN = "is used by an approved run and can no longer change; create a new version."


def messages_of(response) -> list[str]:
    """The messages the page (followed to its end) showed."""
    return [str(message) for message in get_messages(response.wsgi_request)]


def bulk_delete(client, model: str, *objects):
    """The changelist's "Delete selected", confirmed."""
    return client.post(
        f"/admin/bonuses/{model}/",
        {"action": "delete_selected", "_selected_action": [o.pk for o in objects], "post": "yes"},
        follow=True,
    )


# --- the services ------------------------------------------------------------------------------


def test_run_delete_refuses_approved_and_paid_runs_and_deletes_open_ones(make_run, hr):
    approved = make_run("2026-Q3", status="approved")
    paid = make_run("2026-Q4", status="paid")
    for closed in (approved, paid):
        with pytest.raises(ConflictError) as refused:
            services.run_delete(run=closed)
        assert (refused.value.field, refused.value.code) == ("status", "run_closed")
        assert CLOSED in refused.value.message
    assert Run.objects.count() == 2
    assert Line.objects.count() == 2

    simulation = make_run("2026-Q3", is_simulation=True)
    services.adjustment_create(
        line=simulation.lines.get(), amount=D(100), reason="what if", user=hr
    )
    services.run_delete(run=simulation)
    assert not Run.objects.filter(pk=simulation.pk).exists()
    assert not Line.objects.filter(run_id=simulation.pk).exists()
    assert not Adjustment.objects.exists()


def test_plan_delete_refuses_a_plan_frozen_by_an_approved_run(make_run, cx_plan):
    make_run(status="approved")
    with pytest.raises(ConflictError) as refused:
        services.plan_delete(plan=cx_plan)
    assert (refused.value.field, refused.value.code) == ("plan", "plan_frozen")
    assert FROZEN in refused.value.message
    assert Plan.objects.filter(pk=cx_plan.pk).exists()

    draft = services.plan_create(
        code="DRAFT", name="Draft", period_type="quarter", currency="EUR",
        components=[{"kpi": KPIFactory(), "weight": 100}],
    )  # fmt: skip
    services.plan_delete(plan=draft)
    assert list(Plan.objects.values_list("code", flat=True)) == ["Q-CX"]


def test_enrollment_delete_refuses_while_the_plan_is_frozen(make_run, cx_plan):
    enrollment = cx_plan.enrollments.get()
    make_run(status="approved")
    with pytest.raises(ConflictError) as refused:
        services.enrollment_delete(enrollment=enrollment)
    assert (refused.value.field, refused.value.code) == ("plan", "plan_frozen")
    assert Enrollment.objects.filter(pk=enrollment.pk).exists()


def test_enrollment_delete_of_an_editable_plan(cx_plan):
    services.enrollment_delete(enrollment=cx_plan.enrollments.get())
    assert not Enrollment.objects.exists()


# --- the API -----------------------------------------------------------------------------------


def test_api_delete_refusals_are_409_naming_field_and_code(make_run, cx_plan, api_for):
    api = api_for("HR")
    approved = make_run(status="approved")
    enrollment = cx_plan.enrollments.get()
    for url, field, code in (
        (f"/api/v1/bonus-runs/{approved.pk}/", "status", "run_closed"),
        (f"/api/v1/bonus-enrollments/{enrollment.pk}/", "plan", "plan_frozen"),
        (f"/api/v1/bonus-plans/{cx_plan.pk}/", "plan", "plan_frozen"),
    ):
        response = api.delete(url)
        assert response.status_code == 409, url
        body = response.json()
        assert (body["field"], body["code"]) == (field, code), url
        assert body["detail"].startswith(f"{field}: ")
    assert Run.objects.filter(pk=approved.pk).exists()
    assert Enrollment.objects.filter(pk=enrollment.pk).exists()
    assert Plan.objects.filter(pk=cx_plan.pk).exists()


def test_api_deletes_an_open_run_and_an_enrollment_of_an_editable_plan(make_run, cx_plan, api_for):
    api = api_for("HR")
    run = make_run(status="calculated")
    assert api.delete(f"/api/v1/bonus-runs/{run.pk}/").status_code == 204
    enrollment = cx_plan.enrollments.get()
    assert api.delete(f"/api/v1/bonus-enrollments/{enrollment.pk}/").status_code == 204
    assert not Run.objects.exists()
    assert not Enrollment.objects.exists()


# --- the admin: the delete page ----------------------------------------------------------------


def test_admin_delete_page_refuses_an_approved_run_with_the_message(client, make_run, hr):
    run = make_run(status="approved")
    client.force_login(hr)
    page = client.get(f"/admin/bonuses/run/{run.pk}/change/").content.decode()
    assert f"/admin/bonuses/run/{run.pk}/delete/" not in page  # not offered
    response = client.post(f"/admin/bonuses/run/{run.pk}/delete/", {"post": "yes"}, follow=True)
    assert response.redirect_chain == [(f"/admin/bonuses/run/{run.pk}/change/", 302)]
    assert any(CLOSED in text for text in messages_of(response))
    assert Run.objects.filter(pk=run.pk).exists()
    assert not LogEntry.objects.exists()  # the deletion's log entry was rolled back too


def test_admin_deletes_a_calculated_run_with_its_lines_and_adjustments(client, make_run, hr):
    run = make_run(status="calculated")
    services.adjustment_create(line=run.lines.get(), amount=D(5), reason="rounding", user=hr)
    client.force_login(hr)
    change = client.get(f"/admin/bonuses/run/{run.pk}/change/").content.decode()
    assert f"/admin/bonuses/run/{run.pk}/delete/" in change  # offered
    page = client.get(f"/admin/bonuses/run/{run.pk}/delete/").content.decode()
    assert "Yes, I’m sure" in page  # offered: no permission on the lines is needed
    response = client.post(f"/admin/bonuses/run/{run.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Run.objects.exists()
    assert not Line.objects.exists()
    assert not Adjustment.objects.exists()


def test_admin_delete_page_refuses_an_enrollment_of_a_frozen_plan(client, make_run, cx_plan, hr):
    enrollment = cx_plan.enrollments.get()
    make_run(status="approved")
    client.force_login(hr)
    url = f"/admin/bonuses/enrollment/{enrollment.pk}/"
    response = client.post(f"{url}delete/", {"post": "yes"}, follow=True)
    assert response.redirect_chain == [(f"{url}change/", 302)]
    assert any(FROZEN in text for text in messages_of(response))
    assert Enrollment.objects.filter(pk=enrollment.pk).exists()


# --- the admin: "Delete selected" --------------------------------------------------------------


def test_bulk_delete_of_runs_is_all_or_nothing_and_names_each_refused_run(client, make_run, hr):
    open_run = make_run("2026-Q4", status="calculated")
    approved = make_run("2026-Q3", status="approved")
    client.force_login(hr)
    response = bulk_delete(client, "run", open_run, approved)
    assert response.redirect_chain == [("/admin/bonuses/run/", 302)]
    texts = messages_of(response)
    assert "Nothing was deleted: 1 selected object may not be deleted." in texts
    assert [t for t in texts if CLOSED in t] == [f"{approved}: {approved_message(approved)}"]
    assert not any("Successfully deleted" in t for t in texts)
    assert Run.objects.count() == 2  # the open run was not deleted either
    assert Line.objects.filter(run=open_run).exists()
    assert not LogEntry.objects.exists()

    response = bulk_delete(client, "run", open_run)
    assert "Successfully deleted 1 bonus run." in messages_of(response)
    assert list(Run.objects.all()) == [approved]


def approved_message(run) -> str:
    with pytest.raises(ConflictError) as refused:
        services.check_run_open(run)
    return refused.value.message


def test_bulk_delete_of_enrollments_goes_through_the_service(client, make_run, cx_plan, hr):
    frozen = cx_plan.enrollments.get()
    other = services.plan_create(
        code="M-CX", name="Monthly", period_type="month", currency="EUR",
        components=[{"kpi": KPIFactory(), "weight": 100}],
    )  # fmt: skip
    free = services.enrollment_create(
        employee=EmployeeFactory(), plan=other, target_amount=100, start_date=frozen.start_date
    )
    make_run(status="approved")
    client.force_login(hr)
    texts = messages_of(bulk_delete(client, "enrollment", frozen, free))
    assert any(FROZEN in t for t in texts)
    assert Enrollment.objects.count() == 2
    assert "Successfully deleted 1 enrollment." in messages_of(
        bulk_delete(client, "enrollment", free)
    )
    assert list(Enrollment.objects.all()) == [frozen]


def test_bulk_delete_of_plans_deletes_unused_ones_and_keeps_used_ones(client, cx_plan, hr):
    draft = services.plan_create(
        code="DRAFT", name="Draft", period_type="quarter", currency="EUR",
        components=[{"kpi": KPIFactory(), "weight": 100}],
    )  # fmt: skip
    client.force_login(hr)
    # Q-CX has an enrollment (protected): Django's confirmation page refuses, nothing goes.
    refused = bulk_delete(client, "plan", cx_plan, draft)
    assert (refused.status_code, refused.redirect_chain) == (200, [])
    assert "protected" in refused.content.decode()
    assert Plan.objects.count() == 2
    bulk_delete(client, "plan", draft)
    assert list(Plan.objects.values_list("code", flat=True)) == ["Q-CX"]
