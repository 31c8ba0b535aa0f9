"""Triage, the status flow and overdue items — through the services and the API."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.departments.models import Department
from apps.feedback import selectors, services
from apps.feedback.models import Category, Channel, Feedback, ResponseTime, Status
from apps.feedback.services import ItemsError
from cxoffice.errors import ApplicationError
from tests.factories import EmployeeFactory
from tests.service_days.factories import FindingFactory

from .factories import FeedbackFactory, at

pytestmark = pytest.mark.django_db


def test_triage_follows_category_department_head_and_response_time(catalog):
    ResponseTime.objects.filter(severity="high").update(hours=48)
    item = FeedbackFactory(received_at=at(dt.date(2026, 11, 16), 9), severity="high")
    services.feedback_triage(feedback=item, category=Category.objects.get(code="wrong_item"))
    item.refresh_from_db()
    warehouse = Department.objects.get(code="WH")
    assert item.status == Status.TRIAGED
    assert item.department == warehouse
    assert item.owner == warehouse.head
    assert item.due_date == dt.date(2026, 11, 18)  # received + 48 hours


def test_triage_takes_what_is_given(catalog):
    someone = EmployeeFactory()
    item = FeedbackFactory(received_at=at(dt.date(2026, 11, 16)))
    services.feedback_triage(
        feedback=item,
        category=Category.objects.get(code="damaged_goods"),
        department=Department.objects.get(code="WH"),
        owner=someone,
        severity="critical",
    )
    item.refresh_from_db()
    assert (item.department.code, item.owner, item.severity) == ("WH", someone, "critical")
    assert item.due_date == dt.date(2026, 11, 17)  # critical: 24 hours by default


def test_triage_refusals(catalog):
    item = FeedbackFactory()
    with pytest.raises(ApplicationError) as error:
        services.feedback_triage(feedback=item)
    assert (error.value.field, error.value.code) == ("category", "required")
    Department.objects.filter(code="IT").update(head=None)
    with pytest.raises(ApplicationError) as error:
        services.feedback_triage(
            feedback=item, category=Category.objects.get(code="website_problem")
        )
    assert (error.value.field, error.value.code) == ("owner", "required")
    item.refresh_from_db()
    assert item.status == Status.NEW


def test_triage_through_the_api(catalog, cs_api):
    item = FeedbackFactory(received_at=at(dt.date(2026, 11, 16)))
    response = cs_api.post(
        f"/api/v1/feedback/{item.pk}/triage/", {"category": "late_delivery"}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["category"], body["department"]) == (
        "triaged",
        "late_delivery",
        "DIST",
    )
    assert body["owner"] == Department.objects.get(code="DIST").head.employee_number
    assert body["due_date"] == "2026-11-23"  # medium: 7 days


def test_status_flow_and_resolved_at(catalog, cs_api):
    item = FeedbackFactory(department=Department.objects.get(code="CS"))
    url = f"/api/v1/feedback/{item.pk}/transition/"
    illegal = cs_api.post(url, {"to": "resolved"}, format="json")
    assert illegal.status_code == 409
    assert illegal.json()["field"] == "to"
    assert illegal.json()["code"] == "illegal_transition"
    assert "“Triaged”, “Closed”" in illegal.json()["detail"]
    for to in ("triaged", "in_progress"):
        assert cs_api.post(url, {"to": to}, format="json").status_code == 200
    done = cs_api.post(url, {"to": "resolved", "resolution": "Refunded"}, format="json")
    assert done.status_code == 200
    assert done.json()["resolution"] == "Refunded"
    assert done.json()["resolved_at"] is not None
    assert cs_api.post(url, {"to": "closed"}, format="json").status_code == 200
    final = cs_api.post(url, {"to": "in_progress"}, format="json")
    assert final.status_code == 409
    assert "none (the item is closed)" in final.json()["detail"]
    unknown = cs_api.post(url, {"to": "done"}, format="json")
    assert unknown.status_code == 400
    assert unknown.json()["field"] == "to"
    item.refresh_from_db()
    assert item.status == Status.CLOSED


def test_status_is_not_editable_directly(catalog, cs_api):
    item = FeedbackFactory()
    response = cs_api.patch(f"/api/v1/feedback/{item.pk}/", {"status": "closed"}, format="json")
    assert response.status_code == 200
    item.refresh_from_db()
    assert item.status == Status.NEW  # read-only field, ignored


def test_triaged_needs_a_department(catalog):
    item = FeedbackFactory()
    with pytest.raises(ApplicationError) as error:
        services.feedback_transition(feedback=item, to="triaged")
    assert error.value.field == "department"


def test_reopening_clears_resolved_at(catalog):
    item = FeedbackFactory(department=Department.objects.get(code="CS"))
    for to in ("triaged", "resolved"):
        item = services.feedback_transition(feedback=item, to=to)
    assert item.resolved_at is not None
    item = services.feedback_transition(feedback=item, to="in_progress")
    assert item.resolved_at is None


def test_bulk_transition_is_all_or_nothing(catalog):
    cs = Department.objects.get(code="CS")
    ready = FeedbackFactory.create_batch(2, department=cs)
    blocked = FeedbackFactory(department=None)
    with pytest.raises(ItemsError) as error:
        services.feedback_bulk_transition(
            feedback_ids=[i.pk for i in [*ready, blocked]], to="triaged"
        )
    assert [e.index for e in error.value.errors] == [blocked.pk]
    assert set(Feedback.objects.values_list("status", flat=True)) == {"new"}
    assert services.feedback_bulk_transition(feedback_ids=[i.pk for i in ready], to="closed") == 2
    with pytest.raises(ItemsError) as error:
        services.feedback_bulk_transition(feedback_ids=[ready[0].pk], to="triaged")
    assert error.value.status_code == 409


def test_overdue(catalog, cs_api):
    today = timezone.localdate()
    late = FeedbackFactory(due_date=today - dt.timedelta(days=1))
    FeedbackFactory(due_date=today)  # due today: not yet overdue
    FeedbackFactory(due_date=None)
    done = FeedbackFactory(due_date=today - dt.timedelta(days=5))
    Feedback.objects.filter(pk=done.pk).update(status=Status.RESOLVED)
    assert list(selectors.feedback_overdue()) == [late]
    body = cs_api.get("/api/v1/feedback/?overdue=true").json()
    assert [row["id"] for row in body["results"]] == [late.pk]
    assert body["results"][0]["is_overdue"] is True
    body = cs_api.get("/api/v1/feedback/?overdue=false").json()
    assert late.pk not in [row["id"] for row in body["results"]]
    assert body["count"] == 3


def test_feedback_from_a_service_day_finding(catalog):
    finding = FindingFactory(
        description="Riders cannot find the new depot",
        category=Category.objects.get(code="late_delivery"),
        severity="high",
        department=None,
        service_day__date=dt.date(2026, 11, 18),
    )
    item = services.feedback_from_finding(finding=finding)
    assert item.channel == Channel.SERVICE_DAY
    assert (item.category.code, item.department.code, item.severity) == (
        "late_delivery",
        "DIST",
        "high",
    )
    assert timezone.localdate(item.received_at) == dt.date(2026, 11, 18)
    assert services.feedback_from_finding(finding=finding).pk == item.pk
    assert Feedback.objects.count() == 1


def test_overdue_owners_are_reminded(catalog, mailoutbox):
    today = timezone.localdate()
    owner = EmployeeFactory(email="olga@example.com", full_name="Olga")
    FeedbackFactory.create_batch(
        2, owner=owner, due_date=today - dt.timedelta(days=2), text="Still no refund"
    )
    FeedbackFactory(owner=None, due_date=today - dt.timedelta(days=2))
    FeedbackFactory(owner=owner, due_date=today)  # not overdue yet
    summary = services.remind_overdue_feedback_owners()
    assert summary == {"sent": 1, "items": 3, "skipped": 1}
    assert mailoutbox[0].to == ["olga@example.com"]
    assert mailoutbox[0].body.count("Still no refund") == 2
