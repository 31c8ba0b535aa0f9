"""The review page of the admin (live and as sent, printable, charts), its dashboard panel, the
stored reviews' admin (build, rebuild, send) and the actions' admin."""

import datetime as dt

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from apps.departments import roles
from apps.feedback.models import Feedback
from apps.reviews import services
from apps.reviews.models import ReviewAction, WeeklyReview

from .factories import TODAY, W

pytestmark = pytest.mark.django_db

PAGE = "/admin/weekly-review/"


@pytest.fixture
def executive_client(make_user):
    client = Client()
    client.force_login(make_user(roles.EXECUTIVE))
    return client


def _row_count(html: str, attribute: str) -> str:
    """The week's count in the table row marked ``attribute`` (e.g. data-channel="web")."""
    row = html[html.index(attribute) :]
    cell = row[row.index('class="num cx-count">') + len('class="num cx-count">') :]
    return cell[: cell.index("<")]


def test_the_page_shows_the_review_live_with_charts_and_a_print_style(full_week, executive_client):
    response = executive_client.get(PAGE, {"week": W.key})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Weekly business review 2026-W47" in html
    assert _row_count(html, 'data-channel="web"') == "4"
    assert _row_count(html, 'data-category="late_delivery"') == "6"
    assert _row_count(html, 'data-channel="total"') == "11"
    positions = [html.index(f'id="{section}"')
                 for section in ("voc", "scorecard", "bpi", "service-days", "actions")]  # fmt: skip
    assert positions == sorted(positions)
    assert html.count('<svg class="cx-chart"') == 2  # by channel; 12 weeks by category
    assert "@media print" in html
    assert "#nav-sidebar" in html
    assert 'data-project="BPI-DONE"' in html
    assert "Audit the carrier hand-over" in html
    assert "No stored review for this week yet." in html


def test_the_page_defaults_to_last_week(executive_client):
    from apps.reviews.selectors import last_week

    response = executive_client.get(PAGE)
    assert response.status_code == 200
    assert f"Weekly business review {last_week().key}" in response.content.decode()


def test_a_bad_week_shows_an_error_and_last_week(executive_client):
    response = executive_client.get(PAGE, {"week": "2026-W99"})
    assert response.status_code == 200
    assert "is not an ISO week" in response.content.decode()


def test_as_sent_shows_the_stored_review_after_the_data_changed(
    full_week, executive_client, settings
):
    settings.WEEKLY_REVIEW_RECIPIENTS = ["ceo@example.com"]
    services.review_send(review=services.review_snapshot(week=W, today=TODAY))
    Feedback.objects.filter(text__startswith="2026-W47 web").delete()  # four web items

    as_sent = executive_client.get(PAGE, {"week": W.key, "mode": "as_sent"}).content.decode()
    assert _row_count(as_sent, 'data-channel="web"') == "4"
    assert _row_count(as_sent, 'data-channel="total"') == "11"
    assert "as stored: later changes to the data are not shown" in as_sent
    assert '<svg class="cx-chart"' in as_sent

    live = executive_client.get(PAGE, {"week": W.key}).content.decode()
    assert _row_count(live, 'data-channel="web"') == "0"
    assert _row_count(live, 'data-channel="total"') == "7"
    assert 'id="as-sent-link"' in live


def test_as_sent_without_a_stored_review_falls_back_to_live(full_week, executive_client):
    html = executive_client.get(PAGE, {"week": W.key, "mode": "as_sent"}).content.decode()
    assert "has not been stored yet; showing it live" in html
    assert _row_count(html, 'data-channel="web"') == "4"


def test_plain_employees_cannot_open_the_page(make_user):
    client = Client()
    client.force_login(make_user(roles.EMPLOYEE))
    assert client.get(PAGE).status_code == 403


