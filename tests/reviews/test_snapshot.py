"""The stored review of a week: built once, unchanged by later corrections, e-mailed with an
HTML alternative, rebuilt only while unsent (or when an administrator forces it), and the Monday
task that does it all."""

import copy
import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail

from apps.feedback.models import Feedback
from apps.kpis.models import KPIResult
from apps.reviews import services, tasks
from apps.reviews.models import WeeklyReview
from apps.reviews.selectors import SECTIONS
from cxoffice.errors import ConflictError, PermissionDeniedError
from tests.factories import UserFactory

from .factories import TODAY, W

pytestmark = pytest.mark.django_db

URL = f"/api/v1/weekly-reviews/{W.key}/"
RECIPIENTS = ["ceo@example.com", "cx-team@example.com"]


@pytest.fixture
def recipients(settings):
    settings.WEEKLY_REVIEW_RECIPIENTS = RECIPIENTS
    return RECIPIENTS


def _late_delivery(data: dict) -> dict:
    return next(r for r in data["voice_of_customer"]["by_category"] if r["key"] == "late_delivery")


def _late_rate(data: dict) -> dict:
    return next(r for r in data["scorecard"]["rows"] if r["kpi"] == "delivery.late_rate")


def test_later_changes_do_not_alter_the_stored_review(full_week, reader_api, recipients):
    review = services.review_snapshot(week=W, today=TODAY)
    services.review_send(review=review)
    stored = copy.deepcopy(WeeklyReview.objects.get(week=W.key).data)
    assert _late_delivery(stored)["count"] == 6
    assert _late_rate(stored)["actual"] == "9.5"

    # A week later someone re-files a late-delivery complaint as a price one, and corrects the
    # late-delivery rate of W47.
    item = Feedback.objects.filter(category__code="late_delivery", text__startswith="2026-W47")[0]
    item.category_id = Feedback.objects.filter(category__code="price")[0].category_id
    item.save()
    KPIResult.objects.filter(kpi__code="delivery.late_rate", period=W.key).update(
        value=Decimal("4.2")
    )

    assert WeeklyReview.objects.get(week=W.key).data == stored
    as_sent = reader_api.get(URL, {"as_sent": "true"}).json()
    assert list(as_sent) == list(SECTIONS)  # in order, whatever the database keeps
    assert _late_delivery(as_sent)["count"] == 6
    assert (_late_rate(as_sent)["actual"], _late_rate(as_sent)["status"]) == (
        "9.5", "below_threshold"
    )  # fmt: skip
    assert as_sent == stored

    live = reader_api.get(URL).json()
    assert _late_delivery(live)["count"] == 5
    assert (_late_rate(live)["actual"], _late_rate(live)["status"]) == ("4.2", "on_target")


def test_the_review_is_emailed_as_text_and_html_to_the_recipients(full_week, recipients):
    review = services.review_snapshot(week=W, today=TODAY)
    services.review_send(review=review)
    [message] = mail.outbox
    assert message.to == RECIPIENTS
    assert message.subject == "Weekly business review 2026-W47 (2026-11-16 – 2026-11-22)"
    assert "Voice of the customer" in message.body
    assert "Late delivery 6 (+3)" in message.body
    assert "Audit the carrier hand-over — Ana Souza, due 2026-12-04" in message.body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    for text in ("Voice of the customer", "Scorecard 2026-W47", "BPI-DONE", "Late delivery",
                 "Parcels left at the wrong door", "Audit the carrier hand-over"):  # fmt: skip
        assert text in html
    assert html.index('id="voc"') < html.index('id="scorecard"') < html.index('id="bpi"')
    assert html.index('id="bpi"') < html.index('id="service-days"') < html.index('id="actions"')
    review.refresh_from_db()
    assert review.sent_at is not None
    assert review.recipients == RECIPIENTS


def test_the_email_is_in_the_site_language_whoever_sends_it(full_week, recipients):
    from django.utils import translation

    review = services.review_snapshot(week=W, today=TODAY)
    with translation.override("zh-hans"):
        services.review_send(review=review)
    assert mail.outbox[0].subject.startswith("Weekly business review 2026-W47")


def test_no_recipients_is_refused_and_nothing_is_sent(full_week, settings):
    settings.WEEKLY_REVIEW_RECIPIENTS = []
    review = services.review_snapshot(week=W, today=TODAY)
    with pytest.raises(services.ApplicationError) as refused:
        services.review_send(review=review)
    assert refused.value.field == "recipients"
    assert mail.outbox == []
    review.refresh_from_db()
    assert review.sent_at is None


def test_an_unsent_review_is_rebuilt_a_sent_one_only_when_an_administrator_forces_it(
    full_week, recipients
):
    first = services.review_snapshot(week=W, today=TODAY)
    Feedback.objects.filter(text__startswith="2026-W47 web").delete()
    rebuilt = services.review_snapshot(week=W, today=TODAY)  # not sent yet: rebuilt
    assert rebuilt.pk == first.pk
    assert rebuilt.data["voice_of_customer"]["total"]["count"] == 7
    services.review_send(review=rebuilt)

    with pytest.raises(ConflictError) as refused:
        services.review_snapshot(week=W, today=TODAY)
    assert (refused.value.field, refused.value.code) == ("week", "already_sent")
    steward = UserFactory()
    with pytest.raises(PermissionDeniedError):
        services.review_snapshot(week=W, user=steward, force=True, today=TODAY)

    admin = UserFactory(is_superuser=True)
    forced = services.review_snapshot(week=W, user=admin, force=True, today=TODAY)
    assert forced.sent_at is None  # shown as not sent until it is sent again
    assert forced.built_by == admin
    assert WeeklyReview.objects.count() == 1


def test_the_monday_task_builds_and_sends_last_week_once(full_week, recipients):
    result = tasks.build_and_send_last_week.delay(today="2026-11-23").get()
    assert result == {"week": "2026-W47", "built": True, "sent": True, "recipients": 2}
    review = WeeklyReview.objects.get()
    assert review.week == "2026-W47"
    assert review.data["voice_of_customer"]["as_of"] == "2026-11-23"
    assert len(mail.outbox) == 1
    again = tasks.build_and_send_last_week(today="2026-11-23")
    assert again == {"week": "2026-W47", "built": False, "sent": False, "recipients": 0}
    assert len(mail.outbox) == 1


def test_the_task_on_the_first_monday_of_a_year_builds_the_last_iso_week(db, recipients):
    result = tasks.build_and_send_last_week(today=dt.date(2027, 1, 4).isoformat())
    assert result["week"] == "2026-W53"
    assert WeeklyReview.objects.get().data["week"] == "2026-W53"


def test_without_recipients_the_task_stores_the_review_and_sends_nothing(full_week, settings):
    settings.WEEKLY_REVIEW_RECIPIENTS = []
    result = tasks.build_and_send_last_week(today="2026-11-23")
    assert result == {"week": "2026-W47", "built": True, "sent": False, "recipients": 0}
    assert WeeklyReview.objects.get().sent_at is None
    assert mail.outbox == []
