"""The feedback admin: list filters, bulk actions through the services, the import page and the
dashboard's volume chart."""

import datetime as dt
from pathlib import Path

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from apps.departments import roles
from apps.departments.models import Department
from apps.feedback.models import Category, ColumnMapping, Feedback, Status
from apps.kpis.periods import Period, PeriodType
from tests.factories import EmployeeFactory

from .factories import FeedbackFactory, at

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/feedback/feedback/"
OLIST_REVIEWS = Path("/work/shared/data/olist/olist_order_reviews_dataset.csv")


@pytest.fixture
def lead_client(client, cs_lead):
    client.force_login(cs_lead)
    return client


def test_changelist_filters(catalog, lead_client):
    week = Period.for_date(timezone.localdate(), PeriodType.WEEK)
    late = FeedbackFactory(
        text="late parcel", due_date=dt.date(2020, 1, 1), received_at=at(week.start)
    )
    FeedbackFactory(text="old one", received_at=at(week.start - dt.timedelta(days=30)))
    page = lead_client.get(f"{CHANGELIST}?overdue=yes").content.decode()
    assert "late parcel" in page
    assert "old one" not in page
    page = lead_client.get(f"{CHANGELIST}?week={week.key}").content.decode()
    assert "late parcel" in page
    assert "old one" not in page
    assert lead_client.get(f"{CHANGELIST}?week=2026-99").status_code == 302  # ?e=1
    assert late.pk


def _action(client, action, items, **extra):
    data = {"action": action, ACTION_CHECKBOX_NAME: [i.pk for i in items], **extra}
    return client.post(CHANGELIST, data, follow=True)


def test_set_status_actions_use_the_flow(catalog, lead_client):
    cs = Department.objects.get(code="CS")
    ready = FeedbackFactory.create_batch(2, department=cs)
    response = _action(lead_client, "mark_resolved", ready)
    assert "cannot become “Resolved”" in response.content.decode()
    assert set(Feedback.objects.values_list("status", flat=True)) == {Status.NEW}
    response = _action(lead_client, "mark_triaged", ready)
    assert "2 items are now Triaged" in response.content.decode()
    assert set(Feedback.objects.values_list("status", flat=True)) == {Status.TRIAGED}


def test_assign_owner_action_asks_for_the_owner(catalog, lead_client):
    items = FeedbackFactory.create_batch(3)
    owner = EmployeeFactory(full_name="Olga Owner")
    form = _action(lead_client, "assign_owner", items)
    assert "Assign an owner" in form.content.decode()
    assert not Feedback.objects.filter(owner=owner).exists()
    done = _action(lead_client, "assign_owner", items, apply="1", owner=owner.pk)
    assert "Olga Owner now owns 3 items" in done.content.decode()
    assert Feedback.objects.filter(owner=owner).count() == 3


def test_triage_action(catalog, lead_client):
    item = FeedbackFactory(category=Category.objects.get(code="price"))
    blank = FeedbackFactory()
    response = _action(lead_client, "triage_with_defaults", [item, blank])
    body = response.content.decode()
    assert "1 item triaged" in body
    assert f"#{blank.pk}" in body
    item.refresh_from_db()
    assert (item.status, item.department.code) == (Status.TRIAGED, "PROD")


def test_edit_through_the_admin(catalog, lead_client):
    item = FeedbackFactory(rating=3)
    url = f"{CHANGELIST}{item.pk}/change/"
    data = {
        "channel": "web",
        "received_at_0": "2026-11-16",
        "received_at_1": "10:00:00",
        "rating": "9",
        "text": "x",
        "severity": "medium",
    }
    response = lead_client.post(url, data)
    assert response.status_code == 200  # the form again, with the error
    item.refresh_from_db()
    assert item.rating == 3
    data["rating"] = "2"
    assert lead_client.post(url, data).status_code == 302
    item.refresh_from_db()
    assert item.rating == 2


def test_import_page(catalog, lead_client):
    page = lead_client.get("/admin/feedback/import/")
    assert page.status_code == 200
    mapping = ColumnMapping.objects.get(name="olist-reviews")
    file = SimpleUploadedFile("reviews.csv", OLIST_REVIEWS.read_bytes())
    response = lead_client.post("/admin/feedback/import/", {"file": file, "mapping": mapping.pk})
    body = response.content.decode()
    assert "<td>6121</td>" in body
    bad = (
        b"review_id,order_id,review_score,review_comment_title,review_comment_message,"
        b"review_creation_date\nr1,o1,5,,ok,2018-01-01 10:00:00\nr2,o2,7,,no,2018-01-01 10:00:00\n"
        b"r3,o3,1,,no,2018-01-01\n"
    )
    file = SimpleUploadedFile("bad.csv", bad)
    response = lead_client.post("/admin/feedback/import/", {"file": file, "mapping": mapping.pk})
    body = response.content.decode()
    assert "<td>2</td><td>review_score</td>" in body
    assert "<td>3</td><td>review_creation_date</td>" in body
    assert not Feedback.objects.filter(source_ref="r1").exists()


def test_import_page_needs_the_add_permission(catalog, client, make_user):
    client.force_login(make_user(roles.PROJECT_OWNER))
    assert client.get("/admin/feedback/import/").status_code == 403


def test_dashboard_chart(catalog, lead_client):
    week = Period.for_date(timezone.localdate(), PeriodType.WEEK)
    for code, n in (("late_delivery", 3), ("price", 2)):
        for _ in range(n):
            FeedbackFactory(category=Category.objects.get(code=code), received_at=at(week.start))
    page = lead_client.get("/admin/").content.decode()
    assert 'id="feedback-volume-panel"' in page
    assert "<svg" in page
    assert "Late delivery: 3</title>" in page
    assert "5 items" in page