def test_the_dashboard_links_to_the_review_and_shows_the_latest_status(full_week, executive_client):
    html = executive_client.get("/admin/").content.decode()
    assert 'id="weekly-review-panel"' in html
    assert "No review stored yet" in html
    services.review_snapshot(week=W, today=TODAY)
    html = executive_client.get("/admin/").content.decode()
    assert "2026-W47 stored, not sent" in html
    assert f"{PAGE}?week=2026-W47&amp;mode=as_sent" in html


def test_an_executive_builds_and_sends_a_review_from_the_admin(
    full_week, executive_client, settings
):
    settings.WEEKLY_REVIEW_RECIPIENTS = ["ceo@example.com"]
    response = executive_client.post(
        "/admin/reviews/weeklyreview/add/", {"week": "2026-w47"}, follow=True
    )
    assert response.status_code == 200
    review = WeeklyReview.objects.get()
    assert review.week == "2026-W47"
    assert review.data["voice_of_customer"]["total"]["count"] == 11

    response = executive_client.post(
        "/admin/reviews/weeklyreview/",
        {"action": "send", "_selected_action": [review.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert len(mail.outbox) == 1
    review.refresh_from_db()
    assert review.sent_at is not None

    # Rebuilding a sent review is refused with a message, and the stored review is kept.
    before = review.data
    Feedback.objects.filter(text__startswith="2026-W47 web").delete()
    response = executive_client.post(
        "/admin/reviews/weeklyreview/",
        {"action": "rebuild", "_selected_action": [review.pk]},
        follow=True,
    )
    assert "An administrator can force a rebuild" in response.content.decode()
    review.refresh_from_db()
    assert review.data == before


def test_the_review_admin_lists_and_shows_a_stored_review(full_week, executive_client):
    review = services.review_snapshot(week=W, today=TODAY)
    html = executive_client.get("/admin/reviews/weeklyreview/").content.decode()
    assert "2026-W47" in html
    response = executive_client.get(f"/admin/reviews/weeklyreview/{review.pk}/change/")
    assert response.status_code == 200
    assert f"{PAGE}?week=2026-W47&amp;mode=as_sent" in response.content.decode()


def test_a_steward_adds_an_action_in_the_admin_and_a_bad_due_date_is_refused(make_user, full_week):
    client = Client()
    client.force_login(make_user(roles.DATA_STEWARD))
    owner = full_week["actions"]["this_week"].owner
    data = {"week": "2026-W47", "objective": "Call the carrier", "owner": owner.pk,
            "due_date": "2026-11-01", "status": "open"}  # fmt: skip
    response = client.post("/admin/reviews/reviewaction/add/", data)
    assert response.status_code == 200
    assert "cannot be before the week of the review" in response.content.decode()
    response = client.post("/admin/reviews/reviewaction/add/", {**data, "due_date": "2026-12-11"})
    assert response.status_code == 302
    action = ReviewAction.objects.get(objective="Call the carrier")
    assert action.created_by is not None
    html = client.get("/admin/reviews/reviewaction/").content.decode()
    assert "Call the carrier" in html


def test_the_review_shows_labels_not_codes(full_week, executive_client):
    """Categories, statuses, channels and severities read as words (the snapshot keeps codes)."""
    late = Feedback.objects.filter(category__code="late_delivery").order_by("pk").first()
    Feedback.objects.filter(pk=late.pk).update(
        status="in_progress", due_date=timezone.localdate() - dt.timedelta(days=3)
    )
    html = executive_client.get(PAGE, {"week": W.key}).content.decode()

    def part(start: str, end: str) -> str:
        at = html.index(start)
        return html[at : html.index(end, at)]

    overdue, verbatims = part('id="voc-overdue"', "</table>"), part('id="voc-verbatims"', "</ul>")
    assert "<td>Late delivery</td>" in overdue
    assert "<td>In progress</td>" in overdue
    assert "<td>in_progress</td>" not in overdue
    assert "<td>late_delivery</td>" not in overdue
    assert "Web · Late delivery" in verbatims
